/**
 * The registry's TLS and users (components/scripts/docker/registry-tls.sh) run for real with `sh`
 * and openssl on temporary directories, with a PATH of coreutils, sed, grep and openssl only (no
 * python): the CA and server certificate (a real TLS server verifies with the CA and the IP
 * address, and fails without the CA), kept when run again, removed on delete; the htpasswd file
 * from stdin; the CA trust in a certs.d directory, with what was there before put back.
 */
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import { X509Certificate } from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { compareSync } from "bcryptjs";
import { htpasswdScript, htpasswdText, nameConstraintsOf, parseRegistryTls, renderCaTrust, renderHtpasswd, renderRegistryTls, sha256Hex } from "../../components/docker/registryTls";
import { SCRIPTS_DIR } from "../../components/scripts";

const TOOLS = [
    "sh", "sha256sum", "base64", "cut", "tr", "stat", "cp", "mv", "mkdir", "rm", "rmdir", "mktemp", "sed", "grep",
    "cat", "dirname", "basename", "head", "tail", "chmod", "chown", "cmp", "sleep", "id", "readlink", "wc", "sort", "ls", "openssl",
];

function which(cmd: string): string | undefined {
    for (const d of (process.env.PATH ?? "/usr/bin:/bin").split(":")) {
        if (d !== "" && fs.existsSync(path.join(d, cmd))) return path.join(d, cmd);
    }
    return undefined;
}

describe("exec: the registry's TLS, users and CA trust (openssl, no python on PATH)", function () {
    this.timeout(60_000);
    let dir: string;
    let bin: string;
    const state = () => path.join(dir, "state");
    const run = (script: string, input?: string) => {
        const r = spawnSync("/bin/sh", ["-c", script], { encoding: "utf8", input, timeout: 30_000, env: { PATH: bin, HOME: dir, LC_ALL: "C" } });
        if (r.error) throw r.error;
        return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };

    before(function () {
        const missing = TOOLS.filter((t) => which(t) === undefined);
        if (process.getuid?.() !== 0 || missing.length > 0) {
            console.log(`      skipping: the scripts need root (they own what they write) and ${missing.join(", ") || "nothing else"}`);
            this.skip();
        }
    });
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "mvltest-tls-"));
        bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        for (const t of TOOLS) fs.symlinkSync(which(t) ?? "", path.join(bin, t));
        fs.mkdirSync(state());
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const tls = () => renderRegistryTls({ address: "127.0.0.1", port: 5000, stateDir: state(), libraryDir: SCRIPTS_DIR });
    const regDir = () => path.join(state(), "registry-5000");

    it("makes a CA and a server certificate for the address on the host (keys 0600 in 0700 directories), a TLS server verifies with the CA only", async () => {
        // mktemp wrapped to note the directories it makes (the CA key's in /dev/shm among them)
        const made = path.join(dir, "made");
        const r = run(tls().create.replace(/\nregistry_tls_make\n$/, `\nmktemp() { p=$(command mktemp "$@") && printf '%s\\n' "$p" >>'${made}' && printf '%s\\n' "$p"; }\nregistry_tls_make\n`));
        assert.strictEqual(r.code, 0, r.stderr);
        const { ca, cert } = parseRegistryTls(r.stdout, "127.0.0.1");
        assert.strictEqual(ca, fs.readFileSync(path.join(regDir(), "ca", "ca.crt"), "utf8"));
        assert.ok(!r.stdout.includes("PRIVATE KEY") && !r.stdout.includes(Buffer.from("PRIVATE KEY").toString("base64")), "no key in the output");
        for (const [f, mode] of [["tls/server.key", 0o600], ["ca/ca.crt", 0o644], ["tls/server.crt", 0o644], ["ca", 0o700], ["tls", 0o700], ["", 0o700]] as const) {
            assert.strictEqual(fs.statSync(path.join(regDir(), f)).mode & 0o777, mode, f);
        }
        // the CA's key signed and is gone: not in the registry's directory, not left in /dev/shm
        assert.deepStrictEqual(fs.readdirSync(path.join(regDir(), "ca")), ["ca.crt"]);
        const shm = fs.readFileSync(made, "utf8").split("\n").filter((p) => p.startsWith("/dev/shm/macvlan-lab-ca."));
        assert.strictEqual(shm.length, 1, `the key's directory: ${shm.join(", ")}`);
        assert.ok(!fs.existsSync(shm[0]), `${shm[0]} is left`);
        assert.match(r.stdout, /the CA vouches only for 127\.0\.0\.1 \(name constraints IP:127\.0\.0\.1\/255\.255\.255\.255 DNS:invalid\); its private key is not kept/);
        assert.deepStrictEqual(nameConstraintsOf(new X509Certificate(ca).raw), { critical: true, permitted: ["IP:127.0.0.1/255.255.255.255", "DNS:invalid"], excluded: [] });
        const text = spawnSync("openssl", ["x509", "-noout", "-text"], { input: cert, encoding: "utf8" }).stdout;
        assert.match(text, /IP Address:127\.0\.0\.1/);
        assert.match(text, /CA:FALSE/);
        const server = https.createServer({ key: fs.readFileSync(path.join(regDir(), "tls", "server.key")), cert }, (_q, s) => s.end("ok"));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const port = (server.address() as { port: number }).port;
        const get = (opts: https.RequestOptions) =>
            new Promise<string>((resolve, reject) => {
                https.get({ host: "127.0.0.1", port, path: "/", ...opts }, (res) => res.on("data", (d: Buffer) => resolve(d.toString()))).on("error", reject);
            });
        try {
            assert.strictEqual(await get({ ca }), "ok");
            await assert.rejects(get({}), /self-signed certificate in certificate chain|unable to get local issuer certificate|unable to verify/);
        } finally {
            server.close();
        }
    });

    it("run again, it keeps the CA and the certificate (same bytes); delete removes them and its directories", () => {
        const first = run(tls().create);
        assert.strictEqual(first.code, 0, first.stderr);
        const again = run(tls().create);
        assert.strictEqual(again.code, 0, again.stderr);
        assert.match(again.stdout, /kept the registry's CA and certificate/);
        assert.deepStrictEqual(parseRegistryTls(again.stdout, "127.0.0.1"), parseRegistryTls(first.stdout, "127.0.0.1"));
        const del = run(tls().delete);
        assert.strictEqual(del.code, 0, del.stderr);
        assert.ok(!fs.existsSync(regDir()));
        assert.strictEqual(run(tls().delete).code, 0, "a second delete finds nothing and succeeds");
    });

    it("another address makes a new CA (rotation)", () => {
        const a = parseRegistryTls(run(tls().create).stdout, "127.0.0.1");
        const other = renderRegistryTls({ address: "registry.lab.example", port: 5000, stateDir: state(), libraryDir: SCRIPTS_DIR });
        const r = run(other.create);
        assert.strictEqual(r.code, 0, r.stderr);
        const b = parseRegistryTls(r.stdout, "registry.lab.example");
        assert.notStrictEqual(b.ca, a.ca);
        assert.match(spawnSync("openssl", ["x509", "-noout", "-text"], { input: b.cert, encoding: "utf8" }).stdout, /DNS:registry\.lab\.example/);
        assert.deepStrictEqual(nameConstraintsOf(new X509Certificate(b.ca).raw), {
            critical: true,
            permitted: ["DNS:registry.lab.example"],
            excluded: ["IP:0.0.0.0/0.0.0.0", "IP:0:0:0:0:0:0:0:0/0:0:0:0:0:0:0:0"],
        });
    });

    /**
     * The create script with `rm` wrapped so the CA's key, which the script removes once it has
     * signed, is copied to `keep` first: the test then signs what an attacker holding that key would.
     */
    const keepingCaKey = (script: string, keep: string) =>
        script.replace(/\nregistry_tls_make\n$/, `\nrm() { for a in "$@"; do case "$a" in */ca.key) cat "$a" >'${keep}' ;; esac; done; command rm "$@"; }\nregistry_tls_make\n`);

    /** A certificate for `san` signed by `caCert`/`caKey`, as PEM. */
    const signed = (caCert: string, caKey: string, san: string) => {
        const w = fs.mkdtempSync(path.join(dir, "evil-"));
        fs.writeFileSync(path.join(w, "ca.crt"), caCert);
        fs.writeFileSync(path.join(w, "ext"), `basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`);
        const sh = (cmd: string) => assert.strictEqual(spawnSync("sh", ["-c", cmd], { cwd: w, encoding: "utf8" }).status, 0, cmd);
        sh("openssl ecparam -name prime256v1 -genkey -noout -out k && openssl req -new -key k -subj '/CN=evil' -out r");
        sh(`openssl x509 -req -in r -CA ca.crt -CAkey '${caKey}' -days 2 -set_serial 7 -extfile ext -out c 2>/dev/null`);
        return { cert: fs.readFileSync(path.join(w, "c"), "utf8"), key: fs.readFileSync(path.join(w, "k")), file: path.join(w, "c") };
    };

    it("the CA vouches for the registry's address alone: with its key, a certificate for another address or any DNS name fails verification", async () => {
        const keep = path.join(dir, "kept-ca.key");
        const r = run(keepingCaKey(tls().create, keep));
        assert.strictEqual(r.code, 0, r.stderr);
        const { ca } = parseRegistryTls(r.stdout, "127.0.0.1");
        assert.ok(fs.statSync(keep).size > 0, "the harness did not see the key");
        const caFile = path.join(regDir(), "ca", "ca.crt");
        const verify = (file: string) => spawnSync("openssl", ["verify", "-CAfile", caFile, file], { encoding: "utf8" });
        // the probe works: the registry's own address verifies
        const own = signed(ca, keep, "IP:127.0.0.1");
        assert.strictEqual(verify(own.file).status, 0, verify(own.file).stderr);
        const refused: Array<[string, RegExp]> = [
            ["IP:127.0.0.2", /permitted subtree violation/],
            ["DNS:api.pulumi.com", /permitted subtree violation/],
            ["DNS:localhost", /permitted subtree violation/],
        ];
        for (const [san, why] of refused) {
            const v = verify(signed(ca, keep, san).file);
            assert.notStrictEqual(v.status, 0, `${san} verified`);
            assert.match(`${v.stdout}${v.stderr}`, why, san);
        }
        // a TLS client that trusts the CA refuses a server that shows it a certificate for its own
        // address 127.0.0.2 signed by the CA (Node's TLS, OpenSSL's chain check)
        const evil = signed(ca, keep, "IP:127.0.0.2");
        const server = https.createServer({ key: evil.key, cert: evil.cert }, (_q, s) => s.end("ok"));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.2", resolve));
        try {
            const port = (server.address() as { port: number }).port;
            await assert.rejects(
                new Promise((resolve, reject) => https.get({ host: "127.0.0.2", port, path: "/", ca }, resolve).on("error", reject)),
                /permitted subtree violation/,
            );
        } finally {
            server.close();
        }
    });

    it("a CA of an earlier version (no constraints, its key kept) is made again, constrained, and the key removed", () => {
        const ca = path.join(regDir(), "ca");
        const t = path.join(regDir(), "tls");
        fs.mkdirSync(ca, { recursive: true, mode: 0o700 });
        fs.mkdirSync(t, { recursive: true, mode: 0o700 });
        const sh = (cmd: string) => assert.strictEqual(spawnSync("sh", ["-c", cmd], { cwd: regDir(), encoding: "utf8" }).status, 0, cmd);
        sh("openssl ecparam -name prime256v1 -genkey -noout -out ca/ca.key && openssl req -new -x509 -key ca/ca.key -subj '/CN=old' -days 30 -addext basicConstraints=critical,CA:TRUE -out ca/ca.crt");
        const old = signed(fs.readFileSync(path.join(ca, "ca.crt"), "utf8"), path.join(ca, "ca.key"), "IP:127.0.0.1");
        fs.writeFileSync(path.join(t, "server.crt"), old.cert);
        fs.writeFileSync(path.join(t, "server.key"), old.key, { mode: 0o600 });
        const oldCa = fs.readFileSync(path.join(ca, "ca.crt"), "utf8");
        const r = run(tls().create);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /changed: removed the CA's private key .*ca\/ca\.key \(it signed the certificate; nothing needs it again\)/);
        const made = parseRegistryTls(r.stdout, "127.0.0.1");
        assert.notStrictEqual(made.ca, oldCa);
        assert.deepStrictEqual(fs.readdirSync(ca), ["ca.crt"]);
    });

    it("parseRegistryTls trusts only a CA constrained to the address and a certificate it signed for that address", () => {
        const report = (ca: string, cert: string) => `@ca ${Buffer.from(ca).toString("base64")}\n@cert ${Buffer.from(cert).toString("base64")}\n`;
        const keep = path.join(dir, "kept-ca.key");
        const r = run(keepingCaKey(tls().create, keep));
        assert.strictEqual(r.code, 0, r.stderr);
        const good = parseRegistryTls(r.stdout, "127.0.0.1");
        // the probe: the same bundle passes
        assert.deepStrictEqual(parseRegistryTls(report(good.ca, good.cert), "127.0.0.1"), good);
        assert.throws(() => parseRegistryTls(r.stdout, "127.0.0.2"), /the registry TLS output for 127\.0\.0\.2: the CA's name constraints are .*IP:127\.0\.0\.1\/255\.255\.255\.255.*, not .*IP:127\.0\.0\.2/);
        const other = signed(good.ca, keep, "IP:127.0.0.9");
        assert.throws(() => parseRegistryTls(report(good.ca, other.cert), "127.0.0.1"), /the server certificate does not name 127\.0\.0\.1/);
        // an unconstrained CA (what a machine in the middle would send), with a certificate it signed
        const w = fs.mkdtempSync(path.join(dir, "mitm-"));
        assert.strictEqual(spawnSync("sh", ["-c", "openssl ecparam -name prime256v1 -genkey -noout -out k && openssl req -new -x509 -key k -subj '/CN=mitm' -days 2 -addext basicConstraints=critical,CA:TRUE -out c"], { cwd: w }).status, 0);
        const mitmCa = fs.readFileSync(path.join(w, "c"), "utf8");
        const mitm = signed(mitmCa, path.join(w, "k"), "IP:127.0.0.1");
        assert.throws(() => parseRegistryTls(report(mitmCa, mitm.cert), "127.0.0.1"), /the CA's name constraints are missing/);
        // a certificate the CA did not sign
        assert.throws(() => parseRegistryTls(report(good.ca, mitm.cert), "127.0.0.1"), /the server certificate is not issued and signed by the CA/);
        // a server certificate in place of the CA
        assert.throws(() => parseRegistryTls(report(good.cert, good.cert), "127.0.0.1"), /the CA is not a self-signed CA certificate/);
    });

    it("writes the htpasswd file from stdin (0600), bcrypt lines the passwords verify against; refuses other lines; delete removes it", () => {
        const users = [{ name: "pusher", password: "s3cret pass'\"" }, { name: "puller", password: "x" }];
        const h = renderHtpasswd({ port: 5000, stateDir: state(), libraryDir: SCRIPTS_DIR });
        assert.ok(!h.create.includes("s3cret"), "no password in the script");
        const text = htpasswdText(users);
        const r = run(h.create, text);
        assert.strictEqual(r.code, 0, r.stderr);
        const file = path.join(regDir(), "auth", "htpasswd");
        assert.strictEqual(fs.readFileSync(file, "utf8"), text);
        assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600);
        assert.ok(!r.stdout.includes("$2y$"), "no hash in the output");
        for (const [i, u] of users.entries()) {
            const [name, hash] = text.split("\n")[i].split(":");
            assert.strictEqual(name, u.name);
            assert.ok(compareSync(u.password, hash));
            assert.ok(!compareSync("wrong", hash));
        }
        const bad = run(h.create, "pusher:plaintext\n");
        assert.strictEqual(bad.code, 1);
        assert.match(bad.stderr, /not user:bcrypt-hash lines; nothing was changed/);
        assert.strictEqual(fs.readFileSync(file, "utf8"), text);
        assert.strictEqual(run(h.delete).code, 0);
        assert.ok(!fs.existsSync(regDir()));
    });

    it("the hashing script, run by node as local.Command runs it: random salts, and the previous stdout's matching lines kept", () => {
        const script = htpasswdScript();
        const hash = (users: Array<{ name: string; password: string }>, previous?: string) => {
            const r = spawnSync(process.execPath, ["-e", script], {
                input: JSON.stringify({ users }),
                encoding: "utf8",
                env: { ...process.env, ...(previous !== undefined ? { PULUMI_COMMAND_STDOUT: previous } : {}) },
            });
            assert.strictEqual(r.status, 0, r.stderr);
            return r.stdout;
        };
        const u = [{ name: "pusher", password: "pw 'x\"" }, { name: "puller", password: "pw2" }];
        const a = hash(u);
        const b = hash(u);
        assert.match(a, /^pusher:\$2y\$10\$[./A-Za-z0-9]{53}\npuller:\$2y\$10\$[./A-Za-z0-9]{53}\n$/);
        assert.notStrictEqual(a, b, "two runs without a previous file: two salts");
        // an update: the provider hands the previous stdout back without its last newline
        assert.strictEqual(hash(u, a.trimEnd()), a, "unchanged passwords: the same bytes");
        const c = hash([u[0], { name: "puller", password: "changed" }], a.trimEnd());
        assert.strictEqual(c.split("\n")[0], a.split("\n")[0]);
        assert.notStrictEqual(c.split("\n")[1], a.split("\n")[1]);
        assert.ok(compareSync("changed", c.split("\n")[1].split(":")[1]));
    });

    describe("CA trust in certs.d", () => {
        const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        const certsDir = () => path.join(dir, "etc-docker", "certs.d");
        const trust = () => renderCaTrust({ endpoint: "192.168.1.11:5000", ca: CA, certsDir: certsDir(), stateDir: state(), libraryDir: SCRIPTS_DIR });
        const file = () => path.join(certsDir(), "192.168.1.11:5000", "ca.crt");

        it("writes <certs.d>/<endpoint>/ca.crt (making the directories) and removes it and them again", () => {
            fs.mkdirSync(path.join(dir, "etc-docker"));
            const r = run(trust().create);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(fs.readFileSync(file(), "utf8"), CA);
            assert.match(r.stdout, /no reload/);
            const again = run(trust().create);
            assert.strictEqual(again.code, 0, again.stderr);
            const d = run(trust().delete);
            assert.strictEqual(d.code, 0, d.stderr);
            assert.deepStrictEqual(fs.readdirSync(path.join(dir, "etc-docker")), [], "certs.d and the endpoint's directory were made by it: gone");
            assert.deepStrictEqual(fs.readdirSync(state()), [], "no state left");
        });

        it("puts back a ca.crt that was there before, and leaves an identical one alone", () => {
            fs.mkdirSync(path.dirname(file()), { recursive: true });
            const before = "-----BEGIN CERTIFICATE-----\nOTHER\n-----END CERTIFICATE-----\n";
            fs.writeFileSync(file(), before, { mode: 0o600 });
            assert.strictEqual(run(trust().create).code, 0);
            assert.strictEqual(fs.readFileSync(file(), "utf8"), CA);
            assert.strictEqual(run(trust().delete).code, 0);
            assert.strictEqual(fs.readFileSync(file(), "utf8"), before);
            fs.writeFileSync(file(), CA);
            assert.strictEqual(run(trust().create).code, 0);
            assert.strictEqual(run(trust().delete).code, 0);
            assert.strictEqual(fs.readFileSync(file(), "utf8"), CA, "it was there before: kept");
            assert.strictEqual(sha256Hex(CA), sha256Hex(fs.readFileSync(file(), "utf8")));
        });

        it("waits while another change holds the state directory's lock (the daemon.json trust shares it), then writes and leaves no lock", async () => {
            fs.mkdirSync(path.join(dir, "etc-docker"));
            const lock = path.join(state(), "registry-trust", "lock");
            fs.mkdirSync(lock, { recursive: true });
            // a live holder, stopped by the test once the script is seen waiting (node reaps it, so kill -0 then fails)
            const holder = spawn("sleep", ["600"], { stdio: "ignore" });
            const holderGone = new Promise((resolve) => holder.on("exit", resolve));
            fs.writeFileSync(path.join(lock, "pid"), `${holder.pid}\n`);
            try {
                const c = spawn("/bin/sh", ["-c", trust().create], { env: { PATH: bin, HOME: dir, LC_ALL: "C" } });
                let stdout = "";
                let stderr = "";
                c.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
                c.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
                const done = new Promise<number | null>((resolve, reject) => {
                    c.on("error", reject);
                    c.on("close", resolve);
                });
                // waiting: take_lock's `sleep 0.5` runs as a child of the script (bounded: 400 looks, 50 ms apart)
                const sleeping = () =>
                    fs.readFileSync(`/proc/${c.pid}/task/${c.pid}/children`, "utf8").trim().split(/\s+/).filter((p) => p !== "").some((p) => {
                        try {
                            return fs.readFileSync(`/proc/${p}/comm`, "utf8").trim() === "sleep";
                        } catch {
                            return false;
                        }
                    });
                let seen = false;
                for (let i = 0; i < 400 && !seen && c.exitCode === null; i++) {
                    seen = sleeping();
                    if (!seen) await new Promise((r) => setTimeout(r, 50));
                }
                assert.ok(seen, `the script was never seen waiting for the lock (exit ${c.exitCode}):\n${stdout}${stderr}`);
                assert.strictEqual(c.exitCode, null, "the script ended while the lock was held");
                assert.ok(!fs.existsSync(file()), "the script wrote while another change held the lock");
                holder.kill();
                await holderGone;
                const code = await done;
                assert.strictEqual(code, 0, stderr);
                assert.match(stdout, new RegExp(`taking over the lock .*lock of pid ${holder.pid}, which is gone`));
            } finally {
                holder.kill();
            }
            assert.strictEqual(fs.readFileSync(file(), "utf8"), CA);
            assert.ok(!fs.existsSync(lock), "the lock is released");
        });
    });
});

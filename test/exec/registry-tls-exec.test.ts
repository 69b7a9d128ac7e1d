/**
 * The registry's TLS and users (components/scripts/docker/registry-tls.sh) run for real with `sh`
 * and openssl on temporary directories, with a PATH of coreutils, sed, grep and openssl only (no
 * python): the CA and server certificate (a real TLS server verifies with the CA and the IP
 * address, and fails without the CA), kept when run again, removed on delete; the htpasswd file
 * from stdin; the CA trust in a certs.d directory, with what was there before put back.
 */
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { compareSync } from "bcryptjs";
import { htpasswdText, parseRegistryTls, renderCaTrust, renderHtpasswd, renderRegistryTls, sha256Hex } from "../../components/docker/registryTls";
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
        const r = run(tls().create);
        assert.strictEqual(r.code, 0, r.stderr);
        const { ca, cert } = parseRegistryTls(r.stdout);
        assert.strictEqual(ca, fs.readFileSync(path.join(regDir(), "ca", "ca.crt"), "utf8"));
        assert.ok(!r.stdout.includes("PRIVATE KEY") && !r.stdout.includes(Buffer.from("PRIVATE KEY").toString("base64")), "no key in the output");
        for (const [f, mode] of [["ca/ca.key", 0o600], ["tls/server.key", 0o600], ["ca/ca.crt", 0o644], ["tls/server.crt", 0o644], ["ca", 0o700], ["tls", 0o700], ["", 0o700]] as const) {
            assert.strictEqual(fs.statSync(path.join(regDir(), f)).mode & 0o777, mode, f);
        }
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
        assert.deepStrictEqual(parseRegistryTls(again.stdout), parseRegistryTls(first.stdout));
        const del = run(tls().delete);
        assert.strictEqual(del.code, 0, del.stderr);
        assert.ok(!fs.existsSync(regDir()));
        assert.strictEqual(run(tls().delete).code, 0, "a second delete finds nothing and succeeds");
    });

    it("another address makes a new CA (rotation)", () => {
        const a = parseRegistryTls(run(tls().create).stdout);
        const other = renderRegistryTls({ address: "registry.lab.example", port: 5000, stateDir: state(), libraryDir: SCRIPTS_DIR });
        const r = run(other.create);
        assert.strictEqual(r.code, 0, r.stderr);
        const b = parseRegistryTls(r.stdout);
        assert.notStrictEqual(b.ca, a.ca);
        assert.match(spawnSync("openssl", ["x509", "-noout", "-text"], { input: b.cert, encoding: "utf8" }).stdout, /DNS:registry\.lab\.example/);
    });

    it("writes the htpasswd file from stdin (0600), bcrypt lines the passwords verify against; refuses other lines; delete removes it", () => {
        const users = [{ name: "pusher", password: "s3cret pass'\"" }, { name: "puller", password: "x" }];
        const h = renderHtpasswd({ port: 5000, stateDir: state(), libraryDir: SCRIPTS_DIR });
        assert.ok(!h.create.includes("s3cret"), "no password in the script");
        const text = htpasswdText(users, "127.0.0.1:5000");
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

    it("the same password gives the same htpasswd bytes in every run; another password or registry another hash", () => {
        const u = [{ name: "pusher", password: "pw" }];
        assert.strictEqual(htpasswdText(u, "r:5000"), htpasswdText(u, "r:5000"));
        assert.notStrictEqual(htpasswdText(u, "r:5000"), htpasswdText([{ name: "pusher", password: "pw2" }], "r:5000"));
        assert.notStrictEqual(htpasswdText(u, "r:5000"), htpasswdText(u, "r:5001"));
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

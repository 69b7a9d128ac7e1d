/**
 * One key (issue 9 item 5): the Docker providers' ssh uses the `sshPrivateKey` secret as a 0600 file
 * for the run, `sshKeyFile` when set. Host keys (issue 27): every host's key is verified, pinned
 * or taken from sshKnownHostsFile, the same key in the Docker provider's ssh and in every remote
 * command; a host with neither is an error; the labs-only opt-out is warned. index.ts under Pulumi's mocks.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MockState, settle, withoutSecrets } from "../helpers/mocks";
import { importProgram, installProgramMocks, runProgram } from "../helpers/runProgram";
import { loadStackConfig } from "../../lab/stackFile";
import { knownHostsLine, runFilesDir, runSshFileNames } from "../../components/docker/sshIdentity";
import { HostSpec } from "../../components/model/types";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\ndocker-ssh-test-key\n-----END OPENSSH PRIVATE KEY-----";
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv4Tq5d7Zk1cJb2QwYtq0mHbJ9o0Cq3m0m0Tn3nKk0f";
const KH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBScCbp3QM+KChznepOkxKpDarS31Xe0kTgAsTZp4/zV";
const OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHCLJgE8t1M/d0DocB9DdyaT73iuyk8mulKmc86hMODs";

async function run(config: Record<string, string>): Promise<MockState> {
    return (await runProgram({ stack: "multi-vlan", config, key: KEY })).state;
}

const sshOpts = (s: MockState, host: string): string[] => JSON.parse(s.byName(`lab-${host}-docker`).inputs.sshOpts) as string[];
const optAfter = (opts: string[], flag: string): string | undefined => opts[opts.indexOf(flag) + 1];

describe("program: one key for the Docker providers' ssh", function () {
    this.timeout(60_000);

    it("without sshKeyFile, the sshPrivateKey secret is a 0600 file in a 0700 directory, named in -i with IdentitiesOnly", async () => {
        const s = await run(loadStackConfig("multi-vlan"));
        const o1 = sshOpts(s, "docker01");
        const file = optAfter(o1, "-i");
        assert.ok(file !== undefined);
        assert.deepStrictEqual(o1.slice(o1.indexOf("-i")), ["-i", file, "-o", "IdentitiesOnly=yes"]);
        assert.strictEqual(optAfter(sshOpts(s, "docker02"), "-i"), file, "one file for every host");
        assert.strictEqual(path.dirname(file), runFilesDir());
        assert.strictEqual(fs.readFileSync(file, "utf8"), `${KEY}\n`, "the key, with the newline OpenSSH needs");
        assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600);
        assert.strictEqual(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
        // the key's text is in no plain input of any resource (only the connections' secret privateKey)
        for (const r of s.resources) assert.ok(!JSON.stringify(withoutSecrets(r.wire)).includes("docker-ssh-test-key"), `${r.name} holds the key in plain`);
    });

    it("the file's name is the same in every run of the stack with that key (the provider's inputs do not change)", async () => {
        const a = optAfter(sshOpts(await run(loadStackConfig("multi-vlan")), "docker01"), "-i");
        const b = optAfter(sshOpts(await run(loadStackConfig("multi-vlan")), "docker01"), "-i");
        assert.strictEqual(a, b);
        const other = runSshFileNames("/d", "macvlan-lab", "multi-vlan", `${KEY}x`).keyFile;
        assert.notStrictEqual(path.basename(other), path.basename(a ?? ""), "another key, another file");
    });

    it("with sshKeyFile, that file and no key file of the run", async () => {
        const s = await run({ ...loadStackConfig("multi-vlan"), "macvlan-lab:sshKeyFile": "/home/u/.ssh/id_ed25519" });
        const o = sshOpts(s, "docker01");
        assert.deepStrictEqual(o.slice(o.indexOf("-i")), ["-i", "/home/u/.ssh/id_ed25519", "-o", "IdentitiesOnly=yes"]);
    });

    it("a host pinned with hostKey is verified against exactly that key; the others against the key sshKnownHostsFile lists for them, in both providers", async () => {
        const cfg = loadStackConfig("multi-vlan");
        const hosts = JSON.parse(cfg["macvlan-lab:hosts"]) as Array<Record<string, unknown>>;
        hosts[0].hostKey = HOST_KEY;
        hosts[1].port = 2222;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mvl-kh-"));
        try {
            const file = path.join(dir, "known_hosts");
            // docker02 on 2222: only its [address]:port entry counts; docker01's entry is not read (pinned)
            fs.writeFileSync(file, `192.168.1.13 ${OTHER_KEY}\n[192.168.1.13]:2222 ${KH_KEY} root@docker02\n192.168.1.11 ${OTHER_KEY}\n`);
            const s = await run({ ...cfg, "macvlan-lab:hosts": JSON.stringify(hosts), "macvlan-lab:sshKnownHostsFile": file });
            const o1 = sshOpts(s, "docker01");
            assert.deepStrictEqual(o1.slice(8, 16), [
                "-o", "StrictHostKeyChecking=yes",
                "-o", "UserKnownHostsFile=/dev/null",
                "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", `KnownHostsCommand=/bin/echo 192.168.1.11 ${HOST_KEY}`,
            ]);
            const o2 = sshOpts(s, "docker02");
            assert.deepStrictEqual(o2.slice(8, 16), [
                "-o", "StrictHostKeyChecking=yes",
                "-o", "UserKnownHostsFile=/dev/null",
                "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", `KnownHostsCommand=/bin/echo [192.168.1.13]:2222 ${KH_KEY}`,
            ]);
            const conn = (name: string) => s.byName(name).inputs.connection as { hostKey?: string };
            assert.strictEqual(conn("lab-docker01-preflight-check").hostKey, HOST_KEY);
            assert.strictEqual(conn("lab-docker02-preflight-check").hostKey, KH_KEY);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a host with no hostKey and none in sshKnownHostsFile: one error per host, naming ssh-keyscan, and nothing declared", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mvl-kh-"));
        try {
            const file = path.join(dir, "known_hosts");
            fs.writeFileSync(file, `192.168.1.11 ${KH_KEY}\n`);
            const state = installProgramMocks({ stack: "multi-vlan", config: { ...loadStackConfig("multi-vlan"), "macvlan-lab:sshKnownHostsFile": file }, key: KEY, knownHosts: false });
            await assert.rejects(importProgram(), (e: Error) => {
                assert.strictEqual(
                    e.message,
                    "the stack's config has 1 problem:\n" +
                        `  - hosts[1].hostKey is not set for docker02, and ${file} has no key for 192.168.1.13; get it with ssh-keyscan -t ed25519 192.168.1.13 and check its fingerprint (ssh-keygen -lf - on that line) against the host's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub, run on the host's console), then set hosts[1].hostKey to that line (or add it to ${file}); for a throwaway lab only, insecureIgnoreHostKey: true turns the check off`,
                );
                return true;
            });
            await settle(state, 50);
            assert.deepStrictEqual(state.resources, []);
            // no file at all: both hosts, the file named
            const none = path.join(dir, "missing");
            installProgramMocks({ stack: "multi-vlan", config: { ...loadStackConfig("multi-vlan"), "macvlan-lab:sshKnownHostsFile": none }, key: KEY, knownHosts: false });
            await assert.rejects(importProgram(), (e: Error) => {
                const lines = e.message.split("\n");
                assert.strictEqual(lines[0], "the stack's config has 2 problems:");
                assert.ok(lines[1].startsWith(`  - hosts[0].hostKey is not set for docker01, and there is no known_hosts file at ${none} to take it from (sshKnownHostsFile)`), lines[1]);
                assert.ok(lines[2].startsWith("  - hosts[1].hostKey is not set for docker02"), lines[2]);
                return true;
            });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("insecureIgnoreHostKey (labs only): no key in either provider, and a warning on every run naming the host", async () => {
        const warned: string[] = [];
        const original = console.warn;
        console.warn = (...a: unknown[]) => void warned.push(a.map(String).join(" "));
        try {
            const cfg = loadStackConfig("multi-vlan");
            const s = await run({ ...cfg, "macvlan-lab:ssh": JSON.stringify({ insecureIgnoreHostKey: true }), "macvlan-lab:sshKnownHostsFile": "/nonexistent/known_hosts" });
            const o = sshOpts(s, "docker02");
            assert.deepStrictEqual(o.slice(8, 16), ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"]);
            assert.strictEqual((s.byName("lab-docker02-preflight-check").inputs.connection as { hostKey?: string }).hostKey, undefined);
            for (const h of ["docker01 (192.168.1.11:22)", "docker02 (192.168.1.13:22)"]) {
                assert.ok(warned.some((w) => w.includes(`host ${h}: insecureIgnoreHostKey is set, so no connection to it verifies its host key`)), `no warning for ${h}: ${warned.join(" | ")}`);
            }
        } finally {
            console.warn = original;
        }
    });
});

describe("knownHostsLine", () => {
    const host = (port: number, hostKey?: string): HostSpec => ({
        name: "h", nic: "eth0", nicIsManagement: true, backend: "iproute2", configDir: "/etc/macvlan-lab",
        ssh: { address: "10.0.0.5", port, user: "root", dialErrorLimit: 5, perDialTimeout: 10, ...(hostKey ? { hostKey } : {}) },
    });
    it("writes the address on port 22, [address]:port otherwise, and drops a comment", () => {
        assert.strictEqual(knownHostsLine(host(22, HOST_KEY)), `10.0.0.5 ${HOST_KEY}`);
        assert.strictEqual(knownHostsLine(host(2222, `${HOST_KEY}  me@laptop`)), `[10.0.0.5]:2222 ${HOST_KEY}`);
        assert.strictEqual(knownHostsLine(host(22)), undefined);
    });
    it("runFilesDir is under XDG_RUNTIME_DIR when there is one, else the temp directory with the uid", () => {
        assert.strictEqual(runFilesDir({ XDG_RUNTIME_DIR: os.tmpdir() }), path.join(os.tmpdir(), "macvlan-lab"));
        assert.strictEqual(runFilesDir({}), path.join(os.tmpdir(), `macvlan-lab-${os.userInfo().uid}`));
    });
});

describe("program: the Docker providers' ssh shares one connection per host (ControlMaster)", function () {
    this.timeout(60_000);
    const controlPathOf = (o: string[]) => o.find((x) => x.startsWith("ControlPath="))?.slice("ControlPath=".length);

    it("by default: ControlMaster=auto, ControlPersist=60, a socket per host in <runFilesDir>/ssh-mux, made 0700", async () => {
        const s = await run(loadStackConfig("multi-vlan"));
        const o1 = sshOpts(s, "docker01");
        const o2 = sshOpts(s, "docker02");
        for (const o of [o1, o2]) {
            assert.strictEqual(optAfter(o, "-o"), "BatchMode=yes", "the provider's other options stay first");
            assert.ok(o.includes("ControlMaster=auto") && o.includes("ControlPersist=60"), o.join(" "));
        }
        const p1 = controlPathOf(o1);
        const p2 = controlPathOf(o2);
        assert.ok(p1 !== undefined && p2 !== undefined);
        assert.strictEqual(path.dirname(p1), path.join(runFilesDir(), "ssh-mux"));
        assert.strictEqual(path.dirname(p2), path.dirname(p1));
        assert.notStrictEqual(p1, p2, "one socket per host");
        assert.strictEqual(fs.statSync(path.dirname(p1)).mode & 0o777, 0o700);
        const again = await run(loadStackConfig("multi-vlan"));
        assert.strictEqual(controlPathOf(sshOpts(again, "docker01")), p1, "the same path in every run: the provider's inputs do not change");
    });
});

describe("controlPath, dockerSshOpts and resolveControlDir", () => {
    // imported here: the module is the program's, loaded under the mocks above too
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const provider = require("../../components/docker/provider") as typeof import("../../components/docker/provider");
    const host = (over: Partial<HostSpec["ssh"]> = {}): HostSpec => ({
        name: "h", nic: "eth0", nicIsManagement: true, backend: "iproute2", configDir: "/etc/macvlan-lab",
        ssh: { address: "10.0.0.5", port: 22, user: "root", dialErrorLimit: 5, perDialTimeout: 10, insecureIgnoreHostKey: true, ...over },
    });

    it("names a socket by everything that makes the connection: user, address, port, the key it checks, key file", () => {
        const base = provider.controlPath(host(), "/run/x");
        assert.match(base, /^\/run\/x\/[0-9a-f]{20}$/);
        const others = [
            provider.controlPath(host({ user: "admin" }), "/run/x"),
            provider.controlPath(host({ address: "10.0.0.6" }), "/run/x"),
            provider.controlPath(host({ port: 2222 }), "/run/x"),
            provider.controlPath(host({ hostKey: HOST_KEY, insecureIgnoreHostKey: undefined }), "/run/x"),
            provider.controlPath(host(), "/run/x", { keyFile: "/k" }),
        ];
        assert.strictEqual(new Set([base, ...others]).size, 6, "every difference gives another socket");
        assert.strictEqual(provider.controlPath(host(), "/run/x"), base, "and the same connection the same one");
    });

    it("doubles % (ssh expands % tokens in ControlPath) and refuses a path too long for a socket", () => {
        assert.match(provider.controlPath(host(), "/run/50%"), /^\/run\/50%%\/[0-9a-f]{20}$/);
        assert.throws(() => provider.controlPath(host(), `/${"d".repeat(80)}`), /longer than 86 bytes .* give docker.controlDir a shorter private directory/);
    });

    it("adds no Control option without a control directory (controlDir false or unset in the pure function)", () => {
        for (const o of [provider.dockerSshOpts(host()), provider.dockerSshOpts(host(), { controlDir: false })]) {
            assert.ok(!o.some((x) => x.startsWith("Control")), o.join(" "));
        }
        const o = provider.dockerSshOpts(host(), { controlDir: "/run/x", controlPersistSeconds: 5 });
        assert.ok(o.includes("ControlPersist=5"));
    });

    it("makes a missing control directory 0700 and refuses one that others can enter", () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mvl-mux-"));
        try {
            const mine = path.join(tmp, "mine");
            assert.strictEqual(provider.resolveControlDir({ controlDir: mine }), mine);
            assert.strictEqual(fs.statSync(mine).mode & 0o777, 0o700);
            const open = path.join(tmp, "open");
            fs.mkdirSync(open, { mode: 0o755 });
            fs.chmodSync(open, 0o755);
            assert.throws(() => provider.resolveControlDir({ controlDir: open }), /is not a private directory of this user/);
            const link = path.join(tmp, "link");
            fs.symlinkSync(mine, link);
            assert.throws(() => provider.resolveControlDir({ controlDir: link }), /is not a private directory of this user/);
            assert.strictEqual(provider.resolveControlDir({ controlDir: false }), false);
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });
});

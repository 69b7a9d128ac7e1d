/**
 * One key (issue 9 item 5): the Docker providers' ssh uses the `sshPrivateKey` secret as a 0600 file
 * for the run, `sshKeyFile` when set; pinned host keys reach a known_hosts file per host. index.ts
 * under Pulumi's mocks.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { installMocks, MockState, settle, withoutSecrets } from "../helpers/mocks";
import { loadStackConfig } from "../../lab/stackFile";
import { knownHostsLine, runFilesDir, runSshFileNames } from "../../components/docker/sshIdentity";
import { HostSpec } from "../../components/spec/types";

const PROGRAM = path.join(__dirname, "..", "..", "index");
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\ndocker-ssh-test-key\n-----END OPENSSH PRIVATE KEY-----";
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv4Tq5d7Zk1cJb2QwYtq0mHbJ9o0Cq3m0m0Tn3nKk0f";

async function run(config: Record<string, string>): Promise<MockState> {
    const state = installMocks("multi-vlan", { ...config, "macvlan-lab:sshPrivateKey": KEY }, ["macvlan-lab:sshPrivateKey"]);
    delete require.cache[require.resolve(PROGRAM)];
    await import(PROGRAM);
    await settle(state, 100);
    return state;
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

    it("a host pinned with hostKey is verified against exactly that key (KnownHostsCommand, no file); the others against sshKnownHostsFile", async () => {
        const cfg = loadStackConfig("multi-vlan");
        const hosts = JSON.parse(cfg["macvlan-lab:hosts"]) as Array<Record<string, unknown>>;
        hosts[0].hostKey = HOST_KEY;
        hosts[1].port = 2222;
        const s = await run({ ...cfg, "macvlan-lab:hosts": JSON.stringify(hosts), "macvlan-lab:sshKnownHostsFile": "/etc/lab/known_hosts" });
        const o1 = sshOpts(s, "docker01");
        assert.deepStrictEqual(o1.slice(8, 16), [
            "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=/dev/null",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", `KnownHostsCommand=/bin/echo 192.168.1.11 ${HOST_KEY}`,
        ]);
        const o2 = sshOpts(s, "docker02");
        assert.deepStrictEqual(o2.slice(8, 12), ["-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=/etc/lab/known_hosts"]);
        assert.ok(!o2.some((x) => x.startsWith("KnownHostsCommand")));
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

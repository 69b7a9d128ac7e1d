/**
 * The lab driver (lab/driver): its pure parts (ssh and docker argv, input checks, diffs), then the
 * tiny programs of test/fixtures/driver applied through the CLI, each in its own process, against a
 * real sshd started for the test on 127.0.0.1 (a high port, a generated key). The Docker performers
 * against a real dockerd are in the "lab:" suite at the end (one namespaced lab host).
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import {
    MAX_DIAL_ATTEMPTS,
    boundedLimits,
    classifySshFailure,
    pinnedKnownHostsLine,
    sshArgv,
} from "../lab/driver/ssh";
import { SIG_KEY, SECRET_SIG, InputError, redact, unwrapSecrets } from "../lab/driver/inputs";
import { commandInputsHash, emulatedLines, environmentSshOpts, parseCommand, trimOutput } from "../lab/driver/commandSpec";
import {
    SPEC_LABEL,
    ContainerInspect,
    containerConnectArgvs,
    containerCreateArgv,
    containerDiff,
    containerOutputs,
    containerRemoveArgvs,
    containerSpecHash,
    networkCreateArgv,
    networkDiff,
    parseContainer,
    parseDockerProvider,
    parseNetwork,
    parseRegistryImage,
    parseRemoteImage,
    parseTag,
    parseVolume,
    pushedDigest,
    volumeCreateArgv,
} from "../lab/driver/dockerSpec";
import { dockerDialTimeout, hostLabel, shortType } from "../lab/driver/engine";
import { LabHosts, checkPrerequisites, hostsDown, hostsUp, startSshd as startLabSshd, stopSshd as stopLabSshd } from "../lab/hosts";
import { parseArgs } from "../lab/driver/cli";

const REPO = path.resolve(__dirname, "..");
const FIXTURES = path.join(REPO, "test", "fixtures", "driver");

// -------------------------------------------------------------------------------------------------
// pure parts

describe("lab driver: ssh argv and classification (pure)", () => {
    const target = { host: "192.168.1.11", port: 22, user: "root", label: "docker01" };

    it("builds a batch-mode, bounded ssh argv with a pinned known_hosts and the key file", () => {
        const argv = sshArgv(
            target,
            { keyFile: "/tmp/k", knownHosts: { mode: "pinned", file: "/tmp/kh" }, ignoreUserConfig: true },
            { dialAttempts: 3, dialTimeoutSeconds: 5, runTimeoutMs: 1000 },
            "echo 'a b'",
        );
        assert.deepEqual(argv, [
            "ssh", "-F", "none",
            "-i", "/tmp/k", "-o", "IdentitiesOnly=yes",
            "-o", "UserKnownHostsFile=/tmp/kh", "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes",
            "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "ConnectionAttempts=1",
            "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3", "-o", "LogLevel=ERROR",
            "-p", "22", "-l", "root", "--", "192.168.1.11", "echo 'a b'",
        ]);
    });

    it("puts the program's sshOpts (Docker provider) first so they win, and learns unknown keys only in accept-new mode", () => {
        const docker = sshArgv(target, { extraOpts: ["-o", "ConnectTimeout=7"], knownHosts: { mode: "ssh-config" } }, { dialAttempts: 1, dialTimeoutSeconds: 10, runTimeoutMs: 1 }, "docker ps");
        assert.deepEqual(docker.slice(0, 3), ["ssh", "-o", "ConnectTimeout=7"]);
        assert.ok(!docker.some((a) => a.startsWith("StrictHostKeyChecking")), "no driver host-key policy over the provider's");
        const learn = sshArgv(target, { knownHosts: { mode: "accept-new", file: "/s.known_hosts" } }, { dialAttempts: 1, dialTimeoutSeconds: 10, runTimeoutMs: 1 }, "true");
        assert.ok(learn.includes("StrictHostKeyChecking=accept-new") && learn.includes("UserKnownHostsFile=/s.known_hosts"));
    });

    it("bounds dialErrorLimit and perDialTimeout, unlimited (-1) included", () => {
        assert.deepEqual(boundedLimits(3, 5, 10), { dialAttempts: 3, dialTimeoutSeconds: 5, runTimeoutMs: 10 });
        assert.deepEqual(boundedLimits(-1, 0, 10), { dialAttempts: MAX_DIAL_ATTEMPTS, dialTimeoutSeconds: 60, runTimeoutMs: 10 });
        assert.deepEqual(boundedLimits(1000, 1000, 10), { dialAttempts: MAX_DIAL_ATTEMPTS, dialTimeoutSeconds: 60, runTimeoutMs: 10 });
    });

    it("pins a host key as a known_hosts line, bracketed off port 22, and rejects what is not a key", () => {
        assert.equal(pinnedKnownHostsLine("10.0.0.1", 22, "ssh-ed25519 AAAAC3Nz host"), "10.0.0.1 ssh-ed25519 AAAAC3Nz");
        assert.equal(pinnedKnownHostsLine("10.0.0.1", 2222, "ssh-ed25519 AAAAC3Nz"), "[10.0.0.1]:2222 ssh-ed25519 AAAAC3Nz");
        assert.deepEqual(pinnedKnownHostsLine("h", 22, "AAAAC3Nz"), { error: 'hostKey "AAAAC3Nz" is not a public host key; give it as "ssh-ed25519 AAAA..."' });
    });

    it("retries connection failures only, never a command's own exit status", () => {
        assert.equal(classifySshFailure(255, "ssh: connect to host 1.2.3.4 port 22: Connection refused"), "retry");
        assert.equal(classifySshFailure(255, "Connection timed out during banner exchange"), "retry");
        assert.equal(classifySshFailure(255, "root@h: Permission denied (publickey)."), "auth");
        assert.equal(classifySshFailure(255, "Host key verification failed."), "hostkey");
        assert.equal(classifySshFailure(3, "ssh: connect to host"), "command");
    });
});

describe("lab driver: inputs as they arrive in MockResourceArgs (pure)", () => {
    it("unwraps a secret-wrapped connection (the SDK wraps the whole object) and collects its strings", () => {
        const wire = { connection: { [SIG_KEY]: SECRET_SIG, value: { host: "h", privateKey: "KEY-TEXT-123" } }, create: "true" };
        const { value, secrets } = unwrapSecrets(wire);
        assert.deepEqual(value, { connection: { host: "h", privateKey: "KEY-TEXT-123" }, create: "true" });
        assert.deepEqual([...secrets].sort(), ["KEY-TEXT-123", "h"]);
    });

    it("unwraps a secret nested in a plain object, and leaves a plain key as it is", () => {
        const nested = unwrapSecrets({ connection: { host: "h", privateKey: { [SIG_KEY]: SECRET_SIG, value: "KEY-TEXT-456" } } });
        assert.deepEqual(nested.value, { connection: { host: "h", privateKey: "KEY-TEXT-456" } });
        assert.deepEqual([...nested.secrets], ["KEY-TEXT-456"]);
        const plain = unwrapSecrets({ connection: { host: "h", privateKey: "KEY-TEXT-789" } });
        assert.deepEqual(plain.value, { connection: { host: "h", privateKey: "KEY-TEXT-789" } });
        assert.deepEqual([...plain.secrets], []);
        assert.equal(parseCommand(nested.value as Record<string, unknown>).connection.privateKey, "KEY-TEXT-456");
    });

    it("redacts a secret and each long line of a multi-line one", () => {
        const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n";
        assert.equal(redact("x b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ y", [key]), "x [secret] y");
    });

    it("parses a remote.Command with the provider's defaults and refuses what it cannot honour, naming the property", () => {
        const c = parseCommand({ connection: { host: "h", privateKey: "k" }, create: "true" });
        assert.deepEqual(c.connection, { host: "h", port: 22, user: "root", privateKey: "k", hostKey: undefined, dialErrorLimit: undefined, perDialTimeout: undefined });
        const refuse = (inputs: Record<string, unknown>, message: string) =>
            assert.throws(() => parseCommand(inputs), (e: Error) => e instanceof InputError && e.message === message);
        refuse({ connection: { host: "h", proxy: { host: "b" } } }, "connection.proxy: not supported by the lab driver (it connects directly, with a private key, in batch mode)");
        refuse({ connection: { host: "h", password: "p" } }, "connection.password: not supported by the lab driver (it connects directly, with a private key, in batch mode)");
        refuse({ connection: { host: "h" }, interpreter: ["sh"] }, "interpreter: not supported by the lab driver for remote.Command");
        refuse({ connection: { host: "h" }, environment: { A: 'x"y' } }, "environment.A: the lab driver passes variables with ssh SetEnv, which cannot carry quotes, backslashes or newlines");
        refuse({ create: "x" }, "connection is not set; the lab driver needs the host to connect to");
    });

    it("reruns a command when any input changes, the key included; passes environment with SetEnv", () => {
        const base = parseCommand({ connection: { host: "h", privateKey: "k1" }, create: "a" });
        assert.equal(commandInputsHash(base), commandInputsHash(parseCommand({ connection: { host: "h", privateKey: "k1" }, create: "a" })));
        assert.notEqual(commandInputsHash(base), commandInputsHash(parseCommand({ connection: { host: "h", privateKey: "k2" }, create: "a" })));
        assert.deepEqual(environmentSshOpts({ B: "two words", A: "1" }), ["-o", "SetEnv=A=1", "-o", 'SetEnv=B="two words"']);
        assert.equal(trimOutput("x\n\n"), "x\n");
        assert.deepEqual(emulatedLines("a\nEMULATED: vlan 10\n EMULATED: no\n"), ["EMULATED: vlan 10"]);
    });

    it("reads the Docker provider's ssh:// host and its sshOpts sent as JSON text", () => {
        assert.deepEqual(parseDockerProvider({ host: "ssh://root@192.168.1.11:22", sshOpts: '["-i","/k"]' }), {
            user: "root", host: "192.168.1.11", port: 22, sshOpts: ["-i", "/k"],
        });
        assert.deepEqual(parseDockerProvider({ host: "ssh://h" }), { user: "root", host: "h", port: 22, sshOpts: [] });
        assert.throws(() => parseDockerProvider({ host: "unix:///var/run/docker.sock" }), /supports only ssh:\/\//);
        assert.throws(() => parseDockerProvider({ host: "ssh://h", certMaterial: "x" }), /^Error: certMaterial: not supported/);
    });
});

describe("lab driver: Docker argv and convergence (pure)", () => {
    const network = parseNetwork({
        name: "mac_net10",
        driver: "macvlan",
        options: { parent: "ens33.10", macvlan_mode: "bridge" },
        ipamConfigs: [{ subnet: "172.16.10.0/24", gateway: "172.16.10.1", ipRange: "172.16.10.64/27", auxAddress: { "bbox10-docker02": "172.16.10.11", gw: "172.16.10.1" } }],
    });

    it("creates a network with every IPAM setting, options sorted", () => {
        assert.deepEqual(networkCreateArgv(network), [
            "docker", "network", "create", "--driver", "macvlan",
            "--subnet", "172.16.10.0/24", "--gateway", "172.16.10.1", "--ip-range", "172.16.10.64/27",
            "--aux-address", "bbox10-docker02=172.16.10.11", "--aux-address", "gw=172.16.10.1",
            "--opt", "macvlan_mode=bridge", "--opt", "parent=ens33.10",
            "--", "mac_net10",
        ]);
    });

    it("keeps a network with the same settings and names every difference otherwise", () => {
        const have = {
            Name: "mac_net10", Id: "n1", Driver: "macvlan", Internal: false, Attachable: false, EnableIPv6: false,
            Options: { parent: "ens33.10", macvlan_mode: "bridge" }, Labels: {},
            IPAM: { Driver: "default", Options: {}, Config: [{ Subnet: "172.16.10.0/24", Gateway: "172.16.10.1", IPRange: "172.16.10.64/27", AuxiliaryAddresses: { "bbox10-docker02": "172.16.10.11", gw: "172.16.10.1" } }] },
        };
        assert.deepEqual(networkDiff(network, have), []);
        const other = { ...have, Options: { parent: "ens33" }, IPAM: { ...have.IPAM, Config: [{ ...have.IPAM.Config[0], IPRange: "172.16.10.96/27", AuxiliaryAddresses: null }] } };
        assert.deepEqual(networkDiff(network, other), [
            'option parent: want "ens33.10", have "ens33"',
            'option macvlan_mode: want "bridge", have null',
            "subnet 172.16.10.0/24 ip-range: want 172.16.10.64/27, have 172.16.10.96/27",
            'subnet 172.16.10.0/24 aux-address bbox10-docker02: want "172.16.10.11", have null',
            'subnet 172.16.10.0/24 aux-address gw: want "172.16.10.1", have null',
        ]);
    });

    const container = parseContainer({
        name: "bbox10",
        hostname: "bbox10",
        image: "sha256:abc",
        command: ["sleep", "3600"],
        restart: "always",
        mustRun: true,
        networksAdvanced: [{ name: "net-id-10", ipv4Address: "172.16.10.10" }, { name: "mac_net20", ipv4Address: "172.16.20.10", aliases: ["b"] }],
        ports: [{ internal: 5000, external: 5000 }],
        volumes: [{ volumeName: "data", containerPath: "/var/lib/registry" }],
    });

    it("creates a container on its first network with its address, never pulling, and connects the others", () => {
        assert.deepEqual(containerCreateArgv(container, "sha256:abc"), [
            "docker", "create", "--pull", "never", "--name", "bbox10", "--restart", "always", "--hostname", "bbox10",
            "--network", "net-id-10", "--ip", "172.16.10.10",
            "--publish", "5000:5000/tcp", "--volume", "data:/var/lib/registry",
            "--label", `${SPEC_LABEL}=${containerSpecHash(container, "sha256:abc")}`,
            "--", "sha256:abc", "sleep", "3600",
        ]);
        assert.deepEqual(containerConnectArgvs(container), [["docker", "network", "connect", "--ip", "172.16.20.10", "--alias", "b", "--", "mac_net20", "bbox10"]]);
        assert.deepEqual(containerRemoveArgvs("bbox10", true, 5), [
            ["docker", "stop", "--time", "5", "--", "bbox10"],
            ["docker", "rm", "--force", "--volumes", "--", "bbox10"],
        ]);
    });

    it("keeps a running container with its spec label, image and addresses; replaces it otherwise", () => {
        const have: ContainerInspect = {
            Id: "c1", Name: "/bbox10", Image: "sha256:abc", State: { Running: true, Status: "running" },
            Config: { Labels: { [SPEC_LABEL]: containerSpecHash(container, "sha256:abc") }, Hostname: "bbox10" },
            NetworkSettings: {
                Networks: {
                    mac_net10: { NetworkID: "net-id-10", IPAMConfig: { IPv4Address: "172.16.10.10" }, IPAddress: "172.16.10.10", IPPrefixLen: 24 },
                    mac_net20: { NetworkID: "net-id-20", IPAMConfig: { IPv4Address: "172.16.20.10" }, IPAddress: "172.16.20.10", IPPrefixLen: 24 },
                },
            },
        };
        assert.deepEqual(containerDiff(container, "sha256:abc", have), []);
        assert.deepEqual(
            (containerOutputs(container, have).networkDatas as Array<{ networkName: string; ipAddress: string }>).map((n) => [n.networkName, n.ipAddress]),
            [["mac_net10", "172.16.10.10"], ["mac_net20", "172.16.20.10"]],
        );
        const stopped = { ...have, State: { Running: false, Status: "exited" } };
        assert.deepEqual(containerDiff(container, "sha256:abc", stopped), ["not running (exited)"]);
        assert.deepEqual(containerDiff(container, "sha256:new", have), ["settings changed", "image: want sha256:new, have sha256:abc"]);
    });

    it("refuses container, image, tag, push and volume inputs it cannot honour, naming each property", () => {
        assert.throws(() => parseContainer({ name: "c", image: "i", memory: 64, healthcheck: { tests: ["x"] } }), /^Error: memory, healthcheck: not supported by the lab driver for docker.Container$/);
        assert.throws(() => parseContainer({ name: "c", image: "i", entrypoints: ["a", "b"] }), /entrypoints with 2 elements/);
        assert.doesNotThrow(() => parseContainer({ name: "c", image: "i", attach: false, rm: false, logs: false }));
        assert.throws(() => parseContainer({ name: "c", image: "i", attach: true }), /^Error: attach: not supported/);
        assert.throws(() => parseRemoteImage({ name: "x", build: { context: "." } }), /^Error: build: not supported/);
        assert.throws(() => parseRegistryImage({ name: "x" }), /^Error: keepRemotely: the lab driver cannot delete a pushed image/);
        assert.throws(() => parseRegistryImage({ name: "x", keepRemotely: true, authConfig: { address: "r" } }), /^Error: authConfig: not supported/);
        assert.throws(() => parseTag({ sourceImage: "a" }), /^Error: targetImage is not set/);
        assert.throws(() => parseNetwork({ driver: "macvlan" }), /^Error: name is not set/);
        assert.throws(() => parseNetwork({ name: "n", ingress: true }), /^Error: ingress: not supported/);
        assert.deepEqual(volumeCreateArgv(parseVolume({ name: "data", labels: [{ label: "a", value: "b" }] })), ["docker", "volume", "create", "--driver", "local", "--label", "a=b", "--", "data"]);
    });

    it("reads the digest docker push prints", () => {
        const d = "a".repeat(64);
        assert.equal(pushedDigest(`v1: digest: sha256:${d} size: 527\n`), `sha256:${d}`);
        assert.equal(pushedDigest("nothing"), "");
    });
});

describe("lab driver: cli and names (pure)", () => {
    it("parses apply and destroy, and refuses what is missing or unknown", () => {
        assert.deepEqual(parseArgs(["destroy", "--state", "s.json", "--key", "k"]), { command: "destroy", flags: { "--state": "s.json", "--key": "k" }, verbose: false });
        assert.throws(() => parseArgs(["apply", "--program", "p"]), /^Error: apply needs --stack, --config-file, --state$/);
        assert.throws(() => parseArgs(["apply", "--frobnicate"]), /unknown argument "--frobnicate"/);
        assert.throws(() => parseArgs(["up"]), /unknown command "up"/);
    });

    it("names types and hosts the way the step lines print them", () => {
        assert.equal(shortType("docker:index/network:Network"), "docker.Network");
        assert.equal(shortType("command:remote:Command"), "remote.Command");
        assert.equal(hostLabel("192.168.1.11", 22, { "192.168.1.11": "docker01" }), "docker01");
        assert.equal(hostLabel("127.0.0.1", 2222), "127.0.0.1:2222");
    });

    it("takes the Docker connection's time limit from the provider's sshOpts", () => {
        assert.equal(dockerDialTimeout(["-i", "k", "-o", "ConnectTimeout=5"]), 5);
        assert.equal(dockerDialTimeout(["-oConnectTimeout=7"]), 7);
        assert.equal(dockerDialTimeout([]), 10);
    });
});

// -------------------------------------------------------------------------------------------------
// against a real sshd on 127.0.0.1

interface Run {
    code: number;
    stdout: string;
    stderr: string;
    ms: number;
}

/** Runs `argv` with a hard time limit (SIGKILL). */
function runBounded(argv: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
    const t0 = Date.now();
    return new Promise((resolve) => {
        const child = spawn(argv[0], argv.slice(1), { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolve({ code: code ?? (signal === "SIGKILL" ? 137 : 1), stdout, stderr, ms: Date.now() - t0 });
        });
    });
}

/** The driver's CLI in a fresh process (transpile-only: the type check is `npm run build`'s job). */
function driverArgv(args: string[]): string[] {
    return [process.execPath, "-r", "ts-node/register/transpile-only", path.join(REPO, "lab", "driver", "cli.ts"), ...args];
}

function cli(args: string[], timeoutMs = 60_000): Promise<Run> {
    return runBounded(driverArgv(args), timeoutMs);
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
    });
}

async function waitForPort(port: number, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
        const ok = await new Promise<boolean>((resolve) => {
            const c = net.connect(port, "127.0.0.1");
            c.once("connect", () => (c.destroy(), resolve(true)));
            c.once("error", () => resolve(false));
        });
        if (ok) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
}

/** A throwaway sshd for the tests: root by key only, on 127.0.0.1:<high port>. */
interface TestSshd {
    dir: string;
    port: number;
    keyFile: string;
    key: string;
    hostKey: string;
    pid: number;
    stop(): void;
}

async function startTestSshd(): Promise<TestSshd> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "driver-test-"));
    const keygen = async (file: string) => {
        const r = await runBounded(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "driver-test", "-f", file], 20_000);
        assert.equal(r.code, 0, r.stderr);
    };
    await keygen(path.join(dir, "hostkey"));
    await keygen(path.join(dir, "client"));
    fs.copyFileSync(path.join(dir, "client.pub"), path.join(dir, "authorized_keys"));
    fs.mkdirSync(path.join(dir, "work"));
    const port = await freePort();
    fs.writeFileSync(
        path.join(dir, "sshd_config"),
        [
            `Port ${port}`, "ListenAddress 127.0.0.1", `HostKey ${dir}/hostkey`, `PidFile ${dir}/sshd.pid`,
            `AuthorizedKeysFile ${dir}/authorized_keys`, "PermitRootLogin prohibit-password", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no", "MaxStartups 30", "LogLevel ERROR", "",
        ].join("\n"),
    );
    fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // sshd's privilege separation directory
    const child = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", path.join(dir, "sshd_config")], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (log += d));
    try {
        await waitForPort(port, 5000);
    } catch (e) {
        child.kill("SIGKILL");
        throw new Error(`${(e as Error).message}; sshd said: ${log}`);
    }
    return {
        dir,
        port,
        keyFile: path.join(dir, "client"),
        key: fs.readFileSync(path.join(dir, "client"), "utf8"),
        hostKey: fs.readFileSync(path.join(dir, "hostkey.pub"), "utf8").trim(),
        pid: child.pid ?? 0,
        stop: () => {
            child.kill("SIGTERM");
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

describe("lab driver: remote.Command over a real sshd", function () {
    this.timeout(60_000);
    let sshd: TestSshd;
    let n = 0;

    before(async function () {
        if (process.getuid?.() !== 0 || !fs.existsSync("/usr/sbin/sshd")) {
            console.log("      skipping: needs root and /usr/sbin/sshd (Debian's openssh-server)");
            this.skip();
        }
        sshd = await startTestSshd();
    });

    after(() => sshd?.stop());

    /** A fresh work dir, config file and state path for one apply. */
    function setup(extra: Record<string, string> = {}, port?: number): { work: string; cfg: string; state: string } {
        const base = path.join(sshd.dir, `case${++n}`);
        const work = path.join(base, "work");
        fs.mkdirSync(work, { recursive: true });
        const cfg = path.join(base, "cfg.json");
        fs.writeFileSync(
            cfg,
            JSON.stringify({
                config: {
                    "macvlan-lab:host": "127.0.0.1",
                    "macvlan-lab:port": String(port ?? sshd.port),
                    "macvlan-lab:dir": work,
                    "macvlan-lab:sshPrivateKey": sshd.key,
                    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`macvlan-lab:${k}`, v])),
                },
                secretKeys: ["macvlan-lab:sshPrivateKey"],
            }),
        );
        return { work, cfg, state: path.join(base, "state.json") };
    }

    const apply = (fixture: string, c: { cfg: string; state: string }, stack = "t", timeoutMs = 60_000) =>
        cli(["apply", "--program", path.join(FIXTURES, fixture), "--stack", stack, "--config-file", c.cfg, "--state", c.state], timeoutMs);

    it("runs a Command's create over ssh, returns its stdout as an output, and reports EMULATED lines", async () => {
        const c = setup();
        const r = await apply("commands.ts", c);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /^lab driver: a stand-in for the Pulumi engine and providers, for the local lab and tests only/);
        const port = sshd.port;
        assert.match(r.stdout, new RegExp(`^\\[127\\.0\\.0\\.1:${port}\\] remote\\.Command a: created \\(\\d+\\.\\ds\\)$`, "m"));
        assert.match(r.stdout, new RegExp(`^\\[127\\.0\\.0\\.1:${port}\\]   EMULATED: ens33\\.10 is a veth standing in for VLAN 10$`, "m"));
        const outputs = JSON.parse(/^outputs:\n([\s\S]*?\n})$/m.exec(r.stdout)?.[1] ?? "{}") as Record<string, string>;
        assert.equal(outputs.aStdout, "hello from a\nEMULATED: ens33.10 is a veth standing in for VLAN 10");
        assert.equal(outputs.key, "[secret]");
        assert.match(r.stdout, new RegExp(`^ssh sessions per host: 127\\.0\\.0\\.1:${port}=2$`, "m"));
    });

    it("starts B (dependsOn A) only after A finished, as measured on the host", async () => {
        const c = setup();
        const r = await apply("commands.ts", c);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        const t = (f: string) => BigInt(fs.readFileSync(path.join(c.work, f), "utf8").trim());
        assert.ok(t("a.end") - t("a.start") >= 1_000_000_000n, "A ran its 1 s");
        assert.ok(t("b.start") > t("a.end"), `B started ${t("b.start")} after A ended ${t("a.end")}`);
        const state = JSON.parse(fs.readFileSync(c.state, "utf8")) as { resources: Array<{ name: string }> };
        assert.deepEqual(state.resources.map((e) => e.name), ["a", "b"]);
    });

    it("runs nothing on a second apply with the same inputs; a changed trigger replaces B (create, then delete the old one)", async () => {
        const c = setup();
        assert.equal((await apply("commands.ts", c)).code, 0);
        const first = fs.readFileSync(path.join(c.work, "a.start"), "utf8");
        const again = await apply("commands.ts", c);
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stdout, /remote\.Command a: unchanged/);
        assert.match(again.stdout, /remote\.Command b: unchanged/);
        assert.match(again.stdout, /^ssh sessions per host: none$/m);
        assert.equal(fs.readFileSync(path.join(c.work, "a.start"), "utf8"), first);
        const changed = JSON.parse(fs.readFileSync(c.cfg, "utf8")) as { config: Record<string, string> };
        changed.config["macvlan-lab:bTrigger"] = "2";
        fs.writeFileSync(c.cfg, JSON.stringify(changed));
        const r = await apply("commands.ts", c);
        assert.equal(r.code, 0, r.stderr);
        const lines = r.stdout.split("\n").filter((l) => / remote\.Command /.test(l)).map((l) => l.replace(/ \(\d+\.\ds\)$/, "").replace(/^\[[^\]]+\] /, ""));
        assert.deepEqual(lines, ["remote.Command a: unchanged", "remote.Command b: replaced", "remote.Command b: deleted"]);
        assert.equal(fs.readFileSync(path.join(c.work, "deletes.log"), "utf8"), "b\n");
    });

    it("fails the apply on a failing script, naming host, resource and stderr; its dependent never runs", async () => {
        const c = setup();
        const r = await apply("failing.ts", c);
        assert.equal(r.code, 1);
        assert.match(r.stderr, new RegExp(`^  127\\.0\\.0\\.1:${sshd.port}: breaks: the create script exited with status 3: cannot configure ens33\\.10: no such device$`, "m"));
        assert.match(r.stdout, /remote\.Command breaks: failed/);
        assert.ok(!fs.existsSync(path.join(c.work, "after-breaks.ran")), "the dependent did not run");
        assert.ok(r.ms < 30_000);
    });

    it("fails on a resource type it does not know", async () => {
        const c = setup();
        const r = await apply("unknown.ts", c);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^  \(no host\): gadget: resource type lab:test:Gadget is not known to the lab driver/m);
    });

    it("fails within a bounded time on a port where nothing listens, naming the host", async () => {
        const port = await freePort();
        const c = setup({ dialErrorLimit: "2", perDialTimeout: "2" }, port);
        const r = await apply("commands.ts", c, "t", 30_000);
        assert.equal(r.code, 1);
        assert.match(r.stderr, new RegExp(`^  127\\.0\\.0\\.1:${port}: a: could not connect over SSH to root@127\\.0\\.0\\.1:${port} after 2 attempt\\(s\\) of at most 2 s: .*Connection refused`, "m"));
        assert.ok(r.ms < 15_000, `took ${r.ms} ms`);
    });

    it("fails within a bounded time on a host that accepts TCP but never speaks SSH", async () => {
        const sockets: net.Socket[] = [];
        const silent = net.createServer((s) => void sockets.push(s));
        await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
        const port = (silent.address() as net.AddressInfo).port;
        try {
            const c = setup({ dialErrorLimit: "2", perDialTimeout: "2" }, port);
            const r = await apply("commands.ts", c, "t", 40_000);
            assert.equal(r.code, 1);
            assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port}: a: could not connect over SSH .* after 2 attempt\\(s\\)`));
            assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
        } finally {
            sockets.forEach((s) => s.destroy());
            silent.close();
        }
    });

    it("checks a pinned hostKey: the right one connects, another one is refused", async () => {
        const ok = setup({ hostKey: sshd.hostKey });
        const r = await apply("commands.ts", ok);
        assert.equal(r.code, 0, r.stderr);
        const other = fs.readFileSync(path.join(sshd.dir, "client.pub"), "utf8").trim(); // a valid key, not the host's
        const bad = setup({ hostKey: other });
        const r2 = await apply("commands.ts", bad);
        assert.equal(r2.code, 1);
        assert.match(r2.stderr, /a: ssh to root@127\.0\.0\.1:\d+: the host key does not match the pinned one/);
    });

    it("destroys in reverse completion order with the key given again, removes the state, and is idempotent", async () => {
        const c = setup();
        assert.equal((await apply("commands.ts", c)).code, 0);
        const d = await cli(["destroy", "--state", c.state, "--key", sshd.keyFile]);
        assert.equal(d.code, 0, d.stdout + d.stderr);
        assert.equal(fs.readFileSync(path.join(c.work, "deletes.log"), "utf8"), "b\na\n");
        assert.ok(!fs.existsSync(c.state));
        const again = await cli(["destroy", "--state", c.state, "--key", sshd.keyFile]);
        assert.equal(again.code, 0);
        assert.match(again.stdout, /no state at .*; nothing to do/);
    });

    it("keeps destroying after a failure, reports it, exits non-zero and keeps what failed in the state", async () => {
        const c = setup();
        assert.equal((await apply("commands.ts", c)).code, 0);
        const state = JSON.parse(fs.readFileSync(c.state, "utf8")) as { resources: Array<{ name: string; delete: { script: string } }> };
        state.resources[1].delete.script = "echo 'b cannot go' >&2; exit 4"; // b's delete fails
        fs.writeFileSync(c.state, JSON.stringify(state));
        const d = await cli(["destroy", "--state", c.state, "--key", sshd.keyFile]);
        assert.equal(d.code, 1);
        assert.match(d.stderr, new RegExp(`^  127\\.0\\.0\\.1:${sshd.port}: b: the delete script exited with status 4: b cannot go$`, "m"));
        assert.equal(fs.readFileSync(path.join(c.work, "deletes.log"), "utf8"), "a\n", "a was still deleted");
        const left = JSON.parse(fs.readFileSync(c.state, "utf8")) as { resources: Array<{ name: string }> };
        assert.deepEqual(left.resources.map((e) => e.name), ["b"]);
    });

    it("never writes the private key to the state file or the output, and leaves no key file behind", async () => {
        // the driver's temp key directories go under TMPDIR: give this test's runs their own, so
        // concurrent drivers elsewhere on the machine cannot make the check flaky
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mvl-keytest-"));
        const savedTmp = process.env.TMPDIR;
        process.env.TMPDIR = tmp;
        try {
            const c = setup();
            const r = await apply("commands.ts", c);
            assert.equal(r.code, 0);
            const stateText = fs.readFileSync(c.state, "utf8");
            const f = await apply("failing.ts", setup());
            const d = await cli(["destroy", "--state", c.state, "--key", sshd.keyFile]);
            const keyLines = sshd.key.split("\n").filter((l) => l.length >= 16 && !l.startsWith("-----"));
            assert.ok(keyLines.length > 0);
            for (const text of [r.stdout, r.stderr, f.stdout, f.stderr, d.stdout, d.stderr, stateText]) {
                for (const l of keyLines) assert.ok(!text.includes(l), "a line of the key leaked");
            }
            const left = fs.readdirSync(tmp).filter((x) => x.startsWith("lab-driver-"));
            assert.deepEqual(left, [], "the temp key directories are removed");
        } finally {
            if (savedTmp === undefined) delete process.env.TMPDIR;
            else process.env.TMPDIR = savedTmp;
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });
});

// -------------------------------------------------------------------------------------------------
// Docker performers against a real dockerd: one lab host (lab/hosts), driven from its controller

describe("lab: the lab driver on a lab host (real sshd and dockerd)", function () {
    const LAB = "mvl-driver-test";
    let lab: LabHosts | undefined;
    let dir = "";
    const up = (): LabHosts => {
        assert.ok(lab, "the lab is up");
        return lab;
    };

    before(async function () {
        const problems = checkPrerequisites();
        if (problems.length > 0) {
            console.log(`      skipping the lab driver on a lab host: ${problems.join("; ")}`);
            this.skip();
        }
        this.timeout(180_000);
        lab = await hostsUp({
            name: LAB,
            hosts: [{ name: "docker01", address: "192.168.1.11", prefixLength: 24, nic: "ens33", sshPort: 22 }],
            vlans: [],
        });
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "driver-lab-test-"));
        writeConfig({});
    });

    after(async function () {
        this.timeout(180_000);
        if (lab !== undefined) await hostsDown(LAB);
        if (dir !== "") fs.rmSync(dir, { recursive: true, force: true });
    });

    function writeConfig(extra: Record<string, string>): void {
        const l = up();
        fs.writeFileSync(
            path.join(dir, "cfg.json"),
            JSON.stringify({
                config: {
                    "macvlan-lab:address": "192.168.1.11",
                    "macvlan-lab:parent": "ens33",
                    "macvlan-lab:sshKeyFile": l.privateKeyPath,
                    "macvlan-lab:sshKnownHostsFile": l.knownHostsPath,
                    "macvlan-lab:hostKey": l.hostKeys.docker01,
                    "macvlan-lab:sshPrivateKey": l.privateKey,
                    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`macvlan-lab:${k}`, v])),
                },
                secretKeys: ["macvlan-lab:sshPrivateKey"],
                hostNames: { "192.168.1.11": "docker01" },
            }),
        );
    }

    /** The driver's CLI inside the controller namespace, as the lab runs it. */
    const inController = (args: string[], timeoutMs = 120_000): Promise<Run> =>
        runBounded(["nsenter", `--net=/run/netns/${up().controllerNetns}`, ...driverArgv(args)], timeoutMs);
    const apply = (): Promise<Run> =>
        inController(["apply", "--program", path.join(FIXTURES, "docker.ts"), "--stack", "lab", "--config-file", path.join(dir, "cfg.json"), "--state", path.join(dir, "state.json")]);
    /** What the host itself says (not the driver): a shell in docker01's namespaces. */
    const onHost = async (cmd: string): Promise<string> => {
        const r = await up().exec("docker01", ["sh", "-c", cmd], { timeoutMs: 30_000 });
        assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
        return r.stdout;
    };
    const steps = (out: string): string[] =>
        out.split("\n").filter((l) => /^\[docker01\] (docker|remote)\./.test(l)).map((l) => l.replace(/ \(\d+\.\ds\)$/, "").replace(/^\[docker01\] /, "")).sort();
    const outputsOf = (out: string): Record<string, string> => JSON.parse(/^outputs:\n([\s\S]*?\n})$/m.exec(out)?.[1] ?? "{}") as Record<string, string>;
    /** Containers, networks, volumes, images and the NIC's flags: what an apply may change. */
    const snapshot = (): Promise<string> =>
        onHost(
            "docker ps -a --no-trunc --format '{{.ID}} {{.Names}} {{.Image}} {{.State}}' | sort; docker network ls --no-trunc --format '{{.ID}} {{.Name}} {{.Driver}}' | sort; " +
                "docker volume ls --format '{{.Name}}' | sort; docker images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort; ip -o link show ens33 | grep -o '<[^>]*>'",
        );

    it("creates the macvlan network, runs busybox with its static address, pushes to a registry and pulls back", async function () {
        this.timeout(150_000);
        const r = await apply();
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.deepEqual(steps(r.stdout), [
            "docker.Container docker01-bbox1: created",
            "docker.Container docker01-registry: created",
            "docker.Network docker01-mac-net: created",
            "docker.RegistryImage docker01-busybox-push: created",
            "docker.RemoteImage docker01-busybox: unchanged",
            "docker.RemoteImage docker01-pull-busybox-v1: created",
            "docker.RemoteImage docker01-registry-image: unchanged",
            "docker.Tag docker01-busybox-tag: created",
            "docker.Volume docker01-registry-data: created",
            "remote.Command docker01-forget-tag: created",
            "remote.Command docker01-promisc: created",
        ]);
        assert.match(r.stdout, /^\[docker01\]   EMULATED: nothing, ens33 is real$/m);
        const net = JSON.parse(await onHost("docker network inspect drv_mac_net"))[0] as {
            Driver: string; Options: Record<string, string>; IPAM: { Config: Array<Record<string, unknown>> };
        };
        assert.equal(net.Driver, "macvlan");
        assert.deepEqual(net.Options, { parent: "ens33", macvlan_mode: "bridge" });
        assert.deepEqual(net.IPAM.Config, [{ Subnet: "172.22.16.0/24", Gateway: "172.22.16.1", IPRange: "172.22.16.64/27", AuxiliaryAddresses: { "bbox2-docker02": "172.22.16.12" } }]);
        assert.equal(await onHost("docker inspect -f '{{.State.Running}} {{.NetworkSettings.Networks.drv_mac_net.IPAddress}}' bbox1"), "true 172.22.16.11\n");
        assert.match(await onHost("ip -o link show ens33"), /PROMISC/);
        const out = outputsOf(r.stdout);
        assert.equal(out.bboxAddress, "172.22.16.11");
        assert.equal(out.networkName, "drv_mac_net");
        assert.match(out.pushedDigest, /^sha256:[0-9a-f]{64}$/);
        assert.equal(out.pulledImageId, out.busyboxId, "the image pulled back from the registry is busybox");
        assert.equal((await onHost("docker image inspect -f '{{.Id}}' 127.0.0.1:5000/busybox:v1")).trim(), out.busyboxId);
    });

    it("changes nothing on the host when applied again", async function () {
        this.timeout(150_000);
        const before = await snapshot();
        const r = await apply();
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.ok(steps(r.stdout).every((s) => s.endsWith(": unchanged")), r.stdout);
        assert.equal(await snapshot(), before);
    });

    it("replaces the network when its ip-range changes, and the container on it", async function () {
        this.timeout(150_000);
        const oldNet = (await onHost("docker network inspect -f '{{.Id}}' drv_mac_net")).trim();
        writeConfig({ ipRange: "172.22.16.96/27" });
        const r = await apply();
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.ok(steps(r.stdout).includes("docker.Network docker01-mac-net: replaced"), r.stdout);
        assert.match(r.stdout, /replaced: subnet 172\.22\.16\.0\/24 ip-range: want 172\.22\.16\.96\/27, have 172\.22\.16\.64\/27/);
        const now = (await onHost("docker network inspect -f '{{.Id}} {{(index .IPAM.Config 0).IPRange}}' drv_mac_net")).trim().split(" ");
        assert.notEqual(now[0], oldNet);
        assert.equal(now[1], "172.22.16.96/27");
        assert.equal(await onHost("docker inspect -f '{{.State.Running}} {{.NetworkSettings.Networks.drv_mac_net.IPAddress}}' bbox1"), "true 172.22.16.11\n");
    });

    it("fails within a bounded time naming the host while its sshd is stopped, and converges once it is back", async function () {
        this.timeout(200_000);
        const before = await snapshot();
        await stopLabSshd(up(), "docker01");
        let r: Run;
        try {
            r = await apply();
        } finally {
            await startLabSshd(up(), "docker01");
        }
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /^  docker01: docker01-[a-z0-9-]+: could not connect over SSH to root@192\.168\.1\.11:22 after \d attempt\(s\) of at most 5 s: .*Connection refused/m);
        assert.ok(r.ms < 60_000, `took ${r.ms} ms`);
        const again = await apply();
        assert.equal(again.code, 0, again.stdout + again.stderr);
        assert.ok(steps(again.stdout).every((s) => s.endsWith(": unchanged")), again.stdout);
        assert.equal(await snapshot(), before);
    });

    it("fails on a container that exits at once, naming host, resource and its logs; destroy removes what was left", async function () {
        this.timeout(150_000);
        const state = path.join(dir, "bad-state.json");
        const r = await inController(["apply", "--program", path.join(FIXTURES, "docker-bad.ts"), "--stack", "bad", "--config-file", path.join(dir, "cfg.json"), "--state", state]);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /^  docker01: docker01-bad: container drv-bad is not running after start \(exited, exit code 1\): cannot start$/m);
        const recorded = JSON.parse(fs.readFileSync(state, "utf8")) as { resources: Array<{ name: string; failed?: boolean }> };
        assert.deepEqual(recorded.resources.map((e) => [e.name, e.failed ?? false]), [["docker01-busybox", false], ["docker01-bad", true]]);
        assert.equal(await onHost("docker ps -a --filter name=drv-bad --format '{{.Names}}'"), "drv-bad\n");
        const d = await inController(["destroy", "--state", state, "--key", up().privateKeyPath]);
        assert.equal(d.code, 0, d.stdout + d.stderr);
        assert.equal(await onHost("docker ps -a --filter name=drv-bad --format '{{.Names}}'"), "");
    });

    it("destroys in reverse: containers, network, volume, pushed-and-pulled image and promisc gone, preloaded images kept", async function () {
        this.timeout(150_000);
        const l = up();
        const d = await inController(["destroy", "--state", path.join(dir, "state.json"), "--key", l.privateKeyPath]);
        assert.equal(d.code, 0, d.stdout + d.stderr);
        assert.match(d.stdout, /docker\.RemoteImage docker01-busybox: kept/);
        assert.match(d.stdout, /image 127\.0\.0\.1:5000\/busybox:v1 removed/);
        const lines = d.stdout.split("\n").filter((x) => /^\[docker01\] (docker|remote)\./.test(x)).map((x) => x.split(" ")[2].replace(/:$/, ""));
        const at = (n: string): number => lines.indexOf(n);
        assert.equal(lines.length, 11);
        assert.equal(lines[0], "docker01-pull-busybox-v1", "the last to complete is deleted first");
        for (const [first, then] of [
            ["docker01-bbox1", "docker01-mac-net"], ["docker01-mac-net", "docker01-promisc"], ["docker01-registry", "docker01-registry-data"],
            ["docker01-forget-tag", "docker01-busybox-push"], ["docker01-busybox-push", "docker01-busybox-tag"], ["docker01-bbox1", "docker01-busybox"],
        ]) {
            assert.ok(at(first) >= 0 && at(first) < at(then), `${first} is deleted before ${then}: ${lines.join(", ")}`);
        }
        assert.equal(await onHost("docker ps -aq"), "");
        assert.equal(await onHost("docker network ls --format '{{.Name}}' | sort | tr '\\n' ' '"), "bridge host none ");
        assert.equal(await onHost("docker volume ls -q"), "");
        assert.equal(await onHost("docker images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\\n' ' '"), "busybox:latest registry:2 ");
        assert.doesNotMatch(await onHost("ip -o link show ens33"), /PROMISC/);
        assert.ok(!fs.existsSync(path.join(dir, "state.json")));
    });
});

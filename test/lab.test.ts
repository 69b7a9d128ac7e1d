/**
 * The local lab end to end: both tutorial labs built on this machine (lab/hosts) and the program
 * applied to them for real (lab/driver, through lab/cli.ts). Every assertion is about what is
 * observed on the hosts (pings run with docker exec, links, files, Docker objects), not about what
 * the program declared. Root only; the Debian packages of lab/packages.txt are installed first when
 * missing. Elsewhere the tests say why they skip.
 *
 * Each lab has a name unique to this test process (`mvllt-<pid>-...`), so concurrent runs do not
 * collide; labs of earlier runs that died are swept first. Every lab is torn down in after() hooks,
 * on failure too.
 */
import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LabHosts, attachLab, checkPrerequisites, hostsUp, startSshd, stopSshd } from "../lab/hosts";
import { isAlive, run } from "../lab/hosts/proc";
import {
    DriverOutcome,
    REPO_ROOT,
    applyOnLab,
    checkTimes,
    destroyOnLab,
    downLab,
    formatMatrix,
    labsWithNamespaces,
    parseCli,
    parseDriverStdout,
    parseStepLine,
    readRecord,
    recordedLabs,
    runPaths,
} from "../lab/cli";
import { ensurePackages, parsePackageList } from "../lab/packages";
import { LabSnapshot, diffSnapshots, parseLinks, snapshotLab } from "../lab/snapshot";
import { LoadedStack, driverConfig, loadStack, managementPrefixLength, topologyOf } from "../lab/topology";

const PREFIX = "mvllt-";
const MV = `${PREFIX}${process.pid}-mv`;
const SN = `${PREFIX}${process.pid}-sn`;
const SNAPSHOT_DIRS = ["/etc/sysconfig/network-scripts", "/etc/modules-load.d"];

function log(line: string): void {
    if (process.env.LAB_TEST_VERBOSE) console.log(`      | ${line}`);
}

/** Why the lab tests cannot run here (installing missing packages first), or undefined. */
let whyNot: string | undefined | null = null;
async function labUnavailable(): Promise<string | undefined> {
    if (whyNot !== null) return whyNot;
    if (process.getuid?.() !== 0) {
        whyNot = "the lab needs root (network and mount namespaces, dockerd)";
        return whyNot;
    }
    const pk = await ensurePackages((l) => console.log(`      | ${l}`));
    const problems = [...pk.problems, ...checkPrerequisites()];
    whyNot = problems.length > 0 ? problems.join("; ") : undefined;
    return whyNot;
}

/** Tears down labs of test runs whose process is gone (a killed run). */
async function sweepStaleTestLabs(): Promise<void> {
    const re = new RegExp(`^${PREFIX}(\\d+)-`);
    const names = new Set<string>();
    const labDir = path.join(REPO_ROOT, ".lab");
    for (const n of [...labsWithNamespaces(), ...recordedLabs(), ...(fs.existsSync(labDir) ? fs.readdirSync(labDir) : [])]) {
        const m = re.exec(n);
        if (m && !isAlive(Number(m[1]))) names.add(n);
    }
    for (const n of names) {
        console.log(`      | sweeping ${n}, left by a test run that died`);
        await downLab(n, log, { transpileOnly: true });
    }
}

function loaded(stack: string): LoadedStack {
    const l = loadStack(stack);
    assert.deepEqual(l.errors, []);
    return l.stack as LoadedStack;
}

async function sh(lab: LabHosts, host: string, script: string, timeoutMs = 30_000) {
    return lab.exec(host, ["sh", "-c", script], { timeoutMs });
}

/** `ping` from inside a container, run by the test on the host. */
async function ping(lab: LabHosts, host: string, container: string, address: string) {
    return sh(lab, host, `docker exec ${container} ping -c 2 -W 2 ${address}`);
}

function assertApplied(out: DriverOutcome, what: string): void {
    assert.equal(out.code, 0, `${what} failed (${out.code}):\n${out.stderr}\n${out.stdout.split("\n").slice(-30).join("\n")}`);
}

function noDiff(before: LabSnapshot, after: LabSnapshot, what: string): void {
    const d = diffSnapshots(before, after);
    assert.deepEqual(d, [], `${what}: the hosts differ:\n  ${d.join("\n  ")}`);
}

/** The whole lab CLI as a user runs it, in a child process. */
function cli(args: string[]): ChildProcess & { output: () => string; done: Promise<number> } {
    if (interrupted) throw new Error("interrupted: no new lab runs");
    const child = spawn(process.execPath, [require.resolve("ts-node/dist/bin.js"), path.join(REPO_ROOT, "lab", "cli.ts"), ...args], {
        cwd: REPO_ROOT,
        env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true, // a Ctrl-C reaches only this process, which stops the run once (SIGTERM)
    });
    children.add(child);
    child.on("close", () => children.delete(child));
    let text = "";
    child.stdout?.on("data", (d: Buffer) => (text += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (text += d.toString()));
    const done = new Promise<number>((resolve) => child.on("close", (code, sig) => resolve(code ?? (sig === "SIGKILL" ? 137 : 128))));
    return Object.assign(child, { output: () => text, done });
}

async function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms)));
    try {
        return await Promise.race([p, t]);
    } finally {
        clearTimeout(timer);
    }
}

/** CLI runs this process started and has not seen end: stopped first on an interrupt. */
const children = new Set<ChildProcess>();
/** Stops the drivers this process runs (they save their state) on an interrupt. */
const stopDrivers = new AbortController();
const driverPids = new Set<number>();
/** Options of every driver run of the tests: fast start, stopped on an interrupt. */
function driverOpts(what: string) {
    return { log: (l: string) => log(`${what}: ${l}`), transpileOnly: true, signal: stopDrivers.signal, onStart: (pid: number) => driverPids.add(pid) };
}

/**
 * Mocha (serial) has no SIGINT/SIGTERM handler of its own, so an interrupted run would leave its
 * labs up: this one stops the CLI runs it started, tears down this process's labs, then exits 130.
 * A third signal exits at once (the next run sweeps what is left).
 */
let interrupted = false;
/** The interrupt's tear-down, which after() hooks wait for (so mocha cannot finish before it). */
let interruptTeardown: Promise<unknown> = Promise.resolve();
let signals = 0;
function onInterrupt(sig: NodeJS.Signals): void {
    signals++;
    // wrappers often send SIGINT and then SIGTERM: a second signal does not cut the tear-down short
    if (signals >= 3) process.exit(130);
    if (interrupted) {
        console.error(`      ${sig}: still tearing down (bounded); a third signal exits at once`);
        return;
    }
    interrupted = true;
    console.error(`\n      ${sig}: tearing down the labs of this test run (${MV}, ${SN}) before exiting`);
    stopDrivers.abort();
    const driversGone = new Promise<void>((resolve) => {
        const until = Date.now() + 35_000;
        const poll = setInterval(() => {
            if ([...driverPids].every((p) => !isAlive(p)) || Date.now() > until) {
                clearInterval(poll);
                resolve();
            }
        }, 200);
    });
    const stopChildren = [driversGone, ...[...children].map(
        (c) =>
            new Promise<void>((resolve) => {
                if (c.exitCode !== null || c.signalCode !== null) return resolve();
                c.once("close", () => resolve());
                c.kill("SIGTERM");
                setTimeout(() => (c.kill("SIGKILL"), resolve()), 60_000).unref();
            }),
    )];
    interruptTeardown = Promise.all(stopChildren)
        .then(() => Promise.all([MV, SN].map((n) => downLab(n, () => undefined, { transpileOnly: true }))))
        .finally(() => process.exit(130));
}

function catchInterrupts(): void {
    if (process.listeners("SIGINT").includes(onInterrupt)) return;
    process.on("SIGINT", onInterrupt);
    process.on("SIGTERM", onInterrupt);
}

function namespacesOf(name: string): string[] {
    return fs.existsSync("/run/netns") ? fs.readdirSync("/run/netns").filter((n) => n.startsWith(`${name}_`)) : [];
}

// ---------------------------------------------------------------------------------------------

describe("lab: stack -> lab topology and driver config (pure)", () => {
    it("derives each stack's hosts, one management /24, and the VLAN segments", () => {
        const mv = topologyOf("x", loaded("multi-vlan").spec);
        assert.deepEqual(mv, {
            errors: [],
            topology: {
                name: "x",
                hosts: [
                    { name: "docker01", address: "192.168.1.11", prefixLength: 24, nic: "ens33", sshPort: 22 },
                    { name: "docker02", address: "192.168.1.13", prefixLength: 24, nic: "ens33", sshPort: 22 },
                ],
                vlans: [
                    { id: 10, parent: "ens33", interfaceName: "ens33.10", hosts: ["docker01", "docker02"] },
                    { id: 20, parent: "ens33", interfaceName: "ens33.20", hosts: ["docker01", "docker02"] },
                ],
            },
        });
        assert.deepEqual(topologyOf("x", loaded("single-network").spec).topology?.vlans, []);
    });

    const prefixes: Array<[string[], number | undefined]> = [
        [["192.168.1.11", "192.168.1.13"], 24],
        [["192.168.1.11"], 24],
        [["10.0.0.5", "10.0.5.5"], 21],
        [["10.0.0.5", "10.0.8.5"], 20],
        [["192.168.1.0", "192.168.1.13"], 23], // .0 is the /24's network address
        [["192.168.0.255", "192.168.1.13"], 23], // .0.255 is a host address of 192.168.0.0/23
        [["192.168.1.255", "192.168.0.13"], 22], // .1.255 is the /23's broadcast
        [["10.1.2.3", "172.16.0.1"], undefined],
    ];
    for (const [addresses, expected] of prefixes) {
        it(`management prefix of ${addresses.join(", ")}: ${expected === undefined ? "none" : `/${expected}`}`, () => {
            assert.equal(managementPrefixLength(addresses), expected);
        });
    }

    it("refuses what the lab cannot build, naming the value and the fix", () => {
        const spec = loaded("single-network").spec;
        const bad = {
            ...spec,
            hosts: [
                { ...spec.hosts[0], ssh: { ...spec.hosts[0].ssh, address: "docker01.example.com", user: "admin" } },
                { ...spec.hosts[1], nicIsManagement: false },
            ],
        };
        assert.deepEqual(topologyOf("Bad_Name", bad).errors, [
            'lab name "Bad_Name" is not usable: 1 to 24 characters of [a-z0-9-], starting with a letter or digit (give one with --name)',
            'hosts[0] (docker01).address "docker01.example.com" is not an IPv4 address; the lab makes each host with its address, so give one (e.g. 192.168.1.11)',
            'hosts[0] (docker01).user "admin": the lab\'s hosts accept only root (with the lab\'s key); use user root for the lab',
            "hosts[1] (docker02).nicIsManagement is false: a lab host has one NIC (ens33) that carries its SSH address; set nicIsManagement: true for the lab",
        ]);
        const wide = { ...spec, hosts: [{ ...spec.hosts[0], ssh: { ...spec.hosts[0].ssh, address: "172.22.0.11" } }, { ...spec.hosts[1], ssh: { ...spec.hosts[1].ssh, address: "172.22.40.13" } }] };
        assert.deepEqual(topologyOf("x", wide).errors, [
            "networks (mac_net1).subnet 172.22.16.0/24 overlaps 172.22.0.0/18, the management subnet the lab derives from the hosts' addresses; use a subnet outside it",
        ]);
    });

    it("reports a missing stack and an invalid one with every problem, and builds nothing", () => {
        assert.match(loadStack("no-such-stack").errors[0], /^no stack "no-such-stack": there is no .*\/stacks\/Pulumi\.no-such-stack\.yaml; stacks: multi-vlan, single-network/);
        const dir = fs.mkdtempSync("/tmp/mvl-stacks-");
        try {
            const text = fs.readFileSync(path.join(REPO_ROOT, "stacks", "Pulumi.multi-vlan.yaml"), "utf8").replace("ip: 172.16.10.11", "ip: 172.16.10.10");
            fs.writeFileSync(path.join(dir, "Pulumi.dup.yaml"), text);
            const r = loadStack("dup", dir);
            assert.equal(r.stack, undefined);
            assert.equal(r.errors.length, 1);
            assert.match(r.errors[0], /172\.16\.10\.10.*docker01/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("gives the driver the stack's config with the lab's key (secret), key file, known_hosts and pinned host keys", () => {
        const s = loaded("multi-vlan");
        const cfg = driverConfig(s.config, s.spec, {
            privateKey: "KEY",
            privateKeyPath: "/lab/id",
            knownHostsPath: "/lab/known_hosts",
            hostKeys: { docker01: "ssh-ed25519 AAAA1", docker02: "ssh-ed25519 AAAA2" },
        });
        assert.deepEqual(cfg.secretKeys, ["macvlan-lab:sshPrivateKey"]);
        assert.equal(cfg.config["macvlan-lab:sshPrivateKey"], "KEY");
        assert.equal(cfg.config["macvlan-lab:sshKeyFile"], "/lab/id");
        assert.equal(cfg.config["macvlan-lab:sshKnownHostsFile"], "/lab/known_hosts");
        assert.deepEqual(JSON.parse(cfg.config["macvlan-lab:hosts"]), [
            { name: "docker01", address: "192.168.1.11", nic: "ens33", backend: "ifcfg", hostKey: "ssh-ed25519 AAAA1" },
            { name: "docker02", address: "192.168.1.13", nic: "ens33", backend: "ifcfg", hostKey: "ssh-ed25519 AAAA2" },
        ]);
        assert.equal(cfg.config["macvlan-lab:vlans"], s.config["macvlan-lab:vlans"]);
        assert.deepEqual(cfg.hostNames, { "192.168.1.11": "docker01", "192.168.1.13": "docker02" });
    });

    it("parses the driver's step lines, outputs and sessions; prints the matrix as a table", () => {
        assert.deepEqual(parseStepLine("[docker01] remote.Command lab-checks-docker01: created (11.5s)"), {
            host: "docker01", type: "remote.Command", name: "lab-checks-docker01", status: "created", seconds: 11.5,
        });
        assert.equal(parseStepLine("[docker01]   EMULATED: x"), undefined);
        const stdout = [
            "[docker02] remote.Command lab-checks-docker02: created (4.4s)",
            "[docker01] remote.Command lab-checks-docker01: created (11.5s)",
            "[docker01] docker.Container lab-docker01-bbox10-container: unchanged (0.6s)",
            "outputs:",
            '{ "checks": [ { "source": "docker01/bbox10", "target": "docker02/bbox10", "network": "mac_net10", "targetIp": "172.16.10.11", "expected": "reachable", "observed": "reachable", "ok": true } ] }',
            "ssh sessions per host: docker01=34 docker02=23",
            "apply done in 18.2 s: 3 step(s), state in x",
        ].join("\n");
        const p = parseDriverStdout(stdout);
        assert.equal(p.steps.length, 3);
        assert.deepEqual(p.sshSessions, { docker01: 34, docker02: 23 });
        assert.deepEqual(checkTimes(p.steps), { seconds: 11.5, perHost: { docker02: 4.4, docker01: 11.5 } });
        assert.equal(
            formatMatrix(p.outputs?.checks ?? []),
            [
                "source           target                          network    expected   observed   ok",
                "---------------  ------------------------------  ---------  ---------  ---------  --",
                "docker01/bbox10  docker02/bbox10 (172.16.10.11)  mac_net10  reachable  reachable  ok",
            ].join("\n"),
        );
    });

    it("reads the command line of npm run lab and lab:down", () => {
        assert.deepEqual(parseCli(["up", "multi-vlan"]), { command: "up", stack: "multi-vlan", name: undefined, verbose: false });
        assert.deepEqual(parseCli(["down"]), { command: "down", stack: undefined, name: undefined, verbose: false });
        assert.deepEqual(parseCli(["down", "multi-vlan"]), { command: "down", stack: "multi-vlan", name: undefined, verbose: false });
        assert.deepEqual(parseCli(["up", "single-network", "--name", "x1", "--verbose"]), { command: "up", stack: "single-network", name: "x1", verbose: true });
        assert.equal(parseCli(["up"]), undefined);
        assert.equal(parseCli(["up", "a", "b"]), undefined);
        assert.equal(parseCli(["up", "a", "--bogus"]), undefined);
        assert.equal(parseCli([]), undefined);
    });

    it("reads lab/packages.txt: one package a line, comments and blanks ignored, names checked", () => {
        assert.deepEqual(parsePackageList("# x\ndocker.io\n\nbusybox-static  # the busybox image\ndocker.io\n"), ["docker.io", "busybox-static"]);
        assert.throws(() => parsePackageList("docker.io; rm -rf /\n"), /is not a Debian package name/);
    });

    it("names the random host side of a container's veth on a Docker bridge by its bridge and order", () => {
        const links = parseLinks(
            JSON.stringify([
                { ifname: "vethf00ba12@if5", flags: ["UP"], mtu: 1500, operstate: "UP", address: "aa:aa:aa:aa:aa:aa", master: "docker0", linkinfo: { info_kind: "veth" }, ifindex: 7 },
                { ifname: "ens33@if9", flags: ["UP", "PROMISC"], mtu: 1500, operstate: "UP", address: "bb:bb:bb:bb:bb:bb", linkinfo: { info_kind: "veth" }, promiscuity: 1 },
            ]),
        );
        assert.deepEqual(links, {
            "docker0-port1": { flags: ["UP"], mtu: 1500, operstate: "UP", kind: "veth", master: "docker0" },
            ens33: { flags: ["PROMISC", "UP"], mtu: 1500, operstate: "UP", mac: "bb:bb:bb:bb:bb:bb", kind: "veth" },
        });
    });
});

// ---------------------------------------------------------------------------------------------

describe("lab: multi-vlan (hosts, apply, what the hosts show, idempotency, an unreachable host, destroy)", function () {
    let lab: LabHosts | undefined;
    let stack: LoadedStack;
    let s0: LabSnapshot; // right after the hosts came up
    let s1: LabSnapshot; // after the first apply
    let apply1: DriverOutcome;
    const apply = (what: string) => applyOnLab(lab as LabHosts, stack, driverOpts(what));

    before(async function () {
        this.timeout(300_000);
        const why = interrupted ? "interrupted" : await labUnavailable();
        if (why !== undefined) {
            console.log(`      skipping the multi-vlan lab: ${why}`);
            this.skip();
        }
        catchInterrupts();
        await sweepStaleTestLabs();
        stack = loaded("multi-vlan");
        const topo = topologyOf(MV, stack.spec);
        assert.deepEqual(topo.errors, []);
        lab = await hostsUp(topo.topology as NonNullable<typeof topo.topology>, { log });
        s0 = await snapshotLab(lab, { dirs: SNAPSHOT_DIRS });
        apply1 = await apply("apply 1");
        assertApplied(apply1, "the first apply");
        s1 = await snapshotLab(lab, { dirs: SNAPSHOT_DIRS });
    });

    after(async function () {
        this.timeout(180_000);
        if (interrupted) {
            await interruptTeardown; // the interrupt handler tears down, then exits 130
            return;
        }
        if (lab !== undefined || fs.existsSync(runPaths(MV).dir) || namespacesOf(MV).length > 0) {
            await downLab(MV, log, { transpileOnly: true });
        }
    });

    it("pings bbox10 <-> bbox10 across the hosts on mac_net10 and bbox20 <-> bbox20 on mac_net20 (run by the test in the containers)", async function () {
        this.timeout(60_000);
        const l = lab as LabHosts;
        const pairs: Array<[string, string, string]> = [
            ["docker01", "bbox10", "172.16.10.11"],
            ["docker02", "bbox10", "172.16.10.10"],
            ["docker01", "bbox20", "172.16.20.21"],
            ["docker02", "bbox20", "172.16.20.20"],
        ];
        for (const [host, c, to] of pairs) {
            const r = await ping(l, host, c, to);
            assert.equal(r.code, 0, `${host}/${c} -> ${to}: ${r.stdout}${r.stderr}`);
            assert.match(r.stdout, /2 packets transmitted, 2 packets received/);
        }
    });

    it("keeps mac_net10 and mac_net20 apart: bbox10 reaches no bbox20, on the other host or its own", async function () {
        this.timeout(60_000);
        const l = lab as LabHosts;
        for (const [host, to] of [["docker01", "172.16.20.21"], ["docker01", "172.16.20.20"], ["docker02", "172.16.20.20"]]) {
            const r = await ping(l, host, "bbox10", to);
            assert.notEqual(r.code, 0, `${host}/bbox10 reached ${to}: ${r.stdout}`);
            assert.match(r.stdout, /2 packets transmitted, 0 packets received/);
        }
    });

    it("has busybox:v1 in the registry on docker01:5000 (asked from docker02) and docker02 pulled it from there", async function () {
        this.timeout(60_000);
        const l = lab as LabHosts;
        const tags = await l.exec("docker02", [
            "python3", "-c",
            "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://192.168.1.11:5000/v2/busybox/tags/list', timeout=5).read().decode())",
        ], { timeoutMs: 20_000 });
        assert.equal(tags.code, 0, tags.stderr);
        assert.deepEqual(JSON.parse(tags.stdout), { name: "busybox", tags: ["v1"] });
        const img = await sh(l, "docker02", "docker image inspect --format '{{json .RepoDigests}} {{.Id}}' 192.168.1.11:5000/busybox:v1");
        assert.equal(img.code, 0, `docker02 has no 192.168.1.11:5000/busybox:v1: ${img.stderr}`);
        // a repo digest from the registry: the image came by a pull, not by a local tag
        assert.match(img.stdout, /^\["192\.168\.1\.11:5000\/busybox@sha256:[0-9a-f]{64}"\] sha256:/);
        const src = await sh(l, "docker01", "docker image inspect --format '{{.Id}}' busybox:latest");
        assert.equal(img.stdout.trim().split(" ")[1], src.stdout.trim(), "docker02's busybox:v1 is docker01's busybox:latest");
        for (const h of ["docker01", "docker02"]) {
            assert.ok(s1[h].images.some((i) => i.startsWith("192.168.1.11:5000/busybox:v1 ")), `${h}: ${s1[h].images.join(", ")}`);
        }
        assert.equal(s0.docker02.images.some((i) => i.startsWith("192.168.1.11:5000/")), false, "docker02 had no registry image before the apply");
    });

    it("keeps daemon.json's earlier keys on both hosts, adds the registry, and dockerd trusts it (reloaded)", async function () {
        this.timeout(30_000);
        for (const h of ["docker01", "docker02"]) {
            const before = JSON.parse(s0[h].daemonJson ?? "null") as Record<string, unknown>;
            assert.deepEqual(before, { "log-level": "warn" }, `${h}: the lab starts with a daemon.json of its own`);
            assert.deepEqual(JSON.parse(s1[h].daemonJson ?? "null"), { ...before, "insecure-registries": ["192.168.1.11:5000"] });
            const info = await sh(lab as LabHosts, h, "docker info --format '{{json .RegistryConfig.IndexConfigs}}'");
            assert.match(info.stdout, /"192\.168\.1\.11:5000":\{[^}]*"Secure":false/, `${h}: ${info.stdout}`);
        }
    });

    it("writes the VLAN ifcfg files with the expected content, the VLAN addresses are up, ens33 is promiscuous, 8021q persisted", () => {
        const vlanAddr: Record<string, Record<string, string>> = {
            docker01: { "10": "192.168.10.10", "20": "192.168.20.20" },
            docker02: { "10": "192.168.10.11", "20": "192.168.20.21" },
        };
        for (const h of ["docker01", "docker02"]) {
            for (const id of ["10", "20"]) {
                const file = `/etc/sysconfig/network-scripts/ifcfg-ens33.${id}`;
                assert.deepEqual(s1[h].files[file], {
                    mode: "0644",
                    content: [
                        `# macvlan-lab: VLAN ${id} on ens33, written by pulumi (delete puts back what was here before)`,
                        `DEVICE=ens33.${id}`,
                        `NAME=ens33.${id}`,
                        "BOOTPROTO=none",
                        "ONBOOT=yes",
                        "VLAN=yes",
                        "PHYSDEV=ens33",
                        `IPADDR=${vlanAddr[h][id]}`,
                        "PREFIX=24",
                        "",
                    ].join("\n"),
                }, `${h} ${file}`);
                assert.equal(s0[h].files[file], undefined);
                assert.deepEqual(s1[h].addresses[`ens33.${id}`], [{ family: "inet", local: vlanAddr[h][id], prefixlen: 24, scope: "global" }]);
                assert.ok(s1[h].links[`ens33.${id}`].flags.includes("UP"));
            }
            assert.ok(s1[h].links.ens33.flags.includes("PROMISC"), `${h} ens33: ${s1[h].links.ens33.flags}`);
            assert.ok(!s0[h].links.ens33.flags.includes("PROMISC"));
            assert.equal(s1[h].files["/etc/modules-load.d/8021q.conf"]?.content.split("\n").filter((x) => !x.startsWith("#") && x !== "").join(","), "8021q");
        }
    });

    it("says VLANs are emulated: the host networking steps print EMULATED lines on both hosts", () => {
        assert.equal((lab as LabHosts).vlanMode, "emulated");
        for (const h of ["docker01", "docker02"]) {
            for (const id of ["10", "20"]) {
                assert.match(apply1.stdout, new RegExp(`\\[${h}\\]   EMULATED: .*ifcfg-ens33\\.${id} is written as on a real host`));
            }
        }
    });

    it("changes nothing on any host when applied again, and the driver reports every step unchanged", async function () {
        this.timeout(120_000);
        const again = await apply("apply 2");
        assertApplied(again, "the second apply");
        assert.ok(again.steps.length >= 28, `${again.steps.length} steps`);
        assert.deepEqual(again.steps.filter((s) => s.status !== "unchanged").map((s) => `${s.name}: ${s.status}`), []);
        noDiff(s1, await snapshotLab(lab as LabHosts, { dirs: SNAPSHOT_DIRS }), "after a second apply");
    });

    it("fails within 60 s naming docker02 while its sshd is stopped; once it is back, the apply converges to a clean apply's state", async function () {
        this.timeout(240_000);
        const l = lab as LabHosts;
        // from clean hosts, so the failed apply leaves a half-made lab behind
        const d = await destroyOnLab(l, driverOpts("destroy"));
        assert.equal(d?.code, 0, d?.stderr);
        await stopSshd(l, "docker02");
        let failed: DriverOutcome;
        const t = Date.now();
        try {
            failed = await apply("apply 3 (docker02 down)");
        } finally {
            await startSshd(l, "docker02");
        }
        const seconds = (Date.now() - t) / 1000;
        assert.notEqual(failed.code, 0, "the apply with docker02's sshd stopped succeeded");
        assert.ok(seconds < 60, `failed after ${seconds} s`);
        assert.ok(failed.failures.some((f) => /^docker02: .*192\.168\.1\.13/.test(f)), `failures: ${failed.failures.join(" | ")}`);
        const back = await apply("apply 4 (docker02 back)");
        assertApplied(back, "the apply after docker02's sshd is back");
        noDiff(s1, await snapshotLab(l, { dirs: SNAPSHOT_DIRS }), "after converging");
        const rows = back.outputs?.checks ?? [];
        assert.ok(rows.length === 5 && rows.every((r) => r.ok), formatMatrix(rows));
    });

    it("destroy puts every host back to its snapshot from before the first apply", async function () {
        this.timeout(120_000);
        const d = await destroyOnLab(lab as LabHosts, driverOpts("destroy"));
        assert.equal(d?.code, 0, d?.stderr);
        noDiff(s0, await snapshotLab(lab as LabHosts, { dirs: SNAPSHOT_DIRS }), "after destroy");
        assert.equal(fs.existsSync(runPaths(MV).state), false, "the driver's state is gone");
    });
});

// ---------------------------------------------------------------------------------------------

describe("lab: single-network through the lab CLI, after a run killed with kill -9", function () {
    let lab: LabHosts | undefined;
    const killed = { namespacesAfterKill: [] as string[], driverGoneAfterKill: false, downCode: -1, namespacesAfterDown: [] as string[], recordAfterDown: true };
    let upCode = -1;
    let upText = "";

    before(async function () {
        this.timeout(300_000);
        const why = interrupted ? "interrupted" : await labUnavailable();
        if (why !== undefined) {
            console.log(`      skipping the single-network lab: ${why}`);
            this.skip();
        }
        catchInterrupts();
        await sweepStaleTestLabs();
        // 1. a run killed with kill -9 in the middle of its apply
        const first = cli(["up", "single-network", "--name", SN]);
        await bounded(
            new Promise<void>((resolve, reject) => {
                const timer = setInterval(() => {
                    if (/\] \S+ \S+: created \(/.test(first.output())) {
                        clearInterval(timer);
                        resolve();
                    } else if (first.exitCode !== null) {
                        clearInterval(timer);
                        reject(new Error(`the first run ended before its apply: ${first.output()}`));
                    }
                }, 100);
            }),
            120_000,
            "the first run's first step",
        );
        const driverPid = readRecord(SN)?.driverPid;
        first.kill("SIGKILL");
        await first.done;
        killed.namespacesAfterKill = namespacesOf(SN);
        const until = Date.now() + 35_000;
        while (driverPid !== undefined && isAlive(driverPid) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
        killed.driverGoneAfterKill = driverPid !== undefined && !isAlive(driverPid);
        // 2. lab:down cleans up after it
        const d = cli(["down", "--name", SN]);
        killed.downCode = await bounded(d.done, 180_000, "lab:down");
        killed.namespacesAfterDown = namespacesOf(SN);
        killed.recordAfterDown = fs.existsSync(runPaths(SN).dir);
        // 3. and the next run works
        const second = cli(["up", "single-network", "--name", SN]);
        upCode = await bounded(second.done, 240_000, "npm run lab");
        upText = second.output();
        log(upText);
        if (upCode === 0) lab = attachLab(SN);
    });

    after(async function () {
        this.timeout(180_000);
        if (interrupted) {
            await interruptTeardown; // the interrupt handler tears down, then exits 130
            return;
        }
        if (lab !== undefined || fs.existsSync(runPaths(SN).dir) || namespacesOf(SN).length > 0) await downLab(SN, log, { transpileOnly: true });
    });

    it("a run killed mid-apply leaves its lab, its driver stops with it, lab:down removes the lab, and the next run works", () => {
        assert.equal(killed.namespacesAfterKill.length, 4, `namespaces after kill -9: ${killed.namespacesAfterKill.join(", ")}`);
        assert.ok(killed.driverGoneAfterKill, "the driver outlived the killed run");
        assert.equal(killed.downCode, 0);
        assert.deepEqual(killed.namespacesAfterDown, []);
        assert.equal(killed.recordAfterDown, false);
        assert.equal(upCode, 0, upText);
    });

    it("pings bbox1 on docker01 <-> bbox2 on docker02 over mac_net1 (run by the test in the containers)", async function () {
        this.timeout(60_000);
        const l = lab as LabHosts;
        for (const [host, c, to] of [["docker01", "bbox1", "172.22.16.20"], ["docker02", "bbox2", "172.22.16.10"]]) {
            const r = await ping(l, host, c, to);
            assert.equal(r.code, 0, `${host}/${c} -> ${to}: ${r.stdout}${r.stderr}`);
            assert.match(r.stdout, /2 packets transmitted, 2 packets received/);
        }
    });

    it("has both hosts' ens33 promiscuous and mac_net1 on both with 172.22.16.0/24 and different ip-ranges inside it", async function () {
        this.timeout(30_000);
        const s = await snapshotLab(lab as LabHosts, { dirs: SNAPSHOT_DIRS });
        const ranges: string[] = [];
        for (const h of ["docker01", "docker02"]) {
            assert.ok(s[h].links.ens33.flags.includes("PROMISC"), `${h} ens33: ${s[h].links.ens33.flags}`);
            const n = s[h].networks.mac_net1;
            assert.ok(n !== undefined, `${h} has no mac_net1: ${Object.keys(s[h].networks)}`);
            assert.equal(n.driver, "macvlan");
            assert.equal(n.options.parent, "ens33");
            assert.equal(n.ipam.config.length, 1);
            assert.equal(n.ipam.config[0].Subnet, "172.22.16.0/24");
            assert.equal(n.ipam.config[0].Gateway, "172.22.16.1");
            const range = String(n.ipam.config[0].IPRange);
            assert.match(range, /^172\.22\.16\.\d+\/\d+$/);
            ranges.push(range);
        }
        assert.notEqual(ranges[0], ranges[1], `both hosts have ip-range ${ranges[0]}`);
    });

    it("prints a line per step, the matrix, and a container shell command and an ssh command that work as printed", async function () {
        this.timeout(60_000);
        assert.match(upText, /^ {2}\[docker01\] remote\.Command lab-docker01-parent-promisc: created \([0-9.]+s\)$/m);
        assert.match(upText, /^source +target +network +expected +observed +ok$/m);
        assert.match(upText, /^docker01\/bbox1 +docker02\/bbox2 \(172\.22\.16\.20\) +mac_net1 +reachable +reachable +ok$/m);
        assert.match(upText, /^ssh sessions per host \(this apply\): docker01 \d+, docker02 \d+$/m);
        assert.match(upText, /^hosts up +[0-9.]+ s /m);
        assert.match(upText, /^checks +[0-9.]+ s /m);
        const shell = /^ {2}(nsenter -t \d+ -m -u -n docker exec -it bbox1 sh) /m.exec(upText)?.[1];
        assert.ok(shell !== undefined, "no shell command for bbox1");
        // as a person runs it: on a terminal (script(1) gives it one)
        const r = await run(["script", "-q", "-e", "-c", shell, "/dev/null"], { input: "echo marker-$((6*7)); exit\n", timeoutMs: 20_000 });
        assert.match(r.stdout, /marker-42/, `${shell}: ${r.stdout}${r.stderr}`);
        const ssh = /^ {2}(nsenter -t \d+ -m -u -n ssh docker01)$/m.exec(upText)?.[1];
        assert.ok(ssh !== undefined, "no ssh command");
        const s = await run(["script", "-q", "-e", "-c", ssh, "/dev/null"], { input: "echo on-$(hostname); exit\n", timeoutMs: 20_000 });
        assert.match(s.stdout, /on-docker01/, `${ssh}: ${s.stdout}${s.stderr}`);
        assert.match(upText, new RegExp(`^ {2}npm run lab:down -- --name ${SN}$`, "m"));
    });

    it("applies again when run for a lab that is up (converge): every step unchanged", async function () {
        this.timeout(120_000);
        const again = cli(["up", "single-network", "--name", SN]);
        const code = await bounded(again.done, 110_000, "the second npm run lab");
        const text = again.output();
        assert.equal(code, 0, text);
        assert.match(text, /is up already: applying the stack again/);
        const steps = text.split("\n").map((l) => parseStepLine(l.trim())).filter((s) => s !== undefined);
        assert.ok(steps.length > 0);
        assert.deepEqual(steps.filter((s) => s?.status !== "unchanged"), []);
    });

    it("lab:down removes the lab (namespaces, processes, state) and a second lab:down has nothing to do", async function () {
        this.timeout(120_000);
        const keepers = [(lab as LabHosts).controllerKeeperPid, ...(lab as LabHosts).hosts.map((h) => h.keeperPid)];
        const d = cli(["down", "--name", SN]);
        assert.equal(await bounded(d.done, 110_000, "lab:down"), 0, d.output());
        assert.match(d.output(), /destroy [0-9.]+ s/);
        assert.deepEqual(namespacesOf(SN), []);
        assert.deepEqual(keepers.filter(isAlive), []);
        assert.equal(fs.existsSync(runPaths(SN).dir), false);
        assert.equal(fs.existsSync(path.join(REPO_ROOT, ".lab", SN)), false);
        lab = undefined;
        const again = cli(["down", "--name", SN]);
        assert.equal(await bounded(again.done, 60_000, "lab:down again"), 0, again.output());
        assert.match(again.output(), /nothing to tear down/);
    });
});

/**
 * The local lab end to end with the real Pulumi engine: both tutorial labs built on this machine
 * (lab/hosts) and the program applied to them by `pulumi up` (lab/pulumi/, through
 * lab/run/engine.ts; the CLI itself, lab/cli.ts, in a child process).
 * Every assertion is about what is observed on the hosts (pings run by the test with docker exec,
 * links, files, Docker objects) or about what pulumi itself reports (exit status, its resource
 * summary), not about what the program declared. Root only; the Debian packages of
 * lab/packages.txt are installed first when missing. Elsewhere the tests say why they skip.
 *
 * Each lab has a name unique to this test process (`mvllt-<pid>-...`), so concurrent runs do not
 * collide with each other or with the default labs (`multi-vlan`, `single-network`); labs of
 * earlier runs that died are swept first. Every lab is torn down in after() hooks, on failure too.
 * The measured times are printed as `time:` lines (set LAB_TEST_VERBOSE=1 for pulumi's output).
 */
import { strict as assert } from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { LabHosts, attachLab, hostsUp, startSshd, stopSshd } from "../../lab/hosts";
import { isAlive, run } from "../../lab/hosts/proc";
import { EngineOutcome, EngineRunOptions, UNATTENDED_ARGS, applyOnLab, destroyOnLab, labWorkspace, prepareEngine, pulumiOnLab } from "../../lab/run/engine";
import { REPO_ROOT, defaultStateDir } from "../../lab/paths";
import { downLab } from "../../lab/run/down";
import { formatMatrix } from "../../lab/run/output";
import { readRecord, runPaths } from "../../lab/run/records";
import { sweepStaleTestLabs } from "../helpers/labSweep";
import { labUnavailable, sh, skipIf } from "../helpers/labSuite";
import { Engine, PulumiRun, Workspace, ensureEngine, installPlugins, runPulumi, selectStack, setSecret, workspaceOf, writeWorkspace } from "../../lab/pulumi";
import { LabSnapshot, diffLabSettled, snapshotLab } from "../../lab/snapshot";
import { erroredResources, resourceSummary } from "../helpers/pulumiOutput";
import { LoadedStack, SECRET_KEY, loadStack, topologyOf } from "../../lab/topology";
import { configKey } from "../../components/contracts";
import { tail, assertApplied, noDiff, settledNoDiff } from "../helpers/labAssert";

const PREFIX = "mvllt-";
const MV = `${PREFIX}${process.pid}-mv`;
const SN = `${PREFIX}${process.pid}-sn`;
const SNAPSHOT_DIRS = ["/etc/sysconfig/network-scripts", "/etc/modules-load.d"];
const FIXTURE = path.join(REPO_ROOT, "test", "fixtures", "replace");
/**
 * The failing run with a host's sshd stopped must end by itself within this. Not a speed test: a
 * bound far from any normal run. A refused dial fails at once; the most one host command can wait
 * is its dial budget, (dialErrorLimit 5 + 1) x perDialTimeout 10 s plus the backoff (1.3 s), about
 * 61 s (the Docker provider's ssh: ConnectionAttempts 5 x ConnectTimeout 10 s); the whole failing
 * run took 3.2 s on the CI machine (its `time:` line). What the bound catches is a run that never gives up (dialErrorLimit -1, a
 * provider that ignores the limit), which would otherwise show only as this test's timeout (600 s).
 */
const UNREACHABLE_BOUND_S = 400;

function log(line: string): void {
    if (process.env.LAB_TEST_VERBOSE) console.log(`      | ${line}`);
}

/** A measured time, printed where mocha's output shows it. */
function timing(what: string, seconds: number): void {
    console.log(`      time: ${what}: ${seconds.toFixed(1)} s`);
}

function loaded(stack: string): LoadedStack {
    const l = loadStack(stack);
    assert.deepEqual(l.errors, []);
    return l.stack as LoadedStack;
}

/** `ping` from inside a container, run by the test on the host. */
async function ping(lab: LabHosts, host: string, container: string, address: string) {
    return sh(lab, host, `docker exec ${container} ping -c 2 -W 2 ${address}`);
}


/** The engine and a lab's Pulumi workspace (the stack selected), to run any pulumi command on it. */
async function labEngine(lab: LabHosts, stack: string): Promise<{ engine: Engine; ws: Workspace; pulumi: (args: string[]) => Promise<PulumiRun> }> {
    const { engine, ws } = prepareEngine(lab.name, log);
    await selectStack(ws, engine, stack);
    return { engine, ws, pulumi: (args) => pulumiOnLab(lab, ws, engine, [...args, "--stack", stack], engineOpts(args[0])) };
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
/** Stops the pulumi runs of this process (pulumi cancels and saves its state) on an interrupt. */
const stopEngines = new AbortController();
const enginePids = new Set<number>();
/** Options of every pulumi run of the tests: its output to the log, stopped on an interrupt. */
function engineOpts(what: string): EngineRunOptions {
    return {
        log: (l: string) => log(`${what}: ${l}`),
        signal: stopEngines.signal,
        onStart: (pid: number) => {
            enginePids.add(pid);
            void engineArgvOf(pid).then((argv) => engineArgv.set(what, argv));
        },
    };
}

/** What each pulumi the tests started really got (its /proc cmdline), by the run's label; undefined: never seen as pulumi. */
const engineArgv = new Map<string, string[] | undefined>();

/**
 * The argv of `pid` once it is pulumi: the lab starts `setpriv ... -- nsenter --net=... -- pulumi ...`,
 * and both exec (no fork), so the pid becomes pulumi's. Bounded: 400 looks, 50 ms apart.
 */
async function engineArgvOf(pid: number): Promise<string[] | undefined> {
    for (let i = 0; i < 400; i++) {
        let argv: string[];
        try {
            argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(0, -1);
        } catch {
            return undefined; // gone before it was seen as pulumi
        }
        if (argv.length > 0 && path.basename(argv[0]) === "pulumi") return argv;
        await new Promise((r) => setTimeout(r, 50));
    }
    return undefined;
}

/**
 * Mocha (serial) has no SIGINT/SIGTERM handler of its own, so an interrupted run would leave its
 * labs up: this one stops the CLI runs and pulumi runs it started, tears down this process's labs,
 * then exits 130. A third signal exits at once (the next run sweeps what is left).
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
    stopEngines.abort();
    const enginesGone = new Promise<void>((resolve) => {
        const until = Date.now() + 35_000;
        const poll = setInterval(() => {
            if ([...enginePids].every((p) => !isAlive(p)) || Date.now() > until) {
                clearInterval(poll);
                resolve();
            }
        }, 200);
    });
    const stopChildren = [enginesGone, ...[...children].map(
        (c) =>
            new Promise<void>((resolve) => {
                if (c.exitCode !== null || c.signalCode !== null) return resolve();
                c.once("close", () => resolve());
                c.kill("SIGTERM");
                setTimeout(() => (c.kill("SIGKILL"), resolve()), 60_000).unref();
            }),
    )];
    interruptTeardown = Promise.all(stopChildren)
        .then(() => Promise.all([MV, SN].map((n) => downLab(n, () => undefined))))
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

/** argv run in a network namespace of its own with only loopback up: no host, no route, nothing leaves. */
function isolated(argv: string[]): string[] {
    return ["unshare", "--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", ...argv];
}

describe("lab: a fresh stack previews cleanly once its hosts' keys are known (real engine, no hosts reachable)", function () {
    let engine: Engine | undefined;
    let tmp: string | undefined;

    before(async function () {
        this.timeout(30 * 60_000); // a cold engine build (lab/engine/build.sh) is minutes; warm it is instant
        if (process.getuid?.() !== 0) {
            console.log("      skipping the previews: they run pulumi in a network namespace of its own (unshare --net), which needs root");
            this.skip();
        }
        const missing = ["unshare", "ip", "ssh-keygen"].filter((b) => spawnSync("sh", ["-c", `command -v ${b}`]).status !== 0);
        if (missing.length > 0) {
            console.log(`      skipping the previews: ${missing.join(", ")} not installed (util-linux, iproute2, openssh-client)`);
            this.skip();
        }
        engine = ensureEngine((l) => console.log(`      | ${l}`));
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mvl-preview-"));
    });

    after(() => {
        if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
    });

    for (const stack of ["multi-vlan", "single-network"]) {
        it(`${stack}: stack init, config set --secret sshPrivateKey, preview: refused while no host key is known; with sshKnownHostsFile: exit 0, no errors, only creates`, async function () {
            this.timeout(180_000);
            const e = engine as Engine;
            const ws = workspaceOf(path.join(tmp as string, stack));
            // the stack file as a user has it (stacks/Pulumi.<stack>.yaml): nothing pinned, no key file
            const stackConfig = (yaml.load(fs.readFileSync(path.join(REPO_ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> }).config;
            writeWorkspace(ws, stack, stackConfig);
            installPlugins(ws.home);
            const keyFile = path.join(tmp as string, `${stack}-key`);
            const kg = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "preview-test", "-f", keyFile], { encoding: "utf8" });
            assert.equal(kg.status, 0, kg.stderr);
            await selectStack(ws, e, stack);
            await setSecret(ws, e, SECRET_KEY, fs.readFileSync(keyFile, "utf8"));
            // what the stack holds: the stack file's keys and the secret, nothing else
            const file = yaml.load(fs.readFileSync(path.join(ws.project, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
            assert.deepEqual(Object.keys(file.config).sort(), [...Object.keys(stackConfig), SECRET_KEY].sort());
            assert.ok(!JSON.stringify(file.config).includes("insecureIgnoreHostKey"), "the stack opts out of nothing");
            assert.ok(typeof file.config[SECRET_KEY] === "object" && "secure" in (file.config[SECRET_KEY] as object), "sshPrivateKey is stored encrypted");

            // issue 27: every host's key is verified, and nothing pins one yet: one error per host that
            // says how to get its key (a known_hosts file of the test's: not this machine's own)
            const knownHosts = path.join(tmp as string, `${stack}-known_hosts`);
            const hostsOf = (stackConfig[configKey("hosts")] as Array<{ name: string; address: string }>);
            await runPulumi(ws, e, ["config", "set", configKey("sshKnownHostsFile"), knownHosts]);
            const refused = await runPulumi(ws, e, ["preview", "--non-interactive", "--color", "never"], { wrap: isolated, timeoutMs: 150_000, onLine: (l) => log(`preview ${stack}: ${l}`) });
            const refusedText = `${refused.stdout}\n${refused.stderr}`;
            assert.notEqual(refused.code, 0, "a preview with no host key known passed");
            assert.match(refusedText, new RegExp(`the stack's config has ${hostsOf.length} problems`));
            hostsOf.forEach((h, i) => {
                assert.ok(
                    refusedText.includes(`hosts[${i}].hostKey is not set for ${h.name}, and there is no known_hosts file at ${knownHosts} to take it from (sshKnownHostsFile): nothing would verify that ${h.address} is ${h.name}; get it with ssh-keyscan -t ed25519 ${h.address}`),
                    tail(refusedText),
                );
            });
            // the user adds the hosts' keys to a known_hosts file (here: keys made for the test)
            fs.writeFileSync(
                knownHosts,
                hostsOf
                    .map((h) => {
                        const f = path.join(tmp as string, `${stack}-${h.name}-hostkey`);
                        assert.equal(spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", f]).status, 0);
                        return `${h.address} ${fs.readFileSync(`${f}.pub`, "utf8").trim()}\n`;
                    })
                    .join(""),
            );
            const r = await runPulumi(ws, e, ["preview", "--non-interactive", "--color", "never"], { wrap: isolated, timeoutMs: 150_000, onLine: (l) => log(`preview ${stack}: ${l}`) });
            timing(`preview of a fresh ${stack} stack`, r.seconds);
            const text = `${r.stdout}\n${r.stderr}`;
            assert.equal(r.code, 0, `preview failed (${r.code}):\n${r.stderr}\n${tail(r.stdout)}`);
            assert.deepEqual(text.split("\n").filter((l) => /\berror:/.test(l)), []);
            assert.doesNotMatch(text, /missing configuration values/);
            const summary = resourceSummary(r.stdout);
            assert.deepEqual(Object.keys(summary), ["to create"], `summary: ${JSON.stringify(summary)}`);
            assert.ok(summary["to create"] > 10, `summary: ${JSON.stringify(summary)}`);
            const warnings = [...new Set(text.split("\n").map((l) => l.trim()).filter((l) => /^warning: /.test(l) || / warning: /.test(l)).map((l) => l.replace(/^.* warning: /, "warning: ")))];
            if (warnings.length > 0) console.log(`      | ${stack} preview warnings: ${warnings.join(" | ")}`);
        });
    }
});

// ---------------------------------------------------------------------------------------------

describe("lab: multi-vlan with the real engine (hosts, pulumi up, what the hosts show, no changes, delete-before-replace, destroy, an unreachable host)", function () {
    let lab: LabHosts | undefined;
    let stack: LoadedStack;
    let s0: LabSnapshot; // right after the hosts came up
    let s1: LabSnapshot; // after the first pulumi up
    let apply1: EngineOutcome;
    const apply = (what: string, extraArgs: string[] = []) => applyOnLab(lab as LabHosts, stack, { ...engineOpts(what), extraArgs });

    before(async function () {
        this.timeout(600_000);
        skipIf(this, interrupted ? "interrupted" : await labUnavailable(), "the multi-vlan lab");
        catchInterrupts();
        await sweepStaleTestLabs(new RegExp(`^${PREFIX}(\\d+)-`), log);
        stack = loaded("multi-vlan");
        const topo = topologyOf(MV, stack.spec);
        assert.deepEqual(topo.errors, []);
        lab = await hostsUp(topo.topology as NonNullable<typeof topo.topology>, { log });
        s0 = await snapshotLab(lab, { dirs: SNAPSHOT_DIRS });
        apply1 = await apply("up 1");
        timing("multi-vlan: first pulumi up", apply1.seconds);
        assertApplied(apply1, "the first pulumi up");
        s1 = await snapshotLab(lab, { dirs: SNAPSHOT_DIRS });
    });

    after(async function () {
        this.timeout(300_000);
        if (interrupted) {
            await interruptTeardown; // the interrupt handler tears down, then exits 130
            return;
        }
        if (lab !== undefined || fs.existsSync(runPaths(MV).dir) || namespacesOf(MV).length > 0) {
            await downLab(MV, log);
        }
    });

    it("pulumi up ran unattended: pulumi's own argv (read from /proc) has --yes --skip-preview --non-interactive --color never", () => {
        assert.deepEqual(engineArgv.get("up 1")?.slice(1), ["up", "--yes", "--skip-preview", "--non-interactive", "--color", "never"], `pulumi's argv: ${JSON.stringify(engineArgv.get("up 1"))}`);
        assert.doesNotMatch(apply1.stdout, /Previewing update|Do you want to perform this update\?|\x1b\[/, "a preview, a prompt or colour in pulumi's output");
    });

    it("pulumi up created every resource and its checks passed (5 rows, all ok)", () => {
        assert.match(apply1.stdout, /^Resources:\n\s+\+ \d+ created\n\n/m);
        assert.deepEqual(Object.keys(resourceSummary(apply1.stdout)), ["created"]);
        const rows = apply1.outputs?.checks ?? [];
        assert.ok(rows.length === 5 && rows.every((r) => r.ok), formatMatrix(rows));
        assert.equal(apply1.outputs?.registry, "192.168.1.11:5000");
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
        // (no -T: busybox 1.35's wget -T segfaults; the exec timeout bounds it instead)
        const tags = await l.exec("docker02", ["busybox", "wget", "-q", "-O", "-", "http://192.168.1.11:5000/v2/busybox/tags/list"], { timeoutMs: 20_000 });
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

    it("keeps ens33 promiscuous across a reboot: the flag cleared, initscripts' boot path (ifup-post runs /sbin/ifup-local) sets it again; the hook stays in the host", async function () {
        this.timeout(60_000);
        const l = lab as LabHosts;
        assert.ok(!fs.existsSync("/usr/sbin/ifup-local"), "the lab wrote /sbin/ifup-local on the machine itself");
        for (const h of ["docker01", "docker02"]) {
            const promisc = async () => (await l.exec(h, ["ip", "-o", "link", "show", "dev", "ens33"])).stdout.includes("PROMISC");
            const off = await l.exec(h, ["ip", "link", "set", "dev", "ens33", "promisc", "off"]);
            assert.equal(off.code, 0, off.stderr);
            assert.equal(await promisc(), false, `${h}: the kernel forgot the flag`);
            // what initscripts' ifup-post does for every interface ifup brings up at boot
            for (const dev of ["lo", "ens33", "ens33.10", "ens33.20"]) {
                const r = await l.exec(h, ["sh", "-c", 'if [ -x /sbin/ifup-local ]; then /sbin/ifup-local "$1"; fi', "ifup-post", dev]);
                assert.equal(r.code, 0, `${h} ifup-local ${dev}: ${r.stderr}`);
            }
            assert.equal(await promisc(), true, `${h}: the boot path made ens33 promiscuous again`);
        }
    });

    it("says VLANs are emulated: the host networking commands print EMULATED lines on both hosts in pulumi's output", () => {
        assert.equal((lab as LabHosts).vlanMode, "emulated");
        for (const h of ["docker01", "docker02"]) {
            for (const id of ["10", "20"]) {
                assert.match(apply1.stdout, new RegExp(`command:remote:Command \\S*${h}\\S* .*EMULATED: .*ifcfg-ens33\\.${id} is written as on a real host`));
            }
        }
    });

    it("a second pulumi preview --expect-no-changes passes, and a no-op pulumi up changes nothing on any host", async function () {
        this.timeout(240_000);
        const { pulumi } = await labEngine(lab as LabHosts, stack.stack);
        const preview = await pulumi(["preview", "--expect-no-changes", "--non-interactive", "--color", "never"]);
        timing("multi-vlan: pulumi preview --expect-no-changes", preview.seconds);
        assertApplied(preview, "pulumi preview --expect-no-changes");
        assert.deepEqual(Object.keys(resourceSummary(preview.stdout)), ["unchanged"], tail(preview.stdout));
        const again = await apply("up 2 (no-op)");
        timing("multi-vlan: no-op pulumi up", again.seconds);
        assertApplied(again, "the second pulumi up");
        const summary = resourceSummary(again.stdout);
        assert.deepEqual(Object.keys(summary), ["unchanged"], tail(again.stdout));
        assert.equal(summary.unchanged, resourceSummary(apply1.stdout).created);
        noDiff(s1, await snapshotLab(lab as LabHosts, { dirs: SNAPSHOT_DIRS }), "after a no-op pulumi up");
    });

    it("a changed script replaces a host command delete-before-replace: the old delete runs on the host before the new create", async function () {
        this.timeout(240_000);
        const l = lab as LabHosts;
        const markers = "/root/mvl-dbr-markers";
        // test/fixtures/replace as a Pulumi project of its own, in a workspace of its own, with the real plugins
        const engine = ensureEngine(log);
        const ws = workspaceOf(fs.mkdtempSync(path.join(os.tmpdir(), "mvl-dbr-")));
        try {
            for (const d of [ws.project, ws.backend, ws.home]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
            fs.writeFileSync(ws.passphraseFile, `dbr-${process.pid}-${Date.now()}\n`, { mode: 0o600 });
            installPlugins(ws.home);
            fs.writeFileSync(
                path.join(ws.project, "Pulumi.yaml"),
                yaml.dump({ name: "dbr-fixture", runtime: { name: "nodejs", options: { typescript: true } }, main: `${path.relative(ws.project, FIXTURE)}/` }),
            );
            const stackFile = path.join(ws.project, "Pulumi.dbr.yaml");
            const up = async (marker: string) => {
                const old = fs.existsSync(stackFile) ? (yaml.load(fs.readFileSync(stackFile, "utf8")) as Record<string, unknown>) : {};
                const config = {
                    ...((old.config as Record<string, unknown> | undefined) ?? {}),
                    "dbr-fixture:host": "docker01",
                    "dbr-fixture:address": "192.168.1.11",
                    "dbr-fixture:port": 22,
                    "dbr-fixture:hostKey": l.hostKeys.docker01,
                    "dbr-fixture:file": markers,
                    "dbr-fixture:marker": marker,
                };
                fs.writeFileSync(stackFile, yaml.dump({ ...old, config }));
                await selectStack(ws, engine, "dbr");
                if (old.config === undefined) await setSecret(ws, engine, "dbr-fixture:sshPrivateKey", l.privateKey);
                return pulumiOnLab(l, ws, engine, ["up", ...UNATTENDED_ARGS], engineOpts(`dbr ${marker}`));
            };
            const first = await up("one");
            assertApplied(first, "the fixture's first pulumi up");
            const second = await up("two");
            timing("replacing the fixture's host command (pulumi up)", second.seconds);
            assertApplied(second, "the fixture's pulumi up with a changed marker");
            assert.deepEqual(resourceSummary(second.stdout), { replaced: 1, unchanged: 2 }, tail(second.stdout));
            // what the host saw, in order: the old command's delete, then the new one's create
            const seen = await sh(l, "docker01", `cat ${markers}`);
            assert.equal(seen.stdout, "create one\ndelete one\ncreate two\n");
            // and pulumi says the same: the original deleted before the replacement is created
            const ops = second.stdout.split("\n").filter((x) => /command:remote:Command dbr-docker01-marker (deleted original|created replacement)/.test(x));
            assert.deepEqual(ops.map((x) => /(deleted original|created replacement)/.exec(x)?.[1]), ["deleted original", "created replacement"]);
            const d = await pulumiOnLab(l, ws, engine, ["destroy", ...UNATTENDED_ARGS], engineOpts("dbr destroy"));
            assertApplied(d, "the fixture's destroy");
            assert.equal((await sh(l, "docker01", `cat ${markers}`)).stdout, "create one\ndelete one\ncreate two\ndelete two\n");
        } finally {
            await sh(l, "docker01", `rm -f ${markers}`);
            fs.rmSync(path.dirname(ws.project), { recursive: true, force: true });
        }
    });

    it("pulumi destroy runs the stored deletes: every host is back to its snapshot from before the first pulumi up, the stack is empty", async function () {
        this.timeout(240_000);
        const d = await destroyOnLab(lab as LabHosts, engineOpts("destroy 1"));
        timing("multi-vlan: pulumi destroy", d?.seconds ?? NaN);
        assertApplied(d, "pulumi destroy");
        assert.deepEqual(engineArgv.get("destroy 1")?.slice(1), ["destroy", "--run-program", "--yes", "--skip-preview", "--non-interactive", "--color", "never"], `pulumi's argv: ${JSON.stringify(engineArgv.get("destroy 1"))}`);
        // destroy runs the program (--run-program: the Docker providers' key file): pulumi then also
        // counts the program's registrations as "unchanged"; nothing is created, updated or replaced
        const summary = resourceSummary(d?.stdout ?? "");
        assert.deepEqual(Object.keys(summary).filter((k) => k !== "unchanged"), ["deleted"]);
        // the delete scripts ran on the hosts (they print what they put back)
        assert.match(d?.stdout ?? "", /command:remote:Command lab-docker01-parent-promisc deleted .*ens33 is as before create/);
        settledNoDiff(await diffLabSettled(lab as LabHosts, s0, { dirs: SNAPSHOT_DIRS }), "after pulumi destroy");
        for (const h of ["docker01", "docker02"]) {
            const hook = await (lab as LabHosts).exec(h, ["sh", "-c", "ls /sbin/ifup-local 2>&1"]);
            assert.notEqual(hook.code, 0, `${h}: the ifup-local hook outlived the destroy: ${hook.stdout}`);
            assert.match(hook.stdout, /^ls: .*\/sbin\/ifup-local.*No such file or directory$/m, `${h}: the probe did not run: ${hook.stdout}${hook.stderr}`);
        }
        const { pulumi } = await labEngine(lab as LabHosts, stack.stack);
        const exported = await pulumi(["stack", "export"]);
        assertApplied(exported, "pulumi stack export");
        const resources = (JSON.parse(exported.stdout) as { deployment?: { resources?: unknown[] } }).deployment?.resources ?? [];
        assert.deepEqual(resources, []);
    });

    it("runs with every host's key verified, and refuses a host whose key does not match (issue 27): nothing is changed on any host", async function () {
        this.timeout(300_000);
        const l = lab as LabHosts;
        // the lab's stack file pins each host's key (lab/topology.ts), and nothing opts out
        const ws = labWorkspace(MV);
        const file = yaml.load(fs.readFileSync(path.join(ws.project, `Pulumi.${stack.stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
        const pinned = file.config[configKey("hosts")] as Array<{ name: string; hostKey?: string }>;
        assert.deepEqual(pinned.map((h) => [h.name, h.hostKey]), [["docker01", l.hostKeys.docker01], ["docker02", l.hostKeys.docker02]]);
        assert.ok(!JSON.stringify(file.config).includes("insecureIgnoreHostKey"));
        // docker02 pinned with another host's key: as a machine in the middle would answer (a run of its
        // own, in a workspace of its own, so the stack above keeps its state)
        const other = path.join(os.tmpdir(), `mvl-otherkey-${process.pid}`);
        assert.equal(spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", other]).status, 0);
        const wrongKey = fs.readFileSync(`${other}.pub`, "utf8").trim();
        fs.rmSync(other, { force: true });
        fs.rmSync(`${other}.pub`, { force: true });
        const impostor = Object.create(l, { hostKeys: { value: { ...l.hostKeys, docker02: wrongKey } } }) as LabHosts;
        const runName = `${MV}-hk`;
        const before = await snapshotLab(l, { dirs: SNAPSHOT_DIRS });
        try {
            const refused = await applyOnLab(impostor, stack, { ...engineOpts("up with a wrong host key for docker02"), runName });
            timing("multi-vlan: pulumi up with docker02's host key wrong (refused)", refused.seconds);
            assert.notEqual(refused.code, 0, "pulumi up with a wrong host key succeeded");
            const errored = erroredResources(refused.stdout).filter((r) => !r.startsWith("pulumi:pulumi:Stack "));
            assert.ok(errored.length > 0 && errored.every((r) => /docker02/.test(r)), `errored: ${errored.join(", ")}\n${tail(refused.stdout)}`);
            assert.match(`${refused.stdout}\n${refused.stderr}`, /ssh: handshake failed: ssh: host key mismatch/);
            noDiff(before, await snapshotLab(l, { dirs: SNAPSHOT_DIRS }), "after the refused run");
        } finally {
            await destroyOnLab(l, { ...engineOpts("destroy of the refused run"), runName });
            fs.rmSync(runPaths(runName).dir, { recursive: true, force: true });
        }
    });

    it(`fails only docker02's resources, within ${UNREACHABLE_BOUND_S} s, while its sshd is stopped; once it is back, pulumi up converges and a preview shows no changes`, async function () {
        this.timeout(600_000);
        const l = lab as LabHosts;
        // from clean hosts (the destroy above), so the failed run leaves a half-made lab behind
        await stopSshd(l, "docker02");
        let failed: EngineOutcome;
        try {
            failed = await apply("up 3 (docker02's sshd stopped)");
        } finally {
            await startSshd(l, "docker02");
        }
        timing("multi-vlan: pulumi up with docker02 unreachable (fails)", failed.seconds);
        assert.notEqual(failed.code, 0, "pulumi up with docker02's sshd stopped succeeded");
        assert.ok(failed.seconds < UNREACHABLE_BOUND_S, `pulumi up with docker02 unreachable took ${failed.seconds} s to fail: does a dial retry without end?`);
        const errored = erroredResources(failed.stdout).filter((r) => !r.startsWith("pulumi:pulumi:Stack "));
        assert.ok(errored.length > 0, `no resource errored:\n${tail(failed.stdout)}`);
        assert.deepEqual(errored.filter((r) => !/docker02/.test(r)), [], `errored: ${errored.join(", ")}`);
        assert.match(`${failed.stdout}\n${failed.stderr}`, /192\.168\.1\.13:22/, "the errors name docker02's address");
        // docker01's commands that pulumi reports made are made on docker01; docker02 is untouched
        const made = [...failed.stdout.matchAll(/command:remote:Command (lab-docker01-\S+) created \(/g)].map((m) => m[1]);
        assert.ok(made.length > 0, `pulumi made none of docker01's host commands:\n${tail(failed.stdout)}`);
        console.log(`      | with docker02 unreachable, pulumi made on docker01: ${made.join(", ")}`);
        const half = await snapshotLab(l, { dirs: SNAPSHOT_DIRS });
        assert.equal(half.docker01.links.ens33.flags.includes("PROMISC"), made.includes("lab-docker01-parent-promisc"), `docker01 ens33: ${half.docker01.links.ens33.flags}`);
        noDiff(s0.docker02 as unknown as LabSnapshot, half.docker02 as unknown as LabSnapshot, "docker02 while unreachable");

        const back = await apply("up 4 (docker02 back)");
        timing("multi-vlan: pulumi up after docker02 is back (converges)", back.seconds);
        assertApplied(back, "pulumi up after docker02's sshd is back");
        assert.equal(resourceSummary(back.stdout).errored, undefined);
        noDiff(s1, await snapshotLab(l, { dirs: SNAPSHOT_DIRS }), "after converging");
        const rows = back.outputs?.checks ?? [];
        assert.ok(rows.length === 5 && rows.every((r) => r.ok), formatMatrix(rows));
        const { pulumi } = await labEngine(l, stack.stack);
        const preview = await pulumi(["preview", "--expect-no-changes", "--non-interactive", "--color", "never"]);
        assertApplied(preview, "pulumi preview --expect-no-changes after converging");
    });

    it("pulumi destroy after the failed and the converging run puts every host back to its snapshot again", async function () {
        this.timeout(240_000);
        const d = await destroyOnLab(lab as LabHosts, engineOpts("destroy 2"));
        assertApplied(d, "pulumi destroy");
        settledNoDiff(await diffLabSettled(lab as LabHosts, s0, { dirs: SNAPSHOT_DIRS }), "after the second pulumi destroy");
    });
});

// ---------------------------------------------------------------------------------------------

describe("lab: single-network through the lab CLI (real engine), after a run killed with kill -9", function () {
    let lab: LabHosts | undefined;
    const killed = {
        namespacesAfterKill: [] as string[],
        enginePid: undefined as number | undefined,
        engineGoneAfterKill: false,
        downCode: -1,
        downText: "",
        namespacesAfterDown: [] as string[],
        recordAfterDown: true,
    };
    let upCode = -1;
    let upText = "";

    before(async function () {
        this.timeout(600_000);
        skipIf(this, interrupted ? "interrupted" : await labUnavailable(), "the single-network lab");
        catchInterrupts();
        await sweepStaleTestLabs(new RegExp(`^${PREFIX}(\\d+)-`), log);
        // 1. a run killed with kill -9 in the middle of its pulumi up (once pulumi made a host command)
        const first = cli(["up", "single-network", "--name", SN]);
        await bounded(
            new Promise<void>((resolve, reject) => {
                const timer = setInterval(() => {
                    if (/command:remote:Command \S+ created \(/.test(first.output())) {
                        clearInterval(timer);
                        resolve();
                    } else if (first.exitCode !== null) {
                        clearInterval(timer);
                        reject(new Error(`the first run ended before its apply: ${first.output()}`));
                    }
                }, 100);
            }),
            240_000,
            "the first run's first host command",
        );
        killed.enginePid = readRecord(SN)?.enginePid;
        first.kill("SIGKILL");
        await first.done;
        killed.namespacesAfterKill = namespacesOf(SN);
        const until = Date.now() + 45_000;
        while (killed.enginePid !== undefined && isAlive(killed.enginePid) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
        killed.engineGoneAfterKill = killed.enginePid !== undefined && !isAlive(killed.enginePid);
        // 2. lab:down cleans up after it
        const t = Date.now();
        const d = cli(["down", "--name", SN]);
        killed.downCode = await bounded(d.done, 300_000, "lab:down");
        timing("single-network: lab:down after the kill -9", (Date.now() - t) / 1000);
        killed.downText = d.output();
        log(killed.downText);
        killed.namespacesAfterDown = namespacesOf(SN);
        killed.recordAfterDown = fs.existsSync(runPaths(SN).dir);
        // 3. and the next run works
        const t2 = Date.now();
        const second = cli(["up", "single-network", "--name", SN]);
        upCode = await bounded(second.done, 480_000, "npm run lab");
        timing("single-network: npm run lab (hosts up + pulumi up)", (Date.now() - t2) / 1000);
        upText = second.output();
        log(upText);
        if (upCode === 0) lab = attachLab(SN);
    });

    after(async function () {
        this.timeout(300_000);
        if (interrupted) {
            await interruptTeardown; // the interrupt handler tears down, then exits 130
            return;
        }
        if (lab !== undefined || fs.existsSync(runPaths(SN).dir) || namespacesOf(SN).length > 0) await downLab(SN, log);
    });

    it("a run killed mid-apply leaves its lab, its pulumi stops with it, lab:down runs pulumi destroy and removes the lab, and the next run works", () => {
        assert.equal(killed.namespacesAfterKill.length, 4, `namespaces after kill -9: ${killed.namespacesAfterKill.join(", ")}`);
        assert.ok(killed.enginePid !== undefined, "the run record names no pulumi");
        assert.ok(killed.engineGoneAfterKill, `pulumi (pid ${killed.enginePid}) outlived the killed run`);
        assert.equal(killed.downCode, 0, killed.downText);
        assert.match(killed.downText, /: pulumi destroy$/m, "lab:down ran pulumi destroy on what the killed run made");
        // the killed run's pulumi writes to files, not to the dead CLI's pipe: it cancels, releases
        // the stack's lock, and lab:down's destroy deletes what it made
        assert.doesNotMatch(killed.downText, /destroy failed|currently locked/, "lab:down's pulumi destroy succeeded");
        assert.match(killed.downText, /The resources in the stack have been deleted|Resources:\s*\n\s*- \d+ deleted|no changes|0 changes/i);
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

    it("prints what is real, pulumi's progress, the matrix, and a container shell command and an ssh command that work as printed", async function () {
        this.timeout(60_000);
        assert.match(upText, /^ {2}pulumi: real engine v3\.\d+\.\d+ .*; command: .*; docker: .*$/m);
        assert.match(upText, /^ {2} \+ {2}command:remote:Command lab-docker01-parent-promisc created \([0-9.]+s\)/m);
        assert.match(upText, /^ {2}Resources:\n {6}\+ \d+ created$/m);
        assert.match(upText, /^source +target +network +expected +observed +ok$/m);
        assert.match(upText, /^docker01\/bbox1 +docker02\/bbox2 \(172\.22\.16\.20\) +mac_net1 +reachable +reachable +ok$/m);
        assert.match(upText, /^docker02\/bbox2 +docker01\/bbox1 \(172\.22\.16\.10\) +mac_net1 +reachable +reachable +ok$/m);
        assert.match(upText, /^hosts up +[0-9.]+ s /m);
        assert.match(upText, /^pulumi up +[0-9.]+ s /m);
        const shell = /^ {2}(nsenter -t \d+ -m -u -n docker exec -it bbox1 sh) /m.exec(upText)?.[1];
        assert.ok(shell !== undefined, "no shell command for bbox1");
        // as a person runs it: on a terminal (script(1) gives it one)
        const r = await run(["script", "-q", "-e", "-c", shell, "/dev/null"], { input: "echo marker-$((6*7)); exit\n", timeoutMs: 20_000 });
        assert.match(r.stdout, /marker-42/, `${shell}: ${r.stdout}${r.stderr}`);
        const ssh = /^ {2}(nsenter -t \d+ -m -u -n ssh docker01)$/m.exec(upText)?.[1];
        assert.ok(ssh !== undefined, "no ssh command");
        const s = await run(["script", "-q", "-e", "-c", ssh, "/dev/null"], { input: "echo on-$(hostname); exit\n", timeoutMs: 20_000 });
        assert.match(s.stdout, /on-docker01/, `${ssh}: ${s.stdout}${s.stderr}`);
        assert.match(upText, new RegExp(`^ {2}npm run lab:pulumi -- single-network --name ${SN} preview --expect-no-changes$`, "m"));
        assert.match(upText, new RegExp(`^ {2}npm run lab:down -- --name ${SN}$`, "m"));
    });

    it("applies again when run for a lab that is up (converge): pulumi reports every resource unchanged", async function () {
        this.timeout(240_000);
        const again = cli(["up", "single-network", "--name", SN]);
        const code = await bounded(again.done, 230_000, "the second npm run lab");
        const text = again.output();
        assert.equal(code, 0, text);
        assert.match(text, /is up already: applying the stack again/);
        const summary = resourceSummary(text.split("\n").map((l) => l.replace(/^ {2}/, "")).join("\n"));
        assert.deepEqual(Object.keys(summary), ["unchanged"], tail(text));
        assert.equal(summary.unchanged, resourceSummary(upText.split("\n").map((l) => l.replace(/^ {2}/, "")).join("\n")).created);
    });

    it("lab:pulumi runs pulumi on the lab's stack: preview --expect-no-changes exits 0, stack output has the checks", async function () {
        this.timeout(180_000);
        const p = cli(["pulumi", "single-network", "--name", SN, "preview", "--expect-no-changes", "--non-interactive", "--color", "never"]);
        const code = await bounded(p.done, 170_000, "lab:pulumi preview");
        assert.equal(code, 0, p.output());
        assert.match(p.output(), /^ {4}\d+ unchanged$/m);
        const o = cli(["pulumi", "single-network", "--name", SN, "stack", "output", "--json", "checks"]);
        assert.equal(await bounded(o.done, 60_000, "lab:pulumi stack output"), 0, o.output());
        const rows = JSON.parse(o.output().slice(o.output().indexOf("["))) as Array<{ ok: boolean }>;
        assert.ok(rows.length === 2 && rows.every((r) => r.ok), o.output());
    });

    it("lab:down destroys and removes the lab (namespaces, processes, state) and a second lab:down has nothing to do", async function () {
        this.timeout(240_000);
        const keepers = [(lab as LabHosts).controllerKeeperPid, ...(lab as LabHosts).hosts.map((h) => h.keeperPid)];
        const d = cli(["down", "--name", SN]);
        assert.equal(await bounded(d.done, 230_000, "lab:down"), 0, d.output());
        assert.match(d.output(), /destroy [0-9.]+ s/);
        assert.doesNotMatch(d.output(), /destroy failed/);
        assert.deepEqual(namespacesOf(SN), []);
        assert.deepEqual(keepers.filter(isAlive), []);
        assert.equal(fs.existsSync(runPaths(SN).dir), false);
        assert.equal(fs.existsSync(defaultStateDir(SN)), false);
        lab = undefined;
        const again = cli(["down", "--name", SN]);
        assert.equal(await bounded(again.done, 60_000, "lab:down again"), 0, again.output());
        assert.match(again.output(), /nothing to tear down/);
    });
});

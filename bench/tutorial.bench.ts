/**
 * Benchmark (`npm run bench:lab [-- --rtt 0,50,100,150] [--rounds N] [--sides engine,script,ansible]`,
 * root): on the local lab, the multi-VLAN stack applied three ways, side by side, at each round trip
 * between the controller and the hosts (lab/rtt: a delaying relay, since this kernel has no netem):
 *
 * - engine: the real Pulumi engine's `pulumi up` (what `npm run lab -- multi-vlan` does), then a
 *   no-op `pulumi up` and `pulumi destroy` (and a check that destroy restored the hosts);
 * - script: the tutorial's commands one after another from a plain shell script (bench/tutorial.sh,
 *   one ssh session per command): promiscuous NIC, 8021q (skipped with a note when VLANs are
 *   emulated), ifcfg files and addresses, two macvlan networks per host, the registry, daemon.json +
 *   SIGHUP, tag/push/pull, four containers, the pings;
 * - ansible: the same lab by an Ansible playbook (bench/ansible/multi-vlan.yml: pipelining,
 *   ControlPersist, a fork per host), with PyPI's `ansible` installed by the bench into a cached venv.
 *
 * Every measurement starts from clean hosts: each round brings up a fresh lab (not timed) with the
 * relay at that round trip (at 0 ms too, so every column counts its connections the same way),
 * times one side, and removes the lab. For each phase it prints the seconds, the SSH connections the
 * controller opened (counted by the relay; the registry port's connections, the Docker provider's
 * digest checks, beside them) and the longest chain of sequential remote steps per host (engine: from
 * the state's dependency graph, bench/chain.ts; script: its sessions, all sequential; ansible: the
 * tasks that ran on the host, all sequential under the linear strategy). Medians over the rounds;
 * asserts nothing about timings. The machine's load (`uptime`) is printed at the start and the end
 * and with each round: numbers taken on a busy machine say so.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planLab } from "../components/model/plan";
import { LabHosts, checkPrerequisites, hostsUp } from "../lab/hosts";
import { run } from "../lab/hosts/proc";
import { EngineOutcome, applyOnLab, destroyOnLab, prepareEngine } from "../lab/run/engine";
import { downLab } from "../lab/run/down";
import { formatTable } from "../lab/run/output";
import { ensureEngine, pulumiEnv } from "../lab/pulumi";
import { ensurePackages } from "../lab/packages";
import { RelayCounts, openedBetween, readRelayCounts, relayScript, rttTargets, startRttRelay } from "../lab/rtt";
import { diffSnapshots, snapshotLab } from "../lab/snapshot";
import { LoadedStack, loadStack, topologyOf } from "../lab/topology";
import { ansibleInventory } from "./ansible/inventory";
import { Ansible, ensureAnsible } from "./ansible/venv";
import { StateResource, longestChains } from "./chain";

const STACK = "multi-vlan";
const NAME = `mvlbench-${process.pid}`;
const SCRIPT = path.join(__dirname, "tutorial.sh");
const PLAYBOOK = path.join(__dirname, "ansible", "multi-vlan.yml");
const ANSIBLE_CFG = path.join(__dirname, "ansible", "ansible.cfg");
const RUN_TIMEOUT_MS = 20 * 60_000;

export const SIDES = ["engine", "script", "ansible"] as const;
export type Side = (typeof SIDES)[number];

export interface BenchOptions {
    rounds: number;
    /** Round trips in ms, ascending, 0 first (the ratios are to the 0 ms apply). */
    rtts: number[];
    sides: Side[];
}

/** The command line -> options, or the reason it is not valid. Pure. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | string {
    const out: BenchOptions = { rounds: 1, rtts: [0], sides: [...SIDES] };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const v = argv[i + 1];
        if (a === "--rounds") {
            const n = Number(v);
            if (!Number.isInteger(n) || n < 1 || n > 10) return `--rounds ${v}: a whole number from 1 to 10`;
            out.rounds = n;
            i++;
        } else if (a === "--rtt") {
            const parts = (v ?? "").split(",");
            if (!parts.every((p) => /^\d{1,4}$/.test(p)) || parts.map(Number).some((n) => n > 2000)) return `--rtt ${v}: round trips in ms from 0 to 2000, comma-separated (0,50,100,150)`;
            // 0 always: the ratios are to the 0 ms apply
            out.rtts = [...new Set([0, ...parts.map(Number)])].sort((x, y) => x - y);
            i++;
        } else if (a === "--sides") {
            const parts = (v ?? "").split(",");
            if (parts.length === 0 || !parts.every((p): p is Side => (SIDES as readonly string[]).includes(p))) return `--sides ${v}: some of ${SIDES.join(",")}`;
            out.sides = SIDES.filter((s) => parts.includes(s));
            i++;
        } else {
            return `unknown argument ${a}`;
        }
    }
    return out;
}

/** One timed phase: its seconds and the connections the controller opened meanwhile. */
interface Phase {
    seconds: number;
    ssh: number;
    registry: number;
}

interface EngineRound {
    rtt: number;
    apply: Phase;
    /** The whole applyOnLab: stack select, config set --secret, pulumi up, stack output. */
    wallSeconds: number;
    noop: Phase;
    destroy: Phase;
    /** host -> duration Pulumi printed for that host's check command. */
    checks: Record<string, number>;
    restored: boolean;
    chains: Record<string, number>;
}

interface PeerRound {
    rtt: number;
    run: Phase;
    /** host -> its sequential steps (script sessions, Ansible tasks that ran). */
    steps: Record<string, number>;
}

function log(line: string): void {
    if (process.env.BENCH_VERBOSE) console.log(`    | ${line}`);
}

/**
 * The durations Pulumi printed for the check commands, by host: the last `lab-checks-<host>
 * created (<n>s)` line of each. Pulumi prints under a second as `0.46s`, above it whole seconds. Pure.
 */
export function checkDurations(pulumiOutput: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of pulumiOutput.matchAll(/command:remote:Command lab-checks-(\S+) created \(([0-9.]+)s\)/g)) out[m[1]] = Number(m[2]);
    return out;
}

/** Per host, the tasks that ran (`ok`, which includes `changed`, plus `failed`) from ansible-playbook's PLAY RECAP. Pure. */
export function recapTasks(output: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of output.matchAll(/^(\S+)\s+:\s+ok=(\d+)\s+changed=\d+\s+unreachable=\d+\s+failed=(\d+)/gm)) out[m[1]] = Number(m[2]) + Number(m[3]);
    return out;
}

/** The script's own count of ssh sessions per host (its last line). Pure. */
export function scriptSessions(stdout: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of (/^ssh sessions per host:(.*)$/m.exec(stdout)?.[1] ?? "").matchAll(/(\S+)=(\d+)/g)) out[m[1]] = Number(m[2]);
    return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const loadLine = () => `load average ${os.loadavg().map((x) => x.toFixed(2)).join(", ")}`;

async function timed<T>(lab: LabHosts, f: () => Promise<T>): Promise<{ value: T; phase: Phase }> {
    const before: RelayCounts | undefined = readRelayCounts(lab);
    const t = Date.now();
    const value = await f();
    const seconds = (Date.now() - t) / 1000;
    // the relay writes its counts when it accepts a connection: give a last accept a moment to land
    await new Promise((r) => setTimeout(r, 100));
    const opened = openedBetween(before, readRelayCounts(lab));
    return { value, phase: { seconds, ssh: opened.ssh ?? 0, registry: opened.registry ?? 0 } };
}

/** The round trips whose DELAYED line was printed (once per round trip, not per lab). */
const saidDelay = new Set<number>();

async function freshLab(stack: LoadedStack, rtt: number): Promise<LabHosts> {
    const topo = topologyOf(NAME, stack.spec);
    if (topo.topology === undefined) throw new Error(topo.errors.join("\n"));
    const lab = await hostsUp(topo.topology, { log });
    const reg = stack.spec.registry;
    await startRttRelay(lab, rttTargets(lab.hosts, reg && { address: reg.address, port: reg.port }), rtt, (l) => {
        if (!saidDelay.has(rtt)) console.log(`  ${l}`);
        saidDelay.add(rtt);
        log(l);
    });
    return lab;
}

function failed(what: string, out: EngineOutcome | undefined): Error {
    return new Error(`${what} failed (${out?.code}):\n${out?.failures.join("\n")}\n${(out?.stdout ?? "").split("\n").slice(-20).join("\n")}`);
}

/**
 * The applied stack's chains (bench/chain.ts), from `pulumi stack export --show-secrets` (a command's
 * connection, with its host, is a secret). Its output stays in this process: not through runPulumi,
 * which keeps a copy of every output in the workspace's logs.
 */
function chainsOf(stack: LoadedStack): Record<string, number> {
    const { engine, ws } = prepareEngine(NAME, log);
    const r = spawnSync(path.join(engine.binDir, "pulumi"), ["stack", "export", "--show-secrets"], {
        cwd: ws.project,
        env: pulumiEnv(ws, engine),
        encoding: "utf8",
        maxBuffer: 256 << 20,
        timeout: 120_000,
    });
    if (r.status !== 0) throw new Error(`pulumi stack export failed (${r.status ?? r.signal}): ${(r.stderr ?? "").trim()}`);
    const resources = (JSON.parse(r.stdout) as { deployment?: { resources?: StateResource[] } }).deployment?.resources ?? [];
    return longestChains(resources, new Map(stack.spec.hosts.map((h) => [h.ssh.address, h.name])));
}

async function engineRound(stack: LoadedStack, rtt: number): Promise<EngineRound> {
    const lab = await freshLab(stack, rtt);
    try {
        const before = await snapshotLab(lab);
        const t0 = Date.now();
        const apply = await timed(lab, () => applyOnLab(lab, stack, { log }));
        const wallSeconds = (Date.now() - t0) / 1000;
        if (apply.value.code !== 0) throw failed("pulumi up", apply.value);
        // pulumi's own time of the up (without select, config set and stack output)
        apply.phase.seconds = apply.value.seconds;
        const chains = chainsOf(stack);
        const noop = await timed(lab, () => applyOnLab(lab, stack, { log }));
        if (noop.value.code !== 0) throw failed("the no-op pulumi up", noop.value);
        noop.phase.seconds = noop.value.seconds;
        const destroy = await timed(lab, () => destroyOnLab(lab, { log }));
        if (destroy.value === undefined || destroy.value.code !== 0) throw failed("pulumi destroy", destroy.value);
        destroy.phase.seconds = destroy.value.seconds;
        const diff = diffSnapshots(before, await snapshotLab(lab));
        if (diff.length > 0) console.log(`  destroy left differences:\n    ${diff.join("\n    ")}`);
        return { rtt, apply: apply.phase, wallSeconds, noop: noop.phase, destroy: destroy.phase, checks: checkDurations(apply.value.stdout), restored: diff.length === 0, chains };
    } finally {
        await downLab(NAME, log);
    }
}

async function scriptRound(stack: LoadedStack, rtt: number): Promise<PeerRound> {
    const lab = await freshLab(stack, rtt);
    try {
        const r = await timed(lab, () => run(lab.controllerArgv(["env", `VLAN_MODE=${lab.vlanMode}`, "bash", SCRIPT]), { timeoutMs: RUN_TIMEOUT_MS }));
        for (const l of r.value.stdout.split("\n")) if (l !== "") log(l);
        if (r.value.code !== 0) throw new Error(`bench/tutorial.sh failed (${r.value.code}):\n${r.value.stderr}\n${r.value.stdout.split("\n").slice(-10).join("\n")}`);
        return { rtt, run: r.phase, steps: scriptSessions(r.value.stdout) };
    } finally {
        await downLab(NAME, log);
    }
}

async function ansibleRound(stack: LoadedStack, rtt: number, ansible: Ansible): Promise<PeerRound> {
    const lab = await freshLab(stack, rtt);
    // ControlPath = <dir>/<40 hex>: a short directory keeps it under the 108 bytes of a socket path
    const tmp = fs.mkdtempSync("/tmp/mvlbench-ansible-");
    try {
        const { plan, errors } = planLab(stack.spec);
        if (errors.length > 0) throw new Error(errors.map((e) => e.message).join("\n"));
        const inventory = path.join(tmp, "inventory.json");
        fs.writeFileSync(inventory, `${JSON.stringify(ansibleInventory(stack.spec, plan, { vlanMode: lab.vlanMode, sshConfig: lab.sshConfigPath }), null, 2)}\n`);
        for (const d of ["cp", "home", "tmp"]) fs.mkdirSync(path.join(tmp, d), { mode: 0o700 });
        const env = {
            ...process.env,
            ANSIBLE_CONFIG: ANSIBLE_CFG,
            ANSIBLE_SSH_CONTROL_PATH_DIR: path.join(tmp, "cp"),
            ANSIBLE_HOME: path.join(tmp, "home"),
            ANSIBLE_LOCAL_TEMP: path.join(tmp, "tmp"),
            ANSIBLE_NOCOLOR: "1",
        };
        const argv = ["nsenter", `--net=/run/netns/${lab.controllerNetns}`, "--", ansible.playbook, "-i", inventory, PLAYBOOK];
        const r = await timed(lab, () => run(argv, { timeoutMs: RUN_TIMEOUT_MS, env }));
        for (const l of r.value.stdout.split("\n")) if (l !== "") log(l);
        if (r.value.code !== 0) throw new Error(`ansible-playbook failed (${r.value.code}):\n${r.value.stderr}\n${r.value.stdout.split("\n").slice(-30).join("\n")}`);
        return { rtt, run: r.phase, steps: recapTasks(r.value.stdout) };
    } finally {
        await downLab(NAME, log);
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-");
const perHost = (rs: Array<Record<string, number>>) => {
    const hosts = [...new Set(rs.flatMap((r) => Object.keys(r)))].sort();
    return hosts.length === 0 ? "-" : hosts.map((h) => String(median(rs.map((r) => r[h] ?? NaN)))).join(" / ");
};
const conns = (ps: Phase[]) => {
    const reg = median(ps.map((p) => p.registry));
    return `${median(ps.map((p) => p.ssh))}${reg > 0 ? ` (+${reg} registry)` : ""}`;
};

/** The table: one column per round trip, medians over the rounds. Pure. */
export function resultTable(rtts: readonly number[], engine: readonly EngineRound[], script: readonly PeerRound[], ansible: readonly PeerRound[], hosts: readonly string[]): string {
    const col = <T extends { rtt: number }>(rs: readonly T[], rtt: number) => rs.filter((r) => r.rtt === rtt);
    const rows: string[][] = [];
    const row = (label: string, cell: (rtt: number) => string) => rows.push([label, ...rtts.map(cell)]);
    const hostsLabel = hosts.join(" / ");
    if (engine.length > 0) {
        const e = (rtt: number) => col(engine, rtt);
        row("pulumi up (s)", (t) => f1(median(e(t).map((r) => r.apply.seconds))));
        row("  with stack select, config set, stack output (s)", (t) => f1(median(e(t).map((r) => r.wallSeconds))));
        row("  ssh connections", (t) => conns(e(t).map((r) => r.apply)));
        row(`  longest chain of remote steps, ${hostsLabel}`, (t) => perHost(e(t).map((r) => r.chains)));
        row("  check commands, slowest host (s)", (t) => f1(median(e(t).map((r) => Math.max(...Object.values(r.checks))))));
        row("no-op pulumi up (s)", (t) => f1(median(e(t).map((r) => r.noop.seconds))));
        row("  ssh connections", (t) => conns(e(t).map((r) => r.noop)));
        row("pulumi destroy (s)", (t) => f1(median(e(t).map((r) => r.destroy.seconds))));
        row("  ssh connections", (t) => conns(e(t).map((r) => r.destroy)));
        row("  hosts restored", (t) => (e(t).every((r) => r.restored) ? "yes" : "NO"));
    }
    for (const [label, rs, steps] of [
        ["tutorial script, one ssh per command (s)", script, "sessions (all sequential)"],
        ["ansible-playbook (s)", ansible, "tasks that ran (sequential)"],
    ] as const) {
        if (rs.length === 0) continue;
        const p = (rtt: number) => col(rs, rtt);
        row(label, (t) => f1(median(p(t).map((r) => r.run.seconds))));
        row("  ssh connections", (t) => conns(p(t).map((r) => r.run)));
        row(`  ${steps}, ${hostsLabel}`, (t) => perHost(p(t).map((r) => r.steps)));
    }
    if (engine.length > 0) {
        const up = (rtt: number) => median(col(engine, rtt).map((r) => r.apply.seconds));
        if (script.length > 0) row("pulumi up / script", (t) => `${(up(t) / median(col(script, t).map((r) => r.run.seconds))).toFixed(2)}x`);
        if (ansible.length > 0) row("pulumi up / ansible-playbook", (t) => `${(up(t) / median(col(ansible, t).map((r) => r.run.seconds))).toFixed(2)}x`);
    }
    return formatTable(["", ...rtts.map((t) => `${t} ms`)], rows);
}

/** The summary lines: per round trip, ours against the 0 ms apply, and the Ansible peer beside it. Pure. */
export function summaryLines(rtts: readonly number[], engine: readonly EngineRound[], script: readonly PeerRound[], ansible: readonly PeerRound[]): string[] {
    const med = <T extends { rtt: number }>(rs: readonly T[], rtt: number, f: (r: T) => number) => median(rs.filter((r) => r.rtt === rtt).map(f));
    const base = med(engine, 0, (r) => r.apply.seconds);
    const out: string[] = [];
    for (const t of rtts) {
        if (engine.length > 0) {
            const up = med(engine, t, (r) => r.apply.seconds);
            out.push(`rtt ${t} ms: pulumi up ${up.toFixed(1)} s, ${(up / base).toFixed(2)}x the 0 ms apply`);
        }
        if (ansible.length > 0) out.push(`rtt ${t} ms: ansible-playbook ${med(ansible, t, (r) => r.run.seconds).toFixed(1)} s`);
        if (script.length > 0) out.push(`rtt ${t} ms: tutorial script ${med(script, t, (r) => r.run.seconds).toFixed(1)} s`);
    }
    return out;
}

async function uptime(): Promise<string> {
    const r = await run(["uptime"]);
    return r.stdout.trim() || loadLine();
}

async function main(argv: string[]): Promise<number> {
    const opts = parseBenchArgs(argv);
    if (typeof opts === "string") {
        console.error(`bench:lab: ${opts}\nusage: npm run bench:lab [-- --rtt 0,50,100,150] [--rounds N] [--sides ${SIDES.join(",")}]`);
        return 2;
    }
    if (process.getuid?.() !== 0) {
        console.error("bench:lab needs root (it builds the local lab): sudo npm run bench:lab");
        return 1;
    }
    const pk = await ensurePackages((l) => console.log(l));
    const problems = [...pk.problems, ...checkPrerequisites()];
    if (problems.length > 0) {
        console.error(`bench:lab cannot run here:\n  - ${problems.join("\n  - ")}`);
        return 1;
    }
    const loaded = loadStack(STACK);
    if (loaded.stack === undefined) throw new Error(loaded.errors.join("\n"));
    const stack = loaded.stack;
    // built, installed or found before any timing: a cold build is not part of an apply
    const engine = ensureEngine((l) => console.log(l));
    relayScript();
    const ansible = opts.sides.includes("ansible") ? await ensureAnsible((l) => console.log(l)) : undefined;

    let stopping = false;
    const onSignal = (sig: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        console.error(`${sig}: removing the bench lab ${NAME}`);
        void downLab(NAME, log).finally(() => process.exit(130));
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);

    console.log(
        `bench:lab: stack ${STACK}, pulumi ${engine.version} (${engine.source === "path" ? "from PATH" : engine.binDir})` +
            `${ansible ? `, ${ansible.version} (ansible ${ansible.venv.replace(/.*ansible-([0-9.]+)-py.*/, "$1")})` : ""}; ` +
            `round trips ${opts.rtts.join(", ")} ms, ${opts.rounds} round(s) of ${opts.sides.join(", ")}, a fresh lab (${NAME}) for every measurement`,
    );
    console.log(`uptime at the start: ${await uptime()}`);
    console.log(`every round trip, 0 ms too, goes through the relay (lab/rtt), which counts the controller's connections (its DELAYED line once per round trip below)`);
    const engineRounds: EngineRound[] = [];
    const scriptRounds: PeerRound[] = [];
    const ansibleRounds: PeerRound[] = [];
    for (let i = 0; i < opts.rounds; i++) {
        for (const rtt of opts.rtts) {
            for (const side of opts.sides) {
                const head = `  round ${i + 1}, rtt ${rtt} ms, ${side}:`;
                if (side === "engine") {
                    const r = await engineRound(stack, rtt);
                    engineRounds.push(r);
                    const checks = Object.entries(r.checks).sort(([a], [b]) => a.localeCompare(b)).map(([h, s]) => `${h} ${s} s`).join(", ");
                    console.log(
                        `${head} pulumi up ${f1(r.apply.seconds)} s (${r.apply.ssh} ssh), chains ${perHost([r.chains])}, checks ${checks || "-"}, ` +
                            `no-op ${f1(r.noop.seconds)} s (${r.noop.ssh} ssh), destroy ${f1(r.destroy.seconds)} s (${r.destroy.ssh} ssh)${r.restored ? "" : " (hosts NOT restored)"}; ${loadLine()}`,
                    );
                } else if (side === "script") {
                    const r = await scriptRound(stack, rtt);
                    scriptRounds.push(r);
                    console.log(`${head} ${f1(r.run.seconds)} s (${r.run.ssh} ssh), sessions ${perHost([r.steps])}; ${loadLine()}`);
                } else {
                    const r = await ansibleRound(stack, rtt, ansible as Ansible);
                    ansibleRounds.push(r);
                    console.log(`${head} ${f1(r.run.seconds)} s (${r.run.ssh} ssh), tasks ${perHost([r.steps])}; ${loadLine()}`);
                }
            }
        }
    }
    console.log("");
    console.log(resultTable(opts.rtts, engineRounds, scriptRounds, ansibleRounds, stack.spec.hosts.map((h) => h.name)));
    console.log("");
    for (const l of summaryLines(opts.rtts, engineRounds, scriptRounds, ansibleRounds)) console.log(l);
    console.log(`(${opts.rounds > 1 ? `medians of ${opts.rounds} rounds` : "one round each"}; uptime at the end: ${await uptime()})`);
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        async (e) => {
            console.error(`bench:lab failed: ${e instanceof Error ? e.message : String(e)}`);
            await downLab(NAME, log).catch(() => undefined);
            process.exit(1);
        },
    );
}

/**
 * The local lab: a stack's Docker hosts made on this machine (network + mount + UTS namespaces with
 * their own sshd and dockerd, see lab/hosts) and the stack's program applied to them for real by
 * the real Pulumi engine (`pulumi up`, see lab/pulumi.ts). Root only.
 *
 *   npm run lab -- <stack> [--name <lab>]                   up: build the hosts (or reuse them), pulumi up
 *   npm run lab:down [-- <stack>] [--name <lab>]            down: pulumi destroy, then remove the hosts
 *   npm run lab:pulumi -- <stack> [--name <lab>] <args...>  any pulumi command on the lab's stack
 *
 * `up` leaves the lab running. Run again for a lab that is up, it runs `pulumi up` again
 * (converge); when the stack's hosts changed, it rebuilds them. When a run that built the hosts
 * fails or is interrupted (SIGINT, SIGTERM), it destroys what the apply made and removes the hosts.
 * `down` without a stack removes every lab that `up` started (and the stacks' default labs).
 *
 * What a run keeps, under `<repo>/.lab/`: `<lab>/` the hosts' state (lab/hosts), and
 * `_runs/<lab>/` this CLI's record of the run and the lab's Pulumi workspace (`pulumi/`: the
 * generated project and stack file, the file backend, PULUMI_HOME with the plugins, the passphrase).
 */
import * as fs from "fs";
import * as path from "path";
import { CheckRow as ProgramCheckRow, LAB_NAME } from "../components/contracts";
import { LabHosts, LabTopology, attachLab, checkPrerequisites, hostsDown, hostsUp } from "./hosts";
import { isAlive, cmdline } from "./hosts/proc";
import { ensurePackages } from "./packages";
import { PROFILES, Profile, applyProfile, isProfile } from "./profiles";
import { LoadedStack, SECRET_KEY, defaultLabName, labNameProblem, labStackConfig, loadStack, topologyOf } from "./topology";
import { listStacks } from "./stackFile";
import { REPO_ROOT } from "./paths";
import {
    controllerCaDirOf,
    Engine, PulumiRun, PulumiRunOptions, Workspace, ensureEngine, installPlugins, realityLine, runPulumi, selectStack, setSecret,
    workspaceOf, writeProject, writeWorkspace,
} from "./pulumi";

export { REPO_ROOT };
const LAB_ROOT = path.join(REPO_ROOT, ".lab");
/** `_` never starts a lab name, so this directory never is a lab's state directory. */
const RUNS_DIR = path.join(LAB_ROOT, "_runs");
/** A whole `pulumi up` or `destroy` is stopped after this long (the providers bound each session themselves). */
const APPLY_TIMEOUT_MS = 20 * 60_000;
const DESTROY_TIMEOUT_MS = 10 * 60_000;
/** After SIGTERM, pulumi gets this long to cancel and save its state. */
const ENGINE_STOP_GRACE_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// the run record

/** What `up` records about a lab it started, in `.lab/_runs/<lab>/run.json`. */
export interface RunRecord {
    name: string;
    stack: string;
    topology: LabTopology;
    /** The process that last worked on the lab. */
    pid: number;
    /** `hosts`: being built; `apply`: being applied; `up`: applied; `failed`: the last apply failed (the lab is up). */
    phase: "hosts" | "apply" | "up" | "failed";
    /** The running pulumi, while one runs. */
    enginePid?: number;
    updatedAt: string;
}

export interface RunPaths {
    dir: string;
    record: string;
}

export function runPaths(name: string): RunPaths {
    const dir = path.join(RUNS_DIR, name);
    return { dir, record: path.join(dir, "run.json") };
}

export function readRecord(name: string): RunRecord | undefined {
    try {
        return JSON.parse(fs.readFileSync(runPaths(name).record, "utf8")) as RunRecord;
    } catch {
        return undefined;
    }
}

function writeRecord(r: Omit<RunRecord, "updatedAt" | "pid">): void {
    const p = runPaths(r.name);
    fs.mkdirSync(p.dir, { recursive: true, mode: 0o700 });
    const full: RunRecord = { ...r, pid: process.pid, updatedAt: new Date().toISOString() };
    fs.writeFileSync(`${p.record}.tmp`, JSON.stringify(full, null, 2) + "\n", { mode: 0o600 });
    fs.renameSync(`${p.record}.tmp`, p.record);
}

/** The labs `up` has records of. */
export function recordedLabs(): string[] {
    try {
        return fs.readdirSync(RUNS_DIR).filter((n) => labNameProblem(n) === undefined && fs.existsSync(runPaths(n).record)).sort();
    } catch {
        return [];
    }
}

/** Lab names that have namespaces in /run/netns (`<lab>_switch`, `<lab>_controller`, `<lab>_host_<h>`). */
export function labsWithNamespaces(): string[] {
    const names = new Set<string>();
    try {
        for (const n of fs.readdirSync("/run/netns")) {
            const m = new RegExp(`^(${LAB_NAME.source.slice(1, -1)})_(switch|controller|host_.+)$`).exec(n);
            if (m) names.add(m[1]);
        }
    } catch {
        /* no /run/netns */
    }
    return [...names].sort();
}

/** The running lab `name`, or undefined when it is not (completely) up. */
function tryAttach(name: string): LabHosts | undefined {
    try {
        return attachLab(name);
    } catch {
        return undefined;
    }
}

// ---------------------------------------------------------------------------------------------
// the real engine, run in the controller's namespaces

/** One row of the program's `checks` output as read back from the stack (the contract's row; a stack of an older program may lack `targetIp`). */
export type CheckRow = Omit<ProgramCheckRow, "targetIp"> & Partial<Pick<ProgramCheckRow, "targetIp">>;

export interface EngineOutcome {
    /** pulumi's exit status (124 when it was stopped for time). */
    code: number;
    /** The stack outputs (`pulumi stack output --json`) after a successful `up`. */
    outputs?: { checks?: CheckRow[]; registry?: string; hosts?: unknown };
    /** Wall time of the pulumi command. */
    seconds: number;
    stdout: string;
    stderr: string;
    /** The `error:` lines pulumi printed. */
    failures: string[];
}

export interface EngineRunOptions {
    /** Receives every line pulumi prints. */
    log?: (line: string) => void;
    /** Aborting sends pulumi SIGTERM (it cancels and saves its state). */
    signal?: AbortSignal;
    /** Called with pulumi's pid once it started. */
    onStart?: (pid: number) => void;
    timeoutMs?: number;
    /** The run's name (defaults to the lab's): where its Pulumi workspace lives. */
    runName?: string;
    /** Extra arguments for `pulumi up` / `pulumi destroy`. */
    extraArgs?: string[];
}

/** The engine, the lab's workspace and its plugins, ready to run; prints what is real and what stands in. */
export function prepareEngine(runName: string, log: (l: string) => void): { engine: Engine; ws: Workspace } {
    const engine = ensureEngine(log);
    const ws = workspaceOf(runPaths(runName).dir);
    fs.mkdirSync(ws.home, { recursive: true, mode: 0o700 });
    const plugins = installPlugins(ws.home);
    log(realityLine(engine, plugins));
    return { engine, ws };
}

/**
 * `pulumi <args>` in the lab's controller network namespace (no route out: nothing the engine or a
 * provider tries can leave the lab). Only the network namespace: the engine cache, the workspace
 * and the lab's keys are files of this machine. The child gets SIGTERM when this process dies
 * (setpriv --pdeathsig).
 */
export function pulumiOnLab(lab: LabHosts, ws: Workspace, engine: Engine, args: string[], opts: PulumiRunOptions = {}): Promise<PulumiRun> {
    return runPulumi(ws, engine, args, {
        ...opts,
        wrap: (argv) => ["setpriv", "--pdeathsig", "SIGTERM", "--", "nsenter", `--net=/run/netns/${lab.controllerNetns}`, "--", ...argv],
    });
}

function outcomeOf(r: PulumiRun): EngineOutcome {
    const failures = `${r.stdout}\n${r.stderr}`.split("\n").map((l) => l.trim()).filter((l) => /^error: /.test(l));
    return { code: r.code, seconds: r.seconds, stdout: r.stdout, stderr: r.stderr, failures };
}

const COMMON_ARGS = ["--yes", "--skip-preview", "--non-interactive", "--color", "never"];

/**
 * Applies `stack` on `lab` with the real engine: writes the lab's project and stack files (host
 * keys pinned, the lab's key and known_hosts), selects or creates the stack, sets sshPrivateKey as
 * a secret, runs `pulumi up`, then reads the outputs.
 */
export async function applyOnLab(lab: LabHosts, stack: LoadedStack, opts: EngineRunOptions = {}): Promise<EngineOutcome> {
    const log = opts.log ?? (() => undefined);
    const runName = opts.runName ?? lab.name;
    const { engine, ws } = prepareEngine(runName, log);
    writeWorkspace(ws, stack.stack, { ...labStackConfig(stack.config, lab), "macvlan-lab:controllerCaDir": controllerCaDirOf(ws) });
    // neither contacts a host: they run outside the controller, their output only in the logs
    await selectStack(ws, engine, stack.stack);
    await setSecret(ws, engine, SECRET_KEY, lab.privateKey);
    const r = await pulumiOnLab(lab, ws, engine, ["up", ...COMMON_ARGS, ...(opts.extraArgs ?? [])], {
        onLine: log,
        signal: opts.signal,
        timeoutMs: opts.timeoutMs ?? APPLY_TIMEOUT_MS,
        onStart: opts.onStart,
    });
    const out = outcomeOf(r);
    if (r.code === 0) {
        const o = await runPulumi(ws, engine, ["stack", "output", "--json"]);
        if (o.code === 0) out.outputs = JSON.parse(o.stdout) as EngineOutcome["outputs"];
    }
    return out;
}

/** `pulumi destroy` of run `runName` (defaults to the lab's name); undefined when nothing was applied. */
export async function destroyOnLab(lab: LabHosts, opts: EngineRunOptions = {}): Promise<EngineOutcome | undefined> {
    const log = opts.log ?? (() => undefined);
    const runName = opts.runName ?? lab.name;
    const ws = workspaceOf(runPaths(runName).dir);
    if (!fs.existsSync(path.join(ws.backend, ".pulumi"))) return undefined;
    const { engine } = prepareEngine(runName, log);
    const r = await pulumiOnLab(lab, ws, engine, ["destroy", "--run-program", ...COMMON_ARGS, ...(opts.extraArgs ?? [])], {
        onLine: log,
        signal: opts.signal,
        timeoutMs: opts.timeoutMs ?? DESTROY_TIMEOUT_MS,
        onStart: opts.onStart,
    });
    return outcomeOf(r);
}

/** Stops a pulumi that a killed run left behind (checked by its command line naming pulumi). */
async function stopStaleEngine(record: RunRecord | undefined, log: (l: string) => void): Promise<void> {
    const pid = record?.enginePid;
    if (pid === undefined || pid === process.pid || !isAlive(pid)) return;
    if (!cmdline(pid).includes("pulumi")) return;
    log(`lab ${record?.name}: stopping the pulumi a killed run left behind (pid ${pid})`);
    try {
        process.kill(-pid, "SIGTERM");
    } catch {
        return;
    }
    const until = Date.now() + ENGINE_STOP_GRACE_MS;
    while (isAlive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    if (isAlive(pid)) {
        try {
            process.kill(-pid, "SIGKILL");
        } catch {
            /* gone */
        }
    }
}

// ---------------------------------------------------------------------------------------------
// output for people

/** A plain-text table with a header and left-aligned columns. Pure. */
export function formatTable(headers: string[], rows: string[][]): string {
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
    return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** The connectivity matrix: source, target (with its address), network, expected, observed, ok. Pure. */
export function formatMatrix(rows: readonly CheckRow[]): string {
    return formatTable(
        ["source", "target", "network", "expected", "observed", "ok"],
        rows.map((r) => [
            r.source,
            r.targetIp ? `${r.target} (${r.targetIp})` : r.target,
            r.network,
            r.expected,
            r.observed,
            r.ok ? "ok" : "FAIL",
        ]),
    );
}

function secs(ms: number): string {
    return `${(ms / 1000).toFixed(1)} s`;
}

function downCommand(name: string, stack: string): string {
    return name === defaultLabName(stack) ? `npm run lab:down -- ${stack}` : `npm run lab:down -- --name ${name}`;
}

function pulumiCommand(name: string, stack: string): string {
    return name === defaultLabName(stack) ? `npm run lab:pulumi -- ${stack}` : `npm run lab:pulumi -- ${stack} --name ${name}`;
}

/** What to print after a successful `up`: the matrix, emulation, how to explore, how to tear down. */
export function explainLab(lab: LabHosts, stack: LoadedStack, apply: EngineOutcome, hostsMs: number | undefined): string[] {
    const out: string[] = [];
    const rows = apply.outputs?.checks ?? [];
    out.push("", "== connectivity (observed by the checks, pinging from inside the containers; `pulumi stack output checks`) ==");
    out.push(rows.length > 0 ? formatMatrix(rows) : "(the stack declares no checks)");
    if (stack.spec.vlans.length > 0) {
        out.push("", "== VLANs ==");
        if (lab.vlanMode === "emulated") {
            out.push(
                "EMULATED: this kernel has no 802.1Q VLAN devices, so the lab emulates each VLAN: every member host has a",
                `separate link named like the VLAN interface (${stack.spec.vlans.map((v) => v.interfaceName).join(", ")}), joined per VLAN by a bridge in ${lab.switchNetns}.`,
                "The ifcfg files are written as on a real host; the host networking steps print EMULATED: lines instead of",
                "creating 802.1Q devices and loading 8021q. On a kernel with 802.1Q the lab uses a real trunk instead.",
            );
        } else {
            out.push("802.1Q: each host's NIC is a trunk and the VLAN interfaces are real 802.1Q devices made by the program.");
        }
    }
    out.push("", "== explore ==");
    out.push("a shell in a container (enter the host's namespaces; `ip netns exec` would reach the wrong dockerd):");
    for (const c of stack.spec.containers) {
        const h = lab.hosts.find((x) => x.name === c.host);
        if (h !== undefined) out.push(`  nsenter -t ${h.keeperPid} -m -u -n docker exec -it ${c.name} sh      # ${c.name} on ${c.host}${c.ip ? `, ${c.ip}` : ""}`);
    }
    const first = lab.hosts[0];
    out.push("a shell on a host, over SSH from the controller (which has no route out; /root/.ssh/config there names every host):");
    out.push(`  nsenter -t ${lab.controllerKeeperPid} -m -u -n ssh ${first.name}`);
    out.push("any pulumi command on the lab's stack:");
    out.push(`  ${pulumiCommand(lab.name, stack.stack)} preview --expect-no-changes`);
    out.push(`  ${pulumiCommand(lab.name, stack.stack)} stack export`);
    out.push("tear down:");
    out.push(`  ${downCommand(lab.name, stack.stack)}`);
    out.push("", "== timings ==");
    out.push(
        formatTable(
            ["phase", "time", "notes"],
            [
                ["hosts up", hostsMs === undefined ? "-" : secs(hostsMs), hostsMs === undefined ? "reused the running hosts" : Object.entries(lab.timings).filter(([k]) => k !== "total").map(([k, v]) => `${k} ${secs(v)}`).join(", ")],
                ["pulumi up", `${apply.seconds.toFixed(1)} s`, "the real engine; includes the checks"],
                ["destroy", "-", `not run: the lab stays up (${downCommand(lab.name, stack.stack)} runs pulumi destroy)`],
            ],
        ),
    );
    return out;
}

// ---------------------------------------------------------------------------------------------
// up and down

export interface UpOptions {
    /** Lab name; defaults to the stack's name. */
    name?: string;
    log?: (line: string) => void;
    /** Skip installing Debian packages (the caller did). Defaults to false. */
    skipPackages?: boolean;
    /**
     * A host profile (lab/profiles) applied to freshly built hosts before the first apply; a lab
     * with a profile stays up when the apply fails, so the preflight's fixes can be tried on it.
     */
    profile?: Profile;
}

/** The preflight's PROBLEM lines in pulumi's output, once each, in order. Pure. */
export function preflightProblems(output: string): string[] {
    const seen = new Set<string>();
    for (const m of output.matchAll(/preflight [^\s:]+: PROBLEM \d+: .*/g)) seen.add(m[0].trimEnd());
    return [...seen];
}

/** Tears lab `name` down: `pulumi destroy` (when its hosts are up), then the hosts. Never throws. */
export async function downLab(
    name: string,
    log: (l: string) => void,
): Promise<{ destroyMs?: number; destroy?: EngineOutcome; hostsMs: number }> {
    const record = readRecord(name);
    await stopStaleEngine(record, log);
    const p = runPaths(name);
    let destroy: EngineOutcome | undefined;
    let destroyMs: number | undefined;
    if (fs.existsSync(path.join(workspaceOf(p.dir).backend, ".pulumi"))) {
        const lab = tryAttach(name);
        if (lab === undefined) {
            log(`lab ${name}: its hosts are not (all) up, so pulumi destroy cannot run; removing the hosts removes everything the apply made (it all lives inside them)`);
        } else {
            log(`lab ${name}: pulumi destroy`);
            const t = Date.now();
            destroy = await destroyOnLab(lab, { log: (l) => log(`  ${l}`) });
            destroyMs = Date.now() - t;
            if (destroy !== undefined && destroy.code !== 0) {
                log(`lab ${name}: destroy failed (${destroy.code}); removing the hosts anyway, which removes everything the apply made`);
            }
        }
    }
    const t = Date.now();
    try {
        await hostsDown(name, { log: (l) => log(`  ${l}`) });
    } catch (e) {
        log(`lab ${name}: removing the hosts failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const hostsMs = Date.now() - t;
    fs.rmSync(p.dir, { recursive: true, force: true });
    return { destroyMs, destroy, hostsMs };
}

/**
 * `up`: validates the stack, installs missing packages, brings the hosts up (or reuses them),
 * runs `pulumi up` and explains the result. Returns the exit status.
 */
export async function up(stackName: string, opts: UpOptions = {}): Promise<number> {
    const log = opts.log ?? ((l: string) => console.log(l));
    const err = opts.log ?? ((l: string) => console.error(l));
    const name = opts.name ?? defaultLabName(stackName);
    const loaded = loadStack(stackName);
    const topo = loaded.stack ? topologyOf(name, loaded.stack.spec) : { errors: loaded.errors };
    if (loaded.stack === undefined || topo.topology === undefined) {
        err(`lab: stack ${stackName} cannot be run (nothing was built):`);
        for (const e of loaded.stack === undefined ? loaded.errors : topo.errors) err(`  - ${e}`);
        return 1;
    }
    const stack = loaded.stack;
    const topology = topo.topology;
    if (process.getuid?.() !== 0) {
        err(`lab: the local lab needs root (it makes network and mount namespaces and runs dockerd); stack ${stackName} is valid. Run: sudo npm run lab -- ${stackName}`);
        return 1;
    }
    const record = readRecord(name);
    if (record !== undefined && (record.phase === "hosts" || record.phase === "apply") && record.pid !== process.pid && isAlive(record.pid)) {
        err(`lab: lab ${name} is being worked on by another run (pid ${record.pid}, ${record.phase}); wait for it, or stop it and run ${downCommand(name, stackName)}`);
        return 1;
    }
    if (!opts.skipPackages) {
        const pk = await ensurePackages(log);
        if (pk.problems.length > 0) {
            err("lab: Debian packages the lab needs are missing (nothing was built):");
            for (const p of pk.problems) err(`  - ${p}`);
            return 1;
        }
    }
    const missing = checkPrerequisites();
    if (missing.length > 0) {
        err("lab: the lab cannot run on this machine (nothing was built):");
        for (const m of missing) err(`  - ${m}`);
        return 1;
    }

    // signals: stop pulumi (it cancels and saves its state), then tear down what this run built
    const abort = new AbortController();
    let interrupted: NodeJS.Signals | undefined;
    let tearingDown = false;
    const onSignal = (sig: NodeJS.Signals) => {
        if (tearingDown) {
            err(`lab: ${sig}: still tearing down (every step is bounded); if you kill this, ${downCommand(name, stackName)} finishes the job`);
            return;
        }
        if (interrupted !== undefined) {
            err(`lab: ${sig} again: exiting now; run ${downCommand(name, stackName)} to remove what is left`);
            process.exit(130);
        }
        interrupted = sig;
        err(`lab: ${sig}: stopping pulumi (it saves its state), then tearing down what this run built`);
        abort.abort();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    const cleanup = () => {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
    };

    try {
        log(`lab ${name}: stack ${stackName} (stacks/Pulumi.${stackName}.yaml), ${topology.hosts.length} host(s): ${topology.hosts.map((h) => `${h.name} ${h.address}/${h.prefixLength}`).join(", ")}`);
        let lab = tryAttach(name);
        let hostsMs: number | undefined;
        let built = false;
        const sameHosts = lab !== undefined && record !== undefined && record.stack === stackName && JSON.stringify(record.topology) === JSON.stringify(topology);
        if (lab !== undefined && sameHosts) {
            await stopStaleEngine(record, log);
            log(`lab ${name} is up already: applying the stack again (converge; what did not change stays as it is)`);
        } else {
            if (lab !== undefined || record !== undefined) {
                log(`lab ${name}: ${lab === undefined ? "left over from an earlier run" : record === undefined ? "up, but not started by this command" : "up with other hosts or another stack"}: tearing it down first`);
                tearingDown = true;
                await downLab(name, log);
                tearingDown = false;
            }
            if (interrupted !== undefined) return 130;
            log(""); log(`== hosts: ${topology.hosts.length} Docker host(s) as namespaces on this machine ==`);
            writeRecord({ name, stack: stackName, topology, phase: "hosts" });
            built = true;
            const t = Date.now();
            try {
                lab = await hostsUp(topology, { log: (l) => log(`  ${l}`) });
            } catch (e) {
                // hostsUp tore down what it made
                err(`lab: ${e instanceof Error ? e.message : String(e)}`);
                fs.rmSync(runPaths(name).dir, { recursive: true, force: true });
                return interrupted !== undefined ? 130 : 1;
            }
            hostsMs = Date.now() - t;
            if (opts.profile !== undefined && interrupted === undefined) {
                log(""); log(`== profile ${opts.profile}: the hosts as the tutorial leaves them ==`);
                await applyProfile(opts.profile, lab, stack, (l) => log(`  ${l}`));
            }
            if (interrupted !== undefined) {
                tearingDown = true;
                const d = await downLab(name, log);
                log(`lab ${name}: torn down after ${interrupted} (hosts ${secs(d.hostsMs)})`);
                return 130;
            }
        }

        log(""); log("== pulumi up (the real engine; Pulumi's own progress output) ==");
        writeRecord({ name, stack: stackName, topology, phase: "apply" });
        const apply = await applyOnLab(lab, stack, {
            log: (l) => log(`  ${l}`),
            signal: abort.signal,
            onStart: (pid) => writeRecord({ name, stack: stackName, topology, phase: "apply", enginePid: pid }),
        });
        if (apply.code !== 0 || interrupted !== undefined) {
            const why = interrupted !== undefined ? `interrupted (${interrupted})` : `failed (pulumi exit ${apply.code})`;
            err(`lab ${name}: apply ${why} after ${apply.seconds.toFixed(1)} s`);
            for (const f of apply.failures) err(`  ${f}`);
            const problems = preflightProblems(`${apply.stdout}\n${apply.stderr}`);
            if (problems.length > 0) {
                err(""); err(`lab ${name}: the preflight found ${problems.length} problem(s); nothing was changed on any host:`);
                for (const p of problems) err(`  ${p}`);
            }
            if (opts.profile !== undefined && interrupted === undefined) {
                writeRecord({ name, stack: stackName, topology, phase: "failed" });
                log(`lab ${name}: the hosts stay up (profile ${opts.profile}); apply a fix on a host with: ssh -F ${lab.sshConfigPath} <host> '<command>', then run again: npm run lab -- ${stackName}${name === defaultLabName(stackName) ? "" : ` --name ${name}`}`);
            } else if (built) {
                tearingDown = true;
                log(`lab ${name}: tearing down what this run built`);
                const d = await downLab(name, log);
                log(`lab ${name}: torn down (destroy ${d.destroyMs === undefined ? "-" : secs(d.destroyMs)}, hosts ${secs(d.hostsMs)})`);
            } else {
                writeRecord({ name, stack: stackName, topology, phase: "failed" });
                log(`lab ${name}: the hosts were up before this run and stay up (with what the apply did so far); fix the stack and run again, or ${downCommand(name, stackName)}`);
            }
            return interrupted !== undefined ? 130 : 1;
        }
        writeRecord({ name, stack: stackName, topology, phase: "up" });
        for (const l of explainLab(lab, stack, apply, hostsMs)) log(l);
        log(""); log(`lab ${name} is up. It stays up until: ${downCommand(name, stackName)}`);
        return 0;
    } finally {
        cleanup();
    }
}

/** `down`: tears down lab(s): the one named, or every lab `up` started and the stacks' default labs. */
export async function down(target: { stack?: string; name?: string }, log: (l: string) => void = (l) => console.log(l)): Promise<number> {
    if (process.getuid?.() !== 0) {
        console.error("lab: tearing the lab down needs root: sudo npm run lab:down");
        return 1;
    }
    let names: string[];
    if (target.name !== undefined || target.stack !== undefined) {
        const name = target.name ?? defaultLabName(target.stack as string);
        const problem = labNameProblem(name);
        if (problem !== undefined) {
            console.error(`lab: ${problem}`);
            return 1;
        }
        names = [name];
    } else {
        const stacks = (() => {
            try {
                return listStacks();
            } catch {
                return [];
            }
        })().map(defaultLabName);
        const withNs = labsWithNamespaces();
        names = [...new Set([...recordedLabs(), ...stacks.filter((s) => withNs.includes(s) || fs.existsSync(path.join(LAB_ROOT, s)))])].sort();
        const others = withNs.filter((n) => !names.includes(n));
        if (others.length > 0) {
            log(`lab: other labs have namespaces here (${others.join(", ")}) but were not started by npm run lab; left alone (npx ts-node lab/hosts/cli.ts down <name> removes one)`);
        }
        if (names.length === 0) {
            log("lab: no lab to tear down");
            return 0;
        }
    }
    for (const name of names) {
        const t = Date.now();
        const d = await downLab(name, log);
        log(
            `lab ${name}: down in ${secs(Date.now() - t)} (destroy ${d.destroyMs === undefined ? "- (nothing applied)" : secs(d.destroyMs)}, ` +
                `hosts ${secs(d.hostsMs)})${d.destroy !== undefined && d.destroy.code !== 0 ? `; pulumi destroy failed (${d.destroy.code})` : ""}`,
        );
    }
    return 0;
}

const USAGE = `usage:
  npm run lab -- <stack> [--name <lab>] [--profile <p>]    (ts-node lab/cli.ts up <stack> ...)
  npm run lab:down [-- <stack>] [--name <lab>]             (ts-node lab/cli.ts down ...)
  npm run lab:pulumi -- <stack> [--name <lab>] <args...>   (ts-node lab/cli.ts pulumi <stack> ...)
profiles: ${PROFILES.join(", ")} (hosts as the tutorial leaves them; see lab/profiles)
stacks: ${(() => {
    try {
        return listStacks().join(", ");
    } catch {
        return "?";
    }
})()}`;

export interface CliCommand {
    command: "up" | "down" | "pulumi";
    stack?: string;
    name?: string;
    /** `up`: a host profile for freshly built hosts. */
    profile?: Profile;
    /** `pulumi`: the arguments for pulumi. */
    args: string[];
}

/** argv after the script -> what to do; undefined when it is not a valid command line. Pure. */
export function parseCli(argv: string[]): CliCommand | undefined {
    const [command, ...rest] = argv;
    if (command !== "up" && command !== "down" && command !== "pulumi") return undefined;
    let stack: string | undefined;
    let name: string | undefined;
    let profile: Profile | undefined;
    const args: string[] = [];
    for (let i = 0; i < rest.length; i++) {
        const a = rest[i];
        if (command === "pulumi" && stack !== undefined) {
            if (a === "--name" && name === undefined && args.length === 0) {
                name = rest[++i];
                if (name === undefined) return undefined;
            } else {
                args.push(a);
            }
        } else if (a === "--name") {
            name = rest[++i];
            if (name === undefined) return undefined;
        } else if (a === "--profile" && command === "up") {
            const p = rest[++i];
            if (p === undefined || !isProfile(p)) return undefined;
            profile = p;
        } else if (a.startsWith("-") || stack !== undefined) {
            return undefined;
        } else {
            stack = a;
        }
    }
    if ((command === "up" || command === "pulumi") && stack === undefined) return undefined;
    if (command === "pulumi" && args.length === 0) return undefined;
    return { command, stack, name, args, ...(profile !== undefined ? { profile } : {}) };
}

/**
 * `lab:pulumi`: runs `pulumi <args>` on the lab's stack, in the controller, with the terminal
 * attached (so `preview --expect-no-changes`, `stack export`, `refresh` are one line).
 */
export async function pulumiCli(stackName: string, args: string[], name: string = defaultLabName(stackName)): Promise<number> {
    const lab = tryAttach(name);
    if (lab === undefined) {
        console.error(`lab: lab ${name} is not up; run npm run lab -- ${stackName} first`);
        return 1;
    }
    const { engine, ws } = prepareEngine(name, (l) => console.error(l));
    if (!fs.existsSync(path.join(ws.project, `Pulumi.${stackName}.yaml`))) {
        console.error(`lab: stack ${stackName} was never applied on lab ${name}; run npm run lab -- ${stackName} first`);
        return 1;
    }
    writeProject(ws); // the program as it is now, as npm run lab would run it
    await selectStack(ws, engine, stackName);
    const r = await pulumiOnLab(lab, ws, engine, args, { inherit: true });
    return r.code;
}

async function main(argv: string[]): Promise<number> {
    const parsed = parseCli(argv);
    if (parsed === undefined) {
        console.error(USAGE);
        return 2;
    }
    if (parsed.command === "up") {
        return up(parsed.stack as string, { name: parsed.name, profile: parsed.profile });
    }
    if (parsed.command === "pulumi") {
        return pulumiCli(parsed.stack as string, parsed.args, parsed.name);
    }
    return down({ stack: parsed.stack, name: parsed.name });
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            console.error(`lab: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
            process.exit(1);
        },
    );
}

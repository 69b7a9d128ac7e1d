/**
 * The local lab: a stack's Docker hosts made on this machine (network + mount + UTS namespaces with
 * their own sshd and dockerd, see lab/hosts) and the stack's program applied to them for real by the
 * lab driver (a stand-in for `pulumi up`, see lab/driver). Root only.
 *
 *   npm run lab -- <stack> [--name <lab>] [--verbose]      up: build the hosts (or reuse them) and apply
 *   npm run lab:down [-- <stack>] [--name <lab>]           down: destroy, then remove the hosts
 *
 * (`ts-node lab/cli.ts up <stack>` and `ts-node lab/cli.ts down [<stack>]`.)
 *
 * `up` leaves the lab running. Run again for a lab that is up, it applies the stack again
 * (converge); when the stack's hosts changed, it rebuilds them. When a run that built the hosts
 * fails or is interrupted (SIGINT, SIGTERM), it destroys what the apply made and removes the hosts.
 * `down` without a stack removes every lab that `up` started (and the stacks' default labs).
 *
 * What a run keeps, under `<repo>/.lab/`: `<lab>/` the hosts' state (lab/hosts), and
 * `_runs/<lab>/` this CLI's record of the run, the driver's config (0600: it holds the lab's key)
 * and the driver's state, which `down` destroys from.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";
import { LabHosts, LabTopology, attachLab, checkPrerequisites, hostsDown, hostsUp } from "./hosts";
import { isAlive, cmdline } from "./hosts/proc";
import { ensurePackages } from "./packages";
import { LoadedStack, defaultLabName, driverConfig, labNameProblem, loadStack, topologyOf } from "./topology";
import { listStacks } from "./stackFile";

export const REPO_ROOT = path.resolve(__dirname, "..");
const PROGRAM = path.join(REPO_ROOT, "index.ts");
const DRIVER_CLI = path.join(REPO_ROOT, "lab", "driver", "cli.ts");
const LAB_ROOT = path.join(REPO_ROOT, ".lab");
/** `_` never starts a lab name, so this directory never is a lab's state directory. */
const RUNS_DIR = path.join(LAB_ROOT, "_runs");
/** A whole apply or destroy is killed after this long (the driver bounds each session itself). */
const APPLY_TIMEOUT_MS = 20 * 60_000;
const DESTROY_TIMEOUT_MS = 10 * 60_000;
/** After SIGTERM, the driver gets this long to kill its sessions and save its state. */
const DRIVER_STOP_GRACE_MS = 30_000;

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
    /** The running driver, while one runs. */
    driverPid?: number;
    updatedAt: string;
}

export interface RunPaths {
    dir: string;
    record: string;
    /** The driver's config (0600: it holds the lab's private key). */
    config: string;
    /** The driver's state. */
    state: string;
    sshCounts: string;
}

export function runPaths(name: string): RunPaths {
    const dir = path.join(RUNS_DIR, name);
    return {
        dir,
        record: path.join(dir, "run.json"),
        config: path.join(dir, "driver-config.json"),
        state: path.join(dir, "driver-state.json"),
        sshCounts: path.join(dir, "ssh-counts.json"),
    };
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
            const m = /^([a-z0-9][a-z0-9-]{0,23})_(switch|controller|host_.+)$/.exec(n);
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
// the driver, as a child process in the controller's network namespace

/** One step line of the driver: `[<host>] <type> <resource>: <status> (<s>s)`. */
export interface StepLine {
    host: string;
    type: string;
    name: string;
    status: string;
    seconds: number;
}

const STEP_LINE = /^\[([^\]]+)\] (\S+) (\S+): (created|unchanged|updated|replaced|deleted|kept|failed) \(([0-9.]+)s\)$/;

/** A step line of the driver's output, or undefined for any other line. Pure. */
export function parseStepLine(line: string): StepLine | undefined {
    const m = STEP_LINE.exec(line);
    return m ? { host: m[1], type: m[2], name: m[3], status: m[4], seconds: Number(m[5]) } : undefined;
}

/** One row of the program's `checks` output. */
export interface CheckRow {
    source: string;
    target: string;
    network: string;
    targetIp?: string;
    expected: string;
    observed: string;
    ok: boolean;
}

export interface DriverOutcome {
    /** The driver's exit status (0 done, 1 failed, 2 usage, 130 interrupted; 124 when we killed it for time). */
    code: number;
    steps: StepLine[];
    /** The stack outputs (apply only, when it succeeded). */
    outputs?: { checks?: CheckRow[]; registry?: string; hosts?: unknown };
    /** SSH sessions per host. */
    sshSessions: Record<string, number>;
    /** Wall time of the child process. */
    seconds: number;
    /** `<host>: <resource>: <what>` lines of a failure. */
    failures: string[];
    stdout: string;
    stderr: string;
}

/**
 * The outputs block (`outputs:` up to `ssh sessions per host:`), the sessions line and the steps
 * of the driver's stdout. Pure.
 */
export function parseDriverStdout(stdout: string): Pick<DriverOutcome, "steps" | "outputs" | "sshSessions"> {
    const lines = stdout.split("\n");
    const steps = lines.map(parseStepLine).filter((s): s is StepLine => s !== undefined);
    let outputs: DriverOutcome["outputs"];
    const start = lines.indexOf("outputs:");
    const sessionsAt = lines.findIndex((l) => l.startsWith("ssh sessions per host:"));
    if (start >= 0 && sessionsAt > start) {
        try {
            outputs = JSON.parse(lines.slice(start + 1, sessionsAt).join("\n")) as DriverOutcome["outputs"];
        } catch {
            outputs = undefined;
        }
    }
    const sshSessions: Record<string, number> = {};
    if (sessionsAt >= 0) {
        for (const m of lines[sessionsAt].matchAll(/(\S+)=(\d+)/g)) sshSessions[m[1]] = Number(m[2]);
    }
    return { steps, outputs, sshSessions };
}

export interface DriverRunOptions {
    /** Receives every line the driver prints (stdout, and stderr prefixed), except the outputs block. */
    log?: (line: string) => void;
    /** Aborting sends the driver SIGTERM (it kills its sessions and saves its state). */
    signal?: AbortSignal;
    /** Skip type-checking of the program (ts-node transpile-only): faster, for tests. Defaults to false. */
    transpileOnly?: boolean;
    verbose?: boolean;
    /** Called with the driver's pid once it started. */
    onStart?: (pid: number) => void;
    timeoutMs?: number;
}

/**
 * Runs the lab driver (`lab/driver/cli.ts <args>`) in the controller's network namespace. The
 * child gets SIGTERM when this process dies (setpriv --pdeathsig), so a killed `lab` never leaves
 * a driver working behind it.
 */
export function runDriver(lab: LabHosts, args: string[], opts: DriverRunOptions = {}): Promise<DriverOutcome> {
    const log = opts.log ?? (() => undefined);
    const argv = [
        "setpriv", "--pdeathsig", "SIGTERM", "--",
        "nsenter", `--net=/run/netns/${lab.controllerNetns}`, "--",
        process.execPath, require.resolve("ts-node/dist/bin.js"), DRIVER_CLI, ...args,
        ...(opts.verbose ? ["--verbose"] : []),
    ];
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (opts.transpileOnly) env.TS_NODE_TRANSPILE_ONLY = "true";
    const t0 = Date.now();
    return new Promise((resolve) => {
        // its own process group: a Ctrl-C on the terminal reaches us, and we stop the driver once
        const child = spawn(argv[0], argv.slice(1), { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
        if (child.pid !== undefined) opts.onStart?.(child.pid);
        let stdout = "";
        let stderr = "";
        let inOutputs = false;
        readline.createInterface({ input: child.stdout }).on("line", (line) => {
            stdout += `${line}\n`;
            if (line === "outputs:") inOutputs = true;
            else if (line.startsWith("ssh sessions per host:")) inOutputs = false;
            if (!inOutputs) log(line);
        });
        readline.createInterface({ input: child.stderr }).on("line", (line) => {
            stderr += `${line}\n`;
            log(line);
        });
        let killedForTime = false;
        const stop = () => {
            try {
                if (child.pid !== undefined) process.kill(child.pid, "SIGTERM");
            } catch {
                /* gone */
            }
            const hard = setTimeout(() => {
                try {
                    if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
                } catch {
                    /* gone */
                }
            }, DRIVER_STOP_GRACE_MS);
            hard.unref();
        };
        const timer = setTimeout(() => {
            killedForTime = true;
            log(`lab: the driver ran longer than ${(opts.timeoutMs ?? APPLY_TIMEOUT_MS) / 1000} s: stopping it`);
            stop();
        }, opts.timeoutMs ?? APPLY_TIMEOUT_MS);
        const onAbort = () => stop();
        opts.signal?.addEventListener("abort", onAbort, { once: true });
        if (opts.signal?.aborted) stop();
        const finish = (code: number) => {
            clearTimeout(timer);
            opts.signal?.removeEventListener("abort", onAbort);
            const parsed = parseDriverStdout(stdout);
            const failedAt = stderr.split("\n").findIndex((l) => / failed after [0-9.]+ s:$/.test(l));
            const failures =
                failedAt >= 0
                    ? stderr.split("\n").slice(failedAt + 1).map((l) => l.trim()).filter((l) => l !== "")
                    : stderr.split("\n").filter((l) => /failed: /.test(l));
            resolve({ code: killedForTime ? 124 : code, ...parsed, seconds: (Date.now() - t0) / 1000, failures, stdout, stderr });
        };
        child.on("error", (e) => {
            stderr += `${e.message}\n`;
            finish(127);
        });
        child.on("close", (code, sig) => finish(code ?? (sig === "SIGTERM" ? 143 : 137)));
    });
}

export interface ApplyOptions extends DriverRunOptions {
    /** The run's name (defaults to the lab's): where the driver's config and state live. */
    runName?: string;
}

/** Writes the driver's config for `stack` on `lab` and applies it (one driver process). */
export async function applyOnLab(lab: LabHosts, stack: LoadedStack, opts: ApplyOptions = {}): Promise<DriverOutcome> {
    const p = runPaths(opts.runName ?? lab.name);
    fs.mkdirSync(p.dir, { recursive: true, mode: 0o700 });
    const cfg = driverConfig(stack.config, stack.spec, lab);
    fs.writeFileSync(p.config, JSON.stringify(cfg, null, 2) + "\n", { mode: 0o600 });
    fs.chmodSync(p.config, 0o600);
    fs.rmSync(p.sshCounts, { force: true });
    const args = [
        "apply", "--program", PROGRAM, "--stack", stack.stack, "--config-file", p.config, "--state", p.state,
        "--ssh-counts", p.sshCounts, "--key", lab.privateKeyPath,
    ];
    // no --known-hosts: the program pins every host key, and the driver's own known_hosts file
    // (next to its state) is removed by a complete destroy; the lab's is the Docker provider's
    const out = await runDriver(lab, args, opts);
    return withCounts(out, p.sshCounts);
}

/** Destroys what the driver's state of run `runName` (defaults to the lab's name) records; a no-op without state. */
export async function destroyOnLab(lab: LabHosts, opts: ApplyOptions = {}): Promise<DriverOutcome | undefined> {
    const p = runPaths(opts.runName ?? lab.name);
    if (!fs.existsSync(p.state)) return undefined;
    fs.rmSync(p.sshCounts, { force: true });
    const args = ["destroy", "--state", p.state, "--key", lab.privateKeyPath, "--ssh-counts", p.sshCounts];
    const out = await runDriver(lab, args, { ...opts, timeoutMs: opts.timeoutMs ?? DESTROY_TIMEOUT_MS });
    return withCounts(out, p.sshCounts);
}

function withCounts(out: DriverOutcome, file: string): DriverOutcome {
    try {
        const counts = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, number>;
        return { ...out, sshSessions: { ...out.sshSessions, ...counts } };
    } catch {
        return out;
    }
}

/** Stops a driver that a killed run left behind (checked by its command line naming this run's state). */
async function stopStaleDriver(record: RunRecord | undefined, log: (l: string) => void): Promise<void> {
    const pid = record?.driverPid;
    if (pid === undefined || pid === process.pid || !isAlive(pid)) return;
    if (!cmdline(pid).includes(runPaths(record?.name ?? "").state)) return;
    log(`lab ${record?.name}: stopping the driver a killed run left behind (pid ${pid})`);
    try {
        process.kill(pid, "SIGTERM");
    } catch {
        return;
    }
    const until = Date.now() + DRIVER_STOP_GRACE_MS;
    while (isAlive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    if (isAlive(pid)) {
        try {
            process.kill(pid, "SIGKILL");
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

/** The check steps' durations from the driver's steps: the checks run at once, one per host. */
export function checkTimes(steps: readonly StepLine[]): { seconds: number; perHost: Record<string, number> } {
    const checks = steps.filter((s) => s.type === "remote.Command" && /-checks-/.test(s.name));
    const perHost: Record<string, number> = {};
    for (const s of checks) perHost[s.host] = Math.max(perHost[s.host] ?? 0, s.seconds);
    return { seconds: Math.max(0, ...Object.values(perHost)), perHost };
}

function sessionsText(s: Record<string, number>): string {
    const parts = Object.entries(s).sort(([a], [b]) => a.localeCompare(b)).map(([h, n]) => `${h} ${n}`);
    return parts.length > 0 ? parts.join(", ") : "none";
}

function downCommand(name: string, stack: string): string {
    return name === defaultLabName(stack) ? `npm run lab:down -- ${stack}` : `npm run lab:down -- --name ${name}`;
}

/** What to print after a successful `up`: the matrix, emulation, how to explore, how to tear down. */
export function explainLab(lab: LabHosts, stack: LoadedStack, apply: DriverOutcome, hostsMs: number | undefined): string[] {
    const out: string[] = [];
    const rows = apply.outputs?.checks ?? [];
    out.push("", "== connectivity (observed by the checks, pinging from inside the containers) ==");
    out.push(rows.length > 0 ? formatMatrix(rows) : "(the stack declares no checks)");
    const checkSteps = apply.steps.filter((s) => s.type === "remote.Command" && /-checks-/.test(s.name));
    if (checkSteps.length > 0 && checkSteps.every((s) => s.status === "unchanged")) {
        out.push("(the checks did not run again: nothing they depend on changed, so this is the matrix of the apply that ran them)");
    }
    if (stack.spec.vlans.length > 0) {
        out.push("", "== VLANs ==");
        if (lab.vlanMode === "emulated") {
            out.push(
                "EMULATED: this kernel has no 802.1Q VLAN devices, so the lab emulates each VLAN: every member host has a",
                `separate link named like the VLAN interface (${stack.spec.vlans.map((v) => v.interfaceName).join(", ")}), joined per VLAN by a bridge in ${lab.switchNetns}.`,
                "The ifcfg files are written as on a real host; the host networking steps print EMULATED: lines (above) instead of",
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
    out.push(`  nsenter -t ${lab.controllerKeeperPid} -m -u -n docker -H ssh://${first.name} ps`);
    out.push("a command on a host without SSH:");
    out.push(`  nsenter -t ${first.keeperPid} -m -u -n ip -br addr`);
    out.push("tear down:");
    out.push(`  ${downCommand(lab.name, stack.stack)}`);
    const checks = checkTimes(apply.steps);
    out.push("", "== timings ==");
    out.push(
        formatTable(
            ["phase", "time", "notes"],
            [
                ["hosts up", hostsMs === undefined ? "-" : secs(hostsMs), hostsMs === undefined ? "reused the running hosts" : Object.entries(lab.timings).filter(([k]) => k !== "total").map(([k, v]) => `${k} ${secs(v)}`).join(", ")],
                ["apply", `${apply.seconds.toFixed(1)} s`, `${apply.steps.length} steps (${countBy(apply.steps.map((s) => s.status))}); includes the checks`],
                ["checks", `${checks.seconds.toFixed(1)} s`, checkSteps.length > 0 && checkSteps.every((s) => s.status === "unchanged") ? "not run again (unchanged)" : Object.entries(checks.perHost).map(([h, s]) => `${h} ${s.toFixed(1)} s`).join(", ") + (Object.keys(checks.perHost).length > 1 ? ", at once" : "")],
                ["destroy", "-", `not run: the lab stays up (${downCommand(lab.name, stack.stack)} prints it)`],
            ],
        ),
    );
    out.push(`ssh sessions per host (this apply): ${sessionsText(apply.sshSessions)}`);
    return out;
}

function countBy(xs: string[]): string {
    const m = new Map<string, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return [...m].map(([k, n]) => `${n} ${k}`).join(", ");
}

// ---------------------------------------------------------------------------------------------
// up and down

export interface UpOptions {
    /** Lab name; defaults to the stack's name. */
    name?: string;
    verbose?: boolean;
    transpileOnly?: boolean;
    log?: (line: string) => void;
    /** Skip installing Debian packages (the caller did). Defaults to false. */
    skipPackages?: boolean;
}

/** Tears lab `name` down: the driver's destroy (when its hosts are up), then the hosts. Never throws. */
export async function downLab(
    name: string,
    log: (l: string) => void,
    opts: { transpileOnly?: boolean } = {},
): Promise<{ destroyMs?: number; destroy?: DriverOutcome; hostsMs: number }> {
    const record = readRecord(name);
    await stopStaleDriver(record, log);
    const p = runPaths(name);
    let destroy: DriverOutcome | undefined;
    let destroyMs: number | undefined;
    if (fs.existsSync(p.state)) {
        const lab = tryAttach(name);
        if (lab === undefined) {
            log(`lab ${name}: its hosts are not (all) up, so the driver's destroy cannot run; removing the hosts removes everything the apply made (it all lives inside them)`);
        } else {
            log(`lab ${name}: destroy (the lab driver, newest first)`);
            const t = Date.now();
            destroy = await destroyOnLab(lab, { log: (l) => log(`  ${l}`), transpileOnly: opts.transpileOnly });
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
 * applies the stack with the driver and explains the result. Returns the exit status.
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

    // signals: stop the driver (it saves its state), then tear down what this run built
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
        err(`lab: ${sig}: stopping (the driver saves its state), then tearing down what this run built`);
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
            await stopStaleDriver(record, log);
            log(`lab ${name} is up already: applying the stack again (converge; what did not change stays as it is)`);
        } else {
            if (lab !== undefined || record !== undefined) {
                log(`lab ${name}: ${lab === undefined ? "left over from an earlier run" : record === undefined ? "up, but not started by this command" : "up with other hosts or another stack"}: tearing it down first`);
                tearingDown = true;
                await downLab(name, log, { transpileOnly: opts.transpileOnly });
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
            if (interrupted !== undefined) {
                tearingDown = true;
                const d = await downLab(name, log, { transpileOnly: opts.transpileOnly });
                log(`lab ${name}: torn down after ${interrupted} (hosts ${secs(d.hostsMs)})`);
                return 130;
            }
        }

        log(""); log("== apply: the lab driver, a stand-in for `pulumi up` (one line per step) ==");
        writeRecord({ name, stack: stackName, topology, phase: "apply" });
        const apply = await applyOnLab(lab, stack, {
            log: (l) => log(`  ${l}`),
            signal: abort.signal,
            verbose: opts.verbose,
            transpileOnly: opts.transpileOnly,
            onStart: (pid) => writeRecord({ name, stack: stackName, topology, phase: "apply", driverPid: pid }),
        });
        if (apply.code !== 0 || interrupted !== undefined) {
            const why = interrupted !== undefined ? `interrupted (${interrupted})` : `failed (driver exit ${apply.code})`;
            err(`lab ${name}: apply ${why} after ${apply.seconds.toFixed(1)} s`);
            for (const f of apply.failures) err(`  ${f}`);
            if (built) {
                tearingDown = true;
                log(`lab ${name}: tearing down what this run built`);
                const d = await downLab(name, log, { transpileOnly: opts.transpileOnly });
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
                `hosts ${secs(d.hostsMs)})${d.destroy !== undefined ? `; ssh sessions per host (destroy): ${sessionsText(d.destroy.sshSessions)}` : ""}`,
        );
    }
    return 0;
}

const USAGE = `usage:
  npm run lab -- <stack> [--name <lab>] [--verbose]     (ts-node lab/cli.ts up <stack> ...)
  npm run lab:down [-- <stack>] [--name <lab>]          (ts-node lab/cli.ts down ...)
stacks: ${(() => {
    try {
        return listStacks().join(", ");
    } catch {
        return "?";
    }
})()}`;

/** argv after the script -> what to do; undefined when it is not a valid command line. Pure. */
export function parseCli(argv: string[]): { command: "up" | "down"; stack?: string; name?: string; verbose: boolean } | undefined {
    const [command, ...rest] = argv;
    if (command !== "up" && command !== "down") return undefined;
    let stack: string | undefined;
    let name: string | undefined;
    let verbose = false;
    for (let i = 0; i < rest.length; i++) {
        const a = rest[i];
        if (a === "--name") {
            name = rest[++i];
            if (name === undefined) return undefined;
        } else if (a === "--verbose") {
            verbose = true;
        } else if (a.startsWith("-") || stack !== undefined) {
            return undefined;
        } else {
            stack = a;
        }
    }
    if (command === "up" && stack === undefined) return undefined;
    return { command, stack, name, verbose };
}

async function main(argv: string[]): Promise<number> {
    const parsed = parseCli(argv);
    if (parsed === undefined) {
        console.error(USAGE);
        return 2;
    }
    if (parsed.command === "up") {
        return up(parsed.stack as string, { name: parsed.name, verbose: parsed.verbose, transpileOnly: process.env.TS_NODE_TRANSPILE_ONLY === "true" });
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

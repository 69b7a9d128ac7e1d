/**
 * Benchmark (`npm run bench:lab [-- --rounds N]`, root): on the local lab, the multi-VLAN stack
 * applied by the real Pulumi engine (`pulumi up`, what `npm run lab -- multi-vlan` does) against the
 * same steps run one after another from a plain shell script of the tutorial's commands
 * (bench/tutorial.sh, one ssh session per command from the controller): promiscuous NIC, 8021q
 * (skipped with a note when VLANs are emulated), ifcfg files and addresses up, two macvlan networks
 * per host, the registry, daemon.json + SIGHUP, tag/push/pull, four containers, the pings.
 *
 * Every measurement starts from clean hosts: each round brings up a fresh lab (not timed), times one
 * side, and removes the lab. The engine's rounds also time a no-op `pulumi up` (the second run), the
 * check commands (Pulumi's per-resource durations of `lab-checks-*` in its output; they run in
 * parallel, one per host) and `pulumi destroy`, and check that destroy restored the hosts. Prints
 * both apply times and their ratio; asserts nothing about timings.
 */
import * as path from "path";
import { LabHosts, checkPrerequisites, hostsUp } from "../lab/hosts";
import { run } from "../lab/hosts/proc";
import { EngineOutcome, applyOnLab, destroyOnLab } from "../lab/run/engine";
import { downLab } from "../lab/run/down";
import { formatTable } from "../lab/run/output";
import { ensureEngine } from "../lab/pulumi";
import { ensurePackages } from "../lab/packages";
import { diffSnapshots, snapshotLab } from "../lab/snapshot";
import { LoadedStack, loadStack, topologyOf } from "../lab/topology";

const STACK = "multi-vlan";
const NAME = `mvlbench-${process.pid}`;
const SCRIPT = path.join(__dirname, "tutorial.sh");
const SCRIPT_TIMEOUT_MS = 10 * 60_000;

interface Round {
    kind: "engine" | "script";
    /** Wall time of the apply: `pulumi up` (engine, program, providers, checks), or the script. */
    seconds: number;
    /** The whole applyOnLab: stack select, config set --secret, pulumi up, stack output. */
    wallSeconds?: number;
    /** A second `pulumi up` with nothing to do. */
    noopSeconds?: number;
    /** host -> duration Pulumi printed for that host's check command. */
    checks?: Record<string, number>;
    destroySeconds?: number;
    restored?: boolean;
    /** ssh sessions per host (the script counts its own). */
    sessions?: Record<string, number>;
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

function sessionsText(s: Record<string, number> | undefined): string {
    return Object.entries(s ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([h, n]) => `${h} ${n}`).join(", ");
}

async function freshLab(stack: LoadedStack): Promise<LabHosts> {
    const topo = topologyOf(NAME, stack.spec);
    if (topo.topology === undefined) throw new Error(topo.errors.join("\n"));
    return hostsUp(topo.topology, { log });
}

function failed(what: string, out: EngineOutcome | undefined): Error {
    return new Error(`${what} failed (${out?.code}):\n${out?.failures.join("\n")}\n${(out?.stdout ?? "").split("\n").slice(-20).join("\n")}`);
}

async function engineRound(stack: LoadedStack): Promise<Round> {
    const lab = await freshLab(stack);
    try {
        const before = await snapshotLab(lab);
        const t0 = Date.now();
        const out = await applyOnLab(lab, stack, { log });
        const wallSeconds = (Date.now() - t0) / 1000;
        if (out.code !== 0) throw failed("pulumi up", out);
        const noop = await applyOnLab(lab, stack, { log });
        if (noop.code !== 0) throw failed("the no-op pulumi up", noop);
        const d = await destroyOnLab(lab, { log });
        if (d === undefined || d.code !== 0) throw failed("pulumi destroy", d);
        const diff = diffSnapshots(before, await snapshotLab(lab));
        if (diff.length > 0) console.log(`  destroy left differences:\n    ${diff.join("\n    ")}`);
        return {
            kind: "engine",
            seconds: out.seconds,
            wallSeconds,
            noopSeconds: noop.seconds,
            checks: checkDurations(out.stdout),
            destroySeconds: d.seconds,
            restored: diff.length === 0,
        };
    } finally {
        await downLab(NAME, log);
    }
}

async function scriptRound(stack: LoadedStack): Promise<Round> {
    const lab = await freshLab(stack);
    try {
        const t = Date.now();
        const r = await run(lab.controllerArgv(["env", `VLAN_MODE=${lab.vlanMode}`, "bash", SCRIPT]), { timeoutMs: SCRIPT_TIMEOUT_MS });
        const seconds = (Date.now() - t) / 1000;
        for (const l of r.stdout.split("\n")) if (l !== "") log(l);
        if (r.code !== 0) throw new Error(`bench/tutorial.sh failed (${r.code}):\n${r.stderr}\n${r.stdout.split("\n").slice(-10).join("\n")}`);
        const sessions: Record<string, number> = {};
        for (const m of (/^ssh sessions per host:(.*)$/m.exec(r.stdout)?.[1] ?? "").matchAll(/(\S+)=(\d+)/g)) sessions[m[1]] = Number(m[2]);
        return { kind: "script", seconds, sessions };
    } finally {
        await downLab(NAME, log);
    }
}

async function main(argv: string[]): Promise<number> {
    const at = argv.indexOf("--rounds");
    const rounds = at >= 0 ? Number(argv[at + 1]) : 1;
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) {
        console.error("usage: npm run bench:lab [-- --rounds N]   (N from 1 to 10; default 1)");
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
    // built (or found) before any timing: a cold build is not part of an apply
    const engine = ensureEngine((l) => console.log(l));

    let stopping = false;
    const onSignal = (sig: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        console.error(`${sig}: removing the bench lab ${NAME}`);
        void downLab(NAME, log).finally(() => process.exit(130));
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);

    console.log(`bench:lab: stack ${STACK}, pulumi ${engine.version} (${engine.source === "path" ? "from PATH" : engine.binDir}), ${rounds} round(s) of each, a fresh lab (${NAME}) for every measurement`);
    const results: Round[] = [];
    for (let i = 0; i < rounds; i++) {
        for (const kind of ["engine", "script"] as const) {
            const r = kind === "engine" ? await engineRound(stack) : await scriptRound(stack);
            results.push(r);
            const checks = Object.entries(r.checks ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([h, s]) => `${h} ${s} s`).join(", ");
            console.log(
                kind === "engine"
                    ? `  round ${i + 1} engine: pulumi up ${r.seconds.toFixed(1)} s (with stack select, config set, stack output ${r.wallSeconds?.toFixed(1)} s), ` +
                          `checks ${checks || "-"}, no-op pulumi up ${r.noopSeconds?.toFixed(1)} s, destroy ${r.destroySeconds?.toFixed(1)} s${r.restored ? " (hosts restored)" : " (hosts NOT restored)"}`
                    : `  round ${i + 1} tutorial script: ${r.seconds.toFixed(1)} s; ssh sessions ${sessionsText(r.sessions)}`,
            );
        }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const engineRounds = results.filter((r) => r.kind === "engine");
    const up = median(engineRounds.map((r) => r.seconds));
    const wall = median(engineRounds.map((r) => r.wallSeconds ?? NaN));
    const noop = median(engineRounds.map((r) => r.noopSeconds ?? NaN));
    const checks = median(engineRounds.map((r) => Math.max(...Object.values(r.checks ?? {}))));
    const destroy = median(engineRounds.map((r) => r.destroySeconds ?? NaN));
    const script = median(results.filter((r) => r.kind === "script").map((r) => r.seconds));
    console.log("");
    console.log(
        formatTable(
            ["", "seconds", "vs the script"],
            [
                ["pulumi up of multi-vlan (real engine; program, providers, checks)", up.toFixed(1), `${(up / script).toFixed(2)}x`],
                ["  with stack select, config set --secret, stack output", wall.toFixed(1), `${(wall / script).toFixed(2)}x`],
                ["tutorial commands, one after another (bench/tutorial.sh)", script.toFixed(1), "1.00x"],
                ["no-op pulumi up (second run)", noop.toFixed(1), ""],
                ["check commands (slowest host; they run in parallel)", Number.isFinite(checks) ? checks.toFixed(1) : "-", ""],
                ["pulumi destroy", destroy.toFixed(1), ""],
            ],
        ),
    );
    console.log(`ratio pulumi up / script: ${(up / script).toFixed(2)} (${rounds > 1 ? `medians of ${rounds} rounds` : "one round each"}; goal <= 0.5)`);
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

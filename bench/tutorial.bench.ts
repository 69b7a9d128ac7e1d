/**
 * Benchmark (`npm run bench:lab [-- --rounds N]`, root): on the local lab, the multi-VLAN stack
 * applied by the lab driver (what `npm run lab -- multi-vlan` does) against the same steps run one
 * after another from a plain shell script of the tutorial's commands (bench/tutorial.sh, one ssh
 * session per command from the controller): promiscuous NIC, 8021q (skipped with a note when VLANs
 * are emulated), ifcfg files and addresses up, two macvlan networks per host, the registry,
 * daemon.json + SIGHUP, tag/push/pull, four containers, the pings.
 *
 * Every measurement starts from clean hosts: each round brings up a fresh lab (not timed), times one
 * side, and removes the lab. The driver's rounds also time its destroy and check that it restored
 * the hosts. Prints both times and their ratio; asserts nothing about timings.
 */
import * as path from "path";
import { LabHosts, checkPrerequisites, hostsUp } from "../lab/hosts";
import { run } from "../lab/hosts/proc";
import { applyOnLab, checkTimes, destroyOnLab, downLab, formatTable } from "../lab/cli";
import { ensurePackages } from "../lab/packages";
import { diffSnapshots, snapshotLab } from "../lab/snapshot";
import { LoadedStack, loadStack, topologyOf } from "../lab/topology";

const STACK = "multi-vlan";
const NAME = `mvlbench-${process.pid}`;
const SCRIPT = path.join(__dirname, "tutorial.sh");
const SCRIPT_TIMEOUT_MS = 10 * 60_000;

interface Round {
    kind: "driver" | "script";
    /** Wall time of the apply (driver: the whole process, ts-node start included) or of the script. */
    seconds: number;
    /** The driver's own figure (`apply done in X s`): without starting node and loading the program. */
    innerSeconds?: number;
    checksSeconds?: number;
    destroySeconds?: number;
    restored?: boolean;
    sessions: Record<string, number>;
}

function log(line: string): void {
    if (process.env.BENCH_VERBOSE) console.log(`    | ${line}`);
}

function sessionsText(s: Record<string, number>): string {
    return Object.entries(s).sort(([a], [b]) => a.localeCompare(b)).map(([h, n]) => `${h} ${n}`).join(", ");
}

async function freshLab(stack: LoadedStack): Promise<LabHosts> {
    const topo = topologyOf(NAME, stack.spec);
    if (topo.topology === undefined) throw new Error(topo.errors.join("\n"));
    return hostsUp(topo.topology, { log });
}

async function driverRound(stack: LoadedStack): Promise<Round> {
    const lab = await freshLab(stack);
    try {
        const before = await snapshotLab(lab);
        const out = await applyOnLab(lab, stack, { log });
        if (out.code !== 0) throw new Error(`the driver's apply failed:\n${out.stderr}`);
        const inner = /^apply done in ([0-9.]+) s/m.exec(out.stdout)?.[1];
        const t = Date.now();
        const d = await destroyOnLab(lab, { log });
        const destroySeconds = (Date.now() - t) / 1000;
        if (d !== undefined && d.code !== 0) throw new Error(`the driver's destroy failed:\n${d.stderr}`);
        const diff = diffSnapshots(before, await snapshotLab(lab));
        if (diff.length > 0) console.log(`  destroy left differences:\n    ${diff.join("\n    ")}`);
        return {
            kind: "driver",
            seconds: out.seconds,
            innerSeconds: inner === undefined ? undefined : Number(inner),
            checksSeconds: checkTimes(out.steps).seconds,
            destroySeconds,
            restored: diff.length === 0,
            sessions: out.sshSessions,
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

    let stopping = false;
    const onSignal = (sig: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        console.error(`${sig}: removing the bench lab ${NAME}`);
        void downLab(NAME, log).finally(() => process.exit(130));
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);

    console.log(`bench:lab: stack ${STACK}, ${rounds} round(s) of each, a fresh lab (${NAME}) for every measurement`);
    const results: Round[] = [];
    for (let i = 0; i < rounds; i++) {
        for (const kind of ["driver", "script"] as const) {
            const r = kind === "driver" ? await driverRound(stack) : await scriptRound(stack);
            results.push(r);
            console.log(
                kind === "driver"
                    ? `  round ${i + 1} driver: apply ${r.seconds.toFixed(1)} s (driver's own ${r.innerSeconds?.toFixed(1)} s, checks ${r.checksSeconds?.toFixed(1)} s), destroy ${r.destroySeconds?.toFixed(1)} s${r.restored ? " (hosts restored)" : " (hosts NOT restored)"}; ssh sessions ${sessionsText(r.sessions)}`
                    : `  round ${i + 1} tutorial script: ${r.seconds.toFixed(1)} s; ssh sessions ${sessionsText(r.sessions)}`,
            );
        }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const driver = median(results.filter((r) => r.kind === "driver").map((r) => r.seconds));
    const inner = median(results.filter((r) => r.kind === "driver").map((r) => r.innerSeconds ?? NaN));
    const script = median(results.filter((r) => r.kind === "script").map((r) => r.seconds));
    console.log("");
    console.log(
        formatTable(
            ["", "seconds", "vs the script"],
            [
                ["lab driver apply (process: node start, program load, apply)", driver.toFixed(1), `${(driver / script).toFixed(2)}x`],
                ["lab driver apply (its own timer)", inner.toFixed(1), `${(inner / script).toFixed(2)}x`],
                ["tutorial commands, one after another (bench/tutorial.sh)", script.toFixed(1), "1.00x"],
            ],
        ),
    );
    console.log(`ratio driver / script: ${(driver / script).toFixed(2)} (${rounds > 1 ? `medians of ${rounds} rounds` : "one round each"})`);
    return 0;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    async (e) => {
        console.error(`bench:lab failed: ${e instanceof Error ? e.message : String(e)}`);
        await downLab(NAME, log).catch(() => undefined);
        process.exit(1);
    },
);

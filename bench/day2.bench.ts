/**
 * Benchmark (`npm run bench:day2`, root): the time of each day-2 `pulumi up` beside a fresh
 * `pulumi up` of the same stack. On one lab the multi-VLAN stack is applied, then every edit of
 * lab/day2.ts in turn (what the day-2 suite checks, README "What a change does"), each `pulumi up`
 * timed; on a second lab, for each edit, the stack as that edit leaves it is applied from nothing
 * (destroy, then up), timed the same way. The lab's hosts follow the stack on both (reconcileHosts).
 * Prints one row per edit: the day-2 up, the fresh up, their ratio, and the engine's counts of
 * replaced, updated, created and deleted resources; asserts nothing about timings.
 *
 *   npm run bench:day2              # on a quiet machine: the numbers are wall times
 */
import { LabHosts, checkPrerequisites, hostsUp, reconcileHosts } from "../lab/hosts";
import { EngineOutcome, applyOnLab, destroyOnLab, previewOnLab } from "../lab/run/engine";
import { downLab } from "../lab/run/down";
import { formatTable } from "../lab/run/output";
import { ensureEngine } from "../lab/pulumi";
import { ensurePackages } from "../lab/packages";
import { LoadedStack, loadStack, topologyOf } from "../lab/topology";
import { DAY2_EDITS, StackConfig, stepsOfPreview } from "../lab/day2";
import { loadLab, RawLabConfig } from "../components/model/validate";
import { rawLabConfig } from "../lab/stackFile";

const LIVE = `mvlday2-${process.pid}`;
const FRESH = `mvlfresh-${process.pid}`;

function log(line: string): void {
    if (process.env.BENCH_VERBOSE) console.log(`    | ${line}`);
}

function loaded(base: LoadedStack, config: StackConfig): LoadedStack {
    return { stack: base.stack, config, spec: loadLab(rawLabConfig(config) as RawLabConfig) };
}

function ok(what: string, out: EngineOutcome | undefined): EngineOutcome {
    if (out === undefined || out.code !== 0) {
        throw new Error(`${what} failed (${out?.code}):\n${(out?.stdout ?? "").split("\n").slice(-30).join("\n")}\n${out?.stderr ?? ""}`);
    }
    return out;
}

/**
 * A lab of `stack`'s hosts named `name`, or the running one brought to them; with `deferRemovals`,
 * hosts the stack no longer has stay until a later call (the apply deletes over SSH what it made there).
 */
async function labFor(name: string, stack: LoadedStack, running: LabHosts | undefined, deferRemovals = false): Promise<LabHosts> {
    const topo = topologyOf(name, stack.spec);
    if (topo.topology === undefined) throw new Error(topo.errors.join("\n"));
    return running === undefined ? hostsUp(topo.topology, { log }) : (await reconcileHosts(running, topo.topology, { log, deferRemovals, rebuild: false })).lab;
}

async function main(): Promise<number> {
    if (process.getuid?.() !== 0) {
        console.error("bench:day2: the lab needs root (network and mount namespaces, dockerd)");
        return 1;
    }
    const pk = await ensurePackages((l) => console.log(l));
    const problems = [...pk.problems, ...checkPrerequisites()];
    if (problems.length > 0) {
        console.error(`bench:day2: the lab cannot run here: ${problems.join("; ")}`);
        return 1;
    }
    ensureEngine((l) => console.log(l));
    const base = loadStack("multi-vlan").stack;
    if (base === undefined) throw new Error("stacks/Pulumi.multi-vlan.yaml does not load");
    let live: LabHosts | undefined;
    let fresh: LabHosts | undefined;
    const rows: string[][] = [];
    try {
        live = await labFor(LIVE, base, undefined);
        const first = ok("the first apply", await applyOnLab(live, base, { log }));
        rows.push(["(first apply of multi-vlan)", first.seconds.toFixed(1), "-", "-", "-"]);
        let config = base.config;
        for (const edit of DAY2_EDITS) {
            const next = loaded(base, edit.change(config));
            live = await labFor(LIVE, next, live, true);
            const plan = stepsOfPreview(ok(`preview of ${edit.title}`, await previewOnLab(live, next, { log, programDir: edit.program?.() })).stdout);
            const day2 = ok(`day-2 up of ${edit.title}`, await applyOnLab(live, next, { log, programDir: edit.program?.() }));
            live = await labFor(LIVE, next, live);
            // the same stack from nothing, on a lab of the same hosts
            // (what the last round applied there goes first, while its hosts are still up)
            if (fresh !== undefined) ok(`destroy on ${FRESH}`, await destroyOnLab(fresh, { log }));
            fresh = await labFor(FRESH, next, fresh);
            const scratch = ok(`fresh up of ${edit.title}`, await applyOnLab(fresh, next, { log, programDir: edit.program?.() }));
            rows.push([
                edit.title,
                day2.seconds.toFixed(1),
                scratch.seconds.toFixed(1),
                (day2.seconds / scratch.seconds).toFixed(2),
                `${plan.replace.length} / ${plan.update.length} / ${plan.create.length} / ${plan.delete.length}`,
            ]);
            console.log(`  ${edit.title}: day-2 up ${day2.seconds.toFixed(1)} s, fresh up ${scratch.seconds.toFixed(1)} s`);
            config = next.config;
        }
    } finally {
        await downLab(LIVE, log).catch((e) => console.error(`bench:day2: tearing down ${LIVE}: ${String(e)}`));
        await downLab(FRESH, log).catch((e) => console.error(`bench:day2: tearing down ${FRESH}: ${String(e)}`));
    }
    console.log("");
    console.log("day-2 pulumi up of each edit, beside a fresh pulumi up of the same stack (destroy, then up, on a lab of the same hosts):");
    console.log(formatTable(["edit", "day-2 up (s)", "fresh up (s)", "ratio", "replace / update / create / delete"], rows));
    return 0;
}

main().then(
    (code) => process.exit(code),
    (e: unknown) => {
        console.error(`bench:day2: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        process.exit(1);
    },
);

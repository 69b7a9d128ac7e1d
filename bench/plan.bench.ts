/**
 * Benchmark of validation and the address plan (`npm run bench`).
 *
 * For generated labs of 10, 100 and 1,000 hosts (8 networks on 8 VLANs, each spanning every host;
 * 20 containers per host spread over the networks, about 90% with a static address) it prints:
 * - parse+validate: `parseLab(raw)`, which reads and checks the whole config AND runs `planLab`
 *   once itself (it rejects a config whose plan cannot fit), so this column includes one plan;
 * - plan: `planLab(spec)` alone;
 * - aux: materialising `auxAddresses(plan, network, host)` for every network and host, as the
 *   program does: each list holds the network's reserved addresses and what the host's own range
 *   holds (nothing, by construction), so all lists together grow with hosts x reserved addresses.
 *   (Before, each list held every other host's statics: 17,970,028 entries for 1,000 hosts.)
 * Each figure is the median of several timed runs after one warm-up run. It measures; it asserts
 * nothing about timings (a test that fails on a slow machine is noise).
 */
import { performance } from "perf_hooks";
import { parseLab } from "../components/model/validate";
import { auxAddresses, planLab } from "../components/model/plan";
import { LabSpec } from "../components/model/types";
import { generateLab } from "../tools/generate";

const SIZES = [10, 100, 1000];
const NETWORKS = 8;
const CONTAINERS_PER_HOST = 20;
const SEED = 20240611;
/** Timed runs per measurement (after one warm-up). */
const RUNS = 5;

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median wall time of `runs` calls of `f` in ms, after one untimed warm-up call. */
function time<T>(runs: number, f: () => T): { ms: number; result: T } {
    let result = f(); // warm-up: JIT, ip-num's caches, first allocations
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        result = f();
        samples.push(performance.now() - t0);
    }
    return { ms: median(samples), result };
}

interface Row {
    hosts: number;
    containers: number;
    statics: number;
    validateMs: number;
    planMs: number;
    auxMs: number;
    auxEntries: number;
}

function fmt(ms: number): string {
    return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

function main(): void {
    const rows: Row[] = [];
    for (const hosts of SIZES) {
        const raw = generateLab({ hosts, networks: NETWORKS, containersPerHost: CONTAINERS_PER_HOST, seed: SEED });
        const v = time(RUNS, () => parseLab(raw));
        if (v.result.errors.length > 0 || v.result.spec === undefined) {
            throw new Error(`generated lab of ${hosts} hosts is invalid (seed ${SEED}): ${v.result.errors.slice(0, 3).map((e) => e.message).join("; ")}`);
        }
        const spec: LabSpec = v.result.spec;
        const p = time(RUNS, () => planLab(spec));
        if (p.result.errors.length > 0) {
            throw new Error(`plan of ${hosts} hosts failed: ${p.result.errors[0].message}`);
        }
        const plan = p.result.plan;
        const a = time(RUNS, () => {
            let entries = 0;
            for (const n of spec.networks) {
                for (const h of n.hosts) {
                    entries += Object.keys(auxAddresses(plan, n.name, h)).length;
                }
            }
            return entries;
        });
        rows.push({
            hosts,
            containers: spec.containers.length,
            statics: spec.containers.filter((c) => c.ip !== undefined).length,
            validateMs: v.ms,
            planMs: p.ms,
            auxMs: a.ms,
            auxEntries: a.result,
        });
    }

    console.log(`address plan benchmark: ${NETWORKS} networks (one VLAN each, spanning all hosts), ${CONTAINERS_PER_HOST} containers per host, seed ${SEED}`);
    console.log(`median of ${RUNS} runs after a warm-up; node ${process.version}`);
    console.log("parse+validate = parseLab(raw), which also runs planLab once; plan = planLab(spec) alone");
    console.log("");
    const header = ["hosts", "containers", "statics", "parse+validate ms", "plan ms"];
    const table = rows.map((r) => [String(r.hosts), String(r.containers), String(r.statics), fmt(r.validateMs), fmt(r.planMs)]);
    printTable(header, table);
    console.log("");
    console.log("aux addresses, materialised for every network and host (reserved ones + what the host's own range holds)");
    printTable(
        ["hosts", "aux entries", "aux ms"],
        rows.map((r) => [String(r.hosts), String(r.auxEntries), fmt(r.auxMs)]),
    );
    console.log("");
    const r100 = rows.find((r) => r.hosts === 100)!;
    const r1000 = rows.find((r) => r.hosts === 1000)!;
    const ratio = (a: number, b: number): string => (a / b).toFixed(1);
    console.log("growth 1000/100 (10x the hosts and containers; linear ~10, quadratic ~100):");
    console.log(`  parse+validate x${ratio(r1000.validateMs, r100.validateMs)}`);
    console.log(`  plan           x${ratio(r1000.planMs, r100.planMs)}`);
    console.log(`  aux (all)      x${ratio(r1000.auxMs, r100.auxMs)}  (entries x${ratio(r1000.auxEntries, r100.auxEntries)})`);
}

function printTable(header: string[], rows: string[][]): void {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join("  ");
    console.log(line(header));
    for (const r of rows) {
        console.log(line(r));
    }
}

main();

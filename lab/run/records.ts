/**
 * The run record of `npm run lab`: what a run writes about a lab it started, in
 * `.lab/_runs/<lab>/run.json` (the stack, the topology, the phase, the pids), and the labs this
 * machine has (by record, by namespace, running). The (de)serialisation and the rules that read a
 * record are pure; reading, writing and listing touch the files.
 */
import * as fs from "fs";
import * as path from "path";
import { LabHosts, LabTopology, TopologyDiff, attachLab, diffTopologies, isEmptyDiff, labOfNamespace } from "../hosts";
import { labNameProblem } from "../topology";
import { RUNS_DIR } from "../paths";

/** What `up` records about a lab it started, in `.lab/_runs/<lab>/run.json`. */
export interface RunRecord {
    name: string;
    stack: string;
    /** The stack's lab topology, what the run takes the hosts to (the hosts as they are: the lab's state.json, `LabHosts.topology`). */
    topology: LabTopology;
    /** The process that last worked on the lab. */
    pid: number;
    /** `hosts`: being built; `apply`: being applied; `up`: applied; `failed`: the last apply failed (the lab is up). */
    phase: "hosts" | "apply" | "up" | "failed";
    /** The running pulumi, while one runs. */
    enginePid?: number;
    updatedAt: string;
}

/** A record as a run gives it: the writer's pid and the time are added when it is written. */
export type RunRecordUpdate = Omit<RunRecord, "updatedAt" | "pid">;

export interface RunPaths {
    /** `.lab/_runs/<lab>/`: the record and the lab's Pulumi workspace (`pulumi/`). */
    dir: string;
    record: string;
}

export function runPaths(name: string): RunPaths {
    const dir = path.join(RUNS_DIR, name);
    return { dir, record: path.join(dir, "run.json") };
}

/** The text of `run.json` for `update`, written by process `pid` at `now`. Pure. */
export function recordText(update: RunRecordUpdate, pid: number, now: Date): string {
    const full: RunRecord = { ...update, pid, updatedAt: now.toISOString() };
    return JSON.stringify(full, null, 2) + "\n";
}

/** The record in `text`, or undefined when it is not JSON or not an object. Pure. */
export function parseRecord(text: string): RunRecord | undefined {
    try {
        const v = JSON.parse(text) as unknown;
        return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as RunRecord) : undefined;
    } catch {
        return undefined;
    }
}

export function readRecord(name: string): RunRecord | undefined {
    try {
        return parseRecord(fs.readFileSync(runPaths(name).record, "utf8"));
    } catch {
        return undefined;
    }
}

/** Writes the record of `update.name` (atomically), as this process, now. */
export function writeRecord(update: RunRecordUpdate): void {
    const p = runPaths(update.name);
    fs.mkdirSync(p.dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(`${p.record}.tmp`, recordText(update, process.pid, new Date()), { mode: 0o600 });
    fs.renameSync(`${p.record}.tmp`, p.record);
}

/**
 * Whether another run is working on the lab: a record in phase `hosts` or `apply` whose process is
 * not `self` and is alive (`isAlive`). Pure given `isAlive`.
 */
export function busyWith(record: RunRecord | undefined, self: number, isAlive: (pid: number) => boolean): record is RunRecord {
    return record !== undefined && (record.phase === "hosts" || record.phase === "apply") && record.pid !== self && isAlive(record.pid);
}

/** What `up` does with a lab's hosts before the apply. */
export type HostsPlan =
    /** Nothing is up and nothing is recorded: build the hosts. */
    | { kind: "build" }
    /** The running hosts are the stack's: apply again on them. */
    | { kind: "reuse" }
    /** The running hosts are the stack's earlier ones: change them in place (reconcileHosts), then apply. */
    | { kind: "reconcile"; diff: TopologyDiff }
    /** Tear down what is there (`why`), then build the hosts. */
    | { kind: "rebuild"; why: string };

/**
 * What `up` does with lab hosts of topology `running` (undefined when they are not up), recorded by
 * `record`, for stack `stack` whose lab topology is `topology`. Pure.
 */
export function hostsPlan(record: RunRecord | undefined, stack: string, running: LabTopology | undefined, topology: LabTopology): HostsPlan {
    if (running === undefined) return record === undefined ? { kind: "build" } : { kind: "rebuild", why: "left over from an earlier run" };
    if (record === undefined) return { kind: "rebuild", why: "up, but not started by this command" };
    if (record.stack !== stack) return { kind: "rebuild", why: `up with stack ${record.stack}` };
    const diff = diffTopologies(running, topology);
    if (diff.rebuild !== undefined) return { kind: "rebuild", why: `up with hosts it cannot change in place (${diff.rebuild})` };
    return isEmptyDiff(diff) ? { kind: "reuse" } : { kind: "reconcile", diff };
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
            const lab = labOfNamespace(n);
            if (lab !== undefined) names.add(lab);
        }
    } catch {
        /* no /run/netns */
    }
    return [...names].sort();
}

/** The running lab `name`, or undefined when it is not (completely) up. */
export function tryAttach(name: string): LabHosts | undefined {
    try {
        return attachLab(name);
    } catch {
        return undefined;
    }
}

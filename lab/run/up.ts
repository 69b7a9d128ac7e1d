/**
 * `npm run lab -- <stack>`: validates the stack, installs missing packages, brings the hosts up (or
 * reuses them, or changes them in place when the stack's hosts changed: lab/hosts/reconcile.ts,
 * removing what the stack no longer has after the apply; or rebuilds them when that cannot be done
 * in place), runs `pulumi up` and explains the result. A run that built the hosts and fails or is
 * interrupted (SIGINT, SIGTERM) destroys what the apply made and removes the hosts; the run record
 * (lab/run/records.ts) says what it is doing.
 */
import * as fs from "fs";
import { LabHosts, LabTopology, checkPrerequisites, diffTopologies, hostsUp, reconcileHosts } from "../hosts";
import { isAlive } from "../hosts/proc";
import { ensurePackages } from "../packages";
import { Profile, applyProfile } from "../profiles";
import { ensureRtt, rttTargets } from "../rtt";
import { defaultLabName, loadStack, topologyOf } from "../topology";
import { applyOnLab, stopStaleEngine } from "./engine";
import { downLab } from "./down";
import { downCommand, explainLab, preflightProblems, runHeadline, secs, tornDownLine, upCommand } from "./output";
import { busyWith, hostsPlan, readRecord, runPaths, tryAttach, writeRecord } from "./records";

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
    /**
     * A round trip (ms) added between the controller and the hosts by a delaying relay (lab/rtt).
     * Defaults to none: the relay of an earlier run is stopped.
     */
    rttMs?: number;
    /** Where the stack files are (`Pulumi.<stack>.yaml`). Defaults to the repo's `stacks/`. */
    stacksDir?: string;
}

/**
 * `up`: validates the stack, installs missing packages, brings the hosts up (or reuses them),
 * runs `pulumi up` and explains the result. Returns the exit status.
 */
export async function up(stackName: string, opts: UpOptions = {}): Promise<number> {
    const log = opts.log ?? ((l: string) => console.log(l));
    const err = opts.log ?? ((l: string) => console.error(l));
    const name = opts.name ?? defaultLabName(stackName);
    const loaded = loadStack(stackName, opts.stacksDir);
    const topo = loaded.stack ? topologyOf(name, loaded.stack.spec, loaded.stack.plan) : { errors: loaded.errors };
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
    if (busyWith(record, process.pid, isAlive)) {
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
        log(runHeadline(name, stackName, topology));
        let lab = tryAttach(name);
        let hostsMs: number | undefined;
        let built = false;
        /** Hosts, links or segments the stack no longer has: removed after the apply deleted what it made on them. */
        let removeAfterApply = false;
        const plan = hostsPlan(record, stackName, lab?.topology, topology);
        if (lab !== undefined && plan.kind === "reuse") {
            await stopStaleEngine(record, log);
            log(`lab ${name} is up already: applying the stack again (converge; what did not change stays as it is)`);
        } else if (lab !== undefined && plan.kind === "reconcile") {
            await stopStaleEngine(record, log);
            log(""); log(`== hosts: lab ${name} is up; the stack's hosts changed: changing only what changed, in place ==`);
            if (opts.profile !== undefined) log(`  (profile ${opts.profile} is applied to freshly built labs only, not to hosts added in place)`);
            writeRecord({ name, stack: stackName, topology, phase: "hosts" });
            const t = Date.now();
            try {
                const r = await reconcileHosts(lab, topology, {
                    log: (l) => log(`  ${l}`),
                    deferRemovals: true,
                    deferredNote: "after the apply (it deletes what the stack made there over SSH)",
                    rebuild: false,
                });
                removeAfterApply = r.pending;
            } catch (e) {
                err(`lab ${name}: changing the hosts in place failed: ${e instanceof Error ? e.message : String(e)}`);
                writeRecord({ name, stack: stackName, topology, phase: "failed" });
                const now = tryAttach(name)?.topology.hosts.map((h) => h.name).join(", ") ?? "see the state";
                log(`lab ${name}: the hosts stay up as they are now (${now}); fix the cause and run again, or ${downCommand(name, stackName)}`);
                return interrupted !== undefined ? 130 : 1;
            }
            hostsMs = Date.now() - t;
            lab.timings = { "changed in place": hostsMs };
            if (interrupted !== undefined) {
                writeRecord({ name, stack: stackName, topology, phase: "failed" });
                log(`lab ${name}: ${interrupted}: the hosts stay up as they are now; run again, or ${downCommand(name, stackName)}`);
                return 130;
            }
        } else {
            if (plan.kind === "rebuild") {
                log(`lab ${name}: ${plan.why}: tearing it down first`);
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

        const reg = stack.spec.registry;
        try {
            await ensureRtt(lab, rttTargets(lab.hosts, reg && { address: reg.address, port: reg.port }), opts.rttMs, (l) => log(`  ${l}`));
        } catch (e) {
            err(`lab ${name}: ${e instanceof Error ? e.message : String(e)}`);
            if (built) log(tornDownLine(name, await downLab(name, log)));
            return 1;
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
                log(`lab ${name}: the hosts stay up (profile ${opts.profile}); apply a fix on a host with: ssh -F ${lab.sshConfigPath} <host> '<command>', then run again: ${upCommand(name, stackName)}`);
            } else if (built) {
                tearingDown = true;
                log(`lab ${name}: tearing down what this run built`);
                const d = await downLab(name, log);
                log(tornDownLine(name, d));
            } else {
                writeRecord({ name, stack: stackName, topology, phase: "failed" });
                log(`lab ${name}: the hosts were up before this run and stay up (with what the apply did so far); fix the stack and run again, or ${downCommand(name, stackName)}`);
                if (removeAfterApply) log(`lab ${name}: what the stack no longer has (${pendingRemovals(lab, topology)}) stays until an apply succeeds`);
            }
            return interrupted !== undefined ? 130 : 1;
        }
        if (removeAfterApply) {
            log(""); log(`== hosts: removing what the stack no longer has (${pendingRemovals(lab, topology)}), now that the apply deleted what it made there ==`);
            const t = Date.now();
            try {
                await reconcileHosts(lab, topology, { log: (l) => log(`  ${l}`), rebuild: false });
            } catch (e) {
                err(`lab ${name}: the stack is applied, but removing what it no longer has failed: ${e instanceof Error ? e.message : String(e)}`);
                writeRecord({ name, stack: stackName, topology, phase: "failed" });
                log(`lab ${name}: the hosts stay up as they are now; run again, or ${downCommand(name, stackName)}`);
                return 1;
            }
            hostsMs = (hostsMs ?? 0) + (Date.now() - t);
            lab.timings = { "changed in place": hostsMs };
        }
        writeRecord({ name, stack: stackName, topology, phase: "up" });
        for (const l of explainLab(lab, stack, apply, hostsMs)) log(l);
        log(""); log(`lab ${name} is up. It stays up until: ${downCommand(name, stackName)}`);
        return 0;
    } finally {
        cleanup();
    }
}

/** What waits to be removed from `lab` to reach `topology` (`lab.topology` is the one in between), for people. */
function pendingRemovals(lab: LabHosts, topology: LabTopology): string {
    const d = diffTopologies(lab.topology, topology);
    return [
        ...d.removeHosts.map((h) => `host ${h}`),
        ...d.removeLinks.map((l) => `${l.interfaceName} on ${l.host}`),
        ...d.removeSegments.map((id) => `VLAN ${id}`),
    ].join(", ");
}

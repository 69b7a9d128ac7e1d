/**
 * The VM tests' suite hooks, one home for what every file under test/vm does around its cases:
 * skip with the printed reason where qemu cannot run (with CI set the skip fails the suite:
 * test/helpers/rootHooks.ts), start one VM per host of the stack, snapshot
 * each VM at its start, keep the run directory of a suite that failed, print the whole run's time.
 * Call inside a describe(). Also the helpers both files use on a script's result.
 */
import * as assert from "assert";
import { LabSpec } from "../../components/spec/types";
import { VmLab, VmSnapshot, vmUnavailable } from "../../lab/vm/harness";
import { GuestResult } from "../../lab/vm/qemu";

/** `r`, asserted to have exited 0 (the message carries what ran and its output). */
export function succeeded(r: GuestResult, what: string): GuestResult {
    assert.strictEqual(r.status, 0, `${what} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
    return r;
}

/** The `changed: ...` lines a host script printed (none when it found nothing to do). */
export function changes(r: GuestResult): string[] {
    return r.stdout.split("\n").filter((l) => l.startsWith("changed: "));
}

/** The last line a host script printed (its verdict: `nothing changed`, `no drift`, ...). */
export function lastLine(r: GuestResult): string {
    return r.stdout.trimEnd().split("\n").slice(-1)[0] ?? "";
}

export interface VmSuiteOptions {
    /** The stack whose hosts become VMs. */
    spec: LabSpec;
    /** How the suite's closing line names it (`vm: whole run 312.4 s`). */
    name: string;
    /** Gets the lab once it runs (the suite's cases use it). */
    started: (lab: VmLab) => void;
    /** Filled with each VM's snapshot at its start. */
    start: Map<string, VmSnapshot>;
    /** More of the image to print after its kernel (`iptables 1.8.9`). */
    imageDetail?: (lab: VmLab) => string;
}

export function vmSuiteHooks(o: VmSuiteOptions): void {
    const log = (l: string): void => console.log(`      ${l}`);
    let lab: VmLab | undefined;
    let failed = false;
    // from the suite's before(), not the file's loading: mocha loads every file before the first runs
    let since = Date.now();

    before(async function () {
        this.timeout(1_800_000);
        since = Date.now();
        const why = await vmUnavailable(log);
        if (why !== undefined) {
            log(`skipped: ${why}`);
            this.skip();
        }
        lab = await VmLab.start(o.spec, { log });
        const detail = o.imageDetail !== undefined ? `, ${o.imageDetail(lab)}` : "";
        log(`VM image: kernel ${lab.image.kernelRelease} (${lab.image.kernelPackage})${detail}, ${lab.image.built ? "built" : "cached"}; run directory ${lab.runDir}`);
        for (const h of o.spec.hosts) o.start.set(h.name, await lab.snapshot(h.name));
        o.started(lab);
    });

    afterEach(function () {
        if (this.currentTest?.state === "failed") failed = true;
    });

    after(async function () {
        if (lab) {
            await lab.stop(failed);
            if (failed) log(`kept for inspection: ${lab.runDir} (console logs, trunk.pcap)`);
        }
        log(`${o.name}: whole run ${((Date.now() - since) / 1000).toFixed(1)} s`);
    });
}

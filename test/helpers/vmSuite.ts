/**
 * The VM tests' suite hooks, one home for what every file under test/vm does around its cases:
 * skip with the printed reason where qemu cannot run (with CI set the skip fails the suite:
 * test/helpers/rootHooks.ts), start one VM per host of the stack, snapshot
 * each VM at its start, keep the run directory of a suite that failed, print the whole run's time.
 * Call inside a describe(). Also the helpers both files use on a script's result, and the same hooks
 * for userland VMs (userlandSuiteHooks).
 */
import * as assert from "assert";
import { HostSpec, LabSpec } from "../../components/model/types";
import { VmLab, VmSnapshot, vmUnavailable } from "../../lab/vm/harness";
import { GuestResult } from "../../lab/vm/qemu";
import { startUserlandHosts, UserlandLab, UserlandOptions, userlandUnavailable } from "../../lab/vm/userland";
import { USERLAND_SUITE } from "../../lab/vm/userland-image";

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

export interface UserlandSuiteOptions {
    /** The hosts that become userland VMs (a stack's, or made up for the test). */
    hosts: readonly HostSpec[];
    /** The network stack of each VM (one for all, or by host name). */
    stack: UserlandOptions["stack"];
    /** How the suite's closing line names it (`vm userland: whole run 212.4 s`). */
    name: string;
    /** Gets the lab once it runs (the suite's cases use it). */
    started: (lab: UserlandLab) => void;
    /** Filled with each VM's snapshot at its start (after its first boot). */
    start: Map<string, VmSnapshot>;
}

/**
 * vmSuiteHooks for userland VMs (lab/vm/userland.ts): skip with the printed reason where they cannot
 * run (userlandUnavailable), start one VM per host with its stack, snapshot each at its start, keep
 * the run directory of a suite that failed, print the image's line and the whole run's time.
 */
export function userlandSuiteHooks(o: UserlandSuiteOptions): void {
    const log = (l: string): void => console.log(`      ${l}`);
    let lab: UserlandLab | undefined;
    let failed = false;
    let since = Date.now();

    before(async function () {
        this.timeout(1_800_000);
        since = Date.now();
        const why = await userlandUnavailable(log);
        if (why !== undefined) {
            log(`skipped: ${why}`);
            this.skip();
        }
        lab = await startUserlandHosts(o.hosts, { stack: o.stack, log });
        const im = lab.image;
        log(
            `userland image: Debian ${USERLAND_SUITE}, ${Object.keys(im.packages).length} packages (systemd ${im.packages.systemd}, network-manager ${im.packages["network-manager"]}, netplan.io ${im.packages["netplan.io"]}, ifupdown ${im.packages.ifupdown}), ` +
                `kernel ${im.kernelRelease}, disk ${(im.diskBytes / 1e6).toFixed(0)} MB, ${im.built ? `built in ${im.buildSeconds.toFixed(1)} s` : "cached"}; run directory ${lab.runDir}`,
        );
        for (const h of o.hosts) o.start.set(h.name, await lab.snapshot(h.name));
        o.started(lab);
    });

    afterEach(function () {
        if (this.currentTest?.state === "failed") failed = true;
    });

    after(async function () {
        if (lab) {
            await lab.stop(failed);
            if (failed) log(`kept for inspection: ${lab.runDir} (console logs, overlays, trunk.pcap)`);
        }
        log(`${o.name}: whole run ${((Date.now() - since) / 1000).toFixed(1)} s`);
    });
}

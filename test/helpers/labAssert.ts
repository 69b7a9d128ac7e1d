/**
 * Assertions the lab tests share: an engine run that must have succeeded (its last lines shown
 * when it did not), and hosts that must look as they did before.
 */
import * as assert from "assert";
import { diffSnapshots, LabSnapshot } from "../../lab/snapshot";

/** The last `n` lines of `text`. */
export function tail(text: string, n = 40): string {
    return text.split("\n").slice(-n).join("\n");
}

/** Fails the test unless `out` (a pulumi run) ran and exited 0, showing its stderr and the tail of its stdout. */
export function assertApplied(out: { code: number | null; stdout: string; stderr: string } | undefined, what: string, lines = 40): void {
    assert.ok(out !== undefined, `${what}: nothing ran`);
    assert.equal(out.code, 0, `${what} failed (${out.code}):\n${out.stderr}\n${tail(out.stdout, lines)}`);
}

/** Fails the test unless the hosts differ in nothing between the two snapshots. */
export function noDiff(before: LabSnapshot, after: LabSnapshot, what: string): void {
    settledNoDiff(diffSnapshots(before, after), what);
}

/** Fails the test unless `d` (what still differs once the hosts settled, lab/snapshot.ts diffLabSettled) is empty. */
export function settledNoDiff(d: string[], what: string): void {
    assert.deepEqual(d, [], `${what}: the hosts differ:\n  ${d.join("\n  ")}`);
}

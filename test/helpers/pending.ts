/**
 * The rules for tests that cannot do their work, as pure functions (test/helpers/rootHooks.ts wires
 * them into mocha; test/unit/pending.test.ts tests them):
 *
 * - without `CI`: such a test prints why and is pending (a newcomer's `npm test` without root or
 *   Debian's packages says what it did not run, and stays green);
 * - with `CI`: it fails, unless it is on the list of test/helpers/allowedPending.ts with the reason
 *   it printed; and at the end of the run every pending test is checked against that list.
 */

/** Whether this run is CI: `CI` set to anything but "", "0" or "false" (GitHub, GitLab and `.ci/run` set CI=true). */
export function ciMode(env: NodeJS.ProcessEnv = process.env): boolean {
    const v = (env.CI ?? "").trim().toLowerCase();
    return v !== "" && v !== "0" && v !== "false";
}

/** A test that may be pending under CI: its file, its full title, the reason it prints, and why that is no gap. */
export interface AllowedPending {
    /** The test file, relative to the repo root (`test/exec/host-exec.test.ts`). */
    file: string;
    /** Matches the test's full title (its describe titles and its own, joined by spaces). */
    title: RegExp;
    /** Matches the reason the test printed (its `skipped: ...` line, trimmed). */
    reason: RegExp;
    /** Why this pending test is no gap in what CI proves. */
    why: string;
}

/** A test that ended pending: where, what, and the reason it printed (undefined: none). */
export interface PendingTest {
    file: string;
    title: string;
    reason: string | undefined;
}

/**
 * The reason in a line a test printed before it skipped: `skipped: ...`, `skipping: ...`,
 * `skipping the multi-vlan lab: ...` (the line itself, trimmed), or undefined for any other line. Pure.
 */
export function skipReasonIn(line: string): string | undefined {
    const t = line.trim();
    return /^skip(?:ped|ping)\b[^:\n]*:\s*\S/.test(t) ? t : undefined;
}

/** The entry of `allowed` that lets `t` be pending (file, title and printed reason all match), or undefined. Pure. */
export function allowedEntry(t: PendingTest, allowed: readonly AllowedPending[]): AllowedPending | undefined {
    return allowed.find((a) => a.file === t.file && a.title.test(t.title) && t.reason !== undefined && a.reason.test(t.reason));
}

/** One line for a pending test: `test/x.test.ts: "title": skipped: why`. Pure. */
export function describePending(t: PendingTest): string {
    return `${t.file}: "${t.title}": ${t.reason ?? "(printed no reason)"}`;
}

/**
 * The verdict on a run's pending tests: those the list allows, and those it does not (which fail a
 * CI run). Pure.
 */
export function judgePending(pending: readonly PendingTest[], allowed: readonly AllowedPending[]): { allowed: PendingTest[]; refused: PendingTest[] } {
    const ok: PendingTest[] = [];
    const refused: PendingTest[] = [];
    for (const t of pending) (allowedEntry(t, allowed) !== undefined ? ok : refused).push(t);
    return { allowed: ok, refused };
}

/**
 * What the end of a run prints about its pending tests, grouped by reason (a lab file that cannot
 * start skips 40 tests for one reason), and the error that fails a CI run (undefined: none). Pure.
 */
export function pendingReport(pending: readonly PendingTest[], allowed: readonly AllowedPending[], ci: boolean): { lines: string[]; error: string | undefined } {
    if (pending.length === 0) return { lines: [], error: undefined };
    const verdict = judgePending(pending, allowed);
    const groups = new Map<string, PendingTest[]>();
    for (const t of pending) {
        const key = `${t.file}: ${t.reason ?? "(printed no reason)"}`;
        groups.set(key, [...(groups.get(key) ?? []), t]);
    }
    const lines = [
        `${pending.length} pending (${verdict.allowed.length} on the list of test/helpers/allowedPending.ts${ci ? "" : `; with CI set the other ${verdict.refused.length} would fail`}):`,
        ...[...groups.entries()].map(([key, ts]) => `  ${ts.length} x ${key}${ts.every((t) => verdict.allowed.includes(t)) ? " (allowed)" : ""}`),
    ];
    const error =
        ci && verdict.refused.length > 0
            ? [
                  `CI is set, and ${verdict.refused.length} test(s) are pending that test/helpers/allowedPending.ts does not list with the reason they printed; a CI run that did not do its work is red:`,
                  ...verdict.refused.map((t) => `  ${describePending(t)}`),
              ].join("\n")
            : undefined;
    return { lines, error };
}

/** The error a skip under CI throws instead of pending. Pure. */
export function refusedSkipMessage(t: PendingTest): string {
    return (
        `CI is set, so a test that cannot do its work fails instead of pending: ${t.reason ?? "(it printed no reason)"}. ` +
        `Only the tests listed in test/helpers/allowedPending.ts, with the reason they print, may be pending under CI (${t.file}: "${t.title}").`
    );
}

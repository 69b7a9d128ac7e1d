/**
 * Mocha root hooks for every run (`.mocharc.json` requires this file), so that a run cannot go green
 * while its important parts did nothing:
 *
 * - A test that cannot do its work prints why (`skipped: ...`, `skipping the lab: ...`) and calls
 *   `this.skip()`. Without `CI` it is pending, as before. With `CI` set (`.ci/run` sets it) the skip
 *   throws instead, so the test, or the suite whose `before` hook skipped, fails with that reason;
 *   unless test/helpers/allowedPending.ts lists the test with the reason it printed.
 * - After the run, every pending test (also `it.skip`, `describe.skip`, an `it` without a body) is
 *   checked against that list: with CI one that is not on it fails the run (an "after all" hook
 *   error); without CI the run prints what it did not run, grouped by reason.
 * - After each test: what a program under Pulumi's mocks reported after its `settle()` (a log
 *   error, an unhandled rejection; test/helpers/mocks.ts) fails that test.
 *
 * The rules are pure functions in ./pending.ts. Printed reasons are read from console.log: a test
 * says why it skips on the line before its skip, and that line is what the list matches.
 */
import * as path from "path";
import * as util from "util";
import Mocha from "mocha";
import type * as MocksModule from "./mocks";
import { ALLOWED_PENDING } from "./allowedPending";
import { PendingTest, allowedEntry, ciMode, pendingReport, refusedSkipMessage, skipReasonIn } from "./pending";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const CI = ciMode();

/** The reason each skipped test or suite printed (a suite: its `before all` hook skipped). */
const reasons = new WeakMap<Mocha.Test | Mocha.Suite, string>();
/** The last `skipped: ...` line printed and not yet taken by a skip. */
let lastReason: string | undefined;

function relativeFile(r: { file?: string; parent?: Mocha.Suite }): string {
    let s: { file?: string; parent?: Mocha.Suite } | undefined = r;
    while (s !== undefined && s.file === undefined) s = s.parent;
    return s?.file === undefined ? "(unknown file)" : path.relative(REPO_ROOT, s.file);
}

function pendingTest(t: Mocha.Test, reason: string | undefined): PendingTest {
    return { file: relativeFile(t), title: t.fullTitle(), reason };
}

function testsUnder(s: Mocha.Suite): Mocha.Test[] {
    return [...s.tests, ...s.suites.flatMap(testsUnder)];
}

/** The printed reason of a pending test: its own, else that of the nearest suite whose `before all` skipped. */
function reasonOf(t: Mocha.Test): string | undefined {
    const own = reasons.get(t);
    if (own !== undefined) return own;
    for (let s: Mocha.Suite | undefined = t.parent; s !== undefined; s = s.parent) {
        const r = reasons.get(s);
        if (r !== undefined) return r;
    }
    return undefined;
}

const installed = Symbol.for("macvlan-lab.rootHooks");
const g = globalThis as { [installed]?: boolean };
if (g[installed] !== true) {
    g[installed] = true;

    const log = console.log;
    console.log = (...args: unknown[]): void => {
        const reason = skipReasonIn(util.format(...args));
        if (reason !== undefined) lastReason = reason;
        log(...args);
    };

    const skip = Mocha.Context.prototype.skip;
    Mocha.Context.prototype.skip = function (this: Mocha.Context): never {
        const reason = lastReason;
        lastReason = undefined;
        const r = this.runnable() as Mocha.Runnable & { parent?: Mocha.Suite; type?: string };
        // what the skip makes pending: the suite (before all), the current test (before each, or the test itself)
        const beforeAll = r.type === "hook" && /^"before all" hook/.test(r.title);
        const target: Mocha.Test | Mocha.Suite | undefined = beforeAll ? r.parent : r.type === "hook" ? this.currentTest : (r as Mocha.Test);
        if (target !== undefined && reason !== undefined) reasons.set(target, reason);
        if (CI) {
            const tests = target === undefined ? [] : target instanceof Mocha.Suite ? testsUnder(target) : [target];
            const refused = tests.map((t) => pendingTest(t, reason)).find((t) => allowedEntry(t, ALLOWED_PENDING) === undefined);
            if (refused !== undefined || tests.length === 0) {
                throw new Error(refusedSkipMessage(refused ?? { file: relativeFile(r), title: r.fullTitle(), reason }));
            }
        }
        return skip.call(this);
    };
}

/** The mocks module, if this run loaded it (never loaded from here: a run without program tests has no Pulumi). */
function loadedMocks(): typeof MocksModule | undefined {
    let file: string;
    try {
        file = require.resolve("./mocks");
    } catch {
        return undefined;
    }
    return require.cache[file]?.exports as typeof MocksModule | undefined;
}

export const mochaHooks = {
    afterEach(this: Mocha.Context): void {
        lastReason = undefined;
        const problems = loadedMocks()?.unclaimedProblems() ?? [];
        if (problems.length === 0) return;
        const message = [`the program under Pulumi's mocks reported after settle() (or was never settled):`, ...problems.map((p) => `  ${p}`)].join("\n");
        // fails the test that just ran, not this hook (a failed afterEach would stop the suite); a
        // test that failed already keeps its own error, and the problems are printed
        if (this.currentTest?.state === "failed") console.log(`      ${message.replace(/\n/g, "\n      ")}`);
        else (this.test as Mocha.Hook).error(new Error(message));
    },

    afterAll(this: Mocha.Context): void {
        const root = (this.test as Mocha.Hook).parent as Mocha.Suite;
        const pending = testsUnder(root)
            .filter((t) => t.isPending())
            .map((t) => pendingTest(t, reasonOf(t)));
        const report = pendingReport(pending, ALLOWED_PENDING, CI);
        for (const l of report.lines) console.log(`  ${l}`);
        const problems = loadedMocks()?.unclaimedProblems() ?? [];
        const errors = [
            ...(report.error !== undefined ? [report.error] : []),
            ...(problems.length > 0 ? [[`the program under Pulumi's mocks reported after the last test:`, ...problems.map((p) => `  ${p}`)].join("\n")] : []),
        ];
        if (errors.length > 0) throw new Error(errors.join("\n"));
    },
};

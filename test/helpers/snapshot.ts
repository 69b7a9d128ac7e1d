/**
 * Golden outputs as files next to the tests that own them (`<test dir>/__snapshots__/<suite>/<name>`),
 * reviewed in diffs. A test compares what it renders with the file; `UPDATE_SNAPSHOTS=1` writes the
 * files instead (and removes the ones no test renders any more), so one command updates them all:
 *
 *     UPDATE_SNAPSHOTS=1 npx mocha test/unit/host-render.test.ts
 *
 * With `CI` set, `UPDATE_SNAPSHOTS` is refused: loading this file throws, so the run fails at once.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ciMode } from "./pending";

/**
 * Whether a run with `env` writes snapshots instead of comparing them: `UPDATE_SNAPSHOTS=1`. Throws
 * on any other value but "" and "0", and on `UPDATE_SNAPSHOTS` with `CI` set: CI compares, it never
 * writes what it is meant to check. Pure.
 */
export function updatingSnapshots(env: NodeJS.ProcessEnv): boolean {
    const v = env.UPDATE_SNAPSHOTS ?? "";
    if (v === "" || v === "0") return false;
    if (ciMode(env)) {
        throw new Error(
            `UPDATE_SNAPSHOTS=${v} is refused with CI set (CI=${env.CI}): a CI run compares the snapshot files and never rewrites them. ` +
                "Run UPDATE_SNAPSHOTS=1 without CI on your machine, review the diff and commit it.",
        );
    }
    if (v !== "1") throw new Error(`UPDATE_SNAPSHOTS=${v}: set it to 1 to rewrite the snapshot files, or leave it unset`);
    return true;
}

/** Whether this run writes snapshots instead of comparing them (throws when it must not: see {@link updatingSnapshots}). */
export const UPDATING = updatingSnapshots(process.env);

/** The snapshots of one suite: a folder `__snapshots__/<suite>` next to `testFile`. */
export class Snapshots {
    readonly dir: string;
    private readonly seen = new Set<string>();

    constructor(testFile: string, suite: string) {
        this.dir = path.join(path.dirname(testFile), "__snapshots__", suite);
    }

    /** Asserts that `actual` is the snapshot `name` (or writes it, when updating). */
    match(name: string, actual: string): void {
        if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw new Error(`snapshot name ${JSON.stringify(name)}: letters, digits, _ . - only`);
        this.seen.add(name);
        const file = path.join(this.dir, name);
        if (UPDATING) {
            fs.mkdirSync(this.dir, { recursive: true });
            if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== actual) fs.writeFileSync(file, actual);
            return;
        }
        if (!fs.existsSync(file)) {
            assert.fail(`no snapshot ${path.relative(process.cwd(), file)}: run the test with UPDATE_SNAPSHOTS=1 to write it, then review it in the diff`);
        }
        assert.strictEqual(actual, fs.readFileSync(file, "utf8"), `snapshot ${name} differs (UPDATE_SNAPSHOTS=1 rewrites it; review the diff)`);
    }

    /**
     * After every `match` of the suite: the files no test matched are stale (removed when updating).
     * Returns their names.
     */
    stale(): string[] {
        if (!fs.existsSync(this.dir)) return [];
        const stale = fs.readdirSync(this.dir).filter((f) => !this.seen.has(f)).sort();
        if (UPDATING) for (const f of stale) fs.rmSync(path.join(this.dir, f));
        return UPDATING ? [] : stale;
    }
}

/**
 * The rules for tests that cannot do their work (test/helpers/pending.ts), the list of the only
 * ones that may be pending under CI (test/helpers/allowedPending.ts), and the refusal of
 * UPDATE_SNAPSHOTS under CI (test/helpers/snapshot.ts). The wiring into mocha runs for real in
 * test/exec/ci-pending.test.ts.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ALLOWED_PENDING } from "../helpers/allowedPending";
import { AllowedPending, PendingTest, allowedEntry, ciMode, judgePending, pendingReport, refusedSkipMessage, skipReasonIn } from "../helpers/pending";
import { updatingSnapshots } from "../helpers/snapshot";

const REPO = path.join(__dirname, "..", "..");

const LIST: AllowedPending[] = [{ file: "test/exec/a.test.ts", title: /^suite real path /, reason: /^skipped: no 802\.1Q/, why: "the other path runs" }];
const allowed: PendingTest = { file: "test/exec/a.test.ts", title: "suite real path creates", reason: "skipped: no 802.1Q here" };
const noRoot: PendingTest = { file: "test/lab/lab.test.ts", title: "lab: multi-vlan pings", reason: "skipping the multi-vlan lab: the lab needs root" };
const silent: PendingTest = { file: "test/unit/x.test.ts", title: "x is skipped statically", reason: undefined };

describe("pending tests under CI", () => {
    it("CI is on for any value but empty, 0 and false", () => {
        const cases: Array<[string | undefined, boolean]> = [[undefined, false], ["", false], ["0", false], ["false", false], ["FALSE", false], [" ", false], ["true", true], ["1", true], ["yes", true]];
        assert.strictEqual(cases.length, 9);
        for (const [v, on] of cases) assert.strictEqual(ciMode(v === undefined ? {} : { CI: v }), on, JSON.stringify(v));
    });

    it("reads the reason from the line a test prints before it skips, and from no other line", () => {
        assert.strictEqual(skipReasonIn("      skipped: shellcheck is not installed"), "skipped: shellcheck is not installed");
        assert.strictEqual(skipReasonIn("      skipping the multi-vlan lab: the lab needs root"), "skipping the multi-vlan lab: the lab needs root");
        assert.strictEqual(skipReasonIn("skipping: dockerd is missing (Debian package docker.io)"), "skipping: dockerd is missing (Debian package docker.io)");
        for (const other of ["      | apt-get: skipped: nothing", "      time: skipped 3", "skipped:", "      this kernel has no 802.1Q", "skippedx: y"]) {
            assert.strictEqual(skipReasonIn(other), undefined, other);
        }
    });

    it("allows a pending test only when file, title and printed reason all match an entry", () => {
        assert.strictEqual(allowedEntry(allowed, LIST), LIST[0]);
        assert.strictEqual(allowedEntry({ ...allowed, file: "test/exec/b.test.ts" }, LIST), undefined);
        assert.strictEqual(allowedEntry({ ...allowed, title: "suite other creates" }, LIST), undefined);
        assert.strictEqual(allowedEntry({ ...allowed, reason: "skipped: the lab needs root" }, LIST), undefined);
        assert.strictEqual(allowedEntry({ ...allowed, reason: undefined }, LIST), undefined);
        assert.deepStrictEqual(judgePending([allowed, noRoot, silent], LIST), { allowed: [allowed], refused: [noRoot, silent] });
    });

    it("without CI: prints the pending tests grouped by reason and fails nothing", () => {
        const r = pendingReport([allowed, noRoot, { ...noRoot, title: "lab: multi-vlan destroys" }, silent], LIST, false);
        assert.deepStrictEqual(r, {
            lines: [
                "4 pending (1 on the list of test/helpers/allowedPending.ts; with CI set the other 3 would fail):",
                "  1 x test/exec/a.test.ts: skipped: no 802.1Q here (allowed)",
                "  2 x test/lab/lab.test.ts: skipping the multi-vlan lab: the lab needs root",
                "  1 x test/unit/x.test.ts: (printed no reason)",
            ],
            error: undefined,
        });
        assert.deepStrictEqual(pendingReport([], LIST, false), { lines: [], error: undefined });
    });

    it("with CI: fails the run on every pending test the list does not allow, naming each; an allowed one alone passes", () => {
        const r = pendingReport([allowed, noRoot, silent], LIST, true);
        assert.strictEqual(r.lines[0], "3 pending (1 on the list of test/helpers/allowedPending.ts):");
        assert.strictEqual(
            r.error,
            [
                "CI is set, and 2 test(s) are pending that test/helpers/allowedPending.ts does not list with the reason they printed; a CI run that did not do its work is red:",
                '  test/lab/lab.test.ts: "lab: multi-vlan pings": skipping the multi-vlan lab: the lab needs root',
                '  test/unit/x.test.ts: "x is skipped statically": (printed no reason)',
            ].join("\n"),
        );
        assert.strictEqual(pendingReport([allowed], LIST, true).error, undefined);
    });

    it("a refused skip says why the test could not work and where the list is", () => {
        assert.strictEqual(
            refusedSkipMessage(noRoot),
            'CI is set, so a test that cannot do its work fails instead of pending: skipping the multi-vlan lab: the lab needs root. Only the tests listed in test/helpers/allowedPending.ts, with the reason they print, may be pending under CI (test/lab/lab.test.ts: "lab: multi-vlan pings").',
        );
    });

    it("the list: every entry names a test file that exists and prints the reason, and says why", () => {
        assert.strictEqual(ALLOWED_PENDING.length, 3);
        for (const a of ALLOWED_PENDING) {
            assert.ok(fs.existsSync(path.join(REPO, a.file)), a.file);
            assert.ok(a.why.length > 40, `${a.file}: ${a.title}: say why`);
            // the literal start of the reason (up to its first regex metacharacter) is printed by that file
            const literal = a.reason.source.replace(/^\^/, "").split(/[\\(.[*+?]/)[0];
            assert.ok(literal.length >= 20 && fs.readFileSync(path.join(REPO, a.file), "utf8").includes(literal), `${a.file} prints "${literal}"`);
        }
    });
});

describe("UPDATE_SNAPSHOTS", () => {
    it("rewrites with 1, compares when unset, empty or 0, and refuses any value under CI", () => {
        assert.strictEqual(updatingSnapshots({}), false);
        assert.strictEqual(updatingSnapshots({ UPDATE_SNAPSHOTS: "" }), false);
        assert.strictEqual(updatingSnapshots({ UPDATE_SNAPSHOTS: "0" }), false);
        assert.strictEqual(updatingSnapshots({ UPDATE_SNAPSHOTS: "1" }), true);
        assert.strictEqual(updatingSnapshots({ UPDATE_SNAPSHOTS: "1", CI: "false" }), true);
        assert.strictEqual(updatingSnapshots({ UPDATE_SNAPSHOTS: "0", CI: "true" }), false);
        assert.throws(() => updatingSnapshots({ UPDATE_SNAPSHOTS: "yes" }), /^Error: UPDATE_SNAPSHOTS=yes: set it to 1 to rewrite the snapshot files, or leave it unset$/);
        for (const v of ["1", "yes"]) {
            assert.throws(
                () => updatingSnapshots({ UPDATE_SNAPSHOTS: v, CI: "true" }),
                new RegExp(`^Error: UPDATE_SNAPSHOTS=${v} is refused with CI set \\(CI=true\\): a CI run compares the snapshot files and never rewrites them\\. Run UPDATE_SNAPSHOTS=1 without CI`),
            );
        }
    });
});

/**
 * The mechanism that keeps CI from going green while its important parts did nothing
 * (test/helpers/rootHooks.ts, in every run through .mocharc.json), run for real: mocha in a child
 * process on the fixtures of test/fixtures/ci and on real test files, with and without `CI`.
 *
 * - a lab-like file whose setup is broken (dockerd not on PATH: the PATH is the only difference
 *   from the run where it works): pending with the reason without CI, red with CI;
 * - pending of every kind (a skip with and without a printed reason, in beforeEach, `it.skip`, an
 *   `it` without a body): all refused under CI;
 * - the one case the list allows today (real 802.1Q on a kernel without it, test/exec/host-exec.test.ts):
 *   pending and green under CI;
 * - a real lab file (test/lab/lab-hosts.test.ts) with dockerd missing, simulated in a mount
 *   namespace of its own (an empty file bound over dockerd; nothing is uninstalled): red under CI;
 * - a program under the mocks that goes wrong after settle(): the test it goes wrong in fails.
 *
 * The children transpile only (TS_NODE_TRANSPILE_ONLY): `npm test` type-checks the files anyway.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { toolPath } from "../helpers/tools";

const REPO = path.join(__dirname, "..", "..");
const MOCHA = path.join(REPO, "node_modules", "mocha", "bin", "mocha.js");
const FIXTURES = "test/fixtures/ci";

interface MochaRun {
    code: number | null;
    out: string;
}

/** mocha on `args` in the repo, with `env` over a copy of this process's environment without CI and UPDATE_SNAPSHOTS. */
function mocha(args: string[], env: Record<string, string>, wrap: string[] = []): MochaRun {
    const base: NodeJS.ProcessEnv = { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" };
    delete base.CI;
    delete base.UPDATE_SNAPSHOTS;
    const argv = [...wrap, process.execPath, MOCHA, ...args];
    const r = spawnSync(argv[0], argv.slice(1), { cwd: REPO, env: { ...base, ...env }, encoding: "utf8", timeout: 300_000 });
    if (r.error) throw r.error;
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** mocha's closing counts: `{ passing: 1, pending: 2, failing: 3 }` (absent ones are 0). */
function counts(out: string): Record<"passing" | "pending" | "failing", number> {
    const n = (what: string) => Number(new RegExp(`^ {2}(\\d+) ${what}\\b`, "m").exec(out)?.[1] ?? 0);
    return { passing: n("passing"), pending: n("pending"), failing: n("failing") };
}

describe("exec: CI cannot go green while a test did not do its work (mocha runs of fixtures and real files)", function () {
    this.timeout(300_000);
    let fakeBin = "";
    const brokenPath = "/usr/bin:/bin"; // Debian's dockerd is /usr/sbin/dockerd

    before(() => {
        assert.strictEqual(toolPath("dockerd") === undefined || toolPath("dockerd") === "/usr/sbin/dockerd", true, `dockerd is at ${toolPath("dockerd")}, which the broken PATH may still hold`);
        fakeBin = fs.mkdtempSync(path.join(os.tmpdir(), "mvl-ci-"));
        fs.writeFileSync(path.join(fakeBin, "dockerd"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    });
    after(() => fs.rmSync(fakeBin, { recursive: true, force: true }));

    it("a setup that finds dockerd: green with CI, 2 passing (the control: only PATH differs below)", () => {
        const r = mocha([`${FIXTURES}/broken-setup.fixture.ts`], { CI: "true", PATH: `${fakeBin}:${brokenPath}` });
        assert.strictEqual(r.code, 0, r.out);
        assert.deepStrictEqual(counts(r.out), { passing: 2, pending: 0, failing: 0 }, r.out);
        assert.doesNotMatch(r.out, /pending \(/, "no pending summary when nothing is pending");
    });

    it("dockerd missing, without CI: pending with the printed reason, grouped at the end; exit 0", () => {
        const r = mocha([`${FIXTURES}/broken-setup.fixture.ts`], { PATH: brokenPath });
        assert.strictEqual(r.code, 0, r.out);
        assert.deepStrictEqual(counts(r.out), { passing: 0, pending: 2, failing: 0 }, r.out);
        assert.match(r.out, /^ {6}skipping the fixture lab: dockerd is missing \(Debian package docker\.io\)$/m);
        assert.match(r.out, /^ {2}2 pending \(0 on the list of test\/helpers\/allowedPending\.ts; with CI set the other 2 would fail\):\n {4}2 x test\/fixtures\/ci\/broken-setup\.fixture\.ts: skipping the fixture lab: dockerd is missing \(Debian package docker\.io\)$/m);
    });

    it("dockerd missing, with CI: red, the suite's before hook fails with the reason; nothing pending", () => {
        const r = mocha([`${FIXTURES}/broken-setup.fixture.ts`], { CI: "true", PATH: brokenPath });
        assert.notStrictEqual(r.code, 0, r.out);
        assert.deepStrictEqual(counts(r.out), { passing: 0, pending: 0, failing: 1 }, r.out);
        assert.match(r.out, /"before all" hook for "starts dockerd":\n\s+Error: CI is set, so a test that cannot do its work fails instead of pending: skipping the fixture lab: dockerd is missing \(Debian package docker\.io\)\. Only the tests listed in test\/helpers\/allowedPending\.ts/);
    });

    it("pending of every kind: refused with CI (3 skips fail where they happen, it.skip and the body-less it fail the run at its end); pending without CI", () => {
        const ci = mocha([`${FIXTURES}/skips.fixture.ts`], { CI: "1" });
        assert.strictEqual(ci.code, 4, ci.out);
        assert.deepStrictEqual(counts(ci.out), { passing: 1, pending: 2, failing: 4 }, ci.out);
        assert.match(ci.out, /skips with a printed reason:\n\s+Error: CI is set, so a test that cannot do its work fails instead of pending: skipped: shellcheck is not installed/);
        assert.match(ci.out, /skips without a reason:\n\s+Error: CI is set, so a test that cannot do its work fails instead of pending: \(it printed no reason\)\./);
        assert.match(ci.out, /"before each" hook for "boots a VM":\n\s+Error: CI is set, so a test that cannot do its work fails instead of pending: skipped: no qemu here\./);
        assert.match(
            ci.out,
            /"after all" hook: afterAll in "\{root\}":\n\s+Error: CI is set, and 2 test\(s\) are pending that test\/helpers\/allowedPending\.ts does not list with the reason they printed; a CI run that did not do its work is red:\n {2}test\/fixtures\/ci\/skips\.fixture\.ts: "fixture: pending tests is skipped statically": \(printed no reason\)\n {2}test\/fixtures\/ci\/skips\.fixture\.ts: "fixture: pending tests has no body": \(printed no reason\)\n/,
        );

        const local = mocha([`${FIXTURES}/skips.fixture.ts`], {});
        assert.strictEqual(local.code, 0, local.out);
        assert.deepStrictEqual(counts(local.out), { passing: 1, pending: 5, failing: 0 }, local.out);
        assert.match(local.out, /^ {2}5 pending \(0 on the list of test\/helpers\/allowedPending\.ts; with CI set the other 5 would fail\):$/m);
    });

    it("a file whose tests all ran: green with CI", () => {
        const r = mocha([`${FIXTURES}/passing.fixture.ts`], { CI: "true" });
        assert.strictEqual(r.code, 0, r.out);
        assert.deepStrictEqual(counts(r.out), { passing: 2, pending: 0, failing: 0 }, r.out);
    });

    it("a program that goes wrong after settle(): the test it goes wrong in fails (a rejection, a log error); the clean one passes", () => {
        const r = mocha([`${FIXTURES}/program-late.fixture.ts`], { CI: "true" });
        assert.strictEqual(r.code, 2, r.out);
        assert.match(r.out, /leaves a rejection behind:\n\s+Error: the program under Pulumi's mocks reported after settle\(\) \(or was never settled\):\n {2}unhandled rejection: Error: a late rejection\n/);
        assert.match(r.out, /logs an error after settling:\n\s+Error: the program under Pulumi's mocks reported after settle\(\) \(or was never settled\):\n {2}log\.error: a late log error\n/);
        assert.match(r.out, /✔ is clean/);
    });

    describe("real test files (root: network and mount namespaces)", function () {
        before(function () {
            if (process.getuid?.() !== 0 || toolPath("unshare") === undefined || toolPath("ip") === undefined) {
                console.log("      skipped: needs root, unshare and ip (util-linux, iproute2) to run host-exec and a lab file");
                this.skip();
            }
        });

        it("the case the list allows (real 802.1Q, test/exec/host-exec.test.ts): with CI, pending on a kernel without 802.1Q and green", () => {
            const r = mocha(["test/exec/host-exec.test.ts", "--grep", "real 802\\.1Q"], { CI: "true" });
            assert.strictEqual(r.code, 0, r.out);
            if (/this kernel has 802\.1Q: the real VLAN path runs/.test(r.out)) {
                console.log("      | this kernel has 802.1Q: the real path ran, nothing was pending");
                assert.deepStrictEqual(counts(r.out), { passing: 1, pending: 0, failing: 0 }, r.out);
            } else {
                assert.deepStrictEqual(counts(r.out), { passing: 0, pending: 1, failing: 0 }, r.out);
                assert.match(r.out, /^ {4}1 x test\/exec\/host-exec\.test\.ts: skipped: this kernel has no 802\.1Q \(ip link add \.\.\. type vlan says: .*\); the emulated and failure paths ran instead \(allowed\)$/m);
            }
        });

        it("a lab file with dockerd missing (an empty file bound over it in a mount namespace of its own): red with CI, pending without", () => {
            const dockerd = toolPath("dockerd") ?? "/usr/sbin/dockerd";
            if (!fs.existsSync(dockerd)) {
                // already missing here: the run is broken as it is, no need to hide it
                const r = mocha(["test/lab/lab-hosts.test.ts"], { CI: "true" });
                assert.notStrictEqual(r.code, 0, r.out);
                assert.match(r.out, /dockerd is missing \(Debian package docker\.io\)/);
                return;
            }
            const hide = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", `mount --bind /dev/null '${dockerd}' && exec "$@"`, "sh"];
            const ci = mocha(["test/lab/lab-hosts.test.ts"], { CI: "true" }, hide);
            assert.notStrictEqual(ci.code, 0, ci.out);
            assert.strictEqual(counts(ci.out).passing, 0, ci.out);
            assert.match(ci.out, /"before all" hook[^\n]*:\n\s+Error: CI is set, so a test that cannot do its work fails instead of pending: skipping the real lab: [^\n]*dockerd is missing \(Debian package docker\.io\)/);
            const local = mocha(["test/lab/lab-hosts.test.ts"], {}, hide);
            assert.strictEqual(local.code, 0, local.out);
            assert.ok(counts(local.out).pending > 5 && counts(local.out).passing === 0, local.out);
            assert.match(local.out, /x test\/lab\/lab-hosts\.test\.ts: skipping the real lab: [^\n]*dockerd is missing \(Debian package docker\.io\)/);
            assert.ok(fs.statSync(dockerd).isFile(), "dockerd is still there outside the mount namespace");
        });
    });
});

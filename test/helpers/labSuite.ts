/**
 * What every file under test/lab does around its cases, in one place:
 * - whether the lab can run here: {@link labUnavailable} for a suite that runs the real engine on
 *   the lab's hosts (root, lab/packages.txt's Debian packages, installed first when missing, and
 *   the hosts' prerequisites), {@link hostsUnavailable} for a suite that only brings hosts up
 *   (lab/hosts `checkPrerequisites`); and {@link skipIf}, the printed reason and the skip (with CI
 *   set a skip fails the suite: test/helpers/rootHooks.ts);
 * - a shell script on a lab host: {@link sh} (its result, whatever its exit), {@link shOk} (its
 *   output, exit 0 asserted) and {@link shValue} (that output trimmed: a pid, a mode, an id).
 * The VM tests' counterpart is ./vmSuite.ts.
 */
import * as assert from "assert";
import { LabHosts, checkPrerequisites } from "../../lab/hosts";
import { RunResult } from "../../lab/hosts/proc";
import { ensurePackages } from "../../lab/packages";

/** The reason a lab needs root, as every lab test prints it. */
const NEEDS_ROOT = "the lab needs root (network and mount namespaces, dockerd)";

/** The answer of the first {@link labUnavailable} call of this process (null: not asked yet). */
let labWhyNot: string | undefined | null = null;

/**
 * Why a lab with the real engine cannot run here, or undefined: not root; else the lab's Debian
 * packages (lab/packages.txt; missing ones are installed first, their apt lines printed) and the
 * hosts' prerequisites (lab/hosts `checkPrerequisites`), every problem joined by "; ". Asked once per
 * process: a later suite gets the first answer (the machine does not change between suites).
 */
export async function labUnavailable(): Promise<string | undefined> {
    if (labWhyNot !== null) return labWhyNot;
    if (process.getuid?.() !== 0) {
        labWhyNot = NEEDS_ROOT;
        return labWhyNot;
    }
    const pk = await ensurePackages((l) => console.log(`      | ${l}`));
    const problems = [...pk.problems, ...checkPrerequisites()];
    labWhyNot = problems.length > 0 ? problems.join("; ") : undefined;
    return labWhyNot;
}

/**
 * Why the lab's hosts (namespaces, sshd, dockerd; no engine) cannot be brought up here, or
 * undefined: lab/hosts `checkPrerequisites` (Linux, root, the binaries, cgroups), joined by "; ".
 * Installs nothing. Asked anew at every call (an after() asks it before tearing down).
 */
export function hostsUnavailable(): string | undefined {
    const problems = checkPrerequisites();
    return problems.length > 0 ? problems.join("; ") : undefined;
}

/**
 * In a before() or a test: when `why` is a reason, prints it (`skipping <what>: <why>`, or
 * `skipped: <why>` without `what`; the line rootHooks.ts takes the reason from) and skips.
 */
export function skipIf(ctx: Mocha.Context, why: string | undefined, what?: string): void {
    if (why === undefined) return;
    console.log(`      ${what === undefined ? "skipped" : `skipping ${what}`}: ${why}`);
    ctx.skip();
}

/** Default bound of a script on a lab host: a command that outruns it is killed (exit 124). */
export const SH_TIMEOUT_MS = 30_000;

/** `script` run by `sh -c` on `host` of `lab`: its result, whatever its exit code. */
export function sh(lab: LabHosts, host: string, script: string, timeoutMs = SH_TIMEOUT_MS): Promise<RunResult> {
    return lab.exec(host, ["sh", "-c", script], { timeoutMs });
}

/** `script` run by `sh -c` on `host` of `lab`, asserted to exit 0 (the message names host, script, exit code and stderr): its stdout. */
export async function shOk(lab: LabHosts, host: string, script: string, timeoutMs = SH_TIMEOUT_MS): Promise<string> {
    const r = await sh(lab, host, script, timeoutMs);
    assert.equal(r.code, 0, `[${host}] ${script} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
}

/** {@link shOk}'s stdout without its surrounding whitespace: a value the script prints (a pid, a mode, an id, a file). */
export async function shValue(lab: LabHosts, host: string, script: string, timeoutMs = SH_TIMEOUT_MS): Promise<string> {
    return (await shOk(lab, host, script, timeoutMs)).trim();
}

/**
 * Negative probes that prove they ran. "It cannot reach" must not pass because the probe itself
 * failed (a `docker exec` of a container that is gone, a missing ping, a wrong namespace): a ping
 * that got no reply prints its summary with the packets it sent, which an exec that failed does
 * not. Pure; the lab tests pass what `lab.exec` returned.
 */
import { strict as assert } from "assert";

/** What a probe returned (lab/hosts `RunResult`, spawnSync's fields by the same names). */
export interface ProbeResult {
    code: number | null;
    stdout: string;
    stderr: string;
}

/**
 * ping's closing summary: busybox `2 packets transmitted, 0 packets received, 100% packet loss`,
 * iputils `2 packets transmitted, 0 received, 100% packet loss`; undefined when there is none. Pure.
 */
export function pingSummary(out: string): { transmitted: number; received: number } | undefined {
    const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(out);
    return m === null ? undefined : { transmitted: Number(m[1]), received: Number(m[2]) };
}

const shown = (r: ProbeResult) => `exit ${r.code}:\n${r.stdout}${r.stderr}`;

/** Asserts that the ping of `r` ran, sent `sent` packets and got none back (`what`: what would have been reached). */
export function assertNoReply(r: ProbeResult, what: string, sent = 2): void {
    const s = pingSummary(r.stdout);
    assert.ok(s !== undefined, `${what}: the probe did not run (no ping summary), so it proves nothing; ${shown(r)}`);
    assert.deepEqual(s, { transmitted: sent, received: 0 }, `${what}: ${shown(r)}`);
    assert.notEqual(r.code, 0, `${what}: ping exited 0 without a reply; ${shown(r)}`);
}

/** Asserts that the ping of `r` exited 0 with replies (`what`: what it had to reach). */
export function assertReplied(r: ProbeResult, what: string): void {
    const s = pingSummary(r.stdout);
    assert.ok(r.code === 0 && s !== undefined && s.received > 0, `${what}: ${shown(r)}`);
}

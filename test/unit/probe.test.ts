/** The negative-probe helpers of the lab tests (test/helpers/probe.ts): a probe that did not run proves nothing. */
import * as assert from "assert";
import { assertNoReply, assertReplied, pingSummary } from "../helpers/probe";

const BUSYBOX_LOST = "PING 172.16.20.21 (172.16.20.21): 56 data bytes\n\n--- 172.16.20.21 ping statistics ---\n2 packets transmitted, 0 packets received, 100% packet loss\n";
const BUSYBOX_OK = "PING 172.16.10.11 (172.16.10.11): 56 data bytes\n64 bytes from 172.16.10.11: seq=0 ttl=64 time=0.1 ms\n\n--- 172.16.10.11 ping statistics ---\n2 packets transmitted, 2 packets received, 0% packet loss\n";
const IPUTILS_LOST = "PING 10.0.0.9 (10.0.0.9) 56(84) bytes of data.\n\n--- 10.0.0.9 ping statistics ---\n1 packets transmitted, 0 received, 100% packet loss, time 0ms\n";

describe("negative probes prove they ran", () => {
    it("reads busybox's and iputils' ping summaries, and nothing else", () => {
        assert.deepStrictEqual(pingSummary(BUSYBOX_LOST), { transmitted: 2, received: 0 });
        assert.deepStrictEqual(pingSummary(BUSYBOX_OK), { transmitted: 2, received: 2 });
        assert.deepStrictEqual(pingSummary(IPUTILS_LOST), { transmitted: 1, received: 0 });
        assert.strictEqual(pingSummary('Error response from daemon: No such container: bbox10\n'), undefined);
    });

    it("no reply: passes for a ping that sent its packets and got none; fails for an exec that failed, a reply, or fewer packets", () => {
        assertNoReply({ code: 1, stdout: BUSYBOX_LOST, stderr: "" }, "bbox20");
        assertNoReply({ code: 1, stdout: IPUTILS_LOST, stderr: "" }, "the host", 1);
        const fails: Array<[string, Parameters<typeof assertNoReply>[0], RegExp]> = [
            ["the exec failed", { code: 1, stdout: "", stderr: "Error response from daemon: No such container: bbox10\n" }, /^bbox20: the probe did not run \(no ping summary\), so it proves nothing; exit 1:\nError response from daemon: No such container: bbox10\n$/],
            ["ping is missing", { code: 127, stdout: "", stderr: "sh: ping: not found\n" }, /the probe did not run/],
            ["a reply", { code: 0, stdout: BUSYBOX_OK, stderr: "" }, /^bbox20: exit 0:/],
            ["one packet of two", { code: 1, stdout: BUSYBOX_LOST.replace("2 packets transmitted", "1 packets transmitted"), stderr: "" }, /^bbox20: exit 1:/],
        ];
        assert.strictEqual(fails.length, 4);
        for (const [what, r, message] of fails) assert.throws(() => assertNoReply(r, "bbox20"), (e: Error) => message.test(e.message), what);
    });

    it("replied: exit 0 with packets back", () => {
        assertReplied({ code: 0, stdout: BUSYBOX_OK, stderr: "" }, "bbox10");
        assert.throws(() => assertReplied({ code: 1, stdout: BUSYBOX_LOST, stderr: "" }, "bbox10"), /^AssertionError \[ERR_ASSERTION\]: bbox10: exit 1:/);
        assert.throws(() => assertReplied({ code: 0, stdout: "", stderr: "" }, "bbox10"), /bbox10: exit 0:/);
    });
});

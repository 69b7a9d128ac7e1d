/**
 * The program's stack-trace switch (components/stackTraces.ts), pure: which stacks run without a
 * stack trace per tracked promise, what the environment overrides, and the sentence logged.
 */
import * as assert from "assert";
import { dockerResourceCount, LEAN_STACK_TRACES_FROM, stackTraceMode } from "../../components/stackTraces";
import { parseLab } from "../../components/model/validate";
import { loadStackConfig, rawLabConfig } from "../../lab/stackFile";
import { generateLab } from "../../tools/generate";
import { LabSpec } from "../../components/model/types";

function specOf(raw: unknown): LabSpec {
    const { spec, errors } = parseLab(raw as Parameters<typeof parseLab>[0]);
    assert.deepStrictEqual(errors, []);
    return spec!;
}

describe("stack traces: the program's switch for large stacks", function () {
    const multiVlan = specOf(rawLabConfig(loadStackConfig("multi-vlan")));
    // 13 hosts x 20 containers + 8 networks x 13 hosts = 364 Docker resources
    const large = specOf(generateLab({ hosts: 13, networks: 8, containersPerHost: 20, seed: 7 }));

    it("counts containers and one network per host it spans", function () {
        const containers = multiVlan.containers.length;
        const perHost = multiVlan.networks.map((n) => n.hosts.length).reduce((a, b) => a + b, 0);
        assert.ok(containers > 0 && perHost > 0);
        assert.strictEqual(dockerResourceCount(multiVlan), containers + perHost);
        assert.strictEqual(dockerResourceCount(large), 13 * 20 + 8 * 13);
    });

    it("keeps traces for the tutorial's labs and drops them from the threshold on, saying why and how to keep them", function () {
        assert.deepStrictEqual(stackTraceMode(multiVlan, {}), { lean: false, reason: "" });
        assert.ok(dockerResourceCount(large) >= LEAN_STACK_TRACES_FROM);
        const mode = stackTraceMode(large, {});
        assert.strictEqual(mode.lean, true);
        assert.match(mode.reason, /declares 364 Docker resources/);
        assert.match(mode.reason, /MACVLAN_LAB_STACK_TRACES=full keeps them/);
        // exactly at the threshold: lean; one below: not
        const at = { containers: large.containers.slice(0, LEAN_STACK_TRACES_FROM), networks: [] };
        assert.strictEqual(stackTraceMode(at, {}).lean, true);
        assert.strictEqual(stackTraceMode({ containers: at.containers.slice(1), networks: [] }, {}).lean, false);
    });

    it("follows MACVLAN_LAB_STACK_TRACES and PULUMI_DEBUG_PROMISE_LEAKS", function () {
        assert.strictEqual(stackTraceMode(large, { MACVLAN_LAB_STACK_TRACES: "full" }).lean, false);
        assert.strictEqual(stackTraceMode(large, { MACVLAN_LAB_STACK_TRACES: "" }).lean, true);
        const forced = stackTraceMode(multiVlan, { MACVLAN_LAB_STACK_TRACES: "lean" });
        assert.strictEqual(forced.lean, true);
        assert.match(forced.reason, /\(MACVLAN_LAB_STACK_TRACES=lean\)/);
        // the leak debugger prints the very traces the switch would drop
        assert.strictEqual(stackTraceMode(large, { PULUMI_DEBUG_PROMISE_LEAKS: "1" }).lean, false);
        assert.strictEqual(stackTraceMode(large, { PULUMI_DEBUG_PROMISE_LEAKS: "1", MACVLAN_LAB_STACK_TRACES: "lean" }).lean, false);
    });

    it("refuses any other value, naming it and the choices", function () {
        assert.throws(() => stackTraceMode(multiVlan, { MACVLAN_LAB_STACK_TRACES: "off" }), {
            message: 'MACVLAN_LAB_STACK_TRACES is "off"; use full (keep stack traces), lean (drop them) or leave it unset (dropped from 250 Docker resources)',
        });
    });
});

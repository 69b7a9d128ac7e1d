/**
 * Replacements cascade (issue 11): under mocks, the multi-VLAN program gives each Docker network on
 * a VLAN interface a label whose value is the VLAN interface's revision (a digest of its command's
 * triggers, read from the command's outputs: a property dependency, so a VLAN interface replaced
 * delete-before-replace deletes and replaces the network first, and the containers attached to it by
 * network id with it); a network on the parent NIC has none. The
 * checks' triggers are the containers' ids, never a script; the host commands' triggers are the
 * scripts' identity, never the check script. The real engine's behaviour is in test/lab/cascade.test.ts.
 */
import * as assert from "assert";
import { createHash } from "crypto";
import { PARENT_REVISION_LABEL } from "../../components/docker/macvlanNetwork";
import { STACK_LABEL } from "../../components/preflight/render";
import { MockState } from "../helpers/mocks";
import { runProgram } from "../helpers/runProgram";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\ncascade-test-key\n-----END OPENSSH PRIVATE KEY-----";

async function declare(stack: string): Promise<MockState> {
    const { state } = await runProgram({
        stack,
        key: KEY,
        outputs: (args) =>
            args.type === "command:remote:Command" && args.name.startsWith("lab-checks-")
                ? { stdout: "CHECK\tdocker01/a\tdocker02/b\tnet\treachable\treachable\t10.0.0.1\n" }
                : {},
    });
    return state;
}

/** `VlanInterface.revision`: a digest of the VLAN command's triggers (what it is made from). */
const revisionOf = (triggers: unknown): string => createHash("sha256").update(JSON.stringify(triggers)).digest("hex").slice(0, 16);

const STACK = { label: STACK_LABEL, value: "macvlan-lab/multi-vlan" };

describe("program: replacements cascade from a VLAN interface to its networks, containers and checks", function () {
    this.timeout(120_000);
    let s: MockState;
    before(async () => {
        s = await declare("multi-vlan");
    });

    it("a network on a VLAN interface carries the VLAN interface's revision as a label (a property dependency on its command)", () => {
        for (const host of ["docker01", "docker02"]) {
            for (const [net, dev] of [["mac_net10", "ens33.10"], ["mac_net20", "ens33.20"]]) {
                const n = s.byName(`lab-${net}-${host}`);
                const vlan = s.byName(`lab-${host}-${dev}-config`);
                assert.deepStrictEqual(n.inputs.labels, [STACK, { label: PARENT_REVISION_LABEL, value: revisionOf(vlan.inputs.triggers) }], `${net} on ${host}`);
                assert.ok(n.dependencies.includes(vlan.urn), `${net} on ${host} depends on ${dev}`);
                assert.strictEqual(n.deleteBeforeReplace, true);
            }
        }
        // containers attach by network id: a new network is a new container
        const c = s.byName("lab-docker01-bbox10-container");
        assert.deepStrictEqual(c.inputs.networksAdvanced, [{ name: s.byName("lab-mac_net10-docker01").id, ipv4Address: "172.16.10.10" }]);
        assert.strictEqual(c.deleteBeforeReplace, true);
    });

    it("the checks have no triggers (never replaced): a digest of the ids of the containers they ping is in their scripts, and they run after the host's shell library", () => {
        const containers = s.byType("docker:index/container:Container").filter((r) => r.name.endsWith("-container") && !r.name.startsWith("lab-registry"));
        assert.strictEqual(containers.length, 4, "bbox10 and bbox20 on both hosts");
        const digest = createHash("sha256").update(containers.map((r) => r.id).sort((a, b) => idKey(s, a).localeCompare(idKey(s, b))).join("\n")).digest("hex").slice(0, 16);
        for (const host of ["docker01", "docker02"]) {
            const check = s.byName(`lab-checks-${host}`);
            assert.strictEqual(check.inputs.triggers, undefined, host);
            // every check of this stack involves all four containers (each pings the other host's two, isolation included)
            assert.match(String(check.inputs.create), new RegExp(`\nchecked='${digest}'\n`), host);
            assert.ok(check.dependencies.includes(s.byName(`lab-${host}-lib-install`).urn));
            assert.match(String(check.inputs.create), /\n\. "\$lib\/checks\/ping\.sh"\n/);
        }
    });

    /** `<host>/<container>` of a container resource's id (the order the check's digest sorts by). */
    function idKey(st: MockState, id: string): string {
        const r = st.resources.find((x) => x.id === id)!;
        const m = /^lab-(docker\d+)-(.+)-container$/.exec(r.name)!;
        return `${m[1]}/${m[2]}`;
    }

    it("host commands are triggered by what they act on and the SSH endpoint; no trigger holds a script", () => {
        const hostCommands = s.byType("command:remote:Command").filter((r) => /-(promisc|load|config)$/.test(r.name));
        // per host: promisc, 8021q load, the config of ens33.10 and ens33.20
        assert.strictEqual(hostCommands.length, 2 * 4, hostCommands.map((c) => c.name).join(", "));
        for (const c of hostCommands) {
            const [identity, endpoint, ...rest] = c.inputs.triggers as string[];
            assert.match(identity, /^sha256:[0-9a-f]{64}$/, c.name);
            assert.match(endpoint, /^192\.168\.1\.1[13]:22$/, c.name);
            assert.deepStrictEqual(rest, []);
        }
        // (the registry trust's commands are the registry component's own)
        const others = s.byType("command:remote:Command").filter((r) => !r.name.includes("-trust-"));
        assert.ok(others.length > hostCommands.length, others.map((c) => c.name).join(", "));
        for (const c of others) {
            for (const t of (c.inputs.triggers ?? []) as unknown[]) {
                assert.ok(!String(t).includes("\n"), `${c.name}: a trigger holds a script`);
            }
        }
    });
});

describe("program: a network on the parent NIC has no revision label (the NIC is never deleted)", function () {
    this.timeout(120_000);
    it("single-network: mac_net1 has the stack's label only", async () => {
        const s = await declare("single-network");
        for (const host of ["docker01", "docker02"]) {
            assert.deepStrictEqual(s.byName(`lab-mac_net1-${host}`).inputs.labels, [{ label: STACK_LABEL, value: "macvlan-lab/single-network" }]);
        }
    });
});

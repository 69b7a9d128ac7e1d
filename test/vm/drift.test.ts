/**
 * Verify and repair on a real kernel (issue 22): a host of the multi-VLAN stack on the iproute2
 * backend, which keeps nothing across a reboot, in a qemu VM (lab/vm). Its steps are created, then
 * its runtime state is cleared as a reboot clears it (the VLAN devices gone, 8021q unloaded, the NIC
 * no longer promiscuous; the files under /etc and /var/lib stay). The host's verify script
 * (components/verify/render.ts, what `macvlan-lab:verify` runs) reports each of those and nothing
 * else; the repair (every step's create run again, what `macvlan-lab:repair` makes Pulumi do) says
 * what it changed and brings them back; a second verify is clean; delete returns the VM to its start.
 */
import * as assert from "assert";
import { LabSpec } from "../../components/model/types";
import { loadStack } from "../../lab/topology";
import { HostStep, hostSteps, LEFT_LOADED_AFTER_DELETE, VmLab, VmSnapshot, withBackend } from "../../lab/vm/harness";
import { changes, succeeded, vmSuiteHooks } from "../helpers/vmSuite";
import { parseHostVerify, renderHostVerify } from "../../components/verify/render";
import { installedLibraryDir } from "../../components/scripts";
import { DEFAULT_STATE_DIR } from "../../components/contracts";

/** The multi-VLAN stack's docker01 alone, on the iproute2 backend. */
function oneHost(): LabSpec {
    const loaded = loadStack("multi-vlan");
    assert.ok(loaded.stack, loaded.errors.join("\n"));
    const spec = withBackend(loaded.stack.spec, "iproute2");
    return {
        ...spec,
        hosts: spec.hosts.filter((h) => h.name === "docker01"),
        vlans: spec.vlans.map((v) => ({ ...v, members: v.members.filter((m) => m.host === "docker01") })),
        networks: [],
        containers: [],
        registry: undefined,
        shims: [],
    };
}

/** The name of a step's command in the lab (what the verify reports it as). */
function stepName(step: HostStep): string {
    if (step.what.startsWith("parent ")) return "lab-docker01-parent-promisc";
    if (step.what === "8021q") return "lab-docker01-8021q-load";
    return `lab-docker01-${step.what.replace(/^VLAN /, "")}-config`;
}

describe("vm: verify finds what a reboot took from an iproute2 host, and repair brings it back (real kernel)", function () {
    this.timeout(1_800_000);
    const spec = oneHost();
    const host = spec.hosts[0];
    const steps = hostSteps(host, spec.vlans);
    let lab: VmLab | undefined;
    const start = new Map<string, VmSnapshot>();
    vmSuiteHooks({ spec, name: "vm drift", start, started: (l) => (lab = l) });

    const verifyScript = (): string =>
        renderHostVerify({
            host: host.name,
            libraryDir: installedLibraryDir(DEFAULT_STATE_DIR),
            steps: steps.filter((s) => s.scripts.check !== "").map((s) => ({ name: stepName(s), check: s.scripts.check })),
            networks: [],
            containers: [],
            running: [],
            stackLabel: { key: "dev.macvlan-lab.stack", value: "macvlan-lab/multi-vlan" },
        });

    async function verify(): Promise<ReturnType<typeof parseHostVerify>> {
        const r = await lab!.runScript(host.name, verifyScript());
        succeeded(r, "verify");
        return parseHostVerify(r.stdout);
    }

    it("creates the host's steps, and a verify finds nothing", async function () {
        assert.ok(lab);
        assert.strictEqual(steps.length, 5, "library, parent, 8021q, ens33.10, ens33.20");
        for (const s of steps) succeeded(await lab.runScript(host.name, s.scripts.create, s.stdin), `${s.what} create`);
        const v = await verify();
        assert.deepStrictEqual(v.rows, []);
        assert.ok(v.complete);
        assert.strictEqual(v.steps, 4);
    });

    it("after the runtime state is cleared as a reboot clears it, the verify reports each loss and nothing else, and changes nothing", async function () {
        assert.ok(lab);
        await lab.vm(host.name).ok("ip link del ens33.10 && ip link del ens33.20 && ip link set ens33 promisc off && rmmod 8021q && test ! -e /proc/net/vlan/config");
        const before = await lab.snapshot(host.name);
        const v = await verify();
        assert.deepStrictEqual(await lab.snapshot(host.name), before, "the verify changed the VM");
        assert.deepStrictEqual(
            v.rows.map((r) => `${r.step}: ${r.kind}`).sort(),
            [
                "lab-docker01-8021q-load: drift",
                "lab-docker01-ens33.10-config: drift",
                "lab-docker01-ens33.20-config: drift",
                "lab-docker01-parent-promisc: drift",
            ],
        );
        const text = v.rows.map((r) => r.found).join("\n");
        assert.match(text, /8021q is not loaded/);
        assert.match(text, /ens33\.10 is missing/);
        assert.match(text, /ens33\.20 is missing/);
        assert.match(text, /ens33/);
    });

    it("the repair (every step's create again) says what it changed and brings each back; a second verify is clean", async function () {
        assert.ok(lab);
        const said = new Map<string, string[]>();
        for (const s of steps) {
            const r = succeeded(await lab.runScript(host.name, s.scripts.create, s.stdin), `${s.what} repair`);
            said.set(s.what, changes(r));
        }
        assert.deepStrictEqual(said.get("shell library"), [], "the library was there");
        assert.ok(said.get("parent ens33")!.some((l) => /promisc/.test(l)), said.get("parent ens33")!.join("\n"));
        assert.ok(said.get("8021q")!.some((l) => /8021q is loaded/.test(l)), said.get("8021q")!.join("\n"));
        for (const dev of ["ens33.10", "ens33.20"]) assert.ok(said.get(`VLAN ${dev}`)!.some((l) => l.includes(`created ${dev}`)), said.get(`VLAN ${dev}`)!.join("\n"));
        const v = await verify();
        assert.deepStrictEqual(v.rows, []);
        const link = await lab.vm(host.name).ok("ip -d link show dev ens33.20");
        assert.match(link, /vlan protocol 802\.1Q id 20/);
    });

    it("a repair of the healthy host changes nothing, and delete returns the VM to its start", async function () {
        assert.ok(lab);
        for (const s of steps) {
            const r = succeeded(await lab.runScript(host.name, s.scripts.create, s.stdin), `${s.what} second repair`);
            assert.deepStrictEqual(changes(r), [], `${s.what} changed something on a healthy host`);
        }
        for (const s of [...steps].reverse()) succeeded(await lab.runScript(host.name, s.scripts.delete), `${s.what} delete`);
        const startSnap = start.get(host.name)!;
        assert.deepStrictEqual(await lab.snapshot(host.name), { ...startSnap, modules: [...new Set([...startSnap.modules, ...LEFT_LOADED_AFTER_DELETE])].sort() });
    });
});

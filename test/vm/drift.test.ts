/**
 * Verify and repair across a real reboot (issue 22): a host of the multi-VLAN stack on the iproute2
 * backend, which keeps nothing of the network across a reboot, in a userland VM (lab/vm/userland.ts:
 * Debian 12 booted from its disk, systemd as PID 1, its management address from ifupdown). Its
 * steps are created, then the guest reboots with `systemctl reboot`. What the reboot took is what a
 * real host loses: the VLAN devices and the NIC's promiscuous flag; what it kept is on the disk:
 * the shell library and the state under /var/lib, and modules-load.d's 8021q.conf, so systemd loads
 * 8021q at boot. The host's verify script (components/verify/render.ts, what `macvlan-lab:verify`
 * runs) reports each loss and nothing else and changes nothing; the repair (every step's create run
 * again, what `macvlan-lab:repair` makes Pulumi do) says what it changed and brings them back; a
 * second verify is clean; delete returns the VM to its start (but for what every boot changes).
 */
import * as assert from "assert";
import { DEFAULT_STATE_DIR } from "../../components/contracts";
import { HostSpec } from "../../components/model/types";
import { installedLibraryDir } from "../../components/scripts";
import { parseHostVerify, renderHostVerify } from "../../components/verify/render";
import { loadStack } from "../../lab/topology";
import { HostStep, hostSteps, LEFT_LOADED_AFTER_DELETE, VmSnapshot, withBackend } from "../../lab/vm/harness";
import { UserlandLab, withoutChurn } from "../../lab/vm/userland";
import { changes, succeeded, userlandSuiteHooks } from "../helpers/vmSuite";

/** The multi-VLAN stack's docker01 on the iproute2 backend, and the VLANs it is a member of. */
function oneHost(): { host: HostSpec; steps: HostStep[] } {
    const loaded = loadStack("multi-vlan");
    assert.ok(loaded.stack, loaded.errors.join("\n"));
    const spec = withBackend(loaded.stack.spec, "iproute2");
    const host = spec.hosts.find((h) => h.name === "docker01")!;
    return { host, steps: hostSteps(host, spec.vlans) };
}

/** The name of a step's command in the lab (what the verify reports it as). */
function stepName(step: HostStep): string {
    if (step.what.startsWith("parent ")) return "lab-docker01-parent-promisc";
    if (step.what === "8021q") return "lab-docker01-8021q-load";
    return `lab-docker01-${step.what.replace(/^VLAN /, "")}-config`;
}

describe("vm: after a real reboot, verify finds what an iproute2 host lost, and repair brings it back (userland VM)", function () {
    this.timeout(1_800_000);
    const { host, steps } = oneHost();
    let lab: UserlandLab | undefined;
    const start = new Map<string, VmSnapshot>();
    userlandSuiteHooks({ hosts: [host], stack: "ifupdown", name: "vm drift", start, started: (l) => (lab = l) });

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

    it("after systemctl reboot, the verify reports each loss (the VLANs, the promiscuous NIC) and nothing else, and changes nothing", async function () {
        assert.ok(lab);
        const boot = await lab.reboot(host.name);
        console.log(`      rebooted in ${boot.seconds.toFixed(1)} s (+ ${boot.settleSeconds.toFixed(1)} s to the boot's end), systemd ${boot.state}`);
        // what the reboot took and kept, seen without our scripts
        const seen = await lab.vm(host.name).ok(
            "for d in ens33.10 ens33.20; do ip link show dev $d >/dev/null 2>&1 && echo \"$d present\" || echo \"$d gone\"; done; " +
                "ip -j link show dev ens33 | grep -q PROMISC && echo promisc || echo 'not promisc'; " +
                "test -d /sys/module/8021q && echo '8021q loaded' || echo '8021q not loaded'",
        );
        assert.deepStrictEqual(seen.trim().split("\n"), ["ens33.10 gone", "ens33.20 gone", "not promisc", "8021q loaded"], "what the reboot took and kept");
        const before = await lab.snapshot(host.name);
        const v = await verify();
        assert.deepStrictEqual(await lab.snapshot(host.name), before, "the verify changed the VM");
        assert.deepStrictEqual(v.rows.map((r) => `${r.step}: ${r.kind}`).sort(), [
            "lab-docker01-ens33.10-config: drift",
            "lab-docker01-ens33.20-config: drift",
            "lab-docker01-parent-promisc: drift",
        ]);
        const text = v.rows.map((r) => r.found).join("\n");
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
        assert.deepStrictEqual(said.get("shell library"), [], "the library was on the disk");
        assert.deepStrictEqual(said.get("8021q"), [], "systemd loaded 8021q at boot from modules-load.d");
        assert.ok(said.get("parent ens33")!.some((l) => /promisc/.test(l)), said.get("parent ens33")!.join("\n"));
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
        const startSnap = withoutChurn(start.get(host.name)!);
        assert.deepStrictEqual(withoutChurn(await lab.snapshot(host.name)), { ...startSnap, modules: [...new Set([...startSnap.modules, ...LEFT_LOADED_AFTER_DELETE])].sort() });
    });
});

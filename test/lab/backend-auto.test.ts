/**
 * The lab's own stacks with `backend: auto` (issue 21): the multi-vlan-routed stack with no backend
 * named on its hosts (so auto, the default), applied with the real Pulumi engine on lab hosts, then
 * destroyed. A lab host is a namespace of this machine with no init system, no NetworkManager and no
 * ifup, an ifcfg file for its NIC written by the lab (as on the tutorial's CentOS 7) and the lab's
 * VLAN emulation marker: auto finds ifcfg there and says why (the preflight, and each component's
 * create), writes the ifcfg files as on a real host, the checks pass, the records of its pick are
 * on the hosts while the stack is up and gone after destroy, and every host is back to its snapshot.
 * Root only; run it under the machine-wide lock:
 *
 *   flock /work/heavy.lock npx mocha test/lab/backend-auto.test.ts
 *
 * The lab is named `mvlau-<pid>`; labs of earlier runs that died are swept first, and the lab is
 * torn down in after(), on failure too.
 */
import { strict as assert } from "assert";
import { LabHosts, hostsUp } from "../../lab/hosts";
import { applyOnLab, destroyOnLab } from "../../lab/run/engine";
import { downLab } from "../../lab/run/down";
import { sweepStaleTestLabs } from "../helpers/labSweep";
import { LoadedStack, loadStack, topologyOf } from "../../lab/topology";
import { parseLab } from "../../components/model/validate";
import { rawLabConfig } from "../../lab/stackFile";
import { LabSnapshot, diffLabSettled, snapshotLab } from "../../lab/snapshot";
import { labUnavailable, skipIf } from "../helpers/labSuite";
import { assertApplied } from "../helpers/labAssert";

const PREFIX = "mvlau-";
const NAME = `${PREFIX}${process.pid}`;
const SNAPSHOT_DIRS = ["/etc/sysconfig/network-scripts", "/etc/modules-load.d", "/etc/systemd/system", "/etc/sysctl.d", "/var/lib/macvlan-lab"];

function log(line: string): void {
    if (process.env.LAB_TEST_VERBOSE) console.log(`      | ${line}`);
}

/** The stack with no backend on any host: auto, the default. */
function withAuto(stack: LoadedStack): LoadedStack {
    const hosts = JSON.parse(stack.config["macvlan-lab:hosts"]) as Array<Record<string, unknown>>;
    assert.ok(hosts.every((h) => h.backend === "ifcfg"), "the stack names ifcfg on every host: the probe below proves the default");
    for (const h of hosts) delete h.backend;
    const config = { ...stack.config, "macvlan-lab:hosts": JSON.stringify(hosts) };
    const { spec, errors } = parseLab(rawLabConfig(config));
    assert.deepEqual(errors, []);
    assert.ok(spec!.hosts.every((h) => h.backend === "auto"));
    return { ...stack, config, spec: spec! };
}

describe("lab: multi-vlan-routed with backend auto on the lab's hosts (real engine: preflight, up, checks, destroy)", function () {
    let lab: LabHosts | undefined;
    let stack: LoadedStack;
    let s0: LabSnapshot;
    let destroyed = false;

    before(async function () {
        this.timeout(900_000);
        skipIf(this, await labUnavailable(), "the backend auto lab");
        await sweepStaleTestLabs(new RegExp(`^${PREFIX}(\\d+)$`), log);
        const l = loadStack("multi-vlan-routed");
        assert.deepEqual(l.errors, []);
        stack = withAuto(l.stack as LoadedStack);
        const topo = topologyOf(NAME, stack.spec);
        assert.deepEqual(topo.errors, []);
        lab = await hostsUp(topo.topology as NonNullable<typeof topo.topology>, { log });
        s0 = await snapshotLab(lab, { dirs: SNAPSHOT_DIRS });
    });

    after(async function () {
        this.timeout(600_000);
        if (lab !== undefined && !destroyed) {
            const d = await destroyOnLab(lab, { log: (l) => log(`destroy: ${l}`) });
            if (d !== undefined && d.code !== 0) console.log(`      | pulumi destroy failed (${d.code}): ${d.stderr.split("\n").slice(-10).join("\n")}`);
        }
        await downLab(NAME, log);
    });

    it("pulumi up: the preflight and every component say auto found ifcfg on the lab's host and why; the checks pass; the ifcfg files and the records are on the hosts", async function () {
        this.timeout(900_000);
        const l = lab as LabHosts;
        const o = await applyOnLab(l, stack, { log: (x) => log(`up: ${x}`) });
        console.log(`      time: pulumi up with backend auto: ${o.seconds.toFixed(1)} s`);
        assertApplied(o, "pulumi up");
        for (const h of ["docker01", "docker02"]) {
            assert.match(
                o.stdout,
                new RegExp(`preflight ${h}: backend auto: ifcfg, because the local lab's host \\(/run/macvlan-lab/vlan-emulation says its VLANs are emulated\\): /etc/sysconfig/network-scripts/ifcfg-ens33 as on the tutorial's CentOS 7`),
                `the preflight of ${h} does not say what auto found`,
            );
        }
        assert.match(o.stdout, /backend auto: ifcfg \(the local lab's host/);
        const checks = o.outputs?.checks ?? [];
        assert.ok(checks.length >= 25, JSON.stringify(checks));
        assert.ok(checks.every((c) => c.ok), JSON.stringify(checks.filter((c) => !c.ok)));
        for (const h of ["docker01", "docker02"]) {
            const r = await l.exec(h, ["sh", "-c", "ls /etc/sysconfig/network-scripts; cat /var/lib/macvlan-lab/host/*.backend | sort | uniq -c"], { timeoutMs: 60_000 });
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stdout, /^ifcfg-ens33\.10$/m);
            assert.match(r.stdout, /^ifcfg-ens33\.30$/m);
            assert.match(r.stdout, /^ +\d+ ifcfg$/m, `${h}: no record of auto's pick, or another backend than ifcfg:\n${r.stdout}`);
            assert.ok(!/networkd|netplan|ifupdown|nmcli/.test(r.stdout), r.stdout);
        }
    });

    it("a second pulumi up changes nothing (the pick is stable: no command replaced)", async function () {
        this.timeout(600_000);
        const o = await applyOnLab(lab as LabHosts, stack, { log: (x) => log(`up again: ${x}`) });
        assert.equal(o.code, 0, o.stderr);
        assert.match(o.stdout, /^ +\d+ unchanged$/m, o.stdout.slice(-2000));
        assert.doesNotMatch(o.stdout, /^ +[-+~]+\d+ (to )?(create|update|replace|delete)/m, "a no-op up changed something");
        assert.doesNotMatch(o.stdout, /^ +\d+ (created|updated|replaced|deleted)$/m, "a no-op up changed something");
    });

    it("pulumi destroy: every host is back to its snapshot (the records of auto's pick gone too)", async function () {
        this.timeout(600_000);
        const l = lab as LabHosts;
        const d = await destroyOnLab(l, { log: (x) => log(`destroy: ${x}`) });
        destroyed = true;
        assert.ok(d !== undefined && d.code === 0, `pulumi destroy failed: ${(d?.stdout ?? "").slice(-4000)}${d?.stderr ?? ""}`);
        assert.deepEqual(await diffLabSettled(l, s0, { dirs: SNAPSHOT_DIRS }), []);
    });
});

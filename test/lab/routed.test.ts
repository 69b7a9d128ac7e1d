/**
 * The multi-vlan-routed stack (issue 12) end to end with the real Pulumi engine on lab hosts:
 * first the same lab without shims and router (the tutorial's two open problems, observed), then
 * with them (solved), then `pulumi destroy` (every host back to its snapshot). Root only; run it
 * under the machine-wide lock:
 *
 *   flock /tmp/macvlan-lab-netns.lock npx mocha test/lab/routed.test.ts
 *
 * The lab is named `mvlrt-<pid>`; labs of earlier runs that died are swept first, and the lab is
 * torn down in after(), on failure too.
 */
import { strict as assert } from "assert";
import { LabHosts, hostsUp } from "../../lab/hosts";
import { EngineOutcome, applyOnLab, destroyOnLab, previewOnLab } from "../../lab/run/engine";
import { stepsOfPreview } from "../../lab/day2";
import { downLab } from "../../lab/run/down";
import { sweepStaleTestLabs } from "../helpers/labSweep";
import { LoadedStack, loadStack, topologyOf } from "../../lab/topology";
import { routerChain } from "../../components/contracts";
import { parseLab } from "../../components/model/validate";
import { rawLabConfig } from "../../lab/stackFile";
import { LabSnapshot, diffLabSettled, snapshotLab } from "../../lab/snapshot";
import { assertNoReply, assertReplied } from "../helpers/probe";
import { labUnavailable, sh, skipIf } from "../helpers/labSuite";
import { tail, assertApplied, settledNoDiff } from "../helpers/labAssert";

const PREFIX = "mvlrt-";
const NAME = `${PREFIX}${process.pid}`;
/** The settings the shims and the router change that no snapshot holds: arp_ignore of the VLAN interfaces, ip_forward. */
const SYSCTLS = "cat /proc/sys/net/ipv4/conf/ens33.10/arp_ignore /proc/sys/net/ipv4/conf/ens33.20/arp_ignore /proc/sys/net/ipv4/conf/ens33.30/arp_ignore /proc/sys/net/ipv4/ip_forward";
const SNAPSHOT_DIRS = ["/etc/sysconfig/network-scripts", "/etc/modules-load.d", "/etc/systemd/system"];

function log(line: string): void {
    if (process.env.LAB_TEST_VERBOSE) console.log(`      | ${line}`);
}

/** `ping -c 2` from `host` (or `docker exec <container>` on it) to `ip`, for assertReplied / assertNoReply. */
async function ping(lab: LabHosts, host: string, container: string | undefined, ip: string) {
    // the lab hosts have busybox's ping (Debian's busybox-static), not iputils
    const cmd = container === undefined ? `$(command -v ping || echo busybox ping) -c 2 -W 1 ${ip}` : `docker exec ${container} ping -c 2 -W 1 ${ip}`;
    return sh(lab, host, cmd, 60_000);
}

/** The packets each rule of the router's chain counted: `-s A -d B -j DROP` -> packets (`iptables -v -S` prints `-c <packets> <bytes>`). */
async function routerCounters(lab: LabHosts, chain: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const line of (await sh(lab, "docker01", `iptables -w -v -S ${chain}`, 60_000)).stdout.split("\n")) {
        const m = /^-A \S+ (.*) -c (\d+) \d+ (-j .*)$/.exec(line);
        if (m) out.set(`${m[1]} ${m[3]}`, Number(m[2]));
    }
    return out;
}

/** The stack with its config edited by `edit`. */
function withEdits(stack: LoadedStack, edit: (config: Record<string, string>) => Record<string, string>): LoadedStack {
    const config = edit({ ...stack.config });
    const { spec, errors } = parseLab(rawLabConfig(config));
    assert.deepEqual(errors, []);
    return { ...stack, config, spec: spec! };
}

/** The routed stack without `shims` and `router`: the multi-VLAN lab with VLAN 30, as the tutorial leaves it. */
function withoutRouting(stack: LoadedStack): LoadedStack {
    return withEdits(stack, (config) => {
        delete config["macvlan-lab:shims"];
        delete config["macvlan-lab:router"];
        return config;
    });
}

describe("lab: multi-vlan-routed (real engine: the open problems observed, then solved by shims and the router; destroy)", function () {
    let lab: LabHosts | undefined;
    let stack: LoadedStack;
    let s0: LabSnapshot;
    const sysctls0: Record<string, string> = {};
    let destroyed = false;

    before(async function () {
        this.timeout(900_000);
        skipIf(this, await labUnavailable(), "the multi-vlan-routed lab");
        await sweepStaleTestLabs(new RegExp(`^${PREFIX}(\\d+)$`), log);
        const l = loadStack("multi-vlan-routed");
        assert.deepEqual(l.errors, []);
        stack = l.stack as LoadedStack;
        const topo = topologyOf(NAME, stack.spec);
        assert.deepEqual(topo.errors, []);
        lab = await hostsUp(topo.topology as NonNullable<typeof topo.topology>, { log });
        s0 = await snapshotLab(lab, { dirs: SNAPSHOT_DIRS });
        for (const h of ["docker01", "docker02"]) sysctls0[h] = (await sh(lab, h, SYSCTLS, 60_000)).stdout;
        log(`sysctls before: ${JSON.stringify(sysctls0)}`);
    });

    after(async function () {
        this.timeout(600_000);
        if (lab !== undefined && !destroyed) {
            const d = await destroyOnLab(lab, { log: (l) => log(`destroy: ${l}`) });
            if (d !== undefined && d.code !== 0) console.log(`      | pulumi destroy failed (${d.code}): ${tail(d.stderr, 10)}`);
        }
        await downLab(NAME, log);
    });

    it("without shims: a host cannot ping its own container even with an address and a route on the VLAN, while the other host's container answers", async function () {
        this.timeout(600_000);
        const l = lab as LabHosts;
        const o = await applyOnLab(l, withoutRouting(stack), { log: (x) => log(`up plain: ${x}`) });
        console.log(`      time: pulumi up without shims and router: ${o.seconds.toFixed(1)} s`);
        assertApplied(o, "pulumi up without shims and router");
        // docker02 gets an address of mac_net10 on its own VLAN interface (its shim's address, which
        // the plan reserves, so no container has it) and a route to the subnet through it: the frames
        // leave on ens33.10 and docker01's bbox10 answers on the segment (it has no router to answer
        // an address of another subnet through), but the parent never hands them to its own
        // macvlan children, so docker02's bbox10 never sees them
        const add = await sh(l, "docker02", "ip addr add 172.16.10.3/32 dev ens33.10 && ip route add 172.16.10.0/24 dev ens33.10 src 172.16.10.3", 60_000);
        assert.equal(add.code, 0, add.stderr);
        try {
            assertNoReply(await ping(l, "docker02", undefined, "172.16.10.11"), "docker02 reached its own bbox10 without a shim");
            assertReplied(await ping(l, "docker02", undefined, "172.16.10.10"), "docker02 did not reach docker01's bbox10 on the same VLAN");
        } finally {
            await sh(l, "docker02", "ip route del 172.16.10.0/24 dev ens33.10; ip addr del 172.16.10.3/32 dev ens33.10", 60_000);
        }
    });

    it("without the router: bbox10 cannot reach bbox20 (on the other host or its own)", async () => {
        const l = lab as LabHosts;
        assertNoReply(await ping(l, "docker01", "bbox10", "172.16.20.21"), "docker01/bbox10 reached docker02/bbox20 without the router");
        assertNoReply(await ping(l, "docker02", "bbox20", "172.16.10.10"), "docker02/bbox20 reached docker01/bbox10 without the router");
    });

    let routed: EngineOutcome;
    it("pulumi up of the routed stack: every check passes (host rows, routed pairs both ways, the left-out network refused)", async function () {
        this.timeout(600_000);
        const l = lab as LabHosts;
        routed = await applyOnLab(l, stack, { log: (x) => log(`up routed: ${x}`) });
        console.log(`      time: pulumi up adding shims and router: ${routed.seconds.toFixed(1)} s`);
        assertApplied(routed, "pulumi up of the routed stack");
        const checks = routed.outputs?.checks ?? [];
        assert.ok(checks.length >= 25, JSON.stringify(checks));
        assert.ok(checks.every((c) => c.ok), JSON.stringify(checks.filter((c) => !c.ok)));
        const row = (s: string, t: string) => checks.find((c) => c.source === s && c.target === t);
        assert.equal(row("docker02", "docker02/bbox10")?.observed, "reachable");
        assert.equal(row("docker01/bbox10", "docker02/bbox20")?.observed, "reachable");
        assert.equal(row("docker02/bbox20", "docker01/bbox10")?.observed, "reachable");
        assert.equal(row("docker02/bbox30", "docker01/bbox10")?.observed, "unreachable");
    });

    it("observed from outside the program: each host pings its own containers; bbox10 and bbox20 reach each other both ways; mac_net30 stays out", async () => {
        const l = lab as LabHosts;
        for (const [host, ip] of [["docker01", "172.16.10.10"], ["docker01", "172.16.20.20"], ["docker02", "172.16.10.11"], ["docker02", "172.16.20.21"], ["docker02", "172.16.30.31"]]) {
            assertReplied(await ping(l, host, undefined, ip), `${host} cannot ping its own container ${ip}`);
        }
        assertReplied(await ping(l, "docker01", "bbox10", "172.16.20.21"), "docker01/bbox10 -> docker02/bbox20");
        assertReplied(await ping(l, "docker02", "bbox20", "172.16.10.10"), "docker02/bbox20 -> docker01/bbox10");
        assertReplied(await ping(l, "docker02", "bbox10", "172.16.20.20"), "docker02/bbox10 -> docker01/bbox20");
        // refused pairs: the ping ran, got nothing back, and the router's DROP rule counted each packet
        // the router's own chain (issue 27: one per stack): project, stack and the router component's name
        const chain = routerChain(`macvlan-lab/${stack.stack}/lab-router`);
        const refused: Array<[string, string, string, string]> = [
            ["docker02", "bbox30", "172.16.10.10", "-s 172.16.30.0/24 -d 172.16.10.0/24 -j DROP"],
            ["docker01", "bbox10", "172.16.30.31", "-s 172.16.10.0/24 -d 172.16.30.0/24 -j DROP"],
        ];
        for (const [host, container, ip, drop] of refused) {
            const before = await routerCounters(l, chain);
            assert.ok(before.has(drop), `no rule ${drop} in ${chain}: ${[...before.keys()].join(" | ")}`);
            assertNoReply(await ping(l, host, container, ip), `${host}/${container} reached ${ip} across the refused pair`);
            const counted = ((await routerCounters(l, chain)).get(drop) ?? NaN) - (before.get(drop) as number);
            assert.ok(counted >= 2, `${drop} counted ${counted} packets of the 2 ${host}/${container} sent to ${ip}`);
        }
        const fwd = await sh(l, "docker01", `cat /proc/sys/net/ipv4/ip_forward; iptables -S ${chain}; ip -d link show rtr0`, 60_000);
        assert.match(fwd.stdout, /^1\n/);
        assert.ok(fwd.stdout.includes(`-A ${chain} -s 172.16.10.0/24 -d 172.16.20.0/24 -j ACCEPT`), fwd.stdout);
        assert.match(fwd.stdout, /rtr0@ens33\.10:.*\n.*\n\s*macvlan mode bridge/);
        // only the leg answers ARP for the gateway: docker02's bbox10 holds rtr0's MAC for 172.16.10.1,
        // not that of docker01's VLAN interface (which would answer too at arp_ignore=0)
        const macs = await sh(l, "docker01", "cat /sys/class/net/rtr0/address /sys/class/net/ens33.10/address /proc/sys/net/ipv4/conf/ens33.10/arp_ignore", 60_000);
        const [rtr0, ens, arpIgnore] = macs.stdout.trim().split("\n");
        assert.equal(arpIgnore, "1", "ens33.10 on the router host answers ARP for every address of the host");
        assertReplied(await ping(l, "docker02", "bbox10", "172.16.10.1"), "docker02/bbox10 -> its gateway on docker01");
        const neigh = await sh(l, "docker02", "docker exec bbox10 cat /proc/net/arp", 60_000);
        const gw = neigh.stdout.split("\n").find((x) => x.startsWith("172.16.10.1 "));
        assert.ok(gw?.includes(rtr0) && !gw.includes(ens), `docker02/bbox10's ARP entry for its gateway is not rtr0's ${rtr0}:\n${neigh.stdout}`);
        const unit = await sh(l, "docker02", "cat /etc/systemd/system/macvlan-lab-mac2.service; ls /etc/systemd/system/multi-user.target.wants/", 60_000);
        assert.match(unit.stdout, /ExecStart=\S+ link add link ens33\.30 name mac2 type macvlan mode bridge/);
        assert.match(unit.stdout, /macvlan-lab-mac2\.service/);
    });

    it("a replaced router leg (a new link, a new MAC) is announced: the containers that cached the old leg's MAC reach the other network at once", async function () {
        this.timeout(600_000);
        const l = lab as LabHosts;
        const mac = async () => (await sh(l, "docker01", "cat /sys/class/net/rtr1/address", 60_000)).stdout.trim();
        // docker02's bbox20 holds the leg's MAC for its gateway (it just routed through it)
        assertReplied(await ping(l, "docker02", "bbox20", "172.16.10.10"), "docker02/bbox20 -> docker01/bbox10 before the leg is replaced");
        const before = await mac();
        const urn = `urn:pulumi:${stack.stack}::macvlan-lab::macvlan-lab:index:MacvlanLab$macvlan-lab:host:InterVlanRouter$command:remote:Command::lab-router-mac_net20-leg`;
        const o = await applyOnLab(l, stack, { log: (x) => log(`up --replace leg: ${x}`), extraArgs: ["--replace", urn] });
        assertApplied(o, "pulumi up --replace of the mac_net20 leg");
        assert.match(o.stdout, /lab-router-mac_net20-leg .*announced 172\.16\.20\.1 at the MAC of rtr1/);
        const after = await mac();
        assert.notEqual(after, before, "the replaced leg kept its MAC: the probe proves nothing");
        // no wait: without the announcement the entry holds the old MAC and these pings are lost
        assertReplied(await ping(l, "docker02", "bbox20", "172.16.10.10"), "docker02/bbox20 -> docker01/bbox10 right after the leg was replaced");
        const neigh = await sh(l, "docker02", "docker exec bbox20 cat /proc/net/arp", 60_000);
        assert.ok(neigh.stdout.split("\n").some((x) => x.startsWith("172.16.20.1 ") && x.includes(after)), neigh.stdout);
    });

    it("day 2: docker02's first shim removed and the router's networks reordered: that shim goes, every other shim and leg keeps its name and its link", async function () {
        this.timeout(600_000);
        const l = lab as LabHosts;
        // by position docker02's other shims would become mac0 and mac1 and every leg another rtr<k>:
        // new links, so replaced; the last deployment's names keep them (components/model/interfaceNames.ts)
        const links = async (): Promise<string> =>
            (await sh(l, "docker02", "cat /sys/class/net/mac1/ifindex /sys/class/net/mac2/ifindex", 60_000)).stdout +
            (await sh(l, "docker01", "cat /sys/class/net/rtr0/ifindex /sys/class/net/rtr1/ifindex /sys/class/net/rtr2/ifindex", 60_000)).stdout;
        const before = await links();
        const edited = withEdits(stack, (config) => {
            const shims = (JSON.parse(config["macvlan-lab:shims"]) as Array<{ host: string; network: string }>).filter((x) => !(x.host === "docker02" && x.network === "mac_net10"));
            const router = JSON.parse(config["macvlan-lab:router"]) as { networks: string[] };
            return { ...config, "macvlan-lab:shims": JSON.stringify(shims), "macvlan-lab:router": JSON.stringify({ ...router, networks: ["mac_net30", "mac_net10", "mac_net20"] }) };
        });
        const preview = await previewOnLab(l, edited, { log: (x) => log(`preview fewer shims: ${x}`) });
        assert.equal(preview.code, 0, `preview failed (${preview.code}):\n${tail(preview.stderr, 20)}`);
        const steps = stepsOfPreview(preview.stdout);
        assert.deepEqual({ replace: steps.replace, create: steps.create, delete: steps.delete }, { replace: [], create: [], delete: ["lab-docker02-shim-mac_net10", "lab-docker02-shim-mac_net10-link"] }, JSON.stringify(steps));
        const o = await applyOnLab(l, edited, { log: (x) => log(`up fewer shims: ${x}`) });
        assertApplied(o, "pulumi up without docker02's first shim, the router's networks reordered");
        assert.ok((o.outputs?.checks ?? []).every((c) => c.ok), JSON.stringify(o.outputs?.checks));
        assert.equal(await links(), before, "a shim or leg that stays got a new link");
        const gone = await sh(l, "docker02", "test ! -e /sys/class/net/mac0 && test ! -e /etc/systemd/system/macvlan-lab-mac0.service", 60_000);
        assert.equal(gone.code, 0, "docker02's removed shim left its link or unit");
        assertReplied(await ping(l, "docker02", undefined, "172.16.30.31"), "docker02 cannot ping its own bbox30 through mac2");
    });

    it("pulumi destroy: every host is back to its snapshot from before the first pulumi up", async function () {
        this.timeout(600_000);
        const l = lab as LabHosts;
        const d = await destroyOnLab(l, { log: (x) => log(`destroy: ${x}`) });
        destroyed = true;
        assert.ok(d !== undefined && d.code === 0, `pulumi destroy failed: ${(d?.stdout ?? "").slice(-4000)}${d?.stderr ?? ""}`);
        settledNoDiff(await diffLabSettled(l, s0, { dirs: SNAPSHOT_DIRS }), "after destroy");
        const fwd = await sh(l, "docker01", "iptables -S | grep -c MACVLAN-LAB || true", 60_000);
        assert.equal(fwd.stdout.trim(), "0");
        for (const h of ["docker01", "docker02"]) {
            assert.equal((await sh(l, h, SYSCTLS, 60_000)).stdout, sysctls0[h], `${h}: arp_ignore of the VLAN interfaces or ip_forward not as before the first pulumi up`);
        }
    });
});

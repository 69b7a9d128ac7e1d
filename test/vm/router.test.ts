/**
 * The inter-VLAN router of the routed stack (issue 12: components/host/interVlanRouter.ts, its
 * scripts components/scripts/host/link.sh for the legs and host/router.sh for the forwarding) on a
 * real kernel under qemu: one VM per host of the multi-vlan-routed stack (Debian's cloud kernel,
 * Debian's legacy iptables on ip_tables), joined by one trunk captured to pcap (lab/vm). The router
 * runs on its host (docker01) as InterVlanRouter renders it (lab/vm/harness.ts routerSteps), after
 * the host networking of both hosts (VLANs 10, 20, 30). The containers are those of the other host
 * (docker02: bbox10 on VLAN 10, bbox20 on VLAN 20, bbox30 on VLAN 30), network namespaces with a
 * macvlan on that host's VLAN devices and their network's gateway as default route, as Docker makes
 * them: every packet between them crosses the trunk to the router and back.
 *
 * What is asserted is observed: without the router nothing answers for the gateway; with the legs
 * alone the packets reach the router and stop there; with the forwarding the allowed pair reaches
 * each other both ways, each packet on the trunk twice, tagged with the sender's VLAN id before the
 * hop and the receiver's after it (the MACs of the container and of the legs, the TTL one less), the
 * policy's ACCEPT rules counting each packet; the pairs the policy does not list are refused (their
 * DROP rules count each packet, nothing reaches the other VLAN or comes back), with FORWARD's policy
 * ACCEPT and DROP; a second create changes nothing; check passes (and finds a drift made by hand);
 * delete puts forwarding back and removes the chain and the legs (the VM as before but for the
 * modules it loaded, listed); a second delete changes nothing. The iproute2 backend: the VMs have
 * neither systemd (the ifcfg backend keeps legs as systemd units) nor NetworkManager; the legs'
 * kernel side is the same on every backend. Skipped, with the reason, only where qemu cannot run.
 */
import * as assert from "assert";
import * as fs from "fs";
import { ROUTER_CHAIN } from "../../components/contracts";
import { routerRules } from "../../components/host/routing";
import { shellJoin } from "../../components/shell";
import { LabSpec } from "../../components/model/types";
import { loadStack } from "../../lab/topology";
import { HostStep, hostSteps, LEFT_LOADED_AFTER_DELETE, routerSteps, VmLab, VmSnapshot, withBackend } from "../../lab/vm/harness";
import { changes, lastLine, succeeded, vmSuiteHooks } from "../helpers/vmSuite";
import { Attachment, attachmentsOf, containerCommands, containerRemoval } from "../../lab/vm/networks";
import { countByVlan, echoes, Frame, framesFor, framesFrom, framesOf, readPcap } from "../../lab/vm/pcap";
import { GuestResult } from "../../lab/vm/qemu";

const STACK = "multi-vlan-routed";

/**
 * What the router's create loads and nothing of it unloads (observed here): the first leg's `ip link
 * add ... type macvlan` loads macvlan; the first iptables call loads ip_tables (with x_tables) and
 * iptable_filter through the kernel's modprobe. After delete they stay loaded and the filter table
 * stays, empty, its policies ACCEPT as the kernel made them (FILTER_TABLE_EMPTY). A host that ever
 * ran iptables (any Docker host) has them already. Every other part of the VM is as before.
 */
const ROUTER_LEFT_LOADED = ["iptable_filter", "ip_tables", "macvlan", "x_tables"];
const FILTER_TABLE_EMPTY = ["-t filter", "-P INPUT ACCEPT", "-P FORWARD ACCEPT", "-P OUTPUT ACCEPT"];

function routedStack(): LabSpec {
    const loaded = loadStack(STACK);
    assert.ok(loaded.stack, loaded.errors.join("\n"));
    assert.ok(loaded.stack.spec.router, `${STACK} has no router`);
    return withBackend(loaded.stack.spec, "iproute2");
}

function describeCounts(frames: readonly Frame[]): string {
    return Object.entries(countByVlan(frames))
        .map(([k, n]) => `${k === "untagged" ? "untagged" : `VID ${k}`}: ${n}`)
        .join(", ");
}

function withModules(s: VmSnapshot, extra: readonly string[]): VmSnapshot {
    return { ...s, modules: [...new Set([...s.modules, ...extra])].sort() };
}

describe("vm: the inter-VLAN router of the routed stack on a real kernel under qemu (legacy iptables, tags on each side of the hop)", function () {
    // ceilings, not expectations: a VM under TCG on a busy 2-core machine is slow (lab/vm/README.md)
    this.timeout(1_800_000);
    const spec = routedStack();
    const router = spec.router!;
    const routerHost = router.host;
    const steps = routerSteps(spec);
    const routed = router.networks.map((name) => spec.networks.find((n) => n.name === name)!);
    const containers = attachmentsOf(spec).filter((a) => a.host !== routerHost && router.networks.includes(a.network.name));
    const containerHosts = [...new Set(containers.map((a) => a.host))];
    const on = (network: string): Attachment => {
        const a = containers.find((x) => x.network.name === network);
        assert.ok(a, `${STACK} has no container on ${network} off the router's host`);
        return a;
    };
    const [bbox10, bbox20, bbox30] = ["mac_net10", "mac_net20", "mac_net30"].map(on);
    const legName = (a: Attachment): string => router.legs[a.network.name];
    /** Network name -> the MAC of its leg (read after the legs' create). */
    const legMac = new Map<string, string>();
    const legMacOf = (a: Attachment): string => legMac.get(a.network.name)!;

    let lab: VmLab | undefined;
    const start = new Map<string, VmSnapshot>();
    /** Every VM after the host networking's create, before the containers and the router. */
    const beforeCase = new Map<string, VmSnapshot>();
    const macvlanWasLoaded = new Map<string, boolean>();
    vmSuiteHooks({ spec, name: "vm router", start, started: (l) => (lab = l), imageDetail: (l) => `iptables ${l.image.userland.iptables}` });

    function framesSince(mark: number): Frame[] {
        return readPcap(fs.readFileSync(lab!.trunk.pcapFile)).slice(mark);
    }

    /** Runs one kind of script of every router step on the router's host, in order; create and delete must succeed. */
    async function runRouter(kind: "create" | "delete" | "check"): Promise<GuestResult[]> {
        const list: HostStep[] = kind === "delete" ? [...steps].reverse() : steps;
        const out: GuestResult[] = [];
        for (const step of list) {
            const r = await lab!.runScript(routerHost, step.scripts[kind]);
            if (kind !== "check") succeeded(r, `${routerHost}: ${step.what} ${kind}`);
            out.push(r);
        }
        return out;
    }

    /** The packet counters of the router's chain: rule (as declared) -> packets. */
    async function counters(): Promise<Map<string, number>> {
        const out = new Map<string, number>();
        for (const line of (await lab!.vm(routerHost).ok(shellJoin(["iptables", "-w", "-v", "-S", ROUTER_CHAIN]))).split("\n")) {
            const m = /^-A \S+ (.*) -c (\d+) \d+ (-j .*)$/.exec(line);
            if (m) out.set(`${m[1]} ${m[3]}`, Number(m[2]));
        }
        return out;
    }

    const rule = (from: Attachment, to: Attachment, target: "ACCEPT" | "DROP") => `-s ${from.network.subnet} -d ${to.network.subnet} -j ${target}`;
    const delta = (before: Map<string, number>, after: Map<string, number>, r: string) => (after.get(r) ?? NaN) - (before.get(r) ?? NaN);

    function ping(from: Attachment, to: Attachment, count: number, wait: number): Promise<GuestResult> {
        return lab!.vm(from.host).run(shellJoin(["ip", "netns", "exec", from.netns, "ping", "-c", String(count), "-W", String(wait), to.ip]), 120);
    }

    /**
     * `from` reaches `to` through the router: every echo request is on the trunk twice, tagged with
     * `from`'s VLAN id (from its MAC to its leg's) and then with `to`'s (from `to`'s leg to its MAC),
     * one hop (TTL one less); the replies the same way back; the frames carrying the two addresses
     * are under those two ids only; the policy's ACCEPT rules count each packet.
     */
    async function reaches(from: Attachment, to: Attachment): Promise<string> {
        const before = await counters();
        const mark = lab!.trunk.mark();
        const r = await ping(from, to, 3, 10);
        assert.strictEqual(r.status, 0, `${from.host}/${from.container} ${from.ip} does not reach ${to.host}/${to.container} ${to.ip} through ${routerHost}:\n${r.stdout}${r.stderr}`);
        const seen = framesSince(mark);
        const after = await counters();
        const req = echoes(seen, from.ip, to.ip, "request");
        const rep = echoes(seen, to.ip, from.ip, "reply");
        const reqIn = req.filter((f) => f.vid === from.vlan);
        const reqOut = req.filter((f) => f.vid === to.vlan);
        const repIn = rep.filter((f) => f.vid === to.vlan);
        const repOut = rep.filter((f) => f.vid === from.vlan);
        const what = `${from.container} ${from.ip} -> ${to.container} ${to.ip}`;
        assert.ok(reqIn.length >= 3 && reqOut.length === reqIn.length, `${what}: requests ${describeCounts(req)}`);
        assert.ok(repIn.length >= 3 && repOut.length === repIn.length, `${what}: replies ${describeCounts(rep)}`);
        assert.deepStrictEqual(countByVlan(req), { [String(from.vlan)]: reqIn.length, [String(to.vlan)]: reqOut.length }, `${what}: requests ${describeCounts(req)}`);
        assert.deepStrictEqual(countByVlan(rep), { [String(to.vlan)]: repIn.length, [String(from.vlan)]: repOut.length }, `${what}: replies ${describeCounts(rep)}`);
        const hop = (frames: Frame[], src: string, dst: string, side: string) =>
            assert.ok(
                frames.every((f) => f.src === src && f.dst === dst),
                `${what}: ${side} not ${src} -> ${dst}: ${JSON.stringify(frames.find((f) => f.src !== src || f.dst !== dst))}`,
            );
        hop(reqIn, from.mac!, legMacOf(from), `request tagged ${from.vlan}`);
        hop(reqOut, legMacOf(to), to.mac!, `request tagged ${to.vlan}`);
        hop(repIn, to.mac!, legMacOf(to), `reply tagged ${to.vlan}`);
        hop(repOut, legMacOf(from), from.mac!, `reply tagged ${from.vlan}`);
        const ttl = (frames: Frame[]) => [...new Set(frames.map((f) => f.ipv4!.ttl))];
        assert.strictEqual(ttl(reqIn).length, 1, `${what}: requests with several TTLs before the hop`);
        assert.deepStrictEqual(ttl(reqOut), [ttl(reqIn)[0] - 1], `${what}: the requests' TTL after the hop`);
        assert.strictEqual(ttl(repIn).length, 1, `${what}: replies with several TTLs before the hop`);
        assert.deepStrictEqual(ttl(repOut), [ttl(repIn)[0] - 1], `${what}: the replies' TTL after the hop`);
        const carrying = [...new Set([...framesOf(seen, from.ip), ...framesOf(seen, to.ip)])];
        const stray = carrying.filter((f) => f.vid !== from.vlan && f.vid !== to.vlan);
        assert.deepStrictEqual(stray, [], `${what}: frames of ${from.ip}/${to.ip} outside VLANs ${from.vlan} and ${to.vlan}: ${describeCounts(carrying)}`);
        assert.strictEqual(delta(before, after, rule(from, to, "ACCEPT")), reqIn.length, `${what}: the ACCEPT rule ${rule(from, to, "ACCEPT")} did not count each request`);
        assert.strictEqual(delta(before, after, rule(to, from, "ACCEPT")), repIn.length, `${what}: the ACCEPT rule ${rule(to, from, "ACCEPT")} did not count each reply`);
        return (
            `${from.host}/${from.container} ${from.ip} -> ${to.host}/${to.container} ${to.ip} through ${routerHost}: ` +
            `${reqIn.length} requests tagged ${from.vlan} (${from.container} ${from.mac} -> ${legName(from)} ${legMacOf(from)}, TTL ${ttl(reqIn)[0]}), ` +
            `then tagged ${to.vlan} (${legName(to)} ${legMacOf(to)} -> ${to.container} ${to.mac}, TTL ${ttl(reqOut)[0]}); ` +
            `${repIn.length} replies tagged ${to.vlan} then ${from.vlan}; counted by the ACCEPT rules; ${describeCounts(carrying)}`
        );
    }

    /**
     * `from` does not reach `to` although its packets reach the router (tagged with `from`'s VLAN id,
     * to its leg's MAC): nothing for `to` on any other id or untagged, nothing back to `from` (no
     * reply, no ICMP error). With `dropRule`, that rule of the policy counts each request.
     */
    async function stopsAtRouter(from: Attachment, to: Attachment, dropRule: boolean): Promise<string> {
        const before = dropRule ? await counters() : undefined;
        const mark = lab!.trunk.mark();
        const r = await ping(from, to, 2, 1);
        const what = `${from.container} ${from.ip} -> ${to.container} ${to.ip}`;
        assert.notStrictEqual(r.status, 0, `${from.host}/${from.container} reached ${to.host}/${to.container} (${to.ip}):\n${r.stdout}`);
        const seen = framesSince(mark);
        const req = echoes(seen, from.ip, to.ip, "request");
        assert.ok(req.length >= 2, `${what}: ${req.length} echo requests on the trunk: the probe proved nothing`);
        assert.ok(
            req.every((f) => f.vid === from.vlan && f.src === from.mac && f.dst === legMacOf(from)),
            `${what}: a request not tagged ${from.vlan} from ${from.mac} to ${legName(from)} ${legMacOf(from)}: ${describeCounts(req)}`,
        );
        const beyond = framesFor(seen, to.ip).filter((f) => f.vid !== from.vlan);
        assert.deepStrictEqual(beyond, [], `${what}: frames for ${to.ip} past the router: ${describeCounts(beyond)}`);
        const back = seen.filter((f) => f.ipv4?.dst === from.ip);
        assert.deepStrictEqual(back, [], `${what}: something came back to ${from.ip}`);
        let counted = "";
        if (before) {
            const after = await counters();
            assert.strictEqual(delta(before, after, rule(from, to, "DROP")), req.length, `${what}: the DROP rule ${rule(from, to, "DROP")} did not count each request`);
            counted = `, each dropped by ${rule(from, to, "DROP")}`;
        }
        return `${from.host}/${from.container} ${from.ip} -> ${to.host}/${to.container} ${to.ip}: unreachable; ${req.length} requests reached ${routerHost} tagged ${from.vlan} (to ${legName(from)})${counted}; none on VLAN ${to.vlan} or untagged, nothing back`;
    }

    /** Without a leg on its network, nothing answers `from`'s ARP for its gateway, and no packet for `to` is sent. */
    async function noGateway(from: Attachment, to: Attachment): Promise<string> {
        await lab!.vm(from.host).ok(shellJoin(["ip", "-n", from.netns, "neigh", "flush", "all"]));
        const mark = lab!.trunk.mark();
        const r = await ping(from, to, 2, 1);
        assert.notStrictEqual(r.status, 0, `${from.host}/${from.container} reached ${to.ip} without the router:\n${r.stdout}`);
        const seen = framesSince(mark);
        const gateway = from.network.gateway;
        const asked = framesFor(seen, gateway);
        assert.ok(asked.length >= 1, `no ARP request for the gateway ${gateway} on the trunk: the probe proved nothing`);
        assert.ok(
            asked.every((f) => f.arp?.op === 1 && f.arp.senderIp === from.ip && f.vid === from.vlan),
            `a frame for ${gateway} that is not ${from.container}'s ARP request tagged ${from.vlan}: ${describeCounts(asked)}`,
        );
        assert.deepStrictEqual(framesFrom(seen, gateway), [], `something answered for ${gateway}`);
        assert.deepStrictEqual(framesFor(seen, to.ip), [], `a frame for ${to.ip} without the router`);
        return `${from.host}/${from.container} ${from.ip} -> ${to.ip}: unreachable; ${asked.length} ARP request(s) for the gateway ${gateway} tagged ${from.vlan}, unanswered`;
    }

    async function ipForward(): Promise<string> {
        return (await lab!.vm(routerHost).ok("cat /proc/sys/net/ipv4/ip_forward")).trim();
    }

    it("the routed stack's host networking on both VMs: VLANs 10, 20 and 30 are 802.1Q devices on ens33", async function () {
        assert.ok(lab);
        await Promise.all(
            spec.hosts.map(async (h) => {
                for (const step of hostSteps(h, spec.vlans)) succeeded(await lab!.runScript(h.name, step.scripts.create, step.stdin), `${h.name}: ${step.what} create`);
                const table = (await lab!.vm(h.name).ok("cat /proc/net/vlan/config")).split("\n").slice(2).filter((l) => l.trim() !== "");
                assert.deepStrictEqual(
                    table.map((l) => l.split("|").map((x) => x.trim())).sort(),
                    spec.vlans.map((v) => [v.interfaceName, String(v.id), v.parent]).sort(),
                );
            }),
        );
    });

    it(`the containers of ${containerHosts.join(", ")} (macvlan on its VLAN devices, default route via their gateway); without the router VLAN 10 cannot reach VLAN 20: nothing answers for the gateway`, async function () {
        assert.ok(lab);
        for (const h of spec.hosts) beforeCase.set(h.name, await lab.snapshot(h.name));
        for (const h of containerHosts) {
            const vm = lab.vm(h);
            macvlanWasLoaded.set(h, (await vm.run("grep -q '^macvlan ' /proc/modules")).status === 0);
            const lines = ["set -eu"];
            containers
                .filter((a) => a.host === h)
                .forEach((a, i) => {
                    lines.push(...containerCommands(a, `mvlc${i}`, a.network.driver, a.network.mode));
                    lines.push(shellJoin(["ip", "-n", a.netns, "route", "add", "default", "via", a.network.gateway, "dev", "eth0"]));
                });
            await vm.ok(lines.join("\n"));
            for (const a of containers.filter((x) => x.host === h)) {
                a.mac = (JSON.parse(await vm.ok(shellJoin(["ip", "-n", a.netns, "-j", "link", "show", "dev", "eth0"]))) as Array<{ address: string }>)[0].address;
            }
        }
        console.log(`      containers: ${containers.map((a) => `${a.host}/${a.container} ${a.ip} (${a.network.driver} ${a.network.mode} on ${a.parent}, ${a.mac}, via ${a.network.gateway})`).join("; ")}`);
        console.log(`      ${await noGateway(bbox10, bbox20)}`);
        console.log(`      ${await noGateway(bbox20, bbox10)}`);
    });

    it("the router's legs alone (rendered leg scripts): each gateway is answered by its leg, but forwarding is off, so VLAN 10's packets reach the router and go no further", async function () {
        assert.ok(lab);
        const results: GuestResult[] = [];
        for (const step of steps.slice(0, -1)) results.push(succeeded(await lab.runScript(routerHost, step.scripts.create), `${routerHost}: ${step.what} create`));
        routed.forEach((n, k) => {
            const parent = n.parents[routerHost];
            const leg = router.legs[n.name];
            assert.ok(changes(results[k]).includes(`changed: created ${leg} (ip link add link ${parent} name ${leg} type ${n.driver} mode ${n.mode})`), results[k].stdout);
            assert.match(lastLine(results[k]), /^done: /, results[k].stdout);
        });
        for (const n of routed) {
            const shown: string = await lab.vm(routerHost).ok(shellJoin(["ip", "-d", "-j", "link", "show", "dev", router.legs[n.name]]));
            const j: { address: string; link?: string; linkinfo?: { info_kind?: string; info_data?: { mode?: string } } } = (JSON.parse(shown) as Array<{ address: string; link?: string; linkinfo?: { info_kind?: string; info_data?: { mode?: string } } }>)[0];
            assert.strictEqual(j.linkinfo?.info_kind, n.driver);
            assert.strictEqual(String(j.linkinfo?.info_data?.mode).toLowerCase(), n.mode);
            assert.strictEqual(j.link, n.parents[routerHost]);
            legMac.set(n.name, j.address);
        }
        assert.strictEqual(await ipForward(), "0");
        console.log(`      legs: ${routed.map((n) => `${router.legs[n.name]}@${n.parents[routerHost]} ${n.gateway} ${legMac.get(n.name)}`).join(", ")}; ip_forward 0`);
        console.log(`      ${await stopsAtRouter(bbox10, bbox20, false)}`);
    });

    it("with the forwarding (rendered router script): the allowed pair reaches each other both ways across hosts, each packet tagged with the sender's VLAN id before the hop and the receiver's after it", async function () {
        assert.ok(lab);
        const r = succeeded(await lab.runScript(routerHost, steps[steps.length - 1].scripts.create), `${routerHost}: router forwarding create`);
        const allowed = router.allow.length * 2;
        assert.deepStrictEqual(changes(r), [
            `changed: iptables chain ${ROUTER_CHAIN}`,
            `changed: the forwarding policy in ${ROUTER_CHAIN}: ${allowed} allowed direction(s), ${routed.length * (routed.length - 1) - allowed} refused`,
            `changed: FORWARD jumps to ${ROUTER_CHAIN} first`,
            "changed: IPv4 forwarding is on (net.ipv4.ip_forward=1)",
        ]);
        assert.strictEqual(await ipForward(), "1");
        // the kernel holds exactly the declared policy, and FORWARD jumps to it first
        const chain = (await lab.vm(routerHost).ok(shellJoin(["iptables", "-w", "-S", ROUTER_CHAIN]))).trim().split("\n");
        assert.deepStrictEqual(chain, [`-N ${ROUTER_CHAIN}`, ...routerRules(routed, router.allow).map((x) => `-A ${ROUTER_CHAIN} ${x}`)]);
        const forward = (await lab.vm(routerHost).ok("iptables -w -S FORWARD")).trim().split("\n");
        assert.deepStrictEqual(forward, ["-P FORWARD ACCEPT", `-A FORWARD -j ${ROUTER_CHAIN}`]);
        console.log(`      ${await reaches(bbox10, bbox20)}`);
        console.log(`      ${await reaches(bbox20, bbox10)}`);
    });

    it("the pairs the policy does not list are refused: VLAN 30 and VLANs 10/20 do not reach each other; the DROP rules count each packet, nothing reaches the other VLAN or comes back", async function () {
        assert.ok(lab);
        console.log(`      ${await stopsAtRouter(bbox10, bbox30, true)}`);
        console.log(`      ${await stopsAtRouter(bbox30, bbox10, true)}`);
        console.log(`      ${await stopsAtRouter(bbox20, bbox30, true)}`);
    });

    it("with FORWARD's policy DROP (as dockerd sets it), the allowed pair still talks through the chain's ACCEPT rules", async function () {
        assert.ok(lab);
        const vm = lab.vm(routerHost);
        await vm.ok("iptables -w -P FORWARD DROP");
        try {
            console.log(`      FORWARD policy DROP: ${await reaches(bbox10, bbox20)}`);
        } finally {
            await vm.ok("iptables -w -P FORWARD ACCEPT");
        }
    });

    it("a second create changes nothing (every script says `nothing changed`, the VM does not move); check passes, and reports a drift made by hand, which create repairs", async function () {
        assert.ok(lab);
        const before = await lab.snapshot(routerHost);
        for (const r of await runRouter("create")) {
            assert.deepStrictEqual(changes(r), [], r.stdout);
            assert.match(lastLine(r), /^nothing changed: /, r.stdout);
        }
        assert.deepStrictEqual(await lab.snapshot(routerHost), before, `${routerHost} changed on the second create`);
        for (const r of await runRouter("check")) {
            succeeded(r, `${routerHost}: check`);
            assert.match(lastLine(r), /^ok: /, r.stdout);
        }
        // a drift: forwarding turned off and FORWARD's jump removed by hand
        await lab.vm(routerHost).ok(`echo 0 >/proc/sys/net/ipv4/ip_forward; iptables -w -D FORWARD -j ${ROUTER_CHAIN}`);
        const forwarding = steps[steps.length - 1].scripts;
        const drift = await lab.runScript(routerHost, forwarding.check);
        assert.strictEqual(drift.status, 1, drift.stdout + drift.stderr);
        assert.deepStrictEqual(
            drift.stdout.split("\n").filter((l) => l.startsWith("DRIFT: ")),
            [`DRIFT: IPv4 forwarding is off on ${routerHost}`, `DRIFT: FORWARD does not jump to ${ROUTER_CHAIN}`],
        );
        const repair = succeeded(await lab.runScript(routerHost, forwarding.create), `${routerHost}: router forwarding create (repair)`);
        assert.deepStrictEqual(changes(repair), [`changed: FORWARD jumps to ${ROUTER_CHAIN} first`, "changed: IPv4 forwarding is on (net.ipv4.ip_forward=1)"]);
        assert.deepStrictEqual(await lab.snapshot(routerHost), before, `${routerHost} is not as before the drift after the repair`);
        console.log(`      second create: nothing changed; check ok; drift (ip_forward 0, no jump) reported by check (exit 1) and repaired by create`);
    });

    it("delete (forwarding, then the legs): forwarding back off, FORWARD's jump, the chain and the legs gone, the VM as before the router but for the modules it loaded; VLAN 10 no longer reaches VLAN 20; a second delete changes nothing", async function () {
        assert.ok(lab);
        const results = await runRouter("delete");
        const forwarding = results[0];
        assert.deepStrictEqual(changes(forwarding), [
            `changed: FORWARD no longer jumps to ${ROUTER_CHAIN}`,
            `changed: removed the iptables chain ${ROUTER_CHAIN}`,
            "changed: IPv4 forwarding is back to 0 (as before create)",
        ]);
        for (const r of results) assert.match(lastLine(r), /^done: /, r.stdout);
        const expected: VmSnapshot = { ...withModules(beforeCase.get(routerHost)!, ROUTER_LEFT_LOADED), iptables: FILTER_TABLE_EMPTY };
        assert.deepStrictEqual(await lab.snapshot(routerHost), expected, `${routerHost} is not as before the router`);
        console.log(`      ${await noGateway(bbox10, bbox20)}`);
        const again = await runRouter("delete");
        for (const r of again) assert.match(lastLine(r), /^nothing changed: /, r.stdout);
        assert.deepStrictEqual(await lab.snapshot(routerHost), expected, `${routerHost} changed on the second delete`);
        console.log(`      delete: ip_forward 0, no chain, no legs; left loaded: ${ROUTER_LEFT_LOADED.join(" ")} (the filter table empty, policies ACCEPT); second delete: nothing changed`);
    });

    it("teardown: the containers go, and the host networking's delete returns both VMs to their start", async function () {
        assert.ok(lab);
        for (const h of containerHosts) {
            const lines = ["set +e", ...containers.filter((a) => a.host === h).flatMap(containerRemoval), "ip neigh flush all 2>/dev/null", "exit 0"];
            await lab.vm(h).ok(lines.join("\n"));
            if (macvlanWasLoaded.get(h) === false) await lab.vm(h).ok("modprobe -r macvlan");
            assert.deepStrictEqual(await lab.snapshot(h), beforeCase.get(h), `${h} is not as before the containers`);
        }
        await Promise.all(
            spec.hosts.map(async (h) => {
                for (const step of [...hostSteps(h, spec.vlans)].reverse()) succeeded(await lab!.runScript(h.name, step.scripts.delete), `${h.name}: ${step.what} delete`);
            }),
        );
        for (const h of spec.hosts) {
            let expected = withModules(start.get(h.name)!, LEFT_LOADED_AFTER_DELETE);
            if (h.name === routerHost) expected = { ...withModules(expected, ROUTER_LEFT_LOADED), iptables: FILTER_TABLE_EMPTY };
            assert.deepStrictEqual(await lab.snapshot(h.name), expected, `${h.name} is not as at its start`);
        }
    });
});

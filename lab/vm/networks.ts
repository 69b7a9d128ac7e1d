/**
 * Network cases of the qemu lab: what a Docker network of the stack puts on the VLAN devices the
 * host scripts made, built in the VMs the way Docker's drivers build it (one network namespace per
 * container, the driver's link on the network's parent moved into it, the container's static
 * address), then probed for real: cross-host pings per network, the stack's isolation pairs, and
 * the frames on the trunk, counted per VLAN id. Each case removes what it made (links, namespaces,
 * routes, the module it caused to be loaded) and the VMs must then be as before it.
 *
 * A case is data in NETWORK_CASES; a new kind is a new entry. Every case also probes the product's
 * host shim (HostShim's rendered scripts, components/host/routing.ts) of the case's driver and mode:
 * without it a host cannot reach its own containers even with a route to them on the parent (the
 * tutorial's open problem, observed on the real kernel); with it, it can; its delete leaves the VM
 * as before. (The inter-VLAN router of the routed stack is proved in its own VMs, with the image's
 * legacy iptables: test/vm/router.test.ts, which builds its containers with containerCommands.)
 */
import * as assert from "assert";
import * as fs from "fs";
import { shellJoin } from "../../components/shell";
import { renderHostShim } from "../../components/host/routing";
import { HostScripts } from "../../components/host/render";
import { LabSpec, NetworkSpec } from "../../components/model/types";
import { VmLab } from "./harness";
import { countByVlan, echoes, Frame, framesFor, framesFrom, framesOf, readPcap } from "./pcap";

export interface NetworkCase {
    /** The test's title. */
    title: string;
    /** The driver's link: `ip link add ... type <type> mode <mode>`. */
    type: "macvlan" | "ipvlan";
    mode: string;
    /**
     * How containers on different hosts reach each other: `l2` (one segment per VLAN: ARP and frames
     * between the containers' own addresses) or `routed` (ipvlan l3: the hosts route each remote
     * container's address via that host's VLAN address, as Docker's ipvlan l3 needs; the
     * containers' default route is their link).
     */
    reach: "l2" | "routed";
}

export const NETWORK_CASES: readonly NetworkCase[] = [
    {
        title: "macvlan (bridge) on the VLAN devices: containers reach their peers per VLAN, tagged; VLAN 10 cannot reach VLAN 20, and a container's frames never leave its VLAN id",
        type: "macvlan",
        mode: "bridge",
        reach: "l2",
    },
    {
        title: "ipvlan l2 on the VLAN devices: the same per-VLAN reachability, tags and isolation",
        type: "ipvlan",
        mode: "l2",
        reach: "l2",
    },
    {
        title: "ipvlan l3 on the VLAN devices: containers reach their peers through host routes over their VLAN, tagged; VLAN 10 cannot reach VLAN 20 even with a host route to it",
        type: "ipvlan",
        mode: "l3",
        reach: "routed",
    },
];

/** One container of the stack as a namespace in its host's VM. */
export interface Attachment {
    container: string;
    host: string;
    network: NetworkSpec;
    ip: string;
    prefix: number;
    parent: string;
    vlan: number;
    netns: string;
    /** The link's MAC address, read after setup (ipvlan: the parent's). */
    mac?: string;
}

const NAME = /^[a-zA-Z0-9_.-]{1,40}$/;

/** The containers of `spec` with a static address on a VLAN network. Pure. */
export function attachmentsOf(spec: LabSpec): Attachment[] {
    const out: Attachment[] = [];
    spec.containers.forEach((c, i) => {
        const network = spec.networks.find((n) => n.name === c.network);
        if (!network || network.vlan === undefined || c.ip === undefined) return;
        if (!NAME.test(c.name)) throw new Error(`container name ${JSON.stringify(c.name)} cannot name a namespace`);
        out.push({
            container: c.name,
            host: c.host,
            network,
            ip: c.ip,
            prefix: Number(network.subnet.split("/")[1]),
            parent: network.parents[c.host],
            vlan: network.vlan,
            netns: `c${i}-${c.name}`.slice(0, 40),
        });
    });
    return out;
}

/**
 * The commands that make `a`'s container in its host as Docker's driver does: a network namespace,
 * a `type` link of mode `mode` on the network's parent (made as `tmp`, moved in, renamed eth0), the
 * container's address, lo and eth0 up. Routes are the caller's. Pure.
 */
export function containerCommands(a: Attachment, tmp: string, type: "macvlan" | "ipvlan", mode: string): string[] {
    return [
        shellJoin(["ip", "netns", "add", a.netns]),
        shellJoin(["ip", "link", "add", tmp, "link", a.parent, "type", type, "mode", mode]),
        shellJoin(["ip", "link", "set", tmp, "netns", a.netns]),
        shellJoin(["ip", "-n", a.netns, "link", "set", tmp, "name", "eth0"]),
        shellJoin(["ip", "-n", a.netns, "addr", "add", `${a.ip}/${a.prefix}`, "dev", "eth0"]),
        shellJoin(["ip", "-n", a.netns, "link", "set", "lo", "up"]),
        shellJoin(["ip", "-n", a.netns, "link", "set", "eth0", "up"]),
    ];
}

/** The commands that remove `a`'s container (its link first, then the namespace), errors ignored. Pure. */
export function containerRemoval(a: Attachment): string[] {
    return [`${shellJoin(["ip", "-n", a.netns, "link", "del", "eth0"])} 2>/dev/null`, `${shellJoin(["ip", "netns", "del", a.netns])} 2>/dev/null`];
}

/** The address of `host` on VLAN `vlan` (without the prefix). */
function vlanAddress(spec: LabSpec, host: string, vlan: number): string {
    const v = spec.vlans.find((x) => x.id === vlan);
    const m = v?.members.find((x) => x.host === host);
    if (!m) throw new Error(`${host} has no address on VLAN ${vlan}`);
    return m.address.split("/")[0];
}

/** host routes (ipvlan l3): on `host`, every remote container's /32 via its host's VLAN address. */
function routesOn(spec: LabSpec, all: Attachment[], host: string): Array<{ to: string; via: string; dev: string }> {
    return all
        .filter((a) => a.host !== host)
        .map((a) => ({ to: `${a.ip}/32`, via: vlanAddress(spec, a.host, a.vlan), dev: `${spec.hosts.find((h) => h.name === host)!.nic}.${a.vlan}` }));
}

function framesSince(lab: VmLab, mark: number): Frame[] {
    return readPcap(fs.readFileSync(lab.trunk.pcapFile)).slice(mark);
}

function describeCounts(frames: readonly Frame[]): string {
    return Object.entries(countByVlan(frames))
        .map(([k, n]) => `${k === "untagged" ? "untagged" : `VID ${k}`}: ${n}`)
        .join(", ");
}

/**
 * Builds `c` on the VMs of `lab` for the containers of `spec`, runs its probes (asserting what it
 * observes), and tears it down, asserting each VM is as before. Logs one line per probe.
 */
export async function runNetworkCase(lab: VmLab, spec: LabSpec, c: NetworkCase, log: (line: string) => void): Promise<void> {
    const all = attachmentsOf(spec);
    assert.ok(all.length >= 2, "the stack has no containers with static addresses on VLAN networks");
    const hosts = [...new Set(all.map((a) => a.host))];
    const before = new Map<string, unknown>();
    for (const h of hosts) before.set(h, await lab.snapshot(h));
    const wasLoaded = new Map<string, boolean>();
    const caseMark = lab.trunk.mark();
    let setUp = false;
    try {
        // setup: one script per host
        await Promise.all(
            hosts.map(async (h) => {
                const vm = lab.vm(h);
                wasLoaded.set(h, (await vm.run(`grep -q '^${c.type} ' /proc/modules`)).status === 0);
                const lines = ["set -eu"];
                all.filter((a) => a.host === h).forEach((a, i) => {
                    lines.push(...containerCommands(a, `mvlc${i}`, c.type, c.mode));
                    if (c.reach === "routed") lines.push(shellJoin(["ip", "-n", a.netns, "route", "add", "default", "dev", "eth0"]));
                });
                if (c.reach === "routed") {
                    for (const r of routesOn(spec, all, h)) lines.push(shellJoin(["ip", "route", "add", r.to, "via", r.via, "dev", r.dev]));
                }
                await vm.ok(lines.join("\n"));
                for (const a of all.filter((x) => x.host === h)) {
                    const j = JSON.parse(await vm.ok(shellJoin(["ip", "-n", a.netns, "-d", "-j", "link", "show", "dev", "eth0"]))) as Array<{
                        address: string;
                        linkinfo?: { info_kind?: string; info_data?: { mode?: string } };
                    }>;
                    assert.strictEqual(j[0].linkinfo?.info_kind, c.type, JSON.stringify(j[0]));
                    assert.strictEqual(String(j[0].linkinfo?.info_data?.mode).toLowerCase(), c.mode);
                    a.mac = j[0].address;
                }
            }),
        );
        setUp = true;

        // connectivity: every container pings its network's containers on the other hosts
        for (const a of all) {
            for (const b of all.filter((x) => x.network.name === a.network.name && x.host !== a.host)) {
                const mark = lab.trunk.mark();
                await lab.vm(a.host).ok(shellJoin(["ip", "netns", "exec", a.netns, "ping", "-c", "3", "-W", "10", b.ip]), 120);
                const seen = framesSince(lab, mark);
                const req = echoes(seen, a.ip, b.ip, "request");
                const rep = echoes(seen, b.ip, a.ip, "reply");
                assert.ok(req.length >= 3 && rep.length >= 3, `${a.host}/${a.container} -> ${b.host}/${b.container}: ${req.length} requests, ${rep.length} replies on the trunk`);
                const carrying = [...new Set([...framesOf(seen, a.ip), ...framesOf(seen, b.ip)])];
                assert.deepStrictEqual(countByVlan(carrying), { [String(a.vlan)]: carrying.length }, `frames of ${a.ip}/${b.ip} outside VLAN ${a.vlan}: ${describeCounts(carrying)}`);
                if (c.type === "macvlan") {
                    // a macvlan has its own MAC: the frames it sends carry it as the source
                    assert.ok(seen.some((f) => f.src === a.mac && f.vid === a.vlan), `no frame from ${a.mac} tagged ${a.vlan}`);
                } else {
                    // ipvlan shares the parent's MAC: frames from the container carry the VM NIC's
                    assert.ok(req.every((f) => f.src === lab.vmMac(a.host)), `ipvlan request not from the parent's MAC ${lab.vmMac(a.host)}`);
                }
                log(`${c.type} ${c.mode}: ${a.host}/${a.container} ${a.ip} -> ${b.host}/${b.container} ${b.ip}: ${req.length} requests, ${rep.length} replies; ${describeCounts(carrying)}`);
            }
        }

        await probeShims(lab, spec, c, all, log);

        // isolation pairs of the stack (different networks, so different VLANs)
        for (const pair of spec.checks.isolation) {
            const from = all.find((a) => `${a.host}/${a.container}` === pair.from);
            const to = all.find((a) => `${a.host}/${a.container}` === pair.to);
            if (!from || !to || from.vlan === to.vlan) continue;
            const vm = lab.vm(from.host);
            const mark = lab.trunk.mark();
            // l2: an on-link route makes the container itself ARP for the other VLAN's address on its
            // own segment. l3: the container's default route is enough, and the sending host has a
            // route to that address over the other VLAN (routesOn); ipvlan routes a container's
            // packets with the parent as the output device (ipvlan_process_v4_outbound sets
            // flowi4_oif to it), so they still leave on the container's own VLAN.
            if (c.reach === "l2") await vm.ok(shellJoin(["ip", "-n", from.netns, "route", "add", `${to.ip}/32`, "dev", "eth0"]));
            const r = await vm.run(shellJoin(["ip", "netns", "exec", from.netns, "ping", "-c", "2", "-W", "1", to.ip]), 120);
            if (c.reach === "l2") await vm.ok(shellJoin(["ip", "-n", from.netns, "route", "del", `${to.ip}/32`, "dev", "eth0"]));
            assert.notStrictEqual(r.status, 0, `${pair.from} reached ${pair.to} (${to.ip}) across VLANs:\n${r.stdout}`);
            const seen = framesSince(lab, mark);
            // the probe's frames: those asking for the target (its own chatter on its VLAN, say
            // a neighbour check left from an earlier probe, is not the probe's); and no answer to
            // the sender from the target, by ARP or IPv4
            const asked = framesFor(seen, to.ip);
            const sender0 = c.reach === "l2" ? from.ip : vlanAddress(spec, from.host, from.vlan);
            const answered = framesFrom(seen, to.ip).filter((f) => f.arp?.targetIp === sender0 || f.ipv4?.dst === sender0 || f.ipv4?.dst === from.ip);
            assert.deepStrictEqual(answered, [], `${to.ip} answered ${sender0} across VLANs`);
            assert.ok(asked.length >= 1, `no frame for ${to.ip} on the trunk: the probe proved nothing`);
            assert.deepStrictEqual(countByVlan(asked), { [String(from.vlan)]: asked.length }, `frames for ${to.ip}: ${describeCounts(asked)}`);
            const sender = c.reach === "l2" ? from.ip : vlanAddress(spec, from.host, from.vlan);
            assert.ok(
                asked.every((f) => f.arp?.op === 1 && f.arp.senderIp === sender),
                `a frame for ${to.ip} that is not an ARP request from ${sender}: ${JSON.stringify(asked.find((f) => !(f.arp?.op === 1 && f.arp.senderIp === sender)))}`,
            );
            assert.deepStrictEqual(echoes(seen, to.ip, from.ip, "reply"), [], "a reply came back");
            log(`${c.type} ${c.mode}: ${pair.from} -> ${pair.to} ${to.ip}: unreachable; ${asked.length} ARP request(s) from ${sender}, all tagged ${from.vlan}, none on VLAN ${to.vlan} or untagged`);
        }

        // over the whole case: no frame a container sent (by its MAC for macvlan, by its address
        // for ipvlan, whose MAC is the parent's) outside its VLAN id, and none untagged
        const whole = framesSince(lab, caseMark);
        for (const a of all) {
            const sent = c.type === "macvlan" ? whole.filter((f) => f.src === a.mac) : framesFrom(whole, a.ip);
            assert.ok(sent.length > 0, `no frames from ${a.host}/${a.container}`);
            assert.deepStrictEqual(countByVlan(sent), { [String(a.vlan)]: sent.length }, `${a.host}/${a.container}: ${describeCounts(sent)}`);
        }
        log(`${c.type} ${c.mode}: trunk during the case: ${describeCounts(whole)}; every container's own frames under its VLAN id only`);
    } finally {
        // teardown: links first (synchronous), then the namespaces, the routes, the module
        await Promise.all(
            hosts.map(async (h) => {
                const lines = ["set +e"];
                for (const a of all.filter((x) => x.host === h)) lines.push(...containerRemoval(a));
                if (c.reach === "routed") {
                    for (const r of routesOn(spec, all, h)) lines.push(`${shellJoin(["ip", "route", "del", r.to, "via", r.via, "dev", r.dev])} 2>/dev/null`);
                }
                lines.push("ip neigh flush all 2>/dev/null", "exit 0");
                await lab.vm(h).ok(lines.join("\n"));
                if (wasLoaded.get(h) === false) await lab.vm(h).ok(shellJoin(["modprobe", "-r", c.type]));
            }),
        );
    }
    if (setUp) {
        for (const h of hosts) assert.deepStrictEqual(await lab.snapshot(h), before.get(h), `${h} is not as before the ${c.type} ${c.mode} case`);
    }
}

/**
 * The shim's address on `network` for `host`: the last usable address of the subnet minus the
 * host's position (no container of the stacks has one that high). Pure.
 */
function shimAddress(spec: LabSpec, network: NetworkSpec, host: string): string {
    const [base, len] = network.subnet.split("/");
    const last = base.split(".").map(Number).reduce((a, b) => a * 256 + b, 0) + 2 ** (32 - Number(len)) - 2;
    const v = last - spec.hosts.findIndex((h) => h.name === host);
    return [24, 16, 8, 0].map((sh) => (v >>> sh) & 255).join(".");
}

/**
 * The host shim of case `c` on every host, per network it has containers on: first the control (a
 * route to its own container through the parent: no answer), then HostShim's create (the case's
 * driver and mode, routes to the host's own containers), the host pings each of its containers,
 * check passes, a second create changes nothing, delete removes it.
 */
async function probeShims(lab: VmLab, spec: LabSpec, c: NetworkCase, all: Attachment[], log: (line: string) => void): Promise<void> {
    for (const h of [...new Set(all.map((a) => a.host))]) {
        const host = spec.hosts.find((x) => x.name === h)!;
        const vm = lab.vm(h);
        const mine = all.filter((a) => a.host === h);
        const networks = [...new Map(mine.map((a) => [a.network.name, a.network])).values()];
        const made: HostScripts[] = [];
        try {
            for (const [k, n] of networks.entries()) {
                const own = mine.filter((a) => a.network.name === n.name);
                const parent = own[0].parent;
                // the control: the parent never hands the host's packets to its own sub-interfaces
                const control = await vm.run(
                    [
                        shellJoin(["ip", "route", "add", `${own[0].ip}/32`, "dev", parent]),
                        `${shellJoin(["ping", "-c", "2", "-W", "1", own[0].ip])}; rc=$?`,
                        shellJoin(["ip", "route", "del", `${own[0].ip}/32`, "dev", parent]),
                        "exit $rc",
                    ].join("\n"),
                    120,
                );
                assert.notStrictEqual(control.status, 0, `${h} reached its own ${own[0].container} ${own[0].ip} through ${parent} without a shim:\n${control.stdout}`);
                const network = { ...n, driver: c.type, mode: c.mode } as NetworkSpec;
                const shim = renderHostShim(host, { network, address: shimAddress(spec, n, h), name: `mac${k}`, routes: own.map((a) => `${a.ip}/32`) });
                const r = await lab.runScript(h, shim.create);
                assert.strictEqual(r.status, 0, `${h}: shim create on ${n.name} (${c.type} ${c.mode}) failed:\n${r.stdout}${r.stderr}`);
                made.push(shim);
                assert.match(r.stdout, new RegExp(`changed: created mac${k} \\(ip link add link ${parent.replace(".", "\\.")} name mac${k} type ${c.type} mode ${c.mode}\\)`));
                for (const a of own) {
                    await vm.ok(shellJoin(["ping", "-c", "2", "-W", "5", a.ip]), 120);
                    log(`${c.type} ${c.mode}: ${h} reaches its own ${a.container} ${a.ip} through its shim mac${k}@${parent} ${shimAddress(spec, n, h)} (not without it)`);
                }
                const again = await lab.runScript(h, shim.create);
                assert.match(again.stdout.trimEnd().split("\n").slice(-1)[0] ?? "", /^nothing changed: /, again.stdout);
                const check = await lab.runScript(h, shim.check);
                assert.match(check.stdout.trimEnd().split("\n").slice(-1)[0] ?? "", /^ok: /, check.stdout);
            }
        } finally {
            for (const shim of made.reverse()) {
                const d = await lab.runScript(h, shim.delete);
                assert.strictEqual(d.status, 0, `${h}: shim delete failed:\n${d.stdout}${d.stderr}`);
            }
        }
        const left = await vm.ok("ls /var/lib/macvlan-lab/host 2>/dev/null | grep -E '^(link|arp)-' || true");
        assert.strictEqual(left.trim(), "", `${h}: state of the shims left after delete`);
    }
}

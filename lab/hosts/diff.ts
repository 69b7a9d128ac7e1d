/**
 * What moving a running lab from one topology to another takes (pure): which hosts are added,
 * removed, made again or kept, which VLAN segments (bridges in the switch) and which VLAN links of
 * kept hosts come and go, which removals must happen before the additions, the topology in
 * between, and the changes the lab cannot make in place. `reconcile.ts` does the I/O.
 *
 * Identities: a host is its name (its definition is address, prefix, NIC and SSH port: a host
 * whose definition changed is removed and added again); a VLAN segment is its id; a VLAN link is
 * (host, VLAN id, interface name, parent). Nothing depends on the order of the lists.
 */
import { LabHostSpec, LabTopology, LabVlanSpec, controllerAddressOf, networkOf, validateTopology } from "./topology";

/** One VLAN link of one host: `interfaceName` on `host`, a member of VLAN `vlan` on `parent`. */
export interface VlanLink {
    host: string;
    vlan: number;
    interfaceName: string;
    parent: string;
}

/** A host whose own definition changed: it is removed and added again. */
export interface HostChange {
    name: string;
    /** What changed, for people: `address 192.168.1.13 -> 192.168.1.14`. */
    changes: string[];
}

export interface TopologyDiff {
    /**
     * Why the lab cannot be moved in place (the management subnet or the controller's address
     * changes): the caller tears it down and builds it again. Undefined when it can; the other
     * fields are then what to do (and are empty when it cannot).
     */
    rebuild?: string;
    /** Hosts of both topologies with the same definition: not touched (their links may change). */
    keepHosts: string[];
    /** Hosts made (new ones and those in `replaceHosts`), in the order of the new topology. */
    addHosts: string[];
    /** Hosts removed (gone ones and those in `replaceHosts`), in the order of the old topology. */
    removeHosts: string[];
    /** Hosts whose definition changed: in `removeHosts` and in `addHosts`. */
    replaceHosts: HostChange[];
    /** VLAN segments (ids) made: VLANs of the new topology only. */
    addSegments: number[];
    /** VLAN segments (ids) removed: VLANs of the old topology only. */
    removeSegments: number[];
    /** VLAN links made on kept hosts (a host joins a VLAN, or a VLAN's interface name changed). */
    addLinks: VlanLink[];
    /** VLAN links removed from kept hosts. */
    removeLinks: VlanLink[];
    /**
     * The removals that the additions need out of the way, so they come first even when the
     * others wait (`reconcileHosts(..., { deferRemovals: true })`): hosts made again, a gone host
     * whose address an added host takes or that is a member of a VLAN whose link name or parent
     * changed, a link whose VLAN or name an added link of the same host takes or whose VLAN
     * changed, a segment nobody is left on. Everything when the topology in between would not
     * be valid.
     */
    removeFirst: { hosts: string[]; links: VlanLink[]; segments: number[] };
    /** The lab's topology once the additions and `removeFirst` are done (the others wait). */
    interim: LabTopology;
}

const hostKeys = ["address", "prefixLength", "nic", "sshPort"] as const;

function hostChanges(a: LabHostSpec, b: LabHostSpec): string[] {
    return hostKeys.filter((k) => a[k] !== b[k]).map((k) => `${k === "sshPort" ? "ssh port" : k === "prefixLength" ? "prefix length" : k} ${a[k]} -> ${b[k]}`);
}

function linksOf(t: LabTopology, hosts: ReadonlySet<string>): VlanLink[] {
    return t.vlans.flatMap((v) => v.hosts.filter((h) => hosts.has(h)).map((h) => ({ host: h, vlan: v.id, interfaceName: v.interfaceName, parent: v.parent })));
}

function linkKey(l: VlanLink): string {
    return `${l.host}\0${l.vlan}\0${l.interfaceName}\0${l.parent}`;
}

/** Whether VLAN `id` is defined differently (interface name or parent) in `a` and `b` (false when absent in either). */
function vlanRedefined(a: LabTopology, b: LabTopology, id: number): boolean {
    const x = a.vlans.find((v) => v.id === id);
    const y = b.vlans.find((v) => v.id === id);
    return x !== undefined && y !== undefined && (x.interfaceName !== y.interfaceName || x.parent !== y.parent);
}

function emptyDiff(to: LabTopology, rebuild?: string): TopologyDiff {
    return {
        rebuild,
        keepHosts: [],
        addHosts: [],
        removeHosts: [],
        replaceHosts: [],
        addSegments: [],
        removeSegments: [],
        addLinks: [],
        removeLinks: [],
        removeFirst: { hosts: [], links: [], segments: [] },
        interim: clone(to),
    };
}

function clone(t: LabTopology): LabTopology {
    return JSON.parse(JSON.stringify(t)) as LabTopology;
}

/**
 * What moving a running lab of topology `from` to topology `to` takes. Both are expected valid
 * (validateTopology). Pure.
 */
export function diffTopologies(from: LabTopology, to: LabTopology): TopologyDiff {
    if (from.name !== to.name) return emptyDiff(to, `the lab's name changes (${from.name} -> ${to.name})`);
    const mgmtFrom = networkOf(from.hosts[0].address, from.hosts[0].prefixLength);
    const mgmtTo = networkOf(to.hosts[0].address, to.hosts[0].prefixLength);
    if (mgmtFrom !== mgmtTo) {
        return emptyDiff(to, `the management subnet changes (${mgmtFrom} -> ${mgmtTo}): every host's address and the controller's are on it`);
    }
    const ctlFrom = controllerAddressOf(from);
    const ctlTo = controllerAddressOf(to);
    if (ctlFrom !== ctlTo) {
        return emptyDiff(to, `the controller's address changes (${ctlFrom} -> ${ctlTo}${to.controllerAddress === undefined ? ": the highest free address of the subnet is now another" : ""})`);
    }

    const oldHosts = new Map(from.hosts.map((h) => [h.name, h]));
    const newHosts = new Map(to.hosts.map((h) => [h.name, h]));
    const replaceHosts: HostChange[] = [];
    const keep = new Set<string>();
    for (const h of to.hosts) {
        const o = oldHosts.get(h.name);
        if (o === undefined) continue;
        const changes = hostChanges(o, h);
        if (changes.length === 0) keep.add(h.name);
        else replaceHosts.push({ name: h.name, changes });
    }
    const keepHosts = to.hosts.map((h) => h.name).filter((n) => keep.has(n));
    const addHosts = to.hosts.map((h) => h.name).filter((n) => !keep.has(n));
    const removeHosts = from.hosts.map((h) => h.name).filter((n) => !keep.has(n));
    const gone = removeHosts.filter((n) => !newHosts.has(n));

    const oldIds = new Set(from.vlans.map((v) => v.id));
    const newIds = new Set(to.vlans.map((v) => v.id));
    const addSegments = to.vlans.map((v) => v.id).filter((id) => !oldIds.has(id));
    const removeSegments = from.vlans.map((v) => v.id).filter((id) => !newIds.has(id));

    const oldLinks = linksOf(from, keep);
    const newLinks = linksOf(to, keep);
    const oldKeys = new Set(oldLinks.map(linkKey));
    const newKeys = new Set(newLinks.map(linkKey));
    const addLinks = newLinks.filter((l) => !oldKeys.has(linkKey(l)));
    const removeLinks = oldLinks.filter((l) => !newKeys.has(linkKey(l)));

    // what the additions need out of the way
    const addedAddresses = new Set(addHosts.map((n) => (newHosts.get(n) as LabHostSpec).address));
    const firstHosts = new Set(replaceHosts.map((c) => c.name));
    for (const n of gone) {
        const o = oldHosts.get(n) as LabHostSpec;
        const redefinedMember = from.vlans.some((v) => v.hosts.includes(n) && vlanRedefined(from, to, v.id));
        if (addedAddresses.has(o.address) || redefinedMember) firstHosts.add(n);
    }
    const firstLinks = removeLinks.filter(
        (r) =>
            vlanRedefined(from, to, r.vlan) ||
            addLinks.some((a) => a.host === r.host && (a.vlan === r.vlan || a.interfaceName === r.interfaceName)),
    );
    const later = {
        hosts: removeHosts.filter((n) => !firstHosts.has(n)),
        links: removeLinks.filter((l) => !firstLinks.includes(l)),
    };
    let interim = interimTopology(from, to, later.hosts, later.links);
    let firstSegments = removeSegments.filter((id) => !interim.vlans.some((v) => v.id === id));
    let removeFirst = { hosts: removeHosts.filter((n) => firstHosts.has(n)), links: firstLinks, segments: firstSegments };
    if (validateTopology(interim).length > 0) {
        // cannot keep the old parts beside the new ones: every removal comes first
        interim = clone(to);
        firstSegments = removeSegments;
        removeFirst = { hosts: removeHosts, links: removeLinks, segments: removeSegments };
    }
    return { keepHosts, addHosts, removeHosts, replaceHosts, addSegments, removeSegments, addLinks, removeLinks, removeFirst, interim };
}

/**
 * `to` plus what waits to be removed: the hosts `laterHosts` (as `from` defines them, with their
 * VLAN memberships) and the links `laterLinks` of kept hosts; VLANs of `from` only while they
 * have a member left.
 */
function interimTopology(from: LabTopology, to: LabTopology, laterHosts: readonly string[], laterLinks: readonly VlanLink[]): LabTopology {
    const out = clone(to);
    out.hosts.push(...from.hosts.filter((h) => laterHosts.includes(h.name)).map((h) => ({ ...h })));
    const extraMembers = (v: LabVlanSpec): string[] => [
        ...laterLinks.filter((l) => l.vlan === v.id).map((l) => l.host),
        ...v.hosts.filter((h) => laterHosts.includes(h)),
    ];
    for (const v of from.vlans) {
        const extra = extraMembers(v);
        if (extra.length === 0) continue;
        const target = out.vlans.find((x) => x.id === v.id);
        if (target === undefined) out.vlans.push({ ...v, hosts: v.hosts.filter((h) => extra.includes(h)) });
        else for (const h of v.hosts) if (extra.includes(h) && !target.hosts.includes(h)) target.hosts.push(h);
    }
    return out;
}

/** Whether the diff changes nothing on the lab (the lists may still be in another order). Pure. */
export function isEmptyDiff(d: TopologyDiff): boolean {
    return (
        d.rebuild === undefined &&
        d.addHosts.length + d.removeHosts.length + d.addSegments.length + d.removeSegments.length + d.addLinks.length + d.removeLinks.length === 0
    );
}

/** Whether removals wait after the additions (`deferRemovals`): the diff has removals beyond `removeFirst`. Pure. */
export function hasLaterRemovals(d: TopologyDiff): boolean {
    return (
        d.removeHosts.length > d.removeFirst.hosts.length ||
        d.removeLinks.length > d.removeFirst.links.length ||
        d.removeSegments.length > d.removeFirst.segments.length
    );
}

/**
 * The diff for people, one line per change, then the hosts that stay as they are. With `later`
 * (removals deferred), the removals beyond `removeFirst` end with `; <later>`. Pure.
 */
export function describeDiff(d: TopologyDiff, to: LabTopology, later?: string): string[] {
    if (d.rebuild !== undefined) return [`the lab cannot be changed in place: ${d.rebuild}`];
    const spec = (n: string) => to.hosts.find((h) => h.name === n);
    const replaced = new Map(d.replaceHosts.map((c) => [c.name, c.changes]));
    const when = (first: boolean) => (later === undefined || first ? "" : `; ${later}`);
    const lines: string[] = [];
    for (const n of d.removeHosts.filter((x) => !replaced.has(x))) {
        lines.push(`- host ${n}: removed (its namespaces, links, sshd, dockerd and containers)${when(d.removeFirst.hosts.includes(n))}`);
    }
    for (const [n, changes] of replaced) {
        lines.push(`~ host ${n}: made again (${changes.join(", ")}): removed with its daemons and containers, then added empty`);
    }
    for (const l of d.removeLinks) lines.push(`- ${l.host}: link ${l.interfaceName} (VLAN ${l.vlan}) removed${when(d.removeFirst.links.includes(l))}`);
    for (const id of d.removeSegments) lines.push(`- VLAN ${id}: segment removed${when(d.removeFirst.segments.includes(id))}`);
    for (const id of d.addSegments) lines.push(`+ VLAN ${id}: segment added`);
    for (const l of d.addLinks) lines.push(`+ ${l.host}: link ${l.interfaceName} (VLAN ${l.vlan}) added`);
    for (const n of d.addHosts.filter((x) => !replaced.has(x))) {
        const h = spec(n) as LabHostSpec;
        const vlans = to.vlans.filter((v) => v.hosts.includes(n)).map((v) => v.interfaceName);
        lines.push(`+ host ${n}: added (${h.nic} ${h.address}/${h.prefixLength}, ssh port ${h.sshPort}${vlans.length > 0 ? `, ${vlans.join(", ")}` : ""})`);
    }
    const untouched = d.keepHosts.filter((n) => !d.addLinks.some((l) => l.host === n) && !d.removeLinks.some((l) => l.host === n));
    const many = (list: string[], one: string, more: string) => (list.length === 1 ? one : more);
    if (untouched.length > 0) lines.push(`= ${untouched.join(", ")}: ${many(untouched, "stays as it is", "stay as they are")} (keeper, sshd, dockerd, containers)`);
    const relinked = d.keepHosts.filter((n) => !untouched.includes(n));
    if (relinked.length > 0) {
        lines.push(`= ${relinked.join(", ")}: ${many(relinked, "keeps its", "keep their")} keeper, sshd, dockerd and containers (only the links above change)`);
    }
    return lines;
}

// ---------------------------------------------------------------------------------------------
// The topology as the lab changes, step by step (what state.json says exists)

/** `t` with host `h` (after the others) and its membership of the VLANs `vlans` (which `t` must have). */
export function withHost(t: LabTopology, h: LabHostSpec, vlans: readonly number[]): LabTopology {
    const out = clone(t);
    out.hosts = out.hosts.filter((x) => x.name !== h.name);
    out.hosts.push({ ...h });
    for (const v of out.vlans) if (vlans.includes(v.id) && !v.hosts.includes(h.name)) v.hosts.push(h.name);
    return out;
}

/** `t` without host `name` and its VLAN memberships (VLANs stay, maybe without members). */
export function withoutHost(t: LabTopology, name: string): LabTopology {
    const out = clone(t);
    out.hosts = out.hosts.filter((x) => x.name !== name);
    for (const v of out.vlans) v.hosts = v.hosts.filter((x) => x !== name);
    return out;
}

/** `t` with VLAN `v` defined as given (its members kept when it exists, none when it is new). */
export function withSegment(t: LabTopology, v: Omit<LabVlanSpec, "hosts">): LabTopology {
    const out = clone(t);
    const at = out.vlans.findIndex((x) => x.id === v.id);
    if (at < 0) out.vlans.push({ id: v.id, parent: v.parent, interfaceName: v.interfaceName, hosts: [] });
    else out.vlans[at] = { ...out.vlans[at], parent: v.parent, interfaceName: v.interfaceName };
    return out;
}

/** `t` without VLAN `id`. */
export function withoutSegment(t: LabTopology, id: number): LabTopology {
    const out = clone(t);
    out.vlans = out.vlans.filter((v) => v.id !== id);
    return out;
}

/** `t` with `host` a member (`member`) or not of VLAN `vlan` (which `t` must have). */
export function withMembership(t: LabTopology, host: string, vlan: number, member: boolean): LabTopology {
    const out = clone(t);
    const v = out.vlans.find((x) => x.id === vlan);
    if (v === undefined) return out;
    v.hosts = v.hosts.filter((x) => x !== host);
    if (member) v.hosts.push(host);
    return out;
}

/**
 * The `networks:` section: each Docker network's driver and mode, subnet and gateway, the hosts it
 * spans and the parent interface on each (the host's NIC or one of its VLANs), reserved addresses,
 * pinned ranges; and what later sections ask of a network: whether it spans a host
 * ({@link spans}), whether a host interface can join it ({@link subInterfaceProblem}).
 */
import { IPv4CidrRange } from "ip-num";
import { IPV4 } from "../../contracts";
import { HostSpec, IPVLAN_MODES, MACVLAN_MODES, NETWORK_DRIVERS, NetworkDriver, NetworkSpec, VlanSpec } from "../types";
import { DOCKER_NAME, HOST_NAME, INTERFACE_NAME, SIMPLE_NAME } from "../names";
import { didYouMean, pathKey, quote } from "../messages";
import { Reader, boundsOf, checkInSubnet, cidrBounds, listing } from "./reader";
import { lookupHost } from "./hosts";
import { ReadVlans, readVlanId } from "./vlans";

const NETWORK_FIELDS = ["name", "driver", "mode", "subnet", "gateway", "parent", "vlan", "hosts", "reserved", "ranges", "replan"] as const;
const NETWORK_HOST_FIELDS = ["name", "parent", "subnet", "gateway"] as const;

/** The valid networks, and each one's index in the config. */
export interface ReadNetworks {
    specs: NetworkSpec[];
    index: Map<string, number>;
}

/** Why a network cannot sit on a parent of one host. */
type ParentProblem =
    | { kind: "wireless"; parent: string }
    | { kind: "not-member"; vlan: VlanSpec }
    | { kind: "no-such-vlan" }
    | { kind: "foreign" }
    | { kind: "taken"; by: string };

export function readNetworks(r: Reader, v: unknown, hosts: Map<string, HostSpec>, vlans: ReadVlans): ReadNetworks {
    const result: ReadNetworks = { specs: [], index: new Map() };
    if (v === undefined) {
        return result;
    }
    const names = new Map<string, number>();
    const subnets: Array<{ range: IPv4CidrRange; index: number; name: string }> = [];
    const vlanByInterface = new Map(vlans.specs.map((vl) => [vl.interfaceName, { vlan: vl, members: new Set(vl.members.map((m) => m.host)) }]));
    /** `<host>/<parent>` -> the network using it and its index. */
    const parentUsers = new Map<string, string>();
    (r.array(v, "networks", "networks") ?? []).forEach((item, i) => {
        const p = `networks[${i}]`;
        const o = r.object(item, p, NETWORK_FIELDS, "a network");
        if (!o) {
            return;
        }
        const name = r.string(o.name, `${p}.name`, DOCKER_NAME, "a Docker network name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)");
        if (name !== undefined) {
            const first = names.get(name);
            if (first !== undefined) {
                r.fail(`${p}.name`, `${p}.name ${quote(name)} is already networks[${first}]; to put a network on more hosts list them in networks[${first}].hosts`);
            } else {
                names.set(name, i);
            }
        }
        const driver: NetworkDriver | undefined = o.driver === undefined ? "macvlan" : r.oneOf(o.driver, `${p}.driver`, NETWORK_DRIVERS);
        const modes: readonly string[] = driver === "ipvlan" ? IPVLAN_MODES : MACVLAN_MODES;
        const mode = o.mode === undefined ? modes[0] : r.oneOf(o.mode, `${p}.mode`, modes);
        const subnet = r.subnet(o.subnet, `${p}.subnet`);
        let gateway = r.ipv4(o.gateway, `${p}.gateway`);
        if (gateway !== undefined && subnet !== undefined) {
            gateway = checkInSubnet(r, `${p}.gateway`, gateway, cidrBounds(subnet.toCidrString()), "gateway");
        }
        if (subnet !== undefined) {
            const overlapped = subnets.filter((other) => other.range.isOverlapping(subnet));
            if (overlapped.length > 0) {
                const which = listing(overlapped.map((other) => `${other.range.toCidrString()} of ${other.name} (networks[${other.index}])`));
                r.fail(`${p}.subnet`, `${p}.subnet ${quote(subnet.toCidrString())} overlaps ${which}; give every network its own subnet`);
            }
            subnets.push({ range: subnet, index: i, name: name ?? p });
        }
        // the default parent: `vlan: <id>` or `parent: <nic or vlan interface>`
        let parent: string | undefined;
        let vlan: VlanSpec | undefined;
        if (o.vlan !== undefined && o.parent !== undefined) {
            r.fail(`${p}.vlan`, `${p}.vlan ${quote(o.vlan)} and ${p}.parent ${quote(o.parent)} are both set; keep parent (a NIC, or a VLAN interface such as ens33.10) or vlan (a VLAN id), not both`);
        } else if (o.vlan !== undefined) {
            const id = readVlanId(r, o.vlan, `${p}.vlan`);
            if (id !== undefined) {
                const found = vlans.specs.filter((vl) => vl.id === id);
                if (found.length === 0) {
                    r.unknownName("vlans", String(id), `${p}.vlan`, vlans.specs.map((vl) => String(vl.id)), "a VLAN id", "add it under vlans or ", id);
                } else if (found.length > 1) {
                    r.fail(`${p}.vlan`, `${p}.vlan ${id} exists on several parents (${found.map((vl) => vl.interfaceName).join(", ")}); set parent to one of those interfaces instead`);
                } else {
                    vlan = found[0];
                    parent = vlan.interfaceName;
                }
            }
        } else if (o.parent !== undefined) {
            parent = r.string(o.parent, `${p}.parent`, INTERFACE_NAME, "an interface name like ens33 or ens33.10");
        }
        // hosts: names or {name, parent, subnet, gateway}
        const hostNames: string[] = [];
        const parents: Record<string, string> = {};
        const hostList = o.hosts === undefined ? [...hosts.keys()] : r.array(o.hosts, `${p}.hosts`, `${p}.hosts`) ?? [];
        // a parent or VLAN that failed its own check: its error stands for the whole network
        let attachmentsFailed = (o.vlan !== undefined || o.parent !== undefined) && parent === undefined;
        /** Problems of attaching hosts, by the entry to change and kind: one message each, naming every host. */
        const shared = new Map<string, SharedProblem>();
        (attachmentsFailed ? [] : hostList).forEach((h, j) => {
            const hp = `${p}.hosts[${j}]`;
            let hostName: string | undefined;
            let hostParent = parent;
            let ownParent: unknown;
            if (typeof h === "string") {
                hostName = h;
            } else {
                const ho = r.object(h, hp, NETWORK_HOST_FIELDS, `a host of ${p}`);
                if (!ho) {
                    attachmentsFailed = true;
                    return;
                }
                hostName = r.string(ho.name, `${hp}.name`, HOST_NAME, "a host name");
                if (ho.parent !== undefined) {
                    ownParent = ho.parent;
                    hostParent = r.string(ho.parent, `${hp}.parent`, INTERFACE_NAME, "an interface name like ens33 or ens33.10");
                    if (hostParent === undefined) {
                        attachmentsFailed = true;
                        return;
                    }
                }
                if (ho.subnet !== undefined && subnet !== undefined) {
                    const s = r.subnet(ho.subnet, `${hp}.subnet`);
                    if (s !== undefined && !s.isEquals(subnet)) {
                        r.fail(`${hp}.subnet`, `${hp}.subnet ${quote(ho.subnet)} differs from the subnet ${subnet.toCidrString()} of ${name ?? p}; a macvlan network spans hosts only when its subnet and gateway are the same on every host: drop the override or use one subnet`);
                    }
                }
                if (ho.gateway !== undefined && gateway !== undefined) {
                    const g = r.ipv4(ho.gateway, `${hp}.gateway`);
                    if (g !== undefined && g !== gateway) {
                        r.fail(`${hp}.gateway`, `${hp}.gateway ${quote(g)} differs from the gateway ${gateway} of ${name ?? p}; the gateway must be the same on every host: drop the override`);
                    }
                }
            }
            if (hostName === undefined) {
                attachmentsFailed = true;
                return;
            }
            const hostPath = typeof h === "string" ? hp : `${hp}.name`;
            const host = lookupHost(r, hosts, hostName, hostPath);
            if (!host) {
                attachmentsFailed = true;
                return;
            }
            if (Object.hasOwn(parents, hostName)) {
                r.fail(hostPath, `${hostPath} ${quote(hostName)} is listed twice; list each host once`);
                return;
            }
            const resolved = hostParent ?? host.nic;
            let problem = parentProblem(resolved, host, vlanByInterface, driver);
            const user = parentUsers.get(`${hostName}/${resolved}`);
            if (problem === undefined && user !== undefined && user !== name) {
                problem = { kind: "taken", by: user };
            }
            if (problem !== undefined) {
                attachmentsFailed = true;
                // the entry to change: the driver for a wireless parent (ipvlan works there), else
                // the host's own parent, the network's vlan, or its parent (set or not)
                const [at, value, set] =
                    problem.kind === "wireless"
                        ? [`${p}.driver`, o.driver ?? "macvlan", o.driver !== undefined]
                        : ownParent !== undefined
                          ? [`${hp}.parent`, ownParent, true]
                          : o.vlan !== undefined
                            ? [`${p}.vlan`, o.vlan, true]
                            : [`${p}.parent`, o.parent, o.parent !== undefined];
                const detail = problem.kind === "taken" ? problem.by : problem.kind === "not-member" ? problem.vlan.interfaceName : "";
                const key = `${at}\0${problem.kind}\0${detail}`;
                const entry = shared.get(key) ?? { path: at, value, set, problem, hosts: [], parents: [] };
                entry.hosts.push(hostName);
                entry.parents.push(resolved);
                shared.set(key, entry);
                return;
            }
            parentUsers.set(`${hostName}/${resolved}`, name ?? p);
            hostNames.push(hostName);
            parents[hostName] = resolved;
        });
        for (const problem of shared.values()) {
            reportParentProblem(r, problem, { p, name, driver, hosts, vlans });
        }
        if (hostList.length === 0 && o.hosts !== undefined) {
            r.fail(`${p}.hosts`, `${p}.hosts [] is empty; list the hosts the network spans, or drop the key for all hosts`);
        }
        const vlanIds = new Set(Object.values(parents).map((pa) => vlanByInterface.get(pa)?.vlan.id));
        const reserved: Record<string, string> = {};
        if (o.reserved !== undefined) {
            const ro = r.object(o.reserved, `${p}.reserved`, undefined, `${p}.reserved (name: address)`);
            for (const [k, ip] of Object.entries(ro ?? {})) {
                const rp = pathKey(`${p}.reserved`, k);
                if (!SIMPLE_NAME.test(k)) {
                    r.fail(rp, `${rp}: ${quote(k)} is not a valid name for a reserved address; use letters, digits, _ . - (at most 63)`);
                    continue;
                }
                const a = r.ipv4(ip, rp);
                if (a !== undefined && subnet !== undefined && checkInSubnet(r, rp, a, cidrBounds(subnet.toCidrString()), "reserved address") !== undefined) {
                    if (a === gateway) {
                        r.fail(rp, `${rp} ${quote(a)} is the network's gateway, which Docker reserves already; drop it`);
                    } else {
                        reserved[k] = a;
                    }
                }
            }
        }
        // day 2: ranges pinned by the stack, and a deliberate re-plan (the planner checks the blocks)
        const pinnedRanges: Record<string, string> = {};
        if (o.ranges !== undefined) {
            const ro = r.object(o.ranges, `${p}.ranges`, undefined, `${p}.ranges (host: dynamic range)`);
            for (const [h, cidr] of Object.entries(ro ?? {})) {
                const rp = pathKey(`${p}.ranges`, h);
                if (!hostNames.includes(h)) {
                    if (!attachmentsFailed) {
                        r.fail(rp, `${rp}: ${quote(h)} is not a host of ${name ?? p}; ${didYouMean(h, hostNames)}pin ranges of its hosts only (${hostNames.join(", ") || "none"})`);
                    }
                    continue;
                }
                const m = typeof cidr === "string" ? /^([0-9.]+)\/([0-9]{1,2})$/.exec(cidr) : null;
                if (!m || !IPV4.test(m[1]) || Number(m[2]) > 32 || boundsOf(m[1], Number(m[2])).cidr !== cidr) {
                    r.fail(rp, `${rp} ${quote(cidr)} is not a CIDR block; write the host's dynamic range like 172.16.10.64/26 (no host bits set)`);
                } else if (subnet !== undefined && !subnet.contains(IPv4CidrRange.fromCidr(cidr))) {
                    r.fail(rp, `${rp} ${quote(cidr)} is not inside ${subnet.toCidrString()}; pin a block of the network's subnet`);
                } else {
                    pinnedRanges[h] = cidr;
                }
            }
        }
        const replan = o.replan === undefined ? false : r.bool(o.replan, `${p}.replan`);
        if (name !== undefined && driver !== undefined && mode !== undefined && subnet !== undefined && gateway !== undefined && names.get(name) === i && !attachmentsFailed) {
            result.specs.push({
                name,
                driver,
                mode: mode as NetworkSpec["mode"],
                subnet: subnet.toCidrString(),
                gateway,
                parents,
                hosts: hostNames,
                reserved,
                ...(vlanIds.size === 1 && [...vlanIds][0] !== undefined ? { vlan: [...vlanIds][0] } : {}),
                ...(Object.keys(pinnedRanges).length > 0 ? { pinnedRanges } : {}),
                ...(replan === true ? { replan: true } : {}),
            });
            result.index.set(name, i);
        }
    });
    return result;
}

/** Wireless interface names (`wlan0`, `wlp2s0`): 802.11 drops frames from MACs that did not associate. */
const WIRELESS = /^wl/;

/**
 * Why a network of `driver` cannot use `parent` on `host`: the parent must be the host's NIC or
 * one of its VLAN interfaces, and macvlan (a MAC address per container) does not work over 802.11.
 * ipvlan shares the parent's MAC, so it may use a wireless parent.
 */
function parentProblem(
    parent: string,
    host: HostSpec,
    vlans: Map<string, { vlan: VlanSpec; members: Set<string> }>,
    driver: NetworkDriver | undefined,
): ParentProblem | undefined {
    const found = vlans.get(parent);
    if (parent !== host.nic && found === undefined) {
        return /\.[0-9]+$/.test(parent) ? { kind: "no-such-vlan" } : { kind: "foreign" };
    }
    if (found !== undefined && !found.members.has(host.name)) {
        return { kind: "not-member", vlan: found.vlan };
    }
    const physical = found?.vlan.parent ?? parent;
    if (driver === "macvlan" && WIRELESS.test(physical)) {
        return { kind: "wireless", parent };
    }
    return undefined;
}

/** A problem of attaching hosts to a network, at one entry, shared by `hosts`. */
interface SharedProblem {
    path: string;
    /** The entry's value (the default when not set). */
    value: unknown;
    set: boolean;
    problem: ParentProblem;
    hosts: string[];
    /** The parent each of `hosts` would have. */
    parents: string[];
}

function reportParentProblem(
    r: Reader,
    e: SharedProblem,
    n: { p: string; name?: string; driver?: NetworkDriver; hosts: Map<string, HostSpec>; vlans: ReadVlans },
): void {
    const { path, problem, hosts: hs } = e;
    const shown = e.set ? quote(e.value) : e.value === undefined ? "" : `${quote(e.value)} (the default)`;
    const head = shown === "" ? `${path} is not set, so` : `${path} ${shown}`;
    const who = listing(hs);
    const onWhat = listing([...new Set(e.parents)]);
    const network = n.name ?? n.p;
    switch (problem.kind) {
        case "wireless":
            r.fail(path, `${head} cannot use ${onWhat} of ${who}, a wireless interface: 802.11 access points drop frames from MAC addresses that did not associate, so macvlan does not work over it; set driver: ipvlan (it shares the parent's MAC) or use a wired NIC`);
            return;
        case "not-member":
            r.fail(path, `${head} is VLAN ${problem.vlan.id} (${problem.vlan.interfaceName}), but ${who} ${hs.length === 1 ? "has" : "have"} no address on it; add ${who} to vlans[${n.vlans.index.get(problem.vlan)}].addresses, or leave ${hs.length === 1 ? "it" : "them"} out of ${n.p}.hosts`);
            return;
        case "no-such-vlan": {
            const [nic, id] = [onWhat.replace(/\.[0-9]+$/, ""), onWhat.split(".").pop()];
            r.fail(path, `${head} names a VLAN interface that no VLAN of this stack creates; add a VLAN with parent ${nic} and id ${id} under vlans, or use the nic of ${who}`);
            return;
        }
        case "foreign": {
            const nics = [...new Set(hs.map((h) => n.hosts.get(h)?.nic ?? ""))];
            r.fail(path, `${head} is neither the nic of ${listing(hs.map((h) => `${h} (${n.hosts.get(h)?.nic})`))} nor a VLAN interface of this stack; the parent must be one this stack prepares (a promiscuous NIC or a VLAN): ${didYouMean(onWhat, nics)}use the nic, or a VLAN under vlans`);
            return;
        }
        case "taken":
            r.fail(path, `${head} ${shown === "" ? `${network} goes on` : `puts ${network} on`} ${onWhat} of ${who}, where ${problem.by} already is; Docker allows one ${n.driver ?? "macvlan"} network per parent interface: put this network on another VLAN or NIC`);
            return;
        default: {
            const never_: never = problem;
            throw new Error(`unknown parent problem ${JSON.stringify(never_)}`);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// what the sections after networks ask of a network: its hosts, and whether a host interface (a
// shim, a router leg, issue 12) can join it

/**
 * Whether network `n` spans host `host`: the host is one of the network's hosts, with a parent
 * interface there. The one home of membership: containers, shims and the router all ask it.
 */
export function spans(n: NetworkSpec, host: string): boolean {
    return n.parents[host] !== undefined;
}

/**
 * Whether `n` spans `host`; when it does not, reports at `path`:
 * `<path> "<network>" <said> (its hosts are <hosts>); <fix>`.
 */
export function checkSpans(r: Reader, path: string, n: NetworkSpec, host: string, said: string, fix: string): boolean {
    if (spans(n, host)) {
        return true;
    }
    r.fail(path, `${path} ${quote(n.name)} ${said} (its hosts are ${n.hosts.join(", ")}); ${fix}`);
    return false;
}

/** Why a network's driver and mode cannot carry a shim or a router leg; undefined when they can. */
export function subInterfaceProblem(n: NetworkSpec, what: "shim" | "router"): string | undefined {
    if (n.driver === "macvlan" && n.mode !== "bridge") {
        return n.mode === "passthru"
            ? `${n.name} is macvlan mode passthru, which allows one sub-interface on its parent (the container's), so a ${what} cannot join it; use mode bridge`
            : `${n.name} is macvlan mode ${n.mode}, where sub-interfaces of one parent ${n.mode === "private" ? "never talk to each other" : "talk only through an external switch that hairpins (VEPA)"}, so a ${what} on the host cannot reach them; use mode bridge`;
    }
    if (what === "router" && n.driver === "ipvlan" && n.mode !== "l2") {
        return `${n.name} is ipvlan mode ${n.mode}: its containers have no gateway to route through (Docker's ipvlan ${n.mode} routes by the parent), so a router leg cannot serve it; use mode l2 or route on the hosts`;
    }
    return undefined;
}

/** Interface names already on a host: its NIC, VLAN interfaces and Docker parents. */
export function hostInterfaces(host: HostSpec, vlans: VlanSpec[], networks: NetworkSpec[]): Set<string> {
    const out = new Set<string>([host.nic]);
    for (const vl of vlans) if (vl.members.some((m) => m.host === host.name)) out.add(vl.interfaceName);
    for (const n of networks) if (spans(n, host.name)) out.add(n.parents[host.name]);
    return out;
}

/**
 * Host shims and the inter-VLAN router (issue 12): pure renderers of the thin scripts that
 * `remote.Command` runs on a host, and the pure facts they are made from.
 *
 * - A host shim is the host's own sub-interface on a Docker network's parent (`mac0@ens33.10`), of
 *   the network's driver and mode, with a /32 address the plan reserves on every host, and a route
 *   through it to each of the network's containers on this host (the host's planned range and its
 *   static addresses). A macvlan parent passes frames only between the wire and its sub-interfaces,
 *   so without it the host cannot reach its own containers (the tutorial's open problem).
 * - A router leg is the same kind of link on the router host, holding the network's gateway with
 *   the network's prefix; the router's forwarding turns IPv4 forwarding on and installs the policy.
 *
 * The link steps are components/scripts/host/link.sh plus the backend's `backend_link_*` functions
 * (nmcli: a connection profile; ifcfg: a systemd unit, network-scripts have no macvlan type;
 * networkd and netplan: networkd files; ifupdown: a stanza; iproute2: runtime only, and says so).
 * The forwarding is components/scripts/host/router.sh, kept for the next boot by a sysctl.d file and
 * a systemd unit on every persistent backend (runtime only with iproute2: after a reboot it fails
 * closed, forwarding off).
 */
import { IPv4, IPv4CidrRange } from "ip-num";
import { IPV4, ROUTER_CHAIN } from "../contracts";
import { LabPlan } from "../model/plan";
import { ContainerSpec, NetworkSpec, HostSpec, RoutedPair } from "../model/types";
import { ScriptVar } from "./backends";
import { LinkFacts } from "./backends/types";
import { HostScripts, RenderOptions, checkHost, checkInterface, resolveRenderOptions, scripts, stateVars } from "./render";
import { union } from "./backends/auto";

/** A subnet in canonical CIDR form. */
function checkCidr(what: string, value: string): void {
    const [ip, len, ...rest] = value.split("/");
    if (rest.length > 0 || !IPV4.test(ip ?? "") || !/^[0-9]{1,2}$/.test(len ?? "") || Number(len) > 32) {
        throw new Error(`${what} ${JSON.stringify(value)} is not an IPv4 subnet (172.16.10.0/24)`);
    }
    if (IPv4CidrRange.fromCidr(value).getFirst().toString() !== ip) {
        throw new Error(`${what} ${JSON.stringify(value)} has host bits set`);
    }
}

/** Whether `ip` lies inside `cidr`. */
function inside(cidr: string, ip: string): boolean {
    const r = IPv4CidrRange.fromCidr(cidr);
    const v = new IPv4(ip).getValue();
    return v >= r.getFirst().getValue() && v <= r.getLast().getValue();
}

/**
 * What a shim on `host` routes: the host's planned range of the network, then every static address
 * of the network's containers on that host that lies outside it (a /32 each), in address order.
 */
export function shimRoutes(plan: LabPlan, network: string, host: string, containers: readonly ContainerSpec[]): string[] {
    const n = plan.networks[network];
    if (!n) throw new Error(`no plan for network ${network}`);
    const range = n.ranges[host];
    if (range === undefined) throw new Error(`the plan of ${network} has no range for ${host}`);
    const statics = containers
        .filter((c) => c.network === network && c.host === host && c.ip !== undefined && !inside(range, c.ip))
        .map((c) => c.ip as string)
        .sort((a, b) => (new IPv4(a).getValue() < new IPv4(b).getValue() ? -1 : 1));
    return [range, ...statics.map((ip) => `${ip}/32`)];
}

/** A shim or leg as data: validated facts for host/link.sh. */
function linkFacts(host: HostSpec, network: NetworkSpec, dev: string, address: string, prefix: number, routes: string[], role: string): LinkFacts {
    const where = `host ${host.name}, ${role}`;
    checkInterface(`${where}: interface`, dev);
    const parent = network.parents[host.name];
    if (parent === undefined) throw new Error(`${where}: ${network.name} does not span ${host.name} (its hosts are ${network.hosts.join(", ")})`);
    checkInterface(`${where}: parent`, parent);
    if (dev === parent || dev === host.nic) throw new Error(`${where}: interface ${dev} is the network's parent or the host's NIC; pick another name`);
    if (!IPV4.test(address)) throw new Error(`${where}: address ${JSON.stringify(address)} is not an IPv4 address`);
    checkCidr(`${where}: subnet`, network.subnet);
    if (!inside(network.subnet, address)) throw new Error(`${where}: address ${address} is outside ${network.name}'s subnet ${network.subnet}`);
    routes.forEach((r) => checkCidr(`${where}: route`, r));
    if (network.driver === "macvlan" && network.mode !== "bridge") {
        throw new Error(`${where}: ${network.name} is macvlan mode ${network.mode}; a host link reaches the containers only in mode bridge`);
    }
    if (/[\n\r]/.test(role)) throw new Error(`${where}: the role has a line break`);
    return { dev, parent, kind: network.driver, mode: network.mode, address: `${address}/${prefix}`, ip: address, routes, role };
}

function renderLink(host: HostSpec, l: LinkFacts, options: RenderOptions): HostScripts {
    const backend = checkHost(host);
    const o = resolveRenderOptions(options);
    const vars: ScriptVar[] = [
        ["host", host.name],
        ["dev", l.dev],
        ["parent", l.parent],
        ["kind", l.kind],
        ["mode", l.mode],
        ["address", l.address],
        ["ip", l.ip],
        ["routes", l.routes.join(" ")],
        ["role", l.role],
        // the ARP settings after a reboot, where the backend keeps the link but not them
        ["arp_conf", backend.persistent && backend.linkPersistence !== "systemd unit" ? `${o.sysctlDir}/90-macvlan-lab-link-${l.dev}.conf` : ""],
        ...stateVars(o),
        ...backend.linkVars(host, l, o),
    ];
    return scripts(
        `${l.role}: ${l.dev}@${l.parent} (${l.kind} ${l.mode}) with ${l.address} (${backend.name}, ${backend.linkPersistence})`,
        o,
        union(vars),
        ["net.sh", ...backend.modules, "host/link.sh"],
        "link",
        backend,
    );
}

/** A host shim as its renderer needs it. */
export interface ShimFacts {
    /** The network the shim joins on `host` (its parent there, driver and mode). */
    network: NetworkSpec;
    /** The shim's address: a /32, reserved on every host of the network. */
    address: string;
    /** Interface name: `mac0`. */
    name: string;
    /** CIDRs routed through the shim: the host's containers on the network ({@link shimRoutes}). */
    routes: string[];
}

/**
 * Scripts for a host shim: `ip link add link <parent> name <name> type <driver> mode <mode>`, the
 * /32 address, ARP only for its own address, the link up, and a route to each of `routes` through
 * it with the shim's address as source; persisted by the backend (nmcli profile, ifcfg systemd unit,
 * iproute2 runtime only). Delete removes the link (address and routes with it) and the backend's config.
 */
export function renderHostShim(host: HostSpec, shim: ShimFacts, options: RenderOptions = {}): HostScripts {
    const l = linkFacts(host, shim.network, shim.name, shim.address, 32, shim.routes, `shim of ${host.name} on ${shim.network.name}`);
    return renderLink(host, l, options);
}

/**
 * Scripts for one leg of the router on `host`: a link on the network's parent holding its gateway
 * with the network's prefix (the connected route to the subnet comes with it), persisted like a shim.
 */
export function renderRouterLeg(host: HostSpec, network: NetworkSpec, name: string, options: RenderOptions = {}): HostScripts {
    if (network.driver === "ipvlan" && network.mode !== "l2") {
        throw new Error(`host ${host.name}, router leg on ${network.name}: ipvlan mode ${network.mode} has no gateway to hold; use mode l2`);
    }
    const prefix = Number(network.subnet.split("/")[1]);
    const l = linkFacts(host, network, name, network.gateway, prefix, [], `router leg of ${host.name} on ${network.name}`);
    return renderLink(host, l, options);
}

/**
 * The rules of the forwarding policy, in order, as `iptables -S` prints them after `-A <chain>`:
 * both directions of each allowed pair ACCEPT, then every other ordered pair of routed subnets DROP,
 * each by source and destination network name (not by the order of `networks` or `allow`).
 */
export function routerRules(networks: readonly NetworkSpec[], allow: readonly RoutedPair[]): string[] {
    const byName = new Map(networks.map((n) => [n.name, n]));
    const allowed = new Set<string>();
    allow.forEach(([a, b], i) => {
        if (!byName.has(a) || !byName.has(b) || a === b) throw new Error(`allow[${i}] [${a}, ${b}] is not a pair of two routed networks (${[...byName.keys()].join(", ")})`);
        allowed.add(`${a}>${b}`).add(`${b}>${a}`);
    });
    // by network name, whatever the order of the lists: every rule matches one source and one
    // destination subnet, so the order changes nothing, and a reordered list changes no script
    const sorted = byNetworkName(networks);
    const rules: string[] = [];
    for (const verdict of ["ACCEPT", "DROP"] as const) {
        for (const s of sorted) for (const d of sorted) {
            if (s !== d && allowed.has(`${s.name}>${d.name}`) === (verdict === "ACCEPT")) rules.push(`-s ${s.subnet} -d ${d.subnet} -j ${verdict}`);
        }
    }
    return rules;
}

/**
 * Where the router's forwarding is kept for the next boot, named after its chain (`MACVLAN-LAB-R-<digest>`
 * -> `/etc/sysctl.d/90-macvlan-lab-r-<digest>.conf`, `/etc/systemd/system/macvlan-lab-r-<digest>.service`
 * and its `multi-user.target.wants` link); all empty on a backend that keeps nothing (iproute2).
 */
export function routerPersistenceVars(persistent: boolean, chain: string, o: { sysctlDir: string; systemdDir: string }): ScriptVar[] {
    const name = chain.toLowerCase();
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) throw new Error(`router chain ${JSON.stringify(chain)} cannot name a file`);
    return [
        ["fwd_conf", persistent ? `${o.sysctlDir}/90-${name}.conf` : ""],
        ["unit", persistent ? `${o.systemdDir}/${name}.service` : ""],
        ["unit_wants", persistent ? `${o.systemdDir}/multi-user.target.wants/${name}.service` : ""],
    ];
}

/**
 * Scripts for the router's forwarding on `host`: IPv4 forwarding on (the value found is put back by
 * delete) and the policy ({@link routerRules}) in the router's iptables chain (`routerChain`, one per
 * stack; `MACVLAN-LAB-ROUTER` when none is given), jumped to first from FORWARD. Kept for the next boot on every persistent backend (a sysctl.d file and a
 * systemd unit of ours that restores the chain before network-pre.target,
 * {@link routerPersistenceVars}); runtime only with iproute2, and said so.
 */
export function renderRouterForwarding(
    host: HostSpec,
    router: {
        networks: readonly NetworkSpec[];
        allow: readonly RoutedPair[];
        legs: Readonly<Record<string, string>>;
        /** The policy's iptables chain (`routerChain`, one per stack). Defaults to `ROUTER_CHAIN`. */
        chain?: string;
    },
    options: RenderOptions = {},
): HostScripts {
    const backend = checkHost(host);
    const o = resolveRenderOptions(options);
    if (router.networks.length < 2) throw new Error(`host ${host.name}, router: it joins ${router.networks.length} network(s); a router joins at least two`);
    router.networks.forEach((n) => checkCidr(`host ${host.name}, router: subnet of ${n.name}`, n.subnet));
    const legs = byNetworkName(router.networks).map((n) => {
        const l = router.legs[n.name];
        if (l === undefined) throw new Error(`host ${host.name}, router: no leg is named for ${n.name}`);
        checkInterface(`host ${host.name}, router: leg of ${n.name}`, l);
        return `${l} (${n.name})`;
    });
    const rules = routerRules(router.networks, router.allow);
    if (router.chain !== undefined && !/^MACVLAN-LAB-R[A-Za-z0-9-]{0,15}$/.test(router.chain)) {
        throw new Error(`host ${host.name}, router: chain ${JSON.stringify(router.chain)} is not a router chain (MACVLAN-LAB-R..., at most 28 characters)`);
    }
    const vars: ScriptVar[] = [
        ["host", host.name],
        ["chain", router.chain ?? ROUTER_CHAIN],
        ["rules", rules.join("\n")],
        ["legs", legs.join(", ")],
        ...routerPersistenceVars(backend.persistent, router.chain ?? ROUTER_CHAIN, o),
        ...stateVars(o),
    ];
    return scripts(`router forwarding on ${host.name} between ${byNetworkName(router.networks).map((n) => n.name).join(", ")}`, o, vars, ["host/router.sh"], "router");
}

/** The networks by name (the order a router's scripts list them in). */
function byNetworkName(networks: readonly NetworkSpec[]): NetworkSpec[] {
    return [...networks].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

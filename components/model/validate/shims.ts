/**
 * The `shims:` section (issue 12): a host's own interface on a network it spans, so the host
 * reaches its containers there; its address (free in the network's subnet) and interface name.
 */
import { IPv4 } from "ip-num";
import { ContainerSpec, HostSpec, RouterSpec, ShimSpec, VlanSpec } from "../types";
import { DOCKER_NAME, HOST_NAME, INTERFACE_NAME } from "../names";
import { quote } from "../messages";
import { Reader, checkInSubnet, cidrBounds } from "./reader";
import { hostOwnedAddresses, lookupHost } from "./hosts";
import { ReadNetworks, checkSpans, hostInterfaces, subInterfaceProblem } from "./networks";

const SHIM_FIELDS = ["host", "network", "address", "name"] as const;

export function readShims(
    r: Reader,
    v: unknown,
    hosts: Map<string, HostSpec>,
    networks: ReadNetworks,
    containers: ContainerSpec[],
    vlans: VlanSpec[],
    router: RouterSpec | undefined,
): ShimSpec[] {
    if (v === undefined) {
        return [];
    }
    const out: ShimSpec[] = [];
    const byName = new Map(networks.specs.map((n) => [n.name, n]));
    const perHost = new Map<string, number>();
    const hostNet = new Map<string, number>();
    const addresses = new Map<string, number>();
    const ifaces = new Map<string, { index: number; name: string }>();
    const hostAddresses = hostOwnedAddresses(hosts.values(), vlans);
    (r.array(v, "shims", "shims") ?? []).forEach((item, i) => {
        const p = `shims[${i}]`;
        const o = r.object(item, p, SHIM_FIELDS, "a shim");
        if (!o) return;
        const hostName = r.string(o.host, `${p}.host`, HOST_NAME, "a host name of this stack");
        const host = lookupHost(r, hosts, hostName, `${p}.host`);
        const netName = r.string(o.network, `${p}.network`, DOCKER_NAME, "a network name of this stack");
        const network = netName !== undefined ? byName.get(netName) : undefined;
        if (netName !== undefined && !network) r.unknownName("networks", netName, `${p}.network`, [...byName.keys()], "a network");
        let address = r.ipv4(o.address, `${p}.address`);
        if (!host || !network) {
            return;
        }
        let ok = address !== undefined;
        if (!checkSpans(r, `${p}.network`, network, host.name, `does not span ${host.name}`, `add ${host.name} to the network's hosts or put the shim on one of them`)) {
            return;
        }
        const problem = subInterfaceProblem(network, "shim");
        if (problem !== undefined) {
            r.fail(`${p}.network`, `${p}.network ${quote(network.name)}: ${problem}`);
            ok = false;
        }
        const key = `${host.name}/${network.name}`;
        if (hostNet.has(key)) {
            r.fail(`${p}.network`, `${p}.network ${quote(network.name)} already has a shim on ${host.name} (shims[${hostNet.get(key)}]); one shim per host and network`);
            return;
        }
        hostNet.set(key, i);
        if (address !== undefined) {
            address = checkInSubnet(r, `${p}.address`, address, cidrBounds(network.subnet), "shim address");
            const free = `pick a free address in ${network.subnet}`;
            const fail = (why: string) => {
                r.fail(`${p}.address`, `${p}.address ${quote(address)} ${why}; ${free}`);
                address = undefined;
            };
            const b = cidrBounds(network.subnet);
            const val = address !== undefined ? new IPv4(address).getValue() : undefined;
            const reservedName = Object.entries(network.reserved).find(([, a]) => a === address)?.[0];
            const user = containers.find((c) => c.network === network.name && c.ip === address);
            if (address === undefined) {
                ok = false;
            } else if (val === b.first || val === b.last) {
                fail(`is the ${val === b.first ? "network" : "broadcast"} address of ${network.subnet}`);
            } else if (address === network.gateway) {
                fail(`is the gateway of ${network.name}${router && router.networks.includes(network.name) ? `, which the router's leg on ${router.host} holds` : ""}`);
            } else if (reservedName !== undefined) {
                fail(`is reserved as ${reservedName} on ${network.name}`);
            } else if (user) {
                fail(`is the static address of container ${user.name} on ${user.host}`);
            } else if (hostAddresses.has(address)) {
                fail(`is ${hostAddresses.get(address)}`);
            } else if (addresses.has(`${network.name}/${address}`)) {
                fail(`is already the address of shims[${addresses.get(`${network.name}/${address}`)}]`);
            } else if (Object.hasOwn(network.reserved, `shim-${host.name}`)) {
                r.fail(`${p}.host`, `${p}.host ${quote(host.name)}: ${network.name} already reserves a name shim-${host.name}, the name the plan gives this shim's address; rename that reserved entry`);
                address = undefined;
            }
            if (address === undefined) ok = false;
            else addresses.set(`${network.name}/${address}`, i);
        }
        // the interface name: given, or mac<k> counting the host's shims
        const k = perHost.get(host.name) ?? 0;
        perHost.set(host.name, k + 1);
        const given = o.name;
        const name = given === undefined ? `mac${k}` : r.string(given, `${p}.name`, INTERFACE_NAME, "an interface name (at most 15 of a-z A-Z 0-9 _ . -)");
        if (name === undefined) return;
        const taken = hostInterfaces(host, vlans, networks.specs);
        const routerLeg = router && router.host === host.name ? Object.entries(router.legs).find(([, l]) => l === name)?.[0] : undefined;
        const other = ifaces.get(`${host.name}/${name}`);
        if (taken.has(name) || routerLeg !== undefined || other !== undefined) {
            const by = other !== undefined ? ` (shims[${other.index}])` : routerLeg !== undefined ? ` (the router's leg on ${routerLeg})` : "";
            r.fail(`${p}.name`, `${p}.name ${quote(name)}${given === undefined ? " (the default)" : ""} is already an interface on ${host.name}${by}; set ${p}.name to a free name`);
            return;
        }
        ifaces.set(`${host.name}/${name}`, { index: i, name });
        if (ok && address !== undefined) out.push({ host: host.name, network: network.name, address, name, ...(given === undefined ? { defaultName: true } : {}) });
    });
    return out;
}

/**
 * The `containers:` section: each container's host and network (which must span the host), its
 * static address (free in the network's subnet), image, command and restart policy.
 */
import { ContainerSpec, HostSpec, NetworkSpec, RESTART_POLICIES, RegistrySpec, RestartPolicy, VlanSpec } from "../types";
import { DOCKER_NAME, HOST_NAME } from "../names";
import { quote } from "../messages";
import { Bounds, Reader, checkInSubnet, cidrBounds, imageRef } from "./reader";
import { hostOwnedAddresses, lookupHost } from "./hosts";
import { checkSpans } from "./networks";
import { checkRegistryReference } from "./registry";

const CONTAINER_FIELDS = ["name", "host", "network", "ip", "image", "command", "restart"] as const;

export function readContainers(
    r: Reader,
    v: unknown,
    hosts: Map<string, HostSpec>,
    networks: NetworkSpec[],
    vlans: VlanSpec[],
    registry: RegistrySpec | undefined,
): ContainerSpec[] {
    if (v === undefined) {
        return [];
    }
    const out: ContainerSpec[] = [];
    const names = new Map<string, number>();
    const ips = new Map<string, { index: number; name: string; host: string }>();
    const bounds = new Map<string, Bounds>();
    const networkByName = new Map(networks.map((n) => [n.name, n]));
    const hostAddresses = hostOwnedAddresses(hosts.values(), vlans);
    (r.array(v, "containers", "containers") ?? []).forEach((item, i) => {
        const p = `containers[${i}]`;
        const o = r.object(item, p, CONTAINER_FIELDS, "a container");
        if (!o) {
            return;
        }
        const name = r.string(o.name, `${p}.name`, DOCKER_NAME, "a Docker container name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)");
        const hostName = r.string(o.host, `${p}.host`, HOST_NAME, "a host name");
        const host = lookupHost(r, hosts, hostName, `${p}.host`);
        if (name !== undefined && host) {
            const key = `${host.name}/${name}`;
            const first = names.get(key);
            if (first !== undefined) {
                r.fail(`${p}.name`, `${p}.name ${quote(name)} is already containers[${first}] on ${host.name}; container names are unique per host`);
            } else {
                names.set(key, i);
            }
        }
        const netName = r.string(o.network, `${p}.network`, DOCKER_NAME, "a network name of this stack");
        const network = netName !== undefined ? networkByName.get(netName) : undefined;
        if (netName !== undefined && !network) {
            r.unknownName("networks", netName, `${p}.network`, networks.map((n) => n.name), "a network");
        }
        if (network && host) {
            checkSpans(r, `${p}.network`, network, host.name, `does not exist on ${host.name}`, `add ${host.name} to the network's hosts or move the container`);
        }
        let ip: string | undefined;
        if (o.ip !== undefined) {
            ip = r.ipv4(o.ip, `${p}.ip`);
            if (ip !== undefined && network) {
                let subnet = bounds.get(network.name);
                if (subnet === undefined) {
                    subnet = cidrBounds(network.subnet);
                    bounds.set(network.name, subnet);
                }
                ip = checkInSubnet(r, `${p}.ip`, ip, subnet, "container address");
                if (ip === network.gateway) {
                    ip = r.fail(`${p}.ip`, `${p}.ip ${quote(ip)} is the gateway of ${network.name}; pick a free address in ${network.subnet}`);
                }
                const reservedName = Object.entries(network.reserved).find(([, a]) => a === ip)?.[0];
                if (ip !== undefined && reservedName !== undefined) {
                    ip = r.fail(`${p}.ip`, `${p}.ip ${quote(ip)} is reserved as ${reservedName} on ${network.name}; pick a free address in ${network.subnet}`);
                }
                if (ip !== undefined && hostAddresses.has(ip)) {
                    ip = r.fail(`${p}.ip`, `${p}.ip ${quote(ip)} is ${hostAddresses.get(ip)}; pick a free address in ${network.subnet}`);
                }
                if (ip !== undefined && host && name !== undefined) {
                    const key = `${network.name}/${ip}`;
                    const other = ips.get(key);
                    if (other !== undefined) {
                        const why = other.host === host.name ? "" : `: ${other.host} and ${host.name} share the L2 segment of ${network.name}, so the address would be duplicated`;
                        r.fail(`${p}.ip`, `${p}.ip ${quote(ip)} of ${name} on ${host.name} is already used by ${other.name} on ${other.host} (containers[${other.index}])${why}; pick a free address in ${network.subnet}`);
                        ip = undefined;
                    } else {
                        ips.set(key, { index: i, name, host: host.name });
                    }
                }
            }
        }
        const image = imageRef(r, o.image, `${p}.image`);
        if (image !== undefined) {
            checkRegistryReference(r, `${p}.image`, image, registry);
        }
        let command: string[] | undefined = ["sleep", "infinity"];
        if (o.command !== undefined) {
            const list = r.array(o.command, `${p}.command`, `${p}.command`);
            command =
                list === undefined
                    ? undefined
                    : list.length > 0 && list.every((c) => typeof c === "string" && !c.includes("\0"))
                      ? (list as string[])
                      : r.fail(`${p}.command`, `${p}.command ${quote(o.command)} is not a non-empty list of strings; write it like [sleep, infinity]`);
        }
        const restart: RestartPolicy | undefined = o.restart === undefined ? "always" : r.oneOf(o.restart, `${p}.restart`, RESTART_POLICIES);
        if (name !== undefined && host && network && image !== undefined && command !== undefined && restart !== undefined && (o.ip === undefined || ip !== undefined)) {
            out.push({ name, host: host.name, network: network.name, image, command, restart, ...(ip !== undefined ? { ip } : {}) });
        }
    });
    return out;
}

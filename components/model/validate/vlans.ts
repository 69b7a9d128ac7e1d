/**
 * The `vlans:` section: each VLAN's id and parent, its members' addresses (one subnet), its gateway
 * and default route; and the two rules of a VLAN that code outside the validator checks again (the
 * host scripts' renderer): the id range ({@link isVlanId}) and the default route's gateway
 * ({@link defaultRouteOf}).
 */
import { HostSpec, VlanSpec } from "../types";
import { INTERFACE_NAME } from "../names";
import { pathKey, quote } from "../messages";
import { Bounds, Reader, inBounds, listing } from "./reader";
import { lookupHost } from "./hosts";

/** The smallest and largest VLAN id (802.1Q: 0 and 4095 are reserved). */
export const VLAN_ID_MIN = 1;
export const VLAN_ID_MAX = 4094;

/** Whether `v` is a VLAN id: a whole number from {@link VLAN_ID_MIN} to {@link VLAN_ID_MAX}. The one home of the range. */
export function isVlanId(v: unknown): v is number {
    return typeof v === "number" && Number.isInteger(v) && v >= VLAN_ID_MIN && v <= VLAN_ID_MAX;
}

/** Reads a VLAN id at `path` (`vlans[i].id`, `networks[i].vlan`), reporting a value out of the range. */
export function readVlanId(r: Reader, v: unknown, path: string): number | undefined {
    return r.int(v, path, VLAN_ID_MIN, VLAN_ID_MAX, "a VLAN id");
}

/**
 * A VLAN's default route goes via the VLAN's gateway, so it needs one: `none` without
 * defaultRoute, `via-gateway` with both, `no-gateway` for defaultRoute without a gateway (an error:
 * the validator reports it at `vlans[i].defaultRoute`, the renderer refuses it). The one home of the rule.
 */
export function defaultRouteOf(vlan: { defaultRoute: boolean; gateway?: unknown }): "none" | "via-gateway" | "no-gateway" {
    if (!vlan.defaultRoute) {
        return "none";
    }
    return vlan.gateway === undefined ? "no-gateway" : "via-gateway";
}

const VLAN_FIELDS = ["id", "parent", "addresses", "gateway", "defaultRoute"] as const;

/** The valid VLANs, and each one's index in the config (for messages that point at it). */
export interface ReadVlans {
    specs: VlanSpec[];
    index: Map<VlanSpec, number>;
}

export function readVlans(r: Reader, v: unknown, hosts: Map<string, HostSpec>): ReadVlans {
    const result: ReadVlans = { specs: [], index: new Map() };
    if (v === undefined) {
        return result;
    }
    const seen = new Map<string, number>();
    (r.array(v, "vlans", "vlans") ?? []).forEach((item, i) => {
        const p = `vlans[${i}]`;
        const o = r.object(item, p, VLAN_FIELDS, "a VLAN");
        if (!o) {
            return;
        }
        const id = readVlanId(r, o.id, `${p}.id`);
        const parent = r.string(o.parent, `${p}.parent`, INTERFACE_NAME, "an interface name like ens33");
        const gateway = o.gateway === undefined ? undefined : r.ipv4(o.gateway, `${p}.gateway`);
        const defaultRoute = o.defaultRoute === undefined ? false : r.bool(o.defaultRoute, `${p}.defaultRoute`);
        if (defaultRoute !== undefined && defaultRouteOf({ defaultRoute, gateway: o.gateway }) === "no-gateway") {
            r.fail(`${p}.defaultRoute`, `${p}.defaultRoute true needs ${p}.gateway, which is not set; set the gateway, or drop defaultRoute`);
        }
        let interfaceName: string | undefined;
        if (id !== undefined && parent !== undefined) {
            interfaceName = `${parent}.${id}`;
            if (interfaceName.length > 15) {
                r.fail(`${p}.parent`, `${p}.parent ${quote(parent)} with id ${id} makes the interface name ${interfaceName}, longer than the kernel's 15 characters; use a shorter parent name`);
                interfaceName = undefined;
            }
            const first = seen.get(`${parent}.${id}`);
            if (first !== undefined) {
                r.fail(`${p}.id`, `${p}.id ${id} is already used on parent ${parent} by vlans[${first}]; a VLAN id is unique per parent`);
                interfaceName = undefined;
            } else {
                seen.set(`${parent}.${id}`, i);
            }
        }
        const members: VlanSpec["members"] = [];
        const addrObj = o.addresses === undefined ? undefined : r.object(o.addresses, `${p}.addresses`, undefined, `${p}.addresses (host name: address/prefix)`);
        if (o.addresses === undefined) {
            r.missing(`${p}.addresses`, "map each member host to its address on the VLAN, like docker01: 192.168.10.10/24");
        }
        let subnet: Bounds | undefined;
        const seenAddr = new Map<string, string>();
        /** Member hosts whose nic is not the VLAN's parent: one message for all of them. */
        const otherNic: string[] = [];
        for (const [hostName, addr] of Object.entries(addrObj ?? {})) {
            const ap = pathKey(`${p}.addresses`, hostName);
            const host = lookupHost(r, hosts, hostName, ap);
            if (!host) {
                continue;
            }
            const a = r.ipv4Interface(addr, ap);
            if (!a) {
                continue;
            }
            if (parent !== undefined && host.nic !== parent) {
                otherNic.push(`${hostName} (${host.nic})`);
            }
            if (subnet === undefined) {
                subnet = a.subnet;
            } else if (subnet.cidr !== a.subnet.cidr) {
                r.fail(ap, `${ap} ${quote(addr)} is in ${a.subnet.cidr} but the VLAN's other members are in ${subnet.cidr}; members of one VLAN share one subnet`);
            }
            const dup = seenAddr.get(a.ip);
            if (dup !== undefined) {
                r.fail(ap, `${ap} ${quote(addr)} is already the address of ${dup} on this VLAN; give each host its own address`);
            }
            seenAddr.set(a.ip, hostName);
            members.push({ host: hostName, address: addr as string });
        }
        if (otherNic.length > 0) {
            r.fail(`${p}.parent`, `${p}.parent ${quote(parent)} is not the nic of ${listing(otherNic)}; a VLAN sits on its member hosts' nic: set the VLAN's parent or those hosts' nic to match`);
        }
        if (gateway !== undefined && subnet !== undefined) {
            if (!inBounds(subnet, gateway)) {
                r.fail(`${p}.gateway`, `${p}.gateway ${quote(gateway)} is outside the VLAN's subnet ${subnet.cidr}; pick an address inside it`);
            } else if (seenAddr.has(gateway)) {
                r.fail(`${p}.gateway`, `${p}.gateway ${quote(gateway)} is the address of ${seenAddr.get(gateway)} on the VLAN; the gateway is another router`);
            }
        }
        if (id !== undefined && parent !== undefined && interfaceName !== undefined && defaultRoute !== undefined) {
            const spec: VlanSpec = { id, parent, interfaceName, members, defaultRoute, ...(gateway !== undefined ? { gateway } : {}) };
            result.specs.push(spec);
            result.index.set(spec, i);
        }
    });
    // At most one default route per host: the second VLAN that gives a host one is the entry to change.
    const defaultOf = new Map<string, number>();
    for (const vl of result.specs) {
        if (defaultRouteOf(vl) !== "via-gateway") {
            continue; // without a gateway it is no route: reported at its defaultRoute already
        }
        const i = result.index.get(vl)!;
        const again = vl.members.filter((m) => defaultOf.has(m.host));
        if (again.length > 0) {
            const firsts = [...new Set(again.map((m) => `vlans[${defaultOf.get(m.host)}]`))];
            r.fail(
                `vlans[${i}].defaultRoute`,
                `vlans[${i}].defaultRoute true gives ${listing(again.map((m) => m.host))} a second default route (${listing(firsts)} already gives ${again.length === 1 ? "it" : "them"} one); a host has one default route: set defaultRoute on at most one VLAN of each host`,
            );
        }
        for (const m of vl.members) {
            if (!defaultOf.has(m.host)) {
                defaultOf.set(m.host, i);
            }
        }
    }
    return result;
}

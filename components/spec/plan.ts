/**
 * The address plan: facts derived from a valid spec. Pure.
 *
 * Docker's IPAM is per host: two daemons with the same subnet hand out the same addresses to
 * containers started without `--ip`. The plan gives every host of a network its own dynamic range
 * (Docker's `ip-range`, an aligned CIDR block) that holds no fixed address (network, broadcast,
 * gateway, static container addresses, reserved shims and routers) and overlaps no other host's
 * range, and lists the aux addresses each host's Docker must never hand out or accept as `--ip`.
 *
 * Cost: linear in hosts + containers per network (32 passes over the fixed addresses at most).
 * The per-host aux lists are materialised on demand by {@link auxAddresses}: each host's list holds
 * the other hosts' static addresses, so all lists together are quadratic by nature and are only
 * built for the hosts a program actually declares.
 */
import { IPv4, IPv4CidrRange } from "ip-num";
import { LabParts, ValidationError } from "./types";

/** An address in a network's subnet that is taken, and by what. */
export interface FixedAddress {
    address: string;
    /** `network`, `broadcast`, `gateway`, a reserved name, `<container>@<host>`, or `<host>-<interface>`. */
    owner: string;
    kind: "network" | "broadcast" | "gateway" | "reserved" | "static" | "host";
    /** For statics: the host the container runs on; for host addresses: the host that has it. */
    host?: string;
}

export interface NetworkPlan {
    name: string;
    subnet: string;
    gateway: string;
    /** Host name -> that host's Docker `ip-range` (CIDR). Pairwise disjoint. */
    ranges: Record<string, string>;
    /** Every fixed address of the subnet, sorted by address. */
    fixed: FixedAddress[];
}

export interface LabPlan {
    networks: Record<string, NetworkPlan>;
}

/** Smallest range a host gets: a /30 (4 addresses). */
export const MAX_RANGE_PREFIX = 30;

/**
 * Plans every network of a spec (or of the parts of one a program builds without a stack: hosts,
 * VLANs, networks, containers). Errors when a subnet cannot give each host a disjoint range.
 */
export function planLab(spec: LabParts): { plan: LabPlan; errors: ValidationError[] } {
    const plan: LabPlan = { networks: {} };
    const errors: ValidationError[] = [];
    // every host address once, as a number: SSH addresses (IPv4 ones) and VLAN addresses
    const hostAddresses = [
        ...spec.hosts
            .filter((h) => IPV4.test(h.ssh.address))
            .map((h) => ({ address: h.ssh.address, owner: `${h.name}-ssh`, host: h.name })),
        ...spec.vlans.flatMap((vl) =>
            vl.members.map((m) => ({ address: m.address.split("/")[0], owner: `${m.host}-${vl.interfaceName}`, host: m.host })),
        ),
    ].map((a) => ({ ...a, value: value(a.address) }));
    spec.networks.forEach((n, i) => {
        const subnet = IPv4CidrRange.fromCidr(n.subnet);
        const first = subnet.getFirst().getValue();
        const last = subnet.getLast().getValue();
        const fixed: FixedAddress[] = [
            { address: ip(first), owner: "network", kind: "network" },
            { address: ip(last), owner: "broadcast", kind: "broadcast" },
            { address: n.gateway, owner: "gateway", kind: "gateway" },
            ...Object.entries(n.reserved).map(([owner, address]) => ({ address, owner, kind: "reserved" as const })),
        ];
        for (const c of spec.containers) {
            if (c.network === n.name && c.ip !== undefined) {
                fixed.push({ address: c.ip, owner: `${c.name}@${c.host}`, kind: "static", host: c.host });
            }
        }
        // the hosts' own addresses that fall inside the subnet (a VLAN address on the same segment)
        for (const h of hostAddresses) {
            if (h.value >= first && h.value <= last) {
                fixed.push({ address: h.address, owner: h.owner, kind: "host", host: h.host });
            }
        }
        const keyed = fixed.map((f) => ({ f, v: value(f.address) })).sort((a, b) => compare(a.v, b.v));
        fixed.splice(0, fixed.length, ...keyed.map((k) => k.f));
        const taken = keyed.map((k) => k.v);
        const hosts = n.hosts;
        const subnetPrefix = Number(n.subnet.split("/")[1]);
        const blocks = pickBlocks(first, subnetPrefix, taken, hosts.length);
        if (blocks === undefined) {
            const path = `networks[${i}]`;
            errors.push({
                path,
                message:
                    `${path} ${n.name}: subnet ${n.subnet} cannot give ${hosts.length === 1 ? "its host a dynamic range" : `each of its ${hosts.length} hosts a disjoint dynamic range`} ` +
                    `of at least ${2 ** (32 - MAX_RANGE_PREFIX)} addresses free of the gateway, static, reserved and host addresses; ` +
                    `use a larger subnet, fewer hosts, or fewer scattered static addresses`,
            });
            return;
        }
        const ranges: Record<string, string> = {};
        hosts.forEach((h, k) => {
            ranges[h] = blocks[k];
        });
        plan.networks[n.name] = { name: n.name, subnet: n.subnet, gateway: n.gateway, ranges, fixed };
    });
    return { plan, errors };
}

/**
 * Finds `count` aligned blocks, as large as possible, inside the subnet starting at `base` with
 * prefix `subnetPrefix`, none containing a taken address. Returns CIDR strings in address order.
 */
function pickBlocks(base: bigint, subnetPrefix: number, taken: bigint[], count: number): string[] | undefined {
    if (count === 0) {
        return [];
    }
    const minPrefix = subnetPrefix + Math.ceil(Math.log2(count));
    for (let prefix = Math.max(minPrefix, subnetPrefix + 1); prefix <= MAX_RANGE_PREFIX; prefix++) {
        const shift = BigInt(32 - prefix);
        const total = 1n << BigInt(prefix - subnetPrefix);
        const occupied = new Set<bigint>();
        for (const t of taken) {
            occupied.add((t - base) >> shift);
        }
        if (total - BigInt(occupied.size) < BigInt(count)) {
            continue;
        }
        const out: string[] = [];
        for (let b = 0n; out.length < count; b++) {
            if (!occupied.has(b)) {
                out.push(`${ip(base + (b << shift))}/${prefix}`);
            }
        }
        return out;
    }
    return undefined;
}

/**
 * The aux addresses of `host` on `network`, by name, for Docker's IPAM `aux_addresses`: the
 * reserved addresses, the hosts' own addresses inside the subnet, and the other hosts' static
 * container addresses, so that this host's Docker neither hands them out nor accepts them as `--ip`. The gateway is not listed: Docker reserves it
 * itself and refuses an aux address equal to it. The host's own statics are not listed either: they
 * are requested with `--ip` on this host.
 */
export function auxAddresses(plan: LabPlan, network: string, host: string): Record<string, string> {
    const n = plan.networks[network];
    if (!n) {
        throw new Error(`no plan for network ${network}`);
    }
    const out: Record<string, string> = {};
    for (const f of n.fixed) {
        if (f.kind === "reserved" || f.kind === "host" || (f.kind === "static" && f.host !== host)) {
            out[f.owner] = f.address;
        }
    }
    return out;
}

const IPV4 = /^[0-9]{1,3}(\.[0-9]{1,3}){3}$/;

function value(address: string): bigint {
    return new IPv4(address).getValue();
}

function ip(v: bigint): string {
    return IPv4.fromNumber(v).toString();
}

function compare(a: bigint, b: bigint): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

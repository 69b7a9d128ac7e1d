/**
 * The address plan: facts derived from a valid spec. Pure.
 *
 * Docker's IPAM is per host: two daemons with the same subnet hand out the same addresses to
 * containers started without `--ip`. The plan gives every host of a network its own dynamic range
 * (Docker's `ip-range`, an aligned CIDR block) that holds no fixed address (network, broadcast,
 * gateway, static container addresses of every host, reserved shims and routers, the hosts' own
 * addresses) and overlaps no other host's range.
 *
 * Aux addresses ({@link auxAddresses}) are what a host's Docker must keep for itself: with
 * `ip-range` set, Docker's default IPAM hands out addresses only inside the range (libnetwork
 * `getAddress`: `SetAnyInRange(ipr.Start, ipr.End)` when no address is requested), so only a fixed
 * address inside the host's own range could be handed out by mistake. The ranges hold none by
 * construction, so a host's aux list is the network's reserved addresses (declared by the user,
 * their count does not grow with the hosts) plus whatever fixed address its range holds (none
 * today; kept so the rule does not depend on how the ranges were chosen). The other hosts' static
 * addresses lie outside this host's range and are not listed: listing them made every host's
 * network hold every other host's statics (17.9 million entries for 1,000 hosts x 8 networks x 20
 * containers).
 *
 * Cost: linear in hosts + containers per network (one pass over the fixed addresses per candidate
 * range size, at most 30); {@link auxAddresses} is logarithmic in the fixed addresses plus its output.
 */
import { IPv4, IPv4CidrRange } from "ip-num";
import { IPV4 } from "../contracts";
import { LabParts, ValidationError } from "./types";

/** An address in a network's subnet that is taken, and by what. */
export interface FixedAddress {
    address: string;
    /** `network`, `broadcast`, `gateway`, a reserved name, `<container>@<host>`, or `<host>-<interface>`. */
    owner: string;
    kind: "network" | "broadcast" | "gateway" | "reserved" | "shim" | "static" | "host";
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
    /**
     * The network's reserved addresses by name: the stack's `reserved` entries and each host shim's
     * address (`shim-<host>`). Aux addresses on every host: no Docker host hands them out.
     */
    reserved: Record<string, string>;
    /** Host -> that host's shim on this network (its address and interface). */
    shims: Record<string, { address: string; name: string }>;
    /**
     * The router's leg on this network, when the lab routes it: on `host`, interface `name`, holding
     * the network's gateway (which no host's range holds and Docker never hands out).
     */
    router?: { host: string; name: string; address: string };
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
        const shims: Record<string, { address: string; name: string }> = {};
        const reserved: Record<string, string> = { ...n.reserved };
        for (const s of spec.shims ?? []) {
            if (s.network === n.name) {
                fixed.push({ address: s.address, owner: `shim-${s.host}`, kind: "shim", host: s.host });
                reserved[`shim-${s.host}`] = s.address;
                shims[s.host] = { address: s.address, name: s.name };
            }
        }
        const leg = spec.router?.legs[n.name];
        const router = spec.router && leg !== undefined ? { host: spec.router.host, name: leg, address: n.gateway } : undefined;
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
            const path = `networks[${i}].subnet`;
            errors.push({
                path,
                message:
                    `${path} ${JSON.stringify(n.subnet)} cannot give ${hosts.length === 1 ? `the host of ${n.name} a dynamic range` : `each of the ${hosts.length} hosts of ${n.name} a disjoint dynamic range`} ` +
                    `of at least ${2 ** (32 - MAX_RANGE_PREFIX)} addresses free of the gateway, static, reserved and host addresses; ` +
                    `use a larger subnet, fewer hosts, or fewer scattered static addresses`,
            });
            return;
        }
        const ranges: Record<string, string> = {};
        hosts.forEach((h, k) => {
            ranges[h] = blocks[k];
        });
        plan.networks[n.name] = { name: n.name, subnet: n.subnet, gateway: n.gateway, ranges, fixed, reserved, shims, ...(router ? { router } : {}) };
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
 * network's reserved addresses, and every fixed address that lies inside the host's own range (the
 * only addresses its IPAM could hand out by mistake; none when the plan made the ranges). Never the
 * gateway (Docker reserves it itself and refuses an aux address equal to it), never the host's own
 * statics (requested with `--ip` on this host), never another host's statics outside this host's
 * range (this host's IPAM never hands them out). Logarithmic in the fixed addresses plus the output.
 */
export function auxAddresses(plan: LabPlan, network: string, host: string): Record<string, string> {
    const n = plan.networks[network];
    if (!n) {
        throw new Error(`no plan for network ${network}`);
    }
    const range = n.ranges[host];
    if (range === undefined) {
        throw new Error(`the plan of ${network} has no range for ${host}`);
    }
    const out: Record<string, string> = { ...n.reserved };
    const block = IPv4CidrRange.fromCidr(range);
    const first = block.getFirst().getValue();
    const last = block.getLast().getValue();
    // n.fixed is sorted by address: find the first one at or above the range's start
    let lo = 0;
    let hi = n.fixed.length;
    while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (value(n.fixed[mid].address) < first) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    for (let i = lo; i < n.fixed.length; i++) {
        const f = n.fixed[i];
        if (value(f.address) > last) {
            break;
        }
        const ownStatic = f.kind === "static" && f.host === host;
        if (f.kind !== "gateway" && f.kind !== "network" && f.kind !== "broadcast" && !ownStatic) {
            out[f.owner] = f.address;
        }
    }
    return out;
}

function value(address: string): bigint {
    return new IPv4(address).getValue();
}

function ip(v: bigint): string {
    return IPv4.fromNumber(v).toString();
}

function compare(a: bigint, b: bigint): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

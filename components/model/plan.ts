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
 * construction, so a host's aux list is the network's reserved addresses as the user declared them
 * (their count does not grow with the hosts; shims are not among them: adding one on one host must
 * not change, and so replace, the network on every host) plus whatever fixed address its range holds (none
 * today; kept so the rule does not depend on how the ranges were chosen). The other hosts' static
 * addresses lie outside this host's range and are not listed: listing them made every host's
 * network hold every other host's statics (17.9 million entries for 1,000 hosts x 8 networks x 20
 * containers).
 *
 * Day 2: a host keeps its range while the stack changes around it (see {@link planLab}): ranges are
 * pinned in the stack or remembered from its last deployment ({@link PlanMemory}), and only hosts
 * that have neither get a range chosen here.
 *
 * Cost: linear in hosts + containers per network (one pass over the fixed addresses per candidate
 * range size, at most 30, for a fresh plan; one per new host beside kept ranges);
 * {@link auxAddresses} is logarithmic in the fixed addresses plus its output.
 */
import { IPv4, IPv4CidrRange } from "ip-num";
import { IPV4 } from "../contracts";
import { LabParts, ValidationError } from "./types";
import { pathKey } from "./messages";
import type { PlanMemory } from "./planMemory";

// the memory of a plan (the `addressPlan` output read back) has its own file; imported from here too
export { PlanMemory, parsePlanMemory, planMemoryOf } from "./planMemory";

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
    /**
     * Host name -> where its range came from: `pinned` (the stack's `networks[i].ranges`), `kept`
     * (the stack's last deployment, {@link PlanMemory}) or `planned` (chosen by this plan).
     */
    origins: Record<string, RangeOrigin>;
    /** Every fixed address of the subnet, sorted by address. */
    fixed: FixedAddress[];
    /**
     * The network's reserved addresses by name: the stack's `reserved` entries and each host shim's
     * address (`shim-<host>`). No host's range holds one, and no static address may be one.
     */
    reserved: Record<string, string>;
    /**
     * The stack's own `reserved` entries of the network (not the shims): the aux addresses every
     * host's Docker is told to keep ({@link auxAddresses}).
     */
    declaredReserved: Record<string, string>;
    /** Host -> that host's shim on this network (its address and interface). */
    shims: Record<string, { address: string; name: string }>;
    /**
     * The router's leg on this network, when the lab routes it: on `host`, interface `name`, holding
     * the network's gateway (which no host's range holds and Docker never hands out).
     */
    router?: { host: string; name: string; address: string };
}

/** Where a host's range on a network came from (see {@link NetworkPlan.origins}). */
export type RangeOrigin = "pinned" | "kept" | "planned";

export interface LabPlan {
    networks: Record<string, NetworkPlan>;
}

/** Options of {@link planLab}. */
export interface PlanOptions {
    /**
     * The ranges of the stack's last deployment. Each host of a network keeps its range there when
     * the network's subnet is the same and the network is not marked `replan`. Defaults to none: a
     * fresh plan.
     */
    memory?: PlanMemory;
}

/** Smallest range a host gets: a /30 (4 addresses). */
export const MAX_RANGE_PREFIX = 30;

/** A fixed address with the config path that declares it (for messages). */
interface Placed extends FixedAddress {
    v: bigint;
    path: string;
}

/**
 * Plans every network of a spec (or of the parts of one a program builds without a stack: hosts,
 * VLANs, networks, containers).
 *
 * Which host gets which range, in this order:
 * 1. a range pinned in the stack (`networks[i].ranges.<host>`, {@link NetworkSpec.pinnedRanges});
 * 2. the range the host had in the stack's last deployment ({@link PlanOptions.memory}), unless the
 *    network's subnet changed or the network is marked `replan`;
 * 3. the other hosts: with no range pinned or kept on the network (a new network, a first
 *    deployment, a re-plan), the subnet is split into equal aligned blocks, as large as the free
 *    space allows, given in the order of the network's hosts; otherwise each new host, in the order
 *    of its name, gets the largest free aligned block (lowest address first). Neither depends on
 *    other networks, and a new host never moves a kept one.
 * A fixed address (a static container address, a reserved one, a shim, a host's own address, the
 * gateway) inside a pinned or kept range is an error naming the range's host, its range and the
 * free addresses outside every range: never a silent re-plan, which would replace the network and
 * its containers on that host.
 */
export function planLab(spec: LabParts, options: PlanOptions = {}): { plan: LabPlan; errors: ValidationError[] } {
    const plan: LabPlan = { networks: {} };
    const errors: ValidationError[] = [];
    // every host address once, as a number: SSH addresses (IPv4 ones) and VLAN addresses
    const hostAddresses = [
        ...spec.hosts.flatMap((h, k) =>
            IPV4.test(h.ssh.address) ? [{ address: h.ssh.address, owner: `${h.name}-ssh`, host: h.name, path: `hosts[${k}].address` }] : [],
        ),
        ...spec.vlans.flatMap((vl, j) =>
            vl.members.map((m) => ({ address: m.address.split("/")[0], owner: `${m.host}-${vl.interfaceName}`, host: m.host, path: pathKey(`vlans[${j}].addresses`, m.host) })),
        ),
    ].map((a) => ({ ...a, value: value(a.address) }));
    spec.networks.forEach((n, i) => {
        const p = `networks[${i}]`;
        const subnet = IPv4CidrRange.fromCidr(n.subnet);
        const first = subnet.getFirst().getValue();
        const last = subnet.getLast().getValue();
        const placed: Placed[] = [];
        const add = (f: FixedAddress, path: string): void => {
            placed.push({ ...f, v: value(f.address), path });
        };
        add({ address: ip(first), owner: "network", kind: "network" }, `${p}.subnet`);
        add({ address: ip(last), owner: "broadcast", kind: "broadcast" }, `${p}.subnet`);
        add({ address: n.gateway, owner: "gateway", kind: "gateway" }, `${p}.gateway`);
        for (const [owner, address] of Object.entries(n.reserved)) {
            add({ address, owner, kind: "reserved" }, pathKey(`${p}.reserved`, owner));
        }
        const shims: Record<string, { address: string; name: string }> = {};
        const reserved: Record<string, string> = { ...n.reserved };
        (spec.shims ?? []).forEach((s, k) => {
            if (s.network === n.name) {
                add({ address: s.address, owner: `shim-${s.host}`, kind: "shim", host: s.host }, `shims[${k}].address`);
                reserved[`shim-${s.host}`] = s.address;
                shims[s.host] = { address: s.address, name: s.name };
            }
        });
        const leg = spec.router?.legs[n.name];
        const router = spec.router && leg !== undefined ? { host: spec.router.host, name: leg, address: n.gateway } : undefined;
        spec.containers.forEach((c, k) => {
            if (c.network === n.name && c.ip !== undefined) {
                add({ address: c.ip, owner: `${c.name}@${c.host}`, kind: "static", host: c.host }, `containers[${k}].ip`);
            }
        });
        // the hosts' own addresses that fall inside the subnet (a VLAN address on the same segment)
        for (const h of hostAddresses) {
            if (h.value >= first && h.value <= last) {
                add({ address: h.address, owner: h.owner, kind: "host", host: h.host }, h.path);
            }
        }
        placed.sort((a, b) => compare(a.v, b.v));
        const fixed: FixedAddress[] = placed.map(({ address, owner, kind, host }) => ({ address, owner, kind, ...(host !== undefined ? { host } : {}) }));
        const taken = placed.map((f) => f.v);
        const subnetPrefix = Number(n.subnet.split("/")[1]);

        // 1 and 2: pinned and kept ranges
        const ranges: Record<string, string> = {};
        const origins: Record<string, RangeOrigin> = {};
        const held: Array<{ host: string; lo: bigint; hi: bigint; cidr: string; origin: RangeOrigin }> = [];
        const overlapping = (lo: bigint, hi: bigint) => held.find((b) => b.lo <= hi && lo <= b.hi);
        const usable = (cidr: string): { lo: bigint; hi: bigint } | undefined => {
            const [base, bits] = cidr.split("/");
            const prefix = Number(bits);
            if (prefix <= subnetPrefix || prefix > MAX_RANGE_PREFIX) return undefined;
            const lo = value(base);
            const size = 1n << BigInt(32 - prefix);
            if (lo % size !== 0n || lo < first || lo + size - 1n > last) return undefined;
            return { lo, hi: lo + size - 1n };
        };
        let pinProblem = false;
        for (const h of n.hosts) {
            const pin = n.pinnedRanges?.[h];
            if (pin === undefined) continue;
            const b = usable(pin);
            const path = pathKey(`${p}.ranges`, h);
            if (b === undefined) {
                errors.push({ path, message: `${path} ${JSON.stringify(pin)} is not an aligned block of ${n.subnet} between /${subnetPrefix + 1} and /${MAX_RANGE_PREFIX}; pin a block such as ${ip(first + (1n << BigInt(31 - subnetPrefix)))}/${subnetPrefix + 1}, or drop the pin` });
                pinProblem = true;
                continue;
            }
            const other = overlapping(b.lo, b.hi);
            if (other) {
                errors.push({ path, message: `${path} ${JSON.stringify(pin)} overlaps ${other.host}'s pinned range ${other.cidr} on ${n.name}; give each host its own block` });
                pinProblem = true;
                continue;
            }
            held.push({ host: h, ...b, cidr: pin, origin: "pinned" });
        }
        const remembered = n.replan ? undefined : options.memory?.networks[n.name];
        if (remembered !== undefined && remembered.subnet === n.subnet) {
            // hosts in name order: deterministic whatever the list order (overlaps only in a damaged memory)
            for (const h of [...n.hosts].sort()) {
                const r = remembered.ranges[h];
                if (r === undefined || n.pinnedRanges?.[h] !== undefined) continue;
                const b = usable(r);
                if (b === undefined || overlapping(b.lo, b.hi)) continue;
                held.push({ host: h, ...b, cidr: r, origin: "kept" });
            }
        }
        // a fixed address inside a pinned or kept range: the stack must change, not the range
        let heldProblem = pinProblem;
        if (held.length > 0) {
            held.sort((a, b) => compare(a.lo, b.lo));
            for (const f of placed) {
                const b = held.find((x) => x.lo <= f.v && f.v <= x.hi);
                if (b === undefined) continue;
                heldProblem = true;
                const free = freeListing(first, last, taken, held);
                const fix =
                    b.origin === "pinned"
                        ? `move the pin networks[${i}].ranges.${b.host} off it, or pick another address`
                        : `pick an address outside every host's range${free ? ` (free: ${free})` : ""}, or re-plan ${n.name} on purpose with ${p}.replan: true (that replaces ${n.name} and its containers on every host)`;
                const where = b.origin === "pinned" ? `pinned with ${p}.ranges.${b.host}` : "kept from the stack's last deployment so its network and containers stay";
                const what = f.kind === "static" ? `${f.path} ${f.address} (${f.owner.split("@")[0]} on ${f.host})` : `${f.path} ${f.address}`;
                errors.push({
                    path: b.origin === "pinned" && f.kind !== "static" ? `${p}.ranges.${b.host}` : f.path,
                    message: `${what} lies in ${b.host}'s dynamic range ${b.cidr} of ${n.name} (${where}); ${fix}`,
                });
            }
        }
        if (heldProblem) {
            return;
        }
        for (const b of held) {
            ranges[b.host] = b.cidr;
            origins[b.host] = b.origin;
        }
        // 3: the hosts without a range
        const fresh = n.hosts.filter((h) => ranges[h] === undefined);
        if (held.length === 0) {
            const blocks = pickBlocks(first, subnetPrefix, taken, fresh.length);
            if (blocks === undefined) {
                errors.push({ path: `${p}.subnet`, message: cannotFit(p, n, fresh.length) });
                return;
            }
            fresh.forEach((h, k) => {
                ranges[h] = blocks[k];
                origins[h] = "planned";
            });
        } else {
            const occupied = [...held];
            for (const h of [...fresh].sort()) {
                const b = largestFreeBlock(first, last, subnetPrefix, taken, occupied);
                if (b === undefined) {
                    errors.push({
                        path: `${p}.subnet`,
                        message:
                            `${p}.subnet ${JSON.stringify(n.subnet)} has no free block of at least ${2 ** (32 - MAX_RANGE_PREFIX)} addresses left for ${h}'s dynamic range on ${n.name} ` +
                            `beside the ranges the other hosts keep (${occupied.map((o) => `${o.host} ${o.cidr}`).join(", ")}); use a larger subnet, ` +
                            `or re-plan ${n.name} on purpose with ${p}.replan: true (that replaces ${n.name} and its containers on every host)`,
                    });
                    return;
                }
                occupied.push({ host: h, ...b, origin: "planned" });
                occupied.sort((a, c) => compare(a.lo, c.lo));
                ranges[h] = b.cidr;
                origins[h] = "planned";
            }
        }
        // ranges and origins in the network's host order
        const ordered = Object.fromEntries(n.hosts.map((h) => [h, ranges[h]]));
        const orderedOrigins = Object.fromEntries(n.hosts.map((h) => [h, origins[h]]));
        plan.networks[n.name] = {
            name: n.name,
            subnet: n.subnet,
            gateway: n.gateway,
            ranges: ordered,
            origins: orderedOrigins,
            fixed,
            reserved,
            declaredReserved: { ...n.reserved },
            shims,
            ...(router ? { router } : {}),
        };
    });
    return { plan, errors };
}

function cannotFit(p: string, n: { name: string; subnet: string }, count: number): string {
    const path = `${p}.subnet`;
    return (
        `${path} ${JSON.stringify(n.subnet)} cannot give ${count === 1 ? `the host of ${n.name} a dynamic range` : `each of the ${count} hosts of ${n.name} a disjoint dynamic range`} ` +
        `of at least ${2 ** (32 - MAX_RANGE_PREFIX)} addresses free of the gateway, static, reserved and host addresses; ` +
        `use a larger subnet, fewer hosts, or fewer scattered static addresses`
    );
}

/**
 * The largest aligned block (at most half the subnet, at least a /{@link MAX_RANGE_PREFIX}) inside
 * [first, last] that holds no taken address and overlaps no occupied block; the lowest such block
 * when several are as large. `taken` is sorted, `occupied` sorted by start. Linear in both.
 */
function largestFreeBlock(
    first: bigint,
    last: bigint,
    subnetPrefix: number,
    taken: bigint[],
    occupied: ReadonlyArray<{ lo: bigint; hi: bigint }>,
): { lo: bigint; hi: bigint; cidr: string } | undefined {
    let best: { lo: bigint; size: bigint } | undefined;
    const maxSize = 1n << BigInt(31 - subnetPrefix);
    const minSize = 1n << BigInt(32 - MAX_RANGE_PREFIX);
    for (const [a, b] of gaps(first, last, taken, occupied)) {
        for (let size = maxSize; size >= minSize && (best === undefined || size >= best.size); size >>= 1n) {
            const start = ((a + size - 1n) / size) * size;
            if (start + size - 1n <= b) {
                if (best === undefined || size > best.size) best = { lo: start, size };
                break;
            }
        }
    }
    if (best === undefined) return undefined;
    const prefix = 32 - (best.size.toString(2).length - 1);
    return { lo: best.lo, hi: best.lo + best.size - 1n, cidr: `${ip(best.lo)}/${prefix}` };
}

/** The runs of addresses in [first, last] that are neither taken nor in an occupied block, in order. */
function gaps(first: bigint, last: bigint, taken: bigint[], occupied: ReadonlyArray<{ lo: bigint; hi: bigint }>): Array<[bigint, bigint]> {
    const busy = [...taken.map((t) => ({ lo: t, hi: t })), ...occupied].sort((a, b) => compare(a.lo, b.lo));
    const out: Array<[bigint, bigint]> = [];
    let next = first;
    for (const b of busy) {
        if (b.lo > next) out.push([next, b.lo - 1n]);
        if (b.hi + 1n > next) next = b.hi + 1n;
    }
    if (next <= last) out.push([next, last]);
    return out;
}

/** The first few free runs of a subnet outside every range, for messages: `172.16.10.2-172.16.10.9, ...`. */
function freeListing(first: bigint, last: bigint, taken: bigint[], held: ReadonlyArray<{ lo: bigint; hi: bigint }>): string {
    const runs = gaps(first, last, taken, held);
    const shown = runs.slice(0, 4).map(([a, b]) => (a === b ? ip(a) : `${ip(a)}-${ip(b)}`));
    return runs.length > 4 ? `${shown.join(", ")} and ${runs.length - 4} more` : shown.join(", ");
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
 * network's reserved addresses as the stack declares them (not the shims' addresses, which lie outside
 * every range by construction: listing them would change every host's network, and so replace it,
 * when one host gains a shim), and every fixed address that lies inside the host's own range (the
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
    // the stack's own reserved entries; not the shims: they lie outside every range by construction,
    // and an aux list that held them would change (and replace the network on every host) whenever
    // a shim is added on one host
    const out: Record<string, string> = { ...n.declaredReserved };
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

/**
 * Seeded generators of VALID raw lab configs (the JSON shape of a stack's `macvlan-lab:` keys), for
 * the address plan's property tests (test/unit) and the benchmarks (bench/plan.bench.ts,
 * bench/program.bench.ts).
 *
 * Why tools/ and not test/ or lab/: both the tests and the benchmarks use it, and neither should
 * import the other's folder (a benchmark that imports from test/ reads as a test, and bench/ is not
 * a library either); it is no part of the product (components/), and no part of the local lab
 * (lab/ makes hosts and runs the engine). tools/ holds such shared code of the repo's own tooling.
 * bench/program.bench.ts transpiles this file alone into its build (lab/build.ts
 * `transpileTree`): it imports nothing of the repo but types (`import type`, erased).
 *
 * Its types are not a description of their own: each raw section is cut from the one model of the
 * config (components/model/types.ts: a field keeps the model's name and type), and the keys a stack
 * writes differently from the model (a host's flat `address`/`port`, where the model has `ssh`; a
 * VLAN's `addresses` map, where the model has `members`; a network's single `parent` and `hosts`
 * list, where the model has `parents` by host) take their value types from the model's field. The
 * whole config's keys are checked against the validator's `LAB_CONFIG_KEYS` and it must be a
 * `RawLabConfig` (components/model/validate.ts).
 *
 * Deterministic: every choice comes from {@link Rng}, a small seeded PRNG (mulberry32), never from
 * Math.random, so a failing seed reproduces. Every generated config must pass `parseLab` with no
 * error (the tests assert it); when a generator cannot honour that it throws, naming the seed.
 *
 * Address layout, chosen so that generated labs are valid by construction:
 * - management (SSH) addresses: 192.168.0.0/17 (192.168.1.2, 192.168.1.3, ...);
 * - VLAN interface addresses: 192.168.128.0/17, one /22 per VLAN (up to 1,021 members);
 * - macvlan subnets: aligned blocks /16 to /26 inside 10.0.0.0/8 or 172.16.0.0/12, pairwise
 *   disjoint, so they never contain a host's management or VLAN address.
 * - every macvlan network but at most one sits on its own VLAN: Docker attaches one macvlan
 *   network per parent interface, so only one network may use the bare NIC.
 *
 * IP arithmetic uses ip-num (bigint values); the generator only adds offsets to aligned bases.
 */
import { createHash } from "crypto";
import { IPv4, IPv4CidrRange } from "ip-num";
import type { ChecksSpec, ContainerSpec, HostSpec, NetworkSpec, RegistrySpec, SshSpec, VlanMemberSpec, VlanSpec } from "../components/model/types";
import type { LAB_CONFIG_KEYS, RawLabConfig } from "../components/model/validate";

/** mulberry32: a tiny 32-bit PRNG, good enough to spread test cases and fully reproducible. */
export class Rng {
    private state: number;

    constructor(readonly seed: number) {
        this.state = seed >>> 0;
    }

    /** A float in [0, 1). */
    next(): number {
        this.state = (this.state + 0x6d2b79f5) >>> 0;
        let t = this.state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    }

    /** An integer in [min, max], both included. */
    int(min: number, max: number): number {
        return min + Math.floor(this.next() * (max - min + 1));
    }

    /** A bigint in [0, n). Two draws, so it covers ranges up to 2^53. */
    below(n: bigint): bigint {
        const hi = BigInt(Math.floor(this.next() * 2 ** 21));
        const lo = BigInt(Math.floor(this.next() * 2 ** 32));
        return ((hi << 32n) | lo) % n;
    }

    chance(p: number): boolean {
        return this.next() < p;
    }

    pick<T>(xs: readonly T[]): T {
        return xs[Math.floor(this.next() * xs.length)];
    }

    shuffle<T>(xs: T[]): T[] {
        for (let i = xs.length - 1; i > 0; i--) {
            const j = Math.floor(this.next() * (i + 1));
            [xs[i], xs[j]] = [xs[j], xs[i]];
        }
        return xs;
    }
}

/* The raw shapes the generators produce (a subset of what parseLab accepts), cut from the model. */

/** `hosts[i]`: the model's name, NIC and backend, and its SSH address and port written flat. */
export type RawHost = Pick<HostSpec, "name" | "nic"> & Pick<SshSpec, "address"> & Partial<Pick<HostSpec, "backend"> & Pick<SshSpec, "port" | "hostKey">>;

/** `vlans[i]`: the model's id and parent, and its members as `addresses` (host name -> address/prefix). */
export type RawVlan = Pick<VlanSpec, "id" | "parent"> & { addresses: Record<VlanMemberSpec["host"], VlanMemberSpec["address"]> };

/**
 * `networks[i]`: the model's fields, with one `parent` for every host (the model's `parents` has it
 * by host) and `hosts` as names or `{ name }` entries.
 */
export type RawNetwork = Pick<NetworkSpec, "name" | "subnet" | "gateway"> &
    Partial<Pick<NetworkSpec, "vlan" | "reserved" | "driver" | "mode">> & {
        parent?: NetworkSpec["parents"][string];
        hosts?: Array<HostSpec["name"] | Pick<HostSpec, "name">>;
    };

/** `containers[i]`: the model's fields the generators set (`ip` optional there too). */
export type RawContainer = Pick<ContainerSpec, "name" | "host" | "network" | "ip" | "image">;

/** `registry`: the model's host, port and mirrors. */
export type RawRegistry = Pick<RegistrySpec, "host" | "port" | "mirrors">;

/** A key of the lab's config, as the validator lists them. */
type LabConfigKey = (typeof LAB_CONFIG_KEYS)[number];

/** `T`, checked to be a raw config whose every key is one the validator knows. */
type RawConfig<T extends RawLabConfig & Record<Exclude<keyof T, LabConfigKey>, never>> = T;

/** A generated raw config; assignable to `RawLabConfig` (a type alias, so it has an implicit index signature). */
export type GeneratedLab = RawConfig<{
    hosts: RawHost[];
    ssh?: Pick<SshSpec, "user" | "port">;
    vlans: RawVlan[];
    networks: RawNetwork[];
    registry?: RawRegistry;
    containers: RawContainer[];
    checks: Pick<ChecksSpec, "connectivity"> & Partial<Pick<ChecksSpec, "isolation">>;
}>;

const MANAGEMENT = IPv4CidrRange.fromCidr("192.168.0.0/17");
const VLAN_AREA = IPv4CidrRange.fromCidr("192.168.128.0/17");
const POOLS = [IPv4CidrRange.fromCidr("10.0.0.0/8"), IPv4CidrRange.fromCidr("172.16.0.0/12")];
/** Hosts a generator can address: 192.168.1.2 .. in the management /17, and members of a VLAN /22. */
export const MAX_HOSTS = 1021;

function ip(v: bigint): string {
    return IPv4.fromNumber(v).toString();
}

function hostName(i: number, count: number): string {
    return `docker${String(i + 1).padStart(Math.max(2, String(count).length), "0")}`;
}

/** Management address of host i: 192.168.1.2 + i, inside 192.168.0.0/17. */
function managementAddress(i: number): string {
    return ip(MANAGEMENT.getFirst().getValue() + 256n + 2n + BigInt(i));
}

/** The VLAN subnet of the k-th VLAN: 192.168.(128 + 4k).0/22. */
function vlanSubnet(k: number): IPv4CidrRange {
    if (k >= 32) {
        throw new Error(`generate: at most 32 VLANs fit in ${VLAN_AREA.toCidrString()}`);
    }
    return IPv4CidrRange.fromCidr(`${ip(VLAN_AREA.getFirst().getValue() + BigInt(k) * 1024n)}/22`);
}

/** Smallest prefix length p with 2^(32-p) >= n. */
function bitsFor(n: number): number {
    return Math.ceil(Math.log2(Math.max(n, 1)));
}

/**
 * The longest prefix (smallest subnet) that still fits: the address plan needs `hosts` free /30
 * blocks, and each of `fixed` addresses (network, broadcast, gateway, reserved, statics) can spoil
 * at most one block, so 2^(30-p) >= hosts + fixed is enough whatever the layout.
 */
export function longestFittingPrefix(hosts: number, fixed: number): number {
    return 30 - bitsFor(hosts + fixed);
}

/** Picks an aligned subnet of prefix `prefix` in one of the pools, disjoint from `taken`. */
function pickSubnet(rng: Rng, prefix: number, taken: IPv4CidrRange[]): IPv4CidrRange {
    for (let attempt = 0; attempt < 200; attempt++) {
        const pool = rng.pick(POOLS);
        const poolPrefix = Number(pool.getPrefix().getValue());
        if (prefix < poolPrefix) {
            continue;
        }
        const slots = 1n << BigInt(prefix - poolPrefix);
        const size = 1n << BigInt(32 - prefix);
        const base = pool.getFirst().getValue() + rng.below(slots) * size;
        const candidate = IPv4CidrRange.fromCidr(`${ip(base)}/${prefix}`);
        if (!taken.some((t) => t.isOverlapping(candidate))) {
            return candidate;
        }
    }
    throw new Error(`generate (seed ${rng.seed}): no free /${prefix} left after 200 attempts`);
}

/** Options of {@link randomLab}. */
export interface RandomLabOptions {
    /** Host count range. Defaults to 1..64. */
    minHosts?: number;
    maxHosts?: number;
    /** Network count range. Defaults to 1..4. */
    minNetworks?: number;
    maxNetworks?: number;
}

interface NetworkDraft {
    name: string;
    hosts: number[];
    allHosts: boolean;
    subnet?: IPv4CidrRange;
    gateway?: bigint;
    reservedCount: number;
    /** How statics are laid out: uniformly over the subnet, in one run, or from the bottom up. */
    layout: "scattered" | "run" | "low";
    attach: "vlan" | "vlan-parent" | "nic";
    vlanIndex?: number;
}

/**
 * A random valid lab: 1..64 hosts (by default), 1..4 networks, each on a random subset of the
 * hosts, random subnets /16 to /26 (sometimes exactly as small as the plan allows), random gateways,
 * reserved addresses, 0..3 containers per host and network, most with a static address, some
 * without; sometimes a registry and an isolation check.
 */
export function randomLab(seed: number, options: RandomLabOptions = {}): GeneratedLab {
    const rng = new Rng(seed);
    const hostCount = rng.int(options.minHosts ?? 1, options.maxHosts ?? 64);
    const networkCount = rng.int(options.minNetworks ?? 1, options.maxNetworks ?? 4);
    if (hostCount > MAX_HOSTS) {
        throw new Error(`generate: at most ${MAX_HOSTS} hosts`);
    }
    const nic = rng.pick(["ens33", "eth0", "enp0s3"]);
    const hosts: RawHost[] = [];
    for (let i = 0; i < hostCount; i++) {
        const h: RawHost = { name: hostName(i, hostCount), address: managementAddress(i), nic };
        if (rng.chance(0.3)) {
            h.backend = rng.pick(["ifcfg", "nmcli", "iproute2"] as const);
        }
        if (rng.chance(0.1)) {
            h.port = rng.int(2200, 2299);
        }
        hosts.push(h);
    }

    // networks: which hosts, how attached
    const drafts: NetworkDraft[] = [];
    let vlanCount = 0;
    for (let k = 0; k < networkCount; k++) {
        const allHosts = rng.chance(0.5);
        let members = allHosts ? hosts.map((_, i) => i) : hosts.map((_, i) => i).filter(() => rng.chance(0.6));
        if (members.length === 0) {
            members = [rng.int(0, hostCount - 1)];
        }
        // Docker: one macvlan network per parent; only the first network may use the bare NIC
        const attach = k === 0 && rng.chance(0.3) ? "nic" : rng.chance(0.2) ? "vlan-parent" : "vlan";
        drafts.push({
            name: `net${k}_${rng.pick(["mac", "lan", "svc"])}`,
            hosts: members,
            allHosts,
            reservedCount: rng.chance(0.4) ? rng.int(1, 3) : 0,
            layout: rng.pick(["scattered", "run", "low"] as const),
            attach,
            ...(attach === "nic" ? {} : { vlanIndex: vlanCount++ }),
        });
    }

    // containers per (host, network), decided before the subnets so the subnets can be sized
    const plannedContainers: Array<{ host: number; net: number; static: boolean }> = [];
    for (const [k, d] of drafts.entries()) {
        for (const h of d.hosts) {
            const n = rng.int(0, 3);
            for (let j = 0; j < n; j++) {
                plannedContainers.push({ host: h, net: k, static: rng.chance(0.75) });
            }
        }
    }

    // subnets: sized from the host count and the fixed addresses
    const subnets: IPv4CidrRange[] = [];
    for (const [k, d] of drafts.entries()) {
        const statics = plannedContainers.filter((c) => c.net === k && c.static).length;
        const fixed = 3 + d.reservedCount + statics;
        const longest = Math.min(26, longestFittingPrefix(d.hosts.length, fixed));
        if (longest < 16) {
            throw new Error(`generate (seed ${seed}): ${d.hosts.length} hosts and ${fixed} fixed addresses need more than a /16`);
        }
        // a third of the networks as small as the plan allows: ranges down to /30, tight fits
        const prefix = rng.chance(0.33) ? longest : rng.int(16, longest);
        d.subnet = pickSubnet(rng, prefix, subnets);
        subnets.push(d.subnet);
    }

    const vlans: RawVlan[] = [];
    const networks: RawNetwork[] = [];
    const used = new Map<number, Set<bigint>>();
    const reservedOf = new Map<number, Record<string, string>>();
    for (const [k, d] of drafts.entries()) {
        const subnet = d.subnet!;
        const first = subnet.getFirst().getValue();
        const last = subnet.getLast().getValue();
        const taken = new Set<bigint>([first, last]);
        const gateway = rng.pick(["first", "last", "random"] as const);
        d.gateway =
            gateway === "first" ? first + 1n : gateway === "last" ? last - 1n : first + 1n + rng.below(last - first - 1n);
        taken.add(d.gateway);
        const reserved: Record<string, string> = {};
        for (let j = 0; j < d.reservedCount; j++) {
            const a = freeAddress(rng, subnet, taken, "scattered", 0n);
            reserved[j === 0 ? "shim" : `router-${j}`] = ip(a);
        }
        used.set(k, taken);
        reservedOf.set(k, reserved);

        const net: RawNetwork = { name: d.name, subnet: subnet.toCidrString(), gateway: ip(d.gateway) };
        if (d.attach !== "nic") {
            const vid = 100 + d.vlanIndex!;
            const vs = vlanSubnet(d.vlanIndex!);
            const addresses: Record<string, string> = {};
            for (const h of d.hosts) {
                addresses[hosts[h].name] = `${ip(vs.getFirst().getValue() + 1n + BigInt(h))}/22`;
            }
            vlans.push({ id: vid, parent: nic, addresses });
            if (d.attach === "vlan") {
                net.vlan = vid;
            } else {
                net.parent = `${nic}.${vid}`;
            }
        } else if (rng.chance(0.5)) {
            net.parent = nic;
        }
        if (!d.allHosts || rng.chance(0.5)) {
            net.hosts = d.hosts.map((h) => (rng.chance(0.8) ? hosts[h].name : { name: hosts[h].name }));
        }
        if (d.reservedCount > 0) {
            net.reserved = reserved;
        }
        if (rng.chance(0.2)) {
            net.driver = "macvlan";
            net.mode = "bridge";
        }
        networks.push(net);
    }

    const registry: RawRegistry | undefined = rng.chance(0.4)
        ? { host: hosts[0].name, port: rng.int(5000, 5999), mirrors: [{ source: "busybox:latest", name: "busybox", tag: "v1" }] }
        : undefined;
    const images = registry ? ["busybox:latest", `${hosts[0].address}:${registry.port}/busybox:v1`] : ["busybox:latest"];

    const containers: RawContainer[] = [];
    const perHost = new Map<number, number>();
    const runCursor = new Map<number, bigint>();
    for (const c of plannedContainers) {
        const d = drafts[c.net];
        const j = perHost.get(c.host) ?? 0;
        perHost.set(c.host, j + 1);
        const container: RawContainer = {
            name: `c${j}-${d.name}`,
            host: hosts[c.host].name,
            network: d.name,
            image: rng.pick(images),
        };
        if (c.static) {
            const subnet = d.subnet!;
            const taken = used.get(c.net)!;
            let start = runCursor.get(c.net);
            if (start === undefined) {
                start = d.layout === "run" ? rng.below(subnet.getSize()) : 0n;
                runCursor.set(c.net, start);
            }
            const a = freeAddress(rng, subnet, taken, d.layout, start);
            runCursor.set(c.net, a - subnet.getFirst().getValue());
            container.ip = ip(a);
        }
        containers.push(container);
    }
    rng.shuffle(containers);

    const checks: GeneratedLab["checks"] = { connectivity: rng.chance(0.8) };
    const a = containers[0];
    const b = a && containers.find((x) => x.network !== a.network);
    if (a && b && rng.chance(0.5)) {
        checks.isolation = [{ from: `${a.host}/${a.name}`, to: `${b.host}/${b.name}` }];
    }

    return {
        hosts,
        ...(rng.chance(0.3) ? { ssh: { user: "root", port: 22 } } : {}),
        vlans,
        networks,
        ...(registry ? { registry } : {}),
        containers,
        checks,
    };
}

/**
 * A free address of `subnet` (not in `taken`, which it then joins): uniformly at random
 * (`scattered`), or the next free one after offset `from` (`run`, `low`), wrapping around.
 */
function freeAddress(rng: Rng, subnet: IPv4CidrRange, taken: Set<bigint>, layout: NetworkDraft["layout"], from: bigint): bigint {
    const first = subnet.getFirst().getValue();
    const size = subnet.getSize();
    if (layout === "scattered") {
        for (let attempt = 0; attempt < 64; attempt++) {
            const a = first + rng.below(size);
            if (!taken.has(a)) {
                taken.add(a);
                return a;
            }
        }
    }
    for (let i = 0n; i < size; i++) {
        const a = first + ((from + i) % size);
        if (!taken.has(a)) {
            taken.add(a);
            return a;
        }
    }
    throw new Error(`generate (seed ${rng.seed}): ${subnet.toCidrString()} is full`);
}

/** Options of {@link generateLab}. */
export interface GenerateLabOptions {
    hosts: number;
    /** Networks, each spanning every host on its own VLAN. */
    networks: number;
    /** Containers per host, spread round-robin over the networks. */
    containersPerHost: number;
    seed: number;
    /** Share of containers with a static address. Defaults to 0.9. */
    staticShare?: number;
}

/**
 * A pinned host key for a generated host, as a stack would have it (`ssh-ed25519 <base64>`): the
 * SSH wire format of an ed25519 public key whose 32 bytes are a digest of the host's name. No host
 * holds its private half; it is only for programs that never connect (under the mocks).
 */
export function generatedHostKey(host: string): string {
    const field = (b: Buffer): Buffer => {
        const len = Buffer.alloc(4);
        len.writeUInt32BE(b.length);
        return Buffer.concat([len, b]);
    };
    const key = createHash("sha256").update(`generated host key of ${host}`).digest();
    return `ssh-ed25519 ${Buffer.concat([field(Buffer.from("ssh-ed25519")), field(key)]).toString("base64")}`;
}

/**
 * A lab of exactly `hosts` hosts and `networks` networks (each on its own VLAN, spanning all
 * hosts), `containersPerHost` containers per host spread over the networks, most of them with a
 * static address. Statics are handed out like an operator would: upward from the bottom of the
 * subnet, with a few gaps. Subnets are sized so the plan fits with room to spare.
 */
export function generateLab(o: GenerateLabOptions): GeneratedLab {
    if (o.hosts < 1 || o.hosts > MAX_HOSTS || o.networks < 1 || o.networks > 32) {
        throw new Error(`generateLab: hosts 1..${MAX_HOSTS} and networks 1..32, got ${o.hosts} and ${o.networks}`);
    }
    const rng = new Rng(o.seed);
    const nic = "ens33";
    const hosts: RawHost[] = [];
    for (let i = 0; i < o.hosts; i++) {
        const name = hostName(i, o.hosts);
        hosts.push({ name, address: managementAddress(i), nic, backend: "ifcfg", hostKey: generatedHostKey(name) });
    }
    const staticShare = o.staticShare ?? 0.9;
    const plannedStatic: boolean[][] = []; // [host][container]
    const staticsPerNet = new Array<number>(o.networks).fill(0);
    for (let h = 0; h < o.hosts; h++) {
        const row: boolean[] = [];
        for (let j = 0; j < o.containersPerHost; j++) {
            const s = rng.chance(staticShare);
            row.push(s);
            if (s) {
                staticsPerNet[j % o.networks]++;
            }
        }
        plannedStatic.push(row);
    }
    const vlans: RawVlan[] = [];
    const networks: RawNetwork[] = [];
    const subnets: IPv4CidrRange[] = [];
    const cursors: Array<{ subnet: IPv4CidrRange; next: bigint }> = [];
    for (let k = 0; k < o.networks; k++) {
        // room for the statics with gaps (x2) and one /30 per host, then one size up
        const prefix = Math.max(8, Math.min(24, longestFittingPrefix(o.hosts, 2 * staticsPerNet[k] + 8) - 1));
        const subnet = pickSubnet(rng, prefix, subnets);
        subnets.push(subnet);
        const vid = 100 + k;
        const vs = vlanSubnet(k);
        const addresses: Record<string, string> = {};
        hosts.forEach((h, i) => {
            addresses[h.name] = `${ip(vs.getFirst().getValue() + 1n + BigInt(i))}/22`;
        });
        vlans.push({ id: vid, parent: nic, addresses });
        const first = subnet.getFirst().getValue();
        networks.push({
            name: `mac_net${vid}`,
            subnet: subnet.toCidrString(),
            gateway: ip(first + 1n),
            vlan: vid,
            reserved: { shim: ip(first + 2n), router: ip(first + 3n) },
        });
        cursors.push({ subnet, next: first + 4n });
    }
    const containers: RawContainer[] = [];
    hosts.forEach((h, i) => {
        for (let j = 0; j < o.containersPerHost; j++) {
            const k = j % o.networks;
            const c: RawContainer = { name: `app${j}`, host: h.name, network: networks[k].name, image: "busybox:latest" };
            if (plannedStatic[i][j]) {
                const cur = cursors[k];
                c.ip = ip(cur.next);
                cur.next += rng.chance(0.1) ? 2n : 1n; // a gap now and then
                if (cur.next >= cur.subnet.getLast().getValue()) {
                    throw new Error(`generateLab (seed ${o.seed}): ${cur.subnet.toCidrString()} is full`);
                }
            }
            containers.push(c);
        }
    });
    return { hosts, vlans, networks, containers, checks: { connectivity: true } };
}

/**
 * `lab` with one isolation check in place of its connectivity checks: from its first container to
 * the first one on another network and another host. What bench:program and the program's scale test
 * declare: the connectivity matrix grows with the square of the containers by definition.
 */
export function withOneIsolationCheck(lab: GeneratedLab): GeneratedLab {
    const a = lab.containers[0];
    const b = lab.containers.find((c) => c.network !== a.network && c.host !== a.host);
    if (b === undefined) throw new Error("withOneIsolationCheck: no container on another network and another host than the first");
    return { ...lab, checks: { connectivity: false, isolation: [{ from: `${a.host}/${a.name}`, to: `${b.host}/${b.name}` }] } };
}

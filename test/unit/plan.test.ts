/**
 * The address plan: properties over many generated labs, and exact cases.
 *
 * Properties (every network of every generated lab, oracle = the spec, not the plan's own lists):
 * - every host of the network has a range, and no other host has one;
 * - each range is a canonical CIDR block of at least 4 addresses inside the subnet;
 * - the ranges of different hosts never overlap;
 * - no range contains the network or broadcast address, the gateway, a reserved address, any
 *   static container address (another host's, and its own host's too: Docker could hand it out
 *   before the static container starts), a host's SSH or VLAN address, or any of that host's aux
 *   addresses;
 * - the ranges are as large as the subnet allows: one size up, there are not enough free blocks;
 * - auxAddresses(plan, n, h) is exactly the reserved addresses plus what h's own range holds (with
 *   ip-range set, Docker's IPAM hands out addresses only inside it): never the gateway, never h's
 *   own statics, and no other host's static is both outside aux and inside h's range; all aux
 *   lists together grow linearly (hosts x reserved), not with hosts x statics.
 *
 * A failure names its seed; rerun one seed with `PLAN_SEED=<seed> npx mocha test/plan.test.ts`.
 */
import * as assert from "assert";
import { AbstractIPNum, IPv4, IPv4CidrRange, IPv4Prefix, RangedSet, Validator } from "ip-num";
import { parseLab, RawLabConfig } from "../../components/model/validate";
import { auxAddresses, LabPlan, planLab } from "../../components/model/plan";
import { LabSpec, NetworkSpec } from "../../components/model/types";
import { loadStackConfig, rawLabConfig } from "../../lab/stackFile";
import { generateLab, randomLab } from "../../tools/generate";
import { hostKeyMissing, parseHostKey } from "../../components/model/hostKey";

/* eslint-disable @typescript-eslint/no-explicit-any */

const SEED_COUNT = 300;
const FIRST_SEED = 1;
const SEEDS: number[] = process.env.PLAN_SEED
    ? [Number(process.env.PLAN_SEED)]
    : Array.from({ length: SEED_COUNT }, (_, i) => FIRST_SEED + i);

interface Case {
    seed: number;
    spec: LabSpec;
    plan: LabPlan;
}

/** ip-num parses strings slowly; every address is parsed once per test run. */
const values = new Map<string, bigint>();
function value(address: string): bigint {
    let v = values.get(address);
    if (v === undefined) {
        v = new IPv4(address).getValue();
        values.set(address, v);
    }
    return v;
}

interface Block {
    host: string;
    cidr: string;
    range: IPv4CidrRange;
    set: RangedSet<AbstractIPNum>;
    first: bigint;
    last: bigint;
}

/**
 * The ranges of a network, parsed and sorted by first address. Each CIDR is turned into an ip-num
 * RangedSet once: IPv4CidrRange recomputes its mask on every getFirst/getLast, which made the
 * overlap checks the slowest part of this file.
 */
function blocksOf(ranges: Record<string, string>): Block[] {
    return Object.entries(ranges)
        .map(([host, cidr]) => {
            const range = IPv4CidrRange.fromCidr(cidr);
            const set = range.toRangeSet();
            return { host, cidr, range, set, first: set.getFirst().getValue(), last: set.getLast().getValue() };
        })
        .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
}

/** The block holding `v`, by binary search over disjoint sorted blocks. */
function blockHolding(blocks: Block[], v: bigint): Block | undefined {
    let lo = 0;
    let hi = blocks.length - 1;
    while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (v < blocks[mid].first) {
            hi = mid - 1;
        } else if (v > blocks[mid].last) {
            lo = mid + 1;
        } else {
            return blocks[mid];
        }
    }
    return undefined;
}

interface Forbidden {
    address: string;
    value: bigint;
    what: string;
}

/** A network's subnet as bigints, parsed once. */
interface SubnetFacts {
    range: IPv4CidrRange;
    first: bigint;
    last: bigint;
    prefix: number;
}

function subnetFacts(cidr: string): SubnetFacts {
    const range = IPv4CidrRange.fromCidr(cidr);
    return { range, first: range.getFirst().getValue(), last: range.getLast().getValue(), prefix: Number(range.getPrefix().getValue()) };
}

/** Addresses no range may hold, with what they are (from the spec, not from the plan's lists). */
function forbiddenAddresses(spec: LabSpec, n: NetworkSpec, subnet: SubnetFacts): Forbidden[] {
    const raw = [
        { address: IPv4.fromNumber(subnet.first).toString(), what: "the network address" },
        { address: IPv4.fromNumber(subnet.last).toString(), what: "the broadcast address" },
        { address: n.gateway, what: "the gateway" },
        ...Object.entries(n.reserved).map(([name, address]) => ({ address, what: `reserved ${name}` })),
        ...spec.containers
            .filter((c) => c.network === n.name && c.ip !== undefined)
            .map((c) => ({ address: c.ip!, what: `the static address of ${c.name} on ${c.host}` })),
        // the hosts' own addresses, when they fall inside the subnet
        ...spec.hosts.filter((h) => /^[0-9.]+$/.test(h.ssh.address)).map((h) => ({ address: h.ssh.address, what: `${h.name}'s SSH address` })),
        ...spec.vlans.flatMap((vl) => vl.members.map((m) => ({ address: m.address.split("/")[0], what: `${m.host}'s address on ${vl.interfaceName}` }))),
    ];
    return raw
        .map((f) => ({ ...f, value: value(f.address) }))
        .filter((f) => f.value >= subnet.first && f.value <= subnet.last);
}

function checkRanges(seed: number, spec: LabSpec, plan: LabPlan): void {
    for (const n of spec.networks) {
        const where = `seed ${seed}: ${n.name} ${n.subnet} (${n.hosts.length} hosts)`;
        const np = plan.networks[n.name];
        assert.ok(np, `${where}: no plan`);
        assert.strictEqual(np.subnet, n.subnet, `${where}: plan subnet`);
        assert.strictEqual(np.gateway, n.gateway, `${where}: plan gateway`);
        assert.deepStrictEqual(Object.keys(np.ranges).sort(), [...n.hosts].sort(), `${where}: hosts with a range`);

        const subnet = subnetFacts(n.subnet);
        const blocks = blocksOf(np.ranges);
        for (const b of blocks) {
            assert.ok(Validator.isValidIPv4CidrRange(b.cidr)[0], `${where}: ${b.host}'s range ${b.cidr} is not a canonical CIDR block`);
            assert.ok(b.set.getSize() >= 4n, `${where}: ${b.host}'s range ${b.cidr} has fewer than 4 addresses`);
        }
        // inside the subnet: the lowest and the highest block are (blocks are disjoint, see below)
        const whole = subnet.range.toRangeSet();
        for (const b of [blocks[0], blocks[blocks.length - 1]]) {
            assert.ok(b.set.inside(whole), `${where}: ${b.host}'s range ${b.cidr} is not inside ${n.subnet}`);
        }
        // sorted by first address, disjoint neighbours mean pairwise disjoint
        for (let i = 1; i < blocks.length; i++) {
            const [a, b] = [blocks[i - 1], blocks[i]];
            assert.ok(a.last < b.first && !a.set.isOverlapping(b.set), `${where}: ${a.host}'s ${a.cidr} overlaps ${b.host}'s ${b.cidr}`);
        }
        for (const f of forbiddenAddresses(spec, n, subnet)) {
            const b = blockHolding(blocks, f.value);
            assert.ok(b === undefined, `${where}: ${b?.host}'s range ${b?.cidr} contains ${f.address}, ${f.what}`);
        }
        for (const b of blocks) {
            for (const a of Object.values(auxAddresses(plan, n.name, b.host))) {
                const v = value(a);
                assert.ok(v < b.first || v > b.last, `${where}: ${b.host}'s range ${b.cidr} contains its own aux address ${a}`);
            }
        }
    }
}

/** One size up (prefix - 1) there are fewer free aligned blocks than hosts, or no size up at all. */
function checkRangesAreLargest(seed: number, spec: LabSpec, plan: LabPlan): void {
    for (const n of spec.networks) {
        const where = `seed ${seed}: ${n.name} ${n.subnet} (${n.hosts.length} hosts)`;
        const cidrs = Object.values(plan.networks[n.name].ranges);
        const prefixes = new Set(cidrs.map((c) => Number(c.split("/")[1])));
        assert.strictEqual(prefixes.size, 1, `${where}: ranges of different sizes: ${cidrs.join(", ")}`);
        const prefix = [...prefixes][0];
        const subnet = subnetFacts(n.subnet);
        const up = prefix - 1;
        if (up <= subnet.prefix) {
            continue; // a host never gets the whole subnet
        }
        const shift = BigInt(32 - up);
        const occupied = new Set(forbiddenAddresses(spec, n, subnet).map((f) => (f.value - subnet.first) >> shift));
        const free = (1n << BigInt(up - subnet.prefix)) - BigInt(occupied.size);
        assert.ok(
            free < BigInt(n.hosts.length),
            `${where}: ranges are /${prefix}, but ${free} free /${up} blocks would fit ${n.hosts.length} hosts`,
        );
    }
}

/**
 * aux of host h = the network's reserved addresses, plus every address from the spec that h's own
 * range holds and h's IPAM could therefore hand out (another host's static, a host's address),
 * never the gateway, never h's own statics. Checked against the spec, and against what matters: no
 * other host's static is both missing from h's aux and inside h's range.
 */
function checkAux(seed: number, spec: LabSpec, plan: LabPlan): void {
    for (const n of spec.networks) {
        const statics = spec.containers.filter((c) => c.network === n.name && c.ip !== undefined);
        const hostAddresses = [
            ...spec.hosts.filter((x) => /^[0-9.]+$/.test(x.ssh.address)).map((x) => ({ owner: `${x.name}-ssh`, address: x.ssh.address })),
            ...spec.vlans.flatMap((vl) => vl.members.map((m) => ({ owner: `${m.host}-${vl.interfaceName}`, address: m.address.split("/")[0] }))),
        ];
        // each address of the spec goes to the one range that holds it, if any (ranges are disjoint):
        // linear in hosts + statics instead of hosts x statics
        const blocks = blocksOf(plan.networks[n.name].ranges);
        const inRange = new Map<string, Array<{ owner: string; address: string; host?: string }>>();
        for (const a of [...statics.map((c) => ({ owner: `${c.name}@${c.host}`, address: c.ip!, host: c.host })), ...hostAddresses]) {
            const b = blockHolding(blocks, value(a.address));
            if (b !== undefined) {
                inRange.set(b.host, [...(inRange.get(b.host) ?? []), a]);
            }
        }
        const ownStatics = new Map<string, string[]>();
        for (const c of statics) {
            ownStatics.set(c.host, [...(ownStatics.get(c.host) ?? []), c.ip!]);
        }
        for (const h of n.hosts) {
            const where = `seed ${seed}: ${n.name} ${n.subnet}, aux of ${h}`;
            const aux = auxAddresses(plan, n.name, h);
            const expected: Record<string, string> = { ...n.reserved };
            for (const a of inRange.get(h) ?? []) {
                if (a.host !== h) {
                    expected[a.owner] = a.address;
                }
            }
            const held = new Set(Object.values(aux));
            assert.ok(!held.has(n.gateway), `${where}: holds the gateway ${n.gateway} (Docker refuses an aux address equal to it)`);
            for (const ip of ownStatics.get(h) ?? []) {
                assert.ok(!held.has(ip), `${where}: holds ${h}'s own static ${ip}`);
            }
            for (const a of inRange.get(h) ?? []) {
                if (a.host !== undefined && a.host !== h) {
                    assert.ok(held.has(a.address), `${where}: misses ${a.host}'s static ${a.address} (${a.owner.split("@")[0]}), inside its range ${plan.networks[n.name].ranges[h]}`);
                }
            }
            for (const [name, a] of Object.entries(n.reserved)) {
                assert.ok(held.has(a), `${where}: misses reserved ${name} ${a}`);
            }
            assert.deepStrictEqual(aux, expected, `${where}: exactly the reserved addresses and what the host's own range holds`);
        }
    }
}

/** Every aux entry of every host of every network: what the program would send to Docker. */
function auxEntries(spec: LabSpec, plan: LabPlan): number {
    let entries = 0;
    for (const n of spec.networks) {
        for (const h of n.hosts) {
            entries += Object.keys(auxAddresses(plan, n.name, h)).length;
        }
    }
    return entries;
}

describe("address plan over generated labs", function () {
    this.timeout(60_000);
    const cases: Case[] = [];

    before(function () {
        for (const seed of SEEDS) {
            let raw: RawLabConfig;
            try {
                raw = randomLab(seed);
            } catch (e) {
                throw new Error(`seed ${seed}: the generator failed: ${(e as Error).message}`);
            }
            const { spec, errors } = parseLab(raw);
            assert.deepStrictEqual(errors, [], `seed ${seed}: the generated config is invalid (a generator bug, or a validator that rejects a valid lab)`);
            assert.ok(spec);
            const { plan, errors: planErrors } = planLab(spec);
            assert.deepStrictEqual(planErrors, [], `seed ${seed}: plan errors`);
            cases.push({ seed, spec, plan });
        }
    });

    it(`accepts every generated config (${SEEDS.length} seeds) and covers small and large labs`, function () {
        assert.strictEqual(cases.length, SEEDS.length);
        if (SEEDS.length < SEED_COUNT) {
            return;
        }
        // the generator must actually reach the corners the properties are about
        const hostCounts = cases.map((c) => c.spec.hosts.length);
        assert.ok(Math.min(...hostCounts) === 1 && Math.max(...hostCounts) >= 60, `host counts ${Math.min(...hostCounts)}..${Math.max(...hostCounts)}`);
        const rangePrefixes = new Set(cases.flatMap((c) => Object.values(c.plan.networks).flatMap((n) => Object.values(n.ranges).map((r) => Number(r.split("/")[1])))));
        assert.ok(rangePrefixes.has(30), "some plan has to use the smallest ranges (/30)");
        assert.ok(Math.min(...rangePrefixes) <= 20, `some plan gives large ranges (largest: /${Math.min(...rangePrefixes)})`);
        const withoutIp = cases.reduce((k, c) => k + c.spec.containers.filter((x) => x.ip === undefined).length, 0);
        const withIp = cases.reduce((k, c) => k + c.spec.containers.filter((x) => x.ip !== undefined).length, 0);
        assert.ok(withoutIp > 0 && withIp > withoutIp, `containers with ip ${withIp}, without ${withoutIp}`);
        assert.ok(cases.some((c) => c.spec.networks.some((n) => Object.keys(n.reserved).length > 0)), "some network has reserved addresses");
        assert.ok(cases.some((c) => c.spec.networks.some((n) => n.hosts.length < c.spec.hosts.length)), "some network spans only part of the hosts");
    });

    it("accepts the benchmark's labs (generateLab): exact sizes, every network on every host, most containers static", function () {
        for (const seed of [1]) {
            const raw = generateLab({ hosts: 40, networks: 8, containersPerHost: 20, seed });
            const { spec, errors } = parseLab(raw);
            assert.deepStrictEqual(errors, [], `generateLab seed ${seed}`);
            assert.ok(spec);
            assert.strictEqual(spec.hosts.length, 40);
            assert.strictEqual(spec.networks.length, 8);
            assert.strictEqual(spec.containers.length, 40 * 20);
            assert.ok(spec.networks.every((n) => n.hosts.length === 40 && n.vlan !== undefined));
            // a stack the program accepts: every host pins a host key that decodes (issue 27 refuses unpinned hosts)
            for (const h of spec.hosts) {
                assert.ok(h.ssh.hostKey !== undefined, `${h.name} pins no host key`);
                assert.ok("key" in parseHostKey(h.ssh.hostKey), `${h.name}: ${JSON.stringify(parseHostKey(h.ssh.hostKey))}`);
                assert.strictEqual(hostKeyMissing(h.name, h.ssh), undefined);
            }
            assert.strictEqual(new Set(spec.hosts.map((h) => h.ssh.hostKey)).size, 40, "each host its own key");
            const statics = spec.containers.filter((c) => c.ip !== undefined).length;
            assert.ok(statics > 0.8 * spec.containers.length && statics < spec.containers.length, `statics ${statics}`);
            const { plan, errors: planErrors } = planLab(spec);
            assert.deepStrictEqual(planErrors, []);
            checkRanges(seed, spec, plan);
            checkRangesAreLargest(seed, spec, plan);
            checkAux(seed, spec, plan);
            // linear: each host of each network lists the network's 2 reserved addresses, nothing else
            assert.strictEqual(auxEntries(spec, plan), 40 * 8 * 2);
        }
    });

    it("gives every host of a network a range inside the subnet, disjoint from the other hosts' ranges and free of every fixed address", function () {
        assert.strictEqual(cases.length, SEEDS.length);
        for (const c of cases) {
            checkRanges(c.seed, c.spec, c.plan);
        }
    });

    it("gives ranges as large as the subnet allows", function () {
        assert.strictEqual(cases.length, SEEDS.length);
        for (const c of cases) {
            checkRangesAreLargest(c.seed, c.spec, c.plan);
        }
    });

    it("lists as aux addresses the reserved ones and what the host's own range holds, never the gateway or the host's own statics", function () {
        assert.strictEqual(cases.length, SEEDS.length);
        for (const c of cases) {
            checkAux(c.seed, c.spec, c.plan);
        }
    });
});

/* ---------------------------------------------------------------------------------------------- */

function stack(name: string): any {
    return structuredClone(rawLabConfig(loadStackConfig(name)));
}

function valid(raw: RawLabConfig): { spec: LabSpec; plan: LabPlan } {
    const { spec, errors } = parseLab(raw);
    assert.deepStrictEqual(errors, []);
    assert.ok(spec);
    const { plan, errors: planErrors } = planLab(spec);
    assert.deepStrictEqual(planErrors, []);
    return { spec, plan };
}

/** The four /26 blocks of a /24 and the fixed addresses of the plan in each. */
function occupancy(plan: LabPlan, network: string): string[][] {
    const np = plan.networks[network];
    return IPv4CidrRange.fromCidr(np.subnet)
        .splitInto(new IPv4Prefix(26n))
        .map((q: IPv4CidrRange) => np.fixed.filter((f) => q.contains(new IPv4(f.address))).map((f) => f.owner));
}

describe("address plan of the tutorial's stacks", () => {
    it("single-network: docker01 and docker02 get the two free /26 of 172.22.16.0/24", () => {
        const { spec, plan } = valid(stack("single-network"));
        const np = plan.networks.mac_net1;
        // a /25 each cannot be: the low half holds the network address, the gateway and both statics,
        // the high half the broadcast address. In /26 blocks, .0/26 and .192/26 are taken the same way:
        assert.deepStrictEqual(occupancy(plan, "mac_net1"), [["network", "gateway", "bbox1@docker01", "bbox2@docker02"], [], [], ["broadcast"]]);
        // so the two free ones, in host order
        assert.deepStrictEqual(np.ranges, { docker01: "172.22.16.64/26", docker02: "172.22.16.128/26" });
        assert.deepStrictEqual(np.fixed, [
            { address: "172.22.16.0", owner: "network", kind: "network" },
            { address: "172.22.16.1", owner: "gateway", kind: "gateway" },
            { address: "172.22.16.10", owner: "bbox1@docker01", kind: "static", host: "docker01" },
            { address: "172.22.16.20", owner: "bbox2@docker02", kind: "static", host: "docker02" },
            { address: "172.22.16.255", owner: "broadcast", kind: "broadcast" },
        ]);
        // neither range holds a static: docker01's IPAM hands out only .64/26, so bbox2's .20 needs no aux
        assert.deepStrictEqual(auxAddresses(plan, "mac_net1", "docker01"), {});
        assert.deepStrictEqual(auxAddresses(plan, "mac_net1", "docker02"), {});
        checkRanges(0, spec, plan);
        checkAux(0, spec, plan);
    });

    it("multi-vlan: mac_net10 and mac_net20 each split the same way, no aux (no range holds a fixed address)", () => {
        const { spec, plan } = valid(stack("multi-vlan"));
        assert.deepStrictEqual(Object.keys(plan.networks), ["mac_net10", "mac_net20"]);
        assert.deepStrictEqual(plan.networks.mac_net10.ranges, { docker01: "172.16.10.64/26", docker02: "172.16.10.128/26" });
        assert.deepStrictEqual(plan.networks.mac_net20.ranges, { docker01: "172.16.20.64/26", docker02: "172.16.20.128/26" });
        assert.deepStrictEqual(occupancy(plan, "mac_net10"), [["network", "gateway", "bbox10@docker01", "bbox10@docker02"], [], [], ["broadcast"]]);
        assert.deepStrictEqual(occupancy(plan, "mac_net20"), [["network", "gateway", "bbox20@docker01", "bbox20@docker02"], [], [], ["broadcast"]]);
        for (const n of ["mac_net10", "mac_net20"]) {
            for (const h of ["docker01", "docker02"]) {
                assert.deepStrictEqual(auxAddresses(plan, n, h), {}, `${n} on ${h}`);
            }
        }
        checkRanges(0, spec, plan);
        checkAux(0, spec, plan);
    });
});

describe("address plan of the LAN stack (containers on the hosts' own subnet)", () => {
    it("lan: the ranges avoid both hosts' addresses, the router, the printer and the statics; aux holds the printer", () => {
        const { spec, plan } = valid(stack("lan"));
        const np = plan.networks.lan_net;
        assert.deepStrictEqual(np.ranges, { docker01: "192.168.1.64/26", docker02: "192.168.1.128/26" });
        assert.deepStrictEqual(occupancy(plan, "lan_net"), [["network", "gateway", "printer", "docker01-ssh", "docker02-ssh", "bbox1@docker01", "bbox2@docker02"], [], [], ["broadcast"]]);
        assert.deepStrictEqual(auxAddresses(plan, "lan_net", "docker01"), { printer: "192.168.1.5" });
        assert.deepStrictEqual(auxAddresses(plan, "lan_net", "docker02"), { printer: "192.168.1.5" });
        checkRanges(0, spec, plan);
        checkRangesAreLargest(0, spec, plan);
        checkAux(0, spec, plan);
    });

    it("lan with hosts spread over the subnet: no range holds any host's address, even a host the network is not on", () => {
        const raw = stack("lan");
        raw.hosts.push({ name: "docker03", address: "192.168.1.70", nic: "ens33" }, { name: "docker04", address: "192.168.1.200", nic: "ens33" });
        raw.networks[0].hosts = ["docker01", "docker02", "docker03"];
        const { spec, plan } = valid(raw);
        // .64/26 holds docker03 and .192/26 docker04: three /27 ranges from the free ones
        assert.deepStrictEqual(plan.networks.lan_net.ranges, { docker01: "192.168.1.32/27", docker02: "192.168.1.96/27", docker03: "192.168.1.128/27" });
        checkRanges(0, spec, plan);
        checkRangesAreLargest(0, spec, plan);
        checkAux(0, spec, plan);
    });
});

/** A lab of `hosts` hosts on one bare-NIC network, with the given statics (ip -> host index). */
function oneNetwork(subnet: string, gateway: string, hosts: number, statics: Array<[string, number]>): any {
    const names = Array.from({ length: hosts }, (_, i) => `docker0${i + 1}`);
    return {
        hosts: names.map((name, i) => ({ name, address: `192.168.1.${11 + i}`, nic: "ens33" })),
        networks: [{ name: "mac_net1", subnet, gateway, parent: "ens33" }],
        containers: statics.map(([ip, h], i) => ({ name: `bbox${i}`, host: names[h], network: "mac_net1", ip, image: "busybox:latest" })),
    };
}

const cannotFit = (subnet: string, hosts: number): string =>
    `networks[0].subnet "${subnet}" cannot give ${hosts === 1 ? "the host of mac_net1 a dynamic range" : `each of the ${hosts} hosts of mac_net1 a disjoint dynamic range`} of at least 4 addresses ` +
    "free of the gateway, static, reserved and host addresses; use a larger subnet, fewer hosts, or fewer scattered static addresses";

describe("address plan that cannot fit", () => {
    it("8 hosts in a /28 is an error naming the network, the subnet and the host count, not an overlap", () => {
        const { spec, errors } = parseLab(oneNetwork("172.22.16.0/28", "172.22.16.1", 8, []));
        assert.strictEqual(spec, undefined);
        assert.deepStrictEqual(errors, [{ path: "networks[0].subnet", message: cannotFit("172.22.16.0/28", 8) }]);
        assert.match(errors[0].message, /mac_net1/);
        assert.match(errors[0].message, /172\.22\.16\.0\/28/);
        assert.match(errors[0].message, /\b8 hosts\b/);
        assert.doesNotMatch(errors[0].message, /overlap/);
    });

    it("planLab on its own reports it and plans nothing for that network (no overlapping ranges)", () => {
        const { spec } = valid(oneNetwork("172.22.16.0/24", "172.22.16.1", 8, []));
        spec.networks[0].subnet = "172.22.16.0/28";
        const { plan, errors } = planLab(spec);
        assert.deepStrictEqual(errors, [{ path: "networks[0].subnet", message: cannotFit("172.22.16.0/28", 8) }]);
        assert.deepStrictEqual(plan.networks, {});
    });

    it("a /28 with statics everywhere is an error", () => {
        const statics: Array<[string, number]> = [2, 6, 10, 13].map((k) => [`172.22.16.${k}`, 0]);
        const { errors } = parseLab(oneNetwork("172.22.16.0/28", "172.22.16.1", 1, statics));
        assert.deepStrictEqual(errors, [{ path: "networks[0].subnet", message: cannotFit("172.22.16.0/28", 1) }]);
    });

    it("a /27 with a static in every /30 is an error; the same statics packed together leave exactly two /30", () => {
        // /30 blocks of 172.22.16.0/27: .0 (network, gateway) .4 .8 .12 .16 .20 .24 .28 (broadcast)
        const scattered: Array<[string, number]> = [5, 9, 13, 17, 21, 25].map((k, i) => [`172.22.16.${k}`, i % 2]);
        const { errors } = parseLab(oneNetwork("172.22.16.0/27", "172.22.16.1", 2, scattered));
        assert.deepStrictEqual(errors, [{ path: "networks[0].subnet", message: cannotFit("172.22.16.0/27", 2) }]);

        // move .21 and .25 into the .12 block: .20/30 and .24/30 become free, nothing larger is
        const packed: Array<[string, number]> = [5, 9, 13, 17, 14, 15].map((k, i) => [`172.22.16.${k}`, i % 2]);
        const { plan } = valid(oneNetwork("172.22.16.0/27", "172.22.16.1", 2, packed));
        assert.deepStrictEqual(plan.networks.mac_net1.ranges, { docker01: "172.22.16.20/30", docker02: "172.22.16.24/30" });
    });
});

describe("address plan and the hosts' own addresses on the segment", () => {
    // A host's address on the VLAN a network sits on may lie inside the network's subnet
    // (ens33.10 172.16.10.70/24 under mac_net10 172.16.10.0/24 is a common layout). The plan
    // counts those addresses as fixed, so no range holds one, and no aux needs to list them.
    it("no range holds a host's VLAN interface address, so no host's IPAM can hand one out", () => {
        const raw = stack("multi-vlan");
        raw.vlans[0].addresses = { docker01: "172.16.10.70/24", docker02: "172.16.10.130/24" };
        const { spec, plan } = valid(raw);

        // the validator treats these as taken for static containers
        const taken = stack("multi-vlan");
        taken.vlans[0].addresses = raw.vlans[0].addresses;
        taken.containers[0].ip = "172.16.10.70";
        assert.deepStrictEqual(parseLab(taken).errors.map((e) => e.message), [
            'containers[0].ip "172.16.10.70" is the address of docker01 on ens33.10; pick a free address in 172.16.10.0/24',
        ]);

        const ranges = plan.networks.mac_net10.ranges;
        for (const [host, a] of [["docker01", "172.16.10.70"], ["docker02", "172.16.10.130"]]) {
            for (const [h, cidr] of Object.entries(ranges)) {
                assert.ok(!IPv4CidrRange.fromCidr(cidr).contains(new IPv4(a)), `${h}'s range ${cidr} holds ${a}, ${host}'s address on ens33.10`);
            }
        }
        assert.deepStrictEqual(auxAddresses(plan, "mac_net10", "docker01"), {});
        assert.deepStrictEqual(auxAddresses(plan, "mac_net10", "docker02"), {});
        checkRanges(0, spec, plan);
        checkAux(0, spec, plan);
    });
});

describe("auxAddresses: what a host's own range holds", () => {
    // planLab never gives a range that holds a fixed address; auxAddresses does not rely on it
    it("lists every fixed address inside the host's range but the gateway and the host's own statics, plus the reserved ones", () => {
        const raw = stack("single-network");
        raw.networks[0].reserved = { shim: "172.22.16.200" };
        const { plan } = valid(raw);
        const np = plan.networks.mac_net1;
        assert.deepStrictEqual(auxAddresses(plan, "mac_net1", "docker01"), { shim: "172.22.16.200" });
        // a hand-made plan whose docker01 range holds the network address, the gateway, both statics
        np.ranges.docker01 = "172.22.16.0/27";
        assert.deepStrictEqual(auxAddresses(plan, "mac_net1", "docker01"), { shim: "172.22.16.200", "bbox2@docker02": "172.22.16.20" });
        // and one that holds the shim and the broadcast address: listed once, by its name
        np.ranges.docker02 = "172.22.16.192/26";
        assert.deepStrictEqual(auxAddresses(plan, "mac_net1", "docker02"), { shim: "172.22.16.200" });
    });

    it("throws for a network or host the plan does not have", () => {
        const { plan } = valid(stack("single-network"));
        assert.throws(() => auxAddresses(plan, "mac_net9", "docker01"), /^Error: no plan for network mac_net9$/);
        assert.throws(() => auxAddresses(plan, "mac_net1", "docker09"), /^Error: the plan of mac_net1 has no range for docker09$/);
    });
});

describe("the property checks themselves", () => {
    // each check must reject a plan broken in the way it is about (else it passes whatever)
    const broken: Array<[string, (p: LabPlan) => void, (seed: number, spec: LabSpec, p: LabPlan) => void, RegExp]> = [
        ["overlapping ranges", (p) => (p.networks.mac_net10.ranges.docker02 = "172.16.10.64/27"), checkRanges, /overlaps docker02's 172\.16\.10\.64\/27/],
        ["a range over the gateway and the statics", (p) => (p.networks.mac_net10.ranges.docker01 = "172.16.10.0/28"), checkRanges, /contains 172\.16\.10\.0, the network address/],
        ["a range over the broadcast address", (p) => (p.networks.mac_net20.ranges.docker02 = "172.16.20.192/26"), checkRanges, /contains 172\.16\.20\.255, the broadcast address/],
        ["a host without a range", (p) => delete p.networks.mac_net20.ranges.docker02, checkRanges, /hosts with a range/],
        ["a range outside the subnet", (p) => (p.networks.mac_net10.ranges.docker02 = "172.16.11.0/26"), checkRanges, /is not inside 172\.16\.10\.0\/24/],
        ["a range that is not a CIDR block", (p) => (p.networks.mac_net10.ranges.docker02 = "172.16.10.130/26"), checkRanges, /not a canonical CIDR block/],
        ["ranges smaller than they could be", (p) => Object.assign(p.networks.mac_net10.ranges, { docker01: "172.16.10.64/27", docker02: "172.16.10.128/27" }), checkRangesAreLargest, /ranges are \/27, but 2 free \/26 blocks would fit 2 hosts/],
        ["aux missing another host's static inside the host's range", (p) => {
            p.networks.mac_net10.ranges.docker01 = "172.16.10.0/28";
            p.networks.mac_net10.fixed = p.networks.mac_net10.fixed.filter((f) => f.owner !== "bbox10@docker02");
        }, checkAux, /aux of docker01: misses docker02's static 172\.16\.10\.11 \(bbox10\), inside its range 172\.16\.10\.0\/28/],
        ["aux holding the gateway", (p) => (p.networks.mac_net20.declaredReserved.gw = "172.16.20.1"), checkAux, /holds the gateway 172\.16\.20\.1/],
        ["aux holding the host's own static", (p) => {
            p.networks.mac_net10.ranges.docker01 = "172.16.10.0/28";
            p.networks.mac_net10.fixed.forEach((f) => f.kind === "static" && delete f.host);
        }, checkAux, /aux of docker01: holds docker01's own static 172\.16\.10\.10/],
        ["aux missing a reserved address", (p) => (p.networks.mac_net10.declaredReserved = {}), checkAux, /aux of docker01: misses reserved shim 172\.16\.10\.250/],
    ];
    for (const [what, breakIt, check, message] of broken) {
        it(`rejects ${what}`, () => {
            const raw = stack("multi-vlan");
            raw.networks[0].reserved = { shim: "172.16.10.250" }; // in the broadcast's /26: the ranges stay as they are
            const { spec, plan } = valid(raw);
            checkRanges(7, spec, plan);
            checkAux(7, spec, plan);
            breakIt(plan);
            assert.throws(() => check(7, spec, plan), (e: Error) => {
                assert.match(e.message, /^seed 7: /);
                assert.match(e.message, message);
                return true;
            });
        });
    }
});

/**
 * Host shims and the inter-VLAN router (issue 12), pure: validation of `shims` and `router` (exact
 * messages, one per problem), the plan's reservation of shim addresses on every host (and never in
 * a range, never handed out), the rendered scripts, the forwarding policy's rules and the check
 * matrix's host rows and routed pairs.
 */
import * as assert from "assert";
import { parseLab, RawLabConfig } from "../../components/model/validate";
import { auxAddresses, planLab } from "../../components/model/plan";
import { LabSpec } from "../../components/model/types";
import { loadStackConfig, rawLabConfig } from "../../lab/stackFile";
import { renderHostShim, renderRouterForwarding, renderRouterLeg, routerRules, shimRoutes } from "../../components/host/routing";
import { checkCases, HOST_SOURCE } from "../../components/docker/checks";
import { IPv4, IPv4CidrRange } from "ip-num";

const STACK = "multi-vlan-routed";

function raw(): RawLabConfig {
    return rawLabConfig(loadStackConfig(STACK)) as RawLabConfig;
}

function spec(r: RawLabConfig = raw()): LabSpec {
    const { spec: s, errors } = parseLab(r);
    assert.deepStrictEqual(errors, []);
    return s!;
}

function messages(r: RawLabConfig): string[] {
    return parseLab(r).errors.map((e) => e.message);
}

function inRange(cidr: string, ip: string): boolean {
    const r = IPv4CidrRange.fromCidr(cidr);
    const v = new IPv4(ip).getValue();
    return v >= r.getFirst().getValue() && v <= r.getLast().getValue();
}

describe("unit: shims and router in the spec", () => {
    it("reads the routed stack: shims with default names mac<k> per host, router legs rtr<k>, the policy as written", () => {
        const s = spec();
        assert.deepStrictEqual(
            s.shims!.map((x) => `${x.host} ${x.network} ${x.address} ${x.name}`),
            [
                "docker01 mac_net10 172.16.10.2 mac0",
                "docker01 mac_net20 172.16.20.2 mac1",
                "docker02 mac_net10 172.16.10.3 mac0",
                "docker02 mac_net20 172.16.20.3 mac1",
                "docker02 mac_net30 172.16.30.3 mac2",
            ],
        );
        assert.deepStrictEqual(s.router, {
            host: "docker01",
            networks: ["mac_net10", "mac_net20", "mac_net30"],
            allow: [["mac_net10", "mac_net20"]],
            legs: { mac_net10: "rtr0", mac_net20: "rtr1", mac_net30: "rtr2" },
            defaultLegs: ["mac_net10", "mac_net20", "mac_net30"],
        });
        assert.ok(s.shims!.every((x) => x.defaultName === true), "every shim's name is the default");
    });

    it("defaults the policy to every pair of the routed networks", () => {
        const r = raw();
        r.router = { host: "docker01", networks: ["mac_net10", "mac_net20", "mac_net30"] };
        assert.deepStrictEqual(spec(r).router!.allow, [
            ["mac_net10", "mac_net20"],
            ["mac_net10", "mac_net30"],
            ["mac_net20", "mac_net30"],
        ]);
    });

    const cases: Array<[string, (r: any) => void, string[]]> = [
        [
            "a shim on the gateway",
            (r) => (r.shims[0].address = "172.16.10.1"),
            ['shims[0].address "172.16.10.1" is the gateway of mac_net10, which the router\'s leg on docker01 holds; pick a free address in 172.16.10.0/24'],
        ],
        [
            "a shim on a container's static address",
            (r) => (r.shims[2].address = "172.16.10.11"),
            ['shims[2].address "172.16.10.11" is the static address of container bbox10 on docker02; pick a free address in 172.16.10.0/24'],
        ],
        [
            "a shim outside the subnet",
            (r) => (r.shims[0].address = "172.16.11.2"),
            ['shims[0].address "172.16.11.2" is outside the subnet 172.16.10.0/24; pick a shim address inside it'],
        ],
        [
            "two shims on one address",
            (r) => (r.shims[2].address = "172.16.10.2"),
            ['shims[2].address "172.16.10.2" is already the address of shims[0]; pick a free address in 172.16.10.0/24'],
        ],
        [
            "a second shim of a host on one network",
            (r) => r.shims.push({ host: "docker01", network: "mac_net10", address: "172.16.10.4" }),
            ['shims[5].network "mac_net10" already has a shim on docker01 (shims[0]); one shim per host and network'],
        ],
        [
            "a shim named like the host's VLAN interface",
            (r) => (r.shims[0].name = "ens33.10"),
            ['shims[0].name "ens33.10" is already an interface on docker01; set shims[0].name to a free name'],
        ],
        [
            "a shim named like a router leg",
            (r) => (r.shims[0].name = "rtr1"),
            ['shims[0].name "rtr1" is already an interface on docker01 (the router\'s leg on mac_net20); set shims[0].name to a free name'],
        ],
        [
            "a shim on a network in macvlan mode private",
            (r) => {
                r.networks[2].mode = "private";
                r.router.networks = ["mac_net10", "mac_net20"];
            },
            [
                'shims[4].network "mac_net30": mac_net30 is macvlan mode private, where sub-interfaces of one parent never talk to each other, so a shim on the host cannot reach them; use mode bridge',
            ],
        ],
        [
            "a misspelt shim network and host",
            (r) => Object.assign(r.shims[0], { host: "docker1", network: "mac_net01" }),
            [
                'shims[0].host "docker1" is not a host of this stack; did you mean docker01? use one of docker01, docker02',
                'shims[0].network "mac_net01" is not a network of this stack; did you mean mac_net10? use one of mac_net10, mac_net20, mac_net30',
            ],
        ],
        [
            "a router that joins one network",
            (r) => (r.router.networks = ["mac_net10"]),
            [
                'router.networks ["mac_net10"] lists one network; a router joins at least two: list them like [mac_net10, mac_net20]',
                'router.allow[0][1] "mac_net20" is not one of router.networks (mac_net10); add it there or drop the pair',
            ],
        ],
        [
            "a policy pair of a network the router does not join",
            (r) => {
                r.router.networks = ["mac_net10", "mac_net20"];
                r.router.allow = [["mac_net10", "mac_net30"]];
            },
            ['router.allow[0][1] "mac_net30" is not one of router.networks (mac_net10, mac_net20); add it there or drop the pair'],
        ],
        [
            "a pair given twice",
            (r) => (r.router.allow = [["mac_net10", "mac_net20"], ["mac_net20", "mac_net10"]]),
            ['router.allow[1] ["mac_net20","mac_net10"] is already router.allow[0] (a pair allows both directions); drop it'],
        ],
        [
            "a router on a host a network does not span",
            (r) => {
                r.networks[2].hosts = ["docker02"];
                r.shims = r.shims.filter((x: any) => x.network !== "mac_net30" || x.host === "docker02");
            },
            ['router.networks[2] "mac_net30" does not span the router host docker01 (its hosts are docker02); add docker01 to mac_net30\'s hosts, or route on a host it spans'],
        ],
        [
            "an isolation check across a pair the router lets talk",
            (r) => (r.checks.isolation = [{ from: "docker01/bbox10", to: "docker02/bbox20" }]),
            [
                'checks.isolation[0] "docker01/bbox10 -> docker02/bbox20" expects mac_net10 and mac_net20 to be isolated, but router.allow lets them talk through docker01; drop the check or take the pair [mac_net10, mac_net20] out of router.allow',
            ],
        ],
        [
            "a router field that does not exist",
            (r) => (r.router.alow = []),
            ["router.alow is not a field of router; did you mean allow? the fields are host, networks, allow, legs"],
        ],
    ];
    for (const [title, edit, expected] of cases) {
        it(`refuses ${title}, with one message naming path, value and fix`, () => {
            const r = JSON.parse(JSON.stringify(raw()));
            edit(r);
            assert.deepStrictEqual(messages(r), expected);
        });
    }
});

describe("unit: the plan reserves shim and router addresses", () => {
    it("reserves every shim address in its network's plan and in no host's range, but not as an aux address (a shim added on one host must not change, and so replace, the network on every host)", () => {
        const s = spec();
        const { plan, errors } = planLab(s);
        assert.deepStrictEqual(errors, []);
        assert.deepStrictEqual(s.shims!.map((x) => `${x.host}/${x.network}`), ["docker01/mac_net10", "docker01/mac_net20", "docker02/mac_net10", "docker02/mac_net20", "docker02/mac_net30"]);
        for (const shim of s.shims!) {
            const n = plan.networks[shim.network];
            assert.strictEqual(n.reserved[`shim-${shim.host}`], shim.address);
            for (const h of Object.keys(n.ranges)) {
                assert.strictEqual(auxAddresses(plan, shim.network, h)[`shim-${shim.host}`], undefined, `${shim.network} on ${h}`);
                assert.ok(!inRange(n.ranges[h], shim.address), `${shim.address} is in ${h}'s range ${n.ranges[h]}`);
            }
        }
    });

    it("gives each router leg its network's gateway, which no range holds", () => {
        const s = spec();
        const { plan } = planLab(s);
        assert.deepStrictEqual(s.router!.networks, ["mac_net10", "mac_net20", "mac_net30"]);
        for (const n of s.router!.networks) {
            const p = plan.networks[n];
            assert.deepStrictEqual(p.router, { host: "docker01", name: s.router!.legs[n], address: p.gateway });
            for (const range of Object.values(p.ranges)) assert.ok(!inRange(range, p.gateway));
        }
    });

    it("keeps shim addresses out of the ranges even where a range would otherwise take them", () => {
        const r = JSON.parse(JSON.stringify(raw()));
        // .64 would start docker01's range of mac_net10 without the shim there
        r.shims[0].address = "172.16.10.64";
        const { plan } = planLab(spec(r));
        for (const range of Object.values(plan.networks.mac_net10.ranges)) assert.ok(!inRange(range, "172.16.10.64"), range);
        assert.strictEqual(plan.networks.mac_net10.reserved["shim-docker01"], "172.16.10.64");
    });

    it("never lets a container take a shim address: validation refuses it as a static address", () => {
        const r = JSON.parse(JSON.stringify(raw()));
        r.containers[0].ip = "172.16.10.3";
        assert.deepStrictEqual(messages(r), [
            'shims[2].address "172.16.10.3" is the static address of container bbox10 on docker01; pick a free address in 172.16.10.0/24',
        ]);
    });
});

describe("unit: shim and router scripts", () => {
    const s = spec();
    const { plan } = planLab(s);
    const host = (name: string, backend?: "ifcfg" | "nmcli" | "iproute2") => ({ ...s.hosts.find((h) => h.name === name)!, ...(backend ? { backend } : {}) });
    const net = (name: string) => s.networks.find((n) => n.name === name)!;

    it("routes a shim to the host's range and its statics outside it", () => {
        assert.deepStrictEqual(shimRoutes(plan, "mac_net10", "docker01", s.containers), ["172.16.10.64/26", "172.16.10.10/32"]);
        assert.deepStrictEqual(shimRoutes(plan, "mac_net30", "docker01", s.containers), ["172.16.30.64/26"]);
    });

    it("renders a thin shim script naming its inputs, per backend", () => {
        const routes = shimRoutes(plan, "mac_net10", "docker02", s.containers);
        const ifcfg = renderHostShim(host("docker02"), { network: net("mac_net10"), address: "172.16.10.3", name: "mac0", routes });
        assert.match(ifcfg.create, /^set -eu\n# macvlan-lab: shim of docker02 on mac_net10: mac0@ens33\.10 \(macvlan bridge\) with 172\.16\.10\.3\/32 \(ifcfg, systemd unit\): create\n/);
        for (const line of ["dev='mac0'", "parent='ens33.10'", "kind='macvlan'", "mode='bridge'", "address='172.16.10.3/32'", "routes='172.16.10.128/26 172.16.10.11/32'", "unit='/etc/systemd/system/macvlan-lab-mac0.service'"]) {
            assert.ok(ifcfg.create.includes(`\n${line}\n`), line);
        }
        assert.ok(ifcfg.create.endsWith('. "$lib/host/link.sh"\nlink_create\n'));
        const nm = renderHostShim(host("docker02", "nmcli"), { network: net("mac_net10"), address: "172.16.10.3", name: "mac0", routes });
        assert.ok(nm.create.includes("\nnm_routes='172.16.10.128/26 src=172.16.10.3, 172.16.10.11/32 src=172.16.10.3'\n"));
        assert.ok(nm.create.includes("\nnm_mode='2'\n"));
        const ip = renderHostShim(host("docker02", "iproute2"), { network: net("mac_net10"), address: "172.16.10.3", name: "mac0", routes });
        assert.ok(ip.create.includes("(iproute2, runtime only)"));
        assert.notStrictEqual(ifcfg.identity, ip.identity);
    });

    it("refuses what a shell must never get, naming it", () => {
        assert.throws(() => renderHostShim(host("docker01"), { network: net("mac_net10"), address: "172.16.10.2", name: "mac0;reboot", routes: [] }), {
            message: 'host docker01, shim of docker01 on mac_net10: interface "mac0;reboot" is not an interface name (at most 15 of [a-zA-Z0-9_.-])',
        });
        assert.throws(() => renderHostShim(host("docker01"), { network: net("mac_net10"), address: "172.16.10.2", name: "mac0", routes: ["172.16.10.64/25"] }), {
            message: 'host docker01, shim of docker01 on mac_net10: route "172.16.10.64/25" has host bits set',
        });
        assert.throws(() => renderRouterLeg(host("docker01"), { ...net("mac_net10"), driver: "ipvlan", mode: "l3" }, "rtr0"), {
            message: "host docker01, router leg on mac_net10: ipvlan mode l3 has no gateway to hold; use mode l2",
        });
    });

    it("renders a leg with the gateway and the network's prefix, and an ipvlan shim in the network's mode", () => {
        const leg = renderRouterLeg(host("docker01"), net("mac_net20"), "rtr1");
        assert.ok(leg.create.includes("\naddress='172.16.20.1/24'\n") && leg.create.includes("\nroutes=''\n"));
        const ipvlan = renderHostShim(host("docker01", "iproute2"), { network: { ...net("mac_net20"), driver: "ipvlan", mode: "l3" }, address: "172.16.20.2", name: "mac1", routes: [] });
        assert.ok(ipvlan.create.includes("\nkind='ipvlan'\nmode='l3'\n"));
    });

    it("turns the policy into ACCEPT both ways per allowed pair, DROP for every other pair", () => {
        const nets = s.router!.networks.map(net);
        assert.deepStrictEqual(routerRules(nets, s.router!.allow), [
            "-s 172.16.10.0/24 -d 172.16.20.0/24 -j ACCEPT",
            "-s 172.16.20.0/24 -d 172.16.10.0/24 -j ACCEPT",
            "-s 172.16.10.0/24 -d 172.16.30.0/24 -j DROP",
            "-s 172.16.20.0/24 -d 172.16.30.0/24 -j DROP",
            "-s 172.16.30.0/24 -d 172.16.10.0/24 -j DROP",
            "-s 172.16.30.0/24 -d 172.16.20.0/24 -j DROP",
        ]);
        const fwd = renderRouterForwarding(host("docker01"), { networks: nets, allow: s.router!.allow, legs: s.router!.legs });
        assert.ok(fwd.create.includes("\nchain='MACVLAN-LAB-ROUTER'\n"));
        assert.ok(fwd.create.endsWith('. "$lib/host/router.sh"\nrouter_create\n'));
        // the order of the lists changes no script (a changed script would replace the forwarding)
        const reordered = renderRouterForwarding(host("docker01"), {
            networks: [...nets].reverse(),
            allow: s.router!.allow.map(([a, b]) => [b, a] as const),
            legs: Object.fromEntries(Object.entries(s.router!.legs).reverse()),
        });
        assert.deepStrictEqual(reordered, fwd);
    });
});

describe("unit: the check matrix knows shims and the router", () => {
    it("adds host rows per shim and routed pairs per the policy", () => {
        const s = spec();
        const cases = checkCases(s.containers, s.checks.isolation, { shims: s.shims, router: s.router });
        const rows = cases.map((c) => `${c.sourceHost}/${c.source} ${c.targetHost}/${c.target} ${c.network} ${c.expect}`);
        assert.ok(rows.includes(`docker02/${HOST_SOURCE} docker02/bbox30 host->mac_net30 reachable`));
        assert.ok(rows.includes("docker01/bbox10 docker02/bbox20 mac_net10->mac_net20 reachable"));
        assert.ok(rows.includes("docker02/bbox20 docker01/bbox10 mac_net20->mac_net10 reachable"));
        assert.ok(rows.includes("docker02/bbox30 docker01/bbox10 mac_net30->mac_net10 unreachable"));
        assert.strictEqual(cases.filter((c) => c.source === HOST_SOURCE).length, 5);
        assert.strictEqual(cases.filter((c) => c.network.includes("->") && !c.network.startsWith("host->")).length, 16);
        assert.throws(() => checkCases(s.containers, [{ from: "docker01/bbox10", to: "docker02/bbox20" }], { router: s.router }), {
            message:
                'isolation[0] "docker01/bbox10 -> docker02/bbox20" expects mac_net10 and mac_net20 to be isolated, but router.allow lets them talk; drop the check or take the pair [mac_net10, mac_net20] out of router.allow',
        });
    });
});

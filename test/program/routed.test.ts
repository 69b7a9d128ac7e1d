/**
 * Program tests of the multi-vlan-routed stack (issue 12) under Pulumi's mocks: the host shims and
 * the router are declared per host with the right scripts, after the right parents, before the
 * checks; the shims' addresses are aux addresses on every host's Docker network; the outputs show
 * them; and HostShim / InterVlanRouter work on their own, with their defaults.
 */
import * as assert from "assert";
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockState, promiseOf, settle } from "../helpers/mocks";
import { runProgram } from "../helpers/runProgram";
import { loadStackConfig } from "../../lab/stackFile";
import { routerChain } from "../../components/contracts";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nprogram-test-key-material\n-----END OPENSSH PRIVATE KEY-----";

describe("program: multi-vlan-routed stack (host shims, inter-VLAN router)", function () {
    this.timeout(120_000);
    let state: MockState;
    let program: Record<string, unknown>;
    before(async () => {
        ({ state, program } = await runProgram({ stack: "multi-vlan-routed", key: KEY }));
    });

    const dependsOn = (name: string, ...on: string[]) => {
        const r = state.byName(name);
        for (const o of on) assert.ok(r.dependencies.includes(state.byName(o).urn), `${name} should depend on ${o}`);
    };

    it("declares a shim command per host and network, router legs and forwarding on docker01, and nothing of the kind elsewhere", () => {
        const names = state.resources.filter((r) => r.custom && /shim|router/.test(r.name)).map((r) => r.name).sort();
        assert.deepStrictEqual(names, [
            "lab-docker01-shim-mac_net10-link",
            "lab-docker01-shim-mac_net20-link",
            "lab-docker02-shim-mac_net10-link",
            "lab-docker02-shim-mac_net20-link",
            "lab-docker02-shim-mac_net30-link",
            "lab-router-forwarding",
            "lab-router-mac_net10-leg",
            "lab-router-mac_net20-leg",
            "lab-router-mac_net30-leg",
        ]);
        const components = state.resources.filter((r) => !r.custom && /HostShim|InterVlanRouter/.test(r.type)).map((r) => `${r.type} ${r.name}`).sort();
        assert.deepStrictEqual(components, [
            "macvlan-lab:host:HostShim lab-docker01-shim-mac_net10",
            "macvlan-lab:host:HostShim lab-docker01-shim-mac_net20",
            "macvlan-lab:host:HostShim lab-docker02-shim-mac_net10",
            "macvlan-lab:host:HostShim lab-docker02-shim-mac_net20",
            "macvlan-lab:host:HostShim lab-docker02-shim-mac_net30",
            "macvlan-lab:host:InterVlanRouter lab-router",
        ]);
    });

    it("renders each shim with its parent, address and routes, persisted by a systemd unit (ifcfg hosts), replaced delete-first", () => {
        const r = state.byName("lab-docker02-shim-mac_net30-link");
        const create = r.inputs.create as string;
        for (const line of ["dev='mac2'", "parent='ens33.30'", "address='172.16.30.3/32'", "routes='172.16.30.128/26 172.16.30.31/32'", "unit='/etc/systemd/system/macvlan-lab-mac2.service'"]) {
            assert.ok(create.includes(`\n${line}\n`), line);
        }
        assert.ok(create.endsWith("link_create\n"));
        assert.ok((r.inputs.delete as string).endsWith("link_delete\n"));
        assert.strictEqual(r.deleteBeforeReplace, true);
    });

    it("gives the router a leg per network holding its gateway and a forwarding policy of the allowed pair only", () => {
        const leg = state.byName("lab-router-mac_net20-leg").inputs.create as string;
        assert.ok(leg.includes("\ndev='rtr1'\n") && leg.includes("\naddress='172.16.20.1/24'\n") && leg.includes("\nparent='ens33.20'\n"));
        const fwd = state.byName("lab-router-forwarding").inputs.create as string;
        assert.ok(fwd.includes("-s 172.16.10.0/24 -d 172.16.20.0/24 -j ACCEPT\n-s 172.16.20.0/24 -d 172.16.10.0/24 -j ACCEPT\n-s 172.16.10.0/24 -d 172.16.30.0/24 -j DROP"));
        assert.ok(fwd.endsWith("router_create\n"));
        // the policy's chain is this stack's router's own (issue 27), never a chain another stack shares
        assert.ok(fwd.includes(`\nchain='${routerChain("macvlan-lab/multi-vlan-routed/lab-router")}'\n`), fwd);
        assert.ok(!fwd.includes("MACVLAN-LAB-ROUTER"));
    });

    it("orders: the VLAN interface before its shims and legs, the legs before forwarding, all of them before the checks", () => {
        dependsOn("lab-docker02-shim-mac_net30-link", "lab-docker02-ens33.30-config", "lab-docker02-lib-install");
        dependsOn("lab-router-mac_net10-leg", "lab-docker01-ens33.10-config", "lab-docker01-ens33.20-config", "lab-docker01-ens33.30-config");
        dependsOn("lab-router-forwarding", "lab-router-mac_net10-leg", "lab-router-mac_net20-leg", "lab-router-mac_net30-leg");
        // each host's checks wait for the router and for that host's own shims: the host rows of
        // the matrix go through those, and no ping of one host goes through another host's shim
        dependsOn("lab-checks-docker01", "lab-router-forwarding", "lab-docker01-shim-mac_net10-link");
        dependsOn("lab-checks-docker02", "lab-router-forwarding", "lab-docker02-shim-mac_net30-link");
        const checks01 = state.byName("lab-checks-docker01").dependencies;
        assert.ok(!checks01.includes(state.byName("lab-docker02-shim-mac_net30-link").urn), "docker01's checks wait for docker02's shim");
    });

    it("carries the VLAN interface's revision in the triggers of every shim and leg on it, so a replaced VLAN interface replaces them", () => {
        const revisionOf = (triggers: unknown): string => createHash("sha256").update(JSON.stringify(triggers)).digest("hex").slice(0, 16);
        const cases: Array<[string, string]> = [
            ["lab-docker01-shim-mac_net10-link", "lab-docker01-ens33.10-config"],
            ["lab-docker02-shim-mac_net30-link", "lab-docker02-ens33.30-config"],
            ["lab-router-mac_net20-leg", "lab-docker01-ens33.20-config"],
            ["lab-router-mac_net30-leg", "lab-docker01-ens33.30-config"],
        ];
        for (const [link, vlan] of cases) {
            const triggers = state.byName(link).inputs.triggers as string[];
            assert.strictEqual(triggers.length, 3, link);
            assert.strictEqual(triggers[1], link.includes("docker02") ? "192.168.1.13:22" : "192.168.1.11:22");
            assert.strictEqual(triggers[2], revisionOf(state.byName(vlan).inputs.triggers), `${link} carries the revision of ${vlan}`);
            assert.strictEqual(state.byName(link).deleteBeforeReplace, true);
        }
        // the forwarding acts on no link: only its script and endpoint
        assert.strictEqual((state.byName("lab-router-forwarding").inputs.triggers as string[]).length, 2);
    });

    it("keeps every shim address out of every host's range but does not list shims as aux addresses (a shim added on one host must not replace the network on the others)", () => {
        const networks = state.byType("docker:index/network:Network");
        assert.strictEqual(networks.length, 6, "mac_net10, mac_net20 and mac_net30 on both hosts");
        for (const n of networks) {
            const ipam = n.inputs.ipamConfigs as Array<Record<string, unknown>>;
            assert.strictEqual(ipam[0].auxAddress, undefined, n.name);
        }
        for (const h of ["docker01", "docker02"]) {
            const ipam = state.byName(`lab-mac_net10-${h}`).inputs.ipamConfigs as Array<Record<string, unknown>>;
            assert.strictEqual(ipam[0].gateway, "172.16.10.1");
            for (const shim of ["172.16.10.2", "172.16.10.3"]) {
                const [base, bits] = String(ipam[0].ipRange).split("/");
                const last = Number(base.split(".")[3]) + 2 ** (32 - Number(bits)) - 1;
                const octet = Number(shim.split(".")[3]);
                assert.ok(octet < Number(base.split(".")[3]) || octet > last, `${shim} in ${h}'s range ${String(ipam[0].ipRange)}`);
            }
        }
    });

    it("runs host rows and routed pairs in the checks, and shows shims and the router in the hosts output", async () => {
        const c1 = state.byName("lab-checks-docker02").inputs.create as string;
        assert.ok(c1.includes("\nstart 'docker02' '-' 'docker02' 'bbox30' '172.16.30.31' 'host->mac_net30' 'reachable'\n"));
        assert.ok(c1.includes("\nstart 'docker02' 'bbox20' 'docker01' 'bbox10' '172.16.10.10' 'mac_net20->mac_net10' 'reachable'\n"));
        assert.ok(c1.includes("\nstart 'docker02' 'bbox30' 'docker01' 'bbox20' '172.16.20.20' 'mac_net30->mac_net20' 'unreachable'\n"));
        const hosts = (await promiseOf(pulumi.output(program.hosts as never))) as Record<string, any>;
        assert.deepStrictEqual(hosts.docker02.shims.mac_net30, { interfaceName: "mac2", address: "172.16.30.3", routes: ["172.16.30.128/26", "172.16.30.31/32"], persistence: "systemd unit" });
        assert.deepStrictEqual(hosts.docker01.router, {
            legs: { mac_net10: "rtr0", mac_net20: "rtr1", mac_net30: "rtr2" },
            allow: [["mac_net10", "mac_net20"]],
            persistence: "systemd unit",
        });
        assert.strictEqual(hosts.docker02.router, undefined);
    });

    it("keeps the interface name each default shim and leg had in the last deployment when others are removed (from its hosts output)", async () => {
        const hosts = (await promiseOf(pulumi.output(program.hosts as never))) as Record<string, unknown>;
        const config = loadStackConfig("multi-vlan-routed");
        const shims = (JSON.parse(config["macvlan-lab:shims"]) as Array<{ host: string; network: string }>).filter((x) => !(x.host === "docker02" && x.network === "mac_net10"));
        const router = { ...(JSON.parse(config["macvlan-lab:router"]) as object), networks: ["mac_net20", "mac_net30"], allow: [["mac_net20", "mac_net30"]] };
        const edited = { ...config, "macvlan-lab:shims": JSON.stringify(shims), "macvlan-lab:router": JSON.stringify(router), "macvlan-lab:checks": JSON.stringify({ connectivity: true }) };
        const dev = (s: MockState, name: string): string => /\ndev='([^']*)'\n/.exec(s.byName(name).inputs.create as string)?.[1] ?? "(none)";
        const withMemory = await runProgram({ stack: "multi-vlan-routed", config: edited, key: KEY, outputs: (a) => (a.type === "pulumi:pulumi:StackReference" ? { outputs: { hosts } } : {}) });
        assert.deepStrictEqual(
            ["lab-docker02-shim-mac_net20-link", "lab-docker02-shim-mac_net30-link", "lab-router-mac_net20-leg", "lab-router-mac_net30-leg"].map((n) => `${n} ${dev(withMemory.state, n)}`),
            ["lab-docker02-shim-mac_net20-link mac1", "lab-docker02-shim-mac_net30-link mac2", "lab-router-mac_net20-leg rtr1", "lab-router-mac_net30-leg rtr2"],
        );
        // a stack with no deployment yet: names by position
        const fresh = await runProgram({ stack: "multi-vlan-routed", config: edited, key: KEY });
        assert.deepStrictEqual(
            ["lab-docker02-shim-mac_net20-link", "lab-router-mac_net20-leg"].map((n) => dev(fresh.state, n)),
            ["mac0", "rtr0"],
        );
    });
});

describe("program: HostShim and InterVlanRouter on their own, with their defaults", function () {
    this.timeout(120_000);
    it("declares a shim named mac0 routing the whole subnet, and a router with rtr<k> legs allowing every pair", async () => {
        const state = installMocks("standalone", {}, []);
        const c = await import("../../components");
        const host = {
            name: "h1",
            ssh: { address: "10.0.0.5", port: 22, user: "root", dialErrorLimit: 5, perDialTimeout: 10, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBScCbp3QM+KChznepOkxKpDarS31Xe0kTgAsTZp4/zV" },
            nic: "eth0",
            nicIsManagement: true,
            backend: "nmcli" as const,
            configDir: "/etc/NetworkManager/system-connections",
        };
        const net = (name: string, third: number) => ({
            name,
            driver: "macvlan" as const,
            mode: "bridge" as const,
            subnet: `10.9.${third}.0/24`,
            gateway: `10.9.${third}.1`,
            parents: { h1: "eth0" },
            hosts: ["h1"],
            reserved: {},
        });
        const library = new c.HostLibrary("h1-lib", { connection: c.remoteConnection(host.ssh, "key"), endpoint: "10.0.0.5:22" });
        const shim = new c.HostShim("h1-shim", { host, network: net("a", 1), address: "10.9.1.2", privateKey: "key", library });
        const router = new c.InterVlanRouter("h1-router", { host, networks: [net("a", 1), { ...net("b", 2), parents: { h1: "eth1" } }], privateKey: "key", library });
        await settle(state, 100);
        assert.strictEqual(shim.interfaceName, "mac0");
        assert.deepStrictEqual(shim.routes, ["10.9.1.0/24"]);
        assert.strictEqual(shim.persistence, "NetworkManager profile");
        const create = state.byName("h1-shim-link").inputs.create as string;
        assert.ok(create.includes("\nnm_routes='10.9.1.0/24 src=10.9.1.2'\n"));
        assert.deepStrictEqual(router.legs, { a: "rtr0", b: "rtr1" });
        assert.deepStrictEqual(router.allow, [["a", "b"]]);
        assert.ok(state.byName("h1-router-b-leg").inputs.create !== undefined);
        // NIC parents: no revision to carry
        assert.strictEqual((state.byName("h1-shim-link").inputs.triggers as string[]).length, 2);
        assert.throws(
            () => new c.HostShim("bad", { host, network: { ...net("p", 3), mode: "private" as never }, address: "10.9.3.2", privateKey: "key", library }),
            /HostShim bad: host h1, shim of h1 on p: p is macvlan mode private; a host link reaches the containers only in mode bridge/,
        );
    });
});

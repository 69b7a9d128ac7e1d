import * as assert from "assert";
import { LabConfigError, loadLab, parseLab, RawLabConfig, validateLab } from "../../components/spec/validate";
import { parseImageReference } from "../../components/spec/names";
import { listStacks, loadStackConfig, rawLabConfig } from "../../lab/stackFile";

/* eslint-disable @typescript-eslint/no-explicit-any */
const multiVlan = (): any => structuredClone(rawLabConfig(loadStackConfig("multi-vlan")));
const singleNetwork = (): any => structuredClone(rawLabConfig(loadStackConfig("single-network")));

/** [what, mutation of the multi-VLAN stack, every expected error message] */
const CASES: Array<[string, (c: any) => void, string[]]> = [
    ["host name not in DNS label form", (c) => (c.hosts[1].name = "docker_02;rm"), [
        "hosts[1].name docker_02;rm is not a host name (letters, digits and -, at most 63, like docker01)",
        // the references to docker02 now name no host: each says so once
        "vlans[0].addresses.docker02: docker02 is not a host of this stack; use one of docker01",
        "vlans[1].addresses.docker02: docker02 is not a host of this stack; use one of docker01",
        "containers[2].host docker02 is not a host of this stack; use one of docker01",
        "containers[3].host docker02 is not a host of this stack; use one of docker01",
    ]],
    ["interface name longer than 15 characters", (c) => (c.hosts[0].nic = "averyveryverylongnic0"), [
        "hosts[0].nic averyveryverylongnic0 is not an interface name (at most 15 characters: letters, digits, _ . -)",
    ]],
    ["interface name that could reach a shell", (c) => (c.hosts[1].nic = "ens33$(reboot)"), [
        "hosts[1].nic ens33$(reboot) is not an interface name (at most 15 characters: letters, digits, _ . -)",
    ]],
    ["VLAN interface name over 15 characters", (c) => {
        for (const h of c.hosts) h.nic = "enp0s31f6abcde";
        c.vlans[0].parent = c.vlans[1].parent = "enp0s31f6abcde";
    }, [
        "vlans[0] would create interface enp0s31f6abcde.10, longer than the kernel's 15 characters; use a shorter parent name",
        "vlans[1] would create interface enp0s31f6abcde.20, longer than the kernel's 15 characters; use a shorter parent name",
    ]],
    ["VLAN id 0", (c) => (c.vlans[0].id = 0), [
        "vlans[0].id 0 is not a VLAN id; use a whole number from 1 to 4094",
        "networks[0].vlan 10 is not a VLAN of this stack; add it under vlans or use one of 20",
    ]],
    ["VLAN id 4095", (c) => (c.vlans[1].id = 4095), [
        "vlans[1].id 4095 is not a VLAN id; use a whole number from 1 to 4094",
        "networks[1].vlan 20 is not a VLAN of this stack; add it under vlans or use one of 10",
    ]],
    ["VLAN id twice on one parent", (c) => (c.vlans[1].id = 10), [
        "vlans[1].id 10 is already used on parent ens33 by vlans[0]; a VLAN id is unique per parent",
        "networks[1].vlan 20 is not a VLAN of this stack; add it under vlans or use one of 10",
    ]],
    ["network on an unknown VLAN", (c) => (c.networks[1].vlan = 30), [
        "networks[1].vlan 30 is not a VLAN of this stack; add it under vlans or use one of 10, 20",
    ]],
    ["network parent names a VLAN interface nobody creates", (c) => {
        delete c.networks[1].vlan;
        c.networks[1].parent = "ens33.30";
    }, [
        "networks[1].parent ens33.30 names a VLAN interface that no VLAN of this stack creates; add a VLAN with that parent and id under vlans, or use docker01's nic ens33",
        "networks[1].parent ens33.30 names a VLAN interface that no VLAN of this stack creates; add a VLAN with that parent and id under vlans, or use docker02's nic ens33",
    ]],
    ["VLAN member host unknown", (c) => (c.vlans[0].addresses.docker03 = "192.168.10.12/24"), [
        "vlans[0].addresses.docker03: docker03 is not a host of this stack; use one of docker01, docker02",
    ]],
    ["subnet that does not parse", (c) => (c.networks[0].subnet = "172.16.10.0/33"), [
        "networks[0].subnet 172.16.10.0/33 is not an IPv4 subnet; write it like 172.16.10.0/24",
    ]],
    ["subnet with host bits", (c) => (c.networks[0].subnet = "172.16.10.5/24"), [
        "networks[0].subnet 172.16.10.5/24 has host bits set; did you mean 172.16.10.0/24?",
    ]],
    ["gateway outside the subnet", (c) => (c.networks[0].gateway = "172.16.11.1"), [
        "networks[0].gateway 172.16.11.1 is outside the subnet 172.16.10.0/24; pick a gateway inside it",
    ]],
    ["gateway is the network address", (c) => (c.networks[0].gateway = "172.16.10.0"), [
        "networks[0].gateway 172.16.10.0 is the network address of 172.16.10.0/24; pick a gateway inside it",
    ]],
    ["gateway is the broadcast address", (c) => (c.networks[1].gateway = "172.16.20.255"), [
        "networks[1].gateway 172.16.20.255 is the broadcast address of 172.16.20.0/24; pick a gateway inside it",
    ]],
    ["container address outside the subnet", (c) => (c.containers[0].ip = "172.16.20.10"), [
        "containers[0].ip 172.16.20.10 is outside the subnet 172.16.10.0/24; pick a container address inside it",
    ]],
    ["container address is the gateway", (c) => (c.containers[0].ip = "172.16.10.1"), [
        "containers[0].ip 172.16.10.1 is mac_net10's gateway; pick a free address in 172.16.10.0/24",
    ]],
    ["container address is the network address", (c) => (c.containers[1].ip = "172.16.20.0"), [
        "containers[1].ip 172.16.20.0 is the network address of 172.16.20.0/24; pick a container address inside it",
    ]],
    ["container address is the broadcast address", (c) => (c.containers[0].ip = "172.16.10.255"), [
        "containers[0].ip 172.16.10.255 is the broadcast address of 172.16.10.0/24; pick a container address inside it",
    ]],
    ["container address is reserved", (c) => (c.networks[0].reserved = { router: "172.16.10.10" }), [
        "containers[0].ip 172.16.10.10 is reserved as router on mac_net10; pick a free address in 172.16.10.0/24",
    ]],
    ["container address is a host's own address", (c) => {
        c.vlans[0].addresses.docker01 = "172.16.10.10/24";
        c.vlans[0].addresses.docker02 = "172.16.10.200/24";
    }, [
        "containers[0].ip 172.16.10.10 is docker01's address on ens33.10; pick a free address in 172.16.10.0/24",
    ]],
    ["the tutorial's step 6: 172.16.10.10 on both hosts", (c) => (c.containers[2].ip = "172.16.10.10"), [
        "containers[2].ip 172.16.10.10 of bbox10 on docker02 is already used by bbox10 on docker01 (containers[0]): docker01 and docker02 share mac_net10's L2 segment, so the address would be duplicated; pick a free address in 172.16.10.0/24",
    ]],
    ["two containers with one address on one host", (c) => {
        c.containers.push({ name: "bbox11", host: "docker01", network: "mac_net10", ip: "172.16.10.10", image: "busybox:latest" });
    }, [
        "containers[4].ip 172.16.10.10 of bbox11 on docker01 is already used by bbox10 on docker01 (containers[0]); pick a free address in 172.16.10.0/24",
    ]],
    ["container name twice on one host", (c) => (c.containers[1].name = "bbox10"), [
        "containers[1].name bbox10 is already containers[0] on docker01; container names are unique per host",
    ]],
    ["overlapping networks", (c) => (c.networks[1].subnet = "172.16.0.0/16"), [
        "networks[1].subnet 172.16.0.0/16 overlaps mac_net10's 172.16.10.0/24 (networks[0]); give every network its own subnet",
    ]],
    ["one network with different subnets on two hosts", (c) => {
        c.networks[0].hosts = ["docker01", { name: "docker02", subnet: "172.16.11.0/24" }];
    }, [
        "networks[0].hosts[1].subnet 172.16.11.0/24 differs from mac_net10's subnet 172.16.10.0/24; a macvlan network spans hosts only when its subnet and gateway are the same on every host: drop the override or use one subnet",
    ]],
    ["one network with different gateways on two hosts", (c) => {
        c.networks[0].hosts = ["docker01", { name: "docker02", gateway: "172.16.10.254" }];
    }, [
        "networks[0].hosts[1].gateway 172.16.10.254 differs from mac_net10's gateway 172.16.10.1; the gateway must be the same on every host: drop the override",
    ]],
    ["two Docker networks on one parent interface", (c) => {
        c.networks.push({ name: "mac_net10b", subnet: "172.16.11.0/24", gateway: "172.16.11.1", vlan: 10 });
    }, [
        "networks[2].vlan: mac_net10b would be the second Docker network on ens33.10 of docker01 (mac_net10 is already there); Docker allows one macvlan network per parent interface: use a VLAN interface or another NIC",
        "networks[2].vlan: mac_net10b would be the second Docker network on ens33.10 of docker02 (mac_net10 is already there); Docker allows one macvlan network per parent interface: use a VLAN interface or another NIC",
    ]],
    ["a subnet with no room for a range per host", (c) => (c.networks[0].subnet = "172.16.10.0/29"), [
        "networks[0].subnet 172.16.10.0/29 is too small for a gateway and a dynamic range per host; use a prefix of /28 or shorter",
    ]],
    ["container on an unknown host", (c) => (c.containers[0].host = "docker03"), [
        "containers[0].host docker03 is not a host of this stack; use one of docker01, docker02",
    ]],
    ["container on an unknown network", (c) => (c.containers[0].network = "mac_net30"), [
        "containers[0].network mac_net30 is not a network of this stack; use one of mac_net10, mac_net20",
    ]],
    ["registry on an unknown host", (c) => (c.registry.host = "docker09"), [
        "registry.host docker09 is not a host of this stack; use one of docker01, docker02",
    ]],
    ["registry port 0", (c) => (c.registry.port = 0), ["registry.port 0 is not a TCP port; use a whole number from 1 to 65535"]],
    ["registry port 70000", (c) => (c.registry.port = 70000), ["registry.port 70000 is not a TCP port; use a whole number from 1 to 65535"]],
    ["the tutorial's pull without the registry port", (c) => (c.containers[2].image = "192.168.1.11/busybox:v1"), [
        "containers[2].image 192.168.1.11/busybox:v1 names the stack's registry host 192.168.1.11 without its port, but the registry listens on 192.168.1.11:5000; write 192.168.1.11:5000/busybox:v1",
    ]],
    ["an image the registry does not hold", (c) => (c.containers[2].image = "192.168.1.11:5000/alpine:3"), [
        "containers[2].image 192.168.1.11:5000/alpine:3 is not pushed to the stack's registry (it holds busybox:v1); add it to registry.mirrors or use one of those",
    ]],
    ["an image name Docker refuses", (c) => (c.containers[3].image = "BusyBox:v1"), [
        "containers[3].image BusyBox:v1 is not an image reference Docker accepts; write it like busybox:latest or 192.168.1.11:5000/busybox:v1 (lower-case repository, tag of letters, digits, _ . -)",
    ]],
    ["a wireless NIC", (c) => {
        c.hosts[0].nic = "wlan0";
        c.vlans = [];
        c.networks = [{ name: "mac_net1", subnet: "172.22.16.0/24", gateway: "172.22.16.1" }];
        c.containers = [];
        delete c.checks.isolation;
    }, [
        "hosts[0].nic wlan0 looks like a wireless interface: 802.11 access points drop frames from MAC addresses that did not associate, so macvlan does not work over it; use a wired NIC, or the ipvlan driver (driver: ipvlan on the networks) which shares the NIC's MAC",
        "networks[0].hosts[0] wlan0 looks like a wireless interface: macvlan does not work over 802.11 (the access point drops frames from unknown MACs); use driver: ipvlan, which shares the parent's MAC",
    ]],
    ["a VLAN address equal to the management address", (c) => {
        c.vlans[0].addresses = { docker01: "192.168.1.11/24" };
        c.networks[0].hosts = ["docker01"];
        c.containers.splice(2, 2);
        delete c.checks.isolation;
    }, [
        "vlans[0].addresses.docker01 192.168.1.11/24 is docker01's management address (its SSH address); the VLAN would move it off the management NIC and cut the connection: pick another address",
    ]],
    ["a VLAN subnet that contains the management address", (c) => {
        c.vlans[0].addresses = { docker01: "192.168.1.50/16", docker02: "192.168.1.51/16" };
    }, [
        "vlans[0].addresses.docker01 192.168.1.50/16 puts docker01's management address 192.168.1.11 inside ens33.10's subnet; the host would route its SSH replies through the VLAN: use a subnet that does not contain 192.168.1.11",
        "vlans[0].addresses.docker02 192.168.1.51/16 puts docker02's management address 192.168.1.13 inside ens33.10's subnet; the host would route its SSH replies through the VLAN: use a subnet that does not contain 192.168.1.13",
    ]],
    ["a network subnet that contains the management address", (c) => {
        c.networks[0].subnet = "192.168.0.0/16";
        c.networks[0].gateway = "192.168.0.1";
        c.containers[0].ip = "192.168.10.100";
        c.containers[2].ip = "192.168.10.101";
    }, [
        "networks[0].subnet 192.168.0.0/16 contains docker01's management address 192.168.1.11; Docker could hand it to a container: use a subnet apart from the management network",
        "networks[0].subnet 192.168.0.0/16 contains docker02's management address 192.168.1.13; Docker could hand it to a container: use a subnet apart from the management network",
    ]],
    ["defaultRoute without a gateway", (c) => (c.vlans[0].defaultRoute = true), [
        "vlans[0].defaultRoute is true but vlans[0].gateway is not set; set the gateway, or drop defaultRoute",
    ]],
    ["two default routes on one host (the tutorial's GATEWAY= everywhere)", (c) => {
        c.vlans[0].gateway = "192.168.10.2";
        c.vlans[0].defaultRoute = true;
        c.vlans[1].gateway = "192.168.20.2";
        c.vlans[1].defaultRoute = true;
    }, [
        "vlans: 2 VLANs give docker01 a default route; a host has one default route, so set defaultRoute on at most one of them",
        "vlans: 2 VLANs give docker02 a default route; a host has one default route, so set defaultRoute on at most one of them",
    ]],
    ["a VLAN gateway outside the VLAN's subnet", (c) => (c.vlans[0].gateway = "192.168.20.2"), [
        "vlans[0].gateway 192.168.20.2 is outside the VLAN's subnet 192.168.10.0/24; pick an address inside it",
    ]],
    ["a network on a host that is not a member of its VLAN", (c) => delete c.vlans[0].addresses.docker02, [
        "networks[0].vlan ens33.10 is VLAN 10, but docker02 has no address on it; add docker02 to that VLAN's addresses, or leave docker02 out of the network",
    ]],
    ["a misspelt field", (c) => (c.hosts[0].nics = "ens33"), [
        "hosts[0].nics is not a known field; the fields of hosts[0] are name, address, port, user, hostKey, nic, nicIsManagement, backend, configDir, dialErrorLimit, perDialTimeout",
    ]],
    ["an unknown backend", (c) => (c.hosts[0].backend = "netplan"), ["hosts[0].backend netplan is not one of ifcfg, nmcli, iproute2"]],
    ["a config dir with ..", (c) => (c.hosts[0].configDir = "/etc/../root"), [
        "hosts[0].configDir /etc/../root is not an absolute path of safe characters without ..",
    ]],
    ["a host key that is not a key", (c) => (c.hosts[0].hostKey = "ssh-ed25519 AAAA; curl x"), [
        "hosts[0].hostKey ssh-ed25519 AAAA; curl x is not an OpenSSH public key line like ssh-ed25519 AAAA...",
    ]],
    ["two hosts on one SSH endpoint", (c) => (c.hosts[1].address = "192.168.1.11"), [
        "hosts[1].address 192.168.1.11 port 22 is already host docker01's SSH endpoint; every host needs its own address or port",
    ]],
    ["a subnet too small for a range per host", (c) => {
        c.networks[0].subnet = "172.16.10.0/28";
        c.containers[0].ip = "172.16.10.2";
        c.containers[2].ip = "172.16.10.5";
        c.containers[1].ip = "172.16.20.9"; // keep mac_net20 valid
    }, [
        "networks[0] mac_net10: subnet 172.16.10.0/28 cannot give each of its 2 hosts a disjoint dynamic range of at least 4 addresses free of the gateway, static, reserved and host addresses; use a larger subnet, fewer hosts, or fewer scattered static addresses",
    ]],
    ["an isolation check between containers of one network", (c) => (c.checks.isolation = [{ from: "docker01/bbox10", to: "docker02/bbox10" }]), [
        "checks.isolation[0]: docker01/bbox10 and docker02/bbox10 are both on mac_net10, so they are meant to reach each other; an isolation check needs containers on different networks",
    ]],
    ["an isolation check naming an unknown container", (c) => (c.checks.isolation = [{ from: "docker01/bbox10", to: "docker03/bbox20" }]), [
        "checks.isolation[0].to docker03/bbox20 is not a container of this stack; use one of docker01/bbox10, docker01/bbox20, docker02/bbox10, docker02/bbox20",
    ]],
    ["a command with an empty list", (c) => (c.containers[0].command = []), [
        "containers[0].command [] is not a non-empty list of strings; write it like [sleep, infinity]",
    ]],
    ["a command that is not a list", (c) => (c.containers[0].command = "sleep 1d"), [
        "containers[0].command sleep 1d is not a list; write it as a YAML sequence",
    ]],
    ["no hosts at all: one error, not one per reference", (c) => delete c.hosts, [
        "hosts is missing; list at least one host with name, address and nic",
    ]],
];

describe("validateLab", () => {
    for (const stack of listStacks()) {
        it(`accepts stacks/Pulumi.${stack}.yaml`, () => {
            assert.deepStrictEqual(validateLab(rawLabConfig(loadStackConfig(stack)) as RawLabConfig), []);
        });
    }

    for (const [what, mutate, expected] of CASES) {
        it(`rejects ${what}`, () => {
            const c = multiVlan();
            mutate(c);
            assert.deepStrictEqual(validateLab(c).map((e) => e.message), expected);
        });
    }

    it("reports every problem at once, each with its config path", () => {
        const c = multiVlan();
        c.vlans[0].id = 0;
        c.containers[3].ip = "172.16.20.20";
        c.registry.port = 0;
        const errors = validateLab(c);
        assert.deepStrictEqual(errors.map((e) => e.path), [
            "vlans[0].id",
            "networks[0].vlan",
            "registry.port",
            "containers[3].ip",
        ]);
    });

    it("fills the defaults a user would expect", () => {
        const spec = loadLab(singleNetwork());
        assert.deepStrictEqual(spec.hosts[0], {
            name: "docker01",
            ssh: { address: "192.168.1.11", port: 22, user: "root", dialErrorLimit: 5, perDialTimeout: 10 },
            nic: "ens33",
            nicIsManagement: true,
            backend: "ifcfg",
            configDir: "/etc/sysconfig/network-scripts",
        });
        assert.deepStrictEqual(spec.networks[0], {
            name: "mac_net1",
            driver: "macvlan",
            mode: "bridge",
            subnet: "172.22.16.0/24",
            gateway: "172.22.16.1",
            parents: { docker01: "ens33", docker02: "ens33" },
            hosts: ["docker01", "docker02"],
            reserved: {},
        });
        assert.deepStrictEqual(spec.containers[0], {
            name: "bbox1", host: "docker01", network: "mac_net1", ip: "172.22.16.10",
            image: "busybox:latest", command: ["sleep", "infinity"], restart: "always",
        });
        assert.deepStrictEqual(spec.checks, { connectivity: true, isolation: [], count: 3, timeoutSeconds: 5 });
    });

    it("resolves the multi-VLAN stack's networks onto the VLAN interfaces and the registry endpoint", () => {
        const spec = loadLab(multiVlan());
        assert.deepStrictEqual(spec.networks.map((n) => [n.name, n.vlan, n.parents]), [
            ["mac_net10", 10, { docker01: "ens33.10", docker02: "ens33.10" }],
            ["mac_net20", 20, { docker01: "ens33.20", docker02: "ens33.20" }],
        ]);
        assert.deepStrictEqual(spec.vlans.map((v) => [v.interfaceName, v.gateway, v.defaultRoute]), [
            ["ens33.10", undefined, false],
            ["ens33.20", undefined, false],
        ]);
        assert.strictEqual(spec.registry?.endpoint, "192.168.1.11:5000");
        assert.deepStrictEqual(spec.registry?.mirrors, [{ source: "busybox:latest", name: "busybox", tag: "v1" }]);
    });

    it("loadLab throws every message in one error", () => {
        const c = multiVlan();
        c.registry.port = 0;
        c.containers[2].ip = "172.16.10.10";
        assert.throws(() => loadLab(c), (e: unknown) => {
            assert.ok(e instanceof LabConfigError);
            assert.strictEqual(e.errors.length, 2);
            assert.match(e.message, /^the stack's config has 2 problems:\n {2}- registry\.port 0 .*\n {2}- containers\[2\]\.ip 172\.16\.10\.10 /);
            return true;
        });
    });

    it("parseLab gives no spec when anything is wrong", () => {
        const c = multiVlan();
        c.registry.port = -1;
        assert.strictEqual(parseLab(c).spec, undefined);
    });
});

describe("parseImageReference", () => {
    const table: Array<[string, ReturnType<typeof parseImageReference>]> = [
        ["busybox", { registry: undefined, repository: "busybox", tag: undefined, digest: undefined }],
        ["busybox:latest", { registry: undefined, repository: "busybox", tag: "latest", digest: undefined }],
        ["library/busybox:1.36", { registry: undefined, repository: "library/busybox", tag: "1.36", digest: undefined }],
        ["192.168.1.11:5000/busybox:v1", { registry: "192.168.1.11:5000", repository: "busybox", tag: "v1", digest: undefined }],
        ["192.168.1.11/busybox:v1", { registry: "192.168.1.11", repository: "busybox", tag: "v1", digest: undefined }],
        ["localhost/x", { registry: "localhost", repository: "x", tag: undefined, digest: undefined }],
        ["BusyBox", undefined],
        ["busybox:v1;reboot", undefined],
        ["busybox:", undefined],
        ["-busybox", undefined],
        ["busybox $(id)", undefined],
    ];
    for (const [ref, expected] of table) {
        it(`${ref} -> ${JSON.stringify(expected)}`, () => assert.deepStrictEqual(parseImageReference(ref), expected));
    }
});

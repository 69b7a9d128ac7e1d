import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { CONFIG_KEYS, LabConfigError, loadLab, looksLikeOurNamespace, parseLab, RawLabConfig, validateLab } from "../../components/model/validate";
import { parseImageReference } from "../../components/model/names";
import { listStacks, loadStackConfig, rawLabConfig } from "../../lab/stackFile";

/* eslint-disable @typescript-eslint/no-explicit-any */
const multiVlan = (): any => structuredClone(rawLabConfig(loadStackConfig("multi-vlan")));
const singleNetwork = (): any => structuredClone(rawLabConfig(loadStackConfig("single-network")));

/** [what, mutation of the multi-VLAN stack, every expected error message] */
const CASES: Array<[string, (c: any) => void, string[]]> = [
    ["host name not in DNS label form", (c) => (c.hosts[1].name = "docker_02;rm"), [
        'hosts[1].name "docker_02;rm" is not a host name (letters, digits and -, at most 63, like docker01)',
    ]],
    ["interface name longer than 15 characters", (c) => (c.hosts[0].nic = "averyveryverylongnic0"), [
        'hosts[0].nic "averyveryverylongnic0" is not an interface name (at most 15 characters: letters, digits, _ . -)',
    ]],
    ["interface name that could reach a shell", (c) => (c.hosts[1].nic = "ens33$(reboot)"), [
        'hosts[1].nic "ens33$(reboot)" is not an interface name (at most 15 characters: letters, digits, _ . -)',
    ]],
    ["VLAN interface name over 15 characters", (c) => {
        for (const h of c.hosts) h.nic = "enp0s31f6abcde";
        c.vlans[0].parent = c.vlans[1].parent = "enp0s31f6abcde";
    }, [
        `vlans[0].parent "enp0s31f6abcde" with id 10 makes the interface name enp0s31f6abcde.10, longer than the kernel's 15 characters; use a shorter parent name`,
        `vlans[1].parent "enp0s31f6abcde" with id 20 makes the interface name enp0s31f6abcde.20, longer than the kernel's 15 characters; use a shorter parent name`,
    ]],
    ["VLAN id 0", (c) => (c.vlans[0].id = 0), [
        "vlans[0].id 0 is not a VLAN id; use a whole number from 1 to 4094",
    ]],
    ["VLAN id 4095", (c) => (c.vlans[1].id = 4095), [
        "vlans[1].id 4095 is not a VLAN id; use a whole number from 1 to 4094",
    ]],
    ["VLAN id twice on one parent", (c) => (c.vlans[1].id = 10), [
        "vlans[1].id 10 is already used on parent ens33 by vlans[0]; a VLAN id is unique per parent",
    ]],
    ["network on an unknown VLAN", (c) => (c.networks[1].vlan = 30), [
        "networks[1].vlan 30 is not a VLAN id of this stack; add it under vlans or use one of 10, 20",
    ]],
    ["network parent names a VLAN interface nobody creates", (c) => {
        delete c.networks[1].vlan;
        c.networks[1].parent = "ens33.30";
    }, [
        'networks[1].parent "ens33.30" names a VLAN interface that no VLAN of this stack creates; add a VLAN with parent ens33 and id 30 under vlans, or use the nic of docker01 and docker02',
    ]],
    ["VLAN member host unknown", (c) => (c.vlans[0].addresses.docker03 = "192.168.10.12/24"), [
        'vlans[0].addresses.docker03 "docker03" is not a host of this stack; use one of docker01, docker02',
    ]],
    ["subnet that does not parse", (c) => (c.networks[0].subnet = "172.16.10.0/33"), [
        'networks[0].subnet "172.16.10.0/33" is not an IPv4 subnet; write it like 172.16.10.0/24',
    ]],
    ["subnet with host bits", (c) => (c.networks[0].subnet = "172.16.10.5/24"), [
        'networks[0].subnet "172.16.10.5/24" has host bits set; did you mean 172.16.10.0/24?',
    ]],
    ["gateway outside the subnet", (c) => (c.networks[0].gateway = "172.16.11.1"), [
        'networks[0].gateway "172.16.11.1" is outside the subnet 172.16.10.0/24; pick a gateway inside it',
    ]],
    ["gateway is the network address", (c) => (c.networks[0].gateway = "172.16.10.0"), [
        'networks[0].gateway "172.16.10.0" is the network address of 172.16.10.0/24; pick a gateway inside it',
    ]],
    ["gateway is the broadcast address", (c) => (c.networks[1].gateway = "172.16.20.255"), [
        'networks[1].gateway "172.16.20.255" is the broadcast address of 172.16.20.0/24; pick a gateway inside it',
    ]],
    ["container address outside the subnet", (c) => (c.containers[0].ip = "172.16.20.10"), [
        'containers[0].ip "172.16.20.10" is outside the subnet 172.16.10.0/24; pick a container address inside it',
    ]],
    ["container address is the gateway", (c) => (c.containers[0].ip = "172.16.10.1"), [
        'containers[0].ip "172.16.10.1" is the gateway of mac_net10; pick a free address in 172.16.10.0/24',
    ]],
    ["container address is the network address", (c) => (c.containers[1].ip = "172.16.20.0"), [
        'containers[1].ip "172.16.20.0" is the network address of 172.16.20.0/24; pick a container address inside it',
    ]],
    ["container address is the broadcast address", (c) => (c.containers[0].ip = "172.16.10.255"), [
        'containers[0].ip "172.16.10.255" is the broadcast address of 172.16.10.0/24; pick a container address inside it',
    ]],
    ["container address is reserved", (c) => (c.networks[0].reserved = { router: "172.16.10.10" }), [
        'containers[0].ip "172.16.10.10" is reserved as router on mac_net10; pick a free address in 172.16.10.0/24',
    ]],
    ["container address is a host's own address", (c) => {
        c.vlans[0].addresses.docker01 = "172.16.10.10/24";
        c.vlans[0].addresses.docker02 = "172.16.10.200/24";
    }, [
        'containers[0].ip "172.16.10.10" is the address of docker01 on ens33.10; pick a free address in 172.16.10.0/24',
    ]],
    ["the tutorial's step 6: 172.16.10.10 on both hosts", (c) => (c.containers[2].ip = "172.16.10.10"), [
        'containers[2].ip "172.16.10.10" of bbox10 on docker02 is already used by bbox10 on docker01 (containers[0]): docker01 and docker02 share the L2 segment of mac_net10, so the address would be duplicated; pick a free address in 172.16.10.0/24',
    ]],
    ["two containers with one address on one host", (c) => {
        c.containers.push({ name: "bbox11", host: "docker01", network: "mac_net10", ip: "172.16.10.10", image: "busybox:latest" });
    }, [
        'containers[4].ip "172.16.10.10" of bbox11 on docker01 is already used by bbox10 on docker01 (containers[0]); pick a free address in 172.16.10.0/24',
    ]],
    ["container name twice on one host", (c) => (c.containers[1].name = "bbox10"), [
        'containers[1].name "bbox10" is already containers[0] on docker01; container names are unique per host',
    ]],
    ["overlapping networks", (c) => (c.networks[1].subnet = "172.16.0.0/16"), [
        'networks[1].subnet "172.16.0.0/16" overlaps 172.16.10.0/24 of mac_net10 (networks[0]); give every network its own subnet',
    ]],
    ["a subnet overlapping two others: one message", (c) => {
        c.networks.push({ name: "wide", subnet: "172.16.0.0/16", gateway: "172.16.0.1", parent: "ens33" });
    }, [
        'networks[2].subnet "172.16.0.0/16" overlaps 172.16.10.0/24 of mac_net10 (networks[0]) and 172.16.20.0/24 of mac_net20 (networks[1]); give every network its own subnet',
    ]],
    ["one network with different subnets on two hosts", (c) => {
        c.networks[0].hosts = ["docker01", { name: "docker02", subnet: "172.16.11.0/24" }];
    }, [
        'networks[0].hosts[1].subnet "172.16.11.0/24" differs from the subnet 172.16.10.0/24 of mac_net10; a macvlan network spans hosts only when its subnet and gateway are the same on every host: drop the override or use one subnet',
    ]],
    ["one network with different gateways on two hosts", (c) => {
        c.networks[0].hosts = ["docker01", { name: "docker02", gateway: "172.16.10.254" }];
    }, [
        'networks[0].hosts[1].gateway "172.16.10.254" differs from the gateway 172.16.10.1 of mac_net10; the gateway must be the same on every host: drop the override',
    ]],
    ["two Docker networks on one parent interface", (c) => {
        c.networks.push({ name: "mac_net10b", subnet: "172.16.11.0/24", gateway: "172.16.11.1", vlan: 10 });
    }, [
        "networks[2].vlan 10 puts mac_net10b on ens33.10 of docker01 and docker02, where mac_net10 already is; Docker allows one macvlan network per parent interface: put this network on another VLAN or NIC",
    ]],
    ["a subnet with no room for a range per host", (c) => (c.networks[0].subnet = "172.16.10.0/29"), [
        'networks[0].subnet "172.16.10.0/29" is too small for a gateway and a dynamic range per host; use a prefix of /28 or shorter',
    ]],
    ["container on an unknown host", (c) => (c.containers[0].host = "docker03"), [
        'containers[0].host "docker03" is not a host of this stack; use one of docker01, docker02',
    ]],
    ["container on an unknown network", (c) => (c.containers[0].network = "mac_net30"), [
        'containers[0].network "mac_net30" is not a network of this stack; use one of mac_net10, mac_net20',
    ]],
    ["registry on an unknown host", (c) => (c.registry.host = "docker09"), [
        'registry.host "docker09" is not a host of this stack; use one of docker01, docker02',
    ]],
    ["registry port 0", (c) => (c.registry.port = 0), [
        "registry.port 0 is not a TCP port; use a whole number from 1 to 65535",
    ]],
    ["registry port 70000", (c) => (c.registry.port = 70000), [
        "registry.port 70000 is not a TCP port; use a whole number from 1 to 65535",
    ]],
    ["the tutorial's pull without the registry port", (c) => (c.containers[2].image = "192.168.1.11/busybox:v1"), [
        `containers[2].image "192.168.1.11/busybox:v1" names the stack's registry host 192.168.1.11 without its port, but the registry listens on 192.168.1.11:5000; write 192.168.1.11:5000/busybox:v1`,
    ]],
    ["an image the registry does not hold", (c) => (c.containers[2].image = "192.168.1.11:5000/alpine:3"), [
        `containers[2].image "192.168.1.11:5000/alpine:3" is not pushed to the stack's registry (it holds busybox:v1); add it to registry.mirrors or use one of those`,
    ]],
    ["an image name Docker refuses", (c) => (c.containers[3].image = "BusyBox:v1"), [
        'containers[3].image "BusyBox:v1" is not an image reference Docker accepts; write it like busybox:latest or 192.168.1.11:5000/busybox:v1 (lower-case repository, tag of letters, digits, _ . -)',
    ]],
    ["a wireless NIC", (c) => {
        c.hosts[0].nic = "wlan0";
        c.vlans = [];
        c.networks = [{ name: "mac_net1", subnet: "172.22.16.0/24", gateway: "172.22.16.1" }];
        c.containers = [];
        delete c.checks.isolation;
    }, [
        `networks[0].driver "macvlan" (the default) cannot use wlan0 of docker01, a wireless interface: 802.11 access points drop frames from MAC addresses that did not associate, so macvlan does not work over it; set driver: ipvlan (it shares the parent's MAC) or use a wired NIC`,
    ]],
    ["a VLAN address equal to the management address", (c) => {
        c.vlans[0].addresses = { docker01: "192.168.1.11/24" };
        c.networks[0].hosts = ["docker01"];
        c.containers.splice(2, 2);
        delete c.checks.isolation;
    }, [
        'vlans[0].addresses.docker01 "192.168.1.11/24" is the management address of docker01 (its SSH address); the VLAN would move it off the management NIC and cut the connection: pick another address',
    ]],
    ["a VLAN subnet that contains the management address", (c) => {
        c.vlans[0].addresses = { docker01: "192.168.1.50/16", docker02: "192.168.1.51/16" };
    }, [
        'vlans[0].addresses.docker01 "192.168.1.50/16" puts the management address 192.168.1.11 of docker01 inside the subnet of ens33.10; the host would route its SSH replies through the VLAN: use a subnet that does not contain 192.168.1.11',
        'vlans[0].addresses.docker02 "192.168.1.51/16" puts the management address 192.168.1.13 of docker02 inside the subnet of ens33.10; the host would route its SSH replies through the VLAN: use a subnet that does not contain 192.168.1.13',
    ]],
    ["a network subnet that contains the management address", (c) => {
        c.networks[0].subnet = "192.168.0.0/16";
        c.networks[0].gateway = "192.168.0.1";
        c.containers[0].ip = "192.168.10.100";
        c.containers[2].ip = "192.168.10.101";
    }, [
        `networks[0].subnet "192.168.0.0/16" contains the management address 192.168.1.11 of docker01 (the network is on ens33.10 there) and 192.168.1.13 of docker02 (the network is on ens33.10 there): a second segment with the management LAN's addresses, which Docker could hand to containers; use a subnet apart from the management network, or put the network on the management NIC itself (no VLAN) for containers on the hosts' LAN`,
    ]],
    ["defaultRoute without a gateway", (c) => (c.vlans[0].defaultRoute = true), [
        "vlans[0].defaultRoute true needs vlans[0].gateway, which is not set; set the gateway, or drop defaultRoute",
    ]],
    ["two default routes on one host (the tutorial's GATEWAY= everywhere)", (c) => {
        c.vlans[0].gateway = "192.168.10.2";
        c.vlans[0].defaultRoute = true;
        c.vlans[1].gateway = "192.168.20.2";
        c.vlans[1].defaultRoute = true;
    }, [
        "vlans[1].defaultRoute true gives docker01 and docker02 a second default route (vlans[0] already gives them one); a host has one default route: set defaultRoute on at most one VLAN of each host",
    ]],
    ["defaultRoute on both VLANs, one without a gateway: one message", (c) => {
        c.vlans[0].gateway = "192.168.10.2";
        c.vlans[0].defaultRoute = true;
        c.vlans[1].defaultRoute = true;
    }, [
        "vlans[1].defaultRoute true needs vlans[1].gateway, which is not set; set the gateway, or drop defaultRoute",
    ]],
    ["a VLAN gateway outside the VLAN's subnet", (c) => (c.vlans[0].gateway = "192.168.20.2"), [
        `vlans[0].gateway "192.168.20.2" is outside the VLAN's subnet 192.168.10.0/24; pick an address inside it`,
    ]],
    ["a network on a host that is not a member of its VLAN", (c) => delete c.vlans[0].addresses.docker02, [
        "networks[0].vlan 10 is VLAN 10 (ens33.10), but docker02 has no address on it; add docker02 to vlans[0].addresses, or leave it out of networks[0].hosts",
    ]],
    ["a misspelt field", (c) => (c.hosts[0].nics = "ens33"), [
        "hosts[0].nics is not a field of a host; did you mean nic? the fields are name, address, port, user, hostKey, insecureIgnoreHostKey, nic, nicIsManagement, backend, configDir, dialErrorLimit, perDialTimeout",
    ]],
    ["an unknown backend", (c) => (c.hosts[0].backend = "wicked"), [
        'hosts[0].backend "wicked" is not one of ifcfg, nmcli, networkd, netplan, ifupdown, iproute2, auto',
    ]],
    ["a configDir with backend auto (the default)", (c) => {
        delete c.hosts[0].backend;
        c.hosts[0].configDir = "/etc/netplan";
    }, [
        'hosts[0].configDir "/etc/netplan" is set, but hosts[0].backend is auto (the default), which uses the default directory of the backend it finds; name the backend (ifcfg, nmcli, networkd, netplan, ifupdown) to set its directory, or drop configDir',
    ]],
    ["a configDir with backend auto (as written)", (c) => {
        c.hosts[1].backend = "auto";
        c.hosts[1].configDir = "/etc/network";
    }, [
        'hosts[1].configDir "/etc/network" is set, but hosts[1].backend is auto (as written), which uses the default directory of the backend it finds; name the backend (ifcfg, nmcli, networkd, netplan, ifupdown) to set its directory, or drop configDir',
    ]],
    ["a config dir with ..", (c) => (c.hosts[0].configDir = "/etc/../root"), [
        'hosts[0].configDir "/etc/../root" is not an absolute path of safe characters without ..',
    ]],
    ["a host key that is not a key", (c) => (c.hosts[0].hostKey = "ssh-ed25519 AAAA; curl x"), [
        'hosts[0].hostKey "ssh-ed25519 AAAA; curl x" has a key part that is not base64 (letters, digits, + and /, padded with = to a multiple of 4 characters); copy the key again, whole',
    ]],
    ["two hosts on one SSH endpoint", (c) => (c.hosts[1].address = "192.168.1.11"), [
        'hosts[1].address "192.168.1.11" with port 22 is already the SSH endpoint of docker01; every host needs its own address or port',
    ]],
    ["a subnet too small for a range per host", (c) => {
        c.networks[0].subnet = "172.16.10.0/28";
        c.containers[0].ip = "172.16.10.2";
        c.containers[2].ip = "172.16.10.5";
        c.containers[1].ip = "172.16.20.9"; // keep mac_net20 valid
    }, [
        'networks[0].subnet "172.16.10.0/28" cannot give each of the 2 hosts of mac_net10 a disjoint dynamic range of at least 4 addresses free of the gateway, static, reserved and host addresses; use a larger subnet, fewer hosts, or fewer scattered static addresses',
    ]],
    ["an isolation check between containers of one network", (c) => (c.checks.isolation = [{ from: "docker01/bbox10", to: "docker02/bbox10" }]), [
        'checks.isolation[0].to "docker02/bbox10" is on mac_net10 like checks.isolation[0].from docker01/bbox10, so they are meant to reach each other; an isolation check needs containers on different networks',
    ]],
    ["an isolation check naming an unknown container", (c) => (c.checks.isolation = [{ from: "docker01/bbox10", to: "docker03/bbox20" }]), [
        'checks.isolation[0].to "docker03/bbox20" is not a container of this stack; use one of docker01/bbox10, docker01/bbox20, docker02/bbox10, docker02/bbox20',
    ]],
    ["a command with an empty list", (c) => (c.containers[0].command = []), [
        "containers[0].command [] is not a non-empty list of strings; write it like [sleep, infinity]",
    ]],
    ["a command that is not a list", (c) => (c.containers[0].command = "sleep 1d"), [
        'containers[0].command "sleep 1d" is not a list; write containers[0].command as a YAML sequence (- item lines)',
    ]],
    // unknown keys, anywhere: the closest valid key, and no second message for the field it meant
    ["a misspelt top-level key", (c) => {
        c.host = c.hosts;
        delete c.hosts;
    }, [
        "host is not a config key of macvlan-lab; did you mean hosts? the keys are hosts, ssh, vlans, networks, registry, containers, checks, shims, router, sshPrivateKey, sshKeyFile, sshKnownHostsFile, controllerCaDir, verify, repair",
    ]],
    ["a top-level key in a misspelt namespace", (c) => {
        c["macvlan_lab:hosts"] = null;
        delete c.hosts;
    }, [
        'macvlan_lab:hosts is in the namespace "macvlan_lab", not macvlan-lab, so the program never reads it; write it as macvlan-lab:hosts',
    ]],
    ["an unknown top-level key whose value may be a secret (never shown)", (c) => (c.sshPrivateKy = "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret"), [
        "sshPrivateKy is not a config key of macvlan-lab; did you mean sshPrivateKey? the keys are hosts, ssh, vlans, networks, registry, containers, checks, shims, router, sshPrivateKey, sshKeyFile, sshKnownHostsFile, controllerCaDir, verify, repair",
    ]],
    ["an unknown key in ssh", (c) => (c.ssh = { usr: "admin" }), [
        "ssh.usr is not a field of ssh (the SSH defaults); did you mean user? the fields are user, port, dialErrorLimit, perDialTimeout, insecureIgnoreHostKey",
    ]],
    ["a misspelt host field that is required", (c) => {
        c.hosts[1].adress = c.hosts[1].address;
        delete c.hosts[1].address;
    }, [
        "hosts[1].adress is not a field of a host; did you mean address? the fields are name, address, port, user, hostKey, insecureIgnoreHostKey, nic, nicIsManagement, backend, configDir, dialErrorLimit, perDialTimeout",
    ]],
    ["a misspelt VLAN field", (c) => {
        c.vlans[1].gateway = "192.168.20.2";
        c.vlans[1].defaultroute = true;
    }, [
        "vlans[1].defaultroute is not a field of a VLAN; did you mean defaultRoute? the fields are id, parent, addresses, gateway, defaultRoute",
    ]],
    ["a misspelt network field that is required", (c) => {
        c.networks[0].subent = c.networks[0].subnet;
        delete c.networks[0].subnet;
    }, [
        "networks[0].subent is not a field of a network; did you mean subnet? the fields are name, driver, mode, subnet, gateway, parent, vlan, hosts, reserved, ranges, replan",
    ]],
    ["a misspelt field of a network's host", (c) => (c.networks[0].hosts = ["docker01", { nmae: "docker02" }]), [
        "networks[0].hosts[1].nmae is not a field of a host of networks[0]; did you mean name? the fields are name, parent, subnet, gateway",
    ]],
    ["a misspelt registry and mirror field", (c) => {
        c.registry.prot = 5000;
        c.registry.mirrors[0].tags = "v1";
    }, [
        "registry.prot is not a field of the registry; did you mean port? the fields are host, address, port, image, volume, mirrors, security, users, migrateUnitFlag",
        "registry.mirrors[0].tags is not a field of a mirror; did you mean tag? the fields are source, name, tag",
    ]],
    ["a misspelt container field", (c) => {
        c.containers[0].imgae = c.containers[0].image;
        delete c.containers[0].image;
    }, [
        "containers[0].imgae is not a field of a container; did you mean image? the fields are name, host, network, ip, image, command, restart",
    ]],
    ["misspelt check fields", (c) => {
        c.checks.isolation[0].form = c.checks.isolation[0].from;
        delete c.checks.isolation[0].from;
        c.checks.timeout = 5;
    }, [
        "checks.timeout is not a field of checks; did you mean timeoutSeconds? the fields are connectivity, isolation, count, timeoutSeconds",
        "checks.isolation[0].form is not a field of an isolation check; did you mean from? the fields are from, to",
    ]],
    ["an unknown key that is close to nothing", (c) => (c.networks[1]["mac address"] = "x"), [
        'networks[1]["mac address"] is not a field of a network; the fields are name, driver, mode, subnet, gateway, parent, vlan, hosts, reserved, ranges, replan',
    ]],
    // values shown exactly: quoted, an empty string visible, invisible characters escaped
    ["an empty host name", (c) => (c.hosts[1].name = ""), [
        'hosts[1].name "" is not a host name (letters, digits and -, at most 63, like docker01)',
    ]],
    ["a NIC name with a newline", (c) => (c.hosts[0].nic = "ens33\n"), [
        String.raw`hosts[0].nic "ens33\n" is not an interface name (at most 15 characters: letters, digits, _ . -)`,
    ]],
    ["a network name with a no-break space", (c) => (c.networks[0].name = "mac\u00a0net10"), [
        String.raw`networks[0].name "mac\u00a0net10" is not a Docker network name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)`,
    ]],
    ["an image with a tab and a full-width colon", (c) => (c.containers[1].image = "busybox\t：v1"), [
        String.raw`containers[1].image "busybox\t：v1" is not an image reference Docker accepts; write it like busybox:latest or 192.168.1.11:5000/busybox:v1 (lower-case repository, tag of letters, digits, _ . -)`,
    ]],
    ["a port written as a string", (c) => (c.registry.port = "5000"), [
        'registry.port "5000" is not a TCP port; use a whole number from 1 to 65535 (write it without quotes)',
    ]],
    ["a list where a mapping belongs", (c) => (c.registry = ["docker01"]), [
        'registry ["docker01"] is not a mapping; write the registry as a YAML mapping (key: value lines)',
    ]],
    // one problem, one message
    ["a VLAN parent that is not the nic of either member", (c) => (c.vlans[0].parent = "eth1"), [
        'vlans[0].parent "eth1" is not the nic of docker01 (ens33) and docker02 (ens33); a VLAN sits on its member hosts\' nic: set the VLAN\'s parent or those hosts\' nic to match',
    ]],
    ["a network parent that is neither nic nor VLAN, on both hosts", (c) => {
        delete c.networks[0].vlan;
        c.networks[0].parent = "ens34";
    }, [
        'networks[0].parent "ens34" is neither the nic of docker01 (ens33) and docker02 (ens33) nor a VLAN interface of this stack; the parent must be one this stack prepares (a promiscuous NIC or a VLAN): did you mean ens33? use the nic, or a VLAN under vlans',
    ]],
    ["macvlan on wireless NICs of both hosts", (c) => {
        for (const h of c.hosts) h.nic = "wlp2s0";
        c.vlans = [];
        c.networks = [{ name: "mac_net1", subnet: "172.22.16.0/24", gateway: "172.22.16.1" }];
        c.containers = [];
        delete c.checks.isolation;
    }, [
        `networks[0].driver "macvlan" (the default) cannot use wlp2s0 of docker01 and docker02, a wireless interface: 802.11 access points drop frames from MAC addresses that did not associate, so macvlan does not work over it; set driver: ipvlan (it shares the parent's MAC) or use a wired NIC`,
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
            const errors = validateLab(c);
            assert.deepStrictEqual(errors.map((e) => e.message), expected);
            // every message starts with the exact path of the entry to change
            for (const e of errors) {
                assert.ok(e.message.startsWith(`${e.path} `) || e.message.startsWith(`${e.path}:`), `${JSON.stringify(e.message)} does not start with its path ${e.path}`);
            }
            assert.ok(!errors.some((e) => e.message.includes("BEGIN OPENSSH")), "a message shows a secret value");
        });
    }

    it("a host without backend gets auto (and no configDir: each backend auto may pick uses its own); a named backend its default directory", () => {
        const c = multiVlan();
        delete c.hosts[0].backend;
        delete c.hosts[0].configDir;
        for (const [i, backend] of ["networkd", "netplan", "ifupdown"].entries()) {
            const d = multiVlan();
            d.hosts[1].backend = backend;
            delete d.hosts[1].configDir;
            assert.strictEqual(loadLab(d).hosts[1].configDir, ["/etc/systemd/network", "/etc/netplan", "/etc/network"][i], backend);
        }
        const spec = loadLab(c);
        assert.strictEqual(spec.hosts[0].backend, "auto");
        assert.strictEqual(spec.hosts[0].configDir, "");
    });

    it("pins a host key with or without the .pub file's comment, keeping <type> <base64>", () => {
        const key = "AAAAC3NzaC1lZDI1NTE5AAAAIBScCbp3QM+KChznepOkxKpDarS31Xe0kTgAsTZp4/zV";
        const c = multiVlan();
        c.hosts[0].hostKey = `ssh-ed25519 ${key} root@docker01`;
        c.hosts[1].hostKey = `ssh-ed25519 ${key}`;
        const spec = loadLab(c);
        assert.deepStrictEqual(spec.hosts.map((h) => h.ssh.hostKey), [`ssh-ed25519 ${key}`, `ssh-ed25519 ${key}`]);
    });

    it("refuses a host key whose type does not match the key inside, naming the path and the fix", () => {
        const key = "AAAAC3NzaC1lZDI1NTE5AAAAIBScCbp3QM+KChznepOkxKpDarS31Xe0kTgAsTZp4/zV";
        const c = multiVlan();
        c.hosts[1].hostKey = `ssh-rsa ${key} root@docker02`;
        assert.deepStrictEqual(validateLab(c), [{
            path: "hosts[1].hostKey",
            message: `hosts[1].hostKey "ssh-rsa ${key} root@docker02" declares ssh-rsa but the key inside is ssh-ed25519; write ssh-ed25519 ${key}`,
        }]);
    });

    it("refuses an RSA host key (issue 27) with the reason and the fix, at the host's hostKey", () => {
        // a real 1024-bit RSA .pub (ssh-keygen -t rsa -b 1024, OpenSSH 9.2): whole and well formed, still refused
        const rsa = "AAAAB3NzaC1yc2EAAAADAQABAAAAgQDQJOZKvDlW+0AOcONxcnLbjITCuJv4GVISoXs8+5Rp4581qLjZSFVgKCkB+11LjiAunWGUzD6WKmQcQc/5vmkw9HFHbJM7wZx3pML9bK0qhwOa+1tqiq+epxt4P/6zeaH0CG5FnDhl6cBudtljHRAw+gmqKKGK7pbmA7yQpuUggw==";
        const c = multiVlan();
        c.hosts[0].hostKey = `ssh-rsa ${rsa}`;
        const errors = validateLab(c);
        assert.deepStrictEqual(errors.map((e) => e.path), ["hosts[0].hostKey"]);
        assert.match(errors[0].message, /^hosts\[0\]\.hostKey "ssh-rsa AAAAB3[^"]+" is an RSA key, which the command provider cannot use: pinned, it offers only the SHA-1 signature algorithm ssh-rsa, which OpenSSH 8\.8 and later refuse \(every connection fails with "ssh: handshake failed: ssh: no common algorithm for host key"\); pin the host's ed25519 \(or ECDSA\) key instead: \/etc\/ssh\/ssh_host_ed25519_key\.pub on the host, or get it with ssh-keyscan -t ed25519 <address>/);
    });

    it("insecureIgnoreHostKey (labs only): per host or as the ssh default, never for a host that pins its key", () => {
        const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBScCbp3QM+KChznepOkxKpDarS31Xe0kTgAsTZp4/zV";
        const c = multiVlan();
        c.ssh = { insecureIgnoreHostKey: true };
        c.hosts[0].hostKey = key;
        let spec = loadLab(c);
        assert.deepStrictEqual(spec.hosts.map((h) => [h.ssh.hostKey, h.ssh.insecureIgnoreHostKey]), [[key, undefined], [undefined, true]]);
        c.hosts[1].insecureIgnoreHostKey = false;
        spec = loadLab(c);
        assert.deepStrictEqual(spec.hosts.map((h) => h.ssh.insecureIgnoreHostKey), [undefined, undefined], "the host's own false wins over the default");
        c.hosts[0].insecureIgnoreHostKey = true;
        c.hosts[1].insecureIgnoreHostKey = "yes";
        c.ssh = { insecureIgnoreHostKey: 1 };
        assert.deepStrictEqual(validateLab(c), [
            { path: "ssh.insecureIgnoreHostKey", message: "ssh.insecureIgnoreHostKey 1 is not true or false" },
            { path: "hosts[0].insecureIgnoreHostKey", message: "hosts[0].insecureIgnoreHostKey true and hosts[0].hostKey are both set; keep hostKey (the host's key is then verified) and drop insecureIgnoreHostKey" },
            { path: "hosts[1].insecureIgnoreHostKey", message: 'hosts[1].insecureIgnoreHostKey "yes" is not true or false' },
        ]);
    });

    it("allows ipvlan on a wireless parent (only macvlan needs a MAC per container)", () => {
        const c = singleNetwork();
        for (const h of c.hosts) h.nic = "wlan0";
        c.networks[0].driver = "ipvlan";
        delete c.networks[0].mode;
        c.networks[0].parent = "wlan0";
        const spec = loadLab(c);
        assert.deepStrictEqual([spec.networks[0].driver, spec.networks[0].mode, spec.networks[0].parents], ["ipvlan", "l2", { docker01: "wlan0", docker02: "wlan0" }]);
        c.networks[0].driver = "macvlan";
        assert.deepStrictEqual(validateLab(c).map((e) => e.path), ["networks[0].driver"]);
    });

    it("takes a namespace a few edits from macvlan-lab, or cut short, for a misspelt one; never a provider's", () => {
        for (const ns of ["macvlan_lab", "macvlanlab", "Macvlan-Lab", "macvlan", "macvlan-lan", "mcvlan-lab"]) {
            assert.ok(looksLikeOurNamespace(ns, "macvlan-lab"), ns);
        }
        for (const ns of ["macvlan-lab", "docker", "command", "pulumi", "mac", "aws", "kubernetes", "random", "tls"]) {
            assert.ok(!looksLikeOurNamespace(ns, "macvlan-lab"), ns);
        }
    });

    it("declares in Pulumi.yaml exactly the keys the program knows (registry and router aside: a mapping has no absent default)", () => {
        const project = yaml.load(fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml"), "utf8")) as { config: Record<string, unknown> };
        assert.deepStrictEqual(Object.keys(project.config).sort(), CONFIG_KEYS.filter((k) => k !== "registry" && k !== "router").sort());
    });

    it("reports every problem at once, each with its config path", () => {
        const c = multiVlan();
        c.vlans[0].id = 0;
        c.containers[3].ip = "172.16.20.20";
        c.registry.port = 0;
        const errors = validateLab(c);
        assert.deepStrictEqual(errors.map((e) => e.path), [
            "vlans[0].id", // networks[0].vlan 10 may mean vlans[0]: not reported again
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
            assert.match(e.message, /^the stack's config has 2 problems:\n {2}- registry\.port 0 .*\n {2}- containers\[2\]\.ip "172\.16\.10\.10" /);
            return true;
        });
    });

    it("parseLab gives no spec when anything is wrong", () => {
        const c = multiVlan();
        c.registry.port = -1;
        assert.strictEqual(parseLab(c).spec, undefined);
    });
});

describe("validateLab: containers on the hosts' LAN (stacks/Pulumi.lan.yaml)", () => {
    const lan = (): any => structuredClone(rawLabConfig(loadStackConfig("lan")));

    it("accepts a network on the management NIC whose subnet holds the hosts' addresses", () => {
        const spec = loadLab(lan());
        assert.deepStrictEqual(spec.vlans, []);
        assert.deepStrictEqual([spec.networks[0].subnet, spec.networks[0].parents, spec.networks[0].vlan], ["192.168.1.0/24", { docker01: "ens33", docker02: "ens33" }, undefined]);
        assert.deepStrictEqual(spec.containers.map((c) => c.ip), ["192.168.1.21", "192.168.1.23"]);
    });

    const cases: Array<[string, (c: any) => void, string[]]> = [
        ["a static address that is another host's address", (c) => (c.containers[0].ip = "192.168.1.13"), [
            'containers[0].ip "192.168.1.13" is the SSH address of docker02; pick a free address in 192.168.1.0/24',
        ]],
        ["a static address that is its own host's address", (c) => (c.containers[1].ip = "192.168.1.13"), [
            'containers[1].ip "192.168.1.13" is the SSH address of docker02; pick a free address in 192.168.1.0/24',
        ]],
        ["a static address that is the LAN's router", (c) => (c.containers[0].ip = "192.168.1.1"), [
            'containers[0].ip "192.168.1.1" is the gateway of lan_net; pick a free address in 192.168.1.0/24',
        ]],
        ["a static address that is reserved", (c) => (c.containers[1].ip = "192.168.1.5"), [
            'containers[1].ip "192.168.1.5" is reserved as printer on lan_net; pick a free address in 192.168.1.0/24',
        ]],
        ["the LAN's subnet through a VLAN (a second segment with the LAN's addresses)", (c) => {
            c.vlans = [{ id: 10, parent: "ens33", addresses: { docker01: "192.168.10.10/24", docker02: "192.168.10.11/24" } }];
            delete c.networks[0].parent;
            c.networks[0].vlan = 10;
        }, [
            'networks[0].subnet "192.168.1.0/24" contains the management address 192.168.1.11 of docker01 (the network is on ens33.10 there) and 192.168.1.13 of docker02 (the network is on ens33.10 there): a second segment with the management LAN\'s addresses, which Docker could hand to containers; use a subnet apart from the management network, or put the network on the management NIC itself (no VLAN) for containers on the hosts\' LAN',
        ]],
        ["the LAN's subnet on a NIC that does not carry the management address", (c) => (c.hosts[1].nicIsManagement = false), [
            'networks[0].subnet "192.168.1.0/24" contains the management address 192.168.1.13 of docker02 (the network is on ens33 there, and nicIsManagement is false): a second segment with the management LAN\'s addresses, which Docker could hand to containers; use a subnet apart from the management network, or put the network on the management NIC itself (no VLAN) for containers on the hosts\' LAN',
        ]],
    ];
    for (const [what, mutate, expected] of cases) {
        it(`rejects ${what}`, () => {
            const c = lan();
            mutate(c);
            assert.deepStrictEqual(validateLab(c).map((e) => e.message), expected);
        });
    }
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

describe("validateLab: hostile names and addresses (issue 27)", () => {
    // what glibc's inet_aton makes of each (getent ahostsv4 on Debian 12 printed the same addresses)
    const numeric: Array<[string, string]> = [
        ["010.1.1.1", "8.1.1.1"],
        ["1.1.1", "1.1.0.1"],
        ["2130706433", "127.0.0.1"],
        ["0x7f.1", "127.0.0.1"],
        ["0x7f", "0.0.0.127"],
        ["192.168.1.011", "192.168.1.9"],
    ];
    for (const [address, ip] of numeric) {
        it(`refuses the "DNS name" ${address} as a host's and the registry's address: glibc reads it as ${ip}`, () => {
            const c = multiVlan();
            c.hosts[1].address = address;
            c.registry.address = address;
            const why = `is no DNS name: glibc reads it as the IPv4 address ${ip} (inet_aton, which the Docker provider's ssh goes through), while the command provider (Go's resolver) asks DNS for it as a name, so the two could reach different machines; write the address as ${ip}, or a DNS name whose last label is not a number`;
            assert.deepStrictEqual(validateLab(c), [
                { path: "hosts[1].address", message: `hosts[1].address "${address}" ${why}` },
                { path: "registry.address", message: `registry.address "${address}" ${why}` },
            ]);
        });
    }

    it("refuses a name whose last label is a number glibc does not read as an address (1.2.3.4.5, 0x), and keeps real names", () => {
        for (const address of ["1.2.3.4.5", "host.0x", "256.1"]) {
            const c = multiVlan();
            c.hosts[1].address = address;
            assert.deepStrictEqual(validateLab(c).map((e) => e.message), [
                `hosts[1].address "${address}" is no DNS name: its last label is a number, which resolvers and URL parsers take for part of an IPv4 address (and no top-level domain is all digits); write an IPv4 address as four decimal numbers, or a DNS name whose last label is not a number`,
            ]);
        }
        for (const address of ["docker02.lab.example", "1b", "10.example", "host-0x1g"]) {
            const c = multiVlan();
            c.hosts[1].address = address;
            assert.deepStrictEqual(validateLab(c), [], address);
        }
    });

    it("refuses interface names that iproute2 reads as an index (if4, if-1), wherever an interface is named", () => {
        const c = multiVlan();
        c.hosts[0].nic = "if4";
        c.vlans[0].parent = "if2";
        c.networks[1].parent = "if-1";
        delete c.networks[1].vlan;
        const errors = validateLab(c);
        const fix = "so a command could act on another interface; pick a name that does not start with \"if\" and a digit";
        assert.deepStrictEqual(
            errors.filter((e) => /starts with "if"/.test(e.message)).map((e) => e.message),
            [
                `hosts[0].nic "if4" starts with "if" and a number, which iproute2 reads as the interface with index 4 whenever no interface has the name (ip addr show dev if1 shows lo), ${fix}`,
                `vlans[0].parent "if2" starts with "if" and a number, which iproute2 reads as the interface with index 2 whenever no interface has the name (ip addr show dev if1 shows lo), ${fix}`,
                `networks[1].parent "if-1" starts with "if" and a number, which iproute2 reads as the interface with index 4294967295 whenever no interface has the name (ip addr show dev if1 shows lo), ${fix}`,
            ],
        );
        // names that only look alike stay valid
        const d = multiVlan();
        for (const h of d.hosts) h.nic = "ifb0";
        for (const v of d.vlans) v.parent = "ifb0";
        assert.deepStrictEqual(validateLab(d), []);
    });
});

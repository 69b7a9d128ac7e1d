/**
 * The local lab's hosts (lab/hosts), pure: topology validation, namespace names, and the sshd, ssh and
 * known_hosts files the lab renders.
 */
import { strict as assert } from "assert";
import { twoHostTopology } from "../helpers/labTopology";
import { LabTopology, controllerAddressOf, labOfNamespace, namespaceNames, renderKnownHosts, renderSshConfig, renderSshdConfig, validateTopology } from "../../lab/hosts";
import { renderNicIfcfg } from "../../lab/hosts/topology";

/** Per test process, so that two runs at once on one machine do not tear down each other's lab. */
const LAB_PREFIX = "mvlht-";
const LAB = `${LAB_PREFIX}${process.pid}`;

function topology(): LabTopology {
    return twoHostTopology(LAB);
}

describe("lab: hosts topology (pure)", () => {
    it("accepts the two-host lab with VLANs 10 and 20", () => {
        assert.deepEqual(validateTopology(topology()), []);
    });

    const cases: Array<[string, (t: LabTopology) => void, string[]]> = [
        ["a bad lab name", (t) => (t.name = "Lab_1"), [
            'name "Lab_1" is not a lab name; use 1 to 24 characters of [a-z0-9-], starting with a letter or digit',
        ]],
        ["a duplicate host and address", (t) => (t.hosts[1] = { ...t.hosts[0] }), [
            "hosts[1].name docker01 is already hosts[0]; host names must be unique",
            "hosts[1].address 192.168.1.11 is already the address of docker01; give every host its own address",
            'vlans[0].hosts names "docker02", which is not a host; use one of docker01',
            'vlans[1].hosts names "docker02", which is not a host; use one of docker01',
        ]],
        ["hosts on two subnets", (t) => (t.hosts[1].address = "192.168.2.13"), [
            "hosts[1].address 192.168.2.13/24 is not in 192.168.1.0/24, the subnet of hosts[0]; all hosts share one management segment",
        ]],
        ["a NIC name too long for Linux", (t) => (t.hosts[0].nic = "enp0s31f6abcdefgh"), [
            'hosts[0].nic "enp0s31f6abcdefgh" is not an interface name; use 1 to 15 characters of [A-Za-z0-9_.-]',
            'vlans[0].parent "ens33" is not the nic of docker01 (enp0s31f6abcdefgh); VLANs ride on the host\'s NIC',
            'vlans[1].parent "ens33" is not the nic of docker01 (enp0s31f6abcdefgh); VLANs ride on the host\'s NIC',
        ]],
        ["a VLAN on an unknown host, a repeated id and a clashing link name", (t) => {
            t.vlans[0].hosts = ["docker01", "docker03"];
            t.vlans[1].id = 10;
            t.vlans[1].interfaceName = "ens33";
        }, [
            'vlans[0].hosts names "docker03", which is not a host; use one of docker01, docker02',
            "vlans[1].id 10 is already vlans[0]; declare each VLAN once",
            "vlans[1].interfaceName ens33 on docker01 is already its nic; every link of a host needs its own name",
            "vlans[1].interfaceName ens33 on docker02 is already its nic; every link of a host needs its own name",
        ]],
        ["a NIC or VLAN link named like the host's own links", (t) => {
            t.hosts[0].nic = "docker0";
            t.vlans[1].interfaceName = "lo";
        }, [
            "hosts[0].nic cannot be docker0 (lo is the loopback and dockerd creates docker0); name the management NIC, e.g. ens33",
            "vlans[0].parent \"ens33\" is not the nic of docker01 (docker0); VLANs ride on the host's NIC",
            "vlans[1].interfaceName cannot be lo (lo is the loopback and dockerd creates docker0); use e.g. ens33.20",
            "vlans[1].parent \"ens33\" is not the nic of docker01 (docker0); VLANs ride on the host's NIC",
        ]],
        ["a controller address taken by a host", (t) => (t.controllerAddress = "192.168.1.13"), [
            "controllerAddress 192.168.1.13 is the address of docker02; pick a free one or leave it out",
        ]],
    ];
    for (const [what, change, expected] of cases) {
        it(`rejects ${what}, naming every problem`, () => {
            const t = topology();
            change(t);
            assert.deepEqual(validateTopology(t), expected);
        });
    }

    it("gives the controller the highest free address of the subnet", () => {
        assert.equal(controllerAddressOf(topology()), "192.168.1.254");
        const t = topology();
        t.hosts[1].address = "192.168.1.254";
        assert.equal(controllerAddressOf(t), "192.168.1.253");
        t.controllerAddress = "192.168.1.100";
        assert.equal(controllerAddressOf(t), "192.168.1.100");
        const small: LabTopology = { name: "x", vlans: [], hosts: [{ ...t.hosts[0], address: "10.0.0.1", prefixLength: 30 }] };
        assert.equal(controllerAddressOf(small), "10.0.0.2");
    });

    it("names namespaces <lab>_<role>, so one lab's prefix never matches another's", () => {
        assert.deepEqual(namespaceNames("lab", ["docker01"]), {
            switch: "lab_switch",
            controller: "lab_controller",
            hosts: { docker01: "lab_host_docker01" },
        });
    });

    it("tells the lab of each of its namespaces, and no lab for other namespaces", () => {
        const ns = namespaceNames("multi-vlan", ["docker01", "docker02"]);
        for (const n of [ns.switch, ns.controller, ...Object.values(ns.hosts)]) assert.equal(labOfNamespace(n), "multi-vlan", n);
        assert.equal(labOfNamespace("mvllt-123-mv_host_docker01"), "mvllt-123-mv");
        for (const n of ["multi-vlan", "multi-vlan_other", "multi-vlan_host_", "Lab_switch", "_switch", "a_b_switch", "cni-1234"]) assert.equal(labOfNamespace(n), undefined, n);
    });

    it("renders sshd_config: the host's address and port only, keys only", () => {
        assert.equal(
            renderSshdConfig({ name: "docker01", address: "192.168.1.11", sshPort: 2222 }),
            [
                "# macvlan-lab host docker01: generated by lab/hosts, key authentication only",
                "ListenAddress 192.168.1.11:2222",
                "HostKey /etc/ssh/ssh_host_ed25519_key",
                "PidFile /run/sshd.pid",
                "PermitRootLogin prohibit-password",
                "PubkeyAuthentication yes",
                "AuthorizedKeysFile /root/.ssh/authorized_keys",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "UseDNS no",
                "X11Forwarding no",
                "PrintMotd no",
                "AcceptEnv LANG LC_*",
                "MaxStartups 100:30:200",
                "MaxSessions 100",
                "Subsystem sftp /usr/lib/openssh/sftp-server",
                "",
            ].join("\n"),
        );
    });

    it("renders known_hosts by name and address, bracketed off port 22", () => {
        const hosts = [
            { name: "docker01", address: "192.168.1.11", sshPort: 22 },
            { name: "docker02", address: "192.168.1.13", sshPort: 2222 },
        ];
        assert.equal(
            renderKnownHosts(hosts, { docker01: "ssh-ed25519 AAAA1", docker02: "ssh-ed25519 AAAA2" }),
            "docker01,192.168.1.11 ssh-ed25519 AAAA1\n[docker02]:2222,[192.168.1.13]:2222 ssh-ed25519 AAAA2\n",
        );
    });

    it("renders the controller's ssh_config: lab key and known_hosts only, strict, no prompts", () => {
        assert.equal(
            renderSshConfig([{ name: "docker01", address: "192.168.1.11", sshPort: 22 }], "/s/ssh/id_ed25519", "/s/ssh/known_hosts"),
            [
                "Host docker01 192.168.1.11",
                "    HostName 192.168.1.11",
                "    Port 22",
                "    User root",
                '    IdentityFile "/s/ssh/id_ed25519"',
                "    IdentitiesOnly yes",
                '    UserKnownHostsFile "/s/ssh/known_hosts"',
                "    GlobalKnownHostsFile /dev/null",
                "    StrictHostKeyChecking yes",
                "    BatchMode yes",
                "    ConnectTimeout 5",
                "    ServerAliveInterval 15",
                "",
            ].join("\n"),
        );
    });

    it("gives each host the NIC's ifcfg file a CentOS 7 install writes for a static address (no gateway: no route out)", () => {
        assert.strictEqual(
            renderNicIfcfg({ nic: "ens33", address: "192.168.1.11", prefixLength: 24 }),
            ["TYPE=Ethernet", "BOOTPROTO=static", "DEFROUTE=no", "NAME=ens33", "DEVICE=ens33", "ONBOOT=yes", "IPADDR=192.168.1.11", "PREFIX=24", ""].join("\n"),
        );
    });
});

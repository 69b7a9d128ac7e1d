/**
 * The lab's pure parts: stack -> lab topology, the stack config the lab writes and the lab CLI's
 * command line (lab/topology.ts, lab/pulumi/workspace.ts, lab/cli.ts); what `npm run lab` records and prints
 * is in lab-run.test.ts. The real-engine runs are in test/lab.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { REPO_ROOT } from "../../lab/paths";
import { formatMatrix, preflightProblems } from "../../lab/run/output";
import { parseCli, usage } from "../../lab/cli";
import { CONFIG_NAMESPACE, configKey } from "../../components/contracts";
import { HIDE_PYTHON_SCRIPT, tutorialLeftovers, tutorialUnitFlags } from "../../lab/profiles";
import { requireTool } from "../helpers/tools";
import { spawnSync } from "child_process";
import { labStackYaml } from "../../lab/pulumi";
import { listStacks } from "../../lab/stackFile";
import { parsePackageList } from "../../lab/packages";
import { parseLinks } from "../../lab/snapshot";
import { erroredResources, resourceSummary } from "../helpers/pulumiOutput";
import { LoadedStack, SECRET_KEY, labStackConfig, loadStack, managementPrefixLength, topologyOf } from "../../lab/topology";
import { planLab } from "../../components/model/plan";

function loaded(stack: string): LoadedStack {
    const l = loadStack(stack);
    assert.deepEqual(l.errors, []);
    return l.stack as LoadedStack;
}


// ---------------------------------------------------------------------------------------------

describe("lab: stack -> lab topology, stack config and command line (pure)", () => {
    it("derives each stack's hosts, one management /24, and the VLAN segments", () => {
        const mv = topologyOf("x", loaded("multi-vlan").spec);
        assert.deepEqual(mv, {
            errors: [],
            topology: {
                name: "x",
                hosts: [
                    { name: "docker01", address: "192.168.1.11", prefixLength: 24, nic: "ens33", sshPort: 22 },
                    { name: "docker02", address: "192.168.1.13", prefixLength: 24, nic: "ens33", sshPort: 22 },
                ],
                vlans: [
                    { id: 10, parent: "ens33", interfaceName: "ens33.10", hosts: ["docker01", "docker02"] },
                    { id: 20, parent: "ens33", interfaceName: "ens33.20", hosts: ["docker01", "docker02"] },
                ],
            },
        });
        assert.deepEqual(topologyOf("x", loaded("single-network").spec).topology?.vlans, []);
    });

    const prefixes: Array<[string[], number | undefined]> = [
        [["192.168.1.11", "192.168.1.13"], 24],
        [["192.168.1.11"], 24],
        [["10.0.0.5", "10.0.5.5"], 21],
        [["10.0.0.5", "10.0.8.5"], 20],
        [["192.168.1.0", "192.168.1.13"], 23], // .0 is the /24's network address
        [["192.168.0.255", "192.168.1.13"], 23], // .0.255 is a host address of 192.168.0.0/23
        [["192.168.1.255", "192.168.0.13"], 22], // .1.255 is the /23's broadcast
        [["10.1.2.3", "172.16.0.1"], undefined],
    ];
    for (const [addresses, expected] of prefixes) {
        it(`management prefix of ${addresses.join(", ")}: ${expected === undefined ? "none" : `/${expected}`}`, () => {
            assert.equal(managementPrefixLength(addresses), expected);
        });
    }

    it("refuses what the lab cannot build, naming the value and the fix", () => {
        const spec = loaded("single-network").spec;
        const bad = {
            ...spec,
            hosts: [
                { ...spec.hosts[0], ssh: { ...spec.hosts[0].ssh, address: "docker01.example.com", user: "admin" } },
                { ...spec.hosts[1], nicIsManagement: false },
            ],
        };
        assert.deepEqual(topologyOf("Bad_Name", bad).errors, [
            'lab name "Bad_Name" is not usable: 1 to 24 characters of [a-z0-9-], starting with a letter or digit (give one with --name)',
            'hosts[0] (docker01).address "docker01.example.com" is not an IPv4 address; the lab makes each host with its address, so give one (e.g. 192.168.1.11)',
            'hosts[0] (docker01).user "admin": the lab\'s hosts accept only root (with the lab\'s key); use user root for the lab',
            "hosts[1] (docker02).nicIsManagement is false: a lab host has one NIC (ens33) that carries its SSH address; set nicIsManagement: true for the lab",
        ]);
        // a network on a VLAN inside the management subnet the lab derives: a second segment with its addresses
        const mv = loaded("multi-vlan").spec;
        const wideVlan = { ...mv, hosts: [{ ...mv.hosts[0], ssh: { ...mv.hosts[0].ssh, address: "172.16.0.11" } }, { ...mv.hosts[1], ssh: { ...mv.hosts[1].ssh, address: "172.16.40.13" } }] };
        assert.deepEqual(topologyOf("x", wideVlan).errors, [
            "networks (mac_net10).subnet 172.16.10.0/24 overlaps 172.16.0.0/18, the management subnet the lab derives from the hosts' addresses, on a VLAN; use a subnet outside it, or put the network on the hosts' nic",
            "networks (mac_net20).subnet 172.16.20.0/24 overlaps 172.16.0.0/18, the management subnet the lab derives from the hosts' addresses, on a VLAN; use a subnet outside it, or put the network on the hosts' nic",
        ]);
    });

    it("builds a stack whose network is on the hosts' LAN, with the controller outside every container address and range", () => {
        const lan = loaded("lan").spec;
        const t = topologyOf("lan", lan);
        assert.deepEqual(t.errors, []);
        // lan_net 192.168.1.0/24 on ens33: docker01 .64/26, docker02 .128/26, statics .21 .23, printer .5
        assert.equal(t.topology?.controllerAddress, "192.168.1.254");
        assert.deepEqual(t.topology?.hosts.map((h) => `${h.address}/${h.prefixLength}`), ["192.168.1.11/24", "192.168.1.13/24"]);
        assert.deepEqual(t.topology?.vlans, []);
        // a static at .254 and a range over the top: the controller goes below both
        const crowded = { ...lan, containers: [...lan.containers, { ...lan.containers[0], name: "top", ip: "192.168.1.254" }], networks: [{ ...lan.networks[0], reserved: { a: "192.168.1.65", b: "192.168.1.129", c: "192.168.1.193" } }] };
        const t2 = topologyOf("lan", crowded);
        assert.deepEqual(t2.errors, []);
        const { plan } = planLab(crowded);
        assert.deepEqual(plan.networks.lan_net.ranges, { docker01: "192.168.1.32/27", docker02: "192.168.1.96/27" });
        assert.equal(t2.topology?.controllerAddress, "192.168.1.253");
        // a wide derived management subnet that holds a network on the nic: allowed, controller outside its range
        const sn = loaded("single-network").spec;
        const wide = { ...sn, hosts: [{ ...sn.hosts[0], ssh: { ...sn.hosts[0].ssh, address: "172.22.0.11" } }, { ...sn.hosts[1], ssh: { ...sn.hosts[1].ssh, address: "172.22.40.13" } }] };
        assert.deepEqual(topologyOf("x", wide).errors, []);
        assert.equal(topologyOf("x", wide).topology?.controllerAddress, "172.22.63.254");
    });

    it("reports a missing stack and an invalid one with every problem, and builds nothing", () => {
        assert.match(loadStack("no-such-stack").errors[0], /^no stack "no-such-stack": there is no .*\/stacks\/Pulumi\.no-such-stack\.yaml; stacks: lan, multi-vlan, multi-vlan-routed, single-network/);
        const dir = fs.mkdtempSync("/tmp/mvl-stacks-");
        try {
            const text = fs.readFileSync(path.join(REPO_ROOT, "stacks", "Pulumi.multi-vlan.yaml"), "utf8").replace("ip: 172.16.10.11", "ip: 172.16.10.10");
            fs.writeFileSync(path.join(dir, "Pulumi.dup.yaml"), text);
            const r = loadStack("dup", dir);
            assert.equal(r.stack, undefined);
            assert.equal(r.errors.length, 1);
            assert.match(r.errors[0], /172\.16\.10\.10.*docker01/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("gives the lab's stack file the stack's config with the lab's key file, known_hosts and pinned host keys, never the key", () => {
        const s = loaded("multi-vlan");
        const cfg = labStackConfig({ ...s.config, [SECRET_KEY]: "KEY" }, {
            privateKey: "KEY",
            privateKeyPath: "/lab/id",
            knownHostsPath: "/lab/known_hosts",
            hostKeys: { docker01: "ssh-ed25519 AAAA1", docker02: "ssh-ed25519 AAAA2" },
        });
        assert.equal(cfg[SECRET_KEY], undefined, "the key goes in with pulumi config set --secret, never in the file");
        assert.equal(cfg["macvlan-lab:sshKeyFile"], "/lab/id");
        assert.equal(cfg["macvlan-lab:sshKnownHostsFile"], "/lab/known_hosts");
        assert.deepEqual(cfg["macvlan-lab:hosts"], [
            { name: "docker01", address: "192.168.1.11", nic: "ens33", backend: "ifcfg", hostKey: "ssh-ed25519 AAAA1" },
            { name: "docker02", address: "192.168.1.13", nic: "ens33", backend: "ifcfg", hostKey: "ssh-ed25519 AAAA2" },
        ]);
        assert.deepEqual(cfg["macvlan-lab:vlans"], JSON.parse(s.config["macvlan-lab:vlans"]));
        assert.equal("macvlan-lab:controllerCaDir" in cfg, false);
        const withCa = labStackConfig(s.config, { privateKey: "K", privateKeyPath: "/lab/id", knownHostsPath: "/lab/known_hosts", hostKeys: { docker01: "a", docker02: "b" } }, "/lab/ca");
        assert.equal(withCa["macvlan-lab:controllerCaDir"], "/lab/ca");
        assert.equal(Object.keys(withCa).at(-1), "macvlan-lab:controllerCaDir", "last in the stack file, as the lab always wrote it");
        assert.throws(
            () => labStackConfig(s.config, { privateKey: "K", privateKeyPath: "/k", knownHostsPath: "/kh", hostKeys: { docker01: "ssh-ed25519 A" } }),
            /no host key for "docker02"/,
        );
    });

    it("rewrites the lab's stack file keeping the secrets provider's salt and the secure values", () => {
        const existing = yaml.dump({ encryptionsalt: "v1:salt", config: { "macvlan-lab:sshPrivateKey": { secure: "v1:cipher" }, "macvlan-lab:old": "x" } });
        const doc = yaml.load(labStackYaml({ "macvlan-lab:hosts": [{ name: "a" }] }, existing)) as Record<string, unknown>;
        assert.deepEqual(doc, {
            encryptionsalt: "v1:salt",
            config: { "macvlan-lab:hosts": [{ name: "a" }], "macvlan-lab:sshPrivateKey": { secure: "v1:cipher" } },
        });
    });

    it("reads Pulumi's resource summary and the resources its diagnostics report errors for", () => {
        const up = [
            "Diagnostics:",
            "  command:remote:Command (lab-docker02-parent-promisc):",
            "    error: dial tcp 192.168.1.13:22: connect: connection refused",
            "",
            "  pulumi:pulumi:Stack (macvlan-lab-multi-vlan):",
            "    warning: something",
            "",
            "  docker:index:Network (lab-mac_net10-docker02):",
            "    error: ssh: connect to host 192.168.1.13 port 22: Connection refused",
            "",
            "Resources:",
            "    + 20 created",
            "    +-1 replaced",
            "    31 unchanged",
            "    2 errored",
            "",
            "Duration: 9s",
        ].join("\n");
        assert.deepEqual(resourceSummary(up), { created: 20, replaced: 1, unchanged: 31, errored: 2 });
        assert.deepEqual(resourceSummary("Resources:\n    + 52 to create\n\n"), { "to create": 52 });
        assert.deepEqual(erroredResources(up), ["command:remote:Command (lab-docker02-parent-promisc)", "docker:index:Network (lab-mac_net10-docker02)"]);
        assert.deepEqual(erroredResources("Resources:\n    1 unchanged\n"), []);
    });

    it("prints the checks' matrix as a table", () => {
        assert.equal(
            formatMatrix([
                { source: "docker01/bbox10", target: "docker02/bbox10", network: "mac_net10", targetIp: "172.16.10.11", expected: "reachable", observed: "reachable", ok: true },
                { source: "docker01/bbox10", target: "docker02/bbox20", network: "-", expected: "unreachable", observed: "reachable", ok: false },
            ]),
            [
                "source           target                          network    expected     observed   ok",
                "---------------  ------------------------------  ---------  -----------  ---------  ----",
                "docker01/bbox10  docker02/bbox10 (172.16.10.11)  mac_net10  reachable    reachable  ok",
                "docker01/bbox10  docker02/bbox20                 -          unreachable  reachable  FAIL",
            ].join("\n"),
        );
    });

    it("reads the command line of npm run lab, lab:down and lab:pulumi", () => {
        assert.deepEqual(parseCli(["up", "multi-vlan"]), { command: "up", stack: "multi-vlan", name: undefined, args: [] });
        assert.deepEqual(parseCli(["down"]), { command: "down", stack: undefined, name: undefined, args: [] });
        assert.deepEqual(parseCli(["down", "multi-vlan"]), { command: "down", stack: "multi-vlan", name: undefined, args: [] });
        assert.deepEqual(parseCli(["up", "single-network", "--name", "x1"]), { command: "up", stack: "single-network", name: "x1", args: [] });
        assert.deepEqual(parseCli(["pulumi", "multi-vlan", "preview", "--expect-no-changes"]), {
            command: "pulumi", stack: "multi-vlan", name: undefined, args: ["preview", "--expect-no-changes"],
        });
        assert.deepEqual(parseCli(["pulumi", "multi-vlan", "--name", "x1", "stack", "export"]), { command: "pulumi", stack: "multi-vlan", name: "x1", args: ["stack", "export"] });
        assert.deepEqual(parseCli(["pulumi", "--name", "x1", "multi-vlan", "refresh"]), { command: "pulumi", stack: "multi-vlan", name: "x1", args: ["refresh"] });
        // after the first pulumi argument, --name is pulumi's
        assert.deepEqual(parseCli(["pulumi", "multi-vlan", "stack", "--name", "x"]), { command: "pulumi", stack: "multi-vlan", name: undefined, args: ["stack", "--name", "x"] });
        assert.equal(parseCli(["pulumi", "multi-vlan"]), undefined);
        assert.equal(parseCli(["pulumi"]), undefined);
        assert.equal(parseCli(["up"]), undefined);
        assert.equal(parseCli(["up", "a", "b"]), undefined);
        assert.equal(parseCli(["up", "a", "--bogus"]), undefined);
        assert.equal(parseCli(["up", "a", "--name"]), undefined);
        assert.deepEqual(parseCli(["up", "multi-vlan", "--profile", "tutorial-leftovers"]), { command: "up", stack: "multi-vlan", name: undefined, args: [], profile: "tutorial-leftovers" });
        assert.equal(parseCli(["up", "multi-vlan", "--profile", "centos"]), undefined, "an unknown profile is refused");
        assert.equal(parseCli(["down", "--profile", "tutorial-leftovers"]), undefined, "only up takes a profile");
        assert.equal(parseCli(["bogus", "a"]), undefined);
        assert.equal(parseCli([]), undefined);
    });

    it("prints the usage with the commands, the profiles and the stacks (? when they cannot be listed)", () => {
        const text = usage(["lan", "multi-vlan"]);
        assert.match(text, /^usage:\n  npm run lab -- <stack> \[--name <lab>\] \[--profile <p>\] \[--rtt <ms>\]   \(ts-node lab\/cli\.ts up <stack> \.\.\.\)\n/);
        assert.match(text, /\nprofiles: tutorial-leftovers \(hosts as the tutorial leaves them; see lab\/profiles\)\n--rtt: .*\nstacks: lan, multi-vlan$/);
        assert.match(usage(undefined), /\nstacks: \?$/);
    });

    it("spells the program's config keys in its namespace", () => {
        assert.equal(CONFIG_NAMESPACE, "macvlan-lab");
        assert.equal(configKey("hosts"), "macvlan-lab:hosts");
        assert.equal(SECRET_KEY, "macvlan-lab:sshPrivateKey");
    });

    it("reads lab/packages.txt: one package a line, comments and blanks ignored, names checked", () => {
        assert.deepEqual(parsePackageList("# x\ndocker.io\n\nbusybox-static  # the busybox image\ndocker.io\n"), ["docker.io", "busybox-static"]);
        assert.throws(() => parsePackageList("docker.io; rm -rf /\n"), /is not a Debian package name/);
    });

    it("names the random host side of a container's veth on a Docker bridge by its bridge and order", () => {
        const links = parseLinks(
            JSON.stringify([
                { ifname: "vethf00ba12@if5", flags: ["UP"], mtu: 1500, operstate: "UP", address: "aa:aa:aa:aa:aa:aa", master: "docker0", linkinfo: { info_kind: "veth" }, ifindex: 7 },
                { ifname: "ens33@if9", flags: ["UP", "PROMISC"], mtu: 1500, operstate: "UP", address: "bb:bb:bb:bb:bb:bb", linkinfo: { info_kind: "veth" }, promiscuity: 1 },
            ]),
        );
        assert.deepEqual(links, {
            "docker0-port1": { flags: ["UP"], mtu: 1500, operstate: "UP", kind: "veth", master: "docker0" },
            ens33: { flags: ["PROMISC", "UP"], mtu: 1500, operstate: "UP", mac: "bb:bb:bb:bb:bb:bb", kind: "veth" },
        });
    });
});

describe("lab: the tutorial-leftovers profile and the preflight report (pure)", () => {
    it("makes the tutorial's Docker objects of the stack: its networks, its containers from plain busybox, its registry", () => {
        const l = loadStack("multi-vlan").stack as LoadedStack;
        const cmds = tutorialLeftovers(l);
        assert.deepEqual(cmds.docker02.map((a) => a.join(" ")), [
            "docker network create -d macvlan --subnet 172.16.10.0/24 --gateway 172.16.10.1 -o parent=ens33.10 mac_net10",
            "docker network create -d macvlan --subnet 172.16.20.0/24 --gateway 172.16.20.1 -o parent=ens33.20 mac_net20",
            "docker run -d --name bbox10 --network mac_net10 --ip 172.16.10.11 busybox:latest sleep 86400",
            "docker run -d --name bbox20 --network mac_net20 --ip 172.16.20.21 busybox:latest sleep 86400",
        ]);
        assert.deepEqual(cmds.docker01.at(-1), ["docker", "run", "-d", "-p", "5000:5000", "--restart", "always", "--name", "registry", "registry:2"]);
    });

    it("puts the tutorial's --insecure-registry <registry> in the docker unit of stacks with a registry, nothing in others", () => {
        assert.deepEqual(tutorialUnitFlags(loaded("multi-vlan")), ["--insecure-registry", "192.168.1.11:5000"]);
        const noRegistry = listStacks().map((s) => loaded(s)).filter((l) => l.spec.registry === undefined);
        for (const l of noRegistry) assert.deepEqual(tutorialUnitFlags(l), []);
    });

    it("hides python with a real shell file that shellcheck passes and that checks its own result", function () {
        const text = fs.readFileSync(HIDE_PYTHON_SCRIPT, "utf8");
        assert.match(text, /^#!\/bin\/sh\n/);
        assert.match(text, /mount -t overlay -o "ro,lowerdir=\$wh:\/usr\/bin" overlay \/usr\/bin/);
        assert.match(text, /command -v python3/, "it fails unless python is gone");
        requireTool(this, "shellcheck");
        const r = spawnSync("shellcheck", ["-s", "sh", HIDE_PYTHON_SCRIPT], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stdout);
    });

    it("picks the preflight's PROBLEM lines out of pulumi's output, once each", () => {
        const out = [
            "  +  command:remote:Command lab-docker01-preflight-check creating (0s) preflight docker01: PROBLEM 1: network mac_net10 exists (id x) Fix: docker network rm mac_net10",
            "    error: Process exited with status 1",
            "    preflight docker01: PROBLEM 1: network mac_net10 exists (id x) Fix: docker network rm mac_net10",
            "preflight docker02: PROBLEM 2: container bbox10 exists   ",
        ].join("\n");
        assert.deepEqual(preflightProblems(out), [
            "preflight docker01: PROBLEM 1: network mac_net10 exists (id x) Fix: docker network rm mac_net10",
            "preflight docker02: PROBLEM 2: container bbox10 exists",
        ]);
    });
});

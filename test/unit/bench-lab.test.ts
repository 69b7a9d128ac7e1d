/**
 * bench:lab's pure parts (bench/tutorial.bench.ts, bench/chain.ts, bench/ansible/inventory.ts): the
 * command line, the chains of remote steps from a state, what is read from the peers' output, the
 * Ansible peer's inventory for the multi-VLAN stack, and the table and summary lines.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { planLab } from "../../components/model/plan";
import { ansibleInventory } from "../../bench/ansible/inventory";
import { pythonVersion } from "../../bench/ansible/venv";
import { StateResource, longestChains, remoteSteps, sshUrlAddress, unwrapSecrets } from "../../bench/chain";
import { checkDurations, parseBenchArgs, recapTasks, resultTable, scriptSessions, summaryLines } from "../../bench/tutorial.bench";
import { loadStack } from "../../lab/topology";

const SIG = "4dabf18193072939515e22adb298388d";
const secret = (v: unknown) => ({ [SIG]: "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(v) });
const P = "urn:pulumi:s::p";

/** A small applied stack: per host a preflight, a library, a Docker provider after both, and Docker resources in a chain. */
function state(): StateResource[] {
    const cmd = (name: string, host: string, deps: string[] = [], create = "x"): StateResource => ({
        urn: `${P}::command:remote:Command::${name}`,
        type: "command:remote:Command",
        custom: true,
        parent: `${P}::macvlan-lab:index:MacvlanLab::lab`,
        dependencies: deps,
        inputs: { connection: secret({ host, port: 22, privateKey: secret("k") }), ...(create !== "" ? { create } : {}) },
    });
    const prov = (name: string, host: string, deps: string[]): StateResource => ({
        urn: `${P}::pulumi:providers:docker::${name}`,
        type: "pulumi:providers:docker",
        custom: true,
        dependencies: deps,
        inputs: { host: `ssh://root@${host}:22` },
    });
    const dk = (name: string, provider: string, deps: string[] = [], parent?: string): StateResource => ({
        urn: `${P}::docker:index/x:X::${name}`,
        type: "docker:index/x:X",
        custom: true,
        provider: `${P}::pulumi:providers:docker::${provider}::0123`,
        dependencies: deps,
        ...(parent !== undefined ? { parent } : {}),
    });
    const u = (t: string, n: string) => `${P}::${t}::${n}`;
    return [
        { urn: `${P}::macvlan-lab:index:MacvlanLab::lab`, type: "macvlan-lab:index:MacvlanLab", custom: false },
        { urn: u("macvlan-lab:x:Group", "g1"), type: "macvlan-lab:x:Group", custom: false },
        cmd("pre1", "10.0.0.1"),
        cmd("pre2", "10.0.0.2"),
        cmd("lib1", "10.0.0.1", [u("command:remote:Command", "pre1"), u("command:remote:Command", "pre2")]),
        cmd("noop1", "10.0.0.1", [u("command:remote:Command", "lib1")], ""),
        prov("d1", "10.0.0.1", [u("command:remote:Command", "lib1")]),
        prov("d2", "10.0.0.2", [u("command:remote:Command", "pre2")]),
        // a chain on d1 under a component; d2's pull waits for the component (= every custom resource in it)
        dk("net1", "d1", [], u("macvlan-lab:x:Group", "g1")),
        dk("push1", "d1", [u("docker:index/x:X", "net1")], u("macvlan-lab:x:Group", "g1")),
        dk("pull2", "d2", [u("macvlan-lab:x:Group", "g1")]),
        cmd("check2", "10.0.0.2", [u("docker:index/x:X", "pull2")]),
    ];
}
const HOSTS = new Map([["10.0.0.1", "h1"], ["10.0.0.2", "h2"]]);

describe("bench:lab (pure)", () => {
    it("reads its command line: rounds, round trips (0 always first, sorted, once), sides", () => {
        assert.deepEqual(parseBenchArgs([]), { rounds: 1, rtts: [0], sides: ["engine", "script", "ansible"] });
        assert.deepEqual(parseBenchArgs(["--rtt", "150,50,100,50", "--rounds", "3", "--sides", "ansible,engine"]), { rounds: 3, rtts: [0, 50, 100, 150], sides: ["engine", "ansible"] });
        const bad: string[][] = [["--rounds", "0"], ["--rounds", "11"], ["--rtt", "1,x"], ["--rtt", "5000"], ["--rtt"], ["--sides", "puppet"], ["--fast"]];
        assert.equal(bad.length, 7);
        for (const a of bad) assert.equal(typeof parseBenchArgs(a), "string", a.join(" "));
    });

    it("reads an ssh:// Docker host and unwraps the secrets that --show-secrets shows", () => {
        assert.equal(sshUrlAddress("ssh://root@192.168.1.11:22"), "192.168.1.11");
        assert.equal(sshUrlAddress("ssh://h.example"), "h.example");
        assert.equal(sshUrlAddress("ssh://u@[fd00::1]:2222"), "fd00::1");
        assert.equal(sshUrlAddress("unix:///var/run/docker.sock"), undefined);
        assert.deepEqual(unwrapSecrets({ a: secret({ host: "h", key: secret("k") }), b: [secret(1)] }), { a: { host: "h", key: "k" }, b: [1] });
        assert.equal(unwrapSecrets({ [SIG]: "x", ciphertext: "abc" }), undefined, "a secret without its plaintext is nothing");
    });

    it("finds the remote steps: commands with a create (their connection's host), Docker providers, Docker resources (their provider's host)", () => {
        const steps = remoteSteps(state(), HOSTS);
        assert.deepEqual(
            [...steps.entries()].map(([urn, h]) => `${urn.split("::").pop()} ${h}`).sort(),
            ["check2 h2", "d1 h1", "d2 h2", "lib1 h1", "net1 h1", "pre1 h1", "pre2 h2", "pull2 h2", "push1 h1"],
            "noop1 has no create: no step",
        );
    });

    it("counts per host the most of its steps on one dependency path, through components, providers and other hosts' steps", () => {
        // h1: pre1 -> lib1 -> d1 -> net1 -> push1 = 5; h2: pre2 -> d2 -> pull2 -> check2 = 4
        // (pull2 waits for push1 on h1, which counts for h1 only)
        assert.deepEqual(longestChains(state(), HOSTS), { h1: 5, h2: 4 });
        const cyclic = state();
        cyclic[2] = { ...cyclic[2], dependencies: [`${P}::command:remote:Command::check2`] };
        assert.throws(() => longestChains(cyclic, HOSTS), /dependency cycle/);
    });

    it("reads the peers' own counts: ansible's recap (ok includes changed, plus failed) and the script's sessions line", () => {
        const recap = [
            "PLAY RECAP *********************************************************************",
            "docker01                   : ok=14   changed=10   unreachable=0    failed=0    skipped=1    rescued=0    ignored=0",
            "docker02                   : ok=12   changed=8    unreachable=0    failed=1    skipped=3    rescued=0    ignored=0",
        ].join("\n");
        assert.deepEqual(recapTasks(recap), { docker01: 14, docker02: 13 });
        assert.deepEqual(scriptSessions("12:00 x\nssh sessions per host: docker01=17 docker02=12\n"), { docker01: 17, docker02: 12 });
        assert.deepEqual(checkDurations("+  command:remote:Command lab-checks-docker01 created (2s) ok\n+  command:remote:Command lab-checks-docker02 created (0.87s) ok"), { docker01: 2, docker02: 0.87 });
    });

    it("reads python --version", () => {
        assert.deepEqual(pythonVersion("Python 3.11.7\n"), [3, 11]);
        assert.equal(pythonVersion("bash: python3: not found"), undefined);
    });

    it("gives the Ansible peer the multi-VLAN stack as the program has it: VLAN links, networks with the plan's ranges, registry, mirror, containers, the check matrix's pings", () => {
        const loaded = loadStack("multi-vlan");
        assert.ok(loaded.stack !== undefined, loaded.errors.join("\n"));
        const { plan } = planLab(loaded.stack.spec);
        const inv = ansibleInventory(loaded.stack.spec, plan, { vlanMode: "emulated", sshConfig: "/lab/ssh/config" }) as {
            docker_hosts: { hosts: Record<string, Record<string, unknown>>; vars: Record<string, unknown> };
        };
        const d1 = inv.docker_hosts.hosts.docker01;
        assert.deepEqual(Object.keys(inv.docker_hosts.hosts), ["docker01", "docker02"]);
        assert.deepEqual(d1.vlan_links, [
            { id: 10, device: "ens33.10", parent: "ens33", address: "192.168.10.10", prefix: 24 },
            { id: 20, device: "ens33.20", parent: "ens33", address: "192.168.20.20", prefix: 24 },
        ]);
        assert.deepEqual(d1.networks, [
            { name: "mac_net10", driver: "macvlan", subnet: "172.16.10.0/24", gateway: "172.16.10.1", parent: "ens33.10", ip_range: plan.networks.mac_net10.ranges.docker01 },
            { name: "mac_net20", driver: "macvlan", subnet: "172.16.20.0/24", gateway: "172.16.20.1", parent: "ens33.20", ip_range: plan.networks.mac_net20.ranges.docker01 },
        ]);
        assert.deepEqual(d1.images, ["192.168.1.11:5000/busybox:v1"]);
        assert.deepEqual(d1.containers, [
            { name: "bbox10", network: "mac_net10", ip: "172.16.10.10", image: "192.168.1.11:5000/busybox:v1", command: ["sleep", "infinity"], restart: "always" },
            { name: "bbox20", network: "mac_net20", ip: "172.16.20.20", image: "192.168.1.11:5000/busybox:v1", command: ["sleep", "infinity"], restart: "always" },
        ]);
        // the program's check matrix: two reachable pings from each host, and docker01's isolation pair
        assert.deepEqual(d1.pings, [
            { source: "bbox10", target: "docker02/bbox10", ip: "172.16.10.11", expect: "reachable" },
            { source: "bbox20", target: "docker02/bbox20", ip: "172.16.20.21", expect: "reachable" },
            { source: "bbox10", target: "docker02/bbox20", ip: "172.16.20.21", expect: "unreachable" },
        ]);
        assert.equal((inv.docker_hosts.hosts.docker02.pings as unknown[]).length, 2);
        assert.deepEqual(inv.docker_hosts.vars, {
            ansible_python_interpreter: "/usr/bin/python3",
            ansible_ssh_common_args: "-F /lab/ssh/config",
            vlan_mode: "emulated",
            ping_count: 3,
            ping_timeout: 5,
            registry_host: "docker01",
            registry_endpoint: "192.168.1.11:5000",
            registry_port: 5000,
            registry_image: "registry:2",
            registry_volume: "registry-data",
            mirrors: [{ source: "busybox:latest", repository: "192.168.1.11:5000/busybox", tag: "v1" }],
        });
    });

    it("the playbook uses every inventory variable it is given and sets pipelining, ControlPersist and a fork per host", () => {
        const dir = path.join(__dirname, "..", "..", "bench", "ansible");
        const play = fs.readFileSync(path.join(dir, "multi-vlan.yml"), "utf8");
        const parsed = yaml.load(play) as Array<{ hosts: string; tasks: Array<{ name: string }> }>;
        assert.equal(parsed.length, 1);
        assert.equal(parsed[0].hosts, "docker_hosts");
        const vars = ["nic", "vlan_links", "networks", "images", "containers", "pings", "vlan_mode", "ping_count", "ping_timeout", "registry_host", "registry_endpoint", "registry_port", "registry_image", "registry_volume", "mirrors"];
        for (const v of vars) assert.match(play, new RegExp(`\\b${v}\\b`), v);
        const cfg = fs.readFileSync(path.join(dir, "ansible.cfg"), "utf8");
        assert.match(cfg, /^pipelining = True$/m);
        assert.match(cfg, /^ssh_args = -o ControlMaster=auto -o ControlPersist=60s$/m);
        assert.match(cfg, /^forks = 2$/m);
    });

    it("prints one column per round trip with medians, and one line per round trip against the 0 ms apply", () => {
        const phase = (s: number, ssh = 20) => ({ seconds: s, ssh, registry: 1 });
        const eng = (rtt: number, up: number) => ({ rtt, apply: phase(up), wallSeconds: up + 2, noop: phase(3, 0), destroy: phase(8, 12), checks: { docker01: 1 }, restored: true, chains: { docker01: 11, docker02: 8 } });
        const peer = (rtt: number, s: number) => ({ rtt, run: phase(s, 2), steps: { docker01: 14, docker02: 12 } });
        const engine = [eng(0, 10), eng(0, 12), eng(0, 11), eng(100, 19), eng(100, 21), eng(100, 20)];
        const ansible = [peer(0, 30), peer(100, 60)];
        const script = [peer(0, 25), peer(100, 70)];
        const table = resultTable([0, 100], engine, script, ansible, ["docker01", "docker02"]);
        assert.match(table, /^pulumi up \(s\) +11\.0 +20\.0$/m);
        assert.match(table, /^ {2}ssh connections +20 \(\+1 registry\) +20 \(\+1 registry\)$/m);
        assert.match(table, /^ {2}longest chain of remote steps, docker01 \/ docker02 +11 \/ 8 +11 \/ 8$/m);
        assert.match(table, /^ansible-playbook \(s\) +30\.0 +60\.0$/m);
        assert.match(table, /^pulumi up \/ ansible-playbook +0\.37x +0\.33x$/m);
        assert.deepEqual(summaryLines([0, 100], engine, script, ansible), [
            "rtt 0 ms: pulumi up 11.0 s, 1.00x the 0 ms apply",
            "rtt 0 ms: ansible-playbook 30.0 s",
            "rtt 0 ms: tutorial script 25.0 s",
            "rtt 100 ms: pulumi up 20.0 s, 1.82x the 0 ms apply",
            "rtt 100 ms: ansible-playbook 60.0 s",
            "rtt 100 ms: tutorial script 70.0 s",
        ]);
    });
});

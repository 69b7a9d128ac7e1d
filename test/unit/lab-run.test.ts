/**
 * The pure parts of `npm run lab` (lab/run): the run record's (de)serialisation and the rules that
 * read it, the `error:` lines of pulumi's output, and everything the lab prints for people (tables,
 * the lines after an apply, the commands to type, the sum-up lines). The whole runs are in test/lab.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { formatTimings } from "../../lab/hosts";
import { RUNS_DIR } from "../../lab/paths";
import { UNATTENDED_ARGS, errorLines } from "../../lab/run/engine";
import {
    ExplainedLab, downCommand, downLine, explainLab, formatTable, pulumiCommand, runHeadline, secs, tornDownLine, upCommand,
} from "../../lab/run/output";
import { RunRecord, busyWith, hostsPlan, parseRecord, recordText, runPaths } from "../../lab/run/records";
import { LoadedStack, loadStack, topologyOf } from "../../lab/topology";
import { Snapshots } from "../helpers/snapshot";
import { twoHostTopology } from "../helpers/labTopology";

function loaded(stack: string): LoadedStack {
    const l = loadStack(stack);
    assert.deepEqual(l.errors, []);
    return l.stack as LoadedStack;
}

describe("lab/run: the run record (pure)", () => {
    const topology = twoHostTopology("x1");

    it("lives in .lab/_runs/<lab>/run.json", () => {
        assert.deepEqual(runPaths("x1"), { dir: path.join(RUNS_DIR, "x1"), record: path.join(RUNS_DIR, "x1", "run.json") });
    });

    it("is written as indented JSON with the writer's pid and the time, and read back as written", () => {
        const text = recordText({ name: "x1", stack: "multi-vlan", topology, phase: "apply", enginePid: 42 }, 1234, new Date("2025-01-02T03:04:05.678Z"));
        assert.ok(text.endsWith("}\n"));
        assert.match(text, /^\{\n  "name": "x1",\n  "stack": "multi-vlan",\n  "topology": \{\n/);
        const r = parseRecord(text);
        assert.deepEqual(r, { name: "x1", stack: "multi-vlan", topology, phase: "apply", enginePid: 42, pid: 1234, updatedAt: "2025-01-02T03:04:05.678Z" });
        assert.equal(recordText(r as RunRecord, 1234, new Date("2025-01-02T03:04:05.678Z")), text, "a record read back writes the same text");
    });

    it("reads nothing from a file that is not a JSON object", () => {
        for (const text of ["", "{", "null", "[]", "42", '"up"']) assert.equal(parseRecord(text), undefined, JSON.stringify(text));
    });

    it("says another run is working on the lab only while it builds or applies and its process lives", () => {
        const rec = (phase: RunRecord["phase"], pid: number): RunRecord => ({ name: "x1", stack: "multi-vlan", topology, phase, pid, updatedAt: "t" });
        const alive = (pid: number) => pid === 7;
        assert.equal(busyWith(undefined, 1, alive), false);
        assert.equal(busyWith(rec("hosts", 7), 1, alive), true);
        assert.equal(busyWith(rec("apply", 7), 1, alive), true);
        assert.equal(busyWith(rec("apply", 7), 7, alive), false, "this process itself");
        assert.equal(busyWith(rec("apply", 8), 1, alive), false, "a run that died");
        assert.equal(busyWith(rec("up", 7), 1, alive), false);
        assert.equal(busyWith(rec("failed", 7), 1, alive), false);
    });

    it("reuses the running hosts for the same stack and topology, changes them in place when the stack's hosts changed, else rebuilds", () => {
        const r: RunRecord = { name: "x1", stack: "multi-vlan", topology, phase: "up", pid: 1, updatedAt: "t" };
        const one = { ...topology, hosts: [topology.hosts[0]], vlans: topology.vlans.map((v) => ({ ...v, hosts: ["docker01"] })) };
        assert.deepEqual(hostsPlan(r, "multi-vlan", twoHostTopology("x1"), twoHostTopology("x1")), { kind: "reuse" });
        const change = hostsPlan(r, "multi-vlan", topology, one);
        assert.equal(change.kind, "reconcile");
        assert.deepEqual(change.kind === "reconcile" ? [change.diff.removeHosts, change.diff.keepHosts] : [], [["docker02"], ["docker01"]]);
        assert.deepEqual(hostsPlan(r, "single-network", topology, topology), { kind: "rebuild", why: "up with stack multi-vlan" });
        const moved = { ...topology, hosts: topology.hosts.map((h, i) => ({ ...h, address: `10.9.0.${11 + i}` })) };
        assert.deepEqual(hostsPlan(r, "multi-vlan", topology, moved), {
            kind: "rebuild",
            why: "up with hosts it cannot change in place (the management subnet changes (192.168.1.0/24 -> 10.9.0.0/24): every host's address and the controller's are on it)",
        });
        assert.deepEqual(hostsPlan(undefined, "multi-vlan", topology, topology), { kind: "rebuild", why: "up, but not started by this command" });
        assert.deepEqual(hostsPlan(r, "multi-vlan", undefined, topology), { kind: "rebuild", why: "left over from an earlier run" });
        assert.deepEqual(hostsPlan(undefined, "multi-vlan", undefined, topology), { kind: "build" });
    });
});

describe("lab/run: pulumi's outcome (pure)", () => {
    it("runs up and destroy unattended: no prompt, no preview, no colour", () => {
        assert.deepEqual(UNATTENDED_ARGS, ["--yes", "--skip-preview", "--non-interactive", "--color", "never"]);
    });

    it("collects the error: lines of stdout, then stderr, trimmed", () => {
        const out = "Updating (x):\n    error: ssh: connect to host 192.168.1.13 port 22: Connection refused\n  an error: not at the start\n";
        assert.deepEqual(errorLines(out, "error: update failed\n"), ["error: ssh: connect to host 192.168.1.13 port 22: Connection refused", "error: update failed"]);
        assert.deepEqual(errorLines("", ""), []);
    });
});

describe("lab/run: what the lab prints (pure)", () => {
    const snapshots = new Snapshots(__filename, "lab-run");
    after(() => assert.deepEqual(snapshots.stale(), [], "snapshot files no test renders (UPDATE_SNAPSHOTS=1 removes them)"));

    it("formats a table: columns as wide as their widest cell, the last one not padded", () => {
        assert.equal(formatTable(["a", "bb", "c"], [["xxx", "y", "z"], ["", "", ""]]), ["a    bb  c", "---  --  -", "xxx  y   z", ""].join("\n"));
        assert.equal(formatTable(["phase", "time"], []), "phase  time\n-----  ----");
    });

    it("gives times in seconds with one decimal, and the bring-up's phases without the total", () => {
        assert.equal(secs(4730), "4.7 s");
        assert.equal(secs(0), "0.0 s");
        assert.equal(formatTimings({ keys: 300, network: 750, total: 1050 }), "keys 0.3 s, network 0.8 s");
    });

    it("names the commands to type: the stack alone for its default lab, --name for another", () => {
        assert.equal(upCommand("multi-vlan", "multi-vlan"), "npm run lab -- multi-vlan");
        assert.equal(upCommand("x1", "multi-vlan"), "npm run lab -- multi-vlan --name x1");
        assert.equal(downCommand("multi-vlan", "multi-vlan"), "npm run lab:down -- multi-vlan");
        assert.equal(downCommand("x1", "multi-vlan"), "npm run lab:down -- --name x1");
        assert.equal(pulumiCommand("multi-vlan", "multi-vlan"), "npm run lab:pulumi -- multi-vlan");
        assert.equal(pulumiCommand("x1", "multi-vlan"), "npm run lab:pulumi -- multi-vlan --name x1");
    });

    it("sums up a run and a tear-down in one line each", () => {
        const t = topologyOf("multi-vlan", loaded("multi-vlan").spec).topology;
        assert.ok(t !== undefined);
        assert.equal(
            runHeadline("multi-vlan", "multi-vlan", t),
            "lab multi-vlan: stack multi-vlan (stacks/Pulumi.multi-vlan.yaml), 2 host(s): docker01 192.168.1.11/24, docker02 192.168.1.13/24",
        );
        assert.equal(tornDownLine("x1", { destroyMs: 5300, hostsMs: 2000 }), "lab x1: torn down (destroy 5.3 s, hosts 2.0 s)");
        assert.equal(tornDownLine("x1", { hostsMs: 2000 }), "lab x1: torn down (destroy -, hosts 2.0 s)");
        assert.equal(downLine("multi-vlan", 21_100, { destroyMs: 19_100, hostsMs: 2000 }, 0), "lab multi-vlan: down in 21.1 s (destroy 19.1 s, hosts 2.0 s)");
        assert.equal(downLine("x1", 1500, { hostsMs: 1500 }), "lab x1: down in 1.5 s (destroy - (nothing applied), hosts 1.5 s)");
        assert.equal(downLine("x1", 9000, { destroyMs: 7000, hostsMs: 2000 }, 255), "lab x1: down in 9.0 s (destroy 7.0 s, hosts 2.0 s); pulumi destroy failed (255)");
    });

    // the lab and the outcome of the `npm run lab -- multi-vlan` whose output the snapshot is
    const lab: ExplainedLab = {
        name: "multi-vlan",
        vlanMode: "emulated",
        switchNetns: "multi-vlan_switch",
        controllerKeeperPid: 25383,
        hosts: [
            { name: "docker01", keeperPid: 25196 },
            { name: "docker02", keeperPid: 25199 },
        ],
        timings: { keys: 300, network: 700, keepers: 400, sshd: 100, dockerd: 900, images: 1700, "ssh-check": 500, total: 4700 },
    };
    const row = (source: string, target: string, targetIp: string, network: string, expected: "reachable" | "unreachable") => ({ source, target, targetIp, network, expected, observed: expected, ok: true });
    const apply = {
        seconds: 20.3,
        outputs: {
            checks: [
                row("docker01/bbox10", "docker02/bbox10", "172.16.10.11", "mac_net10", "reachable"),
                row("docker01/bbox20", "docker02/bbox20", "172.16.20.21", "mac_net20", "reachable"),
                row("docker01/bbox10", "docker02/bbox20", "172.16.20.21", "mac_net10->mac_net20", "unreachable"),
                row("docker02/bbox10", "docker01/bbox10", "172.16.10.10", "mac_net10", "reachable"),
                row("docker02/bbox20", "docker01/bbox20", "172.16.20.20", "mac_net20", "reachable"),
            ],
        },
    };

    it("explains an applied lab: the matrix, the emulated VLANs, how to explore and tear down, the timings (as npm run lab printed them)", () => {
        snapshots.match("explain-multi-vlan.txt", explainLab(lab, loaded("multi-vlan"), apply, 4700).join("\n") + "\n");
    });

    it("explains a re-apply on the running hosts, real 802.1Q, a named lab and a stack without checks or VLANs", () => {
        const again = explainLab({ ...lab, name: "x1", vlanMode: "8021q" }, loaded("multi-vlan"), apply, undefined);
        assert.ok(again.includes("802.1Q: each host's NIC is a trunk and the VLAN interfaces are real 802.1Q devices made by the program."));
        assert.ok(!again.some((l) => l.startsWith("EMULATED")));
        assert.ok(again.includes("  npm run lab:pulumi -- multi-vlan --name x1 stack export"));
        assert.ok(again.includes("  npm run lab:down -- --name x1"));
        const timings = again.slice(again.indexOf("== timings ==") + 1).join("\n").split("\n");
        assert.match(timings[2], /^hosts up\s+-\s+reused the running hosts$/);
        assert.match(timings[4], /^destroy\s+-\s+not run: the lab stays up \(npm run lab:down -- --name x1 runs pulumi destroy\)$/);

        const sn = loaded("single-network");
        const plain = explainLab(lab, sn, { seconds: 3, outputs: {} }, 1000);
        assert.ok(plain.includes("(the stack declares no checks)"));
        assert.ok(!plain.includes("== VLANs =="));
    });
});

/**
 * What taking a running lab to another topology in place takes (lab/hosts/diff.ts, pure): which
 * hosts, VLAN segments and links are added, removed, kept; what must be removed first; the topology
 * in between; the changes that need a rebuild; the lines for people. Every case is also replayed
 * step by step with the same helpers reconcileHosts uses, and must end at the new topology (and,
 * with only `removeFirst` done, at `interim`).
 */
import { strict as assert } from "assert";
import { LabTopology, validateTopology } from "../../lab/hosts";
import {
    TopologyDiff, describeDiff, diffTopologies, hasLaterRemovals, isEmptyDiff, withHost, withMembership, withSegment, withoutHost, withoutSegment,
} from "../../lab/hosts/diff";
import { twoHostTopology } from "../helpers/labTopology";

const from = (): LabTopology => twoHostTopology("x1");

/** The tutorial's lab with docker03 at 192.168.1.15 on both VLANs. */
function threeHosts(): LabTopology {
    const t = from();
    t.hosts.push({ name: "docker03", address: "192.168.1.15", prefixLength: 24, nic: "ens33", sshPort: 22 });
    for (const v of t.vlans) v.hosts.push("docker03");
    return t;
}

function edit(t: LabTopology, fn: (t: LabTopology) => void): LabTopology {
    const c = JSON.parse(JSON.stringify(t)) as LabTopology;
    fn(c);
    return c;
}

/** Hosts by name, VLANs by id, members by name: the order of the lists does not matter to the lab. */
function canonical(t: LabTopology): LabTopology {
    const c = JSON.parse(JSON.stringify(t)) as LabTopology;
    c.hosts.sort((a, b) => a.name.localeCompare(b.name));
    c.vlans.sort((a, b) => a.id - b.id);
    for (const v of c.vlans) v.hosts.sort();
    return c;
}

/**
 * Replays `d` on `a` as reconcileHosts does (removals, then segments, links and hosts); with
 * `deferred`, only the removals of `removeFirst`.
 */
function replay(a: LabTopology, to: LabTopology, d: TopologyDiff, deferred: boolean): LabTopology {
    let t = a;
    const r = deferred ? d.removeFirst : { hosts: d.removeHosts, links: d.removeLinks, segments: d.removeSegments };
    for (const n of r.hosts) t = withoutHost(t, n);
    for (const l of r.links) t = withMembership(t, l.host, l.vlan, false);
    for (const id of r.segments) {
        assert.deepEqual(t.vlans.find((v) => v.id === id)?.hosts ?? [], [], `VLAN ${id} has no member left when its segment goes`);
        t = withoutSegment(t, id);
    }
    for (const v of to.vlans) t = withSegment(t, v);
    for (const l of d.addLinks) t = withMembership(t, l.host, l.vlan, true);
    for (const n of d.addHosts) {
        const spec = to.hosts.find((h) => h.name === n);
        assert.ok(spec, `${n} is a host of the new topology`);
        t = withHost(t, spec, to.vlans.filter((v) => v.hosts.includes(n)).map((v) => v.id));
    }
    return t;
}

/** The diff, checked by replaying it both ways. */
function diffOf(a: LabTopology, b: LabTopology): TopologyDiff {
    const d = diffTopologies(a, b);
    if (d.rebuild !== undefined) return d;
    assert.deepEqual(canonical(replay(a, b, d, false)), canonical(b), "replaying the whole diff gives the new topology");
    assert.deepEqual(canonical(replay(a, b, d, true)), canonical(d.interim), "replaying the additions and removeFirst gives interim");
    assert.deepEqual(validateTopology(d.interim), [], "interim is a valid topology");
    return d;
}

const link = (host: string, vlan: number, interfaceName = `ens33.${vlan}`) => ({ host, vlan, interfaceName, parent: "ens33" });

describe("lab/hosts: the diff of two topologies (pure)", () => {
    it("changes nothing for the same topology, nor for the same one listed in another order", () => {
        const same = diffOf(from(), from());
        assert.equal(isEmptyDiff(same), true);
        assert.deepEqual(same.keepHosts, ["docker01", "docker02"]);
        const reordered = edit(from(), (t) => {
            t.hosts.reverse();
            t.vlans.reverse();
            for (const v of t.vlans) v.hosts.reverse();
        });
        const d = diffOf(from(), reordered);
        assert.equal(isEmptyDiff(d), true);
        assert.deepEqual(d.keepHosts, ["docker02", "docker01"], "in the new topology's order");
        assert.equal(hasLaterRemovals(d), false);
    });

    it("adds a host on both VLANs with its own links, keeping the others and their links", () => {
        const d = diffOf(from(), threeHosts());
        assert.equal(d.rebuild, undefined);
        assert.deepEqual(d.addHosts, ["docker03"]);
        assert.deepEqual(d.keepHosts, ["docker01", "docker02"]);
        assert.deepEqual([d.removeHosts, d.replaceHosts, d.addSegments, d.removeSegments, d.addLinks, d.removeLinks], [[], [], [], [], [], []]);
        assert.deepEqual(d.interim, threeHosts());
        assert.equal(hasLaterRemovals(d), false);
        assert.deepEqual(describeDiff(d, threeHosts()), [
            "+ host docker03: added (ens33 192.168.1.15/24, ssh port 22, ens33.10, ens33.20)",
            "= docker01, docker02: stay as they are (keeper, sshd, dockerd, containers)",
        ]);
    });

    it("removes a host after the additions when asked to wait: interim keeps it with its VLAN links", () => {
        const d = diffOf(threeHosts(), from());
        assert.deepEqual(d.removeHosts, ["docker03"]);
        assert.deepEqual(d.addHosts, []);
        assert.deepEqual(d.removeFirst, { hosts: [], links: [], segments: [] });
        assert.deepEqual(d.interim, threeHosts());
        assert.equal(hasLaterRemovals(d), true);
        assert.deepEqual(describeDiff(d, from()), [
            "- host docker03: removed (its namespaces, links, sshd, dockerd and containers)",
            "= docker01, docker02: stay as they are (keeper, sshd, dockerd, containers)",
        ]);
    });

    it("makes a host again when its address, NIC or SSH port changes, and removes it first", () => {
        const cases: Array<[string, (t: LabTopology) => void, string]> = [
            ["address", (t) => (t.hosts[1].address = "192.168.1.14"), "address 192.168.1.13 -> 192.168.1.14"],
            ["ssh port", (t) => (t.hosts[1].sshPort = 2222), "ssh port 22 -> 2222"],
            [
                "nic",
                (t) => {
                    t.hosts[1].nic = "eth0";
                    t.vlans = t.vlans.map((v) => ({ ...v, hosts: v.hosts.filter((h) => h !== "docker02") }));
                },
                "nic ens33 -> eth0",
            ],
        ];
        assert.equal(cases.length, 3);
        for (const [what, fn, change] of cases) {
            const to = edit(from(), fn);
            const d = diffOf(from(), to);
            assert.deepEqual(d.replaceHosts, [{ name: "docker02", changes: [change] }], what);
            assert.deepEqual(d.addHosts, ["docker02"], what);
            assert.deepEqual(d.removeHosts, ["docker02"], what);
            assert.deepEqual(d.removeFirst.hosts, ["docker02"], `${what}: the same name is needed again`);
            assert.deepEqual(d.keepHosts, ["docker01"], what);
            assert.equal(hasLaterRemovals(d), false, what);
        }
        const d = diffTopologies(from(), edit(from(), cases[0][1]));
        assert.deepEqual(describeDiff(d, edit(from(), cases[0][1])), [
            "~ host docker02: made again (address 192.168.1.13 -> 192.168.1.14): removed with its daemons and containers, then added empty",
            "= docker01: stays as it is (keeper, sshd, dockerd, containers)",
        ]);
    });

    it("adds a VLAN segment with links on its kept members, and removes one (after the additions when asked)", () => {
        const withV30 = edit(from(), (t) => t.vlans.push({ id: 30, parent: "ens33", interfaceName: "ens33.30", hosts: ["docker02", "docker01"] }));
        const add = diffOf(from(), withV30);
        assert.deepEqual(add.addSegments, [30]);
        assert.deepEqual(add.addLinks, [link("docker02", 30), link("docker01", 30)]);
        assert.deepEqual(add.keepHosts, ["docker01", "docker02"]);
        assert.deepEqual(describeDiff(add, withV30), [
            "+ VLAN 30: segment added",
            "+ docker02: link ens33.30 (VLAN 30) added",
            "+ docker01: link ens33.30 (VLAN 30) added",
            "= docker01, docker02: keep their keeper, sshd, dockerd and containers (only the links above change)",
        ]);
        const remove = diffOf(withV30, from());
        assert.deepEqual(remove.removeSegments, [30]);
        assert.deepEqual(remove.removeLinks, [link("docker02", 30), link("docker01", 30)]);
        assert.deepEqual(remove.removeFirst, { hosts: [], links: [], segments: [] });
        assert.deepEqual(canonical(remove.interim), canonical(withV30), "VLAN 30 waits with its links");
    });

    it("gives a host that joins a VLAN its link and takes it from one that leaves", () => {
        const off20 = edit(from(), (t) => (t.vlans[1].hosts = ["docker01"]));
        const leave = diffOf(from(), off20);
        assert.deepEqual(leave.removeLinks, [link("docker02", 20)]);
        assert.deepEqual([leave.addLinks, leave.addHosts, leave.removeHosts, leave.removeSegments], [[], [], [], []]);
        assert.deepEqual(leave.removeFirst.links, [], "it waits: the apply may still delete what is on it");
        assert.deepEqual(leave.keepHosts, ["docker01", "docker02"]);
        const join = diffOf(off20, from());
        assert.deepEqual(join.addLinks, [link("docker02", 20)]);
        assert.deepEqual(join.removeLinks, []);
    });

    it("renames a VLAN's links on every kept member, old ones first", () => {
        const renamed = edit(from(), (t) => (t.vlans[0].interfaceName = "vlan10"));
        const d = diffOf(from(), renamed);
        assert.deepEqual(d.removeLinks, [link("docker01", 10), link("docker02", 10)]);
        assert.deepEqual(d.addLinks, [link("docker01", 10, "vlan10"), link("docker02", 10, "vlan10")]);
        assert.deepEqual(d.removeFirst.links, d.removeLinks);
        assert.deepEqual(d.interim, renamed);
    });

    it("removes first a gone host whose address a new host takes, or that is a member of a renamed VLAN", () => {
        const taken = edit(from(), (t) => (t.hosts[1] = { ...t.hosts[1], name: "docker03" }));
        for (const v of taken.vlans) v.hosts = v.hosts.map((h) => (h === "docker02" ? "docker03" : h));
        const d = diffOf(from(), taken);
        assert.deepEqual([d.addHosts, d.removeHosts, d.removeFirst.hosts], [["docker03"], ["docker02"], ["docker02"]]);
        const renamedWithoutIt = edit(threeHosts(), (t) => {
            t.hosts.pop();
            t.vlans = t.vlans.map((v) => ({ ...v, interfaceName: v.id === 10 ? "vlan10" : v.interfaceName, hosts: v.hosts.filter((h) => h !== "docker03") }));
        });
        const r = diffOf(threeHosts(), renamedWithoutIt);
        assert.deepEqual(r.removeFirst.hosts, ["docker03"]);
        const plain = diffOf(threeHosts(), from());
        assert.deepEqual(plain.removeFirst.hosts, [], "a plain removal waits");
    });

    it("removes a gone VLAN's segment first when none of its members waits", () => {
        const only3 = edit(threeHosts(), (t) => t.vlans.push({ id: 30, parent: "ens33", interfaceName: "ens33.30", hosts: ["docker03"] }));
        const d = diffOf(only3, from());
        assert.deepEqual(d.removeSegments, [30]);
        assert.deepEqual(d.removeFirst.segments, [], "docker03 waits, and VLAN 30 with it");
        assert.ok(d.interim.vlans.some((v) => v.id === 30));
        const kept = edit(only3, (t) => {
            t.hosts.pop();
            t.vlans = t.vlans.filter((v) => v.id !== 30).map((v) => ({ ...v, hosts: v.hosts.filter((h) => h !== "docker03") }));
            t.hosts[1] = { ...t.hosts[1], address: "192.168.1.15" }; // docker02 takes docker03's address
            t.vlans.push({ id: 40, parent: "ens33", interfaceName: "ens33.40", hosts: ["docker01"] });
        });
        const e = diffOf(only3, kept);
        assert.deepEqual(e.removeFirst.hosts.sort(), ["docker02", "docker03"], "docker02 is made again at docker03's address");
        assert.deepEqual(e.removeFirst.segments, [30], "nobody is left on VLAN 30");
    });

    it("needs a rebuild for another management subnet or controller address, and says why", () => {
        const moved = edit(from(), (t) => (t.hosts = t.hosts.map((h, i) => ({ ...h, address: `10.9.0.${11 + i}` }))));
        const cases: Array<[LabTopology, string]> = [
            [moved, "the management subnet changes (192.168.1.0/24 -> 10.9.0.0/24): every host's address and the controller's are on it"],
            [edit(from(), (t) => (t.hosts = t.hosts.map((h) => ({ ...h, prefixLength: 16 })))), "the management subnet changes (192.168.1.0/24 -> 192.168.0.0/16): every host's address and the controller's are on it"],
            [
                edit(threeHosts(), (t) => (t.hosts[2].address = "192.168.1.254")),
                "the controller's address changes (192.168.1.254 -> 192.168.1.253: the highest free address of the subnet is now another)",
            ],
            [edit(from(), (t) => (t.controllerAddress = "192.168.1.200")), "the controller's address changes (192.168.1.254 -> 192.168.1.200)"],
            [{ ...from(), name: "x2" }, "the lab's name changes (x1 -> x2)"],
        ];
        assert.equal(cases.length, 5);
        for (const [to, why] of cases) {
            assert.deepEqual(validateTopology(to), [], why);
            const d = diffTopologies(from(), to);
            assert.equal(d.rebuild, why);
            assert.equal(isEmptyDiff(d), false);
            assert.deepEqual([d.addHosts, d.removeHosts, d.keepHosts], [[], [], []], "nothing to do in place");
            assert.deepEqual(describeDiff(d, to), [`the lab cannot be changed in place: ${why}`]);
        }
        const explicitSame = edit(threeHosts(), (t) => (t.controllerAddress = "192.168.1.254"));
        assert.equal(diffTopologies(from(), explicitSame).rebuild, undefined, "the same controller address, now explicit");
    });

    it("keeps the step helpers exact: a host with its memberships, a segment redefined with its members", () => {
        const t = withHost(withSegment(from(), { id: 30, parent: "ens33", interfaceName: "ens33.30" }), threeHosts().hosts[2], [10, 30]);
        assert.deepEqual(t.vlans.map((v) => [v.id, v.hosts]), [[10, ["docker01", "docker02", "docker03"]], [20, ["docker01", "docker02"]], [30, ["docker03"]]]);
        const renamed = withSegment(t, { id: 10, parent: "ens33", interfaceName: "vlan10" });
        assert.deepEqual(renamed.vlans[0], { id: 10, parent: "ens33", interfaceName: "vlan10", hosts: ["docker01", "docker02", "docker03"] });
        const without = withoutHost(t, "docker03");
        assert.deepEqual(without.vlans.map((v) => [v.id, v.hosts]), [[10, ["docker01", "docker02"]], [20, ["docker01", "docker02"]], [30, []]]);
        assert.deepEqual(withoutSegment(without, 30).vlans.map((v) => v.id), [10, 20]);
        assert.deepEqual(from().vlans[0].hosts, ["docker01", "docker02"], "the helpers never change their input");
    });
});

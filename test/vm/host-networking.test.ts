/**
 * The host-networking layer on a real kernel: one qemu VM per host of the multi-VLAN stack (Debian's
 * cloud kernel, which has 8021q, macvlan and ipvlan), joined by one trunk captured to pcap
 * (lab/vm). The product's rendered scripts (components/host/render.ts) run in the VMs as an SSH
 * session runs them, for the iproute2 backend and for the ifcfg backend (its bring-up through the
 * VMs' stand-in `ifup`, which says so in its output). What is asserted is observed in the VMs and on
 * the trunk: real 802.1Q devices with the stack's ids (never the lab's emulation), tagged frames
 * counted per VLAN id, pings per VLAN, a second run that changes nothing, checks that pass, delete
 * that returns every VM to its start. The network cases (macvlan, ipvlan l2 and l3) run on top
 * (lab/vm/networks.ts). Skipped, with the reason, only where qemu cannot run.
 */
import * as assert from "assert";
import * as fs from "fs";
import { LabSpec, NetworkBackend } from "../../components/model/types";
import { loadStack } from "../../lab/topology";
import { HostStep, hostSteps, LEFT_LOADED_AFTER_DELETE, VmLab, VmSnapshot, withBackend } from "../../lab/vm/harness";
import { changes, lastLine, succeeded, vmSuiteHooks } from "../helpers/vmSuite";
import { countByVlan, echoes, Frame, framesOf, readPcap } from "../../lab/vm/pcap";
import { GuestResult } from "../../lab/vm/qemu";
import { NETWORK_CASES, runNetworkCase } from "../../lab/vm/networks";

const STACK = "multi-vlan";

function asAfterDelete(start: VmSnapshot): VmSnapshot {
    return { ...start, modules: [...new Set([...start.modules, ...LEFT_LOADED_AFTER_DELETE])].sort() };
}

function multiVlan(): LabSpec {
    const loaded = loadStack(STACK);
    assert.ok(loaded.stack, loaded.errors.join("\n"));
    return loaded.stack.spec;
}

/** Frames captured on the trunk since `mark`. */
function framesSince(lab: VmLab, mark: number): Frame[] {
    return readPcap(fs.readFileSync(lab.trunk.pcapFile)).slice(mark);
}

interface LinkJson {
    ifname: string;
    link?: string;
    flags: string[];
    linkinfo?: { info_kind?: string; info_data?: { protocol?: string; id?: number } };
}

interface AddrJson {
    ifname: string;
    addr_info: Array<{ family: string; local: string; prefixlen: number }>;
}

async function linkOf(lab: VmLab, host: string, dev: string): Promise<LinkJson> {
    return (JSON.parse(await lab.vm(host).ok(`ip -d -j link show dev '${dev}'`)) as LinkJson[])[0];
}

async function ipv4Of(lab: VmLab, host: string, dev: string): Promise<string[]> {
    const a = JSON.parse(await lab.vm(host).ok(`ip -j -4 addr show dev '${dev}'`)) as AddrJson[];
    return (a[0]?.addr_info ?? []).map((x) => `${x.local}/${x.prefixlen}`);
}

describe("vm: host networking on a real kernel under qemu (802.1Q, tagged frames on the trunk)", function () {
    // ceilings, not expectations: a VM under TCG on a busy 2-core machine is slow (lab/vm/README.md)
    this.timeout(1_800_000);
    const base = multiVlan();
    let lab: VmLab | undefined;
    const start = new Map<string, VmSnapshot>();
    vmSuiteHooks({ spec: base, name: "vm", start, started: (l) => (lab = l) });

    it("boots one VM per host of the stack, each on the real 802.1Q path (no lab emulation marker, 8021q loadable)", async function () {
        assert.ok(lab);
        assert.deepStrictEqual([...lab.vms.keys()], base.hosts.map((h) => h.name));
        for (const h of base.hosts) {
            const out = await lab.vm(h.name).ok(
                "uname -r; hostname; test ! -e /run/macvlan-lab/vlan-emulation && echo no-marker; modprobe -n 8021q && echo loadable; test ! -e /proc/net/vlan/config && echo not-loaded-yet",
            );
            assert.deepStrictEqual(out.trim().split("\n"), [lab.image.kernelRelease, h.name, "no-marker", "loadable", "not-loaded-yet"]);
            assert.deepStrictEqual(await ipv4Of(lab, h.name, h.nic), [`${h.ssh.address}/24`]);
        }
    });

    for (const backend of ["iproute2", "ifcfg"] as NetworkBackend[]) {
        describe(`${backend} backend`, function () {
            const spec = withBackend(base, backend);
            const steps = new Map<string, HostStep[]>(spec.hosts.map((h) => [h.name, hostSteps(h, spec.vlans)]));

            /** Runs one kind of script of every step, host by host in step order, hosts at once. */
            async function runAll(kind: "create" | "delete" | "check", order: "forward" | "reverse" = "forward"): Promise<Map<string, GuestResult[]>> {
                const out = new Map<string, GuestResult[]>();
                await Promise.all(
                    spec.hosts.map(async (h) => {
                        const list = order === "forward" ? steps.get(h.name)! : [...steps.get(h.name)!].reverse();
                        const results: GuestResult[] = [];
                        for (const step of list) {
                            if (step.scripts[kind] === "") continue; // the library has no check
                            const r = await lab!.runScript(h.name, step.scripts[kind], step.stdin);
                            results.push(r);
                            if (kind !== "check") succeeded(r, `${h.name}: ${step.what} ${kind}`);
                        }
                        out.set(h.name, results);
                    }),
                );
                return out;
            }

            it("create: the parent NIC promiscuous, 8021q loaded by modprobe, real 802.1Q devices with the stack's ids and addresses", async function () {
                assert.ok(lab);
                const results = await runAll("create");
                for (const h of spec.hosts) {
                    const rs = results.get(h.name)!;
                    const all = rs.map((r) => r.stdout + r.stderr).join("");
                    assert.doesNotMatch(all, /EMULATED/, `${h.name}: the emulation path ran:\n${all}`);
                    assert.match(rs[0].stdout, /^changed: installed the shell library [0-9a-f]+ in \/var\/lib\/macvlan-lab\/lib\//);
                    rs.slice(1).forEach((r) => assert.match(lastLine(r), /^done: /, `${h.name}: ${r.stdout}`));
                    assert.ok(changes(rs[2]).includes("changed: 8021q is loaded (modprobe 8021q)"), rs[2].stdout);
                    const vlanResults = rs.slice(3);
                    const vlans = spec.vlans.filter((v) => v.members.some((m) => m.host === h.name));
                    for (const [i, v] of vlans.entries()) {
                        const r = vlanResults[i];
                        if (backend === "iproute2") {
                            assert.ok(changes(r).includes(`changed: created ${v.interfaceName} (ip link add link ${v.parent} name ${v.interfaceName} type vlan id ${v.id})`), r.stdout);
                        } else {
                            assert.ok(changes(r).includes(`changed: ${v.interfaceName} is up (ifup ${v.interfaceName})`), r.stdout);
                            assert.match(r.stdout, new RegExp(`STAND-IN ifup \\(not network-scripts\\): ip link add dev ${v.interfaceName.replace(".", "\\.")} link ${v.parent} type vlan id ${v.id}`));
                        }
                        const link = await linkOf(lab, h.name, v.interfaceName);
                        assert.strictEqual(link.linkinfo?.info_kind, "vlan", JSON.stringify(link));
                        assert.strictEqual(link.linkinfo?.info_data?.protocol, "802.1Q");
                        assert.strictEqual(link.linkinfo?.info_data?.id, v.id);
                        assert.strictEqual(link.link, v.parent);
                        assert.ok(link.flags.includes("UP"), `${v.interfaceName} is not up: ${link.flags.join(",")}`);
                        const address = v.members.find((m) => m.host === h.name)!.address;
                        assert.deepStrictEqual(await ipv4Of(lab, h.name, v.interfaceName), [address]);
                    }
                    // the kernel's own table of 802.1Q devices
                    const table: string[] = (await lab.vm(h.name).ok("cat /proc/net/vlan/config")).split("\n").slice(2).filter((l) => l.trim() !== "");
                    assert.deepStrictEqual(
                        table.map((l) => l.split("|").map((x) => x.trim())).sort(),
                        vlans.map((v) => [v.interfaceName, String(v.id), v.parent]).sort(),
                    );
                    assert.ok((await linkOf(lab, h.name, h.nic)).flags.includes("PROMISC"), `${h.nic} is not promiscuous`);
                }
            });

            if (backend === "ifcfg") {
                it("ifcfg: writes ifcfg-<nic>.<id> and PROMISC=yes, and 8021q.conf, byte for byte", async function () {
                    assert.ok(lab);
                    for (const h of spec.hosts) {
                        const vm = lab.vm(h.name);
                        for (const v of spec.vlans.filter((x) => x.members.some((m) => m.host === h.name))) {
                            const [ip, prefix] = v.members.find((m) => m.host === h.name)!.address.split("/");
                            assert.strictEqual(
                                await vm.ok(`cat /etc/sysconfig/network-scripts/ifcfg-${v.interfaceName}`),
                                [
                                    `# macvlan-lab: VLAN ${v.id} on ${v.parent}, written by pulumi (delete puts back what was here before)`,
                                    `DEVICE=${v.interfaceName}`,
                                    `NAME=${v.interfaceName}`,
                                    "BOOTPROTO=none",
                                    "ONBOOT=yes",
                                    "VLAN=yes",
                                    `PHYSDEV=${v.parent}`,
                                    `IPADDR=${ip}`,
                                    `PREFIX=${prefix}`,
                                    "",
                                ].join("\n"),
                            );
                        }
                        assert.match(await vm.ok(`cat /etc/sysconfig/network-scripts/ifcfg-${h.nic}`), /\nPREFIX=24\nPROMISC=yes\n$/);
                        assert.match(await vm.ok("cat /etc/modules-load.d/8021q.conf"), /^# macvlan-lab: .*\n8021q\n$/);
                    }
                });
            }

            it("a second create changes nothing (every script says `nothing changed`, the VMs do not move)", async function () {
                assert.ok(lab);
                const before = new Map<string, VmSnapshot>();
                for (const h of spec.hosts) before.set(h.name, await lab.snapshot(h.name));
                const results = await runAll("create");
                for (const h of spec.hosts) {
                    for (const r of results.get(h.name)!) {
                        assert.deepStrictEqual(changes(r), [], `${h.name}: ${r.stdout}`);
                        assert.match(lastLine(r), /^nothing changed: /, r.stdout);
                    }
                    assert.deepStrictEqual(await lab.snapshot(h.name), before.get(h.name), `${h.name} changed on the second run`);
                }
            });

            it("check: every script reports no drift (the library has no check)", async function () {
                assert.ok(lab);
                const results = await runAll("check");
                for (const h of spec.hosts) {
                    for (const r of results.get(h.name)!) {
                        succeeded(r, `${h.name}: check`);
                        assert.match(lastLine(r), /^ok: /, r.stdout);
                    }
                }
            });

            it("hosts reach each other on every VLAN, and the trunk carries those frames tagged with that VLAN's id only", async function () {
                assert.ok(lab);
                const report: string[] = [];
                for (const v of spec.vlans) {
                    const [a, b] = v.members;
                    const aIp = a.address.split("/")[0];
                    const bIp = b.address.split("/")[0];
                    const mark = lab.trunk.mark();
                    await lab.vm(a.host).ok(`ping -c 3 -W 10 -I '${v.interfaceName}' '${bIp}'`, 120);
                    const seen = framesSince(lab, mark);
                    const requests = echoes(seen, aIp, bIp, "request");
                    const replies = echoes(seen, bIp, aIp, "reply");
                    assert.ok(requests.length >= 3 && replies.length >= 3, `VLAN ${v.id}: ${requests.length} requests, ${replies.length} replies on the trunk`);
                    const carrying = [...framesOf(seen, aIp), ...framesOf(seen, bIp)];
                    assert.deepStrictEqual(countByVlan(carrying), { [String(v.id)]: carrying.length }, `VLAN ${v.id}: frames with ${aIp} or ${bIp} outside VLAN ${v.id}`);
                    assert.ok(seen.every((f) => f.innerTags === 0), "a frame with two tags");
                    report.push(`VLAN ${v.id}: ${a.host} -> ${b.host} ${requests.length} requests / ${replies.length} replies, all ${carrying.length} frames tagged ${v.id}`);
                }
                // the untagged control: the management addresses ride the trunk without a tag
                const [h1, h2] = spec.hosts;
                const mark = lab.trunk.mark();
                await lab.vm(h1.name).ok(`ping -c 2 -W 10 '${h2.ssh.address}'`, 120);
                const mgmt = framesOf(framesSince(lab, mark), h2.ssh.address);
                assert.ok(mgmt.length >= 4, `only ${mgmt.length} management frames`);
                assert.deepStrictEqual(countByVlan(mgmt), { untagged: mgmt.length });
                report.push(`management ${h1.ssh.address} -> ${h2.ssh.address}: ${mgmt.length} frames, untagged`);
                console.log(report.map((l) => `      ${l}`).join("\n"));
            });

            if (backend === "iproute2") {
                for (const c of NETWORK_CASES) {
                    it(c.title, async function () {
                        assert.ok(lab);
                        await runNetworkCase(lab, spec, c, (l) => console.log(`      ${l}`));
                    });
                }
            }

            it("delete (in reverse order) returns every VM to its start; a second delete changes nothing", async function () {
                assert.ok(lab);
                const results = await runAll("delete", "reverse");
                for (const h of spec.hosts) {
                    const rs = results.get(h.name)!;
                    rs.slice(0, -1).forEach((r) => assert.match(lastLine(r), /^done: /, r.stdout));
                    assert.match(lastLine(rs[rs.length - 1]), /^changed: removed the shell library /);
                    const all = results.get(h.name)!.map((r) => r.stdout).join("");
                    assert.match(all, /changed: 8021q is unloaded \(create loaded it\)/);
                    if (backend === "ifcfg") assert.match(all, /STAND-IN ifdown \(not network-scripts\)/);
                    assert.deepStrictEqual(await lab.snapshot(h.name), asAfterDelete(start.get(h.name)!), `${h.name} is not as it was before create`);
                }
                // a second delete, as a second `pulumi destroy` of the same commands would run it: the
                // library's install first (every script sources it), then the deletes in reverse
                await Promise.all(
                    spec.hosts.map(async (h) => {
                        const lib = steps.get(h.name)![0];
                        succeeded(await lab!.runScript(h.name, lib.scripts.create, lib.stdin), `${h.name}: ${lib.what} create again`);
                    }),
                );
                const again = await runAll("delete", "reverse");
                for (const h of spec.hosts) {
                    const rs = again.get(h.name)!;
                    for (const r of rs.slice(0, -1)) assert.match(lastLine(r), /^nothing changed: /, r.stdout);
                    assert.match(lastLine(rs[rs.length - 1]), /^changed: removed the shell library /);
                    assert.deepStrictEqual(await lab.snapshot(h.name), asAfterDelete(start.get(h.name)!));
                }
            });
        });
    }
});

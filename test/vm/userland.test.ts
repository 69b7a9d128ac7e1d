/**
 * The userland VMs (lab/vm/userland.ts) proved as the infrastructure the backend tests stand on:
 * real Debian 12 with systemd as PID 1, one VM per network stack on one trunk (NetworkManager,
 * systemd-networkd, netplan on networkd, ifupdown), each brought up by its own stack from its own
 * persistent config; the management addresses reach each other across the trunk (echo requests and
 * replies counted in the capture); then a file written and an address added with `ip`, a reboot
 * inside each guest, and after it the file is there, the address is gone, the VM is otherwise as
 * it was but for what every boot changes (REBOOT_CHURN), and the hosts reach each other again by
 * their own config. Last, the kernel's modules load from the disk. Skipped, with the reason, only
 * where userland VMs cannot run (lab/vm/userland.ts userlandUnavailable).
 */
import * as assert from "assert";
import * as fs from "fs";
import { HostSpec } from "../../components/model/types";
import { loadStack } from "../../lab/topology";
import { VmSnapshot } from "../../lab/vm/harness";
import { echoes, readPcap } from "../../lab/vm/pcap";
import { ALL_STACK_UNITS, managementConfig, REBOOT_CHURN, STACK_UNITS, stackUnitStates, UserlandLab, UserlandStack, withoutChurn } from "../../lab/vm/userland";
import { succeeded, userlandSuiteHooks } from "../helpers/vmSuite";

/** One VM per stack: the multi-VLAN stack's docker01 and docker02, and two more on the same subnet. */
const STACKS: Record<string, UserlandStack> = { docker01: "nm", docker02: "networkd", docker03: "netplan", docker04: "ifupdown" };

function hostsOf(): HostSpec[] {
    const loaded = loadStack("multi-vlan");
    assert.ok(loaded.stack, loaded.errors.join("\n"));
    const [first] = loaded.stack.spec.hosts;
    const known = new Map(loaded.stack.spec.hosts.map((h) => [h.name, h]));
    const addresses: Record<string, string> = { docker01: "192.168.1.11", docker02: "192.168.1.13", docker03: "192.168.1.15", docker04: "192.168.1.17" };
    return Object.keys(STACKS).map((name) => known.get(name) ?? { ...first, name, ssh: { ...first.ssh, address: addresses[name] } });
}

/** The lines only in `a` (`- ...`) and only in `b` (`+ ...`). */
function lineDiff(a: readonly string[], b: readonly string[]): string[] {
    const sa = new Set(a);
    const sb = new Set(b);
    return [...a.filter((l) => !sb.has(l)).map((l) => `- ${l}`), ...b.filter((l) => !sa.has(l)).map((l) => `+ ${l}`)];
}

/** What shows which config configured the management NIC, per stack (a command and the line it must print). */
function configuredBy(stack: UserlandStack, nic: string): { command: string; expect: RegExp } {
    switch (stack) {
        case "nm":
            return { command: "nmcli -t -f NAME,DEVICE,FILENAME connection show --active", expect: new RegExp(`^${nic}:${nic}:/etc/NetworkManager/system-connections/${nic}\\.nmconnection$`, "m") };
        case "networkd":
            return { command: `networkctl status --no-pager ${nic}`, expect: new RegExp(`Network File: /etc/systemd/network/10-${nic}\\.network`) };
        case "netplan":
            // netplan's systemd generator renders the YAML at boot into /run/systemd/network
            return { command: `networkctl status --no-pager ${nic}`, expect: new RegExp(`Network File: /run/systemd/network/10-netplan-${nic}\\.network`) };
        case "ifupdown":
            return { command: "ifquery --state", expect: new RegExp(`^${nic}=${nic}$`, "m") };
        case "none":
            return { command: "true", expect: /^$/ };
        default: {
            const never_: never = stack;
            throw new Error(String(never_));
        }
    }
}

describe("vm: userland VMs (Debian 12, systemd, one network stack each, rebooted)", function () {
    // ceilings, not expectations: TCG on a busy 2-core machine (lab/vm/README.md)
    this.timeout(1_800_000);
    const hosts = hostsOf();
    let lab: UserlandLab | undefined;
    const start = new Map<string, VmSnapshot>();
    userlandSuiteHooks({ hosts, stack: STACKS, name: "vm userland", start, started: (l) => (lab = l) });

    /** Every host pings every other once; asserts the echo requests and replies on the trunk. */
    async function pingAll(): Promise<number> {
        assert.ok(lab);
        const mark = lab.trunk.mark();
        const pairs = hosts.flatMap((a) => hosts.filter((b) => b !== a).map((b) => [a, b] as const));
        assert.strictEqual(pairs.length, hosts.length * (hosts.length - 1));
        await Promise.all(
            hosts.map(async (a) => {
                for (const b of hosts.filter((x) => x !== a)) {
                    succeeded(await lab!.exec(a.name, `busybox ping -c 1 -W 10 '${b.ssh.address}'`, { timeoutSeconds: 60 }), `${a.name}: ping ${b.name}`);
                }
            }),
        );
        const frames = readPcap(fs.readFileSync(lab.trunk.pcapFile)).slice(mark);
        for (const [a, b] of pairs) {
            assert.ok(echoes(frames, a.ssh.address, b.ssh.address, "request").length >= 1, `no echo request ${a.name} -> ${b.name} on the trunk`);
            assert.ok(echoes(frames, b.ssh.address, a.ssh.address, "reply").length >= 1, `no echo reply ${b.name} -> ${a.name} on the trunk`);
            // untagged: the management network is the trunk's native one
            assert.ok(echoes(frames, a.ssh.address, b.ssh.address, "request").every((f) => f.vid === undefined));
        }
        return pairs.length;
    }

    it("boots systemd as PID 1 with the chosen stack the only one enabled and running, the NIC named by its .link file and configured by the stack's own file", async function () {
        assert.ok(lab);
        assert.deepStrictEqual([...lab.vms.keys()], Object.keys(STACKS));
        await Promise.all(
            lab.hosts.map(async (h) => {
                const boot = lab!.boots.get(h.name)!;
                assert.deepStrictEqual([boot.state, boot.failed], ["running", []], `${h.name}: systemd ${boot.state}, failed: ${boot.failed.join(" ")}`);
                const out = await lab!.vm(h.name).ok(`readlink /proc/1/exe; cat /proc/1/comm; hostname; uname -r; udevadm info -q property /sys/class/net/'${h.nic}' | grep '^ID_NET_LINK_FILE='`);
                assert.deepStrictEqual(out.trim().split("\n"), [
                    "/usr/lib/systemd/systemd",
                    "systemd",
                    h.name,
                    lab!.image.kernelRelease,
                    `ID_NET_LINK_FILE=/etc/systemd/network/10-${h.nic}.link`,
                ]);
                const states = await stackUnitStates(lab!, h.name);
                const mine = STACK_UNITS[h.stack];
                assert.strictEqual(mine.length, 1);
                for (const unit of ALL_STACK_UNITS) {
                    const expected = mine.includes(unit) ? { enabled: "enabled", active: "active" } : { enabled: "disabled", active: "inactive" };
                    assert.deepStrictEqual(states[unit], expected, `${h.name} (${h.stack}): ${unit}`);
                }
                for (const f of managementConfig(h)) {
                    assert.strictEqual(await lab!.vm(h.name).ok(`cat '${f.path}'`), f.content, `${h.name}: ${f.path}`);
                }
                const by = configuredBy(h.stack, h.nic);
                assert.match(await lab!.vm(h.name).ok(by.command), by.expect, `${h.name}: ${by.command}`);
            }),
        );
    });

    it("the management addresses ping each other across the trunk (busybox ping; echo requests and replies captured, untagged)", async function () {
        const n = await pingAll();
        console.log(`      ${n} pings, each request and reply seen on the trunk`);
    });

    it("reboot: a file written before it survives, an address added with ip does not, the VM is otherwise as before, and the hosts reach each other again by their own config", async function () {
        assert.ok(lab);
        const RUNTIME = (i: number) => `192.168.1.${200 + i}/24`;
        const PROBE = "/root/macvlan-lab-reboot-probe";
        const before = new Map<string, VmSnapshot>();
        const bootIds = new Map<string, string>();
        await Promise.all(
            lab.hosts.map(async (h, i) => {
                before.set(h.name, await lab!.snapshot(h.name));
                const bootId = (await lab!.vm(h.name).ok("cat /proc/sys/kernel/random/boot_id")).trim();
                assert.strictEqual(bootId, lab!.vm(h.name).bootId);
                bootIds.set(h.name, bootId);
                await lab!.vm(h.name).ok(`printf '%s\\n' '${bootId}' > ${PROBE} && sync && ip addr add '${RUNTIME(i)}' dev '${h.nic}'`);
                // the probes ran: the file and the address are there before the reboot
                assert.strictEqual((await lab!.vm(h.name).ok(`cat ${PROBE}`)).trim(), bootId);
                assert.match(await lab!.vm(h.name).ok(`ip -4 -o addr show dev '${h.nic}'`), new RegExp(` ${RUNTIME(i).replace(/\./g, "\\.")} `));
            }),
        );
        const reports = await Promise.all(lab.hosts.map((h) => lab!.reboot(h.name)));
        console.log(`      reboots: ${lab.hosts.map((h, i) => `${h.name} (${h.stack}) ${reports[i].seconds.toFixed(1)} s + ${reports[i].settleSeconds.toFixed(1)} s`).join(", ")}`);
        await Promise.all(
            lab.hosts.map(async (h, i) => {
                const r = reports[i];
                assert.notStrictEqual(r.bootId, bootIds.get(h.name), `${h.name}: the same boot`);
                assert.deepStrictEqual([r.state, r.failed], ["running", []], `${h.name}: systemd ${r.state}, failed: ${r.failed.join(" ")}`);
                assert.strictEqual((await lab!.vm(h.name).ok(`cat ${PROBE}`)).trim(), bootIds.get(h.name), `${h.name}: the file did not survive`);
                const addrs = await lab!.vm(h.name).ok(`ip -4 -o addr show dev '${h.nic}'`);
                assert.doesNotMatch(addrs, new RegExp(` ${RUNTIME(i).replace(/\./g, "\\.")} `), `${h.name}: the runtime address survived the reboot`);
                assert.match(addrs, new RegExp(` ${h.address.replace(/\./g, "\\.")}/${h.prefixLength} `));
                const by = configuredBy(h.stack, h.nic);
                assert.match(await lab!.vm(h.name).ok(by.command), by.expect, `${h.name}: ${by.command} after the reboot`);
                // as before the reboot but for the probe file, and what every boot changes
                const after = withoutChurn(await lab!.snapshot(h.name));
                const expected = withoutChurn(before.get(h.name)!);
                const probeLines = after.files.filter((l) => l.includes(PROBE));
                assert.strictEqual(probeLines.length, 2, `${h.name}: ${probeLines.join(" | ")}`);
                const files = after.files.filter((l) => !l.includes(PROBE));
                assert.deepStrictEqual(lineDiff(expected.files, files), [], `${h.name} (${h.stack}): files the reboot changed besides ${REBOOT_CHURN.join(", ")}`);
                assert.deepStrictEqual({ ...after, files }, expected, `${h.name} (${h.stack}): the reboot changed more than the files`);
            }),
        );
        await pingAll();
    });

    it("the cloud kernel's modules load from the disk (8021q, macvlan, ipvlan, legacy and nft iptables)", async function () {
        assert.ok(lab);
        const h = lab.hosts[0];
        const modules = ["8021q", "macvlan", "ipvlan", "ip_tables", "iptable_filter", "nf_tables", "nft_compat"];
        const out = await lab.vm(h.name).ok(`modprobe -a ${modules.join(" ")} && cut -d ' ' -f 1 /proc/modules | sort`);
        const loaded = out.trim().split("\n");
        for (const m of modules) assert.ok(loaded.includes(m), `${m} not loaded: ${loaded.join(" ")}`);
        // Debian's iptables (the nft backend) and its legacy backend both work on this kernel
        succeeded(await lab.exec(h.name, "iptables -S FORWARD && iptables-legacy -S FORWARD"), "iptables");
    });
});

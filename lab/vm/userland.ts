/**
 * Userland VMs: the hosts of a stack as qemu VMs that boot a real Debian 12 (systemd as PID 1, the
 * disk of lab/vm/userland-image.ts) and can be rebooted, on the trunk of lab/vm/trunk.ts (captured
 * to pcap), driven over the same control channel as the initramfs VMs (lab/vm/qemu.ts; the agent is
 * a systemd service here).
 *
 * Each VM boots from its own copy-on-write overlay (a qcow2 file in the run directory whose backing
 * file is the cached disk), so the cached disk is never written and every run starts from the same
 * state. Before its first boot the overlay is prepared as an installed host would be
 * (guest/userland-init.sh in its prepare mode, a boot of the kernel and initramfs that powers off):
 * its hostname, /etc/hosts, a machine id of its own, the trunk NIC named like the stack's NIC by a
 * systemd .link file (matching the NIC's MAC; it stands in for the firmware name a VMware NIC gets),
 * and the management address in the persistent config of the network stack chosen for the VM
 * (NetworkManager keyfile, systemd-networkd .network file, netplan YAML, /etc/network/interfaces),
 * with that stack's service enabled and every other one disabled. After that nothing of the lab
 * runs at boot but the agent: a reboot brings the host back on the trunk by its own config.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { IPV4 } from "../../components/contracts";
import { shellJoin } from "../../components/shell";
import { HostSpec, LabSpec } from "../../components/model/types";
import { runOk } from "../hosts/proc";
import { ensurePackages } from "../packages";
import { managementPrefixLength } from "../topology";
import { CpioEntry, writeCpio } from "./cpio";
import { parseSnapshot, vmUnavailable, VmLab, VmSnapshot } from "./harness";
import { GuestResult, runUntilPowerOff, Vm } from "./qemu";
import { Trunk } from "./trunk";
import { makeRunDir } from "./runDirs";
import { ensureUserlandImage, USERLAND_BUILD_PACKAGES, userlandBuildProblem, UserlandImage } from "./userland-image";

/**
 * The network stack a userland VM runs at boot: NetworkManager only (`nm`), systemd-networkd only
 * (`networkd`), netplan rendering to systemd-networkd (`netplan`), ifupdown only (`ifupdown`), or
 * none (`none`: nothing configures the management NIC at boot; the harness adds its address with
 * `ip` after each boot, and it does not persist).
 */
export type UserlandStack = "nm" | "networkd" | "netplan" | "ifupdown" | "none";

export const USERLAND_STACKS: readonly UserlandStack[] = ["nm", "networkd", "netplan", "ifupdown", "none"];

/** The units each stack runs (enabled when the VM is prepared; the image has every one disabled). */
export const STACK_UNITS: Record<UserlandStack, readonly string[]> = {
    nm: ["NetworkManager.service"],
    networkd: ["systemd-networkd.service"],
    netplan: ["systemd-networkd.service"],
    ifupdown: ["networking.service"],
    none: [],
};

/** Every network stack's main unit: on a VM, those of its stack are enabled and active, the others neither. */
export const ALL_STACK_UNITS = ["NetworkManager.service", "systemd-networkd.service", "networking.service"] as const;

/**
 * The guest kernel's command line for userland VMs: as the initramfs VMs' (lab/vm/qemu.ts
 * KERNEL_COMMAND_LINE: console on ttyS0, no IPv6, what shortens a boot under TCG), with the root on
 * the virtio disk, and systemd's boot status only for failures (`quiet`).
 */
export const USERLAND_COMMAND_LINE = "console=ttyS0 root=/dev/vda rw panic=-1 ipv6.disable=1 quiet cryptomgr.notests mitigations=off no_timer_check tsc=reliable";

/** The same with the initramfs's prepare mode (guest/userland-init.sh). */
export const PREPARE_COMMAND_LINE = `${USERLAND_COMMAND_LINE} macvlan_lab.prepare`;

/** One host as its VM gets it. */
export interface UserlandHost {
    /** The stack's host name: `docker01`. */
    name: string;
    /** The stack's NIC name, given to the trunk NIC: `ens33`. */
    nic: string;
    /** The management address: `192.168.1.11`. */
    address: string;
    /** Its prefix length on the trunk: 24. */
    prefixLength: number;
    /** The trunk NIC's MAC. */
    mac: string;
    stack: UserlandStack;
}

/** A file a VM's preparation writes (owned by root). */
export interface PreparedFile {
    /** Absolute path in the VM. */
    path: string;
    mode: number;
    content: string;
}

/** A stable id of `n` hex digits derived from `what`. Pure. */
function stableHex(what: string, n: number): string {
    return createHash("sha256").update(`macvlan-lab ${what}`).digest("hex").slice(0, n);
}

/** A version-4-shaped UUID derived from `what` (NetworkManager keyfiles need one). Pure. */
export function stableUuid(what: string): string {
    const h = stableHex(what, 32).split("");
    h[12] = "4";
    h[16] = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
    const s = h.join("");
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** `[section]` and `key=value` lines of an INI-style file (NetworkManager keyfile, systemd unit). Pure. */
export function iniText(sections: ReadonlyArray<[string, ReadonlyArray<[string, string]>]>): string {
    return sections.map(([name, keys]) => [`[${name}]`, ...keys.map(([k, v]) => `${k}=${v}`)].join("\n")).join("\n\n") + "\n";
}

/** The Debian installer's /etc/network/interfaces head (the image has it with the loopback only). */
const INTERFACES_HEAD = `# This file describes the network interfaces available on your system
# and how to activate them. For more information, see interfaces(5).

source /etc/network/interfaces.d/*

# The loopback network interface
auto lo
iface lo inet loopback
`;

/**
 * The management NIC's persistent config in the stack's own format, as a host installed with that
 * stack has it. Pure.
 * - nm: a keyfile /etc/NetworkManager/system-connections/<nic>.nmconnection (mode 0600: NetworkManager
 *   ignores a keyfile others can read), static IPv4, IPv6 disabled (the VMs boot without IPv6);
 * - networkd: /etc/systemd/network/10-<nic>.network;
 * - netplan: /etc/netplan/01-<nic>.yaml (renderer networkd; mode 0600 as netplan asks);
 * - ifupdown: /etc/network/interfaces with an `auto <nic>` static stanza after the loopback;
 * - none: nothing.
 */
export function managementConfig(h: UserlandHost): PreparedFile[] {
    const cidr = `${h.address}/${h.prefixLength}`;
    switch (h.stack) {
        case "nm":
            return [
                {
                    path: `/etc/NetworkManager/system-connections/${h.nic}.nmconnection`,
                    mode: 0o600,
                    content: iniText([
                        [
                            "connection",
                            [
                                ["id", h.nic],
                                ["uuid", stableUuid(`${h.name} ${h.nic}`)],
                                ["type", "ethernet"],
                                ["interface-name", h.nic],
                            ],
                        ],
                        ["ethernet", []],
                        [
                            "ipv4",
                            [
                                ["address1", cidr],
                                ["method", "manual"],
                            ],
                        ],
                        ["ipv6", [["method", "disabled"]]],
                    ]),
                },
            ];
        case "networkd":
            return [
                {
                    path: `/etc/systemd/network/10-${h.nic}.network`,
                    mode: 0o644,
                    content: iniText([
                        ["Match", [["Name", h.nic]]],
                        ["Network", [["Address", cidr]]],
                    ]),
                },
            ];
        case "netplan":
            return [
                {
                    path: `/etc/netplan/01-${h.nic}.yaml`,
                    mode: 0o600,
                    content: yaml.dump({ network: { version: 2, renderer: "networkd", ethernets: { [h.nic]: { addresses: [cidr] } } } }),
                },
            ];
        case "ifupdown":
            return [
                {
                    path: "/etc/network/interfaces",
                    mode: 0o644,
                    content: `${INTERFACES_HEAD}\n# The primary network interface\nauto ${h.nic}\niface ${h.nic} inet static\n\taddress ${cidr}\n`,
                },
            ];
        case "none":
            return [];
        default: {
            const never_: never = h.stack;
            throw new Error(`unknown stack ${String(never_)}`);
        }
    }
}

/**
 * Everything a VM's preparation writes: hostname and /etc/hosts (as Debian's installer writes them),
 * a machine id of its own (derived from the host name, so every run starts the same), the .link file
 * that names the trunk NIC, and the stack's config (managementConfig). Pure.
 */
export function preparedFiles(h: UserlandHost): PreparedFile[] {
    return [
        { path: "/etc/hostname", mode: 0o644, content: `${h.name}\n` },
        { path: "/etc/hosts", mode: 0o644, content: `127.0.0.1\tlocalhost\n127.0.1.1\t${h.name}\n` },
        { path: "/etc/machine-id", mode: 0o444, content: `${stableHex(`machine-id ${h.name}`, 32)}\n` },
        {
            path: `/etc/systemd/network/10-${h.nic}.link`,
            mode: 0o644,
            content: iniText([
                ["Match", [["MACAddress", h.mac]]],
                ["Link", [["Name", h.nic]]],
            ]),
        },
        ...managementConfig(h),
    ];
}

/** The cpio appended to the boot initramfs for the prepare boot: /prepare/root/<file>, /prepare/enable. Pure. */
export function prepareCpio(h: UserlandHost): Buffer {
    const entries: CpioEntry[] = [];
    const dirs = new Set<string>();
    const dir = (d: string) => {
        const parts = d.split("/");
        for (let i = 1; i <= parts.length; i++) {
            const p = parts.slice(0, i).join("/");
            if (!dirs.has(p)) {
                dirs.add(p);
                entries.push({ kind: "dir", path: p, mode: 0o755 });
            }
        }
    };
    dir("prepare/root");
    for (const f of preparedFiles(h)) {
        const rel = `prepare/root${f.path}`;
        dir(path.posix.dirname(rel));
        entries.push({ kind: "file", path: rel, mode: f.mode, data: Buffer.from(f.content) });
    }
    entries.push({ kind: "file", path: "prepare/enable", mode: 0o644, data: Buffer.from(STACK_UNITS[h.stack].map((u) => `${u}\n`).join("")) });
    return writeCpio(entries);
}

/** How the VM's state is checked after a boot, for its stack (run by the agent as root). Pure. */
export function settleScript(h: UserlandHost, waitSeconds: number): string {
    const wait =
        h.stack === "nm"
            ? // NetworkManager's startup complete: every profile it activates at boot has been tried
              `nm-online -s -q -t ${waitSeconds} || { echo "nm-online -s: NetworkManager did not finish starting" >&2; nmcli -t device >&2; exit 1; }`
            : h.stack === "networkd" || h.stack === "netplan"
              ? // every link systemd-networkd manages is configured
                `/lib/systemd/systemd-networkd-wait-online --timeout=${waitSeconds} || { echo "systemd-networkd-wait-online failed" >&2; networkctl list --no-pager >&2; exit 1; }`
              : h.stack === "none"
                ? // nothing configures it at boot: the harness does, for this boot only
                  `ip addr replace ${shellJoin([`${h.address}/${h.prefixLength}`])} dev ${shellJoin([h.nic])} && ip link set dev ${shellJoin([h.nic])} up`
                : // ifupdown: networking.service (ifup -a) finished before the boot did
                  ":";
    return [
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        `state=$(timeout ${waitSeconds} systemctl is-system-running --wait)`,
        'echo "state $state"',
        "systemctl list-units --failed --plain --no-legend --no-pager | sed 's/^/failed /'",
        "systemd-analyze time 2>/dev/null | sed -n '1s/^/startup /p'",
        wait,
        `ip -4 -o addr show dev ${shellJoin([h.nic])} | grep -q ${shellJoin([` ${h.address}/${h.prefixLength} `])} || { echo "${h.nic} has not got ${h.address}/${h.prefixLength} after the boot:" >&2; ip addr >&2; exit 1; }`,
    ].join("\n");
}

/** What a boot ended in: systemd's state and the units that failed, read after the boot finished. */
export interface BootReport {
    /** Seconds from qemu's start (or the reboot command) to the agent's ready line. */
    seconds: number;
    /** Seconds from there until the boot finished and the stack configured the management NIC. */
    settleSeconds: number;
    bootId: string;
    /** `systemctl is-system-running --wait`: `running`, or `degraded` when a unit failed. */
    state: string;
    /** The units that failed (`systemctl list-units --failed`), by name. */
    failed: string[];
    /** systemd's own account of the boot: `Startup finished in 3.4s (kernel) + 22.3s (userspace) = 25.7s`. */
    startup: string;
}

/** Parses settleScript's output. Pure. */
export function parseSettle(stdout: string): { state: string; failed: string[]; startup: string } {
    const lines = stdout.split("\n");
    const state = lines.find((l) => l.startsWith("state "))?.slice("state ".length).trim() ?? "";
    const failed = lines.filter((l) => l.startsWith("failed ")).map((l) => l.slice("failed ".length).trim().split(/\s+/)[0]);
    const startup = lines.find((l) => l.startsWith("startup "))?.slice("startup ".length).trim() ?? "";
    return { state, failed, startup };
}

export interface UserlandOptions {
    /** The network stack of every VM, or of each VM by host name. */
    stack: UserlandStack | Readonly<Record<string, UserlandStack>>;
    log?: (line: string) => void;
    /** Keep the run directory (console logs, overlays, pcap) after stop. Defaults to false. */
    keep?: boolean;
    /** Memory of each VM. Defaults to 384 MB (systemd, udev, D-Bus and NetworkManager fit with room). */
    memoryMb?: number;
    /**
     * TCG's translation cache of each VM (MB; lab/vm/qemu.ts VmOptions.tbSizeMb). Defaults to 256:
     * with qemu's default of 1 GiB a userland VM that runs for half an hour holds about 1.5 GB.
     */
    tbSizeMb?: number;
    /**
     * How long a boot (or a reboot) may take to the agent's ready line, and then to its end (each).
     * Defaults to 600 s: a ceiling for a busy 2-core machine under TCG, not an expectation.
     */
    bootTimeoutMs?: number;
}

/** How long a script may run in a userland VM by default (as lab/vm/harness.ts SCRIPT_TIMEOUT_SECONDS). */
export const USERLAND_SCRIPT_TIMEOUT_SECONDS = 600;

/**
 * Why userland VMs cannot run here (undefined when they can): vmUnavailable's reasons, the build
 * packages missing and not installable, or not root. The only reasons their tests skip.
 */
export async function userlandUnavailable(log: (line: string) => void = () => undefined): Promise<string | undefined> {
    const why = await vmUnavailable(log);
    if (why !== undefined) return why;
    const { problems } = await ensurePackages(log, USERLAND_BUILD_PACKAGES);
    if (problems.length > 0) return problems.join("; ");
    return userlandBuildProblem();
}

/** The hosts of `hosts` (a stack's, or its spec) as UserlandHosts. Throws on what a VM cannot take. */
export function userlandHosts(hosts: readonly HostSpec[], stack: UserlandOptions["stack"]): UserlandHost[] {
    for (const h of hosts) {
        if (!IPV4.test(h.ssh.address)) throw new Error(`host ${h.name}: address ${h.ssh.address} is not an IPv4 address (a VM needs one)`);
    }
    const prefix = managementPrefixLength(hosts.map((h) => h.ssh.address));
    if (prefix === undefined) throw new Error(`the hosts' addresses (${hosts.map((h) => h.ssh.address).join(", ")}) share no subnet`);
    return hosts.map((h, i) => {
        if (!/^[a-z][a-z0-9-]{0,62}$/.test(h.name)) throw new Error(`host ${h.name}: not a host name the VM can take ([a-z][a-z0-9-]*)`);
        if (!/^[a-z][a-z0-9_]{0,14}$/.test(h.nic)) throw new Error(`host ${h.name}: NIC ${h.nic} is not a name the VM can give its NIC ([a-z][a-z0-9_]*, at most 15 characters)`);
        const s = typeof stack === "string" ? stack : stack[h.name];
        if (s === undefined || !USERLAND_STACKS.includes(s)) {
            throw new Error(`host ${h.name}: no network stack chosen (stack must be one of ${USERLAND_STACKS.join(", ")}, or a map with every host)`);
        }
        return { name: h.name, nic: h.nic, address: h.ssh.address, prefixLength: prefix, mac: VmLab.macOf(i), stack: s };
    });
}

export class UserlandLab {
    private constructor(
        public readonly hosts: readonly UserlandHost[],
        public readonly image: UserlandImage,
        public readonly trunk: Trunk,
        public readonly vms: Map<string, Vm>,
        public readonly runDir: string,
        private readonly keep: boolean,
        private readonly bootTimeoutMs: number,
        /** The last boot of each VM. */
        public readonly boots: Map<string, BootReport>,
        private readonly log: (line: string) => void,
    ) {}

    /**
     * Boots one userland VM per host on one trunk: the image from the cache (or built), an overlay
     * per VM, prepared for its stack, then booted, and each boot waited for to its end (see
     * reboot). Stops everything it started when any part fails.
     */
    static async start(hosts: readonly HostSpec[], opts: UserlandOptions): Promise<UserlandLab> {
        const log = opts.log ?? (() => undefined);
        const list = userlandHosts(hosts, opts.stack);
        const image = await ensureUserlandImage(log);
        const { dir: runDir } = makeRunDir("macvlan-lab-userland-", { log });
        const trunk = await Trunk.start(path.join(runDir, "trunk.pcap"));
        const vms = new Map<string, Vm>();
        const bootTimeoutMs = opts.bootTimeoutMs ?? 600_000;
        const lab = new UserlandLab(list, image, trunk, vms, runDir, opts.keep ?? false, bootTimeoutMs, new Map(), log);
        try {
            const started = Date.now();
            const booted = await Promise.allSettled(list.map((h) => lab.bootOne(h, opts.memoryMb ?? 384, opts.tbSizeMb ?? 256)));
            const failed = booted.find((b): b is PromiseRejectedResult => b.status === "rejected");
            if (failed) throw failed.reason;
            // in the hosts' order, whichever booted first
            const inOrder = list.map((h) => [h.name, vms.get(h.name)!] as const);
            vms.clear();
            for (const [name, vm] of inOrder) vms.set(name, vm);
            log(
                `${vms.size} userland VM(s) up in ${((Date.now() - started) / 1000).toFixed(1)} s (${list
                    .map((h) => {
                        const b = lab.boots.get(h.name)!;
                        return `${h.name} ${h.stack}: boot ${b.seconds.toFixed(1)} s + ${b.settleSeconds.toFixed(1)} s, ${b.state}`;
                    })
                    .join("; ")})`,
            );
            return lab;
        } catch (e) {
            await lab.stop(true);
            throw e;
        }
    }

    private async bootOne(h: UserlandHost, memoryMb: number, tbSizeMb: number): Promise<void> {
        const overlay = path.join(this.runDir, `${h.name}.qcow2`);
        await runOk(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", this.image.disk, overlay], { timeoutMs: 60_000 });
        const prepInitrd = path.join(this.runDir, `${h.name}.prepare.cpio`);
        fs.writeFileSync(prepInitrd, Buffer.concat([fs.readFileSync(this.image.initrd), prepareCpio(h)]));
        const t0 = Date.now();
        const said = await runUntilPowerOff({
            name: h.name,
            runDir: this.runDir,
            image: { kernel: this.image.kernel, initrd: prepInitrd },
            disk: overlay,
            commandLine: PREPARE_COMMAND_LINE,
            memoryMb,
            tbSizeMb,
            timeoutMs: this.bootTimeoutMs,
        });
        if (!said.includes("macvlan-lab initramfs: prepare: done")) {
            throw new Error(`VM ${h.name}: the prepare boot powered off without saying it was done:\n    ${said.trim().split("\n").slice(-15).join("\n    ")}`);
        }
        this.log(`${h.name}: overlay prepared for ${h.stack} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        const vm = await Vm.boot({
            name: h.name,
            image: { kernel: this.image.kernel, initrd: this.image.initrd },
            runDir: this.runDir,
            trunkPort: this.trunk.port,
            mac: h.mac,
            memoryMb,
            tbSizeMb,
            disk: overlay,
            commandLine: USERLAND_COMMAND_LINE,
            allowReboot: true,
            bootTimeoutMs: this.bootTimeoutMs,
        });
        this.vms.set(h.name, vm);
        await this.settle(h, vm.bootSeconds);
    }

    /** Waits until the boot is over and the stack has configured the management NIC; records it. */
    private async settle(h: UserlandHost, bootSeconds: number): Promise<BootReport> {
        const vm = this.vm(h.name);
        const waitSeconds = Math.ceil(this.bootTimeoutMs / 1000);
        const r = await vm.run(settleScript(h, waitSeconds), waitSeconds * 2 + 30);
        const { state, failed, startup } = parseSettle(r.stdout);
        if (r.status !== 0) {
            throw new Error(
                `VM ${h.name} (${h.stack}): after its boot (systemd: ${state || "no state"}${failed.length > 0 ? `, failed: ${failed.join(" ")}` : ""}) the host is not as its config says (exit ${r.status}):\n${r.stderr}\n  last console lines (${vm.consoleLog}):\n    ${vm.consoleTail().split("\n").join("\n    ")}`,
            );
        }
        const report: BootReport = { seconds: bootSeconds, settleSeconds: r.seconds, bootId: vm.bootId, state, failed, startup };
        this.boots.set(h.name, report);
        return report;
    }

    host(name: string): UserlandHost {
        const h = this.hosts.find((x) => x.name === name);
        if (!h) throw new Error(`no host ${name} (hosts: ${this.hosts.map((x) => x.name).join(", ")})`);
        return h;
    }

    vm(host: string): Vm {
        const vm = this.vms.get(host);
        if (!vm) throw new Error(`no VM for host ${host} (hosts: ${[...this.vms.keys()].join(", ")})`);
        return vm;
    }

    /** MAC address of `host`'s trunk NIC (the stack's NIC in the VM). */
    vmMac(host: string): string {
        return this.host(host).mac;
    }

    /** Runs `script` with the VM's /bin/sh (dash) as root, as an SSH session would (stdin given); its status and output. */
    exec(host: string, script: string, opts: { stdin?: string; timeoutSeconds?: number } = {}): Promise<GuestResult> {
        return this.vm(host).run(script, opts.timeoutSeconds ?? USERLAND_SCRIPT_TIMEOUT_SECONDS, opts.stdin ?? "");
    }

    /** exec with VmLab's signature (lab/vm/harness.ts), for helpers written for both. */
    runScript(host: string, script: string, stdin = "", timeoutSeconds = USERLAND_SCRIPT_TIMEOUT_SECONDS): Promise<GuestResult> {
        return this.exec(host, script, { stdin, timeoutSeconds });
    }

    /**
     * Reboots `host` as its root would (`systemctl reboot`: systemd stops everything and unmounts,
     * the guest's kernel restarts the machine, qemu boots it again with the same disk), waits until
     * the agent answers from the new boot (a new boot id), then until the boot is over and the
     * host's stack has configured its management NIC from its own config (for `none`, the harness
     * adds the address again). Bounded by the boot timeout; fails with the console's last lines.
     */
    async reboot(host: string): Promise<BootReport> {
        const h = this.host(host);
        const vm = this.vm(host);
        const before = vm.bootId;
        const seconds = await vm.reboot("systemctl reboot", this.bootTimeoutMs);
        if (vm.bootId === before) throw new Error(`VM ${host}: the boot id did not change in the reboot`);
        return this.settle(h, seconds);
    }

    /** What the VM looks like (lab/vm/guest/snapshot.sh): links, addresses, routes, modules, sysctls, iptables, files. */
    async snapshot(host: string): Promise<VmSnapshot> {
        return parseSnapshot(await this.vm(host).ok("exec /usr/lib/macvlan-lab/snapshot.sh"));
    }

    /** Stops every VM and the trunk; removes the run directory unless asked to keep it (or `failed`). */
    async stop(failed = false): Promise<void> {
        await Promise.all([...this.vms.values()].map((v) => v.stop()));
        await this.trunk.close();
        if (!this.keep && !failed) fs.rmSync(this.runDir, { recursive: true, force: true });
    }
}

/**
 * The API the backend tests use: one userland VM per host of `hosts` (a stack's spec, or its
 * hosts), each with the network stack `opts.stack` names (one for all, or one per host name).
 * See UserlandLab (exec, reboot, snapshot, stop) and lab/vm/README.md.
 */
export function startUserlandHosts(hosts: LabSpec | readonly HostSpec[], opts: UserlandOptions): Promise<UserlandLab> {
    return UserlandLab.start("hosts" in hosts ? hosts.hosts : hosts, opts);
}

/** The units of ALL_STACK_UNITS that are enabled and active in the VM (systemctl's words). */
export async function stackUnitStates(lab: UserlandLab, host: string): Promise<Record<string, { enabled: string; active: string }>> {
    const out: Record<string, { enabled: string; active: string }> = {};
    for (const unit of ALL_STACK_UNITS) {
        const r = await lab.exec(host, `systemctl is-enabled ${shellJoin([unit])}; systemctl is-active ${shellJoin([unit])}; true`, { timeoutSeconds: 60 });
        const [enabled, active] = r.stdout.trim().split("\n");
        out[unit] = { enabled: enabled ?? "", active: active ?? "" };
    }
    return out;
}

/**
 * What every boot of a userland VM changes by itself, as snapshot file lines (lab/vm/guest/
 * snapshot.sh) match them: the seed systemd-random-seed saves at shutdown and refreshes at boot, the
 * private /tmp directories of services with PrivateTmp= (systemd-logind), named by the boot, and on
 * a NetworkManager host its state files (the profiles' activation times in `timestamps`, and
 * `NetworkManager.state` and `seen-bssids`, written when it first stops).
 * Observed in the reboot test (test/vm/userland.test.ts), where anything else that moves fails it.
 */
export const REBOOT_CHURN: readonly RegExp[] = [
    /[ ']\/var\/lib\/systemd\/random-seed'?$/,
    /'\/tmp\/systemd-private-[0-9a-f]{32}-/,
    // NetworkManager's own state: when each profile was last activated, and what it saves at its stop
    /[ ']\/var\/lib\/NetworkManager\/(timestamps|NetworkManager\.state|seen-bssids)'?$/,
];

/** `s` without the file lines of REBOOT_CHURN: compare two snapshots across a reboot. Pure. */
export function withoutChurn(s: VmSnapshot): VmSnapshot {
    return { ...s, files: s.files.filter((l) => !REBOOT_CHURN.some((re) => re.test(l))) };
}

/**
 * The qemu lab: one VM per host of a stack (Debian's cloud kernel, lab/vm/image.ts), all on one
 * trunk (lab/vm/trunk.ts, captured to pcap), each prepared like the stack's host (hostname, the
 * stack's NIC name with the host's management address, untagged on the trunk; an ifcfg file for
 * it). The product's own rendered host-networking scripts (components/host/render.ts) run in the
 * VMs as an SSH session would run them: the script text given to the host's /bin/sh, as root.
 */
import * as fs from "fs";
import * as path from "path";
import { IPV4 } from "../../components/contracts";
import { DEFAULT_STATE_DIR, HostScripts, renderKernelModule, renderParentInterface, renderVlanInterface } from "../../components/host/render";
import { renderRouterForwarding, renderRouterLeg } from "../../components/host/routing";
import { renderInstaller, shellLibrary } from "../../components/scripts";
import { shellJoin } from "../../components/shell";
import { HostSpec, LabSpec, NetworkBackend, VlanSpec } from "../../components/model/types";
import { run } from "../hosts/proc";
import { ensurePackages } from "../packages";
import { managementPrefixLength } from "../topology";
import { ensureImage, VM_PACKAGES, VmImage } from "./image";
import { GuestResult, Vm } from "./qemu";
import { Trunk } from "./trunk";
import { makeRunDir } from "./runDirs";

/** One piece of a host's networking, with its three scripts, in the order HostNetworking declares them. */
export interface HostStep {
    /** `shell library`, `parent ens33`, `8021q`, `VLAN ens33.10` */
    what: string;
    /** The library's installer has no check script (its check is empty). */
    scripts: HostScripts;
    /** What the command's stdin carries (the library's bundle for its installer). Defaults to nothing. */
    stdin?: string;
}

/**
 * The steps of `host` in create order, as components/host/hostNetworking.ts declares them: the
 * shell library the host's scripts source (components/scripts, HostLibrary's install command, with
 * the library on stdin), the parent NIC, then 8021q when the host is in a VLAN, then each of its
 * VLAN interfaces. Delete runs them in reverse (as `pulumi destroy` does: the library goes last).
 * Rendered with the default paths of a real host.
 */
export function hostSteps(host: HostSpec, vlans: readonly VlanSpec[]): HostStep[] {
    const mine = vlans.filter((v) => v.members.some((m) => m.host === host.name));
    const steps: HostStep[] = [
        {
            what: "shell library",
            scripts: {
                create: renderInstaller("install", DEFAULT_STATE_DIR),
                delete: renderInstaller("remove", DEFAULT_STATE_DIR),
                check: "",
                identity: `sha256:${shellLibrary().digest}`,
            },
            stdin: shellLibrary().bundle,
        },
        { what: `parent ${host.nic}`, scripts: renderParentInterface(host) },
    ];
    if (mine.length > 0) steps.push({ what: "8021q", scripts: renderKernelModule(host) });
    for (const v of mine) steps.push({ what: `VLAN ${v.interfaceName}`, scripts: renderVlanInterface(host, v) });
    return steps;
}

/**
 * The steps of the stack's inter-VLAN router on its host, as components/host/interVlanRouter.ts
 * declares them: a leg per routed network (in the router's network order, each on the network's
 * parent there, named as the spec names it), then the forwarding (IPv4 forwarding and the policy's
 * iptables chain), which depends on every leg. Delete runs them in reverse. Rendered as
 * InterVlanRouter renders them, with the default paths of a real host (the library of hostSteps).
 * Throws when the stack has no router.
 */
export function routerSteps(spec: LabSpec): HostStep[] {
    const r = spec.router;
    if (!r) throw new Error("the stack has no router");
    const host = spec.hosts.find((h) => h.name === r.host);
    if (!host) throw new Error(`the router's host ${r.host} is not a host of the stack`);
    const networks = r.networks.map((name) => {
        const n = spec.networks.find((x) => x.name === name);
        if (!n) throw new Error(`the router's network ${name} is not a network of the stack`);
        return n;
    });
    return [
        ...networks.map((n) => ({ what: `router leg ${r.legs[n.name]} on ${n.name}`, scripts: renderRouterLeg(host, n, r.legs[n.name]) })),
        { what: "router forwarding", scripts: renderRouterForwarding(host, { networks, allow: r.allow, legs: r.legs }) },
    ];
}

/**
 * Modules that stay loaded after the 8021q delete although its create's `modprobe 8021q` loaded
 * them: kmod's `modprobe -r 8021q` (kmod 30, Debian 12) removes 8021q and its own dependencies
 * (garp, mrp) but not theirs (stp, llc), and the delete script runs exactly that command. Observed
 * in the VMs; every other part of a VM must be as at its start. (A product that unloads them too
 * makes the VM tests fail: then empty this list.)
 */
export const LEFT_LOADED_AFTER_DELETE = ["llc", "stp"];

/** The spec with every host on `backend` (and that backend's default config directory). Pure. */
export function withBackend(spec: LabSpec, backend: NetworkBackend): LabSpec {
    const configDir = backend === "ifcfg" ? "/etc/sysconfig/network-scripts" : backend === "nmcli" ? "/etc/NetworkManager/system-connections" : "/etc/network";
    return { ...spec, hosts: spec.hosts.map((h) => ({ ...h, backend, configDir })) };
}

/**
 * How long one rendered script may run in a VM. Generous: under TCG every process start costs tens
 * of milliseconds, and on a busy 2-core machine a VM gets a fraction of a core (a VLAN create took
 * more than 60 s with the load average at 15; about 3 s on an idle machine).
 */
export const SCRIPT_TIMEOUT_SECONDS = 600;

export interface VmLabOptions {
    log?: (line: string) => void;
    /** Keep the run directory (console logs, pcap) after stop. Defaults to false. */
    keep?: boolean;
}

/** What a VM looks like (lab/vm/guest/snapshot.sh), split in its parts. */
export interface VmSnapshot {
    links: unknown;
    addresses: unknown;
    routes: unknown;
    modules: string[];
    /** `/proc/sys/net/ipv4/ip_forward:0`, `/proc/sys/net/ipv4/conf/<dev>/arp_ignore:<n>` */
    sysctls: string[];
    /** `-t <table>` then `iptables -S` of it, for each table the kernel has (none before ip_tables is loaded). */
    iptables: string[];
    /**
     * Userland VMs only (lab/vm/userland.ts): `iptables-nft-save` of Debian's default iptables backend
     * when nf_tables is loaded (empty when it is not), comments dropped and counters zeroed.
     */
    nft?: string[];
    files: string[];
}

/** Parses snapshot.sh's output. Pure. */
export function parseSnapshot(text: string): VmSnapshot {
    const parts: Record<string, string> = {};
    let current = "";
    for (const line of text.split("\n")) {
        const m = /^== (\w+)$/.exec(line);
        if (m) {
            current = m[1];
            parts[current] = "";
        } else if (current) {
            parts[current] += `${line}\n`;
        }
    }
    const lines = (s = "") => s.split("\n").filter((l) => l !== "");
    return {
        links: JSON.parse(parts.links ?? "null"),
        addresses: JSON.parse(parts.addresses ?? "null"),
        routes: JSON.parse(parts.routes ?? "null"),
        modules: lines(parts.modules),
        sysctls: lines(parts.sysctls),
        iptables: lines(parts.iptables),
        ...(parts.nft !== undefined ? { nft: lines(parts.nft) } : {}),
        files: lines(parts.files),
    };
}

export class VmLab {
    private constructor(
        public readonly spec: LabSpec,
        public readonly image: VmImage,
        public readonly trunk: Trunk,
        public readonly vms: Map<string, Vm>,
        public readonly runDir: string,
        private readonly keep: boolean,
    ) {}

    /** MAC address of the trunk NIC of the i-th host. */
    static macOf(i: number): string {
        return `52:54:00:6d:76:${(i + 1).toString(16).padStart(2, "0")}`;
    }

    /**
     * Boots one VM per host of `spec` on one trunk and prepares each like the stack's host. Stops
     * everything it started when any part fails.
     */
    static async start(spec: LabSpec, opts: VmLabOptions = {}): Promise<VmLab> {
        const log = opts.log ?? (() => undefined);
        const prefix = managementPrefixLength(spec.hosts.map((h) => h.ssh.address));
        if (prefix === undefined) throw new Error(`the hosts' addresses (${spec.hosts.map((h) => h.ssh.address).join(", ")}) share no subnet`);
        for (const h of spec.hosts) {
            if (!IPV4.test(h.ssh.address)) throw new Error(`host ${h.name}: address ${h.ssh.address} is not an IPv4 address (a VM needs one)`);
        }
        const image = await ensureImage(log);
        const { dir: runDir } = makeRunDir("macvlan-lab-vm-", { log });
        const trunk = await Trunk.start(path.join(runDir, "trunk.pcap"));
        const vms = new Map<string, Vm>();
        const lab = new VmLab(spec, image, trunk, vms, runDir, opts.keep ?? false);
        try {
            const started = Date.now();
            const booted = await Promise.allSettled(
                spec.hosts.map((h, i) => Vm.boot({ name: h.name, image, runDir, trunkPort: trunk.port, mac: VmLab.macOf(i) })),
            );
            booted.forEach((b, i) => {
                if (b.status === "fulfilled") vms.set(spec.hosts[i].name, b.value);
            });
            const failed = booted.find((b): b is PromiseRejectedResult => b.status === "rejected");
            if (failed) throw failed.reason;
            log(`${vms.size} VM(s) booted in ${((Date.now() - started) / 1000).toFixed(1)} s (${[...vms.values()].map((v) => `${v.name} ${v.bootSeconds.toFixed(1)} s`).join(", ")})`);
            await Promise.all(
                spec.hosts.map((h) => lab.vm(h.name).ok(shellJoin(["/lib/macvlan-lab/host-start.sh", h.name, h.nic, `${h.ssh.address}/${prefix}`]))),
            );
            return lab;
        } catch (e) {
            await lab.stop(true);
            throw e;
        }
    }

    /** MAC address of `host`'s trunk NIC (the stack's NIC in the VM). */
    vmMac(host: string): string {
        const i = this.spec.hosts.findIndex((h) => h.name === host);
        if (i < 0) throw new Error(`no host ${host}`);
        return VmLab.macOf(i);
    }

    vm(host: string): Vm {
        const vm = this.vms.get(host);
        if (!vm) throw new Error(`no VM for host ${host} (hosts: ${[...this.vms.keys()].join(", ")})`);
        return vm;
    }

    /** Runs a rendered script on a host, as the SSH session of a remote.Command would (its stdin included). */
    runScript(host: string, script: string, stdin = "", timeoutSeconds = SCRIPT_TIMEOUT_SECONDS): Promise<GuestResult> {
        return this.vm(host).run(script, timeoutSeconds, stdin);
    }

    async snapshot(host: string): Promise<VmSnapshot> {
        return parseSnapshot(await this.vm(host).ok("exec /lib/macvlan-lab/snapshot.sh"));
    }

    /** Stops every VM and the trunk; removes the run directory unless asked to keep it (or `failed`). */
    async stop(failed = false): Promise<void> {
        await Promise.all([...this.vms.values()].map((v) => v.stop()));
        await this.trunk.close();
        if (!this.keep && !failed) fs.rmSync(this.runDir, { recursive: true, force: true });
    }
}

/**
 * Why VMs cannot run here (undefined when they can): not Linux on x86-64, or the Debian packages
 * of VM_PACKAGES missing and not installable (installed first when running as root), or qemu not
 * starting. The only reasons the VM tests skip.
 */
export async function vmUnavailable(log: (line: string) => void = () => undefined): Promise<string | undefined> {
    if (process.platform !== "linux" || process.arch !== "x64") {
        return `the VM lab needs Linux on x86-64 (qemu-system-x86_64 from Debian); this is ${process.platform}/${process.arch}`;
    }
    const { problems } = await ensurePackages(log, VM_PACKAGES);
    if (problems.length > 0) return problems.join("; ");
    const v = await run(["qemu-system-x86_64", "--version"], { timeoutMs: 30_000 });
    if (v.code !== 0) return `qemu-system-x86_64 --version exited ${v.code}: ${(v.stderr || v.stdout).trim().split("\n")[0]}`;
    return undefined;
}

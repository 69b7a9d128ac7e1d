/**
 * Host networking: pure renderers of the thin scripts that `remote.Command` runs on a host to make
 * the parent NIC promiscuous, load 802.1Q support (8021q) and bring up VLAN interfaces
 * (`<parent>.<id>`) with their addresses, through the host's backend (./backends: ifcfg, nmcli,
 * networkd, netplan, ifupdown, iproute2, or auto: the one the host runs). The steps are shell files of the library (components/scripts/host/*.sh and the
 * backend's module), installed once per host; a rendered script names its inputs as single-quoted
 * variables, sources the modules it uses and calls one function.
 *
 * What the scripts do (create, delete, check):
 * - create is idempotent: a second run changes nothing and ends with `nothing changed: ...`;
 * - files are written atomically (a hidden temporary file in the same directory, then `mv`),
 *   keeping an existing file's mode and owner;
 * - on any failure an EXIT trap undoes, newest first, what that run changed (files put back byte
 *   for byte, links it created deleted, addresses and flags it set removed), then fails;
 * - create records in the state directory (`<stateDir>/host/`) what it found before changing it,
 *   so delete takes the interface down, removes what create added and leaves the host as before;
 * - check changes nothing, prints one `DRIFT: ...` line per difference and exits 1 when any.
 *
 * Kernels without 802.1Q (no `/proc/net/vlan/config`, no loadable 8021q): create fails with
 * `802.1Q VLAN devices are not supported by this kernel: <why>` before changing anything, unless the
 * lab's marker file exists (see {@link RenderOptions.emulationMarker}); then the lab has pre-created
 * a link `<parent>.<id>` (alias {@link emulatedVlanLinkAlias}), the scripts print `EMULATED: ...`,
 * write the backend's persistent config as on a real host, and put the address on that link instead
 * of creating a VLAN device. They never pretend a VLAN was created.
 */
import {
    DEFAULT_EMULATION_MARKER,
    DEFAULT_IFUP_LOCAL,
    DEFAULT_MODULES_LOAD_DIR,
    DEFAULT_NETWORKD_DIR,
    DEFAULT_NM_DISPATCHER_DIR,
    DEFAULT_STATE_DIR,
    DEFAULT_SYSCTL_DIR,
    DEFAULT_SYSTEMD_DIR,
    IPV4,
    checkStatePath,
    emulatedVlanLinkAlias,
} from "../contracts";
import { installedLibraryDir } from "../scripts";
import { HostScripts, renderScriptSet } from "../scripts/command";
import { HOST_NAME, INTERFACE_NAME } from "../model/names";
import { HostSpec, VlanSpec } from "../model/types";
import { defaultRouteOf, isVlanId } from "../model/validate/vlans";
import { HostBackend, ScriptAction, ScriptVar, VlanFacts, hostBackend } from "./backends";
import { union } from "./backends/auto";

export { DEFAULT_EMULATION_MARKER, DEFAULT_IFUP_LOCAL, DEFAULT_MODULES_LOAD_DIR, DEFAULT_STATE_DIR, emulatedVlanLinkAlias };

/** Where the scripts keep state and look for files. Every field has a default for real hosts. */
export interface RenderOptions {
    /**
     * Directory on the host where create records what it found (previous promiscuous flag, original
     * file bytes, whether it made a link), for delete. The scripts use its `host/` subdirectory; the
     * shell library is installed in its `lib/`. Defaults to `/var/lib/macvlan-lab` (shared with the
     * Docker components, which use their own subdirectories).
     */
    stateDir?: string;
    /** The `modules-load.d` directory the 8021q script writes `8021q.conf` into. Defaults to `/etc/modules-load.d`. */
    modulesLoadDir?: string;
    /**
     * File whose existence says "this is a lab host whose kernel has no 802.1Q, and the lab has
     * pre-created one link per VLAN interface". Only consulted when the kernel lacks 802.1Q.
     * Defaults to `/run/macvlan-lab/vlan-emulation`.
     */
    emulationMarker?: string;
    /**
     * The hook initscripts run after every `ifup` (at boot too), where the ifcfg backend keeps the
     * parent NIC promiscuous. Defaults to `/sbin/ifup-local`.
     */
    ifupLocal?: string;
    /**
     * Where systemd units of ours go: the ifcfg backend's unit that brings a host shim or router
     * leg back at boot (network-scripts have no macvlan type), the router's unit that restores its
     * forwarding policy at boot. Defaults to `/etc/systemd/system`.
     */
    systemdDir?: string;
    /**
     * The sysctl.d directory: the router's IPv4 forwarding at boot, a host link's ARP settings
     * (every persistent backend but ifcfg, whose unit sets them). Defaults to `/etc/sysctl.d`.
     */
    sysctlDir?: string;
    /**
     * NetworkManager's dispatcher.d, where the ifcfg and nmcli backends keep the NIC promiscuous
     * when its connection cannot. Defaults to `/etc/NetworkManager/dispatcher.d`.
     */
    nmDispatcherDir?: string;
    /**
     * systemd-networkd's directory, where the netplan backend writes what netplan cannot say (the
     * networkd backend uses the host's `configDir`). Defaults to `/etc/systemd/network`.
     */
    networkdDir?: string;
    /**
     * Where the scripts find the shell library. Defaults to where `HostLibrary` installs it for
     * `stateDir`: `<stateDir>/lib/<id>`. Tests point it at components/scripts.
     */
    libraryDir?: string;
}

/** The scripts of one piece of host networking: create, delete, check (components/scripts/command.ts). */
export type { HostScripts };

/** Options with every default filled in. */
export interface ResolvedRenderOptions {
    stateDir: string;
    modulesLoadDir: string;
    emulationMarker: string;
    ifupLocal: string;
    systemdDir: string;
    sysctlDir: string;
    nmDispatcherDir: string;
    networkdDir: string;
    libraryDir: string;
}

/** Fills in defaults and validates the paths (absolute, safe characters, no `..`). */
export function resolveRenderOptions(opts: RenderOptions = {}): ResolvedRenderOptions {
    const stateDir = opts.stateDir ?? DEFAULT_STATE_DIR;
    checkStatePath("stateDir", stateDir);
    const resolved = {
        stateDir,
        modulesLoadDir: opts.modulesLoadDir ?? DEFAULT_MODULES_LOAD_DIR,
        emulationMarker: opts.emulationMarker ?? DEFAULT_EMULATION_MARKER,
        ifupLocal: opts.ifupLocal ?? DEFAULT_IFUP_LOCAL,
        systemdDir: opts.systemdDir ?? DEFAULT_SYSTEMD_DIR,
        sysctlDir: opts.sysctlDir ?? DEFAULT_SYSCTL_DIR,
        nmDispatcherDir: opts.nmDispatcherDir ?? DEFAULT_NM_DISPATCHER_DIR,
        networkdDir: opts.networkdDir ?? DEFAULT_NETWORKD_DIR,
        libraryDir: opts.libraryDir ?? installedLibraryDir(stateDir),
    };
    for (const [key, value] of Object.entries(resolved)) {
        checkStatePath(key, value);
    }
    return resolved;
}

// ---------------------------------------------------------------------------------------------
// validation of what goes into a script (the spec validator checks it too; this is the last line)

export function checkInterface(what: string, value: string): void {
    if (!INTERFACE_NAME.test(value)) {
        throw new Error(`${what} ${JSON.stringify(value)} is not an interface name (at most 15 of [a-zA-Z0-9_.-])`);
    }
}

export function checkHost(host: HostSpec): HostBackend {
    if (!HOST_NAME.test(host.name)) {
        throw new Error(`host name ${JSON.stringify(host.name)} is not a valid host name`);
    }
    checkInterface(`host ${host.name}: nic`, host.nic);
    let backend: HostBackend;
    try {
        backend = hostBackend(host.backend);
    } catch (e) {
        throw new Error(`host ${host.name}: ${(e as Error).message}`);
    }
    // auto has no directory of its own (each backend it may pick uses its default)
    if (backend.name !== "auto" || host.configDir !== "") checkStatePath(`host ${host.name}: configDir`, host.configDir);
    return backend;
}

function vlanFacts(host: HostSpec, backend: HostBackend, vlan: VlanSpec): VlanFacts {
    const where = `host ${host.name}, VLAN ${vlan.id}`;
    if (!isVlanId(vlan.id)) {
        throw new Error(`${where}: VLAN id ${vlan.id} is not an integer from 1 to 4094`);
    }
    checkInterface(`${where}: parent`, vlan.parent);
    checkInterface(`${where}: interfaceName`, vlan.interfaceName);
    if (vlan.interfaceName !== `${vlan.parent}.${vlan.id}`) {
        throw new Error(`${where}: interfaceName ${vlan.interfaceName} is not ${vlan.parent}.${vlan.id}`);
    }
    const member = vlan.members.find((m) => m.host === host.name);
    if (!member) {
        throw new Error(`${where}: ${host.name} is not a member of VLAN ${vlan.id} (members: ${vlan.members.map((m) => m.host).join(", ") || "none"})`);
    }
    const [ip, prefixText, ...rest] = member.address.split("/");
    const prefix = Number(prefixText);
    if (rest.length > 0 || !IPV4.test(ip) || !/^[0-9]{1,2}$/.test(prefixText ?? "") || prefix < 1 || prefix > 32) {
        throw new Error(`${where}: address ${JSON.stringify(member.address)} is not an IPv4 address with a prefix length (192.168.10.10/24)`);
    }
    if (vlan.gateway !== undefined && !IPV4.test(vlan.gateway)) {
        throw new Error(`${where}: gateway ${JSON.stringify(vlan.gateway)} is not an IPv4 address`);
    }
    if (defaultRouteOf(vlan) === "no-gateway") {
        throw new Error(`${where}: defaultRoute is set but there is no gateway; set the gateway or drop defaultRoute`);
    }
    if (vlan.defaultRoute && !backend.routes) {
        throw new Error(
            `${where}: defaultRoute needs a backend that manages routes; ${backend.name} only sets addresses: use ifcfg or nmcli, or drop defaultRoute`,
        );
    }
    return {
        dev: vlan.interfaceName,
        parent: vlan.parent,
        id: vlan.id,
        address: member.address,
        ip,
        prefix,
        ...(vlan.gateway !== undefined ? { gateway: vlan.gateway } : {}),
        defaultRoute: vlan.defaultRoute,
    };
}

// ---------------------------------------------------------------------------------------------
// assembly

/**
 * create, delete and check of one piece: the same inputs and modules, one call each (with the
 * calls `backend` makes around it: backend auto picks the host's backend first).
 */
export function scripts(
    title: string,
    o: ResolvedRenderOptions,
    vars: readonly ScriptVar[],
    modules: readonly string[],
    fn: string,
    backend?: HostBackend,
): HostScripts {
    const calls = (action: ScriptAction) => {
        const around = backend?.around?.(action) ?? { before: [], after: [] };
        return [...around.before, `${fn}_${action}`, ...around.after];
    };
    return renderScriptSet({ title, libraryDir: o.libraryDir, vars, modules, calls: { create: calls("create"), delete: calls("delete"), check: calls("check") } });
}

export const stateVars = (o: ResolvedRenderOptions): ScriptVar[] => [
    ["state_dir", o.stateDir],
    ["state", `${o.stateDir}/host`],
];

/**
 * Scripts that make `host.nic` promiscuous now (`ip link set <nic> promisc on`) and after a reboot
 * through the backend (ifcfg: `PROMISC=yes` in an existing `<configDir>/ifcfg-<nic>` and a block in
 * the ifup-local hook, which initscripts run at boot; nmcli: `802-3-ethernet.accept-all-mac-addresses`
 * on the NIC's active connection, or a dispatcher script where it cannot keep it; networkd and
 * netplan: a drop-in with `Promiscuous=yes` for the NIC's .network file; ifupdown: an if-up.d
 * hook; iproute2: runtime only, and says so). They never touch the NIC's
 * addresses or routes. Delete puts back the previous flag, the file's bytes and the hook.
 */
export function renderParentInterface(host: HostSpec, options: RenderOptions = {}): HostScripts {
    const backend = checkHost(host);
    const o = resolveRenderOptions(options);
    const vars = union([["host", host.name], ["nic", host.nic], ...stateVars(o), ...backend.parentVars(host, o)]);
    return scripts(`parent interface ${host.nic} of ${host.name}, promiscuous (${backend.name})`, o, vars, ["net.sh", ...backend.modules, "host/parent.sh"], "parent", backend);
}

/**
 * Scripts that load 8021q now (`modprobe 8021q`, unless loaded or built in) and at boot
 * (`<modulesLoadDir>/8021q.conf`, created, or the line appended to an existing file); the same for
 * every backend. Delete removes only what create added: the module is unloaded only if create
 * loaded it (and nothing uses it), the file put back as it was. On a kernel without 802.1Q the create
 * fails with `802.1Q VLAN devices are not supported by this kernel: ...` and changes nothing, unless
 * the lab's emulation marker exists: then it prints `EMULATED: ...`, still writes the file, and succeeds.
 */
export function renderKernelModule(host: HostSpec, options: RenderOptions = {}): HostScripts {
    checkHost(host);
    const o = resolveRenderOptions(options);
    const vars: ScriptVar[] = [
        ["host", host.name],
        ["conf_dir", o.modulesLoadDir],
        ["conf", `${o.modulesLoadDir}/8021q.conf`],
        ...stateVars(o),
        ["marker", o.emulationMarker],
    ];
    return scripts(`8021q (802.1Q VLAN support) on ${host.name}, now and at boot`, o, vars, ["net.sh", "host/kernel-module.sh"], "module");
}

/**
 * Scripts for the VLAN interface of `vlan` on `host` (`<parent>.<id>` with the host's address):
 * - ifcfg: writes `<configDir>/ifcfg-<parent>.<id>` (DEVICE, NAME, BOOTPROTO=none, ONBOOT=yes,
 *   VLAN=yes, PHYSDEV, IPADDR, PREFIX; GATEWAY only when the VLAN has one, then DEFROUTE=no unless
 *   defaultRoute), reloads NetworkManager's connections when it runs and reads ifcfg files, `ifup`;
 * - nmcli: a VLAN connection profile named `<parent>.<id>` (`nmcli connection add type vlan`),
 *   brought up with `nmcli connection up`;
 * - networkd: `.netdev` and `.network` files and `VLAN=` in a drop-in of the parent's .network,
 *   `networkctl reload`;
 * - netplan: a YAML file of our own in /etc/netplan, `netplan generate`, `networkctl reload`;
 * - ifupdown: a stanza in /etc/network/interfaces.d, `ifup`;
 * - iproute2: `ip link add link <parent> name <parent>.<id> type vlan id <id>`, runtime only;
 * - auto: the backend the host runs, picked on the host (host/backends/detect.sh) and recorded.
 * Then the address (`ip addr replace`) and the link up, whatever the backend left undone.
 */
export function renderVlanInterface(host: HostSpec, vlan: VlanSpec, options: RenderOptions = {}): HostScripts {
    const backend = checkHost(host);
    const o = resolveRenderOptions(options);
    const v = vlanFacts(host, backend, vlan);
    const vars: ScriptVar[] = [
        ["host", host.name],
        ["dev", v.dev],
        ["parent", v.parent],
        ["vlan_id", v.id],
        ["address", v.address],
        ...backend.vlanVars(host, v, o),
        ...stateVars(o),
        ["marker", o.emulationMarker],
        ["lab_alias", emulatedVlanLinkAlias(v.id, v.parent)],
    ];
    return scripts(
        `VLAN interface ${v.dev} (VLAN ${v.id} on ${v.parent}) of ${host.name} with ${v.address} (${backend.name})`,
        o,
        union(vars),
        ["net.sh", ...backend.modules, "host/vlan.sh"],
        "vlan",
        backend,
    );
}

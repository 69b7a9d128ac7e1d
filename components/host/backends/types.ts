import { HostSpec } from "../../model/types";
import type { ScriptAction, ScriptVar } from "../../scripts/command";

/** A value a script gets as a shell variable, and the actions of a host script: components/scripts/command.ts. */
export type { ScriptAction, ScriptVar };

/** What a backend's VLAN script needs to know of the VLAN, validated. */
export interface VlanFacts {
    /** `<parent>.<id>`. */
    dev: string;
    parent: string;
    id: number;
    /** The host's address on the VLAN, CIDR form. */
    address: string;
    ip: string;
    prefix: number;
    /** undefined: no gateway is written. */
    gateway?: string;
    defaultRoute: boolean;
}

/** What a backend's host/link.sh functions need to know of a shim or router leg, validated. */
export interface LinkFacts {
    dev: string;
    parent: string;
    kind: "macvlan" | "ipvlan";
    mode: string;
    /** CIDR form: `172.16.10.2/32` (a shim), `172.16.10.1/24` (a router leg). */
    address: string;
    ip: string;
    /** CIDRs routed through the link (a shim's containers); empty for a router leg. */
    routes: string[];
    /** For people: `shim of docker01 on mac_net10`. */
    role: string;
}

/** The paths a backend's inputs are made from (render options, resolved). */
export interface BackendPaths {
    stateDir: string;
    ifupLocal: string;
    systemdDir: string;
    sysctlDir: string;
    nmDispatcherDir: string;
    networkdDir: string;
    emulationMarker: string;
}

/**
 * How a backend keeps a host shim or router leg after a reboot. `runtime only`: it does not;
 * `chosen on the host`: backend auto, which keeps it the way of the backend it finds.
 */
export type LinkPersistence =
    | "NetworkManager profile"
    | "systemd unit"
    | "systemd-networkd files"
    | "ifupdown stanza"
    | "runtime only"
    | "chosen on the host";

/**
 * One way a host keeps its network configuration (ifcfg, nmcli, networkd, netplan, ifupdown,
 * iproute2, auto): modules of the shell library defining the `backend_parent_*`, `backend_vlan_*`
 * and `backend_link_*` functions that host/parent.sh, host/vlan.sh and host/link.sh call, and the
 * inputs they read. A new backend is a new shell module and a new `HostBackend` registered in
 * ./index.ts.
 */
export interface HostBackend {
    /** The name in the stack (`backend:`). */
    name: string;
    /**
     * Its shell modules under components/scripts, in the order the thin scripts source them; the
     * last is its own (`host/backends/ifcfg.sh`), the others helpers it uses.
     */
    modules: readonly string[];
    /** Whether it can write a VLAN's gateway and default route (iproute2 sets addresses only). */
    routes: boolean;
    /** Whether it reads `configDir` (then the path is validated). */
    usesConfigDir: boolean;
    /** The inputs of its parent NIC functions. */
    parentVars(host: HostSpec, paths: BackendPaths): ScriptVar[];
    /** The inputs of its VLAN functions. */
    vlanVars(host: HostSpec, vlan: VlanFacts, paths: BackendPaths): ScriptVar[];
    /** The inputs of its `backend_link_*` functions (a host shim or router leg, host/link.sh). */
    linkVars(host: HostSpec, link: LinkFacts, paths: BackendPaths): ScriptVar[];
    /** Whether a shim or router leg made through this backend comes back after a reboot, and how. */
    linkPersistence: LinkPersistence;
    /**
     * Whether what the host keeps comes back after a reboot at all: false for iproute2 (then the
     * router's forwarding and a link's ARP settings are runtime only too).
     */
    persistent: boolean;
    /**
     * Calls a thin script makes around its component's function (`vlan_create`): backend auto
     * picks the host's backend first. Defaults to none.
     */
    around?(action: ScriptAction): { before: string[]; after: string[] };
}

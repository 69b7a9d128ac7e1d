import { HostSpec } from "../../spec/types";

/** A value a script gets as a shell variable: name and value (quoted by the renderer). */
export type ScriptVar = readonly [string, string | number];

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

/**
 * One way a host keeps its network configuration (ifcfg, nmcli, iproute2): a module of the shell
 * library defining the `backend_parent_*` and `backend_vlan_*` functions that host/parent.sh and
 * host/vlan.sh call, and the inputs it reads. A new backend is a new shell module and a new
 * `HostBackend` registered in ./index.ts.
 */
export interface HostBackend {
    /** The name in the stack (`backend:`). */
    name: string;
    /** Its shell module, under components/scripts: `host/backends/ifcfg.sh`. */
    module: string;
    /** Whether it can write a VLAN's gateway and default route (iproute2 sets addresses only). */
    routes: boolean;
    /** Whether it reads `configDir` (then the path is validated). */
    usesConfigDir: boolean;
    /** The inputs of its parent NIC functions. */
    parentVars(host: HostSpec, options: { ifupLocal: string }): ScriptVar[];
    /** The inputs of its VLAN functions. */
    vlanVars(host: HostSpec, vlan: VlanFacts): ScriptVar[];
    /**
     * The inputs of its `backend_link_*` functions (a host shim or router leg, host/link.sh), and
     * how it keeps the link: `persistent` (a NetworkManager profile, a systemd unit) or runtime only.
     */
    linkVars(host: HostSpec, link: LinkFacts, options: { systemdDir: string }): ScriptVar[];
    /** Whether a shim or router leg made through this backend comes back after a reboot. */
    linkPersistence: "NetworkManager profile" | "systemd unit" | "runtime only";
}

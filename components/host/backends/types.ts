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
}

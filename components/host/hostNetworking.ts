import * as pulumi from "@pulumi/pulumi";
import { libraryFor } from "./hostCommand";
import { HostSpec, NetworkBackend, VlanSpec } from "../model/types";
import { KernelModule } from "./kernelModule";
import { ParentInterface } from "./parentInterface";
import { RenderOptions } from "./render";
import { VlanInterface } from "./vlanInterface";
import { HostLibrary } from "../scripts/hostLibrary";

export interface HostNetworkingArgs extends RenderOptions {
    /**
     * The host, from the validated spec: SSH settings, parent NIC, backend and config directory.
     * Required. Plain data: it decides which resources exist and how they are named.
     */
    host: HostSpec;
    /**
     * The VLANs this host is a member of (each must list the host in `members`; a VLAN without it
     * is an error, as is the same interface twice). Defaults to none: then no 8021q and no VLAN
     * interface are declared, only the promiscuous parent NIC.
     */
    vlans?: VlanSpec[];
    /**
     * The private key the controller logs in with. Required. Wrapped in `pulumi.secret` by every
     * connection: never part of a script, a log line or plain state.
     */
    privateKey: pulumi.Input<string>;
    /**
     * The shell library installed on the host, which every host script sources. Defaults to one
     * declared here (`${name}-lib`); pass the host's own when other components (registry trust,
     * checks) use it too: one library per host and state directory.
     */
    library?: HostLibrary;
}

/**
 * The host side of macvlan networking for one host: the parent NIC promiscuous (`${name}-parent`),
 * then, when the host has VLANs, 8021q (`${name}-8021q`), then each VLAN interface
 * (`${name}-<parent>.<id>`, e.g. `lab-docker01-ens33.10`). Order: the host's shell library first
 * (`library`, or `${name}-lib`), the parent NIC before 8021q, both before every VLAN interface.
 * Docker networks depend on `ready` (or on the one VLAN interface's `ready` that is their parent)
 * and carry that interface's `revision` (`MacvlanNetwork`'s `parentRevision`), so a replaced VLAN
 * interface replaces them.
 */
export class HostNetworking extends pulumi.ComponentResource {
    public readonly host: string;
    public readonly backend: NetworkBackend;
    /** The shell library on the host (the one given, or `${name}-lib`). */
    public readonly library: HostLibrary;
    public readonly parentInterface: ParentInterface;
    /** Declared only when the host has VLANs. */
    public readonly kernelModule?: KernelModule;
    /** The VLAN interfaces by interface name (`ens33.10`). */
    public readonly vlanInterfaces: Record<string, VlanInterface> = {};
    /** Every remote command of this host, for resources that need the host's networking done. */
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: HostNetworkingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("macvlan-lab:host:HostNetworking", name, {}, opts);
        const { host, vlans: vlanList, privateKey, library, ...renderOptions } = args;
        const vlans = vlanList ?? [];
        const errors = validateHostVlans(host, vlans);
        if (errors.length > 0) {
            throw new pulumi.ResourceError(`HostNetworking ${name}: ${errors.join("; ")}`, this);
        }
        this.host = host.name;
        this.backend = host.backend;
        this.library = libraryFor(name, host, privateKey, library, renderOptions.stateDir, this);

        // the component's dependsOn (a preflight, say) holds its first command, and so all of them
        this.parentInterface = new ParentInterface(
            `${name}-parent`,
            { host, privateKey, library: this.library, ...renderOptions },
            { parent: this, dependsOn: opts?.dependsOn },
        );
        const before: pulumi.Resource[] = [...this.parentInterface.ready];
        if (vlans.length > 0) {
            this.kernelModule = new KernelModule(
                `${name}-8021q`,
                { host, privateKey, library: this.library, ...renderOptions },
                { parent: this, dependsOn: [...this.parentInterface.ready] },
            );
            before.push(...this.kernelModule.ready);
        }
        for (const vlan of vlans) {
            this.vlanInterfaces[vlan.interfaceName] = new VlanInterface(
                `${name}-${vlan.interfaceName}`,
                { host, vlan, privateKey, library: this.library, ...renderOptions },
                { parent: this, dependsOn: [...before] },
            );
        }
        this.ready = [...before, ...Object.values(this.vlanInterfaces).flatMap((v) => v.ready)];
        this.registerOutputs({
            host: this.host,
            backend: this.backend,
            parentInterface: this.parentInterface.interfaceName,
            vlanInterfaces: Object.fromEntries(Object.values(this.vlanInterfaces).map((v) => [v.interfaceName, v.address])),
        });
    }
}

/** Problems with the VLAN list of a host, one sentence each (empty when it is fine). */
export function validateHostVlans(host: HostSpec, vlans: VlanSpec[]): string[] {
    const errors: string[] = [];
    const seen = new Set<string>();
    for (const vlan of vlans) {
        if (!vlan.members.some((m) => m.host === host.name)) {
            errors.push(
                `VLAN ${vlan.id} (${vlan.interfaceName}) does not list ${host.name} among its members (${vlan.members.map((m) => m.host).join(", ") || "none"}); pass only the VLANs the host is a member of`,
            );
        }
        if (seen.has(vlan.interfaceName)) {
            errors.push(`${vlan.interfaceName} is given twice for ${host.name}; pass each VLAN once`);
        }
        seen.add(vlan.interfaceName);
    }
    return errors;
}

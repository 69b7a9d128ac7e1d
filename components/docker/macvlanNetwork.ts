import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { NetworkSpec } from "../model/types";
import { auxAddresses, LabPlan } from "../model/plan";

/** Where the network is declared on one host. */
export interface NetworkHostTarget {
    /** The host's Docker provider (ssh://). */
    provider: docker.Provider;
    /**
     * Resources that must exist first on that host: the parent NIC's promiscuous mode or the VLAN
     * interface the network sits on. Defaults to none.
     */
    dependsOn?: pulumi.Resource[];
    /**
     * A value that changes whenever the network's parent link is made anew on that host: for a VLAN
     * interface, `VlanInterface.revision` (a replaced VLAN interface is deleted with `ip link delete`,
     * which takes every macvlan interface on it away). It becomes the network's label
     * {@link PARENT_REVISION_LABEL}, and a changed label replaces the network (every Docker network
     * argument does), and with it the containers on it. Give an output of the parent's resource: then
     * a parent replaced delete-before-replace makes the engine delete the network and its containers
     * first (their label is unknown until the parent is made again). Defaults to none: a parent NIC is
     * never deleted (its command only sets promiscuous mode).
     */
    parentRevision?: pulumi.Input<string>;
}

/** The label of a network whose parent link can be replaced: the revision of that link (see {@link NetworkHostTarget.parentRevision}). */
export const PARENT_REVISION_LABEL = "dev.macvlan-lab.parent-revision";

export interface MacvlanNetworkArgs {
    /**
     * Labels on the Docker object(s), e.g. `MacvlanLab`'s `dev.macvlan-lab.stack` that the preflight
     * tells the stack's own objects by. Defaults to none. A change replaces the object (Docker
     * cannot relabel it).
     */
    labels?: docker.types.input.NetworkLabel[];
    /** The network as the spec defines it: name, driver, mode, subnet, gateway, parent per host. */
    network: NetworkSpec;
    /** The address plan: each host's `ip-range` and aux addresses come from it. */
    plan: LabPlan;
    /** Host name -> provider and dependencies, for every host in `network.hosts`. */
    hosts: Record<string, NetworkHostTarget>;
}

/** The network's labels on one host: the given ones and the parent's revision; none when empty. */
function labelsOf(
    labels: docker.types.input.NetworkLabel[] | undefined,
    parentRevision: pulumi.Input<string> | undefined,
): { labels?: docker.types.input.NetworkLabel[] } {
    const all = [...(labels ?? []), ...(parentRevision !== undefined ? [{ label: PARENT_REVISION_LABEL, value: parentRevision }] : [])];
    return all.length > 0 ? { labels: all } : {};
}

/**
 * The Docker options of a network on one host (`parent`, and `macvlan_mode` or `ipvlan_mode`).
 * Pure.
 */
export function networkOptions(network: NetworkSpec, host: string): Record<string, string> {
    const parent = network.parents[host];
    if (parent === undefined) {
        throw new Error(`network ${network.name} has no parent on ${host}`);
    }
    switch (network.driver) {
        case "macvlan":
            return { parent, macvlan_mode: network.mode };
        case "ipvlan":
            return { parent, ipvlan_mode: network.mode };
        default: {
            const never_: never = network.driver;
            throw new Error(`unknown driver ${String(never_)}`);
        }
    }
}

/** The IPAM config of a network on one host: subnet, gateway, the host's range and aux addresses. Pure. */
export function networkIpam(network: NetworkSpec, plan: LabPlan, host: string): docker.types.input.NetworkIpamConfig {
    const p = plan.networks[network.name];
    const range = p?.ranges[host];
    if (range === undefined) {
        throw new Error(`the plan has no range for ${network.name} on ${host}`);
    }
    const aux = auxAddresses(plan, network.name, host);
    return {
        subnet: network.subnet,
        gateway: network.gateway,
        ipRange: range,
        ...(Object.keys(aux).length > 0 ? { auxAddress: aux } : {}),
    };
}

/**
 * One Docker network, identical (name, driver, subnet, gateway) on every host it spans, each host
 * with its own dynamic range from the plan. Docker network arguments force replacement and the name
 * is fixed, so each is deleted before it is replaced; containers attach by network id, so they are
 * replaced with it. A network on a VLAN interface carries the interface's revision as a label, so a
 * replaced VLAN interface replaces the network and its containers too.
 */
export class MacvlanNetwork extends pulumi.ComponentResource {
    /** Host name -> the Docker network on that host. */
    public readonly networks: Record<string, docker.Network> = {};
    /** The network's name (the same on every host). */
    public readonly networkName: string;
    /** Host name -> that host's dynamic range. */
    public readonly ranges: Record<string, string>;

    constructor(name: string, args: MacvlanNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("macvlan-lab:docker:MacvlanNetwork", name, {}, opts);
        const n = args.network;
        this.networkName = n.name;
        this.ranges = {};
        for (const host of n.hosts) {
            const target = args.hosts[host];
            if (!target) {
                throw new pulumi.ResourceError(`network ${n.name} spans ${host}, but no provider was given for it`, this);
            }
            this.ranges[host] = args.plan.networks[n.name].ranges[host];
            this.networks[host] = new docker.Network(
                `${name}-${host}`,
                {
                    name: n.name,
                    driver: n.driver,
                    options: networkOptions(n, host),
                    ipamConfigs: [networkIpam(n, args.plan, host)],
                    ...labelsOf(args.labels, target.parentRevision),
                },
                {
                    parent: this,
                    provider: target.provider,
                    dependsOn: target.dependsOn ?? [],
                    deleteBeforeReplace: true,
                },
            );
        }
        this.registerOutputs({
            networkName: this.networkName,
            ranges: this.ranges,
            ids: Object.fromEntries(Object.entries(this.networks).map(([h, net]) => [h, net.id])),
        });
    }
}

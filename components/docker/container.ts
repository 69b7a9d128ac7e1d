import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { ContainerSpec } from "../model/types";

export interface LabContainerArgs {
    /**
     * Labels on the Docker object(s), e.g. `MacvlanLab`'s `dev.macvlan-lab.stack` that the preflight
     * tells the stack's own objects by. Defaults to none. A change replaces the object (Docker
     * cannot relabel it).
     */
    labels?: docker.types.input.ContainerLabel[];
    /** The container as the spec defines it: name, host, network, static address, command, restart. */
    container: ContainerSpec;
    /** The Docker provider of the container's host. */
    provider: docker.Provider;
    /** Image to run: an image id or reference, usually the id of a pull on that host. */
    image: pulumi.Input<string>;
    /**
     * The Docker network on that host to attach to (its id): when the network is replaced the
     * container is replaced with it.
     */
    networkId: pulumi.Input<string>;
    /** Extra resources to create first. Defaults to none. */
    dependsOn?: pulumi.Resource[];
}

/**
 * A container on one host, attached to a macvlan network with its static address (or one from the
 * host's range), running a long-lived command with a restart policy. Its name is fixed, so it is
 * deleted before it is replaced.
 */
export class LabContainer extends pulumi.ComponentResource {
    public readonly container: docker.Container;
    /** Container name. */
    public readonly containerName: string;
    /** Host the container runs on. */
    public readonly host: string;
    /** Its address on the network: the static one, or the one Docker gave it. */
    public readonly address: pulumi.Output<string>;

    constructor(name: string, args: LabContainerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("macvlan-lab:docker:Container", name, {}, opts);
        const c = args.container;
        this.containerName = c.name;
        this.host = c.host;
        this.container = new docker.Container(
            `${name}-container`,
            {
                name: c.name,
                hostname: c.name,
                image: args.image,
                command: c.command,
                restart: c.restart,
                mustRun: true,
                ...(args.labels !== undefined && args.labels.length > 0 ? { labels: args.labels } : {}),
                networksAdvanced: [{ name: args.networkId, ...(c.ip !== undefined ? { ipv4Address: c.ip } : {}) }],
            },
            { parent: this, provider: args.provider, dependsOn: args.dependsOn ?? [], deleteBeforeReplace: true },
        );
        this.address =
            c.ip !== undefined
                ? pulumi.output(c.ip)
                : this.container.networkDatas.apply((d) => d?.[0]?.ipAddress ?? "");
        this.registerOutputs({ name: c.name, host: c.host, address: this.address });
    }
}

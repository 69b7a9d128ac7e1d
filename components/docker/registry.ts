import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { RegistrySpec } from "../spec/types";

export interface PrivateRegistryArgs {
    /**
     * Labels on the Docker object(s), e.g. `MacvlanLab`'s `dev.macvlan-lab.stack` that the preflight
     * tells the stack's own objects by. Defaults to none. A change replaces the object (Docker
     * cannot relabel it).
     */
    labels?: docker.types.input.ContainerLabel[];
    /** The registry as the spec defines it: host, address, port, image, volume, mirrors. */
    registry: RegistrySpec;
    /** The Docker provider of the registry's host. */
    provider: docker.Provider;
    /**
     * Resources the pushes wait for: the registry host's daemon must trust the registry (it is
     * plain HTTP) before it can push. Defaults to none.
     */
    pushDependsOn?: pulumi.Resource[];
    /** Name of the registry container. Defaults to `registry`. */
    containerName?: string;
}

/** The reference an image mirrored to the registry is pushed as: `<address>:<port>/<name>:<tag>`. */
export function mirroredReference(registry: RegistrySpec, name: string, tag: string): string {
    return `${registry.endpoint}/${name}:${tag}`;
}

/**
 * A private registry on one host: the registry image (`registry:2` by default), a named volume for
 * its data, a container publishing the port with restart=always, and every mirror pulled, tagged
 * `<registry>:<port>/<name>:<tag>` and pushed (busybox -> busybox:v1 in the tutorial).
 */
export class PrivateRegistry extends pulumi.ComponentResource {
    /** `<address>:<port>`, what daemons trust and image references start with. */
    public readonly endpoint: string;
    public readonly container: docker.Container;
    /** `name:tag` -> the push of that image; consumers pull after it. */
    public readonly pushes: Record<string, docker.RegistryImage> = {};
    /** `name:tag` -> full reference in the registry. */
    public readonly images: Record<string, string> = {};

    constructor(name: string, args: PrivateRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("macvlan-lab:docker:PrivateRegistry", name, {}, opts);
        const reg = args.registry;
        const child = { parent: this, provider: args.provider };
        this.endpoint = reg.endpoint;

        // keepLocally: the image may be used by others on the host; destroy leaves it
        const image = new docker.RemoteImage(`${name}-image`, { name: reg.image, keepLocally: true }, child);
        const volume = new docker.Volume(`${name}-data`, { name: reg.volume }, { ...child, deleteBeforeReplace: true });
        this.container = new docker.Container(
            `${name}-container`,
            {
                name: args.containerName ?? "registry",
                image: image.imageId,
                restart: "always",
                mustRun: true,
                ...(args.labels !== undefined && args.labels.length > 0 ? { labels: args.labels } : {}),
                ports: [{ internal: 5000, external: reg.port }],
                volumes: [{ volumeName: volume.name, containerPath: "/var/lib/registry" }],
            },
            { ...child, deleteBeforeReplace: true },
        );
        for (const m of reg.mirrors) {
            const key = `${m.name}:${m.tag}`;
            const role = `${m.name.replace(/[^a-zA-Z0-9-]/g, "-")}-${m.tag.replace(/[^a-zA-Z0-9-]/g, "-")}`;
            const target = mirroredReference(reg, m.name, m.tag);
            const source = new docker.RemoteImage(`${name}-${role}-source`, { name: m.source, keepLocally: true }, child);
            const tag = new docker.Tag(`${name}-${role}-tag`, { sourceImage: source.imageId, targetImage: target }, child);
            this.pushes[key] = new docker.RegistryImage(
                `${name}-${role}-push`,
                { name: tag.targetImage, insecureSkipVerify: true, keepRemotely: true },
                { ...child, dependsOn: [this.container, ...(args.pushDependsOn ?? [])] },
            );
            this.images[key] = target;
        }
        this.registerOutputs({ endpoint: this.endpoint, images: this.images, containerId: this.container.id });
    }
}

import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as command from "@pulumi/command";
import { InstalledLibrary, renderOneScript, scriptCommand } from "../scripts/command";
import { IPV4 } from "../contracts";
import { RegistrySpec } from "../model/types";
import { registrySecurity } from "./registrySecurity";

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
     * Resources the pushes wait for: the registry host's daemon must trust the registry (its CA, or
     * plain HTTP) before it can push, and with tls the machine running Pulumi must trust the CA
     * before the digest check. Defaults to none.
     */
    pushDependsOn?: pulumi.Resource[];
    /** Name of the registry container. Defaults to `registry`. */
    containerName?: string;
    /**
     * The registry host's SSH connection and shell library: with them, the pushes wait for a
     * read-only command (`${name}-ready`) that waits until the registry in the container says it
     * listens (bounded: 60 s), made again whenever the container is. Without them the pushes follow
     * the container at once, and one that comes before the registry listens fails ("connection
     * refused": neither Docker nor the provider tries again). Defaults to none.
     */
    readiness?: { connection: command.types.input.remote.ConnectionArgs; library: InstalledLibrary };
    /**
     * With `registry.security` tls: the host directories of the server key and certificate and of
     * the htpasswd file (a `RegistryTls`), mounted read-only into the container, and the
     * certificate's fingerprint (a new certificate replaces the container). Required with tls; not
     * allowed with insecure.
     */
    tls?: {
        tlsDir: string;
        /** Undefined: no users, the registry asks for no login. */
        authDir?: string;
        fingerprint: pulumi.Input<string>;
        /** What the container waits for (the certificate and htpasswd commands). */
        ready: pulumi.Resource[];
    };
}

/** The label that carries the server certificate's sha256 on the registry container. */
export const REGISTRY_CERT_LABEL = "dev.macvlan-lab.registry-certificate";

/**
 * The registry container's environment for TLS and htpasswd (distribution 2.x reads
 * `REGISTRY_<section>_<key>` over its config file: docs/configuration.md "Override specific
 * configuration options"). Pure.
 */
export function registryTlsEnv(endpoint: string, withUsers: boolean): string[] {
    return [
        "REGISTRY_HTTP_TLS_CERTIFICATE=/certs/server.crt",
        "REGISTRY_HTTP_TLS_KEY=/certs/server.key",
        ...(withUsers
            ? ["REGISTRY_AUTH=htpasswd", `REGISTRY_AUTH_HTPASSWD_REALM=macvlan-lab registry ${endpoint}`, "REGISTRY_AUTH_HTPASSWD_PATH=/auth/htpasswd"]
            : []),
    ];
}

/**
 * The registry container's published port: on the registry's own address when that is an IPv4
 * address (issue 27: not on every interface of its host, where anyone who reaches any of them could
 * push); on every address when the registry is known by a DNS name (Docker publishes on addresses
 * only), which {@link PrivateRegistry} warns about. Pure.
 */
export function registryPort(reg: RegistrySpec): { internal: number; external: number; ip?: string } {
    return { internal: 5000, external: reg.port, ...(IPV4.test(reg.address) ? { ip: reg.address } : {}) };
}

/** The reference an image mirrored to the registry is pushed as: `<address>:<port>/<name>:<tag>`. */
export function mirroredReference(registry: RegistrySpec, name: string, tag: string): string {
    return `${registry.endpoint}/${name}:${tag}`;
}

/**
 * A private registry on one host: the registry image (`registry:2` by default), a named volume for
 * its data, a container publishing the port with restart=always, and every mirror pulled, tagged
 * `<registry>:<port>/<name>:<tag>` and pushed (busybox -> busybox:v1 in the tutorial). A mirror
 * whose source changes is pushed again (the push's triggers hold the source image's id); its
 * consumers pull again through `pushes[...].sha256Digest` (see `MacvlanLab`).
 */
export class PrivateRegistry extends pulumi.ComponentResource {
    /** `<address>:<port>`, what daemons trust and image references start with. */
    public readonly endpoint: string;
    public readonly container: docker.Container;
    /** `name:tag` -> the push of that image; consumers pull after it. */
    public readonly pushes: Record<string, docker.RegistryImage> = {};
    /** `name:tag` -> full reference in the registry. */
    public readonly images: Record<string, string> = {};
    /** With `readiness`: the wait until the registry listens, which the pushes follow. */
    public readonly ready?: command.remote.Command;

    constructor(name: string, args: PrivateRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("macvlan-lab:docker:PrivateRegistry", name, {}, opts);
        const reg = args.registry;
        const child = { parent: this, provider: args.provider };
        this.endpoint = reg.endpoint;

        // keepLocally: the image may be used by others on the host; destroy leaves it
        const image = new docker.RemoteImage(`${name}-image`, { name: reg.image, keepLocally: true }, child);
        if (!IPV4.test(reg.address)) {
            void pulumi.log.warn(
                `registry ${reg.endpoint}: its address is a DNS name, so its port ${reg.port} is published on every address of ${reg.host}, where anyone who reaches any of them reaches the registry; set registry.address to the host's IPv4 address to publish it there alone`,
                this,
            );
        }
        // labelled like the stack's other objects, so the preflight tells it from a volume of the same
        // name that is not the stack's (issue 27); a volume made before it was labelled keeps no label
        // (a label change would replace it, and its images with it)
        const volume = new docker.Volume(
            `${name}-data`,
            { name: reg.volume, ...(args.labels !== undefined && args.labels.length > 0 ? { labels: args.labels } : {}) },
            { ...child, deleteBeforeReplace: true, ignoreChanges: ["labels"] },
        );
        const tls = args.tls;
        const hasCa = registrySecurity(reg.security).hasCa;
        if (hasCa !== (tls !== undefined)) {
            throw new pulumi.ResourceError(`PrivateRegistry ${name}: registry.security is ${reg.security}, so tls must be ${hasCa ? "given (a RegistryTls)" : "left out"}`, this);
        }
        const labels = [
            ...(args.labels ?? []),
            ...(tls !== undefined ? [{ label: REGISTRY_CERT_LABEL, value: tls.fingerprint }] : []),
        ];
        const containerName = args.containerName ?? "registry";
        this.container = new docker.Container(
            `${name}-container`,
            {
                name: containerName,
                image: image.imageId,
                restart: "always",
                mustRun: true,
                ...(labels.length > 0 ? { labels } : {}),
                ports: [registryPort(reg)],
                volumes: [
                    { volumeName: volume.name, containerPath: "/var/lib/registry" },
                    ...(tls !== undefined ? [{ hostPath: tls.tlsDir, containerPath: "/certs", readOnly: true }] : []),
                    ...(tls?.authDir !== undefined ? [{ hostPath: tls.authDir, containerPath: "/auth", readOnly: true }] : []),
                ],
                ...(tls !== undefined ? { envs: registryTlsEnv(reg.endpoint, tls.authDir !== undefined) } : {}),
            },
            { ...child, deleteBeforeReplace: true, dependsOn: tls?.ready ?? [] },
        );
        // the registry listens: a read-only wait on its host, made again with the container
        if (args.readiness !== undefined) {
            const wait = renderOneScript(
                `wait until the registry in ${containerName} listens (read-only)`,
                args.readiness.library.dir,
                [
                    ["container", containerName],
                    ["wait_steps", 120],
                ],
                ["docker/registry-ready.sh"],
                ["registry_ready"],
            );
            this.ready = scriptCommand(
                `${name}-ready`,
                { connection: args.readiness.connection, scripts: { create: wait.script }, triggers: [this.container.id], logging: "stdoutAndStderr", library: args.readiness.library },
                { parent: this, dependsOn: [this.container] },
            );
        }
        for (const m of reg.mirrors) {
            const key = `${m.name}:${m.tag}`;
            const role = `${m.name.replace(/[^a-zA-Z0-9-]/g, "-")}-${m.tag.replace(/[^a-zA-Z0-9-]/g, "-")}`;
            const target = mirroredReference(reg, m.name, m.tag);
            const source = new docker.RemoteImage(`${name}-${role}-source`, { name: m.source, keepLocally: true }, child);
            const tag = new docker.Tag(`${name}-${role}-tag`, { sourceImage: source.imageId, targetImage: target }, child);
            this.pushes[key] = new docker.RegistryImage(
                `${name}-${role}-push`,
                // tls: the digest check verifies the registry's certificate (the CA must be trusted
                // where Pulumi runs: ControllerCaTrust); insecure: plain http://, nothing to verify.
                // The source image's id in the triggers: another source (or new content under the
                // same source name) pushes again; without it the push never runs again, since a
                // RegistryImage update only reads the digest (resource_docker_registry_image_funcs.go)
                { name: tag.targetImage, insecureSkipVerify: false, keepRemotely: true, triggers: { sourceImageId: source.imageId } },
                { ...child, dependsOn: [this.container, ...(this.ready ? [this.ready] : []), ...(args.pushDependsOn ?? [])] },
            );
            this.images[key] = target;
        }
        this.registerOutputs({ endpoint: this.endpoint, images: this.images, containerId: this.container.id });
    }
}

/**
 * MacvlanLab phase "pulls and containers": one image pull per (host, image), where images from the
 * stack's registry wait for their push and the host's trust; then each container on its network,
 * with its static address, from its pull.
 */
import * as docker from "@pulumi/docker";
import { ContainerSpec } from "../model/types";
import { parseImageReference } from "../model/names";
import { LabContainer } from "../docker/container";
import { LabContext, LabParts } from "./context";

/** `<host>/<container>` -> container. */
export function declarePullsAndContainers(ctx: LabContext, parts: Pick<LabParts, "providers" | "trust" | "registry" | "networks">): Record<string, LabContainer> {
    const { name, spec } = ctx;
    const registry = spec.registry;
    const pulls = new Map<string, docker.RemoteImage>();
    const pullOf = (c: ContainerSpec): docker.RemoteImage => {
        const key = `${c.host} ${c.image}`;
        let pull = pulls.get(key);
        if (!pull) {
            const ref = parseImageReference(c.image);
            const fromRegistry = registry !== undefined && ref?.registry === registry.endpoint;
            const push = fromRegistry ? parts.registry?.pushes[`${ref.repository}:${ref.tag ?? "latest"}`] : undefined;
            pull = new docker.RemoteImage(
                `${name}-${c.host}-pull-${slug(c.image)}`,
                {
                    name: c.image,
                    // images from the lab's registry are the lab's own: removed on destroy
                    keepLocally: !fromRegistry,
                    // a mirror pushed again (another source) is pulled again, and the containers
                    // on it follow (their image is this pull's id)
                    ...(push ? { pullTriggers: [push.sha256Digest] } : {}),
                },
                {
                    parent: ctx.lab,
                    provider: parts.providers[c.host],
                    dependsOn: fromRegistry ? [...(push ? [push] : []), ...parts.trust[c.host].ready] : [],
                    // the provider removes an image by the id its name points to: made anew
                    // first, the old pull's delete would find the new image (same name) in use by
                    // the new containers and fail; so the containers and the old image go first
                    ...(push ? { deleteBeforeReplace: true } : {}),
                },
            );
            pulls.set(key, pull);
        }
        return pull;
    };
    const containers: Record<string, LabContainer> = {};
    for (const c of spec.containers) {
        containers[`${c.host}/${c.name}`] = new LabContainer(
            `${name}-${c.host}-${c.name}`,
            {
                container: c,
                labels: ctx.labels,
                provider: parts.providers[c.host],
                image: pullOf(c).imageId,
                networkId: parts.networks[c.network].networks[c.host].id,
            },
            { parent: ctx.lab },
        );
    }
    return containers;
}

/** A resource-name-safe form of an image reference. */
function slug(s: string): string {
    return s.replace(/[^a-zA-Z0-9]+/g, "-").replace(/^-|-$/g, "");
}

/**
 * MacvlanLab phase "checks": the connectivity and isolation checks between the containers, last
 * (after the shims and the router), when the lab has containers and checks.
 */
import { remoteConnection } from "../connection";
import { ConnectivityCheck } from "../docker/connectivityCheck";
import { LabContext, LabParts } from "./context";

/** Undefined when there is nothing to check. */
export function declareChecks(ctx: LabContext, parts: Pick<LabParts, "containers" | "libraries" | "shims" | "router">): ConnectivityCheck | undefined {
    const { spec } = ctx;
    if (spec.containers.length === 0 || !(spec.checks.connectivity || spec.checks.isolation.length > 0)) return undefined;
    return new ConnectivityCheck(
        `${ctx.name}-checks`,
        {
            spec,
            containers: parts.containers,
            connections: Object.fromEntries(spec.hosts.map((h) => [h.name, remoteConnection(h.ssh, ctx.privateKey)])),
            libraries: parts.libraries,
            after: [...Object.values(parts.shims).flatMap((x) => x.ready), ...(parts.router?.ready ?? [])],
        },
        { parent: ctx.lab },
    );
}

/**
 * MacvlanLab phase "checks": the connectivity and isolation checks between the containers, last
 * (after the shims and the router), when the lab has containers and checks.
 */
import * as pulumi from "@pulumi/pulumi";
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
            after: parts.router?.ready ?? [],
            afterOnHost: shimsByHost(parts.shims),
        },
        { parent: ctx.lab },
    );
}

/** Host name -> the readiness of its host shims (`shims` is keyed `<host>/<network>`). */
function shimsByHost(shims: LabParts["shims"]): Record<string, pulumi.Resource[]> {
    const byHost: Record<string, pulumi.Resource[]> = {};
    for (const [key, shim] of Object.entries(shims)) {
        const host = key.slice(0, key.indexOf("/"));
        (byHost[host] ??= []).push(...shim.ready);
    }
    return byHost;
}

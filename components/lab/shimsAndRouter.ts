/**
 * MacvlanLab phase "shims and router": the host shims and the inter-VLAN router, links on the
 * networks' parents, each after those parents are up and replaced with them.
 */
import * as pulumi from "@pulumi/pulumi";
import { HostShim } from "../host/hostShim";
import { InterVlanRouter } from "../host/interVlanRouter";
import { shimRoutes } from "../host/routing";
import { LabContext, LabParts } from "./context";

export function declareShimsAndRouter(ctx: LabContext, parts: Pick<LabParts, "hostNetworking" | "libraries">): Pick<LabParts, "shims" | "router"> {
    const { name, spec, plan } = ctx;
    const parentReady = (host: string, parent: string): pulumi.Resource[] => {
        const net = parts.hostNetworking[host];
        return net.vlanInterfaces[parent]?.ready ?? net.parentInterface.ready;
    };
    const parentRevision = (host: string, parent: string): pulumi.Output<string> | undefined => parts.hostNetworking[host].vlanInterfaces[parent]?.revision;
    const hostOf = new Map(spec.hosts.map((h) => [h.name, h]));
    const networkOf = new Map(spec.networks.map((n) => [n.name, n]));
    const shims: Record<string, HostShim> = {};
    for (const s of spec.shims ?? []) {
        const n = networkOf.get(s.network)!;
        shims[`${s.host}/${s.network}`] = new HostShim(
            `${name}-${s.host}-shim-${s.network}`,
            {
                host: hostOf.get(s.host)!,
                network: n,
                address: s.address,
                name: s.name,
                routes: shimRoutes(plan, s.network, s.host, spec.containers),
                privateKey: ctx.privateKey,
                library: parts.libraries[s.host],
                // a replaced VLAN interface (ip link delete) replaces the shim on it
                parentRevision: parentRevision(s.host, n.parents[s.host]),
            },
            { parent: ctx.lab, dependsOn: parentReady(s.host, n.parents[s.host]) },
        );
    }
    if (!spec.router) return { shims };
    const r = spec.router;
    const networks = r.networks.map((x) => networkOf.get(x)!);
    const router = new InterVlanRouter(
        `${name}-router`,
        {
            host: hostOf.get(r.host)!,
            networks,
            allow: r.allow,
            legs: r.legs,
            parentRevisions: Object.fromEntries(
                networks.flatMap((n) => {
                    const rev = parentRevision(r.host, n.parents[r.host]);
                    return rev === undefined ? [] : [[n.name, rev]];
                }),
            ),
            privateKey: ctx.privateKey,
            library: parts.libraries[r.host],
        },
        { parent: ctx.lab, dependsOn: networks.flatMap((n) => parentReady(r.host, n.parents[r.host])) },
    );
    return { shims, router };
}

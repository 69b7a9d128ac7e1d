/**
 * MacvlanLab phase "summary": what a user wants to see of each host after `pulumi up` (the
 * program's `hosts` output), from what the other phases made.
 */
import * as pulumi from "@pulumi/pulumi";
import { LabContext, LabParts } from "./context";

/** What a user wants to see of one host after `pulumi up`. */
export interface HostSummary {
    networks: Record<string, { subnet: string; gateway: string; parent: string; ipRange: string }>;
    containers: Record<string, { network: string; address: pulumi.Output<string> }>;
    /** The host's shims by network: interface, address, what it routes, how it is kept. */
    shims?: Record<string, { interfaceName: string; address: string; routes: string[]; persistence: string }>;
    /** When the host is the router: its legs by network, the allowed pairs, how the legs are kept. */
    router?: { legs: Record<string, string>; allow: Array<[string, string]>; persistence: string };
}

/** Per host: its networks (with the planned range), shims, router legs and containers (with addresses). */
export function labSummary(ctx: LabContext, parts: Pick<LabParts, "shims" | "router" | "containers">): Record<string, HostSummary> {
    const { spec, plan } = ctx;
    const summary: Record<string, HostSummary> = {};
    for (const host of spec.hosts) summary[host.name] = { networks: {}, containers: {} };
    for (const n of spec.networks) {
        for (const h of n.hosts) {
            summary[h].networks[n.name] = { subnet: n.subnet, gateway: n.gateway, parent: n.parents[h], ipRange: plan.networks[n.name].ranges[h] };
        }
    }
    for (const s of spec.shims ?? []) {
        const shim = parts.shims[`${s.host}/${s.network}`];
        summary[s.host].shims ??= {};
        summary[s.host].shims![s.network] = { interfaceName: shim.interfaceName, address: shim.address, routes: shim.routes, persistence: shim.persistence };
    }
    if (spec.router && parts.router) {
        const router = parts.router;
        summary[spec.router.host].router = { legs: router.legs, allow: router.allow.map(([a, b]) => [a, b]), persistence: router.persistence };
    }
    for (const c of spec.containers) {
        summary[c.host].containers[c.name] = { network: c.network, address: parts.containers[`${c.host}/${c.name}`].address };
    }
    return summary;
}

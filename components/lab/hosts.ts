/**
 * MacvlanLab phase "hosts": per host its read-only preflight, then the shell library every remote
 * script of the host sources, then its networking (promiscuous parent NIC, 8021q, VLAN interfaces).
 */
import * as pulumi from "@pulumi/pulumi";
import { remoteConnection } from "../connection";
import { HostNetworking } from "../host/hostNetworking";
import { HostLibrary } from "../scripts/hostLibrary";
import { HostPreflight, childUrn, importCommand, preflightFactsOf } from "../preflight";
import { LabContext, LabParts, afterPreflights } from "./context";

/**
 * The read-only preflight of every host; nothing that changes any host starts before all of them
 * passed (the Docker providers and the first command of each host wait for their gate,
 * `declarePreflightGate`).
 */
export function declarePreflights(ctx: LabContext): Record<string, HostPreflight> {
    const { name, spec, stackId } = ctx;
    const preflights: Record<string, HostPreflight> = {};
    // The URN as a plain value: an output of `lab.urn` would make each preflight wait for every
    // child of the lab, some of which wait for the preflights.
    const labUrn = pulumi.output(new Promise<string>((resolve) => ctx.lab.urn.apply(resolve)));
    for (const host of spec.hosts) {
        const facts = labUrn.apply((labUrn) => {
            const provider = childUrn(labUrn, "pulumi:providers:docker", `${name}-${host.name}-docker`);
            return preflightFactsOf(
                spec,
                host,
                stackId,
                {
                    network: (n) => importCommand("network", `${name}-${n}-${host.name}`, childUrn(labUrn, "macvlan-lab:docker:MacvlanNetwork", `${name}-${n}`), provider),
                    container: (c) => importCommand("container", `${name}-${host.name}-${c}-container`, childUrn(labUrn, "macvlan-lab:docker:Container", `${name}-${host.name}-${c}`), provider),
                    registry: () => importCommand("container", `${name}-registry-container`, childUrn(labUrn, "macvlan-lab:docker:PrivateRegistry", `${name}-registry`), provider),
                },
                spec.registry?.migrateUnitFlag ?? false,
            );
        });
        preflights[host.name] = new HostPreflight(`${name}-${host.name}-preflight`, { connection: remoteConnection(host.ssh, ctx.privateKey), facts }, { parent: ctx.lab });
    }
    return preflights;
}

/**
 * The gate of the preflights: a resource that completes once the preflight of every host has passed,
 * and that everything which changes a host waits for (`afterPreflights`). A `pulumi.Stash` (the
 * engine's own resource: no provider, no host) with the preflights as its `dependsOn` and a value
 * that never changes: a host added or removed changes its dependencies only, never its diff, and
 * each host's steps carry one dependency instead of one per host (with every preflight in each
 * host's first steps, a generated lab of 100 hosts had 71,201 dependencies, 9,903 with the gate;
 * each is a URN in every state write).
 */
export function declarePreflightGate(ctx: LabContext, parts: Pick<LabParts, "preflights">): pulumi.Resource {
    return new pulumi.Stash(
        `${ctx.name}-preflights-passed`,
        { input: "every host's preflight passed" },
        { parent: ctx.lab, dependsOn: Object.values(parts.preflights).map((p) => p.command) },
    );
}

/** Per host the shell library every remote script of that host sources, after the preflights. */
export function declareLibraries(ctx: LabContext, parts: Pick<LabParts, "preflightsPassed">): Record<string, HostLibrary> {
    const libraries: Record<string, HostLibrary> = {};
    for (const host of ctx.spec.hosts) {
        libraries[host.name] = new HostLibrary(
            `${ctx.name}-${host.name}-lib`,
            { connection: remoteConnection(host.ssh, ctx.privateKey), endpoint: `${host.ssh.address}:${host.ssh.port}` },
            { parent: ctx.lab, dependsOn: afterPreflights(parts) },
        );
    }
    return libraries;
}

/** Per host its networking: the parent NIC, 8021q and the VLAN interfaces of the VLANs it is in. */
export function declareHostNetworking(ctx: LabContext, parts: Pick<LabParts, "preflightsPassed" | "libraries">): Record<string, HostNetworking> {
    const hostNetworking: Record<string, HostNetworking> = {};
    for (const host of ctx.spec.hosts) {
        const vlans = ctx.spec.vlans.filter((v) => v.members.some((m) => m.host === host.name));
        hostNetworking[host.name] = new HostNetworking(
            `${ctx.name}-${host.name}`,
            { host, vlans, privateKey: ctx.privateKey, library: parts.libraries[host.name] },
            { parent: ctx.lab, dependsOn: afterPreflights(parts) },
        );
    }
    return hostNetworking;
}

/**
 * MacvlanLab phase "verify" (with a verify request): a read-only HostVerify per host, after
 * everything on it, running every check of the host's steps and reading its Docker objects and
 * registry trust; their findings together.
 */
import * as pulumi from "@pulumi/pulumi";
import { LabSpec } from "../model/types";
import { LabPlan } from "../model/plan";
import { remoteConnection } from "../connection";
import { registrySecurity } from "../docker/registrySecurity";
import { STACK_LABEL } from "../preflight";
import { HostVerify } from "../verify/hostVerify";
import { DriftRow, HostVerifyInput } from "../verify/render";
import { LabContext, LabParts } from "./context";

/** What a verify found: the request, per host how many checks ran, and every finding. */
export interface Verification {
    request: string;
    hosts: Record<string, { steps: number; complete: boolean }>;
    drift: DriftRow[];
}

/** A read-only verify per host (see `MacvlanLabArgs.verify`), after everything on it; their findings together. */
export function declareVerify(
    ctx: LabContext,
    parts: Pick<LabParts, "hostNetworking" | "shims" | "router" | "containers" | "trust" | "registry" | "registryTls" | "libraries">,
    request: string,
): pulumi.Output<Verification> {
    const { name, spec, plan } = ctx;
    const verifies: Record<string, HostVerify> = {};
    for (const host of spec.hosts) {
        const net = parts.hostNetworking[host.name];
        const steps: Array<{ name: string; check: string }> = [
            { name: `${name}-${host.name}-parent-promisc`, check: net.parentInterface.scripts.check },
            ...(net.kernelModule ? [{ name: `${name}-${host.name}-8021q-load`, check: net.kernelModule.scripts.check }] : []),
            ...Object.values(net.vlanInterfaces).map((v) => ({ name: `${name}-${host.name}-${v.interfaceName}-config`, check: v.scripts.check })),
            ...Object.entries(parts.shims)
                .filter(([key]) => key.startsWith(`${host.name}/`))
                .map(([key, shim]) => ({ name: `${name}-${host.name}-shim-${key.split("/")[1]}-link`, check: shim.scripts.check })),
            ...(parts.router && parts.router.host === host.name
                ? Object.entries(parts.router.scripts).map(([step, scripts]) => ({ name: `${name}-router-${step}`, check: scripts.check }))
                : []),
        ];
        const reg = spec.registry;
        const trust: pulumi.Input<HostVerifyInput["trust"]> = !reg ? undefined : registrySecurity(reg.security).verifyTrust(reg, { registryTls: parts.registryTls });
        const after = [
            ...net.ready,
            ...Object.values(parts.containers).map((c) => c.container),
            ...(parts.trust[host.name]?.ready ?? []),
            ...Object.entries(parts.shims).filter(([key]) => key.startsWith(`${host.name}/`)).flatMap(([, x]) => x.ready),
            ...(parts.router?.host === host.name ? parts.router.ready : []),
            ...(parts.registry ? [parts.registry.container] : []),
        ];
        verifies[host.name] = new HostVerify(
            `${name}-${host.name}-verify`,
            {
                connection: remoteConnection(host.ssh, ctx.privateKey),
                library: parts.libraries[host.name],
                request,
                input: pulumi.output(trust).apply((t) => ({
                    host: host.name,
                    steps,
                    ...verifyExpectations(spec, plan, host.name),
                    stackLabel: { key: STACK_LABEL, value: ctx.stackId },
                    ...(t !== undefined ? { trust: t } : {}),
                })),
                after,
            },
            { parent: ctx.lab },
        );
    }
    return pulumi
        .all(Object.entries(verifies).map(([h, v]) => pulumi.all([v.rows, v.summary]).apply(([rows, summary]) => ({ h, rows, summary }))))
        .apply((all) => ({
            request,
            hosts: Object.fromEntries(all.map((x) => [x.h, x.summary])),
            drift: all.flatMap((x) => x.rows),
        }));
}

/** The Docker expectations and steps of one host, for its verify. Pure. */
export function verifyExpectations(spec: LabSpec, plan: LabPlan, host: string): Pick<HostVerifyInput, "networks" | "containers" | "running"> {
    return {
        networks: spec.networks
            .filter((n) => n.hosts.includes(host))
            .map((n) => ({ name: n.name, driver: n.driver, parent: n.parents[host], subnet: n.subnet, gateway: n.gateway, range: plan.networks[n.name].ranges[host] })),
        containers: spec.containers.filter((c) => c.host === host).map((c) => ({ name: c.name, network: c.network, ...(c.ip !== undefined ? { ip: c.ip } : {}) })),
        running: spec.registry?.host === host ? ["registry"] : [],
    };
}

/**
 * MacvlanLab phase "registry": the private registry on its host, its mirrored images pushed to it
 * once the registry host trusts it (and, with tls and mirrors, once the CA is where Pulumi runs).
 */
import { remoteConnection } from "../connection";
import { PrivateRegistry } from "../docker/registry";
import { LabContext, LabParts } from "./context";

/** Undefined when the lab has no registry. */
export function declareRegistry(ctx: LabContext, parts: Pick<LabParts, "providers" | "libraries" | "trust" | "registryTls" | "controllerCa">): PrivateRegistry | undefined {
    const registry = ctx.spec.registry;
    if (!registry) return undefined;
    const host = ctx.spec.hosts.find((h) => h.name === registry.host)!;
    return new PrivateRegistry(
        `${ctx.name}-registry`,
        {
            registry,
            labels: ctx.labels,
            provider: parts.providers[registry.host],
            readiness: { connection: remoteConnection(host.ssh, ctx.privateKey), library: parts.libraries[registry.host] },
            pushDependsOn: [...parts.trust[registry.host].ready, ...(parts.controllerCa ? [parts.controllerCa.command] : [])],
            ...(parts.registryTls
                ? { tls: { tlsDir: parts.registryTls.tlsDir, authDir: parts.registryTls.authDir, fingerprint: parts.registryTls.fingerprint, ready: parts.registryTls.ready } }
                : {}),
        },
        { parent: ctx.lab },
    );
}

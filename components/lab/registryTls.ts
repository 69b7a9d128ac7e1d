/**
 * MacvlanLab phase "registry TLS": the resources of the registry's security (its strategy,
 * components/docker/registrySecurity.ts): with tls the CA and the server certificate made on the
 * registry host (the keys never leave it), its users, and, with mirrors, the CA where Pulumi runs
 * for the Docker provider's digest check; nothing with insecure.
 */
import { remoteConnection } from "../connection";
import { registrySecurity } from "../docker/registrySecurity";
import { LabContext, LabParts, afterPreflights } from "./context";

/** What the registry's security declares: nothing without a registry. */
export function declareRegistryTls(
    ctx: LabContext,
    parts: Pick<LabParts, "preflightsPassed" | "libraries">,
    /** `MacvlanLabArgs.controllerCaDir`: required with tls and mirrors. */
    controllerCaDir: string | undefined,
): Pick<LabParts, "registryTls" | "controllerCa"> {
    const { name, spec } = ctx;
    const reg = spec.registry;
    const regHost = reg ? spec.hosts.find((h) => h.name === reg.host) : undefined;
    if (!reg || !regHost) return {};
    return registrySecurity(reg.security).resources(reg, {
        name,
        parent: ctx.lab,
        connection: remoteConnection(regHost.ssh, ctx.privateKey),
        library: parts.libraries[reg.host],
        dependsOn: afterPreflights(parts),
        controllerCaDir,
    });
}

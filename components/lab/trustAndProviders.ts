/**
 * MacvlanLab phase "trust and providers": per host the registry trust (daemon.json, and with tls
 * the CA in certs.d), then the Docker provider over ssh:// with the registry's auth, which waits
 * for that trust when the trust restarts dockerd.
 */
import * as docker from "@pulumi/docker";
import { remoteConnection } from "../connection";
import { DockerSshOptions, dockerProvider } from "../docker/provider";
import { registrySecurity } from "../docker/registrySecurity";
import { RegistryTrust } from "../docker/registryTrust";
import { LabContext, LabParts, afterPreflights } from "./context";

export function declareTrustAndProviders(
    ctx: LabContext,
    parts: Pick<LabParts, "preflightsPassed" | "libraries" | "registryTls">,
    /** `MacvlanLabArgs.docker`. */
    sshOptions: DockerSshOptions,
): Pick<LabParts, "trust" | "providers"> {
    const { name, spec } = ctx;
    const reg = spec.registry;
    const trust: Record<string, RegistryTrust> = {};
    const providers: Record<string, docker.Provider> = {};
    for (const host of spec.hosts) {
        const connection = remoteConnection(host.ssh, ctx.privateKey);
        if (reg) {
            trust[host.name] = new RegistryTrust(
                `${name}-${host.name}-trust`,
                {
                    connection,
                    endpoint: reg.endpoint,
                    security: reg.security,
                    migrateUnitFlag: reg.migrateUnitFlag,
                    library: parts.libraries[host.name],
                    ...(parts.registryTls ? { caCertificate: parts.registryTls.caCertificate } : {}),
                },
                { parent: ctx.lab, dependsOn: afterPreflights(parts) },
            );
        }
        // with migrateUnitFlag the trust restarts dockerd, which no Docker call may overlap: every
        // Docker resource of the host waits for it then. Otherwise dockerd only reloads
        // daemon.json (SIGHUP, it keeps serving): networks and containers need not wait, and what
        // needs the trust (the pulls and pushes from the registry) waits for it by itself
        const registryAuth = !reg ? [] : [registrySecurity(reg.security).providerAuth(reg)];
        const restarts = reg?.migrateUnitFlag === true;
        providers[host.name] = dockerProvider(
            `${name}-${host.name}-docker`,
            host,
            sshOptions,
            { parent: ctx.lab, dependsOn: [...afterPreflights(parts), ...(restarts ? (trust[host.name]?.ready ?? []) : [])] },
            registryAuth,
        );
    }
    return { trust, providers };
}

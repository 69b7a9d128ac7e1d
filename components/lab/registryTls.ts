/**
 * MacvlanLab phase "registry TLS" (registry.security tls): the CA and the server certificate made on
 * the registry host (the keys never leave it), its users, and, with mirrors, the CA where Pulumi
 * runs for the Docker provider's digest check.
 */
import * as pulumi from "@pulumi/pulumi";
import { remoteConnection } from "../connection";
import { RegistryTls } from "../docker/registryTls";
import { ControllerCaTrust, controllerCaDirProblem, controllerCaFileName } from "../docker/controllerTrust";
import { LabContext, LabParts, preflightCommands } from "./context";

/** Nothing unless the registry's security is tls; the controller's CA only with mirrors. */
export function declareRegistryTls(
    ctx: LabContext,
    parts: Pick<LabParts, "preflights" | "libraries">,
    /** `MacvlanLabArgs.controllerCaDir`: required with tls and mirrors. */
    controllerCaDir: string | undefined,
): Pick<LabParts, "registryTls" | "controllerCa"> {
    const { name, spec } = ctx;
    const reg = spec.registry;
    const regHost = reg ? spec.hosts.find((h) => h.name === reg.host) : undefined;
    if (!reg || !regHost || reg.security !== "tls") return {};
    if (reg.users.length === 0) {
        // allowed (a lab's registry), but said on every run: TLS alone keeps no one from pushing
        void pulumi.log.warn(
            `registry ${reg.endpoint}: security tls without users: the registry asks for no login, so anyone who reaches the port can push images that every host then runs; declare registry.users (passwords as secrets)`,
            ctx.lab,
        );
    }
    const registryTls = new RegistryTls(
        `${name}-registry-tls`,
        { connection: remoteConnection(regHost.ssh, ctx.privateKey), address: reg.address, port: reg.port, users: reg.users, library: parts.libraries[reg.host] },
        { parent: ctx.lab, dependsOn: preflightCommands(parts) },
    );
    if (reg.mirrors.length === 0) return { registryTls };
    if (controllerCaDir === undefined) {
        throw new pulumi.ResourceError(controllerCaDirProblem(undefined) ?? "controllerCaDir is not set", ctx.lab);
    }
    const controllerCa = new ControllerCaTrust(
        `${name}-controller-ca`,
        {
            dir: controllerCaDir,
            file: controllerCaFileName(pulumi.getProject(), pulumi.getStack(), reg.endpoint),
            caCertificate: registryTls.caCertificate,
        },
        { parent: ctx.lab },
    );
    return { registryTls, controllerCa };
}

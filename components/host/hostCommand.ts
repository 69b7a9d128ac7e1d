import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { remoteConnection } from "../connection";
import { HostSpec } from "../model/types";
import { HostScripts } from "./render";
import { HostLibrary } from "../scripts/hostLibrary";

/**
 * The remote command of a host networking component: the rendered create and delete scripts over
 * the host's SSH connection (key kept secret), after the host's shell library (`library`), which the
 * scripts source. `triggers` hold only what must replace it: what the
 * scripts act on (`scripts.identity`), the SSH endpoint and, for a link on a link that can be
 * replaced (a VLAN interface), that link's revision (`parentRevision`: a replaced parent replaces the
 * command, delete before the parent's, as a Docker network's label does); a replacement runs the old
 * delete first.
 * Another version of the scripts' library changes create and delete alone: an update, which runs the
 * new create again (idempotent). The check script is never part of it.
 */
export function hostScriptCommand(
    name: string,
    host: HostSpec,
    privateKey: pulumi.Input<string>,
    scripts: HostScripts,
    opts: {
        parent: pulumi.Resource;
        dependsOn?: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource>;
        library?: HostLibrary;
        parentRevision?: pulumi.Input<string>;
    },
): command.remote.Command {
    const dependsOn = [...(opts.library?.ready ?? []), ...dependencies(opts.dependsOn)];
    return new command.remote.Command(
        name,
        {
            connection: remoteConnection(host.ssh, privateKey),
            create: scripts.create,
            delete: scripts.delete,
            triggers: [scripts.identity, `${host.ssh.address}:${host.ssh.port}`, ...(opts.parentRevision !== undefined ? [opts.parentRevision] : [])],
            // the scripts print no secret (the key only reaches the SSH client)
            logging: "stdoutAndStderr",
        },
        { parent: opts.parent, deleteBeforeReplace: true, dependsOn },
    );
}

/**
 * The library a host component uses: the one given, or, for a component used on its own, a
 * `HostLibrary` child of its own (`${name}-lib`) over the host's SSH connection. Components on one
 * host should share one (`HostNetworking` passes its own to each).
 */
export function libraryFor(
    name: string,
    host: HostSpec,
    privateKey: pulumi.Input<string>,
    given: HostLibrary | undefined,
    stateDir: string | undefined,
    parent: pulumi.Resource,
): HostLibrary {
    return (
        given ??
        new HostLibrary(
            `${name}-lib`,
            { connection: remoteConnection(host.ssh, privateKey), endpoint: `${host.ssh.address}:${host.ssh.port}`, stateDir },
            { parent },
        )
    );
}

/** A component's `dependsOn` as a list (a list, one resource, or none). */
export function dependencies(
    d: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource> | undefined,
): pulumi.Input<pulumi.Resource>[] {
    if (d === undefined) return [];
    if (Array.isArray(d)) return d;
    if (pulumi.Resource.isInstance(d)) return [d];
    throw new Error("dependsOn of a host component must be a resource or a list of resources, not an Output");
}

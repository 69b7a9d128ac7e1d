import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { remoteConnection } from "../connection";
import { HostSpec } from "../model/types";
import { HostScripts, dependencies, scriptCommand } from "../scripts/command";
import { HostLibrary } from "../scripts/hostLibrary";

export { dependencies };

/**
 * The remote command of a host networking component ({@link scriptCommand}): the rendered create
 * and delete scripts over the host's SSH connection (key kept secret), after the host's shell
 * library (`library`), which the scripts source. `triggers` hold only what must replace it: what the
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
    return scriptCommand(
        name,
        {
            connection: remoteConnection(host.ssh, privateKey),
            scripts,
            endpoint: `${host.ssh.address}:${host.ssh.port}`,
            triggers: opts.parentRevision !== undefined ? [opts.parentRevision] : [],
            // the scripts print no secret (the key only reaches the SSH client)
            logging: "stdoutAndStderr",
            library: opts.library,
        },
        { parent: opts.parent, deleteBeforeReplace: true, dependsOn: dependencies(opts.dependsOn) },
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

/** What a renderer throws, as the error of the component `self` (`<Kind> <name>: <message>`). */
export function renderedFor<T>(self: pulumi.Resource, kind: string, name: string, render: () => T): T {
    try {
        return render();
    } catch (e) {
        throw new pulumi.ResourceError(`${kind} ${name}: ${(e as Error).message}`, self);
    }
}

/** One step of host networking: its library, its scripts and the command that runs them. */
export interface HostStep {
    library: HostLibrary;
    scripts: HostScripts;
    command: command.remote.Command;
    /** What the create script printed on the host. */
    stdout: pulumi.Output<string>;
    /** The command: what later steps depend on. */
    ready: pulumi.Resource[];
}

/**
 * The skeleton every single-command host component shares (ParentInterface, KernelModule,
 * VlanInterface, HostShim): the library (the one given, or `${name}-lib`), the scripts rendered
 * for its directory (an error names the component), and `${name}-<role>`, their command, after the
 * component's `dependsOn`.
 */
export function hostStep(
    self: pulumi.ComponentResource,
    kind: string,
    name: string,
    role: string,
    args: { host: HostSpec; privateKey: pulumi.Input<string>; library?: HostLibrary; stateDir?: string; parentRevision?: pulumi.Input<string> },
    render: (libraryDir: string) => HostScripts,
    dependsOn: pulumi.ComponentResourceOptions["dependsOn"],
): HostStep {
    const library = libraryFor(name, args.host, args.privateKey, args.library, args.stateDir, self);
    const scripts = renderedFor(self, kind, name, () => render(library.dir));
    const cmd = hostScriptCommand(`${name}-${role}`, args.host, args.privateKey, scripts, { parent: self, dependsOn, library, parentRevision: args.parentRevision });
    return { library, scripts, command: cmd, stdout: cmd.stdout, ready: [cmd] };
}

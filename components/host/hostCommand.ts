import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { remoteConnection } from "../connection";
import { HostSpec } from "../spec/types";
import { HostScripts, scriptsDigest } from "./render";

/**
 * The remote command of a host networking component: the rendered create and delete scripts over
 * the host's SSH connection (key kept secret), re-run when the scripts or the host change.
 */
export function hostScriptCommand(
    name: string,
    host: HostSpec,
    privateKey: pulumi.Input<string>,
    scripts: HostScripts,
    opts: { parent: pulumi.Resource; dependsOn?: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource> },
): command.remote.Command {
    return new command.remote.Command(
        name,
        {
            connection: remoteConnection(host.ssh, privateKey),
            create: scripts.create,
            delete: scripts.delete,
            // a changed script or another host replaces the command: the old delete runs first
            triggers: [scriptsDigest(scripts.create, scripts.delete, scripts.check), `${host.ssh.address}:${host.ssh.port}`],
            // the scripts print no secret (the key only reaches the SSH client)
            logging: "stdoutAndStderr",
        },
        { parent: opts.parent, deleteBeforeReplace: true, dependsOn: opts.dependsOn },
    );
}

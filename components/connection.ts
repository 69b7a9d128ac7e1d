import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { SshSpec } from "./spec/types";

/**
 * The SSH connection of one host for `remote.Command`: address, port, user, the private key
 * (kept a Pulumi secret), the pinned host key when the spec has one, and bounded dial retries.
 */
export function remoteConnection(
    ssh: SshSpec,
    privateKey: pulumi.Input<string>,
): command.types.input.remote.ConnectionArgs {
    return {
        host: ssh.address,
        port: ssh.port,
        user: ssh.user,
        privateKey: pulumi.secret(privateKey),
        dialErrorLimit: ssh.dialErrorLimit,
        perDialTimeout: ssh.perDialTimeout,
        ...(ssh.hostKey !== undefined ? { hostKey: ssh.hostKey } : {}),
    };
}

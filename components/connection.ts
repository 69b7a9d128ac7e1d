import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { hostKeyMissing } from "./model/hostKey";
import { SshSpec } from "./model/types";

/**
 * The SSH connection of one host for `remote.Command`: address, port, user, the private key
 * (kept a Pulumi secret), the host key every connection verifies (`hostKey`: pinned, or taken from
 * known_hosts by `resolveHostKeys`), and bounded dial retries. A host with no key throws, unless it
 * opted out with `insecureIgnoreHostKey` (labs only): pulumi-command checks no host key at all when
 * `hostKey` is absent (provider/pkg/provider/remote/connection.go `SSHConfig`, v1.2.1:
 * `ssh.InsecureIgnoreHostKey()`), so an absent key must be a decision, not a default.
 */
export function remoteConnection(
    ssh: SshSpec,
    privateKey: pulumi.Input<string>,
): command.types.input.remote.ConnectionArgs {
    const missing = hostKeyMissing(undefined, ssh);
    if (missing !== undefined) {
        throw new Error(missing);
    }
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

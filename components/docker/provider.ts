import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { HostSpec } from "../spec/types";
import { hostKeyMissing } from "../spec/hostKey";
import { knownHostsLine } from "./sshIdentity";

/** How the Docker provider's `ssh://` connections authenticate. */
export interface DockerSshOptions {
    /**
     * Path of the private key on the machine running Pulumi (`ssh -i`, `IdentitiesOnly=yes`). The
     * Docker provider runs the system ssh client, which needs a file (see `sshIdentity.ts` for the
     * program's file made from the `sshPrivateKey` secret). Defaults to ssh-agent and `~/.ssh/config`.
     */
    keyFile?: string;
}

/** The Docker daemon URL of a host: `ssh://<user>@<address>:<port>`. */
export function dockerHostUrl(host: HostSpec): string {
    return `ssh://${host.ssh.user}@${host.ssh.address}:${host.ssh.port}`;
}

/**
 * The ssh client options of a host's Docker provider: batch mode (never prompt), bounded connect
 * time and attempts from the host's SSH settings, and the host's key checked strictly: the key in
 * `host.ssh.hostKey` (pinned, or taken from known_hosts by `resolveHostKeys`) is the only one
 * accepted, given by `KnownHostsCommand` (OpenSSH 8.5 or later; no file to keep for a later
 * destroy, no other known_hosts file read), so the Docker provider and the remote commands verify
 * the same key. A host with `insecureIgnoreHostKey` (labs only) is not checked and nothing is
 * recorded for it. A host with neither throws (see `remoteConnection`).
 */
export function dockerSshOpts(host: HostSpec, opts: DockerSshOptions = {}): string[] {
    const missing = hostKeyMissing(host.name, host.ssh);
    if (missing !== undefined) {
        throw new Error(missing);
    }
    const pinned = knownHostsLine(host);
    const knownHosts =
        pinned !== undefined
            ? ["-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=/dev/null", "-o", `KnownHostsCommand=/bin/echo ${pinned}`]
            : ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"];
    return [
        "-o", "BatchMode=yes",
        "-o", `ConnectTimeout=${host.ssh.perDialTimeout}`,
        "-o", `ConnectionAttempts=${host.ssh.dialErrorLimit}`,
        "-o", "ServerAliveInterval=15",
        ...knownHosts,
        ...(opts.keyFile !== undefined ? ["-i", opts.keyFile, "-o", "IdentitiesOnly=yes"] : []),
    ];
}

/**
 * The provider's `registryAuth` entry for a registry that serves plain HTTP without users (the
 * tutorial's `insecure-registries` registry). The Docker provider needs an auth config for every
 * registry a RegistryImage pushes to, and asks the registry for the pushed digest itself, from the
 * machine running Pulumi, over the scheme of this address: `http://` so it does not try https, and
 * `authDisabled` so it sends dummy credentials, which a registry without auth ignores. Pure.
 */
export function insecureRegistryAuth(endpoint: string): docker.types.input.ProviderRegistryAuth {
    return { address: `http://${endpoint}`, authDisabled: true };
}

/**
 * The provider's `registryAuth` entry for a TLS registry (`registry.security` tls): the address
 * without a scheme, so the digest check uses https and verifies the certificate; with users, the
 * first user's name and password (a secret), sent with the push, every pull and the digest check;
 * without users, `authDisabled` (the registry asks for no login). Pure.
 */
export function tlsRegistryAuth(endpoint: string, user?: { name: string; password: pulumi.Input<string> }): docker.types.input.ProviderRegistryAuth {
    return user !== undefined ? { address: endpoint, username: user.name, password: pulumi.secret(user.password) } : { address: endpoint, authDisabled: true };
}

/** One Docker provider per host, over ssh://, with the auth configs of the stack's registries. */
export function dockerProvider(
    name: string,
    host: HostSpec,
    opts: DockerSshOptions,
    resourceOpts: pulumi.CustomResourceOptions,
    registryAuth: docker.types.input.ProviderRegistryAuth[] = [],
): docker.Provider {
    return new docker.Provider(
        name,
        { host: dockerHostUrl(host), sshOpts: dockerSshOpts(host, opts), ...(registryAuth.length > 0 ? { registryAuth } : {}) },
        resourceOpts,
    );
}

import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { HostSpec } from "../spec/types";
import { knownHostsLine } from "./sshIdentity";

/** How the Docker provider's `ssh://` connections authenticate and verify hosts. */
export interface DockerSshOptions {
    /**
     * Path of the private key on the machine running Pulumi (`ssh -i`, `IdentitiesOnly=yes`). The
     * Docker provider runs the system ssh client, which needs a file (see `sshIdentity.ts` for the
     * program's file made from the `sshPrivateKey` secret). Defaults to ssh-agent and `~/.ssh/config`.
     */
    keyFile?: string;
    /**
     * known_hosts file to verify the host keys of hosts without a pinned `hostKey` with. Defaults to
     * the user's. Host keys are always verified (`StrictHostKeyChecking=yes`): a host whose key is not
     * known fails instead of being trusted on first use. A host with `hostKey` is verified against
     * that key alone (`KnownHostsCommand`, see `dockerSshOpts`).
     */
    knownHostsFile?: string;
}

/** The Docker daemon URL of a host: `ssh://<user>@<address>:<port>`. */
export function dockerHostUrl(host: HostSpec): string {
    return `ssh://${host.ssh.user}@${host.ssh.address}:${host.ssh.port}`;
}

/**
 * The ssh client options of a host's Docker provider: batch mode (never prompt), bounded connect
 * time and attempts from the host's SSH settings, strict host key checking.
 */
export function dockerSshOpts(host: HostSpec, opts: DockerSshOptions = {}): string[] {
    // a pinned hostKey is the only key accepted: no known_hosts file is read, ssh gets the line from
    // KnownHostsCommand (OpenSSH 8.5 or later; no file to keep for a later destroy)
    const pinned = knownHostsLine(host);
    const knownHosts =
        pinned !== undefined
            ? ["-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=/dev/null", "-o", `KnownHostsCommand=/bin/echo ${pinned}`]
            : opts.knownHostsFile !== undefined
              ? ["-o", `UserKnownHostsFile=${opts.knownHostsFile}`]
              : [];
    return [
        "-o", "BatchMode=yes",
        "-o", `ConnectTimeout=${host.ssh.perDialTimeout}`,
        "-o", `ConnectionAttempts=${host.ssh.dialErrorLimit}`,
        "-o", "ServerAliveInterval=15",
        "-o", "StrictHostKeyChecking=yes",
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

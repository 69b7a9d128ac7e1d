import { createHash } from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { HostSpec } from "../model/types";
import { hostKeyMissing } from "../model/hostKey";
import { knownHostsLine, privateDir, runFilesDir } from "./sshIdentity";

/** How the Docker provider's `ssh://` connections authenticate. */
export interface DockerSshOptions {
    /**
     * Path of the private key on the machine running Pulumi (`ssh -i`, `IdentitiesOnly=yes`). The
     * Docker provider runs the system ssh client, which needs a file (see `sshIdentity.ts` for the
     * program's file made from the `sshPrivateKey` secret). Defaults to ssh-agent and `~/.ssh/config`.
     */
    keyFile?: string;
    /**
     * A private directory for the control sockets through which the ssh processes of one host share
     * one SSH connection (`ControlMaster=auto`, `ControlPersist`): the Docker provider starts an ssh
     * per connection to the daemon, and on a slow link each new SSH connection costs several round
     * trips (TCP, key exchange, authentication). Made 0700 when missing; a path that is not a
     * directory of this user that nobody else can enter is refused. `false`: no sharing, every ssh
     * connects on its own. Defaults to `<runFilesDir>/ssh-mux` (`$XDG_RUNTIME_DIR/macvlan-lab/ssh-mux`,
     * else `<tmp>/macvlan-lab-<uid>/ssh-mux`).
     */
    controlDir?: string | false;
    /**
     * Seconds a shared connection stays open after its last ssh process ended (ssh's
     * `ControlPersist`), so the next Docker call, or the next `pulumi` run soon after, reuses it.
     * Defaults to 60 (Ansible's default too). Unused when `controlDir` is false.
     */
    controlPersistSeconds?: number;
}

/** The default ControlPersist of the Docker providers' ssh, in seconds. */
export const DEFAULT_CONTROL_PERSIST_SECONDS = 60;

/**
 * The longest control socket path: a socket path holds 108 bytes with its NUL (Linux `sun_path`;
 * 104 on BSDs), and the master first binds `<path>.<16 random characters>` (OpenSSH mux.c
 * `muxserver_listen`) before renaming it.
 */
export const MAX_CONTROL_PATH = 86;

/**
 * The control socket of one host's Docker provider (pure): `<dir>/<digest>`, the digest over
 * everything that makes the connection what it is (user, address, port, the host key it
 * checks, key file). So a socket is shared only by ssh processes that would have made the same
 * connection: two labs on one machine whose hosts have the same address behind different networks,
 * or a host whose key changed, never meet in one socket. `%` in `dir` is doubled (ssh expands `%`
 * tokens in ControlPath). Throws when the path would be too long for a socket.
 */
export function controlPath(host: HostSpec, dir: string, opts: Pick<DockerSshOptions, "keyFile"> = {}): string {
    const id = [host.ssh.user, host.ssh.address, String(host.ssh.port), host.ssh.hostKey ?? "", opts.keyFile ?? ""].join("\0");
    const digest = createHash("sha256").update("macvlan-lab docker ssh control socket\0").update(id).digest("hex").slice(0, 20);
    const p = path.join(dir, digest);
    if (Buffer.byteLength(p) > MAX_CONTROL_PATH) {
        throw new Error(
            `the Docker provider's ssh control socket ${p} is longer than ${MAX_CONTROL_PATH} bytes (a socket path holds 108); give docker.controlDir a shorter private directory (or set XDG_RUNTIME_DIR to one), or false to share no connection`,
        );
    }
    return p.replace(/%/g, "%%");
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
 * With a `controlDir`, one shared connection per host ({@link controlPath}). Pure: the directory is
 * used as given (dockerProvider makes and checks it).
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
        ...(typeof opts.controlDir === "string"
            ? [
                  "-o", "ControlMaster=auto",
                  "-o", `ControlPath=${controlPath(host, opts.controlDir, opts)}`,
                  "-o", `ControlPersist=${opts.controlPersistSeconds ?? DEFAULT_CONTROL_PERSIST_SECONDS}`,
              ]
            : []),
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

/**
 * The control directory `opts` asks for, made and checked private (see {@link DockerSshOptions.controlDir}):
 * the default one when none is given, none when it is false.
 */
export function resolveControlDir(opts: DockerSshOptions): string | false {
    if (opts.controlDir === false) return false;
    if (opts.controlDir === undefined) privateDir(runFilesDir());
    const dir = opts.controlDir ?? path.join(runFilesDir(), "ssh-mux");
    privateDir(dir);
    return dir;
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
        { host: dockerHostUrl(host), sshOpts: dockerSshOpts(host, { ...opts, controlDir: resolveControlDir(opts) }), ...(registryAuth.length > 0 ? { registryAuth } : {}) },
        resourceOpts,
    );
}

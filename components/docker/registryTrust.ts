import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import {
    ReloadMode,
    renderTrustRegistry,
    renderUntrustRegistry,
    validateDaemonJsonOptions,
} from "./daemonJson";

export interface RegistryTrustArgs {
    /**
     * SSH connection to the Docker host (see `remoteConnection`): its private key is a secret and
     * stays one. Required. Changing its `host` replaces the trust: the old host is untrusted first.
     */
    connection: command.types.input.remote.ConnectionArgs;
    /**
     * The registry to trust, `<host>:<port>` exactly as image references start (`192.168.1.11:5000`).
     * Required. It decides the scripts, so it is a plain string, not an Input.
     */
    endpoint: string;
    /**
     * The daemon's configuration file on the host. Defaults to `/etc/docker/daemon.json`. Must be
     * the file the running dockerd reads (`--config-file`); the script refuses another.
     */
    daemonJson?: string;
    /**
     * Directory on the host for the original file and the lock, kept from create to delete.
     * Defaults to `/var/lib/macvlan-lab`.
     */
    stateDir?: string;
    /**
     * Pid file of the dockerd to check and reload. Defaults to `/run/docker.pid`. Use each daemon's
     * own pid file when several run on one machine.
     */
    pidFile?: string;
    /**
     * The docker CLI on the host (`docker info` checks the live setting): a program or an argument
     * list. Defaults to `docker`.
     */
    dockerCommand?: string | string[];
    /**
     * "auto" reloads dockerd (SIGHUP or `systemctl reload docker`) and waits until it lists the
     * registry; create then fails when no dockerd runs. "none" only edits the file. Defaults to
     * "auto".
     */
    reload?: ReloadMode;
    /** Seconds to wait for dockerd to show the registry after a reload. Defaults to 10. */
    reloadTimeoutSeconds?: number;
}

/**
 * Makes one Docker host trust a plain-HTTP registry through `insecure-registries` in its
 * `daemon.json`: merged into the existing file, applied with a live reload (running containers are
 * not restarted), and undone on delete (the original bytes restored, or only this entry removed
 * when someone else changed the file since). One `remote.Command` child, `${name}-daemon-json`;
 * any change to the scripts or the host replaces it, deleting (untrusting) before creating.
 */
export class RegistryTrust extends pulumi.ComponentResource {
    /** The trusted registry, `<host>:<port>`. */
    public readonly endpoint: string;
    public readonly command: command.remote.Command;
    /** What the trust script printed on the host. */
    public readonly stdout: pulumi.Output<string>;

    constructor(name: string, args: RegistryTrustArgs, opts?: pulumi.ComponentResourceOptions) {
        super("macvlan-lab:docker:RegistryTrust", name, {}, opts);
        const { connection, ...options } = args;
        const errors = validateDaemonJsonOptions(options);
        if (errors.length > 0) {
            throw new pulumi.ResourceError(`RegistryTrust ${name}: ${errors.join("; ")}`, this);
        }
        this.endpoint = args.endpoint;
        const create = renderTrustRegistry(options);
        const del = renderUntrustRegistry(options);
        this.command = new command.remote.Command(
            `${name}-daemon-json`,
            {
                connection,
                create,
                delete: del,
                // any change replaces the command: the old delete untrusts, then the new create
                // trusts (only host and port of the connection: the key stays out of the triggers)
                triggers: [create, del, pulumi.all([connection.host, connection.port]).apply(([h, p]) => `${h}:${p ?? 22}`)],
            },
            { parent: this, deleteBeforeReplace: true, dependsOn: opts?.dependsOn },
        );
        this.stdout = this.command.stdout;
        this.registerOutputs({ endpoint: this.endpoint, stdout: this.stdout });
    }
}

import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import {
    DaemonScriptOptions,
    parseInspection,
    planDaemonConfig,
    renderApply,
    renderInspect,
    renderRestore,
    validateDaemonScriptOptions,
} from "./daemonJson";
import { notRunScripts, renderCaTrust } from "./registryTls";
import { InstalledLibrary, dependencies, scriptCommand, sshEndpointOf } from "../scripts/command";
import { registrySecurity } from "./registrySecurity";

/** The shell library a host's commands source (components/scripts/command.ts). */
export type { InstalledLibrary };

export interface RegistryTrustArgs {
    /**
     * SSH connection to the Docker host (see `remoteConnection`): its private key is a secret and
     * stays one. Required. Another `host` or `port` replaces the trust: the old host's is undone first.
     */
    connection: command.types.input.remote.ConnectionArgs;
    /**
     * The registry, `<host>:<port>` exactly as image references start (`192.168.1.11:5000`).
     * Required. It decides the scripts, so it is a plain string.
     */
    endpoint: string;
    /**
     * "insecure": the endpoint is merged into `insecure-registries` of daemon.json and dockerd
     * reloaded (SIGHUP). "tls": daemon.json must not list it (removed when it does) and dockerd
     * verifies the registry's certificate. Required.
     */
    security: "insecure" | "tls";
    /**
     * Move `--insecure-registry` flags of the docker unit and its drop-ins into daemon.json and
     * restart dockerd once (containers with a restart policy come back); delete restores the unit and
     * restarts again. Defaults to false: a flag that conflicts is an error naming the file and line.
     */
    migrateUnitFlag?: boolean;
    /** The host's shell library (`HostLibrary`). Required: every command here sources it. */
    library: InstalledLibrary;
    /** daemon.json on the host. Defaults to `/etc/docker/daemon.json` (must be the file dockerd reads). */
    daemonJson?: string;
    /**
     * The state directory on the host (the lock). Defaults to `/var/lib/macvlan-lab`; must be the
     * library's.
     */
    stateDir?: string;
    /** dockerd's pid file. Defaults to `/run/docker.pid`. */
    pidFile?: string;
    /** dockerd's systemd unit. Defaults to `docker.service`. */
    unit?: string;
    /** Seconds to wait for dockerd after telling it (a restart waits 6 times as long). Defaults to 10. */
    reloadTimeoutSeconds?: number;
    /**
     * With "tls": the registry's CA certificate (PEM), written to
     * `/etc/docker/certs.d/<endpoint>/ca.crt` (dockerd reads it at each connection: no reload). A
     * new CA replaces that command. Required with "tls", not allowed with "insecure".
     */
    caCertificate?: pulumi.Input<string>;
}

/**
 * Makes one Docker host's daemon configuration fit the registry: `insecure-registries` of
 * daemon.json for an insecure registry, none for a TLS one, and the unit's `--insecure-registry`
 * flags moved when asked. Nothing but POSIX sh and coreutils runs on the host: daemon.json is
 * decided in TypeScript (components/docker/daemonJson.ts).
 *
 * Children: `${name}-inspect` reads the files (read-only; no delete; its output a secret, and so the
 * scripts made from it), `${name}-daemon-json` writes
 * what the program decided when the files are still as read, and puts the original bytes back on
 * delete when they still hold what it wrote. A change of the options re-reads (the inspect is
 * replaced, and with it the write, undone first).
 */
export class RegistryTrust extends pulumi.ComponentResource {
    /** The registry, `<host>:<port>`. */
    public readonly endpoint: string;
    public readonly inspect: command.remote.Command;
    public readonly daemonConfig: command.remote.Command;
    /** With "tls": the CA in /etc/docker/certs.d/<endpoint>/ca.crt. */
    public readonly caTrust?: command.remote.Command;
    /** What pushes and pulls of this host wait for. */
    public readonly ready: pulumi.Resource[];
    /** What the apply printed on the host. */
    public readonly stdout: pulumi.Output<string>;

    constructor(name: string, args: RegistryTrustArgs, opts?: pulumi.ComponentResourceOptions) {
        super("macvlan-lab:docker:RegistryTrust", name, {}, opts);
        const o: DaemonScriptOptions = {
            endpoint: args.endpoint,
            security: args.security,
            daemonJson: args.daemonJson,
            stateDir: args.stateDir,
            pidFile: args.pidFile,
            unit: args.unit,
            reloadTimeoutSeconds: args.reloadTimeoutSeconds,
            libraryDir: args.library.dir,
        };
        const errors = validateDaemonScriptOptions(o);
        if (errors.length > 0) {
            throw new pulumi.ResourceError(`RegistryTrust ${name}: ${errors.join("; ")}`, this);
        }
        this.endpoint = args.endpoint;
        const migrate = args.migrateUnitFlag ?? false;
        const endpoint = sshEndpointOf(args.connection);
        const inspect = renderInspect({ ...o, migrate });
        // the library, and what the component itself waits for (the preflight): children do not
        // inherit a component's dependsOn
        const deps = { parent: this, dependsOn: dependencies(opts?.dependsOn), deleteBeforeReplace: true };
        const library = args.library;
        this.inspect = scriptCommand(
            `${name}-inspect`,
            // another option or host reads the files again (and the write is redone after its undo)
            { connection: args.connection, scripts: { create: inspect.script, identity: inspect.identity }, endpoint, library },
            // never read again in place: a new library version changes the script's text only, and
            // a second read would see the files as this trust wrote them, not as they were. What it
            // read (daemon.json and unit files, byte for byte) is host configuration: a secret in the
            // state, and so is everything made from it (issue 27)
            { ...deps, ignoreChanges: ["create"], additionalSecretOutputs: ["stdout"] },
        );
        const scripts = pulumi.all([this.inspect.stdout, this.inspect.urn]).apply(([stdout, urn]) => {
            // no output: only under `pulumi destroy --run-program` when the read never ran (its command
            // is not in the state); nothing is written or undone then, and the scripts fail if they run
            if (stdout === undefined) return notRunScripts(`daemon.json for ${args.endpoint}`, args.library.dir, `${name}-inspect`);
            const plan = planDaemonConfig({ endpoint: args.endpoint, security: args.security, migrate }, parseInspection(stdout));
            const again = `pulumi up --replace '${urn}' (the trust reads the files again and decides anew)`;
            const apply = renderApply(o, plan, again);
            const restore = renderRestore(o, plan);
            return { create: apply.script, delete: restore.script, identity: `${apply.identity} ${restore.identity}` };
        });
        this.daemonConfig = scriptCommand(
            `${name}-daemon-json`,
            {
                connection: args.connection,
                scripts: {
                    // secret, as the read they come from: they hold the files' bytes
                    create: pulumi.secret(scripts.create),
                    delete: pulumi.secret(scripts.delete),
                    // what it writes and restores (not the library's version: a new library only runs
                    // create again); a digest, kept plain so that a stack made before the read was
                    // secret sees the same trigger and is not replaced
                    identity: pulumi.unsecret(scripts.identity),
                },
                endpoint,
                library,
            },
            deps,
        );
        this.ready = [this.daemonConfig];
        if (registrySecurity(args.security).hasCa) {
            if (args.caCertificate === undefined) {
                throw new pulumi.ResourceError(`RegistryTrust ${name}: security tls needs caCertificate (the registry's CA, PEM)`, this);
            }
            const ca = pulumi.output(args.caCertificate).apply((pem) =>
                pem === ""
                    ? notRunScripts(`trust the registry CA for ${args.endpoint}`, args.library.dir, "the registry's certificate command")
                    : renderCaTrust({ endpoint: args.endpoint, ca: pem, stateDir: args.stateDir, libraryDir: args.library.dir }),
            );
            this.caTrust = scriptCommand(
                `${name}-ca`,
                // the CA in the triggers (through the identity): a new CA replaces the trust, the old removed first
                { connection: args.connection, scripts: { create: ca.create, delete: ca.delete, identity: ca.identity }, endpoint, library },
                // after the daemon.json step (and removed before it is undone): both keep their
                // records in one state directory, and the scripts take its lock besides
                { ...deps, dependsOn: [...deps.dependsOn, this.daemonConfig] },
            );
            this.ready.push(this.caTrust);
        } else if (args.caCertificate !== undefined) {
            throw new pulumi.ResourceError(`RegistryTrust ${name}: caCertificate is for security tls; an insecure registry has no CA`, this);
        }
        this.stdout = this.daemonConfig.stdout;
        this.registerOutputs({ endpoint: this.endpoint, stdout: this.stdout });
    }
}

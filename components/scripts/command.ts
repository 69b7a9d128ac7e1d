/**
 * The one seam between a rendered script and a host: what a remote command's scripts are
 * ({@link ScriptSet}), how they are rendered from the shell library ({@link renderScriptSet},
 * {@link renderOneScript}) and the one function that turns them into a `remote.Command`
 * ({@link scriptCommand}). Every remote command of the components goes through it: the host steps
 * (components/host), the registry's TLS and trust (components/docker), its readiness wait, the
 * connectivity checks, the verify, the preflight and the library's own install.
 *
 * What the function decides, the same for every command: the connection (its key a secret, as
 * `remoteConnection` made it), the scripts of each action, `triggers` made of what the scripts act
 * on (their identity), the SSH endpoint and what else must replace the command, in that order (a
 * command with none of them has no triggers), `dependsOn` that starts with the shell library's
 * `ready` when the scripts source it, and the rest of the options as the caller gives them
 * (`deleteBeforeReplace` for a command whose delete undoes its create, `ignoreChanges` and
 * `additionalSecretOutputs` for a read whose output is host configuration).
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { renderScript, scriptIdentity } from "./index";

/** One input of a thin script: a lower-case shell variable name and its value (single-quoted by the renderer). */
export type ScriptVar = readonly [string, string | number];

/** The inputs of a thin script, in order. */
export type ScriptVars = readonly ScriptVar[];

/** What a script of a remote command does: make it so, undo it, or compare (read-only). */
export type ScriptAction = "create" | "delete" | "check";

/**
 * The scripts of one remote command: one per action it has, and what identifies them for
 * `triggers` (their title and inputs, not the library's version: another library changes the
 * scripts alone, an update; another identity replaces the command).
 */
export type ScriptSet<A extends ScriptAction = ScriptAction> = { readonly [K in A]: string } & { readonly identity: string };

/** The scripts of a piece of host networking: create, delete and check. */
export interface HostScripts {
    /** Makes it so (idempotent). */
    create: string;
    /** Undoes what create did, leaving the host as before create. */
    delete: string;
    /** Changes nothing; prints the drift and exits non-zero when there is any. */
    check: string;
    /**
     * What the scripts act on (their title and inputs, not the library's version): the command's
     * trigger. Another value replaces the command (its old delete first).
     */
    identity: string;
}

/** A create/delete pair and what identifies it for `triggers`. */
export interface CommandScripts {
    create: string;
    delete: string;
    identity: string;
}

/** One rendered script and what identifies it for `triggers` (its inputs, not the library). */
export interface RenderedScript {
    script: string;
    identity: string;
}

/** The shell library on a host (a `HostLibrary`, or anything with its directory and install command). */
export interface InstalledLibrary {
    /** The library's directory on the host. */
    dir: string;
    /** What a command that sources it depends on. */
    ready: pulumi.Resource[];
}

/** What a set of thin scripts is made of: the same inputs and modules, one list of calls per action. */
export interface ScriptSetSpec<A extends ScriptAction> {
    /** What the scripts do, for people; each script's title is `<title>: <action>`. */
    title: string;
    /** The library directory on the host (or components/scripts, for tests). */
    libraryDir: string;
    vars: ScriptVars;
    /** Library modules they source after prelude.sh. */
    modules: readonly string[];
    /** Per action, in the order the set lists them, the calls its script makes. */
    calls: { readonly [K in A]: readonly string[] };
}

/** The scripts of one command, one per action of `s.calls` (see {@link renderScript}); identity from title and inputs. Pure. */
export function renderScriptSet<A extends ScriptAction>(s: ScriptSetSpec<A>): ScriptSet<A> {
    const out: Record<string, string> = {};
    for (const action of Object.keys(s.calls) as A[]) {
        out[action] = renderScript({ title: `${s.title}: ${action}`, libraryDir: s.libraryDir, vars: s.vars, modules: s.modules, calls: s.calls[action] });
    }
    return { ...out, identity: scriptIdentity(s.title, s.vars) } as ScriptSet<A>;
}

/** One thin script under its own title (a read, a step whose create and delete have titles of their own). Pure. */
export function renderOneScript(title: string, libraryDir: string, vars: ScriptVars, modules: readonly string[], calls: readonly string[]): RenderedScript {
    return { script: renderScript({ title, libraryDir, vars, modules, calls }), identity: scriptIdentity(title, vars) };
}

/** `<host>:<port>` of a connection (port 22 when it names none), for `triggers`. */
export function sshEndpointOf(connection: command.types.input.remote.ConnectionArgs): pulumi.Output<string> {
    return pulumi.all([connection.host, connection.port]).apply(([h, p]) => `${h}:${p ?? 22}`);
}

/** What {@link scriptCommand} makes a remote command of. */
export interface ScriptCommandArgs {
    /** The host's SSH connection (`remoteConnection`: its key a secret). */
    connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
    /**
     * The scripts: `create`; `delete` when the command undoes something; `identity` (first of the
     * triggers) when another one must replace the command. Values may be outputs (scripts made from
     * another command's output) or secrets (scripts holding a host's files).
     */
    scripts: { create: pulumi.Input<string>; delete?: pulumi.Input<string>; identity?: pulumi.Input<string> };
    /** The SSH endpoint (`<address>:<port>`, {@link sshEndpointOf}): another host replaces the command. Defaults to none. */
    endpoint?: pulumi.Input<string>;
    /** What else replaces the command (after the identity and the endpoint in `triggers`). Defaults to none. */
    triggers?: pulumi.Input<unknown>[];
    /** What the create (and update) reads on stdin: a bundle of files, a secret. Defaults to none. */
    stdin?: pulumi.Input<string>;
    /** Which output streams reach Pulumi's log. Defaults to the provider's default (left out). */
    logging?: "stdout" | "stderr" | "stdoutAndStderr" | "none";
    /** The shell library the scripts source: the command depends on its `ready` first. Defaults to none. */
    library?: InstalledLibrary;
}

/**
 * The remote command of a set of scripts (see the module comment). `opts` are the command's
 * options as the caller decides them (`parent` is required: every command is a component's child);
 * its `dependsOn` (a list or one resource) follows the library's `ready`.
 */
export function scriptCommand(name: string, args: ScriptCommandArgs, opts: pulumi.CustomResourceOptions & { parent: pulumi.Resource }): command.remote.Command {
    const triggers = [
        ...(args.scripts.identity !== undefined ? [args.scripts.identity] : []),
        ...(args.endpoint !== undefined ? [args.endpoint] : []),
        ...(args.triggers ?? []),
    ];
    const given = opts.dependsOn;
    const dependsOn = args.library === undefined ? given : [...args.library.ready, ...dependencies(given)];
    return new command.remote.Command(
        name,
        {
            connection: args.connection,
            create: args.scripts.create,
            ...(args.scripts.delete !== undefined ? { delete: args.scripts.delete } : {}),
            ...(args.stdin !== undefined ? { stdin: args.stdin } : {}),
            ...(triggers.length > 0 ? { triggers } : {}),
            ...(args.logging !== undefined ? { logging: args.logging } : {}),
        },
        { ...opts, ...(dependsOn !== undefined ? { dependsOn } : {}) },
    );
}

/** A `dependsOn` as a list (a list, one resource, or none). */
export function dependencies(
    d: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource> | undefined,
): pulumi.Input<pulumi.Resource>[] {
    if (d === undefined) return [];
    if (Array.isArray(d)) return d;
    if (pulumi.Resource.isInstance(d)) return [d];
    throw new Error("dependsOn of a component must be a resource or a list of resources, not an Output");
}

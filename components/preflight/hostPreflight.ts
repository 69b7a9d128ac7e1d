import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { PreflightFacts, renderPreflight } from "./render";
import { scriptCommand } from "../scripts/command";

export interface HostPreflightArgs {
    /** The host's SSH connection (see `remoteConnection`); its key stays a secret. */
    connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
    /**
     * What the stack will put on the host (`preflightFactsOf` gives it from a validated spec): the
     * script that checks the host against it is rendered from it, and only reads the host.
     */
    facts: pulumi.Input<PreflightFacts>;
}

/**
 * The read-only preflight of one host: runs components/scripts/preflight/preflight.sh over SSH
 * before anything of the stack changes, and fails with one line per problem (what was found, the
 * fix) when the host cannot take the stack. Everything that changes a host should depend on the
 * preflights of every host (`MacvlanLab` does, the shell library's install included), so one host's
 * problem stops the whole apply before any change on any host.
 *
 * Why not from the shell library like the other scripts: installing the library is a change (it
 * makes the state directory and `lib/<id>`), and the preflight's promise is that nothing changes
 * until every host passed. So its create is a thin script of the host's inputs and preflight.sh
 * travels on the command's stdin (with the tables of the stack's objects), run by `eval` in the
 * login shell: nothing is written on the host. The create stays under 1 KB, so a failed preflight's
 * error, which quotes its create, does not bury the PROBLEM lines. It runs again whenever what it
 * checks changes (its create or stdin), and has no delete: it never changed anything.
 */
export class HostPreflight extends pulumi.ComponentResource {
    /** The remote command; depend on it to wait for a passed preflight. */
    public readonly command: command.remote.Command;

    constructor(name: string, args: HostPreflightArgs, opts?: pulumi.ComponentResourceOptions) {
        super("macvlan-lab:preflight:HostPreflight", name, {}, opts);
        const script = pulumi.output(args.facts).apply((f) => renderPreflight(f as PreflightFacts));
        this.command = scriptCommand(
            `${name}-check`,
            {
                connection: args.connection,
                scripts: { create: script.create },
                stdin: script.stdin,
                // the report is the point: both streams reach pulumi's output (no secret in them)
                logging: "stdoutAndStderr",
            },
            { parent: this },
        );
        this.registerOutputs({ report: this.command.stdout });
    }
}

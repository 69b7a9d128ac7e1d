import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { PreflightFacts, renderPreflight } from "./render";

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
 * The read-only preflight of one host: runs the preflight script (components/preflight/preflight.sh) over SSH before anything of
 * the stack changes, and fails with one line per problem (what was found, the fix) when the host
 * cannot take the stack. Everything that changes a host should depend on the preflights of every
 * host (`MacvlanLab` does), so one host's problem stops the whole apply before any change. It runs
 * again whenever what it checks changes (its script), and has no delete: it never changed anything.
 */
export class HostPreflight extends pulumi.ComponentResource {
    /** The remote command; depend on it to wait for a passed preflight. */
    public readonly command: command.remote.Command;

    constructor(name: string, args: HostPreflightArgs, opts?: pulumi.ComponentResourceOptions) {
        super("macvlan-lab:preflight:HostPreflight", name, {}, opts);
        this.command = new command.remote.Command(
            `${name}-check`,
            {
                connection: args.connection,
                create: pulumi.output(args.facts).apply((f) => renderPreflight(f as PreflightFacts)),
                // the report is the point: both streams reach pulumi's output (no secret in them)
                logging: "stdoutAndStderr",
            },
            { parent: this },
        );
        this.registerOutputs({ report: this.command.stdout });
    }
}

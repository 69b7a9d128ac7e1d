import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { InstalledLibrary, scriptCommand } from "../scripts/command";
import { DriftRow, HostVerifyInput, parseHostVerify, renderHostVerify } from "./render";

export interface HostVerifyArgs {
    /** SSH connection to the host (its private key a secret). Required. */
    connection: command.types.input.remote.ConnectionArgs;
    /** The host's shell library (the script sources `checks/verify.sh` from it). Required. */
    library: InstalledLibrary;
    /**
     * The request: a verify runs when it is made and whenever this value changes (`pulumi up -c
     * macvlan-lab:verify=<anything new>`), and at no other time. Required, not empty.
     */
    request: string;
    /** What the host should look like (its steps' checks, Docker objects, registry trust). Required. */
    input: pulumi.Input<Omit<HostVerifyInput, "libraryDir">>;
    /** What the verify runs after (every step it checks). Defaults to none. */
    after?: pulumi.Resource[];
}

/**
 * Verifies one host against the stack, read-only: one `remote.Command` (`${name}-read`) whose create runs
 * every host step's check and reads the Docker objects and the registry trust
 * (components/verify/render.ts). It runs when it is made and when `request` changes (its trigger),
 * never on a change of the stack alone (`ignoreChanges: create`: the next request uses the stack as
 * it is then), and it has nothing to undo. Its findings: `rows`.
 */
export class HostVerify extends pulumi.ComponentResource {
    public readonly command: command.remote.Command;
    /** What the last verify found: one row per difference (empty: the host is as declared). */
    public readonly rows: pulumi.Output<DriftRow[]>;
    /** How many checks the last verify ran, and whether it ran to the end. */
    public readonly summary: pulumi.Output<{ steps: number; complete: boolean }>;

    constructor(name: string, args: HostVerifyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("macvlan-lab:verify:HostVerify", name, {}, opts);
        if (args.request === "") {
            throw new pulumi.ResourceError(`HostVerify ${name}: request is empty; give the value of the verify request`, this);
        }
        const script = pulumi.output(args.input).apply((i) => renderHostVerify({ ...(i as Omit<HostVerifyInput, "libraryDir">), libraryDir: args.library.dir }));
        this.command = scriptCommand(
            `${name}-read`,
            { connection: args.connection, scripts: { create: script }, triggers: [args.request], logging: "stdoutAndStderr", library: args.library },
            { parent: this, dependsOn: args.after ?? [], ignoreChanges: ["create"] },
        );
        const parsed = this.command.stdout.apply((o) => parseHostVerify(o ?? ""));
        this.rows = parsed.apply((p) => p.rows);
        this.summary = parsed.apply((p) => ({ steps: p.steps, complete: p.complete }));
        this.registerOutputs({ rows: this.rows, summary: this.summary });
    }
}

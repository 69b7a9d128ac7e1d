import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { LabSpec } from "../spec/types";
import { LabContainer } from "./container";
import { HostLibrary } from "../scripts/hostLibrary";
import { casesBySourceHost, CheckRow, checkCases, parseCheckOutput, renderPingCheck, resolveCheckCases } from "./checks";

export interface ConnectivityCheckArgs {
    /** The lab: its containers, their networks and the `checks` settings (connectivity, isolation, count, timeout). */
    spec: LabSpec;
    /** `<host>/<container>` -> the container resource; the checks run after all of them and read their addresses. */
    containers: Record<string, LabContainer>;
    /** Host name -> the SSH connection the host's checks run over (private key a secret). */
    connections: Record<string, command.types.input.remote.ConnectionArgs>;
    /** Host name -> the host's shell library (the checks source it and run after it). */
    libraries: Record<string, HostLibrary>;
    /**
     * Resources the checks run after besides the containers: the host shims and the router, whose
     * host rows and routed pairs the matrix holds (from `spec.shims` and `spec.router`). Defaults to none.
     */
    after?: pulumi.Resource[];
}

/**
 * The tutorial's verification as part of `pulumi up`: on every host that has a source container,
 * one remote command pings, from each container, each container of the same network on the other
 * hosts, and checks that the isolation pairs do NOT reach each other; with host shims, each host
 * pings its own containers through them; with a router, containers ping across the routed networks
 * (reachable where the policy allows the pair, unreachable elsewhere). Any result other than the
 * expected one fails the update with a message naming source, target and network. It runs again
 * whenever a container is made anew (its id is a trigger: the command is replaced) or the script
 * changes (an update runs it again).
 */
export class ConnectivityCheck extends pulumi.ComponentResource {
    /** Host name -> the check command run there. */
    public readonly commands: Record<string, command.remote.Command> = {};
    /** Every case: source, target, network, expected, observed. */
    public readonly matrix: pulumi.Output<CheckRow[]>;

    constructor(name: string, args: ConnectivityCheckArgs, opts?: pulumi.ComponentResourceOptions) {
        super("macvlan-lab:docker:ConnectivityCheck", name, {}, opts);
        const { spec } = args;
        const planned = checkCases(spec.containers, spec.checks.isolation, {
            connectivity: spec.checks.connectivity,
            shims: spec.shims ?? [],
            ...(spec.router ? { router: spec.router } : {}),
        });
        const addresses = pulumi
            .all(Object.entries(args.containers).map(([key, c]) => c.address.apply((a) => [key, a] as const)))
            .apply((pairs) => Object.fromEntries(pairs));
        const everyContainer = Object.values(args.containers).map((c) => c.container);
        const ids = everyContainer.map((c) => c.id);
        for (const [host, cases] of casesBySourceHost(planned)) {
            const library = args.libraries[host];
            if (library === undefined || args.connections[host] === undefined) {
                throw new pulumi.ResourceError(`ConnectivityCheck ${name}: no connection or shell library was given for ${host}`, this);
            }
            const script = addresses.apply((a) =>
                renderPingCheck(resolveCheckCases(cases, a), {
                    count: spec.checks.count,
                    timeoutSeconds: spec.checks.timeoutSeconds,
                    libraryDir: library.dir,
                }),
            );
            this.commands[host] = new command.remote.Command(
                `${name}-${host}`,
                {
                    connection: args.connections[host],
                    // another script (cases, settings, library) is an update: the pings run again
                    create: script,
                    // a container made anew (its id) makes a new check: the pings run again
                    triggers: ids,
                    logging: "stdoutAndStderr",
                },
                { parent: this, dependsOn: [...library.ready, ...everyContainer, ...(args.after ?? [])] },
            );
        }
        this.matrix = pulumi
            .all(Object.values(this.commands).map((c) => c.stdout))
            // a check that never ran has no stdout under `pulumi destroy --run-program`: no rows
            .apply((outs) => outs.flatMap((o) => (o === undefined ? [] : parseCheckOutput(o))));
        this.registerOutputs({ matrix: this.matrix });
    }
}

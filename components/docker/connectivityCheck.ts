import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { LabSpec } from "../model/types";
import { LabContainer } from "./container";
import { HostLibrary } from "../scripts/hostLibrary";
import { scriptCommand } from "../scripts/command";
import { casesBySourceHost, CheckRow, checkCases, parseCheckOutput, renderPingCheck, resolveCheckCases } from "./checks";

export interface ConnectivityCheckArgs {
    /** The lab: its containers, their networks and the `checks` settings (connectivity, isolation, count, timeout). */
    spec: LabSpec;
    /** `<host>/<container>` -> the container resource; each host's checks run after those their pings involve and read their addresses. */
    containers: Record<string, LabContainer>;
    /** Host name -> the SSH connection the host's checks run over (private key a secret). */
    connections: Record<string, command.types.input.remote.ConnectionArgs>;
    /** Host name -> the host's shell library (the checks source it and run after it). */
    libraries: Record<string, HostLibrary>;
    /**
     * Resources the checks of every host run after besides their containers: the router, whose
     * routed pairs the matrix holds (from `spec.router`). Defaults to none.
     */
    after?: pulumi.Resource[];
    /**
     * Host name -> what that host's checks run after besides `after` and their containers: its host
     * shims, whose host rows the matrix holds (from `spec.shims`). Defaults to none.
     */
    afterOnHost?: Record<string, pulumi.Resource[]>;
}

/**
 * The tutorial's verification as part of `pulumi up`: on every host that has a source container,
 * one remote command pings, from each container, each container of the same network on the other
 * hosts, and checks that the isolation pairs do NOT reach each other; with host shims, each host
 * pings its own containers through them; with a router, containers ping across the routed networks
 * (reachable where the policy allows the pair, unreachable elsewhere). Any result other than the
 * expected one fails the update with a message naming source, target and network. It runs again
 * (an update) whenever its script changes: other cases, settings, or a container its pings involve
 * made anew (a digest of their ids is in the script). Adding a host or a container elsewhere adds
 * rows where they concern this host and changes nothing else; a check is never replaced.
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
        for (const [host, cases] of casesBySourceHost(planned)) {
            // the containers this host's pings involve (sources here, targets anywhere): the check
            // waits for them and reads their addresses, and a digest of their ids goes into the
            // script, so one made anew is an update that pings again, and a container elsewhere that
            // these pings do not touch changes nothing here, not even the check's dependencies
            const involved = [...new Set(cases.flatMap((c) => [`${c.sourceHost}/${c.source}`, `${c.targetHost}/${c.target}`]))]
                .sort()
                .flatMap((key) => (args.containers[key] ? [[key, args.containers[key]] as const] : []));
            const addresses = pulumi
                .all(involved.map(([key, c]) => c.address.apply((a) => [key, a] as const)))
                .apply((pairs) => Object.fromEntries(pairs));
            const revision = pulumi
                .all(involved.map(([, c]) => c.container.id))
                .apply((ids) => createHash("sha256").update(ids.join("\n")).digest("hex").slice(0, 16));
            const library = args.libraries[host];
            if (library === undefined || args.connections[host] === undefined) {
                throw new pulumi.ResourceError(`ConnectivityCheck ${name}: no connection or shell library was given for ${host}`, this);
            }
            const script = pulumi.all([addresses, revision]).apply(([a, rev]) =>
                renderPingCheck(resolveCheckCases(cases, a), {
                    count: spec.checks.count,
                    timeoutSeconds: spec.checks.timeoutSeconds,
                    libraryDir: library.dir,
                    revision: rev,
                }),
            );
            this.commands[host] = scriptCommand(
                `${name}-${host}`,
                {
                    connection: args.connections[host],
                    // another script (cases, settings, library, a container made anew) is an
                    // update: the pings run again; nothing replaces a check (it has nothing to undo)
                    scripts: { create: script },
                    logging: "stdoutAndStderr",
                    library,
                },
                { parent: this, dependsOn: [...involved.map(([, c]) => c.container), ...(args.after ?? []), ...(args.afterOnHost?.[host] ?? [])] },
            );
        }
        this.matrix = pulumi
            .all(Object.values(this.commands).map((c) => c.stdout))
            // a check that never ran has no stdout under `pulumi destroy --run-program`: no rows
            .apply((outs) => outs.flatMap((o) => (o === undefined ? [] : parseCheckOutput(o))));
        this.registerOutputs({ matrix: this.matrix });
    }
}

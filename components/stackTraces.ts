import { LabSpec } from "./model/types";

/**
 * How many Docker resources (containers, plus one network per host it spans) a stack declares before
 * the program stops V8 from recording a stack trace for every new Error. Below it, nothing changes.
 *
 * Why: the Node SDK wraps every promise it tracks in `debuggablePromise` (runtime/debuggable.js of
 * @pulumi/pulumi 3.248), which records `new Error().stack` for each one. That trace is read only
 * when PULUMI_DEBUG_PROMISE_LEAKS is set, but it is always made: 4 promises per input property of
 * every resource, about 280 for one docker.Container. Measured with `npm run bench:program`, the
 * capture and formatting of those traces are most of the time a large stack takes to declare, and
 * the strings most of its memory. With `Error.stackTraceLimit` at 0, V8 records nothing.
 * The SDK's source positions of resources are not affected (it raises the limit for its own
 * capture, resource.js `callsites`).
 *
 * The cost of the switch: an unexpected exception (a bug, not a validation error: those are
 * RunErrors, printed without a stack anyway) is printed with its message but without the lines it
 * came from. Small stacks keep full traces; `MACVLAN_LAB_STACK_TRACES=full` keeps them on any stack.
 */
export const LEAN_STACK_TRACES_FROM = 250;

/** What the program does about stack traces, and the sentence it logs when it turns them off. */
export interface StackTraceMode {
    /** True: set `Error.stackTraceLimit` to 0 for the rest of the run. */
    lean: boolean;
    /** Why, for the log (empty when nothing changes and nothing needs saying). */
    reason: string;
}

/** The Docker resources of a stack as {@link LEAN_STACK_TRACES_FROM} counts them. Pure. */
export function dockerResourceCount(spec: Pick<LabSpec, "containers" | "networks">): number {
    return spec.containers.length + spec.networks.reduce((sum, n) => sum + n.hosts.length, 0);
}

/**
 * Decides the mode from the spec and the environment. Pure. `MACVLAN_LAB_STACK_TRACES` is `full`
 * (keep traces), `lean` (drop them on any size), or unset (by size); PULUMI_DEBUG_PROMISE_LEAKS,
 * which prints the very traces the switch drops, keeps them. Any other value is an error.
 */
export function stackTraceMode(spec: Pick<LabSpec, "containers" | "networks">, env: Readonly<Record<string, string | undefined>>): StackTraceMode {
    const setting = env.MACVLAN_LAB_STACK_TRACES;
    if (setting !== undefined && setting !== "" && setting !== "full" && setting !== "lean") {
        throw new Error(`MACVLAN_LAB_STACK_TRACES is ${JSON.stringify(setting)}; use full (keep stack traces), lean (drop them) or leave it unset (dropped from ${LEAN_STACK_TRACES_FROM} Docker resources)`);
    }
    if (env.PULUMI_DEBUG_PROMISE_LEAKS) {
        return { lean: false, reason: "" };
    }
    const count = dockerResourceCount(spec);
    if (setting === "full" || (setting !== "lean" && count < LEAN_STACK_TRACES_FROM)) {
        return { lean: false, reason: "" };
    }
    const why =
        setting === "lean"
            ? "MACVLAN_LAB_STACK_TRACES=lean"
            : `the stack declares ${count} Docker resources (containers and per-host networks; from ${LEAN_STACK_TRACES_FROM})`;
    return {
        lean: true,
        reason: `stack traces off for this run (${why}): the Pulumi SDK would record one for every promise it tracks; an unexpected error is printed without its trace; MACVLAN_LAB_STACK_TRACES=full keeps them`,
    };
}

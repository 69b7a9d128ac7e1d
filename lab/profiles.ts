/**
 * Lab host profiles: hosts that are not clean, made on purpose, so that what the program does on a
 * real user's hosts can be seen on this machine. `npm run lab -- <stack> --profile <name>`.
 *
 * - `tutorial-leftovers`: the hosts as the tutorial leaves them: the tutorial's own Docker objects
 *   from its commands: every
 *   macvlan network of the stack made by hand (`docker network create -d macvlan ...`, no label),
 *   every container of the stack run from plain `busybox` with its static address, and the
 *   tutorial's registry (`docker run -d -p <port>:5000 --restart always --name registry registry:2`)
 *   on the registry host. The preflight reports each with its fix, and nothing changes; once the
 *   fixes are applied, the apply succeeds.
 */
import { LabHosts } from "./hosts";
import { LoadedStack } from "./topology";

export const PROFILES = ["tutorial-leftovers"] as const;
export type Profile = (typeof PROFILES)[number];

export function isProfile(s: string): s is Profile {
    return (PROFILES as readonly string[]).includes(s);
}

/**
 * The tutorial's commands for the stack's Docker objects, per host, as argv lists. Pure.
 * Networks first, then containers, then the registry.
 */
export function tutorialLeftovers(stack: LoadedStack): Record<string, string[][]> {
    const spec = stack.spec;
    const out: Record<string, string[][]> = Object.fromEntries(spec.hosts.map((h) => [h.name, [] as string[][]]));
    for (const n of spec.networks) {
        for (const h of n.hosts) {
            out[h].push(["docker", "network", "create", "-d", n.driver, "--subnet", n.subnet, "--gateway", n.gateway, "-o", `parent=${n.parents[h]}`, n.name]);
        }
    }
    for (const c of spec.containers) {
        out[c.host].push(["docker", "run", "-d", "--name", c.name, "--network", c.network, ...(c.ip !== undefined ? ["--ip", c.ip] : []), "busybox:latest", "sleep", "86400"]);
    }
    if (spec.registry) {
        out[spec.registry.host].push(["docker", "run", "-d", "-p", `${spec.registry.port}:5000`, "--restart", "always", "--name", "registry", "registry:2"]);
    }
    return out;
}

/** Applies `profile` to the lab's hosts (after hostsUp, before the first apply). */
export async function applyProfile(profile: Profile, lab: LabHosts, stack: LoadedStack, log: (l: string) => void): Promise<void> {
    if (profile !== "tutorial-leftovers") return;
    const leftovers = tutorialLeftovers(stack);
    for (const h of lab.hosts) {
        for (const argv of leftovers[h.name] ?? []) {
            const r = await lab.exec(h.name, argv, { timeoutMs: 60_000 });
            if (r.code !== 0) throw new Error(`[${h.name}] profile ${profile}: ${argv.join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
            log(`[${h.name}] profile ${profile}: ${argv.join(" ")}`);
        }
    }
}

/**
 * Lab host profiles: hosts that are not clean, made on purpose, so that what the program does on a
 * real user's hosts can be seen on this machine. `npm run lab -- <stack> --profile <name>`.
 *
 * - `tutorial-leftovers`: the hosts as the tutorial leaves them on CentOS 7: no python3 on any
 *   path (lab/profiles/hide-python.sh: an overlay of /usr/bin whose whiteouts remove every
 *   `python*` entry, in the host's own mount namespace only), dockerd run by a docker.service that
 *   passes the tutorial's `--insecure-registry <registry>` (lab/systemd: the systemctl stand-in,
 *   dockerd restarted through it), and the tutorial's own Docker objects from its commands: every
 *   macvlan network of the stack made by hand (`docker network create -d macvlan ...`, no label),
 *   every container of the stack run from plain `busybox` with its static address, and the
 *   tutorial's registry (`docker run -d -p <port>:5000 --restart always --name registry registry:2`)
 *   on the registry host. The preflight reports each with its fix, and nothing changes; once the
 *   fixes are applied, the apply succeeds.
 */
import * as fs from "fs";
import * as path from "path";
import { LabHosts } from "../hosts";
import { installDockerUnit } from "../systemd";
import { LoadedStack } from "../topology";

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

/** The flags the tutorial puts in each host's docker unit: `--insecure-registry <registry>`. Pure. */
export function tutorialUnitFlags(stack: LoadedStack): string[] {
    const r = stack.spec.registry;
    return r === undefined ? [] : ["--insecure-registry", r.endpoint];
}

/** lab/profiles/hide-python.sh: hides every python of the host it runs in (see the file). */
export const HIDE_PYTHON_SCRIPT = path.join(__dirname, "hide-python.sh");

/** Applies `profile` to the lab's hosts (after hostsUp, before the first apply). */
export async function applyProfile(profile: Profile, lab: LabHosts, stack: LoadedStack, log: (l: string) => void): Promise<void> {
    if (profile !== "tutorial-leftovers") return;
    const flags = tutorialUnitFlags(stack);
    const leftovers = tutorialLeftovers(stack);
    for (const h of lab.hosts) {
        const hide = await lab.exec(h.name, ["sh", "-s"], { timeoutMs: 30_000, input: fs.readFileSync(HIDE_PYTHON_SCRIPT, "utf8") });
        if (hide.code !== 0) throw new Error(`[${h.name}] profile ${profile}: hiding python failed (${hide.code}): ${hide.stderr.trim()}`);
        log(`[${h.name}] profile ${profile}: ${hide.stdout.trim()} (an overlay on /usr/bin in the host's mount namespace)`);
        if (flags.length > 0) {
            await installDockerUnit(lab, h.name, flags);
            log(`[${h.name}] profile ${profile}: dockerd runs from /etc/systemd/system/docker.service with ${flags.join(" ")} (systemctl stand-in)`);
        }
        for (const argv of leftovers[h.name] ?? []) {
            const r = await lab.exec(h.name, argv, { timeoutMs: 60_000 });
            if (r.code !== 0) throw new Error(`[${h.name}] profile ${profile}: ${argv.join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
            log(`[${h.name}] profile ${profile}: ${argv.join(" ")}`);
        }
    }
}

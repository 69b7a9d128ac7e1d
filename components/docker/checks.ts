/**
 * Connectivity checks between containers: pure derivation of the check matrix, a pure renderer of
 * the script that runs one host's pings, and a pure parser of that script's output.
 *
 * Target addresses: a container without a static address gets one from Docker when it starts, so
 * it cannot be known when the matrix is derived. {@link checkCases} therefore leaves `targetIp`
 * unset for such targets; the component resolves every case's address from the container
 * resources' outputs (a `pulumi.Input`, see {@link resolveCheckCases}) and renders the script
 * inside an `apply`, so {@link renderPingCheck} always receives plain, resolved strings.
 */
import { shellJoin } from "../shell";
import { CheckRow, DEFAULT_STATE_DIR, IPV4, Reachability, containerKey, isolationPairProblem, routedIsolationProblem, routerAllows } from "../contracts";
import { installedLibraryDir, renderScript } from "../scripts";
import { DOCKER_NAME, HOST_NAME, SAFE_ABSOLUTE_PATH } from "../model/names";

export { CheckRow, Observed, Reachability, containerKey } from "../contracts";

/**
 * The `source` of a ping that runs on the host itself, not in a container (a host row: the host
 * reaching its own containers through its shim). Its matrix row names the host alone.
 */
export const HOST_SOURCE = "-";

/** One ping, from a container on the host that runs the script (or the host) to a container's address. */
export interface PingCase {
    /** Host of the source container: the host that runs the script. */
    sourceHost: string;
    /** Source container name (`docker exec` runs the ping in it), or {@link HOST_SOURCE} for the host itself. */
    source: string;
    /** Host of the target container (for messages and the matrix). */
    targetHost: string;
    /** Target container name (for messages and the matrix). */
    target: string;
    /** Target address, resolved: an IPv4 address. */
    targetIp: string;
    /**
     * The network the ping crosses: the shared network for connectivity cases, `<from>-><to>`
     * for isolation cases between two networks.
     */
    network: string;
    expect: Reachability;
}

/** A case as {@link checkCases} derives it: the target address is unknown when it is not static. */
export interface PlannedCheck extends Omit<PingCase, "targetIp"> {
    /** The target's static address; undefined when Docker picks it at run time. */
    targetIp?: string;
}

/** A container as the checks see it. */
export interface CheckContainer {
    name: string;
    host: string;
    network: string;
    /** Static address; undefined when Docker picks one from the host's range. */
    ip?: string;
}

/** A pair that must NOT reach each other: both `<host>/<container>`. */
export interface IsolationPair {
    from: string;
    to: string;
}

/** Settings of the ping script. */
export interface PingCheckOptions {
    /**
     * Echo replies a ping waits for (`ping -c`, with `-A`: the next request goes as soon as a reply
     * came), 1 to 20. Defaults to 3.
     */
    count?: number;
    /**
     * Seconds a ping expected to be answered may take at most (`ping -w`), 1 to 60. Defaults to 5.
     * A ping expected to get no reply (an isolation check) stops after 1 s: on a LAN a
     * reply takes milliseconds, and waiting longer would only delay every `pulumi up`.
     */
    timeoutSeconds?: number;
    /**
     * The docker CLI: a program, or an argument list such as `["docker", "-H", "unix:///x.sock"]`.
     * Defaults to `docker`.
     */
    dockerCommand?: string | readonly string[];
    /**
     * Where the host's shell library is (`HostLibrary.dir`). Defaults to where it is installed for
     * the default state directory, `/var/lib/macvlan-lab/lib/<id>`.
     */
    libraryDir?: string;
    /**
     * What the pings are checking, beyond their cases: `ConnectivityCheck` passes a digest of the
     * ids of the containers they involve, so a container made anew changes the script and the
     * command's update runs the pings again. Written into the script as `checked`. Defaults to none.
     */
    revision?: string;
}

/** What routing the checks know of: host shims and the router's policy. */
export interface RoutingChecks {
    /** Host shims: each host pings its own containers of the shim's network through it. */
    shims?: ReadonlyArray<{ host: string; network: string }>;
    /**
     * The router: every container of a routed network pings every container of the other routed
     * networks, expecting "reachable" for an allowed pair and "unreachable" for any other.
     */
    router?: { networks: readonly string[]; allow: ReadonlyArray<readonly [string, string]> };
}

/**
 * The check matrix of a lab. Connectivity (unless `connectivity` is false): every container pings
 * every other container on the same network on the OTHER hosts (the tutorial's verification;
 * containers on the same host are not checked). Isolation: each pair expects "unreachable".
 * Host rows (`routing.shims`): the host pings each of its containers on the shim's network
 * (network label `host-><network>`). Routed pairs (`routing.router`): every container pings every
 * container of another routed network (label `<from>-><to>`), reachable exactly when the policy
 * allows the pair; an isolation pair already among them is not repeated.
 * Throws when an isolation pair names an unknown container or breaks the isolation rule
 * (`isolationPairProblem` in contracts.ts, which the validation applies too), or is a pair the
 * router lets through.
 */
export function checkCases(
    containers: readonly CheckContainer[],
    isolation: readonly IsolationPair[] = [],
    opts: { connectivity?: boolean } & RoutingChecks = {},
): PlannedCheck[] {
    const cases: PlannedCheck[] = [];
    const ip = (c: CheckContainer) => (c.ip !== undefined ? { targetIp: c.ip } : {});
    if (opts.connectivity ?? true) {
        for (const s of containers) {
            for (const t of containers) {
                if (t.host !== s.host && t.network === s.network) {
                    cases.push({
                        sourceHost: s.host,
                        source: s.name,
                        targetHost: t.host,
                        target: t.name,
                        network: s.network,
                        expect: "reachable",
                        ...ip(t),
                    });
                }
            }
        }
    }
    const byKey = new Map(containers.map((c) => [containerKey(c), c]));
    isolation.forEach((pair, i) => {
        const from = byKey.get(pair.from);
        const to = byKey.get(pair.to);
        for (const [field, key, c] of [["from", pair.from, from], ["to", pair.to, to]] as const) {
            if (c === undefined) {
                throw new Error(`isolation[${i}].${field} ${key} is not a container of the lab; name one as <host>/<container>`);
            }
        }
        if (from === undefined || to === undefined) {
            return;
        }
        const problem = isolationPairProblem(from, to, `isolation[${i}].from`);
        if (problem !== undefined) {
            throw new Error(`isolation[${i}].to ${pair.to} ${problem}`);
        }
        if (opts.router && routerAllows(opts.router.allow, from.network, to.network)) {
            throw new Error(`isolation[${i}] ${JSON.stringify(`${pair.from} -> ${pair.to}`)} ${routedIsolationProblem(from.network, to.network)}`);
        }
        cases.push({
            sourceHost: from.host,
            source: from.name,
            targetHost: to.host,
            target: to.name,
            network: `${from.network}->${to.network}`,
            expect: "unreachable",
            ...ip(to),
        });
    });
    for (const shim of opts.shims ?? []) {
        for (const t of containers) {
            if (t.host === shim.host && t.network === shim.network) {
                cases.push({ sourceHost: shim.host, source: HOST_SOURCE, targetHost: t.host, target: t.name, network: `host->${shim.network}`, expect: "reachable", ...ip(t) });
            }
        }
    }
    const router = opts.router;
    if (router) {
        const seen = new Set(cases.map((c) => `${c.sourceHost}/${c.source} ${c.targetHost}/${c.target}`));
        for (const s of containers) {
            for (const t of containers) {
                if (s.network === t.network || !router.networks.includes(s.network) || !router.networks.includes(t.network)) continue;
                if (seen.has(`${s.host}/${s.name} ${t.host}/${t.name}`)) continue;
                cases.push({
                    sourceHost: s.host,
                    source: s.name,
                    targetHost: t.host,
                    target: t.name,
                    network: `${s.network}->${t.network}`,
                    expect: routerAllows(router.allow, s.network, t.network) ? "reachable" : "unreachable",
                    ...ip(t),
                });
            }
        }
    }
    return cases;
}

/**
 * Fills in every case's target address: its static one, or `addresses[<host>/<container>]` (the
 * address Docker gave the target, from its container resource). Throws when one is missing.
 */
export function resolveCheckCases(cases: readonly PlannedCheck[], addresses: Readonly<Record<string, string>>): PingCase[] {
    return cases.map((c) => {
        const key = `${c.targetHost}/${c.target}`;
        const targetIp = c.targetIp ?? addresses[key];
        if (targetIp === undefined || targetIp === "") {
            throw new Error(
                `no address is known for ${key}, the target of ${c.sourceHost}/${c.source} on ${c.network}; is the container running and attached to ${c.network}?`,
            );
        }
        return { ...c, targetIp };
    });
}

/** Cases grouped by the host that runs them, in first-seen order. */
export function casesBySourceHost<T extends { sourceHost: string }>(cases: readonly T[]): Map<string, T[]> {
    const m = new Map<string, T[]>();
    for (const c of cases) {
        const list = m.get(c.sourceHost) ?? [];
        list.push(c);
        m.set(c.sourceHost, list);
    }
    return m;
}

/** A network label: printable, no tab (the output's separator), not empty. */
const NETWORK_LABEL = /^[a-zA-Z0-9_.>-]{1,128}$/;

/** Every problem with the cases and options, one sentence each; empty when they can be rendered. */
export function validatePingCheck(cases: readonly PingCase[], opts: PingCheckOptions = {}): string[] {
    const errors: string[] = [];
    if (opts.revision !== undefined && !/^[0-9a-f]{1,64}$/.test(opts.revision)) {
        errors.push(`revision ${JSON.stringify(opts.revision)} is not a hex digest`);
    }
    const hosts = new Set(cases.map((c) => c.sourceHost));
    if (hosts.size > 1) {
        errors.push(`the cases come from several hosts (${[...hosts].join(", ")}); render one script per source host`);
    }
    cases.forEach((c, i) => {
        const p = `cases[${i}]`;
        for (const [field, v] of [["sourceHost", c.sourceHost], ["targetHost", c.targetHost]] as const) {
            if (!HOST_NAME.test(v)) errors.push(`${p}.${field} ${JSON.stringify(v)} is not a host name`);
        }
        for (const [field, v] of [["source", c.source], ["target", c.target]] as const) {
            if (!DOCKER_NAME.test(v) && !(field === "source" && v === HOST_SOURCE)) errors.push(`${p}.${field} ${JSON.stringify(v)} is not a container name`);
        }
        if (!IPV4.test(c.targetIp)) {
            errors.push(`${p}.targetIp ${JSON.stringify(c.targetIp)} (${c.targetHost}/${c.target}) is not an IPv4 address`);
        }
        if (!NETWORK_LABEL.test(c.network)) errors.push(`${p}.network ${JSON.stringify(c.network)} is not a network name`);
        if (c.expect !== "reachable" && c.expect !== "unreachable") {
            errors.push(`${p}.expect ${JSON.stringify(c.expect)} is not "reachable" or "unreachable"`);
        }
    });
    const count = opts.count ?? 3;
    if (!Number.isInteger(count) || count < 1 || count > 20) errors.push(`count ${count} is not a whole number from 1 to 20`);
    const wait = opts.timeoutSeconds ?? 5;
    if (!Number.isInteger(wait) || wait < 1 || wait > 60) errors.push(`timeoutSeconds ${wait} is not a whole number from 1 to 60`);
    const dc = opts.dockerCommand ?? "docker";
    const argv = typeof dc === "string" ? [dc] : dc;
    if (argv.length === 0 || argv[0] === "" || argv.some((a) => /[\0\n]/.test(a))) {
        errors.push(`dockerCommand ${JSON.stringify(dc)} is not a command`);
    }
    if (opts.libraryDir !== undefined && (!SAFE_ABSOLUTE_PATH.test(opts.libraryDir) || opts.libraryDir === "/")) {
        errors.push(`libraryDir ${JSON.stringify(opts.libraryDir)} is not an absolute path of safe characters ([a-zA-Z0-9_./-], no ..)`);
    }
    return errors;
}

/** Seconds an expected-unreachable ping waits at most (see {@link PingCheckOptions.timeoutSeconds}). */
export const UNREACHABLE_WAIT_SECONDS = 1;

/** A word the docker argument list can hold without quotes when it is split again by the shell. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,.\/-]+$/;

/**
 * The script that runs one host's pings (components/scripts/checks/ping.sh): its settings as
 * variables, one `start` line per case, then `checks_end`. Each case runs
 * `docker exec <source> ping -c <count> -A -w <deadline> <ip>`, all cases at once, each bounded
 * (killed by `timeout` after count + timeout + 10 s where the host has it), never stopping at a
 * failure. Per case, in the order given, it prints one machine-readable line,
 * `CHECK\t<sourceHost>/<source>\t<targetHost>/<target>\t<network>\t<expected>\t<observed>\t<ip>`,
 * and one line for people; it exits 1 when any observed result differs from the expected one,
 * naming source, target and network of each on stderr. All cases must share one source host.
 */
export function renderPingCheck(cases: readonly PingCase[], opts: PingCheckOptions = {}): string {
    const errors = validatePingCheck(cases, opts);
    if (errors.length > 0) {
        throw new Error(`invalid connectivity checks:\n  ${errors.join("\n  ")}`);
    }
    const count = opts.count ?? 3;
    const wait = opts.timeoutSeconds ?? 5;
    const quick = Math.min(wait, UNREACHABLE_WAIT_SECONDS);
    const dc = opts.dockerCommand ?? "docker";
    const argv = typeof dc === "string" ? [dc] : [...dc];
    const host = cases[0]?.sourceHost ?? "this host";
    return renderScript({
        title: `connectivity checks from ${host}`,
        libraryDir: opts.libraryDir ?? installedLibraryDir(DEFAULT_STATE_DIR),
        vars: [
            ["host", host],
            ["count", count],
            ["wait", wait],
            ["quick", quick],
            ["limit", count + wait + 10],
            // shell words, split again by ping.sh (plain words need no quotes)
            ["docker_argv", argv.every((a) => PLAIN_WORD.test(a)) ? argv.join(" ") : shellJoin(argv)],
            ...(opts.revision !== undefined ? [["checked", opts.revision] as [string, string]] : []),
        ],
        modules: ["checks/ping.sh"],
        quotedLines: cases.map(
            (c) => `start ${shellJoin([c.sourceHost, c.source, c.targetHost, c.target, c.targetIp, c.network, c.expect])}`,
        ),
        calls: ["checks_end"],
    });
}

/**
 * The rows of the `CHECK` lines in a ping script's output, in order; other lines are ignored.
 * Throws on a `CHECK` line that does not have the script's form.
 */
export function parseCheckOutput(stdout: string): CheckRow[] {
    const rows: CheckRow[] = [];
    for (const raw of stdout.split("\n")) {
        const line = raw.replace(/\r$/, "");
        if (!line.startsWith("CHECK\t")) {
            continue;
        }
        const f = line.split("\t");
        const [, source, target, network, expected, observed, targetIp] = f;
        if (
            f.length !== 7 ||
            (expected !== "reachable" && expected !== "unreachable") ||
            (observed !== "reachable" && observed !== "unreachable" && observed !== "error")
        ) {
            throw new Error(`malformed check line ${JSON.stringify(line)}: expected CHECK, source, target, network, expected, observed, address`);
        }
        rows.push({ source, target, network, targetIp, expected, observed, ok: expected === observed });
    }
    return rows;
}

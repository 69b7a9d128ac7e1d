/**
 * A round trip between the lab's controller and its hosts (`npm run lab -- <stack> --rtt <ms>`,
 * `npm run bench:lab -- --rtt 0,50,100`): the delaying relay (relay.ts) started in the controller's
 * network namespace, and iptables rules there that send every TCP connection to a host's SSH port
 * and to the registry's port through it (and refuse any other TCP connection from the controller to
 * a host, so nothing reaches a host without the delay). See README.md beside this file.
 *
 * The pure parts (targets, routes, the iptables command lines, the lines printed, the CLI value) are
 * exported for tests; `ensureRtt`, `startRttRelay`, `stopRttRelay`, `readRelayCounts` do the I/O.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { transpileTree } from "../build";
import { REPO_ROOT } from "../paths";
import type { LabHosts } from "../hosts";
import { cmdline, isAlive, run, sleep, terminate } from "../hosts/proc";
import { RELAY_LIMITS, RelayConfig, RelayCounts, RelayRoute } from "./relay";

export type { RelayCounts, RelayRoute, RouteCounts } from "./relay";

/**
 * The group id the relay runs with. The controller's iptables rules leave the sockets of this group
 * alone (`-m owner ! --gid-owner`), so the relay's own connections to the hosts are not redirected
 * back to it. Nothing else in the controller runs with it (pulumi, ssh, ansible run as root, gid 0).
 */
export const RELAY_GID = 64024;
/** The relay's first listening port on the controller's 127.0.0.1 (one port per route, counting up). */
export const RELAY_BASE_PORT = 40100;
/** The largest round trip `--rtt` takes. */
export const RTT_MAX_MS = 5000;
/** The iptables chain (in the nat and filter tables of the controller's namespace). */
export const RTT_CHAIN = "MVL_RTT";

/** A TCP destination the controller talks to: a host's sshd or the registry. */
export interface RttTarget {
    host: string;
    port: number;
    label: "ssh" | "registry";
}

/** The relay as it runs for a lab (its config, with the pid). */
export interface RelayHandle {
    pid: number;
    rttMs: number;
    routes: RelayRoute[];
    dir: string;
}

/** `--rtt` value -> milliseconds; undefined when it is not a whole number from 0 to RTT_MAX_MS. Pure. */
export function parseRtt(text: string | undefined): number | undefined {
    if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined;
    const n = Number(text);
    return n <= RTT_MAX_MS ? n : undefined;
}

/**
 * What the controller talks to on a lab: every host's SSH port (the command provider, the Docker
 * provider's ssh, the tutorial script, Ansible) and the registry's port (the Docker provider's digest
 * check runs where Pulumi runs), each once. Pure.
 */
export function rttTargets(hosts: ReadonlyArray<{ address: string; sshPort: number }>, registry?: { address: string; port: number }): RttTarget[] {
    const out: RttTarget[] = [];
    const seen = new Set<string>();
    const add = (t: RttTarget) => {
        const key = `${t.host}:${t.port}`;
        if (seen.has(key)) return;
        seen.add(key);
        out.push(t);
    };
    for (const h of hosts) add({ host: h.address, port: h.sshPort, label: "ssh" });
    if (registry !== undefined) add({ host: registry.address, port: registry.port, label: "registry" });
    return out;
}

/** One listener per target, on RELAY_BASE_PORT and up, in the targets' order. Pure. */
export function relayRoutes(targets: readonly RttTarget[], basePort = RELAY_BASE_PORT): RelayRoute[] {
    return targets.map((t, i) => ({ listenPort: basePort + i, host: t.host, port: t.port, label: t.label }));
}

/**
 * The iptables command lines (run in the controller's namespace) that send the controller's
 * connections to each route's real address through the relay, and refuse (TCP reset) a new
 * connection to any of `hostAddresses` that no route covers: nothing reaches a host undelayed. The
 * relay's own sockets (group `gid`) are left alone. `-w`: wait for the xtables lock. Pure.
 */
export function iptablesUp(routes: readonly RelayRoute[], hostAddresses: readonly string[], gid = RELAY_GID): string[][] {
    const ipt = (...a: string[]) => ["iptables", "-w", "5", ...a];
    const notRelay = ["-m", "owner", "!", "--gid-owner", String(gid)];
    return [
        ipt("-t", "nat", "-N", RTT_CHAIN),
        ...routes.map((r) => ipt("-t", "nat", "-A", RTT_CHAIN, "-d", `${r.host}/32`, "-p", "tcp", "--dport", String(r.port), ...notRelay, "-j", "REDIRECT", "--to-ports", String(r.listenPort))),
        ipt("-t", "nat", "-A", "OUTPUT", "-j", RTT_CHAIN),
        ipt("-t", "filter", "-N", RTT_CHAIN),
        // after the nat table: a redirected connection is to 127.0.0.1 here, anything else is refused
        ...[...new Set(hostAddresses)].map((a) => ipt("-t", "filter", "-A", RTT_CHAIN, "-d", `${a}/32`, "-p", "tcp", "--syn", ...notRelay, "-j", "REJECT", "--reject-with", "tcp-reset")),
        ipt("-t", "filter", "-A", "OUTPUT", "-j", RTT_CHAIN),
    ];
}

/** The command lines that remove what {@link iptablesUp} added (each may fail when it is not there). Pure. */
export function iptablesDown(): string[][] {
    const ipt = (...a: string[]) => ["iptables", "-w", "5", ...a];
    return ["nat", "filter"].flatMap((t) => [ipt("-t", t, "-D", "OUTPUT", "-j", RTT_CHAIN), ipt("-t", t, "-F", RTT_CHAIN), ipt("-t", t, "-X", RTT_CHAIN)]);
}

/** The line every run on a delayed lab prints. Pure. */
export function delayLine(rttMs: number, routes: readonly RelayRoute[]): string {
    const what = routes.map((r) => `${r.host}:${r.port} (${r.label})`).join(", ");
    return (
        `DELAYED: every TCP connection from the controller to ${what} goes through a relay that adds a round trip of ${rttMs} ms ` +
        `(half each way, and the handshake's 1.5 round trips; this kernel has no netem; lab/rtt); any other TCP connection from the controller to a host is refused`
    );
}

/** The line a run prints when it removes a relay that an earlier run started. Pure. */
export function undelayLine(rttMs: number): string {
    return `no --rtt: the relay of an earlier run (a round trip of ${rttMs} ms) is stopped; the controller reaches the hosts directly again`;
}

/** Where a lab's relay keeps its config, counts and log: `<lab state dir>/rtt/` (removed with the lab). */
export function relayDir(lab: Pick<LabHosts, "stateDir">): string {
    return path.join(lab.stateDir, "rtt");
}

function files(dir: string) {
    return { config: path.join(dir, "relay.json"), counts: path.join(dir, "counts.json"), log: path.join(dir, "relay.log"), pid: path.join(dir, "relay.pid") };
}

/** The relay transpiled to JavaScript once per content (lab/build.ts); the path of relay.js. */
export function relayScript(): string {
    return path.join(transpileTree("rtt", [path.join(REPO_ROOT, "lab", "rtt", "relay.ts")]), "lab", "rtt", "relay.js");
}

/** The relay that runs for `lab`, undefined when none does (its pid gone, or another process by now). */
export function relayStatus(lab: Pick<LabHosts, "stateDir">): RelayHandle | undefined {
    const dir = relayDir(lab);
    const f = files(dir);
    try {
        const pid = Number(fs.readFileSync(f.pid, "utf8").trim());
        const config = JSON.parse(fs.readFileSync(f.config, "utf8")) as RelayConfig;
        if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid) || !cmdline(pid).includes(f.config)) return undefined;
        return { pid, rttMs: config.rttMs, routes: config.routes, dir };
    } catch {
        return undefined;
    }
}

/** The counts the lab's relay wrote last, undefined when there is no relay. */
export function readRelayCounts(lab: Pick<LabHosts, "stateDir">): RelayCounts | undefined {
    try {
        return JSON.parse(fs.readFileSync(files(relayDir(lab)).counts, "utf8")) as RelayCounts;
    } catch {
        return undefined;
    }
}

/** Connections opened per label (`ssh`, `registry`) between two readings of the counts. Pure. */
export function openedBetween(before: RelayCounts | undefined, after: RelayCounts | undefined): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, c] of Object.entries(after?.routes ?? {})) {
        out[c.label] = (out[c.label] ?? 0) + c.opened - (before?.routes[key]?.opened ?? 0);
    }
    return out;
}

/** Connections opened per `<host>:<port>` between two readings of the counts. Pure. */
export function openedByRoute(before: RelayCounts | undefined, after: RelayCounts | undefined): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, c] of Object.entries(after?.routes ?? {})) out[key] = c.opened - (before?.routes[key]?.opened ?? 0);
    return out;
}

async function inController(lab: LabHosts, argv: string[]) {
    return run(["nsenter", `--net=/run/netns/${lab.controllerNetns}`, "--", ...argv], { timeoutMs: 20_000 });
}

/**
 * Starts the relay for `lab` (after stopping one that runs) with a round trip of `rttMs` to each of
 * `targets`, then installs the iptables rules. The relay runs detached in the controller's network
 * namespace with group RELAY_GID; it stops when the lab is torn down (the tear-down stops every
 * process of the controller's namespace) or, at the latest, when the controller's keeper is gone.
 */
export async function startRttRelay(lab: LabHosts, targets: readonly RttTarget[], rttMs: number, log: (l: string) => void = () => undefined): Promise<RelayHandle> {
    await stopRttRelay(lab);
    const dir = relayDir(lab);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const f = files(dir);
    const routes = relayRoutes(targets);
    const config: RelayConfig = { rttMs, routes, countsFile: f.counts, watchPid: lab.controllerKeeperPid, ...RELAY_LIMITS };
    fs.writeFileSync(f.config, `${JSON.stringify(config, null, 2)}\n`);
    fs.rmSync(f.counts, { force: true });
    const script = relayScript();
    const out = fs.openSync(f.log, "a");
    const child = spawn(
        "nsenter",
        [`--net=/run/netns/${lab.controllerNetns}`, "--", "setpriv", `--regid=${RELAY_GID}`, "--clear-groups", "--", process.execPath, script, f.config],
        { detached: true, stdio: ["ignore", out, out] },
    );
    fs.closeSync(out);
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error("the rtt relay did not start (no pid)");
    fs.writeFileSync(f.pid, `${pid}\n`);
    // listening once it wrote its first counts (bounded)
    const deadline = Date.now() + 10_000;
    for (;;) {
        const c = readRelayCounts(lab);
        if (c !== undefined && c.pid === pid) break;
        if (!isAlive(pid) || Date.now() > deadline) {
            await terminate([pid], 2_000);
            const tail = fs.existsSync(f.log) ? fs.readFileSync(f.log, "utf8").trim().split("\n").slice(-5).join("\n") : "";
            throw new Error(`the rtt relay did not come up in ${lab.controllerNetns}${tail ? `:\n${tail}` : ""}`);
        }
        await sleep(50);
    }
    for (const argv of iptablesUp(routes, lab.hosts.map((h) => h.address))) {
        const r = await inController(lab, argv);
        if (r.code !== 0) {
            await stopRttRelay(lab);
            throw new Error(`the rtt relay's iptables rule failed in ${lab.controllerNetns}: ${argv.join(" ")}: ${(r.stderr || r.stdout).trim()}`);
        }
    }
    log(delayLine(rttMs, routes));
    return { pid, rttMs, routes, dir };
}

/** Removes the rules and stops the lab's relay; returns the relay that ran, if one did. */
export async function stopRttRelay(lab: LabHosts): Promise<RelayHandle | undefined> {
    const running = relayStatus(lab);
    for (const argv of iptablesDown()) await inController(lab, argv);
    if (running !== undefined) await terminate([running.pid], 3_000);
    fs.rmSync(files(relayDir(lab)).pid, { force: true });
    return running;
}

/**
 * What `npm run lab` does with `--rtt`: a relay with that round trip (the running one when it has the
 * same round trip and routes, a new one otherwise); without `--rtt`, an earlier run's relay is
 * stopped. Prints the delay line on every run with a relay.
 */
export async function ensureRtt(lab: LabHosts, targets: readonly RttTarget[], rttMs: number | undefined, log: (l: string) => void): Promise<RelayHandle | undefined> {
    const running = relayStatus(lab);
    if (rttMs === undefined) {
        if (running !== undefined) {
            await stopRttRelay(lab);
            log(undelayLine(running.rttMs));
        }
        return undefined;
    }
    const routes = relayRoutes(targets);
    if (running !== undefined && running.rttMs === rttMs && JSON.stringify(running.routes) === JSON.stringify(routes)) {
        log(delayLine(rttMs, routes));
        return running;
    }
    return startRttRelay(lab, targets, rttMs, log);
}

/**
 * Tearing a lab down, from its saved state or from its namespace names alone (after kill -9): per
 * host its containers, dockerd, sshd and keeper, then the namespaces, the containers' cgroups, stray
 * processes, bind mounts and the state directory.
 */
import * as fs from "fs";
import * as path from "path";
import { LAB_NAME } from "../../components/contracts";
import { allPids, cmdline, comm, isAlive, pidsInNetns, run, selfAndAncestors, sleep, terminate } from "./proc";
import { defaultStateDir } from "../paths";
import { CGROUP_ROOT, CONTROLLER_LABEL, HOST_ENV, forEachHost, readState } from "./state";
import { hostOfNamespace, namespacePrefix } from "./topology";
import { isKeeper, keeperMark } from "./daemons";
import type { HostsDownOptions } from "./types";

/**
 * Tears lab `name` down: per host, removes the containers, stops dockerd (waiting for it), stops
 * sshd and every other process of the host, kills what is left in the host's container cgroups,
 * deletes the namespaces, then the cgroups and the state directory. Idempotent; works from the
 * saved state, and without it from the namespace names (`<name>_*`) alone, e.g. after `kill -9`.
 */
export async function hostsDown(name: string, opts: HostsDownOptions = {}): Promise<void> {
    const log = opts.log ?? (() => undefined);
    if (!LAB_NAME.test(name)) throw new Error(`${JSON.stringify(name)} is not a lab name`);
    const stateDir = path.resolve(opts.stateDir ?? defaultStateDir(name));
    const state = readState(stateDir);
    const prefix = namespacePrefix(name);
    const names = new Set<string>();
    try {
        for (const n of fs.readdirSync("/run/netns")) if (n.startsWith(prefix)) names.add(n);
    } catch {
        /* no /run/netns: no namespaces */
    }
    const existing = (n: string) => fs.existsSync(`/run/netns/${n}`);
    if (state !== undefined) {
        for (const n of [state.switchNetns, state.controllerNetns, ...state.hosts.map((h) => h.netns)]) if (existing(n)) names.add(n);
    }
    const cgroups = cgroupDirs(name);
    if (names.size === 0 && cgroups.length === 0 && !fs.existsSync(stateDir)) {
        log(`lab ${name}: nothing to tear down`);
        return;
    }
    const t0 = Date.now();
    const self = selfAndAncestors();
    const hostNs = [...names].filter((n) => hostOfNamespace(name, n) !== undefined);
    await forEachHost(hostNs.map((n) => ({ name: hostOfNamespace(name, n) as string, netns: n })), (h) =>
        stopHost(name, h.name, h.netns, self, log),
    );
    for (const n of [...names].filter((x) => hostOfNamespace(name, x) === undefined)) {
        const pids = pidsInNetns(n).filter((p) => !self.has(p));
        if (pids.length > 0) {
            const what = [...new Set(pids.map((p) => (isKeeper(p, name, CONTROLLER_LABEL) ? "keeper" : comm(p))))].join(", ");
            log(`lab ${name}: stopping ${pids.length} process(es) in ${n} (${what})`);
            await terminate(pids, 5_000);
        }
        await run(["ip", "netns", "del", n]);
        log(`lab ${name}: netns ${n} deleted`);
    }
    // processes whose namespace is already gone (a kill -9 between steps): containers by cgroup,
    // keepers and daemons by their marks
    await killCgroups(name, undefined, log);
    const strays = findStrays(name, stateDir, self);
    if (strays.length > 0) {
        log(`lab ${name}: stopping ${strays.length} stray process(es) ${strays.join(", ")}`);
        await terminate(strays, 10_000);
    }
    await removeCgroups(name, log);
    for (const m of mountsUnder(stateDir)) {
        await run(["umount", "-l", m]);
        log(`lab ${name}: unmounted ${m}`);
    }
    if (!opts.keepState && fs.existsSync(stateDir)) {
        fs.rmSync(stateDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
        log(`lab ${name}: state ${stateDir} removed`);
    }
    log(`lab ${name}: down in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/**
 * Removes one host of a running lab and everything of it: its containers, dockerd, sshd, keeper
 * and every other process, its namespace, its containers' cgroups, stray processes that still see
 * its mounts, and its directory `dir`. The switch ports and the saved state are the caller's.
 * Throws when a process of it survives.
 */
export async function removeHost(lab: string, host: string, netns: string, dir: string, log: (l: string) => void): Promise<void> {
    const self = selfAndAncestors();
    await stopHost(lab, host, netns, self, log);
    const strays = findStrays(lab, dir, self, host);
    if (strays.length > 0) {
        log(`[${host}] stopping ${strays.length} stray process(es) ${strays.join(", ")}`);
        const left = await terminate(strays, 10_000);
        if (left.length > 0) throw new Error(`[${host}] processes ${left.join(", ")} did not exit`);
    }
    await removeCgroups(lab, log, host);
    for (const m of mountsUnder(dir)) await run(["umount", "-l", m]);
    if (fs.existsSync(`/run/netns/${netns}`)) throw new Error(`[${host}] netns ${netns} could not be deleted`);
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    log(`[${host}] removed (${dir} deleted)`);
}

/** Containers, dockerd, sshd and the keeper of one host, then its namespace. */
async function stopHost(lab: string, host: string, netns: string, self: Set<number>, log: (l: string) => void): Promise<void> {
    const inNs = () => pidsInNetns(netns).filter((p) => !self.has(p));
    let pids = inNs();
    const keeper = pids.find((p) => isKeeper(p, lab, host));
    const dockerds = pids.filter((p) => comm(p) === "dockerd");
    const entry = keeper ?? dockerds[0]; // any process in the host's mount namespace lets us in
    if (entry !== undefined && dockerds.length > 0) {
        const enter = (argv: string[], timeoutMs: number) =>
            run(["nsenter", "-t", String(entry), "-m", "-u", "-n", "--", ...argv], { timeoutMs, env: HOST_ENV });
        const ps = await enter(["docker", "ps", "-aq"], 20_000);
        const ids = ps.code === 0 ? ps.stdout.split(/\s+/).filter(Boolean) : [];
        if (ids.length > 0) {
            const rm = await enter(["docker", "rm", "-f", ...ids], 90_000);
            log(`[${host}] ${rm.code === 0 ? "removed" : "could not remove all of"} ${ids.length} container(s)${rm.code === 0 ? "" : `: ${rm.stderr.trim()}`}`);
        }
    }
    if (dockerds.length > 0) {
        const t = Date.now();
        const left = await terminate(dockerds, 30_000);
        log(`[${host}] dockerd ${dockerds.join(", ")} ${left.length === 0 ? "exited" : "did NOT exit"} after ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
    pids = inNs();
    if (pids.length > 0) {
        const what = [...new Set(pids.map((p) => (p === keeper ? "keeper" : comm(p))))].join(", ");
        const left = await terminate(pids, 5_000);
        log(`[${host}] stopped ${pids.length} process(es) (${what})${left.length > 0 ? `; still alive: ${left.join(", ")}` : ""}`);
    }
    await killCgroups(lab, host, log);
    await run(["ip", "netns", "del", netns]);
    log(`[${host}] netns ${netns} deleted`);
}

/** Every cgroup directory of lab `name` (deepest first), in every v1 hierarchy. */
function cgroupDirs(name: string, host?: string): string[] {
    const out: string[] = [];
    const walk = (dir: string) => {
        let entries: fs.Dirent[];
        try {
            entries = fs.readdirSync(dir, { withFileTypes: true });
        } catch {
            return;
        }
        for (const e of entries) if (e.isDirectory()) walk(path.join(dir, e.name));
        out.push(dir);
    };
    let hierarchies: string[] = [];
    try {
        hierarchies = fs.readdirSync(CGROUP_ROOT);
    } catch {
        /* no cgroups */
    }
    for (const hier of hierarchies) {
        const base = path.join(CGROUP_ROOT, hier, "macvlan-lab", name, ...(host === undefined ? [] : [host]));
        if (fs.existsSync(base)) walk(base);
    }
    return out;
}

/** Kills (SIGKILL) every process left in the lab's (or one host's) container cgroups. */
async function killCgroups(name: string, host: string | undefined, log: (l: string) => void): Promise<void> {
    const pids = new Set<number>();
    for (const dir of cgroupDirs(name, host)) {
        try {
            for (const p of fs.readFileSync(path.join(dir, "cgroup.procs"), "utf8").split("\n")) if (p !== "") pids.add(Number(p));
        } catch {
            /* gone */
        }
    }
    if (pids.size === 0) return;
    log(`[${host ?? name}] killing ${pids.size} orphaned container process(es)`);
    await terminate([...pids], 0);
}

/** Removes the cgroup directories of lab `name` (or of one of its hosts), waiting a little for busy ones. */
async function removeCgroups(name: string, log: (l: string) => void, host?: string): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
        const dirs = cgroupDirs(name, host);
        if (dirs.length === 0) break;
        for (const d of dirs) {
            try {
                fs.rmdirSync(d);
            } catch {
                /* busy for a moment after its processes exit */
            }
        }
        if (cgroupDirs(name, host).length === 0) break;
        await sleep(250);
    }
    const left = cgroupDirs(name, host);
    if (left.length > 0) log(`${host === undefined ? `lab ${name}` : `[${host}]`}: could not remove cgroups ${left.join(", ")}`);
    if (host !== undefined) return;
    for (const hier of fs.existsSync(CGROUP_ROOT) ? fs.readdirSync(CGROUP_ROOT) : []) {
        try {
            fs.rmdirSync(path.join(CGROUP_ROOT, hier, "macvlan-lab")); // only when no other lab uses it
        } catch {
            /* absent or in use */
        }
    }
}

/**
 * Processes of lab `name` that are outside its namespaces (a namespace deleted between steps of a
 * killed run): keepers by their argv[0], sshd by its log path in the state directory, and anything
 * whose mount table holds the state directory's bind mounts (every process of a host's mount
 * namespace). With `host`: only that host's (`stateDir` is then its directory).
 */
function findStrays(name: string, stateDir: string, self: Set<number>, host?: string): number[] {
    const out: number[] = [];
    const mark = `${stateDir}/`;
    for (const pid of allPids()) {
        if (self.has(pid) || !isAlive(pid)) continue;
        const c = cmdline(pid);
        if (c === "") continue; // kernel threads
        const keeper = host === undefined ? c.startsWith(keeperMark(name, "")) : isKeeper(pid, name, host);
        let hit = keeper || (comm(pid) === "sshd" && c.includes(mark));
        if (!hit) {
            try {
                hit = fs.readFileSync(`/proc/${pid}/mountinfo`, "utf8").split("\n").some((l) => (l.split(" ")[3] ?? "").startsWith(mark));
            } catch {
                /* gone */
            }
        }
        if (hit) out.push(pid);
    }
    return out;
}

/** Mount points of this mount namespace under `dir` (deepest first). */
function mountsUnder(dir: string): string[] {
    try {
        return fs
            .readFileSync("/proc/self/mountinfo", "utf8")
            .split("\n")
            .map((l) => l.split(" ")[4])
            .filter((m): m is string => m !== undefined && (m === dir || m.startsWith(`${dir}/`)))
            .reverse();
    } catch {
        return [];
    }
}

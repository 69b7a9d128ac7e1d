/**
 * The processes of the lab's hosts: each host's keeper (holding its mount and UTS namespaces), its
 * sshd and dockerd, commands run as the host, the images every host gets, and sshd on and off.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { RunResult, cmdline, isAlive, run, runOk, terminate, waitFor } from "./proc";
import { CONTROLLER_LABEL, HOST_ENV, HostState, LabState, containerCgroupParent, forEachHost, readState, writeState } from "./state";
import type { LabHost, LabHosts } from "./types";

const KEEPER_SCRIPT = path.join(__dirname, "host-keeper.sh");
const IMAGES_SCRIPT = path.join(__dirname, "build-images.sh");

/** The argv[0] of a keeper: `macvlan-lab-keeper:<lab>:<host>` (`@controller` for the controller). */
export function keeperMark(lab: string, host: string): string {
    return `macvlan-lab-keeper:${lab}:${host}`;
}

export function isKeeper(pid: number, lab: string, host: string): boolean {
    return cmdline(pid).split(" ")[0] === keeperMark(lab, host);
}

/**
 * Starts the keeper of a host (`label` = its name) or of the controller (`label` = `@controller`):
 * host-keeper.sh in the network namespace, in new mount + UTS namespaces; returns its pid.
 */
export async function startKeeper(lab: string, label: string, netns: string, dir: string): Promise<number> {
    const pidFile = path.join(dir, "keeper.pid");
    fs.rmSync(pidFile, { force: true });
    const out = fs.openSync(path.join(dir, "logs", "keeper.log"), "a");
    const propagation = label === CONTROLLER_LABEL ? "slave" : "private";
    const child = spawn(
        "nsenter",
        [`--net=/run/netns/${netns}`, "unshare", "--mount", "--uts", "--propagation", propagation, KEEPER_SCRIPT, lab, label, dir],
        { detached: true, stdio: ["ignore", out, out], env: HOST_ENV },
    );
    fs.closeSync(out);
    let exited: string | undefined;
    child.on("exit", (code, sig) => (exited = `exited ${code ?? sig}`));
    child.on("error", (e) => (exited = e.message));
    child.unref();
    return waitFor(`the keeper of ${label}`, 15_000, () => {
        if (exited !== undefined) throw new Error(`the keeper of ${label} ${exited}; see ${dir}/logs/keeper.log`);
        try {
            const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
            return pid > 0 && isKeeper(pid, lab, label) ? pid : undefined;
        } catch {
            return undefined;
        }
    });
}

export async function startHostKeeper(state: LabState, h: HostState, log: (l: string) => void): Promise<void> {
    h.keeperPid = await startKeeper(state.name, h.name, h.netns, h.dir);
    log(`[${h.name}] keeper pid ${h.keeperPid} holds the mount + UTS namespaces (hostname ${h.name}, private /etc /run /root /var/lib/docker ...)`);
}

export function execIn(h: Pick<HostState, "keeperPid">, argv: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    return run(["nsenter", "-t", String(h.keeperPid), "-m", "-u", "-n", "--", ...argv], { ...opts, env: HOST_ENV });
}

async function execOk(h: HostState, argv: readonly string[], timeoutMs = 60_000): Promise<string> {
    const r = await execIn(h, argv, { timeoutMs });
    if (r.code !== 0) throw new Error(`[${h.name}] ${argv.join(" ")} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
}

function readPid(file: string): number | undefined {
    try {
        const pid = Number(fs.readFileSync(file, "utf8").trim());
        return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
    } catch {
        return undefined;
    }
}

export async function startSshdOn(h: HostState, log: (l: string) => void): Promise<void> {
    const pidFile = path.join(h.dir, "fs", "run", "sshd.pid");
    fs.rmSync(pidFile, { force: true });
    // sshd binds, then daemonizes and writes /run/sshd.pid (the host's own /run).
    await execOk(h, ["/usr/sbin/sshd", "-f", "/etc/ssh/sshd_config", "-E", path.join(h.dir, "logs", "sshd.log")], 20_000);
    h.pidOfSshd = await waitFor(`sshd of ${h.name} to write /run/sshd.pid`, 10_000, () => readPid(pidFile));
    log(`[${h.name}] sshd listening on ${h.address}:${h.sshPort} (pid ${h.pidOfSshd}, key auth only), log ${h.dir}/logs/sshd.log`);
}

export async function startDockerd(state: LabState, h: HostState, log: (l: string) => void): Promise<void> {
    const pidFile = path.join(h.dir, "fs", "run", "docker.pid");
    const logFile = path.join(h.dir, "logs", "dockerd.log");
    fs.rmSync(pidFile, { force: true });
    const out = fs.openSync(logFile, "a");
    const argv = [
        "dockerd",
        "--config-file", "/etc/docker/daemon.json",
        "--data-root", "/var/lib/docker",
        "--exec-root", "/run/docker",
        "--pidfile", "/run/docker.pid",
        "--host", "unix:///run/docker.sock",
        "--cgroup-parent", containerCgroupParent(state.name, h.name),
    ];
    // setsid -f: dockerd runs in its own session, detached from us; its output goes to the log.
    const child = spawn("nsenter", ["-t", String(h.keeperPid), "-m", "-u", "-n", "--", "setsid", "-f", ...argv], {
        stdio: ["ignore", out, out],
        env: HOST_ENV,
    });
    fs.closeSync(out);
    const code = await new Promise<number>((resolve) => {
        child.on("error", () => resolve(127));
        child.on("exit", (c) => resolve(c ?? 128));
    });
    if (code !== 0) throw new Error(`[${h.name}] could not start dockerd (${code}); see ${logFile}`);
    const t = Date.now();
    h.pidOfDockerd = await waitFor(`dockerd of ${h.name} to write /run/docker.pid (log ${logFile})`, 30_000, () => readPid(pidFile));
    const version = await waitFor(`dockerd of ${h.name} to answer docker info (log ${logFile})`, 60_000, async () => {
        if (!isAlive(h.pidOfDockerd)) throw new Error(`dockerd of ${h.name} exited; see ${logFile}`);
        const r = await execIn(h, ["docker", "info", "--format", "{{.ServerVersion}}"], { timeoutMs: 10_000 });
        return r.code === 0 ? r.stdout.trim() : undefined;
    }, 250);
    log(`[${h.name}] dockerd ${version} answers after ${((Date.now() - t) / 1000).toFixed(1)} s (pid ${h.pidOfDockerd}), log ${logFile}`);
}

export async function buildImages(dir: string): Promise<void> {
    await runOk([IMAGES_SCRIPT, dir], { timeoutMs: 120_000 });
}

/** busybox:latest and registry:2, imported once on the first host and loaded into the others. */
export async function loadImages(state: LabState, log: (l: string) => void): Promise<void> {
    const dir = path.join(state.stateDir, "images");
    const first = state.hosts[0];
    const t = Date.now();
    await execOk(first, ["docker", "import", "-c", 'CMD ["sh"]', path.join(dir, "busybox.tar"), "busybox:latest"]);
    await execOk(first, [
        "docker", "import",
        "-c", 'ENTRYPOINT ["/bin/registry"]',
        "-c", 'CMD ["serve", "/etc/docker/registry/config.yml"]',
        "-c", "EXPOSE 5000/tcp",
        "-c", 'VOLUME ["/var/lib/registry"]',
        path.join(dir, "registry.tar"), "registry:2",
    ]);
    log(`[${first.name}] images busybox:latest (busybox-static) and registry:2 (docker-registry) imported`);
    if (state.hosts.length === 1) return;
    const saved = path.join(dir, "images.tar");
    await execOk(first, ["docker", "save", "-o", saved, "busybox:latest", "registry:2"]);
    await forEachHost(state.hosts.slice(1), async (h) => {
        await execOk(h, ["docker", "load", "-q", "-i", saved]);
        log(`[${h.name}] images busybox:latest and registry:2 loaded (same image ids as ${first.name})`);
    });
    log(`images ready on ${state.hosts.length} hosts in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

// ---------------------------------------------------------------------------------------------
// sshd on and off

function stateHost(lab: LabHosts, host: string): LabHost {
    const h = lab.hosts.find((x) => x.name === host);
    if (h === undefined) throw new Error(`lab ${lab.name} has no host ${JSON.stringify(host)}`);
    return h;
}

/** Stops the sshd of `host` (its listener: open sessions stay, as with systemd's KillMode=process). */
export async function stopSshd(lab: LabHosts, host: string): Promise<void> {
    const h = stateHost(lab, host);
    const pid = readPid(path.join(h.dir, "fs", "run", "sshd.pid")) ?? (isAlive(h.pidOfSshd) ? h.pidOfSshd : undefined);
    if (pid === undefined) return;
    const left = await terminate([pid], 5_000);
    if (left.length > 0) throw new Error(`[${host}] sshd (pid ${pid}) did not exit`);
    h.pidOfSshd = 0;
    saveHostPids(lab);
}

/** Starts the sshd of `host` again (no-op when it runs). */
export async function startSshd(lab: LabHosts, host: string): Promise<void> {
    const h = stateHost(lab, host);
    if (readPid(path.join(h.dir, "fs", "run", "sshd.pid")) !== undefined) return;
    await startSshdOn(h, () => undefined);
    saveHostPids(lab);
}

function saveHostPids(lab: LabHosts): void {
    const state = readState(lab.stateDir);
    if (state === undefined) return;
    for (const h of state.hosts) {
        const live = lab.hosts.find((x) => x.name === h.name);
        if (live !== undefined) h.pidOfSshd = live.pidOfSshd;
    }
    writeState(state);
}

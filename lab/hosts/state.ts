/**
 * The lab's saved state (`<stateDir>/state.json`: what hostsDown and attachLab read) and what every
 * part of lab/hosts shares: the environment of commands run as a host, the controller's keeper
 * label, where cgroups live, and running a step on every host at once.
 */
import * as fs from "fs";
import * as path from "path";
import type { LabTopology } from "./topology";

/** The saved state's file in the state directory. */
export const STATE_FILE = "state.json";

/** Where the cgroup v1 hierarchies are mounted (the hosts' containers go under `macvlan-lab/<lab>/<host>` in each). */
export const CGROUP_ROOT = "/sys/fs/cgroup";

/** The keeper label of the controller (`@` never occurs in a host name). */
export const CONTROLLER_LABEL = "@controller";

/** The environment of commands run inside a host (what a root login would have). */
export const HOST_ENV: NodeJS.ProcessEnv = {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: "/root",
    USER: "root",
    LOGNAME: "root",
    SHELL: "/bin/bash",
    LANG: "C.UTF-8",
};

/** The cgroup (in every v1 hierarchy) under which a host's dockerd puts its containers. */
export function containerCgroupParent(lab: string, host: string): string {
    return `/macvlan-lab/${lab}/${host}`;
}

export interface HostState {
    name: string;
    netns: string;
    address: string;
    prefixLength: number;
    nic: string;
    sshPort: number;
    dir: string;
    keeperPid: number;
    pidOfSshd: number;
    pidOfDockerd: number;
    /**
     * Its number on the switch: its ports are `h<n>-mgmt` and `h<n>-v<id>` (lab/hosts/network.ts).
     * Kept while the host lives, whatever hosts come and go; absent in older state files, where it
     * is the host's position + 1.
     */
    switchIndex?: number;
}

export interface LabState {
    version: 1;
    name: string;
    stateDir: string;
    createdAt: string;
    complete: boolean;
    topology: LabTopology;
    switchNetns: string;
    controllerNetns: string;
    controllerAddress: string;
    controllerDir: string;
    controllerKeeperPid: number;
    vlanMode: "emulated" | "8021q";
    privateKeyPath: string;
    knownHostsPath: string;
    sshConfigPath: string;
    hostKeys: Record<string, string>;
    hosts: HostState[];
    timings: Record<string, number>;
}

export function writeState(s: LabState): void {
    const file = path.join(s.stateDir, STATE_FILE);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(s, null, 2) + "\n", { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
}

export function readState(stateDir: string): LabState | undefined {
    try {
        const s = JSON.parse(fs.readFileSync(path.join(stateDir, STATE_FILE), "utf8")) as LabState;
        return s.version === 1 ? s : undefined;
    } catch {
        return undefined;
    }
}

/** Runs `fn` for every host at once, waits for all, then throws the first failure (if any). */
export async function forEachHost<T extends { name: string }>(hosts: T[], fn: (h: T) => Promise<void>): Promise<void> {
    const results = await Promise.allSettled(hosts.map(fn));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
}

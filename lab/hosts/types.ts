/**
 * The types of a running lab and of the bring-up and tear-down options (lab/hosts): what the other
 * files of this folder and the lab's drivers share.
 */
import type { RunResult } from "./proc";
import type { LabTopology } from "./topology";

/** One running lab host. */
export interface LabHost {
    name: string;
    /** Its network namespace (`/run/netns/<netns>`). */
    netns: string;
    address: string;
    prefixLength: number;
    nic: string;
    sshPort: number;
    pidOfSshd: number;
    pidOfDockerd: number;
    /** The process holding the host's mount and UTS namespaces: `nsenter -t <it> -m -u -n` enters the host. */
    keeperPid: number;
    /** The host's state directory (its private /run is `<dir>/fs/run`, its logs `<dir>/logs`). */
    dir: string;
}

/** A running lab. */
export interface LabHosts {
    name: string;
    /** Where keys, logs, pids and the hosts' private directories live. */
    stateDir: string;
    /** Namespace of the bridges that join the hosts. */
    switchNetns: string;
    /** Namespace to run the engine in: `nsenter --net=/run/netns/<it> ...`. */
    controllerNetns: string;
    /** The controller's address on the management segment. */
    controllerAddress: string;
    /**
     * The process holding the controller's mount + UTS namespaces, where /root/.ssh has the lab's
     * key, known_hosts and a config naming every host: `ssh docker01`, `docker -H ssh://docker01`.
     */
    controllerKeeperPid: number;
    /** The lab's SSH private key (ed25519, OpenSSH format), authorized for root on every host. */
    privateKey: string;
    /** Same, as a 0600 file. */
    privateKeyPath: string;
    /** known_hosts with every host's key, by name and by address. */
    knownHostsPath: string;
    /** An ssh_config with a `Host` entry per host (by name and address): `ssh -F <it> docker01 ...`. */
    sshConfigPath: string;
    /** host name -> its public host key line (`ssh-ed25519 AAAA...`). */
    hostKeys: Record<string, string>;
    /** What was done for VLANs: links emulating them, or nothing (the NIC is a trunk). */
    vlanMode: "emulated" | "8021q";
    hosts: LabHost[];
    /** The topology the lab has now (its saved state's; reconcileHosts changes it). */
    topology: LabTopology;
    /** Milliseconds per phase of the bring-up. */
    timings: Record<string, number>;
    /** Runs a command inside a host's namespaces (net + mount + UTS) as root. */
    exec(host: string, argv: string[], opts?: { input?: string; timeoutMs?: number }): Promise<RunResult>;
    /** The argv that runs `command` on `host` over SSH from the controller namespace. */
    sshArgv(host: string, command: string): string[];
    /** `argv` wrapped to run in the controller (its network, mount and UTS namespaces). */
    controllerArgv(argv: string[]): string[];
}

export interface HostsUpOptions {
    /** Defaults to `<repo>/.lab/<name>`. */
    stateDir?: string;
    /** Receives one line per step. Defaults to discarding them. */
    log?: (line: string) => void;
    /** `"emulated"` emulates VLANs even where the kernel has 802.1Q. Defaults to `"auto"`. */
    vlanMode?: "auto" | "emulated";
    /** Leave a failed bring-up in place for inspection instead of tearing it down. Defaults to false. */
    keepOnFailure?: boolean;
    /** Test hook: fail right after this phase, to exercise the tear-down of a half-made lab. */
    failAfter?: UpPhase;
}

/** The phases of a bring-up, in order (also the keys of `timings`, with `total`). */
export type UpPhase = "keys" | "network" | "keepers" | "sshd" | "dockerd" | "images" | "ssh-check";

export interface HostsDownOptions {
    /** Defaults to `<repo>/.lab/<name>`. */
    stateDir?: string;
    log?: (line: string) => void;
    /** Keep the state directory (logs, keys) after tearing everything else down. Defaults to false. */
    keepState?: boolean;
}

/**
 * The local lab's hosts: N Docker hosts on this one machine, each a network + mount + UTS namespace
 * with its own hostname, sshd and dockerd, joined by a switch namespace, plus a controller network
 * namespace with no default route from which everything is driven.
 *
 * Nothing here touches the real machine's files or network: addresses exist only inside the lab's
 * namespaces, no namespace has a route out, each host sees private copies of the directories the
 * product writes (see host-keeper.sh), every wait is bounded, and a failed bring-up tears down what
 * it made. See README.md for the layout and how to use the CLI.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DEFAULT_EMULATION_MARKER, DEFAULT_STATE_DIR, LAB_NAME } from "../../components/contracts";
import {
    CONTROLLER_LINK,
    LabTopology,
    SWITCH_MGMT_BRIDGE,
    controllerAddressOf,
    emulatedVlanAlias,
    hostOfNamespace,
    initialDaemonJson,
    namespaceNames,
    namespacePrefix,
    renderEtcHosts,
    renderNicIfcfg,
    renderKnownHosts,
    renderSshConfig,
    renderSshdConfig,
    switchPort,
    switchVlanBridge,
    validateTopology,
} from "./topology";
import {
    RunResult,
    allPids,
    cmdline,
    comm,
    isAlive,
    pidsInNetns,
    run,
    runOk,
    selfAndAncestors,
    sleep,
    terminate,
    waitFor,
} from "./proc";

export {
    LabTopology,
    LabHostSpec,
    LabVlanSpec,
    validateTopology,
    controllerAddressOf,
    namespaceNames,
    renderSshdConfig,
    renderKnownHosts,
    renderSshConfig,
    emulatedVlanAlias,
} from "./topology";

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

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const KEEPER_SCRIPT = path.join(__dirname, "host-keeper.sh");
const IMAGES_SCRIPT = path.join(__dirname, "build-images.sh");
const STATE_FILE = "state.json";
const CGROUP_ROOT = "/sys/fs/cgroup";
/** The keeper label of the controller (`@` never occurs in a host name). */
const CONTROLLER_LABEL = "@controller";

/** The environment of commands run inside a host (what a root login would have). */
export const HOST_ENV: NodeJS.ProcessEnv = {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: "/root",
    USER: "root",
    LOGNAME: "root",
    SHELL: "/bin/bash",
    LANG: "C.UTF-8",
};

/** Debian packages (and the binary each provides) that the lab needs; see lab/packages.txt. */
export const REQUIRED_BINARIES: ReadonlyArray<[string, string]> = [
    ["nsenter", "util-linux"],
    ["unshare", "util-linux"],
    ["setsid", "util-linux"],
    ["mountpoint", "util-linux"],
    ["tar", "tar"],
    ["ldd", "libc-bin"],
    ["ip", "iproute2"],
    ["iptables", "iptables"],
    ["/usr/sbin/sshd", "openssh-server"],
    ["/usr/lib/openssh/sftp-server", "openssh-sftp-server"],
    ["ssh", "openssh-client"],
    ["ssh-keygen", "openssh-client"],
    ["dockerd", "docker.io"],
    ["docker", "docker.io"],
    ["containerd", "containerd"],
    ["runc", "runc"],
    ["/bin/busybox", "busybox-static"],
    ["/usr/bin/docker-registry", "docker-registry"],
];

/** Whether `bin` (a path, or a name looked up in the hosts' PATH) is an executable file. */
function haveBinary(bin: string): boolean {
    const candidates = bin.includes("/") ? [bin] : (HOST_ENV.PATH ?? "").split(":").map((d) => path.join(d, bin));
    return candidates.some((c) => {
        try {
            fs.accessSync(c, fs.constants.X_OK);
            return fs.statSync(c).isFile();
        } catch {
            return false;
        }
    });
}

/** Why the lab cannot run here (not root, missing binaries), or an empty list. */
export function checkPrerequisites(): string[] {
    const problems: string[] = [];
    if (process.platform !== "linux") problems.push(`the lab needs Linux, this is ${process.platform}`);
    if (process.getuid?.() !== 0) problems.push("the lab needs root (network and mount namespaces, dockerd)");
    for (const [bin, pkg] of REQUIRED_BINARIES) {
        if (!haveBinary(bin)) problems.push(`${bin} is missing (Debian package ${pkg})`);
    }
    if (!fs.existsSync(path.join(CGROUP_ROOT, "pids"))) problems.push(`${CGROUP_ROOT}/pids is missing (dockerd needs cgroups)`);
    return problems;
}

/** The default state directory of lab `name`: `<repo>/.lab/<name>` (gitignored). */
export function defaultStateDir(name: string): string {
    return path.join(REPO_ROOT, ".lab", name);
}

/** The cgroup (in every v1 hierarchy) under which a host's dockerd puts its containers. */
export function containerCgroupParent(lab: string, host: string): string {
    return `/macvlan-lab/${lab}/${host}`;
}

// ---------------------------------------------------------------------------------------------
// state file

interface HostState {
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
}

interface LabState {
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

function writeState(s: LabState): void {
    const file = path.join(s.stateDir, STATE_FILE);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(s, null, 2) + "\n", { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
}

function readState(stateDir: string): LabState | undefined {
    try {
        const s = JSON.parse(fs.readFileSync(path.join(stateDir, STATE_FILE), "utf8")) as LabState;
        return s.version === 1 ? s : undefined;
    } catch {
        return undefined;
    }
}

// ---------------------------------------------------------------------------------------------
// bring-up

/**
 * Brings the lab up: cleans leftovers of a lab with the same name, then creates the switch,
 * controller and host namespaces, the links, each host's keeper, sshd and dockerd, imports the
 * images, and checks SSH from the controller to every host. On failure, tears down what it made
 * (unless `keepOnFailure`) and throws with the tail of the relevant logs.
 */
export async function hostsUp(topology: LabTopology, opts: HostsUpOptions = {}): Promise<LabHosts> {
    const log = opts.log ?? (() => undefined);
    const errors = validateTopology(topology);
    if (errors.length > 0) {
        throw new Error(`invalid lab topology:\n  - ${errors.join("\n  - ")}`);
    }
    const missing = checkPrerequisites();
    if (missing.length > 0) {
        throw new Error(`the lab cannot run on this machine:\n  - ${missing.join("\n  - ")}`);
    }
    const name = topology.name;
    const stateDir = path.resolve(opts.stateDir ?? defaultStateDir(name));
    if (!/^[A-Za-z0-9._/+-]+$/.test(stateDir)) {
        throw new Error(`state dir ${JSON.stringify(stateDir)} must be a plain path ([A-Za-z0-9._/+-]): it goes into config files and command lines`);
    }
    await hostsDown(name, { stateDir, log: (l) => log(`(leftovers) ${l}`) });

    const ns = namespaceNames(name, topology.hosts.map((h) => h.name));
    const state: LabState = {
        version: 1,
        name,
        stateDir,
        createdAt: new Date().toISOString(),
        complete: false,
        topology: JSON.parse(JSON.stringify(topology)) as LabTopology,
        switchNetns: ns.switch,
        controllerNetns: ns.controller,
        controllerAddress: controllerAddressOf(topology),
        controllerDir: path.join(stateDir, "controller"),
        controllerKeeperPid: 0,
        vlanMode: "emulated",
        privateKeyPath: path.join(stateDir, "ssh", "id_ed25519"),
        knownHostsPath: path.join(stateDir, "ssh", "known_hosts"),
        sshConfigPath: path.join(stateDir, "ssh", "config"),
        hostKeys: {},
        hosts: topology.hosts.map((h) => ({
            name: h.name,
            netns: ns.hosts[h.name],
            address: h.address,
            prefixLength: h.prefixLength,
            nic: h.nic,
            sshPort: h.sshPort,
            dir: path.join(stateDir, "hosts", h.name),
            keeperPid: 0,
            pidOfSshd: 0,
            pidOfDockerd: 0,
        })),
        timings: {},
    };
    const t0 = Date.now();
    let tPhase = t0;
    let images: Promise<void> | undefined;
    const phase = (label: UpPhase) => {
        const now = Date.now();
        state.timings[label] = now - tPhase;
        tPhase = now;
        if (opts.failAfter === label) throw new Error(`failing after phase ${label} as asked (failAfter)`);
    };
    try {
        fs.mkdirSync(path.join(stateDir, "ssh"), { recursive: true, mode: 0o700 });
        fs.mkdirSync(path.join(stateDir, "images"), { recursive: true });
        writeState(state); // before anything is created: a killed bring-up can be found and torn down
        log(`lab ${name}: state in ${stateDir}`);

        const vlanMode = opts.vlanMode === "emulated" ? "emulated" : (await detectVlanSupport()) ? "8021q" : "emulated";
        state.vlanMode = vlanMode;
        if (vlanMode === "emulated") {
            const why = opts.vlanMode === "emulated" ? "emulation was asked for" : "this kernel has no 802.1Q VLAN devices (ip link add ... type vlan: Unknown device type)";
            log(
                `VLANs are EMULATED, not 802.1Q: ${why}; each VLAN is a separate link per member host ` +
                    `(${topology.vlans.map((v) => v.interfaceName).join(", ") || "none declared"}) joined by a per-VLAN bridge in ${ns.switch}`,
            );
        } else {
            log(`802.1Q is available: each host's NIC is a trunk; VLAN interfaces are left to the product`);
        }
        images = buildImages(path.join(stateDir, "images")); // runs while the hosts come up
        images.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile

        await generateKeys(state, log);
        phase("keys");
        await createNetwork(state, log);
        phase("network");
        await forEachHost(state.hosts, (h) => startHostKeeper(state, h, log));
        prepareControllerFiles(state);
        state.controllerKeeperPid = await startKeeper(name, CONTROLLER_LABEL, ns.controller, state.controllerDir);
        log(`controller: keeper pid ${state.controllerKeeperPid} (hostname ${name}-controller; /root/.ssh/config names every host)`);
        phase("keepers");
        await forEachHost(state.hosts, (h) => startSshdOn(h, log));
        phase("sshd");
        await forEachHost(state.hosts, (h) => startDockerd(state, h, log));
        phase("dockerd");
        writeState(state);
        await images;
        await loadImages(state, log);
        phase("images");
        const lab = labFromState(state, fs.readFileSync(state.privateKeyPath, "utf8"));
        await forEachHost(state.hosts, async (h) => {
            const r = await run(lab.sshArgv(h.name, "hostname"), { timeoutMs: 20_000 });
            if (r.code !== 0 || r.stdout.trim() !== h.name) {
                throw new Error(`ssh from ${ns.controller} to ${h.name} (${h.address}:${h.sshPort}) failed (${r.code}): ${(r.stderr || r.stdout).trim()}`);
            }
            log(`[${h.name}] ssh root@${h.address} from the controller: hostname ${h.name}`);
        });
        phase("ssh-check");
        state.timings.total = Date.now() - t0;
        state.complete = true;
        writeState(state);
        log(`lab ${name} is up in ${(state.timings.total / 1000).toFixed(1)} s (${formatTimings(state.timings)})`);
        lab.timings = state.timings;
        return lab;
    } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        await images?.catch(() => undefined); // it writes into the state dir: let it finish first
        const diagnostics = collectDiagnostics(state);
        log(`lab ${name}: bring-up failed: ${message}`);
        if (opts.keepOnFailure) {
            log(`lab ${name}: left in place for inspection (keepOnFailure); tear down with hostsDown("${name}")`);
        } else {
            await hostsDown(name, { stateDir, log }).catch((d) => log(`tear-down after failure also failed: ${String(d)}`));
        }
        throw new Error(`lab ${name}: bring-up failed: ${message}${diagnostics}`);
    }
}

function formatTimings(t: Record<string, number>): string {
    return Object.entries(t)
        .filter(([k]) => k !== "total")
        .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
        .join(", ");
}

/** Runs `fn` for every host at once, waits for all, then throws the first failure (if any). */
async function forEachHost<T extends { name: string }>(hosts: T[], fn: (h: T) => Promise<void>): Promise<void> {
    const results = await Promise.allSettled(hosts.map(fn));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
}

/** Lines from the end of the logs of each host, for an error message. */
function collectDiagnostics(state: LabState): string {
    const parts: string[] = [];
    for (const h of state.hosts) {
        for (const f of ["keeper.log", "sshd.log", "dockerd.log"]) {
            const file = path.join(h.dir, "logs", f);
            try {
                const lines = fs.readFileSync(file, "utf8").trim().split("\n").slice(-8);
                if (lines.join("").trim() !== "") parts.push(`--- ${h.name} ${f} (last lines)\n${lines.join("\n")}`);
            } catch {
                /* no log */
            }
        }
    }
    return parts.length > 0 ? `\n${parts.join("\n")}` : "";
}

async function generateKeys(state: LabState, log: (l: string) => void): Promise<void> {
    await runOk(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", `macvlan-lab@${state.name}`, "-f", state.privateKeyPath]);
    fs.chmodSync(state.privateKeyPath, 0o600);
    const pub = fs.readFileSync(`${state.privateKeyPath}.pub`, "utf8");
    await forEachHost(state.hosts, async (h) => {
        prepareHostFiles(state, h, pub);
        const key = path.join(h.dir, "fs", "etc", "ssh", "ssh_host_ed25519_key");
        await runOk(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", `root@${h.name}`, "-f", key]);
        const [type, body] = fs.readFileSync(`${key}.pub`, "utf8").trim().split(/\s+/);
        state.hostKeys[h.name] = `${type} ${body}`;
    });
    fs.writeFileSync(state.knownHostsPath, renderKnownHosts(state.hosts, state.hostKeys), { mode: 0o600 });
    fs.writeFileSync(state.sshConfigPath, renderSshConfig(state.hosts, state.privateKeyPath, state.knownHostsPath), { mode: 0o600 });
    log(`keys: client key ${state.privateKeyPath}, host keys of ${state.hosts.map((h) => h.name).join(", ")}, ${state.knownHostsPath}`);
}

/** The directories a host gets instead of the real machine's (bind-mounted by host-keeper.sh). */
function prepareHostFiles(state: LabState, h: HostState, authorizedKey: string): void {
    const root = path.join(h.dir, "fs");
    const mk = (rel: string, mode = 0o755) => {
        fs.mkdirSync(path.join(root, rel), { recursive: true, mode });
        fs.chmodSync(path.join(root, rel), mode);
        return path.join(root, rel);
    };
    const copyOf = (real: string, rel: string) => {
        const dst = mk(rel);
        if (fs.existsSync(real)) fs.cpSync(real, dst, { recursive: true, preserveTimestamps: true });
        return dst;
    };
    fs.mkdirSync(path.join(h.dir, "logs"), { recursive: true });
    const etcDocker = copyOf("/etc/docker", "etc/docker");
    fs.writeFileSync(path.join(etcDocker, "daemon.json"), initialDaemonJson());
    const etcSsh = copyOf("/etc/ssh", "etc/ssh");
    for (const f of fs.readdirSync(etcSsh)) {
        if (f.startsWith("ssh_host_")) fs.rmSync(path.join(etcSsh, f)); // the real machine's host keys stay its own
    }
    fs.writeFileSync(path.join(etcSsh, "sshd_config"), renderSshdConfig(h));
    fs.writeFileSync(path.join(mk("etc/sysconfig/network-scripts"), `ifcfg-${h.nic}`), renderNicIfcfg(h), { mode: 0o644 });
    copyOf("/etc/NetworkManager", "etc/NetworkManager");
    copyOf("/etc/modules-load.d", "etc/modules-load.d");
    writeRootHome(mk("root", 0o700), `host ${h.name}`);
    const dotSsh = mk("root/.ssh", 0o700);
    fs.writeFileSync(path.join(dotSsh, "authorized_keys"), authorizedKey, { mode: 0o600 });
    mk("var/lib/docker", 0o710);
    mk(DEFAULT_STATE_DIR.slice(1)); // host-keeper.sh binds it over the host's own
    mk("run");
    mk("run/sshd");
    mk("run/lock", 0o1777);
    fs.writeFileSync(path.join(h.dir, "hosts"), renderEtcHosts(h.name, state.hosts));
    fs.writeFileSync(path.join(h.dir, "resolv.conf"), "# macvlan-lab host: no DNS server (the lab has no route out)\n");
    if (state.vlanMode === "emulated") {
        const mine = state.topology.vlans.filter((v) => v.hosts.includes(h.name)).map((v) => v.interfaceName);
        mk(path.dirname(DEFAULT_EMULATION_MARKER).slice(1));
        fs.writeFileSync(path.join(root, DEFAULT_EMULATION_MARKER.slice(1)), mine.map((n) => `${n}\n`).join(""));
    }
}

/**
 * A fresh root home for a host or the controller (bind-mounted over /root by host-keeper.sh): the
 * real machine's /root (its .bashrc with pyenv, its caches and credentials) is never visible in the
 * lab. Minimal start-up files that only set PATH, so root's shell over SSH finds docker, ip, python3.
 */
export function writeRootHome(dir: string, who: string): void {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    const text = `# macvlan-lab ${who}: a minimal root home made by lab/hosts (not the real machine's /root)\nexport PATH=${HOST_ENV.PATH}\n`;
    fs.writeFileSync(path.join(dir, ".bashrc"), text);
    fs.writeFileSync(path.join(dir, ".profile"), text);
}

/** `ip` in namespace `netns`, throwing on failure. */
function ipIn(netns: string, ...args: string[]): Promise<string> {
    return runOk(["ip", "-n", netns, ...args], { timeoutMs: 15_000 });
}

async function createNetwork(state: LabState, log: (l: string) => void): Promise<void> {
    const sw = state.switchNetns;
    const ctl = state.controllerNetns;
    const prefix = state.hosts[0].prefixLength;
    await runOk(["ip", "netns", "add", sw]);
    await ipIn(sw, "link", "set", "lo", "up");
    // The switch only bridges: no iptables on bridged frames (br_netfilter may be loaded), no IPv6 noise.
    await runOk(
        [
            "nsenter",
            `--net=/run/netns/${sw}`,
            "sh",
            "-c",
            "for f in /proc/sys/net/bridge/bridge-nf-call-arptables /proc/sys/net/bridge/bridge-nf-call-iptables " +
                "/proc/sys/net/bridge/bridge-nf-call-ip6tables; do if [ -e $f ]; then echo 0 > $f; fi; done; " +
                "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6",
        ],
        { env: HOST_ENV },
    );
    const bridge = async (br: string) => {
        await ipIn(sw, "link", "add", br, "type", "bridge", "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0");
        await ipIn(sw, "link", "set", br, "up");
    };
    await bridge(SWITCH_MGMT_BRIDGE);
    log(`switch: netns ${sw}, bridge ${SWITCH_MGMT_BRIDGE} (management ${state.hosts[0].address}/${prefix}), bridge-nf-call-* off`);

    await runOk(["ip", "netns", "add", ctl]);
    await ipIn(ctl, "link", "set", "lo", "up");
    await ipIn(sw, "link", "add", "ctl", "type", "veth", "peer", "name", CONTROLLER_LINK, "netns", ctl);
    await ipIn(sw, "link", "set", "ctl", "master", SWITCH_MGMT_BRIDGE, "up");
    await ipIn(ctl, "addr", "add", `${state.controllerAddress}/${prefix}`, "dev", CONTROLLER_LINK);
    await ipIn(ctl, "link", "set", CONTROLLER_LINK, "up");
    log(`controller: netns ${ctl}, ${CONTROLLER_LINK} ${state.controllerAddress}/${prefix}, no default route`);

    if (state.vlanMode === "emulated") {
        for (const v of state.topology.vlans) await bridge(switchVlanBridge(v.id));
    }
    for (const [i, h] of state.hosts.entries()) {
        const port = switchPort(i + 1);
        await runOk(["ip", "netns", "add", h.netns]);
        await ipIn(h.netns, "link", "set", "lo", "up");
        await ipIn(sw, "link", "add", port, "type", "veth", "peer", "name", h.nic, "netns", h.netns);
        await ipIn(sw, "link", "set", port, "master", SWITCH_MGMT_BRIDGE, "up");
        await ipIn(h.netns, "addr", "add", `${h.address}/${h.prefixLength}`, "dev", h.nic);
        await ipIn(h.netns, "link", "set", h.nic, "up");
        log(`[${h.name}] netns ${h.netns}: ${h.nic} ${h.address}/${h.prefixLength} (switch port ${port}), no default route`);
        if (state.vlanMode !== "emulated") continue;
        for (const v of state.topology.vlans.filter((x) => x.hosts.includes(h.name))) {
            const vport = switchPort(i + 1, v.id);
            await ipIn(sw, "link", "add", vport, "type", "veth", "peer", "name", v.interfaceName, "netns", h.netns);
            await ipIn(sw, "link", "set", vport, "master", switchVlanBridge(v.id), "up");
            await ipIn(h.netns, "link", "set", "dev", v.interfaceName, "alias", emulatedVlanAlias(v.id, v.parent));
            log(`[${h.name}] ${v.interfaceName}: emulated VLAN ${v.id} link (down, no address) on switch bridge ${switchVlanBridge(v.id)}`);
        }
    }
}

/** The argv[0] of a keeper: `macvlan-lab-keeper:<lab>:<host>` (`@controller` for the controller). */
function keeperMark(lab: string, host: string): string {
    return `macvlan-lab-keeper:${lab}:${host}`;
}

function isKeeper(pid: number, lab: string, host: string): boolean {
    return cmdline(pid).split(" ")[0] === keeperMark(lab, host);
}

/**
 * Starts the keeper of a host (`label` = its name) or of the controller (`label` = `@controller`):
 * host-keeper.sh in the network namespace, in new mount + UTS namespaces; returns its pid.
 */
async function startKeeper(lab: string, label: string, netns: string, dir: string): Promise<number> {
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

async function startHostKeeper(state: LabState, h: HostState, log: (l: string) => void): Promise<void> {
    h.keeperPid = await startKeeper(state.name, h.name, h.netns, h.dir);
    log(`[${h.name}] keeper pid ${h.keeperPid} holds the mount + UTS namespaces (hostname ${h.name}, private /etc /run /root /var/lib/docker ...)`);
}

/**
 * The controller's files: /root/.ssh with the lab's key, known_hosts and an ssh_config naming every
 * host (so `ssh docker01` and `docker -H ssh://docker01` work inside it), /etc/hosts with the hosts.
 */
function prepareControllerFiles(state: LabState): void {
    const dir = state.controllerDir;
    writeRootHome(path.join(dir, "fs", "root"), "controller");
    const dotSsh = path.join(dir, "fs", "root", ".ssh");
    fs.mkdirSync(dotSsh, { recursive: true, mode: 0o700 });
    fs.mkdirSync(path.join(dir, "logs"), { recursive: true });
    fs.copyFileSync(state.privateKeyPath, path.join(dotSsh, "id_ed25519"));
    fs.chmodSync(path.join(dotSsh, "id_ed25519"), 0o600);
    fs.copyFileSync(state.knownHostsPath, path.join(dotSsh, "known_hosts"));
    fs.writeFileSync(
        path.join(dotSsh, "config"),
        renderSshConfig(state.hosts, "/root/.ssh/id_ed25519", "/root/.ssh/known_hosts"),
        { mode: 0o600 },
    );
    fs.writeFileSync(path.join(dir, "hosts"), renderEtcHosts(`${state.name}-controller`, state.hosts));
    fs.writeFileSync(path.join(dir, "resolv.conf"), "# macvlan-lab controller: no DNS server (the lab has no route out)\n");
}

function execIn(h: Pick<HostState, "keeperPid">, argv: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
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

async function startSshdOn(h: HostState, log: (l: string) => void): Promise<void> {
    const pidFile = path.join(h.dir, "fs", "run", "sshd.pid");
    fs.rmSync(pidFile, { force: true });
    // sshd binds, then daemonizes and writes /run/sshd.pid (the host's own /run).
    await execOk(h, ["/usr/sbin/sshd", "-f", "/etc/ssh/sshd_config", "-E", path.join(h.dir, "logs", "sshd.log")], 20_000);
    h.pidOfSshd = await waitFor(`sshd of ${h.name} to write /run/sshd.pid`, 10_000, () => readPid(pidFile));
    log(`[${h.name}] sshd listening on ${h.address}:${h.sshPort} (pid ${h.pidOfSshd}, key auth only), log ${h.dir}/logs/sshd.log`);
}

async function startDockerd(state: LabState, h: HostState, log: (l: string) => void): Promise<void> {
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

async function buildImages(dir: string): Promise<void> {
    await runOk([IMAGES_SCRIPT, dir], { timeoutMs: 120_000 });
}

/** busybox:latest and registry:2, imported once on the first host and loaded into the others. */
async function loadImages(state: LabState, log: (l: string) => void): Promise<void> {
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

function labFromState(state: LabState, privateKey: string): LabHosts {
    const find = (host: string): HostState => {
        const h = state.hosts.find((x) => x.name === host);
        if (h === undefined) throw new Error(`lab ${state.name} has no host ${JSON.stringify(host)}; it has ${state.hosts.map((x) => x.name).join(", ")}`);
        return h;
    };
    return {
        name: state.name,
        stateDir: state.stateDir,
        switchNetns: state.switchNetns,
        controllerNetns: state.controllerNetns,
        controllerAddress: state.controllerAddress,
        controllerKeeperPid: state.controllerKeeperPid,
        privateKey,
        privateKeyPath: state.privateKeyPath,
        knownHostsPath: state.knownHostsPath,
        sshConfigPath: state.sshConfigPath,
        hostKeys: { ...state.hostKeys },
        vlanMode: state.vlanMode,
        hosts: state.hosts, // shared with the state: startSshd updates pidOfSshd
        timings: { ...state.timings },
        exec: (host, argv, opts) => execIn(find(host), argv, opts),
        sshArgv: (host, command) => {
            const h = find(host);
            return ["nsenter", `--net=/run/netns/${state.controllerNetns}`, "ssh", "-F", state.sshConfigPath, h.name, "--", command];
        },
        controllerArgv: (argv) => ["nsenter", "-t", String(state.controllerKeeperPid), "-m", "-u", "-n", "--", ...argv],
    };
}

/** The running lab `name` from its saved state (for a driver in another process than `hostsUp`). */
export function attachLab(name: string, opts: { stateDir?: string } = {}): LabHosts {
    const stateDir = path.resolve(opts.stateDir ?? defaultStateDir(name));
    const state = readState(stateDir);
    if (state === undefined || !state.complete) {
        throw new Error(`lab ${name} is not up (no complete ${path.join(stateDir, STATE_FILE)})`);
    }
    const dead = state.hosts.filter((h) => !isKeeper(h.keeperPid, name, h.name)).map((h) => h.name);
    if (!isKeeper(state.controllerKeeperPid, name, CONTROLLER_LABEL)) dead.push("the controller");
    if (dead.length > 0) {
        throw new Error(`lab ${name}: the keeper of ${dead.join(", ")} is gone; run hostsDown and hostsUp again`);
    }
    return labFromState(state, fs.readFileSync(state.privateKeyPath, "utf8"));
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

// ---------------------------------------------------------------------------------------------
// VLAN support

/** Whether this kernel creates 802.1Q devices (`ip link add ... type vlan`), tried in a scratch netns. */
export async function detectVlanSupport(): Promise<boolean> {
    // no `_` in the name: it never matches a lab's namespace prefix
    const probe = "macvlan-lab-vlanprobe-";
    const scratch = `${probe}${process.pid}-${Date.now()}`;
    for (const n of fs.existsSync("/run/netns") ? fs.readdirSync("/run/netns") : []) {
        // a probe left by a killed process
        if (n.startsWith(probe) && !isAlive(Number(n.slice(probe.length).split("-")[0]))) await run(["ip", "netns", "del", n]);
    }
    await runOk(["ip", "netns", "add", scratch]);
    try {
        await runOk(["ip", "-n", scratch, "link", "add", "probe0", "type", "veth", "peer", "name", "probe1"]);
        const r = await run(["ip", "-n", scratch, "link", "add", "link", "probe0", "name", "probe0.10", "type", "vlan", "id", "10"]);
        return r.code === 0;
    } finally {
        await run(["ip", "netns", "del", scratch]);
    }
}

// ---------------------------------------------------------------------------------------------
// tear-down

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

async function removeCgroups(name: string, log: (l: string) => void): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
        const dirs = cgroupDirs(name);
        if (dirs.length === 0) break;
        for (const d of dirs) {
            try {
                fs.rmdirSync(d);
            } catch {
                /* busy for a moment after its processes exit */
            }
        }
        if (cgroupDirs(name).length === 0) break;
        await sleep(250);
    }
    const left = cgroupDirs(name);
    if (left.length > 0) log(`lab ${name}: could not remove cgroups ${left.join(", ")}`);
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
 * whose mount table holds the state directory's bind mounts (every process of a host's mount namespace).
 */
function findStrays(name: string, stateDir: string, self: Set<number>): number[] {
    const out: number[] = [];
    const mark = `${stateDir}/`;
    for (const pid of allPids()) {
        if (self.has(pid) || !isAlive(pid)) continue;
        const c = cmdline(pid);
        if (c === "") continue; // kernel threads
        let hit = c.startsWith(keeperMark(name, "")) || (comm(pid) === "sshd" && c.includes(mark));
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

/** The running lab's hosts' pids and state as a printable summary (for the CLI). */
export function describeLab(lab: LabHosts): string {
    const lines = [
        `lab ${lab.name} (${lab.vlanMode} VLANs), state ${lab.stateDir}`,
        `  switch netns ${lab.switchNetns}`,
        `  controller netns ${lab.controllerNetns}, address ${lab.controllerAddress}, keeper ${lab.controllerKeeperPid} (nsenter -t ${lab.controllerKeeperPid} -m -u -n ssh docker01 ...)`,
        `  ssh key ${lab.privateKeyPath}, known_hosts ${lab.knownHostsPath}`,
        `  ssh from the controller: nsenter --net=/run/netns/${lab.controllerNetns} ssh -F ${lab.sshConfigPath} <host> <command>`,
    ];
    for (const h of lab.hosts) {
        lines.push(
            `  ${h.name}: netns ${h.netns}, ${h.nic} ${h.address}/${h.prefixLength}, sshd ${h.pidOfSshd} on :${h.sshPort}, ` +
                `dockerd ${h.pidOfDockerd}, keeper ${h.keeperPid}, logs ${h.dir}/logs`,
        );
    }
    return lines.join("\n");
}

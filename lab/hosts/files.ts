/**
 * Keys and files of the lab's hosts and controller: the SSH client and host keys, known_hosts and
 * ssh_config, and the private directories each host and the controller see instead of the real
 * machine's (bind-mounted by host-keeper.sh).
 */
import * as fs from "fs";
import * as path from "path";
import { DEFAULT_EMULATION_MARKER, DEFAULT_STATE_DIR } from "../../components/contracts";
import { runOk } from "./proc";
import { HOST_ENV, HostState, LabState, forEachHost } from "./state";
import { initialDaemonJson, renderEtcHosts, renderKnownHosts, renderNicIfcfg, renderSshConfig, renderSshdConfig } from "./topology";

export async function generateKeys(state: LabState, log: (l: string) => void): Promise<void> {
    await runOk(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", `macvlan-lab@${state.name}`, "-f", state.privateKeyPath]);
    fs.chmodSync(state.privateKeyPath, 0o600);
    await forEachHost(state.hosts, (h) => prepareHost(state, h));
    writeSshFiles(state);
    log(`keys: client key ${state.privateKeyPath}, host keys of ${state.hosts.map((h) => h.name).join(", ")}, ${state.knownHostsPath}`);
}

/**
 * Host `h`'s private directories (below) and its own SSH host key (into `state.hostKeys`); the
 * lab's client key must exist.
 */
export async function prepareHost(state: LabState, h: HostState): Promise<void> {
    prepareHostFiles(state, h, fs.readFileSync(`${state.privateKeyPath}.pub`, "utf8"));
    const key = path.join(h.dir, "fs", "etc", "ssh", "ssh_host_ed25519_key");
    await runOk(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", `root@${h.name}`, "-f", key]);
    const [type, body] = fs.readFileSync(`${key}.pub`, "utf8").trim().split(/\s+/);
    state.hostKeys[h.name] = `${type} ${body}`;
}

/** Writes `file` atomically (a temporary file renamed over it). */
function writeAtomic(file: string, text: string, mode: number): void {
    fs.writeFileSync(`${file}.tmp`, text, { mode });
    fs.renameSync(`${file}.tmp`, file);
}

/** The lab's known_hosts and ssh_config for the hosts of `state` that have a host key (atomically). */
export function writeSshFiles(state: LabState): void {
    const hosts = state.hosts.filter((h) => state.hostKeys[h.name] !== undefined);
    writeAtomic(state.knownHostsPath, renderKnownHosts(hosts, state.hostKeys), 0o600);
    writeAtomic(state.sshConfigPath, renderSshConfig(hosts, state.privateKeyPath, state.knownHostsPath), 0o600);
}

/**
 * After the hosts changed: the lab's known_hosts and ssh_config, the controller's copies in its
 * /root/.ssh and its hosts file (the caller copies it to the running controller's /etc/hosts).
 */
export function refreshSshFiles(state: LabState): void {
    writeSshFiles(state);
    const dotSsh = path.join(state.controllerDir, "fs", "root", ".ssh");
    const hosts = state.hosts.filter((h) => state.hostKeys[h.name] !== undefined);
    writeAtomic(path.join(dotSsh, "known_hosts"), fs.readFileSync(state.knownHostsPath, "utf8"), 0o600);
    writeAtomic(path.join(dotSsh, "config"), renderSshConfig(hosts, "/root/.ssh/id_ed25519", "/root/.ssh/known_hosts"), 0o600);
    fs.writeFileSync(path.join(state.controllerDir, "hosts"), renderEtcHosts(`${state.name}-controller`, state.hosts));
}

/** Rewrites `<host dir>/hosts` (what the caller copies to the host's /etc/hosts): every host of `state`. */
export function writeHostsFile(state: LabState, h: HostState): void {
    fs.writeFileSync(path.join(h.dir, "hosts"), renderEtcHosts(h.name, state.hosts));
}

/** Rewrites host `h`'s list of emulated VLAN links (`/run/macvlan-lab/vlan-emulation`, in its own /run) from `state.topology`. */
export function writeEmulationMarker(state: LabState, h: HostState): void {
    if (state.vlanMode !== "emulated") return;
    const mine = state.topology.vlans.filter((v) => v.hosts.includes(h.name)).map((v) => v.interfaceName);
    const file = path.join(h.dir, "fs", DEFAULT_EMULATION_MARKER.slice(1));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeAtomic(file, mine.map((n) => `${n}\n`).join(""), 0o644);
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
    writeEmulationMarker(state, h);
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

/**
 * The controller's files: /root/.ssh with the lab's key, known_hosts and an ssh_config naming every
 * host (so `ssh docker01` and `docker -H ssh://docker01` work inside it), /etc/hosts with the hosts.
 */
export function prepareControllerFiles(state: LabState): void {
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

/**
 * What the lab needs of this machine: root, Linux, the Debian packages' binaries, cgroups; and
 * whether its kernel makes 802.1Q devices.
 */
import * as fs from "fs";
import * as path from "path";
import { isAlive, run, runOk } from "./proc";
import { CGROUP_ROOT, HOST_ENV } from "./state";

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

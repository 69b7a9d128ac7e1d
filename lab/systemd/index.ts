/**
 * A docker.service for a lab host: the tutorial's hosts run dockerd under systemd, the lab's hosts
 * have no systemd (they are namespaces). `installDockerUnit` puts the systemctl stand-in
 * (systemctl.sh: what it serves and how it follows systemd) on the host's PATH and writes
 * `/etc/systemd/system/docker.service` whose ExecStart is the command line the lab started dockerd
 * with, plus any extra flags (the tutorial's `--insecure-registry 192.168.1.11:5000`); with extra
 * flags, dockerd is restarted through the unit so that it runs as the unit says.
 *
 * Only inside the host: the stand-in lives in the host's private /run and is bind-mounted over
 * /usr/local/sbin in the host's mount namespace; the unit goes to the host's /etc (an overlay).
 */
import * as fs from "fs";
import * as path from "path";
import { LabHosts } from "../hosts";

export const SYSTEMCTL_STAND_IN = path.join(__dirname, "systemctl.sh");
export const UNIT_PATH = "/etc/systemd/system/docker.service";
/** The line every run of the stand-in prints on stderr. */
export const STAND_IN_LINE = "systemctl: STAND-IN for systemd (lab/systemd, the lab hosts have no systemd)";

/** The unit file for `execStart` (argv, absolute program path first). Pure. */
export function dockerUnit(execStart: readonly string[]): string {
    for (const w of execStart) {
        if (w === "" || /[\s"'\\$%]/.test(w)) throw new Error(`ExecStart word ${JSON.stringify(w)} is not served by the systemctl stand-in (blanks, quotes, \\, $ and %)`);
    }
    if (!execStart[0]?.startsWith("/")) throw new Error(`ExecStart needs an absolute program path, not ${JSON.stringify(execStart[0])}`);
    return [
        "# macvlan-lab: docker.service of a lab host (lab/systemd), like docker-ce's unit on CentOS 7",
        "[Unit]",
        "Description=Docker Application Container Engine",
        "",
        "[Service]",
        "Type=notify",
        `ExecStart=${execStart.join(" ")}`,
        "ExecReload=/bin/kill -s HUP $MAINPID",
        "KillMode=process",
        "Restart=always",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ].join("\n");
}

async function execOk(lab: LabHosts, host: string, argv: string[], input?: string): Promise<string> {
    const r = await lab.exec(host, argv, { timeoutMs: 120_000, ...(input !== undefined ? { input } : {}) });
    if (r.code !== 0) throw new Error(`[${host}] ${argv.join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
    return r.stdout;
}

/**
 * Gives `host` a docker.service run by the systemctl stand-in, whose ExecStart is the running
 * dockerd's command line plus `extraFlags`; restarts dockerd through it when there are extra flags.
 * Returns the unit's text.
 */
export async function installDockerUnit(lab: LabHosts, host: string, extraFlags: readonly string[] = []): Promise<string> {
    const script = fs.readFileSync(SYSTEMCTL_STAND_IN, "utf8");
    await execOk(lab, host, ["sh", "-c", 'mkdir -p /run/macvlan-lab-systemd/bin && cat >/run/macvlan-lab-systemd/bin/systemctl && chmod 755 /run/macvlan-lab-systemd/bin/systemctl'], script);
    await execOk(lab, host, ["mount", "--bind", "/run/macvlan-lab-systemd/bin", "/usr/local/sbin"]);
    const pid = (await execOk(lab, host, ["cat", "/run/docker.pid"])).trim();
    const argv = (await execOk(lab, host, ["cat", `/proc/${pid}/cmdline`])).split("\0").filter((a) => a !== "");
    const program = (await execOk(lab, host, ["sh", "-c", `command -v ${argv[0]}`])).trim();
    const unit = dockerUnit([program, ...argv.slice(1), ...extraFlags]);
    await execOk(lab, host, ["sh", "-c", `mkdir -p /etc/systemd/system && cat >${UNIT_PATH}`], unit);
    await execOk(lab, host, ["sh", "-c", `echo ${pid} >/run/macvlan-lab-systemd/mainpid`]);
    await execOk(lab, host, ["systemctl", "daemon-reload"]);
    if (extraFlags.length > 0) await execOk(lab, host, ["systemctl", "restart", "docker.service"]);
    return unit;
}

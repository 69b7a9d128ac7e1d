/**
 * One VM of the qemu lab: Debian's cloud kernel and the lab's initramfs (lab/vm/image.ts) under
 * qemu-system-x86_64 with TCG (no KVM needed), 256 MB, one CPU, no display, no default devices, no
 * reboot (a guest that powers off or panics ends qemu). Its devices:
 * - ttyS0, the kernel console, written to `<runDir>/<name>.console.log`;
 * - a virtio-net NIC on the trunk (lab/vm/trunk.ts), the VM's only network: no user-mode NAT, no
 *   route out;
 * - a virtio serial port, the control channel: a unix socket in the run directory that this class
 *   drives (the guest end is lab/vm/guest/agent.sh). Each command is a script, gzipped and base64
 *   encoded, run by the guest's /bin/sh with a time limit and the stdin given; its stdout, stderr
 *   and exit status come back.
 * qemu runs under `setpriv --pdeathsig KILL`, so it dies with this process however that ends; the
 * harness also stops every VM it started in its exit paths.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { gzipSync } from "zlib";
import { VmImage } from "./image";

export interface VmOptions {
    /** Name of the VM (the stack's host name): files in the run directory are named after it. */
    name: string;
    /** The kernel and the initramfs qemu boots (a VmImage, or a userland image's boot pair). */
    image: Pick<VmImage, "kernel" | "initrd">;
    runDir: string;
    /** The trunk's TCP port on 127.0.0.1. */
    trunkPort: number;
    /** MAC address of the trunk NIC. */
    mac: string;
    /** Defaults to 256. */
    memoryMb?: number;
    /** How long the guest may take from qemu's start to its agent saying it is ready. Defaults to 120 s. */
    bootTimeoutMs?: number;
    /**
     * A qcow2 file qemu gives the guest as its virtio disk (`/dev/vda`), written in place (give each
     * VM its own copy-on-write overlay). Defaults to none: the initramfs is the whole system.
     */
    disk?: string;
    /** The guest kernel's command line. Defaults to KERNEL_COMMAND_LINE. */
    commandLine?: string;
    /**
     * Whether a guest reboot restarts the guest inside the same qemu (the disk, the trunk connection
     * and the control channel stay; the agent says ready again with a new boot id). Defaults to
     * false: `-no-reboot`, a guest reboot (or a panic) ends qemu.
     */
    allowReboot?: boolean;
    /**
     * The size of TCG's translation cache (MB). qemu 7.2 reserves 1 GiB by default, and a VM that
     * runs long enough (a systemd userland does) fills it: each such qemu then holds its guest's
     * memory plus up to 1 GiB. Defaults to qemu's default.
     */
    tbSizeMb?: number;
}

export interface GuestResult {
    status: number;
    stdout: string;
    stderr: string;
    /** Seconds from sending the script to its answer. */
    seconds: number;
}

/**
 * The guest kernel's command line: console on ttyS0, power off on panic, no IPv6 (the tests count
 * IPv4 and ARP frames; IPv6's own chatter would only add noise), and what shortens a boot under
 * TCG (no crypto self-tests, no speculation mitigations, no timer check, TSC trusted): about 8 s
 * instead of 11 s to the agent's ready line on this machine.
 */
export const KERNEL_COMMAND_LINE =
    "console=ttyS0 panic=-1 ipv6.disable=1 quiet cryptomgr.notests mitigations=off no_timer_check tsc=reliable";

/**
 * What every VM of the lab runs with, the NIC and the control channel aside: TCG, one CPU, no
 * default devices, no display, the kernel and initramfs given, the console appended to a file,
 * `-no-reboot` unless asked otherwise, the disk when there is one. Pure.
 */
export function baseQemuArgs(o: Pick<VmOptions, "image" | "memoryMb" | "disk" | "commandLine" | "allowReboot" | "tbSizeMb"> & { consoleLog: string }): string[] {
    for (const [what, v] of [
        ["disk", o.disk],
        ["console log", o.consoleLog],
    ] as const) {
        if (v !== undefined && v.includes(",")) throw new Error(`VM ${what} ${JSON.stringify(v)}: qemu's options cannot take a comma`);
    }
    if (o.tbSizeMb !== undefined && (!Number.isInteger(o.tbSizeMb) || o.tbSizeMb < 16)) throw new Error(`tbSizeMb ${o.tbSizeMb} is not an integer of at least 16`);
    return [
        ...(o.tbSizeMb === undefined ? ["-machine", "pc,accel=tcg"] : ["-machine", "pc", "-accel", `tcg,tb-size=${o.tbSizeMb}`]),
        "-m",
        String(o.memoryMb ?? 256),
        "-smp",
        "1",
        "-nodefaults",
        "-display",
        "none",
        ...(o.allowReboot === true ? [] : ["-no-reboot"]),
        "-kernel",
        o.image.kernel,
        "-initrd",
        o.image.initrd,
        "-append",
        o.commandLine ?? KERNEL_COMMAND_LINE,
        // append: a guest rebooted in the same qemu keeps its earlier boots' lines
        "-chardev",
        `file,id=con,path=${o.consoleLog},append=on`,
        "-serial",
        "chardev:con",
        // cache=unsafe: the guest's flushes are not forced to the host's disk (the overlay dies with the run)
        ...(o.disk !== undefined ? ["-drive", `file=${o.disk},if=virtio,format=qcow2,cache=unsafe`] : []),
    ];
}

/** Exit status the guest's `timeout` gives a script it had to stop (busybox: killed by SIGTERM). */
export const GUEST_TIMEOUT_STATUS = 143;

const live = new Set<ChildProcess>();
let exitHook = false;

function killAllOnExit(): void {
    if (exitHook) return;
    exitHook = true;
    process.on("exit", () => {
        for (const child of live) {
            try {
                child.kill("SIGKILL");
            } catch {
                // already gone
            }
        }
    });
}

/** A command that the agent never answered because it started again (the guest rebooted). */
export class LostInReboot extends Error {}

interface Pending {
    id: number;
    out: string[];
    err: string[];
    part: "none" | "out" | "err";
    started: number;
    resolve: (r: GuestResult) => void;
    reject: (e: Error) => void;
    timer: NodeJS.Timeout;
}

export class Vm {
    public readonly consoleLog: string;
    public bootSeconds = 0;
    private sock?: net.Socket;
    private lineBuf = "";
    private nextId = 1;
    private pending?: Pending;
    private queue: Promise<unknown> = Promise.resolve();
    private exited?: string;
    private readyWaiter?: (err?: Error) => void;
    private ready = false;
    /** The guest kernel's boot id (/proc/sys/kernel/random/boot_id) from the agent's last ready line. */
    public bootId = "";
    /** Called with each new boot id the agent announces (a reboot in the same qemu). */
    private bootWaiter?: (bootId: string) => void;
    private readonly stderrLog: string;
    private exitWaiter?: (why: string) => void;

    private constructor(
        public readonly name: string,
        private readonly child: ChildProcess,
        runDir: string,
        private readonly allowReboot: boolean,
    ) {
        this.consoleLog = path.join(runDir, `${name}.console.log`);
        this.stderrLog = path.join(runDir, `${name}.qemu.log`);
    }

    /** The qemu command line of a VM (without the setpriv prefix). Pure. */
    static qemuArgs(o: VmOptions, consoleLog: string, controlSocket: string): string[] {
        return [
            ...baseQemuArgs({ ...o, consoleLog }),
            "-netdev",
            `socket,id=trunk,connect=127.0.0.1:${o.trunkPort}`,
            "-device",
            `virtio-net-pci,netdev=trunk,mac=${o.mac}`,
            "-device",
            "virtio-serial-pci",
            "-chardev",
            `socket,id=ctl,path=${controlSocket},server=on,wait=off`,
            "-device",
            "virtserialport,chardev=ctl,name=macvlan-lab.ctl",
        ];
    }

    /** Starts qemu and waits until the guest's agent is ready (or fails with the console's last lines). */
    static async boot(o: VmOptions): Promise<Vm> {
        for (const [what, v] of [
            ["name", o.name],
            ["runDir", o.runDir],
        ]) {
            if (!/^[A-Za-z0-9_./-]+$/.test(v) || v.includes(",")) throw new Error(`VM ${what} ${JSON.stringify(v)} has characters qemu's options cannot take`);
        }
        if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(o.mac)) throw new Error(`VM mac ${JSON.stringify(o.mac)} is not a MAC address`);
        const started = Date.now();
        const consoleLog = path.join(o.runDir, `${o.name}.console.log`);
        const controlSocket = path.join(o.runDir, `${o.name}.ctl`);
        fs.rmSync(controlSocket, { force: true });
        killAllOnExit();
        const stderrFd = fs.openSync(path.join(o.runDir, `${o.name}.qemu.log`), "w");
        const child = spawn("setpriv", ["--pdeathsig", "KILL", "--", "qemu-system-x86_64", ...Vm.qemuArgs(o, consoleLog, controlSocket)], {
            stdio: ["ignore", stderrFd, stderrFd],
        });
        fs.closeSync(stderrFd);
        live.add(child);
        const vm = new Vm(o.name, child, o.runDir, o.allowReboot === true);
        child.on("exit", (code, sig) => {
            live.delete(child);
            vm.onExit(`qemu exited (${sig ?? `code ${code}`})`);
        });
        child.on("error", (e) => {
            live.delete(child);
            vm.onExit(`qemu could not be started: ${e.message}`);
        });
        try {
            await vm.connect(controlSocket, started + 15_000);
            await vm.waitReady(o.bootTimeoutMs ?? 120_000);
        } catch (e) {
            await vm.stop();
            throw e;
        }
        vm.bootSeconds = (Date.now() - started) / 1000;
        return vm;
    }

    private async connect(socketPath: string, deadline: number): Promise<void> {
        for (;;) {
            if (this.exited) throw this.failure(`the VM ended before its control channel opened: ${this.exited}`);
            if (fs.existsSync(socketPath)) {
                const sock = await new Promise<net.Socket | undefined>((resolve) => {
                    const s = net.createConnection(socketPath);
                    s.once("connect", () => resolve(s));
                    s.once("error", () => resolve(undefined));
                });
                if (sock) {
                    this.sock = sock;
                    sock.setEncoding("utf8");
                    sock.on("data", (d: string) => this.onData(d));
                    sock.on("error", () => undefined);
                    sock.on("close", () => this.onExit(this.exited ?? "the control channel closed"));
                    return;
                }
            }
            if (Date.now() > deadline) throw this.failure(`qemu did not open the control socket ${socketPath} within 15 s`);
            await new Promise((r) => setTimeout(r, 50));
        }
    }

    private waitReady(timeoutMs: number): Promise<void> {
        if (this.ready) return Promise.resolve();
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                this.readyWaiter = undefined;
                reject(this.failure(`the guest did not become ready within ${timeoutMs / 1000} s`));
            }, timeoutMs);
            this.readyWaiter = (err) => {
                clearTimeout(timer);
                this.readyWaiter = undefined;
                if (err) reject(err);
                else resolve();
            };
        });
    }

    private onData(d: string): void {
        this.lineBuf += d;
        let nl: number;
        while ((nl = this.lineBuf.indexOf("\n")) >= 0) {
            const line = this.lineBuf.slice(0, nl).replace(/\r$/, "");
            this.lineBuf = this.lineBuf.slice(nl + 1);
            this.onLine(line);
        }
    }

    private onLine(line: string): void {
        // anywhere in the line: an agent stopped in the middle of a line (a reboot) leaves its start
        // in front of the next agent's ready line
        const readyAt = line.indexOf("@@MVL-READY ");
        if (readyAt >= 0) {
            const bootId = line.slice(readyAt + "@@MVL-READY ".length).trim();
            const previous = this.bootId;
            this.bootId = bootId;
            this.ready = true;
            // a command sent before the agent (re)started will never be answered
            const p = this.pending;
            if (p) {
                clearTimeout(p.timer);
                this.pending = undefined;
                p.reject(
                    new LostInReboot(
                        `VM ${this.name}: command ${p.id} got no answer: the agent started again (${bootId === previous ? "same boot: the agent restarted" : `new boot ${bootId}`})`,
                    ),
                );
            }
            this.readyWaiter?.();
            if (bootId !== previous) this.bootWaiter?.(bootId);
            return;
        }
        const p = this.pending;
        if (!p) return;
        let m: RegExpExecArray | null;
        if ((m = /^@@MVL-OUT (\d+)$/.exec(line)) && Number(m[1]) === p.id) {
            p.part = "out";
        } else if ((m = /^@@MVL-ERR (\d+)$/.exec(line)) && Number(m[1]) === p.id) {
            p.part = "err";
        } else if ((m = /^@@MVL-END (\d+) (\d+)$/.exec(line)) && Number(m[1]) === p.id) {
            clearTimeout(p.timer);
            this.pending = undefined;
            p.resolve({
                status: Number(m[2]),
                stdout: Buffer.from(p.out.join(""), "base64").toString("utf8"),
                stderr: Buffer.from(p.err.join(""), "base64").toString("utf8"),
                seconds: (Date.now() - p.started) / 1000,
            });
        } else if (line.startsWith("@@MVL-BAD ")) {
            clearTimeout(p.timer);
            this.pending = undefined;
            p.reject(this.failure(`the guest agent refused the request: ${line}`));
        } else if (p.part === "out") {
            p.out.push(line);
        } else if (p.part === "err") {
            p.err.push(line);
        }
    }

    private onExit(why: string): void {
        if (this.exited === undefined) this.exited = why;
        this.exitWaiter?.(why);
        this.readyWaiter?.(this.failure(`the VM ended while booting: ${why}`));
        const p = this.pending;
        if (p) {
            clearTimeout(p.timer);
            this.pending = undefined;
            p.reject(this.failure(`the VM ended while running a command: ${why}`));
        }
    }

    /** The last `n` lines of the kernel console. */
    consoleTail(n = 15): string {
        try {
            const lines = fs.readFileSync(this.consoleLog, "utf8").split("\n").filter((l) => l.trim() !== "");
            return lines.slice(-n).join("\n");
        } catch {
            return "(no console output)";
        }
    }

    private failure(message: string): Error {
        let qemuErr = "";
        try {
            qemuErr = fs.readFileSync(this.stderrLog, "utf8").trim();
        } catch {
            // none
        }
        return new Error(
            `VM ${this.name}: ${message}\n  last console lines (${this.consoleLog}):\n    ${this.consoleTail().split("\n").join("\n    ")}` +
                (qemuErr ? `\n  qemu said: ${qemuErr.split("\n").slice(-5).join("\n    ")}` : ""),
        );
    }

    /**
     * Runs `script` in the guest with its /bin/sh (as root, in /, `stdin` on its stdin) and returns its
     * status and output. One command at a time per VM (calls queue). The guest stops the script after
     * `timeoutSeconds` (status 143); if the guest does not answer 20 s after that, this rejects.
     */
    run(script: string, timeoutSeconds = 300, stdin = ""): Promise<GuestResult> {
        const next = this.queue.then(() => this.runNow(script, timeoutSeconds, stdin));
        this.queue = next.catch(() => undefined);
        return next;
    }

    private runNow(script: string, timeoutSeconds: number, stdin: string): Promise<GuestResult> {
        if (this.exited !== undefined || !this.sock) return Promise.reject(this.failure(`the VM is not running: ${this.exited ?? "not booted"}`));
        if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1) throw new Error(`timeoutSeconds ${timeoutSeconds} is not a positive integer`);
        const payload = gzipSync(Buffer.from(script, "utf8")).toString("base64");
        const input = gzipSync(Buffer.from(stdin, "utf8")).toString("base64");
        const id = this.nextId++;
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                this.pending = undefined;
                reject(this.failure(`no answer to command ${id} within ${timeoutSeconds + 20} s (the guest's own limit was ${timeoutSeconds} s)`));
            }, (timeoutSeconds + 20) * 1000);
            this.pending = { id, out: [], err: [], part: "none", started: Date.now(), resolve, reject, timer };
            this.sock!.write(`RUN ${id} ${payload.length} ${timeoutSeconds} ${input.length}\n${payload}${input}`);
        });
    }

    /**
     * Reboots the guest the way its root would: `command` (default `systemctl reboot`) sent to the
     * agent, whose answer may or may not come back before the agent is stopped; then waits until
     * the agent says ready with a boot id other than the current one (bounded by `timeoutMs`,
     * failing with the console's last lines). Needs a VM started with allowReboot. Returns the
     * seconds from the command to the agent's ready line.
     */
    async reboot(command = "systemctl reboot", timeoutMs = 300_000): Promise<number> {
        if (!this.allowReboot) throw new Error(`VM ${this.name}: started without allowReboot (qemu -no-reboot would end at the guest's reboot)`);
        const previous = this.bootId;
        const started = Date.now();
        const rebooted = new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => {
                this.bootWaiter = undefined;
                reject(this.failure(`the guest did not come back from its reboot within ${timeoutMs / 1000} s (boot id still ${previous})`));
            }, timeoutMs);
            this.bootWaiter = () => {
                clearTimeout(timer);
                this.bootWaiter = undefined;
                resolve();
            };
            this.exitWaiter = (why) => {
                clearTimeout(timer);
                this.bootWaiter = undefined;
                reject(this.failure(`the VM ended during its reboot: ${why}`));
            };
        });
        // the command's own limit is the whole wait: its answer may only be the agent's next ready line
        const sent = this.run(command, Math.max(1, Math.ceil(timeoutMs / 1000))).then(
            (r) => {
                if (r.status !== 0) throw new Error(`VM ${this.name}: ${command} exited ${r.status}: ${r.stderr.trim()}`);
            },
            (e: unknown) => {
                // the agent stopped before it answered: the reboot is under way
                if (!(e instanceof LostInReboot)) throw e;
            },
        );
        try {
            await Promise.all([rebooted, sent]);
        } finally {
            this.exitWaiter = undefined;
        }
        return (Date.now() - started) / 1000;
    }

    /** Like run, but rejects unless the script exits 0 (with its output in the message). */
    async ok(script: string, timeoutSeconds = 300): Promise<string> {
        const r = await this.run(script, timeoutSeconds);
        if (r.status !== 0) {
            throw new Error(`VM ${this.name}: exit ${r.status} from:\n${script.split("\n").slice(0, 5).join("\n")}\n--- stdout:\n${r.stdout}--- stderr:\n${r.stderr}`);
        }
        return r.stdout;
    }

    /** Stops qemu (SIGKILL: the guest keeps nothing) and waits for it to exit. Idempotent. */
    async stop(): Promise<void> {
        this.sock?.destroy();
        if (this.child.exitCode !== null || this.child.signalCode !== null) return;
        await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, 10_000);
            this.child.once("exit", () => {
                clearTimeout(t);
                resolve();
            });
            this.child.kill("SIGKILL");
        });
    }
}

/**
 * Runs a VM without NIC or control channel until its guest powers off (qemu with `-no-reboot`
 * ends then), for work done before a VM's first boot (lab/vm/userland.ts prepares a disk this
 * way). Killed after `timeoutMs` (an error with the console's last lines). Returns the console
 * lines this run wrote (the log is appended to, `<runDir>/<name>.console.log`).
 */
export async function runUntilPowerOff(o: {
    name: string;
    runDir: string;
    image: Pick<VmImage, "kernel" | "initrd">;
    disk?: string;
    commandLine: string;
    memoryMb?: number;
    tbSizeMb?: number;
    timeoutMs: number;
}): Promise<string> {
    const consoleLog = path.join(o.runDir, `${o.name}.console.log`);
    const before = fs.existsSync(consoleLog) ? fs.statSync(consoleLog).size : 0;
    const stderrFile = path.join(o.runDir, `${o.name}.qemu.log`);
    const stderrFd = fs.openSync(stderrFile, "a");
    killAllOnExit();
    const args = baseQemuArgs({ image: o.image, memoryMb: o.memoryMb, disk: o.disk, commandLine: o.commandLine, consoleLog, allowReboot: false, tbSizeMb: o.tbSizeMb });
    const child = spawn("setpriv", ["--pdeathsig", "KILL", "--", "qemu-system-x86_64", ...args], { stdio: ["ignore", stderrFd, stderrFd] });
    fs.closeSync(stderrFd);
    live.add(child);
    const outcome = await new Promise<string | undefined>((resolve) => {
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            resolve(`did not power off within ${o.timeoutMs / 1000} s`);
        }, o.timeoutMs);
        child.on("exit", (code, sig) => {
            clearTimeout(timer);
            resolve(code === 0 ? undefined : `qemu exited (${sig ?? `code ${code}`})`);
        });
        child.on("error", (e) => {
            clearTimeout(timer);
            resolve(`qemu could not be started: ${e.message}`);
        });
    });
    live.delete(child);
    let text = "";
    try {
        text = fs.readFileSync(consoleLog).subarray(before).toString("utf8");
    } catch {
        // no console
    }
    if (outcome !== undefined) {
        const tail = text.split("\n").filter((l) => l.trim() !== "").slice(-15).join("\n    ");
        let qemuErr = "";
        try {
            qemuErr = fs.readFileSync(stderrFile, "utf8").trim();
        } catch {
            // none
        }
        throw new Error(`VM ${o.name}: ${outcome}\n  last console lines (${consoleLog}):\n    ${tail || "(none)"}${qemuErr ? `\n  qemu said: ${qemuErr.split("\n").slice(-5).join("\n    ")}` : ""}`);
    }
    return text;
}

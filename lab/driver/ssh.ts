/**
 * SSH for the lab driver (a stand-in for the Pulumi engine and its providers, for the lab and tests
 * only): the system `ssh` client in batch mode, every connection bounded in time and in attempts,
 * the private key in a 0600 file that is deleted afterwards, host keys pinned when known, and a count
 * of the sessions each host received.
 *
 * `sshArgv` is pure and exported for tests; `SshRunner` does the I/O.
 */
import { spawn, ChildProcess } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Where and as whom to connect. */
export interface SshTarget {
    /** Address or name of the host. */
    host: string;
    /** Defaults to 22. */
    port: number;
    /** Defaults to root. */
    user: string;
    /** How the host is called in messages and counts: a lab host name, or `<address>:<port>`. */
    label: string;
}

/** How to authenticate and verify the host. */
export interface SshAuth {
    /** Private key file (`-i`, with IdentitiesOnly). Defaults to the ssh client's own identities. */
    keyFile?: string;
    /**
     * known_hosts file and how strict to be with it. `pinned`: a file holding only the expected key,
     * StrictHostKeyChecking=yes. `accept-new`: a driver-private file, keys learnt on first use.
     * `ssh-config`: neither set (the options in `extraOpts` or the user's ssh config decide).
     */
    knownHosts: { mode: "pinned" | "accept-new"; file: string } | { mode: "ssh-config" };
    /**
     * Options given by the program (the Docker provider's `sshOpts`): placed first, so they win over
     * the driver's defaults (ssh keeps the first value of an option).
     */
    extraOpts?: string[];
    /** Pass `-F none` (ignore the user's ssh config), as the Go SSH client of `remote.Command` does. */
    ignoreUserConfig?: boolean;
}

/** Bounds of one remote run. */
export interface SshLimits {
    /** Connection attempts before giving up (`dialErrorLimit`). Clamped to 1..MAX_DIAL_ATTEMPTS. */
    dialAttempts: number;
    /** Seconds per connection attempt (`perDialTimeout`, ssh ConnectTimeout). Clamped to 1..MAX_DIAL_TIMEOUT_S. */
    dialTimeoutSeconds: number;
    /** Kill the session after this long. */
    runTimeoutMs: number;
}

/** Retries are bounded even when the program asks for unlimited ones (`dialErrorLimit: -1`). */
export const MAX_DIAL_ATTEMPTS = 20;
export const MAX_DIAL_TIMEOUT_S = 60;
/** Pause between connection attempts. */
export const DIAL_RETRY_PAUSE_MS = 1000;
/** A dead connection is noticed after SERVER_ALIVE_INTERVAL_S x SERVER_ALIVE_COUNT_MAX seconds. */
export const SERVER_ALIVE_INTERVAL_S = 5;
export const SERVER_ALIVE_COUNT_MAX = 3;
/** At most this many sessions to one host at once (sshd drops connections beyond MaxStartups 10). */
export const MAX_SESSIONS_PER_HOST = 4;

/** `dialErrorLimit` / `perDialTimeout` of a connection -> bounded limits. */
export function boundedLimits(dialErrorLimit: number | undefined, perDialTimeout: number | undefined, runTimeoutMs: number): SshLimits {
    const attempts = dialErrorLimit === undefined || dialErrorLimit < 1 ? MAX_DIAL_ATTEMPTS : Math.min(dialErrorLimit, MAX_DIAL_ATTEMPTS);
    const timeout = perDialTimeout === undefined || perDialTimeout < 1 ? MAX_DIAL_TIMEOUT_S : Math.min(perDialTimeout, MAX_DIAL_TIMEOUT_S);
    return { dialAttempts: attempts, dialTimeoutSeconds: timeout, runTimeoutMs };
}

/**
 * The argv of one ssh session that runs `remoteCommand` (a shell command line; sshd hands it to the
 * user's login shell with `-c`, as the real providers do). Pure.
 */
export function sshArgv(target: SshTarget, auth: SshAuth, limits: SshLimits, remoteCommand: string): string[] {
    const argv = ["ssh"];
    if (auth.ignoreUserConfig) {
        argv.push("-F", "none");
    }
    argv.push(...(auth.extraOpts ?? []));
    if (auth.keyFile !== undefined) {
        argv.push("-i", auth.keyFile, "-o", "IdentitiesOnly=yes");
    }
    if (auth.knownHosts.mode !== "ssh-config") {
        argv.push(
            "-o", `UserKnownHostsFile=${auth.knownHosts.file}`,
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", `StrictHostKeyChecking=${auth.knownHosts.mode === "pinned" ? "yes" : "accept-new"}`,
        );
    }
    argv.push(
        "-o", "BatchMode=yes",
        "-o", `ConnectTimeout=${limits.dialTimeoutSeconds}`,
        "-o", "ConnectionAttempts=1",
        "-o", `ServerAliveInterval=${SERVER_ALIVE_INTERVAL_S}`,
        "-o", `ServerAliveCountMax=${SERVER_ALIVE_COUNT_MAX}`,
        "-o", "LogLevel=ERROR",
        "-p", String(target.port),
        "-l", target.user,
        "--", target.host, remoteCommand,
    );
    return argv;
}

/**
 * The known_hosts line that pins `hostKey` (`ssh-ed25519 AAAA... [comment]`) for host:port, or an
 * error message naming the problem. Pure.
 */
export function pinnedKnownHostsLine(host: string, port: number, hostKey: string): string | { error: string } {
    const m = /^\s*((?:ssh|ecdsa|sk)-[A-Za-z0-9@.-]+)\s+([A-Za-z0-9+/]+={0,2})(?:\s.*)?$/.exec(hostKey);
    if (m === null) {
        return { error: `hostKey ${JSON.stringify(hostKey.slice(0, 40))} is not a public host key; give it as "ssh-ed25519 AAAA..."` };
    }
    const who = port === 22 ? host : `[${host}]:${port}`;
    return `${who} ${m[1]} ${m[2]}`;
}

export interface SshResult {
    /** Exit status of the remote command (ssh's own 255 for connection failures). */
    code: number;
    stdout: string;
    stderr: string;
    /** Connection attempts made. */
    attempts: number;
}

/** A session that could not be established or did not finish. */
export class SshError extends Error {
    constructor(
        message: string,
        public readonly kind: "connect" | "auth" | "hostkey" | "timeout",
    ) {
        super(message);
    }
}

/** stderr of ssh that means the connection (not the remote command) failed and may be retried. */
const RETRYABLE = /ssh: connect to host|Connection refused|Connection timed out|timed out during banner exchange|No route to host|Network is unreachable|Connection closed by|Connection reset|kex_exchange_identification|Could not resolve hostname|Broken pipe|Temporary failure in name resolution/i;
const HOSTKEY = /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No [A-Za-z0-9-]+ host key is known/i;
const AUTH = /Permission denied|Too many authentication failures|no mutual signature algorithm/i;

/** How a failed ssh run is classified: a connection problem to retry, a fatal one, or the command's own exit. */
export function classifySshFailure(code: number, stderr: string): "retry" | "auth" | "hostkey" | "command" {
    if (code !== 255) {
        return "command";
    }
    if (HOSTKEY.test(stderr)) return "hostkey";
    if (AUTH.test(stderr)) return "auth";
    if (RETRYABLE.test(stderr)) return "retry";
    return "command";
}

/** The last `n` non-empty lines of a text, joined with " | ", for one-line error messages. */
export function tail(text: string, n = 5): string {
    const lines = text.split("\n").map((l) => l.trimEnd()).filter((l) => l.length > 0);
    return lines.slice(-n).join(" | ");
}

/** A bounded wait. */
export function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

/** A counting semaphore. */
class Semaphore {
    private waiting: Array<() => void> = [];
    private active = 0;
    constructor(private readonly max: number) {}
    async run<T>(fn: () => Promise<T>): Promise<T> {
        if (this.active >= this.max) {
            await new Promise<void>((r) => this.waiting.push(r));
        }
        this.active++;
        try {
            return await fn();
        } finally {
            this.active--;
            this.waiting.shift()?.();
        }
    }
}

/**
 * Runs ssh sessions with bounded retries and timeouts; counts sessions per host; owns the temp
 * directory of key and known_hosts files and removes it on `close()` (and at process exit).
 */
export class SshRunner {
    /** host label -> sessions started (every attempt counts). */
    readonly sessions: Record<string, number> = {};
    private readonly tmpDir: string;
    private readonly keyFiles = new Map<string, string>();
    private readonly pinFiles = new Map<string, string>();
    private readonly children = new Set<ChildProcess>();
    private readonly perHost = new Map<string, Semaphore>();
    private closed = false;
    private readonly onExit = (): void => this.closeSync();

    constructor() {
        this.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-driver-"));
        fs.chmodSync(this.tmpDir, 0o700);
        process.on("exit", this.onExit);
    }

    /**
     * A 0600 file holding `privateKey` (one per distinct key), deleted by `close()`. The key itself
     * is never logged or stored elsewhere.
     */
    keyFile(privateKey: string): string {
        const digest = crypto.createHash("sha256").update(privateKey).digest("hex").slice(0, 16);
        let file = this.keyFiles.get(digest);
        if (file === undefined) {
            file = path.join(this.tmpDir, `key-${digest}`);
            fs.writeFileSync(file, privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`, { mode: 0o600 });
            this.keyFiles.set(digest, file);
        }
        return file;
    }

    /** A known_hosts file holding only `line` (from `pinnedKnownHostsLine`). */
    pinnedKnownHosts(line: string): string {
        let file = this.pinFiles.get(line);
        if (file === undefined) {
            file = path.join(this.tmpDir, `known_hosts-${this.pinFiles.size}`);
            fs.writeFileSync(file, `${line}\n`, { mode: 0o600 });
            this.pinFiles.set(line, file);
        }
        return file;
    }

    /**
     * Runs `remoteCommand` on the target: retries connection failures up to `limits.dialAttempts`
     * times, fails at once on authentication or host-key errors, kills the session after
     * `limits.runTimeoutMs`. Resolves with the remote exit status (non-zero included); rejects with
     * an SshError when no session could be had or it timed out.
     */
    async run(target: SshTarget, auth: SshAuth, limits: SshLimits, remoteCommand: string, stdin?: string): Promise<SshResult> {
        const argv = sshArgv(target, auth, limits, remoteCommand);
        let sem = this.perHost.get(target.label);
        if (sem === undefined) {
            sem = new Semaphore(MAX_SESSIONS_PER_HOST);
            this.perHost.set(target.label, sem);
        }
        const where = `${target.user}@${target.host}:${target.port}`;
        let last = "";
        for (let attempt = 1; attempt <= limits.dialAttempts; attempt++) {
            if (this.closed) {
                throw new SshError(`ssh to ${where}: the driver is shutting down`, "connect");
            }
            this.sessions[target.label] = (this.sessions[target.label] ?? 0) + 1;
            const r = await sem.run(() => this.spawnOnce(argv, limits.runTimeoutMs, stdin));
            if (this.closed) {
                throw new SshError(`ssh to ${where}: the session was killed: the driver is stopping`, "connect");
            }
            if (r === "timeout") {
                throw new SshError(`ssh to ${where}: no result after ${Math.round(limits.runTimeoutMs / 1000)} s; the session was killed`, "timeout");
            }
            const kind = classifySshFailure(r.code, r.stderr);
            if (r.code === 0 || kind === "command") {
                return { ...r, attempts: attempt };
            }
            last = tail(r.stderr, 2);
            if (kind === "hostkey") {
                throw new SshError(`ssh to ${where}: the host key does not match the pinned one (${last})`, "hostkey");
            }
            if (kind === "auth") {
                throw new SshError(`ssh to ${where}: authentication failed (${last})`, "auth");
            }
            if (attempt < limits.dialAttempts) {
                await sleep(DIAL_RETRY_PAUSE_MS);
            }
        }
        throw new SshError(
            `could not connect over SSH to ${where} after ${limits.dialAttempts} attempt(s) of at most ${limits.dialTimeoutSeconds} s: ${last}`,
            "connect",
        );
    }

    private spawnOnce(argv: string[], timeoutMs: number, stdin?: string): Promise<{ code: number; stdout: string; stderr: string } | "timeout"> {
        return new Promise((resolve) => {
            let stdout = "";
            let stderr = "";
            let timedOut = false;
            const child = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
            this.children.add(child);
            const timer = setTimeout(() => {
                timedOut = true;
                child.kill("SIGKILL");
            }, timeoutMs);
            child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
            child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
            child.on("error", (e) => {
                clearTimeout(timer);
                this.children.delete(child);
                resolve({ code: 127, stdout, stderr: `${stderr}ssh: ${e.message}\n` });
            });
            child.on("close", (code, signal) => {
                clearTimeout(timer);
                this.children.delete(child);
                if (timedOut) {
                    resolve("timeout");
                } else {
                    resolve({ code: code ?? (signal !== null ? 128 + (os.constants.signals[signal] ?? 0) : 255), stdout, stderr });
                }
            });
            child.stdin!.on("error", () => undefined);
            child.stdin!.end(stdin ?? "");
        });
    }

    /** Kills running sessions and deletes the key and known_hosts files. Idempotent. */
    close(): void {
        this.closeSync();
        process.removeListener("exit", this.onExit);
    }

    private closeSync(): void {
        this.closed = true;
        for (const c of this.children) {
            c.kill("SIGKILL");
        }
        this.children.clear();
        fs.rmSync(this.tmpDir, { recursive: true, force: true });
        this.keyFiles.clear();
        this.pinFiles.clear();
    }
}

/**
 * Running `pulumi` in the lab's workspace: output to files followed line by line, a stop that lets
 * pulumi cancel and unlock before its process group is killed, and the two stack commands every run
 * needs (select, secret config on stdin).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { StringDecoder } from "string_decoder";
import type { Engine } from "./engine";
import { type Workspace, pulumiEnv } from "./workspace";

export interface PulumiRun {
    code: number;
    stdout: string;
    stderr: string;
    seconds: number;
}

export interface PulumiRunOptions {
    /** Wraps the argv to run elsewhere (the lab's controller namespaces). */
    wrap?: (argv: string[]) => string[];
    /** Gets each line of output as it comes (stdout and stderr). */
    onLine?: (line: string) => void;
    /** Text for stdin. */
    input?: string;
    /** Inherit the terminal instead of capturing (interactive use). */
    inherit?: boolean;
    signal?: AbortSignal;
    /** Killed (SIGTERM, then SIGKILL after 30 s) after this long. */
    timeoutMs?: number;
    /** Called with the child's pid once it started. */
    onStart?: (pid: number) => void;
}

/**
 * Follows a file another process writes: every complete line to `onLine`, the whole text kept.
 * `flush()` reads what is left and passes a last line without a newline too.
 */
class FileFollower {
    private fd: number;
    private offset = 0;
    private rest = "";
    private readonly buf = Buffer.alloc(64 * 1024);
    /** Keeps a UTF-8 character that a read cut in two until its other bytes come. */
    private readonly decoder = new StringDecoder("utf8");
    text = "";

    constructor(file: string, private readonly onLine?: (line: string) => void) {
        this.fd = fs.openSync(file, "r");
    }

    poll(): void {
        for (;;) {
            const n = fs.readSync(this.fd, this.buf, 0, this.buf.length, this.offset);
            if (n <= 0) return;
            this.offset += n;
            const chunk = this.decoder.write(this.buf.subarray(0, n));
            this.text += chunk;
            const parts = (this.rest + chunk).split("\n");
            this.rest = parts.pop() ?? "";
            for (const l of parts) this.onLine?.(l);
        }
    }

    flush(): void {
        this.poll();
        if (this.rest !== "") this.onLine?.(this.rest);
        this.rest = "";
        fs.closeSync(this.fd);
    }
}

let runCounter = 0;

/** A child's exit status as a shell reports it: its code, or 128 + the signal that ended it. */
function exitStatus(code: number | null, sig: NodeJS.Signals | null): number {
    return code ?? (sig !== null ? 128 + (os.constants.signals[sig] ?? 0) : 1);
}

/**
 * Runs `pulumi <args>` in the lab's project with the lab's environment. Its output goes to files
 * under `<workspace>/logs/` (followed line by line for `onLine`), never to a pipe: pulumi must be
 * able to finish writing and release its stack lock when the process that started it is gone
 * (a Go program dies on its first write to a pipe whose reader died).
 */
export function runPulumi(ws: Workspace, engine: Engine, args: string[], opts: PulumiRunOptions = {}): Promise<PulumiRun> {
    const argv = (opts.wrap ?? ((a: string[]) => a))([path.join(engine.binDir, "pulumi"), ...args]);
    const started = Date.now();
    if (opts.inherit) {
        return new Promise((resolve, reject) => {
            const child = spawn(argv[0], argv.slice(1), { cwd: ws.project, env: pulumiEnv(ws, engine), stdio: "inherit" });
            if (child.pid !== undefined) opts.onStart?.(child.pid);
            child.on("error", reject);
            child.on("close", (code, sig) =>
                resolve({ code: exitStatus(code, sig), stdout: "", stderr: "", seconds: (Date.now() - started) / 1000 }),
            );
        });
    }
    const logs = path.join(ws.dir, "logs");
    fs.mkdirSync(logs, { recursive: true, mode: 0o700 });
    const base = path.join(logs, `${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}-${++runCounter}-${args[0] ?? "pulumi"}`);
    const outFd = fs.openSync(`${base}.out`, "w", 0o600);
    const errFd = fs.openSync(`${base}.err`, "w", 0o600);
    const out = new FileFollower(`${base}.out`, opts.onLine);
    const err = new FileFollower(`${base}.err`, opts.onLine);
    return new Promise((resolve, reject) => {
        const child = spawn(argv[0], argv.slice(1), {
            cwd: ws.project,
            env: pulumiEnv(ws, engine),
            stdio: ["pipe", outFd, errFd],
            // its own process group: a stop reaches pulumi and everything it started
            detached: true,
        });
        fs.closeSync(outFd);
        fs.closeSync(errFd);
        if (child.pid !== undefined) opts.onStart?.(child.pid);
        child.stdin?.on("error", () => undefined);
        child.stdin?.end(opts.input ?? "");
        const follow = setInterval(() => {
            out.poll();
            err.poll();
        }, 100);
        let killTimer: NodeJS.Timeout | undefined;
        const signal = (target: number | undefined, sig: NodeJS.Signals) => {
            try {
                if (target !== undefined) process.kill(target, sig);
            } catch {
                /* gone */
            }
        };
        // pulumi alone first: it cancels, waits for its plugins and saves its state; its whole
        // group (plugins, language host, program) only when it has not finished 30 s later
        const stop = () => {
            signal(child.pid, "SIGTERM");
            killTimer = setTimeout(() => signal(child.pid === undefined ? undefined : -child.pid, "SIGKILL"), 30_000);
        };
        const timer = opts.timeoutMs !== undefined ? setTimeout(stop, opts.timeoutMs) : undefined;
        opts.signal?.addEventListener("abort", stop, { once: true });
        child.on("error", (e) => {
            clearInterval(follow);
            reject(e);
        });
        child.on("close", (code, sig) => {
            clearInterval(follow);
            if (timer) clearTimeout(timer);
            if (killTimer) clearTimeout(killTimer);
            opts.signal?.removeEventListener("abort", stop);
            out.flush();
            err.flush();
            resolve({
                code: exitStatus(code, sig),
                stdout: out.text,
                stderr: err.text,
                seconds: (Date.now() - started) / 1000,
            });
        });
    });
}

/** The stack in the lab's backend, selected, created when missing. */
export async function selectStack(ws: Workspace, engine: Engine, stack: string, opts: PulumiRunOptions = {}): Promise<void> {
    const r = await runPulumi(ws, engine, ["stack", "select", "--create", "--non-interactive", "--secrets-provider", "passphrase", stack], opts);
    if (r.code !== 0) throw new Error(`pulumi stack select --create ${stack} failed (${r.code}): ${(r.stderr || r.stdout).trim()}`);
}

/** `pulumi config set --secret <key>` with the value on stdin (never on a command line). */
export async function setSecret(ws: Workspace, engine: Engine, key: string, value: string, opts: PulumiRunOptions = {}): Promise<void> {
    const r = await runPulumi(ws, engine, ["config", "set", "--secret", key], { ...opts, input: value, onLine: undefined });
    if (r.code !== 0) throw new Error(`pulumi config set --secret ${key} failed (${r.code}): ${r.stderr.trim()}`);
}

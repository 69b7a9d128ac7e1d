/**
 * Process helpers of the local lab: run a command with a bounded time, find the processes of a
 * network namespace, wait (bounded) for processes to exit, and kill them.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

export interface RunOptions {
    input?: string;
    /** Kill the command (SIGKILL) after this long; the result then has code 124. Defaults to 60 s. */
    timeoutMs?: number;
    env?: NodeJS.ProcessEnv;
}

/** Exit code reported for a command killed because it ran out of time (as `timeout(1)` does). */
export const TIMEOUT_CODE = 124;

/** Runs `argv` (no shell) and collects its output; never rejects for a non-zero exit. */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const timeoutMs = opts.timeoutMs ?? 60_000;
    return new Promise((resolve) => {
        let stdout = "";
        let stderr = "";
        let timedOut = false;
        // its own process group, so a timeout kills the command's children too (an orphan holding
        // stdout open would otherwise keep us waiting for it)
        const child = spawn(argv[0], argv.slice(1), {
            stdio: ["pipe", "pipe", "pipe"],
            env: opts.env ?? process.env,
            detached: true,
        });
        const timer = setTimeout(() => {
            timedOut = true;
            try {
                if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
            } catch {
                child.kill("SIGKILL");
            }
        }, timeoutMs);
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.on("error", (e) => {
            clearTimeout(timer);
            resolve({ code: 127, stdout, stderr: stderr + `${argv[0]}: ${e.message}\n` });
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            if (timedOut) {
                resolve({ code: TIMEOUT_CODE, stdout, stderr: stderr + `timed out after ${timeoutMs} ms: ${argv.join(" ")}\n` });
            } else {
                resolve({ code: code ?? 128 + signalNumber(signal), stdout, stderr });
            }
        });
        child.stdin.on("error", () => undefined); // the command may exit without reading its input
        child.stdin.end(opts.input ?? "");
    });
}

function signalNumber(signal: NodeJS.Signals | null): number {
    return signal === null ? 0 : os.constants.signals[signal] ?? 0;
}

/** Runs `argv` and throws (with its stderr) unless it exits 0; returns stdout. */
export async function runOk(argv: readonly string[], opts: RunOptions = {}): Promise<string> {
    const r = await run(argv, opts);
    if (r.code !== 0) {
        throw new Error(`${argv.join(" ")} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
    }
    return r.stdout;
}

export function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

/** Whether `pid` is a live process (a zombie counts as gone). */
export function isAlive(pid: number): boolean {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        // "pid (comm) S ...": the state follows the last ')'
        const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
        return state !== "Z" && state !== "X";
    } catch {
        return false;
    }
}

/** The command line of `pid` as one string (NULs as spaces), "" when gone. */
export function cmdline(pid: number): string {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0+$/, "").replace(/\0/g, " ");
    } catch {
        return "";
    }
}

/** `comm` of `pid`, "" when gone. */
export function comm(pid: number): string {
    try {
        return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    } catch {
        return "";
    }
}

export function allPids(): number[] {
    return fs
        .readdirSync("/proc")
        .filter((e) => /^\d+$/.test(e))
        .map(Number);
}

/** The inode of a namespace file (`/run/netns/X` or `/proc/<pid>/ns/net`), undefined when absent. */
export function nsInode(path: string): number | undefined {
    try {
        return fs.statSync(path).ino;
    } catch {
        return undefined;
    }
}

/** Live processes whose network namespace is the one pinned at `/run/netns/<netns>`. */
export function pidsInNetns(netns: string): number[] {
    const ino = nsInode(`/run/netns/${netns}`);
    if (ino === undefined) return [];
    return allPids().filter((pid) => nsInode(`/proc/${pid}/ns/net`) === ino && isAlive(pid));
}

/** This process and its ancestors: never to be killed by a tear-down. */
export function selfAndAncestors(): Set<number> {
    const out = new Set<number>();
    let pid = process.pid;
    for (let i = 0; i < 64 && pid > 1; i++) {
        out.add(pid);
        try {
            const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
            pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        } catch {
            break;
        }
    }
    return out;
}

/** Waits until none of `pids` is alive, polling, at most `timeoutMs`; returns the survivors. */
export async function waitGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    let alive = pids.filter(isAlive);
    for (let i = 0; alive.length > 0 && Date.now() < deadline && i < 10_000; i++) {
        await sleep(100);
        alive = alive.filter(isAlive);
    }
    return alive;
}

/** Sends `signal` to each pid that is alive, ignoring the ones that are gone meanwhile. */
export function signal(pids: readonly number[], sig: NodeJS.Signals): void {
    for (const pid of pids) {
        try {
            process.kill(pid, sig);
        } catch {
            /* gone */
        }
    }
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL and wait up to 5 s; returns what still lives. */
export async function terminate(pids: readonly number[], graceMs: number): Promise<number[]> {
    signal(pids, "SIGTERM");
    let left = await waitGone(pids, graceMs);
    if (left.length > 0) {
        signal(left, "SIGKILL");
        left = await waitGone(left, 5_000);
    }
    return left;
}

/** Polls `probe` until it returns a value other than undefined, at most `timeoutMs`. */
export async function waitFor<T>(
    what: string,
    timeoutMs: number,
    probe: () => T | undefined | Promise<T | undefined>,
    intervalMs = 100,
): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 100_000; i++) {
        const v = await probe();
        if (v !== undefined) return v;
        if (Date.now() >= deadline) break;
        await sleep(intervalMs);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

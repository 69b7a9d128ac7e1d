/**
 * One key for everything: the Docker provider's `ssh://` connections use the same `sshPrivateKey`
 * secret as the remote commands, and the host keys pinned with `hostKey` are the only ones its ssh
 * accepts (a known_hosts line given by `KnownHostsCommand`: `knownHostsLine`, `dockerSshOpts`).
 *
 * The Docker provider (pulumi-docker 5.2.0, which bridges kreuzwerker terraform-provider-docker
 * v4.6.0, lab/providers/docker/README.md "Which upstream") runs the system `ssh` client with the
 * provider's `sshOpts` (docker/cli `connhelper`); it takes no key
 * material of its own, and its process inherits the environment of the `pulumi` CLI, not the
 * program's. So the key reaches it as a file named in `sshOpts` (`-i <file>`): written here, mode
 * 0600, created exclusively without following a link, in a 0700 directory of the user running Pulumi
 * whose parent nobody else can change, for the run, and removed when the `pulumi` process that ran
 * the program ends, however it ends (a detached watcher; several runs of the same key share the file
 * and the last one removes it). Its path is the same in every run of a stack with the same key,
 * so the provider's inputs do not change from one run to the next.
 *
 * `pulumi destroy` and `pulumi refresh` do not run the program by default, so the file is not there
 * for them: run them with `--run-program`, or set `sshKeyFile` (a key file of your own, never
 * removed), or load the key into an ssh-agent (`sshKeyFile` unset, the provider's ssh asks the agent).
 *
 * Pure parts (paths, known_hosts lines, ssh options) are exported for tests; {@link writeRunSshFiles}
 * writes the files.
 */
import { spawn } from "child_process";
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { KnownHostsSource } from "../model/hostKey";
import { HostSpec } from "../model/types";

/**
 * A known_hosts line for a pinned host: `<address> <type> <base64>`, `[<address>]:<port> ...` off
 * port 22 (how ssh looks a host up). Only base64 and names: nothing ssh's `%` tokens would expand.
 */
export function knownHostsLine(host: HostSpec): string | undefined {
    const key = host.ssh.hostKey;
    if (key === undefined) {
        return undefined;
    }
    // a .pub file's comment (third field) is not part of the key
    const [type, blob] = key.trim().split(/\s+/);
    const pattern = host.ssh.port === 22 ? host.ssh.address : `[${host.ssh.address}]:${host.ssh.port}`;
    return `${pattern} ${type} ${blob}`;
}

/** The known_hosts file the program reads when `sshKnownHostsFile` is not set: the user's, as ssh's default. */
export function defaultKnownHostsFile(): string {
    return path.join(os.homedir(), ".ssh", "known_hosts");
}

/**
 * Reads a known_hosts file for `resolveHostKeys` (`~/` at the start means the home directory, as in
 * ssh_config): its text, or no text when there is no such file. Any other failure throws.
 */
export function readKnownHostsFile(file: string = defaultKnownHostsFile()): KnownHostsSource {
    const expanded = file === "~" || file.startsWith("~/") ? path.join(os.homedir(), file.slice(1)) : file;
    try {
        return { path: file, text: fs.readFileSync(expanded, "utf8") };
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return { path: file };
        throw new Error(`cannot read the known_hosts file ${file}: ${(e as Error).message}`);
    }
}

/** The private directory the run's files go to: `$XDG_RUNTIME_DIR/macvlan-lab`, else `<tmp>/macvlan-lab-<uid>`. */
export function runFilesDir(env: NodeJS.ProcessEnv = process.env): string {
    const xdg = env.XDG_RUNTIME_DIR;
    if (xdg !== undefined && path.isAbsolute(xdg) && fs.existsSync(xdg)) {
        return path.join(xdg, "macvlan-lab");
    }
    return path.join(os.tmpdir(), `macvlan-lab-${os.userInfo().uid}`);
}

/** What {@link writeRunSshFiles} wrote; the name the provider options refer to. */
export interface RunSshFiles {
    /** The private key, 0600. */
    keyFile: string;
}

/** The file name of a run (pure): `<dir>/<project>-<stack>-<digest of the key>.key`. */
export function runSshFileNames(dir: string, project: string, stack: string, privateKey: string): RunSshFiles {
    const safe = (s: string) => s.replace(/[^a-zA-Z0-9_.-]/g, "_");
    // one file per key: two labs of one stack name with different keys keep theirs apart
    const digest = createHash("sha256").update("macvlan-lab docker ssh key\0").update(privateKey).digest("hex").slice(0, 16);
    return { keyFile: path.join(dir, `${safe(project)}-${safe(stack)}-${digest}.key`) };
}

/**
 * Why `parent` cannot hold the run's private directory, or undefined: it must be a directory (a
 * link is followed to one) that only this user or root owns, and in which nobody else can replace
 * entries: not writable by group or others, unless the sticky bit keeps their hands off ours (/tmp).
 */
export function parentDirProblem(parent: string): string | undefined {
    let st: fs.Stats;
    try {
        st = fs.statSync(parent);
    } catch (e) {
        return `${parent} cannot be read (${(e as Error).message})`;
    }
    const uid = os.userInfo().uid;
    if (!st.isDirectory()) return `${parent} is not a directory`;
    if (st.uid !== uid && st.uid !== 0) return `${parent} belongs to uid ${st.uid}, not to this user (${uid}) or root`;
    if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) return `${parent} is writable by other users (mode ${(st.mode & 0o7777).toString(8)}) without the sticky bit`;
    return undefined;
}

/**
 * Makes `dir` (0700, not its parents) or checks that it is a directory of ours that nobody else can
 * enter, in a parent that nobody else can change ({@link parentDirProblem}).
 */
export function privateDir(dir: string): void {
    const problem = parentDirProblem(path.dirname(dir));
    if (problem !== undefined) {
        throw new Error(`the run's files (key, ssh control sockets) cannot go under ${dir}: ${problem}; set XDG_RUNTIME_DIR to a private directory of yours (or sshKeyFile to a key file)`);
    }
    try {
        fs.mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const st = fs.lstatSync(dir);
    const uid = os.userInfo().uid;
    if (!st.isDirectory() || st.isSymbolicLink() || st.uid !== uid || (st.mode & 0o077) !== 0) {
        throw new Error(
            `${dir} is not a private directory of this user (it must be a real directory owned by uid ${uid}, mode 0700); remove it or set XDG_RUNTIME_DIR to a private directory`,
        );
    }
}

/**
 * Writes `text` to `file` with mode 0600: a new file of a random name made exclusively and without
 * following a link (O_CREAT | O_EXCL | O_NOFOLLOW), flushed, then renamed over `file` (a rename
 * replaces a link there, never writes through it).
 */
function writePrivate(file: string, text: string): void {
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
    const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    try {
        fs.writeFileSync(fd, text);
        fs.fsyncSync(fd);
    } catch (e) {
        fs.closeSync(fd);
        fs.rmSync(tmp, { force: true });
        throw e;
    }
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
}

/** A process as this module tells it apart from a later one with the same pid. */
interface ProcessId {
    pid: number;
    /** Field 22 of /proc/<pid>/stat: clock ticks after boot when it started. */
    start: string;
}

function procStat(pid: number): { comm: string; ppid: number; start: string } | undefined {
    try {
        const s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const close = s.lastIndexOf(")");
        const comm = s.slice(s.indexOf("(") + 1, close);
        const rest = s.slice(close + 2).split(" ");
        // rest[0] is field 3 (state): ppid is field 4, starttime field 22
        return { comm, ppid: Number(rest[1]), start: rest[19] };
    } catch {
        return undefined;
    }
}

/** The `pulumi` CLI process this program runs under (the nearest ancestor named pulumi), if any. */
export function enginePid(): ProcessId | undefined {
    let pid = process.ppid;
    for (let i = 0; i < 10 && pid > 1; i++) {
        const st = procStat(pid);
        if (st === undefined) return undefined;
        if (st.comm === "pulumi") return { pid, start: st.start };
        pid = st.ppid;
    }
    return undefined;
}

/**
 * The watcher: waits until the run's owner process is gone (however it ended: an exit, a signal, a
 * crash, SIGKILL), drops its run marker, and removes the files when no other live run holds them.
 * Bounded: it gives up waiting after 7 days. Node, run detached.
 */
const WATCHER = `
const fs = require("fs");
const [markerDir, marker, pid, start, ...files] = process.argv.slice(1);
const startOf = (p) => { try { const s = fs.readFileSync("/proc/" + p + "/stat", "utf8"); return s.slice(s.lastIndexOf(")") + 2).split(" ")[19]; } catch { return undefined; } };
const alive = (p, s) => startOf(p) === s;
const until = Date.now() + 7 * 24 * 3600 * 1000;
const tick = () => {
  if (alive(pid, start) && Date.now() < until) return setTimeout(tick, 1000);
  try { fs.rmSync(marker, { force: true }); } catch {}
  let others = [];
  try { others = fs.readdirSync(markerDir); } catch {}
  for (const m of others) {
    const [p, s] = m.split("-");
    if (alive(p, s)) return;
    try { fs.rmSync(markerDir + "/" + m, { force: true }); } catch {}
  }
  for (const f of files) { try { fs.rmSync(f, { force: true }); } catch {} }
  try { fs.rmdirSync(markerDir); } catch {}
};
tick();
`;

/** Key files (and run markers) this process has already arranged the removal of. */
const armed = new Set<string>();

/** What this process removes when it ends (the runs' files it owns), newest last. */
const atEnd: Array<() => void> = [];
let atEndArmed = false;

/**
 * Runs `end` once when this process exits or gets SIGINT, SIGTERM or SIGHUP. One listener per
 * event for the whole process, however many runs it holds (a test process runs the program for many
 * stacks). On a signal that no other listener handles, the process then ends as the signal would
 * have ended it (its default action).
 */
function atProcessEnd(end: () => void): void {
    atEnd.push(end);
    if (atEndArmed) {
        return;
    }
    atEndArmed = true;
    const runAll = (): void => {
        for (const e of atEnd.splice(0)) e();
    };
    process.on("exit", runAll);
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        const onSignal = (): void => {
            runAll();
            // nobody else handles it: end as the signal would have
            if (process.listenerCount(sig) === 1) {
                process.removeListener(sig, onSignal);
                process.kill(process.pid, sig);
            }
        };
        process.on(sig, onSignal);
    }
}

/** This run's end, in this process: its marker goes, and the files when no other live run holds them. */
function endRun(markerDir: string, marker: string, files: readonly string[]): void {
    fs.rmSync(marker, { force: true });
    let others: string[] = [];
    try {
        others = fs.readdirSync(markerDir);
    } catch {
        /* none */
    }
    for (const m of others) {
        const [p, s] = m.split("-");
        if (procStat(Number(p))?.start === s) return;
        fs.rmSync(path.join(markerDir, m), { force: true });
    }
    for (const f of files) fs.rmSync(f, { force: true });
    try {
        fs.rmdirSync(markerDir);
    } catch {
        /* gone, or another run's marker came */
    }
}

/**
 * Writes the key for this run (see the module comment) and arranges its removal after it. The run
 * belongs to the `pulumi` process that runs the program, or, with no `pulumi` above this process
 * (tests, an Automation API program), to this process. A detached watcher removes the file once
 * that process is gone, however it ended (an exit, a signal, a crash, SIGKILL), when no other live
 * run of the same key holds it. Without `pulumi`, this process also removes it itself on exit and on
 * SIGINT, SIGTERM and SIGHUP (then ends as the signal would have ended it, unless the program
 * listens for the signal itself).
 */
export function writeRunSshFiles(args: {
    project: string;
    stack: string;
    /** The `sshPrivateKey` secret's text. */
    privateKey: string;
    dir?: string;
}): RunSshFiles {
    const dir = args.dir ?? runFilesDir();
    privateDir(dir);
    const files = runSshFileNames(dir, args.project, args.stack, args.privateKey);
    const all = [files.keyFile];
    const engine = enginePid();
    const self = procStat(process.pid);
    const owner = engine ?? (self === undefined ? undefined : { pid: process.pid, start: self.start });
    const markerDir = `${files.keyFile}.runs`;
    let marker: string | undefined;
    if (owner !== undefined) {
        // the marker first: another run's watcher that ends now sees this run and keeps the files
        try {
            fs.mkdirSync(markerDir, { mode: 0o700 });
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        }
        marker = path.join(markerDir, `${owner.pid}-${owner.start}`);
        fs.closeSync(fs.openSync(marker, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600));
    }
    // once per file and process: a program run again in one process (tests) arms no second watcher
    const armedKey = `${files.keyFile}\0${marker ?? ""}`;
    const arm = !armed.has(armedKey);
    armed.add(armedKey);
    if (engine === undefined && arm) {
        atProcessEnd(() => (marker !== undefined ? endRun(markerDir, marker, all) : all.forEach((f) => fs.rmSync(f, { force: true }))));
    }
    // OpenSSH refuses a key file whose last line has no newline
    writePrivate(files.keyFile, args.privateKey.endsWith("\n") ? args.privateKey : `${args.privateKey}\n`);
    if (owner === undefined || marker === undefined || !arm) {
        return files;
    }
    const child = spawn(process.execPath, ["-e", WATCHER, markerDir, marker, String(owner.pid), owner.start, ...all], {
        detached: true,
        stdio: "ignore",
    });
    child.unref();
    return files;
}

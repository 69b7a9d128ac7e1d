/**
 * One key for everything: the Docker provider's `ssh://` connections use the same `sshPrivateKey`
 * secret as the remote commands, and the host keys pinned with `hostKey` are the only ones its ssh
 * accepts (a known_hosts line given by `KnownHostsCommand`: `knownHostsLine`, `dockerSshOpts`).
 *
 * The Docker provider (pulumi-docker 5.x, kreuzwerker terraform-provider-docker v4.5.0) runs the
 * system `ssh` client with the provider's `sshOpts` (docker/cli `connhelper`); it takes no key
 * material of its own, and its process inherits the environment of the `pulumi` CLI, not the
 * program's. So the key reaches it as a file named in `sshOpts` (`-i <file>`): written here, mode
 * 0600 in a 0700 directory of the user running Pulumi, for the run, and removed when the `pulumi`
 * process that ran the program exits (a detached watcher; several runs of the same key share the
 * file and the last one removes it). Its path is the same in every run of a stack with the same key,
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
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HostSpec } from "../spec/types";

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

/** Makes `dir` (0700) or checks that it is a directory of ours that nobody else can enter. */
export function privateDir(dir: string): void {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    const uid = os.userInfo().uid;
    if (!st.isDirectory() || st.isSymbolicLink() || st.uid !== uid || (st.mode & 0o077) !== 0) {
        throw new Error(
            `${dir} is not a private directory of this user (it must be a real directory owned by uid ${uid}, mode 0700); remove it or set XDG_RUNTIME_DIR to a private directory`,
        );
    }
}

/** Writes `text` to `file` with mode 0600 (a temporary file renamed over it). */
function writePrivate(file: string, text: string): void {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text, { mode: 0o600 });
    fs.chmodSync(tmp, 0o600);
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
 * The watcher: waits until the engine process is gone, drops its run marker, and removes the files
 * when no other live run holds them. Bounded: it gives up waiting after 7 days. Node, run detached.
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

/**
 * Writes the key for this run (see the module comment) and arranges its removal after it: when the
 * `pulumi` process exits, or, with no `pulumi` above this process (tests, another runner), when this
 * process exits.
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
    const markerDir = `${files.keyFile}.runs`;
    let marker: string | undefined;
    if (engine !== undefined) {
        // the marker first: another run's watcher that ends now sees this run and keeps the files
        fs.mkdirSync(markerDir, { recursive: true, mode: 0o700 });
        marker = path.join(markerDir, `${engine.pid}-${engine.start}`);
        fs.writeFileSync(marker, "");
    } else {
        process.on("exit", () => {
            for (const f of all) fs.rmSync(f, { force: true });
        });
    }
    // OpenSSH refuses a key file whose last line has no newline
    writePrivate(files.keyFile, args.privateKey.endsWith("\n") ? args.privateKey : `${args.privateKey}\n`);
    if (engine === undefined || marker === undefined) {
        return files;
    }
    const child = spawn(process.execPath, ["-e", WATCHER, markerDir, marker, String(engine.pid), engine.start, ...all], {
        detached: true,
        stdio: "ignore",
    });
    child.unref();
    return files;
}

/**
 * The run directories of VM labs (`/tmp/macvlan-lab-vm-XXXXXX`, `/tmp/macvlan-lab-userland-XXXXXX`):
 * overlays, console logs, the trunk's capture. A run that ends well removes its own; one whose
 * start failed keeps it for inspection (its error names the console logs there), and one whose
 * process was killed cannot remove it. Those pile up: every new run removes the directories of
 * earlier runs whose process is gone, but the newest few, so the last failures stay to be read.
 *
 * A directory belongs to a run by its `owner` file: the pid and the start time of the process
 * (field 22 of /proc/<pid>/stat), so a pid used again by another process does not keep it alive.
 * A directory without one (made before this file, or half made) counts as ended.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** How many ended runs' directories of one kind stay (the newest, by modification time). */
export const KEEP_ENDED_RUNS = 3;

/** The start time of a live process (clock ticks since boot), or undefined when there is none. */
function processStart(pid: number): string | undefined {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        // the command name (field 2) may hold spaces and parentheses: the fields after its last ')'
        return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    } catch {
        return undefined;
    }
}

/** Whether the run that made `dir` is still running. */
function runIsLive(dir: string): boolean {
    let owner: string;
    try {
        owner = fs.readFileSync(path.join(dir, "owner"), "utf8").trim();
    } catch {
        return false;
    }
    const [pid, start] = owner.split(" ");
    return /^[0-9]+$/.test(pid) && start !== undefined && processStart(Number(pid)) === start;
}

/**
 * Makes a run directory `<tmp>/<prefix>XXXXXX` owned by this process, after removing the
 * directories of ended runs of the same prefix but the newest `keep` (said on `log` when there were
 * any). Returns the new directory and what was removed.
 */
export function makeRunDir(prefix: string, opts: { tmp?: string; keep?: number; log?: (line: string) => void } = {}): { dir: string; removed: string[] } {
    const tmp = opts.tmp ?? os.tmpdir();
    const keep = opts.keep ?? KEEP_ENDED_RUNS;
    const removed = pruneRunDirs(prefix, { tmp, keep });
    if (removed.length > 0) {
        opts.log?.(`removed ${removed.length} run folder(s) of ended VM runs (the newest ${keep} stay): ${removed.join(", ")}`);
    }
    const dir = fs.mkdtempSync(path.join(tmp, prefix));
    fs.writeFileSync(path.join(dir, "owner"), `${process.pid} ${processStart(process.pid) ?? ""}\n`);
    return { dir, removed };
}

/** Removes the directories `<tmp>/<prefix>*` of ended runs but the newest `keep`; returns their paths. */
export function pruneRunDirs(prefix: string, opts: { tmp?: string; keep?: number } = {}): string[] {
    const tmp = opts.tmp ?? os.tmpdir();
    const keep = opts.keep ?? KEEP_ENDED_RUNS;
    const ended: Array<{ dir: string; mtimeMs: number }> = [];
    for (const e of fs.readdirSync(tmp, { withFileTypes: true })) {
        if (!e.isDirectory() || !e.name.startsWith(prefix)) continue;
        const dir = path.join(tmp, e.name);
        if (runIsLive(dir)) continue;
        try {
            ended.push({ dir, mtimeMs: fs.statSync(dir).mtimeMs });
        } catch {
            /* removed meanwhile */
        }
    }
    ended.sort((a, b) => b.mtimeMs - a.mtimeMs);
    const gone = ended.slice(keep).map((x) => x.dir);
    for (const dir of gone) fs.rmSync(dir, { recursive: true, force: true });
    return gone;
}

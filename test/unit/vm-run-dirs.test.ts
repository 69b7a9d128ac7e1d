/**
 * lab/vm/runDirs.ts: the run folders of VM labs. A new run removes the folders of ended runs of its
 * kind but the newest few, and never one whose run is still going (or another kind's).
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { makeRunDir, pruneRunDirs } from "../../lab/vm/runDirs";

describe("VM run folders (lab/vm/runDirs.ts)", function () {
    let tmp: string;
    beforeEach(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "run-dirs-test-"));
    });
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    /** A folder of an earlier run, modified `ageSeconds` ago, with `owner` as its owner file (none when undefined). */
    function earlier(name: string, ageSeconds: number, owner?: string): string {
        const dir = path.join(tmp, name);
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, "h1.console.log"), "boot\n");
        if (owner !== undefined) fs.writeFileSync(path.join(dir, "owner"), owner);
        const t = Date.now() / 1000 - ageSeconds;
        fs.utimesSync(dir, t, t);
        return dir;
    }

    /** The owner line of a process that has ended: a real pid, whose process is gone. */
    function endedOwner(): string {
        const r = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
        return `${r.stdout.trim()} 12345`;
    }

    it("makes a folder owned by this process: its pid and start time", function () {
        const said: string[] = [];
        const { dir, removed } = makeRunDir("macvlan-lab-vm-", { tmp, log: (l) => said.push(l) });
        assert.deepStrictEqual(removed, []);
        assert.deepStrictEqual(said, [], "nothing removed, nothing said");
        assert.ok(path.basename(dir).startsWith("macvlan-lab-vm-"));
        const [pid, start] = fs.readFileSync(path.join(dir, "owner"), "utf8").trim().split(" ");
        assert.strictEqual(Number(pid), process.pid);
        assert.match(start, /^[0-9]+$/);
    });

    it("removes the ended runs' folders but the newest three, and keeps live runs' folders and other kinds'", function () {
        // a live run: this process, the oldest of all
        const live = makeRunDir("macvlan-lab-userland-", { tmp }).dir;
        fs.utimesSync(live, Date.now() / 1000 - 5000, Date.now() / 1000 - 5000);
        const ended = [1, 2, 3, 4, 5].map((age) => earlier(`macvlan-lab-userland-e${age}`, age * 100, endedOwner()));
        const noOwner = earlier("macvlan-lab-userland-old", 1000);
        // the same pid with another start time is another process: ended
        const reused = earlier("macvlan-lab-userland-reused", 2000, `${process.pid} 1`);
        const otherKind = earlier("macvlan-lab-vm-x", 9000, endedOwner());

        const removed = pruneRunDirs("macvlan-lab-userland-", { tmp, keep: 3 });
        assert.deepStrictEqual(removed.sort(), [ended[3], ended[4], noOwner, reused].sort());
        for (const d of [...ended.slice(0, 3), live, otherKind]) assert.ok(fs.existsSync(d), `${d} stays`);
        for (const d of removed) assert.ok(!fs.existsSync(d), `${d} is gone`);
    });

    it("says what a new run removed", function () {
        const old = [1, 2, 3, 4].map((age) => earlier(`macvlan-lab-vm-e${age}`, age * 100, endedOwner()));
        const said: string[] = [];
        const { dir, removed } = makeRunDir("macvlan-lab-vm-", { tmp, keep: 1, log: (l) => said.push(l) });
        assert.deepStrictEqual(removed.sort(), old.slice(1).sort());
        assert.deepStrictEqual(said, [`removed 3 run folder(s) of ended VM runs (the newest 1 stay): ${removed.join(", ")}`]);
        assert.ok(fs.existsSync(dir) && fs.existsSync(old[0]));
    });
});

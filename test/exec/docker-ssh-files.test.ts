/**
 * The run's ssh files (components/docker/sshIdentity.ts) for real: written under a process named
 * `pulumi` (as the CLI that runs the program), kept while it runs, removed by the detached watcher
 * after it exits, and kept while another run of the same key still holds them; without `pulumi`,
 * removed on SIGINT, SIGTERM, SIGHUP, a crash, and (by the watcher) SIGKILL; never written through a
 * link; refused under a parent directory others can change (issue 27).
 */
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const MODULE = path.join(__dirname, "..", "..", "components", "docker", "sshIdentity.ts");
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nexec-test\n-----END OPENSSH PRIVATE KEY-----";

/** A `sh` started as `pulumi` (comm "pulumi") that runs the program's part, then sleeps `seconds`. */
function fakeEngine(dir: string, seconds: number): { child: ChildProcess; done: Promise<string> } {
    const exe = path.join(dir, "bin", "pulumi");
    fs.mkdirSync(path.dirname(exe), { recursive: true });
    if (!fs.existsSync(exe)) fs.symlinkSync("/bin/sh", exe);
    const program = `require(${JSON.stringify(MODULE)}).writeRunSshFiles({project: "p", stack: "s", privateKey: process.env.KEY, dir: process.env.DIR}); console.log("written")`;
    const child = spawn(exe, ["-c", `"$NODE" -r ts-node/register/transpile-only -e "$PROG" && sleep ${seconds}`], {
        env: { ...process.env, NODE: process.execPath, PROG: program, KEY, DIR: path.join(dir, "run") },
        stdio: ["ignore", "pipe", "inherit"],
        cwd: path.join(__dirname, "..", ".."),
    });
    let out = "";
    const done = new Promise<string>((resolve) => {
        child.stdout?.on("data", (b: Buffer) => (out += b.toString()));
        child.on("exit", () => resolve(out));
    });
    return { child, done };
}

async function waitFor(what: string, ms: number, test: () => boolean): Promise<void> {
    const end = Date.now() + ms;
    while (!test()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

describe("exec: the run's ssh key file", function () {
    this.timeout(60_000);
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "mvltest-ssh-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const keyFiles = () => (fs.existsSync(path.join(dir, "run")) ? fs.readdirSync(path.join(dir, "run")).filter((f) => f.endsWith(".key")) : []);

    it("lives as long as the pulumi process that ran the program, then is removed", async () => {
        const e = fakeEngine(dir, 2);
        await waitFor("the key file", 30_000, () => keyFiles().length === 1);
        const file = path.join(dir, "run", keyFiles()[0]);
        assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600);
        assert.strictEqual(fs.statSync(path.join(dir, "run")).mode & 0o777, 0o700);
        assert.ok(e.child.exitCode === null, "the engine still runs");
        assert.strictEqual(fs.readFileSync(file, "utf8"), `${KEY}\n`);
        assert.match(await e.done, /written/);
        await waitFor("the watcher to remove the key after the engine exited", 5_000, () => !fs.existsSync(file));
        assert.ok(!fs.existsSync(`${file}.runs`), "the run markers go too");
    });

    it("is kept while another run of the same key still holds it", async () => {
        const long = fakeEngine(dir, 6);
        const short = fakeEngine(dir, 1);
        await short.done;
        await waitFor("both runs to have written", 30_000, () => keyFiles().length === 1);
        const file = path.join(dir, "run", keyFiles()[0]);
        await new Promise((r) => setTimeout(r, 2_000));
        assert.ok(fs.existsSync(file), "the short run's watcher left it to the long run");
        await long.done;
        await waitFor("the long run's watcher to remove it", 5_000, () => !fs.existsSync(file));
    });

    /** A node process (no `pulumi` above it) that writes the key, says so, then runs `then` (JS). */
    function plainRun(then: string): { child: ChildProcess; written: Promise<void>; exit: Promise<{ code: number | null; signal: string | null }> } {
        const program = `require(${JSON.stringify(MODULE)}).writeRunSshFiles({project: "p", stack: "s", privateKey: process.env.KEY, dir: process.env.DIR}); console.log("written"); ${then}`;
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", program], {
            env: { ...process.env, KEY, DIR: path.join(dir, "run") },
            stdio: ["ignore", "pipe", "pipe"],
            cwd: path.join(__dirname, "..", ".."),
        });
        const written = new Promise<void>((resolve) => child.stdout?.on("data", (b: Buffer) => b.toString().includes("written") && resolve()));
        const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
        return { child, written, exit };
    }

    for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
        it(`without pulumi above it, ${sig} removes the key at once, and the process still ends by the signal`, async () => {
            const r = plainRun("setInterval(() => {}, 1000)");
            await r.written;
            assert.strictEqual(keyFiles().length, 1);
            r.child.kill(sig);
            assert.deepStrictEqual(await r.exit, { code: null, signal: sig });
            assert.deepStrictEqual(keyFiles(), []);
        });
    }

    it("without pulumi above it, a crash (an uncaught exception) removes it; SIGKILL leaves it to the watcher, which removes it", async () => {
        const crash = plainRun("setTimeout(() => { throw new Error('boom'); }, 200)");
        await crash.written;
        assert.strictEqual((await crash.exit).code, 1);
        assert.deepStrictEqual(keyFiles(), []);
        const killed = plainRun("setInterval(() => {}, 1000)");
        await killed.written;
        const file = path.join(dir, "run", keyFiles()[0]);
        killed.child.kill("SIGKILL");
        assert.deepStrictEqual(await killed.exit, { code: null, signal: "SIGKILL" });
        assert.ok(fs.existsSync(file), "the probe: SIGKILL runs no handler, the file is still there");
        await waitFor("the watcher to remove the key of the killed process", 10_000, () => !fs.existsSync(file));
        assert.ok(!fs.existsSync(`${file}.runs`));
    });

    it("never writes through a link at the key's path: the link is replaced by a new 0600 file, what it pointed at is untouched", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const m = require(MODULE) as typeof import("../../components/docker/sshIdentity");
        const run = path.join(dir, "run");
        fs.mkdirSync(run, { mode: 0o700 });
        const victim = path.join(dir, "victim");
        fs.writeFileSync(victim, "not a key\n", { mode: 0o644 });
        const { keyFile } = m.runSshFileNames(run, "p", "s", KEY);
        fs.symlinkSync(victim, keyFile);
        const written = m.writeRunSshFiles({ project: "p", stack: "s", privateKey: KEY, dir: run });
        assert.strictEqual(written.keyFile, keyFile);
        assert.strictEqual(fs.readFileSync(victim, "utf8"), "not a key\n");
        assert.strictEqual(fs.statSync(victim).mode & 0o777, 0o644);
        const st = fs.lstatSync(keyFile);
        assert.ok(st.isFile() && !st.isSymbolicLink());
        assert.strictEqual(st.mode & 0o777, 0o600);
        assert.deepStrictEqual(fs.readdirSync(run).filter((f) => f.endsWith(".tmp")), [], "no temporary file left");
    });

    it("refuses a parent directory others can change (writable without the sticky bit, or another user's)", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const m = require(MODULE) as typeof import("../../components/docker/sshIdentity");
        const parent = path.join(dir, "xdg");
        fs.mkdirSync(parent, { mode: 0o700 });
        fs.chmodSync(parent, 0o777);
        assert.throws(() => m.writeRunSshFiles({ project: "p", stack: "s", privateKey: KEY, dir: path.join(parent, "macvlan-lab") }), /the run's files \(key, ssh control sockets\) cannot go under .*xdg\/macvlan-lab: .*xdg is writable by other users \(mode 777\) without the sticky bit; set XDG_RUNTIME_DIR/);
        fs.chmodSync(parent, 0o1777); // as /tmp: allowed
        assert.doesNotThrow(() => m.writeRunSshFiles({ project: "p", stack: "s", privateKey: KEY, dir: path.join(parent, "macvlan-lab") }));
        if (process.getuid?.() === 0) {
            const other = path.join(dir, "other");
            fs.mkdirSync(other, { mode: 0o700 });
            fs.chownSync(other, 65534, 65534);
            assert.throws(() => m.writeRunSshFiles({ project: "p", stack: "s", privateKey: KEY, dir: path.join(other, "macvlan-lab") }), /other belongs to uid 65534, not to this user \(0\) or root/);
        }
    });

    it("refuses a directory that others can enter", () => {
        const shared = path.join(dir, "shared");
        fs.mkdirSync(shared, { mode: 0o755 });
        fs.chmodSync(shared, 0o755);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const m = require(MODULE) as typeof import("../../components/docker/sshIdentity");
        assert.throws(() => m.writeRunSshFiles({ project: "p", stack: "s", privateKey: KEY, dir: shared }), /is not a private directory of this user/);
    });
});

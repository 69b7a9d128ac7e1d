/**
 * The run's ssh files (components/docker/sshIdentity.ts) for real: written under a process named
 * `pulumi` (as the CLI that runs the program), kept while it runs, removed by the detached watcher
 * after it exits, and kept while another run of the same key still holds them.
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

    it("refuses a directory that others can enter", () => {
        const shared = path.join(dir, "shared");
        fs.mkdirSync(shared, { mode: 0o755 });
        fs.chmodSync(shared, 0o755);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const m = require(MODULE) as typeof import("../../components/docker/sshIdentity");
        assert.throws(() => m.writeRunSshFiles({ project: "p", stack: "s", privateKey: KEY, dir: shared }), /is not a private directory of this user/);
    });
});

/**
 * The shell library's installer run for real with sh on a temporary state directory, the library on
 * stdin as the command provider sends it; then a thin script that sources the installed library.
 * No root needed.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SCRIPTS_DIR, renderInstaller, renderScript, shellLibrary } from "../../components/scripts";
import { run, Run } from "../helpers/hostExec";

/** Runs `script` with sh, `stdin` on its stdin. */
const sh = (script: string, stdin = ""): Run => run(["sh", "-c", script], { input: stdin, timeoutMs: 30_000 });

/** Every path under `root` (directories end with /). */
function tree(root: string): string[] {
    if (!fs.existsSync(root)) return [];
    const out: string[] = [];
    const walk = (d: string) => {
        for (const n of fs.readdirSync(d).sort()) {
            const p = path.join(d, n);
            const rel = path.relative(root, p);
            if (fs.statSync(p).isDirectory()) {
                out.push(`${rel}/`);
                walk(p);
            } else out.push(rel);
        }
    };
    walk(root);
    return out;
}

describe("exec: the shell library installed from stdin", function () {
    this.timeout(60_000);
    let root: string;
    let stateDir: string;
    const lib = shellLibrary();

    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "mvl-lib-exec-"));
        stateDir = path.join(root, "var/lib/macvlan-lab");
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("installs every file byte for byte, atomically, once; remove takes it and the directories it made away", () => {
        const first = sh(renderInstaller("install", stateDir), lib.bundle);
        assert.strictEqual(first.status, 0, first.stderr);
        const dir = path.join(stateDir, "lib", "default", lib.id);
        assert.strictEqual(first.stdout, `changed: installed the shell library ${lib.id} in ${dir}\n`);
        for (const f of lib.files) {
            assert.strictEqual(fs.readFileSync(path.join(dir, f), "utf8"), fs.readFileSync(path.join(SCRIPTS_DIR, f), "utf8"), f);
        }
        assert.deepStrictEqual(
            tree(path.join(stateDir, "lib")).filter((p) => !p.startsWith(`default/${lib.id}/`) || p === `default/${lib.id}/`),
            [".made-dirs", "default/", `default/${lib.id}/`],
        );
        assert.strictEqual((fs.statSync(dir).mode & 0o777).toString(8), "755");

        const again = sh(renderInstaller("install", stateDir), lib.bundle);
        assert.strictEqual(again.status, 0, again.stderr);
        assert.strictEqual(again.stdout, `nothing changed: the shell library ${lib.id} is in ${dir}\n`);

        // a thin script runs on it
        const thin = renderScript({ title: "t", libraryDir: dir, vars: [["what", "it's here"]], modules: ["net.sh"], calls: ["say_what"] });
        const r = sh(thin.replace("say_what\n", 'note "$what"; link_exists lo && note lo\n'));
        assert.strictEqual(r.stdout, "it's here\nlo\n", r.stderr);

        const removed = sh(renderInstaller("remove", stateDir), lib.bundle);
        assert.strictEqual(removed.status, 0, removed.stderr);
        assert.strictEqual(removed.stdout, `changed: removed the shell library ${lib.id} from ${dir}\n`);
        assert.deepStrictEqual(tree(root), [], "the state directory and its parents that install made are gone");
        const twice = sh(renderInstaller("remove", stateDir));
        assert.strictEqual(twice.stdout, `nothing changed: there is no shell library ${lib.id} in ${path.join(stateDir, "lib", "default")}\n`);
    });

    it("keeps directories it did not make, and those another version of its owner still uses", () => {
        fs.mkdirSync(stateDir, { recursive: true });
        assert.strictEqual(sh(renderInstaller("install", stateDir), lib.bundle).status, 0);
        fs.mkdirSync(path.join(stateDir, "lib", "default", "0000000000000000"));
        assert.strictEqual(sh(renderInstaller("remove", stateDir)).status, 0);
        assert.deepStrictEqual(tree(stateDir), ["lib/", "lib/.made-dirs", "lib/default/", "lib/default/0000000000000000/"]);
        fs.rmdirSync(path.join(stateDir, "lib", "default", "0000000000000000"));
        assert.strictEqual(sh(renderInstaller("remove", stateDir)).status, 0);
        assert.deepStrictEqual(tree(root), ["var/", "var/lib/", "var/lib/macvlan-lab/"], "only lib/ was made by install");
    });

    it("two stacks on one host: each owner its own directory; a delete keeps the other's, the last one takes the rest", () => {
        const [a, b] = ["macvlan-lab.one.lab-docker01-lib", "macvlan-lab.two.lab-docker01-lib"];
        const dirOf = (o: string) => path.join(stateDir, "lib", o, lib.id);
        assert.strictEqual(sh(renderInstaller("install", stateDir, a), lib.bundle).status, 0);
        const second = sh(renderInstaller("install", stateDir, b), lib.bundle);
        assert.strictEqual(second.stdout, `changed: installed the shell library ${lib.id} in ${dirOf(b)}\n`, "the same library, its own copy");
        const thin = (o: string) => renderScript({ title: "t", libraryDir: dirOf(o), vars: [], modules: ["net.sh"], calls: [] }) + "link_exists lo && note lo\n";

        const goneA = sh(renderInstaller("remove", stateDir, a));
        assert.strictEqual(goneA.status, 0, goneA.stderr);
        assert.strictEqual(
            goneA.stdout,
            `changed: removed the shell library ${lib.id} from ${dirOf(a)}\nkept ${path.join(stateDir, "lib")}: the shell library of other owners is there (${b})\n`,
        );
        assert.ok(!fs.existsSync(path.join(stateDir, "lib", a)));
        const r = sh(thin(b));
        assert.strictEqual(r.stdout, "lo\n", `the other stack's scripts still find their library: ${r.stderr}`);
        const orphan = sh(thin(a));
        assert.strictEqual(orphan.status, 1, orphan.stdout);
        assert.match(orphan.stderr, /^ERROR: macvlan-lab's shell library is not in .*\(its install command runs first: run pulumi up again\)$/m);

        const goneB = sh(renderInstaller("remove", stateDir, b));
        assert.strictEqual(goneB.stdout, `changed: removed the shell library ${lib.id} from ${dirOf(b)}\n`);
        assert.deepStrictEqual(tree(root), [], "the last owner's delete takes the directories the first install made");
    });

    it("two owners installing at the same moment on a fresh host both succeed, and the last delete leaves nothing", async () => {
        const owners = ["p.s1.lib", "p.s2.lib", "p.s3.lib"];
        const runAsync = (script: string, input: string) =>
            new Promise<number | null>((resolve) => {
                const c = spawn("sh", ["-c", script], { stdio: ["pipe", "ignore", "pipe"] });
                c.stdin.end(input);
                c.on("exit", resolve);
            });
        const codes = await Promise.all(owners.map((o) => runAsync(renderInstaller("install", stateDir, o), lib.bundle)));
        assert.deepStrictEqual(codes, [0, 0, 0]);
        for (const o of owners) assert.ok(fs.existsSync(path.join(stateDir, "lib", o, lib.id, ".complete")), o);
        for (const o of owners) assert.strictEqual(sh(renderInstaller("remove", stateDir, o)).status, 0);
        assert.deepStrictEqual(tree(root), []);
    });

    it("refuses an owner that is not a directory name", () => {
        assert.throws(() => renderInstaller("install", stateDir, "../x"), /library owner "\.\.\/x" is not a directory name/);
        assert.throws(() => renderInstaller("remove", stateDir, ""), /library owner "" is not a directory name/);
    });

    it("refuses a library whose digest differs and leaves nothing behind", () => {
        const r = sh(renderInstaller("install", stateDir), lib.bundle.replace("note()", "note ()"));
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, new RegExp(`^ERROR: the shell library that arrived has the digest [0-9a-f]{64}, not ${lib.digest}; nothing was installed\\n$`));
        assert.deepStrictEqual(tree(root), []);
    });

    it("a thin script says clearly when the library is not installed", () => {
        const thin = renderScript({ title: "t", libraryDir: path.join(stateDir, "lib", "default", lib.id), vars: [], modules: [], calls: ["report"] });
        const r = sh(thin);
        assert.strictEqual(r.status, 1);
        assert.strictEqual(
            r.stderr,
            `ERROR: macvlan-lab's shell library is not in ${path.join(stateDir, "lib", "default", lib.id)} (its install command runs first: run pulumi up again)\n`,
        );
    });
});

/**
 * lab/snapshot-files.sh for real: run as snapshotHost runs it on a host (`sh -s -- <dir>...`, the
 * file on stdin) over a directory made here, with nothing on PATH but stat and base64, by dash with
 * coreutils and by busybox alone; the records parsed from its lines are exactly the ones expected.
 * And shellcheck passes on the file as it is. The parser's cases are in test/unit/snapshot-files.test.ts.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FILES_SCRIPT, FileSnapshot, filesCommand, parseFileRecords } from "../../lab/snapshot";
import { requireTool, toolPath } from "../helpers/tools";

/** Where `tool` is on this process's PATH. */
function which(tool: string): string {
    const where = toolPath(tool);
    assert.ok(where !== undefined, `${tool} is not on PATH`);
    return where;
}

/** A directory whose only entries are links to `tools` (found on PATH, or given as paths), for a PATH of exactly those. */
function pathOf(dir: string, tools: Record<string, string>): string {
    fs.mkdirSync(dir);
    for (const [name, tool] of Object.entries(tools)) {
        fs.symlinkSync(tool.startsWith("/") ? tool : which(tool), path.join(dir, name));
    }
    return dir;
}

/** Runs the script as snapshotHost does (`sh` replaced by `shell`, a path) and parses what it prints. */
function snapshotFiles(shell: string[], dirs: string[], PATH: string): Record<string, FileSnapshot> {
    const c = filesCommand(dirs);
    const r = spawnSync(shell[0], [...shell.slice(1), ...c.argv.slice(1)], { input: c.input, encoding: "utf8", env: { PATH, LANG: "C.UTF-8" }, timeout: 30_000 });
    assert.strictEqual(r.error, undefined);
    assert.strictEqual(r.stderr, "");
    assert.strictEqual(r.status, 0);
    return parseFileRecords(r.stdout);
}

describe("lab snapshot: lab/snapshot-files.sh on a real directory", function () {
    this.timeout(60_000);
    let tmp: string;
    let d: string;
    let expected: Record<string, FileSnapshot>;
    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mvl-snapfiles-"));
        d = path.join(tmp, "etc");
        fs.mkdirSync(path.join(d, "nested", "deeper"), { recursive: true });
        const write = (name: string, bytes: string | Buffer, mode: number) => {
            fs.writeFileSync(path.join(d, name), bytes);
            fs.chmodSync(path.join(d, name), mode); // whatever the umask
        };
        write("text.txt", "hello\nwörld\n", 0o600);
        write("bin.dat", Buffer.from([0xff, 0xfe, 0x00, 0x01]), 0o755);
        write("with space.txt", "a b\n", 0o644);
        write(".hidden", "dot\n", 0o640);
        write("empty", "", 0o644);
        write(path.join("nested", "deeper", "inner.conf"), "KEY=value\n", 0o644);
        fs.symlinkSync("text.txt", path.join(d, "link"));
        fs.symlinkSync("nested", path.join(d, "dirlink")); // a link to a directory: neither listed nor entered
        expected = {
            [`${d}/.hidden`]: { content: "dot\n", mode: "0640" },
            [`${d}/bin.dat`]: { content: "//4AAQ==", encoding: "base64", mode: "0755" },
            [`${d}/empty`]: { content: "", mode: "0644" },
            [`${d}/link`]: { content: "(not a regular file)", mode: "0777" },
            [`${d}/nested/deeper/inner.conf`]: { content: "KEY=value\n", mode: "0644" },
            [`${d}/text.txt`]: { content: "hello\nwörld\n", mode: "0600" },
            [`${d}/with space.txt`]: { content: "a b\n", mode: "0644" },
        };
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("sh with coreutils' stat and base64: every entry, recursively, a missing directory giving nothing", () => {
        const PATH = pathOf(path.join(tmp, "bin-coreutils"), { stat: "stat", base64: "base64" });
        const r = snapshotFiles([which("sh")], [d, path.join(tmp, "missing")], PATH);
        assert.deepStrictEqual(r, expected);
        assert.strictEqual(JSON.stringify(r), JSON.stringify(expected), "the same order of paths and keys");
        assert.deepStrictEqual(snapshotFiles([which("sh")], [path.join(tmp, "missing")], PATH), {});
        assert.deepStrictEqual(snapshotFiles([which("sh")], [`${d}/`], PATH), expected, "a directory given with a slash at the end names its files alike");
    });

    it("busybox alone (its sh, stat and base64) prints the same records", function () {
        requireTool(this, "busybox", "busybox-static");
        const busybox = which("busybox");
        const PATH = pathOf(path.join(tmp, "bin-busybox"), { stat: busybox, base64: busybox });
        const r = snapshotFiles([busybox, "sh"], [d, path.join(tmp, "missing")], PATH);
        assert.strictEqual(JSON.stringify(r), JSON.stringify(expected));
    });

    it("passes sh -n and shellcheck -s sh as the file it is", function () {
        const n = spawnSync("sh", ["-n", FILES_SCRIPT], { encoding: "utf8" });
        assert.strictEqual(n.status, 0, n.stderr);
        requireTool(this, "shellcheck");
        const r = spawnSync("shellcheck", ["-s", "sh", "-f", "gcc", FILES_SCRIPT], { encoding: "utf8" });
        assert.strictEqual(r.stdout + r.stderr, "");
        assert.strictEqual(r.status, 0);
    });
});

/**
 * lab/engine/build.sh refuses clearly instead of falling back: no Go on PATH, a Go older than go.mod
 * asks, and the engine pinned at the version of our @pulumi/pulumi.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../../lab/paths";

const BUILD = path.join(REPO_ROOT, "lab", "engine", "build.sh");

/** A PATH with bash and coreutils but without go: a directory of links to exactly those tools. */
function pathWithout(tools: string[], fakeGo?: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-path-"));
    for (const t of tools) {
        const where = spawnSync("sh", ["-c", `command -v ${t}`], { encoding: "utf8" }).stdout.trim();
        if (where !== "") fs.symlinkSync(where, path.join(dir, t));
    }
    if (fakeGo !== undefined) {
        fs.writeFileSync(path.join(dir, "go"), fakeGo, { mode: 0o755 });
    }
    return dir;
}

describe("engine: lab/engine/build.sh refuses clearly instead of falling back", () => {
    const tools = ["bash", "sed", "sort", "head", "cat", "sha256sum", "cut", "dirname", "date", "mkdir", "mktemp", "rm", "mv", "printf"];

    it("names what to install when there is no Go on PATH", () => {
        const dir = pathWithout(tools);
        try {
            const r = spawnSync(path.join(dir, "bash"), [BUILD], { encoding: "utf8", env: { PATH: dir, HOME: os.tmpdir() } });
            assert.strictEqual(r.status, 1);
            assert.match(r.stderr, /^engine: Go 1\.\d+(\.\d+)? or later is needed to build the Pulumi engine and was not found on PATH; install it \(https:\/\/go\.dev\/doc\/install; Debian 12's golang-go is too old\) or put a Pulumi CLI on PATH$/m);
            assert.strictEqual(r.stdout, "", "no engine directory is printed");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("names the Go it found when it is older than go.mod asks", () => {
        const dir = pathWithout(tools, "#!/bin/sh\n[ \"$1 $2\" = 'env GOVERSION' ] && echo go1.19.8\n");
        try {
            const r = spawnSync(path.join(dir, "bash"), [BUILD], { encoding: "utf8", env: { PATH: dir, HOME: os.tmpdir() } });
            assert.strictEqual(r.status, 1);
            assert.match(r.stderr, /^engine: Go 1\.\d+(\.\d+)? or later is needed to build the Pulumi engine; found go 1\.19\.8 at .*\/go$/m);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("pins the engine at the version of our @pulumi/pulumi", () => {
        const goMod = fs.readFileSync(path.join(REPO_ROOT, "lab", "engine", "go.mod"), "utf8");
        const sdk = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8")) as { version: string };
        assert.match(goMod, new RegExp(`^\\s*github\\.com/pulumi/pulumi/pkg/v3 v${sdk.version.replace(/\./g, "\\.")}$`, "m"));
        assert.match(goMod, new RegExp(`^\\s*github\\.com/pulumi/pulumi/sdk/v3 v${sdk.version.replace(/\./g, "\\.")}$`, "m"));
        assert.doesNotMatch(goMod, /=>\s*\.{0,2}\//, "no replace line points at a local path");
    });
});

/**
 * lab/engine/build.sh refuses clearly instead of falling back: no Go on PATH, a Go older than go.mod
 * asks, and the engine pinned at the version of our @pulumi/pulumi. Two builds at once into one
 * cache (.ci/run builds beside its other steps; a lab run may start meanwhile) compile once: the
 * second waits for the first and uses what it made.
 */
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
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
    const tools = ["bash", "sed", "sort", "head", "cat", "sha256sum", "cut", "dirname", "date", "mkdir", "mktemp", "rm", "mv", "printf", "flock"];

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

    it("two builds at once into one cache compile once: the second waits for the first and uses what it made", async () => {
        // a Go that "compiles" slowly: it counts its builds and writes a binary that runs
        const fakeGo = [
            "#!/bin/sh",
            'case "$1" in',
            "env) echo go1.999.0 ;;",
            "mod) ;;",
            'build) out=""; while [ $# -gt 0 ]; do [ "$1" = "-o" ] && out=$2; shift; done',
            '       echo build >>"$BUILD_COUNT"; sleep 2',
            "       printf '#!/bin/sh\\nexit 0\\n' >\"$out\"; chmod +x \"$out\" ;;",
            "esac",
            "",
        ].join("\n");
        const dir = pathWithout([...tools, "sleep", "chmod"], fakeGo);
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "engine-cache-"));
        const count = path.join(cache, "builds");
        const run = (): Promise<{ status: number | null; stdout: string; stderr: string }> =>
            new Promise((resolve) => {
                const p = spawn(path.join(dir, "bash"), [BUILD], { env: { PATH: dir, HOME: os.tmpdir(), MACVLAN_LAB_CACHE: cache, BUILD_COUNT: count } });
                let stdout = "";
                let stderr = "";
                p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
                p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
                p.on("close", (status) => resolve({ status, stdout, stderr }));
            });
        try {
            const [a, b] = await Promise.all([run(), run()]);
            assert.strictEqual(a.status, 0, a.stderr);
            assert.strictEqual(b.status, 0, b.stderr);
            assert.strictEqual(a.stdout, b.stdout, "both print the same engine directory");
            const built = fs.readFileSync(count, "utf8").trim().split("\n");
            assert.strictEqual(built.length, 2, `one go build for pulumi and one for the language host, not ${built.length}`);
            const waited = [a, b].filter((r) => /another build of the engine is running \(lock .*\.build\.lock\); waiting for it/.test(r.stderr));
            assert.strictEqual(waited.length, 1, `exactly one build says it waits:\n${a.stderr}\n---\n${b.stderr}`);
            assert.match(waited[0].stderr, /using the engine the other build made: /);
            assert.ok(fs.existsSync(path.join(a.stdout.trim(), "pulumi")));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
            fs.rmSync(cache, { recursive: true, force: true });
        }
    });
});

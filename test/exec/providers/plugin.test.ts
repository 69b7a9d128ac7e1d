/**
 * The stand-ins as plugins: installed under a PULUMI_HOME by name and version, as the engine looks
 * them up, and each wrapper starts its compiled provider, which prints its gRPC port as the engine
 * expects from a plugin.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { installCommandPlugin } from "../../../lab/providers/command/install";
import { installDockerPlugin } from "../../../lab/providers/docker/install";
import { buildStandIns, shQuote, wrapperScript } from "../../../lab/providers/plugin";

/** Runs a plugin as the engine does (its address as the argument) and resolves with the first stdout line. */
function firstLine(exe: string): Promise<{ line: string; ms: number }> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(exe, ["127.0.0.1:1"], { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(new Error(`${exe} printed no port within 20 s; stderr: ${err}`));
        }, 20_000);
        child.stderr.on("data", (b: Buffer) => (err += b.toString()));
        child.stdout.on("data", (b: Buffer) => {
            out += b.toString();
            if (out.includes("\n")) {
                clearTimeout(timer);
                child.kill("SIGKILL");
                resolve({ line: out.split("\n")[0], ms: Date.now() - started });
            }
        });
        child.on("error", reject);
    });
}

describe("stand-in plugins: install and start", () => {
    it("quotes every word of the wrapper for sh", () => {
        assert.strictEqual(shQuote("it's"), `'it'\\''s'`);
        assert.strictEqual(wrapperScript("/usr/bin/node", "/r/x y/main.js", "a\nb"), `#!/bin/sh\n# a b\nexec '/usr/bin/node' '/r/x y/main.js' "$@"\n`);
    });

    it("builds the stand-ins once per content: a second build reuses the first", () => {
        const a = buildStandIns();
        assert.ok(fs.existsSync(path.join(a, "lab", "providers", "docker", "main.js")));
        assert.ok(fs.existsSync(path.join(a, "lab", "providers", "command", "main.js")));
        assert.strictEqual(buildStandIns(), a);
    });

    for (const [name, version, install] of [
        ["docker", "5.2.0", installDockerPlugin],
        ["command", "1.2.1", installCommandPlugin],
    ] as const) {
        it(`installs resource-${name} v${version} where the engine looks, and it starts and prints its port`, async function () {
            this.timeout(30_000);
            const home = fs.mkdtempSync(path.join(os.tmpdir(), `plugin-home-${name}-`));
            try {
                const dir = install(home);
                assert.strictEqual(dir, path.join(home, "plugins", `resource-${name}-v${version}`));
                const exe = path.join(dir, `pulumi-resource-${name}`);
                assert.strictEqual(fs.statSync(exe).mode & 0o111, 0o111);
                assert.match(fs.readFileSync(exe, "utf8"), new RegExp(`^exec '[^']*node' '[^']*/lab/providers/${name}/main\\.js' "\\$@"$`, "m"));
                const { line, ms } = await firstLine(exe);
                assert.match(line, /^\d+$/, `the first line is the gRPC port: ${line}`);
                console.log(`      | resource-${name} printed its port after ${ms} ms`);
            } finally {
                fs.rmSync(home, { recursive: true, force: true });
            }
        });
    }
});

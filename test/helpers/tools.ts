/**
 * Command-line tools from Debian that some tests need (shellcheck): found on PATH, or installed
 * with apt-get when the tests run as root, as the lab installs its packages. A test that still
 * cannot have its tool prints why and is counted as skipped, never as passed (with CI set: failed,
 * test/helpers/rootHooks.ts).
 */
import { spawnSync } from "child_process";

const known = new Map<string, string | undefined>();

/** Where `tool` is on this process's PATH (`command -v`), or undefined. */
export function toolPath(tool: string): string | undefined {
    const where = spawnSync("sh", ["-c", 'command -v "$1"', "sh", tool], { encoding: "utf8" }).stdout?.trim() ?? "";
    return where.startsWith("/") ? where : undefined;
}

function onPath(tool: string): boolean {
    return toolPath(tool) !== undefined;
}

/** undefined when `tool` can be run (installing `debianPackage` first when root), else why not. */
export function needTool(tool: string, debianPackage: string = tool): string | undefined {
    if (known.has(tool)) return known.get(tool);
    let why: string | undefined;
    if (!onPath(tool)) {
        if (process.getuid?.() !== 0) {
            why = `${tool} is not installed and the tests do not run as root to install it (apt-get install ${debianPackage})`;
        } else {
            const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
            const install = () =>
                spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", debianPackage], { env, encoding: "utf8", timeout: 300_000 });
            console.log(`      (installing Debian's ${debianPackage} for ${tool})`);
            let r = install();
            if (!onPath(tool)) {
                spawnSync("apt-get", ["update", "-qq"], { env, timeout: 300_000 });
                r = install();
            }
            if (!onPath(tool)) {
                const tail = `${r.stderr ?? ""}${r.error?.message ?? ""}`.trim().split("\n").slice(-2).join(" | ");
                why =
                    r.status === 0
                        ? `apt-get install ${debianPackage} exited 0 but ${tool} is still not on PATH`
                        : `${tool} is not installed and apt-get install ${debianPackage} failed (exit ${r.status ?? r.signal}: ${tail})`;
            }
        }
    }
    known.set(tool, why);
    return why;
}

/** In a mocha test: go on when `tool` can be run, else print why and skip the test (with CI set the skip fails it). */
export function requireTool(ctx: Mocha.Context, tool: string, debianPackage: string = tool): void {
    const why = needTool(tool, debianPackage);
    if (why !== undefined) {
        console.log(`      skipped: ${why}`);
        ctx.skip();
    }
}

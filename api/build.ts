/**
 * Builds the npm package into dist/: the entry point (components/index.ts) and what it imports,
 * compiled with declarations (tsconfig.build.json), plus the shell library's `.sh` files, which
 * the components read at run time (components/scripts). `npm run build:pkg`; `npm pack` runs it.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const REPO_ROOT = path.resolve(__dirname, "..");
const SRC = path.join(REPO_ROOT, "components");
const DIST = path.join(REPO_ROOT, "dist");

/** Every file under `dir` whose name ends with `suffix`, as paths relative to `dir`. */
function filesUnder(dir: string, suffix: string): string[] {
    const out: string[] = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) out.push(...filesUnder(p, suffix).map((f) => path.join(e.name, f)));
        else if (e.isFile() && e.name.endsWith(suffix)) out.push(e.name);
    }
    return out.sort();
}

fs.rmSync(DIST, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(REPO_ROOT, "tsconfig.build.json")], { stdio: "inherit" });
const shell = filesUnder(SRC, ".sh");
for (const f of shell) {
    fs.mkdirSync(path.dirname(path.join(DIST, f)), { recursive: true });
    fs.copyFileSync(path.join(SRC, f), path.join(DIST, f));
}
const js = filesUnder(DIST, ".js").length;
if (!fs.existsSync(path.join(DIST, "index.js")) || !fs.existsSync(path.join(DIST, "index.d.ts"))) {
    throw new Error("dist/index.js or dist/index.d.ts is missing after the build");
}
console.error(`build:pkg: dist/ has ${js} JavaScript files with declarations and ${shell.length} shell files (${shell.join(", ")})`);

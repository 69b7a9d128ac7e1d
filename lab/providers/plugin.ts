/**
 * Installs a stand-in provider as a plugin the Pulumi engine loads by name and version:
 * `$PULUMI_HOME/plugins/resource-<name>-v<version>/pulumi-resource-<name>`, a wrapper script that
 * runs the stand-in's compiled main.js with node. The stand-ins (every `.ts` file under
 * lab/providers) are transpiled once per content into `<repo>/.lab/_build/providers-<digest>/`
 * (inside the repo, so `require` finds its node_modules): a plugin process starts in ~0.3 s
 * instead of ~1.1 s under ts-node, and the engine starts one per provider resource. They are not
 * type-checked here; `npm test` (tsc) does that.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

/** The repository root (this file is lab/providers/plugin.ts). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");
const PROVIDERS_DIR = path.join(REPO_ROOT, "lab", "providers");
/** `_` never starts a lab name, so this is never a lab's state directory. */
const BUILD_ROOT = path.join(REPO_ROOT, ".lab", "_build");

/** A stand-in plugin: which folder of lab/providers, and the plugin it stands in for. */
export interface StandIn {
    /** Plugin name (`docker` -> `pulumi-resource-docker`), also its folder under lab/providers. */
    name: string;
    /** The plugin version the engine asks for (that of the npm package). */
    version: string;
    /** One line for the wrapper's comment. */
    note: string;
}

/** Single-quotes a word for sh. Pure. */
export function shQuote(s: string): string {
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The wrapper script: exec node on the compiled main.js, the engine's arguments passed on. Pure. */
export function wrapperScript(node: string, mainJs: string, note: string): string {
    return ["#!/bin/sh", `# ${note.replace(/\n/g, " ")}`, `exec ${shQuote(node)} ${shQuote(mainJs)} "$@"`, ""].join("\n");
}

/** The stand-ins' sources: every .ts file under lab/providers, sorted. */
function sources(dir: string = PROVIDERS_DIR): string[] {
    const out: string[] = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) out.push(...sources(p));
        else if (e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(p);
    }
    return out.sort();
}

/** The compiler options of the repo's tsconfig.json, for emitting CommonJS without maps or declarations. */
function compilerOptions(): ts.CompilerOptions {
    const file = path.join(REPO_ROOT, "tsconfig.json");
    const read = ts.readConfigFile(file, (p) => fs.readFileSync(p, "utf8"));
    if (read.error) throw new Error(`${file}: ${ts.flattenDiagnosticMessageText(read.error.messageText, "\n")}`);
    const { options } = ts.convertCompilerOptionsFromJson((read.config as { compilerOptions?: unknown }).compilerOptions ?? {}, REPO_ROOT);
    return { ...options, sourceMap: false, declaration: false, noEmit: false };
}

/**
 * The stand-ins transpiled to JavaScript, built when missing: returns the build's root, which
 * mirrors the repo (`<root>/lab/providers/docker/main.js`).
 */
export function buildStandIns(): string {
    const files = sources();
    const hash = crypto.createHash("sha256").update(ts.version);
    for (const f of files) hash.update(path.relative(REPO_ROOT, f)).update("\0").update(fs.readFileSync(f)).update("\0");
    const root = path.join(BUILD_ROOT, `providers-${hash.digest("hex").slice(0, 12)}`);
    if (fs.existsSync(path.join(root, ".complete"))) return root;
    fs.mkdirSync(BUILD_ROOT, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(BUILD_ROOT, ".providers-"));
    const options = compilerOptions();
    for (const f of files) {
        const out = ts.transpileModule(fs.readFileSync(f, "utf8"), { compilerOptions: options, fileName: f, reportDiagnostics: true });
        const problems = (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
        if (problems.length > 0) throw new Error(`transpiling ${path.relative(REPO_ROOT, f)}: ${problems.join("; ")}`);
        const target = path.join(tmp, path.relative(REPO_ROOT, f)).replace(/\.ts$/, ".js");
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, out.outputText);
    }
    fs.writeFileSync(path.join(tmp, ".complete"), `${files.length} files\n`);
    fs.rmSync(root, { recursive: true, force: true });
    fs.renameSync(tmp, root);
    return root;
}

/** Installs `plugin` under `pulumiHome` (built first when needed); returns the plugin's directory. */
export function installStandIn(pulumiHome: string, plugin: StandIn): string {
    const mainJs = path.join(buildStandIns(), "lab", "providers", plugin.name, "main.js");
    const dir = path.join(path.resolve(pulumiHome), "plugins", `resource-${plugin.name}-v${plugin.version}`);
    fs.mkdirSync(dir, { recursive: true });
    const exe = path.join(dir, `pulumi-resource-${plugin.name}`);
    fs.writeFileSync(`${exe}.tmp`, wrapperScript(process.execPath, mainJs, plugin.note), { mode: 0o755 });
    fs.renameSync(`${exe}.tmp`, exe);
    // the engine treats a plugin directory with a `.partial` marker next to it as an unfinished install
    fs.rmSync(`${dir}.partial`, { force: true });
    return dir;
}

/**
 * TypeScript of this repo transpiled to JavaScript for the lab, once per content, into
 * `<repo>/.lab/_build/<label>-<digest>/` (a tree that mirrors the repo, inside it so that `require`
 * finds the repo's node_modules). The lab runs the stand-in plugins and the program from there: a
 * process starts without compiling TypeScript first. Nothing here type-checks: `npm test` (tsc) does.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { BUILD_ROOT, REPO_ROOT } from "./paths";


/** Every .ts file (not .d.ts, not a test) under `dir`, sorted. */
export function tsFilesUnder(dir: string): string[] {
    const out: string[] = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) out.push(...tsFilesUnder(p));
        else if (e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") && !e.name.endsWith(".test.ts")) out.push(p);
    }
    return out.sort();
}

/** Every file under `dir` whose name ends with `suffix`, sorted. */
function filesUnder(dir: string, suffix: string): string[] {
    const out: string[] = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) out.push(...filesUnder(p, suffix));
        else if (e.isFile() && e.name.endsWith(suffix)) out.push(p);
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
 * `files` (paths in the repo) transpiled, plus `extra` files (path relative to the build root ->
 * text), built when missing; returns the build's root.
 */
export function transpileTree(label: string, files: readonly string[], extra: Readonly<Record<string, string>> = {}): string {
    const hash = crypto.createHash("sha256").update(ts.version);
    for (const f of files) hash.update(path.relative(REPO_ROOT, f)).update("\0").update(fs.readFileSync(f)).update("\0");
    for (const [k, v] of Object.entries(extra).sort(([a], [b]) => a.localeCompare(b))) hash.update(k).update("\0").update(v).update("\0");
    const root = path.join(BUILD_ROOT, `${label}-${hash.digest("hex").slice(0, 12)}`);
    if (fs.existsSync(path.join(root, ".complete"))) return root;
    fs.mkdirSync(BUILD_ROOT, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(BUILD_ROOT, `.${label}-`));
    try {
        const options = compilerOptions();
        for (const f of files) {
            const out = ts.transpileModule(fs.readFileSync(f, "utf8"), { compilerOptions: options, fileName: f, reportDiagnostics: true });
            const problems = (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
            if (problems.length > 0) throw new Error(`transpiling ${path.relative(REPO_ROOT, f)}: ${problems.join("; ")}`);
            const target = path.join(tmp, path.relative(REPO_ROOT, f)).replace(/\.ts$/, ".js");
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.writeFileSync(target, out.outputText);
        }
        for (const [rel, text] of Object.entries(extra)) {
            fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
            fs.writeFileSync(path.join(tmp, rel), text);
        }
        fs.writeFileSync(path.join(tmp, ".complete"), `${files.length} files\n`);
        fs.rmSync(root, { recursive: true, force: true });
        fs.renameSync(tmp, root);
    } catch (e) {
        fs.rmSync(tmp, { recursive: true, force: true });
        throw e;
    }
    return root;
}

/**
 * The program (index.ts and components/) transpiled, with a package.json whose `main` is index.js
 * (the SDK's runner looks for the nearest package.json) and the shell files of components/ as they
 * are; returns the build's root.
 */
export function buildProgram(): string {
    const files = [path.join(REPO_ROOT, "index.ts"), ...tsFilesUnder(path.join(REPO_ROOT, "components"))];
    const pkg = JSON.stringify({ name: "macvlan-lab-program-build", private: true, main: "index.js" }, null, 2) + "\n";
    // the shell library the program installs on hosts (components/scripts) travels as it is
    const shell = Object.fromEntries(
        filesUnder(path.join(REPO_ROOT, "components"), ".sh").map((f) => [path.relative(REPO_ROOT, f), fs.readFileSync(f, "utf8")]),
    );
    return transpileTree("program", files, { "package.json": pkg, ...shell });
}

/**
 * No module of components/ imports itself back through others (issue 25: registryTls.ts and
 * registryTrust.ts imported each other, one of them for a type only; lab.ts and lab/context.ts too):
 * the relative imports and re-exports, followed from every file. None at run time anywhere; none with
 * `import type` counted either (a type that two files need lives in a third), except among the
 * files of components/model/, whose validator reader and its declarations, and the plan and its
 * memory, name each other's types (theirs to untangle; they load nothing in a circle).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..", "components");

function tsFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}

/** `import ... from "./x"` and `export ... from "./x"`, types too; group 1: `type` for a type-only one. */
const IMPORT = /^(?:import|export)\s+(type\b)?[^;]*?\bfrom\s+"(\.[^"]+)";/gms;

/** The files `file` imports, resolved (`x.ts` or `x/index.ts`); with `runtimeOnly`, not the type-only imports. */
export function relativeImports(file: string, text: string, runtimeOnly = false): string[] {
    const out: string[] = [];
    for (const m of text.matchAll(IMPORT)) {
        if (runtimeOnly && m[1] !== undefined) continue;
        const base = path.resolve(path.dirname(file), m[2]);
        const target = [`${base}.ts`, path.join(base, "index.ts")].find((f) => fs.existsSync(f));
        if (target === undefined) throw new Error(`${file}: cannot resolve ${m[2]}`);
        out.push(target);
    }
    return out;
}

/** Every cycle a depth-first walk from each file meets, as `a -> b -> a` (paths under components/). */
export function importCycles(edges: Map<string, string[]>): string[] {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (f: string): void => {
        state.set(f, "open");
        stack.push(f);
        for (const g of edges.get(f) ?? []) {
            if (state.get(g) === "open") cycles.push([...stack.slice(stack.indexOf(g)), g].map((x) => path.relative(ROOT, x)).join(" -> "));
            else if (state.get(g) === undefined) visit(g);
        }
        stack.pop();
        state.set(f, "done");
    };
    for (const f of edges.keys()) if (state.get(f) === undefined) visit(f);
    return cycles;
}

describe("unit: components/ has no import cycle", () => {
    it("finds a cycle when there is one (the probe works)", () => {
        const [a, b, c] = ["a.ts", "b.ts", "c.ts"].map((x) => path.join(ROOT, x));
        assert.deepStrictEqual(importCycles(new Map([[a, [b]], [b, [c]], [c, [a]]])), ["a.ts -> b.ts -> c.ts -> a.ts"]);
        assert.deepStrictEqual(importCycles(new Map([[a, [b]], [b, [c]], [c, []]])), []);
        const text = 'import { x } from "./scripts";\nimport type { Y } from "./lab";\nexport { z } from "./shell";\n';
        assert.deepStrictEqual(relativeImports(path.join(ROOT, "f.ts"), text), [path.join(ROOT, "scripts", "index.ts"), path.join(ROOT, "lab.ts"), path.join(ROOT, "shell.ts")]);
        assert.deepStrictEqual(relativeImports(path.join(ROOT, "f.ts"), text, true), [path.join(ROOT, "scripts", "index.ts"), path.join(ROOT, "shell.ts")]);
    });

    it("follows every import of every file and meets no cycle (types counted outside components/model/)", () => {
        const files = tsFiles(ROOT);
        const edges = (runtimeOnly: boolean) => new Map(files.map((f) => [f, relativeImports(f, fs.readFileSync(f, "utf8"), runtimeOnly)]));
        const all = edges(false);
        const count = [...all.values()].reduce((n, e) => n + e.length, 0);
        assert.ok(files.length > 50 && count > 100, `the walk saw ${files.length} files and ${count} imports: too few, the pattern no longer matches`);
        assert.deepStrictEqual(importCycles(edges(true)), [], "a cycle at run time");
        assert.deepStrictEqual(importCycles(all).filter((c) => !c.split(" -> ").every((f) => f.startsWith(`model${path.sep}`))), []);
    });
});

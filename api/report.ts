/**
 * The public API report of the package: every export of the entry point (components/index.ts)
 * with its declared shape (classes with their constructor and public members, interfaces with
 * their fields, functions with their signatures, types, constants), one sorted text, read from the
 * TypeScript checker. Doc comments are not part of it: a change here is a change a consumer's code
 * can notice.
 *
 *   npm run api:update     rewrites api/macvlan-lab.api.txt after a deliberate API change
 *
 * test/unit/api.test.ts fails when the report differs from the committed file, or when a public
 * declaration uses a type of ours that the entry does not export (a consumer could not name it).
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

export const REPO_ROOT = path.resolve(__dirname, "..");
export const ENTRY = path.join(REPO_ROOT, "components", "index.ts");
export const REPORT_FILE = path.join(REPO_ROOT, "api", "macvlan-lab.api.txt");

const FORMAT =
    ts.TypeFormatFlags.NoTruncation |
    ts.TypeFormatFlags.UseFullyQualifiedType |
    ts.TypeFormatFlags.WriteArrayAsGenericType |
    ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType;

export interface ApiReport {
    /** The report's text. */
    text: string;
    /** The names the entry exports. */
    exports: string[];
    /** The names of the entry's value exports (what `require("macvlan-lab")` has). */
    values: string[];
    /** Types of ours that public declarations use but the entry does not export, with where. */
    forgotten: string[];
}

function program(): ts.Program {
    const file = path.join(REPO_ROOT, "tsconfig.build.json");
    const read = ts.readConfigFile(file, (p) => fs.readFileSync(p, "utf8"));
    const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, REPO_ROOT, undefined, file);
    return ts.createProgram({ rootNames: [ENTRY], options: { ...parsed.options, noEmit: true } });
}

/** Whether a declaration is in this repository's sources (not a dependency, not the standard library). */
function ours(d: ts.Declaration): boolean {
    const f = d.getSourceFile().fileName;
    return !f.includes("/node_modules/") && path.resolve(f).startsWith(REPO_ROOT + path.sep);
}

/** Makes type text independent of where the repo is: `import("/abs/components/x").T` -> `T`. */
function clean(text: string): string {
    return text.replace(/import\("[^"]*"\)\./g, "");
}

function modifiers(d: ts.Declaration): string {
    const flags = ts.getCombinedModifierFlags(d);
    return `${flags & ts.ModifierFlags.Static ? "static " : ""}${flags & ts.ModifierFlags.Readonly ? "readonly " : ""}`;
}

function isPublic(d: ts.Declaration): boolean {
    const flags = ts.getCombinedModifierFlags(d);
    const name = ts.getNameOfDeclaration(d);
    return !(flags & ts.ModifierFlags.Private) && !(flags & ts.ModifierFlags.Protected) && !(name !== undefined && ts.isPrivateIdentifier(name));
}

/** Generates the report of the entry point. */
export function apiReport(): ApiReport {
    const prog = program();
    const checker = prog.getTypeChecker();
    const entry = prog.getSourceFile(ENTRY);
    if (entry === undefined) throw new Error(`cannot read ${ENTRY}`);
    // type errors are `npm run build`'s; the report only reads the declarations
    const moduleSymbol = checker.getSymbolAtLocation(entry);
    if (moduleSymbol === undefined) throw new Error(`${ENTRY} is not a module`);
    const exported = checker.getExportsOfModule(moduleSymbol).sort((a, b) => a.name.localeCompare(b.name));
    const exportedDecls = new Set<ts.Declaration>();
    const resolved = exported.map((s) => {
        const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
        for (const d of target.declarations ?? []) exportedDecls.add(d);
        return { name: s.name, symbol: target };
    });

    // Types as written in the declaration (whitespace collapsed): stable, where the checker's
    // text of a union depends on the order it met its members. The checker only for inferred types.
    const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });
    const written = (node: ts.Node): string =>
        printer.printNode(ts.EmitHint.Unspecified, node, node.getSourceFile()).replace(/\s+/g, " ").replace(/;? }/g, "; }").trim();
    const typeOf = (d: ts.Node & { type?: ts.TypeNode }, sym: ts.Symbol): string =>
        d.type !== undefined ? written(d.type) : clean(checker.typeToString(checker.getTypeOfSymbolAtLocation(sym, d), d, FORMAT));
    const params = (ps: ts.NodeArray<ts.ParameterDeclaration>): string =>
        ps
            .map((p) => {
                const sym = checker.getSymbolAtLocation(p.name);
                const opt = p.questionToken !== undefined || p.initializer !== undefined ? "?" : "";
                const type = p.type !== undefined ? written(p.type) : sym ? typeOf(p, sym) : "unknown";
                return `${p.dotDotDotToken ? "..." : ""}${p.name.getText()}${opt}: ${type}`;
            })
            .join(", ");
    const typeParams = (d: { typeParameters?: ts.NodeArray<ts.TypeParameterDeclaration> }): string =>
        d.typeParameters ? `<${d.typeParameters.map(written).join(", ")}>` : "";
    const signature = (d: ts.SignatureDeclaration): string => {
        const ret =
            d.type !== undefined
                ? written(d.type)
                : (() => {
                      const sig = checker.getSignatureFromDeclaration(d);
                      return sig ? clean(checker.typeToString(sig.getReturnType(), d, FORMAT)) : "unknown";
                  })();
        return `${typeParams(d)}(${params(d.parameters)}): ${ret}`;
    };
    const memberLines = (members: ts.NodeArray<ts.ClassElement | ts.TypeElement>): string[] => {
        const out: { name: string; text: string }[] = [];
        for (const m of members) {
            if (ts.isConstructorDeclaration(m) || ts.isClassStaticBlockDeclaration(m) || !isPublic(m)) continue;
            const name = m.name !== undefined ? m.name.getText() : "";
            const optional = (m as { questionToken?: ts.Node }).questionToken !== undefined ? "?" : "";
            if (ts.isMethodDeclaration(m) || ts.isMethodSignature(m)) {
                out.push({ name, text: `    ${modifiers(m)}${name}${optional}${signature(m)};` });
            } else if (ts.isPropertyDeclaration(m) || ts.isPropertySignature(m)) {
                const sym = checker.getSymbolAtLocation(m.name);
                out.push({ name, text: `    ${modifiers(m)}${name}${optional}: ${sym ? typeOf(m, sym) : "unknown"};` });
            } else {
                out.push({ name, text: `    ${written(m)}` });
            }
        }
        return out.sort((a, b) => a.name.localeCompare(b.name)).map((x) => x.text);
    };

    const blocks: string[] = [];
    const values: string[] = [];
    for (const { name, symbol } of resolved) {
        const decls = symbol.declarations ?? [];
        const decl = decls[0];
        if (decl === undefined) continue;
        const lines: string[] = [];
        const heritage = (d: ts.ClassDeclaration | ts.InterfaceDeclaration): string =>
            (d.heritageClauses ?? []).map((h) => ` ${written(h)}`).join("");
        if (ts.isClassDeclaration(decl)) {
            values.push(name);
            lines.push(`class ${name}${typeParams(decl)}${heritage(decl)} {`);
            for (const c of decl.members.filter(ts.isConstructorDeclaration)) lines.push(`    constructor(${params(c.parameters)});`);
            lines.push(...memberLines(decl.members), "}");
        } else if (ts.isInterfaceDeclaration(decl)) {
            lines.push(`interface ${name}${typeParams(decl)}${heritage(decl)} {`, ...memberLines(decl.members), "}");
        } else if (ts.isTypeAliasDeclaration(decl)) {
            lines.push(`type ${name}${typeParams(decl)} = ${written(decl.type)};`);
        } else if (ts.isFunctionDeclaration(decl)) {
            values.push(name);
            for (const d of decls.filter(ts.isFunctionDeclaration)) {
                if (decls.length > 1 && d.body !== undefined) continue; // overloads: the signatures, not the implementation
                lines.push(`function ${name}${signature(d)};`);
            }
        } else if (ts.isVariableDeclaration(decl)) {
            values.push(name);
            const constant = ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const ? "const" : "let";
            lines.push(`${constant} ${name}: ${typeOf(decl, symbol)};`);
        } else {
            lines.push(`// ${name}: unsupported kind of export (${ts.SyntaxKind[decl.kind]})`);
        }
        blocks.push(lines.join("\n"));
    }

    // every type of ours that an exported declaration names must be exported too
    const forgotten = new Set<string>();
    const visit = (node: ts.Node, where: string): void => {
        if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node)) {
            const at = ts.isTypeReferenceNode(node) ? node.typeName : node.expression;
            let s = checker.getSymbolAtLocation(at);
            if (s && s.flags & ts.SymbolFlags.Alias) s = checker.getAliasedSymbol(s);
            const d = s?.declarations?.[0];
            if (s && d && ours(d) && !ts.isTypeParameterDeclaration(d) && ![...(s.declarations ?? [])].some((x) => exportedDecls.has(x))) {
                forgotten.add(`${s.name} (used by ${where})`);
            }
        }
        ts.forEachChild(node, (c) => visit(c, where));
    };
    for (const { name, symbol } of resolved) {
        for (const d of symbol.declarations ?? []) {
            if (!ours(d)) continue;
            if (ts.isClassDeclaration(d)) {
                for (const m of d.members) {
                    if (ts.isConstructorDeclaration(m) || (isPublic(m) && !ts.isClassStaticBlockDeclaration(m))) {
                        // a public member's type annotation or parameters; bodies do not count
                        if (ts.isConstructorDeclaration(m)) m.parameters.forEach((p) => p.type && visit(p.type, `${name} constructor`));
                        else if (ts.isPropertyDeclaration(m) && m.type) visit(m.type, `${name}.${m.name.getText()}`);
                        else if (ts.isMethodDeclaration(m)) {
                            m.parameters.forEach((p) => p.type && visit(p.type, `${name}.${m.name.getText()}`));
                            if (m.type) visit(m.type, `${name}.${m.name.getText()}`);
                        }
                    }
                }
                (d.heritageClauses ?? []).forEach((h) => visit(h, name));
            } else if (ts.isFunctionDeclaration(d)) {
                d.parameters.forEach((p) => p.type && visit(p.type, name));
                if (d.type) visit(d.type, name);
            } else if (ts.isVariableDeclaration(d)) {
                if (d.type) visit(d.type, name);
            } else {
                visit(d, name);
            }
        }
    }

    const header =
        "// The public API of the macvlan-lab package: every export of components/index.ts with its shape.\n" +
        "// Generated by api/report.ts; refresh with `npm run api:update` after a deliberate change, and\n" +
        "// record it in CHANGELOG.md (a removed or changed line is a breaking change: a new minor version\n" +
        "// while the package is 0.x, a new major version after 1.0).\n";
    return {
        text: header + "\n" + blocks.join("\n\n") + "\n",
        exports: resolved.map((r) => r.name),
        values: values.sort(),
        forgotten: [...forgotten].sort(),
    };
}

if (require.main === module) {
    const report = apiReport();
    if (report.forgotten.length > 0) {
        console.error(`api: types used by the public API but not exported by components/index.ts:\n  ${report.forgotten.join("\n  ")}`);
        process.exit(1);
    }
    if (process.argv.includes("--update")) {
        fs.writeFileSync(REPORT_FILE, report.text);
        console.error(`api: wrote ${path.relative(process.cwd(), REPORT_FILE)} (${report.exports.length} exports)`);
    } else {
        process.stdout.write(report.text);
    }
}

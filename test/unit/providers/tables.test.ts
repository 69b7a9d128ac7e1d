/**
 * Each stand-in's README keeps one table of its rules: the rule, where upstream has it (file and line
 * at the cited version) and the test that shows it. This test fails when a row names no test, names
 * a test file that does not exist or a title that no `it(...)` of that file has, or cites no line;
 * and when the versions a README cites are not the ones the npm packages ask for.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../../../lab/paths";

interface Row {
    line: number;
    rule: string;
    upstream: string;
    tests: Array<{ file: string; title: string }>;
}

/** The rows of the table under `## Rules`. Pure. */
export function rulesTable(markdown: string): Row[] {
    const lines = markdown.split("\n");
    const start = lines.findIndex((l) => l.trim() === "## Rules");
    if (start === -1) return [];
    const rows: Row[] = [];
    let inTable = false;
    for (let i = start + 1; i < lines.length; i++) {
        const l = lines[i];
        if (l.startsWith("## ")) break;
        if (!l.startsWith("|")) {
            if (inTable) break;
            continue;
        }
        inTable = true;
        const cells = l.slice(1, l.endsWith("|") ? -1 : undefined).split(" | ").map((c) => c.trim());
        if (cells[0] === "rule" || /^-+$/.test(cells[0].replace(/\s/g, ""))) continue;
        const tests = [...(cells[2] ?? "").matchAll(/`(test\/[^`]+\.test\.ts)`: "((?:[^"\\]|\\.)+)"/g)].map((m) => ({ file: m[1], title: m[2].replace(/\\"/g, '"') }));
        rows.push({ line: i + 1, rule: cells[0] ?? "", upstream: cells[1] ?? "", tests });
    }
    return rows;
}

/** What is wrong with a row (empty when nothing is). `read` gives a test file's text, or undefined. */
export function rowProblems(row: Row, read: (file: string) => string | undefined): string[] {
    const out: string[] = [];
    if (row.rule === "") out.push(`line ${row.line}: no rule`);
    if (!/\bL\d+/.test(row.upstream)) out.push(`line ${row.line}: the upstream cell cites no line (Lnn): ${row.upstream}`);
    if (row.tests.length === 0) out.push(`line ${row.line}: the rule names no test: ${row.rule.slice(0, 80)}`);
    for (const t of row.tests) {
        const text = read(t.file);
        if (text === undefined) {
            out.push(`line ${row.line}: ${t.file} does not exist`);
            continue;
        }
        const forms = [`"${JSON.stringify(t.title).slice(1, -1)}"`, `'${t.title}'`, `\`${t.title}\``];
        if (!forms.some((f) => new RegExp(`\\bit\\(\\s*${f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`).test(text))) {
            out.push(`line ${row.line}: ${t.file} has no it(${JSON.stringify(t.title)})`);
        }
    }
    return out;
}

const readTest = (file: string): string | undefined => {
    const p = path.join(REPO_ROOT, file);
    return fs.existsSync(p) ? fs.readFileSync(p, "utf8") : undefined;
};

const READMES: Array<{ file: string; rows: number; cites: RegExp[] }> = [
    { file: "lab/providers/command/README.md", rows: 27, cites: [/pulumi-command` \*\*v1\.2\.1\*\*/, /Go SDK \*\*v3\.224\.0\*\*/, /x\/crypto \*\*v0\.48\.0\*\*/] },
    { file: "lab/providers/docker/README.md", rows: 27, cites: [/terraform-provider-docker` \*\*v4\.6\.0\*\*/, /pulumi-docker` \*\*5\.2\.0\*\*/] },
    { file: "lab/vm/guest/IFUP.md", rows: 11, cites: [/initscripts \*\*9\.49\.53\*\*/] },
];

describe("stand-in READMEs: one table of rules, each with upstream's line and its test", () => {
    it("the table check finds a row without a test, a missing title and a missing line (the probe works)", () => {
        const md = [
            "## Rules",
            "",
            "| rule | upstream | test |",
            "| --- | --- | --- |",
            "| has a test | `a.go` L3 | `test/unit/providers/tables.test.ts`: \"the table check finds a row without a test, a missing title and a missing line (the probe works)\" |",
            "| no test | `a.go` L4 | none yet |",
            "| wrong title | `a.go` | `test/unit/providers/tables.test.ts`: \"no such test\" |",
            "",
        ].join("\n");
        const rows = rulesTable(md);
        assert.strictEqual(rows.length, 3);
        assert.deepStrictEqual(rowProblems(rows[0], readTest), []);
        assert.match(rowProblems(rows[1], readTest).join("\n"), /names no test/);
        const third = rowProblems(rows[2], readTest).join("\n");
        assert.match(third, /cites no line/);
        assert.match(third, /has no it\("no such test"\)/);
    });

    for (const r of READMES) {
        it(`${r.file}: every rule cites upstream's line and names a test that exists`, function () {
            const text = fs.readFileSync(path.join(REPO_ROOT, r.file), "utf8");
            const rows = rulesTable(text);
            if (r.rows > 0) assert.strictEqual(rows.length, r.rows, `${r.file} has ${rows.length} rules`);
            else assert.ok(rows.length > 0, `${r.file} has no rules table under "## Rules"`);
            const problems = rows.flatMap((row) => rowProblems(row, readTest));
            assert.deepStrictEqual(problems, []);
            for (const c of r.cites) assert.match(text, c);
        });
    }

    it("the versions cited are the ones the npm packages ask for", () => {
        const version = (pkg: string): string => (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
        assert.strictEqual(version("@pulumi/command"), "1.2.1");
        assert.strictEqual(version("@pulumi/docker"), "5.2.0");
        // @pulumi/docker 5.2.0 has the fields kreuzwerker added in v4.6.0 (device_cgroup_rules #976,
        // upload owner/group #997), so it bridges v4.6.0, not v4.5.0
        const types = fs.readFileSync(path.join(REPO_ROOT, "node_modules", "@pulumi", "docker", "types", "input.d.ts"), "utf8");
        assert.match(fs.readFileSync(path.join(REPO_ROOT, "node_modules", "@pulumi", "docker", "container.d.ts"), "utf8"), /deviceCgroupRules\?:/);
        assert.match(types, /interface ContainerUpload \{[^}]*owner\?:/);
    });
});

/**
 * The topology diagram of a stack, from its validated spec and address plan:
 *
 *   npm run diagram -- <stack> [--out <dir>] [--readme]
 *
 * writes `<dir>/<stack>.mmd` (Mermaid) and `<dir>/<stack>.svg` (laid out by Graphviz), default
 * dir docs/topology/, and prints the Mermaid text. `--readme` also replaces the stack's diagram
 * block in README.md. An invalid stack prints every problem and exits 1.
 */
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../paths";
import { DIAGRAM_DIR, replaceReadmeBlock, stackDiagram } from "./files";

const USAGE = "usage: npm run diagram -- <stack> [--out <dir>] [--readme]";

async function main(argv: string[]): Promise<number> {
    let stack: string | undefined;
    let out = DIAGRAM_DIR;
    let readme = false;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--out" && i + 1 < argv.length) out = path.resolve(argv[++i]);
        else if (a === "--readme") readme = true;
        else if (a === "-h" || a === "--help") {
            console.log(USAGE);
            return 0;
        } else if (!a.startsWith("-") && stack === undefined) stack = a;
        else {
            console.error(`diagram: unexpected argument ${JSON.stringify(a)}\n${USAGE}`);
            return 2;
        }
    }
    if (stack === undefined) {
        console.error(USAGE);
        return 2;
    }
    const d = await stackDiagram(stack);
    fs.mkdirSync(out, { recursive: true });
    const files = [path.join(out, `${stack}.mmd`), path.join(out, `${stack}.svg`)];
    fs.writeFileSync(files[0], d.mermaid);
    fs.writeFileSync(files[1], d.svg);
    if (readme) {
        const file = path.join(REPO_ROOT, "README.md");
        fs.writeFileSync(file, replaceReadmeBlock(fs.readFileSync(file, "utf8"), stack, d.mermaid));
        files.push(file);
    }
    process.stdout.write(d.mermaid);
    console.error(`diagram ${stack}: wrote ${files.map((f) => path.relative(process.cwd(), f)).join(", ")}`);
    return 0;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
        console.error(`diagram: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
    },
);

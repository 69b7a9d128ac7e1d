/**
 * Installs the stand-in as plugin `resource-command` v1.2.1 under a PULUMI_HOME: the engine finds
 * `$PULUMI_HOME/plugins/resource-command-v1.2.1/pulumi-resource-command` and execs it with its address.
 */
import * as fs from "fs";
import * as path from "path";
import { VERSION } from "./rules";

/** The repository root (this file is lab/providers/command/install.ts). */
const REPO = path.resolve(__dirname, "..", "..", "..");

/** Single-quotes a word for sh. */
function shQuote(s: string): string {
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The wrapper script: exec node with ts-node (transpile-only) on main.ts, absolute paths, the engine's arguments passed on. Pure. */
export function wrapperScript(node: string, repo: string): string {
    const tsNode = path.join(repo, "node_modules", "ts-node", "register", "transpile-only");
    const main = path.join(repo, "lab", "providers", "command", "main.ts");
    return [
        "#!/bin/sh",
        "# pulumi-resource-command v1.2.1 stand-in (macvlan-lab lab/providers/command): the real plugin's Go module is not served here",
        `exec ${shQuote(node)} -r ${shQuote(tsNode)} ${shQuote(main)} "$@"`,
        "",
    ].join("\n");
}

/** Writes the plugin into `$pulumiHome/plugins/resource-command-v1.2.1/` and returns that directory. */
export function installCommandPlugin(pulumiHome: string): string {
    const dir = path.join(path.resolve(pulumiHome), "plugins", `resource-command-v${VERSION}`);
    fs.mkdirSync(dir, { recursive: true });
    const exe = path.join(dir, "pulumi-resource-command");
    fs.writeFileSync(exe, wrapperScript(process.execPath, REPO), { mode: 0o755 });
    fs.chmodSync(exe, 0o755);
    // the engine treats a plugin directory with a `.partial` marker as an unfinished install
    fs.rmSync(`${dir}.partial`, { force: true });
    return dir;
}

/**
 * Installs a stand-in provider as a plugin the Pulumi engine loads by name and version:
 * `$PULUMI_HOME/plugins/resource-<name>-v<version>/pulumi-resource-<name>`, a wrapper script that
 * runs the stand-in's compiled main.js with node. The stand-ins (every `.ts` file under
 * lab/providers) are transpiled once per content (lab/build.ts): a plugin process starts in ~0.3 s
 * instead of ~1.1 s under ts-node, and the engine starts one per provider resource.
 */
import * as fs from "fs";
import * as path from "path";
import { transpileTree, tsFilesUnder } from "../build";
import { REPO_ROOT } from "../paths";

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

/** The stand-ins transpiled to JavaScript (see lab/build.ts): the build's root mirrors the repo. */
export function buildStandIns(): string {
    return transpileTree("providers", tsFilesUnder(path.join(REPO_ROOT, "lab", "providers")));
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

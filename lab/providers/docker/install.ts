/**
 * Installs the stand-in as the plugin `resource-docker` v5.2.0 under a PULUMI_HOME: a wrapper
 * script `pulumi-resource-docker` that execs node with ts-node on main.ts (absolute paths), plus
 * no `.partial` marker (the CLI skips plugins whose install did not finish).
 */
import * as fs from "fs";
import * as path from "path";
import { PROVIDER_VERSION } from "./provider";

/** The wrapper script's text for a repo root and node binary. Pure. */
export function wrapperScript(repoRoot: string, nodeBin: string): string {
    const q = (s: string) => `'${s.replace(/'/g, `'"'"'`)}'`;
    const main = path.join(repoRoot, "lab", "providers", "docker", "main.ts");
    return [
        "#!/bin/sh",
        "# Stand-in for pulumi-docker 5.2.0 (macvlan-lab lab/providers/docker): see its README.md",
        `cd ${q(repoRoot)} || exit 1`,
        `TS_NODE_PROJECT=${q(path.join(repoRoot, "tsconfig.json"))} exec ${q(nodeBin)} -r ts-node/register/transpile-only ${q(main)} "$@"`,
        "",
    ].join("\n");
}

/** Writes `<pulumiHome>/plugins/resource-docker-v5.2.0/pulumi-resource-docker`; returns the plugin dir. */
export function installDockerPlugin(pulumiHome: string): string {
    const repoRoot = path.resolve(__dirname, "..", "..", "..");
    const dir = path.join(pulumiHome, "plugins", `resource-docker-v${PROVIDER_VERSION}`);
    fs.mkdirSync(dir, { recursive: true });
    const bin = path.join(dir, "pulumi-resource-docker");
    fs.writeFileSync(`${bin}.tmp`, wrapperScript(repoRoot, process.execPath), { mode: 0o755 });
    fs.renameSync(`${bin}.tmp`, bin);
    // the CLI treats a plugin dir with a `.partial` marker next to it as an unfinished install
    fs.rmSync(`${dir}.partial`, { force: true });
    return dir;
}

/**
 * Where the lab's Pulumi CLI and plugins come from.
 *
 * - The CLI: a `pulumi` on PATH (how real users have it) is used as it is; otherwise the one
 *   lab/engine/build.sh builds from Go modules into a cache outside the repo.
 * - Plugins go into the lab's own PULUMI_HOME, never the user's: a real plugin already installed in
 *   the user's Pulumi home is linked in; where there is none, the stand-in is installed (the lab never
 *   downloads: the controller has no route out, and automatic plugin acquisition is off).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { installCommandPlugin } from "../providers/command/install";
import { installDockerPlugin } from "../providers/docker/install";
import { REPO_ROOT } from "../paths";

const ENGINE_BUILD = path.join(REPO_ROOT, "lab", "engine", "build.sh");

/** The plugins the program needs, at the versions its npm packages ask for. */
export const PLUGINS = [
    { name: "command", pkg: "@pulumi/command", install: installCommandPlugin, standsInFor: "pulumi-command" },
    { name: "docker", pkg: "@pulumi/docker", install: installDockerPlugin, standsInFor: "pulumi-docker" },
] as const;

/** Where the engine comes from. */
export interface Engine {
    /** Directory holding `pulumi` (and, when built here, `pulumi-language-nodejs`). */
    binDir: string;
    /** `pulumi version`. */
    version: string;
    /** `path`: a pulumi on PATH; `built`: built here from Go modules by lab/engine/build.sh. */
    source: "path" | "built";
}

export class EngineError extends Error {}

/**
 * The CLI to run: `pulumi` on PATH, else the cached build (built now when missing). Never falls back
 * to anything that is not the real engine: a missing Go or a failed build is an EngineError naming
 * what to install.
 */
export function ensureEngine(log: (line: string) => void): Engine {
    const onPath = spawnSync("sh", ["-c", "command -v pulumi"], { encoding: "utf8" });
    if (onPath.status === 0 && onPath.stdout.trim() !== "" && process.env.MACVLAN_LAB_BUILD_ENGINE !== "1") {
        const bin = onPath.stdout.trim();
        return { binDir: path.dirname(bin), version: pulumiVersion(bin), source: "path" };
    }
    const build = spawnSync("bash", [ENGINE_BUILD], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
    for (const l of (build.stderr ?? "").split("\n").filter((x) => x !== "")) log(l);
    if (build.status !== 0) {
        throw new EngineError(`building the Pulumi engine failed (lab/engine/build.sh exit ${build.status ?? build.signal}); see the lines above`);
    }
    const binDir = (build.stdout ?? "").trim().split("\n").pop() ?? "";
    return { binDir, version: pulumiVersion(path.join(binDir, "pulumi")), source: "built" };
}

function pulumiVersion(bin: string): string {
    const r = spawnSync(bin, ["version"], { encoding: "utf8", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
    if (r.status !== 0) throw new EngineError(`${bin} version failed: ${(r.stderr ?? "").trim()}`);
    return r.stdout.trim();
}

/** The version of a plugin the program needs: the `pulumi.version` of its npm package. */
export function pluginVersion(pkg: string): string {
    const file = path.join(REPO_ROOT, "node_modules", pkg, "package.json");
    const json = JSON.parse(fs.readFileSync(file, "utf8")) as { pulumi?: { version?: string } };
    if (json.pulumi?.version === undefined) throw new Error(`${file} names no plugin version`);
    return json.pulumi.version.replace(/^v/, "");
}

/** The user's Pulumi home (where a real `pulumi plugin install` put plugins). */
function userPulumiHome(): string {
    return process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi");
}

/**
 * Puts every plugin the program needs into `home`: the user's real plugin when it is installed
 * (linked), the stand-in otherwise. Returns one `name: what` entry per plugin.
 */
export function installPlugins(home: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const p of PLUGINS) {
        const version = pluginVersion(p.pkg);
        const dirName = `resource-${p.name}-v${version}`;
        const real = path.join(userPulumiHome(), "plugins", dirName);
        const target = path.join(home, "plugins", dirName);
        if (path.resolve(real) !== path.resolve(target) && fs.existsSync(path.join(real, `pulumi-resource-${p.name}`)) && !fs.existsSync(`${real}.partial`)) {
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.rmSync(target, { recursive: true, force: true });
            fs.symlinkSync(real, target);
            out[p.name] = `real ${p.standsInFor} ${version} (from ${real})`;
        } else {
            p.install(home);
            out[p.name] = `STAND-IN for ${p.standsInFor} ${version} (lab/providers/${p.name}; the real plugin is not installed and cannot be downloaded here)`;
        }
    }
    return out;
}

/** The one line every run prints: what is real and what stands in. */
export function realityLine(engine: Engine, plugins: Record<string, string>): string {
    const host = engine.source === "built" ? "language host: lab/engine/nodejs-host (Pulumi's module is not served here; it runs the SDK's own program runner)" : "language host: the CLI's own";
    return (
        `pulumi: real engine ${engine.version} (${engine.source === "path" ? "from PATH" : `built from Go modules, ${engine.binDir}`}); ${host}; ` +
        Object.entries(plugins).map(([n, w]) => `${n}: ${w}`).join("; ")
    );
}

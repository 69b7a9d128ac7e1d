/**
 * The real Pulumi engine, for the local lab: where the CLI comes from, the lab's own Pulumi
 * workspace (file backend, passphrase secrets, plugins) and running `pulumi` in the controller.
 *
 * - The CLI: a `pulumi` on PATH (how real users have it) is used as it is; otherwise the one
 *   lab/engine/build.sh builds from Go modules into a cache outside the repo.
 * - Plugins go into the lab's own PULUMI_HOME, never the user's: a real plugin already installed in
 *   the user's Pulumi home is linked in; where there is none, the stand-in is installed (the lab never
 *   downloads: the controller has no route out, and automatic plugin acquisition is off).
 * - The lab's project is generated from the repo's Pulumi.yaml (same name and config schema; `main`
 *   points at the program transpiled to JavaScript, lab/build.ts) so that `pulumi stack init` and
 *   `config set --secret` write their salt and ciphertext into the lab's folder, never into
 *   `stacks/`, and a run does not compile TypeScript first.
 */
import { spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { StringDecoder } from "string_decoder";
import * as yaml from "js-yaml";
import { installCommandPlugin } from "./providers/command/install";
import { installDockerPlugin } from "./providers/docker/install";
import { buildProgram } from "./build";
import { REPO_ROOT } from "./paths";

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

/** The files of a lab's Pulumi workspace, under `.lab/_runs/<lab>/pulumi/`. */
export interface Workspace {
    dir: string;
    /** The generated project (Pulumi.yaml and Pulumi.<stack>.yaml); `pulumi` runs here. */
    project: string;
    /** The file backend. */
    backend: string;
    /** PULUMI_HOME: plugins, credentials. */
    home: string;
    /** The passphrase of the stack's secrets provider (0600). */
    passphraseFile: string;
}

export function workspaceOf(runDir: string): Workspace {
    const dir = path.join(runDir, "pulumi");
    return {
        dir,
        project: path.join(dir, "project"),
        backend: path.join(dir, "backend"),
        home: path.join(dir, "home"),
        passphraseFile: path.join(dir, "passphrase"),
    };
}

/** The lab's stack file of `stack` in the workspace's project (written by {@link writeWorkspace}). */
export function stackFileOf(ws: Workspace, stack: string): string {
    return path.join(ws.project, `Pulumi.${stack}.yaml`);
}

/** Whether the workspace's backend holds state (a stack was made: there is something to destroy). */
export function hasBackendState(ws: Workspace): boolean {
    return fs.existsSync(path.join(ws.backend, ".pulumi"));
}

/**
 * Where the program writes a TLS registry's CA for the Docker provider's digest check (the stack's
 * `controllerCaDir`): a directory of the workspace, first in the `SSL_CERT_DIR` pulumi runs with
 * (Go's roots; components/docker/controllerTrust.ts).
 */
export function controllerCaDirOf(ws: Workspace): string {
    return path.join(ws.dir, "ca");
}

/** The environment every `pulumi` of the lab runs with. */
export function pulumiEnv(ws: Workspace, engine: Engine): NodeJS.ProcessEnv {
    return {
        ...process.env,
        // Go's default directories stay (SSL_CERT_DIR replaces them when set)
        SSL_CERT_DIR: [controllerCaDirOf(ws), process.env.SSL_CERT_DIR ?? "/etc/ssl/certs:/etc/pki/tls/certs"].join(":"),
        PATH: `${engine.binDir}:${process.env.PATH ?? "/usr/bin:/bin"}`,
        PULUMI_HOME: ws.home,
        PULUMI_BACKEND_URL: `file://${ws.backend}`,
        PULUMI_CONFIG_PASSPHRASE_FILE: ws.passphraseFile,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    };
}

/**
 * The lab's project file: the repo's Pulumi.yaml (name, description, config schema) with `main`
 * pointing at the program's JavaScript build (relative, as Pulumi resolves it; see lab/build.ts),
 * so the runtime runs it as JavaScript, and the stack files next to it instead of in `stacks/`. Pure.
 */
export function labProjectYaml(repoPulumiYaml: string, projectDir: string, programDir: string): string {
    const doc = yaml.load(repoPulumiYaml) as Record<string, unknown>;
    const main = path.relative(projectDir, programDir) || ".";
    const out: Record<string, unknown> = { ...doc, main: `${main}/`, runtime: { name: "nodejs", options: { typescript: false } } };
    delete out.stackConfigDir;
    return "# Generated by lab/pulumi.ts from the repo's Pulumi.yaml for the local lab; do not edit.\n" + yaml.dump(out, { lineWidth: 120 });
}

/**
 * The lab's stack file: the stack's `config:` (already adjusted for the lab) with the salt of the
 * secrets provider and the secure values kept from the file as it is. Pure.
 */
export function labStackYaml(config: Record<string, unknown>, existing: string | undefined): string {
    const old = existing !== undefined ? ((yaml.load(existing) as Record<string, unknown> | null) ?? {}) : {};
    const oldConfig = (old.config as Record<string, unknown> | undefined) ?? {};
    const kept = Object.fromEntries(Object.entries(oldConfig).filter(([, v]) => typeof v === "object" && v !== null && "secure" in v));
    const doc: Record<string, unknown> = {};
    if (old.secretsprovider !== undefined) doc.secretsprovider = old.secretsprovider;
    if (old.encryptionsalt !== undefined) doc.encryptionsalt = old.encryptionsalt;
    doc.config = { ...config, ...kept };
    return "# Generated by lab/pulumi.ts for the local lab from stacks/; do not edit.\n" + yaml.dump(doc, { lineWidth: 120 });
}

function writeAtomic(file: string, text: string, mode = 0o644): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, text, { mode });
    fs.renameSync(`${file}.tmp`, file);
}

/** Writes the project file for the program as it is now (built when it changed). */
export function writeProject(ws: Workspace): void {
    writeAtomic(path.join(ws.project, "Pulumi.yaml"), labProjectYaml(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8"), ws.project, buildProgram()));
}

/** Writes the project and stack files and a passphrase (kept when present). */
export function writeWorkspace(ws: Workspace, stack: string, config: Record<string, unknown>): void {
    fs.mkdirSync(ws.backend, { recursive: true, mode: 0o700 });
    fs.mkdirSync(ws.home, { recursive: true, mode: 0o700 });
    if (!fs.existsSync(ws.passphraseFile)) {
        writeAtomic(ws.passphraseFile, crypto.randomBytes(24).toString("base64url") + "\n", 0o600);
    }
    writeProject(ws);
    const stackFile = stackFileOf(ws, stack);
    const existing = fs.existsSync(stackFile) ? fs.readFileSync(stackFile, "utf8") : undefined;
    writeAtomic(stackFile, labStackYaml(config, existing));
}

export interface PulumiRun {
    code: number;
    stdout: string;
    stderr: string;
    seconds: number;
}

export interface PulumiRunOptions {
    /** Wraps the argv to run elsewhere (the lab's controller namespaces). */
    wrap?: (argv: string[]) => string[];
    /** Gets each line of output as it comes (stdout and stderr). */
    onLine?: (line: string) => void;
    /** Text for stdin. */
    input?: string;
    /** Inherit the terminal instead of capturing (interactive use). */
    inherit?: boolean;
    signal?: AbortSignal;
    /** Killed (SIGTERM, then SIGKILL after 30 s) after this long. */
    timeoutMs?: number;
    /** Called with the child's pid once it started. */
    onStart?: (pid: number) => void;
}

/**
 * Follows a file another process writes: every complete line to `onLine`, the whole text kept.
 * `flush()` reads what is left and passes a last line without a newline too.
 */
class FileFollower {
    private fd: number;
    private offset = 0;
    private rest = "";
    private readonly buf = Buffer.alloc(64 * 1024);
    /** Keeps a UTF-8 character that a read cut in two until its other bytes come. */
    private readonly decoder = new StringDecoder("utf8");
    text = "";

    constructor(file: string, private readonly onLine?: (line: string) => void) {
        this.fd = fs.openSync(file, "r");
    }

    poll(): void {
        for (;;) {
            const n = fs.readSync(this.fd, this.buf, 0, this.buf.length, this.offset);
            if (n <= 0) return;
            this.offset += n;
            const chunk = this.decoder.write(this.buf.subarray(0, n));
            this.text += chunk;
            const parts = (this.rest + chunk).split("\n");
            this.rest = parts.pop() ?? "";
            for (const l of parts) this.onLine?.(l);
        }
    }

    flush(): void {
        this.poll();
        if (this.rest !== "") this.onLine?.(this.rest);
        this.rest = "";
        fs.closeSync(this.fd);
    }
}

let runCounter = 0;

/** A child's exit status as a shell reports it: its code, or 128 + the signal that ended it. */
function exitStatus(code: number | null, sig: NodeJS.Signals | null): number {
    return code ?? (sig !== null ? 128 + (os.constants.signals[sig] ?? 0) : 1);
}

/**
 * Runs `pulumi <args>` in the lab's project with the lab's environment. Its output goes to files
 * under `<workspace>/logs/` (followed line by line for `onLine`), never to a pipe: pulumi must be
 * able to finish writing and release its stack lock when the process that started it is gone
 * (a Go program dies on its first write to a pipe whose reader died).
 */
export function runPulumi(ws: Workspace, engine: Engine, args: string[], opts: PulumiRunOptions = {}): Promise<PulumiRun> {
    const argv = (opts.wrap ?? ((a: string[]) => a))([path.join(engine.binDir, "pulumi"), ...args]);
    const started = Date.now();
    if (opts.inherit) {
        return new Promise((resolve, reject) => {
            const child = spawn(argv[0], argv.slice(1), { cwd: ws.project, env: pulumiEnv(ws, engine), stdio: "inherit" });
            if (child.pid !== undefined) opts.onStart?.(child.pid);
            child.on("error", reject);
            child.on("close", (code, sig) =>
                resolve({ code: exitStatus(code, sig), stdout: "", stderr: "", seconds: (Date.now() - started) / 1000 }),
            );
        });
    }
    const logs = path.join(ws.dir, "logs");
    fs.mkdirSync(logs, { recursive: true, mode: 0o700 });
    const base = path.join(logs, `${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}-${++runCounter}-${args[0] ?? "pulumi"}`);
    const outFd = fs.openSync(`${base}.out`, "w", 0o600);
    const errFd = fs.openSync(`${base}.err`, "w", 0o600);
    const out = new FileFollower(`${base}.out`, opts.onLine);
    const err = new FileFollower(`${base}.err`, opts.onLine);
    return new Promise((resolve, reject) => {
        const child = spawn(argv[0], argv.slice(1), {
            cwd: ws.project,
            env: pulumiEnv(ws, engine),
            stdio: ["pipe", outFd, errFd],
            // its own process group: a stop reaches pulumi and everything it started
            detached: true,
        });
        fs.closeSync(outFd);
        fs.closeSync(errFd);
        if (child.pid !== undefined) opts.onStart?.(child.pid);
        child.stdin?.on("error", () => undefined);
        child.stdin?.end(opts.input ?? "");
        const follow = setInterval(() => {
            out.poll();
            err.poll();
        }, 100);
        let killTimer: NodeJS.Timeout | undefined;
        const signal = (target: number | undefined, sig: NodeJS.Signals) => {
            try {
                if (target !== undefined) process.kill(target, sig);
            } catch {
                /* gone */
            }
        };
        // pulumi alone first: it cancels, waits for its plugins and saves its state; its whole
        // group (plugins, language host, program) only when it has not finished 30 s later
        const stop = () => {
            signal(child.pid, "SIGTERM");
            killTimer = setTimeout(() => signal(child.pid === undefined ? undefined : -child.pid, "SIGKILL"), 30_000);
        };
        const timer = opts.timeoutMs !== undefined ? setTimeout(stop, opts.timeoutMs) : undefined;
        opts.signal?.addEventListener("abort", stop, { once: true });
        child.on("error", (e) => {
            clearInterval(follow);
            reject(e);
        });
        child.on("close", (code, sig) => {
            clearInterval(follow);
            if (timer) clearTimeout(timer);
            if (killTimer) clearTimeout(killTimer);
            opts.signal?.removeEventListener("abort", stop);
            out.flush();
            err.flush();
            resolve({
                code: exitStatus(code, sig),
                stdout: out.text,
                stderr: err.text,
                seconds: (Date.now() - started) / 1000,
            });
        });
    });
}

/** The stack in the lab's backend, selected, created when missing. */
export async function selectStack(ws: Workspace, engine: Engine, stack: string, opts: PulumiRunOptions = {}): Promise<void> {
    const r = await runPulumi(ws, engine, ["stack", "select", "--create", "--non-interactive", "--secrets-provider", "passphrase", stack], opts);
    if (r.code !== 0) throw new Error(`pulumi stack select --create ${stack} failed (${r.code}): ${(r.stderr || r.stdout).trim()}`);
}

/** `pulumi config set --secret <key>` with the value on stdin (never on a command line). */
export async function setSecret(ws: Workspace, engine: Engine, key: string, value: string, opts: PulumiRunOptions = {}): Promise<void> {
    const r = await runPulumi(ws, engine, ["config", "set", "--secret", key], { ...opts, input: value, onLine: undefined });
    if (r.code !== 0) throw new Error(`pulumi config set --secret ${key} failed (${r.code}): ${r.stderr.trim()}`);
}

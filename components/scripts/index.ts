/**
 * The shell that runs on hosts, as real files in this folder (checked by shellcheck, run by the
 * exec tests as they are), and the loader that turns them into what a `remote.Command` gets.
 *
 * How it reaches a host: the library (every `.sh` file here except the installer's, under
 * `installer/`, and the preflight's, under `preflight/`: both run where the library is not) is
 * installed once per host by its own command ({@link HostLibrary}: the files travel on that
 * command's stdin as one text bundle, checked against their sha256 digest, and land in
 * `<stateDir>/lib/<id>/`, where `<id>` names this exact content). Every other remote script is thin
 * ({@link renderScript}): `set -eu`, a title, its inputs as single-quoted variables,
 * `. "$lib/prelude.sh"` and the modules it uses, then
 * one call. Why installed once and not inlined: the steps of a VLAN interface alone are larger than
 * a whole thin script, and inlining them in every command put ~8 KB of identical helpers into each
 * command's create, delete and triggers (262 KB for the multi-VLAN stack). A library directory is
 * named by its content, so a command's stored delete always finds the code it was created with
 * until every command has moved on to a newer library (the old one is removed after them).
 *
 * The shell dialect of every script (prelude.sh): `note` (a line for people), `did` (a change,
 * counted), `drift` (a difference a check found, counted), `die` (`ERROR: ...` on stderr, exit 1),
 * `need_root`; `undo` / `save` / `stage` + `commit` / `drop` / `forget` for changes that are undone
 * newest first when the run fails; `state_init` / `state_done` / `state_get` for the state directory;
 * `report` and `verdict` for the last line. A module (a file here) defines functions only; it runs
 * nothing when sourced, except prelude.sh, which sets up the undo list and the EXIT trap.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { shellQuote } from "../shell";

/** This folder: the library's files, as the repo (or a build of it) holds them. */
export const SCRIPTS_DIR = __dirname;

/** The installer's files, which are not part of the library they install. */
const INSTALLER_DIR = "installer/";

/**
 * The preflight's file (preflight/preflight.sh): it runs before anything of a stack changes on any
 * host, so before the library is installed (an install is a change); its command carries it on stdin
 * (components/preflight) and it is not part of the library.
 */
export const PREFLIGHT_SCRIPT = "preflight/preflight.sh";

/** Folders of scripts that run without the library, each delivered by its own command. */
const STANDALONE_DIRS = [INSTALLER_DIR, "preflight/"];

/** A library file's path under this folder: `prelude.sh`, `host/vlan.sh`. */
const MODULE_PATH = /^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*\.sh$/;

/** The line that starts a file in the bundle. */
const FILE_MARK = "#@file ";

/** The shell library as one piece of content. */
export interface ShellLibrary {
    /** Paths under this folder, sorted. */
    files: string[];
    /** The text the installer reads on stdin: per file a `#@file <path>` line, then its lines. */
    bundle: string;
    /** sha256 of the bundle (hex): what the installer checks. */
    digest: string;
    /** The library's directory name on a host: the first 16 hex digits of the digest. */
    id: string;
}

/** Every `.sh` file under `dir`, as paths relative to `root`, sorted. */
function shellFiles(root: string, dir: string = root): string[] {
    const out: string[] = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) out.push(...shellFiles(root, p));
        else if (e.isFile() && e.name.endsWith(".sh")) out.push(path.relative(root, p).split(path.sep).join("/"));
    }
    return out.sort();
}

/** The text of a file of this folder; throws when it cannot travel in the bundle. */
export function scriptFile(rel: string, dir: string = SCRIPTS_DIR): string {
    if (!MODULE_PATH.test(rel)) {
        throw new Error(`${rel}: a shell library path is lower-case letters, digits, _ and -, with / between folders, ending in .sh`);
    }
    const text = fs.readFileSync(path.join(dir, rel), "utf8");
    if (!text.endsWith("\n")) throw new Error(`${rel} does not end with a newline`);
    if (text.split("\n").some((l) => l.startsWith(FILE_MARK))) throw new Error(`${rel} has a line that starts with ${JSON.stringify(FILE_MARK)}`);
    return text;
}

/** The library of the `.sh` files under `dir` (all but the installer's and the preflight's). */
export function loadLibrary(dir: string = SCRIPTS_DIR): ShellLibrary {
    const files = shellFiles(dir).filter((f) => !STANDALONE_DIRS.some((d) => f.startsWith(d)));
    if (!files.includes("prelude.sh")) {
        throw new Error(`${dir} has no prelude.sh: the shell library's files are missing (a build must copy components/**/*.sh)`);
    }
    const bundle = files.map((f) => `${FILE_MARK}${f}\n${scriptFile(f, dir)}`).join("");
    const digest = createHash("sha256").update(bundle, "utf8").digest("hex");
    return { files, bundle, digest, id: digest.slice(0, 16) };
}

let cached: ShellLibrary | undefined;

/** The library of this folder, read once. */
export function shellLibrary(): ShellLibrary {
    cached ??= loadLibrary();
    return cached;
}

/** Where the libraries are installed under a state directory: `<stateDir>/lib`. */
export function libraryRoot(stateDir: string): string {
    return `${stateDir}/lib`;
}

/**
 * Who a library directory on a host belongs to: one `HostLibrary` (its stack and name), so that two
 * stacks sharing a host never share a library directory and one's delete cannot take the other's
 * away. A directory name: letters, digits, `.`, `_`, `-`, starting with a letter or digit.
 */
export const LIBRARY_OWNER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** The owner of the library that renderers default to when given no library directory (tests, lab/vm). */
export const DEFAULT_LIBRARY_OWNER = "default";

/**
 * The owner of a `HostLibrary`: `<project>.<stack>.<name>`, with any character a directory name
 * cannot have as `_` (a first character that is not a letter or digit as `x`); when that changed
 * the text or made it longer than 100, the first 83 characters and 16 hex digits of the sha256 of
 * the whole, so two owners never collide. Pure.
 */
export function libraryOwner(project: string, stack: string, name: string): string {
    const whole = `${project}.${stack}.${name}`;
    const safe = whole.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^[^A-Za-z0-9]/, "x");
    if (safe === whole && LIBRARY_OWNER.test(safe)) return safe;
    return `${safe.slice(0, 83)}-${createHash("sha256").update(whole, "utf8").digest("hex").slice(0, 16)}`;
}

/** Throws unless `owner` is a library owner (a directory name, see {@link LIBRARY_OWNER}). */
export function checkLibraryOwner(owner: string): void {
    if (!LIBRARY_OWNER.test(owner)) {
        throw new Error(`library owner ${JSON.stringify(owner)} is not a directory name of letters, digits, . _ - (at most 100, starting with a letter or digit)`);
    }
}

/** The directory of this library on a host for `owner`: `<stateDir>/lib/<owner>/<id>`. */
export function installedLibraryDir(stateDir: string, owner: string = DEFAULT_LIBRARY_OWNER): string {
    checkLibraryOwner(owner);
    return `${libraryRoot(stateDir)}/${owner}/${shellLibrary().id}`;
}

/** A shell variable name the thin scripts assign. */
const VAR_NAME = /^[a-z_][a-z0-9_]*$/;
/** A call: the name of a function of the library and plain words, never a value from a spec. */
const CALL = /^[a-z_][a-z0-9_]*( [a-z0-9_.-]+)*$/;

/** One thin remote script. */
export interface ScriptCall {
    /** What it does, for people: the comment on its second line. Single line. */
    title: string;
    /** The library directory on the host (or this folder, for tests). */
    libraryDir: string;
    /**
     * Its inputs: shell variable names (lower case) and values, each assigned as one single-quoted
     * word. Values are validated by the renderer that calls this; quoting makes any of them safe.
     */
    vars: ReadonlyArray<readonly [string, string | number]>;
    /** Library modules it sources after prelude.sh, in order: `net.sh`, `host/vlan.sh`. */
    modules: readonly string[];
    /**
     * Lines run last: calls of library functions with plain words (`vlan_create`), each checked
     * against that form.
     */
    calls: readonly string[];
    /**
     * Lines run before the calls, built by the caller from a function name and arguments passed
     * through `shellQuote`/`shellJoin` only (`start 'docker01' 'bbox1' ...`). Defaults to none.
     */
    quotedLines?: readonly string[];
}

/**
 * The thin script: `set -eu`, `# macvlan-lab: <title>`, `lib=...` and the inputs, a clear error
 * when the library is not there, the modules, the calls.
 */
export function renderScript(c: ScriptCall): string {
    if (/[\n\r]/.test(c.title)) throw new Error(`script title ${JSON.stringify(c.title)} has a line break`);
    const lib = shellLibrary();
    for (const m of c.modules) {
        if (!lib.files.includes(m) || m === "prelude.sh") throw new Error(`${m} is not a module of the shell library (besides prelude.sh)`);
    }
    const lines = ["set -eu", `# macvlan-lab: ${c.title}`, `lib=${shellQuote(c.libraryDir)}`];
    const seen = new Set<string>(["lib"]);
    for (const [name, value] of c.vars) {
        if (!VAR_NAME.test(name) || seen.has(name)) throw new Error(`script variable ${JSON.stringify(name)} is not a new lower-case shell name`);
        seen.add(name);
        lines.push(`${name}=${shellQuote(value)}`);
    }
    lines.push(
        `if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi`,
    );
    for (const m of ["prelude.sh", ...c.modules]) lines.push(`. "$lib/${m}"`);
    for (const l of c.quotedLines ?? []) {
        if (/[\n\r]/.test(l)) throw new Error(`script line ${JSON.stringify(l)} has a line break`);
        lines.push(l);
    }
    for (const call of c.calls) {
        if (!CALL.test(call)) throw new Error(`script call ${JSON.stringify(call)} is not a function name with plain words`);
        lines.push(call);
    }
    return `${lines.join("\n")}\n`;
}

/**
 * The identity of a script for `triggers`: the title (with its action word removed by the caller
 * when create and delete share one) and the inputs, not the library directory. A new library
 * version changes a command's create and delete (an update: create runs again, idempotent), but
 * only a change of what it acts on replaces it.
 */
export function scriptIdentity(title: string, vars: ReadonlyArray<readonly [string, string | number]>): string {
    const h = createHash("sha256");
    h.update(title).update("\0");
    for (const [k, v] of vars) h.update(k).update("=").update(String(v)).update("\0");
    return `sha256:${h.digest("hex")}`;
}

/**
 * A file of the installer without its comments and blank lines (the file in the repo has them),
 * keeping only the shellcheck directives the joined script still needs: SC2317 (the trap's
 * function); the others are about inputs or functions in the other file, which the script has.
 */
function installerText(rel: string): string[] {
    return scriptFile(`${INSTALLER_DIR}${rel}`)
        .split("\n")
        .filter((l) => l.trim() !== "" && (!/^\s*#/.test(l) || /^\s*# shellcheck disable=SC2317\b/.test(l)));
}

/**
 * The installer's script: its inputs, the text of installer/common.sh and installer/install.sh
 * (create) or installer/remove.sh (delete) without their comments, then `library_install` or
 * `library_remove`. Self-contained: the library is not on the host yet.
 */
export function renderInstaller(action: "install" | "remove", stateDir: string, owner: string = DEFAULT_LIBRARY_OWNER): string {
    checkLibraryOwner(owner);
    const lib = shellLibrary();
    const vars: Array<[string, string]> = [
        ["lib_root", libraryRoot(stateDir)],
        ["lib_owner", owner],
        ["lib_id", lib.id],
        ...(action === "install" ? [["lib_digest", lib.digest] as [string, string]] : []),
    ];
    return [
        "set -eu",
        `# macvlan-lab: the shell library ${lib.id} (${lib.files.length} files): ${action}`,
        ...vars.map(([k, v]) => `${k}=${shellQuote(v)}`),
        ...installerText("common.sh"),
        ...installerText(`${action}.sh`),
        `library_${action}`,
        "",
    ].join("\n");
}

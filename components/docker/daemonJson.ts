/**
 * The Docker daemon's configuration as the registry trust changes it, decided here in TypeScript:
 * the hosts need nothing but POSIX sh and coreutils (a minimal CentOS 7 has no python3).
 *
 * How a change travels (see `registryTrust.ts` for the resources):
 * 1. a read-only script on the host (`docker_inspect`, components/scripts/docker/daemon.sh) prints
 *    the current `daemon.json` (bytes as base64, sha256, mode, owner), the `--insecure-registry`
 *    flags of the docker unit and its drop-ins (file and line) and, with `migrateUnitFlag`, those
 *    unit files' bytes; it refuses a flag it is not allowed to move, naming file, line and option;
 * 2. {@link parseInspection} reads that report back, {@link planDaemonConfig} decides the new
 *    `daemon.json` with `JSON.parse` / `JSON.stringify` (other keys kept in their order, the file's
 *    indentation kept) and the unit lines without the flag;
 * 3. the apply script gets the new bytes and the sha256 of what was read, and writes only when the
 *    file still has that digest (a concurrent edit is never overwritten); the restore script (its
 *    delete) gets the original bytes and the digest of what apply wrote, and puts the original back
 *    only when the file still holds exactly that.
 *
 * Pure: no I/O, no Pulumi.
 */
import { createHash } from "crypto";
import { DEFAULT_STATE_DIR, IPV4 } from "../contracts";
import { installedLibraryDir } from "../scripts";
import { RenderedScript, ScriptVar, renderOneScript } from "../scripts/command";
import { DNS_NAME, SAFE_ABSOLUTE_PATH } from "../model/names";
import { REGISTRY_SECURITY, RegistrySecurity } from "../model/types";
import { registrySecurity } from "./registrySecurity";

/** The key of daemon.json that lists plain-HTTP registries. */
export const INSECURE_KEY = "insecure-registries";

/** A file as the inspect script reports it. */
export interface ReportedFile {
    path: string;
    /** Octal permission bits, like `644`. */
    mode: string;
    /** `uid:gid`. */
    owner: string;
    /** sha256 of the bytes, hex. */
    sha256: string;
    bytes: Buffer;
}

/** A line of a unit file (or drop-in) that passes `--insecure-registry`. */
export interface UnitFlagLine {
    file: string;
    /** 1-based. */
    line: number;
    text: string;
}

/** What the inspect script found on a host. */
export interface Inspection {
    /** The daemon.json path inspected. */
    conf: string;
    /** Undefined when there is no daemon.json. */
    daemonJson?: ReportedFile;
    /** Unit lines with `--insecure-registry` (reported with `migrateUnitFlag` only). */
    flags: UnitFlagLine[];
    /** The unit files those lines are in, whole (with `migrateUnitFlag` only). */
    units: ReportedFile[];
    /** Whether docker runs under systemd (`docker.service` known to systemctl). */
    systemd: boolean;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Reads the `@...` lines of the inspect script's output; other lines are for people. */
export function parseInspection(stdout: string): Inspection {
    const out: Inspection = { conf: "", flags: [], units: [], systemd: false };
    const file = (f: string[], what: string): ReportedFile => {
        const [path, mode, owner, sha256, b64] = f;
        if (f.length !== 5 || !/^[0-7]{3,4}$/.test(mode) || !/^[0-9]+:[0-9]+$/.test(owner) || !/^[0-9a-f]{64}$/.test(sha256) || !B64.test(b64)) {
            throw new Error(`the inspect report's ${what} line is malformed: ${JSON.stringify(f.join(" ").slice(0, 200))}`);
        }
        const bytes = Buffer.from(b64, "base64");
        if (createHash("sha256").update(bytes).digest("hex") !== sha256) {
            throw new Error(`the inspect report's ${what} line for ${path} does not match its sha256: the report was cut or changed`);
        }
        return { path, mode, owner, sha256, bytes };
    };
    let seenEnd = false;
    for (const line of stdout.split("\n")) {
        if (!line.startsWith("@")) continue;
        const [tag, ...f] = line.slice(1).split(" ");
        switch (tag) {
            case "conf":
                out.conf = f.join(" ");
                break;
            case "daemon-json":
                if (f[0] !== "absent") out.daemonJson = file(f, "daemon-json");
                break;
            case "flag": {
                const [path, n, b64] = f;
                out.flags.push({ file: path, line: Number(n), text: Buffer.from(b64 ?? "", "base64").toString("utf8") });
                break;
            }
            case "unit":
                out.units.push(file(f, "unit"));
                break;
            case "systemd":
                out.systemd = f[0] === "yes";
                break;
            case "end":
                seenEnd = true;
                break;
            default:
                break;
        }
    }
    if (!seenEnd || out.conf === "") {
        throw new Error("the inspect report has no @conf or no @end line: the script did not finish");
    }
    return out;
}

const describe = (v: unknown): string =>
    v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : `a ${typeof v}`;

/** The indentation of the first indented line of a JSON text (two spaces when none). */
export function indentOf(text: string): string {
    const m = /\n([ \t]+)\S/.exec(text);
    return m ? m[1] : "  ";
}

/** Checks that JSON.parse kept every value: integers beyond 2^53 would be written back rounded. */
function unsafeNumber(v: unknown): boolean {
    if (typeof v === "number") return Number.isInteger(v) && !Number.isSafeInteger(v);
    if (Array.isArray(v)) return v.some(unsafeNumber);
    if (v !== null && typeof v === "object") return Object.values(v).some(unsafeNumber);
    return false;
}

/** A daemon.json read as an object, or the sentence that says why it cannot be changed. */
export function readDaemonJson(path: string, bytes: Buffer | undefined): { config: Record<string, unknown>; indent: string } | { error: string } {
    if (bytes === undefined) {
        return { config: {}, indent: "  " };
    }
    const text = bytes.toString("utf8");
    if (Buffer.compare(Buffer.from(text, "utf8"), bytes) !== 0) {
        return { error: `${path} is not UTF-8 text. Nothing was changed: fix or remove the file, then run again` };
    }
    let config: unknown;
    try {
        config = text.trim() === "" ? {} : JSON.parse(text);
    } catch (e) {
        return { error: `${path} is not valid JSON (${(e as Error).message}). Nothing was changed: fix or remove the file, then run again` };
    }
    if (config === null || typeof config !== "object" || Array.isArray(config)) {
        return { error: `${path} holds ${describe(config)}, not a JSON object. Nothing was changed: make it an object ({...}), then run again` };
    }
    const o = config as Record<string, unknown>;
    if (INSECURE_KEY in o && (!Array.isArray(o[INSECURE_KEY]) || (o[INSECURE_KEY] as unknown[]).some((x) => typeof x !== "string"))) {
        return { error: `${path}: ${INSECURE_KEY} is ${describe(o[INSECURE_KEY])}, not a list of registries. Nothing was changed: make it a list of strings, then run again` };
    }
    if (unsafeNumber(o)) {
        return { error: `${path} holds an integer beyond 2^53, which would not be written back exactly. Nothing was changed` };
    }
    return { config: o, indent: indentOf(text) };
}

/** `config` as the file's bytes: JSON.stringify with the given indentation and a final newline. */
export function writeDaemonJson(config: Record<string, unknown>, indent: string): string {
    return `${JSON.stringify(config, null, indent)}\n`;
}

/** The registries a `--insecure-registry` flag names in one unit line, and the line without them. */
export function removeInsecureRegistryFlags(text: string): { text: string; registries: string[] } | { error: string } {
    const registries: string[] = [];
    if (!/^\s*ExecStart\s*=/.test(text)) {
        return { error: "it is not an ExecStart= line (migrateUnitFlag moves flags of the ExecStart command line only)" };
    }
    if (/\\\s*$/.test(text)) {
        return { error: "the command continues on the next line (a trailing \\); join the ExecStart line first" };
    }
    // `--insecure-registry X`, `--insecure-registry=X`, each optionally quoted as one word
    const FLAG = /(\s+)(["']?)--insecure-registry(?:=|\s+)([^\s"']+)\2(?=\s|$)/g;
    const out = text.replace(FLAG, (_m, _sp: string, _q: string, value: string) => {
        registries.push(value);
        return "";
    });
    if (registries.length === 0 || out.includes("--insecure-registry")) {
        return { error: "the flag is written in a form the program does not take apart (quoted with other words, or without a value)" };
    }
    return { text: out, registries };
}

/** What the registry trust asks of a host's daemon configuration. */
export interface DaemonConfigRequest {
    /** The registry, `<host>:<port>`. */
    endpoint: string;
    /** "insecure": the endpoint joins `insecure-registries`. "tls": it must not be there (`RegistrySecurityStrategy.listedInsecure`). */
    security: RegistrySecurity;
    /** Move `--insecure-registry` flags of the unit into daemon.json and restart dockerd. */
    migrate: boolean;
}

/** A unit file as it is and as the apply script writes it. */
export interface UnitChange {
    before: ReportedFile;
    after: string;
}

/** What the apply and restore scripts do. */
export interface DaemonConfigPlan {
    /** The sentence the apply script fails with when nothing may be changed. */
    error?: string;
    conf: string;
    /** The file as read (undefined: there was none). */
    before?: ReportedFile;
    /** The new daemon.json, or undefined when it stays as it is. */
    after?: string;
    /**
     * Written (and dockerd reloaded) by the restore before the original is put back, when the
     * original has no `insecure-registries` key: dockerd 20.10 keeps its list on a reload that finds
     * no key, so it must first see the list without the endpoint.
     */
    intermediate?: string;
    units: UnitChange[];
    /** Registries moved from the unit into daemon.json. */
    migrated: string[];
    /** dockerd restarts (a unit changed); otherwise a reload when `after` changes insecure-registries. */
    restart: boolean;
    /** The endpoint must be listed as insecure by dockerd after apply (insecure mode). */
    expectListed: boolean;
}

/** Decides the new daemon.json and unit files from what the host reported. Pure. */
export function planDaemonConfig(req: DaemonConfigRequest, insp: Inspection): DaemonConfigPlan {
    const listed = registrySecurity(req.security).listedInsecure;
    const base: DaemonConfigPlan = { conf: insp.conf, before: insp.daemonJson, units: [], migrated: [], restart: false, expectListed: listed };
    const read = readDaemonJson(insp.conf, insp.daemonJson?.bytes);
    if ("error" in read) {
        return { ...base, error: read.error };
    }
    // the unit flags: taken apart when migrating (the inspect script refused them otherwise)
    const toAdd: string[] = [];
    if (req.migrate) {
        for (const unit of insp.units) {
            const lines = unit.bytes.toString("utf8").split("\n");
            const hits = insp.flags.filter((f) => f.file === unit.path);
            for (const f of hits) {
                const r = removeInsecureRegistryFlags(lines[f.line - 1] ?? "");
                if ("error" in r) {
                    return { ...base, error: `${f.file} line ${f.line} passes --insecure-registry, but ${r.error}: ${f.text}. Nothing was changed` };
                }
                lines[f.line - 1] = r.text;
                toAdd.push(...r.registries);
            }
            if (hits.length > 0) {
                base.units.push({ before: unit, after: lines.join("\n") });
            }
        }
        for (const f of insp.flags) {
            if (!insp.units.some((u) => u.path === f.file)) {
                return { ...base, error: `the inspect report names ${f.file} line ${f.line} but not the file itself. Nothing was changed` };
            }
        }
    }
    const migrated = [...new Set(toAdd)];
    const keep = migrated.filter((r) => !(!listed && r === req.endpoint));
    if (listed) keep.push(req.endpoint);
    const config = read.config;
    const current = (config[INSECURE_KEY] as string[] | undefined) ?? [];
    const missing = [...new Set(keep)].filter((r) => !current.includes(r));
    // with tls, the endpoint must not stay insecure in the file either
    const dropOwn = !listed && current.includes(req.endpoint);
    let after: string | undefined;
    let intermediate: string | undefined;
    if (missing.length > 0 || dropOwn) {
        const list = [...current.filter((r) => !(dropOwn && r === req.endpoint)), ...missing];
        // the key keeps its place; a new key goes last
        after = writeDaemonJson({ ...config, [INSECURE_KEY]: list }, read.indent);
        if (!(INSECURE_KEY in config) && listed) {
            intermediate = writeDaemonJson({ ...config, [INSECURE_KEY]: list.filter((r) => r !== req.endpoint) }, read.indent);
        }
    }
    return { ...base, after, intermediate, migrated, restart: base.units.length > 0 };
}

// ------------------------------------------------------------------------------------------------
// The thin scripts (components/scripts/docker/daemon.sh does the work)

/** Where the scripts act and how they tell dockerd. */
export interface DaemonScriptOptions {
    /**
     * The registry as daemons name it: `<host>:<port>` (`192.168.1.11:5000`). Required: the exact
     * string image references start with (Docker matches `insecure-registries` entries by string).
     */
    endpoint: string;
    /** "insecure": trusted through `insecure-registries`; "tls": must not be listed there. Required. */
    security: RegistrySecurity;
    /** The daemon's configuration file. Defaults to `/etc/docker/daemon.json`; it must be the one dockerd reads (`--config-file`, checked). */
    daemonJson?: string;
    /** The state directory on the host (the lock goes in its `registry-trust/`). Defaults to `/var/lib/macvlan-lab`. */
    stateDir?: string;
    /** The pid file of the dockerd to check and tell. Defaults to `/run/docker.pid`. */
    pidFile?: string;
    /** The systemd unit of dockerd. Defaults to `docker.service`. */
    unit?: string;
    /**
     * "auto": tell dockerd (SIGHUP or `systemctl reload`, or a restart when a unit changed) and check
     * that it took the change; a dockerd must run. "none": only the files (tests on temporary files).
     * Defaults to "auto".
     */
    reload?: "auto" | "none";
    /** Seconds to wait for dockerd after telling it (a restart: 6 times as long). Defaults to 10. */
    reloadTimeoutSeconds?: number;
    /** The installed shell library. Defaults to the one for `stateDir` (`installedLibraryDir`). */
    libraryDir?: string;
}

const UNIT_NAME = /^[a-zA-Z0-9@_.:-]+\.service$/;

/** Every problem with `opts`, one sentence each; empty when the scripts can be rendered. */
export function validateDaemonScriptOptions(opts: DaemonScriptOptions): string[] {
    const errors: string[] = [];
    const m = /^([^:]*):([0-9]+)$/.exec(opts.endpoint);
    if (m === null || !(IPV4.test(m[1]) || DNS_NAME.test(m[1])) || Number(m[2]) < 1 || Number(m[2]) > 65535) {
        errors.push(`endpoint ${JSON.stringify(opts.endpoint)} is not <host>:<port>; use an IPv4 address or DNS name and a port 1-65535, like 192.168.1.11:5000`);
    }
    if (!REGISTRY_SECURITY.includes(opts.security)) {
        errors.push(`security ${JSON.stringify(opts.security)} is not "tls" or "insecure"`);
    }
    for (const [field, value] of [["daemonJson", opts.daemonJson], ["stateDir", opts.stateDir], ["pidFile", opts.pidFile], ["libraryDir", opts.libraryDir]] as const) {
        if (value !== undefined && (!SAFE_ABSOLUTE_PATH.test(value) || value === "/" || value.endsWith("/"))) {
            errors.push(`${field} ${JSON.stringify(value)} is not an absolute path of letters, digits and _ . - /; give one like /etc/docker/daemon.json`);
        }
    }
    if (opts.unit !== undefined && !UNIT_NAME.test(opts.unit)) {
        errors.push(`unit ${JSON.stringify(opts.unit)} is not a systemd service name like docker.service`);
    }
    if (opts.reload !== undefined && opts.reload !== "auto" && opts.reload !== "none") {
        errors.push(`reload ${JSON.stringify(opts.reload)} is not "auto" or "none"`);
    }
    const t = opts.reloadTimeoutSeconds;
    if (t !== undefined && (!Number.isInteger(t) || t < 1 || t > 300)) {
        errors.push(`reloadTimeoutSeconds ${t} is not a whole number of seconds from 1 to 300`);
    }
    return errors;
}

function commonVars(o: DaemonScriptOptions): { vars: ScriptVar[]; libraryDir: string } {
    const errors = validateDaemonScriptOptions(o);
    if (errors.length > 0) {
        throw new Error(`invalid registry trust options:\n  ${errors.join("\n  ")}`);
    }
    const stateDir = o.stateDir ?? DEFAULT_STATE_DIR;
    return {
        libraryDir: o.libraryDir ?? installedLibraryDir(stateDir),
        vars: [
            ["conf", o.daemonJson ?? "/etc/docker/daemon.json"],
            ["pid_file", o.pidFile ?? "/run/docker.pid"],
            ["endpoint", o.endpoint],
            ["security", o.security],
            ["unit", o.unit ?? "docker.service"],
            ["reload", o.reload ?? "auto"],
            ["wait_steps", (o.reloadTimeoutSeconds ?? 10) * 2],
            ["state_dir", stateDir],
            ["state", `${stateDir}/registry-trust`],
        ],
    };
}

const sha256 = (text: string | Buffer): string => createHash("sha256").update(text).digest("hex");

/** A rendered script and what identifies it for `triggers` (components/scripts/command.ts). */
export type { RenderedScript };

function render(title: string, o: DaemonScriptOptions, extra: readonly ScriptVar[], call: string): RenderedScript {
    const { vars, libraryDir } = commonVars(o);
    return renderOneScript(title, libraryDir, [...vars, ...extra], ["docker/daemon.sh"], [call]);
}

/** The read-only inspect script (see the module comment); `migrate` reports the unit files whole. */
export function renderInspect(o: DaemonScriptOptions & { migrate: boolean }): RenderedScript {
    return render(`inspect the daemon configuration for the registry ${o.endpoint}`, o, [["migrate", o.migrate ? "yes" : "no"]], "docker_inspect");
}

/** The apply script of a plan; `again` tells the user how to read the files again after a concurrent edit. */
export function renderApply(o: DaemonScriptOptions, plan: DaemonConfigPlan, again: string): RenderedScript {
    const title = `the daemon configuration for the registry ${o.endpoint} (${o.security})`;
    if (plan.error !== undefined) {
        return render(title, o, [["message", plan.error]], "daemon_config_refuse");
    }
    const extra: ScriptVar[] = [
        ["expect", plan.before?.sha256 ?? "absent"],
        ["content", plan.after ?? ""],
        ["ours", plan.after !== undefined ? sha256(plan.after) : "unchanged"],
        ["expect_listed", plan.expectListed ? "yes" : "no"],
        ["again", again],
        ["units", plan.units.length],
    ];
    plan.units.forEach((u, i) => {
        extra.push([`unit_path_${i + 1}`, u.before.path], [`unit_expect_${i + 1}`, u.before.sha256], [`unit_content_${i + 1}`, u.after], [`unit_ours_${i + 1}`, sha256(u.after)]);
    });
    return render(title, o, extra, "daemon_config_apply");
}

/** The restore script of a plan: the original bytes back where the files still hold what apply wrote. */
export function renderRestore(o: DaemonScriptOptions, plan: DaemonConfigPlan): RenderedScript {
    const title = `put back the daemon configuration from before the registry ${o.endpoint} (${o.security})`;
    const changed = plan.error === undefined && plan.after !== undefined;
    const extra: ScriptVar[] = [
        ["ours", changed && plan.after !== undefined ? sha256(plan.after) : "unchanged"],
        ["orig", plan.before ? plan.before.bytes.toString("base64") : "absent"],
        ["orig_mode", plan.before?.mode ?? "644"],
        ["orig_owner", plan.before?.owner ?? "0:0"],
        ["intermediate", plan.intermediate ?? ""],
        ["restart", plan.restart && plan.error === undefined ? "yes" : "no"],
        ["units", plan.error === undefined ? plan.units.length : 0],
    ];
    if (plan.error === undefined) {
        plan.units.forEach((u, i) => {
            extra.push(
                [`unit_path_${i + 1}`, u.before.path],
                [`unit_ours_${i + 1}`, sha256(u.after)],
                [`unit_orig_${i + 1}`, u.before.bytes.toString("base64")],
                [`unit_mode_${i + 1}`, u.before.mode],
                [`unit_owner_${i + 1}`, u.before.owner],
            );
        });
    }
    return render(title, o, extra, "daemon_config_restore");
}

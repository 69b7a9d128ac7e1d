/**
 * The rules of `command:remote:Command` in pulumi-command v1.2.1 (built on pulumi-go-provider v1.3.0's
 * `infer`), as pure functions over the wire values the Node SDK's provider server hands us. Each rule
 * names its upstream file and function; lab/providers/command/README.md lists them.
 */
import { goQuote } from "./goquote";
import { Wire, WireMap, containsUnknown, deepEquals, isObject, isSecret, isUnknown, makeSecret, reveal, unwrapSecret } from "./values";

export const TYPE_TOKEN = "command:remote:Command";
export const VERSION = "1.2.1";

/** The line every run prints once. */
export const STAND_IN_NOTICE =
    "command provider: a stand-in for pulumi-command v1.2.1 (its Go module is not served here) serves command:remote:Command and command:local:Command; the Pulumi engine is real";

/** Input properties of remote.Command (remote/command.go CommandInputs + common/inputs.go ResourceInputs). */
export const INPUT_KEYS = ["triggers", "create", "update", "delete", "stdin", "logging", "connection", "environment", "addPreviousOutputInEnv"] as const;

/** Connection fields of v1.2.1 (remote/connection.go connectionBase + Connection.Proxy). */
const CONNECTION_KEYS = ["user", "password", "host", "port", "privateKey", "privateKeyPassword", "agentSocketPath", "dialErrorLimit", "perDialTimeout", "hostKey", "proxy"];
/** Fields v1.2.1 has that this stand-in refuses at Check, rather than ignore. */
const CONNECTION_UNSUPPORTED = ["password", "privateKeyPassword", "proxy"];
/** `provider:"secret"` fields of the connection (remote/connection.go connectionBase). */
const CONNECTION_SECRETS = ["password", "privateKey", "privateKeyPassword"];

/** Defaults of remote/connection.go `Connection.Annotate` (SetDefault), applied by infer's defaultCheck. */
export const CONNECTION_DEFAULTS: Readonly<Record<string, Wire>> = { user: "root", port: 22, dialErrorLimit: 10, perDialTimeout: 15 };

export interface CheckFailure {
    property: string;
    reason: string;
}

function typeFailure(path: string, v: Wire | undefined, want: "string" | "number" | "integer" | "boolean" | "array" | "object"): CheckFailure | undefined {
    const x = unwrapSecret(v);
    if (x === undefined || x === null || isUnknown(x)) return undefined;
    const ok =
        want === "string" ? typeof x === "string"
        : want === "number" ? typeof x === "number"
        : want === "integer" ? typeof x === "number" && Number.isInteger(x)
        : want === "boolean" ? typeof x === "boolean"
        : want === "array" ? Array.isArray(x)
        : isObject(x);
    return ok ? undefined : { property: path, reason: `expected ${want === "integer" ? "an integer" : `a ${want}`}, got ${JSON.stringify(x)}` };
}

/**
 * Check (infer/resource.go `derivedResourceController.Check` -> decode, `defaultCheck`, `applySecrets`):
 * the inputs must decode into CommandInputs (connection and connection.host required, types as declared),
 * connection defaults are filled in (user root, port 22, dialErrorLimit 10, perDialTimeout 15), and
 * `connection` (with privateKey/password inside) comes back secret. Unknown values pass through.
 */
export function check(news: WireMap): { inputs: WireMap; failures: CheckFailure[] } {
    const failures: CheckFailure[] = [];
    const push = (f: CheckFailure | undefined): void => {
        if (f !== undefined) failures.push(f);
    };
    for (const k of ["create", "update", "delete", "stdin", "logging"]) push(typeFailure(k, news[k], "string"));
    push(typeFailure("triggers", news.triggers, "array"));
    push(typeFailure("environment", news.environment, "object"));
    push(typeFailure("addPreviousOutputInEnv", news.addPreviousOutputInEnv, "boolean"));
    const env = unwrapSecret(news.environment);
    if (isObject(env)) {
        for (const [k, v] of Object.entries(env)) push(typeFailure(`environment.${k}`, v, "string"));
    }

    const inputs: WireMap = {};
    for (const [k, v] of Object.entries(news)) {
        if (v !== null) inputs[k] = v;
    }
    const conn = news.connection;
    if (conn === undefined || conn === null) {
        failures.push({ property: "connection", reason: "Missing required field 'connection' on 'remote.CommandInputs'" });
        return { inputs, failures };
    }
    const c = unwrapSecret(conn);
    if (c !== undefined && isObject(c)) {
        const fixed: WireMap = {};
        for (const [k, v] of Object.entries(c)) {
            if (v === null) continue;
            if (!CONNECTION_KEYS.includes(k)) continue;
            fixed[k] = v;
        }
        if (fixed.host === undefined) {
            failures.push({ property: "connection.host", reason: "Missing required field 'host' on 'remote.Connection'" });
        }
        for (const k of ["user", "host", "privateKey", "hostKey", "password", "privateKeyPassword", "agentSocketPath"]) push(typeFailure(`connection.${k}`, fixed[k], "string"));
        push(typeFailure("connection.port", fixed.port, "number"));
        push(typeFailure("connection.dialErrorLimit", fixed.dialErrorLimit, "integer"));
        push(typeFailure("connection.perDialTimeout", fixed.perDialTimeout, "integer"));
        for (const k of CONNECTION_UNSUPPORTED) {
            if (fixed[k] !== undefined) {
                failures.push({
                    property: `connection.${k}`,
                    reason: `pulumi-command v1.2.1 supports it, but this stand-in does not (it logs in with privateKey or the SSH agent only, through the system ssh client)`,
                });
            }
        }
        for (const [k, v] of Object.entries(CONNECTION_DEFAULTS)) {
            if (fixed[k] === undefined) fixed[k] = v;
        }
        for (const k of CONNECTION_SECRETS) {
            if (fixed[k] !== undefined) fixed[k] = makeSecret(fixed[k]);
        }
        inputs.connection = makeSecret(fixed);
    } else if (isUnknown(c)) {
        inputs.connection = makeSecret(c as Wire);
    } else {
        push(typeFailure("connection", c, "object"));
    }
    return { inputs, failures };
}

/** A property path and what changed there, as `plugin.NewDetailedDiffFromObjectDiff` names them. */
export interface PathDiff {
    path: string;
    kind: "add" | "delete" | "update" | "add-replace" | "delete-replace" | "update-replace";
}

export interface DiffResult {
    changes: boolean;
    /** Top-level properties whose change forces a replacement. */
    replaces: string[];
    /** Top-level properties that changed. */
    diffs: string[];
    detailedDiff: PathDiff[];
    deleteBeforeReplace: boolean;
}

function hasValue(v: Wire | undefined): boolean {
    return v !== undefined && v !== null;
}

function pathDiffs(prefix: string, a: Wire | undefined, b: Wire | undefined, acc: PathDiff[]): void {
    if (Array.isArray(a) && Array.isArray(b)) {
        for (let i = 0; i < Math.max(a.length, b.length); i++) {
            const p = `${prefix}[${i}]`;
            if (i >= a.length) acc.push({ path: p, kind: "add" });
            else if (i >= b.length) acc.push({ path: p, kind: "delete" });
            else pathDiffs(p, a[i], b[i], acc);
        }
        return;
    }
    if (isObject(a) && isObject(b) && !isSecret(a) && !isSecret(b)) {
        for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
            const p = `${prefix}.${k}`;
            if (!hasValue(a[k]) && hasValue(b[k])) acc.push({ path: p, kind: "add" });
            else if (hasValue(a[k]) && !hasValue(b[k])) acc.push({ path: p, kind: "delete" });
            else if (hasValue(a[k]) && !deepEquals(a[k], b[k])) pathDiffs(p, a[k], b[k], acc);
        }
        return;
    }
    if (deepEquals(a, b)) return;
    acc.push({ path: prefix, kind: !hasValue(a) ? "add" : !hasValue(b) ? "delete" : "update" });
}

const REPLACE: Record<PathDiff["kind"], PathDiff["kind"]> = {
    add: "add-replace",
    delete: "delete-replace",
    update: "update-replace",
    "add-replace": "add-replace",
    "delete-replace": "delete-replace",
    "update-replace": "update-replace",
};

/**
 * Diff (infer/resource.go `derivedResourceController.Diff` and `diff`): the old inputs (the input
 * properties of the state, as infer fabricates them when the engine's old inputs are not used) against
 * the new inputs, key by key with PropertyValue.DeepEquals rules. A property declared
 * `replaceOnChanges` in the schema (only `triggers`, common/inputs.go) makes its own top-level change a
 * replacement; element changes (`triggers[0]`) are made replacements by the engine from the SDK's
 * `replaceOnChanges: ["triggers[*]"]` option (@pulumi/command remote/command.js), so together any
 * change of `triggers` replaces, and every other change is an update. deleteBeforeReplace is never set
 * by the provider (infer leaves it unset: "TODO: how should we set this?"): the program's option decides.
 */
export function diff(olds: WireMap, news: WireMap, inputKeys: readonly string[] = INPUT_KEYS): DiffResult {
    const detailed: PathDiff[] = [];
    const newInputs: WireMap = {};
    for (const [k, v] of Object.entries(news)) {
        if (k === "version" || k.startsWith("__")) continue;
        newInputs[k] = v;
    }
    for (const k of new Set<string>([...inputKeys, ...Object.keys(newInputs)])) {
        const a = inputKeys.includes(k) ? olds[k] : undefined;
        const b = newInputs[k];
        if (!hasValue(a) && !hasValue(b)) continue;
        if (!hasValue(a)) detailed.push({ path: k, kind: "add" });
        else if (!hasValue(b)) detailed.push({ path: k, kind: "delete" });
        else if (!deepEquals(a, b)) pathDiffs(k, a, b, detailed);
    }
    const marked = detailed.map((d) => {
        const top = d.path.split(/[.[]/)[0];
        // provider side: schema replaceOnChanges on the whole property; engine side: "triggers[*]"
        return top === "triggers" ? { ...d, kind: REPLACE[d.kind] } : d;
    });
    const tops = (ds: PathDiff[]): string[] => [...new Set(ds.map((d) => d.path.split(/[.[]/)[0]))].sort();
    return {
        changes: marked.length > 0,
        replaces: tops(marked.filter((d) => d.kind.endsWith("-replace"))),
        diffs: tops(marked),
        detailedDiff: marked,
        deleteBeforeReplace: false,
    };
}

/** What a run needs, from checked inputs (create/update) or from the state (delete). Secrets revealed. */
export interface RunSpec {
    connection: ConnectionSpec;
    environment: Array<[string, string]>;
    addPreviousOutputInEnv: boolean;
    /** stdout/stderr of the previous create/update (state), "" at create. */
    previousStdout: string;
    previousStderr: string;
    stdin?: string;
    logStdout: boolean;
    logStderr: boolean;
}

export interface ConnectionSpec {
    host: string;
    port: number;
    user: string;
    privateKey?: string;
    hostKey?: string;
    /** `agentSocketPath`: the agent socket; without it, SSH_AUTH_SOCK (agent.ts). */
    agentSocketPath?: string;
    dialErrorLimit: number;
    perDialTimeout: number;
}

function str(v: Wire | undefined): string | undefined {
    const x = reveal(v);
    return typeof x === "string" ? x : undefined;
}

/** `Logging.ShouldLogStdout` / `ShouldLogStderr` (remote/logging.go): unset logs both. */
export function loggingFlags(logging: string | undefined): { stdout: boolean; stderr: boolean } {
    return {
        stdout: logging === undefined || logging === "stdout" || logging === "stdoutAndStderr",
        stderr: logging === undefined || logging === "stderr" || logging === "stdoutAndStderr",
    };
}

/** The connection of a props map (checked inputs or state), defaults as `getDialErrorLimit` and Check fill them. */
export function connectionOf(props: WireMap): ConnectionSpec {
    const c = reveal(props.connection);
    if (!isObject(c) || typeof c.host !== "string") throw new Error("connection.host is not set");
    const num = (v: Wire | undefined, d: number): number => (typeof v === "number" ? v : d);
    return {
        host: c.host,
        port: Math.trunc(num(c.port, 22)),
        user: typeof c.user === "string" ? c.user : "root",
        privateKey: typeof c.privateKey === "string" ? c.privateKey : undefined,
        hostKey: typeof c.hostKey === "string" ? c.hostKey : undefined,
        agentSocketPath: typeof c.agentSocketPath === "string" ? c.agentSocketPath : undefined,
        dialErrorLimit: num(c.dialErrorLimit, 10),
        perDialTimeout: num(c.perDialTimeout, 15),
    };
}

/** Everything a run reads from the props (remote/commandOutputs.go `run`). */
export function runSpecOf(props: WireMap, previous: { stdout: string; stderr: string }): RunSpec {
    const env = reveal(props.environment);
    const environment: Array<[string, string]> = isObject(env)
        ? Object.entries(env).flatMap(([k, v]) => (typeof v === "string" ? [[k, v] as [string, string]] : []))
        : [];
    const addPrev = reveal(props.addPreviousOutputInEnv);
    const flags = loggingFlags(str(props.logging));
    return {
        connection: connectionOf(props),
        environment,
        addPreviousOutputInEnv: addPrev === undefined || addPrev === null || addPrev === true,
        previousStdout: previous.stdout,
        previousStderr: previous.stderr,
        stdin: str(props.stdin),
        logStdout: flags.stdout,
        logStderr: flags.stderr,
    };
}

export const PULUMI_COMMAND_STDOUT = "PULUMI_COMMAND_STDOUT";
export const PULUMI_COMMAND_STDERR = "PULUMI_COMMAND_STDERR";

/** One variable a run sends, and what a refusal by sshd means (remote/commandOutputs.go `run`). */
export interface EnvRequest {
    name: string;
    value: string;
    /** "error": the run fails; "warning": logged, the run goes on. */
    onRefusal: "error" | "warning";
}

/**
 * The variables a run sends, in upstream's order: `environment` (a refusal fails the run), then, when
 * addPreviousOutputInEnv is unset or true, PULUMI_COMMAND_STDOUT / _STDERR of the previous run when
 * not empty (a refusal is a warning).
 */
export function envRequests(spec: RunSpec): EnvRequest[] {
    const out: EnvRequest[] = spec.environment.map(([name, value]) => ({ name, value, onRefusal: "error" as const }));
    if (spec.addPreviousOutputInEnv) {
        if (spec.previousStdout !== "") out.push({ name: PULUMI_COMMAND_STDOUT, value: spec.previousStdout, onRefusal: "warning" });
        if (spec.previousStderr !== "") out.push({ name: PULUMI_COMMAND_STDERR, value: spec.previousStderr, onRefusal: "warning" });
    }
    return out;
}

/** The log message of a refused variable (remote/commandOutputs.go `logAndWrapSetenvErr`), verbatim. */
export function setenvRefusedMessage(name: string): string {
    return (
        `Unable to set '${name}'. This only works if your SSH server is configured to accept\n` +
        `\tthese variables via AcceptEnv. Alternatively, if a Bash-like shell runs the command on the remote host, you could\n` +
        `\tprefix the command itself with the variables in the form 'VAR=value command'`
    );
}

/** The error of a refused `environment` variable (`logAndWrapSetenvErr` wrapping x/crypto's "ssh: setenv failed"). */
export function setenvRefusedError(name: string): string {
    return `could not set environment variable ${goQuote(name)}: ssh: setenv failed`;
}

/** x/crypto/ssh `Waitmsg.String()` of a remote exit. */
export function exitText(status: number, signal?: string): string {
    return `Process exited with status ${status}${signal ? ` from signal ${signal}` : ""}`;
}

/**
 * The error of a failed command (remote/commandOutputs.go `run`: `fmt.Errorf("%w: running %q:\n%s",
 * err, cmd, stdouterrbuf)`): the exit, the command quoted as Go's %q, then stdout and stderr as they
 * were interleaved.
 */
export function runErrorText(exit: string, cmd: string, stdoutAndStderr: string): string {
    return `${exit}: running ${goQuote(cmd)}:\n${stdoutAndStderr}`;
}

/** Outputs keep the command's output without one trailing newline (`strings.TrimSuffix(..., "\n")`). */
export function trimOutput(s: string): string {
    return s.endsWith("\n") ? s.slice(0, -1) : s;
}

/**
 * The outputs (remote/commandController.go Create/Update; CommandOutputs = CommandInputs + stdout/stderr):
 * the inputs as checked (secret wrappers kept, so `connection` stays a secret in the state) plus stdout
 * and stderr, which are not secret (infer's default secret flow goes only by name).
 */
export function outputsOf(inputs: WireMap, out: { stdout: string; stderr: string }): WireMap {
    const o: WireMap = {};
    for (const [k, v] of Object.entries(inputs)) {
        if (k === "stdout" || k === "stderr" || v === null) continue;
        o[k] = v;
    }
    o.stdout = out.stdout;
    o.stderr = out.stderr;
    return o;
}

/** stdout/stderr recorded in a state (strings; anything else counts as ""). */
export function previousOutputs(state: WireMap): { stdout: string; stderr: string } {
    const s = reveal(state.stdout);
    const e = reveal(state.stderr);
    return { stdout: typeof s === "string" ? s : "", stderr: typeof e === "string" ? e : "" };
}

/** Which command a step runs: create at create; update, else create, at update; delete at delete. None: nothing runs. */
export function commandFor(step: "create" | "update" | "delete", props: WireMap): string | undefined {
    const pick = (k: string): string | undefined => str(props[k]);
    if (step === "update") return pick("update") ?? pick("create");
    return pick(step);
}

/** Inputs with unknowns cannot run (they never reach create/update: the engine does not call them in preview). */
export function hasUnknowns(props: WireMap): boolean {
    return containsUnknown(props);
}

/**
 * Dial retries (remote/connection.go `dialWithRetry`, `reachedDialingErrorLimit`; retry.Until of the
 * pulumi SDK): after failed dial number `dials` (1-based), stop when limit > -1 and dials > limit (so a
 * limit of N makes N+1 attempts); otherwise wait 100 ms x 1.5^(dials-1), at most 5 s, and dial again.
 */
export function dialPolicy(dials: number, limit: number): { stop: true; error: (e: string) => string } | { stop: false; delayMs: number; status: string } {
    if (limit > -1 && dials > limit) {
        return { stop: true, error: (e) => `after ${dials - 1} failed attempts: ${e}` };
    }
    const delayMs = Math.min(100 * Math.pow(1.5, dials - 1), 5000);
    return { stop: false, delayMs, status: `Dial ${dials}/${limit === -1 ? "inf" : String(limit)} failed: retrying` };
}

/** `net.JoinHostPort(host, port)`. */
export function joinHostPort(host: string, port: number): string {
    return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Resource ID (remote/commandController.go Create: `resource.NewUniqueHex(name, 8, 0)`): the name and 8 hex digits. */
export function newId(name: string, randomHex: string): string {
    return `${name}${randomHex.slice(0, 8)}`;
}

/** The resource name of a URN (`urn:pulumi:stack::project::type::name`). */
export function urnName(urn: string): string {
    const i = urn.lastIndexOf("::");
    return i < 0 ? urn : urn.slice(i + 2);
}

/** For messages about failures (never includes values). */
export function describeFailures(fs: CheckFailure[]): string {
    return fs.map((f) => `${f.property}: ${f.reason}`).join("; ");
}

export { reveal };

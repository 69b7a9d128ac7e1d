/**
 * `command:local:Command` of pulumi-command v1.2.1, as far as this repository uses it (the registry's
 * CA written where Pulumi runs): local/command.go CommandInputs, local/commandController.go
 * Create/Update/Delete, local/commandOutputs.go `run`. The rules shared with remote.Command (Diff:
 * only `triggers` replace; Update runs `update`, else `create`; outputs are the inputs plus stdout and
 * stderr without one trailing newline) come from rules.ts.
 */
import { spawn } from "child_process";
import { CheckFailure, PULUMI_COMMAND_STDERR, PULUMI_COMMAND_STDOUT, loggingFlags, runErrorText, trimOutput } from "./rules";
import { Wire, WireMap, isObject, isUnknown, reveal, unwrapSecret } from "./values";
import { OutputLog, longLineError, longLineWarning } from "./logOutput";

export const LOCAL_TYPE_TOKEN = "command:local:Command";

/** Input properties of local.Command (local/command.go CommandInputs + BaseInputs + common ResourceInputs). */
export const LOCAL_INPUT_KEYS = [
    "triggers", "create", "update", "delete", "stdin", "logging", "interpreter", "dir", "environment", "assetPaths", "archivePaths", "addPreviousOutputInEnv",
] as const;

/** Fields v1.2.1 has that this stand-in refuses at Check, rather than ignore. */
const LOCAL_UNSUPPORTED = ["assetPaths", "archivePaths"];

function typeFailure(path: string, v: Wire | undefined, want: "string" | "boolean" | "array" | "object"): CheckFailure | undefined {
    const x = unwrapSecret(v);
    if (x === undefined || x === null || isUnknown(x)) return undefined;
    const ok = want === "string" ? typeof x === "string" : want === "boolean" ? typeof x === "boolean" : want === "array" ? Array.isArray(x) : isObject(x);
    return ok ? undefined : { property: path, reason: `expected a ${want}, got ${JSON.stringify(x)}` };
}

/** Check (infer's decode into CommandInputs): types as declared; nothing is required. */
export function checkLocal(news: WireMap): { inputs: WireMap; failures: CheckFailure[] } {
    const failures: CheckFailure[] = [];
    const push = (f: CheckFailure | undefined): void => {
        if (f !== undefined) failures.push(f);
    };
    for (const k of ["create", "update", "delete", "stdin", "logging", "dir"]) push(typeFailure(k, news[k], "string"));
    for (const k of ["triggers", "interpreter"]) push(typeFailure(k, news[k], "array"));
    push(typeFailure("environment", news.environment, "object"));
    push(typeFailure("addPreviousOutputInEnv", news.addPreviousOutputInEnv, "boolean"));
    for (const k of LOCAL_UNSUPPORTED) {
        if (news[k] !== undefined && news[k] !== null) {
            failures.push({ property: k, reason: "pulumi-command v1.2.1 supports it, but this stand-in does not" });
        }
    }
    const inputs: WireMap = {};
    for (const [k, v] of Object.entries(news)) {
        if (v !== null) inputs[k] = v;
    }
    return { inputs, failures };
}

/** What a local run needs, from checked inputs (create/update) or from the state (delete). */
export interface LocalRunSpec {
    /** `interpreter`, else `/bin/sh -c` (local/commandOutputs.go `run`). */
    interpreter: string[];
    /** `dir`, else the provider's working directory (the engine's). */
    dir?: string;
    environment: Array<[string, string]>;
    addPreviousOutputInEnv: boolean;
    previousStdout: string;
    previousStderr: string;
    stdin?: string;
    logStdout: boolean;
    logStderr: boolean;
}

export function localRunSpecOf(props: WireMap, previous: { stdout: string; stderr: string }): LocalRunSpec {
    const s = (v: Wire | undefined): string | undefined => {
        const x = reveal(v);
        return typeof x === "string" ? x : undefined;
    };
    const interp = reveal(props.interpreter);
    const env = reveal(props.environment);
    const addPrev = reveal(props.addPreviousOutputInEnv);
    const flags = loggingFlags(s(props.logging));
    return {
        interpreter: Array.isArray(interp) && interp.length > 0 ? interp.map(String) : ["/bin/sh", "-c"],
        dir: s(props.dir),
        environment: isObject(env) ? Object.entries(env).flatMap(([k, v]) => (typeof v === "string" ? [[k, v] as [string, string]] : [])) : [],
        addPreviousOutputInEnv: addPrev === undefined || addPrev === null || addPrev === true,
        previousStdout: previous.stdout,
        previousStderr: previous.stderr,
        stdin: s(props.stdin),
        logStdout: flags.stdout,
        logStderr: flags.stderr,
    };
}

/** The process environment of a run: the provider's, then `environment`, then the previous output (`run`). Pure. */
export function localEnv(base: NodeJS.ProcessEnv, spec: LocalRunSpec): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...base };
    for (const [k, v] of spec.environment) env[k] = v;
    if (spec.addPreviousOutputInEnv) {
        if (spec.previousStdout !== "") env[PULUMI_COMMAND_STDOUT] = spec.previousStdout;
        if (spec.previousStderr !== "") env[PULUMI_COMMAND_STDERR] = spec.previousStderr;
    }
    return env;
}

/**
 * Runs `cmd` as local/commandOutputs.go `run`: `<interpreter...> <cmd>` in `dir`, stdin when not
 * empty, the logged lines read as LogOutput reads them (one pipe for the logged streams, a 64 KiB
 * line limit: logOutput.ts; where upstream would hang the run fails); a failure is `exit status N:
 * running "<cmd>":\n<output>` (Go's exec.ExitError, then upstream's wrapping); outputs without one
 * trailing newline. `onWarning` gets the note when the output ended with an over-long line.
 */
export function runLocal(
    cmd: string,
    spec: LocalRunSpec,
    onLine: (line: string) => void,
    signal: AbortSignal,
    onWarning: (text: string) => void = () => undefined,
    onDone: (o: { stdout: string; stderr: string; longestLogged: number; failed: boolean }) => void = () => undefined,
): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const hang = new AbortController();
        const onOuterAbort = (): void => hang.abort();
        signal.addEventListener("abort", onOuterAbort, { once: true });
        const child = spawn(spec.interpreter[0], [...spec.interpreter.slice(1), cmd], {
            cwd: spec.dir ?? process.cwd(),
            env: localEnv(process.env, spec),
            stdio: ["pipe", "pipe", "pipe"],
            signal: hang.signal,
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const both: Buffer[] = [];
        const log = new OutputLog(onLine);
        const take = (b: Buffer, into: Buffer[], logged: boolean): void => {
            into.push(b);
            both.push(b);
            if (logged && log.push(b) === "hang") hang.abort();
        };
        child.stdout.on("data", (b: Buffer) => take(b, out, spec.logStdout));
        child.stderr.on("data", (b: Buffer) => take(b, err, spec.logStderr));
        child.on("error", (e) => {
            if (hang.signal.aborted && !signal.aborted && log.stopped) return; // reported at close
            signal.removeEventListener("abort", onOuterAbort);
            reject(new Error(`${e.message}: running ${JSON.stringify(cmd)}`));
        });
        child.on("close", (code, sig) => {
            signal.removeEventListener("abort", onOuterAbort);
            const text = (b: Buffer[]): string => Buffer.concat(b).toString("utf8");
            if (hang.signal.aborted && !signal.aborted && log.stopped) {
                onDone({ stdout: text(out), stderr: text(err), longestLogged: log.longest, failed: true });
                reject(new Error(longLineError(cmd, log.stoppedAt)));
                return;
            }
            log.end();
            onDone({ stdout: text(out), stderr: text(err), longestLogged: log.longest, failed: code !== 0 });
            if (log.stopped) onWarning(longLineWarning(log.stoppedAt));
            if (code === 0) resolve({ stdout: trimOutput(text(out)), stderr: trimOutput(text(err)) });
            else reject(new Error(runErrorText(code !== null ? `exit status ${code}` : `signal: ${sig}`, cmd, text(both))));
        });
        child.stdin.on("error", () => undefined);
        if (spec.stdin !== undefined && spec.stdin.length > 0) child.stdin.end(spec.stdin);
        else child.stdin.end();
    });
}

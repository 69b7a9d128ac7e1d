/**
 * `command:remote:Command` (@pulumi/command 1.x) as the lab driver performs it: inputs -> a checked
 * spec (every input it cannot honour is an error naming the property), and what decides whether a
 * command runs again. Pure.
 */
import { InputError, InputReader, hashOf, unsupportedProperties } from "./inputs";

export interface ConnectionSpec {
    host: string;
    port: number;
    user: string;
    /** Key text; never stored or logged. */
    privateKey?: string;
    hostKey?: string;
    dialErrorLimit?: number;
    perDialTimeout?: number;
}

export interface CommandSpec {
    connection: ConnectionSpec;
    create?: string;
    update?: string;
    delete?: string;
    environment: Record<string, string>;
    stdin?: string;
    triggers?: unknown[];
    logging: "stdout" | "stderr" | "stdoutAndStderr" | "none";
}

const CONNECTION_PROPS = ["host", "port", "user", "privateKey", "hostKey", "dialErrorLimit", "perDialTimeout"];
const COMMAND_PROPS = ["connection", "create", "update", "delete", "environment", "stdin", "triggers", "logging", "addPreviousOutputInEnv"];

/** Parses the (secret-unwrapped) inputs of a `remote.Command`. */
export function parseCommand(inputs: Record<string, unknown>): CommandSpec {
    const bad = unsupportedProperties(inputs, COMMAND_PROPS);
    if (bad.length > 0) throw new InputError(`${bad.join(", ")}: not supported by the lab driver for remote.Command`);
    const r = new InputReader(inputs);
    const conn = r.object("connection");
    if (conn === undefined) throw new InputError("connection is not set; the lab driver needs the host to connect to");
    const badC = unsupportedProperties(conn, CONNECTION_PROPS, "connection.");
    if (badC.length > 0) {
        throw new InputError(`${badC.join(", ")}: not supported by the lab driver (it connects directly, with a private key, in batch mode)`);
    }
    const cr = new InputReader(conn, "connection.");
    const environment = r.stringMap("environment") ?? {};
    for (const [k, v] of Object.entries(environment)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new InputError(`environment.${k}: not a variable name`);
        if (/["\\\n\r]/.test(v)) {
            throw new InputError(`environment.${k}: the lab driver passes variables with ssh SetEnv, which cannot carry quotes, backslashes or newlines`);
        }
    }
    const logging = r.string("logging") ?? "stdoutAndStderr";
    if (!["stdout", "stderr", "stdoutAndStderr", "none"].includes(logging)) {
        throw new InputError(`logging ${JSON.stringify(logging)} is not one of stdout, stderr, stdoutAndStderr, none`);
    }
    const triggers = inputs.triggers;
    if (triggers !== undefined && triggers !== null && !Array.isArray(triggers)) throw new InputError("triggers must be a list");
    return {
        connection: {
            host: cr.requiredString("host", "name the host to connect to"),
            port: cr.number("port") ?? 22,
            user: cr.string("user") ?? "root",
            privateKey: cr.string("privateKey"),
            hostKey: cr.string("hostKey"),
            dialErrorLimit: cr.number("dialErrorLimit"),
            perDialTimeout: cr.number("perDialTimeout"),
        },
        create: r.string("create"),
        update: r.string("update"),
        delete: r.string("delete"),
        environment,
        stdin: r.string("stdin"),
        triggers: (triggers as unknown[] | null | undefined) ?? undefined,
        logging: logging as CommandSpec["logging"],
    };
}

/**
 * Hash of every input whose change makes the real provider run the command again (an update runs
 * `update`, or `create` when there is no `update`). The key is hashed with the rest: a new key is a
 * changed connection, as for the real provider.
 */
export function commandInputsHash(c: CommandSpec): string {
    return hashOf({
        connection: c.connection,
        create: c.create ?? null,
        update: c.update ?? null,
        delete: c.delete ?? null,
        environment: c.environment,
        stdin: c.stdin ?? null,
        triggers: c.triggers ?? null,
    });
}

/** Hash of `triggers`, the only input of remote.Command that forces a replacement. */
export function commandTriggersHash(c: CommandSpec): string {
    return hashOf(c.triggers ?? null);
}

/** ssh options that send `environment` (SetEnv: delivered only when sshd AcceptEnv allows, as with the real provider). */
export function environmentSshOpts(env: Record<string, string>): string[] {
    return Object.entries(env)
        .sort(([a], [b]) => a.localeCompare(b))
        .flatMap(([k, v]) => ["-o", /[\s]/.test(v) || v === "" ? `SetEnv=${k}="${v}"` : `SetEnv=${k}=${v}`]);
}

/** What the real provider returns: the output without its one trailing newline. */
export function trimOutput(s: string): string {
    return s.endsWith("\n") ? s.slice(0, -1) : s;
}

/** Lines of a command's stdout that report an emulated step (`EMULATED: ...`). */
export function emulatedLines(stdout: string): string[] {
    return stdout
        .split("\n")
        .map((l) => l.trimEnd())
        .filter((l) => l.startsWith("EMULATED:"));
}

/**
 * The command provider stand-in on the Node SDK's provider API (`@pulumi/pulumi/provider`): Check,
 * Diff, Create, Update, Delete of `command:remote:Command` with pulumi-command v1.2.1's rules
 * (rules.ts) over the system ssh client (ssh.ts). Read is the SDK's default (the state as it is), as
 * infer's default Read returns it.
 */
import * as crypto from "crypto";
import * as provider from "@pulumi/pulumi/provider";
import { Logger } from "./engineLog";
import {
    RunSpec,
    STAND_IN_NOTICE,
    TYPE_TOKEN,
    VERSION,
    check,
    commandFor,
    dialPolicy,
    diff,
    envRequests,
    exitText,
    newId,
    outputsOf,
    previousOutputs,
    runErrorText,
    runSpecOf,
    setenvRefusedError,
    setenvRefusedMessage,
    trimOutput,
    urnName,
} from "./rules";
import { Cancelled, ParsedHostKey, SshConnection, acceptedNames, killAll, parseHostKey, sendableName } from "./ssh";
import { agentSocketOf, dialAgent } from "./agent";
import { OutputLog, longLineError, longLineWarning, recordOutput } from "./logOutput";
import { WireMap, isObject } from "./values";
import { LOCAL_INPUT_KEYS, LOCAL_TYPE_TOKEN, checkLocal, localRunSpecOf, runLocal } from "./local";

/** What one run printed. */
export interface RunOutput {
    stdout: string;
    stderr: string;
}

/** Runs `cmd` for a resource as pulumi-command's `CommandOutputs.run` does; throws its error texts. */
export type Runner = (urn: string, cmd: string, spec: RunSpec, signal: AbortSignal) => Promise<RunOutput>;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
        if (signal.aborted) {
            reject(new Cancelled("cancelled"));
            return;
        }
        const t = setTimeout(() => {
            signal.removeEventListener("abort", onAbort);
            resolve();
        }, ms);
        const onAbort = (): void => {
            clearTimeout(t);
            reject(new Cancelled("cancelled"));
        };
        signal.addEventListener("abort", onAbort, { once: true });
    });
}

/** Which variable names sshd accepted, per user@host:port (sshd's AcceptEnv does not change during a run). */
const acceptCache = new Map<string, Map<string, boolean>>();

/**
 * The ssh runner: the agent dialled first when there is one (agent.ts), the host dialled with
 * upstream's retries, the variables as upstream sets them, one session, the logged output read as
 * upstream's LogOutput reads it (logOutput.ts: where upstream would hang, the run fails).
 * `env`: the provider's environment (SSH_AUTH_SOCK). Defaults to process.env.
 */
export function sshRunner(logger: Logger, env: NodeJS.ProcessEnv = process.env): Runner {
    return async (urn, cmd, spec, signal) => {
        let hostKey: ParsedHostKey | undefined;
        if (spec.connection.hostKey !== undefined) {
            const parsed = parseHostKey(spec.connection.hostKey);
            if ("error" in parsed) throw new Error(parsed.error);
            hostKey = parsed;
        }
        const agent = agentSocketOf(spec.connection.agentSocketPath, env);
        if (agent !== undefined) {
            const agentError = await dialAgent(agent);
            if (agentError !== undefined) throw new Error(agentError);
        }
        const conn = SshConnection.prepare(spec.connection, hostKey);
        try {
            for (let dials = 1; ; dials++) {
                const err = await conn.dialOnce(hostKey, signal, agent);
                if (err === undefined) break;
                const p = dialPolicy(dials, spec.connection.dialErrorLimit);
                if (p.stop) throw new Error(p.error(err));
                await logger.log("info", p.status, urn, true);
                await sleep(p.delayMs, signal);
            }

            const requests = envRequests(spec);
            const send: Record<string, string> = {};
            if (requests.length > 0) {
                const key = `${spec.connection.user}@${spec.connection.host}:${spec.connection.port}`;
                const known = acceptCache.get(key) ?? new Map<string, boolean>();
                acceptCache.set(key, known);
                const toProbe = [...new Set(requests.map((r) => r.name))].filter((n) => sendableName(n) && !known.has(n));
                if (toProbe.length > 0) {
                    const probe = await conn.session("env", { env: Object.fromEntries(toProbe.map((n) => [n, "1"])), signal });
                    const accepted = acceptedNames(probe.stdout, toProbe);
                    for (const n of toProbe) known.set(n, accepted.has(n));
                }
                for (const r of requests) {
                    if (known.get(r.name) === true) {
                        send[r.name] = r.value;
                    } else if (r.onRefusal === "error") {
                        await logger.log("error", setenvRefusedMessage(r.name), urn, false);
                        throw new Error(setenvRefusedError(r.name));
                    } else {
                        await logger.log("warning", setenvRefusedMessage(r.name), urn, false);
                    }
                }
            }

            const pending: Array<Promise<void>> = [];
            const log = new OutputLog((line) => pending.push(logger.log("info", line, urn, true)));
            const hang = new AbortController();
            const onOuterAbort = (): void => hang.abort();
            signal.addEventListener("abort", onOuterAbort, { once: true });
            let r;
            try {
                r = await conn.session(cmd, {
                    env: send,
                    stdin: spec.stdin !== undefined && spec.stdin.length > 0 ? spec.stdin : undefined,
                    onChunk: (stream, chunk) => {
                        const logged = stream === "stdout" ? spec.logStdout : spec.logStderr;
                        if (logged && log.push(chunk) === "hang") hang.abort();
                    },
                    signal: hang.signal,
                });
            } catch (e) {
                if (e instanceof Cancelled && !signal.aborted && log.stopped) {
                    recordOutput(env, { urn, kind: "remote", stdout: "", stderr: "", longestLogged: log.longest, failed: true });
                    await Promise.all(pending);
                    const text = longLineError(cmd, log.stoppedAt);
                    await logger.log("error", text, urn, false);
                    throw new Error(text);
                }
                throw e;
            } finally {
                signal.removeEventListener("abort", onOuterAbort);
            }
            log.end();
            recordOutput(env, { urn, kind: "remote", stdout: r.stdout, stderr: r.stderr, longestLogged: log.longest, failed: r.code !== 0 });
            await Promise.all(pending);
            if (log.stopped) await logger.log("warning", longLineWarning(log.stoppedAt), urn, false);
            if (r.code !== 0) throw new Error(runErrorText(exitText(r.code), cmd, r.combined));
            return { stdout: trimOutput(r.stdout), stderr: trimOutput(r.stderr) };
        } finally {
            conn.closeSync();
        }
    };
}

export interface ProviderDeps {
    logger: Logger;
    /** Defaults to the ssh runner. */
    run?: Runner;
    /** 4 random bytes as hex (the ID suffix). */
    randomHex?: () => string;
}

function asMap(v: unknown): WireMap {
    return isObject(v as WireMap) ? (v as WireMap) : {};
}

/** Which of the served types `urn` is: remote (ssh) or local (command:local:Command). */
function checkType(urn: string): "remote" | "local" {
    const type = urn.split("::")[2]?.split("$").pop();
    if (type === TYPE_TOKEN) return "remote";
    if (type === LOCAL_TYPE_TOKEN) return "local";
    throw new Error(`unknown resource type ${type ?? urn}: this stand-in serves only ${TYPE_TOKEN} and ${LOCAL_TYPE_TOKEN}`);
}

/** The provider object handed to the SDK's `main`. */
export function makeProvider(deps: ProviderDeps): provider.Provider {
    const run = deps.run ?? sshRunner(deps.logger);
    const randomHex = deps.randomHex ?? ((): string => crypto.randomBytes(4).toString("hex"));
    let controller = new AbortController();
    let noticed = false;
    const notice = async (): Promise<void> => {
        if (noticed) return;
        noticed = true;
        await deps.logger.log("info", STAND_IN_NOTICE, "", false);
    };

    /** A local.Command run, its lines logged as the remote runner logs them (status lines). */
    const runLocalFor = async (urn: string, cmd: string, props: WireMap, prev: { stdout: string; stderr: string }) => {
        const pending: Array<Promise<void>> = [];
        try {
            return await runLocal(
                cmd,
                localRunSpecOf(props, prev),
                (line) => pending.push(deps.logger.log("info", line, urn, true)),
                controller.signal,
                (warning) => pending.push(deps.logger.log("warning", warning, urn, false)),
                (o) => recordOutput(process.env, { urn, kind: "local", ...o }),
            );
        } catch (e) {
            if ((e as Error).message.startsWith("STAND-IN")) pending.push(deps.logger.log("error", (e as Error).message, urn, false));
            throw e;
        } finally {
            await Promise.all(pending);
        }
    };

    return {
        version: VERSION,

        async check(urn, _olds, news) {
            const kind = checkType(urn);
            await notice();
            return kind === "local" ? checkLocal(asMap(news)) : check(asMap(news));
        },

        async diff(_id, urn, olds, news) {
            const kind = checkType(urn);
            await notice();
            const d = diff(asMap(olds), asMap(news), kind === "local" ? LOCAL_INPUT_KEYS : undefined);
            return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: d.deleteBeforeReplace };
        },

        async create(urn, inputs) {
            const kind = checkType(urn);
            await notice();
            const props = asMap(inputs);
            const id = newId(urnName(urn), randomHex());
            const cmd = commandFor("create", props);
            if (cmd === undefined) return { id, outs: outputsOf(props, { stdout: "", stderr: "" }) };
            const none = { stdout: "", stderr: "" };
            const out = kind === "local" ? await runLocalFor(urn, cmd, props, none) : await run(urn, cmd, runSpecOf(props, none), controller.signal);
            return { id, outs: outputsOf(props, out) };
        },

        async update(_id, urn, olds, news) {
            const kind = checkType(urn);
            await notice();
            const props = asMap(news);
            const prev = previousOutputs(asMap(olds));
            const cmd = commandFor("update", props);
            if (cmd === undefined) return { outs: outputsOf(props, prev) };
            const out = kind === "local" ? await runLocalFor(urn, cmd, props, prev) : await run(urn, cmd, runSpecOf(props, prev), controller.signal);
            return { outs: outputsOf(props, out) };
        },

        async delete(_id, urn, props) {
            const kind = checkType(urn);
            await notice();
            const state = asMap(props);
            const cmd = commandFor("delete", state);
            if (cmd === undefined) return;
            if (kind === "local") await runLocalFor(urn, cmd, state, previousOutputs(state));
            else await run(urn, cmd, runSpecOf(state, previousOutputs(state)), controller.signal);
        },

        async cancel() {
            controller.abort();
            killAll();
            controller = new AbortController();
        },
    };
}

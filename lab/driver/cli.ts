/**
 * The lab driver's command line: a stand-in for `pulumi up` / `pulumi destroy`, for the local lab
 * and tests only. Each apply runs in its own process (the Pulumi runtime is process-global).
 *
 *   ts-node lab/driver/cli.ts apply --program index.ts --stack multi-vlan --config-file cfg.json \
 *       --state state.json [--ssh-counts counts.json] [--known-hosts file] [--key keyfile] [--verbose]
 *   ts-node lab/driver/cli.ts destroy --state state.json --key keyfile [--ssh-counts counts.json]
 *
 * cfg.json: { "config": { "macvlan-lab:hosts": "<json text>", ... }, "secretKeys": [...],
 *             "hostNames": { "192.168.1.11": "docker01" } (optional) }
 *
 * Exit status: 0 done, 1 a resource (or the program) failed, 2 wrong usage, 130 interrupted.
 */
import * as fs from "fs";
import { BANNER, DriverError, applyProgram, destroyFromState, errorText } from "./engine";

export const USAGE = `usage:
  cli.ts apply --program <index.ts> --stack <stack> --config-file <cfg.json> --state <state.json>
               [--ssh-counts <file>] [--known-hosts <file>] [--key <keyfile>] [--command-timeout <s>] [--verbose]
  cli.ts destroy --state <state.json> --key <keyfile> [--ssh-counts <file>] [--known-hosts <file>]
${BANNER}`;

const VALUE_FLAGS = ["--program", "--stack", "--config-file", "--state", "--ssh-counts", "--known-hosts", "--key", "--command-timeout", "--project"];
const BOOL_FLAGS = ["--verbose"];

/** argv (after the script) -> command and flags; throws with a usage message. Pure. */
export function parseArgs(argv: string[]): { command: "apply" | "destroy"; flags: Record<string, string>; verbose: boolean } {
    const [command, ...rest] = argv;
    if (command !== "apply" && command !== "destroy") throw new UsageError(`unknown command ${JSON.stringify(command ?? "")}`);
    const flags: Record<string, string> = {};
    let verbose = false;
    for (let i = 0; i < rest.length; i++) {
        const a = rest[i];
        if (BOOL_FLAGS.includes(a)) {
            verbose = true;
        } else if (VALUE_FLAGS.includes(a)) {
            const v = rest[++i];
            if (v === undefined) throw new UsageError(`${a} needs a value`);
            flags[a] = v;
        } else {
            throw new UsageError(`unknown argument ${JSON.stringify(a)}`);
        }
    }
    const need = command === "apply" ? ["--program", "--stack", "--config-file", "--state"] : ["--state", "--key"];
    const missing = need.filter((f) => flags[f] === undefined);
    if (missing.length > 0) throw new UsageError(`${command} needs ${missing.join(", ")}`);
    return { command, flags, verbose };
}

export class UsageError extends Error {}

/** The config file: `{ config: {key: text}, secretKeys: [...], hostNames?: {address: name} }`. */
export function readConfigFile(file: string): { config: Record<string, string>; secretKeys: string[]; hostNames: Record<string, string> } {
    const doc = JSON.parse(fs.readFileSync(file, "utf8")) as { config?: unknown; secretKeys?: unknown; hostNames?: unknown };
    const config = doc.config;
    if (typeof config !== "object" || config === null || Object.values(config).some((v) => typeof v !== "string")) {
        throw new UsageError(`${file}: config must map each key to text (structured values as JSON text)`);
    }
    const secretKeys = doc.secretKeys ?? [];
    if (!Array.isArray(secretKeys) || secretKeys.some((k) => typeof k !== "string")) throw new UsageError(`${file}: secretKeys must be a list of keys`);
    const hostNames = doc.hostNames ?? {};
    if (typeof hostNames !== "object" || hostNames === null) throw new UsageError(`${file}: hostNames must map addresses to names`);
    return { config: config as Record<string, string>, secretKeys: secretKeys as string[], hostNames: hostNames as Record<string, string> };
}

function printSessions(s: Record<string, number>): void {
    const parts = Object.entries(s).map(([h, n]) => `${h}=${n}`);
    process.stdout.write(`ssh sessions per host: ${parts.length > 0 ? parts.join(" ") : "none"}\n`);
}

async function main(argv: string[]): Promise<number> {
    let parsed: ReturnType<typeof parseArgs>;
    try {
        parsed = parseArgs(argv);
    } catch (e) {
        process.stderr.write(`${errorText(e)}\n${USAGE}\n`);
        return 2;
    }
    const { command, flags, verbose } = parsed;
    const log = (line: string): void => void process.stdout.write(`${line}\n`);
    const abort = new AbortController();
    let interrupted = false;
    const onSignal = (sig: NodeJS.Signals): void => {
        if (interrupted) process.exit(130);
        interrupted = true;
        process.stderr.write(`${sig}: stopping (running sessions are killed, the state is saved)\n`);
        abort.abort();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    const t0 = Date.now();
    try {
        if (command === "apply") {
            let cfg: ReturnType<typeof readConfigFile>;
            try {
                cfg = readConfigFile(flags["--config-file"]);
            } catch (e) {
                process.stderr.write(`${errorText(e)}\n`);
                return 2;
            }
            const r = await applyProgram({
                program: flags["--program"],
                project: flags["--project"] ?? "macvlan-lab",
                stack: flags["--stack"],
                config: cfg.config,
                secretKeys: cfg.secretKeys,
                hostNames: cfg.hostNames,
                stateFile: flags["--state"],
                sshCountsFile: flags["--ssh-counts"],
                knownHostsFile: flags["--known-hosts"],
                privateKeyPath: flags["--key"],
                commandTimeoutSeconds: flags["--command-timeout"] !== undefined ? Number(flags["--command-timeout"]) : undefined,
                verbose,
                log,
                signal: abort.signal,
            });
            process.stdout.write(`outputs:\n${r.outputsText}\n`);
            printSessions(r.sshSessions);
            log(`apply done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${r.steps.length} step(s), state in ${flags["--state"]}`);
        } else {
            const r = await destroyFromState({
                stateFile: flags["--state"],
                privateKeyPath: flags["--key"],
                knownHostsFile: flags["--known-hosts"],
                sshCountsFile: flags["--ssh-counts"],
                log,
                signal: abort.signal,
            });
            printSessions(r.sshSessions);
            log(`destroy done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        }
        return 0;
    } catch (e) {
        if (e instanceof DriverError) {
            printSessions(e.sshSessions);
            process.stderr.write(`${command} failed after ${((Date.now() - t0) / 1000).toFixed(1)} s:\n${e.failures.map((f) => `  ${f}`).join("\n")}\n`);
        } else {
            process.stderr.write(`${command} failed: ${errorText(e)}\n`);
        }
        return interrupted ? 130 : 1;
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`lab driver crashed: ${errorText(e)}\n`);
            process.exit(1);
        },
    );
}

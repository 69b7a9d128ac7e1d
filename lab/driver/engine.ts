/**
 * The lab driver: a stand-in for the Pulumi engine and its providers, FOR THE LOCAL LAB AND TESTS
 * ONLY (there is no Pulumi CLI on these machines). It runs a Pulumi program under the SDK's mocks
 * API and, in the mocks' `newResource`, performs each declared custom resource for real on the
 * lab's hosts: `remote.Command` scripts over SSH, Docker objects with the docker CLI on the host
 * over SSH. The SDK calls `newResource` only once a resource's dependencies (`dependsOn`, the
 * outputs it takes as inputs, its provider) have completed, so the program decides the order, as
 * with the real engine. Every performed resource is recorded in a state file, in completion order;
 * `destroyFromState` runs their deletes in reverse.
 *
 * The Pulumi runtime is process-global: `applyProgram` runs once per process (cli.ts runs each
 * apply in a fresh one). `destroyFromState` needs no runtime and may run any number of times.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { InputError, findUnknown, isWrappedSecret, redact, unwrapSecrets } from "./inputs";
import { CommandSpec, commandInputsHash, commandTriggersHash, emulatedLines, environmentSshOpts, parseCommand, trimOutput } from "./commandSpec";
import {
    DockerProviderSpec,
    parseContainer,
    parseDockerProvider,
    parseNetwork,
    parseRegistryImage,
    parseRemoteImage,
    parseTag,
    parseVolume,
} from "./dockerSpec";
import {
    Deleted,
    PartialError,
    PerformError,
    Performed,
    Remote,
    StepStatus,
    ensureContainer,
    ensureNetwork,
    ensureRemoteImage,
    ensureTag,
    ensureVolume,
    performDelete,
    pushImage,
    runScript,
} from "./performers";
import { SshAuth, SshError, SshLimits, SshRunner, SshTarget, boundedLimits, pinnedKnownHostsLine, sleep } from "./ssh";
import { STATE_NOTE, StateEntry, StateFile, StoredConnection, readState, writeState } from "./state";

/** Printed first by apply and destroy. */
export const BANNER =
    "lab driver: a stand-in for the Pulumi engine and providers, for the local lab and tests only (this is not `pulumi up`)";

export interface ApplyOptions {
    /** Path of the program (its index.ts). */
    program: string;
    project: string;
    stack: string;
    /** The stack's config as the engine passes it: `macvlan-lab:hosts` -> JSON text. */
    config: Record<string, string>;
    /** Config keys whose values are secrets. */
    secretKeys: string[];
    stateFile: string;
    log: (line: string) => void;
    /** Where to write `{ "<host>": <sessions> }`. */
    sshCountsFile?: string;
    /** address -> host name, for messages (`[docker01]` instead of `[192.168.1.11]`). */
    hostNames?: Record<string, string>;
    /** known_hosts of hosts whose key the program does not pin. Defaults to `<stateFile>.known_hosts`. */
    knownHostsFile?: string;
    /** Kill a remote command after this long. Defaults to 600 s. */
    commandTimeoutSeconds?: number;
    /** Give up on the whole apply after this long. Defaults to 1800 s. */
    timeoutSeconds?: number;
    /** Print every command's stdout/stderr (as the provider's logging would). Defaults to false. */
    verbose?: boolean;
    /** Aborts the apply (interrupt): running sessions are killed, the state is saved. */
    signal?: AbortSignal;
    /**
     * Key file for deleting what the program no longer declares (its connection's key is not in
     * the state). Defaults to the key of the last remote.Command this apply ran.
     */
    privateKeyPath?: string;
}

export type StepOutcome = StepStatus | "deleted" | "kept" | "failed";

export interface StepRecord {
    urn: string;
    type: string;
    name: string;
    host: string;
    status: StepOutcome;
    seconds: number;
    startedAt: number;
    finishedAt: number;
    error?: string;
    /** `EMULATED:` lines of a remote.Command's stdout. */
    emulated?: string[];
}

export interface ApplyResult {
    outputs: Record<string, unknown>;
    /** Names of the outputs that are secrets (printed masked). */
    secretOutputs: string[];
    /** The outputs as JSON for people: secret outputs masked, secret values inside others redacted. */
    outputsText: string;
    steps: StepRecord[];
    /** SSH sessions per host. */
    sshSessions: Record<string, number>;
}

/** A failed apply or destroy: every failure, one per line as `<host>: <resource>: <what>`. */
export class DriverError extends Error {
    constructor(
        public readonly failures: string[],
        public readonly steps: StepRecord[],
        public readonly sshSessions: Record<string, number>,
    ) {
        super(failures.join("\n"));
    }
}

/** `docker:index/network:Network` -> `docker.Network`; `command:remote:Command` -> `remote.Command`. */
export function shortType(type: string): string {
    const parts = type.split(":");
    if (parts[0] === "docker") return `docker.${parts[parts.length - 1]}`;
    if (parts[0] === "command") return `${parts[1]}.${parts[2]}`;
    return type;
}

function stepLine(s: StepRecord): string {
    return `[${s.host}] ${shortType(s.type)} ${s.name}: ${s.status} (${s.seconds.toFixed(1)}s)`;
}

/** How a host is called: its lab name when known, else `<address>` (with `:<port>` when not 22). */
export function hostLabel(host: string, port: number, names: Record<string, string> = {}): string {
    return names[host] ?? (port === 22 ? host : `${host}:${port}`);
}

const COMMAND = "command:remote:Command";
const DOCKER_PROVIDER = "pulumi:providers:docker";
const DOCKER_TYPES = [
    "docker:index/network:Network",
    "docker:index/volume:Volume",
    "docker:index/remoteImage:RemoteImage",
    "docker:index/tag:Tag",
    "docker:index/registryImage:RegistryImage",
    "docker:index/container:Container",
];
/** After a failure, steps still running get this long to finish before their sessions are killed. */
const FAILURE_GRACE_MS = 120_000;
/** Docker connections at apply: one attempt of ssh's own (the program's sshOpts may set ConnectionAttempts). */
const DOCKER_DIAL_TIMEOUT_S = 10;

/** The register request of the resource being registered, read from the mock monitor. */
interface RequestInfo {
    type: string;
    name: string;
    urn: string;
    parent: string;
    provider: string;
    dependencies: string[];
    deleteBeforeReplace: boolean;
}

let applied = false;

/**
 * Runs the program under the mocks API and performs every declared custom resource for real.
 * Resolves with the stack outputs and the steps; rejects with a DriverError naming each failure
 * (`<host>: <resource>: <what could not be done>`). Once per process.
 */
export async function applyProgram(opts: ApplyOptions): Promise<ApplyResult> {
    if (applied) {
        throw new Error("applyProgram runs once per process (the Pulumi runtime is process-global); run cli.ts apply in a fresh process");
    }
    applied = true;
    return new Apply(opts).run();
}

class Apply {
    private readonly ssh = new SshRunner();
    private readonly secrets = new Set<string>();
    private readonly steps: StepRecord[] = [];
    private readonly failures: string[] = [];
    private readonly prior: StateEntry[];
    /** Prior entries not (yet) taken over by this run: deleted at the end of a successful apply. */
    private readonly unmatched: StateEntry[];
    /** This run's entries, in completion order. */
    private readonly done: StateEntry[] = [];
    private readonly providers = new Map<string, DockerProviderSpec>();
    private readonly inFlight = new Set<Promise<unknown>>();
    private readonly knownHostsFile: string;
    private failedAt?: number;
    private failSignal!: () => void;
    private readonly failed = new Promise<void>((r) => (this.failSignal = r));
    private skipped = 0;
    private current?: RequestInfo;
    private lastKeyFile?: string;

    constructor(private readonly opts: ApplyOptions) {
        const state = readState(opts.stateFile);
        if (state !== undefined && (state.project !== opts.project || state.stack !== opts.stack)) {
            throw new Error(`${opts.stateFile} holds stack ${state.project}/${state.stack}, not ${opts.project}/${opts.stack}; use another state file`);
        }
        this.prior = state?.resources ?? [];
        this.unmatched = [...this.prior];
        this.knownHostsFile = opts.knownHostsFile ?? `${opts.stateFile}.known_hosts`;
        for (const k of opts.secretKeys) {
            const v = opts.config[k];
            if (v !== undefined) this.secrets.add(v);
        }
    }

    private log(line: string): void {
        this.opts.log(redact(line, this.secrets));
    }

    private fail(message: string): void {
        this.failures.push(redact(message, this.secrets));
        if (this.failedAt === undefined) {
            this.failedAt = Date.now();
            this.failSignal();
        }
    }

    async run(): Promise<ApplyResult> {
        this.log(BANNER);
        this.log(`apply ${this.opts.project}/${this.opts.stack}: ${path.resolve(this.opts.program)}`);
        const onRejection = (e: unknown): void => this.onProgramError(e);
        process.on("unhandledRejection", onRejection);
        process.on("uncaughtException", onRejection);
        const onAbort = (): void => {
            this.fail("interrupted: the apply was stopped; running sessions were killed");
            this.ssh.close();
        };
        this.opts.signal?.addEventListener("abort", onAbort);
        const deadline = Date.now() + (this.opts.timeoutSeconds ?? 1800) * 1000;
        let outputs: Record<string, unknown> = {};
        const secretOutputs: string[] = [];
        try {
            await this.installMocks();
            let mod: Record<string, unknown> | undefined;
            try {
                mod = (await import(path.resolve(this.opts.program))) as Record<string, unknown>;
            } catch (e) {
                this.fail(`the program failed: ${errorText(e)}`);
            }
            if (mod !== undefined && this.failedAt === undefined) {
                const resolved = await this.untilFailedOr(this.resolveOutputs(mod, secretOutputs), deadline);
                if (resolved !== undefined) outputs = resolved;
                await this.untilFailedOr(this.settle(deadline), deadline);
                if (this.failedAt === undefined && Date.now() >= deadline) {
                    this.fail(`the apply did not finish within ${this.opts.timeoutSeconds ?? 1800} s`);
                }
            }
            if (this.failedAt === undefined && pulumi.log.hasErrors()) {
                this.fail("the program logged errors (see above)");
            }
            // Running steps finish (each is bounded by its own timeouts); nothing new starts. After a
            // failure they get FAILURE_GRACE_MS, then their sessions are killed.
            const grace = this.failedAt !== undefined ? FAILURE_GRACE_MS : Math.max(0, deadline - Date.now());
            await Promise.race([Promise.allSettled([...this.inFlight]), sleep(grace)]);
            if (this.inFlight.size > 0) {
                this.log(`stopping ${this.inFlight.size} running step(s): killing their SSH sessions`);
                this.ssh.close();
                await Promise.race([Promise.allSettled([...this.inFlight]), sleep(5000)]);
            }
            if (this.failedAt === undefined) {
                await this.deleteUnmatched();
            }
        } finally {
            this.opts.signal?.removeEventListener("abort", onAbort);
            this.saveState();
            this.ssh.close();
            this.writeCounts();
            // Late rejections of a failed program are expected; keep swallowing them until exit.
            process.removeListener("uncaughtException", onRejection);
            if (this.failedAt === undefined) process.removeListener("unhandledRejection", onRejection);
        }
        if (this.skipped > 0) {
            this.log(`${this.skipped} resource(s) not started because an earlier one failed`);
        }
        if (this.failures.length > 0) {
            throw new DriverError([...this.failures], this.steps, { ...this.ssh.sessions });
        }
        const shown = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, secretOutputs.includes(k) ? "[secret]" : v]));
        const outputsText = redact(JSON.stringify(shown, null, 2), this.secrets);
        return { outputs, secretOutputs, outputsText, steps: this.steps, sshSessions: { ...this.ssh.sessions } };
    }

    private onProgramError(e: unknown): void {
        const text = errorText(e);
        if (this.failedAt !== undefined) {
            return; // consequences of the failure already reported (dependents of a failed resource)
        }
        this.fail(`the program failed: ${text}`);
    }

    /** Resolves `p` unless the apply fails or the deadline passes first (then undefined). */
    private async untilFailedOr<T>(p: Promise<T>, deadline: number): Promise<T | undefined> {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), Math.max(0, deadline - Date.now()))));
        try {
            return await Promise.race([p, this.failed.then(() => undefined), timeout]);
        } finally {
            clearTimeout(timer);
        }
    }

    /** Every stack output, resolved (secrets unwrapped; their names listed in `secretNames`). */
    private async resolveOutputs(mod: Record<string, unknown>, secretNames: string[]): Promise<Record<string, unknown>> {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(mod)) {
            if (k === "__esModule" || typeof v === "function") continue;
            const o = pulumi.output(v as pulumi.Input<object>) as unknown as pulumi.Output<unknown>;
            out[k] = await new Promise((resolve) => o.apply((x) => (resolve(x), x)));
            if (await pulumi.isSecret(o)) secretNames.push(k);
        }
        return out;
    }

    /** Until no registration is pending and none starts for a moment (registrations inside applies come late). */
    private async settle(deadline: number): Promise<void> {
        const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
        const state = require("@pulumi/pulumi/runtime/state") as { getStore(): { settings: { rpcDone: Promise<void> } } };
        let quiet = 0;
        while (quiet < 3 && Date.now() < deadline) {
            const before = state.getStore().settings.rpcDone;
            await settings.waitForRPCs();
            await new Promise((r) => setImmediate(r));
            await sleep(20);
            if (state.getStore().settings.rpcDone === before && this.inFlight.size === 0) {
                quiet++;
            } else {
                quiet = 0;
            }
        }
    }

    private async installMocks(): Promise<void> {
        pulumi.runtime.setAllConfig(this.opts.config, this.opts.secretKeys);
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => this.newResource(args),
                call: (args) => {
                    throw new Error(`${args.token}: provider functions are not supported by the lab driver`);
                },
            },
            this.opts.project,
            this.opts.stack,
            false,
        );
        // The mock monitor calls newResource synchronously inside registerResource: note the
        // request there, to know the URN, the parent and deleteBeforeReplace.
        const monitor = pulumi.runtime.getMonitor() as unknown as {
            registerResource(req: RegisterRequest, cb: (err: unknown, resp: unknown) => void): Promise<void>;
            newUrn(parent: string, type: string, name: string): string;
        };
        const original = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req, cb) => {
            this.current = {
                type: req.getType(),
                name: req.getName(),
                urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
                parent: req.getParent(),
                provider: req.getProvider(),
                dependencies: req.getDependenciesList(),
                deleteBeforeReplace: req.getDeletebeforereplace(),
            };
            try {
                return original(req, cb);
            } finally {
                this.current = undefined;
            }
        };
    }

    private newResource(args: pulumi.runtime.MockResourceArgs): Promise<{ id: string | undefined; state: Record<string, unknown> }> {
        const req = this.current;
        if (req === undefined || req.type !== args.type || req.name !== args.name) {
            // readResource (Resource.get) or an SDK that no longer calls newResource synchronously
            return Promise.reject(new Error(`${args.type} ${args.name}: reading existing resources (.get) is not supported by the lab driver`));
        }
        if (!args.custom) {
            return Promise.resolve({ id: undefined, state: args.inputs as Record<string, unknown> });
        }
        const p = this.perform(args, req);
        this.inFlight.add(p);
        void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
        return p;
    }

    private async perform(
        args: pulumi.runtime.MockResourceArgs,
        req: RequestInfo,
    ): Promise<{ id: string | undefined; state: Record<string, unknown> }> {
        const inputs = unwrapSecrets(args.inputs).value as Record<string, unknown>;
        this.collectSecrets(args.inputs as Record<string, unknown>);
        const started = Date.now();
        let host = "(no host)";
        try {
            if (this.failedAt !== undefined) {
                this.skipped++;
                throw new PerformError("not started: an earlier resource failed");
            }
            if (args.id !== undefined && args.id !== "") {
                throw new InputError(`importing existing resources (import id ${args.id}) is not supported by the lab driver`);
            }
            const unknown = findUnknown(inputs);
            if (unknown !== undefined) throw new InputError(`${unknown} is unknown (computed); the lab driver needs every input known`);
            if (args.type === DOCKER_PROVIDER) {
                const spec = parseDockerProvider(inputs);
                host = hostLabel(spec.host, spec.port, this.opts.hostNames);
                this.providers.set(req.urn, spec);
                return { id: `${req.name}-provider`, state: args.inputs as Record<string, unknown> };
            }
            if (args.type === "pulumi:providers:command") {
                return { id: `${req.name}-provider`, state: args.inputs as Record<string, unknown> };
            }
            if (args.type === COMMAND) {
                const spec = parseCommand(inputs);
                host = hostLabel(spec.connection.host, spec.connection.port, this.opts.hostNames);
                return await this.performCommand(args, req, spec, host, started);
            }
            if (DOCKER_TYPES.includes(args.type)) {
                const provider = this.providers.get(providerUrn(req.provider));
                if (provider === undefined) {
                    throw new InputError(
                        `no Docker provider: the lab driver needs an explicit docker.Provider with an ssh:// host (resource option provider), not the default provider`,
                    );
                }
                host = hostLabel(provider.host, provider.port, this.opts.hostNames);
                return await this.performDocker(args, req, inputs, provider, host, started);
            }
            throw new InputError(`resource type ${args.type} is not known to the lab driver; it performs only remote.Command and Docker networks, volumes, images, tags, pushes and containers`);
        } catch (e) {
            const what = errorText(e);
            const message = `${host}: ${req.name}: ${what}`;
            if (this.failedAt === undefined || !what.startsWith("not started")) {
                const step: StepRecord = {
                    urn: req.urn, type: args.type, name: req.name, host, status: "failed",
                    seconds: (Date.now() - started) / 1000, startedAt: started, finishedAt: Date.now(), error: redact(message, this.secrets),
                };
                this.steps.push(step);
                this.log(`${stepLine(step)}: ${redact(what, this.secrets)}`);
                this.fail(message);
            }
            throw new Error(redact(message, this.secrets));
        }
    }

    /**
     * Notes the secret values of a resource's inputs, to keep them out of the log and the state.
     * The SDK marks a remote.Command's whole `connection` secret; of it only the credentials count
     * (an address is not hidden).
     */
    private collectSecrets(wire: Record<string, unknown>): void {
        const { connection, ...rest } = wire;
        unwrapSecrets(rest, this.secrets);
        const conn = unwrapSecrets(connection).value;
        if (typeof conn === "object" && conn !== null) {
            for (const k of ["privateKey", "password", "privateKeyPassword"]) {
                const v = (conn as Record<string, unknown>)[k];
                if (typeof v === "string" && v !== "") this.secrets.add(v);
            }
        }
    }

    private record(entry: StateEntry, step: Omit<StepRecord, "seconds" | "finishedAt">, notes: string[]): void {
        const finishedAt = Date.now();
        const s: StepRecord = { ...step, finishedAt, seconds: (finishedAt - step.startedAt) / 1000 };
        this.steps.push(s);
        this.log(stepLine(s));
        for (const n of notes) this.log(`[${s.host}]   ${n}`);
        for (const e of s.emulated ?? []) this.log(`[${s.host}]   ${e}`);
        this.done.push(entry);
        this.saveState();
    }

    /** Takes over the prior entry of `urn` (the last one recorded), if any. */
    private takePrior(urn: string): StateEntry | undefined {
        for (let i = this.unmatched.length - 1; i >= 0; i--) {
            if (this.unmatched[i].urn === urn) {
                return this.unmatched.splice(i, 1)[0];
            }
        }
        return undefined;
    }

    private peekPrior(urn: string): StateEntry | undefined {
        for (let i = this.unmatched.length - 1; i >= 0; i--) {
            if (this.unmatched[i].urn === urn) return this.unmatched[i];
        }
        return undefined;
    }

    private commandRemote(spec: CommandSpec["connection"], label: string): Remote {
        const target: SshTarget = { host: spec.host, port: spec.port, user: spec.user, label };
        return this.remote(target, this.commandAuth(spec.privateKey, spec.hostKey, spec.host, spec.port), boundedLimits(spec.dialErrorLimit, spec.perDialTimeout, this.commandTimeoutMs()));
    }

    private commandAuth(privateKey: string | undefined, hostKey: string | undefined, host: string, port: number): SshAuth {
        const keyFile = privateKey !== undefined ? this.ssh.keyFile(privateKey) : undefined;
        if (keyFile !== undefined) this.lastKeyFile = keyFile;
        return commandAuthFor(this.ssh, keyFile, hostKey, host, port, this.knownHostsFile);
    }

    private commandTimeoutMs(): number {
        return (this.opts.commandTimeoutSeconds ?? 600) * 1000;
    }

    private remote(target: SshTarget, auth: SshAuth, limits: SshLimits): Remote {
        return remoteOf(this.ssh, target, auth, limits);
    }

    private async performCommand(
        args: pulumi.runtime.MockResourceArgs,
        req: RequestInfo,
        spec: CommandSpec,
        host: string,
        startedAt: number,
    ): Promise<{ id: string; state: Record<string, unknown> }> {
        const remote = this.commandRemote(spec.connection, host);
        const hash = commandInputsHash(spec);
        const prior = this.peekPrior(req.urn);
        const envOpts = environmentSshOpts(spec.environment);
        const run = async (which: "create" | "update", script: string | undefined): Promise<{ stdout: string; stderr: string }> => {
            if (script === undefined || script === "") return { stdout: "", stderr: "" };
            const r = await runScript(remote, which, script, { stdin: spec.stdin, sshOpts: envOpts, timeoutMs: this.commandTimeoutMs() });
            return { stdout: trimOutput(r.stdout), stderr: trimOutput(r.stderr) };
        };
        let status: StepStatus;
        let out: { stdout: string; stderr: string };
        let id = prior?.id ?? `${req.name}-${Math.random().toString(16).slice(2, 10)}`;
        if (prior === undefined || prior.failed) {
            if (prior !== undefined) this.takePrior(req.urn);
            out = await run("create", spec.create);
            status = "created";
        } else if (prior.inputsHash === hash) {
            this.takePrior(req.urn);
            out = { stdout: String(prior.outputs.stdout ?? ""), stderr: String(prior.outputs.stderr ?? "") };
            status = "unchanged";
        } else if (prior.outputs.triggersHash !== commandTriggersHash(spec) && spec.update === undefined) {
            // triggers changed and there is no update: a replacement
            if (req.deleteBeforeReplace) {
                await this.deleteEntry(prior, false, spec.connection.privateKey !== undefined ? this.ssh.keyFile(spec.connection.privateKey) : undefined);
                this.takePrior(req.urn);
            }
            // otherwise the old one stays unmatched: deleted after the apply, as the engine does
            out = await run("create", spec.create);
            id = `${req.name}-${Math.random().toString(16).slice(2, 10)}`;
            status = "replaced";
        } else {
            this.takePrior(req.urn);
            out = await run("update", spec.update ?? spec.create);
            status = "updated";
        }
        const showStdout = spec.logging === "stdout" || spec.logging === "stdoutAndStderr";
        const showStderr = spec.logging === "stderr" || spec.logging === "stdoutAndStderr";
        const emulated = showStdout && status !== "unchanged" ? emulatedLines(out.stdout) : [];
        const entry: StateEntry = {
            urn: req.urn,
            type: args.type,
            name: req.name,
            id,
            connection: storedConnection(spec.connection, host),
            inputsHash: hash,
            outputs: { stdout: redact(out.stdout, this.secrets), stderr: redact(out.stderr, this.secrets), triggersHash: commandTriggersHash(spec) },
            delete:
                spec.delete !== undefined && spec.delete !== ""
                    ? { kind: "command", script: spec.delete, ...(spec.stdin !== undefined ? { stdin: spec.stdin } : {}), ...(Object.keys(spec.environment).length > 0 ? { environment: spec.environment } : {}) }
                    : { kind: "none" },
            completedAt: Date.now(),
        };
        const notes: string[] = [];
        if (this.opts.verbose && status !== "unchanged") {
            if (showStdout) notes.push(...out.stdout.split("\n").filter((l) => l !== "" && !l.startsWith("EMULATED:")).map((l) => `| ${l}`));
            if (showStderr) notes.push(...out.stderr.split("\n").filter((l) => l !== "").map((l) => `! ${l}`));
        }
        this.record(entry, { urn: req.urn, type: args.type, name: req.name, host, status, startedAt, emulated }, notes);
        return { id, state: { ...(args.inputs as Record<string, unknown>), stdout: out.stdout, stderr: out.stderr } };
    }

    private async performDocker(
        args: pulumi.runtime.MockResourceArgs,
        req: RequestInfo,
        inputs: Record<string, unknown>,
        provider: DockerProviderSpec,
        host: string,
        startedAt: number,
    ): Promise<{ id: string; state: Record<string, unknown> }> {
        const remote = this.remote(
            { host: provider.host, port: provider.port, user: provider.user, label: host },
            { extraOpts: provider.sshOpts, knownHosts: { mode: "ssh-config" } },
            { dialAttempts: 1, dialTimeoutSeconds: dockerDialTimeout(provider.sshOpts), runTimeoutMs: this.commandTimeoutMs() },
        );
        const prior = this.peekPrior(req.urn);
        const priorInfo = prior !== undefined && !prior.failed ? { delete: prior.delete, triggersHash: prior.inputsHash, outputs: prior.outputs } : undefined;
        let performed: Performed;
        let triggersHash: string | undefined;
        const isManaged = (name: string): boolean =>
            [...this.prior, ...this.done].some((e) => e.delete.kind === "container" && e.delete.name === name && e.connection?.host === provider.host && e.connection?.port === provider.port);
        try {
            switch (args.type) {
                case "docker:index/network:Network":
                    performed = await ensureNetwork(remote, parseNetwork(inputs), isManaged);
                    break;
                case "docker:index/volume:Volume":
                    performed = await ensureVolume(remote, parseVolume(inputs), priorInfo?.delete);
                    break;
                case "docker:index/remoteImage:RemoteImage": {
                    const spec = parseRemoteImage(inputs);
                    triggersHash = spec.triggersHash;
                    performed = await ensureRemoteImage(remote, spec, priorInfo);
                    break;
                }
                case "docker:index/tag:Tag": {
                    const spec = parseTag(inputs);
                    triggersHash = spec.triggersHash;
                    performed = await ensureTag(remote, spec, priorInfo);
                    break;
                }
                case "docker:index/registryImage:RegistryImage":
                    performed = await pushImage(remote, parseRegistryImage(inputs), priorInfo);
                    break;
                case "docker:index/container:Container":
                    performed = await ensureContainer(remote, parseContainer(inputs));
                    break;
                default:
                    throw new InputError(`resource type ${args.type} is not known to the lab driver`);
            }
        } catch (e) {
            // A container may exist after a failure part-way through its creation: keep its
            // (idempotent) delete in the state.
            if (e instanceof PartialError) this.recordFailedDocker(args.type, req, inputs, provider, host);
            throw e;
        }
        this.takePrior(req.urn);
        const entry: StateEntry = {
            urn: req.urn,
            type: args.type,
            name: req.name,
            id: performed.id,
            connection: dockerConnection(provider, host),
            inputsHash: triggersHash,
            outputs: performed.outputs,
            delete: performed.delete,
            completedAt: Date.now(),
        };
        this.record(entry, { urn: req.urn, type: args.type, name: req.name, host, status: performed.status, startedAt }, performed.notes);
        return { id: performed.id, state: { ...(args.inputs as Record<string, unknown>), ...performed.outputs, id: performed.id } };
    }

    private recordFailedDocker(type: string, req: RequestInfo, inputs: Record<string, unknown>, provider: DockerProviderSpec, host: string): void {
        const name = typeof inputs.name === "string" ? inputs.name : undefined;
        if (name === undefined || type !== "docker:index/container:Container") return;
        this.takePrior(req.urn);
        const del = { kind: "container", name, removeVolumes: inputs.removeVolumes !== false } as const;
        this.done.push({ urn: req.urn, type, name: req.name, id: "", connection: dockerConnection(provider, host), outputs: {}, delete: del, failed: true, completedAt: Date.now() });
        this.saveState();
    }

    /** Deletes a recorded entry during the apply (a replacement, or a resource the program no longer declares). */
    private async deleteEntry(e: StateEntry, report: boolean, keyFile?: string): Promise<void> {
        const started = Date.now();
        const host = e.connection?.label ?? "?";
        const key = keyFile ?? (this.opts.privateKeyPath !== undefined ? path.resolve(this.opts.privateKeyPath) : this.lastKeyFile);
        try {
            const d = await deleteOne(this.ssh, e, key, this.knownHostsFile, this.commandTimeoutMs());
            if (report) {
                const step: StepRecord = { urn: e.urn, type: e.type, name: e.name, host, status: d.outcome, startedAt: started, finishedAt: Date.now(), seconds: (Date.now() - started) / 1000 };
                this.steps.push(step);
                this.log(stepLine(step));
                if (this.done.some((x) => x.urn === e.urn)) this.log(`[${host}]   the version it replaced`);
                for (const l of d.note.split("\n").filter((x) => x !== "")) this.log(`[${host}]   ${l}`);
            }
        } catch (err) {
            throw new PerformError(`deleting the previous ${e.name} failed: ${errorText(err)}`);
        }
    }

    /** After a successful apply: deletes what the program no longer declares (and replaced resources' old versions), newest first. */
    private async deleteUnmatched(): Promise<void> {
        while (this.unmatched.length > 0) {
            const e = this.unmatched[this.unmatched.length - 1];
            try {
                await this.deleteEntry(e, true);
                this.unmatched.pop();
                this.saveState();
            } catch (err) {
                this.fail(`${e.connection?.label ?? "?"}: ${e.name}: ${errorText(err)}`);
                return;
            }
        }
    }

    private saveState(): void {
        const state: StateFile = {
            note: STATE_NOTE,
            version: 1,
            project: this.opts.project,
            stack: this.opts.stack,
            updatedAt: "",
            resources: [...this.unmatched, ...this.done],
        };
        writeState(this.opts.stateFile, JSON.parse(redact(JSON.stringify(state), this.privateKeys())) as StateFile);
    }

    /** The key texts seen in inputs (only those are scrubbed from the state: scripts must stay intact). */
    private privateKeys(): string[] {
        return [...this.secrets].filter((s) => s.includes("PRIVATE KEY"));
    }

    private writeCounts(): void {
        if (this.opts.sshCountsFile !== undefined) {
            fs.writeFileSync(this.opts.sshCountsFile, `${JSON.stringify(this.ssh.sessions, null, 2)}\n`);
        }
    }
}

/** The subset of RegisterResourceRequest the driver reads. */
interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getProvider(): string;
    getDependenciesList(): string[];
    getDeletebeforereplace(): boolean;
}

/** The ConnectTimeout the Docker provider's sshOpts set (ssh keeps the first), else the driver's default. */
export function dockerDialTimeout(sshOpts: string[]): number {
    for (let i = 0; i < sshOpts.length; i++) {
        const o = sshOpts[i] === "-o" ? sshOpts[i + 1] ?? "" : sshOpts[i].startsWith("-o") ? sshOpts[i].slice(2) : "";
        const m = /^ConnectTimeout[= ]\s*(\d+)$/i.exec(o.trim());
        if (m !== null && Number(m[1]) > 0) return Math.min(Number(m[1]), 60);
    }
    return DOCKER_DIAL_TIMEOUT_S;
}

/** `urn::id` (a provider reference) -> the urn. */
function providerUrn(ref: string): string {
    const i = ref.lastIndexOf("::");
    return i < 0 ? ref : ref.slice(0, i);
}

function storedConnection(c: CommandSpec["connection"], label: string): StoredConnection {
    return {
        host: c.host,
        port: c.port,
        user: c.user,
        label,
        ...(c.hostKey !== undefined ? { hostKey: c.hostKey } : {}),
        ...(c.dialErrorLimit !== undefined ? { dialErrorLimit: c.dialErrorLimit } : {}),
        ...(c.perDialTimeout !== undefined ? { perDialTimeout: c.perDialTimeout } : {}),
        docker: false,
    };
}

function dockerConnection(p: DockerProviderSpec, label: string): StoredConnection {
    return { host: p.host, port: p.port, user: p.user, label, sshOpts: p.sshOpts, docker: true };
}

function commandAuthFor(ssh: SshRunner, keyFile: string | undefined, hostKey: string | undefined, host: string, port: number, knownHostsFile: string): SshAuth {
    let knownHosts: SshAuth["knownHosts"];
    if (hostKey !== undefined && hostKey !== "") {
        const line = pinnedKnownHostsLine(host, port, hostKey);
        if (typeof line !== "string") throw new InputError(`connection.${line.error}`);
        knownHosts = { mode: "pinned", file: ssh.pinnedKnownHosts(line) };
    } else {
        knownHosts = { mode: "accept-new", file: knownHostsFile };
    }
    return { keyFile, knownHosts, ignoreUserConfig: true };
}

function remoteOf(ssh: SshRunner, target: SshTarget, auth: SshAuth, limits: SshLimits): Remote {
    return {
        label: target.label,
        sh: (command, o) =>
            ssh.run(
                target,
                { ...auth, extraOpts: [...(auth.extraOpts ?? []), ...(o?.sshOpts ?? [])] },
                { ...limits, runTimeoutMs: o?.timeoutMs ?? limits.runTimeoutMs },
                command,
                o?.stdin,
            ),
    };
}

/** Runs the delete of one entry with `keyFile` (the state never holds a key). */
async function deleteOne(ssh: SshRunner, e: StateEntry, keyFile: string | undefined, knownHostsFile: string, timeoutMs: number): Promise<Deleted> {
    const c = e.connection;
    if (e.delete.kind === "none") {
        return e.type === "docker:index/registryImage:RegistryImage" ? { outcome: "kept", note: "keepRemotely: the image stays in the registry" } : { outcome: "deleted", note: "" };
    }
    if (c === undefined) throw new PerformError("the state has no connection for it");
    const target: SshTarget = { host: c.host, port: c.port, user: c.user, label: c.label };
    if (e.delete.kind === "command") {
        const remote = remoteOf(ssh, target, commandAuthFor(ssh, keyFile, c.hostKey, c.host, c.port, knownHostsFile), boundedLimits(c.dialErrorLimit, c.perDialTimeout, timeoutMs));
        const r = await runScript(remote, "delete", e.delete.script, {
            stdin: e.delete.stdin,
            sshOpts: environmentSshOpts(e.delete.environment ?? {}),
            timeoutMs,
        });
        return { outcome: "deleted", note: emulatedLines(r.stdout).join("\n") };
    }
    const extra = [...(c.sshOpts ?? []), ...(keyFile !== undefined ? ["-i", keyFile] : [])];
    const remote = remoteOf(ssh, target, { extraOpts: extra, knownHosts: { mode: "ssh-config" } }, { dialAttempts: 1, dialTimeoutSeconds: dockerDialTimeout(extra), runTimeoutMs: timeoutMs });
    return performDelete(remote, e.delete);
}

export interface DestroyOptions {
    stateFile: string;
    /** The private key file the hosts accept (the state never holds the key). */
    privateKeyPath: string;
    log: (line: string) => void;
    /** Defaults to `<stateFile>.known_hosts`. */
    knownHostsFile?: string;
    sshCountsFile?: string;
    commandTimeoutSeconds?: number;
    signal?: AbortSignal;
}

/**
 * Runs the recorded deletes in reverse completion order. Keeps going after a failure, reports
 * every failure and rejects with a DriverError at the end; objects already gone are fine. Removes
 * the state file (and its known_hosts) when everything was deleted.
 */
export async function destroyFromState(opts: DestroyOptions): Promise<{ steps: StepRecord[]; sshSessions: Record<string, number> }> {
    opts.log(BANNER);
    const state = readState(opts.stateFile);
    const knownHostsFile = opts.knownHostsFile ?? `${opts.stateFile}.known_hosts`;
    if (state === undefined) {
        opts.log(`destroy: no state at ${opts.stateFile}; nothing to do`);
        return { steps: [], sshSessions: {} };
    }
    if (!fs.existsSync(opts.privateKeyPath)) {
        throw new Error(`destroy: the key file ${opts.privateKeyPath} does not exist`);
    }
    opts.log(`destroy ${state.project}/${state.stack}: ${state.resources.length} resource(s), newest first`);
    const ssh = new SshRunner();
    const onAbort = (): void => ssh.close();
    opts.signal?.addEventListener("abort", onAbort);
    const steps: StepRecord[] = [];
    const failures: string[] = [];
    const left = [...state.resources];
    try {
        for (let i = state.resources.length - 1; i >= 0; i--) {
            if (opts.signal?.aborted) {
                failures.push("interrupted: destroy was stopped");
                break;
            }
            const e = state.resources[i];
            const started = Date.now();
            const host = e.connection?.label ?? "?";
            let status: StepOutcome = "deleted";
            let note = "";
            let what: string | undefined;
            try {
                const d = await deleteOne(ssh, e, path.resolve(opts.privateKeyPath), knownHostsFile, (opts.commandTimeoutSeconds ?? 600) * 1000);
                status = d.outcome;
                note = d.note;
                left.splice(left.indexOf(e), 1);
                writeState(opts.stateFile, { ...state, resources: left });
            } catch (err) {
                status = "failed";
                what = errorText(err);
                failures.push(`${host}: ${e.name}: ${what}`);
            }
            const step: StepRecord = {
                urn: e.urn, type: e.type, name: e.name, host, status, startedAt: started, finishedAt: Date.now(), seconds: (Date.now() - started) / 1000,
                ...(what !== undefined ? { error: `${host}: ${e.name}: ${what}` } : {}),
            };
            steps.push(step);
            opts.log(`${stepLine(step)}${what !== undefined ? `: ${what}` : ""}`);
            for (const l of note.split("\n").filter((x) => x !== "")) opts.log(`[${host}]   ${l}`);
        }
    } finally {
        opts.signal?.removeEventListener("abort", onAbort);
        ssh.close();
        if (opts.sshCountsFile !== undefined) fs.writeFileSync(opts.sshCountsFile, `${JSON.stringify(ssh.sessions, null, 2)}\n`);
    }
    if (failures.length > 0) {
        throw new DriverError(failures, steps, { ...ssh.sessions });
    }
    fs.rmSync(opts.stateFile, { force: true });
    fs.rmSync(knownHostsFile, { force: true });
    opts.log(`destroy: everything deleted; ${opts.stateFile} removed`);
    return { steps, sshSessions: { ...ssh.sessions } };
}

/** The message of an error, without a stack (RunError and ResourceError included). */
export function errorText(e: unknown): string {
    if (e instanceof SshError || e instanceof PerformError || e instanceof InputError) return e.message;
    if (e instanceof Error) return e.message;
    if (isWrappedSecret(e)) return "[secret]";
    return String(e);
}

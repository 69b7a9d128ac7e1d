/**
 * The real engine on a running lab (lab/pulumi/ runs `pulumi`; this is what the lab runs with it):
 * the lab's workspace made ready (engine, plugins, the line saying what is real), `pulumi` in the
 * controller's network namespace, `pulumi up` of a stack with the lab's config and key,
 * `pulumi destroy`, and stopping a pulumi a killed run left behind.
 */
import * as fs from "fs";
import { CheckRow as ProgramCheckRow } from "../../components/contracts";
import { LabHosts } from "../hosts";
import { cmdline, isAlive } from "../hosts/proc";
import {
    Engine, PulumiRun, PulumiRunOptions, Workspace, controllerCaDirOf, ensureEngine, hasBackendState, installPlugins, realityLine, runPulumi,
    selectStack, setSecret, workspaceOf, writeWorkspace,
} from "../pulumi";
import { LoadedStack, SECRET_KEY, labStackConfig } from "../topology";
import { RunRecord, runPaths } from "./records";

/** A whole `pulumi up` or `destroy` is stopped after this long (the providers bound each session themselves). */
const APPLY_TIMEOUT_MS = 20 * 60_000;
const DESTROY_TIMEOUT_MS = 10 * 60_000;
/** After SIGTERM, pulumi gets this long to cancel and save its state. */
const ENGINE_STOP_GRACE_MS = 30_000;

/** What every `pulumi up` and `pulumi destroy` of the lab runs with: no prompt, no preview, no colour. */
export const UNATTENDED_ARGS: readonly string[] = ["--yes", "--skip-preview", "--non-interactive", "--color", "never"];

/** One row of the program's `checks` output as read back from the stack (the contract's row; a stack of an older program may lack `targetIp`). */
export type CheckRow = Omit<ProgramCheckRow, "targetIp"> & Partial<Pick<ProgramCheckRow, "targetIp">>;

export interface EngineOutcome {
    /** pulumi's exit status (124 when it was stopped for time). */
    code: number;
    /** The stack outputs (`pulumi stack output --json`) after a successful `up`. */
    outputs?: { checks?: CheckRow[]; registry?: string; hosts?: unknown };
    /** Wall time of the pulumi command. */
    seconds: number;
    stdout: string;
    stderr: string;
    /** The `error:` lines pulumi printed. */
    failures: string[];
}

export interface EngineRunOptions {
    /** Receives every line pulumi prints. */
    log?: (line: string) => void;
    /** Aborting sends pulumi SIGTERM (it cancels and saves its state). */
    signal?: AbortSignal;
    /** Called with pulumi's pid once it started. */
    onStart?: (pid: number) => void;
    timeoutMs?: number;
    /** The run's name (defaults to the lab's): where its Pulumi workspace lives. */
    runName?: string;
    /** Extra arguments for `pulumi up` / `pulumi destroy`. */
    extraArgs?: string[];
    /** Another build of the program to run (lab/build.ts layout). Defaults to the repo's, built when it changed. */
    programDir?: string;
}

/** The Pulumi workspace of run `runName`, under `.lab/_runs/<runName>/pulumi/`. */
export function labWorkspace(runName: string): Workspace {
    return workspaceOf(runPaths(runName).dir);
}

/** The engine, the lab's workspace and its plugins, ready to run; prints what is real and what stands in. */
export function prepareEngine(runName: string, log: (l: string) => void): { engine: Engine; ws: Workspace } {
    const engine = ensureEngine(log);
    const ws = labWorkspace(runName);
    fs.mkdirSync(ws.home, { recursive: true, mode: 0o700 });
    const plugins = installPlugins(ws.home);
    log(realityLine(engine, plugins));
    return { engine, ws };
}

/**
 * `pulumi <args>` in the lab's controller network namespace (no route out: nothing the engine or a
 * provider tries can leave the lab). Only the network namespace: the engine cache, the workspace
 * and the lab's keys are files of this machine. The child gets SIGTERM when this process dies
 * (setpriv --pdeathsig).
 */
export function pulumiOnLab(lab: LabHosts, ws: Workspace, engine: Engine, args: string[], opts: PulumiRunOptions = {}): Promise<PulumiRun> {
    return runPulumi(ws, engine, args, {
        ...opts,
        wrap: (argv) => ["setpriv", "--pdeathsig", "SIGTERM", "--", "nsenter", `--net=/run/netns/${lab.controllerNetns}`, "--", ...argv],
    });
}

/** The `error:` lines of pulumi's output (stdout, then stderr), trimmed. Pure. */
export function errorLines(stdout: string, stderr: string): string[] {
    return `${stdout}\n${stderr}`.split("\n").map((l) => l.trim()).filter((l) => /^error: /.test(l));
}

function outcomeOf(r: PulumiRun): EngineOutcome {
    return { code: r.code, seconds: r.seconds, stdout: r.stdout, stderr: r.stderr, failures: errorLines(r.stdout, r.stderr) };
}

/**
 * Applies `stack` on `lab` with the real engine: writes the lab's project and stack files (host
 * keys pinned, the lab's key and known_hosts), selects or creates the stack, sets sshPrivateKey as
 * a secret, runs `pulumi up`, then reads the outputs.
 */
export async function applyOnLab(lab: LabHosts, stack: LoadedStack, opts: EngineRunOptions = {}): Promise<EngineOutcome> {
    const { engine, ws } = await stackOnLab(lab, stack, opts);
    const r = await pulumiOnLab(lab, ws, engine, ["up", ...UNATTENDED_ARGS, ...(opts.extraArgs ?? [])], {
        onLine: opts.log,
        signal: opts.signal,
        timeoutMs: opts.timeoutMs ?? APPLY_TIMEOUT_MS,
        onStart: opts.onStart,
    });
    const out = outcomeOf(r);
    if (r.code === 0) {
        const o = await runPulumi(ws, engine, ["stack", "output", "--json"]);
        if (o.code === 0) out.outputs = JSON.parse(o.stdout) as EngineOutcome["outputs"];
    }
    return out;
}

/** The lab's workspace written for `stack` (host keys pinned, the lab's key as a secret), the stack selected. */
async function stackOnLab(lab: LabHosts, stack: LoadedStack, opts: EngineRunOptions): Promise<{ engine: Engine; ws: Workspace }> {
    const log = opts.log ?? (() => undefined);
    const { engine, ws } = prepareEngine(opts.runName ?? lab.name, log);
    writeWorkspace(ws, stack.stack, labStackConfig(stack.config, lab, controllerCaDirOf(ws)), opts.programDir);
    // neither contacts a host: they run outside the controller, their output only in the logs
    await selectStack(ws, engine, stack.stack);
    await setSecret(ws, engine, SECRET_KEY, lab.privateKey);
    return { engine, ws };
}

/**
 * `pulumi preview --json` of `stack` on `lab` (the engine's plan of what an `up` would do), in the
 * controller; `stdout` holds the JSON.
 */
export async function previewOnLab(lab: LabHosts, stack: LoadedStack, opts: EngineRunOptions = {}): Promise<EngineOutcome> {
    const { engine, ws } = await stackOnLab(lab, stack, opts);
    const r = await pulumiOnLab(lab, ws, engine, ["preview", "--json", "--non-interactive", ...(opts.extraArgs ?? [])], {
        signal: opts.signal,
        timeoutMs: opts.timeoutMs ?? APPLY_TIMEOUT_MS,
        onStart: opts.onStart,
    });
    return outcomeOf(r);
}

/** `pulumi destroy` of run `runName` (defaults to the lab's name); undefined when nothing was applied. */
export async function destroyOnLab(lab: LabHosts, opts: EngineRunOptions = {}): Promise<EngineOutcome | undefined> {
    const log = opts.log ?? (() => undefined);
    const runName = opts.runName ?? lab.name;
    const ws = labWorkspace(runName);
    if (!hasBackendState(ws)) return undefined;
    const { engine } = prepareEngine(runName, log);
    const r = await pulumiOnLab(lab, ws, engine, ["destroy", "--run-program", ...UNATTENDED_ARGS, ...(opts.extraArgs ?? [])], {
        onLine: log,
        signal: opts.signal,
        timeoutMs: opts.timeoutMs ?? DESTROY_TIMEOUT_MS,
        onStart: opts.onStart,
    });
    return outcomeOf(r);
}

/** Stops a pulumi that a killed run left behind (checked by its command line naming pulumi). */
export async function stopStaleEngine(record: RunRecord | undefined, log: (l: string) => void): Promise<void> {
    const pid = record?.enginePid;
    if (pid === undefined || pid === process.pid || !isAlive(pid)) return;
    if (!cmdline(pid).includes("pulumi")) return;
    log(`lab ${record?.name}: stopping the pulumi a killed run left behind (pid ${pid})`);
    try {
        process.kill(-pid, "SIGTERM");
    } catch {
        return;
    }
    const until = Date.now() + ENGINE_STOP_GRACE_MS;
    while (isAlive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    if (isAlive(pid)) {
        try {
            process.kill(-pid, "SIGKILL");
        } catch {
            /* gone */
        }
    }
}

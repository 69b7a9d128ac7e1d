/**
 * `npm run lab:verify -- <stack>` and `npm run lab:repair -- <stack>`: the documented `pulumi`
 * commands of README "Verify and repair", run on a lab's stack.
 *
 * verify: a new `macvlan-lab:verify` request in the lab's stack, `pulumi preview --json` to make
 * sure the up runs the verifies and nothing else (a stack with other pending changes is refused:
 * apply it first), `pulumi up`, then the `verification` output as a table; exit 1 when anything
 * drifted. Nothing on any host changes.
 *
 * repair: `pulumi refresh` (the Docker side: containers and networks removed or stopped by hand
 * leave the state), a new `macvlan-lab:repair` request and `pulumi up` (every command that changes a
 * host runs its idempotent create again; Docker objects that left the state are made again), what
 * each command said (`changed: ...` or `nothing changed`), then a verify; exit 1 when it is not clean.
 */
import * as fs from "fs";
import { configKey } from "../../components/contracts";
import { LabHosts } from "../hosts";
import { Engine, Workspace, runPulumi, selectStack, stackFileOf, writeProject } from "../pulumi";
import { defaultLabName } from "../topology";
import { stepsOfPreview } from "../day2";
import { EngineOutcome, UNATTENDED_ARGS, errorLines, prepareEngine, pulumiOnLab } from "./engine";
import { formatTable } from "./output";
import { tryAttach } from "./records";

/** One finding of the program's `verification` output. */
export interface DriftFinding {
    host: string;
    step: string;
    kind: "drift" | "error";
    found: string;
}

export interface VerifyOutcome {
    code: number;
    request: string;
    /** What the verifies found (empty: every host is as declared). */
    rows: DriftFinding[];
    /** Per host: how many checks ran, and whether to the end. */
    hosts: Record<string, { steps: number; complete: boolean }>;
    up?: EngineOutcome;
    /** Why nothing was run, when the stack had other changes or pulumi failed. */
    refused?: string;
}

/** A request value: seconds since the epoch, made unique within this process. */
let lastRequest = 0;
export function newRequest(): string {
    lastRequest = Math.max(lastRequest + 1, Math.floor(Date.now() / 1000));
    return String(lastRequest);
}

/** The lab and its engine and workspace for `stack`, ready to run pulumi; a reason when not. */
async function ready(stack: string, name: string, log: (l: string) => void): Promise<{ lab: LabHosts; engine: Engine; ws: Workspace } | string> {
    const lab = tryAttach(name);
    if (lab === undefined) return `lab ${name} is not up; run npm run lab -- ${stack} first`;
    const { engine, ws } = prepareEngine(name, log);
    if (!fs.existsSync(stackFileOf(ws, stack))) return `stack ${stack} was never applied on lab ${name}; run npm run lab -- ${stack} first`;
    writeProject(ws);
    await selectStack(ws, engine, stack);
    return { lab, engine, ws };
}

async function setConfig(ws: Workspace, engine: Engine, key: string, value: string): Promise<void> {
    const r = await runPulumi(ws, engine, ["config", "set", configKey(key), value]);
    if (r.code !== 0) throw new Error(`pulumi config set ${configKey(key)} failed (${r.code}): ${r.stderr.trim()}`);
}

/** The steps of a preview that are not a verify (`*-verify`, `*-verify-read`): what a verify must not do. Pure. */
export function stepsBesidesVerify(previewJson: string): string[] {
    const s = stepsOfPreview(previewJson);
    const isVerify = (n: string) => /-verify(-read)?$/.test(n);
    return [
        ...s.replace.filter((n) => !isVerify(n)).map((n) => `replace ${n}`),
        ...s.update.filter((n) => !isVerify(n)).map((n) => `update ${n}`),
        ...s.create.filter((n) => !isVerify(n)).map((n) => `create ${n}`),
        ...s.delete.map((n) => `delete ${n}`),
    ];
}

/** Runs a verify on the lab's stack (see the file's comment). */
export async function verifyLab(stack: string, opts: { name?: string; log?: (l: string) => void } = {}): Promise<VerifyOutcome> {
    const log = opts.log ?? (() => undefined);
    const name = opts.name ?? defaultLabName(stack);
    const request = newRequest();
    const r = await ready(stack, name, log);
    if (typeof r === "string") return { code: 1, request, rows: [], hosts: {}, refused: r };
    const { lab, engine, ws } = r;
    await setConfig(ws, engine, "verify", request);
    const preview = await pulumiOnLab(lab, ws, engine, ["preview", "--json", "--non-interactive"], {});
    if (preview.code !== 0) return { code: 1, request, rows: [], hosts: {}, refused: `pulumi preview failed (${preview.code}): ${errorLines(preview.stdout, preview.stderr).join("; ") || preview.stderr.trim()}` };
    const besides = stepsBesidesVerify(preview.stdout);
    if (besides.length > 0) {
        return { code: 1, request, rows: [], hosts: {}, refused: `the lab's stack has changes besides the verify (${besides.join(", ")}); apply them first (npm run lab -- ${stack}), then verify` };
    }
    const up = await pulumiOnLab(lab, ws, engine, ["up", ...UNATTENDED_ARGS], { onLine: log });
    const outcome: EngineOutcome = { code: up.code, seconds: up.seconds, stdout: up.stdout, stderr: up.stderr, failures: errorLines(up.stdout, up.stderr) };
    if (up.code !== 0) return { code: 1, request, rows: [], hosts: {}, up: outcome, refused: `pulumi up failed (${up.code}): ${outcome.failures.join("; ")}` };
    const out = await runPulumi(ws, engine, ["stack", "output", "verification", "--json"]);
    const v = JSON.parse(out.stdout || "null") as { request?: string; hosts?: VerifyOutcome["hosts"]; drift?: DriftFinding[] } | null;
    const rows = v?.drift ?? [];
    const hosts = v?.hosts ?? {};
    const incomplete = Object.entries(hosts).filter(([, h]) => !h.complete).map(([h]) => h);
    return { code: rows.length > 0 || incomplete.length > 0 ? 1 : 0, request, rows, hosts, up: outcome };
}

/** One command of a repair and what its create said this time. */
export interface RepairLine {
    command: string;
    said: string;
}

export interface RepairOutcome {
    code: number;
    request: string;
    refresh?: EngineOutcome;
    up?: EngineOutcome;
    /** Per command that ran again: its `changed: ...` lines, or its `nothing changed: ...` line. */
    lines: RepairLine[];
    /** The verify after it. */
    verify?: VerifyOutcome;
    refused?: string;
}

/** What each command of a repair said: its `changed:` lines, else its last line. Pure. */
export function repairLines(stateExport: string, request: string): RepairLine[] {
    const doc = JSON.parse(stateExport) as { deployment?: { resources?: Array<{ type: string; urn: string; inputs?: { create?: unknown }; outputs?: { stdout?: unknown } }> } };
    const out: RepairLine[] = [];
    for (const r of doc.deployment?.resources ?? []) {
        if (r.type !== "command:remote:Command" || typeof r.inputs?.create !== "string" || !r.inputs.create.endsWith(`# macvlan-lab repair request ${request}\n`)) continue;
        const stdout = typeof r.outputs?.stdout === "string" ? r.outputs.stdout : "";
        const lines = stdout.split("\n").filter((l) => l.trim() !== "");
        const changed = lines.filter((l) => l.startsWith("changed: "));
        out.push({ command: r.urn.split("::").pop() as string, said: changed.length > 0 ? changed.join("; ") : (lines[lines.length - 1] ?? "") });
    }
    return out.sort((a, b) => a.command.localeCompare(b.command));
}

/** Runs a repair on the lab's stack, then a verify (see the file's comment). */
export async function repairLab(stack: string, opts: { name?: string; log?: (l: string) => void } = {}): Promise<RepairOutcome> {
    const log = opts.log ?? (() => undefined);
    const name = opts.name ?? defaultLabName(stack);
    const request = newRequest();
    const r = await ready(stack, name, log);
    if (typeof r === "string") return { code: 1, request, lines: [], refused: r };
    const { lab, engine, ws } = r;
    const refresh = await pulumiOnLab(lab, ws, engine, ["refresh", ...UNATTENDED_ARGS], { onLine: log });
    const refreshed: EngineOutcome = { code: refresh.code, seconds: refresh.seconds, stdout: refresh.stdout, stderr: refresh.stderr, failures: errorLines(refresh.stdout, refresh.stderr) };
    if (refresh.code !== 0) return { code: 1, request, lines: [], refresh: refreshed, refused: `pulumi refresh failed (${refresh.code}): ${refreshed.failures.join("; ")}` };
    await setConfig(ws, engine, "repair", request);
    const up = await pulumiOnLab(lab, ws, engine, ["up", ...UNATTENDED_ARGS], { onLine: log });
    const applied: EngineOutcome = { code: up.code, seconds: up.seconds, stdout: up.stdout, stderr: up.stderr, failures: errorLines(up.stdout, up.stderr) };
    if (up.code !== 0) return { code: 1, request, lines: [], refresh: refreshed, up: applied, refused: `pulumi up failed (${up.code}): ${applied.failures.join("; ")}` };
    const exported = await runPulumi(ws, engine, ["stack", "export"]);
    const lines = exported.code === 0 ? repairLines(exported.stdout, request) : [];
    const verify = await verifyLab(stack, opts);
    return { code: verify.code, request, refresh: refreshed, up: applied, lines, verify };
}

/** The verify's findings as people read them. Pure. */
export function verifyReport(v: VerifyOutcome): string[] {
    if (v.refused !== undefined) return [`verify: nothing was run: ${v.refused}`];
    const hosts = Object.entries(v.hosts).map(([h, s]) => `${h} ${s.steps} checks${s.complete ? "" : " (cut short)"}`).join(", ");
    if (v.rows.length === 0) return [`verify ${v.request}: every host is as the stack declares it (${hosts})`];
    return [
        `verify ${v.request}: ${v.rows.length} difference(s) from the stack (${hosts}):`,
        formatTable(["host", "step", "found"], v.rows.map((x) => [x.host, x.step, `${x.kind === "error" ? "ERROR " : ""}${x.found}`])),
    ];
}

/** The repair's report as people read it. Pure. */
export function repairReport(r: RepairOutcome): string[] {
    if (r.refused !== undefined) return [`repair: ${r.refused}`];
    return [
        `repair ${r.request}: pulumi refresh, then every command that changes a host ran its create again:`,
        formatTable(["command", "said"], r.lines.map((l) => [l.command, l.said])),
        ...(r.verify ? verifyReport(r.verify) : []),
    ];
}

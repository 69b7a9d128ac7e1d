/**
 * Benchmark of the whole program under Pulumi's mocks (`npm run bench:program`).
 *
 * For generated labs of 100 and 400 hosts (8 networks on 8 VLANs, each spanning every host; 20
 * containers per host, about 90% with a static address; see tools/generate.ts) it runs
 * index.ts as `pulumi up` would, with the mocks answering every resource, and prints side by side:
 * - declare s: from importing index.ts until every resource registration has completed (the
 *   program reads the config, validates, plans and declares everything; the modules it imports are
 *   loaded before the clock starts). The program runs as JavaScript transpiled once (lab/build.ts),
 *   as the lab runs it under the real engine: under ts-node, source-map-support maps the stack
 *   trace the Pulumi SDK captures for every promise it tracks (runtime/debuggable.js), which costs
 *   more than the program itself;
 * - peak RSS MB: the process's maximum resident set size (each size runs in a process of its own);
 * - resources: custom resources registered (networks, containers, commands, providers, pulls);
 * - aux entries: the aux addresses of every Docker network the program declared, as the mocks
 *   received them; and, for comparison, what the old rule (every host lists every other host's
 *   static addresses) would have sent for the same lab.
 *
 * - floor: the same lab's Docker resources alone (per host a provider and the image, a network per
 *   network of the host, a docker.Container per container, with the inputs the program gives them),
 *   declared by a few lines and nothing else, in a process of their own under the same mocks and the
 *   same stack-trace mode: what any program that declares each container as a Pulumi resource pays
 *   before its own work. The program's row is read against it;
 * - commands: the floor and, beside it, the program's remote commands (preflight, shell library,
 *   parent NIC, 8021q, a VLAN interface each, the checks) with the very inputs the program gave
 *   them (captured by the mocks in the program's run, secrets declared as secrets again), declared
 *   alone: the floor of a program that does the same host work as one command per step. What the
 *   program costs beyond it is its components (none of which holds work of its own) and its code;
 * - cpu s: the CPU time of the process (all its threads, the garbage collector's included) over the
 *   same span as declare s: steadier than the wall time on a machine where something else runs;
 * - stack traces: the program's mode (components/stackTraces.ts): "full", or "off" from 250 Docker
 *   resources (the SDK records a trace for every promise it tracks; `--stack-traces full` runs the
 *   program and the floor with them kept, to see what the switch saves).
 *
 * The generated labs check isolation between one pair of containers instead of connectivity: the
 * connectivity checks ping every container from every container of its network on the other hosts,
 * a matrix that grows with the square of the containers by definition (50 million pings for 1,000
 * hosts), whatever the program does.
 *
 * Each size runs in a process of its own with a heap limit and a time limit (`--heap-mb`,
 * `--timeout-s`); a size that hits one is reported with how far it got (`--sizes` picks the sizes).
 *
 * It measures; it asserts nothing about timings (a test that fails on a slow machine is noise).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";

// 400 hosts fits the default heap (the program peaked at 7.6 GB of RSS at 1ff2a1d); 1,000 does not fit 20 GB
const SIZES = [100, 400];
const NETWORKS = 8;
const CONTAINERS_PER_HOST = 20;
const SEED = 20240611;
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nbenchmark-key-material\n-----END OPENSSH PRIVATE KEY-----";

/** A remote command of the program as the mocks received it: its name and inputs (secrets as plain values). */
interface CapturedCommand {
    name: string;
    inputs: Record<string, unknown>;
}

interface Result {
    /** "program" (index.ts), "floor" (its Docker resources alone) or "commands" (the floor and the program's remote commands). */
    what: "program" | "floor" | "commands";
    /** Whether stack traces were off for the run (Error.stackTraceLimit 0 after the program started). */
    lean: boolean;
    hosts: number;
    containers: number;
    declareMs: number;
    /** CPU time (user and system, all threads of the process, the GC's included) over the same span. */
    cpuMs: number;
    peakRssMb: number;
    resources: number;
    networks: number;
    auxEntries: number;
    oldRuleAuxEntries: number;
}

/** One measurement, in this process: generate, install mocks, declare, wait for the RPCs. */
async function child(mode: Mode, hosts: number, programRoot: string, traces: Traces, captureFile: string): Promise<Result> {
    // the capture run is the program's, and records its commands; it is not measured
    const what: Result["what"] = mode === "capture" ? "program" : mode;
    // loaded before the clock starts: module compilation is not the program's work
    const pulumi = await import("@pulumi/pulumi");
    const docker = await import("@pulumi/docker");
    const command = await import("@pulumi/command");
    const components = (await import(path.join(programRoot, "components"))) as typeof import("../components");
    const { networkIpam, networkOptions } = (await import(path.join(programRoot, "components", "docker", "macvlanNetwork"))) as typeof import("../components/docker/macvlanNetwork");
    const { stackTraceMode } = (await import(path.join(programRoot, "components", "stackTraces"))) as typeof import("../components/stackTraces");
    const { generateLab, withOneIsolationCheck } = await import("../tools/generate");
    const ns = components.CONFIG_NAMESPACE;

    const lab = withOneIsolationCheck(generateLab({ hosts, networks: NETWORKS, containersPerHost: CONTAINERS_PER_HOST, seed: SEED }));
    const config: Record<string, string> = { [`${ns}:sshPrivateKey`]: KEY };
    for (const [k, v] of Object.entries(lab)) {
        config[`${ns}:${k}`] = JSON.stringify(v);
    }
    const spec = components.parseLab(lab).spec;
    if (spec === undefined) {
        throw new Error(`generated lab of ${hosts} hosts is invalid (seed ${SEED})`);
    }
    const oldRuleAuxEntries = oldRuleAux(spec);
    // the program reads it from the environment; the floor applies the same mode itself
    const env = { ...process.env, MACVLAN_LAB_STACK_TRACES: traces === "full" ? "full" : undefined };
    process.env.MACVLAN_LAB_STACK_TRACES = env.MACVLAN_LAB_STACK_TRACES ?? "";

    let resources = 0;
    let networks = 0;
    let auxEntries = 0;
    // the program's remote commands as the mocks receive them (capture run), for the "commands" run
    const captured: CapturedCommand[] = [];
    // the "commands" run reads them before the clock starts
    const replay: CapturedCommand[] = what === "commands" ? (JSON.parse(fs.readFileSync(captureFile, "utf8")) as CapturedCommand[]) : [];
    pulumi.runtime.setAllConfig(config, [`${ns}:sshPrivateKey`]);
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                resources++;
                const state: Record<string, unknown> = { ...args.inputs };
                if (args.type === "docker:index/network:Network") {
                    networks++;
                    for (const ipam of args.inputs.ipamConfigs ?? []) {
                        auxEntries += Object.keys(ipam.auxAddress ?? {}).length;
                    }
                } else if (args.type === "docker:index/remoteImage:RemoteImage") {
                    state.imageId = `sha256:${resources}`;
                } else if (args.type === "docker:index/container:Container") {
                    state.networkDatas = [{ ipAddress: args.inputs.networksAdvanced?.[0]?.ipv4Address ?? "10.99.0.2" }];
                } else if (args.type === "command:remote:Command") {
                    if (mode === "capture") {
                        captured.push({ name: args.name, inputs: args.inputs as Record<string, unknown> });
                    }
                    state.stdout = "";
                    state.stderr = "";
                } else if (args.type === "pulumi:pulumi:StackReference") {
                    // index.ts reads its own stack's last outputs (the plan memory): a first deployment has none
                    state.outputs = {};
                }
                return { id: `${args.name}-id`, state };
            },
            call(args) {
                return args.inputs;
            },
        },
        ns,
        `bench-${hosts}`,
        false,
        "organization",
    );
    // how far it got, for a run that a limit stops
    const progress = setInterval(() => {
        console.log(`PROGRESS ${JSON.stringify({ resources, rssMb: process.memoryUsage().rss / 1024 / 1024 })}`);
    }, 2000);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    if (what === "program") {
        const program = (await import(path.join(programRoot, "index"))) as Record<string, unknown>;
        // index.ts declares after an async step (the last deployment's plan memory, read from the
        // stack's outputs): its exported outputs resolve once everything is declared
        const outputs = Object.values(program).filter((v): v is import("@pulumi/pulumi").Output<unknown> => pulumi.Output.isInstance(v));
        await Promise.all(outputs.map((o) => new Promise((resolve) => o.apply(resolve))));
    } else {
        // the floor: the lab's Docker resources with the program's inputs, and nothing else (the
        // "commands" run: and beside them the program's remote commands, with their inputs)
        if (stackTraceMode(spec, env).lean) {
            Error.stackTraceLimit = 0;
        }
        const { plan } = components.planLab(spec);
        for (const h of spec.hosts) {
            const provider = new docker.Provider(`floor-${h.name}`, { host: `ssh://${h.ssh.user}@${h.ssh.address}:${h.ssh.port}` });
            const image = new docker.RemoteImage(`floor-${h.name}-image`, { name: "busybox:latest", keepLocally: true }, { provider });
            const ids = new Map<string, import("@pulumi/pulumi").Output<string>>();
            for (const n of spec.networks.filter((x) => x.hosts.includes(h.name))) {
                const net = new docker.Network(
                    `floor-${n.name}-${h.name}`,
                    { name: n.name, driver: n.driver, options: networkOptions(n, h.name), ipamConfigs: [networkIpam(n, plan, h.name)] },
                    { provider, deleteBeforeReplace: true },
                );
                ids.set(n.name, net.id);
            }
            for (const c of spec.containers.filter((x) => x.host === h.name)) {
                new docker.Container(
                    `floor-${h.name}-${c.name}`,
                    {
                        name: c.name,
                        hostname: c.name,
                        image: image.imageId,
                        command: c.command,
                        restart: c.restart,
                        mustRun: true,
                        networksAdvanced: [{ name: ids.get(c.network)!, ...(c.ip !== undefined ? { ipv4Address: c.ip } : {}) }],
                    },
                    { provider, deleteBeforeReplace: true },
                );
            }
        }
        for (const c of replay) {
            // an input the program gave as a secret (the connection, with its key) arrives as the
            // SDK's secret marker with its value: declared again as a secret
            const inputs = Object.fromEntries(
                Object.entries(c.inputs).map(([k, v]) => {
                    const marker = v as Record<string, unknown> | null;
                    return [k, typeof marker === "object" && marker !== null && marker[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig ? pulumi.secret(marker.value) : v];
                }),
            );
            new command.remote.Command(`floor-${c.name}`, inputs as unknown as import("@pulumi/command").remote.CommandArgs, { deleteBeforeReplace: true });
        }
    }
    const lean = Error.stackTraceLimit === 0;
    // every registration and its outputs done: disconnect() first waits for the queue of RPCs to drain
    await pulumi.runtime.disconnect();
    const declareMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    clearInterval(progress);
    if (mode === "capture") {
        fs.writeFileSync(captureFile, JSON.stringify(captured));
    }
    return {
        what,
        lean,
        hosts,
        containers: spec.containers.length,
        declareMs,
        cpuMs: (cpu.user + cpu.system) / 1000,
        peakRssMb: process.resourceUsage().maxRSS / 1024,
        resources,
        networks,
        auxEntries,
        oldRuleAuxEntries,
    };
}

/**
 * The aux entries the plan gave before it kept only what a host's own range holds: per network and
 * host, the reserved addresses, the hosts' addresses inside the subnet and the other hosts' statics.
 */
function oldRuleAux(spec: import("../components/model/types").LabSpec): number {
    let entries = 0;
    for (const n of spec.networks) {
        const statics = new Map<string, number>();
        let total = 0;
        for (const c of spec.containers) {
            if (c.network === n.name && c.ip !== undefined) {
                statics.set(c.host, (statics.get(c.host) ?? 0) + 1);
                total++;
            }
        }
        for (const h of n.hosts) {
            entries += Object.keys(n.reserved).length + total - (statics.get(h) ?? 0);
        }
    }
    return entries;
}

const REPO_ROOT = path.resolve(__dirname, "..");

/** The program, and the generator with this file, as JavaScript (each built once per content). */
async function build(): Promise<{ program: string; bench: string }> {
    // the program as the lab runs it (with the shell library it installs on hosts), and beside it the
    // generator and this file; loading lab/build.ts loads typescript, which the children never do
    const { buildProgram, transpileTree } = await import("../lab/build");
    const program = buildProgram();
    const bench = transpileTree("bench-program", [path.join(REPO_ROOT, "tools", "generate.ts"), __filename]);
    return { program, bench };
}

/** How a run ended: its numbers, or how far it got before a limit stopped it. */
type Outcome =
    | { ok: true; result: Result }
    | { ok: false; what: Mode; hosts: number; why: string; seconds: number; resources: number; rssMb: number };

type Traces = "by-size" | "full";

/**
 * What a child process does: one of the measured runs, or "capture": the program, run once before
 * the measured runs of a size when the commands run is among them, recording the inputs of its
 * remote commands for it (recording them in the measured program run would add them to its memory).
 */
type Mode = Result["what"] | "capture";

const RUN_LABEL: Record<Result["what"], string> = {
    program: "program",
    floor: "floor (the same Docker resources declared alone)",
    commands: "commands (the floor and the program's remote commands, with their inputs, declared alone)",
};

/** The order of the runs of one size: the program, its floor, the floor with the program's commands. */
const RUN_ORDER: readonly Result["what"][] = ["program", "floor", "commands"];

/**
 * Runs one size (the program or its floor) in a process of its own, with a heap limit and a time
 * limit, so that a size the machine cannot hold ends with a line saying how far it got instead of
 * taking the machine down.
 */
function run(
    root: { program: string; bench: string },
    what: Mode,
    hosts: number,
    o: { heapMb: number; timeoutSeconds: number; traces: Traces },
    captureFile: string,
): Promise<Outcome> {
    const script = path.join(root.bench, "bench", "program.bench.js");
    const started = performance.now();
    return new Promise((resolve) => {
        // BENCH_NODE_ARGS: extra node options for the measured process (e.g. --cpu-prof --cpu-prof-dir=DIR,
        // which NODE_OPTIONS does not take)
        const extra = (process.env.BENCH_NODE_ARGS ?? "").split(/\s+/).filter((x) => x !== "");
        const child = spawn(process.execPath, [`--max-old-space-size=${o.heapMb}`, ...extra, script, "--child", what, String(hosts), root.program, o.traces, captureFile], {
            cwd: REPO_ROOT,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        let progress = { resources: 0, rssMb: 0 };
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
        }, o.timeoutSeconds * 1000);
        child.stdout.on("data", (d: Buffer) => {
            stdout += d.toString();
            const lines = stdout.split("\n");
            stdout = lines.pop() ?? "";
            for (const l of lines) {
                if (l.startsWith("PROGRESS ")) {
                    progress = JSON.parse(l.slice("PROGRESS ".length)) as typeof progress;
                } else if (l.startsWith("RESULT ")) {
                    clearTimeout(timer);
                    resolve({ ok: true, result: JSON.parse(l.slice("RESULT ".length)) as Result });
                }
            }
        });
        child.stderr.on("data", (d: Buffer) => {
            stderr = (stderr + d.toString()).slice(-4000);
        });
        child.on("exit", (code, signal) => {
            clearTimeout(timer);
            const why = timedOut
                ? `stopped after the ${o.timeoutSeconds} s limit`
                : /heap out of memory|Allocation failed/.test(stderr)
                  ? `ran out of its ${o.heapMb} MB heap`
                  : `exited ${code ?? signal}: ${stderr.trim().split("\n").slice(-3).join(" / ")}`;
            resolve({ ok: false, what, hosts, why, seconds: (performance.now() - started) / 1000, ...progress });
        });
    });
}

function printTable(header: string[], rows: string[][]): void {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join("  ");
    console.log(line(header));
    for (const r of rows) {
        console.log(line(r));
    }
}

/** `--sizes 100,400 --heap-mb 12288 --timeout-s 1800 --stack-traces by-size`: the defaults. */
function options(argv: readonly string[]): { sizes: number[]; heapMb: number; timeoutSeconds: number; traces: Traces; runs: Result["what"][] } {
    const get = (name: string): string | undefined => {
        const i = argv.indexOf(name);
        return i >= 0 ? argv[i + 1] : undefined;
    };
    const sizes = (get("--sizes") ?? SIZES.join(",")).split(",").map(Number);
    const heapMb = Number(get("--heap-mb") ?? 12288);
    const timeoutSeconds = Number(get("--timeout-s") ?? 1800);
    const traces = get("--stack-traces") ?? "by-size";
    const runs = (get("--runs") ?? "program,floor,commands").split(",");
    if (
        runs.length === 0 ||
        runs.some((r) => r !== "program" && r !== "floor" && r !== "commands") ||

        sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 1021) ||
        !(heapMb >= 256) ||
        !(timeoutSeconds >= 10) ||
        (traces !== "by-size" && traces !== "full")
    ) {
        throw new Error("usage: npm run bench:program [-- --sizes 100,400] [--heap-mb 12288] [--timeout-s 1800] [--stack-traces by-size|full] [--runs program,floor,commands]");
    }
    return { sizes, heapMb, timeoutSeconds, traces: traces as Traces, runs: runs as Result["what"][] };
}

async function main(): Promise<void> {
    const o = options(process.argv.slice(2));
    console.log(`whole-program benchmark under Pulumi's mocks: index.ts for generated labs of ${o.sizes.join(" and ")} hosts`);
    console.log(`${NETWORKS} networks (one VLAN each, spanning all hosts), ${CONTAINERS_PER_HOST} containers per host, 1 isolation check, seed ${SEED}`);
    console.log(`each run in its own node ${process.version} process, heap limit ${o.heapMb} MB, time limit ${o.timeoutSeconds} s; the program runs as transpiled JavaScript`);
    console.log(
        `stack traces: ${o.traces === "full" ? "kept (MACVLAN_LAB_STACK_TRACES=full)" : "as the program decides (off from 250 Docker resources)"}; ` +
            `runs: ${o.runs.map((r) => RUN_LABEL[r]).join(", ")}`,
    );
    console.log("");
    const root = await build();
    const outcomes: Outcome[] = [];
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-program-"));
    try {
        for (const hosts of o.sizes) {
            const captureFile = path.join(tmp, `commands-${hosts}.json`);
            if (o.runs.includes("commands")) {
                // the program's commands, for the commands run to declare: not measured
                const capture = await run(root, "capture", hosts, o, captureFile);
                if (!capture.ok) {
                    outcomes.push(capture);
                }
            }
            for (const what of [...o.runs].sort((a, b) => RUN_ORDER.indexOf(a) - RUN_ORDER.indexOf(b))) {
                if (what === "commands" && !fs.existsSync(captureFile)) {
                    continue;
                }
                outcomes.push(await run(root, what, hosts, o, captureFile));
            }
        }
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
    const fmt = (x: Outcome): string[] =>
        x.ok
            ? [
                  String(x.result.hosts),
                  String(x.result.containers),
                  x.result.what,
                  x.result.lean ? "off" : "full",
                  String(x.result.resources),
                  (x.result.declareMs / 1000).toFixed(1),
                  (x.result.cpuMs / 1000).toFixed(1),
                  x.result.peakRssMb.toFixed(0),
                  (x.result.declareMs / x.result.resources).toFixed(2),
                  x.result.what === "program" ? String(x.result.auxEntries) : "-",
                  x.result.what === "program" ? String(x.result.oldRuleAuxEntries) : "-",
              ]
            : [String(x.hosts), String(x.hosts * CONTAINERS_PER_HOST), x.what, "?", `${x.resources} so far`, `>${x.seconds.toFixed(0)}`, "-", `>${x.rssMb.toFixed(0)}`, "-", "-", "-"];
    printTable(
        ["hosts", "containers", "run", "stack traces", "resources", "declare s", "cpu s", "peak RSS MB", "ms/resource", "aux entries", "aux entries, old rule"],
        outcomes.map(fmt),
    );
    for (const x of outcomes) {
        if (!x.ok) {
            console.log(`  ${x.what} of ${x.hosts} hosts did not finish: ${x.why} (${x.resources} resources registered, RSS ${x.rssMb.toFixed(0)} MB)`);
        }
    }
    const done = outcomes.filter((x): x is { ok: true; result: Result } => x.ok).map((x) => x.result);
    const ratio = (a: number, b: number): string => (a / b).toFixed(2);
    const programs = done.filter((r) => r.what === "program");
    console.log("");
    for (const p of programs) {
        const f = done.find((r) => r.what === "floor" && r.hosts === p.hosts);
        if (f !== undefined) {
            console.log(
                `${p.hosts} hosts: the program takes x${ratio(p.declareMs, f.declareMs)} the floor's time, x${ratio(p.cpuMs, f.cpuMs)} its CPU time and x${ratio(p.peakRssMb, f.peakRssMb)} its peak RSS ` +
                    `(${ratio(p.resources, f.resources)}x its resources; the floor alone is ${(f.declareMs / 1000).toFixed(1)} s and ${f.peakRssMb.toFixed(0)} MB)`,
            );
        }
        const fc = done.find((r) => r.what === "commands" && r.hosts === p.hosts);
        if (fc !== undefined) {
            console.log(
                `${p.hosts} hosts: with its ${fc.resources - (f?.resources ?? 0)} remote commands declared beside the floor, the program takes x${ratio(p.declareMs, fc.declareMs)} that time, ` +
                    `x${ratio(p.cpuMs, fc.cpuMs)} its CPU time and x${ratio(p.peakRssMb, fc.peakRssMb)} its peak RSS (the floor with the commands is ${(fc.declareMs / 1000).toFixed(1)} s and ${fc.peakRssMb.toFixed(0)} MB)`,
            );
        }
    }
    if (programs.length >= 2) {
        const [small, large] = [programs[0], programs[programs.length - 1]];
        const k = large.hosts / small.hosts;
        console.log(`growth ${large.hosts}/${small.hosts} (${k}x the hosts and containers; linear ~${k}):`);
        console.log(`  declare time x${ratio(large.declareMs, small.declareMs)}, peak RSS x${ratio(large.peakRssMb, small.peakRssMb)}, resources x${ratio(large.resources, small.resources)}, aux entries x${ratio(large.auxEntries, small.auxEntries)} (old rule x${ratio(large.oldRuleAuxEntries, small.oldRuleAuxEntries)})`);
    }
}

if (process.argv[2] === "--child") {
    child(process.argv[3] as Mode, Number(process.argv[4]), process.argv[5], process.argv[6] as Traces, process.argv[7]).then(
        (r) => {
            console.log(`RESULT ${JSON.stringify(r)}`);
            process.exit(0);
        },
        (e: unknown) => {
            console.error(e instanceof Error ? e.stack ?? e.message : String(e));
            process.exit(1);
        },
    );
} else {
    main().catch((e: unknown) => {
        console.error(e instanceof Error ? e.message : String(e));
        process.exit(1);
    });
}

/**
 * What the lab prints for people, pure: plain-text tables, the connectivity matrix, the lines after
 * an apply (VLANs, how to explore, timings), the commands to type for a lab (`npm run lab:down`,
 * `lab:pulumi`, `lab` again), the lines that sum up a run or a tear-down, and the preflight's
 * problems picked out of pulumi's output. (The line saying which parts are real and which stand in
 * is made where they are chosen: `realityLine` in lab/pulumi/engine.ts.)
 */
import { LabHosts, LabTopology, formatTimings } from "../hosts";
import { LoadedStack, defaultLabName } from "../topology";
import type { CheckRow, EngineOutcome } from "./engine";

/** A plain-text table with a header and left-aligned columns. Pure. */
export function formatTable(headers: string[], rows: string[][]): string {
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
    return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** The connectivity matrix: source, target (with its address), network, expected, observed, ok. Pure. */
export function formatMatrix(rows: readonly CheckRow[]): string {
    return formatTable(
        ["source", "target", "network", "expected", "observed", "ok"],
        rows.map((r) => [
            r.source,
            r.targetIp ? `${r.target} (${r.targetIp})` : r.target,
            r.network,
            r.expected,
            r.observed,
            r.ok ? "ok" : "FAIL",
        ]),
    );
}

/** Milliseconds as seconds with one decimal: `4.7 s`. Pure. */
export function secs(ms: number): string {
    return `${(ms / 1000).toFixed(1)} s`;
}

/** The command that applies the stack on the lab (again). Pure. */
export function upCommand(name: string, stack: string): string {
    return `npm run lab -- ${stack}${name === defaultLabName(stack) ? "" : ` --name ${name}`}`;
}

/** The command that tears the lab down. Pure. */
export function downCommand(name: string, stack: string): string {
    return name === defaultLabName(stack) ? `npm run lab:down -- ${stack}` : `npm run lab:down -- --name ${name}`;
}

/** The command that runs pulumi on the lab's stack (its arguments follow). Pure. */
export function pulumiCommand(name: string, stack: string): string {
    return name === defaultLabName(stack) ? `npm run lab:pulumi -- ${stack}` : `npm run lab:pulumi -- ${stack} --name ${name}`;
}

/** The first line of a run: the lab, its stack and its hosts. Pure. */
export function runHeadline(name: string, stack: string, topology: Pick<LabTopology, "hosts">): string {
    return `lab ${name}: stack ${stack} (stacks/Pulumi.${stack}.yaml), ${topology.hosts.length} host(s): ${topology.hosts.map((h) => `${h.name} ${h.address}/${h.prefixLength}`).join(", ")}`;
}

/** What tearing one lab down took (lab/run/down.ts `downLab`). */
export interface DownTimes {
    /** `pulumi destroy`; undefined when it did not run. */
    destroyMs?: number;
    hostsMs: number;
}

/** The line after a failed run that built the hosts tore them down. Pure. */
export function tornDownLine(name: string, d: DownTimes): string {
    return `lab ${name}: torn down (destroy ${d.destroyMs === undefined ? "-" : secs(d.destroyMs)}, hosts ${secs(d.hostsMs)})`;
}

/** The line `lab:down` prints for each lab it tore down (`destroyCode`: pulumi destroy's exit status, when it ran). Pure. */
export function downLine(name: string, totalMs: number, d: DownTimes, destroyCode?: number): string {
    return (
        `lab ${name}: down in ${secs(totalMs)} (destroy ${d.destroyMs === undefined ? "- (nothing applied)" : secs(d.destroyMs)}, ` +
        `hosts ${secs(d.hostsMs)})${destroyCode !== undefined && destroyCode !== 0 ? `; pulumi destroy failed (${destroyCode})` : ""}`
    );
}

/** The preflight's PROBLEM lines in pulumi's output, once each, in order. Pure. */
export function preflightProblems(output: string): string[] {
    const seen = new Set<string>();
    for (const m of output.matchAll(/preflight [^\s:]+: PROBLEM \d+: .*/g)) seen.add(m[0].trimEnd());
    return [...seen];
}

/** What {@link explainLab} reads of the running lab. */
export type ExplainedLab = Pick<LabHosts, "name" | "vlanMode" | "switchNetns" | "controllerKeeperPid" | "timings"> & {
    hosts: ReadonlyArray<Pick<LabHosts["hosts"][number], "name" | "keeperPid">>;
};

/**
 * What to print after a successful `up`: the matrix, emulation, how to explore, how to tear down,
 * the timings (`hostsMs` undefined: the hosts were reused). Pure.
 */
export function explainLab(
    lab: ExplainedLab,
    stack: Pick<LoadedStack, "stack" | "spec">,
    apply: Pick<EngineOutcome, "outputs" | "seconds">,
    hostsMs: number | undefined,
): string[] {
    const out: string[] = [];
    const rows = apply.outputs?.checks ?? [];
    out.push("", "== connectivity (observed by the checks, pinging from inside the containers; `pulumi stack output checks`) ==");
    out.push(rows.length > 0 ? formatMatrix(rows) : "(the stack declares no checks)");
    if (stack.spec.vlans.length > 0) {
        out.push("", "== VLANs ==");
        if (lab.vlanMode === "emulated") {
            out.push(
                "EMULATED: this kernel has no 802.1Q VLAN devices, so the lab emulates each VLAN: every member host has a",
                `separate link named like the VLAN interface (${stack.spec.vlans.map((v) => v.interfaceName).join(", ")}), joined per VLAN by a bridge in ${lab.switchNetns}.`,
                "The ifcfg files are written as on a real host; the host networking steps print EMULATED: lines instead of",
                "creating 802.1Q devices and loading 8021q. On a kernel with 802.1Q the lab uses a real trunk instead.",
            );
        } else {
            out.push("802.1Q: each host's NIC is a trunk and the VLAN interfaces are real 802.1Q devices made by the program.");
        }
    }
    out.push("", "== explore ==");
    out.push("a shell in a container (enter the host's namespaces; `ip netns exec` would reach the wrong dockerd):");
    for (const c of stack.spec.containers) {
        const h = lab.hosts.find((x) => x.name === c.host);
        if (h !== undefined) out.push(`  nsenter -t ${h.keeperPid} -m -u -n docker exec -it ${c.name} sh      # ${c.name} on ${c.host}${c.ip ? `, ${c.ip}` : ""}`);
    }
    const first = lab.hosts[0];
    out.push("a shell on a host, over SSH from the controller (which has no route out; /root/.ssh/config there names every host):");
    out.push(`  nsenter -t ${lab.controllerKeeperPid} -m -u -n ssh ${first.name}`);
    out.push("any pulumi command on the lab's stack:");
    out.push(`  ${pulumiCommand(lab.name, stack.stack)} preview --expect-no-changes`);
    out.push(`  ${pulumiCommand(lab.name, stack.stack)} stack export`);
    out.push("tear down:");
    out.push(`  ${downCommand(lab.name, stack.stack)}`);
    out.push("", "== timings ==");
    out.push(
        formatTable(
            ["phase", "time", "notes"],
            [
                ["hosts up", hostsMs === undefined ? "-" : secs(hostsMs), hostsMs === undefined ? "reused the running hosts" : formatTimings(lab.timings)],
                ["pulumi up", `${apply.seconds.toFixed(1)} s`, "the real engine; includes the checks"],
                ["destroy", "-", `not run: the lab stays up (${downCommand(lab.name, stack.stack)} runs pulumi destroy)`],
            ],
        ),
    );
    return out;
}

/**
 * A topology as Graphviz DOT text, for `dot` (or its WebAssembly build) to lay out. Pure.
 * Labels are HTML-like (`<...>`): a bold first line, then one line each.
 */
import { Topology, TopologyNode, TopologyNodeKind } from "./model";

/** Fill colours of networks, by index (light, told apart at a glance); they repeat after the last. */
export const NETWORK_COLOURS = ["#dbeafe", "#dcfce7", "#fef3c7", "#fce7f3", "#ede9fe", "#ccfbf1", "#fee2e2", "#e5e7eb"];

const SHAPES: Record<TopologyNodeKind, string> = {
    nic: 'shape=box, style="filled", fillcolor="#f3f4f6"',
    vlan: 'shape=box, style="filled,rounded", fillcolor="#f3f4f6"',
    network: 'shape=box, style="filled,bold", penwidth=2',
    attachment: 'shape=box, style="filled,dashed"',
    container: 'shape=box, style="filled,rounded"',
    registry: 'shape=cylinder, style="filled", fillcolor="#fff7ed"',
    shim: 'shape=box, style="filled,diagonals", fillcolor="#f3f4f6"',
    router: 'shape=diamond, style="filled", fillcolor="#f3f4f6"',
};

/** Escapes text for an HTML-like label. */
function html(s: string): string {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Escapes text for a quoted DOT string. */
function quoted(s: string): string {
    return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

function nodeLine(n: TopologyNode): string {
    const label = [`<b>${html(n.title)}</b>`, ...n.lines.map(html)].join("<br/>");
    const fill = n.colour !== undefined ? `, fillcolor=${quoted(NETWORK_COLOURS[n.colour % NETWORK_COLOURS.length])}` : "";
    return `${n.id} [${SHAPES[n.kind]}${fill}, label=<${label}>];`;
}

/** The DOT text of a topology: hosts as clusters, networks outside them, top to bottom. */
export function renderDot(t: Topology): string {
    const inCluster = new Set(t.clusters.flatMap((c) => c.nodes));
    const byId = new Map(t.nodes.map((n) => [n.id, n]));
    const out: string[] = [
        "digraph topology {",
        `  label=${quoted(t.title)}; labelloc=t; fontname="Helvetica"; fontsize=16;`,
        "  rankdir=TB; newrank=true; nodesep=0.3; ranksep=0.45;",
        '  node [fontname="Helvetica", fontsize=11, margin="0.2,0.08"];',
        '  edge [fontname="Helvetica", fontsize=9, arrowhead=none, color="#4b5563", fontcolor="#374151"];',
    ];
    for (const n of t.nodes) {
        if (!inCluster.has(n.id)) out.push(`  ${nodeLine(n)}`);
    }
    for (const c of t.clusters) {
        out.push(`  subgraph cluster_${c.id} {`);
        out.push(`    label=<<b>${html(c.title)}</b><br/>${html(c.detail)}>; style="rounded"; color="#6b7280"; fontsize=13; margin=12;`);
        for (const id of c.nodes) {
            const n = byId.get(id);
            if (n !== undefined) out.push(`    ${nodeLine(n)}`);
        }
        out.push("  }");
    }
    // the networks, which span hosts, in one row above them
    const networks = t.nodes.filter((n) => n.kind === "network").map((n) => n.id);
    if (networks.length > 0) out.push(`  { rank=min; ${networks.join("; ")}; }`);
    for (const e of t.edges) {
        const attrs = [
            ...(e.label !== undefined ? [`label=${quoted(e.label)}`] : []),
            ...(e.style === "dashed" ? ["style=dashed", "arrowhead=normal"] : []),
            ...(e.style === "invisible" ? ["style=invis"] : []),
        ];
        out.push(`  ${e.from} -> ${e.to}${attrs.length > 0 ? ` [${attrs.join(", ")}]` : ""};`);
    }
    out.push("}");
    return out.join("\n") + "\n";
}

/**
 * A topology as Mermaid flowchart text, which code hosting sites render where it is written in
 * Markdown (a ```mermaid block). Pure.
 */
import { NETWORK_COLOURS } from "./dot";
import { Topology, TopologyNode, TopologyNodeKind } from "./model";

/** Opening and closing brackets of each kind's shape. */
const SHAPES: Record<TopologyNodeKind, [string, string]> = {
    nic: ["[", "]"],
    vlan: ["(", ")"],
    network: ["[[", "]]"],
    attachment: ["[", "]"],
    container: ["(", ")"],
    registry: ["[(", ")]"],
    shim: ["[[", "]]"],
    router: ["{{", "}}"],
};

const CLASSES: Record<TopologyNodeKind, string> = {
    nic: "fill:#f3f4f6,stroke:#6b7280",
    vlan: "fill:#f3f4f6,stroke:#6b7280",
    network: "stroke:#1f2937,stroke-width:2px",
    attachment: "stroke:#6b7280,stroke-dasharray:4 3",
    container: "stroke:#374151",
    registry: "fill:#fff7ed,stroke:#9a3412",
    shim: "fill:#f3f4f6,stroke:#6b7280",
    router: "fill:#f3f4f6,stroke:#6b7280",
};

/** Escapes text for a quoted Mermaid label (entity codes; `<b>`/`<br/>` are added by us only). */
function text(s: string): string {
    return s.replace(/[#"<>&]/g, (ch) => `#${ch.charCodeAt(0)};`);
}

function nodeLine(n: TopologyNode): string {
    const [open, close] = SHAPES[n.kind];
    const label = [`<b>${text(n.title)}</b>`, ...n.lines.map(text)].join("<br/>");
    return `${n.id}${open}"${label}"${close}:::${n.kind}`;
}

/** The Mermaid flowchart of a topology: hosts as subgraphs, networks outside them, top to bottom. */
export function renderMermaid(t: Topology): string {
    const inCluster = new Set(t.clusters.flatMap((c) => c.nodes));
    const byId = new Map(t.nodes.map((n) => [n.id, n]));
    const out: string[] = ["---", `title: ${JSON.stringify(t.title)}`, "---", "flowchart TB"];
    for (const n of t.nodes) {
        if (!inCluster.has(n.id)) out.push(`  ${nodeLine(n)}`);
    }
    for (const c of t.clusters) {
        out.push(`  subgraph ${c.id}["<b>${text(c.title)}</b><br/>${text(c.detail)}"]`);
        for (const id of c.nodes) {
            const n = byId.get(id);
            if (n !== undefined) out.push(`    ${nodeLine(n)}`);
        }
        out.push("  end");
    }
    for (const e of t.edges) {
        const label = e.label !== undefined ? `|"${text(e.label)}"|` : "";
        const link = e.style === "dashed" ? "-.->" : e.style === "invisible" ? "~~~" : "---";
        out.push(`  ${e.from} ${link}${e.style === "invisible" ? "" : label} ${e.to}`);
    }
    for (const [kind, css] of Object.entries(CLASSES)) out.push(`  classDef ${kind} ${css}`);
    for (const n of t.nodes) {
        if (n.colour !== undefined) out.push(`  style ${n.id} fill:${NETWORK_COLOURS[n.colour % NETWORK_COLOURS.length]}`);
    }
    return out.join("\n") + "\n";
}

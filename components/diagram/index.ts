/**
 * Topology diagrams of a lab from its validated spec and address plan: hosts, parent NICs, VLAN
 * interfaces, Docker networks (subnet, gateway, reserved addresses) and each host's range,
 * containers with their addresses, the registry. Pure: text in, text out; `npm run diagram` lays
 * the DOT text out as SVG with Graphviz.
 */
import { LabPlan } from "../model/plan";
import { LabParts } from "../model/types";
import { renderDot } from "./dot";
import { TOPOLOGY_LAYERS } from "./layers";
import { renderMermaid } from "./mermaid";
import { Topology, buildTopology } from "./model";

export interface TopologyOptions {
    /** The diagram's title. Defaults to `macvlan-lab topology`. */
    title?: string;
}

/** The topology graph of a lab (what both renderers draw). */
export function topologyGraph(spec: LabParts, plan: LabPlan, options: TopologyOptions = {}): Topology {
    return buildTopology(spec, plan, TOPOLOGY_LAYERS, options.title ?? "macvlan-lab topology");
}

/** The topology as a Mermaid flowchart (renders in Markdown on code hosting sites). */
export function topologyMermaid(spec: LabParts, plan: LabPlan, options: TopologyOptions = {}): string {
    return renderMermaid(topologyGraph(spec, plan, options));
}

/** The topology as Graphviz DOT text (lay it out with `dot -Tsvg`). */
export function topologyDot(spec: LabParts, plan: LabPlan, options: TopologyOptions = {}): string {
    return renderDot(topologyGraph(spec, plan, options));
}

/**
 * The topology of a lab as a small graph: nodes (each a few lines of text), host clusters and
 * edges. Built from the validated spec and the address plan by layers (./layers.ts), drawn by
 * renderers (./dot.ts, ./mermaid.ts) that know nothing about labs. Pure.
 */
import { LabPlan } from "../model/plan";
import { LabParts } from "../model/types";

/** What a node stands for; renderers pick its shape and colour from it. */
export type TopologyNodeKind =
    | "nic" // a host's parent NIC
    | "vlan" // a VLAN interface on a host
    | "network" // a Docker network as a whole: name, driver, subnet, gateway, reserved addresses
    | "attachment" // a Docker network on one host: its parent and the host's dynamic range
    | "container"
    | "registry"
    | "shim" // a host's own macvlan/ipvlan link to its containers (./routing.ts)
    | "router";

export interface TopologyNode {
    /** Unique in the graph; `[A-Za-z0-9_]` only, so both renderers use it as it is. */
    id: string;
    kind: TopologyNodeKind;
    /** First line, drawn bold. */
    title: string;
    /** Further lines, in order. */
    lines: string[];
    /** Index of the network whose colour the node takes (networks are told apart by colour). */
    colour?: number;
}

export interface TopologyCluster {
    /** `[A-Za-z0-9_]` only. */
    id: string;
    /** First line of the cluster's title: the host's name. */
    title: string;
    /** The title's second line: user, address, port, backend. */
    detail: string;
    /** Ids of the nodes drawn inside it. */
    nodes: string[];
}

export interface TopologyEdge {
    from: string;
    to: string;
    label?: string;
    /**
     * `solid`: a link (a network on a parent, a container on a network); `dashed`: a relation that
     * is not a link; `invisible`: a layout hint only (keeps one node below another), not drawn.
     */
    style: "solid" | "dashed" | "invisible";
}

export interface Topology {
    title: string;
    nodes: TopologyNode[];
    clusters: TopologyCluster[];
    edges: TopologyEdge[];
}

/**
 * One kind of thing the diagram shows. A layer reads the spec and plan and adds nodes, edges and
 * cluster members to the graph; layers run in order, so a later one may attach to what an earlier
 * one drew (look nodes up with {@link TopologyBuilder.find}).
 */
export interface TopologyLayer {
    name: string;
    add(spec: LabParts, plan: LabPlan, graph: TopologyBuilder): void;
}

/** The graph under construction, with stable ids for what layers refer to. */
export class TopologyBuilder {
    private readonly nodes: TopologyNode[] = [];
    private readonly clusters: TopologyCluster[] = [];
    private readonly edges: TopologyEdge[] = [];
    private readonly byKey = new Map<string, string>();

    /**
     * The id of the node or cluster that a layer registered under `key` (e.g. `host:docker01`,
     * `nic:docker01`, `vlan:docker01:ens33.10`, `network:mac_net10`, `attachment:mac_net10:docker01`,
     * `container:docker01/bbox10`, `registry`), or undefined.
     */
    find(key: string): string | undefined {
        return this.byKey.get(key);
    }

    /** Adds a cluster (a host) and returns its id. */
    cluster(key: string, title: string, detail: string): string {
        const id = `c${this.clusters.length}`;
        this.clusters.push({ id, title, detail, nodes: [] });
        this.byKey.set(key, id);
        return id;
    }

    /** Adds a node, inside the cluster `clusterId` when given, and returns its id. */
    node(key: string, node: Omit<TopologyNode, "id">, clusterId?: string): string {
        if (this.byKey.has(key)) {
            throw new Error(`topology: ${key} is drawn twice`);
        }
        const id = `n${this.nodes.length}`;
        this.nodes.push({ id, ...node });
        this.byKey.set(key, id);
        if (clusterId !== undefined) {
            const c = this.clusters.find((x) => x.id === clusterId);
            if (c === undefined) throw new Error(`topology: no cluster ${clusterId}`);
            c.nodes.push(id);
        }
        return id;
    }

    edge(from: string, to: string, label?: string, style: TopologyEdge["style"] = "solid"): void {
        this.edges.push({ from, to, ...(label !== undefined ? { label } : {}), style });
    }

    build(title: string): Topology {
        return {
            title,
            nodes: this.nodes.map((n) => ({ ...n, lines: [...n.lines] })),
            clusters: this.clusters.map((c) => ({ ...c, nodes: [...c.nodes] })),
            edges: this.edges.map((e) => ({ ...e })),
        };
    }
}

/** Runs `layers` in order over an empty graph. */
export function buildTopology(spec: LabParts, plan: LabPlan, layers: readonly TopologyLayer[], title: string): Topology {
    const graph = new TopologyBuilder();
    for (const layer of layers) layer.add(spec, plan, graph);
    return graph.build(title);
}

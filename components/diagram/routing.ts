/**
 * The routing layer of the topology diagram (issue 12): each host shim as a node of kind "shim"
 * inside its host, linked to the network's attachment there, and the inter-VLAN router as one node
 * of kind "router" on its host, linked to each routed network's attachment by its leg. Pure.
 */
import { shimRoutes } from "../host/routing";
import { TopologyLayer } from "./model";

export const routingLayer: TopologyLayer = {
    name: "routing",
    add(spec, plan, graph) {
        for (const s of spec.shims ?? []) {
            const routes = plan.networks[s.network] ? shimRoutes(plan, s.network, s.host, spec.containers) : [];
            const id = graph.node(
                `shim:${s.host}:${s.network}`,
                { kind: "shim", title: s.name, lines: [`shim ${s.address}/32`, `routes ${routes.join(", ")}`] },
                graph.find(`host:${s.host}`),
            );
            const attachment = graph.find(`attachment:${s.network}:${s.host}`);
            if (attachment !== undefined) graph.edge(attachment, id, "shim");
        }
        const r = spec.router;
        if (r === undefined) return;
        const lines = r.networks.map((n) => `${r.legs[n]} ${plan.networks[n]?.gateway ?? "?"} (${n})`);
        for (const [a, b] of r.allow) lines.push(`allow ${a} <-> ${b}`);
        if (r.allow.length === 0) lines.push("allow nothing");
        const id = graph.node(`router:${r.host}`, { kind: "router", title: "router", lines }, graph.find(`host:${r.host}`));
        for (const n of r.networks) {
            const attachment = graph.find(`attachment:${n}:${r.host}`);
            if (attachment !== undefined) graph.edge(attachment, id, r.legs[n]);
        }
    },
};

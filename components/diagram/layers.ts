/**
 * What the topology diagram shows, one layer per kind of thing, in drawing order. Pure.
 *
 * Host shims and the inter-VLAN router are drawn by the routing layer (./routing.ts), registered in
 * {@link TOPOLOGY_LAYERS} after `containers`: each as a node of kind "shim" or "router" inside its
 * host's cluster, linked to the network's attachment on that host.
 */
import { mirroredReference } from "../docker/registry";
import { TopologyBuilder, TopologyLayer } from "./model";
import { routingLayer } from "./routing";

/** Key of an interface node (a parent NIC, a VLAN interface or another parent) on a host. */
function ifaceKey(host: string, name: string): string {
    return `iface:${host}:${name}`;
}

/** The interface node `name` on `host`, drawn as a plain interface when no layer drew it yet. */
function iface(graph: TopologyBuilder, host: string, name: string): string {
    return (
        graph.find(ifaceKey(host, name)) ??
        graph.node(ifaceKey(host, name), { kind: "nic", title: name, lines: ["interface"] }, graph.find(`host:${host}`))
    );
}

/** One cluster per host, with its parent NIC. */
export const hostsLayer: TopologyLayer = {
    name: "hosts",
    add(spec, _plan, graph) {
        for (const h of spec.hosts) {
            const cluster = graph.cluster(`host:${h.name}`, h.name, `${h.ssh.user}@${h.ssh.address}:${h.ssh.port}, ${h.backend}`);
            graph.node(
                ifaceKey(h.name, h.nic),
                { kind: "nic", title: h.nic, lines: [h.nicIsManagement ? "parent NIC, promiscuous, management" : "parent NIC, promiscuous"] },
                cluster,
            );
        }
    },
};

/** Each VLAN interface on each member host, on its parent. */
export const vlansLayer: TopologyLayer = {
    name: "vlans",
    add(spec, _plan, graph) {
        for (const v of spec.vlans) {
            for (const m of v.members) {
                const lines = [`VLAN ${v.id}`, m.address];
                if (v.gateway !== undefined) lines.push(`gateway ${v.gateway}${v.defaultRoute ? " (default route)" : ""}`);
                const id = graph.node(ifaceKey(m.host, v.interfaceName), { kind: "vlan", title: v.interfaceName, lines }, graph.find(`host:${m.host}`));
                graph.edge(id, iface(graph, m.host, v.parent), `802.1Q ${v.id}`);
            }
        }
    },
};

/**
 * Each Docker network once (driver, subnet, gateway, VLAN, reserved addresses), and on each of its
 * hosts an attachment: the parent it sits on and the host's dynamic range from the plan.
 */
export const networksLayer: TopologyLayer = {
    name: "networks",
    add(spec, plan, graph) {
        spec.networks.forEach((n, colour) => {
            const lines = [`${n.driver} ${n.mode}`, n.subnet, `gateway ${n.gateway}`];
            if (n.vlan !== undefined) lines.push(`VLAN ${n.vlan}`);
            for (const [name, address] of Object.entries(n.reserved)) lines.push(`reserved ${name} ${address}`);
            const network = graph.node(`network:${n.name}`, { kind: "network", title: n.name, lines, colour });
            for (const h of n.hosts) {
                const range = plan.networks[n.name]?.ranges[h];
                const attachment = graph.node(
                    `attachment:${n.name}:${h}`,
                    { kind: "attachment", title: n.name, lines: [`ip-range ${range ?? "none"}`], colour },
                    graph.find(`host:${h}`),
                );
                graph.edge(network, attachment);
                graph.edge(attachment, iface(graph, h, n.parents[h]), "parent");
            }
        });
    },
};

/** Each container on its host, with its address (or the range Docker picks one from). */
export const containersLayer: TopologyLayer = {
    name: "containers",
    add(spec, plan, graph) {
        spec.networks.forEach((n, colour) => {
            for (const c of spec.containers.filter((x) => x.network === n.name)) {
                const range = plan.networks[n.name]?.ranges[c.host];
                const address = c.ip ?? `address from ${range ?? "none"}`;
                const id = graph.node(
                    `container:${c.host}/${c.name}`,
                    { kind: "container", title: c.name, lines: [address, c.image], colour },
                    graph.find(`host:${c.host}`),
                );
                const attachment = graph.find(`attachment:${n.name}:${c.host}`);
                if (attachment !== undefined) graph.edge(attachment, id);
            }
        });
    },
};

/** The private registry on its host: where daemons reach it, what it mirrors, who trusts it. */
export const registryLayer: TopologyLayer = {
    name: "registry",
    add(spec, _plan, graph) {
        const r = spec.registry;
        if (r === undefined) return;
        const lines = [r.endpoint, `${r.image}, volume ${r.volume}`];
        lines.push(r.security === "tls" ? `tls${r.users.length > 0 ? `, users ${r.users.map((u) => u.name).join(", ")}` : ""}` : "insecure: plain HTTP");
        for (const m of r.mirrors) lines.push(`mirror ${m.source} -> ${mirroredReference(r, m.name, m.tag)}`);
        // MacvlanLab makes every host's daemon trust the registry (insecure-registries)
        lines.push(`trusted by ${spec.hosts.map((h) => h.name).join(", ")}`);
        const id = graph.node("registry", { kind: "registry", title: "registry", lines }, graph.find(`host:${r.host}`));
        // drawn at the bottom of its host, below the parent interface of a network there
        const network = spec.networks.find((n) => n.hosts.includes(r.host));
        const above = network !== undefined ? graph.find(ifaceKey(r.host, network.parents[r.host])) : undefined;
        if (above !== undefined) graph.edge(above, id, undefined, "invisible");
    },
};

/** Every layer, in drawing order. A new kind of thing is a new layer here (see the file's comment). */
export const TOPOLOGY_LAYERS: readonly TopologyLayer[] = [hostsLayer, vlansLayer, networksLayer, containersLayer, routingLayer, registryLayer];

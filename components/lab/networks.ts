/**
 * MacvlanLab phase "networks": each macvlan network once, on every host it spans, with that host's
 * planned range, after the network's parent (the NIC or the VLAN interface) is up there.
 */
import { MacvlanNetwork, NetworkHostTarget } from "../docker/macvlanNetwork";
import { LabContext, LabParts } from "./context";

export function declareNetworks(ctx: LabContext, parts: Pick<LabParts, "hostNetworking" | "providers">): Record<string, MacvlanNetwork> {
    const networks: Record<string, MacvlanNetwork> = {};
    for (const n of ctx.spec.networks) {
        const targets: Record<string, NetworkHostTarget> = {};
        for (const h of n.hosts) {
            const net = parts.hostNetworking[h];
            const vlan = net.vlanInterfaces[n.parents[h]];
            targets[h] = {
                provider: parts.providers[h],
                dependsOn: vlan ? vlan.ready : net.parentInterface.ready,
                // a replaced VLAN interface (ip link delete) replaces the network and its containers
                ...(vlan ? { parentRevision: vlan.revision } : {}),
            };
        }
        networks[n.name] = new MacvlanNetwork(`${ctx.name}-${n.name}`, { network: n, plan: ctx.plan, hosts: targets, labels: ctx.labels }, { parent: ctx.lab });
    }
    return networks;
}

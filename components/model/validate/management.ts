/** The management addresses: no VLAN or network may take a host's SSH address or its subnet. */
import { IPV4 } from "../../contracts";
import { HostSpec } from "../types";
import { pathKey, quote } from "../messages";
import { Reader, boundsOf, cidrBounds, inBounds, listing } from "./reader";
import type { ReadVlans } from "./vlans";
import { ReadNetworks, spans } from "./networks";

/**
 * The management address is how the controller reaches a host: no VLAN may take it or put it inside
 * another subnet on that host (a second route to the controller's subnet through a VLAN would cut
 * the SSH session configuring it). A Docker network may share the management subnet only where it
 * sits on the management NIC itself (no VLAN, `nicIsManagement`): containers on the hosts' LAN,
 * the most common macvlan setup. Elsewhere a subnet holding the management address would be a
 * second segment with the LAN's addresses.
 */
export function checkManagementAddresses(r: Reader, hosts: HostSpec[], vlans: ReadVlans, networks: ReadNetworks): void {
    const managed = hosts.filter((h) => IPV4.test(h.ssh.address));
    vlans.specs.forEach((vl) => {
        const i = vlans.index.get(vl)!;
        const members = new Map(vl.members.map((m) => [m.host, m]));
        for (const h of managed) {
            const m = members.get(h.name);
            if (!m) {
                continue;
            }
            const [ip, len] = m.address.split("/");
            const p = pathKey(`vlans[${i}].addresses`, h.name);
            if (ip === h.ssh.address) {
                r.fail(p, `${p} ${quote(m.address)} is the management address of ${h.name} (its SSH address); the VLAN would move it off the management NIC and cut the connection: pick another address`);
            } else if (inBounds(boundsOf(ip, Number(len)), h.ssh.address)) {
                r.fail(p, `${p} ${quote(m.address)} puts the management address ${h.ssh.address} of ${h.name} inside the subnet of ${vl.interfaceName}; the host would route its SSH replies through the VLAN: use a subnet that does not contain ${h.ssh.address}`);
            }
        }
    });
    for (const n of networks.specs) {
        const i = networks.index.get(n.name)!;
        const bounds = cidrBounds(n.subnet);
        const apart = managed.filter((h) => spans(n, h.name) && inBounds(bounds, h.ssh.address) && !(n.parents[h.name] === h.nic && h.nicIsManagement));
        if (apart.length === 0) {
            continue;
        }
        const where = apart.map((h) => `${h.ssh.address} of ${h.name} (the network is on ${n.parents[h.name]} there${n.parents[h.name] === h.nic ? ", and nicIsManagement is false" : ""})`);
        r.fail(
            `networks[${i}].subnet`,
            `networks[${i}].subnet ${quote(n.subnet)} contains the management address ${listing(where)}: a second segment with the management LAN's addresses, which Docker could hand to containers; use a subnet apart from the management network, or put the network on the management NIC itself (no VLAN) for containers on the hosts' LAN`,
        );
    }
}

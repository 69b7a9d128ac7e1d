import { HostBackend } from "./types";

/**
 * netplan rendering to systemd-networkd (Ubuntu servers): a VLAN is a file of our own,
 * `configDir/90-macvlan-lab-<dev>.yaml` (/etc/netplan, mode 600), on the parent's netplan id, then
 * `netplan generate` and `networkctl reload` (never `netplan apply`, which replugs the management
 * NIC); the host's own netplan files are never edited. What netplan cannot say (a promiscuous NIC,
 * macvlan and ipvlan links) is networkd's, as the networkd backend writes it, in `networkdDir`.
 */
export const netplan: HostBackend = {
    name: "netplan",
    modules: ["host/backends/detect.sh", "host/backends/networkd.sh", "host/backends/netplan.sh"],
    routes: true,
    usesConfigDir: true,
    parentVars: (_host, o) => [["nd_dir", o.networkdDir]],
    vlanVars: (host, v, o) => [
        ["np_dir", host.configDir],
        ["nd_dir", o.networkdDir],
        ["gateway", v.gateway ?? ""],
        ["defroute", v.defaultRoute ? "yes" : "no"],
    ],
    linkVars: (_host, _l, o) => [["nd_dir", o.networkdDir]],
    linkPersistence: "systemd-networkd files",
    persistent: true,
};

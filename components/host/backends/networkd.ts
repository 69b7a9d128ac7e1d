import { HostBackend } from "./types";

/**
 * systemd-networkd: `.netdev` and `.network` files of our own in `configDir` (/etc/systemd/network)
 * for each VLAN, host shim and router leg, and drop-ins of the .network file networkd applies to a
 * parent (never the file itself): `Promiscuous=yes` for the NIC, `VLAN=` / `MACVLAN=` / `IPVLAN=`
 * for what is made on it (networkd creates stacked links only from their parent's .network). Applied
 * with `networkctl reload`; delete removes the files and reloads.
 */
export const networkd: HostBackend = {
    name: "networkd",
    modules: ["host/backends/detect.sh", "host/backends/networkd.sh"],
    routes: true,
    usesConfigDir: true,
    parentVars: (host) => [["nd_dir", host.configDir]],
    vlanVars: (host, v) => [
        ["nd_dir", host.configDir],
        ["gateway", v.gateway ?? ""],
        ["defroute", v.defaultRoute ? "yes" : "no"],
    ],
    linkVars: (host) => [["nd_dir", host.configDir]],
    linkPersistence: "systemd-networkd files",
    persistent: true,
};

import { HostBackend } from "./types";
import { dispatcherPath } from "./nm";

/**
 * initscripts / network-scripts (RHEL, CentOS 7): ifcfg files in `configDir`, `ifup` / `ifdown`.
 * The parent NIC keeps `PROMISC=yes` in its ifcfg file as the tutorial writes it, and is made
 * promiscuous at boot by a block in the ifup-local hook (initscripts do not apply `PROMISC=yes`);
 * where NetworkManager reads the ifcfg files and manages the NIC (CentOS 7's default), ifup hands it
 * to `nmcli connection up` and the hook never runs: there a NetworkManager dispatcher script too.
 * A VLAN is `ifcfg-<parent>.<id>` (GATEWAY only when the VLAN has one, then DEFROUTE=no unless
 * defaultRoute), brought up with the host's `ifup` (which hands it to NetworkManager where that
 * manages it).
 */
export const ifcfg: HostBackend = {
    name: "ifcfg",
    modules: ["host/backends/nm-dispatcher.sh", "host/backends/ifcfg.sh"],
    routes: true,
    usesConfigDir: true,
    parentVars: (host, o) => [
        ["cfg", `${host.configDir}/ifcfg-${host.nic}`],
        ["hook", o.ifupLocal],
        ["dispatcher", dispatcherPath(host, o)],
    ],
    vlanVars: (host, v) => [
        ["ip", v.ip],
        ["prefix", v.prefix],
        ["gateway", v.gateway ?? ""],
        ["defroute", v.defaultRoute ? "yes" : "no"],
        ["cfg_dir", host.configDir],
        ["cfg", `${host.configDir}/ifcfg-${v.dev}`],
    ],
    // network-scripts have no macvlan or ipvlan type: a small systemd unit per link
    linkVars: (_host, l, o) => [
        ["unit", `${o.systemdDir}/macvlan-lab-${l.dev}.service`],
        ["wants", `${o.systemdDir}/multi-user.target.wants/macvlan-lab-${l.dev}.service`],
    ],
    linkPersistence: "systemd unit",
    persistent: true,
};

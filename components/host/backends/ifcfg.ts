import { HostBackend } from "./types";

/**
 * initscripts / network-scripts (RHEL, CentOS 7): ifcfg files in `configDir`, `ifup` / `ifdown`.
 * The parent NIC keeps `PROMISC=yes` in its ifcfg file as the tutorial writes it, and is made
 * promiscuous at boot by a block in the ifup-local hook (initscripts do not apply `PROMISC=yes`).
 * A VLAN is `ifcfg-<parent>.<id>` (GATEWAY only when the VLAN has one, then DEFROUTE=no unless
 * defaultRoute).
 */
export const ifcfg: HostBackend = {
    name: "ifcfg",
    module: "host/backends/ifcfg.sh",
    routes: true,
    usesConfigDir: true,
    parentVars: (host, o) => [
        ["cfg", `${host.configDir}/ifcfg-${host.nic}`],
        ["hook", o.ifupLocal],
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
};

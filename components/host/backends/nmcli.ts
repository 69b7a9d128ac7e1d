import { HostBackend } from "./types";
import { dispatcherPath } from "./nm";

/**
 * NetworkManager: the parent NIC's active connection gets `802-3-ethernet.accept-all-mac-addresses
 * true` (applied by NetworkManager at every activation, at boot too), or, where the connection
 * cannot keep it (NetworkManager before 1.32, a connection that lives in memory), a dispatcher
 * script; a VLAN is a connection profile named `<parent>.<id>` (`ipv4.gateway` only when the VLAN
 * has one, then `ipv4.never-default yes` unless defaultRoute).
 */
export const nmcli: HostBackend = {
    name: "nmcli",
    modules: ["host/backends/nm-dispatcher.sh", "host/backends/nmcli.sh"],
    routes: true,
    usesConfigDir: false,
    parentVars: (host, o) => [["dispatcher", dispatcherPath(host, o)]],
    vlanVars: (_host, v) => [
        ["con", v.dev],
        ["gateway", v.gateway ?? ""],
        ["never_default", v.defaultRoute ? "no" : "yes"],
    ],
    // a connection profile of type macvlan / ipvlan, named like the link; NetworkManager's numbers
    // for the modes (libnm NMSettingMacvlanMode: vepa 1, bridge 2, private 3, passthru 4;
    // NMSettingIpvlanMode: l2 1, l3 2, l3s 3)
    linkVars: (_host, l) => [
        ["con", l.dev],
        ["nm_mode", NM_MODES[l.kind][l.mode] ?? 0],
        ["nm_routes", l.routes.map((r) => `${r} src=${l.ip}`).join(", ")],
    ],
    linkPersistence: "NetworkManager profile",
    persistent: true,
};

const NM_MODES: Record<"macvlan" | "ipvlan", Record<string, number>> = {
    macvlan: { vepa: 1, bridge: 2, private: 3, passthru: 4 },
    ipvlan: { l2: 1, l3: 2, l3s: 3 },
};

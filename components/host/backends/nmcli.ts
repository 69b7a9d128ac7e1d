import { HostBackend } from "./types";

/**
 * NetworkManager: the parent NIC's active connection gets `802-3-ethernet.accept-all-mac-addresses
 * true` (applied by NetworkManager at every activation, at boot too); a VLAN is a connection profile
 * named `<parent>.<id>` (`ipv4.gateway` only when the VLAN has one, then `ipv4.never-default yes`
 * unless defaultRoute).
 */
export const nmcli: HostBackend = {
    name: "nmcli",
    module: "host/backends/nmcli.sh",
    routes: true,
    usesConfigDir: false,
    parentVars: () => [],
    vlanVars: (_host, v) => [
        ["con", v.dev],
        ["gateway", v.gateway ?? ""],
        ["never_default", v.defaultRoute ? "no" : "yes"],
    ],
};

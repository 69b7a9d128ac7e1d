import { HostBackend } from "./types";

/**
 * Runtime only (hosts whose configuration is managed elsewhere): `ip link set ... promisc on`,
 * `ip link add ... type vlan`, nothing persisted, and every script says so. No routes. The router's
 * forwarding and policy and a link's ARP settings are runtime only too. Never picked by auto.
 */
export const iproute2: HostBackend = {
    name: "iproute2",
    modules: ["host/backends/iproute2.sh"],
    routes: false,
    usesConfigDir: false,
    parentVars: () => [],
    vlanVars: () => [],
    linkVars: () => [],
    linkPersistence: "runtime only",
    persistent: false,
};

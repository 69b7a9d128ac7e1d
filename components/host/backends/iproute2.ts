import { HostBackend } from "./types";

/**
 * Runtime only (hosts whose configuration is managed elsewhere): `ip link set ... promisc on`,
 * `ip link add ... type vlan`, nothing persisted, and every script says so. No routes.
 */
export const iproute2: HostBackend = {
    name: "iproute2",
    module: "host/backends/iproute2.sh",
    routes: false,
    usesConfigDir: false,
    parentVars: () => [],
    vlanVars: () => [],
    linkVars: () => [],
    linkPersistence: "runtime only",
};

import { HostSpec } from "../../model/types";
import { BackendPaths } from "./types";

/** The NetworkManager dispatcher script that keeps `host.nic` promiscuous (host/backends/nm-dispatcher.sh). */
export function dispatcherPath(host: HostSpec, o: BackendPaths): string {
    return `${o.nmDispatcherDir}/90-macvlan-lab-promisc-${host.nic}`;
}

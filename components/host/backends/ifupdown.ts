import { HostBackend } from "./types";

/**
 * ifupdown (Debian): stanzas in files of our own under `configDir/interfaces.d` (/etc/network),
 * which the host's interfaces file must source (it is never edited), brought up with `ifup`; the
 * NIC promiscuous through a hook of our own in `configDir/if-up.d`; a host shim or router leg as a
 * stanza that makes its link in pre-up and its routes in up.
 */
export const ifupdown: HostBackend = {
    name: "ifupdown",
    modules: ["host/backends/detect.sh", "host/backends/ifupdown.sh"],
    routes: true,
    usesConfigDir: true,
    parentVars: (host) => [["ifu_dir", host.configDir]],
    vlanVars: (host, v) => [
        ["ifu_dir", host.configDir],
        ["gateway", v.gateway ?? ""],
        ["defroute", v.defaultRoute ? "yes" : "no"],
    ],
    linkVars: (host) => [["ifu_dir", host.configDir]],
    linkPersistence: "ifupdown stanza",
    persistent: true,
};

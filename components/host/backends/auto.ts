import { DEFAULT_CONFIG_DIRS } from "../../model/validate";
import { HostSpec, NetworkBackend } from "../../model/types";
import { BackendPaths, HostBackend, ScriptVar } from "./types";

/**
 * `backend: auto`: the backend of the network stack that really manages the host's parent NIC,
 * told on the host by host/backends/detect.sh (the same rules the preflight prints before the apply,
 * or refuses the host with), among `picks` (every backend that keeps configuration; never
 * iproute2). The thin script sources detect.sh and auto.sh, assigns the inputs of every backend it
 * may pick (each with its default config directory) and calls `backend_auto <action>` first, which
 * sources the picked backend's modules; create records the pick for the component, and its delete
 * and check use the record.
 */
export function autoBackend(picks: readonly HostBackend[]): HostBackend {
    const each = (host: HostSpec, f: (b: HostBackend, h: HostSpec) => ScriptVar[], record: string, o: BackendPaths): ScriptVar[] =>
        union([
            // each with its default directory (networkd's: the render options' networkdDir, where netplan writes too)
            ...picks.flatMap((b) => f(b, { ...host, backend: b.name as NetworkBackend, configDir: b.name === "networkd" ? o.networkdDir : DEFAULT_CONFIG_DIRS[b.name as NetworkBackend] })),
            // what detect.sh reads
            ["cfg_dir", DEFAULT_CONFIG_DIRS.ifcfg],
            ["ifu_dir", DEFAULT_CONFIG_DIRS.ifupdown],
            ["marker", o.emulationMarker],
            ["auto_nic", host.nic],
            ["auto_record", `${o.stateDir}/host/${record}.backend`],
        ]);
    return {
        name: "auto",
        modules: ["host/backends/detect.sh", "host/backends/auto.sh"],
        routes: picks.every((b) => b.routes),
        usesConfigDir: false,
        parentVars: (host, o) => each(host, (b, h) => b.parentVars(h, o), `parent-${host.nic}`, o),
        vlanVars: (host, v, o) => each(host, (b, h) => b.vlanVars(h, v, o), `vlan-${v.dev}`, o),
        linkVars: (host, l, o) => each(host, (b, h) => b.linkVars(h, l, o), `link-${l.dev}`, o),
        linkPersistence: "chosen on the host",
        persistent: picks.every((b) => b.persistent),
        around: (action) => ({ before: [`backend_auto ${action}`], after: action === "delete" ? ["backend_auto_done"] : [] }),
    };
}

/** Variables of several backends as one list: a name once; the same name with two values is a bug. */
export function union(vars: readonly ScriptVar[]): ScriptVar[] {
    const seen = new Map<string, string | number>();
    const out: ScriptVar[] = [];
    for (const [name, value] of vars) {
        if (!seen.has(name)) {
            seen.set(name, value);
            out.push([name, value]);
        } else if (seen.get(name) !== value) {
            throw new Error(`backend auto: the input ${name} is ${JSON.stringify(seen.get(name))} for one backend and ${JSON.stringify(value)} for another`);
        }
    }
    return out;
}

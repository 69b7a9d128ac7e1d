/**
 * The names the config declares, read leniently before any section is read: a reference to a
 * declared name whose entry failed its own check is not reported again (one error per problem).
 */
import { DOCKER_NAME, HOST_NAME, INTERFACE_NAME } from "../names";
import type { RawLabConfig } from "./keys";
import type { NameKind, Obj } from "./reader";
import { isVlanId } from "./vlans";

export interface Declared {
    hosts: Set<string>;
    networks: Set<string>;
    vlans: Set<string>;
    containers: Set<string>;
    /** Names of the declared containers, once per declaration. */
    containerNames: string[];
    /** Per kind: some entry has no usable name (or id), so a reference may mean it. */
    uncertain: Record<NameKind, boolean>;
}

/** The names each section declares, read leniently from the raw config. */
export function declaredNames(raw: RawLabConfig): Declared {
    const items = (v: unknown): Obj[] =>
        Array.isArray(v) ? v.filter((x): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x)) : [];
    const strings = (xs: unknown[]): Set<string> => new Set(xs.filter((x): x is string => typeof x === "string"));
    const everyItem = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === "object" && x !== null && !Array.isArray(x));
    const hosts = items(raw.hosts);
    const networks = items(raw.networks);
    const vlans = items(raw.vlans);
    const vlanKeys = vlans.map((vl) => `${String(vl.parent)}.${String(vl.id)}`);
    return {
        hosts: strings(hosts.map((h) => h.name)),
        networks: strings(networks.map((n) => n.name)),
        vlans: strings(vlans.flatMap((vl) => [String(vl.id), `${String(vl.parent)}.${String(vl.id)}`])),
        containers: strings(items(raw.containers).map((c) => `${String(c.host)}/${String(c.name)}`)),
        containerNames: items(raw.containers).map((c) => String(c.name)),
        uncertain: {
            // with no hosts at all, "hosts is missing" is the one error, not every reference to a host
            hosts: !everyItem(raw.hosts) || hosts.length === 0 || hosts.some((h) => typeof h.name !== "string" || !HOST_NAME.test(h.name)),
            networks: (raw.networks !== undefined && !everyItem(raw.networks)) || networks.some((n) => typeof n.name !== "string" || !DOCKER_NAME.test(n.name)),
            vlans:
                (raw.vlans !== undefined && !everyItem(raw.vlans)) ||
                vlans.some((vl) => !isVlanId(vl.id) || typeof vl.parent !== "string" || !INTERFACE_NAME.test(vl.parent)) ||
                new Set(vlanKeys).size !== vlanKeys.length,
        },
    };
}

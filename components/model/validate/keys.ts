/**
 * The keys of the config itself: the lab's sections, the keys the program reads, and the check
 * that every key the stack sets is one of them (a misspelt key is reported, never ignored).
 */
import { CONFIG_NAMESPACE, configKey } from "../../contracts";
import { closest, editDistance, quote } from "../messages";
import type { Reader } from "./reader";

/**
 * The config of the `macvlan-lab` namespace as raw JSON values: the keys that describe the lab,
 * and any other key the stack sets (reported as unknown, with the closest valid key). A key of
 * another namespace that looks like a misspelt `macvlan-lab` arrives under its full name
 * (`macvlan_lab:hosts`, see {@link readLabConfig}) and is reported too.
 */
export interface RawLabConfig {
    hosts?: unknown;
    ssh?: unknown;
    vlans?: unknown;
    networks?: unknown;
    registry?: unknown;
    containers?: unknown;
    checks?: unknown;
    shims?: unknown;
    router?: unknown;
    [key: string]: unknown;
}
export const LAB_CONFIG_KEYS: ReadonlyArray<"hosts" | "ssh" | "vlans" | "networks" | "registry" | "containers" | "checks" | "shims" | "router"> = [
    "hosts",
    "ssh",
    "vlans",
    "networks",
    "registry",
    "containers",
    "checks",
    "shims",
    "router",
];

/** Keys of the namespace the program reads itself (index.ts): known, but not part of the lab's model. */
export const PROGRAM_CONFIG_KEYS: readonly string[] = ["sshPrivateKey", "sshKeyFile", "sshKnownHostsFile", "controllerCaDir", "verify", "repair"];

/** Every key the `macvlan-lab` namespace may hold. */
export const CONFIG_KEYS: readonly string[] = [...LAB_CONFIG_KEYS, ...PROGRAM_CONFIG_KEYS];

/**
 * The keys of the config itself: each must be one of {@link CONFIG_KEYS}. A misspelt key would
 * otherwise be ignored without a word (`host:` instead of `hosts:` reads as "no hosts"). Values of
 * unknown keys are never shown: a misspelt `sshPrivateKey` holds a secret.
 */
export function checkConfigKeys(r: Reader, raw: RawLabConfig): void {
    for (const key of Object.keys(raw)) {
        if (CONFIG_KEYS.includes(key)) {
            continue;
        }
        const colon = key.indexOf(":");
        if (colon >= 0) {
            const [ns, name] = [key.slice(0, colon), key.slice(colon + 1)];
            const meant = CONFIG_KEYS.includes(name) ? name : closest(name, CONFIG_KEYS) ?? name;
            if (CONFIG_KEYS.includes(meant) && raw[meant] === undefined) {
                r.misspelt.add(meant);
            }
            r.fail(key, `${key} is in the namespace ${quote(ns)}, not ${CONFIG_NAMESPACE}, so the program never reads it; write it as ${configKey(meant)}`);
            continue;
        }
        const meant = closest(key, CONFIG_KEYS);
        if (meant !== undefined && raw[meant] === undefined) {
            r.misspelt.add(meant);
        }
        r.fail(key, `${key} is not a config key of ${CONFIG_NAMESPACE}; ${meant === undefined ? "" : `did you mean ${meant}? `}the keys are ${CONFIG_KEYS.join(", ")}`);
    }
}

/**
 * Whether a config namespace looks like a misspelt `macvlan-lab`: at most 3 edits away
 * (`macvlan_lab`, `macvlanlab`), or cut short (`macvlan`): {@link readLabConfig} hands such keys to
 * {@link parseLab}, which reports them.
 */
export function looksLikeOurNamespace(namespace: string, ours: string): boolean {
    const ns = namespace.toLowerCase();
    return namespace !== ours && (editDistance(ns, ours) <= 3 || (ns.length >= 4 && ours.startsWith(ns)));
}

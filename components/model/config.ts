import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE } from "../contracts";
import { LAB_CONFIG_KEYS, looksLikeOurNamespace, PROGRAM_CONFIG_KEYS, RawLabConfig } from "./validate";

/**
 * One config value as a program gets it (text): its JSON value (structured config, YAML mappings and
 * lists in a stack file, arrives as JSON text), or the text itself when it is a plain scalar that is
 * not JSON (`registry: docker01`). Pure.
 */
export function configValue(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/**
 * The lab's config for {@link parseLab} from a stack's whole config, `namespace:key` -> text (what
 * Pulumi hands a program, `runtime.allConfig()`, and what `lab/stackFile.ts` reads from a stack
 * file). Pure. The lab's keys arrive as raw JSON values (structured config, YAML mappings and lists
 * in `stacks/Pulumi.<stack>.yaml`, arrives as JSON text; a plain scalar that is not JSON is kept as
 * text and validation names its key); every other key of the namespace, or of a namespace that
 * looks like a misspelt `macvlan-lab` (`macvlan_lab:hosts`), with no value, so that validation
 * reports it instead of the program ignoring it. The program's own keys (the private key and the
 * ssh files) are read by the program and left out: no secret is copied here.
 */
export function labConfigOf(all: Readonly<Record<string, string>>, namespace: string = CONFIG_NAMESPACE): RawLabConfig {
    const raw: RawLabConfig = {};
    for (const key of LAB_CONFIG_KEYS) {
        const text = all[`${namespace}:${key}`];
        if (text === undefined) {
            continue;
        }
        // a plain scalar (`registry: docker01`) stays text: validation names the key
        raw[key] = configValue(text);
    }
    for (const full of Object.keys(all)) {
        const colon = full.indexOf(":");
        const [ns, key] = colon < 0 ? ["", full] : [full.slice(0, colon), full.slice(colon + 1)];
        if (ns === namespace) {
            if (!(LAB_CONFIG_KEYS as readonly string[]).includes(key) && !PROGRAM_CONFIG_KEYS.includes(key)) {
                raw[key] = null; // unknown: reported by name, its value (maybe a secret) never read
            }
        } else if (looksLikeOurNamespace(ns, namespace)) {
            raw[full] = null;
        }
    }
    return raw;
}

/**
 * Reads the running stack's config for {@link parseLab}: {@link labConfigOf} of the stack's whole
 * config (`all`, Pulumi's `runtime.allConfig()`) in the namespace of `config`.
 */
export function readLabConfig(
    config: pulumi.Config = new pulumi.Config(CONFIG_NAMESPACE),
    all: Record<string, string> = pulumi.runtime.allConfig(),
): RawLabConfig {
    return labConfigOf(all, config.name);
}

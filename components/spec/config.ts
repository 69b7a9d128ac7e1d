import * as pulumi from "@pulumi/pulumi";
import { LAB_CONFIG_KEYS, RawLabConfig } from "./validate";

/** The config namespace of the program (the project name). */
export const CONFIG_NAMESPACE = "macvlan-lab";

/**
 * Reads the lab's keys from stack config as raw JSON values, for {@link loadLab}. Structured config
 * (YAML mappings and lists in `stacks/Pulumi.<stack>.yaml`) arrives as JSON text; a key that does
 * not parse is reported with its name.
 */
export function readLabConfig(config: pulumi.Config = new pulumi.Config(CONFIG_NAMESPACE)): RawLabConfig {
    const raw: RawLabConfig = {};
    for (const key of LAB_CONFIG_KEYS) {
        const text = config.get(key);
        if (text === undefined) {
            continue;
        }
        try {
            raw[key] = JSON.parse(text);
        } catch {
            // a plain scalar (`registry: docker01`) is not JSON: keep the text, validation names the key
            raw[key] = text;
        }
    }
    return raw;
}

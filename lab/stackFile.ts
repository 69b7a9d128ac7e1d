/**
 * Loads a stack file (`stacks/Pulumi.<stack>.yaml`) the way the Pulumi CLI hands it to a program:
 * every `config:` key as `<namespace>:<key>` -> text, structured values (mappings and lists) as
 * JSON text, `secure:` values rejected (they need the stack's secrets provider). For tests and the lab.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { configKey } from "../components/contracts";
import { labConfigOf } from "../components/model/config";
import { RawLabConfig } from "../components/model/validate";

export const STACKS_DIR = path.join(__dirname, "..", "stacks");

/** The config map of a stack file, as the engine passes it to the program (PULUMI_CONFIG). */
export function loadStackConfig(stack: string, dir: string = STACKS_DIR): Record<string, string> {
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(doc?.config ?? {})) {
        const full = key.includes(":") ? key : configKey(key);
        if (typeof value === "object" && value !== null && "secure" in value) {
            throw new Error(`${file}: ${key} is an encrypted secret; set it at run time instead`);
        }
        out[full] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return out;
}

/** The stacks that have a file under `stacks/`. */
export function listStacks(dir: string = STACKS_DIR): string[] {
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/**
 * The raw lab config of a stack file's config map, exactly as the program reads it
 * ({@link labConfigOf}, components/model/config.ts: the one parser of the stack's config).
 */
export function rawLabConfig(config: Readonly<Record<string, string>>): RawLabConfig {
    return labConfigOf(config);
}

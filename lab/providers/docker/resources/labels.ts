/**
 * Labels as the schema holds them (a set of `{label, value}`) and as the Docker API does (a map);
 * shared by Network, Volume and Container.
 */
import { Json, JsonObject, isObject } from "../values";

export function labelsToMap(v: Json | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    for (const l of Array.isArray(v) ? v : []) {
        if (isObject(l) && typeof l.label === "string") out[l.label] = typeof l.value === "string" ? l.value : "";
    }
    return out;
}

export function mapToLabels(m: Record<string, string> | null | undefined): JsonObject[] {
    return Object.entries(m ?? {}).map(([label, value]) => ({ label, value }));
}


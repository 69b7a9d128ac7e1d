/**
 * Property values as the engine sends them to a provider that accepts secrets: plain JSON values
 * plus two sentinels, the unknown string (preview: "known after apply") and the secret wrapper
 * object. Pure helpers to recognise, strip and re-apply them.
 */

/** What `Struct.toJavaScript()` yields. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** The engine's unknown-value sentinel (sdk/nodejs runtime/rpc.ts `unknownValue`). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The key that marks a special object, and its value for a secret (runtime/rpc.ts). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isObject(v: unknown): v is JsonObject {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function isSecret(v: unknown): v is { [SIG_KEY]: string; value: Json } {
    return isObject(v) && v[SIG_KEY] === SECRET_SIG;
}

/** True when the value is, or contains, the unknown sentinel. */
export function containsUnknown(v: unknown): boolean {
    if (v === UNKNOWN) return true;
    if (Array.isArray(v)) return v.some(containsUnknown);
    if (isObject(v)) return Object.values(v).some(containsUnknown);
    return false;
}

/** The value with every secret wrapper replaced by what it wraps (recursively). */
export function unwrapSecrets(v: Json): Json {
    if (isSecret(v)) return unwrapSecrets(v.value);
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (isObject(v)) {
        const out: JsonObject = {};
        for (const [k, x] of Object.entries(v)) out[k] = unwrapSecrets(x);
        return out;
    }
    return v;
}

/** True when the value is or contains a secret wrapper. */
export function containsSecret(v: unknown): boolean {
    if (isSecret(v)) return true;
    if (Array.isArray(v)) return v.some(containsSecret);
    if (isObject(v)) return Object.values(v).some(containsSecret);
    return false;
}

export function wrapSecret(v: Json): JsonObject {
    return { [SIG_KEY]: SECRET_SIG, value: v };
}

/**
 * Outputs with every top-level property that was secret (or held a secret) in the inputs wrapped
 * as a secret again, so a provider that accepts secrets never hands one back in the clear.
 */
export function resecret(inputs: JsonObject, outs: JsonObject): JsonObject {
    const res: JsonObject = { ...outs };
    for (const [k, v] of Object.entries(inputs)) {
        if (containsSecret(v) && k in res && !isSecret(res[k])) res[k] = wrapSecret(res[k]);
    }
    return res;
}

/** Deep equality of plain JSON values; object key order does not matter. */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
    if (a === b) return true;
    if (a === undefined || b === undefined || a === null || b === null) return false;
    if (Array.isArray(a) || Array.isArray(b)) {
        if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
        return a.every((x, i) => jsonEqual(x, b[i]));
    }
    if (isObject(a) && isObject(b)) {
        const ka = Object.keys(a);
        if (ka.length !== Object.keys(b).length) return false;
        return ka.every((k) => k in b && jsonEqual(a[k], b[k]));
    }
    return false;
}

/** Reads typed fields of an unwrapped input object; throws naming the property on a wrong type. */
export class Fields {
    constructor(private readonly o: JsonObject, private readonly at = "") {}
    str(k: string): string | undefined {
        const v = this.o[k];
        if (v === undefined || v === null) return undefined;
        if (typeof v !== "string") throw new Error(`${this.at}${k} must be a string, got ${JSON.stringify(v)}`);
        return v;
    }
    reqStr(k: string): string {
        const v = this.str(k);
        if (v === undefined || v === "") throw new Error(`${this.at}${k} is required`);
        return v;
    }
    bool(k: string, dflt: boolean): boolean {
        const v = this.o[k];
        if (v === undefined || v === null) return dflt;
        if (typeof v !== "boolean") throw new Error(`${this.at}${k} must be a boolean, got ${JSON.stringify(v)}`);
        return v;
    }
    num(k: string): number | undefined {
        const v = this.o[k];
        if (v === undefined || v === null) return undefined;
        if (typeof v !== "number") throw new Error(`${this.at}${k} must be a number, got ${JSON.stringify(v)}`);
        return v;
    }
    strs(k: string): string[] | undefined {
        const v = this.o[k];
        if (v === undefined || v === null) return undefined;
        if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new Error(`${this.at}${k} must be a list of strings`);
        return v as string[];
    }
    strMap(k: string): Record<string, string> | undefined {
        const v = this.o[k];
        if (v === undefined || v === null) return undefined;
        if (!isObject(v) || Object.values(v).some((x) => typeof x !== "string")) throw new Error(`${this.at}${k} must be a map of strings`);
        return v as Record<string, string>;
    }
    objs(k: string): JsonObject[] {
        const v = this.o[k];
        if (v === undefined || v === null) return [];
        if (!Array.isArray(v) || v.some((x) => !isObject(x))) throw new Error(`${this.at}${k} must be a list of objects`);
        return v as JsonObject[];
    }
}

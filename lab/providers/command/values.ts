/**
 * The wire shapes the Node SDK's provider server hands a provider (`Struct.toJavaScript()` of what the
 * engine sent): secrets are objects tagged with the SDK's secret signature, unknowns (preview) are a
 * sentinel string. Helpers here recognise, wrap and unwrap them. Pure.
 */
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";

/** JSON-like values as they arrive from the engine. */
export type Wire = null | boolean | number | string | Wire[] | { [key: string]: Wire };
export type WireMap = { [key: string]: Wire };

/** The SDK's own markers (@pulumi/pulumi runtime/rpc). */
export const SIG_KEY: string = specialSigKey;
export const SECRET_SIG: string = specialSecretSig;
export const UNKNOWN: string = unknownValue;

export function isObject(v: Wire | undefined): v is WireMap {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function isSecret(v: Wire | undefined): v is WireMap {
    return isObject(v) && v[SIG_KEY] === SECRET_SIG;
}

export function isUnknown(v: Wire | undefined): boolean {
    return v === UNKNOWN;
}

/** Wraps `v` as a secret (once: a secret stays one secret). */
export function makeSecret(v: Wire): Wire {
    return isSecret(v) ? v : { [SIG_KEY]: SECRET_SIG, value: v };
}

/** The value inside a secret (one level), or the value itself. */
export function unwrapSecret(v: Wire | undefined): Wire | undefined {
    return isSecret(v) ? v.value : v;
}

/** Removes every secret wrapper, deeply: for using values, never for returning them. */
export function reveal(v: Wire | undefined): Wire | undefined {
    const u = unwrapSecret(v);
    if (Array.isArray(u)) return u.map((e) => reveal(e) ?? null);
    if (isObject(u)) {
        const out: WireMap = {};
        for (const [k, e] of Object.entries(u)) {
            const r = reveal(e);
            if (r !== undefined) out[k] = r;
        }
        return out;
    }
    return u;
}

/** True when `v` holds an unknown anywhere (preview). */
export function containsUnknown(v: Wire | undefined): boolean {
    if (isUnknown(v)) return true;
    if (Array.isArray(v)) return v.some(containsUnknown);
    if (isObject(v)) return Object.values(v).some(containsUnknown);
    return false;
}

/**
 * Deep equality with the rules of `resource.PropertyValue.DeepEquals` (sdk/go/common/resource/
 * properties_diff.go): object keys whose value is null count as absent; a secret equals only a secret
 * with an equal value; an unknown equals only an unknown; arrays compare element-wise.
 */
export function deepEquals(a: Wire | undefined, b: Wire | undefined): boolean {
    if (Array.isArray(a)) {
        return Array.isArray(b) && a.length === b.length && a.every((e, i) => deepEquals(e, b[i]));
    }
    if (isObject(a)) {
        if (!isObject(b)) return false;
        const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
        for (const k of keys) {
            const x = a[k];
            const y = b[k];
            const xHas = x !== undefined && x !== null;
            const yHas = y !== undefined && y !== null;
            if (!xHas && !yHas) continue;
            if (xHas !== yHas || !deepEquals(x, y)) return false;
        }
        return true;
    }
    if (a === undefined) return b === undefined;
    return a === b;
}

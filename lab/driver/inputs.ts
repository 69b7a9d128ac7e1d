/**
 * Reading the inputs of a declared resource as the lab driver receives them in
 * `MockResourceArgs.inputs`: secrets still wrapped in the SDK's wire marker, provider inputs that
 * are JSON text, and the checks that make every input the driver cannot honour an error naming the
 * property. Pure.
 */
import * as crypto from "crypto";

/** The wire marker of a secret value (the SDK's `specialSigKey` / `specialSecretSig`). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** The wire value of an unknown (computed during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether `v` is a secret as it arrives in mock inputs: `{ [SIG_KEY]: SECRET_SIG, value }`. */
export function isWrappedSecret(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/**
 * Inputs with every secret unwrapped, and the string values that were inside secrets (for
 * redaction). A secret may wrap a whole object (the `connection` of a `remote.Command` arrives as
 * one secret whose value holds a plain `privateKey`) or a single value.
 */
export function unwrapSecrets(v: unknown, secrets: Set<string> = new Set(), inSecret = false): { value: unknown; secrets: Set<string> } {
    const walk = (x: unknown, secret: boolean): unknown => {
        if (isWrappedSecret(x)) {
            return walk(x.value, true);
        }
        if (Array.isArray(x)) {
            return x.map((e) => walk(e, secret));
        }
        if (typeof x === "object" && x !== null) {
            return Object.fromEntries(Object.entries(x).map(([k, e]) => [k, walk(e, secret)]));
        }
        if (secret && typeof x === "string") {
            secrets.add(x);
        }
        return x;
    };
    return { value: walk(v, inSecret), secrets };
}

/** The path of the first unknown value in `v`, if any (there are none outside preview). */
export function findUnknown(v: unknown, at = ""): string | undefined {
    if (v === UNKNOWN) return at || "(value)";
    if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
            const f = findUnknown(v[i], `${at}[${i}]`);
            if (f !== undefined) return f;
        }
    } else if (typeof v === "object" && v !== null) {
        for (const [k, e] of Object.entries(v)) {
            const f = findUnknown(e, at ? `${at}.${k}` : k);
            if (f !== undefined) return f;
        }
    }
    return undefined;
}

/** A value that counts as "not set": absent, null, or an empty array/object. */
export function isUnset(v: unknown): boolean {
    return (
        v === undefined ||
        v === null ||
        (Array.isArray(v) && v.length === 0) ||
        (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)
    );
}

/**
 * The properties of `obj` that are set but not in `supported`, as `<prefix><name>` paths: what the
 * driver must refuse rather than ignore. `allowedDefaults` lists properties accepted when they hold
 * exactly the given value (a default that changes nothing, like `attach: false`).
 */
export function unsupportedProperties(
    obj: Record<string, unknown>,
    supported: readonly string[],
    prefix = "",
    allowedDefaults: Record<string, unknown> = {},
): string[] {
    const out: string[] = [];
    for (const [k, v] of Object.entries(obj)) {
        if (supported.includes(k) || isUnset(v)) continue;
        if (k in allowedDefaults && allowedDefaults[k] === v) continue;
        out.push(`${prefix}${k}`);
    }
    return out;
}

/** An input the driver cannot use: the message names the property and says what to do. */
export class InputError extends Error {}

/** Reads typed values out of a resource's inputs, collecting errors that name the property. */
export class InputReader {
    constructor(
        private readonly inputs: Record<string, unknown>,
        private readonly prefix = "",
    ) {}

    private raw(key: string): unknown {
        const v = this.inputs[key];
        return v === null ? undefined : v;
    }

    string(key: string): string | undefined {
        const v = this.raw(key);
        if (v === undefined) return undefined;
        if (typeof v !== "string") throw new InputError(`${this.prefix}${key} must be a string, got ${JSON.stringify(v)}`);
        return v;
    }

    requiredString(key: string, why: string): string {
        const v = this.string(key);
        if (v === undefined || v === "") throw new InputError(`${this.prefix}${key} is not set; ${why}`);
        return v;
    }

    number(key: string): number | undefined {
        const v = this.raw(key);
        if (v === undefined) return undefined;
        if (typeof v !== "number" || !Number.isFinite(v)) throw new InputError(`${this.prefix}${key} must be a number, got ${JSON.stringify(v)}`);
        return v;
    }

    boolean(key: string): boolean | undefined {
        const v = this.raw(key);
        if (v === undefined) return undefined;
        if (typeof v !== "boolean") throw new InputError(`${this.prefix}${key} must be true or false, got ${JSON.stringify(v)}`);
        return v;
    }

    strings(key: string): string[] | undefined {
        const v = this.raw(key);
        if (v === undefined) return undefined;
        if (!Array.isArray(v) || v.some((e) => typeof e !== "string")) {
            throw new InputError(`${this.prefix}${key} must be a list of strings, got ${JSON.stringify(v)}`);
        }
        return v as string[];
    }

    stringMap(key: string): Record<string, string> | undefined {
        const v = this.raw(key);
        if (v === undefined) return undefined;
        if (typeof v !== "object" || Array.isArray(v) || Object.values(v as object).some((e) => typeof e !== "string")) {
            throw new InputError(`${this.prefix}${key} must be a map of strings, got ${JSON.stringify(v)}`);
        }
        return v as Record<string, string>;
    }

    objects(key: string): Record<string, unknown>[] | undefined {
        const v = this.raw(key);
        if (v === undefined) return undefined;
        if (!Array.isArray(v) || v.some((e) => typeof e !== "object" || e === null || Array.isArray(e))) {
            throw new InputError(`${this.prefix}${key} must be a list of objects, got ${JSON.stringify(v)}`);
        }
        return v as Record<string, unknown>[];
    }

    object(key: string): Record<string, unknown> | undefined {
        const v = this.raw(key);
        if (v === undefined) return undefined;
        if (typeof v !== "object" || Array.isArray(v)) throw new InputError(`${this.prefix}${key} must be an object, got ${JSON.stringify(v)}`);
        return v as Record<string, unknown>;
    }
}

/** Labels as the Docker resources take them (`[{label, value}]`) -> a map. */
export function labelMap(labels: Record<string, unknown>[] | undefined, at: string): Record<string, string> {
    const out: Record<string, string> = {};
    (labels ?? []).forEach((l, i) => {
        if (typeof l.label !== "string" || typeof l.value !== "string") {
            throw new InputError(`${at}[${i}] must have a string label and value`);
        }
        out[l.label] = l.value;
    });
    return out;
}

/** JSON with sorted keys: equal values give equal text. */
export function stableJson(v: unknown): string {
    const norm = (x: unknown): unknown => {
        if (Array.isArray(x)) return x.map(norm);
        if (typeof x === "object" && x !== null) {
            return Object.fromEntries(
                Object.keys(x)
                    .sort()
                    .filter((k) => (x as Record<string, unknown>)[k] !== undefined)
                    .map((k) => [k, norm((x as Record<string, unknown>)[k])]),
            );
        }
        return x;
    };
    return JSON.stringify(norm(v));
}

/** sha256 of the stable JSON of `v`, hex. */
export function hashOf(v: unknown): string {
    return crypto.createHash("sha256").update(stableJson(v)).digest("hex");
}

/**
 * Replaces every secret (and every line of a multi-line secret that is long enough to identify it)
 * with `[secret]`.
 */
export function redact(text: string, secrets: Iterable<string>): string {
    const needles: string[] = [];
    for (const s of secrets) {
        if (s.length >= 8) needles.push(s);
        for (const line of s.split("\n")) {
            const t = line.trim();
            if (t.length >= 16 && !/^-----(BEGIN|END) /.test(t)) needles.push(t);
        }
    }
    needles.sort((a, b) => b.length - a.length);
    let out = text;
    for (const n of needles) {
        out = out.split(n).join("[secret]");
    }
    return out;
}

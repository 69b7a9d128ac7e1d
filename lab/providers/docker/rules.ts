/**
 * The pure Check and Diff of the stand-in over the upstream provider's schema rules (kreuzwerker/
 * terraform-provider-docker v4.6.0, the version @pulumi/docker 5.2.0 bridges; see README.md for the
 * file and line of every rule). Each resource kind's schema table lives in its own file under
 * resources/; the provider's schema (provider.go) is here.
 *
 * How the bridge turns a Terraform plan into a Pulumi diff: a property whose planned value differs
 * from the prior state is a change; a change of a `ForceNew` property is a replacement; an input
 * that is unknown (preview) is a change; an Optional+Computed property the program does not set
 * keeps whatever the state has (no change). `deleteBeforeReplace` comes from the bridge's
 * ResourceInfo (pulumi-docker provider/resources.go: only docker_container sets it).
 */
import { Json, JsonObject, containsUnknown, isObject, jsonEqual, unwrapSecrets, UNKNOWN } from "./values";

/** One top-level property of a resource schema. */
export interface Prop {
    /** Changing it replaces the resource (`ForceNew: true`). */
    forceNew?: boolean;
    /** Optional+Computed (or Computed only when `output`): an absent input means "keep the state's value". */
    computed?: boolean;
    /** Output only: never an input, never diffed. */
    output?: boolean;
    /** The schema `Default`, applied by Check when the input is absent. */
    dflt?: Json;
    /** A TypeSet: order does not matter. */
    set?: boolean;
    /** Defaults of the fields of each element of a list/set of objects. */
    elemDefaults?: JsonObject;
    /**
     * The DiffSuppressFunc "treat \"\" as a no-op": an empty (or absent) new value keeps the old one
     * (resource_docker_container.go `user` lines 181-193, `working_dir` lines 243-254).
     */
    emptyKeepsOld?: boolean;
    /** The schema's ValidateDiagFunc, run at Check (so at preview): the failure's Summary, or undefined. */
    validate?: (v: Json) => string | undefined;
    /**
     * A DiffSuppressFunc of the property's own (container `ports`): whether the old and the new value
     * (secrets unwrapped) are the same. Unknown values are a change before it is asked.
     */
    same?: (old: Json | undefined, nu: Json | undefined) => boolean;
}

export type Schema = Record<string, Prop>;

/** Shorthands of the schema tables: ForceNew; ForceNew+Optional+Computed; ForceNew set; output only. */
export const F = { forceNew: true } as const;

/** validators.go `validateStringMatchesPattern` (lines 117-142): Summary `'<v>' doesn't match the pattern '<p>'`. */
export function matchesPattern(pattern: string): (v: Json) => string | undefined {
    const re = new RegExp(pattern);
    return (v) => (typeof v === "string" && !re.test(v) ? `'${v}' doesn't match the pattern '${pattern}'` : undefined);
}

/** validators.go `validateIntegerGeqThan`: Summary `'<v>' cannot be lower than <n>`. */
export function atLeast(n: number): (v: Json) => string | undefined {
    return (v) => (typeof v === "number" && v < n ? `'${v}' cannot be lower than ${n}` : undefined);
}
export const FC = { forceNew: true, computed: true } as const;
export const FS = { forceNew: true, set: true } as const;
export const OUT = { output: true } as const;

/** The provider schema (provider.go New()): `registryAuth` is `registry_auth`, a TypeSet. */
export const PROVIDER: Schema = {
    host: {},
    context: {},
    sshOpts: {},
    caMaterial: {},
    certMaterial: {},
    keyMaterial: {},
    certPath: {},
    registryAuth: { set: true, elemDefaults: { authDisabled: false } },
    disableDockerDaemonCheck: { dflt: false },
};

/** The type token of a URN (`urn:pulumi:stack::project::parent$type::name`). */
export function typeOfUrn(urn: string): string {
    const qualified = urn.split("::")[2] ?? "";
    return qualified.split("$").pop() ?? "";
}

/** Every input the stand-in does not know for the type, one message each. */
export function unknownProperties(schema: Schema, news: JsonObject): string[] {
    return Object.keys(news)
        .filter((k) => !k.startsWith("__") && (schema[k] === undefined || schema[k].output === true))
        .map((k) => `${k}: not an input of this resource in pulumi-docker 5.2.0 (or not served by the stand-in)`);
}

function withElemDefaults(v: Json, d: JsonObject | undefined): Json {
    if (d === undefined || !Array.isArray(v)) return v;
    return v.map((e) => (isObject(e) ? { ...d, ...Object.fromEntries(Object.entries(e).filter(([, x]) => x !== null)) } : e));
}

/** The resource name of a URN (`...::name`), as the bridge's check failures name it. */
export function nameOfUrn(urn: string): string {
    const i = urn.lastIndexOf("::");
    return i < 0 ? urn : urn.slice(i + 2);
}

/**
 * The schema's validators at Check (Terraform's ValidateResource, which the bridge runs in Check,
 * pulumi-terraform-bridge pkg/tfbridge/provider.go line 1056), each failure worded as the bridge
 * words it: Summary, ". ", Detail (the same text for these validators), then "Examine values at
 * '<resource name>.<property>'." (adapt_check_failures.go lines 78-82, check_failures.go line 193),
 * with no property set. Unknown values are not validated. Top-level properties only.
 */
export function validateInputs(schema: Schema, urn: string, news: JsonObject): Array<{ property: string; reason: string }> {
    const out: Array<{ property: string; reason: string }> = [];
    for (const [k, p] of Object.entries(schema)) {
        if (p.validate === undefined || p.output) continue;
        const raw = news[k] ?? p.dflt;
        if (raw === undefined || raw === null || containsUnknown(raw)) continue;
        const summary = p.validate(unwrapSecrets(raw));
        if (summary !== undefined) out.push({ property: "", reason: `${summary}. ${summary}. Examine values at '${nameOfUrn(urn)}.${k}'.` });
    }
    return out;
}

/** Check: the inputs with the schema defaults applied (secret wrappers and unknowns kept as they are). */
export function applyDefaults(schema: Schema, news: JsonObject): JsonObject {
    const out: JsonObject = { ...news };
    for (const [k, p] of Object.entries(schema)) {
        if (p.output) continue;
        if ((out[k] === undefined || out[k] === null) && p.dflt !== undefined) out[k] = p.dflt;
        else if (out[k] !== undefined && out[k] !== UNKNOWN && p.elemDefaults) out[k] = withElemDefaults(out[k], p.elemDefaults);
    }
    return out;
}

/** "No value" as Terraform sees an optional attribute: absent, null, empty string/list/map, false, 0. */
function isEmpty(v: Json | undefined): boolean {
    return (
        v === undefined || v === null || v === "" || v === false || v === 0 ||
        (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0)
    );
}

/** Set equality: every element of one matches an element of the other. */
function setEqual(a: Json[], b: Json[]): boolean {
    if (a.length !== b.length) return false;
    const used = new Set<number>();
    return a.every((x) => {
        const i = b.findIndex((y, j) => !used.has(j) && jsonEqual(x, y));
        if (i < 0) return false;
        used.add(i);
        return true;
    });
}

/**
 * Terraform stores every attribute of a nested block, so an unset field and its zero value are the
 * same element: drop empty fields inside list/set elements before comparing.
 */
function normalizeElems(v: Json | undefined): Json | undefined {
    if (!Array.isArray(v)) return v;
    return v.map((e) => (isObject(e) ? Object.fromEntries(Object.entries(e).filter(([, x]) => !isEmpty(x))) : e));
}

/** Are `old` (state) and `nu` (input, defaults applied) the same value for this property? */
export function sameValue(p: Prop, old: Json | undefined, nu: Json | undefined): boolean {
    const o = normalizeElems(old === undefined ? undefined : unwrapSecrets(old));
    const n = normalizeElems(nu === undefined ? undefined : unwrapSecrets(nu));
    if (isEmpty(o) && isEmpty(n)) return true;
    if (p.set && Array.isArray(o) && Array.isArray(n)) return setEqual(o, n);
    return jsonEqual(o, n);
}

export interface DiffOutcome {
    changes: boolean;
    /** Properties whose change replaces the resource. */
    replaces: string[];
    /** Every changed property, for messages and tests. */
    changed: string[];
    deleteBeforeReplace: boolean;
}

/** What Diff needs of a resource kind (resources/types.ts `ResourceKind`). */
export interface DiffRules {
    schema: Schema;
    /** pulumi-docker provider/resources.go `DeleteBeforeReplace`. */
    deleteBeforeReplace: boolean;
}

/**
 * Diff of the prior state (`olds`, the outputs stored at the last create/update/read) against the
 * checked inputs (`news`). Pure; never contacts a host; an unknown input counts as a change.
 */
export function diffInputs(kind: DiffRules, olds: JsonObject, news: JsonObject): DiffOutcome {
    const changed: string[] = [];
    const replaces: string[] = [];
    for (const [k, p] of Object.entries(kind.schema)) {
        if (p.output) continue;
        const nu = news[k];
        const old = olds[k];
        const absent = nu === undefined || nu === null;
        if (absent && p.computed) continue; // Optional+Computed, not set: the state's value stays
        let same: boolean;
        if (p.emptyKeepsOld && (absent || unwrapSecrets(nu) === "")) same = true;
        else if (!absent && containsUnknown(nu)) same = false;
        else if (p.same) {
            same = (isEmpty(old) && isEmpty(nu)) || p.same(old === undefined ? undefined : unwrapSecrets(old), nu === undefined ? undefined : unwrapSecrets(nu));
        } else same = sameValue(p, old, absent ? p.dflt : nu);
        if (!same) {
            changed.push(k);
            if (p.forceNew) replaces.push(k);
        }
    }
    return {
        changes: changed.length > 0,
        replaces,
        changed,
        deleteBeforeReplace: replaces.length > 0 && kind.deleteBeforeReplace,
    };
}

/** DiffConfig of the provider: a changed config updates the provider in place (no ForceNew in provider.go). */
export function diffProviderConfig(olds: JsonObject, news: JsonObject): DiffOutcome {
    const changed = Object.entries(PROVIDER)
        .filter(([k, p]) => !k.startsWith("__") && (containsUnknown(news[k]) || !sameValue(p, olds[k], news[k])))
        .map(([k]) => k);
    return { changes: changed.length > 0, replaces: [], changed, deleteBeforeReplace: false };
}

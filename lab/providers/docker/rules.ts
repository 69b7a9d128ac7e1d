/**
 * The upstream provider's schema rules that decide Check defaults and Diff results, as tables
 * (kreuzwerker/terraform-provider-docker v4.6.0, the version @pulumi/docker 5.2.0 bridges; see
 * README.md for the file and line of every rule), and the pure Check/Diff functions over them.
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
}

export type Schema = Record<string, Prop>;

const F = { forceNew: true } as const;

/** validators.go `validateStringMatchesPattern` (lines 117-142): Summary `'<v>' doesn't match the pattern '<p>'`. */
function matchesPattern(pattern: string): (v: Json) => string | undefined {
    const re = new RegExp(pattern);
    return (v) => (typeof v === "string" && !re.test(v) ? `'${v}' doesn't match the pattern '${pattern}'` : undefined);
}

/** validators.go `validateIntegerGeqThan`: Summary `'<v>' cannot be lower than <n>`. */
function atLeast(n: number): (v: Json) => string | undefined {
    return (v) => (typeof v === "number" && v < n ? `'${v}' cannot be lower than ${n}` : undefined);
}
const FC = { forceNew: true, computed: true } as const;
const FS = { forceNew: true, set: true } as const;
const OUT = { output: true } as const;

/** resource_docker_network.go resourceDockerNetwork(): every argument ForceNew. */
export const NETWORK: Schema = {
    name: F,
    labels: FS,
    driver: FC,
    options: FC,
    internal: FC,
    attachable: F,
    ingress: F,
    ipv6: F,
    ipamDriver: { forceNew: true, dflt: "default" },
    ipamOptions: F,
    ipamConfigs: { forceNew: true, computed: true, set: true },
    scope: OUT,
};

/** resource_docker_volume.go resourceDockerVolume(). */
export const VOLUME: Schema = {
    name: FC,
    labels: FS,
    driver: FC,
    driverOpts: F,
    cluster: {},
    mountpoint: OUT,
};

/** resource_docker_image.go resourceDockerImage() (docker_image is Pulumi's RemoteImage). */
export const REMOTE_IMAGE: Schema = {
    name: F,
    keepLocally: {},
    pullTriggers: FS,
    forceRemove: {},
    build: { set: true },
    triggers: F,
    platform: { forceNew: true, dflt: "" },
    imageId: OUT,
    repoDigest: OUT,
};

/** resource_docker_tag.go resourceDockerTag(): no Update; every argument ForceNew. */
export const TAG: Schema = {
    sourceImage: F,
    targetImage: F,
    tagTriggers: FS,
    sourceImageId: OUT,
};

/** resource_docker_registry_image.go resourceDockerRegistryImage(). */
export const REGISTRY_IMAGE: Schema = {
    name: F,
    keepRemotely: { dflt: false },
    insecureSkipVerify: { dflt: false },
    triggers: F,
    authConfig: {},
    build: { set: true },
    sha256Digest: OUT,
};

/** resource_docker_container.go resourceDockerContainer() (Pulumi names from bridge-metadata.json). */
export const CONTAINER: Schema = {
    name: F,
    rm: { dflt: false },
    readOnly: { forceNew: true, dflt: false },
    start: { dflt: true },
    wait: { dflt: false },
    waitTimeout: { dflt: 60 },
    attach: { dflt: false },
    logs: { dflt: false },
    mustRun: { dflt: true },
    exitCode: OUT,
    containerLogs: OUT,
    image: F,
    hostname: FC,
    domainname: F,
    command: FC,
    entrypoints: FC,
    user: { forceNew: true, emptyKeepsOld: true },
    dns: FS,
    dnsOpts: FS,
    dnsSearches: FS,
    publishAllPorts: F,
    restart: { dflt: "no", validate: matchesPattern("^(no|on-failure|always|unless-stopped)$") },
    maxRetryCount: {},
    workingDir: { forceNew: true, emptyKeepsOld: true },
    removeVolumes: { dflt: true },
    capabilities: FS,
    securityOpts: { forceNew: true, computed: true, set: true },
    runtime: FC,
    platform: FC,
    stopSignal: FC,
    stopTimeout: FC,
    mounts: FS,
    volumes: FS,
    tmpfs: {},
    ports: { forceNew: true, elemDefaults: { ip: "0.0.0.0", protocol: "tcp" } },
    hosts: FS,
    ulimits: FS,
    envs: { forceNew: true, computed: true, set: true },
    bridge: OUT,
    networkDatas: OUT,
    privileged: F,
    devices: FS,
    deviceCgroupRules: FS, // new in v4.6.0 (#976)
    deviceReadBps: { set: true },
    deviceReadIops: { set: true },
    deviceWriteBps: { set: true },
    deviceWriteIops: { set: true },
    deviceRequests: FS,
    destroyGraceSeconds: {},
    labels: { forceNew: true, computed: true, set: true },
    memory: { validate: atLeast(0) },
    memoryReservation: { dflt: 0, validate: atLeast(0) },
    memorySwap: { validate: atLeast(-1) },
    shmSize: { forceNew: true, computed: true, validate: atLeast(0) },
    cpuShares: { validate: atLeast(0) },
    cpuSet: { validate: matchesPattern("^\\d+([,-]\\d+)*$") },
    logDriver: FC,
    logOpts: F,
    networkMode: { forceNew: true, dflt: "bridge" },
    networksAdvanced: FS,
    pidMode: F,
    usernsMode: F,
    uploads: FS,
    healthcheck: FC, // ForceNew since v4.6.0 (#989)
    containerReadRefreshTimeoutMilliseconds: { dflt: 15000 },
    sysctls: F,
    ipcMode: FC,
    groupAdds: FS,
    init: { computed: true },
    tty: { forceNew: true, dflt: false },
    stdinOpen: { forceNew: true, dflt: false },
    storageOpts: F,
    gpus: F,
    cpus: F,
    cpuPeriod: { validate: atLeast(0) },
    cpuQuota: { validate: atLeast(0) },
    cgroupnsMode: F,
    cgroupParent: F,
};

/** Container attributes resourceDockerContainerUpdate() applies with ContainerUpdate. */
export const CONTAINER_UPDATABLE = [
    "restart", "maxRetryCount", "cpuShares", "memory", "memoryReservation", "cpuSet", "memorySwap",
    "deviceReadBps", "deviceReadIops", "deviceWriteBps", "deviceWriteIops",
] as const;

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

export const TOKENS = {
    network: "docker:index/network:Network",
    volume: "docker:index/volume:Volume",
    remoteImage: "docker:index/remoteImage:RemoteImage",
    tag: "docker:index/tag:Tag",
    registryImage: "docker:index/registryImage:RegistryImage",
    container: "docker:index/container:Container",
} as const;

export type Token = (typeof TOKENS)[keyof typeof TOKENS];

export const SCHEMAS: Record<Token, Schema> = {
    [TOKENS.network]: NETWORK,
    [TOKENS.volume]: VOLUME,
    [TOKENS.remoteImage]: REMOTE_IMAGE,
    [TOKENS.tag]: TAG,
    [TOKENS.registryImage]: REGISTRY_IMAGE,
    [TOKENS.container]: CONTAINER,
};

/** pulumi-docker provider/resources.go: `DeleteBeforeReplace: true` on docker_container only. */
export const DELETE_BEFORE_REPLACE: Record<Token, boolean> = {
    [TOKENS.network]: false,
    [TOKENS.volume]: false,
    [TOKENS.remoteImage]: false,
    [TOKENS.tag]: false,
    [TOKENS.registryImage]: false,
    [TOKENS.container]: true,
};

/** The type token of a URN (`urn:pulumi:stack::project::parent$type::name`). */
export function typeOfUrn(urn: string): string {
    const qualified = urn.split("::")[2] ?? "";
    return qualified.split("$").pop() ?? "";
}

export function isToken(t: string): t is Token {
    return Object.prototype.hasOwnProperty.call(SCHEMAS, t);
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

/**
 * The container `ports` rule: resource_docker_container.go suppressIfPortsDidNotChangeForMigrationV0ToV1
 * suppresses the diff when both lists have the same length and every old port's internal port is in
 * the new list with the same external port, ip and protocol (or another entry with that protocol).
 */
export function portsUnchanged(old: Json | undefined, nu: Json | undefined): boolean {
    const o = Array.isArray(old) ? old.filter(isObject) : [];
    const n = Array.isArray(nu) ? nu.filter(isObject) : [];
    if (o.length !== n.length) return false;
    for (const po of o) {
        let found = false;
        for (const pn of n) {
            if (pn.internal !== po.internal) continue;
            if (pn.protocol !== po.protocol) {
                if (n.some((x) => x.internal === po.internal && x.protocol === po.protocol)) continue;
                return false;
            }
            if ((pn.external ?? null) !== (po.external ?? null) && pn.external !== undefined && pn.external !== null) return false;
            if (pn.ip !== po.ip) return false;
            found = true;
            break;
        }
        if (!found) return false;
    }
    return true;
}

export interface DiffOutcome {
    changes: boolean;
    /** Properties whose change replaces the resource. */
    replaces: string[];
    /** Every changed property, for messages and tests. */
    changed: string[];
    deleteBeforeReplace: boolean;
}

/**
 * Diff of the prior state (`olds`, the outputs stored at the last create/update/read) against the
 * checked inputs (`news`). Pure; never contacts a host; an unknown input counts as a change.
 */
export function diffProperties(token: Token, olds: JsonObject, news: JsonObject): DiffOutcome {
    const schema = SCHEMAS[token];
    const changed: string[] = [];
    const replaces: string[] = [];
    for (const [k, p] of Object.entries(schema)) {
        if (p.output) continue;
        const nu = news[k];
        const old = olds[k];
        const absent = nu === undefined || nu === null;
        if (absent && p.computed) continue; // Optional+Computed, not set: the state's value stays
        let same: boolean;
        if (p.emptyKeepsOld && (absent || unwrapSecrets(nu) === "")) same = true;
        else if (!absent && containsUnknown(nu)) same = false;
        else if (token === TOKENS.container && k === "ports") {
            same = (isEmpty(old) && isEmpty(nu)) || portsUnchanged(old === undefined ? undefined : unwrapSecrets(old), nu === undefined ? undefined : unwrapSecrets(nu));
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
        deleteBeforeReplace: replaces.length > 0 && DELETE_BEFORE_REPLACE[token],
    };
}

/** DiffConfig of the provider: a changed config updates the provider in place (no ForceNew in provider.go). */
export function diffProviderConfig(olds: JsonObject, news: JsonObject): DiffOutcome {
    const changed = Object.entries(PROVIDER)
        .filter(([k, p]) => !k.startsWith("__") && (containsUnknown(news[k]) || !sameValue(p, olds[k], news[k])))
        .map(([k]) => k);
    return { changes: changed.length > 0, replaces: [], changed, deleteBeforeReplace: false };
}

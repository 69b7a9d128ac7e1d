/**
 * What each served resource does on the Docker host, following the upstream functions named in
 * README.md. Request bodies are built by pure functions (exported for tests); the operations are
 * thin I/O over DockerApi and, for RegistryImage's digest, HTTP(S) from this machine.
 */
import { createHash } from "crypto";
import { ProxyConfig } from "./proxy";
import { HttpResult, registryRequest } from "./registryHttp";
import { AuthConfig, digestRequest, parseImageOptions, pushName, pushRegistryAuthHeader, registryImageAuth } from "./auth";
import { DockerApi, isNotFound } from "./dockerApi";
import { Fields, Json, JsonObject, isObject, unwrapSecrets } from "./values";

/** Provider-level settings a resource operation needs (from this provider instance's Configure). */
export interface OpContext {
    api: DockerApi;
    authConfigs: ReadonlyMap<string, AuthConfig>;
    log: (msg: string) => void;
    /** Proxy settings for registry requests; defaults to the process's (read once, as Go does). */
    proxies?: ProxyConfig;
}

/** A create that left something on the host: the engine records it as partially created. */
export class InitFailedError extends Error {
    constructor(message: string, readonly id: string, readonly properties: JsonObject) {
        super(message);
    }
}

const plain = (o: JsonObject) => unwrapSecrets(o) as JsonObject;

// ------------------------------------------------------------------------------------------------
// Network: resource_docker_network_funcs.go

interface NetworkInspect {
    Id: string;
    Name: string;
    Driver: string;
    Scope: string;
    Internal: boolean;
    Attachable: boolean;
    Ingress: boolean;
    EnableIPv6: boolean;
    Options: Record<string, string> | null;
    Labels: Record<string, string> | null;
    IPAM: { Driver: string; Options: Record<string, string> | null; Config: Array<{ Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> | null }> | null };
}

/** resourceDockerNetworkCreate's NetworkCreate request (API < 1.44: CheckDuplicate true). */
export function networkCreateBody(inputs: JsonObject): JsonObject {
    const f = new Fields(plain(inputs));
    const body: JsonObject = { Name: f.reqStr("name"), CheckDuplicate: true };
    const labels = labelsToMap(plain(inputs).labels);
    if (Object.keys(labels).length > 0) body.Labels = labels;
    if (f.str("driver")) body.Driver = f.str("driver") ?? "";
    if (f.strMap("options")) body.Options = f.strMap("options") ?? {};
    if (f.bool("internal", false)) body.Internal = true;
    if (f.bool("attachable", false)) body.Attachable = true;
    if (f.bool("ingress", false)) body.Ingress = true;
    if (f.bool("ipv6", false)) body.EnableIPv6 = true;
    const ipam: JsonObject = {};
    let ipamSet = false;
    if (f.str("ipamDriver")) {
        ipam.Driver = f.str("ipamDriver") ?? "";
        ipamSet = true;
    }
    const configs = f.objs("ipamConfigs");
    if (configs.length > 0) {
        ipam.Config = configs.map((c) => {
            const cf = new Fields(c, "ipamConfigs.");
            return { Subnet: cf.str("subnet") ?? "", IPRange: cf.str("ipRange") ?? "", Gateway: cf.str("gateway") ?? "", AuxiliaryAddresses: cf.strMap("auxAddress") ?? {} };
        });
        ipamSet = true;
    }
    if (f.strMap("ipamOptions")) {
        ipam.Options = f.strMap("ipamOptions") ?? {};
        ipamSet = true;
    }
    if (ipamSet) body.IPAM = ipam;
    return body;
}

function labelsToMap(v: Json | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    for (const l of Array.isArray(v) ? v : []) {
        if (isObject(l) && typeof l.label === "string") out[l.label] = typeof l.value === "string" ? l.value : "";
    }
    return out;
}

function mapToLabels(m: Record<string, string> | null | undefined): JsonObject[] {
    return Object.entries(m ?? {}).map(([label, value]) => ({ label, value }));
}

/** resourceDockerNetworkReadRefreshFunc: the state from `network inspect`. */
export function networkState(inputs: JsonObject, n: NetworkInspect): JsonObject {
    return {
        ...inputs,
        name: n.Name,
        labels: mapToLabels(n.Labels),
        driver: n.Driver,
        internal: n.Internal,
        attachable: n.Attachable,
        ingress: n.Ingress,
        ipv6: n.EnableIPv6,
        ipamDriver: n.IPAM.Driver,
        ipamOptions: n.IPAM.Options ?? {},
        scope: n.Scope,
        options: n.Options ?? {},
        ipamConfigs: (n.IPAM.Config ?? []).map((c) => ({
            subnet: c.Subnet ?? "",
            ipRange: c.IPRange ?? "",
            gateway: c.Gateway ?? "",
            auxAddress: c.AuxiliaryAddresses ?? {},
        })),
    };
}

export async function networkCreate(ctx: OpContext, inputs: JsonObject): Promise<{ id: string; outs: JsonObject }> {
    let id: string;
    try {
        id = (await ctx.api.call<{ Id: string }>("POST", "/networks/create", { body: networkCreateBody(inputs) })).Id;
    } catch (e) {
        throw new Error(`Unable to create network: ${(e as Error).message}`);
    }
    const outs = await networkRead(ctx, id, inputs);
    return { id, outs: outs ?? inputs };
}

export async function networkRead(ctx: OpContext, id: string, state: JsonObject): Promise<JsonObject | undefined> {
    try {
        return networkState(state, await ctx.api.call<NetworkInspect>("GET", `/networks/${encodeURIComponent(id)}`));
    } catch {
        return undefined; // upstream: any inspect error -> "removed"
    }
}

/** resourceDockerNetworkRemoveRefreshFunc: gone is fine; "has active endpoints" is retried (30 s). */
export async function networkDelete(ctx: OpContext, id: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
        try {
            await ctx.api.call("GET", `/networks/${encodeURIComponent(id)}`);
        } catch {
            return;
        }
        try {
            await ctx.api.call("DELETE", `/networks/${encodeURIComponent(id)}`);
            return;
        } catch (e) {
            if (!/has active endpoints/.test((e as Error).message) || Date.now() > deadline) throw e;
            await new Promise((r) => setTimeout(r, 2000));
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Volume: resource_docker_volume.go

interface VolumeInspect {
    Name: string;
    Driver: string;
    Mountpoint: string;
    Labels: Record<string, string> | null;
    Options: Record<string, string> | null;
}

export function volumeCreateBody(inputs: JsonObject): JsonObject {
    const i = plain(inputs);
    const f = new Fields(i);
    const body: JsonObject = {};
    if (f.str("name")) body.Name = f.str("name") ?? "";
    const labels = labelsToMap(i.labels);
    if (Object.keys(labels).length > 0) body.Labels = labels;
    if (f.str("driver")) body.Driver = f.str("driver") ?? "";
    if (f.strMap("driverOpts")) body.DriverOpts = f.strMap("driverOpts") ?? {};
    return body;
}

function volumeState(inputs: JsonObject, v: VolumeInspect): JsonObject {
    return { ...inputs, name: v.Name, labels: mapToLabels(v.Labels), driver: v.Driver, driverOpts: v.Options ?? {}, mountpoint: v.Mountpoint };
}

export async function volumeCreate(ctx: OpContext, inputs: JsonObject): Promise<{ id: string; outs: JsonObject }> {
    let v: VolumeInspect;
    try {
        v = await ctx.api.call<VolumeInspect>("POST", "/volumes/create", { body: volumeCreateBody(inputs) });
    } catch (e) {
        throw new Error(`Unable to create volume: ${(e as Error).message}`);
    }
    return { id: v.Name, outs: (await volumeRead(ctx, v.Name, inputs)) ?? volumeState(inputs, v) };
}

export async function volumeRead(ctx: OpContext, id: string, state: JsonObject): Promise<JsonObject | undefined> {
    try {
        return volumeState(state, await ctx.api.call<VolumeInspect>("GET", `/volumes/${encodeURIComponent(id)}`));
    } catch (e) {
        if (isNotFound(e)) return undefined;
        throw new Error(`Unable to inspect volume: ${(e as Error).message}`);
    }
}

/** resourceDockerVolumeDelete: VolumeRemove (force false), retried while "volume is in use" (30 s). */
export async function volumeDelete(ctx: OpContext, id: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
        try {
            await ctx.api.call("DELETE", `/volumes/${encodeURIComponent(id)}`, { query: { force: false } });
            return;
        } catch (e) {
            if (isNotFound(e)) return;
            if (!/volume is in use/.test((e as Error).message) || Date.now() > deadline) {
                throw new Error(`Error deleting volume ${id}: ${(e as Error).message}`);
            }
            await new Promise((r) => setTimeout(r, 2000));
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Images: resource_docker_image_funcs.go (RemoteImage), resource_docker_tag_funcs.go (Tag)

interface ImageSummary {
    Id: string;
    RepoTags: string[] | null;
    RepoDigests: string[] | null;
}

/** fetchLocalImages + searchLocalImages: inspect by name, then the image list entry of that id. */
async function searchLocalImage(api: DockerApi, name: string): Promise<ImageSummary | undefined> {
    let id: string;
    try {
        id = (await api.call<{ Id: string }>("GET", `/images/${name}/json`)).Id;
    } catch (e) {
        if (isNotFound(e)) return undefined;
        throw new Error(`unable to inspect image ${name}: ${(e as Error).message}`);
    }
    const list = await api.call<ImageSummary[]>("GET", "/images/json", { query: { all: false } });
    return list.find((i) => i.Id === id);
}

/** determineRepoDigest (data_source_docker_image.go). */
export function repoDigestOf(name: string, digests: readonly string[]): string {
    if (digests.length === 0) return "";
    if (digests.length === 1) return digests[0];
    const colon = name.indexOf(":");
    const base = colon === -1 ? name : name.slice(0, colon);
    return digests.find((d) => d.startsWith(base)) ?? digests[0];
}

/** findImage: a local image of that name is used as is; only a missing one is pulled. */
async function findImage(ctx: OpContext, name: string, platform: string): Promise<ImageSummary> {
    if (name === "") throw new Error("empty image name is not allowed");
    const local = await searchLocalImage(ctx.api, name);
    if (local) return local;
    const o = parseImageOptions(name);
    const auth = ctx.authConfigs.get(o.registry);
    const authJson = JSON.stringify(auth ? { username: auth.username, password: auth.password, serveraddress: auth.serverAddress } : {});
    const ref = splitReference(name);
    try {
        await ctx.api.stream(
            "POST",
            "/images/create",
            { query: { fromImage: ref.repo, tag: ref.tag, platform: platform || undefined }, headers: { "X-Registry-Auth": Buffer.from(authJson).toString("base64").replace(/\+/g, "-").replace(/\//g, "_") } },
            (err) => `error pulling image ${name}: ${err}`,
        );
    } catch (e) {
        throw new Error(`unable to pull image ${name}: ${(e as Error).message}`);
    }
    const after = await searchLocalImage(ctx.api, name);
    if (!after) throw new Error(`unable to find or pull image ${name}`);
    return after;
}

/** A reference split into repository and tag (or digest) as the Go client sends them. */
export function splitReference(ref: string): { repo: string; tag: string } {
    const at = ref.indexOf("@");
    if (at !== -1) return { repo: ref.slice(0, at), tag: ref.slice(at + 1) };
    const slash = ref.lastIndexOf("/");
    const colon = ref.lastIndexOf(":");
    if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
    return { repo: ref, tag: "latest" };
}

async function remoteImageState(ctx: OpContext, inputs: JsonObject): Promise<{ id: string; outs: JsonObject } | undefined> {
    const name = new Fields(plain(inputs)).reqStr("name");
    const img = await searchLocalImage(ctx.api, name);
    if (!img) return undefined;
    return { id: img.Id + name, outs: { ...inputs, imageId: img.Id, repoDigest: repoDigestOf(name, img.RepoDigests ?? []) } };
}

export async function remoteImageCreate(ctx: OpContext, inputs: JsonObject): Promise<{ id: string; outs: JsonObject }> {
    const f = new Fields(plain(inputs));
    if (f.objs("build").length > 0) throw new Error("build: image builds are not served by this stand-in");
    try {
        await findImage(ctx, f.reqStr("name"), f.str("platform") ?? "");
    } catch (e) {
        throw new Error(`Unable to read Docker image into resource: ${(e as Error).message}`);
    }
    const st = await remoteImageState(ctx, inputs);
    if (!st) throw new Error(`Unable to read Docker image into resource: unable to find or pull image ${f.reqStr("name")}`);
    return st;
}

export async function remoteImageRead(ctx: OpContext, state: JsonObject): Promise<{ id: string; outs: JsonObject } | undefined> {
    return remoteImageState(ctx, state);
}

/** resourceDockerImageUpdate: find (pull if missing) again, then read. */
export async function remoteImageUpdate(ctx: OpContext, inputs: JsonObject): Promise<JsonObject> {
    const f = new Fields(plain(inputs));
    await findImage(ctx, f.reqStr("name"), f.str("platform") ?? "");
    return (await remoteImageState(ctx, inputs))?.outs ?? inputs;
}

/** removeImage: nothing when keepLocally; else remove the image by name if it is there. */
export async function remoteImageDelete(ctx: OpContext, state: JsonObject): Promise<void> {
    const f = new Fields(plain(state));
    if (f.bool("keepLocally", false)) return;
    const name = f.reqStr("name");
    if (!(await searchLocalImage(ctx.api, name))) return;
    try {
        await ctx.api.call("DELETE", `/images/${name}`, { query: { force: f.bool("forceRemove", false) } });
    } catch (e) {
        throw new Error(`Unable to remove Docker image: ${(e as Error).message}`);
    }
}

/** resourceDockerTagCreate: ImageTag(source, target), then the source's id. */
export async function tagCreate(ctx: OpContext, inputs: JsonObject): Promise<{ id: string; outs: JsonObject }> {
    const f = new Fields(plain(inputs));
    const source = f.reqStr("sourceImage");
    const target = f.reqStr("targetImage");
    const ref = splitReference(target);
    try {
        await ctx.api.call("POST", `/images/${source}/tag`, { query: { repo: ref.repo, tag: ref.tag } });
    } catch (e) {
        throw new Error(`failed to create docker tag: ${(e as Error).message}`);
    }
    let id: string;
    try {
        id = (await ctx.api.call<{ Id: string }>("GET", `/images/${source}/json`)).Id;
    } catch (e) {
        throw new Error(`failed to ImageInspectWithRaw: ${(e as Error).message}`);
    }
    return { id: `${source}.${target}`, outs: { ...inputs, sourceImageId: id } };
}

// ------------------------------------------------------------------------------------------------
// RegistryImage: resource_docker_registry_image_funcs.go (kreuzwerker v4.6.0), the digest request of
// data_source_docker_registry_image.go `getImageDigest`; the HTTP client in registryHttp.ts

/** The process's proxy settings unless a test gives its own (registryHttp.ts reads them once, as Go does). */
export interface RegistryHttpOptions {
    proxies?: ProxyConfig;
}

/** getDigestFromResponse: the Docker-Content-Digest header, or sha256 of the body. */
function digestFromResponse(res: HttpResult): string {
    const h = res.headers["docker-content-digest"];
    if (typeof h === "string" && h !== "") return h;
    if (res.body.length === 0) throw new Error("error reading registry response body: %!s(<nil>)");
    return `sha256:${createHash("sha256").update(res.body).digest("hex")}`;
}

/** A 401: parseAuthHeader fails on anything but a Bearer challenge (htpasswd's Basic realm): "bad credentials". */
function unauthorized(res: HttpResult): Error {
    const challenge = String(res.headers["www-authenticate"] ?? "");
    if (challenge.startsWith("Bearer")) {
        return new Error(`STAND-IN (Docker provider): the registry asks for a token (WWW-Authenticate: Bearer), which the stand-in does not fetch (the real provider would, getAuthToken)`);
    }
    return new Error(`bad credentials: ${res.statusLine}`);
}

/** data_source_docker_registry_image.go getImageDigest (lines 71-128): HEAD the manifest; 200 -> the digest. */
async function getImageDigest(name: string, auth: AuthConfig, insecureSkipVerify: boolean, fallback: boolean, o: RegistryHttpOptions): Promise<string> {
    const r = digestRequest(name, auth, fallback);
    let res: HttpResult;
    try {
        res = await registryRequest(r.method, r.url, r.headers, insecureSkipVerify, o.proxies);
    } catch (e) {
        throw new Error(`Error during registry request: ${(e as Error).message}`);
    }
    if (res.status === 200) return digestFromResponse(res);
    if (res.status === 401) throw unauthorized(res);
    throw new Error(`got bad response from registry: ${res.statusLine}`);
}

/** getImageDigestWithFallback (lines 372-381): v2 manifests first, then the v1 Accept header. */
export async function imageDigestWithFallback(name: string, auth: AuthConfig, insecureSkipVerify: boolean, o: RegistryHttpOptions = {}): Promise<string> {
    try {
        return await getImageDigest(name, auth, insecureSkipVerify, false, o);
    } catch {
        try {
            return await getImageDigest(name, auth, insecureSkipVerify, true, o);
        } catch (e) {
            throw new Error(`unable to get digest: ${(e as Error).message}`);
        }
    }
}

export async function registryImageCreate(ctx: OpContext, inputs: JsonObject): Promise<{ id: string; outs: JsonObject }> {
    const i = plain(inputs);
    const f = new Fields(i);
    if (f.objs("build").length > 0) throw new Error("build: image builds are not served by this stand-in");
    const name = f.reqStr("name");
    const auth = registryImageAuth(name, i.authConfig, ctx.authConfigs, "resourceDockerRegistryImageCreate");
    const fq = pushName(name);
    const ref = splitReference(fq);
    const header = pushRegistryAuthHeader(auth);
    try {
        await ctx.api.stream(
            "POST",
            `/images/${ref.repo}/push`,
            { query: { tag: ref.tag }, headers: { "X-Registry-Auth": header ?? "" } },
            (err) => `Error pushing image. . Full error: ${err}`,
        );
    } catch (e) {
        throw new Error(`Error pushing docker image: ${(e as Error).message}`);
    }
    let digest: string;
    try {
        digest = await imageDigestWithFallback(name, auth, f.bool("insecureSkipVerify", false), ctx);
    } catch (e) {
        throw new Error(`Got error getting registry image digest inside resourceDockerRegistryImageCreate: ${(e as Error).message}`);
    }
    return { id: digest, outs: { ...inputs, sha256Digest: digest } };
}

/** resourceDockerRegistryImageRead (lines 90-115): the digest again; an error clears the id (the resource is gone). */
export async function registryImageRead(ctx: OpContext, state: JsonObject): Promise<JsonObject | undefined> {
    const i = plain(state);
    const f = new Fields(i);
    const name = f.reqStr("name");
    const auth = registryImageAuth(name, i.authConfig, ctx.authConfigs, "resourceDockerRegistryImageRead");
    try {
        return { ...state, sha256Digest: await imageDigestWithFallback(name, auth, f.bool("insecureSkipVerify", false), ctx) };
    } catch (e) {
        ctx.log(`Got error getting registry image digest: ${(e as Error).message}`);
        return undefined;
    }
}

/**
 * The bridge's Update error when the provider's Update cleared the id (pulumi-terraform-bridge
 * pkg/tfbridge/provider.go `Update`, lines 1743-1751, at 59de6c66): a nil new state with no error.
 */
export function updateGoneError(urn: string): string {
    return (
        `Resource provider reported that the resource did not exist while updating ${urn}.\n\n` +
        "This is usually a result of the resource having been deleted outside of Pulumi, and can often be " +
        "fixed by running `pulumi refresh` before updating."
    );
}

/**
 * resourceDockerRegistryImageUpdate (lines 147-149) is only the Read: nothing is pushed; the new
 * inputs are stored with the digest read now. A failed read clears the id (line 110), so the
 * SDK's Apply returns no state (terraform-plugin-sdk helper/schema/resource.go `Apply` line 994,
 * resource_data.go `State` line 430) and the bridge fails the update (`updateGoneError`).
 */
export async function registryImageUpdate(ctx: OpContext, urn: string, news: JsonObject): Promise<JsonObject> {
    const outs = await registryImageRead(ctx, news);
    if (outs === undefined) throw new Error(updateGoneError(urn));
    return outs;
}

/** deleteDockerRegistryImage (lines 325-370): one DELETE of the manifest; 200, 202 and 404 are success. */
async function deleteManifest(name: string, auth: AuthConfig, ref: string, fallback: boolean, o: RegistryHttpOptions): Promise<void> {
    const img = parseImageOptions(name);
    const r = digestRequest(name, auth, fallback);
    const url = `${auth.serverAddress}/v2/${img.repository}/manifests/${ref}`;
    let res: HttpResult;
    try {
        // always insecureSkipVerify: resourceDockerRegistryImageDelete passes `true` (lines 137, 139)
        res = await registryRequest("DELETE", url, r.headers, true, o.proxies);
    } catch (e) {
        throw new Error(`Error during registry request: ${(e as Error).message}`);
    }
    if ([200, 202, 404].includes(res.status)) return;
    if (res.status === 401) throw unauthorized(res);
    throw new Error(`got bad response from registry: ${res.statusLine}`);
}

/**
 * resourceDockerRegistryImageDelete (lines 117-145): nothing when keepRemotely; else DELETE the
 * manifest by its digest, and when that fails by its tag (with the v1 Accept header), TLS not
 * verified either way.
 */
export async function registryImageDelete(ctx: OpContext, state: JsonObject): Promise<void> {
    const i = plain(state);
    const f = new Fields(i);
    if (f.bool("keepRemotely", false)) return;
    const name = f.reqStr("name");
    const auth = registryImageAuth(name, i.authConfig, ctx.authConfigs, "resourceDockerRegistryImageDelete");
    try {
        await deleteManifest(name, auth, f.str("sha256Digest") ?? "", false, ctx);
    } catch {
        try {
            await deleteManifest(name, auth, parseImageOptions(name).tag, true, ctx);
        } catch (e) {
            throw new Error(`Got error deleting registry image: ${(e as Error).message}`);
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Container: resource_docker_container_funcs.go

interface ContainerInspect {
    Id: string;
    Name: string;
    Image: string;
    Platform?: string;
    State: { Running: boolean; ExitCode: number };
    Config: { Image: string; Hostname: string; Domainname: string; Cmd: string[] | null; Entrypoint: string[] | null; User: string; WorkingDir: string; Tty: boolean; OpenStdin: boolean };
    HostConfig: {
        AutoRemove: boolean;
        ReadonlyRootfs: boolean;
        RestartPolicy: { Name: string; MaximumRetryCount: number };
        NetworkMode: string;
        Privileged: boolean;
        PublishAllPorts: boolean;
        Init: boolean | null;
        LogConfig: { Type: string };
    };
    NetworkSettings: {
        Bridge: string;
        Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null;
        Networks: Record<string, { NetworkID: string; IPAddress: string; IPPrefixLen: number; Gateway: string; GlobalIPv6Address: string; GlobalIPv6PrefixLen: number; IPv6Gateway: string; MacAddress: string }> | null;
    } | null;
}

/** The ContainerCreate request (config + host config) for the inputs. */
export function containerCreateBody(inputs: JsonObject, image: string): JsonObject {
    const i = plain(inputs);
    const f = new Fields(i);
    const body: JsonObject = { Image: image, Hostname: f.str("hostname") ?? "", Domainname: f.str("domainname") ?? "", Tty: f.bool("tty", false), OpenStdin: f.bool("stdinOpen", false) };
    if (f.str("stopSignal")) body.StopSignal = f.str("stopSignal") ?? "";
    if (f.num("stopTimeout") !== undefined) body.StopTimeout = f.num("stopTimeout") ?? 0;
    const envs = f.strs("envs");
    if (envs && envs.length > 0) body.Env = envs;
    const cmd = f.strs("command");
    if (cmd && cmd.length > 0) {
        if (cmd.some((c) => c === "")) throw new Error("values for command may not be empty");
        body.Cmd = cmd;
    }
    const ep = f.strs("entrypoints");
    if (ep && ep.length > 0) body.Entrypoint = ep;
    if (f.str("user")) body.User = f.str("user") ?? "";
    if (f.str("workingDir")) body.WorkingDir = f.str("workingDir") ?? "";
    const labels = labelsToMap(i.labels);
    if (Object.keys(labels).length > 0) body.Labels = labels;
    const exposed: JsonObject = {};
    const bindings: Record<string, JsonObject[]> = {};
    for (const p of f.objs("ports")) {
        const pf = new Fields(p, "ports.");
        const key = `${pf.num("internal")}/${pf.str("protocol") ?? "tcp"}`;
        exposed[key] = {};
        const ext = pf.num("external");
        const ip = pf.str("ip");
        if (ext !== undefined || ip !== undefined) {
            (bindings[key] ??= []).push({ HostIp: ip ?? "", HostPort: ext !== undefined ? String(ext) : "" });
        }
    }
    if (Object.keys(exposed).length > 0) body.ExposedPorts = exposed;
    const volumesMap: JsonObject = {};
    const binds: string[] = [];
    const volumesFrom: string[] = [];
    for (const v of f.objs("volumes")) {
        const vf = new Fields(v, "volumes.");
        const from = vf.str("fromContainer") ?? "";
        const cpath = vf.str("containerPath") ?? "";
        const src = vf.str("hostPath") || vf.str("volumeName") || "";
        if (from === "" && cpath === "") throw new Error("volume entry without container path or source container");
        if (from !== "" && cpath !== "") throw new Error("both a container and a path specified in a volume entry");
        if (from !== "") volumesFrom.push(from);
        else {
            volumesMap[cpath] = {};
            if (src !== "") binds.push(`${src}:${cpath}:${vf.bool("readOnly", false) ? "ro" : "rw"}`);
        }
    }
    if (Object.keys(volumesMap).length > 0) body.Volumes = volumesMap;
    const host: JsonObject = {
        Privileged: f.bool("privileged", false),
        PublishAllPorts: f.bool("publishAllPorts", false),
        RestartPolicy: { Name: f.str("restart") ?? "no", MaximumRetryCount: f.num("maxRetryCount") ?? 0 },
        AutoRemove: f.bool("rm", false),
        ReadonlyRootfs: f.bool("readOnly", false),
        LogConfig: { Type: f.str("logDriver") ?? "" },
        Init: f.bool("init", false),
    };
    if (Object.keys(bindings).length > 0) host.PortBindings = bindings;
    if (binds.length > 0) host.Binds = binds;
    if (volumesFrom.length > 0) host.VolumesFrom = volumesFrom;
    const mode = f.str("networkMode");
    if (mode) host.NetworkMode = mode;
    body.HostConfig = host;
    body.NetworkingConfig = {};
    return body;
}

/** flattenContainerPorts: one entry per binding, sorted by port/protocol. */
export function flattenPorts(ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null | undefined): JsonObject[] {
    const keys = Object.keys(ports ?? {}).sort((a, b) => {
        const [pa, qa] = a.split("/");
        const [pb, qb] = b.split("/");
        return Number(pa) - Number(pb) || qa.localeCompare(qb);
    });
    const out: JsonObject[] = [];
    for (const k of keys) {
        const [port, proto] = k.split("/");
        for (const b of (ports ?? {})[k] ?? []) {
            out.push({ internal: Number(port), external: Number(b.HostPort) || 0, ip: b.HostIp, protocol: proto });
        }
    }
    return out;
}

/** resourceDockerContainerRead's state from `container inspect` (the attributes the stand-in keeps). */
export function containerState(state: JsonObject, c: ContainerInspect): JsonObject {
    const s: JsonObject = { ...state };
    const ns = c.NetworkSettings;
    const mustRun = s.mustRun === undefined ? true : unwrapSecrets(s.mustRun) === true;
    if (ns) {
        s.bridge = ns.Bridge;
        if ((c.State.Running || mustRun) && Array.isArray(s.ports) && s.ports.length > 0) s.ports = flattenPorts(ns.Ports);
        s.networkDatas = Object.entries(ns.Networks ?? {}).map(([networkName, n]) => ({
            networkName,
            ipAddress: n.IPAddress,
            ipPrefixLength: n.IPPrefixLen,
            gateway: n.Gateway,
            globalIpv6Address: n.GlobalIPv6Address,
            globalIpv6PrefixLength: n.GlobalIPv6PrefixLen,
            ipv6Gateway: n.IPv6Gateway,
            macAddress: n.MacAddress,
        }));
    }
    if (!c.State.Running) {
        s.exitCode = c.State.ExitCode;
        if (mustRun) s.mustRun = false;
    }
    s.name = c.Name.replace(/^\/+/, "");
    s.rm = c.HostConfig.AutoRemove;
    s.readOnly = c.HostConfig.ReadonlyRootfs;
    const image = typeof s.image === "string" ? s.image : "";
    s.image = image.startsWith("sha256:") ? c.Image : c.Config.Image;
    s.hostname = c.Config.Hostname;
    s.domainname = c.Config.Domainname;
    s.command = c.Config.Cmd ?? [];
    s.entrypoints = c.Config.Entrypoint ?? [];
    s.user = c.Config.User;
    s.workingDir = c.Config.WorkingDir;
    s.publishAllPorts = c.HostConfig.PublishAllPorts;
    s.restart = c.HostConfig.RestartPolicy.Name;
    s.maxRetryCount = c.HostConfig.RestartPolicy.MaximumRetryCount;
    s.init = c.HostConfig.Init ?? false;
    s.privileged = c.HostConfig.Privileged;
    s.logDriver = c.HostConfig.LogConfig.Type;
    s.networkMode = c.HostConfig.NetworkMode;
    s.tty = c.Config.Tty;
    s.stdinOpen = c.Config.OpenStdin;
    return s;
}

export async function containerRead(ctx: OpContext, id: string, state: JsonObject): Promise<JsonObject | undefined> {
    const list = await ctx.api.call<Array<{ Id: string }>>("GET", "/containers/json", { query: { all: true } }).catch((e: Error) => {
        throw new Error(`error fetching container information from Docker: ${e.message}`);
    });
    if (!list.some((c) => c.Id === id)) return undefined;
    return containerState(state, await ctx.api.call<ContainerInspect>("GET", `/containers/${id}/json`));
}

export async function containerCreate(ctx: OpContext, inputs: JsonObject): Promise<{ id: string; outs: JsonObject }> {
    const i = plain(inputs);
    const f = new Fields(i);
    const image = f.reqStr("image");
    try {
        await findImage(ctx, image, "");
    } catch (e) {
        throw new Error(`Unable to create container with image ${image}: ${(e as Error).message}`);
    }
    for (const k of ["uploads", "mounts", "healthcheck", "capabilities", "devices", "deviceCgroupRules", "hosts", "ulimits"]) {
        if (Array.isArray(i[k]) && (i[k] as Json[]).length > 0) throw new Error(`${k}: not served by this stand-in`);
    }
    let id: string;
    try {
        id = (await ctx.api.call<{ Id: string }>("POST", "/containers/create", { query: { name: f.reqStr("name") }, body: containerCreateBody(inputs, image) })).Id;
    } catch (e) {
        throw new Error(`Unable to create container: ${(e as Error).message}`);
    }
    const partial = (msg: string): InitFailedError => new InitFailedError(msg, id, { ...inputs });
    const networks = f.objs("networksAdvanced");
    if (networks.length > 0) {
        try {
            await ctx.api.call("POST", "/networks/bridge/disconnect", { body: { Container: id, Force: false } });
        } catch (e) {
            if (!/is not connected to the network bridge/.test((e as Error).message)) throw partial(`Unable to disconnect the default network: ${(e as Error).message}`);
        }
        for (const n of networks) {
            const nf = new Fields(n, "networksAdvanced.");
            const netId = nf.reqStr("name");
            const endpoint: JsonObject = {
                IPAMConfig: { IPv4Address: nf.str("ipv4Address") ?? "", IPv6Address: nf.str("ipv6Address") ?? "" },
            };
            const aliases = nf.strs("aliases");
            if (aliases) endpoint.Aliases = aliases;
            if (nf.str("macAddress")) endpoint.MacAddress = nf.str("macAddress") ?? "";
            try {
                await ctx.api.call("POST", `/networks/${encodeURIComponent(netId)}/connect`, { body: { Container: id, EndpointConfig: endpoint } });
            } catch (e) {
                throw partial(`Unable to connect to network '${netId}': ${(e as Error).message}`);
            }
        }
    }
    if (f.bool("start", true)) {
        try {
            await ctx.api.call("POST", `/containers/${id}/start`);
        } catch (e) {
            throw partial(`Unable to start container: ${(e as Error).message}`);
        }
        if (f.bool("wait", false)) throw partial("wait: waiting for a healthy state is not served by this stand-in");
    }
    if (f.bool("attach", false)) {
        await ctx.api.call("POST", `/containers/${id}/wait`, { query: { condition: "not-running" } });
    }
    const outs = await containerRead(ctx, id, inputs);
    return { id, outs: outs ?? inputs };
}

/** resourceDockerContainerUpdate: start on mustRun false->true; ContainerUpdate when restart & co changed. */
export async function containerUpdate(ctx: OpContext, id: string, olds: JsonObject, news: JsonObject, changed: readonly string[]): Promise<JsonObject> {
    const o = plain(olds);
    const n = plain(news);
    const f = new Fields(n);
    if (changed.includes("mustRun") && o.mustRun === false && f.bool("mustRun", true) && f.bool("start", true)) {
        try {
            await ctx.api.call("POST", `/containers/${id}/start`);
        } catch (e) {
            throw new Error(`Unable to start container: ${(e as Error).message}`);
        }
    }
    const attrs = ["restart", "maxRetryCount", "cpuShares", "memory", "memoryReservation", "cpuSet", "memorySwap", "deviceReadBps", "deviceReadIops", "deviceWriteBps", "deviceWriteIops"];
    if (attrs.some((a) => changed.includes(a))) {
        const mb = 1024 * 1024;
        const body: JsonObject = {
            RestartPolicy: { Name: f.str("restart") ?? "no", MaximumRetryCount: f.num("maxRetryCount") ?? 0 },
            CpuShares: f.num("cpuShares") ?? 0,
            Memory: (f.num("memory") ?? 0) * mb,
            MemoryReservation: (f.num("memoryReservation") ?? 0) * mb,
            CpusetCpus: f.str("cpuSet") ?? "",
        };
        const swap = f.num("memorySwap");
        if (swap !== undefined && swap !== 0) body.MemorySwap = swap > 0 ? swap * mb : swap;
        try {
            await ctx.api.call("POST", `/containers/${id}/update`, { body });
        } catch (e) {
            throw new Error(`Unable to update a container: ${(e as Error).message}`);
        }
    }
    // upstream Update does not re-read; the engine stores the new inputs with the old computed outputs
    const keep: JsonObject = {};
    for (const k of ["bridge", "networkDatas", "exitCode", "containerLogs"]) if (k in olds) keep[k] = olds[k];
    return { ...keep, ...news };
}

/** resourceDockerContainerDelete: stop (destroyGraceSeconds, default 0), force-remove, wait. */
export async function containerDelete(ctx: OpContext, id: string, state: JsonObject): Promise<void> {
    const f = new Fields(plain(state));
    const ignorable = (e: unknown, ...m: string[]) => m.some((x) => (e as Error).message.includes(x));
    if (!f.bool("attach", false)) {
        try {
            await ctx.api.call("POST", `/containers/${id}/stop`, { query: { t: f.num("destroyGraceSeconds") ?? 0 }, okStatus: [304] });
        } catch (e) {
            if (!ignorable(e, "No such container")) throw new Error(`Error stopping container ${id}: ${(e as Error).message}`);
        }
    }
    try {
        await ctx.api.call("DELETE", `/containers/${id}`, { query: { v: f.bool("removeVolumes", true), force: true } });
    } catch (e) {
        if (!ignorable(e, "No such container", "is already in progress")) throw new Error(`Error deleting container ${id}: ${(e as Error).message}`);
    }
    try {
        await ctx.api.call("POST", `/containers/${id}/wait`, { query: { condition: f.bool("rm", false) ? "removed" : "not-running" } });
    } catch (e) {
        if (!ignorable(e, "No such container", "is already in progress")) throw new Error(`Error waiting for container removal '${id}': ${(e as Error).message}`);
    }
}

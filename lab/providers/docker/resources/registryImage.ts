/**
 * docker_registry_image (Pulumi's RegistryImage): resource_docker_registry_image.go (schema) and
 * resource_docker_registry_image_funcs.go (kreuzwerker v4.6.0: create, read, update, delete), the
 * digest request of data_source_docker_registry_image.go `getImageDigest`; the HTTP client in
 * ../registryHttp.ts.
 */
import { createHash } from "crypto";
import { AuthConfig, digestRequest, parseImageOptions, pushName, pushRegistryAuthHeader, registryImageAuth } from "../auth";
import { ProxyConfig } from "../proxy";
import { HttpResult, registryRequest } from "../registryHttp";
import { F, OUT, Schema } from "../rules";
import { Fields, JsonObject, unwrapSecrets } from "../values";
import { splitReference } from "./images";
import { OpContext, ResourceKind, plain } from "./types";

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

export const registryImage: ResourceKind = {
    name: "registryImage",
    token: "docker:index/registryImage:RegistryImage",
    schema: REGISTRY_IMAGE,
    deleteBeforeReplace: false,
    create: registryImageCreate,
    read: (ctx, _id, state) => registryImageRead(ctx, state),
    update: (ctx, { urn, news }) => registryImageUpdate(ctx, urn, news),
    // keepRemotely: nothing to do on the registry, so no connection either
    delete: async (ctx, _id, state) => (unwrapSecrets(state.keepRemotely ?? false) === true ? undefined : registryImageDelete(ctx(), state)),
};

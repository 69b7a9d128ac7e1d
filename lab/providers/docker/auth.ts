/**
 * Registry addresses, image names and auth configs as the upstream provider derives them. Pure.
 * Upstream: internal/provider/config.go (normalizeRegistryAddress, canonicalizeRegistryAddress),
 * provider.go (providerSetToRegistryAuth, convertToHostname, getAuthConfigFromConfigFile),
 * resource_docker_image_funcs.go (parseImageOptions), resource_docker_registry_image_funcs.go
 * (buildAuthConfigFromResource, getAuthConfigForRegistry, createPushImageOptions),
 * authentication_helpers.go (setupHTTPRequestForRegistry, setupHTTPHeadersForRegistryRequests).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Fields, Json, JsonObject, isObject, unwrapSecrets } from "./values";

/** An auth config: where the registry is (with scheme) and the credentials. */
export interface AuthConfig {
    /** `https://host:port` or `http://host:port`. */
    serverAddress: string;
    username: string;
    password: string;
}

/** `http://` kept; anything else becomes `https://...`. */
export function normalizeRegistryAddress(address: string): string {
    if (address.startsWith("http://") || address.startsWith("https://")) return address;
    return `https://${address}`;
}

/** The host[:port] of a registry URL (scheme and path dropped). */
export function convertToHostname(url: string): string {
    const stripped = url.startsWith("http://") ? url.slice(7) : url.startsWith("https://") ? url.slice(8) : url;
    return stripped.split("/", 1)[0];
}

export function canonicalizeRegistryAddress(address: string): string {
    const n = normalizeRegistryAddress(address);
    return (n.startsWith("http://") ? "http://" : "https://") + convertToHostname(n);
}

/** An image name split as upstream does: registry (default registry-1.docker.io), repository, tag. */
export interface ImageOptions {
    registry: string;
    repository: string;
    tag: string;
}

export function parseImageOptions(image: string): ImageOptions {
    let registry = "";
    let repository = image;
    let tag = "";
    const firstSlash = image.indexOf("/");
    const slashes = image.split("/").length - 1;
    if (slashes > 1 || (firstSlash !== -1 && (/[.:]/.test(image.slice(0, firstSlash)) || image.slice(0, firstSlash) === "localhost"))) {
        registry = image.slice(0, firstSlash);
    }
    const prefix = registry.length;
    const tagIndex = image.slice(prefix).indexOf(":");
    if (tagIndex !== -1) {
        repository = image.slice(0, prefix + tagIndex);
        tag = image.slice(prefix + tagIndex + 1);
        const at = tag.indexOf("@");
        if (at !== -1) tag = tag.slice(at + 1);
    }
    if (tag === "") tag = "latest";
    if (registry === "") {
        registry = "registry-1.docker.io";
        if (!repository.includes("/")) repository = `library/${repository}`;
    } else {
        repository = repository.replace(`${registry}/`, "");
    }
    return { registry, repository, tag };
}

/** createPushImageOptions: the fully qualified name pushed, `<registry>/<repository>:<tag>`. */
export function pushName(image: string): string {
    const o = parseImageOptions(image);
    return `${o.registry}/${o.repository}:${o.tag}`;
}

const DOCKER_HUB = ["registry-1.docker.io", "index.docker.io", "docker.io", "registry.hub.docker.com"];

/** Read by `configFile`: `auths[<host>]` of a docker config.json (credential helpers are not run). */
function authFromConfigJson(text: string, registryHostname: string): { username: string; password: string } | undefined {
    const parsed: unknown = JSON.parse(text);
    const auths = isObject(parsed) && isObject(parsed.auths) ? parsed.auths : {};
    const keys = DOCKER_HUB.includes(registryHostname)
        ? ["https://index.docker.io/v1/", ...DOCKER_HUB]
        : [registryHostname, `https://${registryHostname}`, `http://${registryHostname}`];
    for (const k of keys) {
        const e = auths[k];
        if (!isObject(e)) continue;
        if (typeof e.username === "string") return { username: e.username, password: typeof e.password === "string" ? e.password : "" };
        if (typeof e.auth === "string") {
            const [u, ...p] = Buffer.from(e.auth, "base64").toString("utf8").split(":");
            return { username: u, password: p.join(":") };
        }
    }
    // docker's configfile returns an empty config for an unknown registry
    return { username: "", password: "" };
}

/**
 * providerSetToRegistryAuth: the provider's `registryAuth` list -> registry hostname -> auth config.
 * `authDisabled` uses dummy credentials; a username wins; then `configFileContent`; then
 * `configFile` (default `~/.docker/config.json`, or `$DOCKER_CONFIG`), which must exist.
 */
export function registryAuthConfigs(
    list: Json | undefined,
    env: NodeJS.ProcessEnv = process.env,
    readFile: (p: string) => string = (p) => fs.readFileSync(p, "utf8"),
): Map<string, AuthConfig> {
    const out = new Map<string, AuthConfig>();
    const items = Array.isArray(list) ? list : [];
    for (const raw of items) {
        const item = unwrapSecrets(raw);
        if (!isObject(item)) throw new Error(`registryAuth entries must be objects, got ${JSON.stringify(item)}`);
        const f = new Fields(item as JsonObject, "registryAuth.");
        const serverAddress = canonicalizeRegistryAddress(f.reqStr("address"));
        const host = convertToHostname(serverAddress);
        let username = f.str("username") ?? env.DOCKER_REGISTRY_USER ?? "";
        let password = f.str("password") ?? env.DOCKER_REGISTRY_PASS ?? "";
        if (f.bool("authDisabled", false)) {
            username = "username";
            password = "password";
        }
        if (username === "") {
            const content = f.str("configFileContent");
            if (content !== undefined && content !== "") {
                const a = authFromConfigJson(content, host);
                if (a === undefined) throw new Error(`couldn't find registry config for '${host}' in file content`);
                ({ username, password } = a);
            } else {
                let file = f.str("configFile") ?? defaultConfigFile(env);
                if (file.startsWith("~/")) file = path.join(os.homedir(), file.slice(2));
                let text: string;
                try {
                    text = readFile(file);
                } catch (e) {
                    throw new Error(`Error loading registry auth config: could not open config file from filePath: ${file}. Error: ${(e as Error).message}`);
                }
                const a = authFromConfigJson(text, host);
                ({ username, password } = a ?? { username: "", password: "" });
            }
        }
        out.set(host, { serverAddress, username, password });
    }
    return out;
}

function defaultConfigFile(env: NodeJS.ProcessEnv): string {
    const v = env.DOCKER_CONFIG;
    if (v !== undefined && v !== "") {
        try {
            if (fs.statSync(v).isDirectory()) return path.join(v, "config.json");
        } catch {
            // a file or nothing: used as is
        }
        return v;
    }
    return "~/.docker/config.json";
}

/** buildAuthConfigFromResource: a RegistryImage's own `authConfig` (first element). */
export function resourceAuthConfig(authConfig: Json | undefined): AuthConfig | undefined {
    const v = authConfig === undefined ? undefined : unwrapSecrets(authConfig);
    const first = Array.isArray(v) ? v[0] : v;
    if (!isObject(first)) return undefined;
    const f = new Fields(first, "authConfig.");
    return { serverAddress: canonicalizeRegistryAddress(f.reqStr("address")), username: f.str("username") ?? "", password: f.str("password") ?? "" };
}

/**
 * getAuthConfigForRegistry: the provider's auth config for the registry host[:port], or Docker
 * Hub's under any of its names; otherwise the upstream error.
 */
export function authConfigForRegistry(registry: string, configs: ReadonlyMap<string, AuthConfig>): AuthConfig {
    const hit = configs.get(registry);
    if (hit) return hit;
    if (DOCKER_HUB.includes(registry)) {
        for (const h of DOCKER_HUB) {
            const c = configs.get(h);
            if (c) return c;
        }
    }
    const shown = [...configs.entries()].map(([k, c]) => `${JSON.stringify(k)}:registry.AuthConfig{ServerAddress:${JSON.stringify(c.serverAddress)}}`).join(", ");
    throw new Error(`no auth config found for registry ${registry} in auth configs: map[string]registry.AuthConfig{${shown}}`);
}

/** The auth config a RegistryImage uses: its own `authConfig`, else the provider's for its registry. */
export function registryImageAuth(name: string, ownAuthConfig: Json | undefined, providerConfigs: ReadonlyMap<string, AuthConfig>, op: string): AuthConfig {
    const own = resourceAuthConfig(ownAuthConfig);
    if (own) return own;
    try {
        return authConfigForRegistry(parseImageOptions(name).registry, providerConfigs);
    } catch (e) {
        throw new Error(`${op}: Unable to get authConfig for registry: ${(e as Error).message}`);
    }
}

/** The HEAD request that asks the registry for the digest (setupHTTPRequestForRegistry). */
export interface DigestRequest {
    method: "HEAD" | "GET";
    url: string;
    headers: Record<string, string>;
}

export function digestRequest(name: string, auth: AuthConfig, fallback: boolean): DigestRequest {
    const o = parseImageOptions(name);
    const headers: Record<string, string> = {
        Accept: fallback
            ? "application/vnd.docker.distribution.manifest.v1+prettyjws"
            : [
                  "application/vnd.docker.distribution.manifest.v2+json",
                  "application/vnd.docker.distribution.manifest.list.v2+json",
                  "application/vnd.oci.image.manifest.v1+json",
                  "application/vnd.oci.image.index.v1+json",
              ].join(", "),
    };
    if (auth.username !== "") {
        headers.Authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
    }
    return { method: "HEAD", url: `${auth.serverAddress}/v2/${o.repository}/manifests/${o.tag}`, headers };
}

/** The X-Registry-Auth header of a push: only when a username is set (pushDockerRegistryImage). */
export function pushRegistryAuthHeader(auth: AuthConfig): string | undefined {
    if (auth.username === "") return undefined;
    // base64.URLEncoding in Go: URL alphabet, with padding
    return Buffer.from(JSON.stringify({ username: auth.username, password: auth.password })).toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
}

/**
 * The stand-in for the pulumi-docker 5.2.0 provider plugin: one instance per plugin process, and
 * the engine starts one process per `pulumi:providers:docker` resource and configures it with that
 * provider's stored inputs. So every operation uses the config of the provider it was created
 * with (a delete included); nothing here reads a module-level config.
 */
import * as provider from "@pulumi/pulumi/provider";
import { AuthConfig, registryAuthConfigs } from "./auth";
import { DockerApi } from "./dockerApi";
import * as R from "./resources";
import { TOKENS, Token, applyDefaults, diffProperties, isToken, typeOfUrn, unknownProperties, validateInputs, SCHEMAS, PROVIDER, diffProviderConfig } from "./rules";
import { SshStdioConnection, sshArgv } from "./ssh";
import { Json, JsonObject, isObject, resecret, unwrapSecrets } from "./values";

export const PROVIDER_VERSION = "5.2.0";

/** The provider config this instance runs with. */
export interface DockerProviderConfig {
    host: string;
    sshOpts: string[];
    authConfigs: Map<string, AuthConfig>;
}

/** Provider inputs (Configure args, secrets unwrapped) -> config; environment defaults as provider.go. */
export function providerConfigFrom(args: JsonObject, env: NodeJS.ProcessEnv = process.env): DockerProviderConfig {
    const a = unwrapSecrets(args) as JsonObject;
    const host = typeof a.host === "string" && a.host !== "" ? a.host : env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
    let sshOpts: string[] = [];
    const raw = a.sshOpts;
    const list: Json | undefined = typeof raw === "string" ? (JSON.parse(raw) as Json) : raw;
    if (Array.isArray(list)) sshOpts = list.filter((x): x is string => typeof x === "string");
    else if (env.DOCKER_SSH_OPTS) sshOpts = env.DOCKER_SSH_OPTS.split(/\s+/).filter((x) => x !== "");
    const ra = typeof a.registryAuth === "string" ? (JSON.parse(a.registryAuth) as Json) : a.registryAuth;
    for (const k of ["context", "caMaterial", "certMaterial", "keyMaterial", "certPath"]) {
        if (typeof a[k] === "string" && a[k] !== "") throw new Error(`${k}: not served by this stand-in (it reaches dockerd over ssh:// only)`);
    }
    return { host, sshOpts, authConfigs: registryAuthConfigs(ra, env) };
}

/** The Configure request's variables (`docker:config:<key>` -> string, JSON for lists) as args. */
export function argsFromVariables(vars: ReadonlyMap<string, string> | Map<string, string>): JsonObject {
    const out: JsonObject = {};
    for (const [k, v] of vars) {
        const key = k.replace(/^docker:config:/, "");
        if (key === k) continue;
        let val: Json = v;
        if (v.startsWith("[") || v.startsWith("{")) {
            try {
                val = JSON.parse(v) as Json;
            } catch {
                val = v;
            }
        }
        out[key] = val;
    }
    return out;
}

export class DockerStandInProvider implements provider.Provider {
    readonly version = PROVIDER_VERSION;
    private config: DockerProviderConfig | undefined;
    private apiInstance: DockerApi | undefined;

    /**
     * @param log where upstream's warnings go (stderr: the engine's plugin log)
     * @param wrapArgv test hook: wraps the ssh argv (e.g. to run it in a network namespace)
     */
    constructor(
        private readonly log: (msg: string) => void = (m) => process.stderr.write(`${m}\n`),
        private readonly wrapArgv: (argv: string[]) => string[] = (a) => a,
    ) {}

    /** Called by the patched gRPC Configure. */
    configure(args: JsonObject): void {
        this.config = providerConfigFrom(args);
        this.apiInstance?.close();
        this.apiInstance = undefined;
    }

    private ctx(): R.OpContext {
        const cfg = this.config;
        if (cfg === undefined) throw new Error("the Docker provider was not configured");
        if (this.apiInstance === undefined) {
            if (!cfg.host.startsWith("ssh://")) {
                throw new Error(`host ${cfg.host}: this stand-in serves ssh:// Docker hosts only`);
            }
            const argv = this.wrapArgv(sshArgv(cfg.host, cfg.sshOpts));
            this.apiInstance = new DockerApi(() => new SshStdioConnection(argv), cfg.host);
        }
        return { api: this.apiInstance, authConfigs: cfg.authConfigs, log: this.log };
    }

    private token(urn: string): Token {
        const t = typeOfUrn(urn);
        if (!isToken(t)) throw new Error(`unknown resource type ${t}: the Docker stand-in serves ${Object.values(TOKENS).join(", ")}`);
        return t;
    }

    async check(urn: string, _olds: JsonObject, news: JsonObject): Promise<provider.CheckResult> {
        const t = this.token(urn);
        const failures = [
            ...unknownProperties(SCHEMAS[t], news).map((reason) => ({ property: reason.split(":")[0], reason })),
            ...validateInputs(SCHEMAS[t], urn, news),
        ];
        return { inputs: applyDefaults(SCHEMAS[t], news), failures };
    }

    async diff(_id: string, urn: string, olds: JsonObject, news: JsonObject): Promise<provider.DiffResult> {
        const d = diffProperties(this.token(urn), olds, news);
        return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: d.deleteBeforeReplace };
    }

    async create(urn: string, inputs: JsonObject): Promise<provider.CreateResult> {
        const t = this.token(urn);
        const ctx = this.ctx();
        const r = await (async () => {
            switch (t) {
                case TOKENS.network: return R.networkCreate(ctx, inputs);
                case TOKENS.volume: return R.volumeCreate(ctx, inputs);
                case TOKENS.remoteImage: return R.remoteImageCreate(ctx, inputs);
                case TOKENS.tag: return R.tagCreate(ctx, inputs);
                case TOKENS.registryImage: return R.registryImageCreate(ctx, inputs);
                case TOKENS.container: return R.containerCreate(ctx, inputs);
            }
        })();
        return { id: r.id, outs: resecret(inputs, r.outs) };
    }

    async read(id: string, urn: string, props: JsonObject): Promise<provider.ReadResult> {
        const t = this.token(urn);
        const ctx = this.ctx();
        const outs = await (async (): Promise<JsonObject | undefined> => {
            switch (t) {
                case TOKENS.network: return R.networkRead(ctx, id, props);
                case TOKENS.volume: return R.volumeRead(ctx, id, props);
                case TOKENS.remoteImage: return (await R.remoteImageRead(ctx, props))?.outs;
                case TOKENS.tag: return props; // resourceDockerTagRead does nothing
                case TOKENS.registryImage: return R.registryImageRead(ctx, props);
                case TOKENS.container: return R.containerRead(ctx, id, props);
            }
        })();
        if (outs === undefined) return { id: "", props: {} };
        return { id, props: resecret(props, outs) };
    }

    async update(id: string, urn: string, olds: JsonObject, news: JsonObject): Promise<provider.UpdateResult> {
        const t = this.token(urn);
        const ctx = this.ctx();
        const changed = diffProperties(t, olds, news).changed;
        const outs = await (async (): Promise<JsonObject> => {
            switch (t) {
                case TOKENS.container: return R.containerUpdate(ctx, id, olds, news, changed);
                case TOKENS.remoteImage: return R.remoteImageUpdate(ctx, news);
                case TOKENS.registryImage: return R.registryImageUpdate(ctx, urn, news);
                case TOKENS.volume: return { ...olds, ...news }; // only `cluster` is updatable upstream
                default: throw new Error(`${t} has no update upstream: every argument forces replacement`);
            }
        })();
        return { outs: resecret(news, outs) };
    }

    async delete(id: string, urn: string, props: JsonObject): Promise<void> {
        const t = this.token(urn);
        if (t === TOKENS.tag) return; // resourceDockerTagDelete: "We do not delete any of the source and target images"
        if (t === TOKENS.registryImage && unwrapSecrets(props.keepRemotely ?? false) === true) return;
        const ctx = this.ctx();
        switch (t) {
            case TOKENS.network: return R.networkDelete(ctx, id);
            case TOKENS.volume: return R.volumeDelete(ctx, id);
            case TOKENS.remoteImage: return R.remoteImageDelete(ctx, props);
            case TOKENS.registryImage: return R.registryImageDelete(ctx, props);
            case TOKENS.container: return R.containerDelete(ctx, id, props);
        }
    }

    /** CheckConfig: the inputs with provider.go's defaults. */
    checkConfig(news: JsonObject): JsonObject {
        return applyDefaults(PROVIDER, news);
    }

    /** DiffConfig: changes update the provider in place. */
    diffConfig(olds: JsonObject, news: JsonObject): { changes: boolean } {
        return { changes: diffProviderConfig(olds, news).changes };
    }
}

export function isJsonObject(v: unknown): v is JsonObject {
    return isObject(v);
}

/**
 * One resource kind of the Docker stand-in: its type token, the upstream schema that decides Check
 * and Diff (../rules.ts reads it), and what create, read, update and delete do on the Docker host,
 * following the upstream functions named in ../README.md. A new kind is a file in this folder with
 * one `ResourceKind` and a line in ./index.ts.
 */
import { AuthConfig } from "../auth";
import { DockerApi } from "../dockerApi";
import { ProxyConfig } from "../proxy";
import { Schema } from "../rules";
import { JsonObject, unwrapSecrets } from "../values";

/** Provider-level settings a resource operation needs (from this provider instance's Configure). */
export interface OpContext {
    api: DockerApi;
    authConfigs: ReadonlyMap<string, AuthConfig>;
    log: (msg: string) => void;
    /** Proxy settings for registry requests; defaults to the process's (read once, as Go does). */
    proxies?: ProxyConfig;
}

/** What an update gets: the resource, its stored state, the checked inputs and what Diff found changed. */
export interface UpdateRequest {
    id: string;
    urn: string;
    olds: JsonObject;
    news: JsonObject;
    /** The properties whose value changed (`diffProperties(...).changed`). */
    changed: readonly string[];
}

export interface ResourceKind {
    /** Short name (`network`, `remoteImage`): the key of `TOKENS`. */
    readonly name: string;
    /** The Pulumi type token the engine sends (`docker:index/network:Network`). */
    readonly token: string;
    /** The upstream schema: ForceNew, Optional+Computed, defaults, sets, validators (../rules.ts). */
    readonly schema: Schema;
    /** pulumi-docker provider/resources.go `DeleteBeforeReplace` of the resource. */
    readonly deleteBeforeReplace: boolean;
    /** Create on the host: the id and the state to store. */
    create(ctx: OpContext, inputs: JsonObject): Promise<{ id: string; outs: JsonObject }>;
    /** The state read from the host, or undefined when the resource is gone. */
    read(ctx: OpContext, id: string, state: JsonObject): Promise<JsonObject | undefined>;
    /** Update in place; absent when upstream has no Update (every argument ForceNew). */
    update?(ctx: OpContext, req: UpdateRequest): Promise<JsonObject>;
    /**
     * Delete on the host. `ctx()` connects (it needs the provider's config): a delete that does
     * nothing on the host does not call it.
     */
    delete(ctx: () => OpContext, id: string, state: JsonObject): Promise<void>;
}

/** A create that left something on the host: the engine records it as partially created. */
export class InitFailedError extends Error {
    constructor(message: string, readonly id: string, readonly properties: JsonObject) {
        super(message);
    }
}

/** The inputs with secret wrappers removed, for requests and field reads. */
export const plain = (o: JsonObject): JsonObject => unwrapSecrets(o) as JsonObject;

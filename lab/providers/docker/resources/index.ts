/**
 * The resource kinds the Docker stand-in serves, by type token. A new kind: its `ResourceKind` in a
 * file of this folder (schema, create, read, update, delete, following upstream), one line below,
 * and its rules in ../README.md (the table and the prose).
 */
import { DiffOutcome, diffInputs, typeOfUrn } from "../rules";
import { JsonObject } from "../values";
import { ResourceKind } from "./types";
import { network } from "./network";
import { volume } from "./volume";
import { remoteImage } from "./remoteImage";
import { tag } from "./tag";
import { registryImage } from "./registryImage";
import { container } from "./container";

export { OpContext, ResourceKind, UpdateRequest, InitFailedError } from "./types";

const REGISTERED: readonly ResourceKind[] = [network, volume, remoteImage, tag, registryImage, container];

/** Type token -> kind. */
export const KINDS: Readonly<Record<string, ResourceKind>> = Object.fromEntries(REGISTERED.map((k) => [k.token, k]));

/** Kind name (`network`, `remoteImage`, ...) -> type token. */
export const TOKENS: Readonly<Record<string, string>> = Object.fromEntries(REGISTERED.map((k) => [k.name, k.token]));

/** The kind of a type token; throws naming the served ones (as for a resource type nobody serves). */
export function kindOf(token: string): ResourceKind {
    const k = Object.prototype.hasOwnProperty.call(KINDS, token) ? KINDS[token] : undefined;
    if (k === undefined) throw new Error(`unknown resource type ${token}: the Docker stand-in serves ${Object.keys(KINDS).join(", ")}`);
    return k;
}

/** The kind of the resource a URN names. */
export function kindOfUrn(urn: string): ResourceKind {
    return kindOf(typeOfUrn(urn));
}

/** Diff of a resource of type `token` (../rules.ts `diffInputs` with its kind's schema). Pure. */
export function diffProperties(token: string, olds: JsonObject, news: JsonObject): DiffOutcome {
    return diffInputs(kindOf(token), olds, news);
}

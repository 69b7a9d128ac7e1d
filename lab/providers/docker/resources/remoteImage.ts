/**
 * docker_image (Pulumi's RemoteImage): resource_docker_image.go (schema) and
 * resource_docker_image_funcs.go (create, read, update, delete); the image lookups in ./images.ts.
 */
import { F, FS, OUT, Schema } from "../rules";
import { Fields, JsonObject } from "../values";
import { findImage, repoDigestOf, searchLocalImage } from "./images";
import { OpContext, ResourceKind, plain } from "./types";

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

export const remoteImage: ResourceKind = {
    name: "remoteImage",
    token: "docker:index/remoteImage:RemoteImage",
    schema: REMOTE_IMAGE,
    deleteBeforeReplace: false,
    create: remoteImageCreate,
    read: async (ctx, _id, state) => (await remoteImageRead(ctx, state))?.outs,
    update: (ctx, { news }) => remoteImageUpdate(ctx, news),
    delete: (ctx, _id, state) => remoteImageDelete(ctx(), state),
};

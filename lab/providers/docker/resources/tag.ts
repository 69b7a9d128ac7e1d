/**
 * docker_tag (Pulumi's Tag): resource_docker_tag.go (schema: no update, every argument ForceNew) and
 * resource_docker_tag_funcs.go (create; read and delete do nothing on the host).
 */
import { F, FS, OUT, Schema } from "../rules";
import { Fields, JsonObject } from "../values";
import { splitReference } from "./images";
import { OpContext, ResourceKind, plain } from "./types";

/** resource_docker_tag.go resourceDockerTag(): no Update; every argument ForceNew. */
export const TAG: Schema = {
    sourceImage: F,
    targetImage: F,
    tagTriggers: FS,
    sourceImageId: OUT,
};

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

export const tag: ResourceKind = {
    name: "tag",
    token: "docker:index/tag:Tag",
    schema: TAG,
    deleteBeforeReplace: false,
    create: tagCreate,
    // resourceDockerTagRead does nothing
    read: async (_ctx, _id, state) => state,
    // resourceDockerTagDelete: "We do not delete any of the source and target images"
    delete: async () => undefined,
};

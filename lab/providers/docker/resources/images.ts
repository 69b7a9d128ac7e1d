/**
 * Local images on the Docker host, as RemoteImage, Tag and Container find them:
 * resource_docker_image_funcs.go (`fetchLocalImages`, `searchLocalImages`, `findImage`) and
 * data_source_docker_image.go (`determineRepoDigest`).
 */
import { parseImageOptions } from "../auth";
import { DockerApi, isNotFound } from "../dockerApi";
import { OpContext } from "./types";

export interface ImageSummary {
    Id: string;
    RepoTags: string[] | null;
    RepoDigests: string[] | null;
}

/** fetchLocalImages + searchLocalImages: inspect by name, then the image list entry of that id. */
export async function searchLocalImage(api: DockerApi, name: string): Promise<ImageSummary | undefined> {
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
export async function findImage(ctx: OpContext, name: string, platform: string): Promise<ImageSummary> {
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


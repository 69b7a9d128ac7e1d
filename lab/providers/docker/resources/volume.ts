/**
 * docker_volume (Pulumi's Volume): resource_docker_volume.go (schema, create, read, delete; the
 * update changes only `cluster`).
 */
import { F, FC, FS, OUT, Schema } from "../rules";
import { Fields, JsonObject } from "../values";
import { isNotFound } from "../dockerApi";
import { labelsToMap, mapToLabels } from "./labels";
import { OpContext, ResourceKind, plain } from "./types";

/** resource_docker_volume.go resourceDockerVolume(). */
export const VOLUME: Schema = {
    name: FC,
    labels: FS,
    driver: FC,
    driverOpts: F,
    cluster: {},
    mountpoint: OUT,
};

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

export const volume: ResourceKind = {
    name: "volume",
    token: "docker:index/volume:Volume",
    schema: VOLUME,
    deleteBeforeReplace: false,
    create: volumeCreate,
    read: volumeRead,
    // only `cluster` is updatable upstream
    update: async (_ctx, { olds, news }) => ({ ...olds, ...news }),
    delete: (ctx, id) => volumeDelete(ctx(), id),
};

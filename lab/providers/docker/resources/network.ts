/**
 * docker_network (Pulumi's Network): resource_docker_network.go (schema) and
 * resource_docker_network_funcs.go (create, read, delete; there is no update).
 */
import { F, FC, FS, OUT, Schema } from "../rules";
import { Fields, JsonObject } from "../values";
import { labelsToMap, mapToLabels } from "./labels";
import { OpContext, ResourceKind, plain } from "./types";

/** resource_docker_network.go resourceDockerNetwork(): every argument ForceNew. */
export const NETWORK: Schema = {
    name: F,
    labels: FS,
    driver: FC,
    options: FC,
    internal: FC,
    attachable: F,
    ingress: F,
    ipv6: F,
    ipamDriver: { forceNew: true, dflt: "default" },
    ipamOptions: F,
    ipamConfigs: { forceNew: true, computed: true, set: true },
    scope: OUT,
};

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

export const network: ResourceKind = {
    name: "network",
    token: "docker:index/network:Network",
    schema: NETWORK,
    deleteBeforeReplace: false,
    create: networkCreate,
    read: networkRead,
    delete: (ctx, id) => networkDelete(ctx(), id),
};

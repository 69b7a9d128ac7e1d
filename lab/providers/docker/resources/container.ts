/**
 * docker_container (Pulumi's Container): resource_docker_container.go (schema, Pulumi names from
 * bridge-metadata.json) and resource_docker_container_funcs.go (create, read, update, delete).
 */
import { F, FC, FS, OUT, Schema, atLeast, matchesPattern } from "../rules";
import { Fields, Json, JsonObject, isObject, unwrapSecrets } from "../values";
import { findImage } from "./images";
import { labelsToMap } from "./labels";
import { InitFailedError, OpContext, ResourceKind, plain } from "./types";

/** resource_docker_container.go resourceDockerContainer() (Pulumi names from bridge-metadata.json). */
export const CONTAINER: Schema = {
    name: F,
    rm: { dflt: false },
    readOnly: { forceNew: true, dflt: false },
    start: { dflt: true },
    wait: { dflt: false },
    waitTimeout: { dflt: 60 },
    attach: { dflt: false },
    logs: { dflt: false },
    mustRun: { dflt: true },
    exitCode: OUT,
    containerLogs: OUT,
    image: F,
    hostname: FC,
    domainname: F,
    command: FC,
    entrypoints: FC,
    user: { forceNew: true, emptyKeepsOld: true },
    dns: FS,
    dnsOpts: FS,
    dnsSearches: FS,
    publishAllPorts: F,
    restart: { dflt: "no", validate: matchesPattern("^(no|on-failure|always|unless-stopped)$") },
    maxRetryCount: {},
    workingDir: { forceNew: true, emptyKeepsOld: true },
    removeVolumes: { dflt: true },
    capabilities: FS,
    securityOpts: { forceNew: true, computed: true, set: true },
    runtime: FC,
    platform: FC,
    stopSignal: FC,
    stopTimeout: FC,
    mounts: FS,
    volumes: FS,
    tmpfs: {},
    ports: { forceNew: true, elemDefaults: { ip: "0.0.0.0", protocol: "tcp" }, same: portsUnchanged },
    hosts: FS,
    ulimits: FS,
    envs: { forceNew: true, computed: true, set: true },
    bridge: OUT,
    networkDatas: OUT,
    privileged: F,
    devices: FS,
    deviceCgroupRules: FS, // new in v4.6.0 (#976)
    deviceReadBps: { set: true },
    deviceReadIops: { set: true },
    deviceWriteBps: { set: true },
    deviceWriteIops: { set: true },
    deviceRequests: FS,
    destroyGraceSeconds: {},
    labels: { forceNew: true, computed: true, set: true },
    memory: { validate: atLeast(0) },
    memoryReservation: { dflt: 0, validate: atLeast(0) },
    memorySwap: { validate: atLeast(-1) },
    shmSize: { forceNew: true, computed: true, validate: atLeast(0) },
    cpuShares: { validate: atLeast(0) },
    cpuSet: { validate: matchesPattern("^\\d+([,-]\\d+)*$") },
    logDriver: FC,
    logOpts: F,
    networkMode: { forceNew: true, dflt: "bridge" },
    networksAdvanced: FS,
    pidMode: F,
    usernsMode: F,
    uploads: FS,
    healthcheck: FC, // ForceNew since v4.6.0 (#989)
    containerReadRefreshTimeoutMilliseconds: { dflt: 15000 },
    sysctls: F,
    ipcMode: FC,
    groupAdds: FS,
    init: { computed: true },
    tty: { forceNew: true, dflt: false },
    stdinOpen: { forceNew: true, dflt: false },
    storageOpts: F,
    gpus: F,
    cpus: F,
    cpuPeriod: { validate: atLeast(0) },
    cpuQuota: { validate: atLeast(0) },
    cgroupnsMode: F,
    cgroupParent: F,
};

/** Container attributes resourceDockerContainerUpdate() applies with ContainerUpdate. */
export const CONTAINER_UPDATABLE = [
    "restart", "maxRetryCount", "cpuShares", "memory", "memoryReservation", "cpuSet", "memorySwap",
    "deviceReadBps", "deviceReadIops", "deviceWriteBps", "deviceWriteIops",
] as const;

/**
 * The container `ports` rule: resource_docker_container.go suppressIfPortsDidNotChangeForMigrationV0ToV1
 * suppresses the diff when both lists have the same length and every old port's internal port is in
 * the new list with the same external port, ip and protocol (or another entry with that protocol).
 */
export function portsUnchanged(old: Json | undefined, nu: Json | undefined): boolean {
    const o = Array.isArray(old) ? old.filter(isObject) : [];
    const n = Array.isArray(nu) ? nu.filter(isObject) : [];
    if (o.length !== n.length) return false;
    for (const po of o) {
        let found = false;
        for (const pn of n) {
            if (pn.internal !== po.internal) continue;
            if (pn.protocol !== po.protocol) {
                if (n.some((x) => x.internal === po.internal && x.protocol === po.protocol)) continue;
                return false;
            }
            if ((pn.external ?? null) !== (po.external ?? null) && pn.external !== undefined && pn.external !== null) return false;
            if (pn.ip !== po.ip) return false;
            found = true;
            break;
        }
        if (!found) return false;
    }
    return true;
}

interface ContainerInspect {
    Id: string;
    Name: string;
    Image: string;
    Platform?: string;
    State: { Running: boolean; ExitCode: number };
    Config: { Image: string; Hostname: string; Domainname: string; Cmd: string[] | null; Entrypoint: string[] | null; User: string; WorkingDir: string; Tty: boolean; OpenStdin: boolean };
    HostConfig: {
        AutoRemove: boolean;
        ReadonlyRootfs: boolean;
        RestartPolicy: { Name: string; MaximumRetryCount: number };
        NetworkMode: string;
        Privileged: boolean;
        PublishAllPorts: boolean;
        Init: boolean | null;
        LogConfig: { Type: string };
    };
    NetworkSettings: {
        Bridge: string;
        Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null;
        Networks: Record<string, { NetworkID: string; IPAddress: string; IPPrefixLen: number; Gateway: string; GlobalIPv6Address: string; GlobalIPv6PrefixLen: number; IPv6Gateway: string; MacAddress: string }> | null;
    } | null;
}

/** The ContainerCreate request (config + host config) for the inputs. */
export function containerCreateBody(inputs: JsonObject, image: string): JsonObject {
    const i = plain(inputs);
    const f = new Fields(i);
    const body: JsonObject = { Image: image, Hostname: f.str("hostname") ?? "", Domainname: f.str("domainname") ?? "", Tty: f.bool("tty", false), OpenStdin: f.bool("stdinOpen", false) };
    if (f.str("stopSignal")) body.StopSignal = f.str("stopSignal") ?? "";
    if (f.num("stopTimeout") !== undefined) body.StopTimeout = f.num("stopTimeout") ?? 0;
    const envs = f.strs("envs");
    if (envs && envs.length > 0) body.Env = envs;
    const cmd = f.strs("command");
    if (cmd && cmd.length > 0) {
        if (cmd.some((c) => c === "")) throw new Error("values for command may not be empty");
        body.Cmd = cmd;
    }
    const ep = f.strs("entrypoints");
    if (ep && ep.length > 0) body.Entrypoint = ep;
    if (f.str("user")) body.User = f.str("user") ?? "";
    if (f.str("workingDir")) body.WorkingDir = f.str("workingDir") ?? "";
    const labels = labelsToMap(i.labels);
    if (Object.keys(labels).length > 0) body.Labels = labels;
    const exposed: JsonObject = {};
    const bindings: Record<string, JsonObject[]> = {};
    for (const p of f.objs("ports")) {
        const pf = new Fields(p, "ports.");
        const key = `${pf.num("internal")}/${pf.str("protocol") ?? "tcp"}`;
        exposed[key] = {};
        const ext = pf.num("external");
        const ip = pf.str("ip");
        if (ext !== undefined || ip !== undefined) {
            (bindings[key] ??= []).push({ HostIp: ip ?? "", HostPort: ext !== undefined ? String(ext) : "" });
        }
    }
    if (Object.keys(exposed).length > 0) body.ExposedPorts = exposed;
    const volumesMap: JsonObject = {};
    const binds: string[] = [];
    const volumesFrom: string[] = [];
    for (const v of f.objs("volumes")) {
        const vf = new Fields(v, "volumes.");
        const from = vf.str("fromContainer") ?? "";
        const cpath = vf.str("containerPath") ?? "";
        const src = vf.str("hostPath") || vf.str("volumeName") || "";
        if (from === "" && cpath === "") throw new Error("volume entry without container path or source container");
        if (from !== "" && cpath !== "") throw new Error("both a container and a path specified in a volume entry");
        if (from !== "") volumesFrom.push(from);
        else {
            volumesMap[cpath] = {};
            if (src !== "") binds.push(`${src}:${cpath}:${vf.bool("readOnly", false) ? "ro" : "rw"}`);
        }
    }
    if (Object.keys(volumesMap).length > 0) body.Volumes = volumesMap;
    const host: JsonObject = {
        Privileged: f.bool("privileged", false),
        PublishAllPorts: f.bool("publishAllPorts", false),
        RestartPolicy: { Name: f.str("restart") ?? "no", MaximumRetryCount: f.num("maxRetryCount") ?? 0 },
        AutoRemove: f.bool("rm", false),
        ReadonlyRootfs: f.bool("readOnly", false),
        LogConfig: { Type: f.str("logDriver") ?? "" },
        Init: f.bool("init", false),
    };
    if (Object.keys(bindings).length > 0) host.PortBindings = bindings;
    if (binds.length > 0) host.Binds = binds;
    if (volumesFrom.length > 0) host.VolumesFrom = volumesFrom;
    const mode = f.str("networkMode");
    if (mode) host.NetworkMode = mode;
    body.HostConfig = host;
    body.NetworkingConfig = {};
    return body;
}

/** flattenContainerPorts: one entry per binding, sorted by port/protocol. */
export function flattenPorts(ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null | undefined): JsonObject[] {
    const keys = Object.keys(ports ?? {}).sort((a, b) => {
        const [pa, qa] = a.split("/");
        const [pb, qb] = b.split("/");
        return Number(pa) - Number(pb) || qa.localeCompare(qb);
    });
    const out: JsonObject[] = [];
    for (const k of keys) {
        const [port, proto] = k.split("/");
        for (const b of (ports ?? {})[k] ?? []) {
            out.push({ internal: Number(port), external: Number(b.HostPort) || 0, ip: b.HostIp, protocol: proto });
        }
    }
    return out;
}

/** resourceDockerContainerRead's state from `container inspect` (the attributes the stand-in keeps). */
export function containerState(state: JsonObject, c: ContainerInspect): JsonObject {
    const s: JsonObject = { ...state };
    const ns = c.NetworkSettings;
    const mustRun = s.mustRun === undefined ? true : unwrapSecrets(s.mustRun) === true;
    if (ns) {
        s.bridge = ns.Bridge;
        if ((c.State.Running || mustRun) && Array.isArray(s.ports) && s.ports.length > 0) s.ports = flattenPorts(ns.Ports);
        s.networkDatas = Object.entries(ns.Networks ?? {}).map(([networkName, n]) => ({
            networkName,
            ipAddress: n.IPAddress,
            ipPrefixLength: n.IPPrefixLen,
            gateway: n.Gateway,
            globalIpv6Address: n.GlobalIPv6Address,
            globalIpv6PrefixLength: n.GlobalIPv6PrefixLen,
            ipv6Gateway: n.IPv6Gateway,
            macAddress: n.MacAddress,
        }));
    }
    if (!c.State.Running) {
        s.exitCode = c.State.ExitCode;
        if (mustRun) s.mustRun = false;
    }
    s.name = c.Name.replace(/^\/+/, "");
    s.rm = c.HostConfig.AutoRemove;
    s.readOnly = c.HostConfig.ReadonlyRootfs;
    const image = typeof s.image === "string" ? s.image : "";
    s.image = image.startsWith("sha256:") ? c.Image : c.Config.Image;
    s.hostname = c.Config.Hostname;
    s.domainname = c.Config.Domainname;
    s.command = c.Config.Cmd ?? [];
    s.entrypoints = c.Config.Entrypoint ?? [];
    s.user = c.Config.User;
    s.workingDir = c.Config.WorkingDir;
    s.publishAllPorts = c.HostConfig.PublishAllPorts;
    s.restart = c.HostConfig.RestartPolicy.Name;
    s.maxRetryCount = c.HostConfig.RestartPolicy.MaximumRetryCount;
    s.init = c.HostConfig.Init ?? false;
    s.privileged = c.HostConfig.Privileged;
    s.logDriver = c.HostConfig.LogConfig.Type;
    s.networkMode = c.HostConfig.NetworkMode;
    s.tty = c.Config.Tty;
    s.stdinOpen = c.Config.OpenStdin;
    return s;
}

export async function containerRead(ctx: OpContext, id: string, state: JsonObject): Promise<JsonObject | undefined> {
    const list = await ctx.api.call<Array<{ Id: string }>>("GET", "/containers/json", { query: { all: true } }).catch((e: Error) => {
        throw new Error(`error fetching container information from Docker: ${e.message}`);
    });
    if (!list.some((c) => c.Id === id)) return undefined;
    return containerState(state, await ctx.api.call<ContainerInspect>("GET", `/containers/${id}/json`));
}

export async function containerCreate(ctx: OpContext, inputs: JsonObject): Promise<{ id: string; outs: JsonObject }> {
    const i = plain(inputs);
    const f = new Fields(i);
    const image = f.reqStr("image");
    try {
        await findImage(ctx, image, "");
    } catch (e) {
        throw new Error(`Unable to create container with image ${image}: ${(e as Error).message}`);
    }
    for (const k of ["uploads", "mounts", "healthcheck", "capabilities", "devices", "deviceCgroupRules", "hosts", "ulimits"]) {
        if (Array.isArray(i[k]) && (i[k] as Json[]).length > 0) throw new Error(`${k}: not served by this stand-in`);
    }
    let id: string;
    try {
        id = (await ctx.api.call<{ Id: string }>("POST", "/containers/create", { query: { name: f.reqStr("name") }, body: containerCreateBody(inputs, image) })).Id;
    } catch (e) {
        throw new Error(`Unable to create container: ${(e as Error).message}`);
    }
    const partial = (msg: string): InitFailedError => new InitFailedError(msg, id, { ...inputs });
    const networks = f.objs("networksAdvanced");
    if (networks.length > 0) {
        try {
            await ctx.api.call("POST", "/networks/bridge/disconnect", { body: { Container: id, Force: false } });
        } catch (e) {
            if (!/is not connected to the network bridge/.test((e as Error).message)) throw partial(`Unable to disconnect the default network: ${(e as Error).message}`);
        }
        for (const n of networks) {
            const nf = new Fields(n, "networksAdvanced.");
            const netId = nf.reqStr("name");
            const endpoint: JsonObject = {
                IPAMConfig: { IPv4Address: nf.str("ipv4Address") ?? "", IPv6Address: nf.str("ipv6Address") ?? "" },
            };
            const aliases = nf.strs("aliases");
            if (aliases) endpoint.Aliases = aliases;
            if (nf.str("macAddress")) endpoint.MacAddress = nf.str("macAddress") ?? "";
            try {
                await ctx.api.call("POST", `/networks/${encodeURIComponent(netId)}/connect`, { body: { Container: id, EndpointConfig: endpoint } });
            } catch (e) {
                throw partial(`Unable to connect to network '${netId}': ${(e as Error).message}`);
            }
        }
    }
    if (f.bool("start", true)) {
        try {
            await ctx.api.call("POST", `/containers/${id}/start`);
        } catch (e) {
            throw partial(`Unable to start container: ${(e as Error).message}`);
        }
        if (f.bool("wait", false)) throw partial("wait: waiting for a healthy state is not served by this stand-in");
    }
    if (f.bool("attach", false)) {
        await ctx.api.call("POST", `/containers/${id}/wait`, { query: { condition: "not-running" } });
    }
    const outs = await containerRead(ctx, id, inputs);
    return { id, outs: outs ?? inputs };
}

/** resourceDockerContainerUpdate: start on mustRun false->true; ContainerUpdate when restart & co changed. */
export async function containerUpdate(ctx: OpContext, id: string, olds: JsonObject, news: JsonObject, changed: readonly string[]): Promise<JsonObject> {
    const o = plain(olds);
    const n = plain(news);
    const f = new Fields(n);
    if (changed.includes("mustRun") && o.mustRun === false && f.bool("mustRun", true) && f.bool("start", true)) {
        try {
            await ctx.api.call("POST", `/containers/${id}/start`);
        } catch (e) {
            throw new Error(`Unable to start container: ${(e as Error).message}`);
        }
    }
    if (CONTAINER_UPDATABLE.some((a) => changed.includes(a))) {
        const mb = 1024 * 1024;
        const body: JsonObject = {
            RestartPolicy: { Name: f.str("restart") ?? "no", MaximumRetryCount: f.num("maxRetryCount") ?? 0 },
            CpuShares: f.num("cpuShares") ?? 0,
            Memory: (f.num("memory") ?? 0) * mb,
            MemoryReservation: (f.num("memoryReservation") ?? 0) * mb,
            CpusetCpus: f.str("cpuSet") ?? "",
        };
        const swap = f.num("memorySwap");
        if (swap !== undefined && swap !== 0) body.MemorySwap = swap > 0 ? swap * mb : swap;
        try {
            await ctx.api.call("POST", `/containers/${id}/update`, { body });
        } catch (e) {
            throw new Error(`Unable to update a container: ${(e as Error).message}`);
        }
    }
    // upstream Update does not re-read; the engine stores the new inputs with the old computed outputs
    const keep: JsonObject = {};
    for (const k of ["bridge", "networkDatas", "exitCode", "containerLogs"]) if (k in olds) keep[k] = olds[k];
    return { ...keep, ...news };
}

/** resourceDockerContainerDelete: stop (destroyGraceSeconds, default 0), force-remove, wait. */
export async function containerDelete(ctx: OpContext, id: string, state: JsonObject): Promise<void> {
    const f = new Fields(plain(state));
    const ignorable = (e: unknown, ...m: string[]) => m.some((x) => (e as Error).message.includes(x));
    if (!f.bool("attach", false)) {
        try {
            await ctx.api.call("POST", `/containers/${id}/stop`, { query: { t: f.num("destroyGraceSeconds") ?? 0 }, okStatus: [304] });
        } catch (e) {
            if (!ignorable(e, "No such container")) throw new Error(`Error stopping container ${id}: ${(e as Error).message}`);
        }
    }
    try {
        await ctx.api.call("DELETE", `/containers/${id}`, { query: { v: f.bool("removeVolumes", true), force: true } });
    } catch (e) {
        if (!ignorable(e, "No such container", "is already in progress")) throw new Error(`Error deleting container ${id}: ${(e as Error).message}`);
    }
    try {
        await ctx.api.call("POST", `/containers/${id}/wait`, { query: { condition: f.bool("rm", false) ? "removed" : "not-running" } });
    } catch (e) {
        if (!ignorable(e, "No such container", "is already in progress")) throw new Error(`Error waiting for container removal '${id}': ${(e as Error).message}`);
    }
}

export const container: ResourceKind = {
    name: "container",
    token: "docker:index/container:Container",
    schema: CONTAINER,
    // pulumi-docker provider/resources.go: the only resource with DeleteBeforeReplace
    deleteBeforeReplace: true,
    create: containerCreate,
    read: containerRead,
    update: (ctx, { id, olds, news, changed }) => containerUpdate(ctx, id, olds, news, changed),
    delete: (ctx, id, state) => containerDelete(ctx(), id, state),
};

/**
 * The Docker resources of @pulumi/docker 5.2.0 as the lab driver performs them with the docker CLI
 * on the host: inputs -> a checked spec (every input it cannot honour is an error naming the
 * property), spec -> exact docker argv, and spec vs `docker inspect` -> the differences. Pure.
 */
import { InputError, InputReader, hashOf, labelMap, unsupportedProperties } from "./inputs";

/** The label the driver puts on containers it creates: the hash of their spec. */
export const SPEC_LABEL = "macvlan-lab.lab-driver.spec";

// ------------------------------------------------------------------------------------------------
// Provider

/** Where a Docker provider's daemon is: `ssh://user@host:port` plus the program's ssh options. */
export interface DockerProviderSpec {
    user: string;
    host: string;
    port: number;
    sshOpts: string[];
}

const PROVIDER_PROPS = ["host", "sshOpts", "disableDockerDaemonCheck", "version", "pluginDownloadURL"];

/** Provider inputs arrive as the engine gets them: `sshOpts` (a list) as JSON text. */
export function parseDockerProvider(inputs: Record<string, unknown>): DockerProviderSpec {
    const bad = unsupportedProperties(inputs, PROVIDER_PROPS);
    if (bad.length > 0) {
        throw new InputError(`${bad.join(", ")}: not supported by the lab driver (it reaches dockerd only over ssh:// with the system ssh client)`);
    }
    const r = new InputReader(inputs);
    const host = r.requiredString("host", "the lab driver needs the daemon's ssh://user@host:port URL");
    const m = /^ssh:\/\/(?:([^@/:]+)@)?([^@/:\[\]]+|\[[0-9a-fA-F:]+\])(?::(\d+))?\/?$/.exec(host);
    if (m === null) {
        throw new InputError(`host ${JSON.stringify(host)}: the lab driver supports only ssh://[user@]host[:port] Docker hosts`);
    }
    let sshOpts: string[] = [];
    const raw = inputs.sshOpts;
    if (typeof raw === "string") {
        const parsed: unknown = JSON.parse(raw);
        if (parsed !== null && (!Array.isArray(parsed) || parsed.some((e) => typeof e !== "string"))) {
            throw new InputError(`sshOpts must be a list of strings, got ${raw}`);
        }
        sshOpts = (parsed as string[] | null) ?? [];
    } else if (Array.isArray(raw)) {
        sshOpts = r.strings("sshOpts") ?? [];
    } else if (raw !== undefined && raw !== null) {
        throw new InputError(`sshOpts must be a list of strings, got ${JSON.stringify(raw)}`);
    }
    return { user: m[1] ?? "root", host: m[2].replace(/^\[|\]$/g, ""), port: m[3] !== undefined ? Number(m[3]) : 22, sshOpts };
}

// ------------------------------------------------------------------------------------------------
// Network

export interface IpamConfigSpec {
    subnet?: string;
    gateway?: string;
    ipRange?: string;
    auxAddress: Record<string, string>;
}

export interface NetworkSpec {
    name: string;
    driver: string;
    options: Record<string, string>;
    ipam: IpamConfigSpec[];
    ipamDriver: string;
    ipamOptions: Record<string, string>;
    internal: boolean;
    attachable: boolean;
    ipv6: boolean;
    labels: Record<string, string>;
}

const NETWORK_PROPS = ["name", "driver", "options", "ipamConfigs", "ipamDriver", "ipamOptions", "internal", "attachable", "ipv6", "labels"];

export function parseNetwork(inputs: Record<string, unknown>): NetworkSpec {
    const bad = unsupportedProperties(inputs, NETWORK_PROPS, "", { ingress: false });
    if (bad.length > 0) {
        throw new InputError(`${bad.join(", ")}: not supported by the lab driver for docker.Network`);
    }
    const r = new InputReader(inputs);
    const ipam = (r.objects("ipamConfigs") ?? []).map((c, i) => {
        const at = `ipamConfigs[${i}].`;
        const badC = unsupportedProperties(c, ["subnet", "gateway", "ipRange", "auxAddress"], at);
        if (badC.length > 0) throw new InputError(`${badC.join(", ")}: not supported by the lab driver`);
        const cr = new InputReader(c, at);
        return { subnet: cr.string("subnet"), gateway: cr.string("gateway"), ipRange: cr.string("ipRange"), auxAddress: cr.stringMap("auxAddress") ?? {} };
    });
    return {
        name: r.requiredString("name", "the lab driver does not auto-name Docker networks; give the network a name"),
        driver: r.string("driver") ?? "bridge",
        options: r.stringMap("options") ?? {},
        ipam,
        ipamDriver: r.string("ipamDriver") ?? "default",
        ipamOptions: r.stringMap("ipamOptions") ?? {},
        internal: r.boolean("internal") ?? false,
        attachable: r.boolean("attachable") ?? false,
        ipv6: r.boolean("ipv6") ?? false,
        labels: labelMap(r.objects("labels"), "labels"),
    };
}

/** `docker network create ...` for the spec. */
export function networkCreateArgv(n: NetworkSpec): string[] {
    const argv = ["docker", "network", "create", "--driver", n.driver];
    for (const c of n.ipam) {
        if (c.subnet !== undefined) argv.push("--subnet", c.subnet);
        if (c.gateway !== undefined) argv.push("--gateway", c.gateway);
        if (c.ipRange !== undefined) argv.push("--ip-range", c.ipRange);
        for (const [k, v] of Object.entries(c.auxAddress).sort(([a], [b]) => a.localeCompare(b))) {
            argv.push("--aux-address", `${k}=${v}`);
        }
    }
    if (n.ipamDriver !== "default") argv.push("--ipam-driver", n.ipamDriver);
    for (const [k, v] of Object.entries(n.ipamOptions).sort(([a], [b]) => a.localeCompare(b))) argv.push("--ipam-opt", `${k}=${v}`);
    for (const [k, v] of Object.entries(n.options).sort(([a], [b]) => a.localeCompare(b))) argv.push("--opt", `${k}=${v}`);
    for (const [k, v] of Object.entries(n.labels).sort(([a], [b]) => a.localeCompare(b))) argv.push("--label", `${k}=${v}`);
    if (n.internal) argv.push("--internal");
    if (n.attachable) argv.push("--attachable");
    if (n.ipv6) argv.push("--ipv6");
    argv.push("--", n.name);
    return argv;
}

/** What `docker network inspect` returns (the fields the driver reads). */
export interface NetworkInspect {
    Name: string;
    Id: string;
    Driver: string;
    Scope?: string;
    EnableIPv6?: boolean;
    Internal?: boolean;
    Attachable?: boolean;
    Options?: Record<string, string> | null;
    Labels?: Record<string, string> | null;
    IPAM?: {
        Driver?: string;
        Options?: Record<string, string> | null;
        Config?: Array<{ Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> | null }> | null;
    };
    Containers?: Record<string, { Name: string }> | null;
}

function mapDiff(what: string, want: Record<string, string>, have: Record<string, string> | null | undefined): string[] {
    const h = have ?? {};
    const out: string[] = [];
    for (const k of new Set([...Object.keys(want), ...Object.keys(h)])) {
        if (want[k] !== h[k]) out.push(`${what} ${k}: want ${JSON.stringify(want[k] ?? null)}, have ${JSON.stringify(h[k] ?? null)}`);
    }
    return out;
}

/** The differences between the spec and the network on the host; empty when it can be kept. */
export function networkDiff(n: NetworkSpec, have: NetworkInspect): string[] {
    const out: string[] = [];
    if (have.Driver !== n.driver) out.push(`driver: want ${n.driver}, have ${have.Driver}`);
    out.push(...mapDiff("option", n.options, have.Options));
    out.push(...mapDiff("label", n.labels, have.Labels));
    if ((have.Internal ?? false) !== n.internal) out.push(`internal: want ${n.internal}`);
    if ((have.Attachable ?? false) !== n.attachable) out.push(`attachable: want ${n.attachable}`);
    if ((have.EnableIPv6 ?? false) !== n.ipv6) out.push(`ipv6: want ${n.ipv6}`);
    if ((have.IPAM?.Driver ?? "default") !== n.ipamDriver) out.push(`ipam driver: want ${n.ipamDriver}, have ${have.IPAM?.Driver}`);
    out.push(...mapDiff("ipam option", n.ipamOptions, have.IPAM?.Options));
    const configs = have.IPAM?.Config ?? [];
    if (n.ipam.length > 0) {
        if (configs.length !== n.ipam.length) out.push(`ipam configs: want ${n.ipam.length}, have ${configs.length}`);
        for (const want of n.ipam) {
            const c = configs.find((x) => x.Subnet === want.subnet);
            if (c === undefined) {
                out.push(`subnet ${want.subnet ?? "(any)"}: missing`);
                continue;
            }
            const at = `subnet ${want.subnet}`;
            if (want.gateway !== undefined && c.Gateway !== want.gateway) out.push(`${at} gateway: want ${want.gateway}, have ${c.Gateway ?? "none"}`);
            if ((want.ipRange ?? "") !== (c.IPRange ?? "")) out.push(`${at} ip-range: want ${want.ipRange ?? "none"}, have ${c.IPRange ?? "none"}`);
            out.push(...mapDiff(`${at} aux-address`, want.auxAddress, c.AuxiliaryAddresses));
        }
    }
    return out;
}

/** The outputs of a Network from what the host has. */
export function networkOutputs(n: NetworkSpec, have: NetworkInspect): Record<string, unknown> {
    return {
        name: have.Name,
        driver: have.Driver,
        options: have.Options ?? {},
        internal: have.Internal ?? false,
        attachable: have.Attachable ?? false,
        ipv6: have.EnableIPv6 ?? false,
        ipamDriver: have.IPAM?.Driver ?? "default",
        ipamOptions: have.IPAM?.Options ?? {},
        ipamConfigs: (have.IPAM?.Config ?? []).map((c) => ({
            subnet: c.Subnet ?? "",
            gateway: c.Gateway ?? "",
            ipRange: c.IPRange ?? "",
            auxAddress: c.AuxiliaryAddresses ?? {},
        })),
        labels: Object.entries(n.labels).map(([label, value]) => ({ label, value })),
        scope: have.Scope ?? "local",
    };
}

// ------------------------------------------------------------------------------------------------
// Volume

export interface VolumeSpec {
    name: string;
    driver: string;
    driverOpts: Record<string, string>;
    labels: Record<string, string>;
}

export function parseVolume(inputs: Record<string, unknown>): VolumeSpec {
    const bad = unsupportedProperties(inputs, ["name", "driver", "driverOpts", "labels"]);
    if (bad.length > 0) throw new InputError(`${bad.join(", ")}: not supported by the lab driver for docker.Volume`);
    const r = new InputReader(inputs);
    return {
        name: r.requiredString("name", "the lab driver does not auto-name Docker volumes; give the volume a name"),
        driver: r.string("driver") ?? "local",
        driverOpts: r.stringMap("driverOpts") ?? {},
        labels: labelMap(r.objects("labels"), "labels"),
    };
}

export function volumeCreateArgv(v: VolumeSpec): string[] {
    const argv = ["docker", "volume", "create", "--driver", v.driver];
    for (const [k, x] of Object.entries(v.driverOpts).sort(([a], [b]) => a.localeCompare(b))) argv.push("--opt", `${k}=${x}`);
    for (const [k, x] of Object.entries(v.labels).sort(([a], [b]) => a.localeCompare(b))) argv.push("--label", `${k}=${x}`);
    argv.push("--", v.name);
    return argv;
}

export interface VolumeInspect {
    Name: string;
    Driver: string;
    Mountpoint?: string;
    Options?: Record<string, string> | null;
    Labels?: Record<string, string> | null;
}

export function volumeDiff(v: VolumeSpec, have: VolumeInspect): string[] {
    const out: string[] = [];
    if (have.Driver !== v.driver) out.push(`driver: want ${v.driver}, have ${have.Driver}`);
    out.push(...mapDiff("option", v.driverOpts, have.Options));
    out.push(...mapDiff("label", v.labels, have.Labels));
    return out;
}

// ------------------------------------------------------------------------------------------------
// Images: RemoteImage, Tag, RegistryImage

export interface RemoteImageSpec {
    name: string;
    keepLocally: boolean;
    forceRemove: boolean;
    /** Hash of pullTriggers + triggers: a change pulls again. */
    triggersHash: string;
}

export function parseRemoteImage(inputs: Record<string, unknown>): RemoteImageSpec {
    const bad = unsupportedProperties(inputs, ["name", "keepLocally", "forceRemove", "pullTriggers", "triggers"]);
    if (bad.length > 0) throw new InputError(`${bad.join(", ")}: not supported by the lab driver for docker.RemoteImage (no builds, no platform selection)`);
    const r = new InputReader(inputs);
    return {
        name: r.requiredString("name", "name the image to pull"),
        keepLocally: r.boolean("keepLocally") ?? false,
        forceRemove: r.boolean("forceRemove") ?? false,
        triggersHash: hashOf({ p: inputs.pullTriggers ?? null, t: inputs.triggers ?? null }),
    };
}

export interface TagSpec {
    sourceImage: string;
    targetImage: string;
    triggersHash: string;
}

export function parseTag(inputs: Record<string, unknown>): TagSpec {
    const bad = unsupportedProperties(inputs, ["sourceImage", "targetImage", "tagTriggers"]);
    if (bad.length > 0) throw new InputError(`${bad.join(", ")}: not supported by the lab driver for docker.Tag`);
    const r = new InputReader(inputs);
    return {
        sourceImage: r.requiredString("sourceImage", "name the image to tag"),
        targetImage: r.requiredString("targetImage", "name the tag to create"),
        triggersHash: hashOf(inputs.tagTriggers ?? null),
    };
}

export interface RegistryImageSpec {
    name: string;
    insecureSkipVerify: boolean;
    triggersHash: string;
}

export function parseRegistryImage(inputs: Record<string, unknown>): RegistryImageSpec {
    const bad = unsupportedProperties(inputs, ["name", "insecureSkipVerify", "keepRemotely", "triggers"]);
    if (bad.length > 0) {
        throw new InputError(`${bad.join(", ")}: not supported by the lab driver for docker.RegistryImage (it pushes with the host's daemon and its credentials)`);
    }
    const r = new InputReader(inputs);
    if (r.boolean("keepRemotely") !== true) {
        throw new InputError(
            "keepRemotely: the lab driver cannot delete a pushed image from a registry on destroy; set keepRemotely: true",
        );
    }
    return {
        name: r.requiredString("name", "name the image reference to push"),
        insecureSkipVerify: r.boolean("insecureSkipVerify") ?? false,
        triggersHash: hashOf(inputs.triggers ?? null),
    };
}

/** The digest `docker push` printed (`...: digest: sha256:... size: N`), or "". */
export function pushedDigest(output: string): string {
    return /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1] ?? "";
}

// ------------------------------------------------------------------------------------------------
// Container

export interface ContainerNetworkSpec {
    name: string;
    ipv4Address?: string;
    ipv6Address?: string;
    aliases: string[];
    macAddress?: string;
}

export interface ContainerSpec {
    name: string;
    image: string;
    command?: string[];
    entrypoint?: string;
    envs: string[];
    hostname?: string;
    domainname?: string;
    restart: string;
    maxRetryCount?: number;
    mustRun: boolean;
    start: boolean;
    networkMode?: string;
    networks: ContainerNetworkSpec[];
    ports: Array<{ internal: number; external?: number; ip?: string; protocol: string }>;
    volumes: Array<{ source: string; containerPath: string; readOnly: boolean }>;
    labels: Record<string, string>;
    workingDir?: string;
    user?: string;
    privileged: boolean;
    capAdd: string[];
    capDrop: string[];
    dns: string[];
    hosts: Array<{ host: string; ip: string }>;
    init: boolean;
    tty: boolean;
    stdinOpen: boolean;
    stopSignal?: string;
    stopTimeout?: number;
    removeVolumes: boolean;
    destroyGraceSeconds?: number;
}

const CONTAINER_PROPS = [
    "name", "image", "command", "entrypoints", "envs", "hostname", "domainname", "restart", "maxRetryCount", "mustRun",
    "start", "networkMode", "networksAdvanced", "ports", "volumes", "labels", "workingDir", "user", "privileged",
    "capabilities", "dns", "hosts", "init", "tty", "stdinOpen", "stopSignal", "stopTimeout", "removeVolumes",
    "destroyGraceSeconds",
];
/** Accepted when they hold these values: the defaults, which ask for nothing. */
const CONTAINER_DEFAULTS: Record<string, unknown> = { attach: false, logs: false, rm: false, wait: false, publishAllPorts: false, readOnly: false };

export function parseContainer(inputs: Record<string, unknown>): ContainerSpec {
    const bad = unsupportedProperties(inputs, CONTAINER_PROPS, "", CONTAINER_DEFAULTS);
    if (bad.length > 0) throw new InputError(`${bad.join(", ")}: not supported by the lab driver for docker.Container`);
    const r = new InputReader(inputs);
    const entrypoints = r.strings("entrypoints");
    if (entrypoints !== undefined && entrypoints.length > 1) {
        throw new InputError(`entrypoints with ${entrypoints.length} elements: the lab driver (docker run --entrypoint) takes one; put the rest in command`);
    }
    const networks = (r.objects("networksAdvanced") ?? []).map((n, i) => {
        const at = `networksAdvanced[${i}].`;
        const b = unsupportedProperties(n, ["name", "ipv4Address", "ipv6Address", "aliases", "macAddress"], at);
        if (b.length > 0) throw new InputError(`${b.join(", ")}: not supported by the lab driver`);
        const nr = new InputReader(n, at);
        return {
            name: nr.requiredString("name", "name the network (its name or id)"),
            ipv4Address: nr.string("ipv4Address"),
            ipv6Address: nr.string("ipv6Address"),
            aliases: nr.strings("aliases") ?? [],
            macAddress: nr.string("macAddress"),
        };
    });
    const networkMode = r.string("networkMode");
    if (networkMode !== undefined && networks.length > 0 && networkMode !== "bridge" && networkMode !== "default") {
        throw new InputError(`networkMode ${networkMode} and networksAdvanced are both set; the lab driver takes one of them`);
    }
    const ports = (r.objects("ports") ?? []).map((p, i) => {
        const at = `ports[${i}].`;
        const b = unsupportedProperties(p, ["internal", "external", "ip", "protocol"], at);
        if (b.length > 0) throw new InputError(`${b.join(", ")}: not supported by the lab driver`);
        const pr = new InputReader(p, at);
        const internal = pr.number("internal");
        if (internal === undefined) throw new InputError(`${at}internal is not set`);
        const ip = pr.string("ip");
        return { internal, external: pr.number("external"), ip: ip === "0.0.0.0" ? undefined : ip, protocol: pr.string("protocol") ?? "tcp" };
    });
    const volumes = (r.objects("volumes") ?? []).map((v, i) => {
        const at = `volumes[${i}].`;
        const b = unsupportedProperties(v, ["volumeName", "hostPath", "containerPath", "readOnly"], at);
        if (b.length > 0) throw new InputError(`${b.join(", ")}: not supported by the lab driver`);
        const vr = new InputReader(v, at);
        const volumeName = vr.string("volumeName");
        const hostPath = vr.string("hostPath");
        if ((volumeName === undefined) === (hostPath === undefined)) throw new InputError(`${at}: set exactly one of volumeName and hostPath`);
        return {
            source: (volumeName ?? hostPath) as string,
            containerPath: vr.requiredString("containerPath", "say where to mount it"),
            readOnly: vr.boolean("readOnly") ?? false,
        };
    });
    const caps = r.object("capabilities") ?? {};
    const cb = unsupportedProperties(caps, ["adds", "drops"], "capabilities.");
    if (cb.length > 0) throw new InputError(`${cb.join(", ")}: not supported by the lab driver`);
    const capr = new InputReader(caps, "capabilities.");
    const hosts = (r.objects("hosts") ?? []).map((h, i) => {
        const hr = new InputReader(h, `hosts[${i}].`);
        return { host: hr.requiredString("host", "name the host"), ip: hr.requiredString("ip", "give its address") };
    });
    const labels = labelMap(r.objects("labels"), "labels");
    if (SPEC_LABEL in labels) throw new InputError(`labels: ${SPEC_LABEL} is reserved by the lab driver`);
    return {
        name: r.requiredString("name", "the lab driver does not auto-name containers; give the container a name"),
        image: r.requiredString("image", "name the image (an id from a RemoteImage or a reference)"),
        command: r.strings("command"),
        entrypoint: entrypoints?.[0],
        envs: r.strings("envs") ?? [],
        hostname: r.string("hostname"),
        domainname: r.string("domainname"),
        restart: r.string("restart") ?? "no",
        maxRetryCount: r.number("maxRetryCount"),
        mustRun: r.boolean("mustRun") ?? true,
        start: r.boolean("start") ?? true,
        networkMode: networks.length > 0 ? undefined : networkMode,
        networks,
        ports,
        volumes,
        labels,
        workingDir: r.string("workingDir"),
        user: r.string("user"),
        privileged: r.boolean("privileged") ?? false,
        capAdd: capr.strings("adds") ?? [],
        capDrop: capr.strings("drops") ?? [],
        dns: r.strings("dns") ?? [],
        hosts,
        init: r.boolean("init") ?? false,
        tty: r.boolean("tty") ?? false,
        stdinOpen: r.boolean("stdinOpen") ?? false,
        stopSignal: r.string("stopSignal"),
        stopTimeout: r.number("stopTimeout"),
        removeVolumes: r.boolean("removeVolumes") ?? true,
        destroyGraceSeconds: r.number("destroyGraceSeconds"),
    };
}

/** The hash the driver labels a container with: its spec and the id of the image it runs. */
export function containerSpecHash(c: ContainerSpec, imageId: string): string {
    return hashOf({ spec: c, imageId }).slice(0, 32);
}

/**
 * `docker create ...` for the spec, attached to its first network (the others are connected with
 * `containerConnectArgvs` before it starts). Never pulls: the image must be on the host already,
 * as with the real provider.
 */
export function containerCreateArgv(c: ContainerSpec, imageId: string): string[] {
    const argv = ["docker", "create", "--pull", "never", "--name", c.name];
    const restart = c.restart === "on-failure" && c.maxRetryCount !== undefined ? `on-failure:${c.maxRetryCount}` : c.restart;
    argv.push("--restart", restart);
    if (c.hostname !== undefined) argv.push("--hostname", c.hostname);
    if (c.domainname !== undefined) argv.push("--domainname", c.domainname);
    if (c.networkMode !== undefined) argv.push("--network", c.networkMode);
    const first = c.networks[0];
    if (first !== undefined) {
        argv.push("--network", first.name);
        if (first.ipv4Address !== undefined) argv.push("--ip", first.ipv4Address);
        if (first.ipv6Address !== undefined) argv.push("--ip6", first.ipv6Address);
        for (const a of first.aliases) argv.push("--network-alias", a);
        if (first.macAddress !== undefined) argv.push("--mac-address", first.macAddress);
    }
    for (const p of c.ports) {
        const host = p.external !== undefined ? `${p.ip !== undefined ? `${p.ip}:` : ""}${p.external}:` : p.ip !== undefined ? `${p.ip}::` : "";
        argv.push("--publish", `${host}${p.internal}/${p.protocol}`);
    }
    for (const v of c.volumes) argv.push("--volume", `${v.source}:${v.containerPath}${v.readOnly ? ":ro" : ""}`);
    for (const e of c.envs) argv.push("--env", e);
    for (const [k, v] of Object.entries(c.labels).sort(([a], [b]) => a.localeCompare(b))) argv.push("--label", `${k}=${v}`);
    argv.push("--label", `${SPEC_LABEL}=${containerSpecHash(c, imageId)}`);
    if (c.workingDir !== undefined) argv.push("--workdir", c.workingDir);
    if (c.user !== undefined) argv.push("--user", c.user);
    if (c.privileged) argv.push("--privileged");
    for (const cap of c.capAdd) argv.push("--cap-add", cap);
    for (const cap of c.capDrop) argv.push("--cap-drop", cap);
    for (const d of c.dns) argv.push("--dns", d);
    for (const h of c.hosts) argv.push("--add-host", `${h.host}:${h.ip}`);
    if (c.init) argv.push("--init");
    if (c.tty) argv.push("--tty");
    if (c.stdinOpen) argv.push("--interactive");
    if (c.stopSignal !== undefined) argv.push("--stop-signal", c.stopSignal);
    if (c.stopTimeout !== undefined) argv.push("--stop-timeout", String(c.stopTimeout));
    if (c.entrypoint !== undefined) argv.push("--entrypoint", c.entrypoint);
    argv.push("--", imageId, ...(c.command ?? []));
    return argv;
}

/** `docker network connect ...` for every network after the first. */
export function containerConnectArgvs(c: ContainerSpec): string[][] {
    return c.networks.slice(1).map((n) => {
        const argv = ["docker", "network", "connect"];
        if (n.ipv4Address !== undefined) argv.push("--ip", n.ipv4Address);
        if (n.ipv6Address !== undefined) argv.push("--ip6", n.ipv6Address);
        for (const a of n.aliases) argv.push("--alias", a);
        argv.push("--", n.name, c.name);
        return argv;
    });
}

/** `docker rm -f [-v] name`, after `docker stop -t N` when a grace period is set. */
export function containerRemoveArgvs(name: string, removeVolumes: boolean, graceSeconds?: number): string[][] {
    const out: string[][] = [];
    if (graceSeconds !== undefined && graceSeconds > 0) out.push(["docker", "stop", "--time", String(graceSeconds), "--", name]);
    out.push(["docker", "rm", "--force", ...(removeVolumes ? ["--volumes"] : []), "--", name]);
    return out;
}

export interface ContainerInspect {
    Id: string;
    Name: string;
    Image: string;
    State?: { Running?: boolean; Status?: string; ExitCode?: number };
    Config?: { Labels?: Record<string, string> | null; Hostname?: string };
    NetworkSettings?: {
        Networks?: Record<
            string,
            {
                NetworkID?: string;
                IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null;
                IPAddress?: string;
                IPPrefixLen?: number;
                Gateway?: string;
                MacAddress?: string;
                GlobalIPv6Address?: string;
                GlobalIPv6PrefixLen?: number;
                IPv6Gateway?: string;
            }
        > | null;
    };
}

/** Which attached network (its name in the inspect output) a spec's network name or id refers to. */
export function attachedNetwork(have: ContainerInspect, nameOrId: string): string | undefined {
    const nets = have.NetworkSettings?.Networks ?? {};
    for (const [name, n] of Object.entries(nets)) {
        if (name === nameOrId || n.NetworkID === nameOrId || (nameOrId.length >= 12 && (n.NetworkID ?? "").startsWith(nameOrId))) {
            return name;
        }
    }
    return undefined;
}

/** The differences between the spec and the container on the host; empty when it can be kept. */
export function containerDiff(c: ContainerSpec, imageId: string, have: ContainerInspect): string[] {
    const out: string[] = [];
    const label = have.Config?.Labels?.[SPEC_LABEL];
    if (label !== containerSpecHash(c, imageId)) out.push(label === undefined ? "not created by the lab driver" : "settings changed");
    if (have.Image !== imageId) out.push(`image: want ${imageId}, have ${have.Image}`);
    if (c.start && c.mustRun && have.State?.Running !== true) out.push(`not running (${have.State?.Status ?? "unknown"})`);
    const nets = have.NetworkSettings?.Networks ?? {};
    if (c.networks.length > 0) {
        for (const n of c.networks) {
            const attached = attachedNetwork(have, n.name);
            if (attached === undefined) {
                out.push(`network ${n.name}: not attached`);
            } else if (n.ipv4Address !== undefined && nets[attached].IPAMConfig?.IPv4Address !== n.ipv4Address) {
                out.push(`network ${attached}: address want ${n.ipv4Address}, have ${nets[attached].IPAMConfig?.IPv4Address ?? "none"}`);
            }
        }
        if (Object.keys(nets).length !== c.networks.length) out.push(`networks: want ${c.networks.length}, have ${Object.keys(nets).join(", ")}`);
    }
    return out;
}

/** The outputs of a Container from what the host has (`networkDatas` in the spec's network order). */
export function containerOutputs(c: ContainerSpec, have: ContainerInspect): Record<string, unknown> {
    const nets = have.NetworkSettings?.Networks ?? {};
    const order = [
        ...c.networks.map((n) => attachedNetwork(have, n.name)).filter((n): n is string => n !== undefined),
        ...Object.keys(nets).sort(),
    ];
    const names = [...new Set(order)];
    return {
        name: have.Name.replace(/^\//, ""),
        hostname: have.Config?.Hostname ?? "",
        exitCode: have.State?.ExitCode ?? 0,
        networkDatas: names.map((name) => {
            const n = nets[name];
            return {
                networkName: name,
                ipAddress: n.IPAddress ?? "",
                ipPrefixLength: n.IPPrefixLen ?? 0,
                gateway: n.Gateway ?? "",
                macAddress: n.MacAddress ?? "",
                globalIpv6Address: n.GlobalIPv6Address ?? "",
                globalIpv6PrefixLength: n.GlobalIPv6PrefixLen ?? 0,
                ipv6Gateway: n.IPv6Gateway ?? "",
            };
        }),
    };
}

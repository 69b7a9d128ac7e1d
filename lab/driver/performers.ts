/**
 * The lab driver's performers (a stand-in for the providers, for the lab and tests only): they do
 * what a declared resource asks on the real host, over SSH. `remote.Command` runs its script;
 * Docker resources run the docker CLI on the host and converge: an object that exists with the same
 * settings is kept, one that differs is removed and created again, a missing one is created.
 */
import { shellJoin } from "../../components/shell";
import { DeleteAction } from "./state";
import { SshResult, tail } from "./ssh";
import {
    ContainerInspect,
    ContainerSpec,
    NetworkInspect,
    NetworkSpec,
    RegistryImageSpec,
    RemoteImageSpec,
    TagSpec,
    VolumeInspect,
    VolumeSpec,
    containerConnectArgvs,
    containerCreateArgv,
    containerDiff,
    containerOutputs,
    containerRemoveArgvs,
    networkCreateArgv,
    networkDiff,
    networkOutputs,
    pushedDigest,
    volumeCreateArgv,
    volumeDiff,
} from "./dockerSpec";

/** A host the driver runs shell command lines on (over SSH). */
export interface Remote {
    /** How the host is called in messages. */
    label: string;
    /** Runs `command` with the host's login shell; resolves with its exit status, rejects when no session could be had. */
    sh(command: string, opts?: { stdin?: string; timeoutMs?: number; sshOpts?: string[] }): Promise<SshResult>;
}

/** Something a performer could not do; the engine adds the host and the resource name. */
export class PerformError extends Error {}

/** A failure after the object was (perhaps) created on the host: its delete belongs in the state. */
export class PartialError extends PerformError {}

export type StepStatus = "created" | "unchanged" | "replaced" | "updated";

export interface Performed {
    id: string;
    outputs: Record<string, unknown>;
    status: StepStatus;
    delete: DeleteAction;
    /** Why it was replaced, what was emulated: printed under the step line. */
    notes: string[];
}

/** Timeouts of Docker operations. */
export const DOCKER_TIMEOUT_MS = 120_000;
export const PULL_PUSH_TIMEOUT_MS = 600_000;

const ABSENT = /no such|not found/i;

/** Runs a docker argv (or several, `set -e`) on the host; throws with the tail of stderr on failure. */
async function docker(remote: Remote, argvs: string[][], what: string, timeoutMs = DOCKER_TIMEOUT_MS): Promise<SshResult> {
    const script = argvs.length === 1 ? shellJoin(argvs[0]) : `set -e; ${argvs.map((a) => shellJoin(a)).join("; ")}`;
    const r = await remote.sh(script, { timeoutMs });
    if (r.code !== 0) {
        throw new PerformError(`${what} failed (exit ${r.code}): ${tail(r.stderr || r.stdout, 4)}`);
    }
    return r;
}

/** `docker <kind> inspect` of one object, or undefined when the host does not have it. */
export async function inspect<T>(remote: Remote, kind: "network" | "container" | "volume" | "image", name: string): Promise<T | undefined> {
    const r = await remote.sh(shellJoin(["docker", kind, "inspect", "--", name]), { timeoutMs: DOCKER_TIMEOUT_MS });
    if (r.code !== 0) {
        if (ABSENT.test(r.stderr)) return undefined;
        throw new PerformError(`docker ${kind} inspect ${name} failed (exit ${r.code}): ${tail(r.stderr, 3)}`);
    }
    return parseInspect<T>(r.stdout, `docker ${kind} inspect ${name}`);
}

function parseInspect<T>(stdout: string, what: string): T {
    let doc: unknown;
    try {
        doc = JSON.parse(stdout);
    } catch {
        throw new PerformError(`${what} did not print JSON: ${tail(stdout, 2)}`);
    }
    if (!Array.isArray(doc) || doc.length !== 1) throw new PerformError(`${what} printed ${Array.isArray(doc) ? doc.length : "no"} objects`);
    return doc[0] as T;
}

/** Removes `what` when it is absent already: absent is fine. */
async function removeIgnoringAbsent(remote: Remote, argv: string[], what: string): Promise<"removed" | "absent"> {
    const r = await remote.sh(shellJoin(argv), { timeoutMs: DOCKER_TIMEOUT_MS });
    if (r.code === 0) return "removed";
    if (ABSENT.test(r.stderr)) return "absent";
    throw new PerformError(`${what} failed (exit ${r.code}): ${tail(r.stderr, 3)}`);
}

// ------------------------------------------------------------------------------------------------
// remote.Command

/** Runs a Command's script; a non-zero exit is an error with the tail of stderr. */
export async function runScript(
    remote: Remote,
    which: "create" | "update" | "delete",
    script: string,
    opts: { stdin?: string; sshOpts?: string[]; timeoutMs: number },
): Promise<{ stdout: string; stderr: string }> {
    const r = await remote.sh(script, opts);
    if (r.code !== 0) {
        const why = tail(r.stderr, 5) || tail(r.stdout, 3) || "no output";
        throw new PerformError(`the ${which} script exited with status ${r.code}: ${why}`);
    }
    return { stdout: r.stdout, stderr: r.stderr };
}

// ------------------------------------------------------------------------------------------------
// Docker

/** Ensures the network; containers attached to a network that must be replaced are removed first if the driver manages them. */
export async function ensureNetwork(remote: Remote, n: NetworkSpec, isManagedContainer: (name: string) => boolean): Promise<Performed> {
    const have = await inspect<NetworkInspect>(remote, "network", n.name);
    const del: DeleteAction = { kind: "network", name: n.name };
    if (have !== undefined) {
        const diff = networkDiff(n, have);
        if (diff.length === 0) {
            return { id: have.Id, outputs: networkOutputs(n, have), status: "unchanged", delete: del, notes: [] };
        }
        const attached = Object.values(have.Containers ?? {}).map((c) => c.Name);
        const foreign = attached.filter((c) => !isManagedContainer(c));
        if (foreign.length > 0) {
            throw new PerformError(
                `network ${n.name} exists with other settings (${diff.join("; ")}) and containers the driver did not create are attached (${foreign.join(", ")}); remove them or the network first`,
            );
        }
        const argvs = [...attached.map((c) => ["docker", "rm", "--force", "--", c]), ["docker", "network", "rm", "--", n.name], networkCreateArgv(n)];
        await docker(remote, argvs, `replacing network ${n.name}`);
        const now = await inspect<NetworkInspect>(remote, "network", n.name);
        if (now === undefined) throw new PerformError(`network ${n.name} is missing right after it was created`);
        const notes = [`replaced: ${diff.join("; ")}`, ...(attached.length > 0 ? [`removed attached containers first: ${attached.join(", ")}`] : [])];
        return { id: now.Id, outputs: networkOutputs(n, now), status: "replaced", delete: del, notes };
    }
    await docker(remote, [networkCreateArgv(n)], `docker network create ${n.name}`);
    const now = await inspect<NetworkInspect>(remote, "network", n.name);
    if (now === undefined) throw new PerformError(`network ${n.name} is missing right after it was created`);
    return { id: now.Id, outputs: networkOutputs(n, now), status: "created", delete: del, notes: [] };
}

export async function ensureVolume(remote: Remote, v: VolumeSpec, prior?: DeleteAction): Promise<Performed> {
    const have = await inspect<VolumeInspect>(remote, "volume", v.name);
    const priorCreated = prior?.kind === "volume" ? prior.createdByDriver : undefined;
    const outputs = (h: VolumeInspect): Record<string, unknown> => ({ name: h.Name, driver: h.Driver, mountpoint: h.Mountpoint ?? "" });
    if (have !== undefined) {
        const diff = volumeDiff(v, have);
        const del: DeleteAction = { kind: "volume", name: v.name, createdByDriver: priorCreated ?? false };
        if (diff.length === 0) {
            return { id: have.Name, outputs: outputs(have), status: "unchanged", delete: del, notes: priorCreated === undefined ? ["it existed before: destroy keeps it"] : [] };
        }
        await docker(remote, [["docker", "volume", "rm", "--", v.name], volumeCreateArgv(v)], `replacing volume ${v.name}`);
        const now = await inspect<VolumeInspect>(remote, "volume", v.name);
        if (now === undefined) throw new PerformError(`volume ${v.name} is missing right after it was created`);
        return { id: now.Name, outputs: outputs(now), status: "replaced", delete: { ...del, createdByDriver: true }, notes: [`replaced: ${diff.join("; ")}`] };
    }
    await docker(remote, [volumeCreateArgv(v)], `docker volume create ${v.name}`);
    const now = await inspect<VolumeInspect>(remote, "volume", v.name);
    if (now === undefined) throw new PerformError(`volume ${v.name} is missing right after it was created`);
    return { id: now.Name, outputs: outputs(now), status: "created", delete: { kind: "volume", name: v.name, createdByDriver: true }, notes: [] };
}

interface ImageInspect {
    Id: string;
    RepoTags?: string[] | null;
    RepoDigests?: string[] | null;
}

/** Uses the image when the host has it, else pulls it (or pulls again when the triggers changed). */
export async function ensureRemoteImage(remote: Remote, img: RemoteImageSpec, prior?: { delete: DeleteAction; triggersHash?: string }): Promise<Performed> {
    const have = await inspect<ImageInspect>(remote, "image", img.name);
    const priorPulled = prior?.delete.kind === "image" ? prior.delete.pulledByDriver : undefined;
    const triggersChanged = prior !== undefined && prior.triggersHash !== img.triggersHash;
    const result = (i: ImageInspect, status: StepStatus, pulledByDriver: boolean, notes: string[]): Performed => ({
        id: `${i.Id}${img.name}`,
        outputs: { name: img.name, imageId: i.Id, repoDigest: i.RepoDigests?.[0] ?? "", keepLocally: img.keepLocally },
        status,
        delete: { kind: "image", ref: img.name, pulledByDriver, keepLocally: img.keepLocally, force: img.forceRemove },
        notes,
    });
    if (have !== undefined && !triggersChanged) {
        const pulled = priorPulled ?? false;
        return result(have, "unchanged", pulled, priorPulled === undefined ? ["on the host already: used as is, and kept on destroy"] : []);
    }
    await docker(remote, [["docker", "pull", "--quiet", "--", img.name]], `docker pull ${img.name}`, PULL_PUSH_TIMEOUT_MS);
    const now = await inspect<ImageInspect>(remote, "image", img.name);
    if (now === undefined) throw new PerformError(`image ${img.name} is missing right after it was pulled`);
    return result(now, have === undefined ? "created" : "replaced", priorPulled ?? have === undefined, triggersChanged ? ["pulled again: its triggers changed"] : []);
}

/** `docker tag`; the tag is the driver's own (removed on destroy) only when it did not exist before. */
export async function ensureTag(remote: Remote, t: TagSpec, prior?: { delete: DeleteAction; triggersHash?: string }): Promise<Performed> {
    const src = await inspect<ImageInspect>(remote, "image", t.sourceImage);
    if (src === undefined) throw new PerformError(`the source image ${t.sourceImage} is not on the host`);
    const have = await inspect<ImageInspect>(remote, "image", t.targetImage);
    const priorCreated = prior?.delete.kind === "tag" ? prior.delete.createdByDriver : undefined;
    const createdByDriver = priorCreated ?? have === undefined;
    const out = (status: StepStatus, notes: string[]): Performed => ({
        id: `${src.Id}.${t.targetImage}`,
        outputs: { sourceImage: t.sourceImage, targetImage: t.targetImage, sourceImageId: src.Id },
        status,
        delete: { kind: "tag", ref: t.targetImage, createdByDriver },
        notes,
    });
    const triggersChanged = prior !== undefined && prior.triggersHash !== t.triggersHash;
    if (have !== undefined && have.Id === src.Id && !triggersChanged) {
        return out("unchanged", priorCreated === undefined ? ["the tag existed before: destroy keeps it"] : []);
    }
    await docker(remote, [["docker", "tag", "--", t.sourceImage, t.targetImage]], `docker tag ${t.sourceImage} ${t.targetImage}`);
    return out(have === undefined ? "created" : "replaced", have !== undefined && have.Id !== src.Id ? [`moved from ${have.Id}`] : []);
}

/** `docker push` with the host's daemon (which must trust the registry). */
export async function pushImage(remote: Remote, img: RegistryImageSpec, prior?: { outputs: Record<string, unknown> }): Promise<Performed> {
    const r = await docker(remote, [["docker", "push", "--", img.name]], `docker push ${img.name}`, PULL_PUSH_TIMEOUT_MS);
    const digest = pushedDigest(r.stdout);
    const same = prior !== undefined && digest !== "" && prior.outputs.sha256Digest === digest;
    return {
        id: `${img.name}@${digest}`,
        outputs: { name: img.name, sha256Digest: digest, insecureSkipVerify: img.insecureSkipVerify, keepRemotely: true },
        status: same ? "unchanged" : prior !== undefined ? "replaced" : "created",
        delete: { kind: "none" },
        notes: [],
    };
}

/** Ensures the container: kept when it runs with the same settings, else removed and created again. */
export async function ensureContainer(remote: Remote, c: ContainerSpec): Promise<Performed> {
    const img = await inspect<ImageInspect>(remote, "image", c.image);
    if (img === undefined) {
        throw new PerformError(`image ${c.image} is not on the host (the lab driver, like the provider, does not pull for a container: declare a docker.RemoteImage)`);
    }
    const del: DeleteAction = { kind: "container", name: c.name, removeVolumes: c.removeVolumes, graceSeconds: c.destroyGraceSeconds };
    const have = await inspect<ContainerInspect>(remote, "container", c.name);
    let status: StepStatus = "created";
    const notes: string[] = [];
    const argvs: string[][] = [];
    if (have !== undefined) {
        const diff = containerDiff(c, img.Id, have);
        if (diff.length === 0) {
            return { id: have.Id, outputs: containerOutputs(c, have), status: "unchanged", delete: del, notes };
        }
        status = "replaced";
        notes.push(`replaced: ${diff.join("; ")}`);
        argvs.push(...containerRemoveArgvs(c.name, c.removeVolumes));
    }
    argvs.push(containerCreateArgv(c, img.Id), ...containerConnectArgvs(c));
    if (c.start) argvs.push(["docker", "start", "--", c.name]);
    try {
        await docker(remote, argvs, `creating container ${c.name}`);
    } catch (e) {
        throw new PartialError((e as Error).message);
    }
    const now = await inspect<ContainerInspect>(remote, "container", c.name);
    if (now === undefined) throw new PerformError(`container ${c.name} is missing right after it was created`);
    if (c.start && c.mustRun && now.State?.Running !== true) {
        const logs = await remote.sh(shellJoin(["docker", "logs", "--tail", "5", "--", c.name]), { timeoutMs: DOCKER_TIMEOUT_MS });
        throw new PartialError(
            `container ${c.name} is not running after start (${now.State?.Status ?? "unknown"}, exit code ${now.State?.ExitCode ?? "?"}): ${tail(logs.stdout + logs.stderr, 5) || "no logs"}`,
        );
    }
    return { id: now.Id, outputs: containerOutputs(c, now), status, delete: del, notes };
}

// ------------------------------------------------------------------------------------------------
// Deletes

/** What a delete did: removed it (or found it gone), or kept it on purpose. */
export interface Deleted {
    outcome: "deleted" | "kept";
    note: string;
}

/**
 * Performs a recorded delete. Objects that are gone already are fine; images, tags and volumes the
 * driver did not create are kept.
 */
export async function performDelete(remote: Remote, d: DeleteAction): Promise<Deleted> {
    const gone = (what: string, r: "removed" | "absent"): Deleted => ({ outcome: "deleted", note: r === "removed" ? `${what} removed` : `${what} was gone already` });
    const kept = (note: string): Deleted => ({ outcome: "kept", note });
    switch (d.kind) {
        case "none":
            return { outcome: "deleted", note: "" };
        case "command":
            throw new Error("remote.Command deletes run through runScript");
        case "container": {
            let last: "removed" | "absent" = "absent";
            for (const argv of containerRemoveArgvs(d.name, d.removeVolumes, d.graceSeconds)) {
                last = await removeIgnoringAbsent(remote, argv, `${argv.slice(0, 2).join(" ")} ${d.name}`);
            }
            return gone(`container ${d.name}`, last);
        }
        case "network":
            return gone(`network ${d.name}`, await removeIgnoringAbsent(remote, ["docker", "network", "rm", "--", d.name], `docker network rm ${d.name}`));
        case "volume":
            if (!d.createdByDriver) return kept(`volume ${d.name} existed before the apply`);
            return gone(`volume ${d.name}`, await removeIgnoringAbsent(remote, ["docker", "volume", "rm", "--", d.name], `docker volume rm ${d.name}`));
        case "image":
            if (d.keepLocally) return kept(`image ${d.ref}: keepLocally`);
            if (!d.pulledByDriver) return kept(`image ${d.ref} was on the host before the apply`);
            return gone(
                `image ${d.ref}`,
                await removeIgnoringAbsent(remote, ["docker", "image", "rm", ...(d.force ? ["--force"] : []), "--", d.ref], `docker image rm ${d.ref}`),
            );
        case "tag": {
            if (!d.createdByDriver) return kept(`tag ${d.ref} existed before the apply`);
            const img = await inspect<ImageInspect>(remote, "image", d.ref);
            if (img === undefined) return gone(`tag ${d.ref}`, "absent");
            if ((img.RepoTags ?? []).length < 2) return kept(`tag ${d.ref} is the image's only name; removing it would delete the image`);
            return gone(`tag ${d.ref}`, await removeIgnoringAbsent(remote, ["docker", "image", "rm", "--no-prune", "--", d.ref], `docker image rm ${d.ref}`));
        }
        default: {
            const never_: never = d;
            throw new Error(`unknown delete ${JSON.stringify(never_)}`);
        }
    }
}

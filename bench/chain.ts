/**
 * The longest chain of sequential remote steps per host of an applied stack, from its state
 * (`pulumi stack export --show-secrets`): the engine runs a resource once everything it depends on is
 * done, so on a slow link the time of an apply is about the longest such chain times the cost of a
 * step (a remote command opens an SSH connection of its own: several round trips).
 *
 * A remote step is a resource whose create contacts a host: a `command:remote:Command` with a
 * `create` (its connection's host), a Docker provider (its Configure dials the daemon over ssh and
 * pings it), and a Docker resource (its provider's host). A resource depends on its `dependencies`
 * (a component among them stands for every custom resource under it) and on its provider. For each
 * host, the chain is the most steps of that host on one path of that graph (steps of other hosts on
 * the path count for them, not for it). Pure.
 */

/** The fields of a resource in `pulumi stack export` that this reads. */
export interface StateResource {
    urn: string;
    type: string;
    custom?: boolean;
    parent?: string;
    dependencies?: string[];
    provider?: string;
    inputs?: Record<string, unknown>;
}

/** Pulumi's marker of a secret value in a state (`pulumi stack export --show-secrets` adds `plaintext`, JSON). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** A state value with its secrets shown as plain values (`{<sig>: ..., plaintext: "<json>"}` -> the value). Pure. */
export function unwrapSecrets(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (v === null || typeof v !== "object") return v;
    const o = v as Record<string, unknown>;
    if (SECRET_SIG in o) return typeof o.plaintext === "string" ? unwrapSecrets(JSON.parse(o.plaintext)) : undefined;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
}

/** The address a `ssh://user@address:port` Docker host URL names; undefined for anything else. Pure. */
export function sshUrlAddress(url: unknown): string | undefined {
    if (typeof url !== "string") return undefined;
    const m = /^ssh:\/\/(?:[^@/]+@)?(\[[^\]]+\]|[^:/]+)(?::\d+)?\/?$/.exec(url);
    return m ? m[1].replace(/^\[|\]$/g, "") : undefined;
}

/** The provider reference of a resource (`<urn>::<id>`) -> the provider's URN. Pure. */
function providerUrn(ref: string | undefined): string | undefined {
    if (ref === undefined) return undefined;
    const at = ref.lastIndexOf("::");
    return at > 0 ? ref.slice(0, at) : undefined;
}

/**
 * Per resource URN, the host (by name) whose remote step it is; resources that are no remote step are
 * absent. `hostsByAddress`: SSH address -> host name. Pure.
 */
export function remoteSteps(resources: readonly StateResource[], hostsByAddress: ReadonlyMap<string, string>): Map<string, string> {
    const out = new Map<string, string>();
    const providerHost = new Map<string, string>();
    for (const r of resources) {
        if (r.type === "pulumi:providers:docker") {
            const a = sshUrlAddress(r.inputs?.host);
            const h = a !== undefined ? hostsByAddress.get(a) : undefined;
            if (h !== undefined) {
                providerHost.set(r.urn, h);
                out.set(r.urn, h);
            }
        }
    }
    for (const r of resources) {
        if (r.type === "command:remote:Command") {
            // the connection is a secret: shown by --show-secrets as a wrapped value
            const conn = unwrapSecrets(r.inputs?.connection) as { host?: unknown } | undefined;
            const h = typeof conn?.host === "string" ? hostsByAddress.get(conn.host) : undefined;
            if (h !== undefined && typeof r.inputs?.create === "string" && r.inputs.create !== "") out.set(r.urn, h);
        } else if (r.type.startsWith("docker:") && r.custom !== false) {
            const h = providerHost.get(providerUrn(r.provider) ?? "");
            if (h !== undefined) out.set(r.urn, h);
        }
    }
    return out;
}

/**
 * host -> the most steps of that host on one dependency path (see the module comment). Throws on a
 * dependency cycle (a state never has one). Pure.
 */
export function longestChains(resources: readonly StateResource[], hostsByAddress: ReadonlyMap<string, string>): Record<string, number> {
    const steps = remoteSteps(resources, hostsByAddress);
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const children = new Map<string, string[]>();
    for (const r of resources) {
        if (r.parent !== undefined) children.set(r.parent, [...(children.get(r.parent) ?? []), r.urn]);
    }
    // a component stands for every custom resource under it
    const customsUnder = (urn: string, seen = new Set<string>()): string[] => {
        if (seen.has(urn)) return [];
        seen.add(urn);
        const r = byUrn.get(urn);
        if (r === undefined) return [];
        if (r.custom) return [urn];
        return (children.get(urn) ?? []).flatMap((c) => customsUnder(c, seen));
    };
    const preds = new Map<string, string[]>();
    for (const r of resources) {
        if (!r.custom) continue;
        const p = new Set<string>();
        for (const d of r.dependencies ?? []) for (const c of customsUnder(d)) if (c !== r.urn) p.add(c);
        const prov = providerUrn(r.provider);
        if (prov !== undefined && byUrn.has(prov)) p.add(prov);
        preds.set(r.urn, [...p]);
    }
    const hosts = [...new Set(hostsByAddress.values())].sort();
    const out: Record<string, number> = {};
    for (const h of hosts) {
        const memo = new Map<string, number>();
        const visiting = new Set<string>();
        const best = (urn: string): number => {
            const known = memo.get(urn);
            if (known !== undefined) return known;
            if (visiting.has(urn)) throw new Error(`dependency cycle at ${urn}`);
            visiting.add(urn);
            let m = 0;
            for (const p of preds.get(urn) ?? []) m = Math.max(m, best(p));
            visiting.delete(urn);
            const v = m + (steps.get(urn) === h ? 1 : 0);
            memo.set(urn, v);
            return v;
        };
        out[h] = Math.max(0, ...[...preds.keys()].map(best));
    }
    return out;
}

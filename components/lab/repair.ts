/**
 * Verify and repair requests of MacvlanLab: what a request may be, and the transformation that puts
 * a repair request on every remote command of the lab that changes a host.
 */
import * as pulumi from "@pulumi/pulumi";

/** The values a verify or repair request may have: what `date +%s` or a short word gives. */
export const REQUEST = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/**
 * A repair request on every remote command of the lab that changes a host: its create gets a last
 * comment line naming the request, so a new request is an update and Pulumi runs the create again
 * (idempotent: only what drifted changes). Not the read-only ones (preflights, the trust's read,
 * verifies, the wait for the registry); the trust's read of `reread` hosts gets the request in its triggers instead (it is
 * replaced, and the daemon.json written anew from a fresh read). Pure.
 */
export function repairTransformation(request: string, reread: readonly string[]): pulumi.ResourceTransformation {
    return (a) => {
        if (a.type !== "command:remote:Command") return undefined;
        if (/-trust-inspect$/.test(a.name)) {
            const host = reread.find((h) => a.name.endsWith(`-${h}-trust-inspect`));
            if (host === undefined) return undefined;
            return { props: { ...a.props, triggers: pulumi.output(a.props.triggers).apply((t: unknown[] | undefined) => [...(t ?? []), `repair ${request}`]) }, opts: a.opts };
        }
        if (/-(preflight-check|verify-read|registry-ready)$/.test(a.name) || a.props.create === undefined) return undefined;
        const create = pulumi.output(a.props.create).apply((c: string | undefined) => (c === undefined ? c : `${c.replace(/\n?$/, "\n")}# macvlan-lab repair request ${request}\n`));
        return { props: { ...a.props, create }, opts: a.opts };
    };
}

/** A MacvlanLab's `verify` and `repair`: each a request or absent; throws naming the bad one. */
export function checkRequests(lab: string, requests: { verify?: string; repair?: string }): void {
    for (const [key, value] of [["verify", requests.verify], ["repair", requests.repair]] as const) {
        if (value !== undefined && !REQUEST.test(value)) {
            throw new Error(`MacvlanLab ${lab}: ${key} ${JSON.stringify(value)} is not a request; use letters, digits and . _ : - (at most 64), such as $(date +%s)`);
        }
    }
}

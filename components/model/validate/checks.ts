/**
 * The `checks:` section: whether the connectivity checks run, the isolation checks (pairs of
 * containers that must not reach each other), the ping count and timeout; and the rule that an
 * isolation check may not contradict the router's policy ({@link checkRoutedIsolation}).
 */
import { CONTAINER_REF, containerKey, isolationPairProblem, routedIsolationProblem } from "../../contracts";
import { ChecksSpec, ContainerSpec, IsolationCheckSpec, RouterSpec } from "../types";
import { didYouMean, quote } from "../messages";
import type { Reader } from "./reader";
import { routedPair } from "./router";

const CHECK_FIELDS = ["connectivity", "isolation", "count", "timeoutSeconds"] as const;
const ISOLATION_FIELDS = ["from", "to"] as const;

export function readChecks(r: Reader, v: unknown, containers: ContainerSpec[]): ChecksSpec {
    const d: ChecksSpec = { connectivity: true, isolation: [], count: 3, timeoutSeconds: 5 };
    if (v === undefined) {
        return d;
    }
    const o = r.object(v, "checks", CHECK_FIELDS, "checks");
    if (!o) {
        return d;
    }
    const isolation: IsolationCheckSpec[] = [];
    const valid = containers.map(containerKey);
    (o.isolation === undefined ? [] : r.array(o.isolation, "checks.isolation", "checks.isolation") ?? []).forEach((item, i) => {
        const p = `checks.isolation[${i}]`;
        const io = r.object(item, p, ISOLATION_FIELDS, "an isolation check");
        if (!io) {
            return;
        }
        const ends = ISOLATION_FIELDS.map((k) => {
            const ref = r.string(io[k], `${p}.${k}`, CONTAINER_REF, "a container reference <host>/<container> like docker01/bbox10");
            if (ref === undefined) {
                return undefined;
            }
            const [host, name] = ref.split("/");
            const c = containers.find((x) => x.host === host && x.name === name);
            if (!c && (r.declared.containers.has(ref) || containers.filter((x) => x.name === name).length < r.declared.containerNames.filter((x) => x === name).length)) {
                return undefined; // a container of that name failed its own validation, reported there
            }
            if (!c) {
                const choices = valid.length > 0 ? `use one of ${valid.join(", ")}` : "(there is no valid container)";
                return r.fail(`${p}.${k}`, `${p}.${k} ${quote(ref)} is not a container of this stack; ${didYouMean(ref, valid)}${choices}`);
            }
            return c;
        });
        const [from, to] = ends;
        if (from && to) {
            const problem = isolationPairProblem(from, to, `${p}.from`);
            if (problem !== undefined) {
                r.fail(`${p}.to`, `${p}.to ${quote(containerKey(to))} ${problem}`);
            } else {
                isolation.push({ from: containerKey(from), to: containerKey(to) });
            }
        }
    });
    return {
        connectivity: o.connectivity === undefined ? d.connectivity : r.bool(o.connectivity, "checks.connectivity") ?? d.connectivity,
        isolation,
        count: o.count === undefined ? d.count : r.int(o.count, "checks.count", 1, 20, "a number of echo requests") ?? d.count,
        timeoutSeconds:
            o.timeoutSeconds === undefined ? d.timeoutSeconds : r.int(o.timeoutSeconds, "checks.timeoutSeconds", 1, 60, "a number of seconds") ?? d.timeoutSeconds,
    };
}

/** An isolation check between two networks the router lets talk contradicts the policy. */
export function checkRoutedIsolation(r: Reader, checks: ChecksSpec, containers: ContainerSpec[], router: RouterSpec | undefined): void {
    if (!router) return;
    checks.isolation.forEach((pair, i) => {
        const net = (ref: string) => containers.find((c) => containerKey(c) === ref)?.network;
        const [a, b] = [net(pair.from), net(pair.to)];
        if (a !== undefined && b !== undefined && routedPair(router, a, b)) {
            r.fail(
                `checks.isolation[${i}]`,
                `checks.isolation[${i}] ${quote(`${pair.from} -> ${pair.to}`)} ${routedIsolationProblem(a, b, router.host)}`,
            );
        }
    });
}

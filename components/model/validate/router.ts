/**
 * The `router:` section (issue 12): the host that routes between networks, the networks it joins
 * (each must span that host and carry a router leg), the pairs it lets talk, and its legs' names.
 */
import { routerAllows } from "../../contracts";
import { HostSpec, RoutedPair, RouterSpec } from "../types";
import { DOCKER_NAME, HOST_NAME, INTERFACE_NAME } from "../names";
import { didYouMean, pathKey, quote } from "../messages";
import type { Obj, Reader } from "./reader";
import { lookupHost } from "./hosts";
import { ReadNetworks, checkSpans, hostInterfaces, subInterfaceProblem } from "./networks";

const ROUTER_FIELDS = ["host", "networks", "allow", "legs"] as const;

export function readRouter(r: Reader, v: unknown, hosts: Map<string, HostSpec>, networks: ReadNetworks): RouterSpec | undefined {
    if (v === undefined) {
        return undefined;
    }
    const o = r.object(v, "router", ROUTER_FIELDS, "router");
    if (!o) {
        return undefined;
    }
    let ok = true;
    const hostName = r.string(o.host, "router.host", HOST_NAME, "a host name of this stack (the host that routes between the networks)");
    const host = lookupHost(r, hosts, hostName, "router.host");
    if (!host) ok = false;
    const byName = new Map(networks.specs.map((n) => [n.name, n]));
    const names: string[] = [];
    if (o.networks === undefined) {
        r.missing("router.networks", "list the networks the router joins, at least two, like [mac_net10, mac_net20]");
        ok = false;
    } else {
        const list = r.array(o.networks, "router.networks", "router.networks");
        if (list === undefined) ok = false;
        (list ?? []).forEach((item, i) => {
            const p = `router.networks[${i}]`;
            const name = r.string(item, p, DOCKER_NAME, "a network name of this stack");
            if (name === undefined) {
                ok = false;
                return;
            }
            const n = byName.get(name);
            if (!n) {
                ok = false;
                r.unknownName("networks", name, p, [...byName.keys()], "a network");
                return;
            }
            if (names.includes(name)) {
                ok = false;
                r.fail(p, `${p} ${quote(name)} is listed twice; list each network once`);
                return;
            }
            names.push(name);
            const problem = subInterfaceProblem(n, "router");
            if (problem !== undefined) {
                ok = false;
                r.fail(p, `${p} ${quote(name)}: ${problem}`);
            } else if (host && !checkSpans(r, p, n, host.name, `does not span the router host ${host.name}`, `add ${host.name} to ${name}'s hosts, or route on a host it spans`)) {
                ok = false;
            }
        });
        if (list !== undefined && list.length < 2) {
            ok = false;
            r.fail("router.networks", `router.networks ${quote(o.networks)} lists ${list.length === 0 ? "no network" : "one network"}; a router joins at least two: list them like [mac_net10, mac_net20]`);
        }
    }
    // the policy: pairs of the listed networks; default every pair
    let allow: RoutedPair[] = [];
    if (o.allow === undefined) {
        for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) allow.push([names[i], names[j]]);
    } else {
        const list = r.array(o.allow, "router.allow", "router.allow (pairs like [mac_net10, mac_net20])");
        if (list === undefined) ok = false;
        const seen = new Map<string, number>();
        (list ?? []).forEach((item, i) => {
            const p = `router.allow[${i}]`;
            if (!Array.isArray(item) || item.length !== 2 || item.some((x) => typeof x !== "string")) {
                ok = false;
                r.fail(p, `${p} ${quote(item)} is not a pair of network names; write it like [mac_net10, mac_net20]`);
                return;
            }
            const [a, b] = item as [string, string];
            for (const [k, x] of [[0, a], [1, b]] as const) {
                if (!names.includes(x) && byName.has(x)) {
                    ok = false;
                    r.fail(`${p}[${k}]`, `${p}[${k}] ${quote(x)} is not one of router.networks (${names.join(", ")}); add it there or drop the pair`);
                } else if (!byName.has(x)) {
                    ok = false;
                    r.unknownName("networks", x, `${p}[${k}]`, names, "a routed network");
                }
            }
            if (a === b) {
                ok = false;
                r.fail(p, `${p} ${quote(item)} names ${a} twice; a pair is two different networks (a network reaches itself without the router)`);
                return;
            }
            const key = [a, b].sort().join("\0");
            const first = seen.get(key);
            if (first !== undefined) {
                ok = false;
                r.fail(p, `${p} ${quote(item)} is already router.allow[${first}] (a pair allows both directions); drop it`);
                return;
            }
            seen.set(key, i);
            allow.push([a, b]);
        });
    }
    // leg names: default rtr<k>
    const legs: Record<string, string> = {};
    let legNames: Obj = {};
    if (o.legs !== undefined) {
        const lo = r.object(o.legs, "router.legs", undefined, "router.legs (network: interface name)");
        if (!lo) ok = false;
        legNames = lo ?? {};
        for (const k of Object.keys(legNames)) {
            if (!names.includes(k)) {
                ok = false;
                const kp = pathKey("router.legs", k);
                r.fail(kp, `${kp} is not one of router.networks (${names.join(", ")}); ${didYouMean(k, names)}name a leg per routed network`);
            }
        }
    }
    const used = host ? hostInterfaces(host, [], networks.specs) : new Set<string>();
    const legOwner = new Map<string, string>();
    names.forEach((n, k) => {
        const given = legNames[n];
        const kp = pathKey("router.legs", n);
        const name = given === undefined ? `rtr${k}` : r.string(given, kp, INTERFACE_NAME, "an interface name (at most 15 of a-z A-Z 0-9 _ . -)");
        if (name === undefined) {
            ok = false;
            return;
        }
        const where = given === undefined ? `router.networks[${k}] (its leg's default name ${name})` : kp;
        if (used.has(name) || legOwner.has(name)) {
            ok = false;
            r.fail(where, `${where} ${quote(name)} is already an interface on ${hostName}${legOwner.has(name) ? ` (the leg of ${legOwner.get(name)})` : ""}; set router.legs.${n} to a free name`);
            return;
        }
        legOwner.set(name, n);
        legs[n] = name;
    });
    if (!ok || !host) {
        return undefined;
    }
    allow = allow.map(([a, b]) => [a, b] as RoutedPair);
    const defaultLegs = names.filter((n) => legNames[n] === undefined);
    return { host: host.name, networks: names, allow, legs, ...(defaultLegs.length > 0 ? { defaultLegs } : {}) };
}

/** Whether the router lets networks `a` and `b` talk. */
export function routedPair(router: RouterSpec, a: string, b: string): boolean {
    return routerAllows(router.allow, a, b);
}

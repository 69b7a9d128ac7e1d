/**
 * The memory of an address plan: what the program exports as the stack output `addressPlan`
 * ({@link planMemoryOf}) and reads back on the next run ({@link parsePlanMemory}), so that every
 * host keeps its range ({@link planLab} in ./plan.ts, its option `memory`), and the interface
 * names of the shims and router legs from the `hosts` output ({@link parseInterfaceMemory}), so that
 * each default name stays (./interfaceNames.ts). Pure.
 */
import type { LabPlan } from "./plan";
import type { InterfaceMemory } from "./interfaceNames";
import { INTERFACE_NAME } from "./names";

/**
 * What a stack's last deployment planned: per network its subnet and each host's range. The program
 * exports it as the stack output `addressPlan` and reads it back on the next run
 * ({@link parsePlanMemory}), so a host keeps its range whatever else the stack gains, loses or
 * reorders (Docker network arguments cannot change in place: a moved range replaces the network and
 * every container on it).
 */
export interface PlanMemory {
    networks: Record<string, { subnet: string; ranges: Record<string, string> }>;
    /**
     * The interface names the host shims and router legs had (from the `hosts` output), so that each
     * default name stays (`keepInterfaceNames`). Absent when there were none.
     */
    interfaces?: InterfaceMemory;
}

/**
 * The memory of an earlier plan: `addressPlan` as the program exported it, or, for a stack
 * deployed before that output existed, its `hosts` output (each host's networks with `ipRange`).
 * The interface names of its shims and router legs come from `hosts` in both cases. Anything else
 * is no memory (undefined): a value that does not have the shape is ignored, not trusted. Pure.
 */
export function parsePlanMemory(addressPlan: unknown, hosts?: unknown): PlanMemory | undefined {
    const interfaces = parseInterfaceMemory(hosts);
    const memory = addressMemory(addressPlan, hosts);
    if (interfaces === undefined) return memory;
    return { ...(memory ?? { networks: {} }), interfaces };
}

function addressMemory(addressPlan: unknown, hosts: unknown): PlanMemory | undefined {
    const isCidr = (x: unknown): x is string => typeof x === "string" && CIDR.test(x);
    if (isObj(addressPlan) && isObj(addressPlan.networks)) {
        const networks: PlanMemory["networks"] = {};
        for (const [name, n] of Object.entries(addressPlan.networks)) {
            if (!isObj(n) || !isCidr(n.subnet) || !isObj(n.ranges)) continue;
            const ranges: Record<string, string> = {};
            for (const [h, r] of Object.entries(n.ranges)) {
                if (isCidr(r)) ranges[h] = r;
            }
            networks[name] = { subnet: n.subnet, ranges };
        }
        return { networks };
    }
    if (isObj(hosts)) {
        const networks: PlanMemory["networks"] = {};
        for (const [h, summary] of Object.entries(hosts)) {
            if (!isObj(summary) || !isObj(summary.networks)) continue;
            for (const [name, n] of Object.entries(summary.networks)) {
                if (!isObj(n) || !isCidr(n.subnet) || !isCidr(n.ipRange)) continue;
                const entry = (networks[name] ??= { subnet: n.subnet, ranges: {} });
                if (entry.subnet === n.subnet) entry.ranges[h] = n.ipRange;
            }
        }
        return Object.keys(networks).length > 0 ? { networks } : undefined;
    }
    return undefined;
}

/**
 * The interface names of the last deployment from its `hosts` output (per host `shims.<network>.interfaceName`
 * and `router.legs`); undefined when it has none. A value without that shape, or a name that is not
 * an interface name, is ignored, not trusted. Pure.
 */
export function parseInterfaceMemory(hosts: unknown): InterfaceMemory | undefined {
    if (!isObj(hosts)) return undefined;
    const shims: Record<string, string> = {};
    let router: InterfaceMemory["router"];
    for (const [host, summary] of Object.entries(hosts)) {
        if (!isObj(summary)) continue;
        if (isObj(summary.shims)) {
            for (const [network, shim] of Object.entries(summary.shims)) {
                if (isObj(shim) && isName(shim.interfaceName)) shims[`${host}/${network}`] = shim.interfaceName;
            }
        }
        if (isObj(summary.router) && isObj(summary.router.legs)) {
            const legs = Object.fromEntries(Object.entries(summary.router.legs).filter((e): e is [string, string] => isName(e[1])));
            router = { host, legs };
        }
    }
    if (Object.keys(shims).length === 0 && router === undefined) return undefined;
    return router === undefined ? { shims } : { shims, router };
}

/** What the program exports as `addressPlan`: every network's subnet and ranges. Pure. */
export function planMemoryOf(plan: LabPlan): PlanMemory {
    return {
        networks: Object.fromEntries(Object.values(plan.networks).map((n) => [n.name, { subnet: n.subnet, ranges: { ...n.ranges } }])),
    };
}

const CIDR = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\/(?:3[0-2]|[12]?\d)$/;

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const isName = (x: unknown): x is string => typeof x === "string" && INTERFACE_NAME.test(x);

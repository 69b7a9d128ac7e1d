/**
 * Default interface names that stay: a host shim or a router leg the stack names no interface for
 * gets `mac<k>` / `rtr<k>` by its position (validation, ./validate/shims.ts and router.ts), and a
 * stack that was deployed keeps, for each of them, the name its last deployment gave it. So removing
 * or reordering shims, or the router's networks, renames nothing that stays (a new name is a new
 * link: the shim or the leg would be replaced, and with it the host's routes to its containers).
 * Pure.
 */
import { LabSpec, RouterSpec, ShimSpec } from "./types";
import { hostInterfaces } from "./validate/networks";

/** The interface names of the last deployment (the program's `hosts` output has them: `parseInterfaceMemory`, ./planMemory.ts). */
export interface InterfaceMemory {
    /** `<host>/<network>` -> the interface name of that host's shim on that network. */
    shims: Record<string, string>;
    /** The router's host then, and its legs' interface names by network. */
    router?: { host: string; legs: Record<string, string> };
}

/**
 * `spec` with every default interface name (`ShimSpec.defaultName`, `RouterSpec.defaultLegs`) that
 * the last deployment gave another name replaced by that name, when it is still free on the host
 * (not the NIC, a VLAN interface or a network's parent there, not a name the stack gives, not taken
 * by another kept name); the other defaults, on a host that kept any, then take the lowest free
 * `mac<k>` (shims) / `rtr<k>` (legs). Without memory, or on a host where no name was kept, the
 * names are as validation gave them. Names the stack gives are never changed. Pure: returns a new
 * spec.
 */
export function keepInterfaceNames(spec: LabSpec, memory: InterfaceMemory | undefined): LabSpec {
    if (memory === undefined) return spec;
    const taken = new Map<string, Set<string>>();
    const takenOn = (host: string): Set<string> => {
        let t = taken.get(host);
        if (t === undefined) {
            const h = spec.hosts.find((x) => x.name === host);
            t = h === undefined ? new Set() : hostInterfaces(h, spec.vlans, spec.networks);
            taken.set(host, t);
        }
        return t;
    };
    // what the stack names itself stays, and nothing else may take it
    for (const s of spec.shims ?? []) if (!s.defaultName) takenOn(s.host).add(s.name);
    const router = spec.router;
    const defaultLegs = new Set(router?.defaultLegs ?? []);
    if (router) for (const n of router.networks) if (!defaultLegs.has(n)) takenOn(router.host).add(router.legs[n]);

    // every default the last deployment named, kept when still free
    interface Slot {
        host: string;
        remembered?: string;
        prefix: "mac" | "rtr";
        name?: string;
    }
    const shimSlots = new Map<ShimSpec, Slot>();
    for (const s of spec.shims ?? []) {
        if (s.defaultName) shimSlots.set(s, { host: s.host, remembered: memory.shims[`${s.host}/${s.network}`], prefix: "mac" });
    }
    const legSlots = new Map<string, Slot>();
    if (router) {
        const legs = memory.router?.host === router.host ? memory.router.legs : {};
        for (const n of router.networks) if (defaultLegs.has(n)) legSlots.set(n, { host: router.host, remembered: legs[n], prefix: "rtr" });
    }
    const slots = [...shimSlots.values(), ...legSlots.values()];
    const kept = new Set<string>();
    for (const slot of slots) {
        const t = takenOn(slot.host);
        if (slot.remembered !== undefined && !t.has(slot.remembered)) {
            slot.name = slot.remembered;
            t.add(slot.remembered);
            kept.add(slot.host);
        }
    }
    // the rest: as validation gave them, unless the host kept a name (then the lowest free, which
    // no kept name can hold: validation's defaults on that host were made without them)
    for (const slot of slots) {
        if (slot.name !== undefined || !kept.has(slot.host)) continue;
        const t = takenOn(slot.host);
        let k = 0;
        while (t.has(`${slot.prefix}${k}`)) k++;
        slot.name = `${slot.prefix}${k}`;
        t.add(slot.name);
    }
    const shims = spec.shims?.map((s): ShimSpec => {
        const name = shimSlots.get(s)?.name;
        return name === undefined ? s : { ...s, name };
    });
    const legs = router ? Object.fromEntries(router.networks.map((n) => [n, legSlots.get(n)?.name ?? router.legs[n]])) : undefined;
    return {
        ...spec,
        ...(shims !== undefined ? { shims } : {}),
        ...(router !== undefined && legs !== undefined ? { router: { ...router, legs } satisfies RouterSpec } : {}),
    };
}

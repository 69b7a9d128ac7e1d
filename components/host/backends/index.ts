/**
 * The host backends, by the name a stack gives them. Another backend: its shell module under
 * components/scripts/host/backends/, its `HostBackend` in a file here, and one line below (plus
 * its name in the spec's list of backends, which validation checks, and, when auto may pick it, a
 * rule in detect.sh and its modules in auto.sh's auto_modules).
 */
import { HostBackend } from "./types";
import { ifcfg } from "./ifcfg";
import { nmcli } from "./nmcli";
import { networkd } from "./networkd";
import { netplan } from "./netplan";
import { ifupdown } from "./ifupdown";
import { iproute2 } from "./iproute2";
import { autoBackend } from "./auto";

export { BackendPaths, HostBackend, LinkPersistence, ScriptAction, ScriptVar, VlanFacts, LinkFacts } from "./types";

/** The backends auto may pick: those that keep configuration across a reboot. */
export const AUTO_PICKS: readonly HostBackend[] = [ifcfg, nmcli, networkd, netplan, ifupdown];

const REGISTERED: readonly HostBackend[] = [...AUTO_PICKS, iproute2, autoBackend(AUTO_PICKS)];

/** Backend name -> backend. */
export const HOST_BACKENDS: Readonly<Record<string, HostBackend>> = Object.fromEntries(REGISTERED.map((b) => [b.name, b]));

/** The backend called `name`; throws naming the registered ones. */
export function hostBackend(name: string): HostBackend {
    const b = Object.prototype.hasOwnProperty.call(HOST_BACKENDS, name) ? HOST_BACKENDS[name] : undefined;
    if (b === undefined) {
        throw new Error(`backend ${JSON.stringify(name)} is not one of ${Object.keys(HOST_BACKENDS).join(", ")}`);
    }
    return b;
}

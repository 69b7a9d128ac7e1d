/**
 * The host backends, by the name a stack gives them. A fourth backend: its shell module under
 * components/scripts/host/backends/, its `HostBackend` in a file here, and one line below (plus
 * its name in the spec's list of backends, which validation checks).
 */
import { HostBackend } from "./types";
import { ifcfg } from "./ifcfg";
import { nmcli } from "./nmcli";
import { iproute2 } from "./iproute2";

export { HostBackend, ScriptVar, VlanFacts } from "./types";

const REGISTERED: readonly HostBackend[] = [ifcfg, nmcli, iproute2];

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

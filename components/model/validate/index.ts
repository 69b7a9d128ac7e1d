/**
 * Turns a stack's raw config into a {@link LabSpec}, checking everything at once.
 *
 * Pure: no Pulumi, no I/O. {@link validateLab} returns one {@link ValidationError} per problem;
 * {@link loadLab} throws them all together. Every message:
 * - starts with the exact path of the entry to change (`vlans[1].defaultRoute`, not `vlans`), which
 *   is also its `path`;
 * - shows the offending value quoted and escaped ({@link quote}: `""`, `"a\nb"`), except a value
 *   that may be a secret (an unknown key's value, a password), which is never shown;
 * - says why it is wrong and what to write instead, with the closest valid name when a name or key
 *   is misspelt.
 * One problem gives one message: a reference to an entry that failed its own check is not reported
 * again, and a problem shared by several hosts is one message naming them.
 *
 * The reader ({@link Reader}, ./reader.ts) and one file per section of the config, read in this
 * order: keys.ts (the config's own keys), ssh.ts, hosts.ts, vlans.ts, networks.ts, registry.ts,
 * containers.ts, checks.ts, management.ts (rules across hosts, VLANs and networks), router.ts,
 * shims.ts. A new config key goes in the file of its section (a new section: a new file, its key in
 * keys.ts, its call in {@link readLab}). A rule other sections ask (does a network span a host, is
 * an address a host's own, is it a VLAN id) has one home, in the section it belongs to.
 */
import { LabSpec, ValidationError } from "../types";
import { LabPlan, PlanOptions, planLab } from "../plan";
import { Reader } from "./reader";
import { declaredNames } from "./declared";
import { RawLabConfig, checkConfigKeys } from "./keys";
import { readSshDefaults } from "./ssh";
import { readHosts } from "./hosts";
import { readVlans } from "./vlans";
import { readNetworks } from "./networks";
import { readRegistry } from "./registry";
import { readContainers } from "./containers";
import { checkRoutedIsolation, readChecks } from "./checks";
import { checkManagementAddresses } from "./management";
import { readRouter } from "./router";
import { readShims } from "./shims";

export { RawLabConfig, LAB_CONFIG_KEYS, PROGRAM_CONFIG_KEYS, CONFIG_KEYS, looksLikeOurNamespace } from "./keys";
export { DEFAULT_CONFIG_DIRS, DEFAULT_BACKEND } from "./hosts";
export { routedPair } from "./router";

/** Thrown by {@link loadLab}: every problem of the config, one per line. */
export class LabConfigError extends Error {
    constructor(public readonly errors: ValidationError[]) {
        super(
            `the stack's config has ${errors.length} problem${errors.length === 1 ? "" : "s"}:\n` +
                errors.map((e) => `  - ${e.message}`).join("\n"),
        );
        this.name = "LabConfigError";
    }
}

/** Parses, validates and plans; throws {@link LabConfigError} listing every problem. */
export function loadLab(raw: RawLabConfig): LabSpec {
    const { spec, errors } = parseLab(raw);
    if (errors.length > 0 || spec === undefined) {
        throw new LabConfigError(errors);
    }
    return spec;
}

/** Every problem of a raw config; empty when it is valid. */
export function validateLab(raw: RawLabConfig): ValidationError[] {
    return parseLab(raw).errors;
}

/**
 * Parses, validates and plans; `spec` and `plan` are set only when there is no error. With
 * `options.memory` (the stack's last deployment), hosts keep their ranges ({@link planLab}).
 */
export function parseLab(raw: RawLabConfig, options: PlanOptions = {}): { spec?: LabSpec; plan?: LabPlan; errors: ValidationError[] } {
    const read = readLab(raw);
    if (read.spec === undefined) {
        return read;
    }
    const { plan, errors } = planLab(read.spec, options);
    return errors.length > 0 ? { errors } : { spec: read.spec, plan, errors: [] };
}

/**
 * Parses and validates everything that does not depend on the address plan; `spec` is set only
 * when there is no error. The program reads the config with it before it asks for the stack's
 * last deployment, then plans ({@link planLab}).
 */
export function readLab(raw: RawLabConfig): { spec?: LabSpec; errors: ValidationError[] } {
    const r = new Reader(declaredNames(raw));
    checkConfigKeys(r, raw);
    const ssh = readSshDefaults(r, raw.ssh);
    const hosts = readHosts(r, raw.hosts, ssh);
    const hostByName = new Map(hosts.map((h) => [h.name, h]));
    const vlans = readVlans(r, raw.vlans, hostByName);
    const networks = readNetworks(r, raw.networks, hostByName, vlans);
    const registry = readRegistry(r, raw.registry, hostByName);
    const containers = readContainers(r, raw.containers, hostByName, networks.specs, vlans.specs, registry);
    const checks = readChecks(r, raw.checks, containers);
    checkManagementAddresses(r, hosts, vlans, networks);
    const router = readRouter(r, raw.router, hostByName, networks);
    const shims = readShims(r, raw.shims, hostByName, networks, containers, vlans.specs, router);
    checkRoutedIsolation(r, checks, containers, router);
    if (r.errors.length > 0) {
        return { errors: r.errors };
    }
    const spec: LabSpec = { hosts, vlans: vlans.specs, networks: networks.specs, registry, containers, checks, shims, ...(router ? { router } : {}) };
    return { spec, errors: [] };
}

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
 */
import { IPv4, IPv4CidrRange } from "ip-num";
import { CONFIG_NAMESPACE, CONTAINER_REF, IPV4, configKey, containerKey, isolationPairProblem, routedIsolationProblem, routerAllows } from "../contracts";
import {
    ChecksSpec,
    ContainerSpec,
    HostSpec,
    IPVLAN_MODES,
    IsolationCheckSpec,
    LabSpec,
    MACVLAN_MODES,
    MirrorSpec,
    NETWORK_BACKENDS,
    NETWORK_DRIVERS,
    NetworkBackend,
    NetworkDriver,
    NetworkSpec,
    REGISTRY_SECURITY,
    RegistrySpec,
    RegistryUserSpec,
    RESTART_POLICIES,
    RestartPolicy,
    RoutedPair,
    RouterSpec,
    ShimSpec,
    ValidationError,
    VlanSpec,
} from "./types";
import { DNS_NAME, DOCKER_NAME, HOST_NAME, INTERFACE_NAME, namePatternProblem, parseImageReference, SAFE_ABSOLUTE_PATH, SIMPLE_NAME, USER_NAME } from "./names";
import { parseHostKey } from "./hostKey";
import { closest, didYouMean, editDistance, pathKey, quote } from "./messages";
import { LabPlan, PlanOptions, planLab } from "./plan";

/**
 * The config of the `macvlan-lab` namespace as raw JSON values: the keys that describe the lab,
 * and any other key the stack sets (reported as unknown, with the closest valid key). A key of
 * another namespace that looks like a misspelt `macvlan-lab` arrives under its full name
 * (`macvlan_lab:hosts`, see {@link readLabConfig}) and is reported too.
 */
export interface RawLabConfig {
    hosts?: unknown;
    ssh?: unknown;
    vlans?: unknown;
    networks?: unknown;
    registry?: unknown;
    containers?: unknown;
    checks?: unknown;
    shims?: unknown;
    router?: unknown;
    [key: string]: unknown;
}
export const LAB_CONFIG_KEYS: ReadonlyArray<"hosts" | "ssh" | "vlans" | "networks" | "registry" | "containers" | "checks" | "shims" | "router"> = [
    "hosts",
    "ssh",
    "vlans",
    "networks",
    "registry",
    "containers",
    "checks",
    "shims",
    "router",
];

/** Keys of the namespace the program reads itself (index.ts): known, but not part of the lab's model. */
export const PROGRAM_CONFIG_KEYS: readonly string[] = ["sshPrivateKey", "sshKeyFile", "sshKnownHostsFile", "controllerCaDir", "verify", "repair"];

/** Every key the `macvlan-lab` namespace may hold. */
export const CONFIG_KEYS: readonly string[] = [...LAB_CONFIG_KEYS, ...PROGRAM_CONFIG_KEYS];

/**
 * Default directory of each backend's persistent network config; `auto` has none of its own (each
 * backend it may pick uses its own default, so `configDir` cannot be set with it).
 */
export const DEFAULT_CONFIG_DIRS: Record<NetworkBackend, string> = {
    ifcfg: "/etc/sysconfig/network-scripts",
    nmcli: "/etc/NetworkManager/system-connections",
    networkd: "/etc/systemd/network",
    netplan: "/etc/netplan",
    ifupdown: "/etc/network",
    iproute2: "/etc/macvlan-lab",
    auto: "",
};

/** The backend of a host whose stack names none: the one the host really runs. */
export const DEFAULT_BACKEND: NetworkBackend = "auto";

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

type Obj = Record<string, unknown>;

type NameKind = "hosts" | "networks" | "vlans";

/** `a`, `a and b`, `a, b and c`. */
function listing(xs: readonly string[]): string {
    return xs.length <= 1 ? xs.join("") : `${xs.slice(0, -1).join(", ")} and ${xs[xs.length - 1]}`;
}

/** Collects errors while reading; every reader returns undefined on a problem it reported. */
class Reader {
    readonly errors: ValidationError[] = [];

    /**
     * Names the config declares, valid or not. A reference to a declared name that failed its own
     * validation is not reported again: one error per problem, at the place of the problem.
     */
    constructor(readonly declared: Declared) {}

    /**
     * Paths of fields an unknown key most likely meant (`hosts[0].address` for `hosts[0].adress`):
     * the unknown key's message stands for the missing field too.
     */
    readonly misspelt = new Set<string>();

    fail(path: string, message: string): undefined {
        this.errors.push({ path, message });
        return undefined;
    }

    /** Reports a missing required value (unless a misspelt key already stands for it). */
    missing(path: string, fix: string): undefined {
        return this.misspelt.has(path) ? undefined : this.fail(path, `${path} is missing; ${fix}`);
    }

    /**
     * Reports a reference to a name the stack does not declare, with the closest valid one, unless
     * the name is declared (its entry failed and said so) or an entry of that kind has no usable
     * name (the reference may mean it; its own error stands for both).
     */
    unknownName(kind: NameKind, name: string, path: string, valid: readonly string[], what: string, fix = "", value: unknown = name): undefined {
        if (this.declared[kind].has(name) || this.declared.uncertain[kind]) {
            return undefined;
        }
        const choices = valid.length > 0 ? `use one of ${valid.join(", ")}` : `(there is no valid one)`;
        return this.fail(path, `${path} ${quote(value)} is not ${what} of this stack; ${didYouMean(name, valid)}${fix}${choices}`);
    }

    /** A mapping whose keys must be among `fields` (`what` names the mapping in the message). */
    object(v: unknown, path: string, fields: readonly string[] | undefined, what: string): Obj | undefined {
        if (typeof v !== "object" || v === null || Array.isArray(v)) {
            return this.fail(path, `${path} ${quote(v)} is not a mapping; write ${what} as a YAML mapping (key: value lines)`);
        }
        if (fields !== undefined) {
            for (const k of Object.keys(v)) {
                if (!fields.includes(k)) {
                    const kp = pathKey(path, k);
                    const meant = closest(k, fields);
                    if (meant !== undefined && !Object.hasOwn(v, meant)) {
                        this.misspelt.add(pathKey(path, meant));
                    }
                    this.fail(kp, `${kp} is not a field of ${what}; ${meant === undefined ? "" : `did you mean ${meant}? `}the fields are ${fields.join(", ")}`);
                }
            }
        }
        return v as Obj;
    }

    array(v: unknown, path: string, what: string): unknown[] | undefined {
        if (!Array.isArray(v)) {
            return this.fail(path, `${path} ${quote(v)} is not a list; write ${what} as a YAML sequence (- item lines)`);
        }
        return v;
    }

    string(v: unknown, path: string, pattern: RegExp, what: string): string | undefined {
        if (v === undefined) {
            return this.missing(path, `write ${what}`);
        }
        if (typeof v !== "string" || !pattern.test(v)) {
            // a numeric "DNS name", an interface name iproute2 reads as an index: the specific reason
            const why = typeof v === "string" ? namePatternProblem(pattern, v) : undefined;
            return this.fail(path, `${path} ${quote(v)} ${why ?? `is not ${what}`}`);
        }
        return v;
    }

    int(v: unknown, path: string, min: number, max: number, what: string): number | undefined {
        if (v === undefined) {
            return this.missing(path, `write ${what}, a whole number from ${min} to ${max}`);
        }
        if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
            const hint = typeof v === "string" && /^[0-9]+$/.test(v) ? ` (write it without quotes)` : "";
            return this.fail(path, `${path} ${quote(v)} is not ${what}; use a whole number from ${min} to ${max}${hint}`);
        }
        return v;
    }

    bool(v: unknown, path: string): boolean | undefined {
        if (typeof v !== "boolean") {
            return this.fail(path, `${path} ${quote(v)} is not true or false`);
        }
        return v;
    }

    oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T | undefined {
        if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
            const guess = typeof v === "string" ? didYouMean(v, allowed) : "";
            return this.fail(path, `${path} ${quote(v)} is not one of ${allowed.join(", ")}${guess === "" ? "" : `; ${guess.trim()}`}`);
        }
        return v as T;
    }

    ipv4(v: unknown, path: string): string | undefined {
        if (v === undefined) {
            return this.missing(path, "write an IPv4 address like 192.168.1.11");
        }
        if (typeof v !== "string" || !IPV4.test(v)) {
            return this.fail(path, `${path} ${quote(v)} is not an IPv4 address; write it like 192.168.1.11`);
        }
        return v;
    }

    /** An interface address: `a.b.c.d/len`, host bits allowed. */
    ipv4Interface(v: unknown, path: string): { ip: string; prefix: number; subnet: Bounds } | undefined {
        if (v === undefined) {
            return this.missing(path, "write an address with prefix length like 192.168.10.10/24");
        }
        const m = typeof v === "string" ? /^([0-9.]+)\/(0|[1-9][0-9]?)$/.exec(v) : null;
        if (!m || !IPV4.test(m[1]) || Number(m[2]) < 1 || Number(m[2]) > 32) {
            return this.fail(path, `${path} ${quote(v)} is not an address with prefix length; write it like 192.168.10.10/24`);
        }
        const prefix = Number(m[2]);
        const subnet = boundsOf(m[1], prefix);
        const value = new IPv4(m[1]).getValue();
        if (prefix < 31 && (value === subnet.first || value === subnet.last)) {
            return this.fail(
                path,
                `${path} ${quote(v)} is the ${value === subnet.first ? "network" : "broadcast"} address of ${subnet.cidr}; pick a host address inside it`,
            );
        }
        return { ip: m[1], prefix, subnet };
    }

    subnet(v: unknown, path: string): IPv4CidrRange | undefined {
        if (v === undefined) {
            return this.missing(path, "write an IPv4 subnet like 172.16.10.0/24");
        }
        const m = typeof v === "string" ? /^([0-9.]+)\/(0|[1-9][0-9]?)$/.exec(v) : null;
        if (!m || !IPV4.test(m[1]) || Number(m[2]) > 32) {
            return this.fail(path, `${path} ${quote(v)} is not an IPv4 subnet; write it like 172.16.10.0/24`);
        }
        const canonical = boundsOf(m[1], Number(m[2])).cidr;
        if (canonical !== v) {
            return this.fail(path, `${path} ${quote(v)} has host bits set; did you mean ${canonical}?`);
        }
        if (Number(m[2]) > 28) {
            return this.fail(path, `${path} ${quote(v)} is too small for a gateway and a dynamic range per host; use a prefix of /28 or shorter`);
        }
        return IPv4CidrRange.fromCidr(canonical);
    }
}

/** A subnet as numbers, computed once: first (network) and last (broadcast) address. */
interface Bounds {
    cidr: string;
    first: bigint;
    last: bigint;
}

/** The bounds of `<ip>/<prefix>` (host bits ignored). */
function boundsOf(ip: string, prefix: number): Bounds {
    const size = 1n << BigInt(32 - prefix);
    const first = (new IPv4(ip).getValue() / size) * size;
    return { cidr: `${IPv4.fromNumber(first)}/${prefix}`, first, last: first + size - 1n };
}

function cidrBounds(cidr: string): Bounds {
    const [ip, len] = cidr.split("/");
    return boundsOf(ip, Number(len));
}

function inBounds(b: Bounds, ip: string): boolean {
    const v = new IPv4(ip).getValue();
    return v >= b.first && v <= b.last;
}

interface Declared {
    hosts: Set<string>;
    networks: Set<string>;
    vlans: Set<string>;
    containers: Set<string>;
    /** Names of the declared containers, once per declaration. */
    containerNames: string[];
    /** Per kind: some entry has no usable name (or id), so a reference may mean it. */
    uncertain: Record<NameKind, boolean>;
}

/** The names each section declares, read leniently from the raw config. */
function declaredNames(raw: RawLabConfig): Declared {
    const items = (v: unknown): Obj[] =>
        Array.isArray(v) ? v.filter((x): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x)) : [];
    const strings = (xs: unknown[]): Set<string> => new Set(xs.filter((x): x is string => typeof x === "string"));
    const everyItem = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === "object" && x !== null && !Array.isArray(x));
    const hosts = items(raw.hosts);
    const networks = items(raw.networks);
    const vlans = items(raw.vlans);
    const vlanKeys = vlans.map((vl) => `${String(vl.parent)}.${String(vl.id)}`);
    return {
        hosts: strings(hosts.map((h) => h.name)),
        networks: strings(networks.map((n) => n.name)),
        vlans: strings(vlans.flatMap((vl) => [String(vl.id), `${String(vl.parent)}.${String(vl.id)}`])),
        containers: strings(items(raw.containers).map((c) => `${String(c.host)}/${String(c.name)}`)),
        containerNames: items(raw.containers).map((c) => String(c.name)),
        uncertain: {
            // with no hosts at all, "hosts is missing" is the one error, not every reference to a host
            hosts: !everyItem(raw.hosts) || hosts.length === 0 || hosts.some((h) => typeof h.name !== "string" || !HOST_NAME.test(h.name)),
            networks: (raw.networks !== undefined && !everyItem(raw.networks)) || networks.some((n) => typeof n.name !== "string" || !DOCKER_NAME.test(n.name)),
            vlans:
                (raw.vlans !== undefined && !everyItem(raw.vlans)) ||
                vlans.some((vl) => typeof vl.id !== "number" || !Number.isInteger(vl.id) || vl.id < 1 || vl.id > 4094 || typeof vl.parent !== "string" || !INTERFACE_NAME.test(vl.parent)) ||
                new Set(vlanKeys).size !== vlanKeys.length,
        },
    };
}

/** Shared SSH defaults (`ssh:` key). */
interface SshDefaults {
    user: string;
    port: number;
    dialErrorLimit: number;
    perDialTimeout: number;
    /** Every host without its own hostKey accepts any host key (labs only). */
    insecureIgnoreHostKey: boolean;
}

const SSH_FIELDS = ["user", "port", "dialErrorLimit", "perDialTimeout", "insecureIgnoreHostKey"] as const;
const HOST_FIELDS = [
    "name", "address", "port", "user", "hostKey", "insecureIgnoreHostKey", "nic", "nicIsManagement", "backend", "configDir",
    "dialErrorLimit", "perDialTimeout",
] as const;
const VLAN_FIELDS = ["id", "parent", "addresses", "gateway", "defaultRoute"] as const;
const NETWORK_FIELDS = ["name", "driver", "mode", "subnet", "gateway", "parent", "vlan", "hosts", "reserved", "ranges", "replan"] as const;
const NETWORK_HOST_FIELDS = ["name", "parent", "subnet", "gateway"] as const;
const REGISTRY_FIELDS = ["host", "address", "port", "image", "volume", "mirrors", "security", "users", "migrateUnitFlag"] as const;
const REGISTRY_USER_FIELDS = ["name", "password"] as const;
/** An htpasswd user name: no `:` (the field separator), nothing a shell or YAML would bend. */
const REGISTRY_USER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/;
const MIRROR_FIELDS = ["source", "name", "tag"] as const;
const CONTAINER_FIELDS = ["name", "host", "network", "ip", "image", "command", "restart"] as const;
const CHECK_FIELDS = ["connectivity", "isolation", "count", "timeoutSeconds"] as const;
const ISOLATION_FIELDS = ["from", "to"] as const;
const SHIM_FIELDS = ["host", "network", "address", "name"] as const;
const ROUTER_FIELDS = ["host", "networks", "allow", "legs"] as const;

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

/**
 * The keys of the config itself: each must be one of {@link CONFIG_KEYS}. A misspelt key would
 * otherwise be ignored without a word (`host:` instead of `hosts:` reads as "no hosts"). Values of
 * unknown keys are never shown: a misspelt `sshPrivateKey` holds a secret.
 */
function checkConfigKeys(r: Reader, raw: RawLabConfig): void {
    for (const key of Object.keys(raw)) {
        if (CONFIG_KEYS.includes(key)) {
            continue;
        }
        const colon = key.indexOf(":");
        if (colon >= 0) {
            const [ns, name] = [key.slice(0, colon), key.slice(colon + 1)];
            const meant = CONFIG_KEYS.includes(name) ? name : closest(name, CONFIG_KEYS) ?? name;
            if (CONFIG_KEYS.includes(meant) && raw[meant] === undefined) {
                r.misspelt.add(meant);
            }
            r.fail(key, `${key} is in the namespace ${quote(ns)}, not ${CONFIG_NAMESPACE}, so the program never reads it; write it as ${configKey(meant)}`);
            continue;
        }
        const meant = closest(key, CONFIG_KEYS);
        if (meant !== undefined && raw[meant] === undefined) {
            r.misspelt.add(meant);
        }
        r.fail(key, `${key} is not a config key of ${CONFIG_NAMESPACE}; ${meant === undefined ? "" : `did you mean ${meant}? `}the keys are ${CONFIG_KEYS.join(", ")}`);
    }
}

/**
 * Whether a config namespace looks like a misspelt `macvlan-lab`: at most 3 edits away
 * (`macvlan_lab`, `macvlanlab`), or cut short (`macvlan`): {@link readLabConfig} hands such keys to
 * {@link parseLab}, which reports them.
 */
export function looksLikeOurNamespace(namespace: string, ours: string): boolean {
    const ns = namespace.toLowerCase();
    return namespace !== ours && (editDistance(ns, ours) <= 3 || (ns.length >= 4 && ours.startsWith(ns)));
}

function readSshDefaults(r: Reader, v: unknown): SshDefaults {
    const d: SshDefaults = { user: "root", port: 22, dialErrorLimit: 5, perDialTimeout: 10, insecureIgnoreHostKey: false };
    if (v === undefined) {
        return d;
    }
    const o = r.object(v, "ssh", SSH_FIELDS, "ssh (the SSH defaults)");
    if (!o) {
        return d;
    }
    return {
        user: o.user === undefined ? d.user : r.string(o.user, "ssh.user", USER_NAME, "a login name like root") ?? d.user,
        port: o.port === undefined ? d.port : r.int(o.port, "ssh.port", 1, 65535, "a TCP port") ?? d.port,
        dialErrorLimit:
            o.dialErrorLimit === undefined
                ? d.dialErrorLimit
                : r.int(o.dialErrorLimit, "ssh.dialErrorLimit", 1, 100, "a number of dial attempts") ?? d.dialErrorLimit,
        perDialTimeout:
            o.perDialTimeout === undefined
                ? d.perDialTimeout
                : r.int(o.perDialTimeout, "ssh.perDialTimeout", 1, 600, "a number of seconds") ?? d.perDialTimeout,
        insecureIgnoreHostKey: o.insecureIgnoreHostKey === undefined ? d.insecureIgnoreHostKey : r.bool(o.insecureIgnoreHostKey, "ssh.insecureIgnoreHostKey") ?? d.insecureIgnoreHostKey,
    };
}

function readHosts(r: Reader, v: unknown, ssh: SshDefaults): HostSpec[] {
    if (v === undefined) {
        r.missing("hosts", "list at least one host with name, address and nic");
        return [];
    }
    const list = r.array(v, "hosts", "hosts") ?? [];
    if (Array.isArray(v) && list.length === 0) {
        r.fail("hosts", "hosts [] is empty; list at least one host with name, address and nic");
    }
    const out: HostSpec[] = [];
    const seenNames = new Map<string, number>();
    const seenEndpoints = new Map<string, string>();
    list.forEach((item, i) => {
        const p = `hosts[${i}]`;
        const o = r.object(item, p, HOST_FIELDS, "a host");
        if (!o) {
            return;
        }
        const name = r.string(o.name, `${p}.name`, HOST_NAME, "a host name (letters, digits and -, at most 63, like docker01)");
        const address =
            typeof o.address === "string" && IPV4.test(o.address)
                ? o.address
                : r.string(o.address, `${p}.address`, DNS_NAME, "an IPv4 address or DNS name to reach the host by SSH");
        const port = o.port === undefined ? ssh.port : r.int(o.port, `${p}.port`, 1, 65535, "a TCP port");
        const user = o.user === undefined ? ssh.user : r.string(o.user, `${p}.user`, USER_NAME, "a login name like root");
        let hostKey: string | undefined;
        if (typeof o.hostKey === "string") {
            const parsed = parseHostKey(o.hostKey);
            if ("problem" in parsed) {
                r.fail(`${p}.hostKey`, `${p}.hostKey ${quote(o.hostKey)} ${parsed.problem}`);
            } else {
                hostKey = `${parsed.key.type} ${parsed.key.base64}`;
            }
        } else if (o.hostKey !== undefined) {
            r.fail(`${p}.hostKey`, `${p}.hostKey ${quote(o.hostKey)} is not a string; write the host's public key line, like ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI...`);
        }
        // the opt-out of host key verification: the host's own, else the ssh default, and only for a
        // host that pins no key (a pinned key is always checked)
        const ownInsecure = o.insecureIgnoreHostKey === undefined ? undefined : r.bool(o.insecureIgnoreHostKey, `${p}.insecureIgnoreHostKey`);
        if (ownInsecure === true && o.hostKey !== undefined) {
            r.fail(`${p}.insecureIgnoreHostKey`, `${p}.insecureIgnoreHostKey true and ${p}.hostKey are both set; keep hostKey (the host's key is then verified) and drop insecureIgnoreHostKey`);
        }
        const insecureIgnoreHostKey = o.hostKey === undefined && (ownInsecure ?? ssh.insecureIgnoreHostKey);
        const nic = r.string(o.nic, `${p}.nic`, INTERFACE_NAME, "an interface name (at most 15 characters: letters, digits, _ . -)");
        const backend = o.backend === undefined ? DEFAULT_BACKEND : r.oneOf(o.backend, `${p}.backend`, NETWORK_BACKENDS);
        let configDir =
            o.configDir === undefined
                ? backend && DEFAULT_CONFIG_DIRS[backend]
                : r.string(o.configDir, `${p}.configDir`, SAFE_ABSOLUTE_PATH, "an absolute path of safe characters without ..");
        if (backend === "auto" && o.configDir !== undefined) {
            r.fail(
                `${p}.configDir`,
                `${p}.configDir ${quote(o.configDir)} is set, but ${p}.backend is auto (${o.backend === undefined ? "the default" : "as written"}), which uses the default directory of the backend it finds; name the backend (ifcfg, nmcli, networkd, netplan, ifupdown) to set its directory, or drop configDir`,
            );
            configDir = undefined;
        }
        const nicIsManagement = o.nicIsManagement === undefined ? true : r.bool(o.nicIsManagement, `${p}.nicIsManagement`);
        const dialErrorLimit =
            o.dialErrorLimit === undefined ? ssh.dialErrorLimit : r.int(o.dialErrorLimit, `${p}.dialErrorLimit`, 1, 100, "a number of dial attempts");
        const perDialTimeout =
            o.perDialTimeout === undefined ? ssh.perDialTimeout : r.int(o.perDialTimeout, `${p}.perDialTimeout`, 1, 600, "a number of seconds");
        if (name !== undefined) {
            const first = seenNames.get(name);
            if (first !== undefined) {
                r.fail(`${p}.name`, `${p}.name ${quote(name)} is already the name of hosts[${first}]; give every host its own name`);
            } else {
                seenNames.set(name, i);
            }
        }
        if (address !== undefined && port !== undefined) {
            const key = `${address}:${port}`;
            const other = seenEndpoints.get(key);
            if (other !== undefined) {
                r.fail(`${p}.address`, `${p}.address ${quote(address)} with port ${port} is already the SSH endpoint of ${other}; every host needs its own address or port`);
            } else {
                seenEndpoints.set(key, name ?? p);
            }
        }
        if (
            name !== undefined && address !== undefined && port !== undefined && user !== undefined && nic !== undefined &&
            backend !== undefined && configDir !== undefined && nicIsManagement !== undefined &&
            dialErrorLimit !== undefined && perDialTimeout !== undefined && !(o.hostKey !== undefined && hostKey === undefined)
        ) {
            if (seenNames.get(name) === i) {
                out.push({
                    name,
                    ssh: {
                        address,
                        port,
                        user,
                        dialErrorLimit,
                        perDialTimeout,
                        ...(hostKey !== undefined ? { hostKey } : {}),
                        ...(insecureIgnoreHostKey ? { insecureIgnoreHostKey: true } : {}),
                    },
                    nic,
                    nicIsManagement,
                    backend,
                    configDir,
                });
            }
        }
    });
    return out;
}

/** The valid VLANs, and each one's index in the config (for messages that point at it). */
interface ReadVlans {
    specs: VlanSpec[];
    index: Map<VlanSpec, number>;
}

function readVlans(r: Reader, v: unknown, hosts: Map<string, HostSpec>): ReadVlans {
    const result: ReadVlans = { specs: [], index: new Map() };
    if (v === undefined) {
        return result;
    }
    const seen = new Map<string, number>();
    (r.array(v, "vlans", "vlans") ?? []).forEach((item, i) => {
        const p = `vlans[${i}]`;
        const o = r.object(item, p, VLAN_FIELDS, "a VLAN");
        if (!o) {
            return;
        }
        const id = r.int(o.id, `${p}.id`, 1, 4094, "a VLAN id");
        const parent = r.string(o.parent, `${p}.parent`, INTERFACE_NAME, "an interface name like ens33");
        const gateway = o.gateway === undefined ? undefined : r.ipv4(o.gateway, `${p}.gateway`);
        const defaultRoute = o.defaultRoute === undefined ? false : r.bool(o.defaultRoute, `${p}.defaultRoute`);
        if (defaultRoute === true && o.gateway === undefined) {
            r.fail(`${p}.defaultRoute`, `${p}.defaultRoute true needs ${p}.gateway, which is not set; set the gateway, or drop defaultRoute`);
        }
        let interfaceName: string | undefined;
        if (id !== undefined && parent !== undefined) {
            interfaceName = `${parent}.${id}`;
            if (interfaceName.length > 15) {
                r.fail(`${p}.parent`, `${p}.parent ${quote(parent)} with id ${id} makes the interface name ${interfaceName}, longer than the kernel's 15 characters; use a shorter parent name`);
                interfaceName = undefined;
            }
            const first = seen.get(`${parent}.${id}`);
            if (first !== undefined) {
                r.fail(`${p}.id`, `${p}.id ${id} is already used on parent ${parent} by vlans[${first}]; a VLAN id is unique per parent`);
                interfaceName = undefined;
            } else {
                seen.set(`${parent}.${id}`, i);
            }
        }
        const members: VlanSpec["members"] = [];
        const addrObj = o.addresses === undefined ? undefined : r.object(o.addresses, `${p}.addresses`, undefined, `${p}.addresses (host name: address/prefix)`);
        if (o.addresses === undefined) {
            r.missing(`${p}.addresses`, "map each member host to its address on the VLAN, like docker01: 192.168.10.10/24");
        }
        let subnet: Bounds | undefined;
        const seenAddr = new Map<string, string>();
        /** Member hosts whose nic is not the VLAN's parent: one message for all of them. */
        const otherNic: string[] = [];
        for (const [hostName, addr] of Object.entries(addrObj ?? {})) {
            const ap = pathKey(`${p}.addresses`, hostName);
            const host = hosts.get(hostName);
            if (!host) {
                r.unknownName("hosts", hostName, ap, [...hosts.keys()], "a host");
                continue;
            }
            const a = r.ipv4Interface(addr, ap);
            if (!a) {
                continue;
            }
            if (parent !== undefined && host.nic !== parent) {
                otherNic.push(`${hostName} (${host.nic})`);
            }
            if (subnet === undefined) {
                subnet = a.subnet;
            } else if (subnet.cidr !== a.subnet.cidr) {
                r.fail(ap, `${ap} ${quote(addr)} is in ${a.subnet.cidr} but the VLAN's other members are in ${subnet.cidr}; members of one VLAN share one subnet`);
            }
            const dup = seenAddr.get(a.ip);
            if (dup !== undefined) {
                r.fail(ap, `${ap} ${quote(addr)} is already the address of ${dup} on this VLAN; give each host its own address`);
            }
            seenAddr.set(a.ip, hostName);
            members.push({ host: hostName, address: addr as string });
        }
        if (otherNic.length > 0) {
            r.fail(`${p}.parent`, `${p}.parent ${quote(parent)} is not the nic of ${listing(otherNic)}; a VLAN sits on its member hosts' nic: set the VLAN's parent or those hosts' nic to match`);
        }
        if (gateway !== undefined && subnet !== undefined) {
            if (!inBounds(subnet, gateway)) {
                r.fail(`${p}.gateway`, `${p}.gateway ${quote(gateway)} is outside the VLAN's subnet ${subnet.cidr}; pick an address inside it`);
            } else if (seenAddr.has(gateway)) {
                r.fail(`${p}.gateway`, `${p}.gateway ${quote(gateway)} is the address of ${seenAddr.get(gateway)} on the VLAN; the gateway is another router`);
            }
        }
        if (id !== undefined && parent !== undefined && interfaceName !== undefined && defaultRoute !== undefined) {
            const spec: VlanSpec = { id, parent, interfaceName, members, defaultRoute, ...(gateway !== undefined ? { gateway } : {}) };
            result.specs.push(spec);
            result.index.set(spec, i);
        }
    });
    // At most one default route per host: the second VLAN that gives a host one is the entry to change.
    const defaultOf = new Map<string, number>();
    for (const vl of result.specs) {
        if (!vl.defaultRoute || vl.gateway === undefined) {
            continue; // without a gateway it is no route: reported at its defaultRoute already
        }
        const i = result.index.get(vl)!;
        const again = vl.members.filter((m) => defaultOf.has(m.host));
        if (again.length > 0) {
            const firsts = [...new Set(again.map((m) => `vlans[${defaultOf.get(m.host)}]`))];
            r.fail(
                `vlans[${i}].defaultRoute`,
                `vlans[${i}].defaultRoute true gives ${listing(again.map((m) => m.host))} a second default route (${listing(firsts)} already gives ${again.length === 1 ? "it" : "them"} one); a host has one default route: set defaultRoute on at most one VLAN of each host`,
            );
        }
        for (const m of vl.members) {
            if (!defaultOf.has(m.host)) {
                defaultOf.set(m.host, i);
            }
        }
    }
    return result;
}

/** The valid networks, and each one's index in the config. */
interface ReadNetworks {
    specs: NetworkSpec[];
    index: Map<string, number>;
}

/** Why a network cannot sit on a parent of one host. */
type ParentProblem =
    | { kind: "wireless"; parent: string }
    | { kind: "not-member"; vlan: VlanSpec }
    | { kind: "no-such-vlan" }
    | { kind: "foreign" }
    | { kind: "taken"; by: string };

function readNetworks(r: Reader, v: unknown, hosts: Map<string, HostSpec>, vlans: ReadVlans): ReadNetworks {
    const result: ReadNetworks = { specs: [], index: new Map() };
    if (v === undefined) {
        return result;
    }
    const names = new Map<string, number>();
    const subnets: Array<{ range: IPv4CidrRange; index: number; name: string }> = [];
    const vlanByInterface = new Map(vlans.specs.map((vl) => [vl.interfaceName, { vlan: vl, members: new Set(vl.members.map((m) => m.host)) }]));
    /** `<host>/<parent>` -> the network using it and its index. */
    const parentUsers = new Map<string, string>();
    (r.array(v, "networks", "networks") ?? []).forEach((item, i) => {
        const p = `networks[${i}]`;
        const o = r.object(item, p, NETWORK_FIELDS, "a network");
        if (!o) {
            return;
        }
        const name = r.string(o.name, `${p}.name`, DOCKER_NAME, "a Docker network name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)");
        if (name !== undefined) {
            const first = names.get(name);
            if (first !== undefined) {
                r.fail(`${p}.name`, `${p}.name ${quote(name)} is already networks[${first}]; to put a network on more hosts list them in networks[${first}].hosts`);
            } else {
                names.set(name, i);
            }
        }
        const driver: NetworkDriver | undefined = o.driver === undefined ? "macvlan" : r.oneOf(o.driver, `${p}.driver`, NETWORK_DRIVERS);
        const modes: readonly string[] = driver === "ipvlan" ? IPVLAN_MODES : MACVLAN_MODES;
        const mode = o.mode === undefined ? modes[0] : r.oneOf(o.mode, `${p}.mode`, modes);
        const subnet = r.subnet(o.subnet, `${p}.subnet`);
        let gateway = r.ipv4(o.gateway, `${p}.gateway`);
        if (gateway !== undefined && subnet !== undefined) {
            gateway = checkInSubnet(r, `${p}.gateway`, gateway, cidrBounds(subnet.toCidrString()), "gateway");
        }
        if (subnet !== undefined) {
            const overlapped = subnets.filter((other) => other.range.isOverlapping(subnet));
            if (overlapped.length > 0) {
                const which = listing(overlapped.map((other) => `${other.range.toCidrString()} of ${other.name} (networks[${other.index}])`));
                r.fail(`${p}.subnet`, `${p}.subnet ${quote(subnet.toCidrString())} overlaps ${which}; give every network its own subnet`);
            }
            subnets.push({ range: subnet, index: i, name: name ?? p });
        }
        // the default parent: `vlan: <id>` or `parent: <nic or vlan interface>`
        let parent: string | undefined;
        let vlan: VlanSpec | undefined;
        if (o.vlan !== undefined && o.parent !== undefined) {
            r.fail(`${p}.vlan`, `${p}.vlan ${quote(o.vlan)} and ${p}.parent ${quote(o.parent)} are both set; keep parent (a NIC, or a VLAN interface such as ens33.10) or vlan (a VLAN id), not both`);
        } else if (o.vlan !== undefined) {
            const id = r.int(o.vlan, `${p}.vlan`, 1, 4094, "a VLAN id");
            if (id !== undefined) {
                const found = vlans.specs.filter((vl) => vl.id === id);
                if (found.length === 0) {
                    r.unknownName("vlans", String(id), `${p}.vlan`, vlans.specs.map((vl) => String(vl.id)), "a VLAN id", "add it under vlans or ", id);
                } else if (found.length > 1) {
                    r.fail(`${p}.vlan`, `${p}.vlan ${id} exists on several parents (${found.map((vl) => vl.interfaceName).join(", ")}); set parent to one of those interfaces instead`);
                } else {
                    vlan = found[0];
                    parent = vlan.interfaceName;
                }
            }
        } else if (o.parent !== undefined) {
            parent = r.string(o.parent, `${p}.parent`, INTERFACE_NAME, "an interface name like ens33 or ens33.10");
        }
        // hosts: names or {name, parent, subnet, gateway}
        const hostNames: string[] = [];
        const parents: Record<string, string> = {};
        const hostList = o.hosts === undefined ? [...hosts.keys()] : r.array(o.hosts, `${p}.hosts`, `${p}.hosts`) ?? [];
        // a parent or VLAN that failed its own check: its error stands for the whole network
        let attachmentsFailed = (o.vlan !== undefined || o.parent !== undefined) && parent === undefined;
        /** Problems of attaching hosts, by the entry to change and kind: one message each, naming every host. */
        const shared = new Map<string, SharedProblem>();
        (attachmentsFailed ? [] : hostList).forEach((h, j) => {
            const hp = `${p}.hosts[${j}]`;
            let hostName: string | undefined;
            let hostParent = parent;
            let ownParent: unknown;
            if (typeof h === "string") {
                hostName = h;
            } else {
                const ho = r.object(h, hp, NETWORK_HOST_FIELDS, `a host of ${p}`);
                if (!ho) {
                    attachmentsFailed = true;
                    return;
                }
                hostName = r.string(ho.name, `${hp}.name`, HOST_NAME, "a host name");
                if (ho.parent !== undefined) {
                    ownParent = ho.parent;
                    hostParent = r.string(ho.parent, `${hp}.parent`, INTERFACE_NAME, "an interface name like ens33 or ens33.10");
                    if (hostParent === undefined) {
                        attachmentsFailed = true;
                        return;
                    }
                }
                if (ho.subnet !== undefined && subnet !== undefined) {
                    const s = r.subnet(ho.subnet, `${hp}.subnet`);
                    if (s !== undefined && !s.isEquals(subnet)) {
                        r.fail(`${hp}.subnet`, `${hp}.subnet ${quote(ho.subnet)} differs from the subnet ${subnet.toCidrString()} of ${name ?? p}; a macvlan network spans hosts only when its subnet and gateway are the same on every host: drop the override or use one subnet`);
                    }
                }
                if (ho.gateway !== undefined && gateway !== undefined) {
                    const g = r.ipv4(ho.gateway, `${hp}.gateway`);
                    if (g !== undefined && g !== gateway) {
                        r.fail(`${hp}.gateway`, `${hp}.gateway ${quote(g)} differs from the gateway ${gateway} of ${name ?? p}; the gateway must be the same on every host: drop the override`);
                    }
                }
            }
            if (hostName === undefined) {
                attachmentsFailed = true;
                return;
            }
            const hostPath = typeof h === "string" ? hp : `${hp}.name`;
            const host = hosts.get(hostName);
            if (!host) {
                attachmentsFailed = true;
                r.unknownName("hosts", hostName, hostPath, [...hosts.keys()], "a host");
                return;
            }
            if (Object.hasOwn(parents, hostName)) {
                r.fail(hostPath, `${hostPath} ${quote(hostName)} is listed twice; list each host once`);
                return;
            }
            const resolved = hostParent ?? host.nic;
            let problem = parentProblem(resolved, host, vlanByInterface, driver);
            const user = parentUsers.get(`${hostName}/${resolved}`);
            if (problem === undefined && user !== undefined && user !== name) {
                problem = { kind: "taken", by: user };
            }
            if (problem !== undefined) {
                attachmentsFailed = true;
                // the entry to change: the driver for a wireless parent (ipvlan works there), else
                // the host's own parent, the network's vlan, or its parent (set or not)
                const [at, value, set] =
                    problem.kind === "wireless"
                        ? [`${p}.driver`, o.driver ?? "macvlan", o.driver !== undefined]
                        : ownParent !== undefined
                          ? [`${hp}.parent`, ownParent, true]
                          : o.vlan !== undefined
                            ? [`${p}.vlan`, o.vlan, true]
                            : [`${p}.parent`, o.parent, o.parent !== undefined];
                const detail = problem.kind === "taken" ? problem.by : problem.kind === "not-member" ? problem.vlan.interfaceName : "";
                const key = `${at}\0${problem.kind}\0${detail}`;
                const entry = shared.get(key) ?? { path: at, value, set, problem, hosts: [], parents: [] };
                entry.hosts.push(hostName);
                entry.parents.push(resolved);
                shared.set(key, entry);
                return;
            }
            parentUsers.set(`${hostName}/${resolved}`, name ?? p);
            hostNames.push(hostName);
            parents[hostName] = resolved;
        });
        for (const problem of shared.values()) {
            reportParentProblem(r, problem, { p, name, driver, hosts, vlans });
        }
        if (hostList.length === 0 && o.hosts !== undefined) {
            r.fail(`${p}.hosts`, `${p}.hosts [] is empty; list the hosts the network spans, or drop the key for all hosts`);
        }
        const vlanIds = new Set(Object.values(parents).map((pa) => vlanByInterface.get(pa)?.vlan.id));
        const reserved: Record<string, string> = {};
        if (o.reserved !== undefined) {
            const ro = r.object(o.reserved, `${p}.reserved`, undefined, `${p}.reserved (name: address)`);
            for (const [k, ip] of Object.entries(ro ?? {})) {
                const rp = pathKey(`${p}.reserved`, k);
                if (!SIMPLE_NAME.test(k)) {
                    r.fail(rp, `${rp}: ${quote(k)} is not a valid name for a reserved address; use letters, digits, _ . - (at most 63)`);
                    continue;
                }
                const a = r.ipv4(ip, rp);
                if (a !== undefined && subnet !== undefined && checkInSubnet(r, rp, a, cidrBounds(subnet.toCidrString()), "reserved address") !== undefined) {
                    if (a === gateway) {
                        r.fail(rp, `${rp} ${quote(a)} is the network's gateway, which Docker reserves already; drop it`);
                    } else {
                        reserved[k] = a;
                    }
                }
            }
        }
        // day 2: ranges pinned by the stack, and a deliberate re-plan (the planner checks the blocks)
        const pinnedRanges: Record<string, string> = {};
        if (o.ranges !== undefined) {
            const ro = r.object(o.ranges, `${p}.ranges`, undefined, `${p}.ranges (host: dynamic range)`);
            for (const [h, cidr] of Object.entries(ro ?? {})) {
                const rp = pathKey(`${p}.ranges`, h);
                if (!hostNames.includes(h)) {
                    if (!attachmentsFailed) {
                        r.fail(rp, `${rp}: ${quote(h)} is not a host of ${name ?? p}; ${didYouMean(h, hostNames)}pin ranges of its hosts only (${hostNames.join(", ") || "none"})`);
                    }
                    continue;
                }
                const m = typeof cidr === "string" ? /^([0-9.]+)\/([0-9]{1,2})$/.exec(cidr) : null;
                if (!m || !IPV4.test(m[1]) || Number(m[2]) > 32 || boundsOf(m[1], Number(m[2])).cidr !== cidr) {
                    r.fail(rp, `${rp} ${quote(cidr)} is not a CIDR block; write the host's dynamic range like 172.16.10.64/26 (no host bits set)`);
                } else if (subnet !== undefined && !subnet.contains(IPv4CidrRange.fromCidr(cidr))) {
                    r.fail(rp, `${rp} ${quote(cidr)} is not inside ${subnet.toCidrString()}; pin a block of the network's subnet`);
                } else {
                    pinnedRanges[h] = cidr;
                }
            }
        }
        const replan = o.replan === undefined ? false : r.bool(o.replan, `${p}.replan`);
        if (name !== undefined && driver !== undefined && mode !== undefined && subnet !== undefined && gateway !== undefined && names.get(name) === i && !attachmentsFailed) {
            result.specs.push({
                name,
                driver,
                mode: mode as NetworkSpec["mode"],
                subnet: subnet.toCidrString(),
                gateway,
                parents,
                hosts: hostNames,
                reserved,
                ...(vlanIds.size === 1 && [...vlanIds][0] !== undefined ? { vlan: [...vlanIds][0] } : {}),
                ...(Object.keys(pinnedRanges).length > 0 ? { pinnedRanges } : {}),
                ...(replan === true ? { replan: true } : {}),
            });
            result.index.set(name, i);
        }
    });
    return result;
}

/** Wireless interface names (`wlan0`, `wlp2s0`): 802.11 drops frames from MACs that did not associate. */
const WIRELESS = /^wl/;

/**
 * Why a network of `driver` cannot use `parent` on `host`: the parent must be the host's NIC or
 * one of its VLAN interfaces, and macvlan (a MAC address per container) does not work over 802.11.
 * ipvlan shares the parent's MAC, so it may use a wireless parent.
 */
function parentProblem(
    parent: string,
    host: HostSpec,
    vlans: Map<string, { vlan: VlanSpec; members: Set<string> }>,
    driver: NetworkDriver | undefined,
): ParentProblem | undefined {
    const found = vlans.get(parent);
    if (parent !== host.nic && found === undefined) {
        return /\.[0-9]+$/.test(parent) ? { kind: "no-such-vlan" } : { kind: "foreign" };
    }
    if (found !== undefined && !found.members.has(host.name)) {
        return { kind: "not-member", vlan: found.vlan };
    }
    const physical = found?.vlan.parent ?? parent;
    if (driver === "macvlan" && WIRELESS.test(physical)) {
        return { kind: "wireless", parent };
    }
    return undefined;
}

/** A problem of attaching hosts to a network, at one entry, shared by `hosts`. */
interface SharedProblem {
    path: string;
    /** The entry's value (the default when not set). */
    value: unknown;
    set: boolean;
    problem: ParentProblem;
    hosts: string[];
    /** The parent each of `hosts` would have. */
    parents: string[];
}

function reportParentProblem(
    r: Reader,
    e: SharedProblem,
    n: { p: string; name?: string; driver?: NetworkDriver; hosts: Map<string, HostSpec>; vlans: ReadVlans },
): void {
    const { path, problem, hosts: hs } = e;
    const shown = e.set ? quote(e.value) : e.value === undefined ? "" : `${quote(e.value)} (the default)`;
    const head = shown === "" ? `${path} is not set, so` : `${path} ${shown}`;
    const who = listing(hs);
    const onWhat = listing([...new Set(e.parents)]);
    const network = n.name ?? n.p;
    switch (problem.kind) {
        case "wireless":
            r.fail(path, `${head} cannot use ${onWhat} of ${who}, a wireless interface: 802.11 access points drop frames from MAC addresses that did not associate, so macvlan does not work over it; set driver: ipvlan (it shares the parent's MAC) or use a wired NIC`);
            return;
        case "not-member":
            r.fail(path, `${head} is VLAN ${problem.vlan.id} (${problem.vlan.interfaceName}), but ${who} ${hs.length === 1 ? "has" : "have"} no address on it; add ${who} to vlans[${n.vlans.index.get(problem.vlan)}].addresses, or leave ${hs.length === 1 ? "it" : "them"} out of ${n.p}.hosts`);
            return;
        case "no-such-vlan": {
            const [nic, id] = [onWhat.replace(/\.[0-9]+$/, ""), onWhat.split(".").pop()];
            r.fail(path, `${head} names a VLAN interface that no VLAN of this stack creates; add a VLAN with parent ${nic} and id ${id} under vlans, or use the nic of ${who}`);
            return;
        }
        case "foreign": {
            const nics = [...new Set(hs.map((h) => n.hosts.get(h)?.nic ?? ""))];
            r.fail(path, `${head} is neither the nic of ${listing(hs.map((h) => `${h} (${n.hosts.get(h)?.nic})`))} nor a VLAN interface of this stack; the parent must be one this stack prepares (a promiscuous NIC or a VLAN): ${didYouMean(onWhat, nics)}use the nic, or a VLAN under vlans`);
            return;
        }
        case "taken":
            r.fail(path, `${head} ${shown === "" ? `${network} goes on` : `puts ${network} on`} ${onWhat} of ${who}, where ${problem.by} already is; Docker allows one ${n.driver ?? "macvlan"} network per parent interface: put this network on another VLAN or NIC`);
            return;
        default: {
            const never_: never = problem;
            throw new Error(`unknown parent problem ${JSON.stringify(never_)}`);
        }
    }
}

function checkInSubnet(r: Reader, path: string, ip: string, subnet: Bounds, what: string): string | undefined {
    const cidr = subnet.cidr;
    const v = new IPv4(ip).getValue();
    if (v < subnet.first || v > subnet.last) {
        return r.fail(path, `${path} ${quote(ip)} is outside the subnet ${cidr}; pick a ${what} inside it`);
    }
    if (v === subnet.first) {
        return r.fail(path, `${path} ${quote(ip)} is the network address of ${cidr}; pick a ${what} inside it`);
    }
    if (v === subnet.last) {
        return r.fail(path, `${path} ${quote(ip)} is the broadcast address of ${cidr}; pick a ${what} inside it`);
    }
    return ip;
}

function readRegistry(r: Reader, v: unknown, hosts: Map<string, HostSpec>): RegistrySpec | undefined {
    if (v === undefined) {
        return undefined;
    }
    const o = r.object(v, "registry", REGISTRY_FIELDS, "the registry");
    if (!o) {
        return undefined;
    }
    const hostName = r.string(o.host, "registry.host", HOST_NAME, "a host name");
    const host = hostName !== undefined ? hosts.get(hostName) : undefined;
    if (hostName !== undefined && !host) {
        r.unknownName("hosts", hostName, "registry.host", [...hosts.keys()], "a host");
    }
    const port = o.port === undefined ? 5000 : r.int(o.port, "registry.port", 1, 65535, "a TCP port");
    const address =
        o.address === undefined
            ? host?.ssh.address
            : typeof o.address === "string" && IPV4.test(o.address)
              ? o.address
              : r.string(o.address, "registry.address", DNS_NAME, "an IPv4 address or DNS name the other hosts reach the registry at");
    const image = o.image === undefined ? "registry:2" : imageRef(r, o.image, "registry.image");
    const volume = o.volume === undefined ? "registry-data" : r.string(o.volume, "registry.volume", DOCKER_NAME, "a Docker volume name");
    const mirrors: MirrorSpec[] = [];
    const seen = new Map<string, number>();
    (o.mirrors === undefined ? [] : r.array(o.mirrors, "registry.mirrors", "registry.mirrors") ?? []).forEach((m, i) => {
        const p = `registry.mirrors[${i}]`;
        const mo = typeof m === "string" ? { source: m } : r.object(m, p, MIRROR_FIELDS, "a mirror");
        if (!mo) {
            return;
        }
        const source = imageRef(r, mo.source, typeof m === "string" ? p : `${p}.source`);
        const parsed = source !== undefined ? parseImageReference(source) : undefined;
        const defaultName = parsed?.repository.split("/").pop();
        const name = mo.name === undefined ? defaultName : r.string(mo.name, `${p}.name`, /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/, "a repository name like busybox");
        const tag = mo.tag === undefined ? parsed?.tag ?? "latest" : r.string(mo.tag, `${p}.tag`, /^[\w][\w.-]{0,127}$/, "a tag like v1");
        if (name !== undefined && tag !== undefined && source !== undefined) {
            const key = `${name}:${tag}`;
            if (seen.has(key)) {
                r.fail(p, `${p} ${quote(m)} pushes ${key} again (registry.mirrors[${seen.get(key)}] does already); push each name:tag once`);
                return;
            }
            seen.set(key, i);
            mirrors.push({ source, name, tag });
        }
    });
    const security = o.security === undefined ? "tls" : r.oneOf(o.security, "registry.security", REGISTRY_SECURITY);
    const users = readRegistryUsers(r, o.users);
    if (security === "insecure" && users.length > 0) {
        r.fail("registry.users", `registry.users is set but registry.security is "insecure": basic auth over plain HTTP sends the passwords in clear on the LAN; use security: tls, or remove the users`);
    }
    const migrateUnitFlag = o.migrateUnitFlag === undefined ? false : r.bool(o.migrateUnitFlag, "registry.migrateUnitFlag");
    if (!host || port === undefined || address === undefined || image === undefined || volume === undefined || security === undefined || migrateUnitFlag === undefined) {
        return undefined;
    }
    return { host: host.name, address, port, image, volume, endpoint: `${address}:${port}`, mirrors, security, users, migrateUnitFlag };
}

/** `registry.users`: `{name, password}` each; a password is never shown in a message. */
function readRegistryUsers(r: Reader, v: unknown): RegistryUserSpec[] {
    const out: RegistryUserSpec[] = [];
    const seen = new Map<string, number>();
    (v === undefined ? [] : r.array(v, "registry.users", "registry.users") ?? []).forEach((u, i) => {
        const p = `registry.users[${i}]`;
        const uo = r.object(u, p, REGISTRY_USER_FIELDS, "a registry user");
        if (!uo) {
            return;
        }
        const name = r.string(uo.name, `${p}.name`, REGISTRY_USER_NAME, "a user name of letters, digits and . _ - (at most 64, no colon)");
        let password: string | undefined;
        if (typeof uo.password !== "string" || uo.password === "") {
            r.fail(`${p}.password`, `${p}.password is ${uo.password === undefined ? "missing" : "not a non-empty string"}; set it as a secret: pulumi config set --secret --path 'registry.users[${i}].password' (it is read from stdin when no value is given)`);
        } else if (/[\0\n]/.test(uo.password)) {
            r.fail(`${p}.password`, `${p}.password holds a NUL or newline character; pick a password without them`);
        } else {
            password = uo.password;
        }
        if (name !== undefined && seen.has(name)) {
            r.fail(`${p}.name`, `${p}.name ${quote(name)} is already registry.users[${seen.get(name)}]; give each user once`);
            return;
        }
        if (name !== undefined) {
            seen.set(name, i);
        }
        if (name !== undefined && password !== undefined) {
            out.push({ name, password });
        }
    });
    return out;
}

function imageRef(r: Reader, v: unknown, path: string): string | undefined {
    if (v === undefined) {
        return r.missing(path, "write an image reference like busybox:latest or 192.168.1.11:5000/busybox:v1");
    }
    if (typeof v !== "string" || parseImageReference(v) === undefined) {
        return r.fail(path, `${path} ${quote(v)} is not an image reference Docker accepts; write it like busybox:latest or 192.168.1.11:5000/busybox:v1 (lower-case repository, tag of letters, digits, _ . -)`);
    }
    return v;
}

function readContainers(
    r: Reader,
    v: unknown,
    hosts: Map<string, HostSpec>,
    networks: NetworkSpec[],
    vlans: VlanSpec[],
    registry: RegistrySpec | undefined,
): ContainerSpec[] {
    if (v === undefined) {
        return [];
    }
    const out: ContainerSpec[] = [];
    const names = new Map<string, number>();
    const ips = new Map<string, { index: number; name: string; host: string }>();
    const bounds = new Map<string, Bounds>();
    const networkByName = new Map(networks.map((n) => [n.name, n]));
    const networkHosts = new Map(networks.map((n) => [n.name, new Set(n.hosts)]));
    // addresses hosts already own: SSH addresses and VLAN addresses
    const hostAddresses = new Map<string, string>();
    for (const h of hosts.values()) {
        hostAddresses.set(h.ssh.address, `the SSH address of ${h.name}`);
    }
    for (const vl of vlans) {
        for (const m of vl.members) {
            hostAddresses.set(m.address.split("/")[0], `the address of ${m.host} on ${vl.interfaceName}`);
        }
    }
    (r.array(v, "containers", "containers") ?? []).forEach((item, i) => {
        const p = `containers[${i}]`;
        const o = r.object(item, p, CONTAINER_FIELDS, "a container");
        if (!o) {
            return;
        }
        const name = r.string(o.name, `${p}.name`, DOCKER_NAME, "a Docker container name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)");
        const hostName = r.string(o.host, `${p}.host`, HOST_NAME, "a host name");
        const host = hostName !== undefined ? hosts.get(hostName) : undefined;
        if (hostName !== undefined && !host) {
            r.unknownName("hosts", hostName, `${p}.host`, [...hosts.keys()], "a host");
        }
        if (name !== undefined && host) {
            const key = `${host.name}/${name}`;
            const first = names.get(key);
            if (first !== undefined) {
                r.fail(`${p}.name`, `${p}.name ${quote(name)} is already containers[${first}] on ${host.name}; container names are unique per host`);
            } else {
                names.set(key, i);
            }
        }
        const netName = r.string(o.network, `${p}.network`, DOCKER_NAME, "a network name of this stack");
        const network = netName !== undefined ? networkByName.get(netName) : undefined;
        if (netName !== undefined && !network) {
            r.unknownName("networks", netName, `${p}.network`, networks.map((n) => n.name), "a network");
        }
        if (network && host && !networkHosts.get(network.name)?.has(host.name)) {
            r.fail(`${p}.network`, `${p}.network ${quote(network.name)} does not exist on ${host.name} (its hosts are ${network.hosts.join(", ")}); add ${host.name} to the network's hosts or move the container`);
        }
        let ip: string | undefined;
        if (o.ip !== undefined) {
            ip = r.ipv4(o.ip, `${p}.ip`);
            if (ip !== undefined && network) {
                let subnet = bounds.get(network.name);
                if (subnet === undefined) {
                    subnet = cidrBounds(network.subnet);
                    bounds.set(network.name, subnet);
                }
                ip = checkInSubnet(r, `${p}.ip`, ip, subnet, "container address");
                if (ip === network.gateway) {
                    ip = r.fail(`${p}.ip`, `${p}.ip ${quote(ip)} is the gateway of ${network.name}; pick a free address in ${network.subnet}`);
                }
                const reservedName = Object.entries(network.reserved).find(([, a]) => a === ip)?.[0];
                if (ip !== undefined && reservedName !== undefined) {
                    ip = r.fail(`${p}.ip`, `${p}.ip ${quote(ip)} is reserved as ${reservedName} on ${network.name}; pick a free address in ${network.subnet}`);
                }
                if (ip !== undefined && hostAddresses.has(ip)) {
                    ip = r.fail(`${p}.ip`, `${p}.ip ${quote(ip)} is ${hostAddresses.get(ip)}; pick a free address in ${network.subnet}`);
                }
                if (ip !== undefined && host && name !== undefined) {
                    const key = `${network.name}/${ip}`;
                    const other = ips.get(key);
                    if (other !== undefined) {
                        const why = other.host === host.name ? "" : `: ${other.host} and ${host.name} share the L2 segment of ${network.name}, so the address would be duplicated`;
                        r.fail(`${p}.ip`, `${p}.ip ${quote(ip)} of ${name} on ${host.name} is already used by ${other.name} on ${other.host} (containers[${other.index}])${why}; pick a free address in ${network.subnet}`);
                        ip = undefined;
                    } else {
                        ips.set(key, { index: i, name, host: host.name });
                    }
                }
            }
        }
        const image = imageRef(r, o.image, `${p}.image`);
        if (image !== undefined) {
            checkRegistryReference(r, `${p}.image`, image, registry);
        }
        let command: string[] | undefined = ["sleep", "infinity"];
        if (o.command !== undefined) {
            const list = r.array(o.command, `${p}.command`, `${p}.command`);
            command =
                list === undefined
                    ? undefined
                    : list.length > 0 && list.every((c) => typeof c === "string" && !c.includes("\0"))
                      ? (list as string[])
                      : r.fail(`${p}.command`, `${p}.command ${quote(o.command)} is not a non-empty list of strings; write it like [sleep, infinity]`);
        }
        const restart: RestartPolicy | undefined = o.restart === undefined ? "always" : r.oneOf(o.restart, `${p}.restart`, RESTART_POLICIES);
        if (name !== undefined && host && network && image !== undefined && command !== undefined && restart !== undefined && (o.ip === undefined || ip !== undefined)) {
            out.push({ name, host: host.name, network: network.name, image, command, restart, ...(ip !== undefined ? { ip } : {}) });
        }
    });
    return out;
}

/**
 * An image that names the stack's registry host must name it exactly (address and port), and be a
 * name:tag the registry mirrors. The tutorial's `192.168.1.11/busybox:v1` drops the port.
 */
function checkRegistryReference(r: Reader, path: string, image: string, registry: RegistrySpec | undefined): void {
    const ref = parseImageReference(image);
    if (!ref || ref.registry === undefined || !registry) {
        return;
    }
    const [domain, port] = ref.registry.split(":");
    if (domain !== registry.address) {
        return;
    }
    const fixed = `${registry.endpoint}/${ref.repository}:${ref.tag ?? "latest"}`;
    if (port === undefined || Number(port) !== registry.port) {
        r.fail(path, `${path} ${quote(image)} names the stack's registry host ${domain} ${port === undefined ? "without its port" : `with port ${port}`}, but the registry listens on ${registry.endpoint}; write ${fixed}`);
        return;
    }
    const tag = ref.tag ?? "latest";
    if (!registry.mirrors.some((m) => m.name === ref.repository && m.tag === tag)) {
        r.fail(path, `${path} ${quote(image)} is not pushed to the stack's registry (it holds ${registry.mirrors.map((m) => `${m.name}:${m.tag}`).join(", ") || "nothing"}); add it to registry.mirrors or use one of those`);
    }
}

function readChecks(r: Reader, v: unknown, containers: ContainerSpec[]): ChecksSpec {
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

/**
 * The management address is how the controller reaches a host: no VLAN may take it or put it inside
 * another subnet on that host (a second route to the controller's subnet through a VLAN would cut
 * the SSH session configuring it). A Docker network may share the management subnet only where it
 * sits on the management NIC itself (no VLAN, `nicIsManagement`): containers on the hosts' LAN,
 * the most common macvlan setup. Elsewhere a subnet holding the management address would be a
 * second segment with the LAN's addresses.
 */
function checkManagementAddresses(r: Reader, hosts: HostSpec[], vlans: ReadVlans, networks: ReadNetworks): void {
    const managed = hosts.filter((h) => IPV4.test(h.ssh.address));
    vlans.specs.forEach((vl) => {
        const i = vlans.index.get(vl)!;
        const members = new Map(vl.members.map((m) => [m.host, m]));
        for (const h of managed) {
            const m = members.get(h.name);
            if (!m) {
                continue;
            }
            const [ip, len] = m.address.split("/");
            const p = pathKey(`vlans[${i}].addresses`, h.name);
            if (ip === h.ssh.address) {
                r.fail(p, `${p} ${quote(m.address)} is the management address of ${h.name} (its SSH address); the VLAN would move it off the management NIC and cut the connection: pick another address`);
            } else if (inBounds(boundsOf(ip, Number(len)), h.ssh.address)) {
                r.fail(p, `${p} ${quote(m.address)} puts the management address ${h.ssh.address} of ${h.name} inside the subnet of ${vl.interfaceName}; the host would route its SSH replies through the VLAN: use a subnet that does not contain ${h.ssh.address}`);
            }
        }
    });
    for (const n of networks.specs) {
        const i = networks.index.get(n.name)!;
        const bounds = cidrBounds(n.subnet);
        const apart = managed.filter((h) => n.parents[h.name] !== undefined && inBounds(bounds, h.ssh.address) && !(n.parents[h.name] === h.nic && h.nicIsManagement));
        if (apart.length === 0) {
            continue;
        }
        const where = apart.map((h) => `${h.ssh.address} of ${h.name} (the network is on ${n.parents[h.name]} there${n.parents[h.name] === h.nic ? ", and nicIsManagement is false" : ""})`);
        r.fail(
            `networks[${i}].subnet`,
            `networks[${i}].subnet ${quote(n.subnet)} contains the management address ${listing(where)}: a second segment with the management LAN's addresses, which Docker could hand to containers; use a subnet apart from the management network, or put the network on the management NIC itself (no VLAN) for containers on the hosts' LAN`,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// host shims and the inter-VLAN router (issue 12)

/** Why a network's driver and mode cannot carry a shim or a router leg; undefined when they can. */
function subInterfaceProblem(n: NetworkSpec, what: "shim" | "router"): string | undefined {
    if (n.driver === "macvlan" && n.mode !== "bridge") {
        return n.mode === "passthru"
            ? `${n.name} is macvlan mode passthru, which allows one sub-interface on its parent (the container's), so a ${what} cannot join it; use mode bridge`
            : `${n.name} is macvlan mode ${n.mode}, where sub-interfaces of one parent ${n.mode === "private" ? "never talk to each other" : "talk only through an external switch that hairpins (VEPA)"}, so a ${what} on the host cannot reach them; use mode bridge`;
    }
    if (what === "router" && n.driver === "ipvlan" && n.mode !== "l2") {
        return `${n.name} is ipvlan mode ${n.mode}: its containers have no gateway to route through (Docker's ipvlan ${n.mode} routes by the parent), so a router leg cannot serve it; use mode l2 or route on the hosts`;
    }
    return undefined;
}

/** Interface names already on a host: its NIC, VLAN interfaces and Docker parents. */
function hostInterfaces(host: HostSpec, vlans: VlanSpec[], networks: NetworkSpec[]): Set<string> {
    const out = new Set<string>([host.nic]);
    for (const vl of vlans) if (vl.members.some((m) => m.host === host.name)) out.add(vl.interfaceName);
    for (const n of networks) if (n.parents[host.name] !== undefined) out.add(n.parents[host.name]);
    return out;
}

function readRouter(r: Reader, v: unknown, hosts: Map<string, HostSpec>, networks: ReadNetworks): RouterSpec | undefined {
    if (v === undefined) {
        return undefined;
    }
    const o = r.object(v, "router", ROUTER_FIELDS, "router");
    if (!o) {
        return undefined;
    }
    let ok = true;
    const hostName = r.string(o.host, "router.host", HOST_NAME, "a host name of this stack (the host that routes between the networks)");
    const host = hostName !== undefined ? hosts.get(hostName) : undefined;
    if (hostName !== undefined && !host) {
        r.unknownName("hosts", hostName, "router.host", [...hosts.keys()], "a host");
    }
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
            } else if (host && n.parents[host.name] === undefined) {
                ok = false;
                r.fail(p, `${p} ${quote(name)} does not span the router host ${host.name} (its hosts are ${n.hosts.join(", ")}); add ${host.name} to ${name}'s hosts, or route on a host it spans`);
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
    return { host: host.name, networks: names, allow, legs };
}

function readShims(
    r: Reader,
    v: unknown,
    hosts: Map<string, HostSpec>,
    networks: ReadNetworks,
    containers: ContainerSpec[],
    vlans: VlanSpec[],
    router: RouterSpec | undefined,
): ShimSpec[] {
    if (v === undefined) {
        return [];
    }
    const out: ShimSpec[] = [];
    const byName = new Map(networks.specs.map((n) => [n.name, n]));
    const perHost = new Map<string, number>();
    const hostNet = new Map<string, number>();
    const addresses = new Map<string, number>();
    const ifaces = new Map<string, { index: number; name: string }>();
    // addresses the hosts already own (SSH and VLAN)
    const hostAddresses = new Map<string, string>();
    for (const h of hosts.values()) hostAddresses.set(h.ssh.address, `the SSH address of ${h.name}`);
    for (const vl of vlans) for (const m of vl.members) hostAddresses.set(m.address.split("/")[0], `the address of ${m.host} on ${vl.interfaceName}`);
    (r.array(v, "shims", "shims") ?? []).forEach((item, i) => {
        const p = `shims[${i}]`;
        const o = r.object(item, p, SHIM_FIELDS, "a shim");
        if (!o) return;
        const hostName = r.string(o.host, `${p}.host`, HOST_NAME, "a host name of this stack");
        const host = hostName !== undefined ? hosts.get(hostName) : undefined;
        if (hostName !== undefined && !host) r.unknownName("hosts", hostName, `${p}.host`, [...hosts.keys()], "a host");
        const netName = r.string(o.network, `${p}.network`, DOCKER_NAME, "a network name of this stack");
        const network = netName !== undefined ? byName.get(netName) : undefined;
        if (netName !== undefined && !network) r.unknownName("networks", netName, `${p}.network`, [...byName.keys()], "a network");
        let address = r.ipv4(o.address, `${p}.address`);
        if (!host || !network) {
            return;
        }
        let ok = address !== undefined;
        if (network.parents[host.name] === undefined) {
            r.fail(`${p}.network`, `${p}.network ${quote(network.name)} does not span ${host.name} (its hosts are ${network.hosts.join(", ")}); add ${host.name} to the network's hosts or put the shim on one of them`);
            return;
        }
        const problem = subInterfaceProblem(network, "shim");
        if (problem !== undefined) {
            r.fail(`${p}.network`, `${p}.network ${quote(network.name)}: ${problem}`);
            ok = false;
        }
        const key = `${host.name}/${network.name}`;
        if (hostNet.has(key)) {
            r.fail(`${p}.network`, `${p}.network ${quote(network.name)} already has a shim on ${host.name} (shims[${hostNet.get(key)}]); one shim per host and network`);
            return;
        }
        hostNet.set(key, i);
        if (address !== undefined) {
            address = checkInSubnet(r, `${p}.address`, address, cidrBounds(network.subnet), "shim address");
            const free = `pick a free address in ${network.subnet}`;
            const fail = (why: string) => {
                r.fail(`${p}.address`, `${p}.address ${quote(address)} ${why}; ${free}`);
                address = undefined;
            };
            const b = cidrBounds(network.subnet);
            const val = address !== undefined ? new IPv4(address).getValue() : undefined;
            const reservedName = Object.entries(network.reserved).find(([, a]) => a === address)?.[0];
            const user = containers.find((c) => c.network === network.name && c.ip === address);
            if (address === undefined) {
                ok = false;
            } else if (val === b.first || val === b.last) {
                fail(`is the ${val === b.first ? "network" : "broadcast"} address of ${network.subnet}`);
            } else if (address === network.gateway) {
                fail(`is the gateway of ${network.name}${router && router.networks.includes(network.name) ? `, which the router's leg on ${router.host} holds` : ""}`);
            } else if (reservedName !== undefined) {
                fail(`is reserved as ${reservedName} on ${network.name}`);
            } else if (user) {
                fail(`is the static address of container ${user.name} on ${user.host}`);
            } else if (hostAddresses.has(address)) {
                fail(`is ${hostAddresses.get(address)}`);
            } else if (addresses.has(`${network.name}/${address}`)) {
                fail(`is already the address of shims[${addresses.get(`${network.name}/${address}`)}]`);
            } else if (Object.hasOwn(network.reserved, `shim-${host.name}`)) {
                r.fail(`${p}.host`, `${p}.host ${quote(host.name)}: ${network.name} already reserves a name shim-${host.name}, the name the plan gives this shim's address; rename that reserved entry`);
                address = undefined;
            }
            if (address === undefined) ok = false;
            else addresses.set(`${network.name}/${address}`, i);
        }
        // the interface name: given, or mac<k> counting the host's shims
        const k = perHost.get(host.name) ?? 0;
        perHost.set(host.name, k + 1);
        const given = o.name;
        const name = given === undefined ? `mac${k}` : r.string(given, `${p}.name`, INTERFACE_NAME, "an interface name (at most 15 of a-z A-Z 0-9 _ . -)");
        if (name === undefined) return;
        const taken = hostInterfaces(host, vlans, networks.specs);
        const routerLeg = router && router.host === host.name ? Object.entries(router.legs).find(([, l]) => l === name)?.[0] : undefined;
        const other = ifaces.get(`${host.name}/${name}`);
        if (taken.has(name) || routerLeg !== undefined || other !== undefined) {
            const by = other !== undefined ? ` (shims[${other.index}])` : routerLeg !== undefined ? ` (the router's leg on ${routerLeg})` : "";
            r.fail(`${p}.name`, `${p}.name ${quote(name)}${given === undefined ? " (the default)" : ""} is already an interface on ${host.name}${by}; set ${p}.name to a free name`);
            return;
        }
        ifaces.set(`${host.name}/${name}`, { index: i, name });
        if (ok && address !== undefined) out.push({ host: host.name, network: network.name, address, name });
    });
    return out;
}

/** An isolation check between two networks the router lets talk contradicts the policy. */
function checkRoutedIsolation(r: Reader, checks: ChecksSpec, containers: ContainerSpec[], router: RouterSpec | undefined): void {
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

/** Whether the router lets networks `a` and `b` talk. */
export function routedPair(router: RouterSpec, a: string, b: string): boolean {
    return routerAllows(router.allow, a, b);
}

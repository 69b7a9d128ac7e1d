/**
 * Turns a stack's raw config into a {@link LabSpec}, checking everything at once.
 *
 * Pure: no Pulumi, no I/O. {@link validateLab} returns one {@link ValidationError} per problem, each
 * naming the config path, the value and the fix; {@link loadLab} throws them all together.
 */
import { IPv4, IPv4CidrRange, Validator } from "ip-num";
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
    ValidationError,
    VlanSpec,
} from "./types";
import {
    DNS_NAME,
    DOCKER_NAME,
    HOST_NAME,
    INTERFACE_NAME,
    parseImageReference,
    SAFE_ABSOLUTE_PATH,
    SIMPLE_NAME,
    SSH_PUBLIC_KEY,
    USER_NAME,
} from "./names";
import { planLab } from "./plan";

/** The config keys of the `macvlan-lab` namespace that describe the lab, as raw JSON values. */
export interface RawLabConfig {
    hosts?: unknown;
    ssh?: unknown;
    vlans?: unknown;
    networks?: unknown;
    registry?: unknown;
    containers?: unknown;
    checks?: unknown;
}
export const LAB_CONFIG_KEYS: ReadonlyArray<keyof RawLabConfig> = [
    "hosts",
    "ssh",
    "vlans",
    "networks",
    "registry",
    "containers",
    "checks",
];

/** Default directory of each backend's persistent network config. */
export const DEFAULT_CONFIG_DIRS: Record<NetworkBackend, string> = {
    ifcfg: "/etc/sysconfig/network-scripts",
    nmcli: "/etc/NetworkManager/system-connections",
    iproute2: "/etc/macvlan-lab",
};

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

/** Collects errors while reading; every reader returns undefined on a problem it reported. */
class Reader {
    readonly errors: ValidationError[] = [];

    /**
     * Names the config declares, valid or not. A reference to a declared name that failed its own
     * validation is not reported again: one error per problem, at the place of the problem.
     */
    constructor(readonly declared: Declared) {}

    /** Reports a reference to a host the stack does not have, with the valid names. */
    unknownHost(hosts: Map<string, HostSpec>, name: string, path: string, subject: string): undefined {
        return this.unknown("hosts", name, path, `${subject} is not a host of this stack; use one of ${[...hosts.keys()].join(", ") || "(no valid hosts)"}`);
    }

    /** Reports an unknown reference, unless the name is declared (and already reported there). */
    unknown(kind: "hosts" | "networks" | "vlans" | "containers", name: string, path: string, message: string): undefined {
        // with no hosts at all, "hosts is missing" is the one error, not every reference to a host
        const reported = this.declared[kind].has(name) || (kind === "hosts" && this.declared.hosts.size === 0);
        return reported ? undefined : this.fail(path, message);
    }

    fail(path: string, message: string): undefined {
        this.errors.push({ path, message });
        return undefined;
    }

    object(v: unknown, path: string, fields: readonly string[]): Obj | undefined {
        if (typeof v !== "object" || v === null || Array.isArray(v)) {
            return this.fail(path, `${path} ${show(v)} is not an object; write it as a YAML mapping`);
        }
        for (const k of Object.keys(v)) {
            if (!fields.includes(k)) {
                this.fail(`${path}.${k}`, `${path}.${k} is not a known field; the fields of ${path} are ${fields.join(", ")}`);
            }
        }
        return v as Obj;
    }

    array(v: unknown, path: string): unknown[] | undefined {
        if (!Array.isArray(v)) {
            return this.fail(path, `${path} ${show(v)} is not a list; write it as a YAML sequence`);
        }
        return v;
    }

    string(v: unknown, path: string, pattern: RegExp, what: string): string | undefined {
        if (typeof v !== "string") {
            return this.fail(path, `${path} ${show(v)} is not a string; write ${what}`);
        }
        if (!pattern.test(v)) {
            return this.fail(path, `${path} ${show(v)} is not ${what}`);
        }
        return v;
    }

    int(v: unknown, path: string, min: number, max: number, what: string): number | undefined {
        if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
            return this.fail(path, `${path} ${show(v)} is not ${what}; use a whole number from ${min} to ${max}`);
        }
        return v;
    }

    bool(v: unknown, path: string): boolean | undefined {
        if (typeof v !== "boolean") {
            return this.fail(path, `${path} ${show(v)} is not true or false`);
        }
        return v;
    }

    oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T | undefined {
        if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
            return this.fail(path, `${path} ${show(v)} is not one of ${allowed.join(", ")}`);
        }
        return v as T;
    }

    ipv4(v: unknown, path: string): string | undefined {
        if (typeof v !== "string" || !Validator.isValidIPv4String(v)[0]) {
            return this.fail(path, `${path} ${show(v)} is not an IPv4 address; write it like 192.168.1.11`);
        }
        return v;
    }

    /** An interface address: `a.b.c.d/len`, host bits allowed. */
    ipv4Interface(v: unknown, path: string): { ip: string; prefix: number; subnet: Bounds } | undefined {
        const m = typeof v === "string" ? /^([0-9.]+)\/([0-9]{1,2})$/.exec(v) : null;
        if (!m || !Validator.isValidIPv4String(m[1])[0] || Number(m[2]) < 1 || Number(m[2]) > 32) {
            return this.fail(path, `${path} ${show(v)} is not an address with prefix length; write it like 192.168.10.10/24`);
        }
        const prefix = Number(m[2]);
        const subnet = boundsOf(m[1], prefix);
        const value = new IPv4(m[1]).getValue();
        if (prefix < 31 && (value === subnet.first || value === subnet.last)) {
            return this.fail(
                path,
                `${path} ${v} is the ${value === subnet.first ? "network" : "broadcast"} address of ${subnet.cidr}; pick a host address inside it`,
            );
        }
        return { ip: m[1], prefix, subnet };
    }

    subnet(v: unknown, path: string): IPv4CidrRange | undefined {
        if (typeof v !== "string" || !Validator.isValidIPv4CidrNotation(v)[0]) {
            return this.fail(path, `${path} ${show(v)} is not an IPv4 subnet; write it like 172.16.10.0/24`);
        }
        const [ip, len] = v.split("/");
        const canonical = boundsOf(ip, Number(len)).cidr;
        if (canonical !== v) {
            return this.fail(path, `${path} ${v} has host bits set; did you mean ${canonical}?`);
        }
        if (Number(len) > 28) {
            return this.fail(path, `${path} ${v} is too small for a gateway and a dynamic range per host; use a prefix of /28 or shorter`);
        }
        return IPv4CidrRange.fromCidr(v);
    }
}

/** The keys of a mapping; none for anything else (object() reports the wrong type). */
function keysOf(v: unknown): string[] {
    return typeof v === "object" && v !== null && !Array.isArray(v) ? Object.keys(v) : [];
}

function show(v: unknown): string {
    if (v === undefined) {
        return "(missing)";
    }
    return typeof v === "string" ? v : JSON.stringify(v);
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
}

/** The names each section declares, read leniently from the raw config. */
function declaredNames(raw: RawLabConfig): Declared {
    const items = (v: unknown): Obj[] =>
        Array.isArray(v) ? v.filter((x): x is Obj => typeof x === "object" && x !== null) : [];
    const strings = (xs: unknown[]): Set<string> => new Set(xs.filter((x): x is string => typeof x === "string"));
    return {
        hosts: strings(items(raw.hosts).map((h) => h.name)),
        networks: strings(items(raw.networks).map((n) => n.name)),
        vlans: strings(items(raw.vlans).flatMap((vl) => [String(vl.id), `${String(vl.parent)}.${String(vl.id)}`])),
        containers: strings(items(raw.containers).map((c) => `${String(c.host)}/${String(c.name)}`)),
        containerNames: items(raw.containers).map((c) => String(c.name)),
    };
}

/** Shared SSH defaults (`ssh:` key). */
interface SshDefaults {
    user: string;
    port: number;
    dialErrorLimit: number;
    perDialTimeout: number;
}

const HOST_FIELDS = [
    "name", "address", "port", "user", "hostKey", "nic", "nicIsManagement", "backend", "configDir",
    "dialErrorLimit", "perDialTimeout",
] as const;
const VLAN_FIELDS = ["id", "parent", "addresses", "gateway", "defaultRoute"] as const;
const NETWORK_FIELDS = ["name", "driver", "mode", "subnet", "gateway", "parent", "vlan", "hosts", "reserved"] as const;
const NETWORK_HOST_FIELDS = ["name", "parent", "subnet", "gateway"] as const;
const REGISTRY_FIELDS = ["host", "address", "port", "image", "volume", "mirrors", "security", "users", "migrateUnitFlag"] as const;
const REGISTRY_USER_FIELDS = ["name", "password"] as const;
/** An htpasswd user name: no `:` (the field separator), nothing a shell or YAML would bend. */
const REGISTRY_USER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/;
const MIRROR_FIELDS = ["source", "name", "tag"] as const;
const CONTAINER_FIELDS = ["name", "host", "network", "ip", "image", "command", "restart"] as const;
const CHECK_FIELDS = ["connectivity", "isolation", "count", "timeoutSeconds"] as const;

/** Parses and validates; `spec` is set only when there is no error. */
export function parseLab(raw: RawLabConfig): { spec?: LabSpec; errors: ValidationError[] } {
    const r = new Reader(declaredNames(raw));
    const ssh = readSshDefaults(r, raw.ssh);
    const hosts = readHosts(r, raw.hosts, ssh);
    const hostByName = new Map(hosts.map((h) => [h.name, h]));
    const vlans = readVlans(r, raw.vlans, hostByName);
    const networks = readNetworks(r, raw.networks, hostByName, vlans);
    const registry = readRegistry(r, raw.registry, hostByName);
    const containers = readContainers(r, raw.containers, hostByName, networks, vlans, registry);
    const checks = readChecks(r, raw.checks, containers);
    checkManagementAddresses(r, hosts, vlans, networks);
    if (r.errors.length > 0) {
        return { errors: r.errors };
    }
    const spec: LabSpec = { hosts, vlans, networks, registry, containers, checks };
    const { errors } = planLab(spec);
    return errors.length > 0 ? { errors } : { spec, errors: [] };
}

function readSshDefaults(r: Reader, v: unknown): SshDefaults {
    const d: SshDefaults = { user: "root", port: 22, dialErrorLimit: 5, perDialTimeout: 10 };
    if (v === undefined) {
        return d;
    }
    const o = r.object(v, "ssh", ["user", "port", "dialErrorLimit", "perDialTimeout"]);
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
    };
}

function readHosts(r: Reader, v: unknown, ssh: SshDefaults): HostSpec[] {
    if (v === undefined) {
        r.fail("hosts", "hosts is missing; list at least one host with name, address and nic");
        return [];
    }
    const list = r.array(v, "hosts") ?? [];
    if (Array.isArray(v) && list.length === 0) {
        r.fail("hosts", "hosts is empty; list at least one host with name, address and nic");
    }
    const out: HostSpec[] = [];
    const seenNames = new Map<string, number>();
    const seenEndpoints = new Map<string, string>();
    list.forEach((item, i) => {
        const p = `hosts[${i}]`;
        const o = r.object(item, p, HOST_FIELDS);
        if (!o) {
            return;
        }
        const name = r.string(o.name, `${p}.name`, HOST_NAME, "a host name (letters, digits and -, at most 63, like docker01)");
        const address =
            typeof o.address === "string" && Validator.isValidIPv4String(o.address)[0]
                ? o.address
                : r.string(o.address, `${p}.address`, DNS_NAME, "an IPv4 address or DNS name to reach the host by SSH");
        const port = o.port === undefined ? ssh.port : r.int(o.port, `${p}.port`, 1, 65535, "a TCP port");
        const user = o.user === undefined ? ssh.user : r.string(o.user, `${p}.user`, USER_NAME, "a login name like root");
        const hostKey =
            o.hostKey === undefined
                ? undefined
                : r.string(o.hostKey, `${p}.hostKey`, SSH_PUBLIC_KEY, "an OpenSSH public key line like ssh-ed25519 AAAA...");
        const nic = r.string(o.nic, `${p}.nic`, INTERFACE_NAME, "an interface name (at most 15 characters: letters, digits, _ . -)");
        const backend = o.backend === undefined ? "ifcfg" : r.oneOf(o.backend, `${p}.backend`, NETWORK_BACKENDS);
        const configDir =
            o.configDir === undefined
                ? backend && DEFAULT_CONFIG_DIRS[backend]
                : r.string(o.configDir, `${p}.configDir`, SAFE_ABSOLUTE_PATH, "an absolute path of safe characters without ..");
        const nicIsManagement = o.nicIsManagement === undefined ? true : r.bool(o.nicIsManagement, `${p}.nicIsManagement`);
        const dialErrorLimit =
            o.dialErrorLimit === undefined ? ssh.dialErrorLimit : r.int(o.dialErrorLimit, `${p}.dialErrorLimit`, 1, 100, "a number of dial attempts");
        const perDialTimeout =
            o.perDialTimeout === undefined ? ssh.perDialTimeout : r.int(o.perDialTimeout, `${p}.perDialTimeout`, 1, 600, "a number of seconds");
        if (nic !== undefined && /^wl/.test(nic)) {
            r.fail(
                `${p}.nic`,
                `${p}.nic ${nic} looks like a wireless interface: 802.11 access points drop frames from MAC addresses that did not associate, so macvlan does not work over it; use a wired NIC, or the ipvlan driver (driver: ipvlan on the networks) which shares the NIC's MAC`,
            );
        }
        if (name !== undefined) {
            const first = seenNames.get(name);
            if (first !== undefined) {
                r.fail(`${p}.name`, `${p}.name ${name} is already the name of hosts[${first}]; give every host its own name`);
            } else {
                seenNames.set(name, i);
            }
        }
        if (address !== undefined && port !== undefined) {
            const key = `${address}:${port}`;
            const other = seenEndpoints.get(key);
            if (other !== undefined) {
                r.fail(`${p}.address`, `${p}.address ${address} port ${port} is already host ${other}'s SSH endpoint; every host needs its own address or port`);
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
                    ssh: { address, port, user, dialErrorLimit, perDialTimeout, ...(hostKey !== undefined ? { hostKey } : {}) },
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

function readVlans(r: Reader, v: unknown, hosts: Map<string, HostSpec>): VlanSpec[] {
    if (v === undefined) {
        return [];
    }
    const out: VlanSpec[] = [];
    const seen = new Map<string, number>();
    (r.array(v, "vlans") ?? []).forEach((item, i) => {
        const p = `vlans[${i}]`;
        const o = r.object(item, p, VLAN_FIELDS);
        if (!o) {
            return;
        }
        const id = r.int(o.id, `${p}.id`, 1, 4094, "a VLAN id");
        const parent = r.string(o.parent, `${p}.parent`, INTERFACE_NAME, "an interface name like ens33");
        const gateway = o.gateway === undefined ? undefined : r.ipv4(o.gateway, `${p}.gateway`);
        const defaultRoute = o.defaultRoute === undefined ? false : r.bool(o.defaultRoute, `${p}.defaultRoute`);
        if (defaultRoute === true && o.gateway === undefined) {
            r.fail(`${p}.defaultRoute`, `${p}.defaultRoute is true but ${p}.gateway is not set; set the gateway, or drop defaultRoute`);
        }
        let interfaceName: string | undefined;
        if (id !== undefined && parent !== undefined) {
            interfaceName = `${parent}.${id}`;
            if (interfaceName.length > 15) {
                r.fail(`${p}.parent`, `${p} would create interface ${interfaceName}, longer than the kernel's 15 characters; use a shorter parent name`);
                interfaceName = undefined;
            }
            const first = seen.get(interfaceName ?? `${parent}.${id}`);
            if (first !== undefined) {
                r.fail(`${p}.id`, `${p}.id ${id} is already used on parent ${parent} by vlans[${first}]; a VLAN id is unique per parent`);
                interfaceName = undefined;
            } else {
                seen.set(`${parent}.${id}`, i);
            }
        }
        const members: VlanSpec["members"] = [];
        const addrObj = o.addresses === undefined ? undefined : r.object(o.addresses, `${p}.addresses`, keysOf(o.addresses));
        if (o.addresses === undefined) {
            r.fail(`${p}.addresses`, `${p}.addresses is missing; map each member host to its address on the VLAN, like docker01: 192.168.10.10/24`);
        }
        let subnet: Bounds | undefined;
        const seenAddr = new Map<string, string>();
        for (const [hostName, addr] of Object.entries(addrObj ?? {})) {
            const ap = `${p}.addresses.${hostName}`;
            const host = hosts.get(hostName);
            if (!host) {
                r.unknownHost(hosts, hostName, ap, `${ap}: ${hostName}`);
                continue;
            }
            const a = r.ipv4Interface(addr, ap);
            if (!a) {
                continue;
            }
            if (parent !== undefined && host.nic !== parent) {
                r.fail(`${p}.parent`, `${p}.parent ${parent} is not ${hostName}'s nic (${host.nic}); VLANs sit on the host's nic: set hosts' nic or the VLAN's parent to match`);
            }
            if (subnet === undefined) {
                subnet = a.subnet;
            } else if (subnet.cidr !== a.subnet.cidr) {
                r.fail(ap, `${ap} ${addr} is in ${a.subnet.cidr} but the VLAN's other members are in ${subnet.cidr}; members of one VLAN share one subnet`);
            }
            const dup = seenAddr.get(a.ip);
            if (dup !== undefined) {
                r.fail(ap, `${ap} ${a.ip} is already ${dup}'s address on this VLAN; give each host its own address`);
            }
            seenAddr.set(a.ip, hostName);
            members.push({ host: hostName, address: addr as string });
        }
        if (gateway !== undefined && subnet !== undefined) {
            if (!inBounds(subnet, gateway)) {
                r.fail(`${p}.gateway`, `${p}.gateway ${gateway} is outside the VLAN's subnet ${subnet.cidr}; pick an address inside it`);
            } else if (seenAddr.has(gateway)) {
                r.fail(`${p}.gateway`, `${p}.gateway ${gateway} is ${seenAddr.get(gateway)}'s own address on the VLAN; the gateway is another router`);
            }
        }
        if (id !== undefined && parent !== undefined && interfaceName !== undefined && defaultRoute !== undefined) {
            out.push({ id, parent, interfaceName, members, defaultRoute, ...(gateway !== undefined ? { gateway } : {}) });
        }
    });
    // At most one default route per host.
    const defaults = new Map<string, number>();
    out.forEach((vl) => {
        if (vl.defaultRoute) {
            for (const m of vl.members) {
                defaults.set(m.host, (defaults.get(m.host) ?? 0) + 1);
            }
        }
    });
    for (const [host, n] of defaults) {
        if (n > 1) {
            r.fail("vlans", `vlans: ${n} VLANs give ${host} a default route; a host has one default route, so set defaultRoute on at most one of them`);
        }
    }
    return out;
}

function readNetworks(r: Reader, v: unknown, hosts: Map<string, HostSpec>, vlans: VlanSpec[]): NetworkSpec[] {
    if (v === undefined) {
        return [];
    }
    const out: NetworkSpec[] = [];
    const names = new Map<string, number>();
    const subnets: Array<{ range: IPv4CidrRange; index: number; name: string }> = [];
    const vlanByInterface = new Map(vlans.map((vl) => [vl.interfaceName, { vlan: vl, members: new Set(vl.members.map((m) => m.host)) }]));
    /** `<host>/<parent>` -> the network using it. */
    const parentUsers = new Map<string, string>();
    (r.array(v, "networks") ?? []).forEach((item, i) => {
        const p = `networks[${i}]`;
        const o = r.object(item, p, NETWORK_FIELDS);
        if (!o) {
            return;
        }
        const name = r.string(o.name, `${p}.name`, DOCKER_NAME, "a Docker network name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)");
        if (name !== undefined) {
            const first = names.get(name);
            if (first !== undefined) {
                r.fail(`${p}.name`, `${p}.name ${name} is already networks[${first}]; to put a network on more hosts list them in networks[${first}].hosts`);
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
            for (const other of subnets) {
                if (other.range.isOverlapping(subnet)) {
                    r.fail(`${p}.subnet`, `${p}.subnet ${subnet.toCidrString()} overlaps ${other.name}'s ${other.range.toCidrString()} (networks[${other.index}]); give every network its own subnet`);
                }
            }
            subnets.push({ range: subnet, index: i, name: name ?? p });
        }
        // the default parent: `vlan: <id>` or `parent: <nic or vlan interface>`
        let parent: string | undefined;
        let vlan: VlanSpec | undefined;
        if (o.vlan !== undefined && o.parent !== undefined) {
            r.fail(`${p}.vlan`, `${p} sets both parent and vlan; set parent to a NIC or VLAN interface (ens33.10), or vlan to a VLAN id, not both`);
        } else if (o.vlan !== undefined) {
            const id = r.int(o.vlan, `${p}.vlan`, 1, 4094, "a VLAN id");
            if (id !== undefined) {
                const found = vlans.filter((vl) => vl.id === id);
                if (found.length === 0) {
                    r.unknown("vlans", String(id), `${p}.vlan`, `${p}.vlan ${id} is not a VLAN of this stack; add it under vlans or use one of ${vlans.map((vl) => vl.id).join(", ") || "(none defined)"}`);
                } else if (found.length > 1) {
                    r.fail(`${p}.vlan`, `${p}.vlan ${id} exists on several parents (${found.map((vl) => vl.interfaceName).join(", ")}); set parent to the interface instead`);
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
        const hostList = o.hosts === undefined ? [...hosts.keys()] : r.array(o.hosts, `${p}.hosts`) ?? [];
        // a parent or VLAN that failed its own check: its error stands for the whole network
        let attachmentsFailed = (o.vlan !== undefined || o.parent !== undefined) && parent === undefined;
        (attachmentsFailed ? [] : hostList).forEach((h, j) => {
            const hp = `${p}.hosts[${j}]`;
            let hostName: string | undefined;
            let hostParent = parent;
            if (typeof h === "string") {
                hostName = h;
            } else {
                const ho = r.object(h, hp, NETWORK_HOST_FIELDS);
                if (!ho) {
                    return;
                }
                hostName = r.string(ho.name, `${hp}.name`, HOST_NAME, "a host name");
                if (ho.parent !== undefined) {
                    hostParent = r.string(ho.parent, `${hp}.parent`, INTERFACE_NAME, "an interface name like ens33 or ens33.10");
                }
                if (ho.subnet !== undefined && subnet !== undefined) {
                    const s = r.subnet(ho.subnet, `${hp}.subnet`);
                    if (s !== undefined && !s.isEquals(subnet)) {
                        r.fail(`${hp}.subnet`, `${hp}.subnet ${s.toCidrString()} differs from ${name}'s subnet ${subnet.toCidrString()}; a macvlan network spans hosts only when its subnet and gateway are the same on every host: drop the override or use one subnet`);
                    }
                }
                if (ho.gateway !== undefined && gateway !== undefined) {
                    const g = r.ipv4(ho.gateway, `${hp}.gateway`);
                    if (g !== undefined && g !== gateway) {
                        r.fail(`${hp}.gateway`, `${hp}.gateway ${g} differs from ${name}'s gateway ${gateway}; the gateway must be the same on every host: drop the override`);
                    }
                }
            }
            if (hostName === undefined) {
                return;
            }
            const host = hosts.get(hostName);
            if (!host) {
                attachmentsFailed = true;
                r.unknownHost(hosts, hostName, hp, `${hp} ${hostName}`);
                return;
            }
            if (Object.hasOwn(parents, hostName)) {
                r.fail(hp, `${hp} ${hostName} is listed twice; list each host once`);
                return;
            }
            const resolved = hostParent ?? host.nic;
            const where = o.vlan !== undefined ? `${p}.vlan` : o.parent !== undefined ? `${p}.parent` : hp;
            if (!checkParent(r, where, resolved, host, vlanByInterface, driver)) {
                attachmentsFailed = true;
                return;
            }
            const user = parentUsers.get(`${hostName}/${resolved}`);
            if (user !== undefined && user !== name) {
                r.fail(where, `${where}: ${name ?? p} would be the second Docker network on ${resolved} of ${hostName} (${user} is already there); Docker allows one ${driver ?? "macvlan"} network per parent interface: use a VLAN interface or another NIC`);
                attachmentsFailed = true;
                return;
            }
            parentUsers.set(`${hostName}/${resolved}`, name ?? p);
            hostNames.push(hostName);
            parents[hostName] = resolved;
        });
        if (hostList.length === 0 && o.hosts !== undefined) {
            r.fail(`${p}.hosts`, `${p}.hosts is empty; list the hosts the network spans, or drop the key for all hosts`);
        }
        const vlanIds = new Set(Object.values(parents).map((pa) => vlans.find((vl) => vl.interfaceName === pa)?.id));
        const reserved: Record<string, string> = {};
        if (o.reserved !== undefined) {
            const ro = r.object(o.reserved, `${p}.reserved`, keysOf(o.reserved));
            for (const [k, ip] of Object.entries(ro ?? {})) {
                const rp = `${p}.reserved.${k}`;
                if (!SIMPLE_NAME.test(k)) {
                    r.fail(rp, `${rp}: ${k} is not a valid name for a reserved address; use letters, digits, _ . -`);
                    continue;
                }
                const a = r.ipv4(ip, rp);
                if (a !== undefined && subnet !== undefined && checkInSubnet(r, rp, a, cidrBounds(subnet.toCidrString()), "reserved address") !== undefined) {
                    if (a === gateway) {
                        r.fail(rp, `${rp} ${a} is the network's gateway, which Docker reserves already; drop it`);
                    } else {
                        reserved[k] = a;
                    }
                }
            }
        }
        if (name !== undefined && driver !== undefined && mode !== undefined && subnet !== undefined && gateway !== undefined && names.get(name) === i && !attachmentsFailed) {
            out.push({
                name,
                driver,
                mode: mode as NetworkSpec["mode"],
                subnet: subnet.toCidrString(),
                gateway,
                parents,
                hosts: hostNames,
                reserved,
                ...(vlanIds.size === 1 && [...vlanIds][0] !== undefined ? { vlan: [...vlanIds][0] } : {}),
            });
        }
    });
    return out;
}

/** A network's parent on one host must be that host's NIC or one of its VLAN interfaces. */
function checkParent(
    r: Reader,
    path: string,
    parent: string,
    host: HostSpec,
    vlans: Map<string, { vlan: VlanSpec; members: Set<string> }>,
    driver: NetworkDriver | undefined,
): boolean {
    if (driver === "macvlan" && /^wl/.test(parent)) {
        r.fail(path, `${path} ${parent} looks like a wireless interface: macvlan does not work over 802.11 (the access point drops frames from unknown MACs); use driver: ipvlan, which shares the parent's MAC`);
        return false;
    }
    if (parent === host.nic) {
        return true;
    }
    const found = vlans.get(parent);
    if (found) {
        const vlan = found.vlan;
        if (!found.members.has(host.name)) {
            r.fail(path, `${path} ${parent} is VLAN ${vlan.id}, but ${host.name} has no address on it; add ${host.name} to that VLAN's addresses, or leave ${host.name} out of the network`);
            return false;
        }
        return true;
    }
    if (/\.[0-9]+$/.test(parent)) {
        r.fail(path, `${path} ${parent} names a VLAN interface that no VLAN of this stack creates; add a VLAN with that parent and id under vlans, or use ${host.name}'s nic ${host.nic}`);
        return false;
    }
    r.fail(path, `${path} ${parent} is neither ${host.name}'s nic (${host.nic}) nor a VLAN interface of this stack; the parent must be prepared by this stack (promiscuous NIC or VLAN)`);
    return false;
}

function checkInSubnet(r: Reader, path: string, ip: string, subnet: Bounds, what: string): string | undefined {
    const cidr = subnet.cidr;
    const v = new IPv4(ip).getValue();
    if (v < subnet.first || v > subnet.last) {
        return r.fail(path, `${path} ${ip} is outside the subnet ${cidr}; pick a ${what} inside it`);
    }
    if (v === subnet.first) {
        return r.fail(path, `${path} ${ip} is the network address of ${cidr}; pick a ${what} inside it`);
    }
    if (v === subnet.last) {
        return r.fail(path, `${path} ${ip} is the broadcast address of ${cidr}; pick a ${what} inside it`);
    }
    return ip;
}

function readRegistry(r: Reader, v: unknown, hosts: Map<string, HostSpec>): RegistrySpec | undefined {
    if (v === undefined) {
        return undefined;
    }
    const o = r.object(v, "registry", REGISTRY_FIELDS);
    if (!o) {
        return undefined;
    }
    const hostName = r.string(o.host, "registry.host", HOST_NAME, "a host name");
    const host = hostName !== undefined ? hosts.get(hostName) : undefined;
    if (hostName !== undefined && !host) {
        r.unknownHost(hosts, hostName, "registry.host", `registry.host ${hostName}`);
    }
    const port = o.port === undefined ? 5000 : r.int(o.port, "registry.port", 1, 65535, "a TCP port");
    const address =
        o.address === undefined
            ? host?.ssh.address
            : typeof o.address === "string" && Validator.isValidIPv4String(o.address)[0]
              ? o.address
              : r.string(o.address, "registry.address", DNS_NAME, "an IPv4 address or DNS name the other hosts reach the registry at");
    const image = o.image === undefined ? "registry:2" : imageRef(r, o.image, "registry.image");
    const volume = o.volume === undefined ? "registry-data" : r.string(o.volume, "registry.volume", DOCKER_NAME, "a Docker volume name");
    const mirrors: MirrorSpec[] = [];
    const seen = new Map<string, number>();
    (o.mirrors === undefined ? [] : r.array(o.mirrors, "registry.mirrors") ?? []).forEach((m, i) => {
        const p = `registry.mirrors[${i}]`;
        const mo = typeof m === "string" ? { source: m } : r.object(m, p, MIRROR_FIELDS);
        if (!mo) {
            return;
        }
        const source = imageRef(r, mo.source, `${p}.source`);
        const parsed = source !== undefined ? parseImageReference(source) : undefined;
        const defaultName = parsed?.repository.split("/").pop();
        const name = mo.name === undefined ? defaultName : r.string(mo.name, `${p}.name`, /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/, "a repository name like busybox");
        const tag = mo.tag === undefined ? parsed?.tag ?? "latest" : r.string(mo.tag, `${p}.tag`, /^[\w][\w.-]{0,127}$/, "a tag like v1");
        if (name !== undefined && tag !== undefined && source !== undefined) {
            const key = `${name}:${tag}`;
            if (seen.has(key)) {
                r.fail(p, `${p} pushes ${key} again (already registry.mirrors[${seen.get(key)}]); push each name:tag once`);
                return;
            }
            seen.set(key, i);
            mirrors.push({ source, name, tag });
        }
    });
    const security = o.security === undefined ? "tls" : r.oneOf(o.security, "registry.security", REGISTRY_SECURITY);
    const users = readRegistryUsers(r, o.users);
    if (security === "insecure" && users.length > 0) {
        r.fail("registry.users", `registry.users is set but registry.security is insecure: basic auth over plain HTTP sends the passwords in clear on the LAN; use security: tls, or remove the users`);
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
    (v === undefined ? [] : r.array(v, "registry.users") ?? []).forEach((u, i) => {
        const p = `registry.users[${i}]`;
        const uo = r.object(u, p, REGISTRY_USER_FIELDS);
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
            r.fail(`${p}.name`, `${p}.name ${name} is already registry.users[${seen.get(name)}]; give each user once`);
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
    if (typeof v !== "string" || parseImageReference(v) === undefined) {
        return r.fail(path, `${path} ${show(v)} is not an image reference Docker accepts; write it like busybox:latest or 192.168.1.11:5000/busybox:v1 (lower-case repository, tag of letters, digits, _ . -)`);
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
    const networkHosts = new Map(networks.map((n) => [n.name, new Set(n.hosts)]));
    // addresses hosts already own: SSH addresses and VLAN addresses
    const hostAddresses = new Map<string, string>();
    for (const h of hosts.values()) {
        hostAddresses.set(h.ssh.address, `${h.name}'s SSH address`);
    }
    for (const vl of vlans) {
        for (const m of vl.members) {
            hostAddresses.set(m.address.split("/")[0], `${m.host}'s address on ${vl.interfaceName}`);
        }
    }
    (r.array(v, "containers") ?? []).forEach((item, i) => {
        const p = `containers[${i}]`;
        const o = r.object(item, p, CONTAINER_FIELDS);
        if (!o) {
            return;
        }
        const name = r.string(o.name, `${p}.name`, DOCKER_NAME, "a Docker container name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)");
        const hostName = r.string(o.host, `${p}.host`, HOST_NAME, "a host name");
        const host = hostName !== undefined ? hosts.get(hostName) : undefined;
        if (hostName !== undefined && !host) {
            r.unknownHost(hosts, hostName, `${p}.host`, `${p}.host ${hostName}`);
        }
        if (name !== undefined && host) {
            const key = `${host.name}/${name}`;
            const first = names.get(key);
            if (first !== undefined) {
                r.fail(`${p}.name`, `${p}.name ${name} is already containers[${first}] on ${host.name}; container names are unique per host`);
            } else {
                names.set(key, i);
            }
        }
        const netName = r.string(o.network, `${p}.network`, DOCKER_NAME, "a network name of this stack");
        const network = netName !== undefined ? networks.find((n) => n.name === netName) : undefined;
        if (netName !== undefined && !network) {
            r.unknown("networks", netName, `${p}.network`, `${p}.network ${netName} is not a network of this stack; use one of ${networks.map((n) => n.name).join(", ") || "(no valid networks)"}`);
        }
        if (network && host && !networkHosts.get(network.name)?.has(host.name)) {
            r.fail(`${p}.network`, `${p}.network ${network.name} does not exist on ${host.name} (its hosts are ${network.hosts.join(", ")}); add ${host.name} to the network's hosts or move the container`);
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
                    ip = r.fail(`${p}.ip`, `${p}.ip ${ip} is ${network.name}'s gateway; pick a free address in ${network.subnet}`);
                }
                const reservedName = Object.entries(network.reserved).find(([, a]) => a === ip)?.[0];
                if (ip !== undefined && reservedName !== undefined) {
                    ip = r.fail(`${p}.ip`, `${p}.ip ${ip} is reserved as ${reservedName} on ${network.name}; pick a free address in ${network.subnet}`);
                }
                if (ip !== undefined && hostAddresses.has(ip)) {
                    ip = r.fail(`${p}.ip`, `${p}.ip ${ip} is ${hostAddresses.get(ip)}; pick a free address in ${network.subnet}`);
                }
                if (ip !== undefined && host && name !== undefined) {
                    const key = `${network.name}/${ip}`;
                    const other = ips.get(key);
                    if (other !== undefined) {
                        const why = other.host === host.name ? "" : `: ${other.host} and ${host.name} share ${network.name}'s L2 segment, so the address would be duplicated`;
                        r.fail(`${p}.ip`, `${p}.ip ${ip} of ${name} on ${host.name} is already used by ${other.name} on ${other.host} (containers[${other.index}])${why}; pick a free address in ${network.subnet}`);
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
            const list = r.array(o.command, `${p}.command`);
            command =
                list === undefined
                    ? undefined
                    : list.length > 0 && list.every((c) => typeof c === "string" && !c.includes("\0"))
                      ? (list as string[])
                      : r.fail(`${p}.command`, `${p}.command ${show(o.command)} is not a non-empty list of strings; write it like [sleep, infinity]`);
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
        r.fail(path, `${path} ${image} names the stack's registry host ${domain} ${port === undefined ? "without its port" : `with port ${port}`}, but the registry listens on ${registry.endpoint}; write ${fixed}`);
        return;
    }
    const tag = ref.tag ?? "latest";
    if (!registry.mirrors.some((m) => m.name === ref.repository && m.tag === tag)) {
        r.fail(path, `${path} ${image} is not pushed to the stack's registry (it holds ${registry.mirrors.map((m) => `${m.name}:${m.tag}`).join(", ") || "nothing"}); add it to registry.mirrors or use one of those`);
    }
}

function readChecks(r: Reader, v: unknown, containers: ContainerSpec[]): ChecksSpec {
    const d: ChecksSpec = { connectivity: true, isolation: [], count: 3, timeoutSeconds: 5 };
    if (v === undefined) {
        return d;
    }
    const o = r.object(v, "checks", CHECK_FIELDS);
    if (!o) {
        return d;
    }
    const isolation: IsolationCheckSpec[] = [];
    (o.isolation === undefined ? [] : r.array(o.isolation, "checks.isolation") ?? []).forEach((item, i) => {
        const p = `checks.isolation[${i}]`;
        const io = r.object(item, p, ["from", "to"]);
        if (!io) {
            return;
        }
        const ends = (["from", "to"] as const).map((k) => {
            const ref = r.string(io[k], `${p}.${k}`, /^[a-zA-Z0-9-]+\/[a-zA-Z0-9][a-zA-Z0-9_.-]+$/, "a container reference <host>/<container> like docker01/bbox10");
            if (ref === undefined) {
                return undefined;
            }
            const [host, name] = ref.split("/");
            const c = containers.find((x) => x.host === host && x.name === name);
            if (!c && containers.filter((x) => x.name === name).length < r.declared.containerNames.filter((x) => x === name).length) {
                return undefined; // a container of that name failed its own validation, reported there
            }
            if (!c) {
                return r.unknown("containers", ref, `${p}.${k}`, `${p}.${k} ${ref} is not a container of this stack; use one of ${containers.map((x) => `${x.host}/${x.name}`).join(", ") || "(no valid containers)"}`);
            }
            return c;
        });
        const [from, to] = ends;
        if (from && to) {
            if (from === to) {
                r.fail(p, `${p} checks ${from.host}/${from.name} against itself; name two different containers`);
            } else if (from.network === to.network) {
                r.fail(p, `${p}: ${from.host}/${from.name} and ${to.host}/${to.name} are both on ${from.network}, so they are meant to reach each other; an isolation check needs containers on different networks`);
            } else {
                isolation.push({ from: `${from.host}/${from.name}`, to: `${to.host}/${to.name}` });
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
 * The management NIC is how the controller reaches a host: no VLAN or network may take its address
 * or put it inside another subnet on that host (a second route to the controller's subnet through a
 * VLAN would cut the SSH session configuring it).
 */
function checkManagementAddresses(r: Reader, hosts: HostSpec[], vlans: VlanSpec[], networks: NetworkSpec[]): void {
    const members = vlans.map((vl) => new Map(vl.members.map((m) => [m.host, m])));
    const networkHosts = networks.map((n) => new Set(n.hosts));
    const networkBounds = networks.map((n) => cidrBounds(n.subnet));
    for (const h of hosts) {
        if (!Validator.isValidIPv4String(h.ssh.address)[0]) {
            continue;
        }
        vlans.forEach((vl, i) => {
            const m = members[i].get(h.name);
            if (!m) {
                return;
            }
            const [ip, len] = m.address.split("/");
            const p = `vlans[${i}].addresses.${h.name}`;
            if (ip === h.ssh.address) {
                r.fail(p, `${p} ${m.address} is ${h.name}'s management address (its SSH address); the VLAN would move it off the management NIC and cut the connection: pick another address`);
            } else if (inBounds(boundsOf(ip, Number(len)), h.ssh.address)) {
                r.fail(p, `${p} ${m.address} puts ${h.name}'s management address ${h.ssh.address} inside ${vl.interfaceName}'s subnet; the host would route its SSH replies through the VLAN: use a subnet that does not contain ${h.ssh.address}`);
            }
        });
        networks.forEach((n, i) => {
            if (networkHosts[i].has(h.name) && inBounds(networkBounds[i], h.ssh.address)) {
                r.fail(`networks[${i}].subnet`, `networks[${i}].subnet ${n.subnet} contains ${h.name}'s management address ${h.ssh.address}; Docker could hand it to a container: use a subnet apart from the management network`);
            }
        });
    }
}

/**
 * From a stack (`stacks/Pulumi.<stack>.yaml`) to the local lab: the validated spec, the lab's
 * topology (its hosts and VLAN segments), and the config of the lab's stack file for the program
 * (the stack's config plus the lab's key, known_hosts and pinned host keys). Pure, except
 * {@link loadStack} which reads the stack file.
 */
import { IPv4, IPv4CidrRange, Validator } from "ip-num";
import { LAB_NAME, configKey } from "../components/contracts";
import { LabSpec } from "../components/model/types";
import { parseLab } from "../components/model/validate";
import { LabPlan, planLab } from "../components/model/plan";
import { configValue } from "../components/model/config";
import { LabTopology, validateTopology } from "./hosts/topology";
import { STACKS_DIR, listStacks, loadStackConfig, rawLabConfig } from "./stackFile";

/** The widest management subnet the lab derives: no wider than needed, and no narrower than /24 when possible. */
const PREFERRED_PREFIX = 24;
const MIN_PREFIX = 8;

export interface LoadedStack {
    stack: string;
    /** The stack's config as the engine passes it (`macvlan-lab:hosts` -> JSON text). */
    config: Record<string, string>;
    spec: LabSpec;
    /**
     * The spec's address plan (a fresh one: no memory of a deployment), made once by `parseLab` in
     * {@link loadStack}. A stack put together by hand may leave it out: {@link topologyOf} plans then.
     */
    plan?: LabPlan;
}

/** A stack as {@link loadStack} returns it: always with its plan. */
export type PlannedStack = LoadedStack & { plan: LabPlan };

/**
 * Reads and validates stack `stack` (parse, validate, plan): the spec, or every problem at once,
 * each naming the value and the fix. Never throws for a bad stack.
 */
export function loadStack(stack: string, dir: string = STACKS_DIR): { stack?: PlannedStack; errors: string[] } {
    const known = (() => {
        try {
            return listStacks(dir);
        } catch {
            return [];
        }
    })();
    if (!known.includes(stack)) {
        return {
            errors: [`no stack ${JSON.stringify(stack)}: there is no ${dir}/Pulumi.${stack}.yaml; stacks: ${known.join(", ") || "none"}`],
        };
    }
    let config: Record<string, string>;
    try {
        config = loadStackConfig(stack, dir);
    } catch (e) {
        return { errors: [e instanceof Error ? e.message : String(e)] };
    }
    // parseLab plans too (its errors among the others): the plan is made here once
    const { spec, plan, errors } = parseLab(rawLabConfig(config));
    if (errors.length > 0 || spec === undefined || plan === undefined) return { errors: errors.map((e) => e.message) };
    return { stack: { stack, config, spec, plan }, errors: [] };
}

/** The default lab name of a stack: the stack's name, when it is a lab name (`[a-z0-9-]`, at most 24). */
export function defaultLabName(stack: string): string {
    return stack;
}

/** Why `name` cannot name a lab, or undefined. */
export function labNameProblem(name: string): string | undefined {
    return LAB_NAME.test(name)
        ? undefined
        : `lab name ${JSON.stringify(name)} is not usable: 1 to 24 characters of [a-z0-9-], starting with a letter or digit (give one with --name)`;
}

function ipValue(a: string): bigint {
    return IPv4.fromString(a).getValue();
}

/** How many leading bits all of `values` share (32 for one value). */
function commonPrefixBits(values: bigint[]): number {
    let bits = 32;
    for (const v of values.slice(1)) {
        const x = v ^ values[0];
        let n = 32;
        while (n > 0 && x >> BigInt(32 - n) !== 0n) n--;
        bits = Math.min(bits, n);
    }
    return bits;
}

/**
 * The management prefix length for hosts at `addresses`: the longest one, at most /24, whose
 * subnet holds every address as a host address (not network or broadcast) and still has a free
 * address for the controller. Undefined when there is none down to /8. Pure.
 */
export function managementPrefixLength(addresses: readonly string[]): number | undefined {
    if (addresses.length === 0) return undefined;
    const values = addresses.map(ipValue);
    for (let p = Math.min(PREFERRED_PREFIX, commonPrefixBits(values)); p >= MIN_PREFIX; p--) {
        const range = IPv4CidrRange.fromCidr(`${addresses[0]}/${p}`);
        const first = range.getFirst().getValue();
        const last = range.getLast().getValue();
        const size = last - first + 1n;
        const hostSlots = size - 2n; // minus network and broadcast
        if (values.some((v) => v === first || v === last)) continue;
        if (BigInt(new Set(addresses).size) + 1n > hostSlots) continue; // + the controller
        return p;
    }
    return undefined;
}

function overlaps(a: string, b: string): boolean {
    const x = IPv4CidrRange.fromCidr(a);
    const y = IPv4CidrRange.fromCidr(b);
    return x.contains(y) || y.contains(x);
}

function subnetOf(cidr: string): string {
    const r = IPv4CidrRange.fromCidr(cidr);
    return `${r.getFirst().toString()}/${cidr.split("/")[1]}`;
}

/**
 * The lab topology of a validated spec: one lab host per stack host (its SSH address, NIC and
 * port; a management prefix derived so that all hosts share one subnet), and one VLAN segment per
 * VLAN of the stack. Every reason the stack cannot run in the lab, each naming the value and the fix.
 * `plan` is the spec's plan when the caller has it ({@link LoadedStack.plan}); defaults to
 * planning the spec, only when a network shares the management subnet (the controller's address
 * must lie outside its ranges).
 */
export function topologyOf(name: string, spec: LabSpec, plan?: LabPlan): { topology?: LabTopology; errors: string[] } {
    const errors: string[] = [];
    const nameProblem = labNameProblem(name);
    if (nameProblem !== undefined) errors.push(nameProblem);
    spec.hosts.forEach((h, i) => {
        const at = `hosts[${i}] (${h.name})`;
        if (!Validator.isValidIPv4String(h.ssh.address)[0]) {
            errors.push(`${at}.address ${JSON.stringify(h.ssh.address)} is not an IPv4 address; the lab makes each host with its address, so give one (e.g. 192.168.1.11)`);
        }
        if (h.ssh.user !== "root") {
            errors.push(`${at}.user ${JSON.stringify(h.ssh.user)}: the lab's hosts accept only root (with the lab's key); use user root for the lab`);
        }
        if (!h.nicIsManagement) {
            errors.push(`${at}.nicIsManagement is false: a lab host has one NIC (${h.nic}) that carries its SSH address; set nicIsManagement: true for the lab`);
        }
    });
    if (errors.length > 0) return { errors };

    const addresses = spec.hosts.map((h) => h.ssh.address);
    const prefixLength = managementPrefixLength(addresses);
    if (prefixLength === undefined) {
        return {
            errors: [
                `the hosts' addresses ${addresses.join(", ")} share no subnet of /${MIN_PREFIX} or longer with room for the lab's controller; put them in one /24 (e.g. 192.168.1.11 and 192.168.1.13)`,
            ],
        };
    }
    const management = subnetOf(`${addresses[0]}/${prefixLength}`);
    for (const v of spec.vlans) {
        for (const m of v.members) {
            const s = subnetOf(m.address);
            if (overlaps(s, management)) {
                errors.push(
                    `vlans (id ${v.id}).addresses.${m.host} ${m.address} is in ${management}, the management subnet the lab derives from the hosts' addresses; use a VLAN subnet outside it`,
                );
            }
        }
    }
    // A network on the hosts' NIC itself may share the management subnet (containers on the hosts'
    // LAN): the lab's management segment carries it. One on a VLAN may not: a second segment with
    // the management subnet's addresses would take the controller's route to the hosts.
    const onLan = spec.networks.filter((n) => overlaps(n.subnet, management) && n.hosts.every((h) => n.parents[h] === spec.hosts.find((x) => x.name === h)?.nic));
    for (const n of spec.networks) {
        if (overlaps(n.subnet, management) && !onLan.includes(n)) {
            errors.push(
                `networks (${n.name}).subnet ${n.subnet} overlaps ${management}, the management subnet the lab derives from the hosts' addresses, on a VLAN; use a subnet outside it, or put the network on the hosts' nic`,
            );
        }
    }
    const controllerAddress = onLan.length > 0 ? controllerAddressBeside(management, addresses, plan ?? planLab(spec).plan, onLan) : undefined;
    if (onLan.length > 0 && controllerAddress === undefined) {
        errors.push(`no address of ${management} is left for the lab's controller beside the hosts and the addresses and ranges of ${onLan.map((n) => n.name).join(", ")}; leave one address free`);
    }
    const topology: LabTopology = {
        name,
        ...(controllerAddress !== undefined ? { controllerAddress } : {}),
        hosts: spec.hosts.map((h) => ({
            name: h.name,
            address: h.ssh.address,
            prefixLength,
            nic: h.nic,
            sshPort: h.ssh.port,
        })),
        vlans: spec.vlans.map((v) => ({
            id: v.id,
            parent: v.parent,
            interfaceName: v.interfaceName,
            hosts: v.members.map((m) => m.host),
        })),
    };
    errors.push(...validateTopology(topology).map((e) => `lab topology: ${e}`));
    return errors.length > 0 ? { errors } : { topology, errors: [] };
}

/**
 * The controller's address when networks share the management subnet: the highest address of it
 * that is no host's, and neither a fixed address (gateway, static, reserved) nor inside a planned
 * range of those networks, so no container ever takes it. Undefined when there is none.
 */
function controllerAddressBeside(management: string, hostAddresses: readonly string[], plan: LabPlan, onLan: readonly LabSpec["networks"][number][]): string | undefined {
    const taken = new Set<bigint>(hostAddresses.map(ipValue));
    const ranges: Array<[bigint, bigint]> = [];
    for (const n of onLan) {
        const np = plan.networks[n.name];
        for (const f of np?.fixed ?? []) taken.add(ipValue(f.address));
        for (const r of Object.values(np?.ranges ?? {})) {
            const c = IPv4CidrRange.fromCidr(r);
            ranges.push([c.getFirst().getValue(), c.getLast().getValue()]);
        }
    }
    const m = IPv4CidrRange.fromCidr(management);
    const first = m.getFirst().getValue();
    for (let v = m.getLast().getValue() - 1n; v > first; v--) {
        const inRange = ranges.find(([a, b]) => v >= a && v <= b);
        if (inRange !== undefined) {
            v = inRange[0]; // the loop steps below the range
        } else if (!taken.has(v)) {
            return IPv4.fromNumber(v).toString();
        }
    }
    return undefined;
}

/** What the lab gives the program beyond the stack file. */
export interface LabCredentials {
    /** The lab's private key (OpenSSH text). */
    privateKey: string;
    privateKeyPath: string;
    knownHostsPath: string;
    /** host name -> `ssh-ed25519 AAAA...`. */
    hostKeys: Record<string, string>;
}

export const SECRET_KEY = configKey("sshPrivateKey");

/**
 * The `config:` of the lab's stack file: the stack's config (structured values as YAML values again)
 * with each host's `hostKey` pinned to the lab host's key, `sshKeyFile` / `sshKnownHostsFile` set
 * to the lab's and, when given, `controllerCaDir` (where the program puts a TLS registry's CA for
 * the engine, lab/pulumi/workspace.ts `controllerCaDirOf`). `sshPrivateKey` is not in it: it is set with
 * `pulumi config set --secret`. Pure.
 */
export function labStackConfig(stackConfig: Readonly<Record<string, string>>, lab: LabCredentials, controllerCaDir?: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(stackConfig)) {
        if (key === SECRET_KEY) continue;
        out[key] = configValue(text);
    }
    const hosts = out[configKey("hosts")];
    if (!Array.isArray(hosts)) throw new Error("the stack has no hosts list");
    out[configKey("hosts")] = hosts.map((h: Record<string, unknown>) => {
        const key = lab.hostKeys[String(h.name)];
        if (key === undefined) throw new Error(`the lab has no host key for ${JSON.stringify(h.name)}`);
        return { ...h, hostKey: key };
    });
    out[configKey("sshKeyFile")] = lab.privateKeyPath;
    out[configKey("sshKnownHostsFile")] = lab.knownHostsPath;
    if (controllerCaDir !== undefined) out[configKey("controllerCaDir")] = controllerCaDir;
    return out;
}

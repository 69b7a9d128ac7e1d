/**
 * The local lab's topology: its types, its validation and everything derived from it without I/O
 * (namespace and link names, the controller's address, generated config files). Pure functions,
 * exported for tests; `index.ts` does the I/O.
 */
import { IPv4, IPv4CidrRange, Validator } from "ip-num";
import { LAB_NAME, emulatedVlanLinkAlias } from "../../components/contracts";
import { isVlanId } from "../../components/model/validate/vlans";

/** The hosts of one local lab. */
export interface LabTopology {
    /** Short lab name, `[a-z0-9-]`, used as the prefix of every namespace and the state dir. */
    name: string;
    hosts: LabHostSpec[];
    /**
     * VLAN segments to provide. Without 802.1Q in the kernel each is emulated: in every member host
     * a link named `interfaceName`, joined to the other members' links through a per-VLAN bridge in
     * the switch namespace. With 802.1Q the NIC is a trunk and nothing is pre-created.
     */
    vlans: LabVlanSpec[];
    /**
     * The controller's address on the management segment. Defaults to the highest free address of
     * the hosts' subnet (not the broadcast, not a host's address).
     */
    controllerAddress?: string;
}

/** One lab host. */
export interface LabHostSpec {
    /** Host name, also its hostname: `docker01`. `[a-z0-9-]`, starts with a letter or digit. */
    name: string;
    /** Management address: `192.168.1.11`. All hosts share one subnet. */
    address: string;
    /** Prefix length of the management subnet: `24`. */
    prefixLength: number;
    /** Name of the NIC inside the host: `ens33` (at most 15 characters). */
    nic: string;
    /** TCP port of the host's sshd: `22`. */
    sshPort: number;
}

/** One VLAN segment. */
export interface LabVlanSpec {
    /** VLAN id, 1 to 4094. */
    id: number;
    /** Parent NIC on every member host; must be that host's `nic`. */
    parent: string;
    /** Name of the VLAN link on every member host: `ens33.10` (at most 15 characters). */
    interfaceName: string;
    /** Names of the member hosts. */
    hosts: string[];
}

/** Linux interface names: 1 to 15 characters, no `/`, `:`, whitespace, not `.` or `..`. */
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const HOST_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Interface names a lab host already has: loopback, and the bridge dockerd creates. */
const RESERVED_IFNAMES: readonly string[] = ["lo", "docker0"];
const RESERVED_WHY = "lo is the loopback and dockerd creates docker0";

function isIfname(s: unknown): s is string {
    return typeof s === "string" && IFNAME.test(s) && s !== "." && s !== "..";
}

/**
 * Every problem of a topology, each message naming the value, where it is and the fix; empty when
 * the topology is usable.
 */
export function validateTopology(t: LabTopology): string[] {
    const errors: string[] = [];
    if (typeof t.name !== "string" || !LAB_NAME.test(t.name)) {
        errors.push(
            `name ${JSON.stringify(t.name)} is not a lab name; use 1 to 24 characters of [a-z0-9-], starting with a letter or digit`,
        );
    }
    if (!Array.isArray(t.hosts) || t.hosts.length === 0) {
        errors.push("hosts is empty; declare at least one host");
        return errors;
    }
    const byName = new Map<string, number>();
    const byAddress = new Map<string, string>();
    let subnet: string | undefined;
    t.hosts.forEach((h, i) => {
        const at = `hosts[${i}]`;
        if (typeof h.name !== "string" || !HOST_NAME.test(h.name)) {
            errors.push(`${at}.name ${JSON.stringify(h.name)} is not a host name; use [a-z0-9-], at most 63 characters`);
        } else if (byName.has(h.name)) {
            errors.push(`${at}.name ${h.name} is already hosts[${byName.get(h.name)}]; host names must be unique`);
        } else {
            byName.set(h.name, i);
        }
        if (!isIfname(h.nic)) {
            errors.push(`${at}.nic ${JSON.stringify(h.nic)} is not an interface name; use 1 to 15 characters of [A-Za-z0-9_.-]`);
        } else if (RESERVED_IFNAMES.includes(h.nic)) {
            errors.push(`${at}.nic cannot be ${h.nic} (${RESERVED_WHY}); name the management NIC, e.g. ens33`);
        }
        if (!Number.isInteger(h.sshPort) || h.sshPort < 1 || h.sshPort > 65535) {
            errors.push(`${at}.sshPort ${JSON.stringify(h.sshPort)} is not a TCP port; use 1 to 65535 (usually 22)`);
        }
        const prefixOk = Number.isInteger(h.prefixLength) && h.prefixLength >= 8 && h.prefixLength <= 30;
        if (!prefixOk) {
            errors.push(`${at}.prefixLength ${JSON.stringify(h.prefixLength)} is not usable; use 8 to 30`);
        }
        if (typeof h.address !== "string" || !Validator.isValidIPv4String(h.address)[0]) {
            errors.push(`${at}.address ${JSON.stringify(h.address)} is not an IPv4 address`);
            return;
        }
        const other = byAddress.get(h.address);
        if (other !== undefined) {
            errors.push(`${at}.address ${h.address} is already the address of ${other}; give every host its own address`);
        }
        byAddress.set(h.address, String(h.name));
        if (!prefixOk) return;
        const net = networkOf(h.address, h.prefixLength);
        if (subnet === undefined) {
            subnet = net;
        } else if (net !== subnet) {
            errors.push(`${at}.address ${h.address}/${h.prefixLength} is not in ${subnet}, the subnet of hosts[0]; all hosts share one management segment`);
        }
        const range = IPv4CidrRange.fromCidr(`${h.address}/${h.prefixLength}`);
        if (h.address === range.getFirst().toString() || h.address === range.getLast().toString()) {
            errors.push(`${at}.address ${h.address} is the network or broadcast address of ${net}; pick a host address`);
        }
    });
    if (subnet !== undefined && errors.length === 0 && t.controllerAddress !== undefined) {
        const c = t.controllerAddress;
        const range = IPv4CidrRange.fromCidr(subnet);
        if (!Validator.isValidIPv4String(c)[0] || !range.contains(IPv4.fromString(c))) {
            errors.push(`controllerAddress ${JSON.stringify(c)} is not an address of ${subnet}; pick a free one or leave it out`);
        } else if (byAddress.has(c)) {
            errors.push(`controllerAddress ${c} is the address of ${byAddress.get(c)}; pick a free one or leave it out`);
        } else if (c === range.getFirst().toString() || c === range.getLast().toString()) {
            errors.push(`controllerAddress ${c} is the network or broadcast address of ${subnet}; pick a host address`);
        }
    }

    const vlanIds = new Map<number, number>();
    const linkNames = new Map<string, string>(); // "<host>/<ifname>" -> where
    for (const h of t.hosts) linkNames.set(`${h.name}/${h.nic}`, "its nic");
    (Array.isArray(t.vlans) ? t.vlans : []).forEach((v, i) => {
        const at = `vlans[${i}]`;
        if (!isVlanId(v.id)) {
            errors.push(`${at}.id ${JSON.stringify(v.id)} is not a VLAN id; use 1 to 4094`);
        } else if (vlanIds.has(v.id)) {
            errors.push(`${at}.id ${v.id} is already vlans[${vlanIds.get(v.id)}]; declare each VLAN once`);
        } else {
            vlanIds.set(v.id, i);
        }
        if (!isIfname(v.interfaceName)) {
            errors.push(`${at}.interfaceName ${JSON.stringify(v.interfaceName)} is not an interface name; use 1 to 15 characters, e.g. ens33.${v.id}`);
        } else if (RESERVED_IFNAMES.includes(v.interfaceName)) {
            errors.push(`${at}.interfaceName cannot be ${v.interfaceName} (${RESERVED_WHY}); use e.g. ens33.${v.id}`);
        }
        if (!Array.isArray(v.hosts) || v.hosts.length === 0) {
            errors.push(`${at}.hosts is empty; list the member hosts`);
            return;
        }
        if (new Set(v.hosts).size !== v.hosts.length) {
            errors.push(`${at}.hosts lists a host twice; list each member once`);
        }
        for (const name of new Set(v.hosts)) {
            const hi = byName.get(name);
            if (hi === undefined) {
                errors.push(`${at}.hosts names ${JSON.stringify(name)}, which is not a host; use one of ${[...byName.keys()].join(", ")}`);
                continue;
            }
            const h = t.hosts[hi];
            if (v.parent !== h.nic) {
                errors.push(`${at}.parent ${JSON.stringify(v.parent)} is not the nic of ${name} (${h.nic}); VLANs ride on the host's NIC`);
            }
            if (isIfname(v.interfaceName)) {
                const key = `${name}/${v.interfaceName}`;
                const prev = linkNames.get(key);
                if (prev !== undefined) {
                    errors.push(`${at}.interfaceName ${v.interfaceName} on ${name} is already ${prev}; every link of a host needs its own name`);
                } else {
                    linkNames.set(key, `the link of ${at}`);
                }
            }
        }
    });
    return errors;
}

/** The network of `address/prefix` in CIDR form: `192.168.1.0/24`. */
export function networkOf(address: string, prefixLength: number): string {
    return `${IPv4CidrRange.fromCidr(`${address}/${prefixLength}`).getFirst().toString()}/${prefixLength}`;
}

/**
 * The controller's address: `topology.controllerAddress` when set, else the highest address of the
 * subnet that is neither the broadcast address nor a host's. Expects a valid topology.
 */
export function controllerAddressOf(t: LabTopology): string {
    if (t.controllerAddress !== undefined) return t.controllerAddress;
    const h0 = t.hosts[0];
    const range = IPv4CidrRange.fromCidr(`${h0.address}/${h0.prefixLength}`);
    const taken = new Set(t.hosts.map((h) => h.address));
    const first = range.getFirst().getValue();
    for (let v = range.getLast().getValue() - 1n; v > first; v--) {
        const a = new IPv4(v).toString();
        if (!taken.has(a)) return a;
    }
    throw new Error(`no free address for the controller in ${networkOf(h0.address, h0.prefixLength)}`);
}

/** Names of a lab's network namespaces. `_` never occurs in a lab name, so `<lab>_` is a safe prefix. */
export interface NamespaceNames {
    /** `<lab>_switch`: the bridges that join the hosts (one for management, one per emulated VLAN). */
    switch: string;
    /** `<lab>_controller`: one link on the management bridge, no default route. */
    controller: string;
    /** host name -> `<lab>_host_<host>`. */
    hosts: Record<string, string>;
}

/** The prefix of every namespace of lab `name`. */
export function namespacePrefix(name: string): string {
    return `${name}_`;
}

export function namespaceNames(name: string, hostNames: readonly string[]): NamespaceNames {
    const p = namespacePrefix(name);
    return {
        switch: `${p}switch`,
        controller: `${p}controller`,
        hosts: Object.fromEntries(hostNames.map((h) => [h, `${p}host_${h}`])),
    };
}

/**
 * The lab a namespace belongs to (`<lab>_switch`, `<lab>_controller`, `<lab>_host_<host>`), or
 * undefined for a namespace no lab made. Pure.
 */
export function labOfNamespace(netns: string): string | undefined {
    const m = new RegExp(`^(${LAB_NAME.source.slice(1, -1)})_(switch|controller|host_.+)$`).exec(netns);
    return m?.[1];
}

/** The host name of a host namespace of lab `name`, or undefined for other names. */
export function hostOfNamespace(name: string, netns: string): string | undefined {
    const p = `${namespacePrefix(name)}host_`;
    return netns.startsWith(p) ? netns.slice(p.length) : undefined;
}

/** Switch-side names (private to the switch namespace, at most 15 characters). */
export const SWITCH_MGMT_BRIDGE = "br-mgmt";
export const CONTROLLER_LINK = "ctl0";
export function switchVlanBridge(id: number): string {
    return `br-v${id}`;
}
/** Switch-side port of host number `index` (1-based) on the management bridge or VLAN `vlan`. */
export function switchPort(index: number, vlan?: number): string {
    return vlan === undefined ? `h${index}-mgmt` : `h${index}-v${vlan}`;
}

/** The alias set on an emulated VLAN link, so nobody mistakes it for an 802.1Q device (the contract with the host scripts). */
export const emulatedVlanAlias = emulatedVlanLinkAlias;

/**
 * The host NIC's own initscripts file, `/etc/sysconfig/network-scripts/ifcfg-<nic>`, as a CentOS 7
 * install writes it for a static address (the tutorial's first step edits this file to add
 * `PROMISC=yes`). Every lab host has one, so the ifcfg backend meets the file it meets on the
 * tutorial's hosts. No GATEWAY: the lab has no route out.
 */
export function renderNicIfcfg(h: Pick<LabHostSpec, "nic" | "address" | "prefixLength">): string {
    return [
        "TYPE=Ethernet",
        "BOOTPROTO=static",
        "DEFROUTE=no",
        `NAME=${h.nic}`,
        `DEVICE=${h.nic}`,
        "ONBOOT=yes",
        `IPADDR=${h.address}`,
        `PREFIX=${h.prefixLength}`,
        "",
    ].join("\n");
}

/** `sshd_config` of one host: its address and port only, key authentication only, root by key. */
export function renderSshdConfig(h: Pick<LabHostSpec, "name" | "address" | "sshPort">): string {
    return [
        `# macvlan-lab host ${h.name}: generated by lab/hosts, key authentication only`,
        `ListenAddress ${h.address}:${h.sshPort}`,
        "HostKey /etc/ssh/ssh_host_ed25519_key",
        "PidFile /run/sshd.pid",
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "AuthorizedKeysFile /root/.ssh/authorized_keys",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "UseDNS no",
        "X11Forwarding no",
        "PrintMotd no",
        "AcceptEnv LANG LC_*",
        // Pulumi opens many sessions at once; the default 10:30:100 drops some of them.
        "MaxStartups 100:30:200",
        "MaxSessions 100",
        "Subsystem sftp /usr/lib/openssh/sftp-server",
        "",
    ].join("\n");
}

/** One `known_hosts` line per host: `docker01,192.168.1.11 ssh-ed25519 AAAA...` (`[a]:p` off port 22). */
export function renderKnownHosts(
    hosts: ReadonlyArray<Pick<LabHostSpec, "name" | "address" | "sshPort">>,
    hostKeys: Readonly<Record<string, string>>,
): string {
    return hosts
        .map((h) => {
            const addr = h.sshPort === 22 ? h.address : `[${h.address}]:${h.sshPort}`;
            const name = h.sshPort === 22 ? h.name : `[${h.name}]:${h.sshPort}`;
            return `${name},${addr} ${hostKeys[h.name]}\n`;
        })
        .join("");
}

/**
 * The client's ssh_config: per host (by name and by address) its address, port, root, the lab's key
 * only, the lab's known_hosts only (strict), no prompts, a bounded connect.
 */
export function renderSshConfig(
    hosts: ReadonlyArray<Pick<LabHostSpec, "name" | "address" | "sshPort">>,
    privateKeyPath: string,
    knownHostsPath: string,
): string {
    return hosts
        .map((h) =>
            [
                `Host ${h.name} ${h.address}`,
                `    HostName ${h.address}`,
                `    Port ${h.sshPort}`,
                "    User root",
                `    IdentityFile "${privateKeyPath}"`,
                "    IdentitiesOnly yes",
                `    UserKnownHostsFile "${knownHostsPath}"`,
                "    GlobalKnownHostsFile /dev/null",
                "    StrictHostKeyChecking yes",
                "    BatchMode yes",
                "    ConnectTimeout 5",
                "    ServerAliveInterval 15",
                "",
            ].join("\n"),
        )
        .join("\n");
}

/** `/etc/hosts` of one host: localhost, itself, and every lab host by its management address. */
export function renderEtcHosts(self: string, hosts: ReadonlyArray<Pick<LabHostSpec, "name" | "address">>): string {
    return [
        "127.0.0.1\tlocalhost",
        `127.0.1.1\t${self}`,
        "::1\tlocalhost ip6-localhost ip6-loopback",
        ...hosts.map((h) => `${h.address}\t${h.name}`),
        "",
    ].join("\n");
}

/** The starting `daemon.json` of every host: one harmless key, so tests can prove others are kept. */
export function initialDaemonJson(): string {
    return JSON.stringify({ "log-level": "warn" }, null, 2) + "\n";
}

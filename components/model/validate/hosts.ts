/**
 * The `hosts:` section: each host's SSH endpoint and key, its NIC and its network backend; and the
 * two rules other sections use about hosts: how a reference to a host is looked up, and which
 * addresses the hosts own already.
 */
import { IPV4 } from "../../contracts";
import { HostSpec, NETWORK_BACKENDS, NetworkBackend, VlanSpec } from "../types";
import { DNS_NAME, HOST_NAME, INTERFACE_NAME, SAFE_ABSOLUTE_PATH, USER_NAME } from "../names";
import { parseHostKey } from "../hostKey";
import { quote } from "../messages";
import type { Reader } from "./reader";
import type { SshDefaults } from "./ssh";

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

const HOST_FIELDS = [
    "name", "address", "port", "user", "hostKey", "insecureIgnoreHostKey", "nic", "nicIsManagement", "backend", "configDir",
    "dialErrorLimit", "perDialTimeout",
] as const;

export function readHosts(r: Reader, v: unknown, ssh: SshDefaults): HostSpec[] {
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

/**
 * The host a reference at `path` names, or undefined: a name that is no host of the stack is
 * reported there with the closest valid name (unless {@link Reader.unknownName} knows it failed
 * its own check). Undefined without a report for a name that was not read (`name` undefined).
 */
export function lookupHost(r: Reader, hosts: Map<string, HostSpec>, name: string | undefined, path: string): HostSpec | undefined {
    const host = name !== undefined ? hosts.get(name) : undefined;
    if (name !== undefined && !host) {
        r.unknownName("hosts", name, path, [...hosts.keys()], "a host");
    }
    return host;
}

/**
 * The addresses the hosts own already, each with what owns it (for messages): every host's SSH
 * address and its address on each VLAN. No container or shim may take one.
 */
export function hostOwnedAddresses(hosts: Iterable<HostSpec>, vlans: readonly VlanSpec[]): Map<string, string> {
    const owned = new Map<string, string>();
    for (const h of hosts) {
        owned.set(h.ssh.address, `the SSH address of ${h.name}`);
    }
    for (const vl of vlans) {
        for (const m of vl.members) {
            owned.set(m.address.split("/")[0], `the address of ${m.host} on ${vl.interfaceName}`);
        }
    }
    return owned;
}

/**
 * The typed model of a lab: what a stack's config describes once it has been parsed and
 * validated. Everything here is plain data (no Pulumi types), so validation and planning are pure.
 */

/**
 * How a host keeps its network configuration across reboots: ifcfg (network-scripts), nmcli
 * (NetworkManager), networkd (systemd-networkd), netplan (netplan rendering to systemd-networkd),
 * ifupdown (/etc/network/interfaces.d), iproute2 (runtime only), or auto: the one of the first five
 * that the host really runs, told on the host (the preflight says which and why, or refuses a host
 * where it cannot tell).
 */
export type NetworkBackend = "ifcfg" | "nmcli" | "networkd" | "netplan" | "ifupdown" | "iproute2" | "auto";
export const NETWORK_BACKENDS: readonly NetworkBackend[] = ["ifcfg", "nmcli", "networkd", "netplan", "ifupdown", "iproute2", "auto"];

/** Docker network drivers the product can declare. */
export type NetworkDriver = "macvlan" | "ipvlan";
export const NETWORK_DRIVERS: readonly NetworkDriver[] = ["macvlan", "ipvlan"];

/** Modes per driver (`macvlan_mode` / `ipvlan_mode`). */
export const MACVLAN_MODES = ["bridge", "private", "vepa", "passthru"] as const;
export const IPVLAN_MODES = ["l2", "l3", "l3s"] as const;
export type MacvlanMode = (typeof MACVLAN_MODES)[number];
export type IpvlanMode = (typeof IPVLAN_MODES)[number];

/** Container restart policies Docker accepts. */
export const RESTART_POLICIES = ["no", "on-failure", "always", "unless-stopped"] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

/** SSH settings of one host. */
export interface SshSpec {
    /** Address the controller dials (IPv4 or DNS name). */
    address: string;
    /** TCP port of sshd. Defaults to 22. */
    port: number;
    /** Login user. Defaults to `root`. */
    user: string;
    /**
     * The host's public key (`ssh-ed25519 AAAA...`) that every connection verifies: the host's
     * `hostKey`, or the one a known_hosts file lists for it (`resolveHostKeys`). Undefined after
     * validation means not pinned: the program then takes it from known_hosts, and a host that has
     * none there is an error. Never an `ssh-rsa` key (the command provider cannot use one).
     */
    hostKey?: string;
    /** Where `hostKey` came from: the host's config, or a known_hosts file. Defaults to "config" when `hostKey` is set. */
    hostKeySource?: "config" | "known_hosts";
    /**
     * Accept any host key: no connection verifies the host (the command provider's
     * `InsecureIgnoreHostKey`, the Docker provider's ssh with `StrictHostKeyChecking=no` and no
     * known_hosts file). For throwaway labs only: a machine in the middle gets every command, the
     * registry's users and the trust of every host. Warned on every run. Defaults to false; not
     * allowed together with a host's own `hostKey`.
     */
    insecureIgnoreHostKey?: boolean;
    /** How many failed dials before giving up. Defaults to 5. */
    dialErrorLimit: number;
    /** Seconds per dial attempt. Defaults to 10. */
    perDialTimeout: number;
}

/** One Docker host. */
export interface HostSpec {
    /** Host name (also the resource name prefix): `docker01`. */
    name: string;
    ssh: SshSpec;
    /** The parent NIC that carries the macvlan/VLAN traffic and is set promiscuous: `ens33`. */
    nic: string;
    /** Whether `nic` is the interface the controller reaches the host through. Defaults to true. */
    nicIsManagement: boolean;
    /** How the host's network config is persisted. Defaults to `auto`. */
    backend: NetworkBackend;
    /**
     * Directory of the backend's config files (ifcfg: `/etc/sysconfig/network-scripts`, networkd:
     * `/etc/systemd/network`, netplan: `/etc/netplan`, ifupdown: `/etc/network`). Empty with `auto`,
     * which uses each backend's default.
     */
    configDir: string;
}

/** One host's membership of a VLAN. */
export interface VlanMemberSpec {
    host: string;
    /** Address of the VLAN interface on that host, CIDR form: `192.168.10.10/24`. */
    address: string;
}

/** An 802.1Q VLAN on a parent NIC, with the address each member host has on it. */
export interface VlanSpec {
    id: number;
    /** Parent NIC name on every member host: `ens33`. */
    parent: string;
    /** Interface name: `<parent>.<id>`. */
    interfaceName: string;
    members: VlanMemberSpec[];
    /** Next hop on the VLAN; only written when set. */
    gateway?: string;
    /** Whether the VLAN's gateway may become a default route. Defaults to false (`DEFROUTE=no`). */
    defaultRoute: boolean;
}

/** A Docker network declared identically on several hosts. */
export interface NetworkSpec {
    name: string;
    driver: NetworkDriver;
    /** `macvlan_mode` or `ipvlan_mode`. Defaults to `bridge` / `l2`. */
    mode: MacvlanMode | IpvlanMode;
    /** IPv4 subnet in canonical CIDR form: `172.16.10.0/24`. */
    subnet: string;
    gateway: string;
    /** The Docker `parent` option on each host: a NIC (`ens33`) or a VLAN interface (`ens33.10`). */
    parents: Record<string, string>;
    /** The VLAN id when the parent is a VLAN interface of the spec. */
    vlan?: number;
    /** Hosts the network exists on, in spec order. */
    hosts: string[];
    /** Addresses no Docker host may hand out (shims, routers), by name. */
    reserved: Record<string, string>;
    /**
     * Host -> the dynamic range pinned for it in the stack (`networks[i].ranges`): an aligned block
     * of the subnet that the plan gives that host whatever else changes. Defaults to none.
     */
    pinnedRanges?: Record<string, string>;
    /**
     * Plan the network's ranges anew instead of keeping those of the stack's last deployment
     * (`networks[i].replan`). Replaces the network and its containers on every host whose range
     * moves. Defaults to false.
     */
    replan?: boolean;
}

/** An image the registry mirrors: `source` is pulled on the registry host, pushed as `name:tag`. */
export interface MirrorSpec {
    source: string;
    name: string;
    tag: string;
}

/**
 * How daemons reach the registry: "tls" (its own CA and server certificate, trusted through
 * `/etc/docker/certs.d/<address>:<port>/ca.crt`) or "insecure" (plain HTTP, `insecure-registries`
 * in daemon.json, as the tutorial does).
 */
export type RegistrySecurity = "tls" | "insecure";
export const REGISTRY_SECURITY: readonly RegistrySecurity[] = ["tls", "insecure"];

/** A user of the registry (htpasswd, bcrypt). The password is secret config. */
export interface RegistryUserSpec {
    name: string;
    /** Plain text as read from config; the program wraps it in `pulumi.secret` before any use. */
    password: string;
}

/** The private registry. */
export interface RegistrySpec {
    host: string;
    /** Address other daemons reach it at. Defaults to the host's SSH address. */
    address: string;
    port: number;
    /** Registry image. Defaults to `registry:2`. */
    image: string;
    /** Named volume for its data. Defaults to `registry-data`. */
    volume: string;
    /** `<address>:<port>`. */
    endpoint: string;
    mirrors: MirrorSpec[];
    /** Defaults to "tls". */
    security: RegistrySecurity;
    /** htpasswd users; the first is the one the program pushes and pulls with. Defaults to none. */
    users: RegistryUserSpec[];
    /**
     * Move `--insecure-registry` from the docker unit (or a drop-in) into daemon.json and restart
     * dockerd once. Defaults to false: such a unit is an error naming the file and line.
     */
    migrateUnitFlag: boolean;
}

/** A container with its network attachment. */
export interface ContainerSpec {
    name: string;
    host: string;
    network: string;
    /** Static address; undefined means one from the host's dynamic range. */
    ip?: string;
    /** Full image reference: `192.168.1.11:5000/busybox:v1`. */
    image: string;
    /** Command; busybox needs a long-running one. Defaults to `["sleep", "infinity"]`. */
    command: string[];
    restart: RestartPolicy;
}

/** A check that `from` cannot reach `to`. */
export interface IsolationCheckSpec {
    /** `<host>/<container>` */
    from: string;
    to: string;
}

export interface ChecksSpec {
    /** Ping every container from every container on the same network on the other hosts. Defaults to true. */
    connectivity: boolean;
    /** Pairs that must NOT reach each other. */
    isolation: IsolationCheckSpec[];
    /** Echo replies a ping waits for. Defaults to 3. */
    count: number;
    /** Seconds a ping that should be answered may take. Defaults to 5 (isolation pings stop after 1 s). */
    timeoutSeconds: number;
}

/**
 * A host shim: the host's own sub-interface on a network's parent (`mac0@ens33.10`), of the
 * network's driver and mode, with a /32 address reserved in the plan and routes to the network's
 * containers on this host (its planned range and its static addresses), so the host and its own
 * containers can talk (a macvlan parent passes frames only to and from its sub-interfaces).
 */
export interface ShimSpec {
    host: string;
    network: string;
    /** The shim's address (no prefix: it is a /32); reserved on every host of the network. */
    address: string;
    /**
     * Interface name on the host. Defaults to `mac<k>`, k counting the host's shims from 0; a stack
     * that was deployed keeps the default each shim got then (`keepInterfaceNames`).
     */
    name: string;
    /** True when the stack names no interface for the shim: `name` is the default. */
    defaultName?: boolean;
}

/** A pair of routed networks that may talk to each other (both directions). */
export type RoutedPair = readonly [string, string];

/**
 * An inter-VLAN router: on `host`, one sub-interface (a leg) per network on that network's parent
 * there, holding the network's gateway address, IPv4 forwarding on, and a forwarding policy that
 * lets exactly the `allow` pairs talk (and nothing else between the legs). Containers keep their
 * network's gateway, so they reach the other networks through it.
 */
export interface RouterSpec {
    host: string;
    /** The routed networks, in order; each must span `host`. At least two. */
    networks: string[];
    /** Pairs of `networks` that may talk. Defaults to every pair of them. */
    allow: RoutedPair[];
    /**
     * Network name -> its leg's interface name on `host`. Defaults to `rtr<k>` by position in
     * `networks`; a stack that was deployed keeps the default each leg got then (`keepInterfaceNames`).
     */
    legs: Record<string, string>;
    /** The networks whose leg has the default name (the stack's `router.legs` names none for them). */
    defaultLegs?: string[];
}

/** The whole lab. */
export interface LabSpec {
    hosts: HostSpec[];
    vlans: VlanSpec[];
    networks: NetworkSpec[];
    registry?: RegistrySpec;
    containers: ContainerSpec[];
    checks: ChecksSpec;
    /** Host shims. Defaults to none. */
    shims?: ShimSpec[];
    /** The inter-VLAN router, when the lab has one. */
    router?: RouterSpec;
}

/**
 * The parts of a lab that the address plan and the topology diagrams read. A `LabSpec` is one; a
 * program that builds a lab from the components without a stack passes just these.
 */
export type LabParts = Pick<LabSpec, "hosts" | "vlans" | "networks" | "containers"> & {
    registry?: RegistrySpec;
    /** Host shims, whose addresses the plan reserves on every host of their network. Defaults to none. */
    shims?: ShimSpec[];
    /** The inter-VLAN router (its legs hold the networks' gateways). Defaults to none. */
    router?: RouterSpec;
};

/** One problem found in a stack's config. */
export interface ValidationError {
    /** Config path, e.g. `containers[3].ip`. */
    path: string;
    /** The whole sentence: value, why it is wrong, and the fix. */
    message: string;
}

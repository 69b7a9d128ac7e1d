/**
 * The contracts shared by the components, the lab and the tests: one definition of each pattern,
 * path, marker and name that more than one of them relies on. Import from here; never copy.
 */
import { createHash } from "crypto";
import { SAFE_ABSOLUTE_PATH } from "./model/names";

/** The config namespace of the program (the project name): every key of a stack is `macvlan-lab:<key>`. */
export const CONFIG_NAMESPACE = "macvlan-lab";

/** The full name of the program's config key `key`: `macvlan-lab:<key>`. */
export function configKey(key: string): string {
    return `${CONFIG_NAMESPACE}:${key}`;
}

/** A dotted-quad IPv4 address, each part 0 to 255 without leading zeros: `192.168.1.11`. */
export const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

/**
 * A lab's name (`npm run lab -- <stack> --name <lab>`): lower-case letters, digits and `-`, at most
 * 24, so that `<lab>_host_<host>` stays a valid namespace name.
 */
export const LAB_NAME = /^[a-z0-9][a-z0-9-]{0,23}$/;

/**
 * The state directory on a host (`stateDir` of the host and Docker components): what create found
 * before changing anything, for delete, and the installed shell library (`lib/`). The host scripts
 * use its `host/` subdirectory, the registry trust its `registry-trust/`.
 */
export const DEFAULT_STATE_DIR = "/var/lib/macvlan-lab";

/** The `modules-load.d` directory the 8021q script writes `8021q.conf` into. */
export const DEFAULT_MODULES_LOAD_DIR = "/etc/modules-load.d";

/**
 * The hook initscripts' `ifup-post` runs with the interface name after every `ifup` (also at boot):
 * where the ifcfg backend keeps a NIC promiscuous after a reboot (initscripts ignore `PROMISC=yes`).
 */
export const DEFAULT_IFUP_LOCAL = "/sbin/ifup-local";

/**
 * Where systemd units of ours go: the ifcfg backend's unit of a host shim or router leg, the
 * router's unit that restores its forwarding policy at boot.
 */
export const DEFAULT_SYSTEMD_DIR = "/etc/systemd/system";

/** The sysctl.d directory: the router's IPv4 forwarding and a host link's ARP settings at boot. */
export const DEFAULT_SYSCTL_DIR = "/etc/sysctl.d";

/** NetworkManager's dispatcher.d: where the ifcfg and nmcli backends keep a NIC promiscuous when its connection cannot. */
export const DEFAULT_NM_DISPATCHER_DIR = "/etc/NetworkManager/dispatcher.d";

/** systemd-networkd's directory for files of the administrator: the netplan backend's drop-ins go there. */
export const DEFAULT_NETWORKD_DIR = "/etc/systemd/network";

/**
 * The iptables chain of the inter-VLAN router's forwarding policy when the renderer is given none
 * (at most 28 characters). A stack's router has its own ({@link routerChain}).
 */
export const ROUTER_CHAIN = "MACVLAN-LAB-ROUTER";

/** What every router chain's name starts with, this program's of any stack or version: router.sh tells other routers by it. */
export const ROUTER_CHAIN_PREFIX = "MACVLAN-LAB-R";

/**
 * The iptables chain of one router (issue 27: per stack, so one stack's destroy never removes
 * another's policy): `MACVLAN-LAB-R-<12 hex digits of sha256(id)>`, 26 characters; `id` names the
 * router (`<project>/<stack>/<component name>`). Pure.
 */
export function routerChain(id: string): string {
    return `${ROUTER_CHAIN_PREFIX}-${createHash("sha256").update(`macvlan-lab router\0${id}`).digest("hex").slice(0, 12)}`;
}

/**
 * The lab's VLAN emulation marker: a file on a lab host whose kernel has no 802.1Q, listing the
 * VLAN interfaces the lab has pre-created as links (one name per line). The host scripts consult it
 * only when the kernel lacks 802.1Q.
 */
export const DEFAULT_EMULATION_MARKER = "/run/macvlan-lab/vlan-emulation";

/** The alias the lab sets on an emulated VLAN link, so nobody (and no script) takes it for an 802.1Q device. */
export function emulatedVlanLinkAlias(id: number, parent: string): string {
    return `macvlan-lab emulated VLAN ${id} on ${parent}`;
}

/** What a connectivity check expects of a ping. */
export type Reachability = "reachable" | "unreachable";

/** What a ping showed: "error" when it could not be run (container missing or stopped, time-out). */
export type Observed = Reachability | "error";

/**
 * One row of the check matrix: the program's `checks` stack output, which the lab prints
 * (`pulumi stack output checks`).
 */
export interface CheckRow {
    /** `<host>/<container>` the ping ran in. */
    source: string;
    /** `<host>/<container>` pinged. */
    target: string;
    /** The network the ping crosses (`mac_net10`, or `<from>-><to>` for an isolation check). */
    network: string;
    targetIp: string;
    expected: Reachability;
    observed: Observed;
    /** observed === expected */
    ok: boolean;
}

/** Throws unless `value` is an absolute path of safe characters without `..` (and not `/`). */
export function checkStatePath(what: string, value: string): void {
    if (!SAFE_ABSOLUTE_PATH.test(value) || value === "/") {
        throw new Error(`${what} ${JSON.stringify(value)} is not an absolute path of safe characters ([a-zA-Z0-9_./-], no ..)`);
    }
}

/** How a container is named across the lab, `<host>/<container>` (isolation checks, the check matrix). */
export const CONTAINER_REF = /^[a-zA-Z0-9-]+\/[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** `<host>/<container>`, the key of a container across the lab. */
export function containerKey(c: { host: string; name: string }): string {
    return `${c.host}/${c.name}`;
}

/** A container as the isolation rule sees it. */
export interface IsolationEnd {
    host: string;
    name: string;
    network: string;
}

/**
 * The rule of an isolation check, which the validation (`checks.isolation`) and the check matrix
 * both apply: two different containers on different networks (two on one network are meant to reach
 * each other). Returns what is wrong as the rest of a sentence about `to` (`<to> is on ...`), naming
 * `from` as `fromLabel`, or undefined when the pair is a valid check.
 */
export function isolationPairProblem(from: IsolationEnd, to: IsolationEnd, fromLabel = "from"): string | undefined {
    if (from.host === to.host && from.name === to.name) {
        return `is also ${fromLabel}: the check would test a container against itself; name two different containers`;
    }
    if (from.network === to.network) {
        return `is on ${from.network} like ${fromLabel} ${containerKey(from)}, so they are meant to reach each other; an isolation check needs containers on different networks`;
    }
    return undefined;
}

/**
 * Whether a router's policy (`allow`: pairs of networks, either order) lets networks `a` and `b`
 * talk: the one reading of `router.allow` for the validation, the plan's checks and the router.
 */
export function routerAllows(allow: ReadonlyArray<readonly [string, string]>, a: string, b: string): boolean {
    return allow.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
}

/**
 * The rest of the sentence about an isolation check between networks `a` and `b` that the router
 * lets talk (see {@link routerAllows}), after its path and pair: one wording for the validation
 * (`checks.isolation[i]`) and the check matrix (`isolation[i]`). `through` names the router's host
 * when it is known.
 */
export function routedIsolationProblem(a: string, b: string, through?: string): string {
    return `expects ${a} and ${b} to be isolated, but router.allow lets them talk${through !== undefined ? ` through ${through}` : ""}; drop the check or take the pair [${a}, ${b}] out of router.allow`;
}

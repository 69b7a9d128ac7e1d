/**
 * The read-only preflight of one host, rendered (pure): what the stack will put on the host, and
 * the command that checks the host can take it. Its code is components/scripts/preflight/preflight.sh
 * (see its header for what it checks and prints); it runs before anything changes on any host, so
 * before the shell library is installed (an install is a change), and reaches the host on the
 * command's stdin. The create stays a thin script of the host's inputs, so a failed preflight's
 * error (which quotes the create) is short and its PROBLEM lines stand out.
 */
import { shellQuote } from "../shell";
import { HostSpec, LabSpec } from "../model/types";
import { DEFAULT_EMULATION_MARKER, DEFAULT_STATE_DIR } from "../contracts";
import { PREFLIGHT_SCRIPT, scriptFile } from "../scripts";
import { DEFAULT_CONFIG_DIRS } from "../model/validate";
import { registrySecurity } from "../docker/registrySecurity";

/** The library file with the rules that tell which network stack manages a NIC (backend auto). */
export const DETECT_SCRIPT = "host/backends/detect.sh";

/** The name of the registry's container (`PrivateRegistry`'s default, the tutorial's). */
export const REGISTRY_CONTAINER = "registry";

/** The label every Docker network and container of a stack carries: `<project>/<stack>`. */
export const STACK_LABEL = "dev.macvlan-lab.stack";

/**
 * The lowest Docker Engine API the program needs: Docker 20.10 (API 1.41), the oldest release the
 * Docker provider 5.x and macvlan networks with `ip-range` and aux addresses are tested with.
 */
export const MIN_DOCKER_API = "1.41";

/** A Docker network the stack declares on the host. */
export interface PreflightNetwork {
    name: string;
    driver: string;
    /** The parent link of the network on this host (the NIC or a VLAN interface). */
    parent: string;
    subnet: string;
    gateway: string;
    /** The `pulumi import ...` command that adopts an existing network that matches, `{id}` where its id goes. */
    importCommand: string;
}

/** A container the stack declares on the host. */
export interface PreflightContainer {
    name: string;
    network: string;
    /** Its static address, when the stack gives one. */
    ip?: string;
    image: string;
    /** The `pulumi import ...` command that adopts an existing container that matches, `{id}` where its id goes. */
    importCommand: string;
}

/** Everything the preflight of one host compares the host with. */
export interface PreflightFacts {
    host: HostSpec;
    /** The host's entry in the config, `hosts[name=docker01]`: the fixes name it (by name, not position). */
    hostPath: string;
    /** The VLAN ids this host gets. */
    vlanIds: number[];
    networks: PreflightNetwork[];
    containers: PreflightContainer[];
    /** The registry's published port, on the registry host only. */
    registryPort?: number;
    /**
     * The registry's named volume, on the registry host only: one that exists and is not this
     * stack's (its label, or a container of the stack mounting it) is a problem, not adopted (a
     * destroy would delete it with the images in it).
     */
    registryVolume?: string;
    /** True when the host will trust a plain-HTTP registry through daemon.json. */
    trustsInsecureRegistry: boolean;
    /** True when a `--insecure-registry` in the docker unit will be migrated (registry.migrateUnitFlag). */
    migrateUnitFlag: boolean;
    /** The stack label's value of this stack: `<project>/<stack>`. */
    stackId: string;
    /** The local lab's VLAN emulation marker. Defaults to the lab's path. */
    emulationMarker?: string;
    /**
     * The host scripts' state directory (`stateDir` of the host components), where backend auto
     * records the backend each component was made with. Defaults to `/var/lib/macvlan-lab`.
     */
    stateDir?: string;
}

let scriptText: string | undefined;

/**
 * What the preflight runs, as it is in the repo (read once): the network stack rules of backend
 * auto (host/backends/detect.sh, the one definition the host scripts use too), then preflight.sh.
 */
export function preflightScriptBody(): string {
    scriptText ??= `${scriptFile(DETECT_SCRIPT)}${scriptFile(PREFLIGHT_SCRIPT)}`;
    return scriptText;
}

/** Values that go into a `|`-separated record: no separator, no line break, not empty. */
function field(what: string, value: string): string {
    if (value === "" || /[|\n\r\0]/.test(value)) {
        throw new Error(`preflight: ${what} ${JSON.stringify(value)} cannot go into a record (empty, or holds | or a line break)`);
    }
    return value;
}

/** What the preflight's command runs: a thin `create` and its `stdin`. */
export interface PreflightScript {
    /**
     * `set -u`, the title, the host's scalar inputs as single-quoted assignments, then it reads its
     * stdin, runs it with `eval` (it defines functions and the two tables) and calls `preflight_run`.
     */
    create: string;
    /** `NETWORKS=...` and `CONTAINERS=...` (the stack's objects on the host, one record a line), then preflight.sh. */
    stdin: string;
}

/** The preflight of one host: its thin create (the host's inputs, quoted) and its stdin (the tables and preflight.sh). Pure. */
export function renderPreflight(f: PreflightFacts): PreflightScript {
    const networks = f.networks
        .map((n) => [n.name, n.driver, n.parent, n.subnet, n.gateway, n.importCommand].map((v, i) => field(`network ${n.name} field ${i + 1}`, v)).join("|"))
        .join("\n");
    const containers = f.containers
        .map((c) => [c.name, c.network, c.ip ?? "", c.image, c.importCommand].map((v, i) => (i === 2 && v === "" ? "" : field(`container ${c.name} field ${i + 1}`, v))).join("|"))
        .join("\n");
    const vars: Array<[string, string | number]> = [
        ["HOST", f.host.name],
        ["HOST_PATH", f.hostPath],
        ["BACKEND", f.host.backend],
        ["CONFIG_DIR", f.host.configDir],
        ["NIC", f.host.nic],
        ["VLAN_IDS", f.vlanIds.join(" ")],
        ["EMULATION_MARKER", f.emulationMarker ?? DEFAULT_EMULATION_MARKER],
        ["MIN_API", MIN_DOCKER_API],
        ["LABEL_KEY", STACK_LABEL],
        ["STACK_ID", f.stackId],
        ["REGISTRY_PORT", f.registryPort ?? ""],
        ["REGISTRY_VOLUME", f.registryVolume ?? ""],
        ["TRUST_INSECURE", f.trustsInsecureRegistry ? "yes" : "no"],
        ["UNIT_FLAG_OK", f.migrateUnitFlag ? "yes" : "no"],
        ["STATE_HOST", `${f.stateDir ?? DEFAULT_STATE_DIR}/host`],
        // what detect.sh reads: where ifcfg files and ifupdown's interfaces are, the lab's marker
        ["cfg_dir", f.host.backend === "ifcfg" ? f.host.configDir : DEFAULT_CONFIG_DIRS.ifcfg],
        ["ifu_dir", f.host.backend === "ifupdown" ? f.host.configDir : DEFAULT_CONFIG_DIRS.ifupdown],
        ["marker", f.emulationMarker ?? DEFAULT_EMULATION_MARKER],
    ];
    if (/[\n\r]/.test(f.host.name)) throw new Error(`preflight: host name ${JSON.stringify(f.host.name)} has a line break`);
    const create = [
        "# shellcheck disable=SC2034 # the inputs are read by preflight.sh, which arrives on stdin",
        "set -u",
        `# macvlan-lab: preflight of ${f.host.name} (read-only); its code (${PREFLIGHT_SCRIPT}) and the stack's objects here arrive on stdin`,
        ...vars.map(([k, v]) => `${k}=${shellQuote(v)}`),
        "code=$(cat)",
        `if ! eval "$code" || ! command -v preflight_run >/dev/null 2>&1; then echo "ERROR: preflight of $HOST: its code did not arrive whole on stdin" >&2; exit 2; fi`,
        "preflight_run",
        "",
    ].join("\n");
    const stdin = `NETWORKS=${shellQuote(networks)}\nCONTAINERS=${shellQuote(containers)}\n${preflightScriptBody()}`;
    return { create, stdin };
}

/**
 * The URN of a child of the resource `parentUrn`, as the engine forms it: the parent's type chain,
 * `$`, the child's type. Pure: the preflight needs the URNs of resources that wait for it.
 */
export function childUrn(parentUrn: string, type: string, name: string): string {
    const m = /^urn:pulumi:(.*?)::(.*?)::(.*)::(.*)$/.exec(parentUrn);
    if (!m) throw new Error(`not a URN: ${JSON.stringify(parentUrn)}`);
    return `urn:pulumi:${m[1]}::${m[2]}::${m[3]}$${type}::${name}`;
}

/** `pulumi import` of a Docker network or container of the stack, `{id}` where the found id goes. Pure. */
export function importCommand(kind: "network" | "container", logicalName: string, parentUrn: string, providerUrn: string): string {
    const token = kind === "network" ? "docker:index/network:Network" : "docker:index/container:Container";
    return `pulumi import ${token} ${logicalName} {id} --parent ${shellQuote(`parent=${parentUrn}`)} --provider ${shellQuote(`docker=${providerUrn}`)}`;
}

/** What the preflight of `host` compares with, from the validated spec (import commands filled by the caller). */
export function preflightFactsOf(
    spec: LabSpec,
    host: HostSpec,
    stackId: string,
    imports: { network: (network: string) => string; container: (container: string) => string; registry?: () => string },
    migrateUnitFlag = false,
): PreflightFacts {
    const vlanIds = spec.vlans.filter((v) => v.members.some((m) => m.host === host.name)).map((v) => v.id).sort((a, b) => a - b);
    const networks = spec.networks
        .filter((n) => n.hosts.includes(host.name))
        .map((n) => ({ name: n.name, driver: n.driver, parent: n.parents[host.name], subnet: n.subnet, gateway: n.gateway, importCommand: imports.network(n.name) }))
        // by name: the order of the stack's lists must not change a host's preflight
        .sort((a, b) => a.name.localeCompare(b.name));
    const containers = spec.containers
        .filter((c) => c.host === host.name)
        .map((c): PreflightContainer => ({ name: c.name, network: c.network, ip: c.ip, image: c.image, importCommand: imports.container(c.name) }))
        .sort((a, b) => a.name.localeCompare(b.name));
    // the registry runs as a container of its own on Docker's default bridge network
    if (spec.registry?.host === host.name && imports.registry !== undefined) {
        containers.push({ name: REGISTRY_CONTAINER, network: "bridge", image: spec.registry.image, importCommand: imports.registry() });
    }
    return {
        host,
        // by name, not position: reordering the hosts must not change a host's preflight (its script)
        hostPath: `hosts[name=${host.name}]`,
        vlanIds,
        networks,
        containers,
        registryPort: spec.registry?.host === host.name ? spec.registry.port : undefined,
        ...(spec.registry?.host === host.name ? { registryVolume: spec.registry.volume } : {}),
        trustsInsecureRegistry: spec.registry !== undefined && registrySecurity(spec.registry.security).listedInsecure,
        migrateUnitFlag,
        stackId,
    };
}

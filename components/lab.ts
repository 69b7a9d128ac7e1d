import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { LabSpec, ContainerSpec } from "./spec/types";
import { LabPlan, PlanMemory, planLab, planMemoryOf } from "./spec/plan";
import { LabConfigError } from "./spec/validate";
import { parseImageReference } from "./spec/names";
import { remoteConnection } from "./connection";
import { HostNetworking } from "./host/hostNetworking";
import { HostShim } from "./host/hostShim";
import { InterVlanRouter } from "./host/interVlanRouter";
import { shimRoutes } from "./host/routing";
import { HostLibrary } from "./scripts/hostLibrary";
import { DockerSshOptions, dockerProvider, insecureRegistryAuth, tlsRegistryAuth } from "./docker/provider";
import { RegistryTls } from "./docker/registryTls";
import { ControllerCaTrust, controllerCaDirProblem, controllerCaFileName } from "./docker/controllerTrust";
import { MacvlanNetwork, NetworkHostTarget } from "./docker/macvlanNetwork";
import { PrivateRegistry } from "./docker/registry";
import { LabContainer } from "./docker/container";
import { RegistryTrust } from "./docker/registryTrust";
import { ConnectivityCheck } from "./docker/connectivityCheck";
import { CheckRow } from "./docker/checks";
import { HostPreflight, STACK_LABEL, childUrn, importCommand, preflightFactsOf } from "./preflight";
import { HostVerify } from "./verify/hostVerify";
import { DriftRow, HostVerifyInput } from "./verify/render";

export interface MacvlanLabArgs {
    /** The validated lab (from `loadLab`). Decides which resources exist and how they are named. */
    spec: LabSpec;
    /** Private key the controller logs in to every host with. Kept a secret. */
    privateKey: pulumi.Input<string>;
    /** ssh options of the Docker providers (key file, known_hosts). Defaults to the ssh client's own. */
    docker?: DockerSshOptions;
    /**
     * The value of the `dev.macvlan-lab.stack` label on every Docker network and container the lab
     * makes; the preflight tells the stack's own objects from leftovers by it. Defaults to
     * `<project>/<stack>`.
     */
    stackId?: string;
    /**
     * With `registry.security` tls and mirrors: a directory on the machine running Pulumi, named in
     * the `SSL_CERT_DIR` that `pulumi` runs with, where the registry's CA is written for the Docker
     * provider's digest check (see `ControllerCaTrust`). Required then; unused otherwise.
     */
    controllerCaDir?: string;
    /**
     * The address plan (`planLab(spec, { memory })`), when the caller has made it already. Defaults
     * to `planLab(spec, { memory })`.
     */
    plan?: LabPlan;
    /**
     * The ranges of the stack's last deployment (`parsePlanMemory` of its `addressPlan` output):
     * with it, every host keeps its dynamic range on every network while hosts, containers, shims
     * and networks are added, removed or reordered around it. Unused when `plan` is given. Defaults
     * to none: a fresh plan, which moves ranges when the hosts of a network change.
     */
    memory?: PlanMemory;
    /**
     * A verify request (`macvlan-lab:verify`): each host gets a read-only `HostVerify` that runs
     * every check of the host's steps and reads its Docker objects and registry trust when it is
     * made and whenever this value changes, never otherwise. Its findings are `verification`.
     * Defaults to none: no verify.
     */
    verify?: string;
    /**
     * A repair request (`macvlan-lab:repair`): a new value runs the idempotent create of every
     * command that changes a host again (each says `nothing changed` or `changed: ...`), so what
     * drifted is put back and nothing else changes; the checks run again too. Defaults to none.
     */
    repair?: string;
    /**
     * With `repair`: the hosts whose registry trust must be read again (their daemon.json changed
     * under the stack; a re-run alone would refuse to write over that change): the program passes
     * the hosts where the last verify found the trust drifted. Defaults to none.
     */
    rereadTrust?: string[];
}

/** What a verify found: the request, per host how many checks ran, and every finding. */
export interface Verification {
    request: string;
    hosts: Record<string, { steps: number; complete: boolean }>;
    drift: DriftRow[];
}

/** The values a verify or repair request may have: what `date +%s` or a short word gives. */
export const REQUEST = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/**
 * A repair request on every remote command of the lab that changes a host: its create gets a last
 * comment line naming the request, so a new request is an update and Pulumi runs the create again
 * (idempotent: only what drifted changes). Not the read-only ones (preflights, the trust's read,
 * verifies); the trust's read of `reread` hosts gets the request in its triggers instead (it is
 * replaced, and the daemon.json written anew from a fresh read). Pure.
 */
export function repairTransformation(request: string, reread: readonly string[]): pulumi.ResourceTransformation {
    return (a) => {
        if (a.type !== "command:remote:Command") return undefined;
        if (/-trust-inspect$/.test(a.name)) {
            const host = reread.find((h) => a.name.endsWith(`-${h}-trust-inspect`));
            if (host === undefined) return undefined;
            return { props: { ...a.props, triggers: pulumi.output(a.props.triggers).apply((t: unknown[] | undefined) => [...(t ?? []), `repair ${request}`]) }, opts: a.opts };
        }
        if (/-(preflight-check|verify-read)$/.test(a.name) || a.props.create === undefined) return undefined;
        const create = pulumi.output(a.props.create).apply((c: string | undefined) => (c === undefined ? c : `${c.replace(/\n?$/, "\n")}# macvlan-lab repair request ${request}\n`));
        return { props: { ...a.props, create }, opts: a.opts };
    };
}

/** What a user wants to see of one host after `pulumi up`. */
export interface HostSummary {
    networks: Record<string, { subnet: string; gateway: string; parent: string; ipRange: string }>;
    containers: Record<string, { network: string; address: pulumi.Output<string> }>;
    /** The host's shims by network: interface, address, what it routes, how it is kept. */
    shims?: Record<string, { interfaceName: string; address: string; routes: string[]; persistence: string }>;
    /** When the host is the router: its legs by network, the allowed pairs, how the legs are kept. */
    router?: { legs: Record<string, string>; allow: Array<[string, string]>; persistence: string };
}

/**
 * The whole tutorial as one component: per host its networking (promiscuous NIC, 8021q, VLAN
 * interfaces), a Docker provider over ssh:// and the registry trust; the macvlan networks on every
 * host with planned IPAM; the private registry and its mirrored images; each host's image pulls and
 * containers; and the connectivity checks, last.
 */
export class MacvlanLab extends pulumi.ComponentResource {
    public readonly plan: LabPlan;
    /** Every network's subnet and ranges: export it as `addressPlan` and pass it back as `memory`. */
    public readonly addressPlan: PlanMemory;
    /** Per host: the shell library every remote script of that host sources (installed first). */
    public readonly libraries: Record<string, HostLibrary> = {};
    public readonly hostNetworking: Record<string, HostNetworking> = {};
    public readonly providers: Record<string, docker.Provider> = {};
    public readonly trust: Record<string, RegistryTrust> = {};
    public readonly networks: Record<string, MacvlanNetwork> = {};
    public readonly registry?: PrivateRegistry;
    /** With registry.security tls: the CA, certificate and users on the registry host. */
    public readonly registryTls?: RegistryTls;
    /** With tls and mirrors: the CA where Pulumi runs, for the digest check. */
    public readonly controllerCa?: ControllerCaTrust;
    /** `<host>/<container>` -> container. */
    public readonly containers: Record<string, LabContainer> = {};
    public readonly checks?: ConnectivityCheck;
    /** Per host: its networks (with the planned range) and containers (with addresses). */
    public readonly summary: Record<string, HostSummary> = {};
    /** The check matrix: source, target, network, expected, observed. */
    public readonly checkMatrix: pulumi.Output<CheckRow[]>;
    /** `<address>:<port>` of the registry, when the lab has one. */
    public readonly registryEndpoint?: string;
    /** Per host: its read-only preflight, which every change on every host waits for. */
    public readonly preflights: Record<string, HostPreflight> = {};
    /** `<host>/<network>` -> the host shim there. */
    public readonly shims: Record<string, HostShim> = {};
    /** The inter-VLAN router, when the lab has one. */
    public readonly router?: InterVlanRouter;
    /** With `verify`: what the verify of every host found (read-only). */
    public readonly verification?: pulumi.Output<Verification>;

    constructor(name: string, args: MacvlanLabArgs, opts?: pulumi.ComponentResourceOptions) {
        for (const [key, value] of [["verify", args.verify], ["repair", args.repair]] as const) {
            if (value !== undefined && !REQUEST.test(value)) {
                throw new Error(`MacvlanLab ${name}: ${key} ${JSON.stringify(value)} is not a request; use letters, digits and . _ : - (at most 64), such as $(date +%s)`);
            }
        }
        super("macvlan-lab:index:MacvlanLab", name, {}, {
            ...opts,
            // children inherit it: every command of the lab, in every component
            transformations: [...(opts?.transformations ?? []), ...(args.repair ? [repairTransformation(args.repair, args.rereadTrust ?? [])] : [])],
        });
        const spec = args.spec;
        const { plan, errors } = args.plan !== undefined ? { plan: args.plan, errors: [] } : planLab(spec, { memory: args.memory });
        if (errors.length > 0) {
            throw new pulumi.ResourceError(new LabConfigError(errors).message, this);
        }
        this.plan = plan;
        this.addressPlan = planMemoryOf(plan);
        const privateKey = pulumi.secret(args.privateKey);
        const stackId = args.stackId ?? `${pulumi.getProject()}/${pulumi.getStack()}`;
        const labels = [{ label: STACK_LABEL, value: stackId }];

        // First the read-only preflight of every host; nothing that changes any host starts before
        // all of them passed (the Docker providers and the first command of each host wait for them).
        // The URN as a plain value: an output of `this.urn` would make each preflight wait for every
        // child of this component, some of which wait for the preflights.
        const labUrn = pulumi.output(new Promise<string>((resolve) => this.urn.apply(resolve)));
        for (const host of spec.hosts) {
            const facts = labUrn.apply((labUrn) => {
                const provider = childUrn(labUrn, "pulumi:providers:docker", `${name}-${host.name}-docker`);
                return preflightFactsOf(
                    spec,
                    host,
                    stackId,
                    {
                        network: (n) => importCommand("network", `${name}-${n}-${host.name}`, childUrn(labUrn, "macvlan-lab:docker:MacvlanNetwork", `${name}-${n}`), provider),
                        container: (c) => importCommand("container", `${name}-${host.name}-${c}-container`, childUrn(labUrn, "macvlan-lab:docker:Container", `${name}-${host.name}-${c}`), provider),
                        registry: () => importCommand("container", `${name}-registry-container`, childUrn(labUrn, "macvlan-lab:docker:PrivateRegistry", `${name}-registry`), provider),
                    },
                    spec.registry?.migrateUnitFlag ?? false,
                );
            });
            this.preflights[host.name] = new HostPreflight(`${name}-${host.name}-preflight`, { connection: remoteConnection(host.ssh, privateKey), facts }, { parent: this });
        }
        const preflights = Object.values(this.preflights).map((p) => p.command);

        for (const host of spec.hosts) {
            this.libraries[host.name] = new HostLibrary(
                `${name}-${host.name}-lib`,
                { connection: remoteConnection(host.ssh, privateKey), endpoint: `${host.ssh.address}:${host.ssh.port}` },
                { parent: this, dependsOn: preflights },
            );
        }

        // registry.security tls: the CA and the server certificate made on the registry host (the
        // keys never leave it), its users, and the CA where Pulumi runs for the digest check
        const reg = spec.registry;
        const regHost = reg ? spec.hosts.find((h) => h.name === reg.host) : undefined;
        if (reg && regHost && reg.security === "tls") {
            if (reg.users.length === 0) {
                // allowed (a lab's registry), but said on every run: TLS alone keeps no one from pushing
                void pulumi.log.warn(
                    `registry ${reg.endpoint}: security tls without users: the registry asks for no login, so anyone who reaches the port can push images that every host then runs; declare registry.users (passwords as secrets)`,
                    this,
                );
            }
            this.registryTls = new RegistryTls(
                `${name}-registry-tls`,
                { connection: remoteConnection(regHost.ssh, privateKey), address: reg.address, port: reg.port, users: reg.users, library: this.libraries[reg.host] },
                { parent: this, dependsOn: preflights },
            );
            if (reg.mirrors.length > 0) {
                if (args.controllerCaDir === undefined) {
                    throw new pulumi.ResourceError(controllerCaDirProblem(undefined) ?? "controllerCaDir is not set", this);
                }
                this.controllerCa = new ControllerCaTrust(
                    `${name}-controller-ca`,
                    {
                        dir: args.controllerCaDir,
                        file: controllerCaFileName(pulumi.getProject(), pulumi.getStack(), reg.endpoint),
                        caCertificate: this.registryTls.caCertificate,
                    },
                    { parent: this },
                );
            }
        }

        for (const host of spec.hosts) {
            const vlans = spec.vlans.filter((v) => v.members.some((m) => m.host === host.name));
            const connection = remoteConnection(host.ssh, privateKey);
            this.hostNetworking[host.name] = new HostNetworking(
                `${name}-${host.name}`,
                { host, vlans, privateKey, library: this.libraries[host.name] },
                { parent: this, dependsOn: preflights },
            );
            if (spec.registry) {
                this.trust[host.name] = new RegistryTrust(
                    `${name}-${host.name}-trust`,
                    {
                        connection,
                        endpoint: spec.registry.endpoint,
                        security: spec.registry.security,
                        migrateUnitFlag: spec.registry.migrateUnitFlag,
                        library: this.libraries[host.name],
                        ...(this.registryTls ? { caCertificate: this.registryTls.caCertificate } : {}),
                    },
                    { parent: this, dependsOn: preflights },
                );
            }
            // every Docker resource of the host waits for its daemon configuration: with
            // migrateUnitFlag the trust restarts dockerd, which no Docker call may overlap
            const user = reg?.users[0];
            const registryAuth = !reg ? [] : reg.security === "insecure" ? [insecureRegistryAuth(reg.endpoint)] : [tlsRegistryAuth(reg.endpoint, user)];
            this.providers[host.name] = dockerProvider(
                `${name}-${host.name}-docker`,
                host,
                args.docker ?? {},
                { parent: this, dependsOn: [...preflights, ...(this.trust[host.name]?.ready ?? [])] },
                registryAuth,
            );
            this.summary[host.name] = { networks: {}, containers: {} };
        }

        for (const n of spec.networks) {
            const targets: Record<string, NetworkHostTarget> = {};
            for (const h of n.hosts) {
                const net = this.hostNetworking[h];
                const parent = n.parents[h];
                const vlan = net.vlanInterfaces[parent];
                targets[h] = {
                    provider: this.providers[h],
                    dependsOn: vlan ? vlan.ready : net.parentInterface.ready,
                    // a replaced VLAN interface (ip link delete) replaces the network and its containers
                    ...(vlan ? { parentRevision: vlan.revision } : {}),
                };
                this.summary[h].networks[n.name] = {
                    subnet: n.subnet,
                    gateway: n.gateway,
                    parent,
                    ipRange: plan.networks[n.name].ranges[h],
                };
            }
            this.networks[n.name] = new MacvlanNetwork(`${name}-${n.name}`, { network: n, plan, hosts: targets, labels }, { parent: this });
        }

        // host shims and the router: links on the networks' parents, after those parents are up
        const parentReady = (host: string, parent: string): pulumi.Resource[] => {
            const net = this.hostNetworking[host];
            return net.vlanInterfaces[parent]?.ready ?? net.parentInterface.ready;
        };
        const parentRevision = (host: string, parent: string): pulumi.Output<string> | undefined => this.hostNetworking[host].vlanInterfaces[parent]?.revision;
        const hostOf = new Map(spec.hosts.map((h) => [h.name, h]));
        const networkOf = new Map(spec.networks.map((n) => [n.name, n]));
        for (const s of spec.shims ?? []) {
            const n = networkOf.get(s.network)!;
            const shim = new HostShim(
                `${name}-${s.host}-shim-${s.network}`,
                {
                    host: hostOf.get(s.host)!,
                    network: n,
                    address: s.address,
                    name: s.name,
                    routes: shimRoutes(plan, s.network, s.host, spec.containers),
                    privateKey,
                    library: this.libraries[s.host],
                    // a replaced VLAN interface (ip link delete) replaces the shim on it
                    parentRevision: parentRevision(s.host, n.parents[s.host]),
                },
                { parent: this, dependsOn: parentReady(s.host, n.parents[s.host]) },
            );
            this.shims[`${s.host}/${s.network}`] = shim;
            this.summary[s.host].shims ??= {};
            this.summary[s.host].shims![s.network] = { interfaceName: shim.interfaceName, address: shim.address, routes: shim.routes, persistence: shim.persistence };
        }
        if (spec.router) {
            const r = spec.router;
            const networks = r.networks.map((x) => networkOf.get(x)!);
            this.router = new InterVlanRouter(
                `${name}-router`,
                {
                    host: hostOf.get(r.host)!,
                    networks,
                    allow: r.allow,
                    legs: r.legs,
                    parentRevisions: Object.fromEntries(
                        networks.flatMap((n) => {
                            const rev = parentRevision(r.host, n.parents[r.host]);
                            return rev === undefined ? [] : [[n.name, rev]];
                        }),
                    ),
                    privateKey,
                    library: this.libraries[r.host],
                },
                { parent: this, dependsOn: networks.flatMap((n) => parentReady(r.host, n.parents[r.host])) },
            );
            this.summary[r.host].router = { legs: this.router.legs, allow: this.router.allow.map(([a, b]) => [a, b]), persistence: this.router.persistence };
        }

        const registry = spec.registry;
        if (registry) {
            this.registryEndpoint = registry.endpoint;
            this.registry = new PrivateRegistry(
                `${name}-registry`,
                {
                    registry,
                    labels,
                    provider: this.providers[registry.host],
                    pushDependsOn: [...this.trust[registry.host].ready, ...(this.controllerCa ? [this.controllerCa.command] : [])],
                    ...(this.registryTls
                        ? { tls: { tlsDir: this.registryTls.tlsDir, authDir: this.registryTls.authDir, fingerprint: this.registryTls.fingerprint, ready: this.registryTls.ready } }
                        : {}),
                },
                { parent: this },
            );
        }

        // One pull per (host, image); images from the stack's registry wait for the push and trust.
        const pulls = new Map<string, docker.RemoteImage>();
        const pullOf = (c: ContainerSpec): docker.RemoteImage => {
            const key = `${c.host} ${c.image}`;
            let pull = pulls.get(key);
            if (!pull) {
                const ref = parseImageReference(c.image);
                const fromRegistry = registry !== undefined && ref?.registry === registry.endpoint;
                const push = fromRegistry ? this.registry?.pushes[`${ref.repository}:${ref.tag ?? "latest"}`] : undefined;
                pull = new docker.RemoteImage(
                    `${name}-${c.host}-pull-${slug(c.image)}`,
                    {
                        name: c.image,
                        // images from the lab's registry are the lab's own: removed on destroy
                        keepLocally: !fromRegistry,
                        // a mirror pushed again (another source) is pulled again, and the containers
                        // on it follow (their image is this pull's id)
                        ...(push ? { pullTriggers: [push.sha256Digest] } : {}),
                    },
                    {
                        parent: this,
                        provider: this.providers[c.host],
                        dependsOn: fromRegistry ? [...(push ? [push] : []), ...this.trust[c.host].ready] : [],
                        // the provider removes an image by the id its name points to: made anew
                        // first, the old pull's delete would find the new image (same name) in use by
                        // the new containers and fail; so the containers and the old image go first
                        ...(push ? { deleteBeforeReplace: true } : {}),
                    },
                );
                pulls.set(key, pull);
            }
            return pull;
        };

        for (const c of spec.containers) {
            const lc = new LabContainer(
                `${name}-${c.host}-${c.name}`,
                {
                    container: c,
                    labels,
                    provider: this.providers[c.host],
                    image: pullOf(c).imageId,
                    networkId: this.networks[c.network].networks[c.host].id,
                },
                { parent: this },
            );
            this.containers[`${c.host}/${c.name}`] = lc;
            this.summary[c.host].containers[c.name] = { network: c.network, address: lc.address };
        }

        if (spec.containers.length > 0 && (spec.checks.connectivity || spec.checks.isolation.length > 0)) {
            this.checks = new ConnectivityCheck(
                `${name}-checks`,
                {
                    spec,
                    containers: this.containers,
                    connections: Object.fromEntries(spec.hosts.map((h) => [h.name, remoteConnection(h.ssh, privateKey)])),
                    libraries: this.libraries,
                    after: [...Object.values(this.shims).flatMap((x) => x.ready), ...(this.router?.ready ?? [])],
                },
                { parent: this },
            );
            this.checkMatrix = this.checks.matrix;
        } else {
            this.checkMatrix = pulumi.output([]);
        }

        if (args.verify) {
            this.verification = this.declareVerify(name, args.verify, spec, plan, privateKey, stackId);
        }

        this.registerOutputs({
            verification: this.verification,
            summary: this.summary,
            registryEndpoint: this.registryEndpoint,
            checkMatrix: this.checkMatrix,
            addressPlan: this.addressPlan,
        });
    }

    /** A read-only verify per host (see `MacvlanArgs.verify`), after everything on it; their findings together. */
    private declareVerify(name: string, request: string, spec: LabSpec, plan: LabPlan, privateKey: pulumi.Output<string>, stackId: string): pulumi.Output<Verification> {
        const verifies: Record<string, HostVerify> = {};
        for (const host of spec.hosts) {
            const net = this.hostNetworking[host.name];
            const steps: Array<{ name: string; check: string }> = [
                { name: `${name}-${host.name}-parent-promisc`, check: net.parentInterface.scripts.check },
                ...(net.kernelModule ? [{ name: `${name}-${host.name}-8021q-load`, check: net.kernelModule.scripts.check }] : []),
                ...Object.values(net.vlanInterfaces).map((v) => ({ name: `${name}-${host.name}-${v.interfaceName}-config`, check: v.scripts.check })),
                ...Object.entries(this.shims)
                    .filter(([key]) => key.startsWith(`${host.name}/`))
                    .map(([key, shim]) => ({ name: `${name}-${host.name}-shim-${key.split("/")[1]}-link`, check: shim.scripts.check })),
                ...(this.router && this.router.host === host.name
                    ? Object.entries(this.router.scripts).map(([step, scripts]) => ({ name: `${name}-router-${step}`, check: scripts.check }))
                    : []),
            ];
            const reg = spec.registry;
            const trust: pulumi.Input<HostVerifyInput["trust"]> = !reg
                ? undefined
                : reg.security === "insecure"
                  ? { kind: "insecure" as const, daemonJson: "/etc/docker/daemon.json", endpoint: reg.endpoint }
                  : this.registryTls!.caCertificate.apply((pem) => ({ kind: "ca" as const, file: `/etc/docker/certs.d/${reg.endpoint}/ca.crt`, sha256: createHash("sha256").update(pem).digest("hex") }));
            const after = [
                ...net.ready,
                ...Object.values(this.containers).map((c) => c.container),
                ...(this.trust[host.name]?.ready ?? []),
                ...Object.entries(this.shims).filter(([key]) => key.startsWith(`${host.name}/`)).flatMap(([, x]) => x.ready),
                ...(this.router?.host === host.name ? this.router.ready : []),
                ...(this.registry ? [this.registry.container] : []),
            ];
            verifies[host.name] = new HostVerify(
                `${name}-${host.name}-verify`,
                {
                    connection: remoteConnection(host.ssh, privateKey),
                    library: this.libraries[host.name],
                    request,
                    input: pulumi.output(trust).apply((t) => ({
                        host: host.name,
                        steps,
                        ...verifyExpectations(spec, plan, host.name),
                        stackLabel: { key: STACK_LABEL, value: stackId },
                        ...(t !== undefined ? { trust: t } : {}),
                    })),
                    after,
                },
                { parent: this },
            );
        }
        return pulumi
            .all(Object.entries(verifies).map(([h, v]) => pulumi.all([v.rows, v.summary]).apply(([rows, summary]) => ({ h, rows, summary }))))
            .apply((all) => ({
                request,
                hosts: Object.fromEntries(all.map((x) => [x.h, x.summary])),
                drift: all.flatMap((x) => x.rows),
            }));
    }
}

/** The Docker expectations and steps of one host, for its verify. Pure. */
export function verifyExpectations(spec: LabSpec, plan: LabPlan, host: string): Pick<HostVerifyInput, "networks" | "containers" | "running"> {
    return {
        networks: spec.networks
            .filter((n) => n.hosts.includes(host))
            .map((n) => ({ name: n.name, driver: n.driver, parent: n.parents[host], subnet: n.subnet, gateway: n.gateway, range: plan.networks[n.name].ranges[host] })),
        containers: spec.containers.filter((c) => c.host === host).map((c) => ({ name: c.name, network: c.network, ...(c.ip !== undefined ? { ip: c.ip } : {}) })),
        running: spec.registry?.host === host ? ["registry"] : [],
    };
}

/** A resource-name-safe form of an image reference. */
function slug(s: string): string {
    return s.replace(/[^a-zA-Z0-9]+/g, "-").replace(/^-|-$/g, "");
}

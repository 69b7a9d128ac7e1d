/**
 * MacvlanLab: the whole tutorial as one component. Its constructor is the list of its phases, in
 * order; each phase is a function in its own file of ./lab/, named after what it declares (hosts,
 * registry TLS, trust and providers, networks, shims and router, registry, pulls and containers,
 * checks, summary, verify).
 */
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { LabSpec } from "./model/types";
import { LabPlan, PlanMemory, planLab, planMemoryOf } from "./model/plan";
import { LabConfigError } from "./model/validate";
import { hostKeyHowTo, hostKeyMissing } from "./model/hostKey";
import { HostNetworking } from "./host/hostNetworking";
import { HostShim } from "./host/hostShim";
import { InterVlanRouter } from "./host/interVlanRouter";
import { HostLibrary } from "./scripts/hostLibrary";
import { DockerSshOptions } from "./docker/provider";
import { RegistryTls } from "./docker/registryTls";
import { ControllerCaTrust } from "./docker/controllerTrust";
import { MacvlanNetwork } from "./docker/macvlanNetwork";
import { PrivateRegistry } from "./docker/registry";
import { LabContainer } from "./docker/container";
import { RegistryTrust } from "./docker/registryTrust";
import { registrySecurity } from "./docker/registrySecurity";
import { ConnectivityCheck } from "./docker/connectivityCheck";
import { CheckRow } from "./docker/checks";
import { HostPreflight, STACK_LABEL } from "./preflight";
import { LabContext } from "./lab/context";
import { keepInterfaceNames } from "./model/interfaceNames";
import { declareHostNetworking, declareLibraries, declarePreflightGate, declarePreflights } from "./lab/hosts";
import { declareRegistryTls } from "./lab/registryTls";
import { declareTrustAndProviders } from "./lab/trustAndProviders";
import { declareNetworks } from "./lab/networks";
import { declareShimsAndRouter } from "./lab/shimsAndRouter";
import { declareRegistry } from "./lab/registry";
import { declarePullsAndContainers } from "./lab/pullsAndContainers";
import { declareChecks } from "./lab/checks";
import { HostSummary, labSummary } from "./lab/summary";
import { Verification, declareVerify } from "./lab/verify";
import { checkRequests, repairTransformation } from "./lab/repair";

export { HostSummary } from "./lab/summary";
export { Verification, verifyExpectations } from "./lab/verify";
export { REQUEST, repairTransformation } from "./lab/repair";

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
     * The ranges and interface names of the stack's last deployment (`parsePlanMemory` of its
     * `addressPlan` and `hosts` outputs): with it, every host keeps its dynamic range on every
     * network (unless `plan` is given), and every host shim and router leg that has a default name
     * keeps the one it had (`keepInterfaceNames`), while hosts, containers, shims and networks are
     * added, removed or reordered around them. Defaults to none: a fresh plan, which moves ranges
     * when the hosts of a network change, and default names by position.
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
    public readonly libraries: Record<string, HostLibrary>;
    public readonly hostNetworking: Record<string, HostNetworking>;
    public readonly providers: Record<string, docker.Provider>;
    public readonly trust: Record<string, RegistryTrust>;
    public readonly networks: Record<string, MacvlanNetwork>;
    public readonly registry?: PrivateRegistry;
    /** With registry.security tls: the CA, certificate and users on the registry host. */
    public readonly registryTls?: RegistryTls;
    /** With tls and mirrors: the CA where Pulumi runs, for the digest check. */
    public readonly controllerCa?: ControllerCaTrust;
    /** `<host>/<container>` -> container. */
    public readonly containers: Record<string, LabContainer>;
    public readonly checks?: ConnectivityCheck;
    /** Per host: its networks (with the planned range) and containers (with addresses). */
    public readonly summary: Record<string, HostSummary>;
    /** The check matrix: source, target, network, expected, observed. */
    public readonly checkMatrix: pulumi.Output<CheckRow[]>;
    /** `<address>:<port>` of the registry, when the lab has one. */
    public readonly registryEndpoint?: string;
    /** Per host: its read-only preflight, which every change on every host waits for. */
    public readonly preflights: Record<string, HostPreflight>;
    /**
     * Completes once the preflight of every host has passed (a `pulumi.Stash`, `${name}-preflights-passed`):
     * give it as `dependsOn` to a change of your own on the lab's hosts to keep the same promise.
     */
    public readonly preflightsPassed: pulumi.Resource;
    /** `<host>/<network>` -> the host shim there. */
    public readonly shims: Record<string, HostShim>;
    /** The inter-VLAN router, when the lab has one. */
    public readonly router?: InterVlanRouter;
    /** With `verify`: what the verify of every host found (read-only). */
    public readonly verification?: pulumi.Output<Verification>;

    constructor(name: string, args: MacvlanLabArgs, opts?: pulumi.ComponentResourceOptions) {
        checkRequests(name, args);
        super("macvlan-lab:index:MacvlanLab", name, {}, {
            ...opts,
            // children inherit it: every command of the lab, in every component
            transformations: [...(opts?.transformations ?? []), ...(args.repair ? [repairTransformation(args.repair, args.rereadTrust ?? [])] : [])],
        });
        const ctx = this.context(name, args);
        this.plan = ctx.plan;
        this.addressPlan = planMemoryOf(ctx.plan);

        // hosts: preflights (which everything that changes a host waits for), libraries, networking
        this.preflights = declarePreflights(ctx);
        this.preflightsPassed = declarePreflightGate(ctx, this);
        this.libraries = declareLibraries(ctx, this);
        this.hostNetworking = declareHostNetworking(ctx, this);
        const tls = declareRegistryTls(ctx, this, args.controllerCaDir);
        this.registryTls = tls.registryTls;
        this.controllerCa = tls.controllerCa;
        const docker = declareTrustAndProviders(ctx, this, args.docker ?? {});
        this.trust = docker.trust;
        this.providers = docker.providers;
        this.networks = declareNetworks(ctx, this);
        const links = declareShimsAndRouter(ctx, this);
        this.shims = links.shims;
        this.router = links.router;
        this.registryEndpoint = ctx.spec.registry?.endpoint;
        this.registry = declareRegistry(ctx, this);
        this.containers = declarePullsAndContainers(ctx, this);
        this.checks = declareChecks(ctx, this);
        this.checkMatrix = this.checks?.matrix ?? pulumi.output([]);
        this.summary = labSummary(ctx, this);
        if (args.verify) {
            this.verification = declareVerify(ctx, this, args.verify);
        }

        this.registerOutputs({
            verification: this.verification,
            summary: this.summary,
            registryEndpoint: this.registryEndpoint,
            checkMatrix: this.checkMatrix,
            addressPlan: this.addressPlan,
        });
    }

    /** What every phase works with: the spec, its address plan (made here unless given), the key and the stack label. */
    private context(name: string, args: MacvlanLabArgs): LabContext {
        const spec = keepInterfaceNames(args.spec, args.memory?.interfaces);
        const { plan, errors } = args.plan !== undefined ? { plan: args.plan, errors: [] } : planLab(spec, { memory: args.memory });
        if (errors.length > 0) {
            throw new pulumi.ResourceError(new LabConfigError(errors).message, this);
        }
        warnInsecure(spec, this);
        const stackId = args.stackId ?? `${pulumi.getProject()}/${pulumi.getStack()}`;
        return { name, lab: this, spec, plan, privateKey: pulumi.secret(args.privateKey), stackId, labels: [{ label: STACK_LABEL, value: stackId }] };
    }
}

/**
 * Every host's connections verify its key (issue 27): a host without one is refused here, before
 * any resource, and each opt-out is said on every run: a host with `insecureIgnoreHostKey`, and an
 * `insecure` registry (plain HTTP without users: anyone who reaches it pushes images every host runs).
 */
function warnInsecure(spec: LabSpec, self: pulumi.Resource): void {
    const missing = spec.hosts.map((h) => hostKeyMissing(h.name, h.ssh)).filter((m): m is string => m !== undefined);
    if (missing.length > 0) {
        throw new pulumi.ResourceError(missing.join("\n"), self);
    }
    for (const h of spec.hosts.filter((x) => x.ssh.insecureIgnoreHostKey === true)) {
        void pulumi.log.warn(
            `host ${h.name} (${h.ssh.address}:${h.ssh.port}): insecureIgnoreHostKey is set, so no connection to it verifies its host key: a machine in the middle receives every command run as ${h.ssh.user}, the registry's users and CA; for throwaway labs only. Pin hostKey instead: ${hostKeyHowTo(h.ssh.address, h.ssh.port)}`,
            self,
        );
    }
    const reg = spec.registry;
    for (const warning of reg ? registrySecurity(reg.security).warnings(reg) : []) void pulumi.log.warn(warning, self);
}

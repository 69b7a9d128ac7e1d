/**
 * macvlan-lab: component resources and pure helpers for cross-host Docker macvlan networking.
 *
 * This file is the package's public entry point (`main`/`types`/`exports` of package.json): what
 * it exports is the API that semver covers, and `api/macvlan-lab.api.txt` records it (a test
 * fails when it changes without that file being refreshed). Everything else under components/ is
 * internal: script renderers, daemon.json merging, ping-check scripts may change in any release.
 *
 * Import the components into another Pulumi project, or use `MacvlanLab` for a whole lab.
 */

// The typed model of a lab, plain data (no Pulumi types).
export * from "./model/types";
// Validation: raw config -> spec, every problem at once.
export { parseLab, readLab, validateLab, loadLab, LabConfigError, RawLabConfig, DEFAULT_CONFIG_DIRS, routedPair } from "./model/validate";
// The address plan: each host's dynamic range and the aux addresses its Docker must not hand out.
export { planLab, auxAddresses, LabPlan, NetworkPlan, FixedAddress, PlanOptions, RangeOrigin } from "./model/plan";
// ... and its memory: the stack output addressPlan, read back so that every host keeps its range.
export { parsePlanMemory, parseInterfaceMemory, planMemoryOf, PlanMemory } from "./model/planMemory";
// ... and the default interface names of shims and router legs it keeps.
export { keepInterfaceNames, InterfaceMemory } from "./model/interfaceNames";
export { parseImageReference, ImageReference } from "./model/names";
// Reading a stack's config (the program's way in).
export { readLabConfig } from "./model/config";
export { CONFIG_NAMESPACE } from "./contracts";
// Topology diagrams: spec + plan -> Mermaid / Graphviz DOT text.
export { topologyMermaid, topologyDot, TopologyOptions } from "./diagram";

// Host networking: the parent NIC promiscuous, 8021q, VLAN interfaces.
export { remoteConnection } from "./connection";
export {
    RenderOptions,
    HostScripts,
    ParentInterface,
    ParentInterfaceArgs,
    KernelModule,
    KernelModuleArgs,
    VlanInterface,
    VlanInterfaceArgs,
    HostNetworking,
    HostNetworkingArgs,
    validateHostVlans,
    // the host's own link to its containers, and routing between the networks (issue 12)
    HostShim,
    HostShimArgs,
    InterVlanRouter,
    InterVlanRouterArgs,
    shimRoutes,
    routerRules,
} from "./host";

// The shell library every host script sources, installed once per host.
export { HostLibrary, HostLibraryArgs } from "./scripts/hostLibrary";

// Docker: providers over ssh://, networks, registry, trust, containers, checks.
export { dockerProvider, DockerSshOptions, insecureRegistryAuth, tlsRegistryAuth } from "./docker/provider";
// One key for everything: the Docker provider's ssh gets the remote commands' key as a file for the run.
export { writeRunSshFiles, RunSshFiles, readKnownHostsFile, defaultKnownHostsFile } from "./docker/sshIdentity";
export { resolveHostKeys, KnownHostsSource, hostKeyFingerprint } from "./model/hostKey";
export { MacvlanNetwork, MacvlanNetworkArgs, NetworkHostTarget } from "./docker/macvlanNetwork";
export { PrivateRegistry, PrivateRegistryArgs, mirroredReference } from "./docker/registry";
export { RegistryTrust, RegistryTrustArgs, InstalledLibrary } from "./docker/registryTrust";
// registry.security tls: the CA and certificate made on the registry host, htpasswd users, the CA
// where Pulumi runs for the digest check
export { RegistryTls, RegistryTlsArgs } from "./docker/registryTls";
export { ControllerCaTrust, ControllerCaTrustArgs, controllerCaDirProblem } from "./docker/controllerTrust";
export { LabContainer, LabContainerArgs } from "./docker/container";
export { ConnectivityCheck, ConnectivityCheckArgs } from "./docker/connectivityCheck";
export { CheckRow, Reachability, Observed, HOST_SOURCE } from "./docker/checks";

// The whole lab as one component.
export { MacvlanLab, MacvlanLabArgs, HostSummary, Verification, REQUEST, repairTransformation, verifyExpectations } from "./lab";
export { HostVerify, HostVerifyArgs } from "./verify/hostVerify";
export { HostVerifyInput, DriftRow, VerifyNetwork, VerifyContainer } from "./verify/render";

// the read-only preflight: a component another program can put before its own changes, the facts
// it checks a host against, and the label that tells a stack's own Docker objects from leftovers
export {
    HostPreflight,
    HostPreflightArgs,
    preflightFactsOf,
    PreflightFacts,
    PreflightNetwork,
    PreflightContainer,
    importCommand,
    childUrn,
    STACK_LABEL,
    MIN_DOCKER_API,
} from "./preflight";

/**
 * macvlan-lab: component resources and pure helpers for cross-host Docker macvlan networking.
 * Import the components into another Pulumi project, or use `MacvlanLab` for a whole lab.
 */
export * from "./spec/types";
export { parseLab, validateLab, loadLab, LabConfigError, RawLabConfig, DEFAULT_CONFIG_DIRS } from "./spec/validate";
export { planLab, auxAddresses, LabPlan, NetworkPlan, FixedAddress } from "./spec/plan";
export { parseImageReference, ImageReference } from "./spec/names";
export { readLabConfig, CONFIG_NAMESPACE } from "./spec/config";
export { shellQuote, shellJoin } from "./shell";
export { remoteConnection } from "./connection";
export * from "./host";
export { dockerProvider, dockerHostUrl, dockerSshOpts, DockerSshOptions } from "./docker/provider";
export { knownHostsLine, runSshFileNames, writeRunSshFiles, RunSshFiles } from "./docker/sshIdentity";
export { MacvlanNetwork, MacvlanNetworkArgs, NetworkHostTarget, networkIpam, networkOptions } from "./docker/macvlanNetwork";
export { PrivateRegistry, PrivateRegistryArgs, mirroredReference } from "./docker/registry";
export { LabContainer, LabContainerArgs } from "./docker/container";
export * from "./docker/registryTrust";
export * from "./docker/daemonJson";
export * from "./docker/checks";
export * from "./docker/connectivityCheck";
export { MacvlanLab, MacvlanLabArgs, HostSummary } from "./lab";

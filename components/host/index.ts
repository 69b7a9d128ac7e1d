/**
 * Host networking: the parent NIC promiscuous, 8021q, VLAN interfaces, per backend. Pure renderers
 * of the host scripts and the components that run them over SSH.
 */
export {
    RenderOptions,
    ResolvedRenderOptions,
    HostScripts,
    DEFAULT_STATE_DIR,
    DEFAULT_MODULES_LOAD_DIR,
    DEFAULT_EMULATION_MARKER,
    resolveRenderOptions,
    emulatedVlanLinkAlias,
    DEFAULT_IFUP_LOCAL,
    renderParentInterface,
    renderKernelModule,
    renderVlanInterface,
} from "./render";
export { ParentInterface, ParentInterfaceArgs } from "./parentInterface";
export { KernelModule, KernelModuleArgs } from "./kernelModule";
export { VlanInterface, VlanInterfaceArgs } from "./vlanInterface";
export { HOST_BACKENDS, HostBackend, hostBackend } from "./backends";
export { HostNetworking, HostNetworkingArgs, validateHostVlans } from "./hostNetworking";
export { HostShim, HostShimArgs } from "./hostShim";
export { InterVlanRouter, InterVlanRouterArgs } from "./interVlanRouter";
export { shimRoutes, routerRules, renderHostShim, renderRouterLeg, renderRouterForwarding, ShimFacts } from "./routing";

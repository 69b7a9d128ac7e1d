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
    SCRIPT_LIBRARY,
    resolveRenderOptions,
    emulatedVlanLinkAlias,
    scriptsDigest,
    renderParentInterface,
    renderKernelModule,
    renderVlanInterface,
} from "./render";
export { ParentInterface, ParentInterfaceArgs } from "./parentInterface";
export { KernelModule, KernelModuleArgs } from "./kernelModule";
export { VlanInterface, VlanInterfaceArgs } from "./vlanInterface";
export { HostNetworking, HostNetworkingArgs, validateHostVlans } from "./hostNetworking";

import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { hostStep, renderedFor } from "./hostCommand";
import { HostLibrary } from "../scripts/hostLibrary";
import { HostSpec, NetworkSpec } from "../model/types";
import { HostScripts, RenderOptions } from "./render";
import { renderHostShim } from "./routing";
import { hostBackend } from "./backends";

export interface HostShimArgs extends RenderOptions {
    /**
     * The host, from the validated spec: SSH settings and the `backend` that keeps the shim after a
     * reboot (nmcli: a NetworkManager profile; ifcfg: a systemd unit, since network-scripts have no
     * macvlan type; networkd and netplan: systemd-networkd files; ifupdown: a stanza; auto: the way
     * of the backend it finds; iproute2: runtime only, and every run says so). Required. Plain data.
     */
    host: HostSpec;
    /**
     * The Docker network the shim joins on `host`: its parent there (`parents[host]`), driver and
     * mode (the shim is a link of the same kind: macvlan mode bridge, or ipvlan in the network's
     * mode; macvlan private, vepa and passthru are refused). Required. Plain data.
     */
    network: NetworkSpec;
    /**
     * The shim's address, a /32 inside the network's subnet. Required. Reserve it on every host of
     * the network (`reserved` of the network, or a lab's `shims`, which the plan reserves), so no
     * Docker host ever hands it to a container.
     */
    address: string;
    /**
     * The revision of the parent when it is a link that can be replaced: `VlanInterface.revision`
     * (a replaced VLAN interface is deleted with `ip link delete`, and the shim with it). The shim's
     * command carries it in its triggers, so the engine deletes the shim before the parent and makes
     * it again after, as a Docker network's `parentRevision` does. Defaults to none (a NIC parent,
     * which is never replaced).
     */
    parentRevision?: pulumi.Input<string>;
    /** Interface name on the host, at most 15 characters. Defaults to `mac0`. */
    name?: string;
    /**
     * What the shim routes (CIDRs): the host's own containers on the network, from the plan with
     * `shimRoutes(plan, network, host, containers)`. Defaults to the network's whole subnet, which
     * conflicts with a router leg of the same network on the same host (it routes the subnet already).
     */
    routes?: string[];
    /**
     * The private key the controller logs in with. Required. Wrapped in `pulumi.secret`: it is
     * never part of a script, a log line or plain state.
     */
    privateKey: pulumi.Input<string>;
    /**
     * The shell library on the host (`HostLibrary`, one per host): the scripts source it from its
     * directory and the command runs after it. Required.
     */
    library: HostLibrary;
}

/**
 * A host shim: the host's own macvlan (or ipvlan) sub-interface on a Docker network's parent, with
 * a reserved /32 address and routes to the network's containers, so the host and its containers can
 * talk (a macvlan parent never passes frames between itself and its sub-interfaces). One
 * `remote.Command` child, `${name}-link`; give it `dependsOn` the parent's readiness (the VLAN
 * interface's or the NIC's `ready`). Delete removes the link, its routes and the backend's config.
 */
export class HostShim extends pulumi.ComponentResource {
    /** The shim's interface: `mac0`. */
    public readonly interfaceName: string;
    /** Its address, without prefix (a /32). */
    public readonly address: string;
    /** What it routes. */
    public readonly routes: string[];
    /**
     * How it is kept after a reboot: `NetworkManager profile`, `systemd unit`, `systemd-networkd
     * files`, `ifupdown stanza`, `chosen on the host` (auto) or `runtime only`.
     */
    public readonly persistence: string;
    /** The rendered create, delete and check scripts (run `check` on the host to see drift). */
    public readonly scripts: HostScripts;
    public readonly command: command.remote.Command;
    /** What the create script printed on the host. */
    public readonly stdout: pulumi.Output<string>;
    /** The resources that checks from the host should depend on. */
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: HostShimArgs, opts?: pulumi.ComponentResourceOptions) {
        super("macvlan-lab:host:HostShim", name, {}, opts);
        const { host, network, address, name: dev, routes, privateKey, library, parentRevision, ...renderOptions } = args;
        this.interfaceName = dev ?? "mac0";
        this.address = address;
        this.routes = routes ?? [network.subnet];
        this.persistence = renderedFor(this, "HostShim", name, () => hostBackend(host.backend).linkPersistence);
        const step = hostStep(this, "HostShim", name, "link", { host, privateKey, library, parentRevision }, (libraryDir) =>
            renderHostShim(host, { network, address, name: this.interfaceName, routes: this.routes }, { ...renderOptions, libraryDir }),
        opts?.dependsOn);
        ({ scripts: this.scripts, command: this.command, stdout: this.stdout, ready: this.ready } = step);
        this.registerOutputs({
            interfaceName: this.interfaceName,
            address: this.address,
            routes: this.routes,
            persistence: this.persistence,
            stdout: this.stdout,
        });
    }
}

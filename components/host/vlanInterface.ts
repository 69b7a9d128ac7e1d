import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { hostStep } from "./hostCommand";
import { HostLibrary } from "../scripts/hostLibrary";
import { HostSpec, NetworkBackend, VlanSpec } from "../model/types";
import { HostScripts, RenderOptions, renderVlanInterface } from "./render";

export interface VlanInterfaceArgs extends RenderOptions {
    /**
     * The host, from the validated spec: SSH settings, `backend` (ifcfg, nmcli, networkd, netplan,
     * ifupdown, iproute2 or auto) and
     * its `configDir`. Required. Plain data: it decides the script.
     */
    host: HostSpec;
    /**
     * The VLAN; `host` must be one of its members (its address comes from there). Required.
     * `gateway` is written only when set, and then `DEFROUTE=no` / `ipv4.never-default yes` unless
     * `defaultRoute`; `defaultRoute` conflicts with the iproute2 backend (it sets no routes).
     */
    vlan: VlanSpec;
    /**
     * The private key the controller logs in with. Required. Wrapped in `pulumi.secret`: it is
     * never part of a script, a log line or plain state.
     */
    privateKey: pulumi.Input<string>;
    /**
     * The shell library on the host (`HostLibrary`): the scripts source it from its directory and
     * the command runs after it. Optional: without it the component installs one of its own
     * (`${name}-lib`); give the same one to every component of a host.
     */
    library?: HostLibrary;
}

/**
 * One VLAN interface `<parent>.<id>` on one host, with the host's address on it, persisted the
 * backend's way. One `remote.Command` child, `${name}-config`. Give it `dependsOn` the host's
 * 8021q and parent NIC (`HostNetworking` does); the option is passed on to the command.
 */
export class VlanInterface extends pulumi.ComponentResource {
    /** The interface: `ens33.10`. */
    public readonly interfaceName: string;
    /** The VLAN id: 10. */
    public readonly vlanId: number;
    /** The host's address on it, CIDR form: `192.168.10.10/24`. */
    public readonly address: string;
    public readonly backend: NetworkBackend;
    /** The rendered create, delete and check scripts (run `check` on the host to see drift). */
    public readonly scripts: HostScripts;
    public readonly command: command.remote.Command;
    /** What the create script printed on the host. */
    public readonly stdout: pulumi.Output<string>;
    /** The resources that Docker networks on this interface should depend on. */
    public readonly ready: pulumi.Resource[];
    /**
     * What the interface is made from, as an output of its command (a digest of the command's
     * triggers, 16 hex digits): the same for the same VLAN, address and host, another one when the
     * command is replaced by a change, and unknown while a replacement is planned. A Docker network
     * on this interface carries it as a label (`MacvlanNetwork`'s `parentRevision`), so the engine
     * deletes the network (and its containers) before the interface and makes it again after.
     */
    public readonly revision: pulumi.Output<string>;

    constructor(name: string, args: VlanInterfaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("macvlan-lab:host:VlanInterface", name, {}, opts);
        const { host, vlan, privateKey, library, ...renderOptions } = args;
        const step = hostStep(this, "VlanInterface", name, "config", { host, privateKey, library, stateDir: renderOptions.stateDir }, (libraryDir) =>
            renderVlanInterface(host, vlan, { ...renderOptions, libraryDir }),
        opts?.dependsOn);
        ({ scripts: this.scripts, command: this.command, stdout: this.stdout, ready: this.ready } = step);
        this.interfaceName = vlan.interfaceName;
        this.vlanId = vlan.id;
        // renderVlanInterface has checked that the host is a member
        this.address = vlan.members.filter((m) => m.host === host.name)[0].address;
        this.backend = host.backend;
        this.revision = this.command.triggers.apply((t) => createHash("sha256").update(JSON.stringify(t ?? [])).digest("hex").slice(0, 16));
        this.registerOutputs({
            interfaceName: this.interfaceName,
            vlanId: this.vlanId,
            address: this.address,
            backend: this.backend,
            stdout: this.stdout,
        });
    }
}

import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { hostStep } from "./hostCommand";
import { HostLibrary } from "../scripts/hostLibrary";
import { HostSpec, NetworkBackend } from "../model/types";
import { HostScripts, RenderOptions, renderParentInterface } from "./render";

export interface ParentInterfaceArgs extends RenderOptions {
    /**
     * The host, from the validated spec: its SSH settings, the parent NIC (`nic`) that is made
     * promiscuous, the `backend` that keeps it so after a reboot and the backend's `configDir`.
     * Required. It decides the script, so it is plain data, not an Input; any change to the
     * rendered script or to the SSH address/port replaces the command (old delete first).
     */
    host: HostSpec;
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
 * The parent NIC of a host in promiscuous mode, now and (per backend) after a reboot, without
 * touching its addresses or routes. One `remote.Command` child, `${name}-promisc`, whose delete
 * puts back the previous flag and the NIC's config file byte for byte.
 */
export class ParentInterface extends pulumi.ComponentResource {
    /** The parent NIC: `ens33`. */
    public readonly interfaceName: string;
    /** How the host keeps it promiscuous after a reboot. */
    public readonly backend: NetworkBackend;
    /** The rendered create, delete and check scripts (run `check` on the host to see drift). */
    public readonly scripts: HostScripts;
    public readonly command: command.remote.Command;
    /** What the create script printed on the host. */
    public readonly stdout: pulumi.Output<string>;
    /** The resources that later resources (8021q, VLANs, Docker networks) should depend on. */
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: ParentInterfaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("macvlan-lab:host:ParentInterface", name, {}, opts);
        const { host, privateKey, library, ...renderOptions } = args;
        const step = hostStep(this, "ParentInterface", name, "promisc", { host, privateKey, library, stateDir: renderOptions.stateDir }, (libraryDir) =>
            renderParentInterface(host, { ...renderOptions, libraryDir }),
        opts?.dependsOn);
        ({ scripts: this.scripts, command: this.command, stdout: this.stdout, ready: this.ready } = step);
        this.interfaceName = host.nic;
        this.backend = host.backend;
        this.registerOutputs({ interfaceName: this.interfaceName, backend: this.backend, stdout: this.stdout });
    }
}

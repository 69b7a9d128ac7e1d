import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { hostStep } from "./hostCommand";
import { HostLibrary } from "../scripts/hostLibrary";
import { HostSpec } from "../model/types";
import { HostScripts, RenderOptions, renderKernelModule } from "./render";

export interface KernelModuleArgs extends RenderOptions {
    /**
     * The host, from the validated spec (its SSH settings). Required. Declare this only for hosts
     * that have VLAN interfaces; `HostNetworking` does so.
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
 * 802.1Q support on a host: the 8021q module loaded now and listed in `modules-load.d` for boot.
 * One `remote.Command` child, `${name}-load`. Delete removes only what create added. On a kernel
 * without 802.1Q the create fails with `802.1Q VLAN devices are not supported by this kernel: ...`,
 * unless the host carries the lab's VLAN emulation marker (then it prints `EMULATED: ...`).
 */
export class KernelModule extends pulumi.ComponentResource {
    /** The module: `8021q`. */
    public readonly module = "8021q";
    /** The rendered create, delete and check scripts. */
    public readonly scripts: HostScripts;
    public readonly command: command.remote.Command;
    /** What the create script printed on the host. */
    public readonly stdout: pulumi.Output<string>;
    /** The resources that VLAN interfaces should depend on. */
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: KernelModuleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("macvlan-lab:host:KernelModule", name, {}, opts);
        const { host, privateKey, library, ...renderOptions } = args;
        const step = hostStep(this, "KernelModule", name, "load", { host, privateKey, library, stateDir: renderOptions.stateDir }, (libraryDir) =>
            renderKernelModule(host, { ...renderOptions, libraryDir }),
        opts?.dependsOn);
        ({ scripts: this.scripts, command: this.command, stdout: this.stdout, ready: this.ready } = step);
        this.registerOutputs({ module: this.module, stdout: this.stdout });
    }
}

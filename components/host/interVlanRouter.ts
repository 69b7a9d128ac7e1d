import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { hostScriptCommand, renderedFor } from "./hostCommand";
import { HostLibrary } from "../scripts/hostLibrary";
import { HostSpec, NetworkSpec, RoutedPair } from "../model/types";
import { HostScripts, RenderOptions } from "./render";
import { renderRouterForwarding, renderRouterLeg } from "./routing";
import { hostBackend } from "./backends";
import { routerChain } from "../contracts";

export interface InterVlanRouterArgs extends RenderOptions {
    /**
     * The router host, from the validated spec: SSH settings and the `backend` that keeps the legs
     * after a reboot (as for `HostShim`). Required. Plain data. Every network must span it.
     */
    host: HostSpec;
    /**
     * The networks it routes between, at least two, each spanning `host`; each gets a leg on its
     * parent there holding its gateway (macvlan mode bridge or ipvlan l2). Required. Plain data.
     */
    networks: NetworkSpec[];
    /**
     * The forwarding policy: pairs of `networks` (by name) that may talk, both directions; every
     * other pair of them is dropped. Defaults to every pair.
     */
    allow?: RoutedPair[];
    /** Network name -> its leg's interface name. Defaults to `rtr<k>` by position in `networks`. */
    legs?: Record<string, string>;
    /**
     * Network name -> the revision of its parent on `host` when that parent can be replaced
     * (`VlanInterface.revision`): the leg's command carries it in its triggers, so a replaced VLAN
     * interface replaces the leg (deleted before the interface, made again after). Defaults to none
     * for every network (NIC parents).
     */
    parentRevisions?: Record<string, pulumi.Input<string>>;
    /**
     * The private key the controller logs in with. Required. Wrapped in `pulumi.secret`: it is
     * never part of a script, a log line or plain state.
     */
    privateKey: pulumi.Input<string>;
    /** The shell library on the host (`HostLibrary`, one per host). Required. */
    library: HostLibrary;
}

/**
 * An inter-VLAN router on one host: per network a leg (`${name}-<network>-leg`, a macvlan or ipvlan
 * link on the network's parent holding its gateway, persisted like a shim), then the forwarding
 * (`${name}-forwarding`: IPv4 forwarding on and the policy in an iptables chain of its own,
 * `MACVLAN-LAB-R-<digest>` ({@link chain}); kept for the next boot by a sysctl.d file and a systemd
 * unit of ours, named after the chain, on every backend but iproute2). Containers keep their network's gateway and so reach the
 * allowed networks through it. Give it `dependsOn` the parents' readiness. Delete puts forwarding
 * back as it was and removes the chain and the legs.
 */
export class InterVlanRouter extends pulumi.ComponentResource {
    public readonly host: string;
    /** Network name -> leg interface name. */
    public readonly legs: Record<string, string>;
    /** The allowed pairs. */
    public readonly allow: RoutedPair[];
    /** Network name -> the command of its leg. */
    public readonly legCommands: Record<string, command.remote.Command> = {};
    public readonly forwarding: command.remote.Command;
    /** Every script, by child name suffix (`<network>-leg`, `forwarding`). */
    public readonly scripts: Record<string, HostScripts> = {};
    /** The iptables chain of its policy: `MACVLAN-LAB-R-<digest of project, stack and name>` (contracts `routerChain`). */
    public readonly chain: string;
    /**
     * How the legs are kept after a reboot (the forwarding and the policy: a sysctl.d file and a unit
     * of ours on every backend but iproute2, where they are runtime only).
     */
    public readonly persistence: string;
    /** The resources that checks across the networks should depend on. */
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: InterVlanRouterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("macvlan-lab:host:InterVlanRouter", name, {}, opts);
        const { host, networks, allow, legs, parentRevisions, privateKey, library, ...renderOptions } = args;
        this.host = host.name;
        this.legs = Object.fromEntries(networks.map((n, k) => [n.name, legs?.[n.name] ?? `rtr${k}`]));
        const pairs: RoutedPair[] = [];
        for (let i = 0; i < networks.length; i++) for (let j = i + 1; j < networks.length; j++) pairs.push([networks[i].name, networks[j].name]);
        this.allow = allow ?? pairs;
        const o = { ...renderOptions, libraryDir: library.dir };
        ({ persistence: this.persistence, chain: this.chain } = renderedFor(this, "InterVlanRouter", name, () => {
            const persistence = hostBackend(host.backend).linkPersistence;
            for (const n of networks) this.scripts[`${n.name}-leg`] = renderRouterLeg(host, n, this.legs[n.name], o);
            // a chain of this router's own (per stack and component): another stack's destroy never removes it
            const chain = routerChain(`${pulumi.getProject()}/${pulumi.getStack()}/${name}`);
            this.scripts.forwarding = renderRouterForwarding(host, { networks, allow: this.allow, legs: this.legs, chain }, o);
            return { persistence, chain };
        }));
        for (const n of networks) {
            this.legCommands[n.name] = hostScriptCommand(`${name}-${n.name}-leg`, host, privateKey, this.scripts[`${n.name}-leg`], {
                parent: this,
                dependsOn: opts?.dependsOn,
                library,
                parentRevision: parentRevisions?.[n.name],
            });
        }
        this.forwarding = hostScriptCommand(`${name}-forwarding`, host, privateKey, this.scripts.forwarding, {
            parent: this,
            dependsOn: Object.values(this.legCommands),
            library,
        });
        this.ready = [...Object.values(this.legCommands), this.forwarding];
        this.registerOutputs({ host: this.host, legs: this.legs, allow: this.allow, persistence: this.persistence });
    }
}

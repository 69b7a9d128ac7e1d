/**
 * What every phase of `MacvlanLab` (../lab.ts) works with: the lab's name and the component itself
 * (every resource is `${name}-<role>` with the lab as its parent), the validated spec and its
 * address plan, the controller's key and the stack label. Each phase is a function in its own
 * file of this folder, named after what it declares; it takes this context and the parts of the lab
 * that earlier phases made (`LabParts`), and returns what it made.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as docker from "@pulumi/docker";
import type { HostPreflight } from "../preflight/hostPreflight";
import type { HostLibrary } from "../scripts/hostLibrary";
import type { HostNetworking } from "../host/hostNetworking";
import type { HostShim } from "../host/hostShim";
import type { InterVlanRouter } from "../host/interVlanRouter";
import type { RegistryTls } from "../docker/registryTls";
import type { ControllerCaTrust } from "../docker/controllerTrust";
import type { RegistryTrust } from "../docker/registryTrust";
import type { MacvlanNetwork } from "../docker/macvlanNetwork";
import type { PrivateRegistry } from "../docker/registry";
import type { LabContainer } from "../docker/container";
import type { ConnectivityCheck } from "../docker/connectivityCheck";
import { LabSpec } from "../model/types";
import { LabPlan } from "../model/plan";

export interface LabContext {
    /** The lab's name: every resource of it is named `${name}-<role>`. */
    readonly name: string;
    /** The lab component: the parent of every resource, and what errors and warnings name. */
    readonly lab: pulumi.ComponentResource;
    readonly spec: LabSpec;
    readonly plan: LabPlan;
    /** The key the controller logs in to every host with, as a secret. */
    readonly privateKey: pulumi.Output<string>;
    /** The value of the stack label (`STACK_LABEL`). */
    readonly stackId: string;
    /** The stack label, as every Docker network and container of the lab carries it. */
    readonly labels: Array<{ label: string; value: string }>;
}

/** What the phases made: the lab's public members of the same names (a phase names the ones it reads). */
export interface LabParts {
    readonly preflights: Record<string, HostPreflight>;
    readonly preflightsPassed: pulumi.Resource;
    readonly libraries: Record<string, HostLibrary>;
    readonly hostNetworking: Record<string, HostNetworking>;
    readonly registryTls?: RegistryTls;
    readonly controllerCa?: ControllerCaTrust;
    readonly trust: Record<string, RegistryTrust>;
    readonly providers: Record<string, docker.Provider>;
    readonly networks: Record<string, MacvlanNetwork>;
    readonly shims: Record<string, HostShim>;
    readonly router?: InterVlanRouter;
    readonly registry?: PrivateRegistry;
    readonly containers: Record<string, LabContainer>;
    readonly checks?: ConnectivityCheck;
}

/**
 * What a change on any host waits for: the gate that completes once the preflight of every host has
 * passed (`declarePreflightGate`). One dependency, not one per host: with every host's preflight in
 * the `dependsOn` of every host's first steps, the dependencies grow with the square of the hosts.
 */
export function afterPreflights(parts: Pick<LabParts, "preflightsPassed">): pulumi.Resource[] {
    return [parts.preflightsPassed];
}

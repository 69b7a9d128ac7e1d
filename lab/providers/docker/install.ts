/**
 * Installs the stand-in as the plugin `resource-docker` v5.2.0 under a PULUMI_HOME (see
 * ../plugin.ts: a wrapper that runs the compiled main.js).
 */
import { installStandIn } from "../plugin";
import { PROVIDER_VERSION } from "./provider";

/** Writes `<pulumiHome>/plugins/resource-docker-v5.2.0/pulumi-resource-docker`; returns the plugin dir. */
export function installDockerPlugin(pulumiHome: string): string {
    return installStandIn(pulumiHome, {
        name: "docker",
        version: PROVIDER_VERSION,
        note: `Stand-in for pulumi-docker ${PROVIDER_VERSION} (macvlan-lab lab/providers/docker): see its README.md`,
    });
}

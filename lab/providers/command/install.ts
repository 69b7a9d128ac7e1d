/**
 * Installs the stand-in as plugin `resource-command` v1.2.1 under a PULUMI_HOME (see ../plugin.ts:
 * a wrapper that runs the compiled main.js).
 */
import { installStandIn } from "../plugin";
import { VERSION } from "./rules";

/** Writes the plugin into `$pulumiHome/plugins/resource-command-v1.2.1/` and returns that directory. */
export function installCommandPlugin(pulumiHome: string): string {
    return installStandIn(pulumiHome, {
        name: "command",
        version: VERSION,
        note: `pulumi-resource-command v${VERSION} stand-in (macvlan-lab lab/providers/command): the real plugin's Go module is not served here`,
    });
}

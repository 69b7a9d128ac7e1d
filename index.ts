/**
 * The macvlan-lab program: reads the stack's config, validates it whole (every problem at once,
 * before any resource is declared), and declares the lab on the stack's hosts.
 *
 *   pulumi stack select multi-vlan
 *   pulumi config set --secret sshPrivateKey -- < ~/.ssh/id_ed25519
 *   pulumi up
 */
import * as pulumi from "@pulumi/pulumi";
import {
    CONFIG_NAMESPACE,
    LabConfigError,
    MacvlanLab,
    PlanMemory,
    REQUEST,
    controllerCaDirProblem,
    parsePlanMemory,
    planLab,
    readLab,
    readLabConfig,
    topologyMermaid,
    writeRunSshFiles,
} from "./components";
import { StackTraceMode, stackTraceMode } from "./components/stackTraces";

/** Whether a config key holds a secret: the SDK's own record of the secret keys (internal in 3.248). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const isConfigSecret = (require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;

const config = new pulumi.Config(CONFIG_NAMESPACE);
// everything the address plan does not decide, checked before any resource is declared
const { spec, errors } = readLab(readLabConfig(config));
const privateKey = config.getSecret("sshPrivateKey");
if (privateKey === undefined) {
    errors.push({
        path: "sshPrivateKey",
        message:
            "sshPrivateKey is not set; set the key the controller logs in with: pulumi config set --secret sshPrivateKey -- < ~/.ssh/id_ed25519",
    });
}
/** An optional path key: Pulumi.yaml gives it the default "", which means "not set". */
function optionalPath(key: string): string | undefined {
    const value = config.get(key);
    return value === undefined || value === "" ? undefined : value;
}

// registry.security tls: passwords only as secrets, and the CA where the Docker provider's digest
// check can trust it (components/docker/controllerTrust.ts)
const controllerCaDir = optionalPath("controllerCaDir");
if (spec?.registry?.security === "tls") {
    if (spec.registry.users.length > 0 && isConfigSecret !== undefined && !isConfigSecret(`${CONFIG_NAMESPACE}:registry`)) {
        errors.push({
            path: "registry.users",
            message:
                "registry.users has passwords in plain text in the stack file; set each as a secret: pulumi config set --secret --path 'registry.users[0].password' (and remove the plain one)",
        });
    }
    if (spec.registry.mirrors.length > 0) {
        const problem = controllerCaDirProblem(controllerCaDir);
        if (problem !== undefined) errors.push({ path: "controllerCaDir", message: problem });
    }
}
// verify and repair requests (README "Verify and repair"): asked for, never implied
const requests: { verify?: string; repair?: string } = {};
for (const key of ["verify", "repair"] as const) {
    const value = optionalPath(key);
    if (value !== undefined && !REQUEST.test(value)) {
        errors.push({
            path: key,
            message: `${key} ${JSON.stringify(value)} is not a request; use letters, digits and . _ : - (at most 64): pulumi up -c ${CONFIG_NAMESPACE}:${key}=$(date +%s)`,
        });
    } else if (value !== undefined) {
        requests[key] = value;
    }
}
if (errors.length > 0 || spec === undefined || privateKey === undefined) {
    // RunError: Pulumi prints the message alone, without a stack trace
    throw new pulumi.RunError(new LabConfigError(errors).message);
}

// A large stack: no stack trace per promise the SDK tracks (components/stackTraces.ts says why)
let traces: StackTraceMode;
try {
    traces = stackTraceMode(spec, process.env);
} catch (e) {
    throw new pulumi.RunError((e as Error).message);
}
if (traces.lean) {
    Error.stackTraceLimit = 0;
    void pulumi.log.info(traces.reason);
}

// One key: the Docker provider's ssh uses the sshPrivateKey secret too (a 0600 file for the run,
// removed after it), unless sshKeyFile names a key file of the user's; hosts pinned with hostKey are
// verified against exactly that key (components/docker/sshIdentity.ts, provider.ts).
const keyFile =
    optionalPath("sshKeyFile") ??
    writeRunSshFiles({
        project: pulumi.getProject(),
        stack: pulumi.getStack(),
        // the secret's text, read where the program runs; it goes to the file only, never to an input
        privateKey: config.require("sshPrivateKey"),
    }).keyFile;

/**
 * What the stack's last deployment left in its own outputs: the address plan (`addressPlan`, or
 * for a stack deployed before that output existed, `hosts`), so that every host keeps the range it
 * was given while hosts, containers and networks are added, removed or reordered around it
 * (components/spec/plan.ts); and the hosts whose registry trust its last verify found drifted
 * (`verification`), which a repair reads again. A read of this stack's state, nothing on any host.
 */
async function lastDeployment(): Promise<{ memory?: PlanMemory; trustDrifted: string[] }> {
    const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
    const [addressPlan, hosts, verification] = await Promise.all(
        ["addressPlan", "hosts", "verification"].map((key) => new Promise<unknown>((resolve) => self.getOutput(key).apply(resolve))),
    );
    const drift = (verification as { drift?: Array<{ host?: unknown; step?: unknown }> } | undefined)?.drift;
    const trustDrifted = Array.isArray(drift) ? [...new Set(drift.filter((d) => d.step === "registry trust" && typeof d.host === "string").map((d) => d.host as string))] : [];
    return { memory: parsePlanMemory(addressPlan, hosts), trustDrifted };
}

const main = (async () => {
    const { memory, trustDrifted } = await lastDeployment();
    const planned = planLab(spec, { memory });
    if (planned.errors.length > 0) {
        throw new pulumi.RunError(new LabConfigError(planned.errors).message);
    }
    const lab = new MacvlanLab("lab", {
        spec,
        plan: planned.plan,
        privateKey,
        docker: { keyFile, knownHostsFile: optionalPath("sshKnownHostsFile") },
        controllerCaDir,
        ...requests,
        ...(requests.repair !== undefined ? { rereadTrust: trustDrifted } : {}),
    });
    return {
        hosts: lab.summary,
        registry: lab.registryEndpoint ?? null,
        checks: lab.checkMatrix,
        topology: topologyMermaid(spec, lab.plan, { title: `macvlan-lab: ${pulumi.getStack()}` }),
        addressPlan: lab.addressPlan,
        verification: lab.verification ?? null,
    };
})();

/** Per host: its networks (subnet, gateway, parent, planned ip-range) and containers with addresses. */
export const hosts = pulumi.output(main.then((m) => m.hosts));
/** `<address>:<port>` of the private registry; null when the stack has none. */
export const registry = pulumi.output(main.then((m) => m.registry));
/** The connectivity checks: source, target, network, expected, observed. */
export const checks = pulumi.output(main.then((m) => m.checks));
/** The lab's topology as a Mermaid flowchart (`pulumi stack output topology`; `npm run diagram` draws it as SVG). */
export const topology = pulumi.output(main.then((m) => m.topology));
/**
 * Every network's subnet and each host's dynamic range. The next run reads it back, so a host keeps
 * its range (and its network and containers stay) whatever else the stack gains or loses.
 */
export const addressPlan = pulumi.output(main.then((m) => m.addressPlan));
/**
 * With a verify request (`pulumi up -c macvlan-lab:verify=$(date +%s)`): what the read-only verify
 * of every host found, one row per difference (`drift`: empty when every host is as declared);
 * null when no verify was asked for.
 */
export const verification = pulumi.output(main.then((m) => m.verification));

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
    LabSpec,
    MacvlanLab,
    PlanMemory,
    REQUEST,
    defaultKnownHostsFile,
    keepInterfaceNames,
    parsePlanMemory,
    planLab,
    readKnownHostsFile,
    readLab,
    readLabConfig,
    resolveHostKeys,
    topologyMermaid,
    writeRunSshFiles,
} from "./components";
import { StackTraceMode, stackTraceMode } from "./components/stackTraces";
import { registrySecurityProblems } from "./components/docker/registrySecurity";

/** Whether a config key holds a secret: the SDK's own record of the secret keys (internal in 3.248). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const isConfigSecret = (require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;

const config = new pulumi.Config(CONFIG_NAMESPACE);
// everything the address plan does not decide, checked before any resource is declared
const read = readLab(readLabConfig(config));
const errors = read.errors;
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

// Host keys (issue 27): every host's connections verify its key, the pinned hostKey or else the one
// sshKnownHostsFile (default ~/.ssh/known_hosts) lists for it; a host with neither is an error that
// says how to get the key, unless it opted out (insecureIgnoreHostKey, warned on every run by MacvlanLab)
const spec = read.spec === undefined ? undefined : withHostKeys(read.spec);
function withHostKeys(s: LabSpec): LabSpec {
    if (s.hosts.every((h) => h.ssh.hostKey !== undefined || h.ssh.insecureIgnoreHostKey === true)) return s;
    let known;
    try {
        known = readKnownHostsFile(optionalPath("sshKnownHostsFile") ?? defaultKnownHostsFile());
    } catch (e) {
        errors.push({ path: "sshKnownHostsFile", message: `sshKnownHostsFile: ${(e as Error).message}; make it readable, or set it to another file` });
        return s;
    }
    const keys = resolveHostKeys(s.hosts, known);
    errors.push(...keys.errors);
    return { ...s, hosts: keys.hosts };
}

// registry.security's rules on the program's facts (with tls: passwords only as secrets, and the CA
// where the Docker provider's digest check can trust it): components/docker/registrySecurity.ts
const controllerCaDir = optionalPath("controllerCaDir");
errors.push(
    ...registrySecurityProblems(spec?.registry, {
        controllerCaDir,
        env: process.env,
        registryIsSecret: isConfigSecret === undefined ? undefined : isConfigSecret(`${CONFIG_NAMESPACE}:registry`),
    }),
);
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
// removed after it), unless sshKeyFile names a key file of the user's; every host is verified against
// exactly its key (components/docker/sshIdentity.ts, provider.ts).
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
 * (components/model/plan.ts), and the interface names of its shims and router legs (from `hosts`:
 * each default name stays, components/model/interfaceNames.ts); and the hosts whose registry trust its last verify found drifted
 * (`verification`), which a repair reads again. A read of this stack's state, nothing on any host.
 */
async function lastDeployment(): Promise<{ memory?: PlanMemory; rereadTrust: string[] }> {
    const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
    const [addressPlan, hosts, verification, repair] = await Promise.all(
        ["addressPlan", "hosts", "verification", "repair"].map((key) => new Promise<unknown>((resolve) => self.getOutput(key).apply(resolve))),
    );
    const last = repair as { request?: unknown; rereadTrust?: unknown } | null | undefined;
    let rereadTrust: string[];
    if (requests.repair !== undefined && last?.request === requests.repair && Array.isArray(last.rereadTrust)) {
        // the same repair request as the last deployment: the same hosts (their trust was read again
        // then; a later verify that finds it clean must not read it once more)
        rereadTrust = last.rereadTrust.filter((h): h is string => typeof h === "string");
    } else {
        const drift = (verification as { drift?: Array<{ host?: unknown; step?: unknown }> } | null | undefined)?.drift;
        rereadTrust = Array.isArray(drift) ? [...new Set(drift.filter((d) => d.step === "registry trust" && typeof d.host === "string").map((d) => d.host as string))].sort() : [];
    }
    return { memory: parsePlanMemory(addressPlan, hosts), rereadTrust };
}

const main = (async () => {
    const { memory, rereadTrust } = await lastDeployment();
    // every shim and router leg with a default name keeps the one the last deployment gave it
    const named = keepInterfaceNames(spec, memory?.interfaces);
    const planned = planLab(named, { memory });
    if (planned.errors.length > 0) {
        throw new pulumi.RunError(new LabConfigError(planned.errors).message);
    }
    const lab = new MacvlanLab("lab", {
        spec: named,
        plan: planned.plan,
        privateKey,
        docker: { keyFile },
        controllerCaDir,
        ...requests,
        ...(requests.repair !== undefined ? { rereadTrust } : {}),
    });
    return {
        hosts: lab.summary,
        registry: lab.registryEndpoint ?? null,
        checks: lab.checkMatrix,
        topology: topologyMermaid(named, lab.plan, { title: `macvlan-lab: ${pulumi.getStack()}` }),
        addressPlan: lab.addressPlan,
        verification: lab.verification ?? null,
        repair: requests.repair !== undefined ? { request: requests.repair, rereadTrust } : null,
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
/**
 * With a repair request: the request and the hosts whose registry trust it read again (those its
 * last verify found drifted), so that the same request keeps them (a later clean verify does not
 * read them once more); null without one.
 */
export const repair = pulumi.output(main.then((m) => m.repair));

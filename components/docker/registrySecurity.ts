/**
 * `registry.security` in one place: one strategy object per value ("tls", "insecure") that says
 * everything the choice decides, so no component branches on the string:
 * - its resources: with tls the CA, the server certificate and the users on the registry host
 *   (`RegistryTls`) and, with mirrors, the CA where Pulumi runs (`ControllerCaTrust`); none with insecure;
 * - the Docker provider's auth entry for the registry;
 * - each host's trust: daemon.json lists the endpoint in `insecure-registries` (insecure) or must
 *   not (tls), and with tls the CA in `/etc/docker/certs.d/<endpoint>/ca.crt` (`RegistryTrust`);
 * - what a verify reads of that trust;
 * - its rules: the program's facts (`controllerCaDir`, the `SSL_CERT_DIR` pulumi runs with, whether
 *   the users' passwords are secrets) checked with the rest of the config before any resource
 *   ({@link registrySecurityProblems}); the rule on the spec alone (users over plain HTTP) is the
 *   validator's (components/model/validate.ts);
 * - the warnings said on every run.
 */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import { REGISTRY_SECURITY, RegistrySecurity, RegistrySpec, ValidationError } from "../model/types";
import { InstalledLibrary } from "../scripts/command";
import type { HostVerifyInput } from "../verify/render";
import { insecureRegistryAuth, tlsRegistryAuth } from "./provider";
import { RegistryTls } from "./registryTls";
import { ControllerCaTrust, controllerCaDirProblem, controllerCaFileName } from "./controllerTrust";

export type { RegistrySecurity };

/** What the program knows besides the config, for the rules of registry security. */
export interface RegistryProgramFacts {
    /** `controllerCaDir` of the stack's config; undefined when it is not set. */
    controllerCaDir?: string;
    /** The environment `pulumi` runs with (its `SSL_CERT_DIR`). Defaults to `process.env`. */
    env?: NodeJS.ProcessEnv;
    /** Whether the registry's config (its users' passwords) is a secret; undefined when that cannot be told. */
    registryIsSecret?: boolean;
}

/** Where the registry's security resources go and what they run over. */
export interface RegistrySecurityContext {
    /** The lab's name: resources are `${name}-registry-tls`, `${name}-controller-ca`. */
    name: string;
    /** Their parent, and what errors and warnings name. */
    parent: pulumi.Resource;
    /** The registry host's SSH connection and shell library. */
    connection: command.types.input.remote.ConnectionArgs;
    library: InstalledLibrary;
    /** What they wait for (the preflights). */
    dependsOn: pulumi.Resource[];
    /** `MacvlanLabArgs.controllerCaDir`: required with tls and mirrors. */
    controllerCaDir?: string;
}

/** What the strategy declared. */
export interface RegistrySecurityResources {
    registryTls?: RegistryTls;
    controllerCa?: ControllerCaTrust;
}

/** Everything `registry.security` decides (see the module comment). */
export interface RegistrySecurityStrategy {
    readonly name: RegistrySecurity;
    /** daemon.json lists the endpoint in `insecure-registries` (and dockerd must, after a reload); otherwise it must not. */
    readonly listedInsecure: boolean;
    /** Hosts trust a CA of the registry's own (`/etc/docker/certs.d/<endpoint>/ca.crt`), made on its host. */
    readonly hasCa: boolean;
    /** The Docker provider's `registryAuth` entry for the registry. */
    providerAuth(reg: RegistrySpec): docker.types.input.ProviderRegistryAuth;
    /** The program's rules, one error per problem (path, value, fix). */
    problems(reg: RegistrySpec, facts: RegistryProgramFacts): ValidationError[];
    /** What is said on every run. */
    warnings(reg: RegistrySpec): string[];
    /** Its resources (see {@link RegistrySecurityContext}). */
    resources(reg: RegistrySpec, ctx: RegistrySecurityContext): RegistrySecurityResources;
    /** What a verify of a host reads of its trust. */
    verifyTrust(reg: RegistrySpec, made: RegistrySecurityResources): pulumi.Input<NonNullable<HostVerifyInput["trust"]>>;
}

const tls: RegistrySecurityStrategy = {
    name: "tls",
    listedInsecure: false,
    hasCa: true,
    providerAuth: (reg) => tlsRegistryAuth(reg.endpoint, reg.users[0]),
    problems(reg, facts) {
        const errors: ValidationError[] = [];
        if (reg.users.length > 0 && facts.registryIsSecret === false) {
            errors.push({
                path: "registry.users",
                message:
                    "registry.users has passwords in plain text in the stack file; set each as a secret: pulumi config set --secret --path 'registry.users[0].password' (and remove the plain one)",
            });
        }
        if (reg.mirrors.length > 0) {
            const problem = controllerCaDirProblem(facts.controllerCaDir, facts.env);
            if (problem !== undefined) errors.push({ path: "controllerCaDir", message: problem });
        }
        return errors;
    },
    warnings: (reg) =>
        // allowed (a lab's registry), but said on every run: TLS alone keeps no one from pushing
        reg.users.length > 0
            ? []
            : [
                  `registry ${reg.endpoint}: security tls without users: the registry asks for no login, so anyone who reaches the port can push images that every host then runs; declare registry.users (passwords as secrets)`,
              ],
    resources(reg, ctx) {
        const registryTls = new RegistryTls(
            `${ctx.name}-registry-tls`,
            { connection: ctx.connection, address: reg.address, port: reg.port, users: reg.users, library: ctx.library },
            { parent: ctx.parent, dependsOn: ctx.dependsOn },
        );
        if (reg.mirrors.length === 0) return { registryTls };
        if (ctx.controllerCaDir === undefined) {
            throw new pulumi.ResourceError(controllerCaDirProblem(undefined) ?? "controllerCaDir is not set", ctx.parent);
        }
        const controllerCa = new ControllerCaTrust(
            `${ctx.name}-controller-ca`,
            {
                dir: ctx.controllerCaDir,
                file: controllerCaFileName(pulumi.getProject(), pulumi.getStack(), reg.endpoint),
                caCertificate: registryTls.caCertificate,
            },
            { parent: ctx.parent },
        );
        return { registryTls, controllerCa };
    },
    verifyTrust: (reg, made) =>
        made.registryTls!.caCertificate.apply((pem) => ({
            kind: "ca" as const,
            file: `/etc/docker/certs.d/${reg.endpoint}/ca.crt`,
            sha256: createHash("sha256").update(pem).digest("hex"),
        })),
};

const insecure: RegistrySecurityStrategy = {
    name: "insecure",
    listedInsecure: true,
    hasCa: false,
    providerAuth: (reg) => insecureRegistryAuth(reg.endpoint),
    // users over plain HTTP: the validator's rule (the spec alone decides it)
    problems: () => [],
    warnings: (reg) => [
        `registry ${reg.endpoint}: security insecure serves plain HTTP without users: anyone who reaches ${reg.endpoint} can push images that every host then pulls and runs, and every pull can be tampered with on the way; use security: tls with registry.users`,
    ],
    resources: () => ({}),
    verifyTrust: (reg) => ({ kind: "insecure" as const, daemonJson: "/etc/docker/daemon.json", endpoint: reg.endpoint }),
};

/** The strategies by value; one per member of `REGISTRY_SECURITY`. */
export const REGISTRY_SECURITY_STRATEGIES: Readonly<Record<RegistrySecurity, RegistrySecurityStrategy>> = { tls, insecure };

/** The strategy of a value; throws naming the values there are. */
export function registrySecurity(security: RegistrySecurity): RegistrySecurityStrategy {
    const s = (REGISTRY_SECURITY_STRATEGIES as Record<string, RegistrySecurityStrategy | undefined>)[security];
    if (s === undefined) throw new Error(`registry security ${JSON.stringify(security)} is not one of ${REGISTRY_SECURITY.map((x) => `"${x}"`).join(", ")}`);
    return s;
}

/** The program's rules of the registry's security (see {@link RegistrySecurityStrategy.problems}); none without a registry. Pure. */
export function registrySecurityProblems(reg: RegistrySpec | undefined, facts: RegistryProgramFacts): ValidationError[] {
    return reg === undefined ? [] : registrySecurity(reg.security).problems(reg, facts);
}

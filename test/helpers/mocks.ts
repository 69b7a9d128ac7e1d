/**
 * One shared mocks module for program tests: installs Pulumi's mocks, records every registered
 * resource with what the engine would receive (type, name, inputs with secrets still marked,
 * provider, parent, dependencies, deleteBeforeReplace) and what the mock's newResource received,
 * and turns Outputs into Promises. Also the secret helpers tests assert with (`secretAlong`,
 * `withoutSecrets`, `unwrapSecrets`).
 */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";

/** The wire marker of a secret value (the SDK's `specialSigKey` / `specialSecretSig`). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** The daemon.json the mocks' hosts have (the lab's hosts start with it). */
export const MOCK_DAEMON_JSON = '{"log-level": "warn"}\n';

/**
 * What the registry trust's inspect command prints on a host with {@link MOCK_DAEMON_JSON}, no
 * systemd unit flag (components/scripts/docker/daemon.sh `docker_inspect`): the program decides
 * daemon.json from it.
 */
export const MOCK_INSPECT_REPORT = [
    "@conf /etc/docker/daemon.json",
    `@daemon-json /etc/docker/daemon.json 644 0:0 ${createHash("sha256").update(MOCK_DAEMON_JSON).digest("hex")} ${Buffer.from(MOCK_DAEMON_JSON).toString("base64")}`,
    "@systemd no",
    "@end",
    "",
].join("\n");

/** A CA certificate as the registry's certificate command prints it (only its PEM form matters here). */
export const MOCK_CA_PEM = "-----BEGIN CERTIFICATE-----\nTU9DSyBDQQ==\n-----END CERTIFICATE-----\n";
export const MOCK_CERT_PEM = "-----BEGIN CERTIFICATE-----\nTU9DSyBDRVJU\n-----END CERTIFICATE-----\n";
/** What the registry's certificate command (components/scripts/docker/registry-tls.sh) prints. */
export const MOCK_TLS_REPORT = `@ca ${Buffer.from(MOCK_CA_PEM).toString("base64")}\n@cert ${Buffer.from(MOCK_CERT_PEM).toString("base64")}\n`;

export interface Registered {
    type: string;
    name: string;
    urn: string;
    /** The id the mocks gave it. */
    id: string;
    /** Its state as the mocks returned it (outputs). */
    outputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    custom: boolean;
    /** Inputs with secrets unwrapped. */
    inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    /** Inputs as sent on the wire: secrets still wrapped in the secret signature. */
    wire: Record<string, unknown>;
    /** The inputs the mock's newResource received (deserialized by the mock monitor). */
    mockInputs: Record<string, unknown>;
    provider?: string;
    parent?: string;
    dependencies: string[];
    deleteBeforeReplace: boolean;
}

export interface MockState {
    resources: Registered[];
    byType(type: string): Registered[];
    byName(name: string): Registered;
    /** Whether `path` (like `connection.privateKey`) of a resource's inputs is a secret on the wire. */
    isSecret(r: Registered, path: string): boolean;
}

/**
 * Installs mocks for a fresh program run. `config` is the stack's config map as the engine passes
 * it (`macvlan-lab:hosts` -> JSON text). Call before importing the program.
 */
export function installMocks(
    stack: string,
    config: Record<string, string>,
    secretKeys: string[] = [],
    /** Extra outputs a test wants a resource to have (e.g. a command's stdout). */
    extraState: (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown> = () => ({}),
): MockState {
    pulumi.runtime.setAllConfig(config, secretKeys);
    const resources: Registered[] = [];
    const mockInputs = new Map<string, Record<string, unknown>>();
    let nextId = 0;
    pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
                mockInputs.set(`${args.type}::${args.name}`, args.inputs);
                const state: Record<string, unknown> = { ...args.inputs };
                if (args.type === "docker:index/remoteImage:RemoteImage") {
                    state.imageId = `sha256:${String(nextId).padStart(4, "0")}`;
                }
                if (args.type === "docker:index/container:Container") {
                    state.networkDatas = [{ ipAddress: args.inputs.networksAdvanced?.[0]?.ipv4Address ?? "10.99.0.2" }];
                }
                if (args.type === "pulumi:pulumi:StackReference") {
                    // the program reads its own stack's last outputs (index.ts lastDeployment): none by default
                    state.outputs = {};
                }
                if (args.type === "command:remote:Command") {
                    state.stdout = args.name.endsWith("-trust-inspect") ? MOCK_INSPECT_REPORT : args.name.endsWith("-registry-tls-certs") ? MOCK_TLS_REPORT : "";
                    state.stderr = "";
                }
                return { id: `${args.name}-id-${nextId++}`, state: { ...state, ...extraState(args) } };
            },
            call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
                return args.inputs;
            },
        },
        "macvlan-lab",
        stack,
        false,
        "organization",
    );
    // Wrap the mock monitor to see the whole request, as the engine would.
    const monitor = pulumi.runtime.getMonitor() as unknown as {
        registerResource(req: any, cb: (err: unknown, resp: any) => void): void; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
        original(req, (err, resp) => {
            if (!err && resp) {
                const wire = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
                resources.push({
                    type: req.getType(),
                    name: req.getName(),
                    urn: resp.getUrn(),
                    id: resp.getId(),
                    outputs: unwrapSecrets(resp.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
                    custom: req.getCustom(),
                    inputs: unwrapSecrets(wire) as Record<string, unknown>,
                    wire,
                    mockInputs: mockInputs.get(`${req.getType()}::${req.getName()}`) ?? {},
                    provider: req.getProvider() || undefined,
                    parent: req.getParent() || undefined,
                    dependencies: req.getDependenciesList(),
                    deleteBeforeReplace: req.getDeletebeforereplace(),
                });
            }
            cb(err, resp);
        });
    };
    return {
        resources,
        byType: (type) => resources.filter((r) => r.type === type),
        byName: (name) => {
            const found = resources.filter((r) => r.name === name);
            if (found.length !== 1) {
                throw new Error(`${found.length} resources named ${name}; names: ${resources.map((r) => r.name).join(", ")}`);
            }
            return found[0];
        },
        isSecret: (r, path) => secretAlong(r.wire, path),
    };
}

/** Whether `v` is a secret as sent on the wire (wrapped in the secret signature). */
export function isSecretValue(v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Whether the value at `path` (like `connection.privateKey`) of `inputs` is a secret or inside one. */
export function secretAlong(inputs: Record<string, unknown>, path: string): boolean {
    let v: unknown = inputs;
    for (const part of path.split(".")) {
        if (isSecretValue(v)) {
            return true;
        }
        v = (v as Record<string, unknown> | undefined)?.[part];
    }
    return isSecretValue(v);
}

/** `v` with every secret's value replaced by the placeholder `"[secret]"`. */
export function withoutSecrets(v: unknown): unknown {
    if (isSecretValue(v)) {
        return "[secret]";
    }
    if (Array.isArray(v)) {
        return v.map(withoutSecrets);
    }
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutSecrets(x)]));
    }
    return v;
}

/** `v` with every secret replaced by its value. */
export function unwrapSecrets(v: unknown): unknown {
    if (isSecretValue(v)) {
        return unwrapSecrets((v as { value: unknown }).value);
    }
    if (Array.isArray(v)) {
        return v.map(unwrapSecrets);
    }
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
    }
    return v;
}

/** Resolves an Output (unknowns and secrets included) to its value. */
export function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply(resolve));
}

/** Waits until the program's registrations have settled (no new resource for a few ticks); throws if they do not within `maxMs`. */
export async function settle(state: MockState, quietMs = 50, maxMs = 10000): Promise<void> {
    const start = Date.now();
    let count = -1;
    while (Date.now() - start < maxMs) {
        if (count === state.resources.length) {
            return;
        }
        count = state.resources.length;
        await new Promise((r) => setTimeout(r, quietMs));
    }
    throw new Error(`registrations did not settle within ${maxMs} ms (${state.resources.length} so far)`);
}

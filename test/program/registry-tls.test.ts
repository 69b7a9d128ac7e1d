/**
 * registry.security tls with users (issue 10) as the program declares it (index.ts under Pulumi's
 * mocks): the CA and certificate made on the registry host, the htpasswd file on stdin, the CA in
 * certs.d on every host, the registry serving TLS with htpasswd, every push and pull with the user,
 * the CA where Pulumi runs; no secret in any script or plain output, no insecure-registries.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { MockState, settle, unwrapSecrets, withoutSecrets } from "../helpers/mocks";
import { importProgram, installProgramMocks, ProgramMocks } from "../helpers/runProgram";
import { registryTlsReport } from "../fixtures/hostKeys";
import { loadStackConfig } from "../../lab/stackFile";
import { htpasswdScript, htpasswdText, sha256Hex } from "../../components/docker/registryTls";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nregistry-tls-test\n-----END OPENSSH PRIVATE KEY-----";
const PASSWORD = "tls-test-password-Zq9";
const CA_DIR = "/tmp/mvltest-controller-ca";
const EP = "192.168.1.11:5000";
const TLS = registryTlsReport("a");
const MOCK_CA_PEM = TLS.ca;
const MOCK_CERT_PEM = TLS.cert;

function tlsConfig(extra: Record<string, unknown> = {}): Record<string, string> {
    const cfg = loadStackConfig("multi-vlan");
    const registry = JSON.parse(cfg["macvlan-lab:registry"]) as Record<string, unknown>;
    Object.assign(registry, { security: "tls", users: [{ name: "pusher", password: PASSWORD }, { name: "puller", password: `${PASSWORD}-2` }] }, extra);
    return { ...cfg, "macvlan-lab:registry": JSON.stringify(registry), "macvlan-lab:controllerCaDir": CA_DIR };
}

async function run(
    config: Record<string, string>,
    secretKeys = ["macvlan-lab:sshPrivateKey", "macvlan-lab:registry"],
    sslCertDir: string | undefined = `${CA_DIR}:/etc/ssl/certs`,
    extraState?: ProgramMocks["outputs"],
): Promise<{ state: MockState; error?: Error; program?: Record<string, unknown> }> {
    const saved = process.env.SSL_CERT_DIR;
    if (sslCertDir === undefined) delete process.env.SSL_CERT_DIR;
    else process.env.SSL_CERT_DIR = sslCertDir;
    const state = installProgramMocks({ stack: "multi-vlan", config, key: KEY, secretKeys, outputs: (a) => ({ ...hashCommand(a), ...(extraState?.(a) ?? {}) }) });
    try {
        const program = await importProgram();
        await settle(state);
        return { state, program };
    } catch (e) {
        return { state, error: e as Error };
    } finally {
        if (saved === undefined) delete process.env.SSL_CERT_DIR;
        else process.env.SSL_CERT_DIR = saved;
    }
}

/** The hashing command's stdout as the provider would keep it: its script's result, without the last newline. */
function hashCommand(a: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
    // the certificate command: a real report (parseRegistryTls checks the CA's constraints)
    if (a.type === "command:remote:Command" && a.name.endsWith("-registry-tls-certs")) return { stdout: TLS.report };
    if (a.type !== "command:local:Command" || !a.name.endsWith("-htpasswd-hash")) return {};
    const { users } = JSON.parse(unwrapSecrets(a.inputs.stdin) as string) as { users: Array<{ name: string; password: string }> };
    return { stdout: htpasswdText(users).trimEnd() };
}

const scriptVar = (script: string, name: string): string | undefined => {
    const m = new RegExp(`^${name}='((?:[^']|'\\\\'')*)'$`, "m").exec(script);
    return m?.[1].replace(/'\\''/g, "'");
};

describe("program: registry.security tls with users", function () {
    this.timeout(120_000);
    let s: MockState;
    let program: Record<string, unknown>;
    before(async () => {
        const r = await run(tlsConfig());
        assert.strictEqual(r.error, undefined, r.error?.message);
        s = r.state;
        program = r.program ?? {};
    });

    it("makes the CA and certificate on the registry host (no key in any script), the users' file from a secret stdin", () => {
        const certs = s.byName("lab-registry-tls-certs");
        assert.match(certs.inputs.create, /^registry_tls_make$/m);
        assert.strictEqual(scriptVar(certs.inputs.create, "san"), "IP:192.168.1.11");
        assert.match(certs.inputs.delete, /^registry_tls_remove$/m);
        assert.ok(certs.inputs.connection.host === "192.168.1.11");
        const h = s.byName("lab-registry-tls-htpasswd");
        assert.ok(s.isSecret(h, "stdin"), "the htpasswd file travels as a secret");
        assert.match(h.inputs.stdin, /^pusher:\$2y\$10\$[./A-Za-z0-9]{53}\npuller:\$2y\$10\$[./A-Za-z0-9]{53}\n$/);
        assert.ok(h.dependencies.includes(s.byName("lab-docker01-lib-install").urn));
        // the lines are made where Pulumi runs, by node, from the users on a secret stdin; its output
        // (the previous lines, kept while they match) is not logged
        const hash = s.byName("lab-registry-tls-htpasswd-hash");
        assert.strictEqual(hash.type, "command:local:Command");
        assert.deepStrictEqual(hash.inputs.interpreter, [process.execPath, "-e"]);
        assert.strictEqual(hash.inputs.create, htpasswdScript());
        assert.strictEqual(hash.inputs.logging, "stderr");
        assert.strictEqual(hash.inputs.addPreviousOutputInEnv, true);
        assert.ok(s.isSecret(hash, "stdin"), "the passwords travel as a secret");
        assert.deepStrictEqual(JSON.parse(hash.inputs.stdin), { users: [{ name: "pusher", password: PASSWORD }, { name: "puller", password: `${PASSWORD}-2` }] });
        assert.strictEqual(hash.inputs.triggers, undefined, "a new password is an update (which keeps the other lines), never a replacement");
    });

    it("puts no password, hash or key in any script or plain input, nor in the stack's outputs", () => {
        const htpasswd = s.byName("lab-registry-tls-htpasswd").inputs.stdin as string;
        const hashes = htpasswd.split("\n").filter((l) => l).map((l) => l.split(":")[1]);
        for (const r of s.resources) {
            const plain = JSON.stringify(withoutSecrets(r.wire));
            for (const secret of [PASSWORD, ...hashes, "registry-tls-test", "PRIVATE KEY"]) {
                assert.ok(!plain.includes(secret), `${r.name} holds ${secret.slice(0, 12)}... in plain`);
            }
        }
        const outputs = JSON.stringify(Object.fromEntries(Object.entries(program).filter(([k]) => k !== "checks" && k !== "hosts")));
        assert.ok(!outputs.includes(PASSWORD) && !hashes.some((x) => outputs.includes(x)), "a stack output holds a password or hash");
    });

    it("trusts the CA on every host through certs.d (no insecure-registries anywhere, no reload)", () => {
        for (const hst of ["docker01", "docker02"]) {
            const ca = s.byName(`lab-${hst}-trust-ca`);
            assert.strictEqual(scriptVar(ca.inputs.create, "ca"), MOCK_CA_PEM);
            assert.strictEqual(scriptVar(ca.inputs.create, "endpoint"), EP);
            assert.strictEqual(scriptVar(ca.inputs.create, "certs_dir"), "/etc/docker/certs.d");
            assert.ok(ca.dependencies.includes(s.byName(`lab-${hst}-trust-daemon-json`).urn), `${hst}: the CA trust runs after the daemon.json step (one state directory)`);
            assert.match(ca.inputs.triggers[0], /^sha256:/);
            const dj = s.byName(`lab-${hst}-trust-daemon-json`).inputs.create as string;
            assert.strictEqual(scriptVar(dj, "content"), "", "daemon.json stays as it is");
            assert.strictEqual(scriptVar(dj, "security"), "tls");
        }
        for (const c of s.byType("command:remote:Command")) {
            assert.ok(!/^content='.*insecure-registries/ms.test(c.inputs.create ?? ""), `${c.name} writes insecure-registries`);
        }
        for (const p of s.byType("pulumi:providers:docker")) {
            assert.ok(!String(p.inputs.registryAuth).includes("http://"), `${p.name}: an http:// registry`);
        }
    });

    it("runs the registry with TLS and htpasswd from the host's directories (read-only), replaced when the certificate changes", () => {
        const c = s.byName("lab-registry-container");
        assert.deepStrictEqual(c.inputs.envs, [
            "REGISTRY_HTTP_TLS_CERTIFICATE=/certs/server.crt",
            "REGISTRY_HTTP_TLS_KEY=/certs/server.key",
            "REGISTRY_AUTH=htpasswd",
            `REGISTRY_AUTH_HTPASSWD_REALM=macvlan-lab registry ${EP}`,
            "REGISTRY_AUTH_HTPASSWD_PATH=/auth/htpasswd",
        ]);
        assert.deepStrictEqual(c.inputs.volumes, [
            { volumeName: "registry-data", containerPath: "/var/lib/registry" },
            { hostPath: "/var/lib/macvlan-lab/registry-5000/tls", containerPath: "/certs", readOnly: true },
            { hostPath: "/var/lib/macvlan-lab/registry-5000/auth", containerPath: "/auth", readOnly: true },
        ]);
        assert.ok(c.inputs.labels.some((l: { label: string; value: string }) => l.label === "dev.macvlan-lab.registry-certificate" && l.value === sha256Hex(MOCK_CERT_PEM)));
        for (const d of ["lab-registry-tls-certs", "lab-registry-tls-htpasswd"]) assert.ok(c.dependencies.includes(s.byName(d).urn), `after ${d}`);
    });

    it("pushes and pulls with the first user (https, password a secret); the push verifies TLS and waits for the CA where Pulumi runs", () => {
        for (const hst of ["docker01", "docker02"]) {
            const p = s.byName(`lab-${hst}-docker`);
            assert.deepStrictEqual(JSON.parse(p.inputs.registryAuth), [{ address: EP, username: "pusher", password: PASSWORD }]);
            assert.ok(JSON.stringify(p.wire.registryAuth).includes("1b47061264138c4ac30d75fd1eb44270"), `${hst}: the password is a secret on the wire`);
        }
        const push = s.byName("lab-registry-busybox-v1-push");
        assert.strictEqual(push.inputs.insecureSkipVerify, false);
        assert.ok(push.dependencies.includes(s.byName("lab-controller-ca-file").urn));
        assert.ok(push.dependencies.includes(s.byName("lab-docker01-trust-ca").urn), "the registry host's daemon trusts the CA before it pushes");
        const local = s.byName("lab-controller-ca-file");
        assert.strictEqual(local.type, "command:local:Command");
        assert.strictEqual(local.inputs.stdin, MOCK_CA_PEM);
        assert.strictEqual(scriptVar(local.inputs.create, "dir"), CA_DIR);
        assert.strictEqual(scriptVar(local.inputs.create, "file"), "macvlan-lab-macvlan-lab-multi-vlan-192.168.1.11_5000.crt");
        assert.match(local.inputs.delete, /^ca_file_remove$/m);
    });
});

describe("program: registry.security tls refuses what would fail or leak, before any resource", function () {
    this.timeout(120_000);
    it("a plain-text password, no controllerCaDir, and a controllerCaDir that SSL_CERT_DIR does not name", async () => {
        const plain = await run(tlsConfig(), ["macvlan-lab:sshPrivateKey"]);
        assert.match(plain.error?.message ?? "", /registry\.users has passwords in plain text in the stack file; set each as a secret: pulumi config set --secret --path 'registry\.users\[0\]\.password'/);
        const noDir = await run({ ...tlsConfig(), "macvlan-lab:controllerCaDir": "" });
        assert.match(noDir.error?.message ?? "", /controllerCaDir is not set, and registry\.security is tls: the Docker provider checks every pushed image's digest over https from this machine/);
        const notNamed = await run(tlsConfig(), undefined, "/etc/ssl/certs");
        assert.match(notNamed.error?.message ?? "", /controllerCaDir \/tmp\/mvltest-controller-ca is not in SSL_CERT_DIR \("\/etc\/ssl\/certs"\), so the Docker provider would not trust the registry's CA; run pulumi with SSL_CERT_DIR=\/tmp\/mvltest-controller-ca:\/etc\/ssl\/certs/);
        for (const r of [plain, noDir, notNamed]) assert.strictEqual(r.state.resources.filter((x) => x.custom).length, 0, "nothing declared");
    });
});

describe("program: a deployment without the commands' output (pulumi destroy --run-program of a stack already destroyed)", function () {
    this.timeout(120_000);
    it("declares everything without failing; what depends on a missing output gets scripts that fail if they ever run", async () => {
        // the engine hands the program no stdout for a resource the deployment does not hold
        const r = await run(tlsConfig(), undefined, undefined, (a) => (a.type.startsWith("command:") ? { stdout: undefined } : {}));
        assert.strictEqual(r.error, undefined, r.error?.message);
        for (const hst of ["docker01", "docker02"]) {
            for (const n of [`lab-${hst}-trust-ca`, `lab-${hst}-trust-daemon-json`]) {
                const c = r.state.byName(n);
                assert.match(c.inputs.create, /^not_run$/m, `${n} create`);
                assert.match(c.inputs.delete, /^not_run$/m, `${n} delete`);
            }
        }
        assert.strictEqual(r.state.byName("lab-controller-ca-file").inputs.stdin, "");
    });
});

describe("program: rotation (the certificate command reports another CA and certificate)", function () {
    this.timeout(120_000);
    it("changes the triggers of every host's CA trust and of the CA where Pulumi runs, and the registry container's certificate label (replacements)", async () => {
        const a = await run(tlsConfig());
        const { ca: ca2, cert: cert2, report: report2 } = registryTlsReport("b");
        const b = await run(tlsConfig(), undefined, undefined, (x) => (x.name === "lab-registry-tls-certs" ? { stdout: report2 } : {}));
        assert.strictEqual(a.error ?? b.error, undefined);
        for (const hst of ["docker01", "docker02"]) {
            const [ta, tb] = [a, b].map((r) => r.state.byName(`lab-${hst}-trust-ca`).inputs.triggers[0]);
            assert.notStrictEqual(ta, tb, `${hst}: a new CA replaces the trust (only triggers replace a command)`);
            assert.strictEqual(scriptVar(b.state.byName(`lab-${hst}-trust-ca`).inputs.create, "ca"), ca2);
        }
        const [la, lb] = [a, b].map((r) => JSON.stringify(r.state.byName("lab-controller-ca-file").inputs.triggers));
        assert.notStrictEqual(la, lb);
        const label = (r: typeof a) => (r.state.byName("lab-registry-container").inputs.labels as Array<{ label: string; value: string }>).find((l) => l.label === "dev.macvlan-lab.registry-certificate")?.value;
        assert.strictEqual(label(b), sha256Hex(cert2));
        assert.notStrictEqual(label(a), label(b), "a new certificate replaces the registry container (a label change replaces a container)");
    });
});

describe("program: registry.security tls without users", function () {
    this.timeout(120_000);
    it("declares the registry without htpasswd, and warns that anyone who reaches the port can push (with users: no warning)", async () => {
        const warned: string[] = [];
        const original = console.warn;
        console.warn = (...a: unknown[]) => void warned.push(a.map(String).join(" "));
        try {
            const r = await run(tlsConfig({ users: [] }), ["macvlan-lab:sshPrivateKey"]);
            assert.strictEqual(r.error, undefined, r.error?.message);
            assert.strictEqual(r.state.resources.filter((x) => x.name === "lab-registry-tls-htpasswd").length, 0);
            for (const hst of ["docker01", "docker02"]) {
                assert.deepStrictEqual(JSON.parse(r.state.byName(`lab-${hst}-docker`).inputs.registryAuth), [{ address: EP, authDisabled: true }]);
            }
            assert.ok(
                warned.some((w) => w.includes(`registry ${EP}: security tls without users: the registry asks for no login, so anyone who reaches the port can push`)),
                `no warning in: ${warned.join(" | ")}`,
            );
            warned.length = 0;
            const withUsers = await run(tlsConfig());
            assert.strictEqual(withUsers.error, undefined, withUsers.error?.message);
            assert.ok(!warned.some((w) => w.includes("without users")), "a warning with users");
        } finally {
            console.warn = original;
        }
    });
});

/**
 * `registry.security` as one strategy per value (components/docker/registrySecurity.ts): every value
 * of the config's type has one, and each says what the choice decides: daemon.json, the CA, the
 * provider's auth entry, the program's rules on its facts, the warnings, what a verify reads. The
 * resources it declares are the program tests' (test/program/registry-tls.test.ts).
 */
import * as assert from "assert";
import { REGISTRY_SECURITY, RegistrySpec } from "../../components/model/types";
import { REGISTRY_SECURITY_STRATEGIES, registrySecurity, registrySecurityProblems } from "../../components/docker/registrySecurity";
import { planDaemonConfig } from "../../components/docker/daemonJson";

const REG: RegistrySpec = {
    host: "docker01",
    address: "192.168.1.11",
    port: 5000,
    image: "registry:2",
    volume: "registry-data",
    endpoint: "192.168.1.11:5000",
    mirrors: [{ source: "busybox:latest", name: "busybox", tag: "v1" }],
    security: "tls",
    users: [{ name: "lab", password: "pw" }],
    migrateUnitFlag: false,
};

describe("unit: registry security strategies", () => {
    it("has one strategy per value of registry.security, named after it, and refuses another value naming the ones there are", () => {
        assert.deepStrictEqual(Object.keys(REGISTRY_SECURITY_STRATEGIES).sort(), [...REGISTRY_SECURITY].sort());
        for (const v of REGISTRY_SECURITY) assert.strictEqual(registrySecurity(v).name, v);
        assert.throws(() => registrySecurity("plain" as never), { message: 'registry security "plain" is not one of "tls", "insecure"' });
    });

    it("tls: a CA, the endpoint kept out of insecure-registries, https with the first user's login", () => {
        const s = registrySecurity("tls");
        assert.deepStrictEqual([s.listedInsecure, s.hasCa], [false, true]);
        const auth = s.providerAuth(REG) as { address: string; username?: string };
        assert.deepStrictEqual([auth.address, auth.username], ["192.168.1.11:5000", "lab"]);
        assert.deepStrictEqual(s.providerAuth({ ...REG, users: [] }), { address: "192.168.1.11:5000", authDisabled: true });
    });

    it("insecure: no CA, the endpoint listed in insecure-registries, plain http:// without a login", () => {
        const s = registrySecurity("insecure");
        assert.deepStrictEqual([s.listedInsecure, s.hasCa], [true, false]);
        assert.deepStrictEqual(s.providerAuth({ ...REG, security: "insecure", users: [] }), { address: "http://192.168.1.11:5000", authDisabled: true });
        assert.deepStrictEqual(s.verifyTrust({ ...REG, security: "insecure" }, {}), { kind: "insecure", daemonJson: "/etc/docker/daemon.json", endpoint: "192.168.1.11:5000" });
    });

    it("daemon.json follows the strategy: insecure adds the endpoint, tls removes it", () => {
        const inspection = (text: string) => ({ conf: "/etc/docker/daemon.json", flags: [], units: [], systemd: true, daemonJson: { path: "/etc/docker/daemon.json", mode: "644", owner: "0:0", sha256: "0".repeat(64), bytes: Buffer.from(text) } });
        const req = (security: "tls" | "insecure") => ({ endpoint: REG.endpoint, security, migrate: false });
        assert.strictEqual(planDaemonConfig(req("insecure"), inspection("{}")).after, '{\n  "insecure-registries": [\n    "192.168.1.11:5000"\n  ]\n}\n');
        assert.strictEqual(planDaemonConfig(req("tls"), inspection('{"insecure-registries": ["192.168.1.11:5000"]}')).after, '{\n  "insecure-registries": []\n}\n');
        assert.strictEqual(planDaemonConfig(req("tls"), inspection("{}")).after, undefined);
        assert.deepStrictEqual([planDaemonConfig(req("insecure"), inspection("{}")).expectListed, planDaemonConfig(req("tls"), inspection("{}")).expectListed], [true, false]);
    });

    it("the program's rules take its facts: a plain-text password, controllerCaDir unset or not in SSL_CERT_DIR (tls with mirrors only)", () => {
        const env = { SSL_CERT_DIR: "/ca:/etc/ssl/certs" };
        assert.deepStrictEqual(registrySecurityProblems(REG, { controllerCaDir: "/ca", env, registryIsSecret: true }), []);
        assert.deepStrictEqual(registrySecurityProblems(undefined, {}), []);
        const paths = (facts: Parameters<typeof registrySecurityProblems>[1], reg: RegistrySpec = REG) => registrySecurityProblems(reg, facts).map((e) => e.path);
        assert.deepStrictEqual(paths({ controllerCaDir: "/ca", env, registryIsSecret: false }), ["registry.users"]);
        // unknown: the SDK cannot tell, so nothing is claimed
        assert.deepStrictEqual(paths({ controllerCaDir: "/ca", env }), []);
        assert.deepStrictEqual(paths({ env, registryIsSecret: true }), ["controllerCaDir"]);
        assert.match(registrySecurityProblems(REG, { controllerCaDir: "/elsewhere", env, registryIsSecret: true })[0].message, /^controllerCaDir \/elsewhere is not in SSL_CERT_DIR \("\/ca:\/etc\/ssl\/certs"\)/);
        assert.deepStrictEqual(paths({ env, registryIsSecret: true }, { ...REG, mirrors: [] }), [], "no mirrors: no digest check, no CA where Pulumi runs");
        assert.deepStrictEqual(paths({ registryIsSecret: false }, { ...REG, security: "insecure", users: [] }), [], "insecure has no program rule (users over HTTP is the validator's)");
    });

    it("warns on every run: insecure always, tls without users", () => {
        assert.strictEqual(registrySecurity("tls").warnings(REG).length, 0);
        assert.match(registrySecurity("tls").warnings({ ...REG, users: [] }).join("\n"), /^registry 192\.168\.1\.11:5000: security tls without users: /);
        assert.match(registrySecurity("insecure").warnings({ ...REG, security: "insecure", users: [] }).join("\n"), /^registry 192\.168\.1\.11:5000: security insecure serves plain HTTP without users: /);
    });
});

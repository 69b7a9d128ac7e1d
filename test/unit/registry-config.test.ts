/**
 * Validation of the registry keys of issues 9 and 10: `registry.security`, `registry.users`,
 * `registry.migrateUnitFlag`. Exact messages; a password never appears in one.
 */
import * as assert from "assert";
import { loadLab, validateLab } from "../../components/model/validate";
import { loadStackConfig, rawLabConfig } from "../../lab/stackFile";
import { registryPort } from "../../components/docker/registry";

/* eslint-disable @typescript-eslint/no-explicit-any */
const multiVlan = (): any => structuredClone(rawLabConfig(loadStackConfig("multi-vlan")));
const SECRET = "s3cr3t-Pa55'\"$(x)";

describe("registry config: security, users, migrateUnitFlag", () => {
    it("the multi-VLAN stack keeps the tutorial's plain HTTP, with no users and no unit migration", () => {
        const r = loadLab(multiVlan()).registry;
        assert.deepStrictEqual([r?.security, r?.users, r?.migrateUnitFlag], ["insecure", [], false]);
    });

    it("defaults to tls, no users, no migration", () => {
        const c = multiVlan();
        delete c.registry.security;
        const r = loadLab(c).registry;
        assert.deepStrictEqual([r?.security, r?.users, r?.migrateUnitFlag], ["tls", [], false]);
    });

    it("reads users with their passwords (tls), in order", () => {
        const c = multiVlan();
        c.registry.security = "tls";
        c.registry.users = [{ name: "pusher", password: SECRET }, { name: "ci.bot-2", password: "x" }];
        c.registry.migrateUnitFlag = true;
        const r = loadLab(c).registry;
        assert.deepStrictEqual(r?.users, [{ name: "pusher", password: SECRET }, { name: "ci.bot-2", password: "x" }]);
        assert.strictEqual(r?.migrateUnitFlag, true);
    });

    const CASES: Array<[string, (c: any) => void, string[]]> = [
        ["an unknown security", (c) => (c.registry.security = "https"), ['registry.security "https" is not one of tls, insecure']],
        ["users with plain HTTP", (c) => (c.registry.users = [{ name: "u", password: SECRET }]), [
            'registry.users is set but registry.security is "insecure": basic auth over plain HTTP sends the passwords in clear on the LAN; use security: tls, or remove the users',
        ]],
        ["a user without a password", (c) => {
            c.registry.security = "tls";
            c.registry.users = [{ name: "u" }];
        }, [
            "registry.users[0].password is missing; set it as a secret: pulumi config set --secret --path 'registry.users[0].password' (it is read from stdin when no value is given)",
        ]],
        ["an empty password and a user name with a colon", (c) => {
            c.registry.security = "tls";
            c.registry.users = [{ name: "a:b", password: "" }];
        }, [
            'registry.users[0].name "a:b" is not a user name of letters, digits and . _ - (at most 64, no colon)',
            "registry.users[0].password is not a non-empty string; set it as a secret: pulumi config set --secret --path 'registry.users[0].password' (it is read from stdin when no value is given)",
        ]],
        ["a password with a newline (the value is not shown)", (c) => {
            c.registry.security = "tls";
            c.registry.users = [{ name: "u", password: `${SECRET}\n` }];
        }, ["registry.users[0].password holds a NUL or newline character; pick a password without them"]],
        ["a user twice", (c) => {
            c.registry.security = "tls";
            c.registry.users = [{ name: "u", password: SECRET }, { name: "u", password: SECRET }];
        }, ['registry.users[1].name "u" is already registry.users[0]; give each user once']],
        ["an unknown user field", (c) => {
            c.registry.security = "tls";
            c.registry.users = [{ name: "u", password: SECRET, role: "admin" }];
        }, ["registry.users[0].role is not a field of a registry user; the fields are name, password"]],
        ["users not a list", (c) => {
            c.registry.security = "tls";
            c.registry.users = "u";
        }, ['registry.users "u" is not a list; write registry.users as a YAML sequence (- item lines)']],
        ["migrateUnitFlag not a boolean", (c) => (c.registry.migrateUnitFlag = "yes"), ['registry.migrateUnitFlag "yes" is not true or false']],
    ];
    for (const [what, mutate, expected] of CASES) {
        it(`rejects ${what}`, () => {
            const c = multiVlan();
            mutate(c);
            const errors = validateLab(c).map((e) => e.message);
            assert.deepStrictEqual(errors, expected);
            for (const e of errors) assert.ok(!e.includes(SECRET), `a message shows the password: ${e}`);
        });
    }
});

describe("registryPort (issue 27): the registry publishes on its address, not on every interface", () => {
    const reg = (address: string) => ({ host: "docker01", address, port: 5001, image: "registry:2", volume: "registry-data", endpoint: `${address}:5001`, mirrors: [], security: "tls" as const, users: [], migrateUnitFlag: false });
    it("an IPv4 address: published there alone", () => {
        assert.deepStrictEqual(registryPort(reg("192.168.1.11")), { internal: 5000, external: 5001, ip: "192.168.1.11" });
    });
    it("a DNS name (Docker publishes on addresses only): every address, which the component warns about", () => {
        assert.deepStrictEqual(registryPort(reg("registry.lab.example")), { internal: 5000, external: 5001 });
    });
});

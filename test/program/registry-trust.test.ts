/**
 * The registry trust as the program declares it (index.ts under Pulumi's mocks): per host a read of
 * daemon.json and the unit, then the write the program decided from that report, with the original
 * bytes in its delete; no python anywhere; ordered before the pushes and pulls.
 */
import * as assert from "assert";
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { MOCK_DAEMON_JSON, MockState, settle, withoutSecrets } from "../helpers/mocks";
import { importProgram, installProgramMocks } from "../helpers/runProgram";
import { loadStackConfig } from "../../lab/stackFile";
import { shellLibrary } from "../../components/scripts";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nregistry-trust-test\n-----END OPENSSH PRIVATE KEY-----";

/** Per resource name: the outputs it asked the engine to keep secret (`additionalSecretOutputs`). */
let secretOutputs: Map<string, string[]>;

async function run(config: Record<string, string>): Promise<MockState> {
    const state = installProgramMocks({ stack: "multi-vlan", config, key: KEY });
    // the request as the engine gets it: the option is not an input, so the shared mocks do not record it
    secretOutputs = new Map();
    const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: any, cb: unknown): void }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const inner = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
        secretOutputs.set(req.getName(), req.getAdditionalsecretoutputsList());
        inner(req, cb);
    };
    await importProgram();
    await settle(state);
    return state;
}

/** The value of `name='...'` in a thin script (single-quoted, `'\''` for a quote). */
function scriptVar(script: string, name: string): string | undefined {
    const m = new RegExp(`^${name}='((?:[^']|'\\\\'')*)'$`, "m").exec(script);
    return m?.[1].replace(/'\\''/g, "'");
}

describe("program: registry trust (insecure, the multi-VLAN stack)", function () {
    this.timeout(120_000);
    let s: MockState;
    before(async () => (s = await run(loadStackConfig("multi-vlan"))));

    it("reads first (no delete), then writes daemon.json as decided from what it read: other keys kept, the endpoint added", () => {
        for (const h of ["docker01", "docker02"]) {
            const inspect = s.byName(`lab-${h}-trust-inspect`).inputs;
            assert.strictEqual(inspect.delete, undefined);
            assert.match(inspect.create, /^docker_inspect$/m);
            assert.strictEqual(scriptVar(inspect.create, "security"), "insecure");
            const write = s.byName(`lab-${h}-trust-daemon-json`);
            assert.ok(write.dependencies.includes(s.byName(`lab-${h}-trust-inspect`).urn));
            assert.ok(write.dependencies.includes(s.byName(`lab-${h}-lib-install`).urn), "after the library is installed");
            assert.strictEqual(write.deleteBeforeReplace, true);
            const create = write.inputs.create as string;
            assert.strictEqual(scriptVar(create, "content"), '{\n  "log-level": "warn",\n  "insecure-registries": [\n    "192.168.1.11:5000"\n  ]\n}\n');
            assert.strictEqual(scriptVar(create, "expect"), createHash("sha256").update(MOCK_DAEMON_JSON).digest("hex"), "written only if the file is still as read");
            assert.match(scriptVar(create, "again") ?? "", /^pulumi up --replace 'urn:pulumi:multi-vlan::macvlan-lab::.*lab-docker0[12]-trust-inspect'/);
        }
    });

    it("puts the original bytes back on delete (as base64), only if the file still holds what was written", () => {
        const del = s.byName("lab-docker01-trust-daemon-json").inputs.delete as string;
        assert.strictEqual(Buffer.from(scriptVar(del, "orig") ?? "", "base64").toString("utf8"), MOCK_DAEMON_JSON);
        const written = scriptVar(s.byName("lab-docker01-trust-daemon-json").inputs.create, "content") ?? "";
        assert.strictEqual(scriptVar(del, "ours"), createHash("sha256").update(written).digest("hex"));
        assert.strictEqual(scriptVar(del, "intermediate"), '{\n  "log-level": "warn",\n  "insecure-registries": []\n}\n');
        assert.match(del, /^daemon_config_restore$/m);
    });

    it("keeps what it read from the host out of plain state (issue 27): the read's output secret, the write's scripts (which hold the bytes) secret, its triggers a plain digest", () => {
        for (const h of ["docker01", "docker02"]) {
            assert.ok(secretOutputs.get(`lab-${h}-trust-inspect`)?.includes("stdout"), `${h}: ${secretOutputs.get(`lab-${h}-trust-inspect`)?.join(", ")}`);
            assert.ok(!secretOutputs.get(`lab-${h}-trust-daemon-json`)?.includes("stdout"), "the probe: not every command asks for it");
            const write = s.byName(`lab-${h}-trust-daemon-json`);
            assert.ok(s.isSecret(write, "create") && s.isSecret(write, "delete"), `${h}: the scripts are not secret`);
            assert.ok(!s.isSecret(write, "triggers"), `${h}: a secret trigger would replace the write of a stack made before`);
            // the bytes read (daemon.json, as base64 in the delete) are nowhere in plain
            const plain = JSON.stringify(withoutSecrets(write.wire));
            assert.ok(!plain.includes(Buffer.from(MOCK_DAEMON_JSON).toString("base64")) && !plain.includes("log-level"), `${h}: the file's bytes in plain`);
        }
    });

    it("runs no python on any host: no script names python, nor the shell library and preflight that travel on stdin", () => {
        const commands = s.byType("command:remote:Command");
        // per host: preflight, library, trust inspect and daemon.json, promisc, 8021q, two VLANs, checks; and the registry's readiness wait
        assert.strictEqual(commands.length, 2 * 9 + 1, commands.map((c) => c.name).join(", "));
        // what runs: every line but comments (daemon.sh's header says it needs no python)
        const code = (text: unknown) => String(text ?? "").split("\n").filter((l) => !/^\s*#/.test(l)).join("\n");
        for (const c of commands) {
            for (const part of ["create", "update", "delete", "stdin"]) {
                assert.doesNotMatch(code(c.inputs[part]), /python/i, `${c.name} ${part} names python`);
            }
        }
        // what travels on stdin was read: the whole library with daemon.sh (which edits daemon.json), and preflight.sh
        for (const h of ["docker01", "docker02"]) {
            const lib = String(s.byName(`lab-${h}-lib-install`).inputs.stdin);
            assert.strictEqual(lib, shellLibrary().bundle, `${h}: the library on stdin`);
            assert.match(lib, /^#@file docker\/daemon\.sh$/m);
            assert.match(code(lib), /^daemon_config_restore\(\) \{$/m);
            assert.match(code(s.byName(`lab-${h}-preflight-check`).inputs.stdin), /\S/);
        }
    });

    it("the triggers name what is written and the host, never the library's version", () => {
        const t = s.byName("lab-docker01-trust-daemon-json").inputs.triggers as string[];
        assert.strictEqual(t.length, 2);
        assert.match(t[0], /^sha256:[0-9a-f]{64} sha256:[0-9a-f]{64}$/);
        assert.strictEqual(t[1], "192.168.1.11:22");
        const i = s.byName("lab-docker01-trust-inspect").inputs.triggers as string[];
        assert.match(i[0], /^sha256:/);
    });
});

describe("program: an insecure registry is warned about on every run (issue 27)", function () {
    this.timeout(120_000);
    it("says that anyone who reaches it can push what every host runs, and how to fix it", async () => {
        const warned: string[] = [];
        const original = console.warn;
        console.warn = (...a: unknown[]) => void warned.push(a.map(String).join(" "));
        try {
            await run(loadStackConfig("multi-vlan"));
        } finally {
            console.warn = original;
        }
        const line = warned.filter((w) => w.includes("registry 192.168.1.11:5000: security insecure serves plain HTTP without users"));
        assert.strictEqual(line.length, 1, warned.join(" | "));
        assert.match(line[0], /anyone who reaches 192\.168\.1\.11:5000 can push images that every host then pulls and runs.*; use security: tls with registry\.users/);
    });
});

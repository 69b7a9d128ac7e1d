/**
 * The registry trust as the program declares it (index.ts under Pulumi's mocks): per host a read of
 * daemon.json and the unit, then the write the program decided from that report, with the original
 * bytes in its delete; no python anywhere; ordered before the pushes and pulls.
 */
import * as assert from "assert";
import { createHash } from "crypto";
import * as path from "path";
import { installMocks, MOCK_DAEMON_JSON, MockState, settle } from "../helpers/mocks";
import { loadStackConfig } from "../../lab/stackFile";
import { shellLibrary } from "../../components/scripts";

const PROGRAM = path.join(__dirname, "..", "..", "index");
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nregistry-trust-test\n-----END OPENSSH PRIVATE KEY-----";

async function run(config: Record<string, string>): Promise<MockState> {
    const state = installMocks("multi-vlan", { ...config, "macvlan-lab:sshPrivateKey": KEY }, ["macvlan-lab:sshPrivateKey"]);
    delete require.cache[require.resolve(PROGRAM)];
    await import(PROGRAM);
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

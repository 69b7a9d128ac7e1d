/**
 * The command stand-in's `command:local:Command` (lab/providers/command/local.ts): what this
 * repository uses of pulumi-command v1.2.1's local command (the registry CA written where Pulumi
 * runs), run for real with /bin/sh on temporary files.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MemoryLogger } from "../../../lab/providers/command/engineLog";
import { makeProvider } from "../../../lab/providers/command/provider";
import { localEnv, localRunSpecOf } from "../../../lab/providers/command/local";

const URN = "urn:pulumi:s::p::macvlan-lab:docker:ControllerCaTrust$command:local:Command::lab-controller-ca-file";

describe("command stand-in: command:local:Command", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "mvltest-local-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("create runs /bin/sh -c with stdin in the provider's directory; delete runs the stored delete; outputs lose one trailing newline", async () => {
        const logger = new MemoryLogger();
        const p = makeProvider({ logger, randomHex: () => "0123abcd" });
        const f = path.join(dir, "ca.crt");
        const inputs = { create: `cat >'${f}'; echo wrote; echo warn >&2`, delete: `rm '${f}'`, stdin: "PEM\n", triggers: ["a"] };
        const checked = await p.check!(URN, {}, inputs);
        assert.deepEqual(checked.failures, []);
        const c = await p.create!(URN, checked.inputs);
        assert.equal(c.id, "lab-controller-ca-file0123abcd");
        assert.equal(fs.readFileSync(f, "utf8"), "PEM\n");
        assert.equal(c.outs?.stdout, "wrote");
        assert.equal(c.outs?.stderr, "warn");
        await p.delete!(c.id, URN, c.outs ?? {});
        assert.ok(!fs.existsSync(f));
    });

    it("only triggers replace; another create is an update that runs it again", async () => {
        const p = makeProvider({ logger: new MemoryLogger() });
        const olds = { create: "true", triggers: ["a"], stdout: "", stderr: "" };
        assert.deepEqual((await p.diff!("id", URN, olds, { create: "true", triggers: ["b"] })).replaces, ["triggers"]);
        const d = await p.diff!("id", URN, olds, { create: "echo 2", triggers: ["a"] });
        assert.deepEqual([d.changes, d.replaces], [true, []]);
        const u = await p.update!("id", URN, olds, { create: "echo 2", triggers: ["a"] });
        assert.equal(u.outs?.stdout, "2");
    });

    it("a failing command is upstream's error: exit status, the command quoted, the output", async () => {
        const p = makeProvider({ logger: new MemoryLogger() });
        await assert.rejects(p.create!(URN, { create: "echo out; echo err >&2; exit 3" }), {
            message: 'exit status 3: running "echo out; echo err >&2; exit 3":\nout\nerr\n',
        });
    });

    it("refuses asset and archive paths (served by upstream, not by the stand-in); the environment and previous output as upstream", async () => {
        const p = makeProvider({ logger: new MemoryLogger() });
        const r = await p.check!(URN, {}, { create: "true", assetPaths: ["*"] });
        assert.deepEqual(r.failures, [{ property: "assetPaths", reason: "pulumi-command v1.2.1 supports it, but this stand-in does not" }]);
        const spec = localRunSpecOf({ environment: { A: "1" }, addPreviousOutputInEnv: true }, { stdout: "prev", stderr: "" });
        const env = localEnv({ PATH: "/bin" }, spec);
        assert.deepEqual([env.A, env.PULUMI_COMMAND_STDOUT, env.PULUMI_COMMAND_STDERR, spec.interpreter], ["1", "prev", undefined, ["/bin/sh", "-c"]]);
    });
});

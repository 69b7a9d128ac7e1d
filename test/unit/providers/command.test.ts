/**
 * The command provider stand-in (lab/providers/command): pulumi-command v1.2.1's rules as pure
 * functions (check, diff/replace, error texts, dial retries, variables) and the provider object with a
 * fake runner. Runs over a real sshd are in test/exec/providers/command-ssh.test.ts.
 */
import * as assert from "assert";
import { goQuote } from "../../../lab/providers/command/goquote";
import { MemoryLogger } from "../../../lab/providers/command/engineLog";
import { RunOutput, Runner, makeProvider } from "../../../lab/providers/command/provider";
import {
    RunSpec,
    check,
    dialPolicy,
    diff,
    envRequests,
    outputsOf,
    runErrorText,
    runSpecOf,
    setenvRefusedError,
    setenvRefusedMessage,
    trimOutput,
} from "../../../lab/providers/command/rules";
import { acceptedNames, dialErrorText, masterArgv, parseHostKey, sessionArgv } from "../../../lab/providers/command/ssh";
import { recordOutput } from "../../../lab/providers/command/logOutput";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SECRET_SIG, SIG_KEY, UNKNOWN, Wire, WireMap, isSecret, makeSecret, reveal } from "../../../lab/providers/command/values";

const URN = "urn:pulumi:dev::proj::command:remote:Command::hello";
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n";

function inputs(extra: WireMap = {}): WireMap {
    return {
        connection: makeSecret({ host: "10.0.0.1", port: 22, user: "root", privateKey: KEY, dialErrorLimit: 5, perDialTimeout: 10 }),
        create: "echo hi",
        delete: "echo bye",
        triggers: ["a", "b"],
        ...extra,
    };
}

describe("command provider stand-in: Check", () => {
    it("fills connection defaults and returns the connection secret, privateKey secret inside", () => {
        const r = check({ connection: { host: "h", privateKey: KEY }, create: "x" });
        assert.deepStrictEqual(r.failures, []);
        assert.ok(isSecret(r.inputs.connection));
        const c = (r.inputs.connection as WireMap).value as WireMap;
        assert.strictEqual(c.user, "root");
        assert.strictEqual(c.port, 22);
        assert.strictEqual(c.dialErrorLimit, 10);
        assert.strictEqual(c.perDialTimeout, 15);
        assert.ok(isSecret(c.privateKey));
        assert.deepStrictEqual(reveal(r.inputs.connection), { host: "h", privateKey: KEY, user: "root", port: 22, dialErrorLimit: 10, perDialTimeout: 15 });
    });
    it("keeps given values and does not wrap a secret twice", () => {
        const r = check(inputs());
        const c = (r.inputs.connection as WireMap).value as WireMap;
        assert.strictEqual(c.dialErrorLimit, 5);
        assert.ok(!isSecret((c.privateKey as WireMap).value));
    });
    it("passes unknowns through (preview) and never fails on them", () => {
        const r = check({ connection: UNKNOWN, create: UNKNOWN, triggers: [UNKNOWN] });
        assert.deepStrictEqual(r.failures, []);
        assert.deepStrictEqual(r.inputs.connection, { [SIG_KEY]: SECRET_SIG, value: UNKNOWN });
        const r2 = check({ connection: { host: UNKNOWN, privateKey: UNKNOWN }, create: "x" });
        assert.deepStrictEqual(r2.failures, []);
    });
    it("fails on a missing connection or host, wrong types, and connection fields the stand-in does not serve", () => {
        assert.deepStrictEqual(check({ create: "x" }).failures.map((f) => f.property), ["connection"]);
        const r = check({ connection: { port: "22", proxy: { host: "b" } }, create: 3, triggers: "x" });
        const props = r.failures.map((f) => f.property).sort();
        assert.deepStrictEqual(props, ["connection.host", "connection.port", "connection.proxy", "create", "triggers"]);
    });
});

describe("command provider stand-in: Diff", () => {
    it("no change: no diff", () => {
        const d = diff({ ...inputs(), stdout: "hi", stderr: "" }, inputs());
        assert.deepStrictEqual({ changes: d.changes, replaces: d.replaces }, { changes: false, replaces: [] });
    });
    it("a changed trigger element, an added or a removed trigger, or triggers set/unset: replace", () => {
        for (const t of [["a", "c"], ["a", "b", "c"], ["a"], null]) {
            const d = diff(inputs(), inputs({ triggers: t as Wire }));
            assert.deepStrictEqual(d.replaces, ["triggers"], JSON.stringify(t));
            assert.strictEqual(d.deleteBeforeReplace, false);
        }
        const d = diff({ ...inputs(), triggers: null }, inputs());
        assert.deepStrictEqual(d.replaces, ["triggers"]);
    });
    it("any other change (scripts, connection, logging, environment) is an update", () => {
        const extras: WireMap[] = [
            { create: "echo other" },
            { delete: "echo other" },
            { logging: "none" },
            { environment: { A: "1" } },
            { connection: makeSecret({ host: "10.0.0.2", port: 22, user: "root", privateKey: KEY, dialErrorLimit: 5, perDialTimeout: 10 }) },
        ];
        for (const extra of extras) {
            const d = diff(inputs(), inputs(extra));
            assert.strictEqual(d.changes, true, JSON.stringify(extra));
            assert.deepStrictEqual(d.replaces, [], JSON.stringify(extra));
        }
    });
    it("unknowns in preview count as a change; null counts as absent; a secret equals only an equal secret", () => {
        assert.deepStrictEqual(diff(inputs(), inputs({ create: UNKNOWN })).diffs, ["create"]);
        assert.deepStrictEqual(diff(inputs(), inputs({ triggers: [UNKNOWN, "b"] })).replaces, ["triggers"]);
        assert.strictEqual(diff(inputs({ update: null }), inputs()).changes, false);
        assert.strictEqual(diff(inputs({ stdin: "x" }), inputs({ stdin: makeSecret("x") })).changes, true);
    });
    it("compares only input properties of the state (stdout/stderr are outputs)", () => {
        assert.strictEqual(diff({ ...inputs(), stdout: "a", stderr: "b" }, inputs()).changes, false);
    });
});

describe("command provider stand-in: texts and policies", () => {
    it("quotes the command as Go's %q", () => {
        assert.strictEqual(goQuote('echo "a"\tb\n'), '"echo \\"a\\"\\tb\\n"');
        assert.strictEqual(goQuote("a\\b\x01\x7f"), '"a\\\\b\\x01\\x7f"');
        assert.strictEqual(goQuote("ünï 日本 ✓"), '"ünï 日本 ✓"');
        assert.strictEqual(goQuote("\u00a0\u200b"), '"\\u00a0\\u200b"');
    });
    it("formats a failed command as upstream: exit, quoted command, interleaved output", () => {
        assert.strictEqual(
            runErrorText("Process exited with status 3", "echo out1; exit 3", "out1\nerr1\n"),
            'Process exited with status 3: running "echo out1; exit 3":\nout1\nerr1\n',
        );
    });
    it("trims one trailing newline only", () => {
        assert.strictEqual(trimOutput("a\n\n"), "a\n");
        assert.strictEqual(trimOutput("a"), "a");
    });
    it("dials limit+1 times, then names the failures; -1 never stops; delays back off to 5 s", () => {
        assert.deepStrictEqual(dialPolicy(1, 10), { stop: false, delayMs: 100, status: "Dial 1/10 failed: retrying" });
        assert.strictEqual(dialPolicy(10, 10).stop, false);
        const last = dialPolicy(11, 10);
        assert.ok(last.stop && last.error("x") === "after 10 failed attempts: x");
        const zero = dialPolicy(1, 0);
        assert.ok(zero.stop && zero.error("x") === "after 0 failed attempts: x");
        const inf = dialPolicy(100, -1);
        assert.ok(!inf.stop && inf.delayMs === 5000 && inf.status === "Dial 100/inf failed: retrying");
        const d3 = dialPolicy(3, 10);
        assert.ok(!d3.stop && d3.delayMs === 225);
    });
    it("variables: environment first (refusal fails), then the previous stdout/stderr when set (refusal warns)", () => {
        const spec = runSpecOf(inputs({ environment: { B: "2", A: "1" } }), { stdout: "prev", stderr: "" });
        assert.deepStrictEqual(
            envRequests(spec).map((r) => [r.name, r.value, r.onRefusal]),
            [["B", "2", "error"], ["A", "1", "error"], ["PULUMI_COMMAND_STDOUT", "prev", "warning"]],
        );
        const off = runSpecOf(inputs({ addPreviousOutputInEnv: false }), { stdout: "prev", stderr: "e" });
        assert.deepStrictEqual(envRequests(off), []);
        assert.strictEqual(setenvRefusedError("A"), 'could not set environment variable "A": ssh: setenv failed');
        assert.ok(setenvRefusedMessage("X").startsWith("Unable to set 'X'. This only works if your SSH server is configured to accept\n\tthese variables via AcceptEnv."));
    });
    it("logging: unset logs both streams, none logs neither", () => {
        const f = (l?: string): [boolean, boolean] => {
            const s = runSpecOf(inputs(l === undefined ? {} : { logging: l }), { stdout: "", stderr: "" });
            return [s.logStdout, s.logStderr];
        };
        assert.deepStrictEqual([f(), f("stdout"), f("stderr"), f("stdoutAndStderr"), f("none")], [[true, true], [true, false], [false, true], [true, true], [false, false]]);
    });
    it("outputs: the inputs as checked (secrets kept) plus stdout and stderr", () => {
        const o = outputsOf(inputs(), { stdout: "x", stderr: "" });
        assert.ok(isSecret(o.connection));
        assert.strictEqual(o.stdout, "x");
        assert.strictEqual(o.stderr, "");
    });
});

describe("command provider stand-in: ssh argv and errors", () => {
    const conn = { host: "10.0.0.1", port: 2222, user: "root", privateKey: KEY, dialErrorLimit: 10, perDialTimeout: 15 };
    const files = { dir: "/t", keyFile: "/t/key", controlPath: "/t/c", masterLog: "/t/log", knownHosts: "/t/kh" };
    it("master: no ssh config, batch mode, only the given key, no agent, host key ignored without hostKey", () => {
        const a = masterArgv(conn, { ...files, knownHosts: undefined }).join(" ");
        for (const part of ["-F none", "BatchMode=yes", "-i /t/key -o IdentitiesOnly=yes", "IdentityAgent=none", "StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null", "ConnectTimeout=15", "-M -S /t/c", "-f -N", "-p 2222 -l root", "-- 10.0.0.1"]) {
            assert.ok(a.includes(part), `${part} in ${a}`);
        }
    });
    it("master with hostKey: pinned known_hosts, strict checking, the key's algorithm", () => {
        const hk = parseHostKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample host");
        assert.ok(!("error" in hk));
        const a = masterArgv(conn, files, hk).join(" ");
        for (const part of ["UserKnownHostsFile=/t/kh", "StrictHostKeyChecking=yes", "HostKeyAlgorithms=ssh-ed25519"]) assert.ok(a.includes(part), part);
        assert.deepStrictEqual(parseHostKey("nonsense"), { error: "failed to parse host key: ssh: no key found" });
    });
    it("session: over the master, named variables only, no pty, the command last", () => {
        const s = sessionArgv(conn, files, ["A"], "echo hi");
        assert.deepStrictEqual(s.slice(-3), ["--", "10.0.0.1", "echo hi"]);
        assert.ok(s.join(" ").includes("-o SendEnv=A"));
    });
    it("dial errors read as x/crypto's", () => {
        assert.strictEqual(dialErrorText("127.0.0.1", 1, "ssh: connect to host 127.0.0.1 port 1: Connection refused\n"), "dial tcp 127.0.0.1:1: connect: connection refused");
        assert.strictEqual(dialErrorText("h", 22, "root@h: Permission denied (publickey).\n"), "ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey], no supported methods remain");
        assert.strictEqual(dialErrorText("h", 22, "Host key verification failed.\n"), "ssh: handshake failed: ssh: host key mismatch");
        assert.strictEqual(dialErrorText("::1", 22, "ssh: connect to host ::1 port 22: Connection timed out"), "dial tcp [::1]:22: i/o timeout");
    });
    it("reads the accepted variables from the probe's env output", () => {
        assert.deepStrictEqual([...acceptedNames("PATH=/bin\nFOO=1\nBAR=2\n", ["FOO", "BAR"])], ["FOO"]);
    });
});

/** A runner that records what it was asked to run. */
function fakeRunner(result: RunOutput | Error): { run: Runner; calls: Array<{ cmd: string; spec: RunSpec }> } {
    const calls: Array<{ cmd: string; spec: RunSpec }> = [];
    return {
        calls,
        run: async (_urn, cmd, spec) => {
            calls.push({ cmd, spec });
            if (result instanceof Error) throw result;
            return result;
        },
    };
}

describe("command provider stand-in: provider operations", () => {
    it("create runs create and returns inputs + stdout/stderr with an id of name + 8 hex", async () => {
        const f = fakeRunner({ stdout: "hi", stderr: "" });
        const p = makeProvider({ logger: new MemoryLogger(), run: f.run, randomHex: () => "0123abcd" });
        const r = await p.create!(URN, inputs());
        assert.strictEqual(r.id, "hello0123abcd");
        assert.strictEqual(f.calls[0].cmd, "echo hi");
        assert.strictEqual(r.outs.stdout, "hi");
        assert.ok(isSecret(r.outs.connection));
    });
    it("create without `create` runs nothing; outputs stdout/stderr empty", async () => {
        const f = fakeRunner({ stdout: "x", stderr: "" });
        const p = makeProvider({ logger: new MemoryLogger(), run: f.run });
        const r = await p.create!(URN, inputs({ create: null }));
        assert.strictEqual(f.calls.length, 0);
        assert.strictEqual(r.outs.stdout, "");
    });
    it("a failed create throws the run's error (no partial state)", async () => {
        const p = makeProvider({ logger: new MemoryLogger(), run: fakeRunner(new Error("Process exited with status 1: running \"x\":\n")).run });
        await assert.rejects(p.create!(URN, inputs()), /Process exited with status 1/);
    });
    it("update runs update, else create, with the previous stdout in the variables", async () => {
        const f = fakeRunner({ stdout: "new", stderr: "" });
        const p = makeProvider({ logger: new MemoryLogger(), run: f.run });
        const olds = { ...inputs(), stdout: "old", stderr: "" };
        await p.update!("id", URN, olds, inputs({ update: "echo upd" }));
        await p.update!("id", URN, olds, inputs());
        assert.deepStrictEqual(f.calls.map((c) => c.cmd), ["echo upd", "echo hi"]);
        assert.strictEqual(f.calls[0].spec.previousStdout, "old");
        const none = await p.update!("id", URN, olds, inputs({ create: null }));
        assert.strictEqual(none.outs.stdout, "old");
    });
    it("delete runs the stored delete with the stored connection; nothing without delete", async () => {
        const f = fakeRunner({ stdout: "", stderr: "" });
        const p = makeProvider({ logger: new MemoryLogger(), run: f.run });
        await p.delete!("id", URN, { ...inputs(), stdout: "s", stderr: "" });
        assert.strictEqual(f.calls[0].cmd, "echo bye");
        assert.strictEqual(f.calls[0].spec.connection.host, "10.0.0.1");
        assert.strictEqual(f.calls[0].spec.connection.privateKey, KEY);
        await p.delete!("id", URN, { ...inputs({ delete: null }), stdout: "", stderr: "" });
        assert.strictEqual(f.calls.length, 1);
    });
    it("says once that it stands in", async () => {
        const logger = new MemoryLogger();
        const p = makeProvider({ logger, run: fakeRunner({ stdout: "", stderr: "" }).run });
        await p.check!(URN, {}, inputs());
        await p.diff!("id", URN, inputs(), inputs());
        const notes = logger.lines.filter((l) => /stand-in for pulumi-command v1\.2\.1/.test(l.message));
        assert.strictEqual(notes.length, 1);
        assert.ok(/engine is real/.test(notes[0].message));
    });
    it("read: none of its own, so the SDK's server returns the state as it is (infer's Read without CustomRead)", () => {
        const p = makeProvider({ logger: new MemoryLogger() });
        assert.strictEqual(p.read, undefined);
    });
    it("refuses other resource types", async () => {
        const p = makeProvider({ logger: new MemoryLogger() });
        // command:local:Command is served too (test/unit/providers/command-local.test.ts)
        await assert.rejects(p.check!("urn:pulumi:dev::proj::command:remote:CopyToRemote::x", {}, {}), /only command:remote:Command and command:local:Command/);
    });
});

describe("command provider stand-in: the lab's record of output lines", () => {
    it("MACVLAN_LAB_COMMAND_OUTPUT_LOG gets one JSON line per run with its longest line in bytes; nothing without it", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cmdp-record-"));
        try {
            const file = path.join(dir, "runs.jsonl");
            recordOutput({}, { urn: URN, kind: "remote", stdout: "x", stderr: "", longestLogged: 1, failed: false });
            assert.ok(!fs.existsSync(file));
            recordOutput({ MACVLAN_LAB_COMMAND_OUTPUT_LOG: file }, { urn: URN, kind: "remote", stdout: "ab\n\u00e9\u00e9\u00e9\n", stderr: "e", longestLogged: 3, failed: false });
            recordOutput({ MACVLAN_LAB_COMMAND_OUTPUT_LOG: file }, { urn: URN, kind: "local", stdout: "", stderr: "", longestLogged: 70000, failed: true });
            const lines = fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { longestLine: number; kind: string; failed: boolean });
            assert.deepStrictEqual(lines.map((l) => [l.kind, l.longestLine, l.failed]), [["remote", 6, false], ["local", 70000, true]]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

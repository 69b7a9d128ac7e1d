/**
 * The command provider stand-in fails where pulumi-command v1.2.1 fails, shown against real sshds on
 * 127.0.0.1 and, where a library decides, against that library itself: the reference programs of
 * goref/ run golang.org/x/crypto v0.48.0 (pulumi-command's pin) configured as remote/connection.go
 * configures it, and Go's bufio.Scanner as util.go LogOutput reads output. When `go` cannot build
 * them the tests say so and still check the stand-in against upstream's exact texts.
 */
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MemoryLogger } from "../../../lab/providers/command/engineLog";
import { sshRunner } from "../../../lab/providers/command/provider";
import { RunSpec } from "../../../lab/providers/command/rules";
import { OutputLog, SCAN_LIMIT, longLineError } from "../../../lab/providers/command/logOutput";
import { runLocal, localRunSpecOf } from "../../../lab/providers/command/local";
import { GoRefs, Sshd, freePort, goRefs, keygen, runRef, sshdUnavailable, startSshd } from "./fixtures";

const URN = "urn:pulumi:dev::proj::command:remote:Command::hello";
const signal = (): AbortSignal => new AbortController().signal;

function spec(sshd: Sshd, conn: Partial<RunSpec["connection"]> = {}, extra: Partial<RunSpec> = {}): RunSpec {
    return {
        connection: { host: "127.0.0.1", port: sshd.port, user: "root", privateKey: sshd.userKey, dialErrorLimit: 0, perDialTimeout: 10, ...conn },
        environment: [],
        addPreviousOutputInEnv: false,
        previousStdout: "",
        previousStderr: "",
        logStdout: true,
        logStderr: true,
        ...extra,
    };
}

/** The stand-in's run: its error message, or its stdout. */
async function standIn(s: RunSpec, cmd: string, env: NodeJS.ProcessEnv = {}, logger = new MemoryLogger()): Promise<{ error?: string; stdout?: string }> {
    try {
        return { stdout: (await sshRunner(logger, env)(URN, cmd, s, signal())).stdout };
    } catch (e) {
        return { error: (e as Error).message };
    }
}

interface RefResult {
    error?: string;
    stdout: string;
}

/** x/crypto's run of the same request (one dial, as an attempt of upstream's dialWithRetry), or undefined without the reference. */
function upstream(refs: GoRefs, s: RunSpec, cmd: string, env: NodeJS.ProcessEnv = {}): RefResult | undefined {
    if (!("bin" in refs)) return undefined;
    const c = s.connection;
    const req = { host: c.host, port: c.port, user: c.user, privateKey: c.privateKey ?? "", hostKey: c.hostKey ?? "", agentSocketPath: c.agentSocketPath ?? "", command: cmd };
    return runRef<RefResult>(refs, "sshref", [], JSON.stringify(req), { PATH: process.env.PATH, ...env });
}

describe("exec: command stand-in fails where pulumi-command v1.2.1 fails", function () {
    this.timeout(120_000);
    let refs: GoRefs;
    const sshds: Sshd[] = [];

    before(function () {
        const why = sshdUnavailable();
        if (why !== undefined) {
            console.log(`      skipped: ${why}`);
            this.skip();
        }
        refs = goRefs();
        if ("why" in refs) console.log(`      note: no x/crypto reference, the stand-in is checked against upstream's texts only: ${refs.why}`);
    });
    after(() => {
        for (const s of sshds) s.stop();
    });
    const sshd = async (type: "ed25519" | "rsa", extra: string[] = []): Promise<Sshd> => {
        const s = await startSshd(type, extra);
        sshds.push(s);
        return s;
    };

    it("an RSA-pinned host fails as upstream: only ssh-rsa is offered, which OpenSSH 8.8 and later refuse", async () => {
        const host = await sshd("rsa");
        assert.match(host.hostPub, /^ssh-rsa /);
        const s = spec(host, { hostKey: host.hostPub });
        const want = "ssh: handshake failed: ssh: no common algorithm for host key; we offered: [ssh-rsa], peer offered: [rsa-sha2-512 rsa-sha2-256]";
        const ref = upstream(refs, s, "echo ok");
        if (ref !== undefined) assert.deepStrictEqual(ref, { error: want, stdout: "" });
        assert.deepStrictEqual(await standIn(s, "echo ok"), { error: `after 0 failed attempts: ${want}` });
        // the same host pinned by its ed25519 key, as the program's validation tells the user to do
        const ed = await sshd("ed25519");
        assert.deepStrictEqual(await standIn(spec(ed, { hostKey: ed.hostPub }), "echo ok"), { stdout: "ok" });
    });

    it("an RSA-pinned host whose sshd still offers ssh-rsa (before OpenSSH 8.8) connects, as upstream", async () => {
        const host = await sshd("rsa", ["HostKeyAlgorithms +ssh-rsa"]);
        const s = spec(host, { hostKey: host.hostPub });
        const ref = upstream(refs, s, "echo ok");
        if (ref !== undefined) assert.deepStrictEqual(ref, { stdout: "ok\n" });
        assert.deepStrictEqual(await standIn(s, "echo ok"), { stdout: "ok" });
    });

    it("a stale SSH_AUTH_SOCK fails every run at once, before the host is dialled and without retries, as upstream", async () => {
        const host = await sshd("ed25519");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "standin-agent-"));
        try {
            // a socket whose agent was killed (the file stays), and a path that no longer exists
            const dead = path.join(dir, "agent.dead");
            const agent = spawn("ssh-agent", ["-D", "-a", dead], { stdio: "ignore" });
            for (let i = 0; i < 100 && !fs.existsSync(dead); i++) await new Promise((r) => setTimeout(r, 50));
            agent.kill("SIGKILL");
            await new Promise((r) => agent.once("exit", r));
            assert.ok(fs.existsSync(dead), `${dead} is left behind by the killed agent`);
            const gone = path.join(dir, "agent.gone");
            for (const [sock, errno] of [[dead, "connection refused"], [gone, "no such file or directory"]] as const) {
                const want = `dial unix ${sock}: connect: ${errno}`;
                const s = spec(host, { dialErrorLimit: 3 });
                const ref = upstream(refs, s, "echo ok", { SSH_AUTH_SOCK: sock });
                if (ref !== undefined) assert.deepStrictEqual(ref, { error: want, stdout: "" });
                const logger = new MemoryLogger();
                assert.deepStrictEqual(await standIn(s, "echo ok", { SSH_AUTH_SOCK: sock }, logger), { error: want });
                // no "Dial k/N failed: retrying": the error came before any dial
                assert.deepStrictEqual(logger.lines, []);
            }
            // the probe: without the variable the same run works
            assert.deepStrictEqual(await standIn(spec(host), "echo ok", {}), { stdout: "ok" });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a live agent is used when there is no privateKey; with a privateKey only that key is offered, as upstream", async () => {
        const host = await sshd("ed25519");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "standin-agent-"));
        const sock = path.join(dir, "agent.sock");
        const agent = spawn("ssh-agent", ["-D", "-a", sock], { stdio: "ignore" });
        try {
            for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
            const add = spawnSync("ssh-add", [path.join(host.dir, "user")], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: "utf8" });
            assert.strictEqual(add.status, 0, add.stderr);
            keygen(path.join(dir, "stranger"), "ed25519");
            const stranger = fs.readFileSync(path.join(dir, "stranger"), "utf8");
            const env = { SSH_AUTH_SOCK: sock };
            const viaAgent = spec(host, { privateKey: undefined });
            const ref1 = upstream(refs, viaAgent, "echo agent", env);
            if (ref1 !== undefined) assert.deepStrictEqual(ref1, { stdout: "agent\n" });
            assert.deepStrictEqual(await standIn(viaAgent, "echo agent", env), { stdout: "agent" });
            // a wrong privateKey: the agent holds the right key, but "publickey" was tried already
            const wrongKey = spec(host, { privateKey: stranger });
            const want = "ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey], no supported methods remain";
            const ref2 = upstream(refs, wrongKey, "echo no", env);
            if (ref2 !== undefined) assert.deepStrictEqual(ref2, { error: want, stdout: "" });
            assert.deepStrictEqual(await standIn(wrongKey, "echo no", env), { error: `after 0 failed attempts: ${want}` });
            // agentSocketPath is the same agent without the variable
            assert.deepStrictEqual(await standIn(spec(host, { privateKey: undefined, agentSocketPath: sock }), "echo path", {}), { stdout: "path" });
        } finally {
            agent.kill("SIGTERM");
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a line of 64 KiB or more on a logged stream fails loudly where upstream hangs; 65535 bytes pass; unlogged streams have no limit", async () => {
        const host = await sshd("ed25519");
        const line = (n: number, after = "echo"): string => `head -c ${n} /dev/zero | tr '\\0' a; ${after}`;
        const logger = new MemoryLogger();
        const long = await standIn(spec(host), line(SCAN_LIMIT), {}, logger);
        assert.strictEqual(long.error, longLineError(line(SCAN_LIMIT), "a".repeat(40)));
        assert.match(long.error ?? "", /pulumi-command v1\.2\.1 HANGS here/);
        assert.ok(logger.lines.some((l) => l.severity === "error" && l.message === long.error), "the error is also an engine diagnostic");
        // on stderr too: the logged streams share upstream's one pipe
        assert.match((await standIn(spec(host), `${line(SCAN_LIMIT + 10, "echo")} >&2`)).error ?? "", /HANGS here/);
        const ok = await standIn(spec(host), line(SCAN_LIMIT - 1));
        assert.strictEqual(ok.stdout, "a".repeat(SCAN_LIMIT - 1));
        const quiet = await standIn(spec(host, {}, { logStdout: false, logStderr: false }), line(3 * SCAN_LIMIT));
        assert.strictEqual(quiet.stdout?.length, 3 * SCAN_LIMIT);
    });

    it("local.Command: a line of 64 KiB or more fails loudly too (local/commandOutputs.go shares LogOutput)", async () => {
        const props = { create: "x" };
        const cmd = `head -c ${SCAN_LIMIT + 1} /dev/zero | tr '\\0' b; echo`;
        await assert.rejects(runLocal(cmd, localRunSpecOf(props, { stdout: "", stderr: "" }), () => undefined, signal()), (e: Error) => {
            assert.strictEqual(e.message, longLineError(cmd, "b".repeat(40)));
            return true;
        });
    });

    it("where the merged output stops is where Go's bufio.Scanner stops (the reference reads the same bytes)", function () {
        if (!("bin" in refs)) {
            console.log(`      skipped: ${refs.why}`);
            this.skip();
        }
        const cases: Array<[string, Buffer]> = [
            ["65535 bytes and a newline", Buffer.concat([Buffer.alloc(SCAN_LIMIT - 1, 0x61), Buffer.from("\nnext\n")])],
            ["65536 bytes and a newline", Buffer.concat([Buffer.alloc(SCAN_LIMIT, 0x61), Buffer.from("\nnext\n")])],
            ["65534 bytes, CR LF", Buffer.concat([Buffer.alloc(SCAN_LIMIT - 2, 0x61), Buffer.from("\r\nnext")])],
            ["65535 bytes, CR LF", Buffer.concat([Buffer.alloc(SCAN_LIMIT - 1, 0x61), Buffer.from("\r\nnext")])],
            ["short lines, a last line without newline", Buffer.from("one\n\ntwo\r\nthree")],
            ["65536 bytes, end of output", Buffer.alloc(SCAN_LIMIT, 0x61)],
        ];
        assert.strictEqual(cases.length, 6);
        for (const [what, bytes] of cases) {
            const fromGo: { tokens: string[] | null; error: string } = runRef<{ tokens: string[] | null; error: string }>(refs as { bin: string }, "scanref", [], bytes.toString("latin1"), {});
            const tokens: string[] = [];
            const log = new OutputLog((l) => tokens.push(l));
            // fed in uneven chunks, as pipes deliver them
            const verdicts: string[] = [];
            for (let i = 0; i < bytes.length; i += 7000) verdicts.push(log.push(bytes.subarray(i, i + 7000)));
            log.end();
            assert.deepStrictEqual(tokens, fromGo.tokens ?? [], what);
            assert.strictEqual(log.stopped, fromGo.error === "bufio.Scanner: token too long", what);
            // upstream hangs only when bytes follow the stop
            const followed = log.stopped && bytes.length > SCAN_LIMIT;
            assert.strictEqual(verdicts.includes("hang"), followed, what);
        }
    });

    it("a closed port is still retried dialErrorLimit times (the agent check does not change dialling)", async () => {
        const closed = await freePort();
        const logger = new MemoryLogger();
        const s: RunSpec = { ...spec({ port: closed, dir: "", userKey: "k", hostPub: "", stop: () => undefined }, { dialErrorLimit: 1, privateKey: undefined }) };
        assert.deepStrictEqual(await standIn(s, "true", {}, logger), { error: `after 1 failed attempts: dial tcp 127.0.0.1:${closed}: connect: connection refused` });
        assert.deepStrictEqual(logger.lines.map((l) => l.message), ["Dial 1/1 failed: retrying"]);
    });
});

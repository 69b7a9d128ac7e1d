/**
 * The command provider stand-in over a real sshd on 127.0.0.1 (a high port, key authentication,
 * AcceptEnv FOO and PULUMI_COMMAND_STDOUT).
 */
import * as assert from "assert";
import { spawnSync, spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { MemoryLogger } from "../../../lab/providers/command/engineLog";
import { sshRunner } from "../../../lab/providers/command/provider";
import { RunSpec } from "../../../lab/providers/command/rules";

const URN = "urn:pulumi:dev::proj::command:remote:Command::hello";

// ------------------------------------------------------------------------------------------------
// exec: a real sshd on 127.0.0.1 (high port), key authentication, AcceptEnv FOO and PULUMI_COMMAND_STDOUT

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.listen(0, "127.0.0.1", () => {
            const a = s.address();
            s.close(() => (typeof a === "object" && a !== null ? resolve(a.port) : reject(new Error("no port"))));
        });
    });
}

async function waitForPort(port: number, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
        const ok = await new Promise<boolean>((resolve) => {
            const c = net.connect(port, "127.0.0.1", () => {
                c.destroy();
                resolve(true);
            });
            c.on("error", () => resolve(false));
        });
        if (ok) return;
        await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`sshd did not listen on ${port}`);
}

describe("exec: command provider stand-in over a real sshd on loopback", function () {
    this.timeout(60_000);
    let dir = "";
    let port = 0;
    let sshd: ChildProcess | undefined;
    let key = "";
    let hostPub = "";

    before(async function () {
        if (!fs.existsSync("/usr/sbin/sshd") || !fs.existsSync("/usr/bin/ssh") || process.getuid?.() !== 0) {
            console.log("      skipped: needs root, /usr/sbin/sshd and /usr/bin/ssh (Debian's openssh-server and openssh-client) for a loopback sshd");
            this.skip();
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "cmdp-sshd-"));
        for (const k of ["host", "user"]) spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, k)]);
        fs.copyFileSync(path.join(dir, "user.pub"), path.join(dir, "authorized_keys"));
        key = fs.readFileSync(path.join(dir, "user"), "utf8");
        hostPub = fs.readFileSync(path.join(dir, "host.pub"), "utf8").trim();
        port = await freePort();
        fs.mkdirSync("/run/sshd", { recursive: true });
        fs.writeFileSync(
            path.join(dir, "sshd_config"),
            [
                `ListenAddress 127.0.0.1:${port}`,
                `HostKey ${dir}/host`,
                `PidFile ${dir}/sshd.pid`,
                "PermitRootLogin prohibit-password",
                `AuthorizedKeysFile ${dir}/authorized_keys`,
                "StrictModes no",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "UseDNS no",
                "AcceptEnv LANG LC_* FOO PULUMI_COMMAND_STDOUT",
                "MaxStartups 100:30:200",
                "",
            ].join("\n"),
        );
        sshd = spawn("/usr/sbin/sshd", ["-D", "-f", path.join(dir, "sshd_config"), "-E", path.join(dir, "sshd.log")], { stdio: "ignore" });
        await waitForPort(port, 10_000);
    });

    after(() => {
        sshd?.kill("SIGTERM");
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    function spec(extra: Partial<RunSpec> = {}, conn: Partial<RunSpec["connection"]> = {}): RunSpec {
        return {
            connection: { host: "127.0.0.1", port, user: "root", privateKey: key, dialErrorLimit: 2, perDialTimeout: 5, ...conn },
            environment: [],
            addPreviousOutputInEnv: true,
            previousStdout: "",
            previousStderr: "",
            logStdout: true,
            logStderr: true,
            ...extra,
        };
    }
    const signal = (): AbortSignal => new AbortController().signal;

    it("runs the command: stdout/stderr trimmed, lines logged as status, stdin passed, no key file left", async () => {
        const logger = new MemoryLogger();
        const before = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("cmdp-") && !f.startsWith("cmdp-sshd-"));
        const r = await sshRunner(logger)(URN, "cat; echo; echo; echo two >&2", spec({ stdin: "one" }), signal());
        assert.deepStrictEqual(r, { stdout: "one\n", stderr: "two" });
        assert.deepStrictEqual(logger.lines.filter((l) => l.ephemeral).map((l) => l.message).sort(), ["", "one", "two"]);
        const after = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("cmdp-") && !f.startsWith("cmdp-sshd-"));
        assert.deepStrictEqual(after, before);
    });
    it("a non-zero exit is upstream's error text", async () => {
        await assert.rejects(sshRunner(new MemoryLogger())(URN, "echo out; echo err >&2; exit 4", spec(), signal()), (e: Error) => {
            assert.strictEqual(e.message, 'Process exited with status 4: running "echo out; echo err >&2; exit 4":\nout\nerr\n');
            return true;
        });
    });
    it("variables sshd accepts arrive; a refused `environment` variable fails the run; a refused previous stderr only warns", async () => {
        const logger = new MemoryLogger();
        const r = await sshRunner(logger)(
            URN,
            'printf "%s|%s|%s" "$FOO" "$PULUMI_COMMAND_STDOUT" "${PULUMI_COMMAND_STDERR-unset}"',
            spec({ environment: [["FOO", "a b\nc"]], previousStdout: "prev out", previousStderr: "prev err" }),
            signal(),
        );
        assert.strictEqual(r.stdout, "a b\nc|prev out|unset");
        assert.deepStrictEqual(logger.lines.filter((l) => l.severity === "warning").map((l) => l.message.split(".")[0]), ["Unable to set 'PULUMI_COMMAND_STDERR'"]);
        await assert.rejects(sshRunner(logger)(URN, "true", spec({ environment: [["BAR", "x"]] }), signal()), /^Error: could not set environment variable "BAR": ssh: setenv failed$/);
        assert.ok(logger.lines.some((l) => l.severity === "error" && l.message.startsWith("Unable to set 'BAR'")));
    });
    it("a pinned host key that matches connects; another one fails the dial as a host key mismatch", async () => {
        const ok = await sshRunner(new MemoryLogger())(URN, "echo ok", spec({}, { hostKey: hostPub }), signal());
        assert.strictEqual(ok.stdout, "ok");
        const other = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "other")]);
        assert.strictEqual(other.status, 0);
        const otherPub = fs.readFileSync(path.join(dir, "other.pub"), "utf8");
        await assert.rejects(sshRunner(new MemoryLogger())(URN, "echo no", spec({}, { hostKey: otherPub, dialErrorLimit: 0 }), signal()), /^Error: after 0 failed attempts: ssh: handshake failed: ssh: host key mismatch$/);
    });
    it("a refused dial is retried dialErrorLimit times, with status lines, then fails naming the attempts", async () => {
        const logger = new MemoryLogger();
        const closed = await freePort();
        const t0 = Date.now();
        await assert.rejects(sshRunner(logger)(URN, "true", spec({}, { port: closed, dialErrorLimit: 2 }), signal()), (e: Error) => {
            assert.strictEqual(e.message, `after 2 failed attempts: dial tcp 127.0.0.1:${closed}: connect: connection refused`);
            return true;
        });
        assert.deepStrictEqual(logger.lines.map((l) => l.message), ["Dial 1/2 failed: retrying", "Dial 2/2 failed: retrying"]);
        // Not a speed test: a bound far from any normal run. Three refused dials and the two waits
        // between them (100 ms, 150 ms: dialPolicy) take about 0.3 s; dials that waited out
        // perDialTimeout (15 s by default) instead of failing on the refusal would take 45 s. 30 s
        // tells the two apart on the busiest machine.
        const took = Date.now() - t0;
        assert.ok(took < 30_000, `three refused dials took ${took} ms: did a dial wait out perDialTimeout instead of failing on the refusal?`);
    });
});

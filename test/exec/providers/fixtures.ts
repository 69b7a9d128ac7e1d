/**
 * Fixtures of the stand-in exec tests: a throw-away sshd on 127.0.0.1, and the Go reference
 * programs of goref/ (x/crypto at pulumi-command v1.2.1's version, Go's bufio and net/http), built
 * once per test process. A reference that cannot be built (no `go`, no module source) is reported
 * with the reason, and the tests still check the stand-in against upstream's texts.
 */
import { ChildProcess, execFile, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.listen(0, "127.0.0.1", () => {
            const a = s.address();
            s.close(() => (typeof a === "object" && a !== null ? resolve(a.port) : reject(new Error("no port"))));
        });
    });
}

export async function waitForPort(port: number, ms: number): Promise<void> {
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
    throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
}

/** Why an sshd cannot be started here, or undefined. */
export function sshdUnavailable(): string | undefined {
    if (process.getuid?.() !== 0) return "needs root for a loopback sshd";
    for (const f of ["/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen"]) {
        if (!fs.existsSync(f)) return `needs ${f} (Debian's openssh-server and openssh-client)`;
    }
    return undefined;
}

export function keygen(file: string, type: "ed25519" | "rsa" | "ecdsa"): void {
    const r = spawnSync("ssh-keygen", ["-q", "-t", type, ...(type === "rsa" ? ["-b", "2048"] : []), "-N", "", "-C", "", "-f", file]);
    if (r.status !== 0) throw new Error(`ssh-keygen ${type}: ${r.stderr.toString()}`);
}

/** A running sshd and its files: the user's key (authorized), the host's public key line. */
export interface Sshd {
    port: number;
    dir: string;
    userKey: string;
    hostPub: string;
    stop(): void;
}

/** An sshd on 127.0.0.1 with one host key of `hostKeyType`, key authentication for root, and `extra` config lines. */
export async function startSshd(hostKeyType: "ed25519" | "rsa" | "ecdsa", extra: string[] = []): Promise<Sshd> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "standin-sshd-"));
    keygen(path.join(dir, "host"), hostKeyType);
    keygen(path.join(dir, "user"), "ed25519");
    fs.copyFileSync(path.join(dir, "user.pub"), path.join(dir, "authorized_keys"));
    const port = await freePort();
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
            "MaxStartups 100:30:200",
            ...extra,
            "",
        ].join("\n"),
    );
    const child: ChildProcess = spawn("/usr/sbin/sshd", ["-D", "-f", path.join(dir, "sshd_config"), "-E", path.join(dir, "sshd.log")], { stdio: "ignore" });
    await waitForPort(port, 10_000);
    return {
        port,
        dir,
        userKey: fs.readFileSync(path.join(dir, "user"), "utf8"),
        hostPub: fs.readFileSync(path.join(dir, "host.pub"), "utf8").trim(),
        stop: () => {
            child.kill("SIGTERM");
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

const GOREF_DIR = path.join(__dirname, "goref");

/** The built reference programs, or why they are not there. */
export type GoRefs = { bin: string } | { why: string };
let built: GoRefs | undefined;

/** Builds goref/ (sshref, scanref, proxyref) once per process. */
export function goRefs(): GoRefs {
    if (built !== undefined) return built;
    const go = spawnSync("sh", ["-c", "command -v go"], { encoding: "utf8" });
    if (go.status !== 0) {
        built = { why: "no `go` on PATH (Go 1.25 or later builds the reference programs of test/exec/providers/goref)" };
        return built;
    }
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "standin-goref-"));
    const r = spawnSync(go.stdout.trim(), ["build", "-o", `${bin}/`, "./..."], { cwd: GOREF_DIR, encoding: "utf8", timeout: 600_000 });
    built = r.status === 0 ? { bin } : { why: `go build in ${GOREF_DIR} failed: ${(r.stderr || r.error?.message || "").trim().split("\n").slice(-3).join(" / ")}` };
    return built;
}

/** Runs a reference program with `input` on stdin and `env`; its stdout parsed as JSON. */
export function runRef<T>(refs: { bin: string }, name: string, args: string[], input: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): T {
    const r = spawnSync(path.join(refs.bin, name), args, { input, env, encoding: "utf8", timeout: timeoutMs });
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
}

/** runRef without blocking the event loop: for references that talk to servers of this process. */
export function runRefAsync<T>(refs: { bin: string }, name: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<T> {
    return new Promise((resolve, reject) => {
        execFile(path.join(refs.bin, name), args, { env, encoding: "utf8", timeout: timeoutMs }, (err, stdout, stderr) => {
            if (err) reject(new Error(`${name}: ${err.message} ${stderr}`));
            else resolve(JSON.parse(stdout) as T);
        });
    });
}

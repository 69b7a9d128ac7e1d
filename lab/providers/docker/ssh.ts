/**
 * ssh:// Docker hosts the way the real provider reaches them: docker/cli's connhelper
 * (cli/connhelper/connhelper.go getConnectionHelper, cli/connhelper/ssh/ssh.go NewSpec/Command, as
 * used by terraform-provider-docker v4.6.0 through docker/cli v28.5.2) runs the system `ssh`
 * client with `docker system dial-stdio` on the host and speaks HTTP over its stdin/stdout.
 * The argv builder and URL parser are pure; SshStdioConnection is the I/O.
 */
import { ChildProcess, spawn } from "child_process";
import { Duplex } from "stream";

/** An ssh:// daemon URL split as ssh.NewSpec does. */
export interface SshSpec {
    user?: string;
    host: string;
    port?: string;
    path: string;
}

/** ssh.NewSpec: scheme ssh, no password, a host, no query or fragment; the path is kept. */
export function parseSshUrl(daemonUrl: string): SshSpec {
    let u: URL;
    try {
        u = new URL(daemonUrl);
    } catch (e) {
        throw new Error(`ssh host connection is not valid: invalid SSH URL: ${(e as Error).message}`);
    }
    const bad = (m: string) => new Error(`ssh host connection is not valid: invalid SSH URL: ${m}`);
    if (u.protocol !== "ssh:") throw bad(`incorrect scheme: ${u.protocol.replace(/:$/, "")}`);
    if (u.password !== "") throw bad("plain-text password is not supported");
    const host = u.hostname.replace(/^\[|\]$/g, "");
    if (host === "") throw bad("hostname is empty");
    if (u.search !== "") throw bad(`query parameters are not allowed: ${JSON.stringify(u.search.slice(1))}`);
    if (u.hash !== "") throw bad(`fragments are not allowed: ${JSON.stringify(u.hash.slice(1))}`);
    return {
        ...(u.username !== "" ? { user: decodeURIComponent(u.username) } : {}),
        host,
        ...(u.port !== "" ? { port: u.port } : {}),
        path: decodeURIComponent(u.pathname),
    };
}

/** POSIX shell quoting as connhelper's syntax.Quote: plain words stay, others single-quoted. */
export function posixQuote(s: string): string {
    if (s !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
    return `'${s.replace(/'/g, `'"'"'`)}'`;
}

/**
 * The argv of the ssh client (program first): `ssh [-l user] [-p port] <sshOpts...>
 * [-o ConnectTimeout=30] -T -- <host> docker system dial-stdio`. connhelper adds the timeout only
 * when no option mentions ConnectTimeout, and -T only when it is not already there; the remote
 * command names the socket when the URL has a path.
 */
export function sshArgv(daemonUrl: string, sshOpts: readonly string[]): string[] {
    const sp = parseSshUrl(daemonUrl);
    let flags = [...sshOpts];
    if (!flags.join("").includes("ConnectTimeout")) flags = [...flags, "-o ConnectTimeout=30"];
    if (!flags.includes("-T")) flags = [...flags, "-T"];
    const remote = sp.path.replace(/^\/+|\/+$/g, "") !== ""
        ? ["docker", `--host=unix://${sp.path}`, "system", "dial-stdio"]
        : ["docker", "system", "dial-stdio"];
    return [
        "ssh",
        ...(sp.user !== undefined && sp.user !== "" ? ["-l", posixQuote(sp.user)] : []),
        ...(sp.port !== undefined ? ["-p", posixQuote(sp.port)] : []),
        ...flags,
        "--",
        posixQuote(sp.host),
        remote.map(posixQuote).join(" "),
    ];
}

/**
 * A duplex byte stream over one `ssh ... docker system dial-stdio` process (docker/cli's
 * commandconn): writes go to its stdin, reads come from its stdout. At the end of its stdout the
 * stream ends when ssh exited 0, and fails as commandconn's handleEOF says otherwise (the command,
 * its exit status, its stderr). The socket methods http.Agent calls are no-ops.
 */
export class SshStdioConnection extends Duplex {
    private readonly child: ChildProcess;
    private stderr = "";
    private ended = false;

    constructor(argv: readonly string[]) {
        super({ allowHalfOpen: false });
        this.child = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
        const out = this.child.stdout;
        const err = this.child.stderr;
        if (out === null || err === null || this.child.stdin === null) throw new Error("ssh: no stdio pipes");
        out.on("data", (b: Buffer) => {
            if (!this.push(b)) out.pause();
        });
        // commandconn handleEOF: at EOF, wait (up to 10 s) for ssh to exit; a failed ssh turns the EOF
        // into an error with its exit status and stderr (e.g. "Host key verification failed.")
        out.on("end", () => {
            this.ended = true;
            const settle = (code: number | null, signal: NodeJS.Signals | null) => {
                if (this.destroyed) return;
                if (code === 0) {
                    this.push(null);
                    return;
                }
                const status = code !== null ? `exit status ${code}` : signal !== null ? `signal: ${signal}` : "did not exit after EOF";
                this.destroy(new Error(`command [${argv.join(" ")}] has exited with ${status}, make sure the URL is valid, and Docker 18.09 or later is installed on the remote host: stderr=${this.stderr}`));
            };
            if (this.child.exitCode !== null || this.child.signalCode !== null) {
                settle(this.child.exitCode, this.child.signalCode);
                return;
            }
            const timer = setTimeout(() => settle(null, null), 10_000);
            this.child.once("exit", (code, signal) => {
                clearTimeout(timer);
                // stderr may still be draining: let it, then settle
                setImmediate(() => settle(code, signal));
            });
        });
        err.on("data", (b: Buffer) => {
            this.stderr = (this.stderr + b.toString("utf8")).slice(-4000);
        });
        this.child.stdin.on("error", () => undefined);
        this.child.on("error", (e) => this.destroy(new Error(`cannot run ssh: ${e.message}`)));
        this.child.on("exit", (code, signal) => {
            if (!this.ended && code !== 0 && !this.destroyed) {
                const msg = this.stderr.trim().split("\n").slice(-3).join(" / ");
                this.destroy(new Error(`the ssh connection to the Docker host failed (ssh exited with ${code ?? signal}${msg ? `: ${msg}` : ""})`));
            }
        });
    }

    override _read(): void {
        this.child.stdout?.resume();
    }

    override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
        const stdin = this.child.stdin;
        if (stdin === null || stdin.destroyed) {
            cb(new Error("ssh connection closed"));
            return;
        }
        stdin.write(chunk, cb);
    }

    override _final(cb: (e?: Error | null) => void): void {
        this.child.stdin?.end();
        cb();
    }

    override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
        if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
        cb(err);
    }

    // what http.Agent / ClientRequest call on a net.Socket
    setKeepAlive(): this {
        return this;
    }
    setNoDelay(): this {
        return this;
    }
    setTimeout(): this {
        return this;
    }
    ref(): this {
        return this;
    }
    unref(): this {
        return this;
    }
}

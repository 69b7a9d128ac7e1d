/**
 * SSH for the command provider stand-in, with the system `ssh` client shaped like pulumi-command's
 * x/crypto/ssh client (remote/connection.go, remote/commandOutputs.go): one connection is dialled
 * (retried as upstream), then sessions run over it. The dial is an OpenSSH control master
 * (`-M -f -N`), so a dial failure can never be confused with the command's own exit status and a
 * command never runs twice; the sessions are multiplexed clients of that master.
 *
 * `-F none` (x/crypto reads no ssh config), BatchMode, the private key in a 0600 file of a 0700 temp
 * directory removed after the run, host key pinned when `hostKey` is given (offering only that key's
 * type, as upstream) and ignored otherwise (as upstream: `ssh.InsecureIgnoreHostKey()`), the SSH agent
 * dialled as upstream dials it (agent.ts).
 *
 * Argv builders and error mapping are pure and exported for tests; `SshConnection` does the I/O.
 */
import { spawn, spawnSync, ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConnectionSpec, joinHostPort } from "./rules";

/** Files of one connection (all inside its private temp directory). */
export interface ConnectionFiles {
    dir: string;
    keyFile?: string;
    knownHosts?: string;
    controlPath: string;
    masterLog: string;
}

/** A host key given as `hostKey` (authorized_keys format, as `ssh.ParseAuthorizedKey` reads it). */
export interface ParsedHostKey {
    type: string;
    base64: string;
}

const KEY_TYPES = /^(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)$/;

/** `ssh.ParseAuthorizedKey`: the first `<type> <base64>` pair of the line (options and comment allowed), or an error text. */
export function parseHostKey(text: string): ParsedHostKey | { error: string } {
    for (const line of text.split("\n")) {
        const fields = line.trim().split(/\s+/);
        for (let i = 0; i + 1 < fields.length; i++) {
            if (KEY_TYPES.test(fields[i]) && /^[A-Za-z0-9+/]+={0,2}$/.test(fields[i + 1])) {
                return { type: fields[i], base64: fields[i + 1] };
            }
        }
    }
    return { error: "failed to parse host key: ssh: no key found" };
}

/**
 * HostKeyAlgorithms for a pinned key: exactly the key's type (remote/connection.go line 94,
 * `hostKeyAlgorithms = []string{publicKey.Type()}`). For an RSA key that is `ssh-rsa`, the SHA-1
 * signature algorithm, which OpenSSH 8.8 and later servers no longer offer: x/crypto then finds no
 * common host key algorithm (x/crypto v0.48.0 ssh/common.go `findCommon`, lines 390-408) and every
 * dial fails. The OpenSSH client, told the same, fails the same way.
 */
export function hostKeyAlgorithms(type: string): string {
    return type;
}

/** The known_hosts line pinning `key` for host:port. */
export function knownHostsLine(host: string, port: number, key: ParsedHostKey): string {
    return `${port === 22 ? host : `[${host}]:${port}`} ${key.type} ${key.base64}`;
}

/** Options every invocation shares. */
function common(c: ConnectionSpec, logLevel = "ERROR"): string[] {
    return ["-F", "none", "-o", "BatchMode=yes", "-o", `LogLevel=${logLevel}`, "-p", String(c.port), "-l", c.user];
}

/**
 * The control master that dials the host once (one attempt: retries are the caller's). It forks to the
 * background after authentication (`-f -N`), so its exit status says whether the dial worked; its
 * errors go to `files.masterLog`. `SendEnv=*`: the master forwards whatever variables a session client
 * sends (each session client names its own). ControlPersist bounds a master whose owner died.
 */
export function masterArgv(c: ConnectionSpec, files: ConnectionFiles, hostKey?: ParsedHostKey, agentSocket?: string): string[] {
    // LogLevel INFO: OpenSSH says why a negotiation failed ("no matching host key type found") at INFO
    const argv = ["ssh", ...common(c, "INFO"), "-M", "-S", files.controlPath, "-o", "ControlPersist=60", "-f", "-N", "-T", "-E", files.masterLog];
    argv.push("-o", "SendEnv=*", "-o", "ConnectionAttempts=1", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4");
    if (c.perDialTimeout > 0) argv.push("-o", `ConnectTimeout=${c.perDialTimeout}`);
    if (files.keyFile !== undefined) {
        // x/crypto tries the privateKey first; its "publickey" method is then tried, so the agent's
        // keys (the same method, later in config.Auth) are never offered (x/crypto v0.48.0
        // ssh/client_auth.go lines 86-110): only the key
        argv.push("-i", files.keyFile, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none");
    } else if (agentSocket !== undefined) {
        // no privateKey: the agent's keys, in the agent's order (remote/connection.go lines 131-145)
        argv.push("-o", "IdentityFile=none", "-o", "IdentitiesOnly=no", "-o", `IdentityAgent=${agentSocket}`);
    } else {
        // upstream offers no key at all without privateKey and without an agent
        argv.push("-o", "IdentityAgent=none", "-o", "PubkeyAuthentication=no");
    }
    argv.push("-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no");
    if (hostKey !== undefined && files.knownHosts !== undefined) {
        argv.push(
            "-o", `UserKnownHostsFile=${files.knownHosts}`,
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "CheckHostIP=no",
            "-o", `HostKeyAlgorithms=${hostKeyAlgorithms(hostKey.type)}`,
        );
    } else {
        argv.push("-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "CheckHostIP=no");
    }
    argv.push("--", c.host);
    return argv;
}

/** A session over the master: runs `command` with the login shell, sending the named variables of its own environment. No pty (`-T`). */
export function sessionArgv(c: ConnectionSpec, files: Pick<ConnectionFiles, "controlPath">, sendEnv: string[], command: string): string[] {
    const argv = ["ssh", ...common(c), "-S", files.controlPath, "-o", "ControlMaster=no", "-T"];
    for (const name of sendEnv) argv.push("-o", `SendEnv=${name}`);
    argv.push("--", c.host, command);
    return argv;
}

/** Stops the master. */
export function exitArgv(c: ConnectionSpec, files: Pick<ConnectionFiles, "controlPath">): string[] {
    return ["ssh", ...common(c), "-S", files.controlPath, "-O", "exit", "--", c.host];
}

/** Names SendEnv can carry exactly (it reads patterns: no wildcards, no separators). */
export function sendableName(name: string): boolean {
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/**
 * What x/crypto/ssh's Dial would have said for a failed OpenSSH dial (its error texts: `dial tcp
 * HOST:PORT: connect: connection refused`, `ssh: handshake failed: ...`), from the client's log. Pure.
 */
export function dialErrorText(host: string, port: number, log: string, offeredHostKeyAlgorithms?: string): string {
    const hp = joinHostPort(host, port);
    const last = log.split("\n").map((l) => l.trim()).filter((l) => l.length > 0).slice(-1)[0] ?? "no output from ssh";
    // OpenSSH: "Unable to negotiate with H port P: no matching host key type found. Their offer: a,b".
    // x/crypto: AlgorithmNegotiationError (ssh/common.go lines 410-424), wrapped by NewClientConn
    // ("ssh: handshake failed: %w", ssh/client.go line 86), lists go in Go's %v form.
    const noHostKey = /no matching host key type found\. Their offer: (\S+)/.exec(log);
    if (noHostKey) {
        const ours = (offeredHostKeyAlgorithms ?? "").split(",").filter((a) => a !== "");
        return `ssh: handshake failed: ssh: no common algorithm for host key; we offered: [${ours.join(" ")}], peer offered: [${noHostKey[1].split(",").join(" ")}]`;
    }
    if (/Connection refused/i.test(log)) return `dial tcp ${hp}: connect: connection refused`;
    if (/No route to host/i.test(log)) return `dial tcp ${hp}: connect: no route to host`;
    if (/Network is unreachable/i.test(log)) return `dial tcp ${hp}: connect: network is unreachable`;
    if (/Could not resolve hostname|Name or service not known|Temporary failure in name resolution/i.test(log)) return `dial tcp: lookup ${host}: no such host`;
    if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key for .* has changed/i.test(log)) {
        return "ssh: handshake failed: ssh: host key mismatch";
    }
    if (/Permission denied|Too many authentication failures/i.test(log)) {
        return "ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey], no supported methods remain";
    }
    if (/banner exchange|kex_exchange_identification|Connection closed by|Connection reset/i.test(log)) {
        if (/timed out/i.test(log)) return `ssh: handshake failed: read tcp ${hp}: i/o timeout`;
        return "ssh: handshake failed: EOF";
    }
    if (/timed out/i.test(log)) return `dial tcp ${hp}: i/o timeout`;
    return `ssh: ${last.replace(/^ssh:\s*/, "")}`;
}

/** Variables that sshd took, from `env` run in a probe session that sent each name with the value "1". Pure. */
export function acceptedNames(envOutput: string, names: string[]): Set<string> {
    const got = new Set<string>();
    for (const line of envOutput.split("\n")) {
        for (const n of names) {
            if (line === `${n}=1`) got.add(n);
        }
    }
    return got;
}

export interface SessionResult {
    code: number;
    signal?: string;
    stdout: string;
    stderr: string;
    /** Both streams as they arrived, for the error text. */
    combined: string;
}

/** A chunk of the command's stdout or stderr, as it arrived. */
export type OnChunk = (stream: "stdout" | "stderr", chunk: Buffer) => void;

/** A run that was cancelled (the engine's Cancel, or the provider stopping). */
export class Cancelled extends Error {}

/** Environment for the ssh client: nothing of ours leaks as SendEnv except the named variables. */
function clientEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...extra };
}

const live = new Set<ChildProcess>();
const masters = new Set<SshConnection>();
let exitHooked = false;

/** Kills every ssh child and stops every master (engine Cancel, process exit). */
export function killAll(): void {
    for (const c of live) c.kill("SIGKILL");
    live.clear();
    for (const m of masters) m.closeSync();
}

function hookExit(): void {
    if (exitHooked) return;
    exitHooked = true;
    process.on("exit", killAll);
}

/** One dialled connection (a control master) and its private files. */
export class SshConnection {
    private closed = false;

    private constructor(
        readonly spec: ConnectionSpec,
        readonly files: ConnectionFiles,
    ) {}

    /** Writes the key (0600) and the pinned known_hosts into a fresh 0700 directory. */
    static prepare(spec: ConnectionSpec, hostKey: ParsedHostKey | undefined): SshConnection {
        hookExit();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cmdp-"));
        fs.chmodSync(dir, 0o700);
        const files: ConnectionFiles = { dir, controlPath: path.join(dir, "c"), masterLog: path.join(dir, "master.log") };
        if (spec.privateKey !== undefined) {
            files.keyFile = path.join(dir, "key");
            fs.writeFileSync(files.keyFile, spec.privateKey.endsWith("\n") ? spec.privateKey : `${spec.privateKey}\n`, { mode: 0o600 });
        }
        if (hostKey !== undefined) {
            files.knownHosts = path.join(dir, "known_hosts");
            fs.writeFileSync(files.knownHosts, `${knownHostsLine(spec.host, spec.port, hostKey)}\n`, { mode: 0o600 });
        }
        const conn = new SshConnection(spec, files);
        masters.add(conn);
        return conn;
    }

    /** One dial attempt: undefined when connected, else the x/crypto-style error text. */
    async dialOnce(hostKey: ParsedHostKey | undefined, signal: AbortSignal, agentSocket?: string): Promise<string | undefined> {
        if (signal.aborted) throw new Cancelled("cancelled");
        fs.rmSync(this.files.masterLog, { force: true });
        fs.rmSync(this.files.controlPath, { force: true });
        const argv = masterArgv(this.spec, this.files, hostKey, agentSocket);
        const code = await new Promise<number>((resolve) => {
            const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "ignore"], env: clientEnv({}) });
            live.add(child);
            const onAbort = (): void => {
                child.kill("SIGKILL");
            };
            signal.addEventListener("abort", onAbort, { once: true });
            child.on("error", () => resolve(-1));
            child.on("exit", (c) => {
                live.delete(child);
                signal.removeEventListener("abort", onAbort);
                resolve(c ?? -1);
            });
        });
        if (signal.aborted) throw new Cancelled("cancelled");
        if (code === 0) return undefined;
        const log = fs.existsSync(this.files.masterLog) ? fs.readFileSync(this.files.masterLog, "utf8") : "";
        return dialErrorText(this.spec.host, this.spec.port, code === -1 ? "ssh: could not start the ssh client" : log, hostKey === undefined ? undefined : hostKeyAlgorithms(hostKey.type));
    }

    /**
     * A session over the master. `env`: variables sent with SendEnv (values from the client's
     * environment, so any bytes but NUL). `onChunk` sees every chunk of stdout and stderr as it
     * arrives (raw bytes).
     */
    session(command: string, opts: { env: Record<string, string>; stdin?: string; onChunk?: OnChunk; signal: AbortSignal }): Promise<SessionResult> {
        const argv = sessionArgv(this.spec, this.files, Object.keys(opts.env), command);
        return new Promise((resolve, reject) => {
            if (opts.signal.aborted) {
                reject(new Cancelled("cancelled"));
                return;
            }
            const out: Buffer[] = [];
            const err: Buffer[] = [];
            const both: Buffer[] = [];
            const child = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"], env: clientEnv(opts.env) });
            live.add(child);
            const onAbort = (): void => {
                child.kill("SIGKILL");
            };
            opts.signal.addEventListener("abort", onAbort, { once: true });
            child.stdout!.on("data", (d: Buffer) => {
                out.push(d);
                both.push(d);
                opts.onChunk?.("stdout", d);
            });
            child.stderr!.on("data", (d: Buffer) => {
                err.push(d);
                both.push(d);
                opts.onChunk?.("stderr", d);
            });
            child.on("error", (e) => {
                live.delete(child);
                reject(e);
            });
            child.on("close", (code, sig) => {
                live.delete(child);
                opts.signal.removeEventListener("abort", onAbort);
                if (opts.signal.aborted) {
                    reject(new Cancelled("cancelled"));
                    return;
                }
                const text = (b: Buffer[]): string => Buffer.concat(b).toString("utf8");
                resolve({ code: code ?? 255, signal: sig ?? undefined, stdout: text(out), stderr: text(err), combined: text(both) });
            });
            child.stdin!.on("error", () => undefined);
            child.stdin!.end(opts.stdin ?? "");
        });
    }

    /** Stops the master and removes the key and the other files. Idempotent. */
    closeSync(): void {
        if (this.closed) return;
        this.closed = true;
        masters.delete(this);
        if (fs.existsSync(this.files.controlPath)) {
            const argv = exitArgv(this.spec, this.files);
            spawnSync(argv[0], argv.slice(1), { stdio: "ignore", env: clientEnv({}), timeout: 10_000 });
        }
        fs.rmSync(this.files.dir, { recursive: true, force: true });
    }
}

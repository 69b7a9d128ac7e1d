/**
 * The SSH agent as pulumi-command v1.2.1 uses it (remote/connection.go `SSHConfig` lines 131-145,
 * remote/connection_unix.go lines 10-21): the socket is `connection.agentSocketPath`, else
 * `SSH_AUTH_SOCK` of the provider's environment (the `pulumi` process's) when not empty. When there
 * is one, every run dials it (`net.Dial("unix", path)`) BEFORE dialling the host and outside the
 * dial retries (connection.go `Dial` lines 190-202: `SSHConfig` fails first): a socket that is gone
 * or dead (an agent of another login, sudo keeping SSH_AUTH_SOCK, a tmux or CI session that ended)
 * fails every remote command at once, whether or not a privateKey is given.
 */
import * as net from "net";

/** The agent socket a run uses, or undefined (connection.go line 131-136; connection_unix.go `tryGetDefaultAgentSocket`). */
export function agentSocketOf(agentSocketPath: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
    if (agentSocketPath !== undefined) return agentSocketPath;
    const fromEnv = env.SSH_AUTH_SOCK;
    return fromEnv !== undefined && fromEnv !== "" ? fromEnv : undefined;
}

/** Go's syscall.Errno texts (zerrors_linux_amd64.go) for the errors a unix-socket connect gives. */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
    ENOENT: "no such file or directory",
    ECONNREFUSED: "connection refused",
    EACCES: "permission denied",
    ENOTDIR: "not a directory",
    EPERM: "operation not permitted",
    ENAMETOOLONG: "file name too long",
    EINVAL: "invalid argument",
    EPROTOTYPE: "protocol wrong type for socket",
    ENOTSOCK: "socket operation on non-socket",
    EAGAIN: "resource temporarily unavailable",
    ELOOP: "too many levels of symbolic links",
};

/** `net.Dial("unix", path)`'s error text (a *net.OpError: `dial unix <path>: connect: <errno>`). Pure. */
export function agentDialError(path: string, code: string | undefined, message: string): string {
    const text = (code !== undefined ? ERRNO_TEXT[code] : undefined) ?? message.replace(/^\w+ /, "").toLowerCase();
    return `dial unix ${path}: connect: ${text}`;
}

/** Dials the agent socket once and hangs up: undefined when it answers, else Go's error text. */
export function dialAgent(path: string): Promise<string | undefined> {
    return new Promise((resolve) => {
        const sock = net.createConnection({ path });
        sock.once("connect", () => {
            sock.destroy();
            resolve(undefined);
        });
        sock.once("error", (e: NodeJS.ErrnoException) => {
            sock.destroy();
            resolve(agentDialError(path, e.code, e.message));
        });
    });
}

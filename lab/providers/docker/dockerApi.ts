/**
 * A small Docker Engine API client over any byte stream (an ssh `docker system dial-stdio`
 * connection, or a unix socket in tests). Version negotiation as the Docker Go client's
 * WithAPIVersionNegotiation: `GET /_ping`, then every path is prefixed with the lower of the
 * daemon's API version and 1.51 (the client version of docker v28.5.2). Errors read like the Go
 * client's: `Error response from daemon: <message>`.
 */
import * as http from "http";
import { Duplex } from "stream";

/** The Go client's default API version for docker/docker v28.5.2. */
export const CLIENT_API_VERSION = "1.51";

export class DockerApiError extends Error {
    constructor(message: string, readonly statusCode: number) {
        super(message);
    }
}

export function isNotFound(e: unknown): boolean {
    return e instanceof DockerApiError && e.statusCode === 404;
}

/** The lower of two API versions ("1.41" < "1.51"). */
export function minApiVersion(a: string, b: string): string {
    const [a1, a2] = a.split(".").map(Number);
    const [b1, b2] = b.split(".").map(Number);
    return a1 < b1 || (a1 === b1 && a2 <= b2) ? a : b;
}

/** An http.Agent whose sockets come from `connect` (kept alive and reused, as Go's transport does). */
class StreamAgent extends http.Agent {
    constructor(private readonly connect: () => Duplex) {
        super({ keepAlive: true, maxSockets: 4 });
    }
    override createConnection(): Duplex {
        return this.connect();
    }
}

export interface RequestOptions {
    query?: Record<string, string | number | boolean | undefined>;
    body?: unknown;
    headers?: Record<string, string>;
    /** Expected status codes besides 2xx. */
    okStatus?: number[];
}

export class DockerApi {
    private readonly agent: StreamAgent;
    private version: string | undefined;

    constructor(connect: () => Duplex, private readonly describe: string) {
        this.agent = new StreamAgent(connect);
    }

    close(): void {
        this.agent.destroy();
    }

    private raw(method: string, path: string, opts: RequestOptions = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
        const q = Object.entries(opts.query ?? {})
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
            .join("&");
        const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
        const headers: Record<string, string> = { Host: "docker.example.com", ...(opts.headers ?? {}) };
        if (payload !== undefined) {
            headers["Content-Type"] = "application/json";
            headers["Content-Length"] = String(payload.length);
        }
        return new Promise((resolve, reject) => {
            const req = http.request(
                { agent: this.agent, method, path: `${path}${q ? `?${q}` : ""}`, headers, host: "docker.example.com" },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
                    res.on("error", reject);
                },
            );
            req.on("error", (e) => reject(new Error(`Cannot reach the Docker daemon at ${this.describe}: ${e.message}`)));
            if (payload !== undefined) req.write(payload);
            req.end();
        });
    }

    /** `GET /_ping` and the negotiated version. */
    async negotiate(): Promise<string> {
        if (this.version !== undefined) return this.version;
        const r = await this.raw("GET", "/_ping");
        if (r.status !== 200) {
            throw new Error(`Error pinging Docker server, please make sure that ${this.describe} is reachable and has a  '_ping' endpoint. Error: status ${r.status}`);
        }
        const server = String(r.headers["api-version"] ?? "1.24");
        this.version = minApiVersion(server, CLIENT_API_VERSION);
        return this.version;
    }

    /** A versioned API call; JSON body parsed (undefined when empty); non-2xx -> DockerApiError. */
    async call<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
        const v = await this.negotiate();
        const r = await this.raw(method, `/v${v}${path}`, opts);
        const text = r.body.toString("utf8");
        if ((r.status < 200 || r.status >= 300) && !(opts.okStatus ?? []).includes(r.status)) {
            let msg = text.trim();
            try {
                const j: unknown = JSON.parse(text);
                if (typeof j === "object" && j !== null && typeof (j as { message?: unknown }).message === "string") {
                    msg = (j as { message: string }).message;
                }
            } catch {
                // not JSON: keep the text
            }
            throw new DockerApiError(`Error response from daemon: ${msg}`, r.status);
        }
        if (text.trim() === "") return undefined as T;
        const ct = String(r.headers["content-type"] ?? "");
        if (ct.includes("json") && !ct.includes("stream")) {
            try {
                return JSON.parse(text) as T;
            } catch {
                // a JSON stream (pull/push progress): the text
            }
        }
        return text as T;
    }

    /** A JSON-lines progress stream (pull, push): throws on the first `error` line. */
    async stream(method: string, path: string, opts: RequestOptions, what: (err: string) => string): Promise<Array<Record<string, unknown>>> {
        const text = await this.call<string | object>(method, path, opts);
        const lines = typeof text === "string" ? text.split("\n").filter((l) => l.trim() !== "") : [JSON.stringify(text)];
        const out: Array<Record<string, unknown>> = [];
        for (const l of lines) {
            const j = JSON.parse(l) as Record<string, unknown>;
            if (typeof j.error === "string" && j.error !== "") throw new Error(what(j.error));
            out.push(j);
        }
        return out;
    }
}

/**
 * One HTTP request to a registry from the machine running Pulumi, as the real provider's Go client
 * makes it (resource_docker_registry_image_funcs.go `buildHttpClientForRegistry`, patched by
 * pulumi-docker's patches/0002): through the proxy Go's ProxyFromEnvironment picks (proxy.ts), TLS
 * verified against Go's system roots (tlsRoots.ts) unless `insecureSkipVerify`. Errors read as Go's
 * `*url.Error` texts: `Head "<url>": dial tcp <addr>: connect: connection refused`,
 * `... proxyconnect tcp: dial tcp <proxy>: ...`, `... tls: failed to verify certificate: x509: ...`.
 */
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as tls from "tls";
import { ProxyConfig, proxyConfigOnce, proxyFor } from "./proxy";
import { systemRoots } from "./tlsRoots";

export interface HttpResult {
    status: number;
    /** Go's `resp.Status`: "200 OK". */
    statusLine: string;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
}

const ERRNO: Readonly<Record<string, string>> = {
    ECONNREFUSED: "connect: connection refused",
    EHOSTUNREACH: "connect: no route to host",
    ENETUNREACH: "connect: network is unreachable",
    ECONNRESET: "read: connection reset by peer",
    ETIMEDOUT: "i/o timeout",
};

const TLS_UNKNOWN_CA = new Set(["DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "UNABLE_TO_GET_ISSUER_CERT"]);

/** A Node socket or TLS error as the Go text of the same failure. Pure. */
export function goNetError(e: NodeJS.ErrnoException, addr: string, host: string): string {
    const code = e.code ?? "";
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `dial tcp: lookup ${host}: no such host`;
    if (ERRNO[code] !== undefined) return `dial tcp ${addr}: ${ERRNO[code]}`;
    if (TLS_UNKNOWN_CA.has(code)) return "tls: failed to verify certificate: x509: certificate signed by unknown authority";
    if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return `tls: failed to verify certificate: x509: certificate is valid for other names, not ${host}`;
    if (code === "CERT_HAS_EXPIRED") return "tls: failed to verify certificate: x509: certificate has expired or is not yet valid";
    return e.message;
}

function hostPort(u: URL): string {
    const port = u.port !== "" ? u.port : u.protocol === "https:" ? "443" : "80";
    return `${u.hostname}:${port}`;
}

/** A CONNECT tunnel through `proxy` to `target` (host:port), resolved with the raw socket. */
function connectTunnel(proxy: URL, target: string, timeoutMs: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
        const mod = proxy.protocol === "https:" ? https : http;
        const headers: Record<string, string> = { Host: target };
        if (proxy.username !== "") headers["Proxy-Authorization"] = `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString("base64")}`;
        const req = mod.request({ host: proxy.hostname, port: proxy.port || (proxy.protocol === "https:" ? 443 : 80), method: "CONNECT", path: target, headers, timeout: timeoutMs, ...(proxy.protocol === "https:" ? { ca: systemRoots() } : {}) });
        req.on("connect", (res, socket) => {
            if (res.statusCode === 200) {
                resolve(socket);
                return;
            }
            socket.destroy();
            // Go: the status text of a refused CONNECT ("Forbidden", "Bad Gateway")
            reject(new Error(res.statusMessage ?? `${res.statusCode}`));
        });
        req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
        req.on("error", (e: NodeJS.ErrnoException) => reject(Object.assign(new Error(`proxyconnect tcp: ${goNetError(e, hostPort(proxy), proxy.hostname)}`), { proxy: true })));
        req.end();
    });
}

/**
 * The request. `proxies`: the process's proxy settings (read once, as Go does); tests pass their own.
 * Rejects with `<Method> "<url>": <Go's error>` (the *url.Error text of client.Do).
 */
export async function registryRequest(
    method: string,
    url: string,
    headers: Record<string, string>,
    insecureSkipVerify: boolean,
    proxies: ProxyConfig = proxyConfigOnce(),
    timeoutMs = 30_000,
): Promise<HttpResult> {
    const u = new URL(url);
    const goMethod = method[0] + method.slice(1).toLowerCase();
    const fail = (text: string): Error => new Error(`${goMethod} ${JSON.stringify(url)}: ${text}`);
    const picked = proxyFor(proxies, u);
    if (picked !== undefined && "error" in picked) throw fail(picked.error);
    if (picked !== undefined && !["http:", "https:"].includes(picked.protocol)) {
        throw fail(`STAND-IN (Docker provider): the proxy ${picked.protocol}// of ${u.protocol === "https:" ? "HTTPS_PROXY" : "HTTP_PROXY"} is not served by the stand-in (Go's client would use it)`);
    }
    const tlsOpts: tls.ConnectionOptions = insecureSkipVerify ? { rejectUnauthorized: false } : { ca: systemRoots() };
    const options: https.RequestOptions = { method, headers: { ...headers }, timeout: timeoutMs, agent: false };
    let mod: typeof http | typeof https = u.protocol === "https:" ? https : http;
    /** The CONNECT tunnel of this request, closed with it (one request per connection). */
    let tunnel: net.Socket | undefined;
    if (picked !== undefined) {
        if (u.protocol === "https:") {
            let socket: net.Socket;
            try {
                socket = await connectTunnel(picked, hostPort(u), timeoutMs);
            } catch (e) {
                throw fail((e as Error).message);
            }
            tunnel = socket;
            // no agent: the request goes over this connection (Node uses createConnection only without one)
            delete options.agent;
            options.createConnection = () => tls.connect({ socket, servername: u.hostname, ...tlsOpts });
        } else {
            // an http URL goes to the proxy as an absolute request-target
            mod = picked.protocol === "https:" ? https : http;
            options.host = picked.hostname;
            options.port = Number(picked.port || (picked.protocol === "https:" ? 443 : 80));
            options.path = url;
            (options.headers as Record<string, string>).Host = u.host;
            if (picked.username !== "") {
                (options.headers as Record<string, string>)["Proxy-Authorization"] = `Basic ${Buffer.from(`${decodeURIComponent(picked.username)}:${decodeURIComponent(picked.password)}`).toString("base64")}`;
            }
        }
    } else if (u.protocol === "https:") {
        Object.assign(options, tlsOpts);
    }
    const viaProxy = picked !== undefined && u.protocol === "http:";
    return new Promise((resolve, reject) => {
        const onResponse = (res: http.IncomingMessage): void => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
                tunnel?.destroy();
                resolve({ status: res.statusCode ?? 0, statusLine: `${res.statusCode ?? 0} ${res.statusMessage ?? ""}`.trim(), headers: res.headers, body: Buffer.concat(chunks) });
            });
            res.on("error", (e) => reject(fail(e.message)));
        };
        const req = viaProxy ? mod.request(options, onResponse) : mod.request(url, options, onResponse);
        req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
        req.on("error", (e: NodeJS.ErrnoException) => {
            tunnel?.destroy();
            const text = goNetError(e, viaProxy && picked !== undefined ? hostPort(picked) : hostPort(u), viaProxy && picked !== undefined ? picked.hostname : u.hostname);
            reject(fail(viaProxy && !text.startsWith("tls:") && e.code !== undefined && ERRNO[e.code] !== undefined ? `proxyconnect tcp: ${text}` : text));
        });
        req.end();
    });
}

/**
 * The proxy the real provider's registry requests go through: Go's default client
 * (`http.DefaultClient`, whose `http.DefaultTransport` has `Proxy: ProxyFromEnvironment`), or, with
 * `insecureSkipVerify` on an https registry, a transport of its own with `Proxy:
 * http.ProxyFromEnvironment` too (kreuzwerker v4.6.0 internal/provider/resource_docker_registry_image_funcs.go
 * `buildHttpClientForRegistry` lines 313-323, as pulumi-docker's patch 0002 rewrites it). So the
 * digest check after a push, a refresh's digest read and a delete's manifest DELETE, all made from
 * the machine running Pulumi, honour HTTP_PROXY, HTTPS_PROXY and NO_PROXY exactly as Go reads them
 * (Go's vendored golang.org/x/net/http/httpproxy proxy.go):
 * - the variables are read once per process (net/http transport.go `envProxyFunc`, a sync.Once),
 *   upper case first, then lower case (`FromEnvironment`, `getEnvAny`, lines 90-106);
 * - https URLs use HTTPS_PROXY, http URLs HTTP_PROXY, and none when REQUEST_METHOD is set (CGI:
 *   an error) (`proxyForURL`, lines 127-145);
 * - a proxy value without a scheme is `http://<value>` (`parseProxy`, lines 147-165);
 * - `localhost` and loopback addresses never use a proxy; NO_PROXY is a comma list of `*`, CIDRs,
 *   IPs (with an optional port) and domain names, where `example.com` matches it and its
 *   subdomains and `.example.com` or `*.example.com` only the subdomains (`useProxy`, `init`,
 *   lines 170-274; the matchers, lines 332-373);
 * - a proxy that cannot be reached is `proxyconnect tcp: dial tcp ...` (net/http transport.go
 *   `dialConn`, the `proxyconnect` OpError).
 * Pure apart from `proxyConfigOnce`.
 */
import * as net from "net";

export interface ProxyConfig {
    httpProxy: string;
    httpsProxy: string;
    noProxy: string;
    cgi: boolean;
}

const pick = (env: NodeJS.ProcessEnv, ...names: string[]): string => {
    for (const n of names) {
        const v = env[n];
        if (v !== undefined && v !== "") return v;
    }
    return "";
};

/** `httpproxy.FromEnvironment`. */
export function proxyConfigFromEnv(env: NodeJS.ProcessEnv): ProxyConfig {
    return {
        httpProxy: pick(env, "HTTP_PROXY", "http_proxy"),
        httpsProxy: pick(env, "HTTPS_PROXY", "https_proxy"),
        noProxy: pick(env, "NO_PROXY", "no_proxy"),
        cgi: pick(env, "REQUEST_METHOD") !== "",
    };
}

let once: ProxyConfig | undefined;
/** The process's proxy settings, read at first use and kept (Go's envProxyFunc). */
export function proxyConfigOnce(env: NodeJS.ProcessEnv = process.env): ProxyConfig {
    once ??= proxyConfigFromEnv(env);
    return once;
}

/** `parseProxy`: the value as a URL, `http://` put in front when it has no scheme or host. */
export function parseProxy(value: string): URL | undefined {
    if (value === "") return undefined;
    try {
        const u = new URL(value);
        if (u.protocol !== "" && u.host !== "") return u;
    } catch {
        // no scheme: below
    }
    try {
        return new URL(`http://${value}`);
    } catch {
        return undefined; // an invalid value is ignored, as init ignores parseProxy's error
    }
}

function ipOf(host: string): string | undefined {
    const h = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
    return net.isIP(h) !== 0 ? h : undefined;
}

function isLoopback(ip: string): boolean {
    if (net.isIPv4(ip)) return ip.startsWith("127.");
    const l = ip.toLowerCase();
    return l === "::1" || l === "0:0:0:0:0:0:0:1" || /^::ffff:127\./.test(l);
}

/** Whether `ip` is in `cidr` (IPv4 or IPv6), via Node's BlockList. */
function inCidr(ip: string, cidr: string): boolean {
    const [base, bits] = cidr.split("/");
    const type = net.isIPv4(base) ? "ipv4" : "ipv6";
    const list = new net.BlockList();
    try {
        list.addSubnet(base, Number(bits), type);
        return list.check(ip, net.isIPv4(ip) ? "ipv4" : "ipv6");
    } catch {
        return false;
    }
}

function sameIp(a: string, b: string): boolean {
    if (net.isIPv4(a) && net.isIPv4(b)) return a === b;
    const list = new net.BlockList();
    try {
        list.addAddress(a, net.isIPv4(a) ? "ipv4" : "ipv6");
        return list.check(b, net.isIPv4(b) ? "ipv4" : "ipv6");
    } catch {
        return false;
    }
}

/** `useProxy` for the canonical host and port of a request URL. */
export function useProxy(noProxy: string, host: string, port: string): boolean {
    if (host === "localhost") return false;
    const ip = ipOf(host);
    if (ip !== undefined && isLoopback(ip)) return false;
    const addr = host.toLowerCase().trim();
    for (const raw of noProxy.split(",")) {
        const p = raw.toLowerCase().trim();
        if (p === "") continue;
        if (p === "*") return false;
        if (/^[^/]+\/\d+$/.test(p) && net.isIP(p.split("/")[0]) !== 0) {
            if (ip !== undefined && inCidr(ip, p)) return false;
            continue;
        }
        let phost = p;
        let pport = "";
        const hp = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(p);
        if (hp) {
            phost = hp[1];
            pport = hp[2];
            if (phost === "") continue;
            if (phost.startsWith("[") && phost.endsWith("]")) phost = phost.slice(1, -1);
        }
        if (net.isIP(phost) !== 0) {
            if (ip !== undefined && sameIp(phost, ip) && (pport === "" || pport === port)) return false;
            continue;
        }
        if (phost === "") continue;
        if (phost.startsWith("*.")) phost = phost.slice(1);
        let matchHost = false;
        if (!phost.startsWith(".")) {
            matchHost = true;
            phost = `.${phost}`;
        }
        if (ip === undefined && (addr.endsWith(phost) || (matchHost && addr === phost.slice(1))) && (pport === "" || pport === port)) return false;
    }
    return true;
}

/** The proxy for `url` (`proxyForURL` with `canonicalAddr`), none, or the CGI error. */
export function proxyFor(cfg: ProxyConfig, url: URL): URL | undefined | { error: string } {
    let proxy: URL | undefined;
    if (url.protocol === "https:") proxy = parseProxy(cfg.httpsProxy);
    else if (url.protocol === "http:") {
        proxy = parseProxy(cfg.httpProxy);
        if (proxy !== undefined && cfg.cgi) return { error: "refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy" };
    }
    if (proxy === undefined) return undefined;
    const host = url.hostname;
    const port = url.port !== "" ? url.port : url.protocol === "https:" ? "443" : "80";
    return useProxy(cfg.noProxy, host, port) ? proxy : undefined;
}

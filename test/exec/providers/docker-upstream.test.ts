/**
 * The Docker provider stand-in's registry requests behave as pulumi-docker 5.2.0's (kreuzwerker
 * v4.6.0 with pulumi's patch 0002): Go's default client with its proxy variables, a RegistryImage
 * update that only reads, a delete that does not verify TLS. Shown against a registry stub and a
 * proxy stub on loopback, and, where Go's net/http decides, against Go itself (goref/proxyref).
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { AuthConfig } from "../../../lab/providers/docker/auth";
import { ProxyConfig, proxyConfigFromEnv, proxyFor } from "../../../lab/providers/docker/proxy";
import * as R from "../../../lab/providers/docker/resources";
import { JsonObject } from "../../../lab/providers/docker/values";
import { GoRefs, freePort, goRefs, runRef, runRefAsync } from "./fixtures";

const DIGEST = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const URN = "urn:pulumi:dev::proj::docker:index/registryImage:RegistryImage::mirror";

/** A registry stub: HEAD of a manifest answers the digest unless `missing`; DELETE is recorded. */
interface Registry {
    port: number;
    requests: string[];
    missing: boolean;
    close(): Promise<void>;
}

function handler(reg: Registry): http.RequestListener {
    return (req, res) => {
        reg.requests.push(`${req.method} ${req.url}`);
        if (req.method === "DELETE") {
            res.writeHead(202).end();
            return;
        }
        if (reg.missing) {
            res.writeHead(404, { "Content-Type": "application/json" }).end();
            return;
        }
        res.writeHead(200, { "Docker-Content-Digest": DIGEST, "Content-Type": "application/vnd.docker.distribution.manifest.v2+json" }).end();
    };
}

async function registry(tlsFiles?: { key: string; cert: string }, host = "127.0.0.1"): Promise<Registry> {
    const reg: Registry = { port: 0, requests: [], missing: false, close: async () => undefined };
    const server = tlsFiles ? https.createServer({ key: fs.readFileSync(tlsFiles.key), cert: fs.readFileSync(tlsFiles.cert) }, handler(reg)) : http.createServer(handler(reg));
    await new Promise<void>((r) => server.listen(0, host, r));
    reg.port = (server.address() as net.AddressInfo).port;
    reg.close = () => new Promise((r) => server.close(() => r()));
    return reg;
}

/** A forward proxy stub: absolute-URI requests and CONNECT tunnels, all to `to` on 127.0.0.1; counts them. */
interface Proxy {
    port: number;
    seen: string[];
    close(): Promise<void>;
}

async function proxy(to: () => number): Promise<Proxy> {
    const p: Proxy = { port: 0, seen: [], close: async () => undefined };
    const server = http.createServer((req, res) => {
        p.seen.push(`${req.method} ${req.url}`);
        const u = new URL(req.url ?? "/");
        const up = http.request({ host: "127.0.0.1", port: to(), method: req.method, path: u.pathname + u.search, headers: req.headers }, (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
        });
        up.on("error", () => res.writeHead(502).end());
        req.pipe(up);
    });
    const tunnels = new Set<net.Socket>();
    server.on("connect", (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
        p.seen.push(`CONNECT ${req.url}`);
        tunnels.add(socket);
        socket.on("close", () => tunnels.delete(socket));
        const up = net.connect(to(), "127.0.0.1", () => {
            socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
            up.write(head);
            up.pipe(socket);
            socket.pipe(up);
        });
        up.on("error", () => socket.destroy());
        socket.on("error", () => up.destroy());
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    p.port = (server.address() as net.AddressInfo).port;
    p.close = () =>
        new Promise((r) => {
            server.closeAllConnections();
            for (const t of tunnels) t.destroy();
            server.close(() => r());
        });
    return p;
}

/**
 * A name of this machine that /etc/hosts gives a loopback address (read from the file: no DNS query
 * leaves the machine). Go proxies a name (only `localhost` and loopback IPs are exempt), so requests
 * to it show whether the proxy was used; a direct request still lands on loopback.
 */
function loopbackName(): { name: string; address: string } | undefined {
    const hosts = fs.existsSync("/etc/hosts") ? fs.readFileSync("/etc/hosts", "utf8") : "";
    const want = os.hostname();
    for (const line of hosts.split("\n")) {
        const [addr, ...names] = line.replace(/#.*/, "").trim().split(/\s+/);
        if (addr !== undefined && /^127\./.test(addr) && names.includes(want) && want !== "localhost") return { name: want, address: addr };
    }
    return undefined;
}

function ctxOf(configs: Map<string, AuthConfig>, proxies: ProxyConfig, calls: string[] = []): R.OpContext {
    const api = new Proxy({}, { get: (_t, k) => () => calls.push(`docker api ${String(k)}`) }) as unknown as R.OpContext["api"];
    return { api, authConfigs: configs, log: () => undefined, proxies };
}

function authFor(serverAddress: string, host: string): Map<string, AuthConfig> {
    return new Map([[host, { serverAddress, username: "", password: "" }]]);
}

describe("exec: Docker stand-in registry requests as pulumi-docker 5.2.0 makes them", function () {
    this.timeout(60_000);
    let refs: GoRefs;
    let certs: { key: string; cert: string } | undefined;
    let tmp = "";

    before(() => {
        refs = goRefs();
        if ("why" in refs) console.log(`      note: no Go reference, the stand-in is checked against Go's texts only: ${refs.why}`);
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "standin-registry-"));
        const ossl = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=registry.test", "-addext", "subjectAltName=IP:127.0.0.1,DNS:registry.test", "-keyout", `${tmp}/key.pem`, "-out", `${tmp}/cert.pem`], { encoding: "utf8" });
        if (ossl.status === 0) certs = { key: `${tmp}/key.pem`, cert: `${tmp}/cert.pem` };
        else console.log(`      note: openssl could not make a self-signed certificate (${ossl.error?.message ?? ossl.stderr}); the https cases skip`);
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("the digest check goes through HTTP_PROXY, and straight to the registry for a NO_PROXY host, as Go's default client", async function () {
        const lb = loopbackName();
        if (lb === undefined) {
            console.log(`      skipped: /etc/hosts gives this machine's name (${os.hostname()}) no loopback address to reach a registry by name without DNS`);
            this.skip();
        }
        const reg = await registry(undefined, lb.address);
        const px = await proxy(() => reg.port);
        try {
            const server = `http://${lb.name}:${reg.port}`;
            const configs = authFor(server, `${lb.name}:${reg.port}`);
            const name = `${lb.name}:${reg.port}/busybox:v1`;
            const viaProxy = proxyConfigFromEnv({ HTTP_PROXY: `127.0.0.1:${px.port}` });
            assert.strictEqual(await R.imageDigestWithFallback(name, configs.get(`${lb.name}:${reg.port}`)!, false, { proxies: viaProxy }), DIGEST);
            assert.deepStrictEqual(px.seen, [`HEAD ${server}/v2/busybox/manifests/v1`]);
            assert.deepStrictEqual(reg.requests, ["HEAD /v2/busybox/manifests/v1"]);
            // NO_PROXY names the registry: direct (the proxy sees nothing more, the registry one more request)
            for (const noProxy of [lb.name, `${lb.name}:${reg.port}`, `other.example,${lb.name.toUpperCase()}`]) {
                const direct = proxyConfigFromEnv({ http_proxy: `http://127.0.0.1:${px.port}`, no_proxy: noProxy });
                assert.strictEqual(await R.imageDigestWithFallback(name, configs.get(`${lb.name}:${reg.port}`)!, false, { proxies: direct }), DIGEST, noProxy);
            }
            assert.strictEqual(px.seen.length, 1);
            assert.strictEqual(reg.requests.length, 4);
            // a subdomain pattern or another port does not exempt the registry: proxied again
            for (const noProxy of [`.${lb.name}`, `${lb.name}:1`]) {
                await R.imageDigestWithFallback(name, configs.get(`${lb.name}:${reg.port}`)!, false, { proxies: proxyConfigFromEnv({ HTTP_PROXY: `http://127.0.0.1:${px.port}`, NO_PROXY: noProxy }) });
            }
            assert.strictEqual(px.seen.length, 3);
            if ("bin" in refs) {
                const env = { HTTP_PROXY: `http://127.0.0.1:${px.port}`, NO_PROXY: `.${lb.name}` };
                const got = await runRefAsync<string[]>(refs, "proxyref", ["-head", `${server}/v2/busybox/manifests/v1`], env);
                assert.deepStrictEqual(got, ["200 OK"]);
                assert.strictEqual(px.seen.length, 4, "Go's client went through the proxy too");
            }
        } finally {
            await px.close();
            await reg.close();
        }
    });

    it("a proxy that cannot be reached fails the digest check, with Go's error text", async () => {
        const closed = await freePort();
        const url = "http://192.0.2.10:5000/v2/busybox/manifests/v1";
        const env = { HTTP_PROXY: `http://127.0.0.1:${closed}` };
        const want = `Head "${url}": proxyconnect tcp: dial tcp 127.0.0.1:${closed}: connect: connection refused`;
        if ("bin" in refs) assert.deepStrictEqual(runRef<string[]>(refs, "proxyref", ["-head", url], "", env), [`error: ${want}`]);
        const auth = { serverAddress: "http://192.0.2.10:5000", username: "", password: "" };
        await assert.rejects(R.imageDigestWithFallback("192.0.2.10:5000/busybox:v1", auth, false, { proxies: proxyConfigFromEnv(env) }), (e: Error) => {
            assert.strictEqual(e.message, `unable to get digest: Error during registry request: ${want}`);
            return true;
        });
    });

    it("HTTPS_PROXY carries an https registry through a CONNECT tunnel; HTTP_PROXY alone does not apply to it", async function () {
        if (certs === undefined) this.skip();
        const reg = await registry(certs);
        const px = await proxy(() => reg.port);
        try {
            // registry.test resolves nowhere: only the proxy can reach it (it tunnels to the stub)
            const auth = { serverAddress: `https://registry.test:${reg.port}`, username: "", password: "" };
            const name = `registry.test:${reg.port}/busybox:v1`;
            assert.strictEqual(await R.imageDigestWithFallback(name, auth, true, { proxies: proxyConfigFromEnv({ HTTPS_PROXY: `http://127.0.0.1:${px.port}` }) }), DIGEST);
            assert.deepStrictEqual(px.seen, [`CONNECT registry.test:${reg.port}`]);
            const direct = { serverAddress: `https://127.0.0.1:${reg.port}`, username: "", password: "" };
            await R.imageDigestWithFallback(`127.0.0.1:${reg.port}/busybox:v1`, direct, true, { proxies: proxyConfigFromEnv({ HTTP_PROXY: `http://127.0.0.1:${px.port}` }) });
            assert.strictEqual(px.seen.length, 1, "an https URL does not use HTTP_PROXY");
            assert.strictEqual(reg.requests.length, 2);
        } finally {
            await px.close();
            await reg.close();
        }
    });

    it("which proxy a URL gets is what Go's ProxyFromEnvironment picks", function () {
        const urls = [
            "http://192.168.1.11:5000/v2/",
            "https://192.168.1.11:5000/v2/",
            "http://localhost:5000/v2/",
            "http://127.0.0.1:5000/v2/",
            "http://[::1]:5000/v2/",
            "http://registry.lab.example:5000/v2/",
            "http://lab.example/v2/",
            "https://sub.registry.lab.example/v2/",
            "http://10.1.2.3/v2/",
        ];
        const envs: NodeJS.ProcessEnv[] = [
            { HTTP_PROXY: "proxy.example:3128" },
            { http_proxy: "http://proxy.example:3128", https_proxy: "https://tls-proxy.example", no_proxy: "192.168.1.11" },
            { HTTP_PROXY: "http://a.example:1", http_proxy: "http://b.example:2", NO_PROXY: "lab.example" },
            { HTTP_PROXY: "http://p.example:8080", HTTPS_PROXY: "http://p.example:8080", NO_PROXY: ".lab.example,10.0.0.0/8" },
            { HTTP_PROXY: "http://p.example:8080", NO_PROXY: "192.168.1.11:5000, *.example" },
            { HTTP_PROXY: "http://p.example:8080", HTTPS_PROXY: "http://p.example:8080", NO_PROXY: "*" },
            { HTTP_PROXY: "http://p.example:8080", REQUEST_METHOD: "GET" },
            { HTTPS_PROXY: "socks5://s.example:1080", NO_PROXY: "192.168.1.0/24" },
        ];
        const ours = (env: NodeJS.ProcessEnv): string[] =>
            urls.map((u) => {
                const p = proxyFor(proxyConfigFromEnv(env), new URL(u));
                return p === undefined ? "" : "error" in p ? `error: ${p.error}` : p.href.replace(/\/$/, "");
            });
        // the rows that matter most, stated as Go gives them (checked below against Go itself)
        assert.deepStrictEqual(ours(envs[0]).slice(0, 5), ["http://proxy.example:3128", "", "", "", ""]);
        assert.deepStrictEqual(ours(envs[1]).slice(0, 2), ["", ""]);
        assert.deepStrictEqual(ours(envs[2]).slice(5, 7), ["", ""]);
        assert.deepStrictEqual(ours(envs[3]).slice(5, 9), ["", "http://p.example:8080", "", ""]);
        if (!("bin" in refs)) {
            console.log(`      (not compared with Go: ${refs.why})`);
            return;
        }
        assert.strictEqual(envs.length, 8);
        for (const env of envs) {
            const fromGo: string[] = runRef<string[]>(refs, "proxyref", urls, "", env);
            assert.deepStrictEqual(ours(env), fromGo.map((g: string) => g.replace(/\/$/, "")), JSON.stringify(env));
        }
    });

    it("a RegistryImage update only reads the digest (nothing is pushed); a failed read fails the update as the bridge does", async () => {
        const reg = await registry();
        try {
            const server = `http://127.0.0.1:${reg.port}`;
            const calls: string[] = [];
            const ctx = ctxOf(authFor(server, `127.0.0.1:${reg.port}`), proxyConfigFromEnv({}), calls);
            const news: JsonObject = { name: `127.0.0.1:${reg.port}/busybox:v1`, keepRemotely: true, insecureSkipVerify: false };
            const outs = await R.registryImageUpdate(ctx, URN, news);
            assert.deepStrictEqual(outs, { ...news, sha256Digest: DIGEST });
            assert.deepStrictEqual(reg.requests, ["HEAD /v2/busybox/manifests/v1"]);
            assert.deepStrictEqual(calls, [], "no Docker API call: nothing pushed");
            reg.missing = true;
            await assert.rejects(R.registryImageUpdate(ctx, URN, news), (e: Error) => {
                assert.strictEqual(e.message, R.updateGoneError(URN));
                assert.match(e.message, /^Resource provider reported that the resource did not exist while updating urn:pulumi:dev::proj::docker:index\/registryImage:RegistryImage::mirror\.\n\n/);
                return true;
            });
            // both Accept headers were tried, as getImageDigestWithFallback does
            assert.deepStrictEqual(reg.requests.slice(1), ["HEAD /v2/busybox/manifests/v1", "HEAD /v2/busybox/manifests/v1"]);
        } finally {
            await reg.close();
        }
    });

    it("a RegistryImage delete does not verify the registry's TLS certificate, as upstream; the digest read does", async function () {
        if (certs === undefined) this.skip();
        const reg = await registry(certs);
        try {
            const server = `https://127.0.0.1:${reg.port}`;
            const ctx = ctxOf(authFor(server, `127.0.0.1:${reg.port}`), proxyConfigFromEnv({}));
            const state: JsonObject = { name: `127.0.0.1:${reg.port}/busybox:v1`, keepRemotely: false, insecureSkipVerify: false, sha256Digest: DIGEST };
            await R.registryImageDelete(ctx, state);
            assert.deepStrictEqual(reg.requests, [`DELETE /v2/busybox/manifests/${DIGEST}`]);
            // the same certificate fails a digest read: the refresh's read verifies (insecureSkipVerify false)
            await assert.rejects(
                R.imageDigestWithFallback(state.name as string, { serverAddress: server, username: "", password: "" }, false, { proxies: proxyConfigFromEnv({}) }),
                /unable to get digest: Error during registry request: Head "https:\/\/127\.0\.0\.1:\d+\/v2\/busybox\/manifests\/v1": tls: failed to verify certificate: x509: certificate signed by unknown authority/,
            );
            assert.strictEqual(reg.requests.length, 1, "the refused TLS handshakes reached no handler");
        } finally {
            await reg.close();
        }
    });
});

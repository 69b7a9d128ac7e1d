/**
 * Rules of the Docker provider stand-in that decide a preview, as kreuzwerker v4.6.0 (bridged by
 * @pulumi/docker 5.2.0) decides them: schema validators at Check, DiffSuppressFuncs, and the proxy
 * rules of Go's ProxyFromEnvironment. Pure: no host, no network.
 */
import * as assert from "assert";
import { DockerStandInProvider } from "../../../lab/providers/docker/provider";
import { proxyConfigFromEnv, proxyFor } from "../../../lab/providers/docker/proxy";
import { CONTAINER, TOKENS, applyDefaults, diffProperties, validateInputs } from "../../../lab/providers/docker/rules";
import { JsonObject, UNKNOWN } from "../../../lab/providers/docker/values";

const URN = "urn:pulumi:dev::proj::macvlan-lab:docker:Container$docker:index/container:Container::bbox10";

describe("docker stand-in: what a preview shows, as pulumi-docker 5.2.0", () => {
    it("restart is validated at preview: a value other than no, on-failure, always or unless-stopped fails Check, worded as the bridge words it", async () => {
        const p = new DockerStandInProvider(() => undefined);
        const bad = await p.check(URN, {}, { name: "bbox10", image: "busybox", restart: "sometimes" });
        assert.deepStrictEqual(bad.failures, [
            {
                property: "",
                reason:
                    "'sometimes' doesn't match the pattern '^(no|on-failure|always|unless-stopped)$'. " +
                    "'sometimes' doesn't match the pattern '^(no|on-failure|always|unless-stopped)$'. Examine values at 'bbox10.restart'.",
            },
        ]);
        for (const ok of ["no", "on-failure", "always", "unless-stopped", undefined, UNKNOWN]) {
            const r = await p.check(URN, {}, { name: "bbox10", image: "busybox", ...(ok === undefined ? {} : { restart: ok }) });
            assert.deepStrictEqual(r.failures, [], String(ok));
        }
    });

    it("the other top-level container validators fail Check too (memory, swap, cpu set)", () => {
        const f = validateInputs(CONTAINER, URN, { memory: -1, memorySwap: -2, cpuSet: "0-a", cpuShares: 5 } as JsonObject).map((x) => x.reason);
        assert.deepStrictEqual(f, [
            "'-1' cannot be lower than 0. '-1' cannot be lower than 0. Examine values at 'bbox10.memory'.",
            "'-2' cannot be lower than -1. '-2' cannot be lower than -1. Examine values at 'bbox10.memorySwap'.",
            "'0-a' doesn't match the pattern '^\\d+([,-]\\d+)*$'. '0-a' doesn't match the pattern '^\\d+([,-]\\d+)*$'. Examine values at 'bbox10.cpuSet'.",
        ]);
    });

    it("user and workingDir set to \"\" (or left out) keep the container: the DiffSuppressFunc treats \"\" as no change", () => {
        // both sides as Check leaves them: the schema defaults applied
        const state = applyDefaults(CONTAINER, { name: "bbox10", image: "busybox", user: "1000", workingDir: "/srv" });
        const checked = (extra: JsonObject): JsonObject => applyDefaults(CONTAINER, { name: "bbox10", image: "busybox", ...extra });
        const edits: JsonObject[] = [{ user: "" }, { workingDir: "" }, { user: "", workingDir: "" }, {}];
        for (const news of edits) {
            const d = diffProperties(TOKENS.container, state, checked(news));
            assert.deepStrictEqual(d.changed, [], JSON.stringify(news));
        }
        // a different non-empty value still replaces (both are ForceNew)
        const d = diffProperties(TOKENS.container, state, checked({ user: "2000", workingDir: "/tmp" }));
        assert.deepStrictEqual(d.replaces, ["user", "workingDir"]);
    });

    it("proxies: HTTP_PROXY for http, HTTPS_PROXY for https, NO_PROXY and loopback exempt, upper case first, CGI refused", () => {
        const pick = (env: NodeJS.ProcessEnv, url: string): string => {
            const p = proxyFor(proxyConfigFromEnv(env), new URL(url));
            return p === undefined ? "direct" : "error" in p ? p.error : p.host;
        };
        const rows: Array<[NodeJS.ProcessEnv, string, string]> = [
            [{ HTTP_PROXY: "proxy:3128" }, "http://192.168.1.11:5000/v2/", "proxy:3128"],
            [{ HTTP_PROXY: "proxy:3128" }, "https://192.168.1.11:5000/v2/", "direct"],
            [{ HTTPS_PROXY: "proxy:3128" }, "https://192.168.1.11:5000/v2/", "proxy:3128"],
            [{ HTTP_PROXY: "proxy:3128" }, "http://127.0.0.1:5000/v2/", "direct"],
            [{ HTTP_PROXY: "proxy:3128" }, "http://localhost:5000/v2/", "direct"],
            [{ HTTP_PROXY: "proxy:3128", NO_PROXY: "192.168.1.11" }, "http://192.168.1.11:5000/v2/", "direct"],
            [{ HTTP_PROXY: "proxy:3128", NO_PROXY: "192.168.1.0/24" }, "http://192.168.1.11:5000/v2/", "direct"],
            [{ HTTP_PROXY: "proxy:3128", NO_PROXY: "192.168.1.11:443" }, "http://192.168.1.11:5000/v2/", "proxy:3128"],
            [{ HTTP_PROXY: "proxy:3128", NO_PROXY: "lab.example" }, "http://reg.lab.example/v2/", "direct"],
            [{ HTTP_PROXY: "proxy:3128", NO_PROXY: ".lab.example" }, "http://lab.example/v2/", "proxy:3128"],
            [{ HTTP_PROXY: "upper:1", http_proxy: "lower:2" }, "http://192.168.1.11/v2/", "upper:1"],
            [{ http_proxy: "lower:2", REQUEST_METHOD: "GET" }, "http://192.168.1.11/v2/", "refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy"],
        ];
        assert.strictEqual(rows.length, 12);
        for (const [env, url, want] of rows) assert.strictEqual(pick(env, url), want, `${JSON.stringify(env)} ${url}`);
    });
});

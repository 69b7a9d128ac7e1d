/**
 * The Docker provider stand-in (lab/providers/docker), pure: diff and replace rules, registry auth and
 * digest requests, ssh argv, config and request bodies, install.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { X509Certificate } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadSystemRoots } from "../../../lab/providers/docker/tlsRoots";
import {
    authConfigForRegistry,
    canonicalizeRegistryAddress,
    digestRequest,
    parseImageOptions,
    pushRegistryAuthHeader,
    registryAuthConfigs,
    registryImageAuth,
} from "../../../lab/providers/docker/auth";
import { minApiVersion } from "../../../lab/providers/docker/dockerApi";
import { DockerStandInProvider, argsFromVariables, providerConfigFrom } from "../../../lab/providers/docker/provider";
import { TOKENS, diffProperties } from "../../../lab/providers/docker/resources";
import { CONTAINER, containerCreateBody, flattenPorts, portsUnchanged } from "../../../lab/providers/docker/resources/container";
import { splitReference } from "../../../lab/providers/docker/resources/images";
import { networkCreateBody } from "../../../lab/providers/docker/resources/network";
import { applyDefaults, diffProviderConfig } from "../../../lab/providers/docker/rules";
import { parseSshUrl, sshArgv } from "../../../lab/providers/docker/ssh";
import { JsonObject, SECRET_SIG, SIG_KEY, UNKNOWN, resecret } from "../../../lab/providers/docker/values";

const secret = (v: unknown) => ({ [SIG_KEY]: SECRET_SIG, value: v }) as JsonObject;

describe("docker stand-in: diff and replace rules", () => {
    const net: JsonObject = { name: "mv", driver: "macvlan", options: { parent: "ens33" }, ipamConfigs: [{ subnet: "172.16.10.0/24", gateway: "172.16.10.1", ipRange: "172.16.10.64/27", auxAddress: {} }], ipamDriver: "default" };

    it("every Network argument forces replacement; not delete-before-replace by itself", () => {
        for (const [k, v] of Object.entries({ name: "other", driver: "bridge", options: { parent: "ens34" }, ipamConfigs: [{ subnet: "172.16.20.0/24" }], internal: true, attachable: true, ipv6: true })) {
            const d = diffProperties(TOKENS.network, net, { ...net, [k]: v });
            assert.deepEqual(d.replaces, [k], k);
            assert.equal(d.deleteBeforeReplace, false);
        }
        assert.equal(diffProperties(TOKENS.network, net, net).changes, false);
    });

    it("an unknown input (preview) is a change, and replaces when ForceNew", () => {
        const d = diffProperties(TOKENS.network, net, { ...net, name: UNKNOWN });
        assert.deepEqual(d.replaces, ["name"]);
        const c = diffProperties(TOKENS.container, applyDefaults(CONTAINER, { name: "a", image: "sha256:1", networksAdvanced: [{ name: "n1" }] }), applyDefaults(CONTAINER, { name: "a", image: "sha256:1", networksAdvanced: [{ name: UNKNOWN }] }));
        assert.deepEqual(c.replaces, ["networksAdvanced"]);
        assert.equal(c.deleteBeforeReplace, true, "docker_container has DeleteBeforeReplace in pulumi-docker's resources.go");
    });

    it("Container: restart and mustRun update in place; image, command, name, ports replace", () => {
        const olds = applyDefaults(CONTAINER, { name: "c", image: "sha256:1", command: ["sleep", "1"], restart: "always", mustRun: true, ports: [{ internal: 5000, external: 5000 }] });
        const upd = diffProperties(TOKENS.container, olds, { ...olds, restart: "unless-stopped" });
        assert.deepEqual([upd.changes, upd.replaces], [true, []]);
        const mr = diffProperties(TOKENS.container, { ...olds, mustRun: false }, olds);
        assert.deepEqual([mr.changed, mr.replaces], [["mustRun"], []]);
        for (const [k, v] of Object.entries({ image: "sha256:2", command: ["sleep", "2"], name: "d", ports: [{ internal: 5000, external: 5001, ip: "0.0.0.0", protocol: "tcp" }] })) {
            assert.deepEqual(diffProperties(TOKENS.container, olds, { ...olds, [k]: v }).replaces, [k], k);
        }
    });

    it("Container: an Optional+Computed property left unset keeps the state's value (hostname, command)", () => {
        const olds = { ...applyDefaults(CONTAINER, { name: "c", image: "busybox" }), hostname: "3f2a", command: ["sh"] };
        assert.equal(diffProperties(TOKENS.container, olds, applyDefaults(CONTAINER, { name: "c", image: "busybox" })).changes, false);
    });

    it("ports: the upstream suppress rule (same length, same external/ip/protocol per internal port)", () => {
        const want = [{ internal: 5000, external: 5000, ip: "0.0.0.0", protocol: "tcp" }];
        assert.equal(portsUnchanged(want, want), true);
        assert.equal(portsUnchanged([...want, { internal: 5000, external: 5000, ip: "::", protocol: "tcp" }], want), false);
        assert.equal(portsUnchanged([{ ...want[0], external: 5001 }], want), false);
    });

    it("RemoteImage: keepLocally updates in place, name replaces; Tag and RegistryImage name replace", () => {
        const ri = { name: "busybox:latest", keepLocally: true, platform: "" };
        assert.deepEqual(diffProperties(TOKENS.remoteImage, ri, { ...ri, keepLocally: false }).replaces, []);
        assert.deepEqual(diffProperties(TOKENS.remoteImage, ri, { ...ri, name: "busybox:1" }).replaces, ["name"]);
        assert.deepEqual(diffProperties(TOKENS.tag, { sourceImage: "a", targetImage: "b" }, { sourceImage: "a", targetImage: "c" }).replaces, ["targetImage"]);
        const reg = { name: "r:5000/a:v1", keepRemotely: true, insecureSkipVerify: true };
        assert.deepEqual(diffProperties(TOKENS.registryImage, reg, { ...reg, keepRemotely: false }).replaces, []);
        assert.deepEqual(diffProperties(TOKENS.registryImage, reg, { ...reg, name: "r:5000/a:v2" }).replaces, ["name"]);
    });

    it("Volume: name, driver, driverOpts and labels replace", () => {
        const v = { name: "regdata", driver: "local" };
        assert.deepEqual(diffProperties(TOKENS.volume, v, { ...v, name: "x" }).replaces, ["name"]);
        assert.equal(diffProperties(TOKENS.volume, v, { name: "regdata" }).changes, false, "driver is Optional+Computed");
    });

    it("secret inputs compare by value and come back secret in outputs", () => {
        assert.equal(diffProperties(TOKENS.tag, { sourceImage: "a", targetImage: "b" }, { sourceImage: secret("a"), targetImage: "b" }).changes, false);
        assert.deepEqual(resecret({ name: secret("x") }, { name: "x", id: "1" }), { name: secret("x"), id: "1" });
    });

    it("provider config changes update the provider, never replace it", () => {
        const d = diffProviderConfig({ host: "ssh://a" }, { host: "ssh://b" });
        assert.deepEqual([d.changes, d.replaces], [true, []]);
    });
});

describe("docker stand-in: registry auth and digest", () => {
    const noFile = () => {
        throw new Error("ENOENT");
    };

    it("provider registryAuth is keyed by host:port; the scheme of the address is kept", () => {
        const m = registryAuthConfigs([{ address: "http://192.168.1.11:5000", authDisabled: true }], {}, noFile);
        assert.deepEqual(m.get("192.168.1.11:5000"), { serverAddress: "http://192.168.1.11:5000", username: "username", password: "password" });
        const s = registryAuthConfigs([{ address: "reg.example:5000", username: "u", password: secret("p") }], {}, noFile);
        assert.deepEqual(s.get("reg.example:5000"), { serverAddress: "https://reg.example:5000", username: "u", password: "p" });
    });

    it("an entry without username falls back to the config file, which must exist (as upstream)", () => {
        assert.throws(() => registryAuthConfigs([{ address: "r:5000" }], {}, noFile), /could not open config file from filePath: .*config\.json/);
        const m = registryAuthConfigs([{ address: "r:5000", configFile: "/x.json" }], {}, () => JSON.stringify({ auths: { "r:5000": { auth: Buffer.from("me:pw").toString("base64") } } }));
        assert.deepEqual(m.get("r:5000"), { serverAddress: "https://r:5000", username: "me", password: "pw" });
    });

    it("no auth config for the registry is the upstream error; the resource's own authConfig wins", () => {
        assert.throws(
            () => registryImageAuth("192.168.1.11:5000/busybox:v1", undefined, new Map(), "resourceDockerRegistryImageCreate"),
            /^Error: resourceDockerRegistryImageCreate: Unable to get authConfig for registry: no auth config found for registry 192\.168\.1\.11:5000 in auth configs/,
        );
        const own = registryImageAuth("192.168.1.11:5000/busybox:v1", [{ address: "192.168.1.11:5000", username: "u", password: "p" }], new Map(), "x");
        assert.equal(own.serverAddress, "https://192.168.1.11:5000");
        assert.throws(() => authConfigForRegistry("other:5000", registryAuthConfigs([{ address: "http://r:5000", authDisabled: true }], {}, noFile)), /no auth config found for registry other:5000/);
    });

    it("image names split as parseImageOptions", () => {
        assert.deepEqual(parseImageOptions("busybox"), { registry: "registry-1.docker.io", repository: "library/busybox", tag: "latest" });
        assert.deepEqual(parseImageOptions("192.168.1.11:5000/busybox:v1"), { registry: "192.168.1.11:5000", repository: "busybox", tag: "v1" });
        assert.deepEqual(parseImageOptions("localhost/a/b"), { registry: "localhost", repository: "a/b", tag: "latest" });
        assert.deepEqual(splitReference("192.168.1.11:5000/busybox:v1"), { repo: "192.168.1.11:5000/busybox", tag: "v1" });
    });

    it("the digest is asked from this machine over the auth address's scheme (https unless http://)", () => {
        const http = digestRequest("192.168.1.11:5000/busybox:v1", { serverAddress: "http://192.168.1.11:5000", username: "username", password: "password" }, false);
        assert.equal(http.url, "http://192.168.1.11:5000/v2/busybox/manifests/v1");
        assert.equal(http.method, "HEAD");
        assert.equal(http.headers.Authorization, `Basic ${Buffer.from("username:password").toString("base64")}`);
        const https = digestRequest("192.168.1.11:5000/busybox:v1", { serverAddress: canonicalizeRegistryAddress("192.168.1.11:5000"), username: "", password: "" }, true);
        assert.equal(https.url, "https://192.168.1.11:5000/v2/busybox/manifests/v1");
        assert.equal(https.headers.Authorization, undefined);
        assert.match(https.headers.Accept, /prettyjws/);
        assert.equal(pushRegistryAuthHeader({ serverAddress: "", username: "", password: "" }), undefined);
    });
});

describe("docker stand-in: ssh argv, config, request bodies, install", () => {
    it("ssh argv as docker/cli connhelper: -l, -p, the sshOpts, -T, --, host, dial-stdio", () => {
        assert.deepEqual(sshArgv("ssh://root@192.168.1.11:22", ["-o", "ConnectTimeout=10", "-i", "/k"]), [
            "ssh", "-l", "root", "-p", "22", "-o", "ConnectTimeout=10", "-i", "/k", "-T", "--", "192.168.1.11", "docker system dial-stdio",
        ]);
        assert.deepEqual(sshArgv("ssh://h", []), ["ssh", "-o ConnectTimeout=30", "-T", "--", "h", "docker system dial-stdio"]);
        assert.equal(sshArgv("ssh://h/var/run/d.sock", ["-T"]).at(-1), "docker --host=unix:///var/run/d.sock system dial-stdio");
        assert.throws(() => parseSshUrl("ssh://u:pw@h"), /plain-text password is not supported/);
        assert.throws(() => parseSshUrl("ssh://h?x=1"), /query parameters are not allowed/);
    });

    it("provider config from Configure args (secrets unwrapped) or variables", () => {
        const c = providerConfigFrom({ host: "ssh://root@h:22", sshOpts: ["-o", "BatchMode=yes"], registryAuth: [{ address: "http://h:5000", authDisabled: secret(true) }] }, {});
        assert.deepEqual(c.sshOpts, ["-o", "BatchMode=yes"]);
        assert.equal(c.authConfigs.get("h:5000")?.username, "username");
        assert.deepEqual(argsFromVariables(new Map([["docker:config:host", "ssh://h"], ["docker:config:sshOpts", '["-T"]']])), { host: "ssh://h", sshOpts: ["-T"] });
    });

    it("Check applies the schema defaults and flags unknown inputs, without contacting a host", async () => {
        const p = new DockerStandInProvider();
        const r = await p.check("urn:pulumi:s::p::docker:index/container:Container::c", {}, { name: "c", image: UNKNOWN, bogus: 1 });
        assert.equal((r.inputs as JsonObject).restart, "no");
        assert.equal((r.inputs as JsonObject).mustRun, true);
        assert.deepEqual(r.failures?.map((f) => f.property), ["bogus"]);
    });

    it("request bodies: network CheckDuplicate (API < 1.44), container ports, binds and restart policy", () => {
        const n = networkCreateBody({ name: "mv", driver: "macvlan", options: { parent: "ens33" }, ipamDriver: "default", ipamConfigs: [{ subnet: "172.16.10.0/24", gateway: "172.16.10.1" }] });
        assert.equal(n.CheckDuplicate, true);
        const c = containerCreateBody(applyDefaults(CONTAINER, { name: "registry", image: "sha256:1", restart: "always", ports: [{ internal: 5000, external: 5000 }], volumes: [{ volumeName: "regdata", containerPath: "/var/lib/registry" }] }), "sha256:1");
        const host = c.HostConfig as JsonObject;
        assert.deepEqual(host.PortBindings, { "5000/tcp": [{ HostIp: "0.0.0.0", HostPort: "5000" }] });
        assert.deepEqual(host.Binds, ["regdata:/var/lib/registry:rw"]);
        assert.deepEqual(host.RestartPolicy, { Name: "always", MaximumRetryCount: 0 });
        assert.equal(host.NetworkMode, "bridge");
        assert.deepEqual(flattenPorts({ "5000/tcp": [{ HostIp: "0.0.0.0", HostPort: "5000" }] }), [{ internal: 5000, external: 5000, ip: "0.0.0.0", protocol: "tcp" }]);
        assert.equal(minApiVersion("1.41", "1.51"), "1.41");
    });
});

describe("docker stand-in: the roots a digest check over https is verified with (Go's loadSystemRoots)", () => {
    let dir: string;
    const cert = (cn: string): string => {
        const r = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "/dev/null", "-subj", `/CN=${cn}`, "-days", "1"], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout;
    };
    const cns = (pems: string[]): string[] => pems.map((p) => new X509Certificate(p).subject).sort();
    before(function () {
        if (spawnSync("openssl", ["version"]).status !== 0) {
            console.log("      skipping: openssl is not installed (it makes the test certificates)");
            this.skip();
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "mvltest-roots-"));
        fs.mkdirSync(path.join(dir, "d1"));
        fs.mkdirSync(path.join(dir, "d2"));
        fs.writeFileSync(path.join(dir, "bundle.pem"), cert("bundle") + "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        fs.writeFileSync(path.join(dir, "d1", "ca.crt"), cert("lab-ca"));
        fs.writeFileSync(path.join(dir, "d1", "key.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        fs.symlinkSync("ca.crt", path.join(dir, "d1", "abcd1234.0")); // c_rehash's link: not read twice
        fs.writeFileSync(path.join(dir, "d2", "other.crt"), cert("other"));
    });
    after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    it("SSL_CERT_FILE replaces the bundle list; SSL_CERT_DIR the directories (':'-separated); only certificates that parse", () => {
        assert.deepEqual(cns(loadSystemRoots({ SSL_CERT_FILE: path.join(dir, "bundle.pem"), SSL_CERT_DIR: `${path.join(dir, "d1")}:${path.join(dir, "d2")}:/nonexistent` })), ["CN=bundle", "CN=lab-ca", "CN=other"]);
        assert.deepEqual(cns(loadSystemRoots({ SSL_CERT_FILE: "/nonexistent", SSL_CERT_DIR: path.join(dir, "d2") })), ["CN=other"]);
    });

    it("without SSL_CERT_DIR, a CA in some other directory is not trusted", () => {
        assert.ok(!cns(loadSystemRoots({ SSL_CERT_FILE: path.join(dir, "bundle.pem") })).includes("CN=lab-ca"));
    });
});

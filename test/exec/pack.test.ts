/**
 * The npm package as another project gets it: `npm pack` of this repo, the tarball installed into a
 * fresh temporary project made from examples/consumer, without the network (`npm ci --offline`:
 * a lockfile written from the repo's own, every package from the npm cache that the repo's
 * `npm ci` filled; the tarball by its path), the example compiled against the installed package
 * with strict TypeScript, then run under Pulumi's mocks with its own @pulumi/pulumi. Fails when a
 * public export or type the example uses goes missing, or when the installed entry's exports are
 * not those of the API report.
 */
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { Lockfile, projectLock } from "../helpers/offlineInstall";
import { secretAlong } from "../helpers/mocks";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const EXAMPLE = path.join(REPO_ROOT, "examples", "consumer");
const HELPERS = path.join(REPO_ROOT, "test", "helpers");
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nconsumer-test-key\n-----END OPENSSH PRIVATE KEY-----";
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBScCbp3QM+KChznepOkxKpDarS31Xe0kTgAsTZp4/zV";

/** The environment for a child npm: without the npm_* variables of an `npm test` around us (they would steer it), cache and registry kept. */
function npmEnv(): NodeJS.ProcessEnv {
    const keep = new Set(["npm_config_cache", "npm_config_registry", "npm_config_userconfig"]);
    return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_") || keep.has(k.toLowerCase())));
}

function run(cmd: string, args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(cmd, args, { cwd, env: npmEnv(), encoding: "utf8", maxBuffer: 64 << 20 });
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

interface Declared {
    resources: {
        type: string;
        name: string;
        custom: boolean;
        inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        wire: Record<string, unknown>;
        provider?: string;
        parent?: string;
        dependencies: string[];
        deleteBeforeReplace: boolean;
    }[];
    outputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe("exec: the npm package, packed, installed offline into a fresh project and used by examples/consumer", function () {
    this.timeout(120_000);
    const times: string[] = [];
    const timed = <T>(what: string, f: () => T): T => {
        const t = Date.now();
        try {
            return f();
        } finally {
            times.push(`${what} ${((Date.now() - t) / 1000).toFixed(1)} s`);
        }
    };
    let tmp: string;
    let project: string;
    let tarball: string;
    let packed: { files: { path: string }[]; filename: string };
    let declared: Declared;
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
        name: string;
        version: string;
        dependencies: Record<string, string>;
        engines?: Record<string, string>;
        license?: string;
    };

    before(function () {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "macvlan-lab-pack-"));
        project = path.join(tmp, "consumer");
        // the package build, then the tarball of exactly what package.json publishes
        timed("build:pkg", () => execFileSync("npm", ["run", "-s", "build:pkg"], { cwd: REPO_ROOT, env: npmEnv(), stdio: ["ignore", "ignore", "pipe"] }));
        const out = timed("npm pack", () => run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", tmp], REPO_ROOT));
        assert.strictEqual(out.status, 0, out.stderr);
        packed = (JSON.parse(out.stdout) as (typeof packed)[])[0];
        tarball = path.join(tmp, packed.filename);
    });

    after(() => {
        console.log(`      (${times.join(", ")})`);
        if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("the tarball holds the compiled entry, its declarations, the shell library, README and CHANGELOG, and no source, test, lab or program file", () => {
        const files = packed.files.map((f) => f.path).sort();
        for (const f of ["package.json", "README.md", "CHANGELOG.md", "dist/index.js", "dist/index.d.ts", "dist/scripts/prelude.sh", "dist/diagram/index.d.ts"]) {
            assert.ok(files.includes(f), `${f} is not in the tarball: ${files.join(", ")}`);
        }
        const stray = files.filter((f) => !/^(package\.json|README\.md|CHANGELOG\.md|LICENSE|dist\/.+\.(js|d\.ts|sh))$/.test(f));
        assert.deepStrictEqual(stray, []);
        assert.ok(!files.some((f) => /^dist\/(index|lab)\b.*\.ts$/.test(f) && !f.endsWith(".d.ts")));
    });

    it("installs into a fresh project with `npm ci --offline` (the repo's lock and npm cache; the tarball by its path)", () => {
        fs.mkdirSync(project);
        for (const f of ["index.ts", "tsconfig.json", "Pulumi.yaml", "package.json"]) fs.copyFileSync(path.join(EXAMPLE, f), path.join(project, f));
        const pkg = JSON.parse(fs.readFileSync(path.join(project, "package.json"), "utf8")) as {
            name: string;
            dependencies: Record<string, string>;
            devDependencies: Record<string, string>;
        };
        // the example names the tarball `npm pack` makes of this version, next to the repo
        assert.strictEqual(pkg.dependencies[manifest.name], `file:../../${packed.filename}`, "examples/consumer/package.json should depend on this version's tarball");
        fs.copyFileSync(tarball, path.join(project, packed.filename));
        pkg.dependencies[manifest.name] = `file:${packed.filename}`;
        fs.writeFileSync(path.join(project, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
        const repoLock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8")) as Lockfile;
        const lock = projectLock(pkg, repoLock, { name: manifest.name, file: packed.filename, path: tarball, manifest });
        fs.writeFileSync(path.join(project, "package-lock.json"), JSON.stringify(lock, null, 2) + "\n");
        const args = ["ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"];
        let r = timed("npm ci --offline", () => run("npm", [...args, "--offline"], project));
        if (r.status !== 0 && /ENOTCACHED/.test(r.stderr)) {
            // the cache lacks a package (the repo's node_modules came from elsewhere): the registry, once
            console.log(`      npm's cache lacks a package, installing with --prefer-offline instead: ${r.stderr.split("\n")[0]}`);
            r = timed("npm ci --prefer-offline", () => run("npm", [...args, "--prefer-offline"], project));
        }
        assert.strictEqual(r.status, 0, r.stderr);
        const installed = JSON.parse(fs.readFileSync(path.join(project, "node_modules", manifest.name, "package.json"), "utf8")) as { version: string };
        assert.strictEqual(installed.version, manifest.version);
        assert.ok(!fs.existsSync(path.join(project, "node_modules", manifest.name, "components")), "the installed package has TypeScript sources");
    });

    it("its exports at run time are the value exports of the API report", () => {
        const report = fs.readFileSync(path.join(REPO_ROOT, "api", "macvlan-lab.api.txt"), "utf8");
        const values = [...report.matchAll(/^(?:class|function|const|let) (\w+)/gm)].map((m) => m[1]);
        const keys = run(process.execPath, ["-e", `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(manifest.name)}))))`], project);
        assert.strictEqual(keys.status, 0, keys.stderr);
        assert.deepStrictEqual((JSON.parse(keys.stdout) as string[]).filter((k) => k !== "__esModule").sort(), [...new Set(values)].sort());
    });

    // skipLibCheck (the example's tsconfig): dist's declarations are tsc's output of checked sources
    it("examples/consumer compiles against the installed package with strict TypeScript", () => {
        const tsc = path.join(project, "node_modules", "typescript", "bin", "tsc");
        const r = timed("tsc", () => run(process.execPath, [tsc, "-p", "."], project));
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        assert.ok(fs.existsSync(path.join(project, "bin", "index.js")));
    });

    it("runs under Pulumi's mocks with the project's own @pulumi/pulumi", () => {
        // the shared mocks and the runner, transpiled into the project (the repo's tsc type-checks them)
        const harness = path.join(project, "harness");
        fs.mkdirSync(harness);
        for (const f of ["mocks.ts", "runUnderMocks.ts"]) {
            const js = ts.transpileModule(fs.readFileSync(path.join(HELPERS, f), "utf8"), {
                compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
            });
            fs.writeFileSync(path.join(harness, f.replace(/\.ts$/, ".js")), js.outputText);
        }
        // the hosts' keys (issue 27: every connection verifies one), as a known_hosts the example reads
        const knownHosts = path.join(tmp, "known_hosts");
        fs.writeFileSync(knownHosts, `10.0.0.21 ${HOST_KEY}\n10.0.0.22 ${HOST_KEY}\n`);
        const config = { "macvlan-lab:sshPrivateKey": KEY, "macvlan-lab:knownHostsFile": knownHosts };
        const r = timed("mocks", () =>
            run(process.execPath, [path.join(harness, "runUnderMocks.js"), path.join(project, "bin", "index.js"), "dev", JSON.stringify(config), JSON.stringify(["macvlan-lab:sshPrivateKey"])], project),
        );
        assert.strictEqual(r.status, 0, r.stderr);
        declared = JSON.parse(r.stdout) as Declared;
    });

    describe("what the consumer declares", () => {
        const byName = (name: string) => {
            const found = declared.resources.filter((x) => x.name === name);
            assert.strictEqual(found.length, 1, `${found.length} resources named ${name}`);
            return found[0];
        };

        it("per host: the promiscuous NIC, a Docker provider; one network on both; an image and a container on each", () => {
            assert.ok(declared, "the program did not run");
            const custom = declared.resources.filter((r) => r.custom).map((r) => `${r.type} ${r.name}`).sort();
            const hostLibs = custom.filter((c) => c.includes("-lib-install"));
            assert.deepStrictEqual(custom.filter((c) => !c.includes("-lib-install")), [
                "command:remote:Command app01-nic-promisc",
                "command:remote:Command app02-nic-promisc",
                "docker:index/container:Container app01-web1-container",
                "docker:index/container:Container app02-web2-container",
                "docker:index/network:Network lan-app01",
                "docker:index/network:Network lan-app02",
                "docker:index/remoteImage:RemoteImage app01-web1-image",
                "docker:index/remoteImage:RemoteImage app02-web2-image",
                "pulumi:providers:docker app01-docker",
                "pulumi:providers:docker app02-docker",
            ]);
            // the host components may install the shell library (HostLibrary): then once per host
            assert.ok(hostLibs.length === 0 || hostLibs.length === 2, `shell library installs: ${hostLibs.join(", ")}`);
            const components = declared.resources.filter((r) => !r.custom).map((r) => `${r.type} ${r.name}`);
            for (const c of ["macvlan-lab:host:ParentInterface app01-nic", "macvlan-lab:docker:MacvlanNetwork lan", "macvlan-lab:docker:Container app02-web2"]) {
                assert.ok(components.includes(c), `${c} not among ${components.join(", ")}`);
            }
        });

        it("the network is the same on both hosts, on eth0, each host with its own planned range, which holds neither host's static address", () => {
            const ranges: string[] = [];
            for (const [host, other] of [["app01", "10.0.50.20"], ["app02", "10.0.50.10"]]) {
                const n = byName(`lan-${host}`);
                assert.strictEqual(n.inputs.name, "lan");
                assert.strictEqual(n.inputs.driver, "macvlan");
                assert.deepStrictEqual(n.inputs.options, { parent: "eth0", macvlan_mode: "bridge" });
                const ipam = n.inputs.ipamConfigs[0];
                assert.strictEqual(ipam.subnet, "10.0.50.0/24");
                assert.strictEqual(ipam.gateway, "10.0.50.1");
                // the plan keeps static addresses out of every host's dynamic range (so no aux entry is needed)
                for (const ip of ["10.0.50.10", "10.0.50.20"]) {
                    assert.ok(!inCidr(ip, ipam.ipRange), `${host}'s range ${ipam.ipRange} holds the static address ${ip}`);
                }
                assert.ok(!Object.values(ipam.auxAddress ?? {}).includes(other), `${host}'s aux addresses list ${other}, outside its range: ${JSON.stringify(ipam.auxAddress)}`);
                assert.ok(n.provider?.includes(`::${host}-docker::`), `lan-${host} uses ${n.provider}`);
                assert.ok(n.dependencies.some((d) => d.endsWith(`::${host}-nic-promisc`)), `lan-${host} does not wait for the promiscuous NIC`);
                assert.strictEqual(n.deleteBeforeReplace, true);
                ranges.push(ipam.ipRange);
            }
            assert.deepStrictEqual(declared.outputs.ranges, { app01: ranges[0], app02: ranges[1] });
            assert.notStrictEqual(ranges[0], ranges[1]);
        });

        it("each container on its host's network with its static address and the image pulled there; the key stays a secret", () => {
            for (const [host, name, ip] of [["app01", "web1", "10.0.50.10"], ["app02", "web2", "10.0.50.20"]]) {
                const c = byName(`${host}-${name}-container`);
                assert.strictEqual(c.inputs.name, name);
                assert.strictEqual(c.inputs.networksAdvanced[0].ipv4Address, ip);
                assert.deepStrictEqual(c.inputs.command, ["nginx", "-g", "daemon off;"]);
                assert.ok(c.provider?.includes(`::${host}-docker::`));
                assert.strictEqual(declared.outputs.addresses[`${host}/${name}`], ip);
                assert.strictEqual(byName(`${host}-${name}-image`).inputs.name, "nginx:1.27");
                const nic = byName(`${host}-nic-promisc`);
                assert.ok(secretAlong(nic.wire, "connection.privateKey"), `${host}-nic-promisc's key is not a secret`);
                assert.strictEqual(nic.inputs.connection.host, host === "app01" ? "10.0.0.21" : "10.0.0.22");
            }
        });

        it("exports the topology as Mermaid with both hosts, both containers and their addresses", () => {
            const t = declared.outputs.topology as string;
            assert.match(t, /flowchart TB/);
            for (const s of ["<b>app01</b>", "<b>app02</b>", "<b>web1</b><br/>10.0.50.10", "<b>web2</b><br/>10.0.50.20", "10.0.50.0/24"]) assert.ok(t.includes(s), s);
        });
    });
});

/** Whether the IPv4 address `ip` is inside `cidr`. */
function inCidr(ip: string, cidr: string): boolean {
    const toInt = (a: string) => a.split(".").reduce((n, o) => n * 256 + Number(o), 0);
    const [base, len] = cidr.split("/");
    const size = 2 ** (32 - Number(len));
    const start = toInt(base) - (toInt(base) % size);
    return toInt(ip) >= start && toInt(ip) < start + size;
}

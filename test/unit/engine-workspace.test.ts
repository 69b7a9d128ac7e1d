/**
 * The lab's Pulumi workspace, pure: the generated project and stack files, the reality line, plugin
 * versions (lab/pulumi/engine.ts, lab/pulumi/workspace.ts) and the lab's stack config (lab/topology.ts). The engine itself runs in
 * the lab tests; build.sh's refusals are in test/exec/engine-build.test.ts.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { Engine, labProjectYaml, labStackYaml, pluginVersion, realityLine } from "../../lab/pulumi";
import { REPO_ROOT } from "../../lab/paths";
import { labStackConfig } from "../../lab/topology";
import { buildProgram } from "../../lab/build";
import { loadStackConfig } from "../../lab/stackFile";

describe("engine: the lab's Pulumi workspace (pure)", () => {
    it("generates the project from the repo's Pulumi.yaml: same name and config, main at the program's JavaScript build, stacks next to it", () => {
        const repoYaml = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8");
        const project = path.join(REPO_ROOT, ".lab", "_runs", "x", "pulumi", "project");
        const build = path.join(REPO_ROOT, ".lab", "_build", "program-0123456789ab");
        const out = yaml.load(labProjectYaml(repoYaml, project, build)) as Record<string, unknown>;
        const repo = yaml.load(repoYaml) as Record<string, unknown>;
        assert.strictEqual(out.main, "../../../../_build/program-0123456789ab/");
        assert.strictEqual(path.resolve(project, out.main as string), build);
        assert.strictEqual(out.stackConfigDir, undefined);
        assert.deepStrictEqual(out.config, repo.config);
        assert.deepStrictEqual(out.runtime, { name: "nodejs", options: { typescript: false } });
        assert.strictEqual(out.name, "macvlan-lab");
    });

    it("builds the program as JavaScript with a package.json naming index.js, once per content", () => {
        const root = buildProgram();
        assert.strictEqual(buildProgram(), root);
        assert.deepStrictEqual(JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).main, "index.js");
        for (const f of ["index.js", "components/index.js", "components/lab.js", "components/model/validate/index.js"]) {
            assert.ok(fs.existsSync(path.join(root, f)), `${f} is in the build`);
        }
        assert.strictEqual(path.relative(path.join(REPO_ROOT, ".lab", "_build"), path.dirname(root)), "", "inside the repo, so require finds node_modules");
    });

    it("writes the stack file from the stack's config and keeps the salt and the secure values pulumi wrote", () => {
        const first = yaml.load(labStackYaml({ "macvlan-lab:hosts": [{ name: "a" }] }, undefined)) as Record<string, unknown>;
        assert.deepStrictEqual(first, { config: { "macvlan-lab:hosts": [{ name: "a" }] } });
        const afterPulumi = yaml.dump({
            encryptionsalt: "v1:salt",
            config: { "macvlan-lab:hosts": [{ name: "a" }], "macvlan-lab:sshPrivateKey": { secure: "v1:cipher" }, "macvlan-lab:gone": "x" },
        });
        const again = yaml.load(labStackYaml({ "macvlan-lab:hosts": [{ name: "b" }] }, afterPulumi)) as Record<string, unknown>;
        assert.deepStrictEqual(again, {
            encryptionsalt: "v1:salt",
            config: { "macvlan-lab:hosts": [{ name: "b" }], "macvlan-lab:sshPrivateKey": { secure: "v1:cipher" } },
        });
    });

    it("gives the stack the lab's key file and known_hosts, pins every host key, and leaves the private key out", () => {
        const cfg = labStackConfig(loadStackConfig("multi-vlan"), {
            privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n",
            privateKeyPath: "/lab/ssh/id_ed25519",
            knownHostsPath: "/lab/ssh/known_hosts",
            hostKeys: { docker01: "ssh-ed25519 AAAA1", docker02: "ssh-ed25519 AAAA2" },
        });
        const hosts = cfg["macvlan-lab:hosts"] as Array<Record<string, unknown>>;
        assert.deepStrictEqual(hosts.map((h) => [h.name, h.hostKey]), [["docker01", "ssh-ed25519 AAAA1"], ["docker02", "ssh-ed25519 AAAA2"]]);
        assert.strictEqual(cfg["macvlan-lab:sshKeyFile"], "/lab/ssh/id_ed25519");
        assert.strictEqual(cfg["macvlan-lab:sshKnownHostsFile"], "/lab/ssh/known_hosts");
        assert.strictEqual(cfg["macvlan-lab:sshPrivateKey"], undefined);
        assert.ok(!JSON.stringify(cfg).includes("PRIVATE KEY"));
        assert.deepStrictEqual((cfg["macvlan-lab:vlans"] as unknown[]).length, 2, "structured values are YAML values again, not JSON text");
    });

    it("reads the plugin versions from the npm packages and prints one line of what is real and what stands in", () => {
        assert.strictEqual(pluginVersion("@pulumi/docker"), "5.2.0");
        assert.strictEqual(pluginVersion("@pulumi/command"), "1.2.1");
        const engine: Engine = { binDir: "/c/engine/bin", version: "v3.248.0", source: "built" };
        const line = realityLine(engine, { command: "STAND-IN for pulumi-command 1.2.1", docker: "real pulumi-docker 5.2.0" });
        assert.strictEqual(line.split("\n").length, 1);
        assert.match(line, /^pulumi: real engine v3\.248\.0 \(built from Go modules, \/c\/engine\/bin\); language host: lab\/engine\/nodejs-host .*; command: STAND-IN for pulumi-command 1\.2\.1; docker: real pulumi-docker 5\.2\.0$/);
    });
});

/**
 * package.json's `main` is the npm package's entry (dist/index.js), which Pulumi's Node.js runtime
 * would run as the program; Pulumi.yaml's `main` keeps the program `index.ts`. Checked with the
 * real engine (the lab's build) on a throwaway project that has the repo's two `main` values: a
 * `pulumi up` there must run the program, never the package's entry. No hosts, no network.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { EngineError, ensureEngine } from "../../lab/pulumi";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

describe("exec: Pulumi.yaml main keeps the program the entry point (real engine)", function () {
    // ensureEngine builds the engine when its cache is missing (about 5 minutes on 2 cores, more
    // beside other work) or waits for a build already running (.ci/run starts one beside the tests)
    this.timeout(30 * 60_000);
    let tmp: string | undefined;
    after(() => {
        if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("pulumi up of a project with the repo's Pulumi.yaml main and package.json main runs the program, not dist/index.js", function () {
        let binDir: string;
        try {
            binDir = ensureEngine(() => undefined).binDir;
        } catch (e) {
            if (!(e instanceof EngineError)) throw e;
            console.log(`      skipped: no Pulumi engine here and it cannot be built: ${e.message}`);
            this.skip();
        }
        const repoProject = yaml.load(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as { main?: string; runtime: unknown };
        const repoPackage = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { main: string };
        assert.ok(repoProject.main !== undefined, "Pulumi.yaml has no main: Pulumi would run package.json's main, the package entry");
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "macvlan-lab-main-"));
        const p = tmp;
        fs.writeFileSync(path.join(p, "Pulumi.yaml"), yaml.dump({ name: "maincheck", runtime: repoProject.runtime, main: repoProject.main }));
        fs.writeFileSync(path.join(p, "package.json"), JSON.stringify({ name: "maincheck", main: repoPackage.main }));
        fs.mkdirSync(path.dirname(path.join(p, repoPackage.main)), { recursive: true });
        fs.writeFileSync(path.join(p, repoPackage.main), 'throw new Error("the package entry ran instead of the program");\n');
        fs.writeFileSync(path.join(p, repoProject.main), 'export const which = "program";\n');
        fs.writeFileSync(path.join(p, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, module: "commonjs", target: "es2022" } }));
        fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(p, "node_modules"));
        fs.mkdirSync(path.join(p, "state"));
        const env = {
            ...process.env,
            PATH: `${binDir}:${process.env.PATH ?? ""}`,
            PULUMI_HOME: path.join(p, "home"),
            PULUMI_BACKEND_URL: `file://${path.join(p, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: "maincheck",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        };
        const pulumi = (...args: string[]) => {
            const r = spawnSync(path.join(binDir, "pulumi"), [...args, "--non-interactive", "--color", "never"], { cwd: p, env, encoding: "utf8" });
            assert.strictEqual(r.status, 0, `pulumi ${args.join(" ")}:\n${r.stdout}\n${r.stderr}`);
            return r.stdout;
        };
        pulumi("stack", "init", "dev");
        pulumi("up", "--yes", "--skip-preview");
        assert.strictEqual(pulumi("stack", "output", "which").trim(), "program");
    });
});

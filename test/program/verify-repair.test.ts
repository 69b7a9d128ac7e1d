/**
 * Verify and repair requests under Pulumi's mocks (issue 22): what the program declares for
 * `macvlan-lab:verify` (a read-only HostVerify per host, run by its trigger only) and for
 * `macvlan-lab:repair` (every command that changes a host gets the request in its create, so a new
 * request re-runs it; the read-only ones do not; the trust of a host whose last verify found it
 * drifted is read again), and that without either nothing of them is declared.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { MockState, promiseOf } from "../helpers/mocks";
import { importProgram, installProgramMocks, ProgramRun, runProgram } from "../helpers/runProgram";
import { loadStackConfig } from "../../lab/stackFile";
import { STEP_END } from "../../components/verify/render";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nverify-test-key\n-----END OPENSSH PRIVATE KEY-----";

async function declare(stack: string, extra: Record<string, string>, lastOutputs: Record<string, unknown> = {}): Promise<ProgramRun> {
    return runProgram({
        stack,
        config: { ...loadStackConfig(stack), ...extra },
        key: KEY,
        outputs: (args) =>
            args.type === "pulumi:pulumi:StackReference"
                ? { outputs: lastOutputs }
                : args.type === "command:remote:Command" && args.name.endsWith("-verify-read")
                  ? { stdout: `DRIFT\t${args.name.split("-")[1]}\tlab-x\tens33 should be promiscuous, but it is not\nVERIFIED\t${args.name.split("-")[1]}\t9\t1\n` }
                  : {},
    });
}

const commands = (s: MockState) => s.byType("command:remote:Command");

describe("program: verify and repair requests", function () {
    this.timeout(120_000);

    it("declares neither without a request (a normal pulumi up stays as it was)", async () => {
        const { state, program } = await declare("multi-vlan", {});
        const names = commands(state).map((c) => c.name);
        assert.ok(names.length > 10);
        assert.deepStrictEqual(names.filter((n) => n.includes("-verify")), []);
        for (const c of commands(state)) assert.ok(!String(c.inputs.create ?? "").includes("repair request"), c.name);
        assert.strictEqual(await promiseOf(pulumi.output(program.verification)), null);
    });

    it("verify: one read-only command per host, triggered by the request alone, running every step's check and reading the Docker objects and the trust", async () => {
        const { state, program } = await declare("multi-vlan-routed", { "macvlan-lab:verify": "1765100000" });
        const verifies = commands(state).filter((c) => c.name.includes("-verify"));
        assert.deepStrictEqual(verifies.map((c) => c.name).sort(), ["lab-docker01-verify-read", "lab-docker02-verify-read"]);
        const v1 = state.byName("lab-docker01-verify-read");
        assert.deepStrictEqual(v1.inputs.triggers, ["1765100000"]);
        assert.strictEqual(v1.inputs.delete, undefined, "a verify has nothing to undo");
        const script = String(v1.inputs.create);
        const steps = [...script.matchAll(/^verify_step '([^']+)' <<'MACVLAN_LAB_END_OF_CHECK'$/gm)].map((m) => m[1]);
        assert.deepStrictEqual(steps, [
            "lab-docker01-parent-promisc",
            "lab-docker01-8021q-load",
            "lab-docker01-ens33.10-config",
            "lab-docker01-ens33.20-config",
            "lab-docker01-ens33.30-config",
            "lab-docker01-shim-mac_net10-link",
            "lab-docker01-shim-mac_net20-link",
            "lab-router-mac_net10-leg",
            "lab-router-mac_net20-leg",
            "lab-router-mac_net30-leg",
            "lab-router-forwarding",
        ]);
        assert.strictEqual(script.split("\n").filter((l) => l === STEP_END).length, steps.length);
        // each step's own check, as the step renders it
        assert.ok(script.includes("\nparent_check\n"), "the parent's check");
        assert.match(script, /^verify_network 'mac_net10' 'macvlan' 'ens33\.10' '172\.16\.10\.0\/24' '172\.16\.10\.1' '172\.16\.10\.64\/26'$/m);
        assert.match(script, /^verify_container 'bbox10' 'mac_net10' '172\.16\.10\.10'$/m);
        assert.match(script, /^verify_running 'registry'$/m);
        assert.match(script, /^verify_insecure_trust '\/etc\/docker\/daemon\.json' '192\.168\.1\.11:5000'$/m);
        assert.doesNotMatch(String(state.byName("lab-docker02-verify-read").inputs.create), /verify_running 'registry'/, "the registry runs on docker01");
        // after everything it checks
        for (const dep of ["lab-docker01-ens33.10-config", "lab-docker01-bbox10-container", "lab-docker02-bbox10-container", "lab-router-forwarding", "lab-docker01-lib-install"]) {
            assert.ok(v1.dependencies.includes(state.byName(dep).urn), `lab-docker01-verify-read waits for ${dep}`);
        }
        const verification = (await promiseOf(pulumi.output(program.verification))) as { request: string; hosts: Record<string, unknown>; drift: unknown[] };
        assert.strictEqual(verification.request, "1765100000");
        assert.deepStrictEqual(verification.hosts, { docker01: { steps: 9, complete: true }, docker02: { steps: 9, complete: true } });
        assert.deepStrictEqual(verification.drift, [
            { host: "docker01", step: "lab-x", kind: "drift", found: "ens33 should be promiscuous, but it is not" },
            { host: "docker02", step: "lab-x", kind: "drift", found: "ens33 should be promiscuous, but it is not" },
        ]);
    });

    it("repair: every command that changes a host carries the request at the end of its create; the read-only ones do not", async () => {
        const { state } = await declare("multi-vlan", { "macvlan-lab:repair": "r1" });
        const all = commands(state);
        const readOnly = all.filter((c) => /-(preflight-check|trust-inspect|verify-read|registry-ready)$/.test(c.name));
        assert.deepStrictEqual(readOnly.map((c) => c.name).sort(), [
            "lab-docker01-preflight-check",
            "lab-docker01-trust-inspect",
            "lab-docker02-preflight-check",
            "lab-docker02-trust-inspect",
            "lab-registry-ready",
        ]);
        for (const c of readOnly) assert.ok(!String(c.inputs.create).includes("repair request"), c.name);
        const changing = all.filter((c) => !readOnly.includes(c));
        // the libraries, promisc, 8021q and the four VLAN interfaces, daemon.json and the checks of both hosts
        assert.strictEqual(changing.length, 14, changing.map((c) => c.name).join(", "));
        for (const c of changing) {
            assert.ok(String(c.inputs.create).endsWith("\n# macvlan-lab repair request r1\n"), `${c.name}: ${String(c.inputs.create).slice(-80)}`);
            // an update, not a replacement: the triggers do not hold the request
            assert.ok(!JSON.stringify(c.inputs.triggers ?? []).includes("r1"), `${c.name} triggers`);
        }
        assert.deepStrictEqual(state.byName("lab-docker02-trust-inspect").inputs.triggers.length, 2);
    });

    it("repair after a verify that found a host's registry trust drifted: that host's trust is read again (its read is replaced), the other host's is not", async () => {
        const last = { verification: { request: "v1", hosts: {}, drift: [{ host: "docker02", step: "registry trust", kind: "drift", found: "x" }] } };
        const { state } = await declare("multi-vlan", { "macvlan-lab:repair": "r2" }, last);
        assert.deepStrictEqual(state.byName("lab-docker02-trust-inspect").inputs.triggers.slice(-1), ["repair r2"]);
        assert.ok(!JSON.stringify(state.byName("lab-docker01-trust-inspect").inputs.triggers).includes("r2"));
    });

    it("the same repair request keeps the hosts it read again, whatever a later verify found (a repaired stack's next up stays a no-op)", async () => {
        const last = { verification: { request: "v2", hosts: {}, drift: [] }, repair: { request: "r2", rereadTrust: ["docker02"] } };
        const { state, program } = await declare("multi-vlan", { "macvlan-lab:repair": "r2" }, last);
        assert.deepStrictEqual(state.byName("lab-docker02-trust-inspect").inputs.triggers.slice(-1), ["repair r2"]);
        assert.deepStrictEqual(await promiseOf(pulumi.output(program.repair)), { request: "r2", rereadTrust: ["docker02"] });
        // a new request takes the hosts from the last verify: none drifted
        const next = await declare("multi-vlan", { "macvlan-lab:repair": "r3" }, last);
        assert.ok(!JSON.stringify(next.state.byName("lab-docker02-trust-inspect").inputs.triggers).includes("repair"));
    });

    it("refuses a request that is not a plain word, before anything is declared", async () => {
        const state = installProgramMocks({ stack: "multi-vlan", config: { ...loadStackConfig("multi-vlan"), "macvlan-lab:verify": "a b;rm" }, key: KEY });
        await assert.rejects(importProgram(), (e: Error) => {
            assert.strictEqual(
                e.message,
                "the stack's config has 1 problem:\n  - verify \"a b;rm\" is not a request; use letters, digits and . _ : - (at most 64): pulumi up -c macvlan-lab:verify=$(date +%s)",
            );
            return true;
        });
        assert.strictEqual(state.resources.length, 0);
    });
});

/**
 * The registry trust on lab hosts with the real Pulumi engine (issue 9 items 3 and 5, issue 10):
 * hosts whose docker unit passes the tutorial's `--insecure-registry` (lab/systemd: the systemctl
 * stand-in runs dockerd as the unit says), with and without `registry.migrateUnitFlag`; and the
 * Docker provider's ssh with the one key. Every assertion is about what the hosts show or what
 * pulumi reports. Root only; run under the machine-wide lock (flock /tmp/macvlan-lab-netns.lock).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import { LabHosts, checkPrerequisites, hostsUp } from "../../lab/hosts";
import { EngineOutcome, EngineRunOptions, applyOnLab, destroyOnLab, downLab, prepareEngine, pulumiOnLab, runPaths } from "../../lab/cli";
import { selectStack } from "../../lab/pulumi";
import { ensurePackages } from "../../lab/packages";
import { LabSnapshot, diffSnapshots, snapshotLab } from "../../lab/snapshot";
import { LoadedStack, loadStack, topologyOf } from "../../lab/topology";
import { installDockerUnit, UNIT_PATH } from "../../lab/systemd";
import { parseLab } from "../../components/spec/validate";
import { rawLabConfig } from "../../lab/stackFile";

const EP = "192.168.1.11:5000";
const SNAPSHOT_DIRS = ["/etc/docker", "/etc/systemd/system"];

function log(line: string): void {
    if (process.env.LAB_TEST_VERBOSE) console.log(`      | ${line}`);
}
function timing(what: string, seconds: number): void {
    console.log(`      time: ${what}: ${seconds.toFixed(1)} s`);
}
const engineOpts = (what: string): EngineRunOptions => ({ log: (l) => log(`${what}: ${l}`) });
const tail = (text: string, n = 40): string => text.split("\n").slice(-n).join("\n");

async function labUnavailable(): Promise<string | undefined> {
    if (process.getuid?.() !== 0) return "the lab needs root (network and mount namespaces, dockerd)";
    const pk = await ensurePackages((l) => console.log(`      | ${l}`));
    const problems = [...pk.problems, ...checkPrerequisites()];
    return problems.length > 0 ? problems.join("; ") : undefined;
}

/** The multi-VLAN stack with `registry` changed by `change`. */
function multiVlanWith(change: (registry: Record<string, unknown>) => void): LoadedStack {
    const base = loadStack("multi-vlan").stack as LoadedStack;
    const config = { ...base.config };
    const registry = JSON.parse(config["macvlan-lab:registry"]) as Record<string, unknown>;
    change(registry);
    config["macvlan-lab:registry"] = JSON.stringify(registry);
    const { spec, errors } = parseLab(rawLabConfig(config));
    assert.deepEqual(errors, []);
    return { stack: base.stack, config, spec: spec as LoadedStack["spec"] };
}

async function sh(lab: LabHosts, host: string, script: string, timeoutMs = 30_000): Promise<string> {
    const r = await lab.exec(host, ["sh", "-c", script], { timeoutMs });
    assert.equal(r.code, 0, `[${host}] ${script}: ${r.stderr}`);
    return r.stdout.trim();
}

function noDiff(before: LabSnapshot, after: LabSnapshot, what: string): void {
    const d = diffSnapshots(before, after);
    assert.deepEqual(d, [], `${what}: the hosts differ:\n  ${d.join("\n  ")}`);
}

function assertApplied(out: EngineOutcome | undefined, what: string): void {
    assert.ok(out !== undefined, `${what}: nothing ran`);
    assert.equal(out.code, 0, `${what} failed (${out.code}):\n${out.stderr}\n${tail(out.stdout)}`);
}

describe("lab: registry.migrateUnitFlag on hosts whose docker unit passes --insecure-registry (real engine, systemctl stand-in)", function () {
    const NAME = `mvlrg-${process.pid}-mig`;
    let lab: LabHosts | undefined;
    let s0: LabSnapshot;
    let s1: LabSnapshot;
    const pid0: Record<string, string> = {};
    const unit0: Record<string, string> = {};
    let refused: EngineOutcome;
    let applied: EngineOutcome;

    before(async function () {
        this.timeout(900_000);
        const why = await labUnavailable();
        if (why !== undefined) {
            console.log(`      skipping: ${why}`);
            this.skip();
        }
        await downLab(NAME, log);
        const plain = multiVlanWith(() => undefined);
        const topo = topologyOf(NAME, plain.spec);
        assert.deepEqual(topo.errors, []);
        lab = await hostsUp(topo.topology as NonNullable<typeof topo.topology>, { log });
        for (const h of ["docker01", "docker02"]) {
            // the tutorial's edit of the unit, and dockerd restarted with it
            unit0[h] = await installDockerUnit(lab, h, ["--insecure-registry", EP]);
            // a container of the user's that must come back after a restart
            await sh(lab, h, "docker run -d --name keeper --restart always busybox:latest sleep 86400 >/dev/null");
            pid0[h] = await sh(lab, h, "cat /run/docker.pid");
            assert.match(await sh(lab, h, `tr '\\0' ' ' </proc/${pid0[h]}/cmdline`), /--insecure-registry 192\.168\.1\.11:5000/);
        }
        s0 = await snapshotLab(lab, { dirs: SNAPSHOT_DIRS });
        refused = await applyOnLab(lab, plain, engineOpts("up without migrateUnitFlag"));
        timing("pulumi up refused (unit flag, no migrateUnitFlag)", refused.seconds);
        s1 = await snapshotLab(lab, { dirs: SNAPSHOT_DIRS });
        // and one that will not come back (no restart policy)
        for (const h of ["docker01", "docker02"]) await sh(lab, h, "docker run -d --name oneshot busybox:latest sleep 86400 >/dev/null");
        applied = await applyOnLab(lab, multiVlanWith((r) => (r.migrateUnitFlag = true)), engineOpts("up with migrateUnitFlag"));
        timing("pulumi up with migrateUnitFlag (dockerd restarted once per host)", applied.seconds);
    });

    after(async function () {
        this.timeout(300_000);
        if (lab !== undefined || fs.existsSync(runPaths(NAME).dir)) await downLab(NAME, log);
    });

    it("without it, pulumi up fails naming the unit file and registry.migrateUnitFlag, and changes nothing", async function () {
        this.timeout(60_000);
        assert.notEqual(refused.code, 0, "pulumi up should have failed");
        const text = `${refused.stdout}\n${refused.stderr}`;
        assert.match(text, new RegExp(`${UNIT_PATH.replace(/\./g, "\\.")}.*--insecure-registry|--insecure-registry.*${UNIT_PATH.replace(/\./g, "\\.")}`));
        assert.match(text, /registry\.migrateUnitFlag: true/);
        noDiff(s0, s1, "after the refused pulumi up");
    });

    it("with it, the flag leaves the unit, daemon.json lists the registry with its earlier keys, dockerd was restarted once and runs without the flag", async function () {
        this.timeout(60_000);
        assertApplied(applied, "pulumi up with migrateUnitFlag");
        const l = lab as LabHosts;
        for (const h of ["docker01", "docker02"]) {
            const unit = await sh(l, h, `cat ${UNIT_PATH}`);
            assert.equal(`${unit}\n`, unit0[h].replace(` --insecure-registry ${EP}`, ""), `${h}: only the flag left the unit`);
            assert.deepEqual(JSON.parse(await sh(l, h, "cat /etc/docker/daemon.json")), { "log-level": "warn", "insecure-registries": [EP] });
            const pid = await sh(l, h, "cat /run/docker.pid");
            assert.notEqual(pid, pid0[h], `${h}: dockerd was restarted`);
            assert.doesNotMatch(await sh(l, h, `tr '\\0' ' ' </proc/${pid}/cmdline`), /--insecure-registry/);
            assert.match(await sh(l, h, "docker info --format '{{json .RegistryConfig.IndexConfigs}}'"), /"192\.168\.1\.11:5000":\{[^}]*"Secure":false/);
            assert.equal(await sh(l, h, "docker inspect -f '{{.State.Running}}' keeper"), "true", `${h}: the container with restart=always came back`);
            assert.equal(await sh(l, h, "docker inspect -f '{{.State.Running}}' oneshot"), "false", `${h}: the one without a restart policy stays stopped`);
        }
        assert.match(applied.stdout, /restarted dockerd with systemctl restart docker\.service/);
        assert.match(applied.stdout, /container keeper is running again/);
        assert.match(applied.stdout, /container oneshot has no restart policy that survives a daemon restart/);
        const rows = applied.outputs?.checks ?? [];
        assert.ok(rows.length === 5 && rows.every((r) => r.ok), "the checks passed");
    });

    it("a preview after it shows no changes (the read is not done again)", async function () {
        this.timeout(300_000);
        const l = lab as LabHosts;
        const { engine, ws } = prepareEngine(l.name, log);
        await selectStack(ws, engine, "multi-vlan");
        const r = await pulumiOnLab(l, ws, engine, ["preview", "--expect-no-changes", "--non-interactive", "--color", "never"], { onLine: (x) => log(`preview: ${x}`) });
        assert.equal(r.code, 0, `preview --expect-no-changes failed:\n${tail(r.stdout)}`);
    });

    it("pulumi destroy puts the unit and daemon.json back byte for byte and restarts dockerd with the flag again", async function () {
        this.timeout(600_000);
        const l = lab as LabHosts;
        for (const h of ["docker01", "docker02"]) await sh(l, h, "docker rm -f oneshot >/dev/null");
        const d = await destroyOnLab(l, engineOpts("destroy"));
        assertApplied(d, "pulumi destroy");
        timing("pulumi destroy with migrateUnitFlag", (d as EngineOutcome).seconds);
        noDiff(s0, await snapshotLab(l, { dirs: SNAPSHOT_DIRS }), "after pulumi destroy");
        for (const h of ["docker01", "docker02"]) {
            const pid = await sh(l, h, "cat /run/docker.pid");
            assert.match(await sh(l, h, `tr '\\0' ' ' </proc/${pid}/cmdline`), /--insecure-registry 192\.168\.1\.11:5000/, `${h}: dockerd runs as the unit says again`);
            assert.equal(await sh(l, h, "docker inspect -f '{{.State.Running}}' keeper"), "true");
        }
    });
});

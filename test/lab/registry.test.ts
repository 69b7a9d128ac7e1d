/**
 * The registry trust on lab hosts with the real Pulumi engine (issue 9 items 3 and 5, issue 10):
 * hosts whose docker unit passes the tutorial's `--insecure-registry` (lab/systemd: the systemctl
 * stand-in runs dockerd as the unit says), with and without `registry.migrateUnitFlag`; and the
 * Docker provider's ssh with the one key. Every assertion is about what the hosts show or what
 * pulumi reports. Root only; run under the machine-wide lock (flock /tmp/macvlan-lab-netns.lock).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { LabHosts, hostsUp } from "../../lab/hosts";
import { EngineOutcome, EngineRunOptions, UNATTENDED_ARGS, applyOnLab, destroyOnLab, prepareEngine, pulumiOnLab } from "../../lab/run/engine";
import { downLab } from "../../lab/run/down";
import { runPaths } from "../../lab/run/records";
import { Engine, PulumiRun, Workspace, controllerCaDirOf, runPulumi, selectStack, setSecret, writeWorkspace } from "../../lab/pulumi";
import { LabSnapshot, diffLabSettled, snapshotLab } from "../../lab/snapshot";
import { LoadedStack, SECRET_KEY, labStackConfig, loadStack, topologyOf } from "../../lab/topology";
import { installDockerUnit, UNIT_PATH } from "../../lab/systemd";
import { parseLab } from "../../components/model/validate";
import { rawLabConfig } from "../../lab/stackFile";
import { htpasswdText } from "../../components/docker/registryTls";
import { labUnavailable, shValue, skipIf } from "../helpers/labSuite";
import { tail, assertApplied, noDiff, settledNoDiff } from "../helpers/labAssert";

const EP = "192.168.1.11:5000";
const SNAPSHOT_DIRS = ["/etc/docker", "/etc/systemd/system"];

function log(line: string): void {
    if (process.env.LAB_TEST_VERBOSE) console.log(`      | ${line}`);
}
function timing(what: string, seconds: number): void {
    console.log(`      time: ${what}: ${seconds.toFixed(1)} s`);
}
const engineOpts = (what: string): EngineRunOptions => ({ log: (l) => log(`${what}: ${l}`) });

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
        skipIf(this, await labUnavailable());
        await downLab(NAME, log);
        const plain = multiVlanWith(() => undefined);
        const topo = topologyOf(NAME, plain.spec);
        assert.deepEqual(topo.errors, []);
        lab = await hostsUp(topo.topology as NonNullable<typeof topo.topology>, { log });
        for (const h of ["docker01", "docker02"]) {
            // the tutorial's edit of the unit, and dockerd restarted with it
            unit0[h] = await installDockerUnit(lab, h, ["--insecure-registry", EP]);
            // a container of the user's that must come back after a restart
            await shValue(lab, h, "docker run -d --name keeper --restart always busybox:latest sleep 86400 >/dev/null");
            pid0[h] = await shValue(lab, h, "cat /run/docker.pid");
            assert.match(await shValue(lab, h, `tr '\\0' ' ' </proc/${pid0[h]}/cmdline`), /--insecure-registry 192\.168\.1\.11:5000/);
        }
        s0 = await snapshotLab(lab, { dirs: SNAPSHOT_DIRS });
        refused = await applyOnLab(lab, plain, engineOpts("up without migrateUnitFlag"));
        timing("pulumi up refused (unit flag, no migrateUnitFlag)", refused.seconds);
        s1 = await snapshotLab(lab, { dirs: SNAPSHOT_DIRS });
        // and one that will not come back (no restart policy)
        for (const h of ["docker01", "docker02"]) await shValue(lab, h, "docker run -d --name oneshot busybox:latest sleep 86400 >/dev/null");
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
            const unit = await shValue(l, h, `cat ${UNIT_PATH}`);
            assert.equal(`${unit}\n`, unit0[h].replace(` --insecure-registry ${EP}`, ""), `${h}: only the flag left the unit`);
            assert.deepEqual(JSON.parse(await shValue(l, h, "cat /etc/docker/daemon.json")), { "log-level": "warn", "insecure-registries": [EP] });
            const pid = await shValue(l, h, "cat /run/docker.pid");
            assert.notEqual(pid, pid0[h], `${h}: dockerd was restarted`);
            assert.doesNotMatch(await shValue(l, h, `tr '\\0' ' ' </proc/${pid}/cmdline`), /--insecure-registry/);
            assert.match(await shValue(l, h, "docker info --format '{{json .RegistryConfig.IndexConfigs}}'"), /"192\.168\.1\.11:5000":\{[^}]*"Secure":false/);
            assert.equal(await shValue(l, h, "docker inspect -f '{{.State.Running}}' keeper"), "true", `${h}: the container with restart=always came back`);
            assert.equal(await shValue(l, h, "docker inspect -f '{{.State.Running}}' oneshot"), "false", `${h}: the one without a restart policy stays stopped`);
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
        for (const h of ["docker01", "docker02"]) await shValue(l, h, "docker rm -f oneshot >/dev/null");
        const d = await destroyOnLab(l, engineOpts("destroy"));
        assertApplied(d, "pulumi destroy");
        timing("pulumi destroy with migrateUnitFlag", (d as EngineOutcome).seconds);
        settledNoDiff(await diffLabSettled(l, s0, { dirs: SNAPSHOT_DIRS }), "after pulumi destroy");
        for (const h of ["docker01", "docker02"]) {
            const pid = await shValue(l, h, "cat /run/docker.pid");
            assert.match(await shValue(l, h, `tr '\\0' ' ' </proc/${pid}/cmdline`), /--insecure-registry 192\.168\.1\.11:5000/, `${h}: dockerd runs as the unit says again`);
            assert.equal(await shValue(l, h, "docker inspect -f '{{.State.Running}}' keeper"), "true");
        }
    });
});

describe("lab: registry.security tls with a user (real engine): push and pull over TLS, refusals, destroy", function () {
    const NAME = `mvlrg-${process.pid}-tls`;
    const PASSWORD = `pw-${process.pid}-Tls!`;
    const SNAP = ["/etc/docker", "/var/lib/macvlan-lab"];
    let lab: LabHosts | undefined;
    let s0: LabSnapshot;
    let up: PulumiRun;
    let env: { engine: Engine; ws: Workspace } | undefined;
    const stack = multiVlanWith((r) => {
        r.security = "tls";
        r.users = [{ name: "pusher", password: PASSWORD }];
    });
    /** The stack file as a user keeps it: the password is set as a secret on its own (below). */
    const fileConfig = (): Record<string, string> => {
        const registry = JSON.parse(stack.config["macvlan-lab:registry"]) as Record<string, unknown>;
        return { ...stack.config, "macvlan-lab:registry": JSON.stringify({ ...registry, users: [{ name: "pusher" }] }) };
    };

    before(async function () {
        this.timeout(900_000);
        skipIf(this, await labUnavailable());
        await downLab(NAME, log);
        const topo = topologyOf(NAME, stack.spec);
        assert.deepEqual(topo.errors, []);
        lab = await hostsUp(topo.topology as NonNullable<typeof topo.topology>, { log });
        s0 = await snapshotLab(lab, { dirs: SNAP });
        // as a user sets it up: the stack's config, the key and the password as secrets
        const { engine, ws } = prepareEngine(NAME, log);
        env = { engine, ws };
        writeWorkspace(ws, stack.stack, labStackConfig(fileConfig(), lab, controllerCaDirOf(ws)));
        await selectStack(ws, engine, stack.stack);
        await setSecret(ws, engine, SECRET_KEY, lab.privateKey);
        const set = await runPulumi(ws, engine, ["config", "set", "--secret", "--path", "macvlan-lab:registry.users[0].password"], { input: PASSWORD });
        assert.equal(set.code, 0, set.stderr);
        up = await pulumiOnLab(lab, ws, engine, ["up", ...UNATTENDED_ARGS], { onLine: (l) => log(`up tls: ${l}`) });
        timing("pulumi up with a TLS registry and a user", up.seconds);
    });

    after(async function () {
        this.timeout(300_000);
        if (lab !== undefined || fs.existsSync(runPaths(NAME).dir)) await downLab(NAME, log);
    });

    const l = () => lab as LabHosts;

    it("pulumi up succeeds: every check passes, the digest check verified the registry's certificate (CA in SSL_CERT_DIR)", async function () {
        this.timeout(120_000);
        assert.equal(up.code, 0, `pulumi up failed:\n${up.stderr}\n${tail(up.stdout)}`);
        assert.match(up.stdout, /RegistryImage lab-registry-busybox-v1-push created/);
        const { ws } = env as { ws: Workspace };
        const files = fs.readdirSync(controllerCaDirOf(ws));
        assert.deepEqual(files, ["macvlan-lab-macvlan-lab-multi-vlan-192.168.1.11_5000.crt"]);
        assert.match(await shValue(l(), "docker01", "cat /etc/docker/certs.d/192.168.1.11:5000/ca.crt"), /^-----BEGIN CERTIFICATE-----/);
        assert.equal(fs.readFileSync(path.join(controllerCaDirOf(ws), files[0]), "utf8").trim(), await shValue(l(), "docker02", "cat /etc/docker/certs.d/192.168.1.11:5000/ca.crt"));
    });

    it("no daemon trusts the registry as insecure: daemon.json unchanged, dockerd verifies it", async function () {
        this.timeout(60_000);
        for (const h of ["docker01", "docker02"]) {
            assert.deepEqual(JSON.parse(await shValue(l(), h, "cat /etc/docker/daemon.json")), { "log-level": "warn" });
            assert.doesNotMatch(await shValue(l(), h, "docker info --format '{{json .RegistryConfig.IndexConfigs}}'"), /192\.168\.1\.11:5000/);
        }
    });

    it("the registry serves TLS with the user: docker02 pulled busybox:v1 through the provider, and a login and pull by hand work", async function () {
        this.timeout(120_000);
        assert.match(await shValue(l(), "docker02", "docker images --format '{{.Repository}}:{{.Tag}}'"), /^192\.168\.1\.11:5000\/busybox:v1$/m);
        const r = await l().exec("docker02", ["sh", "-c", "export DOCKER_CONFIG=$(mktemp -d) && docker login -u pusher --password-stdin 192.168.1.11:5000 && docker pull 192.168.1.11:5000/busybox:v1; rc=$?; rm -rf \"$DOCKER_CONFIG\"; exit $rc"], { input: PASSWORD, timeoutMs: 60_000 });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /Login Succeeded/);
    });

    it("refuses a pull without credentials, a wrong password, and a host that does not trust the CA", async function () {
        this.timeout(120_000);
        const anon = await l().exec("docker02", ["sh", "-c", "DOCKER_CONFIG=$(mktemp -d) docker pull 192.168.1.11:5000/busybox:v1"], { timeoutMs: 60_000 });
        assert.notEqual(anon.code, 0);
        assert.match(anon.stderr, /no basic auth credentials/);
        const wrong = await l().exec("docker02", ["sh", "-c", "export DOCKER_CONFIG=$(mktemp -d); docker login -u pusher --password-stdin 192.168.1.11:5000"], { input: "wrong-password", timeoutMs: 60_000 });
        assert.notEqual(wrong.code, 0);
        assert.match(wrong.stderr, /unauthorized/i);
        // docker02 without the CA: TLS verification fails before any password is sent
        const ca = "/etc/docker/certs.d/192.168.1.11:5000/ca.crt";
        await shValue(l(), "docker02", `mv ${ca} /root/ca.crt.aside`);
        try {
            const untrusted = await l().exec("docker02", ["sh", "-c", "export DOCKER_CONFIG=$(mktemp -d); docker login -u pusher --password-stdin 192.168.1.11:5000"], { input: PASSWORD, timeoutMs: 60_000 });
            assert.notEqual(untrusted.code, 0);
            assert.match(untrusted.stderr, /x509: certificate signed by unknown authority/);
        } finally {
            await shValue(l(), "docker02", `mv /root/ca.crt.aside ${ca}`);
        }
    });

    it("keeps the registry's private key on its host only (0600; the CA's key is gone once it signed), nothing secret or read from a host in plain state", async function () {
        this.timeout(120_000);
        assert.equal(await shValue(l(), "docker01", "stat -c %a /var/lib/macvlan-lab/registry-5000/tls/server.key"), "600");
        // issue 27: the CA's key signed and is gone (test/exec/registry-tls-exec.test.ts: nor left in /dev/shm)
        assert.equal(await shValue(l(), "docker01", "ls -A /var/lib/macvlan-lab/registry-5000/ca"), "ca.crt");
        const { engine, ws } = env as { engine: Engine; ws: Workspace };
        const exported = await runPulumi(ws, engine, ["stack", "export"]);
        assert.equal(exported.code, 0, exported.stderr);
        assert.doesNotMatch(exported.stdout, /PRIVATE KEY/);
        assert.ok(!exported.stdout.includes(PASSWORD), "the password is in the state in plain text");
        // the htpasswd hashes (random salts, made where Pulumi runs) are secret outputs too
        const hash = (await shValue(l(), "docker01", "cut -d: -f2 /var/lib/macvlan-lab/registry-5000/auth/htpasswd")).split("\n")[0];
        assert.match(hash, /^\$2y\$10\$[./A-Za-z0-9]{53}$/);
        assert.ok(!exported.stdout.includes(hash) && !exported.stdout.includes(hash.slice(7, 29)), "a htpasswd hash (or its salt) is in the state in plain text");
        // what the registry trust read from the hosts (daemon.json, as its report prints it: `@conf <path>`,
        // `@daemon-json <path> <mode> <owner> <sha256> <base64>`) is a secret: in no plain output
        // (the shell library's own text, in the install's plain stdin, has the printf formats only)
        const daemonJson = Buffer.from(await shValue(l(), "docker02", "base64 -w0 /etc/docker/daemon.json"), "base64");
        assert.ok(daemonJson.length > 0);
        for (const read of ["@conf /etc/docker/daemon.json", "@daemon-json /etc/docker/daemon.json", daemonJson.toString("base64")]) {
            assert.ok(!exported.stdout.includes(read), `the trust's read of daemon.json is in the state in plain text (${read})`);
        }
        const stateFiles = (await shValue(l(), "docker02", "ls /var/lib/macvlan-lab/registry-5000 2>/dev/null || true"));
        assert.equal(stateFiles, "", "docker02 has no copy of the registry's keys");
    });

    it("the CA vouches for the registry's address alone, and the registry listens there alone (issue 27)", async function () {
        const text = await shValue(l(), "docker01", "openssl x509 -in /var/lib/macvlan-lab/registry-5000/ca/ca.crt -noout -text");
        assert.match(text, /X509v3 Name Constraints: critical\n\s+Permitted:\n\s+IP:192\.168\.1\.11\/255\.255\.255\.255\n\s+DNS:invalid/);
        assert.equal(await shValue(l(), "docker01", "docker inspect -f '{{json .HostConfig.PortBindings}}' registry"), '{"5000/tcp":[{"HostIp":"192.168.1.11","HostPort":"5000"}]}');
        // the volume carries the stack's label: the preflight tells it from a volume that is not the stack's
        assert.match(await shValue(l(), "docker01", "docker volume inspect -f '{{json .Labels}}' registry-data"), /"dev\.macvlan-lab\.stack":"macvlan-lab\//);
    });

    it("a preview after it shows no changes (same certificates, same htpasswd bytes)", async function () {
        this.timeout(300_000);
        const { engine, ws } = env as { engine: Engine; ws: Workspace };
        const r = await pulumiOnLab(l(), ws, engine, ["preview", "--expect-no-changes", "--non-interactive", "--color", "never"], { onLine: (x) => log(`preview tls: ${x}`) });
        assert.equal(r.code, 0, `preview --expect-no-changes failed:\n${tail(r.stdout)}`);
    });

    /** The URN of the resource named `name` in the stack's state. */
    async function urnOf(name: string): Promise<string> {
        const { engine, ws } = env as { engine: Engine; ws: Workspace };
        const exported = await runPulumi(ws, engine, ["stack", "export"]);
        assert.equal(exported.code, 0, exported.stderr);
        const resources = (JSON.parse(exported.stdout) as { deployment: { resources?: Array<{ urn: string }> } }).deployment.resources ?? [];
        const urn = resources.map((r) => r.urn).find((u) => u.endsWith(`::${name}`));
        assert.ok(urn !== undefined, `no resource ${name} in the state`);
        return urn;
    }
    const upArgs = ["up", ...UNATTENDED_ARGS];
    const loginPull = "export DOCKER_CONFIG=$(mktemp -d) && docker login -u pusher --password-stdin 192.168.1.11:5000 && docker pull 192.168.1.11:5000/busybox:v1; rc=$?; rm -rf \"$DOCKER_CONFIG\"; exit $rc";

    it("rotation: a new CA and certificate (pulumi up --replace of the certificate command) replace every host's trust, the registry container and the CA where Pulumi runs; pulls verify with the new CA", async function () {
        this.timeout(600_000);
        const { engine, ws } = env as { engine: Engine; ws: Workspace };
        const caPath = "/etc/docker/certs.d/192.168.1.11:5000/ca.crt";
        const ca0 = await shValue(l(), "docker02", `cat ${caPath}`);
        const container0 = await shValue(l(), "docker01", "docker inspect -f '{{.Id}}' registry");
        const r = await pulumiOnLab(l(), ws, engine, [...upArgs, "--replace", await urnOf("lab-registry-tls-certs")], { onLine: (x) => log(`up --replace certs: ${x}`) });
        timing("pulumi up --replace of the registry's certificate command (rotation)", r.seconds);
        assert.equal(r.code, 0, `pulumi up --replace failed:\n${r.stderr}\n${tail(r.stdout)}`);
        const ca1 = await shValue(l(), "docker01", "cat /var/lib/macvlan-lab/registry-5000/ca/ca.crt");
        assert.notEqual(ca1, ca0, "a new CA was made");
        for (const h of ["docker01", "docker02"]) assert.equal(await shValue(l(), h, `cat ${caPath}`), ca1, `${h} trusts the new CA`);
        const files = fs.readdirSync(controllerCaDirOf(ws));
        assert.equal(files.length, 1);
        assert.equal(fs.readFileSync(path.join(controllerCaDirOf(ws), files[0]), "utf8").trim(), ca1, "the CA where Pulumi runs is the new one");
        assert.notEqual(await shValue(l(), "docker01", "docker inspect -f '{{.Id}}' registry"), container0, "the registry container was replaced");
        assert.equal(await shValue(l(), "docker01", "docker inspect -f '{{.State.Running}}' registry"), "true");
        const pull = await l().exec("docker02", ["sh", "-c", loginPull], { input: PASSWORD, timeoutMs: 60_000 });
        assert.equal(pull.code, 0, `a login and pull with the new CA failed: ${pull.stderr}`);
        const again = await pulumiOnLab(l(), ws, engine, ["preview", "--expect-no-changes", "--non-interactive", "--color", "never"], { onLine: (x) => log(`preview after rotation: ${x}`) });
        assert.equal(again.code, 0, `preview --expect-no-changes after the rotation failed:\n${tail(again.stdout)}`);
    });

    it("a registry that does not take the user's password fails the push at apply with the registry's refusal (no unauthenticated push)", async function () {
        this.timeout(600_000);
        const { engine, ws } = env as { engine: Engine; ws: Workspace };
        const file = "/var/lib/macvlan-lab/registry-5000/auth/htpasswd";
        // the registry's users changed behind the program's back: pusher has another password there
        await shValue(l(), "docker01", `cp -p ${file} /root/htpasswd.aside`);
        const other = await l().exec("docker01", ["sh", "-c", `cat >${file}`], { input: htpasswdText([{ name: "pusher", password: "not-the-stack-password" }]), timeoutMs: 30_000 });
        assert.equal(other.code, 0, other.stderr);
        try {
            const tags0 = await shValue(l(), "docker01", "docker image inspect -f '{{json .RepoDigests}}' 192.168.1.11:5000/busybox:v1");
            const r = await pulumiOnLab(l(), ws, engine, [...upArgs, "--replace", await urnOf("lab-registry-busybox-v1-push")], { onLine: (x) => log(`up --replace push: ${x}`) });
            timing("pulumi up --replace of the push with a wrong password (refused)", r.seconds);
            assert.notEqual(r.code, 0, "the push with a password the registry does not take succeeded");
            assert.match(`${r.stdout}\n${r.stderr}`, /Error pushing docker image: [^\n]*(unauthorized|authentication required)/);
            assert.equal(await shValue(l(), "docker01", "docker image inspect -f '{{json .RepoDigests}}' 192.168.1.11:5000/busybox:v1"), tags0);
        } finally {
            await shValue(l(), "docker01", `mv -f /root/htpasswd.aside ${file}`);
        }
        const again = await pulumiOnLab(l(), ws, engine, ["preview", "--expect-no-changes", "--non-interactive", "--color", "never"], { onLine: (x) => log(`preview after the refused push: ${x}`) });
        assert.equal(again.code, 0, `preview --expect-no-changes after the refused push failed:\n${tail(again.stdout)}`);
    });

    it("pulumi destroy removes the certificates, the htpasswd file, the trust files and the CA where Pulumi ran; the hosts are back to their snapshot", async function () {
        this.timeout(600_000);
        const d = await destroyOnLab(l(), engineOpts("destroy tls"));
        assertApplied(d, "pulumi destroy");
        settledNoDiff(await diffLabSettled(l(), s0, { dirs: SNAP }), "after pulumi destroy");
        const { ws } = env as { ws: Workspace };
        assert.deepEqual(fs.existsSync(controllerCaDirOf(ws)) ? fs.readdirSync(controllerCaDirOf(ws)) : [], []);
        for (const h of ["docker01", "docker02"]) {
            assert.equal(await shValue(l(), h, "ls /etc/docker/certs.d 2>/dev/null || true; ls /var/lib/macvlan-lab/registry-5000 2>/dev/null || true"), "");
        }
    });
});

/**
 * Drift, with the real Pulumi engine on a lab (issue 22): the routed multi-VLAN stack is applied,
 * then eight things are broken by hand on both hosts, from outside the program: docker01's NIC no
 * longer promiscuous, docker02's address on VLAN 20 gone, docker02's bbox10 removed, docker01's
 * bbox20 stopped, docker02's mac_net30 removed with its container, docker02's registry trust taken
 * out of daemon.json (and dockerd told), a route of docker01's shim on mac_net10 deleted, and
 * docker01's IPv4 forwarding (the router's) turned off.
 * - `npm run lab:verify`'s verify (lab/run/verify.ts: the documented pulumi commands) lists each of
 *   them and nothing else, and nothing on any host changes while it runs;
 * - `npm run lab:repair`'s repair (pulumi refresh, a repair request, pulumi up) puts each back: every
 *   command that changes a host says `nothing changed` or `changed: ...`, and only the broken ones
 *   changed; the checks pass; a second verify is clean; every container that was not broken keeps
 *   its Docker id and start time;
 * - an unchanged stack's `pulumi up` stays a no-op before and after (`preview --expect-no-changes`).
 * Root only; the lab is `mvllt-<pid>-dr`, torn down in after().
 */
import { strict as assert } from "assert";
import { LabHosts, hostsUp } from "../../lab/hosts";
import { EngineOutcome, applyOnLab, prepareEngine, pulumiOnLab } from "../../lab/run/engine";
import { downLab } from "../../lab/run/down";
import { LoadedStack, loadStack, topologyOf } from "../../lab/topology";
import { RepairOutcome, VerifyOutcome, repairLab, verifyLab } from "../../lab/run/verify";
import { snapshotLab, diffSnapshots } from "../../lab/snapshot";
import { labUnavailable, skipIf } from "../helpers/labSuite";
import { assertApplied } from "../helpers/labAssert";

const LAB = `mvllt-${process.pid}-dr`;
const STACK = "multi-vlan-routed";

function log(line: string): void {
    if (process.env.LAB_TEST_VERBOSE) console.log(`      | ${line}`);
}

/** `<host>/<container>` -> `<id> <started at> <status>`. */
async function containers(lab: LabHosts): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const h of ["docker01", "docker02"]) {
        const r = await lab.exec(h, ["docker", "ps", "-a", "--format", "{{.Names}}"]);
        assert.equal(r.code, 0, r.stderr);
        for (const name of r.stdout.split("\n").filter((n) => n !== "")) {
            const i = await lab.exec(h, ["docker", "inspect", "--format", "{{.Id}} {{.State.StartedAt}} {{.State.Status}}", name]);
            out[`${h}/${name}`] = i.stdout.trim();
        }
    }
    return out;
}

async function must(lab: LabHosts, host: string, argv: string[]): Promise<void> {
    const r = await lab.exec(host, argv);
    assert.equal(r.code, 0, `${host}: ${argv.join(" ")}: ${r.stderr}`);
}

describe("lab: drift found by verify and put back by repair, with plain pulumi (real engine)", function () {
    this.timeout(1_800_000);
    let lab: LabHosts | undefined;
    let stack: LoadedStack;
    let healthy: VerifyOutcome;
    let found: VerifyOutcome;
    let repaired: RepairOutcome;
    let containersBefore: Record<string, string>;
    let containersAfter: Record<string, string>;

    async function expectNoChanges(what: string): Promise<void> {
        const { engine, ws } = prepareEngine(LAB, log);
        const r = await pulumiOnLab(lab as LabHosts, ws, engine, ["preview", "--expect-no-changes", "--non-interactive"], {});
        assertApplied(r, `${what}: preview --expect-no-changes`);
    }

    before(async function () {
        this.timeout(900_000);
        skipIf(this, await labUnavailable());
        const loaded = loadStack(STACK);
        assert.deepEqual(loaded.errors, []);
        stack = loaded.stack as LoadedStack;
        const topo = topologyOf(LAB, stack.spec);
        assert.deepEqual(topo.errors, []);
        lab = await hostsUp(topo.topology as NonNullable<typeof topo.topology>, { log });
        const first: EngineOutcome = await applyOnLab(lab, stack, { log });
        assertApplied(first, "pulumi up");

        // a verify of the healthy lab: clean, and it changes nothing on the hosts
        const snap = await snapshotLab(lab);
        healthy = await verifyLab(STACK, { name: LAB, log });
        assert.deepEqual(diffSnapshots(snap, await snapshotLab(lab)), [], "the verify changed a host");
        await expectNoChanges("after the first verify");

        containersBefore = await containers(lab);
        // eight things broken by hand
        await must(lab, "docker01", ["ip", "link", "set", "ens33", "promisc", "off"]);
        await must(lab, "docker02", ["ip", "addr", "del", "192.168.20.21/24", "dev", "ens33.20"]);
        await must(lab, "docker02", ["docker", "rm", "-f", "bbox10"]);
        await must(lab, "docker01", ["docker", "stop", "-t", "1", "bbox20"]);
        await must(lab, "docker02", ["docker", "rm", "-f", "bbox30"]);
        await must(lab, "docker02", ["docker", "network", "rm", "mac_net30"]);
        await must(lab, "docker02", ["sh", "-c", `printf '{"log-level": "warn"}\\n' > /etc/docker/daemon.json && kill -HUP "$(cat /run/docker.pid)"`]);
        await must(lab, "docker01", ["ip", "route", "del", "172.16.10.10/32", "dev", "mac0"]);
        await must(lab, "docker01", ["sysctl", "-q", "-w", "net.ipv4.ip_forward=0"]);
        // dockerd reloads daemon.json asynchronously: wait (bounded) until it no longer lists the registry
        for (let i = 0; i < 40; i++) {
            const r = await lab.exec("docker02", ["docker", "info", "--format", "{{range .RegistryConfig.IndexConfigs}}{{if not .Secure}}{{.Name}} {{end}}{{end}}"]);
            if (!r.stdout.includes("192.168.1.11:5000")) break;
            await new Promise((res) => setTimeout(res, 250));
        }

        const broken = await snapshotLab(lab);
        found = await verifyLab(STACK, { name: LAB, log });
        assert.deepEqual(diffSnapshots(broken, await snapshotLab(lab)), [], "the verify changed a host");
        repaired = await repairLab(STACK, { name: LAB, log });
        containersAfter = await containers(lab);
    });

    after(async function () {
        this.timeout(300_000);
        await downLab(LAB, log);
    });

    it("a verify of the healthy lab finds nothing, runs every check of both hosts, and changes nothing", () => {
        assert.equal(healthy.refused, undefined, healthy.refused);
        assert.deepEqual(healthy.rows, []);
        assert.equal(healthy.code, 0);
        assert.deepEqual(Object.keys(healthy.hosts).sort(), ["docker01", "docker02"]);
        for (const [h, s] of Object.entries(healthy.hosts)) {
            assert.ok(s.complete, `${h}: cut short`);
            assert.ok(s.steps >= 10, `${h}: only ${s.steps} checks`);
        }
    });

    it("the verify after the breakage lists each of the eight, and nothing else, with what was expected and what was found", () => {
        assert.equal(found.refused, undefined, found.refused);
        assert.equal(found.code, 1);
        const got = found.rows.map((r) => `${r.host} | ${r.step} | ${r.kind} | ${r.found}`).sort();
        const expect: Array<[string, string, RegExp]> = [
            ["docker01", "lab-docker01-parent-promisc", /ens33.*promisc/i],
            ["docker02", "lab-docker02-ens33.20-config", /ens33\.20 does not have 192\.168\.20\.21\/24/],
            ["docker02", "container bbox10", /container bbox10 \(on mac_net10 at 172\.16\.10\.11\) is missing/],
            ["docker01", "container bbox20", /container bbox20 should be running, but it is exited/],
            ["docker02", "network mac_net30", /network mac_net30 .* is missing/],
            ["docker02", "container bbox30", /container bbox30 .* is missing/],
            ["docker02", "registry trust", /insecure/],
            ["docker01", "lab-docker01-shim-mac_net10-link", /172\.16\.10\.10\/32 is not routed through mac0/],
            ["docker01", "lab-router-forwarding", /forward/i],
        ];
        for (const [host, step, text] of expect) {
            assert.ok(found.rows.some((r) => r.host === host && r.step === step && r.kind === "drift" && text.test(r.found)), `missing: ${host} ${step} ${text}\nfound:\n${got.join("\n")}`);
        }
        const expectedSteps = new Set(expect.map(([h, s]) => `${h} ${s}`));
        const others = found.rows.filter((r) => !expectedSteps.has(`${r.host} ${r.step}`) || r.kind !== "drift");
        assert.deepEqual(others, [], "findings beyond the eight breakages");
        // a stopped container shows once (not attached: it is stopped), docker02's trust twice (file and dockerd)
        assert.ok(found.rows.length >= expect.length && found.rows.length <= expect.length + 3, got.join("\n"));
    });

    it("the repair puts each back: the broken steps say what they changed, every other step that changes a host says nothing changed", () => {
        assert.equal(repaired.refused, undefined, repaired.refused);
        const changed = repaired.lines.filter((l) => !/^nothing changed/.test(l.said) && !/^ok:|^done: connectivity|^checks/.test(l.said));
        const byName = new Map(repaired.lines.map((l) => [l.command, l.said]));
        for (const name of ["lab-docker01-parent-promisc", "lab-docker02-ens33.20-config", "lab-docker01-shim-mac_net10-link", "lab-router-forwarding"]) {
            assert.match(byName.get(name) ?? "(did not run)", /changed: /, `${name} said: ${byName.get(name)}`);
        }
        for (const l of repaired.lines) {
            if (/^lab-checks-/.test(l.command)) continue;
            const broken = ["lab-docker01-parent-promisc", "lab-docker02-ens33.20-config", "lab-docker01-shim-mac_net10-link", "lab-router-forwarding", "lab-docker02-trust-daemon-json"];
            if (!broken.includes(l.command)) assert.match(l.said, /^nothing changed|already/, `${l.command} changed something that was not broken: ${l.said}`);
        }
        assert.ok(repaired.lines.length >= 20, `${repaired.lines.length} commands ran again: ${changed.map((l) => l.command).join(", ")}`);
    });

    it("the checks pass after the repair, and a second verify is clean", () => {
        assert.equal(repaired.up?.code, 0);
        assert.equal(repaired.verify?.refused, undefined, repaired.verify?.refused);
        assert.deepEqual(repaired.verify?.rows, []);
        assert.equal(repaired.code, 0);
        assert.doesNotMatch(repaired.up?.stdout ?? "", /FAIL/);
    });

    it("every container that was not broken keeps its Docker id and start time; the broken ones run again", () => {
        const brokenOnes = ["docker02/bbox10", "docker01/bbox20", "docker02/bbox30"];
        const untouched = Object.keys(containersBefore).filter((k) => !brokenOnes.includes(k));
        assert.deepEqual(untouched.sort(), ["docker01/bbox10", "docker01/registry", "docker02/bbox20"]);
        for (const k of untouched) assert.equal(containersAfter[k], containersBefore[k], `${k} was replaced or restarted`);
        for (const k of brokenOnes) assert.match(containersAfter[k] ?? "", / running$/, `${k} after the repair: ${containersAfter[k]}`);
    });

    it("an unchanged stack's pulumi up is a no-op after the repair and its verify", async () => {
        await expectNoChanges("after the repair");
    });
});

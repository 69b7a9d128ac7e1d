/**
 * Replacements cascade, with the real Pulumi engine on a lab (issue 11): the multi-VLAN stack is
 * applied, then applied again with docker01's address on VLAN 10 changed. The VLAN interface's
 * command is replaced (delete before replace: `ip link delete` of the VLAN link, or on an emulated
 * VLAN its address goes), and because the Docker network on it carries the interface's revision (an
 * output of the command) as a label,
 * the engine deletes the container and the network on it first, makes the VLAN interface anew, then
 * the network and the container again; the checks run again (an update: the ids of the containers
 * they ping are in their scripts). What the other VLAN and the other host have stays as it is. Observed in pulumi's own output
 * and on the hosts (addresses, labels, pings from inside the containers). Root only; the labs are
 * named `mvllt-<pid>-cc` and torn down in after(), on failure too.
 */
import { strict as assert } from "assert";
import { LabHosts, hostsUp } from "../../lab/hosts";
import { EngineOutcome, EngineRunOptions, applyOnLab } from "../../lab/run/engine";
import { downLab } from "../../lab/run/down";
import { LoadedStack, loadStack, topologyOf } from "../../lab/topology";
import { loadLab, RawLabConfig } from "../../components/model/validate";
import { rawLabConfig } from "../../lab/stackFile";
import { PARENT_REVISION_LABEL } from "../../components/docker/macvlanNetwork";
import { labUnavailable, skipIf } from "../helpers/labSuite";
import { assertApplied } from "../helpers/labAssert";

const LAB = `mvllt-${process.pid}-cc`;

function log(line: string): void {
    if (process.env.LAB_TEST_VERBOSE) console.log(`      | ${line}`);
}
const opts = (what: string): EngineRunOptions => ({ log: (l) => log(`${what}: ${l}`) });

/** Pulumi's progress lines for one resource name (`lab-docker01-bbox10-container`), in order. */
function stepsOf(stdout: string, name: string): string[] {
    return stdout
        .split("\n")
        .filter((l) => new RegExp(`\\s${name.replace(/\./g, "\\.")}\\s`).test(`${l} `))
        .map((l) => /(deleted original|created replacement|replaced|deleting original|creating replacement|replacing|updated|created|deleted)\b/.exec(l)?.[1] ?? "")
        .filter((s) => s !== "");
}

/** Index of the first line of `stdout` where pulumi says `name ... <what>`. */
function lineOf(stdout: string, name: string, what: string): number {
    return stdout.split("\n").findIndex((l) => l.includes(` ${name} ${what}`));
}

describe("lab: a replaced VLAN interface replaces its networks and containers, and the checks run again (real engine)", function () {
    this.timeout(900_000);
    let lab: LabHosts | undefined;
    let first: EngineOutcome;
    let second: EngineOutcome;
    let labelBefore: string;

    before(async function () {
        skipIf(this, await labUnavailable());
        const loaded = loadStack("multi-vlan");
        assert.deepEqual(loaded.errors, []);
        const stack = loaded.stack as LoadedStack;
        const topo = topologyOf(LAB, stack.spec);
        assert.deepEqual(topo.errors, []);
        lab = await hostsUp(topo.topology as NonNullable<typeof topo.topology>, { log });
        first = await applyOnLab(lab, stack, opts("up 1"));
        assertApplied(first, "the first pulumi up", 60);
        labelBefore = (await lab.exec("docker01", ["docker", "network", "inspect", "--format", `{{index .Labels "${PARENT_REVISION_LABEL}"}}`, "mac_net10"])).stdout.trim();

        // docker01's address on VLAN 10: 192.168.10.10/24 -> 192.168.10.12/24
        const vlans = JSON.parse(stack.config["macvlan-lab:vlans"]) as Array<{ id: number; addresses: Record<string, string> }>;
        vlans[0].addresses.docker01 = "192.168.10.12/24";
        const config = { ...stack.config, "macvlan-lab:vlans": JSON.stringify(vlans) };
        const changed: LoadedStack = { stack: stack.stack, config, spec: loadLab(rawLabConfig(config) as RawLabConfig) };
        second = await applyOnLab(lab, changed, opts("up 2"));
        console.log(`      time: pulumi up with docker01's VLAN 10 address changed: ${second.seconds.toFixed(1)} s`);
        assertApplied(second, "the pulumi up with a changed VLAN address", 60);
    });

    after(async function () {
        this.timeout(300_000);
        await downLab(LAB, log);
    });

    it("replaces ens33.10 of docker01 delete-before-replace, and before it deletes the container and the network on it", () => {
        const out = second.stdout;
        for (const name of ["lab-docker01-bbox10-container", "lab-mac_net10-docker01", "lab-docker01-ens33.10-config"]) {
            const steps = stepsOf(out, name);
            assert.ok(steps.includes("deleted original") && steps.includes("created replacement"), `${name} was not replaced delete-before-replace: ${steps.join(", ")}`);
        }
        const deleted = (n: string) => lineOf(out, n, "deleted original");
        const created = (n: string) => lineOf(out, n, "created replacement");
        assert.ok(deleted("lab-docker01-bbox10-container") < deleted("lab-mac_net10-docker01"), "the container goes before its network");
        assert.ok(deleted("lab-mac_net10-docker01") < deleted("lab-docker01-ens33.10-config"), "the network goes before the VLAN interface it sits on");
        assert.ok(created("lab-docker01-ens33.10-config") < created("lab-mac_net10-docker01"), "the VLAN interface comes back before its network");
        assert.ok(created("lab-mac_net10-docker01") < created("lab-docker01-bbox10-container"), "the network comes back before its container");
    });

    it("runs the checks again on both hosts (an update: the replaced container's id is in their scripts), and they pass", () => {
        for (const h of ["docker01", "docker02"]) {
            const steps = stepsOf(second.stdout, `lab-checks-${h}`);
            assert.deepEqual(steps, ["updated"], `lab-checks-${h}: ${steps.join(", ")}`);
        }
        const rows = second.outputs?.checks ?? [];
        assert.equal(rows.length, 5);
        assert.ok(rows.every((r) => r.ok), JSON.stringify(rows));
    });

    it("leaves the other VLAN, its network and container, and docker02's networks and containers as they were", () => {
        for (const name of [
            "lab-docker01-ens33.20-config",
            "lab-mac_net20-docker01",
            "lab-docker01-bbox20-container",
            "lab-mac_net10-docker02",
            "lab-docker02-bbox10-container",
            "lab-docker02-ens33.10-config",
            "lab-docker01-parent-promisc",
            "lab-docker01-lib-install",
        ]) {
            assert.deepEqual(stepsOf(second.stdout, name), [], `${name} changed`);
        }
    });

    it("the hosts show it: the new address on ens33.10, a new label on mac_net10, and bbox10 reaches docker02's bbox10", async () => {
        const l = lab as LabHosts;
        const addr = await l.exec("docker01", ["ip", "-4", "-o", "addr", "show", "dev", "ens33.10"]);
        assert.match(addr.stdout, / inet 192\.168\.10\.12\/24 /);
        assert.doesNotMatch(addr.stdout, /192\.168\.10\.10\//);
        const label = (await l.exec("docker01", ["docker", "network", "inspect", "--format", `{{index .Labels "${PARENT_REVISION_LABEL}"}}`, "mac_net10"])).stdout.trim();
        assert.match(labelBefore, /^[0-9a-f]{16}$/);
        assert.match(label, /^[0-9a-f]{16}$/);
        assert.notEqual(label, labelBefore);
        const ping = await l.exec("docker01", ["docker", "exec", "bbox10", "ping", "-c", "2", "-W", "2", "172.16.10.11"], { timeoutMs: 30_000 });
        assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    });
});

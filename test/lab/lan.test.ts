/**
 * The LAN stack (stacks/Pulumi.lan.yaml: containers on the hosts' own subnet, the macvlan network on
 * the management NIC itself) end to end with the real Pulumi engine on lab hosts: `pulumi up`, what
 * the hosts and containers show, how Docker's IPAM treats the planned range and the aux addresses,
 * `preview --expect-no-changes`, `pulumi destroy`. Root only; run it under the machine-wide lock:
 *
 *   flock /tmp/macvlan-lab-netns.lock npx mocha test/lab/lan.test.ts
 *
 * The lab is named `mvllan-<pid>` so that it collides with no other; labs of earlier runs that
 * died are swept first, and the lab is torn down in after(), on failure too.
 */
import { strict as assert } from "assert";
import { IPv4, IPv4CidrRange } from "ip-num";
import { LabHosts, hostsUp } from "../../lab/hosts";
import { EngineOutcome, applyOnLab, destroyOnLab, prepareEngine, pulumiOnLab } from "../../lab/run/engine";
import { downLab } from "../../lab/run/down";
import { sweepStaleTestLabs } from "../helpers/labSweep";
import { selectStack } from "../../lab/pulumi";
import { LoadedStack, loadStack, topologyOf } from "../../lab/topology";
import { assertNoReply } from "../helpers/probe";
import { labUnavailable, sh, skipIf } from "../helpers/labSuite";
import { tail } from "../helpers/labAssert";

const PREFIX = "mvllan-";
const NAME = `${PREFIX}${process.pid}`;

function log(line: string): void {
    if (process.env.LAB_TEST_VERBOSE) console.log(`      | ${line}`);
}

function inCidr(cidr: string, address: string): boolean {
    return IPv4CidrRange.fromCidr(cidr).contains(new IPv4(address));
}

describe("lab: lan, containers on the hosts' LAN (real engine: pulumi up, the LAN seen from the containers, Docker's IPAM, no changes, destroy)", function () {
    let lab: LabHosts | undefined;
    let stack: LoadedStack;
    let apply: EngineOutcome;

    before(async function () {
        this.timeout(900_000);
        skipIf(this, await labUnavailable(), "the lan lab");
        await sweepStaleTestLabs(new RegExp(`^${PREFIX}(\\d+)$`), log);
        const l = loadStack("lan");
        assert.deepEqual(l.errors, []);
        stack = l.stack as LoadedStack;
        const topo = topologyOf(NAME, stack.spec);
        assert.deepEqual(topo.errors, []);
        const t0 = Date.now();
        lab = await hostsUp(topo.topology as NonNullable<typeof topo.topology>, { log });
        console.log(`      time: lan: hosts up: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        apply = await applyOnLab(lab, stack, { log: (l2) => log(`up: ${l2}`) });
        console.log(`      time: lan: first pulumi up: ${apply.seconds.toFixed(1)} s`);
    });

    after(async function () {
        this.timeout(600_000);
        if (lab !== undefined) {
            const d = await destroyOnLab(lab, { log: (l) => log(`destroy: ${l}`) });
            if (d !== undefined && d.code !== 0) console.log(`      | pulumi destroy failed (${d.code}): ${tail(d.stderr, 10)}`);
        }
        await downLab(NAME, log);
    });

    it("pulumi up succeeds and every connectivity check passes across the hosts", () => {
        assert.equal(apply.code, 0, `pulumi up failed (${apply.code}):\n${apply.stderr}\n${tail(apply.stdout)}`);
        const checks = apply.outputs?.checks ?? [];
        assert.deepEqual(
            checks.map((c) => `${c.source} -> ${c.target} ${c.observed}`).sort(),
            ["docker01/bbox1 -> docker02/bbox2 reachable", "docker02/bbox2 -> docker01/bbox1 reachable"],
        );
        assert.ok(checks.every((c) => c.ok), JSON.stringify(checks));
    });

    it("puts the containers on the hosts' subnet, on ens33 itself, reaching the other host's container and the other host", async () => {
        const l = lab as LabHosts;
        const inspect = await sh(l, "docker01", "docker network inspect lan_net --format '{{.Driver}} {{index .Options \"parent\"}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}}{{end}}'", 60_000);
        assert.equal(inspect.code, 0, inspect.stderr);
        assert.equal(inspect.stdout.trim(), "macvlan ens33 192.168.1.0/24 192.168.1.1 192.168.1.64/26");
        const addr = await sh(l, "docker01", "docker exec bbox1 ip -4 -o addr show eth0", 60_000);
        assert.match(addr.stdout, /inet 192\.168\.1\.21\/24 /);
        // the other host's container, and the other host itself on its management address
        for (const target of ["192.168.1.23", "192.168.1.13"]) {
            const p = await sh(l, "docker01", `docker exec bbox1 ping -c 2 -W 2 ${target}`, 60_000);
            assert.equal(p.code, 0, `bbox1 cannot reach ${target}:\n${p.stdout}${p.stderr}`);
        }
        // the host's own address is not reachable from its macvlan children (the kernel does not pass traffic between them)
        const own = await sh(l, "docker01", "docker exec bbox1 ping -c 1 -W 1 192.168.1.11", 60_000);
        assertNoReply(own, "bbox1 reached its own host through macvlan", 1);
    });

    it("Docker hands a container without --ip an address of its host's planned range, and refuses the reserved printer address", async () => {
        const l = lab as LabHosts;
        for (const [host, range] of [["docker01", "192.168.1.64/26"], ["docker02", "192.168.1.128/26"]]) {
            const r = await sh(l, host, "docker run --rm --network lan_net busybox:latest ip -4 -o addr show eth0", 60_000);
            assert.equal(r.code, 0, r.stderr);
            const got = /inet ([0-9.]+)\//.exec(r.stdout)?.[1];
            assert.ok(got !== undefined && inCidr(range, got), `${host} handed out ${got}, outside its range ${range}`);
        }
        // an aux address outside the host's range still keeps --ip off it (libnetwork reserves it in the subnet's bitmap)
        const printer = await sh(l, "docker01", "docker run --rm --network lan_net --ip 192.168.1.5 busybox:latest true", 60_000);
        assert.notEqual(printer.code, 0, "docker01 gave a container the reserved printer address");
        assert.match(`${printer.stdout}${printer.stderr}`, /already in use|Address already/i);
    });

    it("preview --expect-no-changes after the apply", async function () {
        this.timeout(300_000);
        const l = lab as LabHosts;
        const { engine, ws } = prepareEngine(l.name, log);
        await selectStack(ws, engine, stack.stack);
        const r = await pulumiOnLab(l, ws, engine, ["preview", "--expect-no-changes", "--non-interactive", "--color", "never", "--stack", stack.stack], { onLine: (x) => log(`preview: ${x}`) });
        assert.equal(r.code, 0, `preview shows changes (${r.code}):\n${r.stderr}\n${tail(r.stdout)}`);
    });
});

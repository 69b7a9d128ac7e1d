/**
 * `--rtt` on a real two-host lab (lab/rtt): the relay in the controller's namespace with its iptables
 * rules. An `ssh docker01 true` from the controller goes through it (its count moves) and takes at
 * least the round trips an SSH connection needs (a lower bound only: never faster than the link);
 * a TCP connection to any other port of a host is refused, and the relay's own upstream
 * connections are not looped back to it; stopping it makes the hosts direct again; the lab's
 * tear-down stops it. Root only (skipped with the reason elsewhere).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import { twoHostTopology } from "../helpers/labTopology";
import { sweepStaleTestLabs } from "../helpers/labSweep";
import { LabHosts, hostsDown, hostsUp } from "../../lab/hosts";
import { isAlive, run } from "../../lab/hosts/proc";
import { RTT_CHAIN, ensureRtt, readRelayCounts, relayStatus, rttTargets, startRttRelay, stopRttRelay } from "../../lab/rtt";
import { hostsUnavailable, skipIf } from "../helpers/labSuite";

const LAB = `mvlrtt-${process.pid}`;
const lines: string[] = [];
const log = (l: string) => {
    lines.push(l);
    if (process.env.LAB_VERBOSE !== undefined || /DELAYED|relay/.test(l)) console.log(`      | ${l}`);
};

describe("lab: --rtt, the delaying relay between the controller and the hosts", function () {
    let lab: LabHosts | undefined;
    const up = () => {
        assert.ok(lab, "the lab is up");
        return lab;
    };
    const targets = () => rttTargets(up().hosts, { address: "192.168.1.11", port: 5000 });
    /** ssh from the controller (its own /root/.ssh/config), timed. */
    const sshTrue = async (host: string) => {
        const t = Date.now();
        const r = await run(up().controllerArgv(["ssh", host, "true"]), { timeoutMs: 60_000 });
        assert.equal(r.code, 0, r.stderr);
        return Date.now() - t;
    };

    before(async function () {
        skipIf(this, hostsUnavailable(), "the relay on a real lab");
        this.timeout(120_000);
        await sweepStaleTestLabs(/^mvlrtt-(\d+)$/, log);
        lab = await hostsUp(twoHostTopology(LAB), { log });
    });

    after(async function () {
        this.timeout(120_000);
        if (hostsUnavailable() === undefined) await hostsDown(LAB, { log });
    });

    it("delays an ssh connection by at least the round trips SSH needs, and counts it", async function () {
        this.timeout(120_000);
        const rtt = 150;
        const relay = await startRttRelay(up(), targets(), rtt, log);
        assert.ok(lines.some((l) => l.startsWith(`DELAYED: every TCP connection from the controller to 192.168.1.11:22 (ssh), 192.168.1.13:22 (ssh), 192.168.1.11:5000 (registry)`)));
        assert.ok(isAlive(relay.pid));
        const before = readRelayCounts(up());
        const ms = await sshTrue("docker01");
        const after = readRelayCounts(up());
        assert.equal((after?.routes["192.168.1.11:22"].opened ?? 0) - (before?.routes["192.168.1.11:22"].opened ?? 0), 1, "one connection through the relay");
        assert.equal(after?.routes["192.168.1.13:22"].opened, 0, "none to the other host");
        // TCP handshake (1), version exchange and key exchange (2), service request and authentication
        // (at least 2), session channel and exec (at least 1): 6 round trips at the very least
        assert.ok(ms >= 6 * rtt, `ssh docker01 true took ${ms} ms through a ${rtt} ms relay; at least ${6 * rtt} expected`);
        console.log(`      | ssh docker01 true through ${rtt} ms: ${ms} ms`);
    });

    it("refuses any other TCP connection from the controller to a host, and keeps the relay's own connections out of its rules", async function () {
        this.timeout(60_000);
        const l = up();
        // the registry's port is relayed (nothing listens there yet: the relay's dial fails and the
        // client gets a reset); 2375 is not relayed: refused by the rule, and the relay never sees it
        const before = readRelayCounts(l);
        const probe = (port: number) =>
            run(l.controllerArgv(["bash", "-c", `exec 3<>/dev/tcp/192.168.1.11/${port} && head -c 1 <&3; echo "rc=$?"`]), { timeoutMs: 20_000 });
        const other = await probe(2375);
        assert.match(other.stderr, /Connection refused/, other.stderr);
        const relayed = await probe(5000);
        await new Promise((r) => setTimeout(r, 300));
        const after = readRelayCounts(l);
        assert.equal((after?.routes["192.168.1.11:5000"].opened ?? 0) - (before?.routes["192.168.1.11:5000"].opened ?? 0), 1, `the registry port went through the relay (${relayed.stderr.trim()})`);
        assert.equal((after?.routes["192.168.1.11:5000"].failed ?? 0) - (before?.routes["192.168.1.11:5000"].failed ?? 0), 1, "its dial reached the host and was refused there (not looped back)");
        const total = (c: typeof after) => Object.values(c?.routes ?? {}).reduce((s, r) => s + r.opened, 0);
        assert.equal(total(after) - total(before), 1, "the refused port never reached the relay");
    });

    it("a run with the same round trip keeps the relay; without --rtt it is stopped and the hosts are direct again", async function () {
        this.timeout(60_000);
        const l = up();
        const running = relayStatus(l);
        assert.ok(running !== undefined);
        const same = await ensureRtt(l, targets(), 150, log);
        assert.equal(same?.pid, running.pid, "the same relay");
        await ensureRtt(l, targets(), undefined, log);
        assert.ok(lines.some((x) => /relay of an earlier run \(a round trip of 150 ms\) is stopped/.test(x)));
        assert.equal(relayStatus(l), undefined);
        assert.equal(isAlive(running.pid), false, "the relay process is gone");
        const rules = await run(["nsenter", `--net=/run/netns/${l.controllerNetns}`, "iptables", "-w", "5", "-t", "nat", "-S"]);
        assert.equal(rules.code, 0, rules.stderr);
        assert.ok(!rules.stdout.includes(RTT_CHAIN), rules.stdout);
        const before = readRelayCounts(l);
        await sshTrue("docker02");
        assert.deepEqual(readRelayCounts(l), before, "nothing went through a relay");
    });

    it("the lab's tear-down stops the relay with the controller's namespace", async function () {
        this.timeout(120_000);
        const l = up();
        const relay = await startRttRelay(l, targets(), 0, log);
        assert.ok(isAlive(relay.pid));
        await hostsDown(LAB, { log });
        lab = undefined;
        assert.equal(isAlive(relay.pid), false, "the relay died with the lab");
        assert.equal(fs.existsSync(relay.dir), false, "its files went with the lab's state");
        // and a stop of a relay that is gone is fine
        await stopRttRelay(l).catch((e: Error) => assert.fail(e.message));
    });
});

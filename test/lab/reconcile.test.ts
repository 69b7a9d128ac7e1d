/**
 * A running lab changed in place (lab/hosts/reconcile.ts) for real: the multi-vlan stack's two
 * hosts with a container each, a third host added on both VLANs and removed again, a VLAN added
 * and left, a failed add, and a change that cannot be made in place. The hosts that do not change
 * keep their keeper, sshd and dockerd and their containers (same ids, same start times). As root
 * with the Debian packages of lab/packages.txt (skipped, with the reason, elsewhere).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { twoHostTopology } from "../helpers/labTopology";
import { LabHosts, LabTopology, attachLab, defaultStateDir, hostsDown, hostsUp, reconcileHosts } from "../../lab/hosts";
import { isAlive, run } from "../../lab/hosts/proc";
import { hostsUnavailable, shOk, skipIf } from "../helpers/labSuite";

/** Per test process, so that two runs at once on one machine do not tear down each other's lab. */
const LAB_PREFIX = "mvlrc-";
const LAB = `${LAB_PREFIX}${process.pid}`;

const verbose = process.env.LAB_VERBOSE !== undefined;
function log(line: string): void {
    if (verbose || /^[-+~=] |changed in place|cannot be changed|is up in|down in/.test(line)) console.log(`      | ${line}`);
}

/** Tears down the labs of test runs that died without doing it (their pid is gone). */
async function sweepStaleTestLabs(): Promise<void> {
    const names = new Set<string>();
    for (const n of fs.existsSync("/run/netns") ? fs.readdirSync("/run/netns") : []) {
        const m = new RegExp(`^(${LAB_PREFIX}(\\d+))_`).exec(n);
        if (m && !isAlive(Number(m[2]))) names.add(m[1]);
    }
    const labDir = path.dirname(defaultStateDir("x"));
    for (const n of fs.existsSync(labDir) ? fs.readdirSync(labDir) : []) {
        const m = new RegExp(`^${LAB_PREFIX}(\\d+)$`).exec(n);
        if (m && !isAlive(Number(m[1]))) names.add(n);
    }
    for (const n of names) await hostsDown(n, { log });
}

/** The multi-vlan stack's two hosts (docker01, docker02 on VLANs 10 and 20). */
function twoHosts(): LabTopology {
    return twoHostTopology(LAB);
}

/** The same with docker03 at 192.168.1.15 on both VLANs. */
function threeHosts(): LabTopology {
    const t = twoHosts();
    t.hosts.push({ name: "docker03", address: "192.168.1.15", prefixLength: 24, nic: "ens33", sshPort: 22 });
    for (const v of t.vlans) v.hosts.push("docker03");
    return t;
}

/** What must not move on a host that the change does not touch. */
interface HostMark {
    keeperPid: number;
    pidOfSshd: number;
    pidOfDockerd: number;
    /** `docker inspect` of its containers: id, start time, running, pid. */
    containers: string;
}

async function markOf(lab: LabHosts, host: string): Promise<HostMark> {
    const h = lab.hosts.find((x) => x.name === host);
    assert.ok(h, `the lab has ${host}`);
    const containers = await shOk(lab, host, "docker ps -aq --no-trunc | xargs -r docker inspect -f '{{.Name}} {{.Id}} {{.State.StartedAt}} {{.State.Running}} {{.State.Pid}}' | sort");
    return { keeperPid: h.keeperPid, pidOfSshd: h.pidOfSshd, pidOfDockerd: h.pidOfDockerd, containers };
}

/** The host's marks now equal `before`, every pid alive and the same as the host's own pid files say. */
async function assertUntouched(lab: LabHosts, host: string, before: HostMark): Promise<void> {
    const now = await markOf(lab, host);
    assert.deepEqual(now, before, `${host} is untouched`);
    for (const pid of [now.keeperPid, now.pidOfSshd, now.pidOfDockerd]) assert.ok(isAlive(pid), `${host}: pid ${pid} alive`);
    assert.equal(Number(await shOk(lab, host, "cat /run/docker.pid")), now.pidOfDockerd);
    assert.equal(Number(await shOk(lab, host, "cat /run/sshd.pid")), now.pidOfSshd);
    assert.equal(now.containers.split("\n").filter((l) => / true \d+$/.test(l)).length, 1, `${host}: its container still runs: ${now.containers}`);
}

/** Switch-side ports on bridge `br` of the lab's switch (`h1-v10`, ...). */
async function portsOn(lab: LabHosts, br: string): Promise<string[]> {
    const r = await run(["ip", "-n", lab.switchNetns, "-o", "link", "show", "master", br]);
    assert.equal(r.code, 0, r.stderr);
    return (r.stdout.match(/h\d+-(mgmt|v\d+)/g) ?? []).sort();
}

/** Pings `dst` from `host` (2 packets); the exit status. */
async function ping(lab: LabHosts, host: string, dst: string): Promise<number> {
    return (await lab.exec(host, ["busybox", "ping", "-c", "2", "-W", "1", dst], { timeoutMs: 15_000 })).code;
}

describe("lab: a running lab changed in place (reconcileHosts)", function () {
    let lab: LabHosts | undefined;
    const up = () => {
        assert.ok(lab, "the lab is up");
        return lab;
    };
    const marks: Record<string, HostMark> = {};

    before(async function () {
        skipIf(this, hostsUnavailable(), "the real lab");
        this.timeout(180_000);
        await sweepStaleTestLabs();
        lab = await hostsUp(twoHosts(), { log });
        for (const h of ["docker01", "docker02"]) {
            await shOk(lab, h, `docker run -d --name by-hand-${h} busybox:latest sleep 3600 >/dev/null`);
            marks[h] = await markOf(lab, h);
        }
    });

    after(async function () {
        this.timeout(120_000);
        if (hostsUnavailable() === undefined) await hostsDown(LAB, { log });
    });

    it("adds docker03 on both VLANs: reachable over ssh, its VLAN links reach the others', docker01 and docker02 untouched", async function () {
        this.timeout(180_000);
        const l = up();
        const r = await reconcileHosts(l, threeHosts(), { log });
        assert.equal(r.rebuilt, false);
        assert.equal(r.lab, l, "the lab object is updated in place");
        assert.deepEqual(r.diff.addHosts, ["docker03"]);
        assert.deepEqual(r.diff.removeHosts, []);
        assert.deepEqual(r.diff.keepHosts, ["docker01", "docker02"]);
        assert.deepEqual(l.hosts.map((h) => h.name), ["docker01", "docker02", "docker03"]);
        assert.deepEqual(l.topology, threeHosts());

        const ssh = await run(l.sshArgv("docker03", "hostname; ip -o -4 addr show dev ens33"), { timeoutMs: 20_000 });
        assert.equal(ssh.code, 0, ssh.stderr);
        assert.match(ssh.stdout, /^docker03\n.*inet 192\.168\.1\.15\/24 /s);
        const byName = await run(l.controllerArgv(["sh", "-c", "ssh docker03 hostname; getent hosts docker03"]), { timeoutMs: 20_000 });
        assert.equal(byName.code, 0, byName.stderr);
        assert.equal(byName.stdout.replace(/\s+/g, " ").trim(), "docker03 192.168.1.15 docker03");
        assert.match(l.hostKeys.docker03, /^ssh-ed25519 AAAA/);
        assert.ok(fs.readFileSync(l.knownHostsPath, "utf8").includes(`docker03,192.168.1.15 ${l.hostKeys.docker03}\n`));
        assert.match(await shOk(l, "docker01", "cat /etc/hosts"), /^192\.168\.1\.15\tdocker03$/m);

        // docker03 as hostsUp makes a host: its images (same ids), dockerd, the emulated VLAN links
        const images = "docker image ls -q --no-trunc busybox:latest; docker image ls -q --no-trunc registry:2";
        assert.equal(await shOk(l, "docker03", images), await shOk(l, "docker01", images));
        assert.match(await shOk(l, "docker03", "docker info --format '{{.Name}} {{.DockerRootDir}}'"), /^docker03 \/var\/lib\/docker\n$/);
        if (l.vlanMode === "emulated") {
            assert.equal(await shOk(l, "docker03", "cat /run/macvlan-lab/vlan-emulation"), "ens33.10\nens33.20\n");
            assert.deepEqual(await portsOn(l, "br-v10"), ["h1-v10", "h2-v10", "h3-v10"]);
            assert.deepEqual(await portsOn(l, "br-v20"), ["h1-v20", "h2-v20", "h3-v20"]);
            assert.deepEqual(await portsOn(l, "br-mgmt"), ["h1-mgmt", "h2-mgmt", "h3-mgmt"]);
            const addr: Record<string, string> = { docker01: "1", docker02: "2", docker03: "3" };
            try {
                for (const [h, n] of Object.entries(addr)) {
                    await shOk(l, h, `ip addr add 172.31.10.${n}/24 dev ens33.10 && ip link set ens33.10 up && ip addr add 172.31.20.${n}/24 dev ens33.20 && ip link set ens33.20 up`);
                }
                for (const dst of ["1", "2"]) {
                    assert.equal(await ping(l, "docker03", `172.31.10.${dst}`), 0, `docker03 reaches 172.31.10.${dst} on VLAN 10`);
                    assert.equal(await ping(l, "docker03", `172.31.20.${dst}`), 0, `docker03 reaches 172.31.20.${dst} on VLAN 20`);
                }
                // VLAN 10 stays apart from VLAN 20: docker02's VLAN-10 address moved onto its VLAN-20 link
                await shOk(l, "docker02", "ip addr del 172.31.10.2/24 dev ens33.10 && ip link set ens33.10 down && ip addr add 172.31.10.2/32 dev ens33.20");
                await shOk(l, "docker03", "ip neigh flush dev ens33.10");
                const before = Number(await shOk(l, "docker03", "cat /sys/class/net/ens33.10/statistics/tx_packets"));
                assert.notEqual(await ping(l, "docker03", "172.31.10.2"), 0, "VLAN 10 does not reach docker02's VLAN-20 link");
                assert.ok(Number(await shOk(l, "docker03", "cat /sys/class/net/ens33.10/statistics/tx_packets")) > before, "the probe went out on ens33.10");
            } finally {
                for (const h of Object.keys(addr)) {
                    await l.exec(h, ["sh", "-c", "for i in ens33.10 ens33.20; do ip addr flush dev $i; ip link set $i down; done"]);
                }
            }
        } else {
            console.log("      (802.1Q kernel: no emulated VLAN links to check; the product makes the VLAN devices)");
        }
        for (const h of ["docker01", "docker02"]) await assertUntouched(l, h, marks[h]);
        const again = attachLab(LAB);
        assert.deepEqual(again.topology, threeHosts(), "state.json has the new topology");
        assert.deepEqual(again.hosts.map((h) => [h.name, h.keeperPid]), l.hosts.map((h) => [h.name, h.keeperPid]));
    });

    it("removes docker03 again: its namespace, links, processes, containers, cgroups and directory gone, the others untouched", async function () {
        this.timeout(180_000);
        const l = up();
        await shOk(l, "docker03", "docker run -d --name on-docker03 busybox:latest sleep 3600 >/dev/null");
        const h3 = l.hosts.find((h) => h.name === "docker03");
        assert.ok(h3);
        const containerPid = Number(await shOk(l, "docker03", "docker inspect -f '{{.State.Pid}}' on-docker03"));
        const pids = [h3.keeperPid, h3.pidOfSshd, h3.pidOfDockerd, containerPid];
        assert.ok(pids.every(isAlive), `docker03's processes run before: ${pids}`);
        const r = await reconcileHosts(l, twoHosts(), { log });
        assert.deepEqual(r.diff.removeHosts, ["docker03"]);
        assert.deepEqual(r.diff.addHosts, []);
        assert.deepEqual(l.topology, twoHosts());
        assert.deepEqual(pids.filter(isAlive), [], "docker03's keeper, sshd, dockerd and container are gone");
        assert.equal(fs.existsSync(`/run/netns/${LAB}_host_docker03`), false, "its namespace is gone");
        assert.equal(fs.existsSync(h3.dir), false, "its directory is gone");
        const cgroups = fs.readdirSync("/sys/fs/cgroup").filter((hier) => fs.existsSync(`/sys/fs/cgroup/${hier}/macvlan-lab/${LAB}/docker03`));
        assert.deepEqual(cgroups, [], "its cgroups are gone");
        if (l.vlanMode === "emulated") {
            assert.deepEqual(await portsOn(l, "br-v10"), ["h1-v10", "h2-v10"]);
            assert.deepEqual(await portsOn(l, "br-mgmt"), ["h1-mgmt", "h2-mgmt"]);
        }
        assert.equal(fs.readFileSync(l.knownHostsPath, "utf8").includes("docker03"), false, "known_hosts no longer names docker03");
        assert.equal("docker03" in l.hostKeys, false);
        const gone = await run(l.controllerArgv(["ssh", "docker03", "true"]), { timeoutMs: 20_000 });
        assert.equal(gone.code, 255, "ssh docker03 from the controller fails");
        assert.doesNotMatch(await shOk(l, "docker01", "cat /etc/hosts"), /docker03/);
        for (const h of ["docker01", "docker02"]) await assertUntouched(l, h, marks[h]);
        assert.deepEqual(attachLab(LAB).topology, twoHosts());
    });

    it("adds VLAN 30 to both hosts, then takes docker02 off VLAN 20: only those links change", async function () {
        this.timeout(120_000);
        const l = up();
        const withV30 = twoHosts();
        withV30.vlans.push({ id: 30, parent: "ens33", interfaceName: "ens33.30", hosts: ["docker01", "docker02"] });
        const a = await reconcileHosts(l, withV30, { log });
        assert.deepEqual(a.diff.addSegments, [30]);
        assert.deepEqual(a.diff.addLinks.map((x) => `${x.host}/${x.interfaceName}`), ["docker01/ens33.30", "docker02/ens33.30"]);
        const off20 = JSON.parse(JSON.stringify(withV30)) as LabTopology;
        off20.vlans[1].hosts = ["docker01"];
        const b = await reconcileHosts(l, off20, { log });
        assert.deepEqual(b.diff.removeLinks.map((x) => `${x.host}/${x.interfaceName}`), ["docker02/ens33.20"]);
        assert.deepEqual(l.topology, off20);
        if (l.vlanMode === "emulated") {
            assert.deepEqual(await portsOn(l, "br-v30"), ["h1-v30", "h2-v30"]);
            assert.deepEqual(await portsOn(l, "br-v20"), ["h1-v20"]);
            assert.equal(await shOk(l, "docker02", "cat /run/macvlan-lab/vlan-emulation"), "ens33.10\nens33.30\n");
            assert.equal(await shOk(l, "docker02", "test -e /sys/class/net/ens33.20 && echo present || echo absent"), "absent\n");
            assert.equal(await shOk(l, "docker01", "test -e /sys/class/net/ens33.30 && echo present || echo absent"), "present\n");
        }
        const back = await reconcileHosts(l, twoHosts(), { log });
        assert.deepEqual(back.diff.removeSegments, [30]);
        if (l.vlanMode === "emulated") {
            const bridges = await run(["ip", "-n", l.switchNetns, "-o", "link", "show", "type", "bridge"]);
            assert.deepEqual((bridges.stdout.match(/br-[a-z0-9]+/g) ?? []).sort(), ["br-mgmt", "br-v10", "br-v20"]);
            assert.deepEqual(await portsOn(l, "br-v20"), ["h1-v20", "h2-v20"]);
        }
        for (const h of ["docker01", "docker02"]) await assertUntouched(l, h, marks[h]);
    });

    it("removes a host whose bring-up fails again, and the lab stays as it was", async function () {
        this.timeout(180_000);
        const l = up();
        await assert.rejects(reconcileHosts(l, threeHosts(), { log, failAfter: "dockerd" }), /failing after step dockerd/);
        assert.deepEqual(l.topology, twoHosts(), "the lab's topology is the old one");
        assert.equal(fs.existsSync(`/run/netns/${LAB}_host_docker03`), false);
        assert.equal(fs.existsSync(path.join(l.stateDir, "hosts", "docker03")), false);
        assert.equal(fs.readFileSync(l.knownHostsPath, "utf8").includes("docker03"), false);
        if (l.vlanMode === "emulated") assert.deepEqual(await portsOn(l, "br-mgmt"), ["h1-mgmt", "h2-mgmt"]);
        assert.deepEqual(attachLab(LAB).topology, twoHosts(), "state.json is complete and describes the two hosts");
        for (const h of ["docker01", "docker02"]) await assertUntouched(l, h, marks[h]);
    });

    it("refuses a change it cannot make in place (another management subnet), changing nothing", async function () {
        this.timeout(60_000);
        const l = up();
        const moved = twoHosts();
        moved.hosts = moved.hosts.map((h, i) => ({ ...h, address: `10.9.0.${11 + i}` }));
        await assert.rejects(reconcileHosts(l, moved, { log, rebuild: false }), /cannot be changed in place: the management subnet changes \(192\.168\.1\.0\/24 -> 10\.9\.0\.0\/24\)/);
        assert.deepEqual(attachLab(LAB).topology, twoHosts());
        for (const h of ["docker01", "docker02"]) await assertUntouched(l, h, marks[h]);
    });
});

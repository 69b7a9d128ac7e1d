/**
 * The local lab's hosts (lab/hosts) for real: a two-host lab with namespaces, sshd and dockerd, as
 * root with the Debian packages of lab/packages.txt (skipped, with the reason, elsewhere).
 */
import { strict as assert } from "assert";
import { twoHostTopology } from "../helpers/labTopology";
import * as fs from "fs";
import * as path from "path";
import { LabHosts, LabTopology, defaultStateDir, emulatedVlanAlias, hostsDown, hostsUp, startSshd, stopSshd } from "../../lab/hosts";
import { allPids, cmdline, isAlive, run } from "../../lab/hosts/proc";
import { assertNoReply } from "../helpers/probe";
import { hostsUnavailable, shOk, skipIf } from "../helpers/labSuite";

/** Per test process, so that two runs at once on one machine do not tear down each other's lab. */
const LAB_PREFIX = "mvlht-";
const LAB = `${LAB_PREFIX}${process.pid}`;

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

function topology(): LabTopology {
    return twoHostTopology(LAB);
}

// ---------------------------------------------------------------------------------------------

const verbose = process.env.LAB_VERBOSE !== undefined;
const lines: string[] = [];
function log(line: string): void {
    lines.push(line);
    if (verbose || /EMULATED|802\.1Q|is up in|down in/.test(line)) console.log(`      | ${line}`);
}

/** Runs `argv` in `host` and returns stdout, failing the test on a non-zero exit. */
/** The lab's processes as seen from outside: keepers, sshd, dockerd and their helpers. */
function labPids(lab: LabHosts): number[] {
    return [lab.controllerKeeperPid, ...lab.hosts.flatMap((h) => [h.keeperPid, h.pidOfSshd, h.pidOfDockerd])].filter((p) => p > 0);
}

function assertNothingLeft(stateDir: string, before: number[]): void {
    const netns = fs.existsSync("/run/netns") ? fs.readdirSync("/run/netns").filter((n) => n.startsWith(`${LAB}_`)) : [];
    assert.deepEqual(netns, [], "no namespace of the lab is left");
    assert.deepEqual(before.filter(isAlive), [], "no keeper, sshd or dockerd of the lab is alive");
    const strays = allPids().filter((p) => {
        if (!isAlive(p)) return false;
        if (cmdline(p).startsWith(`macvlan-lab-keeper:${LAB}:`)) return true;
        try {
            return fs.readFileSync(`/proc/${p}/mountinfo`, "utf8").includes(`${stateDir}/`);
        } catch {
            return false;
        }
    });
    assert.deepEqual(strays.map((p) => `${p} ${cmdline(p)}`), [], "no process sees the lab's mounts");
    assert.equal(fs.readFileSync("/proc/self/mountinfo", "utf8").includes(stateDir), false, "no mount under the state dir");
    const cgroups = fs.readdirSync("/sys/fs/cgroup").filter((h) => fs.existsSync(`/sys/fs/cgroup/${h}/macvlan-lab/${LAB}`));
    assert.deepEqual(cgroups, [], "no cgroup of the lab is left");
    assert.equal(fs.existsSync(stateDir), false, "the state dir is removed");
}

describe("lab: hosts on this machine (namespaces, sshd, dockerd)", function () {
    let lab: LabHosts | undefined;
    const up = () => {
        assert.ok(lab, "the lab is up");
        return lab;
    };
    let realDaemonJson: string | undefined;

    before(async function () {
        skipIf(this, hostsUnavailable(), "the real lab");
        this.timeout(120_000);
        await sweepStaleTestLabs();
        realDaemonJson = fs.existsSync("/etc/docker/daemon.json") ? fs.readFileSync("/etc/docker/daemon.json", "utf8") : undefined;
        lab = await hostsUp(topology(), { log });
    });

    after(async function () {
        this.timeout(120_000);
        if (hostsUnavailable() === undefined) await hostsDown(LAB, { log });
    });

    it("runs hostname over SSH from the controller namespace with the lab's key, checking host keys", async function () {
        this.timeout(90_000);
        const l = up();
        assert.match(l.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
        assert.equal(fs.statSync(l.privateKeyPath).mode & 0o777, 0o600);
        const known = fs.readFileSync(l.knownHostsPath, "utf8");
        for (const h of l.hosts) {
            assert.match(l.hostKeys[h.name], /^ssh-ed25519 AAAA[0-9A-Za-z+/=]+$/);
            assert.ok(known.includes(`${h.name},${h.address} ${l.hostKeys[h.name]}\n`));
            const r = await run(l.sshArgv(h.name, "hostname; cat /etc/hostname"), { timeoutMs: 20_000 });
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.stdout, `${h.name}\n${h.name}\n`);
        }
    });

    it("lets the controller reach hosts by name: ssh docker01, docker -H ssh://docker02", async function () {
        this.timeout(90_000);
        const l = up();
        const ssh = await run(l.controllerArgv(["sh", "-c", "hostname; ssh docker01 hostname; ip route show default"]), { timeoutMs: 20_000 });
        assert.equal(ssh.code, 0, ssh.stderr);
        assert.equal(ssh.stdout, `${LAB}-controller\ndocker01\n`);
        const docker = await run(l.controllerArgv(["docker", "-H", "ssh://docker02", "info", "--format", "{{.Name}}"]), { timeoutMs: 20_000 });
        assert.equal(docker.stdout, "docker02\n", docker.stderr);
        assert.equal(fs.existsSync("/root/.ssh/config"), false, "the real /root/.ssh is untouched");
    });

    it("answers docker in every host, each dockerd with its own daemon.json (the real one untouched)", async function () {
        this.timeout(90_000);
        const l = up();
        for (const h of l.hosts) {
            assert.match(await shOk(l, h.name, "docker info --format '{{.ServerVersion}} {{.DockerRootDir}} {{.Name}}'"), new RegExp(`^\\S+ /var/lib/docker ${h.name}\n$`));
            assert.deepEqual(JSON.parse(await shOk(l, h.name, "cat /etc/docker/daemon.json")), { "log-level": "warn" });
            assert.equal(Number(await shOk(l, h.name, "cat /run/docker.pid")), h.pidOfDockerd);
            assert.equal(Number(await shOk(l, h.name, "cat /run/sshd.pid")), h.pidOfSshd);
            assert.match(await shOk(l, h.name, "docker run --rm busybox:latest ping -c1 127.0.0.1"), /1 packets received/);
            assert.match(await shOk(l, h.name, "docker image ls --format '{{.Repository}}:{{.Tag}}' | sort"), /^busybox:latest\nregistry:2\n$/);
        }
        const now = fs.existsSync("/etc/docker/daemon.json") ? fs.readFileSync("/etc/docker/daemon.json", "utf8") : undefined;
        assert.equal(now, realDaemonJson);
        assert.equal(fs.existsSync("/etc/sysconfig"), false, "the real /etc has no sysconfig");
    });

    it("gives each host ens33 (management), ens33.10 and ens33.20, and no default route anywhere", async function () {
        this.timeout(90_000);
        const l = up();
        for (const h of l.hosts) {
            const links = (await shOk(l, h.name, "ls /sys/class/net")).split("\n");
            for (const n of ["ens33", "ens33.10", "ens33.20", "lo"]) assert.ok(links.includes(n), `${h.name} has ${n}: ${links}`);
            assert.match(await shOk(l, h.name, "ip -o -4 addr show dev ens33"), new RegExp(`inet ${h.address.replace(/\./g, "\\.")}/24 `));
            assert.equal(await shOk(l, h.name, "ip route show default"), "");
            assert.equal(await shOk(l, h.name, "ip -o link show ens33 | grep -c veth || true"), "0\n"); // renamed peer: named exactly ens33
            if (l.vlanMode === "emulated") {
                assert.match(await shOk(l, h.name, "ip -d link show ens33.10"), new RegExp(`alias ${emulatedVlanAlias(10, "ens33")}`));
                assert.match(await shOk(l, h.name, "ip -o link show ens33.20"), /state DOWN/);
                assert.equal(await shOk(l, h.name, "cat /run/macvlan-lab/vlan-emulation"), "ens33.10\nens33.20\n");
            }
        }
        const ctl = await run(["ip", "-n", l.controllerNetns, "route", "show", "default"]);
        assert.equal(ctl.code, 0);
        assert.equal(ctl.stdout, "");
        const sw = await run(["ip", "-n", l.switchNetns, "-4", "addr", "show"]);
        assert.doesNotMatch(sw.stdout, /inet (?!127\.)/, "the switch has no address of its own");
    });

    it("puts both hosts' ens33.10 on one segment, ens33.20 on another, never bridged together", async function () {
        this.timeout(90_000);
        const l = up();
        if (l.vlanMode !== "emulated") {
            console.log("      skipped: this kernel has 802.1Q, so the lab makes no emulated VLAN links (the product creates the VLAN devices)");
            this.skip();
        }
        const ping = (host: string, dst: string) =>
            l.exec(host, ["busybox", "ping", "-c", "2", "-W", "1", dst], { timeoutMs: 10_000 });
        try {
            await shOk(l, "docker01", "ip addr add 172.16.10.11/24 dev ens33.10 && ip link set ens33.10 up && ip addr add 172.16.20.11/24 dev ens33.20 && ip link set ens33.20 up");
            await shOk(l, "docker02", "ip addr add 172.16.10.13/24 dev ens33.10 && ip link set ens33.10 up && ip addr add 172.16.20.13/24 dev ens33.20 && ip link set ens33.20 up");
            assert.equal((await ping("docker01", "172.16.10.13")).code, 0, "VLAN 10 crosses hosts");
            assert.equal((await ping("docker02", "172.16.20.11")).code, 0, "VLAN 20 crosses hosts");
            // Move docker02's VLAN-10 address onto its VLAN-20 link: docker01 must not reach it.
            await shOk(l, "docker02", "ip addr del 172.16.10.13/24 dev ens33.10 && ip link set ens33.10 down && ip addr add 172.16.10.13/24 dev ens33.20");
            await shOk(l, "docker01", "ip neigh flush dev ens33.10");
            const leak = await ping("docker01", "172.16.10.13");
            assertNoReply(leak, "VLAN 10 reached docker02's ens33.20");
            const ports = await run(["ip", "-n", l.switchNetns, "-o", "link", "show", "master", "br-v10"]);
            assert.deepEqual(ports.stdout.match(/h\d+-v\d+/g), ["h1-v10", "h2-v10"]);
        } finally {
            for (const h of ["docker01", "docker02"]) {
                await l.exec(h, ["sh", "-c", "for i in ens33.10 ens33.20; do ip addr flush dev $i; ip link set $i down; done"]);
            }
        }
    });

    it("connects busybox containers on a macvlan network on ens33 across the two hosts", async function () {
        this.timeout(90_000);
        const l = up();
        for (const h of ["docker01", "docker02"]) {
            await shOk(l, h, "docker network create -d macvlan --subnet 172.22.16.0/24 --ip-range 172.22.16.64/27 -o parent=ens33 mvl16 >/dev/null");
        }
        await shOk(l, "docker01", "docker run -d --name bbox1 --network mvl16 --ip 172.22.16.11 busybox:latest sleep 600 >/dev/null");
        const out = await shOk(l, "docker02", "docker run --rm --network mvl16 --ip 172.22.16.12 busybox:latest ping -c 2 -W 2 172.22.16.11", 30_000);
        assert.match(out, /2 packets received/);
    });

    it("serves a registry published with -p 5000:5000 on docker01 to docker02, which pushes to it after a SIGHUP", async function () {
        this.timeout(90_000);
        const l = up();
        await shOk(l, "docker01", "docker run -d --name registry -p 5000:5000 registry:2 >/dev/null");
        let v2 = "";
        for (let i = 0; i < 40 && v2 === ""; i++) {
            // (no -T: busybox 1.35's wget -T segfaults; the exec timeout bounds it instead)
            const r = await l.exec("docker02", ["busybox", "wget", "-q", "-O", "-", "http://192.168.1.11:5000/v2/"], { timeoutMs: 5_000 });
            if (r.code === 0) v2 = r.stdout;
            else await new Promise((res) => setTimeout(res, 250));
        }
        assert.equal(v2.trim(), "{}");
        const trust = `{"log-level": "warn", "insecure-registries": ["192.168.1.11:5000"]}`;
        for (const h of ["docker01", "docker02"]) {
            await shOk(l, h, `echo '${trust}' > /etc/docker/daemon.json && kill -HUP "$(cat /run/docker.pid)"`);
            let ok = false;
            for (let i = 0; i < 40 && !ok; i++) {
                ok = (await shOk(l, h, "docker info --format '{{json .RegistryConfig.IndexConfigs}}'")).includes('"192.168.1.11:5000"');
                if (!ok) await new Promise((res) => setTimeout(res, 250));
            }
            assert.ok(ok, `${h} trusts the registry after SIGHUP`);
        }
        await shOk(l, "docker02", "docker tag busybox:latest 192.168.1.11:5000/busybox:v1 && docker push 192.168.1.11:5000/busybox:v1 >/dev/null", 60_000);
        await shOk(l, "docker01", "docker image rm 192.168.1.11:5000/busybox:v1 >/dev/null 2>&1 || true; docker pull 192.168.1.11:5000/busybox:v1 >/dev/null", 60_000);
        assert.equal(await shOk(l, "docker01", "docker run --rm 192.168.1.11:5000/busybox:v1 echo pulled"), "pulled\n");
    });

    it("stops and starts a host's sshd: refused while stopped, back afterwards", async function () {
        this.timeout(90_000);
        const l = up();
        await stopSshd(l, "docker02");
        const down = await run(l.sshArgv("docker02", "true"), { timeoutMs: 15_000 });
        assert.equal(down.code, 255);
        assert.match(down.stderr, /Connection refused/);
        await startSshd(l, "docker02");
        const back = await run(l.sshArgv("docker02", "hostname"), { timeoutMs: 15_000 });
        assert.equal(back.stdout, "docker02\n", back.stderr);
        assert.ok(isAlive(l.hosts[1].pidOfSshd));
    });

    it("execs with input, and kills a command that outruns its timeout", async function () {
        this.timeout(90_000);
        const l = up();
        const r = await l.exec("docker01", ["sh", "-c", "cat; hostname"], { input: "hello\n" });
        assert.deepEqual(r, { code: 0, stdout: "hello\ndocker01\n", stderr: "" });
        const t = Date.now();
        const slow = await l.exec("docker01", ["sh", "-c", "sleep 30; echo late"], { timeoutMs: 500 });
        assert.equal(slow.code, 124);
        assert.doesNotMatch(slow.stdout, /late/);
        // Not a speed test: a bound far from any normal run. The kill returns about 0.5 s in; a
        // timeout that only reported 124 after the command ended would return after the 30 s sleep.
        // 20 s tells the two apart on the busiest machine.
        const took = Date.now() - t;
        assert.ok(took < 20_000, `the exec returned ${took} ms in: was the command left to finish its sleep 30?`);
    });

    it("tears down with containers running, leaving no namespace, process, mount, cgroup or state", async function () {
        this.timeout(120_000);
        const l = up();
        const before = labPids(l);
        assert.ok(before.length === 7 && before.every(isAlive));
        await hostsDown(LAB, { log });
        lab = undefined;
        assertNothingLeft(l.stateDir, before);
        await hostsDown(LAB, { log }); // idempotent
    });

    it("tears down what it made when a bring-up fails half-way", async function () {
        this.timeout(90_000);
        const stateDir = defaultStateDir(LAB);
        await assert.rejects(hostsUp(topology(), { log, failAfter: "dockerd" }), /bring-up failed: failing after phase dockerd/);
        assertNothingLeft(stateDir, []);
    });

    it("comes up again after kill -9 of the keepers, cleaning the leftovers of the killed lab", async function () {
        this.timeout(150_000);
        const first = await hostsUp(topology(), { log });
        await shOk(first, "docker01", "docker run -d --name left busybox:latest sleep 600 >/dev/null");
        const before = labPids(first);
        for (const pid of [first.controllerKeeperPid, ...first.hosts.map((h) => h.keeperPid)]) process.kill(pid, "SIGKILL");
        lab = await hostsUp(topology(), { log });
        assert.deepEqual(before.filter(isAlive), [], "the killed lab's daemons are gone");
        for (const h of lab.hosts) {
            const r = await run(lab.sshArgv(h.name, "hostname"), { timeoutMs: 20_000 });
            assert.equal(r.stdout, `${h.name}\n`, r.stderr);
            assert.equal(await shOk(lab, h.name, "docker ps -aq"), "");
        }
        const again = labPids(lab);
        await hostsDown(LAB, { log });
        const stateDir = lab.stateDir;
        lab = undefined;
        assertNothingLeft(stateDir, again);
    });
});

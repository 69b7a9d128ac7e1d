/**
 * Execution tests of the host networking scripts, for real, as root, inside network namespaces
 * made by the test: `mvltest-h<pid>` is the host (a veth `ens33` stands in for the NIC), its peer
 * sits in `mvltest-s<pid>`. Config dir, modules-load.d, state dir and the lab's VLAN emulation
 * marker are all in a temporary folder. Nothing has a route out; the namespaces and the folder are
 * removed afterwards, also on failure. Scripts run with `ip netns exec <ns> sh -c <script>`.
 *
 * This kernel may lack 802.1Q: the test detects it (an `ip link add ... type vlan` in the test
 * namespace), prints why, and then asserts that the scripts fail with the clear error and change
 * nothing; with the lab's marker and pre-created links it runs the emulated path; where the kernel
 * has 802.1Q it runs the real iproute2 path instead.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { emulatedVlanLinkAlias } from "../../components/contracts";
import { renderKernelModule, renderParentInterface, renderVlanInterface, RenderOptions } from "../../components/host/render";
import { loadLab, RawLabConfig } from "../../components/model/validate";
import { HostSpec, NetworkBackend, VlanSpec } from "../../components/model/types";
import { loadStackConfig, rawLabConfig } from "../../lab/stackFile";
import { folderState } from "../helpers/folderState";
import { mustRun, rootedRenderOptions, run, Run, succeeded } from "../helpers/hostExec";

const NS = `mvltest-h${process.pid}`;
const PEER_NS = `mvltest-s${process.pid}`;

/** `ip` in the host namespace. */
function ipn(...args: string[]): string {
    return mustRun(["ip", "-n", NS, ...args], { timeoutMs: 30_000 });
}

/** Runs a rendered script in the host namespace, as the SSH session would (a shell given the text). */
function runScript(script: string, env: Record<string, string> = {}): Run {
    const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    return run(["ip", "netns", "exec", NS, ...(vars.length > 0 ? ["env", ...vars] : []), "sh", "-c", script]);
}

/** The changes a run reports (`changed: ...` lines). */
function changes(r: Run): string[] {
    return r.stdout.split("\n").filter((l) => l.startsWith("changed: "));
}

/**
 * The namespace's links and addresses (`ip -j addr`: flags, state, alias, every address), for
 * before/after comparisons. Without `qdisc`: the kernel attaches a link's default qdisc the first
 * time it goes up (`noop` becomes `noqueue` on a veth) and keeps it after it goes down again.
 */
function namespaceState(): unknown {
    return (JSON.parse(ipn("-j", "addr", "show")) as Array<Record<string, unknown>>).map(({ qdisc: _qdisc, ...rest }) => rest);
}


function flags(dev: string): string[] {
    return ((JSON.parse(ipn("-j", "link", "show", "dev", dev)) as Array<{ flags: string[] }>)[0]).flags;
}

function ipv4Of(dev: string): string[] {
    const info = JSON.parse(ipn("-j", "-4", "addr", "show", "dev", dev)) as Array<{ addr_info: Array<{ local: string; prefixlen: number }> }>;
    return (info[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
}

/** The lab's side of the emulation contract: a down veth named like the VLAN interface, with the alias. */
function precreateEmulatedLink(dev: string, id: number): void {
    ipn("link", "add", dev, "type", "veth", "peer", "name", `v${id}`, "netns", PEER_NS);
    ipn("link", "set", "dev", dev, "alias", emulatedVlanLinkAlias(id, "ens33"));
}

const IFCFG_ENS33 = [
    "TYPE=Ethernet",
    "BOOTPROTO=none",
    "NAME=ens33",
    "DEVICE=ens33",
    "ONBOOT=yes",
    "IPADDR=192.168.1.11",
    "PREFIX=24",
    "GATEWAY=192.168.1.2",
    // no newline at the end: the edit must not glue PROMISC=yes to the last line
].join("\n");

describe("exec: host networking scripts in a network namespace", function () {
    this.timeout(60_000);
    let root: string;
    let options: Required<RenderOptions>;
    let cfgDir: string;
    /** Why this kernel cannot make 802.1Q devices; undefined when it can. */
    let noVlanReason: string | undefined;
    const spec = loadLab(rawLabConfig(loadStackConfig("multi-vlan")) as RawLabConfig);

    function host(backend: NetworkBackend): HostSpec {
        return { ...spec.hosts[0], backend, configDir: cfgDir };
    }
    function vlan(dev: string): VlanSpec {
        const v = spec.vlans.find((x) => x.interfaceName === dev);
        assert.ok(v);
        return v;
    }
    function markLab(): void {
        fs.mkdirSync(path.dirname(options.emulationMarker), { recursive: true });
        fs.writeFileSync(options.emulationMarker, "ens33.10\nens33.20\n");
    }

    before(function () {
        if (typeof process.getuid === "function" && process.getuid() !== 0) {
            console.log("      skipped: these tests need root (network namespaces, veths, ip link set)");
            this.skip();
        }
        for (const ns of [NS, PEER_NS]) {
            // a namespace of this exact name can only be a leftover of an aborted run of this pid
            run(["ip", "netns", "del", ns]);
            mustRun(["ip", "netns", "add", ns]);
        }
        ipn("link", "add", "ens33", "type", "veth", "peer", "name", "p0", "netns", PEER_NS);
        ipn("link", "set", "dev", "ens33", "up");
        mustRun(["ip", "-n", PEER_NS, "link", "set", "dev", "p0", "up"]);

        // let IPv6 duplicate address detection on ens33 finish (bounded), so snapshots are stable
        for (let i = 0; i < 50 && ipn("-6", "addr", "show", "tentative").trim() !== ""; i++) {
            spawnSync("sleep", ["0.1"]);
        }
        const probe = run(["ip", "-n", NS, "link", "add", "link", "ens33", "name", "mvlprobe", "type", "vlan", "id", "4094"]);
        if (probe.status === 0) {
            ipn("link", "del", "dev", "mvlprobe");
            noVlanReason = undefined;
            console.log("      this kernel has 802.1Q: the real VLAN path runs");
        } else {
            noVlanReason = `ip link add ... type vlan says: ${probe.stderr.trim()}`;
            console.log(`      this kernel has no 802.1Q VLAN devices (${noVlanReason}): the scripts must fail clearly, or run emulated with the lab's marker`);
        }
    });

    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "mvl-exec-"));
        cfgDir = path.join(root, "etc/sysconfig/network-scripts");
        options = rootedRenderOptions(root);
        fs.mkdirSync(path.join(root, "sbin"), { recursive: true });
        fs.mkdirSync(cfgDir, { recursive: true });
        fs.writeFileSync(path.join(cfgDir, "ifcfg-ens33"), IFCFG_ENS33, { mode: 0o640 });
        fs.chmodSync(path.join(cfgDir, "ifcfg-ens33"), 0o640);
        fs.mkdirSync(options.modulesLoadDir, { recursive: true });
        fs.writeFileSync(path.join(options.modulesLoadDir, "other.conf"), "br_netfilter\n");
    });

    afterEach(() => {
        // back to a bare namespace: only ens33, up, not promiscuous, no address
        for (const dev of ["ens33.10", "ens33.20"]) {
            run(["ip", "-n", NS, "link", "del", "dev", dev]);
        }
        run(["ip", "-n", NS, "link", "set", "dev", "ens33", "promisc", "off"]);
        fs.rmSync(root, { recursive: true, force: true });
    });

    after(() => {
        for (const ns of [NS, PEER_NS]) {
            run(["ip", "netns", "del", ns]);
        }
    });

    describe("parent interface", () => {
        it("ifcfg: create twice (the second changes nothing), check passes, delete restores promisc off and the file's bytes", () => {
            const before = { ns: namespaceState(), folder: folderState(root) };
            const s = renderParentInterface(host("ifcfg"), options);

            const first = succeeded(runScript(s.create), "create");
            assert.deepStrictEqual(changes(first), [
                "changed: ens33 is promiscuous now (ip link set dev ens33 promisc on)",
                `changed: wrote ${cfgDir}/ifcfg-ens33 with PROMISC=yes, as the tutorial writes it (only that line: addresses and routes untouched)`,
                `changed: wrote ${options.ifupLocal}, which makes ens33 promiscuous after every ifup (at boot too)`,
            ]);
            assert.ok(flags("ens33").includes("PROMISC"));
            assert.strictEqual(fs.readFileSync(path.join(cfgDir, "ifcfg-ens33"), "utf8"), `${IFCFG_ENS33}\nPROMISC=yes\n`);
            assert.strictEqual(fs.statSync(path.join(cfgDir, "ifcfg-ens33")).mode & 0o777, 0o640, "the file keeps its mode");

            const second = succeeded(runScript(s.create), "second create");
            assert.deepStrictEqual(changes(second), []);
            assert.match(second.stdout, /^nothing changed: ens33 was already promiscuous$/m);

            assert.match(succeeded(runScript(s.check), "check").stdout, /^ok: ens33 promiscuous$/m);

            const del = succeeded(runScript(s.delete), "delete");
            assert.deepStrictEqual(changes(del), [
                `changed: removed ${options.ifupLocal} (create wrote it)`,
                `changed: ${cfgDir}/ifcfg-ens33 has its bytes from before create again`,
                "changed: ens33 is not promiscuous, as before create",
            ]);
            assert.ok(!flags("ens33").includes("PROMISC"));
            assert.deepStrictEqual({ ns: namespaceState(), folder: folderState(root) }, before);
            assert.match(succeeded(runScript(s.delete), "second delete").stdout, /^nothing changed: no record of a create for ens33/m);
        });

        it("ifcfg: check reports a NIC set back by hand and a file without PROMISC=yes", () => {
            const s = renderParentInterface(host("ifcfg"), options);
            succeeded(runScript(s.create), "create");
            ipn("link", "set", "dev", "ens33", "promisc", "off");
            fs.writeFileSync(path.join(cfgDir, "ifcfg-ens33"), IFCFG_ENS33);
            const check = runScript(s.check);
            assert.strictEqual(check.status, 1);
            assert.deepStrictEqual(check.stdout.split("\n").filter((l) => l.startsWith("DRIFT")), [
                "DRIFT: ens33 is not promiscuous (no PROMISC flag in ip link show dev ens33)",
                `DRIFT: ${cfgDir}/ifcfg-ens33 has no PROMISC=yes line`,
            ]);
            fs.rmSync(options.ifupLocal);
            assert.match(runScript(s.check).stdout, new RegExp(`^DRIFT: ${options.ifupLocal} does not set ens33 promiscuous: ens33 would not be promiscuous after a reboot$`, "m"));
            succeeded(runScript(s.delete), "delete");
        });

        /**
         * The boot path of initscripts: `ifup ens33` ends in ifup-post, which runs
         * `if [ -x /sbin/ifup-local ]; then /sbin/ifup-local ${DEVICE}; fi` (initscripts
         * network-scripts/ifup-post). Run here exactly so, with the test's hook path, for every
         * interface the host brings up at boot (lo, ens33, ens33.10).
         */
        function bootPath(): void {
            for (const dev of ["lo", "ens33", "ens33.10"]) {
                const r = run(["ip", "netns", "exec", NS, "sh", "-c", 'if [ -x "$1" ]; then "$1" "$2"; fi', "ifup-post", options.ifupLocal, dev]);
                assert.strictEqual(r.status, 0, `${options.ifupLocal} ${dev}: ${r.stderr}`);
            }
        }

        it("ifcfg, after a reboot: the flag cleared, the boot path (ifup-post runs ifup-local) makes ens33 promiscuous again; delete removes the hook", () => {
            const s = renderParentInterface(host("ifcfg"), options);
            succeeded(runScript(s.create), "create");
            assert.strictEqual(
                fs.readFileSync(options.ifupLocal, "utf8"),
                [
                    "#!/bin/sh",
                    `# ${options.ifupLocal}: initscripts run it after every ifup (at boot too) with the interface name`,
                    "# macvlan-lab begin ens33: promiscuous after ifup (initscripts ignore PROMISC=yes)",
                    `if [ "$1" = 'ens33' ]; then '${mustRun(["sh", "-c", "command -v ip"]).trim()}' link set dev 'ens33' promisc on; fi`,
                    "# macvlan-lab end ens33",
                    "",
                ].join("\n"),
            );
            assert.strictEqual(fs.statSync(options.ifupLocal).mode & 0o777, 0o755);
            // the reboot: the kernel forgets the flag
            ipn("link", "set", "dev", "ens33", "promisc", "off");
            assert.ok(!flags("ens33").includes("PROMISC"));
            bootPath();
            assert.ok(flags("ens33").includes("PROMISC"), "the boot path made ens33 promiscuous again");
            succeeded(runScript(s.check), "check after the boot path");
            succeeded(runScript(s.delete), "delete");
            assert.ok(!fs.existsSync(options.ifupLocal), "delete removed the hook it wrote");
            bootPath();
            assert.ok(!flags("ens33").includes("PROMISC"), "no hook, no flag");
        });

        it("ifcfg: an ifup-local hook of the host's own keeps its lines (and its mode); delete takes only ens33's block out", () => {
            const own = "#!/bin/bash\n# the host's own hook\nlogger \"ifup-local $1\"";
            fs.writeFileSync(options.ifupLocal, own, { mode: 0o700 });
            fs.chmodSync(options.ifupLocal, 0o700);
            const s = renderParentInterface(host("ifcfg"), options);
            succeeded(runScript(s.create), "create");
            const text = fs.readFileSync(options.ifupLocal, "utf8");
            assert.ok(text.startsWith(`${own}\n# macvlan-lab begin ens33: `), text);
            assert.strictEqual(fs.statSync(options.ifupLocal).mode & 0o777, 0o700, "the hook keeps its mode");
            assert.deepStrictEqual(changes(succeeded(runScript(s.create), "second create")), []);
            ipn("link", "set", "dev", "ens33", "promisc", "off");
            bootPath();
            assert.ok(flags("ens33").includes("PROMISC"));
            const del = succeeded(runScript(s.delete), "delete");
            assert.ok(changes(del).includes(`changed: ${options.ifupLocal} has its bytes from before create again`), del.stdout);
            assert.strictEqual(fs.readFileSync(options.ifupLocal, "utf8"), own, "the host's own hook, byte for byte");
            assert.strictEqual(fs.statSync(options.ifupLocal).mode & 0o777, 0o700);

            // edited since create: only ens33's block goes, the edit stays
            succeeded(runScript(s.create), "create again");
            fs.appendFileSync(options.ifupLocal, "echo later\n");
            const del2 = succeeded(runScript(s.delete), "delete after an edit");
            assert.ok(changes(del2).includes(`changed: wrote ${options.ifupLocal} without the lines for ens33`), del2.stdout);
            assert.strictEqual(fs.readFileSync(options.ifupLocal, "utf8"), `${own}\necho later\n`);
        });

        it("ifcfg: a file edited after create keeps the edit; only its PROMISC line goes back (PROMISC=no)", () => {
            fs.writeFileSync(path.join(cfgDir, "ifcfg-ens33"), "DEVICE=ens33\nPROMISC=no\nIPADDR=192.168.1.11\n");
            const s = renderParentInterface(host("ifcfg"), options);
            succeeded(runScript(s.create), "create");
            assert.strictEqual(fs.readFileSync(path.join(cfgDir, "ifcfg-ens33"), "utf8"), "DEVICE=ens33\nPROMISC=yes\nIPADDR=192.168.1.11\n");
            fs.writeFileSync(path.join(cfgDir, "ifcfg-ens33"), "DEVICE=ens33\nPROMISC=yes\nIPADDR=192.168.1.12\n");
            succeeded(runScript(s.delete), "delete");
            assert.strictEqual(fs.readFileSync(path.join(cfgDir, "ifcfg-ens33"), "utf8"), "DEVICE=ens33\nPROMISC=no\nIPADDR=192.168.1.12\n");
            assert.ok(!fs.existsSync(options.stateDir), "the state directory create made is gone");
        });

        it("ifcfg without ifcfg-ens33, and iproute2: runtime only, said so, no file created", () => {
            fs.rmSync(path.join(cfgDir, "ifcfg-ens33"));
            for (const backend of ["ifcfg", "iproute2"] as NetworkBackend[]) {
                const before = { ns: namespaceState(), folder: folderState(root) };
                const s = renderParentInterface(host(backend), options);
                const r = succeeded(runScript(s.create), `${backend} create`);
                assert.match(r.stdout, /^runtime only: /m);
                assert.ok(flags("ens33").includes("PROMISC"));
                assert.deepStrictEqual(fs.readdirSync(cfgDir), []);
                succeeded(runScript(s.check), `${backend} check`);
                succeeded(runScript(s.delete), `${backend} delete`);
                assert.deepStrictEqual({ ns: namespaceState(), folder: folderState(root) }, before);
            }
        });
    });

    describe("8021q and VLAN interfaces without the lab's marker", () => {
        it("on a kernel without 802.1Q: every create fails with the clear error and changes nothing", function () {
            if (noVlanReason === undefined) {
                console.log("      skipped: this kernel has 802.1Q (see the real-path test)");
                this.skip();
            }
            console.log(`      reason: ${noVlanReason}`);
            succeeded(runScript(renderParentInterface(host("ifcfg"), options).create), "parent create");
            const before = { ns: namespaceState(), folder: folderState(root) };
            const attempts: Array<[string, string]> = [
                ["8021q", renderKernelModule(host("ifcfg"), options).create],
                ["ifcfg ens33.10", renderVlanInterface(host("ifcfg"), vlan("ens33.10"), options).create],
                ["iproute2 ens33.20", renderVlanInterface(host("iproute2"), vlan("ens33.20"), options).create],
            ];
            for (const [what, script] of attempts) {
                const r = runScript(script);
                assert.strictEqual(r.status, 1, `${what} should fail:\n${r.stdout}${r.stderr}`);
                assert.match(r.stderr, /^ERROR: 802\.1Q VLAN devices are not supported by this kernel: 8021q is neither loaded nor built in \(no \/proc\/net\/vlan\/config\)/m, what);
                assert.deepStrictEqual(changes(r), [], what);
                assert.deepStrictEqual({ ns: namespaceState(), folder: folderState(root) }, before, `${what} changed something`);
            }
            const check = runScript(renderVlanInterface(host("ifcfg"), vlan("ens33.10"), options).check);
            assert.strictEqual(check.status, 1);
            assert.match(check.stdout, /^DRIFT: 802\.1Q VLAN devices are not supported by this kernel: /m);
            assert.match(check.stdout, /^DRIFT: ens33\.10 is missing$/m);
        });

        it("nmcli without NetworkManager: a clear error, nothing changed", () => {
            const probe = run(["sh", "-c", "command -v nmcli"]);
            if (probe.status === 0) {
                console.log("      note: nmcli is installed here; only the missing-NetworkManager case is asserted when it is not running");
            }
            const before = { ns: namespaceState(), folder: folderState(root) };
            for (const script of [
                renderParentInterface(host("nmcli"), options).create,
                renderVlanInterface(host("nmcli"), vlan("ens33.10"), options).create,
            ]) {
                const r = runScript(script);
                if (probe.status === 0 && r.status === 0) {
                    continue;
                }
                assert.strictEqual(r.status, 1);
                assert.match(r.stderr, /^ERROR: the nmcli backend needs NetworkManager: nmcli is missing or NetworkManager is not running/m);
                assert.deepStrictEqual({ ns: namespaceState(), folder: folderState(root) }, before);
            }
        });
    });

    describe("emulated VLANs (the lab's marker and pre-created links)", () => {
        beforeEach(function () {
            if (noVlanReason === undefined) {
                console.log("      skipped: this kernel has 802.1Q, so the lab does not emulate VLANs");
                this.skip();
            }
        });

        it("the whole host, ifcfg: parent, 8021q, ens33.10 and ens33.20 twice, check, drift, delete restores namespace and folder", () => {
            markLab();
            precreateEmulatedLink("ens33.10", 10);
            precreateEmulatedLink("ens33.20", 20);
            const before = { ns: namespaceState(), folder: folderState(root) };
            const parent = renderParentInterface(host("ifcfg"), options);
            const module = renderKernelModule(host("ifcfg"), options);
            const v10 = renderVlanInterface(host("ifcfg"), vlan("ens33.10"), options);
            const v20 = renderVlanInterface(host("ifcfg"), vlan("ens33.20"), options);

            succeeded(runScript(parent.create), "parent create");
            const m1 = succeeded(runScript(module.create), "8021q create");
            assert.match(m1.stdout, /^EMULATED: this kernel has no 802\.1Q VLAN support \(8021q is neither loaded nor built in .*\); the lab marker .* says VLANs are emulated on docker01/m);
            assert.strictEqual(fs.readFileSync(path.join(options.modulesLoadDir, "8021q.conf"), "utf8"), "# macvlan-lab: 802.1Q VLAN support at boot, for the VLAN interfaces of this host\n8021q\n");
            for (const [s, dev, address, ip] of [
                [v10, "ens33.10", "192.168.10.10/24", "192.168.10.10"],
                [v20, "ens33.20", "192.168.20.20/24", "192.168.20.20"],
            ] as const) {
                const r = succeeded(runScript(s.create), `${dev} create`);
                assert.match(r.stdout, new RegExp(`^EMULATED: this kernel has no 802\\.1Q VLAN devices .*: .*ifcfg-${dev.replace(".", "\\.")} is written as on a real host, but instead of ifup`, "m"));
                assert.deepStrictEqual(changes(r), [
                    `changed: wrote ${cfgDir}/ifcfg-${dev}`,
                    `changed: ${dev} has ${address} (ip addr replace)`,
                    `changed: ${dev} is up (ip link set up)`,
                ]);
                assert.deepStrictEqual(ipv4Of(dev), [address]);
                assert.ok(flags(dev).includes("UP"));
                assert.strictEqual(
                    fs.readFileSync(path.join(cfgDir, `ifcfg-${dev}`), "utf8"),
                    `# macvlan-lab: VLAN ${dev.split(".")[1]} on ens33, written by pulumi (delete puts back what was here before)\n` +
                        `DEVICE=${dev}\nNAME=${dev}\nBOOTPROTO=none\nONBOOT=yes\nVLAN=yes\nPHYSDEV=ens33\nIPADDR=${ip}\nPREFIX=24\n`,
                );
            }
            for (const [what, s] of [["parent", parent], ["8021q", module], ["ens33.10", v10], ["ens33.20", v20]] as const) {
                const again = succeeded(runScript(s.create), `${what} second create`);
                assert.deepStrictEqual(changes(again), [], `${what} second create changed something`);
                assert.match(again.stdout, /^nothing changed: /m, what);
                assert.match(succeeded(runScript(s.check), `${what} check`).stdout, /^ok: /m);
            }

            // drift: another address by hand, an edited file
            ipn("addr", "del", "192.168.10.10/24", "dev", "ens33.10");
            ipn("addr", "add", "192.168.10.99/24", "dev", "ens33.10");
            fs.appendFileSync(path.join(cfgDir, "ifcfg-ens33.10"), "GATEWAY=192.168.10.2\n");
            const drift = runScript(v10.check);
            assert.strictEqual(drift.status, 1);
            assert.deepStrictEqual(drift.stdout.split("\n").filter((l) => l.startsWith("DRIFT")), [
                "DRIFT: ens33.10 does not have 192.168.10.10/24 (it has: 192.168.10.99/24)",
                `DRIFT: ${cfgDir}/ifcfg-ens33.10 differs from what create writes:`,
            ]);
            assert.match(drift.stdout, /^    \+GATEWAY=192\.168\.10\.2$/m);
            assert.match(drift.stdout, /^drift: 2 difference\(s\) from the declared state of ens33\.10 with 192\.168\.10\.10\/24$/m);
            // a link that is not the lab's: wrong alias
            ipn("link", "set", "dev", "ens33.20", "alias", "something else");
            assert.match(runScript(v20.check).stdout, /^DRIFT: ens33\.20 is not the lab's emulated VLAN link: its alias is 'something else', not 'macvlan-lab emulated VLAN 20 on ens33'$/m);
            ipn("link", "set", "dev", "ens33.20", "alias", "macvlan-lab emulated VLAN 20 on ens33");
            // the stray address is the user's to remove; create puts back the address and the file
            ipn("addr", "del", "192.168.10.99/24", "dev", "ens33.10");
            assert.deepStrictEqual(changes(succeeded(runScript(v10.create), "repairing create")), [
                `changed: wrote ${cfgDir}/ifcfg-ens33.10`,
                "changed: ens33.10 has 192.168.10.10/24 (ip addr replace)",
            ]);
            succeeded(runScript(v10.check), "check after repair");

            for (const [what, s] of [["ens33.20", v20], ["ens33.10", v10], ["8021q", module], ["parent", parent]] as const) {
                const del = succeeded(runScript(s.delete), `${what} delete`);
                assert.ok(changes(del).length > 0, `${what} delete changed nothing`);
            }
            assert.ok(!flags("ens33.10").includes("UP"), "the lab's link is down again");
            assert.deepStrictEqual({ ns: namespaceState(), folder: folderState(root) }, before);
            for (const s of [v20, v10, module, parent]) {
                assert.match(succeeded(runScript(s.delete), "second delete").stdout, /^nothing changed: /m);
            }
        });

        it("iproute2: create twice, check, delete: address and up state only, the lab's link stays", () => {
            markLab();
            precreateEmulatedLink("ens33.10", 10);
            const before = { ns: namespaceState(), folder: folderState(root) };
            const s = renderVlanInterface(host("iproute2"), vlan("ens33.10"), options);
            const r = succeeded(runScript(s.create), "create");
            assert.match(r.stdout, /^EMULATED: .*instead of ip link add, the address goes on the lab's pre-created link ens33\.10/m);
            assert.match(r.stdout, /^runtime only: the iproute2 backend keeps no configuration/m);
            assert.deepStrictEqual(changes(succeeded(runScript(s.create), "second create")), []);
            succeeded(runScript(s.check), "check");
            succeeded(runScript(s.delete), "delete");
            assert.deepStrictEqual({ ns: namespaceState(), folder: folderState(root) }, before);
        });

        it("8021q: a missing modules-load.d is made and removed again; an existing 8021q.conf gets the line and its bytes back", () => {
            markLab();
            const module = renderKernelModule(host("ifcfg"), options);
            fs.rmSync(path.join(root, "etc/modules-load.d"), { recursive: true });
            fs.rmSync(path.join(root, "etc/sysconfig"), { recursive: true });
            const bare = { ns: namespaceState(), folder: folderState(root) };
            const made = succeeded(runScript(module.create), "create without modules-load.d");
            assert.ok(changes(made).includes(`changed: made ${options.modulesLoadDir}`), made.stdout);
            succeeded(runScript(module.check), "check");
            succeeded(runScript(module.delete), "delete");
            assert.deepStrictEqual({ ns: namespaceState(), folder: folderState(root) }, bare);

            fs.mkdirSync(options.modulesLoadDir, { recursive: true });
            fs.writeFileSync(path.join(options.modulesLoadDir, "8021q.conf"), "# the admin's own\nbonding");
            const before = { ns: namespaceState(), folder: folderState(root) };
            succeeded(runScript(module.create), "create with an 8021q.conf");
            assert.strictEqual(fs.readFileSync(path.join(options.modulesLoadDir, "8021q.conf"), "utf8"), "# the admin's own\nbonding\n8021q\n");
            assert.deepStrictEqual(changes(succeeded(runScript(module.create), "second create")), []);
            succeeded(runScript(module.delete), "delete");
            assert.deepStrictEqual({ ns: namespaceState(), folder: folderState(root) }, before);

            fs.writeFileSync(path.join(options.modulesLoadDir, "8021q.conf"), "8021q\n");
            const listed = { ns: namespaceState(), folder: folderState(root) };
            const r = succeeded(runScript(module.create), "create with 8021q listed");
            assert.match(r.stdout, /^unchanged: .*8021q\.conf loads 8021q at boot$/m);
            succeeded(runScript(module.delete), "delete");
            assert.deepStrictEqual({ ns: namespaceState(), folder: folderState(root) }, listed);
        });

        it("a failed bring-up restores the previous file and state (an injected ip addr failure)", () => {
            markLab();
            precreateEmulatedLink("ens33.10", 10);
            // a hand-written file from the tutorial, with its GATEWAY line
            fs.writeFileSync(path.join(cfgDir, "ifcfg-ens33.10"), "BOOTPROTO=none\nNAME=ens33.10\nDEVICE=ens33.10\nONBOOT=yes\nIPADDR=192.168.10.10\nPREFIX=24\nGATEWAY=192.168.10.2\nVLAN=yes\n");
            const fake = path.join(root, "fakebin");
            fs.mkdirSync(fake);
            const realIp = mustRun(["sh", "-c", "command -v ip"]).trim();
            fs.writeFileSync(
                path.join(fake, "ip"),
                `#!/bin/sh\nif [ "$1" = addr ] && [ "$2" = replace ]; then echo "RTNETLINK answers: injected failure" >&2; exit 2; fi\nexec ${realIp} "$@"\n`,
            );
            fs.chmodSync(path.join(fake, "ip"), 0o755);
            const before = { ns: namespaceState(), folder: folderState(root) };
            const s = renderVlanInterface(host("ifcfg"), vlan("ens33.10"), options);
            const r = runScript(s.create, { PATH: `${fake}:/usr/sbin:/usr/bin:/sbin:/bin` });
            assert.strictEqual(r.status, 2, r.stdout + r.stderr);
            assert.match(r.stdout, new RegExp(`^changed: wrote ${cfgDir}/ifcfg-ens33\\.10$`, "m"));
            assert.match(r.stderr, /RTNETLINK answers: injected failure\nfailed \(exit 2\): undoing what this run changed\n/);
            assert.deepStrictEqual({ ns: namespaceState(), folder: folderState(root) }, before);
        });

        it("the marker without the lab's link, or with a link that is not the lab's: a clear error, nothing changed", () => {
            markLab();
            const before = { ns: namespaceState(), folder: folderState(root) };
            const s = renderVlanInterface(host("ifcfg"), vlan("ens33.10"), options);
            const missing = runScript(s.create);
            assert.strictEqual(missing.status, 1);
            assert.match(missing.stderr, /^ERROR: the lab marker .* says VLANs are emulated, but the lab has not created the link ens33\.10$/m);
            assert.deepStrictEqual({ ns: namespaceState(), folder: folderState(root) }, before);

            ipn("link", "add", "ens33.10", "type", "veth", "peer", "name", "v10", "netns", PEER_NS);
            const before2 = { ns: namespaceState(), folder: folderState(root) };
            const foreign = runScript(s.create);
            assert.strictEqual(foreign.status, 1);
            assert.match(foreign.stderr, /^ERROR: ens33\.10 is not the lab's emulated VLAN link: its alias is '', not 'macvlan-lab emulated VLAN 10 on ens33'$/m);
            assert.deepStrictEqual({ ns: namespaceState(), folder: folderState(root) }, before2);
        });
    });

    describe("real 802.1Q", () => {
        it("iproute2 on a kernel with 802.1Q: create twice, check, wrong id detected, delete restores", function () {
            if (noVlanReason !== undefined) {
                console.log(`      skipped: this kernel has no 802.1Q (${noVlanReason}); the emulated and failure paths ran instead`);
                this.skip();
            }
            const before = { ns: namespaceState(), folder: folderState(root) };
            const s = renderVlanInterface(host("iproute2"), vlan("ens33.10"), options);
            const r = succeeded(runScript(s.create), "create");
            assert.ok(changes(r).includes("changed: created ens33.10 (ip link add link ens33 name ens33.10 type vlan id 10)"), r.stdout);
            assert.deepStrictEqual(changes(succeeded(runScript(s.create), "second create")), []);
            succeeded(runScript(s.check), "check");
            assert.deepStrictEqual(ipv4Of("ens33.10"), ["192.168.10.10/24"]);
            // the same name with another id is drift
            ipn("link", "del", "dev", "ens33.10");
            ipn("link", "add", "link", "ens33", "name", "ens33.10", "type", "vlan", "id", "11");
            assert.match(runScript(s.check).stdout, /^DRIFT: ens33\.10 should be VLAN 10 on ens33, but it is VLAN 11 on ens33$/m);
            ipn("link", "del", "dev", "ens33.10");
            succeeded(runScript(s.create), "create again");
            succeeded(runScript(s.delete), "delete");
            assert.deepStrictEqual({ ns: namespaceState(), folder: folderState(root) }, before);
        });
    });
});

/**
 * Execution tests of the persistent backends' scripts (issue 21) where they can run on this machine:
 * as root, in network namespaces made by the test (`mvlbk-h<pid>` is the host, with a veth `ens33`
 * whose peer sits in `mvlbk-s<pid>`; `mvlbk-b<pid>` is the same host after a "reboot": a fresh
 * namespace), every path in a temporary folder. This kernel has no 802.1Q, so the VLANs run the
 * lab's emulated path (its marker and pre-created links): the backends' files are written as on a
 * real host, nothing of systemd-networkd, netplan, ifupdown or NetworkManager runs here (their real
 * runs are the VM tests, test/vm/backends.test.ts). What is proved here:
 * - backend auto on a host like the local lab's (marker, ifcfg-ens33, no init system): it picks
 *   ifcfg and says why, records the pick per component and removes the records on delete, every
 *   component of the host (parent, 8021q, VLAN, shim, router) twice, check, delete back to the
 *   namespace and folder as they were;
 * - networkd, netplan and ifupdown: a VLAN's files written and removed, a host that lacks what the
 *   backend needs refused before anything changes;
 * - the boot-time hooks run as their owners run them: ifupdown's if-up.d hook (IFACE set), the
 *   NetworkManager dispatcher script (interface and action), and, in a fresh namespace, the router's
 *   sysctl.d file and unit (systemd-sysctl with the file, the unit's ExecStart lines in order, `-`
 *   meaning a failure is ignored) and a link's ARP file: forwarding, the chain, its rules and
 *   FORWARD's jump come back, as do the ARP settings.
 * Fakes on PATH stand for NetworkManager where a test needs one (`nmcli`, `NetworkManager
 * --print-config`); they answer only the questions the scripts ask and fail on any other.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { emulatedVlanLinkAlias, ROUTER_CHAIN } from "../../components/contracts";
import { HostScripts, RenderOptions, renderKernelModule, renderParentInterface, renderVlanInterface } from "../../components/host/render";
import { renderHostShim, renderRouterForwarding, renderRouterLeg, routerRules, shimRoutes } from "../../components/host/routing";
import { planLab } from "../../components/model/plan";
import { DEFAULT_CONFIG_DIRS, parseLab, RawLabConfig } from "../../components/model/validate";
import { HostSpec, LabSpec, NetworkBackend } from "../../components/model/types";
import { loadStackConfig, rawLabConfig } from "../../lab/stackFile";
import { folderState } from "../helpers/folderState";
import { mustRun, rootedRenderOptions, run, Run, succeeded } from "../helpers/hostExec";

const NS = `mvlbk-h${process.pid}`;
const PEER_NS = `mvlbk-s${process.pid}`;
const BOOT_NS = `mvlbk-b${process.pid}`;

const ipn = (...args: string[]) => mustRun(["ip", "-n", NS, ...args]);
const changes = (r: Run) => r.stdout.split("\n").filter((l) => l.startsWith("changed: "));
function flags(ns: string, dev: string): string[] {
    return (JSON.parse(mustRun(["ip", "-n", ns, "-j", "link", "show", "dev", dev])) as Array<{ flags: string[] }>)[0].flags;
}
/** Waits (5 s at most) until IPv6 duplicate address detection is over in the host namespace, so snapshots are stable. */
function settled(): void {
    for (let i = 0; i < 50 && ipn("-6", "addr", "show", "tentative").trim() !== ""; i++) spawnSync("sleep", ["0.1"]);
}
function namespaceState(): unknown {
    settled();
    return (JSON.parse(ipn("-j", "addr", "show")) as Array<Record<string, unknown>>).map(({ qdisc: _q, ...rest }) => rest);
}
function routes(): string {
    return ipn("-4", "route", "show");
}
function iptablesIn(ns: string): string {
    return mustRun(["ip", "netns", "exec", ns, "iptables", "-w", "-S"]);
}

describe("exec: the persistent backends' scripts in network namespaces (emulated VLANs, boot-time hooks)", function () {
    this.timeout(120_000);
    let spec: LabSpec;
    let root: string;
    let bin: string;
    let options: Required<RenderOptions>;
    let vlanCapable = false;

    /** Runs a script in the host namespace as an SSH session would, with the test's fakes first on PATH. */
    function runScript(script: string, ns = NS): Run {
        return run(["ip", "netns", "exec", ns, "env", `PATH=${bin}:/usr/sbin:/usr/bin:/sbin:/bin`, "sh", "-c", script]);
    }
    /** The rendered script with its default directories moved into the test's folder (backend auto reads each backend's defaults). */
    function moved(script: string): string {
        return script
            .split("\n")
            .map((l) => l.replace(/^([a-z_]+)='(\/etc\/[^']*)'$/, (_m, k: string, v: string) => `${k}='${root}${v}'`))
            .join("\n");
    }
    function host(backend: NetworkBackend, name = "docker01"): HostSpec {
        const h = spec.hosts.find((x) => x.name === name)!;
        return { ...h, backend, configDir: backend === "auto" ? "" : path.join(root, DEFAULT_CONFIG_DIRS[backend]) };
    }
    const vlan = (id: number) => spec.vlans.find((v) => v.id === id)!;
    const net = (name: string) => spec.networks.find((n) => n.name === name)!;
    function markLab(): void {
        fs.mkdirSync(path.dirname(options.emulationMarker), { recursive: true });
        fs.writeFileSync(options.emulationMarker, "ens33.10\nens33.20\nens33.30\n");
        for (const [dev, id] of [["ens33.10", 10], ["ens33.20", 20], ["ens33.30", 30]] as const) {
            ipn("link", "add", dev, "type", "veth", "peer", "name", `v${id}`, "netns", PEER_NS);
            ipn("link", "set", "dev", dev, "alias", emulatedVlanLinkAlias(id, "ens33"));
        }
    }
    function fake(name: string, body: string): void {
        fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}`, { mode: 0o755 });
    }

    before(function () {
        if (typeof process.getuid === "function" && process.getuid() !== 0) {
            console.log("      skipped: these tests need root (network namespaces, veths, iptables)");
            this.skip();
        }
        const { spec: s, errors } = parseLab(rawLabConfig(loadStackConfig("multi-vlan-routed")) as RawLabConfig);
        assert.deepStrictEqual(errors, []);
        spec = s!;
        for (const ns of [NS, PEER_NS, BOOT_NS]) {
            run(["ip", "netns", "del", ns]);
            mustRun(["ip", "netns", "add", ns]);
        }
        const probe = run(["ip", "-n", NS, "link", "add", "link", "lo", "name", "mvlprobe", "type", "vlan", "id", "4094"]);
        vlanCapable = probe.status === 0;
        if (vlanCapable) {
            console.log("      skipped: this kernel has 802.1Q, so the lab does not emulate VLANs (the VM tests run these backends for real)");
            this.skip();
        }
    });

    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "mvl-backends-"));
        bin = path.join(root, "bin");
        fs.mkdirSync(bin);
        options = rootedRenderOptions(root);
        for (const d of ["sbin", "etc/sysconfig/network-scripts", "etc/systemd/system", "etc/sysctl.d", "etc/NetworkManager/dispatcher.d", "etc/systemd/network", "etc/netplan", "etc/network/interfaces.d", "etc/network/if-up.d", "etc/modules-load.d"]) {
            fs.mkdirSync(path.join(root, d), { recursive: true });
        }
        fs.writeFileSync(path.join(root, "etc/sysconfig/network-scripts/ifcfg-ens33"), "DEVICE=ens33\nONBOOT=yes\nIPADDR=192.168.1.11\nPREFIX=24\n");
        fs.writeFileSync(path.join(root, "etc/network/interfaces"), `source ${root}/etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n`);
        ipn("link", "add", "ens33", "type", "veth", "peer", "name", "p0", "netns", PEER_NS);
        ipn("link", "set", "dev", "ens33", "up");
        mustRun(["ip", "-n", PEER_NS, "link", "set", "dev", "p0", "up"]);
    });

    afterEach(() => {
        for (const dev of ["ens33", "ens33.10", "ens33.20", "ens33.30"]) run(["ip", "-n", NS, "link", "del", "dev", dev]);
        for (const ns of [NS, BOOT_NS]) {
            run(["ip", "netns", "exec", ns, "iptables", "-w", "-F"]);
            run(["ip", "netns", "exec", ns, "iptables", "-w", "-X"]);
        }
        fs.rmSync(root, { recursive: true, force: true });
    });

    after(() => {
        for (const ns of [NS, PEER_NS, BOOT_NS]) run(["ip", "netns", "del", ns]);
    });

    it("auto on a host like the local lab's: ifcfg, said why, recorded per component; the whole host twice, check, delete back to how it was", () => {
        markLab();
        const before = { ns: namespaceState(), routes: routes(), iptables: iptablesIn(NS), folder: folderState(root) };
        const h = host("auto");
        const { plan } = planLab(spec);
        const parts: Array<[string, HostScripts]> = [
            ["parent", renderParentInterface(h, options)],
            ["8021q", renderKernelModule(h, options)],
            ["ens33.10", renderVlanInterface(h, vlan(10), options)],
            ["ens33.20", renderVlanInterface(h, vlan(20), options)],
            ["mac0", renderHostShim(h, { network: net("mac_net10"), address: "172.16.10.2", name: "mac0", routes: shimRoutes(plan, "mac_net10", "docker01", spec.containers) }, options)],
            ["rtr1", renderRouterLeg(h, net("mac_net20"), "rtr1", options)],
            ["rtr0", renderRouterLeg(h, net("mac_net10"), "rtr0", options)],
            ["forwarding", renderRouterForwarding(h, { networks: [net("mac_net10"), net("mac_net20")], allow: [["mac_net10", "mac_net20"]], legs: { mac_net10: "rtr0", mac_net20: "rtr1" } }, options)],
        ];
        const first = new Map<string, Run>();
        for (const [what, s] of parts) first.set(what, succeeded(runScript(moved(s.create)), `${what} create`));
        const why = `backend auto: ifcfg (the local lab's host (${options.emulationMarker} says its VLANs are emulated): ${root}/etc/sysconfig/network-scripts/ifcfg-ens33 as on the tutorial's CentOS 7, the ifcfg files written and the links brought up by the lab, no ifup)`;
        assert.ok(first.get("parent")!.stdout.split("\n").includes(why), first.get("parent")!.stdout);
        assert.ok(
            first.get("ens33.10")!.stdout.split("\n").includes(`backend auto: ifcfg (the backend the other components of this host use (their records in ${options.stateDir}/host))`),
            first.get("ens33.10")!.stdout,
        );
        assert.deepStrictEqual(
            fs.readdirSync(path.join(options.stateDir!, "host")).filter((f) => f.endsWith(".backend")).sort(),
            ["link-mac0.backend", "link-rtr0.backend", "link-rtr1.backend", "parent-ens33.backend", "vlan-ens33.10.backend", "vlan-ens33.20.backend"],
        );
        assert.strictEqual(fs.readFileSync(path.join(options.stateDir!, "host", "vlan-ens33.10.backend"), "utf8"), "ifcfg\n");
        assert.strictEqual(fs.readFileSync(path.join(root, "etc/sysconfig/network-scripts/ifcfg-ens33.10"), "utf8").split("\n")[1], "DEVICE=ens33.10");
        assert.ok(fs.existsSync(path.join(root, "etc/systemd/system/macvlan-lab-mac0.service")), "ifcfg keeps a shim as a unit");
        assert.ok(fs.existsSync(path.join(root, "etc/sysctl.d/90-macvlan-lab-link-mac0.conf")), "auto's pick is persistent: the link's ARP file");
        assert.ok(fs.existsSync(path.join(root, "etc/systemd/system/macvlan-lab-router.service")), "and the router's unit");
        assert.match(first.get("forwarding")!.stdout, /^systemd is not running on docker01: macvlan-lab-router\.service and 90-macvlan-lab-router\.conf are written and take effect at the next boot$/m);
        assert.ok(flags(NS, "ens33").includes("PROMISC"));
        for (const [what, s] of parts) {
            const again = succeeded(runScript(moved(s.create)), `${what} second create`);
            assert.deepStrictEqual(changes(again), [], `${what} second create changed something`);
            assert.match(succeeded(runScript(moved(s.check)), `${what} check`).stdout, /^ok: /m, what);
        }
        for (const [what, s] of [...parts].reverse()) succeeded(runScript(moved(s.delete)), `${what} delete`);
        assert.deepStrictEqual({ ns: namespaceState(), routes: routes(), iptables: iptablesIn(NS), folder: folderState(root) }, before);
        for (const [what, s] of [...parts].reverse()) {
            const again = succeeded(runScript(moved(s.delete)), `${what} second delete`);
            assert.match(again.stdout, /^nothing changed: /m, what);
        }
    });

    it("auto on a host it cannot tell (no marker, nothing that keeps configuration): create refuses before anything changes", () => {
        const before = folderState(root);
        const r = runScript(moved(renderParentInterface(host("auto"), options).create));
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /^ERROR: backend auto cannot tell which network stack manages ens33 on docker01: no network stack that keeps configuration manages ens33 \(.*\); backend auto never picks iproute2, which keeps nothing\. Fix: set the host's backend in the stack/m);
        assert.ok(!flags(NS, "ens33").includes("PROMISC"));
        assert.deepStrictEqual(folderState(root), before);
    });

    for (const backend of ["networkd", "netplan", "ifupdown"] as NetworkBackend[]) {
        it(`${backend}: an emulated VLAN's files written as on a real host (nothing of ${backend} runs here), twice, check, delete removes them`, () => {
            markLab();
            const before = { ns: namespaceState(), folder: folderState(root) };
            const s = renderVlanInterface(host(backend), vlan(10), options);
            const r = succeeded(runScript(s.create), "create");
            assert.match(r.stdout, /^EMULATED: this kernel has no 802\.1Q VLAN devices/m);
            const written = folderState(root).filter((f) => !before.folder.some((b) => b.path === f.path) && !f.path.startsWith("var/"));
            const expected = {
                networkd: ["etc/systemd/network/10-macvlan-lab-ens33.10.netdev", "etc/systemd/network/10-macvlan-lab-ens33.10.network"],
                netplan: ["etc/netplan/90-macvlan-lab-ens33.10.yaml"],
                ifupdown: ["etc/network/interfaces.d/macvlan-lab-1-vlan-ens33_10"],
            }[backend as "networkd" | "netplan" | "ifupdown"];
            assert.deepStrictEqual(written.map((f) => f.path), expected);
            if (backend === "netplan") assert.strictEqual(written[0].mode, "600", "netplan wants its files private");
            assert.deepStrictEqual(changes(succeeded(runScript(s.create), "second create")), []);
            assert.match(succeeded(runScript(s.check), "check").stdout, /^ok: /m);
            fs.appendFileSync(path.join(root, expected[0]), "# an edit\n");
            assert.match(runScript(s.check).stdout, new RegExp(`^DRIFT: ${root}/${expected[0].replace(/\./g, "\\.")} differs from what create writes:$`, "m"));
            succeeded(runScript(s.delete), "delete");
            assert.deepStrictEqual({ ns: namespaceState(), folder: folderState(root) }, before);
        });
    }

    it("ifupdown: a host whose interfaces file does not read interfaces.d is refused with the line to add, nothing changed", () => {
        markLab();
        fs.writeFileSync(path.join(root, "etc/network/interfaces"), "auto lo\niface lo inet loopback\n");
        const before = { ns: namespaceState(), folder: folderState(root) };
        const r = runScript(renderVlanInterface(host("ifupdown"), vlan(10), options).create);
        assert.strictEqual(r.status, 1);
        assert.strictEqual(
            r.stderr,
            `ERROR: ${root}/etc/network/interfaces does not read ${root}/etc/network/interfaces.d, where the ifupdown backend keeps its stanzas (macvlan-lab never edits the host's own file); add the line: source ${root}/etc/network/interfaces.d/*\n`,
        );
        assert.deepStrictEqual({ ns: namespaceState(), folder: folderState(root) }, before);
    });

    it("ifupdown's if-up.d hook, run as ifupdown runs it at boot (IFACE set): the NIC promiscuous when it or a VLAN of it comes up, not for another interface", () => {
        const before = folderState(root);
        const s = renderParentInterface(host("ifupdown"), options);
        succeeded(runScript(s.create), "create");
        const hook = path.join(root, "etc/network/if-up.d/macvlan-lab-promisc-ens33");
        assert.strictEqual(fs.statSync(hook).mode & 0o777, 0o755);
        for (const [iface, promisc] of [["lo", false], ["ens33", true], ["ens33.10", true], ["ens330", false]] as const) {
            ipn("link", "set", "dev", "ens33", "promisc", "off");
            mustRun(["ip", "netns", "exec", NS, "env", `IFACE=${iface}`, "sh", "-c", "exec run-parts --regex . \"$0\"", path.dirname(hook)]);
            assert.strictEqual(flags(NS, "ens33").includes("PROMISC"), promisc, `IFACE=${iface}`);
        }
        succeeded(runScript(s.delete), "delete");
        assert.deepStrictEqual(folderState(root), before);
    });

    it("ifcfg where NetworkManager reads the ifcfg files (CentOS 7): the ifup-local hook and a dispatcher script, which NetworkManager's dispatcher runs with the interface and the action", () => {
        fake("nmcli", 'case "$*" in "-t -f RUNNING general") echo running ;; *) echo "fake nmcli: unexpected $*" >&2; exit 3 ;; esac\n');
        fake("NetworkManager", '[ "$1" = --print-config ] || exit 3\nprintf "[main]\\nplugins=ifcfg-rh\\n"\n');
        const before = folderState(root);
        const s = renderParentInterface(host("ifcfg"), options);
        const r = succeeded(runScript(s.create), "create");
        const dispatcher = path.join(root, "etc/NetworkManager/dispatcher.d/90-macvlan-lab-promisc-ens33");
        assert.ok(
            changes(r).includes(`changed: wrote ${dispatcher}, NetworkManager's dispatcher script that makes ens33 promiscuous each time it comes up (NetworkManager reads ${root}/etc/sysconfig/network-scripts/ifcfg-ens33, so ifup hands ens33 to it and ifup-local does not run)`),
            r.stdout,
        );
        assert.strictEqual(fs.statSync(dispatcher).mode & 0o777, 0o755);
        for (const [args, promisc] of [[["ens33", "down"], false], [["lo", "up"], false], [["ens33", "up"], true]] as const) {
            ipn("link", "set", "dev", "ens33", "promisc", "off");
            mustRun(["ip", "netns", "exec", NS, dispatcher, ...args]);
            assert.strictEqual(flags(NS, "ens33").includes("PROMISC"), promisc, args.join(" "));
        }
        assert.match(succeeded(runScript(s.check), "check").stdout, /^ok: /m);
        fs.rmSync(dispatcher);
        assert.match(runScript(s.check).stdout, new RegExp(`^DRIFT: ${dispatcher.replace(/\./g, "\\.")} is missing`, "m"));
        succeeded(runScript(s.create), "create again");
        succeeded(runScript(s.delete), "delete");
        assert.deepStrictEqual(folderState(root), before);
        // with NM_CONTROLLED=no the initscripts run ifup-post themselves: no dispatcher script
        fs.appendFileSync(path.join(root, "etc/sysconfig/network-scripts/ifcfg-ens33"), "NM_CONTROLLED=no\n");
        succeeded(runScript(s.create), "create with NM_CONTROLLED=no");
        assert.ok(!fs.existsSync(dispatcher));
        succeeded(runScript(s.delete), "delete");
    });

    it("nmcli on a NetworkManager without accept-all-mac-addresses (before 1.32): a dispatcher script instead, removed by delete", () => {
        fake(
            "nmcli",
            'case "$*" in\n"-t -f RUNNING general") echo running ;;\n"-g UUID,DEVICE connection show --active") echo "0b2f:ens33" ;;\n' +
                '"-t -f UUID,FILENAME connection show") echo "0b2f:/etc/sysconfig/network-scripts/ifcfg-ens33" ;;\n' +
                '"-g 802-3-ethernet.accept-all-mac-addresses connection show uuid 0b2f") echo "Error: invalid field" >&2; exit 2 ;;\n*) echo "fake nmcli: unexpected $*" >&2; exit 3 ;;\nesac\n',
        );
        const before = folderState(root);
        const s = renderParentInterface(host("nmcli"), options);
        const r = succeeded(runScript(s.create), "create");
        assert.match(r.stdout, /NetworkManager's dispatcher script that makes ens33 promiscuous each time it comes up \(this NetworkManager has no 802-3-ethernet\.accept-all-mac-addresses, added in 1\.32\)$/m);
        assert.match(succeeded(runScript(s.check), "check").stdout, /^ok: /m);
        succeeded(runScript(s.delete), "delete");
        assert.deepStrictEqual(folderState(root), before);
    });

    it("the router's boot: in a fresh namespace, systemd-sysctl with its file and the unit's ExecStart lines give back forwarding, the chain, its rules and FORWARD's jump; a link's ARP file its settings", () => {
        markLab();
        const h = host("networkd");
        const networks = spec.router!.networks.map(net);
        const fwd = renderRouterForwarding(h, { networks, allow: spec.router!.allow, legs: spec.router!.legs }, options);
        const before = folderState(root);
        succeeded(runScript(fwd.create), "forwarding create");
        const sysctlFile = path.join(root, "etc/sysctl.d/90-macvlan-lab-router.conf");
        const unit = path.join(root, "etc/systemd/system/macvlan-lab-router.service");
        assert.strictEqual(fs.readlinkSync(path.join(root, "etc/systemd/system/multi-user.target.wants/macvlan-lab-router.service")), unit);
        assert.match(succeeded(runScript(fwd.check), "check").stdout, /^ok: /m);

        // the reboot: a namespace with forwarding off and no chain
        assert.strictEqual(mustRun(["ip", "netns", "exec", BOOT_NS, "cat", "/proc/sys/net/ipv4/ip_forward"]).trim(), "0");
        mustRun(["ip", "netns", "exec", BOOT_NS, "/lib/systemd/systemd-sysctl", sysctlFile]);
        assert.strictEqual(mustRun(["ip", "netns", "exec", BOOT_NS, "cat", "/proc/sys/net/ipv4/ip_forward"]).trim(), "1");
        const starts = fs.readFileSync(unit, "utf8").split("\n").filter((l) => l.startsWith("ExecStart="));
        assert.strictEqual(starts.length, 2 + routerRules(networks, spec.router!.allow).length + 1);
        for (const l of starts) {
            const cmd = l.slice("ExecStart=".length);
            const ignore = cmd.startsWith("-");
            const argv = (ignore ? cmd.slice(1) : cmd).startsWith("/bin/sh -c '")
                ? ["/bin/sh", "-c", cmd.slice(cmd.indexOf("'") + 1, -1)]
                : (ignore ? cmd.slice(1) : cmd).split(" ");
            const r = run(["ip", "netns", "exec", BOOT_NS, ...argv]);
            if (!ignore) assert.strictEqual(r.status, 0, `${cmd}: ${r.stderr}`);
        }
        const chain = mustRun(["ip", "netns", "exec", BOOT_NS, "iptables", "-w", "-S", ROUTER_CHAIN]).split("\n").filter((x) => x.startsWith("-A ")).map((x) => x.replace(`-A ${ROUTER_CHAIN} `, ""));
        assert.deepStrictEqual(chain, routerRules(networks, spec.router!.allow));
        assert.strictEqual(run(["ip", "netns", "exec", BOOT_NS, "iptables", "-w", "-C", "FORWARD", "-j", ROUTER_CHAIN]).status, 0, "FORWARD jumps to the chain");
        // the unit run twice (a restart) leaves one jump and the same rules
        for (const l of starts.slice(-1)) mustRun(["ip", "netns", "exec", BOOT_NS, "/bin/sh", "-c", l.slice(l.indexOf("'") + 1, -1)]);
        assert.strictEqual(mustRun(["ip", "netns", "exec", BOOT_NS, "iptables", "-w", "-S", "FORWARD"]).split("\n").filter((x) => x.includes(ROUTER_CHAIN)).length, 1);

        // a link's ARP file, on links named as after the boot (the dots of a VLAN name stay dots)
        const shim = renderHostShim(host("netplan"), { network: net("mac_net10"), address: "172.16.10.2", name: "mac0", routes: [] }, options);
        const arpFile = /\narp_conf='([^']*)'\n/.exec(shim.create)![1];
        const text = run(["sh", "-c", `${shim.create.replace(/\nlink_create\n$/, "\n")}arp_text`]);
        assert.strictEqual(text.status, 0, text.stderr);
        fs.writeFileSync(arpFile, text.stdout);
        mustRun(["ip", "-n", BOOT_NS, "link", "add", "ens33.10", "type", "veth", "peer", "name", "bootp0"]);
        mustRun(["ip", "-n", BOOT_NS, "link", "add", "mac0", "type", "veth", "peer", "name", "bootp1"]);
        mustRun(["ip", "netns", "exec", BOOT_NS, "/lib/systemd/systemd-sysctl", arpFile]);
        for (const dev of ["ens33.10", "mac0"]) {
            assert.strictEqual(mustRun(["ip", "netns", "exec", BOOT_NS, "cat", `/proc/sys/net/ipv4/conf/${dev}/arp_ignore`]).trim(), "1", dev);
        }
        fs.rmSync(arpFile);
        for (const dev of ["ens33.10", "mac0"]) mustRun(["ip", "-n", BOOT_NS, "link", "del", dev]);

        succeeded(runScript(fwd.delete), "forwarding delete");
        assert.deepStrictEqual(folderState(root), before);
        assert.strictEqual(mustRun(["ip", "netns", "exec", NS, "cat", "/proc/sys/net/ipv4/ip_forward"]).trim(), "0");
        // iproute2 keeps nothing: no file, and it says so
        const rt = renderRouterForwarding(host("iproute2"), { networks, allow: spec.router!.allow, legs: spec.router!.legs }, options);
        const r = succeeded(runScript(rt.create), "iproute2 forwarding create");
        assert.match(r.stdout, /^runtime only: IPv4 forwarding and the policy in MACVLAN-LAB-ROUTER are not restored at boot \(the iproute2 backend keeps nothing\)/m);
        succeeded(runScript(rt.delete), "iproute2 forwarding delete");
        assert.deepStrictEqual(folderState(root), before);
    });
});

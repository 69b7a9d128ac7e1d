/**
 * The files the persistent backends write on a host, as the library's own renderers produce them
 * from the rendered scripts' inputs (run from components/scripts as it is, with `sh`): systemd-networkd
 * .netdev/.network files and drop-ins, the netplan YAML, the ifupdown stanzas and hook, the
 * NetworkManager dispatcher script, a link's sysctl.d ARP file, and the router's sysctl.d file and
 * unit. Exact-string snapshots for docker01 of the routed stack (__snapshots__/backend-files/,
 * `UPDATE_SNAPSHOTS=1` rewrites them), the YAML parsed back as netplan reads it, and the renderers
 * refusing a value that could slip a line or a section into a file.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { renderParentInterface, renderVlanInterface, HostScripts } from "../../components/host/render";
import { renderHostShim, renderRouterForwarding, renderRouterLeg, shimRoutes } from "../../components/host/routing";
import { SCRIPTS_DIR } from "../../components/scripts";
import { planLab } from "../../components/model/plan";
import { DEFAULT_CONFIG_DIRS, parseLab, RawLabConfig } from "../../components/model/validate";
import { HostSpec, LabSpec, NetworkBackend } from "../../components/model/types";
import { loadStackConfig, rawLabConfig } from "../../lab/stackFile";
import { Snapshots } from "../helpers/snapshot";

function routed(): LabSpec {
    const { spec, errors } = parseLab(rawLabConfig(loadStackConfig("multi-vlan-routed")) as RawLabConfig);
    assert.deepStrictEqual(errors, []);
    return spec!;
}

/**
 * Runs a rendered script's inputs and modules (from the library in the repo, its state directory
 * moved to `state`) and then `lines` instead of its calls: what the library's functions make of them.
 */
function textOf(script: string, lines: string, state?: string): { status: number | null; stdout: string; stderr: string } {
    const all = script.replace(/^lib='[^']*'$/m, `lib='${SCRIPTS_DIR}'`).split("\n");
    const lastModule = all.reduce((last, l, i) => (l.startsWith('. "$lib/') ? i : last), -1);
    assert.ok(lastModule > 0, "the script sources modules");
    const head = all.slice(0, lastModule + 1).map((l) => (state !== undefined && l.startsWith("state='") ? `state='${state}'` : l));
    const r = spawnSync("sh", ["-c", `${head.join("\n")}\n${lines}\n`], { encoding: "utf8" });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(script: string, lines: string, state?: string): string {
    const r = textOf(script, lines, state);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.strictEqual(r.stderr, "");
    return r.stdout;
}

describe("backend files (what the persistent backends write on a host)", () => {
    const spec = routed();
    const { plan } = planLab(spec);
    const snapshots = new Snapshots(__filename, "backend-files");
    const docker01 = spec.hosts.find((h) => h.name === "docker01")!;
    const on = (backend: NetworkBackend): HostSpec => ({ ...docker01, backend, configDir: DEFAULT_CONFIG_DIRS[backend] });
    const vlan10 = spec.vlans.find((v) => v.id === 10)!;
    const net = (name: string) => spec.networks.find((n) => n.name === name)!;
    const shim = (backend: NetworkBackend): HostScripts =>
        renderHostShim(on(backend), { network: net("mac_net10"), address: "172.16.10.2", name: "mac0", routes: shimRoutes(plan, "mac_net10", "docker01", spec.containers) });
    const legs = spec.router!.legs;
    const forwarding = (backend: NetworkBackend): HostScripts =>
        renderRouterForwarding(on(backend), { networks: spec.router!.networks.map(net), allow: spec.router!.allow, legs });
    let state: string;

    before(() => {
        state = fs.mkdtempSync(path.join(os.tmpdir(), "mvl-files-"));
    });
    after(() => {
        fs.rmSync(state, { recursive: true, force: true });
        assert.deepStrictEqual(snapshots.stale(), [], "snapshot files no test renders (UPDATE_SNAPSHOTS=1 removes them)");
    });

    /** `# ==== <name>` before each part. */
    const sheet = (parts: Array<[string, string]>) => parts.map(([what, text]) => `# ==== ${what}\n${text}`).join("");

    it("networkd: the VLAN's .netdev, .network and parent drop-in, the NIC's promiscuous drop-in, a shim's and a leg's files", () => {
        const v = renderVlanInterface(on("networkd"), vlan10).create;
        const gw = renderVlanInterface(on("networkd"), { ...vlan10, gateway: "192.168.10.2" }).create;
        const dr = renderVlanInterface(on("networkd"), { ...vlan10, gateway: "192.168.10.2", defaultRoute: true }).create;
        const leg = renderRouterLeg(on("networkd"), net("mac_net10"), legs.mac_net10).create;
        snapshots.match(
            "networkd.txt",
            sheet([
                ["promisc drop-in", ok(renderParentInterface(on("networkd")).create, "promisc_text")],
                ["ens33.10 netdev", ok(v, "vlan_netdev_text")],
                ["ens33.10 network", ok(v, "vlan_network_text")],
                ["ens33.10 network with a gateway", ok(gw, "vlan_network_text")],
                ["ens33.10 network with defaultRoute", ok(dr, "vlan_network_text")],
                ["ens33.10 drop-in of ens33's .network", ok(v, "vlan_dropin_text")],
                ["ens33.10 paths", ok(v, 'nd_netdev; echo; nd_network; echo; nd_dropin /run/systemd/network/10-netplan-ens33.network 90-macvlan-lab-ens33.10.conf; echo')],
                ["mac0 netdev", ok(shim("networkd").create, "link_netdev_text")],
                ["mac0 network", ok(shim("networkd").create, "link_network_text")],
                ["mac0 drop-in of ens33.10's .network", ok(shim("networkd").create, "link_dropin_text")],
                ["rtr0 network", ok(leg, "link_network_text")],
                ["ipvlan l3 shim netdev", ok(renderHostShim(on("networkd"), { network: { ...net("mac_net20"), driver: "ipvlan", mode: "l3" }, address: "172.16.20.2", name: "mac1", routes: [] }).create, "link_netdev_text")],
            ]),
        );
    });

    it("netplan: the VLAN's own YAML file, which netplan reads back as written (the parent's netplan id from the record)", () => {
        fs.writeFileSync(path.join(state, "vlan-ens33.10.state"), "mode=kernel\nlink=created\nnp_link=ens33\n");
        const plain = ok(renderVlanInterface(on("netplan"), vlan10).create, "np_yaml", state);
        const dr = ok(renderVlanInterface(on("netplan"), { ...vlan10, gateway: "192.168.10.2", defaultRoute: true }).create, "np_yaml", state);
        const gw = ok(renderVlanInterface(on("netplan"), { ...vlan10, gateway: "192.168.10.2" }).create, "np_yaml", state);
        snapshots.match("netplan.txt", sheet([["ens33.10", plain], ["ens33.10 with a gateway", gw], ["ens33.10 with defaultRoute", dr], ["path", ok(renderVlanInterface(on("netplan"), vlan10).create, "np_file; echo")]]));
        assert.deepStrictEqual(yaml.load(plain), {
            network: { version: 2, vlans: { "ens33.10": { renderer: "networkd", id: 10, link: "ens33", addresses: ["192.168.10.10/24"] } } },
        });
        assert.strictEqual(gw, plain, "a gateway without defaultRoute is no route");
        assert.deepStrictEqual((yaml.load(dr) as { network: { vlans: Record<string, { routes: unknown }> } }).network.vlans["ens33.10"].routes, [{ to: "default", via: "192.168.10.2" }]);
        // netplan's parent is its id, which can differ from the interface name
        fs.writeFileSync(path.join(state, "vlan-ens33.10.state"), "np_link=lan-nic\n");
        assert.match(ok(renderVlanInterface(on("netplan"), vlan10).create, "np_yaml", state), /\n {6}link: "lan-nic"\n/);
    });

    it("ifupdown: the VLAN's stanza, the NIC's if-up.d hook, a shim's and a leg's stanzas", () => {
        const v = renderVlanInterface(on("ifupdown"), vlan10).create;
        snapshots.match(
            "ifupdown.txt",
            sheet([
                ["hook", ok(renderParentInterface(on("ifupdown")).create, "hook_text")],
                ["hook path", ok(renderParentInterface(on("ifupdown")).create, "ifu_hook; echo")],
                ["ens33.10", ok(v, "vlan_stanza")],
                ["ens33.10 with defaultRoute", ok(renderVlanInterface(on("ifupdown"), { ...vlan10, gateway: "192.168.10.2", defaultRoute: true }).create, "vlan_stanza")],
                ["ens33.10 path", ok(v, "ifu_vlan_file; echo")],
                ["mac0", ok(shim("ifupdown").create, "link_stanza")],
                ["mac0 path", ok(shim("ifupdown").create, "ifu_link_file; echo")],
                ["rtr0", ok(renderRouterLeg(on("ifupdown"), net("mac_net10"), legs.mac_net10).create, "link_stanza")],
            ]).replace(/'\/[a-z/]*\/ip'/g, "'<ip>'").replace(/ \/[a-z/]*\/ip /g, " <ip> "),
        );
    });

    it("the NetworkManager dispatcher script (ifcfg and nmcli), a link's ARP file, the router's forwarding file and unit", () => {
        const fwd = forwarding("networkd").create;
        snapshots.match(
            "common.txt",
            sheet([
                ["dispatcher (ifcfg)", ok(renderParentInterface(on("ifcfg")).create, "dispatcher_text")],
                ["dispatcher path", ok(renderParentInterface(on("nmcli")).create, 'printf "%s\\n" "$dispatcher"')],
                ["mac0 arp (nmcli)", ok(shim("nmcli").create, "arp_text")],
                ["mac0 arp path", ok(shim("nmcli").create, 'printf "%s\\n" "$arp_conf"')],
                ["router forwarding", ok(fwd, "fwd_text")],
                ["router unit", ok(fwd, "unit_text")],
                ["router paths", ok(fwd, 'printf "%s\\n" "$fwd_conf" "$unit" "$unit_wants"')],
            ]).replace(/'\/[a-z/]*\/ip'/g, "'<ip>'").replace(/=(-?)\/[a-z/]*\/iptables /g, "=$1<iptables> ").replace(/'\/[a-z/]*\/iptables /g, "'<iptables> ").replace(/\|\| \/[a-z/]*\/iptables /g, "|| <iptables> "),
        );
    });

    it("where each backend keeps a link's ARP settings and the router's forwarding: the unit's own for ifcfg, sysctl.d for the others, nowhere for iproute2", () => {
        const arp = (b: NetworkBackend) => ok(shim(b).create, 'printf "%s" "$arp_conf"');
        const fwd = (b: NetworkBackend) => ok(forwarding(b).create, 'printf "%s" "$fwd_conf"');
        assert.strictEqual(arp("ifcfg"), "");
        assert.strictEqual(arp("iproute2"), "");
        for (const b of ["nmcli", "networkd", "netplan", "ifupdown", "auto"] as NetworkBackend[]) assert.strictEqual(arp(b), "/etc/sysctl.d/90-macvlan-lab-link-mac0.conf", b);
        assert.strictEqual(fwd("iproute2"), "");
        for (const b of ["ifcfg", "nmcli", "networkd", "netplan", "ifupdown", "auto"] as NetworkBackend[]) assert.strictEqual(fwd(b), "/etc/sysctl.d/90-macvlan-lab-router.conf", b);
    });

    it("a value that is not a plain word never reaches a file: the renderers refuse it (a line break, a section, a quote)", () => {
        const v = renderVlanInterface(on("networkd"), vlan10).create;
        for (const bad of ["192.168.10.10/24\n[Network]", "a b", "x\"y", ""]) {
            const r = textOf(v, `address=${JSON.stringify(bad).replace(/\\n/g, "\n")}; vlan_network_text`);
            assert.notStrictEqual(r.status, 0, JSON.stringify(bad));
            assert.match(r.stderr, /^ERROR: refusing to write '[^']*' into a systemd-networkd file: not an interface name, address, number or mode\n$/);
            assert.strictEqual(r.stdout, "", "nothing of the file is printed");
            const s = textOf(renderVlanInterface(on("ifupdown"), vlan10).create, `address=${JSON.stringify(bad).replace(/\\n/g, "\n")}; vlan_stanza`);
            assert.notStrictEqual(s.status, 0, JSON.stringify(bad));
            assert.match(s.stderr, /^ERROR: refusing to write '[^']*' into an ifupdown stanza/);
            assert.strictEqual(s.stdout, "", "nothing of the stanza is printed");
        }
    });
});

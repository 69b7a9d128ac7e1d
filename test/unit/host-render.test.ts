/**
 * Pure tests of the host networking renderers: the thin scripts for the multi-VLAN stack's hosts
 * (docker01 and docker02, VLANs 10 and 20 on ens33) per backend as snapshot files
 * (__snapshots__/host-render/, `UPDATE_SNAPSHOTS=1` rewrites them), what the backends' shell
 * functions produce (the ifcfg file, the nmcli arguments) run from the library as it is, the
 * backend contract, validation messages, and `bash -n`, `sh -n` and `shellcheck` on every variant.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HostScripts, RenderOptions, renderKernelModule, renderParentInterface, renderVlanInterface } from "../../components/host/render";
import { HOST_BACKENDS } from "../../components/host/backends";
import { SCRIPTS_DIR, shellLibrary } from "../../components/scripts";
import { DEFAULT_CONFIG_DIRS, loadLab, RawLabConfig } from "../../components/model/validate";
import { HostSpec, LabSpec, NetworkBackend, VlanSpec } from "../../components/model/types";
import { loadStackConfig, rawLabConfig } from "../../lab/stackFile";
import { requireTool } from "../helpers/tools";
import { Snapshots } from "../helpers/snapshot";

const BACKENDS: NetworkBackend[] = ["ifcfg", "nmcli", "networkd", "netplan", "ifupdown", "iproute2", "auto"];
/** The backends that write a VLAN's gateway and default route. */
const ROUTING_BACKENDS: NetworkBackend[] = BACKENDS.filter((b) => b !== "iproute2");
const ACTIONS = ["create", "delete", "check"] as const;

const multiVlan = (): LabSpec => loadLab(rawLabConfig(loadStackConfig("multi-vlan")) as RawLabConfig);

/** A stack host with another backend (and that backend's default config directory). */
function withBackend(host: HostSpec, backend: NetworkBackend): HostSpec {
    return { ...host, backend, configDir: DEFAULT_CONFIG_DIRS[backend] };
}

/** The memberships of the multi-VLAN lab, as the tutorial's section 4.2 gives them. */
const MEMBERSHIPS = [
    { host: "docker01", dev: "ens33.10", id: 10, address: "192.168.10.10/24", ip: "192.168.10.10" },
    { host: "docker01", dev: "ens33.20", id: 20, address: "192.168.20.20/24", ip: "192.168.20.20" },
    { host: "docker02", dev: "ens33.10", id: 10, address: "192.168.10.11/24", ip: "192.168.10.11" },
    { host: "docker02", dev: "ens33.20", id: 20, address: "192.168.20.21/24", ip: "192.168.20.21" },
];

function hostOf(spec: LabSpec, name: string): HostSpec {
    const h = spec.hosts.find((x) => x.name === name);
    assert.ok(h, `no host ${name}`);
    return h;
}
function vlanOf(spec: LabSpec, dev: string): VlanSpec {
    const v = spec.vlans.find((x) => x.interfaceName === dev);
    assert.ok(v, `no VLAN ${dev}`);
    return v;
}

/**
 * Scripts of one file of snapshots: a `# ==== <what> <action>` line before each, and the library's
 * id as `<library-id>` (it changes with any library file; the snapshots are about the scripts).
 */
function sheet(parts: Array<[string, HostScripts]>): string {
    const text = parts.flatMap(([what, s]) => ACTIONS.map((a) => `# ==== ${what} ${a}\n${s[a]}`)).join("");
    return text.split(`/${shellLibrary().id}'`).join("/<library-id>'");
}

/**
 * Runs a rendered script with the library as it is in the repo, its call replaced by `lines`
 * (shell of the test's own): what the library's functions make of the script's inputs.
 */
function runWith(script: string, call: string, lines: string): { status: number | null; stdout: string; stderr: string } {
    const lib = `lib='${SCRIPTS_DIR}'`;
    const text = script.replace(/^lib='[^']*'$/m, lib);
    assert.ok(text.endsWith(`\n${call}\n`), `the script ends with ${call}`);
    const r = spawnSync("sh", ["-c", `${text.slice(0, -(call.length + 1))}${lines}\n`], { encoding: "utf8" });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("host networking renderers", () => {
    const spec = multiVlan();
    const snapshots = new Snapshots(__filename, "host-render");

    after(() => {
        assert.deepStrictEqual(snapshots.stale(), [], "snapshot files no test renders (UPDATE_SNAPSHOTS=1 removes them)");
    });

    it("the multi-VLAN stack gives exactly the tutorial's memberships, without its gateways", () => {
        const got = spec.vlans.flatMap((v) =>
            v.members.map((m) => ({ host: m.host, dev: v.interfaceName, id: v.id, address: m.address, gateway: v.gateway, defaultRoute: v.defaultRoute })),
        );
        got.sort((a, b) => (a.host + a.dev).localeCompare(b.host + b.dev));
        assert.deepStrictEqual(
            got,
            MEMBERSHIPS.map((m) => ({ host: m.host, dev: m.dev, id: m.id, address: m.address, gateway: undefined, defaultRoute: false })),
        );
        assert.deepStrictEqual(spec.hosts.map((h) => [h.name, h.nic, h.backend]), [
            ["docker01", "ens33", "ifcfg"],
            ["docker02", "ens33", "ifcfg"],
        ]);
    });

    for (const backend of BACKENDS) {
        for (const hostName of ["docker01", "docker02"]) {
            it(`${backend}, ${hostName}: the parent NIC, 8021q and VLAN interface scripts are the snapshot`, () => {
                const host = withBackend(hostOf(spec, hostName), backend);
                snapshots.match(
                    `${hostName}-${backend}.sh`,
                    sheet([
                        ["parent", renderParentInterface(host)],
                        ["8021q", renderKernelModule(host)],
                        ...MEMBERSHIPS.filter((m) => m.host === hostName).map((m): [string, HostScripts] => [m.dev, renderVlanInterface(host, vlanOf(spec, m.dev))]),
                    ]),
                );
            });
        }
    }

    it("with a gateway, and with defaultRoute: the snapshots of every backend that writes routes", () => {
        for (const backend of ROUTING_BACKENDS) {
            const host = withBackend(hostOf(spec, "docker01"), backend);
            snapshots.match(
                `docker01-${backend}-gateway.sh`,
                sheet([
                    ["ens33.10 gateway", renderVlanInterface(host, { ...vlanOf(spec, "ens33.10"), gateway: "192.168.10.2" })],
                    ["ens33.20 defaultRoute", renderVlanInterface(host, { ...vlanOf(spec, "ens33.20"), gateway: "192.168.20.2", defaultRoute: true })],
                ]),
            );
        }
    });

    it("a thin script stays small: at most 1,000 bytes each (1,700 for auto, which carries the inputs of every backend it may pick)", () => {
        const scripts = allScripts();
        assert.strictEqual(scripts.length, ALL_SCRIPTS);
        for (const s of scripts) {
            const limit = s.name.includes(" auto") ? 1700 : 1000;
            assert.ok(s.script.length <= limit, `${s.name}: ${s.script.length} bytes`);
        }
    });

    it("ifcfg files (cfg_text of the library): the tutorial's keys, no GATEWAY by default, one per host and VLAN", () => {
        for (const m of MEMBERSHIPS) {
            const r = runWith(renderVlanInterface(hostOf(spec, m.host), vlanOf(spec, m.dev)).create, "vlan_create", "cfg_text");
            assert.strictEqual(r.stderr, "");
            assert.strictEqual(
                r.stdout,
                [
                    `# macvlan-lab: VLAN ${m.id} on ens33, written by pulumi (delete puts back what was here before)`,
                    `DEVICE=${m.dev}`,
                    `NAME=${m.dev}`,
                    "BOOTPROTO=none",
                    "ONBOOT=yes",
                    "VLAN=yes",
                    "PHYSDEV=ens33",
                    `IPADDR=${m.ip}`,
                    "PREFIX=24",
                    "",
                ].join("\n"),
            );
        }
    });

    it("with the tutorial's gateway: GATEWAY and DEFROUTE=no in the file, ipv4.gateway and never-default yes in the profile; defaultRoute: DEFROUTE=yes, never-default no", () => {
        const host = hostOf(spec, "docker01");
        for (const [defaultRoute, defroute, never] of [[false, "no", "yes"], [true, "yes", "no"]] as const) {
            const vlan: VlanSpec = { ...vlanOf(spec, "ens33.10"), gateway: "192.168.10.2", defaultRoute };
            const file = runWith(renderVlanInterface(host, vlan).create, "vlan_create", "cfg_text").stdout;
            assert.ok(file.endsWith("\nIPADDR=192.168.10.10\nPREFIX=24\nGATEWAY=192.168.10.2\nDEFROUTE=" + defroute + "\n"), file);
            const nm = runWith(
                renderVlanInterface(withBackend(host, "nmcli"), vlan).create,
                "vlan_create",
                `nmcli() { printf '%s\\n' "$*"; }\nnm_set add type vlan con-name "$con"`,
            );
            assert.strictEqual(
                nm.stdout,
                "connection add type vlan con-name ens33.10 ipv4.gateway 192.168.10.2 ipv4.never-default " +
                    never +
                    " connection.interface-name ens33.10 vlan.parent ens33 vlan.id 10 ipv4.method manual ipv4.addresses 192.168.10.10/24 ipv6.method ignore connection.autoconnect yes\n",
            );
        }
        const plain = runWith(
            renderVlanInterface(withBackend(host, "nmcli"), vlanOf(spec, "ens33.20")).create,
            "vlan_create",
            `nmcli() { printf '%s\\n' "$*"; }\nnm_set modify id "$con"`,
        );
        assert.strictEqual(
            plain.stdout,
            "connection modify id ens33.20 connection.interface-name ens33.20 vlan.parent ens33 vlan.id 20 ipv4.method manual ipv4.addresses 192.168.20.20/24 ipv6.method ignore connection.autoconnect yes\n",
        );
        assert.throws(() => renderVlanInterface(withBackend(host, "iproute2"), { ...vlanOf(spec, "ens33.20"), gateway: "192.168.20.2", defaultRoute: true }), {
            message:
                "host docker01, VLAN 20: defaultRoute needs a backend that manages routes; iproute2 only sets addresses: use ifcfg or nmcli, or drop defaultRoute",
        });
    });

    it("every registered backend defines every backend_ function the host modules call, in a module of the library", () => {
        const called = new Set<string>();
        for (const f of ["host/parent.sh", "host/vlan.sh", "host/link.sh"]) {
            const code = fs.readFileSync(path.join(SCRIPTS_DIR, f), "utf8").replace(/^\s*#.*$/gm, "");
            for (const m of code.matchAll(/\bbackend_[a-z_]+/g)) called.add(m[0]);
        }
        assert.ok(called.size >= 10, [...called].join(", "));
        assert.deepStrictEqual(Object.keys(HOST_BACKENDS), BACKENDS);
        const picked = Object.values(HOST_BACKENDS).filter((b) => b.name !== "auto");
        assert.strictEqual(picked.length, 6);
        for (const b of picked) {
            for (const m of b.modules) assert.ok(shellLibrary().files.includes(m), `${b.name}: ${m} is not in the library`);
            const text = b.modules.map((m) => fs.readFileSync(path.join(SCRIPTS_DIR, m), "utf8")).join("\n");
            const defined = new Set([...text.matchAll(/^(backend_[a-z_]+)\(\)/gm)].map((m) => m[1]));
            assert.deepStrictEqual([...called].filter((f) => !defined.has(f)), [], `${b.name} misses functions`);
            assert.deepStrictEqual([...defined].filter((f) => !called.has(f)), [], `${b.name} defines functions nobody calls`);
        }
    });

    it("auto sources, per backend it may pick, exactly that backend's modules (auto.sh's auto_modules and the HostBackend's list)", () => {
        const picks = Object.values(HOST_BACKENDS).filter((b) => b.persistent && b.name !== "auto");
        assert.deepStrictEqual(picks.map((b) => b.name), ["ifcfg", "nmcli", "networkd", "netplan", "ifupdown"]);
        for (const b of [...picks, HOST_BACKENDS.iproute2, HOST_BACKENDS.auto]) {
            const r = spawnSync("sh", ["-c", `. "$1"; auto_modules "$2"`, "sh", path.join(SCRIPTS_DIR, "host/backends/auto.sh"), b.name], { encoding: "utf8" });
            if (picks.includes(b)) {
                assert.strictEqual(r.status, 0, `${b.name}: ${r.stderr}`);
                assert.deepStrictEqual(r.stdout.trim().split(" "), b.modules.filter((m) => m !== "host/backends/detect.sh"), b.name);
            } else {
                assert.strictEqual(r.status, 1, `auto never picks ${b.name}`);
            }
        }
        assert.deepStrictEqual(HOST_BACKENDS.auto.modules, ["host/backends/detect.sh", "host/backends/auto.sh"]);
    });

    it("render options reach the scripts, quoted; the identity (the trigger) follows what the scripts act on, not the library", () => {
        const host = hostOf(spec, "docker01");
        const opts: RenderOptions = { stateDir: "/tmp/x/state", modulesLoadDir: "/tmp/x/modules-load.d", emulationMarker: "/tmp/x/run/vlan-emulation", ifupLocal: "/tmp/x/ifup-local" };
        const module = renderKernelModule(host, opts);
        assert.ok(module.create.includes("\nconf_dir='/tmp/x/modules-load.d'\nconf='/tmp/x/modules-load.d/8021q.conf'\nstate_dir='/tmp/x/state'\nstate='/tmp/x/state/host'\nmarker='/tmp/x/run/vlan-emulation'\n"));
        assert.ok(module.create.includes(`\nlib='/tmp/x/state/lib/default/${shellLibrary().id}'\n`));
        assert.ok(renderParentInterface(host, opts).create.includes("\nhook='/tmp/x/ifup-local'\n"));
        const vlan = renderVlanInterface(host, vlanOf(spec, "ens33.10"), opts);
        const plain = renderVlanInterface(host, vlanOf(spec, "ens33.10"));
        assert.notStrictEqual(vlan.identity, plain.identity);
        assert.strictEqual(renderVlanInterface(host, vlanOf(spec, "ens33.10"), { libraryDir: "/elsewhere" }).identity, plain.identity);
        assert.notStrictEqual(renderVlanInterface(host, vlanOf(spec, "ens33.20")).identity, plain.identity);
        assert.notStrictEqual(renderVlanInterface(withBackend(host, "nmcli"), vlanOf(spec, "ens33.10")).identity, plain.identity);
        assert.match(plain.identity, /^sha256:[0-9a-f]{64}$/);
    });

    it("every variable line is one single-quoted word, and the last line one call", () => {
        const scripts = allScripts();
        assert.strictEqual(scripts.length, ALL_SCRIPTS);
        for (const s of scripts) {
            const lines = s.script.split("\n");
            const end = lines.findIndex((l) => l.startsWith("if [ ! -r "));
            assert.ok(end > 3, s.name);
            for (const l of lines.slice(2, end)) assert.match(l, /^[a-z_]+='[^'\n]*'$/, `${s.name}: ${l}`);
            const calls = lines.slice(lines.findIndex((l) => /^\. "\$lib\/host\/(parent|kernel-module|vlan)\.sh"$/.test(l)) + 1, -1);
            if (s.name.includes(" auto ")) {
                const action = /(create|delete|check)$/.exec(s.name)![1];
                const fn = /^(parent|module|vlan)_/.exec(calls[1] ?? "")?.[1] ?? "module";
                assert.deepStrictEqual(calls, fn === "module" ? [`module_${action}`] : [`backend_auto ${action}`, `${fn}_${action}`, ...(action === "delete" ? ["backend_auto_done"] : [])], s.name);
            } else {
                assert.strictEqual(calls.length, 1, s.name);
                assert.match(calls[0], /^(parent|module|vlan)_(create|delete|check)$/, s.name);
            }
        }
    });

    describe("rejects what must not reach a script", () => {
        const host = hostOf(spec, "docker01");
        const vlan = vlanOf(spec, "ens33.10");
        const cases: Array<[string, () => unknown, string]> = [
            ["a NIC name with a command in it", () => renderParentInterface({ ...host, nic: "ens33$(reboot)" }),
                'host docker01: nic "ens33$(reboot)" is not an interface name (at most 15 of [a-zA-Z0-9_.-])'],
            ["a host name with a quote", () => renderKernelModule({ ...host, name: "docker'01" }), `host name "docker'01" is not a valid host name`],
            ["an unknown backend", () => renderKernelModule({ ...host, backend: "wicked" as NetworkBackend }),
                'host docker01: backend "wicked" is not one of ifcfg, nmcli, networkd, netplan, ifupdown, iproute2, auto'],
            ["a relative state directory", () => renderParentInterface(host, { stateDir: "var/lib/x" }),
                'stateDir "var/lib/x" is not an absolute path of safe characters ([a-zA-Z0-9_./-], no ..)'],
            ["a marker path with ..", () => renderKernelModule(host, { emulationMarker: "/run/../etc/passwd" }),
                'emulationMarker "/run/../etc/passwd" is not an absolute path of safe characters ([a-zA-Z0-9_./-], no ..)'],
            ["a hook path with a quote", () => renderParentInterface(host, { ifupLocal: "/sbin/ifup-'local" }),
                `ifupLocal "/sbin/ifup-'local" is not an absolute path of safe characters ([a-zA-Z0-9_./-], no ..)`],
            ["a config dir with a space", () => renderVlanInterface({ ...host, configDir: "/etc/sys config" }, vlan),
                'host docker01: configDir "/etc/sys config" is not an absolute path of safe characters ([a-zA-Z0-9_./-], no ..)'],
            ["a host that is not a member", () => renderVlanInterface({ ...host, name: "docker03" }, vlan),
                "host docker03, VLAN 10: docker03 is not a member of VLAN 10 (members: docker01, docker02)"],
            ["an address without a prefix", () => renderVlanInterface(host, { ...vlan, members: [{ host: "docker01", address: "192.168.10.10" }] }),
                'host docker01, VLAN 10: address "192.168.10.10" is not an IPv4 address with a prefix length (192.168.10.10/24)'],
            ["an address with a newline", () => renderVlanInterface(host, { ...vlan, members: [{ host: "docker01", address: "192.168.10.10/24\nGATEWAY=1.1.1.1" }] }),
                'host docker01, VLAN 10: address "192.168.10.10/24\\nGATEWAY=1.1.1.1" is not an IPv4 address with a prefix length (192.168.10.10/24)'],
            ["VLAN id 4095", () => renderVlanInterface(host, { ...vlan, id: 4095, interfaceName: "ens33.4095" }),
                "host docker01, VLAN 4095: VLAN id 4095 is not an integer from 1 to 4094"],
            ["an interface name that is not parent.id", () => renderVlanInterface(host, { ...vlan, interfaceName: "ens33.11" }),
                "host docker01, VLAN 10: interfaceName ens33.11 is not ens33.10"],
            ["a gateway that is not an address", () => renderVlanInterface(host, { ...vlan, gateway: "192.168.10.2;reboot" }),
                'host docker01, VLAN 10: gateway "192.168.10.2;reboot" is not an IPv4 address'],
            ["defaultRoute without a gateway", () => renderVlanInterface(host, { ...vlan, defaultRoute: true }),
                "host docker01, VLAN 10: defaultRoute is set but there is no gateway; set the gateway or drop defaultRoute"],
        ];
        for (const [what, render, message] of cases) {
            it(what, () => assert.throws(render, { message }));
        }
    });

    describe("syntax of every rendered script", () => {
        let dir: string;
        let files: string[] = [];
        before(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "mvl-render-"));
            files = allScripts().map((s, i) => {
                const f = path.join(dir, `${String(i).padStart(3, "0")}-${s.name.replace(/[^a-zA-Z0-9.-]+/g, "_")}.sh`);
                fs.writeFileSync(f, s.script);
                return f;
            });
        });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("bash -n and sh -n accept them all", function () {
            this.timeout(120_000);
            assert.ok(files.length >= 100, `only ${files.length} scripts`);
            for (const f of files) {
                for (const shell of ["bash", "sh"]) {
                    const r = spawnSync(shell, ["-n", f], { encoding: "utf8" });
                    assert.strictEqual(r.status, 0, `${shell} -n ${path.basename(f)}: ${r.stderr}`);
                }
            }
        });

        it("shellcheck -s sh reports nothing (the library's files are checked on their own: SC1091 and SC2034 are the modules' business)", function () {
            this.timeout(120_000);
            requireTool(this, "shellcheck");
            const r = spawnSync("shellcheck", ["-s", "sh", "-e", "SC1091,SC2034", "-f", "gcc", ...files], { encoding: "utf8" });
            assert.strictEqual(r.stdout + r.stderr, "");
            assert.strictEqual(r.status, 0);
        });
    });

    /**
     * How many scripts allScripts() renders: per backend, host (2) and options (2) the parent and 8021q,
     * and per VLAN (2) plain and with a gateway, plus with a default route where the backend has
     * persistent config (ifcfg, nmcli, networkd, netplan, ifupdown and auto; not iproute2):
     * (6 x 8 + 6) x 2 x 2 renders of create, delete and check.
     */
    const ALL_SCRIPTS = (6 * 8 + 6) * 2 * 2 * 3;

    /** Every variant: both hosts, every backend, with and without gateway, default and test options. */
    function allScripts(): Array<{ name: string; script: string }> {
        const out: Array<{ name: string; script: string }> = [];
        const add = (name: string, s: HostScripts) => ACTIONS.forEach((a) => out.push({ name: `${name} ${a}`, script: s[a] }));
        const testOptions: RenderOptions = { stateDir: "/tmp/t/state", modulesLoadDir: "/tmp/t/modules", emulationMarker: "/tmp/t/marker" };
        for (const backend of BACKENDS) {
            for (const h of spec.hosts) {
                const host = withBackend(h, backend);
                for (const opts of [{}, testOptions]) {
                    add(`${h.name} parent ${backend}`, renderParentInterface(host, opts));
                    add(`${h.name} 8021q ${backend}`, renderKernelModule(host, opts));
                    for (const v of spec.vlans) {
                        add(`${h.name} ${v.interfaceName} ${backend}`, renderVlanInterface(host, v, opts));
                        add(`${h.name} ${v.interfaceName} ${backend} gateway`, renderVlanInterface(host, { ...v, gateway: "192.168.10.2" }, opts));
                        if (ROUTING_BACKENDS.includes(backend)) {
                            add(`${h.name} ${v.interfaceName} ${backend} default route`, renderVlanInterface(host, { ...v, gateway: "192.168.10.2", defaultRoute: true }, opts));
                        }
                    }
                }
            }
        }
        return out;
    }
});

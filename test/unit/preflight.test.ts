/**
 * The preflight's pure parts (components/preflight/render.ts): the facts of each host from a stack,
 * the URNs and import commands it names, records that cannot be broken by a value, the thin create
 * and its stdin, and the create through shellcheck. The script runs for real in test/exec/preflight.test.ts.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { childUrn, importCommand, preflightFactsOf, preflightScriptBody, renderPreflight } from "../../components/preflight";
import { SCRIPTS_DIR, shellLibrary } from "../../components/scripts";
import { loadLab } from "../../components/model/validate";
import { loadStackConfig } from "../../lab/stackFile";
import { requireTool } from "../helpers/tools";

function multiVlan() {
    const cfg = loadStackConfig("multi-vlan");
    const raw = Object.fromEntries(Object.entries(cfg).map(([k, v]) => [k.replace(/^macvlan-lab:/, ""), JSON.parse(v) as unknown]));
    return { spec: loadLab(raw) };
}

describe("preflight rendering (pure)", () => {
    it("forms a child's URN from its parent's as the engine does", () => {
        assert.equal(
            childUrn("urn:pulumi:dev::proj::macvlan-lab:index:MacvlanLab::lab", "pulumi:providers:docker", "lab-docker01-docker"),
            "urn:pulumi:dev::proj::macvlan-lab:index:MacvlanLab$pulumi:providers:docker::lab-docker01-docker",
        );
        assert.equal(childUrn("urn:pulumi:s::p::a:b:C$x:y:Z::n", "t:u:V", "m"), "urn:pulumi:s::p::a:b:C$x:y:Z$t:u:V::m");
        assert.throws(() => childUrn("lab", "t", "n"), /not a URN: "lab"/);
    });

    it("writes the import command with quoted parent and provider, {id} where the found id goes", () => {
        assert.equal(
            importCommand("container", "lab-docker01-bbox10-container", "urn:pulumi:s::p::T$C::x", "urn:pulumi:s::p::T$pulumi:providers:docker::d"),
            "pulumi import docker:index/container:Container lab-docker01-bbox10-container {id} --parent 'parent=urn:pulumi:s::p::T$C::x' --provider 'docker=urn:pulumi:s::p::T$pulumi:providers:docker::d'",
        );
    });

    it("gives each host of the multi-vlan stack its VLANs, networks, containers and the registry port on the registry host only", () => {
        const { spec } = multiVlan();
        assert.ok(spec);
        const imports = { network: (n: string) => `N ${n} {id}`, container: (c: string) => `C ${c} {id}` };
        const f1 = preflightFactsOf(spec, spec.hosts[0], "p/s", imports);
        const f2 = preflightFactsOf(spec, spec.hosts[1], "p/s", imports);
        assert.deepEqual(f1.vlanIds, [10, 20]);
        assert.equal(f1.hostPath, "hosts[name=docker01]");
        assert.equal(f2.hostPath, "hosts[name=docker02]");
        assert.deepEqual(f1.networks.map((n) => `${n.name} ${n.parent} ${n.subnet}`), ["mac_net10 ens33.10 172.16.10.0/24", "mac_net20 ens33.20 172.16.20.0/24"]);
        assert.deepEqual(f2.containers.map((c) => `${c.name} ${c.ip} ${c.importCommand}`), ["bbox10 172.16.10.11 C bbox10 {id}", "bbox20 172.16.20.21 C bbox20 {id}"]);
        assert.equal(f1.registryPort, 5000);
        assert.equal(f2.registryPort, undefined);
        assert.equal(f1.registryVolume, "registry-data");
        assert.equal(f2.registryVolume, undefined);
        assert.equal(f2.trustsInsecureRegistry, true);
    });

    it("refuses a value that would break its records instead of passing it on", () => {
        const { spec } = multiVlan();
        assert.ok(spec);
        const f = preflightFactsOf(spec, spec.hosts[0], "p/s", { network: () => "a|b", container: () => "x" });
        assert.throws(() => renderPreflight(f), /preflight: network mac_net10 field 6 "a\|b" cannot go into a record/);
    });

    it("renders a thin create of the host's inputs and puts the tables and preflight.sh on stdin", () => {
        const { spec } = multiVlan();
        assert.ok(spec);
        const imports = { network: (n: string) => `N ${n} {id}`, container: (c: string) => `C ${c} it's {id}` };
        const script = renderPreflight(preflightFactsOf(spec, spec.hosts[1], "p/s", imports));
        assert.deepEqual(script.create.split("\n"), [
            "# shellcheck disable=SC2034 # the inputs are read by preflight.sh, which arrives on stdin",
            "set -u",
            "# macvlan-lab: preflight of docker02 (read-only); its code (preflight/preflight.sh) and the stack's objects here arrive on stdin",
            "HOST='docker02'",
            "HOST_PATH='hosts[name=docker02]'",
            "BACKEND='ifcfg'",
            "CONFIG_DIR='/etc/sysconfig/network-scripts'",
            "NIC='ens33'",
            "VLAN_IDS='10 20'",
            "EMULATION_MARKER='/run/macvlan-lab/vlan-emulation'",
            "MIN_API='1.41'",
            "LABEL_KEY='dev.macvlan-lab.stack'",
            "STACK_ID='p/s'",
            "REGISTRY_PORT=''",
            "REGISTRY_VOLUME=''",
            "TRUST_INSECURE='yes'",
            "UNIT_FLAG_OK='no'",
            "STATE_HOST='/var/lib/macvlan-lab/host'",
            "cfg_dir='/etc/sysconfig/network-scripts'",
            "ifu_dir='/etc/network'",
            "marker='/run/macvlan-lab/vlan-emulation'",
            "code=$(cat)",
            `if ! eval "$code" || ! command -v preflight_run >/dev/null 2>&1; then echo "ERROR: preflight of $HOST: its code did not arrive whole on stdin" >&2; exit 2; fi`,
            "preflight_run",
            "",
        ]);
        assert.equal(
            script.stdin,
            "NETWORKS='mac_net10|macvlan|ens33.10|172.16.10.0/24|172.16.10.1|N mac_net10 {id}\nmac_net20|macvlan|ens33.20|172.16.20.0/24|172.16.20.1|N mac_net20 {id}'\n" +
                "CONTAINERS='bbox10|mac_net10|172.16.10.11|192.168.1.11:5000/busybox:v1|C bbox10 it'\\''s {id}\nbbox20|mac_net20|172.16.20.21|192.168.1.11:5000/busybox:v1|C bbox20 it'\\''s {id}'\n" +
                preflightScriptBody(),
        );
        // the rules of backend auto (one file, which the host scripts source too), then preflight.sh
        assert.equal(
            preflightScriptBody(),
            fs.readFileSync(path.join(SCRIPTS_DIR, "host", "backends", "detect.sh"), "utf8") + fs.readFileSync(path.join(SCRIPTS_DIR, "preflight", "preflight.sh"), "utf8"),
        );
        assert.ok(shellLibrary().files.includes("host/backends/detect.sh"));
        assert.ok(!shellLibrary().files.some((f) => f.startsWith("preflight/")), "the preflight runs before the library is installed: not part of it");
    });

    it("renders a create shellcheck accepts (preflight.sh itself is checked with the library's files)", function () {
        requireTool(this, "shellcheck");
        const { spec } = multiVlan();
        assert.ok(spec);
        const script = renderPreflight(preflightFactsOf(spec, spec.hosts[0], "p/s", { network: (n) => `N ${n} {id}`, container: (c) => `C ${c} {id}` }));
        const r = spawnSync("shellcheck", ["-s", "sh", "-"], { input: script.create, encoding: "utf8" });
        assert.equal(r.status, 0, r.stdout);
    });
});

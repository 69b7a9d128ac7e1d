/**
 * The tutorial's hosts as the tutorial leaves them (`npm run lab -- multi-vlan --profile
 * tutorial-leftovers`: no python, the unit flag, the tutorial's Docker objects), with the real
 * engine: the preflight reports every leftover on both hosts
 * with its fix and nothing changes on any host; with the fixes it printed applied on the hosts, the
 * same command applies the stack. Root only; skipped with the reason
 * elsewhere. The lab's name is unique to this test process; it is torn down in after(), on failure too.
 */
import { strict as assert } from "assert";
import { attachLab } from "../../lab/hosts";
import { downLab } from "../../lab/run/down";
import { preflightProblems } from "../../lab/run/output";
import { up } from "../../lab/run/up";
import { labUnavailable, skipIf } from "../helpers/labSuite";

const NAME = `mvlpf-${process.pid}`;

describe("lab: multi-vlan on hosts the tutorial left behind (profile tutorial-leftovers, real engine)", function () {
    this.timeout(900_000);
    const lines: string[] = [];
    const log = (l: string) => {
        lines.push(l);
        if (process.env.LAB_TEST_VERBOSE) console.log(`      | ${l}`);
    };
    let ready = false;

    before(async function () {
        skipIf(this, await labUnavailable());
        ready = true;
    });
    after(async () => {
        if (ready) await downLab(NAME, () => undefined);
    });

    let problems: string[] = [];

    it("stops at the preflight with every leftover of both hosts and its fix, changing nothing", async () => {
        const t = Date.now();
        const code = await up("multi-vlan", { name: NAME, profile: "tutorial-leftovers", log, skipPackages: true });
        console.log(`      time: up with leftovers (fails at the preflight): ${((Date.now() - t) / 1000).toFixed(1)} s`);
        assert.equal(code, 1, lines.slice(-40).join("\n"));
        problems = preflightProblems(lines.join("\n"));
        const summary = problems.map((p) => p.replace(/^preflight (\S+): PROBLEM \d+: (\S+ \S+) .*$/, "$1 $2")).sort((a, b) => Number(!a.includes(" dockerd ")) - Number(!b.includes(" dockerd ")) || a.localeCompare(b));
        assert.deepEqual(summary, [
            "docker01 dockerd is",
            "docker02 dockerd is",
            "docker01 container bbox10",
            "docker01 container bbox20",
            "docker01 container registry",
            "docker01 network mac_net10",
            "docker01 network mac_net20",
            "docker02 container bbox10",
            "docker02 container bbox20",
            "docker02 network mac_net10",
            "docker02 network mac_net20",
        ], problems.join("\n"));
        for (const p of problems.filter((x) => / PROBLEM \d+: network mac_net/.test(x))) {
            assert.match(p, /matches what the stack declares\. Fix: adopt it with: pulumi import docker:index\/network:Network lab-mac_net\d0-docker0\d [0-9a-f]{64} --parent 'parent=urn:pulumi:multi-vlan::macvlan-lab::macvlan-lab:index:MacvlanLab\$macvlan-lab:docker:MacvlanNetwork::lab-mac_net\d0' --provider 'docker=urn:pulumi:multi-vlan::macvlan-lab::macvlan-lab:index:MacvlanLab\$pulumi:providers:docker::lab-docker0\d-docker' {2}or remove it: docker network rm mac_net\d0$/);
        }
        for (const p of problems.filter((x) => / PROBLEM \d+: container bbox/.test(x))) {
            assert.match(p, /image busybox:latest, .* made by no stack \(a leftover\)\) and differs from what the stack declares \(image 192\.168\.1\.11:5000\/busybox:v1, network mac_net\d0 172\.16\.\d0\.\d+\)\. Fix: remove it: docker rm -f bbox\d0$/);
        }
        assert.ok(problems.some((p) => /container registry exists .* image registry:2, network bridge, made by no stack \(a leftover\)\) and matches what the stack declares\. Fix: adopt it with: pulumi import docker:index\/container:Container lab-registry-container [0-9a-f]{64} /.test(p)), problems.join("\n"));

        for (const p of problems.filter((x) => / PROBLEM \d+: dockerd /.test(x))) {
            assert.match(p, /dockerd is given --insecure-registry \(in \/etc\/systemd\/system\/docker\.service\).* Fix: set registry\.migrateUnitFlag: true .* or remove the flag from the unit by hand$/);
        }
        // the report is readable: the error quotes the thin create, not preflight.sh
        assert.ok(!lines.some((l) => l.includes("preflight_objects")), "preflight.sh's code is not in the output");

        const lab = attachLab(NAME);
        assert.ok(lab, "the hosts stay up with a profile");
        for (const h of ["docker01", "docker02"]) {
            // what the program meets on the host: no python anywhere, dockerd run with the tutorial's flag
            // the probe says it looked (a failed exec would not print the marker)
            const py = await lab.exec(h, ["sh", "-c", "command -v python3 || command -v python || ls /usr/bin/python* /bin/python* 2>/dev/null || echo 'no python here'"]);
            assert.deepEqual(py, { code: 0, stdout: "no python here\n", stderr: "" }, `${h}: python is on the host, or the probe did not run`);
            const cmdline = await lab.exec(h, ["sh", "-c", "tr '\\0' ' ' </proc/$(cat /run/docker.pid)/cmdline"]);
            assert.match(cmdline.stdout, /--insecure-registry 192\.168\.1\.11:5000/, `${h}: dockerd's command line`);
        }
        for (const h of ["docker01", "docker02"]) {
            const lib = await lab.exec(h, ["sh", "-c", "ls -A /var/lib/macvlan-lab/lib 2>/dev/null | wc -l"]);
            assert.equal(lib.stdout.trim(), "0", `${h}: not even the shell library was installed`);
            const files = await lab.exec(h, ["sh", "-c", "ls /etc/sysconfig/network-scripts; grep -c insecure-registries /etc/docker/daemon.json || true; ip -d link show ens33"]);
            assert.doesNotMatch(files.stdout, /ifcfg-ens33\.\d0/, `${h}: no VLAN config was written`);
            assert.match(files.stdout, /^0$/m, `${h}: daemon.json is untouched`);
            assert.doesNotMatch(files.stdout, /PROMISC/, `${h}: the NIC was not made promiscuous`);
        }
    });

    it("applies the stack once the fixes the preflight printed are applied on the hosts", async function () {
        if (problems.length === 0) {
            console.log("      skipped: the preflight printed no problems (the case before this one failed), so there is no fix to apply");
            this.skip();
        }
        const lab = attachLab(NAME);
        assert.ok(lab);
        // the unit flag by hand (the fix's second way; registry.test.ts proves migrateUnitFlag), on
        // the hosts whose dockerd problem names the unit file
        const unitFixed: string[] = [];
        for (const p of problems) {
            const m = /^preflight (\S+): PROBLEM \d+: dockerd is given --insecure-registry \(in (\/etc\/systemd\/system\/docker\.service)\)/.exec(p);
            if (m === null) continue;
            const r = await lab.exec(m[1], ["sh", "-c", 'sed -i "s/ --insecure-registry [^ ]*//" "$1" && systemctl daemon-reload && systemctl restart docker.service', "sh", m[2]]);
            assert.equal(r.code, 0, `${m[1]}: removing the flag from ${m[2]}: ${r.stderr}`);
            unitFixed.push(m[1]);
        }
        assert.deepEqual(unitFixed.sort(), ["docker01", "docker02"]);
        // containers first: a network with containers cannot be removed
        const fixes = problems
            .map((p) => /^preflight (\S+): .* remove it: (docker (?:rm -f|network rm) \S+)/.exec(p))
            .filter((m): m is RegExpExecArray => m !== null)
            .map((m) => ({ host: m[1], argv: m[2].split(" ") }))
            .sort((a, b) => Number(a.argv[1] === "network") - Number(b.argv[1] === "network"));
        assert.equal(fixes.length + unitFixed.length, problems.length, "every problem names its fix");
        for (const f of fixes) {
            const r = await lab.exec(f.host, f.argv);
            assert.equal(r.code, 0, `${f.host}: ${f.argv.join(" ")}: ${r.stderr}`);
        }
        lines.length = 0;
        const t = Date.now();
        const code = await up("multi-vlan", { name: NAME, profile: "tutorial-leftovers", log, skipPackages: true });
        console.log(`      time: up after the fixes: ${((Date.now() - t) / 1000).toFixed(1)} s`);
        assert.equal(code, 0, lines.slice(-60).join("\n"));
        assert.match(lines.join("\n"), /preflight docker01: ready: nothing in the way/);
    });
});

/**
 * The verify script of a host (components/verify/render.ts): what it renders, what it refuses, how
 * its output is read; and the script run for real with dash on this machine, with step checks that
 * find drift, find none, and cannot run, and a docker stand-in on PATH that answers as dockerd would
 * for the objects it knows (the lab test runs it against real dockerd and real host steps).
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HostVerifyInput, parseHostVerify, renderHostVerify, STEP_END, validateHostVerify } from "../../components/verify/render";
import { SCRIPTS_DIR } from "../../components/scripts";

const base: HostVerifyInput = {
    host: "docker01",
    libraryDir: SCRIPTS_DIR,
    steps: [],
    networks: [{ name: "mac_net10", driver: "macvlan", parent: "ens33.10", subnet: "172.16.10.0/24", gateway: "172.16.10.1", range: "172.16.10.64/26" }],
    containers: [
        { name: "bbox10", network: "mac_net10", ip: "172.16.10.10" },
        { name: "dyn10", network: "mac_net10" },
    ],
    running: ["registry"],
    stackLabel: { key: "dev.macvlan-lab.stack", value: "macvlan-lab/multi-vlan" },
};

describe("verify: the script of one host", () => {
    it("renders each step's check as a heredoc, then one call per Docker object and the trust, then verify_end", () => {
        const script = renderHostVerify({
            ...base,
            steps: [{ name: "lab-docker01-parent-promisc", check: "set -eu\necho checking\n" }],
            trust: { kind: "insecure", daemonJson: "/etc/docker/daemon.json", endpoint: "192.168.1.11:5000" },
        });
        const tail = script.slice(script.indexOf("verify_step"));
        assert.strictEqual(
            tail,
            [
                `verify_step 'lab-docker01-parent-promisc' <<'${STEP_END}'`,
                "set -eu",
                "echo checking",
                STEP_END,
                "verify_network 'mac_net10' 'macvlan' 'ens33.10' '172.16.10.0/24' '172.16.10.1' '172.16.10.64/26'",
                "verify_container 'bbox10' 'mac_net10' '172.16.10.10'",
                "verify_container 'dyn10' 'mac_net10' ''",
                "verify_running 'registry'",
                "verify_insecure_trust '/etc/docker/daemon.json' '192.168.1.11:5000'",
                "verify_end",
                "",
            ].join("\n"),
        );
        assert.match(script, /^stack_label='dev\.macvlan-lab\.stack=macvlan-lab\/multi-vlan'$/m);
        assert.match(script, /^\. "\$lib\/checks\/verify\.sh"$/m);
    });

    it("refuses what could break out of the script: a check holding the heredoc's end, names that are not names", () => {
        assert.deepStrictEqual(
            validateHostVerify({
                ...base,
                host: "docker 01",
                steps: [{ name: "x;y", check: `a\n${STEP_END}\nrm -rf /` }],
                networks: [{ ...base.networks[0], parent: "ens33.10 x" }],
                containers: [{ name: "$(id)", network: "mac_net10", ip: "1.2.3.4; id" }],
            }),
            [
                'host "docker 01" is not a host name',
                'step "x;y" is not a resource name',
                `the check of x;y holds the line ${STEP_END}`,
                "network mac_net10: driver or parent is not a plain word",
                'container "$(id)" is not a Docker name',
                'container $(id): "1.2.3.4; id" is not an address',
            ],
        );
        assert.throws(() => renderHostVerify({ ...base, steps: [{ name: "s", check: STEP_END }] }), /holds the line MACVLAN_LAB_END_OF_CHECK/);
    });

    it("reads the findings and the last line; a verify cut short is not complete", () => {
        assert.deepStrictEqual(parseHostVerify("note\nDRIFT\tdocker01\tcontainer bbox10\tcontainer bbox10 should be running, but it is exited\nERROR\tdocker01\tlab-x\tits check failed (exit 2): no\nVERIFIED\tdocker01\t7\t1\n"), {
            rows: [
                { host: "docker01", step: "container bbox10", kind: "drift", found: "container bbox10 should be running, but it is exited" },
                { host: "docker01", step: "lab-x", kind: "error", found: "its check failed (exit 2): no" },
            ],
            steps: 7,
            complete: true,
        });
        assert.deepStrictEqual(parseHostVerify("DRIFT\tdocker01\ts\tx\n"), { rows: [{ host: "docker01", step: "s", kind: "drift", found: "x" }], steps: 0, complete: false });
    });
});

describe("verify: the script run with dash (a docker stand-in on PATH)", function () {
    this.timeout(30_000);
    let dir: string;
    const dash = ["/usr/bin/dash", "/bin/dash"].find((p) => fs.existsSync(p));

    before(function () {
        if (dash === undefined) {
            console.log("      skipped: dash is not installed (the scripts' shell on Debian hosts)");
            this.skip();
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-"));
        // answers `docker network inspect`, `docker inspect --type container` and `docker info` the way
        // dockerd would for: mac_net10 as declared, bbox10 running at .10, dyn10 stopped, no registry
        fs.writeFileSync(
            path.join(dir, "docker"),
            [
                "#!/bin/sh",
                'case "$1 $2" in',
                '"network inspect") [ "$5" = mac_net10 ] && { echo "macvlan ens33.10 172.16.10.0/24 172.16.10.1 172.16.10.64/26 macvlan-lab/multi-vlan"; exit 0; }; echo "Error: No such network: $5" >&2; exit 1;;',
                '"inspect --type") case "$6" in bbox10) echo "running 172.16.10.10";; dyn10) echo "exited ";; *) echo "Error: No such container: $6" >&2; exit 1;; esac;;',
                '"info --format") echo "192.168.1.11:5000 ";;',
                "*) exit 2;;",
                "esac",
                "",
            ].join("\n"),
            { mode: 0o755 },
        );
        fs.writeFileSync(path.join(dir, "daemon.json"), '{"insecure-registries": ["192.168.1.11:5000"]}\n');
    });

    after(() => {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("reports each difference once with what was expected and what was found, succeeds, and ends with the count", () => {
        const script = renderHostVerify({
            ...base,
            steps: [
                { name: "lab-docker01-parent-promisc", check: "echo 'DRIFT: ens33 is not promiscuous'\necho 'drift: 1 difference(s)'\nexit 1\n" },
                { name: "lab-docker01-8021q-load", check: "echo 'ok: 8021q'\n" },
                { name: "lab-docker01-ens33.10-config", check: "echo 'ERROR: cannot read /proc' >&2\nexit 2\n" },
            ],
            trust: { kind: "insecure", daemonJson: path.join(dir, "daemon.json"), endpoint: "192.168.1.11:5000" },
        });
        const r = spawnSync(dash!, ["-s"], { input: script, encoding: "utf8", env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
        assert.strictEqual(r.status, 0, r.stderr);
        const parsed = parseHostVerify(r.stdout);
        assert.deepStrictEqual(parsed.rows, [
            { host: "docker01", step: "lab-docker01-parent-promisc", kind: "drift", found: "ens33 is not promiscuous" },
            { host: "docker01", step: "lab-docker01-ens33.10-config", kind: "error", found: "its check failed (exit 2): ERROR: cannot read /proc" },
            { host: "docker01", step: "container dyn10", kind: "drift", found: "container dyn10 should be running, but it is exited" },
            { host: "docker01", step: "container dyn10", kind: "drift", found: "container dyn10 should be on mac_net10, but it is not attached to it" },
            { host: "docker01", step: "container registry", kind: "drift", found: "container registry is missing" },
        ]);
        // 3 steps, 1 network, 2 containers, the registry, the trust
        assert.strictEqual(parsed.steps, 8);
        assert.ok(parsed.complete);
    });
});

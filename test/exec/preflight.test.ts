/**
 * The preflight (components/scripts/preflight/preflight.sh, on the stdin of the thin create that
 * renderPreflight renders) run for real by /bin/sh against a fake `docker` on PATH that answers from files, so each finding can be
 * set up: an old API, the stack's containers and networks already there (matching, different, or
 * the stack's own), another macvlan network on the parent, a listener on the registry port, the
 * tutorial's --insecure-registry on dockerd. The real docker's answers are proved in the lab test
 * of the tutorial-leftovers profile.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { PreflightFacts, renderPreflight } from "../../components/preflight";
import { HostSpec } from "../../components/model/types";

const FAKE_DOCKER = String.raw`#!/bin/sh
# a fake docker CLI for the preflight tests: answers from files under $FAKE
set -u
[ -e "$FAKE/down" ] && { echo "Cannot connect to the Docker daemon" >&2; exit 1; }
format=""
args=""
while [ $# -gt 0 ]; do
    case "$1" in
        --format) format=$2; shift 2 ;;
        -q) shift ;;
        --filter) args="$args $2"; shift 2 ;;
        *) args="$args $1"; shift ;;
    esac
done
set -- $args
a3=""
if [ $# -ge 3 ]; then a3=$3; fi
case "$*" in
    "version"*)
        case "$format" in *APIVersion*) cat "$FAKE/api" ;; *) echo 24.0.7 ;; esac ;;
    "network inspect"*)
        f="$FAKE/networks/$a3"
        [ -f "$f" ] || { echo "Error: No such network: $a3" >&2; exit 1; }
        case "$format" in "{{.Name}}"*) sed -n 2p "$f" ;; *) sed -n 1p "$f" ;; esac ;;
    "network ls"*)
        for f in "$FAKE"/networks/*; do [ -f "$f" ] && basename "$f"; done ;;
    "container inspect"*)
        f="$FAKE/containers/$a3"
        [ -f "$f" ] || { echo "Error: No such container: $a3" >&2; exit 1; }
        cat "$f" ;;
    "volume inspect"*)
        f="$FAKE/volumes/$a3"
        [ -f "$f" ] || { echo "Error: No such volume: $a3" >&2; exit 1; }
        cat "$f" ;;
    "ps -a volume="*)
        case "$*" in
            *" label="*) [ -f "$FAKE/volume-ours" ] && cat "$FAKE/volume-ours" ;;
            *) [ -f "$FAKE/volume-users" ] && cat "$FAKE/volume-users" ;;
        esac ;;
    "ps"*) [ -f "$FAKE/ps" ] && cat "$FAKE/ps" ;;
    *) echo "fake docker: unexpected: $*" >&2; exit 3 ;;
esac
`;

const HOST: HostSpec = {
    name: "docker01",
    ssh: { address: "192.168.1.11", port: 22, user: "root", dialErrorLimit: 5, perDialTimeout: 10 },
    nic: "lo",
    nicIsManagement: true,
    backend: "iproute2",
    configDir: "/nonexistent/network-scripts",
};

const STACK = "macvlan-lab/multi-vlan";
const IMPORT_C = "pulumi import docker:index/container:Container lab-docker01-bbox10-container {id} --parent 'parent=urn:c' --provider 'docker=urn:p'";
const IMPORT_N = "pulumi import docker:index/network:Network lab-mac_net10-docker01 {id} --parent 'parent=urn:n' --provider 'docker=urn:p'";

function facts(over: Partial<PreflightFacts> = {}): PreflightFacts {
    return {
        host: HOST,
        hostPath: "hosts[0]",
        vlanIds: [],
        networks: [{ name: "mac_net10", driver: "macvlan", parent: "lo", subnet: "172.16.10.0/24", gateway: "172.16.10.1", importCommand: IMPORT_N }],
        containers: [{ name: "bbox10", network: "mac_net10", ip: "172.16.10.10", image: "192.168.1.11:5000/busybox:v1", importCommand: IMPORT_C }],
        trustsInsecureRegistry: false,
        migrateUnitFlag: false,
        stackId: STACK,
        emulationMarker: "/nonexistent/marker",
        ...over,
    };
}

describe("exec: the preflight script against a fake docker", () => {
    let dir = "";
    let fake = "";
    let stdinOf: ((stdin: string) => string) | undefined;
    const run = (f: PreflightFacts) => {
        const script = renderPreflight(f);
        // as the host runs it: the create by the login shell, preflight.sh and the tables on its stdin
        const r = spawnSync("/bin/sh", ["-c", script.create], {
            input: stdinOf?.(script.stdin) ?? script.stdin,
            encoding: "utf8",
            env: { PATH: `${dir}/bin:/usr/sbin:/usr/bin:/sbin:/bin`, FAKE: fake },
        });
        return { code: r.status, out: r.stdout, err: r.stderr, problems: r.stderr.split("\n").filter((l) => l.includes(" PROBLEM ")) };
    };
    const write = (rel: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(fake, rel)), { recursive: true });
        fs.writeFileSync(path.join(fake, rel), text);
    };

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "preflight-"));
        fake = path.join(dir, "fake");
        fs.mkdirSync(path.join(dir, "bin"));
        fs.writeFileSync(path.join(dir, "bin", "docker"), FAKE_DOCKER, { mode: 0o755 });
        write("api", "1.43\n");
        fs.mkdirSync(path.join(fake, "networks"));
        fs.mkdirSync(path.join(fake, "containers"));
    });
    afterEach(() => {
        stdinOf = undefined;
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("passes a clean host and says what it found", () => {
        const r = run(facts());
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, /^preflight docker01: docker 24\.0\.7 \(API 1\.43, needs 1\.41 or later\)$/m);
        assert.match(r.out, /^preflight docker01: backend iproute2 \(runtime only: nothing is kept across a reboot\); backend auto would find nothing: no network stack that keeps configuration manages lo \(.*\); backend auto never picks iproute2, which keeps nothing$/m);
        assert.match(r.out, /^preflight docker01: parent lo: /m);
        assert.match(r.out, /^preflight docker01: ready: nothing in the way$/m);
        assert.equal(r.err, "");
    });

    it("refuses a Docker API older than 1.41, naming both", () => {
        write("api", "1.40\n");
        const r = run(facts());
        assert.equal(r.code, 1);
        assert.deepEqual(r.problems, ["preflight docker01: PROBLEM 1: docker: API 1.40 is older than 1.41, the lowest this program needs (Docker 20.10). Fix: upgrade Docker"]);
        assert.match(r.err, /^preflight docker01: 1 problem\(s\); nothing was changed on this or any other host$/m);
    });

    it("reports a daemon that does not answer", () => {
        write("down", "");
        const r = run(facts());
        assert.equal(r.code, 1);
        assert.match(r.problems[0], /docker: the daemon does not answer \(Cannot connect to the Docker daemon\)\. Fix: systemctl start docker$/);
    });

    it("offers the exact import for a leftover that matches the stack, and removal for one that differs", () => {
        write("containers/bbox10", "192.168.1.11:5000/busybox:v1|mac_net10 172.16.10.10\t||0123456789abcdef0123|running\n");
        write("networks/mac_net10", "macvlan|lo|172.16.10.0/24 172.16.10.1||fedcba9876543210fedc\nmac_net10|lo|\n");
        let r = run(facts());
        assert.equal(r.code, 1);
        assert.deepEqual(r.problems, [
            `preflight docker01: PROBLEM 1: network mac_net10 exists (id fedcba987654, macvlan lo 172.16.10.0/24 172.16.10.1, made by no stack (a leftover)) and matches what the stack declares. Fix: adopt it with: ${IMPORT_N.replace("{id}", "fedcba9876543210fedc")}  or remove it: docker network rm mac_net10`,
            `preflight docker01: PROBLEM 2: container bbox10 exists (id 0123456789ab, running, image 192.168.1.11:5000/busybox:v1, network mac_net10 172.16.10.10, made by no stack (a leftover)) and matches what the stack declares. Fix: adopt it with: ${IMPORT_C.replace("{id}", "0123456789abcdef0123")}  or remove it: docker rm -f bbox10`,
        ]);

        write("containers/bbox10", "busybox|mac_net10 172.16.10.10\t||0123456789abcdef0123|exited\n");
        write("networks/mac_net10", "macvlan|ens33.10|172.16.10.0/24 172.16.10.1|other/stack|fedcba9876543210fedc\nmac_net10|ens33.10|other/stack\n");
        r = run(facts());
        assert.deepEqual(r.problems, [
            "preflight docker01: PROBLEM 1: network mac_net10 exists (id fedcba987654, macvlan ens33.10 172.16.10.0/24 172.16.10.1, made by stack other/stack) and differs from what the stack declares (macvlan lo 172.16.10.0/24 172.16.10.1). Fix: remove it: docker network rm mac_net10 (after removing its containers)",
            "preflight docker01: PROBLEM 2: container bbox10 exists (id 0123456789ab, exited, image busybox, network mac_net10 172.16.10.10, made by no stack (a leftover)) and differs from what the stack declares (image 192.168.1.11:5000/busybox:v1, network mac_net10 172.16.10.10). Fix: remove it: docker rm -f bbox10",
        ]);
    });

    it("passes over the stack's own objects (by their label), as on a later update", () => {
        write("containers/bbox10", `busybox|mac_net10 172.16.10.10\t|${STACK}|0123456789abcdef0123|running\n`);
        write("networks/mac_net10", `macvlan|lo|10.0.0.0/8 10.0.0.1|${STACK}|fedcba9876543210fedc\nmac_net10|lo|${STACK}\n`);
        const r = run(facts());
        assert.equal(r.code, 0, r.err);
    });

    it("names another macvlan network on the parent, which Docker would refuse a second one beside", () => {
        write("networks/mac_net1", "macvlan|lo|172.22.16.0/24 172.22.16.1||aaaabbbbccccddddeeee\nmac_net1|lo|\n");
        const r = run(facts());
        assert.deepEqual(r.problems, [
            "preflight docker01: PROBLEM 1: network mac_net1 is a macvlan network on lo, which the stack's networks use; Docker refuses a second macvlan network on one parent. Fix: remove it: docker network rm mac_net1 (after removing its containers: docker ps -a --filter network=mac_net1)",
        ]);
    });

    it("reports a parent NIC that does not exist, a missing ifcfg directory and a kernel without 8021q, with the config path to change", () => {
        const host = { ...HOST, nic: "ens99", backend: "ifcfg" as const };
        const r = run(facts({ host, hostPath: "hosts[1]", networks: [], containers: [] }));
        assert.equal(r.code, 1);
        assert.match(r.problems[0], /PROBLEM 1: backend ifcfg: \/nonexistent\/network-scripts does not exist, so this host's network is not managed by network-scripts\. Fix: set hosts\[1\]\.backend to the backend that manages ens99, or auto, or set hosts\[1\]\.configDir to where its ifcfg files are$/);
        assert.match(r.problems[1], /PROBLEM 2: parent NIC ens99 does not exist \(this host has: .*\blo\b.*\)\. Fix: set hosts\[1\]\.nic to one of those$/);
    });

    it("reports a listener on the registry port, on the registry host", async () => {
        const server = net.createServer();
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const port = (server.address() as net.AddressInfo).port;
        try {
            const r = run(facts({ registryPort: port }));
            assert.deepEqual(r.problems, [
                `preflight docker01: PROBLEM 1: port ${port} (the registry's) is already listened on. Fix: stop what listens there (ss -ltnp 'sport = :${port}'), or set registry.port to a free port`,
            ]);
        } finally {
            server.close();
        }
    });

    describe("the registry's volume (issue 27: nothing adopted by name and then deleted on destroy)", () => {
        const vol = () => facts({ registryVolume: "registry-data" });
        it("no such volume, or the stack's own (labelled, or mounted by the stack's registry container): no problem", () => {
            assert.deepEqual(run(vol()).problems, []);
            write("volumes/registry-data", `${STACK}\n`);
            assert.equal(run(vol()).code, 0);
            write("volumes/registry-data", "\n");
            write("volume-ours", "0123456789abcdef\n");
            const r = run(vol());
            assert.equal(r.code, 0, r.err);
            assert.match(r.out, /^preflight docker01: volume registry-data: the stack's \(its container 0123456789ab mounts it\)$/m);
        });
        it("a volume of that name that is no stack's, or another stack's: a problem naming it, its users and the fix", () => {
            write("volumes/registry-data", "\n");
            assert.deepEqual(run(vol()).problems, [
                "preflight docker01: PROBLEM 1: volume registry-data exists (made by no stack); the registry would take it as its own and pulumi destroy would delete it with whatever it holds. Fix: set registry.volume to a name no volume has, or remove it if it is a leftover: docker volume rm registry-data",
            ]);
            write("volumes/registry-data", "macvlan-lab/other\n");
            write("volume-users", "registry\nbackup\n");
            assert.deepEqual(run(vol()).problems, [
                "preflight docker01: PROBLEM 1: volume registry-data exists (made by stack macvlan-lab/other, used by registry backup); the registry would take it as its own and pulumi destroy would delete it with whatever it holds. Fix: set registry.volume to a name no volume has, or remove it if it is a leftover: docker volume rm registry-data",
            ]);
            // not the registry host: not looked at
            assert.deepEqual(run(facts()).problems, []);
        });
    });

    it("stops with exit 2 and says so when its code does not arrive whole on stdin, checking nothing", () => {
        stdinOf = (stdin) => stdin.slice(0, stdin.indexOf("preflight_run() {"));
        let r = run(facts());
        assert.equal(r.code, 2, r.err);
        assert.equal(r.err, "ERROR: preflight of docker01: its code did not arrive whole on stdin\n");
        assert.equal(r.out, "");
        stdinOf = (stdin) => stdin.slice(0, stdin.length - 40);
        r = run(facts());
        assert.equal(r.code, 2, r.err);
        assert.equal(r.out, "");
        stdinOf = () => "";
        r = run(facts());
        assert.equal(r.code, 2, r.err);
        assert.equal(r.out, "");
    });

    describe("which network stack manages the NIC (backend auto, and a named backend the host does not run)", () => {
        /** A fake nmcli: NetworkManager runs and has `lo` in `state`, its active connection from `file`. */
        const fakeNm = (state: string, file: string) =>
            fs.writeFileSync(
                path.join(dir, "bin", "nmcli"),
                `#!/bin/sh\ncase "$*" in\n"-t -f RUNNING general") echo running ;;\n"-t -f DEVICE,STATE device") printf 'lo:${state}\\n' ;;\n` +
                    `"-t -f DEVICE,FILENAME connection show --active") printf 'lo:${file}\\n' ;;\n*) echo "fake nmcli: unexpected $*" >&2; exit 3 ;;\nesac\n`,
                { mode: 0o755 },
            );
        /** A fake ifquery that knows `lo` in the interfaces file it is given. */
        const fakeIfupdown = () => {
            fs.writeFileSync(path.join(dir, "bin", "ifquery"), '#!/bin/sh\n[ "$1" = -i ] && [ -f "$2" ] && [ "$3" = lo ] && exit 0\nexit 1\n', { mode: 0o755 });
            fs.mkdirSync(path.join(dir, "network"), { recursive: true });
            fs.writeFileSync(path.join(dir, "network", "interfaces"), "source /etc/network/interfaces.d/*\nauto lo\niface lo inet loopback\n");
        };
        const auto = (over: Partial<PreflightFacts> = {}) => facts({ host: { ...HOST, backend: "auto", configDir: "" }, ...over });
        // where an auto host's ifcfg files and interfaces file are (the defaults, moved into the test's folder)
        const dirs = () => {
            stdinOf = (stdin) => `cfg_dir='${dir}/network-scripts'\nifu_dir='${dir}/network'\nSTATE_HOST='${dir}/state'\n${stdin}`;
        };
        const lines = (r: { out: string }) => r.out.split("\n").filter((l) => l.includes("backend"));

        it("NetworkManager manages the NIC: nmcli, saying why", () => {
            dirs();
            fakeNm("connected", "/etc/NetworkManager/system-connections/lo.nmconnection");
            const r = run(auto());
            assert.equal(r.code, 0, r.err);
            assert.deepEqual(lines(r), ["preflight docker01: backend auto: nmcli, because NetworkManager manages lo (/etc/NetworkManager/system-connections/lo.nmconnection)"]);
        });

        it("NetworkManager manages it from an ifcfg file with network-scripts installed (CentOS 7): ifcfg", () => {
            dirs();
            fs.mkdirSync(path.join(dir, "network-scripts"));
            fs.writeFileSync(path.join(dir, "network-scripts", "ifup-eth"), "#!/bin/sh\n", { mode: 0o755 });
            fs.writeFileSync(path.join(dir, "network-scripts", "ifcfg-lo"), "DEVICE=lo\n");
            fakeNm("connected", `${dir}/network-scripts/ifcfg-lo`);
            const r = run(auto());
            assert.equal(r.code, 0, r.err);
            assert.deepEqual(lines(r), [`preflight docker01: backend auto: ifcfg, because NetworkManager manages lo from ${dir}/network-scripts/ifcfg-lo and network-scripts are installed: ifcfg files, which ifup hands to NetworkManager`]);
        });

        it("ifupdown has a stanza for it and NetworkManager leaves it unmanaged: ifupdown", () => {
            dirs();
            fakeIfupdown();
            fakeNm("unmanaged", "");
            const r = run(auto());
            assert.equal(r.code, 0, r.err);
            assert.deepEqual(lines(r), [`preflight docker01: backend auto: ifupdown, because ifupdown is installed and ${dir}/network/interfaces has a stanza for lo`]);
        });

        it("two stacks claim it, or none does: refused, with the fix", () => {
            dirs();
            fakeIfupdown();
            fakeNm("connected", "/run/NetworkManager/system-connections/lo.nmconnection");
            let r = run(auto());
            assert.equal(r.code, 1);
            assert.deepEqual(r.problems, [
                `preflight docker01: PROBLEM 1: backend auto cannot tell which network stack manages lo: more than one network stack claims lo (nmcli: NetworkManager manages lo (/run/NetworkManager/system-connections/lo.nmconnection); ifupdown: ifupdown is installed and ${dir}/network/interfaces has a stanza for lo). Fix: set hosts[0].backend to the backend that manages it (ifcfg, nmcli, networkd, netplan, ifupdown), or iproute2 for runtime only`,
            ]);
            fs.rmSync(path.join(dir, "bin", "nmcli"));
            fs.rmSync(path.join(dir, "bin", "ifquery"));
            r = run(auto());
            assert.equal(r.code, 1);
            assert.match(r.problems[0], /PROBLEM 1: backend auto cannot tell which network stack manages lo: no network stack that keeps configuration manages lo \(no NetworkManager, no systemd-networkd, no ifupdown, no network-scripts found\); backend auto never picks iproute2, which keeps nothing\. Fix: set hosts\[0\]\.backend to /);
        });

        it("a named backend the host does not run: a problem naming the one it runs", () => {
            dirs();
            fakeIfupdown();
            const r = run(facts({ host: { ...HOST, backend: "nmcli", configDir: "/etc/NetworkManager/system-connections" } }));
            assert.equal(r.code, 1);
            assert.deepEqual(r.problems, [
                `preflight docker01: PROBLEM 1: backend nmcli: this host does not run it for lo: ifupdown is installed and ${dir}/network/interfaces has a stanza for lo. Fix: set hosts[0].backend to ifupdown (or auto)`,
            ]);
        });

        it("the local lab's host (its marker, an ifcfg file of the lab, nothing else): ifcfg, said so", () => {
            dirs();
            fs.mkdirSync(path.join(dir, "network-scripts"));
            fs.writeFileSync(path.join(dir, "network-scripts", "ifcfg-lo"), "DEVICE=lo\n");
            fs.writeFileSync(path.join(dir, "marker"), "ens33.10\n");
            fakeIfupdown(); // the machine's own /etc shows through a lab host's: the marker decides
            const r = run(auto({ emulationMarker: path.join(dir, "marker") }));
            assert.equal(r.code, 0, r.err);
            assert.deepEqual(lines(r), [
                `preflight docker01: backend auto: ifcfg, because the local lab's host (${dir}/marker says its VLANs are emulated): ${dir}/network-scripts/ifcfg-lo as on the tutorial's CentOS 7, the ifcfg files written and the links brought up by the lab, no ifup`,
            ]);
        });

        it("components already made keep their backend (the records backend auto wrote), whatever the host shows now", () => {
            dirs();
            fs.mkdirSync(path.join(dir, "state"));
            fs.writeFileSync(path.join(dir, "state", "parent-lo.backend"), "networkd\n");
            fs.writeFileSync(path.join(dir, "state", "vlan-lo.10.backend"), "networkd\n");
            fakeNm("connected", "/etc/NetworkManager/system-connections/lo.nmconnection");
            let r = run(auto());
            assert.equal(r.code, 0, r.err);
            assert.deepEqual(lines(r), [
                `preflight docker01: backend auto: networkd, the backend the stack's components on this host were made with (recorded in ${dir}/state)`,
                "preflight docker01: backend auto: note that lo now looks managed by nmcli (NetworkManager manages lo (/etc/NetworkManager/system-connections/lo.nmconnection)); the components keep networkd until they are replaced",
            ]);
            fs.writeFileSync(path.join(dir, "state", "vlan-lo.20.backend"), "ifupdown\n");
            r = run(auto());
            assert.equal(r.code, 1);
            assert.match(r.problems[0], /PROBLEM 1: backend auto: the components already on this host were made by several backends \(ifupdown networkd, recorded in /);
        });
    });

    it("quotes every value it is given: a name with shell syntax stays data", () => {
        const evil = facts({
            stackId: "a'b$(touch /tmp/preflight-pwned)`x`",
            containers: [{ name: "bbox10", network: "mac_net10", image: "x'$(touch /tmp/preflight-pwned)'", importCommand: "'\\''`touch /tmp/preflight-pwned`" }],
        });
        const r = run(evil);
        assert.equal(r.code, 0, r.err);
        assert.equal(fs.existsSync("/tmp/preflight-pwned"), false);
    });
});

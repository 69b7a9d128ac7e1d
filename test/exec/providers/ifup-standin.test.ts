/**
 * The VMs' ifup/ifdown stand-ins (lab/vm/guest/ifup.sh, ifdown.sh) do what network-scripts 9.49.53
 * (ifup, ifup-eth, ifup-post, ifdown-eth, ifdown-post) do with the same file, run here in a throw-away
 * network + mount namespace: a veth pair (the "other host" is the peer end), /etc and /usr/sbin
 * overlaid so the ifcfg files, /sbin/ifup-local and fake NetworkManager tools exist only inside it,
 * sysfs mounted for the namespace, busybox's arping (as in the VMs). Each case is a fresh namespace.
 * This kernel has no 802.1Q, so the VLAN path itself is shown in the VMs (test/vm); here the
 * Ethernet path and what ifup does when 802.1Q is missing.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../../../lab/paths";

const IFUP = path.join(REPO_ROOT, "lab", "vm", "guest", "ifup.sh");
const IFDOWN = path.join(REPO_ROOT, "lab", "vm", "guest", "ifdown.sh");
const NS_DIR = "/etc/sysconfig/network-scripts";

function unavailable(): string | undefined {
    if (process.getuid?.() !== 0) return "needs root (network and mount namespaces)";
    for (const t of ["unshare", "ip", "busybox"]) {
        if (spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0) return `needs ${t} (util-linux, iproute2, busybox-static)`;
    }
    return undefined;
}

interface Case {
    /** ifcfg-v0 lines. */
    ifcfg: string[];
    /** Shell run in the namespace before the stand-in (the links exist and are down). */
    before?: string;
    /** What runs: shell with $IFUP and $IFDOWN. */
    run: string;
    /** Fake dbus-send and nmcli (NetworkManager running, the file's UUID). */
    networkManager?: boolean;
}

interface Outcome {
    status: number;
    stdout: string;
    stderr: string;
    /** Sections the namespace printed after the run: name -> text. */
    state: Record<string, string>;
}

const FAKE_DBUS = `#!/bin/sh
# fake dbus-send: NetworkManager owns its name; ifcfg-rh knows the file by this UUID
case "$*" in
*GetNameOwner*) echo 'method return'; exit 0 ;;
*LoadConnections*) exit 0 ;;
*GetIfcfgDetails*) printf '   string "%s"\\n' 5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03; exit 0 ;;
esac
exit 1
`;
const FAKE_NMCLI = `#!/bin/sh
echo "nmcli $*" >>/run/standin-test/nmcli.log
exit 0
`;

/** Runs one case in a fresh namespace; the state sections are printed by `dump`. */
function runCase(c: Case): Outcome {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "ifup-standin-"));
    try {
        for (const d of ["etc-up", "etc-work", "sbin-up", "sbin-work", "run"]) fs.mkdirSync(path.join(work, d));
        const script = [
            "set -u",
            `W=${work}`,
            "mount --make-rprivate / ",
            "mount -t overlay overlay -o lowerdir=/etc,upperdir=$W/etc-up,workdir=$W/etc-work /etc",
            "mount -t overlay overlay -o lowerdir=/usr/sbin,upperdir=$W/sbin-up,workdir=$W/sbin-work /usr/sbin",
            "mount -t sysfs sysfs /sys",
            "mount --bind $W/run /run",
            "mkdir -p /run/standin-test " + NS_DIR,
            "ln -sf /bin/busybox /usr/sbin/arping",
            `printf '%s\\n' ${c.ifcfg.map((l) => `'${l}'`).join(" ")} >${NS_DIR}/ifcfg-v0`,
            "printf '#!/bin/sh\\necho \"$1\" >>/run/standin-test/ifup-local.log\\n' >/usr/sbin/ifup-local; chmod 755 /usr/sbin/ifup-local",
            "printf '#!/bin/sh\\necho \"$1\" >>/run/standin-test/ifdown-local.log\\n' >/usr/sbin/ifdown-local; chmod 755 /usr/sbin/ifdown-local",
            ...(c.networkManager
                ? [`cat >/usr/sbin/dbus-send <<'EOF'\n${FAKE_DBUS}EOF`, "chmod 755 /usr/sbin/dbus-send", `cat >/usr/sbin/nmcli <<'EOF'\n${FAKE_NMCLI}EOF`, "chmod 755 /usr/sbin/nmcli"]
                : []),
            "ip link set lo up",
            "ip link add v0 type veth peer name v1",
            "ip link set v1 up",
            `IFUP=${IFUP}`,
            `IFDOWN=${IFDOWN}`,
            c.before ?? ":",
            "set +e",
            `( ${c.run} ) >$W/run/out 2>$W/run/err`,
            "rc=$?",
            "dump() { echo \"@@$1\"; shift; \"$@\" 2>&1; }",
            "dump addr ip -4 -o addr show dev v0",
            "dump link ip -o link show dev v0",
            "dump routes ip -4 route show table main",
            "dump v1mac cat /sys/class/net/v1/address",
            "dump ifindex cat /sys/class/net/v0/ifindex",
            "dump ifup-local cat /run/standin-test/ifup-local.log",
            "dump ifdown-local cat /run/standin-test/ifdown-local.log",
            "dump nmcli cat /run/standin-test/nmcli.log",
            "echo @@rc; echo $rc",
        ].join("\n");
        const r = spawnSync("unshare", ["--net", "--mount", "sh", "-c", script], { encoding: "utf8", timeout: 60_000 });
        assert.strictEqual(r.status, 0, `the namespace script failed: ${r.stderr}`);
        const state: Record<string, string> = {};
        let cur = "";
        for (const line of r.stdout.split("\n")) {
            if (line.startsWith("@@")) {
                cur = line.slice(2);
                state[cur] = "";
            } else if (cur !== "") state[cur] += `${line}\n`;
        }
        return {
            status: Number(state.rc.trim()),
            stdout: fs.readFileSync(path.join(work, "run", "out"), "utf8"),
            stderr: fs.readFileSync(path.join(work, "run", "err"), "utf8"),
            state,
        };
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}

const STATIC = ["DEVICE=v0", "NAME=v0", "BOOTPROTO=none", "ONBOOT=yes", "IPADDR=10.9.0.2", "PREFIX=24"];

describe("exec: the VMs' ifup/ifdown stand-ins behave as network-scripts 9.49.53", function () {
    this.timeout(120_000);
    before(function () {
        const why = unavailable();
        if (why !== undefined) {
            console.log(`      skipped: ${why}`);
            this.skip();
        }
    });

    it("ifup of a static file: the address with its broadcast, the zeroconf route, and ifup-post runs /sbin/ifup-local <dev>", () => {
        const o = runCase({ ifcfg: STATIC, run: `sh $IFUP v0` });
        assert.strictEqual(o.status, 0, o.stderr);
        assert.match(o.stdout, /^STAND-IN ifup \(not network-scripts\): bringing up v0 as network-scripts 9\.49\.53 would/m);
        assert.match(o.state.addr, /inet 10\.9\.0\.2\/24 brd 10\.9\.0\.255 scope global v0/);
        assert.match(o.state.link, /state UP|,UP/);
        const ifindex = Number(o.state.ifindex.trim());
        assert.match(o.state.routes, new RegExp(`169\\.254\\.0\\.0/16 dev v0 scope link metric ${1000 + ifindex}`));
        assert.strictEqual(o.state["ifup-local"], "v0\n");
        assert.doesNotMatch(o.state.routes, /^default/m);
    });

    it("a second ifup of an interface that is up returns 0, with \"RTNETLINK answers: File exists\" on stderr", () => {
        const o = runCase({ ifcfg: STATIC, run: `sh $IFUP v0 >/dev/null 2>&1; sh $IFUP v0` });
        assert.strictEqual(o.status, 0);
        assert.match(o.stderr, /RTNETLINK answers: File exists/);
        assert.strictEqual(o.state["ifup-local"], "v0\nv0\n", "ifup-post ran both times");
        assert.strictEqual((o.state.addr.match(/inet 10\.9\.0\.2\//g) ?? []).length, 1);
    });

    it("a default route only when GATEWAY lies in the interface's network (and DEFROUTE is not no)", () => {
        const inside = runCase({ ifcfg: [...STATIC, "GATEWAY=10.9.0.1"], run: `sh $IFUP v0` });
        assert.strictEqual(inside.status, 0, inside.stderr);
        assert.match(inside.state.routes, /^default via 10\.9\.0\.1 dev v0/m);
        const outside = runCase({ ifcfg: [...STATIC, "GATEWAY=10.8.0.1"], run: `sh $IFUP v0` });
        assert.strictEqual(outside.status, 0, outside.stderr);
        assert.doesNotMatch(outside.state.routes, /^default/m);
        assert.match(outside.state.addr, /inet 10\.9\.0\.2\/24/, "the rest of ifup ran");
        const off = runCase({ ifcfg: [...STATIC, "GATEWAY=10.9.0.1", "DEFROUTE=no"], run: `sh $IFUP v0` });
        assert.doesNotMatch(off.state.routes, /^default/m);
        // NETMASK instead of PREFIX: the same network test
        const mask = runCase({ ifcfg: ["DEVICE=v0", "BOOTPROTO=none", "IPADDR=10.9.0.2", "NETMASK=255.255.0.0", "GATEWAY=10.9.200.1"], run: `sh $IFUP v0` });
        assert.match(mask.state.routes, /^default via 10\.9\.200\.1 dev v0/m);
    });

    it("a failed `ip addr add` is logged on stdout and ifup goes on (exit 0, ifup-post still runs)", () => {
        const o = runCase({ ifcfg: [...STATIC, "BROADCAST=300.0.0.1"], run: `sh $IFUP v0` });
        assert.strictEqual(o.status, 0);
        assert.match(o.stdout, /^ERROR {5}: \[\/etc\/sysconfig\/network-scripts\/ifup-eth\] Error adding address 10\.9\.0\.2 for v0\.$/m);
        // ifup-eth 308's `ip addr change ... valid_lft forever` then sets the address after all, without
        // the broadcast that `ip addr add` was refused for: network-scripts end the same way
        assert.match(o.state.addr, /inet 10\.9\.0\.2\/24 scope global v0/);
        assert.doesNotMatch(o.state.addr, /brd/);
        assert.strictEqual(o.state["ifup-local"], "v0\n");
    });

    it("NetworkManager running and no NM_CONTROLLED=no: ifup hands the connection to `nmcli con up` and does nothing else", () => {
        const o = runCase({ ifcfg: STATIC, networkManager: true, run: `sh $IFUP v0` });
        assert.strictEqual(o.status, 0, o.stderr);
        assert.strictEqual(o.state.nmcli, "nmcli -t --fields device,state dev status\nnmcli con up uuid 5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03\n");
        assert.doesNotMatch(o.state.addr, /10\.9\.0\.2/);
        assert.match(o.state["ifup-local"], /No such file/, "/sbin/ifup-local did not run");
        // NM_CONTROLLED=no keeps the file with network-scripts
        const own = runCase({ ifcfg: [...STATIC, "NM_CONTROLLED=no"], networkManager: true, run: `sh $IFUP v0` });
        assert.strictEqual(own.status, 0, own.stderr);
        assert.match(own.state.nmcli, /No such file/, "nmcli was not called");
        assert.match(own.state.addr, /inet 10\.9\.0\.2\/24/);
        assert.strictEqual(own.state["ifup-local"], "v0\n");
    });

    it("a duplicate address is refused on stdout, naming the other host's MAC, and nothing is added", () => {
        const o = runCase({ ifcfg: STATIC, before: "ip addr add 10.9.0.2/24 dev v1", run: `sh $IFUP v0` });
        assert.strictEqual(o.status, 1);
        const mac = o.state.v1mac.trim();
        const m = /^ERROR {5}: \[\/etc\/sysconfig\/network-scripts\/ifup-eth\] Error, some other host \(([0-9A-Fa-f:]+)\) already uses address 10\.9\.0\.2\.$/m.exec(o.stdout);
        assert.ok(m, o.stdout);
        assert.strictEqual(m[1].toLowerCase(), mac.toLowerCase());
        assert.doesNotMatch(o.state.addr, /10\.9\.0\.2/);
        assert.match(o.state["ifup-local"], /No such file/);
    });

    it("a VLAN file on a kernel without 802.1Q fails as ifup does", function () {
        if (fs.existsSync("/proc/net/vlan") || spawnSync("modprobe", ["-n", "8021q"]).status === 0) {
            console.log("      skipped: this kernel has 802.1Q (the VLAN path is shown in the VMs, test/vm)");
            this.skip();
        }
        const o = runCase({ ifcfg: ["DEVICE=v0.10", "VLAN=yes", "PHYSDEV=v0", "BOOTPROTO=none", "IPADDR=10.9.10.2", "PREFIX=24"], run: `sh $IFUP v0.10` });
        assert.strictEqual(o.status, 1);
        assert.match(o.stdout, /^ERROR {5}: \[.*ifup\.sh\] No 802\.1Q VLAN support available in kernel for device v0\.10$/m);
    });

    it("ifdown: the device's addresses flushed, the link down, ifdown-post runs /sbin/ifdown-local <dev>", () => {
        const o = runCase({ ifcfg: STATIC, run: `sh $IFUP v0 >/dev/null 2>&1; ip addr add 10.9.1.9/24 dev v0; sh $IFDOWN v0` });
        assert.strictEqual(o.status, 0, o.stderr);
        assert.match(o.stdout, /^STAND-IN ifdown \(not network-scripts\): taking down v0/m);
        assert.strictEqual(o.state.addr, "");
        assert.doesNotMatch(o.state.link, /,UP/);
        assert.strictEqual(o.state["ifdown-local"], "v0\n");
    });

    it("files with what the stand-in does not cover are refused with the key named (DHCP, bonding, route files)", () => {
        const dhcp = runCase({ ifcfg: ["DEVICE=v0", "BOOTPROTO=dhcp"], run: `sh $IFUP v0` });
        assert.strictEqual(dhcp.status, 1);
        assert.match(dhcp.stderr, /STAND-IN ifup \(not network-scripts\): BOOTPROTO=dhcp in \/etc\/sysconfig\/network-scripts\/ifcfg-v0: not covered by this stand-in/);
        const route = runCase({ ifcfg: STATIC, before: `echo '10.7.0.0/16 via 10.9.0.1' >${NS_DIR}/route-v0`, run: `sh $IFUP v0` });
        assert.strictEqual(route.status, 1);
        assert.match(route.stderr, /route-v0 exists: ifup-post would apply it/);
    });
});

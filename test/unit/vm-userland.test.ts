/**
 * The userland VMs' pure parts (lab/vm/userland.ts, lab/vm/userland-image.ts, lab/vm/qemu.ts): each
 * stack's management config as exact text, what a VM's preparation writes and enables (read back
 * from the cpio by Debian's cpio), the script that waits for a boot's end and its parsing, the hosts'
 * checks, the image's digest and module closure, qemu's options for a disk and for reboots, the
 * snapshot's churn filter.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HostSpec } from "../../components/model/types";
import { parseSnapshot } from "../../lab/vm/harness";
import { baseQemuArgs, KERNEL_COMMAND_LINE } from "../../lab/vm/qemu";
import {
    managementConfig,
    parseSettle,
    preparedFiles,
    prepareCpio,
    settleScript,
    stableUuid,
    STACK_UNITS,
    UserlandHost,
    userlandHosts,
    USERLAND_STACKS,
    withoutChurn,
} from "../../lab/vm/userland";
import { moduleClosure, parseAptShowVersions, userlandDigest } from "../../lab/vm/userland-image";
import { requireTool } from "../helpers/tools";

const base: Omit<UserlandHost, "stack"> = { name: "docker01", nic: "ens33", address: "192.168.1.11", prefixLength: 24, mac: "52:54:00:6d:76:01" };

function hostSpec(name: string, address: string): HostSpec {
    return {
        name,
        nic: "ens33",
        nicIsManagement: true,
        backend: "iproute2",
        configDir: "/etc/network",
        ssh: { address, port: 22, user: "root", dialErrorLimit: 5, perDialTimeout: 10 },
    };
}

describe("vm userland: pure parts", function () {
    it("NetworkManager: a keyfile of its own with a stable UUID, mode 0600", function () {
        const [f] = managementConfig({ ...base, stack: "nm" });
        assert.strictEqual(f.path, "/etc/NetworkManager/system-connections/ens33.nmconnection");
        assert.strictEqual(f.mode, 0o600);
        const uuid = stableUuid("docker01 ens33");
        assert.match(uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.notStrictEqual(uuid, stableUuid("docker02 ens33"));
        assert.strictEqual(
            f.content,
            `[connection]\nid=ens33\nuuid=${uuid}\ntype=ethernet\ninterface-name=ens33\n\n[ethernet]\n\n[ipv4]\naddress1=192.168.1.11/24\nmethod=manual\n\n[ipv6]\nmethod=disabled\n`,
        );
    });

    it("systemd-networkd, netplan, ifupdown: their own files, exact text", function () {
        assert.deepStrictEqual(managementConfig({ ...base, stack: "networkd" }), [
            { path: "/etc/systemd/network/10-ens33.network", mode: 0o644, content: "[Match]\nName=ens33\n\n[Network]\nAddress=192.168.1.11/24\n" },
        ]);
        assert.deepStrictEqual(managementConfig({ ...base, stack: "netplan" }), [
            { path: "/etc/netplan/01-ens33.yaml", mode: 0o600, content: "network:\n  version: 2\n  renderer: networkd\n  ethernets:\n    ens33:\n      addresses:\n        - 192.168.1.11/24\n" },
        ]);
        const [ifupdown] = managementConfig({ ...base, stack: "ifupdown" });
        assert.strictEqual(ifupdown.path, "/etc/network/interfaces");
        assert.ok(ifupdown.content.includes("source /etc/network/interfaces.d/*\n"), ifupdown.content);
        assert.ok(ifupdown.content.includes("auto lo\niface lo inet loopback\n"), ifupdown.content);
        assert.ok(ifupdown.content.endsWith("\n# The primary network interface\nauto ens33\niface ens33 inet static\n\taddress 192.168.1.11/24\n"), ifupdown.content);
        assert.deepStrictEqual(managementConfig({ ...base, stack: "none" }), []);
    });

    it("each stack enables exactly its own unit (none: nothing)", function () {
        assert.deepStrictEqual(
            USERLAND_STACKS.map((s) => [s, STACK_UNITS[s]]),
            [
                ["nm", ["NetworkManager.service"]],
                ["networkd", ["systemd-networkd.service"]],
                ["netplan", ["systemd-networkd.service"]],
                ["ifupdown", ["networking.service"]],
                ["none", []],
            ],
        );
    });

    it("the preparation's files: hostname, hosts, a machine id per host, the .link naming the NIC by its MAC, then the stack's config", function () {
        const files = preparedFiles({ ...base, stack: "networkd" });
        assert.deepStrictEqual(
            files.map((f) => f.path),
            ["/etc/hostname", "/etc/hosts", "/etc/machine-id", "/etc/systemd/network/10-ens33.link", "/etc/systemd/network/10-ens33.network"],
        );
        assert.strictEqual(files[0].content, "docker01\n");
        assert.strictEqual(files[1].content, "127.0.0.1\tlocalhost\n127.0.1.1\tdocker01\n");
        assert.match(files[2].content, /^[0-9a-f]{32}\n$/);
        assert.notStrictEqual(files[2].content, preparedFiles({ ...base, name: "docker02", stack: "networkd" })[2].content);
        assert.strictEqual(files[3].content, "[Match]\nMACAddress=52:54:00:6d:76:01\n\n[Link]\nName=ens33\n");
    });

    it("the preparation's cpio, read by Debian's cpio: the files under prepare/root with their modes, the units in prepare/enable", function () {
        requireTool(this, "cpio");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vm-userland-test-"));
        try {
            const r = spawnSync("cpio", ["-i", "-d", "--quiet", "--no-absolute-filenames"], { cwd: dir, input: prepareCpio({ ...base, stack: "nm" }) });
            assert.strictEqual(r.status, 0, String(r.stderr));
            const keyfile = path.join(dir, "prepare/root/etc/NetworkManager/system-connections/ens33.nmconnection");
            assert.strictEqual(fs.statSync(keyfile).mode & 0o777, 0o600);
            assert.strictEqual(fs.readFileSync(keyfile, "utf8"), managementConfig({ ...base, stack: "nm" })[0].content);
            assert.strictEqual(fs.readFileSync(path.join(dir, "prepare/root/etc/hostname"), "utf8"), "docker01\n");
            assert.strictEqual(fs.readFileSync(path.join(dir, "prepare/enable"), "utf8"), "NetworkManager.service\n");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("after a boot: systemd's state and failed units, the stack's own wait, the management address checked", function () {
        const nm = settleScript({ ...base, stack: "nm" }, 120);
        assert.ok(nm.includes("timeout 120 systemctl is-system-running --wait"), nm);
        assert.ok(nm.includes("nm-online -s -q -t 120"), nm);
        assert.ok(nm.includes("grep -q ' 192.168.1.11/24 '"), nm);
        assert.ok(settleScript({ ...base, stack: "networkd" }, 60).includes("systemd-networkd-wait-online --timeout=60"));
        assert.ok(settleScript({ ...base, stack: "netplan" }, 60).includes("systemd-networkd-wait-online --timeout=60"));
        assert.ok(!settleScript({ ...base, stack: "ifupdown" }, 60).includes("ip addr replace"));
        assert.ok(settleScript({ ...base, stack: "none" }, 60).includes("ip addr replace '192.168.1.11/24' dev 'ens33'"));
        assert.deepStrictEqual(parseSettle("state degraded\nfailed foo.service loaded failed failed Foo\n"), { state: "degraded", failed: ["foo.service"], startup: "" });
        assert.deepStrictEqual(parseSettle("state running\nstartup Startup finished in 3.4s (kernel) + 22.3s (userspace) = 25.7s\n"), {
            state: "running",
            failed: [],
            startup: "Startup finished in 3.4s (kernel) + 22.3s (userspace) = 25.7s",
        });
    });

    it("hosts: the stack per host, the trunk MACs in host order, one error naming what a VM cannot take", function () {
        const hosts = [hostSpec("docker01", "192.168.1.11"), hostSpec("docker02", "192.168.1.13")];
        const list = userlandHosts(hosts, { docker01: "nm", docker02: "ifupdown" });
        assert.deepStrictEqual(
            list.map((h) => [h.name, h.stack, h.mac, h.prefixLength]),
            [
                ["docker01", "nm", "52:54:00:6d:76:01", 24],
                ["docker02", "ifupdown", "52:54:00:6d:76:02", 24],
            ],
        );
        assert.throws(() => userlandHosts(hosts, { docker01: "nm" }), /host docker02: no network stack chosen/);
        assert.throws(() => userlandHosts(hosts, "wicked" as never), /host docker01: no network stack chosen \(stack must be one of nm, networkd, netplan, ifupdown, none/);
        assert.throws(() => userlandHosts([{ ...hosts[0], nic: "eth 0" }], "nm"), /host docker01: NIC eth 0 is not a name/);
        assert.throws(() => userlandHosts([hostSpec("docker01", "db.example")], "nm"), /host docker01: address db.example is not an IPv4 address/);
    });

    it("qemu: a disk as virtio, reboots allowed on request; without them the initramfs VMs' options are unchanged", function () {
        const image = { kernel: "/c/vmlinuz", initrd: "/c/initrd.cpio" };
        const plain = baseQemuArgs({ image, consoleLog: "/r/a.console.log" });
        assert.ok(plain.includes("-no-reboot"));
        assert.ok(!plain.includes("-drive"));
        assert.strictEqual(plain[plain.indexOf("-append") + 1], KERNEL_COMMAND_LINE);
        const disk = baseQemuArgs({ image, consoleLog: "/r/a.console.log", disk: "/r/a.qcow2", allowReboot: true, commandLine: "root=/dev/vda" });
        assert.ok(!disk.includes("-no-reboot"));
        assert.strictEqual(disk[disk.indexOf("-drive") + 1], "file=/r/a.qcow2,if=virtio,format=qcow2,cache=unsafe");
        assert.strictEqual(disk[disk.indexOf("-append") + 1], "root=/dev/vda");
        assert.throws(() => baseQemuArgs({ image, consoleLog: "/r/a.log", disk: "/r/a,b.qcow2" }), /comma/);
    });

    it("the image's digest moves with any input; apt-cache's versions; the module closure follows modules.dep", function () {
        const a = userlandDigest({ suite: "bookworm", packages: "systemd" });
        assert.strictEqual(a, userlandDigest({ packages: "systemd", suite: "bookworm" }));
        assert.notStrictEqual(a, userlandDigest({ suite: "bookworm", packages: "systemd udev" }));
        assert.notStrictEqual(userlandDigest({ a: "bc", b: "" }), userlandDigest({ a: "b", b: "c" }));
        assert.deepStrictEqual(parseAptShowVersions("Package: udev\nVersion: 252.39-1\n\nPackage: dbus\nVersion: 1.14.10-1\n"), { udev: "252.39-1", dbus: "1.14.10-1" });
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vm-userland-test-"));
        try {
            fs.writeFileSync(
                path.join(dir, "modules.dep"),
                "kernel/net/8021q/8021q.ko: kernel/net/802/garp.ko kernel/net/802/mrp.ko\nkernel/net/802/garp.ko: kernel/net/llc/llc.ko\nkernel/net/802/mrp.ko:\nkernel/net/llc/llc.ko:\nkernel/drivers/scsi/sd.ko: kernel/lib/crc-t10dif.ko\nkernel/lib/crc-t10dif.ko:\nkernel/fs/nfs/nfs.ko: kernel/net/sunrpc/sunrpc.ko\nkernel/net/sunrpc/sunrpc.ko:\n",
            );
            assert.deepStrictEqual(moduleClosure(dir, ["kernel/net/8021q", "kernel/net/802"]), ["kernel/net/802/garp.ko", "kernel/net/802/mrp.ko", "kernel/net/8021q/8021q.ko", "kernel/net/llc/llc.ko"]);
            assert.deepStrictEqual(moduleClosure(dir, ["kernel/fs/nfs/nfs.ko", "kernel/drivers/sc"]), ["kernel/fs/nfs/nfs.ko", "kernel/net/sunrpc/sunrpc.ko"]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a snapshot without what every boot changes: the random seed, the services' private /tmp", function () {
        const s = parseSnapshot(
            "== files\nentry regular file 600 '/var/lib/systemd/random-seed'\nmd5 0123  /var/lib/systemd/random-seed\nentry directory 700 '/tmp/systemd-private-0123456789abcdef0123456789abcdef-systemd-logind.service-AbCdEf'\nentry regular file 644 '/etc/hostname'\n",
        );
        assert.deepStrictEqual(withoutChurn(s).files, ["entry regular file 644 '/etc/hostname'"]);
    });
});

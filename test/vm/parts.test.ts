/**
 * The qemu lab's parts that need no VM: the pcap reader on frames built byte by byte, the trunk's
 * pcap writer read back, the cpio writer checked by Debian's cpio, the kernel choice from
 * apt-cache's text, the qemu command line (one NIC, on the loopback trunk, no user-mode network),
 * the order of a host's steps, the network cases' containers, and the guest scripts under
 * shellcheck.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadStack } from "../../lab/topology";
import { writeCpio } from "../../lab/vm/cpio";
import { hostSteps, parseSnapshot, withBackend } from "../../lab/vm/harness";
import { GUEST_DIR, parseKernelDepends, VmImage } from "../../lab/vm/image";
import { attachmentsOf } from "../../lab/vm/networks";
import { countByVlan, echoes, framesFrom, framesOf, parseFrame, readPcap } from "../../lab/vm/pcap";
import { KERNEL_COMMAND_LINE, Vm } from "../../lab/vm/qemu";
import { pcapHeader, pcapRecord } from "../../lab/vm/trunk";
import { requireTool } from "../helpers/tools";

const A = [0x52, 0x54, 0x00, 0x6d, 0x76, 0x01];
const B = [0x52, 0x54, 0x00, 0x6d, 0x76, 0x02];
const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

function ipv4Icmp(src: number[], dst: number[], type: number): number[] {
    // 20-byte header (IHL 5), protocol 1, then the ICMP type and code
    return [0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, ...src, ...dst, type, 0, 0, 0, 0, 0, 0, 0];
}

function arpRequest(senderMac: number[], senderIp: number[], targetIp: number[]): number[] {
    return [0, 1, 0x08, 0x00, 6, 4, 0, 1, ...senderMac, ...senderIp, 0, 0, 0, 0, 0, 0, ...targetIp];
}

function tag(vid: number, pcp = 0): number[] {
    const tci = (pcp << 13) | vid;
    return [0x81, 0x00, tci >> 8, tci & 0xff];
}

function frame(dst: number[], src: number[], tags: number[][], type: number, payload: number[]): Buffer {
    return Buffer.from([...dst, ...src, ...tags.flat(), type >> 8, type & 0xff, ...payload]);
}

describe("vm: parts of the qemu lab (no VM)", function () {
    describe("pcap reader", function () {
        const f10 = frame(B, A, [tag(10)], 0x0800, ipv4Icmp([192, 168, 10, 10], [192, 168, 10, 11], 8));
        const f20 = frame(A, B, [tag(20, 5)], 0x0800, ipv4Icmp([192, 168, 20, 21], [192, 168, 20, 20], 0));
        const untagged = frame(BCAST, A, [], 0x0806, arpRequest(A, [192, 168, 1, 11], [192, 168, 1, 13]));
        const arp10 = frame(BCAST, A, [tag(10)], 0x0806, arpRequest(A, [172, 16, 10, 10], [172, 16, 20, 21]));
        const qinq = frame(B, A, [tag(100), tag(10)], 0x0800, ipv4Icmp([10, 0, 0, 1], [10, 0, 0, 2], 8));

        it("reads the 802.1Q tag (VLAN id without the priority bits), the inner EtherType, IPv4 and ARP addresses, the TTL", function () {
            const t = parseFrame(f20);
            assert.strictEqual(t.vid, 20);
            assert.strictEqual(t.type, 0x0800);
            assert.deepStrictEqual(t.ipv4, { src: "192.168.20.21", dst: "192.168.20.20", protocol: 1, ttl: 64, icmpType: 0 });
            assert.strictEqual(t.src, "52:54:00:6d:76:02");
            const u = parseFrame(untagged);
            assert.strictEqual(u.vid, undefined);
            assert.deepStrictEqual(u.arp, { op: 1, senderMac: "52:54:00:6d:76:01", senderIp: "192.168.1.11", targetIp: "192.168.1.13" });
            const q = parseFrame(qinq);
            assert.strictEqual(q.vid, 100);
            assert.strictEqual(q.innerTags, 1);
            assert.strictEqual(q.ipv4?.dst, "10.0.0.2");
            assert.throws(() => parseFrame(Buffer.alloc(13)), /shorter than an Ethernet header/);
        });

        it("reads back what the trunk writes, counts per VLAN id and untagged, and finds echoes, senders and targets", function () {
            const file = Buffer.concat([pcapHeader(), ...[f10, f20, untagged, arp10].map((f, i) => pcapRecord(f, 1_700_000_000_000 + i * 1.5))]);
            const frames = readPcap(file);
            assert.strictEqual(frames.length, 4);
            assert.strictEqual(frames[1].timeMs, 1_700_000_000_001.5);
            assert.deepStrictEqual(countByVlan(frames), { "10": 2, "20": 1, untagged: 1 });
            assert.deepStrictEqual(echoes(frames, "192.168.10.10", "192.168.10.11", "request").map((f) => f.index), [0]);
            assert.deepStrictEqual(echoes(frames, "192.168.10.10", "192.168.10.11", "reply"), []);
            assert.deepStrictEqual(framesOf(frames, "172.16.20.21").map((f) => f.index), [3]);
            assert.deepStrictEqual(framesFrom(frames, "172.16.20.21"), []);
            assert.deepStrictEqual(framesFrom(frames, "172.16.10.10").map((f) => f.index), [3]);
            // a record cut short (still being written) is left out, not misread
            assert.strictEqual(readPcap(file.subarray(0, file.length - 3)).length, 3);
            assert.throws(() => readPcap(Buffer.alloc(24)), /bad magic/);
        });
    });

    it("cpio: Debian's cpio lists the archive with the modes, links and device the writer put in", function () {
        requireTool(this, "cpio");
        const archive = writeCpio([
            { kind: "dir", path: "bin", mode: 0o755 },
            { kind: "file", path: "bin/hello", mode: 0o755, data: Buffer.from("#!/bin/sh\necho hi\n") },
            { kind: "symlink", path: "bin/sh", target: "dash" },
            { kind: "dir", path: "dev", mode: 0o755 },
            { kind: "chardev", path: "dev/console", mode: 0o600, major: 5, minor: 1 },
        ]);
        assert.strictEqual(archive.length % 4, 0);
        const r = spawnSync("cpio", ["-itv", "--quiet"], { input: archive, encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stderr);
        const lines = r.stdout.trim().split("\n").map((l) => l.replace(/\s+/g, " "));
        assert.strictEqual(lines.length, 5, r.stdout);
        assert.match(lines[0], /^drwxr-xr-x 2 root root 0 .* bin$/);
        assert.match(lines[1], /^-rwxr-xr-x 1 root root 18 .* bin\/hello$/);
        assert.match(lines[2], /^lrwxrwxrwx 1 root root 4 .* bin\/sh -> dash$/);
        assert.match(lines[4], /^crw------- 1 root root 5, 1 .* dev\/console$/);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mvl-cpio-"));
        try {
            const x = spawnSync("cpio", ["-id", "--quiet", "--no-absolute-filenames", "--nonmatching", "dev/*"], { input: archive, cwd: dir, encoding: "utf8" });
            assert.strictEqual(x.status, 0, x.stderr);
            assert.strictEqual(fs.readFileSync(path.join(dir, "bin/hello"), "utf8"), "#!/bin/sh\necho hi\n");
            assert.strictEqual(fs.readlinkSync(path.join(dir, "bin/sh")), "dash");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        assert.throws(() => writeCpio([{ kind: "dir", path: "/abs", mode: 0o755 }]), /not a relative path/);
        assert.throws(() => writeCpio([{ kind: "dir", path: "a", mode: 0o755 }, { kind: "dir", path: "a", mode: 0o755 }]), /twice/);
    });

    it("the kernel is the one linux-image-cloud-amd64 depends on", function () {
        const text = "Package: linux-image-cloud-amd64\nVersion: 6.1.192-3\nDepends: linux-image-6.1.0-57-cloud-amd64 (= 6.1.192-3)\n";
        assert.deepStrictEqual(parseKernelDepends(text), { pkg: "linux-image-6.1.0-57-cloud-amd64", version: "6.1.192-3" });
        assert.strictEqual(parseKernelDepends("Depends: something-else (= 1)\n"), undefined);
    });

    it("qemu: TCG, no default devices, one NIC on the loopback trunk, no user-mode network, the control channel a unix socket", function () {
        const image = { kernel: "/c/vmlinuz", initrd: "/c/initrd.cpio" } as VmImage;
        const args = Vm.qemuArgs({ name: "docker01", image, runDir: "/r", trunkPort: 40000, mac: "52:54:00:6d:76:01" }, "/r/docker01.console.log", "/r/docker01.ctl");
        const values = (opt: string) => args.flatMap((a, i) => (a === opt ? [args[i + 1]] : []));
        assert.deepStrictEqual(values("-machine"), ["pc,accel=tcg"]);
        assert.ok(args.includes("-nodefaults") && args.includes("-no-reboot"));
        assert.deepStrictEqual(values("-netdev"), ["socket,id=trunk,connect=127.0.0.1:40000"]);
        assert.deepStrictEqual(values("-nic"), []);
        assert.ok(!args.join(" ").includes("user"), args.join(" "));
        assert.deepStrictEqual(values("-append"), [KERNEL_COMMAND_LINE]);
        assert.ok(values("-chardev").includes("socket,id=ctl,path=/r/docker01.ctl,server=on,wait=off"));
    });

    it("a host's steps run in HostNetworking's order: shell library, parent NIC, 8021q, then each VLAN interface", function () {
        const loaded = loadStack("multi-vlan");
        assert.ok(loaded.stack, loaded.errors.join("\n"));
        const spec = withBackend(loaded.stack.spec, "iproute2");
        assert.deepStrictEqual(
            hostSteps(spec.hosts[0], spec.vlans).map((s) => s.what),
            ["shell library", "parent ens33", "8021q", "VLAN ens33.10", "VLAN ens33.20"],
        );
        assert.match(hostSteps(spec.hosts[0], spec.vlans)[3].scripts.create, /\(iproute2\): create/);
        assert.ok(hostSteps(spec.hosts[0], spec.vlans)[0].stdin?.startsWith("#@file "));
        assert.deepStrictEqual(hostSteps(spec.hosts[0], []).map((s) => s.what), ["shell library", "parent ens33"]);
        assert.deepStrictEqual(
            attachmentsOf(loaded.stack.spec).map((a) => `${a.host}/${a.container} ${a.ip}/${a.prefix} on ${a.parent} (VLAN ${a.vlan})`),
            [
                "docker01/bbox10 172.16.10.10/24 on ens33.10 (VLAN 10)",
                "docker01/bbox20 172.16.20.20/24 on ens33.20 (VLAN 20)",
                "docker02/bbox10 172.16.10.11/24 on ens33.10 (VLAN 10)",
                "docker02/bbox20 172.16.20.21/24 on ens33.20 (VLAN 20)",
            ],
        );
    });

    it("parses a snapshot into its parts", function () {
        const s = parseSnapshot(
            '== links\n[{"ifname":"lo"}]\n\n== addresses\n[]\n\n== routes\n[]\n\n== modules\n8021q\nvirtio\n== sysctls\n/proc/sys/net/ipv4/ip_forward:0\n== iptables\n-t filter\n-P FORWARD ACCEPT\n== files\nentry directory 755 \'/etc\'\nmd5 d41d8cd98f00b204e9800998ecf8427e  /etc/x\n',
        );
        assert.deepStrictEqual(s, {
            links: [{ ifname: "lo" }],
            addresses: [],
            routes: [],
            modules: ["8021q", "virtio"],
            sysctls: ["/proc/sys/net/ipv4/ip_forward:0"],
            iptables: ["-t filter", "-P FORWARD ACCEPT"],
            files: ["entry directory 755 '/etc'", "md5 d41d8cd98f00b204e9800998ecf8427e  /etc/x"],
        });
    });

    it("the guest scripts pass shellcheck", function () {
        requireTool(this, "shellcheck");
        const files = fs.readdirSync(GUEST_DIR).filter((f) => f.endsWith(".sh")).map((f) => path.join(GUEST_DIR, f));
        assert.ok(files.length >= 6);
        const r = spawnSync("shellcheck", ["-s", "sh", ...files], { encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    });
});

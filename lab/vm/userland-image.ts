/**
 * The userland VMs' disk (lab/vm/userland.ts): a real Debian 12 root with systemd as PID 1, the
 * network stacks the hosts of 2026 run (NetworkManager 1.42, systemd-networkd, netplan.io 0.106,
 * ifupdown) and Debian's cloud kernel's modules, built from Debian packages at first use and cached
 * outside the repo:
 *
 *   <cache>/vm/userland/<digest>/root.qcow2      the disk (ext4 on the whole device: /dev/vda); never written again
 *   <cache>/vm/userland/<digest>/vmlinuz         the cloud kernel (the same one lab/vm/image.ts boots)
 *   <cache>/vm/userland/<digest>/initrd.cpio     the boot initramfs: busybox, virtio-blk, guest/userland-init.sh
 *   <cache>/vm/userland/<digest>/manifest.json   what is in it (every package's version), sizes, build time
 *
 * How: `mmdebstrap --variant=essential` with USERLAND_PACKAGES (no recommends, no docs, man pages,
 * locales or info pages) into a directory; the kernel's modules (USERLAND_MODULE_DIRS and what they
 * depend on) with depmod's files under /usr/lib/modules; guest/userland-customize.sh (the agent, every
 * network stack disabled, fstab); `mkfs.ext4 -d` into a raw file, `qemu-img convert` to qcow2. The
 * VM has no network of its own in any of this: mmdebstrap downloads on the build machine.
 *
 * mmdebstrap runs in its root mode and mkfs.ext4 copies the owners it finds, so the build needs root
 * (userlandUnavailable says so). The directory is named by a digest of the inputs: the suite, the
 * package list and options, the kernel package, the module list, the guest files, busybox, and the
 * versions this machine's apt lists give the packages named (a Debian point release makes a new
 * image; the manifest lists what the image really got).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { run, runOk } from "../hosts/proc";
import { CpioEntry, writeCpio } from "./cpio";
import { chooseKernel, GUEST_DIR, kernelDeb, vmCacheDir, which } from "./image";

/** The Debian release of the userland. */
export const USERLAND_SUITE = "bookworm";

/**
 * The packages mmdebstrap installs on top of the essential set: the init system, udev, D-Bus (what
 * NetworkManager and networkctl talk over), the four network stacks, iproute2, kmod, iptables,
 * busybox-static (its `ping` is the tests' ping: Debian's iputils-ping is not needed).
 */
export const USERLAND_PACKAGES = [
    "systemd",
    "systemd-sysv",
    "udev",
    "dbus",
    "iproute2",
    "kmod",
    "iptables",
    "network-manager",
    "netplan.io",
    "ifupdown",
    "busybox-static",
] as const;

/**
 * mmdebstrap's options besides the package list: the essential variant (no apt, no
 * priority-important packages), merged /usr as debootstrap makes it (mmdebstrap's merged-usr hook:
 * usr-is-merged instead of the usrmerge package, which would bring perl), no recommended packages,
 * and no documentation, man pages, locales or info pages (the copyright files stay).
 */
export const MMDEBSTRAP_OPTIONS = [
    "--variant=essential",
    "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
    '--aptopt=APT::Install-Recommends "false"',
    "--dpkgopt=path-exclude=/usr/share/man/*",
    "--dpkgopt=path-exclude=/usr/share/doc/*",
    "--dpkgopt=path-include=/usr/share/doc/*/copyright",
    "--dpkgopt=path-exclude=/usr/share/locale/*",
    "--dpkgopt=path-exclude=/usr/share/info/*",
] as const;

/**
 * The kernel's module directories the disk gets (with what they depend on): all of networking
 * (8021q, macvlan, ipvlan, bridge, netfilter with nf_tables and ip_tables, ...), the virtio drivers
 * and the network device drivers, the block and character drivers, crypto and lib, autofs and
 * binfmt_misc (what systemd mounts at boot). The rest of
 * the cloud kernel's 91 MB of modules (file systems, InfiniBand, SCSI, ...) has no use here.
 */
export const USERLAND_MODULE_DIRS = [
    "kernel/net",
    "kernel/drivers/net",
    "kernel/drivers/virtio",
    "kernel/drivers/block",
    "kernel/drivers/char",
    "kernel/crypto",
    "kernel/lib",
    // autofs4: systemd loads it at boot (for its automount units) and says so when it is missing;
    // then binfmt_misc, which its proc-sys-fs-binfmt_misc automount mounts at boot
    "kernel/fs/autofs",
    "kernel/fs/binfmt_misc.ko",
] as const;

/** Modules the tests and the product load in these VMs: the build fails when one is missing. */
export const USERLAND_REQUIRED_MODULES = [
    "virtio_pci",
    "virtio_blk",
    "virtio_net",
    "virtio_console",
    "8021q",
    "macvlan",
    "ipvlan",
    "ip_tables",
    "iptable_filter",
    "nf_tables",
    "nft_compat",
] as const;

/** What the boot initramfs loads (in modprobe's order, with their dependencies) to reach the disk. */
export const BOOT_MODULES = ["virtio_pci", "virtio_blk"] as const;

/** The build machine's Debian packages the build needs (besides lab/vm/image.ts VM_PACKAGES). */
export const USERLAND_BUILD_PACKAGES = ["mmdebstrap", "qemu-utils", "e2fsprogs"] as const;

/** The guest files the disk or the boot initramfs carries. */
export const USERLAND_GUEST_FILES = ["agent.sh", "snapshot.sh", "macvlan-lab-agent.service", "60-macvlan-lab-agent.rules", "userland-customize.sh", "userland-init.sh"] as const;

/** Free room on the disk beyond what the root holds, for what the tests write (bytes). */
const FREE_BYTES = 512 * 1024 * 1024;

/** A change of how the image is made that the other inputs do not show: bump it. */
const FORMAT = 1;

export interface UserlandImage {
    dir: string;
    /** The cloud kernel. */
    kernel: string;
    /** The boot initramfs (guest/userland-init.sh). */
    initrd: string;
    /** The disk (qcow2): the base of every VM's overlay, never written. */
    disk: string;
    kernelRelease: string;
    kernelPackage: string;
    /** Every package in the root, with its version (dpkg-query in the root). */
    packages: Record<string, string>;
    /** Bytes of the qcow2 file, and of the files in the root. */
    diskBytes: number;
    rootBytes: number;
    /** Seconds the build took (as recorded when it was built). */
    buildSeconds: number;
    /** Whether this call built it (false: it was in the cache). */
    built: boolean;
    /** Seconds this call spent. */
    seconds: number;
}

interface Manifest {
    kernelPackage: string;
    kernelRelease: string;
    packages: Record<string, string>;
    diskBytes: number;
    rootBytes: number;
    buildSeconds: number;
    inputs: Record<string, string>;
}

/** The image's digest from its inputs (all strings or bytes, named). Pure. */
export function userlandDigest(inputs: Record<string, string | Buffer>): string {
    const h = createHash("sha256");
    for (const key of Object.keys(inputs).sort()) {
        const v = inputs[key];
        h.update(`${key}\0${v.length}\0`);
        h.update(v);
        h.update("\0");
    }
    return h.digest("hex").slice(0, 16);
}

/** `Package: x\nVersion: 1\n\nPackage: y\nVersion: 2\n` -> { x: "1", y: "2" }. Pure. */
export function parseAptShowVersions(text: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const block of text.split(/\n\s*\n/)) {
        const pkg = /^Package:\s*(\S+)/m.exec(block)?.[1];
        const ver = /^Version:\s*(\S+)/m.exec(block)?.[1];
        if (pkg !== undefined && ver !== undefined && out[pkg] === undefined) out[pkg] = ver;
    }
    return out;
}

/** The versions this machine's apt lists would install (empty when apt-cache knows none). */
async function candidateVersions(): Promise<Record<string, string>> {
    const r = await run(["apt-cache", "show", "--no-all-versions", ...USERLAND_PACKAGES], { timeoutMs: 60_000 });
    return r.code === 0 ? parseAptShowVersions(r.stdout) : {};
}

/** Why the userland image cannot be built or booted here, or undefined. */
export function userlandBuildProblem(): string | undefined {
    if (process.getuid?.() !== 0) {
        return "the userland VM image needs root to build (mmdebstrap's root mode, and mkfs.ext4 -d copies the files' owners)";
    }
    return undefined;
}

function readManifest(dir: string): Manifest | undefined {
    try {
        return JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as Manifest;
    } catch {
        return undefined;
    }
}

function duBytes(dir: string): number {
    let total = 0;
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else if (e.isFile()) total += fs.lstatSync(p).size;
        }
    };
    walk(dir);
    return total;
}

/**
 * The modules of `modRoot` under `dirs` (directories, or single modules' paths) and every module they depend on (modules.dep), as paths
 * relative to `modRoot`. Pure but for reading the tree.
 */
export function moduleClosure(modRoot: string, dirs: readonly string[]): string[] {
    const deps = new Map<string, string[]>();
    for (const line of fs.readFileSync(path.join(modRoot, "modules.dep"), "utf8").split("\n")) {
        const m = /^([^:]+):\s*(.*)$/.exec(line);
        if (m) deps.set(m[1], m[2].split(/\s+/).filter((x) => x !== ""));
    }
    const kept = new Set<string>();
    const add = (mod: string) => {
        if (kept.has(mod)) return;
        kept.add(mod);
        for (const d of deps.get(mod) ?? []) add(d);
    };
    for (const mod of deps.keys()) {
        if (dirs.some((d) => mod === d || mod.startsWith(`${d}/`))) add(mod);
    }
    return [...kept].sort();
}

/** The boot initramfs: busybox-static and its applets, the modules to reach /dev/vda, /init. */
async function bootInitramfs(modRoot: string, release: string): Promise<Buffer> {
    const busybox = await which("busybox");
    const entries: CpioEntry[] = [];
    for (const d of ["bin", "dev", "proc", "sys", "newroot", "lib", "lib/modules", `lib/modules/${release}`]) entries.push({ kind: "dir", path: d, mode: 0o755 });
    entries.push({ kind: "chardev", path: "dev/console", mode: 0o600, major: 5, minor: 1 });
    entries.push({ kind: "file", path: "bin/busybox", mode: 0o755, data: fs.readFileSync(busybox) });
    const applets = (await runOk([busybox, "--list"], { timeoutMs: 10_000 })).split("\n").map((a) => a.trim()).filter((a) => /^[a-z0-9_.[-]+$/.test(a));
    for (const a of ["sh", "insmod", "mount", "umount", "switch_root", "chroot", "poweroff", "cp", "find", "mkdir", "sync", "sleep", "cat"]) {
        if (!applets.includes(a)) throw new Error(`${busybox} has no ${a} applet; install Debian's busybox-static`);
    }
    for (const a of applets.sort()) {
        if (a !== "busybox") entries.push({ kind: "symlink", path: `bin/${a}`, target: "busybox" });
    }
    entries.push({ kind: "file", path: "init", mode: 0o755, data: fs.readFileSync(path.join(GUEST_DIR, "userland-init.sh")) });
    const shown = await runOk(["modprobe", "-d", path.resolve(modRoot, "../../.."), "-S", release, "--show-depends", "-a", ...BOOT_MODULES], { timeoutMs: 60_000 });
    const order: string[] = [];
    for (const line of shown.split("\n")) {
        const m = /^insmod (\S+\.ko)\s*$/.exec(line.trim()) ?? /^insmod (\S+\.ko)\s/.exec(line.trim());
        if (!m) continue;
        const name = path.basename(m[1]);
        if (order.includes(name)) continue;
        order.push(name);
        entries.push({ kind: "file", path: `lib/modules/${release}/${name}`, mode: 0o644, data: fs.readFileSync(m[1]) });
    }
    for (const mod of BOOT_MODULES) {
        if (!order.includes(`${mod}.ko`)) throw new Error(`the boot initramfs: module ${mod} not found (modprobe --show-depends said:\n${shown})`);
    }
    entries.push({ kind: "file", path: "boot-modules", mode: 0o644, data: Buffer.from(order.map((n) => `/lib/modules/${release}/${n}\n`).join("")) });
    return writeCpio(entries);
}

/**
 * The userland image, from the cache when it is there, else built (minutes: mmdebstrap downloads
 * and installs about 170 packages). Logs what it does; throws with the reason and the fix when it
 * cannot.
 */
export async function ensureUserlandImage(log: (s: string) => void = () => undefined): Promise<UserlandImage> {
    const started = Date.now();
    const problem = userlandBuildProblem();
    const { pkg, version } = await chooseKernel(log);
    const busybox = await which("busybox");
    const guestBytes: Record<string, Buffer> = {};
    for (const f of USERLAND_GUEST_FILES) guestBytes[`guest/${f}`] = fs.readFileSync(path.join(GUEST_DIR, f));
    const candidates = await candidateVersions();
    const inputs: Record<string, string | Buffer> = {
        format: String(FORMAT),
        suite: USERLAND_SUITE,
        packages: USERLAND_PACKAGES.join(" "),
        options: MMDEBSTRAP_OPTIONS.join(" "),
        kernel: `${pkg} ${version}`,
        moduleDirs: USERLAND_MODULE_DIRS.join(" "),
        bootModules: BOOT_MODULES.join(" "),
        busybox: fs.readFileSync(busybox),
        candidates: Object.entries(candidates)
            .map(([p, v]) => `${p}=${v}`)
            .join(" "),
        ...guestBytes,
    };
    const digest = userlandDigest(inputs);
    const dir = path.join(vmCacheDir(), "userland", digest);
    const image = (m: Manifest, built: boolean): UserlandImage => ({
        dir,
        kernel: path.join(dir, "vmlinuz"),
        initrd: path.join(dir, "initrd.cpio"),
        disk: path.join(dir, "root.qcow2"),
        kernelRelease: m.kernelRelease,
        kernelPackage: m.kernelPackage,
        packages: m.packages,
        diskBytes: m.diskBytes,
        rootBytes: m.rootBytes,
        buildSeconds: m.buildSeconds,
        built,
        seconds: (Date.now() - started) / 1000,
    });
    const cached = readManifest(dir);
    if (cached) return image(cached, false);
    if (problem !== undefined) throw new Error(problem);

    fs.mkdirSync(path.dirname(dir), { recursive: true });
    const tmp = fs.mkdtempSync(`${dir}.tmp-`);
    try {
        const root = path.join(tmp, "root");
        const t0 = Date.now();
        log(`userland image ${digest}: mmdebstrap ${USERLAND_SUITE} (${USERLAND_PACKAGES.join(" ")})`);
        const mm = await run(["mmdebstrap", ...MMDEBSTRAP_OPTIONS, `--include=${USERLAND_PACKAGES.join(",")}`, USERLAND_SUITE, root], { timeoutMs: 30 * 60_000 });
        if (mm.code !== 0) {
            throw new Error(`mmdebstrap exited ${mm.code}: ${(mm.stderr || mm.stdout).trim().split("\n").slice(-6).join("\n  ")}`);
        }
        const mmSeconds = (Date.now() - t0) / 1000;

        // the kernel: vmlinuz and the module subset with depmod's files
        const deb = await kernelDeb(pkg, version, log);
        const full = path.join(tmp, "kernel");
        await runOk(["dpkg-deb", "-x", deb, full], { timeoutMs: 5 * 60_000 });
        const releases = fs.readdirSync(path.join(full, "lib", "modules"));
        if (releases.length !== 1) throw new Error(`${deb}: expected one module tree, found ${releases.join(", ") || "none"}`);
        const release = releases[0];
        const modRoot = path.join(full, "lib", "modules", release);
        await runOk(["depmod", "-b", full, release], { timeoutMs: 5 * 60_000 });
        const kept = moduleClosure(modRoot, USERLAND_MODULE_DIRS);
        const outMods = path.join(root, "usr", "lib", "modules", release);
        for (const rel of kept) {
            fs.mkdirSync(path.join(outMods, path.dirname(rel)), { recursive: true });
            fs.copyFileSync(path.join(modRoot, rel), path.join(outMods, rel));
        }
        for (const f of ["modules.builtin", "modules.builtin.modinfo", "modules.order"]) {
            if (fs.existsSync(path.join(modRoot, f))) fs.copyFileSync(path.join(modRoot, f), path.join(outMods, f));
        }
        await runOk(["depmod", "-b", path.join(root, "usr"), release], { timeoutMs: 5 * 60_000 });
        const names = new Set(kept.map((k) => path.basename(k).replace(/\.ko$/, "").replace(/-/g, "_")));
        const builtin = fs.existsSync(path.join(modRoot, "modules.builtin")) ? fs.readFileSync(path.join(modRoot, "modules.builtin"), "utf8") : "";
        for (const mod of USERLAND_REQUIRED_MODULES) {
            if (!names.has(mod) && !builtin.includes(`/${mod}.ko`)) throw new Error(`${deb}: module ${mod} is not among the ${kept.length} kept (${USERLAND_MODULE_DIRS.join(" ")})`);
        }
        const vmlinuz = fs.readdirSync(path.join(full, "boot")).find((f) => f.startsWith("vmlinuz-"));
        if (!vmlinuz) throw new Error(`${deb}: no /boot/vmlinuz-*`);
        const out = path.join(tmp, "out");
        fs.mkdirSync(out);
        fs.copyFileSync(path.join(full, "boot", vmlinuz), path.join(out, "vmlinuz"));
        fs.writeFileSync(path.join(out, "initrd.cpio"), await bootInitramfs(modRoot, release));

        await runOk(["sh", path.join(GUEST_DIR, "userland-customize.sh"), root, GUEST_DIR], { timeoutMs: 5 * 60_000 });
        const listed = await runOk(["dpkg-query", `--admindir=${path.join(root, "var", "lib", "dpkg")}`, "-W", "-f", "${Package} ${Version}\\n"], { timeoutMs: 60_000 });
        const packages: Record<string, string> = {};
        for (const line of listed.split("\n")) {
            const [p, v] = line.trim().split(" ");
            if (p && v) packages[p] = v;
        }
        for (const p of USERLAND_PACKAGES) {
            if (packages[p] === undefined) throw new Error(`the root has no ${p} after mmdebstrap`);
        }

        // the disk: ext4 on the whole device, sized for the root and FREE_BYTES more
        const rootBytes = duBytes(root);
        const sizeMb = Math.ceil((rootBytes * 1.2 + FREE_BYTES) / (1024 * 1024));
        const raw = path.join(tmp, "root.raw");
        await runOk(["mkfs.ext4", "-q", "-F", "-L", "macvlan-lab", "-d", root, raw, `${sizeMb}M`], { timeoutMs: 10 * 60_000 });
        fs.rmSync(root, { recursive: true, force: true });
        fs.rmSync(full, { recursive: true, force: true });
        await runOk(["qemu-img", "convert", "-O", "qcow2", raw, path.join(out, "root.qcow2")], { timeoutMs: 10 * 60_000 });
        fs.rmSync(raw, { force: true });
        // the base of every overlay: nothing writes it again
        fs.chmodSync(path.join(out, "root.qcow2"), 0o444);
        const diskBytes = fs.statSync(path.join(out, "root.qcow2")).size;
        const manifest: Manifest = {
            kernelPackage: `${pkg} ${version}`,
            kernelRelease: release,
            packages,
            diskBytes,
            rootBytes,
            buildSeconds: (Date.now() - started) / 1000,
            inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, typeof v === "string" ? v : createHash("sha256").update(v).digest("hex").slice(0, 16)])),
        };
        fs.writeFileSync(path.join(out, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
        try {
            fs.renameSync(out, dir);
        } catch (e) {
            // another process built the same image at the same time: theirs is as good as ours
            if (!readManifest(dir)) throw e;
        }
        log(
            `userland image ${digest}: built in ${manifest.buildSeconds.toFixed(1)} s (mmdebstrap ${mmSeconds.toFixed(1)} s): ${Object.keys(packages).length} packages, ` +
                `${kept.length} modules, root ${(rootBytes / 1e6).toFixed(0)} MB, disk ${(diskBytes / 1e6).toFixed(0)} MB (qcow2 of a ${sizeMb} MiB ext4)`,
        );
        return image(manifest, true);
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/**
 * The VM image of the qemu lab (lab/vm): Debian's cloud kernel (which has 8021q, macvlan, ipvlan and
 * the legacy iptables modules as modules) and an initramfs with busybox-static, Debian's iproute2
 * `ip`, kmod (real modprobe, with modules.dep made by depmod here) and iptables (the legacy backend,
 * xtables-legacy-multi, as `iptables`), the kernel modules the tests need, and the guest scripts of
 * lab/vm/guest. Built from Debian packages at first use and cached outside the repo:
 *
 *   <cache>/vm/kernels/<package>_<version>.deb          the kernel package as downloaded
 *   <cache>/vm/kernels/<package>_<version>_<modules>/   vmlinuz, the module subset and its depmod files
 *   <cache>/vm/images/<digest>/               vmlinuz, initrd.cpio, manifest.json
 *
 * where <cache> is $MACVLAN_LAB_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/macvlan-lab, as the
 * engine build uses). The kernel package is the one Debian's `linux-image-cloud-amd64` depends on,
 * fetched with `apt-get download` (the only download; nothing else comes from the network). The
 * userland binaries are this machine's own (Debian 12 packages busybox-static, iproute2, kmod, dash,
 * iptables) with the shared libraries `ldd` names. The image's digest covers every byte that goes into it, so a
 * changed guest script or an upgraded package makes a new image; an unchanged one is reused.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { run, runOk } from "../hosts/proc";
import { CpioEntry, writeCpio } from "./cpio";

/** The Debian packages this machine needs to build and boot VM images. */
export const VM_PACKAGES = ["qemu-system-x86", "kmod", "busybox-static", "iproute2", "dash", "iptables"] as const;

/** The meta-package whose dependency names the cloud kernel to use. */
export const KERNEL_META_PACKAGE = "linux-image-cloud-amd64";

/**
 * Modules the VMs load (with their dependencies, from modules.dep): the NIC, the control channel
 * (a virtio serial port), 802.1Q, macvlan, ipvlan, and what legacy iptables needs for the
 * inter-VLAN router's policy (components/scripts/host/router.sh: a chain in the filter table with
 * `-s`/`-d` matches, which ip_tables has built in, and ACCEPT/DROP/jump targets): ip_tables (and its
 * dependency x_tables) and iptable_filter. Nothing loads them at boot: iptables does, through the
 * kernel's modprobe, when a script first runs it.
 */
export const VM_MODULES = ["virtio_pci", "virtio_net", "virtio_console", "8021q", "macvlan", "ipvlan", "ip_tables", "iptable_filter"] as const;

/**
 * iptables in the VMs: Debian's legacy backend (xtables-legacy-multi, which runs as `iptables` by the
 * name it is called with) on the kernel's ip_tables, not the nft backend Debian 12 defaults to (that
 * one needs nf_tables and the nft_compat modules). The names it answers to in the VM, all links to
 * it in /usr/sbin.
 */
export const IPTABLES_NAMES = ["iptables", "iptables-save", "iptables-restore", "iptables-legacy", "iptables-legacy-save", "iptables-legacy-restore"] as const;

/**
 * The xtables extensions (dlopened from the libxtables' directory at run time, so `ldd` does not
 * name them) the router's rules need: `standard` is the ACCEPT, DROP and jump-to-chain target; its
 * `-s`/`-d` are ip_tables' own. A rule that needs another fails in the VM with iptables' "Couldn't
 * load target/match" (add it here).
 */
export const XTABLES_EXTENSIONS = ["standard"] as const;

/** Where Debian's libxtables12 looks for its extensions (XTABLES_LIBDIR). */
const XTABLES_LIBDIR = "/usr/lib/x86_64-linux-gnu/xtables";

export const GUEST_DIR = path.join(__dirname, "guest");

/**
 * busybox applets the image does not link: real tools stand there instead (or a named stand-in).
 * `/bin/sh` is Debian's dash, the shell that runs the scripts on a Debian host: busybox's ash
 * would run its own applets (ip, modprobe, ifup) before anything on PATH.
 */
const NOT_FROM_BUSYBOX = new Set(["sh", "ip", "modprobe", "insmod", "rmmod", "lsmod", "depmod", "modinfo", "ifup", "ifdown", "init", "linuxrc"]);

export function cacheRoot(): string {
    return process.env.MACVLAN_LAB_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "macvlan-lab");
}

export function vmCacheDir(): string {
    return path.join(cacheRoot(), "vm");
}

export interface VmImage {
    dir: string;
    kernel: string;
    initrd: string;
    /** `6.1.0-57-cloud-amd64` */
    kernelRelease: string;
    /** `linux-image-6.1.0-57-cloud-amd64 6.1.192-3` */
    kernelPackage: string;
    /** Versions of the Debian packages the userland comes from. */
    userland: Record<string, string>;
    /** Whether this call built it (false: it was in the cache). */
    built: boolean;
    /** Seconds this call spent (download, unpack, build, or just the digest). */
    seconds: number;
}

interface KernelTree {
    dir: string;
    release: string;
    pkg: string;
    version: string;
}

/** `linux-image-6.1.0-57-cloud-amd64 (= 6.1.192-3)` -> package and version. Pure. */
export function parseKernelDepends(showText: string): { pkg: string; version: string } | undefined {
    const line = showText.split("\n").find((l) => l.startsWith("Depends:"));
    const m = /\b(linux-image-[0-9][a-z0-9.+-]*-cloud-amd64)\s*\(=\s*([^)\s]+)\)/.exec(line ?? "");
    return m ? { pkg: m[1], version: m[2] } : undefined;
}

const NAME_OK = /^[a-z0-9][a-z0-9.+:~-]*$/;

export async function chooseKernel(log: (s: string) => void): Promise<{ pkg: string; version: string }> {
    const show = await run(["apt-cache", "show", "--no-all-versions", KERNEL_META_PACKAGE], { timeoutMs: 60_000 });
    const found = show.code === 0 ? parseKernelDepends(show.stdout) : undefined;
    if (found && NAME_OK.test(found.pkg) && NAME_OK.test(found.version)) {
        return found;
    }
    // offline or no package lists: the newest kernel already in the cache will do
    const cached = listCachedKernels();
    if (cached.length > 0) {
        const k = cached[cached.length - 1];
        log(`apt-cache knows no ${KERNEL_META_PACKAGE} (${(show.stderr || "no Depends line").trim().split("\n")[0]}); using the cached ${k.pkg} ${k.version}`);
        return k;
    }
    throw new Error(
        `cannot pick the VM kernel: apt-cache show ${KERNEL_META_PACKAGE} gave no kernel dependency (exit ${show.code}: ${show.stderr.trim().split("\n")[0] ?? ""}); run apt-get update (root) so Debian's package lists are there`,
    );
}

function listCachedKernels(): Array<{ pkg: string; version: string }> {
    const dir = path.join(vmCacheDir(), "kernels");
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir)
        .filter((f) => /^linux-image-[^_]+_[^_]+\.deb$/.test(f))
        .map((f) => {
            const [pkg, version] = f.replace(/\.deb$/, "").split("_");
            return { pkg, version: version.replace(/%3a/g, ":") };
        })
        .sort((a, b) => (a.version < b.version ? -1 : 1));
}

/** The kernel package, downloaded once per version into the cache (kept: a new module list needs no download). */
export async function kernelDeb(pkg: string, version: string, log: (s: string) => void): Promise<string> {
    const deb = path.join(vmCacheDir(), "kernels", `${pkg}_${version.replace(/:/g, "%3a")}.deb`);
    if (fs.existsSync(deb)) return deb;
    fs.mkdirSync(path.dirname(deb), { recursive: true });
    const tmp = fs.mkdtempSync(`${deb}.tmp-`);
    try {
        log(`downloading ${pkg} ${version} (apt-get download)`);
        // apt-get download writes into the current directory
        const dl = await run(["sh", "-c", 'cd "$1" && exec apt-get download -q "$2"', "sh", tmp, `${pkg}=${version}`], { timeoutMs: 10 * 60_000 });
        const got = fs.readdirSync(tmp).find((f) => f.endsWith(".deb"));
        if (dl.code !== 0 || !got) {
            throw new Error(`apt-get download ${pkg}=${version} failed (exit ${dl.code}): ${dl.stderr.trim().split("\n").slice(-2).join(" | ")}`);
        }
        fs.renameSync(path.join(tmp, got), deb);
        return deb;
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/** The kernel and the module subset of VM_MODULES, unpacked once per package version and module list. */
async function kernelTree(log: (s: string) => void): Promise<KernelTree> {
    const { pkg, version } = await chooseKernel(log);
    const modulesKey = createHash("sha256").update(VM_MODULES.join(",")).digest("hex").slice(0, 8);
    const dir = path.join(vmCacheDir(), "kernels", `${pkg}_${version.replace(/:/g, "%3a")}_${modulesKey}`);
    if (fs.existsSync(path.join(dir, "release"))) {
        return { dir, release: fs.readFileSync(path.join(dir, "release"), "utf8").trim(), pkg, version };
    }
    const deb = await kernelDeb(pkg, version, log);
    const tmp = fs.mkdtempSync(`${dir}.tmp-`);
    try {
        const full = path.join(tmp, "full");
        await runOk(["dpkg-deb", "-x", deb, full], { timeoutMs: 5 * 60_000 });
        const releases = fs.readdirSync(path.join(full, "lib", "modules"));
        if (releases.length !== 1) throw new Error(`${deb}: expected one module tree, found ${releases.join(", ") || "none"}`);
        const release = releases[0];
        const modRoot = path.join(full, "lib", "modules", release);
        await runOk(["depmod", "-b", full, release], { timeoutMs: 5 * 60_000 });
        const deps = await runOk(["modprobe", "-d", full, "-S", release, "--show-depends", "-a", ...VM_MODULES], { timeoutMs: 60_000 });
        const kept = new Set<string>();
        for (const line of deps.split("\n")) {
            const m = /^insmod (\S+\.ko(\.[a-z]+)?)/.exec(line.trim());
            if (m) kept.add(path.relative(modRoot, m[1]));
        }
        for (const mod of VM_MODULES) {
            if (![...kept].some((k) => path.basename(k).replace(/\.ko.*$/, "").replace(/-/g, "_") === mod)) {
                throw new Error(`${deb}: module ${mod} is not in the package (is it built in, or missing?): modprobe --show-depends said:\n${deps}`);
            }
        }
        const out = path.join(tmp, "tree");
        const outMods = path.join(out, "lib", "modules", release);
        for (const rel of kept) {
            fs.mkdirSync(path.join(outMods, path.dirname(rel)), { recursive: true });
            fs.copyFileSync(path.join(modRoot, rel), path.join(outMods, rel));
        }
        for (const f of ["modules.builtin", "modules.builtin.modinfo", "modules.order"]) {
            if (fs.existsSync(path.join(modRoot, f))) fs.copyFileSync(path.join(modRoot, f), path.join(outMods, f));
        }
        await runOk(["depmod", "-b", out, release], { timeoutMs: 60_000 });
        const vmlinuz = fs.readdirSync(path.join(full, "boot")).find((f) => f.startsWith("vmlinuz-"));
        if (!vmlinuz) throw new Error(`${deb}: no /boot/vmlinuz-*`);
        fs.copyFileSync(path.join(full, "boot", vmlinuz), path.join(out, "vmlinuz"));
        fs.writeFileSync(path.join(out, "release"), `${release}\n`);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.renameSync(out, dir);
        log(`kernel ${release} from ${pkg} ${version}: ${kept.size} modules kept (${VM_MODULES.join(" ")} and their dependencies), depmod done`);
        return { dir, release, pkg, version };
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/** The shared libraries `ldd` names for `binary` (absolute paths, the loader included). */
export async function sharedLibraries(binary: string): Promise<string[]> {
    const r = await run(["ldd", binary], { timeoutMs: 30_000 });
    if (r.code !== 0) {
        // "not a dynamic executable" (busybox-static) exits 1
        if (/not a dynamic executable|statically linked/.test(r.stdout + r.stderr)) return [];
        throw new Error(`ldd ${binary} failed (exit ${r.code}): ${r.stderr.trim()}`);
    }
    const libs: string[] = [];
    for (const line of r.stdout.split("\n")) {
        const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
        if (m) libs.push(m[1]);
        else if (/=>\s*not found/.test(line)) throw new Error(`ldd ${binary}: ${line.trim()}`);
    }
    return libs;
}

export async function which(tool: string): Promise<string> {
    const r = await run(["sh", "-c", 'command -v "$1"', "sh", tool], { timeoutMs: 10_000 });
    const p = r.stdout.trim();
    if (r.code !== 0 || !p.startsWith("/")) {
        throw new Error(`${tool} is not installed on this machine (Debian packages: ${VM_PACKAGES.join(" ")})`);
    }
    return fs.realpathSync(p);
}

export async function packageVersion(pkg: string): Promise<string> {
    const r = await run(["dpkg-query", "-W", "-f", "${Version}", pkg], { timeoutMs: 10_000 });
    return r.code === 0 ? r.stdout.trim() : "unknown";
}

/** Directory entries for every parent of `p` not yet in `dirs` (outermost first). */
function parents(p: string, dirs: Set<string>, out: CpioEntry[]): void {
    const parts = path.posix.dirname(p).split("/").filter((x) => x !== "" && x !== ".");
    for (let i = 1; i <= parts.length; i++) {
        const d = parts.slice(0, i).join("/");
        if (!dirs.has(d)) {
            dirs.add(d);
            out.push({ kind: "dir", path: d, mode: 0o755 });
        }
    }
}

/** The initramfs entries: the guest scripts, busybox, ip, kmod, dash, iptables, their libraries, the modules. */
async function initramfsEntries(kernel: KernelTree): Promise<{ entries: CpioEntry[]; userland: Record<string, string> }> {
    const entries: CpioEntry[] = [];
    const dirs = new Set<string>();
    const add = (e: CpioEntry) => {
        parents(e.path, dirs, entries);
        if (e.kind === "dir") {
            if (dirs.has(e.path)) return;
            dirs.add(e.path);
        }
        entries.push(e);
    };
    const file = (to: string, from: string, mode = 0o755) => add({ kind: "file", path: to, mode, data: fs.readFileSync(from) });

    for (const d of ["proc", "sys", "dev", "run", "tmp", "root", "etc", "var/lib", "usr/bin", "usr/sbin", "bin", "sbin", "lib64"]) {
        add({ kind: "dir", path: d, mode: d === "tmp" ? 0o1777 : d === "root" ? 0o700 : 0o755 });
    }
    add({ kind: "chardev", path: "dev/console", mode: 0o600, major: 5, minor: 1 });
    add({ kind: "chardev", path: "dev/null", mode: 0o666, major: 1, minor: 3 });
    add({ kind: "symlink", path: "var/run", target: "../run" });
    add({ kind: "file", path: "etc/passwd", mode: 0o644, data: Buffer.from("root:x:0:0:root:/root:/bin/sh\n") });
    add({ kind: "file", path: "etc/group", mode: 0o644, data: Buffer.from("root:x:0:\n") });

    // guest scripts
    file("init", path.join(GUEST_DIR, "init.sh"));
    for (const s of ["agent.sh", "host-start.sh", "snapshot.sh"]) {
        file(`lib/macvlan-lab/${s}`, path.join(GUEST_DIR, s));
    }
    file("usr/sbin/ifup", path.join(GUEST_DIR, "ifup.sh"));
    file("usr/sbin/ifdown", path.join(GUEST_DIR, "ifdown.sh"));

    // binaries from this machine's Debian packages, with their libraries
    const busybox = await which("busybox");
    const ip = await which("ip");
    const kmod = await which("kmod");
    const dash = await which("dash");
    const xtables = await which("xtables-legacy-multi");
    const extensions = XTABLES_EXTENSIONS.map((e) => path.join(XTABLES_LIBDIR, `libxt_${e}.so`));
    for (const e of extensions) {
        if (!fs.existsSync(e)) throw new Error(`${e} is missing: the iptables extension the router's rules need (Debian package iptables)`);
    }
    const libs = new Set<string>();
    for (const b of [busybox, ip, kmod, dash, xtables, ...extensions]) {
        for (const l of await sharedLibraries(b)) libs.add(l);
    }
    file("bin/busybox", busybox);
    file("sbin/ip", ip);
    file("usr/bin/kmod", kmod);
    file("bin/dash", dash);
    add({ kind: "symlink", path: "bin/sh", target: "dash" });
    file("usr/sbin/xtables-legacy-multi", xtables);
    for (const name of IPTABLES_NAMES) add({ kind: "symlink", path: `usr/sbin/${name}`, target: "xtables-legacy-multi" });
    for (const e of extensions) file(e.replace(/^\//, ""), e, 0o644);
    for (const l of [...libs].sort()) {
        file(l.replace(/^\//, ""), fs.realpathSync(l), 0o755);
    }
    for (const tool of ["modprobe", "insmod", "rmmod", "lsmod", "depmod", "modinfo"]) {
        add({ kind: "symlink", path: `sbin/${tool}`, target: "/usr/bin/kmod" });
    }
    const applets = (await runOk([busybox, "--list"], { timeoutMs: 10_000 })).split("\n").map((a) => a.trim()).filter((a) => /^[a-z0-9_.[-]+$/.test(a));
    if (!applets.includes("sh")) throw new Error(`${busybox} has no sh applet; install Debian's busybox-static`);
    for (const a of applets.sort()) {
        if (NOT_FROM_BUSYBOX.has(a) || a === "busybox") continue;
        add({ kind: "symlink", path: `bin/${a}`, target: "busybox" });
    }

    // the kernel's module subset with its depmod files
    const walk = (rel: string) => {
        const full = path.join(kernel.dir, rel);
        for (const name of fs.readdirSync(full).sort()) {
            const r = path.posix.join(rel, name);
            if (fs.statSync(path.join(kernel.dir, r)).isDirectory()) {
                add({ kind: "dir", path: r, mode: 0o755 });
                walk(r);
            } else {
                file(r, path.join(kernel.dir, r), 0o644);
            }
        }
    };
    walk(`lib/modules/${kernel.release}`);

    const userland: Record<string, string> = {};
    for (const p of ["busybox-static", "iproute2", "kmod", "dash", "iptables", "libxtables12", "libc6"]) userland[p] = await packageVersion(p);
    return { entries, userland };
}

/**
 * The VM image, from the cache when it is there, else built (the kernel downloaded once per
 * version). Logs what it does; throws with the reason and the fix when it cannot.
 */
export async function ensureImage(log: (s: string) => void = () => undefined): Promise<VmImage> {
    const started = Date.now();
    const kernel = await kernelTree(log);
    const { entries, userland } = await initramfsEntries(kernel);
    const cpio = writeCpio(entries);
    const vmlinuz = fs.readFileSync(path.join(kernel.dir, "vmlinuz"));
    const digest = createHash("sha256").update(vmlinuz).update(cpio).digest("hex").slice(0, 16);
    const dir = path.join(vmCacheDir(), "images", digest);
    const image = (built: boolean): VmImage => ({
        dir,
        kernel: path.join(dir, "vmlinuz"),
        initrd: path.join(dir, "initrd.cpio"),
        kernelRelease: kernel.release,
        kernelPackage: `${kernel.pkg} ${kernel.version}`,
        userland,
        built,
        seconds: (Date.now() - started) / 1000,
    });
    if (fs.existsSync(path.join(dir, "manifest.json"))) {
        return image(false);
    }
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    const tmp = fs.mkdtempSync(`${dir}.tmp-`);
    fs.writeFileSync(path.join(tmp, "vmlinuz"), vmlinuz);
    fs.writeFileSync(path.join(tmp, "initrd.cpio"), cpio);
    const manifest = { kernelPackage: `${kernel.pkg} ${kernel.version}`, kernelRelease: kernel.release, userland, files: entries.length, initrdBytes: cpio.length };
    fs.writeFileSync(path.join(tmp, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    try {
        fs.renameSync(tmp, dir);
    } catch (e) {
        // another process built the same image at the same time: theirs is as good as ours
        fs.rmSync(tmp, { recursive: true, force: true });
        if (!fs.existsSync(path.join(dir, "manifest.json"))) throw e;
    }
    const result = image(true);
    log(`VM image ${digest}: ${kernel.release} (${kernel.pkg} ${kernel.version}), initramfs ${(cpio.length / 1e6).toFixed(1)} MB, ${entries.length} entries, built in ${result.seconds.toFixed(1)} s`);
    return result;
}

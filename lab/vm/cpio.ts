/**
 * A writer of the cpio "newc" format (the one the Linux kernel unpacks as an initramfs, described in
 * the kernel's Documentation/driver-api/early-userspace/buffer-format.rst): directories, regular
 * files, symbolic links and character devices, all owned by root, in the order given. Written here
 * rather than with the cpio tool so that an image needs no root (a device node such as /dev/console
 * cannot be made by an unprivileged `mknod`) and the same inputs give the same bytes.
 */

export type CpioEntry =
    | { kind: "dir"; path: string; mode: number }
    | { kind: "file"; path: string; mode: number; data: Buffer }
    | { kind: "symlink"; path: string; target: string }
    | { kind: "chardev"; path: string; mode: number; major: number; minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
        throw new Error(`cpio: ${n} does not fit a newc header field`);
    }
    return n.toString(16).padStart(8, "0");
}

function pad4(length: number): Buffer {
    return Buffer.alloc((4 - (length % 4)) % 4);
}

function record(ino: number, mode: number, name: string, data: Buffer, rdev: [number, number] = [0, 0]): Buffer[] {
    const nameBytes = Buffer.from(`${name}\0`, "utf8");
    const fields = [ino, mode, 0, 0, mode & S_IFDIR ? 2 : 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
    const header = Buffer.from(`070701${fields.map(hex8).join("")}`, "ascii");
    return [header, nameBytes, pad4(header.length + nameBytes.length), data, pad4(data.length)];
}

/** The archive of `entries` (paths relative, without a leading slash: `bin/busybox`), with its trailer. */
export function writeCpio(entries: CpioEntry[]): Buffer {
    const parts: Buffer[] = [];
    const seen = new Set<string>();
    entries.forEach((e, i) => {
        if (e.path.startsWith("/") || e.path === "" || e.path.split("/").includes("..")) {
            throw new Error(`cpio: ${JSON.stringify(e.path)} is not a relative path inside the archive`);
        }
        if (seen.has(e.path)) {
            throw new Error(`cpio: ${e.path} is in the archive twice`);
        }
        seen.add(e.path);
        const ino = i + 1;
        switch (e.kind) {
            case "dir":
                parts.push(...record(ino, S_IFDIR | (e.mode & 0o7777), e.path, Buffer.alloc(0)));
                break;
            case "file":
                parts.push(...record(ino, S_IFREG | (e.mode & 0o7777), e.path, e.data));
                break;
            case "symlink":
                parts.push(...record(ino, S_IFLNK | 0o777, e.path, Buffer.from(e.target, "utf8")));
                break;
            case "chardev":
                parts.push(...record(ino, S_IFCHR | (e.mode & 0o7777), e.path, Buffer.alloc(0), [e.major, e.minor]));
                break;
            default: {
                const never_: never = e;
                throw new Error(`cpio: unknown entry ${JSON.stringify(never_)}`);
            }
        }
    });
    parts.push(...record(0, 0, "TRAILER!!!", Buffer.alloc(0)));
    return Buffer.concat(parts);
}

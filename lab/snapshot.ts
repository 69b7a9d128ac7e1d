/**
 * What a lab host looks like, observed on the host itself (inside its namespaces, not over SSH):
 * links with their flags (PROMISC included), addresses, routes, the files of the network config
 * directory and /etc/modules-load.d, the bytes of /etc/docker/daemon.json, Docker networks,
 * containers and images. Volatile fields (ids, counters, timestamps, lifetimes, IPv6 link-local
 * addresses that the kernel adds on its own schedule, the random names of Docker's veths, the lab
 * driver's hash label) are left out, so two snapshots of an unchanged host are equal, and a host
 * converged again after a destroy equals the host after a clean apply. For the lab tests and the benchmark.
 */
import * as fs from "fs";
import * as path from "path";
import type { LabHosts } from "./hosts";

/** One link: `ip -d link` without indexes and counters. */
export interface LinkSnapshot {
    flags: string[];
    mtu: number;
    operstate: string;
    mac?: string;
    kind?: string;
    alias?: string;
    master?: string;
}

export interface AddressSnapshot {
    family: string;
    local: string;
    prefixlen: number;
    scope: string;
    broadcast?: string;
}

export interface FileSnapshot {
    /** `0644` */
    mode: string;
    /** The bytes as UTF-8 text, or base64 (`encoding: "base64"`) when they are not UTF-8. */
    content: string;
    encoding?: "base64";
}

export interface NetworkSnapshot {
    driver: string;
    options: Record<string, string>;
    ipam: { driver: string; options: Record<string, string>; config: Array<Record<string, unknown>> };
    internal: boolean;
    attachable: boolean;
    ipv6: boolean;
    labels: Record<string, string>;
}

export interface ContainerSnapshot {
    image: string;
    imageId: string;
    state: string;
    restartPolicy: string;
    /** network name -> address/prefix */
    addresses: Record<string, string>;
    labels: Record<string, string>;
}

export interface HostSnapshot {
    links: Record<string, LinkSnapshot>;
    /** link name -> its addresses, sorted. */
    addresses: Record<string, AddressSnapshot[]>;
    /** `ip route show table all` lines (IPv4, and IPv6 other than link-local and multicast), sorted. */
    routes: string[];
    /** absolute path -> the file (every regular file under the directories snapshotted). */
    files: Record<string, FileSnapshot>;
    /** Bytes of /etc/docker/daemon.json, or null when it does not exist. */
    daemonJson: string | null;
    networks: Record<string, NetworkSnapshot>;
    containers: Record<string, ContainerSnapshot>;
    /** `repo:tag image-id`, sorted. */
    images: string[];
}

export type LabSnapshot = Record<string, HostSnapshot>;

export interface SnapshotOptions {
    /** Directories whose files are recorded. Defaults to the ifcfg directory and /etc/modules-load.d. */
    dirs?: string[];
    /** Per command. Defaults to 30 s. */
    timeoutMs?: number;
}

export const DEFAULT_SNAPSHOT_DIRS = ["/etc/sysconfig/network-scripts", "/etc/modules-load.d"];

/** lab/snapshot-files.sh: lists the entries under the directories it is given (see the file). */
export const FILES_SCRIPT = path.join(__dirname, "snapshot-files.sh");

/** How snapshotHost runs lab/snapshot-files.sh on `dirs`: `sh -s -- <dir>...`, the script on stdin. */
export function filesCommand(dirs: readonly string[]): { argv: string[]; input: string } {
    return { argv: ["sh", "-s", "--", ...dirs], input: fs.readFileSync(FILES_SCRIPT, "utf8") };
}

/** Strict UTF-8, as Python's `bytes.decode("utf-8")`: an invalid sequence throws, a BOM is kept (U+FEFF). */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function isUtf8(bytes: Uint8Array): boolean {
    try {
        UTF8.decode(bytes);
        return true;
    } catch {
        return false;
    }
}

/**
 * A path's bytes as Python's os functions give it (UTF-8, each byte of an invalid sequence as the
 * lone surrogate U+DC00 + byte: "surrogateescape"), as the snapshots have always named files.
 */
function decodePath(bytes: Uint8Array): string {
    if (isUtf8(bytes)) return UTF8.decode(bytes);
    let out = "";
    for (let i = 0; i < bytes.length; ) {
        // the shortest run of bytes from i that decodes is exactly one character, if any does
        const n = [1, 2, 3, 4].find((k) => i + k <= bytes.length && isUtf8(bytes.subarray(i, i + k)));
        if (n === undefined) {
            out += String.fromCharCode(0xdc00 + bytes[i]);
            i += 1;
        } else {
            out += UTF8.decode(bytes.subarray(i, i + n));
            i += n;
        }
    }
    return out;
}

/** Strings in the order of their code points (Python's order; `<` compares UTF-16 units). */
function byCodePoint(a: string, b: string): number {
    const x = Array.from(a, (c) => c.codePointAt(0) as number);
    const y = Array.from(b, (c) => c.codePointAt(0) as number);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
}

/** Base64 as lab/snapshot-files.sh prints it (`base64 -w 0`) -> the bytes; throws on anything else. */
function fromBase64(b64: string, what: string): Buffer {
    const bytes = Buffer.from(b64, "base64");
    if (bytes.toString("base64") !== b64) throw new Error(`snapshot files: ${what} is not base64: ${JSON.stringify(b64.slice(0, 80))}`);
    return bytes;
}

/**
 * lab/snapshot-files.sh's output -> the files by path, as the snapshots have always recorded them
 * (paths sorted by code point): the mode as 4 octal digits, the content as text when it is UTF-8 (a
 * BOM kept), else as base64 with `encoding: "base64"`, and "(not a regular file)" for any other
 * entry. Throws on a line that is not a record. Pure.
 */
export function parseFileRecords(text: string): Record<string, FileSnapshot> {
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    const out: Array<[string, FileSnapshot]> = [];
    lines.forEach((line, i) => {
        const m = /^(?:F ([0-7]{1,4}) (\S+) (\S*)|O ([0-7]{1,4}) (\S+))$/.exec(line);
        if (m === null) throw new Error(`snapshot files: line ${i + 1} is not a record: ${JSON.stringify(line.slice(0, 80))}`);
        const regular = m[1] !== undefined;
        const file = decodePath(fromBase64(regular ? m[2] : m[5], `the path on line ${i + 1}`));
        const mode = (regular ? m[1] : m[4]).padStart(4, "0");
        if (!regular) {
            out.push([file, { content: "(not a regular file)", mode }]);
            return;
        }
        const bytes = fromBase64(m[3], `the content on line ${i + 1}`);
        // content, encoding, mode: the order of keys the records have always had (sorted)
        out.push([file, isUtf8(bytes) ? { content: UTF8.decode(bytes), mode } : { content: bytes.toString("base64"), encoding: "base64", mode }]);
    });
    return Object.fromEntries(out.sort(([a], [b]) => byCodePoint(a, b)));
}

async function execText(lab: LabHosts, host: string, argv: string[], timeoutMs: number, input?: string): Promise<string> {
    const r = await lab.exec(host, argv, { timeoutMs, ...(input !== undefined ? { input } : {}) });
    if (r.code !== 0) throw new Error(`snapshot of ${host}: ${argv.slice(0, 3).join(" ")} ... exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
}

function sortedRecord<T>(entries: Array<[string, T]>): Record<string, T> {
    return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * `ip -j -d link` -> links by name (without `@peer`), indexes and counters dropped. The host side
 * of a container's veth on a Docker bridge gets a random name and MAC each time the container is
 * created, so those are listed as `<bridge>-port<n>` (in order of their names) without a MAC. Pure.
 */
export function parseLinks(json: string): Record<string, LinkSnapshot> {
    const links = JSON.parse(json) as Array<Record<string, unknown>>;
    const isDockerPort = (l: Record<string, unknown>) =>
        (l.linkinfo as { info_kind?: string } | undefined)?.info_kind === "veth" &&
        typeof l.master === "string" &&
        /^(docker\d+|br-[0-9a-f]{12})$/.test(l.master) &&
        /^veth[0-9a-f]{7}(@.*)?$/.test(String(l.ifname));
    const portNames = new Map<Record<string, unknown>, string>();
    const byBridge = new Map<string, Array<Record<string, unknown>>>();
    for (const l of links.filter(isDockerPort)) byBridge.set(String(l.master), [...(byBridge.get(String(l.master)) ?? []), l]);
    for (const [bridge, ports] of byBridge) {
        ports.sort((a, b) => String(a.ifname).localeCompare(String(b.ifname))).forEach((l, i) => portNames.set(l, `${bridge}-port${i + 1}`));
    }
    return sortedRecord(
        links.map((l) => {
            const port = portNames.get(l);
            const name = port ?? String(l.ifname).replace(/@.*$/, "");
            const info = l.linkinfo as { info_kind?: string } | undefined;
            const s: LinkSnapshot = {
                flags: [...(l.flags as string[])].sort(),
                mtu: Number(l.mtu),
                operstate: String(l.operstate),
            };
            if (typeof l.address === "string" && port === undefined) s.mac = l.address;
            if (info?.info_kind !== undefined) s.kind = info.info_kind;
            if (typeof l.ifalias === "string") s.alias = l.ifalias;
            if (typeof l.master === "string") s.master = l.master;
            return [name, s];
        }),
    );
}

function isLinkLocal6(a: string): boolean {
    return /^fe[89ab][0-9a-f]:/i.test(a);
}

/** `ip -j addr` -> addresses by link; lifetimes and IPv6 link-local addresses dropped. Pure. */
export function parseAddresses(json: string): Record<string, AddressSnapshot[]> {
    const links = JSON.parse(json) as Array<{ ifname: string; addr_info?: Array<Record<string, unknown>> }>;
    const out: Array<[string, AddressSnapshot[]]> = [];
    for (const l of links) {
        const addrs = (l.addr_info ?? [])
            .filter((a) => !(a.family === "inet6" && isLinkLocal6(String(a.local))))
            .map((a) => {
                const s: AddressSnapshot = { family: String(a.family), local: String(a.local), prefixlen: Number(a.prefixlen), scope: String(a.scope) };
                if (typeof a.broadcast === "string") s.broadcast = a.broadcast;
                return s;
            })
            .sort((x, y) => `${x.family} ${x.local}`.localeCompare(`${y.family} ${y.local}`));
        if (addrs.length > 0) out.push([l.ifname.replace(/@.*$/, ""), addrs]);
    }
    return sortedRecord(out);
}

/** `ip route show table all` text (v4 and v6) -> sorted lines, IPv6 link-local and multicast routes dropped. Pure. */
export function parseRoutes(text: string): string[] {
    return text
        .split("\n")
        .map((l) => l.trim().replace(/\s+/g, " "))
        .filter((l) => l !== "")
        .filter((l) => !/(^|\s)(fe80:|ff00::\/8)/i.test(l))
        .sort();
}

/** The fields of `docker network inspect` that a snapshot keeps. */
interface DockerNetworkInspect {
    Name: string;
    Driver: string;
    Options?: Record<string, string> | null;
    IPAM?: { Driver?: string; Options?: Record<string, string> | null; Config?: Array<Record<string, unknown>> | null };
    Internal?: boolean;
    Attachable?: boolean;
    EnableIPv6?: boolean;
    Labels?: Record<string, string> | null;
}

/** The fields of `docker inspect <container>` that a snapshot keeps. */
interface DockerContainerInspect {
    Name: string;
    Image?: string;
    Config?: { Image?: string; Labels?: Record<string, string> | null };
    State?: { Status?: string };
    HostConfig?: { RestartPolicy?: { Name?: string } };
    NetworkSettings?: { Networks?: Record<string, { IPAddress?: string; IPPrefixLen?: number }> | null };
}

/** `docker network inspect` JSON -> networks by name, ids, times and attached containers dropped. Pure. */
export function parseNetworks(json: string): Record<string, NetworkSnapshot> {
    const nets = JSON.parse(json) as DockerNetworkInspect[];
    return sortedRecord(
        nets.map((n) => [
            String(n.Name),
            {
                driver: String(n.Driver),
                options: n.Options ?? {},
                ipam: {
                    driver: String(n.IPAM?.Driver ?? ""),
                    options: n.IPAM?.Options ?? {},
                    config: (n.IPAM?.Config ?? []) as Array<Record<string, unknown>>,
                },
                internal: Boolean(n.Internal),
                attachable: Boolean(n.Attachable),
                ipv6: Boolean(n.EnableIPv6),
                labels: n.Labels ?? {},
            },
        ]),
    );
}

/** `docker inspect` (containers) JSON -> containers by name; ids, times and MACs dropped. Pure. */
export function parseContainers(json: string): Record<string, ContainerSnapshot> {
    const cs = JSON.parse(json) as DockerContainerInspect[];
    return sortedRecord(
        cs.map((c) => {
            const nets = c.NetworkSettings?.Networks ?? {};
            return [
                String(c.Name).replace(/^\//, ""),
                {
                    image: String(c.Config?.Image ?? ""),
                    imageId: String(c.Image ?? ""),
                    state: String(c.State?.Status ?? ""),
                    restartPolicy: String(c.HostConfig?.RestartPolicy?.Name ?? ""),
                    addresses: sortedRecord(Object.entries(nets).map(([k, v]) => [k, v.IPAddress ? `${v.IPAddress}/${v.IPPrefixLen}` : ""])),
                    labels: Object.fromEntries(Object.entries(c.Config?.Labels ?? {})),
                },
            ];
        }),
    );
}

/** One host's snapshot, observed inside the host (`lab.exec`: its network, mount and UTS namespaces). */
export async function snapshotHost(lab: LabHosts, host: string, opts: SnapshotOptions = {}): Promise<HostSnapshot> {
    const t = opts.timeoutMs ?? 30_000;
    const dirs = opts.dirs ?? DEFAULT_SNAPSHOT_DIRS;
    const sh = (script: string) => execText(lab, host, ["sh", "-c", script], t);
    const files = filesCommand(dirs);
    const [links, addrs, routes, fileRecords, daemonJson, nets, containers, images] = await Promise.all([
        execText(lab, host, ["ip", "-j", "-d", "link", "show"], t),
        execText(lab, host, ["ip", "-j", "addr", "show"], t),
        sh("ip -4 route show table all; ip -6 route show table all"),
        execText(lab, host, files.argv, t, files.input),
        sh("if [ -e /etc/docker/daemon.json ]; then echo present; cat /etc/docker/daemon.json; else echo absent; fi"),
        sh('ids=$(docker network ls -q) && if [ -n "$ids" ]; then docker network inspect $ids; else echo "[]"; fi'),
        sh('ids=$(docker ps -aq) && if [ -n "$ids" ]; then docker inspect $ids; else echo "[]"; fi'),
        execText(lab, host, ["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"], t),
    ]);
    return {
        links: parseLinks(links),
        addresses: parseAddresses(addrs),
        routes: parseRoutes(routes),
        files: parseFileRecords(fileRecords),
        daemonJson: daemonJson.startsWith("present\n") ? daemonJson.slice("present\n".length) : null,
        networks: parseNetworks(nets),
        containers: parseContainers(containers),
        images: images.split("\n").filter((l) => l !== "").sort(),
    };
}

/** Every host of the lab at once. */
export async function snapshotLab(lab: LabHosts, opts: SnapshotOptions = {}): Promise<LabSnapshot> {
    const snaps = await Promise.all(lab.hosts.map((h) => snapshotHost(lab, h.name, opts)));
    return Object.fromEntries(lab.hosts.map((h, i) => [h.name, snaps[i]]));
}

/**
 * Where two snapshots differ, one line per difference: `docker01 links.ens33.flags: [...] -> [...]`,
 * `docker02 containers.bbox10: absent -> {...}`. Empty when they are equal. Pure.
 */
export function diffSnapshots(before: unknown, after: unknown, at = ""): string[] {
    const show = (v: unknown) => (v === undefined ? "absent" : JSON.stringify(v));
    if (typeof before !== "object" || typeof after !== "object" || before === null || after === null || Array.isArray(before) !== Array.isArray(after)) {
        return JSON.stringify(before) === JSON.stringify(after) ? [] : [`${at}: ${show(before)} -> ${show(after)}`];
    }
    if (Array.isArray(before) && Array.isArray(after)) {
        return JSON.stringify(before) === JSON.stringify(after) ? [] : [`${at}: ${show(before)} -> ${show(after)}`];
    }
    const a = before as Record<string, unknown>;
    const b = after as Record<string, unknown>;
    const out: string[] = [];
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
        const p = at === "" ? k : /^[A-Za-z0-9_-]+$/.test(k) ? `${at}.${k}` : `${at}[${JSON.stringify(k)}]`;
        if (!(k in a)) out.push(`${p}: absent -> ${show(b[k])}`);
        else if (!(k in b)) out.push(`${p}: ${show(a[k])} -> absent`);
        else out.push(...diffSnapshots(a[k], b[k], p));
    }
    return out;
}

/**
 * The difference between `before` and the lab as it is once it has settled: the lab is read again
 * (up to `tries` times, `delayMs` apart) while it differs, since a few things follow a removal on the
 * kernel's and dockerd's own schedule (a Docker bridge's carrier and its routes' `linkdown` flag
 * were seen a moment late after the last container on it went). What differs on the last read is
 * returned: a difference that lasts is never hidden.
 */
export async function diffLabSettled(lab: LabHosts, before: LabSnapshot, opts: SnapshotOptions = {}, tries = 5, delayMs = 1000): Promise<string[]> {
    let diff = diffSnapshots(before, await snapshotLab(lab, opts));
    for (let i = 1; i < tries && diff.length > 0; i++) {
        await new Promise((r) => setTimeout(r, delayMs));
        diff = diffSnapshots(before, await snapshotLab(lab, opts));
    }
    return diff;
}

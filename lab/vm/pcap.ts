/**
 * Reading what the trunk captured (lab/vm/trunk.ts writes classic pcap, LINKTYPE_ETHERNET): each
 * frame's MAC addresses, its 802.1Q tag (TPID 0x8100: VLAN id and priority) when it has one, and
 * the IPv4 or ARP addresses it carries, so tests count frames per VLAN id, and untagged ones. Pure.
 */

export interface Frame {
    /** Position in the capture (0 = first frame). */
    index: number;
    timeMs: number;
    dst: string;
    src: string;
    /** The 802.1Q VLAN id of the outer tag; undefined for an untagged frame. */
    vid?: number;
    /** Tags beyond the first (802.1Q inside 802.1Q): never expected here, counted to be seen. */
    innerTags: number;
    /** The EtherType after the tags: 0x0800 IPv4, 0x0806 ARP, ... */
    type: number;
    /** `ttl`: the time to live (a router's hop takes one off). */
    ipv4?: { src: string; dst: string; protocol: number; ttl: number; icmpType?: number };
    arp?: { op: number; senderMac: string; senderIp: string; targetIp: string };
    length: number;
}

export const TPID_8021Q = 0x8100;
const TPID_8021AD = 0x88a8;

function mac(b: Buffer, at: number): string {
    return [...b.subarray(at, at + 6)].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

function ip4(b: Buffer, at: number): string {
    return [...b.subarray(at, at + 4)].join(".");
}

/** One Ethernet frame, parsed. Throws on a frame too short to have an Ethernet header. */
export function parseFrame(data: Buffer, index = 0, timeMs = 0): Frame {
    if (data.length < 14) throw new Error(`frame ${index}: ${data.length} bytes is shorter than an Ethernet header`);
    const frame: Frame = { index, timeMs, dst: mac(data, 0), src: mac(data, 6), innerTags: 0, type: data.readUInt16BE(12), length: data.length };
    let at = 14;
    if (frame.type === TPID_8021Q && data.length >= 18) {
        frame.vid = data.readUInt16BE(14) & 0x0fff;
        frame.type = data.readUInt16BE(16);
        at = 18;
        while ((frame.type === TPID_8021Q || frame.type === TPID_8021AD) && data.length >= at + 4) {
            frame.innerTags++;
            frame.type = data.readUInt16BE(at + 2);
            at += 4;
        }
    }
    if (frame.type === 0x0800 && data.length >= at + 20) {
        const ihl = (data[at] & 0x0f) * 4;
        const protocol = data[at + 9];
        frame.ipv4 = { src: ip4(data, at + 12), dst: ip4(data, at + 16), protocol, ttl: data[at + 8] };
        if (protocol === 1 && data.length > at + ihl) frame.ipv4.icmpType = data[at + ihl];
    } else if (frame.type === 0x0806 && data.length >= at + 28) {
        frame.arp = { op: data.readUInt16BE(at + 6), senderMac: mac(data, at + 8), senderIp: ip4(data, at + 14), targetIp: ip4(data, at + 24) };
    }
    return frame;
}

/** Every frame of a classic pcap file (little- or big-endian, micro- or nanosecond timestamps). */
export function readPcap(buf: Buffer): Frame[] {
    if (buf.length < 24) throw new Error(`pcap: ${buf.length} bytes is shorter than the global header`);
    const magicLE = buf.readUInt32LE(0);
    let le: boolean;
    let nano: boolean;
    if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) {
        le = true;
        nano = magicLE === 0xa1b23c4d;
    } else if (buf.readUInt32BE(0) === 0xa1b2c3d4 || buf.readUInt32BE(0) === 0xa1b23c4d) {
        le = false;
        nano = buf.readUInt32BE(0) === 0xa1b23c4d;
    } else {
        throw new Error(`pcap: bad magic 0x${magicLE.toString(16)}`);
    }
    const u32 = (at: number) => (le ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
    const linktype = u32(20);
    if (linktype !== 1) throw new Error(`pcap: link type ${linktype} is not Ethernet (1)`);
    const frames: Frame[] = [];
    let at = 24;
    while (at + 16 <= buf.length) {
        const sec = u32(at);
        const frac = u32(at + 4);
        const incl = u32(at + 8);
        if (at + 16 + incl > buf.length) break; // a record still being written
        const timeMs = sec * 1000 + (nano ? frac / 1e6 : frac / 1e3);
        frames.push(parseFrame(buf.subarray(at + 16, at + 16 + incl), frames.length, timeMs));
        at += 16 + incl;
    }
    return frames;
}

/** `untagged` or the VLAN id, as a key. */
export function vlanKey(f: Frame): string {
    return f.vid === undefined ? "untagged" : String(f.vid);
}

/** How many of `frames` are untagged and how many carry each VLAN id: `{ untagged: 4, "10": 12 }`. */
export function countByVlan(frames: readonly Frame[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const f of frames) out[vlanKey(f)] = (out[vlanKey(f)] ?? 0) + 1;
    return out;
}

/** Frames that carry `ip`: as IPv4 source or destination, or as ARP sender or target. */
export function framesOf(frames: readonly Frame[], ip: string): Frame[] {
    return frames.filter((f) => f.ipv4?.src === ip || f.ipv4?.dst === ip || f.arp?.senderIp === ip || f.arp?.targetIp === ip);
}

/** Frames addressed to `ip` or asking for it: IPv4 destination or ARP target. */
export function framesFor(frames: readonly Frame[], ip: string): Frame[] {
    return frames.filter((f) => f.ipv4?.dst === ip || f.arp?.targetIp === ip);
}

/** Frames sent from `ip`: IPv4 source or ARP sender. */
export function framesFrom(frames: readonly Frame[], ip: string): Frame[] {
    return frames.filter((f) => f.ipv4?.src === ip || f.arp?.senderIp === ip);
}

/** ICMP echo requests (type 8) or replies (type 0) from `src` to `dst`. */
export function echoes(frames: readonly Frame[], src: string, dst: string, kind: "request" | "reply"): Frame[] {
    const type = kind === "request" ? 8 : 0;
    return frames.filter((f) => f.ipv4?.protocol === 1 && f.ipv4.icmpType === type && f.ipv4.src === src && f.ipv4.dst === dst);
}

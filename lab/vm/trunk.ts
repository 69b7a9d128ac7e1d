/**
 * The trunk between the VMs: a hub on 127.0.0.1 that qemu's `-netdev socket,connect=...` NICs join
 * (qemu frames each Ethernet frame on the TCP stream with a 4-byte big-endian length, net/socket.c).
 * Every frame one VM sends is forwarded to every other VM, as on a shared segment, and written to a
 * pcap file with the time it passed, so the tests count what really was on the wire (tags and all).
 * It listens on loopback only, on a port the kernel picks; nothing else is reachable from the VMs.
 */
import * as fs from "fs";
import * as net from "net";

/** The classic pcap global header for Ethernet (LINKTYPE_ETHERNET), microsecond timestamps. */
export function pcapHeader(snaplen = 65535): Buffer {
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeInt32LE(0, 8);
    h.writeUInt32LE(0, 12);
    h.writeUInt32LE(snaplen, 16);
    h.writeUInt32LE(1, 20);
    return h;
}

/** One pcap record header plus the frame. */
export function pcapRecord(frame: Buffer, timeMs: number): Buffer {
    const r = Buffer.alloc(16);
    const sec = Math.floor(timeMs / 1000);
    r.writeUInt32LE(sec, 0);
    r.writeUInt32LE(Math.round((timeMs - sec * 1000) * 1000), 4);
    r.writeUInt32LE(frame.length, 8);
    r.writeUInt32LE(frame.length, 12);
    return Buffer.concat([r, frame]);
}

export class Trunk {
    /** The TCP port on 127.0.0.1 the VMs connect to. */
    public readonly port: number;
    /** For each frame in the pcap file, in order: the index of the connection (VM) it came from. */
    public readonly ingress: number[] = [];
    private readonly conns: net.Socket[] = [];
    private readonly fd: number;
    private closed = false;

    private constructor(
        private readonly server: net.Server,
        public readonly pcapFile: string,
    ) {
        this.port = (server.address() as net.AddressInfo).port;
        this.fd = fs.openSync(pcapFile, "w");
        fs.writeSync(this.fd, pcapHeader());
        server.on("connection", (sock) => this.accept(sock));
    }

    /** A trunk listening on 127.0.0.1 (a port the kernel picks), capturing into `pcapFile`. */
    static async start(pcapFile: string): Promise<Trunk> {
        const server = net.createServer();
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => resolve());
        });
        return new Trunk(server, pcapFile);
    }

    /** How many VMs have joined. */
    get connections(): number {
        return this.conns.length;
    }

    /** The number of frames captured so far: a mark to count from. */
    mark(): number {
        return this.ingress.length;
    }

    private accept(sock: net.Socket): void {
        const index = this.conns.length;
        this.conns.push(sock);
        sock.setNoDelay(true);
        let pending: Buffer = Buffer.alloc(0);
        sock.on("data", (chunk: Buffer) => {
            pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
            while (pending.length >= 4) {
                const len = pending.readUInt32BE(0);
                if (len > 65536 + 64) {
                    // not qemu's framing: drop the connection rather than forward garbage
                    sock.destroy(new Error(`trunk: connection ${index} sent a frame length of ${len}`));
                    return;
                }
                if (pending.length < 4 + len) break;
                const framed = pending.subarray(0, 4 + len);
                pending = pending.subarray(4 + len);
                this.forward(index, Buffer.from(framed));
            }
        });
        sock.on("error", () => undefined);
    }

    private forward(from: number, framed: Buffer): void {
        if (this.closed) return;
        fs.writeSync(this.fd, pcapRecord(framed.subarray(4), Date.now()));
        this.ingress.push(from);
        this.conns.forEach((c, i) => {
            if (i !== from && !c.destroyed) c.write(framed);
        });
    }

    async close(): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        for (const c of this.conns) c.destroy();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
        fs.closeSync(this.fd);
    }
}

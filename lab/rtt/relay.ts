/**
 * The delaying TCP relay of the local lab (`--rtt <ms>`; lab/rtt/README.md). This kernel has no
 * sch_netem, so the round trip between the controller and the hosts is added in user space: the
 * controller's iptables redirect every TCP connection it opens to a host's SSH port (and to the
 * registry's port) to a listener of this relay on 127.0.0.1, and the relay forwards the bytes to the
 * real address, each chunk half a round trip late in each direction.
 *
 * The model of one connection, for a round trip r (what a real link of that round trip does):
 * - the handshake: on a real link the server's `accept` returns when the client's final ACK arrives,
 *   1.5 r after the client's SYN, and the client can send at 1 r. Here the client's connect is
 *   accepted at once (by this machine's kernel), the relay dials the server 1.5 r later, and the
 *   client's first bytes are delivered no earlier than that: a request sent right after connect is
 *   answered 2 r after the connect, as on the real link;
 * - every later chunk reaches the other side r/2 after it was read, in order, in both directions;
 *   a half close (FIN) travels like data;
 * - bandwidth is not limited (the lab's links are local), only bounded by the queue limit below.
 *
 * Bounded: at most `maxConnections` at once (a connection over the limit is closed at once and
 * counted as refused), at most `maxQueuedBytes` waiting per direction (the reading side is paused
 * until the queue drains), a dial that does not connect in `dialTimeoutMs` closes the client, and the
 * relay exits when the process it watches (the lab's controller keeper) is gone, on SIGTERM or SIGINT.
 *
 * Counts: per route, the connections opened, open, refused and failed and the bytes each way, in
 * `countsFile` (JSON, rewritten atomically on every open and close): the bench reads how many SSH
 * connections a phase opened from it.
 *
 * Run as `node relay.js <config.json>` (lab/rtt/index.ts starts it in the controller's network
 * namespace, with the group id the iptables rules exempt). Node's built-in modules only.
 */
import * as fs from "fs";
import * as net from "net";

/** One listener: connections to 127.0.0.1:`listenPort` go to `host`:`port`. */
export interface RelayRoute {
    listenPort: number;
    host: string;
    port: number;
    /** What the route carries (`ssh`, `registry`): the counts are summed by it. */
    label: string;
}

export interface RelayConfig {
    /** The round trip added to every connection, in milliseconds. */
    rttMs: number;
    routes: RelayRoute[];
    countsFile: string;
    /** The relay exits when this process is gone (0: watch nothing). */
    watchPid: number;
    /** Connections open at once; more are closed at once. */
    maxConnections: number;
    /** Bytes waiting in one direction of one connection before its reading side is paused. */
    maxQueuedBytes: number;
    /** How long the dial to the real address may take. */
    dialTimeoutMs: number;
}

/** The counts of one route. */
export interface RouteCounts {
    label: string;
    /** Connections accepted (and dialled) since the relay started. */
    opened: number;
    open: number;
    /** Closed at once: more than maxConnections were open. */
    refused: number;
    /** The dial to the real address failed or timed out. */
    failed: number;
    bytesUp: number;
    bytesDown: number;
}

/** What the relay writes to `countsFile`. */
export interface RelayCounts {
    pid: number;
    rttMs: number;
    startedAt: string;
    /** `<host>:<port>` -> counts. */
    routes: Record<string, RouteCounts>;
}

/** Defaults of the bounds (lab/rtt/index.ts uses them). */
export const RELAY_LIMITS = { maxConnections: 256, maxQueuedBytes: 8 << 20, dialTimeoutMs: 10_000 } as const;

/**
 * When a chunk read at `now` is delivered: half a round trip later, never before `notBefore` (the
 * moment the server side is connected). Pure.
 */
export function dueAt(now: number, rttMs: number, notBefore = 0): number {
    return Math.max(now + rttMs / 2, notBefore);
}

/** When the relay dials the real address for a connection accepted at `acceptedAt`: 1.5 round trips later (see the module comment). Pure. */
export function dialAt(acceptedAt: number, rttMs: number): number {
    return acceptedAt + 1.5 * rttMs;
}

/** The problems of a config (empty when it is usable). Pure. */
export function configProblems(c: RelayConfig): string[] {
    const out: string[] = [];
    if (!Number.isFinite(c.rttMs) || c.rttMs < 0 || c.rttMs > 10_000) out.push(`rttMs ${c.rttMs} must be from 0 to 10000`);
    if (!Array.isArray(c.routes) || c.routes.length === 0) out.push("routes must list at least one route");
    const ports = new Set<number>();
    for (const r of c.routes ?? []) {
        if (!Number.isInteger(r.listenPort) || r.listenPort < 1 || r.listenPort > 65535) out.push(`listenPort ${r.listenPort} is not a port`);
        if (ports.has(r.listenPort)) out.push(`listenPort ${r.listenPort} is used twice`);
        ports.add(r.listenPort);
        if (net.isIPv4(r.host) === false) out.push(`host ${JSON.stringify(r.host)} is not an IPv4 address`);
        if (!Number.isInteger(r.port) || r.port < 1 || r.port > 65535) out.push(`port ${r.port} of ${r.host} is not a port`);
    }
    if (!(c.maxConnections >= 1)) out.push("maxConnections must be at least 1");
    if (!(c.maxQueuedBytes >= 65536)) out.push("maxQueuedBytes must be at least 65536");
    if (!(c.dialTimeoutMs >= 100)) out.push("dialTimeoutMs must be at least 100");
    return out;
}

interface Item {
    due: number;
    data?: Buffer;
    /** The end of this direction (a FIN). */
    end?: boolean;
}

/** One direction of one connection: chunks from `src` delivered to the sink, each at its due time, in order. */
class DelayedPipe {
    private readonly items: Item[] = [];
    private queued = 0;
    private timer: NodeJS.Timeout | undefined;
    private waitingDrain = false;
    private sink: net.Socket | undefined;
    private notBefore = 0;
    private ended = false;

    constructor(
        private readonly src: net.Socket,
        private readonly halfRtt: number,
        private readonly maxQueued: number,
        private readonly onBytes: (n: number) => void,
    ) {}

    /** The socket to deliver to, and the earliest delivery time (the dial); then delivery starts. */
    attach(sink: net.Socket, notBefore: number): void {
        this.sink = sink;
        this.notBefore = notBefore;
        this.schedule();
    }

    push(data: Buffer): void {
        this.items.push({ due: dueAt(Date.now(), this.halfRtt * 2, this.notBefore), data });
        this.queued += data.length;
        if (this.queued > this.maxQueued) this.src.pause();
        this.schedule();
    }

    pushEnd(): void {
        this.items.push({ due: dueAt(Date.now(), this.halfRtt * 2, this.notBefore), end: true });
        this.schedule();
    }

    stop(): void {
        if (this.timer !== undefined) clearTimeout(this.timer);
        this.timer = undefined;
        this.items.length = 0;
    }

    private schedule(): void {
        if (this.timer !== undefined || this.waitingDrain || this.sink === undefined || this.items.length === 0) return;
        const wait = this.items[0].due - Date.now();
        if (wait > 0) {
            this.timer = setTimeout(() => {
                this.timer = undefined;
                this.flush();
            }, wait);
        } else {
            this.flush();
        }
    }

    private flush(): void {
        const sink = this.sink;
        if (sink === undefined || sink.destroyed) return;
        const now = Date.now();
        while (this.items.length > 0 && this.items[0].due <= now) {
            const item = this.items.shift() as Item;
            if (item.end) {
                if (!this.ended) sink.end();
                this.ended = true;
                continue;
            }
            const data = item.data as Buffer;
            this.queued -= data.length;
            this.onBytes(data.length);
            if (this.queued <= this.maxQueued / 4 && this.src.isPaused()) this.src.resume();
            if (!sink.write(data)) {
                this.waitingDrain = true;
                sink.once("drain", () => {
                    this.waitingDrain = false;
                    this.schedule();
                });
                return;
            }
        }
        this.schedule();
    }
}

/** A running relay: its listeners, the counts, and how to stop it. */
export interface Relay {
    counts: RelayCounts;
    close(): Promise<void>;
}

/**
 * Starts the listeners of `config` (all bound before it resolves) and relays every connection with
 * the configured delay. `writeCounts` is called after every change of the counts.
 */
export async function startRelay(config: RelayConfig, writeCounts: (c: RelayCounts) => void = () => undefined): Promise<Relay> {
    const problems = configProblems(config);
    if (problems.length > 0) throw new Error(`relay config: ${problems.join("; ")}`);
    const halfRtt = config.rttMs / 2;
    const counts: RelayCounts = { pid: process.pid, rttMs: config.rttMs, startedAt: new Date().toISOString(), routes: {} };
    const sockets = new Set<net.Socket>();
    const timers = new Set<NodeJS.Timeout>();
    let open = 0;
    const servers: net.Server[] = [];

    for (const route of config.routes) {
        const key = `${route.host}:${route.port}`;
        const c: RouteCounts = (counts.routes[key] = { label: route.label, opened: 0, open: 0, refused: 0, failed: 0, bytesUp: 0, bytesDown: 0 });
        const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false }, (client) => {
            if (open >= config.maxConnections) {
                c.refused++;
                writeCounts(counts);
                // a reset, as a refused connect would get
                client.resetAndDestroy();
                return;
            }
            open++;
            c.opened++;
            c.open++;
            writeCounts(counts);
            sockets.add(client);
            const acceptedAt = Date.now();
            const up = new DelayedPipe(client, halfRtt, config.maxQueuedBytes, (n) => (c.bytesUp += n));
            let upstream: net.Socket | undefined;
            let down: DelayedPipe | undefined;
            let closed = false;
            const finish = (failed: boolean) => {
                if (closed) return;
                closed = true;
                open--;
                c.open--;
                if (failed) c.failed++;
                up.stop();
                down?.stop();
                // a dial that failed or an error: the client gets a reset (ECONNRESET), as on the real link
                if (failed && !client.destroyed) client.resetAndDestroy();
                client.destroy();
                upstream?.destroy();
                sockets.delete(client);
                if (upstream !== undefined) sockets.delete(upstream);
                writeCounts(counts);
            };
            let clientDone = false;
            let upstreamDone = false;
            const bothClosed = () => {
                if (clientDone && upstreamDone) finish(false);
            };
            client.on("data", (d: Buffer) => up.push(d));
            client.on("end", () => up.pushEnd());
            client.on("error", () => finish(false));
            client.on("close", () => {
                clientDone = true;
                if (upstream === undefined) finish(false);
                else bothClosed();
            });
            const dial = setTimeout(() => {
                timers.delete(dial);
                if (closed) return;
                const s = net.connect({ host: route.host, port: route.port, allowHalfOpen: true });
                upstream = s;
                sockets.add(s);
                let connected = false;
                const giveUp = setTimeout(() => finish(true), config.dialTimeoutMs);
                s.once("connect", () => {
                    connected = true;
                    clearTimeout(giveUp);
                    s.setNoDelay(true);
                    up.attach(s, Date.now());
                    down = new DelayedPipe(s, halfRtt, config.maxQueuedBytes, (n) => (c.bytesDown += n));
                    down.attach(client, 0);
                    s.on("data", (d: Buffer) => down?.push(d));
                    s.on("end", () => down?.pushEnd());
                });
                s.on("error", () => {
                    clearTimeout(giveUp);
                    finish(!connected);
                });
                s.on("close", () => {
                    clearTimeout(giveUp);
                    upstreamDone = true;
                    bothClosed();
                });
            }, Math.max(0, dialAt(acceptedAt, config.rttMs) - Date.now()));
            timers.add(dial);
            client.setNoDelay(true);
        });
        servers.push(server);
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen({ host: "127.0.0.1", port: route.listenPort, backlog: 128 }, () => {
                server.off("error", reject);
                resolve();
            });
        });
    }
    writeCounts(counts);
    return {
        counts,
        close: async () => {
            for (const t of timers) clearTimeout(t);
            for (const s of sockets) s.destroy();
            await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
        },
    };
}

/** Writes `counts` to `file` atomically (a temporary file renamed over it). */
export function writeCountsFile(file: string, counts: RelayCounts): void {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(counts)}\n`);
    fs.renameSync(tmp, file);
}

function alive(pid: number): boolean {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
        return state !== "Z" && state !== "X";
    } catch {
        return false;
    }
}

async function main(configFile: string): Promise<void> {
    const config = JSON.parse(fs.readFileSync(configFile, "utf8")) as RelayConfig;
    const relay = await startRelay(config, (c) => writeCountsFile(config.countsFile, c));
    const routes = config.routes.map((r) => `127.0.0.1:${r.listenPort} -> ${r.host}:${r.port} (${r.label})`).join(", ");
    console.log(`${new Date().toISOString()} relay pid ${process.pid}: DELAYING every connection by a round trip of ${config.rttMs} ms: ${routes}`);
    let stopping = false;
    const stop = (why: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`${new Date().toISOString()} relay: ${why}; closing`);
        void relay.close().finally(() => process.exit(0));
        setTimeout(() => process.exit(0), 2_000).unref();
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    if (config.watchPid > 0) {
        const watch = setInterval(() => {
            if (!alive(config.watchPid)) {
                clearInterval(watch);
                stop(`the lab's controller keeper (pid ${config.watchPid}) is gone`);
            }
        }, 1_000);
    }
}

if (require.main === module) {
    const file = process.argv[2];
    if (file === undefined) {
        console.error("usage: node relay.js <config.json>");
        process.exit(2);
    }
    main(file).catch((e) => {
        console.error(`relay: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
    });
}

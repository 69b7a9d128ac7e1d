/**
 * The delaying relay of `--rtt` (lab/rtt/relay.ts) on loopback, in this process: an echo server
 * behind it, and what a client sees. Delays are checked as lower bounds only (a relay may be late
 * on a busy machine, never early): a request right after connect is answered no sooner than two round
 * trips (the handshake's 1.5 and half of the answer's), a later one no sooner than one; bytes arrive
 * whole and in order through a queue far smaller than the data; a half close travels; the counts
 * and the bounds (connections at once, a dial that fails) hold.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as net from "net";
import { RelayConfig, RelayCounts, startRelay } from "../../lab/rtt/relay";

/** A free port on 127.0.0.1 (bound and released). */
async function freePort(): Promise<number> {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
}

/** An echo server (half close: it ends when the client ended). */
async function echoServer(): Promise<{ port: number; close: () => Promise<void>; ends: () => number }> {
    let ends = 0;
    const sockets = new Set<net.Socket>();
    const s = net.createServer({ allowHalfOpen: true }, (c) => {
        sockets.add(c);
        c.on("data", (d) => c.write(d));
        c.on("end", () => {
            ends++;
            c.end("bye");
        });
        c.on("close", () => sockets.delete(c));
        c.on("error", () => undefined);
    });
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
    return {
        port: (s.address() as net.AddressInfo).port,
        ends: () => ends,
        close: async () => {
            for (const c of sockets) c.destroy();
            await new Promise<void>((r) => s.close(() => r()));
        },
    };
}

function connect(port: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
        const c = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true }, () => resolve(c));
        c.once("error", reject);
    });
}

/** Reads until `n` bytes came (or the socket ended); resolves with them. */
function readBytes(c: net.Socket, n: number, timeoutMs = 20_000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const parts: Buffer[] = [];
        let got = 0;
        const timer = setTimeout(() => reject(new Error(`timed out after ${got} of ${n} bytes`)), timeoutMs);
        const onData = (d: Buffer) => {
            parts.push(d);
            got += d.length;
            if (got >= n) {
                clearTimeout(timer);
                c.off("data", onData);
                resolve(Buffer.concat(parts));
            }
        };
        c.on("data", onData);
    });
}

/** Resolves when `c` is closed, with the error that closed it ("" for none); an end closes it too (allowHalfOpen). */
function closed(c: net.Socket): Promise<string> {
    return new Promise((resolve) => {
        let error = "";
        c.on("error", (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
        c.on("end", () => c.end());
        if (c.destroyed) resolve(error);
        else c.once("close", () => resolve(error));
    });
}

describe("rtt relay (lab/rtt/relay.ts) on loopback", function () {
    this.timeout(20_000);
    const counts: RelayCounts[] = [];
    const config = (over: Partial<RelayConfig>, target: number, listen: number): RelayConfig => ({
        rttMs: 0,
        routes: [{ listenPort: listen, host: "127.0.0.1", port: target, label: "ssh" }],
        countsFile: "/dev/null",
        watchPid: 0,
        maxConnections: 16,
        maxQueuedBytes: 65536,
        dialTimeoutMs: 5_000,
        ...over,
    });

    it("answers a request sent right after connect no sooner than 2 round trips, a later one no sooner than 1", async () => {
        const echo = await echoServer();
        const listen = await freePort();
        const rtt = 200;
        const relay = await startRelay(config({ rttMs: rtt }, echo.port, listen), (c) => counts.push(JSON.parse(JSON.stringify(c)) as RelayCounts));
        try {
            const t0 = Date.now();
            const c = await connect(listen);
            c.write("ping");
            assert.strictEqual((await readBytes(c, 4)).toString(), "ping");
            const first = Date.now() - t0;
            assert.ok(first >= 2 * rtt - 2, `first answer after ${first} ms, expected at least ${2 * rtt}`);
            const t1 = Date.now();
            c.write("pong");
            assert.strictEqual((await readBytes(c, 4)).toString(), "pong");
            const second = Date.now() - t1;
            assert.ok(second >= rtt - 2, `second answer after ${second} ms, expected at least ${rtt}`);
            // a half close travels: the server sees the end, answers and ends too
            c.end();
            assert.strictEqual((await readBytes(c, 3)).toString(), "bye");
            await closed(c);
            assert.strictEqual(echo.ends(), 1);
            const route = relay.counts.routes[`127.0.0.1:${echo.port}`];
            for (let i = 0; i < 100 && route.open > 0; i++) await new Promise((r) => setTimeout(r, 20));
            assert.deepStrictEqual(route, { label: "ssh", opened: 1, open: 0, refused: 0, failed: 0, bytesUp: 8, bytesDown: 11 });
            assert.deepStrictEqual(counts[counts.length - 1].routes[`127.0.0.1:${echo.port}`], route, "the counts written last are the live ones");
        } finally {
            await relay.close();
            await echo.close();
        }
    });

    it("carries 4 MiB each way whole and in order through a 64 KiB queue (the reading side pauses)", async () => {
        const echo = await echoServer();
        const listen = await freePort();
        const relay = await startRelay(config({ rttMs: 20 }, echo.port, listen));
        try {
            const c = await connect(listen);
            const data = crypto.randomBytes(4 << 20);
            const back = readBytes(c, data.length, 50_000);
            c.write(data);
            const got = await back;
            assert.strictEqual(got.length, data.length);
            assert.ok(got.subarray(0, data.length).equals(data), "the bytes came back as they were sent");
            c.destroy();
        } finally {
            await relay.close();
            await echo.close();
        }
    });

    it("closes a connection over maxConnections at once and counts it refused", async () => {
        const echo = await echoServer();
        const listen = await freePort();
        let last: RelayCounts | undefined;
        const relay = await startRelay(config({ maxConnections: 1 }, echo.port, listen), (c) => (last = JSON.parse(JSON.stringify(c)) as RelayCounts));
        try {
            const a = await connect(listen);
            a.write("a");
            assert.strictEqual((await readBytes(a, 1)).toString(), "a");
            // the reset may come before or after the client saw its connect
            const b = net.connect({ host: "127.0.0.1", port: listen, allowHalfOpen: true });
            assert.match(await closed(b), /ECONNRESET/);
            const route = last?.routes[`127.0.0.1:${echo.port}`];
            assert.strictEqual(route?.refused, 1);
            assert.strictEqual(route?.opened, 1);
            a.write("b");
            assert.strictEqual((await readBytes(a, 1)).toString(), "b", "the first connection still works");
            a.destroy();
        } finally {
            await relay.close();
            await echo.close();
        }
    });

    it("closes the client when the dial to the real address fails, and counts it failed", async () => {
        const closedPort = await freePort();
        const listen = await freePort();
        let last: RelayCounts | undefined;
        const relay = await startRelay(config({ rttMs: 50 }, closedPort, listen), (c) => (last = JSON.parse(JSON.stringify(c)) as RelayCounts));
        try {
            const c = await connect(listen);
            assert.match(await closed(c), /ECONNRESET/, "a reset, as a refused connect gets");
            assert.strictEqual(last?.routes[`127.0.0.1:${closedPort}`].failed, 1);
            assert.strictEqual(last?.routes[`127.0.0.1:${closedPort}`].open, 0);
        } finally {
            await relay.close();
        }
    });

    it("refuses a config it cannot run, with every problem", async () => {
        await assert.rejects(
            startRelay({ rttMs: -1, routes: [{ listenPort: 0, host: "x", port: 22, label: "ssh" }], countsFile: "", watchPid: 0, maxConnections: 0, maxQueuedBytes: 1, dialTimeoutMs: 1 }),
            /rttMs -1 must be from 0 to 10000; listenPort 0 is not a port; host "x" is not an IPv4 address; maxConnections must be at least 1; maxQueuedBytes must be at least 65536; dialTimeoutMs must be at least 100/,
        );
    });
});

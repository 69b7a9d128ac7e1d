/**
 * `--rtt` (lab/rtt): the pure parts — the command line value, what is relayed, the iptables rules,
 * the lines printed, the counts between two readings, the delay model — and `npm run lab`'s
 * `--rtt` option. The relay's I/O is in test/exec/rtt-relay.test.ts, on a lab in test/lab/rtt.test.ts.
 */
import { strict as assert } from "assert";
import { parseCli, usage } from "../../lab/cli";
import { RELAY_BASE_PORT, RELAY_GID, RTT_CHAIN, delayLine, iptablesDown, iptablesUp, openedBetween, openedByRoute, parseRtt, relayRoutes, rttTargets, undelayLine } from "../../lab/rtt";
import { RelayCounts, configProblems, dialAt, dueAt } from "../../lab/rtt/relay";

const hosts = [
    { address: "192.168.1.11", sshPort: 22 },
    { address: "192.168.1.13", sshPort: 2222 },
];

describe("lab --rtt (pure)", () => {
    it("takes a whole number of ms from 0 to 5000", () => {
        const cases: Array<[string | undefined, number | undefined]> = [
            ["0", 0], ["100", 100], ["5000", 5000], ["5001", undefined], ["-1", undefined], ["1.5", undefined], ["", undefined], ["10ms", undefined], [undefined, undefined],
        ];
        assert.equal(cases.length, 9);
        for (const [text, want] of cases) assert.equal(parseRtt(text), want, String(text));
    });

    it("npm run lab takes --rtt for up only, and says so in its usage", () => {
        assert.deepEqual(parseCli(["up", "multi-vlan", "--rtt", "100"]), { command: "up", stack: "multi-vlan", name: undefined, args: [], rttMs: 100 });
        assert.deepEqual(parseCli(["up", "multi-vlan", "--name", "x", "--rtt", "0"]), { command: "up", stack: "multi-vlan", name: "x", args: [], rttMs: 0 });
        assert.equal(parseCli(["up", "multi-vlan", "--rtt"]), undefined);
        assert.equal(parseCli(["up", "multi-vlan", "--rtt", "fast"]), undefined);
        assert.equal(parseCli(["down", "multi-vlan", "--rtt", "100"]), undefined);
        assert.deepEqual(parseCli(["up", "multi-vlan"]), { command: "up", stack: "multi-vlan", name: undefined, args: [] }, "no rttMs without --rtt");
        assert.match(usage(["multi-vlan"]), /\[--rtt <ms>\][\s\S]*--rtt: a round trip of 0 to 5000 ms/);
    });

    it("relays every host's SSH port and the registry's port, each once, on ports from RELAY_BASE_PORT", () => {
        const t = rttTargets(hosts, { address: "192.168.1.11", port: 5000 });
        assert.deepEqual(t, [
            { host: "192.168.1.11", port: 22, label: "ssh" },
            { host: "192.168.1.13", port: 2222, label: "ssh" },
            { host: "192.168.1.11", port: 5000, label: "registry" },
        ]);
        assert.deepEqual(rttTargets([...hosts, hosts[0]]), t.slice(0, 2), "a target named twice is relayed once");
        assert.deepEqual(relayRoutes(t).map((r) => r.listenPort), [RELAY_BASE_PORT, RELAY_BASE_PORT + 1, RELAY_BASE_PORT + 2]);
    });

    it("redirects the controller's connections to each route, refuses other TCP to the hosts, and spares the relay's own group", () => {
        const routes = relayRoutes(rttTargets(hosts, { address: "192.168.1.11", port: 5000 }));
        const up = iptablesUp(routes, ["192.168.1.11", "192.168.1.13", "192.168.1.11"]).map((a) => a.join(" "));
        const g = `-m owner ! --gid-owner ${RELAY_GID}`;
        assert.deepEqual(up, [
            `iptables -w 5 -t nat -N ${RTT_CHAIN}`,
            `iptables -w 5 -t nat -A ${RTT_CHAIN} -d 192.168.1.11/32 -p tcp --dport 22 ${g} -j REDIRECT --to-ports 40100`,
            `iptables -w 5 -t nat -A ${RTT_CHAIN} -d 192.168.1.13/32 -p tcp --dport 2222 ${g} -j REDIRECT --to-ports 40101`,
            `iptables -w 5 -t nat -A ${RTT_CHAIN} -d 192.168.1.11/32 -p tcp --dport 5000 ${g} -j REDIRECT --to-ports 40102`,
            `iptables -w 5 -t nat -A OUTPUT -j ${RTT_CHAIN}`,
            `iptables -w 5 -t filter -N ${RTT_CHAIN}`,
            `iptables -w 5 -t filter -A ${RTT_CHAIN} -d 192.168.1.11/32 -p tcp --syn ${g} -j REJECT --reject-with tcp-reset`,
            `iptables -w 5 -t filter -A ${RTT_CHAIN} -d 192.168.1.13/32 -p tcp --syn ${g} -j REJECT --reject-with tcp-reset`,
            `iptables -w 5 -t filter -A OUTPUT -j ${RTT_CHAIN}`,
        ]);
        assert.deepEqual(iptablesDown().map((a) => a.slice(3).join(" ")), [
            `-t nat -D OUTPUT -j ${RTT_CHAIN}`, `-t nat -F ${RTT_CHAIN}`, `-t nat -X ${RTT_CHAIN}`,
            `-t filter -D OUTPUT -j ${RTT_CHAIN}`, `-t filter -F ${RTT_CHAIN}`, `-t filter -X ${RTT_CHAIN}`,
        ]);
    });

    it("says on every run that it delays, what, by how much, and that nothing else gets through", () => {
        const line = delayLine(100, relayRoutes(rttTargets(hosts)));
        assert.match(line, /^DELAYED: every TCP connection from the controller to 192\.168\.1\.11:22 \(ssh\), 192\.168\.1\.13:2222 \(ssh\) goes through a relay that adds a round trip of 100 ms/);
        assert.match(line, /no netem/);
        assert.match(line, /any other TCP connection from the controller to a host is refused$/);
        assert.match(undelayLine(150), /relay of an earlier run \(a round trip of 150 ms\) is stopped/);
    });

    it("counts the connections a phase opened, per label and per route, from two readings", () => {
        const counts = (a: number, b: number, r: number): RelayCounts => ({
            pid: 1, rttMs: 0, startedAt: "",
            routes: {
                "h1:22": { label: "ssh", opened: a, open: 0, refused: 0, failed: 0, bytesUp: 0, bytesDown: 0 },
                "h2:22": { label: "ssh", opened: b, open: 0, refused: 0, failed: 0, bytesUp: 0, bytesDown: 0 },
                "h1:5000": { label: "registry", opened: r, open: 0, refused: 0, failed: 0, bytesUp: 0, bytesDown: 0 },
            },
        });
        assert.deepEqual(openedBetween(counts(3, 4, 1), counts(10, 6, 2)), { ssh: 9, registry: 1 });
        assert.deepEqual(openedBetween(undefined, counts(1, 2, 0)), { ssh: 3, registry: 0 }, "no first reading: from the start");
        assert.deepEqual(openedByRoute(counts(3, 4, 1), counts(10, 6, 2)), { "h1:22": 7, "h2:22": 2, "h1:5000": 1 });
        assert.deepEqual(openedBetween(counts(1, 1, 1), undefined), {}, "no relay: nothing counted");
    });

    it("models a link of that round trip: the dial 1.5 round trips after accept, each chunk half a round trip late, never before the dial", () => {
        assert.equal(dialAt(1000, 100), 1150);
        assert.equal(dueAt(1000, 100), 1050);
        assert.equal(dueAt(1000, 100, 1150), 1150, "bytes sent right after connect wait for the dial");
        assert.equal(dueAt(1200, 100, 1150), 1250);
        assert.equal(dueAt(1000, 0), 1000, "0 ms: at once");
    });

    it("refuses a relay config with every problem named", () => {
        const ok = { rttMs: 50, routes: [{ listenPort: 40100, host: "192.168.1.11", port: 22, label: "ssh" }], countsFile: "/x", watchPid: 0, maxConnections: 8, maxQueuedBytes: 65536, dialTimeoutMs: 1000 };
        assert.deepEqual(configProblems(ok), []);
        assert.deepEqual(configProblems({ ...ok, routes: [ok.routes[0], { ...ok.routes[0], host: "h" }] }), ["listenPort 40100 is used twice", 'host "h" is not an IPv4 address']);
        assert.deepEqual(configProblems({ ...ok, rttMs: 20000, routes: [] }), ["rttMs 20000 must be from 0 to 10000", "routes must list at least one route"]);
    });
});

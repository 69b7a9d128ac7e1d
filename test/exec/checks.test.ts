/**
 * The ping check script executed for real (with the shell library as it is in the repo) with a fake
 * `docker` on PATH: every case runs even after
 * a failure, the exit code, the output format, and failure messages naming source, target and
 * network.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CheckRow, PingCase, parseCheckOutput, renderPingCheck } from "../../components/docker/checks";
import { SCRIPTS_DIR } from "../../components/scripts";

/**
 * A `docker` stub: logs each call; `inspect` says containers run (except `stopped`, and `missing`
 * which does not exist); `exec <c> ping ... <ip>` answers by the target address: .20 and .21
 * reply, .30 does not, .40 stands for a ping that `timeout` killed, .50 for an image without ping.
 */
const STUB = `#!/bin/sh
echo "$*" >>"$(dirname "$0")/calls.log"
case "$1" in
  inspect)
    case "$4" in
      stopped) echo false ;;
      missing) echo "Error: No such object: missing" >&2; exit 1 ;;
      *) echo true ;;
    esac
    exit 0
    ;;
  exec)
    case "$9" in
      *.20|*.21) echo "PING $9: 56 data bytes"; echo "$5 packets transmitted, $5 packets received, 0% packet loss"; exit 0 ;;
      *.30) echo "PING $9: 56 data bytes"; echo "$5 packets transmitted, 0 packets received, 100% packet loss"; exit 1 ;;
      *.40) exit 124 ;;
      *.50) echo 'OCI runtime exec failed: exec: "ping": executable file not found in $PATH' >&2; exit 126 ;;
    esac
    ;;
esac
exit 2
`;

function run(cases: PingCase[]): { code: number | null; stdout: string; stderr: string; calls: string[] } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mvltest-dj-checks-"));
    try {
        fs.writeFileSync(path.join(dir, "docker"), STUB, { mode: 0o755 });
        const r = spawnSync("sh", ["-c", renderPingCheck(cases, { libraryDir: SCRIPTS_DIR })], {
            encoding: "utf8",
            timeout: 20_000,
            env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
        });
        const log = path.join(dir, "calls.log");
        const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
        return { code: r.status, stdout: r.stdout, stderr: r.stderr, calls };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const c = (source: string, target: string, targetIp: string, network: string, expect: PingCase["expect"]): PingCase => ({
    sourceHost: "docker01",
    source,
    targetHost: "docker02",
    target,
    targetIp,
    network,
    expect,
});

describe("ping check script with a fake docker", () => {
    it("passes when every observation is the expected one, isolation included", () => {
        const r = run([
            c("bbox10", "bbox10", "172.16.10.21", "mac_net10", "reachable"),
            c("bbox10", "bbox20", "172.16.20.30", "mac_net10->mac_net20", "unreachable"),
        ]);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(
            r.stdout,
            [
                "CHECK\tdocker01/bbox10\tdocker02/bbox10\tmac_net10\treachable\treachable\t172.16.10.21",
                "ok: docker01/bbox10 -> docker02/bbox10 (172.16.10.21) on mac_net10: reachable, as expected",
                "CHECK\tdocker01/bbox10\tdocker02/bbox20\tmac_net10->mac_net20\tunreachable\tunreachable\t172.16.20.30",
                "ok: docker01/bbox10 -> docker02/bbox20 (172.16.20.30) on mac_net10->mac_net20: unreachable, as expected",
                "all 2 connectivity checks from docker01 passed",
                "",
            ].join("\n"),
        );
        assert.strictEqual(r.stderr, "");
        // the cases run at once: calls in any order, each case's own inspect before its exec
        assert.deepStrictEqual([...r.calls].sort(), [
            "exec bbox10 ping -c 3 -A -w 1 172.16.20.30",
            "exec bbox10 ping -c 3 -A -w 5 172.16.10.21",
            "inspect --format {{.State.Running}} bbox10",
            "inspect --format {{.State.Running}} bbox10",
        ]);
    });

    it("runs every case after a failure, exits 1 and names source, target and network of each failure", () => {
        const cases = [
            c("bbox1", "bbox2", "172.22.16.30", "mac_net1", "reachable"),
            c("bbox10", "bbox20", "172.16.20.21", "mac_net10->mac_net20", "unreachable"),
            c("stopped", "bbox2", "172.22.16.20", "mac_net1", "reachable"),
            c("missing", "bbox2", "172.22.16.20", "mac_net1", "reachable"),
            c("bbox1", "slow", "172.22.16.40", "mac_net1", "reachable"),
            c("bbox1", "noping", "172.22.16.50", "mac_net1", "reachable"),
            c("bbox1", "bbox2", "172.22.16.20", "mac_net1", "reachable"),
        ];
        const r = run(cases);
        assert.strictEqual(r.code, 1);
        // every case ran, a failure stops none: one exec per running source (at once, so in any order)
        assert.deepStrictEqual(
            r.calls.filter((l) => l.startsWith("exec ")).sort(),
            [
                "exec bbox1 ping -c 3 -A -w 5 172.22.16.20",
                "exec bbox1 ping -c 3 -A -w 5 172.22.16.30",
                "exec bbox1 ping -c 3 -A -w 5 172.22.16.40",
                "exec bbox1 ping -c 3 -A -w 5 172.22.16.50",
                "exec bbox10 ping -c 3 -A -w 1 172.16.20.21",
            ],
        );
        const rows = parseCheckOutput(r.stdout);
        assert.deepStrictEqual(
            rows,
            cases.map((k, i): CheckRow => {
                const observed = (["unreachable", "reachable", "error", "error", "error", "error", "reachable"] as const)[i];
                return {
                    source: `docker01/${k.source}`,
                    target: `docker02/${k.target}`,
                    network: k.network,
                    targetIp: k.targetIp,
                    expected: k.expect,
                    observed,
                    ok: observed === k.expect,
                };
            }),
        );
        const fails = [
            "FAIL: docker01/bbox1 -> docker02/bbox2 (172.22.16.30) on mac_net1: expected reachable, observed unreachable (3 packets transmitted, 0 packets received, 100% packet loss)",
            "FAIL: docker01/bbox10 -> docker02/bbox20 (172.16.20.21) on mac_net10->mac_net20: expected unreachable, observed reachable",
            "FAIL: docker01/stopped -> docker02/bbox2 (172.22.16.20) on mac_net1: expected reachable, observed error (container stopped is not running)",
            "FAIL: docker01/missing -> docker02/bbox2 (172.22.16.20) on mac_net1: expected reachable, observed error (cannot inspect container missing: Error: No such object: missing)",
            "FAIL: docker01/bbox1 -> docker02/slow (172.22.16.40) on mac_net1: expected reachable, observed error (no result within 18 s)",
            'FAIL: docker01/bbox1 -> docker02/noping (172.22.16.50) on mac_net1: expected reachable, observed error (docker exec ... ping exited with 126: OCI runtime exec failed: exec: "ping": executable file not found in $PATH)',
        ];
        for (const f of fails) assert.ok(r.stdout.includes(`${f}\n`), `stdout lacks ${f}:\n${r.stdout}`);
        assert.ok(r.stdout.includes("ok: docker01/bbox1 -> docker02/bbox2 (172.22.16.20) on mac_net1: reachable, as expected\n"));
        assert.strictEqual(r.stderr, `6 of 7 connectivity checks from docker01 failed:\n  ${fails.join("\n  ")}\n`);
    });

    it("uses the count and time-out it was given", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mvltest-dj-checks-"));
        try {
            fs.writeFileSync(path.join(dir, "docker"), STUB, { mode: 0o755 });
            const script = renderPingCheck([c("bbox1", "bbox2", "172.22.16.20", "mac_net1", "reachable")], { count: 1, timeoutSeconds: 2, libraryDir: SCRIPTS_DIR });
            const r = spawnSync("sh", ["-c", script], { encoding: "utf8", timeout: 20_000, env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.match(fs.readFileSync(path.join(dir, "calls.log"), "utf8"), /^exec bbox1 ping -c 1 -A -w 2 172\.22\.16\.20$/m);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

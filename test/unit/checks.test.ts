/**
 * Pure tests of the connectivity checks: the check matrix of each lab, the ping script as a snapshot
 * (__snapshots__/checks/, `UPDATE_SNAPSHOTS=1` rewrites it), its validation, and the parser of its
 * output. The script runs for real in test/exec/checks.test.ts.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import {
    CheckRow,
    PingCase,
    checkCases,
    casesBySourceHost,
    parseCheckOutput,
    renderPingCheck,
    resolveCheckCases,
    validatePingCheck,
} from "../../components/docker/checks";
import { shellLibrary } from "../../components/scripts";
import { shellJoin, shellQuote } from "../../components/shell";
import { loadLab, RawLabConfig, validateLab } from "../../components/model/validate";
import { containerKey } from "../../components/contracts";
import { loadStackConfig, rawLabConfig } from "../../lab/stackFile";
import { Snapshots } from "../helpers/snapshot";
import { requireTool } from "../helpers/tools";

/** `bash -n` and `shellcheck -s sh` on a thin script (its modules are checked on their own). */
function lint(script: string): void {
    const n = spawnSync("bash", ["-n"], { input: script, encoding: "utf8", timeout: 10_000 });
    assert.strictEqual(n.status, 0, `bash -n: ${n.stderr}`);
    const sc = spawnSync("shellcheck", ["-s", "sh", "-e", "SC1091,SC2034", "-"], { input: script, encoding: "utf8", timeout: 30_000 });
    assert.strictEqual(sc.error, undefined, "shellcheck is not installed");
    assert.strictEqual(sc.status, 0, `shellcheck:\n${sc.stdout}`);
}

/** The script with the library's id as `<library-id>` (it changes with any library file). */
const withoutLibraryId = (s: string): string => s.split(`/${shellLibrary().id}'`).join("/<library-id>'");

/** A lab's containers and isolation pairs, from its stack file. */
function lab(stack: string) {
    const spec = loadLab(rawLabConfig(loadStackConfig(stack)) as RawLabConfig);
    return { containers: spec.containers, isolation: spec.checks.isolation, connectivity: spec.checks.connectivity };
}

describe("connectivity check matrix", () => {
    it("single-network lab: bbox1 and bbox2 ping each other across the hosts on mac_net1", () => {
        const l = lab("single-network");
        assert.deepStrictEqual(checkCases(l.containers, l.isolation, { connectivity: l.connectivity }), [
            { sourceHost: "docker01", source: "bbox1", targetHost: "docker02", target: "bbox2", network: "mac_net1", expect: "reachable", targetIp: "172.22.16.20" },
            { sourceHost: "docker02", source: "bbox2", targetHost: "docker01", target: "bbox1", network: "mac_net1", expect: "reachable", targetIp: "172.22.16.10" },
        ]);
    });

    it("multi-VLAN lab: same-VLAN pairs across the hosts, and docker01/bbox10 must not reach docker02/bbox20", () => {
        const l = lab("multi-vlan");
        const cases = checkCases(l.containers, l.isolation, { connectivity: l.connectivity });
        assert.deepStrictEqual(cases, [
            { sourceHost: "docker01", source: "bbox10", targetHost: "docker02", target: "bbox10", network: "mac_net10", expect: "reachable", targetIp: "172.16.10.11" },
            { sourceHost: "docker01", source: "bbox20", targetHost: "docker02", target: "bbox20", network: "mac_net20", expect: "reachable", targetIp: "172.16.20.21" },
            { sourceHost: "docker02", source: "bbox10", targetHost: "docker01", target: "bbox10", network: "mac_net10", expect: "reachable", targetIp: "172.16.10.10" },
            { sourceHost: "docker02", source: "bbox20", targetHost: "docker01", target: "bbox20", network: "mac_net20", expect: "reachable", targetIp: "172.16.20.20" },
            { sourceHost: "docker01", source: "bbox10", targetHost: "docker02", target: "bbox20", network: "mac_net10->mac_net20", expect: "unreachable", targetIp: "172.16.20.21" },
        ]);
        assert.deepStrictEqual([...casesBySourceHost(cases).entries()].map(([h, c]) => [h, c.length]), [["docker01", 3], ["docker02", 2]]);
    });

    it("no connectivity cases when connectivity is off; isolation pairs stay", () => {
        const l = lab("multi-vlan");
        assert.deepStrictEqual(
            checkCases(l.containers, l.isolation, { connectivity: false }).map((c) => `${c.sourceHost}/${c.source} -> ${c.targetHost}/${c.target}`),
            ["docker01/bbox10 -> docker02/bbox20"],
        );
    });

    it("leaves the address of a container without a static one to be resolved at run time", () => {
        const cases = checkCases([
            { name: "a1", host: "h1", network: "n" },
            { name: "a2", host: "h2", network: "n", ip: "10.0.0.2" },
        ]);
        assert.strictEqual(cases[0].targetIp, "10.0.0.2");
        assert.ok(!("targetIp" in cases[1]));
        assert.deepStrictEqual(resolveCheckCases(cases, { "h1/a1": "10.0.0.77" }).map((c) => c.targetIp), ["10.0.0.2", "10.0.0.77"]);
        assert.throws(() => resolveCheckCases(cases, {}), {
            message: "no address is known for h1/a1, the target of h2/a2 on n; is the container running and attached to n?",
        });
    });

    it("rejects isolation pairs naming unknown containers or one network", () => {
        const cs = [
            { name: "a1", host: "h1", network: "n1", ip: "10.0.1.1" },
            { name: "b2", host: "h2", network: "n1", ip: "10.0.1.2" },
        ];
        assert.throws(() => checkCases(cs, [{ from: "h1/a1", to: "h2/zz" }]), {
            message: "isolation[0].to h2/zz is not a container of the lab; name one as <host>/<container>",
        });
        assert.throws(() => checkCases(cs, [{ from: "h1/a1", to: "h2/b2" }]), {
            message: "isolation[0].to h2/b2 is on n1 like isolation[0].from h1/a1, so they are meant to reach each other; an isolation check needs containers on different networks",
        });
        assert.throws(() => checkCases(cs, [{ from: "h1/a1", to: "h1/a1" }]), {
            message: "isolation[0].to h1/a1 is also isolation[0].from: the check would test a container against itself; name two different containers",
        });
    });

    it("applies the same isolation rule as the validation (one definition, contracts.ts)", () => {
        const raw = rawLabConfig(loadStackConfig("multi-vlan")) as RawLabConfig & { checks: { isolation: unknown[] } };
        const spec = loadLab(raw);
        const keys = spec.containers.map(containerKey);
        assert.strictEqual(keys.length, 4, keys.join(", "));
        for (const from of keys) {
            for (const to of keys) {
                const cfg = structuredClone(raw);
                cfg.checks.isolation = [{ from, to }];
                const validation = validateLab(cfg).filter((e) => e.path.startsWith("checks.isolation"));
                let thrown: string | undefined;
                try {
                    checkCases(spec.containers, [{ from, to }]);
                } catch (e) {
                    thrown = (e as Error).message;
                }
                assert.strictEqual(validation.length === 0, thrown === undefined, `${from} -> ${to}: validation ${JSON.stringify(validation)}, checks ${thrown}`);
                if (thrown !== undefined) {
                    assert.strictEqual(thrown.replace(/^isolation\[0\]\.to \S+ /, ""), validation[0].message.replace(/^checks\.isolation\[0\]\.to "[^"]+" /, "").replace("checks.isolation[0].from", "isolation[0].from"));
                }
            }
        }
    });
});

describe("ping check script", () => {
    const BBOX1: PingCase = { sourceHost: "docker01", source: "bbox1", targetHost: "docker02", target: "bbox2", targetIp: "172.22.16.20", network: "mac_net1", expect: "reachable" };
    const snapshots = new Snapshots(__filename, "checks");
    after(() => assert.deepStrictEqual(snapshots.stale(), [], "snapshot files no test renders (UPDATE_SNAPSHOTS=1 removes them)"));

    it("renders the snapshot for the single-network lab's docker01, and for docker01 of the multi-VLAN lab with another docker", () => {
        snapshots.match("single-network-docker01.sh", withoutLibraryId(renderPingCheck([BBOX1])));
        const l = lab("multi-vlan");
        const cases = resolveCheckCases(checkCases(l.containers, l.isolation), {});
        const docker01 = casesBySourceHost(cases).get("docker01") ?? [];
        snapshots.match(
            "multi-vlan-docker01-options.sh",
            withoutLibraryId(renderPingCheck(docker01, { count: 1, timeoutSeconds: 2, dockerCommand: ["docker", "-H", "unix:///run/x y.sock"], libraryDir: "/srv/lib" })),
        );
    });

    it("carries the docker command as shell words: plain words as they are, others quoted", () => {
        assert.ok(renderPingCheck([BBOX1]).includes("\ndocker_argv='docker'\n"));
        assert.ok(renderPingCheck([BBOX1], { dockerCommand: ["docker", "-H", "unix:///run/d.sock"] }).includes("\ndocker_argv='docker -H unix:///run/d.sock'\n"));
        const odd = ["docker", "-H", "it's $(x)"];
        assert.ok(renderPingCheck([BBOX1], { dockerCommand: odd }).includes(`\ndocker_argv=${shellQuote(shellJoin(odd))}\n`));
    });

    it("passes bash -n and shellcheck -s sh, with options and with no case at all", function () {
        this.timeout(360_000);
        requireTool(this, "shellcheck");
        this.timeout(60_000);
        const l = lab("multi-vlan");
        const cases = resolveCheckCases(checkCases(l.containers, l.isolation), {});
        for (const [, hostCases] of casesBySourceHost(cases)) {
            lint(renderPingCheck(hostCases, { count: 1, timeoutSeconds: 2, dockerCommand: ["docker", "-H", "unix:///run/x y.sock"] }));
        }
        lint(renderPingCheck([]));
    });

    it("bounds every ping: count, -w and a hard limit", () => {
        const s = renderPingCheck([BBOX1], { count: 2, timeoutSeconds: 4 });
        assert.ok(s.includes("\ncount='2'\nwait='4'\nquick='1'\nlimit='16'\n"));
    });

    it("rejects what it cannot render, every problem at once", () => {
        const bad: PingCase = { ...BBOX1, source: "-x", targetIp: "172.22.16.300", network: "mac net" };
        assert.deepStrictEqual(validatePingCheck([bad, { ...BBOX1, sourceHost: "docker02" }], { count: 0, timeoutSeconds: 61, libraryDir: "lib" }), [
            "the cases come from several hosts (docker01, docker02); render one script per source host",
            'cases[0].source "-x" is not a container name',
            'cases[0].targetIp "172.22.16.300" (docker02/bbox2) is not an IPv4 address',
            'cases[0].network "mac net" is not a network name',
            "count 0 is not a whole number from 1 to 20",
            "timeoutSeconds 61 is not a whole number from 1 to 60",
            'libraryDir "lib" is not an absolute path of safe characters ([a-zA-Z0-9_./-], no ..)',
        ]);
        assert.throws(() => renderPingCheck([bad]), /^Error: invalid connectivity checks:\n {2}cases\[0\]\.source "-x" is not a container name/);
    });

    it("parseCheckOutput reads the CHECK lines back into rows and skips the rest", () => {
        const rows: CheckRow[] = [
            { source: "docker01/bbox10", target: "docker02/bbox10", network: "mac_net10", targetIp: "172.16.10.11", expected: "reachable", observed: "reachable", ok: true },
            { source: "docker01/bbox10", target: "docker02/bbox20", network: "mac_net10->mac_net20", targetIp: "172.16.20.21", expected: "unreachable", observed: "reachable", ok: false },
            { source: "docker01/bbox20", target: "docker02/bbox20", network: "mac_net20", targetIp: "172.16.20.21", expected: "reachable", observed: "error", ok: false },
        ];
        const stdout = rows
            .map((r) => `CHECK\t${r.source}\t${r.target}\t${r.network}\t${r.expected}\t${r.observed}\t${r.targetIp}\nok: something for people\n`)
            .join("");
        assert.deepStrictEqual(parseCheckOutput(`some noise\r\n${stdout}all done\n`), rows);
        assert.deepStrictEqual(parseCheckOutput(""), []);
        assert.throws(() => parseCheckOutput("CHECK\ta\tb\tn\treachable\tmaybe\t1.2.3.4\n"), /^Error: malformed check line "CHECK\\ta\\tb\\tn\\treachable\\tmaybe\\t1\.2\.3\.4"/);
        assert.throws(() => parseCheckOutput("CHECK\ta\tb\n"), /malformed check line/);
    });
});

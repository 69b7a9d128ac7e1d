/**
 * Pure tests of the daemon configuration of the registry trust (components/docker/daemonJson.ts:
 * every daemon.json merge case, the unit flag, the inspect report, the thin scripts) and of the
 * connectivity check matrix, renderer and parser (components/docker/checks.ts): exact scripts,
 * every rendered script through `bash -n` and `shellcheck -s sh`, validation messages.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import {
    DaemonConfigRequest,
    DaemonScriptOptions,
    Inspection,
    ReportedFile,
    parseInspection,
    planDaemonConfig,
    removeInsecureRegistryFlags,
    renderApply,
    renderInspect,
    renderRestore,
    validateDaemonScriptOptions,
} from "../../components/docker/daemonJson";
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
import { loadLab, RawLabConfig } from "../../components/spec/validate";
import { loadStackConfig, rawLabConfig } from "../../lab/stackFile";
import { requireTool } from "../helpers/tools";

/** `bash -n` and `shellcheck -s sh` on a script: both must be silent. */
function lint(script: string, shellcheckArgs: string[] = []): void {
    const n = spawnSync("bash", ["-n"], { input: script, encoding: "utf8", timeout: 10_000 });
    assert.strictEqual(n.status, 0, `bash -n: ${n.stderr}`);
    const sc = spawnSync("shellcheck", ["-s", "sh", ...shellcheckArgs, "-"], { input: script, encoding: "utf8", timeout: 30_000 });
    assert.strictEqual(sc.error, undefined, "shellcheck is not installed");
    assert.strictEqual(sc.status, 0, `shellcheck:\n${sc.stdout}`);
}

const EXPECTED_PING = `#!/bin/sh
# macvlan-lab: connectivity checks from docker01
set -u
HOST='docker01'
COUNT='3'
WAIT='5'
QUICK='1'
LIMIT='18'
N=0
OUT=$(mktemp -d "\${TMPDIR:-/tmp}/macvlan-lab-checks.XXXXXX") || exit 1
trap 'rm -rf "$OUT"' EXIT

docker_cmd() { 'docker' "$@"; }
# docker, killed after $LIMIT s where the host has timeout(1)
docker_bounded() {
  if command -v timeout >/dev/null 2>&1; then
    timeout "$LIMIT" 'docker' "$@"
  else
    'docker' "$@"
  fi
}

# check SOURCE_HOST SOURCE TARGET_HOST TARGET IP NETWORK EXPECTED: one case, its two lines on stdout
check() {
  detail=""
  deadline=$WAIT
  [ "$7" = unreachable ] && deadline=$QUICK
  if ! running=$(docker_cmd inspect --format '{{.State.Running}}' "$2" 2>&1); then
    observed=error
    detail="cannot inspect container $2: $(printf '%s\\n' "$running" | sed -n '$p')"
  elif [ "$running" != true ]; then
    observed=error
    detail="container $2 is not running"
  else
    out=$(docker_bounded exec "$2" ping -c "$COUNT" -A -w "$deadline" "$5" 2>&1)
    rc=$?
    last=$(printf '%s\\n' "$out" | sed -n '$p')
    case $rc in
      0) observed=reachable ;;
      1)
        case $out in
          *"Error response from daemon"*) observed=error; detail="docker exec failed: $last" ;;
          *) observed=unreachable; detail="$last" ;;
        esac
        ;;
      124) observed=error; detail="no result within $LIMIT s" ;;
      *) observed=error; detail="docker exec ... ping exited with $rc: $last" ;;
    esac
  fi
  printf 'CHECK\\t%s/%s\\t%s/%s\\t%s\\t%s\\t%s\\t%s\\n' "$1" "$2" "$3" "$4" "$6" "$7" "$observed" "$5"
  if [ "$observed" = "$7" ]; then
    printf 'ok: %s/%s -> %s/%s (%s) on %s: %s, as expected\\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7"
  else
    printf 'FAIL: %s/%s -> %s/%s (%s) on %s: expected %s, observed %s%s\\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$observed" "\${detail:+ ($detail)}"
  fi
}

# start CASE...: runs check in the background, its lines into $OUT/<case number>
start() {
  N=$((N + 1))
  check "$@" >"$OUT/$(printf '%04d' "$N")" 2>&1 &
}

start 'docker01' 'bbox1' 'docker02' 'bbox2' '172.22.16.20' 'mac_net1' 'reachable'
wait
FAILED=0
if [ "$N" -gt 0 ]; then
  cat "$OUT"/*
  FAILED=$(cat "$OUT"/* | grep -c '^FAIL: ')
fi
if [ "$FAILED" -gt 0 ]; then
  printf '%s of %s connectivity checks from %s failed:\\n' "$FAILED" "$N" "$HOST" >&2
  cat "$OUT"/* | grep '^FAIL: ' | sed 's/^/  /' >&2
  exit 1
fi
printf 'all %s connectivity checks from %s passed\\n' "$N" "$HOST"
`;

/** A file as the inspect script would report it. */
function reported(path: string, text: string | Buffer, mode = "644", owner = "0:0"): ReportedFile {
    const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, "utf8");
    return { path, mode, owner, sha256: createHash("sha256").update(bytes).digest("hex"), bytes };
}
const CONF = "/etc/docker/daemon.json";
const EP = "192.168.1.11:5000";
const inspection = (daemonJson?: string | Buffer, extra: Partial<Inspection> = {}): Inspection => ({
    conf: CONF,
    ...(daemonJson !== undefined ? { daemonJson: reported(CONF, daemonJson) } : {}),
    flags: [],
    units: [],
    systemd: false,
    ...extra,
});
/** What JSON.parse says about `text`. */
function jsonError(text: string): string {
    try {
        JSON.parse(text);
    } catch (e) {
        return (e as Error).message;
    }
    throw new Error(`${text} parses`);
}
const INSECURE: DaemonConfigRequest = { endpoint: EP, security: "insecure", migrate: false };
const TLS: DaemonConfigRequest = { endpoint: EP, security: "tls", migrate: false };

describe("daemon.json merge: decided in TypeScript (keys kept, order kept, indentation kept)", () => {
    /** [what, request, file before (undefined: none), file after (undefined: unchanged), intermediate] */
    const CASES: Array<[string, DaemonConfigRequest, string | undefined, string | undefined, string | undefined]> = [
        ["no file: created with the endpoint", INSECURE, undefined,
            '{\n  "insecure-registries": [\n    "192.168.1.11:5000"\n  ]\n}\n',
            '{\n  "insecure-registries": []\n}\n'],
        ["an empty file is an empty object", INSECURE, "\n",
            '{\n  "insecure-registries": [\n    "192.168.1.11:5000"\n  ]\n}\n',
            '{\n  "insecure-registries": []\n}\n'],
        ["other keys kept in their order, the key added last, tabs kept", INSECURE,
            '{\n\t"log-level": "warn",\n\t"storage-driver": "vfs",\n\t"log-opts": {"max-size": "10m"},\n\t"debug": false\n}',
            '{\n\t"log-level": "warn",\n\t"storage-driver": "vfs",\n\t"log-opts": {\n\t\t"max-size": "10m"\n\t},\n\t"debug": false,\n\t"insecure-registries": [\n\t\t"192.168.1.11:5000"\n\t]\n}\n',
            '{\n\t"log-level": "warn",\n\t"storage-driver": "vfs",\n\t"log-opts": {\n\t\t"max-size": "10m"\n\t},\n\t"debug": false,\n\t"insecure-registries": []\n}\n'],
        ["an existing list keeps its entries and place; the endpoint appended", INSECURE,
            '{\n    "insecure-registries": ["10.0.0.1:5000"],\n    "debug": true\n}\n',
            '{\n    "insecure-registries": [\n        "10.0.0.1:5000",\n        "192.168.1.11:5000"\n    ],\n    "debug": true\n}\n',
            undefined],
        ["already listed: nothing to write", INSECURE, '{"insecure-registries": ["192.168.1.11:5000"]}', undefined, undefined],
        ["tls: nothing listed, nothing to write", TLS, '{"log-level": "warn"}', undefined, undefined],
        ["tls: the endpoint listed as insecure is taken out, the others kept", TLS,
            '{"insecure-registries": ["10.0.0.1:5000", "192.168.1.11:5000"]}',
            '{\n  "insecure-registries": [\n    "10.0.0.1:5000"\n  ]\n}\n', undefined],
        ["tls: no file stays no file", TLS, undefined, undefined, undefined],
    ];
    for (const [what, req, before, after, intermediate] of CASES) {
        it(what, () => {
            const plan = planDaemonConfig(req, inspection(before));
            assert.strictEqual(plan.error, undefined);
            assert.strictEqual(plan.after, after);
            assert.strictEqual(plan.intermediate, intermediate);
            assert.deepStrictEqual([plan.restart, plan.units, plan.expectListed], [false, [], req.security === "insecure"]);
            if (after !== undefined) assert.deepStrictEqual(Object.keys(JSON.parse(after)), [...Object.keys(JSON.parse(before?.trim() ? before : "{}")), ...(before?.includes("insecure-registries") ? [] : ["insecure-registries"])]);
        });
    }

    const ERRORS: Array<[string, string | Buffer, string]> = [
        // the parser's own words (they vary with the Node version) between the parentheses
        ["not JSON", "{log-level: warn}", `/etc/docker/daemon.json is not valid JSON (${jsonError("{log-level: warn}")}). Nothing was changed: fix or remove the file, then run again`],
        ["a list, not an object", "[]", "/etc/docker/daemon.json holds an array, not a JSON object. Nothing was changed: make it an object ({...}), then run again"],
        ["insecure-registries a string", '{"insecure-registries": "10.0.0.1:5000"}', "/etc/docker/daemon.json: insecure-registries is a string, not a list of registries. Nothing was changed: make it a list of strings, then run again"],
        ["insecure-registries with a number", '{"insecure-registries": [5000]}', "/etc/docker/daemon.json: insecure-registries is an array, not a list of registries. Nothing was changed: make it a list of strings, then run again"],
        ["not UTF-8", Buffer.from([0x7b, 0xff, 0x7d]), "/etc/docker/daemon.json is not UTF-8 text. Nothing was changed: fix or remove the file, then run again"],
        ["an integer JSON.parse would round", '{"max-size": 123456789012345678901}', "/etc/docker/daemon.json holds an integer beyond 2^53, which would not be written back exactly. Nothing was changed"],
    ];
    for (const [what, text, message] of ERRORS) {
        it(`refuses a file that is ${what}, naming the file and the fix`, () => {
            assert.strictEqual(planDaemonConfig(INSECURE, inspection(text)).error, message);
        });
    }
});

describe("daemon.json: the unit's --insecure-registry flag (migrateUnitFlag)", () => {
    const UNIT = "/usr/lib/systemd/system/docker.service";
    const DROPIN = "/etc/systemd/system/docker.service.d/override.conf";
    const unitText = [
        "[Unit]",
        "Description=Docker Application Container Engine",
        "[Service]",
        "# ExecStart=/usr/bin/dockerd --insecure-registry 10.9.9.9:5000",
        "ExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --insecure-registry 192.168.1.11:5000 --insecure-registry=10.0.0.1:5000",
        "ExecReload=/bin/kill -s HUP $MAINPID",
        "",
    ].join("\n");
    const withFlags = (req: DaemonConfigRequest, daemonJson?: string) =>
        planDaemonConfig(req, inspection(daemonJson, {
            systemd: true,
            flags: [{ file: UNIT, line: 5, text: unitText.split("\n")[4] }],
            units: [reported(UNIT, unitText)],
        }));

    it("insecure: the flags leave the ExecStart line (nothing else changes) and join daemon.json with the endpoint; dockerd restarts", () => {
        const plan = withFlags({ ...INSECURE, migrate: true }, '{"log-level": "warn"}');
        assert.strictEqual(plan.error, undefined);
        assert.strictEqual(plan.units.length, 1);
        assert.strictEqual(plan.units[0].after, unitText.replace(" --insecure-registry 192.168.1.11:5000 --insecure-registry=10.0.0.1:5000", ""));
        assert.deepStrictEqual(plan.migrated, ["192.168.1.11:5000", "10.0.0.1:5000"]);
        assert.deepStrictEqual(JSON.parse(plan.after ?? ""), { "log-level": "warn", "insecure-registries": ["192.168.1.11:5000", "10.0.0.1:5000"] });
        assert.strictEqual(plan.restart, true);
    });

    it("tls: the other registries move, the endpoint itself does not stay insecure", () => {
        const plan = withFlags({ ...TLS, migrate: true });
        assert.deepStrictEqual(JSON.parse(plan.after ?? ""), { "insecure-registries": ["10.0.0.1:5000"] });
        assert.strictEqual(plan.restart, true);
    });

    const LINES: Array<[string, string, string | { error: string }]> = [
        ["two forms", "ExecStart=/usr/bin/dockerd --insecure-registry a:1 -H fd:// --insecure-registry=b:2", "ExecStart=/usr/bin/dockerd -H fd://"],
        ["quoted", `ExecStart=/usr/bin/dockerd "--insecure-registry=a:1"`, "ExecStart=/usr/bin/dockerd"],
        ["a drop-in's ExecStart after the reset", "ExecStart=/usr/bin/dockerd --insecure-registry a:1", "ExecStart=/usr/bin/dockerd"],
        ["not ExecStart", "Environment=OPTS=--insecure-registry=a:1", { error: "it is not an ExecStart= line (migrateUnitFlag moves flags of the ExecStart command line only)" }],
        ["continued", "ExecStart=/usr/bin/dockerd --insecure-registry a:1 \\", { error: "the command continues on the next line (a trailing \\); join the ExecStart line first" }],
        ["without a value", "ExecStart=/usr/bin/dockerd --insecure-registry", { error: "the flag is written in a form the program does not take apart (quoted with other words, or without a value)" }],
    ];
    for (const [what, line, expected] of LINES) {
        it(`takes the flag out of a line: ${what}`, () => {
            const r = removeInsecureRegistryFlags(line);
            if (typeof expected === "string") assert.strictEqual("text" in r ? r.text : r.error, expected);
            else assert.deepStrictEqual(r, expected);
        });
    }

    it("a line it cannot take apart stops the apply, naming the file, the line and why", () => {
        const text = "[Service]\nEnvironment=OPTS=--insecure-registry=a:1\n";
        const plan = planDaemonConfig({ ...INSECURE, migrate: true }, inspection(undefined, {
            flags: [{ file: DROPIN, line: 2, text: "Environment=OPTS=--insecure-registry=a:1" }],
            units: [reported(DROPIN, text)],
        }));
        assert.strictEqual(plan.error, `${DROPIN} line 2 passes --insecure-registry, but it is not an ExecStart= line (migrateUnitFlag moves flags of the ExecStart command line only): Environment=OPTS=--insecure-registry=a:1. Nothing was changed`);
    });
});

describe("daemon.json: the inspect report", () => {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const file = reported(CONF, '{"debug": true}\n', "600", "0:998");
    const report = [
        "inspecting ... (a line for people)",
        `@conf ${CONF}`,
        `@daemon-json ${CONF} 600 0:998 ${file.sha256} ${b64('{"debug": true}\n')}`,
        "@systemd yes",
        `@flag /u/docker.service 14 ${b64("ExecStart=/usr/bin/dockerd --insecure-registry a:1")}`,
        "@end",
        "",
    ].join("\n");

    it("reads the files back with mode, owner and bytes, and the flag lines", () => {
        assert.deepStrictEqual(parseInspection(report), {
            conf: CONF,
            daemonJson: file,
            flags: [{ file: "/u/docker.service", line: 14, text: "ExecStart=/usr/bin/dockerd --insecure-registry a:1" }],
            units: [],
            systemd: true,
        });
        assert.strictEqual(parseInspection(`@conf ${CONF}\n@daemon-json absent\n@systemd no\n@end\n`).daemonJson, undefined);
    });

    it("refuses a report that was cut or whose bytes do not match their digest", () => {
        assert.throws(() => parseInspection(report.replace("@end\n", "")), /no @conf or no @end line/);
        assert.throws(() => parseInspection(report.replace(b64('{"debug": true}\n'), b64('{"debug": false}\n'))), /does not match its sha256/);
    });
});

describe("daemon.json: the rendered thin scripts", () => {
    const O: DaemonScriptOptions = { endpoint: EP, security: "insecure", libraryDir: "/var/lib/macvlan-lab/lib/0123456789abcdef" };

    it("inspect: the inputs as quoted variables, the library, one call", () => {
        assert.strictEqual(renderInspect({ ...O, migrate: false }).script, [
            "set -eu",
            "# macvlan-lab: inspect the daemon configuration for the registry 192.168.1.11:5000",
            "lib='/var/lib/macvlan-lab/lib/0123456789abcdef'",
            "conf='/etc/docker/daemon.json'",
            "pid_file='/run/docker.pid'",
            "endpoint='192.168.1.11:5000'",
            "security='insecure'",
            "unit='docker.service'",
            "reload='auto'",
            "wait_steps='20'",
            "state_dir='/var/lib/macvlan-lab'",
            "state='/var/lib/macvlan-lab/registry-trust'",
            "migrate='no'",
            `if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi`,
            '. "$lib/prelude.sh"',
            '. "$lib/docker/daemon.sh"',
            "docker_inspect",
            "",
        ].join("\n"));
    });

    it("apply and restore carry the decided bytes, the digests and the original as base64; a refusal carries only its message", () => {
        const before = '{"log-level": "warn"}\n';
        const plan = planDaemonConfig(INSECURE, inspection(before));
        const apply = renderApply(O, plan, "pulumi up --replace 'urn:x'").script;
        const sha = (s: string) => createHash("sha256").update(s).digest("hex");
        for (const line of [
            `expect='${sha(before)}'`,
            `content='${plan.after}'`,
            `ours='${sha(plan.after ?? "")}'`,
            "expect_listed='yes'",
            "again='pulumi up --replace '\\''urn:x'\\'''",
            "units='0'",
            "daemon_config_apply",
        ]) assert.ok(apply.includes(`${line}\n`), `apply lacks ${line}`);
        const restore = renderRestore(O, plan).script;
        for (const line of [
            `ours='${sha(plan.after ?? "")}'`,
            `orig='${Buffer.from(before).toString("base64")}'`,
            "orig_mode='644'",
            "orig_owner='0:0'",
            `intermediate='${plan.intermediate}'`,
            "restart='no'",
            "daemon_config_restore",
        ]) assert.ok(restore.includes(`${line}\n`), `restore lacks ${line}`);
        const refused = renderApply(O, planDaemonConfig(INSECURE, inspection("[]")), "x").script;
        assert.ok(refused.endsWith("daemon_config_refuse\n"));
        assert.ok(!refused.includes("content="));
    });

    it("the identity for triggers changes with what is written, not with the library", () => {
        const plan = planDaemonConfig(INSECURE, inspection("{}"));
        const a = renderApply(O, plan, "x");
        const b = renderApply({ ...O, libraryDir: "/var/lib/macvlan-lab/lib/fedcba9876543210" }, plan, "x");
        assert.notStrictEqual(a.script, b.script);
        assert.strictEqual(a.identity, b.identity);
        assert.notStrictEqual(renderApply(O, planDaemonConfig(INSECURE, inspection('{"debug": true}')), "x").identity, a.identity);
    });

    it("passes bash -n and shellcheck -s sh, with every option", function () {
        this.timeout(120_000);
        requireTool(this, "shellcheck");
        const all: DaemonScriptOptions = { ...O, security: "tls", daemonJson: "/srv/b/daemon.json", stateDir: "/srv/s", pidFile: "/run/b.pid", unit: "docker-b.service", reload: "none", reloadTimeoutSeconds: 3 };
        const plan = planDaemonConfig({ ...TLS, migrate: true }, inspection('{"insecure-registries": ["192.168.1.11:5000"]}'));
        // SC2034 (assigned, unused) and SC1091 (source not followed) are off: the variables are the inputs
        // of the library the script sources, checked on its own (test/unit/scripts-library.test.ts)
        for (const s of [renderInspect({ ...all, migrate: true }), renderApply(all, plan, "it's x"), renderRestore(all, plan)]) lint(s.script, ["-e", "SC2034,SC1091"]);
    });

    const BAD: Array<[string, Partial<DaemonScriptOptions>, string]> = [
        ["shell in the endpoint", { endpoint: "192.168.1.11:5000;reboot" }, 'endpoint "192.168.1.11:5000;reboot" is not <host>:<port>; use an IPv4 address or DNS name and a port 1-65535, like 192.168.1.11:5000'],
        ["an endpoint without a port", { endpoint: "registry" }, 'endpoint "registry" is not <host>:<port>; use an IPv4 address or DNS name and a port 1-65535, like 192.168.1.11:5000'],
        ["a URL", { endpoint: "http://192.168.1.11:5000" }, 'endpoint "http://192.168.1.11:5000" is not <host>:<port>; use an IPv4 address or DNS name and a port 1-65535, like 192.168.1.11:5000'],
        ["port 70000", { endpoint: "192.168.1.11:70000" }, 'endpoint "192.168.1.11:70000" is not <host>:<port>; use an IPv4 address or DNS name and a port 1-65535, like 192.168.1.11:5000'],
        ["a relative daemon.json", { daemonJson: "daemon.json" }, 'daemonJson "daemon.json" is not an absolute path of letters, digits and _ . - /; give one like /etc/docker/daemon.json'],
        ["a path with ..", { stateDir: "/var/lib/../../etc" }, 'stateDir "/var/lib/../../etc" is not an absolute path of letters, digits and _ . - /; give one like /etc/docker/daemon.json'],
        ["a pid file with a $", { pidFile: "/run/$(id).pid" }, 'pidFile "/run/$(id).pid" is not an absolute path of letters, digits and _ . - /; give one like /etc/docker/daemon.json'],
        ["a unit that is not a service", { unit: "docker.socket" }, 'unit "docker.socket" is not a systemd service name like docker.service'],
        ["an unknown security", { security: "https" as never }, 'security "https" is not "tls" or "insecure"'],
        ["an unknown reload", { reload: "restart" as never }, 'reload "restart" is not "auto" or "none"'],
        ["a fractional time-out", { reloadTimeoutSeconds: 1.5 }, "reloadTimeoutSeconds 1.5 is not a whole number of seconds from 1 to 300"],
    ];
    for (const [what, change, message] of BAD) {
        it(`rejects ${what}`, () => {
            const opts = { ...O, ...change };
            assert.deepStrictEqual(validateDaemonScriptOptions(opts), [message]);
            assert.throws(() => renderInspect({ ...opts, migrate: false }), { message: `invalid registry trust options:\n  ${message}` });
        });
    }
});

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
            message: "isolation[0]: h1/a1 and h2/b2 are both on n1, so they are meant to reach each other; an isolation check needs containers on different networks",
        });
    });
});

describe("ping check script", () => {
    const BBOX1: PingCase = { sourceHost: "docker01", source: "bbox1", targetHost: "docker02", target: "bbox2", targetIp: "172.22.16.20", network: "mac_net1", expect: "reachable" };

    it("renders the exact script for the single-network lab's docker01", () => {
        assert.strictEqual(renderPingCheck([BBOX1]), EXPECTED_PING);
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

    it("bounds every ping: count, -W and a hard limit", () => {
        const s = renderPingCheck([BBOX1], { count: 2, timeoutSeconds: 4 });
        assert.ok(s.includes("COUNT='2'\nWAIT='4'\nQUICK='1'\nLIMIT='16'\n"));
        assert.ok(s.includes('ping -c "$COUNT" -A -w "$deadline" "$5"'));
    });

    it("rejects what it cannot render, every problem at once", () => {
        const bad: PingCase = { ...BBOX1, source: "-x", targetIp: "172.22.16.300", network: "mac net" };
        assert.deepStrictEqual(validatePingCheck([bad, { ...BBOX1, sourceHost: "docker02" }], { count: 0, timeoutSeconds: 61 }), [
            "the cases come from several hosts (docker01, docker02); render one script per source host",
            'cases[0].source "-x" is not a container name',
            'cases[0].targetIp "172.22.16.300" (docker02/bbox2) is not an IPv4 address',
            'cases[0].network "mac net" is not a network name',
            "count 0 is not a whole number from 1 to 20",
            "timeoutSeconds 61 is not a whole number from 1 to 60",
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

/**
 * Pure tests of the daemon configuration of the registry trust (components/docker/daemonJson.ts:
 * every daemon.json merge case, the unit flag, the inspect report, the thin scripts): exact scripts,
 * every rendered script through `bash -n` and `shellcheck -s sh`, validation messages. (The
 * connectivity checks' tests are in checks.test.ts.)
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
import { requireTool } from "../helpers/tools";

/** `bash -n` and `shellcheck -s sh` on a script: both must be silent. */
function lint(script: string, shellcheckArgs: string[] = []): void {
    const n = spawnSync("bash", ["-n"], { input: script, encoding: "utf8", timeout: 10_000 });
    assert.strictEqual(n.status, 0, `bash -n: ${n.stderr}`);
    const sc = spawnSync("shellcheck", ["-s", "sh", ...shellcheckArgs, "-"], { input: script, encoding: "utf8", timeout: 30_000 });
    assert.strictEqual(sc.error, undefined, "shellcheck is not installed");
    assert.strictEqual(sc.status, 0, `shellcheck:\n${sc.stdout}`);
}

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

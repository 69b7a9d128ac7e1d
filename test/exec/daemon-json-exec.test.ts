/**
 * The registry trust scripts run for real with `sh` on this machine: against temporary files with
 * reload "none" or a fake daemon, and once against a real dockerd 20.10 in a namespace of its own.
 */
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    DaemonJsonOptions,
    renderCheckTrust,
    renderTrustRegistry,
    renderUntrustRegistry,
    resolveDaemonJsonOptions,
} from "../../components/docker/daemonJson";

const EP = "192.168.1.11:5000";
const PYTHON = "/usr/bin/python3";

interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** Runs `script` with /bin/sh, bounded; `path` replaces PATH when given. */
function runSh(script: string, env: { path?: string } = {}): Run {
    const r = spawnSync("/bin/sh", ["-c", script], {
        encoding: "utf8",
        timeout: 30_000,
        env: { ...process.env, PATH: env.path ?? process.env.PATH ?? "/usr/bin:/bin" },
    });
    if (r.error) throw r.error;
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A temporary directory with a daemon.json path, a state dir and the three scripts. */
class Sandbox {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "mvltest-dj-"));
    readonly conf = path.join(this.dir, "etc", "daemon.json");
    readonly stateDir = path.join(this.dir, "state");
    readonly children: ChildProcess[] = [];
    opts: DaemonJsonOptions;

    constructor(extra: Partial<DaemonJsonOptions> = {}) {
        fs.mkdirSync(path.dirname(this.conf));
        this.opts = {
            endpoint: EP,
            daemonJson: this.conf,
            stateDir: this.stateDir,
            pidFile: path.join(this.dir, "docker.pid"),
            reload: "none",
            ...extra,
        };
    }
    trust(env?: { path?: string }): Run {
        return runSh(renderTrustRegistry(this.opts), env);
    }
    untrust(): Run {
        return runSh(renderUntrustRegistry(this.opts));
    }
    check(): Run {
        return runSh(renderCheckTrust(this.opts));
    }
    write(text: string, mode = 0o644): void {
        fs.writeFileSync(this.conf, text);
        fs.chmodSync(this.conf, mode);
    }
    read(): string {
        return fs.readFileSync(this.conf, "utf8");
    }
    /** Every file left in the daemon.json's directory (no temp files must remain). */
    confDir(): string[] {
        return fs.readdirSync(path.dirname(this.conf)).sort();
    }
    stateFiles(): string[] {
        const d = path.join(this.stateDir, "registry-trust");
        return fs.existsSync(d) ? fs.readdirSync(d).sort() : [];
    }
    /**
     * A process that looks like dockerd (argv[0] "dockerd") with the given arguments, its pid in
     * the pid file. It is a python loop: on SIGHUP it counts the signal and, unless `reject`, makes
     * the file's insecure-registries "live" in `<dir>/live.json`, which the fake docker prints.
     */
    fakeDaemon(args: string[], reject = false): ChildProcess {
        const code = `
import json, signal, sys, time
conf, live, hups, ready, reject = sys.argv[1:6]
def apply():
    try:
        cfg = json.load(open(conf))
    except Exception:
        return
    # like dockerd 20.10: a reload without the key leaves the list as it was
    if reject == "yes" or "insecure-registries" not in cfg:
        return
    regs = cfg["insecure-registries"]
    with open(live, "w") as f:
        json.dump({"IndexConfigs": {r: {"Name": r, "Mirrors": [], "Secure": False, "Official": False} for r in regs}}, f)
def hup(*_):
    with open(hups, "a") as f:
        f.write("hup\\n")
    apply()
signal.signal(signal.SIGHUP, hup)
try:
    start = json.load(open(conf)).get("insecure-registries", [])
except Exception:
    start = []
with open(live, "w") as f:
    json.dump({"IndexConfigs": {r: {"Name": r, "Secure": False} for r in start}}, f)
open(ready, "w").close()
end = time.time() + 60
while time.time() < end:
    time.sleep(0.1)
`;
        const p = spawn(
            PYTHON,
            ["-c", code, this.conf, this.live, this.hups, this.ready, reject ? "yes" : "no", ...args],
            { argv0: "dockerd", stdio: "ignore" },
        );
        this.children.push(p);
        fs.writeFileSync(this.opts.pidFile!, `${p.pid}\n`);
        return p;
    }
    get live(): string {
        return path.join(this.dir, "live.json");
    }
    get ready(): string {
        return path.join(this.dir, "ready");
    }
    get hups(): string {
        return path.join(this.dir, "hups");
    }
    hupCount(): number {
        return fs.existsSync(this.hups) ? fs.readFileSync(this.hups, "utf8").split("\n").filter((l) => l).length : 0;
    }
    /** A `docker` whose `info` prints what the fake daemon made live. */
    fakeDocker(): string {
        const p = path.join(this.dir, "fake-docker");
        fs.writeFileSync(p, `#!/bin/sh\n[ "$1" = info ] || exit 2\ncat '${this.live}'\n`, { mode: 0o755 });
        return p;
    }
    cleanup(): void {
        for (const c of this.children) {
            if (c.exitCode === null) c.kill("SIGKILL");
        }
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** Waits (bounded, 5 s) until `file` exists: the fake daemon's signal handler is in place. */
function waitFor(file: string): void {
    for (let i = 0; i < 100 && !fs.existsSync(file); i++) spawnSync("sleep", ["0.05"]);
    assert.ok(fs.existsSync(file), `${file} did not appear`);
}

const ORIGINAL = '{\n\t"log-level": "warn",\n\t"insecure-registries": ["10.0.0.1:5000"],\n\t"storage-driver": "vfs",\n\t"debug": false\n}\n';

describe("exec: daemon.json trust on temporary files", function () {
    this.timeout(30_000);
    let sb: Sandbox;
    beforeEach(() => (sb = new Sandbox()));
    afterEach(() => sb.cleanup());

    it("merges the endpoint into a config with other keys: exact JSON, key order and mode kept, original saved", () => {
        sb.write(ORIGINAL, 0o600);
        const r = sb.trust();
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(
            sb.read(),
            '{\n  "log-level": "warn",\n  "insecure-registries": [\n    "10.0.0.1:5000",\n    "192.168.1.11:5000"\n  ],\n  "storage-driver": "vfs",\n  "debug": false\n}\n',
        );
        assert.strictEqual(fs.statSync(sb.conf).mode & 0o7777, 0o600);
        assert.match(r.stdout, /validation skipped: .*has no --validate/);
        assert.match(r.stdout, /added 192\.168\.1\.11:5000 to insecure-registries in .*daemon\.json/);
        assert.deepStrictEqual(sb.confDir(), ["daemon.json"]);
        const prefix = path.basename(resolveDaemonJsonOptions(sb.opts).statePrefix);
        assert.deepStrictEqual(sb.stateFiles(), [`${prefix}.orig`, `${prefix}.ours`]);
        assert.strictEqual(fs.readFileSync(path.join(sb.stateDir, "registry-trust", `${prefix}.orig`), "utf8"), ORIGINAL);
        assert.strictEqual(sb.check().code, 0);
    });

    it("creates the file when it is missing", () => {
        const r = sb.trust();
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(sb.read(), '{\n  "insecure-registries": [\n    "192.168.1.11:5000"\n  ]\n}\n');
        assert.strictEqual(fs.statSync(sb.conf).mode & 0o7777, 0o644);
    });

    it("a second run changes nothing (bytes and mtime) and says so", () => {
        sb.write(ORIGINAL);
        assert.strictEqual(sb.trust().code, 0);
        const before = fs.statSync(sb.conf);
        const bytes = sb.read();
        spawnSync("sleep", ["0.05"]);
        const r = sb.trust();
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /already lists 192\.168\.1\.11:5000 in insecure-registries: nothing changed/);
        assert.strictEqual(sb.read(), bytes);
        assert.strictEqual(fs.statSync(sb.conf).mtimeMs, before.mtimeMs);
        assert.strictEqual(JSON.parse(bytes)["insecure-registries"].filter((x: string) => x === EP).length, 1);
    });

    for (const [what, text, message] of [
        ["invalid JSON", '{"debug": true,, }\n', /daemon\.json is not valid JSON: Expecting property name enclosed in double quotes: line 1 column 16 \(char 15\)\. Nothing was changed/],
        ["a JSON array", "[1, 2]\n", /daemon\.json holds an array, not a JSON object\. Nothing was changed/],
        ["insecure-registries not a list", '{"insecure-registries": "10.0.0.1:5000"}', /daemon\.json: insecure-registries is a string, not a list of registries\. Nothing was changed/],
    ] as const) {
        it(`stops on ${what}, naming the file and the problem, and leaves the file byte for byte`, () => {
            sb.write(text, 0o640);
            const before = fs.statSync(sb.conf);
            const r = sb.trust();
            assert.notStrictEqual(r.code, 0);
            assert.match(r.stderr, message);
            assert.ok(r.stderr.includes(sb.conf), r.stderr);
            assert.strictEqual(sb.read(), text);
            assert.strictEqual(fs.statSync(sb.conf).mtimeMs, before.mtimeMs);
            assert.deepStrictEqual(sb.confDir(), ["daemon.json"]);
            assert.deepStrictEqual(sb.stateFiles(), []);
        });
    }

    it("delete restores the original bytes exactly, then does nothing the second time", () => {
        sb.write(ORIGINAL, 0o600);
        assert.strictEqual(sb.trust().code, 0);
        const r = sb.untrust();
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /held exactly what trusting 192\.168\.1\.11:5000 wrote: its original bytes were put back/);
        assert.strictEqual(sb.read(), ORIGINAL);
        assert.strictEqual(fs.statSync(sb.conf).mode & 0o7777, 0o600);
        assert.deepStrictEqual(sb.stateFiles(), []);
        assert.deepStrictEqual(sb.confDir(), ["daemon.json"]);
        const again = sb.untrust();
        assert.strictEqual(again.code, 0, again.stderr);
        assert.match(again.stdout, /no saved state for 192\.168\.1\.11:5000/);
        assert.strictEqual(sb.read(), ORIGINAL);
        const check = sb.check();
        assert.notStrictEqual(check.code, 0);
        assert.match(check.stderr, /does not list 192\.168\.1\.11:5000 in insecure-registries/);
    });

    it("delete removes the file when there was none before", () => {
        assert.strictEqual(sb.trust().code, 0);
        const r = sb.untrust();
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /did not exist before: removed/);
        assert.ok(!fs.existsSync(sb.conf));
        assert.deepStrictEqual(sb.stateFiles(), []);
    });

    it("delete after someone else edited the file removes only our entry", () => {
        sb.write(ORIGINAL);
        assert.strictEqual(sb.trust().code, 0);
        const edited = JSON.parse(sb.read());
        edited["insecure-registries"].push("10.0.0.2:5000");
        edited["max-concurrent-downloads"] = 2;
        sb.write(JSON.stringify(edited));
        const r = sb.untrust();
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /changed by someone else since 192\.168\.1\.11:5000 was trusted, so only 192\.168\.1\.11:5000 was removed/);
        assert.strictEqual(
            sb.read(),
            '{\n  "log-level": "warn",\n  "insecure-registries": [\n    "10.0.0.1:5000",\n    "10.0.0.2:5000"\n  ],\n  "storage-driver": "vfs",\n  "debug": false,\n  "max-concurrent-downloads": 2\n}\n',
        );
        assert.deepStrictEqual(sb.stateFiles(), []);
    });

    it("delete keeps an entry that was there before it was trusted", () => {
        sb.write('{"insecure-registries": ["192.168.1.11:5000"]}');
        const t = sb.trust();
        assert.strictEqual(t.code, 0, t.stderr);
        assert.match(t.stdout, /nothing changed/);
        sb.write('{"insecure-registries": ["192.168.1.11:5000"], "debug": true}');
        const r = sb.untrust();
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /was listed before it was trusted: .* was left as it is/);
        assert.strictEqual(sb.read(), '{"insecure-registries": ["192.168.1.11:5000"], "debug": true}');
    });

    it("refuses a dockerd that passes --insecure-registry on its command line, and says where and how to fix", () => {
        sb.write(ORIGINAL);
        const p = sb.fakeDaemon(["--insecure-registry", "10.9.9.9:5000", "-H", "fd://"]);
        const r = sb.trust();
        assert.notStrictEqual(r.code, 0);
        assert.ok(
            r.stderr.includes(
                `error: the command line of dockerd (pid ${p.pid} from ${sb.opts.pidFile}) already passes --insecure-registry 10.9.9.9:5000. dockerd refuses to start when an option is both a flag and in daemon.json, so this registry cannot be added to ${sb.conf}. Fix: move those registries into insecure-registries in ${sb.conf}, remove the flag from the command line`,
            ),
            r.stderr,
        );
        assert.strictEqual(sb.read(), ORIGINAL);
        assert.deepStrictEqual(sb.stateFiles(), []);
    });

    it("refuses a dockerd that reads another --config-file", () => {
        sb.fakeDaemon(["--config-file=/etc/elsewhere/daemon.json"]);
        const r = sb.trust();
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /reads its configuration from \/etc\/elsewhere\/daemon\.json \(--config-file\), not .*daemon\.json; use that file/);
        assert.ok(!fs.existsSync(sb.conf));
    });

    it("fails clearly when no python is found, changing nothing", () => {
        sb.write(ORIGINAL);
        const r = sb.trust({ path: path.join(sb.dir, "no-such-dir") });
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /error: python3 is needed to edit .*daemon\.json as JSON and was not found \(nor \/usr\/libexec\/platform-python\)/);
        assert.strictEqual(sb.read(), ORIGINAL);
    });

    it("runs dockerd --validate where dockerd has it, and a rejection leaves the file alone", () => {
        const bin = path.join(sb.dir, "bin");
        fs.mkdirSync(bin);
        // a dockerd with --validate that rejects any file listing 192.168.1.11:5000
        fs.writeFileSync(
            path.join(bin, "dockerd"),
            `#!/bin/sh
case "$1" in
  --help) echo "      --validate    Validate daemon configuration and exit" ;;
  --validate) if grep -q 192.168.1.11 "$3"; then echo "unable to configure the Docker daemon: bad registry" >&2; exit 1; fi; echo "configuration OK" ;;
esac
`,
            { mode: 0o755 },
        );
        sb.write(ORIGINAL);
        const r = sb.trust({ path: `${bin}:${process.env.PATH}` });
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /error: dockerd --validate rejected the new .*daemon\.json: unable to configure the Docker daemon: bad registry\. .*daemon\.json was left as it was/);
        assert.strictEqual(sb.read(), ORIGINAL);
        assert.deepStrictEqual(sb.confDir(), ["daemon.json"]);
        sb.opts = { ...sb.opts, endpoint: "10.1.2.3:5000" };
        const ok = sb.trust({ path: `${bin}:${process.env.PATH}` });
        assert.strictEqual(ok.code, 0, ok.stderr);
        assert.match(ok.stdout, /dockerd --validate accepted the new .*daemon\.json: configuration OK/);
    });

    it("two registries trusted and untrusted in turn keep each other's entries", () => {
        sb.write(ORIGINAL);
        const a = sb.opts;
        const b = { ...a, endpoint: "registry.lab.example:443" };
        assert.strictEqual(runSh(renderTrustRegistry(a)).code, 0);
        assert.strictEqual(runSh(renderTrustRegistry(b)).code, 0);
        assert.deepStrictEqual(JSON.parse(sb.read())["insecure-registries"], ["10.0.0.1:5000", EP, "registry.lab.example:443"]);
        // a's delete: the file is not what a wrote any more, so only a's entry goes
        assert.strictEqual(runSh(renderUntrustRegistry(a)).code, 0);
        assert.deepStrictEqual(JSON.parse(sb.read())["insecure-registries"], ["10.0.0.1:5000", "registry.lab.example:443"]);
        const r = runSh(renderUntrustRegistry(b));
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(JSON.parse(sb.read())["insecure-registries"], ["10.0.0.1:5000"]);
    });
});

describe("exec: daemon.json trust with reload auto against a fake daemon", function () {
    this.timeout(30_000);
    let sb: Sandbox;
    beforeEach(() => (sb = new Sandbox({ reload: "auto", reloadTimeoutSeconds: 1 })));
    afterEach(() => sb.cleanup());

    it("fails before changing anything when no dockerd runs", () => {
        sb.write(ORIGINAL);
        const r = sb.trust();
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /no running dockerd found through .*docker\.pid, so the change could not be applied; .* Nothing was changed/);
        assert.strictEqual(sb.read(), ORIGINAL);
    });

    it("fails before changing anything when docker info does not answer", () => {
        sb.opts = { ...sb.opts, dockerCommand: ["/bin/false"] };
        sb.write(ORIGINAL);
        sb.fakeDaemon([]);
        waitFor(sb.ready);
        const r = sb.trust();
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /error: docker info does not answer, and it is how this script sees whether dockerd took the change; .* Nothing was changed/);
        assert.strictEqual(sb.read(), ORIGINAL);
        assert.strictEqual(sb.hupCount(), 0);
    });

    it("SIGHUPs the pid in the pid file, waits until docker info lists the registry; a second run does not reload", () => {
        sb.opts = { ...sb.opts, dockerCommand: sb.fakeDocker() };
        sb.write(ORIGINAL);
        const p = sb.fakeDaemon([]);
        waitFor(sb.ready);
        const r = sb.trust();
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`sent SIGHUP to dockerd \\(pid ${p.pid} from .*\\)`));
        assert.match(r.stdout, /now lists 192\.168\.1\.11:5000 as an insecure registry/);
        assert.strictEqual(sb.hupCount(), 1);
        assert.strictEqual(sb.check().code, 0);
        const again = sb.trust();
        assert.strictEqual(again.code, 0, again.stderr);
        assert.match(again.stdout, /already lists 192\.168\.1\.11:5000 as an insecure registry: not reloaded/);
        assert.strictEqual(sb.hupCount(), 1);
        const u = sb.untrust();
        assert.strictEqual(u.code, 0, u.stderr);
        assert.match(u.stdout, /no longer lists 192\.168\.1\.11:5000 as an insecure registry/);
        assert.strictEqual(sb.hupCount(), 2);
        assert.strictEqual(sb.read(), ORIGINAL);
    });

    /** A directory with a fake `systemctl` (and nothing else) to put first on PATH. */
    function fakeSystemctl(unit: string, mainPid: string): string {
        const bin = path.join(sb.dir, "bin");
        fs.mkdirSync(bin, { recursive: true });
        fs.writeFileSync(
            path.join(bin, "systemctl"),
            `#!/bin/sh
case "$1 $2" in
  "cat docker.service") printf '%s' '${unit}' ;;
  "show -p") echo "MainPID=$(cat '${mainPid}')" ;;
  "reload docker.service") echo reload >>'${sb.dir}/systemctl.log'; kill -s HUP "$(cat '${mainPid}')" ;;
  *) exit 1 ;;
esac
`,
            { mode: 0o755 },
        );
        return `${bin}:${process.env.PATH}`;
    }

    it("refuses a systemd unit that passes --insecure-registry, naming the unit file and line (comments ignored)", () => {
        sb.write(ORIGINAL);
        const unit = [
            "# /lib/systemd/system/docker.service",
            "[Service]",
            "# ExecStart=/usr/bin/dockerd --insecure-registry=only-a-comment",
            "ExecStart=/usr/bin/dockerd -H fd://",
            "",
            "# /etc/systemd/system/docker.service.d/override.conf",
            "[Service]",
            "ExecStart=",
            "ExecStart=/usr/bin/dockerd -H fd:// --insecure-registry 10.9.9.9:5000",
            "",
        ].join("\n");
        const r = sb.trust({ path: fakeSystemctl(unit, path.join(sb.dir, "no-pid")) });
        assert.notStrictEqual(r.code, 0);
        assert.strictEqual(
            r.stderr,
            `error: the systemd unit docker.service already passes --insecure-registry (/etc/systemd/system/docker.service.d/override.conf: ExecStart=/usr/bin/dockerd -H fd:// --insecure-registry 10.9.9.9:5000). dockerd refuses to start when an option is both a flag and in daemon.json, so 192.168.1.11:5000 cannot be added to ${sb.conf}. Fix: move those registries into insecure-registries in ${sb.conf}, remove the flag from the unit (systemctl edit docker.service), run systemctl daemon-reload and systemctl restart docker, then run again\n`,
        );
        assert.strictEqual(sb.read(), ORIGINAL);
    });

    it("reloads with systemctl reload docker.service when the pid is the unit's main pid", () => {
        sb.opts = { ...sb.opts, dockerCommand: sb.fakeDocker() };
        sb.write(ORIGINAL);
        const p = sb.fakeDaemon([]);
        waitFor(sb.ready);
        const r = sb.trust({ path: fakeSystemctl("[Service]\nExecStart=/usr/bin/dockerd -H fd://\n", sb.opts.pidFile!) });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`reloaded dockerd \\(pid ${p.pid}\\) with systemctl reload docker\\.service`));
        assert.strictEqual(fs.readFileSync(path.join(sb.dir, "systemctl.log"), "utf8"), "reload\n");
        assert.strictEqual(sb.hupCount(), 1);
    });

    it("untrust first shows dockerd the file without the endpoint when the original has no insecure-registries key", () => {
        // dockerd ignores a reload whose file has no insecure-registries key: restoring such an
        // original directly would leave the registry trusted until the next restart
        const original = '{"debug": true}';
        sb.opts = { ...sb.opts, dockerCommand: sb.fakeDocker() };
        sb.write(original);
        sb.fakeDaemon([]);
        waitFor(sb.ready);
        assert.strictEqual(sb.trust().code, 0);
        assert.match(fs.readFileSync(sb.live, "utf8"), /192\.168\.1\.11:5000/);
        const u = sb.untrust();
        assert.strictEqual(u.code, 0, u.stderr);
        assert.match(u.stdout, /first removed 192\.168\.1\.11:5000 from .*daemon\.json, keeping the insecure-registries key/);
        assert.match(u.stdout, /no longer lists 192\.168\.1\.11:5000 as an insecure registry/);
        assert.strictEqual(sb.read(), original);
        assert.doesNotMatch(fs.readFileSync(sb.live, "utf8"), /192\.168\.1\.11:5000/);
        assert.strictEqual(sb.hupCount(), 2);
        assert.strictEqual(u.stderr, "");
    });

    for (const before of [ORIGINAL, undefined]) {
        it(`puts the previous ${before === undefined ? "state (no file)" : "bytes"} back, reloads again and fails when the daemon does not take the change`, () => {
            sb.opts = { ...sb.opts, dockerCommand: [sb.fakeDocker()] };
            if (before !== undefined) sb.write(before, 0o600);
            const mtime = before !== undefined ? fs.statSync(sb.conf).mtimeMs : undefined;
            sb.fakeDaemon([], true);
            waitFor(sb.ready);
            const r = sb.trust();
            assert.notStrictEqual(r.code, 0);
            assert.match(
                r.stderr,
                /error: dockerd \(pid [0-9]+\) did not list 192\.168\.1\.11:5000 as an insecure registry after the reload, so it rejected the new .*daemon\.json \(see its log: journalctl -u docker\); the previous .*daemon\.json was put back and dockerd reloaded again/,
            );
            if (before !== undefined) {
                assert.strictEqual(sb.read(), before);
                assert.strictEqual(fs.statSync(sb.conf).mode & 0o7777, 0o600);
                assert.strictEqual(fs.statSync(sb.conf).mtimeMs, mtime);
                assert.deepStrictEqual(sb.confDir(), ["daemon.json"]);
            } else {
                assert.deepStrictEqual(sb.confDir(), []);
            }
            assert.strictEqual(sb.hupCount(), 2);
            assert.deepStrictEqual(sb.stateFiles(), []);
        });
    }
});

/** `which`, without a shell. */
function onPath(cmd: string): boolean {
    return (process.env.PATH ?? "").split(":").some((d) => d !== "" && fs.existsSync(path.join(d, cmd)));
}

/*
 * The real thing: a dockerd 20.10 in a network namespace and a mount namespace of its own (copies
 * of /etc/docker and /run bind-mounted over the real ones, its data in a temporary directory), the
 * rendered scripts with their default paths run inside, then the daemon stopped (bounded) and the
 * namespace deleted.
 */
const INNER = `set -u
T=$1
trap 'exit 1' HUP INT TERM
mount --bind "$T/etc-docker" /etc/docker || exit 4
mount --bind "$T/run" /run || exit 4
export DOCKER_HOST=unix:///run/docker.sock DOCKER_CONFIG="$T/cli"
dockerd --data-root "$T/data" --bridge none --iptables=false >"$T/dockerd.log" 2>&1 &
D=$!
echo "$D" >"$T/dockerd.pid"
stop() {
  ps -o pid= --ppid "$D" >"$T/dockerd.children" 2>/dev/null
  kill -s TERM "$D" 2>/dev/null
  n=0
  while kill -0 "$D" 2>/dev/null && [ "$n" -lt 40 ]; do sleep 0.5; n=$((n + 1)); done
  kill -s KILL "$D" 2>/dev/null
  for c in $(cat "$T/dockerd.children"); do kill -s KILL "$c" 2>/dev/null; done
}
trap stop EXIT
n=0
until docker info >/dev/null 2>&1; do
  n=$((n + 1))
  if [ "$n" -ge 60 ]; then echo "dockerd did not answer within 30 s" >&2; exit 3; fi
  sleep 0.5
done
cat /run/docker.pid >"$T/pid.before"
sh "$T/trust.sh" >"$T/trust.out" 2>&1; echo "$?" >"$T/trust.rc"
docker info --format '{{json .RegistryConfig.IndexConfigs}}' >"$T/index.trusted"
cat /run/docker.pid >"$T/pid.trusted"
kill -0 "$D" && echo "$D" >"$T/alive.trusted"
sh "$T/check.sh" >"$T/check.out" 2>&1; echo "$?" >"$T/check.rc"
sh "$T/untrust.sh" >"$T/untrust.out" 2>&1; echo "$?" >"$T/untrust.rc"
docker info --format '{{json .RegistryConfig.IndexConfigs}}' >"$T/index.untrusted"
cat /run/docker.pid >"$T/pid.untrusted"
cp /etc/docker/daemon.json "$T/daemon.json.after"
`;

describe("exec: registry trust against a real dockerd in its own namespaces", function () {
    this.timeout(90_000);
    const ns = `mvltest-dj-${process.pid}`;
    let dir = "";

    after(() => {
        if (dir === "") return;
        // the inner script stops dockerd; this is the backstop if it was killed first
        for (const f of ["dockerd.pid", "dockerd.children"]) {
            const p = path.join(dir, f);
            const pids = fs.existsSync(p) ? fs.readFileSync(p, "utf8").split(/\s+/).filter((x) => /^[0-9]+$/.test(x)) : [];
            for (const pid of pids) {
                try {
                    process.kill(Number(pid), "SIGKILL");
                } catch {
                    // already gone
                }
            }
        }
        spawnSync("ip", ["netns", "del", ns], { timeout: 10_000 });
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("trust makes docker info list the registry with a SIGHUP (same pid, no restart); untrust removes it", function () {
        const missing = ["dockerd", "containerd", "ip", "nsenter", "unshare"].filter((c) => !onPath(c));
        if (process.getuid?.() !== 0 || missing.length > 0 || !fs.existsSync("/etc/docker")) {
            console.log(
                `      skipped: needs root, /etc/docker to bind a copy over, and ${missing.length > 0 ? `${missing.join(", ")} (not installed)` : "dockerd"}`,
            );
            this.skip();
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "mvltest-dj-real-"));
        for (const d of ["etc-docker", "run", "data", "cli", "state"]) fs.mkdirSync(path.join(dir, d));
        const original = '{\n  "log-level": "warn",\n  "storage-driver": "vfs"\n}\n';
        fs.writeFileSync(path.join(dir, "etc-docker", "daemon.json"), original);
        // default daemon.json, pid file and docker CLI (they are this daemon's inside the namespace);
        // only the state goes to the temporary directory
        const opts: DaemonJsonOptions = { endpoint: EP, stateDir: path.join(dir, "state") };
        fs.writeFileSync(path.join(dir, "trust.sh"), renderTrustRegistry(opts));
        fs.writeFileSync(path.join(dir, "untrust.sh"), renderUntrustRegistry(opts));
        fs.writeFileSync(path.join(dir, "check.sh"), renderCheckTrust(opts));
        fs.writeFileSync(path.join(dir, "inner.sh"), INNER);

        for (const args of [["netns", "add", ns], ["-n", ns, "link", "set", "lo", "up"]]) {
            const r = spawnSync("ip", args, { encoding: "utf8", timeout: 10_000 });
            assert.strictEqual(r.status, 0, `ip ${args.join(" ")}: ${r.stderr}`);
        }
        const r = spawnSync(
            "nsenter",
            [`--net=/run/netns/${ns}`, "unshare", "--mount", "--propagation", "private", "/bin/sh", path.join(dir, "inner.sh"), dir],
            { encoding: "utf8", timeout: 75_000 },
        );
        const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8").trim() : "");
        const log = () => `\n--- inner: ${r.status} ${r.stderr}\n--- dockerd.log (end):\n${read("dockerd.log").split("\n").slice(-15).join("\n")}`;
        assert.strictEqual(r.status, 0, `the namespaced run failed${log()}`);

        assert.strictEqual(read("trust.rc"), "0", `trust failed:\n${read("trust.out")}${log()}`);
        assert.match(read("trust.out"), /validation skipped: Docker version 20\.10\.[^ ]* .* has no --validate/);
        assert.match(read("trust.out"), /sent SIGHUP to dockerd \(pid [0-9]+ from \/run\/docker\.pid\)/);
        const trusted = JSON.parse(read("index.trusted"));
        assert.deepStrictEqual(trusted[EP], { Name: EP, Mirrors: [], Secure: false, Official: false });
        // the same daemon, still running: reloaded, not restarted
        assert.strictEqual(read("pid.trusted"), read("pid.before"));
        assert.strictEqual(read("alive.trusted"), read("pid.before"));
        assert.strictEqual(read("check.rc"), "0", read("check.out"));

        assert.strictEqual(read("untrust.rc"), "0", `untrust failed:\n${read("untrust.out")}${log()}`);
        assert.match(read("untrust.out"), /no longer lists 192\.168\.1\.11:5000 as an insecure registry/);
        assert.strictEqual(JSON.parse(read("index.untrusted"))[EP], undefined);
        assert.strictEqual(read("pid.untrusted"), read("pid.before"));
        assert.strictEqual(fs.readFileSync(path.join(dir, "daemon.json.after"), "utf8"), original);
    });
});

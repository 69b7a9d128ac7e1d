/**
 * The registry trust's daemon configuration run for real with `sh`: the inspect script, the plan
 * decided in TypeScript from its report, the apply and restore scripts, with the shell library as it
 * is in the repo (components/scripts). Every script runs with a PATH that holds only the tools a
 * minimal CentOS 7 has (coreutils, sed, grep) and the fakes a test needs: no python, no JSON tool.
 * Against temporary files (reload "none"), against a fake daemon (a process named dockerd that
 * reloads on SIGHUP), and once against a real dockerd 20.10 in namespaces of its own.
 */
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    DaemonConfigPlan,
    DaemonConfigRequest,
    DaemonScriptOptions,
    parseInspection,
    planDaemonConfig,
    renderApply,
    renderInspect,
    renderRestore,
} from "../../components/docker/daemonJson";
import { SCRIPTS_DIR } from "../../components/scripts";

const EP = "192.168.1.11:5000";

/** What a minimal CentOS 7 has on PATH that the scripts may use (plus `sh`). */
const TOOLS = [
    "sh", "sha256sum", "base64", "cut", "tr", "stat", "cp", "mv", "mkdir", "rm", "rmdir", "mktemp", "sed", "grep",
    "cat", "dirname", "basename", "head", "tail", "chmod", "chown", "cmp", "sleep", "id", "readlink", "wc", "sort", "ls",
];

interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
}

function which(cmd: string): string | undefined {
    for (const d of (process.env.PATH ?? "/usr/bin:/bin").split(":")) {
        const p = path.join(d, cmd);
        if (d !== "" && fs.existsSync(p)) return p;
    }
    return undefined;
}

/** A temporary daemon.json, state directory, pid file and a PATH of TOOLS and fakes only. */
class Sandbox {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "mvltest-dj-"));
    readonly conf = path.join(this.dir, "etc", "daemon.json");
    readonly bin = path.join(this.dir, "bin");
    readonly children: ChildProcess[] = [];
    opts: DaemonScriptOptions;
    lastInspect = "";

    constructor(extra: Partial<DaemonScriptOptions> = {}) {
        fs.mkdirSync(path.dirname(this.conf));
        fs.mkdirSync(this.bin);
        for (const t of TOOLS) {
            const p = which(t);
            if (p === undefined) throw new Error(`${t} is not installed`);
            fs.symlinkSync(p, path.join(this.bin, t));
        }
        this.opts = {
            endpoint: EP,
            security: "insecure",
            daemonJson: this.conf,
            stateDir: path.join(this.dir, "state"),
            pidFile: path.join(this.dir, "docker.pid"),
            reload: "none",
            reloadTimeoutSeconds: 3,
            libraryDir: SCRIPTS_DIR,
            ...extra,
        };
    }
    sh(script: string): Run {
        const r = spawnSync("/bin/sh", ["-c", script], { encoding: "utf8", timeout: 60_000, env: { PATH: this.bin, HOME: this.dir, LC_ALL: "C" } });
        if (r.error) throw r.error;
        return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    }
    inspect(migrate = false): Run {
        const r = this.sh(renderInspect({ ...this.opts, migrate }).script);
        this.lastInspect = r.stdout;
        return r;
    }
    plan(migrate = false, security = this.opts.security): DaemonConfigPlan {
        const r = this.inspect(migrate);
        assert.strictEqual(r.code, 0, `inspect failed: ${r.stderr}`);
        const req: DaemonConfigRequest = { endpoint: this.opts.endpoint, security, migrate };
        return planDaemonConfig(req, parseInspection(r.stdout));
    }
    apply(plan: DaemonConfigPlan): Run {
        return this.sh(renderApply(this.opts, plan, "pulumi up --replace 'urn:test-inspect'").script);
    }
    restore(plan: DaemonConfigPlan): Run {
        return this.sh(renderRestore(this.opts, plan).script);
    }
    /** inspect, plan, apply (which must pass); the plan for the restore. */
    trust(migrate = false): DaemonConfigPlan {
        const plan = this.plan(migrate);
        const r = this.apply(plan);
        assert.strictEqual(r.code, 0, `apply failed:\n${r.stdout}\n${r.stderr}`);
        return plan;
    }
    write(text: string, mode = 0o644): void {
        fs.writeFileSync(this.conf, text);
        fs.chmodSync(this.conf, mode);
    }
    read(): string {
        return fs.readFileSync(this.conf, "utf8");
    }
    /** Every file left next to daemon.json (no temporary file may remain). */
    confDir(): string[] {
        return fs.readdirSync(path.dirname(this.conf)).sort();
    }
    /** What the state directory holds after a run (the lock must be gone). */
    stateLeft(): string[] {
        const d = path.join(this.dir, "state");
        return fs.existsSync(d) ? fs.readdirSync(d, { recursive: true }).map(String).sort() : [];
    }
    fake(name: string, text: string): void {
        fs.writeFileSync(path.join(this.bin, name), `#!/bin/sh\n${text}`, { mode: 0o755 });
    }
    /** A systemctl that knows docker.service as `fragment` with `dropins`, and logs what it is told. */
    fakeSystemd(fragment: string, dropins: string[] = []): void {
        this.fake(
            "systemctl",
            `echo "$*" >>'${this.dir}/systemctl.log'
case "$*" in
"show -p FragmentPath docker.service") echo 'FragmentPath=${fragment}' ;;
"show -p DropInPaths docker.service") echo 'DropInPaths=${dropins.join(" ")}' ;;
"show -p MainPID docker.service") echo 'MainPID=0' ;;
esac
`,
        );
    }
    get live(): string {
        return path.join(this.dir, "live");
    }
    get hups(): string {
        return path.join(this.dir, "hups");
    }
    hupCount(): number {
        return fs.existsSync(this.hups) ? fs.readFileSync(this.hups, "utf8").split("\n").filter((l) => l).length : 0;
    }
    /**
     * A process named dockerd (its argv[0]) with `args` on its command line, its pid in the pid
     * file: on SIGHUP it counts the signal and, unless `reject`, makes the file's insecure-registries
     * live (like dockerd 20.10: a reload without the key keeps the list). The fake docker prints them.
     */
    fakeDaemon(args: string[] = [], reject = false): void {
        const code = [
            'const fs = require("fs");',
            "const [conf, live, hups, ready, reject] = process.argv.slice(1);",
            "const put = (regs) => fs.writeFileSync(live, regs.map((r) => r + String.fromCharCode(10)).join(''));",
            "const apply = () => { let c; try { c = JSON.parse(fs.readFileSync(conf, 'utf8')); } catch { return; } if (reject === 'yes' || !('insecure-registries' in c)) return; put(c['insecure-registries']); };",
            "process.on('SIGHUP', () => { fs.appendFileSync(hups, 'hup' + String.fromCharCode(10)); apply(); });",
            "let start = []; try { start = JSON.parse(fs.readFileSync(conf, 'utf8'))['insecure-registries'] || []; } catch {}",
            "put(start); fs.writeFileSync(ready, ''); setTimeout(() => process.exit(0), 60000);",
        ].join(" ");
        const ready = path.join(this.dir, "ready");
        const p = spawn(process.execPath, ["-e", code, this.conf, this.live, this.hups, ready, reject ? "yes" : "no", ...args], { argv0: "dockerd", stdio: "ignore" });
        this.children.push(p);
        for (let i = 0; i < 100 && !fs.existsSync(ready); i++) spawnSync("sleep", ["0.05"]);
        assert.ok(fs.existsSync(ready), "the fake daemon did not start");
        fs.writeFileSync(this.opts.pidFile ?? "", `${p.pid}\n`);
        this.fake(
            "docker",
            `case "$1" in
info) case "$*" in *IndexConfigs*) cat '${this.live}' ;; *) echo fake-daemon-id ;; esac ;;
ps) ;;
*) exit 2 ;;
esac
`,
        );
    }
    cleanup(): void {
        for (const c of this.children) if (c.exitCode === null) c.kill("SIGKILL");
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

const ORIGINAL = '{\n\t"log-level": "warn",\n\t"insecure-registries": ["10.0.0.1:5000"],\n\t"storage-driver": "vfs",\n\t"debug": false\n}\n';

describe("exec: registry trust with no python on PATH, on temporary files", function () {
    this.timeout(60_000);
    let sb: Sandbox;
    beforeEach(() => (sb = new Sandbox()));
    afterEach(() => sb.cleanup());

    it("the scripts' PATH has no python, perl or JSON tool", () => {
        const r = sb.sh("for c in python python2 python3 perl jq node platform-python; do command -v \"$c\" && exit 1; done; exit 0");
        assert.strictEqual(r.code, 0, `found ${r.stdout}`);
    });

    it("merges the endpoint into a config with other keys: key order, tabs and mode kept; no temporary or lock file left", () => {
        sb.write(ORIGINAL, 0o640);
        sb.trust();
        assert.strictEqual(
            sb.read(),
            '{\n\t"log-level": "warn",\n\t"insecure-registries": [\n\t\t"10.0.0.1:5000",\n\t\t"192.168.1.11:5000"\n\t],\n\t"storage-driver": "vfs",\n\t"debug": false\n}\n',
        );
        assert.strictEqual(fs.statSync(sb.conf).mode & 0o777, 0o640);
        assert.deepStrictEqual(sb.confDir(), ["daemon.json"]);
        assert.deepStrictEqual(sb.stateLeft(), []);
    });

    it("creates the file when it is missing (mode 644)", () => {
        sb.trust();
        assert.deepStrictEqual(JSON.parse(sb.read()), { "insecure-registries": [EP] });
        assert.strictEqual(fs.statSync(sb.conf).mode & 0o777, 0o644);
    });

    it("the apply run again (as after a new library) changes nothing and says so", () => {
        sb.write(ORIGINAL);
        const plan = sb.trust();
        const before = fs.statSync(sb.conf).mtimeMs;
        const bytes = sb.read();
        const r = sb.apply(plan);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /already holds what the registry trust writes/);
        assert.match(r.stdout, /nothing changed: /);
        assert.strictEqual(sb.read(), bytes);
        assert.strictEqual(fs.statSync(sb.conf).mtimeMs, before);
    });

    it("a file the program refuses (not JSON) stops the apply with the reason, the file left byte for byte", () => {
        sb.write("{ not json", 0o600);
        const plan = sb.plan();
        assert.match(plan.error ?? "", /daemon\.json is not valid JSON/);
        const r = sb.apply(plan);
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /^ERROR: .*daemon\.json is not valid JSON .*Nothing was changed/m);
        assert.strictEqual(sb.read(), "{ not json");
    });

    it("a concurrent edit between the read and the write is kept: the apply writes nothing and says how to read again", () => {
        sb.write(ORIGINAL);
        const plan = sb.plan();
        const edited = '{"log-level": "debug"}\n';
        sb.write(edited);
        const r = sb.apply(plan);
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /changed after it was read .*someone edited it meanwhile\. Nothing was written, so that edit is kept\. Read it again: pulumi up --replace 'urn:test-inspect'/);
        assert.strictEqual(sb.read(), edited);
        assert.deepStrictEqual(sb.stateLeft(), []);
    });

    it("restore puts the original bytes and mode back exactly; run again, it changes nothing", () => {
        sb.write(ORIGINAL, 0o600);
        const plan = sb.trust();
        const r = sb.restore(plan);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /put back the original/);
        assert.strictEqual(sb.read(), ORIGINAL);
        assert.strictEqual(fs.statSync(sb.conf).mode & 0o777, 0o600);
        const again = sb.restore(plan);
        assert.strictEqual(again.code, 0, again.stderr);
        assert.match(again.stdout, /no longer names 192\.168\.1\.11:5000: left as it is/);
        assert.strictEqual(sb.read(), ORIGINAL);
        assert.deepStrictEqual(sb.confDir(), ["daemon.json"]);
        assert.deepStrictEqual(sb.stateLeft(), []);
    });

    it("restore removes the file when there was none", () => {
        const plan = sb.trust();
        assert.strictEqual(sb.restore(plan).code, 0);
        assert.deepStrictEqual(sb.confDir(), []);
    });

    it("restore after someone else edited the file keeps their edit and fails, saying what to remove", () => {
        sb.write(ORIGINAL);
        const plan = sb.trust();
        const edited = sb.read().replace('"debug": false', '"debug": true');
        sb.write(edited);
        const r = sb.restore(plan);
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /was changed by someone else after the registry trust wrote it .*its original bytes were not put back: that would lose the other change\. Remove what the trust added/);
        assert.strictEqual(sb.read(), edited);
    });

    it("restore of a file where the endpoint was already listed changes nothing", () => {
        const listed = `{"insecure-registries": ["${EP}"]}\n`;
        sb.write(listed);
        const plan = sb.trust();
        assert.strictEqual(plan.after, undefined);
        const r = sb.restore(plan);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /was not changed for 192\.168\.1\.11:5000: nothing to put back/);
        assert.strictEqual(sb.read(), listed);
    });

    it("refuses a docker unit line with --insecure-registry, naming the file, the line and registry.migrateUnitFlag", () => {
        const unit = path.join(sb.dir, "docker.service");
        fs.writeFileSync(unit, "[Service]\n# ExecStart=/usr/bin/dockerd --insecure-registry 10.9.9.9:1\nExecStart=/usr/bin/dockerd -H fd:// --insecure-registry 192.168.1.11:5000\n");
        sb.fakeSystemd(unit);
        sb.write(ORIGINAL);
        const r = sb.inspect();
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, new RegExp(`^ERROR: ${unit.replace(/[.]/g, "\\.")} line 3 passes --insecure-registry: ExecStart=/usr/bin/dockerd -H fd:// --insecure-registry 192\\.168\\.1\\.11:5000\\. dockerd refuses to start when insecure-registries is both a flag and in daemon\\.json.* Set registry\\.migrateUnitFlag: true to have it moved`, "m"));
        assert.strictEqual(sb.read(), ORIGINAL);
    });

    it("with tls, a unit flag for other registries stays; one for the endpoint is refused", () => {
        const unit = path.join(sb.dir, "docker.service");
        fs.writeFileSync(unit, "[Service]\nExecStart=/usr/bin/dockerd --insecure-registry 10.0.0.9:5000\n");
        sb.fakeSystemd(unit);
        sb.opts = { ...sb.opts, security: "tls" };
        const ok = sb.inspect();
        assert.strictEqual(ok.code, 0, ok.stderr);
        assert.match(ok.stdout, /passes --insecure-registry for other registries; left as it is/);
        fs.writeFileSync(unit, `[Service]\nExecStart=/usr/bin/dockerd --insecure-registry ${EP}\n`);
        const refused = sb.inspect();
        assert.strictEqual(refused.code, 1);
        assert.match(refused.stderr, /it makes dockerd treat 192\.168\.1\.11:5000 as a plain-HTTP registry, which security tls forbids/);
    });

    it("migrateUnitFlag: the flag leaves the unit and its drop-in, the registries join daemon.json; restore puts both back", () => {
        const unit = path.join(sb.dir, "docker.service");
        const dropin = path.join(sb.dir, "override.conf");
        const unitText = "[Service]\nExecStart=/usr/bin/dockerd -H fd:// --insecure-registry 192.168.1.11:5000\n";
        const dropinText = "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --insecure-registry=10.0.0.7:5000 -H fd://\n";
        fs.writeFileSync(unit, unitText);
        fs.writeFileSync(dropin, dropinText, { mode: 0o600 });
        sb.fakeSystemd(unit, [dropin]);
        sb.write(ORIGINAL);
        const plan = sb.plan(true);
        const applied = sb.apply(plan);
        assert.strictEqual(applied.code, 0, applied.stderr);
        assert.deepStrictEqual(plan.migrated, [EP, "10.0.0.7:5000"]);
        assert.strictEqual(fs.readFileSync(unit, "utf8"), "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n");
        assert.strictEqual(fs.readFileSync(dropin, "utf8"), "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd://\n");
        assert.strictEqual(fs.statSync(dropin).mode & 0o777, 0o600);
        assert.deepStrictEqual(JSON.parse(sb.read())["insecure-registries"], ["10.0.0.1:5000", EP, "10.0.0.7:5000"]);
        const r = sb.restore(plan);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(fs.readFileSync(unit, "utf8"), unitText);
        assert.strictEqual(fs.readFileSync(dropin, "utf8"), dropinText);
        assert.strictEqual(fs.statSync(dropin).mode & 0o777, 0o600);
        assert.strictEqual(sb.read(), ORIGINAL);
    });
});

describe("exec: registry trust with reload auto against a fake daemon (no python on PATH)", function () {
    this.timeout(60_000);
    let sb: Sandbox;
    beforeEach(() => (sb = new Sandbox({ reload: "auto" })));
    afterEach(() => sb.cleanup());

    it("fails before changing anything when no dockerd runs", () => {
        sb.write(ORIGINAL);
        const r = sb.inspect();
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /no running dockerd found through .*docker\.pid; start docker .*Nothing was changed/);
    });

    it("SIGHUPs the pid in the pid file, waits until docker info lists the registry; applied again, no reload", () => {
        sb.write(ORIGINAL);
        sb.fakeDaemon();
        const plan = sb.trust();
        assert.strictEqual(sb.hupCount(), 1);
        assert.deepStrictEqual(fs.readFileSync(sb.live, "utf8").split("\n").filter((l) => l), ["10.0.0.1:5000", EP]);
        const again = sb.apply(plan);
        assert.strictEqual(again.code, 0, again.stderr);
        assert.strictEqual(sb.hupCount(), 1, "nothing changed: no reload");
        assert.match(again.stdout, /lists 192\.168\.1\.11:5000 as an insecure registry/);
    });

    it("restore of a file without the key first shows dockerd the list without the endpoint, then puts the original back", () => {
        const original = '{\n  "log-level": "warn"\n}\n';
        sb.write(original);
        sb.fakeDaemon();
        const plan = sb.trust();
        assert.ok(plan.intermediate !== undefined);
        const r = sb.restore(plan);
        assert.strictEqual(r.code, 0, `${r.stdout}\n${r.stderr}`);
        assert.strictEqual(sb.read(), original);
        assert.strictEqual(fs.readFileSync(sb.live, "utf8"), "", "dockerd no longer lists it");
        assert.strictEqual(sb.hupCount(), 3, "apply, the intermediate file, the original");
    });

    it("a daemon that does not take the change: the apply fails, the previous bytes are put back and dockerd told again", () => {
        sb.write(ORIGINAL);
        sb.fakeDaemon([], true);
        const plan = sb.plan();
        const r = sb.apply(plan);
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /does not list 192\.168\.1\.11:5000 as an insecure registry after the change/);
        assert.strictEqual(sb.read(), ORIGINAL);
        assert.strictEqual(sb.hupCount(), 2, "the change, then the undo");
        assert.deepStrictEqual(sb.confDir(), ["daemon.json"]);
    });

    it("refuses a dockerd whose command line passes --insecure-registry that no unit line explains", () => {
        sb.write(ORIGINAL);
        sb.fakeDaemon(["--insecure-registry", "10.0.0.3:5000"]);
        const r = sb.inspect();
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /the command line of dockerd \(pid [0-9]+, \/proc\/[0-9]+\/cmdline\), which no line of the docker unit explains .*passes --insecure-registry \(--insecure-registry 10\.0\.0\.3:5000 \)/);
    });

    it("refuses a dockerd that reads another --config-file", () => {
        sb.fakeDaemon(["--config-file=/srv/other/daemon.json"]);
        const r = sb.inspect();
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /reads its configuration from \/srv\/other\/daemon\.json \(--config-file\), not .*daemon\.json; set daemonJson to that file/);
    });
});

/*
 * The real thing: a dockerd 20.10 in a network namespace and a mount namespace of its own (copies
 * of /etc/docker and /run bind-mounted over the real ones, its data in a temporary directory). The
 * inner script starts it and then runs the scripts the test hands it one by one (`<n>.sh` ->
 * `<n>.out`, `<n>.rc`), so the test can decide the apply from the inspect's report in between.
 * Needs root and the machine-wide lock (flock /tmp/macvlan-lab-netns.lock).
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
i=1
while [ "$i" -le 3 ]; do
  w=0
  until [ -e "$T/$i.sh" ]; do w=$((w + 1)); [ "$w" -lt 120 ] || exit 5; sleep 0.25; done
  PATH="$T/bin" sh "$T/$i.sh" >"$T/$i.out" 2>&1; echo "$?" >"$T/$i.rc.tmp"
  docker info --format '{{json .RegistryConfig.IndexConfigs}}' >"$T/$i.index"
  cat /run/docker.pid >"$T/$i.pid"
  mv "$T/$i.rc.tmp" "$T/$i.rc"
  i=$((i + 1))
done
cp /etc/docker/daemon.json "$T/daemon.json.after"
`;

describe("exec: registry trust against a real dockerd in its own namespaces", function () {
    this.timeout(120_000);
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

    it("trust makes docker info list the registry with a SIGHUP (same pid, no restart); restore takes it away and puts the bytes back", async function () {
        const missing = ["dockerd", "containerd", "ip", "nsenter", "unshare", "docker"].filter((c) => which(c) === undefined);
        if (process.getuid?.() !== 0 || missing.length > 0 || !fs.existsSync("/etc/docker")) {
            console.log(`      skipped: needs root, /etc/docker to bind a copy over, and ${missing.length > 0 ? `${missing.join(", ")} (not installed)` : "dockerd"}`);
            this.skip();
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "mvltest-dj-real-"));
        for (const d of ["etc-docker", "run", "data", "cli", "state", "bin"]) fs.mkdirSync(path.join(dir, d));
        for (const t of [...TOOLS, "docker", "dockerd"]) fs.symlinkSync(which(t) ?? "", path.join(dir, "bin", t));
        const original = '{\n  "log-level": "warn",\n  "storage-driver": "vfs"\n}\n';
        fs.writeFileSync(path.join(dir, "etc-docker", "daemon.json"), original);
        // the default daemon.json, pid file and unit (inside the namespace they are this daemon's);
        // the state and the library from the temporary directory and the repo
        const opts: DaemonScriptOptions = { endpoint: EP, security: "insecure", stateDir: path.join(dir, "state"), libraryDir: SCRIPTS_DIR };
        fs.writeFileSync(path.join(dir, "inner.sh"), INNER);
        for (const args of [["netns", "add", ns], ["-n", ns, "link", "set", "lo", "up"]]) {
            const r = spawnSync("ip", args, { encoding: "utf8", timeout: 10_000 });
            assert.strictEqual(r.status, 0, `ip ${args.join(" ")}: ${r.stderr}`);
        }
        const inner = spawn("nsenter", [`--net=/run/netns/${ns}`, "unshare", "--mount", "--propagation", "private", "/bin/sh", path.join(dir, "inner.sh"), dir], { stdio: ["ignore", "ignore", "pipe"] });
        let innerErr = "";
        inner.stderr?.on("data", (b: Buffer) => (innerErr += b.toString()));
        const innerDone = new Promise<number | null>((resolve) => inner.on("exit", (c) => resolve(c)));
        const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8").trim() : "");
        const log = () => `\n--- inner: ${innerErr}\n--- dockerd.log (end):\n${read("dockerd.log").split("\n").slice(-15).join("\n")}`;
        const step = async (i: number, script: string): Promise<{ rc: string; out: string }> => {
            fs.writeFileSync(path.join(dir, `${i}.sh`), script);
            for (let w = 0; w < 240 && !fs.existsSync(path.join(dir, `${i}.rc`)); w++) {
                if (inner.exitCode !== null) break;
                await new Promise((r) => setTimeout(r, 250));
            }
            assert.ok(fs.existsSync(path.join(dir, `${i}.rc`)), `step ${i} did not run${log()}`);
            return { rc: read(`${i}.rc`), out: read(`${i}.out`) };
        };

        const inspected = await step(1, renderInspect({ ...opts, migrate: false }).script);
        assert.strictEqual(inspected.rc, "0", `inspect failed:\n${inspected.out}${log()}`);
        const plan = planDaemonConfig({ endpoint: EP, security: "insecure", migrate: false }, parseInspection(inspected.out));
        const applied = await step(2, renderApply(opts, plan, "again").script);
        assert.strictEqual(applied.rc, "0", `apply failed:\n${applied.out}${log()}`);
        assert.match(applied.out, /validation skipped: Docker version 20\.10\.[^ ]* .* has no --validate/);
        assert.match(applied.out, /sent SIGHUP to dockerd \(pid [0-9]+ from \/run\/docker\.pid\)/);
        assert.deepStrictEqual(JSON.parse(read("2.index"))[EP], { Name: EP, Mirrors: [], Secure: false, Official: false });
        assert.strictEqual(read("2.pid"), read("pid.before"), "the same daemon: reloaded, not restarted");

        const restored = await step(3, renderRestore(opts, plan).script);
        assert.strictEqual(restored.rc, "0", `restore failed:\n${restored.out}${log()}`);
        assert.strictEqual(JSON.parse(read("3.index"))[EP], undefined);
        assert.strictEqual(read("3.pid"), read("pid.before"));
        assert.strictEqual(await innerDone, 0, `the namespaced run failed${log()}`);
        assert.strictEqual(fs.readFileSync(path.join(dir, "daemon.json.after"), "utf8"), original);
    });
});

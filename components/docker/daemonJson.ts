/**
 * Registry trust through `insecure-registries` in a Docker daemon's `daemon.json`: pure renderers of
 * the POSIX sh scripts that a `remote.Command` runs on the host (trust, untrust, check).
 *
 * What the scripts do on the host:
 * - the JSON is read and written by python3 (or `/usr/libexec/platform-python` on RHEL-likes),
 *   with a fixed embedded program; the endpoint and paths reach it as argv arguments only;
 * - the endpoint is merged into `insecure-registries`: other keys and registries kept, key order
 *   kept, no duplicate, the file created (mode 0644) when missing; a run that finds the endpoint
 *   already listed writes nothing and does not reload dockerd;
 * - a file that is not JSON, not an object, or whose `insecure-registries` is not a list stops the
 *   script with an error naming the file and the parse error, and is left byte-for-byte as it was;
 * - a dockerd whose command line (`/proc/<pid>/cmdline` of the pid in the pid file) or systemd
 *   unit (`systemctl cat docker.service`) already passes `--insecure-registry` is refused: dockerd
 *   will not start when an option is both a flag and in daemon.json;
 * - the new file is written next to the old one and moved over it (atomic), with the old file's
 *   mode and owner; it is checked with `dockerd --validate` where dockerd has that flag (Docker
 *   23.0 and later; 20.10 does not, and the script says the check was skipped);
 * - the original bytes (or the fact that there was no file) are saved once, in the state
 *   directory, before the first change, together with the bytes written;
 * - reload "auto": SIGHUP to the pid in the pid file (or `systemctl reload docker.service` when that
 *   pid is the unit's main pid), then a bounded wait until `docker info` lists the endpoint as an
 *   insecure registry; when it does not, the previous bytes are put back, dockerd is reloaded again
 *   and the script fails. `insecure-registries` is a live-reloadable key: running containers are
 *   not restarted.
 * - untrust restores the original bytes when the file still holds exactly what trust wrote (or
 *   removes the file if there was none), otherwise removes only the endpoint and keeps everything
 *   else; then reloads and forgets the saved state. Running it again changes nothing.
 */
import { createHash } from "crypto";
import { shellQuote } from "../shell";
import { DNS_NAME, SAFE_ABSOLUTE_PATH } from "../spec/names";

/** How the scripts make dockerd read the changed file. */
export type ReloadMode = "auto" | "none";

/** What the trust, untrust and check scripts act on. */
export interface DaemonJsonOptions {
    /**
     * The registry as daemons name it: `<host>:<port>` or `<host>`, host an IPv4 address or a DNS
     * name (`192.168.1.11:5000`). Required. It must be the exact string image references start
     * with: Docker matches `insecure-registries` entries by string.
     */
    endpoint: string;
    /**
     * The daemon's configuration file. Defaults to `/etc/docker/daemon.json`. When the running
     * dockerd was started with `--config-file`, this must be that file (the scripts check).
     */
    daemonJson?: string;
    /**
     * Directory on the host where the original file, the bytes written and a lock are kept between
     * trust and untrust. Defaults to `/var/lib/macvlan-lab`; the files go in its `registry-trust/`.
     */
    stateDir?: string;
    /**
     * The pid file of the dockerd to check and reload. Defaults to `/run/docker.pid` (dockerd's
     * own default). A pid file, not `pidof`: several daemons may share one machine.
     */
    pidFile?: string;
    /**
     * The docker CLI that asks the daemon (`docker info`): one program name or path, or a whole
     * argument list such as `["docker", "-H", "unix:///run/other.sock"]`. Defaults to `docker`.
     */
    dockerCommand?: string | readonly string[];
    /**
     * "auto": reload dockerd (SIGHUP, or `systemctl reload` for a systemd unit) and wait until it
     * lists the registry; trust then fails when no dockerd runs. "none": only write the file (for
     * tests on temporary files, or a daemon that is started later). Defaults to "auto".
     */
    reload?: ReloadMode;
    /**
     * How long to wait for dockerd to show (or drop) the registry after a reload, in seconds
     * (polled every 0.5 s). Defaults to 10.
     */
    reloadTimeoutSeconds?: number;
}

/** {@link DaemonJsonOptions} with every default applied and the state file names derived. */
export interface ResolvedDaemonJsonOptions {
    endpoint: string;
    daemonJson: string;
    stateDir: string;
    pidFile: string;
    dockerCommand: readonly string[];
    reload: ReloadMode;
    reloadTimeoutSeconds: number;
    /** `<stateDir>/registry-trust`: the lock and every state file live here. */
    trustDir: string;
    /** Prefix of this endpoint's state files in this daemon.json: `<trustDir>/<endpoint>-<hash>`. */
    statePrefix: string;
}

const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

/** Every problem with `opts`, one sentence each; empty when the options can be rendered. */
export function validateDaemonJsonOptions(opts: DaemonJsonOptions): string[] {
    const errors: string[] = [];
    const ep = opts.endpoint;
    const m = /^([^:]*)(?::([0-9]+))?$/.exec(ep);
    const host = m?.[1] ?? "";
    const port = m?.[2];
    if (m === null || !(IPV4.test(host) || DNS_NAME.test(host)) || (port !== undefined && (Number(port) < 1 || Number(port) > 65535))) {
        errors.push(
            `endpoint ${JSON.stringify(ep)} is not <host>:<port>; use an IPv4 address or DNS name and a port 1-65535, like 192.168.1.11:5000`,
        );
    }
    const paths: Array<[string, string | undefined]> = [
        ["daemonJson", opts.daemonJson],
        ["stateDir", opts.stateDir],
        ["pidFile", opts.pidFile],
    ];
    for (const [field, value] of paths) {
        if (value !== undefined && (!SAFE_ABSOLUTE_PATH.test(value) || value === "/" || value.endsWith("/"))) {
            errors.push(
                `${field} ${JSON.stringify(value)} is not an absolute path of letters, digits and _ . - /; give one like /etc/docker/daemon.json`,
            );
        }
    }
    const dc = opts.dockerCommand;
    if (dc !== undefined) {
        const argv = typeof dc === "string" ? [dc] : dc;
        if (argv.length === 0 || argv[0] === "" || argv.some((a) => /[\0\n]/.test(a))) {
            errors.push(
                `dockerCommand ${JSON.stringify(dc)} is not a command: give a program ("docker", "/usr/bin/docker") or an argument list without NUL or newline characters`,
            );
        }
    }
    if (opts.reload !== undefined && opts.reload !== "auto" && opts.reload !== "none") {
        errors.push(`reload ${JSON.stringify(opts.reload)} is not "auto" or "none"`);
    }
    const t = opts.reloadTimeoutSeconds;
    if (t !== undefined && (!Number.isInteger(t) || t < 1 || t > 300)) {
        errors.push(`reloadTimeoutSeconds ${t} is not a whole number of seconds from 1 to 300`);
    }
    return errors;
}

/** Applies the defaults; throws one Error listing every problem when the options are invalid. */
export function resolveDaemonJsonOptions(opts: DaemonJsonOptions): ResolvedDaemonJsonOptions {
    const errors = validateDaemonJsonOptions(opts);
    if (errors.length > 0) {
        throw new Error(`invalid registry trust options:\n  ${errors.join("\n  ")}`);
    }
    const daemonJson = opts.daemonJson ?? "/etc/docker/daemon.json";
    const stateDir = opts.stateDir ?? "/var/lib/macvlan-lab";
    const trustDir = `${stateDir}/registry-trust`;
    // one set of state files per (daemon.json, endpoint): two registries trusted on one host, or
    // two daemons on one machine, keep theirs apart
    const hash = createHash("sha256").update(`${daemonJson}\n${opts.endpoint}`).digest("hex").slice(0, 12);
    const dc = opts.dockerCommand ?? "docker";
    return {
        endpoint: opts.endpoint,
        daemonJson,
        stateDir,
        pidFile: opts.pidFile ?? "/run/docker.pid",
        dockerCommand: typeof dc === "string" ? [dc] : [...dc],
        reload: opts.reload ?? "auto",
        reloadTimeoutSeconds: opts.reloadTimeoutSeconds ?? 10,
        trustDir,
        statePrefix: `${trustDir}/${opts.endpoint.replace(/[^a-zA-Z0-9.-]/g, "_")}-${hash}`,
    };
}

/*
 * The JSON side, run as `"$PY" -c "$PROG" <mode> <args...>`. Modes and exit codes:
 *   add FILE EP      0: new content written to a temp file next to FILE, its path printed;
 *                    3: EP already listed, nothing written; 2: error (message on stderr)
 *   remove FILE EP   same, for taking EP out
 *   has FILE EP      0: FILE lists EP; 1: it does not (or there is no FILE); 2: error
 *   same A B         0: both files exist with the same bytes; 1: otherwise
 *   live EP          stdin is `docker info --format '{{json .RegistryConfig}}'`;
 *                    0: EP is an insecure (Secure=false) registry in IndexConfigs; 1: not
 *   dockerd PID CONF PIDFILE
 *                    0: PID is a dockerd with no --insecure-registry flag, reading CONF;
 *                    1: no such process; 4: PID is not a dockerd;
 *                    5: it has --insecure-registry; 6: it reads another --config-file
 * Written for python 3.4 and later (RHEL 8's platform-python is 3.6); no single quotes, so the
 * quoted form in the script stays readable.
 */
const PY_PROGRAM = `import json, os, sys, tempfile
from collections import OrderedDict

KEY = "insecure-registries"


def fail(msg, code=2):
    sys.stderr.write("error: " + msg + "\\n")
    sys.exit(code)


def jtype(v):
    if isinstance(v, bool):
        return "a boolean"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    return "an object"


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None
    except OSError as e:
        fail("cannot read %s: %s" % (path, e))


def load(path):
    raw = read(path)
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8")
        cfg = json.loads(text, object_pairs_hook=OrderedDict) if text.strip() else OrderedDict()
    except ValueError as e:
        fail("%s is not valid JSON: %s. Nothing was changed: fix or remove the file, then run again" % (path, e))
    if not isinstance(cfg, dict):
        fail("%s holds %s, not a JSON object. Nothing was changed: make it an object ({...}), then run again" % (path, jtype(cfg)))
    if KEY in cfg and not isinstance(cfg[KEY], list):
        fail("%s: %s is %s, not a list of registries. Nothing was changed: make it a list, then run again" % (path, KEY, jtype(cfg[KEY])))
    return cfg


def write_tmp(path, cfg):
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", dir=os.path.dirname(path))
    try:
        try:
            st = os.stat(path)
            os.fchmod(fd, st.st_mode & 0o7777)
            try:
                os.fchown(fd, st.st_uid, st.st_gid)
            except OSError:
                pass
        except FileNotFoundError:
            os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write((json.dumps(cfg, indent=2, ensure_ascii=False) + "\\n").encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    print(tmp)


def dockerd(pid, conf, pidfile):
    raw = read("/proc/%s/cmdline" % pid)
    if not raw:
        sys.exit(1)
    args = [a.decode("utf-8", "replace") for a in raw.split(b"\\0")]
    if args and args[-1] == "":
        args.pop()
    where = "dockerd (pid %s from %s)" % (pid, pidfile)
    if not args or "dockerd" not in os.path.basename(args[0]):
        sys.stderr.write("pid %s in %s is %s, not dockerd (a stale pid file?)\\n" % (pid, pidfile, args[0] if args else "?"))
        sys.exit(4)
    flags = []
    config = None
    for i, a in enumerate(args):
        if a == "--insecure-registry" or a.startswith("--insecure-registry="):
            flags.append(a if "=" in a or i + 1 >= len(args) else a + " " + args[i + 1])
        if a == "--config-file" and i + 1 < len(args):
            config = args[i + 1]
        elif a.startswith("--config-file="):
            config = a.split("=", 1)[1]
    if flags:
        fail("the command line of %s already passes %s. dockerd refuses to start when an option is both a flag and in daemon.json, so this registry cannot be added to %s. Fix: move those registries into %s in %s, remove the flag from the command line (the systemd unit, /etc/default/docker or /etc/sysconfig/docker), restart docker, then run again" % (where, ", ".join(flags), conf, KEY, conf), 5)
    if config is not None:
        if not os.path.isabs(config):
            config = os.path.join(os.readlink("/proc/%s/cwd" % pid), config)
        if os.path.realpath(config) != os.path.realpath(conf):
            fail("%s reads its configuration from %s (--config-file), not %s; use that file" % (where, config, conf), 6)


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "add":
        path, ep = args
        cfg = load(path)
        if cfg is None:
            cfg = OrderedDict()
        regs = cfg.get(KEY, [])
        if ep in regs:
            sys.exit(3)
        cfg[KEY] = regs + [ep]
        write_tmp(path, cfg)
    elif mode == "remove":
        path, ep = args
        cfg = load(path)
        if cfg is None or ep not in cfg.get(KEY, []):
            sys.exit(3)
        cfg[KEY] = [r for r in cfg[KEY] if r != ep]
        write_tmp(path, cfg)
    elif mode == "has":
        path, ep = args
        cfg = load(path)
        sys.exit(0 if cfg is not None and ep in cfg.get(KEY, []) else 1)
    elif mode == "same":
        a, b = read(args[0]), read(args[1])
        sys.exit(0 if a is not None and a == b else 1)
    elif mode == "live":
        try:
            idx = json.loads(sys.stdin.read()).get("IndexConfigs") or {}
        except (ValueError, AttributeError):
            sys.exit(1)
        entry = idx.get(args[0])
        sys.exit(0 if isinstance(entry, dict) and entry.get("Secure") is False else 1)
    elif mode == "dockerd":
        dockerd(*args)
    else:
        fail("unknown mode %s" % mode)


main()
`;

/** The variables and helpers every script starts with; `change` adds those of trust and untrust. */
function header(what: string, o: ResolvedDaemonJsonOptions, change: boolean): string {
    const changeVars = change
        ? `TRUST_DIR=${shellQuote(o.trustDir)}
STATE=${shellQuote(o.statePrefix)}
WAIT_STEPS=${shellQuote(o.reloadTimeoutSeconds * 2)}
DPID=""
TMP=""
LOCKED=""
`
        : "";
    return `#!/bin/sh
# macvlan-lab: ${what}
set -eu
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
EP=${shellQuote(o.endpoint)}
CONF=${shellQuote(o.daemonJson)}
PID_FILE=${shellQuote(o.pidFile)}
RELOAD=${shellQuote(o.reload)}
${changeVars}docker_cmd() { ${o.dockerCommand.map(shellQuote).join(" ")} "$@"; }
PROG=${shellQuote(PY_PROGRAM)}
PY=""

say() { printf '%s\\n' "$*"; }
fail() { printf 'error: %s\\n' "$*" >&2; exit 1; }

find_python() {
  for c in python3 /usr/libexec/platform-python; do
    if PY=$(command -v "$c" 2>/dev/null); then return 0; fi
  done
  fail "python3 is needed to edit $CONF as JSON and was not found (nor /usr/libexec/platform-python); install it (apt-get install python3, dnf install python3) and run again; nothing was changed"
}

py() { "$PY" -c "$PROG" "$@"; }

# exit 0 when the daemon lists $EP as an insecure registry
daemon_lists() {
  if info=$(docker_cmd info --format '{{json .RegistryConfig}}' 2>/dev/null); then
    printf '%s\\n' "$info" | py live "$EP"
  else
    docker_cmd info 2>/dev/null | awk -v ep="$EP" '
      index($0, "Insecure Registries:") { s = 1; next }
      s && !/^  +[^ ]/ { s = 0 }
      s { t = $0; gsub(/^ +| +$/, "", t); if (t == ep) f = 1 }
      END { exit !f }'
  fi
}
`;
}

/** Finding the dockerd of the pid file; "check" also refuses flags that conflict with the file. */
const FIND_DOCKERD = `
# DPID := the running dockerd named by $PID_FILE, or "" when none runs
find_dockerd() {
  DPID=""
  if [ ! -e "$PID_FILE" ]; then
    say "no $PID_FILE: dockerd is not running"
    return 0
  fi
  pid=$(tr -cd '0-9' <"$PID_FILE")
  if [ -z "$pid" ] || [ ! -e "/proc/$pid" ]; then
    say "no process for the pid in $PID_FILE: dockerd is not running"
    return 0
  fi
  rc=0
  if [ "$1" = check ]; then py dockerd "$pid" "$CONF" "$PID_FILE" || rc=$?; else py dockerd "$pid" "$CONF" "$PID_FILE" 2>/dev/null || rc=$?; fi
  case $rc in
    0) DPID=$pid ;;
    1) say "no process for the pid in $PID_FILE: dockerd is not running" ;;
    4) say "treating dockerd as not running" ;;
    5|6) if [ "$1" = check ]; then exit 1; fi; DPID=$pid ;;
    *) exit "$rc" ;;
  esac
}

reload_dockerd() {
  if command -v systemctl >/dev/null 2>&1 && [ "$(systemctl show -p MainPID docker.service 2>/dev/null || true)" = "MainPID=$DPID" ]; then
    systemctl reload docker.service
    say "reloaded dockerd (pid $DPID) with systemctl reload docker.service"
  else
    kill -s HUP "$DPID"
    say "sent SIGHUP to dockerd (pid $DPID from $PID_FILE): it reads $CONF again"
  fi
}

# wait until the daemon's list has (listed) or lacks (unlisted) $EP; 1 on time-out
wait_for() {
  n=0
  while :; do
    if daemon_lists; then now=listed; else now=unlisted; fi
    if [ "$now" = "$1" ]; then return 0; fi
    n=$((n + 1))
    if [ "$n" -ge "$WAIT_STEPS" ]; then return 1; fi
    sleep 0.5
  done
}
`;

/** The lock and the writing helpers of the scripts that change the file. */
const CHANGE_HELPERS = `
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  if [ -n "$TMP" ]; then rm -f "$TMP"; fi
  if [ -n "$LOCKED" ]; then rm -rf "$TRUST_DIR/.lock"; fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# one change at a time in $TRUST_DIR; a lock left by a dead process is taken over
take_lock() {
  mkdir -p "$TRUST_DIR"
  n=0
  until mkdir "$TRUST_DIR/.lock" 2>/dev/null; do
    holder=$(cat "$TRUST_DIR/.lock/pid" 2>/dev/null || true)
    if [ -n "$holder" ] && ! kill -0 "$holder" 2>/dev/null; then
      say "taking over the lock $TRUST_DIR/.lock of pid $holder, which is gone"
      rm -rf "$TRUST_DIR/.lock"
    fi
    n=$((n + 1))
    if [ "$n" -gt 120 ]; then
      fail "$TRUST_DIR/.lock has been held for 60 s (by pid \${holder:-unknown}); if no other registry trust change runs on this host, remove it and run again"
    fi
    sleep 0.5
  done
  LOCKED=1
  echo "$$" >"$TRUST_DIR/.lock/pid"
}

# dockerd --validate where the daemon has it (Docker 23.0 and later)
validate() {
  if ! command -v dockerd >/dev/null 2>&1; then
    say "validation skipped: no dockerd in PATH"
    return 0
  fi
  if ! dockerd --help 2>&1 | grep -q -e '--validate'; then
    say "validation skipped: $(dockerd --version 2>&1 || true) has no --validate (it came with Docker 23.0); dockerd checks the file itself when it reloads"
    return 0
  fi
  if vout=$(dockerd --validate --config-file "$1" 2>&1); then
    say "dockerd --validate accepted the new $CONF: $vout"
  else
    fail "dockerd --validate rejected the new $CONF: $vout. $CONF was left as it was"
  fi
}

# $CONF := a copy of file $1 (bytes, mode, owner, times), moved into place
put_file() {
  TMP="$CONF.macvlan-lab.$$"
  cp -p "$1" "$TMP"
  mv -f "$TMP" "$CONF"
  TMP=""
}
`;

/** The trust script (a `remote.Command`'s create): merge, validate, write, reload, verify. */
export function renderTrustRegistry(opts: DaemonJsonOptions): string {
    const o = resolveDaemonJsonOptions(opts);
    return `${header(`trust the registry ${o.endpoint} in ${o.daemonJson} (insecure-registries)`, o, true)}${FIND_DOCKERD}${CHANGE_HELPERS}
# the bytes before our change, or a note that there was no file: put back by untrust
save_original() {
  rm -f "$STATE.orig" "$STATE.absent" "$STATE.ours"
  if [ -e "$CONF" ]; then
    cp -p "$CONF" "$STATE.orig.tmp"
    mv -f "$STATE.orig.tmp" "$STATE.orig"
    say "saved the original $CONF as $STATE.orig"
  else
    : >"$STATE.absent"
    say "noted that $CONF did not exist ($STATE.absent)"
  fi
}

find_python
if command -v systemctl >/dev/null 2>&1; then
  unit=$(systemctl cat docker.service 2>/dev/null || true)
  hits=$(printf '%s\\n' "$unit" | awk '/^# \\//{ f = substr($0, 3); next } /^[ \\t]*[#;]/ { next } /--insecure-registry/ { print f ": " $0 }')
  if [ -n "$hits" ]; then
    fail "the systemd unit docker.service already passes --insecure-registry ($hits). dockerd refuses to start when an option is both a flag and in daemon.json, so $EP cannot be added to $CONF. Fix: move those registries into insecure-registries in $CONF, remove the flag from the unit (systemctl edit docker.service), run systemctl daemon-reload and systemctl restart docker, then run again"
  fi
fi
find_dockerd check
if [ "$RELOAD" = auto ] && [ -z "$DPID" ]; then
  fail "no running dockerd found through $PID_FILE, so the change could not be applied; start docker (or point pidFile at the daemon's pid file) and run again. Nothing was changed"
fi
if [ "$RELOAD" = auto ] && ! docker_cmd info --format '{{.ID}}' >/dev/null 2>&1; then
  fail "docker info does not answer, and it is how this script sees whether dockerd took the change; check the docker CLI (dockerCommand) and its access to the daemon, then run again. Nothing was changed"
fi
take_lock
mkdir -p "$(dirname "$CONF")"

rc=0
TMP=$(py add "$CONF" "$EP") || rc=$?
if [ "$rc" -eq 3 ]; then
  TMP=""
  say "$CONF already lists $EP in insecure-registries: nothing changed"
  if [ ! -e "$STATE.ours" ]; then
    save_original
    cp -p "$CONF" "$STATE.ours"
  fi
  if [ "$RELOAD" = auto ]; then
    if daemon_lists; then
      say "dockerd (pid $DPID) already lists $EP as an insecure registry: not reloaded"
    else
      say "dockerd (pid $DPID) does not list $EP yet"
      reload_dockerd
      wait_for listed || fail "dockerd (pid $DPID) still does not list $EP as an insecure registry after the reload; see its log (journalctl -u docker)"
      say "dockerd (pid $DPID) now lists $EP as an insecure registry"
    fi
  fi
  exit 0
fi
if [ "$rc" -ne 0 ]; then
  TMP=""
  exit "$rc"
fi
validate "$TMP"
save_original
mv -f "$TMP" "$CONF"
TMP=""
cp -p "$CONF" "$STATE.ours"
say "added $EP to insecure-registries in $CONF"
if [ "$RELOAD" = none ]; then
  say "reload is none: dockerd was not reloaded (it reads $CONF on SIGHUP or at its next start)"
  exit 0
fi
reload_dockerd
if wait_for listed; then
  say "dockerd (pid $DPID) now lists $EP as an insecure registry"
  exit 0
fi
if [ -e "$STATE.orig" ]; then put_file "$STATE.orig"; else rm -f "$CONF"; fi
rm -f "$STATE.orig" "$STATE.absent" "$STATE.ours"
reload_dockerd
fail "dockerd (pid $DPID) did not list $EP as an insecure registry after the reload, so it rejected the new $CONF (see its log: journalctl -u docker); the previous $CONF was put back and dockerd reloaded again"
`;
}

/** The untrust script (a `remote.Command`'s delete): undo what trust did, reload. Idempotent. */
export function renderUntrustRegistry(opts: DaemonJsonOptions): string {
    const o = resolveDaemonJsonOptions(opts);
    return `${header(`stop trusting the registry ${o.endpoint} in ${o.daemonJson} (insecure-registries)`, o, true)}${FIND_DOCKERD}${CHANGE_HELPERS}
# $CONF := $CONF without $EP, the insecure-registries key kept (even when the list is empty)
remove_entry() {
  rc=0
  TMP=$(py remove "$CONF" "$EP") || rc=$?
  if [ "$rc" -ne 0 ]; then
    TMP=""
    exit "$rc"
  fi
  validate "$TMP"
  mv -f "$TMP" "$CONF"
  TMP=""
}

unlisted_or_warn() {
  if wait_for unlisted; then
    say "dockerd (pid $DPID) no longer lists $EP as an insecure registry"
  else
    say "warning: dockerd (pid $DPID) still lists $EP as an insecure registry after the reload; see its log (journalctl -u docker)" >&2
  fi
}

find_python
take_lock
# restore (the original bytes), delete (there was no file), remove (only $EP), or none
action=none
if [ ! -e "$STATE.ours" ]; then
  say "no saved state for $EP in $TRUST_DIR: there is nothing of ours to undo; $CONF was left as it is"
elif py same "$CONF" "$STATE.ours"; then
  if [ -e "$STATE.absent" ]; then
    action=delete
  elif py same "$CONF" "$STATE.orig"; then
    say "$CONF still holds its original bytes ($EP was already listed before): nothing to undo"
  else
    action=restore
  fi
elif [ -e "$STATE.orig" ] && py has "$STATE.orig" "$EP"; then
  say "$CONF was changed since, and $EP was listed before it was trusted: $CONF was left as it is"
else
  rc=0
  py has "$CONF" "$EP" || rc=$?
  case $rc in
    0) action=remove ;;
    1) say "$CONF does not list $EP: nothing to remove" ;;
    *) exit "$rc" ;;
  esac
fi
if [ "$action" = none ]; then
  rm -f "$STATE.orig" "$STATE.absent" "$STATE.ours"
  say "nothing changed: dockerd was not reloaded"
  exit 0
fi
if [ "$RELOAD" = auto ]; then find_dockerd quiet; fi

if [ "$action" = remove ]; then
  remove_entry
  say "$CONF was changed by someone else since $EP was trusted, so only $EP was removed from insecure-registries and everything else kept"
else
  if [ -n "$DPID" ]; then
    # a reload that finds no insecure-registries key leaves the daemon's list as it was, so
    # dockerd is first shown the file without $EP (the key kept), then the original is put back
    remove_entry
    say "first removed $EP from $CONF, keeping the insecure-registries key: dockerd ignores a reload without the key"
    reload_dockerd
    unlisted_or_warn
  fi
  if [ "$action" = delete ]; then
    rm -f "$CONF"
    say "$CONF held exactly what trusting $EP wrote and did not exist before: removed"
  else
    put_file "$STATE.orig"
    say "$CONF held exactly what trusting $EP wrote: its original bytes were put back"
  fi
fi
rm -f "$STATE.orig" "$STATE.absent" "$STATE.ours"
if [ "$RELOAD" = none ]; then
  say "reload is none: dockerd was not reloaded (it reads $CONF on SIGHUP or at its next start)"
elif [ -z "$DPID" ]; then
  say "dockerd is not running: it reads $CONF when it starts"
elif [ "$action" = remove ]; then
  reload_dockerd
  unlisted_or_warn
fi
`;
}

/** The check script: exits non-zero unless the file lists the endpoint and the daemon does too. */
export function renderCheckTrust(opts: DaemonJsonOptions): string {
    const o = resolveDaemonJsonOptions(opts);
    return `${header(`check that ${o.endpoint} is trusted through ${o.daemonJson}`, o, false)}
find_python
rc=0
py has "$CONF" "$EP" || rc=$?
if [ "$rc" -eq 1 ]; then
  fail "$CONF does not list $EP in insecure-registries"
elif [ "$rc" -ne 0 ]; then
  exit "$rc"
fi
say "$CONF lists $EP in insecure-registries"
if [ "$RELOAD" = none ]; then
  say "reload is none: the running dockerd was not asked"
  exit 0
fi
if daemon_lists; then
  say "dockerd lists $EP as an insecure registry"
else
  fail "dockerd does not list $EP as an insecure registry (docker info): it has not read $CONF since the change; reload it (SIGHUP to the pid in $PID_FILE) or run the trust again"
fi
`;
}

/**
 * Pure tests of the registry trust renderers (components/docker/daemonJson.ts) and of the
 * connectivity check matrix, renderer and parser (components/docker/checks.ts): exact scripts for
 * the defaults, every rendered script through `bash -n` and `shellcheck -s sh`, validation messages.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import {
    DaemonJsonOptions,
    renderCheckTrust,
    renderTrustRegistry,
    renderUntrustRegistry,
    resolveDaemonJsonOptions,
    validateDaemonJsonOptions,
} from "../../components/docker/daemonJson";
import { requireTool } from "../helpers/tools";

/** `bash -n` and `shellcheck -s sh` on a script: both must be silent. */
function lint(script: string): void {
    const n = spawnSync("bash", ["-n"], { input: script, encoding: "utf8", timeout: 10_000 });
    assert.strictEqual(n.status, 0, `bash -n: ${n.stderr}`);
    const sc = spawnSync("shellcheck", ["-s", "sh", "-"], { input: script, encoding: "utf8", timeout: 30_000 });
    assert.strictEqual(sc.error, undefined, "shellcheck is not installed");
    assert.strictEqual(sc.status, 0, `shellcheck:\n${sc.stdout}`);
}

/** The embedded python program, as the scripts quote it. */
const PROG = `'import json, os, sys, tempfile
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
'`;

const EXPECTED_TRUST = `#!/bin/sh
# macvlan-lab: trust the registry 192.168.1.11:5000 in /etc/docker/daemon.json (insecure-registries)
set -eu
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
EP='192.168.1.11:5000'
CONF='/etc/docker/daemon.json'
PID_FILE='/run/docker.pid'
RELOAD='auto'
TRUST_DIR='/var/lib/macvlan-lab/registry-trust'
STATE='/var/lib/macvlan-lab/registry-trust/192.168.1.11_5000-14dc5d35f992'
WAIT_STEPS='20'
DPID=""
TMP=""
LOCKED=""
docker_cmd() { 'docker' "$@"; }
PROG=${PROG}
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

const EXPECTED_UNTRUST = `#!/bin/sh
# macvlan-lab: stop trusting the registry 192.168.1.11:5000 in /etc/docker/daemon.json (insecure-registries)
set -eu
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
EP='192.168.1.11:5000'
CONF='/etc/docker/daemon.json'
PID_FILE='/run/docker.pid'
RELOAD='auto'
TRUST_DIR='/var/lib/macvlan-lab/registry-trust'
STATE='/var/lib/macvlan-lab/registry-trust/192.168.1.11_5000-14dc5d35f992'
WAIT_STEPS='20'
DPID=""
TMP=""
LOCKED=""
docker_cmd() { 'docker' "$@"; }
PROG=${PROG}
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

const EXPECTED_CHECK = `#!/bin/sh
# macvlan-lab: check that 192.168.1.11:5000 is trusted through /etc/docker/daemon.json
set -eu
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
EP='192.168.1.11:5000'
CONF='/etc/docker/daemon.json'
PID_FILE='/run/docker.pid'
RELOAD='auto'
docker_cmd() { 'docker' "$@"; }
PROG=${PROG}
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

describe("daemon.json trust scripts", () => {
    const DEFAULTS: DaemonJsonOptions = { endpoint: "192.168.1.11:5000" };

    it("renders the exact trust script for the default options", () => {
        assert.strictEqual(renderTrustRegistry(DEFAULTS), EXPECTED_TRUST);
    });
    it("renders the exact untrust script for the default options", () => {
        assert.strictEqual(renderUntrustRegistry(DEFAULTS), EXPECTED_UNTRUST);
    });
    it("renders the exact check script for the default options", () => {
        assert.strictEqual(renderCheckTrust(DEFAULTS), EXPECTED_CHECK);
    });

    const VARIANTS: Array<[string, DaemonJsonOptions]> = [
        ["defaults", DEFAULTS],
        ["every option", {
            endpoint: "registry.lab.example:443",
            daemonJson: "/srv/docker-b/daemon.json",
            stateDir: "/srv/state",
            pidFile: "/run/docker-b.pid",
            dockerCommand: ["/usr/bin/docker", "-H", "unix:///run/it's b.sock"],
            reload: "none",
            reloadTimeoutSeconds: 3,
        }],
        ["a DNS name without a port", { endpoint: "registry", reload: "auto" }],
    ];
    for (const [what, opts] of VARIANTS) {
        it(`passes bash -n and shellcheck -s sh: ${what}`, function () {
            this.timeout(360_000);
            requireTool(this, "shellcheck");
            for (const render of [renderTrustRegistry, renderUntrustRegistry, renderCheckTrust]) lint(render(opts));
        });
    }

    it("quotes every value: paths, endpoint and each docker argument as one word", () => {
        const s = renderTrustRegistry(VARIANTS[1][1]);
        for (const line of [
            "EP='registry.lab.example:443'",
            "CONF='/srv/docker-b/daemon.json'",
            "PID_FILE='/run/docker-b.pid'",
            "RELOAD='none'",
            "TRUST_DIR='/srv/state/registry-trust'",
            "WAIT_STEPS='6'",
            `docker_cmd() { '/usr/bin/docker' '-H' 'unix:///run/it'\\''s b.sock' "$@"; }`,
        ]) {
            assert.ok(s.split("\n").includes(line), `missing line: ${line}`);
        }
    });

    it("keeps state per daemon.json and endpoint, under <stateDir>/registry-trust", () => {
        const prefix = (o: DaemonJsonOptions) => resolveDaemonJsonOptions(o).statePrefix;
        assert.strictEqual(prefix(DEFAULTS), "/var/lib/macvlan-lab/registry-trust/192.168.1.11_5000-14dc5d35f992");
        assert.strictEqual(prefix({ ...DEFAULTS }), prefix(DEFAULTS));
        assert.notStrictEqual(prefix({ ...DEFAULTS, endpoint: "192.168.1.11:5001" }), prefix(DEFAULTS));
        assert.notStrictEqual(prefix({ ...DEFAULTS, daemonJson: "/srv/b/daemon.json" }), prefix(DEFAULTS));
        assert.ok(prefix({ ...DEFAULTS, stateDir: "/srv/s" }).startsWith("/srv/s/registry-trust/192.168.1.11_5000-"));
    });

    const BAD: Array<[string, Partial<DaemonJsonOptions>, string]> = [
        ["shell in the endpoint", { endpoint: "192.168.1.11:5000;reboot" },
            'endpoint "192.168.1.11:5000;reboot" is not <host>:<port>; use an IPv4 address or DNS name and a port 1-65535, like 192.168.1.11:5000'],
        ["a URL", { endpoint: "http://192.168.1.11:5000" },
            'endpoint "http://192.168.1.11:5000" is not <host>:<port>; use an IPv4 address or DNS name and a port 1-65535, like 192.168.1.11:5000'],
        ["port 0", { endpoint: "192.168.1.11:0" },
            'endpoint "192.168.1.11:0" is not <host>:<port>; use an IPv4 address or DNS name and a port 1-65535, like 192.168.1.11:5000'],
        ["port 70000", { endpoint: "192.168.1.11:70000" },
            'endpoint "192.168.1.11:70000" is not <host>:<port>; use an IPv4 address or DNS name and a port 1-65535, like 192.168.1.11:5000'],
        ["an empty endpoint", { endpoint: "" },
            'endpoint "" is not <host>:<port>; use an IPv4 address or DNS name and a port 1-65535, like 192.168.1.11:5000'],
        ["a relative daemon.json", { daemonJson: "daemon.json" },
            'daemonJson "daemon.json" is not an absolute path of letters, digits and _ . - /; give one like /etc/docker/daemon.json'],
        ["a path with ..", { stateDir: "/var/lib/../../etc" },
            'stateDir "/var/lib/../../etc" is not an absolute path of letters, digits and _ . - /; give one like /etc/docker/daemon.json'],
        ["a pid file with a $", { pidFile: "/run/$(id).pid" },
            'pidFile "/run/$(id).pid" is not an absolute path of letters, digits and _ . - /; give one like /etc/docker/daemon.json'],
        ["an empty docker command", { dockerCommand: [] },
            'dockerCommand [] is not a command: give a program ("docker", "/usr/bin/docker") or an argument list without NUL or newline characters'],
        ["a newline in the docker command", { dockerCommand: ["docker", "a\nb"] },
            'dockerCommand ["docker","a\\nb"] is not a command: give a program ("docker", "/usr/bin/docker") or an argument list without NUL or newline characters'],
        ["an unknown reload", { reload: "restart" as never }, 'reload "restart" is not "auto" or "none"'],
        ["a fractional time-out", { reloadTimeoutSeconds: 1.5 }, "reloadTimeoutSeconds 1.5 is not a whole number of seconds from 1 to 300"],
    ];
    for (const [what, change, message] of BAD) {
        it(`rejects ${what}`, () => {
            const opts = { ...DEFAULTS, ...change };
            assert.deepStrictEqual(validateDaemonJsonOptions(opts), [message]);
            assert.throws(() => renderTrustRegistry(opts), { message: `invalid registry trust options:\n  ${message}` });
        });
    }

    it("reports every problem at once", () => {
        assert.strictEqual(
            validateDaemonJsonOptions({ endpoint: "x y", daemonJson: "rel", reload: "now" as never }).length,
            3,
        );
    });
});

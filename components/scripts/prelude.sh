# shellcheck shell=sh
# macvlan-lab: the shared prelude of every remote script (POSIX sh), sourced first by the thin
# script that Pulumi hands to the host (set -eu, the script's inputs as single-quoted variables,
# `. "$lib/prelude.sh"`, the modules it uses, one call). Lines for people go to stdout: `note`,
# `did` (a change, counted), `drift` (a difference found by a check, counted); `die` prints
# `ERROR: ...` on stderr and fails. What a run changes is undone, newest first, when it fails
# (`undo`, `save`, `commit`): the EXIT trap runs the undo list, then removes the run's work folder.
# Inputs read here: $state and $state_dir (state_init, state_done) when a script uses them.
# Root writes never follow a link unchecked: a file written (stage + commit) or put back that is a
# symbolic link is followed explicitly, only when root alone can have made the link, and its real
# file takes the bytes with its own mode and owner; the link stays (resolve_target).
# shellcheck disable=SC2154 # the thin script assigns the inputs before sourcing this file

# files and directories made here are never group- or world-writable, whatever the caller's umask
# (a private file gets its mode from mktemp or from the caller, as the registry's keys do)
umask 022
changed=0
drifts=0
pending=
staged=
target=
saved=' '
n=0
work=$(mktemp -d)
note() { printf '%s\n' "$*"; }
did() {
	changed=$((changed + 1))
	printf 'changed: %s\n' "$*"
}
drift() {
	drifts=$((drifts + 1))
	printf 'DRIFT: %s\n' "$*"
}
die() {
	printf 'ERROR: %s\n' "$*" >&2
	exit 1
}
# need_root WHAT: fail unless root (WHAT needs it)
need_root() {
	if [ "$(id -u)" != 0 ]; then die "run as root: $1 needs it"; fi
}
# q VALUE: VALUE as one single-quoted shell word (for the undo list and written scripts)
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
# undo COMMAND: run COMMAND if this run fails; the undo list runs newest first
undo() { printf '%s\n' "$1" >>"$work/undo"; }
# shellcheck disable=SC2317 # called by the EXIT trap
finish() {
	rc=$?
	trap - EXIT
	set +e
	if [ -n "$pending" ]; then rm -f "$pending"; fi
	if [ "$rc" -ne 0 ] && [ -s "$work/undo" ]; then
		printf 'failed (exit %s): undoing what this run changed\n' "$rc" >&2
		sed -n '1!G;h;$p' "$work/undo" >"$work/undo.reversed"
		# each step in a subshell: one that fails (or dies) does not stop the others
		while IFS= read -r step; do
			(eval "$step") </dev/null || printf 'WARNING: could not undo: %s\n' "$step" >&2
		done <"$work/undo.reversed"
	fi
	rm -rf "$work"
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' HUP TERM
# not_root_only DIR: the first of DIR and the directories above it whose entries a user other than
# root could change (owned by another user, or writable by group or others without the sticky bit
# that /tmp has); nothing when root alone can
not_root_only() {
	nr_d=$1
	while :; do
		nr_u=$(stat -c %u "$nr_d" 2>/dev/null) || {
			printf '%s' "$nr_d"
			return 0
		}
		nr_m=$(stat -c %a "$nr_d")
		if [ "$nr_u" != 0 ] || { [ $((0$nr_m & 022)) -ne 0 ] && [ $((0$nr_m & 01000)) -eq 0 ]; }; then
			printf '%s' "$nr_d"
			return 0
		fi
		if [ "$nr_d" = / ] || [ "$nr_d" = . ]; then return 0; fi
		nr_d=$(dirname "$nr_d")
	done
}
# resolve_target FILE: $target := the file that a write to FILE changes. FILE itself when it is not
# a symbolic link. A link (a NixOS-style /etc/docker/daemon.json, a linked /sbin/ifup-local) is
# followed explicitly (readlink -f) and only when root alone can have made it: the link belongs to
# root, and root alone can change the directories of the link and of its target; the target is a
# regular file or not there yet. Anything else fails, naming the link and what to do.
resolve_target() {
	target=$1
	if [ ! -L "$1" ]; then return 0; fi
	target=$(readlink -f "$1" 2>/dev/null) || target=
	if [ -z "$target" ] || [ ! -d "$(dirname "$target")" ]; then die "$1 is a symbolic link to $(readlink "$1"), which leads to no directory; replace the link by the file (or fix it), then run again"; fi
	if [ -e "$target" ] && [ ! -f "$target" ]; then die "$1 is a symbolic link to $target, which is not a regular file; replace the link by the file, then run again"; fi
	rt_u=$(stat -c %u "$1")
	[ "$rt_u" = 0 ] || die "$1 is a symbolic link that belongs to uid $rt_u, not root: writing through it as root would change $target on that user's say; replace the link by the file (or remove it), then run again"
	for rt_d in "$(dirname "$1")" "$(dirname "$target")"; do
		rt_bad=$(not_root_only "$rt_d")
		[ -z "$rt_bad" ] || die "$1 is a symbolic link to $target, and $rt_bad can be changed by users other than root (owner uid $(stat -c %u "$rt_bad"), mode $(stat -c %a "$rt_bad")), so one of them could point the write anywhere root can write; make $rt_bad root's alone or replace the link by the file, then run again"
	done
}
# put_back SAVED FILE: FILE (its real file, when FILE is a checked link) gets SAVED's bytes, mode
# and owner (temporary file, then rename)
put_back() {
	resolve_target "$2"
	tmp=$(mktemp "$(dirname "$target")/.$(basename "$target").XXXXXX")
	if ! cp -p "$1" "$tmp"; then
		rm -f "$tmp"
		return 1
	fi
	mv -f "$tmp" "$target"
}
# save FILE: remember FILE's bytes (or that there is none, or the link it is), once, to put back if
# this run fails
save() {
	case "$saved" in *" $1 "*) return 0 ;; esac
	saved="$saved$1 "
	n=$((n + 1))
	if [ -L "$1" ]; then
		undo "ln -sfn $(q "$(readlink "$1")") $(q "$1")"
		# and the file it leads to, which a later put_back may write
		sv_real=$(readlink -f "$1" 2>/dev/null) || sv_real=
		if [ -n "$sv_real" ] && [ -f "$sv_real" ] && [ ! -L "$sv_real" ]; then save "$sv_real"; fi
	elif [ -e "$1" ]; then
		cp -p "$1" "$work/$n"
		undo "put_back $(q "$work/$n") $(q "$1")"
	else
		undo "rm -f $(q "$1")"
	fi
}
# stage FILE: $pending names a new empty file next to FILE's real file (hidden), to fill and then commit
stage() {
	resolve_target "$1"
	staged=$target
	pending=$(mktemp "$(dirname "$target")/.$(basename "$target").XXXXXX")
}
# commit FILE MODE WHAT: FILE's real file ($target: FILE, or what a checked link leads to) takes
# $pending's bytes by rename, unless it has them already; an existing file keeps its mode and owner,
# a new one gets MODE; a link stays a link; an empty WHAT says nothing
commit() {
	resolve_target "$1"
	if [ "$target" != "$staged" ]; then
		rm -f "$pending"
		pending=
		die "$1 changed while this run wrote it (it leads to $target now, $staged before); run again"
	fi
	if [ "$target" != "$1" ]; then note "$1 is a symbolic link to $target: writing $target (the link stays)"; fi
	if [ -f "$target" ] && cmp -s "$pending" "$target"; then
		rm -f "$pending"
		pending=
		if [ -n "$3" ]; then note "unchanged: $3"; fi
		return 0
	fi
	if [ -e "$target" ]; then
		chmod "$(stat -c %a "$target")" "$pending"
		chown "$(stat -c %u:%g "$target")" "$pending"
	else
		chmod "$2" "$pending"
	fi
	save "$target"
	mv -f "$pending" "$target"
	pending=
	if [ -n "$3" ]; then did "wrote $3"; fi
}
# drop FILE WHAT: remove FILE when it exists (put back if this run fails)
drop() {
	if [ -e "$1" ]; then
		save "$1"
		rm -f "$1"
		did "$2"
	fi
}
# forget FILE: remove a state file quietly (put back if this run fails)
forget() {
	if [ -e "$1" ]; then
		save "$1"
		rm -f "$1"
	fi
}
# record FILE TEXT: a state file holding TEXT and a newline, written once (atomically)
record() {
	stage "$1"
	printf '%s\n' "$2" >"$pending"
	commit "$1" 644 ''
}
# state_get FILE KEY: the value of KEY=... in a state file
state_get() { sed -n "s/^$2=//p" "$1"; }
# mkdirs DIR: make DIR and its missing parents, each undone if this run fails; $made_dirs lists
# the directories made, one per line, outermost first
mkdirs() {
	made_dirs=
	d=$1
	while [ ! -d "$d" ]; do
		made_dirs="$d
$made_dirs"
		d=$(dirname "$d")
	done
	printf '%s' "$made_dirs" >"$work/mkdirs"
	while IFS= read -r d; do
		if mkdir "$d" 2>/dev/null; then
			undo "rmdir $(q "$d") 2>/dev/null || true"
		elif [ ! -d "$d" ]; then
			die "cannot make the directory $d"
		fi
	done <"$work/mkdirs"
}
# rmdirs LIST: remove the directories of a list written from $made_dirs, innermost first, if empty
rmdirs() {
	sed -n '1!G;h;$p' "$1" >"$work/rmdirs"
	while IFS= read -r d; do
		# a failed run makes it again before it puts back the files it held (the undo runs backwards)
		if [ -n "$d" ] && rmdir "$d" 2>/dev/null; then undo "mkdir $(q "$d") 2>/dev/null || true"; fi
	done <"$work/rmdirs"
}
# state_init: make the state directory $state on first use (and $state_dir, remembering what it made)
state_init() {
	if [ -d "$state" ]; then return 0; fi
	if [ ! -d "$state_dir" ]; then
		mkdirs "$state"
		printf '%s' "$made_dirs" >"$state/made-state-dir"
		undo "rm -f $(q "$state/made-state-dir")"
	else
		mkdirs "$state"
	fi
}
# state_done: after a delete, remove $state when nothing is left in it (and what state_init made)
state_done() {
	if [ ! -d "$state" ]; then return 0; fi
	for f in "$state"/* "$state"/.[!.]* "$state"/..?*; do
		if [ -e "$f" ] && [ "$f" != "$state/made-state-dir" ]; then return 0; fi
	done
	if [ -e "$state/made-state-dir" ]; then
		cp "$state/made-state-dir" "$work/made-state-dir"
		rm -f "$state/made-state-dir"
		rmdirs "$work/made-state-dir"
	else
		rmdir "$state" 2>/dev/null || true
	fi
}
locked=
# take_lock / release_lock: one change at a time per state directory $state (every script that
# writes there takes it); a lock left by a dead process is taken over; release_lock also runs
# state_done
take_lock() {
	state_init
	lock_tries=0
	until mkdir "$state/lock" 2>/dev/null; do
		holder=$(cat "$state/lock/pid" 2>/dev/null || true)
		if [ -n "$holder" ] && ! kill -0 "$holder" 2>/dev/null; then
			note "taking over the lock $state/lock of pid $holder, which is gone"
			rm -rf "$state/lock"
			continue
		fi
		lock_tries=$((lock_tries + 1))
		[ "$lock_tries" -le 120 ] || die "$state/lock has been held for 60 s (by pid ${holder:-unknown}); if no other macvlan-lab change runs on this host, remove it and run again"
		sleep 0.5
	done
	locked=yes
	echo "$$" >"$state/lock/pid"
	undo "rm -rf $(q "$state/lock")"
}
release_lock() {
	if [ -n "$locked" ]; then rm -rf "$state/lock"; fi
	locked=
	state_done
}

# not_run: the whole script of a command whose inputs come from the output of another command that
# this deployment does not hold ($what): `pulumi destroy --run-program` of a stack it is already
# gone from, where nothing is created. Fails if it ever runs.
not_run() { die "the inputs of this command come from $what, which has not run in this deployment; run pulumi up"; }
# report DONE SAME: the last line of a create or delete
report() {
	if [ "$changed" -eq 0 ]; then note "nothing changed: $2"; else note "done: $1"; fi
}
# verdict WHAT: the last line of a check; exit 1 when there was drift
verdict() {
	if [ "$drifts" -gt 0 ]; then
		note "drift: $drifts difference(s) from the declared state of $1"
		exit 1
	fi
	note "ok: $1"
}

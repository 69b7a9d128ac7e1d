# shellcheck shell=sh
# macvlan-lab: the shared prelude of every remote script (POSIX sh), sourced first by the thin
# script that Pulumi hands to the host (set -eu, the script's inputs as single-quoted variables,
# `. "$lib/prelude.sh"`, the modules it uses, one call). Lines for people go to stdout: `note`,
# `did` (a change, counted), `drift` (a difference found by a check, counted); `die` prints
# `ERROR: ...` on stderr and fails. What a run changes is undone, newest first, when it fails
# (`undo`, `save`, `commit`): the EXIT trap runs the undo list, then removes the run's work folder.
# Inputs read here: $state and $state_dir (state_init, state_done) when a script uses them.
# shellcheck disable=SC2154 # the thin script assigns the inputs before sourcing this file

changed=0
drifts=0
pending=
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
		while IFS= read -r step; do
			eval "$step" </dev/null || printf 'WARNING: could not undo: %s\n' "$step" >&2
		done <"$work/undo.reversed"
	fi
	rm -rf "$work"
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' HUP TERM
# put_back SAVED FILE: FILE gets SAVED's bytes, mode and owner (temporary file, then rename)
put_back() {
	tmp=$(mktemp "$(dirname "$2")/.$(basename "$2").XXXXXX")
	if ! cp -p "$1" "$tmp"; then
		rm -f "$tmp"
		return 1
	fi
	mv -f "$tmp" "$2"
}
# save FILE: remember FILE's bytes (or that there is none), once, to put back if this run fails
save() {
	case "$saved" in *" $1 "*) return 0 ;; esac
	saved="$saved$1 "
	n=$((n + 1))
	if [ -e "$1" ]; then
		cp -p "$1" "$work/$n"
		undo "put_back $(q "$work/$n") $(q "$1")"
	else
		undo "rm -f $(q "$1")"
	fi
}
# stage FILE: $pending names a new empty file next to FILE (hidden), to fill and then commit
stage() { pending=$(mktemp "$(dirname "$1")/.$(basename "$1").XXXXXX"); }
# commit FILE MODE WHAT: FILE takes $pending's bytes by rename, unless it has them already;
# an existing FILE keeps its mode and owner, a new one gets MODE; an empty WHAT says nothing
commit() {
	if [ -f "$1" ] && cmp -s "$pending" "$1"; then
		rm -f "$pending"
		pending=
		if [ -n "$3" ]; then note "unchanged: $3"; fi
		return 0
	fi
	if [ -e "$1" ]; then
		chmod "$(stat -c %a "$1")" "$pending"
		chown "$(stat -c %u:%g "$1")" "$pending"
	else
		chmod "$2" "$pending"
	fi
	save "$1"
	mv -f "$pending" "$1"
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
		if [ -n "$d" ]; then rmdir "$d" 2>/dev/null || true; fi
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

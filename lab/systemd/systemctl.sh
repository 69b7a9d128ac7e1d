#!/bin/sh
# macvlan-lab: a STAND-IN for systemd's systemctl on a lab host, for docker.service only (the lab's
# hosts are namespaces with no systemd of their own). Installed by lab/systemd/index.ts over the
# host's /usr/local/sbin (its mount namespace only). It serves what the registry trust runs and what
# a person would type, with systemd's behaviour where the trust depends on it (systemd(1),
# systemctl(1), systemd.unit(5), systemd.service(5)):
#   show -p FragmentPath|DropInPaths|MainPID|ActiveState U   one property, "Key=value"
#   cat U            the unit file and its drop-ins, each after "# <path>"
#   daemon-reload    the unit as the files say now becomes the loaded one
#   restart U        stop (SIGTERM to the main pid, KillMode=process; SIGKILL after 90 s), then start
#                    the LOADED ExecStart: a unit file changed since the last daemon-reload is not
#                    used, and systemctl warns, as systemd does
#   start U / stop U / reload U (ExecReload: `/bin/kill -s HUP $MAINPID`) / is-active U
# A start waits until `docker info` answers (Type=notify: dockerd tells systemd when it is ready),
# and fails like systemd when dockerd exits first ("Job for docker.service failed ...").
# Anything else fails and says it is not served. Every run says on stderr that it stands in.
# ExecStart is split on blanks; quotes, backslashes, $ and % specifiers are not served (refused).
set -eu
state=/run/macvlan-lab-systemd
unit_dir=/etc/systemd/system
log=$state/docker.log
say() { printf 'systemctl: %s\n' "$*" >&2; }
die() {
	printf 'systemctl (stand-in): %s\n' "$*" >&2
	exit 1
}
printf 'systemctl: STAND-IN for systemd (lab/systemd, the lab hosts have no systemd)\n' >&2
mkdir -p "$state"

unit_name() {
	case "$1" in
	docker | docker.service) echo docker.service ;;
	*) die "only docker.service is served, not $1" ;;
	esac
}
fragment() { if [ -f "$unit_dir/docker.service" ]; then echo "$unit_dir/docker.service"; fi; }
dropins() {
	if [ -d "$unit_dir/docker.service.d" ]; then
		for f in "$unit_dir/docker.service.d"/*.conf; do
			if [ -f "$f" ]; then echo "$f"; fi
		done
	fi
}
# exec_start FILES...: the ExecStart after every file (an empty ExecStart= resets the list)
exec_start() {
	cmd=
	for f in "$@"; do
		while IFS= read -r line; do
			case "$line" in
			ExecStart=*) cmd=${line#ExecStart=} ;;
			esac
		done <"$f"
	done
	printf '%s' "$cmd"
}
main_pid() {
	p=$(cat "$state/mainpid" 2>/dev/null || true)
	if [ -n "$p" ] && [ -d "/proc/$p" ]; then echo "$p"; else echo 0; fi
}
# the unit files as one text, to tell whether they changed since the daemon-reload
files_now() { for f in $(fragment) $(dropins); do printf '# %s\n' "$f" && cat "$f"; done; }

stop_main() {
	p=$(main_pid)
	if [ "$p" = 0 ]; then return 0; fi
	kill -s TERM "$p" 2>/dev/null || true
	i=0
	while [ -d "/proc/$p" ] && [ "$i" -lt 900 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ -d "/proc/$p" ]; then
		say "docker.service: State 'stop-sigterm' timed out. Killing."
		kill -s KILL "$p" 2>/dev/null || true
	fi
	rm -f "$state/mainpid"
}

start_main() {
	if [ "$(main_pid)" != 0 ]; then return 0; fi
	[ -f "$state/loaded" ] || die "docker.service is not loaded: run systemctl daemon-reload first"
	cmd=$(exec_start "$state/loaded")
	[ -n "$cmd" ] || die "docker.service has no ExecStart"
	case "$cmd" in
	*[\"\'\\\$%]*) die "ExecStart with quotes, backslashes, \$ or % is not served by this stand-in: $cmd" ;;
	[!/]*) die "docker.service: ExecStart= path is not absolute: $cmd" ;;
	esac
	set -f
	# shellcheck disable=SC2086 # ExecStart is split on blanks, as systemd does for plain words
	set -- $cmd
	set +f
	# shellcheck disable=SC2016 # expanded by the inner sh: its own pid, then dockerd in its place
	setsid sh -c 'echo "$$" >"$0"; exec "$@"' "$state/mainpid.new" "$@" >>"$log" 2>&1 </dev/null &
	i=0
	until [ -s "$state/mainpid.new" ]; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || die "docker.service did not start"
		sleep 0.1
	done
	mv "$state/mainpid.new" "$state/mainpid"
	p=$(main_pid)
	i=0
	until docker info --format '{{.ID}}' >/dev/null 2>&1; do
		if [ ! -d "/proc/$p" ] || [ "$(main_pid)" = 0 ]; then
			rm -f "$state/mainpid"
			tail -n 5 "$log" | sed 's/^/  dockerd: /' >&2
			die "Job for docker.service failed because the control process exited with error code. See \"systemctl status docker.service\" and \"journalctl -xeu docker.service\" for details. (stand-in: the log is $log)"
		fi
		i=$((i + 1))
		[ "$i" -lt 600 ] || die "Job for docker.service failed because a timeout was exceeded."
		sleep 0.1
	done
}

warn_if_changed() {
	if [ -f "$state/loaded.files" ] && ! files_now | cmp -s - "$state/loaded.files"; then
		say "Warning: The unit file, source configuration file or drop-ins of docker.service changed on disk. Run 'systemctl daemon-reload' to reload units."
	fi
}

[ "$#" -ge 1 ] || die "no command"
cmd=$1
shift
case "$cmd" in
show)
	if [ "$#" -ne 3 ] || [ "$1" != -p ]; then die "show is served as: show -p PROPERTY docker.service"; fi
	unit_name "$3" >/dev/null
	case "$2" in
	FragmentPath) echo "FragmentPath=$(fragment)" ;;
	DropInPaths) echo "DropInPaths=$(dropins | tr '\n' ' ' | sed 's/ $//')" ;;
	MainPID) echo "MainPID=$(main_pid)" ;;
	ActiveState) if [ "$(main_pid)" != 0 ]; then echo ActiveState=active; else echo ActiveState=inactive; fi ;;
	*) die "show -p $2 is not served" ;;
	esac
	;;
cat)
	unit_name "${1:-}" >/dev/null
	[ -n "$(fragment)" ] || die "No files found for docker.service."
	for f in $(fragment) $(dropins); do
		printf '# %s\n' "$f"
		cat "$f"
		echo
	done
	;;
daemon-reload)
	files=$(fragment)
	[ -n "$files" ] || die "no $unit_dir/docker.service"
	# shellcheck disable=SC2046 # one path per line, no blanks in them
	cat $(fragment) $(dropins) >"$state/loaded"
	files_now >"$state/loaded.files"
	;;
restart | start | stop | reload | is-active)
	unit_name "${1:-}" >/dev/null
	case "$cmd" in
	restart)
		warn_if_changed
		stop_main
		start_main
		;;
	start)
		warn_if_changed
		start_main
		;;
	stop) stop_main ;;
	reload)
		p=$(main_pid)
		[ "$p" != 0 ] || die "docker.service is not active, cannot reload."
		kill -s HUP "$p"
		;;
	is-active)
		if [ "$(main_pid)" != 0 ]; then echo active; else
			echo inactive
			exit 3
		fi
		;;
	esac
	;;
*) die "$cmd is not served (only show, cat, daemon-reload, start, stop, restart, reload, is-active)" ;;
esac

# shellcheck shell=sh
# macvlan-lab: the Docker daemon's configuration for the registry trust (POSIX sh and coreutils; no
# python, no JSON tool on the host: components/docker/daemonJson.ts decides every byte written).
#   docker_inspect          read-only report of daemon.json and the unit's --insecure-registry flags
#   daemon_config_apply     writes what the program decided, if the files are still as reported
#   daemon_config_restore   puts the original bytes back, if the files still hold what apply wrote
# Inputs of all three: $conf (daemon.json), $pid_file (dockerd's), $endpoint (<host>:<port>),
# $security (tls | insecure), $unit (docker.service), $reload (auto | none: files only, for tests),
# $wait_steps (half-seconds to wait for dockerd), $state (state directory: the lock), $state_dir.
# docker_inspect: $migrate (yes | no).
# daemon_config_apply: $expect (sha256 of daemon.json as reported, or "absent"), $content (the new
# daemon.json, "" to leave it), $ours (sha256 of $content, or "unchanged"),
# $expect_listed (yes | no), $again (how to read the files again), $units (count) and per unit N:
# $unit_path_N, $unit_expect_N, $unit_content_N, $unit_ours_N. A file that already holds what apply
# writes is left as it is (apply runs again when only the library changed).
# daemon_config_refuse: $message (why nothing may be changed).
# daemon_config_restore: $ours (sha256 of what apply wrote to daemon.json, or "unchanged"),
# $orig (base64 of the original bytes, or "absent"), $orig_mode, $orig_owner, $intermediate ("" or a
# daemon.json without the endpoint shown to dockerd first), $restart, $units and per unit N:
# $unit_path_N, $unit_ours_N (sha256 of what apply wrote), $unit_orig_N (base64), $unit_mode_N,
# $unit_owner_N.
# Loop variables are u, i and ln: the prelude's functions use n, lock_tries and holder.
# shellcheck disable=SC2154 # the thin script assigns the inputs before sourcing this file

dpid=

digest_of() { sha256sum <"$1" | cut -d' ' -f1; }
b64() { base64 -w0 <"$1"; }
has_systemd() { command -v systemctl >/dev/null 2>&1 && [ -n "$(unit_fragment)" ]; }
unit_fragment() { systemctl show -p FragmentPath "$unit" 2>/dev/null | sed -n 's/^FragmentPath=//p'; }
# unit_files: the unit file and its drop-ins, one per line
unit_files() {
	unit_fragment
	systemctl show -p DropInPaths "$unit" 2>/dev/null | sed -n 's/^DropInPaths=//p' | tr ' ' '\n' | sed '/^$/d'
}
# flag_lines FILE: "N:TEXT" of every line that passes --insecure-registry and is not a comment
flag_lines() { grep -n -e '--insecure-registry' "$1" 2>/dev/null | grep -v -E '^[0-9]+:[[:space:]]*[#;]' || true; }

# find_dockerd: $dpid := the running dockerd of $pid_file, or "" (with a note) when none runs
find_dockerd() {
	dpid=
	if [ ! -e "$pid_file" ]; then
		note "no $pid_file: dockerd is not running"
		return 0
	fi
	p=$(tr -cd '0-9' <"$pid_file")
	if [ -z "$p" ] || [ ! -r "/proc/$p/cmdline" ]; then
		note "no process for the pid in $pid_file: dockerd is not running"
		return 0
	fi
	tr '\0' '\n' <"/proc/$p/cmdline" >"$work/cmdline"
	case "$(basename "$(head -n 1 "$work/cmdline")")" in
	*dockerd*) dpid=$p ;;
	*) note "pid $p in $pid_file is $(head -n 1 "$work/cmdline"), not dockerd (a stale pid file?): treating dockerd as not running" ;;
	esac
}

# insecure_listed: exit 0 when the running daemon lists $endpoint as an insecure registry
insecure_listed() {
	docker info --format '{{range $k, $v := .RegistryConfig.IndexConfigs}}{{if not $v.Secure}}{{$k}}{{"\n"}}{{end}}{{end}}' 2>/dev/null | grep -qxF "$endpoint"
}

# wait_listed listed|unlisted: until dockerd's list has (or lacks) $endpoint; 1 on time-out
wait_listed() {
	i=0
	while :; do
		if insecure_listed; then now=listed; else now=unlisted; fi
		if [ "$now" = "$1" ]; then return 0; fi
		i=$((i + 1))
		if [ "$i" -ge "$wait_steps" ]; then return 1; fi
		sleep 0.5
	done
}

docker_inspect() {
	note "inspecting $conf and the docker unit for the registry $endpoint ($security)"
	printf '@conf %s\n' "$conf"
	if [ -e "$conf" ]; then
		if [ ! -f "$conf" ] || [ ! -r "$conf" ]; then die "$conf is not a readable file"; fi
		printf '@daemon-json %s %s %s %s %s\n' "$conf" "$(stat -L -c %a "$conf")" "$(stat -L -c %u:%g "$conf")" "$(digest_of "$conf")" "$(b64 "$conf")"
	else
		printf '@daemon-json absent\n'
	fi
	found=
	if has_systemd; then
		printf '@systemd yes\n'
		unit_files >"$work/units"
		while IFS= read -r f; do
			[ -r "$f" ] || continue
			flag_lines "$f" >"$work/flags"
			[ -s "$work/flags" ] || continue
			found=yes
			while IFS= read -r hit; do
				ln=${hit%%:*}
				text=${hit#*:}
				printf '@flag %s %s %s\n' "$f" "$ln" "$(printf '%s' "$text" | base64 -w0)"
				flag_refused "$f line $ln" "$text"
			done <"$work/flags"
			if [ "$migrate" = yes ]; then
				printf '@unit %s %s %s %s %s\n' "$f" "$(stat -L -c %a "$f")" "$(stat -L -c %u:%g "$f")" "$(digest_of "$f")" "$(b64 "$f")"
			fi
		done <"$work/units"
	else
		printf '@systemd no\n'
	fi
	if [ "$reload" = auto ]; then
		find_dockerd
		[ -n "$dpid" ] || die "no running dockerd found through $pid_file; start docker (or point pidFile at the daemon's pid file) and run again. Nothing was changed"
		config=$(sed -n 's/^--config-file=//p' "$work/cmdline")
		if [ -z "$config" ]; then config=$(sed -n '/^--config-file$/{n;p;}' "$work/cmdline"); fi
		if [ -n "$config" ]; then
			case "$config" in /*) ;; *) config="$(readlink "/proc/$dpid/cwd")/$config" ;; esac
			if [ "$(readlink -f "$config")" != "$(readlink -f "$conf")" ]; then
				die "dockerd (pid $dpid) reads its configuration from $config (--config-file), not $conf; set daemonJson to that file"
			fi
		fi
		if [ -z "$found" ] && grep -q -e '^--insecure-registry' "$work/cmdline"; then
			flags=$(grep -A1 -e '^--insecure-registry' "$work/cmdline" | tr '\n' ' ')
			flag_refused "the command line of dockerd (pid $dpid, /proc/$dpid/cmdline), which no line of the docker unit explains (an EnvironmentFile such as /etc/sysconfig/docker, or a manual start)" "$flags" cmdline
		fi
		docker info --format '{{.ID}}' >/dev/null 2>&1 || die "docker info does not answer: it is how the trust sees that dockerd took a change; check the docker CLI and its access to the daemon, then run again. Nothing was changed"
	fi
	printf '@end\n'
}

# flag_refused WHERE TEXT [cmdline]: fails unless this --insecure-registry flag may stay or be moved
flag_refused() {
	if [ "$security" = tls ]; then
		case " $2 " in
		*"$endpoint"*) ;;
		*)
			note "$1 passes --insecure-registry for other registries; left as it is (security tls does not need daemon.json): $2"
			return 0
			;;
		esac
		why="it makes dockerd treat $endpoint as a plain-HTTP registry, which security tls forbids"
	else
		why="dockerd refuses to start when insecure-registries is both a flag and in daemon.json, so $endpoint cannot be trusted through $conf"
	fi
	if [ "${3:-}" = cmdline ]; then
		die "$1 passes --insecure-registry ($2): $why. registry.migrateUnitFlag moves only flags of the docker unit's ExecStart lines; remove the flag where dockerd is started, restart docker, then run again. Nothing was changed"
	fi
	if [ "$migrate" = yes ]; then
		note "$1 passes --insecure-registry: it is moved into $conf (registry.migrateUnitFlag): $2"
		return 0
	fi
	die "$1 passes --insecure-registry: $2. $why. Set registry.migrateUnitFlag: true to have it moved into $conf (dockerd restarts once, containers with a restart policy come back, destroy restores the unit), or remove the flag yourself (systemctl edit docker.service, systemctl daemon-reload, systemctl restart docker) and run again. Nothing was changed"
}

# same_digest FILE EXPECT: FILE has sha256 EXPECT ("absent": FILE does not exist)
same_digest() {
	if [ "$2" = absent ]; then [ ! -e "$1" ]; else [ -f "$1" ] && [ "$(digest_of "$1")" = "$2" ]; fi
}

# validate FILE: dockerd --validate where dockerd has it (Docker 23.0 and later)
validate_config() {
	if ! command -v dockerd >/dev/null 2>&1; then
		note "validation skipped: no dockerd in PATH"
	elif ! dockerd --help 2>&1 | grep -q -e '--validate'; then
		note "validation skipped: $(dockerd --version 2>&1 || true) has no --validate (it came with Docker 23.0); dockerd checks the file when it reads it"
	elif vout=$(dockerd --validate --config-file "$1" 2>&1); then
		note "dockerd --validate accepted the new $conf: $vout"
	else
		die "dockerd --validate rejected the new $conf: $vout. Nothing was changed"
	fi
}

reload_dockerd() {
	if command -v systemctl >/dev/null 2>&1 && [ "$(systemctl show -p MainPID "$unit" 2>/dev/null || true)" = "MainPID=$dpid" ]; then
		systemctl reload "$unit"
		note "reloaded dockerd (pid $dpid) with systemctl reload $unit"
	else
		kill -s HUP "$dpid"
		note "sent SIGHUP to dockerd (pid $dpid from $pid_file): it reads $conf again"
	fi
}
# shellcheck disable=SC2317 # run from the undo list
reload_quietly() {
	find_dockerd >/dev/null
	if [ -n "$dpid" ]; then reload_dockerd; fi
}

# running_restartable: $work/restartable := ids of the running containers whose restart policy
# brings them back after a daemon restart; the others are named
running_restartable() {
	: >"$work/restartable"
	for c in $(docker ps -q --no-trunc); do
		case "$(docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' "$c" 2>/dev/null || true)" in
		always | unless-stopped) printf '%s\n' "$c" >>"$work/restartable" ;;
		*) note "container $(docker inspect -f '{{.Name}}' "$c" 2>/dev/null | sed 's,^/,,') has no restart policy that survives a daemon restart: it stays stopped after it" ;;
		esac
	done
}

# restart_dockerd: daemon-reload and restart the unit; wait for dockerd and the restartable containers
restart_dockerd() {
	running_restartable
	systemctl daemon-reload
	note "systemctl daemon-reload"
	systemctl restart "$unit" || die "systemctl restart $unit failed; see journalctl -u $unit"
	i=0
	until docker info --format '{{.ID}}' >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -lt "$((wait_steps * 6))" ] || die "dockerd does not answer after systemctl restart $unit; see journalctl -u $unit"
		sleep 0.5
	done
	find_dockerd >/dev/null
	did "restarted dockerd with systemctl restart $unit (now pid $dpid)"
	while IFS= read -r c; do
		i=0
		until [ "$(docker inspect -f '{{.State.Running}}' "$c" 2>/dev/null || true)" = true ]; do
			i=$((i + 1))
			[ "$i" -lt "$((wait_steps * 6))" ] || die "container $c did not come back after the restart, though its restart policy should bring it back; see docker logs $c"
			sleep 0.5
		done
		note "container $(docker inspect -f '{{.Name}}' "$c" | sed 's,^/,,') is running again"
	done <"$work/restartable"
}
# shellcheck disable=SC2317 # run from the undo list
restart_quietly() {
	systemctl daemon-reload
	systemctl restart "$unit"
}

# write_text FILE TEXT WHAT: FILE := TEXT (mode and owner kept; 644 when new), undone on failure
write_text() {
	stage "$1"
	printf '%s' "$2" >"$pending"
	commit "$1" 644 "$3"
}

daemon_config_refuse() { die "$message"; }

daemon_config_apply() {
	take_lock
	pending_units=
	if [ -n "$content" ] && same_digest "$conf" "$ours"; then
		note "$conf already holds what the registry trust writes"
		content=
	elif ! same_digest "$conf" "$expect"; then
		die "$conf changed after it was read (it was $expect when read, it is $( [ -e "$conf" ] && digest_of "$conf" || echo absent) now): someone edited it meanwhile. Nothing was written, so that edit is kept. Read it again: $again"
	fi
	u=1
	while [ "$u" -le "$units" ]; do
		eval "p=\$unit_path_$u e=\$unit_expect_$u o=\$unit_ours_$u"
		# shellcheck disable=SC2154 # p, e and o are set by the eval above
		if same_digest "$p" "$o"; then
			note "$p already has no --insecure-registry"
			eval "unit_content_$u="
		elif ! same_digest "$p" "$e"; then
			die "$p changed after it was read: nothing was written. Read it again: $again"
		else
			pending_units=yes
		fi
		u=$((u + 1))
	done
	if [ "$reload" = auto ]; then
		find_dockerd
		[ -n "$dpid" ] || die "no running dockerd found through $pid_file. Nothing was changed"
	fi
	if [ "$reload" = auto ] && [ -n "$pending_units" ]; then
		undo restart_quietly
	elif [ "$reload" = auto ] && [ -n "$content" ]; then
		undo reload_quietly
	fi
	if [ -n "$content" ]; then
		mkdirs "$(dirname "$conf")"
		printf '%s' "$content" >"$work/new.json"
		validate_config "$work/new.json"
		write_text "$conf" "$content" "$conf"
	else
		note "$conf stays as it is"
	fi
	u=1
	while [ "$u" -le "$units" ]; do
		eval "p=\$unit_path_$u c=\$unit_content_$u"
		# shellcheck disable=SC2154 # set by the eval above
		if [ -n "$c" ]; then write_text "$p" "$c" "$p without --insecure-registry"; fi
		u=$((u + 1))
	done
	if [ "$reload" = none ]; then
		note "reload is none: dockerd was not told (it reads $conf on SIGHUP or at its next start)"
	elif [ -n "$pending_units" ]; then
		restart_dockerd
	elif [ -n "$content" ]; then
		reload_dockerd
	fi
	if [ "$reload" = auto ] && [ "$expect_listed" = yes ]; then
		if ! insecure_listed; then
			if [ -z "$pending_units" ] && [ -z "$content" ]; then reload_dockerd; fi
			wait_listed listed || die "dockerd (pid $dpid) does not list $endpoint as an insecure registry after the change (see journalctl -u $unit or its log); the previous files were put back"
		fi
		note "dockerd (pid $dpid) lists $endpoint as an insecure registry"
	elif [ "$reload" = auto ] && [ "$security" = tls ]; then
		wait_listed unlisted || die "dockerd (pid $dpid) still lists $endpoint as an insecure registry after the change; the previous files were put back"
	fi
	release_lock
	report "the daemon configuration for $endpoint" "the daemon configuration already had $endpoint as needed"
}

# put_original FILE B64 MODE OWNER WHAT: FILE := the original bytes, mode and owner ("absent": removed)
put_original() {
	if [ "$2" = absent ]; then
		drop "$1" "removed $5 (it did not exist before)"
		return 0
	fi
	stage "$1"
	printf '%s' "$2" | base64 -d >"$pending"
	chmod "$3" "$pending"
	chown "$4" "$pending" 2>/dev/null || true
	# $target: the file stage resolved (a checked link's real file; the link stays)
	if [ -e "$target" ]; then save "$target"; fi
	mv -f "$pending" "$target"
	pending=
	did "put back the original $5"
}

daemon_config_restore() {
	take_lock
	tell=none
	if [ "$ours" = unchanged ]; then
		note "$conf was not changed for $endpoint: nothing to put back"
	elif same_digest "$conf" "$ours"; then
		tell=reload
	elif [ -e "$conf" ] && ! grep -qF "\"$endpoint\"" "$conf" && [ "$units" -eq 0 ]; then
		note "$conf was changed by someone else since, and no longer names $endpoint: left as it is"
		ours=unchanged
	else
		die "$conf was changed by someone else after the registry trust wrote it (sha256 $ours written, $( [ -e "$conf" ] && digest_of "$conf" || echo absent) now), so its original bytes were not put back: that would lose the other change. Remove what the trust added (see the apply's output: $endpoint and any migrated registries in insecure-registries) yourself, keep the rest, reload dockerd, then run pulumi destroy again; or keep the file as it is with pulumi state delete of this command"
	fi
	u=1
	while [ "$u" -le "$units" ]; do
		eval "p=\$unit_path_$u o=\$unit_ours_$u"
		# shellcheck disable=SC2154 # set by the eval above
		same_digest "$p" "$o" || die "$p was changed by someone else after the registry trust wrote it: it was not put back (that would lose the other change); put the --insecure-registry flag back yourself or keep the file with pulumi state delete of this command"
		u=$((u + 1))
	done
	if [ "$reload" = auto ]; then find_dockerd; fi
	if [ "$reload" = auto ] && [ "$restart" = yes ]; then
		undo restart_quietly
	elif [ -n "$dpid" ] && [ "$tell" = reload ]; then
		undo reload_quietly
	fi
	if [ "$tell" = reload ] && [ -n "$intermediate" ] && [ -n "$dpid" ] && [ "$restart" != yes ]; then
		# dockerd keeps its list on a reload that finds no insecure-registries key: show it the
		# list without the endpoint first
		write_text "$conf" "$intermediate" "$conf without $endpoint (the key kept for dockerd's reload)"
		reload_dockerd
		wait_listed unlisted || note "warning: dockerd (pid $dpid) still lists $endpoint after the reload"
	fi
	if [ "$tell" = reload ]; then
		put_original "$conf" "$orig" "$orig_mode" "$orig_owner" "$conf"
	fi
	u=1
	while [ "$u" -le "$units" ]; do
		eval "p=\$unit_path_$u o=\$unit_orig_$u m=\$unit_mode_$u w=\$unit_owner_$u"
		# shellcheck disable=SC2154 # set by the eval above
		put_original "$p" "$o" "$m" "$w" "$p"
		u=$((u + 1))
	done
	if [ "$reload" = none ]; then
		note "reload is none: dockerd was not told"
	elif [ "$restart" = yes ]; then
		restart_dockerd
	elif [ "$tell" = reload ] && [ -n "$dpid" ]; then
		reload_dockerd
		if [ "$security" = insecure ]; then
			wait_listed unlisted || note "warning: dockerd (pid $dpid) still lists $endpoint as an insecure registry after the reload"
		fi
	elif [ "$tell" = reload ]; then
		note "dockerd is not running: it reads $conf when it starts"
	fi
	release_lock
	report "the daemon configuration is as it was before $endpoint was trusted" "nothing of the registry trust was left to undo"
}

# shellcheck shell=sh
# macvlan-lab: wait, read-only, until the registry in its container listens, so that nothing pushes
# to it before (a push to a registry that is still starting fails with "connection refused", and
# neither Docker nor the Docker provider tries again). The registry (distribution) logs `listening
# on <addr>` once it serves; only lines since the container's last start count, from one second
# before its StartedAt: dockerd records StartedAt after the process runs, and the registry's first
# lines were seen stamped 4 ms before it (a previous run's lines are older by far more).
# Inputs: $container (its name), $wait_steps (half-seconds to wait at most).
# shellcheck disable=SC2154 # the thin script assigns the inputs before sourcing this file

registry_ready() {
	started=$(docker inspect --type container --format '{{.State.StartedAt}}' "$container" 2>/dev/null) || die "there is no container $container: the registry is not running"
	# one second before, in seconds since the epoch (docker logs --since takes both forms)
	since=$(date -d "$started" +%s 2>/dev/null) && since=$((since - 1)) || since=$started
	i=0
	while [ "$i" -lt "$wait_steps" ]; do
		if [ "$(docker inspect --type container --format '{{.State.Running}}' "$container" 2>/dev/null)" = true ] &&
			docker logs --since "$since" "$container" 2>&1 | grep -q 'listening on'; then
			note "ok: the registry in $container listens (since its start at $started)"
			return 0
		fi
		sleep 0.5
		i=$((i + 1))
	done
	die "the registry in $container did not listen within $((wait_steps / 2)) s of its start at $started; its last lines: $(docker logs --tail 5 "$container" 2>&1 | tr '\n' ' ')"
}

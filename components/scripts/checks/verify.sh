# shellcheck shell=sh
# macvlan-lab: verify a host against the stack, read-only (components/verify). Every host step's own
# check script runs as it is (one at a time, its text on stdin), and the Docker objects the stack
# declares on the host are read with `docker inspect`. Nothing on the host changes: the checks only
# read, and so does everything here. One line per finding:
#   DRIFT<TAB><host><TAB><step><TAB><what was expected, and what was found>
#   ERROR<TAB><host><TAB><step><TAB><why the step's check could not run>
# then `VERIFIED<TAB><host><TAB><steps><TAB><drifts>` last. The command itself succeeds when every
# check ran, drift or not: the drift is the result, read from stdout.
# Inputs: $host, $docker_argv (the docker CLI as words), $stack_label (`key=value` every object of
# the stack carries).
# shellcheck disable=SC2154 # the thin script assigns the inputs before sourcing this file

verify_steps=0
verify_drifts=0

# verify_line KIND STEP TEXT: one finding
verify_line() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$host" "$2" "$3"
	if [ "$1" = DRIFT ]; then verify_drifts=$((verify_drifts + 1)); fi
}

# verify_step STEP: runs the check script on stdin; its `DRIFT: ...` lines become findings of STEP.
# A check exits 0 (no drift) or 1 (drift, one line each); anything else, or 1 without a DRIFT line,
# means it could not run: its last line is the reason.
verify_step() {
	verify_steps=$((verify_steps + 1))
	st=0
	out=$(sh -s 2>&1) || st=$?
	found=0
	while IFS= read -r ln; do
		case "$ln" in
		"DRIFT: "*)
			verify_line DRIFT "$1" "${ln#DRIFT: }"
			found=$((found + 1))
			;;
		esac
	done <<EOF_VERIFY_OUT
$out
EOF_VERIFY_OUT
	if [ "$st" -ne 0 ] && [ "$found" -eq 0 ]; then
		verify_line ERROR "$1" "its check failed (exit $st): $(printf '%s\n' "$out" | sed -n '$p')"
	fi
	return 0
}

# verify_docker ARGS...: the docker CLI of the host ($docker_argv) with ARGS
verify_docker() {
	# shellcheck disable=SC2086 # docker_argv is a list of plain words
	$docker_argv "$@"
}

# verify_network NAME DRIVER PARENT SUBNET GATEWAY RANGE: the network exists as declared
verify_network() {
	verify_steps=$((verify_steps + 1))
	step="network $1"
	got=$(verify_docker network inspect --format '{{.Driver}} {{index .Options "parent"}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}}{{end}} {{index .Labels "'"${stack_label%%=*}"'"}}' "$1" 2>/dev/null) || {
		verify_line DRIFT "$step" "network $1 ($2 on $3, $4) is missing"
		return 0
	}
	want="$2 $3 $4 $5 $6 ${stack_label#*=}"
	if [ "$got" != "$want" ]; then
		verify_line DRIFT "$step" "network $1 should be '$want' (driver, parent, subnet, gateway, range, stack), but it is '$got'"
	fi
}

# verify_container NAME NETWORK IP: the container exists, runs, and has IP on NETWORK ("" IP: any)
verify_container() {
	verify_steps=$((verify_steps + 1))
	step="container $1"
	got=$(verify_docker inspect --type container --format '{{.State.Status}} {{with index .NetworkSettings.Networks "'"$2"'"}}{{.IPAddress}}{{end}}' "$1" 2>/dev/null) || {
		verify_line DRIFT "$step" "container $1 (on $2${3:+ at $3}) is missing"
		return 0
	}
	status=${got%% *}
	address=${got#* }
	if [ "$status" != running ]; then verify_line DRIFT "$step" "container $1 should be running, but it is $status"; fi
	if [ -z "$address" ]; then
		verify_line DRIFT "$step" "container $1 should be on $2${3:+ at $3}, but it is not attached to it"
	elif [ -n "$3" ] && [ "$address" != "$3" ]; then
		verify_line DRIFT "$step" "container $1 should have $3 on $2, but it has $address"
	fi
}

# verify_running NAME: a container of the stack without a network of its own (the registry) runs
verify_running() {
	verify_steps=$((verify_steps + 1))
	step="container $1"
	status=$(verify_docker inspect --type container --format '{{.State.Status}}' "$1" 2>/dev/null) || {
		verify_line DRIFT "$step" "container $1 is missing"
		return 0
	}
	if [ "$status" != running ]; then verify_line DRIFT "$step" "container $1 should be running, but it is $status"; fi
}

# verify_insecure_trust CONF ENDPOINT: daemon.json lists ENDPOINT in insecure-registries and dockerd
# does too
verify_insecure_trust() {
	verify_steps=$((verify_steps + 1))
	step="registry trust"
	if [ ! -r "$1" ] || ! grep -q "\"$2\"" "$1"; then
		verify_line DRIFT "$step" "$1 should list $2 in insecure-registries, but it does not"
	fi
	if ! verify_docker info --format '{{range .RegistryConfig.IndexConfigs}}{{if not .Secure}}{{.Name}} {{end}}{{end}}' 2>/dev/null | tr ' ' '\n' | grep -qx "$2"; then
		verify_line DRIFT "$step" "dockerd should trust $2 as an insecure registry, but it does not list it"
	fi
}

# verify_ca_trust FILE SHA256: the registry's CA is FILE, byte for byte
verify_ca_trust() {
	verify_steps=$((verify_steps + 1))
	step="registry trust"
	if [ ! -r "$1" ]; then
		verify_line DRIFT "$step" "$1 (the registry's CA) is missing"
	elif [ "$(sha256sum <"$1" | cut -d' ' -f1)" != "$2" ]; then
		verify_line DRIFT "$step" "$1 should be the registry's CA (sha256 $2), but it is $(sha256sum <"$1" | cut -d' ' -f1)"
	fi
}

# verify_end: the last line
verify_end() {
	printf 'VERIFIED\t%s\t%s\t%s\n' "$host" "$verify_steps" "$verify_drifts"
}

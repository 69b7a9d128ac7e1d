# shellcheck shell=sh
# macvlan-lab: the connectivity checks of one host. `start` runs one case in the background
# (`docker exec <source> ping -c <count> -A -w <deadline> <ip>`, bounded by timeout(1) where the
# host has it), all cases at once, none stopping at a failure; `checks_end` waits for them, prints
# each case's two lines in the order started and exits 1 when any observed result differs from the
# expected one, naming source, target and network of each on stderr.
# Per case, one machine-readable line
#   CHECK<tab><sourceHost>/<source><tab><targetHost>/<target><tab><network><tab><expected><tab><observed><tab><ip>
# and one line for people (`ok: ...` or `FAIL: ...`).
# Inputs: $host, $count (echo replies), $wait (s, for a ping that should be answered), $quick (s, for
# one that should not), $limit (s, hard bound of one docker call), $docker_argv (the docker CLI and
# its arguments as shell words).
# shellcheck disable=SC2154 # the thin script assigns the inputs

checks=0

# docker_cmd ARGS...: the docker CLI
docker_cmd() {
	eval "set -- $docker_argv \"\$@\""
	"$@"
}

# docker_bounded ARGS...: the docker CLI, killed after $limit s where the host has timeout(1)
docker_bounded() {
	eval "set -- $docker_argv \"\$@\""
	if command -v timeout >/dev/null 2>&1; then
		timeout "$limit" "$@"
	else
		"$@"
	fi
}

# bounded ARGS...: ARGS, killed after $limit s where the host has timeout(1)
bounded() {
	if command -v timeout >/dev/null 2>&1; then
		timeout "$limit" "$@"
	else
		"$@"
	fi
}

# verdict_of RC OUT WHAT: sets $observed and $detail from a ping's exit code and output (WHAT ran it)
verdict_of() {
	last=$(printf '%s\n' "$2" | sed -n '$p')
	case $1 in
	0) observed=reachable ;;
	1)
		case $2 in
		*"Error response from daemon"*)
			observed=error
			detail="docker exec failed: $last"
			;;
		*)
			observed=unreachable
			detail="$last"
			;;
		esac
		;;
	124)
		observed=error
		detail="no result within $limit s"
		;;
	*)
		observed=error
		detail="$3 exited with $1: $last"
		;;
	esac
}

# check SOURCE_HOST SOURCE TARGET_HOST TARGET IP NETWORK EXPECTED: one case, its two lines on stdout;
# SOURCE - is the host itself (a host row: ping runs on the host, not in a container)
check() {
	set +e
	case_1=$1 case_2=$2 case_3=$3 case_4=$4 ip_of_case=$5 case_6=$6 case_7=$7
	detail=""
	deadline=$wait
	src="$1/$2"
	if [ "$7" = unreachable ]; then deadline=$quick; fi
	if [ "$2" = - ]; then
		src=$1
		# the host's ping (iputils), or busybox's where the host has no other
		if command -v ping >/dev/null 2>&1; then set -- "$@" ping; else set -- "$@" busybox ping; fi
		shift 7
		out=$(bounded "$@" -c "$count" -A -w "$deadline" "$ip_of_case" 2>&1)
		verdict_of $? "$out" ping
		set -- "$case_1" "$case_2" "$case_3" "$case_4" "$ip_of_case" "$case_6" "$case_7"
	elif ! running=$(docker_cmd inspect --format '{{.State.Running}}' "$2" 2>&1); then
		observed=error
		detail="cannot inspect container $2: $(printf '%s\n' "$running" | sed -n '$p')"
	elif [ "$running" != true ]; then
		observed=error
		detail="container $2 is not running"
	else
		out=$(docker_bounded exec "$2" ping -c "$count" -A -w "$deadline" "$5" 2>&1)
		verdict_of $? "$out" "docker exec ... ping"
	fi
	printf 'CHECK\t%s\t%s/%s\t%s\t%s\t%s\t%s\n' "$src" "$3" "$4" "$6" "$7" "$observed" "$5"
	if [ "$observed" = "$7" ]; then
		printf 'ok: %s -> %s/%s (%s) on %s: %s, as expected\n' "$src" "$3" "$4" "$5" "$6" "$7"
	else
		printf 'FAIL: %s -> %s/%s (%s) on %s: expected %s, observed %s%s\n' "$src" "$3" "$4" "$5" "$6" "$7" "$observed" "${detail:+ ($detail)}"
	fi
}

# start CASE...: runs check in the background, its lines into $work/case-<number>
start() {
	checks=$((checks + 1))
	check "$@" >"$work/case-$(printf '%04d' "$checks")" 2>&1 &
}

# checks_end: waits for every case, prints their lines, exits 1 when any failed
checks_end() {
	set +e
	wait
	failed=0
	if [ "$checks" -gt 0 ]; then
		cat "$work"/case-*
		failed=$(cat "$work"/case-* | grep -c '^FAIL: ')
	fi
	if [ "$failed" -gt 0 ]; then
		printf '%s of %s connectivity checks from %s failed:\n' "$failed" "$checks" "$host" >&2
		cat "$work"/case-* | grep '^FAIL: ' | sed 's/^/  /' >&2
		exit 1
	fi
	printf 'all %s connectivity checks from %s passed\n' "$checks" "$host"
}

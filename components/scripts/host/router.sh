# shellcheck shell=sh
# macvlan-lab: the inter-VLAN router's forwarding on a host (its legs are links of host/link.sh):
# IPv4 forwarding on, and the forwarding policy as an iptables chain $chain, jumped to first from
# FORWARD, holding one ACCEPT per allowed direction (`-s <subnet> -d <subnet>`) and a DROP for
# every other pair of routed subnets, so only the allowed pairs talk, whatever the FORWARD policy.
# Matching by subnets, not by interface, holds however the frames reach the host.
# Runtime only on every backend, and said so: after a reboot the legs come back (where the backend
# keeps them) but forwarding is off and nothing is routed until `pulumi up` runs again (fails closed).
# Inputs: $host, $chain, $rules (one iptables rule of the chain per line: -s A -d B -j ACCEPT|DROP,
# validated words), $legs (for people), $state_dir, $state.
# State: $state/router-$chain.state (the forwarding setting before any router turned it on): one
# file and one chain per stack's router, so routers of several stacks on one host keep apart, and
# the last one's delete puts forwarding back (router.state: a router of an earlier version).
# shellcheck disable=SC2154 # the thin script assigns the inputs

forward_file=/proc/sys/net/ipv4/ip_forward

router_need() {
	if ! command -v iptables >/dev/null 2>&1; then die "the router's forwarding policy needs iptables on $host; install it (iptables package)"; fi
}
# chain_rules: the rules of $chain as iptables -S prints them, without the chain's own line
chain_rules() { iptables -w -S "$chain" 2>/dev/null | sed -n "s/^-A $chain //p"; }
# want_rules: the declared rules, as iptables -S prints them
want_rules() { printf '%s\n' "$rules" | sed '/^$/d'; }
has_jump() { iptables -w -C FORWARD -j "$chain" 2>/dev/null; }
# rstate: this router's state file
rstate() { echo "$state/router-$chain.state"; }
# other_routers: the router chains of other stacks (or an earlier version) that FORWARD jumps to
other_routers() { iptables -w -S FORWARD 2>/dev/null | sed -n 's/^-A FORWARD -j \(MACVLAN-LAB-R[A-Za-z0-9-]*\)$/\1/p' | grep -vxF "$chain" || true; }

router_create() {
	need_root "routing on $host"
	router_need
	state_init
	if [ ! -e "$(rstate)" ]; then
		# forwarding as it was before any router turned it on: another router's record, if there is one
		before=$(cat "$forward_file")
		for f in "$state"/router.state "$state"/router-*.state; do
			if [ -f "$f" ]; then
				before=$(state_get "$f" forward)
				break
			fi
		done
		record "$(rstate)" "forward=$before"
	fi
	if ! iptables -w -S "$chain" >/dev/null 2>&1; then
		undo "iptables -w -F $(q "$chain") 2>/dev/null; iptables -w -X $(q "$chain") 2>/dev/null || true"
		iptables -w -N "$chain"
		did "iptables chain $chain"
	fi
	want_rules >"$work/want"
	chain_rules >"$work/have"
	if ! cmp -s "$work/want" "$work/have"; then
		iptables -w -F "$chain"
		while IFS= read -r rule; do
			# shellcheck disable=SC2086 # a rule is validated words: split on purpose
			iptables -w -A "$chain" $rule
		done <"$work/want"
		did "the forwarding policy in $chain: $(grep -c ACCEPT "$work/want") allowed direction(s), $(grep -c DROP "$work/want") refused"
	fi
	if ! has_jump; then
		undo "iptables -w -D FORWARD -j $(q "$chain") 2>/dev/null || true"
		iptables -w -I FORWARD 1 -j "$chain"
		did "FORWARD jumps to $chain first"
	fi
	if [ "$(cat "$forward_file")" != 1 ]; then
		undo "echo $(q "$(cat "$forward_file")") >$forward_file"
		echo 1 >"$forward_file"
		did "IPv4 forwarding is on (net.ipv4.ip_forward=1)"
	fi
	note "runtime only: IPv4 forwarding and the policy in $chain are not restored at boot; the legs ($legs) may come back, but nothing is forwarded until pulumi up runs again"
	report "$host routes between $legs as the policy allows" "$host already routed between $legs as the policy allows"
}

router_delete() {
	need_root "removing the router on $host"
	if [ ! -e "$(rstate)" ]; then
		note "nothing changed: no record of the router in $state (create never ran here, or delete already did)"
		exit 0
	fi
	before=$(state_get "$(rstate)" forward)
	if command -v iptables >/dev/null 2>&1; then
		while has_jump; do iptables -w -D FORWARD -j "$chain"; did "FORWARD no longer jumps to $chain"; done
		if iptables -w -S "$chain" >/dev/null 2>&1; then
			iptables -w -F "$chain"
			iptables -w -X "$chain"
			did "removed the iptables chain $chain"
		fi
	fi
	others=$(other_routers | tr '\n' ' ')
	if [ -n "$others" ]; then
		note "IPv4 forwarding stays on: other routers on $host forward with it (${others% })"
	elif [ -n "$before" ] && [ "$(cat "$forward_file")" != "$before" ]; then
		echo "$before" >"$forward_file"
		did "IPv4 forwarding is back to $before (as before create)"
	fi
	forget "$(rstate)"
	state_done
	report "$host no longer routes between $legs" "$host was already not routing"
}

router_check() {
	if [ "$(cat "$forward_file")" != 1 ]; then drift "IPv4 forwarding is off on $host"; fi
	if ! command -v iptables >/dev/null 2>&1; then
		drift "there is no iptables on $host"
	else
		if ! iptables -w -S "$chain" >/dev/null 2>&1; then
			drift "there is no iptables chain $chain"
		else
			want_rules >"$work/want"
			chain_rules >"$work/have"
			if ! cmp -s "$work/want" "$work/have"; then drift "the rules of $chain differ from the declared policy"; fi
		fi
		if ! has_jump; then drift "FORWARD does not jump to $chain"; fi
	fi
	note "runtime only: IPv4 forwarding and the policy are not restored at boot"
	verdict "router on $host"
}

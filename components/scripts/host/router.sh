# shellcheck shell=sh
# macvlan-lab: the inter-VLAN router's forwarding on a host (its legs are links of host/link.sh):
# IPv4 forwarding on, and the forwarding policy as an iptables chain $chain, jumped to first from
# FORWARD, holding one ACCEPT per allowed direction (`-s <subnet> -d <subnet>`) and a DROP for
# every other pair of routed subnets, so only the allowed pairs talk, whatever the FORWARD policy.
# Matching by subnets, not by interface, holds however the frames reach the host.
# After a reboot, on a host whose backend keeps its configuration (every backend but iproute2): a
# sysctl.d file $fwd_conf (net.ipv4.ip_forward = 1, applied by systemd-sysctl early at boot) and a
# small systemd unit of ours, $unit (enabled by the link $unit_wants), that makes the chain, its
# rules and FORWARD's jump again before network-pre.target, so before any link is up and before
# dockerd starts a container. Delete removes both. With iproute2 ($fwd_conf empty) runtime only, and
# said so: after a reboot nothing is forwarded until `pulumi up` runs again (fails closed).
# Inputs: $host, $chain, $rules (one iptables rule of the chain per line: -s A -d B -j ACCEPT|DROP,
# validated words), $legs (for people), $state_dir, $state; $fwd_conf, $unit, $unit_wants (all
# empty: runtime only).
# State: $state/router-$chain.state (the forwarding setting before any router turned it on) and
# $state/router-$chain.dirs (directories create made): one chain, one unit and one set of files per
# stack's router, so routers of several stacks on one host keep apart, and the last one's delete
# puts forwarding back (router.state: a router of an earlier version).
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
# rstate: this router's state file; rdirs: the directories its create made
rstate() { echo "$state/router-$chain.state"; }
rdirs() { echo "$state/router-$chain.dirs"; }
# other_routers: the router chains of other stacks (or an earlier version) that FORWARD jumps to
other_routers() { iptables -w -S FORWARD 2>/dev/null | sed -n 's/^-A FORWARD -j \(MACVLAN-LAB-R[A-Za-z0-9-]*\)$/\1/p' | grep -vxF "$chain" || true; }
router_systemd_runs() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

# fwd_text: the sysctl.d file that turns IPv4 forwarding on at boot
fwd_text() {
	printf '# macvlan-lab: IPv4 forwarding for the inter-VLAN router on %s (%s), applied by systemd-sysctl at boot; written by pulumi, delete removes it
' "$host" "$legs"
	printf 'net.ipv4.ip_forward = 1
'
}

# unit_text: the unit that puts the chain, its rules and FORWARD's jump back at boot (the iptables
# found now, by its full path; the rules are validated words)
unit_text() {
	ipt=$(command -v iptables)
	case "$ipt" in /*) ;; *) ipt=/usr/sbin/iptables ;; esac
	cat <<EOT
# macvlan-lab: the forwarding policy of the inter-VLAN router on $host ($legs), restored at boot before any link is up; written by pulumi, delete removes it
[Unit]
Description=macvlan-lab inter-VLAN router: the forwarding policy (iptables chain $chain)
DefaultDependencies=no
Wants=network-pre.target
After=local-fs.target systemd-modules-load.service
Before=network-pre.target docker.service shutdown.target
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=-$ipt -w -N $chain
ExecStart=$ipt -w -F $chain
EOT
	printf '%s\n' "$rules" | sed '/^$/d' | while IFS= read -r rule; do printf 'ExecStart=%s -w -A %s %s\n' "$ipt" "$chain" "$rule"; done
	cat <<EOT
ExecStart=/bin/sh -c '$ipt -w -C FORWARD -j $chain 2>/dev/null || $ipt -w -I FORWARD 1 -j $chain'

[Install]
WantedBy=multi-user.target
EOT
}

# router_persist: the sysctl.d file and the unit, written and enabled (create)
router_persist() {
	if [ -z "$fwd_conf" ]; then
		note "runtime only: IPv4 forwarding and the policy in $chain are not restored at boot (the iproute2 backend keeps nothing); the legs ($legs) are gone too after a reboot, and nothing is forwarded until pulumi up runs again"
		return 0
	fi
	if [ ! -d "$(dirname "$fwd_conf")" ] || [ ! -d "$(dirname "$unit")" ]; then
		note "runtime only: $host has no $(dirname "$fwd_conf") or $(dirname "$unit") (no systemd): IPv4 forwarding and the policy in $chain are not restored at boot"
		return 0
	fi
	stage "$fwd_conf"
	fwd_text >"$pending"
	commit "$fwd_conf" 644 "$fwd_conf (IPv4 forwarding at boot)"
	stage "$unit"
	unit_text >"$pending"
	commit "$unit" 644 "$unit (the policy in $chain at boot, before network-pre.target)"
	if [ ! -L "$unit_wants" ]; then
		if [ ! -d "$(dirname "$unit_wants")" ]; then
			mkdirs "$(dirname "$unit_wants")"
			if [ ! -e "$(rdirs)" ]; then record "$(rdirs)" "$made_dirs"; fi
		fi
		undo "rm -f $(q "$unit_wants")"
		ln -s "$unit" "$unit_wants"
		did "enabled $(basename "$unit") ($unit_wants)"
	fi
	if router_systemd_runs; then
		undo "systemctl daemon-reload"
		systemctl daemon-reload
	else
		note "systemd is not running on $host: $(basename "$unit") and $(basename "$fwd_conf") are written and take effect at the next boot"
	fi
}

# router_unpersist: both removed (delete)
router_unpersist() {
	if [ -z "$fwd_conf" ]; then return 0; fi
	before_drop=$changed
	drop "$unit_wants" "disabled $(basename "$unit") (removed $unit_wants)"
	drop "$unit" "removed $unit"
	drop "$fwd_conf" "removed $fwd_conf"
	if [ -e "$(rdirs)" ]; then
		cp "$(rdirs)" "$work/router-dirs"
		rmdirs "$work/router-dirs"
		forget "$(rdirs)"
	fi
	if [ "$changed" -ne "$before_drop" ] && router_systemd_runs; then systemctl daemon-reload; fi
}

# router_persist_check: drift when the files are missing or not what create writes
router_persist_check() {
	if [ -z "$fwd_conf" ]; then
		note "runtime only: IPv4 forwarding and the policy are not restored at boot"
		return 0
	fi
	fwd_text >"$work/want-fwd"
	unit_text >"$work/want-unit"
	if [ ! -f "$fwd_conf" ]; then
		drift "$fwd_conf is missing: IPv4 forwarding would be off after a reboot"
	elif ! cmp -s "$work/want-fwd" "$fwd_conf"; then
		drift "$fwd_conf differs from what create writes"
	fi
	if [ ! -f "$unit" ]; then
		drift "$unit is missing: the policy in $chain would be gone after a reboot"
	elif ! cmp -s "$work/want-unit" "$unit"; then
		drift "$unit differs from what create writes (the declared policy)"
	fi
	if [ ! -L "$unit_wants" ]; then drift "$(basename "$unit") is not enabled ($unit_wants is missing)"; fi
}

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
	router_persist
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
	router_unpersist
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
	router_persist_check
	verdict "router on $host"
}

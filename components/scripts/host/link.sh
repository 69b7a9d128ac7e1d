# shellcheck shell=sh
# macvlan-lab: a host's own sub-interface on a Docker network's parent (a host shim such as
# `mac0@ens33.10`, or a router leg), of the network's driver and mode ($kind macvlan or ipvlan,
# $mode), with an address and routes, persisted by the backend module sourced with this file
# (backend_link_*: a NetworkManager profile, a systemd unit, or runtime only), then made so with
# ip whatever the backend left undone. It only ever manages a link it created: a link of that name
# that macvlan-lab did not make is an error, and delete removes the link (its address and routes go
# with it) and the backend's config, leaving the host as before.
# ARP: the link answers ARP only for its own addresses (arp_ignore=1, the setting goes with the
# link), and so does its parent (a VLAN interface or NIC left at arp_ignore=0 answers for every
# address of the host, the gateway of a router leg included, with its own MAC: the neighbours then
# send to the parent, where rp_filter drops what the route back says belongs to the leg). The
# parent's setting from before is kept in $state/arp-<parent>.state and put back when the last of
# our links on it is deleted. Where the backend keeps the link but not these settings (nmcli,
# networkd, netplan, ifupdown), a sysctl.d file $arp_conf holds both: systemd-udevd runs
# systemd-sysctl for the keys of a network interface when it appears (at boot too), so they come back
# with the link. Empty $arp_conf: the backend sets them itself (ifcfg's unit) or keeps nothing.
# Inputs: $host, $dev, $parent, $kind, $mode, $address (CIDR), $ip (its address), $routes (CIDRs,
# space-separated, may be empty), $role (for people), $arp_conf, $state_dir, $state (and what the
# backend reads).
# State: $state/link-<dev>.state, $state/arp-<parent>.state (the parent's arp_ignore before).
# shellcheck disable=SC2154 # the thin script assigns the inputs

# link_kind_of DEV: "<kind> <mode>" of a macvlan or ipvlan link, empty for another kind
link_kind_of() {
	ip -d link show dev "$1" 2>/dev/null | sed -n -e 's/^ *macvlan  *mode \([a-z0-9]*\).*/macvlan \1/p' -e 's/^ *ipvlan  *mode \([a-z0-9]*\).*/ipvlan \1/p' | sed -n '1p'
}
# route_of PREFIX: the main table's route to exactly PREFIX, if any
route_of() { ip -4 route show exact "$1" 2>/dev/null | sed -n '1p'; }
route_ok() { case " $(route_of "$1") " in *" dev $dev "*) return 0 ;; esac; return 1; }
arp_file() { printf '/proc/sys/net/ipv4/conf/%s/arp_ignore' "${1:-$dev}"; }
# announce: unsolicited ARP for $ip from $dev, so neighbours that cached another MAC for it (the
# $role's earlier link, replaced: a new macvlan link has a new MAC) send to this one at once instead
# of losing their packets until their entry expires; arping of iputils or busybox, whichever is there
announce() {
	if command -v arping >/dev/null 2>&1; then
		set -- arping
	elif command -v busybox >/dev/null 2>&1 && busybox arping 2>&1 | grep -q Unsolicited; then
		set -- busybox arping
	else
		note "no arping on $host: a neighbour that cached another MAC for $ip keeps it until its ARP entry expires"
		return 0
	fi
	"$@" -q -U -c 2 -I "$dev" "$ip" >/dev/null 2>&1 || true
	note "announced $ip at the MAC of $dev to the segment (unsolicited ARP, $*)"
}
# other_links_on_parent: the links of ours (a state file) other than $dev that sit on $parent now
other_links_on_parent() {
	for f in "$state"/link-*.state; do
		[ -e "$f" ] || continue
		o=${f#"$state"/link-}
		o=${o%.state}
		if [ "$o" != "$dev" ] && [ "$(parent_of "$o")" = "$parent" ]; then printf '%s\n' "$o"; fi
	done
}

# arp_text: the sysctl.d file of $dev (a slash after net: the dots of an interface name stay dots)
arp_text() {
	printf '# macvlan-lab: %s: ARP answered only for its own addresses, by %s and by its parent %s, set by systemd-sysctl when each appears (at boot too); written by pulumi, delete removes it\n' "$role" "$dev" "$parent"
	printf 'net/ipv4/conf/%s/arp_ignore = 1\nnet/ipv4/conf/%s/arp_ignore = 1\n' "$dev" "$parent"
}

link_create() {
	need_root "creating $dev"
	case $kind in macvlan) kind_config=MACVLAN ;; *) kind_config=IPVLAN ;; esac
	if ! link_exists "$parent"; then die "the parent $parent of $dev ($role) does not exist on $host; its VLAN interface or NIC comes first"; fi
	if link_exists "$dev" && [ ! -e "$state/link-$dev.state" ]; then
		die "$dev already exists on $host and macvlan-lab did not create it ($(link_kind_of "$dev" || true)); remove it or give the $role another name"
	fi
	if link_exists "$dev" && { [ "$(link_kind_of "$dev")" != "$kind $mode" ] || [ "$(parent_of "$dev")" != "$parent" ]; }; then
		die "$dev is '$(link_kind_of "$dev")' on '$(parent_of "$dev")', not $kind $mode on $parent; run pulumi up again after removing it (delete restores the host)"
	fi
	for r in $routes; do
		if [ -n "$(route_of "$r")" ] && ! route_ok "$r"; then die "$host already routes $r elsewhere ($(route_of "$r")); the $role would take that route over: remove it first"; fi
	done
	backend_link_ready
	# the link first: a kernel without $kind fails here, before anything else was changed
	if ! link_exists "$dev"; then
		undo "if ip link show dev $(q "$dev") >/dev/null 2>&1; then ip link delete dev $(q "$dev"); fi"
		if ! err=$(ip link add link "$parent" name "$dev" type "$kind" mode "$mode" 2>&1); then
			case $err in
			*"Unknown device type"* | *"not supported"*) die "$kind links are not supported by this kernel (ip link add: $err); $dev was not created and nothing was changed: use a kernel with $kind (CONFIG_${kind_config}), or driver macvlan where the parent allows it" ;;
			*) die "could not create $dev on $parent (ip link add: $err)" ;;
			esac
		fi
		did "created $dev (ip link add link $parent name $dev type $kind mode $mode)"
	fi
	state_init
	if [ ! -e "$state/link-$dev.state" ]; then record "$state/link-$dev.state" "link=created"; fi
	backend_link_persist
	if [ -w "$(arp_file)" ] && [ "$(cat "$(arp_file)")" != 1 ]; then
		echo 1 >"$(arp_file)"
		did "$dev answers ARP only for its own address (arp_ignore=1)"
	fi
	if [ -w "$(arp_file "$parent")" ] && [ "$(cat "$(arp_file "$parent")")" = 0 ]; then
		if [ ! -e "$state/arp-$parent.state" ]; then record "$state/arp-$parent.state" "arp_ignore=0"; fi
		undo "echo 0 >$(q "$(arp_file "$parent")")"
		echo 1 >"$(arp_file "$parent")"
		did "$parent answers ARP only for its own addresses (arp_ignore=1, was 0), so $ip is answered by $dev alone"
	fi
	if [ -n "$arp_conf" ]; then
		if [ -d "$(dirname "$arp_conf")" ]; then
			stage "$arp_conf"
			arp_text >"$pending"
			commit "$arp_conf" 644 "$arp_conf (ARP only for their own addresses, $dev and $parent, after a reboot too)"
		else
			note "there is no $(dirname "$arp_conf") on $host: after a reboot $dev and $parent answer ARP as the kernel's default (arp_ignore=0)"
		fi
	fi
	if ! has_addr "$dev" "$address"; then
		undo "ip addr del $(q "$address") dev $(q "$dev") 2>/dev/null || true"
		ip addr replace "$address" dev "$dev"
		did "$dev has $address"
	fi
	if ! has_flag "$dev" UP; then
		undo "ip link set dev $(q "$dev") down 2>/dev/null || true"
		ip link set dev "$dev" up
		did "$dev is up"
	fi
	for r in $routes; do
		if ! route_ok "$r"; then
			undo "ip route del $(q "$r") dev $(q "$dev") 2>/dev/null || true"
			ip route replace "$r" dev "$dev" src "$ip"
			did "$r is routed through $dev (src $ip)"
		fi
	done
	if [ "$changed" -ne 0 ]; then announce; fi
	backend_link_created
	report "$dev ($kind $mode on $parent, $role) has $address${routes:+ and routes $routes}" "$dev ($role) was already as declared"
}

link_delete() {
	need_root "removing $dev"
	if [ ! -e "$state/link-$dev.state" ]; then
		note "nothing changed: no record of $dev in $state (create never ran here, or delete already did)"
		exit 0
	fi
	# one change at a time in $state: a shim and a router leg on one parent are deleted at once, and
	# only the last of them may put the parent's ARP setting back and forget its record
	take_lock
	backend_link_unpersist
	if [ -n "$arp_conf" ]; then drop "$arp_conf" "removed $arp_conf"; fi
	if link_exists "$dev"; then
		link_gone "$dev"
		did "removed $dev ($role; its address and routes went with it)"
	fi
	if [ -e "$state/arp-$parent.state" ] && [ -z "$(other_links_on_parent)" ]; then
		before=$(state_get "$state/arp-$parent.state" arp_ignore)
		if [ -w "$(arp_file "$parent")" ] && [ "$(cat "$(arp_file "$parent")")" != "$before" ]; then
			echo "$before" >"$(arp_file "$parent")"
			did "$parent answers ARP as before create (arp_ignore=$before)"
		fi
		forget "$state/arp-$parent.state"
	fi
	forget "$state/link-$dev.state"
	release_lock
	report "$dev ($role) is gone, the host is as before create" "$dev ($role) was already gone"
}

link_check() {
	if ! link_exists "$dev"; then
		drift "$dev ($role) is missing"
	else
		if [ "$(link_kind_of "$dev")" != "$kind $mode" ] || [ "$(parent_of "$dev")" != "$parent" ]; then
			drift "$dev should be $kind $mode on $parent, but it is '$(link_kind_of "$dev")' on '$(parent_of "$dev")'"
		fi
		if ! has_addr "$dev" "$address"; then drift "$dev does not have $address (it has: $(addrs_of "$dev"))"; fi
		if ! has_flag "$dev" UP; then drift "$dev is down"; fi
		if [ -r "$(arp_file "$parent")" ] && [ "$(cat "$(arp_file "$parent")")" = 0 ]; then drift "$parent answers ARP for $ip too (arp_ignore=0)"; fi
		for r in $routes; do
			if ! route_ok "$r"; then drift "$r is not routed through $dev (the route is: $(route_of "$r"))"; fi
		done
	fi
	if [ -n "$arp_conf" ] && [ -d "$(dirname "$arp_conf")" ]; then
		arp_text >"$work/expected-arp"
		if [ ! -f "$arp_conf" ]; then
			drift "$arp_conf is missing: after a reboot $dev and $parent would answer ARP for every address of $host"
		elif ! cmp -s "$work/expected-arp" "$arp_conf"; then
			drift "$arp_conf differs from what create writes"
		fi
	fi
	backend_link_check
	verdict "$dev ($role) with $address"
}

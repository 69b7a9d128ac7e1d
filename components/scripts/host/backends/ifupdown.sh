# shellcheck shell=sh
# macvlan-lab backend ifupdown (Debian's /etc/network/interfaces): persistent config as stanzas in
# files of our own under $ifu_dir/interfaces.d, which the host's interfaces file must source (it is
# never edited: a host whose file does not is refused with the line to add), brought up with ifup;
# at boot `ifup -a` (networking.service) brings up every `auto` stanza.
# - parent NIC: a hook of our own in $ifu_dir/if-up.d (ifupdown runs every file there, by
#   run-parts, after it brings an interface up, with IFACE set) that makes the NIC promiscuous when
#   the NIC or one of its VLANs comes up;
# - VLAN: `auto <dev>` / `iface <dev> inet static` with its address (a gateway only with
#   defaultRoute): ifupdown 0.8 makes a `<parent>.<id>` interface a VLAN of <parent> itself (its
#   link.defn: `ip link set up dev <parent>; ip link add link <parent> name <dev> type vlan id <id>`
#   on up, `ip link del` on down); `ifup <dev>`; delete: `ifdown <dev>`, the file removed;
# - host shim or router leg: a stanza that makes the link in pre-up, its routes in up, and removes
#   it in post-down.
# File names: `macvlan-lab-1-vlan-<dev>` and `macvlan-lab-2-link-<dev>` with `.` as `_` (run-parts
# and `source-directory` take only [A-Za-z0-9_-]); VLANs sort before the links made on them.
# Inputs: $ifu_dir (/etc/network); parent: $nic. VLAN: $dev, $parent, $vlan_id, $address, $gateway,
# $defroute. Link: $dev, $parent, $kind, $mode, $address, $ip, $routes, $role.
# Sourced after detect.sh (ifu_sources_d). State: $state/parent-<nic>.ifupdown (the hook's path).
# shellcheck disable=SC2154 # the thin script assigns the inputs

ifu_name() { printf '%s' "$1" | tr . _; }
ifu_vlan_file() { printf '%s/interfaces.d/macvlan-lab-1-vlan-%s' "$ifu_dir" "$(ifu_name "$dev")"; }
ifu_link_file() { printf '%s/interfaces.d/macvlan-lab-2-link-%s' "$ifu_dir" "$(ifu_name "$dev")"; }
ifu_hook() { printf '%s/if-up.d/macvlan-lab-promisc-%s' "$ifu_dir" "$(ifu_name "$nic")"; }

# ifu_words VALUE...: fails unless every VALUE is a word a stanza can hold (checked in the running
# shell before a stanza is printed)
ifu_words() {
	for w in "$@"; do
		case "$w" in
		'' | *[!A-Za-z0-9_.:/-]*) die "refusing to write '$w' into an ifupdown stanza: not an interface name, address, number or mode" ;;
		esac
	done
}

ifu_ip() {
	ip_cmd=$(command -v ip)
	case "$ip_cmd" in /*) ;; *) ip_cmd=/sbin/ip ;; esac
	printf '%s' "$ip_cmd"
}

# ifu_sources: the host's interfaces file sources interfaces.d (ifu_sources_d, detect.sh)
ifu_sources() { ifu_sources_d "$ifu_dir"; }

ifu_need() {
	if [ ! -f "$ifu_dir/interfaces" ]; then die "there is no $ifu_dir/interfaces on $host: is it an ifupdown host? Pick the backend that manages its network"; fi
	if ! ifu_sources; then die "$ifu_dir/interfaces does not read $ifu_dir/interfaces.d, where the ifupdown backend keeps its stanzas (macvlan-lab never edits the host's own file); add the line: source $ifu_dir/interfaces.d/*"; fi
	if [ ! -d "$ifu_dir/interfaces.d" ]; then die "$ifu_dir/interfaces.d does not exist on $host; make it (mkdir $ifu_dir/interfaces.d) or pick another backend"; fi
}

ifu_need_ifup() {
	if ! command -v ifup >/dev/null 2>&1 || ! command -v ifquery >/dev/null 2>&1; then die "ifupdown is not installed on $host (no ifup, ifquery); install it (apt-get install ifupdown) or pick the backend that manages its network"; fi
}

# ifu_is_up DEV: ifupdown has DEV up (in its state)
ifu_is_up() { ifquery --state "$1" >/dev/null 2>&1; }

# ifu_not_ours FILE: fails when FILE exists and macvlan-lab did not write it
ifu_not_ours() {
	if [ -e "$1" ] && ! grep -q '^# macvlan-lab: ' "$1"; then die "$1 exists and macvlan-lab did not write it; remove or rename it first"; fi
}

# ---- parent NIC

hook_text() {
	printf '#!/bin/sh\n'
	printf '# macvlan-lab: ifupdown runs this after it brings an interface up; it makes %s promiscuous when %s or a VLAN of it comes up, at boot too (written by pulumi; delete removes it)\n' "$nic" "$nic"
	# shellcheck disable=SC2016 # $IFACE is ifupdown's, written as it is
	printf 'case "$IFACE" in %s | %s.*) %s link set dev %s promisc on ;; esac\n' "$(q "$nic")" "$(q "$nic")" "$(q "$(ifu_ip)")" "$(q "$nic")"
}

backend_parent_ready() { :; }

backend_parent_persist() {
	if [ ! -d "$ifu_dir/if-up.d" ]; then
		note "runtime only: there is no $ifu_dir/if-up.d for ifupdown's hooks on $host; $nic stops being promiscuous at the next reboot"
		return 0
	fi
	if [ ! -e "$state/parent-$nic.ifupdown" ]; then
		ifu_not_ours "$(ifu_hook)"
		record "$state/parent-$nic.ifupdown" "$(ifu_hook)"
	fi
	stage "$(ifu_hook)"
	hook_text >"$pending"
	commit "$(ifu_hook)" 755 "$(ifu_hook), which ifupdown runs when $nic (or a VLAN of it) comes up: $nic promiscuous at every boot"
	if command -v ifquery >/dev/null 2>&1 && ! ifquery -i "$ifu_dir/interfaces" "$nic" >/dev/null 2>&1; then
		note "$nic has no stanza in $ifu_dir/interfaces: the hook makes it promiscuous when one of its VLANs comes up"
	fi
}

backend_parent_unpersist() {
	if [ -e "$state/parent-$nic.ifupdown" ]; then
		drop "$(cat "$state/parent-$nic.ifupdown")" "removed $(cat "$state/parent-$nic.ifupdown")"
		forget "$state/parent-$nic.ifupdown"
	fi
}

backend_parent_check() {
	if [ -e "$state/parent-$nic.ifupdown" ]; then
		hook_text >"$work/expected-hook"
		if [ ! -f "$(ifu_hook)" ]; then
			drift "$(ifu_hook) is missing: $nic would not be promiscuous after a reboot"
		elif ! cmp -s "$work/expected-hook" "$(ifu_hook)"; then
			drift "$(ifu_hook) differs from what create writes"
		elif [ ! -x "$(ifu_hook)" ]; then
			drift "$(ifu_hook) is not executable, so ifupdown does not run it"
		fi
	else
		note "runtime only: no ifupdown hook was written for $nic"
	fi
}

# ---- VLAN interface

vlan_stanza() {
	ifu_words "$dev" "$vlan_id" "$parent" "$address" ${gateway:+"$gateway"}
	printf '# macvlan-lab: VLAN %s on %s of %s, written by pulumi (delete removes it)\n' "$vlan_id" "$parent" "$host"
	printf 'auto %s\niface %s inet static\n' "$dev" "$dev"
	printf '\taddress %s\n' "$address"
	if [ -n "$gateway" ] && [ "$defroute" = yes ]; then printf '\tgateway %s\n' "$gateway"; fi
}

backend_vlan_ready() {
	ifu_need
	if [ "$dev" != "$parent.$vlan_id" ]; then die "$dev is not $parent.$vlan_id: ifupdown makes a VLAN only of an interface named <parent>.<id>"; fi
	if [ ! -e "$state/vlan-$dev.state" ]; then ifu_not_ours "$(ifu_vlan_file)"; fi
}

backend_vlan_kernel_ready() { ifu_need_ifup; }

backend_vlan_emulated_how() {
	printf '%s' "$(ifu_vlan_file) is written as on a real host, but instead of ifup the address goes on the lab's pre-created link $dev"
}

backend_vlan_record() { :; }

backend_vlan_persist() {
	if [ "$mode" = kernel ] && [ -f "$(ifu_vlan_file)" ] && ifu_is_up "$dev"; then
		vlan_stanza >"$work/stanza"
		if ! cmp -s "$work/stanza" "$(ifu_vlan_file)"; then
			# ifdown with the stanza it was brought up with, before it changes
			undo "ifup $(q "$dev") || true"
			ifdown "$dev"
			did "$dev is down (ifdown: its stanza changes)"
		fi
	fi
	stage "$(ifu_vlan_file)"
	vlan_stanza >"$pending"
	commit "$(ifu_vlan_file)" 644 "$(ifu_vlan_file)"
}

backend_vlan_up() {
	if ! link_exists "$dev"; then
		undo "ifdown $(q "$dev") 2>/dev/null || true; if ip link show dev $(q "$dev") >/dev/null 2>&1; then ip link delete dev $(q "$dev"); fi"
		ifup "$dev"
		did "$dev is up (ifup $dev)"
	fi
}

backend_vlan_created() {
	note "persistent: ifupdown brings $dev up with $address at every boot ($(ifu_vlan_file))"
}

backend_vlan_forget_profile() { :; }

backend_vlan_down() {
	if [ -f "$(ifu_vlan_file)" ] && command -v ifdown >/dev/null 2>&1 && ifu_is_up "$dev"; then
		ifdown "$dev" || note "ifdown $dev failed; deleting the link with ip"
	fi
}

backend_vlan_unpersist() {
	drop "$(ifu_vlan_file)" "removed $(ifu_vlan_file)"
}

backend_vlan_check() {
	vlan_stanza >"$work/expected"
	if [ ! -f "$(ifu_vlan_file)" ]; then
		drift "$(ifu_vlan_file) is missing: $dev would not come back after a reboot"
	elif ! cmp -s "$work/expected" "$(ifu_vlan_file)"; then
		drift "$(ifu_vlan_file) differs from what create writes:"
		diff -u "$work/expected" "$(ifu_vlan_file)" | sed 's/^/    /'
	fi
	if ! ifu_sources; then drift "$ifu_dir/interfaces does not read $ifu_dir/interfaces.d: ifupdown would not bring $dev up at boot"; fi
	if [ "$mode" = kernel ] && command -v ifquery >/dev/null 2>&1 && ! ifu_is_up "$dev"; then drift "ifupdown does not have $dev up (ifquery --state $dev)"; fi
}

# ---- host shim or router leg (host/link.sh)

link_stanza() {
	ip_cmd=$(ifu_ip)
	# shellcheck disable=SC2086 # the routes, one word each
	ifu_words "$dev" "$address" "$ip" "$ip_cmd" "$parent" "$kind" "$mode" $routes
	printf '# macvlan-lab: %s, written by pulumi (delete removes it)\n' "$role"
	printf 'auto %s\niface %s inet static\n' "$dev" "$dev"
	printf '\taddress %s\n' "$address"
	printf '\tpre-up [ -e /sys/class/net/%s ] || %s link add link %s name %s type %s mode %s\n' \
		"$dev" "$ip_cmd" "$parent" "$dev" "$kind" "$mode"
	for r in $routes; do
		printf '\tup %s route replace %s dev %s src %s\n' "$ip_cmd" "$r" "$dev" "$ip"
	done
	printf '\tpost-down %s link delete dev %s\n' "$ip_cmd" "$dev"
}

backend_link_ready() {
	ifu_need
	ifu_need_ifup
	if [ ! -e "$state/link-$dev.state" ]; then ifu_not_ours "$(ifu_link_file)"; fi
}

backend_link_persist() {
	stage "$(ifu_link_file)"
	link_stanza >"$pending"
	commit "$(ifu_link_file)" 644 "$(ifu_link_file)"
	if ! ifu_is_up "$dev"; then
		undo "ifdown --force $(q "$dev") 2>/dev/null || true"
		ifup "$dev"
		did "$dev is up (ifup $dev)"
	fi
}

backend_link_created() {
	note "persistent: ifupdown makes $dev with $address${routes:+ and its routes} at every boot ($(ifu_link_file))"
}

backend_link_unpersist() {
	if [ -f "$(ifu_link_file)" ] && ifu_is_up "$dev"; then
		ifdown "$dev" || note "ifdown $dev failed; deleting the link with ip"
		did "$dev is down (ifdown $dev)"
	fi
	drop "$(ifu_link_file)" "removed $(ifu_link_file)"
}

backend_link_check() {
	link_stanza >"$work/expected-link"
	if [ ! -f "$(ifu_link_file)" ]; then
		drift "$(ifu_link_file) is missing: $dev would not come back after a reboot"
	elif ! cmp -s "$work/expected-link" "$(ifu_link_file)"; then
		drift "$(ifu_link_file) differs from what create writes"
	fi
	if ! ifu_is_up "$dev"; then drift "ifupdown does not have $dev up (ifquery --state $dev)"; fi
}

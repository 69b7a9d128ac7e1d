# shellcheck shell=sh
# macvlan-lab backend networkd (systemd-networkd): persistent config as .netdev and .network files
# in $nd_dir (/etc/systemd/network), which systemd-networkd reads at boot and on `networkctl reload`.
# - parent NIC: a drop-in for the .network file that networkd applies to the NIC (whichever it is,
#   found with `networkctl status`; never edited): `<its name>.d/90-macvlan-lab-promisc.conf` with
#   [Link] Promiscuous=yes, which networkd applies at every configuration of the NIC, at boot too.
#   Not reloaded (the flag is set now with ip; a reload would reconfigure the NIC for nothing);
# - VLAN: `10-macvlan-lab-<dev>.netdev` (Kind=vlan, Id) and `.network` (its address; a default route
#   only with defaultRoute), and a drop-in of the parent's .network with VLAN=<dev> (networkd creates
#   a VLAN only from its parent's .network); `networkctl reload`, which creates the VLAN (and
#   reconfigures the parent, whose .network changed), then a bounded wait until networkd has it
#   configured. Delete removes the files and reloads (networkd never removes a netdev itself: the
#   link is deleted with ip);
# - host shim or router leg: the same for a macvlan or ipvlan netdev, with the shim's routes as
#   [Route] sections and MACVLAN=/IPVLAN= in a drop-in of its parent's .network.
# Sourced after detect.sh (nd_file_of: the .network file networkd applies to a link).
# Every value written into a file was validated by the renderer and is checked here again against
# the characters such a value can have (nd_words): no line break or section can be slipped in.
# Inputs: $nd_dir; parent: $nic. VLAN: $dev, $parent, $vlan_id, $address, $gateway ('' for none),
# $defroute (yes: the gateway is the default route). Link: $dev, $parent, $kind, $mode, $address,
# $ip, $routes, $role.
# State: $state/parent-<nic>.networkd, the VLAN's state lines (nd_parent=), $state/link-<dev>.networkd
# (the parent's .network file each drop-in belongs to), $state/*.nd-dirs (drop-in directories made).
# shellcheck disable=SC2154 # the thin script assigns the inputs

nd_running() { [ -d /run/systemd/system ] && command -v networkctl >/dev/null 2>&1 && systemctl is-active --quiet systemd-networkd 2>/dev/null; }

# nd_setup_of LINK: networkd's setup state of LINK (configured, configuring, unmanaged, failed, ...)
nd_setup_of() { networkctl list --no-pager --no-legend "$1" 2>/dev/null | awk '{ print $NF; exit }'; }

# nd_words VALUE...: fails unless every VALUE is a word such a file can hold (an interface name,
# an address, a number, a mode): a check in the running shell before a file's text is printed
nd_words() {
	for w in "$@"; do
		case "$w" in
		'' | *[!A-Za-z0-9_.:/-]*) die "refusing to write '$w' into a systemd-networkd file: not an interface name, address, number or mode" ;;
		esac
	done
}

nd_need() {
	if ! nd_running; then die "this backend needs systemd-networkd running (systemctl is-active systemd-networkd), and it is not on $host; pick the backend that manages its network"; fi
}

# nd_parent_file LINK WHAT: the .network file networkd applies to LINK; fails when it manages none
nd_parent_file() {
	f=$(nd_file_of "$1")
	if [ -z "$f" ]; then die "systemd-networkd does not manage $1 on $host (networkctl status $1 shows no .network file), and $2 needs a line in it; pick the backend that manages $1"; fi
	printf '%s' "$f"
}

# nd_dropin NETWORK-FILE NAME: the path of our drop-in NAME for NETWORK-FILE (in $nd_dir, whatever
# directory the file itself is in: networkd looks for drop-ins by the file's name in each of its
# directories)
nd_dropin() { printf '%s/%s.d/%s' "$nd_dir" "$(basename "$1")" "$2"; }

# nd_write FILE TEXT-FUNCTION WHAT: FILE gets what TEXT-FUNCTION prints (mode 644), its directory made
# when missing (recorded in $state/KEY.nd-dirs, KEY the 4th argument, for delete)
nd_write() {
	if [ ! -d "$(dirname "$1")" ]; then
		mkdirs "$(dirname "$1")"
		printf '%s' "$made_dirs" >>"$work/nd-dirs"
		stage "$state/$4.nd-dirs"
		if [ -f "$state/$4.nd-dirs" ]; then cat "$state/$4.nd-dirs" "$work/nd-dirs" >"$pending"; else cat "$work/nd-dirs" >"$pending"; fi
		commit "$state/$4.nd-dirs" 644 ''
		rm -f "$work/nd-dirs"
	fi
	stage "$1"
	"$2" >"$pending"
	commit "$1" 644 "$3"
}

# nd_forget_dirs KEY: removes the drop-in directories create made for KEY, when empty
nd_forget_dirs() {
	if [ -e "$state/$1.nd-dirs" ]; then
		cp "$state/$1.nd-dirs" "$work/nd-dirs-forget"
		rmdirs "$work/nd-dirs-forget"
		forget "$state/$1.nd-dirs"
	fi
}

# nd_reload: networkctl reload (a failed run reloads again after its files are put back); a reload
# that times out on the bus (networkd busy: seen under load, "Connection timed out") is asked again,
# three times at most: a reload only reads the files again
nd_reload() {
	undo "networkctl reload || true"
	nd_try=1
	until networkctl reload; do
		[ "$nd_try" -lt 3 ] || die "networkctl reload failed 3 times: systemd-networkd did not read its files again"
		nd_try=$((nd_try + 1))
		sleep 2
	done
	did "systemd-networkd read its files again (networkctl reload)"
}

# nd_wait_configured LINK: waits (30 s at most, by the clock: under load a poll itself takes long)
# until LINK exists and networkd has configured it; fails when LINK does not appear, notes when
# networkd is still busy with it
nd_wait_configured() {
	deadline=$(($(date +%s) + 30))
	while ! link_exists "$1"; do
		[ "$(date +%s)" -lt "$deadline" ] || die "systemd-networkd did not create $1 within 30 s of networkctl reload (networkctl status $1: $(networkctl status --no-pager "$1" 2>&1 | tr '\n' ' ' | cut -c1-300))"
		sleep 0.2
	done
	while setup=$(nd_setup_of "$1") && [ "$setup" != configured ]; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			note "systemd-networkd has not finished configuring $1 within 30 s (setup state: $setup); setting it with ip"
			return 0
		fi
		sleep 0.5
	done
}

# nd_check_file FILE TEXT-FUNCTION WHY: drift when FILE is missing or not what create writes
nd_check_file() {
	"$2" >"$work/nd-expected"
	if [ ! -f "$1" ]; then
		drift "$1 is missing: $3"
	elif ! cmp -s "$work/nd-expected" "$1"; then
		drift "$1 differs from what create writes:"
		diff -u "$work/nd-expected" "$1" | sed 's/^/    /'
	fi
}

# nd_not_ours FILE: fails when FILE exists and macvlan-lab did not write it (a create of ours with no record)
nd_not_ours() {
	if [ -e "$1" ] && ! grep -q '^# macvlan-lab: ' "$1"; then die "$1 exists and macvlan-lab did not write it; remove or rename it first"; fi
}

# ---- parent NIC

promisc_text() {
	printf '# macvlan-lab: %s promiscuous, applied by systemd-networkd at every configuration of it (at boot too); written by pulumi, delete removes it\n' "$nic"
	printf '[Link]\nPromiscuous=yes\n'
}

backend_parent_ready() { :; }

backend_parent_persist() {
	if [ -e "$state/parent-$nic.networkd" ]; then
		dropin=$(cat "$state/parent-$nic.networkd")
	elif ! nd_running; then
		note "runtime only: systemd-networkd is not running on $host; $nic stops being promiscuous at the next reboot"
		return 0
	else
		file=$(nd_file_of "$nic")
		if [ -z "$file" ]; then
			note "runtime only: systemd-networkd does not manage $nic (no .network file applies to it), and macvlan-lab does not write one for it (the host may be reached through it); $nic stops being promiscuous at the next reboot"
			return 0
		fi
		dropin=$(nd_dropin "$file" 90-macvlan-lab-promisc.conf)
		nd_not_ours "$dropin"
		record "$state/parent-$nic.networkd" "$dropin"
	fi
	nd_write "$dropin" promisc_text "$dropin (Promiscuous=yes for the .network file of $nic; it takes effect at the next configuration of $nic, the flag is set now)" "parent-$nic"
}

backend_parent_unpersist() {
	if [ -e "$state/parent-$nic.networkd" ]; then
		drop "$(cat "$state/parent-$nic.networkd")" "removed $(cat "$state/parent-$nic.networkd")"
		nd_forget_dirs "parent-$nic"
		forget "$state/parent-$nic.networkd"
	fi
}

backend_parent_check() {
	if [ -e "$state/parent-$nic.networkd" ]; then
		nd_check_file "$(cat "$state/parent-$nic.networkd")" promisc_text "$nic would not be promiscuous after a reboot"
	else
		note "runtime only: no systemd-networkd file was written for $nic"
	fi
}

# ---- VLAN interface

nd_netdev() { printf '%s/10-macvlan-lab-%s.netdev' "$nd_dir" "$dev"; }
nd_network() { printf '%s/10-macvlan-lab-%s.network' "$nd_dir" "$dev"; }

vlan_netdev_text() {
	nd_words "$dev" "$vlan_id" "$parent"
	printf '# macvlan-lab: VLAN %s on %s of %s, written by pulumi (delete removes it)\n' "$vlan_id" "$parent" "$host"
	printf '[NetDev]\nName=%s\nKind=vlan\n\n[VLAN]\nId=%s\n' "$dev" "$vlan_id"
}

vlan_network_text() {
	nd_words "$dev" "$address" ${gateway:+"$gateway"}
	printf '# macvlan-lab: VLAN %s on %s of %s, written by pulumi (delete removes it)\n' "$vlan_id" "$parent" "$host"
	printf '[Match]\nName=%s\n\n[Network]\nAddress=%s\n' "$dev" "$address"
	if [ -n "$gateway" ] && [ "$defroute" = yes ]; then
		printf 'Gateway=%s\n' "$gateway"
	elif [ -n "$gateway" ]; then
		printf '# gateway %s is not made the default route (defaultRoute is off)\n' "$gateway"
	fi
}

vlan_dropin_text() {
	nd_words "$dev"
	printf '# macvlan-lab: VLAN %s on %s, created by systemd-networkd from here; written by pulumi, delete removes it\n' "$vlan_id" "$parent"
	printf '[Network]\nVLAN=%s\n' "$dev"
}

backend_vlan_ready() {
	if [ ! -d "$nd_dir" ]; then die "$nd_dir does not exist: is $host a systemd-networkd host? Pick the backend that manages its network"; fi
	if [ ! -e "$state/vlan-$dev.state" ]; then
		nd_not_ours "$(nd_netdev)"
		nd_not_ours "$(nd_network)"
	fi
}

backend_vlan_kernel_ready() {
	nd_need
	nd_parent_file "$parent" "VLAN $vlan_id ($dev)" >/dev/null
}

backend_vlan_emulated_how() {
	printf '%s' "$(nd_netdev) and $(nd_network) are written as on a real host, networkd is not reloaded; the address goes on the lab's pre-created link $dev"
}

backend_vlan_record() {
	if nd_running; then echo "nd_parent=$(nd_file_of "$parent")"; else echo "nd_parent="; fi
}

backend_vlan_persist() {
	before=$changed
	pfile=$(state_get "$state/vlan-$dev.state" nd_parent)
	nd_write "$(nd_netdev)" vlan_netdev_text "$(nd_netdev)" "vlan-$dev"
	nd_write "$(nd_network)" vlan_network_text "$(nd_network)" "vlan-$dev"
	if [ -n "$pfile" ]; then
		nd_write "$(nd_dropin "$pfile" "90-macvlan-lab-$dev.conf")" vlan_dropin_text "$(nd_dropin "$pfile" "90-macvlan-lab-$dev.conf") (VLAN=$dev for the .network file of $parent)" "vlan-$dev"
	else
		note "systemd-networkd does not run here: no drop-in for the .network file of $parent is written"
	fi
}

backend_vlan_up() {
	if [ "$changed" -ne "$before" ]; then nd_reload; fi
	nd_wait_configured "$dev"
}

backend_vlan_created() {
	note "persistent: systemd-networkd makes $dev with $address at every boot ($(nd_netdev), $(nd_network))"
}

backend_vlan_forget_profile() { :; }

backend_vlan_down() { :; }

backend_vlan_unpersist() {
	pfile=$(state_get "$state/vlan-$dev.state" nd_parent)
	if [ -n "$pfile" ]; then drop "$(nd_dropin "$pfile" "90-macvlan-lab-$dev.conf")" "removed $(nd_dropin "$pfile" "90-macvlan-lab-$dev.conf")"; fi
	drop "$(nd_network)" "removed $(nd_network)"
	drop "$(nd_netdev)" "removed $(nd_netdev)"
	nd_forget_dirs "vlan-$dev"
	if [ "$mode" = kernel ] && [ "$changed" -ne 0 ] && nd_running; then nd_reload; fi
}

backend_vlan_check() {
	nd_check_file "$(nd_netdev)" vlan_netdev_text "$dev would not come back after a reboot"
	nd_check_file "$(nd_network)" vlan_network_text "$dev would have no address after a reboot"
	pfile=$(state_get "$state/vlan-$dev.state" nd_parent 2>/dev/null || true)
	if [ -n "$pfile" ]; then nd_check_file "$(nd_dropin "$pfile" "90-macvlan-lab-$dev.conf")" vlan_dropin_text "networkd would not create $dev at boot"; fi
	if [ "$mode" = kernel ]; then
		if ! nd_running; then
			drift "systemd-networkd is not running"
		elif [ "$(nd_setup_of "$dev")" != configured ]; then
			drift "systemd-networkd has not configured $dev (its setup state: $(nd_setup_of "$dev"))"
		fi
	fi
}

# ---- host shim or router leg (host/link.sh)

link_netdev_text() {
	nd_words "$dev" "$kind" "$mode"
	printf '# macvlan-lab: %s, written by pulumi (delete removes it)\n' "$role"
	printf '[NetDev]\nName=%s\nKind=%s\n\n' "$dev" "$kind"
	# networkd's names of the modes: MACVLAN Mode=bridge, IPVLAN Mode=L2|L3|L3S (systemd.netdev(5))
	case $kind in
	macvlan) printf '[MACVLAN]\nMode=%s\n' "$mode" ;;
	*) printf '[IPVLAN]\nMode=%s\n' "$(printf '%s' "$mode" | tr '[:lower:]' '[:upper:]')" ;;
	esac
}

link_network_text() {
	# shellcheck disable=SC2086 # the routes, one word each
	nd_words "$dev" "$address" "$ip" $routes
	printf '# macvlan-lab: %s, written by pulumi (delete removes it)\n' "$role"
	printf '[Match]\nName=%s\n\n[Network]\nAddress=%s\n' "$dev" "$address"
	for r in $routes; do
		printf '\n[Route]\nDestination=%s\nPreferredSource=%s\nScope=link\n' "$r" "$ip"
	done
}

link_dropin_text() {
	nd_words "$dev"
	printf '# macvlan-lab: %s, created by systemd-networkd from here; written by pulumi, delete removes it\n' "$role"
	case $kind in
	macvlan) printf '[Network]\nMACVLAN=%s\n' "$dev" ;;
	*) printf '[Network]\nIPVLAN=%s\n' "$dev" ;;
	esac
}

backend_link_ready() {
	if [ ! -d "$nd_dir" ]; then die "$nd_dir does not exist on $host: is it a systemd-networkd host? Pick the backend that manages its network"; fi
	nd_need
	if [ ! -e "$state/link-$dev.state" ]; then
		nd_not_ours "$(nd_netdev)"
		nd_not_ours "$(nd_network)"
	fi
	nd_parent_file "$parent" "the $role" >/dev/null
}

backend_link_persist() {
	if [ ! -e "$state/link-$dev.networkd" ]; then record "$state/link-$dev.networkd" "$(nd_parent_file "$parent" "the $role")"; fi
	pfile=$(cat "$state/link-$dev.networkd")
	before=$changed
	nd_write "$(nd_netdev)" link_netdev_text "$(nd_netdev)" "link-$dev"
	nd_write "$(nd_network)" link_network_text "$(nd_network)" "link-$dev"
	nd_write "$(nd_dropin "$pfile" "90-macvlan-lab-$dev.conf")" link_dropin_text "$(nd_dropin "$pfile" "90-macvlan-lab-$dev.conf") ($(echo "$kind" | tr '[:lower:]' '[:upper:]')=$dev for the .network file of $parent)" "link-$dev"
	if [ "$changed" -ne "$before" ]; then nd_reload; fi
	nd_wait_configured "$dev"
}

backend_link_created() {
	note "persistent: systemd-networkd makes $dev with $address${routes:+ and its routes} at every boot ($(nd_netdev), $(nd_network))"
}

backend_link_unpersist() {
	if [ -e "$state/link-$dev.networkd" ]; then
		drop "$(nd_dropin "$(cat "$state/link-$dev.networkd")" "90-macvlan-lab-$dev.conf")" "removed $(nd_dropin "$(cat "$state/link-$dev.networkd")" "90-macvlan-lab-$dev.conf")"
		forget "$state/link-$dev.networkd"
	fi
	drop "$(nd_network)" "removed $(nd_network)"
	drop "$(nd_netdev)" "removed $(nd_netdev)"
	nd_forget_dirs "link-$dev"
	if [ "$changed" -ne 0 ] && nd_running; then nd_reload; fi
}

backend_link_check() {
	nd_check_file "$(nd_netdev)" link_netdev_text "$dev would not come back after a reboot"
	nd_check_file "$(nd_network)" link_network_text "$dev would have no address or routes after a reboot"
	if [ -e "$state/link-$dev.networkd" ]; then
		nd_check_file "$(nd_dropin "$(cat "$state/link-$dev.networkd")" "90-macvlan-lab-$dev.conf")" link_dropin_text "networkd would not create $dev at boot"
	fi
	if ! nd_running; then
		drift "systemd-networkd is not running"
	elif [ "$(nd_setup_of "$dev")" != configured ]; then
		drift "systemd-networkd has not configured $dev (its setup state: $(nd_setup_of "$dev"))"
	fi
}

# shellcheck shell=sh
# macvlan-lab backend netplan (netplan.io rendering to systemd-networkd, as Ubuntu servers run it):
# sourced after networkd.sh, whose parent and link functions it keeps (netplan has no promiscuous
# key and no macvlan or ipvlan type: those are networkd drop-ins and files beside what netplan
# renders, which networkd reads as it reads netplan's own). The VLAN is netplan's:
# - a file of our own, $np_dir/90-macvlan-lab-<dev>.yaml (mode 600, as netplan wants its files),
#   defining the VLAN on the parent's netplan id with its address (a default route only with
#   defaultRoute) and `renderer: networkd` for it alone; the host's own netplan files are never
#   edited, and the parent must be defined by them (netplan merges the files);
# - `netplan generate` (renders /run/systemd/network; a file it refuses fails the run, which puts
#   everything back and renders again), then `networkctl reload`, which makes the VLAN and
#   reconfigures the parent (whose rendered .network gained VLAN=); never `netplan apply`, which
#   restarts networkd and replugs the host's links, the management NIC among them.
# Inputs: $np_dir (/etc/netplan), $nd_dir; VLAN: $dev, $parent, $vlan_id, $address, $gateway,
# $defroute (yes: the gateway is the default route). State: the VLAN's state lines (np_link=).
# shellcheck disable=SC2154 # the thin script assigns the inputs

np_file() { printf '%s/90-macvlan-lab-%s.yaml' "$np_dir" "$dev"; }

# np_id_of LINK: the netplan id whose rendered networkd file applies to LINK (empty when none)
np_id_of() {
	f=$(nd_file_of "$1")
	case "$(basename "${f:-x}")" in
	10-netplan-*.network) basename "$f" .network | sed 's/^10-netplan-//' ;;
	esac
}

# np_yaml: the VLAN's netplan file (values checked by nd_words, then double-quoted)
np_yaml() {
	np_link=$(state_get "$state/vlan-$dev.state" np_link)
	nd_words "$dev" "$vlan_id" "$np_link" "$address" ${gateway:+"$gateway"}
	printf '# macvlan-lab: VLAN %s on %s of %s, written by pulumi (delete removes it)\n' "$vlan_id" "$parent" "$host"
	printf 'network:\n  version: 2\n  vlans:\n'
	printf '    "%s":\n' "$dev"
	printf '      renderer: networkd\n'
	printf '      id: %s\n' "$vlan_id"
	printf '      link: "%s"\n' "$np_link"
	printf '      addresses:\n        - "%s"\n' "$address"
	if [ -n "$gateway" ] && [ "$defroute" = yes ]; then
		printf '      routes:\n        - to: "default"\n          via: "%s"\n' "$gateway"
	fi
}

np_generate() {
	if ! out=$(netplan generate 2>&1); then die "netplan generate refused the configuration: $out"; fi
	did "netplan rendered its files again (netplan generate)"
}

backend_vlan_ready() {
	if [ ! -d "$np_dir" ]; then die "$np_dir does not exist: is $host a netplan host? Pick the backend that manages its network"; fi
	if [ ! -e "$state/vlan-$dev.state" ]; then nd_not_ours "$(np_file)"; fi
}

backend_vlan_kernel_ready() {
	if ! command -v netplan >/dev/null 2>&1; then die "netplan is not installed on $host; pick the backend that manages its network"; fi
	nd_need
	if [ -z "$(np_id_of "$parent")" ]; then
		die "netplan does not define $parent on $host (the .network file networkd applies to it is '$(nd_file_of "$parent")', not one netplan rendered); the netplan backend puts VLANs on a link of the host's netplan files: pick the backend that manages $parent"
	fi
}

backend_vlan_emulated_how() {
	printf '%s' "$(np_file) is written as on a real host, netplan does not render it; the address goes on the lab's pre-created link $dev"
}

backend_vlan_record() {
	id=$(np_id_of "$parent")
	echo "np_link=${id:-$parent}"
}

backend_vlan_persist() {
	before=$changed
	if [ "$mode" = kernel ]; then undo "netplan generate || true"; fi
	stage "$(np_file)"
	np_yaml >"$pending"
	commit "$(np_file)" 600 "$(np_file)"
	if [ "$mode" = kernel ] && [ "$changed" -ne "$before" ]; then np_generate; fi
}

backend_vlan_up() {
	if [ "$changed" -ne "$before" ]; then nd_reload; fi
	nd_wait_configured "$dev"
}

backend_vlan_created() {
	note "persistent: netplan renders $dev with $address at every boot ($(np_file)), systemd-networkd makes it"
}

backend_vlan_forget_profile() { :; }

backend_vlan_down() { :; }

backend_vlan_unpersist() {
	if [ "$mode" = kernel ]; then undo "netplan generate || true"; fi
	drop "$(np_file)" "removed $(np_file)"
	if [ "$mode" = kernel ] && [ "$changed" -ne 0 ] && command -v netplan >/dev/null 2>&1; then
		np_generate
		if nd_running; then nd_reload; fi
	fi
}

backend_vlan_check() {
	if [ -e "$state/vlan-$dev.state" ]; then
		nd_check_file "$(np_file)" np_yaml "$dev would not come back after a reboot"
	elif [ ! -f "$(np_file)" ]; then
		drift "$(np_file) is missing: $dev would not come back after a reboot"
	fi
	if [ "$mode" = kernel ]; then
		if ! nd_running; then
			drift "systemd-networkd is not running"
		elif [ "$(nd_setup_of "$dev")" != configured ]; then
			drift "systemd-networkd has not configured $dev (its setup state: $(nd_setup_of "$dev"))"
		fi
	fi
}

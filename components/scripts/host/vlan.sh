# shellcheck shell=sh
# macvlan-lab: the VLAN interface <parent>.<id> of a host with the host's address on it, persisted
# by the backend module sourced with this file (backend_vlan_*), then the address
# (`ip addr replace`) and the link up, whatever the backend left undone.
# Kernels without 802.1Q: create fails before changing anything, unless the lab's marker exists;
# then the lab has pre-created a link named like the VLAN interface with the alias $lab_alias, the
# backend's config is written as on a real host and the address goes on that link (`EMULATED:`).
# Inputs: $host, $dev, $parent, $vlan_id, $address, $state_dir, $state, $marker, $lab_alias (and
# what the backend module reads). Sets $mode: kernel or emulated.
# State: $state/vlan-<dev>.state (mode, and whether create made the link, the address, the up flag;
# plus the backend's lines), and the backend's files.
# shellcheck disable=SC2154 # the thin script assigns the inputs

vlan_create() {
	need_root "creating $dev"
	backend_vlan_ready
	if ! link_exists "$parent"; then die "parent interface $parent of $dev does not exist on $host"; fi
	why=$(vlan_missing)
	if [ -z "$why" ]; then
		mode=kernel
		backend_vlan_kernel_ready
		if link_exists "$dev" && { [ "$(vlan_id_of "$dev")" != "$vlan_id" ] || [ "$(parent_of "$dev")" != "$parent" ]; }; then
			die "$dev exists but is not VLAN $vlan_id on $parent ($(vlan_desc "$dev")); remove it or change the spec"
		fi
	elif [ -e "$marker" ]; then
		mode=emulated
		note "EMULATED: this kernel has no 802.1Q VLAN devices ($why); the lab marker $marker says VLANs are emulated on $host: $(backend_vlan_emulated_how) (ip addr replace, ip link set up)"
		if ! link_exists "$dev"; then die "the lab marker $marker says VLANs are emulated, but the lab has not created the link $dev"; fi
		if [ "$(alias_of "$dev")" != "$lab_alias" ]; then die "$dev is not the lab's emulated VLAN link: its alias is '$(alias_of "$dev")', not '$lab_alias'"; fi
	else
		die "802.1Q VLAN devices are not supported by this kernel: $why. $dev was not created and nothing was changed; load 8021q (CONFIG_VLAN_8021Q) first"
	fi
	state_init
	if [ ! -e "$state/vlan-$dev.state" ]; then
		stage "$state/vlan-$dev.state"
		{
			echo "mode=$mode"
			if link_exists "$dev"; then echo link=existed; else echo link=created; fi
			if has_addr "$dev" "$address"; then echo addr=existed; else echo addr=added; fi
			if has_flag "$dev" UP; then echo up=existed; else echo up=set; fi
			backend_vlan_record
		} >"$pending"
		commit "$state/vlan-$dev.state" 644 ''
	fi
	backend_vlan_persist
	if [ "$mode" = kernel ]; then backend_vlan_up; fi
	if ! has_addr "$dev" "$address"; then
		undo "ip addr del $(q "$address") dev $(q "$dev") 2>/dev/null || true"
		ip addr replace "$address" dev "$dev"
		did "$dev has $address (ip addr replace)"
	fi
	if ! has_flag "$dev" UP; then
		undo "ip link set dev $(q "$dev") down 2>/dev/null || true"
		ip link set dev "$dev" up
		did "$dev is up (ip link set up)"
	fi
	backend_vlan_created
	report "$dev ($mode) has $address and is up" "$dev ($mode) already had $address and was up"
}

vlan_delete() {
	need_root "removing $dev"
	if [ ! -e "$state/vlan-$dev.state" ]; then
		note "nothing changed: no record of $dev in $state (create never ran here, or delete already did)"
		exit 0
	fi
	mode=$(state_get "$state/vlan-$dev.state" mode)
	backend_vlan_forget_profile
	if [ "$mode" = kernel ] && [ "$(state_get "$state/vlan-$dev.state" link)" = created ]; then
		if link_exists "$dev"; then
			backend_vlan_down
			link_gone "$dev"
			did "removed $dev"
		fi
	else
		if [ "$mode" = emulated ]; then note "EMULATED: $dev is the lab's link: its address goes and it is set down; the link itself stays"; fi
		if [ "$(state_get "$state/vlan-$dev.state" addr)" = added ] && has_addr "$dev" "$address"; then
			ip addr del "$address" dev "$dev"
			did "removed $address from $dev"
		fi
		if [ "$(state_get "$state/vlan-$dev.state" up)" = set ] && has_flag "$dev" UP; then
			ip link set dev "$dev" down
			did "$dev is down"
		fi
	fi
	backend_vlan_unpersist
	forget "$state/vlan-$dev.state"
	state_done
	report "$dev is as before create" "$dev was already as before create"
}

vlan_check() {
	why=$(vlan_missing)
	if [ -z "$why" ]; then
		mode=kernel
	elif [ -e "$marker" ]; then
		mode=emulated
		note "EMULATED: this kernel has no 802.1Q VLAN devices ($why); the lab marker $marker says $dev is the lab's pre-created link"
	else
		mode=none
		drift "802.1Q VLAN devices are not supported by this kernel: $why"
	fi
	if ! link_exists "$dev"; then
		drift "$dev is missing"
	else
		if [ "$mode" = emulated ]; then
			if [ "$(alias_of "$dev")" != "$lab_alias" ]; then drift "$dev is not the lab's emulated VLAN link: its alias is '$(alias_of "$dev")', not '$lab_alias'"; fi
		elif [ "$(vlan_id_of "$dev")" != "$vlan_id" ] || [ "$(parent_of "$dev")" != "$parent" ]; then
			drift "$dev should be VLAN $vlan_id on $parent, but $(vlan_desc "$dev")"
		fi
		if ! has_addr "$dev" "$address"; then drift "$dev does not have $address (it has: $(addrs_of "$dev"))"; fi
		if ! has_flag "$dev" UP; then drift "$dev is down"; fi
	fi
	backend_vlan_check
	verdict "$dev with $address"
}

# shellcheck shell=sh
# macvlan-lab backend iproute2: runtime only, no configuration is written. The parent NIC is
# promiscuous and the VLAN interface exists (`ip link add link <parent> name <dev> type vlan id
# <id>`) until the next reboot; nothing brings them back at boot (use ifcfg or nmcli for that),
# and every create and check says so.
# Inputs: VLAN: $dev, $parent, $vlan_id.
# shellcheck disable=SC2154 # the thin script assigns the inputs

# ---- parent NIC

backend_parent_ready() { :; }

backend_parent_persist() {
	note "runtime only: the iproute2 backend keeps no configuration; $nic stops being promiscuous at the next reboot (backend ifcfg or nmcli keeps it)"
}

backend_parent_unpersist() { :; }

backend_parent_check() {
	note "runtime only: the iproute2 backend keeps no configuration"
}

# ---- VLAN interface

backend_vlan_ready() { :; }

backend_vlan_kernel_ready() { :; }

backend_vlan_emulated_how() {
	printf '%s' "instead of ip link add, the address goes on the lab's pre-created link $dev"
}

backend_vlan_record() { :; }

backend_vlan_persist() { :; }

backend_vlan_up() {
	if ! link_exists "$dev"; then
		undo "if ip link show dev $(q "$dev") >/dev/null 2>&1; then ip link delete dev $(q "$dev"); fi"
		ip link add link "$parent" name "$dev" type vlan id "$vlan_id"
		did "created $dev (ip link add link $parent name $dev type vlan id $vlan_id)"
	fi
}

backend_vlan_created() {
	note "runtime only: the iproute2 backend keeps no configuration; $dev and its address are gone after a reboot"
}

backend_vlan_forget_profile() { :; }

backend_vlan_down() { :; }

backend_vlan_unpersist() { :; }

backend_vlan_check() {
	note "runtime only: the iproute2 backend keeps no configuration"
}

# ---- host shim or router leg (host/link.sh)

backend_link_ready() { :; }

backend_link_persist() { :; }

backend_link_created() {
	note "runtime only: the iproute2 backend keeps no configuration; $dev, its address and routes are gone after a reboot (backend nmcli or ifcfg keeps them)"
}

backend_link_unpersist() { :; }

backend_link_check() {
	note "runtime only: the iproute2 backend keeps no configuration"
}

# shellcheck shell=sh
# macvlan-lab: the parent NIC of a host in promiscuous mode, now (`ip link set <nic> promisc on`)
# and after a reboot through the backend (backend_parent_persist / _unpersist / _check of the
# backend module sourced with this file). Never touches the NIC's addresses or routes.
# Inputs: $host, $nic, $state_dir, $state (and what the backend module reads).
# State: $state/parent-<nic>.promisc (the flag before create: on or off), plus the backend's files.
# shellcheck disable=SC2154 # the thin script assigns the inputs

parent_create() {
	need_root "setting $nic promiscuous"
	backend_parent_ready
	if ! link_exists "$nic"; then die "parent interface $nic does not exist on $host; check the host's nic in the stack"; fi
	state_init
	if [ ! -e "$state/parent-$nic.promisc" ]; then
		stage "$state/parent-$nic.promisc"
		if has_flag "$nic" PROMISC; then echo on >"$pending"; else echo off >"$pending"; fi
		commit "$state/parent-$nic.promisc" 644 ''
	fi
	if has_flag "$nic" PROMISC; then
		note "unchanged: $nic is promiscuous"
	else
		undo "ip link set dev $(q "$nic") promisc off"
		ip link set dev "$nic" promisc on
		did "$nic is promiscuous now (ip link set dev $nic promisc on)"
	fi
	backend_parent_persist
	report "$nic is promiscuous" "$nic was already promiscuous"
}

parent_delete() {
	need_root "setting $nic back"
	if [ ! -e "$state/parent-$nic.promisc" ]; then
		note "nothing changed: no record of a create for $nic in $state (it never ran here, or delete already did)"
		exit 0
	fi
	backend_parent_unpersist
	if [ "$(cat "$state/parent-$nic.promisc")" = off ] && has_flag "$nic" PROMISC; then
		ip link set dev "$nic" promisc off
		did "$nic is not promiscuous, as before create"
	fi
	forget "$state/parent-$nic.promisc"
	state_done
	report "$nic is as before create" "$nic was already as before create"
}

parent_check() {
	if ! link_exists "$nic"; then
		drift "parent interface $nic does not exist"
	elif ! has_flag "$nic" PROMISC; then
		drift "$nic is not promiscuous (no PROMISC flag in ip link show dev $nic)"
	fi
	backend_parent_check
	verdict "$nic promiscuous"
}

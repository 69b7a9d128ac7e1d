# shellcheck shell=sh
# macvlan-lab backend nmcli (NetworkManager): persistent config as NetworkManager settings.
# - parent NIC: 802-3-ethernet.accept-all-mac-addresses true on the NIC's active connection
#   (NetworkManager 1.32 and later), which NetworkManager applies each time it activates the
#   connection, at boot too; the running connection is not reapplied (the flag is already set).
#   Where the connection cannot keep it (a NetworkManager older than 1.32, or a connection that lives
#   only in memory under /run, which a modify would write to /etc for good), a dispatcher script
#   instead (nm-dispatcher.sh). NetworkManager rewrites the connection's file on every modify (key
#   order, timestamps): delete puts the setting back, not the file's bytes;
# - VLAN: a VLAN connection profile named $con (`nmcli connection add type vlan`), brought up with
#   `nmcli connection up`; delete removes the profile.
# Inputs: parent: $nic, $dispatcher. VLAN: $con, $dev, $parent, $vlan_id, $address, $gateway ('' for none),
# $never_default (yes or no).
# shellcheck disable=SC2154 # the thin script assigns the inputs

nm_need() {
	if ! nm_running; then die "the nmcli backend needs NetworkManager: nmcli is missing or NetworkManager is not running (use backend ifcfg or iproute2)"; fi
}

# ---- parent NIC

backend_parent_ready() { nm_need; }

backend_parent_persist() {
	uuid=$(nmcli -g UUID,DEVICE connection show --active | awk -F: -v d="$nic" '$2 == d { print $1; exit }')
	if [ -z "$uuid" ]; then
		note "runtime only: no active NetworkManager connection on $nic, and macvlan-lab does not create one for it (the host may be reached through it); $nic stops being promiscuous at the next reboot"
		return 0
	fi
	file=$(nmcli -t -f UUID,FILENAME connection show | awk -F: -v u="$uuid" '$1 == u { sub(/^[^:]*:/, ""); print; exit }')
	if [ -e "$state/parent-$nic.dispatcher" ]; then
		dispatcher_install "kept from create"
	elif ! current=$(nmcli -g 802-3-ethernet.accept-all-mac-addresses connection show uuid "$uuid" 2>/dev/null); then
		dispatcher_install "this NetworkManager has no 802-3-ethernet.accept-all-mac-addresses, added in 1.32"
	elif case "$file" in /run/*) true ;; *) false ;; esac; then
		dispatcher_install "connection $uuid lives in memory ($file): a modify would write it to /etc for good"
	else
		if [ ! -e "$state/parent-$nic.nm" ]; then
			stage "$state/parent-$nic.nm"
			printf '%s %s\n' "$uuid" "$(nm_ternary "$current")" >"$pending"
			commit "$state/parent-$nic.nm" 644 ''
		fi
		if [ "$(nm_ternary "$current")" = true ]; then
			note "unchanged: connection $uuid of $nic keeps it promiscuous (802-3-ethernet.accept-all-mac-addresses)"
		else
			undo "nmcli connection modify uuid $(q "$uuid") 802-3-ethernet.accept-all-mac-addresses $(nm_ternary "$current")"
			nmcli connection modify uuid "$uuid" 802-3-ethernet.accept-all-mac-addresses true
			did "connection $uuid of $nic keeps it promiscuous after a reboot (802-3-ethernet.accept-all-mac-addresses true; the running connection is not reapplied, the flag is already set)"
		fi
	fi
}

backend_parent_unpersist() {
	dispatcher_remove
	if [ -e "$state/parent-$nic.nm" ]; then
		read -r uuid previous <"$state/parent-$nic.nm"
		if ! nm_running; then
			note "NetworkManager is not running: connection $uuid keeps 802-3-ethernet.accept-all-mac-addresses as it is"
		elif current=$(nmcli -g 802-3-ethernet.accept-all-mac-addresses connection show uuid "$uuid" 2>/dev/null); then
			if [ "$(nm_ternary "$current")" != "$previous" ]; then
				nmcli connection modify uuid "$uuid" 802-3-ethernet.accept-all-mac-addresses "$previous"
				did "connection $uuid of $nic has 802-3-ethernet.accept-all-mac-addresses $previous again"
			fi
		else
			note "connection $uuid is gone; nothing to set back"
		fi
		forget "$state/parent-$nic.nm"
	fi
}

backend_parent_check() {
	if [ -e "$state/parent-$nic.dispatcher" ]; then
		dispatcher_check
	elif [ -e "$state/parent-$nic.nm" ]; then
		read -r uuid _ <"$state/parent-$nic.nm"
		if ! nm_running; then
			drift "NetworkManager is not running"
		elif [ "$(nm_ternary "$(nmcli -g 802-3-ethernet.accept-all-mac-addresses connection show uuid "$uuid" 2>/dev/null)")" != true ]; then
			drift "connection $uuid of $nic does not have 802-3-ethernet.accept-all-mac-addresses true: $nic would not be promiscuous after a reboot"
		fi
	else
		note "runtime only: no NetworkManager setting was recorded for $nic"
	fi
}

# ---- VLAN interface

nm_has() { nmcli -g connection.uuid connection show id "$con" >/dev/null 2>&1; }
nm_get() { nmcli -g "$1" connection show id "$con" 2>/dev/null || true; }
nm_want() {
	value=$(nm_get "$1")
	if [ "$value" != "$2" ]; then printf '%s is "%s", not "%s"; ' "$1" "$value" "$2"; fi
}
# nm_drift: how the connection $con differs from the declared one (empty when it does not)
nm_drift() {
	nm_want connection.interface-name "$dev"
	nm_want vlan.parent "$parent"
	nm_want vlan.id "$vlan_id"
	nm_want ipv4.method manual
	nm_want ipv4.addresses "$address"
	if [ -n "$gateway" ]; then
		nm_want ipv4.gateway "$gateway"
		nm_want ipv4.never-default "$never_default"
	fi
}
# nm_set VERB...: nmcli connection VERB... with every declared setting of $con
nm_set() {
	if [ -n "$gateway" ]; then
		set -- "$@" ipv4.gateway "$gateway" ipv4.never-default "$never_default"
	fi
	nmcli connection "$@" connection.interface-name "$dev" vlan.parent "$parent" vlan.id "$vlan_id" ipv4.method manual ipv4.addresses "$address" ipv6.method ignore connection.autoconnect yes
}

backend_vlan_ready() {
	nm_need
	if nm_has && [ ! -e "$state/vlan-$dev.state" ]; then die "a NetworkManager connection named $con exists and macvlan-lab did not create it; delete or rename it first"; fi
}

backend_vlan_kernel_ready() { :; }

backend_vlan_emulated_how() {
	printf '%s' "the NetworkManager connection $con is added as on a real host but not brought up; the address goes on the lab's pre-created link $dev"
}

backend_vlan_record() { echo profile=created; }

backend_vlan_persist() {
	if ! nm_has; then
		undo "nmcli connection delete id $(q "$con") >/dev/null 2>&1 || true"
		nm_set add type vlan con-name "$con"
		did "NetworkManager connection $con (nmcli connection add type vlan ...)"
	elif [ -n "$(nm_drift)" ]; then
		nm_set modify id "$con"
		did "NetworkManager connection $con updated (nmcli connection modify)"
	else
		note "unchanged: NetworkManager connection $con"
	fi
}

backend_vlan_up() {
	if [ "$(nm_get GENERAL.STATE)" != activated ]; then
		nmcli connection up id "$con"
		did "$con is up (nmcli connection up)"
	fi
}

backend_vlan_created() { :; }

backend_vlan_forget_profile() {
	if [ "$(state_get "$state/vlan-$dev.state" profile)" != existed ]; then
		if ! nm_running; then
			note "NetworkManager is not running: the connection $con, if any, is left"
		elif nm_has; then
			nmcli connection delete id "$con"
			did "deleted NetworkManager connection $con"
			nm_wait_gone
		fi
	fi
}

# nm_wait_gone: after `nmcli connection delete`, which returns before NetworkManager has removed the
# software link it made (seen with NetworkManager 1.42: the link still there, then gone while the
# script deleted it), wait a bounded time for $dev to go; the caller removes what is left (link_gone)
nm_wait_gone() {
	if ! wait_link_gone "$dev" 10; then note "NetworkManager has not removed $dev 10 s after its connection was deleted; removing it with ip"; fi
}

backend_vlan_down() { :; }

backend_vlan_unpersist() { :; }

backend_vlan_check() {
	if ! nm_running; then
		drift "NetworkManager is not running"
	elif ! nm_has; then
		drift "there is no NetworkManager connection $con"
	elif [ -n "$(nm_drift)" ]; then
		drift "NetworkManager connection $con differs: $(nm_drift)"
	fi
}

# ---- host shim or router leg (host/link.sh): a connection profile $con of type $kind
# Inputs: $con, $dev, $parent, $kind, $nm_mode (NetworkManager's number for $mode), $address,
# $nm_routes (ipv4.routes, comma-separated, may be empty).

link_nm_set() {
	nmcli connection "$@" connection.interface-name "$dev" "$kind.parent" "$parent" "$kind.mode" "$nm_mode" ipv4.method manual ipv4.addresses "$address" ipv4.routes "$nm_routes" ipv4.never-default yes ipv6.method ignore connection.autoconnect yes
}

backend_link_ready() {
	nm_need
	if nm_has && [ ! -e "$state/link-$dev.state" ]; then die "a NetworkManager connection named $con exists and macvlan-lab did not create it; delete or rename it first"; fi
}

backend_link_persist() {
	if ! nm_has; then
		undo "nmcli connection delete id $(q "$con") >/dev/null 2>&1 || true"
		link_nm_set add type "$kind" con-name "$con"
		did "NetworkManager connection $con ($kind on $parent; NetworkManager brings it up at boot)"
	elif [ "$(nm_get ipv4.addresses)" != "$address" ] || [ "$(nm_get connection.interface-name)" != "$dev" ]; then
		link_nm_set modify id "$con"
		did "NetworkManager connection $con updated"
	fi
	if [ "$(nm_get GENERAL.STATE)" != activated ]; then
		nmcli connection up id "$con"
		did "$con is up (nmcli connection up)"
	fi
}

backend_link_created() { :; }

backend_link_unpersist() {
	if ! nm_running; then
		note "NetworkManager is not running: the connection $con, if any, is left"
	elif nm_has; then
		nmcli connection delete id "$con"
		did "deleted NetworkManager connection $con"
		nm_wait_gone
	fi
}

backend_link_check() {
	if ! nm_running; then
		drift "NetworkManager is not running"
	elif ! nm_has; then
		drift "there is no NetworkManager connection $con: $dev would not come back after a reboot"
	elif [ "$(nm_get ipv4.addresses)" != "$address" ]; then
		drift "NetworkManager connection $con has ipv4.addresses '$(nm_get ipv4.addresses)', not $address"
	fi
}

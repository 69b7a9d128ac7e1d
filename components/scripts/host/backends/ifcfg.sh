# shellcheck shell=sh
# macvlan-lab backend ifcfg (initscripts / network-scripts, and NetworkManager's ifcfg-rh plugin):
# persistent config as ifcfg files in $cfg_dir, brought up with ifup.
# - parent NIC: PROMISC=yes edited into an existing ifcfg-<nic> (as the tutorial does; initscripts
#   do not apply it), and what does apply it at boot: a block in the ifup-local hook $hook, which
#   initscripts' ifup-post runs with the interface name after every ifup (the boot path too); where
#   NetworkManager runs, reads the ifcfg files and the NIC's file has no NM_CONTROLLED=no (CentOS 7's
#   default), ifup hands the NIC to `nmcli connection up` and ifup-post never runs: there a
#   NetworkManager dispatcher script (nm-dispatcher.sh) makes it promiscuous each time it comes up;
# - VLAN: ifcfg-<parent>.<id> written atomically, `nmcli connection reload` when NetworkManager
#   reads ifcfg files, `ifup`; delete: ifdown, the file put back or removed.
# Inputs: parent: $nic, $cfg (ifcfg-<nic>), $hook, $dispatcher. VLAN: $dev, $parent, $vlan_id, $ip, $prefix,
# $gateway ('' for none), $defroute (yes or no), $cfg_dir, $cfg (ifcfg-<dev>).
# shellcheck disable=SC2154 # the thin script assigns the inputs

# ---- parent NIC

backend_parent_ready() { :; }

backend_parent_persist() {
	if [ -f "$cfg" ]; then
		if [ ! -e "$state/parent-$nic.orig" ]; then
			save "$state/parent-$nic.orig"
			cp -p "$cfg" "$state/parent-$nic.orig"
		fi
		stage "$cfg"
		if grep -q '^PROMISC=' "$cfg"; then
			sed 's/^PROMISC=.*/PROMISC=yes/' "$cfg" >"$pending"
		else
			cat "$cfg" >"$pending"
			if [ -n "$(tail -c 1 "$cfg")" ]; then echo >>"$pending"; fi
			echo 'PROMISC=yes' >>"$pending"
		fi
		commit "$cfg" 644 "$cfg with PROMISC=yes, as the tutorial writes it (only that line: addresses and routes untouched)"
		stage "$state/parent-$nic.ours"
		cat "$cfg" >"$pending"
		commit "$state/parent-$nic.ours" 644 ''
		hook_install
		if nm_manages_cfg; then dispatcher_install "NetworkManager reads $cfg, so ifup hands $nic to it and ifup-local does not run"; fi
	else
		note "runtime only: there is no $cfg, and macvlan-lab does not create a connection file for $nic (the host may be reached through it); $nic stops being promiscuous at the next reboot unless its own config keeps it so"
	fi
}

backend_parent_unpersist() {
	hook_remove
	dispatcher_remove
	if [ -e "$state/parent-$nic.orig" ]; then
		if [ ! -f "$cfg" ]; then
			note "$cfg is gone since create; not recreating it"
		elif cmp -s "$cfg" "$state/parent-$nic.ours"; then
			if ! cmp -s "$cfg" "$state/parent-$nic.orig"; then
				save "$cfg"
				put_back "$state/parent-$nic.orig" "$cfg"
				did "$cfg has its bytes from before create again"
			fi
		else
			line=$(grep '^PROMISC=' "$state/parent-$nic.orig" | tail -n 1)
			stage "$cfg"
			if [ -z "$line" ]; then
				grep -vx 'PROMISC=yes' "$cfg" >"$pending" || true
			else
				L="$line" awk '/^PROMISC=/ { print ENVIRON["L"]; next } { print }' "$cfg" >"$pending"
			fi
			commit "$cfg" 644 "$cfg with its PROMISC line as before create (the file was changed since create: those changes are kept)"
		fi
		forget "$state/parent-$nic.orig"
		forget "$state/parent-$nic.ours"
	fi
}

backend_parent_check() {
	if [ ! -f "$cfg" ]; then
		note "runtime only: there is no $cfg"
		return 0
	fi
	if ! grep -qx 'PROMISC=yes' "$cfg"; then drift "$cfg has no PROMISC=yes line"; fi
	if [ ! -f "$hook" ] || ! grep -qF "# macvlan-lab begin $nic:" "$hook"; then
		drift "$hook does not set $nic promiscuous: $nic would not be promiscuous after a reboot"
	elif [ ! -x "$hook" ]; then
		drift "$hook is not executable, so initscripts do not run it: $nic would not be promiscuous after a reboot"
	fi
	if [ -e "$state/parent-$nic.dispatcher" ]; then
		dispatcher_check
	elif nm_manages_cfg; then
		drift "NetworkManager reads $cfg (no NM_CONTROLLED=no), so ifup hands $nic to it and ifup-local does not run, and there is no dispatcher script $dispatcher: $nic would not be promiscuous after a reboot"
	fi
}

# nm_manages_cfg: NetworkManager runs, reads ifcfg files and $cfg does not take the NIC away from it
nm_manages_cfg() {
	nm_reads_ifcfg || return 1
	! grep -Eqx "NM_CONTROLLED=(no|\"no\"|'no')" "$cfg"
}

# hook_header: the first lines of a hook file that create makes
hook_header() {
	printf '#!/bin/sh\n# %s: initscripts run it after every ifup (at boot too) with the interface name\n' "$hook"
}

# hook_block: the lines of the hook that set $nic promiscuous (the ip found now, by its full path)
hook_block() {
	ip_cmd=$(command -v ip)
	case "$ip_cmd" in /*) ;; *) ip_cmd=/sbin/ip ;; esac
	printf '# macvlan-lab begin %s: promiscuous after ifup (initscripts ignore PROMISC=yes)\n' "$nic"
	# shellcheck disable=SC2016 # $1 is the hook's argument, written as it is
	printf 'if [ "$1" = %s ]; then %s link set dev %s promisc on; fi\n' "$(q "$nic")" "$(q "$ip_cmd")" "$(q "$nic")"
	printf '# macvlan-lab end %s\n' "$nic"
}

# hook_without_block FILE: FILE's lines without this NIC's block
hook_without_block() {
	B="# macvlan-lab begin $nic:" E="# macvlan-lab end $nic" awk '
		index($0, ENVIRON["B"]) == 1 { skip = 1; next }
		skip && $0 == ENVIRON["E"] { skip = 0; next }
		!skip { print }' "$1"
}

hook_install() {
	if [ ! -d "$(dirname "$hook")" ]; then
		note "runtime only: there is no $(dirname "$hook") for the ifup-local hook $hook; $nic stops being promiscuous at the next reboot"
		return 0
	fi
	if [ ! -e "$state/parent-$nic.hook" ]; then
		if [ -e "$hook" ]; then
			save "$state/parent-$nic.hook.orig"
			cp -p "$hook" "$state/parent-$nic.hook.orig"
			record "$state/parent-$nic.hook" edited
		else
			record "$state/parent-$nic.hook" created
		fi
	fi
	stage "$hook"
	if [ -f "$hook" ]; then hook_without_block "$hook" >"$pending"; else hook_header >"$pending"; fi
	hook_block >>"$pending"
	commit "$hook" 755 "$hook, which makes $nic promiscuous after every ifup (at boot too)"
	if [ ! -x "$hook" ]; then
		note "WARNING: $hook is not executable, so initscripts do not run it; $nic is not promiscuous after a reboot until it is (chmod +x)"
	fi
}

hook_remove() {
	if [ ! -e "$state/parent-$nic.hook" ]; then return 0; fi
	if [ -f "$hook" ]; then
		stage "$hook"
		hook_without_block "$hook" >"$pending"
		hook_header >"$work/hook-header"
		if [ -e "$state/parent-$nic.hook.orig" ]; then awk '{ print }' "$state/parent-$nic.hook.orig" >"$work/hook-orig"; fi
		if [ "$(cat "$state/parent-$nic.hook")" = created ] && cmp -s "$pending" "$work/hook-header"; then
			rm -f "$pending"
			pending=
			drop "$hook" "removed $hook (create wrote it)"
		elif [ -e "$state/parent-$nic.hook.orig" ] && cmp -s "$pending" "$work/hook-orig"; then
			rm -f "$pending"
			pending=
			save "$hook"
			put_back "$state/parent-$nic.hook.orig" "$hook"
			did "$hook has its bytes from before create again"
		elif cmp -s "$pending" "$hook"; then
			rm -f "$pending"
			pending=
		else
			commit "$hook" 755 "$hook without the lines for $nic"
		fi
	fi
	forget "$state/parent-$nic.hook.orig"
	forget "$state/parent-$nic.hook"
}

# ---- VLAN interface

nm_reload_undo='if nm_reads_ifcfg; then nmcli connection reload; fi'

# cfg_text: the ifcfg file of $dev
cfg_text() {
	cat <<EOT
# macvlan-lab: VLAN $vlan_id on $parent, written by pulumi (delete puts back what was here before)
DEVICE=$dev
NAME=$dev
BOOTPROTO=none
ONBOOT=yes
VLAN=yes
PHYSDEV=$parent
IPADDR=$ip
PREFIX=$prefix
EOT
	if [ -n "$gateway" ]; then printf 'GATEWAY=%s\nDEFROUTE=%s\n' "$gateway" "$defroute"; fi
}

backend_vlan_ready() {
	if [ ! -d "$cfg_dir" ]; then die "$cfg_dir does not exist: is $host an ifcfg (network-scripts) host? Pick the backend that manages its network"; fi
}

backend_vlan_kernel_ready() {
	if ! command -v ifup >/dev/null 2>&1; then die "ifup is not installed: the ifcfg backend brings VLAN interfaces up with ifup (network-scripts, or NetworkManager's ifup); install it or pick another backend"; fi
}

backend_vlan_emulated_how() {
	printf '%s' "$cfg is written as on a real host, but instead of ifup the address goes on the lab's pre-created link $dev"
}

backend_vlan_record() {
	if [ -e "$cfg" ]; then echo file=saved; else echo file=absent; fi
}

backend_vlan_persist() {
	if [ ! -e "$state/vlan-$dev.orig" ] && [ "$(state_get "$state/vlan-$dev.state" file)" = saved ] && [ -e "$cfg" ]; then
		save "$state/vlan-$dev.orig"
		cp -p "$cfg" "$state/vlan-$dev.orig"
	fi
	if [ "$mode" = kernel ]; then undo "$nm_reload_undo"; fi
	before=$changed
	stage "$cfg"
	cfg_text >"$pending"
	commit "$cfg" 644 "$cfg"
}

backend_vlan_up() {
	if [ "$changed" -ne "$before" ] && nm_reads_ifcfg; then
		nmcli connection reload
		did "NetworkManager read the ifcfg files again (nmcli connection reload)"
	fi
	if ! link_exists "$dev"; then
		undo "if ip link show dev $(q "$dev") >/dev/null 2>&1; then ip link delete dev $(q "$dev"); fi"
		if nm_reads_ifcfg; then note "NetworkManager runs and reads $cfg (no NM_CONTROLLED=no in it): ifup hands $dev to NetworkManager (nmcli connection up), as network-scripts' ifup does on such a host"; fi
		ifup "$dev"
		did "$dev is up (ifup $dev)"
	fi
}

backend_vlan_created() { :; }

backend_vlan_forget_profile() { :; }

backend_vlan_down() {
	if command -v ifdown >/dev/null 2>&1 && [ -f "$cfg" ]; then ifdown "$dev" || note "ifdown $dev failed; deleting the link with ip"; fi
}

backend_vlan_unpersist() {
	if [ "$(state_get "$state/vlan-$dev.state" file)" = saved ] && [ -e "$state/vlan-$dev.orig" ]; then
		if [ ! -f "$cfg" ] || ! cmp -s "$cfg" "$state/vlan-$dev.orig"; then
			save "$cfg"
			put_back "$state/vlan-$dev.orig" "$cfg"
			did "$cfg has its bytes from before create again"
		fi
	else
		drop "$cfg" "removed $cfg"
	fi
	if [ "$mode" = kernel ] && [ "$changed" -ne 0 ] && nm_reads_ifcfg; then
		nmcli connection reload
		did "NetworkManager read the ifcfg files again (nmcli connection reload)"
	fi
	forget "$state/vlan-$dev.orig"
}

backend_vlan_check() {
	cfg_text >"$work/expected"
	if [ ! -f "$cfg" ]; then
		drift "$cfg is missing"
	elif ! cmp -s "$work/expected" "$cfg"; then
		drift "$cfg differs from what create writes:"
		diff -u "$work/expected" "$cfg" | sed 's/^/    /'
	fi
}

# ---- host shim or router leg (host/link.sh): network-scripts have no macvlan or ipvlan type, so
# a small systemd unit $unit brings the link back at boot (enabled by the link $wants, as
# `systemctl enable` makes it; `systemctl daemon-reload` when systemd runs).
# Inputs: $unit, $wants, $dev, $parent, $kind, $mode, $address, $ip, $routes, $role.

# unit_text: the unit of $dev
unit_text() {
	ip_cmd=$(command -v ip)
	case "$ip_cmd" in /*) ;; *) ip_cmd=/sbin/ip ;; esac
	cat <<EOT
# macvlan-lab: $role, written by pulumi (delete removes it)
[Unit]
Description=macvlan-lab $role: $dev on $parent
After=network-online.target network.service
Wants=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=$ip_cmd link add link $parent name $dev type $kind mode $mode
ExecStart=-/bin/sh -c 'echo 1 >/proc/sys/net/ipv4/conf/$dev/arp_ignore'
ExecStart=-/bin/sh -c 'echo 1 >/proc/sys/net/ipv4/conf/$parent/arp_ignore'
ExecStart=$ip_cmd addr replace $address dev $dev
ExecStart=$ip_cmd link set dev $dev up
EOT
	for r in $routes; do printf 'ExecStart=%s route replace %s dev %s src %s\n' "$ip_cmd" "$r" "$dev" "$ip"; done
	cat <<EOT
ExecStop=$ip_cmd link delete dev $dev

[Install]
WantedBy=multi-user.target
EOT
}

systemd_runs() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

backend_link_ready() {
	if [ ! -d "$(dirname "$unit")" ]; then die "$(dirname "$unit") does not exist on $host: the ifcfg backend keeps the $role in a systemd unit there (network-scripts have no $kind type); pick backend nmcli or iproute2"; fi
}

backend_link_persist() {
	stage "$unit"
	unit_text >"$pending"
	commit "$unit" 644 "$unit (brings $dev back at boot: network-scripts have no $kind type)"
	if [ ! -L "$wants" ]; then
		mkdirs "$(dirname "$wants")"
		if [ -n "$made_dirs" ]; then record "$state/link-$dev.dirs" "$made_dirs"; fi
		undo "rm -f $(q "$wants")"
		ln -s "$unit" "$wants"
		did "enabled $(basename "$unit") ($wants)"
	fi
	if systemd_runs; then
		undo "systemctl daemon-reload"
		systemctl daemon-reload
	else
		note "systemd is not running on $host: $(basename "$unit") is written and enabled and takes effect at the next boot; $dev is made now with ip"
	fi
}

backend_link_created() { :; }

backend_link_unpersist() {
	drop "$wants" "disabled $(basename "$unit") (removed $wants)"
	if [ -e "$state/link-$dev.dirs" ]; then
		cp "$state/link-$dev.dirs" "$work/link-dirs"
		rmdirs "$work/link-dirs"
		forget "$state/link-$dev.dirs"
	fi
	drop "$unit" "removed $unit"
	if systemd_runs && [ "$changed" -ne 0 ]; then systemctl daemon-reload; fi
}

backend_link_check() {
	unit_text >"$work/expected-unit"
	if [ ! -f "$unit" ]; then
		drift "$unit is missing: $dev would not come back after a reboot"
	elif ! cmp -s "$work/expected-unit" "$unit"; then
		drift "$unit differs from what create writes"
	fi
	if [ ! -L "$wants" ]; then drift "$(basename "$unit") is not enabled ($wants is missing)"; fi
}

# shellcheck shell=sh
# macvlan-lab: a NetworkManager dispatcher script that makes the parent NIC promiscuous each time
# NetworkManager brings it up (at boot too): NetworkManager's own hook, for hosts where it manages
# the NIC but its connection cannot keep the flag itself: an ifcfg host where NetworkManager reads
# the ifcfg files (then network-scripts' ifup hands the device to `nmcli connection up` and returns,
# so ifup-post and the ifup-local hook never run), a NetworkManager older than 1.32 (no
# 802-3-ethernet.accept-all-mac-addresses), a connection NetworkManager generated in memory.
# NetworkManager-dispatcher runs every executable file of its dispatcher.d that root owns and nobody
# else may write, with the interface and the action as arguments (NetworkManager-dispatcher(8)).
# Used by the ifcfg and nmcli backends (sourced before them).
# Inputs: $nic, $dispatcher (the script's path: <dispatcher.d>/90-macvlan-lab-promisc-<nic>), $state.
# State: $state/parent-<nic>.dispatcher (created: create wrote the script).
# shellcheck disable=SC2154 # the thin script assigns the inputs

# dispatcher_text: the script for $nic (the ip found now, by its full path)
dispatcher_text() {
	ip_cmd=$(command -v ip)
	case "$ip_cmd" in /*) ;; *) ip_cmd=/sbin/ip ;; esac
	printf '#!/bin/sh\n'
	printf '# macvlan-lab: NetworkManager runs this with an interface and an action; it makes %s promiscuous each time %s comes up, at boot too (written by pulumi; delete removes it)\n' "$nic" "$nic"
	# shellcheck disable=SC2016 # $1 and $2 are the dispatcher's arguments, written as they are
	printf 'if [ "$1" = %s ] && [ "$2" = up ]; then %s link set dev %s promisc on; fi\n' "$(q "$nic")" "$(q "$ip_cmd")" "$(q "$nic")"
}

# dispatcher_install WHY: writes the script (WHY: for people, why it is needed)
dispatcher_install() {
	dir=$(dirname "$dispatcher")
	if [ ! -d "$dir" ]; then
		note "runtime only: there is no $dir, where NetworkManager's dispatcher scripts go; $nic stops being promiscuous at the next reboot"
		return 0
	fi
	if [ -e "$dispatcher" ] && [ ! -e "$state/parent-$nic.dispatcher" ] && ! grep -q '^# macvlan-lab: ' "$dispatcher"; then
		die "$dispatcher exists and macvlan-lab did not write it; remove or rename it first"
	fi
	if [ ! -e "$state/parent-$nic.dispatcher" ]; then record "$state/parent-$nic.dispatcher" created; fi
	stage "$dispatcher"
	dispatcher_text >"$pending"
	commit "$dispatcher" 755 "$dispatcher, NetworkManager's dispatcher script that makes $nic promiscuous each time it comes up ($1)"
}

dispatcher_remove() {
	if [ -e "$state/parent-$nic.dispatcher" ]; then
		drop "$dispatcher" "removed $dispatcher (create wrote it)"
		forget "$state/parent-$nic.dispatcher"
	fi
}

dispatcher_check() {
	dispatcher_text >"$work/expected-dispatcher"
	if [ ! -f "$dispatcher" ]; then
		drift "$dispatcher is missing: $nic would not be promiscuous after NetworkManager brings it up again (a reboot)"
	elif ! cmp -s "$work/expected-dispatcher" "$dispatcher"; then
		drift "$dispatcher differs from what create writes"
	elif [ ! -x "$dispatcher" ]; then
		drift "$dispatcher is not executable, so NetworkManager does not run it"
	fi
}

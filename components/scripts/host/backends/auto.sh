# shellcheck shell=sh
# macvlan-lab backend auto: the backend of the network stack that really manages the host's parent
# NIC, told by detect_backend (host/backends/detect.sh, the rules the preflight printed before the
# apply), whose module is sourced before the component's own function runs. What create picked is
# recorded for the component ($auto_record), and its delete and check use that record, so a
# component is always undone by the backend that made it, whatever the host runs by then; delete
# removes the record last. A component created while others of the host have records takes their
# backend, so one host never mixes two.
# The thin script of an auto host sources detect.sh and this file instead of a backend's module,
# assigns every backend's inputs, and calls `backend_auto <action>` first (and `backend_auto_done`
# after a delete).
# Inputs: $auto_nic (the host's parent NIC), $auto_record, $lib, and every backend's inputs.
# shellcheck disable=SC2154 # the thin script assigns the inputs

# auto_modules BACKEND: the library modules of BACKEND after detect.sh, in order (the `modules` of
# its HostBackend in components/host/backends/*.ts: a unit test holds the two equal)
auto_modules() {
	case $1 in
	ifcfg) echo host/backends/nm-dispatcher.sh host/backends/ifcfg.sh ;;
	nmcli) echo host/backends/nm-dispatcher.sh host/backends/nmcli.sh ;;
	networkd) echo host/backends/networkd.sh ;;
	netplan) echo host/backends/networkd.sh host/backends/netplan.sh ;;
	ifupdown) echo host/backends/ifupdown.sh ;;
	*) return 1 ;;
	esac
}

# auto_host_backend: the one backend the records of this host's other components name (empty when
# there is none; fails when they name several)
auto_host_backend() {
	names=$(cat "$(dirname "$auto_record")"/*.backend 2>/dev/null | sort -u)
	if [ "$(printf '%s\n' "$names" | sed '/^$/d' | wc -l)" -gt 1 ]; then return 1; fi
	printf '%s' "$names"
}

# backend_auto ACTION: sources the backend this component uses (create: recorded for it)
backend_auto() {
	if [ -f "$auto_record" ]; then
		auto_backend=$(sed -n '1p' "$auto_record")
		auto_why="the backend its create used ($auto_record)"
	elif [ "$1" = delete ]; then
		# create records its pick before it changes anything, and a failed create undoes both
		note "nothing changed: no record of a create by backend auto ($auto_record): it never ran here, or delete already did"
		exit 0
	elif auto_backend=$(auto_host_backend) && [ -n "$auto_backend" ]; then
		auto_why="the backend the other components of this host use (their records in $(dirname "$auto_record"))"
	else
		detect_backend "$auto_nic"
		if [ -z "$detected" ]; then
			die "backend auto cannot tell which network stack manages $auto_nic on $host: $detected_why. Fix: set the host's backend in the stack (ifcfg, nmcli, networkd, netplan, ifupdown, or iproute2 for runtime only)"
		fi
		auto_backend=$detected
		auto_why=$detected_why
	fi
	if ! auto_mods=$(auto_modules "$auto_backend"); then die "backend auto: $auto_record names '$auto_backend', which is not a backend auto picks"; fi
	for m in $auto_mods; do
		# shellcheck disable=SC1090 # a module of the library, named above
		. "$lib/$m"
	done
	note "backend auto: $auto_backend ($auto_why)"
	if [ "$1" = create ] && [ ! -f "$auto_record" ]; then
		state_init
		record "$auto_record" "$auto_backend"
	fi
}

# backend_auto_done: after a delete, the record goes (and the state directory, when that was the last)
backend_auto_done() {
	forget "$auto_record"
	state_done
}

# shellcheck shell=sh
# macvlan-lab: what a host's links, addresses and NetworkManager are (read-only helpers, POSIX sh),
# and link_gone, the one way the scripts remove a link. Sourced after prelude.sh by the host scripts
# and their backends.

link_exists() { ip link show dev "$1" >/dev/null 2>&1; }
# link_gone DEV: DEV is removed (`ip link delete`), or was already gone: another process (a network
# manager that removes it asynchronously after its profile went, such as NetworkManager after
# `nmcli connection delete`) may remove it between our look and our delete, and then `ip link delete`
# fails with "Cannot find device"; that is done, not an error. Fails only when DEV is still there.
link_gone() {
	if link_exists "$1" && ! err=$(ip link delete dev "$1" 2>&1) && link_exists "$1"; then
		die "could not remove $1 (ip link delete: $err)"
	fi
}
# wait_link_gone DEV SECONDS: waits up to SECONDS (by the clock) for DEV to disappear, polled every
# 0.2 s; 1 when it is still there
wait_link_gone() {
	deadline=$(($(date +%s) + $2))
	while link_exists "$1"; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}
# has_flag DEV FLAG: FLAG (PROMISC, UP) is among DEV's link flags
has_flag() {
	case ",$(ip -o link show dev "$1" 2>/dev/null | sed -n 's/^[0-9]*: [^<]*<\([^>]*\)>.*/\1/p')," in
	*",$2,"*) return 0 ;;
	esac
	return 1
}
vlan_id_of() { ip -d link show dev "$1" 2>/dev/null | sed -n 's/^ *vlan protocol [^ ]* id \([0-9]*\).*/\1/p'; }
parent_of() { ip -o link show dev "$1" 2>/dev/null | sed -n 's/^[0-9]*: [^@:]*@\([^:]*\):.*/\1/p'; }
alias_of() { ip link show dev "$1" 2>/dev/null | sed -n 's/^ *alias //p'; }
vlan_desc() {
	if [ -n "$(vlan_id_of "$1")" ]; then
		printf 'it is VLAN %s on %s' "$(vlan_id_of "$1")" "$(parent_of "$1")"
	else
		printf 'it is not an 802.1Q VLAN device'
	fi
}
has_addr() { ip -o -4 addr show dev "$1" 2>/dev/null | grep -qF " inet $2 "; }
addrs_of() {
	has=$(ip -o -4 addr show dev "$1" 2>/dev/null | sed -n 's/.* inet \([^ ]*\) .*/\1/p' | tr '\n' ' ')
	if [ -z "$has" ]; then has='no IPv4 address '; fi
	printf '%s' "$has" | sed 's/ $//'
}
# vlan_missing: prints why this kernel cannot make 802.1Q devices, nothing when it can
vlan_missing() {
	if [ -e /proc/net/vlan/config ]; then return 0; fi
	if ! command -v modprobe >/dev/null 2>&1; then
		printf '%s' '8021q is neither loaded nor built in (no /proc/net/vlan/config) and there is no modprobe to load it'
	elif ! modprobe -n 8021q >/dev/null 2>&1; then
		printf '%s' "8021q is neither loaded nor built in (no /proc/net/vlan/config) and modprobe cannot load it: $(modprobe -n 8021q 2>&1 | tr '\n' ' ')"
	fi
}
nm_running() { command -v nmcli >/dev/null 2>&1 && [ "$(nmcli -t -f RUNNING general 2>/dev/null)" = running ]; }
# nm_reads_ifcfg: NetworkManager runs and reads ifcfg files (its ifcfg-rh plugin; assumed when unsure)
nm_reads_ifcfg() {
	nm_running || return 1
	nmconf=$(NetworkManager --print-config 2>/dev/null) || return 0
	case "$nmconf" in *ifcfg-rh*) return 0 ;; esac
	return 1
}
# nm_ternary VALUE: nmcli's rendering of a ternary setting as true, false or default
nm_ternary() {
	case "$1" in
	'' | *default* | -1*) echo default ;;
	*true* | *yes* | 1*) echo true ;;
	*) echo false ;;
	esac
}

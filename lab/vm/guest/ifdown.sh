#!/bin/sh
# STAND-IN for network-scripts' ifdown (fedora-sysv/initscripts, network-scripts/ifdown-eth),
# installed as /usr/sbin/ifdown in the macvlan-lab VMs. For the static VLAN interfaces the
# macvlan-lab ifcfg backend writes, as ifdown-eth does: flush the device's global addresses,
# set it down, and delete it (`ip link delete DEVICE type vlan`) when VLAN is set and
# /proc/net/vlan/DEVICE exists. A missing ifcfg file is "configuration for <arg> not found", exit 1.
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
dir=/etc/sysconfig/network-scripts
say() { printf 'STAND-IN ifdown (not network-scripts): %s\n' "$*"; }
fail() {
	printf 'STAND-IN ifdown (not network-scripts): %s\n' "$*" >&2
	exit 1
}
[ "$#" -ge 1 ] || fail "Usage: ifdown <configuration>"
cfg=$dir/ifcfg-${1#ifcfg-}
[ -f "$cfg" ] || fail "configuration for $1 not found."
get() { sed -n "s/^$1=//p" "$cfg" | tail -n 1 | sed "s/^[\"']\(.*\)[\"']\$/\1/"; }
DEVICE=$(get DEVICE)
VLAN=$(get VLAN)
[ -n "$DEVICE" ] || fail "no DEVICE in $cfg"
say "taking down $DEVICE from $cfg"
if [ -d "/sys/class/net/$DEVICE" ]; then
	ip addr flush dev "$DEVICE" scope global 2>/dev/null || true
	ip link set dev "$DEVICE" down 2>/dev/null || true
fi
if [ -n "$VLAN" ] && [ -f "/proc/net/vlan/$DEVICE" ]; then
	ip link delete "$DEVICE" type vlan
	say "ip link delete $DEVICE type vlan"
fi

#!/bin/sh
# STAND-IN for network-scripts' ifup (fedora-sysv/initscripts, network-scripts/ifup and ifup-eth),
# installed as /usr/sbin/ifup in the macvlan-lab VMs, which have no network-scripts. It brings up a
# static VLAN interface from /etc/sysconfig/network-scripts/ifcfg-<name> the way those scripts do,
# for the subset the macvlan-lab ifcfg backend writes, and refuses what it does not cover.
# Rules copied, each from those files:
# - ifup: the argument names ifcfg-<arg> in /etc/sysconfig/network-scripts; without it "configuration
#   for <arg> not found", exit 1;
# - ifup: VLAN=yes and DEVICE=<phys>.<vid>: VID and PHYSDEV come from the name; no /proc/net/vlan
#   -> modprobe 8021q, else "No 802.1Q VLAN support available in kernel", exit 1; the physical
#   device must exist; it is set up when down; `ip link add dev DEVICE link PHYSDEV type vlan id VID`
#   unless /proc/net/vlan/DEVICE exists;
# - ifup-eth (BOOTPROTO=none with IPADDR): link up; unless the address is there, a duplicate check
#   `arping -c 2 -w 3 -D -I DEVICE IPADDR` (a reply: "Error, some other host already uses address",
#   exit 1), `ip addr add IPADDR/PREFIX brd + dev DEVICE`, a gratuitous `arping -A -c 1`; a default
#   route via GATEWAY unless DEFROUTE=no; the zeroconf route 169.254.0.0/16 metric 1000+ifindex
#   unless NOZEROCONF is set.
# Not covered (refused with exit 1): DHCP, bonding, bridges, aliases, IPv6, NetworkManager handoff.
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
dir=/etc/sysconfig/network-scripts
say() { printf 'STAND-IN ifup (not network-scripts): %s\n' "$*"; }
fail() {
	printf 'STAND-IN ifup (not network-scripts): %s\n' "$*" >&2
	exit 1
}
[ "$#" -ge 1 ] || fail "Usage: ifup <configuration>"
cfg=$dir/ifcfg-${1#ifcfg-}
[ -f "$cfg" ] || fail "configuration for $1 not found."
# The file is read as data (KEY=value lines), never sourced.
get() { sed -n "s/^$1=//p" "$cfg" | tail -n 1 | sed "s/^[\"']\(.*\)[\"']\$/\1/"; }
DEVICE=$(get DEVICE)
VLAN=$(get VLAN)
BOOTPROTO=$(get BOOTPROTO)
IPADDR=$(get IPADDR)
PREFIX=$(get PREFIX)
GATEWAY=$(get GATEWAY)
DEFROUTE=$(get DEFROUTE)
NOZEROCONF=$(get NOZEROCONF)
say "bringing up $DEVICE from $cfg"
for key in BONDING_OPTS BRIDGE MASTER IPV6INIT IPADDR1 NM_CONTROLLED_ONLY; do
	if [ -n "$(get "$key")" ]; then fail "$key is set in $cfg: not covered by this stand-in"; fi
done
case "$BOOTPROTO" in none | static | '') ;; *) fail "BOOTPROTO=$BOOTPROTO in $cfg: not covered by this stand-in" ;; esac
[ -n "$DEVICE" ] || fail "no DEVICE in $cfg"
if [ "$VLAN" = yes ]; then
	vid=$(printf '%s' "$DEVICE" | sed -n 's/^.*\.\([0-9]\{1,4\}\)$/\1/p')
	[ -n "$vid" ] || fail "VLAN=yes but DEVICE $DEVICE is not <physdev>.<vid>: not covered by this stand-in"
	physdev=${DEVICE%.*}
	if [ ! -d /proc/net/vlan ]; then
		modprobe 8021q >/dev/null 2>&1 || fail "No 802.1Q VLAN support available in kernel for device $DEVICE"
	fi
	ip link show dev "$physdev" >/dev/null 2>&1 || fail "$physdev device $DEVICE does not seem to be present, delaying initialization."
	ip link set dev "$physdev" up
	if [ ! -f "/proc/net/vlan/$DEVICE" ]; then
		ip link add dev "$DEVICE" link "$physdev" type vlan id "$vid" || fail "ERROR: could not add vlan $vid as $DEVICE on dev $physdev"
		say "ip link add dev $DEVICE link $physdev type vlan id $vid"
	fi
fi
ip link show dev "$DEVICE" >/dev/null 2>&1 || fail "$DEVICE does not exist"
if [ -n "$IPADDR" ]; then
	[ -n "$PREFIX" ] || fail "IPADDR without PREFIX in $cfg: not covered by this stand-in"
	ip link set dev "$DEVICE" up || fail "Failed to bring up $DEVICE."
	if ! ip addr ls "$DEVICE" | grep -q "$IPADDR/$PREFIX"; then
		if arping -c 2 -w 3 -D -I "$DEVICE" "$IPADDR" >/dev/null 2>&1; then :; else
			rc=$?
			if [ "$rc" = 1 ]; then fail "Error, some other host already uses address $IPADDR."; fi
		fi
		ip addr add "$IPADDR/$PREFIX" brd + dev "$DEVICE" label "$DEVICE" || fail "Error adding address $IPADDR for $DEVICE."
		say "ip addr add $IPADDR/$PREFIX brd + dev $DEVICE"
	fi
	arping -q -A -c 1 -I "$DEVICE" "$IPADDR" >/dev/null 2>&1 || true
	if [ "$DEFROUTE" != no ] && [ -n "$GATEWAY" ]; then
		ip route replace default via "$GATEWAY" || fail "Error adding default gateway $GATEWAY for $DEVICE."
		say "ip route replace default via $GATEWAY"
	fi
else
	ip link set dev "$DEVICE" up
fi
if [ -z "$NOZEROCONF" ]; then
	ip route add 169.254.0.0/16 dev "$DEVICE" metric $((1000 + $(cat "/sys/class/net/$DEVICE/ifindex"))) scope link
fi
say "$DEVICE is up"

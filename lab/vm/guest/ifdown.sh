#!/bin/sh
# STAND-IN for network-scripts' ifdown (fedora-sysv/initscripts 9.49.53: sysconfig/network-scripts/
# ifdown, ifdown-eth, ifdown-post), installed as /usr/sbin/ifdown in the macvlan-lab VMs, for the
# static Ethernet and VLAN ifcfg files ifup.sh covers; it prints that it stands in on every run.
# lab/vm/guest/IFUP.md keeps the rules, upstream lines (9.49.53's, cited below) and tests.
# Differences, on purpose: the files are read as data, never sourced; route-<dev> files
# (ifdown-routes) are refused; ifdown-post's resolv.conf restore and default-route restore
# (add_default_route) are not done (the product's files set neither DNS nor a default gateway of
# /etc/sysconfig/network).
set -u
PATH=/sbin:/usr/sbin:/bin:/usr/bin # network-functions 7
dir=/etc/sysconfig/network-scripts
standin() { printf 'STAND-IN ifdown (not network-scripts): %s\n' "$*"; }
refuse() {
	printf 'STAND-IN ifdown (not network-scripts): %s\n' "$*" >&2
	exit 1
}
is_false() { case "${1:-}" in [fF] | [nN] | [nN][oO] | [oO][fF][fF] | [fF][aA][lL][sS][eE] | 0) return 0 ;; esac; return 1; }

if [ "$#" -lt 1 ] || [ -z "$1" ]; then
	echo 'usage: ifdown <configuration>' >&2 # ifdown 21-24
	exit 1
fi
standin "taking down $1 as network-scripts 9.49.53 would (lab/vm/guest/IFUP.md)"
# need_config (network-functions 87-113)
CONFIG=
if [ -f "$dir/ifcfg-$1" ]; then
	CONFIG=ifcfg-$1
elif [ -f "$dir/${1##*/}" ]; then
	CONFIG=${1##*/}
else
	for f in "$dir"/ifcfg-*; do
		[ -f "$f" ] || continue
		if grep -q "^[[:space:]]*DEVICE=['\"]\{0,1\}$1['\"]\{0,1\}\([[:space:]#]\|\$\)" "$f"; then CONFIG=${f##*/}; fi
	done
fi
if [ -z "$CONFIG" ] || [ ! -f "$dir/$CONFIG" ]; then
	echo 'usage: ifdown <configuration>' >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo 'Users cannot control this device.' >&2 # ifdown 26-35
	exit 1
fi
get() {
	v=
	for f in /etc/sysconfig/network "$dir/$CONFIG"; do
		[ -f "$f" ] || continue
		line=$(grep "^[[:space:]]*$1=" "$f" | tail -n 1)
		if [ -n "$line" ]; then v=${line#*=}; fi
	done
	case $v in
	\"*\") v=${v#\"} v=${v%\"} ;;
	\'*\') v=${v#\'} v=${v%\'} ;;
	esac
	printf '%s' "$v"
}
DEVICE=$(get DEVICE)
VLAN=$(get VLAN)
BOOTPROTO=$(get BOOTPROTO)
NM_CONTROLLED=$(get NM_CONTROLLED)
REALDEVICE=${DEVICE%%:*}
DEVNAME=${CONFIG#ifcfg-}
for f in "$dir/route-$DEVICE" "$dir/route-$DEVNAME"; do
	if [ -e "$f" ]; then refuse "$f exists: ifdown-post would remove its routes (ifdown-routes); not covered by this stand-in"; fi
done

# source_config's NetworkManager check (network-functions 178-184), then ifdown 44-55
UUID=
if dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.GetNameOwner string:"org.freedesktop.NetworkManager" >/dev/null 2>&1 && [ "$REALDEVICE" != lo ]; then
	dbus-send --system --print-reply --dest=org.freedesktop.NetworkManager /org/freedesktop/NetworkManager/Settings org.freedesktop.NetworkManager.Settings.LoadConnections array:string:"$dir/$CONFIG" >/dev/null 2>&1
	if ! is_false "$NM_CONTROLLED"; then
		UUID=$(dbus-send --system --print-reply --dest=com.redhat.ifcfgrh1 /com/redhat/ifcfgrh1 com.redhat.ifcfgrh1.GetIfcfgDetails string:"$dir/$CONFIG" 2>/dev/null | awk -F '"' '/string / { print $2 }')
	fi
fi
if [ -n "$UUID" ]; then
	if [ -z "$DEVICE" ]; then
		DEVICE=$(nmcli -t --fields uuid,device con show --active | awk -F ':' -v u="$UUID" '$1 == u { print $2 }')
	fi
	unmanaged=no
	if LANG=C nmcli -t --fields GENERAL dev show "$DEVICE" 2>/dev/null | awk -F ':' '/GENERAL.STATE/ { if ($2 == "unmanaged") exit 0 ; else exit 1; }'; then unmanaged=yes; fi
	if [ -n "$DEVICE" ] && [ "$unmanaged" = no ]; then
		if ! LC_ALL=C nmcli -t -f STATE,DEVICE dev status | grep -Eq "^(failed|disconnected|unmanaged|unavailable):$DEVICE\$"; then
			standin "NetworkManager manages $DEVICE: nmcli dev disconnect $DEVICE, as ifdown does"
			nmcli dev disconnect "$DEVICE"
			exit $?
		fi
		exit 0
	fi
fi

if [ -x /sbin/ifdown-pre-local ]; then /sbin/ifdown-pre-local "$DEVICE"; fi # ifdown 57-59

# ---- ifdown-eth
check_device_down() {
	[ ! -d "/sys/class/net/$1" ] && return 0
	if LC_ALL=C ip -o link show dev "$1" 2>/dev/null | grep -q ",UP"; then return 1; fi
	return 0
}
# ifdown-eth 32 (as written upstream: only a VLAN value other than "yes" ends here)
if check_device_down "$DEVICE" && [ "$BOOTPROTO" != dhcp ] && [ "$BOOTPROTO" != bootp ] && [ -n "$VLAN" ] && [ "$VLAN" != yes ]; then exit 0; fi
# ifdown-eth 113-135: every address of the device flushed (not only the configured one), then down
if [ -d "/sys/class/net/$REALDEVICE" ]; then
	label=
	[ "$REALDEVICE" != "$DEVICE" ] && label="label $DEVICE"
	# shellcheck disable=SC2086 # label is words or nothing
	ip addr flush dev "$REALDEVICE" $label scope global 2>/dev/null
	# shellcheck disable=SC2086
	ip -4 addr flush dev "$REALDEVICE" $label scope host 2>/dev/null
	if [ "$REALDEVICE" = "$DEVICE" ]; then ip link set dev "$DEVICE" down 2>/dev/null; fi
fi
retcode=$? # ifdown-eth 136: the status of that block
# ifdown-eth 171-175: ifdown-post when that went well
if [ "$retcode" = 0 ]; then
	if [ "$REALDEVICE" != lo ]; then
		dbus-send --print-reply --system --dest=org.fedoraproject.FirewallD1 /org/fedoraproject/FirewallD1 org.fedoraproject.FirewallD1.zone.removeInterface string:"" string:"$DEVICE" >/dev/null 2>&1
	fi
	if [ -x /sbin/ifdown-local ]; then # ifdown-post 68-70
		standin "/sbin/ifdown-local $DEVICE (ifdown-post)"
		/sbin/ifdown-local "$DEVICE"
	fi
fi
# ifdown-eth 177-182: a VLAN device is deleted
if [ -n "$VLAN" ] && [ -f "/proc/net/vlan/$DEVICE" ]; then
	ip link delete "$DEVICE" type vlan
	standin "ip link delete $DEVICE type vlan"
fi
exit $retcode

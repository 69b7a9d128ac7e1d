#!/bin/sh
# STAND-IN for network-scripts' ifup (fedora-sysv/initscripts 9.49.53, what CentOS 7 ships:
# sysconfig/network-scripts/ifup, ifup-eth, ifup-post and network-functions), installed as
# /usr/sbin/ifup in the macvlan-lab VMs, which have no network-scripts. It follows those scripts
# line by line for static Ethernet and 802.1Q VLAN ifcfg files, prints that it stands in on every
# run, and refuses (exit 1, naming the key) what it does not cover. lab/vm/guest/IFUP.md keeps the
# table of rules, upstream lines and the tests that show them; the line numbers below are 9.49.53's.
# Where it differs from network-scripts, on purpose:
# - the ifcfg files are read as KEY=value data, never sourced (network-functions source_config 119);
# - `arping` and `logger` are found on PATH (upstream: /sbin/arping, /usr/bin/logger), as the VMs
#   have busybox's;
# - NetworkManager is asked through dbus-send and nmcli exactly as network-functions asks it, so on
#   a machine without them (the VMs) NetworkManager counts as not running, as upstream.
set -u
PATH=/sbin:/usr/sbin:/bin:/usr/bin # network-functions 7
dir=/etc/sysconfig/network-scripts
ifup_eth=$dir/ifup-eth # $0 of ifup-eth, which ifup execs by this path (ifup 154-164)

alias=
standin() { printf 'STAND-IN ifup (not network-scripts): %s\n' "$*"; }
refuse() {
	printf 'STAND-IN ifup (not network-scripts): %s\n' "$*" >&2
	exit 1
}
# net_log MESSAGE [LEVEL] [NAME]: network-functions 680-711 (stdout, then syslog)
net_log() {
	level=${2:-err}
	name=${3:-$0}
	case $level in
	debug) txt='DEBUG     ' ;;
	err) txt='ERROR     ' ;;
	warning) txt='WARN      ' ;;
	*) txt='INFO      ' ;;
	esac
	printf '%s: [%s] %s\n' "$txt" "$name" "$1"
	if command -v logger >/dev/null 2>&1; then logger -p "daemon.$level" -t "$name" "$1" 2>/dev/null || true; fi
}
# is_true / is_false: /etc/init.d/functions 650-667
is_true() { case "${1:-}" in [tT] | [yY] | [yY][eE][sS] | [oO][nN] | [tT][rR][uU][eE] | 1) return 0 ;; esac; return 1; }
is_false() { case "${1:-}" in [fF] | [nN] | [nN][oO] | [oO][fF][fF] | [fF][aA][lL][sS][eE] | 0) return 0 ;; esac; return 1; }

if [ "$#" -lt 1 ] || [ -z "$1" ]; then
	echo 'Usage: ifup <configuration>' >&2 # ifup 29-32
	exit 1
fi
standin "bringing up $1 as network-scripts 9.49.53 would (lab/vm/guest/IFUP.md lists every rule and difference)"

# need_config (network-functions 87-113): ifcfg-<arg>, the argument's own name, a file with DEVICE=<arg>
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
	echo "$0: configuration for $1 not found." >&2 # ifup 36-40
	echo 'Usage: ifup <configuration>' >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo 'Users cannot control this device.' >&2 # ifup 42-51 (no usernetctl here)
	exit 1
fi

# The files as data: /etc/sysconfig/network first (ifup 25), the ifcfg file over it (source_config 119).
# get KEY: the last KEY=value line, one layer of matching quotes removed.
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
for key in BONDING_OPTS BRIDGE MASTER SLAVE TEAM_MASTER TEAM_CONFIG IPADDR0 IPADDR1 IPADDR2 SRCADDR DNS1 DNS2 DNS3 DOMAIN DHCPV6C WINDOW EXTRA_ROUTE_OPTS; do
	if [ -n "$(get "$key")" ]; then refuse "$key is set in $dir/$CONFIG: not covered by this stand-in"; fi
done
DEVICE=$(get DEVICE)
TYPE=$(get TYPE)
HWADDR=$(get HWADDR | tr '[:lower:]' '[:upper:]')
MACADDR=$(get MACADDR | tr '[:lower:]' '[:upper:]')
ONBOOT=$(get ONBOOT)
VLAN=$(get VLAN)
VID=$(get VID)
PHYSDEV=$(get PHYSDEV)
BOOTPROTO=$(get BOOTPROTO)
IPADDR=$(get IPADDR)
PREFIX=$(get PREFIX)
NETMASK=$(get NETMASK)
BROADCAST=$(get BROADCAST)
GATEWAY=$(get GATEWAY)
GATEWAYDEV=$(get GATEWAYDEV)
DEFROUTE=$(get DEFROUTE)
METRIC=$(get METRIC)
NOZEROCONF=$(get NOZEROCONF)
NM_CONTROLLED=$(get NM_CONTROLLED)
ARPCHECK=$(get ARPCHECK)
ARPUPDATE=$(get ARPUPDATE)
ARP=$(get ARP)
MTU=$(get MTU)
IPV6INIT=$(get IPV6INIT)
DEVTIMEOUT=$(get DEVTIMEOUT)
REORDER_HDR=$(get REORDER_HDR)
GVRP=$(get GVRP)
case "$TYPE" in '' | Ethernet | Vlan) ;; *) refuse "TYPE=$TYPE in $dir/$CONFIG: not covered by this stand-in (Ethernet and VLAN only)" ;; esac
case "$BOOTPROTO" in bootp | dhcp) refuse "BOOTPROTO=$BOOTPROTO in $dir/$CONFIG: not covered by this stand-in (static addresses only)" ;; esac
if is_true "$IPV6INIT"; then refuse "IPV6INIT=$IPV6INIT in $dir/$CONFIG: not covered by this stand-in (ifup-ipv6)"; fi

# source_config (network-functions 162-184)
[ -z "$DEVICE" ] && [ -n "$HWADDR" ] && DEVICE=$(ip -o link | awk -F ': ' -v m="$HWADDR" 'toupper($0) ~ m { print $2 }')
REALDEVICE=${DEVICE%%:*}
if [ "$DEVICE" != "$REALDEVICE" ]; then ISALIAS=yes; else ISALIAS=no; fi
DEVNAME=${CONFIG#ifcfg-}
# NetworkManager (is_nm_running 300-307, nm_con_load 187-193, get_uuid_by_config 60-63)
_use_nm=false
UUID=
if dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.GetNameOwner string:"org.freedesktop.NetworkManager" >/dev/null 2>&1 && [ "$REALDEVICE" != lo ]; then
	dbus-send --system --print-reply --dest=org.freedesktop.NetworkManager /org/freedesktop/NetworkManager/Settings org.freedesktop.NetworkManager.Settings.LoadConnections array:string:"$dir/$CONFIG" >/dev/null 2>&1
	if ! is_false "$NM_CONTROLLED"; then
		UUID=$(dbus-send --system --print-reply --dest=com.redhat.ifcfgrh1 /com/redhat/ifcfgrh1 com.redhat.ifcfgrh1.GetIfcfgDetails string:"$dir/$CONFIG" 2>/dev/null | awk -F '"' '/string / { print $2 }')
		[ -n "$UUID" ] && _use_nm=true
	fi
fi

# ifup 55-58: `ifup X boot` of a file with ONBOOT=no does nothing
if [ "${2:-}" = boot ] && { [ "$ONBOOT" = no ] || [ "$ONBOOT" = NO ]; }; then exit 0; fi

# ifup 68-75: NetworkManager runs and may manage the file: the connection is handed to it, and
# nothing below runs (no VLAN made here, no ifup-post, no /sbin/ifup-local)
if [ "$_use_nm" = true ] && [ -n "$UUID" ] && [ "$REALDEVICE" != lo ]; then
	if [ -n "$DEVICE" ] && LANG=C nmcli -t --fields device,state dev status 2>/dev/null | grep -q "^\($DEVICE:connected\)\|\($DEVICE:connecting.*\)\$"; then exit 0; fi
	standin "NetworkManager runs and $CONFIG has no NM_CONTROLLED=no: handing $DEVICE to it (nmcli con up uuid $UUID), as ifup does"
	nmcli con up uuid "$UUID"
	exit $?
fi

# is_available (network-functions 325-362) without bonding: the device, else its module alias
# (modprobe -c); 0 present, 1 not after loading the module, 2 no module to load
is_available() {
	[ -z "$1" ] && return 1
	[ -d "/sys/class/net/$1" ] && return 0
	alias=$(modprobe -c 2>/dev/null | awk -v d="$1" '$1 == "alias" && $2 == d { a = $3 } END { print a }')
	case "$alias" in '' | off) return 2 ;; esac
	modprobe "$1" >/dev/null 2>&1 || return 1
	[ -d "/sys/class/net/$1" ] && return 0 || return 1
}
# is_available_wait DEVICE [SECONDS] (network-functions 364-380)
is_available_wait() {
	retry=$(printf '%s' "${2:-}" | sed -n 's/^\([0-9][0-9]*\)$/\1/p')
	is_available "$1" && return 0
	ret=$?
	while [ "0${retry:-0}" -gt 0 ]; do
		sleep 1
		[ -d "/sys/class/net/$1" ] && return 0
		retry=$((retry - 1))
	done
	return $ret
}
# check_device_down (network-functions 457-465)
check_device_down() {
	[ ! -d "/sys/class/net/$1" ] && return 0
	if LC_ALL=C ip -o link show dev "$1" 2>/dev/null | grep -q ",UP"; then return 1; fi
	return 0
}

# ifup 77-144: 802.1Q VLAN
if [ "$VLAN" = yes ] && [ "$ISALIAS" = no ] && [ -n "$DEVICE" ]; then
	if [ -n "$VID" ]; then
		if [ -z "$PHYSDEV" ]; then
			net_log "PHYSDEV should be set for device $DEVICE"
			exit 1
		fi
	else
		VID=
		if printf '%s\n' "$DEVICE" | grep -Eq '^.+\.[0-9]{1,4}$'; then
			VID=$(printf '%s\n' "$DEVICE" | LC_ALL=C sed 's/^.*\.\([0-9][0-9]*\)/\1/')
			PHYSDEV=${DEVICE%.*}
		fi
		if printf '%s\n' "$DEVICE" | grep -Eq '^vlan[0-9]{1,4}?'; then
			VID=$(printf '%s\n' "$DEVICE" | LC_ALL=C sed 's/^vlan0*//')
			if [ -z "$PHYSDEV" ]; then
				net_log "PHYSDEV should be set for device $DEVICE"
				exit 1
			fi
		fi
	fi
	if [ -n "$VID" ]; then
		if [ ! -d /proc/net/vlan ]; then
			if ! modprobe 8021q >/dev/null 2>&1; then
				net_log "No 802.1Q VLAN support available in kernel for device $DEVICE"
				exit 1
			fi
		fi
		is_available_wait "$PHYSDEV" "$DEVTIMEOUT" || {
			# ifup 109-116: 1 (a module that did not bring it) is an error; 2 (nothing to load) is not
			if [ "$?" = 1 ]; then
				net_log "$alias device $DEVICE does not seem to be present, delaying initialization."
				exit 1
			else
				exit 0
			fi
		}
		check_device_down "$PHYSDEV" && ip -o link set dev "$PHYSDEV" up
		if [ ! -f "/proc/net/vlan/$DEVICE" ]; then
			flags=
			if [ "$REORDER_HDR" = no ] || [ "$REORDER_HDR" = 0 ]; then flags="reorder_hdr off"; fi
			if [ "$GVRP" = yes ] || [ "$GVRP" = 1 ]; then flags="$flags gvrp on"; fi
			# shellcheck disable=SC2086 # the flags are words, as upstream passes them
			ip link add dev "$DEVICE" link "$PHYSDEV" type vlan id "$VID" $flags || {
				net_log "ERROR: could not add vlan $VID as $DEVICE on dev $PHYSDEV"
				exit 1
			}
			standin "ip link add dev $DEVICE link $PHYSDEV type vlan id $VID"
		fi
	fi
	if [ -x /usr/lib/systemd/systemd-sysctl ]; then
		/usr/lib/systemd/systemd-sysctl --prefix "/proc/sys/net/ipv4/conf/$DEVICE" --prefix "/proc/sys/net/ipv6/conf/$DEVICE"
	fi
fi

# ifup 150-152
if [ -x /sbin/ifup-pre-local ]; then /sbin/ifup-pre-local "$CONFIG" "${2:-}"; fi

# ---- ifup-eth (ifup 154-164 execs it; its net_log lines name it)
is_available "$REALDEVICE"
if [ -n "$HWADDR" ]; then
	found=$(tr '[:lower:]' '[:upper:]' <"/sys/class/net/$REALDEVICE/address" 2>/dev/null)
	if [ "$found" != "$HWADDR" ] && [ "$found" != "$MACADDR" ]; then
		net_log "Device $DEVICE has different MAC address than expected, ignoring." err "$ifup_eth" # ifup-eth 39-46
		exit 1
	fi
fi
if [ -z "$REALDEVICE" ]; then
	net_log "Device name does not seem to be present." err "$ifup_eth" # ifup-eth 112-115
	exit 1
fi
is_available_wait "$REALDEVICE" "$DEVTIMEOUT" || {
	net_log "Device $DEVICE does not seem to be present, delaying initialization." err "$ifup_eth" # ifup-eth 118-125
	exit 1
}
[ -n "$MACADDR" ] && ip link set dev "$DEVICE" address "$MACADDR" # ifup-eth 131-136
[ -n "$MTU" ] && ip link set dev "$DEVICE" mtu "$MTU"

# IPv4 arithmetic for expand_config's ipcalc calls (network-functions 216-269)
ip2int() {
	old_ifs=$IFS
	IFS=.
	# shellcheck disable=SC2086 # split on dots
	set -- $1
	IFS=$old_ifs
	echo $(((${1:-0} << 24) + (${2:-0} << 16) + (${3:-0} << 8) + ${4:-0}))
}
int2ip() { echo "$((($1 >> 24) & 255)).$((($1 >> 16) & 255)).$((($1 >> 8) & 255)).$(($1 & 255))"; }
prefix2mask() { if [ "$1" -eq 0 ]; then echo 0; else echo $(((0xffffffff << (32 - $1)) & 0xffffffff)); fi; }
mask2prefix() {
	m=$1 n=0
	while [ "$m" -ne 0 ]; do
		n=$((n + (m & 1)))
		m=$((m >> 1))
	done
	echo "$n"
}

if [ -z "$IPADDR" ]; then
	ip link set dev "$REALDEVICE" up # ifup-eth 241-245: a device without an address is only set up
else
	# expand_config: PREFIX from NETMASK (or the class default ipcalc gives), NETMASK from PREFIX, BROADCAST, NETWORK
	if [ -n "$PREFIX" ]; then
		mask=$(prefix2mask "$PREFIX")
	elif [ -n "$NETMASK" ]; then
		mask=$(ip2int "$NETMASK")
		PREFIX=$(mask2prefix "$mask")
	else
		first=${IPADDR%%.*}
		if [ "$first" -lt 128 ]; then PREFIX=8; elif [ "$first" -lt 192 ]; then PREFIX=16; else PREFIX=24; fi
		mask=$(prefix2mask "$PREFIX")
	fi
	addr=$(ip2int "$IPADDR")
	[ -z "$BROADCAST" ] && BROADCAST=$(int2ip $(((addr & mask) | (~mask & 0xffffffff))))
	NETWORK=$(get NETWORK)
	[ -z "$NETWORK" ] && NETWORK=$(int2ip $((addr & mask)))
	arpcheck=$(printf '%s' "$ARPCHECK" | tr '[:upper:]' '[:lower:]')
	arpupdate=$(printf '%s' "$ARPUPDATE" | tr '[:upper:]' '[:lower:]')

	case "$ARP" in yes | YES) ip link set dev "$REALDEVICE" arp on ;; no | NO) ip link set dev "$REALDEVICE" arp off ;; esac
	if ! ip link set dev "$REALDEVICE" up; then
		net_log "Failed to bring up $DEVICE." err "$ifup_eth" # ifup-eth 253-256
		exit 1
	fi
	scope=
	[ "$DEVICE" = lo ] && scope="scope host"

	# ifup-eth 280-294: unless the address is there (a substring match, as upstream's grep), a
	# duplicate check, then `ip addr add`, whose failure is logged and not fatal
	if ! LC_ALL=C ip addr ls "$REALDEVICE" | LC_ALL=C grep -q "$IPADDR/$PREFIX"; then
		if [ "$REALDEVICE" != lo ] && [ "$arpcheck" != no ]; then
			ARPING=$(arping -c 2 -w "${ARPING_WAIT:-3}" -D -I "$REALDEVICE" "$IPADDR")
			if [ $? = 1 ]; then
				# shellcheck disable=SC2086 # unquoted, as upstream: the replies on one line
				ARPINGMAC=$(echo $ARPING | sed -ne 's/.*\[\(.*\)\].*/\1/p')
				net_log "Error, some other host ($ARPINGMAC) already uses address $IPADDR." err "$ifup_eth"
				exit 1
			fi
		fi
		# shellcheck disable=SC2086 # scope is words or nothing, as upstream passes it
		if ! ip addr add "$IPADDR/$PREFIX" brd "${BROADCAST:-+}" dev "$REALDEVICE" $scope label "$DEVICE"; then
			net_log "Error adding address $IPADDR for $DEVICE." err "$ifup_eth"
		fi
	fi
	# ifup-eth 300-305: tell the neighbours (now, and once more 2 s later in the background)
	if ! is_false "$arpupdate" && [ "$REALDEVICE" != lo ]; then
		arping -q -A -c 1 -I "$REALDEVICE" "$IPADDR"
		(
			sleep 2
			arping -q -U -c 1 -I "$REALDEVICE" "$IPADDR"
		) >/dev/null 2>&1 </dev/null &
	fi
	ip addr change "$IPADDR/$PREFIX" dev "$REALDEVICE" valid_lft forever preferred_lft forever # ifup-eth 308

	# ifup-eth 311-326: a default route only when GATEWAY lies in the interface's network
	if [ "$DEFROUTE" != no ] && { [ -z "$GATEWAYDEV" ] || [ "$GATEWAYDEV" = "$REALDEVICE" ]; }; then
		if [ -n "$GATEWAY" ] && [ "$(int2ip $(($(ip2int "$GATEWAY") & mask)))" = "$NETWORK" ]; then
			# shellcheck disable=SC2086 # optional words, as upstream passes them
			ip route replace default ${METRIC:+metric $METRIC} via "$GATEWAY" ${GATEWAYDEV:+dev $GATEWAYDEV} ||
				net_log "Error adding default gateway $GATEWAY for $DEVICE." err "$ifup_eth"
		elif [ "$GATEWAYDEV" = "$DEVICE" ]; then
			# shellcheck disable=SC2086
			ip route replace default ${METRIC:+metric $METRIC} dev "$REALDEVICE" ||
				net_log "Error adding default gateway for $REALDEVICE." err "$ifup_eth"
		fi
	fi
fi

# ifup-eth 330-333: the zeroconf route; when it is there already, `ip` says
# "RTNETLINK answers: File exists" on stderr and ifup goes on (a second ifup still returns 0)
if [ -z "$NOZEROCONF" ] && [ "$ISALIAS" = no ] && [ "$REALDEVICE" != lo ]; then
	ip route add 169.254.0.0/16 dev "$REALDEVICE" metric $((1000 + $(cat "/sys/class/net/$REALDEVICE/ifindex"))) scope link
fi

# ---- ifup-post (ifup-eth 380 execs it)
for f in "$dir/ifcfg-$DEVICE":* "$dir/route-$DEVICE" "$dir/route-$DEVNAME" "$dir/route6-$DEVICE"; do
	if [ -e "$f" ]; then refuse "$f exists: ifup-post would apply it (ifup-aliases, ifup-routes); not covered by this stand-in"; fi
done
# ifup-post 136-142: firewalld is told the interface's zone (nothing listens in the VMs)
if [ "$REALDEVICE" != lo ]; then
	dbus-send --print-reply --system --dest=org.fedoraproject.FirewallD1 /org/fedoraproject/FirewallD1 org.fedoraproject.FirewallD1.zone.changeZoneOfInterface string:"$(get ZONE)" string:"$DEVICE" >/dev/null 2>&1
fi
# ifup-post 147-149: the local hook, with the interface's name
if [ -x /sbin/ifup-local ]; then
	standin "/sbin/ifup-local $DEVICE (ifup-post)"
	/sbin/ifup-local "$DEVICE"
fi
exit 0

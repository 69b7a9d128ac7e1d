# shellcheck shell=sh
# macvlan-lab: which network stack manages a host's parent NIC, for `backend: auto` (read-only,
# POSIX sh). The one definition of the rules: the preflight runs it (its command carries this file
# on stdin, before preflight.sh) to say which backend it picks and why, or to refuse the host; the
# host scripts of an auto host run it (host/backends/auto.sh) to source that backend's module. Also
# nd_file_of and ifu_sources_d, which the networkd, netplan and ifupdown backends and the preflight use.
#
# The rules, each a claim on the NIC; one backend claimed: that one; none or two different: refused.
# - NetworkManager runs and manages the NIC (its device state is neither unmanaged, unavailable nor
#   connected externally): ifcfg when the NIC's active connection is an ifcfg file in $cfg_dir and
#   network-scripts are installed ($cfg_dir/ifup-eth: ifup hands the files to NetworkManager, as on
#   CentOS 7), else nmcli;
# - systemd-networkd runs (systemd is PID 1) and applies a .network file to the NIC: netplan when
#   that file is one netplan rendered (10-netplan-<id>.network) and netplan is installed, else networkd;
# - ifupdown is installed and the host's $ifu_dir/interfaces has a stanza for the NIC (ifquery):
#   ifupdown;
# - network-scripts without NetworkManager managing the NIC: $cfg_dir/ifcfg-<nic> and $cfg_dir/ifup-eth:
#   ifcfg. The local lab's hosts (namespaces of one machine: no init system, no NetworkManager, no
#   ifup) carry its VLAN emulation marker $marker and an ifcfg-<nic> the lab wrote as on the
#   tutorial's CentOS 7: there the marker decides, ifcfg (its files written, nothing brought up by
#   them: the lab brings the links up), whatever else the machine's /etc shows.
# iproute2 is never picked: it keeps nothing across a reboot, so it must be asked for by name.
# Inputs: $cfg_dir (where ifcfg files are), $ifu_dir (/etc/network), $marker. Sets $detected (the
# backend, empty when none can be told) and $detected_why (a sentence for people: why, or why not).
# shellcheck disable=SC2154,SC2034 # the inputs are assigned by the caller, the results read by it

# ifu_sources_d DIR: DIR/interfaces reads DIR/interfaces.d (source DIR/interfaces.d/*, or
# source-directory DIR/interfaces.d), where the ifupdown backend keeps its stanzas
ifu_sources_d() {
	[ -f "$1/interfaces" ] || return 1
	awk -v d="$1/interfaces.d" '
		$1 == "source" && ($2 == d "/*" || $2 == "interfaces.d/*") { f = 1 }
		$1 == "source-directory" && ($2 == d || $2 == d "/" || $2 == "interfaces.d") { f = 1 }
		END { exit !f }' "$1/interfaces"
}

# nd_file_of LINK: the .network file systemd-networkd applies to LINK (empty when it manages none)
nd_file_of() { networkctl status --no-pager "$1" 2>/dev/null | sed -n 's/^ *Network File: \(\/[^ ]*\)$/\1/p' | sed -n '1p'; }

# detect_claim BACKEND WHY: one more claim (the same backend twice is one claim)
detect_claim() {
	case " $detect_claimed " in
	*" $1 "*) return 0 ;;
	esac
	detect_claimed="$detect_claimed $1"
	detect_whys="${detect_whys:+$detect_whys; }$1: $2"
	detected=$1
	detected_why=$2
}

# detect_backend NIC: sets $detected and $detected_why
detect_backend() {
	d_nic=$1
	detected=
	detected_why=
	detect_claimed=
	detect_whys=
	seen=
	if [ -e "$marker" ] && [ -f "$cfg_dir/ifcfg-$d_nic" ]; then
		detected=ifcfg
		detected_why="the local lab's host ($marker says its VLANs are emulated): $cfg_dir/ifcfg-$d_nic as on the tutorial's CentOS 7, the ifcfg files written and the links brought up by the lab, no ifup"
		return 0
	fi
	if command -v nmcli >/dev/null 2>&1 && [ "$(nmcli -t -f RUNNING general 2>/dev/null)" = running ]; then
		st=$(nmcli -t -f DEVICE,STATE device 2>/dev/null | awk -F: -v d="$d_nic" '$1 == d { print $2; exit }')
		seen="${seen}NetworkManager runs ($d_nic: ${st:-not a device of it}); "
		case "$st" in
		'' | unmanaged* | unavailable* | *externally*) ;;
		*)
			f=$(nmcli -t -f DEVICE,FILENAME connection show --active 2>/dev/null | awk -F: -v d="$d_nic" '$1 == d { sub(/^[^:]*:/, ""); print; exit }')
			case "$f" in
			"$cfg_dir"/ifcfg-*)
				if [ -x "$cfg_dir/ifup-eth" ]; then
					detect_claim ifcfg "NetworkManager manages $d_nic from $f and network-scripts are installed: ifcfg files, which ifup hands to NetworkManager"
				else
					detect_claim nmcli "NetworkManager manages $d_nic (from $f; no network-scripts, so its own profiles)"
				fi
				;;
			*) detect_claim nmcli "NetworkManager manages $d_nic (${f:-no active connection})" ;;
			esac
			;;
		esac
	fi
	if [ -d /run/systemd/system ] && command -v networkctl >/dev/null 2>&1 && systemctl is-active --quiet systemd-networkd 2>/dev/null; then
		f=$(nd_file_of "$d_nic")
		seen="${seen}systemd-networkd runs ($d_nic: ${f:-no .network file}); "
		case "$(basename "${f:-x}")" in
		x) ;;
		10-netplan-*.network)
			if command -v netplan >/dev/null 2>&1; then
				detect_claim netplan "systemd-networkd manages $d_nic from $f, which netplan rendered"
			else
				detect_claim networkd "systemd-networkd manages $d_nic from $f (netplan's name, but no netplan is installed)"
			fi
			;;
		*) detect_claim networkd "systemd-networkd manages $d_nic from $f" ;;
		esac
	fi
	if [ -f "$ifu_dir/interfaces" ] && command -v ifquery >/dev/null 2>&1; then
		if ifquery -i "$ifu_dir/interfaces" "$d_nic" >/dev/null 2>&1; then
			detect_claim ifupdown "ifupdown is installed and $ifu_dir/interfaces has a stanza for $d_nic"
		else
			seen="${seen}ifupdown is installed ($ifu_dir/interfaces has no stanza for $d_nic); "
		fi
	fi
	if [ -f "$cfg_dir/ifcfg-$d_nic" ]; then
		if [ -x "$cfg_dir/ifup-eth" ]; then
			case " $detect_claimed " in
			*" nmcli "*) ;;
			*) detect_claim ifcfg "network-scripts are installed and $cfg_dir/ifcfg-$d_nic configures $d_nic" ;;
			esac
		else
			seen="${seen}$cfg_dir/ifcfg-$d_nic exists but network-scripts are not installed (no $cfg_dir/ifup-eth); "
		fi
	fi
	# shellcheck disable=SC2086 # the claimed backends, one word each
	set -- $detect_claimed
	if [ "$#" -gt 1 ]; then
		detected=
		detected_why="more than one network stack claims $d_nic ($detect_whys)"
	elif [ "$#" -eq 0 ]; then
		detected_why="no network stack that keeps configuration manages $d_nic (${seen:-no NetworkManager, no systemd-networkd, no ifupdown, no network-scripts found}); backend auto never picks iproute2, which keeps nothing"
		detected_why=$(printf '%s' "$detected_why" | sed 's/; )/)/')
	fi
}

#!/bin/sh
# Prints what a VM's network and files look like, for before/after comparisons by the harness:
# links (ip -d -j link), addresses, routes of every table, the loaded modules, the sysctls the
# product sets (IPv4 forwarding, every interface's arp_ignore), the rules of every iptables table
# the kernel has (iptables -S per table of the legacy backend; none before ip_tables is loaded, and
# this never loads it; on a userland VM also the nft backend's tables, when nf_tables is loaded),
# and every file under /etc, /var/lib, /root and /tmp with its type, mode and (regular files)
# checksum. Neighbour entries and rule counters are left out (they come and go with traffic). Each
# part starts with a line "== <name>". Few processes: under TCG every exec costs tens of milliseconds.
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
dirs="/etc /var/lib /root /tmp"
echo "== links"
ip -d -j link show
echo
echo "== addresses"
ip -j addr show
echo
echo "== routes"
ip -j route show table all
echo
echo "== modules"
cut -d ' ' -f 1 /proc/modules | sort
echo "== sysctls"
grep -H . /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/*/arp_ignore
echo "== iptables"
if [ -r /proc/net/ip_tables_names ]; then
	sort /proc/net/ip_tables_names | while IFS= read -r table; do
		echo "-t $table"
		iptables-legacy -w -t "$table" -S
	done
fi
# Debian 12's own `iptables` (a userland VM's) is the nft backend: its tables, when nf_tables is
# loaded (never loading it), without the save's comment lines and with the counters zeroed
if command -v iptables-nft-save >/dev/null 2>&1; then
	echo "== nft"
	if [ -d /sys/module/nf_tables ]; then
		iptables-nft-save | sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]/[0:0]/'
	fi
fi
echo "== files"
# shellcheck disable=SC2086 # the directory list is split on purpose
{
	find $dirs -xdev -exec stat -c 'entry %F %a %N' {} +
	find $dirs -xdev -type f -exec md5sum {} + | sed 's/^/md5 /'
} | sort

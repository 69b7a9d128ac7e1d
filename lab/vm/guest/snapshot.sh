#!/bin/sh
# Prints what a VM's network and files look like, for before/after comparisons by the harness:
# links (ip -d -j link), addresses, routes of every table, the loaded modules, and every file under
# /etc, /var/lib, /root and /tmp with its type, mode and (regular files) checksum. Neighbour entries
# are left out (they come and go with traffic). Each part starts with a line "== <name>". Few
# processes: under TCG every exec costs tens of milliseconds.
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
echo "== files"
# shellcheck disable=SC2086 # the directory list is split on purpose
{
	find $dirs -xdev -exec stat -c 'entry %F %a %N' {} +
	find $dirs -xdev -type f -exec md5sum {} + | sed 's/^/md5 /'
} | sort

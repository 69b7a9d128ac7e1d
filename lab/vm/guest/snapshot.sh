#!/bin/sh
# Prints what a VM's network and files look like, for before/after comparisons by the harness:
# links (ip -d -j link), addresses, routes of every table, the loaded modules, and every file under
# /etc, /var/lib, /root and /tmp with its mode and checksum. Neighbour entries are left out (they
# come and go with traffic). Each part starts with a line "== <name>".
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
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
find /etc /var/lib /root /tmp -xdev | sort | while IFS= read -r f; do
	if [ -L "$f" ]; then
		printf 'link %s -> %s\n' "$f" "$(readlink "$f")"
	elif [ -d "$f" ]; then
		printf 'dir %s %s\n' "$(stat -c %a "$f")" "$f"
	else
		printf 'file %s %s %s\n' "$(stat -c %a "$f")" "$(md5sum <"$f" | cut -d ' ' -f 1)" "$f"
	fi
done

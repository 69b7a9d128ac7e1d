#!/bin/sh
# Turns a Debian root made by mmdebstrap (lab/vm/userland-image.ts) into the userland VMs' common
# disk, run on the build machine as root: ROOT is the root directory, GUEST this directory.
# - the lab's agent (agent.sh on the virtio serial port, started by udev: macvlan-lab-agent.service
#   and 60-macvlan-lab-agent.rules) and snapshot.sh under /usr/lib/macvlan-lab;
# - every network stack the image has disabled (NetworkManager, systemd-networkd, ifupdown's
#   networking.service and their wait-online units): a VM's preparation enables the one it runs
#   (lab/vm/guest/userland-init.sh), the others stay off;
# - units a small VM does not need off (getty on tty1, where no one types; the fstrim and
#   dpkg-db-backup timers);
# - /etc/fstab for the root on /dev/vda, /etc/network/interfaces as Debian's installer writes it
#   with the loopback only, an empty /etc/machine-id (each VM's preparation writes its own).
# Usage: userland-customize.sh ROOT GUEST
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
[ "$#" -eq 2 ] || {
	echo "usage: userland-customize.sh ROOT GUEST" >&2
	exit 2
}
root=$1
guest=$2
[ -x "$root/lib/systemd/systemd" ] || {
	echo "userland-customize.sh: $root has no systemd" >&2
	exit 1
}
install -d -m 0755 "$root/usr/lib/macvlan-lab"
install -m 0755 "$guest/agent.sh" "$guest/snapshot.sh" "$root/usr/lib/macvlan-lab/"
install -m 0644 "$guest/macvlan-lab-agent.service" "$root/etc/systemd/system/macvlan-lab-agent.service"
install -m 0644 "$guest/60-macvlan-lab-agent.rules" "$root/etc/udev/rules.d/60-macvlan-lab-agent.rules"

off=""
for unit in NetworkManager.service NetworkManager-wait-online.service NetworkManager-dispatcher.service \
	systemd-networkd.service systemd-networkd.socket systemd-networkd-wait-online.service \
	networking.service ifupdown-wait-online.service getty@tty1.service fstrim.timer dpkg-db-backup.timer; do
	if [ -e "$root/lib/systemd/system/$unit" ]; then off="$off $unit"; fi
done
# shellcheck disable=SC2086 # the unit list is split on purpose
chroot "$root" systemctl disable --quiet $off
for unit in NetworkManager.service systemd-networkd.service networking.service; do
	state=$(chroot "$root" systemctl is-enabled "$unit" || true)
	[ "$state" = disabled ] || {
		echo "userland-customize.sh: $unit is $state after disable" >&2
		exit 1
	}
done

printf '%s\n' '/dev/vda / ext4 rw,relatime 0 0' >"$root/etc/fstab"
cat >"$root/etc/network/interfaces" <<'INTERFACES'
# This file describes the network interfaces available on your system
# and how to activate them. For more information, see interfaces(5).

source /etc/network/interfaces.d/*

# The loopback network interface
auto lo
iface lo inet loopback
INTERFACES
: >"$root/etc/machine-id"
printf '%s\n' localhost >"$root/etc/hostname"

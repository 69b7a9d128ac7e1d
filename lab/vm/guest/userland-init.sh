#!/bin/sh
# PID 1 of a userland VM's initramfs (lab/vm/userland.ts; busybox's sh): Debian's cloud kernel has
# ext4 built in but virtio-blk as a module, so this loads the disk's driver (the modules listed in
# /boot-modules, in modprobe's order, with busybox insmod), mounts /dev/vda read-write and hands
# over to the disk's systemd (switch_root /sbin/init). Every boot and every reboot runs it, as a
# Debian host runs its initramfs-tools initramfs.
#
# With `macvlan_lab.prepare` on the kernel command line it prepares the disk instead, before the
# VM's first boot: it copies the files under /prepare/root/ onto the disk (the host's own files: hostname, machine
# id, the management NIC's name and its network stack's config), enables the units named in
# /prepare/enable with the disk's own systemctl (chroot), says `macvlan-lab initramfs: prepare: done`
# on the console and powers off (qemu runs with -no-reboot and ends).
set -u
PATH=/bin
export PATH
say() { echo "macvlan-lab initramfs: $*" >/dev/console; }
fail() {
	say "$*"
	sync
	poweroff -f
	sleep 5
	exit 1
}
mount -t proc proc /proc || fail "cannot mount /proc"
mount -t sysfs sysfs /sys || fail "cannot mount /sys"
mount -t devtmpfs devtmpfs /dev || fail "cannot mount /dev"
while IFS= read -r module; do
	insmod "$module" || fail "insmod $module failed"
done </boot-modules
tries=0
until [ -b /dev/vda ]; do
	tries=$((tries + 1))
	if [ "$tries" -gt 200 ]; then fail "no /dev/vda after 20 s (virtio-blk did not appear)"; fi
	sleep 0.1
done
mkdir -p /newroot
mount -t ext4 -o rw /dev/vda /newroot || fail "cannot mount /dev/vda"
case " $(cat /proc/cmdline) " in
*" macvlan_lab.prepare "*)
	# file by file (cp -p: mode and owner), so the disk's directories keep their own attributes
	(cd /prepare/root && find . -type f) | while IFS= read -r f; do
		mkdir -p "/newroot/${f%/*}" && cp -p "/prepare/root/$f" "/newroot/$f" || exit 1
	done || fail "prepare: copying the host's files failed"
	{ mount --bind /proc /newroot/proc && mount --bind /sys /newroot/sys && mount --bind /dev /newroot/dev; } ||
		fail "prepare: cannot bind /proc, /sys, /dev"
	units=$(cat /prepare/enable)
	if [ -n "$units" ]; then
		# shellcheck disable=SC2086 # the unit list is split on purpose (unit names have no blanks)
		chroot /newroot systemctl enable $units >/dev/console 2>&1 || fail "prepare: systemctl enable $units failed"
	fi
	umount /newroot/dev /newroot/sys /newroot/proc
	sync
	umount /newroot || fail "prepare: cannot unmount /dev/vda"
	say "prepare: done"
	poweroff -f
	sleep 5
	exit 0
	;;
esac
umount /sys /proc
mount --move /dev /newroot/dev || fail "cannot move /dev"
exec switch_root /newroot /sbin/init

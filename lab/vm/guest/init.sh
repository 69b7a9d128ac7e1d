#!/bin/sh
# PID 1 of a macvlan-lab VM (lab/vm): mounts the kernel's file systems, loads the NIC's driver with
# the real modprobe (kmod, modules.dep made by depmod when the image was built), waits for the
# trunk NIC eth0, then hands the control channel (a virtio serial port, /dev/vport*p1) to the
# agent, which runs the harness's commands. Kernel messages go to the serial console (ttyS0). If anything here fails, the VM
# powers off (qemu runs with -no-reboot) after saying why on the console.
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

fail() {
	echo "macvlan-lab init: $*" >/dev/console
	reboot -f
	sleep 5
	exit 1
}

mount -t proc proc /proc || fail "cannot mount /proc"
mount -t sysfs sysfs /sys || fail "cannot mount /sys"
mount -t devtmpfs devtmpfs /dev || fail "cannot mount /dev"
mount -t tmpfs -o mode=0755 tmpfs /run || fail "cannot mount /run"
mount -t tmpfs -o mode=1777 tmpfs /tmp || fail "cannot mount /tmp"
ip link set dev lo up || fail "cannot set lo up"

# The trunk NIC is virtio-net on PCI: its driver and bus are modules of the cloud kernel.
modprobe -a virtio_pci virtio_net virtio_console || fail "modprobe virtio_pci virtio_net virtio_console failed"
tries=0
while ! ip link show dev eth0 >/dev/null 2>&1; do
	tries=$((tries + 1))
	if [ "$tries" -gt 100 ]; then fail "no eth0 after 10 s (virtio-net did not appear)"; fi
	sleep 0.1
done
port=
tries=0
while [ -z "$port" ]; do
	for p in /dev/vport*p1; do
		if [ -c "$p" ]; then port=$p; fi
	done
	tries=$((tries + 1))
	if [ -z "$port" ] && [ "$tries" -gt 100 ]; then fail "no virtio serial port /dev/vport*p1 after 10 s"; fi
	if [ -z "$port" ]; then sleep 0.1; fi
done
echo "macvlan-lab init: eth0 is here, agent on $port" >/dev/console
/lib/macvlan-lab/agent.sh "$port"
fail "the agent exited ($?)"

#!/bin/sh
# Makes a freshly booted macvlan-lab VM look like the stack's host before anything of the product
# runs on it: its hostname, the trunk NIC renamed to the stack's NIC name (eth0 -> ens33) and up
# with the host's management address (untagged on the trunk), and, as on a RHEL/CentOS host with
# network-scripts, /etc/sysconfig/network-scripts/ifcfg-<nic> for that NIC and an empty
# /etc/modules-load.d. Usage: host-start.sh HOST NIC ADDRESS/PREFIX (checked by the harness).
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
[ "$#" -eq 3 ] || {
	echo "usage: host-start.sh HOST NIC ADDRESS/PREFIX" >&2
	exit 2
}
host=$1
nic=$2
address=$3
hostname "$host"
printf '%s\n' "$host" >/etc/hostname
if [ "$nic" != eth0 ]; then ip link set dev eth0 name "$nic"; fi
ip link set dev "$nic" up
# virtio_net reports its carrier a moment after the link is up: wait for it (10 s at most), so the
# VM's start, and the snapshot taken of it, is the NIC up with its carrier, not a passing moment
tries=0
until [ "$(cat "/sys/class/net/$nic/carrier" 2>/dev/null)" = 1 ] && [ "$(cat "/sys/class/net/$nic/operstate")" = up ]; do
	tries=$((tries + 1))
	if [ "$tries" -gt 100 ]; then
		echo "host $host: $nic has no carrier 10 s after it was set up" >&2
		exit 1
	fi
	sleep 0.1
done
ip addr add "$address" dev "$nic"
mkdir -p /etc/sysconfig/network-scripts /etc/modules-load.d /var/lib
cat >"/etc/sysconfig/network-scripts/ifcfg-$nic" <<CFG
TYPE=Ethernet
BOOTPROTO=none
NAME=$nic
DEVICE=$nic
ONBOOT=yes
IPADDR=${address%/*}
PREFIX=${address#*/}
CFG
echo "host $host: $nic $address"

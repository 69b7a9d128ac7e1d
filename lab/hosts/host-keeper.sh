#!/bin/bash
# Runs as the first process of one lab host, already inside the host's network namespace and in
# fresh mount + UTS namespaces (started as:
#   nsenter --net=/run/netns/NS unshare --mount --uts --propagation private host-keeper.sh ...).
# It builds the host's private view of the file system, sets the hostname, writes READY_FILE and
# then becomes the long-lived keeper (`sleep infinity` under a recognisable argv[0]) that holds the
# mount and UTS namespaces, so `nsenter -t <keeper pid> -m -u -n` enters the same host later.
#
# Nothing here changes the real machine: every mount is private to this mount namespace, /etc,
# /root and /var/lib get copy-on-write overlays whose upper layers live in the host's state dir,
# and the per-host directories are bind-mounted over them.
#
# usage: host-keeper.sh LAB HOST HOST_STATE_DIR
set -euo pipefail
lab=$1 host=$2 dir=$3

fail() { echo "host-keeper[$host]: $*" >&2; exit 1; }
[ -d "$dir" ] || fail "no state dir $dir"
cd /

# 1. Copies of /run/netns/* mounts hold references to every lab's network namespaces: drop them.
if mountpoint -q /run/netns; then umount -l /run/netns; fi

# 2. A sysfs of this network namespace (so /sys/class/net lists the host's own links), keeping the
#    cgroup mounts dockerd needs (a bare `mount -t sysfs` hides them: what breaks `ip netns exec`).
mkdir -p "$dir/mnt/cgroup"
mount --rbind /sys/fs/cgroup "$dir/mnt/cgroup"
umount -l /sys
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount --move "$dir/mnt/cgroup" /sys/fs/cgroup

# 3. Copy-on-write views of the directories that hold mount points missing on the real machine.
for d in /etc /root /var/lib; do
  o="$dir/overlay${d//\//_}"
  mkdir -p "$o/upper" "$o/work"
  mount -t overlay overlay -o "lowerdir=$d,upperdir=$o/upper,workdir=$o/work" "$d"
done

# 4. The per-host directories (copies prepared in the state dir) over the shared ones.
bind() { mkdir -p "$2"; mount --bind "$1" "$2"; }
bind "$dir/fs/etc/docker"          /etc/docker
bind "$dir/fs/etc/ssh"             /etc/ssh
bind "$dir/fs/etc/sysconfig"       /etc/sysconfig
bind "$dir/fs/etc/NetworkManager"  /etc/NetworkManager
bind "$dir/fs/etc/modules-load.d"  /etc/modules-load.d
bind "$dir/fs/root/.ssh"           /root/.ssh
bind "$dir/fs/var/lib/docker"      /var/lib/docker
bind "$dir/fs/var/lib/macvlan-lab" /var/lib/macvlan-lab
bind "$dir/fs/run"                 /run

# 5. Identity.
hostname "$host"
echo "$host" > /etc/hostname
cp "$dir/hosts" /etc/hosts
rm -f /etc/resolv.conf # (in the overlay) the real resolver is out of the lab's reach: none
cp "$dir/resolv.conf" /etc/resolv.conf

echo "$$" > "$dir/keeper.pid"
exec -a "macvlan-lab-keeper:$lab:$host" sleep infinity

#!/bin/bash
# Runs as the first process of one lab host (or of the lab's controller), already inside its
# network namespace and in fresh mount + UTS namespaces, started as
#   nsenter --net=/run/netns/NS unshare --mount --uts --propagation private host-keeper.sh LAB HOST DIR
#   nsenter --net=/run/netns/NS unshare --mount --uts --propagation slave host-keeper.sh LAB @controller DIR
# It builds the private view of the file system, sets the hostname, writes DIR/keeper.pid and then
# becomes the long-lived keeper (`sleep infinity` under the argv[0] `macvlan-lab-keeper:LAB:HOST`)
# that holds the mount and UTS namespaces, so `nsenter -t <keeper pid> -m -u -n` enters it later.
#
# Nothing here changes the real machine: every mount is made in this mount namespace and none
# propagates back; /etc, /root (and /var/lib and /usr/sbin for hosts) get copy-on-write overlays
# whose upper layers live in DIR (/usr/sbin: what the program writes to /sbin on a host, such as
# initscripts' /sbin/ifup-local hook, stays in the host), and the per-host directories of DIR/fs are bind-mounted over them. /root is
# not the real one at all: a fresh home (DIR/fs/root: .ssh, a minimal .bashrc and .profile), so no
# login shell in the lab runs the real machine's shell start-up files (pyenv, cargo, ...).
#
# A host also gets its own /run (so no copy of /run/netns pins other namespaces); the controller
# keeps the machine's /run as a slave mount, so `ip netns` and nsenter --net=/run/netns/X work there.
set -euo pipefail
lab=$1 host=$2 dir=$3

fail() { echo "host-keeper[$host]: $*" >&2; exit 1; }
[ -d "$dir" ] || fail "no state dir $dir"
cd /
controller=false
[ "$host" = "@controller" ] && controller=true

# 1. Copies of /run/netns/* mounts hold references to every lab's network namespaces: drop them
#    in a host (its /run is replaced below anyway).
if ! $controller && mountpoint -q /run/netns; then umount -l /run/netns; fi

# 2. A sysfs of this network namespace (so /sys/class/net lists its own links), keeping the cgroup
#    mounts dockerd needs (a bare `mount -t sysfs` hides them: what breaks `ip netns exec`).
mkdir -p "$dir/mnt/cgroup"
mount --rbind /sys/fs/cgroup "$dir/mnt/cgroup"
umount -l /sys
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount --move "$dir/mnt/cgroup" /sys/fs/cgroup

# 3. Copy-on-write views of the directories that hold mount points missing on the real machine,
#    and of /usr/sbin (/sbin on Debian 12), where hosts get files of their own.
overlays="/etc /var/lib /usr/sbin"
$controller && overlays="/etc"
for d in $overlays; do
  o="$dir/overlay${d//\//_}"
  mkdir -p "$o/upper" "$o/work"
  mount -t overlay overlay -o "lowerdir=$d,upperdir=$o/upper,workdir=$o/work" "$d"
done

# 4. The per-host directories (prepared in DIR/fs) over the shared ones.
bind() { mkdir -p "$2"; mount --bind "$1" "$2"; }
[ -d "$dir/fs/root/.ssh" ] || fail "no $dir/fs/root/.ssh"
bind "$dir/fs/root" /root
if ! $controller; then
  bind "$dir/fs/etc/docker"          /etc/docker
  bind "$dir/fs/etc/ssh"             /etc/ssh
  bind "$dir/fs/etc/sysconfig"       /etc/sysconfig
  bind "$dir/fs/etc/NetworkManager"  /etc/NetworkManager
  bind "$dir/fs/etc/modules-load.d"  /etc/modules-load.d
  bind "$dir/fs/var/lib/docker"      /var/lib/docker
  bind "$dir/fs/var/lib/macvlan-lab" /var/lib/macvlan-lab
  bind "$dir/fs/run"                 /run
fi

# 5. Identity.
name=$host
$controller && name="$lab-controller"
hostname "$name"
echo "$name" > /etc/hostname
cp "$dir/hosts" /etc/hosts
rm -f /etc/resolv.conf # (in the overlay) the real resolver is out of the lab's reach: none
cp "$dir/resolv.conf" /etc/resolv.conf

echo "$$" > "$dir/keeper.pid"
exec -a "macvlan-lab-keeper:$lab:$host" sleep infinity

#!/bin/bash
# Builds the root file systems of the lab's two images from Debian packages, as tar files that
# `docker import` turns into images (nothing can be pulled on these machines):
#   OUT/busybox.tar   busybox-static: /bin/busybox and a symlink per applet (sh, ping, sleep, ip, wget, ...)
#   OUT/registry.tar  docker-registry: /bin/registry, the libraries `ldd` lists, a config serving
#                     :5000 from /var/lib/registry, plus the busybox applets for debugging
# usage: build-images.sh OUT
set -euo pipefail
out=$1
busybox=/bin/busybox
registry=/usr/bin/docker-registry
[ -x "$busybox" ] || { echo "build-images: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }
[ -x "$registry" ] || { echo "build-images: $registry missing (apt-get install docker-registry)" >&2; exit 1; }
"$busybox" --list >/dev/null
work=$(mktemp -d "$out/build.XXXXXX")
trap 'rm -rf "$work"' EXIT

rootfs_busybox() { # DIR: a minimal busybox root file system
  local d=$1
  mkdir -p "$d/bin" "$d/etc" "$d/tmp" "$d/root" "$d/proc" "$d/sys" "$d/dev" "$d/var"
  chmod 1777 "$d/tmp"
  cp "$busybox" "$d/bin/busybox"
  local a
  for a in $("$busybox" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$d/bin/$a"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$d/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$d/etc/group"
}

rootfs_busybox "$work/busybox"
tar --numeric-owner -C "$work/busybox" -cf "$out/busybox.tar" .

d=$work/registry
rootfs_busybox "$d"
cp "$registry" "$d/bin/registry"
for lib in $(ldd "$registry" | grep -o '/[^ ]*'); do
  mkdir -p "$d$(dirname "$lib")"
  cp -L "$lib" "$d$lib"
done
mkdir -p "$d/etc/docker/registry" "$d/var/lib/registry"
printf 'hosts: files dns\n' > "$d/etc/nsswitch.conf"
cat > "$d/etc/docker/registry/config.yml" <<'YAML'
version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
YAML
tar --numeric-owner -C "$d" -cf "$out/registry.tar" .

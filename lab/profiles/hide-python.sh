#!/bin/sh
# Profile tutorial-leftovers (lab/profiles.ts): a host with no python, as a minimal CentOS 7 may be.
# Run inside a lab host's own mount namespace (private propagation: the machine is not touched).
# Every python* entry of /usr/bin (and so of /bin, a link to it on Debian 12) is hidden by an
# overlay mounted over /usr/bin whose upper layer holds one whiteout per name (a 0:0 character
# device, overlayfs's mark of a removed entry). Fails unless python is then gone from every PATH
# directory and from `command -v`.
set -eu
wh=/run/macvlan-lab-profile/no-python
mkdir -p "$wh"
for p in /usr/bin/python*; do
    { [ -e "$p" ] || [ -L "$p" ]; } || continue
    [ -e "$wh/${p##*/}" ] || mknod "$wh/${p##*/}" c 0 0
done
if ! grep -q " /usr/bin overlay .*lowerdir=$wh" /proc/self/mounts; then
    mount -t overlay -o "ro,lowerdir=$wh:/usr/bin" overlay /usr/bin
fi
IFS=:
for d in $PATH /usr/bin /bin; do
    for p in "$d"/python*; do
        if [ -e "$p" ]; then
            echo "still there: $p" >&2
            exit 1
        fi
    done
done
unset IFS
if command -v python3 >/dev/null 2>&1 || command -v python >/dev/null 2>&1; then
    echo "python is still on PATH: $(command -v python3 || command -v python)" >&2
    exit 1
fi
printf 'no python:'
for f in "$wh"/*; do printf ' %s' "${f##*/}"; done
echo

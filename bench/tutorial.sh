#!/bin/bash
# The tutorial's section 4.2 (the multi-VLAN lab) as a plain shell script: its commands one after
# another, each in its own ssh session from the lab's controller, as a person following the
# tutorial would type them. With the corrections the stack makes: docker02's containers use .11 and
# .21 (the tutorial's step 6 repeats docker01's addresses), the pull names the registry's port, the
# registry trust goes into daemon.json with a SIGHUP (instead of the systemd unit and a restart),
# no GATEWAY= in the ifcfg files, and the isolation ping the stack's checks also run.
#
# For bench/tutorial.bench.ts, inside the lab's controller (whose /root/.ssh/config names every host):
#   VLAN_MODE=emulated|8021q nsenter -t <controller keeper pid> -m -u -n bash bench/tutorial.sh
# VLAN_MODE=emulated: the kernel has no 802.1Q; the lab pre-made a link per VLAN named like the VLAN
# interface, so modprobe and `ip link add ... type vlan` are skipped (with a note) and the address
# goes on that link (as the product does in the lab).
set -euo pipefail
REG=192.168.1.11:5000
VLAN_MODE=${VLAN_MODE:-emulated}
declare -A sessions=()

note() { printf '%s %s\n' "$(date +%T.%3N)" "$*"; }
# one ssh session per tutorial command
on() {
  local h=$1
  shift
  sessions[$h]=$((${sessions[$h]:-0} + 1))
  ssh -o BatchMode=yes -o ConnectTimeout=10 "$h" "$@"
}

declare -A vlan_ip=(
  [docker01/10]=192.168.10.10 [docker01/20]=192.168.20.20
  [docker02/10]=192.168.10.11 [docker02/20]=192.168.20.21
)

for h in docker01 docker02; do
  note "[$h] ip link set ens33 promisc on"
  on "$h" ip link set ens33 promisc on
  if [ "$VLAN_MODE" = emulated ]; then
    note "[$h] modprobe 8021q: SKIPPED (EMULATED VLANs: this kernel has no 802.1Q)"
  else
    note "[$h] modprobe 8021q"
    on "$h" modprobe 8021q
  fi
  for v in 10 20; do
    ip=${vlan_ip[$h/$v]}
    note "[$h] ifcfg-ens33.$v"
    on "$h" "mkdir -p /etc/sysconfig/network-scripts && cat > /etc/sysconfig/network-scripts/ifcfg-ens33.$v" <<EOF
DEVICE=ens33.$v
NAME=ens33.$v
BOOTPROTO=none
ONBOOT=yes
VLAN=yes
PHYSDEV=ens33
IPADDR=$ip
PREFIX=24
EOF
    if [ "$VLAN_MODE" = emulated ]; then
      note "[$h] ens33.$v up with $ip/24 (EMULATED: the lab's link instead of ifup)"
      on "$h" "ip addr add $ip/24 dev ens33.$v && ip link set ens33.$v up"
    else
      note "[$h] ens33.$v up with $ip/24"
      on "$h" "ip link add link ens33 name ens33.$v type vlan id $v && ip addr add $ip/24 dev ens33.$v && ip link set ens33.$v up"
    fi
  done
  for v in 10 20; do
    note "[$h] docker network create mac_net$v"
    on "$h" docker network create -d macvlan --subnet "172.16.$v.0/24" --gateway "172.16.$v.1" -o "parent=ens33.$v" "mac_net$v" >/dev/null
  done
done

note "[docker01] registry on :5000"
on docker01 docker run -d -p 5000:5000 --restart=always --name registry -v registry-data:/var/lib/registry registry:2 >/dev/null

for h in docker01 docker02; do
  note "[$h] insecure-registries in daemon.json, SIGHUP"
  on "$h" "python3 -c 'import json; p=\"/etc/docker/daemon.json\"; d=json.load(open(p)); r=d.setdefault(\"insecure-registries\", []); r.append(\"$REG\") if \"$REG\" not in r else None; json.dump(d, open(p, \"w\"), indent=2)' \
    && kill -HUP \$(cat /run/docker.pid) \
    && for i in \$(seq 1 50); do docker info --format '{{json .RegistryConfig.IndexConfigs}}' | grep -q '\"$REG\"' && exit 0; sleep 0.1; done; echo 'dockerd did not reload' >&2; exit 1"
done

note "[docker01] docker tag busybox:latest $REG/busybox:v1; docker push"
on docker01 "docker tag busybox:latest $REG/busybox:v1 && for i in \$(seq 1 50); do docker push $REG/busybox:v1 >/dev/null 2>&1 && exit 0; sleep 0.2; done; docker push $REG/busybox:v1"
note "[docker02] docker pull $REG/busybox:v1"
on docker02 docker pull -q "$REG/busybox:v1" >/dev/null

run_bbox() { # host name network ip
  note "[$1] docker run $2 on $3 with $4"
  on "$1" docker run -d --restart=always --name "$2" --network "$3" --ip "$4" "$REG/busybox:v1" sleep infinity >/dev/null
}
run_bbox docker01 bbox10 mac_net10 172.16.10.10
run_bbox docker01 bbox20 mac_net20 172.16.20.20
run_bbox docker02 bbox10 mac_net10 172.16.10.11
run_bbox docker02 bbox20 mac_net20 172.16.20.21

ping_ok() { # host container address
  note "[$1] $2 ping $3"
  on "$1" docker exec "$2" ping -c 3 -W 5 "$3" >/dev/null
}
ping_ok docker01 bbox10 172.16.10.11
ping_ok docker01 bbox20 172.16.20.21
ping_ok docker02 bbox10 172.16.10.10
ping_ok docker02 bbox20 172.16.20.20
note "[docker01] bbox10 ping 172.16.20.21 (must fail: another VLAN)"
if on docker01 docker exec bbox10 ping -c 3 -W 5 172.16.20.21 >/dev/null; then
  echo "FAIL: docker01/bbox10 reached docker02/bbox20 across VLANs" >&2
  exit 1
fi

printf 'ssh sessions per host:'
for h in docker01 docker02; do printf ' %s=%s' "$h" "${sessions[$h]}"; done
printf '\n'

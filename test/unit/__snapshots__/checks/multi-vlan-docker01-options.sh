set -eu
# macvlan-lab: connectivity checks from docker01
lib='/srv/lib'
host='docker01'
count='1'
wait='2'
quick='1'
limit='13'
docker_argv=''\''docker'\'' '\''-H'\'' '\''unix:///run/x y.sock'\'''
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/checks/ping.sh"
start 'docker01' 'bbox10' 'docker02' 'bbox10' '172.16.10.11' 'mac_net10' 'reachable'
start 'docker01' 'bbox20' 'docker02' 'bbox20' '172.16.20.21' 'mac_net20' 'reachable'
start 'docker01' 'bbox10' 'docker02' 'bbox20' '172.16.20.21' 'mac_net10->mac_net20' 'unreachable'
checks_end

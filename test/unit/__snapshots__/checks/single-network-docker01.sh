set -eu
# macvlan-lab: connectivity checks from docker01
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker01'
count='3'
wait='5'
quick='1'
limit='18'
docker_argv='docker'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/checks/ping.sh"
start 'docker01' 'bbox1' 'docker02' 'bbox2' '172.22.16.20' 'mac_net1' 'reachable'
checks_end

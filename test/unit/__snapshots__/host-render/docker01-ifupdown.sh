# ==== parent create
set -eu
# macvlan-lab: parent interface ens33 of docker01, promiscuous (ifupdown): create
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker01'
nic='ens33'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
ifu_dir='/etc/network'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/detect.sh"
. "$lib/host/backends/ifupdown.sh"
. "$lib/host/parent.sh"
parent_create
# ==== parent delete
set -eu
# macvlan-lab: parent interface ens33 of docker01, promiscuous (ifupdown): delete
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker01'
nic='ens33'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
ifu_dir='/etc/network'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/detect.sh"
. "$lib/host/backends/ifupdown.sh"
. "$lib/host/parent.sh"
parent_delete
# ==== parent check
set -eu
# macvlan-lab: parent interface ens33 of docker01, promiscuous (ifupdown): check
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker01'
nic='ens33'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
ifu_dir='/etc/network'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/detect.sh"
. "$lib/host/backends/ifupdown.sh"
. "$lib/host/parent.sh"
parent_check
# ==== 8021q create
set -eu
# macvlan-lab: 8021q (802.1Q VLAN support) on docker01, now and at boot: create
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker01'
conf_dir='/etc/modules-load.d'
conf='/etc/modules-load.d/8021q.conf'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
marker='/run/macvlan-lab/vlan-emulation'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/kernel-module.sh"
module_create
# ==== 8021q delete
set -eu
# macvlan-lab: 8021q (802.1Q VLAN support) on docker01, now and at boot: delete
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker01'
conf_dir='/etc/modules-load.d'
conf='/etc/modules-load.d/8021q.conf'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
marker='/run/macvlan-lab/vlan-emulation'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/kernel-module.sh"
module_delete
# ==== 8021q check
set -eu
# macvlan-lab: 8021q (802.1Q VLAN support) on docker01, now and at boot: check
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker01'
conf_dir='/etc/modules-load.d'
conf='/etc/modules-load.d/8021q.conf'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
marker='/run/macvlan-lab/vlan-emulation'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/kernel-module.sh"
module_check
# ==== ens33.10 create
set -eu
# macvlan-lab: VLAN interface ens33.10 (VLAN 10 on ens33) of docker01 with 192.168.10.10/24 (ifupdown): create
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker01'
dev='ens33.10'
parent='ens33'
vlan_id='10'
address='192.168.10.10/24'
ifu_dir='/etc/network'
gateway=''
defroute='no'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
marker='/run/macvlan-lab/vlan-emulation'
lab_alias='macvlan-lab emulated VLAN 10 on ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/detect.sh"
. "$lib/host/backends/ifupdown.sh"
. "$lib/host/vlan.sh"
vlan_create
# ==== ens33.10 delete
set -eu
# macvlan-lab: VLAN interface ens33.10 (VLAN 10 on ens33) of docker01 with 192.168.10.10/24 (ifupdown): delete
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker01'
dev='ens33.10'
parent='ens33'
vlan_id='10'
address='192.168.10.10/24'
ifu_dir='/etc/network'
gateway=''
defroute='no'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
marker='/run/macvlan-lab/vlan-emulation'
lab_alias='macvlan-lab emulated VLAN 10 on ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/detect.sh"
. "$lib/host/backends/ifupdown.sh"
. "$lib/host/vlan.sh"
vlan_delete
# ==== ens33.10 check
set -eu
# macvlan-lab: VLAN interface ens33.10 (VLAN 10 on ens33) of docker01 with 192.168.10.10/24 (ifupdown): check
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker01'
dev='ens33.10'
parent='ens33'
vlan_id='10'
address='192.168.10.10/24'
ifu_dir='/etc/network'
gateway=''
defroute='no'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
marker='/run/macvlan-lab/vlan-emulation'
lab_alias='macvlan-lab emulated VLAN 10 on ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/detect.sh"
. "$lib/host/backends/ifupdown.sh"
. "$lib/host/vlan.sh"
vlan_check
# ==== ens33.20 create
set -eu
# macvlan-lab: VLAN interface ens33.20 (VLAN 20 on ens33) of docker01 with 192.168.20.20/24 (ifupdown): create
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker01'
dev='ens33.20'
parent='ens33'
vlan_id='20'
address='192.168.20.20/24'
ifu_dir='/etc/network'
gateway=''
defroute='no'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
marker='/run/macvlan-lab/vlan-emulation'
lab_alias='macvlan-lab emulated VLAN 20 on ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/detect.sh"
. "$lib/host/backends/ifupdown.sh"
. "$lib/host/vlan.sh"
vlan_create
# ==== ens33.20 delete
set -eu
# macvlan-lab: VLAN interface ens33.20 (VLAN 20 on ens33) of docker01 with 192.168.20.20/24 (ifupdown): delete
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker01'
dev='ens33.20'
parent='ens33'
vlan_id='20'
address='192.168.20.20/24'
ifu_dir='/etc/network'
gateway=''
defroute='no'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
marker='/run/macvlan-lab/vlan-emulation'
lab_alias='macvlan-lab emulated VLAN 20 on ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/detect.sh"
. "$lib/host/backends/ifupdown.sh"
. "$lib/host/vlan.sh"
vlan_delete
# ==== ens33.20 check
set -eu
# macvlan-lab: VLAN interface ens33.20 (VLAN 20 on ens33) of docker01 with 192.168.20.20/24 (ifupdown): check
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker01'
dev='ens33.20'
parent='ens33'
vlan_id='20'
address='192.168.20.20/24'
ifu_dir='/etc/network'
gateway=''
defroute='no'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
marker='/run/macvlan-lab/vlan-emulation'
lab_alias='macvlan-lab emulated VLAN 20 on ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/detect.sh"
. "$lib/host/backends/ifupdown.sh"
. "$lib/host/vlan.sh"
vlan_check

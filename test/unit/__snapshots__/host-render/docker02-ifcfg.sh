# ==== parent create
set -eu
# macvlan-lab: parent interface ens33 of docker02, promiscuous (ifcfg): create
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker02'
nic='ens33'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
cfg='/etc/sysconfig/network-scripts/ifcfg-ens33'
hook='/sbin/ifup-local'
dispatcher='/etc/NetworkManager/dispatcher.d/90-macvlan-lab-promisc-ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/nm-dispatcher.sh"
. "$lib/host/backends/ifcfg.sh"
. "$lib/host/parent.sh"
parent_create
# ==== parent delete
set -eu
# macvlan-lab: parent interface ens33 of docker02, promiscuous (ifcfg): delete
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker02'
nic='ens33'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
cfg='/etc/sysconfig/network-scripts/ifcfg-ens33'
hook='/sbin/ifup-local'
dispatcher='/etc/NetworkManager/dispatcher.d/90-macvlan-lab-promisc-ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/nm-dispatcher.sh"
. "$lib/host/backends/ifcfg.sh"
. "$lib/host/parent.sh"
parent_delete
# ==== parent check
set -eu
# macvlan-lab: parent interface ens33 of docker02, promiscuous (ifcfg): check
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker02'
nic='ens33'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
cfg='/etc/sysconfig/network-scripts/ifcfg-ens33'
hook='/sbin/ifup-local'
dispatcher='/etc/NetworkManager/dispatcher.d/90-macvlan-lab-promisc-ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/nm-dispatcher.sh"
. "$lib/host/backends/ifcfg.sh"
. "$lib/host/parent.sh"
parent_check
# ==== 8021q create
set -eu
# macvlan-lab: 8021q (802.1Q VLAN support) on docker02, now and at boot: create
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker02'
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
# macvlan-lab: 8021q (802.1Q VLAN support) on docker02, now and at boot: delete
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker02'
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
# macvlan-lab: 8021q (802.1Q VLAN support) on docker02, now and at boot: check
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker02'
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
# macvlan-lab: VLAN interface ens33.10 (VLAN 10 on ens33) of docker02 with 192.168.10.11/24 (ifcfg): create
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker02'
dev='ens33.10'
parent='ens33'
vlan_id='10'
address='192.168.10.11/24'
ip='192.168.10.11'
prefix='24'
gateway=''
defroute='no'
cfg_dir='/etc/sysconfig/network-scripts'
cfg='/etc/sysconfig/network-scripts/ifcfg-ens33.10'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
marker='/run/macvlan-lab/vlan-emulation'
lab_alias='macvlan-lab emulated VLAN 10 on ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/nm-dispatcher.sh"
. "$lib/host/backends/ifcfg.sh"
. "$lib/host/vlan.sh"
vlan_create
# ==== ens33.10 delete
set -eu
# macvlan-lab: VLAN interface ens33.10 (VLAN 10 on ens33) of docker02 with 192.168.10.11/24 (ifcfg): delete
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker02'
dev='ens33.10'
parent='ens33'
vlan_id='10'
address='192.168.10.11/24'
ip='192.168.10.11'
prefix='24'
gateway=''
defroute='no'
cfg_dir='/etc/sysconfig/network-scripts'
cfg='/etc/sysconfig/network-scripts/ifcfg-ens33.10'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
marker='/run/macvlan-lab/vlan-emulation'
lab_alias='macvlan-lab emulated VLAN 10 on ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/nm-dispatcher.sh"
. "$lib/host/backends/ifcfg.sh"
. "$lib/host/vlan.sh"
vlan_delete
# ==== ens33.10 check
set -eu
# macvlan-lab: VLAN interface ens33.10 (VLAN 10 on ens33) of docker02 with 192.168.10.11/24 (ifcfg): check
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker02'
dev='ens33.10'
parent='ens33'
vlan_id='10'
address='192.168.10.11/24'
ip='192.168.10.11'
prefix='24'
gateway=''
defroute='no'
cfg_dir='/etc/sysconfig/network-scripts'
cfg='/etc/sysconfig/network-scripts/ifcfg-ens33.10'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
marker='/run/macvlan-lab/vlan-emulation'
lab_alias='macvlan-lab emulated VLAN 10 on ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/nm-dispatcher.sh"
. "$lib/host/backends/ifcfg.sh"
. "$lib/host/vlan.sh"
vlan_check
# ==== ens33.20 create
set -eu
# macvlan-lab: VLAN interface ens33.20 (VLAN 20 on ens33) of docker02 with 192.168.20.21/24 (ifcfg): create
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker02'
dev='ens33.20'
parent='ens33'
vlan_id='20'
address='192.168.20.21/24'
ip='192.168.20.21'
prefix='24'
gateway=''
defroute='no'
cfg_dir='/etc/sysconfig/network-scripts'
cfg='/etc/sysconfig/network-scripts/ifcfg-ens33.20'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
marker='/run/macvlan-lab/vlan-emulation'
lab_alias='macvlan-lab emulated VLAN 20 on ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/nm-dispatcher.sh"
. "$lib/host/backends/ifcfg.sh"
. "$lib/host/vlan.sh"
vlan_create
# ==== ens33.20 delete
set -eu
# macvlan-lab: VLAN interface ens33.20 (VLAN 20 on ens33) of docker02 with 192.168.20.21/24 (ifcfg): delete
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker02'
dev='ens33.20'
parent='ens33'
vlan_id='20'
address='192.168.20.21/24'
ip='192.168.20.21'
prefix='24'
gateway=''
defroute='no'
cfg_dir='/etc/sysconfig/network-scripts'
cfg='/etc/sysconfig/network-scripts/ifcfg-ens33.20'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
marker='/run/macvlan-lab/vlan-emulation'
lab_alias='macvlan-lab emulated VLAN 20 on ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/nm-dispatcher.sh"
. "$lib/host/backends/ifcfg.sh"
. "$lib/host/vlan.sh"
vlan_delete
# ==== ens33.20 check
set -eu
# macvlan-lab: VLAN interface ens33.20 (VLAN 20 on ens33) of docker02 with 192.168.20.21/24 (ifcfg): check
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker02'
dev='ens33.20'
parent='ens33'
vlan_id='20'
address='192.168.20.21/24'
ip='192.168.20.21'
prefix='24'
gateway=''
defroute='no'
cfg_dir='/etc/sysconfig/network-scripts'
cfg='/etc/sysconfig/network-scripts/ifcfg-ens33.20'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
marker='/run/macvlan-lab/vlan-emulation'
lab_alias='macvlan-lab emulated VLAN 20 on ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/nm-dispatcher.sh"
. "$lib/host/backends/ifcfg.sh"
. "$lib/host/vlan.sh"
vlan_check

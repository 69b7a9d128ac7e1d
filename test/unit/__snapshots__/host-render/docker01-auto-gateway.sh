# ==== ens33.10 gateway create
set -eu
# macvlan-lab: VLAN interface ens33.10 (VLAN 10 on ens33) of docker01 with 192.168.10.10/24 (auto): create
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker01'
dev='ens33.10'
parent='ens33'
vlan_id='10'
address='192.168.10.10/24'
ip='192.168.10.10'
prefix='24'
gateway='192.168.10.2'
defroute='no'
cfg_dir='/etc/sysconfig/network-scripts'
cfg='/etc/sysconfig/network-scripts/ifcfg-ens33.10'
con='ens33.10'
never_default='yes'
nd_dir='/etc/systemd/network'
np_dir='/etc/netplan'
ifu_dir='/etc/network'
marker='/run/macvlan-lab/vlan-emulation'
auto_nic='ens33'
auto_record='/var/lib/macvlan-lab/host/vlan-ens33.10.backend'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
lab_alias='macvlan-lab emulated VLAN 10 on ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/detect.sh"
. "$lib/host/backends/auto.sh"
. "$lib/host/vlan.sh"
backend_auto create
vlan_create
# ==== ens33.10 gateway delete
set -eu
# macvlan-lab: VLAN interface ens33.10 (VLAN 10 on ens33) of docker01 with 192.168.10.10/24 (auto): delete
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker01'
dev='ens33.10'
parent='ens33'
vlan_id='10'
address='192.168.10.10/24'
ip='192.168.10.10'
prefix='24'
gateway='192.168.10.2'
defroute='no'
cfg_dir='/etc/sysconfig/network-scripts'
cfg='/etc/sysconfig/network-scripts/ifcfg-ens33.10'
con='ens33.10'
never_default='yes'
nd_dir='/etc/systemd/network'
np_dir='/etc/netplan'
ifu_dir='/etc/network'
marker='/run/macvlan-lab/vlan-emulation'
auto_nic='ens33'
auto_record='/var/lib/macvlan-lab/host/vlan-ens33.10.backend'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
lab_alias='macvlan-lab emulated VLAN 10 on ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/detect.sh"
. "$lib/host/backends/auto.sh"
. "$lib/host/vlan.sh"
backend_auto delete
vlan_delete
backend_auto_done
# ==== ens33.10 gateway check
set -eu
# macvlan-lab: VLAN interface ens33.10 (VLAN 10 on ens33) of docker01 with 192.168.10.10/24 (auto): check
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker01'
dev='ens33.10'
parent='ens33'
vlan_id='10'
address='192.168.10.10/24'
ip='192.168.10.10'
prefix='24'
gateway='192.168.10.2'
defroute='no'
cfg_dir='/etc/sysconfig/network-scripts'
cfg='/etc/sysconfig/network-scripts/ifcfg-ens33.10'
con='ens33.10'
never_default='yes'
nd_dir='/etc/systemd/network'
np_dir='/etc/netplan'
ifu_dir='/etc/network'
marker='/run/macvlan-lab/vlan-emulation'
auto_nic='ens33'
auto_record='/var/lib/macvlan-lab/host/vlan-ens33.10.backend'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
lab_alias='macvlan-lab emulated VLAN 10 on ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/detect.sh"
. "$lib/host/backends/auto.sh"
. "$lib/host/vlan.sh"
backend_auto check
vlan_check
# ==== ens33.20 defaultRoute create
set -eu
# macvlan-lab: VLAN interface ens33.20 (VLAN 20 on ens33) of docker01 with 192.168.20.20/24 (auto): create
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker01'
dev='ens33.20'
parent='ens33'
vlan_id='20'
address='192.168.20.20/24'
ip='192.168.20.20'
prefix='24'
gateway='192.168.20.2'
defroute='yes'
cfg_dir='/etc/sysconfig/network-scripts'
cfg='/etc/sysconfig/network-scripts/ifcfg-ens33.20'
con='ens33.20'
never_default='no'
nd_dir='/etc/systemd/network'
np_dir='/etc/netplan'
ifu_dir='/etc/network'
marker='/run/macvlan-lab/vlan-emulation'
auto_nic='ens33'
auto_record='/var/lib/macvlan-lab/host/vlan-ens33.20.backend'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
lab_alias='macvlan-lab emulated VLAN 20 on ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/detect.sh"
. "$lib/host/backends/auto.sh"
. "$lib/host/vlan.sh"
backend_auto create
vlan_create
# ==== ens33.20 defaultRoute delete
set -eu
# macvlan-lab: VLAN interface ens33.20 (VLAN 20 on ens33) of docker01 with 192.168.20.20/24 (auto): delete
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker01'
dev='ens33.20'
parent='ens33'
vlan_id='20'
address='192.168.20.20/24'
ip='192.168.20.20'
prefix='24'
gateway='192.168.20.2'
defroute='yes'
cfg_dir='/etc/sysconfig/network-scripts'
cfg='/etc/sysconfig/network-scripts/ifcfg-ens33.20'
con='ens33.20'
never_default='no'
nd_dir='/etc/systemd/network'
np_dir='/etc/netplan'
ifu_dir='/etc/network'
marker='/run/macvlan-lab/vlan-emulation'
auto_nic='ens33'
auto_record='/var/lib/macvlan-lab/host/vlan-ens33.20.backend'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
lab_alias='macvlan-lab emulated VLAN 20 on ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/detect.sh"
. "$lib/host/backends/auto.sh"
. "$lib/host/vlan.sh"
backend_auto delete
vlan_delete
backend_auto_done
# ==== ens33.20 defaultRoute check
set -eu
# macvlan-lab: VLAN interface ens33.20 (VLAN 20 on ens33) of docker01 with 192.168.20.20/24 (auto): check
lib='/var/lib/macvlan-lab/lib/default/<library-id>'
host='docker01'
dev='ens33.20'
parent='ens33'
vlan_id='20'
address='192.168.20.20/24'
ip='192.168.20.20'
prefix='24'
gateway='192.168.20.2'
defroute='yes'
cfg_dir='/etc/sysconfig/network-scripts'
cfg='/etc/sysconfig/network-scripts/ifcfg-ens33.20'
con='ens33.20'
never_default='no'
nd_dir='/etc/systemd/network'
np_dir='/etc/netplan'
ifu_dir='/etc/network'
marker='/run/macvlan-lab/vlan-emulation'
auto_nic='ens33'
auto_record='/var/lib/macvlan-lab/host/vlan-ens33.20.backend'
state_dir='/var/lib/macvlan-lab'
state='/var/lib/macvlan-lab/host'
lab_alias='macvlan-lab emulated VLAN 20 on ens33'
if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi
. "$lib/prelude.sh"
. "$lib/net.sh"
. "$lib/host/backends/detect.sh"
. "$lib/host/backends/auto.sh"
. "$lib/host/vlan.sh"
backend_auto check
vlan_check

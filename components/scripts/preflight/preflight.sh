# shellcheck shell=sh
# macvlan-lab: the read-only preflight of one host, run before anything of the stack changes on any
# host. It runs before the shell library is on the host (installing the library is a change), so it
# is not part of the library: its command (components/preflight) is a thin script of the host's
# inputs, and this file's text reaches the host on that command's stdin, after the assignments of
# the two tables below, and is run by `eval`. It defines functions only; the command calls
# `preflight_run`, the last function here (missing when the text did not arrive whole).
#
# Inputs (assigned by the thin script or before this text on stdin by components/preflight/render.ts,
# every value validated and single-quoted there):
#   HOST            the host's name in the stack
#   HOST_PATH       its entry in the config (hosts[0]), named in the fixes
#   BACKEND         ifcfg | nmcli | networkd | netplan | ifupdown | iproute2 | auto: how the stack
#                   writes this host's network config (auto: the one the host runs, told here)
#   CONFIG_DIR      the backend's directory (ifcfg: /etc/sysconfig/network-scripts; empty with auto)
#   NIC             the parent NIC
#   VLAN_IDS        the VLAN ids this host gets, space separated ("" when none)
#   EMULATION_MARKER  file that says VLANs are emulated (the local lab); absent on real hosts
#   MIN_API         the lowest Docker API version the program needs (major.minor)
#   LABEL_KEY       the label every Docker object of a stack carries
#   STACK_ID        this stack's value of that label (<project>/<stack>)
#   REGISTRY_PORT   the registry's published port on this host ("" when it is not the registry host)
#   REGISTRY_VOLUME the registry's named volume on this host ("" when it is not the registry host)
#   TRUST_INSECURE  yes when the stack makes this host trust a plain-HTTP registry in daemon.json
#   UNIT_FLAG_OK    yes when `--insecure-registry` in the docker unit will be migrated (registry.migrateUnitFlag)
#   STATE_HOST      the host scripts' state directory, where backend auto records its pick per component
#   cfg_dir, ifu_dir, marker  what detect_backend reads (host/backends/detect.sh, which arrives on
#                   stdin before this file): the ifcfg and ifupdown directories, the lab's marker
#   NETWORKS        (stdin) one line per Docker network the stack declares here: name|driver|parent|subnet|gateway|import
#   CONTAINERS      (stdin) one line per container the stack declares here: name|network|ipv4|image|import
#
# Prints what it found on stdout and one PROBLEM line per problem on stderr, each with what was
# found and the fix. Exit status: 0 when the stack can be applied here, 1 when there are problems,
# 2 when the preflight itself could not run. It changes nothing: only `docker version`,
# `docker inspect`, `docker network ls|inspect`, `docker volume inspect`, `docker ps`, `systemctl cat`, reads of /sys, /proc
# and /lib/modules.
# shellcheck disable=SC2154 # the inputs are assigned before this text

PROBLEMS=0
REPORTED=" "
TAB=$(printf '\t')
DOCKER_OK=no

info() { printf 'preflight %s: %s\n' "$HOST" "$*"; }
problem() {
    PROBLEMS=$((PROBLEMS + 1))
    printf 'preflight %s: PROBLEM %d: %s\n' "$HOST" "$PROBLEMS" "$*" >&2
}

# version_lt A B: A < B for dotted numbers (major.minor)
version_lt() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        na = split(a, x, "."); nb = split(b, y, ".")
        for (i = 1; i <= 2; i++) { if ((x[i] + 0) < (y[i] + 0)) exit 0; if ((x[i] + 0) > (y[i] + 0)) exit 1 }
        exit 1 }'
}

# preflight_docker: the docker CLI, its daemon and its API version; sets DOCKER_OK
preflight_docker() {
    DOCKER_OK=no
    if ! command -v docker >/dev/null 2>&1; then
        problem "docker: no docker command on PATH. Fix: install Docker (the tutorial's yum install docker-ce) and start it"
    else
        api=$(docker version --format '{{.Server.APIVersion}}' 2>/dev/null)
        if [ -z "$api" ]; then
            problem "docker: the daemon does not answer ($(docker version 2>&1 | tail -n 1)). Fix: systemctl start docker"
        elif version_lt "$api" "$MIN_API"; then
            problem "docker: API $api is older than $MIN_API, the lowest this program needs (Docker 20.10). Fix: upgrade Docker"
        else
            DOCKER_OK=yes
            info "docker $(docker version --format '{{.Server.Version}}' 2>/dev/null) (API $api, needs $MIN_API or later)"
        fi
    fi
}

# preflight_backends: which network stack manages the parent NIC (detect_backend, the rules backend
# auto uses on the host), the backend the stack names, and whether the host runs it
preflight_backends() {
    detect_backend "$NIC"
    recorded=$(cat "$STATE_HOST"/*.backend 2>/dev/null | sort -u | tr '\n' ' ' | sed 's/ $//')
    case "$BACKEND" in
        auto)
            case "$recorded" in
                *" "*) problem "backend auto: the components already on this host were made by several backends ($recorded, recorded in $STATE_HOST). Fix: set $HOST_PATH.backend to the one that manages $NIC, after pulumi destroy" ;;
                ?*)
                    info "backend auto: $recorded, the backend the stack's components on this host were made with (recorded in $STATE_HOST)"
                    if [ -n "$detected" ] && [ "$detected" != "$recorded" ]; then info "backend auto: note that $NIC now looks managed by $detected ($detected_why); the components keep $recorded until they are replaced"; fi ;;
                *)
                    if [ -n "$detected" ]; then
                        info "backend auto: $detected, because $detected_why"
                    else
                        problem "backend auto cannot tell which network stack manages $NIC: $detected_why. Fix: set $HOST_PATH.backend to the backend that manages it (ifcfg, nmcli, networkd, netplan, ifupdown), or iproute2 for runtime only"
                    fi ;;
            esac ;;
        iproute2)
            if [ -n "$detected" ]; then
                info "backend iproute2 (runtime only: nothing is kept across a reboot); backend auto would use $detected, because $detected_why"
            else
                info "backend iproute2 (runtime only: nothing is kept across a reboot); backend auto would find nothing: $detected_why"
            fi
            command -v ip >/dev/null 2>&1 || problem "backend iproute2: no ip command here. Fix: install iproute (yum install iproute)" ;;
        *)
            if [ -n "$detected" ] && [ "$detected" != "$BACKEND" ]; then
                problem "backend $BACKEND: this host does not run it for $NIC: $detected_why. Fix: set $HOST_PATH.backend to $detected (or auto)"
            else
                info "backend $BACKEND${detected:+ (found here too: $detected_why)}"
                preflight_backend_needs
            fi ;;
    esac
}

# preflight_backend_needs: what the named backend needs on this host (when detection did not tell)
preflight_backend_needs() {
    fix="set $HOST_PATH.backend to the backend that manages $NIC, or auto"
    case "$BACKEND" in
        ifcfg)
            if [ ! -d "$CONFIG_DIR" ]; then
                problem "backend ifcfg: $CONFIG_DIR does not exist, so this host's network is not managed by network-scripts. Fix: $fix, or set $HOST_PATH.configDir to where its ifcfg files are"
            elif [ -n "$VLAN_IDS" ] && [ ! -f "$EMULATION_MARKER" ] && ! command -v ifup >/dev/null 2>&1; then
                problem "backend ifcfg: no ifup here, which brings the VLAN interfaces up. Fix: install initscripts (yum install initscripts), or $fix"
            fi ;;
        nmcli)
            if ! command -v nmcli >/dev/null 2>&1 || [ "$(nmcli -t -f RUNNING general 2>/dev/null)" != running ]; then
                problem "backend nmcli: NetworkManager is not running here (nmcli $( command -v nmcli >/dev/null 2>&1 && echo found || echo missing)). Fix: start NetworkManager, or $fix"
            fi ;;
        networkd | netplan)
            if ! { [ -d /run/systemd/system ] && systemctl is-active --quiet systemd-networkd 2>/dev/null; }; then
                problem "backend $BACKEND: systemd-networkd is not running here. Fix: $fix"
            elif [ "$BACKEND" = netplan ] && ! command -v netplan >/dev/null 2>&1; then
                problem "backend netplan: netplan is not installed here. Fix: $fix"
            elif [ -z "$(nd_file_of "$NIC")" ]; then
                problem "backend $BACKEND: systemd-networkd does not manage $NIC (no .network file applies to it), and the VLANs and links on it need lines in that file. Fix: $fix"
            fi ;;
        ifupdown)
            if [ ! -f "$CONFIG_DIR/interfaces" ] || ! command -v ifup >/dev/null 2>&1; then
                problem "backend ifupdown: no $CONFIG_DIR/interfaces or no ifup here, so ifupdown does not manage this host. Fix: $fix"
            elif ! ifu_sources_d "$CONFIG_DIR"; then
                problem "backend ifupdown: $CONFIG_DIR/interfaces does not read $CONFIG_DIR/interfaces.d, where the stack keeps its stanzas (it never edits the host's own file). Fix: add the line: source $CONFIG_DIR/interfaces.d/*"
            fi ;;
    esac
}

# preflight_parent: the parent NIC, and 802.1Q when the host gets VLANs
preflight_parent() {
    if [ -e "/sys/class/net/$NIC" ]; then
        info "parent $NIC: $(cat "/sys/class/net/$NIC/operstate" 2>/dev/null || echo unknown)"
    else
        links=""
        for d in /sys/class/net/*; do links="$links ${d##*/}"; done
        problem "parent NIC $NIC does not exist (this host has:$links). Fix: set $HOST_PATH.nic to one of those"
    fi
    if [ -n "$VLAN_IDS" ]; then
        if [ -f "$EMULATION_MARKER" ]; then
            info "802.1Q: emulated by the local lab ($EMULATION_MARKER) for VLANs $VLAN_IDS"
        elif [ -d /proc/net/vlan ]; then
            info "802.1Q: module 8021q loaded, for VLANs $VLAN_IDS"
        elif command -v modinfo >/dev/null 2>&1 && modinfo 8021q >/dev/null 2>&1; then
            info "802.1Q: module 8021q available (not loaded yet), for VLANs $VLAN_IDS"
        elif [ -n "$(find "/lib/modules/$(uname -r)" -name '8021q.ko*' 2>/dev/null | head -n 1)" ]; then
            info "802.1Q: module 8021q available (not loaded yet), for VLANs $VLAN_IDS"
        else
            problem "802.1Q: kernel $(uname -r) has no 8021q module, needed for VLANs $VLAN_IDS. Fix: install the kernel's modules (yum install kernel-modules-extra or boot a kernel with 8021q)"
        fi
    fi
}

# preflight_objects: networks and containers of the stack that exist already, and other macvlan
# networks on a parent the stack uses
preflight_objects() {
    if [ "$DOCKER_OK" = yes ]; then
        # networks
        ours_parents=""
        while IFS='|' read -r n_name n_driver n_parent n_subnet n_gateway n_import; do
            [ -n "$n_name" ] || continue
            ours_parents="$ours_parents $n_parent"
            found=$(docker network inspect --format "{{.Driver}}|{{index .Options \"parent\"}}|{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}|{{index .Labels \"$LABEL_KEY\"}}|{{.ID}}" "$n_name" 2>/dev/null) || continue
            IFS='|' read -r f_driver f_parent f_ipam f_label f_id <<EOF
$found
EOF
            [ "$f_label" = "$STACK_ID" ] && continue
            want="$n_driver $n_parent $n_subnet $n_gateway"
            have="$f_driver $f_parent $f_ipam"
            owner=$( [ -n "$f_label" ] && echo "stack $f_label" || echo "no stack (a leftover)")
            if [ "$have" = "$want" ]; then
                problem "network $n_name exists (id $(printf %.12s "$f_id"), $have, made by $owner) and matches what the stack declares. Fix: adopt it with: ${n_import%%\{id\}*}$f_id${n_import#*\{id\}}  or remove it: docker network rm $n_name"
            else
                problem "network $n_name exists (id $(printf %.12s "$f_id"), $have, made by $owner) and differs from what the stack declares ($want). Fix: remove it: docker network rm $n_name (after removing its containers)"
            fi
        done <<EOF
$NETWORKS
EOF
        # other macvlan networks on a parent the stack uses: Docker refuses a second one there
        for id in $(docker network ls -q --filter driver=macvlan 2>/dev/null); do
            line=$(docker network inspect --format "{{.Name}}|{{index .Options \"parent\"}}|{{index .Labels \"$LABEL_KEY\"}}" "$id" 2>/dev/null) || continue
            IFS='|' read -r o_name o_parent o_label <<EOF
$line
EOF
            [ "$o_label" = "$STACK_ID" ] && continue
            printf '%s\n' "$NETWORKS" | cut -d'|' -f1 | grep -qxF "$o_name" && continue
            for p in $ours_parents; do
                if [ "$p" = "$o_parent" ]; then
                    problem "network $o_name is a macvlan network on $o_parent, which the stack's networks use; Docker refuses a second macvlan network on one parent. Fix: remove it: docker network rm $o_name (after removing its containers: docker ps -a --filter network=$o_name)"
                    break
                fi
            done
        done
        # containers
        while IFS='|' read -r c_name c_network c_ip c_image c_import; do
            [ -n "$c_name" ] || continue
            found=$(docker container inspect --format "{{.Config.Image}}|{{range \$k, \$v := .NetworkSettings.Networks}}{{\$k}} {{if \$v.IPAMConfig}}{{\$v.IPAMConfig.IPv4Address}}{{end}}${TAB}{{end}}|{{index .Config.Labels \"$LABEL_KEY\"}}|{{.ID}}|{{.State.Status}}" "$c_name" 2>/dev/null) || continue
            IFS='|' read -r f_image f_nets f_label f_id f_state <<EOF
$found
EOF
            [ "$f_label" = "$STACK_ID" ] && continue
            REPORTED="$REPORTED$c_name "
            f_nets=$(printf '%s' "$f_nets" | tr "$TAB" ',' | sed 's/,$//; s/ ,/,/g; s/ $//')
            owner=$( [ -n "$f_label" ] && echo "stack $f_label" || echo "no stack (a leftover)")
            want_net="$c_network${c_ip:+ $c_ip}"
            if [ "$f_image" = "$c_image" ] && [ "$f_nets" = "$want_net" ]; then
                problem "container $c_name exists (id $(printf %.12s "$f_id"), $f_state, image $f_image, network $f_nets, made by $owner) and matches what the stack declares. Fix: adopt it with: ${c_import%%\{id\}*}$f_id${c_import#*\{id\}}  or remove it: docker rm -f $c_name"
            else
                problem "container $c_name exists (id $(printf %.12s "$f_id"), $f_state, image $f_image, network ${f_nets:-none}, made by $owner) and differs from what the stack declares (image $c_image, network $want_net). Fix: remove it: docker rm -f $c_name"
            fi
        done <<EOF
$CONTAINERS
EOF
    fi
}

# preflight_registry_port: something listening on the registry's port, on the registry host
preflight_registry_port() {
    if [ -n "$REGISTRY_PORT" ]; then
        hex=$(printf '%04X' "$REGISTRY_PORT")
        # state 0A = LISTEN; the local address is field 2 (address:port in hex)
        if cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }'; then
            ours=no
            if [ "$DOCKER_OK" = yes ]; then
                for id in $(docker ps -q --filter "label=$LABEL_KEY=$STACK_ID" --filter "publish=$REGISTRY_PORT" 2>/dev/null); do ours=yes; done
            fi
            if [ "$ours" = no ]; then
                who=""
                if [ "$DOCKER_OK" = yes ]; then who=$(docker ps --filter "publish=$REGISTRY_PORT" --format '{{.Names}}' 2>/dev/null | head -n 1); fi
                # a container of the stack's name already reported above: one problem, one message
                case "$REPORTED" in *" $who "*) [ -n "$who" ] && ours=reported ;; esac
            fi
            if [ "$ours" = no ]; then
                problem "port $REGISTRY_PORT (the registry's) is already listened on${who:+ by container $who}. Fix: ${who:+remove it: docker rm -f $who, or }stop what listens there (ss -ltnp 'sport = :$REGISTRY_PORT'), or set registry.port to a free port"
            fi
        fi
    fi
}

# preflight_registry_volume: a volume of the registry's name that is not this stack's. Docker hands
# an existing volume to a create of the same name, so the stack would take it as its own and delete
# it, images and all, on destroy. This stack's is labelled with it, or (made before volumes were
# labelled) mounted by a container of the stack.
preflight_registry_volume() {
    if [ -n "$REGISTRY_VOLUME" ] && [ "$DOCKER_OK" = yes ]; then
        v_label=$(docker volume inspect --format "{{index .Labels \"$LABEL_KEY\"}}" "$REGISTRY_VOLUME" 2>/dev/null) || return 0
        [ "$v_label" = "$STACK_ID" ] && return 0
        for v_user in $(docker ps -a -q --filter "volume=$REGISTRY_VOLUME" --filter "label=$LABEL_KEY=$STACK_ID" 2>/dev/null); do
            info "volume $REGISTRY_VOLUME: the stack's (its container $(printf %.12s "$v_user") mounts it)"
            return 0
        done
        v_users=$(docker ps -a --filter "volume=$REGISTRY_VOLUME" --format '{{.Names}}' 2>/dev/null | tr '\n' ' ')
        v_owner=$( [ -n "$v_label" ] && echo "stack $v_label" || echo "no stack")
        problem "volume $REGISTRY_VOLUME exists (made by $v_owner${v_users:+, used by ${v_users% }}); the registry would take it as its own and pulumi destroy would delete it with whatever it holds. Fix: set registry.volume to a name no volume has, or remove it if it is a leftover: docker volume rm $REGISTRY_VOLUME"
    fi
}

# preflight_unit_flag: the tutorial's --insecure-registry given to dockerd outside daemon.json
preflight_unit_flag() {
    # dockerd refuses an option given both as a flag and in daemon.json, where the trust adds the registry
    if [ "$TRUST_INSECURE" = yes ] && [ "$UNIT_FLAG_OK" != yes ]; then
        hits=""
        if command -v systemctl >/dev/null 2>&1; then
            hits=$(systemctl cat docker.service 2>/dev/null | awk '/^# \//{ f = substr($0, 3); next } /^[ \t]*[#;]/ { next } /--insecure-registry/ { print f }' | sort -u | tr '\n' ' ')
        fi
        pid=$(cat /var/run/docker.pid 2>/dev/null)
        if [ -z "$hits" ] && [ -n "$pid" ] && tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -q '^--insecure-registry'; then
            hits="the running dockerd's command line (pid $pid)"
        fi
        if [ -n "$hits" ]; then
            problem "dockerd is given --insecure-registry (in ${hits% }); it refuses the option there and in daemon.json at once, where the registry trust puts it. Fix: set registry.migrateUnitFlag: true (moves the flag into daemon.json and restores the unit on destroy), or remove the flag from the unit by hand"
        fi
    fi
}

# preflight_run: every check, then the verdict: exit 1 after the problems, or "ready"
preflight_run() {
    set -u
    preflight_docker
    preflight_backends
    preflight_parent
    preflight_objects
    preflight_registry_port
    preflight_registry_volume
    preflight_unit_flag
    if [ "$PROBLEMS" -gt 0 ]; then
        printf 'preflight %s: %d problem(s); nothing was changed on this or any other host\n' "$HOST" "$PROBLEMS" >&2
        exit 1
    fi
    info "ready: nothing in the way"
}

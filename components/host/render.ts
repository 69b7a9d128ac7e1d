/**
 * Host networking: pure renderers of the POSIX sh scripts that `remote.Command` runs on a host to
 * make the parent NIC promiscuous, load 802.1Q support (8021q) and bring up VLAN interfaces
 * (`<parent>.<id>`) with their addresses, through the host's backend (ifcfg, nmcli or iproute2).
 *
 * Every script (create, delete, check):
 * - starts with `set -eu`, names its inputs once as single-quoted shell variables, then a shared
 *   library of helpers ({@link SCRIPT_LIBRARY}), then its steps;
 * - create is idempotent: a second run changes nothing and ends with `nothing changed: ...`;
 * - writes files atomically (a hidden temporary file in the same directory, then `mv`), keeping an
 *   existing file's mode and owner;
 * - on any failure an EXIT trap undoes, newest first, what that run changed (files put back byte
 *   for byte, links it created deleted, addresses and flags it set removed), then fails;
 * - records in the state directory (`<stateDir>/host/`) what create found before changing it, so
 *   delete takes the interface down, removes what create added and leaves the host as before;
 * - check changes nothing, prints one `DRIFT: ...` line per difference and exits 1 when any.
 *
 * Kernels without 802.1Q (no `/proc/net/vlan/config`, no loadable 8021q): create fails with
 * `802.1Q VLAN devices are not supported by this kernel: <why>` before changing anything, unless the
 * lab's marker file exists (see {@link RenderOptions.emulationMarker}); then the lab has pre-created
 * a link `<parent>.<id>` (a veth, alias `macvlan-lab emulated VLAN <id> on <parent>`), the scripts
 * print `EMULATED: ...`, write the backend's persistent config as on a real host, and put the
 * address on that link instead of creating a VLAN device. They never pretend a VLAN was created.
 */
import { createHash } from "crypto";
import { shellQuote } from "../shell";
import { HOST_NAME, INTERFACE_NAME, SAFE_ABSOLUTE_PATH } from "../spec/names";
import { HostSpec, NetworkBackend, VlanSpec } from "../spec/types";

/** Where the scripts keep state and look for files. Every field has a default for real hosts. */
export interface RenderOptions {
    /**
     * Directory on the host where create records what it found (previous promiscuous flag, original
     * file bytes, whether it made a link), for delete. The scripts use its `host/` subdirectory.
     * Defaults to `/var/lib/macvlan-lab` (shared with the Docker components, which use their own
     * subdirectories).
     */
    stateDir?: string;
    /** The `modules-load.d` directory the 8021q script writes `8021q.conf` into. Defaults to `/etc/modules-load.d`. */
    modulesLoadDir?: string;
    /**
     * File whose existence says "this is a lab host whose kernel has no 802.1Q, and the lab has
     * pre-created one link per VLAN interface". Only consulted when the kernel lacks 802.1Q.
     * Defaults to `/run/macvlan-lab/vlan-emulation`.
     */
    emulationMarker?: string;
}

/** The three scripts of one piece of host networking. */
export interface HostScripts {
    /** Makes it so (idempotent). */
    create: string;
    /** Undoes what create did, leaving the host as before create. */
    delete: string;
    /** Changes nothing; prints the drift and exits non-zero when there is any. */
    check: string;
}

export const DEFAULT_STATE_DIR = "/var/lib/macvlan-lab";
export const DEFAULT_MODULES_LOAD_DIR = "/etc/modules-load.d";
export const DEFAULT_EMULATION_MARKER = "/run/macvlan-lab/vlan-emulation";

/** Options with every default filled in. */
export interface ResolvedRenderOptions {
    stateDir: string;
    modulesLoadDir: string;
    emulationMarker: string;
}

/** Fills in defaults and validates the paths (absolute, safe characters, no `..`). */
export function resolveRenderOptions(opts: RenderOptions = {}): ResolvedRenderOptions {
    const resolved = {
        stateDir: opts.stateDir ?? DEFAULT_STATE_DIR,
        modulesLoadDir: opts.modulesLoadDir ?? DEFAULT_MODULES_LOAD_DIR,
        emulationMarker: opts.emulationMarker ?? DEFAULT_EMULATION_MARKER,
    };
    for (const [key, value] of Object.entries(resolved)) {
        checkPath(key, value);
    }
    return resolved;
}

/** The alias the lab sets on an emulated VLAN link (the contract with lab/hosts). */
export function emulatedVlanLinkAlias(id: number, parent: string): string {
    return `macvlan-lab emulated VLAN ${id} on ${parent}`;
}

/** A stable digest of scripts, for `triggers`: any change to a script changes it. */
export function scriptsDigest(...scripts: string[]): string {
    const h = createHash("sha256");
    for (const s of scripts) {
        h.update(String(s.length));
        h.update(":");
        h.update(s);
    }
    return `sha256:${h.digest("hex")}`;
}

// ---------------------------------------------------------------------------------------------
// validation of what goes into a script (the spec validator checks it too; this is the last line)

const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

function checkPath(what: string, value: string): void {
    if (!SAFE_ABSOLUTE_PATH.test(value) || value === "/") {
        throw new Error(`${what} ${JSON.stringify(value)} is not an absolute path of safe characters ([a-zA-Z0-9_./-], no ..)`);
    }
}

function checkInterface(what: string, value: string): void {
    if (!INTERFACE_NAME.test(value)) {
        throw new Error(`${what} ${JSON.stringify(value)} is not an interface name (at most 15 of [a-zA-Z0-9_.-])`);
    }
}

function checkHost(host: HostSpec): void {
    if (!HOST_NAME.test(host.name)) {
        throw new Error(`host name ${JSON.stringify(host.name)} is not a valid host name`);
    }
    checkInterface(`host ${host.name}: nic`, host.nic);
    checkPath(`host ${host.name}: configDir`, host.configDir);
    if (!["ifcfg", "nmcli", "iproute2"].includes(host.backend)) {
        throw new Error(`host ${host.name}: backend ${JSON.stringify(host.backend)} is not one of ifcfg, nmcli, iproute2`);
    }
}

/** The parts of a VLAN membership a script needs, validated. */
interface VlanFacts {
    dev: string;
    parent: string;
    id: number;
    address: string;
    ip: string;
    prefix: number;
    gateway?: string;
    defaultRoute: boolean;
}

function vlanFacts(host: HostSpec, vlan: VlanSpec): VlanFacts {
    const where = `host ${host.name}, VLAN ${vlan.id}`;
    if (!Number.isInteger(vlan.id) || vlan.id < 1 || vlan.id > 4094) {
        throw new Error(`${where}: VLAN id ${vlan.id} is not an integer from 1 to 4094`);
    }
    checkInterface(`${where}: parent`, vlan.parent);
    checkInterface(`${where}: interfaceName`, vlan.interfaceName);
    if (vlan.interfaceName !== `${vlan.parent}.${vlan.id}`) {
        throw new Error(`${where}: interfaceName ${vlan.interfaceName} is not ${vlan.parent}.${vlan.id}`);
    }
    const member = vlan.members.find((m) => m.host === host.name);
    if (!member) {
        throw new Error(`${where}: ${host.name} is not a member of VLAN ${vlan.id} (members: ${vlan.members.map((m) => m.host).join(", ") || "none"})`);
    }
    const [ip, prefixText, ...rest] = member.address.split("/");
    const prefix = Number(prefixText);
    if (rest.length > 0 || !IPV4.test(ip) || !/^[0-9]{1,2}$/.test(prefixText ?? "") || prefix < 1 || prefix > 32) {
        throw new Error(`${where}: address ${JSON.stringify(member.address)} is not an IPv4 address with a prefix length (192.168.10.10/24)`);
    }
    if (vlan.gateway !== undefined && !IPV4.test(vlan.gateway)) {
        throw new Error(`${where}: gateway ${JSON.stringify(vlan.gateway)} is not an IPv4 address`);
    }
    if (vlan.defaultRoute && vlan.gateway === undefined) {
        throw new Error(`${where}: defaultRoute is set but there is no gateway; set the gateway or drop defaultRoute`);
    }
    if (vlan.defaultRoute && host.backend === "iproute2") {
        throw new Error(
            `${where}: defaultRoute needs a backend that manages routes; iproute2 only sets addresses: use ifcfg or nmcli, or drop defaultRoute`,
        );
    }
    return {
        dev: vlan.interfaceName,
        parent: vlan.parent,
        id: vlan.id,
        address: member.address,
        ip,
        prefix,
        ...(vlan.gateway !== undefined ? { gateway: vlan.gateway } : {}),
        defaultRoute: vlan.defaultRoute,
    };
}

// ---------------------------------------------------------------------------------------------
// script assembly

function script(title: string, vars: Array<[string, string | number]>, body: string): string {
    const lines = ["set -eu", `# macvlan-lab: ${title}`];
    const text = SCRIPT_LIBRARY + body;
    for (const [name, value] of vars) {
        // only the variables this script reads (an unused one is noise, and shellcheck says so)
        if (new RegExp(`\\$${name}(?![A-Za-z0-9_])`).test(text)) {
            lines.push(`${name}=${shellQuote(value)}`);
        }
    }
    return `${lines.join("\n")}\n${SCRIPT_LIBRARY}${body}`;
}

/**
 * The helpers every script carries (POSIX sh). Exported so tests can lock it down once; the
 * scripts are `set -eu`, the variables, this library, then their own steps.
 */
export const SCRIPT_LIBRARY = String.raw`# ---- helpers ----
changed=0
drifts=0
pending=
saved=' '
n=0
work=$(mktemp -d)
note() { printf '%s\n' "$*"; }
did() {
	changed=$((changed + 1))
	printf 'changed: %s\n' "$*"
}
drift() {
	drifts=$((drifts + 1))
	printf 'DRIFT: %s\n' "$*"
}
die() {
	printf 'ERROR: %s\n' "$*" >&2
	exit 1
}
# q VALUE: VALUE as one single-quoted shell word (for the undo list)
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
# undo COMMAND: run COMMAND if this run fails; the undo list runs newest first
undo() { printf '%s\n' "$1" >>"$work/undo"; }
finish() {
	rc=$?
	trap - EXIT
	set +e
	if [ -n "$pending" ]; then rm -f "$pending"; fi
	if [ "$rc" -ne 0 ] && [ -s "$work/undo" ]; then
		printf 'failed (exit %s): undoing what this run changed\n' "$rc" >&2
		sed -n '1!G;h;$p' "$work/undo" >"$work/undo.reversed"
		while IFS= read -r step; do
			eval "$step" </dev/null || printf 'WARNING: could not undo: %s\n' "$step" >&2
		done <"$work/undo.reversed"
	fi
	rm -rf "$work"
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' HUP TERM
# put_back SAVED FILE: FILE gets SAVED's bytes, mode and owner (temporary file, then rename)
put_back() {
	tmp=$(mktemp "$(dirname "$2")/.$(basename "$2").XXXXXX")
	if ! cp -p "$1" "$tmp"; then
		rm -f "$tmp"
		return 1
	fi
	mv -f "$tmp" "$2"
}
# save FILE: remember FILE's bytes (or that there is none), once, to put back if this run fails
save() {
	case "$saved" in *" $1 "*) return 0 ;; esac
	saved="$saved$1 "
	n=$((n + 1))
	if [ -e "$1" ]; then
		cp -p "$1" "$work/$n"
		undo "put_back $(q "$work/$n") $(q "$1")"
	else
		undo "rm -f $(q "$1")"
	fi
}
# stage FILE: $pending names a new empty file next to FILE (hidden), to fill and then commit
stage() { pending=$(mktemp "$(dirname "$1")/.$(basename "$1").XXXXXX"); }
# commit FILE MODE WHAT: FILE takes $pending's bytes by rename, unless it has them already;
# an existing FILE keeps its mode and owner, a new one gets MODE; an empty WHAT says nothing
commit() {
	if [ -f "$1" ] && cmp -s "$pending" "$1"; then
		rm -f "$pending"
		pending=
		if [ -n "$3" ]; then note "unchanged: $3"; fi
		return 0
	fi
	if [ -e "$1" ]; then
		chmod "$(stat -c %a "$1")" "$pending"
		chown "$(stat -c %u:%g "$1")" "$pending"
	else
		chmod "$2" "$pending"
	fi
	save "$1"
	mv -f "$pending" "$1"
	pending=
	if [ -n "$3" ]; then did "wrote $3"; fi
}
# drop FILE WHAT: remove FILE when it exists (put back if this run fails)
drop() {
	if [ -e "$1" ]; then
		save "$1"
		rm -f "$1"
		did "$2"
	fi
}
# forget FILE: remove a state file quietly (put back if this run fails)
forget() {
	if [ -e "$1" ]; then
		save "$1"
		rm -f "$1"
	fi
}
# state_get FILE KEY: the value of KEY=... in a state file
state_get() { sed -n "s/^$2=//p" "$1"; }
# mkdirs DIR: make DIR and its missing parents, each undone if this run fails; $made_dirs lists
# the directories made, one per line, outermost first
mkdirs() {
	made_dirs=
	d=$1
	while [ ! -d "$d" ]; do
		made_dirs="$d
$made_dirs"
		d=$(dirname "$d")
	done
	printf '%s' "$made_dirs" >"$work/mkdirs"
	while IFS= read -r d; do
		if mkdir "$d" 2>/dev/null; then
			undo "rmdir $(q "$d") 2>/dev/null || true"
		elif [ ! -d "$d" ]; then
			die "cannot make the directory $d"
		fi
	done <"$work/mkdirs"
}
# rmdirs LIST: remove the directories of a list written from $made_dirs, innermost first, if empty
rmdirs() {
	sed -n '1!G;h;$p' "$1" >"$work/rmdirs"
	while IFS= read -r d; do
		if [ -n "$d" ]; then rmdir "$d" 2>/dev/null || true; fi
	done <"$work/rmdirs"
}
# state_init: make the state directory $state on first use (and $state_dir, remembering what it made)
state_init() {
	if [ -d "$state" ]; then return 0; fi
	if [ ! -d "$state_dir" ]; then
		mkdirs "$state"
		printf '%s' "$made_dirs" >"$state/made-state-dir"
		undo "rm -f $(q "$state/made-state-dir")"
	else
		mkdirs "$state"
	fi
}
# state_done: after a delete, remove $state when nothing is left in it (and what state_init made)
state_done() {
	if [ ! -d "$state" ]; then return 0; fi
	for f in "$state"/* "$state"/.[!.]* "$state"/..?*; do
		if [ -e "$f" ] && [ "$f" != "$state/made-state-dir" ]; then return 0; fi
	done
	if [ -e "$state/made-state-dir" ]; then
		cp "$state/made-state-dir" "$work/made-state-dir"
		rm -f "$state/made-state-dir"
		rmdirs "$work/made-state-dir"
	else
		rmdir "$state" 2>/dev/null || true
	fi
}
link_exists() { ip link show dev "$1" >/dev/null 2>&1; }
# has_flag DEV FLAG: FLAG (PROMISC, UP) is among DEV's link flags
has_flag() {
	case ",$(ip -o link show dev "$1" 2>/dev/null | sed -n 's/^[0-9]*: [^<]*<\([^>]*\)>.*/\1/p')," in
	*",$2,"*) return 0 ;;
	esac
	return 1
}
vlan_id_of() { ip -d link show dev "$1" 2>/dev/null | sed -n 's/^ *vlan protocol [^ ]* id \([0-9]*\).*/\1/p'; }
parent_of() { ip -o link show dev "$1" 2>/dev/null | sed -n 's/^[0-9]*: [^@:]*@\([^:]*\):.*/\1/p'; }
alias_of() { ip link show dev "$1" 2>/dev/null | sed -n 's/^ *alias //p'; }
vlan_desc() {
	if [ -n "$(vlan_id_of "$1")" ]; then
		printf 'it is VLAN %s on %s' "$(vlan_id_of "$1")" "$(parent_of "$1")"
	else
		printf 'it is not an 802.1Q VLAN device'
	fi
}
has_addr() { ip -o -4 addr show dev "$1" 2>/dev/null | grep -qF " inet $2 "; }
addrs_of() {
	has=$(ip -o -4 addr show dev "$1" 2>/dev/null | sed -n 's/.* inet \([^ ]*\) .*/\1/p' | tr '\n' ' ')
	if [ -z "$has" ]; then has='no IPv4 address '; fi
	printf '%s' "$has" | sed 's/ $//'
}
# vlan_missing: prints why this kernel cannot make 802.1Q devices, nothing when it can
vlan_missing() {
	if [ -e /proc/net/vlan/config ]; then return 0; fi
	if ! command -v modprobe >/dev/null 2>&1; then
		printf '%s' '8021q is neither loaded nor built in (no /proc/net/vlan/config) and there is no modprobe to load it'
	elif ! modprobe -n 8021q >/dev/null 2>&1; then
		printf '%s' "8021q is neither loaded nor built in (no /proc/net/vlan/config) and modprobe cannot load it: $(modprobe -n 8021q 2>&1 | tr '\n' ' ')"
	fi
}
nm_running() { command -v nmcli >/dev/null 2>&1 && [ "$(nmcli -t -f RUNNING general 2>/dev/null)" = running ]; }
# nm_reads_ifcfg: NetworkManager runs and reads ifcfg files (its ifcfg-rh plugin; assumed when unsure)
nm_reads_ifcfg() {
	nm_running || return 1
	nmconf=$(NetworkManager --print-config 2>/dev/null) || return 0
	case "$nmconf" in *ifcfg-rh*) return 0 ;; esac
	return 1
}
# nm_ternary VALUE: nmcli's rendering of a ternary setting as true, false or default
nm_ternary() {
	case "$1" in
	'' | *default* | -1*) echo default ;;
	*true* | *yes* | 1*) echo true ;;
	*) echo false ;;
	esac
}
# report DONE SAME: the last line of a create or delete
report() {
	if [ "$changed" -eq 0 ]; then note "nothing changed: $2"; else note "done: $1"; fi
}
# verdict WHAT: the last line of a check; exit 1 when there was drift
verdict() {
	if [ "$drifts" -gt 0 ]; then
		note "drift: $drifts difference(s) from the declared state of $1"
		exit 1
	fi
	note "ok: $1"
}
# ---- steps ----
`;

const ROOT_CHECK = (what: string) => String.raw`if [ "$(id -u)" != 0 ]; then die "run as root: ${what} needs it"; fi
`;

// ---------------------------------------------------------------------------------------------
// parent NIC: promiscuous now and after a reboot

/**
 * Scripts that make `host.nic` promiscuous now (`ip link set <nic> promisc on`) and after a reboot
 * through the backend (ifcfg: `PROMISC=yes` edited in place in `<configDir>/ifcfg-<nic>`, no new
 * file; nmcli: `802-3-ethernet.accept-all-mac-addresses` on the NIC's active connection, when
 * NetworkManager has it; iproute2: runtime only, and says so). They never touch the NIC's
 * addresses or routes. Delete puts back the previous flag and the file's bytes.
 */
export function renderParentInterface(host: HostSpec, options: RenderOptions = {}): HostScripts {
    checkHost(host);
    const o = resolveRenderOptions(options);
    const vars: Array<[string, string]> = [
        ["host", host.name],
        ["nic", host.nic],
        ["state_dir", o.stateDir],
        ["state", `${o.stateDir}/host`],
    ];
    if (host.backend === "ifcfg") {
        vars.push(["cfg", `${host.configDir}/ifcfg-${host.nic}`]);
    }
    const title = (action: string) => `parent interface ${host.nic} of ${host.name}, promiscuous (${host.backend}): ${action}`;
    return {
        create: script(title("create"), vars, parentCreate(host.backend)),
        delete: script(title("delete"), vars, parentDelete(host.backend)),
        check: script(title("check"), vars, parentCheck(host.backend)),
    };
}

function parentCreate(backend: NetworkBackend): string {
    let pre = "";
    let persist: string;
    switch (backend) {
        case "ifcfg":
            persist = String.raw`if [ -f "$cfg" ]; then
	if [ ! -e "$state/parent-$nic.orig" ]; then
		save "$state/parent-$nic.orig"
		cp -p "$cfg" "$state/parent-$nic.orig"
	fi
	stage "$cfg"
	if grep -q '^PROMISC=' "$cfg"; then
		sed 's/^PROMISC=.*/PROMISC=yes/' "$cfg" >"$pending"
	else
		cat "$cfg" >"$pending"
		if [ -n "$(tail -c 1 "$cfg")" ]; then echo >>"$pending"; fi
		echo 'PROMISC=yes' >>"$pending"
	fi
	commit "$cfg" 644 "$cfg with PROMISC=yes, for after a reboot (only that line: addresses and routes untouched)"
	stage "$state/parent-$nic.ours"
	cat "$cfg" >"$pending"
	commit "$state/parent-$nic.ours" 644 ''
else
	note "runtime only: there is no $cfg, and macvlan-lab does not create a connection file for $nic (the host may be reached through it); $nic stops being promiscuous at the next reboot unless its own config sets PROMISC=yes"
fi
`;
            break;
        case "nmcli":
            pre = String.raw`if ! nm_running; then die "the nmcli backend needs NetworkManager: nmcli is missing or NetworkManager is not running (use backend ifcfg or iproute2)"; fi
`;
            persist = String.raw`uuid=$(nmcli -g UUID,DEVICE connection show --active | awk -F: -v d="$nic" '$2 == d { print $1; exit }')
if [ -z "$uuid" ]; then
	note "runtime only: no active NetworkManager connection on $nic, and macvlan-lab does not create one for it (the host may be reached through it); $nic stops being promiscuous at the next reboot"
elif ! current=$(nmcli -g 802-3-ethernet.accept-all-mac-addresses connection show uuid "$uuid" 2>/dev/null); then
	note "runtime only: this NetworkManager has no 802-3-ethernet.accept-all-mac-addresses (added in NetworkManager 1.32), the setting that keeps a NIC promiscuous; $nic stops being promiscuous at the next reboot (upgrade NetworkManager or use backend ifcfg)"
else
	if [ ! -e "$state/parent-$nic.nm" ]; then
		stage "$state/parent-$nic.nm"
		printf '%s %s\n' "$uuid" "$(nm_ternary "$current")" >"$pending"
		commit "$state/parent-$nic.nm" 644 ''
	fi
	if [ "$(nm_ternary "$current")" = true ]; then
		note "unchanged: connection $uuid of $nic keeps it promiscuous (802-3-ethernet.accept-all-mac-addresses)"
	else
		undo "nmcli connection modify uuid $(q "$uuid") 802-3-ethernet.accept-all-mac-addresses $(nm_ternary "$current")"
		nmcli connection modify uuid "$uuid" 802-3-ethernet.accept-all-mac-addresses true
		did "connection $uuid of $nic keeps it promiscuous after a reboot (802-3-ethernet.accept-all-mac-addresses true; the running connection is not reapplied, the flag is already set)"
	fi
fi
`;
            break;
        case "iproute2":
            persist = String.raw`note "runtime only: the iproute2 backend keeps no configuration; $nic stops being promiscuous at the next reboot (backend ifcfg or nmcli keeps it)"
`;
            break;
        default: {
            const never_: never = backend;
            throw new Error(`unknown backend ${String(never_)}`);
        }
    }
    return (
        ROOT_CHECK("setting $nic promiscuous") +
        pre +
        String.raw`if ! link_exists "$nic"; then die "parent interface $nic does not exist on $host; check the host's nic in the stack"; fi
state_init
if [ ! -e "$state/parent-$nic.promisc" ]; then
	stage "$state/parent-$nic.promisc"
	if has_flag "$nic" PROMISC; then echo on >"$pending"; else echo off >"$pending"; fi
	commit "$state/parent-$nic.promisc" 644 ''
fi
if has_flag "$nic" PROMISC; then
	note "unchanged: $nic is promiscuous"
else
	undo "ip link set dev $(q "$nic") promisc off"
	ip link set dev "$nic" promisc on
	did "$nic is promiscuous now (ip link set dev $nic promisc on)"
fi
` +
        persist +
        String.raw`report "$nic is promiscuous" "$nic was already promiscuous"
`
    );
}

function parentDelete(backend: NetworkBackend): string {
    let persist: string;
    switch (backend) {
        case "ifcfg":
            persist = String.raw`if [ -e "$state/parent-$nic.orig" ]; then
	if [ ! -f "$cfg" ]; then
		note "$cfg is gone since create; not recreating it"
	elif cmp -s "$cfg" "$state/parent-$nic.ours"; then
		if ! cmp -s "$cfg" "$state/parent-$nic.orig"; then
			save "$cfg"
			put_back "$state/parent-$nic.orig" "$cfg"
			did "$cfg has its bytes from before create again"
		fi
	else
		line=$(grep '^PROMISC=' "$state/parent-$nic.orig" | tail -n 1)
		stage "$cfg"
		if [ -z "$line" ]; then
			grep -vx 'PROMISC=yes' "$cfg" >"$pending" || true
		else
			L="$line" awk '/^PROMISC=/ { print ENVIRON["L"]; next } { print }' "$cfg" >"$pending"
		fi
		commit "$cfg" 644 "$cfg with its PROMISC line as before create (the file was changed since create: those changes are kept)"
	fi
	forget "$state/parent-$nic.orig"
	forget "$state/parent-$nic.ours"
fi
`;
            break;
        case "nmcli":
            persist = String.raw`if [ -e "$state/parent-$nic.nm" ]; then
	read -r uuid previous <"$state/parent-$nic.nm"
	if ! nm_running; then
		note "NetworkManager is not running: connection $uuid keeps 802-3-ethernet.accept-all-mac-addresses as it is"
	elif current=$(nmcli -g 802-3-ethernet.accept-all-mac-addresses connection show uuid "$uuid" 2>/dev/null); then
		if [ "$(nm_ternary "$current")" != "$previous" ]; then
			nmcli connection modify uuid "$uuid" 802-3-ethernet.accept-all-mac-addresses "$previous"
			did "connection $uuid of $nic has 802-3-ethernet.accept-all-mac-addresses $previous again"
		fi
	else
		note "connection $uuid is gone; nothing to set back"
	fi
	forget "$state/parent-$nic.nm"
fi
`;
            break;
        case "iproute2":
            persist = "";
            break;
        default: {
            const never_: never = backend;
            throw new Error(`unknown backend ${String(never_)}`);
        }
    }
    return (
        ROOT_CHECK("setting $nic back") +
        String.raw`if [ ! -e "$state/parent-$nic.promisc" ]; then
	note "nothing changed: no record of a create for $nic in $state (it never ran here, or delete already did)"
	exit 0
fi
` +
        persist +
        String.raw`if [ "$(cat "$state/parent-$nic.promisc")" = off ] && has_flag "$nic" PROMISC; then
	ip link set dev "$nic" promisc off
	did "$nic is not promiscuous, as before create"
fi
forget "$state/parent-$nic.promisc"
state_done
report "$nic is as before create" "$nic was already as before create"
`
    );
}

function parentCheck(backend: NetworkBackend): string {
    let persist: string;
    switch (backend) {
        case "ifcfg":
            persist = String.raw`if [ ! -f "$cfg" ]; then
	note "runtime only: there is no $cfg"
elif ! grep -qx 'PROMISC=yes' "$cfg"; then
	drift "$cfg has no PROMISC=yes line: $nic would not be promiscuous after a reboot"
fi
`;
            break;
        case "nmcli":
            persist = String.raw`if [ -e "$state/parent-$nic.nm" ]; then
	read -r uuid _ <"$state/parent-$nic.nm"
	if ! nm_running; then
		drift "NetworkManager is not running"
	elif [ "$(nm_ternary "$(nmcli -g 802-3-ethernet.accept-all-mac-addresses connection show uuid "$uuid" 2>/dev/null)")" != true ]; then
		drift "connection $uuid of $nic does not have 802-3-ethernet.accept-all-mac-addresses true: $nic would not be promiscuous after a reboot"
	fi
else
	note "runtime only: no NetworkManager setting was recorded for $nic"
fi
`;
            break;
        case "iproute2":
            persist = String.raw`note "runtime only: the iproute2 backend keeps no configuration"
`;
            break;
        default: {
            const never_: never = backend;
            throw new Error(`unknown backend ${String(never_)}`);
        }
    }
    return (
        String.raw`if ! link_exists "$nic"; then
	drift "parent interface $nic does not exist"
elif ! has_flag "$nic" PROMISC; then
	drift "$nic is not promiscuous (no PROMISC flag in ip link show dev $nic)"
fi
` +
        persist +
        String.raw`verdict "$nic promiscuous"
`
    );
}

// ---------------------------------------------------------------------------------------------
// 8021q: 802.1Q support loaded now and at boot

/**
 * Scripts that load 8021q now (`modprobe 8021q`, unless loaded or built in) and at boot
 * (`<modulesLoadDir>/8021q.conf`, created, or the line appended to an existing file). Delete
 * removes only what create added: the module is unloaded only if create loaded it (and nothing
 * uses it), the file put back as it was. On a kernel without 802.1Q the create fails with
 * `802.1Q VLAN devices are not supported by this kernel: ...` and changes nothing, unless the lab's
 * emulation marker exists: then it prints `EMULATED: ...`, still writes the file, and succeeds.
 */
export function renderKernelModule(host: HostSpec, options: RenderOptions = {}): HostScripts {
    checkHost(host);
    const o = resolveRenderOptions(options);
    const vars: Array<[string, string]> = [
        ["host", host.name],
        ["conf_dir", o.modulesLoadDir],
        ["conf", `${o.modulesLoadDir}/8021q.conf`],
        ["state_dir", o.stateDir],
        ["state", `${o.stateDir}/host`],
        ["marker", o.emulationMarker],
    ];
    const title = (action: string) => `8021q (802.1Q VLAN support) on ${host.name}, now and at boot: ${action}`;
    return {
        create: script(title("create"), vars, MODULE_CREATE),
        delete: script(title("delete"), vars, MODULE_DELETE),
        check: script(title("check"), vars, MODULE_CHECK),
    };
}

const MODULE_CREATE =
    ROOT_CHECK("loading 8021q") +
    String.raw`why=$(vlan_missing)
if [ -e /proc/net/vlan/config ]; then
	module=present
elif [ -z "$why" ]; then
	module=load
elif [ -e "$marker" ]; then
	module=emulated
	note "EMULATED: this kernel has no 802.1Q VLAN support ($why); the lab marker $marker says VLANs are emulated on $host, so 8021q is not loaded; $conf is written as on a real host"
else
	die "802.1Q VLAN devices are not supported by this kernel: $why. Nothing was changed; VLAN interfaces need a kernel with 8021q (CONFIG_VLAN_8021Q)"
fi
state_init
if [ ! -e "$state/8021q.module" ]; then
	stage "$state/8021q.module"
	if [ "$module" = load ]; then echo loaded >"$pending"; else echo "$module" >"$pending"; fi
	commit "$state/8021q.module" 644 ''
fi
if [ "$module" = load ]; then
	undo 'modprobe -r 8021q'
	modprobe 8021q
	if [ ! -e /proc/net/vlan/config ]; then die "modprobe 8021q succeeded but there is still no /proc/net/vlan/config"; fi
	did "8021q is loaded (modprobe 8021q)"
elif [ "$module" = present ]; then
	note "unchanged: 8021q is loaded (or built in)"
fi
if [ ! -d "$conf_dir" ]; then
	mkdirs "$conf_dir"
	stage "$state/8021q.made-dirs"
	printf '%s' "$made_dirs" >"$pending"
	commit "$state/8021q.made-dirs" 644 ''
	did "made $conf_dir"
fi
if [ -f "$conf" ] && grep -qx 8021q "$conf"; then
	note "unchanged: $conf loads 8021q at boot"
else
	if [ -f "$conf" ] && [ ! -e "$state/8021q.orig" ]; then
		save "$state/8021q.orig"
		cp -p "$conf" "$state/8021q.orig"
	fi
	stage "$conf"
	if [ -f "$conf" ]; then
		cat "$conf" >"$pending"
		if [ -n "$(tail -c 1 "$conf")" ]; then echo >>"$pending"; fi
		echo 8021q >>"$pending"
	else
		printf '# macvlan-lab: 802.1Q VLAN support at boot, for the VLAN interfaces of this host\n8021q\n' >"$pending"
	fi
	commit "$conf" 644 "$conf, which loads 8021q at boot"
	stage "$state/8021q.ours"
	cat "$conf" >"$pending"
	commit "$state/8021q.ours" 644 ''
fi
report "8021q loaded now and at boot" "8021q was already loaded now and at boot"
`;

const MODULE_DELETE =
    ROOT_CHECK("unloading 8021q") +
    String.raw`if [ ! -e "$state/8021q.module" ]; then
	note "nothing changed: no record of a create of 8021q in $state (it never ran here, or delete already did)"
	exit 0
fi
if [ -e "$state/8021q.ours" ]; then
	if [ ! -f "$conf" ]; then
		note "$conf is gone since create"
	elif ! cmp -s "$conf" "$state/8021q.ours"; then
		note "$conf was changed since create: left as it is (remove its 8021q line by hand if nothing needs it)"
	elif [ -e "$state/8021q.orig" ]; then
		save "$conf"
		put_back "$state/8021q.orig" "$conf"
		did "$conf has its bytes from before create again"
	else
		drop "$conf" "removed $conf (create wrote it)"
	fi
fi
forget "$state/8021q.orig"
forget "$state/8021q.ours"
if [ -e "$state/8021q.made-dirs" ]; then
	rmdirs "$state/8021q.made-dirs"
	if [ ! -d "$conf_dir" ]; then did "removed $conf_dir (create made it)"; fi
	forget "$state/8021q.made-dirs"
fi
if [ "$(cat "$state/8021q.module")" = loaded ] && [ -e /proc/net/vlan/config ]; then
	if out=$(modprobe -r 8021q 2>&1); then
		did "8021q is unloaded (create loaded it)"
	else
		note "8021q stays loaded: $out"
	fi
fi
forget "$state/8021q.module"
state_done
report "8021q is as before create" "8021q was already as before create"
`;

const MODULE_CHECK = String.raw`why=$(vlan_missing)
if [ -e /proc/net/vlan/config ]; then
	:
elif [ -z "$why" ]; then
	drift "8021q is not loaded (no /proc/net/vlan/config)"
elif [ -e "$marker" ]; then
	note "EMULATED: this kernel has no 802.1Q VLAN support ($why); the lab marker $marker says VLANs are emulated on $host"
else
	drift "802.1Q VLAN devices are not supported by this kernel: $why"
fi
if [ ! -f "$conf" ] || ! grep -qx 8021q "$conf"; then drift "$conf does not load 8021q at boot"; fi
verdict "8021q loaded now and at boot"
`;

// ---------------------------------------------------------------------------------------------
// VLAN interface <parent>.<id> with its address

/**
 * Scripts for the VLAN interface of `vlan` on `host` (`<parent>.<id>` with the host's address):
 * - ifcfg: writes `<configDir>/ifcfg-<parent>.<id>` (DEVICE, NAME, BOOTPROTO=none, ONBOOT=yes,
 *   VLAN=yes, PHYSDEV, IPADDR, PREFIX; GATEWAY only when the VLAN has one, then DEFROUTE=no unless
 *   defaultRoute), reloads NetworkManager's connections when it runs and reads ifcfg files, `ifup`;
 * - nmcli: a VLAN connection profile named `<parent>.<id>` (`nmcli connection add type vlan`),
 *   brought up with `nmcli connection up`;
 * - iproute2: `ip link add link <parent> name <parent>.<id> type vlan id <id>`, runtime only.
 * Then the address (`ip addr replace`) and the link up, whatever the backend left undone.
 */
export function renderVlanInterface(host: HostSpec, vlan: VlanSpec, options: RenderOptions = {}): HostScripts {
    checkHost(host);
    const o = resolveRenderOptions(options);
    const v = vlanFacts(host, vlan);
    const vars: Array<[string, string | number]> = [
        ["host", host.name],
        ["dev", v.dev],
        ["parent", v.parent],
        ["vlan_id", v.id],
        ["address", v.address],
        ["ip", v.ip],
        ["prefix", v.prefix],
    ];
    if (v.gateway !== undefined) {
        vars.push(["gateway", v.gateway]);
    }
    if (host.backend === "ifcfg") {
        vars.push(["cfg_dir", host.configDir], ["cfg", `${host.configDir}/ifcfg-${v.dev}`]);
    }
    if (host.backend === "nmcli") {
        vars.push(["con", v.dev]);
    }
    vars.push(
        ["state_dir", o.stateDir],
        ["state", `${o.stateDir}/host`],
        ["marker", o.emulationMarker],
        ["lab_alias", emulatedVlanLinkAlias(v.id, v.parent)],
    );
    const title = (action: string) =>
        `VLAN interface ${v.dev} (VLAN ${v.id} on ${v.parent}) of ${host.name} with ${v.address} (${host.backend}): ${action}`;
    const parts = vlanParts(host.backend, v);
    return {
        create: script(title("create"), vars, parts.functions + vlanCreate(host.backend, parts)),
        delete: script(title("delete"), vars, parts.functions + vlanDelete(host.backend)),
        check: script(title("check"), vars, parts.functions + vlanCheck(host.backend)),
    };
}

interface VlanParts {
    /** Backend functions shared by create, delete and check. */
    functions: string;
    /** What the EMULATED line says this backend does instead of creating the VLAN. */
    emulatedHow: string;
}

function vlanParts(backend: NetworkBackend, v: VlanFacts): VlanParts {
    switch (backend) {
        case "ifcfg": {
            const gatewayLines =
                v.gateway !== undefined ? `GATEWAY=$gateway\nDEFROUTE=${v.defaultRoute ? "yes" : "no"}\n` : "";
            return {
                functions:
                    String.raw`# cfg_text: the ifcfg file of $dev
cfg_text() {
	cat <<EOF
# macvlan-lab: VLAN $vlan_id on $parent, written by pulumi (delete puts back what was here before)
DEVICE=$dev
NAME=$dev
BOOTPROTO=none
ONBOOT=yes
VLAN=yes
PHYSDEV=$parent
IPADDR=$ip
PREFIX=$prefix
` +
                    gatewayLines +
                    String.raw`EOF
}
`,
                emulatedHow: "$cfg is written as on a real host, but instead of ifup the address goes on the lab's pre-created link $dev",
            };
        }
        case "nmcli": {
            const gatewayArgs =
                v.gateway !== undefined ? ` ipv4.gateway "$gateway" ipv4.never-default ${v.defaultRoute ? "no" : "yes"}` : "";
            const gatewayWants =
                v.gateway !== undefined
                    ? `\tnm_want ipv4.gateway "$gateway"\n\tnm_want ipv4.never-default ${v.defaultRoute ? "no" : "yes"}\n`
                    : "";
            return {
                functions:
                    String.raw`nm_has() { nmcli -g connection.uuid connection show id "$con" >/dev/null 2>&1; }
nm_get() { nmcli -g "$1" connection show id "$con" 2>/dev/null || true; }
nm_want() {
	value=$(nm_get "$1")
	if [ "$value" != "$2" ]; then printf '%s is "%s", not "%s"; ' "$1" "$value" "$2"; fi
}
# nm_drift: how the connection $con differs from the declared one (empty when it does not)
nm_drift() {
	nm_want connection.interface-name "$dev"
	nm_want vlan.parent "$parent"
	nm_want vlan.id "$vlan_id"
	nm_want ipv4.method manual
	nm_want ipv4.addresses "$address"
` +
                    gatewayWants +
                    String.raw`}
# nm_set VERB...: nmcli connection VERB... with every declared setting of $con
nm_set() {
	nmcli connection "$@" connection.interface-name "$dev" vlan.parent "$parent" vlan.id "$vlan_id" ipv4.method manual ipv4.addresses "$address"` +
                    gatewayArgs +
                    String.raw` ipv6.method ignore connection.autoconnect yes
}
`,
                emulatedHow:
                    "the NetworkManager connection $con is added as on a real host but not brought up; the address goes on the lab's pre-created link $dev",
            };
        }
        case "iproute2":
            return {
                functions: "",
                emulatedHow: "instead of ip link add, the address goes on the lab's pre-created link $dev",
            };
        default: {
            const never_: never = backend;
            throw new Error(`unknown backend ${String(never_)}`);
        }
    }
}

function vlanCreate(backend: NetworkBackend, parts: VlanParts): string {
    let pre = "";
    let kernelPre = "";
    let record = "";
    let persist: string;
    let bringUp: string;
    let tail = "";
    switch (backend) {
        case "ifcfg":
            pre = String.raw`if [ ! -d "$cfg_dir" ]; then die "$cfg_dir does not exist: is $host an ifcfg (network-scripts) host? Pick the backend that manages its network"; fi
`;
            kernelPre = String.raw`	if ! command -v ifup >/dev/null 2>&1; then die "ifup is not installed: the ifcfg backend brings VLAN interfaces up with ifup (network-scripts, or NetworkManager's ifup); install it or pick another backend"; fi
`;
            record = String.raw`		if [ -e "$cfg" ]; then echo file=saved; else echo file=absent; fi
`;
            persist = String.raw`if [ ! -e "$state/vlan-$dev.orig" ] && [ "$(state_get "$state/vlan-$dev.state" file)" = saved ] && [ -e "$cfg" ]; then
	save "$state/vlan-$dev.orig"
	cp -p "$cfg" "$state/vlan-$dev.orig"
fi
if [ "$mode" = kernel ]; then undo 'if nm_reads_ifcfg; then nmcli connection reload; fi'; fi
before=$changed
stage "$cfg"
cfg_text >"$pending"
commit "$cfg" 644 "$cfg"
`;
            bringUp = String.raw`if [ "$mode" = kernel ]; then
	if [ "$changed" -ne "$before" ] && nm_reads_ifcfg; then
		nmcli connection reload
		did "NetworkManager read the ifcfg files again (nmcli connection reload)"
	fi
	if ! link_exists "$dev"; then
		undo "if ip link show dev $(q "$dev") >/dev/null 2>&1; then ip link delete dev $(q "$dev"); fi"
		ifup "$dev"
		did "$dev is up (ifup $dev)"
	fi
fi
`;
            break;
        case "nmcli":
            pre = String.raw`if ! nm_running; then die "the nmcli backend needs NetworkManager: nmcli is missing or NetworkManager is not running (use backend ifcfg or iproute2)"; fi
if nm_has && [ ! -e "$state/vlan-$dev.state" ]; then die "a NetworkManager connection named $con exists and macvlan-lab did not create it; delete or rename it first"; fi
`;
            record = String.raw`		echo profile=created
`;
            persist = String.raw`if ! nm_has; then
	undo "nmcli connection delete id $(q "$con") >/dev/null 2>&1 || true"
	nm_set add type vlan con-name "$con"
	did "NetworkManager connection $con (nmcli connection add type vlan ...)"
elif [ -n "$(nm_drift)" ]; then
	nm_set modify id "$con"
	did "NetworkManager connection $con updated (nmcli connection modify)"
else
	note "unchanged: NetworkManager connection $con"
fi
`;
            bringUp = String.raw`if [ "$mode" = kernel ] && [ "$(nm_get GENERAL.STATE)" != activated ]; then
	nmcli connection up id "$con"
	did "$con is up (nmcli connection up)"
fi
`;
            break;
        case "iproute2":
            persist = "";
            bringUp = String.raw`if [ "$mode" = kernel ] && ! link_exists "$dev"; then
	undo "if ip link show dev $(q "$dev") >/dev/null 2>&1; then ip link delete dev $(q "$dev"); fi"
	ip link add link "$parent" name "$dev" type vlan id "$vlan_id"
	did "created $dev (ip link add link $parent name $dev type vlan id $vlan_id)"
fi
`;
            tail = String.raw`note "runtime only: the iproute2 backend keeps no configuration; $dev and its address are gone after a reboot"
`;
            break;
        default: {
            const never_: never = backend;
            throw new Error(`unknown backend ${String(never_)}`);
        }
    }
    return (
        ROOT_CHECK("creating $dev") +
        pre +
        String.raw`if ! link_exists "$parent"; then die "parent interface $parent of $dev does not exist on $host"; fi
why=$(vlan_missing)
if [ -z "$why" ]; then
	mode=kernel
` +
        kernelPre +
        String.raw`	if link_exists "$dev" && { [ "$(vlan_id_of "$dev")" != "$vlan_id" ] || [ "$(parent_of "$dev")" != "$parent" ]; }; then
		die "$dev exists but is not VLAN $vlan_id on $parent ($(vlan_desc "$dev")); remove it or change the spec"
	fi
elif [ -e "$marker" ]; then
	mode=emulated
	note "EMULATED: this kernel has no 802.1Q VLAN devices ($why); the lab marker $marker says VLANs are emulated on $host: ${parts.emulatedHow} (ip addr replace, ip link set up)"
	if ! link_exists "$dev"; then die "the lab marker $marker says VLANs are emulated, but the lab has not created the link $dev"; fi
	if [ "$(alias_of "$dev")" != "$lab_alias" ]; then die "$dev is not the lab's emulated VLAN link: its alias is '$(alias_of "$dev")', not '$lab_alias'"; fi
else
	die "802.1Q VLAN devices are not supported by this kernel: $why. $dev was not created and nothing was changed; load 8021q (CONFIG_VLAN_8021Q) first"
fi
state_init
if [ ! -e "$state/vlan-$dev.state" ]; then
	stage "$state/vlan-$dev.state"
	{
		echo "mode=$mode"
		if link_exists "$dev"; then echo link=existed; else echo link=created; fi
		if has_addr "$dev" "$address"; then echo addr=existed; else echo addr=added; fi
		if has_flag "$dev" UP; then echo up=existed; else echo up=set; fi
` +
        record +
        String.raw`	} >"$pending"
	commit "$state/vlan-$dev.state" 644 ''
fi
` +
        persist +
        bringUp +
        String.raw`if ! has_addr "$dev" "$address"; then
	undo "ip addr del $(q "$address") dev $(q "$dev") 2>/dev/null || true"
	ip addr replace "$address" dev "$dev"
	did "$dev has $address (ip addr replace)"
fi
if ! has_flag "$dev" UP; then
	undo "ip link set dev $(q "$dev") down 2>/dev/null || true"
	ip link set dev "$dev" up
	did "$dev is up (ip link set up)"
fi
` +
        tail +
        String.raw`report "$dev ($mode) has $address and is up" "$dev ($mode) already had $address and was up"
`
    );
}

function vlanDelete(backend: NetworkBackend): string {
    let removeLink: string;
    let persist = "";
    switch (backend) {
        case "ifcfg":
            removeLink = String.raw`	if command -v ifdown >/dev/null 2>&1 && [ -f "$cfg" ]; then ifdown "$dev" || note "ifdown $dev failed; deleting the link with ip"; fi
`;
            persist = String.raw`if [ "$(state_get "$state/vlan-$dev.state" file)" = saved ] && [ -e "$state/vlan-$dev.orig" ]; then
	if [ ! -f "$cfg" ] || ! cmp -s "$cfg" "$state/vlan-$dev.orig"; then
		save "$cfg"
		put_back "$state/vlan-$dev.orig" "$cfg"
		did "$cfg has its bytes from before create again"
	fi
else
	drop "$cfg" "removed $cfg"
fi
if [ "$mode" = kernel ] && [ "$changed" -ne 0 ] && nm_reads_ifcfg; then
	nmcli connection reload
	did "NetworkManager read the ifcfg files again (nmcli connection reload)"
fi
forget "$state/vlan-$dev.orig"
`;
            break;
        case "nmcli":
            removeLink = "";
            persist = "";
            break;
        case "iproute2":
            removeLink = "";
            break;
        default: {
            const never_: never = backend;
            throw new Error(`unknown backend ${String(never_)}`);
        }
    }
    const nmFirst =
        backend === "nmcli"
            ? String.raw`if [ "$(state_get "$state/vlan-$dev.state" profile)" != existed ]; then
	if ! nm_running; then
		note "NetworkManager is not running: the connection $con, if any, is left"
	elif nm_has; then
		nmcli connection delete id "$con"
		did "deleted NetworkManager connection $con"
	fi
fi
`
            : "";
    return (
        ROOT_CHECK("removing $dev") +
        String.raw`if [ ! -e "$state/vlan-$dev.state" ]; then
	note "nothing changed: no record of $dev in $state (create never ran here, or delete already did)"
	exit 0
fi
mode=$(state_get "$state/vlan-$dev.state" mode)
` +
        nmFirst +
        String.raw`if [ "$mode" = kernel ] && [ "$(state_get "$state/vlan-$dev.state" link)" = created ]; then
	if link_exists "$dev"; then
` +
        (removeLink
            ? removeLink.replace(/^\t/gm, "\t\t") + String.raw`		if link_exists "$dev"; then ip link delete dev "$dev"; fi
`
            : String.raw`		ip link delete dev "$dev"
`) +
        String.raw`		did "removed $dev"
	fi
else
	if [ "$mode" = emulated ]; then note "EMULATED: $dev is the lab's link: its address goes and it is set down; the link itself stays"; fi
	if [ "$(state_get "$state/vlan-$dev.state" addr)" = added ] && has_addr "$dev" "$address"; then
		ip addr del "$address" dev "$dev"
		did "removed $address from $dev"
	fi
	if [ "$(state_get "$state/vlan-$dev.state" up)" = set ] && has_flag "$dev" UP; then
		ip link set dev "$dev" down
		did "$dev is down"
	fi
fi
` +
        persist +
        String.raw`forget "$state/vlan-$dev.state"
state_done
report "$dev is as before create" "$dev was already as before create"
`
    );
}

function vlanCheck(backend: NetworkBackend): string {
    let persist: string;
    switch (backend) {
        case "ifcfg":
            persist = String.raw`cfg_text >"$work/expected"
if [ ! -f "$cfg" ]; then
	drift "$cfg is missing"
elif ! cmp -s "$work/expected" "$cfg"; then
	drift "$cfg differs from what create writes:"
	diff -u "$work/expected" "$cfg" | sed 's/^/    /'
fi
`;
            break;
        case "nmcli":
            persist = String.raw`if ! nm_running; then
	drift "NetworkManager is not running"
elif ! nm_has; then
	drift "there is no NetworkManager connection $con"
elif [ -n "$(nm_drift)" ]; then
	drift "NetworkManager connection $con differs: $(nm_drift)"
fi
`;
            break;
        case "iproute2":
            persist = String.raw`note "runtime only: the iproute2 backend keeps no configuration"
`;
            break;
        default: {
            const never_: never = backend;
            throw new Error(`unknown backend ${String(never_)}`);
        }
    }
    return (
        String.raw`why=$(vlan_missing)
if [ -z "$why" ]; then
	mode=kernel
elif [ -e "$marker" ]; then
	mode=emulated
	note "EMULATED: this kernel has no 802.1Q VLAN devices ($why); the lab marker $marker says $dev is the lab's pre-created link"
else
	mode=none
	drift "802.1Q VLAN devices are not supported by this kernel: $why"
fi
if ! link_exists "$dev"; then
	drift "$dev is missing"
else
	if [ "$mode" = emulated ]; then
		if [ "$(alias_of "$dev")" != "$lab_alias" ]; then drift "$dev is not the lab's emulated VLAN link: its alias is '$(alias_of "$dev")', not '$lab_alias'"; fi
	elif [ "$(vlan_id_of "$dev")" != "$vlan_id" ] || [ "$(parent_of "$dev")" != "$parent" ]; then
		drift "$dev should be VLAN $vlan_id on $parent, but $(vlan_desc "$dev")"
	fi
	if ! has_addr "$dev" "$address"; then drift "$dev does not have $address (it has: $(addrs_of "$dev"))"; fi
	if ! has_flag "$dev" UP; then drift "$dev is down"; fi
fi
` +
        persist +
        String.raw`verdict "$dev with $address"
`
    );
}

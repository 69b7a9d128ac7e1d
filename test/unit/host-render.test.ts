/**
 * Pure tests of the host networking renderers: the exact scripts for the multi-VLAN stack's hosts
 * (docker01 and docker02, VLANs 10 and 20 on ens33) per backend, the ifcfg files they write, the
 * gateway cases, validation messages, and `bash -n` plus `shellcheck -s sh` on every variant.
 */
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    renderKernelModule,
    renderParentInterface,
    renderVlanInterface,
    scriptsDigest,
    HostScripts,
    RenderOptions,
} from "../../components/host/render";
import { DEFAULT_CONFIG_DIRS, loadLab, RawLabConfig } from "../../components/spec/validate";
import { HostSpec, LabSpec, NetworkBackend, VlanSpec } from "../../components/spec/types";
import { loadStackConfig, rawLabConfig } from "../../lab/stackFile";
import { requireTool } from "../helpers/tools";

const BACKENDS: NetworkBackend[] = ["ifcfg", "nmcli", "iproute2"];
const ACTIONS = ["create", "delete", "check"] as const;
type Action = (typeof ACTIONS)[number];

const multiVlan = (): LabSpec => loadLab(rawLabConfig(loadStackConfig("multi-vlan")) as RawLabConfig);

/** A stack host with another backend (and that backend's default config directory). */
function withBackend(host: HostSpec, backend: NetworkBackend): HostSpec {
    return { ...host, backend, configDir: DEFAULT_CONFIG_DIRS[backend] };
}

/** The memberships of the multi-VLAN lab, as the tutorial's section 4.2 gives them. */
const MEMBERSHIPS = [
    { host: "docker01", dev: "ens33.10", id: 10, address: "192.168.10.10/24", ip: "192.168.10.10" },
    { host: "docker01", dev: "ens33.20", id: 20, address: "192.168.20.20/24", ip: "192.168.20.20" },
    { host: "docker02", dev: "ens33.10", id: 10, address: "192.168.10.11/24", ip: "192.168.10.11" },
    { host: "docker02", dev: "ens33.20", id: 20, address: "192.168.20.21/24", ip: "192.168.20.21" },
];
type Membership = (typeof MEMBERSHIPS)[number];

/** `set -eu`, the title, then one single-quoted variable per line. */
function head(title: string, vars: Array<[string, string]>): string {
    return ["set -eu", `# macvlan-lab: ${title}`, ...vars.map(([k, v]) => `${k}='${v}'`)].join("\n") + "\n";
}

/** Which variables each script declares (only those it reads). */
const PARENT_VARS: Record<NetworkBackend, Record<Action, string[]>> = {
    ifcfg: {
        create: ["host", "nic", "state_dir", "state", "cfg"],
        delete: ["nic", "state_dir", "state", "cfg"],
        check: ["nic", "state_dir", "state", "cfg"],
    },
    nmcli: {
        create: ["host", "nic", "state_dir", "state"],
        delete: ["nic", "state_dir", "state"],
        check: ["nic", "state_dir", "state"],
    },
    iproute2: {
        create: ["host", "nic", "state_dir", "state"],
        delete: ["nic", "state_dir", "state"],
        check: ["nic", "state_dir", "state"],
    },
};
const MODULE_VARS: Record<Action, string[]> = {
    create: ["host", "conf_dir", "conf", "state_dir", "state", "marker"],
    delete: ["conf_dir", "conf", "state_dir", "state"],
    check: ["host", "conf", "state_dir", "state", "marker"],
};
const VLAN_VARS: Record<NetworkBackend, Record<Action, string[]>> = {
    ifcfg: {
        create: ["host", "dev", "parent", "vlan_id", "address", "ip", "prefix", "gateway", "cfg_dir", "cfg", "state_dir", "state", "marker", "lab_alias"],
        delete: ["dev", "parent", "vlan_id", "address", "ip", "prefix", "gateway", "cfg", "state_dir", "state"],
        check: ["dev", "parent", "vlan_id", "address", "ip", "prefix", "gateway", "cfg", "state_dir", "state", "marker", "lab_alias"],
    },
    nmcli: {
        create: ["host", "dev", "parent", "vlan_id", "address", "gateway", "con", "state_dir", "state", "marker", "lab_alias"],
        delete: ["dev", "parent", "vlan_id", "address", "gateway", "con", "state_dir", "state"],
        check: ["dev", "parent", "vlan_id", "address", "gateway", "con", "state_dir", "state", "marker", "lab_alias"],
    },
    iproute2: {
        create: ["host", "dev", "parent", "vlan_id", "address", "state_dir", "state", "marker", "lab_alias"],
        delete: ["dev", "address", "state_dir", "state"],
        check: ["dev", "parent", "vlan_id", "address", "state_dir", "state", "marker", "lab_alias"],
    },
};
const STATE_DIR = "/var/lib/macvlan-lab";

function expectedParent(host: string, backend: NetworkBackend, action: Action): string {
    const values: Record<string, string> = {
        host,
        nic: "ens33",
        state_dir: STATE_DIR,
        state: `${STATE_DIR}/host`,
        cfg: "/etc/sysconfig/network-scripts/ifcfg-ens33",
    };
    return (
        head(
            `parent interface ens33 of ${host}, promiscuous (${backend}): ${action}`,
            PARENT_VARS[backend][action].map((k) => [k, values[k]]),
        ) +
        LIBRARY +
        STEPS.parent[backend][action]
    );
}

function expectedModule(host: string, action: Action): string {
    const values: Record<string, string> = {
        host,
        conf_dir: "/etc/modules-load.d",
        conf: "/etc/modules-load.d/8021q.conf",
        state_dir: STATE_DIR,
        state: `${STATE_DIR}/host`,
        marker: "/run/macvlan-lab/vlan-emulation",
    };
    return (
        head(`8021q (802.1Q VLAN support) on ${host}, now and at boot: ${action}`, MODULE_VARS[action].map((k) => [k, values[k]])) +
        LIBRARY +
        STEPS.module[action]
    );
}

/** The steps with a gateway: the ifcfg file gains GATEWAY and DEFROUTE, the profile ipv4.gateway and never-default. */
function stepsWithGateway(backend: NetworkBackend, action: Action, defaultRoute: boolean): string {
    const steps = STEPS.vlan[backend][action];
    if (backend === "ifcfg") {
        return replaceOnce(steps, "PREFIX=$prefix\n", `PREFIX=$prefix\nGATEWAY=$gateway\nDEFROUTE=${defaultRoute ? "yes" : "no"}\n`);
    }
    if (backend === "nmcli") {
        const never = defaultRoute ? "no" : "yes";
        return replaceOnce(
            replaceOnce(steps, `\tnm_want ipv4.addresses "$address"\n}`, `\tnm_want ipv4.addresses "$address"\n\tnm_want ipv4.gateway "$gateway"\n\tnm_want ipv4.never-default ${never}\n}`),
            `ipv4.addresses "$address" ipv6.method`,
            `ipv4.addresses "$address" ipv4.gateway "$gateway" ipv4.never-default ${never} ipv6.method`,
        );
    }
    throw new Error(`no gateway steps for ${backend}`);
}

/** Runs a program, collecting stdout and stderr together. */
function run(program: string, args: string[]): Promise<{ status: number | null; output: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(program, args, { stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (d: Buffer) => (output += d.toString()));
        child.stderr.on("data", (d: Buffer) => (output += d.toString()));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, output }));
    });
}

function replaceOnce(s: string, from: string, to: string): string {
    assert.strictEqual(s.split(from).length, 2, `expected exactly one ${JSON.stringify(from)}`);
    return s.replace(from, to);
}

function expectedVlan(m: Membership, backend: NetworkBackend, action: Action, gateway?: { address: string; defaultRoute: boolean }): string {
    const cfgDir = DEFAULT_CONFIG_DIRS[backend];
    const values: Record<string, string> = {
        host: m.host,
        dev: m.dev,
        parent: "ens33",
        vlan_id: String(m.id),
        address: m.address,
        ip: m.ip,
        prefix: "24",
        cfg_dir: cfgDir,
        cfg: `${cfgDir}/ifcfg-${m.dev}`,
        con: m.dev,
        state_dir: STATE_DIR,
        state: `${STATE_DIR}/host`,
        marker: "/run/macvlan-lab/vlan-emulation",
        lab_alias: `macvlan-lab emulated VLAN ${m.id} on ens33`,
        ...(gateway ? { gateway: gateway.address } : {}),
    };
    const names = VLAN_VARS[backend][action].filter((k) => k !== "gateway" || gateway !== undefined);
    return (
        head(`VLAN interface ${m.dev} (VLAN ${m.id} on ens33) of ${m.host} with ${m.address} (${backend}): ${action}`, names.map((k) => [k, values[k]])) +
        LIBRARY +
        (gateway ? stepsWithGateway(backend, action, gateway.defaultRoute) : STEPS.vlan[backend][action])
    );
}

function hostOf(spec: LabSpec, name: string): HostSpec {
    const h = spec.hosts.find((x) => x.name === name);
    assert.ok(h, `no host ${name}`);
    return h;
}
function vlanOf(spec: LabSpec, dev: string): VlanSpec {
    const v = spec.vlans.find((x) => x.interfaceName === dev);
    assert.ok(v, `no VLAN ${dev}`);
    return v;
}

/** The ifcfg file a create script writes: its variables and cfg_text function, run by sh. */
function ifcfgFileOf(createScript: string): string {
    const vars = createScript.split("\n").filter((l) => /^[a-z_]+='[^']*'$/.test(l));
    const start = createScript.indexOf("cfg_text() {\n");
    const end = createScript.indexOf("\n}\n", start);
    assert.ok(start > 0 && end > start, "no cfg_text function");
    const r = spawnSync("sh", ["-c", `${vars.join("\n")}\n${createScript.slice(start, end + 3)}cfg_text`], { encoding: "utf8" });
    assert.strictEqual(r.status, 0, r.stderr);
    return r.stdout;
}

/** The helpers every script carries, between its variables and its steps. */
const LIBRARY = String.raw`# ---- helpers ----
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

/** The steps of each script (after `# ---- steps ----`), without a gateway. */
const STEPS = {
    parent: {
        ifcfg: {
            create: String.raw`if [ "$(id -u)" != 0 ]; then die "run as root: setting $nic promiscuous needs it"; fi
if ! link_exists "$nic"; then die "parent interface $nic does not exist on $host; check the host's nic in the stack"; fi
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
if [ -f "$cfg" ]; then
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
report "$nic is promiscuous" "$nic was already promiscuous"
`,
            delete: String.raw`if [ "$(id -u)" != 0 ]; then die "run as root: setting $nic back needs it"; fi
if [ ! -e "$state/parent-$nic.promisc" ]; then
	note "nothing changed: no record of a create for $nic in $state (it never ran here, or delete already did)"
	exit 0
fi
if [ -e "$state/parent-$nic.orig" ]; then
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
if [ "$(cat "$state/parent-$nic.promisc")" = off ] && has_flag "$nic" PROMISC; then
	ip link set dev "$nic" promisc off
	did "$nic is not promiscuous, as before create"
fi
forget "$state/parent-$nic.promisc"
state_done
report "$nic is as before create" "$nic was already as before create"
`,
            check: String.raw`if ! link_exists "$nic"; then
	drift "parent interface $nic does not exist"
elif ! has_flag "$nic" PROMISC; then
	drift "$nic is not promiscuous (no PROMISC flag in ip link show dev $nic)"
fi
if [ ! -f "$cfg" ]; then
	note "runtime only: there is no $cfg"
elif ! grep -qx 'PROMISC=yes' "$cfg"; then
	drift "$cfg has no PROMISC=yes line: $nic would not be promiscuous after a reboot"
fi
verdict "$nic promiscuous"
`,
        },
        nmcli: {
            create: String.raw`if [ "$(id -u)" != 0 ]; then die "run as root: setting $nic promiscuous needs it"; fi
if ! nm_running; then die "the nmcli backend needs NetworkManager: nmcli is missing or NetworkManager is not running (use backend ifcfg or iproute2)"; fi
if ! link_exists "$nic"; then die "parent interface $nic does not exist on $host; check the host's nic in the stack"; fi
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
uuid=$(nmcli -g UUID,DEVICE connection show --active | awk -F: -v d="$nic" '$2 == d { print $1; exit }')
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
report "$nic is promiscuous" "$nic was already promiscuous"
`,
            delete: String.raw`if [ "$(id -u)" != 0 ]; then die "run as root: setting $nic back needs it"; fi
if [ ! -e "$state/parent-$nic.promisc" ]; then
	note "nothing changed: no record of a create for $nic in $state (it never ran here, or delete already did)"
	exit 0
fi
if [ -e "$state/parent-$nic.nm" ]; then
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
if [ "$(cat "$state/parent-$nic.promisc")" = off ] && has_flag "$nic" PROMISC; then
	ip link set dev "$nic" promisc off
	did "$nic is not promiscuous, as before create"
fi
forget "$state/parent-$nic.promisc"
state_done
report "$nic is as before create" "$nic was already as before create"
`,
            check: String.raw`if ! link_exists "$nic"; then
	drift "parent interface $nic does not exist"
elif ! has_flag "$nic" PROMISC; then
	drift "$nic is not promiscuous (no PROMISC flag in ip link show dev $nic)"
fi
if [ -e "$state/parent-$nic.nm" ]; then
	read -r uuid _ <"$state/parent-$nic.nm"
	if ! nm_running; then
		drift "NetworkManager is not running"
	elif [ "$(nm_ternary "$(nmcli -g 802-3-ethernet.accept-all-mac-addresses connection show uuid "$uuid" 2>/dev/null)")" != true ]; then
		drift "connection $uuid of $nic does not have 802-3-ethernet.accept-all-mac-addresses true: $nic would not be promiscuous after a reboot"
	fi
else
	note "runtime only: no NetworkManager setting was recorded for $nic"
fi
verdict "$nic promiscuous"
`,
        },
        iproute2: {
            create: String.raw`if [ "$(id -u)" != 0 ]; then die "run as root: setting $nic promiscuous needs it"; fi
if ! link_exists "$nic"; then die "parent interface $nic does not exist on $host; check the host's nic in the stack"; fi
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
note "runtime only: the iproute2 backend keeps no configuration; $nic stops being promiscuous at the next reboot (backend ifcfg or nmcli keeps it)"
report "$nic is promiscuous" "$nic was already promiscuous"
`,
            delete: String.raw`if [ "$(id -u)" != 0 ]; then die "run as root: setting $nic back needs it"; fi
if [ ! -e "$state/parent-$nic.promisc" ]; then
	note "nothing changed: no record of a create for $nic in $state (it never ran here, or delete already did)"
	exit 0
fi
if [ "$(cat "$state/parent-$nic.promisc")" = off ] && has_flag "$nic" PROMISC; then
	ip link set dev "$nic" promisc off
	did "$nic is not promiscuous, as before create"
fi
forget "$state/parent-$nic.promisc"
state_done
report "$nic is as before create" "$nic was already as before create"
`,
            check: String.raw`if ! link_exists "$nic"; then
	drift "parent interface $nic does not exist"
elif ! has_flag "$nic" PROMISC; then
	drift "$nic is not promiscuous (no PROMISC flag in ip link show dev $nic)"
fi
note "runtime only: the iproute2 backend keeps no configuration"
verdict "$nic promiscuous"
`,
        },
    },
    module: {
        create: String.raw`if [ "$(id -u)" != 0 ]; then die "run as root: loading 8021q needs it"; fi
why=$(vlan_missing)
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
`,
        delete: String.raw`if [ "$(id -u)" != 0 ]; then die "run as root: unloading 8021q needs it"; fi
if [ ! -e "$state/8021q.module" ]; then
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
`,
        check: String.raw`why=$(vlan_missing)
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
`,
    },
    vlan: {
        ifcfg: {
            create: String.raw`# cfg_text: the ifcfg file of $dev
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
EOF
}
if [ "$(id -u)" != 0 ]; then die "run as root: creating $dev needs it"; fi
if [ ! -d "$cfg_dir" ]; then die "$cfg_dir does not exist: is $host an ifcfg (network-scripts) host? Pick the backend that manages its network"; fi
if ! link_exists "$parent"; then die "parent interface $parent of $dev does not exist on $host"; fi
why=$(vlan_missing)
if [ -z "$why" ]; then
	mode=kernel
	if ! command -v ifup >/dev/null 2>&1; then die "ifup is not installed: the ifcfg backend brings VLAN interfaces up with ifup (network-scripts, or NetworkManager's ifup); install it or pick another backend"; fi
	if link_exists "$dev" && { [ "$(vlan_id_of "$dev")" != "$vlan_id" ] || [ "$(parent_of "$dev")" != "$parent" ]; }; then
		die "$dev exists but is not VLAN $vlan_id on $parent ($(vlan_desc "$dev")); remove it or change the spec"
	fi
elif [ -e "$marker" ]; then
	mode=emulated
	note "EMULATED: this kernel has no 802.1Q VLAN devices ($why); the lab marker $marker says VLANs are emulated on $host: $cfg is written as on a real host, but instead of ifup the address goes on the lab's pre-created link $dev (ip addr replace, ip link set up)"
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
		if [ -e "$cfg" ]; then echo file=saved; else echo file=absent; fi
	} >"$pending"
	commit "$state/vlan-$dev.state" 644 ''
fi
if [ ! -e "$state/vlan-$dev.orig" ] && [ "$(state_get "$state/vlan-$dev.state" file)" = saved ] && [ -e "$cfg" ]; then
	save "$state/vlan-$dev.orig"
	cp -p "$cfg" "$state/vlan-$dev.orig"
fi
if [ "$mode" = kernel ]; then undo 'if nm_reads_ifcfg; then nmcli connection reload; fi'; fi
before=$changed
stage "$cfg"
cfg_text >"$pending"
commit "$cfg" 644 "$cfg"
if [ "$mode" = kernel ]; then
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
if ! has_addr "$dev" "$address"; then
	undo "ip addr del $(q "$address") dev $(q "$dev") 2>/dev/null || true"
	ip addr replace "$address" dev "$dev"
	did "$dev has $address (ip addr replace)"
fi
if ! has_flag "$dev" UP; then
	undo "ip link set dev $(q "$dev") down 2>/dev/null || true"
	ip link set dev "$dev" up
	did "$dev is up (ip link set up)"
fi
report "$dev ($mode) has $address and is up" "$dev ($mode) already had $address and was up"
`,
            delete: String.raw`# cfg_text: the ifcfg file of $dev
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
EOF
}
if [ "$(id -u)" != 0 ]; then die "run as root: removing $dev needs it"; fi
if [ ! -e "$state/vlan-$dev.state" ]; then
	note "nothing changed: no record of $dev in $state (create never ran here, or delete already did)"
	exit 0
fi
mode=$(state_get "$state/vlan-$dev.state" mode)
if [ "$mode" = kernel ] && [ "$(state_get "$state/vlan-$dev.state" link)" = created ]; then
	if link_exists "$dev"; then
		if command -v ifdown >/dev/null 2>&1 && [ -f "$cfg" ]; then ifdown "$dev" || note "ifdown $dev failed; deleting the link with ip"; fi
		if link_exists "$dev"; then ip link delete dev "$dev"; fi
		did "removed $dev"
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
if [ "$(state_get "$state/vlan-$dev.state" file)" = saved ] && [ -e "$state/vlan-$dev.orig" ]; then
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
forget "$state/vlan-$dev.state"
state_done
report "$dev is as before create" "$dev was already as before create"
`,
            check: String.raw`# cfg_text: the ifcfg file of $dev
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
EOF
}
why=$(vlan_missing)
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
cfg_text >"$work/expected"
if [ ! -f "$cfg" ]; then
	drift "$cfg is missing"
elif ! cmp -s "$work/expected" "$cfg"; then
	drift "$cfg differs from what create writes:"
	diff -u "$work/expected" "$cfg" | sed 's/^/    /'
fi
verdict "$dev with $address"
`,
        },
        nmcli: {
            create: String.raw`nm_has() { nmcli -g connection.uuid connection show id "$con" >/dev/null 2>&1; }
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
}
# nm_set VERB...: nmcli connection VERB... with every declared setting of $con
nm_set() {
	nmcli connection "$@" connection.interface-name "$dev" vlan.parent "$parent" vlan.id "$vlan_id" ipv4.method manual ipv4.addresses "$address" ipv6.method ignore connection.autoconnect yes
}
if [ "$(id -u)" != 0 ]; then die "run as root: creating $dev needs it"; fi
if ! nm_running; then die "the nmcli backend needs NetworkManager: nmcli is missing or NetworkManager is not running (use backend ifcfg or iproute2)"; fi
if nm_has && [ ! -e "$state/vlan-$dev.state" ]; then die "a NetworkManager connection named $con exists and macvlan-lab did not create it; delete or rename it first"; fi
if ! link_exists "$parent"; then die "parent interface $parent of $dev does not exist on $host"; fi
why=$(vlan_missing)
if [ -z "$why" ]; then
	mode=kernel
	if link_exists "$dev" && { [ "$(vlan_id_of "$dev")" != "$vlan_id" ] || [ "$(parent_of "$dev")" != "$parent" ]; }; then
		die "$dev exists but is not VLAN $vlan_id on $parent ($(vlan_desc "$dev")); remove it or change the spec"
	fi
elif [ -e "$marker" ]; then
	mode=emulated
	note "EMULATED: this kernel has no 802.1Q VLAN devices ($why); the lab marker $marker says VLANs are emulated on $host: the NetworkManager connection $con is added as on a real host but not brought up; the address goes on the lab's pre-created link $dev (ip addr replace, ip link set up)"
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
		echo profile=created
	} >"$pending"
	commit "$state/vlan-$dev.state" 644 ''
fi
if ! nm_has; then
	undo "nmcli connection delete id $(q "$con") >/dev/null 2>&1 || true"
	nm_set add type vlan con-name "$con"
	did "NetworkManager connection $con (nmcli connection add type vlan ...)"
elif [ -n "$(nm_drift)" ]; then
	nm_set modify id "$con"
	did "NetworkManager connection $con updated (nmcli connection modify)"
else
	note "unchanged: NetworkManager connection $con"
fi
if [ "$mode" = kernel ] && [ "$(nm_get GENERAL.STATE)" != activated ]; then
	nmcli connection up id "$con"
	did "$con is up (nmcli connection up)"
fi
if ! has_addr "$dev" "$address"; then
	undo "ip addr del $(q "$address") dev $(q "$dev") 2>/dev/null || true"
	ip addr replace "$address" dev "$dev"
	did "$dev has $address (ip addr replace)"
fi
if ! has_flag "$dev" UP; then
	undo "ip link set dev $(q "$dev") down 2>/dev/null || true"
	ip link set dev "$dev" up
	did "$dev is up (ip link set up)"
fi
report "$dev ($mode) has $address and is up" "$dev ($mode) already had $address and was up"
`,
            delete: String.raw`nm_has() { nmcli -g connection.uuid connection show id "$con" >/dev/null 2>&1; }
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
}
# nm_set VERB...: nmcli connection VERB... with every declared setting of $con
nm_set() {
	nmcli connection "$@" connection.interface-name "$dev" vlan.parent "$parent" vlan.id "$vlan_id" ipv4.method manual ipv4.addresses "$address" ipv6.method ignore connection.autoconnect yes
}
if [ "$(id -u)" != 0 ]; then die "run as root: removing $dev needs it"; fi
if [ ! -e "$state/vlan-$dev.state" ]; then
	note "nothing changed: no record of $dev in $state (create never ran here, or delete already did)"
	exit 0
fi
mode=$(state_get "$state/vlan-$dev.state" mode)
if [ "$(state_get "$state/vlan-$dev.state" profile)" != existed ]; then
	if ! nm_running; then
		note "NetworkManager is not running: the connection $con, if any, is left"
	elif nm_has; then
		nmcli connection delete id "$con"
		did "deleted NetworkManager connection $con"
	fi
fi
if [ "$mode" = kernel ] && [ "$(state_get "$state/vlan-$dev.state" link)" = created ]; then
	if link_exists "$dev"; then
		ip link delete dev "$dev"
		did "removed $dev"
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
forget "$state/vlan-$dev.state"
state_done
report "$dev is as before create" "$dev was already as before create"
`,
            check: String.raw`nm_has() { nmcli -g connection.uuid connection show id "$con" >/dev/null 2>&1; }
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
}
# nm_set VERB...: nmcli connection VERB... with every declared setting of $con
nm_set() {
	nmcli connection "$@" connection.interface-name "$dev" vlan.parent "$parent" vlan.id "$vlan_id" ipv4.method manual ipv4.addresses "$address" ipv6.method ignore connection.autoconnect yes
}
why=$(vlan_missing)
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
if ! nm_running; then
	drift "NetworkManager is not running"
elif ! nm_has; then
	drift "there is no NetworkManager connection $con"
elif [ -n "$(nm_drift)" ]; then
	drift "NetworkManager connection $con differs: $(nm_drift)"
fi
verdict "$dev with $address"
`,
        },
        iproute2: {
            create: String.raw`if [ "$(id -u)" != 0 ]; then die "run as root: creating $dev needs it"; fi
if ! link_exists "$parent"; then die "parent interface $parent of $dev does not exist on $host"; fi
why=$(vlan_missing)
if [ -z "$why" ]; then
	mode=kernel
	if link_exists "$dev" && { [ "$(vlan_id_of "$dev")" != "$vlan_id" ] || [ "$(parent_of "$dev")" != "$parent" ]; }; then
		die "$dev exists but is not VLAN $vlan_id on $parent ($(vlan_desc "$dev")); remove it or change the spec"
	fi
elif [ -e "$marker" ]; then
	mode=emulated
	note "EMULATED: this kernel has no 802.1Q VLAN devices ($why); the lab marker $marker says VLANs are emulated on $host: instead of ip link add, the address goes on the lab's pre-created link $dev (ip addr replace, ip link set up)"
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
	} >"$pending"
	commit "$state/vlan-$dev.state" 644 ''
fi
if [ "$mode" = kernel ] && ! link_exists "$dev"; then
	undo "if ip link show dev $(q "$dev") >/dev/null 2>&1; then ip link delete dev $(q "$dev"); fi"
	ip link add link "$parent" name "$dev" type vlan id "$vlan_id"
	did "created $dev (ip link add link $parent name $dev type vlan id $vlan_id)"
fi
if ! has_addr "$dev" "$address"; then
	undo "ip addr del $(q "$address") dev $(q "$dev") 2>/dev/null || true"
	ip addr replace "$address" dev "$dev"
	did "$dev has $address (ip addr replace)"
fi
if ! has_flag "$dev" UP; then
	undo "ip link set dev $(q "$dev") down 2>/dev/null || true"
	ip link set dev "$dev" up
	did "$dev is up (ip link set up)"
fi
note "runtime only: the iproute2 backend keeps no configuration; $dev and its address are gone after a reboot"
report "$dev ($mode) has $address and is up" "$dev ($mode) already had $address and was up"
`,
            delete: String.raw`if [ "$(id -u)" != 0 ]; then die "run as root: removing $dev needs it"; fi
if [ ! -e "$state/vlan-$dev.state" ]; then
	note "nothing changed: no record of $dev in $state (create never ran here, or delete already did)"
	exit 0
fi
mode=$(state_get "$state/vlan-$dev.state" mode)
if [ "$mode" = kernel ] && [ "$(state_get "$state/vlan-$dev.state" link)" = created ]; then
	if link_exists "$dev"; then
		ip link delete dev "$dev"
		did "removed $dev"
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
forget "$state/vlan-$dev.state"
state_done
report "$dev is as before create" "$dev was already as before create"
`,
            check: String.raw`why=$(vlan_missing)
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
note "runtime only: the iproute2 backend keeps no configuration"
verdict "$dev with $address"
`,
        },
    },
};

describe("host networking renderers", () => {
    const spec = multiVlan();

    it("the multi-VLAN stack gives exactly the tutorial's memberships, without its gateways", () => {
        const got = spec.vlans.flatMap((v) =>
            v.members.map((m) => ({ host: m.host, dev: v.interfaceName, id: v.id, address: m.address, gateway: v.gateway, defaultRoute: v.defaultRoute })),
        );
        got.sort((a, b) => (a.host + a.dev).localeCompare(b.host + b.dev));
        assert.deepStrictEqual(
            got,
            MEMBERSHIPS.map((m) => ({ host: m.host, dev: m.dev, id: m.id, address: m.address, gateway: undefined, defaultRoute: false })),
        );
        assert.deepStrictEqual(spec.hosts.map((h) => [h.name, h.nic, h.backend]), [
            ["docker01", "ens33", "ifcfg"],
            ["docker02", "ens33", "ifcfg"],
        ]);
    });

    for (const backend of BACKENDS) {
        describe(`backend ${backend}`, () => {
            for (const hostName of ["docker01", "docker02"]) {
                it(`${hostName}: exact parent interface scripts`, () => {
                    const scripts = renderParentInterface(withBackend(hostOf(spec, hostName), backend));
                    for (const action of ACTIONS) {
                        assert.strictEqual(scripts[action], expectedParent(hostName, backend, action), `${action} script`);
                    }
                });
            }
            for (const m of MEMBERSHIPS) {
                it(`${m.host}: exact ${m.dev} scripts (${m.address})`, () => {
                    const scripts = renderVlanInterface(withBackend(hostOf(spec, m.host), backend), vlanOf(spec, m.dev));
                    for (const action of ACTIONS) {
                        assert.strictEqual(scripts[action], expectedVlan(m, backend, action), `${action} script`);
                    }
                });
            }
        });
    }

    for (const hostName of ["docker01", "docker02"]) {
        it(`${hostName}: exact 8021q scripts (the same for every backend)`, () => {
            for (const backend of BACKENDS) {
                const scripts = renderKernelModule(withBackend(hostOf(spec, hostName), backend));
                for (const action of ACTIONS) {
                    assert.strictEqual(scripts[action], expectedModule(hostName, action), `${backend} ${action} script`);
                }
            }
        });
    }

    it("ifcfg files: the tutorial's keys, no GATEWAY by default, one per host and VLAN", () => {
        for (const m of MEMBERSHIPS) {
            const scripts = renderVlanInterface(hostOf(spec, m.host), vlanOf(spec, m.dev));
            assert.strictEqual(
                ifcfgFileOf(scripts.create),
                [
                    `# macvlan-lab: VLAN ${m.id} on ens33, written by pulumi (delete puts back what was here before)`,
                    `DEVICE=${m.dev}`,
                    `NAME=${m.dev}`,
                    "BOOTPROTO=none",
                    "ONBOOT=yes",
                    "VLAN=yes",
                    "PHYSDEV=ens33",
                    `IPADDR=${m.ip}`,
                    "PREFIX=24",
                    "",
                ].join("\n"),
            );
            // check compares the file with the same text
            assert.strictEqual(ifcfgFileOf(scripts.check), ifcfgFileOf(scripts.create));
        }
    });

    it("with the tutorial's gateway set: GATEWAY and DEFROUTE=no in the file, ipv4.never-default yes in the profile", () => {
        const m = MEMBERSHIPS[0];
        const vlan: VlanSpec = { ...vlanOf(spec, m.dev), gateway: "192.168.10.2" };
        for (const backend of ["ifcfg", "nmcli"] as NetworkBackend[]) {
            const scripts = renderVlanInterface(withBackend(hostOf(spec, m.host), backend), vlan);
            for (const action of ACTIONS) {
                assert.strictEqual(scripts[action], expectedVlan(m, backend, action, { address: "192.168.10.2", defaultRoute: false }), `${backend} ${action}`);
            }
        }
        assert.strictEqual(
            ifcfgFileOf(renderVlanInterface(hostOf(spec, m.host), vlan).create),
            [
                "# macvlan-lab: VLAN 10 on ens33, written by pulumi (delete puts back what was here before)",
                "DEVICE=ens33.10",
                "NAME=ens33.10",
                "BOOTPROTO=none",
                "ONBOOT=yes",
                "VLAN=yes",
                "PHYSDEV=ens33",
                "IPADDR=192.168.10.10",
                "PREFIX=24",
                "GATEWAY=192.168.10.2",
                "DEFROUTE=no",
                "",
            ].join("\n"),
        );
    });

    it("with defaultRoute: DEFROUTE=yes, ipv4.never-default no; refused by iproute2, which sets no routes", () => {
        const m = MEMBERSHIPS[1];
        const vlan: VlanSpec = { ...vlanOf(spec, m.dev), gateway: "192.168.20.2", defaultRoute: true };
        for (const backend of ["ifcfg", "nmcli"] as NetworkBackend[]) {
            const scripts = renderVlanInterface(withBackend(hostOf(spec, m.host), backend), vlan);
            for (const action of ACTIONS) {
                assert.strictEqual(scripts[action], expectedVlan(m, backend, action, { address: "192.168.20.2", defaultRoute: true }), `${backend} ${action}`);
            }
        }
        assert.throws(() => renderVlanInterface(withBackend(hostOf(spec, m.host), "iproute2"), vlan), {
            message:
                "host docker01, VLAN 20: defaultRoute needs a backend that manages routes; iproute2 only sets addresses: use ifcfg or nmcli, or drop defaultRoute",
        });
    });

    it("render options go into the scripts (quoted) and change the digest", () => {
        const host = hostOf(spec, "docker01");
        const opts: RenderOptions = { stateDir: "/tmp/x/state", modulesLoadDir: "/tmp/x/modules-load.d", emulationMarker: "/tmp/x/run/vlan-emulation" };
        const module = renderKernelModule(host, opts);
        assert.ok(module.create.includes("\nconf_dir='/tmp/x/modules-load.d'\nconf='/tmp/x/modules-load.d/8021q.conf'\nstate_dir='/tmp/x/state'\nstate='/tmp/x/state/host'\nmarker='/tmp/x/run/vlan-emulation'\n"));
        const vlan = renderVlanInterface(host, vlanOf(spec, "ens33.10"), opts);
        assert.ok(vlan.create.includes("\nstate_dir='/tmp/x/state'\nstate='/tmp/x/state/host'\nmarker='/tmp/x/run/vlan-emulation'\n"));
        const plain = renderVlanInterface(host, vlanOf(spec, "ens33.10"));
        assert.notStrictEqual(scriptsDigest(vlan.create, vlan.delete), scriptsDigest(plain.create, plain.delete));
        assert.strictEqual(scriptsDigest(plain.create, plain.delete), scriptsDigest(plain.create, plain.delete));
        // the length prefix keeps ("ab", "c") apart from ("a", "bc")
        assert.notStrictEqual(scriptsDigest("ab", "c"), scriptsDigest("a", "bc"));
    });

    it("every variable line is one single-quoted word", () => {
        for (const s of allScripts()) {
            const header = s.script.slice(0, s.script.indexOf("# ---- helpers ----"));
            const lines = header.split("\n").slice(2, -1);
            assert.ok(lines.length > 0, s.name);
            for (const l of lines) {
                assert.match(l, /^[a-z_]+='[^'\n]*'$/, `${s.name}: ${l}`);
            }
        }
    });

    describe("rejects what must not reach a script", () => {
        const host = hostOf(spec, "docker01");
        const vlan = vlanOf(spec, "ens33.10");
        const cases: Array<[string, () => unknown, string]> = [
            ["a NIC name with a command in it", () => renderParentInterface({ ...host, nic: "ens33$(reboot)" }),
                'host docker01: nic "ens33$(reboot)" is not an interface name (at most 15 of [a-zA-Z0-9_.-])'],
            ["a host name with a quote", () => renderKernelModule({ ...host, name: "docker'01" }), `host name "docker'01" is not a valid host name`],
            ["a relative state directory", () => renderParentInterface(host, { stateDir: "var/lib/x" }),
                'stateDir "var/lib/x" is not an absolute path of safe characters ([a-zA-Z0-9_./-], no ..)'],
            ["a marker path with ..", () => renderKernelModule(host, { emulationMarker: "/run/../etc/passwd" }),
                'emulationMarker "/run/../etc/passwd" is not an absolute path of safe characters ([a-zA-Z0-9_./-], no ..)'],
            ["a config dir with a space", () => renderVlanInterface({ ...host, configDir: "/etc/sys config" }, vlan),
                'host docker01: configDir "/etc/sys config" is not an absolute path of safe characters ([a-zA-Z0-9_./-], no ..)'],
            ["a host that is not a member", () => renderVlanInterface({ ...host, name: "docker03" }, vlan),
                "host docker03, VLAN 10: docker03 is not a member of VLAN 10 (members: docker01, docker02)"],
            ["an address without a prefix", () => renderVlanInterface(host, { ...vlan, members: [{ host: "docker01", address: "192.168.10.10" }] }),
                'host docker01, VLAN 10: address "192.168.10.10" is not an IPv4 address with a prefix length (192.168.10.10/24)'],
            ["an address with a newline", () => renderVlanInterface(host, { ...vlan, members: [{ host: "docker01", address: "192.168.10.10/24\nGATEWAY=1.1.1.1" }] }),
                'host docker01, VLAN 10: address "192.168.10.10/24\\nGATEWAY=1.1.1.1" is not an IPv4 address with a prefix length (192.168.10.10/24)'],
            ["VLAN id 4095", () => renderVlanInterface(host, { ...vlan, id: 4095, interfaceName: "ens33.4095" }),
                "host docker01, VLAN 4095: VLAN id 4095 is not an integer from 1 to 4094"],
            ["an interface name that is not parent.id", () => renderVlanInterface(host, { ...vlan, interfaceName: "ens33.11" }),
                "host docker01, VLAN 10: interfaceName ens33.11 is not ens33.10"],
            ["a gateway that is not an address", () => renderVlanInterface(host, { ...vlan, gateway: "192.168.10.2;reboot" }),
                'host docker01, VLAN 10: gateway "192.168.10.2;reboot" is not an IPv4 address'],
            ["defaultRoute without a gateway", () => renderVlanInterface(host, { ...vlan, defaultRoute: true }),
                "host docker01, VLAN 10: defaultRoute is set but there is no gateway; set the gateway or drop defaultRoute"],
        ];
        for (const [what, render, message] of cases) {
            it(what, () => assert.throws(render, { message }));
        }
    });

    describe("syntax of every rendered script", () => {
        let dir: string;
        let files: string[] = [];
        before(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "mvl-render-"));
            files = allScripts().map((s, i) => {
                const f = path.join(dir, `${String(i).padStart(3, "0")}-${s.name.replace(/[^a-zA-Z0-9.-]+/g, "_")}.sh`);
                fs.writeFileSync(f, s.script);
                return f;
            });
        });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("bash -n and sh -n accept them all", () => {
            assert.ok(files.length >= 100, `only ${files.length} scripts`);
            for (const f of files) {
                for (const shell of ["bash", "sh"]) {
                    const r = spawnSync(shell, ["-n", f], { encoding: "utf8" });
                    assert.strictEqual(r.status, 0, `${shell} -n ${path.basename(f)}: ${r.stderr}`);
                }
            }
        });

        it("shellcheck -s sh reports nothing", async function () {
            this.timeout(480_000);
            requireTool(this, "shellcheck");
            // one shellcheck per core, each on its share of the files
            const workers = Math.max(1, os.cpus().length);
            const shares = Array.from({ length: workers }, (_, i) => files.filter((_f, j) => j % workers === i)).filter((x) => x.length > 0);
            const results = await Promise.all(shares.map((share) => run("shellcheck", ["-s", "sh", "-f", "gcc", ...share])));
            for (const r of results) {
                assert.strictEqual(r.output, "");
                assert.strictEqual(r.status, 0);
            }
        });
    });

    /** Every variant: both hosts, every backend, with and without gateway, default and test options. */
    function allScripts(): Array<{ name: string; script: string }> {
        const out: Array<{ name: string; script: string }> = [];
        const add = (name: string, s: HostScripts) => ACTIONS.forEach((a) => out.push({ name: `${name} ${a}`, script: s[a] }));
        const testOptions: RenderOptions = { stateDir: "/tmp/t/state", modulesLoadDir: "/tmp/t/modules", emulationMarker: "/tmp/t/marker" };
        for (const backend of BACKENDS) {
            for (const h of spec.hosts) {
                const host = withBackend(h, backend);
                for (const opts of [{}, testOptions]) {
                    add(`${h.name} parent ${backend}`, renderParentInterface(host, opts));
                    add(`${h.name} 8021q ${backend}`, renderKernelModule(host, opts));
                    for (const v of spec.vlans) {
                        add(`${h.name} ${v.interfaceName} ${backend}`, renderVlanInterface(host, v, opts));
                        if (backend !== "iproute2") {
                            add(`${h.name} ${v.interfaceName} ${backend} gateway`, renderVlanInterface(host, { ...v, gateway: "192.168.10.2" }, opts));
                            add(`${h.name} ${v.interfaceName} ${backend} default route`, renderVlanInterface(host, { ...v, gateway: "192.168.10.2", defaultRoute: true }, opts));
                        } else {
                            add(`${h.name} ${v.interfaceName} ${backend} gateway`, renderVlanInterface(host, { ...v, gateway: "192.168.10.2" }, opts));
                        }
                    }
                }
            }
        }
        return out;
    }
});

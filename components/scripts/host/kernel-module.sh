# shellcheck shell=sh
# macvlan-lab: 802.1Q support (8021q) loaded now (`modprobe 8021q`, unless loaded or built in) and
# at boot (`<modules-load.d>/8021q.conf`, created, or the line appended to an existing file); the
# same for every backend. Delete removes only what create added. On a kernel without 802.1Q create
# fails before changing anything, unless the lab's emulation marker exists (then `EMULATED: ...`).
# Inputs: $host, $conf_dir, $conf, $state_dir, $state, $marker.
# State: $state/8021q.module (present, loaded or emulated), 8021q.orig / 8021q.ours (the file's
# bytes before and after create), 8021q.made-dirs.
# shellcheck disable=SC2154 # the thin script assigns the inputs

module_create() {
	need_root "loading 8021q"
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
}

module_delete() {
	need_root "unloading 8021q"
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
}

module_check() {
	why=$(vlan_missing)
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
}

# shellcheck shell=sh
# macvlan-lab: installs the shared shell library on a host (library_install, the create of the
# host's library command) and removes it (library_remove, its delete). The library arrives on
# stdin as one text bundle (`#@file <path>` lines, each followed by that file's lines); it is
# checked against its sha256 digest, unpacked into a hidden temporary directory next to its place
# and renamed to `$lib_root/$lib_id` (atomic: a library directory is always whole). Self-contained:
# it runs before the prelude exists on the host.
# Inputs: $lib_root (directory of installed libraries), $lib_id (one library's directory name),
# $lib_digest (sha256 of the bundle, hex).
# shellcheck disable=SC2154 # the thin script assigns the inputs before this file's text

umask 022
tmp=
made=
die() {
	printf 'ERROR: %s\n' "$*" >&2
	exit 1
}
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	rc=$?
	trap - EXIT
	if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
	if [ "$rc" -ne 0 ] && [ -n "$made" ]; then
		rm -f "$lib_root/.made-dirs"
		printf '%s' "$made" | sed -n '1!G;h;$p' | while IFS= read -r d; do rmdir "$d" 2>/dev/null || true; done
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' HUP TERM

library_install() {
	lib=$lib_root/$lib_id
	if [ -f "$lib/.complete" ]; then
		cat >/dev/null
		printf 'nothing changed: the shell library %s is in %s\n' "$lib_id" "$lib"
		return 0
	fi
	command -v sha256sum >/dev/null 2>&1 || die "sha256sum (coreutils) is missing: it checks the shell library before it is installed"
	d=$lib_root
	while [ ! -d "$d" ]; do
		made="$d
$made"
		d=$(dirname "$d")
	done
	if [ -n "$made" ]; then
		printf '%s' "$made" | while IFS= read -r d; do mkdir "$d" || exit 1; done || die "cannot make $lib_root"
		printf '%s' "$made" >"$lib_root/.made-dirs"
	fi
	tmp=$(mktemp -d "$lib_root/.$lib_id.XXXXXX")
	cat >"$tmp/.bundle"
	sum=$(sha256sum "$tmp/.bundle" | cut -d ' ' -f 1)
	if [ "$sum" != "$lib_digest" ]; then die "the shell library that arrived has the digest $sum, not $lib_digest; nothing was installed"; fi
	sed -n 's|^#@file \(.*\)/[^/]*$|\1|p' "$tmp/.bundle" | sort -u | while IFS= read -r d; do mkdir -p "$tmp/$d"; done
	awk -v dir="$tmp" '/^#@file / { if (out != "") close(out); out = dir "/" substr($0, 8); next } out != "" { print > out }' "$tmp/.bundle"
	rm -f "$tmp/.bundle"
	: >"$tmp/.complete"
	chmod 755 "$tmp"
	if [ -e "$lib" ]; then rm -rf "$lib"; fi
	mv "$tmp" "$lib"
	tmp=
	printf 'changed: installed the shell library %s in %s\n' "$lib_id" "$lib"
}

library_remove() {
	cat >/dev/null
	lib=$lib_root/$lib_id
	if [ -e "$lib" ]; then
		rm -rf "$lib"
		printf 'changed: removed the shell library %s from %s\n' "$lib_id" "$lib"
	else
		printf 'nothing changed: there is no shell library %s in %s\n' "$lib_id" "$lib_root"
	fi
	# the directories install made, once no other library (or anything else) is left in them
	if [ -f "$lib_root/.made-dirs" ]; then
		for f in "$lib_root"/* "$lib_root"/.[!.]* "$lib_root"/..?*; do
			if [ -e "$f" ] && [ "$f" != "$lib_root/.made-dirs" ]; then return 0; fi
		done
		made=$(cat "$lib_root/.made-dirs")
		rm -f "$lib_root/.made-dirs"
		printf '%s\n' "$made" | sed -n '1!G;h;$p' | while IFS= read -r d; do
			if [ -n "$d" ]; then rmdir "$d" 2>/dev/null || true; fi
		done
		made=
	fi
}

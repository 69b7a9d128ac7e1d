# shellcheck shell=sh
# macvlan-lab: installs the shared shell library on a host (after common.sh).
# shellcheck disable=SC2154 # the thin script assigns the inputs

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

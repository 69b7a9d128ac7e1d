# shellcheck shell=sh
# macvlan-lab: installs the shared shell library on a host for one owner (after common.sh).
# shellcheck disable=SC2154 # the thin script assigns the inputs

library_install() {
	dir=$lib_root/$lib_owner
	lib=$dir/$lib_id
	if [ -f "$lib/.complete" ]; then
		cat >/dev/null
		printf 'nothing changed: the shell library %s is in %s\n' "$lib_id" "$lib"
		return 0
	fi
	command -v sha256sum >/dev/null 2>&1 || die "sha256sum (coreutils) is missing: it checks the shell library before it is installed"
	# the missing directories down to $lib_root, outermost first; another owner's install may make
	# one at the same time: only those this run made are its own
	want=
	d=$lib_root
	while [ ! -d "$d" ]; do
		want="$d
$want"
		d=$(dirname "$d")
	done
	old_ifs=$IFS
	IFS='
'
	for d in $want; do
		if mkdir "$d" 2>/dev/null; then
			made="$made$d
"
		elif [ ! -d "$d" ]; then
			IFS=$old_ifs
			die "cannot make $d"
		fi
	done
	IFS=$old_ifs
	if [ ! -d "$dir" ]; then
		mkdir "$dir" || die "cannot make $dir"
		# shellcheck disable=SC2034 # read by cleanup (common.sh) when the install fails
		owned=$dir
	fi
	tmp=$(mktemp -d "$dir/.$lib_id.XXXXXX")
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
	if [ -n "$made" ]; then printf '%s' "$made" >>"$lib_root/.made-dirs"; fi
	made=
	# shellcheck disable=SC2034 # read by cleanup (common.sh)
	owned=
	printf 'changed: installed the shell library %s in %s\n' "$lib_id" "$lib"
}

# shellcheck shell=sh
# macvlan-lab: removes one owner's shell library from a host (after common.sh); then its owner's
# directory once no other version of it is there, and the directories installs made once no owner
# is left.
# shellcheck disable=SC2154 # the thin script assigns the inputs

library_remove() {
	cat >/dev/null
	dir=$lib_root/$lib_owner
	lib=$dir/$lib_id
	if [ -e "$lib" ]; then
		rm -rf "$lib"
		printf 'changed: removed the shell library %s from %s\n' "$lib_id" "$lib"
	else
		printf 'nothing changed: there is no shell library %s in %s\n' "$lib_id" "$dir"
	fi
	# a newer version of the same owner is there while it replaces this one
	if [ -d "$dir" ] && ! rmdir "$dir" 2>/dev/null; then return 0; fi
	if [ ! -d "$lib_root" ]; then return 0; fi
	others=
	for f in "$lib_root"/* "$lib_root"/.[!.]* "$lib_root"/..?*; do
		if [ -e "$f" ] && [ "$f" != "$lib_root/.made-dirs" ]; then others="$others ${f##*/}"; fi
	done
	if [ -n "$others" ]; then
		printf 'kept %s: the shell library of other owners is there (%s)\n' "$lib_root" "${others# }"
		return 0
	fi
	# the directories installs made, deepest first, once no owner (nor anything else) is left in them
	if [ -f "$lib_root/.made-dirs" ]; then
		made=$(sort -ru "$lib_root/.made-dirs")
		rm -f "$lib_root/.made-dirs"
		printf '%s\n' "$made" | while IFS= read -r d; do
			if [ -n "$d" ]; then rmdir "$d" 2>/dev/null || true; fi
		done
		made=
	fi
}

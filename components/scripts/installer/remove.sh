# shellcheck shell=sh
# macvlan-lab: removes the shared shell library from a host, and the directories its install made
# once nothing else is in them (after common.sh).
# shellcheck disable=SC2154 # the thin script assigns the inputs

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

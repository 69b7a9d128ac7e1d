# shellcheck shell=sh
# macvlan-lab: what the installer of the shared shell library (install.sh, the create of the host's
# library command) and its remover (remove.sh, its delete) share. The library arrives on
# stdin as one text bundle (`#@file <path>` lines, each followed by that file's lines); it is
# checked against its sha256 digest, unpacked into a hidden temporary directory next to its place
# and renamed to `$lib_root/$lib_owner/$lib_id` (atomic: a library directory is always whole).
# Each owner (one HostLibrary: its stack and name) has its own directory, so two stacks sharing a
# host never share a library and one's delete never takes the other's away. The directories an
# install made above `$lib_root/<owner>` are listed in `$lib_root/.made-dirs` and removed by the
# delete of the last owner. Self-contained: it runs before the prelude exists on the host.
# Inputs: $lib_root (directory of installed libraries), $lib_owner (the owner's directory name),
# $lib_id (one library's directory name), $lib_digest (sha256 of the bundle, hex; install only).
# shellcheck disable=SC2154 # the thin script assigns the inputs before this file's text

umask 022
tmp=
made=
owned=
die() {
	printf 'ERROR: %s\n' "$*" >&2
	exit 1
}
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	rc=$?
	trap - EXIT
	if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
	if [ "$rc" -ne 0 ]; then
		if [ -n "$owned" ]; then rmdir "$owned" 2>/dev/null || true; fi
		if [ -n "$made" ]; then
			printf '%s' "$made" | sed -n '1!G;h;$p' | while IFS= read -r d; do rmdir "$d" 2>/dev/null || true; done
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' HUP TERM

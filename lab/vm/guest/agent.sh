#!/bin/sh
# The VM's end of the control channel (lab/vm/qemu.ts is the other end), a virtio serial port
# (a plain byte stream: no terminal line discipline). It says `@@MVL-READY <boot id>`, then for each request
#   RUN <id> <bytes> <seconds>\n<base64 of the gzipped script, <bytes> long>
# runs the script with sh (stdin /dev/null, at most <seconds>, as root in /) and answers
#   @@MVL-OUT <id>\n<base64 of its stdout>\n@@MVL-ERR <id>\n<base64 of its stderr>\n@@MVL-END <id> <exit status>
# The base64 keeps the answer free of marker lines whatever the script prints.
set -u
port=$1
exec 0<>"$port" 1>&0
work=/run/macvlan-lab-agent
mkdir -p "$work"
printf '@@MVL-READY %s\n' "$(cat /proc/sys/kernel/random/boot_id)"
while IFS= read -r line; do
	# shellcheck disable=SC2086 # split the request into its words on purpose
	set -- $line
	if [ "$#" -ne 5 ] || [ "$1" != RUN ]; then
		printf '@@MVL-BAD %s\n' "$(printf '%s' "$line" | tr -cd 'A-Za-z0-9 ._-' | cut -c 1-80)"
		continue
	fi
	id=$2
	bytes=$3
	seconds=$4
	inbytes=$5
	case "$id$bytes$seconds$inbytes" in *[!0-9]*)
		printf '@@MVL-BAD %s\n' "non-numeric request"
		continue
		;;
	esac
	# one read of both parts (head may read ahead of what it prints: nothing follows a request),
	# then split in the file
	head -c "$((bytes + inbytes))" >"$work/request.b64"
	head -c "$bytes" "$work/request.b64" >"$work/script.b64"
	tail -c "+$((bytes + 1))" "$work/request.b64" >"$work/stdin.b64"
	if base64 -d <"$work/script.b64" | gunzip >"$work/script" 2>"$work/err" &&
		base64 -d <"$work/stdin.b64" | gunzip >"$work/stdin" 2>"$work/err"; then
		(cd / && exec timeout "$seconds" /bin/sh "$work/script") <"$work/stdin" >"$work/out" 2>"$work/err"
		rc=$?
	else
		: >"$work/out"
		rc=255
	fi
	printf '@@MVL-OUT %s\n' "$id"
	base64 "$work/out"
	printf '@@MVL-ERR %s\n' "$id"
	base64 "$work/err"
	printf '@@MVL-END %s %s\n' "$id" "$rc"
done

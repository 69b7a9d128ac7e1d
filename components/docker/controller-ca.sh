# shellcheck shell=sh
# macvlan-lab: the registry's CA certificate on the machine running Pulumi (a local.Command), for the
# Docker provider's digest check over https: the provider verifies the registry's certificate with
# Go's system roots, which read every file of the directories in $SSL_CERT_DIR.
# Inputs: $dir (a directory named in SSL_CERT_DIR), $file (the certificate's file name); the
# certificate on stdin (write).
# shellcheck disable=SC2154 # the rendered script assigns the inputs before this file's text

ca_file_write() {
	umask 022
	mkdir -p "$dir"
	tmp=$(mktemp "$dir/.$file.XXXXXX")
	cat >"$tmp"
	if ! grep -q -e '-----BEGIN CERTIFICATE-----' "$tmp"; then
		rm -f "$tmp"
		printf 'ERROR: no certificate arrived on stdin for %s\n' "$dir/$file" >&2
		exit 1
	fi
	mv -f "$tmp" "$dir/$file"
	printf 'the registry CA is in %s (SSL_CERT_DIR names %s)\n' "$dir/$file" "$dir"
}

ca_file_remove() {
	rm -f "$dir/$file"
	printf 'removed %s\n' "$dir/$file"
}

# shellcheck shell=sh
# macvlan-lab: the private registry's TLS and users (registry.security tls), POSIX sh with openssl
# and coreutils.
#   registry_tls_make / registry_tls_remove      on the registry host: its own CA, constrained to
#       the registry's address, and a server certificate for it, made there so the private keys
#       never leave it; the CA's key is thrown away once it has signed
#   registry_htpasswd_write / registry_htpasswd_remove   on the registry host: the htpasswd file
#       (bcrypt, made by the program) from stdin
#   ca_trust_add / ca_trust_remove                on every Docker host: the CA as
#       /etc/docker/certs.d/<host>:<port>/ca.crt (dockerd reads it at each connection: no reload)
# Inputs: $dir (the registry's directory: ca/ with the CA certificate, tls/ with the server key and certificate,
# auth/ with htpasswd), $address, $san (IP:<address> or DNS:<address>), $ca_days, $cert_days
# (make); $certs_dir, $endpoint, $ca (the CA certificate, PEM), $ca_sha (its sha256), $state and
# $state_dir (trust).
# Loop variables: f, c; the prelude's functions use n, lock_tries and holder.
# shellcheck disable=SC2154 # the thin script assigns the inputs before sourcing this file

# ca_constraints: the name constraints the CA must carry (as `openssl x509 -text` prints them): the
# registry's address alone; for an address, DNS names only under `invalid` (RFC 6761: never a real
# name); for a DNS name, no IP address at all. So the CA vouches for the registry and nothing
# else, wherever it is trusted (Go's crypto/x509 and OpenSSL check a root's constraints too).
ca_constraints() {
	case "$san" in
	IP:*) printf 'IP:%s/255.255.255.255\nDNS:invalid\n' "$address" ;;
	*) printf 'DNS:%s\nIP:0.0.0.0/0.0.0.0\nIP:0:0:0:0:0:0:0:0/0:0:0:0:0:0:0:0\n' "$address" ;;
	esac
}

# tls_usable: the CA and the server certificate are there, the certificate is the CA's, names
# $address and is valid for a day more, and the CA is constrained to $address (a CA of an earlier
# version, without constraints, is made again)
tls_usable() {
	for f in "$dir/ca/ca.crt" "$dir/tls/server.crt" "$dir/tls/server.key"; do
		if [ ! -s "$f" ]; then return 1; fi
	done
	openssl verify -CAfile "$dir/ca/ca.crt" "$dir/tls/server.crt" >/dev/null 2>&1 || return 1
	openssl x509 -in "$dir/tls/server.crt" -noout -checkend 86400 >/dev/null 2>&1 || return 1
	case "$san" in
	IP:*) want="IP Address:$address" ;;
	*) want="DNS:$address" ;;
	esac
	openssl x509 -in "$dir/tls/server.crt" -noout -text 2>/dev/null | grep -qF "$want" || return 1
	openssl x509 -in "$dir/ca/ca.crt" -noout -text >"$work/ca.text" 2>/dev/null || return 1
	grep -q 'X509v3 Name Constraints: critical' "$work/ca.text" || return 1
	ca_constraints >"$work/nc.want"
	while IFS= read -r c; do
		grep -qF -- "$c" "$work/ca.text" || return 1
	done <"$work/nc.want"
}

# tls_new: a new CA and server certificate in $w (keys mode 600). The CA's key signs the CA and the
# server certificate and is then gone: made in memory-backed /dev/shm when there is one, removed
# before this function returns. A rotation therefore makes a new CA, which every host and the
# controller then trust instead (the certificate command's replacement replaces them).
tls_new() {
	w=$work/tls-new
	mkdir -m 700 "$w"
	keydir=$w
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then
		keydir=$(mktemp -d /dev/shm/macvlan-lab-ca.XXXXXX)
		undo "rm -rf $(q "$keydir")"
	fi
	case "$san" in
	IP:*)
		nc="permitted;IP.0 = $address/255.255.255.255
permitted;DNS.0 = invalid"
		;;
	*)
		nc="permitted;DNS.0 = $address
excluded;IP.0 = 0.0.0.0/0.0.0.0
excluded;IP.1 = ::/::"
		;;
	esac
	cat >"$w/openssl.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
nameConstraints = critical,@nc
[nc]
$nc
[v3_server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $san
EOF
	ok=0
	(
		umask 077
		openssl ecparam -name prime256v1 -genkey -noout -out "$keydir/ca.key"
		openssl req -new -x509 -config "$w/openssl.cnf" -extensions v3_ca -key "$keydir/ca.key" -sha256 \
			-days "$ca_days" -subj "/CN=macvlan-lab registry CA for $address" -set_serial "0x$(openssl rand -hex 16)" -out "$w/ca.crt"
		openssl ecparam -name prime256v1 -genkey -noout -out "$w/server.key"
		# the subject is no host name (it has a space): OpenSSL checks a dotted CN against the DNS
		# constraints when a certificate names no DNS name; the address is in subjectAltName
		openssl req -new -config "$w/openssl.cnf" -key "$w/server.key" -subj "/CN=macvlan-lab registry" -out "$w/server.csr"
		openssl x509 -req -in "$w/server.csr" -CA "$w/ca.crt" -CAkey "$keydir/ca.key" -sha256 -days "$cert_days" \
			-set_serial "0x$(openssl rand -hex 16)" -extfile "$w/openssl.cnf" -extensions v3_server -out "$w/server.crt" 2>/dev/null
	) || ok=$?
	rm -f "$keydir/ca.key"
	if [ "$keydir" != "$w" ]; then rmdir "$keydir"; fi
	[ "$ok" -eq 0 ] || die "openssl could not make the registry's CA and certificate (see above); nothing was changed"
	chmod 644 "$w/ca.crt" "$w/server.crt"
}

# put FILE SOURCE MODE: FILE := SOURCE's bytes with MODE (undone if this run fails); the mode goes
# to the file commit wrote ($target: a checked link's real file), never through a link
put() {
	stage "$1"
	cat "$2" >"$pending"
	commit "$1" "$3" "$1"
	chmod "$3" "$target"
}

registry_tls_make() {
	need_root "the registry's private keys"
	command -v openssl >/dev/null 2>&1 || die "openssl is needed on this host to make the registry's CA and certificate (their private keys are made here and never leave it); install it (yum install openssl, apt-get install openssl), then run again"
	if tls_usable; then
		note "kept the registry's CA and certificate in $dir (they name $address and are valid)"
	else
		tls_new
		mkdirs "$dir/ca"
		mkdirs "$dir/tls"
		chmod 700 "$dir" "$dir/ca" "$dir/tls"
		put "$dir/ca/ca.crt" "$w/ca.crt" 644
		put "$dir/tls/server.key" "$w/server.key" 600
		put "$dir/tls/server.crt" "$w/server.crt" 644
	fi
	# the CA's key is not kept: an earlier version left it here
	drop "$dir/ca/ca.key" "removed the CA's private key $dir/ca/ca.key (it signed the certificate; nothing needs it again)"
	note "the CA vouches only for $address (name constraints $(ca_constraints | tr '\n' ' ' | sed 's/ $//')); its private key is not kept"
	note "CA: $(openssl x509 -in "$dir/ca/ca.crt" -noout -subject), $(openssl x509 -in "$dir/ca/ca.crt" -noout -enddate), sha256 fingerprint $(openssl x509 -in "$dir/ca/ca.crt" -noout -fingerprint -sha256 | sed 's/.*=//')"
	note "server certificate for $san: $(openssl x509 -in "$dir/tls/server.crt" -noout -enddate)"
	printf '@ca %s\n' "$(base64 -w0 <"$dir/ca/ca.crt")"
	printf '@cert %s\n' "$(base64 -w0 <"$dir/tls/server.crt")"
	report "the registry's TLS in $dir" "the registry's TLS in $dir was in place"
}

# rm_dir_if_empty DIR WHAT
rm_dir_if_empty() {
	if [ -d "$1" ] && rmdir "$1" 2>/dev/null; then did "removed $2"; fi
}

registry_tls_remove() {
	for f in "$dir/ca/ca.key" "$dir/ca/ca.crt" "$dir/tls/server.key" "$dir/tls/server.crt"; do
		drop "$f" "removed $f"
	done
	rm_dir_if_empty "$dir/ca" "$dir/ca"
	rm_dir_if_empty "$dir/tls" "$dir/tls"
	rm_dir_if_empty "$dir" "$dir"
	report "the registry's CA, key and certificate are gone" "the registry's TLS files were not there"
}

registry_htpasswd_write() {
	need_root "the registry's htpasswd file"
	cat >"$work/htpasswd"
	[ -s "$work/htpasswd" ] || die "no htpasswd lines arrived on stdin"
	# shellcheck disable=SC2016 # a literal $ in the pattern
	if grep -qv '^[A-Za-z0-9._-]*:\$2[aby]\$[0-9][0-9]\$[./A-Za-z0-9]\{53\}$' "$work/htpasswd"; then
		die "the htpasswd lines are not user:bcrypt-hash lines; nothing was changed"
	fi
	mkdirs "$dir/auth"
	chmod 700 "$dir" "$dir/auth"
	# a new file renamed into place: the registry sees its new mtime and reads it again
	put "$dir/auth/htpasswd" "$work/htpasswd" 600
	note "htpasswd users: $(cut -d: -f1 "$dir/auth/htpasswd" | tr '\n' ' ')"
	report "the registry's users" "the registry's users were as declared"
}

registry_htpasswd_remove() {
	drop "$dir/auth/htpasswd" "removed $dir/auth/htpasswd"
	rm_dir_if_empty "$dir/auth" "$dir/auth"
	rm_dir_if_empty "$dir" "$dir"
	report "the registry's users are gone" "the registry had no htpasswd file"
}

# the state files of this endpoint's trust: what existed before, and the directories made
trust_state() { echo "$state/ca-$(printf '%s' "$endpoint" | tr -c 'A-Za-z0-9.-' '_')"; }

ca_trust_add() {
	need_root "$certs_dir"
	file=$certs_dir/$endpoint/ca.crt
	st=$(trust_state)
	# the state directory is the daemon.json trust's too: one change at a time
	take_lock
	printf '%s' "$ca" >"$work/ca.crt"
	[ "$(sha256sum <"$work/ca.crt" | cut -d' ' -f1)" = "$ca_sha" ] || die "the CA certificate did not arrive whole"
	if [ -e "$st.dirs" ] || [ -e "$st.orig" ] || [ -e "$st.kept" ]; then
		: # a run after a new library version: what existed before is already recorded
	elif [ -f "$file" ] && cmp -s "$file" "$work/ca.crt"; then
		record "$st.kept" "the same ca.crt was there before"
	elif [ -f "$file" ]; then
		cp -p "$file" "$work/orig"
		stage "$st.orig"
		cat "$work/orig" >"$pending"
		commit "$st.orig" 600 ''
		note "$file held another CA: kept in $st.orig, put back on delete"
	fi
	if [ ! -e "$st.dirs" ]; then
		mkdirs "$certs_dir/$endpoint"
		record "$st.dirs" "$made_dirs"
	fi
	put "$file" "$work/ca.crt" 644
	release_lock
	note "dockerd trusts the registry's CA for $endpoint through $file (read at each connection: no reload)"
	report "$endpoint trusted through $file" "$file already held the registry's CA"
}

ca_trust_remove() {
	file=$certs_dir/$endpoint/ca.crt
	st=$(trust_state)
	take_lock
	if [ -e "$st.kept" ]; then
		note "$file was there with this CA before: left as it is"
	elif [ -f "$file" ] && [ "$(sha256sum <"$file" | cut -d' ' -f1)" = "$ca_sha" ]; then
		if [ -e "$st.orig" ]; then
			stage "$file"
			cat "$st.orig" >"$pending"
			commit "$file" 644 "the earlier $file back"
		else
			drop "$file" "removed $file"
		fi
	elif [ -e "$file" ]; then
		note "$file holds another CA than the registry's (changed since): left as it is"
	fi
	if [ -e "$st.dirs" ]; then
		rmdirs "$st.dirs"
	fi
	forget "$st.kept"
	forget "$st.orig"
	forget "$st.dirs"
	release_lock
	report "$endpoint no longer trusted through $file" "nothing of the trust for $endpoint was left"
}

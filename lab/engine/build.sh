#!/usr/bin/env bash
# Builds the real Pulumi engine for the local lab from Go modules, into a cache outside the repo:
#   pulumi                  the CLI and engine  (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi, go.mod)
#   pulumi-language-nodejs  the Node.js language host (./nodejs-host: Pulumi's own host module is
#                           not served by the module proxy here; see nodejs-host/main.go)
# The cache key is the Pulumi version, the Go version and a digest of go.mod, go.sum and the host's
# source, so a change to any of them builds anew and an unchanged tree reuses the binaries.
#
# Usage: lab/engine/build.sh [--print-dir]
#   Progress and timings go to stderr; the last line on stdout is the directory holding both binaries.
# Environment: MACVLAN_LAB_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/macvlan-lab).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache_root=${MACVLAN_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/macvlan-lab}

say() { printf 'engine: %s\n' "$*" >&2; }
fail() { printf 'engine: %s\n' "$*" >&2; exit 1; }

need_go=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$here/go.mod")
if ! command -v go >/dev/null 2>&1; then
    fail "Go $need_go or later is needed to build the Pulumi engine and was not found on PATH; install it (https://go.dev/doc/install; Debian 12's golang-go is too old) or put a Pulumi CLI on PATH"
fi
have_go=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
if [ "$(printf '%s\n%s\n' "$need_go" "$have_go" | sort -V | head -n1)" != "$need_go" ]; then
    fail "Go $need_go or later is needed to build the Pulumi engine; found go $have_go at $(command -v go)"
fi

pulumi_version=$(sed -n 's#^\s*github.com/pulumi/pulumi/pkg/v3 \(v[0-9.]*\)$#\1#p' "$here/go.mod")
[ -n "$pulumi_version" ] || fail "no github.com/pulumi/pulumi/pkg/v3 requirement in $here/go.mod"
digest=$(cat "$here/go.mod" "$here/go.sum" "$here"/nodejs-host/*.go | sha256sum | cut -c1-12)
dir="$cache_root/engine/pulumi-$pulumi_version-go$have_go-$digest"

if [ -x "$dir/pulumi" ] && [ -x "$dir/pulumi-language-nodejs" ]; then
    say "using the engine built earlier: $dir (pulumi $pulumi_version)"
    echo "$dir"
    exit 0
fi

mkdir -p "$cache_root/engine"
# One build at a time per cache: a second caller (a lab run while .ci/run builds, say) waits for the
# first and then uses what it built instead of compiling the same thing again beside it.
exec 9>"$cache_root/engine/.build.lock"
if ! flock -n 9; then
    say "another build of the engine is running (lock $cache_root/engine/.build.lock); waiting for it"
    flock 9
fi
if [ -x "$dir/pulumi" ] && [ -x "$dir/pulumi-language-nodejs" ]; then
    say "using the engine the other build made: $dir (pulumi $pulumi_version)"
    echo "$dir"
    exit 0
fi
work=$(mktemp -d "$cache_root/engine/.build-XXXXXX")
trap 'rm -rf "$work"' EXIT

start=$(date +%s)
say "building pulumi $pulumi_version and the Node.js language host with go $have_go into $dir"
say "the first build downloads the modules and compiles for about 5 minutes on 2 cores; later runs reuse it"
cd "$here"
say "[1/3] downloading modules (go mod download)"
go mod download
say "[2/3] compiling pulumi ($(($(date +%s) - start)) s so far)"
ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$pulumi_version"
go build -trimpath -ldflags "$ldflags" -o "$work/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
say "[3/3] compiling pulumi-language-nodejs ($(($(date +%s) - start)) s so far)"
go build -trimpath -ldflags "-s -w -X main.version=${pulumi_version#v}" -o "$work/pulumi-language-nodejs" ./nodejs-host
"$work/pulumi" version >/dev/null || fail "the built pulumi does not run"
rm -rf "$dir"
mv "$work" "$dir"
trap - EXIT
say "built in $(($(date +%s) - start)) s: $dir"
echo "$dir"

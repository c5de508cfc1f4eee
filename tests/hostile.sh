#!/bin/bash
# The host library under hostile use (issue 10): signals in the middle of a
# write, --force onto devices and links, outputs that otakit itself would
# refuse to read, bundles from pipes, shared state.  Self-contained: needs no
# ../shared.
set -uo pipefail
otakit=${OTK_CLI:?}
build=${OTK_BUILD:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# expect STATUS PATTERN CMD...: exit status and a pattern in stdout+stderr
expect() {
	local want=$1 pat=$2
	shift 2
	local out
	out=$("$@" 2>&1)
	local got=$?
	if [ "$got" -eq "$want" ] && grep -qE -- "$pat" <<<"$out"; then
		ok "$* -> $got /$pat/"
	else
		bad "$* -> exit $got (want $want), output:"
		sed 's/^/     | /' <<<"$out" | head -20
	fi
}

# --- shared state: the hex parser keeps no writable globals ------------------
# A threaded server parses hex in several threads at once; a lazily filled
# table is a data race.  Writable data shows in nm as b/B/d/D.
hexobj=$(find "$build/host" -name 'hex.c.o' | head -1)
if [ -z "$hexobj" ]; then
	bad "hex.c.o not found under $build/host"
elif writable=$(nm "$hexobj" | awk '$2 ~ /^[bBdD]$/ { print $3 }') && [ -z "$writable" ]; then
	ok "hex.c keeps no writable static data"
else
	bad "hex.c has writable static data: $writable"
fi

echo "hostile: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

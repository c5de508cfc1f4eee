# Sourced by the shell tests: moves into a scratch directory $tmp removed at
# exit (a test with more to undo sets its own EXIT trap that removes $tmp
# too), and defines the checks:
#   ok/bad MESSAGE           print a result; counted in $passes and $fails
#   has/hasnt NAME FILE RE   an extended regex in FILE (or not); the file is
#                            shown when the check fails
#   expect STATUS RE CMD...  CMD exits with STATUS and RE is in its
#                            stdout+stderr; the output is shown when not
#   need_umockdev_preload    skip (77) unless umockdev's preload library,
#                            which puts programs on the virtual USB bus, is
#                            installed
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
passes=0 fails=0
ok() { passes=$((passes + 1)); echo "ok   $*"; }
bad() { fails=$((fails + 1)); echo "FAIL $*"; }
has() {
	if grep -qE -- "$3" "$2"; then ok "$1"; else bad "$1: no /$3/ in:"; cat "$2"; echo; fi
}
hasnt() {
	if grep -qE -- "$3" "$2"; then bad "$1: /$3/ found in:"; cat "$2"; echo; else ok "$1"; fi
}
expect() {
	local want=$1 pat=$2
	shift 2
	local out got
	out=$("$@" 2>&1)
	got=$?
	if [ "$got" -eq "$want" ] && grep -qE -- "$pat" <<<"$out"; then
		ok "$* -> $got /$pat/"
	else
		bad "$* -> exit $got (want $want), output:"
		sed 's/^/     | /' <<<"$out" | head -40
	fi
}
need_umockdev_preload() {
	# not `ldconfig -p | grep -q`: under pipefail grep's early exit gives
	# ldconfig a SIGPIPE, and the test would skip at random
	grep -q libumockdev-preload.so.0 < <(ldconfig -p) && return 0
	echo "skipped: umockdev's preload library not installed"
	exit 77
}

# Sourced by the otakit-vdev shell tests after they set APP (the app module
# they need).  Sets V (otakit-vdev), skips (77) when it or APP is not built,
# moves into a scratch directory removed at exit, and defines the checks:
# ok/bad count results in $fails; has/hasnt NAME FILE REGEX look for an
# extended regex in FILE and show the file when the check fails.
build=${OTK_BUILD:?OTK_BUILD must name the build directory}
V=$build/vdev/otakit-vdev
if [[ ! -x $V || ! -f ${APP:?} ]]; then
	echo "skipped: $V or $APP not built"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
has() {
	if grep -qE -- "$3" "$2"; then ok "$1"; else bad "$1: no /$3/ in:"; cat "$2"; fi
}
hasnt() {
	if grep -qE -- "$3" "$2"; then bad "$1: /$3/ found in:"; cat "$2"; else ok "$1"; fi
}

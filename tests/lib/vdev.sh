# Sourced by the otakit-vdev shell tests after they set APP (the app module
# they need).  Sets V (otakit-vdev), skips (77) when it or APP is not built,
# moves into a scratch directory removed at exit and defines the checks
# (ok/bad/has/hasnt/expect, tests/lib/check.sh).
build=${OTK_BUILD:?OTK_BUILD must name the build directory}
V=$build/vdev/otakit-vdev
if [[ ! -x $V || ! -f ${APP:?} ]]; then
	echo "skipped: $V or $APP not built"
	exit 77
fi
source "${BASH_SOURCE[0]%/*}/check.sh"

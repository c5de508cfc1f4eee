#!/bin/bash
# Interoperability: `otakit binary inspect` must report the same facts as
# Particle's own tools (particle-cli `binary inspect` and binary-version-reader)
# for every fixture module, golden file and bundle. The comparison lives in
# interop_inspect.py; this wrapper finds the fixtures and installs the reference.
#
# Skips (77) only when the shared folder is absent; if the reference tools cannot
# be installed, the test fails.
set -uo pipefail
shared=${OTK_SHARED:-}
if [[ -z $shared || ! -d $shared ]]; then
	echo "skipped: shared folder with fixtures and oracle absent (OTK_SHARED='$shared')"
	exit 77
fi
cli=${OTK_CLI:?OTK_CLI must name the otakit binary}
here=$(cd "$(dirname "$0")" && pwd)

# Tests run in parallel and setup.sh installs on first use: one installer at a time.
lock=${XDG_CACHE_HOME:-$HOME/.cache}/otakit-oracle.lock
mkdir -p "$(dirname "$lock")"
setup=("$shared/oracle/setup.sh")
command -v flock >/dev/null && setup=(flock "$lock" "${setup[@]}")
if ! O=$("${setup[@]}" | tail -n 1) || [[ ! -x $O/particle || ! -x $O/node ]]; then
	echo "FAIL: could not install the reference tools with $shared/oracle/setup.sh"
	exit 1
fi
exec python3 "$here/interop_inspect.py" --shared "$shared" --cli "$cli" --oracle "$O" "$@"

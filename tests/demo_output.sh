#!/bin/bash
# scripts/demo.sh (what `make demo` runs) piped to a file: no terminal
# escapes, and it ends on the story's point (the edited test1.json's values
# read by the application) with a closing section saying what was shown.
set -uo pipefail
cli=${OTK_CLI:?}
src=${OTK_SRC:?}
build=${OTK_BUILD:?}
if [[ ! -x $build/vdev/otakit-vdev || ! -f $build/examples/asset-ota/asset_ota.bin ]]; then
	echo "skipped: otakit-vdev or examples/asset-ota not built"
	exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
OTAKIT=$cli "$src/scripts/demo.sh" >"$out" 2>&1 || bad "demo exit status $?"
grep -q $'\033' "$out" && bad "escape sequences in piped output" || ok "no escape sequences when piped"
if tail -n 8 "$out" | grep -q "^== What the demo showed" &&
	[[ $(tail -n 2 "$out") == $'    key=a value=changed in the demo\n    key=b value=54321' ]]; then
	ok "ends with what it showed: the edited values"
else
	bad "the end of the demo:"; tail -n 12 "$out"
fi
echo "$fails failure(s)"
[[ $fails -eq 0 ]]

#!/bin/bash
# The Device OS release table against the Tinker applications particle-cli
# ships (assets/knownApps/PLATFORM/tinker/tinker-VERSION-PLATFORM.bin): each
# depends on the system part of its Device OS release, and `binary inspect`
# must name that release, so a Tinker for a release missing from the table
# (or recorded with the wrong number) fails here.
set -uo pipefail
cli=${OTK_CLI:?}
source "$(dirname "$0")/lib/oracle.sh"
apps=$O/npm/node_modules/particle-cli/assets/knownApps
[[ -d $apps ]] || { echo "FAIL: no knownApps in $apps"; exit 1; }
fails=0 checked=0
for f in "$apps"/*/tinker/tinker-[0-9]*.bin; do
	base=${f##*/}
	plat=${f#"$apps"/}
	plat=${plat%%/*}
	ver=${base#tinker-}
	ver=${ver%-"$plat".bin}
	# Only final releases of 5.x and later: older Tinkers often target an
	# earlier system than their file name says.
	[[ $ver =~ ^[5-9]\.[0-9]+\.[0-9]+$ ]] || continue
	checked=$((checked + 1))
	if "$cli" binary inspect "$f" | grep -q "depends on system part 1 version >= [0-9]* (Device OS $ver)"; then
		echo "ok   $base: Device OS $ver"
	else
		echo "FAIL $base: not described as needing Device OS $ver:"
		"$cli" binary inspect "$f" | grep "depends on"
		fails=$((fails + 1))
	fi
done
[[ $checked -gt 0 ]] || { echo "FAIL: no Tinker of 5.x or later found"; exit 1; }
echo "$checked checked, $fails failed"
[[ $fails -eq 0 ]]

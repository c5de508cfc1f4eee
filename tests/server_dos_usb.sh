#!/bin/bash
# particle-cli 3.51.0 (the oracle, unmodified) pointed at otakitd (`particle
# profile NAME apiUrl`): `particle update --target 5.8.0` fetches Device OS
# from otakitd's catalog (uploaded here with `otakit device-os upload`) and
# flashes it onto the virtual device over the virtual USB bus; the device
# then boots that system part.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/otakitd.sh"
source "$here/lib/oracle.sh"
APP=$build/vdev/otakit-vbus
V=$build/vdev/otakit-vdev
if [[ ! -x $V || ! -f $APP ]]; then
	echo "skipped: $V or $APP not built"
	exit 77
fi
need_umockdev_preload
export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0
export HOME=$tmp/home OTAKIT_CONFIG=$tmp/config.json
unset OTAKIT_API OTAKIT_TOKEN
mkdir -p "$HOME" data
PT=$O/particle
ID=0123456789abcdef01234567
after() { awk '/reset: rebooting/ { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' run.txt >after.txt; }

"$V" create dev --platform argon --id $ID >/dev/null 2>&1 || { bad "create"; exit 1; }
head -c 200000 /dev/urandom >sbody
"$CLI" binary create sbody --platform argon --function system --index 1 --version 5800 --start 0x28000 \
	--depends bootloader:0:2600 -o argon-system-part1@5.8.0.bin >/dev/null

od_start data
printf '%s\n' 'root-password' | "$D" user add root --admin --data data >/dev/null
TR=$(od_token root root-password)
OTAKIT_API=$U OTAKIT_TOKEN=$TR "$CLI" device-os upload argon-system-part1@5.8.0.bin >up.txt 2>&1 ||
	{ bad "upload"; cat up.txt; }

timeout 120 "$PT" profile otk apiUrl "$U" </dev/null >cfg.txt 2>&1
timeout 120 "$PT" profile otk </dev/null >>cfg.txt 2>&1
timeout 120 "$PT" login --username root --password root-password </dev/null >login.txt 2>&1
has "particle login against otakitd" login.txt "Successfully completed login"

timeout 300 "$V" run dev --usb -- bash -c "'$PT' update --target 5.8.0 </dev/null >u.txt 2>&1; echo rc=\$? >>u.txt; sleep 2" >run.txt 2>&1
has "particle update --target 5.8.0: success" u.txt "Update success"
has "particle update: exit 0" u.txt "rc=0"
has "particle update: the modules came from otakitd" access.log "/v1/device-os/files/5.8.0/12/argon-system-part1"
after
has "particle update: the device runs 5.8.0" after.txt "system part 1: version 5800 \(Device OS 5.8.0\).*valid"
cmp -s "$HOME/.particle/device-os-flash/binaries/5.8.0/argon/argon-system-part1@5.8.0.bin" argon-system-part1@5.8.0.bin &&
	ok "particle-cli's copy is the uploaded module" || bad "particle-cli's copy differs"
# particle flash --local APP --target: the release fetched again (the cache
# emptied), then the app.
rm -rf "$HOME/.particle/device-os-flash"
head -c 3000 /dev/urandom >body
"$CLI" binary create body --platform argon --index 2 --depends system:1:5800 -o app.bin >/dev/null
timeout 300 "$V" run dev --usb -- bash -c "'$PT' flash --local app.bin --target 5.8.0 </dev/null >f.txt 2>&1; echo rc=\$? >>f.txt; sleep 2" >run.txt 2>&1
has "particle flash --local --target 5.8.0: success" f.txt "Flash success"
has "particle flash --local --target: exit 0" f.txt "rc=0"
[[ $(grep -c "/v1/device-os/files/5.8.0/12/argon-system-part1" access.log) == 2 ]] &&
	ok "particle flash --local --target: Device OS fetched from otakitd again" || bad "no second fetch: $(cat access.log)"
after
has "particle flash --local --target: the device boots the app" after.txt "user part 2: version 0 .*valid"
[[ $fails -eq 0 ]] && echo "all passed" || echo "$fails failed"
[[ $fails -eq 0 ]]

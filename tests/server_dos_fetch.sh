#!/bin/bash
# `otakit update --target` and `otakit flash --local --target` when the host
# catalog lacks the release: the modules come from the logged-in cloud's
# catalog (otakitd), are checked (size and SHA-256 against the listing, CRC,
# platform), kept in the host catalog and flashed onto the virtual device
# over the virtual USB bus.  A module the server damaged is refused before
# anything reaches the catalog or the device.
set -uo pipefail
source "$(dirname "$0")/lib/otakitd.sh"
APP=$build/vdev/otakit-vbus
V=$build/vdev/otakit-vdev
if [[ ! -x $V || ! -f $APP ]]; then
	echo "skipped: $V or $APP not built"
	exit 77
fi
need_umockdev_preload
export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0
export OTAKIT_CONFIG=$tmp/config.json
ID=0123456789abcdef01234567
on() { timeout 180 "$V" run dev --usb -- bash -c "$1" >run.txt 2>&1; }
after() { awk '/reset: rebooting/ { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' run.txt >after.txt; }

"$V" create dev --platform argon --id $ID >/dev/null 2>&1 || { bad "create"; exit 1; }
head -c 200000 /dev/urandom >sbody
"$CLI" binary create sbody --platform argon --function system --index 1 --version 5800 --start 0x28000 \
	--depends bootloader:0:2600 -o argon-system-part1@5.8.0.bin >/dev/null
"$CLI" binary create sbody --platform argon --function system --index 1 --version 6303 --start 0x28000 \
	--depends bootloader:0:3101 -o argon-system-part1@6.3.2.bin >/dev/null

mkdir data
od_start data
printf '%s\n' 'root-password' | "$D" user add root --admin --data data >/dev/null
export OTAKIT_API=$U OTAKIT_TOKEN=$(od_token root root-password)
"$CLI" device-os upload argon-system-part1@5.8.0.bin >up.txt 2>&1 || { bad "upload 5.8.0"; cat up.txt; }
"$CLI" device-os upload argon-system-part1@6.3.2.bin >up.txt 2>&1 || { bad "upload 6.3.2"; cat up.txt; }
# the server's copy of 6.3.2 goes bad behind its back
sum=$(sha256sum argon-system-part1@6.3.2.bin | cut -c1-64)
printf '\x01' | dd of="data/blobs/${sum:0:2}/$sum" bs=1 seek=1000 conv=notrunc status=none

# --- update --target from the cloud's catalog ---------------------------------------------
on "'$CLI' update --target 5.8.0 --catalog cat >u1.txt 2>&1; echo rc=\$? >>u1.txt; sleep 1"
has "update --target 5.8.0: fetched from otakitd" u1.txt "Device OS 5.8.0 for argon is not in the host catalog: fetching it from $U"
has "update --target 5.8.0: kept in the host catalog" u1.txt "Device OS 5.8.0 for argon: 1 module added to cat"
has "update --target 5.8.0: flashed" u1.txt "Adding Device OS 5.8.0 from the catalog"
has "update --target 5.8.0: exit 0" u1.txt "rc=0"
after
has "update 5.8.0: the device runs it" after.txt "system part 1: version 5800 \(Device OS 5.8.0\).*valid"
"$CLI" device-os list --catalog cat >cat.txt
has "the host catalog has 5.8.0 now" cat.txt "^argon +5.8.0 +system-1$"

# --- a damaged module is refused, nothing kept or flashed -------------------------------
on "'$CLI' update --target 6.3.2 --catalog cat >u2.txt 2>&1; echo rc=\$? >>u2.txt"
has "a module the server damaged: refused" u2.txt "argon-system-part1@6.3.2.bin from $U: not the SHA-256 the catalog lists"
has "refused: exit 1" u2.txt "rc=1"
hasnt "refused: the device is not touched" run.txt "reset: rebooting|DFU mode"
"$CLI" device-os list --catalog cat >cat2.txt
hasnt "refused: nothing kept in the host catalog" cat2.txt "6.3.2"

# --- flash --local --target: the release is in the host catalog now -------------------
head -c 3000 /dev/urandom >body
"$CLI" binary create body --platform argon --index 2 --depends system:1:5800 -o app.bin >/dev/null
on "'$CLI' flash --local app.bin --target 5.8.0 --catalog cat >f1.txt 2>&1; echo rc=\$? >>f1.txt; sleep 1"
hasnt "flash --target 5.8.0: no second fetch" f1.txt "fetching it from"
has "flash --target 5.8.0: exit 0" f1.txt "rc=0"

# --- not logged in: the host catalog is all there is ---------------------------------
on "OTAKIT_TOKEN= '$CLI' update --target 6.3.2 --catalog cat >u3.txt 2>&1; echo rc=\$? >>u3.txt"
has "not logged in: the catalog's own refusal" u3.txt "Device OS 6.3.2 for argon is not in the catalog"
hasnt "not logged in: nothing fetched" u3.txt "fetching"
[[ $fails -eq 0 ]] && echo "all passed" || echo "$fails failed"
[[ $fails -eq 0 ]]

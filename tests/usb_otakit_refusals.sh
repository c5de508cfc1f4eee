#!/bin/bash
# otakit flash --local / update / usb: what is refused before any device is
# opened (bad CRC, modules of two platforms, a bundle whose asset hashes
# disagree with its application), and the clear errors of the USB commands
# when no device or a missing catalog release is involved.  Needs no
# virtual bus: nothing here may reach a device.
set -uo pipefail
otakit=${OTK_CLI:?}
source "$(dirname "$0")/lib/check.sh"
# no device may be found by accident: an empty bus for libusb
export LIBUSB_DEBUG=0
head -c 3000 /dev/urandom >body
"$otakit" binary create body --platform argon -o app.bin >/dev/null
"$otakit" binary create body --platform boron -o boron.bin >/dev/null
cp app.bin bad.bin
printf '\x01' | dd of=bad.bin bs=1 seek=100 conv=notrunc status=none
mkdir dir && cp app.bin bad.bin dir/ && echo notes >dir/README

expect 1 "bad.bin: CRC mismatch \(stored [0-9a-f]{8}, computed [0-9a-f]{8}\)" "$otakit" flash --local app.bin bad.bin
expect 1 "dir/bad.bin: CRC mismatch" "$otakit" flash --local dir
expect 1 "boron.bin: built for boron \(platform 13\), app.bin for argon" "$otakit" flash --local app.bin boron.bin
expect 1 "missing.bin: cannot read" "$otakit" flash --local missing.bin
expect 2 "only --local" "$otakit" flash app.bin
expect 2 "need FILE" "$otakit" flash --local
expect 2 "bad option" "$otakit" flash --local --nosuch app.bin
expect 2 "no arguments expected" "$otakit" update extra
expect 2 "bad option" "$otakit" usb list --nosuch

shared=${OTK_SHARED:-}
if [ -n "$shared" ] && [ -d "$shared/fixtures/particle/bundles" ]; then
	expect 1 "cat.txt: hash mismatch: .*bundle-asset-hash-no-match.zip:app.bin depends on another cat.txt" \
		"$otakit" flash --local "$shared/fixtures/particle/bundles/bundle-asset-hash-no-match.zip"
	expect 1 "the bundle has no application|no application" \
		"$otakit" flash --local "$shared/fixtures/particle/bundles/invalid-bundle.zip"
	real_ran=1
fi

# with no Particle device attached (the usual case here and in CI): a clear error
if "$otakit" usb list | grep -q "^No devices found.$"; then
	expect 1 "no Particle device found on USB" "$otakit" flash --local app.bin
	expect 1 "no Particle device found on USB" "$otakit" identify
	expect 1 "no Particle device with id 0123456789abcdef01234567" "$otakit" usb reset --device 0123456789abcdef01234567
	expect 1 "no Particle device found on USB" "$otakit" update --target 5.8.0
	expect 0 '^\[\]$' "$otakit" usb list --json
fi

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ] || exit 1
[ -n "${real_ran:-}" ] || { echo "SKIP: ../shared fixtures absent (the self-made part passed)"; exit 77; }
exit 0

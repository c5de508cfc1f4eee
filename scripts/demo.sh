#!/bin/bash
# The demo: build a small module with otakit's own writer, compress, combine,
# bundle and inspect it; the real Particle binaries in ../shared when that
# folder is there; then the seed's Asset OTA story on the virtual device:
# bundle the FileAssetExample, install it, watch it copy and list its
# assets, edit test1.json, and see only that asset sent and its new values.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
otakit=$(realpath "${OTAKIT:-$root/build/cli/otakit}")
build=$(dirname "$(dirname "$otakit")")
out=$build/demo
rm -rf "$out"
mkdir -p "$out"
cd "$out"

# Headings in bold only on a terminal: piped to a file they stay plain text.
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
run() { printf '$ %s\n' "$*"; "$@"; }

# A 48 KB "firmware body": code-like repetitive bytes, compressible as real firmware is.
python3 - <<'PY'
import random
r = random.Random(42)
words = [r.getrandbits(32).to_bytes(4, "little") for _ in range(600)]
body = b"".join(r.choice(words) for _ in range(12 * 1024))
open("body.bin", "wb").write(body)
PY

step "Build a user part for the Tracker with otakit's module writer"
run "$otakit" binary create body.bin --platform tracker --function user --index 2 --version 6 \
	--depends system:1:5500 --product 1234:5 -o app.bin
run "$otakit" binary inspect app.bin

step "Compress it (raw deflate, as OTA sends it) and inspect the result"
run "$otakit" binary compress app.bin -o app.compressed.bin
run "$otakit" binary inspect app.compressed.bin
run "$otakit" binary decompress app.compressed.bin -o app.roundtrip.bin
run cmp app.bin app.roundtrip.bin && echo "decompressed module is byte-identical to the original"

step "Combine a system part and the user part, then split them again"
head -c 20000 body.bin > sys-body.bin
run "$otakit" binary create sys-body.bin --platform tracker --function system --index 1 \
	--version 5500 --start 0x30000 -o system.bin
run "$otakit" binary combine system.bin app.bin -o combined.bin
run "$otakit" binary inspect combined.bin
run "$otakit" binary split combined.bin -o part
run cmp part-1.bin system.bin
run cmp part-2.bin app.bin && echo "split parts are byte-identical to the inputs"

step "An Asset OTA bundle: the app plus two assets, then verify and unpack it"
mkdir -p assets
printf '{"greeting": "hello", "interval": 10}\n' > assets/test1.json
head -c 3000 body.bin > assets/logo.bin
run "$otakit" binary create body.bin --platform p2 --version 6 --depends system:1:5501 -o p2app.bin
run "$otakit" bundle p2app.bin --assets assets --saveTo bundle.zip
run "$otakit" bundle verify bundle.zip
run "$otakit" bundle unpack bundle.zip -o unpacked
run "$otakit" binary list-assets unpacked/p2app.bin
run cmp unpacked/assets/test1.json assets/test1.json && echo "unpacked asset is byte-identical"

step "A factory image for SWD/JTAG programmers: system part + user part in one .hex"
run "$otakit" hex from-bin system.bin -o base.hex
run "$otakit" hex generate --base base.hex --user app.bin -o factory.hex
run "$otakit" hex inspect factory.hex

step "A broken module: one flipped byte"
cp app.bin broken.bin
printf '\xAA' | dd of=broken.bin bs=1 seek=1000 conv=notrunc status=none
set +e
run "$otakit" binary inspect broken.bin
echo "(exit status $?)"
set -e

shared=$(realpath -m "$root/../shared/fixtures/particle")
if [ -d "$shared" ]; then
	step "Real Particle binaries and bundles from ../shared"
	set +e
	"$otakit" binary inspect "$shared"/binaries/*.bin "$shared"/golden/*.bin "$shared"/bundles/*.zip
	echo "(exit status $?: 1 because some fixtures are deliberately broken)"
	set -e
else
	echo
	echo "(../shared is not here: skipping the real Particle fixtures)"
fi

# Asset OTA end to end on the virtual device, with examples/asset-ota: the
# story of the seed (docs.particle.io's "Asset OTA" page).
vdev=$build/vdev/otakit-vdev
ex=$build/examples/asset-ota
if ! [ -x "$vdev" ] || ! [ -f "$ex/asset_ota.bin" ]; then
	echo
	echo "(otakit-vdev or examples/asset-ota not built: skipping the Asset OTA device demo)"
	exit 0
fi
step "Asset OTA on the virtual device: bundle the FileAssetExample with its assets"
rm -rf vassets vdev-assets
cp -r "$root/examples/asset-ota/assets" vassets
# otakit bundle refuses gcc (device-constants: no asset storage); the
# virtual device has an asset area, so otakit-vdev makes the bundle
run "$vdev" bundle "$ex/asset_ota.bin" --assets vassets --saveTo asset-ota.zip

step "Create a gcc device and install the bundle: every asset is sent, then the app"
run "$vdev" create vdev-assets --platform gcc --id 0123456789abcdef01234567
run "$vdev" install vdev-assets asset-ota.zip

step "Run it for 11 s: the assets are copied to /usr/assets, then listed at 10 s"
run "$vdev" run vdev-assets --for 11

step "Edit test1.json, bundle and install again: only that asset is sent"
printf '{\n    "a": "changed in the demo",\n    "b": 54321\n}\n' > vassets/test1.json
run "$vdev" bundle "$ex/asset_ota.bin" --assets vassets --saveTo asset-ota-2.zip
run "$vdev" install vdev-assets asset-ota-2.zip | tee install2.log

step "Run it again: the handler copies the new test1.json, and at 10 s the values have changed"
run "$vdev" run vdev-assets --for 10.5 | tee run2.log

step "What the demo showed"
echo "The app was bundled with its assets and installed; the device stored the assets,"
echo "the application copied them to its file system and read test1.json.  After the edit"
echo "only the changed asset was sent again ($(sed -n 's/.*: assets: //p' install2.log)),"
echo "and the application now reads:"
sed -n 's/^[0-9]* \[app\] INFO: \(key=.*\)/    \1/p' run2.log

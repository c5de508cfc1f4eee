#!/bin/bash
# otakit-vdev keeps the rules of real devices and of otakit: no Asset OTA
# before Device OS 5.5.0 (bundle and install refuse, as otakit bundle does),
# a bundle for another platform is refused before anything is stored,
# create is atomic (an interrupted create leaves nothing behind) and takes
# any system module version, and --version answers.
set -uo pipefail
EX=${OTK_BUILD:?OTK_BUILD must name the build directory}/examples/asset-ota
APP=$EX/asset_ota.bin
SRC=${OTK_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
source "$(dirname "$0")/lib/vdev.sh"

"$V" --version >v.txt 2>&1 && has "--version" v.txt "^otakit-vdev [0-9]+\.[0-9]+\.[0-9]+$" || bad "--version: exit status"

"$V" create --bogus x >err.txt 2>&1
[[ $? -eq 2 && $(grep -c "bogus" err.txt) -eq 1 ]] && has "a rejected option: one message naming it" err.txt \
	"create: bad option '--bogus'" || { bad "rejected option:"; cat err.txt; }

cp -r "$SRC/examples/asset-ota/assets" assets
"$V" build-app "$EX/asset_ota.so" -o app531.bin --device-os 5.3.1 >/dev/null 2>&1 || bad "build-app 5.3.1"

# --- bundle: the 5.5.0 rule, and nothing said before the refusal -------------
"$V" bundle app531.bin --assets assets --saveTo x.zip >out.txt 2>err.txt
rc=$?
[[ $rc -eq 1 && ! -e x.zip ]] && ok "bundle of a 5.3.1 app refused" || bad "bundle of a 5.3.1 app: exit $rc"
has "bundle: the reason, in Device OS words" err.txt \
	"Asset support only available for Device OS 5.5.0 and above \(the application is built for Device OS 5.3.1\)"
[[ ! -s out.txt ]] && ok "bundle: no success-looking output before the refusal" || { bad "bundle printed:"; cat out.txt; }
"$V" bundle "$APP" --assets assets --saveTo a.zip >/dev/null 2>&1 || bad "bundle"
cp a.zip keep.zip
"$V" bundle "$APP" --assets assets --saveTo a.zip >out.txt 2>err.txt
[[ $? -eq 1 ]] && cmp -s a.zip keep.zip && ok "bundle: existing output kept" || bad "bundle: existing output"
has "bundle: already exists" err.txt "a.zip: already exists"
[[ ! -s out.txt ]] && ok "bundle: refusal without 'Bundling...' first" || { bad "bundle printed:"; cat out.txt; }

# --- install: a 5.3.1 device takes no assets ----------------------------------
"$V" create d531 --platform gcc --device-os 5.3.1 >/dev/null 2>&1 || bad "create 5.3.1"
"$V" install d531 a.zip >inst.txt 2>&1
rc=$?
[[ $rc -eq 1 ]] && ok "install of a bundle on Device OS 5.3.1 refused" || bad "install on 5.3.1: exit $rc"
has "install 5.3.1: says why" inst.txt "Device OS 5.3.1, which has no Asset OTA"
hasnt "install 5.3.1: nothing sent" inst.txt "sent|stored"
# --- install: another platform is refused before anything is stored ---------
"$V" create dargon --platform argon >/dev/null 2>&1 || bad "create argon"
"$V" install dargon a.zip >inst2.txt 2>&1
rc=$?
[[ $rc -eq 1 ]] && ok "install of a gcc bundle on argon refused" || bad "install on argon: exit $rc"
has "install argon: names both platforms" inst2.txt "built for gcc .*the device is argon"
hasnt "install argon: no asset sent first" inst2.txt "sent|stored"

# --- install: an application the engine refuses costs no stored asset -------
head -c 2000 /dev/urandom >body.bin
"$build/cli/otakit" binary create body.bin --platform gcc --start 0x10000 --depends system:1:6303 \
	-o misplaced.bin >/dev/null 2>&1 || bad "binary create misplaced.bin"
"$V" bundle misplaced.bin --assets assets --saveTo mis.zip >/dev/null 2>&1 || bad "bundle misplaced.bin"
"$V" create dgcc --platform gcc >/dev/null 2>&1 || bad "create gcc"
"$V" install dgcc mis.zip >inst3.txt 2>&1
rc=$?
[[ $rc -eq 1 ]] && ok "install of an application the engine refuses: exit 1" || bad "misplaced install: exit $rc"
has "misplaced: rejected, says why" inst3.txt "misplaced.bin: rejected: user part 1:"
hasnt "misplaced: no asset sent first" inst3.txt "sent|stored"
"$V" install dgcc a.zip >inst4.txt 2>&1 && has "the device still takes a good bundle" inst4.txt "assets: 2 sent" ||
	{ bad "good bundle after the refusal"; cat inst4.txt; }

# --- create: any module version; atomic --------------------------------------
"$V" create d6305 --platform gcc --device-os 6305 >/dev/null 2>&1 || bad "create --device-os 6305"
has "create 6305: the release it is" d6305/device.conf "^device_os=6\.3\.4$"
"$V" create d6400 --platform gcc --device-os 6400 >/dev/null 2>&1 && [[ -f d6400/device.conf ]] &&
	ok "create --device-os 6400 (a number no release in the table has)" || bad "create --device-os 6400"
"$V" create dslash/ --platform gcc >/dev/null 2>&1 && [[ -f dslash/device.conf ]] &&
	ok "create DIR/ (trailing slash)" || bad "create DIR/"
"$V" create d6305 --platform gcc >err.txt 2>&1
[[ $? -eq 1 ]] && ok "create over a device refused" || bad "create over a device"
has "create: says so" err.txt "already holds a virtual device"
# Slow flash writes, a TERM in the middle: nothing may be left.
OTK_VDEV_FLASH_DELAY_MS=200 "$V" create dint --platform argon >/dev/null 2>&1 &
pid=$!
sleep 0.6
kill -TERM $pid
wait $pid
rc=$?
[[ $rc -ne 0 ]] && ok "create interrupted (status $rc)" || bad "create finished before the signal"
left=$(ls -A | grep -E "^dint|otakit-vdev" | tr '\n' ' ')
[[ -z $left ]] && ok "interrupted create left nothing" || bad "interrupted create left: $left"
"$V" create dint --platform argon >/dev/null 2>&1 && "$V" run dint --for 0.1 >run.txt 2>&1 &&
	ok "create after the interruption, and run" || { bad "create/run after the interruption"; cat run.txt; }
echo "$fails failure(s)"
[[ $fails -eq 0 ]]

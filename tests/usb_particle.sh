#!/bin/bash
# particle-cli 3.51.0 (the oracle, unmodified, on Node 22 under umockdev's
# preload) against the virtual device on the virtual USB bus: `particle usb
# list` finds it by its id, `particle usb dfu` puts it in DFU mode (it
# re-enumerates as 2b04:d0xx), `particle usb reset` reboots it into normal
# mode, and `particle flash --local` of a P2 Tinker goes through control
# requests and DfuSe, after which the device boots the new user part.
set -uo pipefail
source "$(dirname "$0")/lib/oracle.sh"
APP=${OTK_BUILD:?}/vdev/otakit-vbus
source "$(dirname "$0")/lib/vdev.sh"
command -v lsusb >/dev/null || { echo "skipped: lsusb not installed"; exit 77; }
need_umockdev_preload
export HOME=$tmp/home
mkdir -p "$HOME"
P=$O/particle

# on DIR SCRIPT: the device in DIR on a fresh bus, SCRIPT run there.
on() {
	timeout 300 "$V" run "$1" --usb -- bash -c "$2" >run.txt 2>&1
}

"$V" create ar --platform argon --id 0123456789abcdef01234567 >/dev/null || bad "create argon"
on ar "'$P' usb list >list.txt 2>&1 &&
	'$P' usb dfu >dfu.txt 2>&1 && lsusb >lsusb1.txt &&
	'$P' usb list >list2.txt 2>&1 &&
	'$P' usb reset >reset.txt 2>&1; sleep 2; lsusb >lsusb2.txt"
[[ $? -eq 0 ]] && ok "particle usb list/dfu/reset exit 0" || { bad "particle usb"; cat run.txt list.txt dfu.txt reset.txt; }
# (a device without a user part is in listening mode: docs/serial.md)
has "usb list: the device by id and platform" list.txt "\[0123456789abcdef01234567\] \(Argon(, LISTENING)?\)"
has "usb dfu: re-enumerated in DFU mode" lsusb1.txt "ID 2b04:d00c "
has "usb dfu: the device rebooted into DFU mode" run.txt "reset: rebooting into DFU mode"
has "usb list: lists it in DFU mode too" list2.txt "0123456789abcdef01234567.*DFU"
has "usb reset: back in normal mode" lsusb2.txt "ID 2b04:c00c "

# particle-usb (inside the oracle) directly: module info (90) lists the
# device's modules with their dependencies; an unknown request type gets a
# clean "Not supported".
cat >modinfo.js <<JS
const usb = require('$O/npm/node_modules/particle-usb');
(async () => {
	const d = (await usb.getDevices())[0];
	await d.open();
	console.log(JSON.stringify(await d.getFirmwareModuleInfo()));
	try { await d.sendRequest(9999); console.log('9999 answered'); }
	catch (e) { console.log('9999: ' + e.message); }
	await d.close();
})().catch(e => { console.log('ERR ' + e.message); process.exit(1); });
JS
on ar "'$O/node' modinfo.js >modinfo.txt 2>&1"
has "module info: system part 1 and its dependency" modinfo.txt \
	'"type":"SYSTEM_PART","index":1,"version":6303,.*"dependencies":\[\{"index":0,"version":3101,"type":"BOOTLOADER"\}\]'
has "module info: the bootloader" modinfo.txt '"type":"BOOTLOADER","index":0,"version":3101'
has "an unsupported request: Not supported" modinfo.txt "9999: Not supported"

tinker=$shared/fixtures/particle/binaries/p2-tinker@5.3.1.bin
if [[ -f $tinker ]]; then
	"$V" create p2 --platform p2 --id 0123456789abcdef01234568 >/dev/null || bad "create p2"
	cp "$tinker" tinker.bin
	on p2 "'$P' flash --local tinker.bin >flash.txt 2>&1; rc=\$?; sleep 2; exit \$rc"
	[[ $? -eq 0 ]] && ok "flash --local: exit 0" || { bad "flash --local"; cat run.txt flash.txt; }
	has "flash --local: success" flash.txt "Flash success"
	has "flash --local: via DFU mode" run.txt "rebooting into DFU mode"
	sed -n '/reset: rebooting$/,$p' run.txt >after.txt
	has "flash --local: boots the new user part" after.txt \
		"user part 1: version 6 at 0x085f4000, valid, needs system part 1 version 5301"
	has "flash --local: normal mode after" after.txt "boot: normal mode$"
	"$V" run p2 --for 0.2 >again.txt 2>&1
	has "flash --local: the app stays installed" again.txt "user part 1: version 6 .*valid"
else
	echo "note: $tinker absent, flash --local not checked"
fi

# An Asset OTA bundle: the app by DFU or control requests, each asset by
# the firmware update control requests (250-253, the update engine); the
# device then boots the app with all its assets.
bundle=$shared/fixtures/particle/bundles/bundle.zip
if [[ -f $bundle ]]; then
	"$V" create ab --platform argon --id 0123456789abcdef01234569 >/dev/null || bad "create ab"
	cp "$bundle" bundle.zip
	on ab "'$P' flash --local bundle.zip >flash.txt 2>&1; rc=\$?; sleep 2; exit \$rc"
	[[ $? -eq 0 ]] && ok "bundle: exit 0" || { bad "bundle"; cat run.txt flash.txt; }
	has "bundle: assets sent" flash.txt "Flashing (cat|house|water).txt"
	has "bundle: by control requests" run.txt "usb: firmware update: [0-9]+ bytes"
	"$V" run ab --for 0.2 >again.txt 2>&1
	has "bundle: boots with all assets" again.txt "assets: 3 required, all stored"
	has "bundle: the app is installed" again.txt "user part 2: version 6 at 0x000b4000, valid"
	# Again: the asset info request (91) tells the CLI what the device holds.
	on ab "'$P' flash --local bundle.zip >flash2.txt 2>&1; rc=\$?; sleep 2; exit \$rc"
	[[ $? -eq 0 ]] && ok "bundle again: exit 0" || { bad "bundle again"; cat run.txt flash2.txt; }
	has "bundle again: stored assets skipped" flash2.txt "Skipping cat.txt because it already exists on the device"
	hasnt "bundle again: no asset sent" run.txt "usb: firmware update: [0-9]+ bytes"

	# A directory with a system part and an app: the system part read from
	# the device itself (its factory module), the app Tinker for argon.
	tinker_ar=$shared/fixtures/particle/binaries/../bundles/tinker_argon_541.bin
	if [[ -f $tinker_ar ]]; then
		"$V" create dd --platform argon --id 0123456789abcdef0123456a >/dev/null || bad "create dd"
		timeout 60 "$V" run dd --usb --dfu -- dfu-util -d 2b04:d00c -a 0 -s 0x00028000:24 -U prefix.bin >/dev/null 2>&1
		len=$(( $(od -An -tu4 -j4 -N4 prefix.bin | tr -d ' ') - 0x28000 + 4 ))
		mkdir -p fw
		timeout 60 "$V" run dd --usb --dfu -- dfu-util -d 2b04:d00c -a 0 -s 0x00028000:$len -U fw/system-part1.bin >/dev/null 2>&1
		cp "$tinker_ar" fw/tinker.bin
		on dd "'$P' flash --local fw >flash.txt 2>&1; rc=\$?; sleep 2; exit \$rc"
		[[ $? -eq 0 ]] && ok "directory: exit 0" || { bad "directory"; cat run.txt flash.txt; }
		has "directory: system part flashed" flash.txt "Flashing system-part1.bin"
		has "directory: app flashed" flash.txt "Flashing tinker.bin"
		"$V" run dd --for 0.2 >again.txt 2>&1
		has "directory: boots the app" again.txt "user part [12]: version [0-9]+ at .*valid"
		has "directory: system part valid" again.txt "system part 1: version 6303 .*valid"
	fi
else
	echo "note: $bundle absent, bundle flash not checked"
fi

echo "$fails failure(s)"
[[ $fails -eq 0 ]]

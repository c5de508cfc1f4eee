#!/bin/bash
# The virtual device on the virtual USB bus seen by Debian's Chromium through
# WebUSB (spec 07, "Browsers"): a P2 is created, Chromium runs headless under
# the bus (`otakit-vdev run DIR --usb -- node usb_webusb.js ...`, driven by
# playwright-core from npm, installed into a cache dir, not the repo), loads a
# page from a loopback HTTP server and `navigator.usb.getDevices()` must list
# 2b04:c020 with the device id as serial number, manufacturer Particle and
# product "Photon 2 / P2"; the page then opens the device, reads the simple
# control request 0x50 (wIndex 20: the device id), asks for DFU mode (service
# request type 50) and must see the disconnect and connect events, the device
# coming back as 2b04:d020 with the same serial.
#
# Permission without a prompt comes from Chromium's managed policy
# WebUsbAllowDevicesForUrls, which Debian's Chromium reads only from
# /etc/chromium/policies/managed/: the test writes its own file there for its
# duration only (otakit-test-webusb-PID.json) and removes it at exit.  Skips
# (77) without chromium, node/npm, umockdev's preload, or write access there.
set -uo pipefail
APP=${OTK_BUILD:?}/vdev/otakit-vbus
source "$(dirname "$0")/lib/vdev.sh"
for t in /usr/bin/chromium node npm; do
	command -v $t >/dev/null || { echo "skipped: $t not installed"; exit 77; }
done
need_umockdev_preload
poldir=/etc/chromium/policies/managed
mkdir -p "$poldir" 2>/dev/null
if [[ ! -w $poldir ]]; then
	echo "skipped: cannot write Chromium's managed policy folder $poldir"
	exit 77
fi
# No runaway file: a device node that is not a FIFO (a broken otakit-vbus)
# has been seen to grow to tens of GB under Chromium; 512 MiB per file here.
ulimit -f $((512 * 1024))
policy=$poldir/otakit-test-webusb-$$.json
trap 'rm -f "$policy"; rm -rf "$tmp"' EXIT

# playwright-core (the driver only; the browser is Debian's), once per machine.
pw=${XDG_CACHE_HOME:-$HOME/.cache}/otakit-playwright
mkdir -p "$pw"
if [[ ! -d $pw/node_modules/playwright-core ]]; then
	(cd "$pw" && flock "$pw.lock" npm install --no-audit --no-fund --silent playwright-core@1) >npm.txt 2>&1 ||
		{ echo "FAIL: npm install playwright-core into $pw"; cat npm.txt; exit 1; }
fi

id=0123456789abcdef01234567
"$V" create dev --platform p2 --id $id >/dev/null 2>&1 || { bad "p2: create"; exit 1; }
# Both P2 product ids (normal 0xc020, DFU 0xd020) are allowed for the page.
timeout 180 "$V" run dev --usb -- node "$(cd "$(dirname "$0")" && pwd)/usb_webusb.js" \
	"$pw" "$policy" $((0xc020)),$((0xd020)) >out.txt 2>run.txt
[[ $? -eq 0 ]] && ok "chromium under the bus runs the page" || { bad "run"; cat run.txt; }
grep '^{' out.txt | tail -n 1 >res.json
has "the policy named the page's origin" res.json '"origin":"http://127\.0\.0\.1:[0-9]+"'
has "getDevices() lists 2b04:c020 with serial = device id" res.json \
	"\"devices\":\[\{\"vendorId\":11012,\"productId\":49184,\"serialNumber\":\"$id\""
has "manufacturer and product strings" res.json '"manufacturerName":"Particle","productName":"Photon 2 / P2"'
has "only the one device" res.json '"devices":\[\{[^]]*\}\]'
has "open + controlTransferIn 0x50/20 answers the device id" res.json \
	"\"simple\":\{\"status\":\"ok\",\"text\":\"$id\"\}"
has "enter-DFU request (type 50) accepted" res.json '"dfuInit":\{"status":0,"id":[0-9]+\},"dfuCheck":\{"status":0,"result":0\}'
has "disconnect then connect events, DFU product id 0xd020" res.json \
	"\"events\":\[\[\"disconnect\",49184,\"$id\"\],\[\"connect\",53280,\"$id\"\]\]"
has "getDevices() afterwards lists the device in DFU mode" res.json "\"after\":\[\[53280,\"$id\"\]\]"
has "no WebUSB error" res.json '"error":null'
echo "$passes passed, $fails failed"
[[ $fails -eq 0 ]]

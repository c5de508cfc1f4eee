#!/bin/bash
# Asset OTA on the virtual device with examples/asset-ota (FileAssetExample):
# bundle the app with its assets, install (every asset sent as an asset
# module, then the app), run and check the example's log line by line (the
# copy to /usr/assets in 512-byte writes, assetsHandled, the listing every
# 10 s, test1.json's keys); change one asset and check that only it is sent
# again; an app requiring an asset the device lacks boots into safe mode
# naming it.
set -uo pipefail
EX=${OTK_BUILD:?OTK_BUILD must name the build directory}/examples/asset-ota
APP=$EX/asset_ota.bin
SRC=${OTK_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
source "$(dirname "$0")/lib/vdev.sh"
# the [app] lines of a run log, without timestamps
applines() { sed -n 's/^[0-9]\{10\} \[app\] //p' "$1"; }

cp -r "$SRC/examples/asset-ota/assets" assets
png_size=$(wc -c <assets/logo.png)

# --- bundle, create, install -------------------------------------------------
"$V" bundle "$APP" --assets assets --saveTo a.zip >out.txt 2>&1 || { bad "bundle"; cat out.txt; }
has "bundle: saved" out.txt "Saved bundle to: a.zip"
"$V" create d --platform gcc --id 0123456789abcdef01234567 >/dev/null 2>&1 || bad "create"
"$V" install d a.zip >inst.txt 2>&1 || { bad "install: exit status"; cat inst.txt; }
has "install: logo.png sent" inst.txt "asset logo.png \($png_size bytes, module [0-9]+ bytes\): sent"
has "install: test1.json sent" inst.txt "asset test1.json \(44 bytes, module [0-9]+ bytes\): sent"
has "install: 2 sent" inst.txt "assets: 2 sent, 0 skipped"
has "install: app accepted" inst.txt "asset_ota.bin: user part 1 version 1 for gcc, [0-9]+ bytes at 0x[0-9a-f]+: accepted"

# --- first run: the handler copies the assets, then the 10 s listing -------
timeout 40 "$V" run d --for 11.5 >run.txt 2>&1
has "run: assets stored" run.txt "\[system\] INFO: assets: 2 required, all stored; state want"
has "run: normal mode" run.txt "boot: normal mode$"
applines run.txt >app.txt
full=$((png_size / 512 * 512)); rest=$((png_size - full))
{
	echo "INFO: handleAssets called"
	echo "INFO: asset path=/usr/assets/logo.png size=$png_size"
	for ((i = 0; i < png_size / 512; i++)); do echo "INFO: wrote 512 bytes to file"; done
	((rest)) && echo "INFO: wrote $rest bytes to file"
	echo "INFO: asset path=/usr/assets/test1.json size=44"
	echo "INFO: wrote 44 bytes to file"
	echo "INFO: set assetsHandled to true"
	echo "INFO: asset-ota example: 2 asset(s) required, 2 available"
	echo "INFO: found asset /usr/assets/logo.png size=$png_size"
	echo "INFO: found asset /usr/assets/test1.json size=44"
	echo "INFO: key=a value=JSON example"
	echo "INFO: key=b value=12345"
} >want.txt
if diff want.txt app.txt >diff.txt; then ok "run: example log line by line"; else
	bad "run: example log differs:"; cat diff.txt; fi
has "run: handler before setup" run.txt "assets: onAssetOta handler called"
if cmp -s assets/logo.png d/fs/usr/assets/logo.png && cmp -s assets/test1.json d/fs/usr/assets/test1.json
then ok "fs: files copied byte for byte"; else bad "fs: copies differ"; fi
ts=$(grep -m1 "found asset" run.txt | cut -c1-10)
if ((10#$ts >= 10000 && 10#$ts < 11500)); then ok "run: listing after 10 s ($ts)"; else
	bad "run: listing at $ts ms"; fi

# --- handled: the next boot does not present them again --------------------
timeout 10 "$V" run d --for 0.5 >run2.txt 2>&1
has "run 2: state handled" run2.txt "assets: 2 required, all stored; state handled"
hasnt "run 2: no handler" run2.txt "handleAssets called"

# --- change one asset: only it is sent ----------------------------------------
printf '{\n    "a": "changed",\n    "c": [1, 2]\n}\n' >assets/test1.json
json_size=$(wc -c <assets/test1.json)
"$V" bundle "$APP" --assets assets --saveTo b.zip >out.txt 2>&1 || { bad "bundle 2"; cat out.txt; }
"$V" install d b.zip >inst2.txt 2>&1 || { bad "install 2: exit status"; cat inst2.txt; }
has "install 2: logo.png skipped" inst2.txt "asset logo.png \($png_size bytes\): skipped, already stored"
has "install 2: test1.json sent" inst2.txt "asset test1.json \($json_size bytes, module [0-9]+ bytes\): sent"
has "install 2: 1 sent 1 skipped" inst2.txt "assets: 1 sent, 1 skipped"
timeout 40 "$V" run d --for 10.5 >run3.txt 2>&1
has "run 3: state want" run3.txt "state want"
has "run 3: handler again" run3.txt "\[app\] INFO: handleAssets called"
has "run 3: new size" run3.txt "asset path=/usr/assets/test1.json size=$json_size"
has "run 3: key a" run3.txt "\[app\] INFO: key=a value=changed$"
has "run 3: key c" run3.txt "\[app\] INFO: key=c value=\[1, 2\]$"
hasnt "run 3: key b gone" run3.txt "key=b"

# --- a required asset the device lacks: safe mode naming it ------------------
echo "not on the device" >assets/extra.txt
"$V" bundle "$APP" --assets assets --saveTo c.zip --force >out.txt 2>&1 || { bad "bundle 3"; cat out.txt; }
python3 -c 'import sys, zipfile; open("c.bin", "wb").write(zipfile.ZipFile("c.zip").read("asset_ota.bin"))' ||
	bad "extract the app"
"$V" install d c.bin >inst3.txt 2>&1 || { bad "install 3: exit status"; cat inst3.txt; }
timeout 10 "$V" run d --for 0.5 >run4.txt 2>&1
has "safe: reason names the asset" run4.txt "boot: safe mode: missing asset extra.txt \(1 of 3 required asset\(s\) not stored\)"
has "safe: breathing magenta" run4.txt "LED: breathing magenta"
hasnt "safe: app does not run" run4.txt "\[app\]"
# then the bundle brings it and the app runs
"$V" install d c.zip >inst4.txt 2>&1 || { bad "install 4: exit status"; cat inst4.txt; }
has "install 4: only extra.txt sent" inst4.txt "assets: 1 sent, 2 skipped"
has "install 4: extra.txt sent" inst4.txt "asset extra.txt \(18 bytes, module [0-9]+ bytes\): sent"
timeout 10 "$V" run d --for 0.5 >run5.txt 2>&1
has "run 5: normal again" run5.txt "assets: 3 required, all stored; state want"
has "run 5: handler copies extra.txt" run5.txt "asset path=/usr/assets/extra.txt size=18"

if ((fails)); then echo "$fails check(s) failed"; exit 1; fi
echo "all checks passed"

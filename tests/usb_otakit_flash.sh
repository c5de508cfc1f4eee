#!/bin/bash
# otakit against the virtual device on the virtual USB bus (otakit-vdev run
# --usb): usb list / identify (text and --json), usb dfu and usb reset,
# flash --local of an app and of a folder (system part + app), update
# --target from one Device OS release to another and back (catalog
# releases made here with `otakit binary create`, plus the real system parts
# of ../shared imported beside them), and refusals (another platform's
# module, a bad CRC) that leave the device untouched.  After each flash the
# device reboots and its boot log shows what it was given.
set -uo pipefail
cli=${OTK_CLI:?OTK_CLI must name the otakit binary}
APP=${OTK_BUILD:?}/vdev/otakit-vbus
source "$(dirname "$0")/lib/vdev.sh"
need_umockdev_preload
shared=${OTK_SHARED:-}
if [[ -z $shared || ! -d $shared/fixtures/particle/binaries ]]; then
	echo "skipped: ../shared fixtures absent"
	exit 77
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0
ID=0123456789abcdef01234567

# on CMD: run CMD (a bash script) with the device attached; output in run.txt
on() {
	timeout 180 "$V" run dev --usb -- bash -c "$1" >run.txt 2>&1
}
# after: the part of run.txt from the last reboot on
after() { awk '/reset: rebooting/ { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' run.txt >after.txt; }

"$V" create dev --platform argon --id $ID >/dev/null 2>&1 || { bad "create"; exit 1; }
head -c 30000 /dev/urandom >body
"$cli" binary create body --platform argon --index 2 --depends system:1:6303 -o app.bin >/dev/null
"$cli" binary create body --platform boron --index 2 --depends system:1:6303 -o boron.bin >/dev/null
cp app.bin bad.bin
printf '\x01' | dd of=bad.bin bs=1 seek=200 conv=notrunc status=none

# --- listing and identity --------------------------------------------------------
on "'$cli' usb list >list.txt; '$cli' usb list --json >list.json; '$cli' identify >id.txt;
    '$cli' identify --json >id.json; '$cli' identify --device ffffffffffffffffffffffff >none.txt 2>&1; echo rc=\$? >>none.txt"
has "usb list" list.txt "^$ID  argon  normal$"
has "usb list --json" list.json "\"mode\": \"normal\""
has "identify: id" id.txt "^Your device id is $ID$"
has "identify: Device OS" id.txt "^Your system firmware version is [0-9]+\.[0-9]+\.[0-9]+"
has "identify --json" id.json "\"platform_id\": 12"
has "identify: an absent id is an error" none.txt "no Particle device with id ffffffffffffffffffffffff"
has "identify: exit 1" none.txt "rc=1"

# --- usb dfu, usb reset --------------------------------------------------------------
on "'$cli' usb dfu >dfu.txt 2>&1; sleep 1; '$cli' usb list >l1.txt; '$cli' usb reset >reset.txt 2>&1; sleep 1; '$cli' usb list >l2.txt"
has "usb dfu" dfu.txt "$ID: entering DFU mode"
has "usb dfu: the device is in DFU mode" l1.txt "^$ID  argon  DFU$"
has "usb reset from DFU" reset.txt "$ID: resetting"
has "usb reset: back in normal mode" l2.txt "^$ID  argon  normal$"

# --- flash --local an app ------------------------------------------------------------
on "'$cli' flash --local app.bin --catalog cat >flash.txt 2>&1; echo rc=\$? >>flash.txt; sleep 1; '$cli' usb list >l3.txt"
has "flash app: success" flash.txt "Flash success!"
has "flash app: legacy slot invalidated first" flash.txt "Flashing invalidate-128k-user-part"
has "flash app: exit 0" flash.txt "rc=0"
after
has "flash app: the device boots it" after.txt "user part 2: version 0 at 0x000b4000, valid"
has "flash app: normal mode" after.txt "boot: normal mode"
has "flash app: back in normal mode" l3.txt "^$ID  argon  normal$"

# --- refusals: the device is not touched --------------------------------------------
on "'$cli' flash --local boron.bin --catalog cat >r1.txt 2>&1; echo rc=\$? >>r1.txt;
    '$cli' flash --local app.bin bad.bin --catalog cat >r2.txt 2>&1; echo rc=\$? >>r2.txt"
has "another platform: refused" r1.txt "boron.bin: built for boron \(platform 13\), the device is argon \(platform 12\)"
has "another platform: exit 1" r1.txt "rc=1"
has "bad CRC: refused" r2.txt "bad.bin: CRC mismatch"
hasnt "refusals: no reboot, no DFU" run.txt "reset: rebooting|DFU mode"

# --- flash --local a folder: system part then app -------------------------------------
mkdir dir
head -c 200000 /dev/urandom >sbody
"$cli" binary create sbody --platform argon --function system --index 1 --version 6303 --start 0x28000 \
	--depends bootloader:0:3101 -o dir/system-part1.bin >/dev/null
cp app.bin dir/tinker.bin
echo "notes" >dir/README
on "'$cli' flash --local dir --catalog cat >fdir.txt 2>&1; echo rc=\$? >>fdir.txt; sleep 1"
has "flash dir: exit 0" fdir.txt "rc=0"
sed -n '/^Flashing dir/,$p' fdir.txt | grep -v "argon $ID" >order.txt
has "flash dir: system part before the app" fdir.txt "Flashing dir/system-part1.bin"
if awk '/system-part1/ { s = NR } /tinker/ { t = NR } END { exit !(s && t && s < t) }' fdir.txt; then
	ok "flash dir: dependency order"
else
	bad "flash dir: order"; cat fdir.txt
fi
after
has "flash dir: boots the system part" after.txt "system part 1: version 6303 .* valid"
has "flash dir: and the app" after.txt "user part 2: version 0 at 0x000b4000, valid"

# --- update --target: down to 5.8.0 and back to 6.3.2 ---------------------------------
mkdir r580 r632 real
"$cli" binary create sbody --platform argon --function system --index 1 --version 5800 --start 0x28000 \
	--depends bootloader:0:2600 -o r580/argon-system-part1@5.8.0.bin >/dev/null
"$cli" binary create sbody --platform argon --function system --index 1 --version 6303 --start 0x28000 \
	--depends bootloader:0:3101 -o r632/argon-system-part1@6.3.2.bin >/dev/null
b=$shared/fixtures/particle/binaries
cp "$b/080_system-part1-xenon.bin" "$b/boron-som-system-part1@1.1.0-rc.1.bin" real/
for r in r580 r632 real; do "$cli" device-os import --catalog cat $r >/dev/null || bad "import $r"; done
"$cli" device-os list --catalog cat >cat.txt
has "catalog: both argon releases" cat.txt "^argon +5.8.0 +system-1$"
has "catalog: the real system parts beside them" cat.txt "^bsom +1.1.0-rc.1 +system-1$"
on "'$cli' update --target 5.8.0 --catalog cat >u1.txt 2>&1; echo rc=\$? >>u1.txt; sleep 1"
has "update --target 5.8.0: exit 0" u1.txt "rc=0"
has "update --target 5.8.0: from the catalog" u1.txt "Adding Device OS 5.8.0 from the catalog"
after
has "update 5.8.0: the device runs it" after.txt "system part 1: version 5800 \(Device OS 5.8.0\).*valid"
has "update 5.8.0: the app waits in safe mode" after.txt "boot: safe mode: user part 2 needs system part 1 version 6303"
on "'$cli' update --catalog cat >u2.txt 2>&1; echo rc=\$? >>u2.txt; sleep 1"
has "update (newest): exit 0" u2.txt "rc=0"
has "update (newest): 6.3.2" u2.txt "Adding Device OS 6.3.2 from the catalog"
after
has "update 6.3.2: the device runs it" after.txt "system part 1: version 6303 \(Device OS 6.3.2\).*valid"
has "update 6.3.2: back in normal mode" after.txt "boot: normal mode"
on "'$cli' update --target 9.9.9 --catalog cat >u3.txt 2>&1; echo rc=\$? >>u3.txt"
has "update: a release the catalog lacks" u3.txt "Device OS 9.9.9 for argon is not in the catalog"
has "update: exit 1" u3.txt "rc=1"

# --- Device OS added from the catalog: the app needs 6.3.4, the device runs 6.3.2 ------
mkdir r634
"$cli" binary create sbody --platform argon --function system --index 1 --version 6305 --start 0x28000 \
	--depends bootloader:0:3101 -o r634/s.bin >/dev/null
"$cli" device-os import --catalog cat r634 >/dev/null || bad "import r634"
"$cli" binary create body --platform argon --index 2 --depends system:1:6305 -o app634.bin >/dev/null
on "'$cli' flash --local app634.bin --catalog cat >a.txt 2>&1; echo rc=\$? >>a.txt; sleep 1"
has "app needs 6.3.4: added from the catalog (module info says 6.3.2)" a.txt "Adding Device OS 6.3.4 from the catalog"
has "app needs 6.3.4: system part first" a.txt "Flashing 6.3.4-system-1.bin"
has "app needs 6.3.4: exit 0" a.txt "rc=0"
after
has "app needs 6.3.4: the device runs it" after.txt "system part 1: version 6305 \(Device OS 6.3.4\).*valid"
has "app needs 6.3.4: and the app, in normal mode" after.txt "boot: normal mode"

# --- a bundle whose asset the device holds (asset info): the asset is skipped ---------
mkdir assets && echo "meow" >assets/cat.txt
"$cli" binary create body --platform argon --index 2 --depends system:1:6305 -o app3.bin >/dev/null
"$cli" bundle app3.bin --assets assets --saveTo b.zip >/dev/null || bad "bundle"
"$V" install dev b.zip >/dev/null 2>&1 || bad "install the bundle"
on "'$cli' flash --local b.zip --catalog cat >b.txt 2>&1; echo rc=\$? >>b.txt; sleep 1"
has "bundle: the app by DFU" b.txt "Flashing b.zip:app3.bin"
has "bundle: the stored asset skipped" b.txt "Skipping cat.txt because it already exists on the device"
has "bundle: exit 0" b.txt "rc=0"
after
has "bundle: the device has its asset" after.txt "assets: 1 required, all stored"

# --- a bundle on a device without its asset: the asset goes by control requests --------
"$V" create fresh --platform argon --id $ID >/dev/null 2>&1 || bad "create fresh"
timeout 180 "$V" run fresh --usb -- bash -c "'$cli' flash --local b.zip --catalog cat >c.txt 2>&1; echo rc=\$? >>c.txt; sleep 1" >run.txt 2>&1
has "bundle, new asset: sent" c.txt "^Flashing cat.txt$"
has "bundle, new asset: exit 0" c.txt "rc=0"
has "bundle, new asset: by the firmware update requests" run.txt "usb: firmware update applied"
after
has "bundle, new asset: stored, normal mode" after.txt "assets: 1 required, all stored"

# --- update with a bootloader: by control requests first, then the system part by DFU --
mkdir rb
head -c 20000 /dev/urandom >bbody
"$cli" binary create bbody --platform argon --function bootloader --index 0 --version 3102 --start 0xf4000 \
	-o rb/argon-bootloader@6.3.4.bin >/dev/null
"$cli" binary create sbody --platform argon --function system --index 1 --version 6305 --start 0x28000 \
	--depends bootloader:0:3102 -o rb/argon-system-part1@6.3.4.bin >/dev/null
"$cli" device-os import --catalog catb rb >/dev/null || bad "import rb"
timeout 180 "$V" run fresh --usb -- bash -c "'$cli' update --catalog catb >ub.txt 2>&1; echo rc=\$? >>ub.txt; sleep 1" >run.txt 2>&1
if awk '/bootloader-0/ { b = NR } /system-1/ { s = NR } END { exit !(b && s && b < s) }' ub.txt; then
	ok "update with a bootloader: bootloader first"
else
	bad "update with a bootloader: order"; cat ub.txt
fi
has "update with a bootloader: exit 0" ub.txt "rc=0"
after
has "update with a bootloader: new bootloader" after.txt "bootloader: version 3102 at 0x000f4000, valid"
has "update with a bootloader: new system part" after.txt "system part 1: version 6305 .*valid, needs bootloader version 3102"

# --- the device killed in the middle of a DFU download --------------------------------
# otakit names the step and the address; the device then boots in DFU mode
# (system part 1 broken) and flashing again completes.
head -c 500000 /dev/urandom >kbody
"$cli" binary create kbody --platform argon --function system --index 1 --version 6303 --start 0x28000 \
	--depends bootloader:0:3101 -o big.bin >/dev/null
"$V" run dev --usb --dfu -- bash -c "'$cli' flash --local big.bin --catalog cat >k.txt 2>&1; echo rc=\$? >>k.txt" \
	>run.txt 2>&1 &
victim=$!
for _ in $(seq 300); do
	grep -q "^Flashing big.bin" k.txt 2>/dev/null && break
	sleep 0.02
done
sleep 0.3
kill -9 $victim 2>/dev/null
wait $victim 2>/dev/null
for _ in $(seq 100); do grep -q "^rc=" k.txt 2>/dev/null && break; sleep 0.1; done
has "killed device: otakit names the step and the address" k.txt "big.bin: DFU write failed: (erase|write) at 0x000[0-9a-f]{5}: the device is gone"
has "killed device: exit 1" k.txt "rc=1"
timeout 10 "$V" run dev --for 0.3 >boot.txt 2>&1
has "killed device: boots in DFU mode" boot.txt "boot: DFU mode"
on "'$cli' flash --local big.bin --catalog cat >k2.txt 2>&1; echo rc=\$? >>k2.txt; sleep 1"
has "killed device: flashing again completes" k2.txt "rc=0"
after
has "killed device: the part is valid at boot" after.txt "system part 1: version 6303 .*valid"

# --- two devices on one bus: none chosen is an error listing both ----------------------
ID2=89abcdef0123456789abcdef
"$V" create dev2 --platform p2 --id $ID2 >/dev/null 2>&1 || bad "create dev2"
"$V" run dev2 --usb >bus.txt 2>&1 &
first=$!
bus=
for _ in $(seq 100); do
	bus=$(sed -n 's/^export OTAKIT_USB_BUS=//p' bus.txt)
	[[ -n $bus ]] && break
	sleep 0.1
done
if [[ -n $bus ]]; then
	(eval "$(grep '^export UMOCKDEV_DIR=' bus.txt)"
	 timeout 120 "$V" run dev --usb --usb-bus "$bus" -- bash -c "'$cli' usb list >two.txt;
		'$cli' identify >both.txt 2>&1; echo rc=\$? >>both.txt;
		'$cli' identify --device $ID2 >one.txt 2>&1" >run.txt 2>&1)
	has "two devices: both listed" two.txt "^$ID2  p2  normal$"
	has "two devices: none chosen is an error" both.txt "several Particle devices are attached; choose one with --device ID"
	has "two devices: the error lists them" both.txt "^  $ID  argon  normal$"
	has "two devices: exit 1" both.txt "rc=1"
	has "two devices: --device picks one" one.txt "^Your device id is $ID2$"
else
	bad "two devices: the first bus did not start"; cat bus.txt
fi
kill -INT $first 2>/dev/null
wait $first 2>/dev/null

echo "$fails failure(s)"
[[ $fails -eq 0 ]]

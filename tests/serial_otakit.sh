#!/bin/bash
# otakit's serial side against the virtual device: `otakit serial list`,
# identify, mac, inspect (text and --json; a device in normal mode is put in
# listening mode over USB first), `serial monitor --follow` across a reset,
# `flash --serial` of a user part from normal mode and of two system parts
# when downgrading (reverse order), refusals before the device is touched
# (bootloader, another platform, bad CRC), and a line that drops and
# corrupts bytes (tests/lib/serial_proxy.py): at a low rate the transfer
# completes through retransmissions, at a high rate it fails with a clear
# error, the device stays usable and no corrupt image is installed.
set -uo pipefail
APP=${OTK_BUILD:?}/examples/hello/hello.bin
source "$(dirname "$0")/lib/vdev.sh"
C=$build/cli/otakit
[[ -x $build/vdev/otakit-vbus ]] || { echo "skipped: otakit-vbus not built (libumockdev-dev)"; exit 77; }
need_umockdev_preload
proxy=$(cd "$(dirname "$0")" && pwd)/lib/serial_proxy.py
id=0123456789abcdef0123beef

on() {
	local dir=$1 args=$2
	shift 2
	timeout 300 "$V" run "$dir" --usb $args -- bash -c "$1" >run.txt 2>&1
}

"$V" create ar --platform argon --id $id >/dev/null || bad "create argon"
"$V" build-app "$build/examples/hello/hello.so" -o app-argon.bin --platform argon >/dev/null
"$V" install ar app-argon.bin >/dev/null || bad "install"

# The log on the port, and --follow across a reset.
on ar "" "'$C' serial monitor --follow >mon.txt 2>mon.err & m=\$!; sleep 3; '$C' usb reset >/dev/null;
	sleep 4; kill \$m; wait \$m"
has "monitor: the app's log lines" mon.txt "\[app\] INFO: hello from loop\(\) #[0-9]+"
has "monitor --follow: saw the port close" mon.err "Serial connection closed.  Waiting for the device"
[[ $(grep -c "hello from setup()" mon.txt) -ge 2 ]] && ok "monitor --follow: the log after the reset too" ||
	{ bad "monitor --follow: one boot only"; cat mon.txt mon.err; }

on ar "" "'$C' serial list >list.txt; '$C' serial list --json >list.json; '$C' serial identify >id.txt 2>&1;
	'$C' serial identify --json >id.json; '$C' serial mac >mac.txt; '$C' serial inspect >ins.txt;
	'$C' serial inspect --json >ins.json"
has "list: port, platform, id" list.txt "^/dev/ttyACM0 - argon - $id$"
has "list --json" list.json "\"port\": \"/dev/ttyACM0\""
has "identify (asked for listening mode over USB)" id.txt "Your device id is $id"
has "identify: version" id.txt "Your system firmware version is 6.3.2"
has "identify --json" id.json "\"id\": \"$id\", \"version\": \"6.3.2\""
has "mac: a Wi-Fi device has one" mac.txt "Your device MAC address is 02:(23:be:ef|[0-9a-f:]{14})"
has "inspect: the user part, valid, with its dependency" ins.txt "user module #2 - version 1"
has "inspect --json: the platform" ins.json "\"p\": 12"

# Refused before anything is sent.
"$V" create g --platform gcc >/dev/null || bad "create gcc"
"$C" binary create app-argon.bin --platform gcc --function bootloader --index 0 --version 3200 \
	--start 0x0 -o boot.bin >/dev/null || bad "binary create bootloader"
cp "$APP" badcrc.bin
printf '\x55' | dd of=badcrc.bin bs=1 seek=2000 conv=notrunc 2>/dev/null
on g "" "'$C' flash --serial boot.bin >r1.txt 2>&1; echo \$? >>r1.txt;
	'$C' flash --serial app-argon.bin >r2.txt 2>&1; echo \$? >>r2.txt;
	'$C' flash --serial badcrc.bin >r3.txt 2>&1; echo \$? >>r3.txt"
has "bootloader refused with the reason" r1.txt "boot.bin: a bootloader cannot be flashed over serial"
has "another platform refused" r2.txt "built for platform 12 \(argon\), the device is 3 \(gcc\)"
has "bad CRC refused" r3.txt "badcrc.bin: CRC mismatch"
[[ $(tail -qn1 r1.txt r2.txt r3.txt | sort -u) == 1 ]] && ok "refusals exit 1" || bad "refusal exit status"
hasnt "nothing was sent" run.txt "serial: receiving"

# A user part from normal mode, then a downgrade: system parts in reverse.
head -c 9000 /dev/urandom >b1
head -c 9000 /dev/urandom >b2
"$C" binary create b1 --platform gcc --function system --index 1 --version 6200 --start 0x10000 \
	--depends bootloader:0:3101 -o s1.bin >/dev/null
"$C" binary create b2 --platform gcc --function system --index 2 --version 6200 --start 0x50000 \
	--depends system:1:6200 -o s2.bin >/dev/null
on g "" "'$C' flash --serial '$APP' >f1.txt 2>&1 && '$C' flash --serial s1.bin s2.bin >f2.txt 2>&1"
[[ $? -eq 0 ]] && ok "flash --serial exit 0" || { bad "flash --serial"; cat f1.txt f2.txt; }
has "user part: the device's verdict" f1.txt "hello.bin: Downloaded file successfully!"
has "downgrade announced" f2.txt "system parts in reverse order"
grep -n "Downloaded" f2.txt | head -1 | grep -q s2.bin && ok "system part 2 first when downgrading" ||
	{ bad "downgrade order"; cat f2.txt; }
"$V" run g --for 1 >boot.txt 2>&1
has "boots system part 1 6200" boot.txt "system part 1: version 6200 .*valid"
has "boots system part 2 6200" boot.txt "system part 2: version 6200 .*valid"

# A lossy line between otakit and the device.
"$V" create h --platform gcc >/dev/null || bad "create gcc (faults)"
lossy() { # RATE SEED: flash hello through the proxy
	echo "python3 '$proxy' --link a --target /dev/ttyACM0 --drop $1 --corrupt $1 --seed $2 --skip 2048 >proxy.txt & p=\$!;
	for i in \$(seq 50); do [ -e a ] && break; sleep 0.1; done;
	timeout 200 '$C' flash --serial '$APP' --port a >flash.txt 2>&1; echo \$? >flash.status;
	kill \$p; wait \$p; printf '\030\030' >/dev/ttyACM0; sleep 1.5; printf '\030\030' >/dev/ttyACM0; sleep 6;
	'$C' serial identify >after.txt 2>&1"
}
rm -f a
on h --listen "$(lossy 0.0003 7)"
has "low loss: completes" flash.txt "Downloaded file successfully!"
has "low loss: through retransmissions" flash.txt "packet\(s\) sent again"
has "low loss: the proxy did harm bytes" proxy.txt "dropped [1-9][0-9]* corrupted [1-9]"
"$V" run h --for 2 >boot.txt 2>&1
has "low loss: the app boots" boot.txt "hello from setup\(\)"

"$V" create k --platform gcc >/dev/null || bad "create gcc (heavy faults)"
rm -f a
on k --listen "$(lossy 0.05 3)"
[[ $(cat flash.status) == 1 ]] && ok "heavy loss: exit 1" || { bad "heavy loss exit $(cat flash.status)"; cat flash.txt; }
has "heavy loss: a clear error" flash.txt "serial transfer failed during the (header|data|end of file|validation)|the device refused it"
has "heavy loss: the device stays usable" after.txt "Your device id is"
hasnt "heavy loss: nothing installed" run.txt "serial: file validated and applied"
"$V" run k --for 1 >boot.txt 2>&1
has "heavy loss: no user part installed" boot.txt "user part 1: empty"

echo "$fails failure(s)"
[[ $fails -eq 0 ]]

#!/bin/bash
# particle-cli 3.51.0 (the oracle, unmodified, under umockdev's preload)
# against the virtual device's USB serial port: `particle serial list` finds
# /dev/ttyACM0 through udev with the device id, `particle serial identify`,
# `particle identify`, `particle serial mac` and `particle serial inspect` show what they show for
# a real Argon, and `particle serial monitor` prints the native app's log
# lines that the device writes to the port in normal mode.
set -uo pipefail
source "$(dirname "$0")/lib/oracle.sh"
APP=${OTK_BUILD:?}/examples/hello/hello.so
source "$(dirname "$0")/lib/vdev.sh"
[[ -x $build/vdev/otakit-vbus ]] || { echo "skipped: otakit-vbus not built (libumockdev-dev)"; exit 77; }
need_umockdev_preload
command -v udevadm >/dev/null || { echo "skipped: udevadm (udev) not installed"; exit 77; }
export HOME=$tmp/home
mkdir -p "$HOME"
P=$O/particle
id=0123456789abcdef0123cafe

on() {
	timeout 300 "$V" run "$1" --usb -- bash -c "$2" >run.txt 2>&1
}

"$V" create ar --platform argon --id $id >/dev/null || bad "create argon"
"$V" build-app "$APP" -o app.bin --platform argon >/dev/null || bad "build-app for argon"
"$V" install ar app.bin >/dev/null || bad "install the app"
on ar "'$P' serial list >list.txt 2>&1; '$P' serial identify >sid.txt 2>&1;
	'$P' identify >id.txt 2>&1; '$P' serial inspect >inspect.txt 2>&1;
	'$P' serial mac >mac.txt 2>&1;
	timeout -s INT 20 '$P' serial monitor </dev/null >mon.txt 2>&1; true"
has "serial list: the port, platform and id" list.txt "^/dev/ttyACM0 - Argon - $id"
has "serial identify: device id" sid.txt "Your device id is $id"
has "serial identify: Device OS version" sid.txt "Your system firmware version is 6.3.2"
has "identify: device id" id.txt "Your device id is $id"
has "identify: Device OS version" id.txt "Your system firmware version is 6.3.2"
# the MAC the device derives from its id (02 + the id's last 5 bytes), read
# through the network interface requests 400 and 401
has "serial mac: the Wi-Fi interface's MAC address" mac.txt "Your device MAC address is .*02:ef:01:23:ca:fe"
has "serial mac: the interface type" mac.txt "Interface is Wifi"
has "serial inspect: device and platform" inspect.txt "Platform: 12 - Argon"
has "serial inspect: system part 1 and its bootloader dependency" inspect.txt "System part module #1 - version 6303"
has "serial inspect: the user part" inspect.txt "User part module #2 - version 1"
has "serial monitor: opened the port" mon.txt "Opening serial monitor for com port: \" /dev/ttyACM0 \""
has "serial monitor: the app's log lines" mon.txt "\[app\] INFO: hello from loop\(\) #[0-9]+ at [0-9]+ ms"

echo "$fails failure(s)"
[[ $fails -eq 0 ]]

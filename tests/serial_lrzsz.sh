#!/bin/bash
# YMODEM against lrzsz, which someone else wrote: `sb --ymodem` sends a user
# part and a system part into the virtual device in listening mode (through
# its CDC ACM port on the virtual bus, after the 'f' command), and the
# device boots them; files the device must refuse (another platform, a bad
# CRC, a truncated file) end in CA CA and "Validation failed: <code>" with the
# installed firmware byte-identical; garbage typed in listening mode is
# ignored.  Then our sender (`otakit serial send`) to `rb --ymodem` through a
# pty pair: the files arrive byte-identical.
set -uo pipefail
APP=${OTK_BUILD:?}/examples/hello/hello.bin
source "$(dirname "$0")/lib/vdev.sh"
C=$build/cli/otakit
command -v sb >/dev/null && command -v rb >/dev/null || { echo "skipped: lrzsz not installed"; exit 77; }
[[ -x $build/vdev/otakit-vbus ]] || { echo "skipped: otakit-vbus not built (libumockdev-dev)"; exit 77; }
need_umockdev_preload
proxy=$(cd "$(dirname "$0")" && pwd)/lib/serial_proxy.py

# on DIR ARGS SCRIPT: the device in DIR on a fresh bus (run ARGS), SCRIPT there.
on() {
	local dir=$1 args=$2
	shift 2
	timeout 300 "$V" run "$dir" --usb $args -- bash -c "$1" >run.txt 2>&1
}
# sb FILE: the 'f' command, then sb on the port; its status in sb.status.
SB='exec 3<>/dev/ttyACM0; printf f >&3; sleep 0.3; timeout 120 sb --ymodem -vv "$F" <&3 >&3 2>sb.txt; echo $? >sb.status; sleep 2'
# The user area's bytes (gcc: 128 KB at 0x90000 of internal.bin).
user_area() { dd if="$1/internal.bin" bs=4096 skip=$((0x90000 / 4096)) count=32 2>/dev/null | sha256sum; }

"$V" create g --platform gcc >/dev/null || bad "create gcc"
F=$APP on g --listen "F='$APP'; $SB"
[[ $(cat sb.status) == 0 ]] && ok "sb --ymodem: user part sent (exit 0)" || { bad "sb user part"; cat sb.txt run.txt; }
has "device: listening mode on the port" run.txt "serial: listening mode on the USB serial port"
has "device: header name and size" run.txt "serial: receiving hello.bin, [0-9]+ bytes"
has "device: validated and applied before the last ACK" run.txt "serial: file validated and applied"
has "device: reset and copied the update" run.txt "update: 1 module\(s\) copied into place"
has "device: boots the new user part" run.txt "user part 1: version 1 at 0x00090000, valid"
"$V" run g --for 2 >boot.txt 2>&1
has "the app runs after the serial update" boot.txt "\[app\] INFO: hello from setup\(\)"

# A system part (2, version 6304) by sb as well.
head -c 12000 /dev/urandom >body.bin
"$C" binary create body.bin --platform gcc --function system --index 2 --version 6304 \
	--start 0x50000 --depends system:1:6303 -o sys2.bin >/dev/null || bad "binary create system part"
on g --listen "F=sys2.bin; $SB"
[[ $(cat sb.status) == 0 ]] && ok "sb --ymodem: system part sent" || { bad "sb system part"; cat sb.txt run.txt; }
has "device: boots the new system part 2" run.txt "system part 2: version 6304 \(.*\) at 0x00050000, valid"

# Refused files: the device says why, sb fails, the installed user part stays.
before=$(user_area g)
"$V" build-app "$build/examples/hello/hello.so" -o other.bin --platform argon --force >/dev/null
cp "$APP" badcrc.bin
printf '\x55' | dd of=badcrc.bin bs=1 seek=2000 conv=notrunc 2>/dev/null
head -c 10000 "$APP" >short.bin
for f in other.bin badcrc.bin short.bin; do
	on g --listen "F=$f; $SB; exec 3<>/dev/ttyACM0; printf 'i' >&3; timeout 2 head -c 40 <&3 >after.txt"
	# lrzsz's sb exits 0 whatever the closing header's answer; it reports the cancel
	has "$f: sb sees the device cancel the closing header" sb.txt "Cancelled"
	has "$f: Validation failed on the device" run.txt "serial: validation failed: "
	hasnt "$f: no reset after a refused file" run.txt "reset: rebooting"
	has "$f: listening mode answers afterwards" after.txt "Your device id is"
	[[ $(user_area g) == "$before" ]] && ok "$f: installed user part byte-identical" || bad "$f: user area changed"
done

# Garbage in listening mode: ignored, the port keeps answering.
on g --listen "exec 3<>/dev/ttyACM0; head -c 3000 /dev/urandom | tr -d 'fLx' >&3; sleep 0.5;
	timeout 1 cat <&3 >/dev/null; printf v >&3; timeout 2 head -c 30 <&3 >v.txt"
has "garbage ignored: 'v' still answers" v.txt "system firmware version: 6.3.2"
hasnt "garbage: no reset" run.txt "reset: rebooting"

# Our sender into rb through a pty pair.
mkdir rx
head -c 300001 /dev/urandom >blob.bin
timeout 280 python3 "$proxy" --link a --link2 b >proxy.txt 2>&1 &
ppid=$!
trap 'kill $ppid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [[ -e b && -e a ]] && break; sleep 0.1; done
(cd rx && timeout 280 rb --ymodem <../b >../b 2>../rb.txt) &
rpid=$!
expect 0 "blob.bin: sent, 300001 bytes" timeout 280 "$C" serial send blob.bin --port a
wait $rpid && ok "rb --ymodem exit 0" || { bad "rb"; cat rb.txt; }
cmp -s blob.bin rx/blob.bin && ok "rb received it byte-identical" || bad "rb's copy differs"
kill $ppid 2>/dev/null

echo "$fails failure(s)"
[[ $fails -eq 0 ]]

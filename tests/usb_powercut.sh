#!/bin/bash
# Power cut in the middle of a DfuSe download: the virtual device is killed
# (a torn flash operation, then exit) while dfu-util rewrites its system
# part.  The next boot is what a real device does: system
# part 1 is invalid, so it stays in DFU mode; flashing again over USB
# completes and the device boots the system part.
set -uo pipefail
APP=${OTK_BUILD:?}/vdev/otakit-vbus
source "$(dirname "$0")/lib/vdev.sh"
command -v dfu-util >/dev/null || { echo "skipped: dfu-util not installed"; exit 77; }
need_umockdev_preload

"$V" create dev --platform argon >/dev/null || bad "create"
# The whole factory system part, its size from its prefix (end - start + CRC).
timeout 60 "$V" run dev --usb --dfu -- dfu-util -d 2b04:d00c -a 0 -s 0x00028000:24 -U prefix.bin >/dev/null 2>&1
len=$(( $(od -An -tu4 -j4 -N4 prefix.bin | tr -d ' ') - 0x28000 + 4 ))
timeout 60 "$V" run dev --usb --dfu -- dfu-util -d 2b04:d00c -a 0 -s 0x00028000:$len -U sp.bin >/dev/null 2>&1
[[ $(stat -c %s sp.bin 2>/dev/null) -eq $len ]] && ok "system part read ($len bytes)" || bad "system part read"

# The power dies at the device's 3rd flash operation of the download (an
# erase: OTK_VDEV_CUT_AT tears it and exits 137), the same point on a fast or
# a loaded machine.  dfu-util then loses its device.
OTK_VDEV_CUT_AT=3 timeout 120 "$V" run dev --usb --dfu -- \
	timeout 60 dfu-util -d 2b04:d00c -a 0 -s 0x00028000 -D sp.bin >cut.txt 2>&1
st=$?
[[ $st == 137 ]] && ok "the device died in the download" || bad "no cut: exit $st"
has "the download was cut" cut.txt "Erase"
hasnt "the download did not finish" cut.txt "File downloaded successfully"

timeout 20 "$V" run dev --for 0.3 >boot.txt 2>&1
has "after the cut: system part 1 invalid" boot.txt "system part 1: invalid"
has "after the cut: stays in DFU mode" boot.txt "boot: DFU mode: system part 1 missing or invalid"

# No --dfu: the device is in DFU mode by itself; flash again and leave.
timeout 60 "$V" run dev --usb -- bash -c \
	"dfu-util -d 2b04:d00c -a 0 -s 0x00028000:leave -D sp.bin >again.txt 2>&1; sleep 1" >run.txt 2>&1
has "the device came up in DFU mode" run.txt "attached as 2b04:d00c \(DFU mode\)"
has "flashing again completes" again.txt "File downloaded successfully"
sed -n '/reset: rebooting/,$p' run.txt >after.txt
has "then it boots the system part" after.txt "system part 1: version 6303 .*, valid"
has "and leaves DFU mode" after.txt "attached as 2b04:c00c \(normal mode\)"

echo "$fails failure(s)"
[[ $fails -eq 0 ]]

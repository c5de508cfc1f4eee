#!/bin/bash
# The virtual device on the virtual USB bus against dfu-util 0.11 (an
# unmodified program under umockdev's preload), on an nRF52840 platform
# (argon) and on the P2: the listing (alt settings with the platform's DfuSe
# memory strings, serial = device id), lsusb, a download then an upload
# byte-identical, a system part read out, written back and read again, and
# a download with :leave, after which the device reboots, re-enumerates in
# normal mode and boots the system part it was given.  Unsupported DfuSe
# commands and a write to the read-only bootloader sector fail cleanly.
set -uo pipefail
APP=${OTK_BUILD:?}/vdev/otakit-vbus
source "$(dirname "$0")/lib/vdev.sh"
for t in dfu-util lsusb; do
	command -v $t >/dev/null || { echo "skipped: $t not installed"; exit 77; }
done
need_umockdev_preload

# run_on DIR SCRIPT: the device in DIR on a fresh bus, SCRIPT run there.
run_on() {
	timeout 120 "$V" run "$1" --usb --dfu -- bash -c "$2" >run.txt 2>&1
}

check_platform() {
	local plat=$1 pid=$2 memstr=$3 user=$4 sys=$5
	mkdir -p "$tmp/$plat" && cd "$tmp/$plat" || return
	"$V" create dev --platform "$plat" --id 0123456789abcdef01234567 >/dev/null 2>&1 ||
		{ bad "$plat: create"; return; }
	head -c 100000 /dev/urandom >app.bin

	run_on dev "lsusb >lsusb.txt; dfu-util -l >list.txt 2>&1"
	[[ $? -eq 0 ]] && ok "$plat: run --usb -- COMMAND exits with its status" || { bad "$plat: run"; cat run.txt; }
	has "$plat: lsusb lists it" lsusb.txt "ID 2b04:$pid Particle"
	has "$plat: dfu-util alt 0 memory string" list.txt \
		"\[2b04:$pid\].*alt=0, name=\"$memstr\", serial=\"0123456789abcdef01234567\""
	has "$plat: dfu-util alt 1 is the DCT" list.txt 'alt=1, name="@DCT Flash /0x00000000/1\*016Ke"'
	if [[ $plat == argon ]]; then
		has "$plat: alt 2 external flash" list.txt 'alt=2, name="@External Flash /0x80000000/1024\*004Kg"'
	else
		hasnt "$plat: no alt 2" list.txt 'alt=2'
	fi

	run_on dev "dfu-util -d 2b04:$pid -a 0 -s $user -D app.bin >dl.txt 2>&1 &&
		dfu-util -d 2b04:$pid -a 0 -s $user:100000 -U back.bin >ul.txt 2>&1"
	[[ $? -eq 0 ]] && ok "$plat: download and upload succeed" || { bad "$plat: dfu-util"; cat run.txt dl.txt ul.txt; }
	cmp -s app.bin back.bin && ok "$plat: upload is byte-identical" || bad "$plat: upload differs"

	# The system part: its prefix read out gives its size (end - start);
	# the whole part is read, its area erased and written back with :leave,
	# the device boots it (CRC checked at boot) and it reads back identical.
	run_on dev "dfu-util -d 2b04:$pid -a 0 -s $sys:24 -U prefix.bin >u0.txt 2>&1"
	local start end len
	start=$(od -An -tu4 -j0 -N4 prefix.bin 2>/dev/null | tr -d ' ')
	end=$(od -An -tu4 -j4 -N4 prefix.bin 2>/dev/null | tr -d ' ')
	len=$(( ${end:-0} - ${start:-0} + 4 ))
	[[ ${start:-x} == $((sys)) && $len -gt 1000 ]] && ok "$plat: system part prefix at $sys" ||
		{ bad "$plat: no system part prefix at $sys"; cat run.txt u0.txt; }
	run_on dev "dfu-util -d 2b04:$pid -a 0 -s $sys:$len -U sp.bin >u1.txt 2>&1 &&
		dfu-util -d 2b04:$pid -a 0 -s $sys:leave -D sp.bin >d1.txt 2>&1; sleep 1; lsusb >lsusb2.txt"
	has "$plat: leave reboots" run.txt "reset: rebooting"
	sed -n '/reset: rebooting/,$p' run.txt >after.txt
	has "$plat: the written system part is valid at boot" after.txt "system part 1: version [0-9]+ .*, valid"
	# (safe mode: the user area holds the random bytes written above)
	has "$plat: boots the firmware after leave" after.txt "boot: safe mode: user part [12] invalid"
	hasnt "$plat: does not stay in DFU mode" after.txt "DFU mode"
	has "$plat: re-enumerates in normal mode" lsusb2.txt "ID 2b04:c0${pid#d0} "
	"$V" run dev --dfu --usb -- dfu-util -d 2b04:$pid -a 0 -s $sys:$len -U sp2.bin >u2.txt 2>&1
	cmp -s sp.bin sp2.bin && ok "$plat: system part byte-identical ($len bytes)" ||
		bad "$plat: system part differs"
	cd "$tmp" || return
}

check_platform argon d00c \
	'@Internal Flash /0x00000000/1\*004Ka,47\*004Kg,192\*004Kg,4\*004Kg,4\*004Kg,8\*004Ka' \
	0x000d4000 0x00028000
check_platform p2 d020 '@Internal Flash /0x08000000/2048\*004Kg' 0x08480000 0x08060000

# Refusals: the bootloader sector is read-only, mass erase is not offered.
rm -rf dev && "$V" create dev --platform argon >/dev/null 2>&1
head -c 4096 /dev/urandom >blk.bin
run_on dev "dfu-util -d 2b04:d00c -a 0 -s 0x00000000 -D blk.bin >ro.txt 2>&1; echo rc=\$? >>ro.txt"
has "read-only sector: dfu-util fails" ro.txt "rc=(1|74|[1-9][0-9]*)"
hasnt "read-only sector: no success claimed" ro.txt "File downloaded successfully"
has "the device keeps serving after the refusal" run.txt "command exited with status 0"

# Two devices on one bus: the first serves it and prints the environment,
# the second joins it with --usb-bus; programs see both.
"$V" create m1 --platform argon --id 0123456789abcdef000000a1 >/dev/null
"$V" create m2 --platform p2 --id 0123456789abcdef000000a2 >/dev/null
timeout 60 "$V" run m1 --usb >m1.txt 2>&1 &
m1=$!
for _ in $(seq 50); do grep -q OTAKIT_USB_BUS m1.txt && break; sleep 0.2; done
has "run --usb alone prints the environment" m1.txt "^export UMOCKDEV_DIR=.*"
bus=$(sed -n 's/^export OTAKIT_USB_BUS=//p' m1.txt)
umd=$(sed -n 's/^export UMOCKDEV_DIR=//p' m1.txt)
UMOCKDEV_DIR=$umd timeout 60 "$V" run m2 --usb-bus "$bus" --dfu -- \
	bash -c "lsusb >both.txt; dfu-util -l >both-dfu.txt 2>&1" >m2.txt 2>&1
[[ $? -eq 0 ]] && ok "a second device joins the bus" || { bad "second device"; cat m2.txt; }
has "both on the bus: argon" both.txt "ID 2b04:c00c Particle Argon"
has "both on the bus: p2 in DFU mode" both.txt "ID 2b04:d020 "
has "dfu-util sees the p2 by its serial" both-dfu.txt 'serial="0123456789abcdef000000a2"'
kill $m1
wait $m1 2>/dev/null
has "the first device stops on SIGTERM" m1.txt "stopping: SIGTERM"

echo "$fails failure(s)"
[[ $fails -eq 0 ]]

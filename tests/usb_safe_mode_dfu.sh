#!/bin/bash
# `otakit usb safe-mode` on a device in DFU mode: Particle's DfuSe command
# 0xFA (DNLOAD block 0, one byte), after which the virtual device reboots
# into safe mode and comes back in normal mode (breathing magenta).
set -uo pipefail
APP=${OTK_BUILD:?}/vdev/otakit-vbus
source "$(dirname "$0")/lib/vdev.sh"
C=$build/cli/otakit
need_umockdev_preload
"$V" create g --platform gcc >/dev/null || bad "create"
timeout 120 "$V" run g --usb --dfu -- bash -c "'$C' usb safe-mode >sm.txt 2>&1; echo \$? >sm.status;
	sleep 2; '$C' usb list >list.txt 2>&1" >run.txt 2>&1
[[ $(cat sm.status) == 0 ]] && ok "usb safe-mode from DFU: exit 0" || { bad "usb safe-mode"; cat sm.txt; }
has "the device was in DFU mode" run.txt "attached as 2b04:d003 \(DFU mode\)"
has "it rebooted into safe mode" run.txt "reset: rebooting into safe mode"
has "safe mode's LED" run.txt "LED: breathing magenta"
has "back in normal mode on USB" list.txt "gcc +normal"
echo "$fails failure(s)"
[[ $fails -eq 0 ]]

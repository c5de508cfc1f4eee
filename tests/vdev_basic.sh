#!/bin/bash
# otakit-vdev: create, run with --for, install a native app and see its
# setup/loop logs, LED words, safe mode with the reason, requests (DFU,
# listening), an ARM image stored but not run, graceful SIGINT, and kill -9
# (a power cut) during an install and during the copy at boot, after which
# the next run recovers.
set -uo pipefail
cli=${OTK_CLI:?OTK_CLI must name the otakit binary}
APP=${OTK_BUILD:?}/examples/hello/hello.bin
SO=$OTK_BUILD/examples/hello/hello.so
source "$(dirname "$0")/lib/vdev.sh"

# --- create -----------------------------------------------------------------
"$V" create d --platform gcc --id 0123456789ABCDEF01234567 >out.txt 2>&1
[[ $? -eq 0 ]] && ok "create" || { bad "create"; cat out.txt; }
has "create: system parts" out.txt "system part 1 version 6303 \(Device OS 6.3.2\)"
[[ $(stat -c %s d/internal.bin) -eq 2097152 ]] && ok "create: 2 MB flash file" || bad "flash size"
"$V" create d --platform gcc >out.txt 2>&1
[[ $? -eq 1 ]] && ok "create: refuses an existing device" || bad "create over a device"
"$V" create e --platform nosuch >out.txt 2>&1
[[ $? -eq 2 ]] && ok "create: unknown platform is a usage error" || bad "unknown platform"
"$V" create e --platform gcc --device-os 9.9.9 >out.txt 2>&1
[[ $? -eq 2 ]] && ok "create: unknown Device OS is a usage error" || bad "unknown Device OS"
"$V" create e --platform gcc --id 12zz >out.txt 2>&1
[[ $? -eq 2 ]] && ok "create: bad id is a usage error" || bad "bad id"

# --- run: factory image -----------------------------------------------------
timeout 10 "$V" run d --for 0.3 >run.txt 2>&1
[[ $? -eq 0 ]] && ok "run --for exits 0" || bad "run --for"
has "run: timestamps" run.txt "^[0-9]{10} \[system\] INFO: booting gcc device 0123456789abcdef01234567"
has "run: no user part" run.txt "boot: normal mode, no user part"
has "run: breathing cyan" run.txt "LED: breathing cyan"

# --- install the native app, run it ------------------------------------------
"$V" install d "$APP" >out.txt 2>&1
[[ $? -eq 0 ]] && ok "install hello.bin" || { bad "install"; cat out.txt; }
timeout 10 "$V" run d --for 1.5 >run.txt 2>&1
has "run: copy at boot" run.txt "update: 1 module\(s\) copied into place"
has "run: setup() log" run.txt "^[0-9]{10} \[app\] INFO: hello from setup\(\) on device 0123456789abcdef01234567"
has "run: loop() logs" run.txt "\[app\] INFO: hello from loop\(\) #2"
has "run: LED" run.txt "LED: breathing cyan"
timeout 10 "$V" run d --loops 3 >run.txt 2>&1
has "run --loops" run.txt "stopping after 3 loop\(\) calls"
hasnt "run --loops: no 4th loop" run.txt "loop\(\) #4"

# --- requests ---------------------------------------------------------------
timeout 10 "$V" run d --for 0.2 --dfu >run.txt 2>&1
has "DFU request: blinking yellow" run.txt "LED: blinking yellow \(DFU mode\)"
hasnt "DFU: app does not run" run.txt "\[app\]"
timeout 10 "$V" run d --for 0.2 --listen >run.txt 2>&1
has "listening: blinking dark blue" run.txt "LED: blinking dark blue"
hasnt "listening: app does not run" run.txt "\[app\]"
timeout 10 "$V" run d --for 0.2 --safe-mode >run.txt 2>&1
has "safe mode request" run.txt "safe mode: requested"
has "safe mode: breathing magenta" run.txt "LED: breathing magenta"

# --- graceful stop ----------------------------------------------------------
"$V" run d >run.txt 2>&1 &
pid=$!
sleep 0.5
"$V" install d "$APP" >out.txt 2>&1
[[ $? -eq 1 ]] && ok "install while running: refused" || bad "install while running"
has "install while running: says why" out.txt "in use by another otakit-vdev"
kill -INT $pid
wait $pid
rc=$?
[[ $rc -eq 0 ]] && ok "SIGINT: exit 0" || bad "SIGINT: exit $rc"
has "SIGINT: says so" run.txt "stopping: SIGINT"

# --- unmet dependency: app for 6.3.2 on a 6.1.1 device ----------------------
"$V" create old --platform gcc --device-os 6.1.1 >/dev/null 2>&1
"$V" install old "$APP" >out.txt 2>&1
[[ $? -eq 0 ]] && ok "install: user dependencies optional" || { bad "install on old"; cat out.txt; }
timeout 10 "$V" run old --for 0.3 >run.txt 2>&1
has "safe mode with reason" run.txt "safe mode: user part 1 needs system part 1 version 6303 \(Device OS 6.3.2\), installed: version 6101 \(Device OS 6.1.1\)"
has "safe mode LED" run.txt "LED: breathing magenta"
hasnt "safe mode: app does not run" run.txt "\[app\]"
# build-app for the right Device OS heals it
"$V" build-app "$SO" --device-os 6.1.1 --version 2 -o hello611.bin >out.txt 2>&1
has "build-app" out.txt "needs Device OS 6.1.1"
"$V" install old hello611.bin >/dev/null 2>&1
timeout 10 "$V" run old --for 1 >run.txt 2>&1
has "matching app runs" run.txt "\[app\] INFO: hello from setup"

# --- an ARM image: stored, not executed --------------------------------------
head -c 3000 /dev/urandom >arm.body
"$cli" binary create arm.body --platform gcc --start 0x90000 --depends system:1:6303 -o arm.bin >/dev/null
"$V" install d arm.bin >out.txt 2>&1
[[ $? -eq 0 ]] && ok "install ARM image" || { bad "install ARM image"; cat out.txt; }
timeout 10 "$V" run d --for 0.2 >run.txt 2>&1
has "ARM image: not executable" run.txt "user part: 3068-byte image .*not executable here"

# --- refused installs ---------------------------------------------------------
"$cli" binary create arm.body --platform p2 --start 0x08600000 -o p2.bin >/dev/null 2>&1 ||
	"$cli" binary create arm.body --platform p2 -o p2.bin >/dev/null
"$V" install d p2.bin >out.txt 2>&1
[[ $? -eq 1 ]] && ok "install: other platform refused" || bad "other platform accepted"
has "other platform message" out.txt "another platform"

# --- power cut during an install, then during the copy at boot ----------------
# OTK_VDEV_CUT_AT=N tears the N-th flash write or erase and dies (exit 137),
# so the cuts land at the same point on a fast or a loaded machine
# (tests/vdev_powercut.sh walks every N; here one inside each phase).
"$V" install d "$APP" >/dev/null 2>&1   # back to hello
timeout 10 "$V" run d --loops 1 >/dev/null 2>&1
"$V" build-app "$SO" --version 7 -o hello7.bin >/dev/null 2>&1
OTK_VDEV_CUT_AT=40 "$V" install d hello7.bin >out.txt 2>&1
[[ $? == 137 ]] && ok "install cut at its 40th flash operation" || bad "install not cut: $(cat out.txt)"
timeout 10 "$V" run d --loops 1 >run.txt 2>&1
has "cut install: old app still boots" run.txt "user part 1: version 1 at .*valid"
has "cut install: old app runs" run.txt "\[app\] INFO: hello from setup"
"$V" install d hello7.bin >out.txt 2>&1
[[ $? -eq 0 ]] && ok "install after a cut" || { bad "install after a cut"; cat out.txt; }
has "install resumes" out.txt "resuming at byte [1-9]"
# cut the copy at boot at several points
cuts=0
for n in 1 3 5; do
	OTK_VDEV_CUT_AT=$n timeout 10 "$V" run d --loops 1 >cut.txt 2>&1
	st=$?
	[[ $st == 137 ]] && grep -q "waiting to be copied" cut.txt && ! grep -q "module(s) copied" cut.txt &&
		cuts=$((cuts + 1))
done
[[ $cuts == 3 ]] && ok "power cut inside the copy at boot (3 points)" || bad "cuts in the copy: $cuts of 3"
timeout 10 "$V" run d --loops 1 >run.txt 2>&1
has "cut copy: recovers to the new app" run.txt "user part 1: version 7 at .*valid"
has "cut copy: app runs" run.txt "\[app\] INFO: hello from setup"
hasnt "cut copy: no invalid module" run.txt "invalid"

# --- a device without a valid system part 1 is in DFU mode ---------------------
cp -r d dfu
printf '\0\0\0\0\0\0\0\0' | dd of=dfu/internal.bin bs=1 seek=$((0x10000 + 100)) conv=notrunc status=none
timeout 10 "$V" run dfu --for 0.2 >run.txt 2>&1
has "corrupt system part 1: DFU" run.txt "DFU mode: system part 1 missing or invalid"
has "DFU LED" run.txt "LED: blinking yellow"

# --- usage ----------------------------------------------------------------------
"$V" run nosuchdir >out.txt 2>&1
[[ $? -eq 1 ]] && ok "run: not a device" || bad "run on a missing dir"
"$V" frobnicate >out.txt 2>&1
[[ $? -eq 2 ]] && ok "unknown command: exit 2" || bad "unknown command"

if [[ $fails -ne 0 ]]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "all passed"

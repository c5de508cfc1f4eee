#!/bin/bash
# otakit-vdev power cuts: OTK_VDEV_CUT_AT=N tears the N-th flash write or
# erase half-way and kills the process, as a power cut would.  The cut is
# looped over every operation of an install and of the copy at the next
# boot (and a second cut during the recovery boot); after each, the device
# must boot a valid application (old or new), and finish with the new one.
set -uo pipefail
SO=${OTK_BUILD:?OTK_BUILD must name the build directory}/examples/hello/hello.so
APP=$OTK_BUILD/examples/hello/hello.bin
source "$(dirname "$0")/lib/vdev.sh"

"$V" create base --platform gcc --id 00112233445566778899aabb >/dev/null || exit 1
"$V" install base "$APP" >/dev/null || exit 1
"$V" run base --for 0.05 >/dev/null || exit 1
"$V" build-app "$SO" --version 7 -o new.bin >/dev/null || exit 1

# boots NAME VERSIONS [DIR]: a run of DIR (default d) shows a valid user part
# of one of VERSIONS running
boots() {
	timeout 10 "$V" run "${3:-d}" --for 0.3 >run.txt 2>&1
	if ! grep -qE "user part 1: version ($2) at .*valid" run.txt ||
	   ! grep -q "\[app\] INFO: hello from setup" run.txt || grep -q invalid run.txt; then
		bad "$1"; cat run.txt; return 1
	fi
	return 0
}

# --- cut at every operation of an install ----------------------------------
n=0
for ((N = 1; N < 500; N++)); do
	rm -rf d && cp -r base d
	OTK_VDEV_CUT_AT=$N "$V" install d new.bin >/dev/null 2>&1
	[[ $? -eq 0 ]] && break
	n=$N
	boots "install cut at $N: boot" "1|7" || continue
	"$V" install d new.bin >out.txt 2>&1 || grep -q "waiting to be applied" out.txt ||
		{ bad "install cut at $N: install again"; cat out.txt; continue; }
	boots "install cut at $N: final" "7"
done
echo "install: cut at each of $n operations"
[[ $n -ge 10 ]] || bad "install: only $n cut points"

# --- cut at every operation of the copy at boot, then a second cut ------------
rm -rf pend && cp -r base pend
"$V" install pend new.bin >/dev/null || exit 1
m=0
for ((N = 1; N < 500; N++)); do
	rm -rf d && cp -r pend d
	OTK_VDEV_CUT_AT=$N timeout 10 "$V" run d --for 0.05 >/dev/null 2>&1
	[[ $? -eq 0 ]] && break
	m=$N
	for M in 1 2 3; do
		rm -rf d2 && cp -r d d2
		OTK_VDEV_CUT_AT=$M timeout 10 "$V" run d2 --for 0.05 >/dev/null 2>&1
		boots "copy cut at $N, then at $M of the recovery: final" "7" d2
	done
	boots "copy cut at $N: final" "7"
done
echo "copy at boot: cut at each of $m operations"
[[ $m -ge 3 ]] || bad "copy: only $m cut points"

if [[ $fails -ne 0 ]]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "all passed"

#!/bin/bash
# USB flashing speed: `otakit flash --local` against dfu-util 0.11 and
# `particle flash --local` (particle-cli 3.51.0) writing the same 1 MB system
# part to the same virtual P2 (otakit-vdev run --usb --dfu), each ending
# with DFU leave.  Reports the median wall time of each tool (measured
# around the tool alone, inside the bus session), the ratio to otakit, and
# the control transfers each one submitted, counted by a small ioctl shim
# (USBDEVFS_SUBMITURB of control type) loaded ahead of umockdev's preload,
# so all three are counted the same way.  Not a test: nothing fails on
# slowness.
#
#   OTAKIT=build/cli/otakit VDEV=build/vdev/otakit-vdev bench/usb.sh [--record]
#
# RUNS (default 5) runs of otakit and dfu-util, PRUNS (default 3) of particle.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
record=false
[[ ${1:-} == --record ]] && record=true
otakit=${OTAKIT:-$repo/build/cli/otakit}
vdev=${VDEV:-$(dirname "$(dirname "$otakit")")/vdev/otakit-vdev}
[[ $otakit == /* ]] || otakit=$PWD/$otakit
[[ $vdev == /* ]] || vdev=$PWD/$vdev
shared=${OTK_SHARED:-$repo/../shared}
runs=${RUNS:-5}
pruns=${PRUNS:-3}
[[ -x $otakit && -x $vdev ]] || { echo "bench: $otakit or $vdev is not built" >&2; exit 1; }
command -v dfu-util >/dev/null || { echo "bench: dfu-util not installed" >&2; exit 1; }
P=
if [[ -x $shared/oracle/setup.sh ]]; then
	lock=${XDG_CACHE_HOME:-$HOME/.cache}/otakit-oracle.lock
	mkdir -p "$(dirname "$lock")"
	O=$(flock "$lock" "$shared/oracle/setup.sh" | tail -n 1) && P=$O/particle
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# The control-transfer counter: wraps ioctl, counts control URBs submitted,
# writes the count to $URB_COUNT_FILE at exit.
cat >urbcount.c <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/ioctl.h>
#include <linux/usbdevice_fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
static unsigned long count;
int ioctl(int fd, unsigned long req, ...)
{
	static int (*next)(int, unsigned long, ...);
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	if (!next)
		next = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	if (req == USBDEVFS_SUBMITURB && arg &&
	    ((struct usbdevfs_urb *)arg)->type == USBDEVFS_URB_TYPE_CONTROL)
		__atomic_fetch_add(&count, 1, __ATOMIC_RELAXED);
	return next(fd, req, arg);
}
__attribute__((destructor)) static void report(void)
{
	const char *f = getenv("URB_COUNT_FILE");
	FILE *o = f ? fopen(f, "a") : NULL;
	if (o) {
		fprintf(o, "%lu\n", count);
		fclose(o);
	}
}
C
cc -O2 -shared -fPIC -o urbcount.so urbcount.c -ldl
shim=$work/urbcount.so

"$vdev" create dev --platform p2 --id 0123456789abcdef01234567 >/dev/null
head -c 1048000 /dev/urandom >body
"$otakit" binary create body --platform p2 --function system --index 1 --version 6303 \
	--start 0x08060000 --depends bootloader:0:3101 -o sp.bin >/dev/null
size=$(stat -c %s sp.bin)

# one TOOL CMD: run CMD on the bus (device in DFU mode); appends the tool's
# seconds to TOOL.times and its control transfers (all its processes) to TOOL.urbs
one() {
	local tool=$1 cmd=$2
	rm -f cnt.txt
	"$vdev" run dev --usb --dfu -- bash -c "
		export URB_COUNT_FILE=$work/cnt.txt LD_PRELOAD=$shim:\$LD_PRELOAD
		t0=\$(date +%s.%N); $cmd >out.txt 2>&1; rc=\$?; t1=\$(date +%s.%N)
		echo \"\$t1 - \$t0\" | bc >>$work/$tool.times; exit \$rc" >run.txt 2>&1 ||
		{ echo "bench: $tool failed:" >&2; cat out.txt run.txt >&2; exit 1; }
	awk '{ s += $1 } END { print s }' cnt.txt >>$tool.urbs
}

for ((i = 0; i < runs; i++)); do
	one otakit "'$otakit' flash --local sp.bin --catalog '$work/cat'"
	one dfu-util "dfu-util -d 2b04:d020 -a 0 -s 0x08060000:leave -D sp.bin"
done
if [[ -n $P ]]; then
	for ((i = 0; i < pruns; i++)); do
		one particle "'$P' flash --local sp.bin"
	done
fi

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mo=$(median otakit.times)
table=$(
	echo "| tool | runs | median wall (s) | ratio to otakit | control transfers |"
	echo "|---|---|---|---|---|"
	for t in otakit dfu-util particle; do
		[[ -f $t.times ]] || continue
		m=$(median $t.times)
		printf '| %s | %s | %.3f | %.2f | %s |\n' "$t" "$(wc -l <$t.times)" "$m" \
			"$(echo "$m / $mo" | bc -l)" "$(median $t.urbs)"
	done
)
echo "USB flash of a $size-byte system part to a virtual P2 in DFU mode (with DFU leave)"
echo "$table"
if $record; then
	{
		echo
		echo "## usb.sh ($(date -u +%Y-%m-%d), $size-byte system part, virtual P2)"
		echo
		echo "$table"
	} >>"$here/results.md"
fi

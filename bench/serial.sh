#!/bin/bash
# Serial (YMODEM) flashing speed: a 256 KB user part sent into the same
# virtual Argon in listening mode (otakit-vdev run --usb --listen, its CDC
# ACM port on the virtual bus), by our sender (`otakit serial send`) and by
# lrzsz's `sb --ymodem` (128-byte packets, its default) and `sb --ymodem -k`
# (1024-byte packets), interleaved in the same run.  Each sample is the 'f'
# command plus the whole transfer up to the device's verdict (validation
# and apply included), timed around the sender alone; the device then
# resets and the next sample waits for it.  Prints medians, the ratio to
# otakit and the effective throughput.  Not a test: nothing fails on
# slowness.
#
#   OTAKIT=build/cli/otakit VDEV=build/vdev/otakit-vdev bench/serial.sh
#
# RUNS (default 5) samples per sender.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
otakit=${OTAKIT:-$repo/build/cli/otakit}
vdev=${VDEV:-$(dirname "$(dirname "$otakit")")/vdev/otakit-vdev}
[[ $otakit == /* ]] || otakit=$PWD/$otakit
[[ $vdev == /* ]] || vdev=$PWD/$vdev
runs=${RUNS:-5}
[[ -x $otakit && -x $vdev ]] || { echo "bench: $otakit or $vdev is not built" >&2; exit 1; }
command -v sb >/dev/null || { echo "bench: lrzsz (sb) not installed" >&2; exit 1; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
size=262144
head -c $((size - 128)) /dev/urandom >body.bin
"$otakit" binary create body.bin --platform argon --index 2 --version 2 --depends system:1:6303 -o app.bin >/dev/null
bytes=$(stat -c %s app.bin)
"$vdev" create dev --platform argon >/dev/null

# Inside the bus session: each sender RUNS times, interleaved; times in ms.
cat >session.sh <<'SH'
set -u
port=/dev/ttyACM0
now() { date +%s%N; }
wait_port() { for _ in $(seq 100); do [ -e $port ] && exec 4<>$port && return 0; sleep 0.1; done; return 1; }
sample() { # NAME COMMAND...
	local name=$1 t0 t1
	shift
	sleep 2.5; wait_port
	printf f >&4
	t0=$(now)
	"$@" <&4 >&4 2>>err.txt || echo "$name failed" >>err.txt
	t1=$(now)
	exec 4>&-
	echo "$name $(( (t1 - t0) / 1000000 ))" >>times.txt
}
for i in $(seq "$RUNS"); do
	sample otakit "$OTAKIT" serial send app.bin --port $port
	sample sb sb --ymodem app.bin
	sample sb-1k sb --ymodem -k app.bin
done
SH
RUNS=$runs OTAKIT=$otakit timeout 1800 "$vdev" run dev --usb --listen -- bash session.sh >run.txt 2>&1 ||
	{ echo "bench: the session failed" >&2; tail -20 run.txt err.txt >&2; exit 1; }
if grep -q failed err.txt 2>/dev/null; then
	echo "bench: a transfer failed:" >&2
	cat err.txt >&2
	exit 1
fi
ok=$(grep -c "serial: file validated and applied" run.txt)
[[ $ok -eq $((3 * runs)) ]] || { echo "bench: $ok of $((3 * runs)) transfers applied" >&2; exit 1; }

median() { grep "^$1 " times.txt | awk '{print $2}' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
o=$(median otakit)
printf '%-26s %9s %9s %12s\n' "sender ($bytes-byte user part)" "median ms" "vs otakit" "throughput"
for n in otakit sb sb-1k; do
	m=$(median $n)
	label=$n
	[[ $n == sb ]] && label="sb --ymodem"
	[[ $n == sb-1k ]] && label="sb --ymodem -k"
	[[ $n == otakit ]] && label="otakit serial send"
	awk -v l="$label" -v m="$m" -v o="$o" -v b="$bytes" \
		'BEGIN {printf "%-26s %9d %8.2fx %9.1f KB/s\n", l, m, m / o, b / 1024 / (m / 1000)}'
done
echo "($runs runs each, interleaved, one device; 'f' + transfer + validation + apply)"

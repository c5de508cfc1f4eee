#!/bin/bash
# Side-by-side benchmark of bundle creation: `otakit bundle` against
# `particle bundle` (particle-cli 3.51.0) and binary-version-reader 3.1.3's
# createApplicationAndAssetBundle (shared/oracle/bvr_oracle.js bundle), on a
# Tracker application (Tinker 5.3.1 with its dependency raised to 5.5.0) with
#   - 3 assets, 1.45 MB in all (btgap.a, cat.jpg, km4_image2_all.bin);
#   - 200 small assets (100-400 bytes of text each).
# Reports median whole-process wall time, the ratio to otakit, peak RSS and
# binary-version-reader's in-process time.  Not a test: nothing fails on
# slowness.
#
#   OTAKIT=build/cli/otakit bench/bundle.sh [--record]
#
# --record appends the table to bench/results.md.  RUNS (default 10) sets
# the runs per reference tool (otakit gets at least 30).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
record=false
[[ ${1:-} == --record ]] && record=true
otakit=${OTAKIT:-$repo/build/cli/otakit}
[[ $otakit == /* ]] || otakit=$PWD/$otakit
shared=${OTK_SHARED:-$repo/../shared}
runs=${RUNS:-10}
[[ -x $otakit ]] || { echo "bench: $otakit is not built (set OTAKIT)" >&2; exit 1; }
[[ -d $shared/fixtures/particle ]] || { echo "bench: fixtures not found under $shared" >&2; exit 1; }
lock=${XDG_CACHE_HOME:-$HOME/.cache}/otakit-oracle.lock
mkdir -p "$(dirname "$lock")"
setup=("$shared/oracle/setup.sh")
command -v flock >/dev/null && setup=(flock "$lock" "${setup[@]}")
O=$("${setup[@]}" | tail -n 1)
F=$shared/fixtures/particle

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
: >project.properties   # particle bundle wants one in the working directory
python3 - "$F/binaries/tracker-tinker@5.3.1.bin" app.bin <<'EOF'
import sys, hashlib, struct, zlib
b = bytearray(open(sys.argv[1], 'rb').read())
struct.pack_into('<H', b, 18, 5500)
b[-38:-6] = hashlib.sha256(b[:-38]).digest()
struct.pack_into('>I', b, len(b) - 4, zlib.crc32(bytes(b[:-4])))
open(sys.argv[2], 'wb').write(b)
EOF
mkdir -p big small
cp "$F/assets/btgap.a" "$F/assets/cat.jpg" "$F/assets/km4_image2_all.bin" big/
python3 - <<'EOF'
import random
r = random.Random(1)
for i in range(200):
    n = r.randint(100, 400)
    open('small/asset_%03d.txt' % i, 'w').write(''.join(r.choice('abcdefgh \n') for _ in range(n)))
EOF

# median wall ms of a command run N times (output discarded, files removed)
median_ms() {
	local n=$1; shift
	local t=()
	for ((i = 0; i < n; i++)); do
		rm -f out.zip
		local s=$(date +%s%N)
		"$@" >/dev/null 2>&1
		local e=$(date +%s%N)
		t+=($(((e - s) / 1000)))
	done
	printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'
}
peak_kb() {
	rm -f out.zip
	/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1
}
inproc_ms() {
	rm -f out.zip
	"$@" 2>&1 >/dev/null | sed -n 's/.*in-process time \([0-9.]*\) ms.*/\1/p' | tail -1
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
rows=()
for set in big small; do
	files=("$set"/*)
	label=$([[ $set == big ]] && echo "3 assets, 1.45 MB" || echo "200 small assets")
	ours=(env "$otakit" bundle app.bin --assets "$set" --saveTo out.zip)
	cli=(env "$O/particle" bundle app.bin --assets "$set" --saveTo out.zip)
	lib=(env "$O/node" "$O/npm/bvr_oracle.js" bundle app.bin out.zip "${files[@]}")
	o_ms=$(median_ms $((runs > 30 ? runs : 30)) "${ours[@]}")
	c_ms=$(median_ms "$runs" "${cli[@]}")
	l_ms=$(median_ms "$runs" "${lib[@]}")
	o_kb=$(peak_kb "${ours[@]}"); c_kb=$(peak_kb "${cli[@]}"); l_kb=$(peak_kb "${lib[@]}")
	l_in=$(inproc_ms "${lib[@]}")
	# The floor: SHA-256 and a level-9 deflate of the same bytes, the work a
	# bundle cannot avoid (zlib and OpenSSL through Python's C modules,
	# in-process, median of 5).
	floor_ms=$(python3 - "${files[@]}" <<'PY'
import hashlib, sys, time, zlib
data = [open(f, "rb").read() for f in sys.argv[1:]]
t = []
for _ in range(5):
    s = time.perf_counter()
    for d in data:
        hashlib.sha256(d).digest()
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        c.compress(d); c.flush()
    t.append((time.perf_counter() - s) * 1000)
print("%.1f" % sorted(t)[2])
PY
)
	rows+=("| $label | otakit | $o_ms | 1.0x | $((o_kb / 1024)) | |")
	rows+=("| $label | floor: SHA-256 + deflate -9 (in-process) | $floor_ms | $(ratio "$floor_ms" "$o_ms") | | |")
	rows+=("| $label | particle bundle | $c_ms | $(ratio "$c_ms" "$o_ms") | $((c_kb / 1024)) | |")
	rows+=("| $label | bvr createApplicationAndAssetBundle | $l_ms | $(ratio "$l_ms" "$o_ms") | $((l_kb / 1024)) | $l_in |")
done

table=$(printf '%s\n' "| bundle | tool | median wall ms | ratio to otakit | peak RSS MiB | bvr in-process ms |" \
	"|---|---|---|---|---|---|" "${rows[@]}")
echo "$table"
if $record; then
	{
		echo
		echo "## bundle creation, $(date -u +%Y-%m-%d), $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs"
		echo
		echo "$table"
	} >>"$here/results.md"
fi

#!/bin/bash
# Intel HEX benchmark: otakit against objcopy and srec_cat in the same run,
# on 8 MiB of firmware in 5 regions (tracker-like: system part at 0x30000,
# user part at 0xB4000, bootloader at 0xF4000, UICR at 0x10001000 and 7 MiB
# of external flash at 0x12000000; the three modules are real module files
# built by `otakit binary create`, so `hex generate` finds them).
#
# Operations: bins -> hex, hex -> bins, merge of 5 hex files, replace the
# user part.  Prints median wall time (hyperfine when installed, else a
# shell loop), peak RSS (/usr/bin/time) and RSS / payload, the ratio to
# otakit and, for bins -> hex and hex -> bins, the ratio to a plain C
# encode/decode loop compiled here with cc -O2 (a benchmark reference, not
# project code).  When the work directory is not tmpfs, those two are run
# again on /dev/shm (BENCH_SHM) where fsync is free, to separate otakit's
# fsync from its CPU time.  Not a test: nothing fails on slowness.
#
#   OTAKIT=build/cli/otakit bench/hex.sh      (RUNS, default 10)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
otakit=${OTAKIT:-$repo/build/cli/otakit}
[[ $otakit == /* ]] || otakit=$PWD/$otakit
runs=${RUNS:-10}
[[ -x $otakit ]] || { echo "bench: $otakit is not built (set OTAKIT)" >&2; exit 1; }
if ! command -v hyperfine >/dev/null && [[ $(id -u) == 0 ]]; then
	apt-get install -y hyperfine >/dev/null 2>&1 || true
fi
for t in objcopy srec_cat python3 cc; do
	command -v $t >/dev/null || { echo "bench: $t is needed" >&2; exit 1; }
done
[[ -x /usr/bin/time ]] || { echo "bench: /usr/bin/time (GNU time) is needed" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# --- inputs ----------------------------------------------------------------
python3 - <<'PY'
import random
r = random.Random(1)
def blob(name, n):
    open(name, 'wb').write(bytes(r.getrandbits(8) for _ in range(n)) if n < 1 << 20
                           else r.randbytes(n))
blob('sys-body.bin', 0x7C000 - 64)
blob('user-body.bin', 200 * 1024)
blob('user2-body.bin', 180 * 1024)
blob('boot-body.bin', 46 * 1024)
blob('uicr.bin', 4096)
blob('ext.bin', 8 * 1024 * 1024 - (0x7C000 + 200 * 1024 + 46 * 1024 + 4096) - 64)
PY
"$otakit" binary create sys-body.bin --platform tracker --function system --version 3101 \
	--start 0x30000 -o sys.bin >/dev/null
"$otakit" binary create user-body.bin --platform tracker --index 2 --depends system:1:3101 \
	-o user.bin >/dev/null
"$otakit" binary create user2-body.bin --platform tracker --index 2 --depends system:1:3101 \
	-o user2.bin >/dev/null
"$otakit" binary create boot-body.bin --platform tracker --function bootloader --version 2400 \
	--start 0xF4000 -o boot.bin >/dev/null
addrs=(0x30000 0xB4000 0xF4000 0x10001000 0x12000000)
files=(sys.bin user.bin boot.bin uicr.bin ext.bin)
total=0
for f in "${files[@]}"; do total=$((total + $(stat -c %s "$f"))); done

# reference image and the five single-region hex files
"$otakit" hex from-bin sys.bin user.bin boot.bin uicr.bin@0x10001000 ext.bin@0x12000000 \
	-o image.hex >/dev/null
for i in 0 1 2 3 4; do
	"$otakit" hex from-bin "${files[$i]}@${addrs[$i]}" -o part$i.hex >/dev/null
done
# objcopy's view of image.hex: one section per region, .sec1 ...
mkdir -p o s t

# --- plain C reference loops ---------------------------------------------------
# Not project code: the simplest encode and decode loops the issue compares
# against (whole files in memory, 16-byte records, stdio output, no fsync).
cat > ref.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static unsigned char *slurp(const char *p, size_t *n)
{
	FILE *f = fopen(p, "rb");
	if (!f) { perror(p); exit(1); }
	fseek(f, 0, SEEK_END); *n = (size_t)ftell(f); fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc(*n + 1);
	if (fread(b, 1, *n, f) != *n) exit(1);
	fclose(f);
	return b;
}
static const char H[] = "0123456789ABCDEF";
static char *rec(char *o, int type, unsigned off, const unsigned char *d, unsigned n)
{
	unsigned char s = (unsigned char)(n + (off >> 8) + off + type);
	*o++ = ':';
	*o++ = H[n >> 4]; *o++ = H[n & 15];
	*o++ = H[off >> 12 & 15]; *o++ = H[off >> 8 & 15]; *o++ = H[off >> 4 & 15]; *o++ = H[off & 15];
	*o++ = '0'; *o++ = H[type];
	for (unsigned i = 0; i < n; i++) { *o++ = H[d[i] >> 4]; *o++ = H[d[i] & 15]; s += d[i]; }
	s = (unsigned char)-s;
	*o++ = H[s >> 4]; *o++ = H[s & 15]; *o++ = '\r'; *o++ = '\n';
	return o;
}
/* ref enc OUT FILE@ADDR... | ref dec IN.hex DIR */
int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "enc")) {
		FILE *out = fopen(argv[2], "wb");
		static char buf[1 << 16];
		char *o = buf;
		for (int a = 3; a < argc; a++) {
			char *at = strrchr(argv[a], '@');
			*at = 0;
			unsigned long addr = strtoul(at + 1, NULL, 0), hi = ~0ul;
			size_t n;
			unsigned char *d = slurp(argv[a], &n);
			for (size_t i = 0; i < n;) {
				unsigned long x = addr + i;
				if (x >> 16 != hi) {
					hi = x >> 16;
					unsigned char v[2] = { (unsigned char)(hi >> 8), (unsigned char)hi };
					o = rec(o, 4, 0, v, 2);
				}
				unsigned k = n - i < 16 ? (unsigned)(n - i) : 16;
				if ((x & 0xFFFF) + k > 0x10000) k = (unsigned)(0x10000 - (x & 0xFFFF));
				o = rec(o, 0, x & 0xFFFF, d + i, k);
				i += k;
				if (o - buf > (long)sizeof buf - 600) { fwrite(buf, 1, (size_t)(o - buf), out); o = buf; }
			}
			free(d);
		}
		o = rec(o, 1, 0, NULL, 0);
		fwrite(buf, 1, (size_t)(o - buf), out);
		return fclose(out) != 0;
	}
	if (argc == 4 && !strcmp(argv[1], "dec")) {
		signed char V[256];
		memset(V, -1, sizeof V);
		for (int i = 0; i < 16; i++) V[(unsigned char)H[i]] = (signed char)i, V["0123456789abcdef"[i]] = (signed char)i;
		size_t n;
		unsigned char *t = slurp(argv[2], &n), *p = t, *e = t + n;
		t[n] = '\n';
		size_t cap = 1 << 20, len = 0;
		unsigned char *img = malloc(cap);
		unsigned long base = 0, start = 0, next = 0;
		#define FLUSH() do { if (len) { char nm[4096]; snprintf(nm, sizeof nm, "%s/0x%08lx.bin", argv[3], start); \
			FILE *f = fopen(nm, "wb"); fwrite(img, 1, len, f); fclose(f); len = 0; } } while (0)
		while (p < e) {
			if (*p != ':') { p++; continue; }
			p++;
			unsigned char b[260], s = 0;
			unsigned k = (unsigned)(V[p[0]] << 4 | V[p[1]]) + 5;
			for (unsigned i = 0; i < k; i++, p += 2) { b[i] = (unsigned char)(V[p[0]] << 4 | V[p[1]]); s += b[i]; }
			if (s) { fprintf(stderr, "checksum\n"); return 1; }
			if (b[3] == 1) break;
			if (b[3] == 4) { base = (unsigned long)(b[4] << 8 | b[5]) << 16; continue; }
			if (b[3] != 0) continue;
			unsigned long a = base + (unsigned long)(b[1] << 8 | b[2]);
			if (len && a != next) FLUSH();
			if (!len) start = a;
			if (len + b[0] > cap) img = realloc(img, cap *= 2);
			memcpy(img + len, b + 4, b[0]);
			len += b[0];
			next = a + b[0];
		}
		FLUSH();
		return 0;
	}
	return 2;
}
C
cc -O2 -o ref ref.c || { echo "bench: cannot compile the reference loop" >&2; exit 1; }
mkdir -p r

# --- commands ----------------------------------------------------------------
declare -A cmd
cmd[bins2hex,otakit]="$otakit hex from-bin sys.bin user.bin boot.bin uicr.bin@0x10001000 ext.bin@0x12000000 -o t/b2h.hex --force"
oc=""
for i in 0 1 2 3 4; do
	oc+="objcopy -I binary -O ihex --change-addresses ${addrs[$i]} ${files[$i]} o/p$i.hex; "
done
cmd[bins2hex,objcopy]="$oc cat o/p0.hex o/p1.hex o/p2.hex o/p3.hex o/p4.hex | grep -v '^:00000001FF' > o/out.hex; echo ':00000001FF' >> o/out.hex"
sc="srec_cat"
for i in 0 1 2 3 4; do sc+=" ${files[$i]} -binary -offset ${addrs[$i]}"; done
cmd[bins2hex,srec_cat]="$sc -o s/out.hex -intel"

cmd[bins2hex,plain]="./ref enc r/b2h.hex sys.bin@0x30000 user.bin@0xB4000 boot.bin@0xF4000 uicr.bin@0x10001000 ext.bin@0x12000000"
cmd[hex2bins,plain]="./ref dec image.hex r"
cmd[hex2bins,otakit]="$otakit hex to-bin image.hex -o t --force"
# objcopy makes one section per 04 record: list the sections of each region
secs() { # START END -> "-j .secN ..." (or another option) for sections inside
	objdump -h image.hex | python3 -c '
import sys
lo, hi, opt = int(sys.argv[1], 0), int(sys.argv[2], 0), sys.argv[3]
for line in sys.stdin:
    f = line.split()
    if len(f) > 4 and f[1].startswith(".sec") and lo <= int(f[3], 16) < hi:
        print(opt, f[1], end=" ")' "$1" "$2" "$3"
}
oc=""
for i in 0 1 2 3 4; do
	end=$(( ${addrs[$i]} + $(stat -c %s "${files[$i]}") ))
	oc+="objcopy -I ihex -O binary $(secs ${addrs[$i]} $end -j) image.hex o/r$((i + 1)).bin; "
done
cmd[hex2bins,objcopy]="$oc"
sc=""
for i in 0 1 2 3 4; do
	end=$(( ${addrs[$i]} + $(stat -c %s "${files[$i]}") ))
	sc+="srec_cat image.hex -intel -crop ${addrs[$i]} $end -offset -${addrs[$i]} -o s/r$i.bin -binary; "
done
cmd[hex2bins,srec_cat]="$sc"

cmd[merge,otakit]="$otakit hex merge part0.hex part1.hex part2.hex part3.hex part4.hex -o t/merge.hex --force"
cmd[merge,srec_cat]="srec_cat part0.hex -intel part1.hex -intel part2.hex -intel part3.hex -intel part4.hex -intel -o s/merge.hex -intel"

cmd[replace,otakit]="$otakit hex generate --base image.hex --user user2.bin -o t/replace.hex --force"
cmd[replace,objcopy]="objcopy -I ihex -O ihex $(secs 0xB4000 0xF4000 --remove-section) --add-section .user=user2.bin --set-section-flags .user=alloc,load,contents --change-section-address .user=0xB4000 image.hex o/replace.hex"
cmd[replace,srec_cat]="srec_cat image.hex -intel -exclude 0xB4000 0xF4000 user2.bin -binary -offset 0xB4000 -o s/replace.hex -intel"

# --- sanity: every tool produced the same bytes --------------------------------
for k in "${!cmd[@]}"; do bash -c "${cmd[$k]}" >/dev/null 2>&1 || { echo "bench: failed: ${cmd[$k]}" >&2; exit 1; }; done
"$otakit" hex merge t/b2h.hex s/out.hex o/out.hex -o same.hex >/dev/null ||
	echo "warning: the three bins->hex outputs disagree"
"$otakit" hex merge t/replace.hex s/replace.hex o/replace.hex -o same2.hex >/dev/null ||
	echo "warning: the three replace outputs disagree"
for i in 0 1 2 3 4; do
	cmp -s "t/0x$(printf %08x "${addrs[$i]}").bin" "${files[$i]}" || echo "warning: otakit to-bin region $i differs"
	cmp -s "s/r$i.bin" "${files[$i]}" || echo "warning: srec_cat region $i differs"
	cmp -s "o/r$((i + 1)).bin" "${files[$i]}" || echo "warning: objcopy region $i differs"
	cmp -s "r/0x$(printf %08x "${addrs[$i]}").bin" "${files[$i]}" || echo "warning: plain C region $i differs"
done
cmp -s r/b2h.hex t/b2h.hex || echo "warning: plain C bins->hex differs from otakit's"

median_ms() { # command -> median milliseconds
	if command -v hyperfine >/dev/null && [[ -z ${BENCH_NO_HYPERFINE:-} ]]; then
		hyperfine -N --warmup 1 --runs "$runs" --export-json h.json "bash -c \"$1\"" >/dev/null 2>&1 ||
			hyperfine --warmup 1 --runs "$runs" --export-json h.json "$1" >/dev/null 2>&1
		python3 -c 'import json; print("%.1f" % (json.load(open("h.json"))["results"][0]["median"] * 1000))'
	else
		local ts=()
		for _ in $(seq "$runs"); do
			local a b
			a=$(date +%s%N); bash -c "$1" >/dev/null 2>&1; b=$(date +%s%N)
			ts+=($(( (b - a) / 1000 )))
		done
		printf '%s\n' "${ts[@]}" | sort -n | awk '{v[NR]=$1} END {printf "%.1f\n", v[int((NR+1)/2)]/1000}'
	fi
}
rss_kb() { /usr/bin/time -f %M bash -c "$1" 2>&1 >/dev/null | tail -n 1; }

mib=$(python3 -c "print('%.2f' % ($total / 1048576))")
echo "otakit hex benchmark: $mib MiB in 5 regions, $runs runs, $(nproc) CPUs, $(date -u +%Y-%m-%d)"
echo "work directory: $work ($(stat -f -c %T "$work"))"
echo
row() { printf '| %-10s | %-8s | %10s | %9s | %8s | %12s | %8s |\n' "$@"; }
row operation tool "median ms" "vs otakit" "vs plain" "peak RSS MiB" "RSS/data"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' ------------ ---------- ------------ ----------- ---------- -------------- ----------
declare -A med
for op in bins2hex hex2bins merge replace; do
	for tool in otakit plain objcopy srec_cat; do
		c=${cmd[$op,$tool]:-}
		if [[ -z $c ]]; then
			[[ $tool == plain ]] || row $op "$tool" n/a "" "" "" ""
			continue
		fi
		med[$op,$tool]=$(median_ms "$c")
	done
	base=${med[$op,otakit]}
	plain=${med[$op,plain]:-}
	for tool in otakit plain objcopy srec_cat; do
		[[ -n ${med[$op,$tool]:-} ]] || continue
		ms=${med[$op,$tool]}
		rss=$(rss_kb "${cmd[$op,$tool]}")
		ratio=$(python3 -c "print('%.2fx' % ($ms / $base))")
		vsp=""
		[[ -n $plain ]] && vsp=$(python3 -c "print('%.2fx' % ($ms / $plain))")
		row $op "${tool/plain/plain C}" "$ms" "$ratio" "$vsp" "$(python3 -c "print('%.1f' % ($rss / 1024))")" \
			"$(python3 -c "print('%.2f' % ($rss * 1024 / $total))")"
	done
done
echo
echo "vs otakit: tool time / otakit time (above 1 = otakit faster). vs plain: time /"
echo "plain C loop time (otakit's target: at most 2x). RSS/data: peak RSS / payload"
echo "($mib MiB; target: about 2). objcopy: bins->hex and hex->bins need one process"
echo "per region (5); merge has no objcopy equivalent. Times include process"
echo "start-up (hyperfine -N where possible). otakit fsyncs every output, the plain"
echo "loop does not."

# The same two operations on tmpfs, where fsync costs nothing: the difference
# to the table above is otakit's fsync (one for bins->hex, five for hex->bins).
shm=${BENCH_SHM:-/dev/shm}
if [[ -d $shm && -w $shm && $(stat -f -c %T "$shm") == tmpfs && $(stat -f -c %T "$work") != tmpfs ]]; then
	sw=$(mktemp -d "$shm/otk-hexbench.XXXXXX")
	trap 'rm -rf "$work" "$sw"' EXIT
	cp ./*.bin image.hex ref "$sw/"
	cd "$sw"
	mkdir -p t r
	echo
	echo "on tmpfs ($sw: fsync is free):"
	echo
	row operation tool "median ms" "" "vs plain" "" ""
	printf '|%s|%s|%s|%s|%s|%s|%s|\n' ------------ ---------- ------------ ----------- ---------- -------------- ----------
	for op in bins2hex hex2bins; do
		p=$(median_ms "${cmd[$op,plain]}")
		o=$(median_ms "${cmd[$op,otakit]}")
		row $op otakit "$o" "" "$(python3 -c "print('%.2fx' % ($o / $p))")" "" ""
		row $op "plain C" "$p" "" "1.00x" "" ""
	done
	cd "$work"
fi

#!/bin/bash
# Interoperability of the module writers: what `otakit binary compress/combine`
# writes, binary-version-reader reads back to the original bytes, and what
# binary-version-reader writes, otakit reads back; the golden compressed and
# combined files match ours. Compressed bytes themselves are never compared
# (they differ between zlib builds): modules are compared after inflating.
#
# Skips (77) only when the shared folder is absent; if the reference tools cannot
# be installed, the test fails.
set -uo pipefail
otakit=${OTK_CLI:?OTK_CLI must name the otakit binary}
source "$(dirname "$0")/lib/oracle.sh"
B=$shared/fixtures/particle/binaries
G=$shared/fixtures/particle/golden
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

fails=0
pass() { echo "ok    $*"; }
fail() { echo "FAIL  $*"; fails=$((fails + 1)); }
# bvr CMD ARGS...: binary-version-reader through the oracle script; stdout in
# $T/bvr.out, stdout and stderr together in $T/bvr.log.
bvr() {
	"$O/node" "$O/npm/bvr_oracle.js" "$@" >"$T/bvr.out" 2>"$T/bvr.err"
	local rc=$?
	cat "$T/bvr.out" "$T/bvr.err" >"$T/bvr.log"
	return $rc
}
# same A B: byte-identical files.
same() { [[ -f $1 && -f $2 ]] && cmp -s "$1" "$2"; }
# json_get FILE EXPR: evaluate a Python expression on the JSON document `d` in FILE.
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }

# --- compress / decompress in both directions ------------------------------------
# A Gen3 system part (vector table, prefix at 0x200), a Gen3 user part, a p2 user
# part (suffix extensions), a p2 user part with prefix extensions (the compression
# header follows them), a Gen3 user part with asset dependencies, an uncompressed
# asset module (DROP_MODULE_INFO: only the body is deflated), and old Gen2 parts.
modules=(
	"$B/tracker-system-part1@3.1.0-alpha.2.bin"
	"$B/boron-som-system-part1@1.1.0-rc.1.bin"
	"$B/tracker-tinker@5.3.1.bin"
	"$B/p2-tinker@5.3.1.bin"
	"$B/p2-user-part-prefix-extensions.bin"
	"$B/tracker-user-part-extensions.bin"
	"$G/cat.jpg.asset-module-uncompressed.bin"
	"$B/043_system-part2.bin"
	"$B/040_user-part.bin"
)
for f in "${modules[@]}"; do
	n=$(basename "$f")
	ours=$T/$n.otk.z
	if ! "$otakit" binary compress "$f" -o "$ours" >"$T/otk.log" 2>&1; then
		fail "$n: otakit binary compress failed: $(cat "$T/otk.log")"
		continue
	fi
	# The reference must inflate ours back to the original.
	if bvr decompress "$ours" "$T/$n.otk.z.bvr" && same "$T/$n.otk.z.bvr" "$f"; then
		pass "$n: otakit compress -> bvr decompress gives the original ($(stat -c %s "$f") -> $(stat -c %s "$ours") bytes)"
	else
		fail "$n: otakit compress -> bvr decompress does not give the original: $(cat "$T/bvr.log")"
	fi
	# ...and find its CRC good and the same prefix facts as in its own output.
	if bvr parse "$ours" && cp "$T/bvr.out" "$T/ours.json" &&
	   [[ $(json_get "$T/ours.json" 'd["crc"]["ok"]') == True ]]; then
		pass "$n: bvr parse of otakit's compressed module: CRC ok"
	else
		fail "$n: bvr parse of otakit's compressed module: CRC not ok or unparsable: $(head -c 400 "$T/bvr.log")"
	fi
	# The reference's own compressed output, otakit must inflate to the original.
	if ! bvr compress "$f" "$T/$n.bvr.z"; then
		fail "$n: bvr compress failed: $(cat "$T/bvr.log")"
		continue
	fi
	# Same container apart from the deflate stream: prefix (but its end address),
	# extensions, compression header, suffix (but the SHA-256) byte for byte.
	if diff=$(python3 - "$ours" "$T/$n.bvr.z" <<'PY'
import sys
a, b = (open(f, "rb").read() for f in sys.argv[1:3])
def parts(m):
    # Compressed modules have the prefix at offset 0; flag 0x10 adds prefix extensions.
    end = 24
    if m[9] & 0x10:
        while True:
            t, n = int.from_bytes(m[end:end + 2], "little"), int.from_bytes(m[end + 2:end + 4], "little")
            end += n
            if t == 0 or n < 4:
                break
    ssz = int.from_bytes(m[-6:-4], "little")
    return {"prefix": m[0:4] + m[8:end], "header": m[end:end + 8],
            "suffix": m[len(m) - 4 - ssz:len(m) - 38] + m[-6:-4]}
pa, pb = parts(a), parts(b)
bad = [k for k in pa if pa[k] != pb[k]]
print(", ".join("%s ours %s bvr %s" % (k, pa[k].hex(), pb[k].hex()) for k in bad))
sys.exit(1 if bad else 0)
PY
	); then
		pass "$n: otakit's compressed container matches bvr's (prefix, header, suffix)"
	else
		fail "$n: compressed container differs from bvr's: $diff"
	fi
	if "$otakit" binary decompress "$T/$n.bvr.z" -o "$T/$n.bvr.z.otk" >"$T/otk.log" 2>&1 &&
	   same "$T/$n.bvr.z.otk" "$f"; then
		pass "$n: bvr compress -> otakit decompress gives the original"
	else
		fail "$n: bvr compress -> otakit decompress does not give the original: $(cat "$T/otk.log")"
	fi
done

# --- golden files made by the reference ----------------------------------------------
sys=$B/tracker-system-part1@3.1.0-alpha.2.bin
app=$B/tracker-tinker@5.3.1.bin
if "$otakit" binary decompress "$G/tracker-system-part1@3.1.0-alpha.2.compressed.bin" -o "$T/golden.d" \
	>"$T/otk.log" 2>&1 && same "$T/golden.d" "$sys"; then
	pass "golden compressed system part decompresses to tracker-system-part1@3.1.0-alpha.2.bin"
else
	fail "golden compressed system part does not decompress to the original: $(cat "$T/otk.log")"
fi
if "$otakit" binary decompress "$G/cat.jpg.asset-module.bin" -o "$T/cat.d" >"$T/otk.log" 2>&1 &&
   same "$T/cat.d" "$G/cat.jpg.asset-module-uncompressed.bin"; then
	pass "golden compressed asset module decompresses to cat.jpg.asset-module-uncompressed.bin"
else
	fail "golden compressed asset module does not decompress to the uncompressed golden: $(cat "$T/otk.log")"
fi

comb=$G/tracker-system-part1+tinker.combined.bin
if "$otakit" binary split "$comb" -o "$T/part" >"$T/otk.log" 2>&1 &&
   same "$T/part-1.bin" "$sys" && same "$T/part-2.bin" "$app" && [[ ! -e $T/part-3.bin ]]; then
	pass "golden combined file splits into the system part and tinker"
else
	fail "golden combined file does not split into the originals: $(cat "$T/otk.log")"
fi
if "$otakit" binary combine "$sys" "$app" -o "$T/comb.bin" >"$T/otk.log" 2>&1 && same "$T/comb.bin" "$comb"; then
	pass "otakit combine of system part + tinker is byte-identical to the golden combined file"
else
	fail "otakit combine differs from the golden combined file: $(cat "$T/otk.log")"
fi
if bvr split "$T/comb.bin" "$T/bvrpart" && same "$T/bvrpart0.bin" "$sys" && same "$T/bvrpart1.bin" "$app" &&
   [[ ! -e $T/bvrpart2.bin ]]; then
	pass "bvr split of otakit's combined file gives the originals"
else
	fail "bvr split of otakit's combined file does not give the originals: $(cat "$T/bvr.log")"
fi

# --- must-fail cases ------------------------------------------------------------------
# expect_fail WANT_STATUS OUT DESCRIPTION CMD...: CMD exits WANT_STATUS and writes no OUT.
expect_fail() {
	local want=$1 out=$2 what=$3
	shift 3
	"$@" >"$T/otk.log" 2>&1
	local rc=$?
	if [[ $rc -eq $want && ! -e $out ]]; then
		pass "$what: exit $rc, nothing written ($(head -n 1 "$T/otk.log"))"
	else
		fail "$what: exit $rc (want $want), output $([[ -e $out ]] && echo written || echo absent)"
	fi
}
expect_fail 1 "$T/neg1.bin" "compress of the golden compressed module refused" \
	"$otakit" binary compress "$G/tracker-system-part1@3.1.0-alpha.2.compressed.bin" -o "$T/neg1.bin"
expect_fail 1 "$T/neg2.bin" "compress of otakit's own compressed module refused" \
	"$otakit" binary compress "$T/tracker-tinker@5.3.1.bin.otk.z" -o "$T/neg2.bin"
expect_fail 1 "$T/neg3.bin" "compress of the compressed asset module refused" \
	"$otakit" binary compress "$G/cat.jpg.asset-module.bin" -o "$T/neg3.bin"
expect_fail 1 "$T/neg4.bin" "decompress of an uncompressed module refused" \
	"$otakit" binary decompress "$app" -o "$T/neg4.bin"
expect_fail 1 "$T/neg5.bin" "compress of a file that is not a module refused" \
	"$otakit" binary compress "$B/emptybin.bin" -o "$T/neg5.bin"

# An existing output is never clobbered without --force, and is replaced with it.
# no_clobber DESCRIPTION OUT CMD...: OUT exists beforehand and must survive CMD.
no_clobber() {
	local what=$1 out=$2
	shift 2
	printf 'keep me' >"$out"
	"$@" >"$T/otk.log" 2>&1
	local rc=$?
	if [[ $rc -ne 0 && $(cat "$out") == "keep me" ]]; then
		pass "$what: existing $(basename "$out") kept (exit $rc: $(head -n 1 "$T/otk.log"))"
	else
		fail "$what: existing $(basename "$out") $([[ $(cat "$out") == "keep me" ]] && echo kept || echo overwritten), exit $rc"
	fi
}
no_clobber "compress" "$T/exists-c.bin" "$otakit" binary compress "$app" -o "$T/exists-c.bin"
no_clobber "decompress" "$T/exists-d.bin" "$otakit" binary decompress "$T/tracker-tinker@5.3.1.bin.otk.z" -o "$T/exists-d.bin"
no_clobber "combine" "$T/exists-m.bin" "$otakit" binary combine "$sys" "$app" -o "$T/exists-m.bin"
no_clobber "split" "$T/exists-s-2.bin" "$otakit" binary split "$comb" -o "$T/exists-s"
if [[ -e $T/exists-s-1.bin ]]; then
	fail "split: wrote exists-s-1.bin although exists-s-2.bin was in the way"
fi
if "$otakit" binary compress "$app" -o "$T/exists-c.bin" --force >"$T/otk.log" 2>&1 &&
   bvr decompress "$T/exists-c.bin" "$T/exists-c.d" && same "$T/exists-c.d" "$app"; then
	pass "compress --force replaces an existing output"
else
	fail "compress --force did not replace the existing output: $(cat "$T/otk.log" "$T/bvr.log")"
fi

echo
if [[ $fails -ne 0 ]]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all round-trip checks passed"

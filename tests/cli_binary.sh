#!/bin/bash
# CLI behaviour of `otakit binary ...`: golden output for modules built here
# and must-fail cases with their messages and exit codes.  Self-contained:
# needs no ../shared.
set -uo pipefail
otakit=${OTK_CLI:?}
golden=${OTK_SRC:?}/tests/cli
source "$(dirname "$0")/lib/check.sh"

# expect_all STATUS N PAT1..PATN CMD...: exit status and every pattern in
# stdout+stderr (so a report of one file cannot pass for a report of two).
expect_all() {
	local want=$1 n=$2
	shift 2
	local pats=("${@:1:n}")
	shift "$n"
	local out got missing=""
	out=$("$@" 2>&1)
	got=$?
	for p in "${pats[@]}"; do
		grep -qE -- "$p" <<<"$out" || missing+=" /$p/"
	done
	if [ "$got" -eq "$want" ] && [ -z "$missing" ]; then
		ok "$* -> $got, all of ${pats[*]}"
	else
		bad "$* -> exit $got (want $want), missing:$missing, output:"
		sed 's/^/     | /' <<<"$out"
	fi
}

# Deterministic bodies.
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 37 + i // 251) & 0xff for i in range(20000)))' > body.bin
printf 'tiny' > tiny.bin

expect 0 "user part 2 version 6 for tracker" "$otakit" binary create body.bin --platform tracker \
	--function user --index 2 --version 6 --depends system:1:5500 --product 1234:5 -o app.bin
expect 0 "system part 1 version 5500" "$otakit" binary create tiny.bin --platform p2 \
	--function system --version 5500 --start 0x08060000 -o sys.bin
expect 0 "user part 1 version 3 for p2.*0x085fff" "$otakit" binary create tiny.bin --platform photon2 \
	--version 3 -o p2app.bin

# Golden text output (regenerate with OTK_UPDATE_GOLDEN=1 after a deliberate change).
check_golden() {
	local name=$1
	shift
	"$@" > "$name.out" 2>&1
	if [ "${OTK_UPDATE_GOLDEN:-}" = 1 ]; then
		cp "$name.out" "$golden/$name.expected"
	fi
	if diff -u "$golden/$name.expected" "$name.out"; then
		ok "golden $name"
	else
		bad "golden $name differs"
	fi
}
check_golden inspect-app "$otakit" binary inspect app.bin
check_golden inspect-p2app "$otakit" binary inspect p2app.bin
"$otakit" binary compress app.bin -o app.z.bin --window-bits 12 >/dev/null
check_golden inspect-compressed "$otakit" binary inspect app.z.bin
"$otakit" binary combine sys.bin p2app.bin -o comb.bin >/dev/null
check_golden inspect-combined "$otakit" binary inspect comb.bin
"$otakit" binary inspect --json app.bin > app.json
expect 0 "ok" python3 -c '
import json; d = json.load(open("app.json"))[0]; m = d["modules"][0]
assert d["valid"] and m["platform"]["name"] == "tracker" and m["index"] == 2, d
assert m["dependencies"][0]["version"] == 5500 and m["product"] == {"id": 1234, "version": 5}
assert m["crc"]["ok"] and m["crc"]["stored"] == m["crc"]["computed"]
print("ok")'

# Round trips.
expect 0 "bytes" "$otakit" binary decompress app.z.bin -o back.bin
expect 0 "" cmp back.bin app.bin
expect_all 0 2 "part-1\.bin" "part-2\.bin" "$otakit" binary split comb.bin -o part
expect 0 "" cmp part-1.bin sys.bin
expect 0 "" cmp part-2.bin p2app.bin

# Usage errors: exit 2.
expect 2 "Usage: otakit" "$otakit"
expect 2 "no such command: frobnicate" "$otakit" frobnicate
expect 2 "binary: no such command: nope" "$otakit" binary nope
expect 2 "no FILE given" "$otakit" binary inspect
expect 2 "need one FILE and -o OUT" "$otakit" binary compress app.bin
expect 2 "--level takes 0..9" "$otakit" binary compress app.bin -o x.bin --level 12
expect 2 "unknown platform 'nosuch'" "$otakit" binary create tiny.bin --platform nosuch -o x.bin
expect 2 "--depends takes" "$otakit" binary create tiny.bin --platform p2 --depends system -o x.bin
expect 0 "Usage: otakit binary inspect" "$otakit" help binary inspect
expect 0 "Usage: otakit binary split" "$otakit" binary split --help
# Every group answers --help (exit 0, its commands listed), as particle binary --help does.
for g in binary hex bundle; do
	expect 0 "Commands:" "$otakit" $g --help
	expect 0 "Commands:" "$otakit" help $g
done
expect_all 0 2 "^Usage: otakit bundle APP.bin" "bundle verify" "$otakit" bundle --help
# getopt errors once, naming the option.
for args in "binary inspect -x app.bin" "binary compress app.bin -o x.bin --level" "hex to-bin --nope"; do
	out=$("$otakit" $args 2>&1)
	n=$(grep -c "option" <<<"$out")
	[ "$?" -le 1 ] && [ "$n" = 1 ] && grep -q "bad option '-" <<<"$out" && ok "$args: one message" ||
		bad "$args: $n messages: $out"
done
expect 2 "the verb is 'otakit bundle app.bin" "$otakit" bundle create app.bin
expect 0 "^otakit [0-9]+\.[0-9]+\.[0-9]+" "$otakit" --version

# Invalid input: exit 1, the file named, the problem said.
: > empty.bin
expect 1 "empty.bin: INVALID" "$otakit" binary inspect empty.bin
expect 1 "file is empty" "$otakit" binary inspect empty.bin
expect 1 "missing.bin: INVALID" "$otakit" binary inspect missing.bin
# One message per error, with the operating system's reason, also in --json.
n=$("$otakit" binary inspect missing.bin 2>&1 | grep -c "No such file or directory")
[ "$n" = 1 ] && ok "reason printed once" || bad "reason printed $n times"
"$otakit" binary inspect --json missing.bin >miss.json 2>miss.err
expect 0 "ok" python3 -c '
import json; d = json.load(open("miss.json"))[0]
assert d["errno"] == 2 and d["reason"] == "No such file or directory", d
assert "No such file" in d["error"], d
print("ok")'
[ ! -s miss.err ] && ok "--json: nothing on stderr" || bad "--json also printed: $(cat miss.err)"
expect 1 "nope.bin: cannot read: No such file or directory" "$otakit" binary compress nope.bin -o x.bin
head -c 5000 app.bin > trunc.bin
expect 1 "truncated: the prefix at offset 0x0 describes a 20068-byte module but only 5000 bytes" \
	"$otakit" binary inspect trunc.bin
cp app.bin flipped.bin
printf '\x55' | dd of=flipped.bin bs=1 seek=300 conv=notrunc status=none
expect 1 "CRC-32     FAILED \(stored [0-9a-f]{8}, computed [0-9a-f]{8}\)" "$otakit" binary inspect flipped.bin
head -c 4000 /dev/zero > zeros.bin
expect 1 "not a module: no plausible module prefix" "$otakit" binary inspect zeros.bin
expect_all 1 2 "^app\.bin: valid$" "^empty\.bin: INVALID$" "$otakit" binary inspect app.bin empty.bin
expect 1 "already compressed" "$otakit" binary compress app.z.bin -o again.bin
[ -e again.bin ] && bad "failed compress left again.bin behind" || ok "no output after failed compress"
expect 1 "not compressed" "$otakit" binary decompress app.bin -o x.bin
expect 1 "not a combined module" "$otakit" binary split app.bin
expect 1 "already a combined module" "$otakit" binary combine comb.bin app.bin -o x2.bin

# Never clobber without --force.
cp app.bin keep.bin
expect 1 "keep.bin: already exists \(use --force" "$otakit" binary compress sys.bin -o keep.bin
expect 0 "" cmp keep.bin app.bin
expect 0 "keep.bin" "$otakit" binary compress sys.bin -o keep.bin --force
expect 1 "already exists" "$otakit" binary split comb.bin -o part
[ -z "$(ls "$tmp" | grep tmp)" ] && ok "no temporary files left" || bad "temporary files left: $(ls)"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]

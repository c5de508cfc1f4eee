#!/bin/bash
# The output guarantees of docs/cli.md under hostile use, with inputs built
# here (no fixtures): refusals come before any success-looking output,
# multi-file outputs (hex to-bin, bundle unpack) appear whole or not at all
# and leave no temporary folder even when a signal ends the process, file
# names cannot forge output lines, and address ranges read the same in
# `binary inspect` and `hex`.
set -uo pipefail
cli=${OTK_CLI:?OTK_CLI must name the otakit binary}
source "$(dirname "$0")/lib/check.sh"
# leftovers DIR: temporary files or folders otakit may have left in DIR
leftovers() { ls -A "$1" | grep -E 'tmp|\.otakit-' | tr '\n' ' '; }

python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 37 + i // 251) & 0xff for i in range(3000)))' >body.bin
"$cli" binary create body.bin --platform argon --index 2 --version 6 --depends system:1:5501 -o app.bin >/dev/null ||
	{ echo "FAIL: binary create"; exit 1; }
"$cli" binary create body.bin --platform argon --function system --version 5501 --start 0x30000 \
	-o sys.bin >/dev/null || { echo "FAIL: binary create system"; exit 1; }

# --- one convention for ranges: end exclusive, in binary inspect and hex ----
"$cli" hex from-bin app.bin -o app.hex >out.txt 2>&1 || bad "from-bin"
grep -q "app.hex: 1 region, " out.txt && ok "1 region (singular)" || { bad "region count wording:"; cat out.txt; }
bin_range=$("$cli" binary inspect app.bin | sed -n 's/^ address    \(0x[0-9a-f]*-0x[0-9a-f]*\),.*/\1/p')
hex_range=$("$cli" hex inspect app.hex | sed -n 's/^ module \(0x[0-9a-f]*-0x[0-9a-f]*\) .*/\1/p')
reg_range=$("$cli" hex inspect app.hex | sed -n 's/^ region \(0x[0-9a-f]*-0x[0-9a-f]*\) .*/\1/p')
size=$(stat -c %s app.bin)
want=$(printf '0x000b4000-0x%08x' $((0xb4000 + size)))
[[ $bin_range == "$want" && $hex_range == "$want" && $reg_range == "$want" ]] &&
	ok "same range everywhere: $want" || bad "ranges: inspect $bin_range, hex module $hex_range, region $reg_range, want $want"

# --- -o - : the data alone on stdout, the report on stderr --------------------
"$cli" binary compress app.bin -o app.z.bin >/dev/null || bad "compress"
"$cli" binary compress app.bin -o - 2>report.txt | cmp -s - app.z.bin &&
	ok "compress -o -: stdout is the module alone" || bad "compress -o -: stdout is not the module"
grep -q "^-: " report.txt && ok "compress -o -: the report went to stderr" || bad "compress -o -: no report"
"$cli" hex from-bin app.bin -o - 2>/dev/null | cmp -s - app.hex && ok "hex from-bin -o -: stdout is the hex alone" ||
	bad "hex from-bin -o -"
[[ ! -e ./- ]] && ok "no file named '-'" || bad "a file named '-' was written"

# --- check first, then report -------------------------------------------------
"$cli" hex from-bin sys.bin -o base.hex >/dev/null 2>&1 || bad "from-bin sys"
: >exists.hex
"$cli" hex generate --base base.hex --user app.bin -o exists.hex >out.txt 2>err.txt
[[ $? -eq 1 && ! -s out.txt ]] && ok "hex generate: refusal (exists) with nothing on stdout" ||
	{ bad "hex generate printed before refusing:"; cat out.txt; }
"$cli" binary create body.bin --platform boron --index 2 --version 7 --start 0xb4000 -o boron.bin >/dev/null
"$cli" hex generate --base base.hex --system sys.bin --user boron.bin -o g.hex >out.txt 2>err.txt
[[ $? -eq 1 && ! -s out.txt && ! -e g.hex ]] && ok "hex generate: second part refused, first not reported" ||
	{ bad "hex generate reported a placement before refusing:"; cat out.txt err.txt; }
mkdir -p oa && printf 'meow' >oa/cat.txt
"$cli" bundle app.bin --assets oa -o b.zip >/dev/null || bad "bundle"
cp b.zip keep.zip
"$cli" bundle app.bin --assets oa -o b.zip >out.txt 2>err.txt
[[ $? -eq 1 && ! -s out.txt ]] && cmp -s b.zip keep.zip && ok "bundle: 'already exists' without 'Bundling' first" ||
	{ bad "bundle printed before refusing:"; cat out.txt; }

# --- hex to-bin: all files or none --------------------------------------------
printf 'tiny' >tiny.bin
"$cli" hex from-bin tiny.bin@0x30000 app.bin -o two.hex >/dev/null || bad "from-bin two"
# The first region (4 bytes) fits a 2 KiB file size limit, the second does
# not: the limit's signal (SIGXFSZ) ends the process on the second file.
{ bash -c 'ulimit -f 2; exec "$0" hex to-bin two.hex -o parts' "$cli"; } >/dev/null 2>&1
rc=$?
[[ $rc -ne 0 && ! -e parts ]] && ok "to-bin stopped by the file size limit: no folder ($rc)" ||
	{ bad "to-bin under a file size limit: exit $rc, left: $(ls parts 2>/dev/null)"; }
left=$(leftovers .)
[[ -z $left ]] && ok "to-bin: no temporary folder left" || bad "to-bin left: $left"
"$cli" hex to-bin two.hex -o parts >out.txt 2>&1 && [[ $(ls parts | wc -l) -eq 2 ]] &&
	ok "to-bin after the failure: both files" || { bad "to-bin rerun"; cat out.txt; }
mkdir -p into && : >into/0x00030000.bin
"$cli" hex to-bin two.hex -o into >out.txt 2>err.txt
[[ $? -eq 1 && $(ls into) == 0x00030000.bin && ! -s into/0x00030000.bin ]] &&
	ok "to-bin into a folder holding one of the names: refused, nothing written" || bad "to-bin into"
"$cli" hex to-bin two.hex -o into --force >/dev/null 2>&1 && [[ $(ls -A into | wc -l) -eq 2 ]] &&
	cmp -s into/0x00030000.bin tiny.bin && ok "to-bin --force into the folder" || bad "to-bin --force: $(ls -A into)"

# --- binary split: all parts or none -------------------------------------------
"$cli" binary create tiny.bin --platform argon --function system --version 5501 --start 0x30000 \
	-o small-sys.bin >/dev/null || bad "create small-sys"
"$cli" binary combine small-sys.bin app.bin -o comb.bin >/dev/null || bad "combine"
{ bash -c 'ulimit -f 2; exec "$0" binary split comb.bin -o sp' "$cli"; } >/dev/null 2>&1
rc=$?
left=$(ls -A | grep -E '^sp-|\.otakit-' | tr '\n' ' ')
[[ $rc -ne 0 && -z $left ]] && ok "split stopped on its second part: no part left ($rc)" ||
	bad "split under a file size limit: exit $rc, left: $left"
"$cli" binary split comb.bin -o sp >out.txt 2>&1 && cmp -s sp-1.bin small-sys.bin && cmp -s sp-2.bin app.bin &&
	ok "split after the failure: both parts" || { bad "split rerun"; cat out.txt; }

# --- bundle unpack: trailing slash, long names, permissions, races, signals ---
"$cli" bundle unpack b.zip -o slash/ >out.txt 2>&1 && [[ -f slash/assets/cat.txt ]] &&
	ok "unpack -o DIR/ (trailing slash)" || { bad "unpack -o slash/"; cat out.txt; }
long=$(printf 'n%.0s' $(seq 1 250)).txt
mkdir -p la && printf 'x' >"la/$long"
"$cli" bundle app.bin --assets la -o long.zip >/dev/null 2>&1 || bad "bundle with a 254-character name"
"$cli" bundle unpack long.zip -o lu >out.txt 2>&1 && [[ -f lu/assets/$long ]] &&
	ok "unpack writes a 254-character name" || { bad "unpack of a 254-character name"; cat out.txt; }
(umask 027; "$cli" bundle unpack b.zip -o perm >/dev/null 2>&1)
p1=$(stat -c %a perm 2>/dev/null) p2=$(stat -c %a perm/assets 2>/dev/null) p3=$(stat -c %a perm/app.bin 2>/dev/null)
[[ $p1 == 750 && $p2 == 750 && $p3 == 640 ]] && ok "unpack under umask 027: 750, 750, 640" ||
	bad "unpack permissions under umask 027: folder $p1, assets $p2, app $p3"
for i in 1 2 3; do
	"$cli" bundle unpack b.zip -o race$i >o1.txt 2>e1.txt &
	a=$!
	"$cli" bundle unpack b.zip -o race$i >o2.txt 2>e2.txt &
	b=$!
	wait $a; ra=$?
	wait $b; rb=$?
	if [[ $((ra + rb)) -eq 1 ]]; then
		loser=e1.txt
		[[ $rb -eq 1 ]] && loser=e2.txt
		[[ -s $loser ]] && ok "race $i: one unpack won, the other said why: $(head -1 $loser)" ||
			bad "race $i: the loser exited 1 without a message"
	else
		bad "race $i: exit statuses $ra and $rb"
	fi
done
left=$(leftovers .)
[[ -z $left ]] && ok "races: nothing temporary left" || bad "races left: $left"
head -c 300000 /dev/urandom >oa/big.bin
"$cli" bundle app.bin --assets oa -o bigb.zip >/dev/null 2>&1 || bad "bundle big"
{ bash -c 'ulimit -f 100; exec "$0" bundle unpack bigb.zip -o sig' "$cli"; } >/dev/null 2>&1
rc=$?
left=$(leftovers .)
[[ $rc -ne 0 && ! -e sig && -z $left ]] && ok "unpack ended by SIGXFSZ: nothing left ($rc)" ||
	bad "unpack ended by a signal: exit $rc, left: ${left:-} $(ls -d sig 2>/dev/null)"

# --- names cannot forge output lines ------------------------------------------
mkdir -p nl && printf 'x' >"nl/evil
FAKE: line.txt"
"$cli" bundle app.bin --assets nl -o nl.zip >out.txt 2>&1 || bad "bundle nl"
grep -q '^FAKE' out.txt && bad "bundle printed a raw newline from a file name" ||
	{ grep -qF 'evil\nFAKE: line.txt' out.txt && ok "bundle escapes newlines in names" || { bad "bundle output:"; cat out.txt; }; }
"$cli" bundle unpack nl.zip -o "nl
FAKE" >out.txt 2>&1
grep -q '^FAKE' out.txt && bad "unpack printed a raw newline" || ok "unpack escapes newlines in names"

echo "$fails failure(s)"
[[ $fails -eq 0 ]]

#!/bin/bash
# Intel HEX: round trips against objcopy and srec_cat in both directions, and
# `otakit hex generate` on restore-like images built from real modules,
# including every refusal.  Needs objcopy, srec_cat and $OTK_SHARED.
set -uo pipefail
otakit=${OTK_CLI:?}
shared=${OTK_SHARED:-}
bins=$shared/fixtures/particle/binaries
if [ -z "$shared" ] || [ ! -d "$bins" ]; then
	echo "skipped: shared fixtures not found (\$OTK_SHARED)"
	exit 77
fi
for tool in objcopy srec_cat python3; do
	if ! command -v $tool >/dev/null; then
		echo "skipped: $tool not installed"
		exit 77
	fi
done
source "$(dirname "$0")/lib/check.sh"
same() { # same A B what
	if cmp -s "$1" "$2"; then ok "$3"; else bad "$3 ($1 != $2)"; fi
}

SYS=$bins/tracker-system-part1@3.1.0-alpha.2.bin
BOOT=$bins/tracker-bootloader@5.6.0.bin
TINKER=$bins/tracker-tinker@5.3.1.bin
P2BOOT=$bins/p2-bootloader@5.6.0.bin
P2TINKER=$bins/p2-tinker@5.3.1.bin

# --- their hex read by us --------------------------------------------------
# objcopy writes 02 segment records below 1 MiB, srec_cat 04 records.
objcopy -I binary -O ihex --change-addresses 0x30000 "$SYS" obj.hex
srec_cat "$SYS" -binary -offset 0x30000 -o sc.hex -intel
for h in obj sc; do
	expect 0 "0x00030000" "$otakit" hex to-bin $h.hex -o out-$h
	same out-$h/0x00030000.bin "$SYS" "$h.hex read by otakit equals the input"
done
objcopy -I binary -O ihex --change-addresses 0x08004000 "$P2BOOT" objhi.hex
expect 0 "0x08004000" "$otakit" hex to-bin objhi.hex -o out-objhi
same out-objhi/0x08004000.bin "$P2BOOT" "objcopy hex above 1 MiB read by otakit"
# lower case, LF only, reversed record order (each record after its own 04)
python3 - sc.hex > rev.hex <<'PY'
import sys
upper, recs = None, []
for line in open(sys.argv[1]):
    line = line.strip()
    if line[7:9] == '04':
        upper = line
    elif line[7:9] == '00':
        recs.append((upper, line))
for u, r in reversed(recs):
    print(u.lower())
    print(r.lower())
print(':00000001ff')
PY
expect 0 "0x00030000" "$otakit" hex to-bin rev.hex -o out-rev
same out-rev/0x00030000.bin "$SYS" "reversed lower-case LF hex read by otakit"

# --- our hex read by them --------------------------------------------------
expect 0 "1 region," "$otakit" hex from-bin "$SYS" -o ours.hex
objcopy -I ihex -O binary ours.hex ours-obj.bin
same ours-obj.bin "$SYS" "objcopy reads our hex back to the input"
srec_cat ours.hex -intel -offset -0x30000 -o ours-sc.bin -binary
same ours-sc.bin "$SYS" "srec_cat reads our hex back to the input"
expect 0 "1 region," "$otakit" hex from-bin "$SYS" -o ours-lf.hex --lf --record-length 32
objcopy -I ihex -O binary ours-lf.hex ours-lf.bin
same ours-lf.bin "$SYS" "objcopy reads our 32-byte LF records"

# sparse: data at 0x0 and at 0x10001000 must not need 256 MB
head -c 4096 "$SYS" > lo.bin
head -c 4096 "$BOOT" > uicr.bin
expect 0 "2 regions" "$otakit" hex from-bin lo.bin@0 uicr.bin@0x10001000 -o sparse.hex
srec_cat sparse.hex -intel -crop 0x10001000 0x10002000 -offset -0x10001000 -o hi.bin -binary
same hi.bin uicr.bin "srec_cat finds our data at 0x10001000"
expect 0 "0x10001000" "$otakit" hex to-bin sparse.hex -o sparse
same sparse/0x10001000.bin uicr.bin "to-bin region at 0x10001000"
same sparse/0x00000000.bin lo.bin "to-bin region at 0x0"

# --- a tracker restore-like image ------------------------------------------
expect 0 "3 regions" "$otakit" hex from-bin "$SYS" "$BOOT" "$TINKER" -o tracker.hex
# the same image through srec_cat (16-byte records, sorted) must read the same
srec_cat tracker.hex -intel -o tracker-sc.hex -intel
expect 0 "2 files, 3 regions, 558510 bytes" "$otakit" hex merge tracker.hex tracker-sc.hex -o tracker-merged.hex
"$otakit" hex to-bin tracker-merged.hex -o merged >/dev/null
same merged/0x000b4000.bin "$TINKER" "merge with srec_cat's copy keeps Tinker"
# Tinker 5.3.1 needs Device OS 5.3.1; the system part is 3.1.0-alpha.2
expect 1 "needs system part 1 version >= 5301 \(Device OS 5.3.1\): NOT satisfied" "$otakit" hex inspect tracker.hex

python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 37 + i // 251) & 0xff for i in range(20000)))' > body.bin
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 11) & 0xff for i in range(150000)))' > big.bin
"$otakit" binary create body.bin --platform tracker --index 2 --depends system:1:3101 -o app.bin >/dev/null
expect 0 "user part 2 version 0 for tracker .* at 0x000b4000" \
	"$otakit" hex generate --base tracker.hex --user app.bin -o gen.hex
expect 0 "needs system part 1 version >= 3101 \(Device OS 3.1.0-alpha.2\): ok" "$otakit" hex inspect gen.hex
# every other byte kept: system part and bootloader regions unchanged
"$otakit" hex to-bin gen.hex -o gen >/dev/null
same gen/0x00030000.bin "$SYS" "generate keeps the system part"
same gen/0x000f4000.bin "$BOOT" "generate keeps the bootloader"
same gen/0x000b4000.bin app.bin "generate places the user part"
objcopy -I ihex -O binary gen.hex gen-obj.bin
python3 - "$SYS" "$BOOT" app.bin gen-obj.bin <<'EOF' && ok "objcopy view of the generated image" || bad "objcopy view of the generated image"
import sys
sysb, boot, app, got = (open(p, 'rb').read() for p in sys.argv[1:])
img = bytearray(0xf4000 + len(boot) - 0x30000)
for addr, b in ((0x30000, sysb), (0xb4000, app), (0xf4000, boot)):
    img[addr - 0x30000:addr - 0x30000 + len(b)] = b
sys.exit(0 if bytes(img) == got else 1)
EOF
# refusals
expect 1 "already exists" "$otakit" hex generate --base tracker.hex --user app.bin -o gen.hex
expect 0 "gen.hex" "$otakit" hex generate --base tracker.hex --user app.bin -o gen.hex --force
expect 1 "built for p2 \(32\) but the image is for tracker \(26\)" \
	"$otakit" hex generate --base tracker.hex --user "$P2TINKER" -o x.hex
expect 1 "is a bootloader 0 .*, not a user part" \
	"$otakit" hex generate --base tracker.hex --user "$BOOT" -o x.hex
"$otakit" binary create big.bin --platform tracker --index 1 --start 0xE0000 -o big-app.bin >/dev/null
expect 1 "does not fit its slot" "$otakit" hex generate --base tracker.hex --user big-app.bin -o x.hex
"$otakit" binary create body.bin --platform tracker --index 2 --depends system:1:5500 -o new-app.bin >/dev/null
expect 1 "needs system part 1 version >= 5500 \(Device OS 5.5.0-rc.1\) but the image has version 3101 \(Device OS 3.1.0-alpha.2\)" \
	"$otakit" hex generate --base tracker.hex --user new-app.bin -o x.hex
"$otakit" binary create body.bin --platform tracker --function system --index 2 --start 0xF0000 -o sys2.bin >/dev/null
expect 1 "overlaps the bootloader 0" "$otakit" hex generate --base tracker.hex --system sys2.bin -o x.hex
python3 - tracker.hex > badsum.hex <<'PY'
import sys
lines = open(sys.argv[1], newline='').read().split('\r\n')
last = int(lines[2][-2:], 16)
lines[2] = lines[2][:-2] + '%02X' % ((last + 1) & 255)
sys.stdout.write('\r\n'.join(lines))
PY
expect 1 "badsum.hex: line 3: bad checksum" "$otakit" hex generate --base badsum.hex --user app.bin -o x.hex
[ ! -e x.hex ] && ok "no output after refusals" || bad "x.hex written after a refusal"
# building a full image from .bin parts alone equals from-bin
expect 0 "3 modules" "$otakit" hex generate "$SYS" "$BOOT" --user app.bin -o parts.hex
same parts.hex gen.hex "image from parts equals the generated one"
expect 0 "3 modules" "$otakit" hex generate --base "$SYS" --base "$BOOT" --user app.bin -o parts2.hex
same parts2.hex gen.hex "--base accepts .bin parts"
# Gen3 images wipe the legacy user part with 1 KB of 0xFF at 0xD4000: a big
# user part may cover it, other data may not be overwritten.
python3 -c 'import sys; sys.stdout.buffer.write(b"\xff" * 1024)' > wipe.bin
python3 -c 'import sys; sys.stdout.buffer.write(b"\x00" * 1024)' > zero.bin
"$otakit" hex from-bin "$SYS" "$BOOT" "$TINKER" wipe.bin@0xD4000 -o wipe.hex >/dev/null
"$otakit" hex from-bin "$SYS" "$BOOT" "$TINKER" zero.bin@0xD4000 -o zero.hex >/dev/null
"$otakit" binary create big.bin --platform tracker --index 2 --depends system:1:3101 -o big2.bin >/dev/null
expect 0 "user part 2 .* at 0x000b4000-0x000d8a34" "$otakit" hex generate --base wipe.hex --user big2.bin -o wipe-gen.hex
expect 1 "overlaps other data in the image at 0x000d4000" "$otakit" hex generate --base zero.hex --user big2.bin -o x.hex

# --- Gen3 SoftDevice: written without its module info, replaceable ----------
SD=$bins/argon-softdevice-6.1.1.bin
"$otakit" binary create body.bin --platform argon --function system --version 1300 --start 0x30000 -o asys.bin >/dev/null
"$otakit" binary create body.bin --platform argon --function bootloader --index 0 --version 311 --start 0xF4000 -o aboot.bin >/dev/null
head -c 4096 "$SYS" > mbr.bin
"$otakit" hex from-bin mbr.bin@0 asys.bin aboot.bin -o abase.hex >/dev/null
expect 0 "radio stack 0 version 182 for argon \(12\) at 0x00001000-0x00025de8" \
	"$otakit" hex generate --base abase.hex --softdevice "$SD" -o asd.hex
expect 0 "asd2.hex: 3 regions" "$otakit" hex generate --base asd.hex --softdevice "$SD" -o asd2.hex
same asd.hex asd2.hex "replacing the SoftDevice again changes nothing"
python3 - "$SD" asd.hex <<'PY' && ok "SoftDevice body at 0x1000 without prefix and suffix" || bad "SoftDevice body"
import sys, subprocess
sd = open(sys.argv[1], 'rb').read()
body = sd[24:len(sd) - 36 - 4]
got = subprocess.run(['srec_cat', sys.argv[2], '-intel', '-crop', '0x1000', hex(0x1000 + len(body)),
                      '-offset', '-0x1000', '-o', '-', '-binary'], capture_output=True).stdout
sys.exit(0 if got == body else 1)
PY
expect 1 "is a system part 1 .*, not a radio stack" "$otakit" hex generate --base abase.hex --softdevice asys.bin -o x.hex

# --- p2: grows-left user part ----------------------------------------------
expect 0 "2 regions" "$otakit" hex from-bin "$P2BOOT" "$P2TINKER" -o p2.hex
"$otakit" binary create body.bin --platform p2 -o p2app.bin >/dev/null
expect 0 "user part 1 .* at 0x085fb19c" "$otakit" hex generate --base p2.hex --user p2app.bin -o p2gen.hex
expect 0 "0x085fb19c" "$otakit" hex to-bin p2gen.hex -o p2gen
same p2gen/0x085fb19c.bin p2app.bin "p2 user part placed at its own start"
same p2gen/0x08004000.bin "$P2BOOT" "p2 bootloader kept"
[ "$(ls p2gen | wc -l)" -eq 2 ] && ok "old Tinker removed" || bad "old Tinker left behind: $(ls p2gen)"
srec_cat p2gen.hex -intel -crop 0x085fb19c 0x08600000 -offset -0x085fb19c -o p2-sc.bin -binary
same p2-sc.bin p2app.bin "srec_cat reads the p2 user part"
"$otakit" binary create body.bin --platform p2 --depends system:1:5301 -o p2dep.bin >/dev/null
expect 1 "needs system part 1 version >= 5301 \(Device OS 5.3.1\) but the image has none" \
	"$otakit" hex generate --base p2.hex --user p2dep.bin -o x.hex

# --- merge and bad input ---------------------------------------------------
expect 1 "gen.hex: line [0-9]+: data at 0x000b4004 overlaps earlier data with different bytes" \
	"$otakit" hex merge tracker.hex gen.hex -o x.hex
printf ':020000040000FA\r\nhello\r\n' > junk.hex
expect 1 "junk.hex: line 2: not an Intel HEX record" "$otakit" hex inspect junk.hex
expect 2 "need one IN.hex" "$otakit" hex to-bin

# --- streaming: chunk boundaries, line numbers, atomic output -------------------
# The loader reads 64 KiB at a time: an error far past the first chunk keeps
# its line number, and a file cut at any point reads like srec_cat's view.
python3 - <<'PY'
lines = open('tracker.hex', newline='').read().split('\r\n')
lines[9000] = lines[9000][:-2] + ('00' if lines[9000][-2:] != '00' else '01')
open('late.hex', 'w', newline='').write('\r\n'.join(lines))
PY
expect 1 "late.hex: line 9001: bad checksum" "$otakit" hex inspect late.hex
printf '\x7fELF\x02\x01' > elf.hex
expect 1 "elf.hex: not an Intel HEX file" "$otakit" hex inspect elf.hex
: > empty.hex
expect 1 "empty.hex: not an Intel HEX file" "$otakit" hex inspect empty.hex
expect 1 "cannot read" "$otakit" hex inspect missing.hex
# hex -> hex through the streaming writer keeps every byte (srec_cat compares)
"$otakit" hex merge tracker.hex -o restream.hex >/dev/null
srec_cat tracker.hex -intel -o a.srec >/dev/null 2>&1
srec_cat restream.hex -intel -o b.srec >/dev/null 2>&1
same a.srec b.srec "merged image equals its input (srec_cat view)"
# never clobbered without --force, no temporary file left behind
echo keep > exists.hex
expect 1 "exists.hex: already exists" "$otakit" hex merge tracker.hex -o exists.hex
[ "$(cat exists.hex)" = keep ] && ok "existing output kept" || bad "existing output replaced"
expect 1 "cannot write" "$otakit" hex merge tracker.hex -o nodir/x.hex
expect 0 "exists.hex" "$otakit" hex merge tracker.hex -o exists.hex --force
same exists.hex restream.hex "--force replaces the output"
ls | grep -q '\.tmp' && bad "temporary files left: $(ls | grep '\.tmp')" || ok "no temporary files left"
expect 0 "Usage: otakit hex generate" "$otakit" help hex generate

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]

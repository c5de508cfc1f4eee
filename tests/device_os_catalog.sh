#!/bin/bash
# otakit device-os import|list: releases made here with `otakit binary
# create` (as a folder and as a release zip with misleading file names) and
# the real system parts of ../shared/fixtures; must-fail cases (bad CRC,
# a module no release claims) leave the catalog as it was.
set -uo pipefail
otakit=${OTK_CLI:?}
source "$(dirname "$0")/lib/check.sh"

head -c 20000 /dev/urandom >body
mk() { "$otakit" binary create body -o "$@" >/dev/null || bad "binary create $*"; }
# Device OS 5.8.0 for argon: bootloader, system part, SoftDevice, Tinker,
# under names that say nothing (identified by prefix, never by name).
mkdir rel580 rel560
mk rel580/a.bin --platform argon --function system --index 1 --version 5800 --start 0x30000 --depends bootloader:0:2600
mk rel580/b.bin --platform argon --function bootloader --index 0 --version 2600 --start 0xf4000
mk rel580/c.bin --platform argon --function radio --index 0 --version 202 --start 0x1000
mk rel580/d.bin --platform argon --function user --index 1 --version 6 --depends system:1:5800
echo "readme" >rel580/README.txt
mk rel560/argon-system-part1@5.8.0.bin --platform argon --function system --index 1 --version 5600 --start 0x30000
mk rel560/argon-bootloader@5.8.0.bin --platform argon --function bootloader --index 0 --version 2400 --start 0xf4000

expect 0 "4 modules imported" "$otakit" device-os import --catalog cat rel580
expect 0 "README.txt: not a module, skipped" "$otakit" device-os import --catalog cat rel580
python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for f in sys.argv[2:]:
        z.write(f, "argon/release/" + f.split("/")[-1])' rel560.zip rel560/*
expect 0 "2 modules imported" "$otakit" device-os import --catalog cat rel560.zip
expect 0 "^argon +5.6.0 +bootloader-0 system-1$" "$otakit" device-os list --catalog cat
expect 0 "^argon +5.8.0 +bootloader-0 system-1 user-1 radio-0$" "$otakit" device-os list --catalog cat --platform argon
# the file named 5.8.0 went into 5.6.0, by its prefix
if cmp -s rel560/argon-system-part1@5.8.0.bin cat/argon/5.6.0/system-1.bin; then ok "5.6.0 holds the module named @5.8.0"; else bad "5.6.0 system part"; fi
if cmp -s rel580/c.bin cat/argon/5.8.0/radio-0.bin; then ok "radio stack stored"; else bad "radio stack"; fi
n=$("$otakit" device-os list --catalog cat --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d), d[1]["version"], d[1]["system_version"], len(d[1]["modules"]))')
[ "$n" = "2 5.8.0 5800 4" ] && ok "list --json: $n" || bad "list --json: $n"
expect 0 "^$" "$otakit" device-os list --catalog cat --platform boron
expect 2 "unknown platform" "$otakit" device-os list --catalog cat --platform nosuch

# bad input: nothing written
cp -r cat cat.before
mkdir badcrc && cp rel580/a.bin badcrc/x.bin
printf '\x00' | dd of=badcrc/x.bin bs=1 seek=100 conv=notrunc status=none
expect 1 "badcrc/x.bin: CRC mismatch" "$otakit" device-os import --catalog cat badcrc
mkdir orphan && mk orphan/boot.bin --platform boron --function bootloader --index 0 --version 2600 --start 0xf4000
expect 1 "orphan/boot.bin: bootloader 0 for boron: cannot tell which Device OS release" "$otakit" device-os import --catalog cat orphan
mkdir unknown && mk unknown/s.bin --platform argon --function system --index 1 --version 4242 --start 0x30000
expect 1 "system part version 4242 is not a Device OS release" "$otakit" device-os import --catalog cat unknown
printf 'not a zip' >junk.zip
expect 1 "junk.zip: not a readable zip" "$otakit" device-os import --catalog cat junk.zip
# a hostile release zip is refused as a bundle would be (the bundle reader)
python3 -c 'import sys, zipfile
with zipfile.ZipFile("slip.zip", "w") as z:
    z.write(sys.argv[1], "../argon-system-part1@5.8.0.bin")
with zipfile.ZipFile("dup.zip", "w") as z:
    z.write(sys.argv[1], "a.bin"); z.write(sys.argv[1], "a.bin")' rel560/argon-system-part1@5.8.0.bin 2>/dev/null
expect 1 "slip.zip: unsafe entry name '../argon-system-part1@5.8.0.bin'" "$otakit" device-os import --catalog cat slip.zip
expect 1 "dup.zip: duplicate entry 'a.bin'" "$otakit" device-os import --catalog cat dup.zip
if diff -r cat cat.before >/dev/null; then ok "catalog unchanged by refused imports"; else bad "catalog changed"; fi
# a damaged release.json is named
echo '{' >cat/argon/5.6.0/release.json
expect 1 "5.6.0/release.json: cannot read" "$otakit" device-os list --catalog cat

# the real system parts (../shared): identified by prefix
shared=${OTK_SHARED:-}
if [ -n "$shared" ] && [ -d "$shared/fixtures/particle/binaries" ]; then
	b=$shared/fixtures/particle/binaries
	mkdir real && cp "$b/080_system-part1-xenon.bin" "$b/080_bootloader-xenon.bin" \
		"$b/boron-som-system-part1@1.1.0-rc.1.bin" "$b/tracker-system-part1@3.1.0-alpha.2.bin" real/
	expect 0 "4 modules imported" "$otakit" device-os import --catalog real.cat real
	expect 0 "^xenon +0.8.0-rc.14 +bootloader-0 system-1$" "$otakit" device-os list --catalog real.cat
	expect 0 "^bsom +1.1.0-rc.1 +system-1$" "$otakit" device-os list --catalog real.cat --platform bsom
	expect 0 "^tracker +3.1.0-alpha.2 +system-1$" "$otakit" device-os list --catalog real.cat --platform tracker
	real_ran=1
fi

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ] || exit 1
[ -n "${real_ran:-}" ] || { echo "SKIP: ../shared fixtures absent (the self-made part passed)"; exit 77; }
exit 0

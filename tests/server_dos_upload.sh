#!/bin/bash
# The cloud's Device OS catalog filled over the API: POST
# /v1/device-os/versions is for otakitd's administrators only (no token 401;
# a user, an API user, a product's token 403), `otakit device-os upload` of
# module files (sent as one zip) and of Particle's release zip, refusals
# (bad CRC inside a zip, zip slip, no system part) that record nothing,
# `otakit device-os list --cloud` (text and --json), and `otakitd device-os
# import` of a release zip.
set -uo pipefail
source "$(dirname "$0")/lib/otakitd.sh"
export OTAKIT_CONFIG=$tmp/config.json
mkdir data
head -c 6000 /dev/urandom >body.bin
mk() { "$CLI" binary create body.bin --platform "$1" "${@:3}" -o "$2" -f >/dev/null; }
mk p2 p2-system-part1@5.6.0.bin --function system --version 5600 --start 0x08060000
mk p2 p2-bootloader@5.6.0.bin --function bootloader --index 0 --version 2400 --start 0x08000000
mk p2 p2-tinker@5.6.0.bin --depends system:1:5600
mk argon argon-system-part1@5.6.0.bin --function system --version 5600 --start 0x30000
mk argon argon-bootloader@5.6.0.bin --function bootloader --index 0 --version 2400 --start 0xf4000
python3 - <<'EOF'
import zipfile
d = bytearray(open("argon-bootloader@5.6.0.bin", "rb").read()); d[300] ^= 1
with zipfile.ZipFile("argon-5.6.0.zip", "w") as z:
    z.write("argon-system-part1@5.6.0.bin", "argon/release/argon-system-part1@5.6.0.bin")
    z.write("argon-bootloader@5.6.0.bin", "argon/release/argon-bootloader@5.6.0.bin")
    z.writestr("argon/README.txt", "release notes")
with zipfile.ZipFile("bad-crc.zip", "w") as z:
    z.write("argon-system-part1@5.6.0.bin", "argon-system-part1@5.6.0.bin")
    z.writestr("argon-bootloader@5.6.0.bin", bytes(d))
with zipfile.ZipFile("slip.zip", "w") as z:
    z.write("argon-system-part1@5.6.0.bin", "../argon-system-part1@5.6.0.bin")
EOF

od_start data
printf '%s\n' 'root-password' | "$D" user add root --admin --data data >add.txt
has "otakitd user add --admin" add.txt "user root added \(id [0-9]+, administrator\)"
od_user alice 'alice-password'
TR=$(od_token root root-password)
TA=$(od_token alice alice-password)
req POST /v1/products "$TA" -d name=A -d platform_id=32 -d id=1234 >/dev/null
req POST /v1/products/1234/team "$TA" -H 'Content-Type: application/json' \
	-d '{"friendly_name":"bot","scopes":["firmware:create","devices:update"]}' >/dev/null
TAPI=$(json 'j["created"]["tokens"][0]["token"]')

# --- who may upload --------------------------------------------------------------------
up() { req POST /v1/device-os/versions "$1" -F "file=@$2" "${@:3}"; }
[[ $(up "" p2-system-part1@5.6.0.bin) == 401 ]] && ok "upload without a token: 401" || bad "no token"
st=$(up "$TA" p2-system-part1@5.6.0.bin)
[[ $st == 403 ]] && has "upload by a user who is no administrator: 403" body.json "administrators" || bad "user upload: $st"
st=$(up "$TAPI" p2-system-part1@5.6.0.bin)
[[ $st == 403 ]] && ok "upload by an API user: 403" || bad "api user upload: $st"
req GET /v1/device-os/versions "$TA" >/dev/null
[[ $(json 'j') == "[]" ]] && ok "refused uploads recorded nothing" || bad "catalog after refusals: $(cat body.json)"

# --- otakit device-os upload -----------------------------------------------------------
export OTAKIT_API=$U
OTAKIT_TOKEN=$TA "$CLI" device-os upload p2-system-part1@5.6.0.bin >u0.txt 2>&1
[[ $? == 1 ]] && has "otakit device-os upload as a user: refused, named" u0.txt "device-os upload p2-system-part1@5.6.0.bin to .*administrators" || bad "user cli upload"
export OTAKIT_TOKEN=$TR
"$CLI" device-os upload p2-system-part1@5.6.0.bin p2-bootloader@5.6.0.bin p2-tinker@5.6.0.bin >u1.txt 2>&1
[[ $? == 0 ]] && has "upload three modules" u1.txt "^Device OS 5.6.0 for p2: 3 modules uploaded to $U" || { bad "upload modules"; cat u1.txt; }
req GET "/v1/device-os/versions/5.6.0?platform_id=32" "$TA" >/dev/null
[[ $(json 'sorted(m["filename"] for m in j["modules"])') == "['p2-bootloader@5.6.0.bin', 'p2-system-part1@5.6.0.bin', 'p2-tinker@5.6.0.bin']" ]] &&
	ok "the release as particle-cli reads it, with Particle's file names" || bad "versions/5.6.0: $(cat body.json)"
curl -s -o dl.bin "$(json 'j["base_url"]')/p2-bootloader@5.6.0.bin"
cmp -s dl.bin p2-bootloader@5.6.0.bin && ok "module file downloads" || bad "download"

"$CLI" device-os upload bad-crc.zip >u2.txt 2>&1
[[ $? == 1 ]] && has "a zip with a bad CRC: refused, entry named" u2.txt "bad-crc.zip:argon-bootloader@5.6.0.bin: CRC mismatch" || bad "bad crc zip"
"$CLI" device-os upload slip.zip >u3.txt 2>&1
[[ $? == 1 ]] && has "zip slip: refused" u3.txt "slip.zip: unsafe entry name '../argon-system-part1@5.6.0.bin'" || bad "slip"
"$CLI" device-os upload p2-bootloader@5.6.0.bin >u4.txt 2>&1
[[ $? == 1 ]] && has "no system part and no --version: refused" u4.txt "no system part among the files" || bad "no system"
"$CLI" device-os upload --version 9.9.9 p2-bootloader@5.6.0.bin >u5.txt 2>&1
[[ $? == 1 ]] && has "unknown --version: refused" u5.txt "9.9.9: not a Device OS release otakit knows" || bad "9.9.9"
"$CLI" device-os list --cloud --json >l0.json
[[ $(python3 -c 'import json; print([(r["platform_id"], r["version"], r["modules"]) for r in json.load(open("l0.json"))])') == "[(32, '5.6.0', 3)]" ]] &&
	ok "refused uploads recorded nothing (list --cloud --json)" || bad "list after refusals: $(cat l0.json)"

"$CLI" device-os upload argon-5.6.0.zip --json >u6.json 2>&1
[[ $? == 0 ]] && [[ $(python3 -c 'import json; j = json.load(open("u6.json")); print(j["version"], j["platform_id"], sorted(m["filename"] for m in j["modules"]))') == "5.6.0 12 ['argon-bootloader@5.6.0.bin', 'argon-system-part1@5.6.0.bin']" ]] &&
	ok "Particle's release zip uploaded (--json), README left out" || { bad "zip upload"; cat u6.json; }
"$CLI" device-os list --cloud >l1.txt
has "list --cloud: argon" l1.txt "^argon +5.6.0 +2 modules"
has "list --cloud: p2" l1.txt "^p2 +5.6.0 +3 modules"
"$CLI" device-os list --cloud --platform p2 >l2.txt
hasnt "list --cloud --platform p2: only p2" l2.txt "argon"
"$CLI" device-os list --api "$U" >l3.txt 2>&1
[[ $? == 2 ]] && ok "--api without --cloud: usage error" || bad "--api without --cloud"
mkdir somedir
"$CLI" device-os upload somedir >u7.txt 2>&1
[[ $? == 1 ]] && has "a folder: refused before sending" u7.txt "somedir: not a file" || bad "folder upload"
"$CLI" device-os upload --help >h.txt 2>&1
has "upload --help has examples" h.txt "otakit device-os upload p2-device-os@5.6.0.zip"

# --- otakitd device-os import of a release zip ------------------------------------------
mkdir data2
"$D" device-os import 5.6.0 argon-5.6.0.zip --data data2 >i1.txt 2>&1
[[ $? == 0 ]] && has "otakitd device-os import of a release zip" i1.txt "Device OS 5.6.0: 2 modules imported" || { bad "otakitd zip import"; cat i1.txt; }
"$D" device-os import 5.6.0 slip.zip --data data2 >i2.txt 2>&1
[[ $? == 1 ]] && has "otakitd device-os import: zip slip refused" i2.txt "slip.zip: unsafe entry name" || bad "otakitd slip"
[[ $fails -eq 0 ]] && echo "all passed" || echo "$fails failed"
[[ $fails -eq 0 ]]

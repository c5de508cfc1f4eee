#!/bin/bash
# otakitd's Device OS catalog: `otakitd device-os import` (every module
# checked, refusals named), GET /v1/device-os/versions/:version by release,
# by system module version and "latest", the public module files, and,
# with the oracle, particle-cli's own download code (device-os-version-util,
# used by `particle update` and `particle flash --local --target`) fetching a
# release from otakitd.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/otakitd.sh"
mkdir data
head -c 6000 /dev/urandom >body.bin
mk() { "$CLI" binary create body.bin --platform "$1" "${@:3}" -o "$2" -f >/dev/null; }
mk p2 p2-system-part1@5.6.0.bin --function system --version 5600 --start 0x08060000
mk p2 p2-bootloader@5.6.0.bin --function bootloader --index 0 --version 2400 --start 0x08000000
mk p2 p2-tinker@5.6.0.bin --depends system:1:5600
mk p2 p2-system-part1@5.5.0.bin --function system --version 5501 --start 0x08060000
mk argon argon-system-part1@5.6.0.bin --function system --version 5600 --start 0x30000
python3 -c '
d = bytearray(open("p2-system-part1@5.6.0.bin", "rb").read()); d[300] ^= 1
open("bad-crc.bin", "wb").write(d)'
"$CLI" binary asset-module body.bin -o asset.bin >/dev/null 2>&1 || cp body.bin asset.bin

imp() { "$D" device-os import "$@" --data data >imp.txt 2>&1; }
imp 9.9.9 p2-system-part1@5.6.0.bin
[[ $? == 1 ]] && has "import: unknown release refused" imp.txt "9.9.9: not a Device OS release otakit knows"
imp 5.5.0 p2-system-part1@5.6.0.bin
[[ $? == 1 ]] && has "import: system part of another release refused" imp.txt "system part version 5600, but Device OS 5.5.0 has 5501"
imp 5.6.0 p2-system-part1@5.6.0.bin bad-crc.bin
[[ $? == 1 ]] && has "import: bad CRC refused" imp.txt "bad-crc.bin: CRC mismatch"
imp 5.6.0 p2-system-part1@5.6.0.bin argon-system-part1@5.6.0.bin
[[ $? == 1 ]] && has "import: mixed platforms refused" imp.txt "argon-system-part1@5.6.0.bin: platform 12, but p2-system-part1@5.6.0.bin is for platform 32"
imp 5.6.0 p2-system-part1@5.6.0.bin asset.bin
[[ $? == 1 ]] && has "import: not a release module refused" imp.txt "asset.bin: (a module of function .* is not part of a Device OS release|not a module)"
imp 5.6.0 p2-system-part1@5.6.0.bin p2-system-part1@5.6.0.bin
[[ $? == 1 ]] && has "import: the same file twice refused" imp.txt "two files named"
[[ ! -e data/blobs ]] || [[ -z $(sqlite3 data/otakitd.db "SELECT * FROM device_os_modules" 2>/dev/null) ]] && ok "refused imports record nothing" || bad "refused import recorded rows"
imp 5.6.0 p2-system-part1@5.6.0.bin p2-bootloader@5.6.0.bin p2-tinker@5.6.0.bin
[[ $? == 0 ]] && has "import 5.6.0 for p2" imp.txt "Device OS 5.6.0: 3 modules imported"
imp 5.5.0 p2-system-part1@5.5.0.bin
[[ $? == 0 ]] && ok "import 5.5.0 for p2" || { bad "import 5.5.0"; cat imp.txt; }
imp 5.6.0 argon-system-part1@5.6.0.bin
[[ $? == 0 ]] && ok "import 5.6.0 for argon" || bad "import argon"

od_start data
od_user alice 'alice-password'
T=$(od_token alice alice-password)
st=$(req GET "/v1/device-os/versions/5.6.0?platform_id=32" "$T")
[[ $st == 200 ]] && [[ $(json 'j["version"], j["internal_version"], sorted(m["filename"] for m in j["modules"])') == "('5.6.0', 5600, ['p2-bootloader@5.6.0.bin', 'p2-system-part1@5.6.0.bin', 'p2-tinker@5.6.0.bin'])" ]] && ok "versions/5.6.0" || bad "5.6.0: $st $(cat body.json | head -c 300)"
[[ $(json '{m["filename"]: m["prefixInfo"]["moduleFunction"] for m in j["modules"]}["p2-tinker@5.6.0.bin"]') == user_part ]] && ok "modules identified by their prefixes" || bad "prefixInfo"
[[ $(json '[m["crc"]["storedCrc"] for m in j["modules"] if m["filename"].startswith("p2-system")][0]') == $(tail -c 4 p2-system-part1@5.6.0.bin | od -An -tx1 | tr -d ' \n') ]] && ok "crc as binary-version-reader writes it" || bad "crc"
BASE=$(json 'j["base_url"]')
[[ $BASE == "$U/v1/device-os/files/5.6.0/32" ]] && ok "base_url on this server" || bad "base_url $BASE"
req GET "/v1/device-os/versions/5501?platform_id=32" "$T" >/dev/null
[[ $(json 'j["version"]') == 5.5.0 ]] && ok "by system module version" || bad "by internal version"
req GET "/v1/device-os/versions/latest?platform_id=32" "$T" >/dev/null
[[ $(json 'j["version"]') == 5.6.0 ]] && ok "latest" || bad "latest"
[[ $(req GET "/v1/device-os/versions/6.3.2?platform_id=32" "$T") == 404 ]] && ok "missing release: 404" || bad "missing release"
[[ $(req GET "/v1/device-os/versions/5.6.0?platform_id=6" "$T") == 404 ]] && ok "release missing for a platform: 404" || bad "missing platform"
[[ $(req GET "/v1/device-os/versions/5.6.0" "$T") == 400 ]] && ok "platform_id required" || bad "no platform"
[[ $(req GET "/v1/device-os/versions/5.6.0?platform_id=32" "") == 401 ]] && ok "catalog needs a token" || bad "catalog without token"
curl -s -o dl.bin "$BASE/p2-system-part1@5.6.0.bin"
cmp -s dl.bin p2-system-part1@5.6.0.bin && ok "module file, no token needed" || bad "module download"
[[ $(req GET "/v1/device-os/files/5.6.0/32/nosuch.bin" "") == 404 ]] && ok "unknown file: 404" || bad "unknown file"
[[ $(req GET "/v1/device-os/files/5.6.0/12/p2-system-part1@5.6.0.bin" "") == 404 ]] && ok "file of another platform: 404" || bad "file platform"

if [[ -n ${OTK_SHARED:-} && -d ${OTK_SHARED:-} ]]; then
	source "$here/lib/oracle.sh"
	export HOME=$tmp/home
	mkdir -p "$HOME"
	timeout 120 "$O/node" "$here/server_device_os.js" "$U" "$T" "$O/npm/node_modules/particle-cli" 5.6.0 >js.txt 2>&1
	[[ $? == 0 ]] && has "particle-cli's device-os-version-util downloads from otakitd" js.txt "Downloaded Device OS 5.6.0" || { bad "device-os-version-util"; cat js.txt; }
	dir=$HOME/.particle/device-os-flash/binaries/5.6.0/p2
	cmp -s "$dir/p2-system-part1@5.6.0.bin" p2-system-part1@5.6.0.bin && cmp -s "$dir/p2-bootloader@5.6.0.bin" p2-bootloader@5.6.0.bin &&
		ok "the files it wrote are the imported modules" || bad "downloaded files differ"
	[[ ! -e $dir/p2-tinker@5.6.0.bin ]] && ok "it leaves the user part out, as it reads moduleFunction" || bad "user part downloaded"
	timeout 120 "$O/node" "$here/server_device_os.js" "$U" "$T" "$O/npm/node_modules/particle-cli" 5.6.0 >js2.txt 2>&1
	hasnt "a second run finds the files present (crc matches)" js2.txt "Downloaded Device OS"
elif [[ $fails -eq 0 ]]; then
	echo "skipped: the particle-cli part needs the shared folder (the rest passed)"
	exit 77
fi
[[ $fails -eq 0 ]] && echo "all passed" || echo "$fails failed"
[[ $fails -eq 0 ]]

#!/bin/bash
# otakitd's API with curl: OAuth password grant and tokens, products,
# product devices (paging, lock/unlock, development, groups, deny), product
# firmware (upload of a .bin and a bundle, list, get, edit, download,
# release, delete) and every upload refusal (a 400 with Particle's error
# body naming the file and the problem, and nothing stored), body limits,
# the access log, HTTPS and a graceful SIGTERM.
set -uo pipefail
src=${OTK_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
source "$(dirname "$0")/lib/otakitd.sh"

mkdir data
od_start data --max-upload 3000000
od_user alice 'alice-password'
od_user bob 'bob-password'

# --- accounts and tokens ------------------------------------------------------
st=$(req POST /oauth/token "" -u particle:wrong -d grant_type=password -d username=alice -d password=alice-password)
[[ $st == 401 ]] && [[ $(json 'j["error"]') == invalid_client ]] && ok "oauth: wrong client is 401 invalid_client" || bad "oauth wrong client: $st $(cat body.json)"
st=$(req POST /oauth/token "" -u particle:particle -d grant_type=password -d username=alice -d password=nope)
[[ $st == 400 ]] && [[ $(json 'j["error"]') == invalid_grant ]] && ok "oauth: wrong password is 400 invalid_grant" || bad "oauth wrong password: $st $(cat body.json)"
st=$(req POST /oauth/token "" -u particle:particle -d grant_type=password -d username=nobody -d password=nope)
[[ $st == 400 ]] && [[ $(json 'j["error"]') == invalid_grant ]] && ok "oauth: unknown user is 400 invalid_grant" || bad "oauth unknown user: $st"
st=$(req POST /oauth/token "" -u particle:particle -d grant_type=client_credentials)
[[ $st == 400 ]] && [[ $(json 'j["error"]') == unsupported_grant_type ]] && ok "oauth: other grants refused" || bad "oauth grant: $st"
st=$(req POST /oauth/token "" -d client_id=particle -d client_secret=particle -d grant_type=password -d username=alice -d password=alice-password -d expires_in=0)
[[ $st == 200 ]] && [[ $(json 'len(j["access_token"])') == 40 ]] && [[ $(json 'j["expires_in"]') == 0 ]] && ok "oauth: client in form fields, token of 160 bits, expires_in 0" || bad "oauth form client: $st $(cat body.json)"
T0=$(json 'j["access_token"]')
st=$(req GET /v1/access_tokens/current "$T0")
[[ $st == 200 ]] && [[ $(json 'j["expires_at"]') == None ]] && [[ $(json 'j["client"]') == particle ]] && ok "current token: never expires" || bad "current token: $st $(cat body.json)"
st=$(req GET /v1/user "$T0")
[[ $st == 200 ]] && [[ $(json 'j["username"]') == alice ]] && ok "GET /v1/user" || bad "user: $st"
st=$(req DELETE /v1/access_tokens/current "$T0")
[[ $st == 200 ]] && ok "delete current token" || bad "delete current: $st"
st=$(req GET /v1/access_tokens/current "$T0")
[[ $st == 401 ]] && [[ $(json 'j["error"]') == invalid_token ]] && ok "deleted token is refused (401 invalid_token)" || bad "deleted token still works: $st"
T1=$(od_token alice alice-password)
st=$(req DELETE "/v1/access_tokens/$T1" "")
[[ $st == 200 ]] && [[ $(req GET /v1/user "$T1") == 401 ]] && ok "DELETE /v1/access_tokens/:token revokes it" || bad "revoke by path: $st"
st=$(req POST /oauth/token "" -u particle:particle -d grant_type=password -d username=alice -d password=alice-password -d expires_in=1)
T1=$(json 'j["access_token"]')
sleep 2.1
[[ $(req GET /v1/user "$T1") == 401 ]] && ok "expired token is refused" || bad "expired token accepted"
sqlite3 data/otakitd.db "SELECT count(*) FROM tokens WHERE instr(lower(hex(token_hash)), '$T1') > 0 OR scopes = '$T1'" >cnt.txt 2>&1
has "tokens are stored hashed" cnt.txt "^0$"
# Failed logins: 5 per user name a minute, then 429 even with the right password.
od_user carol 'carol-password'
for i in 1 2 3 4; do req POST /oauth/token "" -u particle:particle -d grant_type=password -d username=carol -d password=wrong >/dev/null; done
st=$(req POST /oauth/token "" -u particle:particle -d grant_type=password -d username=carol -d password=wrong)
[[ $st == 400 ]] && ok "fifth failed login: still 400" || bad "fifth failed login: $st"
st=$(req POST /oauth/token "" -u particle:particle -d grant_type=password -d username=carol -d password=carol-password)
[[ $st == 429 ]] && [[ $(json 'j["error"]') == too_many_requests ]] && ok "after 5 failures: 429, even with the right password" || bad "throttle: $st $(cat body.json)"
T=$(od_token alice alice-password)
TB=$(od_token bob bob-password)
[[ ${#T} == 40 ]] && ok "other users are not throttled" || bad "alice throttled"
[[ $(req GET /v1/products "") == 401 ]] && ok "no token: 401" || bad "no token"

# --- limits and errors ----------------------------------------------------------
python3 -c 'print("{\"x\":\"" + "a"*70000 + "\"}")' >big.json
st=$(req POST /v1/products "$T" -H 'Content-Type: application/json' --data-binary @big.json)
[[ $st == 413 ]] && ok "JSON body over 64 KiB: 413" || bad "big JSON: $st"
st=$(req POST /v1/products "$T" -H 'Content-Type: application/json' --data-binary '{"name":')
[[ $st == 400 ]] && has "bad JSON: 400 with Particle's body" body.json '"ok":false,"error":"request body is not valid JSON'
st=$(req GET /v1/nosuch "$T")
[[ $st == 404 ]] && ok "unknown endpoint: 404" || bad "unknown endpoint: $st"
st=$(req PATCH /v1/products "$T")
[[ $st == 405 ]] && ok "wrong method: 405" || bad "wrong method: $st"

# --- products ---------------------------------------------------------------------
st=$(req POST /v1/products "$T" -H 'Content-Type: application/json' -d '{"name":"Fleet A","platform_id":32,"id":1234}')
[[ $st == 200 ]] && [[ $(json 'j["product"]["slug"]') == fleet-a ]] && ok "create product" || bad "create product: $st $(cat body.json)"
st=$(req POST /v1/products "$T" -d name=Again -d platform_id=32 -d slug=fleet-a)
[[ $st == 400 ]] && ok "duplicate slug refused" || bad "duplicate slug: $st"
st=$(req POST /v1/products "$T" -d name=X -d platform_id=9999)
[[ $st == 400 ]] && has "unknown platform refused" body.json "platform_id must be a known platform id"
st=$(req POST /v1/products "$TB" -d name=Bobs -d platform_id=12 -d id=77)
[[ $st == 200 ]] && ok "bob's product" || bad "bob product: $st"
st=$(req GET /v1/products "$T")
[[ $(json '[p["id"] for p in j["products"]]') == "[1234]" ]] && ok "list shows own products only" || bad "product list: $(cat body.json)"
st=$(req GET /v1/products/fleet-a "$T")
[[ $st == 200 ]] && [[ $(json 'j["product"]["id"]') == 1234 ]] && ok "get product by slug" || bad "get by slug: $st"
[[ $(req GET /v1/products/77 "$T") == 403 ]] && ok "another user's product: 403" || bad "foreign product"
[[ $(req GET /v1/products/4321 "$T") == 404 ]] && ok "unknown product: 404" || bad "unknown product"

# --- product devices --------------------------------------------------------------
st=$(req POST /v1/products/1234/devices "$T" -d id=xyz)
[[ $st == 400 ]] && has "bad device id refused" body.json "invalidDeviceIds"
for i in $(seq -w 0 29); do
	st=$(req POST /v1/products/1234/devices "$T" -d "id=0123456789abcdef012345$i")
	[[ $st == 200 ]] || bad "add device $i: $st"
done
st=$(req POST /v1/products/77/devices "$TB" -d id=0123456789abcdef01234500)
[[ $st == 400 ]] && has "device of another product refused" body.json "nonmemberDeviceIds"
st=$(req GET "/v1/products/1234/devices?per_page=10&page=3" "$T")
[[ $(json 'len(j["devices"])') == 10 ]] && [[ $(json 'j["meta"]["total_pages"]') == 3 ]] && [[ $(json 'j["devices"][0]["id"]') == 0123456789abcdef01234520 ]] && ok "device list pages" || bad "paging: $(cat body.json | head -c 300)"
st=$(req GET "/v1/products/1234/devices?per_page=10&page=4" "$T")
[[ $(json 'len(j["devices"])') == 0 ]] && ok "page past the end is empty" || bad "page 4"
st=$(req GET "/v1/products/1234/devices?per_page=1000" "$T")
[[ $st == 400 ]] && ok "per_page over 100 refused" || bad "per_page: $st"
st=$(req GET "/v1/products/1234/devices?deviceId=4501" "$T")
[[ $(json '[d["id"] for d in j["devices"]]') == "['0123456789abcdef01234501']" ]] && ok "filter by id" || bad "filter: $(cat body.json | head -c 300)"
DEV=0123456789abcdef01234501
st=$(req PUT /v1/products/1234/devices/$DEV "$T" -H 'Content-Type: application/json' -d '{"name":"kitchen","notes":"by the window","development":true,"firmware_updates_forced":true,"groups":["beta","eu"]}')
[[ $st == 200 ]] && [[ $(json 'j["name"], j["notes"], j["development"], j["firmware_updates_forced"], j["groups"]') == "('kitchen', 'by the window', True, True, ['beta', 'eu'])" ]] && ok "PUT name, notes, development, forced, groups" || bad "device PUT: $st $(cat body.json)"
st=$(req PUT /v1/products/1234/devices/$DEV "$T" -d development=false -d 'groups=eu')
[[ $(json 'j["development"], j["groups"]') == "(False, ['eu'])" ]] && ok "form PUT: groups are the whole set" || bad "form PUT: $(cat body.json)"
st=$(req GET "/v1/products/1234/devices?groups=eu" "$T")
[[ $(json 'len(j["devices"])') == 1 ]] && ok "filter by group" || bad "group filter"
st=$(req PUT /v1/products/1234/devices/$DEV "$T" -H 'Content-Type: application/json' -d '{"desired_firmware_version":5}')
[[ $st == 400 ]] && has "lock to a missing version refused" body.json "firmware version 5 does not exist"
st=$(req PUT /v1/products/1234/devices/$DEV "$T" -H 'Content-Type: application/json' -d '{"groups":["Bad Name"]}')
[[ $st == 400 ]] && has "bad group name refused" body.json "group name 'Bad Name' is not valid"
st=$(req GET /v1/products/1234/devices/$DEV "$TB")
[[ $st == 403 ]] && ok "another user cannot read the device" || bad "foreign device: $st"
st=$(req GET /v1/products/77/devices/$DEV "$TB")
[[ $st == 404 ]] && ok "device is not found through another product" || bad "device via other product: $st"
st=$(req DELETE /v1/products/1234/devices/0123456789abcdef01234529 "$T" -H 'Content-Type: application/json' -d '{"deny":true}')
[[ $st == 200 ]] && [[ $(req GET /v1/products/1234/devices/0123456789abcdef01234529 "$T") == 404 ]] && ok "deny" || bad "deny: $st"
st=$(req DELETE /v1/products/1234/devices/0123456789abcdef01234528 "$T")
st=$(req GET "/v1/products/1234/devices?per_page=100" "$T")
[[ $(json 'j["meta"]["total_records"]') == 28 ]] && ok "removed and denied devices leave the list" || bad "after remove: $(json 'j["meta"]')"

# --- groups ------------------------------------------------------------------------
st=$(req POST /v1/products/1234/groups "$T" -H 'Content-Type: application/json' -d '{"name":"us","color":"#00ff00","description":"west"}')
[[ $st == 201 ]] && [[ $(json 'j["group"]["color"]') == "#00ff00" ]] && ok "create group" || bad "group create: $st $(cat body.json)"
st=$(req POST /v1/products/1234/groups "$T" -d name=us)
[[ $st == 400 ]] && has "duplicate group refused" body.json "group us already exists"
st=$(req POST /v1/products/1234/groups "$T" -d name=us2 -d color=green)
[[ $st == 400 ]] && has "bad color refused" body.json "color must be #rrggbb"
st=$(req GET /v1/products/1234/groups "$T")
[[ $(json '[g["name"] for g in j["groups"]]') == "['beta', 'eu', 'us']" ]] && ok "list groups (device PUT created beta and eu)" || bad "groups: $(cat body.json)"
st=$(req PUT /v1/products/1234/groups/us "$T" -d description=east)
[[ $(json 'j["group"]["description"], j["group"]["color"]') == "('east', '#00ff00')" ]] && ok "update group" || bad "group update: $(cat body.json)"
st=$(req PUT /v1/products/1234/devices/0123456789abcdef01234502 "$T" -d groups=us)
st=$(req DELETE /v1/products/1234/groups/us "$T")
[[ $st == 200 ]] && [[ $(req GET /v1/products/1234/groups/us "$T") == 404 ]] && ok "delete group" || bad "group delete: $st"
req GET /v1/products/1234/devices/0123456789abcdef01234502 "$T" >/dev/null
[[ $(json 'j["groups"]') == "[]" ]] && ok "deleting a group takes it off its devices" || bad "device still in group: $(cat body.json)"

# --- product firmware ---------------------------------------------------------------
head -c 3000 /dev/urandom >body.bin
mk() { # mk VERSION OUT [platform] [product] [extra args]
	"$CLI" binary create body.bin --platform "${3:-p2}" --product "${4:-1234}:$1" --depends system:1:5500 -o "$2" -f "${@:5}" >/dev/null
}
mk 1 fw1.bin
mk 2 fw2.bin
mk 3 fw3.bin
mk 4 fw4.bin
upload() { # upload FILE VERSION [TITLE]: status
	req POST /v1/products/1234/firmware "$T" -F "file=@$1" -F "version=$2" -F "title=${3:-t$2}" -F "description=d"
}
blobs() { find data/blobs -type f | wc -l; }
st=$(upload fw1.bin 1)
[[ $st == 200 ]] && [[ $(json 'j["version"], j["size"], j["bundle"]') == "(1, $(stat -c %s fw1.bin), False)" ]] && ok "upload a .bin" || bad "upload: $st $(cat body.json)"
mkdir -p assets && echo hello >assets/a.txt && head -c 5000 /dev/urandom >assets/b.bin
"$CLI" bundle fw2.bin --assets assets --save b2.zip >/dev/null || bad "otakit bundle"
st=$(upload b2.zip 2)
[[ $st == 200 ]] && [[ $(json 'j["bundle"]') == True ]] && ok "upload a bundle" || bad "bundle upload: $st $(cat body.json)"
st=$(req GET /v1/products/1234/firmware/2 "$T")
[[ $(json 'sorted(a["name"] for a in j["assets"])') == "['a.txt', 'b.bin']" ]] && [[ $(json 'j["assets"][0]["hash"]') == $(sha256sum assets/a.txt | cut -c1-64) ]] && ok "bundle's assets by name and hash" || bad "assets: $(cat body.json)"
n0=$(blobs)
sqlite3 data/otakitd.db "SELECT count(*) FROM firmware" >fwcount0.txt

# Every refusal: status 400, Particle's error body, the message.
refuse() { # refuse NAME FILE VERSION REGEX [title]
	local st
	st=$(upload "$2" "$3" "${5:-x}")
	if [[ $st == 400 ]] && [[ $(json 'j["ok"]') == False ]] && grep -qE -- "$4" body.json; then
		ok "refused: $1"
	else
		bad "refusal $1: $st $(cat body.json)"
	fi
}
head -c 4000 /dev/urandom >junk.bin
refuse "not a module" junk.bin 3 '"junk.bin: not a firmware module'
python3 - <<'EOF'
import zlib
d = bytearray(open("fw3.bin", "rb").read())
c = bytearray(d); c[100] ^= 0xff; open("crc.bin", "wb").write(c)
# a wrong SHA-256 with a CRC that fits it
s = bytearray(d); s[len(s) - 4 - 32 - 2 + 1] ^= 0xff
s[-4:] = zlib.crc32(bytes(s[:-4])).to_bytes(4, "big"); open("sha.bin", "wb").write(s)
EOF
refuse "CRC" crc.bin 3 'crc.bin: CRC mismatch \(stored [0-9a-f]{8}, computed [0-9a-f]{8}\)'
refuse "SHA-256" sha.bin 3 'sha.bin: SHA-256 mismatch'
"$CLI" binary create body.bin --platform p2 --function system --start 0x08060000 --product 1234:3 -o sys.bin -f >/dev/null
refuse "not a user part" sys.bin 3 'sys.bin: not an application: module function is system part'
mk 3 argon.bin argon
refuse "other platform" argon.bin 3 'argon.bin: built for platform 12 \(argon\) but the product.s platform is 32 \(p2\)'
mk 3 other.bin p2 999
refuse "other product id" other.bin 3 'other.bin: product id in the module is 999, not this product.s 1234'
refuse "version field differs" fw3.bin 4 'fw3.bin: product version in the module is 3 but the version field is 4'
refuse "version not higher" fw1.bin 1 'fw1.bin: version 1 is not higher than the existing version 2'
# otakit refuses to build a user part over the limit: build a system part
# and make it a user part (function byte at offset 14, SHA-256, CRC-32).
head -c 2200000 /dev/urandom >huge.body
"$CLI" binary create huge.body --platform p2 --function system --start 0x08060000 --product 1234:3 -o huge.sys -f >/dev/null
python3 - <<'EOF'
import hashlib, zlib
d = bytearray(open("huge.sys", "rb").read())
d[14] = 5
n = len(d)
d[n - 38:n - 6] = hashlib.sha256(bytes(d[:n - 38])).digest()
d[-4:] = zlib.crc32(bytes(d[:-4])).to_bytes(4, "big")
open("huge.bin", "wb").write(d)
EOF
if [[ -f huge.bin ]]; then
	refuse "over the user part size" huge.bin 3 'huge.bin: [0-9]+ bytes, over the p2 user part limit'
else
	bad "could not build an oversized module"
fi
st=$(req POST /v1/products/1234/firmware "$T" -F version=3 -F title=x)
[[ $st == 400 ]] && has "refused: no file" body.json "no firmware file"
st=$(req POST /v1/products/1234/firmware "$T" -F file=@fw3.bin -F title=x)
[[ $st == 400 ]] && has "refused: no version" body.json "fw3.bin: version is required"
st=$(req POST /v1/products/1234/firmware "$T" -F file=@fw3.bin -F version=3)
[[ $st == 400 ]] && has "refused: no title" body.json "fw3.bin: title is required"
st=$(req POST /v1/products/1234/firmware "$T" -F file=@fw3.bin -F version=abc -F title=x)
[[ $st == 400 ]] && has "refused: version not a number" body.json "version must be a number"
head -c 3100000 /dev/urandom >toolarge.bin
st=$(upload toolarge.bin 3)
[[ $st == 413 ]] && ok "refused: upload over --max-upload (413)" || bad "too large upload: $st"

# Bundles: built right, then spoilt one way each.
"$CLI" bundle fw3.bin --assets assets --save b3.zip >/dev/null
python3 - <<'EOF'
import zipfile, io
src = zipfile.ZipFile("b3.zip")
entries = {i.filename: src.read(i.filename) for i in src.infolist()}
app = [n for n in entries if n.endswith(".bin") and "/" not in n][0]
def write(name, items, **kw):
    with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in items:
            if isinstance(n, zipfile.ZipInfo):
                z.writestr(n, d)
            else:
                z.writestr(n, d)
base = list(entries.items())
write("missing.zip", [(n, d) for n, d in base if n != "assets/b.bin"])
write("extra.zip", base + [("assets/c.txt", b"more")])
write("hash.zip", [(n, d if n != "assets/a.txt" else b"changed\n") for n, d in base])
write("slip.zip", base + [("../evil.txt", b"x")])
write("abs.zip", base + [("/etc/evil.txt", b"x")])
link = zipfile.ZipInfo("assets/link"); link.create_system = 3; link.external_attr = (0o120777 << 16)
write("symlink.zip", base + [(link, b"/etc/passwd")])
with zipfile.ZipFile("dup.zip", "w") as z:
    import warnings; warnings.simplefilter("ignore")
    for n, d in base: z.writestr(n, d)
    z.writestr("assets/a.txt", b"hello\n")
write("bomb.zip", base + [("assets/bomb.bin", b"\0" * (65 * 1024 * 1024))])
write("twoapps.zip", base + [("second.bin", entries[app])])
write("other.zip", base + [("readme.md", b"hi")])
write("noapp.zip", [(n, d) for n, d in base if n != app])
data = open("b3.zip", "rb").read(); open("trunc.zip", "wb").write(data[: len(data) // 2])
EOF
refuse "bundle: missing asset" missing.zip 3 'missing.zip: missing asset b.bin \(hash [0-9a-f]{64}\): the application depends on it'
refuse "bundle: extra asset" extra.zip 3 'extra.zip: extra asset c.txt'
refuse "bundle: asset hash" hash.zip 3 'hash.zip: asset a.txt: hash does not match'
refuse "bundle: zip slip" slip.zip 3 "slip.zip: unsafe entry name '../evil.txt'"
refuse "bundle: absolute path" abs.zip 3 "abs.zip: unsafe entry name '/etc/evil.txt'"
refuse "bundle: symlink" symlink.zip 3 "symlink.zip: entry 'assets/link' is a symbolic link"
refuse "bundle: duplicate entry" dup.zip 3 "dup.zip: duplicate entry 'assets/a.txt'"
refuse "bundle: bomb" bomb.zip 3 "bomb.zip: entry 'assets/bomb.bin' is larger than 64 MiB"
refuse "bundle: two apps" twoapps.zip 3 "twoapps.zip: more than one application"
refuse "bundle: unexpected entry" other.zip 3 "other.zip: unexpected entry readme.md"
refuse "bundle: no app" noapp.zip 3 "noapp.zip: no application .bin"
refuse "bundle: truncated" trunc.zip 3 "trunc.zip: not a readable zip file"
if command -v zip >/dev/null; then
	mkdir enc && (cd enc && unzip -q ../b3.zip && zip -q -P secret -r ../enc.zip .)
	refuse "bundle: encrypted" enc.zip 3 "enc.zip: cannot open entry"
fi
# An asset within the reference tool's single-asset limit but over what a
# P2 accepts (272 blocks): refused by the device's limit.
mkdir bigassets && head -c 1120000 /dev/urandom >bigassets/big.bin
if "$CLI" bundle fw3.bin --assets bigassets --save big.zip >/dev/null 2>&1; then
	refuse "bundle: asset over the device's limit" big.zip 3 "big.zip: asset big.bin is [0-9]+ bytes as a compressed asset module, over the single asset limit of 1114112 bytes"
else
	bad "could not build the big-asset bundle"
fi
# Assets each within the single limit that together exceed the platform's
# asset storage: refused by the total.  otakit bundle and binary-version-
# reader's bundler both refuse to build such a bundle, so binary-version-
# reader (the oracle, when ../shared is there) only adds the assets'
# dependencies to the application and the zip is written here.
O=$(source "$(dirname "$0")/lib/oracle.sh" >/dev/null 2>&1 && echo "$O")
if [[ -n $O && -f $O/npm/bvr_oracle.js ]]; then
	mkdir manyassets
	for i in 1 2; do head -c 1000000 /dev/urandom >manyassets/part$i.bin; done
	if timeout 120 "$O/node" "$O/npm/bvr_oracle.js" deps fw3.bin many-app.bin manyassets/part1.bin manyassets/part2.bin >/dev/null 2>&1 &&
		python3 -c 'import zipfile
with zipfile.ZipFile("many.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.write("many-app.bin", "many-app.bin")
    for i in (1, 2): z.write(f"manyassets/part{i}.bin", f"assets/part{i}.bin")'; then
		refuse "bundle: assets over the platform's total" many.zip 3 "many.zip: the assets need [0-9]+ bytes of asset storage, [0-9]+ available"
	else
		bad "binary-version-reader could not build the many-asset bundle"
	fi
else
	echo "note: the oracle is absent, the bundle over the total is not tried"
fi
# Nothing of the refused uploads is kept.
[[ $(blobs) == "$n0" ]] && ok "refusals store no file" || bad "refusals left blobs: $n0 -> $(blobs)"
sqlite3 data/otakitd.db "SELECT count(*) FROM firmware" >fwcount1.txt
cmp -s fwcount0.txt fwcount1.txt && ok "refusals store no row" || bad "refusals left rows"

st=$(upload fw3.bin 3 three)
[[ $st == 200 ]] && ok "upload v3 after the refusals" || bad "v3: $st $(cat body.json)"
st=$(req GET /v1/products/1234/firmware "$T")
[[ $(json '[f["version"] for f in j]') == "[3, 2, 1]" ]] && ok "list, newest first" || bad "list: $(cat body.json)"
st=$(req PUT /v1/products/1234/firmware/3 "$T" -H 'Content-Type: application/json' -d '{"title":"renamed","description":"new text"}')
[[ $(json 'j["title"], j["description"]') == "('renamed', 'new text')" ]] && ok "edit title and description" || bad "edit: $(cat body.json)"
curl -s -H "Authorization: Bearer $T" -o dl.zip "$U/v1/products/1234/firmware/2/binary"
cmp -s dl.zip b2.zip && ok "download gives the uploaded bundle" || bad "download differs"
curl -s -D hdr.txt -H "Authorization: Bearer $T" -o dl.bin "$U/v1/products/1234/firmware/1/binary"
cmp -s dl.bin fw1.bin && has "download of a .bin names it" hdr.txt 'filename="fw1.bin"'
[[ $(req GET /v1/products/1234/firmware/9 "$T") == 404 ]] && ok "missing version: 404" || bad "missing version"
[[ $(req GET /v1/products/1234/firmware/x1 "$T") == 400 ]] && ok "bad version in path: 400" || bad "bad path version"

st=$(req PUT /v1/products/1234/devices/$DEV "$T" -H 'Content-Type: application/json' -d '{"desired_firmware_version":1}')
[[ $st == 200 ]] && [[ $(json 'j["desired_firmware_version"]') == 1 ]] && ok "lock to version 1" || bad "lock: $st $(cat body.json)"
st=$(req PUT /v1/products/1234/devices/$DEV "$T" -H 'Content-Type: application/json' -d '{"desired_firmware_version":null}')
[[ $(json 'j["desired_firmware_version"]') == None ]] && ok "unlock with null" || bad "unlock: $(cat body.json)"

st=$(req PUT /v1/products/1234/firmware/release "$T" -H 'Content-Type: application/json' -d '{"version":2,"product_default":true}')
[[ $st == 200 ]] && [[ $(json 'j["product_default"], j["current"]') == "(True, True)" ]] && ok "release as product default" || bad "release: $st $(cat body.json)"
st=$(req PUT /v1/products/1234/firmware/release "$T" -H 'Content-Type: application/json' -d '{"version":3,"groups":["nosuch"]}')
[[ $st == 400 ]] && has "release to a missing group refused" body.json "group to release to does not exist"
st=$(req PUT /v1/products/1234/firmware/release "$T" -d version=3 -d 'groups=eu')
[[ $st == 200 ]] && [[ $(json 'j["groups"], j["product_default"]') == "(['eu'], False)" ]] && ok "release to a group (form)" || bad "group release: $st $(cat body.json)"
st=$(req PUT /v1/products/1234/firmware/release "$T" -d version=3)
[[ $st == 400 ]] && ok "release to nothing refused" || bad "empty release: $st"
st=$(req DELETE /v1/products/1234/firmware/2 "$T")
[[ $st == 400 ]] && has "released version cannot be deleted" body.json "has been released"
st=$(req DELETE /v1/products/1234/firmware/1 "$T")
[[ $st == 200 ]] && [[ $(req GET /v1/products/1234/firmware/1 "$T") == 404 ]] && ok "delete an unreleased version" || bad "delete: $st"

# --- devices and provisioning ----------------------------------------------------
MY=0123456789abcdef0123cccc
openssl ecparam -name prime256v1 -genkey -noout -out ec.pem 2>/dev/null
openssl ec -in ec.pem -pubout -out ec.pub 2>/dev/null
openssl ecparam -name secp384r1 -genkey -noout -out p384.pem 2>/dev/null
openssl ec -in p384.pem -pubout -out p384.pub 2>/dev/null
openssl genrsa -out rsa.pem 2048 2>/dev/null
openssl rsa -in rsa.pem -pubout -out rsa.pub 2>/dev/null
st=$(req POST /v1/devices "$T" -d id=$MY)
[[ $st == 404 ]] && has "claim of an unknown device refused" body.json "not known to this cloud"
st=$(req POST /v1/provisioning/$MY "$T" --data-urlencode publicKey@p384.pub)
[[ $st == 400 ]] && has "provisioning: EC key not on P-256 refused" body.json "not P-256"
st=$(req POST /v1/provisioning/$MY "$T" --data-urlencode "publicKey=garbage")
[[ $st == 400 ]] && has "provisioning: not a key refused" body.json "not a PEM public key"
st=$(req POST /v1/provisioning/$MY "$T" --data-urlencode publicKey@ec.pub -d algorithm=ecc)
[[ $st == 200 ]] && [[ $(json 'j["algorithm"]') == ecc ]] && ok "provisioning: P-256 key" || bad "provision: $st $(cat body.json)"
st=$(req POST /v1/provisioning/0123456789abcdef0123dddd "$T" --data-urlencode publicKey@ec.pub)
[[ $st == 400 ]] && has "provisioning: one key, one device" body.json "belongs to another device"
st=$(req POST /v1/provisioning/0123456789abcdef0123dddd "$T" --data-urlencode publicKey@rsa.pub -d algorithm=ecc)
[[ $st == 400 ]] && has "provisioning: algorithm must match the key" body.json "algorithm is ecc but the key is rsa"
st=$(req POST /v1/devices "$T" -H 'Content-Type: application/json' -d "{\"id\":\"${MY^^}\"}")
[[ $st == 200 ]] && ok "claim (id in capitals)" || bad "claim: $st $(cat body.json)"
st=$(req POST /v1/devices "$TB" -d id=$MY)
[[ $st == 403 ]] && has "claim of someone else's device refused" body.json "claimed by someone else"
st=$(req POST /v1/provisioning/$MY "$TB" --data-urlencode publicKey@rsa.pub)
[[ $st == 403 ]] && ok "provisioning someone else's device refused" || bad "foreign provisioning: $st"
[[ $(req GET /v1/devices/$MY "$TB") == 404 ]] && ok "someone else's device is not found" || bad "foreign device visible"
st=$(req PUT /v1/devices/$MY "$T" -d name=shelf_2)
[[ $st == 200 ]] && [[ $(req GET /v1/devices/$MY "$T") == 200 ]] && [[ $(json 'j["name"]') == shelf_2 ]] && ok "rename" || bad "rename: $st"
st=$(req PUT /v1/devices/$MY "$T" -d "name=no spaces")
[[ $st == 400 ]] && ok "bad name refused" || bad "bad name: $st"
req GET /v1/devices "$T" >/dev/null
[[ $(json '[d["id"] for d in j]') == "['$MY']" ]] && ok "GET /v1/devices lists the claimed device" || bad "devices: $(cat body.json)"
st=$(req PUT /v1/devices/$MY "$T" -F file=@crc.bin)
[[ $st == 400 ]] && has "flash one device: bad CRC refused" body.json "crc.bin: CRC mismatch"
st=$(req PUT /v1/devices/$MY "$T" -F file=@b2.zip -F file_type=binary)
[[ $st == 200 ]] && [[ $(json 'j["status"]') == "Update queued" ]] && ok "flash one device: a bundle is queued" || bad "flash: $st $(cat body.json)"
sqlite3 data/otakitd.db "SELECT count(*) FROM device_flash_assets a JOIN device_flash_queue q ON q.id = a.flash_id WHERE q.device_id = '$MY'" >fa.txt
has "flash one device: the bundle's assets are listed" fa.txt "^2$"
st=$(req PUT /v1/products/1234/devices/0123456789abcdef01234503 "$T" -F file=@argon.bin)
[[ $st == 400 ]] && has "flash a product device: another platform refused" body.json "argon.bin: built for platform 12 \(argon\) but the device.s platform is 32"
st=$(req PUT /v1/products/1234/devices/0123456789abcdef01234503 "$T" -F file=@other.bin)
[[ $st == 200 ]] && ok "flash a product device: any product data will do" || bad "product device flash: $st $(cat body.json)"
st=$(req DELETE /v1/devices/$MY "$T")
[[ $st == 200 ]] && [[ $(req GET /v1/devices/$MY "$T") == 404 ]] && ok "release a device" || bad "unclaim: $st"

# --- events ---------------------------------------------------------------------
stream() { # stream OUT TOKEN PATH: an SSE client in the background, pid in SP
	curl -sN --max-time 20 -H "Authorization: Bearer $2" "$U$3" >"$1" &
	SP+=($!)
}
SP=()
stream ev_all.txt "$T" /v1/devices/events
stream ev_temp.txt "$T" /v1/devices/events/temp
stream ev_prod.txt "$T" /v1/products/1234/events
stream ev_bob.txt "$TB" /v1/devices/events
stream ev_rel.txt "$T" /v1/products/fleet-a/events/particle/firmware
for _ in $(seq 50); do grep -q ':ok' ev_rel.txt 2>/dev/null && break; sleep 0.1; done
st=$(req POST /v1/devices/events "$T" -d name=temp/kitchen -d data=21.5 -d ttl=30)
[[ $st == 200 ]] && ok "publish" || bad "publish: $st"
req POST /v1/devices/events "$T" -H 'Content-Type: application/json' -d '{"name":"hum","data":"40","private":true}' >/dev/null
req POST /v1/products/1234/events "$T" -d name=fleet -d data=x >/dev/null
st=$(req POST /v1/devices/events "$T" -d name=spark/status -d data=online)
[[ $st == 400 ]] && has "reserved event names refused" body.json "reserved"
st=$(req POST /v1/devices/events "$T" -d "name=has space")
[[ $st == 400 ]] && ok "event name with a space refused" || bad "bad event name: $st"
python3 -c 'print("x" * 1100)' >long.txt
st=$(req POST /v1/devices/events "$T" -d name=big --data-urlencode data@long.txt)
[[ $st == 400 ]] && has "event data over 1024 bytes refused" body.json "longer than 1024"
[[ $(req PUT /v1/products/1234/firmware/release "$T" -d version=3 -d product_default=true) == 200 ]] || bad "release for the event"
sleep 0.5
kill "${SP[@]}" 2>/dev/null
wait "${SP[@]}" 2>/dev/null
has "stream opens with :ok" ev_all.txt "^:ok$"
has "user stream gets the event in Particle's SSE form" ev_all.txt '^data: \{"data":"21.5","ttl":30,"published_at":"[0-9T:.-]+Z","coreid":"api"\}$'
has "user stream gets the JSON-published event" ev_all.txt "^event: hum$"
hasnt "user stream does not get product events" ev_all.txt "^event: fleet$"
has "prefix stream gets matching events" ev_temp.txt "^event: temp/kitchen$"
hasnt "prefix stream skips others" ev_temp.txt "^event: hum$"
has "product stream gets product events" ev_prod.txt "^event: fleet$"
hasnt "product stream does not get user events" ev_prod.txt "^event: hum$"
hasnt "another user's stream gets nothing of alice's" ev_bob.txt "^event:"
has "release announced as particle/firmware/release (prefix with '/')" ev_rel.txt '^data: \{"data":"\{\\"version\\":3,\\"product_default\\":true'
hasnt "reserved names were not published" ev_all.txt "spark/status"

# --- access log ------------------------------------------------------------------
python3 - "$tmp/access.log" >log.txt 2>&1 <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
for l in lines:
    o = json.loads(l)
    assert {"time", "method", "path", "status", "ms"} <= o.keys(), l
print("lines", len(lines))
EOF
has "access log: one JSON object per line" log.txt "^lines [0-9]{3}"
if grep -q "$T" "$tmp/access.log"; then bad "access log holds a token"; else ok "access log holds no token"; fi

# --- schema migrations ---------------------------------------------------------
nmig=$(ls "$src"/server/migrations/sqlite/[0-9][0-9][0-9]_*.sql | wc -l)
[[ $(sqlite3 data/otakitd.db "PRAGMA user_version") == "$nmig" ]] && ok "schema at version $nmig" || bad "user_version"
mkdir old newer
sqlite3 old/otakitd.db <"$src/server/migrations/sqlite/001_init.sql"
sqlite3 old/otakitd.db "PRAGMA user_version = 1; INSERT INTO devices(id, created_at) VALUES('0123456789abcdef0123eeee', 1)"
"$D" check --data old >mig.txt 2>&1
[[ $(sqlite3 old/otakitd.db "PRAGMA user_version") == "$nmig" ]] &&
	[[ $(sqlite3 old/otakitd.db "SELECT count(*) FROM devices WHERE public_key_algorithm = ''") == 1 ]] &&
	ok "a schema-1 database is migrated, its rows kept" || bad "migration from 1: $(cat mig.txt)"
sqlite3 newer/otakitd.db "PRAGMA user_version = 99"
"$D" check --data newer >mig.txt 2>&1
[[ $? == 1 ]] && has "a newer database is refused" mig.txt "database schema 99 is newer than this otakitd"

# --- graceful stop and HTTPS ----------------------------------------------------
od_stop TERM
[[ $? == 0 ]] && ok "SIGTERM: exits 0" || bad "SIGTERM exit status"
has "SIGTERM: says it stopped" "$tmp/otakitd.err" "otakitd: stopped"
"$D" check --data data >check.txt 2>&1
has "database consistent after the run" check.txt "^ok$"
if openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 \
	-subj /CN=127.0.0.1 >/dev/null 2>&1; then
	od_start data --cert cert.pem --key key.pem
	U=https://127.0.0.1:$(cat "$tmp/port")
	st=$(req GET /v1/user "$T" -k)
	[[ $st == 200 ]] && ok "HTTPS with --cert and --key" || bad "HTTPS: $st"
	od_stop TERM
fi
# A body trickling in for longer than --request-timeout is cut off (408).
od_start data --request-timeout 1
head -c 400000 /dev/urandom >slow.bin
curl -s -o /dev/null --max-time 60 --limit-rate 40k -H "Authorization: Bearer $T" -F file=@slow.bin \
	-F version=9 -F title=slow "$U/v1/products/1234/firmware"
od_stop TERM
grep '"status":408' "$tmp/access.log" >slow.txt
has "slow body: 408 before it is all in" slow.txt '"bytes_in":[0-9]+,'
python3 -c 'import json,sys; o=json.loads(open("slow.txt").readline()); sys.exit(0 if o["bytes_in"] < 400000 else 1)' &&
	ok "slow body: not read to the end" || bad "slow body read to the end"

[[ $fails -eq 0 ]] && echo "all passed" || echo "$fails failed"
[[ $fails -eq 0 ]]

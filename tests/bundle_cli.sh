#!/bin/bash
# otakit bundle / bundle verify / bundle unpack / binary *-assets: the golden
# application inside the reference bundle, the reference CLI's rules, and
# every bad input failing with a clear message and no output left behind.
# The must-fail cases that need no fixtures run first, on an application
# built here; the rest needs ../shared, and without it the test reports
# skipped (77) once the first part has passed.
set -uo pipefail
cli=${OTK_CLI:?OTK_CLI must name the otakit binary}
source "$(dirname "$0")/lib/check.sh"


# expect_fail NAME PATTERN OUTPUT cmd...: exit 1, stderr matches, OUTPUT absent
expect_fail() {
	local name=$1 pat=$2 out=$3
	shift 3
	"$@" >out.txt 2>err.txt
	local rc=$?
	if [[ $rc -ne 1 ]]; then
		bad "$name: exit $rc, expected 1"; cat err.txt
	elif ! grep -qiE -- "$pat" err.txt; then
		bad "$name: message does not match /$pat/:"; cat err.txt
	elif [[ -n $out ]] && compgen -G "$out*" >/dev/null; then
		bad "$name: output $out left behind"
	else
		ok "$name: $(head -c 160 err.txt | tr '\n' ' ')"
	fi
}

# --- must-fail cases on an application built here (no fixtures) -----------
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 37 + i // 251) & 0xff for i in range(3000)))' >body.bin
"$cli" binary create body.bin --platform argon --index 2 --version 6 --depends system:1:5501 -o own.bin >/dev/null &&
	"$cli" binary create body.bin --platform argon --index 2 --version 6 --depends system:1:5302 -o old.bin >/dev/null ||
	{ echo "FAIL: binary create"; exit 1; }
mkdir -p oa && printf 'meow' >oa/cat.txt && printf 'splash' >oa/water.txt
"$cli" bundle own.bin --assets oa -o own.zip >/dev/null && ok "bundle of an app built here" || bad "bundle own.bin"
# An asset that is itself an asset module is matched by its own HASH
# extension (spec 02), by the bundler, by verify and by inspect alike.
mkdir -p ma && printf 'purr purr purr' >raw.txt &&
	"$cli" binary asset-module raw.txt -o ma/purr.bin >/dev/null || bad "asset-module raw.txt"
if "$cli" bundle own.bin --assets ma -o ma.zip >/dev/null 2>err.txt; then
	"$cli" bundle verify ma.zip >out.txt 2>&1 && ok "verify accepts an asset that is an asset module" ||
		{ bad "verify refuses an asset that is an asset module:"; cat out.txt; }
	"$cli" binary inspect --json ma.zip >out.txt 2>&1 && grep -q '"status": *"ok"' out.txt &&
		! grep -q 'hash mismatch' out.txt && ok "inspect matches an asset module by its HASH" ||
		{ bad "inspect of a bundle with an asset module:"; cat out.txt; }
else
	bad "bundle with an asset-module asset:"; cat err.txt
fi
expect_fail "app does not exist" "The file nope.bin does not exist" x.zip "$cli" bundle nope.bin --assets oa --saveTo x.zip
cp own.bin app.txt
expect_fail "app not .bin" "is not a valid binary" x.zip "$cli" bundle app.txt --assets oa --saveTo x.zip
expect_fail "output not .zip" "must be a .zip file" x.txt "$cli" bundle own.bin --assets oa --saveTo x.txt
expect_fail "assets dir missing" "The assets dir nodir does not exist" x.zip "$cli" bundle own.bin --assets nodir --saveTo x.zip
expect_fail "Device OS < 5.5.0 (own)" "Asset support only available for Device OS 5.5.0 and above" x.zip \
	"$cli" bundle old.bin --assets oa --saveTo x.zip
head -c 1000 /dev/urandom >junk.bin
expect_fail "app not a module" "not a module" x.zip "$cli" bundle junk.bin --assets oa --saveTo x.zip
cp own.bin crc.bin && printf '\x55' | dd of=crc.bin bs=1 seek=100 conv=notrunc 2>/dev/null
expect_fail "bad CRC" "CRC mismatch \(stored [0-9a-f]{8}, computed [0-9a-f]{8}\)" x.zip \
	"$cli" bundle crc.bin --assets oa --saveTo x.zip
expect_fail "no project.properties" "No project.properties" x.zip "$cli" bundle own.bin --saveTo x.zip
cp own.zip exists.zip
expect_fail "output exists" "already exists" "" "$cli" bundle own.bin --assets oa --saveTo exists.zip
cmp exists.zip own.zip && ok "existing output untouched" || bad "existing output clobbered"
"$cli" bundle own.bin --assets oa --saveTo exists.zip --force >/dev/null && ok "--force replaces" || bad "--force"
# asset names too long for the suffix (u16) and assets over the platform's limits
mkdir -p long
for i in $(seq 1 240); do printf '%s' "$i" >"long/$(printf '%03d' "$i")$(printf 'n%.0s' $(seq 1 240))"; done
expect_fail "names too long for the suffix" "does not fit in the module suffix" x.zip \
	"$cli" bundle own.bin --assets long --saveTo x.zip
mkdir -p huge && head -c 1300000 /dev/urandom >huge/big.bin
expect_fail "single asset over limit" "Asset big.bin exceeds maximum single asset size limit by [0-9]+ bytes" x.zip \
	"$cli" bundle own.bin --assets huge --saveTo x.zip
mkdir -p two && head -c 600000 /dev/urandom >two/a.bin && head -c 600000 /dev/urandom >two/b.bin
expect_fail "total over limit" "Total size of assets exceeds platform limits by [0-9]+ bytes" x.zip \
	"$cli" bundle own.bin --assets two --saveTo x.zip
echo '{"bad-name": "x"}' >badenv.json
expect_fail "env bad name" "Invalid variable name" x.zip "$cli" bundle own.bin --assets oa --env badenv.json -o x.zip
"$cli" bundle unpack own.zip -o un0 >/dev/null && cmp un0/assets/cat.txt oa/cat.txt && ok "unpack own.zip" ||
	bad "unpack own.zip"
expect_fail "unpack into existing dir" "exists" "" "$cli" bundle unpack own.zip -o un0

# hostile zips around the application built here
python3 - own.bin <<'EOF'
import sys, zipfile, struct
app = open(sys.argv[1], 'rb').read()
def mk(name, entries, attrs=None):
    with zipfile.ZipFile(name, 'w', zipfile.ZIP_DEFLATED) as z:
        for n, d in entries:
            zi = zipfile.ZipInfo(n)
            zi.compress_type = zipfile.ZIP_DEFLATED
            if attrs and n in attrs:
                zi.create_system = 3
                zi.external_attr = attrs[n] << 16
            z.writestr(zi, d)
import warnings; warnings.simplefilter('ignore')
mk('dotdot.zip', [('app.bin', app), ('assets/../../evil.txt', b'x')])
mk('abs.zip', [('app.bin', app), ('/tmp/evil.txt', b'x')])
mk('link.zip', [('app.bin', app), ('assets/cat.txt', b'/etc/passwd')], {'assets/cat.txt': 0o120777})
mk('dup.zip', [('app.bin', app), ('assets/cat.txt', b'a'), ('assets/cat.txt', b'b')])
mk('extra.zip', [('app.bin', app), ('assets/cat.txt', b'x')])
# zip bomb: 64 MiB of zeros whose directory claims 1000 bytes
with zipfile.ZipFile('bomb.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('app.bin', app)
    z.writestr('assets/cat.txt', b'\0' * (64 << 20))
b = bytearray(open('bomb.zip', 'rb').read())
i = b.rfind(b'PK\x01\x02')          # central entry of assets/cat.txt
struct.pack_into('<I', b, i + 24, 1000)
j = b.rfind(b'PK\x03\x04')
struct.pack_into('<I', b, j + 22, 1000)
open('bomb.zip', 'wb').write(b)
EOF
expect_fail "zip entry with .." "unsafe entry name" u1 "$cli" bundle unpack dotdot.zip -o u1
expect_fail "zip absolute path" "unsafe entry name" u2 "$cli" bundle unpack abs.zip -o u2
expect_fail "zip symlink" "symbolic link" u3 "$cli" bundle unpack link.zip -o u3
expect_fail "zip duplicate names" "duplicate entry" u4 "$cli" bundle unpack dup.zip -o u4
expect_fail "zip bomb (size lies)" "size does not match|corrupt" u5 "$cli" bundle unpack bomb.zip -o u5
expect_fail "extra asset" "missing asset|extra asset|hash does not match" u6 "$cli" bundle unpack extra.zip -o u6
[[ ! -e /tmp/evil.txt && ! -e ../evil.txt ]] && ok "nothing escaped" || bad "a file escaped"
for z in dotdot abs link dup bomb; do
	"$cli" binary inspect $z.zip >/dev/null 2>&1 && bad "inspect accepted $z.zip" || ok "inspect rejects $z.zip"
done

shared=${OTK_SHARED:-}
if [[ -z $shared || ! -d $shared ]]; then
	echo "$fails failure(s) in the cases that need no fixtures"
	[[ $fails -eq 0 ]] || exit 1
	echo "skipped: the rest needs the shared fixtures (OTK_SHARED='$shared')"
	exit 77
fi
F=$shared/fixtures/particle
B=$F/bundles

# --- golden: the app inside the reference's bundle ---------------------------
if "$cli" bundle "$B/valid/app.bin" --assets "$B/valid/otaAssets" --saveTo v.zip >/dev/null &&
	mkdir -p ours ref && unzip -q v.zip -d ours && unzip -q "$B/valid/bundle_app_1719510886367.zip" -d ref &&
	cmp ours/app.bin ref/app.bin && diff -r ours ref >/dev/null; then
	ok "valid bundle: app byte-identical to the reference bundle's, same assets"
else
	bad "valid bundle differs from bundle_app_1719510886367.zip"
fi
names=$(unzip -Z1 v.zip | tr '\n' ' ')
[[ $names == "app.bin assets/cat.txt assets/house.txt assets/water.txt " ]] &&
	ok "entries: $names" || bad "entries: $names"
[[ $(unzip -v v.zip) == *"Defl:X"* ]] && ok "deflate level 9" || bad "not deflate level 9"

# PROJECT_DIR form and project.properties in the current folder
"$cli" bundle "$B/valid" -o p.zip >/dev/null && unzip -q p.zip -d p && cmp p/app.bin ref/app.bin &&
	ok "bundle PROJECT_DIR" || bad "bundle PROJECT_DIR"
(cd "$B/valid" && "$cli" bundle app.bin --saveTo "$tmp/c.zip" >/dev/null) && unzip -q c.zip -d c &&
	cmp c/app.bin ref/app.bin && ok "project.properties in cwd" || bad "project.properties in cwd"
(cd "$B/valid" && "$cli" bundle app.bin --assets project.properties --saveTo "$tmp/d.zip" >/dev/null) &&
	ok "--assets project.properties" || bad "--assets project.properties"
# default name bundle_app_MILLIS.zip
"$cli" bundle "$B/valid/app.bin" --assets "$B/valid/otaAssets" >/dev/null &&
	compgen -G "bundle_app_[0-9]*.zip" >/dev/null && ok "default name bundle_app_N.zip" || bad "default name"
rm -f bundle_app_*.zip

# verify, inspect, unpack of ours and the reference's
for z in v.zip "$B/valid/bundle_app_1719510886367.zip" "$B/bundle.zip"; do
	"$cli" bundle verify "$z" >/dev/null 2>err.txt && ok "verify $(basename "$z")" ||
		{ bad "verify $(basename "$z")"; cat err.txt; }
	"$cli" binary inspect "$z" >/dev/null && ok "inspect $(basename "$z")" || bad "inspect $(basename "$z")"
done
"$cli" bundle unpack v.zip -o un >/dev/null && cmp un/app.bin ref/app.bin && diff -r un ref >/dev/null &&
	ok "unpack" || bad "unpack"
"$cli" bundle unpack v.zip -o un --force >/dev/null && ok "unpack --force" || bad "unpack --force"

# nested folders and dotfiles are skipped; zero assets still bundles
"$cli" bundle "$B/valid/app.bin" --assets "$B/nested_dir/assets" -o n.zip >/dev/null &&
	[[ $(unzip -Z1 n.zip | tr '\n' ' ') == "app.bin assets/file1.txt assets/file2.txt " ]] &&
	ok "nested_dir: only file1.txt file2.txt" || { bad "nested_dir"; unzip -Z1 n.zip; }
"$cli" bundle "$B/zero_assets" -o z.zip >/dev/null && [[ $(unzip -Z1 z.zip) == app.bin ]] &&
	unzip -p z.zip app.bin | cmp - "$B/zero_assets/app.bin" && ok "zero assets: app unchanged" || bad "zero assets"

# list-assets / strip-assets / asset-module
[[ $("$cli" binary list-assets ref/app.bin) == *"  water.txt"* ]] && ok "list-assets" || bad "list-assets"
"$cli" binary strip-assets ref/app.bin -o s.bin >/dev/null && cmp s.bin "$B/valid/app.bin" &&
	ok "strip-assets restores app.bin" || bad "strip-assets"
cp ref/app.bin r.bin && "$cli" binary strip-assets r.bin >/dev/null && cmp r-no-assets.bin "$B/valid/app.bin" &&
	ok "strip-assets default name r-no-assets.bin" || bad "strip-assets default name"
expect_fail "strip-assets without assets" "No assets found" none.bin "$cli" binary strip-assets "$B/valid/app.bin" -o none.bin
expect_fail "strip-assets no clobber" "already exists" "" "$cli" binary strip-assets ref/app.bin -o s.bin
"$cli" binary asset-module "$F/assets/cat.jpg" -o u.bin --no-compress >/dev/null &&
	cmp u.bin "$F/golden/cat.jpg.asset-module-uncompressed.bin" && ok "asset-module --no-compress golden" ||
	bad "asset-module --no-compress"
"$cli" binary asset-module "$F/assets/cat.jpg" -o cz.bin >/dev/null &&
	"$cli" binary decompress cz.bin -o cz.raw >/dev/null &&
	"$cli" binary decompress "$F/golden/cat.jpg.asset-module.bin" -o gz.raw >/dev/null && cmp cz.raw gz.raw &&
	ok "asset-module inflates like the golden" || bad "asset-module compressed"

# --- the reference CLI's rules and messages --------------------------------
expect_fail "Device OS < 5.5.0" "Asset support only available for Device OS 5.5.0 and above" x.zip \
	"$cli" bundle "$F/binaries/tracker-tinker@5.3.1.bin" --assets "$B/valid/otaAssets" --saveTo x.zip
expect_fail "no assetOtaDir" "Add assetOtaDir" x.zip "$cli" bundle "$B/valid-no-prop/app.bin" \
	--assets "$B/valid-no-prop/project.properties" --saveTo x.zip
# --strict: p2 (Tinker raised to Device OS 5.5.0) with one asset between the
# device's limit (1,114,112) and the reference's (1,179,648; total 1,138,688)
python3 - "$F/binaries/p2-tinker@5.3.1.bin" p2.bin <<'EOF2'
import sys, hashlib, struct, zlib
b = bytearray(open(sys.argv[1], 'rb').read())
struct.pack_into('<H', b, 18, 5500)
b[-38:-6] = hashlib.sha256(b[:-38]).digest()
struct.pack_into('>I', b, len(b) - 4, zlib.crc32(bytes(b[:-4])))
open(sys.argv[2], 'wb').write(b)
EOF2
mkdir -p strict && head -c 1120000 /dev/urandom >strict/s.bin
"$cli" bundle p2.bin --assets strict -o st.zip >/dev/null 2>err.txt && ok "p2 1.12 MB asset: fits the reference's limits" ||
	{ bad "p2 1.12 MB asset refused without --strict"; cat err.txt; }
expect_fail "--strict: device single-asset limit" "Asset s.bin exceeds the device's single asset limit by [0-9]+ bytes" st2.zip \
	"$cli" bundle p2.bin --assets strict -o st2.zip --strict
"$cli" bundle verify st.zip >/dev/null && ok "verify st.zip" || bad "verify st.zip"
expect_fail "verify --strict" "device's single asset limit" "" "$cli" bundle verify --strict st.zip
expect_fail "result over the user part" "Resulting module exceeds platform size limits by [0-9]+ bytes" x.zip \
	"$cli" bundle "$F/binaries/tracker-max-size@5.5.0-rc.1.bin" --assets "$B/valid/otaAssets" --saveTo x.zip

# --- bad bundles ---------------------------------------------------------
expect_fail "missing asset" "missing asset" "" "$cli" bundle verify "$B/bundle-missing-assets.zip"
expect_fail "hash mismatch" "hash does not match" "" "$cli" bundle verify "$B/bundle-asset-hash-no-match.zip"
expect_fail "invalid bundle" "." "" "$cli" bundle verify "$B/invalid-bundle.zip"
expect_fail "unpack missing asset" "missing asset" un2 "$cli" bundle unpack "$B/bundle-missing-assets.zip" -o un2
expect_fail "unpack hash mismatch" "hash does not match" un3 "$cli" bundle unpack "$B/bundle-asset-hash-no-match.zip" -o un3

# --- environment variables -----------------------------------------------
"$cli" bundle "$B/valid_env/app.bin" --assets "$B/valid_env/otaAssets" --env "$B/valid_env/env.json" -o e.zip >/dev/null &&
	[[ $(unzip -Z1 e.zip | tr '\n' ' ') == "app.bin assets/cat.txt assets/house.txt assets/water.txt assets/env-vars env/env-vars.json " ]] &&
	"$cli" bundle verify e.zip >/dev/null && ok "env: env-vars asset and env/env-vars.json" || { bad "env"; unzip -Z1 e.zip; }
echo "$fails failure(s)"
[[ $fails -eq 0 ]]

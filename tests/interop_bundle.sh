#!/bin/bash
# Interoperability of Asset OTA bundles with Particle's own tools:
# - bundles we make: the app is byte-identical to binary-version-reader's
#   createApplicationAndAssetBundle, its unpack accepts them, and
#   `particle binary inspect` reports every asset hash as ok;
# - bundles the reference makes are accepted by `otakit bundle verify`;
# - asset modules we make are accepted by the reference reader and inflate to
#   the same module as the reference's.
# Several platforms (argon, boron, tracker: suffix; p2, msom, trackerm:
# grows-left) and asset sets.  Skips (77) only when the shared folder is absent; if the
# reference tools cannot be installed, the test fails.
set -uo pipefail
cli=${OTK_CLI:?OTK_CLI must name the otakit binary}
source "$(dirname "$0")/lib/oracle.sh"
bvr=("$O/node" "$O/npm/bvr_oracle.js")
F=$shared/fixtures/particle
source "$(dirname "$0")/lib/check.sh"

# Applications needing Device OS 5.5.0: the fixture, and the Tinker builds
# with their dependency raised to 5500 (resealed) so `bundle` accepts them.
cp "$F/bundles/valid/app.bin" argon.bin
# The same p2 build relabelled msom (35) and trackerm (28), and the argon app
# relabelled boron (13), exercise the platform table's grows-left and limits.
python3 - "$F/binaries/p2-tinker@5.3.1.bin" p2.bin "$F/binaries/tracker-tinker@5.3.1.bin" tracker.bin \
	"$F/binaries/p2-tinker@5.3.1.bin" msom.bin "$F/binaries/p2-tinker@5.3.1.bin" trackerm.bin \
	"$F/bundles/valid/app.bin" boron.bin <<'EOF'
import sys, hashlib, struct, zlib
relabel = {'msom.bin': 35, 'trackerm.bin': 28, 'boron.bin': 13}
for src, dst in zip(sys.argv[1::2], sys.argv[2::2]):
    b = bytearray(open(src, 'rb').read())
    if dst in relabel:
        struct.pack_into('<H', b, 12, relabel[dst])
    struct.pack_into('<H', b, 18, 5500)
    b[-38:-6] = hashlib.sha256(b[:-38]).digest()
    struct.pack_into('>I', b, len(b) - 4, zlib.crc32(bytes(b[:-4])))
    open(dst, 'wb').write(b)
EOF

# Asset sets
mkdir -p set_small set_golden set_many
cp "$F/bundles/valid/otaAssets/"* set_small/
cp "$F/assets/btgap.a" "$F/assets/cat.jpg" set_golden/
for i in $(seq 1 40); do printf 'asset %d\n' "$i" >"set_many/file_$i.txt"; done
head -c 3000 /dev/urandom >set_many/random.dat

for app in argon p2 tracker msom trackerm boron; do
	sets=(set_small set_golden set_many)
	[[ $app == msom || $app == trackerm || $app == boron ]] && sets=(set_many)
	for set in "${sets[@]}"; do
		tag="$app+$set"
		mkdir -p "ours_$tag" "ref_$tag"
		if ! "$cli" bundle "$app.bin" --assets "$set" --saveTo "ours_$tag.zip" >out.txt 2>err.txt; then
			bad "$tag: otakit bundle failed: $(cat err.txt)"
			continue
		fi
		mapfile -t files < <(cd "$set" && LC_ALL=C ls | sed "s|^|$set/|")
		if ! "${bvr[@]}" bundle "$app.bin" "ref_$tag.zip" "${files[@]}" >/dev/null 2>err.txt; then
			bad "$tag: reference bundle failed: $(cat err.txt)"
			continue
		fi
		unzip -q "ours_$tag.zip" -d "ours_$tag" && unzip -q "ref_$tag.zip" -d "ref_$tag"
		if cmp -s "ours_$tag/$app.bin" "ref_$tag/$app.bin" && diff -r "ours_$tag" "ref_$tag" >/dev/null; then
			ok "$tag: app byte-identical to createApplicationAndAssetBundle's, same assets"
		else
			bad "$tag: differs from the reference bundle"
		fi
		if "${bvr[@]}" unpack "ours_$tag.zip" >unpack.json 2>err.txt &&
			python3 -c 'import json,sys; d=json.load(open("unpack.json")); sys.exit(0 if d["application"] and len(d["assets"])==int(sys.argv[1]) else 1)' \
				"$(ls "$set" | wc -l)"; then
			ok "$tag: binary-version-reader unpacks ours"
		else
			bad "$tag: binary-version-reader unpack: $(cat err.txt)"
		fi
		"$O/particle" binary inspect "ours_$tag.zip" >inspect.txt 2>&1
		n=$(grep -c '(hash [0-9a-f]\{64\})' inspect.txt)
		if ! grep -q failed inspect.txt && [[ $n -eq $(ls "$set" | wc -l) ]]; then
			ok "$tag: particle binary inspect: $n hashes ok"
		else
			bad "$tag: particle binary inspect"; tail -5 inspect.txt
		fi
		"$cli" bundle verify "ref_$tag.zip" >/dev/null 2>err.txt && ok "$tag: otakit verifies the reference's bundle" ||
			bad "$tag: otakit bundle verify of reference: $(cat err.txt)"
	done
done

# Reference CLI bundles (particle bundle), including --env, read by us.
mkdir -p cliproj && cp "$F/bundles/valid_env/app.bin" cliproj/ && cp -r "$F/bundles/valid_env/otaAssets" cliproj/ &&
	chmod -R u+w cliproj && : >cliproj/project.properties
if (cd cliproj && "$O/particle" bundle app.bin --assets otaAssets --env "$F/bundles/valid_env/env.json" --saveTo ref_env.zip >/dev/null 2>&1); then
	"$cli" bundle verify cliproj/ref_env.zip >/dev/null 2>err.txt && ok "otakit verifies particle bundle --env" ||
		bad "verify particle bundle --env: $(cat err.txt)"
	"$cli" bundle "$F/bundles/valid_env/app.bin" --assets "$F/bundles/valid_env/otaAssets" \
		--env "$F/bundles/valid_env/env.json" -o ours_env.zip >/dev/null
	mkdir -p e1 e2 && unzip -q ours_env.zip -d e1 && unzip -q cliproj/ref_env.zip -d e2
	diff -r e1 e2 >/dev/null && ok "--env: same app, env-vars asset and env/env-vars.json as particle bundle" ||
		{ bad "--env differs from particle bundle"; diff -r e1 e2 | head -5; }
else
	bad "particle bundle --env failed"
fi

# Asset modules: accepted by the reference reader, same module once inflated.
for a in "$F/assets/cat.jpg" "$F/assets/btgap.a" "$F/bundles/valid/otaAssets/cat.txt"; do
	n=$(basename "$a")
	"$cli" binary asset-module "$a" -o "ours_$n.mod" >/dev/null
	"$cli" binary asset-module "$a" -o "ours_$n.raw" --no-compress >/dev/null
	"${bvr[@]}" asset "$a" "$n" "ref_$n.raw" nocompress >/dev/null 2>&1
	cmp -s "ours_$n.raw" "ref_$n.raw" && ok "asset module $n (uncompressed) byte-identical" ||
		bad "asset module $n uncompressed differs"
	if "${bvr[@]}" decompress "ours_$n.mod" "inflated_$n" >/dev/null 2>&1 && cmp -s "inflated_$n" "ref_$n.raw"; then
		ok "asset module $n: reference inflates ours to its own module"
	else
		bad "asset module $n: reference decompress"
	fi
	"${bvr[@]}" parse "ours_$n.mod" >parse.json 2>/dev/null &&
		python3 -c 'import json,sys; d=json.load(open("parse.json")); sys.exit(0 if d["crc"]["ok"] and d["prefixInfo"]["moduleFunction"]==9 else 1)' &&
		ok "asset module $n: reference parser, CRC ok" || bad "asset module $n: reference parse"
done

# Limits: the reference and we agree on over/under (byte counts depend on the
# zlib build, so only the kind of failure is compared).
mkdir -p lim_single lim_total
head -c 1300000 /dev/urandom >lim_single/big.bin
head -c 600000 /dev/urandom >lim_total/a.bin && head -c 600000 /dev/urandom >lim_total/b.bin
for set in lim_single lim_total; do
	mapfile -t files < <(ls "$set"/*)
	r=$("${bvr[@]}" limits argon.bin "${files[@]}" 2>&1 | head -1)
	"$cli" bundle argon.bin --assets "$set" -o "lim_$set.zip" >/dev/null 2>err.txt
	o=$(cat err.txt)
	kind_r=$([[ $r == *"single asset"* ]] && echo single || ([[ $r == *"Total size"* ]] && echo total || echo none))
	kind_o=$([[ $o == *"single asset"* ]] && echo single || ([[ $o == *"Total size"* ]] && echo total || echo none))
	[[ $kind_r == "$kind_o" && $kind_o != none && ! -e lim_$set.zip ]] &&
		ok "limits $set: both say '$kind_o' (reference: ${r#AssetLimitError: })" || bad "limits $set: reference '$r', ours '$o'"
done

echo "$fails failure(s)"
[[ $fails -eq 0 ]]

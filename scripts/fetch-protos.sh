#!/bin/sh
# Puts Particle's control-request .proto files (npm package
# @particle/device-os-protobuf, pinned version) into DEST, for the build to
# generate nanopb (device side) and protobuf-c (host side) code from.  The
# files are never part of the repository.
#
# Order of sources: $OTK_PROTO_DIR (an unpacked package), the copy the
# particle-cli oracle installs under ~/.cache/otakit-oracle, then
# `npm pack` (needs the network).  Exit 77 when none is available, so the
# build can leave the USB parts out and say why.
set -eu
dest=${1:?usage: fetch-protos.sh DEST}
version=2.9.0
pkg=@particle/device-os-protobuf
stamp="$dest/.version"

[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ] && exit 0

have_tree() { [ -f "$1/control/storage.proto" ] && [ -f "$1/cloud/describe.proto" ] &&
	[ -f "$1/package.json" ] && grep -q "\"version\": \"$version\"" "$1/package.json"; }

src=""
for cand in "${OTK_PROTO_DIR:-}" \
	"${HOME:-/root}/.cache/otakit-oracle/npm/node_modules/$pkg" \
	/root/.cache/otakit-oracle/npm/node_modules/$pkg; do
	if [ -n "$cand" ] && have_tree "$cand"; then
		src=$cand
		break
	fi
done

tmp=""
if [ -z "$src" ] && command -v npm >/dev/null 2>&1; then
	tmp=$(mktemp -d)
	if (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null 2>&1); then
		tar -xzf "$tmp"/*.tgz -C "$tmp"
		have_tree "$tmp/package" && src="$tmp/package"
	fi
fi
if [ -z "$src" ]; then
	[ -n "$tmp" ] && rm -rf "$tmp"
	echo "fetch-protos: $pkg@$version not available (no local copy, npm pack failed)" >&2
	exit 77
fi

mkdir -p "$dest"
rm -rf "$dest/control" "$dest/cloud" "$dest/nanopb"
cp -R "$src/control" "$src/cloud" "$src/nanopb" "$dest/"
[ -n "$tmp" ] && rm -rf "$tmp"
echo "$version" >"$stamp"

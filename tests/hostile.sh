#!/bin/bash
# The host library under hostile use (issue 10): signals in the middle of a
# write, --force onto devices and links, outputs that otakit itself would
# refuse to read, bundles from pipes, shared state.  Self-contained: needs no
# ../shared.
set -uo pipefail
otakit=${OTK_CLI:?}
build=${OTK_BUILD:?}
source "$(dirname "$0")/lib/check.sh"
fat=""
cleanup() {
	# A vfat mount must go before its folder does.
	[ -n "$fat" ] && umount "$fat" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# --- shared state: the hex parser keeps no writable globals ------------------
# A threaded server parses hex in several threads at once; a lazily filled
# table is a data race.  Writable data shows in nm as b/B/d/D.
hexobj=$(find "$build/host" -name 'hex.c.o' | head -1)
if [ -z "$hexobj" ]; then
	bad "hex.c.o not found under $build/host"
elif writable=$(nm "$hexobj" | awk '$2 ~ /^[bBdD]$/ { print $3 }') && [ -z "$writable" ]; then
	ok "hex.c keeps no writable static data"
else
	bad "hex.c has writable static data: $writable"
fi

# --- the atomic writer ----------------------------------------------------------
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 7 + i // 13) & 0xff for i in range(300000)))' > body.bin
expect 0 "user part" "$otakit" binary create body.bin --platform p2 --version 3 -o app.bin

# The file size limit (SIGXFSZ) in the middle of a write leaves no OUT.tmpXXXXXX.
mkdir xfsz
# (the braces take bash's own "File size limit exceeded" report)
{ (ulimit -f 64; exec "$otakit" hex from-bin app.bin -o xfsz/app.hex) >/dev/null 2>&1; } 2>/dev/null
st=$?
left=$(ls -A xfsz)
if [ "$st" -eq $((128 + 25)) ] && [ -z "$left" ]; then
	ok "SIGXFSZ during hex from-bin leaves nothing behind"
else
	bad "SIGXFSZ during hex from-bin: exit $st, left: $left"
fi

# --force onto a link to /dev/null writes to /dev/null and keeps the link.
ln -s /dev/null null-link
expect 0 "" "$otakit" binary compress app.bin -o null-link --force
if [ -L null-link ] && [ -c /dev/null ]; then
	ok "--force onto a link to /dev/null keeps the link and the device"
else
	bad "--force onto a link to /dev/null replaced: $(ls -l null-link)"
fi

# --force onto a FIFO writes into it (a reader gets the bytes) and keeps it.
"$otakit" binary compress app.bin -o ref.z.bin >/dev/null 2>&1
mkfifo fifo
timeout 20 cat fifo > from-fifo &
reader=$!
"$otakit" binary compress app.bin -o fifo --force >/dev/null 2>&1
st=$?
wait "$reader"
if [ "$st" -eq 0 ] && [ -p fifo ] && cmp -s from-fifo ref.z.bin; then
	ok "--force onto a FIFO writes into it"
else
	bad "--force onto a FIFO: exit $st, fifo $(stat -c %F fifo), $(stat -c %s from-fifo) bytes read"
fi

# -o - writes the output to standard output (messages may follow it).
mkdir dash && (cd dash && "$otakit" binary compress ../app.bin -o - > ../dash.out 2>/dev/null)
st=$?
if [ "$st" -eq 0 ] && [ ! -e dash/- ] &&
   head -c "$(stat -c %s ref.z.bin)" dash.out | cmp -s - ref.z.bin; then
	ok "-o - writes to standard output"
else
	bad "-o -: exit $st, $(ls -A dash) in the folder"
fi

# A real vfat file system (no hard links, no RENAME_NOREPLACE through FUSE):
# write, refuse without --force, replace with it, nothing left behind.
if command -v fusefat >/dev/null && command -v mkfs.vfat >/dev/null &&
   [ -w /dev/fuse ] && truncate -s 16M fat.img && mkfs.vfat fat.img >/dev/null 2>&1 &&
   mkdir fatfs && fusefat -o rw+ fat.img fatfs >/dev/null 2>&1 && fat=$tmp/fatfs &&
   mountpoint -q fatfs; then
	expect 0 "user part" "$otakit" binary create body.bin --platform p2 --version 3 -o fatfs/app.bin
	cmp -s fatfs/app.bin app.bin && ok "vfat: written" || bad "vfat: content differs"
	expect 1 "already exists" "$otakit" binary create body.bin --platform p2 --version 4 -o fatfs/app.bin
	cmp -s fatfs/app.bin app.bin && ok "vfat: kept without --force" || bad "vfat: clobbered"
	expect 0 "version 4" "$otakit" binary create body.bin --platform p2 --version 4 -o fatfs/app.bin --force
	expect 0 "" "$otakit" hex from-bin app.bin -o fatfs/app.hex
	left=$(ls -A fatfs | grep -v -x -e app.bin -e app.hex)
	[ -z "$left" ] && ok "vfat: no temporary files left" || bad "vfat: left $left"
else
	echo "skip vfat: cannot mount a vfat image here (fusefat, dosfstools, /dev/fuse)"
fi

# --- bundles from pipes (the zip is held in memory under a cap) ----------------
head -c 3000 body.bin >small.bin
"$otakit" binary create small.bin --platform argon --index 2 --version 6 --depends system:1:5501 \
	-o argon.bin >/dev/null 2>&1
mkdir -p pa && printf 'meow' >pa/cat.txt
if "$otakit" bundle argon.bin --assets pa -o b.zip >/dev/null 2>&1; then
	"$otakit" binary inspect b.zip >direct.txt 2>&1
	for how in pipe redirect fifo; do
		case $how in
		pipe) out=$(cat b.zip | "$otakit" binary inspect /dev/stdin 2>&1) ;;
		redirect) out=$("$otakit" binary inspect /dev/stdin <b.zip 2>&1) ;;
		fifo)
			rm -f zfifo && mkfifo zfifo
			(timeout 20 cat b.zip >zfifo &)
			out=$(timeout 20 "$otakit" binary inspect zfifo 2>&1)
			;;
		esac
		if grep -q "cat.txt" <<<"$out" && ! grep -qi "error\|not a readable" <<<"$out"; then
			ok "binary inspect of a bundle through a $how"
		else
			bad "binary inspect of a bundle through a $how:"
			sed 's/^/     | /' <<<"$out" | head -8
		fi
	done
	out=$(cat b.zip | "$otakit" bundle verify - 2>&1)
	st=$?
	if [ "$st" -eq 0 ] && ! grep -qi "not a readable\|cannot read" <<<"$out"; then
		ok "bundle verify - reads standard input"
	else
		bad "bundle verify -: exit $st:"
		sed 's/^/     | /' <<<"$out" | head -8
	fi
else
	bad "bundle of argon.bin for the pipe tests"
fi

echo "hostile: $passes passed, $fails failed"
[ "$fails" -eq 0 ]

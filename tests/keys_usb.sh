#!/bin/bash
# otakit keys against the virtual device on the virtual USB bus, checked
# against particle-cli 3.51.0 both ways: the device key otakit loads is the
# key `particle keys save` reads; the server key and address `particle keys
# server` writes is what `otakit keys address` shows, and the reverse with
# `particle keys address`; the bytes land at the DCT offsets of
# particle-cli's keys-specs.js (checked in the device's dct.bin).  Refusals
# (not a key, an RSA key, a bad address) leave the DCT as it was.
set -uo pipefail
source "$(dirname "$0")/lib/oracle.sh"
APP=${OTK_BUILD:?}/vdev/otakit-vbus
source "$(dirname "$0")/lib/vdev.sh"
need_umockdev_preload
export HOME=$tmp/home
mkdir -p "$HOME"
P=$O/particle
K=$OTK_CLI
ID=0123456789abcdef0123456a

# on SCRIPT: the device on a fresh bus, SCRIPT run there.
on() {
	timeout 300 "$V" run ar --usb -- bash -c "$1" >run.txt 2>&1
}
# slot OFFSET LENGTH: the device's DCT bytes there, as hex
slot() { od -An -v -tx1 -j "$1" -N "$2" ar/dct.bin | tr -d ' \n'; }
hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }

"$V" create ar --platform argon --id $ID >/dev/null || bad "create argon"
openssl ecparam -name prime256v1 -genkey -noout -out srv.pem 2>/dev/null
openssl ec -in srv.pem -pubout -out srv.pub.pem 2>/dev/null
openssl ec -in srv.pem -pubout -outform DER -out srv.pub.der 2>/dev/null

# --- device key: otakit writes, particle reads ---------------------------------------------
"$K" keys new dev >new.txt 2>&1 && ok "keys new" || bad "keys new: $(cat new.txt)"
openssl ec -in dev.pem -noout 2>/dev/null && openssl ec -inform DER -in dev.der -noout 2>/dev/null &&
	openssl pkey -pubin -in dev.pub.pem -noout 2>/dev/null && ok "keys new: three files openssl reads" ||
	bad "keys new files"
cp dev.der dev.der.orig
"$K" keys new dev >new2.txt 2>&1
[[ $? == 1 ]] && cmp -s dev.der dev.der.orig && ok "keys new keeps existing files without --force" ||
	bad "keys new overwrote: $(cat new2.txt)"
on "'$K' keys load dev.der >load.txt 2>&1 && '$P' keys save p1 --force >psave.txt 2>&1"
[[ $? == 0 ]] && ok "otakit keys load, particle keys save" || { bad "load/save"; cat run.txt load.txt psave.txt; }
has "load reads the key back" load.txt "Key dev.der written to device $ID"
n=$(stat -c %s dev.der)
[[ $(slot 3106 "$n") == $(hexof dev.der) ]] && ok "the key is at DCT offset 3106" || bad "DCT 3106: $(slot 3106 "$n")"
[[ $(head -c "$n" p1.der | od -An -v -tx1 | tr -d ' \n') == $(hexof dev.der) ]] &&
	ok "particle keys save reads the key otakit loaded" || bad "particle read $(hexof p1.der)"

# --- server key and address: particle writes, otakit reads, and back ----------------------------
on "'$P' keys server srv.pub.der --host 10.1.2.3 --port 5999 >pserver.txt 2>&1 &&
	'$K' keys address --json >addr1.json 2>&1 && '$K' keys address >addr1.txt 2>&1"
[[ $? == 0 ]] && ok "particle keys server, otakit keys address" || { bad "server/address"; cat run.txt pserver.txt addr1.json; }
[[ $(python3 -c 'import json; j=json.load(open("addr1.json")); print(j["host"], j["port"], j["stored"], j["key"])') == "10.1.2.3 5999 True True" ]] &&
	ok "otakit reads particle's address and port" || bad "address: $(cat addr1.json)"
has "address as a URL" addr1.txt "^udp://10\.1\.2\.3:5999$"
nd=$(stat -c %s srv.pub.der)
[[ $(slot 3298 "$nd") == $(hexof srv.pub.der) ]] && ok "particle put the server key at 3298" || bad "DCT 3298"
cp ar/dct.bin dct.particle
on "'$K' keys server srv.pub.pem --host cloud.example.org --port 6000 >server.txt 2>&1 &&
	'$P' keys address >paddr.txt 2>&1"
[[ $? == 0 ]] && ok "otakit keys server, particle keys address" || { bad "server 2"; cat run.txt server.txt paddr.txt; }
has "particle reads otakit's host name and port" paddr.txt "udp://cloud\.example\.org:6000"
[[ $(slot 3298 "$nd") == $(hexof srv.pub.der) ]] && ok "the server key in DER at 3298" || bad "DCT key"
on "'$K' keys server srv.pub.der --host 10.1.2.3 --port 5999 >server3.txt 2>&1"
cmp -s ar/dct.bin dct.particle && ok "otakit lays out key, address and port byte for byte as particle does" ||
	bad "layouts differ: $(cmp ar/dct.bin dct.particle)"
on "'$K' keys server srv.pem >server4.txt 2>&1 && '$K' keys address >addr4.txt 2>&1"
has "without --host the stored address is kept" addr4.txt "^udp://10\.1\.2\.3:5999$"

# --- save; refusals leave the DCT alone -------------------------------------------------------------
on "'$K' keys save back >save.txt 2>&1"
cmp -s back.der dev.der && ok "keys save gives the loaded key back" || bad "save: $(cat save.txt run.txt)"
cmp -s back.pub.pem dev.pub.pem && ok "keys save writes its public half" || bad "save pub"
cp ar/dct.bin dct.before
openssl genrsa -out rsa.pem 1024 2>/dev/null
openssl ecparam -name secp384r1 -genkey -noout -out p384.pem 2>/dev/null
head -c 300 /dev/urandom >junk.der
on "'$K' keys load rsa.pem >e1.txt 2>&1; echo \$? >>e1.txt
	'$K' keys load p384.pem >e2.txt 2>&1; echo \$? >>e2.txt
	'$K' keys load junk.der >e3.txt 2>&1; echo \$? >>e3.txt
	'$K' keys server srv.pub.der --host 300.1.1.1 >e4.txt 2>&1; echo \$? >>e4.txt
	'$K' keys load missing.der >e5.txt 2>&1; echo \$? >>e5.txt"
has "an RSA key is refused" e1.txt "rsa.pem: not a P-256"
has "a P-384 key is refused" e2.txt "p384.pem: not a P-256"
has "junk is refused" e3.txt "junk.der: not an EC private key"
has "a bad IPv4 address is refused" e4.txt "--host 300.1.1.1: not a host name or IPv4 address"
has "a missing file is named" e5.txt "missing.der: "
[[ $(tail -qn1 e1.txt e2.txt e3.txt e4.txt e5.txt | tr -d '\n') == 11111 ]] && ok "each refusal exits 1" || bad "statuses"
cmp -s ar/dct.bin dct.before && ok "refusals leave the DCT as it was" || bad "DCT changed by a refusal"

# --- a new key replaces the old, which is kept --------------------------------------------------------
"$K" keys new dev2 >/dev/null 2>&1
on "'$K' keys load dev2.der >load2.txt 2>&1"
has "the replaced key is saved first" load2.txt "Saved the device's previous key to ./backup_ec_dev2.der"
cmp -s backup_ec_dev2.der dev.der && ok "backup holds the previous key" || bad "backup"
n2=$(stat -c %s dev2.der)
[[ $(slot 3106 "$n2") == $(hexof dev2.der) ]] && ok "the new key is in the DCT" || bad "new key"
"$K" help keys doctor | grep -q "^Example" && ok "keys doctor has help with an example" || bad "doctor help"
expect 2 "need one KEY file" "$K" keys load

echo "$fails failure(s)"
[[ $fails == 0 ]]

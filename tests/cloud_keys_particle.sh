#!/bin/bash
# The cloud keys in a virtual device's DCT agree with particle-cli 3.51 (the
# oracle, on the virtual USB bus, reading and writing DFU alt 1): `particle
# keys address` reads what `otakit-vdev keys server` wrote, `otakit-vdev keys
# address` reads what `particle keys server` wrote (a name and a port), and
# the private key `particle keys save` reads is the device key otakit-vdev
# made at create.
set -uo pipefail
source "$(dirname "$0")/lib/oracle.sh"
APP=${OTK_BUILD:?}/vdev/otakit-vbus
source "$(dirname "$0")/lib/vdev.sh"
need_umockdev_preload
export HOME=$tmp/home
mkdir -p "$HOME"
P=$O/particle

"$V" create ar --platform argon >/dev/null || bad "create argon"
openssl ecparam -name prime256v1 -genkey -noout -out s.pem 2>/dev/null
openssl ec -in s.pem -pubout -outform DER -out s.der 2>/dev/null
expect 0 "server key set, 10.1.2.3 port 5999" "$V" keys server ar s.der --host 10.1.2.3 --port 5999
expect 0 "^udp://10.1.2.3:5999$" "$V" keys address ar
"$V" keys device ar >dev.pub.pem
timeout 300 "$V" run ar --usb --dfu -- bash -c "'$P' keys address >addr.txt 2>&1;
	'$P' keys save --force saved.der >save.txt 2>&1;
	'$P' keys server s.der --host example.org --port 6001 >ks.txt 2>&1" >run.txt 2>&1 ||
	{ bad "run --usb"; cat run.txt; }
has "particle keys address reads otakit-vdev's DCT" addr.txt '^udp://10\.1\.2\.3:5999$'
openssl ec -inform DER -in saved.der -pubout 2>/dev/null >saved.pub.pem
cmp -s saved.pub.pem dev.pub.pem && ok "particle keys save: the device key otakit-vdev made" ||
	{ bad "particle keys save"; cat save.txt; }
has "particle keys server wrote the DCT" ks.txt 'New keys in place'
expect 0 "^udp://example.org:6001$" "$V" keys address ar
[[ $fails == 0 ]] && echo "ok: cloud keys agree with particle-cli" || { echo "FAIL: $fails"; exit 1; }

#!/bin/bash
# Issue 15's vertical slice: a virtual device with its key and the server's
# key, address and port in its DCT connects to otakitd over DTLS, says
# Hello and describes itself; PUT /v1/devices/:id queues the hello app,
# otakitd sends it by OTA v3, the device applies it, resets and runs it,
# and spark/flash/status started/success reach the event stream.  Then the
# device is killed (kill -9) in the middle of a second transfer and
# restarted: the transfer resumes at the prefix it saved, and otakitd sends
# fewer bytes than the file (the counts are printed).  The same through a
# relay that drops, duplicates and reorders datagrams.  A Hello naming
# another device than the key's is refused.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/otakitd.sh"
V=$build/vdev/otakit-vdev
APP=$build/examples/hello/hello.bin
if [[ ! -x $V || ! -f $APP ]]; then
	echo "skipped: $V or $APP not built"
	exit 77
fi
VP= SP= RP=
stop_bg() {
	for p in $VP $SP $RP; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	VP= SP= RP=
}
trap 'stop_bg; od_cleanup' EXIT

# wait_for FILE REGEX SECONDS: true once the line is there
wait_for() {
	for _ in $(seq $(($3 * 10))); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

mkdir data
od_start data --udp 127.0.0.1:0 --udp-port-file "$tmp/uport"
for _ in $(seq 50); do [[ -s uport ]] && break; sleep 0.1; done
UP=$(cat uport)
od_user alice alice-password
T=$(od_token alice alice-password)
openssl ec -in data/server-key.pem -pubout -outform DER -out server.pub.der 2>/dev/null

# --- the device: its key made by create, the server's set like particle keys server ---
"$V" create dev --platform gcc >create.out 2>&1 || { bad "create"; cat create.out; }
expect 0 "server key set, 127.0.0.1 port $UP" "$V" keys server dev server.pub.der --host 127.0.0.1 --port "$UP"
expect 2 "need DIR SERVER.der --host" "$V" keys server dev server.pub.der
"$V" keys device dev >dev.pub.pem
has "keys device prints the public key" dev.pub.pem '^-----BEGIN PUBLIC KEY-----$'
# the DCT bytes where particle-cli puts them: address type 0, 4 bytes; port big-endian
addr=$(od -An -tx1 -j $((3298 + 192)) -N 6 dev/dct.bin | tr -d ' \n')
[[ $addr == 00047f000001 ]] && ok "DCT server address at 3298+192: $addr" || bad "DCT address: $addr"
port=$(od -An -tu1 -j $((3298 + 258)) -N 2 dev/dct.bin | awk '{print $1 * 256 + $2}')
[[ $port == "$UP" ]] && ok "DCT port at 3298+258, big-endian" || bad "DCT port $port, want $UP"
DEV=$(sed -n 's/^id=//p' dev/device.conf)
st=$(req POST /v1/provisioning/$DEV "$T" --data-urlencode publicKey@dev.pub.pem)
[[ $st == 200 ]] && ok "device key provisioned" || bad "provisioning: $st $(cat body.json)"
st=$(req POST /v1/devices "$T" -d id=$DEV)
[[ $st == 200 ]] && ok "device claimed" || bad "claim: $st $(cat body.json)"

curl --max-time 200 -sN -H "Authorization: Bearer $T" "$U/v1/devices/events" >sse.txt 2>/dev/null &
SP=$!
"$V" run dev --cloud --for 120 >vdev.log 2>&1 &
VP=$!
wait_for vdev.log 'cloud: connected' 30
has "device: DTLS established" vdev.log 'cloud: DTLS session established'
has "device: Hello and describe acknowledged" vdev.log 'cloud: connected, Hello and describe acknowledged'
has "otakitd: Hello from the device the key belongs to" otakitd.err "hello from device $DEV \(platform 3, system [0-9]+, flags 0xe0\)"
has "otakitd: the device described itself" otakitd.err "device $DEV described itself"
hasnt "otakitd: the planner's decoder reads the describe" otakitd.err 'describe not understood'

# --- flash the online device ---
st=$(req PUT /v1/devices/$DEV "$T" -F file=@"$APP")
[[ $st == 200 ]] && ok "PUT /v1/devices/:id queued the app" || bad "PUT: $st $(cat body.json)"
wait_for vdev.log 'hello from setup\(\)' 60
has "device: OTA v3 transfer from byte 0" vdev.log 'update: OTA v3 transfer of [0-9]+ bytes starts at byte 0'
has "device: applied, then reset" vdev.log 'update: received over the air, applied; resetting'
has "device: rebooted" vdev.log 'reset: rebooting'
has "device: the copy at boot" vdev.log 'update: 1 module\(s\) copied into place'
has "device: the new app runs" vdev.log "\[app\] INFO: hello from setup\(\) on device $DEV"
has "device: reconnected after the reset" <(grep -c 'cloud: DTLS session established' vdev.log) '^2$'
has "otakitd: delivered, bytes counted" otakitd.err "$DEV: user-flash delivered: [0-9]+ bytes sent"
wait_for sse.txt 'success ' 10
has "event stream: spark/flash/status started" sse.txt '"data":"started "'
has "event stream: spark/flash/status success" sse.txt '"data":"success "'
hasnt "event stream: nothing failed" sse.txt '"data":"failed "'
stop_bg

# --- killed in the middle of a transfer: the resume starts at the saved prefix ---
size=$(stat -c %s "$APP")
curl --max-time 200 -sN -H "Authorization: Bearer $T" "$U/v1/devices/events" >sse2.txt 2>/dev/null &
SP=$!
OTK_VDEV_FLASH_DELAY_MS=40 "$V" run dev --cloud --for 90 >cut.log 2>&1 &
VP=$!
wait_for cut.log 'cloud: connected' 30
st=$(req PUT /v1/devices/$DEV "$T" -F file=@"$APP")
[[ $st == 200 ]] && ok "the app queued again" || bad "PUT: $st"
if wait_for cut.log 'update: progress saved at byte (8192|1[0-9]{4})' 60; then
	kill -KILL $VP; wait $VP 2>/dev/null; VP=
	ok "device killed after saving progress: $(grep -o 'saved at byte [0-9]*' cut.log | tail -1)"
else
	bad "no progress saved"; cat cut.log
fi
"$V" run dev --cloud --for 90 >resume.log 2>&1 &
VP=$!
wait_for resume.log 'copied into place' 60   # the old app runs first: wait for the new one
has "device: the transfer resumes past byte 0" resume.log 'update: OTA v3 transfer of [0-9]+ bytes starts at byte [1-9][0-9]*'
has "otakitd: resumed at the device's offset" otakitd.err "resuming at byte [1-9][0-9]* of $size"
line=$(grep "$DEV: user-flash delivered" otakitd.err | tail -1)
sent=$(sed -E 's/.*delivered: ([0-9]+) bytes sent.*/\1/' <<<"$line")
from=$(sed -E 's/.* from byte ([0-9]+) of.*/\1/' <<<"$line")
echo "     resumed transfer: $sent bytes sent from byte $from of $size"
[[ -n $sent && $sent -lt $size && $from -gt 0 ]] && ok "the resumed transfer sent fewer bytes than the file" ||
	bad "resumed transfer: '$line'"
has "device: the app runs after the resumed update" resume.log 'update: 1 module\(s\) copied into place'
wait_for sse2.txt 'success ' 10
has "event stream: success after the resume" sse2.txt '"data":"success "'
stop_bg

# --- through a relay that loses, duplicates and reorders datagrams ---
# (numbered both ways together; the first 20, the handshake, pass)
seq_list() { seq -s, "$1" "$2" 400; }
rm -f rport
python3 "$here/lib/udp_relay.py" rport "$UP" --drop "$(seq_list 25 7)" \
	--dup "$(seq_list 23 11)" --swap "$(seq_list 27 13)" --seconds 100 2>relay.log &
RP=$!
for _ in $(seq 50); do [[ -s rport ]] && break; sleep 0.1; done
expect 0 "server key set" "$V" keys server dev server.pub.der --host 127.0.0.1 --port "$(cat rport)"
"$V" run dev --cloud --for 90 >lossy.log 2>&1 &
VP=$!
wait_for lossy.log 'cloud: connected' 40
st=$(req PUT /v1/devices/$DEV "$T" -F file=@"$APP")
[[ $st == 200 ]] && ok "the app queued for the lossy link" || bad "PUT: $st"
wait_for lossy.log 'copied into place' 80
has "lossy link: delivered, applied and booted" lossy.log 'update: 1 module\(s\) copied into place'
line=$(grep "$DEV: user-flash delivered" otakitd.err | tail -1)
echo "     lossy link: ${line#*delivered: }"
has "lossy link: the device saw duplicates or chunks out of order" <(echo "$line") \
	'"dup_chunks":[1-9]|"ooo_chunks":[1-9]'
has "the relay dropped, duplicated and held datagrams" <(sort -u <(grep -oE 'dropped|holding' relay.log)) 'holding'
stop_bg

# --- a Hello for another device from this key is refused ---
"$V" keys server dev server.pub.der --host 127.0.0.1 --port "$UP" >/dev/null
sed -i 's/^id=.*/id=0123456789abcdef01234567/' dev/device.conf
timeout 30 "$V" run dev --cloud --for 8 >other.log 2>&1
has "device: Hello for another id refused" other.log 'cloud: Hello refused \(4\.03\)'
has "otakitd: refused a Hello for another id" otakitd.err "Hello for device 0123456789abcdef01234567 from the key of $DEV: refused"

od_stop || bad "otakitd exit status"
[[ $fails == 0 ]] && echo "ok: cloud OTA" || { echo "FAIL: $fails"; cat otakitd.err; exit 1; }

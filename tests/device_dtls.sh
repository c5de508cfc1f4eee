#!/bin/bash
# otakitd's device endpoint against Particle's DTLS client (devsim, built
# from ../shared/oracle/particle-dtls on Particle's mbedtls fork configured
# as Device OS) and against otakit's own client: handshake with an 8-byte
# CID and a CoAP reply, unknown keys refused, plain CoAP carried through
# devsim's proxy, a source address change mid-session (no new handshake),
# a type-253 record after a resume, otakitd restarted (the device resumes
# without a handshake), and loss, duplication and reordering of datagrams
# during and after the handshake through a UDP relay.
set -uo pipefail
source "$(dirname "$0")/lib/otakitd.sh"
shared=${OTK_SHARED:-}
if [[ -z $shared || ! -x $shared/oracle/particle-dtls/build.sh ]]; then
	echo "skipped: shared fixtures absent (OTK_SHARED='$shared')"
	exit 77
fi
DS=$("$shared/oracle/particle-dtls/build.sh" | tail -1) || { echo "FAIL: devsim does not build"; exit 1; }
client=$build/tests/otk-dtls-client
peer=$build/tests/otk-coap-peer
relay=$(dirname "$0")/lib/udp_relay.py
relay_pid=
trap 'kill $relay_pid 2>/dev/null; od_cleanup' EXIT

openssl ecparam -name prime256v1 -genkey -noout -out server.key.pem 2>/dev/null
openssl ec -in server.key.pem -pubout -outform DER -out server.pub.der 2>/dev/null
for k in dev other; do
	openssl ecparam -name prime256v1 -genkey -noout -out $k.key.pem 2>/dev/null
	openssl ec -in $k.key.pem -pubout -out $k.pub.pem 2>/dev/null
done
start() {
	rm -f uport
	od_start data --udp 127.0.0.1:0 --udp-port-file "$tmp/uport" --server-key server.key.pem
	for _ in $(seq 50); do [[ -s uport ]] && break; sleep 0.1; done
	UP=$(cat uport)
}
mkdir data
start
od_user alice alice-password
T=$(od_token alice alice-password)
DEV=0123456789abcdef01234567
st=$(req POST /v1/provisioning/$DEV "$T" --data-urlencode publicKey@dev.pub.pem)
[[ $st == 200 ]] && ok "device key provisioned" || bad "provisioning: $st $(cat body.json)"

# --- Particle's client ---
timeout 60 "$DS" once 127.0.0.1 "$UP" dev.key.pem server.pub.der >once.out 2>once.err
st=$?
[[ $st == 0 ]] && ok "devsim once: exit 0" || { bad "devsim once: exit $st"; cat once.out once.err; }
has "devsim: DTLS 1.2 with CCM-8" once.out '^devsim: handshake ok in .*DTLSv1.2 TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8'
has "devsim: the server assigned an 8-byte CID" once.out '^devsim: connection id: 8 bytes [0-9a-f]{16}$'
has "devsim: Hello answered with ACK 2.04" once.out '^devsim: reply: ACK 2\.04 '
has "otakitd: the handshake found the device by its key" otakitd.err "device $DEV: handshake complete"

timeout 60 "$DS" once 127.0.0.1 "$UP" other.key.pem server.pub.der >unk.out 2>unk.err
st=$?
[[ $st != 0 ]] && ok "devsim with an unprovisioned key fails (exit $st)" || bad "unknown key accepted"
has "unknown key: refused with an alert" otakitd.err 'session ended \(alert 49\)'

rm -f proxy.log
free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PPORT=$(free_port)
DEVSIM_PROXY_S=60 timeout 90 "$DS" proxy "$PPORT" 127.0.0.1 "$UP" dev.key.pem server.pub.der 2>proxy.log &
PP=$!
for _ in $(seq 100); do grep -qs "proxy ready" proxy.log && break; sleep 0.1; done
if ! grep -qs "proxy ready" proxy.log; then
	bad "devsim proxy did not come up: $(cat proxy.log)"
else
	timeout 30 "$peer" get 127.0.0.1 "$PPORT" h post >/dev/null 2>proxy_get.log
	has "plain CoAP through devsim's proxy: Hello gets ACK 2.04" proxy_get.log '^ACK 2\.04$'
	timeout 30 "$peer" get 127.0.0.1 "$PPORT" nothing >/dev/null 2>proxy_get.log
	has "through the proxy: another path gets ACK 4.04" proxy_get.log '^ACK 4\.04$'
fi
kill "$PP" 2>/dev/null; wait "$PP" 2>/dev/null

# Particle's client behind a NAT that rebinds its port right after the handshake
rm -f rport
python3 "$relay" rport "$UP" --rebind-after-handshake --seconds 60 2>relay0.log &
relay_pid=$!
for _ in $(seq 50); do [[ -s rport ]] && break; sleep 0.1; done
n0=$(grep -c "handshake complete" otakitd.err)
timeout 60 "$DS" once 127.0.0.1 "$(cat rport)" dev.key.pem server.pub.der >nat.out 2>nat.err
has "NAT rebinding: the relay changed the source port" relay0.log 'rebound to port'
has "NAT rebinding: devsim's Hello answered on the new port" nat.out '^devsim: reply: ACK 2\.04 '
has "NAT rebinding: otakitd moved the session by CID" otakitd.err 'moved \(CID, type 25\)'
[[ $(grep -c "handshake complete" otakitd.err) == $((n0 + 1)) ]] && ok "NAT rebinding: one handshake only" || bad "NAT rebinding: extra handshakes"
kill $relay_pid 2>/dev/null; wait $relay_pid 2>/dev/null

# --- otakit's client: address change, resume, restart ---
hs() { grep -c "device $DEV: handshake complete" otakitd.err; }
timeout 60 "$client" 127.0.0.1 "$UP" dev.key.pem server.pub.der --hello --save s.bin >c1.out 2>&1 ||
	bad "otk-dtls-client handshake: $(cat c1.out)"
has "otk-dtls-client: Hello answered" c1.out '^coap: ACK 2\.04$'
n0=$(hs)
m0=$(grep -c "device $DEV moved (CID, type 25)" otakitd.err)
timeout 60 "$client" 127.0.0.1 "$UP" dev.key.pem server.pub.der --load s.bin --save s.bin --rebind --hello >c2.out 2>&1
has "new source address: the session continues by CID" c2.out '^coap: ACK 2\.04$'
[[ $(grep -c "device $DEV moved (CID, type 25)" otakitd.err) == $((m0 + 1)) ]] && ok "otakitd saw the move" || bad "otakitd did not log the move"

timeout 60 "$client" 127.0.0.1 "$UP" dev.key.pem server.pub.der --load s.bin --save s.bin --move --hello >c3.out 2>&1
has "type-253 record after a resume is accepted" c3.out '^coap: ACK 2\.04$'
has "otakitd saw a type-253 move" otakitd.err "moved \(CID, type 253\)"
[[ $(hs) == "$n0" ]] && ok "no new handshake for moves and resumes" || bad "handshakes: $n0 -> $(hs)"
# a replayed resume (the same saved counters again) is dropped by the replay window
cp s.bin stale.bin
timeout 60 "$client" 127.0.0.1 "$UP" dev.key.pem server.pub.der --load s.bin --save s.bin --hello >/dev/null 2>&1
if timeout 10 "$client" 127.0.0.1 "$UP" dev.key.pem server.pub.der --load stale.bin --hello --wait 3 >c4.out 2>&1; then
	bad "records with reused sequence numbers were answered"
else
	ok "reused record numbers are dropped (replay window)"
fi

# a device that lost its session starts again from the same address and port
LP=$(free_port)
for i in 1 2; do
	timeout 60 "$client" 127.0.0.1 "$UP" dev.key.pem server.pub.der --port "$LP" --hello >same$i.out 2>&1
	has "new handshake $i from one address and port" same$i.out '^coap: ACK 2\.04$'
done

od_stop
mv otakitd.err otakitd.err.1
start
timeout 60 "$client" 127.0.0.1 "$UP" dev.key.pem server.pub.der --load s.bin --save s.bin --hello >c5.out 2>&1
has "otakitd restarted: the device resumes" c5.out '^coap: ACK 2\.04$'
hasnt "otakitd restarted: no handshake" otakitd.err "handshake complete"
# a CID nobody assigned is dropped
python3 - s.bin >forged.bin <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[10] ^= 0xff   # first byte of the saved own CID
sys.stdout.buffer.write(bytes(b))
PY
if timeout 10 "$client" 127.0.0.1 "$UP" dev.key.pem server.pub.der --load forged.bin --hello --wait 3 >/dev/null 2>&1; then
	bad "a forged CID was answered"
else
	ok "unknown CID dropped"
fi

# --- loss, duplication, reordering through a relay ---
rm -f rport
python3 "$relay" rport "$UP" --drop 2,6 --dup 3,7,9 --swap 5 --seconds 60 2>relay.log &
relay_pid=$!
for _ in $(seq 50); do [[ -s rport ]] && break; sleep 0.1; done
DEVSIM_HS_TIMEOUT_MS=300,3000 timeout 60 "$DS" once 127.0.0.1 "$(cat rport)" dev.key.pem server.pub.der >lossy.out 2>lossy.err
st=$?
[[ $st == 0 ]] && ok "lossy path: devsim completes through retransmission" || { bad "lossy devsim: $st"; cat lossy.out lossy.err relay.log; }
has "lossy path: the relay dropped, duplicated and reordered" relay.log 'dropped 6'
kill $relay_pid 2>/dev/null; wait $relay_pid 2>/dev/null
rm -f rport
python3 "$relay" rport "$UP" --dup 11,12 --drop 13 --seconds 60 2>relay2.log &
relay_pid=$!
for _ in $(seq 50); do [[ -s rport ]] && break; sleep 0.1; done
timeout 60 "$client" 127.0.0.1 "$(cat rport)" dev.key.pem server.pub.der --hello --wait 30 >c6.out 2>&1
has "otk-dtls-client through loss and duplication" c6.out '^coap: ACK 2\.04$'
kill $relay_pid 2>/dev/null; wait $relay_pid 2>/dev/null

od_stop || bad "otakitd exit status"
[[ $fails == 0 ]] && echo "ok: device endpoint" || { echo "FAIL: $fails"; cat otakitd.err; exit 1; }

#!/bin/bash
# Many sessions in otakitd's one UDP event loop: N (default 2000) devices,
# provisioned through the HTTP API, each on its own socket in one
# otk-dtls-load process (tests/dtls/dtls_load.c), complete their handshakes
# (64 at a time); every session's CoAP Hello is answered; after all were
# idle, every device sends from a new source port and every Hello is
# answered again (routing by CID); otakitd still answers HTTP and a new
# device afterwards.  Loopback only; a 300 s guard against hangs, no speed
# assertions (bench/dtls_sessions.sh measures).
set -uo pipefail
source "$(dirname "$0")/lib/otakitd.sh"
for t in curl openssl python3; do
	command -v $t >/dev/null || { echo "skipped: $t is not installed"; exit 77; }
done
N=${OTK_LOAD_DEVICES:-2000}
load=$build/tests/otk-dtls-load
client=$build/tests/otk-dtls-client

openssl ecparam -name prime256v1 -genkey -noout -out server.key.pem 2>/dev/null
openssl ec -in server.key.pem -pubout -outform DER -out server.pub.der 2>/dev/null
mkdir data
od_start data --udp 127.0.0.1:0 --udp-port-file "$tmp/uport" --server-key server.key.pem
for _ in $(seq 50); do [[ -s uport ]] && break; sleep 0.1; done
UP=$(cat uport)
od_user alice alice-password
T=$(od_token alice alice-password)

"$load" keygen "$N" keys.pem prov.cfg "$U" "$T" || bad "keygen"
timeout 300 curl -s -K prov.cfg >prov.out
[[ $(grep -c '^200$' prov.out) == "$N" ]] && ok "$N device keys provisioned" ||
	bad "provisioning: $(sort prov.out | uniq -c)"

timeout 300 "$load" run 127.0.0.1 "$UP" keys.pem server.pub.der --pid "$OD_PID" >load.out 2>load.err
st=$?
cat load.out
[[ $st == 0 ]] && ok "otk-dtls-load: exit 0" || { bad "otk-dtls-load: exit $st"; head -20 load.err; }
val() { awk -v k="$1" '$1 == k { print $2 }' load.out; }
[[ $(val handshakes_ok) == "$N" ]] && ok "$N handshakes" || bad "handshakes: $(val handshakes_ok) of $N"
[[ $(val round1_replies) == "$N" ]] && ok "round 1: every session's Hello answered" ||
	bad "round 1: $(val round1_replies) of $N replies"
[[ $(val round2_replies) == "$N" ]] && ok "round 2, new source ports: every Hello answered by CID" ||
	bad "round 2: $(val round2_replies) of $N replies"
[[ $(grep -c 'handshake complete' otakitd.err) == "$N" ]] && ok "otakitd: $N handshakes, no more" ||
	bad "otakitd logged $(grep -c 'handshake complete' otakitd.err) handshakes"
[[ $(grep -c 'moved (CID' otakitd.err) == "$N" ]] && ok "otakitd: $N sessions moved by CID" ||
	bad "otakitd logged $(grep -c 'moved (CID' otakitd.err) moves"
[[ $(val rss_per_session_bytes) =~ ^[0-9]+$ ]] && ok "RSS per session measured" || bad "no RSS figure"

# otakitd still answers: HTTP, and a new device's handshake
kill -0 "$OD_PID" 2>/dev/null && ok "otakitd alive" || bad "otakitd died"
st=$(req GET /v1/devices "$T")
[[ $st == 200 ]] && ok "HTTP API answers after the load" || bad "HTTP after load: $st"
openssl ecparam -name prime256v1 -genkey -noout -out last.key.pem 2>/dev/null
openssl ec -in last.key.pem -pubout -out last.pub.pem 2>/dev/null
st=$(req POST /v1/provisioning/10adffffffffffffffffffff "$T" --data-urlencode publicKey@last.pub.pem)
[[ $st == 200 ]] || bad "provisioning the last device: $st"
timeout 60 "$client" 127.0.0.1 "$UP" last.key.pem server.pub.der --hello >last.out 2>&1
has "a new device's handshake and Hello after the load" last.out '^coap: ACK 2\.04$'

od_stop || bad "otakitd exit status"
[[ $fails == 0 ]] && echo "ok: device endpoint under load" || { echo "FAIL: $fails"; tail -50 otakitd.err; exit 1; }

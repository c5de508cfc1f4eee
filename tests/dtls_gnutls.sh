#!/bin/bash
# otakit's DTLS against GnuTLS (gnutls-bin), an implementation someone else
# wrote: gnutls-cli --udp with raw public keys and CCM-8 against otakitd in
# RFC 7250 mode (a CoAP Hello answered), otakit's client against
# gnutls-serv --udp (cookie, server Certificate with its raw key, client
# key, echo), and the modes kept apart: GnuTLS expects a server
# Certificate, which Particle mode never sends.
set -uo pipefail
source "$(dirname "$0")/lib/otakitd.sh"
for t in gnutls-cli gnutls-serv openssl; do
	if ! command -v $t >/dev/null; then
		echo "skipped: $t not installed (scripts/install-deps.sh installs gnutls-bin)"
		exit 77
	fi
done
client=$build/tests/otk-dtls-client
PRIO="NORMAL:-VERS-ALL:+VERS-DTLS1.2:-CIPHER-ALL:+AES-128-CCM-8:-KX-ALL:+ECDHE-ECDSA:-GROUP-ALL:+GROUP-SECP256R1:+CTYPE-CLI-RAWPK:+CTYPE-SRV-RAWPK:-CTYPE-CLI-X509:-CTYPE-SRV-X509"
gs_pid=
trap 'kill $gs_pid 2>/dev/null; od_cleanup' EXIT

for k in server dev; do
	openssl ecparam -name prime256v1 -genkey -noout -out $k.key.pem 2>/dev/null
	openssl pkcs8 -topk8 -nocrypt -in $k.key.pem -out $k.p8.pem
	openssl ec -in $k.key.pem -pubout -out $k.pub.pem 2>/dev/null
	openssl ec -in $k.key.pem -pubout -outform DER -out $k.pub.der 2>/dev/null
done
start() {
	rm -f uport
	od_start data --udp 127.0.0.1:0 --udp-port-file "$tmp/uport" --server-key server.key.pem "$@"
	for _ in $(seq 50); do [[ -s uport ]] && break; sleep 0.1; done
	UP=$(cat uport)
}
mkdir data
start --udp-mode rfc7250
od_user alice alice-password
T=$(od_token alice alice-password)
st=$(req POST /v1/provisioning/0123456789abcdef01234567 "$T" --data-urlencode publicKey@dev.pub.pem)
[[ $st == 200 ]] && ok "device key provisioned" || bad "provisioning: $st"

# gnutls-cli: a CoAP CON POST /h (mid 0x1234) once the handshake is done;
# its standard input stays open until the answer is there (or up to $3 x 0.2 s)
gcli() {
	rm -f gcli.out gcli.err
	(
		sleep 1
		printf '\x40\x02\x12\x34\xb1h'
		for _ in $(seq "${3:-100}"); do
			od -An -tx1 gcli.out 2>/dev/null | tr -d ' \n' | grep -q '60441234$' && break
			grep -qE 'Fatal error|Error in handshake' gcli.out gcli.err 2>/dev/null && break
			sleep 0.2
		done
	) | timeout 30 gnutls-cli --udp -p "$UP" 127.0.0.1 --priority "$PRIO" \
		--rawpkkeyfile "$1" --rawpkfile "$2" --insecure >gcli.out 2>gcli.err
	cat gcli.out gcli.err >gcli.all
}
gcli dev.p8.pem dev.pub.pem
has "gnutls-cli: handshake with raw public keys and CCM-8" gcli.all 'Description: \(DTLS1.2-Raw Public Key\)-\(ECDHE-SECP256R1\)-\(ECDSA-SHA256\)-\(AES-128-CCM-8\)'
od -An -tx1 gcli.out | tr -d ' \n' >gcli.hex
# what the server sent comes after gnutls-cli's own lines
has "gnutls-cli: Hello answered with ACK 2.04 mid 0x1234" gcli.hex '0a0a60441234$'
has "otakitd: close_notify from gnutls-cli ends the session" otakitd.err 'session ended \(alert 0\)'

# an unprovisioned key
openssl ecparam -name prime256v1 -genkey -noout -out x.key.pem 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in x.key.pem -out x.p8.pem
openssl ec -in x.key.pem -pubout -out x.pub.pem 2>/dev/null
gcli x.p8.pem x.pub.pem 15
hasnt "gnutls-cli with an unknown key: no handshake" gcli.all 'Handshake was completed'
has "gnutls-cli with an unknown key: a fatal alert" gcli.all 'fatal alert has been received'
has "otakitd refused the unknown key with access_denied" otakitd.err 'session ended \(alert 49\)'
od_stop

# Particle mode sends no server Certificate: a standard RFC 7250 client cannot finish
start
gcli dev.p8.pem dev.pub.pem 15
hasnt "Particle mode is not RFC 7250: gnutls-cli does not complete" gcli.all 'Handshake was completed'
od_stop

# otakit's client against gnutls-serv
P=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
timeout 60 gnutls-serv --udp -p "$P" --echo --require-client-cert --priority "$PRIO" \
	--rawpkkeyfile server.p8.pem --rawpkfile server.pub.pem >gserv.log 2>&1 &
gs_pid=$!
for _ in $(seq 50); do grep -q "listening on IPv4" gserv.log && break; sleep 0.1; done
timeout 30 "$client" 127.0.0.1 "$P" dev.key.pem server.pub.der --mode rfc7250 --no-cid \
	--send "hello gnutls" --wait 20 >ours.out 2>&1
has "otk-dtls-client against gnutls-serv: handshake" ours.out '^handshake ok$'
has "otk-dtls-client against gnutls-serv: echo" ours.out "^reply: $(printf 'hello gnutls' | od -An -tx1 | tr -d ' \n')$"
# the wrong pinned server key is refused
if timeout 30 "$client" 127.0.0.1 "$P" dev.key.pem dev.pub.der --mode rfc7250 --no-cid \
	--send x --wait 10 >wrong.out 2>&1; then
	bad "a server with another key was accepted"
else
	ok "gnutls-serv with another key than the pinned one is refused"
fi
kill $gs_pid 2>/dev/null; wait $gs_pid 2>/dev/null

[[ $fails == 0 ]] && echo "ok: GnuTLS interop" || { echo "FAIL: $fails"; exit 1; }

#!/bin/bash
# otakit's CoAP codec and reliability layer against libcoap's plain-UDP
# client and server (Debian libcoap3-bin): CON and NON, piggy-backed and
# separate responses, Block2 downloads and a Block1 upload, both directions.
set -euo pipefail
build=${OTK_BUILD:?}
peer=$build/tests/otk-coap-peer
for t in coap-client-notls coap-server-notls; do
	if ! command -v $t >/dev/null; then
		echo "skipped: $t not installed (scripts/install-deps.sh installs libcoap3-bin)"
		exit 77
	fi
done
dir=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
client() { timeout 30 coap-client-notls -B 8 "$@" 2>>"$dir/client.log"; }

# --- libcoap client against our server ---
"$peer" server "$dir/port" 60 2>"$dir/server.log" &
pids+=($!)
timeout 10 sh -c "until [ -s '$dir/port' ]; do sleep 0.05; done"
P=$(cat "$dir/port")
u=coap://127.0.0.1:$P

[ "$(client "$u/hello")" = "hello from otakit" ] || fail "CON GET /hello: no piggy-backed answer"
[ "$(client -N "$u/hello")" = "hello from otakit" ] || fail "NON GET /hello: no NON answer"
[ "$(client "$u/sep")" = "separate" ] || fail "separate response not received"
timeout 10 sh -c "until grep -q 'separate response acknowledged' '$dir/server.log'; do sleep 0.05; done" ||
	fail "libcoap did not acknowledge our separate CON response"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(1500)) + b"\n")' >"$dir/big.want"
client -b 64 "$u/big" >"$dir/big.got"
cmp "$dir/big.want" "$dir/big.got" || fail "Block2 download of /big (64-byte blocks) differs"
client -b 1024 "$u/big" >"$dir/big.got"
cmp "$dir/big.want" "$dir/big.got" || fail "Block2 download of /big (1024-byte blocks) differs"
head -c 3000 /dev/urandom >"$dir/up.bin"
client -b 64 -m put -f "$dir/up.bin" "$u/up" >/dev/null
client -b 256 "$u/up" | head -c 3000 >"$dir/up.got"
cmp "$dir/up.bin" "$dir/up.got" || fail "Block1 upload then Block2 download of /up differs"
client "$u/nothing" >/dev/null
grep -q '4\.04' "$dir/client.log" || fail "no 4.04 for an unknown path"
client -B 2 "$u/quit" >/dev/null || true

# --- our client against libcoap's server ---
P=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
timeout 60 coap-server-notls -A 127.0.0.1 -p "$P" >"$dir/cs.log" 2>&1 &
pids+=($!)
ok=0
for _ in $(seq 50); do
	if timeout 5 "$peer" get 127.0.0.1 "$P" time >/dev/null 2>&1; then ok=1; break; fi
	sleep 0.1
done
[ $ok = 1 ] || fail "libcoap server on port $P never answered"
timeout 30 coap-client-notls -B 8 "coap://127.0.0.1:$P/" | head -c -1 >"$dir/index.want"
[ -s "$dir/index.want" ] || fail "coap-client-notls got no index from coap-server-notls"
timeout 30 "$peer" get 127.0.0.1 "$P" "" szx 1 >"$dir/index.got" 2>"$dir/get.log" || fail "Block2 GET /: $(cat "$dir/get.log")"
cmp "$dir/index.want" "$dir/index.got" || fail "Block2 (32-byte blocks) index differs from coap-client's"
n=$(sed -n 's/^blocks //p' "$dir/get.log")
[ "$n" -ge 4 ] || fail "expected several blocks, got $n"
grep -qx 'ACK 2.05' "$dir/get.log" || fail "no piggy-backed ACK 2.05: $(cat "$dir/get.log")"
timeout 30 "$peer" get 127.0.0.1 "$P" "" non >"$dir/non.got" 2>"$dir/non.log" || fail "NON GET /"
grep -qx 'NON 2.05' "$dir/non.log" || fail "NON request not answered by NON: $(cat "$dir/non.log")"
cmp "$dir/index.want" "$dir/non.got" || fail "NON index differs"
timeout 30 "$peer" get 127.0.0.1 "$P" async query 1 >"$dir/async.got" 2>"$dir/async.log" || fail "GET /async?1"
grep -q 'separate response' "$dir/async.log" && grep -qx 'CON 2.05' "$dir/async.log" ||
	fail "no separate CON response from /async: $(cat "$dir/async.log")"
if timeout 30 "$peer" get 127.0.0.1 "$P" nothing >/dev/null 2>"$dir/nf.log"; then
	fail "4.04 taken as success"
fi
grep -qx 'ACK 4.04' "$dir/nf.log" || fail "unknown path: $(cat "$dir/nf.log")"
echo "ok: CoAP interop with libcoap (CON, NON, separate, Block1, Block2)"

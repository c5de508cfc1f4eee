#!/bin/bash
# The UDP impairment proxy (tests/tools/udp_impair.c) does each thing it
# says: datagrams counted through it between its own echo peer and sender,
# with the proxy's own counts checked against what arrived.  Loss, dup,
# reorder, delay, jitter, an address change mid-run, the same seed giving
# the same run, the run-time bound, and the refusal of non-loopback
# addresses.  Delay is checked as a lower bound (a loaded machine only adds).
set -uo pipefail
build=${OTK_BUILD:?}
tool=$build/tests/otk-udp-impair
. "$(dirname "$0")/lib/check.sh"
[ -x "$tool" ] || { echo "FAIL: $tool not built"; exit 1; }

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

wait_file() { timeout 10 sh -c "until [ -s '$1' ]; do sleep 0.05; done"; }
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(d)' "$1" "$2"; }

timeout -k 5 590 "$tool" echo --listen 127.0.0.1:0 --port-file echo.port --duration 580 \
	--stats echo.json &
pids+=($!)
wait_file echo.port || { bad "echo peer did not start"; exit 1; }
EP=$(cat echo.port)

# run NAME PROXY-OPTIONS... : proxy, then 200 datagrams through it; leaves
# NAME.send (sender's view) and NAME.proxy (proxy's counts).
run() {
	local name=$1
	shift
	rm -f "$name.port"
	timeout -k 5 60 "$tool" proxy --listen 127.0.0.1:0 --upstream "127.0.0.1:$EP" \
		--port-file "$name.port" --stats "$name.proxy" --duration 50 "$@" &
	local pp=$!
	pids+=($pp)
	wait_file "$name.port" || { bad "$name: proxy did not start"; return; }
	timeout -k 5 40 "$tool" send --to "127.0.0.1:$(cat "$name.port")" --count 200 \
		--interval-ms 2 --wait-ms 1000 >"$name.send"
	kill -TERM $pp
	wait $pp
}

# compare NAME A OP B MESSAGE
check() {
	if python3 -c "import sys; sys.exit(0 if $2 $3 $4 else 1)"; then ok "$1: $2 $3 $4"
	else bad "$1: wanted $2 $3 $4"; fi
}

run clean
check "clean: all back" "$(field clean.send received)" == 200
check "clean: none reordered" "$(field clean.send reordered)" == 0
check "clean: proxy forwarded each" "$(field clean.proxy up.out)" == 200

run loss --loss 30 --seed 7
up_in=$(field loss.proxy up.in) up_drop=$(field loss.proxy up.dropped)
down_drop=$(field loss.proxy down.dropped) got=$(field loss.send unique)
check "loss: proxy dropped upward" "$up_drop" ">" 20
check "loss: proxy dropped downward" "$down_drop" ">" 10
check "loss: what came back = sent - dropped both ways" "$got" == "200 - $up_drop - $down_drop"
check "loss: some came back" "$got" ">" 50

run dup --dup 30 --seed 3
check "dup: duplicates arrived" "$(field dup.send duplicates)" ">" 20
check "dup: proxy counted them" "$(field dup.proxy up.duplicated) + $(field dup.proxy down.duplicated)" ">" 20
check "dup: nothing lost" "$(field dup.send unique)" == 200

run reorder --reorder 20 --reorder-gap 40 --seed 5
check "reorder: replies overtaken" "$(field reorder.send reordered)" ">" 5
check "reorder: nothing lost" "$(field reorder.send unique)" == 200

run delay --delay 150 --seed 1
check "delay: every round trip >= 2 x 150 ms" "$(field delay.send rtt_min_ms)" ">=" 300
check "delay: nothing lost" "$(field delay.send unique)" == 200

run jitter --delay 100 --jitter 80 --seed 2
check "jitter: delays spread over the range" \
	"$(field jitter.proxy up.delay_max_ms) - $(field jitter.proxy up.delay_min_ms)" ">" 100
check "jitter: none below delay - jitter" "$(field jitter.proxy up.delay_min_ms)" ">=" 20

run rebind --rebind-after 50
check "rebind: the proxy changed address" "$(field rebind.proxy rebinds)" ">=" 3
check "rebind: the echo peer saw several source ports" "$(field rebind.send ports)" ">=" 3
check "rebind: most answers still came back" "$(field rebind.send unique)" ">" 150

run seed1 --loss 25 --dup 10 --reorder 10 --seed 42
run seed2 --loss 25 --dup 10 --reorder 10 --seed 42
run seed3 --loss 25 --dup 10 --reorder 10 --seed 43
s1=$(field seed1.proxy up) s2=$(field seed2.proxy up) s3=$(field seed3.proxy up)
# delays differ run to run with scheduling; the random decisions do not
strip() { sed 's/, .delay_m[a-z_]*.: [0-9.]*//g; s/, .out.: [0-9]*//; s/, .send_errors.: [0-9]*//' <<<"$1"; }
[ "$(strip "$s1")" = "$(strip "$s2")" ] && ok "seed: same seed, same decisions" ||
	bad "seed: same seed, different decisions: $s1 / $s2"
[ "$(strip "$s1")" != "$(strip "$s3")" ] && ok "seed: another seed, other decisions" ||
	bad "seed: seeds 42 and 43 decided the same: $s1"

timeout -k 5 20 "$tool" proxy --listen 127.0.0.1:0 --upstream "127.0.0.1:$EP" --duration 1 \
	--stats bounded.json
rc=$?
check "bounded: --duration 1 ends by itself" "$rc" == 0
has "bounded: stats written" bounded.json '"rebinds":0'

expect 2 "not a loopback address" "$tool" proxy --listen 127.0.0.1:0 --upstream 192.0.2.1:5684
expect 2 "not a loopback address" "$tool" echo --listen 0.0.0.0:0
expect 2 "not a number" "$tool" proxy --listen 127.0.0.1:0 --upstream 127.0.0.1:1 --loss 120
expect 0 "examples" "$tool" --help

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]

#!/bin/bash
# otakitd under load (bounded, loopback only): a store of 10,000 devices and
# 1,000 firmware versions (the last one 1 MB), then with wrk, 50 connections:
#   - GET /v1/products/1234/devices?per_page=100&page=N (pages 1..100)
#   - GET /v1/products/1234/firmware/1000/binary (1 MB) from otakitd, and the
#     same file from disk through nginx (Debian) in the same run
# Each measurement runs RUNS times (default 3) for DUR seconds (default 5),
# the two servers alternating; the table gives medians.
# Usage: OTAKITD=build/server/otakitd OTAKIT=build/cli/otakit bench/server.sh [--record]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
D=${OTAKITD:-$here/../build/server/otakitd}
CLI=${OTAKIT:-$here/../build/cli/otakit}
RUNS=${RUNS:-3}
DUR=${DUR:-5}
DEVICES=${DEVICES:-10000}
VERSIONS=${VERSIONS:-1000}
for t in wrk nginx python3 curl; do
	command -v $t >/dev/null || { echo "bench/server.sh needs $t (apt-get install wrk nginx-light)"; exit 1; }
done
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mkdir "$tmp/data" "$tmp/www" "$tmp/work"
printf 'bench-password\n' | "$D" user add bench --data "$tmp/data" >/dev/null
"$D" --data "$tmp/data" --listen 127.0.0.1:0 --port-file "$tmp/port" \
	--access-log "$tmp/otakitd.access" 2>"$tmp/otakitd.err" &
pids+=($!)
for _ in $(seq 100); do [[ -s $tmp/port ]] && break; sleep 0.1; done
U=http://127.0.0.1:$(cat "$tmp/port")
T=$(curl -s -u particle:particle -d grant_type=password -d username=bench -d password=bench-password \
	"$U/oauth/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
start=$(date +%s.%N)
big=$(python3 "$here/server_fill.py" "$U" "$T" "$CLI" "$tmp/work" "$DEVICES" "$VERSIONS" 1048576)
fill=$(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')")
cp "$big" "$tmp/www/fw.bin"
# nginx workers drop root for nobody: they must be able to read the file.
chmod 755 "$tmp" "$tmp/www" && chmod 644 "$tmp/www/fw.bin"
curl -s -H "Authorization: Bearer $T" "$U/v1/products/1234/firmware/$VERSIONS/binary" -o "$tmp/dl.bin"; cmp "$tmp/dl.bin" "$big" || { head -c 300 "$tmp/dl.bin"; exit 1; }

NP=$(free_port)
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx.conf" <<NGX
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
daemon off;
events { worker_connections 1024; }
http {
	access_log $tmp/nginx.access;
	sendfile on;
	tcp_nopush on;
	client_body_temp_path $tmp/nginx/cb;
	proxy_temp_path $tmp/nginx/p;
	fastcgi_temp_path $tmp/nginx/f;
	uwsgi_temp_path $tmp/nginx/u;
	scgi_temp_path $tmp/nginx/s;
	server { listen 127.0.0.1:$NP; root $tmp/www; }
}
NGX
nginx -c "$tmp/nginx.conf" -p "$tmp/nginx" &
pids+=($!)
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$NP/fw.bin" && break; sleep 0.1; done
curl -s "http://127.0.0.1:$NP/fw.bin" | cmp - "$big"

cat >"$tmp/pages.lua" <<'LUA'
local n = 0
request = function()
	n = n + 1
	return wrk.format("GET", "/v1/products/1234/devices?per_page=100&page=" .. (n % 100 + 1))
end
LUA
# run NAME wrk-args...: one wrk run, its figures appended to $tmp/NAME
run() {
	local name=$1
	shift
	wrk -t2 -c50 -d"${DUR}s" --latency "$@" >"$tmp/wrk.txt" 2>&1
	python3 - "$tmp/wrk.txt" >>"$tmp/$name" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(v, u): return float(v) * {"us": 1e-3, "ms": 1, "s": 1e3}[u]
def mb(v, u): return float(v) * {"B": 1 / 2**20, "KB": 1 / 1024, "MB": 1, "GB": 1024}[u]
p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", t)
p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", t)
rps = re.search(r"Requests/sec:\s+([\d.]+)", t)
tr = re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", t)
err = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
if err or not (p50 and p99 and rps and tr):
    sys.exit("wrk run failed:\n" + t)
print(ms(*p50.groups()), ms(*p99.groups()), float(rps.group(1)), mb(*tr.groups()))
PY
}
H=(-H "Authorization: Bearer $T")
for _ in $(seq "$RUNS"); do
	run pages "${H[@]}" -s "$tmp/pages.lua" "$U"
	run dl_otakitd "${H[@]}" "$U/v1/products/1234/firmware/$VERSIONS/binary"
	run dl_nginx "http://127.0.0.1:$NP/fw.bin"
done
table=$(python3 - "$tmp" <<'PY'
import statistics, sys
d = sys.argv[1]
def med(name):
    rows = [list(map(float, l.split())) for l in open(f"{d}/{name}")]
    return [statistics.median(c) for c in zip(*rows)]
pg, dlo, dln = med("pages"), med("dl_otakitd"), med("dl_nginx")
print("| measurement | p50 ms | p99 ms | requests/s | MB/s |")
print("|---|---|---|---|---|")
print(f"| otakitd: device page (100 per page) | {pg[0]:.2f} | {pg[1]:.2f} | {pg[2]:.0f} | {pg[3]:.1f} |")
print(f"| otakitd: 1 MB firmware download | {dlo[0]:.2f} | {dlo[1]:.2f} | {dlo[2]:.0f} | {dlo[3]:.0f} |")
print(f"| nginx: the same file from disk | {dln[0]:.2f} | {dln[1]:.2f} | {dln[2]:.0f} | {dln[3]:.0f} |")
print()
print(f"Download throughput otakitd / nginx: {dlo[3] / dln[3]:.2f} (goal: at least 0.5)")
PY
)
{
	echo "## $(date -u +%Y-%m-%d) $(uname -m), $(nproc) CPUs: wrk -t2 -c50, ${RUNS}x${DUR}s, medians"
	echo
	echo "Store: $DEVICES devices, $VERSIONS firmware versions, filled through the API in ${fill}s."
	echo
	echo "$table"
} | tee "$tmp/result.md"
[[ ${1:-} == --record ]] && { echo; cat "$tmp/result.md"; } >>"$here/server-results.md"
exit 0

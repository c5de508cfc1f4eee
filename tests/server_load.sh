#!/bin/bash
# otakitd with 10,000 devices and 1,000 firmware versions in its store, under
# 50 concurrent clients (loopback, bounded: 1,000 requests): every device page
# and every download of the 1 MB version must come back whole and right.
# Speed is measured in bench/server.sh, not here.
set -uo pipefail
src=${OTK_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
source "$(dirname "$0")/lib/otakitd.sh"
mkdir data work
od_start data
od_user bench 'bench-password'
T=$(od_token bench bench-password)
big=$(timeout 1200 python3 "$src/bench/server_fill.py" "$U" "$T" "$CLI" work 10000 1000 1048576)
[[ -f $big ]] && ok "store filled: 10,000 devices, 1,000 versions" || { bad "fill"; exit 1; }
sum=$(sha256sum "$big" | cut -c1-64)

# 700 page requests (pages 1..100 of 100 devices) and 300 downloads, 50 at a time.
{
	for i in $(seq 700); do echo "page $(( (i - 1) % 100 + 1 )) $i"; done
	for i in $(seq 300); do echo "dl 0 $i"; done
} | shuf >jobs.txt
one() {
	local kind=$1 n=$2 out=res/$1.$2.$3
	if [[ $kind == page ]]; then
		curl -s --max-time 60 -o "$out" -w '%{http_code}' -H "Authorization: Bearer $T" \
			"$U/v1/products/1234/devices?per_page=100&page=$n" >"$out.st"
	else
		curl -s --max-time 60 -o "$out" -w '%{http_code}' -H "Authorization: Bearer $T" \
			"$U/v1/products/1234/firmware/1000/binary" >"$out.st"
	fi
}
export -f one
export U T
mkdir res
timeout 600 xargs -P 50 -L 1 bash -c 'one "$@"' _ <jobs.txt
for f in res/*.st; do cat "$f"; echo; done >statuses.txt
[[ $(grep -c '^200$' statuses.txt) == 1000 ]] && ok "1,000 answers, all 200" || bad "statuses: $(sort statuses.txt | uniq -c | tr '\n' ' ')"
python3 - res >pages.txt <<'PY'
import json, os, sys
bad = 0
for f in os.listdir(sys.argv[1]):
    if not f.startswith("page.") or f.endswith(".st"):
        continue
    page = int(f.split(".")[1])
    j = json.load(open(os.path.join(sys.argv[1], f)))
    ids = [d["id"] for d in j["devices"]]
    want = [f"{i:024x}" for i in range((page - 1) * 100, page * 100)]
    if ids != want or j["meta"]["total_records"] != 10000:
        bad += 1
print("bad pages", bad)
PY
has "every page holds its 100 devices in order" pages.txt "^bad pages 0$"
badsum=0
for f in res/dl.*; do
	[[ $f == *.st ]] && continue
	[[ $(sha256sum "$f" | cut -c1-64) == "$sum" ]] || badsum=$((badsum + 1))
done
[[ $badsum == 0 ]] && ok "every download is the 1 MB version, whole" || bad "$badsum downloads differ"
od_stop TERM
[[ $? == 0 ]] && ok "graceful stop after the load" || bad "stop"
"$D" check --data data >chk.txt 2>&1
has "database consistent" chk.txt "^ok$"
[[ $fails -eq 0 ]] && echo "all passed" || echo "$fails failed"
[[ $fails -eq 0 ]]

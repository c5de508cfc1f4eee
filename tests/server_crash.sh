#!/bin/bash
# otakitd killed with SIGKILL (a crash) during uploads, at several points
# from mid-body to mid-store, and during a release.  After each restart:
# the database passes PRAGMA integrity_check, every upload that was
# answered 200 is there, every version listed is whole (its file and
# assets downloadable and equal to what was sent) and no upload leftovers
# remain.  Bounded: 8 kills, loopback only.
set -uo pipefail
source "$(dirname "$0")/lib/otakitd.sh"
command -v sqlite3 >/dev/null || { echo "skipped: sqlite3 not installed"; exit 77; }

od_product
head -c 3000 /dev/urandom >body.bin
mkdir assets && head -c 400000 /dev/urandom >assets/big.bin && echo small >assets/s.txt
declare -A SENT   # version -> file
build() { # build VERSION: a bundle of ~400 kB
	"$CLI" binary create body.bin --platform p2 --product 1234:$1 --depends system:1:5500 -o app$1.bin -f >/dev/null
	"$CLI" bundle app$1.bin --assets assets --save v$1.zip --force >/dev/null
	SENT[$1]=v$1.zip
}
declare -A DONE   # versions answered 200
upload() { # upload VERSION [curl args]: background, status into st.VERSION
	curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $T" \
		-F "file=@v$1.zip" -F "version=$1" -F "title=v$1" "${@:2}" \
		"$U/v1/products/1234/firmware" >"st.$1" 2>/dev/null &
	UP=$!
}

consistent() { # consistent LABEL: the checks after a restart
	local label=$1 v
	"$D" check --data data >chk.txt 2>&1
	has "$label: otakitd check" chk.txt "^ok$"
	sqlite3 data/otakitd.db "PRAGMA integrity_check" >ic.txt 2>&1
	has "$label: PRAGMA integrity_check" ic.txt "^ok$"
	od_start data
	req GET /v1/products/1234/firmware "$T" >/dev/null
	json '" ".join(str(f["version"]) for f in j)' >listed.txt
	for v in "${!DONE[@]}"; do
		grep -qw "$v" listed.txt || bad "$label: version $v was answered 200 but is gone"
	done
	for v in $(cat listed.txt); do
		curl -s -H "Authorization: Bearer $T" -o dl.zip "$U/v1/products/1234/firmware/$v/binary"
		cmp -s dl.zip "${SENT[$v]}" || bad "$label: version $v is listed but its file is not whole"
		req GET "/v1/products/1234/firmware/$v" "$T" >/dev/null
		[[ $(json 'len(j["assets"])') == 2 ]] || bad "$label: version $v lacks asset rows"
		for h in $(json '" ".join(a["hash"] for a in j["assets"])'); do
			[[ -f data/blobs/${h:0:2}/$h ]] || bad "$label: asset blob $h of version $v missing"
		done
	done
	if ls data/tmp | grep -q upload-; then bad "$label: upload leftovers in tmp"; fi
	ok "$label: listed versions whole ($(cat listed.txt))"
}

build 1
upload 1
wait $UP
[[ $(cat st.1) == 200 ]] && DONE[1]=1 && ok "first upload" || bad "first upload: $(cat st.1)"

# Kill while the body is still arriving.
build 2
upload 2 --limit-rate 100k
sleep 1
od_stop KILL
wait $UP
[[ $(cat st.2) == 200 ]] && DONE[2]=1
consistent "killed mid-body"

# Kill at later and later points: the body is in, otakitd is checking,
# writing blobs or committing.
next=3
for delay in 0.05 0.1 0.15 0.2 0.3 0.5; do
	req GET /v1/products/1234/firmware "$T" >/dev/null
	next=$(( $(json 'max([f["version"] for f in j] + [0])') + 1 ))
	build $next
	upload $next
	sleep $delay
	od_stop KILL
	wait $UP
	[[ $(cat st.$next) == 200 ]] && DONE[$next]=1
	consistent "killed ${delay}s into upload v$next"
done

# Kill during a release: afterwards at most one product default.
req PUT /v1/products/1234/firmware/release "$T" -d version=1 -d product_default=true >/dev/null &
UP=$!
sleep 0.02
od_stop KILL
wait $UP
consistent "killed during a release"
req GET /v1/products/1234/firmware "$T" >/dev/null
[[ $(json 'sum(1 for f in j if f["product_default"])') -le 1 ]] && ok "at most one product default" || bad "several defaults"
od_stop TERM
[[ $fails -eq 0 ]] && echo "all passed" || echo "$fails failed"
[[ $fails -eq 0 ]]

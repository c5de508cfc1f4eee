#!/bin/bash
# particle-api-js 12 (from the oracle's node_modules) against otakitd:
# product firmware upload (.bin and bundle), list, get, edit, download,
# release, device add/lock/unlock/development/notes/rename/list/deny and
# token revocation, all through the library's own functions
# (tests/server_api_js.js).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/otakitd.sh"
source "$here/lib/oracle.sh"
PJS=$O/npm/node_modules/particle-api-js
[[ -d $PJS ]] || { echo "FAIL: particle-api-js not in the oracle ($PJS)"; exit 1; }
od_product
head -c 3000 /dev/urandom >body.bin
for v in 1 2 3; do
	"$CLI" binary create body.bin --platform p2 --product 1234:$v --depends system:1:5500 -o fw$v.bin -f >/dev/null
done
mkdir assets && echo hello >assets/a.txt
"$CLI" bundle fw2.bin --assets assets --save b2.zip >/dev/null
"$CLI" bundle fw3.bin --assets assets --save b3.zip >/dev/null
python3 - <<'PY'
import zipfile
src = zipfile.ZipFile("b3.zip")
with zipfile.ZipFile("hash.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for i in src.infolist():
        z.writestr(i.filename, b"changed\n" if i.filename == "assets/a.txt" else src.read(i.filename))
PY
timeout 120 "$O/node" "$here/server_api_js.js" "$U" "$PJS" >js.txt 2>&1
st=$?
cat js.txt
grep -q '^FAIL' js.txt && fails=$((fails + $(grep -c '^FAIL' js.txt)))
[[ $st == 0 ]] || bad "node script exit status $st"
[[ $(grep -c '^ok' js.txt) -ge 25 ]] || bad "too few checks ran"
[[ $fails -eq 0 ]] && echo "all passed" || echo "$fails failed"
[[ $fails -eq 0 ]]

#!/bin/bash
# `otakit token list` and GET /v1/access_tokens: a user sees only their own
# tokens (also those of the product API users they made), marked which one is
# in use, never a token's text; an API user's token may not list; no token 401.
set -uo pipefail
source "$(dirname "$0")/lib/otakitd.sh"
export OTAKIT_CONFIG=$tmp/config.json
mkdir data
od_start data
od_user alice 'alice-password'
od_user bob 'bob-password'
TA1=$(od_token alice alice-password)
TA2=$(od_token alice alice-password)
TB=$(od_token bob bob-password)
req POST /v1/products "$TA1" -d name=A -d platform_id=32 -d id=1234 >/dev/null
req POST /v1/products/1234/team "$TA1" -H 'Content-Type: application/json' \
	-d '{"friendly_name":"bot","scopes":["firmware:list"]}' >/dev/null
TAPI=$(json 'j["created"]["tokens"][0]["token"]')

st=$(req GET /v1/access_tokens "$TA2")
[[ $st == 200 ]] && [[ $(json '[(t["client"], t["current"], "product_id" in t) for t in j]') == "[('particle', False, False), ('particle', True, False), ('api-user', False, True)]" ]] &&
	ok "GET /v1/access_tokens: alice's three tokens, the one in use marked" || bad "list: $st $(cat body.json)"
leak=0
for t in "$TA1" "$TA2" "$TAPI" "$TB"; do grep -q "$t" body.json && leak=1; done
[[ $leak == 0 ]] && ok "no token's text in the answer" || bad "a token's text is in the list"
req GET /v1/access_tokens "$TB" >/dev/null
[[ $(json 'len(j)') == 1 ]] && ok "bob sees only his own token" || bad "bob: $(cat body.json)"
[[ $(req GET /v1/access_tokens "") == 401 ]] && ok "no token: 401" || bad "no token"
[[ $(req GET /v1/access_tokens "$TAPI") == 403 ]] && ok "an API user's token may not list: 403" || bad "api user lists"

export OTAKIT_API=$U OTAKIT_TOKEN=$TA1
"$CLI" token list >l.txt 2>&1
[[ $? == 0 ]] && has "otakit token list: header" l.txt "^ID +CLIENT +CREATED +EXPIRES +KIND" || { bad "token list"; cat l.txt; }
has "otakit token list: the token in use" l.txt "particle .* user \(this one\)$"
has "otakit token list: the API user's" l.txt " api-user .* product API user$"
[[ $(grep -c "particle" l.txt) == 2 ]] && ok "otakit token list: alice's two user tokens" || bad "user tokens: $(cat l.txt)"
leak=0
for t in "$TA1" "$TA2" "$TAPI"; do grep -q "$t" l.txt && leak=1; done
[[ $leak == 0 ]] && ok "otakit token list prints no token's text" || bad "a token's text printed"
"$CLI" token list --json >l.json
[[ $(python3 -c 'import json; print(len(json.load(open("l.json"))))') == 3 ]] && ok "otakit token list --json" || bad "json: $(cat l.json)"
OTAKIT_TOKEN=$TAPI "$CLI" token list >l2.txt 2>&1
[[ $? == 1 ]] && has "otakit token list with an API user's token: refused" l2.txt "token list: .*user's own token" || bad "api user cli"
OTAKIT_TOKEN= "$CLI" token list >l3.txt 2>&1
[[ $? == 1 ]] && has "not logged in" l3.txt "not logged in" || bad "not logged in"
"$CLI" token list --help >h.txt 2>&1
has "token list --help has examples" h.txt "otakit token list --json"
[[ $fails -eq 0 ]] && echo "all passed" || echo "$fails failed"
[[ $fails -eq 0 ]]

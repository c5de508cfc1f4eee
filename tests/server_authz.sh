#!/bin/bash
# Who may see what: every route of otakitd's own route table (otakitd
# routes) is tried with no token, with a token of another product (an API
# user of product B holding every scope), with another user's token, and
# with a token of the right product that lacks the route's scope; each must
# be refused before anything happens.  The right token must get through.
set -uo pipefail
source "$(dirname "$0")/lib/otakitd.sh"

mkdir data
od_start data
od_user alice 'alice-password'
od_user bob 'bob-password'
TA=$(od_token alice alice-password)
TB=$(od_token bob bob-password)
req POST /v1/products "$TA" -d name=A -d platform_id=32 -d id=1234 >/dev/null
req POST /v1/products "$TB" -d name=B -d platform_id=32 -d id=77 >/dev/null
DEV=0123456789abcdef01234567
req POST /v1/products/1234/devices "$TA" -d id=$DEV >/dev/null
req POST /v1/products/1234/groups "$TA" -d name=beta >/dev/null
req POST /v1/products/77/devices "$TB" -d id=0123456789abcdef0123aaaa >/dev/null
head -c 2000 /dev/urandom >body.bin
"$CLI" binary create body.bin --platform p2 --product 1234:1 -o fw1.bin -f >/dev/null
[[ $(req POST /v1/products/1234/firmware "$TA" -F file=@fw1.bin -F version=1 -F title=t) == 200 ]] || bad "setup: upload"

"$D" routes >routes.jsonl
python3 -c '
import json
scopes = sorted({json.loads(l)["scope"] for l in open("routes.jsonl") if json.loads(l)["scope"]})
print(" ".join(scopes))' >scopes.txt
read -r -a SCOPES <scopes.txt
[[ ${#SCOPES[@]} -ge 8 ]] && ok "route table names ${#SCOPES[@]} scopes" || bad "scopes: ${SCOPES[*]}"

# api_user PRODUCT TOKEN SCOPES...: prints the API user's token
api_user() {
	local p=$1 t=$2
	shift 2
	local js
	js=$(python3 -c 'import json,sys; print(json.dumps({"friendly_name":"bot","scopes":sys.argv[1:]}))' "$@")
	req POST "/v1/products/$p/team" "$t" -H 'Content-Type: application/json' -d "$js" >/dev/null
	json 'j["created"]["tokens"][0]["token"]'
}
# Grantable scopes: products:create is not (an API user lives in one product).
GRANT=()
for s in "${SCOPES[@]}"; do [[ $s == products:create || $s == teams.users:invite ]] || GRANT+=("$s"); done
TBAPI=$(api_user 77 "$TB" "${GRANT[@]}")
[[ ${#TBAPI} == 40 ]] && ok "API user of product B with every scope" || bad "api user: $TBAPI"
st=$(req POST /v1/products/77/team "$TB" -H 'Content-Type: application/json' -d '{"friendly_name":"x","scopes":["nosuch:scope"]}')
[[ $st == 400 ]] && ok "unknown scope refused" || bad "unknown scope: $st"
st=$(req POST /v1/products/77/team "$TBAPI" -H 'Content-Type: application/json' -d '{"friendly_name":"x","scopes":["firmware:list"]}')
[[ $st == 403 ]] && ok "an API user cannot make API users" || bad "api user makes api users: $st"
declare -A WITHOUT
for s in "${SCOPES[@]}"; do
	others=()
	for g in "${GRANT[@]}"; do [[ $g == "$s" ]] || others+=("$g"); done
	WITHOUT[$s]=$(api_user 1234 "$TA" "${others[@]}")
done

tested=0
# Routes that change what all users share take an administrator's own token.
printf '%s\n' 'root-password' | "$D" user add root --admin --data data >/dev/null
TR=$(od_token root root-password)
while IFS=$'\t' read -r method path scope product public admin; do
	url=${path//:product/1234}
	url=${url//:device/$DEV}
	url=${url//:version/1}
	url=${url//:group/beta}
	url=${url//\*prefix/temp}
	url=${url//:token/0000000000000000000000000000000000000000}
	name="$method $path"
	tested=$((tested + 1))
	if [[ $public == True ]]; then
		ok "$name: public (checks its own credentials)"
		continue
	fi
	body=()
	# An event stream the owner may open stays open: bounded.
	[[ $method == GET && $path == */events* ]] && body=(--max-time 1)
	[[ $method == POST || $method == PUT || $method == DELETE ]] && body=(-H 'Content-Type: application/json' -d '{}')
	st=$(req "$method" "$url" "" "${body[@]}")
	[[ $st == 401 ]] && ok "$name: no token 401" || bad "$name: no token gave $st"
	if [[ $product == True ]]; then
		st=$(req "$method" "$url" "$TBAPI" "${body[@]}")
		[[ $st == 403 ]] && ok "$name: other product's token 403" || bad "$name: other product's token gave $st $(cat body.json)"
		st=$(req "$method" "$url" "$TB" "${body[@]}")
		[[ $st == 403 ]] && ok "$name: non-member 403" || bad "$name: non-member gave $st $(cat body.json)"
	fi
	if [[ $scope != None ]]; then
		st=$(req "$method" "$url" "${WITHOUT[$scope]}" "${body[@]}")
		[[ $st == 403 ]] && has "$name: token without $scope 403" body.json "lacks the scope $scope" ||
			bad "$name: token without $scope gave $st"
	fi
	if [[ $admin == True ]]; then
		st=$(req "$method" "$url" "$TA" "${body[@]}")
		[[ $st == 403 ]] && has "$name: a user who is no administrator 403" body.json "administrators" ||
			bad "$name: non-administrator gave $st"
		st=$(req "$method" "$url" "$TBAPI" "${body[@]}")
		[[ $st == 403 ]] && ok "$name: an API user 403" || bad "$name: API user gave $st"
	fi
	# The owner (for administrators' routes, an administrator) gets through
	# (answers past authorization are not 401/403); a token the route
	# revokes is a throwaway.
	own=$TA
	[[ $admin == True ]] && own=$TR
	[[ $path == /v1/access_tokens/* ]] && own=$(od_token alice alice-password)
	st=$(req "$method" "$url" "$own" "${body[@]}")
	[[ $st != 401 && $st != 403 ]] && ok "$name: owner passes ($st)" || bad "$name: owner refused $st $(cat body.json)"
done < <(python3 -c '
import json
for l in open("routes.jsonl"):
    r = json.loads(l)
    print("\t".join(str(x) for x in (r["method"], r["path"], r["scope"], r["product"], r["public"], r["admin"])))')
n=$(wc -l <routes.jsonl)
[[ $tested == "$n" && $n -ge 20 ]] && ok "all $n routes tried" || bad "tried $tested of $n routes"

# Lists outside product paths show nothing of other products.
TB2=$(api_user 77 "$TB" "${GRANT[@]}")
req GET /v1/products "$TB2" >/dev/null
[[ $(json '[p["id"] for p in j["products"]]') == "[77]" ]] && ok "product list of an API user: its product only" || bad "api user product list: $(cat body.json)"
req GET /v1/products "$TA" >/dev/null
[[ $(json '[p["id"] for p in j["products"]]') == "[1234]" ]] && ok "product list of a user: member products only" || bad "user product list"
[[ $fails -eq 0 ]] && echo "all passed" || echo "$fails failed"
[[ $fails -eq 0 ]]

#!/bin/bash
# otakit's cloud commands beside particle-cli 3.51 (the oracle), both against
# one otakitd: a token from `otakit login` works for `particle list`; a token
# from `particle login` works for `otakit login --token`; an event published
# by `particle publish` reaches `otakit subscribe`, and one from `otakit
# publish` reaches `particle subscribe`; `otakit logout` ends particle-cli's
# access too.  Skipped (77) without ../shared or the oracle; the rest of the
# cloud commands are tested without it in cli_cloud.sh.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/otakitd.sh"
source "$here/lib/oracle.sh"
PT=$O/particle
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/cfg
unset OTAKIT_API OTAKIT_TOKEN OTAKIT_CONFIG
mkdir -p "$HOME" data
od_start data
od_user alice 'alice-password'
pt() { timeout 120 "$PT" "$@" </dev/null >pt.txt 2>&1; }
otk() { timeout 60 "$CLI" "$@" >out.txt 2>err.txt; }
pt_token() {
	python3 -c 'import json,os; print(json.load(open(os.environ["HOME"] + "/.particle/otk.config.json")).get("access_token", ""))'
}
pt_set_token() {
	python3 - "$1" <<'EOF'
import json, os, sys
p = os.environ["HOME"] + "/.particle/otk.config.json"
j = json.load(open(p))
j["access_token"] = sys.argv[1]
j["username"] = "alice"
json.dump(j, open(p, "w"))
EOF
}

pt profile otk apiUrl "$U"
pt profile otk
otk profile otk apiUrl "$U" && otk profile otk || bad "otakit profile"

# otakit's token in particle-cli's profile: particle list answers from otakitd
printf 'alice-password\n' | otk login --username alice
TOK=$(python3 -c 'import json,os; print(json.load(open(os.environ["XDG_CONFIG_HOME"] + "/otakit/config.json"))["profiles"]["otk"]["access_token"])')
[[ ${#TOK} == 40 ]] && ok "otakit login stored a token" || bad "otakit login: $(cat err.txt)"
pt_set_token "$TOK"
pt list
st=$?
[[ $st == 0 ]] && has "particle list with otakit's token" pt.txt "No devices found" || { bad "particle list exit $st"; cat pt.txt; }
n=$(grep -c "\"path\":\"/v1/devices\",\"status\":200,.*\"user_id\"" "$tmp/access.log")
[[ $n -ge 1 ]] && ok "particle list reached otakitd as alice" || bad "no authenticated /v1/devices in the access log"

# particle-cli's token in otakit
pt login --username alice --password alice-password
PTOK=$(pt_token)
[[ ${#PTOK} == 40 ]] && ok "particle login" || { bad "particle login"; cat pt.txt; }
otk login --token "$PTOK" --profile ptok --api "$U"
[[ $? == 0 ]] && has "otakit login --token with particle-cli's token" out.txt "Logged in as alice \(profile ptok" || { bad "login --token"; cat err.txt; }
otk profile otk

# events both ways
timeout 60 "$CLI" subscribe temp --max 1 >sub.txt 2>sub.err &
SUB=$!
for _ in $(seq 60); do grep -qs Subscribing sub.err && break; sleep 0.2; done
sleep 0.3
pt publish temp/kitchen 21.5
has "particle publish" pt.txt "Published"
wait $SUB
st=$?
[[ $st == 0 ]] && has "otakit subscribe gets particle's event" sub.txt '"name": ?"temp/kitchen".*"data": ?"21.5"' || { bad "subscribe exit $st"; cat sub.txt sub.err; }

timeout 60 "$PT" subscribe hum --max 1 </dev/null >psub.txt 2>&1 &
SUB=$!
for _ in $(seq 40); do
	kill -0 $SUB 2>/dev/null || break
	grep -q Subscribing psub.txt && otk publish hum/cellar 80
	sleep 0.5
done
wait $SUB
st=$?
[[ $st == 0 ]] && has "particle subscribe gets otakit's event" psub.txt '"data":"80".*"coreid":"api","name":"hum/cellar"' || { bad "particle subscribe exit $st"; cat psub.txt; }

# otakit logout revokes the token particle-cli was given
pt_set_token "$TOK"
otk logout
[[ $? == 0 ]] || bad "otakit logout: $(cat err.txt)"
pt list
st=$?
[[ $st != 0 ]] && ok "particle list refused after otakit logout (exit $st)" || { bad "particle list still works"; cat pt.txt; }

echo "$fails failure(s)"
[[ $fails == 0 ]]

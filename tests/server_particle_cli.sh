#!/bin/bash
# particle-cli 3.51 (Particle's own tool, from the oracle) against otakitd:
# a profile whose apiUrl is otakitd (in a scratch HOME, so the user's own
# ~/.particle is untouched), `particle login` with username and password and
# with --token, `particle list`, `particle token revoke`, `particle logout`.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/otakitd.sh"
source "$here/lib/oracle.sh"
PT=$O/particle
export HOME=$tmp/home
mkdir -p "$HOME" data
od_start data
od_user alice 'alice-password'
pt() { timeout 120 "$PT" "$@" </dev/null >out.txt 2>&1; }

pt profile otk apiUrl "$U"
pt profile otk
has "profile with otakitd's apiUrl" "$HOME/.particle/otk.config.json" "\"apiUrl\": \"$U\""
has "profile selected" "$HOME/.particle/profile.json" '"name": "otk"'
pt login --username alice --password wrong-password
has "login: wrong password refused" out.txt "User credentials are invalid"
pt login --username alice --password alice-password
[[ $? == 0 ]] && has "login with username and password" out.txt "Successfully completed login"
TOK=$(python3 -c 'import json,os; print(json.load(open(os.environ["HOME"] + "/.particle/otk.config.json"))["access_token"])')
[[ ${#TOK} == 40 ]] && ok "token stored by particle-cli" || bad "token: $TOK"
has "token expiry from expires_in" "$HOME/.particle/otk.config.json" '"access_token_expires_at": "20[0-9]{2}-'
[[ $(req GET /v1/user "$TOK") == 200 ]] && ok "that token works on otakitd" || bad "cli token refused"
pt list
[[ $? == 0 ]] && has "particle list" out.txt "No devices found"
has "particle list asked otakitd" "$tmp/access.log" '"method":"GET","path":"/v1/devices","status":200'
pt logout
[[ $? == 0 ]] && has "logout" out.txt "logged out from alice"
[[ $(req GET /v1/user "$TOK") == 401 ]] && ok "logout revoked the token on otakitd" || bad "token alive after logout"

T2=$(od_token alice alice-password)
pt login --token "$T2"
[[ $? == 0 ]] && has "login --token" out.txt "Successfully completed login"
has "login --token: username from /v1/user" "$HOME/.particle/otk.config.json" '"username": "alice"'
has "login --token: expiry from /v1/access_tokens/current" "$tmp/access.log" '"path":"/v1/access_tokens/current","status":200'
T3=$(od_token alice alice-password)
pt token revoke "$T3"
[[ $? == 0 ]] && has "token revoke" out.txt "Successfully revoked"
[[ $(req GET /v1/user "$T3") == 401 ]] && ok "revoked token refused" || bad "revoked token works"
pt list
[[ $? == 0 ]] && ok "list after login --token" || { bad "list after --token"; cat out.txt; }

# Provision a key, claim, list, rename, release.
DEV=0123456789abcdef0123abcd
openssl ecparam -name prime256v1 -genkey -noout -out dev.pem 2>/dev/null
pt keys send $DEV dev.pem
[[ $? == 0 ]] && has "keys send" out.txt "submitting public key succeeded"
openssl ec -in dev.pem -pubout -outform DER 2>/dev/null | sha256sum | cut -c1-64 >fp.txt
sqlite3 data/otakitd.db "SELECT public_key_fingerprint FROM devices WHERE id = '$DEV'" >fp2.txt 2>&1
cmp -s fp.txt fp2.txt && ok "keys send: the key's fingerprint is stored" || bad "fingerprint $(cat fp.txt) vs $(cat fp2.txt)"
pt device add $DEV
[[ $? == 0 ]] && has "device add (claim)" out.txt "Successfully claimed device $DEV"
pt list
has "list shows the claimed device" out.txt "\[$DEV\] .* is offline"
pt device rename $DEV shelf_1
[[ $? == 0 ]] && has "device rename" out.txt "renamed device $DEV to: shelf_1"
pt list
has "list shows the new name" out.txt "shelf_1 \[$DEV\]"
pt device remove $DEV --yes
[[ $? == 0 ]] && ok "device remove"
pt list
has "released device leaves the list" out.txt "No devices found"

[[ $fails -eq 0 ]] && echo "all passed" || echo "$fails failed"
[[ $fails -eq 0 ]]

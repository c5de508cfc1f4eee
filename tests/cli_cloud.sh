#!/bin/bash
# otakit's cloud commands end to end against otakitd on a loopback port:
# profiles (config file, mode 0600, --api / OTAKIT_API / OTAKIT_TOKEN),
# login (password on stdin, --token, wrong password), token create / current
# / revoke, logout (revokes on the server), list, publish + subscribe
# (--max, SIGINT), keys send, product create / list, product firmware upload
# (with refusals surfaced) / list / release / delete, product device add /
# list / lock / unlock / development / groups, product group, --json,
# foreign products refused, exit statuses.  Each check compares against what
# the server stored (curl), not only against what otakit printed.
set -uo pipefail
source "$(dirname "$0")/lib/otakitd.sh"

export XDG_CONFIG_HOME=$tmp/cfg HOME=$tmp/home
unset OTAKIT_API OTAKIT_TOKEN OTAKIT_CONFIG
mkdir -p "$HOME" data
od_start data
od_user alice 'alice-password'
od_user bob 'bob-password'
CFG=$XDG_CONFIG_HOME/otakit/config.json
# run CLI ARGS...: stdout in out.txt, stderr in err.txt, returns the status
run() { timeout 60 "$CLI" "$@" >out.txt 2>err.txt; }
# expect STATUS NAME ARGS...: the command exits with STATUS
expect() {
	local want=$1 name=$2 st
	shift 2
	run "$@" </dev/null
	st=$?
	if [[ $st == "$want" ]]; then ok "$name (exit $st)"; else bad "$name: exit $st, want $want"; cat out.txt err.txt; fi
}

# --- profiles -----------------------------------------------------------------
expect 1 "list before login: not logged in" list --api "$U"
has "not logged in names the profile" err.txt "list: not logged in \(profile default"
expect 0 "profile otk apiUrl" profile otk apiUrl "$U"
has "profile written" "$CFG" "\"apiUrl\": \"$U\""
[[ $(stat -c %a "$CFG") == 600 ]] && ok "config file mode 0600" || bad "config mode $(stat -c %a "$CFG")"
[[ $(stat -c %a "$XDG_CONFIG_HOME/otakit") == 700 ]] && ok "config folder mode 0700" || bad "folder mode"
expect 0 "profile otk: switch" profile otk
has "current profile recorded" "$CFG" '"profile": "otk"'
expect 2 "profile: unknown setting" profile otk token x
has "unknown setting named" err.txt "unknown setting 'token'"
expect 2 "profile: apiUrl not a URL" profile otk apiUrl ftp://x
cp "$CFG" cfg.before
expect 0 "profile list" profile list --json
[[ $(python3 -c 'import json; j=json.load(open("out.txt")); print([(p["name"], p["apiUrl"], p["current"]) for p in j])') == "[('otk', '$U', True)]" ]] && ok "profile list --json" || bad "profile list: $(cat out.txt)"

# --- login ----------------------------------------------------------------------
printf 'wrong-password\n' | run login --username alice
st=$?
[[ $st == 1 ]] && has "wrong password: HTTP status and Particle's message" err.txt "login as alice: HTTP 400: invalid_grant: User credentials are invalid" || { bad "wrong password exit $st"; cat err.txt; }
cmp -s "$CFG" cfg.before && ok "failed login leaves the config alone" || bad "config changed by failed login"
printf 'alice-password\n' | run login --username alice
[[ $? == 0 ]] && has "login (password from stdin)" out.txt "Logged in as alice \(profile otk, $U\)" || { bad "login"; cat err.txt; }
TOK=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["profiles"]["otk"]["access_token"])' "$CFG")
[[ ${#TOK} == 40 ]] && [[ $(req GET /v1/user "$TOK") == 200 ]] && [[ $(json 'j["username"]') == alice ]] && ok "stored token works on otakitd" || bad "stored token: $TOK"
[[ $(stat -c %a "$CFG") == 600 ]] && ok "still 0600 after login" || bad "mode after login"
expect 0 "token current" token current --json
[[ $(python3 -c 'import json; j=json.load(open("out.txt")); print(j["client"], j["expires_at"][:2])') == "particle 20" ]] && ok "token current shows client and expiry" || bad "token current: $(cat out.txt)"

# --- tokens -------------------------------------------------------------------------
printf 'alice-password\n' | run token create --expires-in 3600
T2=$(cat out.txt)
[[ ${#T2} == 40 && $T2 != "$TOK" ]] && [[ $(req GET /v1/user "$T2") == 200 ]] && ok "token create prints a new working token" || bad "token create: $T2 $(cat err.txt)"
expect 0 "token revoke" token revoke "$T2"
[[ $(req GET /v1/user "$T2") == 401 ]] && ok "revoked token refused by otakitd" || bad "revoked token works"
expect 1 "token revoke of an unknown token" token revoke 0000000000000000000000000000000000000000
has "revoke failure names the status" err.txt "token revoke 00000000...: HTTP 404"
printf 'bob-password\n' | run token create --username bob
TB=$(cat out.txt)
[[ ${#TB} == 40 ]] && ok "token create --username bob" || bad "bob token"

# --- products -----------------------------------------------------------------------
expect 0 "product create" product create 'Fleet A' --platform 32 --id 1234
has "product create output" out.txt "Created product 1234 \(fleet-a\)"
OTAKIT_TOKEN=$TB run product create Bobs --platform 32 --id 77 </dev/null || bad "bob's product"
expect 0 "product list --json" product list --json
[[ $(python3 -c 'import json; print([p["id"] for p in json.load(open("out.txt"))["products"]])') == "[1234]" ]] && ok "product list: own products only" || bad "product list: $(cat out.txt)"
expect 1 "foreign product refused" product firmware list 77
has "foreign product: HTTP 403 and message" err.txt "product firmware list: HTTP 403: "

# --- firmware -----------------------------------------------------------------------------
head -c 3000 /dev/urandom >body.bin
mk() { "$CLI" binary create body.bin --platform "${3:-p2}" --product "${4:-1234}:$1" --depends system:1:5500 -o "$2" -f >/dev/null; }
mk 1 fw1.bin
mk 2 fw2.bin
mk 3 other.bin p2 999
expect 0 "firmware upload" product firmware upload fleet-a fw1.bin --version 1 --title first
hasnt "no progress when stderr is not a terminal" err.txt "%"
has "upload output names the file and version" out.txt "fw1.bin: uploaded as version 1 of product fleet-a \(sha256 $(sha256sum fw1.bin | cut -c1-64)\)"
st=$(curl -s -o down.bin -w '%{http_code}' -H "Authorization: Bearer $TOK" "$U/v1/products/1234/firmware/1/binary")
[[ $st == 200 ]] && cmp -s down.bin fw1.bin && ok "uploaded file stored as sent" || bad "download: $st"
expect 1 "firmware upload: server's refusal" product firmware upload fleet-a other.bin --version 2
has "refusal: HTTP 400 and the file's problem" err.txt "product firmware upload other.bin to product fleet-a: HTTP 400: other.bin: product id in the module is 999, not this product.s 1234"
expect 1 "firmware upload: version not higher" product firmware upload 1234 fw1.bin --version 1
has "refusal: version" err.txt "HTTP 400: fw1.bin: version 1 is not higher than the existing version 1"
expect 1 "firmware upload: missing file" product firmware upload 1234 nosuch.bin --version 2
has "missing file named" err.txt "nosuch.bin: cannot read: No such file"
expect 2 "firmware upload without --version" product firmware upload 1234 fw2.bin
mkdir -p assets && echo hello >assets/a.txt
"$CLI" bundle fw2.bin --assets assets --save b2.zip >/dev/null || bad "otakit bundle"
expect 0 "bundle upload, --json" product firmware upload 1234 b2.zip --version 2 --json
[[ $(python3 -c 'import json; j=json.load(open("out.txt")); print(j["version"], j["bundle"])') == "2 True" ]] && ok "bundle stored as a bundle" || bad "bundle upload: $(cat out.txt)"
expect 0 "firmware list" product firmware list 1234
has "list shows both versions" out.txt "^v2  b2.zip .* bundle"
has "list shows v1" out.txt "^v1  first  [0-9]+ bytes"
expect 2 "release needs a target" product firmware release 1234 1
expect 0 "group create" product group create 1234 beta --color '#00aa00' --description testers
st=$(req GET /v1/products/1234/groups/beta "$TOK")
[[ $st == 200 && $(json 'j["group"]["color"], j["group"]["description"]') == "('#00aa00', 'testers')" ]] && ok "group stored" || bad "group: $st $(cat body.json)"
expect 1 "group create: bad name refused by the server" product group create 1234 Bad.Name
has "bad group name: HTTP 400" err.txt "HTTP 400"
expect 0 "group update" product group update 1234 beta --description "beta testers"
[[ $(req GET /v1/products/1234/groups/beta "$TOK") == 200 && $(json 'j["group"]["description"]') == "beta testers" ]] && ok "group updated" || bad "group update"
expect 0 "group list" product group list 1234
has "group list" out.txt "^beta  #00aa00  beta testers"
expect 0 "release to a group" product firmware release 1234 1 --groups beta
[[ $(req GET /v1/products/1234/firmware/1 "$TOK") == 200 && $(json 'j["groups"], j["product_default"]') == "(['beta'], False)" ]] && ok "released to beta" || bad "release: $(cat body.json)"
expect 1 "release to a missing group" product firmware release 1234 2 --groups nosuch
has "missing group: server's message" err.txt "HTTP 400: a group to release to does not exist"
expect 0 "release as default" product firmware release 1234 2 --default
[[ $(req GET /v1/products/1234/firmware/2 "$TOK") == 200 && $(json 'j["product_default"]') == True ]] && ok "v2 is the default" || bad "default: $(cat body.json)"
expect 1 "delete a released version refused" product firmware delete 1234 1
mk 3 fw3.bin
"$CLI" product firmware upload 1234 fw3.bin --version 3 </dev/null >/dev/null 2>&1 || bad "upload v3"
expect 0 "delete an unreleased version" product firmware delete 1234 3
[[ $(req GET /v1/products/1234/firmware/3 "$TOK") == 404 ]] && ok "v3 gone" || bad "v3 still there"

# --- product devices ------------------------------------------------------------------------
D1=0123456789abcdef01234567
D2=0123456789abcdef01234568
expect 0 "device add" product device add 1234 $D1 $D2
[[ $(req GET /v1/products/1234/devices/$D1 "$TOK") == 200 ]] && ok "device in the product" || bad "device add"
expect 1 "device add: bad id" product device add 1234 not-a-device
has "bad device id: HTTP 400" err.txt "product device add not-a-device: HTTP 400"
expect 0 "device lock" product device lock 1234 $D1 1
[[ $(req GET /v1/products/1234/devices/$D1 "$TOK") == 200 && $(json 'j["desired_firmware_version"]') == 1 ]] && ok "locked to 1 on the server" || bad "lock: $(cat body.json)"
expect 1 "lock to a missing version" product device lock 1234 $D1 9
has "lock refusal shown" err.txt "product device lock $D1: HTTP 4"
expect 0 "device development on" product device development 1234 $D2 on
[[ $(req GET /v1/products/1234/devices/$D2 "$TOK") == 200 && $(json 'j["development"]') == True ]] && ok "development on the server" || bad "development"
expect 2 "development: neither on nor off" product device development 1234 $D2 maybe
expect 0 "device groups set" product device groups 1234 $D2 beta north
[[ $(req GET /v1/products/1234/devices/$D2 "$TOK") == 200 && $(json 'sorted(j["groups"])') == "['beta', 'north']" ]] && ok "groups on the server" || bad "groups: $(cat body.json)"
expect 0 "device groups show" product device groups 1234 $D2 --json
[[ $(python3 -c 'import json; print(sorted(json.load(open("out.txt"))))') == "['beta', 'north']" ]] && ok "groups shown" || bad "groups show: $(cat out.txt)"
expect 0 "device list" product device list 1234
has "list shows the lock" out.txt "^$D1  .*locked to 1"
has "list shows development and groups" out.txt "^$D2  .*development  groups (beta,north|north,beta)"
expect 0 "device list --group, paged by 1" product device list 1234 --group north --per-page 1 --json
[[ $(python3 -c 'import json; print([d["id"] for d in json.load(open("out.txt"))])') == "['$D2']" ]] && ok "group filter" || bad "group filter: $(cat out.txt)"
expect 0 "device list walks every page" product device list 1234 --per-page 1 --json
[[ $(python3 -c 'import json; print(len(json.load(open("out.txt"))))') == 2 ]] && ok "both pages" || bad "pages: $(cat out.txt)"
expect 0 "device unlock" product device unlock 1234 $D1
[[ $(req GET /v1/products/1234/devices/$D1 "$TOK") == 200 && $(json 'j["desired_firmware_version"]') == None ]] && ok "unlocked on the server" || bad "unlock: $(cat body.json)"
expect 0 "device groups --clear" product device groups 1234 $D2 --clear
[[ $(req GET /v1/products/1234/devices/$D2 "$TOK") == 200 && $(json 'j["groups"]') == "[]" ]] && ok "groups cleared" || bad "clear: $(cat body.json)"
expect 0 "group delete" product group delete 1234 north
[[ $(req GET /v1/products/1234/groups/north "$TOK") == 404 ]] && ok "group gone" || bad "group delete"

# --- keys, list ---------------------------------------------------------------------------------
openssl ecparam -name prime256v1 -genkey -noout -out k.pem 2>/dev/null && openssl ec -in k.pem -pubout -out pub.pem 2>/dev/null
D3=0123456789abcdef0123abcd
expect 0 "keys send" keys send $D3 pub.pem
[[ $(req POST /v1/devices "$TOK" -d id=$D3) == 200 ]] && ok "provisioned device can be claimed" || bad "claim after keys send: $(cat body.json)"
expect 1 "keys send: the server refuses the algorithm" keys send $D3 pub.pem --algorithm rsa
has "algorithm refusal" err.txt "keys send $D3 pub.pem: HTTP 400"
echo "not a key" >junk.pem
expect 1 "keys send: not PEM" keys send $D3 junk.pem
has "not PEM names the file" err.txt "junk.pem: not a PEM public key"
expect 0 "list" list --json
[[ $(python3 -c 'import json; print([d["id"] for d in json.load(open("out.txt"))])') == "['$D3']" ]] && ok "list shows the claimed device" || bad "list: $(cat out.txt)"
expect 0 "list text" list
has "list text line" out.txt "^$D3  .* offline"

# --- events -------------------------------------------------------------------------------------
timeout 30 "$CLI" subscribe temp --max 2 >sub.txt 2>sub.err &
SUB=$!
for _ in $(seq 60); do grep -qs Subscribing sub.err && break; sleep 0.2; done
sleep 0.3
"$CLI" publish humidity 40 >/dev/null 2>&1 </dev/null
"$CLI" publish temp/kitchen 21.5 >pub.txt 2>&1 </dev/null
"$CLI" publish temp/hall 19 --ttl 30 >/dev/null 2>&1 </dev/null
wait $SUB
st=$?
[[ $st == 0 ]] && ok "subscribe --max 2 ends by itself (exit 0)" || { bad "subscribe exit $st"; cat sub.err; }
has "publish output" pub.txt "Published temp/kitchen"
[[ $(python3 -c 'import json; print([(e["name"], e["data"]) for e in map(json.loads, open("sub.txt"))])') == "[('temp/kitchen', '21.5'), ('temp/hall', '19')]" ]] && ok "subscribe: the two temp events, not humidity" || bad "events: $(cat sub.txt)"
[[ $(sed -n 2p sub.txt | python3 -c 'import json,sys; print(json.load(sys.stdin)["ttl"])') == 30 ]] && ok "event ttl" || bad "ttl: $(cat sub.txt)"
timeout 30 "$CLI" subscribe --product 1234 >psub.txt 2>psub.err &
SUB=$!
for _ in $(seq 60); do grep -qs Subscribing psub.err && break; sleep 0.2; done
sleep 0.3
"$CLI" publish other 1 >/dev/null 2>&1 </dev/null
"$CLI" publish fleet-news hello --product fleet-a >/dev/null 2>&1 </dev/null
for _ in $(seq 50); do grep -q fleet-news psub.txt && break; sleep 0.2; done
kill -INT $SUB
wait $SUB
st=$?
[[ $st == 0 ]] && ok "subscribe stops on SIGINT (exit 0)" || bad "subscribe SIGINT exit $st"
[[ $(python3 -c 'import json; print([e["name"] for e in map(json.loads, open("psub.txt"))])') == "['fleet-news']" ]] && ok "product stream: only the product's event" || bad "product events: $(cat psub.txt)"
expect 1 "subscribe to a foreign product" subscribe --product 77 --max 1
has "foreign stream: 403" err.txt "subscribe: HTTP 403"
expect 1 "publish: reserved name refused by the server" publish spark/x 1
has "publish refusal" err.txt "publish spark/x: HTTP 400"
expect 2 "subscribe --max 0" subscribe --max 0

# --- on a terminal (script(1) gives the command a pseudo-terminal) -----------------
if command -v script >/dev/null; then
	printf 'tty-secret-pw\n' >pw.txt
	(sleep 1; cat pw.txt) | timeout 30 script -qec "'$CLI' token create --username alice" /dev/null >tty.txt 2>&1
	has "password prompt on a terminal" tty.txt "^Password: "
	hasnt "the typed password is not echoed" tty.txt "tty-secret-pw"
	has "wrong password from the prompt reaches the server" tty.txt "HTTP 400: invalid_grant"
	head -c 200000 /dev/urandom >big.body
	"$CLI" binary create big.body --platform p2 --product 1234:4 --depends system:1:5500 -o fw4.bin -f >/dev/null
	timeout 60 script -qec "'$CLI' product firmware upload 1234 fw4.bin --version 4" /dev/null </dev/null >tty.txt 2>&1
	has "upload progress on a terminal" tty.txt "fw4.bin: 100%"
	[[ $(grep -o "fw4.bin: 100%" tty.txt | wc -l) == 1 ]] && ok "100% shown once" || bad "progress repeats: $(cat -A tty.txt | head -c 600)"
else
	echo "skip: script(1) absent, terminal checks not run"
fi

# --- overrides, logout --------------------------------------------------------------------------
expect 1 "--api elsewhere: connection error named" list --api http://127.0.0.1:1
has "connection error names the URL" err.txt "list: GET http://127.0.0.1:1/v1/devices: "
OTAKIT_API=http://127.0.0.1:1 run list </dev/null
[[ $? == 1 ]] && has "OTAKIT_API overrides the profile" err.txt "127.0.0.1:1"
OTAKIT_TOKEN=$TB run product firmware list 1234 </dev/null
[[ $? == 1 ]] && has "OTAKIT_TOKEN overrides the profile's token" err.txt "HTTP 403"
expect 0 "logout" logout
has "logout output" out.txt "Logged out alice \(profile otk\)"
[[ $(req GET /v1/user "$TOK") == 401 ]] && ok "logout revoked the token on otakitd" || bad "token alive after logout"
hasnt "token gone from the config" "$CFG" "access_token"
expect 1 "logout again: not logged in" logout
run login --token "$TB" </dev/null
[[ $? == 0 ]] && has "login --token: username from the server" out.txt "Logged in as bob" || { bad "login --token"; cat err.txt; }
expect 1 "login --token with a revoked token" login --token "$TOK"
has "revoked token: 401" err.txt "login --token: HTTP 401"
printf '{"profile": ' >"$CFG"
expect 1 "broken config file" list
has "broken config named" err.txt "config.json: not valid JSON"
[[ $(cat "$CFG") == '{"profile": ' ]] && ok "broken config left as it was" || bad "broken config rewritten"

# --- answers otakitd never gives: a stand-in server on loopback -------------------------
cat >fake.py <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path == "/errors/v1/devices":
            body, ctype, st = b'{"ok":false,"errors":["first problem","second problem"]}', "application/json", 500
        elif self.path == "/text/v1/devices":
            body, ctype, st = b"Bad Gateway from the proxy\nmore", "text/plain", 502
        elif self.path == "/huge/v1/devices":
            body, ctype, st = b"[" + b" " * (17 << 20) + b"]", "application/json", 200
        else:
            body, ctype, st = b"{}", "application/json", 404
        self.send_response(st)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open("fake.port", "w").write(str(s.server_address[1]))
s.timeout = 30
for _ in range(3):
    s.handle_request()
PY
python3 fake.py &
FAKE=$!
for _ in $(seq 50); do [[ -s fake.port ]] && break; sleep 0.1; done
F=http://127.0.0.1:$(cat fake.port)
OTAKIT_CONFIG=$tmp/fake-config.json OTAKIT_TOKEN=x run list --api "$F/errors" </dev/null
[[ $? == 1 ]] && has "Particle's errors array as one message" err.txt "list: HTTP 500: first problem; second problem" || bad "errors array"
OTAKIT_CONFIG=$tmp/fake-config.json OTAKIT_TOKEN=x run list --api "$F/text" </dev/null
[[ $? == 1 ]] && has "a non-JSON error body: its first line" err.txt "list: HTTP 502: Bad Gateway from the proxy$" || bad "text error"
OTAKIT_CONFIG=$tmp/fake-config.json OTAKIT_TOKEN=x run list --api "$F/huge" </dev/null
[[ $? == 1 ]] && has "an answer over 16 MiB is refused" err.txt "answer larger than 16777216 bytes" || bad "huge answer"
kill $FAKE 2>/dev/null
wait $FAKE 2>/dev/null

# --- help, usage ---------------------------------------------------------------------------------
expect 0 "product firmware --help" product firmware upload --help
has "help has examples" out.txt "otakit product firmware upload fleet-a app.bin --version 3"
expect 2 "product firmware: unknown subcommand" product firmware frobnicate 1234
expect 2 "login: bad option" login --frob
for g in login logout "token create" "token revoke" "token current" list subscribe publish "keys send" profile product "product firmware" "product device" "product group"; do
	"$CLI" help $g >help.txt 2>&1 && grep -q "^Example" help.txt || bad "help $g lacks examples"
done
ok "every cloud command's help has examples"

echo "$fails failure(s)"
[[ $fails == 0 ]]

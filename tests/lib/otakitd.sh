# Sourced by the otakitd tests.  Sets D (otakitd) and CLI (otakit), skips
# (77) when otakitd is not built, moves into a scratch directory removed at
# exit, and gives:
#   od_start DIR      start otakitd on a free loopback port with data in DIR;
#                     sets U (base URL) and OD_PID; fails the test if it does
#                     not come up within 10 s
#   od_stop [SIG]     stop it (SIGTERM by default; SIGKILL is a crash), bounded
#   od_user NAME PW   add a user to DIR
#   od_token NAME PW  print a token from the password grant
#   od_product        od_start on data/, user alice with her token in T, and
#                     product 1234 (p2)
#   ok/bad/has/hasnt  tests/lib/check.sh; req METHOD PATH TOKEN [curl args]
#                     runs curl, body in body.json, prints the status code
build=${OTK_BUILD:?OTK_BUILD must name the build directory}
D=$build/server/otakitd
CLI=${OTK_CLI:-$build/cli/otakit}
if [[ ! -x $D ]]; then
	echo "skipped: $D not built"
	exit 77
fi
source "${BASH_SOURCE[0]%/*}/check.sh"
OD_PID=
od_cleanup() {
	if [[ -n $OD_PID ]]; then
		kill -KILL "$OD_PID" 2>/dev/null
		wait "$OD_PID" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap od_cleanup EXIT

OD_DIR=
od_start() {
	OD_DIR=$1
	shift
	rm -f "$tmp/port"
	"$D" --data "$OD_DIR" --listen 127.0.0.1:0 --port-file "$tmp/port" \
		--access-log "$tmp/access.log" "$@" 2>>"$tmp/otakitd.err" &
	OD_PID=$!
	for _ in $(seq 100); do
		[[ -s $tmp/port ]] && break
		kill -0 "$OD_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [[ ! -s $tmp/port ]]; then
		echo "FAIL: otakitd did not start"; cat "$tmp/otakitd.err"; exit 1
	fi
	U=http://127.0.0.1:$(cat "$tmp/port")
}

# od_stop [SIGNAL]: returns otakitd's exit status (137 after SIGKILL).
od_stop() {
	local sig=${1:-TERM} st
	[[ -z $OD_PID ]] && return 0
	kill -"$sig" "$OD_PID" 2>/dev/null
	for _ in $(seq 150); do
		kill -0 "$OD_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$OD_PID" 2>/dev/null
	wait "$OD_PID"
	st=$?
	OD_PID=
	return $st
}

od_user() {
	printf '%s\n' "$2" | "$D" user add "$1" --data "$OD_DIR" >/dev/null
}

od_product() {
	mkdir data
	od_start data
	od_user alice 'alice-password'
	T=$(od_token alice alice-password)
	[[ $(req POST /v1/products "$T" -d name=A -d platform_id=32 -d id=1234) == 200 ]] ||
		bad "setup: product"
}

od_token() {
	curl -s -u particle:particle -d grant_type=password --data-urlencode "username=$1" \
		--data-urlencode "password=$2" "$U/oauth/token" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# req METHOD PATH TOKEN [curl args...]: body in body.json, prints the status
req() {
	local m=$1 p=$2 t=$3
	shift 3
	local auth=()
	[[ -n $t ]] && auth=(-H "Authorization: Bearer $t")
	curl -s -o body.json -w '%{http_code}' -X "$m" "${auth[@]}" "$@" "$U$p"
}

# json EXPR: prints a Python expression over body.json (as j); a, b prints a tuple
json() {
	python3 -c "import json,sys; j=json.load(open('body.json')); v=($1); print(v)"
}

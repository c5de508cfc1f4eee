#!/bin/bash
# Many sessions in otakitd's one UDP event loop (loopback): N devices
# (default 10000) in one otk-dtls-load process, one socket each, complete
# their handshakes (CONC at a time, default 64), then every session sends a
# CoAP Hello at once (round 1), and after an idle pause every device sends
# from a new source port (round 2, routing by CID).  Per run otakitd is
# started fresh; figures are medians of RUNS (default 3):
#   handshakes/s through otakitd, against the floor of the server's
#   public-key work from `openssl speed ecdhp256 ecdsap256` in the same run
#   (1 ECDSA sign + 1 verify + 2 ECDH per handshake, as bench/dtls.sh);
#   the client's equal share runs on the same machine (2 processes), so
#   also handshakes per CPU second otakitd used (/proc/PID/stat);
#   seconds for each all-sessions round, and CoAP retransmissions in them;
#   otakitd's VmRSS before and after, and RSS per session (includes the
#   SQLite cache the saved sessions grow).
# Use a build without sanitizers.  Not a test: nothing fails on slowness.
#
#   OTK_BUILD=build bench/dtls_sessions.sh     (N, RUNS, CONC)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export OTK_BUILD=${OTK_BUILD:-$here/../build}
N=${N:-10000}
runs=${RUNS:-3}
conc=${CONC:-64}
for t in curl openssl python3; do
	command -v $t >/dev/null || { echo "bench: $t is needed" >&2; exit 1; }
done
load=$OTK_BUILD/tests/otk-dtls-load
[[ -x $load ]] || { echo "bench: $load is not built" >&2; exit 1; }
source "$here/../tests/lib/otakitd.sh"

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
openssl ecparam -name prime256v1 -genkey -noout -out server.key.pem 2>/dev/null
openssl ec -in server.key.pem -pubout -outform DER -out server.pub.der 2>/dev/null
mkdir data
od_start data --udp 127.0.0.1:0 --udp-port-file "$tmp/uport" --server-key server.key.pem
od_user bench bench-password
T=$(od_token bench bench-password)
"$load" keygen "$N" keys.pem prov.cfg "$U" "$T" || exit 1
curl -s -K prov.cfg >prov.out
[[ $(grep -c '^200$' prov.out) == "$N" ]] || { echo "bench: provisioning failed: $(sort prov.out | uniq -c)" >&2; exit 1; }
od_stop

declare -A vals
for r in $(seq "$runs"); do
	rm -f uport
	od_start data --udp 127.0.0.1:0 --udp-port-file "$tmp/uport" --server-key server.key.pem
	for _ in $(seq 50); do [[ -s uport ]] && break; sleep 0.1; done
	if ! "$load" run 127.0.0.1 "$(cat uport)" keys.pem server.pub.der --pid "$OD_PID" \
		--concurrency "$conc" --timeout 600 >run$r.out 2>run$r.err; then
		echo "bench: run $r failed:" >&2
		cat run$r.out >&2
		head -5 run$r.err >&2
		exit 1
	fi
	od_stop
	while read -r k v; do vals[$k]+="$v "; done <run$r.out
	while read -r k v; do vals[$k]+="$v "; done < <(openssl speed -seconds 1 -mr ecdhp256 ecdsap256 2>/dev/null |
		awk -F: '/^\+F4:/ { print "ossl_sign", $4; print "ossl_verify", $5 } /^\+F5:/ { print "ossl_ecdh", $4 }')
done
m() { tr ' ' '\n' <<<"${vals[$1]}" | grep . | median; }
hs=$(m handshakes_per_s)
floor=$(awk -v s="$(m ossl_sign)" -v v="$(m ossl_verify)" -v e="$(m ossl_ecdh)" \
	'BEGIN { printf "%.1f", 1 / (1 / s + 1 / v + 2 / e) }')
echo "DTLS sessions in one otakitd event loop ($(nproc) cores; medians of $runs runs; $(openssl version))"
echo
printf '%-56s %12s\n' "devices (one UDP socket each, one client process)" "$N"
printf '%-56s %12s\n' "handshakes in flight at once" "$conc"
printf '%-56s %12s\n' "floor: server handshakes/s (sign+verify+2 ECDH)" "$floor"
printf '%-56s %12s\n' "otakitd: handshakes/s (client on the same machine)" "$hs"
printf '%-56s %12s\n' "ratio otakitd / floor" "$(awk -v a="$hs" -v b="$floor" 'BEGIN { printf "%.2f", a / b }')"
hc=$(m handshakes_per_server_cpu_s)
printf '%-56s %12s\n' "otakitd: handshakes per CPU second of otakitd" "$hc"
printf '%-56s %12s\n' "ratio per CPU second / floor" "$(awk -v a="$hc" -v b="$floor" 'BEGIN { printf "%.2f", a / b }')"
printf '%-56s %12s\n' "round 1: all sessions' Hello answered, s" "$(m round1_s)"
printf '%-56s %12s\n' "round 1: CoAP retransmissions" "$(m round1_retransmits)"
printf '%-56s %12s\n' "round 2: all from new source ports (CID), s" "$(m round2_s)"
printf '%-56s %12s\n' "round 2: CoAP retransmissions" "$(m round2_retransmits)"
printf '%-56s %12s\n' "otakitd VmRSS before, KiB" "$(m rss_before_kb)"
printf '%-56s %12s\n' "otakitd VmRSS after, KiB" "$(m rss_after_kb)"
printf '%-56s %12s\n' "otakitd RSS per session, bytes" "$(m rss_per_session_bytes)"

#!/bin/bash
# DTLS benchmark: otakit's handshakes and records against the floor that
# OpenSSL's own primitives give on this machine, measured in the same run.
#
#   full handshakes per second on one core (client and server in memory, so
#   both sides' work; and the server's share alone), against the floor of
#   the server's public-key work per handshake from `openssl speed ecdhp256
#   ecdsap256`: 1 ECDSA sign + 1 ECDSA verify + 2 ECDH operations (key
#   generation and derivation);
#   records per second (encrypt, decrypt) of SIZE-byte CCM-8 CID records,
#   against AES-128-CCM bytes/s from `openssl speed -evp aes-128-ccm` at the
#   nearest block size;
#   heap per established session (mallinfo2, needs a build without ASan).
# Medians of RUNS (default 5).  Not a test: nothing fails on slowness.
#
#   OTK_BUILD=build bench/dtls.sh        (RUNS, SIZE default 100, HS default 300)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${OTK_BUILD:-$here/../build}
bench=$build/tests/otk-dtls-bench
runs=${RUNS:-5}
size=${SIZE:-100}
hs=${HS:-300}
[[ -x $bench ]] || { echo "bench: $bench is not built (cmake --build $build --target otk-dtls-bench)" >&2; exit 1; }
command -v openssl >/dev/null || { echo "bench: openssl is needed" >&2; exit 1; }

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
one() { taskset -c 0 "$@" 2>/dev/null || "$@"; }

declare -A vals
for _ in $(seq "$runs"); do
	while read -r k v; do vals[$k]+="$v "; done < <(one "$bench" handshakes "$hs")
	while read -r k v; do vals[$k]+="$v "; done < <(one "$bench" records 20000 "$size")
	while read -r k v; do vals[$k]+="$v "; done < <(one openssl speed -seconds 1 -mr ecdhp256 ecdsap256 2>/dev/null |
		awk -F: '/^\+F4:/ { print "ossl_sign", $4; print "ossl_verify", $5 } /^\+F5:/ { print "ossl_ecdh", $4 }')
	while read -r k v; do vals[$k]+="$v "; done < <(one openssl speed -seconds 1 -mr -evp aes-128-ccm 2>/dev/null |
		awk -F: -v s="$size" '/^\+F:/ { n = (s <= 16) ? 4 : (s <= 64) ? 5 : (s <= 256) ? 6 : 7; print "ossl_ccm_Bps", $n; print "ossl_ccm_blk", (n == 4) ? 16 : (n == 5) ? 64 : (n == 6) ? 256 : 1024 }')
done
mem=$("$bench" memory 1000)
m() { tr ' ' '\n' <<<"${vals[$1]}" | grep . | median; }
hs_both=$(m handshakes_per_s_both_sides)
hs_srv=$(m handshakes_per_s_server)
enc=$(m records_per_s_encrypt)
dec=$(m records_per_s_decrypt)
sign=$(m ossl_sign)
verify=$(m ossl_verify)
ecdh=$(m ossl_ecdh)
ccm=$(m ossl_ccm_Bps)
blk=$(m ossl_ccm_blk)
floor=$(awk -v s="$sign" -v v="$verify" -v e="$ecdh" 'BEGIN { printf "%.1f", 1 / (1 / s + 1 / v + 2 / e) }')
ccm_rec=$(awk -v b="$ccm" -v k="$blk" 'BEGIN { printf "%.0f", b / k }')
echo "DTLS benchmark ($(nproc) cores, pinned to one; medians of $runs runs; $(openssl version))"
echo
printf '%-52s %12s\n' "openssl speed: ECDSA P-256 sign/s" "$sign"
printf '%-52s %12s\n' "openssl speed: ECDSA P-256 verify/s" "$verify"
printf '%-52s %12s\n' "openssl speed: ECDH P-256 op/s" "$ecdh"
printf '%-52s %12s\n' "floor: server handshakes/s (sign+verify+2 ECDH)" "$floor"
printf '%-52s %12s\n' "otakit: server handshakes/s (server's share)" "$hs_srv"
printf '%-52s %12s\n' "otakit: full handshakes/s, both sides on one core" "$hs_both"
printf '%-52s %12s\n' "ratio otakit server / floor" "$(awk -v a="$hs_srv" -v b="$floor" 'BEGIN { printf "%.2f", a / b }')"
echo
printf '%-52s %12s\n' "openssl speed: AES-128-CCM ${blk}-byte blocks/s" "$ccm_rec"
printf '%-52s %12s\n' "otakit: ${size}-byte records/s, encrypt" "$enc"
printf '%-52s %12s\n' "otakit: ${size}-byte records/s, decrypt" "$dec"
printf '%-52s %12s\n' "ratio otakit encrypt / openssl CCM" "$(awk -v a="$enc" -v b="$ccm_rec" 'BEGIN { printf "%.2f", a / b }')"
echo
while read -r k v; do printf '%-52s %12s\n' "memory: $k" "$v"; done <<<"$mem"

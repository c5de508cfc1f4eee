#!/bin/bash
# Side-by-side benchmark of `otakit binary inspect` against Particle's tools:
# `particle binary inspect` (particle-cli) and binary-version-reader's parser,
# on a ~500 KB Gen3 system part and on an application bundle (.zip).
#
# Reports, per file and tool: median whole-process wall time, the ratio to
# otakit, peak resident set size, and binary-version-reader's own in-process
# time. See bench/README.md. Not a test: nothing here fails on slowness.
#
#   OTAKIT=build/cli/otakit bench/run.sh [--record]
#
# --record appends the table, with the date, commit and machine, to
# bench/results.md. Environment: OTAKIT (default build/cli/otakit),
# OTK_SHARED (default ../shared beside the repository), RUNS (reference-tool
# runs per measurement, default 10), RSS_RUNS (default 5), BENCH_NO_HYPERFINE=1
# (time with a plain loop even if hyperfine is there).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
record=false
[[ ${1:-} == --record ]] && record=true

otakit=${OTAKIT:-$repo/build/cli/otakit}
[[ $otakit == /* ]] || otakit=$PWD/$otakit
shared=${OTK_SHARED:-$repo/../shared}
runs=${RUNS:-10}
rss_runs=${RSS_RUNS:-5}
if [[ ! -x $otakit ]]; then
	echo "bench: $otakit is not built (make build, or set OTAKIT)" >&2
	exit 1
fi
if [[ ! -d $shared/fixtures/particle ]]; then
	echo "bench: fixtures not found under $shared (set OTK_SHARED)" >&2
	exit 1
fi
lock=${XDG_CACHE_HOME:-$HOME/.cache}/otakit-oracle.lock
mkdir -p "$(dirname "$lock")"
setup=("$shared/oracle/setup.sh")
command -v flock >/dev/null && setup=(flock "$lock" "${setup[@]}")
O=$("${setup[@]}" | tail -n 1)

# Tools the measurement uses, installed from Debian when missing and possible.
apt_install() {
	[[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null || return 1
	echo "bench: installing $*" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; }
}
command -v hyperfine >/dev/null || apt_install hyperfine || true
[[ -x /usr/bin/time ]] || apt_install time || true
have_hyperfine=false
command -v hyperfine >/dev/null && [[ -z ${BENCH_NO_HYPERFINE:-} ]] && have_hyperfine=true
have_time=false
/usr/bin/time -f %M true >/dev/null 2>&1 && have_time=true

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# particle-cli refuses to run without a project.properties in the working directory.
: >"$work/project.properties"
cd "$work"

# binary-version-reader has no bundle command; this does what particle-cli's
# inspect does with one (unpack, parse the application, hash each asset), timed
# in-process like bvr_oracle.js.
cat >"$work/bvr_bundle.js" <<'EOF'
const bvr = require(process.env.BVR);
(async () => {
  const t0 = process.hrtime.bigint();
  const b = await bvr.unpackApplicationAndAssetBundle(process.argv[2]);
  const info = await new bvr.HalModuleParser().parseBuffer({ filename: b.application.name, fileBuffer: b.application.data });
  const ok = (info.assets || []).map(a => { const x = b.assets.find(y => y.name === a.name); return x && bvr.isAssetValid(x.data, a); });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(JSON.stringify({ crc: info.crc, assets: ok }));
  console.error(`[bundle] in-process time ${ms.toFixed(1)} ms`);
})().catch(e => { console.error('ERROR', e.message); process.exit(1); });
EOF
export BVR=$O/npm/node_modules/binary-version-reader

fx=$shared/fixtures/particle
sys=$fx/binaries/tracker-system-part1@3.1.0-alpha.2.bin
zip=$fx/bundles/bundle.zip
cases=(sys zip)
declare -A file label bvrcmd
file[sys]=$sys
file[zip]=$zip
label[sys]="system part $(basename "$sys") ($(($(stat -c %s "$sys") / 1024)) KiB)"
label[zip]="bundle $(basename "$zip") ($(($(stat -c %s "$zip") / 1024)) KiB, app + 3 assets)"
bvrcmd[sys]="$O/node $O/npm/bvr_oracle.js parse $sys"
bvrcmd[zip]="$O/node $work/bvr_bundle.js $zip"
tools=(otakit particle bvr)
declare -A tool_name=([otakit]="otakit binary inspect" [particle]="particle binary inspect"
	[bvr]="binary-version-reader")

cmd_for() { # CASE TOOL
	case $2 in
	otakit) echo "$otakit binary inspect ${file[$1]}" ;;
	particle) echo "$O/particle binary inspect --no-update-check ${file[$1]}" ;;
	bvr) echo "${bvrcmd[$1]}" ;;
	esac
}

# Every command must work before it is timed. (Paths here have no spaces.)
for c in "${cases[@]}"; do
	for t in "${tools[@]}"; do
		read -ra cmd <<<"$(cmd_for "$c" "$t")"
		if ! "${cmd[@]}" >"$work/check.out" 2>&1; then
			echo "bench: '$t' failed on ${file[$c]}:" >&2
			cat "$work/check.out" >&2
			exit 1
		fi
	done
done

# Microseconds; bash 5's EPOCHREALTIME costs no fork, date(1) is the fallback.
if [[ -n ${EPOCHREALTIME:-} ]]; then
	now_us() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t)); }
else
	now_us() { echo $(($(date +%s%N) / 1000)); }
fi
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A wall rss inproc
for c in "${cases[@]}"; do
	echo "bench: timing ${label[$c]}" >&2
	if $have_hyperfine; then
		# No shell in between (-N): the times are the processes' own. otakit gets
		# hyperfine's default (as many runs as fit in 3 s, at least 10).
		args=()
		for t in "${tools[@]}"; do
			[[ $t == otakit ]] || args+=(--command-name "$t" "$(cmd_for "$c" "$t")")
		done
		hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/$c-ref.json" \
			--style none "${args[@]}" >"$work/hyperfine.log" 2>&1 || { cat "$work/hyperfine.log" >&2; exit 1; }
		hyperfine -N --warmup 10 --min-runs 50 --export-json "$work/$c-otk.json" \
			--style none --command-name otakit "$(cmd_for "$c" otakit)" >"$work/hyperfine.log" 2>&1 ||
			{ cat "$work/hyperfine.log" >&2; exit 1; }
		while read -r name ms; do
			wall[$c,$name]=$ms
		done < <(python3 -c '
import json, sys
for f in sys.argv[1:]:
    for r in json.load(open(f))["results"]:
        print(r["command"], r["median"] * 1000)' "$work/$c-ref.json" "$work/$c-otk.json")
	else
		for t in "${tools[@]}"; do
			n=$runs
			[[ $t == otakit ]] && n=$((runs * 10))
			read -ra cmd <<<"$(cmd_for "$c" "$t")"
			for ((i = 0; i < n; i++)); do
				s=$(now_us)
				"${cmd[@]}" >/dev/null 2>&1
				echo $(($(now_us) - s)) >>"$work/$c-$t.us"
			done
			wall[$c,$t]=$(median <"$work/$c-$t.us" | awk '{ print $1 / 1e3 }')
		done
	fi
	for t in "${tools[@]}"; do
		read -ra cmd <<<"$(cmd_for "$c" "$t")"
		if $have_time; then
			for ((i = 0; i < rss_runs; i++)); do
				/usr/bin/time -f %M -o "$work/rss" "${cmd[@]}" >/dev/null 2>&1
				tail -n 1 "$work/rss" >>"$work/$c-$t.rss"
			done
			rss[$c,$t]=$(median <"$work/$c-$t.rss")
		else
			rss[$c,$t]=
		fi
	done
	# binary-version-reader's own figure, without Node start-up and module loading.
	: >"$work/$c.inproc"
	read -ra cmd <<<"${bvrcmd[$c]}"
	for ((i = 0; i < runs; i++)); do
		"${cmd[@]}" 2>&1 >/dev/null | sed -n 's/.*in-process time \([0-9.]*\) ms.*/\1/p' >>"$work/$c.inproc"
	done
	inproc[$c]=$(median <"$work/$c.inproc")
done

# The table.
table() {
	printf '| file | tool | median wall ms | tool / otakit | peak RSS MiB | in-process ms |\n'
	printf '|---|---|---:|---:|---:|---:|\n'
	for c in "${cases[@]}"; do
		for t in "${tools[@]}"; do
			local w=${wall[$c,$t]} base=${wall[$c,otakit]} r=${rss[$c,$t]:-} ip=
			[[ $t == bvr ]] && ip=$(printf '%.1f' "${inproc[$c]}")
			[[ $t == bvr ]] || ip="-"
			printf '| %s | %s | %.1f | %s | %s | %s |\n' \
				"$([[ $t == otakit ]] && echo "${label[$c]}")" \
				"${tool_name[$t]}" \
				"$w" \
				"$(awk -v a="$w" -v b="$base" 'BEGIN { printf(a / b < 10 ? "%.1fx" : "%.0fx", a / b) }')" \
				"$([[ -n $r ]] && awk -v k="$r" 'BEGIN { printf "%.1f", k / 1024 }' || echo n/a)" \
				"$ip"
		done
	done
}
method="hyperfine $(hyperfine --version 2>/dev/null | awk '{ print $2 }'), -N, median of $runs runs (otakit: >= 50)"
$have_hyperfine || method="shell loop, median of $runs runs (otakit: $((runs * 10)))"
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
header="$(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) x ${cpu:-unknown CPU}
wall: $method; RSS: GNU time %M, median of $rss_runs runs; in-process: binary-version-reader's own timer, median of $runs runs"
echo
echo "$header"
echo
table | tee "$work/table.md"
if $record; then
	{
		echo
		echo "## $(date -u +%Y-%m-%d)"
		echo
		echo "${header//$'\n'/$'  \n'}  "
		echo
		cat "$work/table.md"
	} >>"$here/results.md"
	echo
	echo "recorded in bench/results.md"
fi

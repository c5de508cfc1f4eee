#!/bin/sh
# Runs every libFuzzer binary in DIR for SECONDS each, starting from the
# checked-in seed corpus (copied, so new inputs do not dirty the tree).
# Any crash fails the run and leaves the reproducer in DIR/crash-*.
set -eu
dir=$1
secs=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
for bin in "$dir"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	short=${name#fuzz_}
	work="$dir/corpus-$short"
	mkdir -p "$work"
	cp -n "$root/fuzz/corpus/$short"/* "$work"/ 2>/dev/null || true
	# The real Particle binaries make good seeds for the module parser; they
	# are read from ../shared at run time, never copied into the repository.
	if [ "$short" = module ] && [ -d "$root/../shared/fixtures/particle" ]; then
		cp -n "$root"/../shared/fixtures/particle/binaries/*.bin "$root"/../shared/fixtures/particle/golden/*.bin "$work"/ 2>/dev/null || true
	fi
	extra=""
	if [ "$short" = hex ]; then
		# Memory and time blow-ups in the hex loader need many records:
		# allow 1 MiB inputs, add a sparse descending file of that size,
		# and count a slow input as a failure.
		extra="-max_len=1048576 -timeout=20 -rss_limit_mb=1024"
		[ -e "$work/sparse-1m.hex" ] ||
			python3 "$root/scripts/gen_sparse_hex.py" "$work/sparse-1m.hex" 65536
	fi
	echo "fuzz: $name for ${secs}s"
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$dir/crash-$short-" \
		$extra "$work" >"$dir/$name.log" 2>&1 || { tail -n 40 "$dir/$name.log"; echo "fuzz: $name FAILED"; exit 1; }
	grep -E "stat::number_of_executed_units|stat::new_units_added" "$dir/$name.log" | tr '\n' ' '
	echo
done

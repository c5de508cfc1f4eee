#!/bin/bash
# A cmocka program whose cases skip (no shared fixtures) must exit 77, which
# ctest reports as skipped, never 0 ("passed"); one that runs every case
# must still exit 0.  test_boot reads ../shared in all of its cases,
# test_crc32 in none.
set -uo pipefail
build=${OTK_BUILD:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Three levels deep so that no ../shared, ../../shared, ../../../shared exists.
mkdir -p "$tmp/a/b/c" && cd "$tmp/a/b/c" || exit 1
fails=0
OTK_SHARED= "$build/tests/test_boot" >out.txt 2>&1
rc=$?
if [[ $rc -eq 77 ]]; then echo "ok   test_boot without fixtures exits 77"
else echo "FAIL test_boot without fixtures exits $rc, want 77"; cat out.txt; fails=1; fi
OTK_SHARED= "$build/tests/test_crc32" >out.txt 2>&1
rc=$?
if [[ $rc -eq 0 ]]; then echo "ok   test_crc32 (no fixtures needed) exits 0"
else echo "FAIL test_crc32 exits $rc, want 0"; cat out.txt; fails=1; fi
[[ $fails -eq 0 ]]

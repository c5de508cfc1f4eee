#!/bin/bash
# The portable core must build freestanding for Cortex-M4 and must not pull
# in the heap or stdio: compile every core source with arm-none-eabi-gcc and
# check the undefined symbols with nm.
set -euo pipefail
src=${OTK_SRC:?}
if ! command -v arm-none-eabi-gcc >/dev/null; then
	echo "skipped: arm-none-eabi-gcc not installed (scripts/install-deps.sh installs it)"
	exit 77
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
flags="-mcpu=cortex-m4 -mthumb -Os -ffreestanding -std=c11 -Wall -Wextra -Wpedantic -Werror
       -ffunction-sections -fdata-sections -I$src/core/include"
n=0
for f in "$src"/core/src/*.c; do
	arm-none-eabi-gcc $flags -c "$f" -o "$out/$(basename "$f" .c).o"
	n=$((n + 1))
done
undefined=$(arm-none-eabi-nm -u "$out"/*.o | awk 'NF == 2 { print $2 }' | sort -u)
echo "compiled $n core sources for cortex-m4; undefined symbols:" $undefined
bad=$(echo "$undefined" | grep -E '^(malloc|calloc|realloc|free|printf|fprintf|sprintf|snprintf|vprintf|vsnprintf|puts|fputs|putchar|fopen|fwrite|fread|_sbrk|_malloc_r|_free_r|abort|exit)$' || true)
if [ -n "$bad" ]; then
	echo "FAIL: the core references heap/stdio functions:" $bad
	exit 1
fi
# Only the freestanding memory functions may be needed from a C library.
other=$(echo "$undefined" | grep -vE '^(memcpy|memset|memmove|memcmp|strlen|strcmp|strncmp|__aeabi_[a-z0-9_]+|otk_[a-z0-9_]+)$' || true)
if [ -n "$other" ]; then
	echo "FAIL: unexpected external symbols:" $other
	exit 1
fi
arm-none-eabi-size -t "$out"/*.o | tail -1
echo "ok: core is freestanding"

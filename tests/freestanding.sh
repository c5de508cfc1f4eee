#!/bin/bash
# The portable core must build and link freestanding for Cortex-M4: compile
# every core source with arm-none-eabi-gcc, link all the objects into one
# image with no C library and no start files (entry 0, no section garbage
# collection, so every reference of every object must resolve), and fail on
# any symbol left undefined except the C library's memory functions
# (memcpy, memset, memmove, memcmp), which a freestanding compiler may emit
# and every firmware provides.  libgcc, the compiler's own runtime, is
# linked.  A core source that calls a host function (an otk_* symbol from
# host/, malloc, printf...) fails here.
#
# The check checks itself first: a probe object calling a function nobody
# defines must be reported.
set -euo pipefail
src=${OTK_SRC:?}
if ! command -v arm-none-eabi-gcc >/dev/null; then
	echo "skipped: arm-none-eabi-gcc not installed (scripts/install-deps.sh installs it)"
	exit 77
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
arch="-mcpu=cortex-m4 -mthumb"
flags="$arch -Os -ffreestanding -std=c11 -Wall -Wextra -Wpedantic -Werror
       -ffunction-sections -fdata-sections -I$src/core/include"
allowed='^(memcpy|memset|memmove|memcmp)$'

n=0
for f in "$src"/core/src/*.c; do
	arm-none-eabi-gcc $flags -c "$f" -o "$out/$(basename "$f" .c).o"
	n=$((n + 1))
done

# Symbols an image made of these objects leaves undefined, as the linker
# reports them.
undefined_of() {
	arm-none-eabi-gcc $arch -nostdlib -nostartfiles -Wl,-e,0 -o "$out/image.elf" "$@" -lgcc \
		>"$out/link.log" 2>&1 || true
	grep -o "undefined reference to \`[^']*'" "$out/link.log" | sed "s/.*\`//; s/'$//" | sort -u
}

# Which objects reference sym.
users_of() {
	local sym=$1
	shift
	for o in "$@"; do
		grep -qx "$sym" < <(arm-none-eabi-nm -u "$o" | awk '{ print $NF }') && basename "$o"
	done
	return 0
}

# self-check: a call to a host-only function must show up
printf 'int otk_host_only(void);\nint probe(void);\nint probe(void) { return otk_host_only(); }\n' \
	>"$out/probe.c"
arm-none-eabi-gcc $flags -c "$out/probe.c" -o "$out/probe.x"
if ! grep -qx otk_host_only < <(undefined_of "$out"/*.o "$out/probe.x"); then
	echo "FAIL: the link check does not see an undefined otk_host_only"
	exit 1
fi

undefined=$(undefined_of "$out"/*.o)
other=$(grep -v "undefined reference\|: in function\|ld returned" "$out/link.log" || true)
if [ -n "$other" ]; then
	echo "FAIL: linking the core objects failed: $other"
	exit 1
fi
echo "linked $n core sources for cortex-m4; undefined:" $undefined
bad=""
for sym in $undefined; do
	[[ $sym =~ $allowed ]] && continue
	bad="$bad $sym($(users_of "$sym" "$out"/*.o | tr '\n' ' ' | sed 's/ $//'))"
done
if [ -n "$bad" ]; then
	echo "FAIL: the core needs symbols a freestanding firmware does not have:$bad"
	exit 1
fi
arm-none-eabi-size -t "$out"/*.o | tail -1
echo "ok: core is freestanding"

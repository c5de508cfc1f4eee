#!/bin/bash
# Code size of the device update engine and boot logic on a Cortex-M4:
# cross-compiles the device library with arm-none-eabi-gcc -Os -mcpu=cortex-m4
# -mthumb, links it with --gc-sections behind a stub that calls the whole
# public API (so only reachable code counts), and prints .text/.data/.bss per
# source file and in total.  Caller-owned state and buffers (struct
# otk_update, the scratch buffer, the inflate state and window) are not
# static and do not appear here; their sizes are printed separately.
#
#   bench/size.sh [--record]    --record rewrites bench/size-results.md
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
record=false
[[ ${1:-} == --record ]] && record=true
command -v arm-none-eabi-gcc >/dev/null || { echo "size: arm-none-eabi-gcc not installed" >&2; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cflags="-mcpu=cortex-m4 -mthumb -Os -ffreestanding -std=c11 -ffunction-sections -fdata-sections -I$repo/core/include -DOTK_CRC32_SMALL"
# Every core source goes in; --gc-sections keeps what the stub reaches, so
# the table follows the engine however it is split into files.  The shared
# primitives are listed apart from the update path's own code.
deps="module crc32 sha256 inflate"
engine=""
for f in "$repo"/core/src/*.c; do
	b=$(basename "$f" .c)
	arm-none-eabi-gcc $cflags -fstack-usage -c "$f" -o "$out/$b.o"
	case " $deps " in *" $b "*) ;; *) engine="$engine $b" ;; esac
done
cat > "$out/stub.c" <<'C'
#include "otk/boot.h"
#include "otk/update.h"
/* Every entry point a firmware uses; volatile sinks keep them reachable. */
void entry(void);
struct otk_update *volatile g_u;
const struct otk_device *volatile g_dev;
uint8_t *volatile g_buf;
struct otk_boot_report *volatile g_rep;
void entry(void)
{
	struct otk_update_config cfg = { 0 };
	cfg.dev = g_dev;
	otk_update_init(g_u, &cfg);
	otk_boot(g_dev, g_u, g_buf, 512, 0, g_rep);
	struct otk_update_start st = { 100, g_buf, 0, 0, 512 };
	long off = otk_update_begin(g_u, &st);
	otk_update_write(g_u, (uint32_t)off, g_buf, 64);
	otk_update_save(g_u);
	uint32_t ack;
	otk_update_ack(g_u, &ack, 1);
	otk_update_finish(g_u, OTK_FINISH_APPLY, 0);
	(void)otk_layout_by_platform(6);
}
C
arm-none-eabi-gcc $cflags -c "$out/stub.c" -o "$out/stub.o"
# memcpy/memset/memcmp from newlib-nano; no start files, entry is the root
arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -Os -nostartfiles -specs=nano.specs \
	-Wl,--gc-sections -Wl,-e,entry -Wl,-Map,"$out/map" -o "$out/image.elf" \
	"$out/stub.o" $(for f in $engine $deps; do echo "$out/$f.o"; done) -lc

# A bootloader: the copy at boot and the boot decision, no transfer code.
# It must link from the objects without update.o (the transfer and its
# validation); the link fails if the copy or boot code still needs them.
cat > "$out/boot_stub.c" <<'C'
#include "otk/boot.h"
#include "otk/update.h"
void entry(void);
struct otk_update *volatile g_u;
const struct otk_device *volatile g_dev;
uint8_t *volatile g_buf;
struct otk_boot_report *volatile g_rep;
void entry(void)
{
	struct otk_update_config cfg = { 0 };
	cfg.dev = g_dev;
	otk_update_init(g_u, &cfg);
	otk_boot(g_dev, g_u, g_buf, 512, 0, g_rep);
}
C
arm-none-eabi-gcc $cflags -c "$out/boot_stub.c" -o "$out/boot_stub.o"
boot_objs=$(for f in $engine $deps; do [ "$f" = update ] || echo "$out/$f.o"; done)
boot_line="bootloader (otk_update_init + otk_boot: journal, image scan, copy, boot decision; no transfer code):"
if arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -Os -nostartfiles -specs=nano.specs \
	-Wl,--gc-sections -Wl,-e,entry -o "$out/boot.elf" "$out/boot_stub.o" $boot_objs -lc 2>"$out/boot.err"; then
	boot_line="$boot_line $(arm-none-eabi-size -A "$out/boot.elf" | awk '$1 ~ /^\.(text|rodata)/ { t += $2 } END { print t }') B of code (libc included)"
else
	boot_line="$boot_line does not link without update.c: $(grep -o "undefined reference to .*" "$out/boot.err" | sort -u | tr '\n' ' ')"
fi

# Per input file: sum the kept input sections from the linker map.
python3 - "$out/map" "$engine" "$deps" > "$out/table" <<'PY'
import re, sys
mp, engine, deps = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
text = open(mp).read()
mem = text.split('Linker script and memory map', 1)[1]
sizes = {}
cur = None
for line in mem.splitlines():
    m = re.match(r'^ (\.[\w.]+)\s*$', line)
    if m:
        cur = m.group(1); continue
    m = re.match(r'^ (\.[\w.]+)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)$', line)
    if not m:
        continue
    sec = m.group(1) or cur
    size = int(m.group(2), 16)
    obj = m.group(3)
    name = re.sub(r'.*/', '', obj)
    name = re.sub(r'\.o$', '', name)
    if 'lib' in obj and '.a(' in obj:
        name = 'libc'
    kind = 'text' if sec.startswith(('.text', '.rodata')) else 'data' if sec.startswith('.data') else 'bss' if sec.startswith(('.bss', 'COMMON')) else None
    if not kind or size == 0:
        continue
    sizes.setdefault(name, {'text': 0, 'data': 0, 'bss': 0})[kind] += size
def row(n, s): print(f"| {n} | {s['text']} | {s['data']} | {s['bss']} |")
print("| file | .text (+.rodata) | .data | .bss |")
print("|---|---:|---:|---:|")
tot = {'text': 0, 'data': 0, 'bss': 0}
eng = {'text': 0, 'data': 0, 'bss': 0}
for n in engine + deps + ['libc']:
    s = sizes.get(n)
    if s is None:
        continue            # not reached from the stub
    row(n + ('.c' if n != 'libc' else ' (memcpy, memset, memcmp)'), s)
    for k in tot:
        tot[k] += s[k]
        if n in engine: eng[k] += s[k]
row('**update path (engine, boot, flash, layout, asset glue)**', eng)
row('**total linked (engine + module/crc32/sha256/inflate + libc)**', tot)
PY
cat > "$out/structs.c" <<'C'
#include "otk/boot.h"
#include "otk/update.h"
char s_otk_update[sizeof(struct otk_update)];
char s_otk_inflate[sizeof(struct otk_inflate)];
char s_otk_boot_report[sizeof(struct otk_boot_report)];
C
arm-none-eabi-gcc $cflags -c "$out/structs.c" -o "$out/structs.o"
structs=$(arm-none-eabi-nm -S "$out/structs.o" | python3 -c '
import sys
print(" ".join("struct %s %d B," % (f[3][2:], int(f[1], 16)) for f in (l.split() for l in sys.stdin) if len(f) == 4))')
{
	echo "Cortex-M4, arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion) -Os -mthumb, --gc-sections"
	echo
	cat "$out/table"
	echo
	echo "$boot_line"
	echo
	echo "Caller-owned (not static): $structs plus a scratch buffer (>= 512 B) + inflate window (2^window bits, 32 KB for the reference tools' modules)."
	echo "Static RAM of the library itself: .data + .bss above."
	echo
	echo "Largest stack frames (bytes, -fstack-usage):" $(cat "$out"/*.su | sort -t$'\t' -k2 -n -r | head -6 | awk -F'\t' '{ n = $1; sub(/.*:/, "", n); printf "%s %s,", n, $2 }')
} | tee "$out/report"
if $record; then
	{
		echo "# Device library size"
		echo
		echo "Recorded by \`bench/size.sh --record\` on $(date -u +%Y-%m-%d), commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown) (plus uncommitted work)."
		echo "Anchor: the AWS IoT OTA agent is 11.6-12.8 KB of code; the target is < 12 KB of code and < 1 KB of static RAM."
		echo
		cat "$out/report"
	} > "$here/size-results.md"
fi

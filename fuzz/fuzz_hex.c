/*
 * Intel HEX loader on arbitrary text, then the writer and the module scan on
 * whatever was loaded; what the writer produces must load back unchanged.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otk/hex.h"
#include "otk/memimage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct otk_memimage m, back;
	struct otk_hex_error e;
	otk_memimage_init(&m);
	otk_memimage_init(&back);
	m.max_total = 1u << 22; /* keep the fuzzer's memory bounded */
	if (otk_hex_load((const char *)data, size, &m, NULL, &e) == 0) {
		char *out;
		size_t len;
		struct otk_image_module *mods;
		size_t n;
		if (otk_memimage_find_modules(&m, &mods, &n) == 0)
			free(mods);
		if (otk_hex_write(&m, NULL, &out, &len) == 0) {
			if (otk_hex_load(out, len, &back, NULL, &e) != 0 || back.n != m.n ||
			    back.total != m.total)
				__builtin_trap();
			for (size_t i = 0; i < m.n; i++)
				if (back.r[i].addr != m.r[i].addr ||
				    memcmp(back.r[i].data, m.r[i].data, m.r[i].len) != 0)
					__builtin_trap();
			free(out);
		}
	}
	otk_memimage_deinit(&back);
	otk_memimage_deinit(&m);
	return 0;
}

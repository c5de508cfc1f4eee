/*
 * Intel HEX loader on arbitrary text, then the writer and the module scan on
 * whatever was loaded; what the writer produces must load back unchanged,
 * and loading never allocates more than the image's cap.
 * scripts/run-fuzz.sh gives this target inputs up to 1 MiB, so sparse and
 * out-of-order record patterns at scale are in reach.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otk/hex.h"
#include "otk/memimage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Provided by the sanitizer runtime when there is one. */
size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

static size_t allocated_now(void)
{
	return __sanitizer_get_current_allocated_bytes ? __sanitizer_get_current_allocated_bytes() : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct otk_memimage m, back;
	struct otk_hex_error e;
	otk_memimage_init(&m);
	otk_memimage_init(&back);
	m.max_total = 1u << 22; /* keep the fuzzer's memory bounded */
	size_t before = allocated_now();
	int rc = otk_hex_load((const char *)data, size, &m, NULL, &e);
	/* The cap must bound what is allocated, not only the data held
	 * (sparse records once took 4 KiB each). */
	if (allocated_now() - before > m.max_total + (1u << 20))
		__builtin_trap();
	if (rc == 0) {
		char *out;
		size_t len;
		struct otk_image_module *mods;
		size_t n;
		if (otk_memimage_find_modules(&m, &mods, &n) == 0)
			free(mods);
		if (otk_hex_write(&m, NULL, &out, &len) == 0) {
			size_t count = otk_memimage_count(&m);
			if (otk_hex_load(out, len, &back, NULL, &e) != 0 ||
			    otk_memimage_count(&back) != count || back.total != m.total)
				__builtin_trap();
			for (size_t i = 0; i < count; i++) {
				const struct otk_memregion *a = otk_memimage_region(&m, i);
				const struct otk_memregion *b = otk_memimage_region(&back, i);
				if (a->addr != b->addr || a->len != b->len ||
				    memcmp(a->data, b->data, a->len) != 0)
					__builtin_trap();
			}
			free(out);
		}
	}
	otk_memimage_deinit(&back);
	otk_memimage_deinit(&m);
	return 0;
}

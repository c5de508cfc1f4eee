/* libFuzzer target: the module parser and everything that reads a parsed module. */
#include <stdint.h>
#include <stdlib.h>

#include "otk/modtool.h"
#include "otk/module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct otk_module m;
	struct otk_ext_iter it;
	struct otk_ext e;
	struct otk_ext_asset a;
	struct otk_compress_header h;
	uint8_t sha[32];

	if (otk_module_parse(data, size, &m) != 0)
		return 0;
	otk_module_crc_compute(&m);
	otk_module_sha_check(&m, sha);
	for (int r = 0; r < 2; r++) {
		if (r)
			otk_module_sext_iter(&m, &it);
		else
			otk_module_pext_iter(&m, &it);
		while (otk_ext_next(&it, &e) == 1)
			otk_ext_asset_dependency(&e, &a);
	}
	/* Inflate only small declared sizes to keep each run fast. */
	if (otk_module_compress_header(&m, &h) == 0 && h.original_size < (1u << 20)) {
		uint8_t *out;
		size_t n;
		if (otk_module_decompress(data, size, &out, &n) == 0)
			free(out);
	}
	return 0;
}

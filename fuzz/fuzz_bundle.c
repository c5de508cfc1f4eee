/*
 * libFuzzer target: Asset OTA bundles and asset dependencies.  Inputs that
 * start like a zip go through the safe bundle reader and the platform fit;
 * anything else is taken as an application module whose asset dependencies
 * are replaced and stripped, and the result must parse again.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otk/assets.h"
#include "otk/bundle.h"
#include "otk/module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 4 && memcmp(data, "PK", 2) == 0) {
		char path[] = "/tmp/otk-fuzz-bundle-XXXXXX";
		int fd = mkstemp(path);
		if (fd < 0)
			return 0;
		if (write(fd, data, size) == (ssize_t)size) {
			struct otk_bundle b;
			struct otk_bundle_fit fit;
			char err[256];
			if (otk_bundle_read(path, &b, err, sizeof err) == 0) {
				otk_bundle_check_fit(&b, 32, true, &fit);
				otk_bundle_free(&b);
			}
		}
		close(fd);
		unlink(path);
		return 0;
	}
	struct otk_asset_ref refs[2] = { { "a.txt", 5, { 1 } }, { "bb", 2, { 2 } } };
	for (size_t n = 0; n <= 2; n++) {
		uint8_t *out;
		size_t len;
		if (otk_assets_set_deps(data, size, refs, n, &out, &len, NULL) != 0)
			continue;
		struct otk_module m;
		if (otk_module_parse(out, len, &m) != 0 || otk_assets_list(&m, NULL, NULL) != (int)n)
			abort();
		free(out);
	}
	return 0;
}

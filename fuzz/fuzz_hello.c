/* libFuzzer target: the Hello payload parser; a parsed Hello written again parses the same. */
#include <stdlib.h>
#include <string.h>

#include "otk/cloud.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct otk_hello h, h2;
	uint8_t out[OTK_HELLO_LEN];
	if (otk_hello_parse(data, size, &h) != 0)
		return 0;
	if (otk_hello_write(&h, out, sizeof(out)) != OTK_HELLO_LEN ||
	    otk_hello_parse(out, sizeof(out), &h2) != 0 || memcmp(&h, &h2, sizeof(h)) != 0)
		abort();
	return 0;
}

/*
 * The DCT key slots (otk/dct.h) as a device or `otakit keys` reads them
 * from flash: any bytes.  The DER length never points outside the slot; an
 * address read back is printable, bounded and, written again with the same
 * key bytes, reads back the same (a stored IPv4 address exactly; a host
 * name of digits and dots that is no IPv4 address is refused by the writer).
 */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otk/dct.h"
#include "otk/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t slot[OTK_DCT_SERVER_KEY_SIZE];
	memset(slot, 0xFF, sizeof slot);
	memcpy(slot, data, size < sizeof slot ? size : sizeof slot);

	size_t n = otk_dct_der_length(slot, size < sizeof slot ? size : sizeof slot);
	if (n > sizeof slot || (n && n > size))
		abort();

	struct otk_dct_server s;
	otk_dct_server_read(slot, &s);
	size_t hl = strnlen(s.host, sizeof s.host);
	if (hl > OTK_DCT_HOST_MAX || s.port == 0 || s.port == 0xFFFF)
		abort();
	for (size_t i = 0; i < hl; i++)
		if (s.host[i] <= ' ' || s.host[i] >= 0x7f)
			abort();
	if (hl) {
		uint8_t again[OTK_DCT_SERVER_KEY_SIZE];
		struct otk_dct_server t;
		int rc = otk_dct_server_format(again, slot, OTK_DCT_SERVER_ADDR_OFFSET, s.host, s.port);
		if (slot[OTK_DCT_SERVER_ADDR_OFFSET] == OTK_DCT_ADDR_IPV4 && rc != OTK_OK)
			abort();
		if (rc == OTK_OK) {
			otk_dct_server_read(again, &t);
			if (t.port != s.port || !t.host[0])
				abort();
			if (slot[OTK_DCT_SERVER_ADDR_OFFSET] == OTK_DCT_ADDR_IPV4 &&
			    strcmp(s.host, t.host) != 0)
				abort();
		}
	}
	return 0;
}

/*
 * otk_inflate on arbitrary bytes.  The first byte picks the window size and
 * how input and output are cut into pieces; the rest is the deflate stream.
 */
#include <stddef.h>
#include <stdint.h>

#include "otk/inflate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t window[OTK_INFLATE_MAX_WINDOW], out[1 << 14];
	struct otk_inflate s;

	if (size < 1)
		return 0;
	/* bits 0-2 window 256 << n, 3 and 7 input pieces, 4-6 output 4^n */
	size_t in_piece = (data[0] & 0x08) ? 1 : (data[0] & 0x80) ? 7 : size;
	size_t out_piece = (size_t)1 << (((data[0] >> 4) & 7) * 2);
	otk_inflate_init(&s, window, (size_t)256 << (data[0] & 7));
	data++;
	size--;
	/* each call consumes input or produces output; cap the output at 4 MB */
	while (otk_inflate_total_out(&s) < ((uint64_t)4 << 20)) {
		const uint8_t *in = data;
		size_t il = size < in_piece ? size : in_piece, ol = out_piece;
		uint8_t *o = out;
		int r = otk_inflate_process(&s, &in, &il, &o, &ol);
		size_t used = (size_t)(in - data);
		if (r == 0 && il && ol)
			__builtin_trap(); /* OK must mean one side ran out */
		if (r != 0 || (used == 0 && ol == out_piece && size == 0))
			break;
		data += used;
		size -= used;
	}
	return 0;
}

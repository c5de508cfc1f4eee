/*
 * libFuzzer target: the update engine's transfer over a fake NOR flash.
 * Input: [chunk size / 8][function][n][n x (offset / 8: le16, length: le16)]
 * then the file.  Each op writes that piece of the file (length 0xFFFF:
 * save, 0xFFFE: begin again); then finish(APPLY) and the copy at boot.
 */
#include <stdlib.h>

#include "../tests/unit/fakeflash.h"
#include "otk/update.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct fakeflash ff;
	static struct otk_update u;
	static uint8_t buf[1024], win[32768];
	static struct otk_inflate inf;
	static uint32_t map[2];
	static struct otk_device dev = { NULL, 3, ff_open, &ff };
	if (!ff.mem)
		ff_init(&ff, 0x130000, 4096, 8);
	ff_strict(&ff, true);
	memset(ff.mem, 0xFF, ff.size);
	memset(ff.programmed, 0, ff.size / 8);
	dev.layout = otk_layout_by_platform(3);
	struct otk_update_config cfg = { &dev, buf, sizeof buf, &inf, win, sizeof win, NULL, 0, 0, 0, map, 48 };
	if (n < 3 || n < 3u + d[2] * 4u || otk_update_init(&u, &cfg))
		return 0;
	const uint8_t *ops = d + 3, *file = ops + d[2] * 4;
	struct otk_update_start st = { (uint32_t)(n - (size_t)(file - d)), NULL, 0, d[1] % 10, d[0] * 8u };
	if (otk_update_begin(&u, &st) < 0)
		return 0;
	for (unsigned i = 0; i < d[2]; i++) {
		uint32_t off = (ops[4 * i] | ops[4 * i + 1] << 8) * 8u, len = ops[4 * i + 2] | ops[4 * i + 3] << 8;
		if (len == 0xFFFF || len == 0xFFFE)
			len == 0xFFFF ? (void)otk_update_save(&u) : (void)otk_update_begin(&u, &st);
		else if (off < st.size)
			otk_update_write(&u, off, file + off, len < st.size - off ? len : st.size - off);
	}
	if (otk_update_finish(&u, OTK_FINISH_APPLY, NULL) == OTK_OK && otk_update_init(&u, &cfg) == OTK_OK)
		(void)otk_update_recover(&u, NULL);
	if (ff.violations)
		abort();
	return 0;
}

/*
 * libFuzzer target: the DfuSe state machine fed a sequence of class
 * requests over a fake NOR flash.  Each request is
 * [bRequest, wValue lo, wValue hi, wLength lo, wLength hi (masked), data...].
 */
#include <stdint.h>
#include <string.h>

#include "../tests/unit/fakeflash.h"
#include "otk/dfuse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fakeflash ff;
	static uint8_t buf[OTK_DFUSE_XFER_SIZE], in[OTK_DFUSE_XFER_SIZE];
	struct otk_flash_area fa;
	struct otk_layout_area a = {0};
	struct otk_dfuse_alt alts[2] = {
		{"@Internal Flash /0x00000000/1*004Ka,15*004Kg", &fa},
		{"@DCT Flash /0x00000000/1*016Ke", &fa},
	};
	struct otk_dfuse d;
	size_t i = 0;

	if (!ff.mem)
		ff_init(&ff, 16 * 4096, 4096, 4);
	memset(ff.mem, 0xFF, ff.size);
	a.size = ff.size;
	ff_open(&ff, &a, &fa);
	otk_dfuse_init(&d, alts, 2, 0, buf, sizeof(buf));
	while (size - i >= 5) {
		uint8_t req = data[i];
		uint16_t value = (uint16_t)(data[i + 1] | data[i + 2] << 8);
		uint16_t len = (uint16_t)((data[i + 3] | data[i + 4] << 8) & 0x1fff);
		i += 5;
		if (req == 0x0b) { /* SET_INTERFACE */
			otk_dfuse_set_alt(&d, (uint8_t)value);
			continue;
		}
		if (req == OTK_DFU_DNLOAD) {
			if (len > size - i)
				len = (uint16_t)(size - i);
			otk_dfuse_request(&d, req, value, data + i, len, NULL, 0);
			i += len;
		} else {
			otk_dfuse_request(&d, req, value, NULL, 0, in,
					  len > sizeof(in) ? (uint16_t)sizeof(in) : len);
		}
		otk_dfuse_take_actions(&d);
	}
	return 0;
}

/*
 * libFuzzer target: the control-request service layer fed a sequence of
 * vendor requests [bRequest, wValue(2), wIndex(2), wLength(2), data...].
 */
#include <stdint.h>
#include <string.h>

#include "otk/ctrl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int32_t handle(void *ctx, uint16_t type, const uint8_t *req, size_t len, uint8_t *rep,
		      size_t cap, size_t *rep_len)
{
	(void)ctx;
	*rep_len = len < cap ? len : cap;
	memcpy(rep, req, *rep_len);
	return type == 1 ? 0 : -120;
}

static int simple(void *ctx, uint16_t type, uint8_t *in, size_t cap)
{
	(void)ctx;
	if (type != 20 || cap < 4)
		return -1;
	memcpy(in, "abcd", 4);
	return 4;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct otk_ctrl_ops ops = {handle, simple};
	static uint8_t bufs[(OTK_CTRL_MAX_ACTIVE + 1) * 1200], in[4096];
	struct otk_ctrl c;
	size_t i = 0;

	otk_ctrl_init(&c, &ops, NULL, bufs, 1200);
	while (size - i >= 7) {
		uint8_t req = data[i];
		uint16_t value = (uint16_t)(data[i + 1] | data[i + 2] << 8);
		uint16_t index = (uint16_t)(data[i + 3] | data[i + 4] << 8);
		uint16_t len = (uint16_t)((data[i + 5] | data[i + 6] << 8) & 0xfff);
		i += 7;
		if (req == OTK_CTRL_SEND) {
			if (len > size - i)
				len = (uint16_t)(size - i);
			otk_ctrl_setup(&c, req, value, index, data + i, len, NULL, 0);
			i += len;
		} else {
			otk_ctrl_setup(&c, req, value, index, NULL, 0, in, len);
		}
	}
	return 0;
}

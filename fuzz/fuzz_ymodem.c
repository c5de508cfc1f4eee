/*
 * libFuzzer target: the YMODEM receiver fed arbitrary line bytes, the
 * first byte of each 64-byte slice a clock step (ticks in between), into a
 * sink that checks the receiver never writes out of order or past the size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"
#include "otk/ymodem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t g_size, g_written;

static int f_begin(void *ctx, const char *name, uint32_t size)
{
	(void)ctx;
	(void)name;
	g_size = size;
	g_written = 0;
	return size > (1u << 20) ? OTK_EUPD_TOOLARGE : OTK_OK;
}

static int f_write(void *ctx, uint32_t off, const uint8_t *d, size_t n)
{
	(void)ctx;
	(void)d;
	if (off != g_written || off + n > g_size)
		abort();
	g_written += (uint32_t)n;
	return OTK_OK;
}

static int f_finish(void *ctx, bool apply)
{
	(void)ctx;
	return apply && g_written != g_size ? OTK_EUPD_INCOMPLETE : OTK_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct otk_ymodem_sink sink = {f_begin, f_write, f_finish};
	static struct otk_ymodem y;
	uint8_t out[128];
	uint32_t now = 0;
	otk_ymodem_init(&y, &sink, NULL, now);
	for (size_t i = 0; i < size; i += 64) {
		size_t n = size - i < 64 ? size - i : 64, at = 1;
		now += (uint32_t)data[i] * 40u;
		otk_ymodem_tick(&y, now);
		while (at < n) {
			size_t k = otk_ymodem_input(&y, data + i + at, n - at, now);
			while (otk_ymodem_output(&y, out, sizeof out))
				;
			if (k == 0)
				break;
			at += k;
		}
	}
	return 0;
}

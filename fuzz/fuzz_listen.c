/*
 * libFuzzer target: listening-mode commands, YMODEM included, fed arbitrary
 * bytes from the port in slices whose first byte steps the clock.
 */
#include <stdint.h>
#include <string.h>

#include "otk/error.h"
#include "otk/layout.h"
#include "otk/listen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t g_out;

static void w(void *ctx, const void *d, size_t n)
{
	(void)ctx;
	(void)d;
	g_out += n;
}

static void act(void *ctx, enum otk_listen_action a, int result)
{
	(void)ctx;
	(void)a;
	(void)result;
}

static int s_begin(void *c, const char *n, uint32_t s)
{
	(void)c;
	(void)n;
	return s > 65536 ? OTK_EUPD_TOOLARGE : OTK_OK;
}

static int s_write(void *c, uint32_t o, const uint8_t *d, size_t n)
{
	(void)c;
	(void)o;
	(void)d;
	(void)n;
	return OTK_OK;
}

static int s_finish(void *c, bool a)
{
	(void)c;
	return a ? OTK_EUPD_INTEGRITY : OTK_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct otk_listen_ops ops = {w, act};
	static const struct otk_ymodem_sink sink = {s_begin, s_write, s_finish};
	static const uint8_t mac[6] = {1, 2, 3, 4, 5, 6};
	static struct otk_installed mods[2];
	static struct otk_listen l;
	struct otk_listen_info info = {"0123456789abcdef01234567", "6.3.2", 12, mac,
				       otk_layout_by_platform(12), mods, 2};
	uint32_t now = 0;
	mods[0].prefix.function = 4;
	mods[0].prefix.dep[0].function = 2;
	mods[1].prefix.function = 5;
	otk_listen_init(&l, &ops, NULL, &info, &sink, NULL);
	for (size_t i = 0; i < size; i += 32) {
		size_t n = size - i < 32 ? size - i : 32;
		now += (uint32_t)data[i] * 50u;
		otk_listen_tick(&l, now);
		if (n > 1)
			otk_listen_input(&l, data + i + 1, n - 1, now);
	}
	return 0;
}

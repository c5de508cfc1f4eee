/*
 * Listening-mode commands: the answers particle-cli parses (i, v, m, the
 * "s" JSON), the actions (x, L), garbage ignored, and 'f' handing the port
 * to the YMODEM receiver until the transfer ends.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"
#include "otk/layout.h"
#include "otk/listen.h"
#include "otk/module.h"
#include "testutil.h"

struct port {
	char out[8192];
	size_t len;
	int actions[8], results[8];
	int nactions;
};

static void w(void *ctx, const void *d, size_t n)
{
	struct port *p = ctx;
	assert_true(p->len + n < sizeof p->out);
	memcpy(p->out + p->len, d, n);
	p->len += n;
	p->out[p->len] = 0;
}

static void act(void *ctx, enum otk_listen_action a, int result)
{
	struct port *p = ctx;
	p->actions[p->nactions] = (int)a;
	p->results[p->nactions++] = result;
}

static const struct otk_listen_ops ops = {w, act};

static int s_begin(void *c, const char *n, uint32_t s)
{
	(void)c;
	(void)n;
	(void)s;
	return OTK_OK;
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
	(void)a;
	return OTK_OK;
}
static const struct otk_ymodem_sink sink = {s_begin, s_write, s_finish};

static struct otk_installed mods[3];
static const uint8_t mac_bytes[6] = {0xe0, 0x0f, 0xce, 0x68, 0x01, 0x2a};
static struct otk_listen_info info;

static void setup_info(void)
{
	memset(mods, 0, sizeof mods);
	mods[0].role = OTK_AREA_BOOTLOADER;
	mods[0].prefix.function = OTK_FUNC_BOOTLOADER;
	mods[0].prefix.version = 2300;
	mods[1].role = OTK_AREA_SYSTEM;
	mods[1].index = 1;
	mods[1].prefix.function = OTK_FUNC_SYSTEM;
	mods[1].prefix.index = 1;
	mods[1].prefix.version = 6303;
	mods[1].prefix.dep[0].function = OTK_FUNC_BOOTLOADER;
	mods[1].prefix.dep[0].version = 2300;
	mods[2].role = OTK_AREA_USER;
	mods[2].index = 1;
	mods[2].status = OTK_OK;
	mods[2].deps = OTK_EUPD_DEPENDENCY;
	mods[2].prefix.function = OTK_FUNC_USER;
	mods[2].prefix.index = 1;
	mods[2].prefix.version = 6;
	mods[2].prefix.dep[0].function = OTK_FUNC_SYSTEM;
	mods[2].prefix.dep[0].index = 1;
	mods[2].prefix.dep[0].version = 6400;
	memset(&info, 0, sizeof info);
	info.device_id = "0123456789abcdef01234567";
	info.version = "6.3.2";
	info.platform = 12;
	info.mac = mac_bytes;
	info.layout = otk_layout_by_platform(12);
	info.modules = mods;
	info.nmodules = 3;
}

static void type(struct otk_listen *l, const char *s)
{
	otk_listen_input(l, (const uint8_t *)s, strlen(s), 0);
}

static void test_identify_version_mac(void **state)
{
	(void)state;
	struct port p = {0};
	struct otk_listen l;
	setup_info();
	otk_listen_init(&l, &ops, &p, &info, &sink, NULL);
	type(&l, "i");
	assert_string_equal(p.out, "Your device id is 0123456789abcdef01234567\r\n");
	p.len = 0;
	type(&l, "v");
	assert_string_equal(p.out, "system firmware version: 6.3.2\r\n");
	p.len = 0;
	type(&l, "m");
	assert_string_equal(p.out, "Your device MAC address is\r\ne0:0f:ce:68:01:2a\r\n");
	p.len = 0;
	info.mac = NULL;
	type(&l, "m");
	assert_non_null(strstr(p.out, "does not have a MAC"));
}

static void test_system_info_json(void **state)
{
	(void)state;
	struct port p = {0};
	struct otk_listen l;
	setup_info();
	otk_listen_init(&l, &ops, &p, &info, &sink, NULL);
	type(&l, "s");
	assert_non_null(strstr(p.out, "{\"p\":12,\"m\":[{\"s\":"));
	assert_non_null(strstr(p.out, "\"f\":\"b\",\"n\":\"0\",\"v\":2300,\"d\":[]}"));
	assert_non_null(strstr(p.out, "\"f\":\"s\",\"n\":\"1\",\"v\":6303,\"d\":[{\"f\":\"b\",\"n\":\"0\",\"v\":2300,\"_\":\"\"}]}"));
	/* the user part's unmet dependency clears the dependencies bit (4) */
	assert_non_null(strstr(p.out, "\"vc\":30,\"vv\":26,\"f\":\"u\",\"n\":\"1\",\"v\":6,"));
	assert_non_null(strstr(p.out, "]}\r\n"));
	assert_int_equal(p.out[p.len - 3], '}');
}

static void test_garbage_ignored_and_actions(void **state)
{
	(void)state;
	struct port p = {0};
	struct otk_listen l;
	uint8_t junk[512];
	setup_info();
	otk_listen_init(&l, &ops, &p, &info, &sink, NULL);
	for (size_t i = 0; i < sizeof junk; i++) {
		junk[i] = (uint8_t)(i * 37 + 11);
		if (strchr("imvsLxf", junk[i]) && junk[i])
			junk[i] = '?';
	}
	otk_listen_input(&l, junk, sizeof junk, 0);
	type(&l, "\r\n hello");
	assert_int_equal(p.len, 0);
	assert_int_equal(p.nactions, 0);
	type(&l, "x");
	type(&l, "L");
	assert_int_equal(p.nactions, 2);
	assert_int_equal(p.actions[0], OTK_LISTEN_EXIT);
	assert_int_equal(p.actions[1], OTK_LISTEN_SAFE_LISTEN);
	type(&l, "i"); /* still answers afterwards: the port never wedges */
	assert_non_null(strstr(p.out, "Your device id is"));
}

static void test_f_starts_ymodem(void **state)
{
	(void)state;
	struct port p = {0};
	struct otk_listen l;
	setup_info();
	otk_listen_init(&l, &ops, &p, &info, &sink, NULL);
	type(&l, "f");
	assert_true(otk_listen_receiving(&l));
	assert_string_equal(p.out, "Waiting for the binary file to be sent ... (press 'a' to abort)\r\nC");
	p.len = 0;
	type(&l, "i"); /* not a command now: noise for the receiver */
	assert_int_equal(p.len, 0);
	otk_listen_tick(&l, OTK_YMODEM_TIMEOUT_MS);
	assert_string_equal(p.out, "C");
	type(&l, "a"); /* abort */
	assert_false(otk_listen_receiving(&l));
	assert_int_equal(p.nactions, 1);
	assert_int_equal(p.actions[0], OTK_LISTEN_UPDATE_FAILED);
	assert_int_equal(p.results[0], OTK_EYMODEM_CANCELLED);
	p.len = 0;
	type(&l, "v");
	assert_string_equal(p.out, "system firmware version: 6.3.2\r\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identify_version_mac),
		cmocka_unit_test(test_system_info_json),
		cmocka_unit_test(test_garbage_ignored_and_actions),
		cmocka_unit_test(test_f_starts_ymodem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

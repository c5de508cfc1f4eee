/* Hello payload (spec 06) and the JSON system describe of core/src/hello.c. */
#include <string.h>

#include "otk/cloud.h"
#include "otk/error.h"
#include "otk/layout.h"
#include "otk/module.h"
#include "testutil.h"

static void test_hello_round_trip(void **state)
{
	(void)state;
	struct otk_hello h = { .product_id = 0x1234, .product_version = 7,
			       .flags = OTK_HELLO_OTA_V3 | OTK_HELLO_DEVICE_DESCRIBE,
			       .platform_id = 12, .system_version = 6302, .max_message_size = 1152,
			       .max_binary_size = 1536000, .ota_chunk_size = 512 };
	memcpy(h.device_id, "\xe0\x0f\xce\x68\x11\x22\x33\x44\x55\x66\x77\x88", 12);
	uint8_t b[OTK_HELLO_LEN];
	assert_int_equal(otk_hello_write(&h, b, sizeof b - 1), OTK_ENOSPC);
	assert_int_equal(otk_hello_write(&h, b, sizeof b), OTK_HELLO_LEN);
	/* big-endian fields at spec 06's places */
	static const uint8_t want[OTK_HELLO_LEN] = {
		0x12, 0x34, 0x00, 0x07, 0x00, 0xa0, 0x00, 0x0c, 0x00, 0x0c,
		0xe0, 0x0f, 0xce, 0x68, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
		0x18, 0x9e, 0x04, 0x80, 0x00, 0x17, 0x70, 0x00, 0x02, 0x00,
	};
	assert_memory_equal(b, want, sizeof want);
	struct otk_hello p;
	assert_int_equal(otk_hello_parse(b, sizeof b, &p), OTK_OK);
	assert_memory_equal(&p, &h, sizeof h);
	/* short payloads: fields after the id are optional */
	assert_int_equal(otk_hello_parse(b, OTK_HELLO_MIN_LEN, &p), OTK_OK);
	assert_int_equal(p.system_version, 0);
	assert_int_equal(otk_hello_parse(b, 24, &p), OTK_OK);
	assert_int_equal(p.system_version, 6302);
	assert_int_equal(p.max_binary_size, 0);
	/* refused: too short, reserved byte set, another id length */
	assert_int_equal(otk_hello_parse(b, OTK_HELLO_MIN_LEN - 1, &p), OTK_ECOAP_FORMAT);
	b[8] = 1;
	assert_int_equal(otk_hello_parse(b, sizeof b, &p), OTK_ECOAP_FORMAT);
	b[8] = 0;
	b[9] = 11;
	assert_int_equal(otk_hello_parse(b, sizeof b, &p), OTK_ECOAP_FORMAT);
}

static void test_describe_json(void **state)
{
	(void)state;
	struct otk_installed m[3];
	memset(m, 0, sizeof m);
	m[0].role = OTK_AREA_SYSTEM;
	m[0].prefix = (struct otk_prefix){ .start = 0x10000, .end = 0x10100, .version = 6302,
					   .platform = 3, .function = OTK_FUNC_SYSTEM, .index = 1 };
	m[0].prefix.dep[0] = (struct otk_dependency){ OTK_FUNC_BOOTLOADER, 0, 3000 };
	m[1].role = OTK_AREA_USER;
	m[1].deps = OTK_EUPD_DEPENDENCY;
	m[1].prefix = (struct otk_prefix){ .start = 0x90000, .end = 0x90010, .version = 4,
					   .platform = 3, .function = OTK_FUNC_USER, .index = 1 };
	m[2].role = OTK_AREA_USER;
	m[2].status = OTK_ENOTFOUND;
	char out[512];
	int n = otk_describe_system_json(3, m, 3, out, sizeof out);
	assert_true(n > 0);
	out[n] = 0;
	assert_string_equal(out, "{\"p\":3,\"m\":[{\"s\":260,\"l\":\"m\",\"vc\":30,\"vv\":30,\"f\":\"s\","
				 "\"n\":\"1\",\"v\":6302,\"d\":[{\"f\":\"b\",\"n\":\"0\",\"v\":3000}]},"
				 "{\"s\":20,\"l\":\"m\",\"vc\":30,\"vv\":26,\"f\":\"u\",\"n\":\"1\",\"v\":4,"
				 "\"d\":[]}]}");
	assert_int_equal(otk_describe_system_json(3, m, 3, out, (size_t)n - 1), OTK_ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_round_trip),
		cmocka_unit_test(test_describe_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

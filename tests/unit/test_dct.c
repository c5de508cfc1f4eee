/*
 * The DCT key slots (otk/dct.h): the server address laid out as
 * particle-cli's `keys server` lays it out and read back, DER lengths of
 * erased, short and lying slots.  tests/keys_usb.sh checks the same layout
 * byte for byte against particle-cli itself.
 */
#include "testutil.h"

#include <string.h>

#include "otk/dct.h"
#include "otk/error.h"

static const uint8_t key[91] = { 0x30, 0x59, 0x30, 0x13 }; /* a P-256 SPKI's length */

static void test_ipv4_round_trip(void **state)
{
	(void)state;
	uint8_t slot[OTK_DCT_SERVER_KEY_SIZE];
	struct otk_dct_server s;
	assert_int_equal(otk_dct_server_format(slot, key, sizeof key, "10.0.200.7", 5999), OTK_OK);
	assert_memory_equal(slot, key, sizeof key);
	for (size_t i = sizeof key; i < OTK_DCT_SERVER_ADDR_OFFSET; i++)
		assert_int_equal(slot[i], 0xFF);
	static const uint8_t tlv[] = { 0, 4, 10, 0, 200, 7 };
	assert_memory_equal(slot + 192, tlv, sizeof tlv);
	assert_int_equal(slot[258], 5999 >> 8);
	assert_int_equal(slot[259], 5999 & 0xFF);
	otk_dct_server_read(slot, &s);
	assert_string_equal(s.host, "10.0.200.7");
	assert_int_equal(s.port, 5999);
}

static void test_name_and_default_port(void **state)
{
	(void)state;
	uint8_t slot[OTK_DCT_SERVER_KEY_SIZE];
	struct otk_dct_server s;
	assert_int_equal(otk_dct_server_format(slot, key, sizeof key, "cloud.example.org", 0), OTK_OK);
	assert_int_equal(slot[192], 1);
	assert_int_equal(slot[193], 17);
	assert_memory_equal(slot + 194, "cloud.example.org", 17);
	assert_int_equal(slot[258], 0xFF); /* no port given: left erased */
	otk_dct_server_read(slot, &s);
	assert_string_equal(s.host, "cloud.example.org");
	assert_int_equal(s.port, OTK_DCT_DEFAULT_PORT);
}

static void test_refusals(void **state)
{
	(void)state;
	uint8_t slot[OTK_DCT_SERVER_KEY_SIZE];
	char longname[OTK_DCT_HOST_MAX + 2];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	static const char *const bad[] = { "", "300.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3", "01234.1.1.1" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (otk_dct_server_format(slot, key, sizeof key, bad[i], 1) != OTK_EINVAL)
			fail_msg("'%s' accepted", bad[i]);
	assert_int_equal(otk_dct_server_format(slot, key, sizeof key, longname, 1), OTK_EINVAL);
	longname[OTK_DCT_HOST_MAX] = 0;
	assert_int_equal(otk_dct_server_format(slot, key, sizeof key, longname, 1), OTK_OK);
	uint8_t big[OTK_DCT_SERVER_ADDR_OFFSET + 1] = { 0 };
	assert_int_equal(otk_dct_server_format(slot, big, sizeof big, "h", 1), OTK_EINVAL);
}

static void test_erased_and_garbage(void **state)
{
	(void)state;
	uint8_t slot[OTK_DCT_SERVER_KEY_SIZE];
	struct otk_dct_server s;
	memset(slot, 0xFF, sizeof slot);
	otk_dct_server_read(slot, &s);
	assert_string_equal(s.host, "");
	assert_int_equal(s.port, OTK_DCT_DEFAULT_PORT);
	assert_int_equal(otk_dct_der_length(slot, sizeof slot), 0);
	/* a name with a control character is no name */
	slot[192] = 1;
	slot[193] = 3;
	memcpy(slot + 194, "a\nb", 3);
	otk_dct_server_read(slot, &s);
	assert_string_equal(s.host, "");
	/* a length past the room before the port */
	slot[193] = 200;
	otk_dct_server_read(slot, &s);
	assert_string_equal(s.host, "");
}

static void test_der_length(void **state)
{
	(void)state;
	uint8_t d[200] = { 0x30, 0x77 };
	assert_int_equal(otk_dct_der_length(d, sizeof d), 0x79);
	assert_int_equal(otk_dct_der_length(d, 0x79), 0x79);
	assert_int_equal(otk_dct_der_length(d, 0x78), 0); /* does not fit the slot */
	d[1] = 0x81;
	d[2] = 0x90;
	assert_int_equal(otk_dct_der_length(d, sizeof d), 0x93);
	d[1] = 0x82;
	d[2] = 0x01;
	d[3] = 0x00;
	assert_int_equal(otk_dct_der_length(d, sizeof d), 0);
	d[1] = 0x83;
	assert_int_equal(otk_dct_der_length(d, sizeof d), 0);
	d[0] = 0x31;
	d[1] = 0x05;
	assert_int_equal(otk_dct_der_length(d, sizeof d), 0);
	assert_int_equal(otk_dct_der_length(d, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_round_trip),
		cmocka_unit_test(test_name_and_default_port),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_erased_and_garbage),
		cmocka_unit_test(test_der_length),
	};
	return otk_test_status(cmocka_run_group_tests(tests, NULL, NULL));
}

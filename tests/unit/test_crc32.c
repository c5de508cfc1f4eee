/*
 * otk_crc32_update against zlib's crc32() on random data of many sizes,
 * alignments and split points, plus the published check value.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "otk/crc32.h"

static uint32_t rnd(uint32_t *seed)
{
	uint32_t x = *seed ? *seed : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*seed = x;
	return x;
}

static uint32_t zcrc(uint32_t crc, const uint8_t *p, size_t len)
{
	return (uint32_t)crc32(crc, p, (uInt)len);
}

static void test_check_values(void **state)
{
	(void)state;
	/* the CRC-32 "check" value from the catalogue of CRC algorithms */
	assert_int_equal(otk_crc32_update(0, "123456789", 9), 0xcbf43926u);
	assert_int_equal(otk_crc32_update(0, "", 0), 0);
	assert_int_equal(otk_crc32_update(0, NULL, 0), 0);
	assert_int_equal(otk_crc32_update(0x12345678u, NULL, 0), 0x12345678u);
	assert_int_equal(otk_crc32_update(0, "a", 1), 0xe8b7be43u);
	assert_int_equal(otk_crc32_update(0, "The quick brown fox jumps over the lazy dog", 43),
			 0x414fa339u);
	static const uint8_t zeros[32] = { 0 };
	assert_int_equal(otk_crc32_update(0, zeros, 32), 0x190a55adu);
}

/* Every length 0..1100 at every alignment 0..7, whole buffer at once. */
static void test_lengths_alignments(void **state)
{
	(void)state;
	uint32_t seed = 1;
	uint8_t *buf = malloc(1100 + 8);
	assert_non_null(buf);
	otk_test_random(&seed, buf, 1100 + 8);

	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len <= 1100; len++)
			assert_int_equal(otk_crc32_update(0, buf + off, len),
					 zcrc(0, buf + off, len));
	free(buf);
}

/* Random sizes up to ~1 MB, continued from random starting values. */
static void test_random_sizes(void **state)
{
	(void)state;
	static const size_t sizes[] = { 55, 56, 63, 64, 65, 127, 128, 129, 4095, 4096, 4097,
					65535, 65536, 65537, 1000003, 1 << 20 };
	uint32_t seed = 2;
	uint8_t *buf = malloc(1 << 20);
	assert_non_null(buf);

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		otk_test_random(&seed, buf, sizes[i]);
		uint32_t start = rnd(&seed);
		assert_int_equal(otk_crc32_update(0, buf, sizes[i]), zcrc(0, buf, sizes[i]));
		assert_int_equal(otk_crc32_update(start, buf, sizes[i]),
				 zcrc(start, buf, sizes[i]));
	}
	free(buf);
}

/* Split into random pieces, the running value agrees with one pass. */
static void test_streaming(void **state)
{
	(void)state;
	uint32_t seed = 3;
	size_t len = 300000;
	uint8_t *buf = malloc(len);
	assert_non_null(buf);
	otk_test_random(&seed, buf, len);
	uint32_t whole = zcrc(0, buf, len);

	for (int iter = 0; iter < 200; iter++) {
		uint32_t crc = 0;
		size_t pos = 0;
		while (pos < len) {
			size_t n = rnd(&seed) % (iter < 100 ? 17u : 70000u);
			if (n > len - pos)
				n = len - pos;
			crc = otk_crc32_update(crc, buf + pos, n);
			/* prefix agreement at every split point (of the start) */
			if (iter < 5 && pos + n < 20000)
				assert_int_equal(crc, zcrc(0, buf, pos + n));
			pos += n;
		}
		assert_int_equal(crc, whole);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_values),
		cmocka_unit_test(test_lengths_alignments),
		cmocka_unit_test(test_random_sizes),
		cmocka_unit_test(test_streaming),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

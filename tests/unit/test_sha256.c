/*
 * otk_sha256 against the FIPS 180-4 example vectors and against OpenSSL on
 * random data of many sizes, fed whole and in random pieces.
 */
#include "testutil.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otk/sha256.h"

static uint32_t rnd(uint32_t *seed)
{
	uint32_t x = *seed ? *seed : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*seed = x;
	return x;
}

static void hex(const uint8_t d[OTK_SHA256_LEN], char out[2 * OTK_SHA256_LEN + 1])
{
	for (int i = 0; i < OTK_SHA256_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void expect_hex(const void *msg, size_t len, const char *want)
{
	uint8_t d[OTK_SHA256_LEN];
	char h[2 * OTK_SHA256_LEN + 1];

	otk_sha256(msg, len, d);
	hex(d, h);
	assert_string_equal(h, want);
}

/* FIPS 180-4 / NIST CSRC example values. */
static void test_fips_vectors(void **state)
{
	(void)state;
	expect_hex("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	expect_hex("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	expect_hex(m448, strlen(m448),
		   "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
			   "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	expect_hex(m896, strlen(m896),
		   "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");

	/* one million 'a', fed in uneven pieces */
	static uint8_t a[1000000];
	memset(a, 'a', sizeof a);
	expect_hex(a, sizeof a, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	struct otk_sha256 s;
	uint8_t d[OTK_SHA256_LEN];
	char h[2 * OTK_SHA256_LEN + 1];
	otk_sha256_init(&s);
	for (size_t pos = 0, n = 1; pos < sizeof a; pos += n, n = n * 3 % 1021 + 1) {
		if (n > sizeof a - pos)
			n = sizeof a - pos;
		otk_sha256_update(&s, a + pos, n);
	}
	otk_sha256_finish(&s, d);
	hex(d, h);
	assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Every length 0..1100 (all the padding cases), and some up to ~1 MB. */
static void test_vs_openssl(void **state)
{
	(void)state;
	static const size_t big[] = { 4095, 4096, 4097, 65535, 65536, 65537, 999999, 1 << 20 };
	uint32_t seed = 1;
	uint8_t *buf = malloc((1 << 20) + 8);
	uint8_t want[SHA256_DIGEST_LENGTH], got[OTK_SHA256_LEN];
	assert_non_null(buf);
	otk_test_random(&seed, buf, (1 << 20) + 8);

	for (size_t len = 0; len <= 1100; len++) {
		size_t off = len % 8; /* odd alignments too */
		SHA256(buf + off, len, want);
		otk_sha256(buf + off, len, got);
		assert_memory_equal(got, want, sizeof want);
	}
	for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
		SHA256(buf, big[i], want);
		otk_sha256(buf, big[i], got);
		assert_memory_equal(got, want, sizeof want);
	}
	free(buf);
}

/* Random split points give the same digest as one pass. */
static void test_streaming(void **state)
{
	(void)state;
	static const size_t sizes[] = { 0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 70000,
					300001 };
	uint32_t seed = 2;
	uint8_t *buf = malloc(300001);
	uint8_t want[SHA256_DIGEST_LENGTH], got[OTK_SHA256_LEN];
	assert_non_null(buf);

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t len = sizes[i];
		otk_test_random(&seed, buf, len);
		SHA256(buf, len, want);
		for (int iter = 0; iter < 50; iter++) {
			struct otk_sha256 s;
			size_t pos = 0;
			unsigned maxpiece = iter < 10 ? 3 : iter < 30 ? 130 : 70000;

			otk_sha256_init(&s);
			while (pos < len) {
				size_t n = rnd(&seed) % (maxpiece + 1);
				if (n > len - pos)
					n = len - pos;
				otk_sha256_update(&s, buf + pos, n);
				pos += n;
			}
			otk_sha256_update(&s, buf, 0);
			otk_sha256_finish(&s, got);
			assert_memory_equal(got, want, sizeof want);
		}
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fips_vectors),
		cmocka_unit_test(test_vs_openssl),
		cmocka_unit_test(test_streaming),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

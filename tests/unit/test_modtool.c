/*
 * Host module transformations: golden files from Particle's tools, round
 * trips of our own output through zlib, and the refusals.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "otk/error.h"
#include "otk/modtool.h"
#include "otk/module.h"
#include "testutil.h"

static uint8_t *fixture(const char *rel, size_t *len)
{
	char *p = otk_test_path("%s/fixtures/particle/%s", otk_test_shared(), rel);
	uint8_t *b = otk_test_read(p, len);
	free(p);
	return b;
}

static void test_golden_decompress(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	size_t zlen, olen, out_len;
	uint8_t *z = fixture("golden/tracker-system-part1@3.1.0-alpha.2.compressed.bin", &zlen);
	uint8_t *orig = fixture("binaries/tracker-system-part1@3.1.0-alpha.2.bin", &olen);
	uint8_t *out;
	assert_int_equal(otk_module_decompress(z, zlen, &out, &out_len), OTK_OK);
	assert_int_equal(out_len, olen);
	assert_memory_equal(out, orig, olen);
	free(out);
	free(z);
	free(orig);
}

/* The reference's asset module (DROP_MODULE_INFO + COMPRESSED): body only is deflated. */
static void test_golden_asset_module(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	size_t zlen, ulen, rawlen, out_len;
	uint8_t *z = fixture("golden/cat.jpg.asset-module.bin", &zlen);
	uint8_t *u = fixture("golden/cat.jpg.asset-module-uncompressed.bin", &ulen);
	uint8_t *raw = fixture("assets/cat.jpg", &rawlen);
	uint8_t *out;
	assert_int_equal(otk_module_decompress(z, zlen, &out, &out_len), OTK_OK);
	assert_int_equal(out_len, ulen);
	assert_memory_equal(out, u, ulen);
	/* the body of the uncompressed module is the raw asset */
	struct otk_module m;
	assert_int_equal(otk_module_parse(u, ulen, &m), OTK_OK);
	assert_int_equal(m.prefix.function, OTK_FUNC_ASSET);
	assert_int_equal(m.suffix_off - m.prefix_size, rawlen);
	assert_memory_equal(u + m.prefix_size, raw, rawlen);
	free(out);

	/* and compressing it again inflates back to the same bytes */
	uint8_t *z2, *back;
	size_t z2len, backlen;
	assert_int_equal(otk_module_compress(u, ulen, NULL, &z2, &z2len), OTK_OK);
	assert_int_equal(otk_module_parse(z2, z2len, &m), OTK_OK);
	assert_int_equal(m.prefix.flags, OTK_FLAG_DROP_MODULE_INFO | OTK_FLAG_COMPRESSED);
	assert_int_equal(otk_module_crc_compute(&m), m.crc_stored);
	assert_int_equal(otk_module_decompress(z2, z2len, &back, &backlen), OTK_OK);
	assert_int_equal(backlen, ulen);
	assert_memory_equal(back, u, ulen);
	free(back);
	free(z2);
	free(z);
	free(u);
	free(raw);
}

static void test_golden_combined(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	size_t clen, alen, blen, n, out_len;
	uint8_t *c = fixture("golden/tracker-system-part1+tinker.combined.bin", &clen);
	uint8_t *a = fixture("binaries/tracker-system-part1@3.1.0-alpha.2.bin", &alen);
	uint8_t *b = fixture("binaries/tracker-tinker@5.3.1.bin", &blen);
	struct otk_part *parts;
	assert_int_equal(otk_module_split(c, clen, 4, &parts, &n), OTK_OK);
	assert_int_equal(n, 2);
	assert_int_equal(parts[0].len, alen);
	assert_memory_equal(parts[0].data, a, alen);
	assert_int_equal(parts[1].len, blen);
	assert_memory_equal(parts[1].data, b, blen);
	otk_module_parts_free(parts, n);

	const uint8_t *mods[] = { a, b };
	size_t lens[] = { alen, blen };
	uint8_t *out;
	assert_int_equal(otk_module_combine(mods, lens, 2, &out, &out_len), OTK_OK);
	assert_int_equal(out_len, clen);
	assert_memory_equal(out, c, clen);
	free(out);

	/* refusals: combining a combined module, compressing one */
	const uint8_t *cm[] = { c, b };
	size_t cl[] = { clen, blen };
	assert_int_equal(otk_module_combine(cm, cl, 2, &out, &out_len), OTK_EUNSUPPORTED);
	assert_null(out);
	assert_int_equal(otk_module_compress(c, clen, NULL, &out, &out_len), OTK_EUNSUPPORTED);
	free(a);
	free(b);
	free(c);
}

/* Every real module compresses (at every window size) and inflates back. */
static void test_compress_roundtrip_fixtures(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	const char *files[] = { "binaries/tracker-system-part1@3.1.0-alpha.2.bin",
				"binaries/p2-tinker@5.3.1.bin", "binaries/040_system-part2.bin",
				"binaries/cat.bin" };
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		size_t len;
		uint8_t *orig = fixture(files[i], &len);
		for (int w = 9; w <= 15; w += 3) {
			struct otk_compress_opts o = { 6, w };
			uint8_t *z, *back;
			size_t zlen, blen;
			assert_int_equal(otk_module_compress(orig, len, &o, &z, &zlen), OTK_OK);
			struct otk_module m;
			struct otk_compress_header h;
			assert_int_equal(otk_module_parse(z, zlen, &m), OTK_OK);
			assert_int_equal(m.prefix_offset, 0);
			assert_int_equal(otk_module_compress_header(&m, &h), OTK_OK);
			assert_int_equal(h.window_bits, w == 15 ? 0 : w);
			assert_int_equal(otk_module_crc_compute(&m), m.crc_stored);

			/* zlib agrees the payload is a raw deflate stream of the original */
			uLongf n = (uLongf)h.original_size;
			uint8_t *zz = malloc(n);
			z_stream s;
			memset(&s, 0, sizeof s);
			assert_int_equal(inflateInit2(&s, -15), Z_OK);
			s.next_in = z + h.data_off;
			s.avail_in = h.data_len;
			s.next_out = zz;
			s.avail_out = (uInt)n;
			assert_int_equal(inflate(&s, Z_FINISH), Z_STREAM_END);
			inflateEnd(&s);
			free(zz);

			assert_int_equal(otk_module_decompress(z, zlen, &back, &blen), OTK_OK);
			assert_int_equal(blen, len);
			assert_memory_equal(back, orig, len);
			free(back);

			/* corrupt deflate data is refused, never returned */
			z[h.data_off + h.data_len / 2] ^= 0xFF;
			int rc = otk_module_decompress(z, zlen, &back, &blen);
			if (rc == OTK_OK) {
				/* a flip inside a stored run can still inflate: it must differ then */
				assert_true(blen != len || memcmp(back, orig, len) != 0);
				free(back);
			} else {
				assert_null(back);
			}
			free(z);
		}
		free(orig);
	}
}

static void test_compressed_size_lies(void **state)
{
	(void)state;
	/* A module whose header declares more (or less) than the data inflates to. */
	uint8_t body[4000];
	memset(body, 'A', sizeof body);
	struct otk_module_spec spec = { 0 };
	spec.start = 0xB4000;
	spec.prefix.platform = 12;
	spec.prefix.function = OTK_FUNC_USER;
	spec.prefix.index = 2;
	spec.product = true;
	uint8_t mod[8192], *z, *out;
	size_t mlen, zlen, olen;
	assert_int_equal(otk_module_build(&spec, body, sizeof body, mod, sizeof mod, &mlen), OTK_OK);
	assert_int_equal(otk_module_compress(mod, mlen, NULL, &z, &zlen), OTK_OK);
	struct otk_module m;
	struct otk_compress_header h;
	assert_int_equal(otk_module_parse(z, zlen, &m), OTK_OK);
	assert_int_equal(otk_module_compress_header(&m, &h), OTK_OK);
	otk_put_le32(z + h.data_off - 4, h.original_size + 1);
	otk_module_seal(z, zlen);
	assert_int_equal(otk_module_decompress(z, zlen, &out, &olen), OTK_ESHORT);
	otk_put_le32(z + h.data_off - 4, h.original_size - 1);
	otk_module_seal(z, zlen);
	assert_int_equal(otk_module_decompress(z, zlen, &out, &olen), OTK_EOVERFLOW);
	otk_put_le32(z + h.data_off - 4, 0x7FFFFFFF);
	otk_module_seal(z, zlen);
	assert_int_equal(otk_module_decompress(z, zlen, &out, &olen), OTK_ETOOBIG);
	z[h.data_off - 5] = 3; /* window bits 3: invalid */
	otk_module_seal(z, zlen);
	assert_int_equal(otk_module_decompress(z, zlen, &out, &olen), OTK_EBADCOMPRESS);
	free(z);
	assert_int_equal(otk_module_decompress(mod, mlen, &out, &olen), OTK_ENOTCOMPRESSED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_decompress),
		cmocka_unit_test(test_golden_asset_module),
		cmocka_unit_test(test_golden_combined),
		cmocka_unit_test(test_compress_roundtrip_fixtures),
		cmocka_unit_test(test_compressed_size_lies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Asset dependencies, asset modules and limits: the golden files made by
 * binary-version-reader, round trips, the grows-left layout and refusals.
 */
#include <stdlib.h>
#include <string.h>

#include "otk/assets.h"
#include "otk/error.h"
#include "otk/modtool.h"
#include "otk/module.h"
#include "otk/platform.h"
#include "otk/sha256.h"
#include "testutil.h"

static uint8_t *fixture(const char *rel, size_t *len)
{
	char *p = otk_test_path("%s/fixtures/particle/%s", otk_test_shared(), rel);
	uint8_t *b = otk_test_read(p, len);
	free(p);
	return b;
}

static const char *const golden_assets[] = { "btgap.a", "cat.jpg", "km4_image2_all.bin" };

/* Dependencies for the three golden assets; data kept for hashing. */
static void golden_refs(struct otk_asset_ref refs[3])
{
	for (int i = 0; i < 3; i++) {
		char *rel = otk_test_path("assets/%s", golden_assets[i]);
		size_t len;
		uint8_t *d = fixture(rel, &len);
		free(rel);
		refs[i].name = golden_assets[i];
		refs[i].name_len = strlen(golden_assets[i]);
		otk_asset_hash(d, len, refs[i].hash);
		free(d);
	}
}

static void check_golden(const char *app_rel, const char *golden_rel)
{
	size_t alen, glen, olen;
	uint8_t *app = fixture(app_rel, &alen), *gold = fixture(golden_rel, &glen), *out;
	struct otk_asset_ref refs[3];
	golden_refs(refs);
	assert_int_equal(otk_assets_set_deps(app, alen, refs, 3, &out, &olen, NULL), OTK_OK);
	assert_int_equal(olen, glen);
	assert_memory_equal(out, gold, glen);

	/* Applying the same list again gives the same bytes. */
	uint8_t *again;
	size_t alen2;
	assert_int_equal(otk_assets_set_deps(out, olen, refs, 3, &again, &alen2, NULL), OTK_OK);
	assert_int_equal(alen2, glen);
	assert_memory_equal(again, gold, glen);
	free(again);

	/* Stripping restores the original application. */
	uint8_t *stripped;
	size_t slen;
	assert_int_equal(otk_assets_set_deps(out, olen, NULL, 0, &stripped, &slen, NULL), OTK_OK);
	assert_int_equal(slen, alen);
	assert_memory_equal(stripped, app, alen);
	free(stripped);
	free(out);
	free(app);
	free(gold);
}

static void test_golden_tracker(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	check_golden("binaries/tracker-tinker@5.3.1.bin", "golden/tracker-tinker@5.3.1+3assets.bin");
	check_golden("binaries/tracker-tinker@5.3.1.bin", "binaries/tracker-user-part-extensions.bin");
}

static void test_golden_p2(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	check_golden("binaries/p2-tinker@5.3.1.bin", "golden/p2-tinker@5.3.1+3assets.bin");
}

/* Grows-left: start 8-aligned, end fixed, DYNAMIC_LOCATION follows, list readable. */
static int count_dep(void *ctx, const struct otk_ext_asset *a)
{
	(void)a;
	(*(int *)ctx)++;
	return 0;
}

static void test_grows_left_layout(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	size_t alen, olen;
	uint8_t *app = fixture("binaries/p2-tinker@5.3.1.bin", &alen), *out;
	struct otk_module m0, m;
	assert_int_equal(otk_module_parse(app, alen, &m0), OTK_OK);
	for (size_t nlen = 1; nlen <= 9; nlen++) {
		struct otk_asset_ref r = { "abcdefghi", nlen, { 0 } };
		assert_int_equal(otk_assets_set_deps(app, alen, &r, 1, &out, &olen, NULL), OTK_OK);
		assert_int_equal(otk_module_parse(out, olen, &m), OTK_OK);
		assert_int_equal(m.prefix.end, m0.prefix.end);
		assert_int_equal(m.prefix.start % 8, 0);
		assert_int_equal(m.size, olen);
		assert_true(m.prefix.flags & OTK_FLAG_PREFIX_EXTENSIONS);
		assert_int_equal(otk_module_crc_compute(&m), m.crc_stored);
		struct otk_ext_iter it;
		struct otk_ext e;
		otk_module_sext_iter(&m, &it);
		while (otk_ext_next(&it, &e) == 1)
			if (e.type == OTK_EXT_DYNAMIC_LOCATION)
				assert_int_equal(otk_le32(e.body), m.prefix.start);
		int n = 0;
		assert_int_equal(otk_assets_list(&m, count_dep, &n), 1);
		assert_int_equal(n, 1);
		free(out);
	}
	free(app);
}

/* Existing prefix extensions: new dependencies replace old ones, one END. */
static void test_prefix_extensions_replace(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	size_t alen, olen;
	uint8_t *app = fixture("binaries/p2-user-part-prefix-extensions.bin", &alen), *out;
	struct otk_asset_ref r = { "new.txt", 7, { 1, 2, 3 } };
	assert_int_equal(otk_assets_set_deps(app, alen, &r, 1, &out, &olen, NULL), OTK_OK);
	struct otk_module m;
	assert_int_equal(otk_module_parse(out, olen, &m), OTK_OK);
	struct otk_ext_iter it;
	struct otk_ext e;
	int ends = 0, deps = 0;
	otk_module_pext_iter(&m, &it);
	while (otk_ext_next(&it, &e) == 1) {
		ends += e.type == OTK_EXT_END;
		deps += e.type == OTK_EXT_ASSET_DEPENDENCY;
	}
	assert_int_equal(ends, 1);
	assert_int_equal(deps, 1);
	free(out);
	free(app);
}

/* A suffix that would pass 65535 bytes is refused, not truncated. */
static void test_name_too_long(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	size_t alen;
	uint8_t *app = fixture("binaries/tracker-tinker@5.3.1.bin", &alen), *out = NULL;
	size_t olen;
	char *name = malloc(70000);
	memset(name, 'a', 70000);
	struct otk_asset_ref r = { name, 70000, { 0 } };
	assert_int_equal(otk_assets_set_deps(app, alen, &r, 1, &out, &olen, NULL), OTK_EINVAL);
	struct otk_asset_ref many[300];
	for (int i = 0; i < 300; i++)
		many[i] = (struct otk_asset_ref){ name, 250, { 0 } };
	assert_int_equal(otk_assets_set_deps(app, alen, many, 300, &out, &olen, NULL), OTK_ETOOBIG);
	assert_null(out);
	free(name);
	free(app);
}

/* Modules that cannot take extensions. */
static void test_refusals(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	size_t len, olen;
	uint8_t *out;
	struct otk_asset_ref r = { "x", 1, { 0 } };
	uint8_t *z = fixture("golden/tracker-system-part1@3.1.0-alpha.2.compressed.bin", &len);
	assert_int_equal(otk_assets_set_deps(z, len, &r, 1, &out, &olen, NULL), OTK_EUNSUPPORTED);
	free(z);
	uint8_t junk[100] = { 0 };
	assert_true(otk_assets_set_deps(junk, sizeof junk, &r, 1, &out, &olen, NULL) < 0);
	uint8_t *app = fixture("binaries/tracker-tinker@5.3.1.bin", &len);
	assert_int_equal(otk_assets_set_deps(app, len - 1, &r, 1, &out, &olen, NULL) < 0, 1);
	free(app);
}

/* Result above the platform's user part limit. */
static void test_platform_limit(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	size_t len, olen;
	uint8_t *app = fixture("binaries/tracker-max-size@5.5.0-rc.1.bin", &len), *out;
	struct otk_asset_ref r[4];
	char name[250];
	memset(name, 'n', sizeof name);
	for (int i = 0; i < 4; i++)
		r[i] = (struct otk_asset_ref){ name, sizeof name, { 0 } };
	uint32_t limit = 0;
	int rc = otk_assets_set_deps(app, len, r, 4, &out, &olen, &limit);
	if (len + 4 * 288 + 8 > 262144) {
		assert_int_equal(rc, OTK_ERANGE);
		assert_int_equal(limit, 262144);
	} else {
		assert_int_equal(rc, OTK_OK);
		free(out);
	}
	free(app);
}

/* Asset modules: uncompressed byte-identical, compressed inflates identically. */
static void test_asset_module(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	size_t len, glen, olen, dlen, gdlen;
	uint8_t *cat = fixture("assets/cat.jpg", &len);
	uint8_t *gold = fixture("golden/cat.jpg.asset-module-uncompressed.bin", &glen), *out;
	assert_int_equal(otk_asset_module_create(cat, len, "cat.jpg", 0, false, &out, &olen), OTK_OK);
	assert_int_equal(olen, glen);
	assert_memory_equal(out, gold, glen);
	free(out);
	free(gold);

	gold = fixture("golden/cat.jpg.asset-module.bin", &glen);
	assert_int_equal(otk_asset_module_create(cat, len, "cat.jpg", 0, true, &out, &olen), OTK_OK);
	uint8_t *d, *gd;
	assert_int_equal(otk_module_decompress(out, olen, &d, &dlen), OTK_OK);
	assert_int_equal(otk_module_decompress(gold, glen, &gd, &gdlen), OTK_OK);
	assert_int_equal(dlen, gdlen);
	assert_memory_equal(d, gd, dlen);

	/* The hash of an asset module is the one it carries. */
	uint8_t h1[32], h2[32];
	otk_asset_hash(out, olen, h1);
	otk_sha256(cat, len, h2);
	assert_memory_equal(h1, h2, 32);
	free(d);
	free(gd);
	free(out);
	free(gold);
	free(cat);
}

static void test_asset_type(void **state)
{
	(void)state;
	uint8_t data[3] = { 1, 2, 3 }, *out;
	size_t olen;
	assert_int_equal(otk_asset_module_create(data, 3, "env-vars", OTK_ASSET_ENV_APP, false, &out,
						 &olen), OTK_OK);
	/* prefix 24 + data 3 + HASH 38 + NAME 12 + TYPE 6 + PRODUCT 10 + base 36 + CRC 4 */
	assert_int_equal(olen, 24 + 3 + 38 + 12 + 6 + 10 + 36 + 4);
	struct otk_module m;
	assert_int_equal(otk_module_parse(out, olen, &m), OTK_OK);
	assert_int_equal(m.prefix.function, OTK_FUNC_ASSET);
	assert_int_equal(otk_module_crc_compute(&m), m.crc_stored);
	free(out);
	assert_int_equal(otk_asset_module_create(data, 3, "", 0, false, &out, &olen), OTK_EINVAL);
}

/* Limits as the reference computes them and as the device enforces them. */
static void test_limits(void **state)
{
	(void)state;
	const struct otk_platform *tr = otk_platform_by_name("tracker");
	const struct otk_platform *ar = otk_platform_by_name("argon");
	const struct otk_platform *p2 = otk_platform_by_name("p2");
	assert_non_null(tr);
	assert_non_null(ar);
	assert_non_null(p2);
	struct otk_asset_limit_report r;
	struct otk_asset_size a[2] = { { "a", 1, 4088, 0 }, { "b", 1, 4089, 0 } };
	assert_int_equal(otk_assets_check_limits(p2, a, 2, false, &r), OTK_OK);
	assert_int_equal(a[0].storage_size, 4096);
	assert_int_equal(a[1].storage_size, 8192);
	assert_int_equal(r.max_total, 1138688);
	assert_int_equal(r.max_single, 1179648);
	assert_int_equal(otk_asset_device_max(p2), 1114112);
	assert_int_equal(otk_asset_device_max(tr), 2031616);
	assert_int_equal(otk_asset_device_max(ar), 606208);

	/* Single asset: over by exactly one byte. */
	struct otk_asset_size big = { "big", 1, 1179649, 0 };
	assert_int_equal(otk_assets_check_limits(p2, &big, 1, false, &r), OTK_ERANGE);
	assert_int_equal(r.first_over_single, 0);
	/* Strict: the device's lower limit applies. */
	struct otk_asset_size mid = { "mid", 1, 1114113, 0 };
	assert_int_equal(otk_assets_check_limits(p2, &mid, 1, false, &r), OTK_OK);
	assert_int_equal(otk_assets_check_limits(p2, &mid, 1, true, &r), OTK_ERANGE);

	/* Total: 279 one-block assets fit p2 (278 blocks), 279 do not. */
	struct otk_asset_size many[279];
	for (int i = 0; i < 279; i++)
		many[i] = (struct otk_asset_size){ "s", 1, 100, 0 };
	assert_int_equal(otk_assets_check_limits(p2, many, 278, false, &r), OTK_OK);
	assert_int_equal(otk_assets_check_limits(p2, many, 279, false, &r), OTK_ERANGE);
	assert_true(r.over_total);
	assert_int_equal(r.total - r.max_total, 4096);

	const struct otk_platform *photon = otk_platform_by_name("photon");
	assert_int_equal(otk_assets_check_limits(photon, many, 1, false, &r), OTK_EUNSUPPORTED);
}

/* The names the reference CLI leaves out of an asset directory. */
static void test_asset_name_skipped(void **state)
{
	(void)state;
	const char *skip[] = { ".hidden", ".DS_Store", "Thumbs.db", "desktop.ini", "__MACOSX" };
	const char *keep[] = { "logo.png", "test1.json", "thumbs.db", "x.DS_Store", "env" };
	for (size_t i = 0; i < 5; i++) {
		assert_true(otk_asset_name_skipped(skip[i]));
		assert_false(otk_asset_name_skipped(keep[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_tracker),
		cmocka_unit_test(test_golden_p2),
		cmocka_unit_test(test_grows_left_layout),
		cmocka_unit_test(test_prefix_extensions_replace),
		cmocka_unit_test(test_name_too_long),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_platform_limit),
		cmocka_unit_test(test_asset_module),
		cmocka_unit_test(test_asset_type),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_asset_name_skipped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

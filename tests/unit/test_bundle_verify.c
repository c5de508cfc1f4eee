/*
 * otk_bundle_verify_assets(): a bundle's assets against its application's
 * dependencies, as `otakit bundle verify` and otakitd's uploads check them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otk/assets.h"
#include "otk/bundle_verify.h"
#include "otk/error.h"
#include "otk/modtool.h"
#include "otk/module.h"
#include "otk/sha256.h"
#include "testutil.h"

/* An application depending on the named assets with these hashes. */
static uint8_t *mk_app(const char *const *names, uint8_t (*hashes)[OTK_SHA256_LEN], size_t n,
		       size_t *len)
{
	struct otk_module_spec spec;
	memset(&spec, 0, sizeof spec);
	spec.prefix.platform = 13;
	spec.prefix.function = OTK_FUNC_USER;
	spec.prefix.index = 1;
	spec.prefix.version = 6;
	spec.start = 0xB4000;
	spec.product = true;
	uint8_t body[1000], app[2000];
	memset(body, 0x42, sizeof body);
	size_t alen;
	assert_int_equal(otk_module_build(&spec, body, sizeof body, app, sizeof app, &alen), OTK_OK);
	struct otk_asset_ref refs[4];
	for (size_t i = 0; i < n; i++) {
		refs[i].name = names[i];
		refs[i].name_len = strlen(names[i]);
		memcpy(refs[i].hash, hashes[i], OTK_SHA256_LEN);
	}
	uint8_t *out;
	assert_int_equal(otk_assets_set_deps(app, alen, refs, n, &out, len, NULL), OTK_OK);
	return out;
}

static struct otk_bundle_entry entry(const char *name, const char *data, size_t len)
{
	struct otk_bundle_entry e = { (char *)name, name, (uint8_t *)data, len };
	return e;
}

/* Dependencies a.txt, b.bin, d.bin (d.bin matched as an asset module by its HASH). */
static void test_statuses(void **state)
{
	(void)state;
	static const char *const names[] = { "a.txt", "b.bin", "d.bin" };
	uint8_t hashes[3][OTK_SHA256_LEN];
	otk_sha256((const uint8_t *)"AAA", 3, hashes[0]);
	otk_sha256((const uint8_t *)"BBB", 3, hashes[1]);
	otk_sha256((const uint8_t *)"DDD", 3, hashes[2]);
	uint8_t *dmod;
	size_t dlen;
	assert_int_equal(otk_asset_module_create((const uint8_t *)"DDD", 3, "d.bin", 0, true, &dmod,
						 &dlen), OTK_OK);
	size_t alen;
	uint8_t *app = mk_app(names, hashes, 3, &alen);
	struct otk_module m;
	assert_int_equal(otk_module_parse(app, alen, &m), OTK_OK);

	/* a.txt with other bytes, b.bin missing, d.bin a module, c.txt extra. */
	struct otk_bundle_entry assets[3] = { entry("a.txt", "AAX", 3), entry("c.txt", "C", 1),
					      entry("d.bin", (const char *)dmod, dlen) };
	struct otk_bundle b;
	memset(&b, 0, sizeof b);
	b.app = entry("app.bin", (const char *)app, alen);
	b.assets = assets;
	b.nassets = 3;
	struct otk_bundle_verify r;
	assert_int_equal(otk_bundle_verify_assets(&b, &m, "x.zip", &r),
			 OTK_EINVAL);
	assert_int_equal(r.ndeps, 3);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.problems, 3);
	assert_int_equal(r.v[0].status, OTK_ASSET_HASH_MISMATCH);
	assert_string_equal(r.v[0].name, "a.txt");
	assert_int_equal(r.v[0].entry, 0);
	assert_non_null(strstr(r.v[0].message, "x.zip: asset a.txt: hash does not match"));
	assert_int_equal(r.v[1].status, OTK_ASSET_MISSING);
	assert_int_equal(r.v[1].entry, SIZE_MAX);
	assert_string_equal(r.v[1].have, "");
	assert_non_null(strstr(r.v[1].message, "x.zip: missing asset b.bin (hash "));
	assert_int_equal(r.v[2].status, OTK_ASSET_OK);
	assert_null(r.v[2].message);
	assert_int_equal(r.v[3].status, OTK_ASSET_EXTRA);
	assert_string_equal(r.v[3].name, "c.txt");
	assert_string_equal(r.v[3].message,
			    "x.zip: extra asset c.txt: the application does not depend on it");
	assert_ptr_equal(otk_bundle_verify_first_problem(&r), &r.v[0]);
	otk_bundle_verify_free(&r);

	/* All present and matching. */
	struct otk_bundle_entry good[3] = { entry("d.bin", (const char *)dmod, dlen),
					    entry("b.bin", "BBB", 3), entry("a.txt", "AAA", 3) };
	b.assets = good;
	assert_int_equal(otk_bundle_verify_assets(&b, &m, "x.zip", &r), OTK_OK);
	assert_int_equal(r.problems, 0);
	assert_int_equal(r.n, 3);
	assert_null(otk_bundle_verify_first_problem(&r));
	assert_int_equal(r.v[0].entry, 2);
	assert_int_equal(r.v[2].entry, 0);
	otk_bundle_verify_free(&r);
	free(dmod);
	free(app);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

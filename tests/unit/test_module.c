/*
 * Module format library: every fixture against the reference reader's
 * parse results, malformed and truncated inputs, and the writer.
 */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otk/crc32.h"
#include "otk/error.h"
#include "otk/module.h"
#include "otk/sha256.h"
#include "testutil.h"

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static long jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_integer(v))
		fail_msg("expected JSON lacks integer %s", k);
	return (long)json_integer_value(v);
}

static unsigned long jhex(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	if (!s)
		fail_msg("expected JSON lacks %s", k);
	return strtoul(s, NULL, 16);
}

/* Compares the extensions of one region with the reference's list. */
static void check_exts(const char *file, const struct otk_module *m, bool suffix, json_t *exp)
{
	struct otk_ext_iter it;
	struct otk_ext e;
	size_t i = 0;
	int rc;

	if (suffix)
		otk_module_sext_iter(m, &it);
	else
		otk_module_pext_iter(m, &it);
	while ((rc = otk_ext_next(&it, &e)) == 1) {
		json_t *x = json_array_get(exp, i++);
		if (!x)
			fail_msg("%s: more extensions than the reference", file);
		assert_int_equal(e.type, jint(x, "type"));
		assert_int_equal(e.length, jint(x, "length"));
		assert_int_equal(e.offset, jint(x, "offset"));
		if (e.type == OTK_EXT_ASSET_DEPENDENCY || e.type == OTK_EXT_HASH) {
			struct otk_ext_asset a;
			char h[65];
			assert_int_equal(otk_ext_asset_dependency(&e, &a), OTK_OK);
			hex(a.hash, a.hash_len, h);
			assert_string_equal(h, json_string_value(json_object_get(x, "hash")));
			if (e.type == OTK_EXT_ASSET_DEPENDENCY) {
				const char *n = json_string_value(json_object_get(x, "name"));
				assert_int_equal(a.name_len, strlen(n));
				assert_memory_equal(a.name, n, a.name_len);
			}
		}
		if (e.type == OTK_EXT_NAME) {
			const char *n = json_string_value(json_object_get(x, "name"));
			assert_int_equal(e.body_len, strlen(n));
			assert_memory_equal(e.body, n, e.body_len);
		}
		if (e.type == OTK_EXT_PRODUCT_DATA) {
			uint16_t id, ver;
			assert_int_equal(otk_ext_product_data(&e, &id, &ver), OTK_OK);
			assert_int_equal(id, jint(x, "productId"));
			assert_int_equal(ver, jint(x, "productVersion"));
		}
		if (e.type == OTK_EXT_DYNAMIC_LOCATION) {
			struct otk_ext_dynloc d;
			assert_int_equal(otk_ext_dynamic_location(&e, &d), OTK_OK);
			assert_int_equal(d.module_start, jhex(x, "moduleStartAddress"));
			assert_int_equal(d.dynalib_load, jhex(x, "dynalibLoadAddress"));
			assert_int_equal(d.dynalib_ram, jhex(x, "dynalibStartAddress"));
		}
		if (e.type == OTK_EXT_SECURITY_MODE)
			assert_int_equal(e.body[0], jint(x, "securityMode"));
	}
	assert_int_equal(rc, 0);
	assert_int_equal(i, json_array_size(exp));
}

static void check_fixture(const char *dir, const char *json_name)
{
	char *jpath = otk_test_path("%s/expected/%s", dir, json_name);
	json_error_t jerr;
	json_t *exp = json_load_file(jpath, 0, &jerr);
	if (!exp)
		fail_msg("%s: %s", jpath, jerr.text);
	const char *fname = json_string_value(json_object_get(exp, "filename"));
	char *bpath = otk_test_path("%s/binaries/%s", dir, fname);
	size_t len;
	uint8_t *buf = otk_test_read(bpath, &len);
	struct otk_module m;
	int rc = otk_module_parse(buf, len, &m);

	json_t *err = json_object_get(exp, "error");
	if (err) {
		/* The reference cannot parse it: we must refuse it too, clearly. */
		print_message("  %s: reference says '%s', otakit says '%s'\n", fname,
			      json_string_value(err), otk_strerror(rc));
		if (strcmp(json_string_value(err), "file is empty") == 0)
			assert_int_equal(rc, OTK_EEMPTY);
		if (rc == OTK_OK) {
			/*
			 * We read the suffix at the module's own end, not the file's,
			 * so we may get further than the reference; what we find must
			 * then be flagged as broken (RC2_bootloader.bin: the prefix
			 * claims 15544 bytes of a 15904-byte file, and the suffix
			 * there has size 0 and a wrong CRC).
			 */
			print_message("    parsed further: warnings 0x%x, CRC %s\n", m.warnings,
				      otk_module_crc_compute(&m) == m.crc_stored ? "ok" : "failed");
			assert_int_not_equal(otk_module_crc_compute(&m), m.crc_stored);
			assert_true(m.warnings & (OTK_WARN_SUFFIX_SIZE | OTK_WARN_TRAILING));
		}
		goto out;
	}
	assert_int_equal(rc, OTK_OK);

	json_t *p = json_object_get(exp, "prefixInfo");
	assert_int_equal(m.prefix_offset, jint(p, "prefixOffset"));
	assert_int_equal(m.prefix_size, jint(p, "prefixSize"));
	assert_int_equal(m.prefix.start, jhex(p, "moduleStartAddy"));
	assert_int_equal(m.prefix.end, jhex(p, "moduleEndAddy"));
	assert_int_equal(m.prefix.reserved, jint(p, "reserved"));
	assert_int_equal(m.prefix.flags, jint(p, "moduleFlags"));
	assert_int_equal(m.prefix.version, jint(p, "moduleVersion"));
	assert_int_equal(m.prefix.platform, jint(p, "platformID"));
	assert_int_equal(m.prefix.function, jint(p, "moduleFunction"));
	assert_int_equal(m.prefix.index, jint(p, "moduleIndex"));
	assert_int_equal(m.prefix.dep[0].function, jint(p, "depModuleFunction"));
	assert_int_equal(m.prefix.dep[0].index, jint(p, "depModuleIndex"));
	assert_int_equal(m.prefix.dep[0].version, jint(p, "depModuleVersion"));
	assert_int_equal(m.prefix.dep[1].function, jint(p, "dep2ModuleFunction"));
	assert_int_equal(m.prefix.dep[1].index, jint(p, "dep2ModuleIndex"));
	assert_int_equal(m.prefix.dep[1].version, jint(p, "dep2ModuleVersion"));
	check_exts(fname, &m, false, json_object_get(p, "extensions"));

	if (m.warnings & OTK_WARN_TRAILING) {
		/*
		 * Padding after the module (RC4 bootloaders: 0xFF fill to 16 KB).
		 * The reference reads the suffix at the end of the file, inside the
		 * padding; we read it at the module's end.  Both must see a bad CRC
		 * (these pre-release images carry the placeholder 78563412).
		 */
		json_t *rc_ = json_object_get(exp, "crc");
		print_message("  %s: %zu bytes of padding after the module\n", fname, len - m.size);
		assert_false(json_is_true(json_object_get(rc_, "ok")));
		assert_int_not_equal(otk_module_crc_compute(&m), m.crc_stored);
		goto out;
	}

	json_t *s = json_object_get(exp, "suffixInfo");
	assert_int_equal(m.suffix_size, jint(s, "suffixSize"));
	assert_int_equal(m.suffix_reserved, jint(s, "reserved"));
	if (jint(s, "productId") == -1) {
		assert_false(m.has_product);
	} else {
		assert_true(m.has_product);
		assert_int_equal(m.product_id, jint(s, "productId"));
		assert_int_equal(m.product_version, jint(s, "productVersion"));
	}
	char sha[65];
	hex(m.sha_stored, 32, sha);
	assert_string_equal(sha, json_string_value(json_object_get(s, "fwUniqueId")));
	check_exts(fname, &m, true, json_object_get(s, "extensions"));

	json_t *c = json_object_get(exp, "crc");
	assert_int_equal(m.crc_stored, jhex(c, "storedCrc"));
	uint32_t crc = otk_module_crc_compute(&m);
	assert_int_equal(crc, jhex(c, "actualCrc"));
	assert_int_equal(crc == m.crc_stored, json_is_true(json_object_get(c, "ok")));

	/* The asset list the reference derives from both regions. */
	json_t *assets = json_object_get(exp, "assets");
	size_t na = 0;
	struct otk_ext_iter it;
	struct otk_ext e;
	for (int region = 0; region < 2; region++) {
		if (region == 0)
			otk_module_pext_iter(&m, &it);
		else
			otk_module_sext_iter(&m, &it);
		while (otk_ext_next(&it, &e) == 1)
			na += e.type == OTK_EXT_ASSET_DEPENDENCY;
	}
	assert_int_equal(na, json_array_size(assets));
out:
	json_decref(exp);
	free(buf);
	free(bpath);
	free(jpath);
}

static void test_fixtures_match_reference(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	char *dir = otk_test_path("%s/fixtures/particle", otk_test_shared());
	char *edir = otk_test_path("%s/expected", dir);
	DIR *d = opendir(edir);
	assert_non_null(d);
	struct dirent *ent;
	int n = 0;
	while ((ent = readdir(d))) {
		size_t l = strlen(ent->d_name);
		if (l < 6 || strcmp(ent->d_name + l - 5, ".json") != 0)
			continue;
		check_fixture(dir, ent->d_name);
		n++;
	}
	closedir(d);
	print_message("  %d fixtures agree with the reference reader\n", n);
	assert_true(n >= 30);
	free(edir);
	free(dir);
}

/* Argon NCP firmware hashes only its payload (create_module.py). */
static void test_sha_kinds(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	const char *files[] = { "argon-ncp-firmware-0.0.5-ota.bin", "tracker-tinker@5.3.1.bin" };
	const enum otk_sha_kind want[] = { OTK_SHA_PAYLOAD, OTK_SHA_STANDARD };
	for (int i = 0; i < 2; i++) {
		char *path = otk_test_path("%s/fixtures/particle/binaries/%s", otk_test_shared(), files[i]);
		size_t len;
		uint8_t *buf = otk_test_read(path, &len);
		struct otk_module m;
		uint8_t sha[32];
		assert_int_equal(otk_module_parse(buf, len, &m), OTK_OK);
		assert_int_equal(otk_module_sha_check(&m, sha), want[i]);
		free(buf);
		free(path);
	}
}

/* Every truncation of a real module gives an error or a flagged result, never a crash. */
static void test_truncated_fixtures(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	const char *files[] = { "tracker-tinker@5.3.1.bin", "p2-user-part-prefix-extensions.bin",
				"040_user-part.bin", "cat.bin" };
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		char *path = otk_test_path("%s/fixtures/particle/binaries/%s", otk_test_shared(), files[f]);
		size_t len;
		uint8_t *buf = otk_test_read(path, &len);
		int truncated = 0;
		for (size_t cut = 1; cut < len; cut += (cut < 256 ? 1 : 97)) {
			/* exact-size copy so ASan sees any read past the end */
			uint8_t *copy = malloc(len - cut);
			memcpy(copy, buf, len - cut);
			struct otk_module m;
			int rc = otk_module_parse(copy, len - cut, &m);
			if (rc == OTK_OK) {
				/* must not claim the original, whole module */
				assert_true(m.size <= len - cut);
				assert_true(m.size != len);
			} else {
				truncated += rc == OTK_ETRUNCATED;
			}
			free(copy);
		}
		/* the prefix at offset 0 is intact, so most cuts are reported as truncation */
		assert_true(truncated > 0);
		free(buf);
		free(path);
	}
}

static void test_garbage_never_crashes(void **state)
{
	(void)state;
	uint32_t seed = 12345;
	for (size_t len = 0; len < 3000; len += 7) {
		uint8_t *buf = malloc(len ? len : 1);
		otk_test_random(&seed, buf, len);
		struct otk_module m;
		int rc = otk_module_parse(buf, len, &m);
		if (rc == OTK_OK) {
			/* whatever was found stays inside the buffer */
			assert_true(m.size <= len);
			otk_module_crc_compute(&m);
		}
		free(buf);
	}
	struct otk_module m;
	assert_int_equal(otk_module_parse((const uint8_t *)"", 0, &m), OTK_EEMPTY);
	uint8_t zeros[512] = { 0 };
	assert_int_equal(otk_module_parse(zeros, sizeof zeros, &m), OTK_ENOPREFIX);
}

/* Build a module with the writer and read it back. */
static void test_build_and_parse(void **state)
{
	(void)state;
	uint8_t body[1000];
	uint32_t seed = 7;
	otk_test_random(&seed, body, sizeof body);

	uint8_t sext[256];
	uint8_t hash[32];
	otk_sha256("asset", 5, hash);
	long n = otk_ext_put_asset(sext, sizeof sext, OTK_EXT_ASSET_DEPENDENCY, hash, "a.txt", 5);
	assert_int_equal(n, 43);
	long e = otk_ext_put_end(sext + n, sizeof sext - (size_t)n, 0);
	assert_int_equal(e, 4);

	struct otk_module_spec spec = { 0 };
	spec.start = 0xB4000;
	spec.prefix.platform = 26;
	spec.prefix.function = OTK_FUNC_USER;
	spec.prefix.index = 2;
	spec.prefix.version = 6;
	spec.prefix.dep[0] = (struct otk_dependency){ OTK_FUNC_SYSTEM, 1, 5500 };
	spec.sext = sext;
	spec.sext_len = (uint32_t)(n + e);
	spec.product = true;
	spec.product_id = 1234;
	spec.product_version = 7;

	uint8_t out[2048];
	size_t out_len;
	assert_int_equal(otk_module_build(&spec, body, sizeof body, out, 10, &out_len), OTK_ENOSPC);
	assert_int_equal(otk_module_build(&spec, body, sizeof body, out, sizeof out, &out_len), OTK_OK);
	assert_int_equal(out_len, 24 + 1000 + 47 + 4 + 36 + 4);

	struct otk_module m;
	assert_int_equal(otk_module_parse(out, out_len, &m), OTK_OK);
	assert_int_equal(m.prefix_score, OTK_PREFIX_SCORE_MAX);
	assert_int_equal(m.prefix.start, 0xB4000);
	assert_int_equal(m.prefix.end, 0xB4000 + out_len - 4);
	assert_int_equal(m.suffix_size, 47 + 4 + 36);
	assert_true(m.has_product);
	assert_int_equal(m.product_id, 1234);
	assert_int_equal(m.product_version, 7);
	assert_int_equal(otk_module_crc_compute(&m), m.crc_stored);
	uint8_t sha[32];
	assert_int_equal(otk_module_sha_check(&m, sha), OTK_SHA_STANDARD);

	struct otk_ext_iter it;
	struct otk_ext x;
	struct otk_ext_asset a;
	otk_module_sext_iter(&m, &it);
	assert_int_equal(otk_ext_next(&it, &x), 1);
	assert_int_equal(x.type, OTK_EXT_ASSET_DEPENDENCY);
	assert_int_equal(otk_ext_asset_dependency(&x, &a), OTK_OK);
	assert_memory_equal(a.hash, hash, 32);
	assert_int_equal(a.name_len, 5);
	assert_memory_equal(a.name, "a.txt", 5);
	assert_int_equal(otk_ext_next(&it, &x), 1);
	assert_int_equal(x.type, OTK_EXT_END);
	assert_int_equal(otk_ext_next(&it, &x), 0);

	/* One flipped body bit: the CRC catches it. */
	out[100] ^= 0x10;
	assert_int_equal(otk_module_parse(out, out_len, &m), OTK_OK);
	assert_int_not_equal(otk_module_crc_compute(&m), m.crc_stored);
}

/* A vector-table module (prefix at 0x200) and prefix extensions. */
static void test_build_offsets_and_prefix_ext(void **state)
{
	(void)state;
	uint8_t head[0x200];
	memset(head, 0, sizeof head);
	otk_put_le32(head, 0x20040000); /* initial stack pointer */
	uint8_t body[300] = { 1, 2, 3 };
	uint8_t pext[64];
	uint8_t hash[32] = { 9 };
	long n = otk_ext_put_asset(pext, sizeof pext, OTK_EXT_ASSET_DEPENDENCY, hash, "x", 1);
	n += otk_ext_put_end(pext + n, sizeof pext - (size_t)n, 3);

	struct otk_module_spec spec = { 0 };
	spec.start = 0x30000;
	spec.head = head;
	spec.prefix_offset = 0x200;
	spec.prefix.platform = 12;
	spec.prefix.function = OTK_FUNC_SYSTEM;
	spec.prefix.index = 1;
	spec.prefix.version = 5500;
	spec.pext = pext;
	spec.pext_len = (uint32_t)n;
	uint8_t out[2048];
	size_t out_len;
	assert_int_equal(otk_module_build(&spec, body, sizeof body, out, sizeof out, &out_len), OTK_OK);
	struct otk_module m;
	assert_int_equal(otk_module_parse(out, out_len, &m), OTK_OK);
	assert_int_equal(m.prefix_offset, 0x200);
	assert_int_equal(m.prefix.flags & OTK_FLAG_PREFIX_EXTENSIONS, OTK_FLAG_PREFIX_EXTENSIONS);
	assert_int_equal(m.prefix_size, 24 + n);
	assert_false(m.has_product);
	assert_int_equal(otk_module_crc_compute(&m), m.crc_stored);

	/* Zero-length extension: the reference's "Invalid extension length". */
	out[0x200 + 24 + 2] = 0;
	out[0x200 + 24 + 3] = 0;
	otk_module_seal(out, out_len);
	assert_int_equal(otk_module_parse(out, out_len, &m), OTK_EBADEXT);
	assert_int_equal(m.bad_ext_off, 0x200 + 24);
}

static void test_score_and_dependencies(void **state)
{
	(void)state;
	struct otk_prefix sys = { .function = OTK_FUNC_SYSTEM, .index = 1, .version = 5301 };
	struct otk_dependency need = { OTK_FUNC_SYSTEM, 1, 5300 };
	assert_true(otk_dependency_satisfied_by(&need, &sys));
	need.version = 5302;
	assert_false(otk_dependency_satisfied_by(&need, &sys));
	need.version = 100;
	need.index = 2;
	assert_false(otk_dependency_satisfied_by(&need, &sys));
	struct otk_dependency none = { 0, 0, 0 };
	assert_true(otk_dependency_is_none(&none));
	assert_true(otk_dependency_satisfied_by(&none, &sys));
	assert_string_equal(otk_function_name(OTK_FUNC_USER), "user part");
	assert_string_equal(otk_function_name(200), "unknown");

	uint8_t raw[24];
	struct otk_prefix p = { .start = 0x1000, .end = 0x1000 + 60, .function = 5, .platform = 6 }, q;
	otk_prefix_encode(&p, raw);
	otk_prefix_decode(raw, &q);
	assert_memory_equal(&p.start, &q.start, sizeof p.start);
	assert_int_equal(q.end, p.end);
	uint8_t buf[64] = { 0 };
	memcpy(buf, raw, 24);
	assert_int_equal(otk_prefix_score(buf, 64, 0), OTK_PREFIX_SCORE_MAX);
	assert_int_equal(otk_prefix_score(buf, 63, 0), 0);        /* too short */
	assert_int_equal(otk_prefix_score(buf, 65, 0), OTK_PREFIX_SCORE_MAX - 1);
	buf[16] = 0;
	buf[18] = 1; /* "none" dependency with a version */
	assert_int_equal(otk_prefix_score(buf, 64, 0), 0);
}

/*
 * A corrupt end address in the real prefix: the module is reported as the
 * truncated module that prefix describes, not through a stray match later
 * in the body (here a fake 28-byte prefix at 0x40 that scores 6 of 7).
 */
static void test_corrupt_end_reports_truncation(void **state)
{
	(void)state;
	uint8_t body[600];
	uint32_t seed = 11;
	otk_test_random(&seed, body, sizeof body);
	/* the stray match: start == its own load address, 28 bytes, photon user part */
	struct otk_prefix fake = { .start = 0x80A0000 + 0x40, .end = 0x80A0000 + 0x40 + 24,
				   .platform = 6, .function = OTK_FUNC_USER };
	otk_prefix_encode(&fake, body + 0x40 - 24);
	struct otk_module_spec spec = { 0 };
	spec.start = 0x80A0000;
	spec.prefix.platform = 6;
	spec.prefix.function = OTK_FUNC_USER;
	spec.prefix.index = 1;
	spec.prefix.version = 2;
	uint8_t out[1024];
	size_t out_len;
	assert_int_equal(otk_module_build(&spec, body, sizeof body, out, sizeof out, &out_len), OTK_OK);
	struct otk_module m;
	assert_int_equal(otk_module_parse(out, out_len, &m), OTK_OK);
	assert_int_equal(m.prefix_offset, 0);
	assert_int_equal(otk_prefix_score(out, out_len, 0x40), OTK_PREFIX_SCORE_MAX - 1);

	otk_put_le32(out + 4, 0x80A0000 + 0x1000); /* end past the file */
	assert_int_equal(otk_module_parse(out, out_len, &m), OTK_ETRUNCATED);
	assert_int_equal(m.prefix_offset, 0);
	assert_int_equal(m.size, 0x1000 + 4);
	assert_int_equal(m.prefix.function, OTK_FUNC_USER);
}

/* The same with a real module: 040_user-part.bin used to give "module of 28 bytes". */
static void test_corrupt_end_fixture(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	char *p = otk_test_path("%s/fixtures/particle/binaries/040_user-part.bin", otk_test_shared());
	size_t len;
	uint8_t *b = otk_test_read(p, &len);
	free(p);
	uint32_t end = otk_le32(b + 4);
	otk_put_le32(b + 4, end + 0x100000);
	struct otk_module m;
	assert_int_equal(otk_module_parse(b, len, &m), OTK_ETRUNCATED);
	assert_int_equal(m.prefix_offset, 0);
	assert_int_equal(m.size, end + 0x100000 - otk_le32(b) + 4);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures_match_reference),
		cmocka_unit_test(test_sha_kinds),
		cmocka_unit_test(test_truncated_fixtures),
		cmocka_unit_test(test_garbage_never_crashes),
		cmocka_unit_test(test_build_and_parse),
		cmocka_unit_test(test_build_offsets_and_prefix_ext),
		cmocka_unit_test(test_score_and_dependencies),
		cmocka_unit_test(test_corrupt_end_reports_truncation),
		cmocka_unit_test(test_corrupt_end_fixture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

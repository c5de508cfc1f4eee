/*
 * The generated platform table and its lookups.
 *
 * Most checks use facts of @particle/device-constants 4.2.1 written out by
 * hand; two more read ../shared: one regenerates the table and insists it
 * matches the committed file, one walks platforms.json with jansson and
 * compares every platform with the table.
 */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "otk/module.h"
#include "otk/platform.h"

static const struct otk_platform *must_id(uint16_t id)
{
	const struct otk_platform *p = otk_platform_by_id(id);
	if (p == NULL)
		fail_msg("platform %u not in the table", id);
	return p;
}

static void test_count_and_order(void **state)
{
	(void)state;
	size_t n = otk_platform_count();
	assert_int_equal(n, 26);
	for (size_t i = 0; i < n; i++) {
		const struct otk_platform *p = otk_platform_at(i);
		assert_non_null(p);
		assert_ptr_equal(otk_platform_by_id(p->id), p);
		assert_ptr_equal(otk_platform_by_name(p->name), p);
		assert_non_null(p->aliases);
		if (i > 0)
			assert_true(otk_platform_at(i - 1)->id < p->id);
	}
	assert_null(otk_platform_at(n));
	assert_null(otk_platform_at((size_t)-1));
}

static void test_by_id(void **state)
{
	(void)state;
	static const struct {
		uint16_t id;
		const char *name;
	} known[] = {
		{ 0, "core" },      { 3, "gcc" },       { 6, "photon" },
		{ 8, "p1" },        { 10, "electron" }, { 12, "argon" },
		{ 13, "boron" },    { 14, "xenon" },    { 15, "esomx" },
		{ 22, "asom" },     { 23, "bsom" },     { 24, "xsom" },
		{ 25, "b5som" },    { 26, "tracker" },  { 28, "trackerm" },
		{ 32, "p2" },       { 35, "msom" },     { 37, "electron2" },
		{ 38, "sulu" },     { 103, "bluz" },
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		assert_string_equal(must_id(known[i].id)->name, known[i].name);

	assert_null(otk_platform_by_id(1));
	assert_null(otk_platform_by_id(2));
	assert_null(otk_platform_by_id(33));
	assert_null(otk_platform_by_id(0xFFFF));

	const struct otk_platform *t = must_id(26);
	assert_string_equal(t->display_name, "Asset Tracker / Monitor One");
	assert_string_equal(t->base_mcu, "nrf52840");
	assert_int_equal(t->mcu, OTK_MCU_NRF52840);
	assert_int_equal(t->generation, 3);
	assert_int_equal(must_id(32)->mcu, OTK_MCU_RTL872X);
	assert_int_equal(must_id(32)->generation, 4);
	assert_int_equal(must_id(6)->mcu, OTK_MCU_STM32F2);
	assert_int_equal(must_id(0)->mcu, OTK_MCU_STM32F1);
	assert_int_equal(must_id(3)->mcu, OTK_MCU_HOST);
	assert_int_equal(must_id(3)->generation, -1);
	assert_int_equal(must_id(11)->mcu, OTK_MCU_ESP32);
	assert_int_equal(must_id(82)->mcu, OTK_MCU_ESP8266);
	assert_false(must_id(3)->is_public);
	assert_true(must_id(13)->is_public);
	assert_true(must_id(13)->product_eligible);
	assert_false(must_id(14)->product_eligible);
}

static void test_by_name(void **state)
{
	(void)state;
	assert_int_equal(otk_platform_by_name("boron")->id, 13);
	assert_int_equal(otk_platform_by_name("Boron")->id, 13);
	assert_int_equal(otk_platform_by_name("BORON")->id, 13);
	assert_int_equal(otk_platform_by_name("p2")->id, 32);
	assert_int_equal(otk_platform_by_name("P2")->id, 32);
	assert_int_equal(otk_platform_by_name("photon2")->id, 32);
	assert_int_equal(otk_platform_by_name("Photon2")->id, 32);
	assert_int_equal(otk_platform_by_name("assettracker")->id, 26);
	assert_int_equal(otk_platform_by_name("AssetTracker")->id, 26);
	assert_int_equal(otk_platform_by_name("tracker")->id, 26);
	assert_int_equal(otk_platform_by_name("muon")->id, 35);
	assert_int_equal(otk_platform_by_name("e")->id, 10);
	assert_int_equal(otk_platform_by_name("p")->id, 6);
	assert_int_equal(otk_platform_by_name("c")->id, 0);
	assert_int_equal(otk_platform_by_name("electron2")->id, 37);
	assert_int_equal(otk_platform_by_name("trackerm")->id, 28);

	assert_null(otk_platform_by_name(NULL));
	assert_null(otk_platform_by_name(""));
	assert_null(otk_platform_by_name("nosuch"));
	assert_null(otk_platform_by_name("boro"));
	assert_null(otk_platform_by_name("boron "));
	assert_null(otk_platform_by_name("photon 2"));
}

static void test_is_device(void **state)
{
	(void)state;
	/* binary-version-reader knows exactly the platforms with generation > 0. */
	static const uint16_t devices[] = { 0, 6, 8, 10, 12, 13, 14, 15, 22,
					    23, 24, 25, 26, 28, 32, 35, 37, 38 };
	size_t ndev = 0;
	for (size_t i = 0; i < otk_platform_count(); i++) {
		const struct otk_platform *p = otk_platform_at(i);
		bool listed = false;
		for (size_t j = 0; j < sizeof devices / sizeof devices[0]; j++)
			listed = listed || devices[j] == p->id;
		assert_int_equal(otk_platform_id_is_device(p->id), listed);
		assert_int_equal(listed, p->generation > 0);
		ndev += listed;
	}
	assert_int_equal(ndev, sizeof devices / sizeof devices[0]);
	assert_false(otk_platform_id_is_device(3));   /* gcc */
	assert_false(otk_platform_id_is_device(31));  /* raspi */
	assert_false(otk_platform_id_is_device(42));  /* tachyon */
	assert_false(otk_platform_id_is_device(103)); /* bluz */
	assert_false(otk_platform_id_is_device(1));   /* not a platform */
	assert_false(otk_platform_id_is_device(0xFFFF));
}

static void test_user_grows_left(void **state)
{
	(void)state;
	for (size_t i = 0; i < otk_platform_count(); i++) {
		const struct otk_platform *p = otk_platform_at(i);
		bool expect = p->id == 28 || p->id == 32 || p->id == 35 || p->id == 38;
		assert_int_equal(otk_platform_user_grows_left(p), expect);
	}
	assert_false(otk_platform_user_grows_left(NULL));
}

static void test_user_max_size(void **state)
{
	(void)state;
	/* nRF52840 platforms that took 256 KB applications (Device OS 3.1+). */
	static const uint16_t big[] = { 12, 13, 15, 23, 25, 26, 37 };
	for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
		assert_int_equal(otk_platform_user_max_size(must_id(big[i])), 262144);
	/* The discontinued mesh nRF52840 platforms stayed at 128 KB, like Gen 2. */
	static const uint16_t small[] = { 6, 8, 10, 14, 22, 24 };
	for (size_t i = 0; i < sizeof small / sizeof small[0]; i++)
		assert_int_equal(otk_platform_user_max_size(must_id(small[i])), 131072);
	for (size_t i = 0; i < otk_platform_count(); i++) {
		const struct otk_platform *p = otk_platform_at(i);
		if (p->mcu == OTK_MCU_RTL872X)
			assert_int_equal(otk_platform_user_max_size(p), 1572864);
	}
	/* No firmware modules listed at all. */
	assert_int_equal(otk_platform_user_max_size(must_id(0)), 0);
	assert_int_equal(otk_platform_user_max_size(must_id(3)), 0);
	assert_int_equal(otk_platform_user_max_size(NULL), 0);
}

static void check_assets(uint16_t id, uint32_t blocks, uint32_t single)
{
	const struct otk_platform *p = must_id(id);
	assert_true(p->has_assets);
	assert_int_equal(p->assets.block_size, 4096);
	assert_int_equal(p->assets.total_blocks, blocks);
	assert_int_equal(p->assets.max_single_asset, single);
	assert_int_equal(p->assets.per_block_overhead, 8);
	assert_int_equal(p->assets.overhead, 0);
	assert_int_equal(p->assets.reserved_blocks, 10);
}

static void test_asset_limits(void **state)
{
	(void)state;
	check_assets(26, 512, 1572864);  /* tracker */
	check_assets(15, 512, 1572864);  /* esomx */
	check_assets(25, 512, 1572864);  /* b5som */
	check_assets(37, 512, 1572864);  /* electron2 */
	check_assets(12, 288, 606208);   /* argon */
	check_assets(13, 288, 606208);   /* boron */
	check_assets(23, 288, 606208);   /* bsom */
	check_assets(28, 288, 1179648);  /* trackerm */
	check_assets(32, 288, 1179648);  /* p2 */
	check_assets(35, 288, 1179648);  /* msom */
	check_assets(38, 288, 1179648);  /* sulu */
	assert_false(must_id(6)->has_assets);
	assert_false(must_id(14)->has_assets);
	assert_false(must_id(0)->has_assets);
}

static void test_usb_ids(void **state)
{
	(void)state;
	size_t particle = 0;
	for (size_t i = 0; i < otk_platform_count(); i++) {
		const struct otk_platform *p = otk_platform_at(i);
		if (p->dfu_vid != 0x2b04)
			continue;
		particle++;
		assert_true(p->has_dfu);
		assert_int_equal(p->dfu_pid, 0xD000 | p->id);
		assert_int_equal(p->usb_vid, 0x2b04);
		assert_int_equal(p->usb_pid, 0xC000 | p->id);
	}
	assert_int_equal(particle, 17);

	const struct otk_platform *core = must_id(0);
	assert_int_equal(core->usb_vid, 0x1d50);
	assert_int_equal(core->usb_pid, 0x607d);
	assert_int_equal(core->dfu_vid, 0x1d50);
	assert_int_equal(core->dfu_pid, 0x607f);

	assert_false(must_id(3)->has_usb);   /* gcc: 0:0 */
	assert_false(must_id(3)->has_dfu);
	assert_false(must_id(43)->has_usb);  /* linux: no ids at all */
	assert_false(must_id(43)->has_dfu);
	assert_true(must_id(42)->has_usb);   /* tachyon: USB but no DFU */
	assert_false(must_id(42)->has_dfu);
}

static void test_dfu_segments(void **state)
{
	(void)state;
	const struct otk_platform *a = must_id(12);
	assert_int_equal(a->nsegments, 2);
	assert_string_equal(a->segments[0].name, "factoryReset");
	assert_int_equal(a->segments[0].address, 0x00200000);
	assert_int_equal(a->segments[0].alt, 2);
	assert_string_equal(a->segments[1].name, "formerUserPart");
	assert_int_equal(a->segments[1].address, 0xd4000);
	assert_int_equal(a->segments[1].alt, 0);
	assert_int_equal(a->segments[1].size, 4096);

	/* device-constants writes this DCT offset in decimal. */
	const struct otk_platform *e = must_id(10);
	assert_int_equal(e->nsegments, 2);
	assert_string_equal(e->segments[1].name, "transport");
	assert_int_equal(e->segments[1].address, 2977);
	assert_int_equal(e->segments[1].alt, 1);
	assert_int_equal(e->segments[1].size, 1);

	assert_int_equal(must_id(26)->segments[0].address, 0x00600000);
	assert_int_equal(must_id(32)->nsegments, 0);
	assert_null(must_id(32)->segments);
}

static void test_firmware_modules(void **state)
{
	(void)state;
	const struct otk_platform *p2 = must_id(32);
	assert_int_equal(p2->nmodules, 6);
	assert_int_equal(p2->modules[0].function, OTK_FUNC_BOOTLOADER);
	assert_int_equal(p2->modules[0].index, 0);
	assert_false(p2->modules[0].encrypted);
	assert_int_equal(p2->modules[1].index, 1);
	assert_true(p2->modules[1].encrypted);
	assert_int_equal(p2->modules[2].index, 2);
	assert_int_equal(p2->modules[3].function, OTK_FUNC_SYSTEM);
	assert_int_equal(p2->modules[3].index, -1);
	assert_int_equal(p2->modules[4].function, OTK_FUNC_USER);
	assert_true(p2->modules[4].grows_left);
	assert_int_equal(p2->modules[5].function, OTK_FUNC_MONO);

	const struct otk_platform *e = must_id(10);
	int systems = 0;
	for (size_t i = 0; i < e->nmodules; i++) {
		if (e->modules[i].function == OTK_FUNC_SYSTEM)
			assert_int_equal(e->modules[i].index, ++systems);
	}
	assert_int_equal(systems, 3);

	const struct otk_platform *a = must_id(12);
	bool ncp = false, radio = false;
	for (size_t i = 0; i < a->nmodules; i++) {
		if (a->modules[i].function == OTK_FUNC_NCP) {
			ncp = true;
			assert_int_equal(a->modules[i].storage, OTK_STORAGE_EXTERNAL_MCU);
		}
		if (a->modules[i].function == OTK_FUNC_RADIO_STACK) {
			radio = true;
			assert_int_equal(a->modules[i].storage, OTK_STORAGE_INTERNAL);
		}
	}
	assert_true(ncp);
	assert_true(radio);
	assert_int_equal(must_id(3)->nmodules, 0);
	assert_null(must_id(3)->modules);
}

/* Single-quotes s for /bin/sh into buf. */
static void sh_quote(char *buf, size_t size, const char *s)
{
	size_t n = 0;
	buf[n++] = '\'';
	for (; *s; s++) {
		const char *piece = *s == '\'' ? "'\\''" : NULL;
		size_t len = piece ? strlen(piece) : 1;
		assert_true(n + len + 2 < size);
		if (piece)
			memcpy(buf + n, piece, len);
		else
			buf[n] = *s;
		n += len;
	}
	buf[n++] = '\'';
	buf[n] = '\0';
}

static void test_table_up_to_date(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	const char *src = getenv("OTK_SRC");
	if (src == NULL || *src == '\0') {
		print_message("skipped: OTK_SRC is not set\n");
		skip();
	}
	char *script = otk_test_path("%s/scripts/gen_platforms.py", src);
	char *json = otk_test_path("%s/data/platforms.json", otk_test_shared());
	char qs[4096], qj[4096], cmd[8400];
	sh_quote(qs, sizeof qs, script);
	sh_quote(qj, sizeof qj, json);
	snprintf(cmd, sizeof cmd, "python3 %s --check %s", qs, qj);
	int rc = system(cmd);
	free(script);
	free(json);
	assert_int_not_equal(rc, -1);
	assert_true(WIFEXITED(rc));
	if (WEXITSTATUS(rc) == 127) {
		print_message("skipped: python3 not found\n");
		skip();
	}
	/* Exit 1: core/src/platform_table.c differs from what the JSON gives. */
	assert_int_equal(WEXITSTATUS(rc), 0);
}

static unsigned long hex_field(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	if (s == NULL)
		return 0;
	return strtoul(s, NULL, 0);
}

static unsigned long num_field(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (json_is_integer(v))
		return (unsigned long)json_integer_value(v);
	if (json_is_string(v))
		return strtoul(json_string_value(v), NULL, 0);
	return 0;
}

static void test_matches_json(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	char *path = otk_test_path("%s/data/platforms.json", otk_test_shared());
	json_error_t err;
	json_t *root = json_load_file(path, 0, &err);
	if (root == NULL)
		fail_msg("%s:%d: %s", path, err.line, err.text);
	free(path);
	json_t *list = json_object_get(root, "platforms");
	assert_true(json_is_array(list));
	assert_int_equal(json_array_size(list), otk_platform_count());

	size_t i;
	json_t *jp;
	json_array_foreach(list, i, jp) {
		json_int_t id = json_integer_value(json_object_get(jp, "id"));
		const struct otk_platform *p = must_id((uint16_t)id);
		const char *name = json_string_value(json_object_get(jp, "name"));
		assert_string_equal(p->name, name);
		assert_string_equal(p->display_name,
				    json_string_value(json_object_get(jp, "displayName")));
		assert_string_equal(p->base_mcu,
				    json_string_value(json_object_get(jp, "baseMcu")));
		assert_int_equal(p->generation,
				 json_integer_value(json_object_get(jp, "generation")));
		assert_int_equal(p->is_public, json_is_true(json_object_get(jp, "public")));
		assert_int_equal(p->product_eligible,
				 json_is_true(json_object_get(jp, "productEligible")));
		assert_int_equal(otk_platform_id_is_device(p->id),
				 json_integer_value(json_object_get(jp, "generation")) > 0);

		json_t *aliases = json_object_get(jp, "aliases");
		size_t k;
		json_t *ja;
		json_array_foreach(aliases, k, ja) {
			assert_string_equal(p->aliases[k], json_string_value(ja));
			assert_ptr_equal(otk_platform_by_name(json_string_value(ja)), p);
		}
		assert_null(p->aliases[json_array_size(aliases)]);

		json_t *usb = json_object_get(jp, "usb");
		assert_int_equal(p->usb_vid, hex_field(usb, "vendorId"));
		assert_int_equal(p->usb_pid, hex_field(usb, "productId"));
		json_t *dfu = json_object_get(jp, "dfu");
		assert_int_equal(p->dfu_vid, hex_field(dfu, "vendorId"));
		assert_int_equal(p->dfu_pid, hex_field(dfu, "productId"));
		json_t *segs = json_object_get(dfu, "segments");
		assert_int_equal(p->nsegments, json_object_size(segs));
		for (size_t s = 0; s < p->nsegments; s++) {
			json_t *js = json_object_get(segs, p->segments[s].name);
			assert_non_null(js);
			assert_int_equal(p->segments[s].address, num_field(js, "address"));
			assert_int_equal(p->segments[s].alt, num_field(js, "alt"));
			assert_int_equal(p->segments[s].size, num_field(js, "size"));
		}

		json_t *mods = json_object_get(jp, "firmwareModules");
		assert_int_equal(p->nmodules, json_array_size(mods));
		json_t *jm;
		json_array_foreach(mods, k, jm) {
			assert_int_equal(p->modules[k].max_size, num_field(jm, "maxSize"));
			assert_int_equal(p->modules[k].grows_left,
					 json_is_true(json_object_get(jm, "growsLeft")));
			assert_int_equal(p->modules[k].encrypted,
					 json_is_true(json_object_get(jm, "encrypted")));
			json_t *idx = json_object_get(jm, "index");
			assert_int_equal(p->modules[k].index,
					 idx ? json_integer_value(idx) : -1);
		}

		json_t *assets = json_object_get(jp, "assets");
		assert_int_equal(p->has_assets, assets != NULL);
		if (assets) {
			assert_int_equal(p->assets.block_size, num_field(assets, "blockSize"));
			assert_int_equal(p->assets.total_blocks,
					 num_field(assets, "storageTotalBlocks"));
			assert_int_equal(p->assets.max_single_asset,
					 num_field(assets, "maxSingleAssetSize"));
			assert_int_equal(p->assets.per_block_overhead,
					 num_field(assets, "assetPerBlockOverhead"));
			assert_int_equal(p->assets.overhead, num_field(assets, "assetOverhead"));
			assert_int_equal(p->assets.reserved_blocks,
					 num_field(assets, "reservedBlocks"));
		}
	}
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_and_order),
		cmocka_unit_test(test_by_id),
		cmocka_unit_test(test_by_name),
		cmocka_unit_test(test_is_device),
		cmocka_unit_test(test_user_grows_left),
		cmocka_unit_test(test_user_max_size),
		cmocka_unit_test(test_asset_limits),
		cmocka_unit_test(test_usb_ids),
		cmocka_unit_test(test_dfu_segments),
		cmocka_unit_test(test_firmware_modules),
		cmocka_unit_test(test_table_up_to_date),
		cmocka_unit_test(test_matches_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Flash layouts: every platform of the device update spec has one, the
 * areas are where the spec says and do not overlap where they must not, and
 * every real module in the fixtures fits the area for its function.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"
#include "otk/layout.h"
#include "otk/module.h"
#include "otk/platform.h"
#include "testutil.h"

static const char *const names[] = {
	"gcc", "photon", "p1", "electron", "argon", "boron", "bsom", "b5som",
	"tracker", "esomx", "p2", "msom", "trackerm",
};

static const struct otk_layout *by_name(const char *n)
{
	const struct otk_platform *p = otk_platform_by_name(n);
	assert_non_null(p);
	const struct otk_layout *l = otk_layout_by_platform(p->id);
	if (!l)
		fail_msg("%s has no layout", n);
	assert_string_equal(l->name, n);
	return l;
}

static bool overlap_allowed(const struct otk_layout_area *a, const struct otk_layout_area *b)
{
	/* nRF52840 assets share OTA staging beyond 606,208 B; photon/p1 OTA
	 * staging (256K) runs over the factory image; the legacy 128K user
	 * part lies inside the 256K one */
	uint8_t r1 = a->role < b->role ? a->role : b->role, r2 = a->role < b->role ? b->role : a->role;
	if (r1 == OTK_AREA_OTA && (r2 == OTK_AREA_ASSETS || r2 == OTK_AREA_FACTORY))
		return true;
	return a->role == OTK_AREA_USER && b->role == OTK_AREA_USER;
}

static void test_all_platforms(void **state)
{
	(void)state;
	assert_int_equal(otk_layout_count(), sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct otk_layout *l = by_name(names[i]);
		assert_non_null(otk_layout_find(l, OTK_AREA_BOOTLOADER, 0));
		assert_non_null(otk_layout_find(l, OTK_AREA_SYSTEM, 1));
		assert_non_null(otk_layout_find(l, OTK_AREA_OTA, 0));
		assert_non_null(otk_layout_module_area(l, OTK_FUNC_USER, 1));
		assert_ptr_equal(otk_layout_module_area(l, OTK_FUNC_MONO, 0),
				 otk_layout_find(l, OTK_AREA_SYSTEM, 1));
		assert_null(otk_layout_module_area(l, OTK_FUNC_ASSET, 0));
		const struct otk_layout_area *s = otk_layout_find(l, OTK_AREA_SETTINGS, 0);
		assert_non_null(s);
		assert_true(s->size >= 2 * l->erase_size);
		for (size_t a = 0; a < l->nareas; a++) {
			const struct otk_layout_area *x = &l->areas[a];
			assert_true(x->size > 0);
			if (x->role != OTK_AREA_RADIO && x->role != OTK_AREA_OTA)
				assert_int_equal(x->addr % 4096u, 0);
			for (size_t b = a + 1; b < l->nareas; b++) {
				const struct otk_layout_area *y = &l->areas[b];
				if (x->storage != y->storage || overlap_allowed(x, y))
					continue;
				if (x->addr < y->addr + y->size && y->addr < x->addr + x->size)
					fail_msg("%s: areas %zu and %zu overlap", l->name, a, b);
			}
		}
	}
	assert_null(otk_layout_by_platform(14));  /* xenon: not in the spec table */
}

static void test_spec_facts(void **state)
{
	(void)state;
	const struct otk_layout *l = by_name("argon");
	const struct otk_layout_area *a = otk_layout_find(l, OTK_AREA_OTA, 0);
	assert_int_equal(a->addr, 0x24C000);
	assert_int_equal(a->size, 1536000);
	assert_int_equal(a->storage, OTK_AREA_EXTERNAL);
	assert_int_equal(otk_layout_find(l, OTK_AREA_BOOTLOADER, 0)->addr, 0xF4000);
	assert_int_equal(otk_layout_find(l, OTK_AREA_USER, 2)->addr, 0xB4000);
	assert_int_equal(otk_layout_find(by_name("tracker"), OTK_AREA_OTA, 0)->addr, 0x689000);
	l = by_name("p2");
	a = otk_layout_find(l, OTK_AREA_USER, 1);
	assert_true(a->grows_left);
	assert_int_equal(a->addr + a->size, 0x08600000);
	assert_int_equal(otk_layout_find(l, OTK_AREA_BOOTLOADER, 2)->addr, 0x08014000);
	assert_int_equal(otk_layout_find(l, OTK_AREA_OTA, 0)->size, 0x180000);
	l = by_name("electron");
	assert_int_equal(otk_layout_find(l, OTK_AREA_SYSTEM, 3)->addr, 0x08060000);
	assert_int_equal(otk_layout_find(l, OTK_AREA_FACTORY, 0)->addr, 0x080A0000);
	l = by_name("photon");
	assert_int_equal(otk_layout_find(l, OTK_AREA_SYSTEM, 2)->addr, 0x08060000);
	assert_int_equal(otk_layout_find(l, OTK_AREA_FACTORY, 0)->addr, 0x080E0000);
}

/* Every fixture module of a platform with a layout lies inside its area. */
static void test_fixtures_fit(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	char *dir = otk_test_path("%s/fixtures/particle/binaries", otk_test_shared());
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	int checked = 0;
	while ((e = readdir(d))) {
		if (!strstr(e->d_name, ".bin"))
			continue;
		char *path = otk_test_path("%s/%s", dir, e->d_name);
		size_t len;
		uint8_t *buf = otk_test_read(path, &len);
		struct otk_module m;
		if (otk_module_parse(buf, len, &m) == OTK_OK && m.prefix_score == OTK_PREFIX_SCORE_MAX) {
			const struct otk_layout *l = otk_layout_by_platform(m.prefix.platform);
			const struct otk_layout_area *a =
				l ? otk_layout_module_area(l, m.prefix.function, m.prefix.index) : NULL;
			/* monolithic images span several areas: not checked */
			/* Device OS before 3.0 on nRF52840 had system part 1 at
			 * 0x30000..0xD4000 and only the 128K user part: such system
			 * parts do not fit the current layout (and are refused) */
			bool legacy = a && m.prefix.function == OTK_FUNC_SYSTEM && m.prefix.start == 0x30000 &&
				      m.prefix.version < 3000 && m.prefix.end + 4 > a->addr + a->size;
			if (legacy)
				print_message("%s: Device OS < 3.0 nRF52840 layout, skipped\n", e->d_name);
			if (a && !legacy && m.prefix.reserved == 0 && m.prefix.function != OTK_FUNC_MONO) {
				if (m.prefix.start < a->addr || m.prefix.end + 4 > a->addr + a->size)
					fail_msg("%s: %08x..%08x outside %s area %08x+%x", e->d_name,
						 m.prefix.start, m.prefix.end, l->name, a->addr, a->size);
				checked++;
			}
		}
		free(buf);
		free(path);
	}
	closedir(d);
	free(dir);
	print_message("%d fixture modules fit their layout areas\n", checked);
	assert_true(checked >= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_platforms),
		cmocka_unit_test(test_spec_facts),
		cmocka_unit_test(test_fixtures_fit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

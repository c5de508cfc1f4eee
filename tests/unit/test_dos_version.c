/* The Device OS release table. */
#include "testutil.h"

#include <string.h>

#include "otk/dos_version.h"

static void test_sorted_and_unique(void **state)
{
	(void)state;
	size_t n = otk_dos_release_count();
	assert_true(n > 100);
	for (size_t i = 0; i < n; i++) {
		const struct otk_dos_release *r = otk_dos_release_at(i);
		assert_non_null(r);
		assert_non_null(r->version);
		assert_true(strlen(r->version) > 0);
		if (i > 0)
			assert_true(otk_dos_release_at(i - 1)->system_version <= r->system_version);
		/* Names are unique: by_name finds this very entry. */
		assert_ptr_equal(otk_dos_release_by_name(r->version), r);
	}
	assert_null(otk_dos_release_at(n));
	assert_null(otk_dos_release_at((size_t)-1));
}

static void test_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < otk_dos_release_count(); i++) {
		const struct otk_dos_release *r = otk_dos_release_at(i);
		const struct otk_dos_release *back =
			otk_dos_release_by_system_version(r->system_version);
		assert_non_null(back);
		assert_int_equal(back->system_version, r->system_version);
		/* Shared numbers resolve to the last release that has them. */
		if (i + 1 < otk_dos_release_count() &&
		    otk_dos_release_at(i + 1)->system_version != r->system_version)
			assert_ptr_equal(back, r);
	}
}

static void check(const char *version, uint16_t system, uint16_t bootloader)
{
	const struct otk_dos_release *r = otk_dos_release_by_name(version);
	if (r == NULL)
		fail_msg("%s is not in the table", version);
	assert_string_equal(r->version, version);
	assert_int_equal(r->system_version, system);
	assert_int_equal(r->bootloader_version, bootloader);
}

static void test_known_values(void **state)
{
	(void)state;
	check("6.2.0", 6200, 3100);
	check("6.1.1", 6101, 3001);
	/* particle-cli ships Tinker for 6.3.4 depending on system 6305. */
	check("6.3.4", 6305, 0);
	check("5.3.1", 5301, 2101);
	/* The release candidate took 5500, so 5.5.0 itself is 5501. */
	check("5.5.0-rc.1", 5500, 2300);
	check("5.5.0", 5501, 2300);
	check("5.4.1", 5410, 2210);
	check("5.0.0", 5002, 2000);
	check("4.0.2", 4006, 1101);
	check("3.1.0-alpha.2", 3101, 1100);
	check("3.2.1-p2.3", 3212, 1008);
	check("2.3.1", 2302, 1006);
	check("1.4.4", 1406, 501);
	check("1.1.0-rc.1", 1100, 300);
	check("0.8.0-rc.13", 312, 201);
	check("0.4.3", 3, 0);

	assert_string_equal(otk_dos_release_by_system_version(6200)->version, "6.2.0");
	assert_string_equal(otk_dos_release_by_system_version(5500)->version, "5.5.0-rc.1");
	assert_string_equal(otk_dos_release_by_system_version(5501)->version, "5.5.0");
	assert_string_equal(otk_dos_release_by_system_version(5301)->version, "5.3.1");
	assert_string_equal(otk_dos_release_by_system_version(1100)->version, "1.1.0-rc.1");
	/* 0.5.0-rc.2 and 0.5.0 share 13: the final release wins. */
	assert_string_equal(otk_dos_release_by_system_version(13)->version, "0.5.0");
	assert_string_equal(otk_dos_release_by_system_version(312)->version, "0.8.0-rc.14");
}

static void test_seed_releases_present(void **state)
{
	(void)state;
	/* Every release on Particle's "Programming devices" download list. */
	static const char *const listed[] = {
		"1.4.4", "1.5.2", "2.0.1", "2.0.2", "2.1.0", "2.2.0-rc.1", "2.2.0-rc.2",
		"2.2.0", "2.3.0-rc.1", "2.3.0", "2.3.1", "3.0.0", "3.1.0-rc.1", "3.1.0",
		"3.2.0-rc.1", "3.2.0", "3.2.1-p2.2", "3.2.1-p2.3", "3.3.0-rc.1", "3.3.0",
		"3.3.1", "4.0.0-alpha.1", "4.0.0-alpha.2", "4.0.0-beta.1", "4.0.0",
		"4.0.1-rc.1", "4.0.1", "4.0.2", "4.1.0", "4.2.0", "5.0.0-alpha.1",
		"5.0.0-alpha.2", "5.0.0", "5.0.1", "5.1.0", "5.2.0", "5.3.0", "5.3.1",
		"5.3.2", "5.4.0", "5.4.1", "5.5.0-rc.1", "5.5.0", "5.6.0", "5.7.0",
		"5.8.0", "6.1.0", "6.1.1", "6.2.0",
	};
	for (size_t i = 0; i < sizeof listed / sizeof listed[0]; i++) {
		if (otk_dos_release_by_name(listed[i]) == NULL)
			fail_msg("%s is not in the table", listed[i]);
	}
}

static void test_unknown(void **state)
{
	(void)state;
	assert_null(otk_dos_release_by_name(NULL));
	assert_null(otk_dos_release_by_name(""));
	assert_null(otk_dos_release_by_name("9.9.9"));
	assert_null(otk_dos_release_by_name("v6.2.0"));
	assert_null(otk_dos_release_by_name("6.2"));
	assert_null(otk_dos_release_by_name("6.2.0 "));
	assert_null(otk_dos_release_by_system_version(9999));
	assert_null(otk_dos_release_by_system_version(313));
	assert_null(otk_dos_release_by_system_version(0xFFFF));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorted_and_unique),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_seed_releases_present),
		cmocka_unit_test(test_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

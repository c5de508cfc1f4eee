/* Helpers shared by the cmocka unit tests. */
#ifndef OTK_TESTUTIL_H
#define OTK_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * Path of the shared fixtures folder (../shared beside the checkout, or
 * $OTK_SHARED), or NULL when it is not there.
 */
const char *otk_test_shared(void);

/*
 * Skips the current test, saying why, when the shared fixtures are absent.
 * Use at the top of every test that reads ../shared.
 */
#define OTK_REQUIRE_SHARED()                                                   \
	do {                                                                   \
		if (!otk_test_shared()) {                                      \
			print_message("skipped: shared fixtures not found "    \
				      "(../shared or $OTK_SHARED)\n");         \
			skip();                                                \
		}                                                              \
	} while (0)

/*
 * A program that skipped any case must not be reported as passed: ctest
 * counts exit status 77 as skipped (SKIP_RETURN_CODE in tests/CMakeLists.txt).
 * So every skip() is counted, and every program that includes this header
 * runs its group through otk_test_status(), which turns "no failures, some
 * skips" into 77. Failures still win: a failing program exits non-zero, not 77.
 */
void otk_test_note_skip(void);
int otk_test_status(int failed);

#undef skip
#define skip() (otk_test_note_skip(), _skip(__FILE__, __LINE__))

#undef cmocka_run_group_tests
#define cmocka_run_group_tests(group_tests, group_setup, group_teardown)        \
	otk_test_status(_cmocka_run_group_tests(                               \
		#group_tests, group_tests,                                     \
		sizeof(group_tests) / sizeof((group_tests)[0]), group_setup,   \
		group_teardown))

/* printf-style path builder; returns a malloc'd string the caller frees. */
char *otk_test_path(const char *fmt, ...);

/* Reads a whole file into a malloc'd buffer; fails the test when it cannot. */
uint8_t *otk_test_read(const char *path, size_t *len);

/* Fills buf with deterministic pseudo-random bytes from *seed. */
void otk_test_random(uint32_t *seed, uint8_t *buf, size_t len);

/* Directory for scratch files of this test program (created on demand). */
const char *otk_test_tmpdir(void);

#endif

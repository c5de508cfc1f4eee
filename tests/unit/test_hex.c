/*
 * Intel HEX reader/writer and the sparse memory image: every reader error
 * with its line number, addressing modes, writer layout, round trips, and
 * the sparse image (no huge allocations, merge conflicts, erase).
 */
#define _GNU_SOURCE /* mallinfo2() */
#include <dirent.h>
#include <malloc.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otk/error.h"
#include "otk/hex.h"
#include "otk/memimage.h"
#include "otk/module.h"
#include "testutil.h"

/* Load text; returns the code, *e gets the error. */
static int load(const char *text, struct otk_memimage *m, struct otk_hex_error *e)
{
	return otk_hex_load(text, strlen(text), m, NULL, e);
}

static void expect_error(const char *text, int code, enum otk_hex_problem pr, unsigned long line)
{
	struct otk_memimage m;
	struct otk_hex_error e;
	otk_memimage_init(&m);
	assert_int_equal(load(text, &m, &e), code);
	assert_int_equal(e.problem, pr);
	assert_int_equal(e.line, line);
	char msg[200];
	otk_hex_error_text(&e, msg, sizeof msg);
	char want[32];
	snprintf(want, sizeof want, "line %lu: ", line);
	assert_non_null(strstr(msg, want));
	otk_memimage_deinit(&m);
}

static void test_read_basic(void **state)
{
	(void)state;
	/* mixed case, CRLF and LF, blank lines, 04 then data, 05, 01 */
	const char *t = ":020000040800F2\r\n"
			"\n"
			":0400100001020304e2\n"
			":04001400aabbccddDa\r\n"
			":0400000508000131BD\n"
			":00000001FF\n"
			"garbage after EOF is not read\n";
	struct otk_memimage m;
	struct otk_hex_error e;
	struct otk_hex_info info;
	otk_memimage_init(&m);
	assert_int_equal(otk_hex_load(t, strlen(t), &m, &info, &e), OTK_OK);
	assert_int_equal(otk_memimage_count(&m), 1);
	const struct otk_memregion *r = otk_memimage_region(&m, 0);
	assert_int_equal(r->addr, 0x08000010);
	assert_int_equal(r->len, 8);
	static const uint8_t want[] = { 1, 2, 3, 4, 0xaa, 0xbb, 0xcc, 0xdd };
	assert_memory_equal(r->data, want, 8);
	assert_true(info.eof);
	assert_true(info.has_start_linear);
	assert_int_equal(info.start_linear, 0x08000131);
	assert_int_equal(info.data_records, 2);
	otk_memimage_deinit(&m);
}

static void test_read_segment(void **state)
{
	(void)state;
	/* 02: base 0x1000 << 4 = 0x10000; a record wrapping inside the segment */
	const char *t = ":020000021000EC\n"
			":04FFFE0001020304F5\n"
			":00000001FF\n";
	struct otk_memimage m;
	struct otk_hex_error e;
	otk_memimage_init(&m);
	assert_int_equal(load(t, &m, &e), OTK_OK);
	assert_int_equal(otk_memimage_count(&m), 2);
	assert_int_equal(otk_memimage_region(&m, 0)->addr, 0x10000);
	assert_int_equal(otk_memimage_region(&m, 0)->data[0], 3);
	assert_int_equal(otk_memimage_region(&m, 1)->addr, 0x1FFFE);
	assert_int_equal(otk_memimage_region(&m, 1)->len, 2);
	otk_memimage_deinit(&m);
}

static void test_read_any_order_and_equal_overlap(void **state)
{
	(void)state;
	const char *t = ":02001000334477\n"
			":020000001122CB\n"
			":020000001122CB\n"   /* same bytes again: fine */
			":0100010022DC\n"     /* overlap, equal */
			":00000001FF\n";
	struct otk_memimage m;
	struct otk_hex_error e;
	otk_memimage_init(&m);
	assert_int_equal(load(t, &m, &e), OTK_OK);
	assert_int_equal(otk_memimage_count(&m), 2);
	assert_int_equal(otk_memimage_region(&m, 0)->addr, 0);
	assert_int_equal(otk_memimage_region(&m, 1)->addr, 0x10);
	otk_memimage_deinit(&m);
}

static void test_read_errors(void **state)
{
	(void)state;
	expect_error(":020000001122CB\n:020000001122CC\n", OTK_EINVAL, OTK_HEXP_CHECKSUM, 2);
	expect_error("\n\n:030000001122CB\n", OTK_EINVAL, OTK_HEXP_BAD_LENGTH, 3);
	expect_error(":0200\n", OTK_EINVAL, OTK_HEXP_BAD_LENGTH, 1);
	expect_error(":020000001122CB\nS1130000\n", OTK_EINVAL, OTK_HEXP_NOT_RECORD, 2);
	expect_error(":02000000112XCB\n", OTK_EINVAL, OTK_HEXP_BAD_DIGIT, 1);
	expect_error(":00000006FA\n", OTK_EINVAL, OTK_HEXP_BAD_TYPE, 1);
	expect_error(":0100000401FA\n", OTK_EINVAL, OTK_HEXP_BAD_FIELD, 1);
	expect_error(":0100000100FE\n", OTK_EINVAL, OTK_HEXP_BAD_FIELD, 1);
	expect_error(":020000001122CB\r\n:0100010033CB\r\n", OTK_EEXIST, OTK_HEXP_CONFLICT, 2);
	/* 0xFFFF0000 + 0xFFFF + 2 bytes runs past 4 GiB */
	expect_error(":02000004FFFFFC\n:02FFFF001122CD\n", OTK_ERANGE, OTK_HEXP_RANGE, 2);

	/* the checksum message carries both values */
	struct otk_memimage m;
	struct otk_hex_error e;
	char msg[200];
	otk_memimage_init(&m);
	assert_int_equal(load(":020000001122CC\n", &m, &e), OTK_EINVAL);
	assert_int_equal(e.stored, 0xCC);
	assert_int_equal(e.computed, 0xCB);
	assert_string_equal(otk_hex_error_text(&e, msg, sizeof msg),
			    "line 1: bad checksum (stored cc, computed cb)");
	assert_int_equal(load(":020000001122CB\n:0100010033CB\n", &m, &e), OTK_EEXIST);
	assert_int_equal(e.addr, 1);
	otk_memimage_deinit(&m);
}

static void test_write_layout(void **state)
{
	(void)state;
	struct otk_memimage m;
	otk_memimage_init(&m);
	uint8_t d[40];
	for (int i = 0; i < 40; i++)
		d[i] = (uint8_t)i;
	/* crosses the 0x0001_0000 boundary: the record is cut and a 04 added */
	assert_int_equal(otk_memimage_write(&m, 0xFFF0, d, 40, OTK_MEM_CHECK, NULL), OTK_OK);
	char *out;
	size_t len;
	assert_int_equal(otk_hex_write(&m, NULL, &out, &len), OTK_OK);
	const char *want =
		":020000040000FA\r\n"
		":10FFF000000102030405060708090A0B0C0D0E0F89\r\n"
		":020000040001F9\r\n"
		":10000000101112131415161718191A1B1C1D1E1F78\r\n"
		":080010002021222324252627CC\r\n"
		":00000001FF\r\n";
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	free(out);

	struct otk_hex_write_opts o = { 32, true, true, true, 0x12345678 };
	assert_int_equal(otk_hex_write(&m, &o, &out, &len), OTK_OK);
	assert_null(memchr(out, '\r', len));
	assert_non_null(strstr(out, ":0400000512345678e3\n"));
	/* read back */
	struct otk_memimage back;
	struct otk_hex_error e;
	otk_memimage_init(&back);
	assert_int_equal(otk_hex_load(out, len, &back, NULL, &e), OTK_OK);
	assert_int_equal(otk_memimage_count(&back), 1);
	assert_memory_equal(otk_memimage_region(&back, 0)->data, d, 40);
	free(out);
	o.record_len = 256;
	assert_int_equal(otk_hex_write(&m, &o, &out, &len), OTK_EINVAL);
	otk_memimage_deinit(&back);
	otk_memimage_deinit(&m);
}

static void test_roundtrip_random(void **state)
{
	(void)state;
	uint32_t seed = 7;
	for (unsigned rl = 1; rl <= 255; rl += 37) {
		struct otk_memimage m, back;
		otk_memimage_init(&m);
		otk_memimage_init(&back);
		for (int k = 0; k < 6; k++) {
			uint8_t buf[3000], pick[8];
			otk_test_random(&seed, pick, sizeof pick);
			uint32_t addr = (uint32_t)pick[0] << 24 | (uint32_t)pick[1] << 12 | pick[2];
			size_t n = 1 + ((pick[3] | pick[4] << 8) % sizeof buf);
			otk_test_random(&seed, buf, n);
			assert_int_equal(otk_memimage_write(&m, addr, buf, n, OTK_MEM_REPLACE, NULL), OTK_OK);
		}
		struct otk_hex_write_opts o = { rl, rl & 1, rl & 2, false, 0 };
		char *out;
		size_t len;
		struct otk_hex_error e;
		assert_int_equal(otk_hex_write(&m, &o, &out, &len), OTK_OK);
		assert_int_equal(otk_hex_load(out, len, &back, NULL, &e), OTK_OK);
		assert_int_equal(otk_memimage_count(&back), otk_memimage_count(&m));
		for (size_t i = 0; i < otk_memimage_count(&m); i++) {
			const struct otk_memregion *a = otk_memimage_region(&m, i);
			const struct otk_memregion *b = otk_memimage_region(&back, i);
			assert_int_equal(a->addr, b->addr);
			assert_int_equal(a->len, b->len);
			assert_memory_equal(a->data, b->data, a->len);
		}
		free(out);
		otk_memimage_deinit(&m);
		otk_memimage_deinit(&back);
	}
}

static void test_sparse_image(void **state)
{
	(void)state;
	struct otk_memimage m;
	otk_memimage_init(&m);
	uint8_t a[4096], b[4096];
	memset(a, 0x11, sizeof a);
	memset(b, 0x22, sizeof b);
	assert_int_equal(otk_memimage_write(&m, 0x0, a, sizeof a, OTK_MEM_CHECK, NULL), OTK_OK);
	assert_int_equal(otk_memimage_write(&m, 0x10001000, b, sizeof b, OTK_MEM_CHECK, NULL), OTK_OK);
	assert_int_equal(otk_memimage_count(&m), 2);
	assert_int_equal(m.total, 8192);
	/* allocation is what is there, not the span */
	assert_true(m.alloc < 64 * 1024);
	assert_false(otk_memimage_any(&m, 0x1000, 0x10000000));
	assert_true(otk_memimage_any(&m, 0xFFF, 2));

	/* adjacent writes join, a write bridging two regions merges them */
	assert_int_equal(otk_memimage_write(&m, 0x2000, a, 16, OTK_MEM_CHECK, NULL), OTK_OK);
	assert_int_equal(otk_memimage_count(&m), 3);
	assert_int_equal(otk_memimage_write(&m, 0x1000, b, 0x1000, OTK_MEM_CHECK, NULL), OTK_OK);
	assert_int_equal(otk_memimage_count(&m), 2);
	assert_int_equal(otk_memimage_region(&m, 0)->len, 0x2010);
	/* prepend */
	assert_int_equal(otk_memimage_write(&m, 0x10000F00, a, 0x100, OTK_MEM_CHECK, NULL), OTK_OK);
	assert_int_equal(otk_memimage_region(&m, 1)->addr, 0x10000F00);
	assert_int_equal(otk_memimage_region(&m, 1)->data[0x100], 0x22);

	/* conflict: different bytes refused, image unchanged; replace wins */
	uint32_t at = 0;
	uint8_t x[4] = { 0x11, 0x11, 0x99, 0x11 };
	assert_int_equal(otk_memimage_write(&m, 0x10, x, 4, OTK_MEM_CHECK, &at), OTK_EEXIST);
	assert_int_equal(at, 0x12);
	assert_int_equal(otk_memimage_region(&m, 0)->data[0x12], 0x11);
	assert_int_equal(otk_memimage_write(&m, 0x10, x, 4, OTK_MEM_REPLACE, NULL), OTK_OK);
	assert_int_equal(otk_memimage_region(&m, 0)->data[0x12], 0x99);

	/* erase: middle split, head, tail, whole */
	uint64_t before = m.total;
	assert_int_equal(otk_memimage_erase(&m, 0x100, 0x100), OTK_OK);
	assert_int_equal(otk_memimage_count(&m), 3);
	assert_int_equal(m.total, before - 0x100);
	assert_int_equal(otk_memimage_region(&m, 1)->addr, 0x200);
	assert_int_equal(otk_memimage_erase(&m, 0x0, 0x80), OTK_OK);
	assert_int_equal(otk_memimage_region(&m, 0)->addr, 0x80);
	assert_int_equal(otk_memimage_erase(&m, 0x1000, 0x20000000), OTK_OK);
	assert_int_equal(otk_memimage_count(&m), 2);
	assert_int_equal(otk_memimage_region(&m, 1)->addr + otk_memimage_region(&m, 1)->len, 0x1000);
	uint32_t avail;
	assert_int_equal(otk_memimage_find(&m, 0x300, &avail), 1);
	assert_int_equal(avail, 0xD00);
	assert_int_equal(otk_memimage_find(&m, 0x100, NULL), -1);

	/* merge with conflict detection */
	struct otk_memimage o;
	otk_memimage_init(&o);
	assert_int_equal(otk_memimage_write(&o, 0x80, b, 1, OTK_MEM_CHECK, NULL), OTK_OK);
	assert_int_equal(otk_memimage_merge(&m, &o, OTK_MEM_CHECK, &at), OTK_EEXIST);
	assert_int_equal(at, 0x80);
	otk_memimage_deinit(&o);

	/* the byte cap */
	m.max_total = m.total + 10;
	assert_int_equal(otk_memimage_write(&m, 0x50000000, a, 11, OTK_MEM_CHECK, NULL), OTK_ETOOBIG);
	assert_int_equal(otk_memimage_write(&m, 0xFFFFFFF0, a, 17, OTK_MEM_CHECK, NULL), OTK_ERANGE);
	otk_memimage_deinit(&m);
}

static void test_find_modules(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	static const char *const names[] = {
		"tracker-system-part1@3.1.0-alpha.2.bin", "tracker-tinker@5.3.1.bin",
		"tracker-bootloader@5.6.0.bin", "p2-bootloader@5.6.0.bin", "p2-tinker@5.3.1.bin",
	};
	static const uint32_t addrs[] = { 0x30000, 0xB4000, 0xF4000, 0x08004000, 0x085F4000 };
	struct otk_memimage m;
	otk_memimage_init(&m);
	uint8_t junk[300];
	memset(junk, 0xA5, sizeof junk);
	for (size_t i = 0; i < 5; i++) {
		char *p = otk_test_path("%s/fixtures/particle/binaries/%s", otk_test_shared(), names[i]);
		size_t len;
		uint8_t *b = otk_test_read(p, &len);
		struct otk_module mod;
		assert_int_equal(otk_module_parse(b, len, &mod), OTK_OK);
		assert_int_equal(mod.prefix.start, addrs[i]);
		assert_int_equal(otk_memimage_write(&m, addrs[i], b, len, OTK_MEM_CHECK, NULL), OTK_OK);
		/* unrelated data right before each module */
		assert_int_equal(otk_memimage_write(&m, addrs[i] - sizeof junk, junk, sizeof junk,
						    OTK_MEM_CHECK, NULL), OTK_OK);
		free(b);
		free(p);
	}
	struct otk_image_module *mods;
	size_t n;
	assert_int_equal(otk_memimage_find_modules(&m, &mods, &n), OTK_OK);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++) {
		assert_true(mods[i].crc_ok);
	}
	assert_int_equal(mods[0].addr, 0x30000);
	assert_int_equal(mods[0].prefix_offset, 0x200);
	assert_int_equal(mods[1].prefix.function, OTK_FUNC_USER);
	assert_int_equal(mods[3].prefix_offset, 0x20);
	assert_int_equal(mods[4].addr + mods[4].size, 0x08600000);
	free(mods);

	/* a corrupted byte is still found, with its CRC failing */
	long ri = otk_memimage_find(&m, 0xB4100, NULL);
	assert_true(ri >= 0);
	const struct otk_memregion *rr = otk_memimage_region(&m, (size_t)ri);
	rr->data[0xB4100 - rr->addr] ^= 1;
	assert_int_equal(otk_memimage_find_modules(&m, &mods, &n), OTK_OK);
	assert_int_equal(n, 5);
	assert_false(mods[1].crc_ok);
	free(mods);
	otk_memimage_deinit(&m);
}

/* Same image (regions and bytes) in both. */
static void assert_same_image(const struct otk_memimage *a, const struct otk_memimage *b)
{
	assert_int_equal(otk_memimage_count(a), otk_memimage_count(b));
	for (size_t i = 0; i < otk_memimage_count(a); i++) {
		const struct otk_memregion *x = otk_memimage_region(a, i);
		const struct otk_memregion *y = otk_memimage_region(b, i);
		assert_int_equal(x->addr, y->addr);
		assert_int_equal(x->len, y->len);
		assert_memory_equal(x->data, y->data, x->len);
	}
}

/* Feed text in chunks of step bytes; returns the code of finish. */
static int load_chunked(const char *t, size_t len, size_t step, struct otk_memimage *m,
			struct otk_hex_info *info, struct otk_hex_error *e)
{
	struct otk_hex_loader l;
	otk_hex_loader_init(&l, m);
	for (size_t i = 0; i < len && !otk_hex_loader_done(&l); i += step)
		otk_hex_loader_feed(&l, t + i, len - i < step ? len - i : step, e);
	int rc = otk_hex_loader_finish(&l, info, e);
	otk_hex_loader_deinit(&l);
	return rc;
}

static void test_stream_chunks(void **state)
{
	(void)state;
	/* every chunk size, cuts inside CRLF and records; the same result as one buffer */
	static const char *const texts[] = {
		":020000040800F2\r\n\r\n:0400100001020304e2\n :nope\n",
		":020000040800F2\r\n\n:0400100001020304e2\r\n:04001400aabbccddDa  \r\n"
		":020000021000EC\n:04FFFE0001020304F5\n:0400000508000131BD\n:00000001FF\njunk",
		":020000001122CB\r\n:020000001122CB\r\n:0100010033CB\r\n",
		":020000001122CB\n:020000001122CC",
		"\n\n\n:0200000011",
		":020000001122CB",
		"",
	};
	for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
		size_t len = strlen(texts[t]);
		struct otk_memimage one;
		struct otk_hex_error e1;
		struct otk_hex_info i1;
		otk_memimage_init(&one);
		int rc1 = otk_hex_load(texts[t], len, &one, &i1, &e1);
		for (size_t step = 1; step <= len + 1; step++) {
			struct otk_memimage m;
			struct otk_hex_error e2;
			struct otk_hex_info i2;
			otk_memimage_init(&m);
			int rc2 = load_chunked(texts[t], len, step, &m, &i2, &e2);
			assert_int_equal(rc2, rc1);
			assert_int_equal(e2.problem, e1.problem);
			assert_int_equal(e2.line, e1.line);
			assert_int_equal(e2.addr, e1.addr);
			if (rc1 == OTK_OK) {
				assert_int_equal(i2.lines, i1.lines);
				assert_int_equal(i2.records, i1.records);
				assert_int_equal(i2.eof, i1.eof);
				assert_int_equal(i2.start_linear, i1.start_linear);
				assert_int_equal(i2.used_segment, i1.used_segment);
			}
			assert_same_image(&m, &one);
			otk_memimage_deinit(&m);
		}
		otk_memimage_deinit(&one);
	}

	/* a line longer than OTK_HEX_LINE_MAX is refused with its number */
	size_t big = OTK_HEX_LINE_MAX + 10;
	char *t = malloc(big + 20);
	assert_non_null(t);
	memset(t, '\n', 12);
	memcpy(t + 12, ":10", 3);
	memset(t + 15, 'A', big);
	struct otk_memimage m;
	struct otk_hex_error e;
	otk_memimage_init(&m);
	assert_int_equal(load_chunked(t, big + 15, 4096, &m, NULL, &e), OTK_EINVAL);
	assert_int_equal(e.problem, OTK_HEXP_BAD_LENGTH);
	assert_int_equal(e.line, 13);
	assert_int_equal(e.length_byte, 0x10);
	t[12] = 'x';
	assert_int_equal(load_chunked(t, big + 15, 4096, &m, NULL, &e), OTK_EINVAL);
	assert_int_equal(e.problem, OTK_HEXP_NOT_RECORD);
	assert_int_equal(e.line, 13);
	free(t);
	otk_memimage_deinit(&m);
}

static char *write_tmp(const char *name, const char *text)
{
	char *p = otk_test_path("%s/%s", otk_test_tmpdir(), name);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

/* No "*.tmp*" left behind in the test directory. */
static void assert_no_temp_files(void)
{
	DIR *d = opendir(otk_test_tmpdir());
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		assert_null(strstr(de->d_name, ".tmp"));
	closedir(d);
}

static void test_stream_files(void **state)
{
	(void)state;
	/* a large image through the file paths: 3 regions, one at 0x10001000 */
	struct otk_memimage m, back;
	otk_memimage_init(&m);
	otk_memimage_init(&back);
	uint32_t seed = 99;
	size_t n = 300 * 1024;
	uint8_t *buf = malloc(n);
	assert_non_null(buf);
	otk_test_random(&seed, buf, n);
	assert_int_equal(otk_memimage_write(&m, 0x30000, buf, n, OTK_MEM_CHECK, NULL), OTK_OK);
	assert_int_equal(otk_memimage_write(&m, 0x10001000, buf, 4096, OTK_MEM_CHECK, NULL), OTK_OK);
	uint8_t *own = malloc(1000);
	assert_non_null(own);
	memcpy(own, buf + 5, 1000);
	assert_int_equal(otk_memimage_write_owned(&m, 0x12000000, own, 1000, OTK_MEM_CHECK, NULL),
			 OTK_OK);
	/* touching other data: copied and checked like a write */
	own = malloc(16);
	assert_non_null(own);
	memset(own, 0, 16);
	uint32_t at = 0;
	assert_int_equal(otk_memimage_write_owned(&m, 0x12000000 + 990, own, 16, OTK_MEM_CHECK, &at),
			 OTK_EEXIST);
	assert_int_equal(otk_memimage_count(&m), 3);
	free(buf);

	char *path = otk_test_path("%s/stream.hex", otk_test_tmpdir());
	unlink(path);
	assert_int_equal(otk_hex_write_file(&m, NULL, path, false), OTK_OK);
	/* the same bytes as the in-memory writer */
	char *text;
	size_t len, flen;
	assert_int_equal(otk_hex_write(&m, NULL, &text, &len), OTK_OK);
	uint8_t *f = otk_test_read(path, &flen);
	assert_int_equal(flen, len);
	assert_memory_equal(f, text, len);
	free(f);

	struct otk_hex_info info;
	struct otk_hex_error e;
	bool hexish;
	assert_int_equal(otk_hex_load_file(path, &back, &info, &e, &hexish), OTK_OK);
	assert_true(hexish);
	assert_true(info.eof);
	assert_same_image(&back, &m);

	/* never clobbered without force; nothing left over */
	struct otk_memimage small;
	otk_memimage_init(&small);
	assert_int_equal(otk_memimage_write(&small, 0, (const uint8_t *)"x", 1, OTK_MEM_CHECK, NULL),
			 OTK_OK);
	assert_int_equal(otk_hex_write_file(&small, NULL, path, false), OTK_EEXIST);
	f = otk_test_read(path, &flen);
	assert_int_equal(flen, len);
	free(f);
	struct otk_hex_write_opts bad = { 256, false, false, false, 0 };
	assert_int_equal(otk_hex_write_file(&small, &bad, path, true), OTK_EINVAL);
	assert_no_temp_files();
	assert_int_equal(otk_hex_write_file(&small, NULL, path, true), OTK_OK);
	f = otk_test_read(path, &flen);
	assert_int_equal(flen, strlen(":020000040000FA\r\n:0100000078"
				      "87\r\n:00000001FF\r\n"));
	free(f);
	/* a directory that does not exist: EIO, nothing created */
	char *nodir = otk_test_path("%s/no/such/dir.hex", otk_test_tmpdir());
	assert_int_equal(otk_hex_write_file(&small, NULL, nodir, true), OTK_EIO);
	free(nodir);
	assert_no_temp_files();

	/* reading: errors with line numbers, non-hex, missing files */
	char *p = write_tmp("bad.hex", ":020000001122CB\r\n\r\n:020000001122CC\r\n");
	otk_memimage_deinit(&back);
	otk_memimage_init(&back);
	assert_int_equal(otk_hex_load_file(p, &back, NULL, &e, &hexish), OTK_EINVAL);
	assert_int_equal(e.problem, OTK_HEXP_CHECKSUM);
	assert_int_equal(e.line, 3);
	free(p);
	p = write_tmp("bin.hex", "\n\n\x7f" "ELF...");
	assert_int_equal(otk_hex_load_file(p, &back, NULL, &e, &hexish), OTK_EINVAL);
	assert_false(hexish);
	assert_int_equal(e.problem, OTK_HEXP_NOT_RECORD);
	assert_int_equal(e.line, 3);
	free(p);
	p = write_tmp("empty.hex", "");
	assert_int_equal(otk_hex_load_file(p, &back, NULL, &e, &hexish), OTK_OK);
	assert_false(hexish);
	free(p);
	p = otk_test_path("%s/missing.hex", otk_test_tmpdir());
	assert_int_equal(otk_hex_load_file(p, &back, NULL, &e, &hexish), OTK_EIO);
	assert_int_equal(errno, ENOENT);
	free(p);

	unlink(path);
	free(path);
	free(text);
	otk_memimage_deinit(&small);
	otk_memimage_deinit(&back);
	otk_memimage_deinit(&m);
}

/*
 * Bytes currently allocated by the process: the sanitizer's count in the
 * ASan build (which replaces malloc), glibc's otherwise.
 */
size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));
static size_t allocated_now(void)
{
	if (__sanitizer_get_current_allocated_bytes)
		return __sanitizer_get_current_allocated_bytes();
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

/* One data record of n bytes of value v at addr (with its 04 record when the page changes). */
static size_t put_record(char *out, uint32_t addr, const uint8_t *d, size_t n, uint32_t *page)
{
	size_t w = 0;
	if (addr >> 16 != *page) {
		*page = addr >> 16;
		uint8_t sum = (uint8_t)(0x02 + 0x04 + (*page >> 8) + (*page & 0xFF));
		w += (size_t)sprintf(out + w, ":02000004%04X%02X\n", (unsigned)*page,
				     (unsigned)(uint8_t)(0x100 - sum));
	}
	uint8_t sum = (uint8_t)(n + ((addr >> 8) & 0xFF) + (addr & 0xFF));
	w += (size_t)sprintf(out + w, ":%02X%04X00", (unsigned)n, (unsigned)(addr & 0xFFFF));
	for (size_t k = 0; k < n; k++) {
		w += (size_t)sprintf(out + w, "%02X", d[k]);
		sum = (uint8_t)(sum + d[k]);
	}
	w += (size_t)sprintf(out + w, "%02X\n", (unsigned)(uint8_t)(0x100 - sum));
	return w;
}

/*
 * The hostile tester's file: one byte at every other address across pages
 * 64 KiB pages, records in descending address order.
 */
static char *sparse_descending(unsigned pages, size_t *len)
{
	size_t records = (size_t)pages * 0x8000;
	char *t = malloc(records * 16 + pages * 20 + 32);
	assert_non_null(t);
	size_t w = 0;
	uint32_t page = 0xFFFFFFFF;
	for (size_t i = records; i-- > 0;) {
		uint8_t v = (uint8_t)(i * 7);
		w += put_record(t + w, (uint32_t)(0x08000000 + 2 * i), &v, 1, &page);
	}
	w += (size_t)sprintf(t + w, ":00000001FF\n");
	*len = w;
	return t;
}

/* A sparse hex stays small: what is allocated is counted, not only the data. */
static void test_sparse_hostile_memory(void **state)
{
	(void)state;
	size_t len;
	char *t = sparse_descending(1, &len);
	struct otk_memimage m;
	struct otk_hex_error e;
	otk_memimage_init(&m);
	size_t before = allocated_now();
	assert_int_equal(otk_hex_load(t, len, &m, NULL, &e), OTK_OK);
	size_t used = allocated_now() - before;
	assert_int_equal(otk_memimage_count(&m), 0x8000);
	assert_int_equal(m.total, 0x8000);
	/* 32768 one-byte regions: 4 KiB each before, ~60 bytes now */
	assert_true(used < 4u << 20);
	/* and the count is honest: no more is allocated than is charged */
	assert_true(used <= m.alloc + (64u << 10));
	const struct otk_memregion *r = otk_memimage_region(&m, 0x4000);
	assert_int_equal(r->addr, 0x08008000);
	assert_int_equal(r->data[0], (uint8_t)(0x4000 * 7));
	otk_memimage_deinit(&m);

	/* The cap refuses it when the bookkeeping does not fit, not just the data. */
	otk_memimage_init(&m);
	m.max_total = 1u << 20;
	assert_int_equal(otk_hex_load(t, len, &m, NULL, &e), OTK_ETOOBIG);
	assert_int_equal(e.problem, OTK_HEXP_TOO_BIG);
	assert_true(m.alloc <= m.max_total);
	otk_memimage_deinit(&m);
	free(t);
}

/* The 7.3 MB file: 16 x 64 KiB, one byte every other address, descending. */
static void test_sparse_hostile_full(void **state)
{
	(void)state;
	size_t len;
	char *t = sparse_descending(16, &len);
	assert_true(len > 7000000);
	struct otk_memimage m;
	struct otk_hex_error e;
	otk_memimage_init(&m);
	size_t before = allocated_now();
	assert_int_equal(otk_hex_load(t, len, &m, NULL, &e), OTK_OK);
	size_t used = allocated_now() - before;
	assert_int_equal(otk_memimage_count(&m), 16 * 0x8000);
	assert_true(used < 64u << 20); /* was 2.1 GB */
	for (size_t i = 0; i < otk_memimage_count(&m); i += 4099) {
		const struct otk_memregion *r = otk_memimage_region(&m, i);
		assert_int_equal(r->addr, 0x08000000 + 2 * i);
		assert_int_equal(r->len, 1);
	}
	otk_memimage_deinit(&m);
	free(t);
}

/*
 * Random writes, replaces and erases against a plain byte model, in a space
 * small enough to model and with enough regions to split and join blocks.
 */
static void test_memimage_model(void **state)
{
	(void)state;
	enum { SPACE = 1 << 18 };
	static uint8_t val[SPACE];
	static bool has[SPACE];
	memset(has, 0, sizeof has);
	uint32_t seed = 12345;
	struct otk_memimage m;
	otk_memimage_init(&m);
	uint8_t buf[64];
	for (int op = 0; op < 40000; op++) {
		uint8_t pick[8];
		otk_test_random(&seed, pick, sizeof pick);
		uint32_t addr = (uint32_t)(pick[0] | pick[1] << 8 | (pick[5] & 3) << 16) % SPACE;
		size_t n = 1 + pick[2] % (pick[3] < 200 ? 3 : 64);
		if (addr + n > SPACE)
			n = SPACE - addr;
		if (pick[4] < 40) {
			uint64_t el = 1 + (pick[5] % 8 == 0 ? pick[6] * 16u : pick[6] % 4u);
			assert_int_equal(otk_memimage_erase(&m, addr, el), OTK_OK);
			for (uint64_t k = addr; k < addr + el && k < SPACE; k++)
				has[k] = false;
			continue;
		}
		otk_test_random(&seed, buf, n);
		bool check = pick[4] & 1;
		bool clash = false;
		for (size_t k = 0; k < n; k++)
			if (has[addr + k] && val[addr + k] != buf[k])
				clash = true;
		int rc;
		if (pick[7] < 30) {
			uint8_t *own = malloc(n);
			assert_non_null(own);
			memcpy(own, buf, n);
			rc = otk_memimage_write_owned(&m, addr, own, n,
						      check ? OTK_MEM_CHECK : OTK_MEM_REPLACE, NULL);
		} else {
			rc = otk_memimage_write(&m, addr, buf, n,
						check ? OTK_MEM_CHECK : OTK_MEM_REPLACE, NULL);
		}
		if (check && clash) {
			assert_int_equal(rc, OTK_EEXIST);
			continue;
		}
		assert_int_equal(rc, OTK_OK);
		for (size_t k = 0; k < n; k++) {
			has[addr + k] = true;
			val[addr + k] = buf[k];
		}
		if (op % 5000 != 4999)
			continue;
		/* regions are exactly the runs of present bytes */
		size_t ri = 0;
		uint64_t total = 0;
		for (uint32_t a = 0; a < SPACE;) {
			if (!has[a]) {
				a++;
				continue;
			}
			uint32_t e = a;
			while (e < SPACE && has[e])
				e++;
			const struct otk_memregion *r = otk_memimage_region(&m, ri++);
			assert_non_null(r);
			assert_int_equal(r->addr, a);
			assert_int_equal(r->len, e - a);
			assert_memory_equal(r->data, val + a, e - a);
			assert_true(r->cap >= r->len);
			total += e - a;
			a = e;
		}
		assert_int_equal(otk_memimage_count(&m), ri);
		assert_int_equal(m.total, total);
		assert_true(m.alloc <= m.max_total);
	}
	assert_true(otk_memimage_count(&m) > 2048); /* several blocks were in play */
	otk_memimage_deinit(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_basic),
		cmocka_unit_test(test_read_segment),
		cmocka_unit_test(test_read_any_order_and_equal_overlap),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_write_layout),
		cmocka_unit_test(test_roundtrip_random),
		cmocka_unit_test(test_sparse_image),
		cmocka_unit_test(test_find_modules),
		cmocka_unit_test(test_stream_chunks),
		cmocka_unit_test(test_stream_files),
		cmocka_unit_test(test_sparse_hostile_memory),
		cmocka_unit_test(test_sparse_hostile_full),
		cmocka_unit_test(test_memimage_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

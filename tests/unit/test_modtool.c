/*
 * Host module transformations: golden files from Particle's tools, round
 * trips of our own output through zlib, and the refusals.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zip.h>
#include <zlib.h>

#include "otk/bundle.h"
#include "otk/limits.h"

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

/* A user-part module of exactly size bytes (zero body), malloc'd. */
static uint8_t *zero_module(size_t size)
{
	struct otk_module_spec spec = { 0 };
	spec.start = 0x80A0000;
	spec.prefix.platform = 6;
	spec.prefix.function = OTK_FUNC_USER;
	spec.prefix.index = 1;
	spec.prefix.version = 2;
	uint8_t small[256] = { 0 };
	size_t overhead;
	assert_int_equal(otk_module_build(&spec, small, 0, small, sizeof small, &overhead), OTK_OK);
	assert_true(size > overhead);
	uint8_t *body = calloc(1, size - overhead);
	uint8_t *out = malloc(size);
	assert_non_null(body);
	assert_non_null(out);
	size_t len;
	assert_int_equal(otk_module_build(&spec, body, size - overhead, out, size, &len), OTK_OK);
	assert_int_equal(len, size);
	free(body);
	return out;
}

/* What compress writes, decompress reads: the limit is checked on both sides. */
static void test_compress_limit(void **state)
{
	(void)state;
	uint8_t *mod = zero_module(OTK_LIMIT_MODULE_INFLATED + 1);
	uint8_t *z = NULL, *back = NULL;
	size_t zlen = 0, blen;
	struct otk_compress_opts o = { 1, 15 };
	assert_int_equal(otk_module_compress(mod, OTK_LIMIT_MODULE_INFLATED + 1, &o, &z, &zlen),
			 OTK_ETOOBIG);
	assert_null(z);
	free(mod);

	mod = zero_module(OTK_LIMIT_MODULE_INFLATED);
	assert_int_equal(otk_module_compress(mod, OTK_LIMIT_MODULE_INFLATED, &o, &z, &zlen), OTK_OK);
	assert_int_equal(otk_module_decompress(z, zlen, &back, &blen), OTK_OK);
	assert_int_equal(blen, OTK_LIMIT_MODULE_INFLATED);
	assert_memory_equal(back, mod, blen);
	free(back);
	free(z);
	free(mod);
}

static char *scratch(const char *name)
{
	char *p = otk_test_path("%s/%s", otk_test_tmpdir(), name);
	unlink(p);
	return p;
}

/* What the bundle writer writes, the reader reads: entry and total limits. */
static void test_bundle_write_limits(void **state)
{
	(void)state;
	char err[256];
	char *path = scratch("limits.zip");
	size_t big = OTK_LIMIT_BUNDLE_ENTRY + 1;
	uint8_t *data = calloc(1, big);
	assert_non_null(data);
	struct otk_bundle_item one[] = { { "app.bin", data, 100 }, { "assets/big.bin", data, big } };
	assert_int_equal(otk_bundle_write(path, one, 2, false, err, sizeof err), OTK_ETOOBIG);
	assert_non_null(strstr(err, "assets/big.bin"));
	assert_int_equal(access(path, F_OK), -1);

	/* five entries at the entry limit: over the total */
	struct otk_bundle_item five[5];
	for (int i = 0; i < 5; i++) {
		char *n = malloc(32);
		snprintf(n, 32, "assets/%d.bin", i);
		five[i] = (struct otk_bundle_item){ n, data, OTK_LIMIT_BUNDLE_ENTRY };
	}
	assert_int_equal(otk_bundle_write(path, five, 5, false, err, sizeof err), OTK_ETOOBIG);
	assert_int_equal(access(path, F_OK), -1);

	/* at the entry limit: written and read back */
	struct otk_bundle_item ok[] = { { "app.bin", data, 100 },
					{ "assets/max.bin", data, OTK_LIMIT_BUNDLE_ENTRY } };
	assert_int_equal(otk_bundle_write(path, ok, 2, false, err, sizeof err), OTK_OK);
	struct otk_bundle b;
	assert_int_equal(otk_bundle_read(path, &b, err, sizeof err), OTK_OK);
	assert_int_equal(b.nassets, 1);
	assert_int_equal(b.assets[0].len, OTK_LIMIT_BUNDLE_ENTRY);
	otk_bundle_free(&b);
	for (int i = 0; i < 5; i++)
		free((char *)five[i].name);
	free(data);
	unlink(path);
	free(path);
}

/* Feed the file at path into a pipe from a child; returns the read end. */
static int pipe_from(const char *path)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		FILE *f = fopen(path, "rb");
		char buf[4096];
		size_t n;
		while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
			if (write(fds[1], buf, n) != (ssize_t)n)
				break;
		_exit(0);
	}
	close(fds[1]);
	return fds[0];
}

/* A bundle read from a pipe (/dev/fd/N, "-"), and from a FIFO. */
static void test_bundle_from_pipe(void **state)
{
	(void)state;
	char err[256];
	char *path = scratch("pipe.zip");
	static const uint8_t app[] = "not really an app";
	struct otk_bundle_item items[] = { { "app.bin", app, sizeof app },
					   { "assets/a.txt", (const uint8_t *)"meow", 4 } };
	assert_int_equal(otk_bundle_write(path, items, 2, false, err, sizeof err), OTK_OK);

	struct otk_bundle b;
	int fd = pipe_from(path);
	char dev[32];
	snprintf(dev, sizeof dev, "/dev/fd/%d", fd);
	assert_int_equal(otk_bundle_read(dev, &b, err, sizeof err), OTK_OK);
	close(fd);
	wait(NULL);
	assert_int_equal(b.nassets, 1);
	assert_memory_equal(b.assets[0].data, "meow", 4);
	assert_int_equal(b.app.len, sizeof app);
	otk_bundle_free(&b);

	fd = pipe_from(path);
	int saved = dup(STDIN_FILENO);
	dup2(fd, STDIN_FILENO);
	close(fd);
	int rc = otk_bundle_read("-", &b, err, sizeof err);
	dup2(saved, STDIN_FILENO);
	close(saved);
	wait(NULL);
	assert_int_equal(rc, OTK_OK);
	assert_int_equal(b.nassets, 1);
	otk_bundle_free(&b);

	/* not a zip from a pipe: a clear error, not a crash */
	char *junk = scratch("junk.bin");
	FILE *f = fopen(junk, "wb");
	fputs("PK but not a zip", f);
	fclose(f);
	fd = pipe_from(junk);
	snprintf(dev, sizeof dev, "/dev/fd/%d", fd);
	assert_int_equal(otk_bundle_read(dev, &b, err, sizeof err), OTK_EINVAL);
	assert_non_null(strstr(err, "not a readable zip"));
	close(fd);
	wait(NULL);
	unlink(junk);
	free(junk);
	unlink(path);
	free(path);
}

/*
 * Bytes allocated since the hooks were installed, counted by the sanitizer
 * runtime's malloc hooks (the ASan build); 0 without one.
 */
int __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t),
					      void (*f)(const volatile void *))
	__attribute__((weak));
static size_t allocated_total;
static void count_malloc(const volatile void *p, size_t n)
{
	(void)p;
	allocated_total += n;
}
static void count_free(const volatile void *p)
{
	(void)p;
}

/* 100,000 entries: collected with geometric growth, not one realloc each. */
static void test_bundle_many_entries(void **state)
{
	(void)state;
	enum { N = 100000 };
	char err[256];
	char *path = scratch("many.zip");
	struct otk_bundle_item *items = calloc(N + 1, sizeof *items);
	char *names = malloc((size_t)N * 24);
	assert_non_null(items);
	assert_non_null(names);
	items[0] = (struct otk_bundle_item){ "app.bin", (const uint8_t *)"x", 1 };
	for (size_t i = 0; i < N; i++) {
		snprintf(names + 24 * i, 24, "assets/%zu", i);
		items[i + 1] = (struct otk_bundle_item){ names + 24 * i, (const uint8_t *)"y", 1 };
	}
	/* Stored, not deflated: libzip's per-entry deflate setup would dominate. */
	int zerr;
	zip_t *z = zip_open(path, ZIP_CREATE | ZIP_EXCL, &zerr);
	assert_non_null(z);
	for (size_t i = 0; i < N + 1; i++) {
		zip_source_t *src = zip_source_buffer(z, items[i].data, items[i].len, 0);
		zip_int64_t idx = zip_file_add(z, items[i].name, src, 0);
		assert_true(idx >= 0);
		zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
	}
	assert_int_equal(zip_close(z), 0);
	struct otk_bundle b;
	bool counted = __sanitizer_install_malloc_and_free_hooks &&
		       __sanitizer_install_malloc_and_free_hooks(count_malloc, count_free);
	allocated_total = 0;
	assert_int_equal(otk_bundle_read(path, &b, err, sizeof err), OTK_OK);
	size_t churn = allocated_total;
	assert_int_equal(b.nassets, N);
	/* One realloc per entry moved 100,000^2 / 2 entry structs: 240 GB. */
	print_message("allocated while reading: %zu MB\n", churn >> 20);
	if (counted)
		assert_true(churn < (size_t)4 << 30);
	assert_string_equal(b.assets[N - 1].name, names + 24 * (N - 1));
	otk_bundle_free(&b);
	free(names);
	free(items);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_decompress),
		cmocka_unit_test(test_golden_asset_module),
		cmocka_unit_test(test_golden_combined),
		cmocka_unit_test(test_compress_roundtrip_fixtures),
		cmocka_unit_test(test_compressed_size_lies),
		cmocka_unit_test(test_compress_limit),
		cmocka_unit_test(test_bundle_write_limits),
		cmocka_unit_test(test_bundle_from_pipe),
		cmocka_unit_test(test_bundle_many_entries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

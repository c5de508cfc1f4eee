/*
 * otk_inflate against zlib: streams that zlib's deflate produced for every
 * window size, level and strategy, decoded with input and output offered in
 * pieces of every size down to one byte; hand-made streams for the corners
 * zlib never produces; truncated and corrupted streams, the latter compared
 * with what zlib's own inflate makes of them.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "otk/error.h"
#include "otk/inflate.h"

static uint32_t rnd(uint32_t *seed)
{
	uint32_t x = *seed ? *seed : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*seed = x;
	return x;
}

/* ------------------------------------------------------------------ */
/* test data */

enum kind { K_TEXT, K_RANDOM, K_RUNS, K_MIXED, K_FARREP, NKINDS };

/* Fills buf with data of the given flavour, deterministic in *seed. */
static void gen(enum kind kind, uint32_t *seed, uint8_t *buf, size_t len)
{
	static const char *const words[] = {
		"module", "firmware", "particle", "device", "the", "of", "and",
		"bootloader", "system", "user", "part", "crc", "sha256", "dfu",
		"\n", "  ", "0x8020000", "platform", "version", "dependency",
	};
	size_t i = 0;

	switch (kind) {
	case K_TEXT:
		while (i < len) {
			const char *w = words[rnd(seed) % (sizeof words / sizeof words[0])];
			for (size_t k = 0; w[k] && i < len; k++)
				buf[i++] = (uint8_t)w[k];
			if (i < len)
				buf[i++] = ' ';
		}
		break;
	case K_RANDOM:
		otk_test_random(seed, buf, len);
		break;
	case K_RUNS:
		while (i < len) {
			uint8_t b = (uint8_t)rnd(seed);
			size_t n = 1 + rnd(seed) % 300;
			while (n-- && i < len)
				buf[i++] = b;
		}
		break;
	case K_MIXED:
		while (i < len) {
			size_t n = 1 + rnd(seed) % 5000;
			if (n > len - i)
				n = len - i;
			gen((enum kind)(rnd(seed) % 3), seed, buf + i, n);
			i += n;
		}
		break;
	case K_FARREP:
		/* random blocks that come back far away: long distances */
		while (i < len) {
			size_t n = 1 + rnd(seed) % 3000;
			if (n > len - i)
				n = len - i;
			if (i > 40000 && rnd(seed) % 2) {
				size_t from = i - 1 - rnd(seed) % 33000;
				memmove(buf + i, buf + from, n); /* may overlap: fine */
			} else {
				otk_test_random(seed, buf + i, n);
			}
			i += n;
		}
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* zlib as the reference */

struct zcfg {
	int level, strategy, memlevel;
	const char *name;
};

static const struct zcfg zcfgs[] = {
	{ 6, Z_DEFAULT_STRATEGY, 8, "default" },
	{ 1, Z_DEFAULT_STRATEGY, 8, "level1" },
	{ 9, Z_DEFAULT_STRATEGY, 9, "level9" },
	{ 0, Z_DEFAULT_STRATEGY, 8, "stored" },
	{ 6, Z_FILTERED, 8, "filtered" },
	{ 6, Z_HUFFMAN_ONLY, 8, "huffman" },
	{ 6, Z_RLE, 8, "rle" },
	{ 6, Z_FIXED, 8, "fixed" },
	{ 4, Z_DEFAULT_STRATEGY, 1, "memlevel1" }, /* many small blocks */
};
#define NZCFGS (sizeof zcfgs / sizeof zcfgs[0])

/*
 * Raw deflate of src.  zlib refuses or quietly widens a 256-byte raw window
 * (deflateInit2 with -8), so wbits 8 is compressed with 9; zlib never emits
 * distances beyond 2^wbits - 262 either way, so a 9-bit stream still fits a
 * 256-byte window.  flush_every > 0 adds a flush of type flush every that
 * many input bytes.  Returns a malloc'd buffer.
 */
static uint8_t *zdeflate(const uint8_t *src, size_t len, const struct zcfg *c, int wbits,
			 size_t flush_every, int flush, size_t *zlen)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (wbits == 8)
		wbits = 9;
	assert_int_equal(deflateInit2(&z, c->level, Z_DEFLATED, -wbits, c->memlevel,
				      c->strategy), Z_OK);
	size_t cap = deflateBound(&z, len) + 64 + (flush_every ? 16 * (len / flush_every + 1) : 0);
	uint8_t *out = malloc(cap);
	assert_non_null(out);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	size_t pos = 0;
	for (;;) {
		size_t n = len - pos;
		if (flush_every && n > flush_every)
			n = flush_every;
		z.next_in = (Bytef *)(uintptr_t)(src + pos);
		z.avail_in = (uInt)n;
		pos += n;
		int f = pos == len ? Z_FINISH : flush_every ? flush : Z_NO_FLUSH;
		int r = deflate(&z, f);
		assert_int_not_equal(r, Z_STREAM_ERROR);
		assert_int_equal(z.avail_in, 0);
		if (f == Z_FINISH) {
			assert_int_equal(r, Z_STREAM_END);
			break;
		}
	}
	*zlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

/* zlib's raw inflate with a 32 KB window, whole input at once. */
enum zres { Z_RES_END, Z_RES_ERROR, Z_RES_MORE, Z_RES_FULL };

static enum zres zinflate(const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
			  size_t *out_len, size_t *in_used)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	assert_int_equal(inflateInit2(&z, -15), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)in_len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	int r = inflate(&z, Z_FINISH);
	*out_len = cap - z.avail_out;
	*in_used = in_len - z.avail_in;
	inflateEnd(&z);
	if (r == Z_STREAM_END)
		return Z_RES_END;
	if (r == Z_DATA_ERROR)
		return Z_RES_ERROR;
	return z.avail_out == 0 ? Z_RES_FULL : Z_RES_MORE;
}

/* ------------------------------------------------------------------ */
/* driving otk_inflate */

enum feed {
	F_ALL,    /* everything at once */
	F_IN1,    /* input one byte at a time */
	F_OUT1,   /* output one byte at a time */
	F_BOTH1,  /* both one byte at a time */
	F_RANDOM, /* random piece sizes on both sides */
	NFEEDS,
};

static size_t piece(enum feed f, int in_side, uint32_t *seed)
{
	switch (f) {
	case F_IN1:
		return in_side ? 1 : SIZE_MAX;
	case F_OUT1:
		return in_side ? SIZE_MAX : 1;
	case F_BOTH1:
		return 1;
	case F_RANDOM: {
		/* mostly small, sometimes large, every size possible */
		uint32_t r = rnd(seed);
		return 1 + (rnd(seed) & ((1u << (r % 18)) - 1));
	}
	default:
		return SIZE_MAX;
	}
}

struct result {
	int ret;          /* last return: OTK_INFLATE_END, < 0, or OTK_OK */
	size_t in_used;
	size_t out_len;
};

/*
 * Decodes in[0..in_len) with a window of wsize bytes into out[0..cap),
 * feeding pieces as f says, until the end, an error, or no more progress
 * is possible.  Checks the API contract on every call.
 */
static struct result run_inflate(const uint8_t *in, size_t in_len, size_t wsize, uint8_t *out,
				 size_t cap, enum feed f, uint32_t seed)
{
	struct otk_inflate s;
	uint8_t *window = malloc(wsize);
	struct result res = { OTK_OK, 0, 0 };

	assert_non_null(window);
	assert_int_equal(otk_inflate_init(&s, window, wsize), OTK_OK);
	for (;;) {
		size_t ic = piece(f, 1, &seed), oc = piece(f, 0, &seed);
		if (ic > in_len - res.in_used)
			ic = in_len - res.in_used;
		if (oc > cap - res.out_len)
			oc = cap - res.out_len;
		const uint8_t *ip = in + res.in_used;
		uint8_t *op = out + res.out_len;
		size_t il = ic, ol = oc;

		int r = otk_inflate_process(&s, &ip, &il, &op, &ol);
		assert_true(il <= ic && ol <= oc);
		assert_ptr_equal(ip, in + res.in_used + (ic - il));
		assert_ptr_equal(op, out + res.out_len + (oc - ol));
		res.in_used += ic - il;
		res.out_len += oc - ol;
		assert_true(otk_inflate_total_out(&s) == res.out_len);
		res.ret = r;
		if (r != OTK_OK)
			break;
		/* OK promises that one side ran out */
		assert_true(il == 0 || ol == 0);
		if (ic == il && oc == ol) {
			/* no progress: legitimate only when a side is exhausted */
			assert_true(res.in_used == in_len || res.out_len == cap);
			break;
		}
		if (res.out_len == cap && oc == 0)
			break;
	}
	if (res.ret == OTK_INFLATE_END) {
		/* calling again after the end changes nothing */
		const uint8_t *ip = in + res.in_used;
		size_t il = in_len - res.in_used;
		uint8_t spare[4];
		uint8_t *op = spare;
		size_t ol = sizeof spare;
		assert_int_equal(otk_inflate_process(&s, &ip, &il, &op, &ol), OTK_INFLATE_END);
		assert_int_equal(il, in_len - res.in_used);
		assert_int_equal(ol, sizeof spare);
	}
	free(window);
	return res;
}

/* Decodes z and checks that it gives back exactly src[0..len). */
static void expect_roundtrip(const uint8_t *z, size_t zlen, size_t wsize, const uint8_t *src,
			     size_t len, enum feed f, uint32_t seed, const char *what)
{
	size_t cap = len + 1024;
	uint8_t *out = malloc(cap);
	assert_non_null(out);
	struct result r = run_inflate(z, zlen, wsize, out, cap, f, seed);
	if (r.ret != OTK_INFLATE_END || r.out_len != len || r.in_used != zlen ||
	    memcmp(out, src, len) != 0) {
		size_t diff = 0;
		while (diff < len && diff < r.out_len && out[diff] == src[diff])
			diff++;
		fail_msg("%s window %zu feed %d: ret %d (%s), out %zu/%zu, in %zu/%zu, "
			 "first difference at %zu", what, wsize, (int)f, r.ret,
			 otk_strerror(r.ret), r.out_len, len, r.in_used, zlen, diff);
	}
	free(out);
}

/* ------------------------------------------------------------------ */
/* zlib-produced streams */

static void test_init_args(void **state)
{
	(void)state;
	struct otk_inflate s;
	static uint8_t w[32768];
	static const size_t bad[] = { 0, 1, 128, 255, 257, 300, 1000, 32767, 32769, 65536 };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(otk_inflate_init(&s, w, bad[i]), OTK_EINVAL);
	assert_int_equal(otk_inflate_init(&s, NULL, 1024), OTK_EINVAL);
	for (size_t ws = 256; ws <= 32768; ws *= 2)
		assert_int_equal(otk_inflate_init(&s, w, ws), OTK_OK);
	assert_int_equal(otk_inflate_total_out(&s), 0);
}

/*
 * Every window size 2^8..2^15, every configuration, every data flavour, a
 * spread of sizes around the interesting boundaries, every feeding pattern
 * for the smaller ones.
 */
static void test_zlib_matrix(void **state)
{
	(void)state;
	static const size_t sizes[] = { 0, 1, 2, 3, 55, 64, 255, 256, 257, 258, 259, 1000,
					4096, 9000, 33000, 70000 };
	uint32_t seed = 1;
	unsigned streams = 0;

	for (int wbits = 8; wbits <= 15; wbits++) {
		for (size_t c = 0; c < NZCFGS; c++) {
			for (int k = 0; k < NKINDS; k++) {
				for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
					size_t len = sizes[si];
					/* keep the run time sane: not every combination */
					if (len > 4096 && (wbits + (int)c + k) % 3 != 0)
						continue;
					uint8_t *src = malloc(len + 1);
					assert_non_null(src);
					gen((enum kind)k, &seed, src, len);
					size_t zlen;
					uint8_t *z = zdeflate(src, len, &zcfgs[c], wbits, 0, 0, &zlen);
					char what[96];
					snprintf(what, sizeof what, "wbits %d %s kind %d len %zu",
						 wbits, zcfgs[c].name, k, len);
					for (int f = 0; f < NFEEDS; f++) {
						if (f == F_BOTH1 && len > 9000)
							continue;
						expect_roundtrip(z, zlen, (size_t)1 << wbits, src, len,
								 (enum feed)f, seed + (uint32_t)f, what);
					}
					/* a larger window than needed always works */
					expect_roundtrip(z, zlen, 32768, src, len, F_RANDOM, seed, what);
					streams++;
					free(z);
					free(src);
				}
			}
		}
	}
	print_message("decoded %u zlib streams in %d ways each\n", streams, NFEEDS + 1);
}

/* Large inputs (up to ~1 MB), random piece sizes. */
static void test_zlib_large(void **state)
{
	(void)state;
	static const size_t sizes[] = { 131072, 300001, 1 << 20 };
	uint32_t seed = 7;

	for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
		size_t len = sizes[si];
		uint8_t *src = malloc(len);
		assert_non_null(src);
		for (int k = 0; k < NKINDS; k++) {
			gen((enum kind)k, &seed, src, len);
			for (int wbits = 8; wbits <= 15; wbits += (k == K_FARREP ? 7 : 1)) {
				const struct zcfg *c = &zcfgs[(si + (size_t)wbits + (size_t)k) % NZCFGS];
				size_t zlen;
				uint8_t *z = zdeflate(src, len, c, wbits, 0, 0, &zlen);
				char what[96];
				snprintf(what, sizeof what, "large wbits %d %s kind %d len %zu",
					 wbits, c->name, k, len);
				expect_roundtrip(z, zlen, (size_t)1 << wbits, src, len, F_RANDOM,
						 seed, what);
				if (wbits == 15 || wbits == 8)
					expect_roundtrip(z, zlen, (size_t)1 << wbits, src, len, F_ALL,
							 seed, what);
				free(z);
			}
		}
		free(src);
	}
}

/* Flushes mid-stream: empty stored blocks, blocks ending mid-byte. */
static void test_zlib_flushes(void **state)
{
	(void)state;
	static const int flushes[] = { Z_SYNC_FLUSH, Z_FULL_FLUSH, Z_PARTIAL_FLUSH, Z_BLOCK };
	uint32_t seed = 99;
	size_t len = 50000;
	uint8_t *src = malloc(len);
	assert_non_null(src);

	for (size_t fi = 0; fi < sizeof flushes / sizeof flushes[0]; fi++) {
		for (size_t c = 0; c < NZCFGS; c++) {
			size_t every = 1 + rnd(&seed) % 3000;
			int wbits = 8 + (int)(rnd(&seed) % 8);
			gen((enum kind)(rnd(&seed) % NKINDS), &seed, src, len);
			size_t zlen;
			uint8_t *z = zdeflate(src, len, &zcfgs[c], wbits, every, flushes[fi], &zlen);
			char what[96];
			snprintf(what, sizeof what, "flush %d every %zu wbits %d %s", flushes[fi],
				 every, wbits, zcfgs[c].name);
			expect_roundtrip(z, zlen, (size_t)1 << wbits, src, len, F_RANDOM, seed, what);
			expect_roundtrip(z, zlen, (size_t)1 << wbits, src, len, F_IN1, seed, what);
			free(z);
		}
	}
	free(src);
}

/*
 * 20 KB of random bytes twice: the second copy is one match run at distance
 * 20480.  A 16 KB window must say so rather than produce wrong bytes; the
 * bytes it did produce before that are right.
 */
static void test_window_too_small(void **state)
{
	(void)state;
	size_t len = 40960;
	uint8_t *src = malloc(len);
	uint8_t *out = malloc(len);
	uint32_t seed = 5;
	int tested = 0;
	assert_non_null(src);
	assert_non_null(out);
	otk_test_random(&seed, src, len / 2);
	memcpy(src + len / 2, src, len / 2);

	for (size_t c = 0; c < NZCFGS; c++) {
		if (zcfgs[c].level == 0 || zcfgs[c].strategy == Z_HUFFMAN_ONLY ||
		    zcfgs[c].strategy == Z_RLE)
			continue; /* these never use long distances */
		size_t zlen;
		uint8_t *z = zdeflate(src, len, &zcfgs[c], 15, 0, 0, &zlen);
		if (zlen > len * 3 / 4) {
			/* this configuration did not find the repeat (memLevel 1) */
			free(z);
			continue;
		}
		tested++;
		for (int f = 0; f < NFEEDS; f++) {
			if (f == F_BOTH1)
				continue;
			for (size_t ws = 256; ws <= 16384; ws *= 2) {
				struct result r = run_inflate(z, zlen, ws, out, len, (enum feed)f, 3);
				assert_int_equal(r.ret, OTK_EWINDOW);
				assert_true(r.out_len < len);
				assert_memory_equal(out, src, r.out_len);
			}
			expect_roundtrip(z, zlen, 32768, src, len, (enum feed)f, 3, zcfgs[c].name);
		}
		free(z);
	}
	assert_true(tested >= 3);
	free(src);
	free(out);
}

/*
 * Every prefix of a few streams: never the end, never an error, and the
 * bytes produced are a prefix of the real output.
 */
static void test_truncated(void **state)
{
	(void)state;
	uint32_t seed = 11;
	size_t len = 6000;
	uint8_t *src = malloc(len);
	uint8_t *out = malloc(len + 16);
	assert_non_null(src);
	assert_non_null(out);

	for (size_t c = 0; c < NZCFGS; c++) {
		gen((enum kind)(c % NKINDS), &seed, src, len);
		size_t zlen;
		uint8_t *z = zdeflate(src, len, &zcfgs[c], 8 + (int)c % 8, 0, 0, &zlen);
		for (size_t cut = 0; cut < zlen; cut++) {
			enum feed f = cut % 7 == 0 ? F_IN1 : cut % 2 ? F_ALL : F_RANDOM;
			struct result r = run_inflate(z, cut, 32768, out, len + 16, f, seed);
			if (r.ret != OTK_OK)
				fail_msg("%s cut at %zu/%zu: ret %d", zcfgs[c].name, cut, zlen, r.ret);
			assert_int_equal(r.in_used, cut);
			assert_true(r.out_len <= len);
			assert_memory_equal(out, src, r.out_len);
		}
		free(z);
	}
	free(src);
	free(out);
}

/* Input after the final block is left unread, however it is fed. */
static void test_trailing_data(void **state)
{
	(void)state;
	uint32_t seed = 12;
	size_t len = 20000;
	uint8_t *src = malloc(len);
	uint8_t *out = malloc(len + 100);
	assert_non_null(src);
	assert_non_null(out);

	for (size_t c = 0; c < NZCFGS; c++) {
		gen((enum kind)(c % NKINDS), &seed, src, len);
		size_t zlen;
		uint8_t *z = zdeflate(src, len, &zcfgs[c], 10, 0, 0, &zlen);
		uint8_t *zz = malloc(zlen + 100);
		assert_non_null(zz);
		memcpy(zz, z, zlen);
		otk_test_random(&seed, zz + zlen, 100);
		for (int f = 0; f < NFEEDS; f++) {
			if (f == F_BOTH1)
				continue;
			struct result r = run_inflate(zz, zlen + 100, 1024, out, len + 100,
						      (enum feed)f, seed);
			assert_int_equal(r.ret, OTK_INFLATE_END);
			assert_int_equal(r.in_used, zlen);
			assert_int_equal(r.out_len, len);
			assert_memory_equal(out, src, len);
		}
		free(zz);
		free(z);
	}
	free(src);
	free(out);
}

/*
 * Corrupted streams decoded by both: whatever zlib makes of them, otk must
 * agree on the end and its bytes, and must fail where zlib fails.  Run under
 * ASan this is also the no-crash test.
 */
static void test_corrupt_vs_zlib(void **state)
{
	(void)state;
	uint32_t seed = 13;
	size_t len = 8000, cap = 300000;
	uint8_t *src = malloc(len);
	uint8_t *zo = malloc(cap), *oo = malloc(cap);
	unsigned ends = 0, errors = 0, more = 0;
	assert_non_null(src);
	assert_non_null(zo);
	assert_non_null(oo);

	for (int iter = 0; iter < 3000; iter++) {
		const struct zcfg *c = &zcfgs[iter % NZCFGS];
		size_t slen = rnd(&seed) % len;
		gen((enum kind)(rnd(&seed) % NKINDS), &seed, src, slen);
		size_t zlen;
		uint8_t *z = zdeflate(src, slen, c, 15, 0, 0, &zlen);
		/* a few bit flips, byte changes or a random tail */
		unsigned nflip = 1 + rnd(&seed) % 4;
		for (unsigned i = 0; i < nflip && zlen; i++) {
			size_t at = rnd(&seed) % zlen;
			if (rnd(&seed) % 3)
				z[at] ^= (uint8_t)(1u << (rnd(&seed) % 8));
			else
				z[at] = (uint8_t)rnd(&seed);
		}
		if (iter % 10 == 0 && zlen > 4)
			otk_test_random(&seed, z + zlen / 2, zlen - zlen / 2);

		size_t zout, zin;
		enum zres zr = zinflate(z, zlen, zo, cap, &zout, &zin);
		struct result r = run_inflate(z, zlen, 32768, oo, cap,
					      (enum feed)(iter % NFEEDS == F_BOTH1 ? F_RANDOM : iter % NFEEDS),
					      seed);
		switch (zr) {
		case Z_RES_END:
			ends++;
			if (r.ret != OTK_INFLATE_END)
				fail_msg("iter %d: zlib ends, otk returns %d", iter, r.ret);
			assert_int_equal(r.out_len, zout);
			assert_int_equal(r.in_used, zin);
			assert_memory_equal(oo, zo, zout);
			break;
		case Z_RES_ERROR:
			errors++;
			if (r.ret != OTK_EINFLATE && r.ret != OTK_EWINDOW)
				fail_msg("iter %d: zlib fails, otk returns %d", iter, r.ret);
			break;
		case Z_RES_MORE:
			more++;
			/* otk may see an unused code a few bits sooner than zlib */
			assert_true(r.ret == OTK_OK || r.ret == OTK_EINFLATE);
			break;
		case Z_RES_FULL:
			assert_true(r.ret == OTK_OK || r.ret < 0);
			break;
		}
		if (r.ret == OTK_OK && zr != Z_RES_FULL) {
			/* both want more: the output so far must agree */
			assert_int_equal(r.out_len, zout);
			assert_memory_equal(oo, zo, zout);
		}
		free(z);
	}
	print_message("corrupt streams: %u ended, %u failed, %u wanted more\n", ends, errors,
		      more);
	free(src);
	free(zo);
	free(oo);
}

/* Random bytes as input: no crash, no reads or writes out of bounds. */
static void test_garbage(void **state)
{
	(void)state;
	uint32_t seed = 17;
	uint8_t in[600];
	uint8_t *out = malloc(100000);
	assert_non_null(out);

	for (int iter = 0; iter < 20000; iter++) {
		size_t n = rnd(&seed) % sizeof in;
		otk_test_random(&seed, in, n);
		/* bias towards plausible headers sometimes */
		if (n && iter % 3 == 0)
			in[0] = (uint8_t)((in[0] & ~6u) | (iter % 2 ? 2u : 4u));
		uint8_t *exact = malloc(n ? n : 1);
		assert_non_null(exact);
		memcpy(exact, in, n);
		size_t ws = (size_t)256 << (rnd(&seed) % 8);
		struct result r = run_inflate(exact, n, ws, out, 100000,
					      (enum feed)(iter % 2 ? F_RANDOM : F_ALL), seed);
		assert_true(r.ret == OTK_OK || r.ret == OTK_INFLATE_END || r.ret == OTK_EINFLATE ||
			    r.ret == OTK_EWINDOW);
		free(exact);
	}
	free(out);
}

/* ------------------------------------------------------------------ */
/* hand-made streams */

struct bw {
	uint8_t buf[80000];
	size_t n;
	uint32_t acc;
	unsigned cnt;
};

static void put(struct bw *b, uint32_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		b->acc |= ((v >> i) & 1u) << b->cnt;
		if (++b->cnt == 8) {
			assert_true(b->n < sizeof b->buf);
			b->buf[b->n++] = (uint8_t)b->acc;
			b->acc = 0;
			b->cnt = 0;
		}
	}
}

/* Huffman codes go most significant bit first. */
static void put_code(struct bw *b, uint32_t code, unsigned len)
{
	for (unsigned i = len; i-- > 0;)
		put(b, (code >> i) & 1u, 1);
}

static void align(struct bw *b)
{
	if (b->cnt)
		put(b, 0, 8 - b->cnt);
}

static void fixed_lit(struct bw *b, unsigned sym)
{
	if (sym < 144)
		put_code(b, 0x30 + sym, 8);
	else if (sym < 256)
		put_code(b, 0x190 + sym - 144, 9);
	else if (sym < 280)
		put_code(b, sym - 256, 7);
	else
		put_code(b, 0xc0 + sym - 280, 8);
}

/* Canonical codes for the given lengths (RFC 1951 3.2.2). */
static void canon(const uint8_t *lens, unsigned n, uint16_t *codes)
{
	unsigned count[16] = { 0 }, next[16];
	unsigned code = 0;

	for (unsigned i = 0; i < n; i++)
		count[lens[i]]++;
	count[0] = 0;
	for (unsigned l = 1; l < 16; l++) {
		code = (code + count[l - 1]) << 1;
		next[l] = code;
	}
	for (unsigned i = 0; i < n; i++)
		if (lens[i])
			codes[i] = (uint16_t)next[lens[i]]++;
}

/*
 * A dynamic block header: the given code length code (lengths of symbols
 * 0..18, all 19 sent), then the items (code length symbols with extra bits)
 * coded with it.  Items are (symbol, extra value) pairs.
 */
static void dyn_header(struct bw *b, int final, unsigned nlen, unsigned ndist,
		       const uint8_t clens[19], const unsigned (*items)[2], size_t nitems)
{
	static const uint8_t order[19] = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5,
					   11, 4, 12, 3, 13, 2, 14, 1, 15 };
	uint16_t codes[19];

	put(b, (unsigned)final, 1);
	put(b, 2, 2);
	put(b, nlen - 257, 5);
	put(b, ndist - 1, 5);
	put(b, 19 - 4, 4);
	for (int i = 0; i < 19; i++)
		put(b, clens[order[i]], 3);
	canon(clens, 19, codes);
	for (size_t i = 0; i < nitems; i++) {
		unsigned sym = items[i][0];
		put_code(b, codes[sym], clens[sym]);
		if (sym == 16)
			put(b, items[i][1], 2);
		else if (sym == 17)
			put(b, items[i][1], 3);
		else if (sym == 18)
			put(b, items[i][1], 7);
	}
}

/* Code length code: 0..15 and 16..18 minus 13..15, all four bits: complete. */
static const uint8_t cl4[19] = { 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0, 4, 4, 4 };

/*
 * Header for the given literal/length and distance lengths (each < 13),
 * sent one code length at a time.
 */
static void dyn_lengths(struct bw *b, int final, const uint8_t *ll, unsigned nlen,
			const uint8_t *dl, unsigned ndist)
{
	unsigned items[320][2];
	size_t n = 0;

	for (unsigned i = 0; i < nlen; i++) {
		items[n][0] = ll[i];
		items[n++][1] = 0;
	}
	for (unsigned i = 0; i < ndist; i++) {
		items[n][0] = dl[i];
		items[n++][1] = 0;
	}
	dyn_header(b, final, nlen, ndist, cl4, (const unsigned (*)[2])items, n);
}

static void expect_result(const uint8_t *z, size_t zlen, size_t wsize, int want,
			  const uint8_t *want_out, size_t want_len, const char *what)
{
	uint8_t *out = malloc(want_len + 300000);
	assert_non_null(out);
	for (int f = 0; f < NFEEDS; f++) {
		struct result r = run_inflate(z, zlen, wsize, out, want_len + 300000,
					      (enum feed)f, 1);
		if (r.ret != want)
			fail_msg("%s (feed %d): returned %d (%s), wanted %d (%s)", what, f, r.ret,
				 otk_strerror(r.ret), want, otk_strerror(want));
		if (want_out) {
			assert_int_equal(r.out_len, want_len);
			assert_memory_equal(out, want_out, want_len);
		}
	}
	free(out);
}

static void test_crafted_valid(void **state)
{
	(void)state;
	static struct bw b;
	uint8_t ll[288], dl[32];

	/* fixed block with only end-of-block; empty final stored block */
	static const uint8_t fixed_empty[] = { 0x03, 0x00 };
	expect_result(fixed_empty, sizeof fixed_empty, 256, OTK_INFLATE_END, NULL, 0, "fixed empty");
	static const uint8_t stored_empty[] = { 0x01, 0x00, 0x00, 0xff, 0xff };
	expect_result(stored_empty, sizeof stored_empty, 256, OTK_INFLATE_END, NULL, 0,
		      "stored empty");

	/* lit/len code of a single one-bit code (end-of-block): allowed */
	memset(&b, 0, sizeof b);
	memset(ll, 0, sizeof ll);
	ll[256] = 1;
	dl[0] = 0;
	dyn_lengths(&b, 1, ll, 257, dl, 1);
	put_code(&b, 0, 1);
	align(&b);
	expect_result(b.buf, b.n, 256, OTK_INFLATE_END, NULL, 0, "single eob code");

	/*
	 * One distance code of one bit, and literals 'a' 'b': "ab" then a
	 * match of 258 at distance 2 (symbol 285), then 284 + 31 extra, also
	 * 258, which zlib accepts.
	 */
	memset(&b, 0, sizeof b);
	memset(ll, 0, sizeof ll);
	ll['a'] = 2;
	ll['b'] = 2;
	ll[256] = 3;
	ll[284] = 3;
	ll[285] = 2;
	memset(dl, 0, sizeof dl);
	dl[1] = 1; /* distance symbol 1: distance 2 */
	dyn_lengths(&b, 1, ll, 286, dl, 2);
	uint16_t lc[288], dc[32];
	canon(ll, 286, lc);
	canon(dl, 2, dc);
	put_code(&b, lc['a'], 2);
	put_code(&b, lc['b'], 2);
	put_code(&b, lc[285], 2);
	put_code(&b, dc[1], 1);
	put_code(&b, lc[284], 3);
	put(&b, 31, 5);
	put_code(&b, dc[1], 1);
	put_code(&b, lc[256], 3);
	align(&b);
	uint8_t want[2 + 258 + 258];
	for (size_t i = 0; i < sizeof want; i++)
		want[i] = i % 2 ? 'b' : 'a';
	expect_result(b.buf, b.n, 256, OTK_INFLATE_END, want, sizeof want, "single distance code");

	/* no distance codes at all, literals only */
	memset(&b, 0, sizeof b);
	memset(ll, 0, sizeof ll);
	ll['x'] = 1;
	ll[256] = 1;
	dl[0] = 0;
	dyn_lengths(&b, 1, ll, 257, dl, 1);
	for (int i = 0; i < 5; i++)
		put_code(&b, 0, 1); /* 'x' has code 0 */
	put_code(&b, 1, 1);
	align(&b);
	expect_result(b.buf, b.n, 256, OTK_INFLATE_END, (const uint8_t *)"xxxxx", 5,
		      "no distance codes");

	/*
	 * Distance 32768 exactly: a 32768-byte stored block, then a fixed block
	 * copying 258 bytes from the very start.  Fits a 32 KB window and only
	 * that.
	 */
	memset(&b, 0, sizeof b);
	static uint8_t big[32768 + 258];
	uint32_t seed = 3;
	otk_test_random(&seed, big, 32768);
	memcpy(big + 32768, big, 258);
	put(&b, 0, 1);
	put(&b, 0, 2);
	align(&b);
	put(&b, 32768, 16);
	put(&b, 32768 ^ 0xffff, 16);
	memcpy(b.buf + b.n, big, 32768);
	b.n += 32768;
	put(&b, 1, 1);
	put(&b, 1, 2);
	fixed_lit(&b, 285);
	put_code(&b, 29, 5);
	put(&b, 32768 - 24577, 13);
	fixed_lit(&b, 256);
	align(&b);
	expect_result(b.buf, b.n, 32768, OTK_INFLATE_END, big, sizeof big, "distance 32768");
	expect_result(b.buf, b.n, 16384, OTK_EWINDOW, NULL, 0, "distance 32768, 16K window");

	/* several stored blocks, one of them empty, a 65535-byte one */
	memset(&b, 0, sizeof b);
	static uint8_t sdata[70000];
	otk_test_random(&seed, sdata, sizeof sdata);
	static const size_t slens[] = { 3, 0, 65535, 1, 4461 };
	size_t at = 0;
	for (size_t i = 0; i < 5; i++) {
		put(&b, i == 4, 1);
		put(&b, 0, 2);
		align(&b);
		put(&b, (uint32_t)slens[i], 16);
		put(&b, (uint32_t)slens[i] ^ 0xffff, 16);
		memcpy(b.buf + b.n, sdata + at, slens[i]);
		b.n += slens[i];
		at += slens[i];
	}
	expect_result(b.buf, b.n, 256, OTK_INFLATE_END, sdata, at, "stored blocks");
}

static void test_crafted_corrupt(void **state)
{
	(void)state;
	static struct bw b;
	uint8_t ll[288], dl[32];
	uint16_t lc[288];

	static const uint8_t type3[] = { 0x07, 0x00 };
	expect_result(type3, sizeof type3, 256, OTK_EINFLATE, NULL, 0, "block type 3");
	static const uint8_t stored_bad[] = { 0x01, 0x05, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5 };
	expect_result(stored_bad, sizeof stored_bad, 256, OTK_EINFLATE, NULL, 0,
		      "stored NLEN mismatch");

	/*
	 * HLIT 30 (287 codes) and HDIST 30 (31 codes), in headers that are
	 * otherwise fine: 'a' and end-of-block, one bit each.
	 */
	for (int i = 0; i < 2; i++) {
		memset(ll, 0, sizeof ll);
		memset(dl, 0, sizeof dl);
		ll['a'] = 1;
		ll[256] = 1;
		dl[0] = 1;
		dl[1] = 1;
		memset(&b, 0, sizeof b);
		dyn_lengths(&b, 1, ll, i ? 286 : 287, dl, i ? 31 : 30);
		put_code(&b, 0, 1);
		put_code(&b, 1, 1);
		align(&b);
		expect_result(b.buf, b.n, 256, OTK_EINFLATE, NULL, 0,
			      i ? "31 distance codes" : "287 length codes");
	}
	/* the same with 286 and 30 is fine */
	memset(&b, 0, sizeof b);
	dyn_lengths(&b, 1, ll, 286, dl, 30);
	put_code(&b, 0, 1);
	put_code(&b, 1, 1);
	align(&b);
	expect_result(b.buf, b.n, 256, OTK_INFLATE_END, (const uint8_t *)"a", 1, "286 and 30 codes");

	/* code length codes: over-subscribed, incomplete, empty */
	static const uint8_t cl_over[19] = { 1, 1, 1 };
	static const uint8_t cl_inc[19] = { 2, 2, 2 };
	static const uint8_t cl_none[19] = { 0 };
	const uint8_t *cls[] = { cl_over, cl_inc, cl_none };
	for (int i = 0; i < 3; i++) {
		memset(&b, 0, sizeof b);
		dyn_header(&b, 1, 257, 1, cls[i], NULL, 0);
		put(&b, 0, 32);
		expect_result(b.buf, b.n, 256, OTK_EINFLATE, NULL, 0, "bad code length code");
	}

	/* repeat with nothing before it; repeats past the last length */
	static const unsigned rep_first[][2] = { { 16, 0 } };
	memset(&b, 0, sizeof b);
	dyn_header(&b, 1, 257, 1, cl4, rep_first, 1);
	put(&b, 0, 32);
	expect_result(b.buf, b.n, 256, OTK_EINFLATE, NULL, 0, "repeat first");
	static const unsigned rep_over[][2] = { { 8, 0 }, { 18, 127 }, { 18, 127 }, { 16, 3 } };
	memset(&b, 0, sizeof b);
	dyn_header(&b, 1, 257, 1, cl4, rep_over, 4);
	put(&b, 0, 32);
	expect_result(b.buf, b.n, 256, OTK_EINFLATE, NULL, 0, "repeat overflow");
	static const unsigned zero_over[][2] = { { 18, 127 }, { 18, 127 }, { 17, 7 } };
	memset(&b, 0, sizeof b);
	dyn_header(&b, 1, 257, 1, cl4, zero_over, 3);
	put(&b, 0, 32);
	expect_result(b.buf, b.n, 256, OTK_EINFLATE, NULL, 0, "zero repeat overflow");
	/* 256 zeros, then 1 for end-of-block and 1 for distance 0: exactly 258 */
	static const unsigned exact[][2] = { { 18, 127 }, { 18, 107 }, { 1, 0 }, { 1, 0 } };
	memset(&b, 0, sizeof b);
	dyn_header(&b, 1, 257, 1, cl4, exact, 4);
	put(&b, 0, 1);
	align(&b);
	expect_result(b.buf, b.n, 256, OTK_INFLATE_END, NULL, 0, "repeats filling exactly");
	/* the same, but the last length repeated 3 times: two too many */
	static const unsigned over2[][2] = { { 18, 127 }, { 18, 107 }, { 1, 0 }, { 16, 0 } };
	memset(&b, 0, sizeof b);
	dyn_header(&b, 1, 257, 1, cl4, over2, 4);
	put(&b, 0, 1);
	align(&b);
	expect_result(b.buf, b.n, 256, OTK_EINFLATE, NULL, 0, "repeat one past the end");

	/* no end-of-block code */
	memset(ll, 0, sizeof ll);
	memset(dl, 0, sizeof dl);
	ll['a'] = 1;
	ll['b'] = 1;
	dl[0] = 1;
	dl[1] = 1;
	memset(&b, 0, sizeof b);
	dyn_lengths(&b, 1, ll, 257, dl, 2);
	put(&b, 0, 32);
	expect_result(b.buf, b.n, 256, OTK_EINFLATE, NULL, 0, "no end-of-block");

	/* literal/length code over-subscribed, incomplete */
	ll[256] = 1;
	memset(&b, 0, sizeof b);
	dyn_lengths(&b, 1, ll, 257, dl, 2);
	put(&b, 0, 32);
	expect_result(b.buf, b.n, 256, OTK_EINFLATE, NULL, 0, "lit/len over-subscribed");
	ll['a'] = 2;
	ll['b'] = 0;
	ll[256] = 2;
	memset(&b, 0, sizeof b);
	dyn_lengths(&b, 1, ll, 257, dl, 2);
	put(&b, 0, 32);
	expect_result(b.buf, b.n, 256, OTK_EINFLATE, NULL, 0, "lit/len incomplete");
	/* a single code, but two bits long */
	memset(ll, 0, sizeof ll);
	ll[256] = 2;
	memset(&b, 0, sizeof b);
	dyn_lengths(&b, 1, ll, 257, dl, 2);
	put(&b, 0, 32);
	expect_result(b.buf, b.n, 256, OTK_EINFLATE, NULL, 0, "lit/len single 2-bit code");

	/* distance code incomplete, over-subscribed */
	memset(ll, 0, sizeof ll);
	ll['a'] = 1;
	ll[256] = 2;
	ll[257] = 2;
	memset(dl, 0, sizeof dl);
	dl[0] = 2;
	dl[1] = 2;
	memset(&b, 0, sizeof b);
	dyn_lengths(&b, 1, ll, 258, dl, 2);
	put(&b, 0, 32);
	expect_result(b.buf, b.n, 256, OTK_EINFLATE, NULL, 0, "distance incomplete");
	dl[2] = 1;
	dl[3] = 1;
	memset(&b, 0, sizeof b);
	dyn_lengths(&b, 1, ll, 258, dl, 4);
	put(&b, 0, 32);
	expect_result(b.buf, b.n, 256, OTK_EINFLATE, NULL, 0, "distance over-subscribed");

	/*
	 * The unused code of a single-code distance table, and any code of an
	 * empty one: 'a', then a length, then distance code bit 1.
	 */
	canon(ll, 258, lc);
	for (int empty = 0; empty < 2; empty++) {
		memset(dl, 0, sizeof dl);
		dl[0] = empty ? 0 : 1;
		memset(&b, 0, sizeof b);
		dyn_lengths(&b, 1, ll, 258, dl, 1);
		put_code(&b, lc['a'], 1);
		put_code(&b, lc[257], 2);
		put_code(&b, 1, 1);
		put(&b, 0, 32);
		expect_result(b.buf, b.n, 256, OTK_EINFLATE, NULL, 0,
			      empty ? "empty distance code used" : "unused distance code");
	}
	/* the unused code of a single-code literal/length table */
	memset(ll, 0, sizeof ll);
	ll[256] = 1;
	dl[0] = 0;
	memset(&b, 0, sizeof b);
	dyn_lengths(&b, 1, ll, 257, dl, 1);
	put_code(&b, 1, 1);
	put(&b, 0, 32);
	expect_result(b.buf, b.n, 256, OTK_EINFLATE, NULL, 0, "unused literal/length code");

	/* fixed code symbols that must not appear: 286, 287, distances 30, 31 */
	for (unsigned sym = 286; sym <= 287; sym++) {
		memset(&b, 0, sizeof b);
		put(&b, 1, 1);
		put(&b, 1, 2);
		fixed_lit(&b, 'a');
		fixed_lit(&b, sym);
		put(&b, 0, 32);
		expect_result(b.buf, b.n, 256, OTK_EINFLATE, NULL, 0, "fixed 286/287");
	}
	for (unsigned d = 30; d <= 31; d++) {
		memset(&b, 0, sizeof b);
		put(&b, 1, 1);
		put(&b, 1, 2);
		fixed_lit(&b, 'a');
		fixed_lit(&b, 257);
		put_code(&b, d, 5);
		put(&b, 0, 32);
		expect_result(b.buf, b.n, 256, OTK_EINFLATE, NULL, 0, "fixed distance 30/31");
	}

	/*
	 * Distances: beyond everything decoded is corrupt (EINFLATE) whatever
	 * the window; within what was decoded but beyond the window is
	 * EWINDOW.  400 literals then distance 300 / 401.
	 */
	for (int d = 0; d < 3; d++) {
		static const unsigned dsym[] = { 16, 17, 0 };
		static const unsigned dext[] = { 300 - 257, 401 - 385, 0 };
		memset(&b, 0, sizeof b);
		put(&b, 1, 1);
		put(&b, 1, 2);
		for (int i = 0; i < (d == 2 ? 0 : 400); i++)
			fixed_lit(&b, 'a' + (unsigned)i % 7);
		fixed_lit(&b, 257);
		put_code(&b, dsym[d], 5);
		put(&b, dext[d], 7 * (d < 2));
		fixed_lit(&b, 256);
		align(&b);
		if (d == 0) {
			expect_result(b.buf, b.n, 256, OTK_EWINDOW, NULL, 0, "distance 300, 256 window");
			expect_result(b.buf, b.n, 512, OTK_INFLATE_END, NULL, 0,
				      "distance 300, 512 window");
		} else {
			expect_result(b.buf, b.n, 256, OTK_EINFLATE, NULL, 0, "distance too far");
			expect_result(b.buf, b.n, 32768, OTK_EINFLATE, NULL, 0, "distance too far");
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_args),
		cmocka_unit_test(test_crafted_valid),
		cmocka_unit_test(test_crafted_corrupt),
		cmocka_unit_test(test_zlib_matrix),
		cmocka_unit_test(test_zlib_large),
		cmocka_unit_test(test_zlib_flushes),
		cmocka_unit_test(test_window_too_small),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_trailing_data),
		cmocka_unit_test(test_corrupt_vs_zlib),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Update engine over a fake NOR flash: transfers, resume, validation error
 * classes, and power cuts at every single flash operation of a user-part
 * update, a compressed system-part update and a combined update.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeflash.h"
#include "otk/boot.h"
#include "otk/error.h"
#include "otk/layout.h"
#include "otk/modtool.h"
#include "otk/module.h"
#include "otk/sha256.h"
#include "otk/update.h"
#include "testutil.h"

#define FLASH_SIZE 0x200000u
#define PLATFORM 3u
#define CHUNK 512u
#define A_BOOT 0x00000000u
#define A_SYS1 0x00010000u
#define A_SYS2 0x00050000u
#define A_USER 0x00090000u

struct tdev {
	struct fakeflash ff;
	struct otk_device dev;
	struct otk_update u;
	struct otk_update_config cfg;
	struct otk_boot_report rep;
	uint8_t buf[1024];
	struct otk_inflate inf;
	uint8_t window[32768];
};

struct img {
	uint8_t *data;
	size_t len;
};

static struct img mk(uint32_t start, uint8_t func, uint8_t idx, uint16_t ver, uint16_t platform,
		     uint8_t dfunc, uint8_t didx, uint16_t dver, size_t body_len, uint32_t seed)
{
	struct otk_module_spec spec;
	memset(&spec, 0, sizeof(spec));
	spec.prefix.platform = platform;
	spec.prefix.function = func;
	spec.prefix.index = idx;
	spec.prefix.version = ver;
	spec.prefix.dep[0].function = dfunc;
	spec.prefix.dep[0].index = didx;
	spec.prefix.dep[0].version = dver;
	spec.start = start;
	uint8_t *body = malloc(body_len);
	/* compressible but not trivial, like code */
	for (size_t i = 0; i < body_len; i++) {
		seed = seed * 1103515245u + 12345u;
		body[i] = (uint8_t)((i & 0x40) ? (seed >> 24) & 0x0F : (i * 7 + (i >> 6)));
	}
	struct img m;
	m.len = body_len + 256;
	m.data = malloc(m.len);
	assert_int_equal(otk_module_build(&spec, body, body_len, m.data, m.len, &m.len), OTK_OK);
	free(body);
	return m;
}

static struct img img_compress(struct img in)
{
	struct otk_compress_opts o = { 6, 15 };
	struct img out;
	assert_int_equal(otk_module_compress(in.data, in.len, &o, &out.data, &out.len), OTK_OK);
	return out;
}

static struct img img_combine(struct img a, struct img b)
{
	const uint8_t *m[2] = { a.data, b.data };
	size_t l[2] = { a.len, b.len };
	struct img out;
	assert_int_equal(otk_module_combine(m, l, 2, &out.data, &out.len), OTK_OK);
	return out;
}

static struct img g_boot, g_sys1, g_sys2, g_user;
static uint32_t g_align = 8;   /* write alignment of the fake flash */
static bool g_strict;          /* program-once flash with torn writes */
static uint8_t *g_factory_prog;
#define WINDOW 8u
static uint32_t g_map[(WINDOW + 31) / 32];

static void put(struct tdev *t, uint32_t addr, struct img m)
{
	memcpy(t->ff.mem + addr, m.data, m.len);
}

static struct tdev *tdev_new(void)
{
	struct tdev *t = calloc(1, sizeof(*t));
	ff_init(&t->ff, FLASH_SIZE, 4096, g_align);
	t->dev.layout = otk_layout_by_platform(PLATFORM);
	t->dev.platform = PLATFORM;
	t->dev.open = ff_open;
	t->dev.ctx = &t->ff;
	t->cfg.dev = &t->dev;
	t->cfg.buf = t->buf;
	t->cfg.buf_size = sizeof(t->buf);
	t->cfg.inflate = &t->inf;
	t->cfg.window = t->window;
	t->cfg.window_size = sizeof(t->window);
	t->cfg.policy = OTK_POLICY_NO_DOWNGRADE;
	t->cfg.save_every = 0;
	t->cfg.window_map = g_map;
	t->cfg.window_chunks = WINDOW;
	put(t, A_BOOT, g_boot);
	put(t, A_SYS1, g_sys1);
	put(t, A_SYS2, g_sys2);
	put(t, A_USER, g_user);
	return t;
}

static void tdev_free(struct tdev *t)
{
	ff_free(&t->ff);
	free(t);
}

static int group_setup(void **state)
{
	(void)state;
	g_boot = mk(A_BOOT, OTK_FUNC_BOOTLOADER, 0, 1000, PLATFORM, 0, 0, 0, 2000, 1);
	g_sys1 = mk(A_SYS1, OTK_FUNC_SYSTEM, 1, 2000, PLATFORM, OTK_FUNC_BOOTLOADER, 0, 1000, 6000, 2);
	g_sys2 = mk(A_SYS2, OTK_FUNC_SYSTEM, 2, 2000, PLATFORM, OTK_FUNC_SYSTEM, 1, 2000, 6000, 3);
	g_user = mk(A_USER, OTK_FUNC_USER, 1, 1, PLATFORM, OTK_FUNC_SYSTEM, 2, 2000, 3000, 4);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	free(g_boot.data);
	free(g_sys1.data);
	free(g_sys2.data);
	free(g_user.data);
	return 0;
}

static int boot(struct tdev *t)
{
	int rc = otk_update_init(&t->u, &t->cfg);
	if (rc)
		return rc;
	return otk_boot(&t->dev, &t->u, t->buf, sizeof(t->buf), 0, &t->rep);
}

/* otk_update_begin for a byte stream. */
static long begin(struct otk_update *u, uint32_t size, const uint8_t *sha, uint32_t flags,
		  uint8_t func)
{
	struct otk_update_start st = { size, sha, flags, func, 0 };
	return otk_update_begin(u, &st);
}

/* Deliver a whole file in CHUNK pieces and finish; returns the finish result. */
static int deliver_u(struct otk_update *u, struct img f, const uint8_t *sha, uint32_t flags,
		     uint8_t func, enum otk_update_finish_mode mode, struct otk_update_result *res)
{
	long off = begin(u, (uint32_t)f.len, sha, flags, func);
	if (off < 0)
		return (int)off;
	for (size_t pos = (size_t)off; pos < f.len; pos += CHUNK) {
		size_t n = f.len - pos < CHUNK ? f.len - pos : CHUNK;
		int rc = otk_update_write(u, (uint32_t)pos, f.data + pos, n);
		if (rc)
			return rc;
	}
	return otk_update_finish(u, mode, res);
}

static int deliver(struct tdev *t, struct img f, const uint8_t *sha, uint32_t flags, uint8_t func,
		   enum otk_update_finish_mode mode)
{
	return deliver_u(&t->u, f, sha, flags, func, mode, NULL);
}

/* --- power cuts ------------------------------------------------------ */

struct scenario {
	const char *name;
	struct img file;
	uint8_t function;
	int nparts;
	uint32_t addr[2];
	struct img old[2], fresh[2];
	uint32_t chunk;   /* 0: in order; else chunks out of order with losses */
};

static uint32_t rnd(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

/*
 * A server sending chunks as OTA v3 does over a lossy link: each round the
 * chunks of the window that the last UpdateAck did not report, in random
 * order, each lost with probability 1/4 and sent twice with 1/8.  *acked
 * follows the contiguous prefix the engine reports.  Returns OTK_OK when
 * every byte is in, or the first error.
 */
static int send_lossy(struct otk_update *u, struct img f, uint32_t off, uint32_t chunk,
		      uint32_t *seed, uint32_t *acked, unsigned *dups)
{
	uint32_t nchunks = (uint32_t)((f.len - off + chunk - 1) / chunk);
	for (int round = 0; round < 10000; round++) {
		uint32_t bits[(WINDOW + 31) / 32];
		uint32_t have = otk_update_ack(u, bits, (WINDOW + 31) / 32);
		if (have == nchunks)
			return OTK_OK;
		uint32_t order[WINDOW];
		uint32_t n = 0;
		for (uint32_t i = 0; i < WINDOW && have + i < nchunks; i++)
			if (!(bits[i / 32] >> (i % 32) & 1))
				order[n++] = have + i;
		for (uint32_t i = n; i > 1; i--) {
			uint32_t j = rnd(seed) % i, x = order[i - 1];
			order[i - 1] = order[j];
			order[j] = x;
		}
		for (uint32_t i = 0; i < n; i++) {
			uint32_t r = rnd(seed) % 8;
			if (r < 2)
				continue;   /* lost */
			uint32_t pos = off + order[i] * chunk;
			uint32_t len = f.len - pos < chunk ? (uint32_t)(f.len - pos) : chunk;
			for (uint32_t k = 0; k < (r == 2 ? 2u : 1u); k++) {
				int rc = otk_update_write(u, pos, f.data + pos, len);
				if (rc)
					return rc;
				uint32_t c = otk_update_ack(u, NULL, 0);
				*acked = off + c * chunk < f.len ? off + c * chunk : (uint32_t)f.len;
			}
			*dups += r == 2;
		}
	}
	fail_msg("no progress after 10000 rounds");
	return OTK_EINVAL;
}

/* 1 all parts new, 0 all old, -1 anything else */
static int image_state(struct tdev *t, const struct scenario *s)
{
	int st = -2;
	for (int i = 0; i < s->nparts; i++) {
		const uint8_t *at = t->ff.mem + s->addr[i];
		int p = memcmp(at, s->fresh[i].data, s->fresh[i].len) == 0 ? 1
			: memcmp(at, s->old[i].data, s->old[i].len) == 0 ? 0 : -1;
		if (st == -2)
			st = p;
		else if (st != p)
			return -1;
	}
	return st;
}

/*
 * Run the update from the factory state with the power cut at flash
 * operation `cut` (0: none), rebooting after every cut, and check every
 * boot.  Returns the number of flash operations of the run.
 */
static unsigned long run_cut(struct tdev *t, const uint8_t *factory, const struct scenario *s,
			     unsigned long cut, unsigned long cut2, unsigned *resumes)
{
	uint8_t sha[OTK_SHA256_LEN];
	uint32_t acked = 0;
	otk_sha256(s->file.data, s->file.len, sha);
	memcpy(t->ff.mem, factory, FLASH_SIZE);
	memcpy(t->ff.programmed, g_factory_prog, FLASH_SIZE / t->ff.write_align);
	ff_strict(&t->ff, g_strict);
	t->ff.ops = t->ff.writes = t->ff.erases = t->ff.reads = 0;
	t->ff.dead = false;
	t->ff.cut_at = cut;
	for (int cycle = 0;; cycle++) {
		if (cycle > 0 && t->ff.dead) {
			ff_power_on(&t->ff);
			/* a second cut, cut2 operations into the next power-on */
			if (cut2) {
				t->ff.cut_at = t->ff.ops + cut2;
				cut2 = 0;
			}
		}
		if (cycle >= 8)
			fail_msg("%s cut %lu: no progress after %d boots", s->name, cut, cycle);
		int rc = boot(t);
		if (t->ff.dead)
			continue;
		assert_int_equal(rc, OTK_OK);
		if (t->rep.mode != OTK_MODE_NORMAL || t->rep.recover != OTK_OK)
			fail_msg("%s cut %lu: boot mode %d reason %d detail %d recover %d", s->name,
				 cut, t->rep.mode, t->rep.reason, t->rep.detail, t->rep.recover);
		int st = image_state(t, s);
		if (st < 0)
			fail_msg("%s cut %lu: installed image is neither old nor new", s->name, cut);
		if (st == 1) {
			assert_false(otk_update_pending(&t->u));
			assert_int_equal(t->ff.violations, 0);
			return t->ff.ops;
		}
		struct otk_update_start start = { (uint32_t)s->file.len, sha, 0, s->function, s->chunk };
		long off = otk_update_begin(&t->u, &start);
		if (t->ff.dead)
			continue;
		assert_true(off >= 0);
		/* resume at the erase unit holding the last acknowledged byte
		 * (the rest of that unit is erased again), or at the end */
		uint32_t want = acked == s->file.len ? acked : acked & ~(t->ff.erase_size - 1u);
		if ((uint32_t)off != want)
			fail_msg("%s cut %lu: resumed at %ld, expected %u", s->name, cut, off, want);
		if (off > 0)
			(*resumes)++;
		if (s->chunk) {
			uint32_t seed = (uint32_t)(cut * 31u + cycle), acked32 = acked;
			unsigned dups = 0;
			rc = send_lossy(&t->u, s->file, (uint32_t)off, s->chunk, &seed, &acked32, &dups);
			acked = acked32;
			if (t->ff.dead)
				continue;
			assert_int_equal(rc, OTK_OK);
		}
		for (size_t pos = (size_t)off; !s->chunk && pos < s->file.len; pos += CHUNK) {
			size_t n = s->file.len - pos < CHUNK ? s->file.len - pos : CHUNK;
			rc = otk_update_write(&t->u, (uint32_t)pos, s->file.data + pos, n);
			if (t->ff.dead)
				break;
			assert_int_equal(rc, OTK_OK);
			acked = (uint32_t)(pos + n);
		}
		if (t->ff.dead)
			continue;
		rc = otk_update_finish(&t->u, OTK_FINISH_APPLY, NULL);
		if (t->ff.dead)
			continue;
		assert_int_equal(rc, OTK_OK);
		acked = 0;     /* applied: the transfer state is gone */
		/* reboot */
	}
}

static void every_cut_in(const struct scenario *s)
{
	struct tdev *t = tdev_new();
	uint8_t *factory = malloc(FLASH_SIZE);
	/* staging holds an old transfer's leftovers: erase must happen first */
	uint32_t seed = 77;
	otk_test_random(&seed, t->ff.mem + 0xB0000, 0x80000);
	memcpy(factory, t->ff.mem, FLASH_SIZE);
	ff_forget_programmed(&t->ff);
	g_factory_prog = malloc(FLASH_SIZE / t->ff.write_align);
	memcpy(g_factory_prog, t->ff.programmed, FLASH_SIZE / t->ff.write_align);
	unsigned resumes = 0;
	unsigned long total = run_cut(t, factory, s, 0, 0, &resumes);
	assert_true(total > 10);
	for (unsigned long cut = 1; cut <= total; cut++)
		run_cut(t, factory, s, cut, 0, &resumes);
	/* and a second cut 1..8 operations after the reboot (during resume,
	 * re-hashing or the copy at boot) */
	unsigned long doubles = 0;
	for (unsigned long cut = 1; cut <= total; cut++)
		for (unsigned long cut2 = 1; cut2 <= 8; cut2++, doubles++)
			run_cut(t, factory, s, cut, cut2, &resumes);
	print_message("%s%s: %lu cut points exercised, plus %lu double cuts (file %zu bytes, "
		      "%u resumed transfers)\n", s->name, g_strict ? " (program-once, torn writes)" : "",
		      total, doubles, s->file.len, resumes);
	assert_true(resumes > 0);
	free(g_factory_prog);
	free(factory);
	tdev_free(t);
}

/* Every power-cut scenario on the plain fake flash and on the strict one. */
static void every_cut(const struct scenario *s)
{
	g_strict = false;
	every_cut_in(s);
	g_strict = true;
	every_cut_in(s);
	g_strict = false;
}

static void test_cut_user(void **state)
{
	(void)state;
	struct img nu = mk(A_USER, OTK_FUNC_USER, 1, 2, PLATFORM, OTK_FUNC_SYSTEM, 2, 2000, 14000, 9);
	struct scenario s = { "user part", nu, OTK_FUNC_USER, 1, { A_USER, 0 },
			      { g_user, { 0 } }, { nu, { 0 } }, 0 };
	every_cut(&s);
	free(nu.data);
}

/* the same with other write granularities: bytes, and 256-byte pages */
static void test_cut_user_geometry(void **state)
{
	(void)state;
	struct img nu = mk(A_USER, OTK_FUNC_USER, 1, 2, PLATFORM, OTK_FUNC_SYSTEM, 2, 2000, 6001, 13);
	struct scenario s = { "user part, write unit 1", nu, OTK_FUNC_USER, 1, { A_USER, 0 },
			      { g_user, { 0 } }, { nu, { 0 } }, 0 };
	g_align = 1;
	every_cut(&s);
	s.name = "user part, write unit 256";
	g_align = 256;
	every_cut(&s);
	g_align = 8;
	free(nu.data);
}

static void test_cut_compressed_system(void **state)
{
	(void)state;
	struct img ns = mk(A_SYS2, OTK_FUNC_SYSTEM, 2, 2001, PLATFORM, OTK_FUNC_SYSTEM, 1, 2000, 40000, 10);
	struct img c = img_compress(ns);
	assert_true(c.len < ns.len);
	struct scenario s = { "compressed system part", c, OTK_FUNC_SYSTEM, 1, { A_SYS2, 0 },
			      { g_sys2, { 0 } }, { ns, { 0 } }, 0 };
	every_cut(&s);
	free(ns.data);
	free(c.data);
}

static void test_cut_combined(void **state)
{
	(void)state;
	struct img ns = mk(A_SYS2, OTK_FUNC_SYSTEM, 2, 2002, PLATFORM, OTK_FUNC_SYSTEM, 1, 2000, 7000, 11);
	struct img nu = mk(A_USER, OTK_FUNC_USER, 1, 3, PLATFORM, OTK_FUNC_SYSTEM, 2, 2002, 4000, 12);
	struct img c = img_combine(ns, nu);
	/* the parts as installed are the parts of the combined file */
	struct otk_prefix p;
	otk_prefix_decode(c.data, &p);
	struct img p1 = { c.data, p.end - p.start + 4 };
	struct img p2 = { c.data + p1.len, c.len - p1.len };
	struct scenario s = { "combined system + user", c, OTK_FUNC_NONE, 2, { A_SYS2, A_USER },
			      { g_sys2, g_user }, { p1, p2 }, 0 };
	every_cut(&s);
	free(ns.data);
	free(nu.data);
	free(c.data);
}

/* Chunks out of order with losses and duplicates (OTA v3), the module
 * function learnt from the prefix for the user part. */
static void test_cut_out_of_order(void **state)
{
	(void)state;
	struct img nu = mk(A_USER, OTK_FUNC_USER, 1, 2, PLATFORM, OTK_FUNC_SYSTEM, 2, 2000, 14000, 9);
	struct scenario s = { "user part, chunks out of order", nu, OTK_FUNC_NONE, 1, { A_USER, 0 },
			      { g_user, { 0 } }, { nu, { 0 } }, 512 };
	every_cut(&s);
	free(nu.data);
	struct img ns = mk(A_SYS2, OTK_FUNC_SYSTEM, 2, 2001, PLATFORM, OTK_FUNC_SYSTEM, 1, 2000, 40000, 10);
	struct img c = img_compress(ns);
	struct scenario s2 = { "compressed system part, 1024-byte chunks out of order", c,
			       OTK_FUNC_SYSTEM, 1, { A_SYS2, 0 }, { g_sys2, { 0 } }, { ns, { 0 } }, 1024 };
	g_align = 256;
	every_cut(&s2);
	g_align = 8;
	free(ns.data);
	free(c.data);
}

/* Many random delivery orders with losses and duplicates: every one ends
 * with the file installed, the UpdateAck data following a model. */
static void test_out_of_order_random(void **state)
{
	(void)state;
	struct img nu = mk(A_USER, OTK_FUNC_USER, 1, 2, PLATFORM, OTK_FUNC_SYSTEM, 2, 2000, 30000, 21);
	uint8_t sha[OTK_SHA256_LEN];
	otk_sha256(nu.data, nu.len, sha);
	for (uint32_t round = 0; round < 40; round++) {
		struct tdev *t = tdev_new();
		assert_int_equal(boot(t), OTK_OK);
		uint32_t chunk = round % 2 ? 1024 : 512, seed = round + 1, acked = 0;
		unsigned dups = 0;
		struct otk_update_start st = { (uint32_t)nu.len, round % 3 ? sha : NULL, 0,
					       OTK_FUNC_NONE, chunk };
		assert_int_equal(otk_update_begin(&t->u, &st), 0);
		assert_int_equal(send_lossy(&t->u, nu, 0, chunk, &seed, &acked, &dups), OTK_OK);
		assert_int_equal(acked, nu.len);
		assert_int_equal(t->u.stats.dup, dups);
		assert_true(t->u.stats.ooo > 0);
		assert_int_equal(t->u.function, OTK_FUNC_USER);   /* learnt */
		assert_int_equal(otk_update_finish(&t->u, OTK_FINISH_APPLY, NULL), OTK_OK);
		assert_int_equal(boot(t), OTK_OK);
		assert_int_equal(t->rep.copied, 1);
		assert_memory_equal(t->ff.mem + A_USER, nu.data, nu.len);
		assert_int_equal(t->ff.violations, 0);
		tdev_free(t);
	}
	free(nu.data);
}

/* The window's edges, chunk boundaries and the UpdateAck bitmap. */
static void test_out_of_order_edges(void **state)
{
	(void)state;
	struct tdev *t = tdev_new();
	struct img a = mk(A_USER, OTK_FUNC_USER, 1, 2, PLATFORM, OTK_FUNC_SYSTEM, 2, 2000, 20000, 9);
	uint32_t bits[1];
	assert_int_equal(boot(t), OTK_OK);
	struct otk_update_start st = { (uint32_t)a.len, NULL, 0, OTK_FUNC_USER, 516 };
	assert_int_equal(otk_update_begin(&t->u, &st), OTK_EINVAL);  /* not 8-byte units */
	st.chunk_size = 512;
	assert_int_equal(otk_update_begin(&t->u, &st), 0);
	assert_int_equal(otk_update_window_chunks(&t->u), WINDOW);
	/* chunk 3 and 7 ahead of the gap; 8 is beyond the window */
	assert_int_equal(otk_update_write(&t->u, 3 * 512, a.data + 3 * 512, 512), OTK_OK);
	assert_int_equal(otk_update_write(&t->u, 7 * 512, a.data + 7 * 512, 512), OTK_OK);
	assert_int_equal(otk_update_write(&t->u, 8 * 512, a.data + 8 * 512, 512), OTK_EUPD_WINDOW);
	assert_int_equal(otk_update_write(&t->u, 3 * 512, a.data + 3 * 512, 512), OTK_OK);
	assert_int_equal(t->u.stats.dup, 1);
	assert_int_equal(otk_update_write(&t->u, 3 * 512 + 8, a.data, 512), OTK_EUPD_UNALIGNED);
	assert_int_equal(otk_update_write(&t->u, 4 * 512, a.data, 256), OTK_EUPD_UNALIGNED);
	assert_int_equal(otk_update_write(&t->u, 4 * 512, a.data, 1024), OTK_EUPD_UNALIGNED);
	assert_int_equal(otk_update_ack(&t->u, bits, 1), 0);
	assert_int_equal(bits[0], (1u << 3) | (1u << 7));
	/* chunks 0..2 fill the gap: 3 joins the prefix, 7 is now bit 3 */
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(otk_update_write(&t->u, i * 512, a.data + i * 512, 512), OTK_OK);
	assert_int_equal(otk_update_ack(&t->u, bits, 1), 4);
	assert_int_equal(bits[0], 1u << 3);
	assert_int_equal(otk_update_write(&t->u, 0, a.data, 512), OTK_OK);  /* before the prefix */
	assert_int_equal(t->u.stats.dup, 2);
	/* the last chunk may be short; it must end the file */
	uint32_t last = (uint32_t)(a.len / 512) * 512;
	assert_true(last < a.len);
	assert_int_equal(otk_update_write(&t->u, last, a.data + last, (uint32_t)a.len - last - 8),
			 OTK_EUPD_UNALIGNED);
	for (uint32_t pos = 4 * 512; pos < a.len; pos += 512) {
		uint32_t n = a.len - pos < 512 ? (uint32_t)(a.len - pos) : 512;
		assert_int_equal(otk_update_write(&t->u, pos, a.data + pos, n), OTK_OK);
	}
	assert_int_equal(otk_update_ack(&t->u, bits, 1), (a.len + 511) / 512);
	assert_int_equal(bits[0], 0);
	assert_int_equal(otk_update_finish(&t->u, OTK_FINISH_APPLY, NULL), OTK_OK);
	assert_int_equal(boot(t), OTK_OK);
	assert_memory_equal(t->ff.mem + A_USER, a.data, a.len);
	free(a.data);
	tdev_free(t);
}

/* --- errors leave the installed images alone ------------------------- */

/* Installed areas (everything but settings and staging) must not change. */
static uint8_t *snap(struct tdev *t)
{
	uint8_t *s = malloc(FLASH_SIZE);
	memcpy(s, t->ff.mem, FLASH_SIZE);
	return s;
}

static void assert_untouched(struct tdev *t, const uint8_t *s)
{
	assert_memory_equal(t->ff.mem, s, 0x8000);                  /* bootloader */
	assert_memory_equal(t->ff.mem + 0x10000, s + 0x10000, 0xA0000); /* system, user */
	/* and the device still boots them */
	ff_power_on(&t->ff);
	assert_int_equal(boot(t), OTK_OK);
	assert_int_equal(t->rep.mode, OTK_MODE_NORMAL);
	assert_int_equal(t->rep.copied, 0);
	assert_memory_equal(t->ff.mem + 0x10000, s + 0x10000, 0xA0000);
}

static void expect_error(struct img f, const uint8_t *sha, uint32_t flags, uint32_t policy, int want)
{
	struct tdev *t = tdev_new();
	t->cfg.policy = policy;
	assert_int_equal(boot(t), OTK_OK);
	uint8_t *s = snap(t);
	int rc = deliver(t, f, sha, flags, OTK_FUNC_NONE, OTK_FINISH_APPLY);
	if (rc != want)
		fail_msg("expected %d (%s), got %d (%s)", want, otk_strerror(want), rc, otk_strerror(rc));
	assert_false(otk_update_pending(&t->u));
	assert_untouched(t, s);
	free(s);
	tdev_free(t);
}

static void test_err_corrupt(void **state)
{
	(void)state;
	struct img nu = mk(A_USER, OTK_FUNC_USER, 1, 2, PLATFORM, OTK_FUNC_SYSTEM, 2, 2000, 5000, 9);
	uint8_t sha[OTK_SHA256_LEN];
	otk_sha256(nu.data, nu.len, sha);
	nu.data[1000] ^= 0x10;
	expect_error(nu, sha, 0, OTK_POLICY_NO_DOWNGRADE, OTK_EUPD_INTEGRITY);  /* file hash */
	expect_error(nu, NULL, 0, OTK_POLICY_NO_DOWNGRADE, OTK_EUPD_INTEGRITY); /* module CRC */
	free(nu.data);

	/* corrupt deflate data with a CRC and hash that match the corruption */
	struct img ns = mk(A_SYS2, OTK_FUNC_SYSTEM, 2, 2001, PLATFORM, OTK_FUNC_SYSTEM, 1, 2000, 9000, 10);
	struct img c = img_compress(ns);
	c.data[200] ^= 0xFF;
	c.data[201] ^= 0x5A;
	assert_int_equal(otk_module_seal(c.data, c.len), OTK_OK);
	expect_error(c, NULL, 0, OTK_POLICY_NO_DOWNGRADE, OTK_EUPD_INTEGRITY);
	free(ns.data);
	free(c.data);
}

static void test_err_platform(void **state)
{
	(void)state;
	struct img m = mk(A_USER, OTK_FUNC_USER, 1, 2, 12, OTK_FUNC_SYSTEM, 2, 2000, 3000, 9);
	expect_error(m, NULL, 0, 0, OTK_EUPD_PLATFORM);
	free(m.data);
}

static void test_err_dependency(void **state)
{
	(void)state;
	/* system part 2 needing a system part 1 we do not have */
	struct img m = mk(A_SYS2, OTK_FUNC_SYSTEM, 2, 2001, PLATFORM, OTK_FUNC_SYSTEM, 1, 2100, 3000, 9);
	expect_error(m, NULL, 0, 0, OTK_EUPD_DEPENDENCY);
	free(m.data);
	/* user part needing newer Device OS: accepted over OTA (safe mode heals
	 * it), refused when user dependencies are strict */
	m = mk(A_USER, OTK_FUNC_USER, 1, 2, PLATFORM, OTK_FUNC_SYSTEM, 2, 2100, 3000, 9);
	expect_error(m, NULL, 0, OTK_POLICY_USER_DEPS_STRICT, OTK_EUPD_DEPENDENCY);
	struct tdev *t = tdev_new();
	assert_int_equal(boot(t), OTK_OK);
	assert_int_equal(deliver(t, m, NULL, 0, OTK_FUNC_USER, OTK_FINISH_APPLY), OTK_OK);
	assert_int_equal(boot(t), OTK_OK);
	assert_int_equal(t->rep.copied, 1);
	assert_int_equal(t->rep.mode, OTK_MODE_SAFE);
	assert_int_equal(t->rep.reason, OTK_REASON_USER_DEPS);
	tdev_free(t);
	free(m.data);
	/* reverse order rule: system part 1 below what part 2 needs, even over USB */
	m = mk(A_SYS1, OTK_FUNC_SYSTEM, 1, 1999, PLATFORM, OTK_FUNC_BOOTLOADER, 0, 1000, 3000, 9);
	expect_error(m, NULL, OTK_UPDATE_LOCAL, OTK_POLICY_NO_DOWNGRADE, OTK_EUPD_DEPENDENCY);
	free(m.data);
}

static void test_err_downgrade(void **state)
{
	(void)state;
	struct img m = mk(A_SYS2, OTK_FUNC_SYSTEM, 2, 1999, PLATFORM, OTK_FUNC_SYSTEM, 1, 2000, 3000, 9);
	expect_error(m, NULL, 0, OTK_POLICY_NO_DOWNGRADE, OTK_EUPD_DOWNGRADE);
	/* a local (USB) update lifts the policy */
	struct tdev *t = tdev_new();
	assert_int_equal(boot(t), OTK_OK);
	assert_int_equal(deliver(t, m, NULL, OTK_UPDATE_LOCAL, OTK_FUNC_SYSTEM, OTK_FINISH_APPLY), OTK_OK);
	assert_int_equal(boot(t), OTK_OK);
	assert_int_equal(t->rep.copied, 1);
	assert_int_equal(t->rep.mode, OTK_MODE_SAFE);   /* user part needs 2000 */
	assert_memory_equal(t->ff.mem + A_SYS2, m.data, m.len);
	tdev_free(t);
	free(m.data);
}

static void test_err_size(void **state)
{
	(void)state;
	/* a user part larger than the user area */
	struct img m = mk(A_USER, OTK_FUNC_USER, 1, 2, PLATFORM, OTK_FUNC_SYSTEM, 2, 2000, 140000, 9);
	expect_error(m, NULL, 0, 0, OTK_EUPD_TOOLARGE);
	free(m.data);
	/* a file larger than staging */
	struct tdev *t = tdev_new();
	assert_int_equal(boot(t), OTK_OK);
	assert_int_equal(begin(&t->u, 512 * 1024 + 1, NULL, 0, 0), OTK_EUPD_TOOLARGE);
	assert_int_equal(begin(&t->u, 0, NULL, 0, 0), OTK_EUPD_SIZE);
	tdev_free(t);
	/* truncated */
	m = mk(A_USER, OTK_FUNC_USER, 1, 2, PLATFORM, OTK_FUNC_SYSTEM, 2, 2000, 3000, 9);
	struct img tr = { m.data, m.len - 100 };
	expect_error(tr, NULL, 0, 0, OTK_ETRUNCATED);
	free(m.data);
	/* wrong address */
	m = mk(A_USER - 0x1000, OTK_FUNC_USER, 1, 2, PLATFORM, OTK_FUNC_SYSTEM, 2, 2000, 3000, 9);
	expect_error(m, NULL, 0, 0, OTK_EUPD_RANGE);
	free(m.data);
	/* not a module */
	uint8_t junk[4096];
	memset(junk, 0x11, sizeof(junk));
	struct img j = { junk, sizeof(junk) };
	expect_error(j, NULL, 0, 0, OTK_ENOPREFIX);
}

static void test_resume_other_hash(void **state)
{
	(void)state;
	struct tdev *t = tdev_new();
	struct img a = mk(A_USER, OTK_FUNC_USER, 1, 2, PLATFORM, OTK_FUNC_SYSTEM, 2, 2000, 20000, 9);
	struct img b = mk(A_USER, OTK_FUNC_USER, 1, 3, PLATFORM, OTK_FUNC_SYSTEM, 2, 2000, 20000, 19);
	uint8_t sa[OTK_SHA256_LEN], sb[OTK_SHA256_LEN];
	assert_int_equal(a.len, b.len);
	otk_sha256(a.data, a.len, sa);
	otk_sha256(b.data, b.len, sb);
	assert_int_equal(boot(t), OTK_OK);
	uint8_t *s = snap(t);
	assert_int_equal(begin(&t->u, (uint32_t)a.len, sa, 0, OTK_FUNC_USER), 0);
	assert_int_equal(otk_update_write(&t->u, 0, a.data, 8192 + 512), OTK_OK);
	assert_int_equal(otk_update_finish(&t->u, OTK_FINISH_CANCEL, NULL), OTK_OK);
	/* resumes at the erase unit holding the prefix's end */
	t->u.cfg.save_every = 100000;
	assert_int_equal(begin(&t->u, (uint32_t)a.len, sa, 0, OTK_FUNC_USER), 8192);
	/* a new start during a transfer keeps its progress */
	assert_int_equal(otk_update_write(&t->u, 8192, a.data + 8192, 4096), OTK_OK);
	assert_int_equal(begin(&t->u, (uint32_t)a.len, sa, 0, OTK_FUNC_USER), 12288);
	t->u.cfg.save_every = 0;
	assert_int_equal(otk_update_finish(&t->u, OTK_FINISH_CANCEL, NULL), OTK_OK);
	/* power cycle: same file resumes at 12288 */
	assert_int_equal(otk_update_init(&t->u, &t->cfg), OTK_OK);
	assert_int_equal(begin(&t->u, (uint32_t)a.len, sa, 0, OTK_FUNC_USER), 12288);
	assert_int_equal(otk_update_finish(&t->u, OTK_FINISH_CANCEL, NULL), OTK_OK);
	/* another file of the same size starts over, and staging is erased */
	assert_int_equal(begin(&t->u, (uint32_t)b.len, sb, 0, OTK_FUNC_USER), 0);
	for (size_t i = 0; i < b.len; i++)
		assert_int_equal(t->ff.mem[0xB0000 + i], 0xFF);
	/* and A's progress is gone */
	assert_int_equal(otk_update_finish(&t->u, OTK_FINISH_CANCEL, NULL), OTK_OK);
	assert_int_equal(begin(&t->u, (uint32_t)a.len, sa, 0, OTK_FUNC_USER), 0);
	/* staging that changed behind our back does not resume either */
	assert_int_equal(otk_update_write(&t->u, 0, a.data, 4096), OTK_OK);
	assert_int_equal(otk_update_finish(&t->u, OTK_FINISH_CANCEL, NULL), OTK_OK);
	t->ff.mem[0xB0000 + 10] = 0;
	assert_int_equal(begin(&t->u, (uint32_t)a.len, sa, 0, OTK_FUNC_USER), 0);
	/* DISCARD_DATA never resumes */
	assert_int_equal(otk_update_write(&t->u, 0, a.data, 4096), OTK_OK);
	assert_int_equal(otk_update_finish(&t->u, OTK_FINISH_CANCEL, NULL), OTK_OK);
	assert_int_equal(begin(&t->u, (uint32_t)a.len, sa, OTK_UPDATE_DISCARD_DATA,
					  OTK_FUNC_USER), 0);
	assert_int_equal(otk_update_finish(&t->u, OTK_FINISH_DISCARD, NULL), OTK_OK);
	assert_untouched(t, s);
	free(s);
	free(a.data);
	free(b.data);
	tdev_free(t);
}

static void test_api_misuse(void **state)
{
	(void)state;
	struct tdev *t = tdev_new();
	struct img a = mk(A_USER, OTK_FUNC_USER, 1, 2, PLATFORM, OTK_FUNC_SYSTEM, 2, 2000, 5000, 9);
	assert_int_equal(boot(t), OTK_OK);
	uint8_t x[8] = { 0 };
	assert_int_equal(otk_update_write(&t->u, 0, x, 8), OTK_EUPD_STATE);
	assert_int_equal(otk_update_finish(&t->u, OTK_FINISH_APPLY, NULL), OTK_EUPD_STATE);
	assert_int_equal(begin(&t->u, (uint32_t)a.len, NULL, 0, OTK_FUNC_USER), 0);
	assert_int_equal(otk_update_write(&t->u, 1024, a.data + 1024, 512), OTK_EUPD_GAP);
	assert_int_equal(otk_update_write(&t->u, 0, a.data, 100), OTK_EUPD_UNALIGNED); /* mid-file */
	assert_int_equal(otk_update_write(&t->u, 0, a.data, 512), OTK_OK);
	assert_int_equal(otk_update_write(&t->u, 0, a.data, 512), OTK_OK);   /* duplicate */
	assert_int_equal(otk_update_write(&t->u, (uint32_t)a.len - 4, a.data, 8), OTK_EUPD_SIZE);
	assert_int_equal(otk_update_finish(&t->u, OTK_FINISH_APPLY, NULL), OTK_EUPD_INCOMPLETE);
	for (size_t pos = 512; pos < a.len; pos += CHUNK) {
		size_t n = a.len - pos < CHUNK ? a.len - pos : CHUNK;
		assert_int_equal(otk_update_write(&t->u, (uint32_t)pos, a.data + pos, n), OTK_OK);
	}
	struct otk_update_result res;
	assert_int_equal(otk_update_finish(&t->u, OTK_FINISH_VALIDATE, &res), OTK_OK);
	assert_int_equal(res.nmodules, 1);
	assert_int_equal(res.modules[0].version, 2);
	assert_int_equal(otk_update_finish(&t->u, OTK_FINISH_APPLY, NULL), OTK_OK);
	assert_true(otk_update_pending(&t->u));
	assert_int_equal(begin(&t->u, 100, NULL, 0, 0), OTK_EUPD_BUSY);
	assert_int_equal(boot(t), OTK_OK);
	assert_int_equal(t->rep.copied, 1);
	assert_memory_equal(t->ff.mem + A_USER, a.data, a.len);
	assert_int_equal(t->ff.violations, 0);
	free(a.data);
	tdev_free(t);
}


/* --- a tracker with real modules: internal + external flash ---------- */

struct tracker {
	struct fakeflash in, ex;
	struct otk_device dev;
	struct otk_update u;
	struct otk_update_config cfg;
	struct otk_boot_report rep;
	struct otk_installed ncp;
	uint8_t buf[2048];
	struct otk_inflate inf;
	uint8_t window[32768];
};

static int tracker_open(void *ctx, const struct otk_layout_area *a, struct otk_flash_area *out)
{
	struct tracker *t = ctx;
	return ff_open(a->storage == OTK_AREA_EXTERNAL ? &t->ex : &t->in, a, out);
}

static uint8_t *fixture(const char *dir, const char *name, size_t *len)
{
	char *path = otk_test_path("%s/fixtures/particle/%s/%s", otk_test_shared(), dir, name);
	uint8_t *d = otk_test_read(path, len);
	free(path);
	return d;
}

static void test_tracker_fixtures(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	struct tracker *t = calloc(1, sizeof(*t));
	ff_init(&t->in, 0x100000, 4096, 4);
	ff_init(&t->ex, 0x800000, 4096, 1);
	t->dev = (struct otk_device){ otk_layout_by_platform(26), 26, tracker_open, t };
	/* the ESP32 NCP firmware the system part depends on (7, 0, 7) */
	t->ncp.status = OTK_OK;
	t->ncp.prefix.function = OTK_FUNC_NCP;
	t->ncp.prefix.version = 7;
	t->cfg = (struct otk_update_config){ &t->dev, t->buf, sizeof(t->buf), &t->inf, t->window,
					     sizeof(t->window), &t->ncp, 1, OTK_POLICY_NO_DOWNGRADE, 4096,
					     NULL, 0 };
	size_t bl_len, sys_len, app_len, cmp_len, comb_len;
	uint8_t *bl = fixture("binaries", "tracker-bootloader@5.6.0.bin", &bl_len);
	uint8_t *sys = fixture("binaries", "tracker-system-part1@3.1.0-alpha.2.bin", &sys_len);
	uint8_t *app = fixture("binaries", "tracker-tinker@5.3.1.bin", &app_len);
	uint8_t *cmp = fixture("golden", "tracker-system-part1@3.1.0-alpha.2.compressed.bin", &cmp_len);
	uint8_t *comb = fixture("golden", "tracker-system-part1+tinker.combined.bin", &comb_len);
	memcpy(t->in.mem + 0xF4000, bl, bl_len);
	memcpy(t->in.mem + 0x30000, sys, sys_len);

	assert_int_equal(otk_update_init(&t->u, &t->cfg), OTK_OK);
	assert_int_equal(otk_boot(&t->dev, &t->u, t->buf, sizeof(t->buf), 0, &t->rep), OTK_OK);
	assert_int_equal(t->rep.mode, OTK_MODE_NORMAL);
	assert_int_equal(t->rep.reason, OTK_REASON_NO_USER);

	/* the compressed system part inflates into place over the old one */
	memset(t->in.mem + 0x30000, 0xFF, sys_len);
	memcpy(t->in.mem + 0x30000, sys, 0x1000);  /* a damaged older copy */
	struct img c = { cmp, cmp_len };
	uint8_t sha[OTK_SHA256_LEN];
	otk_sha256(cmp, cmp_len, sha);
	struct otk_update_result res;
	assert_int_equal(deliver_u(&t->u, c, sha, 0, 0, OTK_FINISH_APPLY, &res), OTK_OK);
	assert_int_equal(res.nmodules, 1);
	assert_int_equal(res.modules[0].flags & OTK_FLAG_COMPRESSED, OTK_FLAG_COMPRESSED);
	assert_int_equal(otk_boot(&t->dev, &t->u, t->buf, sizeof(t->buf), 0, &t->rep), OTK_OK);
	assert_int_equal(t->rep.copied, 1);
	assert_int_equal(t->rep.mode, OTK_MODE_NORMAL);
	assert_memory_equal(t->in.mem + 0x30000, sys, sys_len);

	/* the app alone needs Device OS 5.3.1: refused when user dependencies
	 * are strict, accepted over OTA (the device then runs in safe mode) */
	struct img a = { app, app_len };
	t->u.cfg.policy |= OTK_POLICY_USER_DEPS_STRICT;
	assert_int_equal(deliver_u(&t->u, a, NULL, 0, 0, OTK_FINISH_APPLY, NULL), OTK_EUPD_DEPENDENCY);
	t->u.cfg.policy &= ~OTK_POLICY_USER_DEPS_STRICT;

	/* combined system part + tinker */
	struct img cb = { comb, comb_len };
	assert_int_equal(deliver_u(&t->u, cb, NULL, 0, 0, OTK_FINISH_APPLY, &res), OTK_OK);
	assert_int_equal(res.nmodules, 2);
	assert_int_equal(res.modules[1].function, OTK_FUNC_USER);
	assert_int_equal(otk_boot(&t->dev, &t->u, t->buf, sizeof(t->buf), 0, &t->rep), OTK_OK);
	assert_int_equal(t->rep.copied, 2);
	assert_int_equal(t->rep.mode, OTK_MODE_SAFE);
	assert_int_equal(t->rep.reason, OTK_REASON_USER_DEPS);
	struct otk_prefix p;
	otk_prefix_decode(comb + 0x200, &p);
	assert_memory_equal(t->in.mem + 0x30000, comb, p.end - p.start + 4);
	assert_memory_equal(t->in.mem + 0xB4000, comb + p.end - p.start + 4, comb_len - (p.end - p.start + 4));
	assert_int_equal(t->in.violations + t->ex.violations, 0);
	free(comb);
	free(cmp);
	free(app);
	free(sys);
	free(bl);
	ff_free(&t->in);
	ff_free(&t->ex);
	free(t);
}


/* --- a photon: Device OS upgrade and downgrade order with real parts ---- */

static void test_photon_order(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	struct tracker *t = calloc(1, sizeof(*t));   /* same shape; one flash */
	ff_init(&t->in, 0x100000, 0x4000, 4);
	t->in.base = 0x08000000u;
	t->dev = (struct otk_device){ otk_layout_by_platform(6), 6, ff_open, &t->in };
	t->cfg = (struct otk_update_config){ &t->dev, t->buf, sizeof(t->buf), &t->inf, t->window,
					     sizeof(t->window), NULL, 0, OTK_POLICY_NO_DOWNGRADE, 0, NULL, 0 };
	struct img s1a, s2a, ua, s1b, s2b, ub;
	s1a.data = fixture("binaries", "040_system-part1.bin", &s1a.len);
	s2a.data = fixture("binaries", "040_system-part2.bin", &s2a.len);
	ua.data = fixture("binaries", "040_user-part.bin", &ua.len);
	s1b.data = fixture("binaries", "043_system-part1.bin", &s1b.len);
	s2b.data = fixture("binaries", "043_system-part2.bin", &s2b.len);
	ub.data = fixture("binaries", "043_user-part.bin", &ub.len);
	memcpy(t->in.mem + 0x20000, s1a.data, s1a.len);
	memcpy(t->in.mem + 0x60000, s2a.data, s2a.len);
	memcpy(t->in.mem + 0xA0000, ua.data, ua.len);
	/* no bootloader module in these fixtures' era: build a valid one */
	uint8_t head[0x184] = { 0 }, body[2000], bl[4096];
	size_t bl_len;
	struct otk_module_spec spec;
	memset(&spec, 0, sizeof(spec));
	memset(body, 0x42, sizeof(body));
	spec.prefix.platform = 6;
	spec.prefix.function = OTK_FUNC_BOOTLOADER;
	spec.prefix.version = 2;
	spec.start = 0x08000000u;
	spec.head = head;
	spec.prefix_offset = sizeof(head);
	assert_int_equal(otk_module_build(&spec, body, sizeof(body), bl, sizeof(bl), &bl_len), OTK_OK);
	memcpy(t->in.mem, bl, bl_len);

#define BOOT_OK(mode_)                                                                   \
	do {                                                                             \
		assert_int_equal(otk_update_init(&t->u, &t->cfg), OTK_OK);               \
		assert_int_equal(otk_boot(&t->dev, &t->u, t->buf, sizeof(t->buf), 0, &t->rep), OTK_OK); \
		assert_int_equal(t->rep.mode, mode_);                                    \
	} while (0)
	BOOT_OK(OTK_MODE_NORMAL);
	/* upgrade 0.4.0 -> 0.4.3: part 2 first is refused (needs part 1 v3) */
	assert_int_equal(deliver_u(&t->u, s2b, NULL, 0, 0, OTK_FINISH_APPLY, NULL), OTK_EUPD_DEPENDENCY);
	assert_int_equal(deliver_u(&t->u, s1b, NULL, 0, 0, OTK_FINISH_APPLY, NULL), OTK_OK);
	BOOT_OK(OTK_MODE_NORMAL);
	assert_int_equal(deliver_u(&t->u, s2b, NULL, 0, 0, OTK_FINISH_APPLY, NULL), OTK_OK);
	BOOT_OK(OTK_MODE_NORMAL);
	assert_int_equal(deliver_u(&t->u, ub, NULL, 0, 0, OTK_FINISH_APPLY, NULL), OTK_OK);
	BOOT_OK(OTK_MODE_NORMAL);
	assert_memory_equal(t->in.mem + 0x20000, s1b.data, s1b.len);
	assert_memory_equal(t->in.mem + 0x60000, s2b.data, s2b.len);
	assert_memory_equal(t->in.mem + 0xA0000, ub.data, ub.len);
	/* downgrade: never over OTA */
	assert_int_equal(deliver_u(&t->u, s2a, NULL, 0, 0, OTK_FINISH_APPLY, NULL), OTK_EUPD_DOWNGRADE);
	/* locally, part 1 first breaks part 2 (reverse order rule) */
	assert_int_equal(deliver_u(&t->u, s1a, NULL, OTK_UPDATE_LOCAL, 0, OTK_FINISH_APPLY, NULL),
			 OTK_EUPD_DEPENDENCY);
	/* N..1 works; the 0.4.3 app then needs part 2 v3: safe mode */
	assert_int_equal(deliver_u(&t->u, s2a, NULL, OTK_UPDATE_LOCAL, 0, OTK_FINISH_APPLY, NULL), OTK_OK);
	BOOT_OK(OTK_MODE_SAFE);
	assert_int_equal(t->rep.reason, OTK_REASON_USER_DEPS);
	assert_int_equal(deliver_u(&t->u, s1a, NULL, OTK_UPDATE_LOCAL, 0, OTK_FINISH_APPLY, NULL), OTK_OK);
	BOOT_OK(OTK_MODE_SAFE);
	assert_int_equal(deliver_u(&t->u, ua, NULL, 0, 0, OTK_FINISH_APPLY, NULL), OTK_OK);
	BOOT_OK(OTK_MODE_NORMAL);
	assert_memory_equal(t->in.mem + 0x20000, s1a.data, s1a.len);
	assert_int_equal(t->in.violations, 0);
#undef BOOT_OK
	struct img *all[] = { &s1a, &s2a, &ua, &s1b, &s2b, &ub };
	for (size_t i = 0; i < 6; i++)
		free(all[i]->data);
	ff_free(&t->in);
	free(t);
}

/* Staging that rots after validation: the copy fails verification, is
 * reported once and dropped, and the device does not loop. */
static void test_copy_verify_fails(void **state)
{
	(void)state;
	struct tdev *t = tdev_new();
	struct img nu = mk(A_USER, OTK_FUNC_USER, 1, 2, PLATFORM, OTK_FUNC_SYSTEM, 2, 2000, 5000, 9);
	assert_int_equal(boot(t), OTK_OK);
	assert_int_equal(deliver(t, nu, NULL, 0, 0, OTK_FINISH_APPLY), OTK_OK);
	t->ff.mem[0xB0000 + 3000] ^= 0x04;
	assert_int_equal(boot(t), OTK_OK);
	assert_int_equal(t->rep.recover, OTK_EUPD_COPY);
	assert_int_equal(t->rep.copied, 0);
	assert_int_equal(t->rep.mode, OTK_MODE_SAFE);
	assert_int_equal(t->rep.reason, OTK_REASON_USER_INVALID);
	assert_false(otk_update_pending(&t->u));
	assert_int_equal(boot(t), OTK_OK);
	assert_int_equal(t->rep.recover, OTK_OK);
	/* a good update heals it */
	assert_int_equal(deliver(t, nu, NULL, 0, 0, OTK_FINISH_APPLY), OTK_OK);
	assert_int_equal(boot(t), OTK_OK);
	assert_int_equal(t->rep.mode, OTK_MODE_NORMAL);
	free(nu.data);
	tdev_free(t);
}

/* A flash read that fails during validation is not a bad file: the
 * transfer keeps its progress; a data error drops it. */
static void test_read_error_keeps_progress(void **state)
{
	(void)state;
	struct tdev *t = tdev_new();
	struct img nu = mk(A_USER, OTK_FUNC_USER, 1, 2, PLATFORM, OTK_FUNC_SYSTEM, 2, 2000, 9000, 9);
	uint8_t sha[OTK_SHA256_LEN];
	otk_sha256(nu.data, nu.len, sha);
	assert_int_equal(boot(t), OTK_OK);
	for (unsigned long k = 1; k <= 4; k++) {
		assert_int_equal(begin(&t->u, (uint32_t)nu.len, sha, 0, 0), k == 1 ? 0 : (long)nu.len);
		for (size_t pos = k == 1 ? 0 : nu.len; pos < nu.len; pos += CHUNK) {
			size_t n = nu.len - pos < CHUNK ? nu.len - pos : CHUNK;
			assert_int_equal(otk_update_write(&t->u, (uint32_t)pos, nu.data + pos, n), OTK_OK);
		}
		t->ff.fail_read_at = t->ff.reads + k * 3;   /* prefix, CRC, scan */
		assert_int_equal(otk_update_finish(&t->u, OTK_FINISH_APPLY, NULL), OTK_EIO);
		/* and after a power cycle too */
		assert_int_equal(otk_update_init(&t->u, &t->cfg), OTK_OK);
	}
	assert_int_equal(begin(&t->u, (uint32_t)nu.len, sha, 0, 0), (long)nu.len);
	assert_int_equal(otk_update_finish(&t->u, OTK_FINISH_APPLY, NULL), OTK_OK);
	assert_int_equal(boot(t), OTK_OK);
	assert_int_equal(t->rep.copied, 1);
	assert_memory_equal(t->ff.mem + A_USER, nu.data, nu.len);
	/* a data error forgets: the same file starts over */
	struct img bad = mk(A_USER, OTK_FUNC_USER, 1, 3, 12, OTK_FUNC_SYSTEM, 2, 2000, 9000, 9);
	otk_sha256(bad.data, bad.len, sha);
	assert_int_equal(deliver(t, bad, sha, 0, 0, OTK_FINISH_APPLY), OTK_EUPD_PLATFORM);
	assert_int_equal(begin(&t->u, (uint32_t)bad.len, sha, 0, 0), 0);
	free(bad.data);
	free(nu.data);
	tdev_free(t);
}

/* Settings full of someone else's bytes: ignored, then reused safely. */
static void test_journal_junk(void **state)
{
	(void)state;
	struct tdev *t = tdev_new();
	uint32_t seed = 5;
	otk_test_random(&seed, t->ff.mem + 0x8000, 0x4000);
	struct img nu = mk(A_USER, OTK_FUNC_USER, 1, 2, PLATFORM, OTK_FUNC_SYSTEM, 2, 2000, 5000, 9);
	uint8_t sha[OTK_SHA256_LEN];
	otk_sha256(nu.data, nu.len, sha);
	assert_int_equal(boot(t), OTK_OK);
	assert_int_equal(t->rep.mode, OTK_MODE_NORMAL);
	assert_int_equal(begin(&t->u, (uint32_t)nu.len, sha, 0, 0), 0);
	assert_int_equal(otk_update_write(&t->u, 0, nu.data, 4096), OTK_OK);
	assert_int_equal(otk_update_init(&t->u, &t->cfg), OTK_OK);
	assert_int_equal(begin(&t->u, (uint32_t)nu.len, sha, 0, 0), 4096);
	assert_int_equal(t->ff.violations, 0);
	free(nu.data);
	tdev_free(t);
}

/* p2: the user part grows down from 0x08600000 and may start anywhere */
static void test_p2_user_grows_down(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	struct tracker *t = calloc(1, sizeof(*t));
	ff_init(&t->in, 0x800000, 0x1000, 4);
	t->in.base = 0x08000000u;
	t->dev = (struct otk_device){ otk_layout_by_platform(32), 32, ff_open, &t->in };
	t->cfg = (struct otk_update_config){ &t->dev, t->buf, sizeof(t->buf), &t->inf, t->window,
					     sizeof(t->window), NULL, 0, OTK_POLICY_NO_DOWNGRADE, 0, NULL, 0 };
	struct img a, b;
	a.data = fixture("binaries", "p2-tinker@5.3.1.bin", &a.len);
	b.data = fixture("binaries", "p2-user-part-prefix-extensions.bin", &b.len);
	struct otk_prefix pa, pb;
	otk_prefix_decode(a.data, &pa);
	otk_prefix_decode(b.data, &pb);
	assert_true(pb.start % 4096 != 0);   /* not on a 4K boundary */
	struct otk_installed m[OTK_BOOT_MAX_MODULES];
	struct img *seq[] = { &a, &b, &a };
	const struct otk_prefix *ps[] = { &pa, &pb, &pa };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(otk_update_init(&t->u, &t->cfg), OTK_OK);
		assert_int_equal(deliver_u(&t->u, *seq[i], NULL, 0, 0, OTK_FINISH_APPLY, NULL), OTK_OK);
		assert_int_equal(otk_update_init(&t->u, &t->cfg), OTK_OK);
		unsigned copied;
		assert_int_equal(otk_update_recover(&t->u, &copied), OTK_OK);
		assert_int_equal(copied, 1);
		assert_memory_equal(t->in.mem + (ps[i]->start - 0x08000000u), seq[i]->data, seq[i]->len);
		int n = otk_installed_scan(&t->dev, t->buf, sizeof(t->buf), m, OTK_BOOT_MAX_MODULES);
		int users = 0;
		for (int k = 0; k < n; k++)
			if (m[k].role == OTK_AREA_USER) {
				assert_int_equal(m[k].status, OTK_OK);
				assert_int_equal(m[k].prefix.start, ps[i]->start);
				users++;
			}
		assert_int_equal(users, 1);
	}
	/* a user part that does not end at 0x08600000 is out of range */
	struct otk_module_spec spec;
	uint8_t body[1000], mod[2048];
	size_t mlen;
	memset(&spec, 0, sizeof(spec));
	memset(body, 1, sizeof(body));
	spec.prefix.platform = 32;
	spec.prefix.function = OTK_FUNC_USER;
	spec.prefix.index = 1;
	spec.start = 0x08500000u;
	assert_int_equal(otk_module_build(&spec, body, sizeof(body), mod, sizeof(mod), &mlen), OTK_OK);
	struct img bad = { mod, mlen };
	assert_int_equal(deliver_u(&t->u, bad, NULL, 0, 0, OTK_FINISH_APPLY, NULL), OTK_EUPD_RANGE);
	assert_int_equal(t->in.violations, 0);
	free(a.data);
	free(b.data);
	ff_free(&t->in);
	free(t);
}

/* The inspector and the device pick the same prefix for the same bytes:
 * a module whose prefix is at 0x200 with prefix-like bytes at 0x184. */
static void test_prefix_table_shared(void **state)
{
	(void)state;
	struct otk_module_spec spec;
	uint8_t head[0x200], body[2000], mod[4096];
	size_t len;
	memset(&spec, 0, sizeof(spec));
	memset(head, 0x5A, sizeof(head));
	memset(body, 0x33, sizeof(body));
	spec.prefix.platform = 6;   /* photon: a device platform scores full marks */
	spec.prefix.function = OTK_FUNC_USER;
	spec.prefix.index = 1;
	spec.start = A_USER;
	spec.head = head;
	spec.prefix_offset = sizeof(head);
	assert_int_equal(otk_module_build(&spec, body, sizeof(body), mod, sizeof(mod), &len), OTK_OK);
	struct otk_prefix p;
	otk_prefix_decode(mod + 0x200, &p);
	otk_prefix_encode(&p, head + 0x184);
	assert_int_equal(otk_module_build(&spec, body, sizeof(body), mod, sizeof(mod), &len), OTK_OK);
	int score;
	long host = otk_prefix_find(mod, len, &score);
	assert_int_equal(score, OTK_PREFIX_SCORE_MAX);
	assert_int_equal(otk_prefix_score(mod, len, 0x184), OTK_PREFIX_SCORE_MAX);
	struct fakeflash f;
	struct otk_layout_area la = { OTK_AREA_OTA, 0, 0, 0, 0, 0x2000 };
	struct otk_flash_area fa;
	ff_init(&f, 0x2000, 0x1000, 8);
	assert_int_equal(ff_open(&f, &la, &fa), OTK_OK);
	memcpy(f.mem, mod, len);
	bool erased;
	long dev = otk_image_find_prefix(&fa, 0, (uint32_t)len, 0, &p, &erased);
	assert_int_equal(dev, host);
	assert_int_equal(host, 0x200);
	ff_free(&f);
}

/* --- the fake flash and the flash helpers themselves ----------------- */

static void test_fakeflash(void **state)
{
	(void)state;
	struct fakeflash f;
	struct otk_layout_area la = { OTK_AREA_OTA, 0, 0, 0, 0x2000, 0x2000 };
	struct otk_flash_area fa;
	uint8_t d[16], r[16];
	ff_init(&f, 0x8000, 0x1000, 8);
	assert_int_equal(ff_open(&f, &la, &fa), OTK_OK);
	memset(d, 0x0F, sizeof(d));
	/* alignment enforced by the helpers and by the fake itself */
	assert_int_equal(otk_flash_write(&fa, 4, d, 8), OTK_EINVAL);
	assert_int_equal(otk_flash_erase(&fa, 0x800, 0x1000), OTK_EINVAL);
	assert_int_equal(ff_write(&f, 0x2004, d, 8), OTK_EINVAL);
	assert_int_equal(f.violations, 1);
	assert_int_equal(otk_flash_write(&fa, 0x2000, d, 8), OTK_ERANGE);
	/* writes clear bits only: same data again is fine, setting a bit is not */
	assert_int_equal(otk_flash_write(&fa, 0, d, 16), OTK_OK);
	assert_int_equal(otk_flash_write(&fa, 0, d, 16), OTK_OK);
	memset(d, 0xF0, sizeof(d));
	assert_int_equal(otk_flash_write(&fa, 0, d, 16), OTK_EIO);
	assert_int_equal(f.violations, 2);
	assert_int_equal(otk_flash_erase(&fa, 0, 0x1000), OTK_OK);
	assert_int_equal(otk_flash_write(&fa, 0, d, 16), OTK_OK);
	assert_int_equal(otk_flash_read(&fa, 0, r, 16), OTK_OK);
	assert_memory_equal(r, d, 16);
	assert_int_equal(f.writes, 3);
	assert_int_equal(f.erases, 1);
	assert_int_equal(f.ops, 4);
	/* power cut at the next operation: half of it happens, then nothing */
	f.cut_at = f.ops + 1;
	memset(d, 0x00, sizeof(d));
	assert_int_equal(otk_flash_write(&fa, 16, d, 16), OTK_EIO);
	assert_true(f.dead);
	assert_int_equal(otk_flash_read(&fa, 16, r, 16), OTK_EIO);
	ff_power_on(&f);
	assert_int_equal(otk_flash_read(&fa, 16, r, 16), OTK_OK);
	assert_int_equal(r[0], 0x00);
	assert_int_equal(r[15], 0xFF);
	/* writer pads the last unit with the erased value; is_erased; sub */
	struct otk_flash_writer w;
	uint8_t wb[32];
	assert_int_equal(otk_flash_erase_cover(&fa, 0, 1), OTK_OK);
	otk_flash_writer_init(&w, &fa, 0, wb, sizeof(wb));
	assert_int_equal(otk_flash_writer_put(&w, "hello, flash area", 17), OTK_OK);
	assert_int_equal(otk_flash_writer_put(&w, "!", 1), OTK_OK);
	assert_int_equal(otk_flash_writer_flush(&w), OTK_OK);
	assert_int_equal(otk_flash_read(&fa, 0, r, 16), OTK_OK);
	assert_memory_equal(r, "hello, flash are", 16);
	assert_int_equal(otk_flash_is_erased(&fa, 24, 0x1000 - 24, wb, sizeof(wb)), 1);
	assert_int_equal(otk_flash_is_erased(&fa, 16, 8, wb, sizeof(wb)), 0);
	struct otk_flash_area sub;
	assert_int_equal(otk_flash_sub(&fa, 0x1000, 0x1000, &sub), OTK_OK);
	assert_int_equal(sub.addr, 0x3000);
	assert_int_equal(otk_flash_sub(&fa, 0x1000, 0x1001, &sub), OTK_ERANGE);
	assert_int_equal(otk_flash_sub(&fa, 8, 8, &sub), OTK_EINVAL);
	ff_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fakeflash),
		cmocka_unit_test(test_prefix_table_shared),
		cmocka_unit_test(test_api_misuse),
		cmocka_unit_test(test_resume_other_hash),
		cmocka_unit_test(test_err_corrupt),
		cmocka_unit_test(test_err_platform),
		cmocka_unit_test(test_err_dependency),
		cmocka_unit_test(test_err_downgrade),
		cmocka_unit_test(test_err_size),
		cmocka_unit_test(test_cut_user),
		cmocka_unit_test(test_cut_user_geometry),
		cmocka_unit_test(test_cut_compressed_system),
		cmocka_unit_test(test_cut_combined),
		cmocka_unit_test(test_cut_out_of_order),
		cmocka_unit_test(test_out_of_order_random),
		cmocka_unit_test(test_out_of_order_edges),
		cmocka_unit_test(test_tracker_fixtures),
		cmocka_unit_test(test_photon_order),
		cmocka_unit_test(test_p2_user_grows_down),
		cmocka_unit_test(test_copy_verify_fails),
		cmocka_unit_test(test_journal_junk),
		cmocka_unit_test(test_read_error_keeps_progress),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * Asset storage over a fake NOR flash: files, state log, validation,
 * limits, and power cuts at every flash operation of an asset installation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeflash.h"
#include "otk/asset_store.h"
#include "otk/crc32.h"
#include "otk/assets.h"
#include "otk/error.h"
#include "otk/module.h"
#include "otk/sha256.h"
#include "testutil.h"

#define STORE_SIZE (128u * 4096u)
#define STAGE_OFF STORE_SIZE
#define STAGE_SIZE (64u * 4096u)
#define FLASH_SIZE (STORE_SIZE + STAGE_SIZE)

struct tdev {
	struct fakeflash ff;
	struct otk_flash_area store_fa, stage_fa;
	struct otk_asset_store s;
	uint8_t buf[1024];
};

struct img {
	uint8_t *data;
	size_t len;
	uint8_t hash[OTK_SHA256_LEN];
	const char *name;
};

static uint32_t g_align = 8;
static bool g_strict;   /* program-once flash with torn writes */

static struct tdev *tdev_new(uint32_t store_size)
{
	struct tdev *t = calloc(1, sizeof(*t));
	ff_init(&t->ff, store_size + STAGE_SIZE, 4096, g_align);
	struct otk_flash_area a = { &ff_ops, &t->ff, 0, store_size, 4096, g_align, 0xFF, 0 };
	t->store_fa = a;
	a.dev_off = store_size;
	a.size = STAGE_SIZE;
	a.addr = store_size;
	t->stage_fa = a;
	return t;
}

static void tdev_free(struct tdev *t)
{
	ff_free(&t->ff);
	free(t);
}

static int mount(struct tdev *t)
{
	return otk_asset_store_init(&t->s, &t->store_fa, t->buf, sizeof t->buf);
}

/* An asset module of `len` bytes of data: half text-like, half noise. */
static struct img mk_asset(const char *name, size_t len, uint32_t seed, bool compress)
{
	uint8_t *raw = malloc(len ? len : 1);
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		raw[i] = (uint8_t)((i & 0x100) ? (seed >> 24) : ("asset data "[i % 11] + (i >> 12)));
	}
	struct img m;
	m.name = name;
	otk_sha256(raw, len, m.hash);
	assert_int_equal(otk_asset_module_create(raw, len, name, 0, compress, &m.data, &m.len), OTK_OK);
	free(raw);
	return m;
}

static int store_img(struct tdev *t, struct img m, struct otk_asset_info *info)
{
	int rc = otk_asset_store_write_begin(&t->s, (uint32_t)m.len);
	if (rc)
		return rc;
	/* odd piece sizes on purpose */
	for (size_t pos = 0; pos < m.len;) {
		size_t n = m.len - pos < 333 ? m.len - pos : 333;
		if ((rc = otk_asset_store_write(&t->s, m.data + pos, n)))
			return rc;
		pos += n;
	}
	return otk_asset_store_write_finish(&t->s, info);
}

/* The stored module of name equals m byte for byte. */
static bool stored_is(struct tdev *t, struct img m)
{
	struct otk_asset_info f;
	if (otk_asset_store_find(&t->s, m.name, strlen(m.name), m.hash, &f) != OTK_OK)
		return false;
	if (f.storage_size != m.len)
		return false;
	uint8_t *b = malloc(m.len);
	int rc = otk_asset_store_read(&t->s, &f, 0, b, m.len);
	bool same = rc == OTK_OK && memcmp(b, m.data, m.len) == 0;
	free(b);
	return same;
}

static int count_live(struct tdev *t)
{
	return otk_asset_store_foreach(&t->s, NULL, NULL);
}

static void test_basic(void **state)
{
	(void)state;
	struct tdev *t = tdev_new(STORE_SIZE);
	assert_int_equal(mount(t), OTK_OK);
	assert_int_equal(otk_asset_store_state(&t->s), OTK_ASSET_STATE_NONE);
	assert_int_equal(count_live(t), 0);
	struct img a = mk_asset("logo.png", 2466, 1, true);
	struct img b = mk_asset("test1.json", 44, 2, true);
	struct img c = mk_asset("raw.bin", 9000, 3, false);
	struct otk_asset_info fi;
	assert_int_equal(store_img(t, a, &fi), OTK_OK);
	assert_int_equal(fi.size, 2466);
	assert_int_equal(fi.storage_size, a.len);
	assert_true(fi.compressed);
	assert_string_equal(fi.id.name, "logo.png");
	assert_memory_equal(fi.id.hash, a.hash, OTK_SHA256_LEN);
	assert_int_equal(store_img(t, b, NULL), OTK_OK);
	assert_int_equal(store_img(t, c, &fi), OTK_OK);
	assert_false(fi.compressed);
	assert_int_equal(fi.size, 9000);
	assert_int_equal(count_live(t), 3);
	/* survives a reboot and validation untouched */
	unsigned removed = 9;
	assert_int_equal(mount(t), OTK_OK);
	assert_int_equal(otk_asset_store_validate(&t->s, &removed), OTK_OK);
	assert_int_equal(removed, 0);
	assert_true(stored_is(t, a) && stored_is(t, b) && stored_is(t, c));
	/* wrong hash: not found */
	uint8_t h[OTK_SHA256_LEN] = { 0 };
	assert_int_equal(otk_asset_store_find(&t->s, "logo.png", 8, h, NULL), OTK_ENOTFOUND);
	/* replacing by name: the new one wins, the old is gone */
	struct img a2 = mk_asset("logo.png", 3000, 4, true);
	assert_int_equal(store_img(t, a2, NULL), OTK_OK);
	assert_int_equal(count_live(t), 3);
	assert_true(stored_is(t, a2));
	assert_false(stored_is(t, a));
	/* add_from_flash of an identical module keeps the file (no writes) */
	memcpy(t->ff.mem + STAGE_OFF, b.data, b.len);
	unsigned long ops = t->ff.ops;
	assert_int_equal(otk_asset_store_add_from_flash(&t->s, &t->stage_fa, 0, (uint32_t)b.len, &fi),
			 OTK_OK);
	assert_int_equal(t->ff.ops, ops);
	/* removal */
	assert_int_equal(otk_asset_store_find(&t->s, "raw.bin", 7, NULL, &fi), OTK_OK);
	assert_int_equal(otk_asset_store_remove(&t->s, &fi), OTK_OK);
	assert_int_equal(count_live(t), 2);
	assert_int_equal(otk_asset_store_remove(&t->s, &fi), OTK_ENOTFOUND);
	/* format */
	assert_int_equal(otk_asset_store_format(&t->s), OTK_OK);
	assert_int_equal(count_live(t), 0);
	assert_int_equal(t->ff.violations, 0);
	free(a.data);
	free(a2.data);
	free(b.data);
	free(c.data);
	tdev_free(t);
}

static void test_state_log(void **state)
{
	(void)state;
	struct tdev *t = tdev_new(STORE_SIZE);
	assert_int_equal(mount(t), OTK_OK);
	/* enough changes to wrap both blocks several times */
	for (int i = 0; i < 2000; i++) {
		uint8_t st = (uint8_t)(1 + (i & 1));
		assert_int_equal(otk_asset_store_set_state(&t->s, st), OTK_OK);
		if (i % 97 == 0) {
			assert_int_equal(mount(t), OTK_OK);
			assert_int_equal(otk_asset_store_state(&t->s), st);
		}
	}
	assert_int_equal(otk_asset_store_set_state(&t->s, 3), OTK_EINVAL);
	/* the record format on flash (docs/asset-storage.md), written by hand:
	 * "OTKS", sequence, state, CRC-32 of the first 12 bytes, in block 1
	 * after erasing both blocks; a higher sequence in block 0 that fails
	 * its CRC does not count */
	memset(t->ff.mem, 0xFF, 2 * 4096);
	uint8_t r[16] = { 'O', 'T', 'K', 'S', 7, 0, 0, 0, OTK_ASSET_STATE_HANDLED, 0, 0, 0 };
	otk_put_le32(r + 12, otk_crc32_update(0, r, 12));
	memcpy(t->ff.mem + 4096 + 32, r, sizeof r);
	r[4] = 8;
	r[8] = OTK_ASSET_STATE_WANT;
	memcpy(t->ff.mem, r, sizeof r);   /* CRC now wrong */
	ff_forget_programmed(&t->ff);
	assert_int_equal(mount(t), OTK_OK);
	assert_int_equal(otk_asset_store_state(&t->s), OTK_ASSET_STATE_HANDLED);
	/* the next record goes after it, with the next sequence */
	assert_int_equal(otk_asset_store_set_state(&t->s, OTK_ASSET_STATE_WANT), OTK_OK);
	assert_int_equal(otk_le32(t->ff.mem + 4096 + 48 + 4), 8);
	assert_int_equal(t->ff.mem[4096 + 48 + 8], OTK_ASSET_STATE_WANT);
	/* power cuts around a state change: old or new, never anything else;
	 * on the plain flash, then program-once with torn writes */
	for (unsigned long cut = 1; cut <= 4; cut++) {
		ff_strict(&t->ff, cut > 2);
		for (int i = 0; i < 300; i++) {
			assert_int_equal(mount(t), OTK_OK);
			uint8_t before = otk_asset_store_state(&t->s);
			uint8_t want = before == OTK_ASSET_STATE_WANT ? OTK_ASSET_STATE_HANDLED
								      : OTK_ASSET_STATE_WANT;
			t->ff.cut_at = t->ff.ops + (cut - 1) % 2 + 1;
			int rc = otk_asset_store_set_state(&t->s, want);
			ff_power_on(&t->ff);
			assert_int_equal(mount(t), OTK_OK);
			uint8_t after = otk_asset_store_state(&t->s);
			if (rc == OTK_OK)
				assert_int_equal(after, want);
			else
				assert_true(after == before || after == want);
		}
	}
	assert_int_equal(t->ff.violations, 0);
	tdev_free(t);
}

/* --- power cuts during installation ------------------------------------- */

struct cut_scn {
	struct img old_a;     /* stored before the update */
	struct img keep;      /* stored before, untouched by the update */
	struct img new_a;     /* replaces old_a */
	struct img b;         /* new asset */
};

/* Stage new_a then b in staging; returns staging offsets in off[2]. */
static void stage(struct tdev *t, const struct cut_scn *s, uint32_t off[2])
{
	off[0] = 0;
	off[1] = (uint32_t)((s->new_a.len + 4095) & ~4095u);
	memcpy(t->ff.mem + STAGE_OFF + off[0], s->new_a.data, s->new_a.len);
	memcpy(t->ff.mem + STAGE_OFF + off[1], s->b.data, s->b.len);
}

/* After a power-on: the store holds old or new A, keep, and b or nothing. */
static void check_consistent(struct tdev *t, const struct cut_scn *s, unsigned long cut)
{
	unsigned removed;
	assert_int_equal(mount(t), OTK_OK);
	/* before validation (listing skips dead and superseded files) ... */
	if (stored_is(t, s->old_a) == stored_is(t, s->new_a))
		fail_msg("cut %lu: before validation, old A and new A both %d", cut,
			 stored_is(t, s->new_a));
	/* ... and after */
	assert_int_equal(otk_asset_store_validate(&t->s, &removed), OTK_OK);
	bool olda = stored_is(t, s->old_a), newa = stored_is(t, s->new_a);
	if (olda == newa)
		fail_msg("cut %lu: old A %d new A %d", cut, olda, newa);
	if (!stored_is(t, s->keep))
		fail_msg("cut %lu: untouched asset lost", cut);
	struct otk_asset_info f;
	if (otk_asset_store_find(&t->s, s->b.name, strlen(s->b.name), NULL, &f) == OTK_OK &&
	    !stored_is(t, s->b))
		fail_msg("cut %lu: B listed but not intact", cut);
	int n = count_live(t);
	if (n != 2 && n != 3)
		fail_msg("cut %lu: %d files", cut, n);
}

static unsigned long run_cut(struct tdev *t, const uint8_t *factory, const struct cut_scn *s,
			     unsigned long cut, unsigned long cut2)
{
	uint32_t off[2];
	memcpy(t->ff.mem, factory, t->ff.size);
	ff_forget_programmed(&t->ff);
	ff_strict(&t->ff, g_strict);
	t->ff.ops = t->ff.writes = t->ff.erases = t->ff.reads = 0;
	t->ff.dead = false;
	t->ff.cut_at = cut;
	stage(t, s, off);
	const struct img *m[2] = { &s->new_a, &s->b };
	for (int cycle = 0;; cycle++) {
		if (cycle > 0) {
			assert_true(t->ff.dead);
			ff_power_on(&t->ff);
			check_consistent(t, s, cut);
			if (cut2) {
				t->ff.cut_at = t->ff.ops + cut2;
				cut2 = 0;
			}
		}
		if (cycle >= 6)
			fail_msg("cut %lu: no progress", cut);
		/* boot: mount, validate, then (re)do the installation */
		int rc = mount(t);
		if (t->ff.dead)
			continue;
		assert_int_equal(rc, OTK_OK);
		rc = otk_asset_store_validate(&t->s, NULL);
		if (t->ff.dead)
			continue;
		assert_int_equal(rc, OTK_OK);
		for (int i = 0; i < 2 && !t->ff.dead; i++) {
			rc = otk_asset_store_add_from_flash(&t->s, &t->stage_fa, off[i],
							    (uint32_t)m[i]->len, NULL);
			if (!t->ff.dead)
				assert_int_equal(rc, OTK_OK);
		}
		if (t->ff.dead)
			continue;
		unsigned long ops = t->ff.ops;
		check_consistent(t, s, cut);
		assert_true(stored_is(t, s->new_a) && stored_is(t, s->b));
		assert_int_equal(count_live(t), 3);
		assert_int_equal(t->ff.violations, 0);
		return ops;
	}
}

static void every_cut(const char *what, uint32_t store_size)
{
	struct cut_scn s;
	s.old_a = mk_asset("a.bin", 10000, 11, true);
	s.keep = mk_asset("keep.txt", 700, 12, true);
	s.new_a = mk_asset("a.bin", 12000, 13, true);
	s.b = mk_asset("b.dat", 9000, 14, false);
	struct tdev *t = tdev_new(store_size);
	/* factory: old A and keep stored, the rest of the store full of junk */
	uint32_t seed = 5;
	otk_test_random(&seed, t->ff.mem, store_size);
	assert_int_equal(mount(t), OTK_OK);
	assert_int_equal(otk_asset_store_format(&t->s), OTK_OK);
	assert_int_equal(store_img(t, s.old_a, NULL), OTK_OK);
	assert_int_equal(store_img(t, s.keep, NULL), OTK_OK);
	/* junk in the free space: a missing erase must show */
	uint32_t used = 8u * 4096u;
	otk_test_random(&seed, t->ff.mem + used, store_size - used);
	uint8_t *factory = malloc(t->ff.size);
	memcpy(factory, t->ff.mem, t->ff.size);
	unsigned long total = run_cut(t, factory, &s, 0, 0);
	assert_true(total > 6);
	for (unsigned long cut = 1; cut <= total; cut++)
		run_cut(t, factory, &s, cut, 0);
	unsigned long doubles = 0;
	for (unsigned long cut = 1; cut <= total; cut++)
		for (unsigned long cut2 = 1; cut2 <= 6; cut2++, doubles++)
			run_cut(t, factory, &s, cut, cut2);
	print_message("%s%s: %lu cut points, plus %lu double cuts\n", what,
		      g_strict ? " (program-once, torn writes)" : "", total, doubles);
	free(factory);
	free(s.old_a.data);
	free(s.keep.data);
	free(s.new_a.data);
	free(s.b.data);
	tdev_free(t);
}

static void test_cut_install(void **state)
{
	(void)state;
	for (int strict = 0; strict < 2; strict++) {
		g_strict = strict;
		every_cut("install, write unit 8", STORE_SIZE);
		g_align = 1;
		every_cut("install, write unit 1", STORE_SIZE);
		g_align = 256;
		every_cut("install, write unit 256", STORE_SIZE);
		g_align = 8;
	}
	g_strict = false;
}

/* --- limits and bad files --------------------------------------------- */

static void test_full_and_too_big(void **state)
{
	(void)state;
	/* 40 blocks: the largest module is 24 blocks */
	struct tdev *t = tdev_new(40u * 4096u);
	assert_int_equal(mount(t), OTK_OK);
	assert_int_equal(otk_asset_store_format(&t->s), OTK_OK);
	uint32_t max = otk_asset_store_max_module(&t->s);
	assert_int_equal(max, 24u * 4096u);
	assert_int_equal(otk_asset_store_write_begin(&t->s, max + 1), OTK_EASSET_TOOBIG);
	assert_int_equal(otk_asset_store_free_blocks(&t->s), 38);
	/* incompressible 20000-byte assets take 5 blocks each: 7 fit in 38 */
	char name[16];
	int stored = 0, rc = OTK_OK;
	struct img keep[8];
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof name, "f%d", i);
		keep[i] = mk_asset(name, 20000, (uint32_t)(100 + i), false);
		keep[i].name = NULL;
		rc = store_img(t, keep[i], NULL);
		if (rc)
			break;
		stored++;
	}
	assert_int_equal(rc, OTK_EASSET_NOSPC);
	assert_int_equal(stored, 7);
	assert_int_equal(count_live(t), 7);
	/* a failed begin leaves the store as it was */
	assert_int_equal(mount(t), OTK_OK);
	assert_int_equal(otk_asset_store_validate(&t->s, NULL), OTK_OK);
	assert_int_equal(count_live(t), 7);
	/* freeing one makes room again */
	struct otk_asset_info f;
	assert_int_equal(otk_asset_store_find(&t->s, "f3", 2, NULL, &f), OTK_OK);
	assert_int_equal(otk_asset_store_remove(&t->s, &f), OTK_OK);
	assert_int_equal(store_img(t, keep[7], NULL), OTK_OK);
	for (int i = 0; i < 8; i++)
		free(keep[i].data);
	assert_int_equal(t->ff.violations, 0);
	tdev_free(t);
}

static void test_corrupt_and_invalid(void **state)
{
	(void)state;
	struct tdev *t = tdev_new(STORE_SIZE);
	assert_int_equal(mount(t), OTK_OK);
	assert_int_equal(otk_asset_store_format(&t->s), OTK_OK);
	struct img a = mk_asset("a", 5000, 1, true);
	struct img b = mk_asset("b", 5000, 2, true);
	struct otk_asset_info fa, fb;
	assert_int_equal(store_img(t, a, &fa), OTK_OK);
	assert_int_equal(store_img(t, b, &fb), OTK_OK);
	/* a bit flips in a's stored module: validation deletes it */
	t->ff.mem[fa.block * 4096u + 400] &= 0xFE;
	t->ff.mem[fa.block * 4096u + 401] &= 0xEF;
	unsigned removed;
	assert_int_equal(mount(t), OTK_OK);
	assert_int_equal(otk_asset_store_validate(&t->s, &removed), OTK_OK);
	assert_int_equal(removed, 1);
	assert_false(stored_is(t, a));
	assert_true(stored_is(t, b));
	/* a damaged header is no file at all */
	t->ff.mem[fb.block * 4096u + 10] ^= 0x01;
	assert_int_equal(mount(t), OTK_OK);
	assert_int_equal(count_live(t), 0);

	/* modules the store refuses at finish, leaving nothing behind */
	assert_int_equal(otk_asset_store_format(&t->s), OTK_OK);
	struct img bad = mk_asset("x", 3000, 3, true);
	bad.data[200] ^= 0x40;   /* CRC */
	assert_int_equal(store_img(t, bad, NULL), OTK_EASSET_INVALID);
	bad.data[200] ^= 0x40;
	bad.data[14] = OTK_FUNC_USER;  /* function byte of the prefix */
	assert_int_equal(otk_module_seal(bad.data, bad.len), OTK_OK);
	assert_int_equal(store_img(t, bad, NULL), OTK_EASSET_INVALID);
	uint8_t junk[600];
	memset(junk, 0x5A, sizeof junk);
	assert_int_equal(otk_asset_store_write_begin(&t->s, sizeof junk), OTK_OK);
	assert_int_equal(otk_asset_store_write(&t->s, junk, sizeof junk), OTK_OK);
	assert_int_equal(otk_asset_store_write(&t->s, junk, 1), OTK_EUPD_SIZE);
	assert_int_equal(otk_asset_store_write_finish(&t->s, NULL), OTK_EASSET_INVALID);
	assert_int_equal(otk_asset_store_write_finish(&t->s, NULL), OTK_EUPD_STATE);
	/* a name over the limit */
	char longname[80];
	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	struct img ln = mk_asset(longname, 100, 4, true);
	assert_int_equal(store_img(t, ln, NULL), OTK_EASSET_NAME);
	assert_int_equal(count_live(t), 0);
	assert_int_equal(mount(t), OTK_OK);
	assert_int_equal(otk_asset_store_validate(&t->s, &removed), OTK_OK);
	assert_int_equal(count_live(t), 0);
	/* and the space is usable again */
	assert_int_equal(store_img(t, a, NULL), OTK_OK);
	assert_true(stored_is(t, a));
	assert_int_equal(t->ff.violations, 0);
	free(a.data);
	free(b.data);
	free(bad.data);
	free(ln.data);
	tdev_free(t);
}

static void test_retain(void **state)
{
	(void)state;
	struct tdev *t = tdev_new(STORE_SIZE);
	assert_int_equal(mount(t), OTK_OK);
	assert_int_equal(otk_asset_store_format(&t->s), OTK_OK);
	struct img a = mk_asset("a", 1000, 1, true);
	struct img b = mk_asset("b", 1000, 2, true);
	struct img c = mk_asset("c", 1000, 3, true);
	assert_int_equal(store_img(t, a, NULL), OTK_OK);
	assert_int_equal(store_img(t, b, NULL), OTK_OK);
	assert_int_equal(store_img(t, c, NULL), OTK_OK);
	/* the new app needs a and c (c with another hash): b and c go */
	struct otk_asset_id keep[2];
	memset(keep, 0, sizeof keep);
	keep[0].name_len = 1;
	strcpy(keep[0].name, "a");
	memcpy(keep[0].hash, a.hash, OTK_SHA256_LEN);
	keep[1].name_len = 1;
	strcpy(keep[1].name, "c");
	memset(keep[1].hash, 0x11, OTK_SHA256_LEN);
	unsigned removed;
	assert_int_equal(otk_asset_store_retain(&t->s, keep, 2, &removed), OTK_OK);
	assert_int_equal(removed, 2);
	assert_true(stored_is(t, a));
	assert_false(stored_is(t, b));
	assert_false(stored_is(t, c));
	assert_int_equal(count_live(t), 1);
	free(a.data);
	free(b.data);
	free(c.data);
	tdev_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_state_log),
		cmocka_unit_test(test_full_and_too_big),
		cmocka_unit_test(test_corrupt_and_invalid),
		cmocka_unit_test(test_retain),
		cmocka_unit_test(test_cut_install),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Asset API: Device OS semantics (required / available / onAssetOta /
 * assetsHandled, safe mode on missing assets, install from staging) and the
 * read stream against the original bytes for every read, peek, skip, seek
 * and reset pattern, on compressed (window 15 and 9) and raw modules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeflash.h"
#include "otk/asset_api.h"
#include "otk/asset_store.h"
#include "otk/assets.h"
#include "otk/boot.h"
#include "otk/error.h"
#include "otk/modtool.h"
#include "otk/module.h"
#include "otk/sha256.h"
#include "otk/update.h"
#include "testutil.h"

#define STORE_SIZE (288u * 4096u)
#define STAGE_SIZE (160u * 4096u)
#define APP_SIZE (16u * 4096u)

struct tdev {
	struct fakeflash ff;
	struct otk_flash_area store_fa, stage_fa, app_fa;
	struct otk_asset_store s;
	struct otk_assets a;
	uint8_t buf[1024];
	struct otk_inflate inf;
	uint8_t window[32768];
	uint8_t rbuf[256];
};

struct asset {
	const char *name;
	uint8_t *raw;
	size_t len;
	uint8_t *mod;
	size_t mod_len;
	uint8_t hash[OTK_SHA256_LEN];
};

static struct tdev *tdev_new(void)
{
	struct tdev *t = calloc(1, sizeof(*t));
	ff_init(&t->ff, STORE_SIZE + STAGE_SIZE + APP_SIZE, 4096, 8);
	struct otk_flash_area a = { &ff_ops, &t->ff, 0, STORE_SIZE, 4096, 8, 0xFF, 0 };
	t->store_fa = a;
	a.dev_off = a.addr = STORE_SIZE;
	a.size = STAGE_SIZE;
	t->stage_fa = a;
	a.dev_off = a.addr = STORE_SIZE + STAGE_SIZE;
	a.size = APP_SIZE;
	t->app_fa = a;
	assert_int_equal(otk_asset_store_init(&t->s, &t->store_fa, t->buf, sizeof t->buf), OTK_OK);
	assert_int_equal(otk_asset_store_format(&t->s), OTK_OK);
	return t;
}

static void tdev_free(struct tdev *t)
{
	ff_free(&t->ff);
	free(t);
}

/* wbits 0: uncompressed module */
static struct asset mk(const char *name, size_t len, uint32_t seed, int wbits)
{
	struct asset x;
	x.name = name;
	x.len = len;
	x.raw = malloc(len ? len : 1);
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		x.raw[i] = (uint8_t)((i % 700 < 300) ? (uint8_t)(seed >> 24) : (uint8_t)"{\"a\":\"JSON example\"}"[i % 20]);
	}
	otk_sha256(x.raw, len, x.hash);
	if (wbits == 15 || wbits == 0) {
		assert_int_equal(otk_asset_module_create(x.raw, len, name, 0, wbits != 0, &x.mod,
							 &x.mod_len), OTK_OK);
	} else {
		uint8_t *plain;
		size_t plen;
		assert_int_equal(otk_asset_module_create(x.raw, len, name, 0, false, &plain, &plen),
				 OTK_OK);
		struct otk_compress_opts o = { 9, wbits };
		assert_int_equal(otk_module_compress(plain, plen, &o, &x.mod, &x.mod_len), OTK_OK);
		free(plain);
	}
	return x;
}

static void asset_free(struct asset *x)
{
	free(x->raw);
	free(x->mod);
}

static void store(struct tdev *t, const struct asset *x, struct otk_asset_info *info)
{
	memcpy(t->ff.mem + t->stage_fa.dev_off, x->mod, x->mod_len);
	assert_int_equal(otk_asset_store_add_from_flash(&t->s, &t->stage_fa, 0, (uint32_t)x->mod_len,
							info), OTK_OK);
}

static void open_reader(struct tdev *t, struct otk_asset_reader *r, const struct otk_asset_info *f)
{
	assert_int_equal(otk_asset_reader_open(r, &t->s, f, &t->inf, t->window, sizeof t->window,
					       t->rbuf, sizeof t->rbuf), OTK_OK);
}

/* --- read stream ------------------------------------------------------- */

static void read_all_chunks(struct tdev *t, const struct otk_asset_info *f, const struct asset *x)
{
	static const size_t chunks[] = { 1, 3, 7, 64, 511, 512, 4096, 100000 };
	uint8_t *out = malloc(x->len + 1);
	struct otk_asset_reader r;
	open_reader(t, &r, f);
	for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
		assert_int_equal(otk_asset_reader_reset(&r), OTK_OK);
		size_t got = 0;
		for (;;) {
			size_t want = chunks[c];
			long n = otk_asset_reader_read(&r, out + got, want > x->len + 1 - got ? x->len + 1 - got : want);
			if (n == OTK_EASSET_EOF)
				break;
			if (n <= 0)
				fail_msg("%s chunk %zu at %zu: %ld", x->name, chunks[c], got, n);
			/* fills the buffer unless the asset ends */
			if ((size_t)n < want)
				assert_int_equal(got + (size_t)n, x->len);
			got += (size_t)n;
			assert_int_equal(otk_asset_reader_available(&r), x->len - got);
		}
		assert_int_equal(got, x->len);
		assert_memory_equal(out, x->raw, x->len);
		/* end of stream is sticky */
		assert_int_equal(otk_asset_reader_read(&r, out, 1), OTK_EASSET_EOF);
		assert_int_equal(otk_asset_reader_peek(&r, out, 1), OTK_EASSET_EOF);
		assert_int_equal(otk_asset_reader_skip(&r, 1), OTK_EASSET_EOF);
	}
	free(out);
}

/* Random sequences of operations checked against the original bytes. */
static void random_ops(struct tdev *t, const struct otk_asset_info *f, const struct asset *x,
		       uint32_t seed, int rounds)
{
	struct otk_asset_reader r;
	uint8_t tmp[700], pk[200];
	size_t pos = 0;
	open_reader(t, &r, f);
	for (int i = 0; i < rounds; i++) {
		seed = seed * 1664525u + 1013904223u;
		uint32_t op = (seed >> 8) % 6, arg = (seed >> 12);
		long n;
		switch (op) {
		case 0: /* read */
			n = otk_asset_reader_read(&r, tmp, 1 + arg % sizeof tmp);
			if (pos == x->len) {
				assert_int_equal(n, OTK_EASSET_EOF);
				break;
			}
			assert_true(n > 0);
			assert_memory_equal(tmp, x->raw + pos, (size_t)n);
			pos += (size_t)n;
			break;
		case 1: /* peek */
			n = otk_asset_reader_peek(&r, pk, 1 + arg % sizeof pk);
			if (pos == x->len) {
				assert_int_equal(n, OTK_EASSET_EOF);
				break;
			}
			assert_true(n > 0);
			assert_memory_equal(pk, x->raw + pos, (size_t)n);
			break;
		case 2: /* skip */
			n = otk_asset_reader_skip(&r, arg % 3000);
			if (pos == x->len) {
				assert_int_equal(n, OTK_EASSET_EOF);
				break;
			}
			assert_true(n >= 0);
			pos += (size_t)n;
			break;
		case 3: { /* seek anywhere, backwards too */
			uint32_t to = arg % (uint32_t)(x->len + 1);
			assert_int_equal(otk_asset_reader_seek(&r, to), OTK_OK);
			pos = to;
			break;
		}
		case 4: /* reset */
			if (arg % 4 == 0) {
				assert_int_equal(otk_asset_reader_reset(&r), OTK_OK);
				pos = 0;
			}
			break;
		default: /* seek to the end or just before it */
			if (arg % 8 == 0) {
				uint32_t to = (uint32_t)x->len - (arg % 2 ? 1 : 0);
				assert_int_equal(otk_asset_reader_seek(&r, to), OTK_OK);
				pos = to;
			}
			break;
		}
		assert_int_equal(otk_asset_reader_tell(&r), pos);
		assert_int_equal(otk_asset_reader_available(&r), x->len - pos);
	}
	assert_int_equal(otk_asset_reader_seek(&r, (uint32_t)x->len + 1), OTK_ERANGE);
}

static void test_stream(void **state)
{
	(void)state;
	struct tdev *t = tdev_new();
	const struct {
		const char *name;
		size_t len;
		int wbits;
	} cases[] = {
		{ "c15.bin", 40000, 15 }, { "c9.bin", 20000, 9 }, { "raw.bin", 15000, 0 },
		{ "test1.json", 44, 15 }, { "one", 1, 15 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct asset x = mk(cases[i].name, cases[i].len, (uint32_t)(i + 1), cases[i].wbits);
		struct otk_asset_info f;
		store(t, &x, &f);
		assert_int_equal(otk_asset_info_size(&f), x.len);
		assert_int_equal(otk_asset_info_storage_size(&f), x.mod_len);
		assert_string_equal(otk_asset_info_name(&f), x.name);
		assert_memory_equal(otk_asset_info_hash(&f), x.hash, OTK_SHA256_LEN);
		assert_int_equal(f.compressed, cases[i].wbits != 0);
		if (cases[i].wbits)
			assert_int_equal(f.window_bits, cases[i].wbits);
		read_all_chunks(t, &f, &x);
		random_ops(t, &f, &x, (uint32_t)(77 + i), 3000);
		/* every seek position in turn, backwards from the end */
		struct otk_asset_reader r;
		open_reader(t, &r, &f);
		size_t step = x.len > 2000 ? x.len / 37 : 1;
		for (size_t p = x.len; p + step > step; p = p >= step ? p - step : (size_t)-1) {
			uint8_t b[16];
			assert_int_equal(otk_asset_reader_seek(&r, (uint32_t)p), OTK_OK);
			long n = otk_asset_reader_read(&r, b, sizeof b);
			if (p == x.len) {
				assert_int_equal(n, OTK_EASSET_EOF);
			} else {
				size_t want = x.len - p < sizeof b ? x.len - p : sizeof b;
				assert_int_equal(n, (long)want);
				assert_memory_equal(b, x.raw + p, want);
			}
			if (p == 0)
				break;
		}
		/* a window too small for the module */
		if (cases[i].wbits == 15)
			assert_int_equal(otk_asset_reader_open(&r, &t->s, &f, &t->inf, t->window, 512,
							       t->rbuf, sizeof t->rbuf), OTK_EINVAL);
		if (cases[i].wbits == 9) {
			/* ... while 512 bytes are enough for window 9 */
			assert_int_equal(otk_asset_reader_open(&r, &t->s, &f, &t->inf, t->window, 512,
							       t->rbuf, sizeof t->rbuf), OTK_OK);
			uint8_t *all = malloc(x.len);
			assert_int_equal(otk_asset_reader_read(&r, all, x.len), (long)x.len);
			assert_memory_equal(all, x.raw, x.len);
			free(all);
		}
		asset_free(&x);
	}
	assert_int_equal(t->ff.violations, 0);
	tdev_free(t);
}

/* A stored module whose deflate data is corrupt (CRC patched to match):
 * the stream reports an error instead of wrong bytes. */
static void test_stream_corrupt(void **state)
{
	(void)state;
	struct tdev *t = tdev_new();
	struct asset x = mk("bad", 30000, 9, 15);
	x.mod[60] ^= 0x55;
	x.mod[61] ^= 0xAA;
	assert_int_equal(otk_module_seal(x.mod, x.mod_len), OTK_OK);
	struct otk_asset_info f;
	store(t, &x, &f);
	struct otk_asset_reader r;
	open_reader(t, &r, &f);
	uint8_t *out = malloc(x.len);
	long n = otk_asset_reader_read(&r, out, x.len);
	bool wrong = n < 0 || memcmp(out, x.raw, x.len) != 0;
	assert_true(wrong);
	if (n < 0)
		assert_true(n == OTK_EASSET_INVALID);
	free(out);
	asset_free(&x);
	tdev_free(t);
}

/* --- System.* semantics --------------------------------------------------- */

struct hctx {
	int calls;
	int available;
	size_t bytes;
	bool mark;
	bool handled;
};

static void handler(void *ctx, struct otk_assets *a)
{
	struct hctx *h = ctx;
	struct otk_asset_info info[4];
	h->calls++;
	h->available = otk_assets_available(a, info, 4);
	/* as the seed's example: read each asset in 512-byte pieces */
	static struct otk_inflate inf;
	static uint8_t window[32768];
	uint8_t rb[128], piece[512];
	for (int i = 0; i < h->available && i < 4; i++) {
		struct otk_asset_reader r;
		assert_int_equal(otk_asset_reader_open(&r, a->store, &info[i], &inf, window,
						       sizeof window, rb, sizeof rb), OTK_OK);
		long n;
		while ((n = otk_asset_reader_read(&r, piece, sizeof piece)) > 0)
			h->bytes += (size_t)n;
		assert_int_equal(n, OTK_EASSET_EOF);
	}
	if (h->mark)
		assert_int_equal(otk_assets_handled(a, h->handled), OTK_OK);
}

/* Put an app with these asset dependencies in the app area; returns its size. */
static uint32_t put_app(struct tdev *t, const struct asset *deps, size_t n)
{
	struct otk_module_spec spec;
	memset(&spec, 0, sizeof spec);
	spec.prefix.platform = 13;     /* boron: suffix platform */
	spec.prefix.function = OTK_FUNC_USER;
	spec.prefix.index = 1;
	spec.prefix.version = 6;
	spec.start = 0xB4000;
	spec.product = true;
	uint8_t body[3000];
	memset(body, 0x42, sizeof body);
	uint8_t app[4000];
	size_t alen;
	assert_int_equal(otk_module_build(&spec, body, sizeof body, app, sizeof app, &alen), OTK_OK);
	struct otk_asset_ref refs[4];
	for (size_t i = 0; i < n; i++) {
		refs[i].name = deps[i].name;
		refs[i].name_len = strlen(deps[i].name);
		memcpy(refs[i].hash, deps[i].hash, OTK_SHA256_LEN);
	}
	uint8_t *out;
	size_t olen;
	assert_int_equal(otk_assets_set_deps(app, alen, refs, n, &out, &olen, NULL), OTK_OK);
	memset(t->ff.mem + t->app_fa.dev_off, 0xFF, APP_SIZE);
	memcpy(t->ff.mem + t->app_fa.dev_off, out, olen);
	free(out);
	return (uint32_t)olen;
}

static void test_system_api(void **state)
{
	(void)state;
	struct tdev *t = tdev_new();
	struct asset logo = mk("logo.png", 2466, 1, 15);
	struct asset json = mk("test1.json", 44, 2, 15);
	struct asset old = mk("old.bin", 500, 3, 15);
	struct asset deps[2] = { logo, json };

	/* an asset from an older app is stored */
	store(t, &old, NULL);
	assert_int_equal(otk_asset_store_set_state(&t->s, OTK_ASSET_STATE_HANDLED), OTK_OK);

	/* the app's dependency list, read from flash */
	uint32_t alen = put_app(t, deps, 2);
	struct otk_asset_id req[4];
	int nreq = otk_assets_deps_read(&t->app_fa, 0, alen, t->buf, sizeof t->buf, req, 4);
	assert_int_equal(nreq, 2);
	assert_string_equal(req[0].name, "logo.png");
	assert_memory_equal(req[1].hash, json.hash, OTK_SHA256_LEN);
	assert_int_equal(otk_assets_deps_read(&t->app_fa, 0, alen, t->buf, sizeof t->buf, req, 1),
			 OTK_ENOSPC);
	nreq = otk_assets_deps_read(&t->app_fa, 0, alen, t->buf, sizeof t->buf, req, 4);

	/* boot: both missing -> safe mode */
	otk_assets_init(&t->a, &t->s, req, (size_t)nreq);
	assert_int_equal(otk_assets_boot(&t->a), OTK_EASSET_MISSING);
	assert_int_equal(t->a.missing, 2);
	struct otk_asset_id r2[4];
	assert_int_equal(otk_assets_required(&t->a, r2, 4), 2);
	assert_string_equal(r2[1].name, "test1.json");
	struct otk_asset_info av[4];
	assert_int_equal(otk_assets_available(&t->a, av, 4), 0);

	/* the cloud sends the missing ones; the old asset is dropped */
	memcpy(t->ff.mem + t->stage_fa.dev_off, logo.mod, logo.mod_len);
	assert_int_equal(otk_assets_install(&t->a, &t->stage_fa, 0, (uint32_t)logo.mod_len, NULL),
			 OTK_OK);
	assert_int_equal(otk_assets_state(&t->a), OTK_ASSET_STATE_WANT);
	assert_int_equal(otk_asset_store_find(&t->s, "old.bin", 7, NULL, NULL), OTK_ENOTFOUND);
	assert_int_equal(otk_assets_boot(&t->a), OTK_EASSET_MISSING);
	assert_int_equal(t->a.missing, 1);
	memcpy(t->ff.mem + t->stage_fa.dev_off, json.mod, json.mod_len);
	assert_int_equal(otk_assets_install(&t->a, &t->stage_fa, 0, (uint32_t)json.mod_len, NULL),
			 OTK_OK);

	/* reboot: everything there, handler runs once with both */
	struct hctx h = { 0, 0, 0, false, false };
	assert_int_equal(otk_asset_store_init(&t->s, &t->store_fa, t->buf, sizeof t->buf), OTK_OK);
	otk_assets_init(&t->a, &t->s, req, (size_t)nreq);
	otk_assets_on_ota(&t->a, handler, &h);
	assert_int_equal(otk_assets_boot(&t->a), OTK_OK);
	assert_int_equal(otk_assets_run_handler(&t->a), 1);
	assert_int_equal(otk_assets_run_handler(&t->a), 0);
	assert_int_equal(h.calls, 1);
	assert_int_equal(h.available, 2);
	assert_int_equal(h.bytes, 2466 + 44);
	/* not marked handled: WANT, so it runs again at the next boot */
	otk_assets_init(&t->a, &t->s, req, (size_t)nreq);
	otk_assets_on_ota(&t->a, handler, &h);
	assert_int_equal(otk_assets_boot(&t->a), OTK_OK);
	h.mark = true;
	h.handled = true;
	assert_int_equal(otk_assets_run_handler(&t->a), 1);
	assert_int_equal(otk_assets_state(&t->a), OTK_ASSET_STATE_HANDLED);
	/* HANDLED persists: no call after a reboot, assets still available */
	assert_int_equal(otk_asset_store_init(&t->s, &t->store_fa, t->buf, sizeof t->buf), OTK_OK);
	otk_assets_init(&t->a, &t->s, req, (size_t)nreq);
	otk_assets_on_ota(&t->a, handler, &h);
	assert_int_equal(otk_assets_boot(&t->a), OTK_OK);
	assert_int_equal(otk_assets_run_handler(&t->a), 0);
	assert_int_equal(h.calls, 2);
	assert_int_equal(otk_assets_available(&t->a, av, 4), 2);
	assert_string_equal(av[0].id.name, "logo.png");
	assert_int_equal(av[1].size, 44);
	/* assetsHandled(false): WANT again */
	assert_int_equal(otk_assets_handled(&t->a, false), OTK_OK);
	assert_int_equal(otk_assets_state(&t->a), OTK_ASSET_STATE_WANT);
	/* no handler registered: nothing runs */
	otk_assets_init(&t->a, &t->s, req, (size_t)nreq);
	assert_int_equal(otk_assets_run_handler(&t->a), 0);

	/* a new app that only needs the JSON: installing for it drops the logo,
	 * and with both stored but only one required, available lists one */
	struct asset only[1] = { json };
	alen = put_app(t, only, 1);
	nreq = otk_assets_deps_read(&t->app_fa, 0, alen, t->buf, sizeof t->buf, req, 4);
	assert_int_equal(nreq, 1);
	otk_assets_init(&t->a, &t->s, req, (size_t)nreq);
	assert_int_equal(otk_assets_boot(&t->a), OTK_OK);
	assert_int_equal(otk_assets_available(&t->a, av, 4), 1);
	assert_int_equal(otk_asset_store_retain(&t->s, req, (size_t)nreq, NULL), OTK_OK);
	assert_int_equal(otk_asset_store_find(&t->s, "logo.png", 8, NULL, NULL), OTK_ENOTFOUND);

	/* an app without assets */
	alen = put_app(t, NULL, 0);
	assert_int_equal(otk_assets_deps_read(&t->app_fa, 0, alen, t->buf, sizeof t->buf, req, 4), 0);
	assert_int_equal(t->ff.violations, 0);
	asset_free(&logo);
	asset_free(&json);
	asset_free(&old);
	tdev_free(t);
}

/* Real fixtures: the reference tool's tracker app with 3 asset dependencies. */
static void test_fixture_deps(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	struct tdev *t = tdev_new();
	char *p = otk_test_path("%s/fixtures/particle/golden/tracker-tinker@5.3.1+3assets.bin",
				otk_test_shared());
	size_t len;
	uint8_t *app = otk_test_read(p, &len);
	free(p);
	assert_true(len <= APP_SIZE);
	memcpy(t->ff.mem + t->app_fa.dev_off, app, len);
	struct otk_asset_id req[8];
	uint8_t big[4096];
	int n = otk_assets_deps_read(&t->app_fa, 0, (uint32_t)len, big, sizeof big, req, 8);
	assert_int_equal(n, 3);
	assert_string_equal(req[0].name, "btgap.a");
	assert_string_equal(req[1].name, "cat.jpg");
	assert_string_equal(req[2].name, "km4_image2_all.bin");
	/* the hash the app declares is the SHA-256 of the file */
	p = otk_test_path("%s/fixtures/particle/assets/btgap.a", otk_test_shared());
	size_t clen;
	uint8_t *cat = otk_test_read(p, &clen);
	free(p);
	uint8_t h[OTK_SHA256_LEN];
	otk_asset_hash(cat, clen, h);
	assert_memory_equal(req[0].hash, h, OTK_SHA256_LEN);
	/* store it as an asset module and read it back through the stream */
	uint8_t *mod;
	size_t mlen;
	assert_int_equal(otk_asset_module_create(cat, clen, "btgap.a", 0, true, &mod, &mlen), OTK_OK);
	memcpy(t->ff.mem + t->stage_fa.dev_off, mod, mlen);
	otk_assets_init(&t->a, &t->s, req, (size_t)n);
	assert_int_equal(otk_assets_boot(&t->a), OTK_EASSET_MISSING);
	assert_int_equal(t->a.missing, 3);
	struct otk_asset_info f;
	assert_int_equal(otk_assets_install(&t->a, &t->stage_fa, 0, (uint32_t)mlen, &f), OTK_OK);
	assert_int_equal(otk_assets_boot(&t->a), OTK_EASSET_MISSING);
	assert_int_equal(t->a.missing, 2);
	struct otk_asset_reader r;
	open_reader(t, &r, &f);
	uint8_t *out = malloc(clen);
	assert_int_equal(otk_asset_reader_read(&r, out, clen), (long)clen);
	assert_memory_equal(out, cat, clen);
	free(out);
	free(mod);
	free(cat);
	free(app);
	tdev_free(t);
}

/* --- install path through the update engine, with power cuts ------------ */

struct udev {
	struct fakeflash ff;
	struct otk_device dev;
	struct otk_update u;
	struct otk_update_config cfg;
	struct otk_flash_area fa;
	struct otk_asset_store s;
	struct otk_assets a;
	uint8_t ubuf[1024], sbuf[1024];
	struct otk_inflate inf;
	uint8_t window[32768];
};

static int ustart(struct udev *t, const struct otk_asset_id *req, size_t n)
{
	int rc = otk_update_init(&t->u, &t->cfg);
	if (rc)
		return rc;
	if ((rc = otk_device_open(&t->dev, OTK_AREA_ASSETS, 0, &t->fa)))
		return rc;
	if ((rc = otk_asset_store_init(&t->s, &t->fa, t->sbuf, sizeof t->sbuf)))
		return rc;
	otk_assets_init(&t->a, &t->s, req, n);
	otk_update_set_assets(&t->u, &t->a);
	rc = otk_assets_boot(&t->a);
	return rc == OTK_EASSET_MISSING ? OTK_OK : rc;
}

static int udeliver(struct udev *t, const struct asset *x, unsigned *resumes)
{
	uint8_t sha[OTK_SHA256_LEN];
	otk_sha256(x->mod, x->mod_len, sha);
	struct otk_update_start st = { (uint32_t)x->mod_len, sha, 0, OTK_FUNC_ASSET, 0 };
	long off = otk_update_begin(&t->u, &st);
	if (off < 0)
		return (int)off;
	if (off > 0 && resumes)
		(*resumes)++;
	for (size_t pos = (size_t)off; pos < x->mod_len; pos += 512) {
		size_t n = x->mod_len - pos < 512 ? x->mod_len - pos : 512;
		int rc = otk_update_write(&t->u, (uint32_t)pos, x->mod + pos, n);
		if (rc)
			return rc;
	}
	return otk_update_finish(&t->u, OTK_FINISH_APPLY, NULL);
}

static bool ustored(struct udev *t, const struct asset *x)
{
	struct otk_asset_info f;
	if (otk_asset_store_find(&t->s, x->name, strlen(x->name), x->hash, &f))
		return false;
	struct otk_asset_reader r;
	uint8_t rb[128];
	if (otk_asset_reader_open(&r, &t->s, &f, &t->inf, t->window, sizeof t->window, rb, sizeof rb))
		return false;
	uint8_t *out = malloc(x->len + 1);
	long n = otk_asset_reader_read(&r, out, x->len + 1);
	bool ok = n == (long)x->len && memcmp(out, x->raw, x->len) == 0;
	free(out);
	return ok;
}

static struct udev *udev_new(void)
{
	struct udev *t = calloc(1, sizeof *t);
	ff_init(&t->ff, 0x200000, 4096, 8);
	t->dev.layout = otk_layout_by_platform(3);
	t->dev.platform = 3;
	t->dev.open = ff_open;
	t->dev.ctx = &t->ff;
	t->cfg.dev = &t->dev;
	t->cfg.buf = t->ubuf;
	t->cfg.buf_size = sizeof t->ubuf;
	t->cfg.inflate = &t->inf;
	t->cfg.window = t->window;
	t->cfg.window_size = sizeof t->window;
	return t;
}

static void test_update_install(void **state)
{
	(void)state;
	struct udev *t = udev_new();
	struct asset keep = mk("keep.txt", 3000, 21, 15);
	struct asset old = mk("old.bin", 2000, 22, 15);
	struct asset fresh = mk("fresh.bin", 30000, 23, 15);
	struct otk_asset_id req[2];
	memset(req, 0, sizeof req);
	req[0].name_len = 8;
	memcpy(req[0].name, "keep.txt", 8);
	memcpy(req[0].hash, keep.hash, OTK_SHA256_LEN);
	req[1].name_len = 9;
	memcpy(req[1].name, "fresh.bin", 9);
	memcpy(req[1].hash, fresh.hash, OTK_SHA256_LEN);

	/* without an asset store the engine refuses asset modules */
	assert_int_equal(otk_update_init(&t->u, &t->cfg), OTK_OK);
	assert_int_equal(udeliver(t, &keep, NULL), OTK_EUPD_UNSUPPORTED);

	/* factory: keep and old stored (by the engine), junk in staging */
	assert_int_equal(ustart(t, req, 2), OTK_OK);
	assert_int_equal(otk_asset_store_format(&t->s), OTK_OK);
	otk_assets_init(&t->a, &t->s, NULL, 0);
	memcpy(t->ff.mem + 0xB0000, old.mod, old.mod_len);
	assert_int_equal(otk_asset_store_add_from_flash(&t->s, &t->fa, 0, 0, NULL), OTK_EASSET_INVALID);
	struct otk_flash_area ota;
	assert_int_equal(otk_device_open(&t->dev, OTK_AREA_OTA, 0, &ota), OTK_OK);
	assert_int_equal(otk_asset_store_add_from_flash(&t->s, &ota, 0, (uint32_t)old.mod_len, NULL),
			 OTK_OK);
	assert_int_equal(ustart(t, req, 2), OTK_OK);
	assert_int_equal(udeliver(t, &keep, NULL), OTK_OK);
	assert_int_equal(otk_assets_state(&t->a), OTK_ASSET_STATE_WANT);
	assert_int_equal(otk_asset_store_set_state(&t->s, OTK_ASSET_STATE_HANDLED), OTK_OK);
	/* the old app's asset is gone: the current app does not require it */
	assert_int_equal(otk_asset_store_find(&t->s, "old.bin", 7, NULL, NULL), OTK_ENOTFOUND);
	assert_int_equal(ustart(t, req, 2), OTK_OK);
	assert_int_equal(t->a.missing, 1);
	/* too big at begin */
	struct otk_update_start big = { otk_asset_store_max_module(&t->s) + 1, NULL, 0,
					OTK_FUNC_ASSET, 0 };
	assert_int_equal(otk_update_begin(&t->u, &big), OTK_EASSET_TOOBIG);
	uint32_t seed = 3;
	otk_test_random(&seed, t->ff.mem + 0xB0000, 0x80000);
	uint8_t *factory = malloc(t->ff.size);
	memcpy(factory, t->ff.mem, t->ff.size);

	unsigned long total = 0, cuts = 0;
	unsigned resumes = 0;
	/* on the plain fake flash, then program-once with torn writes */
	for (unsigned long cut = 0, strict = 0; strict < 2; cut++) {
		if (cut > total && total) {
			cut = 0;
			strict++;
			if (strict == 2)
				break;
		}
		memcpy(t->ff.mem, factory, t->ff.size);
		ff_forget_programmed(&t->ff);
		ff_strict(&t->ff, strict);
		t->ff.ops = 0;
		t->ff.dead = false;
		t->ff.cut_at = cut;
		int cycle;
		for (cycle = 0; cycle < 6; cycle++) {
			if (t->ff.dead)
				ff_power_on(&t->ff);
			int rc = ustart(t, req, 2);
			if (t->ff.dead)
				continue;
			assert_int_equal(rc, OTK_OK);
			/* what was complete before the update is never lost */
			if (!ustored(t, &keep))
				fail_msg("cut %lu: keep.txt lost", cut);
			struct otk_asset_info f;
			if (otk_asset_store_find(&t->s, "fresh.bin", 9, NULL, &f) == OTK_OK) {
				if (!ustored(t, &fresh))
					fail_msg("cut %lu: fresh.bin stored but wrong", cut);
				assert_int_equal(t->a.missing, 0);
				break;
			}
			assert_int_equal(t->a.missing, 1);   /* safe mode: ask for it */
			rc = udeliver(t, &fresh, &resumes);
			if (t->ff.dead)
				continue;
			assert_int_equal(rc, OTK_OK);
			assert_int_equal(otk_assets_state(&t->a), OTK_ASSET_STATE_WANT);
		}
		if (cycle == 6)
			fail_msg("cut %lu: no progress", cut);
		if (cut == 0)
			total = t->ff.ops;
		else
			cuts++;
		if (total == 0)
			fail_msg("no flash operation");
		assert_int_equal(t->ff.violations, 0);
	}
	print_message("asset update through the engine: %lu cut points, plain and strict flash "
		      "(%u resumed transfers)\n", cuts, resumes);
	assert_true(cuts > 20);
	free(factory);
	asset_free(&keep);
	asset_free(&old);
	asset_free(&fresh);
	ff_free(&t->ff);
	free(t);
}

/* --- argon, boron, bsom: staging overlaps the asset area ------------------ */

#define ARGON 12u
#define N_STORE 0x2E0000u          /* asset area in the external flash */
#define N_STORE_SIZE (288u * 4096u)
#define N_OTA 0x24C000u
#define N_OVERLAP 606208u          /* staging bytes before the asset area */
#define N_WINDOW 640u

struct ndev {
	struct fakeflash in, ex;
	struct otk_device dev;
	struct otk_update u;
	struct otk_update_config cfg;
	struct otk_boot_report rep;
	struct otk_flash_area fa;
	struct otk_asset_store s;
	struct otk_assets a;
	uint8_t ubuf[1024], sbuf[1024];
	struct otk_inflate inf;
	uint8_t window[32768];
	uint32_t map[N_WINDOW / 32];
	struct otk_asset_id req[2];
	struct asset *have[2];
};

static int nopen(void *ctx, const struct otk_layout_area *a, struct otk_flash_area *out)
{
	struct ndev *t = ctx;
	return ff_open(a->storage == OTK_AREA_EXTERNAL ? &t->ex : &t->in, a, out);
}

static struct ndev *ndev_new(void)
{
	struct ndev *t = calloc(1, sizeof *t);
	ff_init(&t->in, 0x100000, 4096, 4);
	ff_init(&t->ex, 0x400000, 4096, 4);
	t->dev = (struct otk_device){ otk_layout_by_platform(ARGON), ARGON, nopen, t };
	t->cfg.dev = &t->dev;
	t->cfg.buf = t->ubuf;
	t->cfg.buf_size = sizeof t->ubuf;
	t->cfg.inflate = &t->inf;
	t->cfg.window = t->window;
	t->cfg.window_size = sizeof t->window;
	t->cfg.save_every = 16384;
	t->cfg.window_map = t->map;
	t->cfg.window_chunks = N_WINDOW;
	return t;
}

static void ndev_free(struct ndev *t)
{
	ff_free(&t->in);
	ff_free(&t->ex);
	free(t);
}

/* Power on: complete copies, boot, then the asset store and its check. */
static int nboot(struct ndev *t)
{
	int rc = otk_update_init(&t->u, &t->cfg);
	if (!rc)
		rc = otk_boot(&t->dev, &t->u, t->ubuf, sizeof t->ubuf, 0, &t->rep);
	if (!rc)
		rc = otk_device_open(&t->dev, OTK_AREA_ASSETS, 0, &t->fa);
	if (!rc)
		rc = otk_asset_store_init(&t->s, &t->fa, t->sbuf, sizeof t->sbuf);
	if (rc)
		return rc;
	otk_assets_init(&t->a, &t->s, t->req, 2);
	otk_update_set_assets(&t->u, &t->a);
	rc = otk_assets_boot(&t->a);
	return rc == OTK_EASSET_MISSING ? OTK_OK : rc;
}

static bool nstored(struct ndev *t, const struct asset *x)
{
	struct otk_asset_info f;
	if (otk_asset_store_find(&t->s, x->name, strlen(x->name), x->hash, &f))
		return false;
	struct otk_asset_reader r;
	uint8_t rb[128];
	if (otk_asset_reader_open(&r, &t->s, &f, &t->inf, t->window, sizeof t->window, rb, sizeof rb))
		return false;
	uint8_t *out = malloc(x->len + 1);
	long n = otk_asset_reader_read(&r, out, x->len + 1);
	bool ok = n == (long)x->len && memcmp(out, x->raw, x->len) == 0;
	free(out);
	return ok;
}

struct img_n {
	uint8_t *data;
	size_t len;
};

/* An argon code module: body of pseudo-random bytes. */
static struct img_n nmod(uint32_t start, uint8_t func, uint8_t idx, uint16_t ver, size_t body_len, uint32_t seed)
{
	struct otk_module_spec spec;
	memset(&spec, 0, sizeof spec);
	spec.prefix.platform = ARGON;
	spec.prefix.function = func;
	spec.prefix.index = idx;
	spec.prefix.version = ver;
	spec.start = start;
	uint8_t *body = malloc(body_len);
	otk_test_random(&seed, body, body_len);
	struct img_n m;
	m.len = body_len + 256;
	m.data = malloc(m.len);
	assert_int_equal(otk_module_build(&spec, body, body_len, m.data, m.len, &m.len), OTK_OK);
	free(body);
	return m;
}

/* Factory: old system part 1 and user part 2, assets A and B stored (in
 * the part of the asset area that staging overlaps), both required. */
static void nfactory(struct ndev *t, struct img_n sys, struct img_n user, struct asset *a,
		     struct asset *b)
{
	struct img_n boot = nmod(0xF4000, OTK_FUNC_BOOTLOADER, 0, 1, 2000, 5);
	memcpy(t->in.mem + 0xF4000, boot.data, boot.len);
	free(boot.data);
	memcpy(t->in.mem + 0x30000, sys.data, sys.len);
	memcpy(t->in.mem + 0xB4000, user.data, user.len);
	struct asset *x[2] = { a, b };
	for (int i = 0; i < 2; i++) {
		t->req[i].name_len = strlen(x[i]->name);
		memcpy(t->req[i].name, x[i]->name, t->req[i].name_len);
		memcpy(t->req[i].hash, x[i]->hash, OTK_SHA256_LEN);
	}
	assert_int_equal(nboot(t), OTK_OK);
	assert_int_equal(otk_asset_store_format(&t->s), OTK_OK);
	struct otk_flash_area ota;
	assert_int_equal(otk_device_open(&t->dev, OTK_AREA_OTA, 0, &ota), OTK_OK);
	for (int i = 0; i < 2; i++) {
		memset(t->ex.mem + N_OTA, 0xFF, 0x40000);
		memcpy(t->ex.mem + N_OTA, x[i]->mod, x[i]->mod_len);
		ff_forget_programmed(&t->ex);
		assert_int_equal(otk_asset_store_add_from_flash(&t->s, &ota, 0, (uint32_t)x[i]->mod_len,
								NULL), OTK_OK);
	}
	uint32_t seed = 9;
	otk_test_random(&seed, t->ex.mem + N_OTA, N_OVERLAP);  /* old staging junk */
	ff_forget_programmed(&t->in);
	ff_forget_programmed(&t->ex);
	assert_int_equal(nboot(t), OTK_OK);
	assert_int_equal(t->a.missing, 0);
	assert_true(nstored(t, a) && nstored(t, b));
}

/* 1 all parts new, 0 all old, -1 mixed or neither */
static int nstate(struct ndev *t, const struct img_n *old, const struct img_n *fresh,
		  const uint32_t *at, int n)
{
	int st = -2;
	for (int i = 0; i < n; i++) {
		int p = memcmp(t->in.mem + at[i], fresh[i].data, fresh[i].len) == 0 ? 1
			: memcmp(t->in.mem + at[i], old[i].data, old[i].len) == 0 ? 0 : -1;
		if (st != -2 && st != p)
			return -1;
		st = p;
	}
	return st;
}

struct nrun {
	struct img_n old[2], fresh[2];
	struct img_n file;
	uint8_t sha[OTK_SHA256_LEN];
	struct asset *a, *b;
	uint8_t *fin, *fex;       /* factory flash */
	uint8_t *pin, *pex;       /* factory program-once state */
};

/*
 * A combined system part 1 + user part 2 over 606,208 bytes, the function
 * learnt from the prefix, power cut at flash operation cut (and cut2 after
 * the reboot).  At every power-on: old or new images, never a mix; an
 * asset the store lists is intact.  At the end: the new images, and the
 * store formatted, so both required assets are asked for again.
 */
static unsigned long nrun_cut(struct ndev *t, const struct nrun *r, unsigned long cut,
			      unsigned long cut2, bool strict)
{
	static const uint32_t at[2] = { 0x30000, 0xB4000 };
	memcpy(t->in.mem, r->fin, t->in.size);
	memcpy(t->ex.mem, r->fex, t->ex.size);
	memcpy(t->in.programmed, r->pin, t->in.size / t->in.write_align);
	memcpy(t->ex.programmed, r->pex, t->ex.size / t->ex.write_align);
	ff_strict(&t->in, strict);
	ff_strict(&t->ex, strict);
	t->in.ops = t->ex.ops = 0;
	t->in.dead = t->ex.dead = false;
	t->in.cut_at = t->ex.cut_at = cut;
	for (int cycle = 0; cycle < 10; cycle++) {
		if (t->in.dead) {
			ff_power_on(&t->in);
			ff_power_on(&t->ex);
			if (cut2) {
				t->in.cut_at = t->ex.cut_at = t->in.ops + cut2;
				cut2 = 0;
			}
		}
		int rc = nboot(t);
		if (t->in.dead)
			continue;
		assert_int_equal(rc, OTK_OK);
		if (t->rep.mode != OTK_MODE_NORMAL || t->rep.recover != OTK_OK)
			fail_msg("cut %lu: mode %d reason %d recover %d", cut, t->rep.mode,
				 t->rep.reason, t->rep.recover);
		int st = nstate(t, r->old, r->fresh, at, 2);
		if (st < 0)
			fail_msg("cut %lu: images neither all old nor all new", cut);
		for (int i = 0; i < 2; i++) {
			struct asset *x = i ? r->b : r->a;
			struct otk_asset_info f;
			if (otk_asset_store_find(&t->s, x->name, strlen(x->name), NULL, &f) == OTK_OK &&
			    !nstored(t, x))
				fail_msg("cut %lu: %s listed but not intact", cut, x->name);
		}
		if (st == 1 && !otk_update_pending(&t->u)) {
			assert_int_equal(t->a.missing, 2);      /* asked for again */
			assert_int_equal(otk_assets_state(&t->a), OTK_ASSET_STATE_NONE);
			for (uint32_t k = 0; k < N_STORE_SIZE; k++)
				if (t->ex.mem[N_STORE + k] != 0xFF)
					fail_msg("cut %lu: asset area not formatted at %u", cut, k);
			assert_int_equal(t->in.violations + t->ex.violations, 0);
			return t->in.ops;
		}
		struct otk_update_start st0 = { (uint32_t)r->file.len, r->sha, 0, OTK_FUNC_NONE, 0 };
		long off = otk_update_begin(&t->u, &st0);
		rc = off < 0 ? (int)off : OTK_OK;
		for (size_t pos = (size_t)off; !rc && pos < r->file.len; pos += 1024) {
			size_t n = r->file.len - pos < 1024 ? r->file.len - pos : 1024;
			rc = otk_update_write(&t->u, (uint32_t)pos, r->file.data + pos, n);
		}
		if (!rc)
			rc = otk_update_finish(&t->u, OTK_FINISH_APPLY, NULL);
		if (t->in.dead)
			continue;
		assert_int_equal(rc, OTK_OK);
		/* reboot to apply */
	}
	fail_msg("cut %lu: no progress", cut);
	return 0;
}

static void test_nrf_large_update(void **state)
{
	(void)state;
	struct ndev *t = ndev_new();
	t->in.link = &t->ex;
	t->ex.link = &t->in;
	struct nrun r;
	struct asset a = mk("a.bin", 40000, 31, 15), b = mk("b.txt", 9000, 32, 0);
	r.a = &a;
	r.b = &b;
	r.old[0] = nmod(0x30000, OTK_FUNC_SYSTEM, 1, 100, 100000, 1);
	r.old[1] = nmod(0xB4000, OTK_FUNC_USER, 2, 1, 20000, 2);
	struct img_n ns = nmod(0x30000, OTK_FUNC_SYSTEM, 1, 101, 400000, 3);
	struct img_n nu = nmod(0xB4000, OTK_FUNC_USER, 2, 2, 230000, 4);
	const uint8_t *m[2] = { ns.data, nu.data };
	size_t l[2] = { ns.len, nu.len };
	assert_int_equal(otk_module_combine(m, l, 2, &r.file.data, &r.file.len), OTK_OK);
	free(ns.data);
	free(nu.data);
	assert_true(r.file.len > N_OVERLAP);
	/* installed, the parts are the parts of the combined file */
	struct otk_prefix p0;
	otk_prefix_decode(r.file.data, &p0);
	r.fresh[0] = (struct img_n){ r.file.data, p0.end - p0.start + 4 };
	r.fresh[1] = (struct img_n){ r.file.data + r.fresh[0].len, r.file.len - r.fresh[0].len };
	otk_sha256(r.file.data, r.file.len, r.sha);
	nfactory(t, r.old[0], r.old[1], &a, &b);
	r.fin = malloc(t->in.size);
	r.fex = malloc(t->ex.size);
	r.pin = malloc(t->in.size / 4);
	r.pex = malloc(t->ex.size / 4);
	memcpy(r.fin, t->in.mem, t->in.size);
	memcpy(r.fex, t->ex.mem, t->ex.size);
	memcpy(r.pin, t->in.programmed, t->in.size / 4);
	memcpy(r.pex, t->ex.programmed, t->ex.size / 4);

	unsigned long total = nrun_cut(t, &r, 0, 0, false), runs = 0;
	/* every operation around the start, the overlap, finish, the copy's
	 * end and the store format; a stride through the bulk of the data */
	for (int strict = 0; strict < 2; strict++)
		for (unsigned long cut = 1; cut <= total; cut += (cut < 100 || cut + 300 > total) ? 1 : 41) {
			nrun_cut(t, &r, cut, 0, strict);
			if (cut % 7 == 0)
				nrun_cut(t, &r, cut, 1 + cut % 5, strict);
			runs++;
		}
	print_message("argon, %zu-byte combined system + user update over the asset area: %lu "
		      "operations, %lu cut points (plain and strict flash), some with a second cut\n",
		      r.file.len, total, runs);
	free(r.fin);
	free(r.fex);
	free(r.pin);
	free(r.pex);
	for (int i = 0; i < 2; i++)
		free(r.old[i].data);
	free(r.file.data);
	asset_free(&a);
	asset_free(&b);
	ndev_free(t);
}

/*
 * An asset module that would be staged over the asset area is refused at
 * begin when the transport names the function, and as soon as its prefix
 * arrives when it does not; nothing in the asset area changes, also with
 * the power cut at every operation until the refusal.  A smaller asset
 * still goes through.
 */
static void test_nrf_big_asset_refused(void **state)
{
	(void)state;
	struct ndev *t = ndev_new();
	t->in.link = &t->ex;
	t->ex.link = &t->in;
	struct asset a = mk("a.bin", 40000, 31, 15), b = mk("b.txt", 9000, 32, 0);
	struct asset big = mk("big.bin", 620000, 33, 0);
	assert_true(big.mod_len > N_OVERLAP);
	struct img_n sys = nmod(0x30000, OTK_FUNC_SYSTEM, 1, 100, 100000, 1);
	struct img_n user = nmod(0xB4000, OTK_FUNC_USER, 2, 1, 20000, 2);
	nfactory(t, sys, user, &a, &b);
	uint8_t *store = malloc(N_STORE_SIZE);
	memcpy(store, t->ex.mem + N_STORE, N_STORE_SIZE);
	uint8_t *fin = malloc(t->in.size), *fex = malloc(t->ex.size);
	memcpy(fin, t->in.mem, t->in.size);
	memcpy(fex, t->ex.mem, t->ex.size);
	uint8_t sha[OTK_SHA256_LEN];
	otk_sha256(big.mod, big.mod_len, sha);

	/* named: refused before any flash operation */
	unsigned long ops = t->in.ops;
	struct otk_update_start st = { (uint32_t)big.mod_len, sha, 0, OTK_FUNC_ASSET, 0 };
	assert_int_equal(otk_update_begin(&t->u, &st), OTK_EASSET_STAGING);
	assert_int_equal(t->in.ops, ops);

	/* learnt, chunks out of order: nothing beyond the overlap before the
	 * prefix is in, then the refusal */
	st.function = OTK_FUNC_NONE;
	st.chunk_size = 1024;
	assert_int_equal(otk_update_begin(&t->u, &st), 0);
	uint32_t far = (N_OVERLAP / 1024 + 2) * 1024;
	assert_int_equal(otk_update_write(&t->u, far, big.mod + far, 1024), OTK_EUPD_WINDOW);
	assert_int_equal(otk_update_write(&t->u, 2048, big.mod + 2048, 1024), OTK_OK);
	assert_int_equal(otk_update_write(&t->u, 0, big.mod, 1024), OTK_EASSET_STAGING);
	assert_int_equal(otk_update_write(&t->u, 1024, big.mod + 1024, 1024), OTK_EUPD_STATE);
	assert_memory_equal(t->ex.mem + N_STORE, store, N_STORE_SIZE);

	/* the same in a stream, with the power cut at every operation */
	unsigned long total = 0, cuts = 0;
	for (unsigned long cut = 0; cut == 0 || cut <= total; cut++) {
		memcpy(t->in.mem, fin, t->in.size);
		memcpy(t->ex.mem, fex, t->ex.size);
		ff_forget_programmed(&t->ex);
		ff_strict(&t->in, cut % 2);
		ff_strict(&t->ex, cut % 2);
		ff_power_on(&t->in);
		ff_power_on(&t->ex);
		t->in.ops = t->ex.ops = 0;
		t->in.cut_at = t->ex.cut_at = cut;
		int rc = OTK_OK;
		for (int cycle = 0; cycle < 3; cycle++) {
			if (t->in.dead) {
				ff_power_on(&t->in);
				ff_power_on(&t->ex);
			}
			rc = nboot(t);
			if (t->in.dead)
				continue;
			assert_int_equal(rc, OTK_OK);
			assert_true(nstored(t, &a) && nstored(t, &b));
			st.chunk_size = 0;
			long off = otk_update_begin(&t->u, &st);
			rc = off < 0 ? (int)off : OTK_OK;
			for (size_t pos = (size_t)off; !rc && pos < big.mod_len; pos += 512)
				rc = otk_update_write(&t->u, (uint32_t)pos, big.mod + pos, 512);
			if (!t->in.dead)
				break;
		}
		assert_int_equal(rc, OTK_EASSET_STAGING);
		assert_memory_equal(t->ex.mem + N_STORE, store, N_STORE_SIZE);
		assert_int_equal(t->in.violations + t->ex.violations, 0);
		if (cut == 0)
			total = t->in.ops;
		else
			cuts++;
	}
	print_message("argon, %zu-byte asset refused: %lu cut points\n", big.mod_len, cuts);
	assert_true(cuts > 3);

	/* an asset that fits before the overlap is stored as usual */
	assert_int_equal(nboot(t), OTK_OK);
	struct asset small = mk("a.bin", 60000, 34, 15);
	otk_sha256(small.mod, small.mod_len, sha);
	struct otk_update_start ss = { (uint32_t)small.mod_len, sha, 0, OTK_FUNC_NONE, 1024 };
	assert_int_equal(otk_update_begin(&t->u, &ss), 0);
	for (size_t pos = 0; pos < small.mod_len; pos += 1024) {
		size_t n = small.mod_len - pos < 1024 ? small.mod_len - pos : 1024;
		assert_int_equal(otk_update_write(&t->u, (uint32_t)pos, small.mod + pos, n), OTK_OK);
	}
	assert_int_equal(otk_update_finish(&t->u, OTK_FINISH_APPLY, NULL), OTK_OK);
	assert_true(nstored(t, &small));
	assert_true(nstored(t, &b));
	free(store);
	free(fin);
	free(fex);
	free(sys.data);
	free(user.data);
	asset_free(&a);
	asset_free(&b);
	asset_free(&big);
	asset_free(&small);
	ndev_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_stream_corrupt),
		cmocka_unit_test(test_system_api),
		cmocka_unit_test(test_fixture_deps),
		cmocka_unit_test(test_update_install),
		cmocka_unit_test(test_nrf_big_asset_refused),
		cmocka_unit_test(test_nrf_large_update),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * OTA v3 receiver (core/src/ota3.c) over the update engine and a fake
 * flash, driven by a small sender written here: the ack rules of spec 03,
 * RST for a stray chunk, errors as JSON, resume after a cancel, and whole
 * transfers through random loss, duplication and reordering; then
 * otakitd's sender (server/ota_send.c) against this receiver over a
 * simulated lossy link, including a resume after a reboot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeflash.h"
#include "otk/error.h"
#include "otk/layout.h"
#include "otk/modtool.h"
#include "otk/module.h"
#include "otk/ota3.h"
#include "otk/sha256.h"
#include "otk/update.h"
#include "ota_send.h"
#include "testutil.h"

#define PLATFORM 3u
#define A_USER 0x00090000u
#define CHUNK 512u
#define WINDOW 64u

struct rx {
	struct fakeflash ff;
	struct otk_device dev;
	struct otk_update u;
	struct otk_update_config cfg;
	uint8_t buf[1024];
	uint32_t map[(WINDOW + 31) / 32];
	struct otk_coap_rel rel;
	struct otk_ota3 o;
	uint8_t outbuf[1024];
	struct otk_ota3_out out;
};

static uint8_t *g_app;
static size_t g_app_len;
static uint8_t g_sha[32];

static struct rx *rx_new(void)
{
	struct rx *r = calloc(1, sizeof(*r));
	ff_init(&r->ff, 0x200000, 4096, 4);
	r->dev.layout = otk_layout_by_platform(PLATFORM);
	r->dev.platform = PLATFORM;
	r->dev.open = ff_open;
	r->dev.ctx = &r->ff;
	r->cfg.dev = &r->dev;
	r->cfg.buf = r->buf;
	r->cfg.buf_size = sizeof(r->buf);
	r->cfg.window_map = r->map;
	r->cfg.window_chunks = WINDOW;
	r->cfg.save_every = 4096;
	assert_int_equal(otk_update_init(&r->u, &r->cfg), OTK_OK);
	otk_coap_rel_init(&r->rel, 100);
	otk_ota3_init(&r->o, &r->u, &r->rel);
	return r;
}

/* The same device after a reboot: the engine reloads its journal. */
static void rx_reboot(struct rx *r)
{
	memset(&r->u, 0, sizeof(r->u));
	assert_int_equal(otk_update_init(&r->u, &r->cfg), OTK_OK);
	otk_ota3_init(&r->o, &r->u, &r->rel);
}

static void rx_free(struct rx *r)
{
	ff_free(&r->ff);
	free(r);
}

/* Feeds one message; returns what the receiver handled (1) and leaves r->out. */
static int feed(struct rx *r, const uint8_t *msg, size_t len, uint32_t now)
{
	struct otk_coap_msg m;
	assert_int_equal(otk_coap_parse(msg, len, &m), OTK_OK);
	otk_ota3_out_init(&r->out, r->outbuf, sizeof(r->outbuf));
	return otk_ota3_handle(&r->o, &m, now, &r->out);
}

static void out_msg(struct rx *r, int i, struct otk_coap_msg *m)
{
	assert_true(i < r->out.n);
	assert_int_equal(otk_coap_parse(r->out.buf + r->out.msg[i].off, r->out.msg[i].len, m),
			 OTK_OK);
}

static size_t mk_start(uint8_t *buf, uint32_t size, const uint8_t *sha, bool discard)
{
	struct otk_coap_writer w;
	uint8_t tok = 7;
	otk_coap_begin(&w, buf, 256, OTK_COAP_CON, OTK_COAP_POST, 1, &tok, 1);
	otk_coap_add_path(&w, "S");
	otk_coap_add_opt_uint(&w, OTK_OTA3_OPT_FILE_SIZE, size);
	if (sha)
		otk_coap_add_opt(&w, OTK_OTA3_OPT_FILE_SHA256, sha, 32);
	otk_coap_add_opt_uint(&w, OTK_OTA3_OPT_CHUNK_SIZE, CHUNK);
	if (discard)
		otk_coap_add_opt(&w, OTK_OTA3_OPT_DISCARD_DATA, NULL, 0);
	otk_coap_add_opt_uint(&w, OTK_OTA3_OPT_MODULE_FUNCTION, OTK_FUNC_USER);
	int n = otk_coap_finish(&w);
	assert_true(n > 0);
	return (size_t)n;
}

static size_t mk_chunk(uint8_t *buf, uint32_t resume, uint32_t idx)
{
	struct otk_coap_writer w;
	uint32_t off = resume + (idx - 1) * CHUNK;
	size_t len = g_app_len - off < CHUNK ? g_app_len - off : CHUNK;
	otk_coap_begin(&w, buf, 1200, OTK_COAP_NON, OTK_COAP_POST, (uint16_t)(1000 + idx), NULL, 0);
	otk_coap_add_path(&w, "C");
	otk_coap_add_opt_uint(&w, OTK_OTA3_OPT_CHUNK_INDEX, idx);
	otk_coap_set_payload(&w, g_app + off, len);
	int n = otk_coap_finish(&w);
	assert_true(n > 0);
	return (size_t)n;
}

static size_t mk_finish(uint8_t *buf, bool cancel)
{
	struct otk_coap_writer w;
	uint8_t tok = 9;
	otk_coap_begin(&w, buf, 64, OTK_COAP_CON, OTK_COAP_POST, 2, &tok, 1);
	otk_coap_add_path(&w, "F");
	if (cancel)
		otk_coap_add_opt(&w, OTK_OTA3_OPT_CANCEL_UPDATE, NULL, 0);
	int n = otk_coap_finish(&w);
	assert_true(n > 0);
	return (size_t)n;
}

/* Starts a transfer; returns the resume offset from the 2.01. */
static uint32_t do_start(struct rx *r, bool discard)
{
	uint8_t b[256];
	assert_int_equal(feed(r, b, mk_start(b, (uint32_t)g_app_len, g_sha, discard), 0), 1);
	assert_int_equal(r->out.n, 2);
	struct otk_coap_msg m;
	struct otk_coap_opt o;
	uint32_t v;
	out_msg(r, 0, &m);
	assert_int_equal(m.type, OTK_COAP_ACK);
	assert_int_equal(m.code, OTK_COAP_EMPTY);
	out_msg(r, 1, &m);
	assert_int_equal(m.type, OTK_COAP_CON);
	assert_int_equal(m.code, OTK_COAP_CREATED);
	assert_int_equal(m.token_len, 1);
	assert_int_equal(m.token[0], 7);
	assert_true(otk_coap_opt_find(&m, OTK_OTA3_OPT_WINDOW_SIZE, &o));
	otk_coap_opt_uint(&o, &v);
	assert_int_equal(v, WINDOW);
	assert_true(otk_coap_opt_find(&m, OTK_OTA3_OPT_FILE_SIZE, &o));
	otk_coap_opt_uint(&o, &v);
	return v;
}

/* An UpdateAck in out[i]: contiguous count and the first bitmap word. */
static bool get_ack(struct rx *r, uint32_t *contig, uint32_t *bits, size_t nwords)
{
	for (int i = 0; i < r->out.n; i++) {
		struct otk_coap_msg m;
		struct otk_coap_opt o;
		char path[8];
		out_msg(r, i, &m);
		if (m.type != OTK_COAP_NON || otk_coap_uri_path(&m, path, sizeof(path)) < 0 ||
		    strcmp(path, "A") != 0)
			continue;
		assert_true(otk_coap_opt_find(&m, OTK_OTA3_OPT_CHUNK_INDEX, &o));
		otk_coap_opt_uint(&o, contig);
		assert_true(m.payload_len >= 4 && m.payload_len % 4 == 0);
		memset(bits, 0, nwords * 4);
		for (size_t w = 0; w < m.payload_len / 4 && w < nwords; w++)
			bits[w] = otk_le32(m.payload + 4 * w);
		return true;
	}
	return false;
}

static int group_setup(void **state)
{
	(void)state;
	struct otk_module_spec spec;
	memset(&spec, 0, sizeof(spec));
	spec.prefix.platform = PLATFORM;
	spec.prefix.function = OTK_FUNC_USER;
	spec.prefix.index = 1;
	spec.prefix.version = 3;
	spec.start = A_USER;
	size_t body = 40000;
	uint8_t *b = malloc(body);
	uint32_t seed = 5;
	otk_test_random(&seed, b, body);
	g_app = malloc(body + 512);
	assert_int_equal(otk_module_build(&spec, b, body, g_app, body + 512, &g_app_len), OTK_OK);
	free(b);
	otk_sha256(g_app, g_app_len, g_sha);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	free(g_app);
	return 0;
}

static void test_chunk_without_update_gets_rst(void **state)
{
	(void)state;
	struct rx *r = rx_new();
	uint8_t b[1200];
	assert_int_equal(feed(r, b, mk_chunk(b, 0, 1), 0), 1);
	struct otk_coap_msg m;
	assert_int_equal(r->out.n, 1);
	out_msg(r, 0, &m);
	assert_int_equal(m.type, OTK_COAP_RST);
	assert_int_equal(m.mid, 1001);
	/* and a message for someone else is not taken */
	struct otk_coap_writer w;
	otk_coap_begin(&w, b, 64, OTK_COAP_CON, OTK_COAP_POST, 3, NULL, 0);
	otk_coap_add_path(&w, "E/x");
	assert_int_equal(feed(r, b, (size_t)otk_coap_finish(&w), 0), 0);
	rx_free(r);
}

static void test_bad_start_is_json_error(void **state)
{
	(void)state;
	struct rx *r = rx_new();
	uint8_t b[256];
	struct otk_coap_msg m;
	/* larger than staging */
	assert_int_equal(feed(r, b, mk_start(b, 64u << 20, NULL, false), 0), 1);
	assert_int_equal(r->out.n, 1);
	out_msg(r, 0, &m);
	assert_int_equal(m.type, OTK_COAP_ACK);
	assert_int_equal(m.code, OTK_COAP_TOO_LARGE);
	assert_non_null(m.payload);
	assert_memory_equal(m.payload, "{\"code\":-64,\"message\":\"", 23);
	/* no chunk size */
	struct otk_coap_writer w;
	otk_coap_begin(&w, b, 64, OTK_COAP_CON, OTK_COAP_POST, 4, NULL, 0);
	otk_coap_add_path(&w, "S");
	otk_coap_add_opt_uint(&w, OTK_OTA3_OPT_FILE_SIZE, 100);
	assert_int_equal(feed(r, b, (size_t)otk_coap_finish(&w), 0), 1);
	out_msg(r, 0, &m);
	assert_int_equal(m.code, OTK_COAP_BAD_REQUEST);
	/* finish with nothing running */
	assert_int_equal(feed(r, b, mk_finish(b, false), 0), 1);
	out_msg(r, 0, &m);
	assert_int_equal(m.code, OTK_COAP_BAD_REQUEST);
	rx_free(r);
}

static void test_ack_rules(void **state)
{
	(void)state;
	struct rx *r = rx_new();
	uint8_t b[1200];
	uint32_t contig, bits[2];
	assert_int_equal(do_start(r, true), 0);
	/* chunk 1: no ack yet, the 200 ms timer runs */
	feed(r, b, mk_chunk(b, 0, 1), 1000);
	assert_int_equal(r->out.n, 0);
	assert_int_equal(otk_ota3_deadline(&r->o, 1000), OTK_OTA3_ACK_DELAY_MS);
	otk_ota3_out_init(&r->out, r->outbuf, sizeof(r->outbuf));
	assert_int_equal(otk_ota3_poll(&r->o, 1199, &r->out), OTK_OK);
	assert_int_equal(r->out.n, 0);
	assert_int_equal(otk_ota3_poll(&r->o, 1200, &r->out), OTK_OK);
	assert_true(get_ack(r, &contig, bits, 2));
	assert_int_equal(contig, 1);
	assert_int_equal(bits[0], 0);
	/* chunks 2 and 3: acked after the second unacknowledged one */
	feed(r, b, mk_chunk(b, 0, 2), 1300);
	assert_int_equal(r->out.n, 0);
	feed(r, b, mk_chunk(b, 0, 3), 1301);
	assert_true(get_ack(r, &contig, bits, 2));
	assert_int_equal(contig, 3);
	/* a duplicate: acked at once */
	feed(r, b, mk_chunk(b, 0, 2), 1302);
	assert_true(get_ack(r, &contig, bits, 2));
	assert_int_equal(contig, 3);
	/* a gap (chunk 4 lost): 5 and 7 each acked; bit i = chunk contig + 1 + i */
	feed(r, b, mk_chunk(b, 0, 5), 1303);
	assert_true(get_ack(r, &contig, bits, 2));
	assert_int_equal(contig, 3);
	assert_int_equal(bits[0], 0x2);
	feed(r, b, mk_chunk(b, 0, 7), 1304);
	assert_true(get_ack(r, &contig, bits, 2));
	assert_int_equal(bits[0], 0xA);
	/* the gap closes: the state change is acked at once */
	feed(r, b, mk_chunk(b, 0, 4), 1305);
	assert_true(get_ack(r, &contig, bits, 2));
	assert_int_equal(contig, 5);
	assert_int_equal(bits[0], 0x2);
	feed(r, b, mk_chunk(b, 0, 6), 1306);
	assert_true(get_ack(r, &contig, bits, 2));
	assert_int_equal(contig, 7);
	assert_int_equal(bits[0], 0);
	/* the last chunk is acked at once */
	uint32_t n = (uint32_t)((g_app_len + CHUNK - 1) / CHUNK);
	for (uint32_t i = 8; i < n; i++)
		feed(r, b, mk_chunk(b, 0, i), 1400);
	feed(r, b, mk_chunk(b, 0, n), 1401);
	assert_true(get_ack(r, &contig, bits, 2));
	assert_int_equal(contig, n);
	rx_free(r);
}

/* Sends every chunk the acks show missing until all are in; random impairment. */
static void transfer(struct rx *r, uint32_t resume, uint32_t *seed, unsigned loss_pct,
		     uint32_t *sent)
{
	uint32_t n = (uint32_t)((g_app_len - resume + CHUNK - 1) / CHUNK);
	uint8_t *have = calloc(n + 1, 1);  /* what the last ack said is in */
	uint32_t contig = 0, now = 10, bits[(WINDOW + 31) / 32];
	uint8_t b[1200];
	for (int round = 0; contig < n && round < 1000; round++) {
		/* a window of chunks the sender believes missing, in shuffled order */
		uint32_t list[WINDOW], k = 0;
		for (uint32_t i = contig + 1; i <= n && i <= contig + WINDOW; i++)
			if (!have[i])
				list[k++] = i;
		for (uint32_t i = k; i > 1; i--) {
			*seed = *seed * 1103515245u + 12345u;
			uint32_t j = (*seed >> 8) % i, t = list[i - 1];
			list[i - 1] = list[j];
			list[j] = t;
		}
		for (uint32_t i = 0; i < k; i++) {
			*seed = *seed * 1103515245u + 12345u;
			unsigned dice = (*seed >> 16) % 100;
			(*sent)++;
			if (dice < loss_pct)
				continue;
			int copies = dice >= 95 ? 2 : 1;
			for (int c = 0; c < copies; c++) {
				feed(r, b, mk_chunk(b, resume, list[i]), now++);
				uint32_t cg;
				if (get_ack(r, &cg, bits, (WINDOW + 31) / 32)) {
					/* acks may be lost too */
					*seed = *seed * 1103515245u + 12345u;
					if ((*seed >> 16) % 100 < loss_pct)
						continue;
					contig = cg > contig ? cg : contig;
					for (uint32_t j = 1; j <= cg; j++)
						have[j] = 1;
					for (uint32_t j = 0; j < WINDOW; j++)
						if (bits[j / 32] >> (j % 32) & 1 && cg + 1 + j <= n)
							have[cg + 1 + j] = 1;
				}
			}
		}
		/* the 200 ms timer acks what is left */
		now += 300;
		otk_ota3_out_init(&r->out, r->outbuf, sizeof(r->outbuf));
		otk_ota3_poll(&r->o, now, &r->out);
		uint32_t cg;
		if (get_ack(r, &cg, bits, (WINDOW + 31) / 32) && cg > contig) {
			contig = cg;
			for (uint32_t j = 1; j <= cg; j++)
				have[j] = 1;
		}
		if (round > 1 && contig < n) {
			/* the acks may all have been lost: ask by re-sending the next one */
			memset(have + contig + 1, 0, n - contig);
		}
	}
	assert_int_equal(contig, n);
	free(have);
}

static void finish_and_apply(struct rx *r)
{
	uint8_t b[64];
	struct otk_coap_msg m;
	assert_int_equal(feed(r, b, mk_finish(b, false), 50000), 1);
	assert_int_equal(r->out.n, 2);
	out_msg(r, 0, &m);
	assert_int_equal(m.type, OTK_COAP_ACK);
	out_msg(r, 1, &m);
	assert_int_equal(m.type, OTK_COAP_CON);
	assert_int_equal(m.code, OTK_COAP_CHANGED);
	assert_non_null(m.payload);
	assert_memory_equal(m.payload, "{\"recv_chunks\":", 15);
	assert_false(otk_update_pending(&r->u));
	assert_int_equal(otk_ota3_acked(&r->o, (uint16_t)(m.mid + 1)), 0);
	assert_int_equal(otk_ota3_acked(&r->o, m.mid), 1);
	assert_true(otk_update_pending(&r->u));
}

static void test_lossy_transfers(void **state)
{
	(void)state;
	for (uint32_t s = 1; s <= 12; s++) {
		struct rx *r = rx_new();
		uint32_t seed = s * 7919u, sent = 0;
		assert_int_equal(do_start(r, false), 0);
		transfer(r, 0, &seed, (s % 4) * 10, &sent);
		finish_and_apply(r);
		/* what is staged is the file */
		uint8_t *st = malloc(g_app_len);
		struct otk_flash_area fa;
		assert_int_equal(otk_device_open(&r->dev, OTK_AREA_OTA, 0, &fa), OTK_OK);
		assert_int_equal(otk_flash_read(&fa, 0, st, g_app_len), OTK_OK);
		assert_memory_equal(st, g_app, g_app_len);
		free(st);
		rx_free(r);
	}
}

static void test_resume_after_reboot(void **state)
{
	(void)state;
	struct rx *r = rx_new();
	uint8_t b[1200];
	assert_int_equal(do_start(r, false), 0);
	uint32_t n = (uint32_t)((g_app_len + CHUNK - 1) / CHUNK);
	for (uint32_t i = 1; i <= n / 2 + 3; i++)
		feed(r, b, mk_chunk(b, 0, i), i);
	/* power cut: the journal has the prefix saved every 4096 bytes */
	rx_reboot(r);
	uint32_t resume = do_start(r, false);
	assert_true(resume >= 4096);
	assert_true(resume <= (n / 2 + 3) * CHUNK);
	uint32_t seed = 3, sent = 0;
	transfer(r, resume, &seed, 10, &sent);
	finish_and_apply(r);
	rx_free(r);
	/* DISCARD_DATA starts over */
	r = rx_new();
	assert_int_equal(do_start(r, false), 0);
	for (uint32_t i = 1; i <= 20; i++)
		feed(r, b, mk_chunk(b, 0, i), i);
	rx_reboot(r);
	assert_int_equal(do_start(r, true), 0);
	rx_free(r);
}

static void test_cancel_and_bad_file(void **state)
{
	(void)state;
	struct rx *r = rx_new();
	uint8_t b[1200];
	struct otk_coap_msg m;
	assert_int_equal(do_start(r, false), 0);
	feed(r, b, mk_chunk(b, 0, 1), 1);
	assert_int_equal(feed(r, b, mk_finish(b, true), 2), 1);
	out_msg(r, 0, &m);
	assert_int_equal(m.code, OTK_COAP_CHANGED);
	/* chunks after a cancel get RST */
	feed(r, b, mk_chunk(b, 0, 2), 3);
	out_msg(r, 0, &m);
	assert_int_equal(m.type, OTK_COAP_RST);
	/* a file whose hash is not the one announced fails at finish */
	uint8_t wrong[32];
	memcpy(wrong, g_sha, 32);
	wrong[0] ^= 1;
	assert_int_equal(feed(r, b, mk_start(b, (uint32_t)g_app_len, wrong, true), 4), 1);
	uint32_t seed = 9, sent = 0;
	transfer(r, 0, &seed, 0, &sent);
	assert_int_equal(feed(r, b, mk_finish(b, false), 5), 1);
	assert_int_equal(r->out.n, 1);
	out_msg(r, 0, &m);
	assert_int_equal(m.code, OTK_COAP_BAD_REQUEST);
	assert_memory_equal(m.payload, "{\"code\":-60,", 12);
	assert_false(otk_update_pending(&r->u));
	rx_free(r);
}


/* --- otakitd's sender against the receiver over a lossy link ---------- */

#define LINK_MAX 4096

struct link {
	uint8_t *msg[LINK_MAX];
	size_t len[LINK_MAX];
	size_t n;
	uint32_t seed;
	unsigned loss, dup;   /* percent */
};

static uint32_t rnd(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static void link_put(struct link *l, const uint8_t *m, size_t len)
{
	unsigned dice = rnd(&l->seed) % 100;
	int copies = dice < l->loss ? 0 : dice >= 100 - l->dup ? 2 : 1;
	for (int c = 0; c < copies && l->n < LINK_MAX; c++) {
		l->msg[l->n] = malloc(len);
		memcpy(l->msg[l->n], m, len);
		l->len[l->n++] = len;
	}
}

/* Takes a random message (reordering); false when empty. */
static bool link_take(struct link *l, uint8_t *out, size_t *len)
{
	if (!l->n)
		return false;
	size_t i = rnd(&l->seed) % l->n;
	memcpy(out, l->msg[i], l->len[i]);
	*len = l->len[i];
	free(l->msg[i]);
	l->msg[i] = l->msg[--l->n];
	l->len[i] = l->len[l->n];
	return true;
}

/* The reply of a CON exchange (UpdateStart, UpdateFinish), carried reliably. */
static void con_exchange(struct rx *r, const uint8_t *m, size_t n, uint32_t now,
			 struct otk_coap_msg *resp, uint8_t *keep)
{
	assert_int_equal(feed(r, m, n, now), 1);
	int last = r->out.n - 1;
	memcpy(keep, r->out.buf + r->out.msg[last].off, r->out.msg[last].len);
	assert_int_equal(otk_coap_parse(keep, r->out.msg[last].len, resp), OTK_OK);
}

/* One transfer from the sender's point of view; returns the sender's bytes. */
static uint64_t send_over_link(struct rx *r, unsigned loss, unsigned dup, uint32_t seed,
			       uint32_t cut_after, uint32_t *resume)
{
	struct otkd_ota_send t;
	struct link to_dev = { .seed = seed, .loss = loss, .dup = dup };
	struct link to_srv = { .seed = seed * 31u + 7u, .loss = loss, .dup = dup };
	uint8_t b[1400], keep[1400];
	size_t n;
	struct otk_coap_msg resp;
	uint32_t now = 1000;
	assert_int_equal(otkd_ota_send_init(&t, g_app, g_app_len, g_sha, OTK_FUNC_USER), OTK_OK);
	n = (size_t)otkd_ota_send_start_msg(&t, 1, 1, b, sizeof b);
	con_exchange(r, b, n, now, &resp, keep);
	assert_int_equal(otkd_ota_send_started(&t, &resp), OTK_OK);
	*resume = t.resume;
	for (int step = 0; !otkd_ota_send_complete(&t) && step < 200000; step++) {
		int k;
		while ((k = otkd_ota_send_next(&t, now, 2, b, sizeof b)) > 0)
			link_put(&to_dev, b, (size_t)k);
		assert_true(k == 0);
		/* a few messages each way per 5 ms */
		for (int i = 0; i < 4 && link_take(&to_dev, b, &n); i++) {
			feed(r, b, n, now);
			for (int j = 0; j < r->out.n; j++)
				link_put(&to_srv, r->out.buf + r->out.msg[j].off, r->out.msg[j].len);
		}
		if (cut_after && r->u.received >= cut_after)
			break;   /* the device loses power */
		otk_ota3_out_init(&r->out, r->outbuf, sizeof r->outbuf);
		otk_ota3_poll(&r->o, now, &r->out);
		for (int j = 0; j < r->out.n; j++)
			link_put(&to_srv, r->out.buf + r->out.msg[j].off, r->out.msg[j].len);
		while (link_take(&to_srv, b, &n)) {
			struct otk_coap_msg m;
			assert_int_equal(otk_coap_parse(b, n, &m), OTK_OK);
			otkd_ota_send_ack(&t, &m, now);
		}
		now += 5;
	}
	while (link_take(&to_dev, b, &n) || link_take(&to_srv, b, &n))
		;
	uint64_t sent = t.bytes_sent;
	if (!cut_after) {
		assert_true(otkd_ota_send_complete(&t));
		n = (size_t)otkd_ota_send_finish_msg(&t, 3, 2, b, sizeof b);
		con_exchange(r, b, n, now, &resp, keep);
		assert_int_equal(otkd_ota_send_finished(&t, &resp), OTK_OK);
		assert_int_equal(t.state, OTKD_OTA_DONE);
		assert_int_equal(otk_ota3_acked(&r->o, resp.mid), 1);
	}
	otkd_ota_send_free(&t);
	return sent;
}

static void test_sender_over_lossy_link(void **state)
{
	(void)state;
	static const unsigned loss[] = { 0, 5, 20, 40 };
	for (unsigned i = 0; i < 4; i++) {
		struct rx *r = rx_new();
		uint32_t resume;
		uint64_t sent = send_over_link(r, loss[i], 5, 100 + i, 0, &resume);
		assert_int_equal(resume, 0);
		assert_true(sent >= g_app_len);
		assert_true(otk_update_pending(&r->u));
		rx_free(r);
	}
}

static void test_sender_resumes_after_cut(void **state)
{
	(void)state;
	struct rx *r = rx_new();
	uint32_t resume;
	send_over_link(r, 10, 5, 42, 20000, &resume);
	rx_reboot(r);
	uint64_t sent = send_over_link(r, 10, 5, 43, 0, &resume);
	/* the device kept its saved prefix: the second transfer starts there */
	assert_true(resume >= 16384);
	assert_true(sent < g_app_len);
	assert_true(otk_update_pending(&r->u));
	rx_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunk_without_update_gets_rst),
		cmocka_unit_test(test_bad_start_is_json_error),
		cmocka_unit_test(test_ack_rules),
		cmocka_unit_test(test_lossy_transfers),
		cmocka_unit_test(test_resume_after_reboot),
		cmocka_unit_test(test_cancel_and_bad_file),
		cmocka_unit_test(test_sender_over_lossy_link),
		cmocka_unit_test(test_sender_resumes_after_cut),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

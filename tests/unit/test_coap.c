/*
 * CoAP codec and reliability layer: wire bytes written by hand from
 * RFC 7252/7959, every option-encoding boundary, each message format error,
 * and the timers of spec 06 driven by a fake clock.
 */
#include "testutil.h"

#include <string.h>

#include "otk/coap.h"
#include "otk/coap_reliable.h"
#include "otk/error.h"

/* CON GET mid 0x7d34 token 0x71, Uri-Path "temperature" (RFC 7252 appendix A style). */
static const uint8_t get_temp[] = {
	0x41, 0x01, 0x7d, 0x34, 0x71, 0xbb, 't', 'e', 'm', 'p', 'e', 'r', 'a', 't', 'u', 'r', 'e',
};

static void test_parse_known(void **state)
{
	(void)state;
	struct otk_coap_msg m;
	struct otk_coap_opt o;
	char path[32];

	assert_int_equal(otk_coap_parse(get_temp, sizeof(get_temp), &m), 0);
	assert_int_equal(m.type, OTK_COAP_CON);
	assert_int_equal(m.code, OTK_COAP_GET);
	assert_int_equal(m.mid, 0x7d34);
	assert_int_equal(m.token_len, 1);
	assert_int_equal(m.token[0], 0x71);
	assert_null(m.payload);
	assert_int_equal(otk_coap_opt_find(&m, OTK_COAP_OPT_URI_PATH, &o), 1);
	assert_int_equal(o.len, 11);
	assert_int_equal(otk_coap_uri_path(&m, path, sizeof(path)), 11);
	assert_string_equal(path, "temperature");
	assert_int_equal(otk_coap_uri_path(&m, path, 11), OTK_ENOSPC);
	assert_int_equal(otk_coap_opt_find(&m, OTK_COAP_OPT_BLOCK2, &o), 0);

	/* ACK 2.05 with payload "22.3 C" */
	static const uint8_t ack[] = { 0x61, 0x45, 0x7d, 0x34, 0x71, 0xff, '2', '2', '.', '3', ' ', 'C' };
	assert_int_equal(otk_coap_parse(ack, sizeof(ack), &m), 0);
	assert_int_equal(m.type, OTK_COAP_ACK);
	assert_int_equal(m.code, OTK_COAP_CONTENT);
	assert_int_equal(m.opts_len, 0);
	assert_int_equal(m.payload_len, 6);
	assert_memory_equal(m.payload, "22.3 C", 6);

	/* empty ACK and empty CON (ping) */
	static const uint8_t eack[] = { 0x60, 0x00, 0x12, 0x34 };
	assert_int_equal(otk_coap_parse(eack, 4, &m), 0);
	assert_int_equal(m.code, OTK_COAP_EMPTY);
}

static void test_format_errors(void **state)
{
	(void)state;
	struct otk_coap_msg m;
	static const struct {
		const char *why;
		uint8_t len;
		uint8_t b[12];
	} bad[] = {
		{ "short header", 3, { 0x40, 0x01, 0x00 } },
		{ "version 0", 4, { 0x00, 0x01, 0x00, 0x01 } },
		{ "version 2", 4, { 0x80, 0x01, 0x00, 0x01 } },
		{ "token length 9", 13, { 0x49, 0x01, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8 } },
		{ "token past end", 5, { 0x42, 0x01, 0, 1, 0xaa } },
		{ "empty with token", 5, { 0x41, 0x00, 0, 1, 0xaa } },
		{ "empty with bytes", 5, { 0x40, 0x00, 0, 1, 0xff } },
		{ "marker, no payload", 5, { 0x40, 0x01, 0, 1, 0xff } },
		{ "delta 15, length 0", 6, { 0x40, 0x01, 0, 1, 0xf0, 'x' } },
		{ "length 15", 6, { 0x40, 0x01, 0, 1, 0x1f, 'x' } },
		{ "option past end", 6, { 0x40, 0x01, 0, 1, 0xb3, 'a' } },
		{ "ext delta missing", 5, { 0x40, 0x01, 0, 1, 0xd0 } },
		{ "ext length missing", 6, { 0x40, 0x01, 0, 1, 0x0e, 0x01 } },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (otk_coap_parse(bad[i].b, bad[i].len, &m) != OTK_ECOAP_FORMAT)
			fail_msg("accepted: %s", bad[i].why);
	}
	/* option number past 65535: delta 65535 then delta 1 */
	static const uint8_t over[] = { 0x40, 0x01, 0, 1, 0xe0, 0xfe, 0xf2, 0x10 };
	assert_int_equal(otk_coap_parse(over, sizeof(over), &m), OTK_ECOAP_FORMAT);
	assert_int_equal(otk_coap_parse(over, 7, &m), 0);
	assert_int_equal(otk_coap_parse(NULL, 0, &m), OTK_ECOAP_FORMAT);

	uint8_t type;
	uint16_t mid;
	assert_int_equal(otk_coap_peek_header(bad[3].b, bad[3].len, &type, &mid), 0);
	assert_int_equal(mid, 1);
}

/* Every delta and length around the 13 / 269 boundaries survives a round trip. */
static void test_option_boundaries(void **state)
{
	(void)state;
	static const uint16_t nums[] = { 0, 1, 12, 13, 14, 268, 269, 270, 1000, 65535 };
	static const uint16_t lens[] = { 0, 1, 12, 13, 14, 268, 269, 270, 600 };
	static uint8_t buf[4096], val[700];

	for (size_t i = 0; i < sizeof(val); i++)
		val[i] = (uint8_t)(i * 7);
	for (size_t a = 0; a < 10; a++) {
		for (size_t l = 0; l < 9; l++) {
			struct otk_coap_writer w;
			struct otk_coap_msg m;
			struct otk_coap_opt_iter it;
			struct otk_coap_opt o;
			static const uint8_t tok[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

			otk_coap_begin(&w, buf, sizeof(buf), OTK_COAP_NON, OTK_COAP_POST, 0xbeef, tok, 8);
			otk_coap_add_opt(&w, 11, "a", 1);
			otk_coap_add_opt(&w, (uint16_t)(11 + nums[a] > 65535 ? 65535 : 11 + nums[a]), val,
					 lens[l]);
			otk_coap_set_payload(&w, "pay", 3);
			int n = otk_coap_finish(&w);
			assert_true(n > 0);
			assert_int_equal(otk_coap_parse(buf, (size_t)n, &m), 0);
			assert_int_equal(m.token_len, 8);
			assert_memory_equal(m.token, tok, 8);
			otk_coap_opt_iter_init(&m, &it);
			assert_int_equal(otk_coap_opt_next(&it, &o), 1);
			assert_int_equal(o.num, 11);
			assert_int_equal(otk_coap_opt_next(&it, &o), 1);
			assert_int_equal(o.num, 11 + nums[a] > 65535 ? 65535 : 11 + nums[a]);
			assert_int_equal(o.len, lens[l]);
			assert_memory_equal(o.val, val, lens[l]);
			assert_int_equal(otk_coap_opt_next(&it, &o), 0);
			assert_int_equal(m.payload_len, 3);
			assert_memory_equal(m.payload, "pay", 3);
		}
	}
}

/* Exact bytes for a delta of 13 and a length of 269 (extended forms). */
static void test_writer_bytes(void **state)
{
	(void)state;
	uint8_t buf[600], val[269] = { 0 };
	struct otk_coap_writer w;

	otk_coap_begin(&w, buf, sizeof(buf), OTK_COAP_CON, OTK_COAP_GET, 0x0102, NULL, 0);
	otk_coap_add_opt(&w, 13, "x", 1);
	otk_coap_add_opt(&w, 13, val, 269);
	assert_int_equal(otk_coap_finish(&w), 4 + 3 + 3 + 269);
	static const uint8_t want[] = { 0x40, 0x01, 0x01, 0x02, 0xd1, 0x00, 'x', 0x0e, 0x00, 0x00 };
	assert_memory_equal(buf, want, sizeof(want));

	/* uint options drop leading zeros; 0 has no bytes */
	otk_coap_begin(&w, buf, sizeof(buf), OTK_COAP_CON, OTK_COAP_GET, 1, NULL, 0);
	otk_coap_add_opt_uint(&w, OTK_COAP_OPT_CONTENT_FORMAT, 0);
	otk_coap_add_opt_uint(&w, OTK_COAP_OPT_MAX_AGE, 0x100);
	assert_int_equal(otk_coap_finish(&w), 4 + 1 + 3);
	static const uint8_t want2[] = { 0xc0, 0x22, 0x01, 0x00 };
	assert_memory_equal(buf + 4, want2, 4);

	/* path helper */
	struct otk_coap_msg m;
	char path[16];
	otk_coap_begin(&w, buf, sizeof(buf), OTK_COAP_CON, OTK_COAP_POST, 1, NULL, 0);
	otk_coap_add_path(&w, "E/my/event");
	int n = otk_coap_finish(&w);
	assert_true(n > 0);
	assert_int_equal(otk_coap_parse(buf, (size_t)n, &m), 0);
	assert_int_equal(otk_coap_uri_path(&m, path, sizeof(path)), 10);
	assert_string_equal(path, "E/my/event");
}

static void test_writer_errors(void **state)
{
	(void)state;
	uint8_t buf[16];
	struct otk_coap_writer w;

	otk_coap_begin(&w, buf, sizeof(buf), OTK_COAP_CON, OTK_COAP_GET, 1, NULL, 0);
	otk_coap_add_opt(&w, 11, "a", 1);
	otk_coap_add_opt(&w, 4, "b", 1);
	assert_int_equal(otk_coap_finish(&w), OTK_EINVAL);

	otk_coap_begin(&w, buf, sizeof(buf), OTK_COAP_CON, OTK_COAP_GET, 1, NULL, 0);
	otk_coap_set_payload(&w, "0123456789abcdef", 16);
	assert_int_equal(otk_coap_finish(&w), OTK_ENOSPC);

	otk_coap_begin(&w, buf, sizeof(buf), OTK_COAP_CON, OTK_COAP_EMPTY, 1, (const uint8_t *)"t", 1);
	assert_int_equal(otk_coap_finish(&w), OTK_EINVAL);
	otk_coap_begin(&w, buf, sizeof(buf), OTK_COAP_CON, OTK_COAP_EMPTY, 1, NULL, 0);
	otk_coap_set_payload(&w, "x", 1);
	assert_int_equal(otk_coap_finish(&w), OTK_EINVAL);
	otk_coap_begin(&w, buf, sizeof(buf), OTK_COAP_ACK, OTK_COAP_EMPTY, 7, NULL, 0);
	assert_int_equal(otk_coap_finish(&w), 4);

	otk_coap_begin(&w, buf, sizeof(buf), OTK_COAP_CON, OTK_COAP_GET, 1, NULL, 9);
	assert_int_equal(otk_coap_finish(&w), OTK_EINVAL);

	/* option after payload */
	otk_coap_begin(&w, buf, sizeof(buf), OTK_COAP_CON, OTK_COAP_GET, 1, NULL, 0);
	otk_coap_set_payload(&w, "x", 1);
	otk_coap_add_opt(&w, 11, "a", 1);
	assert_int_equal(otk_coap_finish(&w), OTK_EINVAL);
}

static void test_block(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct otk_coap_writer w;
	struct otk_coap_msg m;
	struct otk_coap_opt o;
	struct otk_coap_block b = { .num = 5, .more = true, .szx = 6 }, d;

	otk_coap_begin(&w, buf, sizeof(buf), OTK_COAP_ACK, OTK_COAP_CONTENT, 1, NULL, 0);
	otk_coap_add_block(&w, OTK_COAP_OPT_BLOCK2, &b);
	int n = otk_coap_finish(&w);
	assert_int_equal(n, 4 + 3);
	assert_int_equal(buf[4], 0xd1); /* delta 23 = 13 + 10, length 1 */
	assert_int_equal(buf[5], 10);
	assert_int_equal(buf[6], 0x5e);
	assert_int_equal(otk_coap_parse(buf, (size_t)n, &m), 0);
	assert_int_equal(otk_coap_opt_find(&m, OTK_COAP_OPT_BLOCK2, &o), 1);
	assert_int_equal(o.val[0], 0x5e);
	assert_int_equal(otk_coap_block_decode(&o, &d), 0);
	assert_int_equal(d.num, 5);
	assert_true(d.more);
	assert_int_equal(d.szx, 6);
	assert_int_equal(otk_coap_block_size(6), 1024);
	assert_int_equal(otk_coap_block_offset(&d), 5120);

	/* the largest block number needs 3 bytes */
	b.num = (1u << 20) - 1;
	b.more = false;
	b.szx = 0;
	otk_coap_begin(&w, buf, sizeof(buf), OTK_COAP_ACK, OTK_COAP_CONTENT, 1, NULL, 0);
	otk_coap_add_block(&w, OTK_COAP_OPT_BLOCK1, &b);
	n = otk_coap_finish(&w);
	assert_int_equal(otk_coap_parse(buf, (size_t)n, &m), 0);
	assert_int_equal(otk_coap_opt_find(&m, OTK_COAP_OPT_BLOCK1, &o), 1);
	assert_int_equal(o.len, 3);
	assert_int_equal(otk_coap_block_decode(&o, &d), 0);
	assert_int_equal(d.num, (1u << 20) - 1);

	b.num = 1u << 20;
	otk_coap_begin(&w, buf, sizeof(buf), OTK_COAP_ACK, OTK_COAP_CONTENT, 1, NULL, 0);
	otk_coap_add_block(&w, OTK_COAP_OPT_BLOCK1, &b);
	assert_int_equal(otk_coap_finish(&w), OTK_EINVAL);

	static const uint8_t szx7[] = { 0x07 }, four[] = { 1, 2, 3, 4 };
	struct otk_coap_opt bad = { .num = 23, .len = 1, .val = szx7 };
	assert_int_equal(otk_coap_block_decode(&bad, &d), OTK_ECOAP_FORMAT);
	bad.len = 4;
	bad.val = four;
	assert_int_equal(otk_coap_block_decode(&bad, &d), OTK_ECOAP_FORMAT);
	struct otk_coap_opt zero = { .num = 23, .len = 0, .val = NULL };
	assert_int_equal(otk_coap_block_decode(&zero, &d), 0);
	assert_int_equal(d.num, 0);
	assert_int_equal(d.szx, 0);

	assert_int_equal(otk_coap_block_szx_for(1023), 5);
	assert_int_equal(otk_coap_block_szx_for(1024), 6);
	assert_int_equal(otk_coap_block_szx_for(15), -1);
}

static int mk(uint8_t *buf, uint8_t type, uint8_t code, uint16_t mid, uint8_t tok)
{
	struct otk_coap_writer w;
	otk_coap_begin(&w, buf, 64, type, code, mid, code ? &tok : NULL, code ? 1 : 0);
	return otk_coap_finish(&w);
}

/* Spec 06: first timeout in [4 s, 6 s], doubling, 3 retransmissions, then give up. */
static void test_rel_timers(void **state)
{
	(void)state;
	struct otk_coap_rel r;
	struct otk_coap_msg m;
	uint8_t buf[64];
	uint32_t t0 = 0xfffff000u; /* across the 32-bit wrap */

	for (uint32_t rnd = 0; rnd < 3; rnd++) {
		otk_coap_rel_init(&r, 100);
		uint16_t mid = otk_coap_rel_next_mid(&r);
		assert_int_equal(mid, 100);
		assert_int_equal(otk_coap_rel_next_mid(&r), 101);
		int n = mk(buf, OTK_COAP_CON, OTK_COAP_POST, mid, 1);
		assert_int_equal(otk_coap_parse(buf, (size_t)n, &m), 0);
		uint32_t rv = rnd == 0 ? 0 : rnd == 1 ? 2000 : 4001; /* 4001 % 2001 = 2000 */
		assert_int_equal(otk_coap_rel_con_sent(&r, &m, t0, rv), 0);
		assert_true(otk_coap_rel_busy(&r));
		assert_int_equal(otk_coap_rel_con_sent(&r, &m, t0, 0), OTK_ECOAP_BUSY);
		uint32_t first = rnd == 0 ? 4000 : 6000;
		if (rnd == 2)
			first = 6000;
		assert_int_equal(otk_coap_rel_deadline(&r, t0), first);
		uint32_t t = t0, timeout = first;
		for (int i = 0; i < 3; i++) {
			assert_int_equal(otk_coap_rel_poll(&r, t + timeout - 1), OTK_COAP_REL_IDLE);
			t += timeout;
			assert_int_equal(otk_coap_rel_poll(&r, t), OTK_COAP_REL_RETRANSMIT);
			timeout *= 2;
			assert_int_equal(otk_coap_rel_deadline(&r, t), timeout);
		}
		assert_int_equal(otk_coap_rel_poll(&r, t + timeout - 1), OTK_COAP_REL_IDLE);
		assert_int_equal(otk_coap_rel_poll(&r, t + timeout), OTK_COAP_REL_GIVE_UP);
		assert_false(otk_coap_rel_busy(&r));
		assert_int_equal(otk_coap_rel_deadline(&r, t), UINT32_MAX);
		/* 4 s * (1 + 2 + 4 + 8) = 60 s at the least factor: the span to give up */
		assert_int_equal(t + timeout - t0, first * 15);
	}
	/* a NON is never outstanding */
	otk_coap_rel_init(&r, 1);
	int n = mk(buf, OTK_COAP_NON, OTK_COAP_POST, 1, 1);
	assert_int_equal(otk_coap_parse(buf, (size_t)n, &m), 0);
	assert_int_equal(otk_coap_rel_con_sent(&r, &m, 0, 0), OTK_EINVAL);
}

static void test_rel_ack_matching(void **state)
{
	(void)state;
	struct otk_coap_rel r;
	struct otk_coap_msg m, a;
	uint8_t buf[64], abuf[64], reply[OTK_COAP_REL_REPLY_MAX];
	size_t rl;

	otk_coap_rel_init(&r, 7);
	int n = mk(buf, OTK_COAP_CON, OTK_COAP_POST, 7, 0x3d);
	assert_int_equal(otk_coap_parse(buf, (size_t)n, &m), 0);
	assert_int_equal(otk_coap_rel_con_sent(&r, &m, 0, 0), 0);

	/* wrong mid: stray */
	n = mk(abuf, OTK_COAP_ACK, OTK_COAP_EMPTY, 8, 0);
	assert_int_equal(otk_coap_parse(abuf, (size_t)n, &a), 0);
	assert_int_equal(otk_coap_rel_rx(&r, &a, 10, reply, sizeof(reply), &rl), OTK_COAP_REL_STRAY);
	/* piggy-backed with the wrong token: stray */
	n = mk(abuf, OTK_COAP_ACK, OTK_COAP_CHANGED, 7, 0x3e);
	assert_int_equal(otk_coap_parse(abuf, (size_t)n, &a), 0);
	assert_int_equal(otk_coap_rel_rx(&r, &a, 10, reply, sizeof(reply), &rl), OTK_COAP_REL_STRAY);
	assert_true(otk_coap_rel_busy(&r));
	/* the right one */
	n = mk(abuf, OTK_COAP_ACK, OTK_COAP_CHANGED, 7, 0x3d);
	assert_int_equal(otk_coap_parse(abuf, (size_t)n, &a), 0);
	assert_int_equal(otk_coap_rel_rx(&r, &a, 10, reply, sizeof(reply), &rl), OTK_COAP_REL_ACKED);
	assert_false(otk_coap_rel_busy(&r));
	/* its duplicate: stray */
	assert_int_equal(otk_coap_rel_rx(&r, &a, 11, reply, sizeof(reply), &rl), OTK_COAP_REL_STRAY);

	/* RST */
	n = mk(buf, OTK_COAP_CON, OTK_COAP_POST, 9, 1);
	assert_int_equal(otk_coap_parse(buf, (size_t)n, &m), 0);
	assert_int_equal(otk_coap_rel_con_sent(&r, &m, 0, 0), 0);
	n = mk(abuf, OTK_COAP_RST, OTK_COAP_EMPTY, 9, 0);
	assert_int_equal(otk_coap_parse(abuf, (size_t)n, &a), 0);
	assert_int_equal(otk_coap_rel_rx(&r, &a, 10, reply, sizeof(reply), &rl), OTK_COAP_REL_RESET);
	assert_false(otk_coap_rel_busy(&r));
}

static void test_rel_dedup(void **state)
{
	(void)state;
	struct otk_coap_rel r;
	struct otk_coap_msg m;
	uint8_t buf[64], reply[OTK_COAP_REL_REPLY_MAX];
	size_t rl;

	otk_coap_rel_init(&r, 1);
	int n = mk(buf, OTK_COAP_CON, OTK_COAP_GET, 0x500, 9);
	assert_int_equal(otk_coap_parse(buf, (size_t)n, &m), 0);
	assert_int_equal(otk_coap_rel_rx(&r, &m, 0, reply, sizeof(reply), &rl), OTK_COAP_REL_NEW);
	assert_int_equal(rl, 0);
	/* a duplicate before the answer: drop */
	assert_int_equal(otk_coap_rel_rx(&r, &m, 1, reply, sizeof(reply), &rl), OTK_COAP_REL_DUP);
	assert_int_equal(rl, 0);
	static const uint8_t ans[] = { 0x61, 0x45, 0x05, 0x00, 9, 0xff, 1, 2, 3, 4 };
	otk_coap_rel_remember(&r, 0x500, ans, sizeof(ans));
	assert_int_equal(otk_coap_rel_rx(&r, &m, 2, reply, sizeof(reply), &rl), OTK_COAP_REL_DUP);
	assert_int_equal(rl, sizeof(ans));
	assert_memory_equal(reply, ans, sizeof(ans));
	/* after EXCHANGE_LIFETIME the id is new again */
	assert_int_equal(otk_coap_rel_rx(&r, &m, r.params.exchange_lifetime_ms, reply, sizeof(reply), &rl),
			 OTK_COAP_REL_NEW);
	/* a too long reply is not kept */
	static uint8_t big[OTK_COAP_REL_REPLY_MAX + 1];
	n = mk(buf, OTK_COAP_CON, OTK_COAP_GET, 0x501, 9);
	assert_int_equal(otk_coap_parse(buf, (size_t)n, &m), 0);
	assert_int_equal(otk_coap_rel_rx(&r, &m, 5, reply, sizeof(reply), &rl), OTK_COAP_REL_NEW);
	otk_coap_rel_remember(&r, 0x501, big, sizeof(big));
	assert_int_equal(otk_coap_rel_rx(&r, &m, 6, reply, sizeof(reply), &rl), OTK_COAP_REL_DUP);
	assert_int_equal(rl, 0);
	/* NON duplicates are dropped too */
	n = mk(buf, OTK_COAP_NON, OTK_COAP_POST, 0x600, 1);
	assert_int_equal(otk_coap_parse(buf, (size_t)n, &m), 0);
	assert_int_equal(otk_coap_rel_rx(&r, &m, 7, reply, sizeof(reply), &rl), OTK_COAP_REL_NEW);
	assert_int_equal(otk_coap_rel_rx(&r, &m, 8, reply, sizeof(reply), &rl), OTK_COAP_REL_DUP);
	/* the table holds the last OTK_COAP_REL_DEDUP ids */
	for (uint16_t i = 0; i < OTK_COAP_REL_DEDUP; i++) {
		n = mk(buf, OTK_COAP_NON, OTK_COAP_POST, (uint16_t)(0x700 + i), 1);
		assert_int_equal(otk_coap_parse(buf, (size_t)n, &m), 0);
		assert_int_equal(otk_coap_rel_rx(&r, &m, 9, reply, sizeof(reply), &rl), OTK_COAP_REL_NEW);
	}
	n = mk(buf, OTK_COAP_NON, OTK_COAP_POST, 0x600, 1);
	assert_int_equal(otk_coap_parse(buf, (size_t)n, &m), 0);
	assert_int_equal(otk_coap_rel_rx(&r, &m, 10, reply, sizeof(reply), &rl), OTK_COAP_REL_NEW);
}

static void test_rel_ping(void **state)
{
	(void)state;
	struct otk_coap_rel r;
	struct otk_coap_msg m;
	uint8_t buf[8], reply[OTK_COAP_REL_REPLY_MAX];
	size_t rl;

	otk_coap_rel_init(&r, 1);
	int n = mk(buf, OTK_COAP_CON, OTK_COAP_EMPTY, 0x4242, 0);
	assert_int_equal(otk_coap_parse(buf, (size_t)n, &m), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(otk_coap_rel_rx(&r, &m, 0, reply, sizeof(reply), &rl), OTK_COAP_REL_PING);
		assert_int_equal(rl, 4);
		static const uint8_t pong[] = { 0x60, 0x00, 0x42, 0x42 };
		assert_memory_equal(reply, pong, 4);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_known),
		cmocka_unit_test(test_format_errors),
		cmocka_unit_test(test_option_boundaries),
		cmocka_unit_test(test_writer_bytes),
		cmocka_unit_test(test_writer_errors),
		cmocka_unit_test(test_block),
		cmocka_unit_test(test_rel_timers),
		cmocka_unit_test(test_rel_ack_matching),
		cmocka_unit_test(test_rel_dedup),
		cmocka_unit_test(test_rel_ping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

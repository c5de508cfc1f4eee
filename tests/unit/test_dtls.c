/*
 * DTLS client and server of otakit against each other in memory: the
 * handshake with cookie, CID and both modes; application data; loss,
 * duplication and reordering; replayed, truncated, forged and out-of-order
 * messages; unknown keys; profile violations refused with the right alert;
 * saved sessions.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "otk/dtls.h"
#include "otk/error.h"

#define QMAX 64

struct q {
	uint8_t *d[QMAX];
	size_t n[QMAX];
	int count;
};

static void q_push(struct q *q, const uint8_t *d, size_t n)
{
	assert_true(q->count < QMAX);
	q->d[q->count] = malloc(n);
	memcpy(q->d[q->count], d, n);
	q->n[q->count++] = n;
}

static void q_clear(struct q *q)
{
	for (int i = 0; i < q->count; i++)
		free(q->d[i]);
	q->count = 0;
}

struct side {
	struct q out;
	uint8_t data[2048];
	size_t data_len;
	int ndata;
};

static void on_send(void *ctx, const uint8_t *d, size_t n)
{
	q_push(&((struct side *)ctx)->out, d, n);
}

static void on_data(void *ctx, const uint8_t *d, size_t n)
{
	struct side *s = ctx;
	memcpy(s->data, d, n);
	s->data_len = n;
	s->ndata++;
}

struct pair {
	EVP_PKEY *skey, *ckey, *other;
	uint8_t spub[200], cpub[200];
	size_t spub_len, cpub_len;
	struct otk_dtls_config scfg, ccfg;
	struct otk_dtls *srv, *cli;
	struct side ss, cs;
	struct otk_dtls_io sio, cio;
	uint8_t addr[6];
	int lookups;
	uint64_t now;
};

static int lookup(void *ctx, const uint8_t *spki, size_t len)
{
	struct pair *p = ctx;
	p->lookups++;
	return len == p->cpub_len && memcmp(spki, p->cpub, len) == 0 ? 0 : -1;
}

static struct pair *pair_new(enum otk_dtls_mode mode)
{
	struct pair *p = calloc(1, sizeof(*p));
	p->skey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p->ckey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p->spub_len = otk_dtls_spki(p->skey, p->spub, sizeof(p->spub));
	p->cpub_len = otk_dtls_spki(p->ckey, p->cpub, sizeof(p->cpub));
	assert_int_equal(p->spub_len, 91);
	p->scfg.mode = mode;
	p->scfg.own_key = p->skey;
	p->scfg.lookup = lookup;
	p->scfg.lookup_ctx = p;
	memset(p->scfg.cookie_secret, 7, 32);
	p->ccfg.mode = mode;
	p->ccfg.own_key = p->ckey;
	p->ccfg.peer_spki = p->spub;
	p->ccfg.peer_spki_len = p->spub_len;
	p->ccfg.client_cid = true;
	p->sio = (struct otk_dtls_io){ on_send, on_data, &p->ss };
	p->cio = (struct otk_dtls_io){ on_send, on_data, &p->cs };
	memcpy(p->addr, "\x7f\0\0\1\x30\x39", 6);
	p->now = 1000;
	return p;
}

static void pair_free(struct pair *p)
{
	otk_dtls_free(p->srv);
	otk_dtls_free(p->cli);
	q_clear(&p->ss.out);
	q_clear(&p->cs.out);
	EVP_PKEY_free(p->skey);
	EVP_PKEY_free(p->ckey);
	EVP_PKEY_free(p->other);
	free(p);
}

/* Delivers one datagram to the server the way otakitd does: accept, then a session. */
static int to_server(struct pair *p, const uint8_t *d, size_t n)
{
	if (!p->srv) {
		uint8_t reply[256];
		size_t rl;
		if (otk_dtls_server_accept(&p->scfg, d, n, p->addr, sizeof(p->addr), reply,
					   sizeof(reply), &rl) != 1) {
			if (rl)
				q_push(&p->ss.out, reply, rl);
			return 0;
		}
		p->srv = otk_dtls_server_new(&p->scfg);
		assert_non_null(p->srv);
	}
	return otk_dtls_input(p->srv, d, n, p->now, &p->sio);
}

/*
 * Moves queued datagrams both ways until both are quiet; drop_mask drops
 * the k-th datagram overall (bit k), dup duplicates every datagram,
 * reverse delivers each batch in reverse order.
 */
static int run(struct pair *p, uint64_t drop_mask, bool dup, bool reverse, int rounds)
{
	int k = 0, last = 0;
	for (int r = 0; r < rounds; r++) {
		struct q cq = p->cs.out, sq = p->ss.out;
		memset(&p->cs.out, 0, sizeof(p->cs.out));
		memset(&p->ss.out, 0, sizeof(p->ss.out));
		if (cq.count == 0 && sq.count == 0) {
			/* nothing in flight: let the timers fire */
			p->now += 70000;
			if (p->cli)
				otk_dtls_poll(p->cli, p->now, &p->cio);
			if (p->srv)
				otk_dtls_poll(p->srv, p->now, &p->sio);
			if (p->cs.out.count == 0 && p->ss.out.count == 0)
				break;
			continue;
		}
		for (int j = 0; j < cq.count; j++) {
			int i = reverse ? cq.count - 1 - j : j;
			bool drop = k < 64 && (drop_mask >> k) & 1;
			k++;
			if (drop)
				continue;
			for (int c = 0; c < (dup ? 2 : 1); c++)
				last = to_server(p, cq.d[i], cq.n[i]);
		}
		for (int j = 0; j < sq.count; j++) {
			int i = reverse ? sq.count - 1 - j : j;
			bool drop = k < 64 && (drop_mask >> k) & 1;
			k++;
			if (drop)
				continue;
			for (int c = 0; c < (dup ? 2 : 1); c++)
				last = otk_dtls_input(p->cli, sq.d[i], sq.n[i], p->now, &p->cio);
		}
		q_clear(&cq);
		q_clear(&sq);
	}
	return last;
}

static void handshake(struct pair *p, uint64_t drop, bool dup, bool reverse)
{
	p->cli = otk_dtls_client_new(&p->ccfg);
	assert_non_null(p->cli);
	assert_int_equal(otk_dtls_start(p->cli, p->now, &p->cio), 0);
	run(p, drop, dup, reverse, 40);
}

static void assert_established(struct pair *p)
{
	uint8_t cid[8], pc[32];
	const uint8_t *k;

	assert_int_equal(otk_dtls_state(p->cli), OTK_DTLS_ESTABLISHED);
	assert_non_null(p->srv);
	assert_int_equal(otk_dtls_state(p->srv), OTK_DTLS_ESTABLISHED);
	assert_int_equal(otk_dtls_own_cid(p->srv, cid), 8);
	assert_int_equal(otk_dtls_peer_cid(p->cli, pc, sizeof(pc)), 8);
	assert_memory_equal(cid, pc, 8);
	assert_int_equal(otk_dtls_peer_key(p->srv, &k), p->cpub_len);
	assert_memory_equal(k, p->cpub, p->cpub_len);
}

/* Application data both ways after a handshake; returns what the other side got. */
static void exchange(struct pair *p)
{
	int before_s = p->ss.ndata, before_c = p->cs.ndata;
	assert_int_equal(otk_dtls_write(p->cli, (const uint8_t *)"ping", 4, &p->cio), 0);
	assert_int_equal(p->cs.out.count, 1);
	/* a device's record carries the 8-byte CID: type 25 */
	assert_int_equal(p->cs.out.d[0][0], 25);
	uint8_t cid[8], want[8];
	assert_int_equal(otk_dtls_record_cid(p->cs.out.d[0], p->cs.out.n[0], cid), 1);
	otk_dtls_own_cid(p->srv, want);
	assert_memory_equal(cid, want, 8);
	assert_int_equal(otk_dtls_input(p->srv, p->cs.out.d[0], p->cs.out.n[0], p->now, &p->sio), 1);
	assert_int_equal(p->ss.ndata, before_s + 1);
	assert_memory_equal(p->ss.data, "ping", 4);
	/* the same record again: the replay window drops it */
	assert_int_equal(otk_dtls_input(p->srv, p->cs.out.d[0], p->cs.out.n[0], p->now, &p->sio), 0);
	assert_int_equal(p->ss.ndata, before_s + 1);
	q_clear(&p->cs.out);
	assert_int_equal(otk_dtls_write(p->srv, (const uint8_t *)"pong!", 5, &p->sio), 0);
	/* the device offered an empty CID: records to it are plain type 23 */
	assert_int_equal(p->ss.out.d[0][0], 23);
	assert_int_equal(otk_dtls_input(p->cli, p->ss.out.d[0], p->ss.out.n[0], p->now, &p->cio), 1);
	assert_int_equal(p->cs.ndata, before_c + 1);
	assert_memory_equal(p->cs.data, "pong!", 5);
	q_clear(&p->ss.out);
}

/*
 * A whole session in mode over a link that drops the datagrams in drop's
 * bits, duplicates and reverses as told: the handshake completes and data
 * flows both ways.  Returns how many times the server looked a key up.
 */
static int full_session(enum otk_dtls_mode mode, uint64_t drop, bool dup, bool reverse)
{
	struct pair *p = pair_new(mode);
	handshake(p, drop, dup, reverse);
	assert_established(p);
	exchange(p);
	int lookups = p->lookups;
	pair_free(p);
	return lookups;
}

/* A pair whose client has sent its ClientHello (queued in cs.out). */
static struct pair *pair_started(enum otk_dtls_mode mode)
{
	struct pair *p = pair_new(mode);
	p->cli = otk_dtls_client_new(&p->ccfg);
	otk_dtls_start(p->cli, p->now, &p->cio);
	return p;
}

/*
 * A Particle-mode pair run up to the client's flight 5 (Certificate,
 * ClientKeyExchange, ...), which waits in cs.out; its first datagram is
 * copied into d for the caller to spoil.
 */
static struct pair *pair_at_flight5(uint8_t d[1500])
{
	struct pair *p = pair_started(OTK_DTLS_PARTICLE);
	run(p, 0, false, false, 4);
	assert_true(p->cs.out.count >= 1);
	memcpy(d, p->cs.out.d[0], p->cs.out.n[0]);
	return p;
}

static void test_handshake_particle(void **state)
{
	(void)state;
	assert_int_equal(full_session(OTK_DTLS_PARTICLE, 0, false, false), 1);
}

static void test_handshake_rfc7250(void **state)
{
	(void)state;
	full_session(OTK_DTLS_RFC7250, 0, false, false);
}

/* A Particle-mode client never reads a Certificate: against a standard server it fails. */
static void test_particle_client_refuses_certificate(void **state)
{
	(void)state;
	struct pair *p = pair_new(OTK_DTLS_RFC7250);
	p->ccfg.mode = OTK_DTLS_PARTICLE;
	handshake(p, 0, false, false);
	assert_int_equal(otk_dtls_state(p->cli), OTK_DTLS_FAILED);
	assert_int_equal(otk_dtls_alert(p->cli), 10); /* unexpected_message */
	pair_free(p);
}

/* The client checks ServerKeyExchange with the key it holds: another key fails. */
static void test_wrong_server_key(void **state)
{
	(void)state;
	struct pair *p = pair_new(OTK_DTLS_PARTICLE);
	p->other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p->scfg.own_key = p->other;
	handshake(p, 0, false, false);
	assert_int_equal(otk_dtls_state(p->cli), OTK_DTLS_FAILED);
	assert_int_equal(otk_dtls_alert(p->cli), 51); /* decrypt_error */
	assert_true(p->srv == NULL || otk_dtls_state(p->srv) != OTK_DTLS_ESTABLISHED);
	pair_free(p);
}

static void test_unknown_device_key(void **state)
{
	(void)state;
	struct pair *p = pair_new(OTK_DTLS_PARTICLE);
	p->other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p->ccfg.own_key = p->other;
	handshake(p, 0, false, false);
	assert_non_null(p->srv);
	assert_int_equal(otk_dtls_state(p->srv), OTK_DTLS_FAILED);
	assert_int_equal(otk_dtls_alert(p->srv), 49); /* access_denied */
	assert_int_equal(otk_dtls_state(p->cli), OTK_DTLS_FAILED);
	assert_int_equal(otk_dtls_alert(p->cli), 49);
	pair_free(p);
}

/* Loss of each of the first datagrams in turn, duplication and reordering. */
static void test_loss_dup_reorder(void **state)
{
	(void)state;
	for (int k = 0; k < 12; k++)
		full_session(OTK_DTLS_PARTICLE, 1ull << k, false, false);
	full_session(OTK_DTLS_PARTICLE, 0x5, true, false);
	full_session(OTK_DTLS_PARTICLE, 0, true, true);
}

/* The first ClientHello gets a HelloVerifyRequest and no state; a forged cookie the same. */
static void test_cookie(void **state)
{
	(void)state;
	struct pair *p = pair_started(OTK_DTLS_PARTICLE);
	assert_int_equal(p->cs.out.count, 1);
	uint8_t reply[256];
	size_t rl;
	assert_int_equal(otk_dtls_server_accept(&p->scfg, p->cs.out.d[0], p->cs.out.n[0], p->addr, 6,
						reply, sizeof(reply), &rl), 0);
	assert_true(rl > 13 + 12);
	assert_int_equal(reply[13], 3); /* HelloVerifyRequest */
	q_clear(&p->cs.out);
	assert_int_equal(otk_dtls_input(p->cli, reply, rl, p->now, &p->cio), 0);
	assert_int_equal(p->cs.out.count, 1);
	/* from another address the cookie is wrong */
	uint8_t other[6] = { 10, 0, 0, 1, 0, 1 };
	assert_int_equal(otk_dtls_server_accept(&p->scfg, p->cs.out.d[0], p->cs.out.n[0], other, 6,
						reply, sizeof(reply), &rl), 0);
	assert_true(rl > 0);
	assert_int_equal(otk_dtls_server_accept(&p->scfg, p->cs.out.d[0], p->cs.out.n[0], p->addr, 6,
						reply, sizeof(reply), &rl), 1);
	/* truncated hellos are dropped without an answer */
	for (size_t n = 0; n < p->cs.out.n[0]; n += 7) {
		assert_int_equal(otk_dtls_server_accept(&p->scfg, p->cs.out.d[0], n, p->addr, 6, reply,
							sizeof(reply), &rl), 0);
		assert_int_equal(rl, 0);
	}
	pair_free(p);
}

/* A ClientHello outside the profile, with the alert it gets. */
static void test_profile_refusals(void **state)
{
	(void)state;
	struct pair *p = pair_started(OTK_DTLS_PARTICLE);
	uint8_t hello[512];
	size_t hl = p->cs.out.n[0];
	memcpy(hello, p->cs.out.d[0], hl);
	/* locate fields: record 13, hs header 12, version 2, random 32, sid 1 (0), cookie 1 (0) */
	size_t body = 13 + 12;
	size_t suites = body + 2 + 32 + 1 + 1;
	static const struct {
		const char *what;
		size_t off;
		uint8_t val;
		int alert;
	} cases[] = {
		{ "DTLS 1.0", 0, 0xff, 70 },
		{ "no CCM-8 suite", 1, 0xad, 40 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint8_t h[512];
		memcpy(h, hello, hl);
		if (cases[c].off == 0)
			h[body + 1] = cases[c].val;
		else
			h[suites + 2 + 1] = cases[c].val; /* low byte of the first suite */
		struct otk_dtls *s = otk_dtls_server_new(&p->scfg);
		q_clear(&p->ss.out);
		assert_true(otk_dtls_input(s, h, hl, p->now, &p->sio) < 0);
		assert_int_equal(otk_dtls_state(s), OTK_DTLS_FAILED);
		if (otk_dtls_alert(s) != cases[c].alert)
			fail_msg("%s: alert %d, want %d", cases[c].what, otk_dtls_alert(s), cases[c].alert);
		assert_int_equal(p->ss.out.count, 1);
		assert_int_equal(p->ss.out.d[0][0], 21); /* an alert record went out */
		assert_int_equal(p->ss.out.d[0][14], cases[c].alert);
		otk_dtls_free(s);
	}
	/* X.509 only: drop the cert type extensions by renaming them to unknown numbers */
	uint8_t h[512];
	memcpy(h, hello, hl);
	for (size_t i = suites; i + 4 < hl; i++)
		if (h[i] == 0 && (h[i + 1] == 19 || h[i + 1] == 20) && h[i + 2] == 0 && h[i + 3] == 2)
			h[i + 1] = 0x77;
	struct otk_dtls *s = otk_dtls_server_new(&p->scfg);
	assert_true(otk_dtls_input(s, h, hl, p->now, &p->sio) < 0);
	assert_int_equal(otk_dtls_alert(s), 43); /* unsupported_certificate */
	otk_dtls_free(s);
	/* every truncation of the hello record: malformed, never accepted */
	for (size_t n = 13 + 12; n < hl; n++) {
		memcpy(h, hello, hl);
		h[11] = (uint8_t)((n - 13) >> 8);
		h[12] = (uint8_t)(n - 13);
		s = otk_dtls_server_new(&p->scfg);
		q_clear(&p->ss.out);
		otk_dtls_input(s, h, n, p->now, &p->sio);
		assert_int_not_equal(otk_dtls_state(s), OTK_DTLS_ESTABLISHED);
		assert_int_equal(p->lookups, 0);
		otk_dtls_free(s);
	}
	pair_free(p);
}

/* Forged and out-of-order records after the handshake are dropped; the session goes on. */
static void test_forged_records(void **state)
{
	(void)state;
	struct pair *p = pair_new(OTK_DTLS_PARTICLE);
	handshake(p, 0, false, false);
	assert_established(p);
	struct q recs = { 0 };
	for (int i = 0; i < 3; i++) {
		uint8_t m = (uint8_t)('a' + i);
		otk_dtls_write(p->cli, &m, 1, &p->cio);
	}
	recs = p->cs.out;
	memset(&p->cs.out, 0, sizeof(p->cs.out));
	/* a flipped bit anywhere in the protected part fails authentication */
	for (size_t at = 11 + 8 + 2; at < recs.n[0]; at++) {
		uint8_t f[256];
		memcpy(f, recs.d[0], recs.n[0]);
		f[at] ^= 0x01;
		assert_int_equal(otk_dtls_input(p->srv, f, recs.n[0], p->now, &p->sio), 0);
	}
	/* a wrong CID is not ours */
	uint8_t f[256];
	memcpy(f, recs.d[0], recs.n[0]);
	f[11] ^= 0x80;
	assert_int_equal(otk_dtls_input(p->srv, f, recs.n[0], p->now, &p->sio), 0);
	/* truncated */
	for (size_t n = 0; n < recs.n[0]; n++)
		assert_true(otk_dtls_input(p->srv, recs.d[0], n, p->now, &p->sio) <= 0);
	assert_int_equal(p->ss.ndata, 0);
	/* out of order: 3, 1, 2 all accepted once, replays not */
	assert_int_equal(otk_dtls_input(p->srv, recs.d[2], recs.n[2], p->now, &p->sio), 1);
	assert_int_equal(otk_dtls_input(p->srv, recs.d[0], recs.n[0], p->now, &p->sio), 1);
	assert_int_equal(otk_dtls_input(p->srv, recs.d[1], recs.n[1], p->now, &p->sio), 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(otk_dtls_input(p->srv, recs.d[i], recs.n[i], p->now, &p->sio), 0);
	assert_int_equal(p->ss.ndata, 3);
	/* an unauthenticated alert cannot end an established session */
	static const uint8_t alert[] = { 21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 2, 2, 40 };
	otk_dtls_input(p->srv, alert, sizeof(alert), p->now, &p->sio);
	assert_int_equal(otk_dtls_state(p->srv), OTK_DTLS_ESTABLISHED);
	/* unauthenticated handshake and ChangeCipherSpec noise cannot end it either */
	static const uint8_t junk_hs[] = { 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 3, 11, 0, 9 };
	static const uint8_t junk_ccs[] = { 20, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 2, 7, 7 };
	otk_dtls_input(p->srv, junk_hs, sizeof(junk_hs), p->now, &p->sio);
	otk_dtls_input(p->srv, junk_ccs, sizeof(junk_ccs), p->now, &p->sio);
	otk_dtls_input(p->cli, junk_hs, sizeof(junk_hs), p->now, &p->cio);
	otk_dtls_input(p->cli, junk_ccs, sizeof(junk_ccs), p->now, &p->cio);
	assert_int_equal(otk_dtls_state(p->srv), OTK_DTLS_ESTABLISHED);
	assert_int_equal(otk_dtls_state(p->cli), OTK_DTLS_ESTABLISHED);
	q_clear(&p->ss.out);
	q_clear(&p->cs.out);
	q_clear(&recs);
	exchange(p);
	pair_free(p);
}

/* Out-of-order and forged handshake messages fail the handshake with an alert. */
static void test_handshake_state_machine(void **state)
{
	(void)state;
	struct pair *p = pair_started(OTK_DTLS_PARTICLE);
	run(p, 0, false, false, 3); /* hello, verify request, hello with cookie: flight 4 queued */
	assert_non_null(p->srv);
	assert_true(p->ss.out.count >= 1);
	/* a forged flight: flip a byte in the ServerKeyExchange signature area */
	struct q f4 = p->ss.out;
	memset(&p->ss.out, 0, sizeof(p->ss.out));
	uint8_t d[1500];
	memcpy(d, f4.d[0], f4.n[0]);
	/* inside the ServerKeyExchange signature: before CertificateRequest (33) and Done (25) */
	d[f4.n[0] - 58 - 20] ^= 0x10;
	otk_dtls_input(p->cli, d, f4.n[0], p->now, &p->cio);
	assert_int_equal(otk_dtls_state(p->cli), OTK_DTLS_FAILED);
	q_clear(&f4);
	pair_free(p);

	/* the server gets ClientKeyExchange before Certificate */
	p = pair_at_flight5(d);
	/* rewrite the first handshake message type of flight 5 (Certificate) to CKE */
	assert_int_equal(d[13], 11);
	d[13] = 16;
	otk_dtls_input(p->srv, d, p->cs.out.n[0], p->now, &p->sio);
	assert_int_equal(otk_dtls_state(p->srv), OTK_DTLS_FAILED);
	assert_int_equal(otk_dtls_alert(p->srv), 10);
	pair_free(p);

	/* a ClientKeyExchange point off the curve (invalid-curve attack): illegal_parameter */
	p = pair_at_flight5(d);
	size_t r2 = 13 + (size_t)(d[11] << 8 | d[12]);
	assert_int_equal(d[r2 + 13], 16);
	assert_int_equal(d[r2 + 13 + 12], 65);
	d[r2 + 13 + 12 + 65] ^= 0x01; /* last byte of y */
	otk_dtls_input(p->srv, d, p->cs.out.n[0], p->now, &p->sio);
	assert_int_equal(otk_dtls_state(p->srv), OTK_DTLS_FAILED);
	assert_int_equal(otk_dtls_alert(p->srv), 47);
	pair_free(p);

	/* a client key that is not a P-256 SubjectPublicKeyInfo: bad_certificate */
	p = pair_at_flight5(d);
	assert_int_equal(d[13], 11);
	d[13 + 12 + 3 + 20] ^= 0x01; /* inside the curve OID */
	otk_dtls_input(p->srv, d, p->cs.out.n[0], p->now, &p->sio);
	assert_int_equal(otk_dtls_alert(p->srv), 42);
	assert_int_equal(p->lookups, 0);
	pair_free(p);
}

static void test_save_load(void **state)
{
	(void)state;
	struct pair *p = pair_new(OTK_DTLS_PARTICLE);
	handshake(p, 0, false, false);
	assert_established(p);
	exchange(p);
	uint8_t sb[OTK_DTLS_SAVE_MAX], cb[OTK_DTLS_SAVE_MAX];
	assert_true(otk_dtls_save_due(p->srv));
	int sn = otk_dtls_save(p->srv, sb, sizeof(sb));
	int cn = otk_dtls_save(p->cli, cb, sizeof(cb));
	assert_true(sn > 0 && cn > 0);
	assert_false(otk_dtls_save_due(p->srv));
	assert_int_equal(otk_dtls_save(p->srv, sb, 10), OTK_ENOSPC);
	/* the server restarts: a new session from the saved bytes, no handshake */
	otk_dtls_free(p->srv);
	p->srv = otk_dtls_load(&p->scfg, sb, (size_t)sn);
	assert_non_null(p->srv);
	exchange(p);
	/* the device restarts too */
	otk_dtls_free(p->cli);
	p->cli = otk_dtls_load(&p->ccfg, cb, (size_t)cn);
	assert_non_null(p->cli);
	exchange(p);
	/* corrupt or short saves are refused */
	for (int n = 0; n < sn; n++)
		assert_null(otk_dtls_load(&p->scfg, sb, (size_t)n));
	sb[4] = 9;
	assert_null(otk_dtls_load(&p->scfg, sb, (size_t)sn));
	pair_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_particle),
		cmocka_unit_test(test_handshake_rfc7250),
		cmocka_unit_test(test_particle_client_refuses_certificate),
		cmocka_unit_test(test_wrong_server_key),
		cmocka_unit_test(test_unknown_device_key),
		cmocka_unit_test(test_loss_dup_reorder),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_profile_refusals),
		cmocka_unit_test(test_forged_records),
		cmocka_unit_test(test_handshake_state_machine),
		cmocka_unit_test(test_save_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

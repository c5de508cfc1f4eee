/*
 * What both roles share: sessions, the handshake transcript, flights and
 * their retransmission (RFC 6347 4.2.4), reassembly of fragmented messages
 * (4.2.3), keys and Finished, the input loop, application data, and saved
 * sessions.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "dtls_internal.h"
#include "otk/error.h"

int rdr_u8(struct rdr *r)
{
	if (r->n < 1) {
		r->bad = true;
		return 0;
	}
	r->n--;
	return *r->p++;
}

int rdr_u16(struct rdr *r)
{
	if (r->n < 2) {
		r->bad = true;
		return 0;
	}
	int v = rd16(r->p);
	r->p += 2;
	r->n -= 2;
	return v;
}

uint32_t rdr_u24(struct rdr *r)
{
	if (r->n < 3) {
		r->bad = true;
		return 0;
	}
	uint32_t v = rd24(r->p);
	r->p += 3;
	r->n -= 3;
	return v;
}

const uint8_t *rdr_bytes(struct rdr *r, size_t len)
{
	if (r->bad || r->n < len) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += len;
	r->n -= len;
	return p;
}

const uint8_t *rdr_vec(struct rdr *r, int lenbytes, size_t *len)
{
	*len = lenbytes == 1 ? (size_t)rdr_u8(r) : lenbytes == 2 ? (size_t)rdr_u16(r) : rdr_u24(r);
	if (r->bad)
		return NULL;
	if (*len == 0)
		return (const uint8_t *)"";
	return rdr_bytes(r, *len);
}

struct otk_dtls *dtls_new(const struct otk_dtls_config *cfg, bool server)
{
	struct otk_dtls *s = calloc(1, sizeof(*s));

	if (!s || !cfg->own_key || cfg->peer_spki_len > OTK_DTLS_SPKI_MAX) {
		free(s);
		return NULL;
	}
	s->cfg = *cfg;
	if (cfg->peer_spki_len) {
		memcpy(s->peer_pin, cfg->peer_spki, cfg->peer_spki_len);
		s->cfg.peer_spki = s->peer_pin;
	}
	EVP_PKEY_up_ref(cfg->own_key);
	if (!s->cfg.hs_timeout_min_ms)
		s->cfg.hs_timeout_min_ms = 1000;
	if (!s->cfg.hs_timeout_max_ms)
		s->cfg.hs_timeout_max_ms = 60000;
	if (!s->cfg.mtu || s->cfg.mtu > 1500)
		s->cfg.mtu = 1280;
	s->server = server;
	s->hs = server ? ST_CLIENT_HELLO : ST_SERVER_HELLO;
	s->alert = -1;
	s->deadline = UINT64_MAX;
	s->transcript = malloc(TRANSCRIPT_MAX);
	s->rx = malloc(HS_MSG_MAX);
	s->rx_map = calloc(1, HS_MSG_MAX / 8);
	if (!s->transcript || !s->rx || !s->rx_map) {
		otk_dtls_free(s);
		return NULL;
	}
	return s;
}

void dtls_flight_clear(struct otk_dtls *s)
{
	for (int i = 0; i < s->nflight; i++)
		free(s->flight[i].data);
	s->nflight = 0;
}

void otk_dtls_free(struct otk_dtls *s)
{
	if (!s)
		return;
	dtls_flight_clear(s);
	EVP_PKEY_free(s->cfg.own_key);
	EVP_PKEY_free(s->eph);
	EVP_PKEY_free(s->peer_sign_key);
	free(s->transcript);
	free(s->rx);
	free(s->rx_map);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

/* Frees what only the handshake needs; the last flight stays for retransmission. */
void dtls_handshake_done(struct otk_dtls *s)
{
	s->hs = ST_DONE;
	s->state = OTK_DTLS_ESTABLISHED;
	EVP_PKEY_free(s->eph);
	s->eph = NULL;
	EVP_PKEY_free(s->peer_sign_key);
	s->peer_sign_key = NULL;
	free(s->transcript);
	s->transcript = NULL;
	free(s->rx);
	s->rx = NULL;
	free(s->rx_map);
	s->rx_map = NULL;
}

int dtls_hs_append(struct otk_dtls *s, const uint8_t *msg, size_t len)
{
	if (!s->transcript || TRANSCRIPT_MAX - s->tlen < len)
		return OTK_ENOSPC;
	memcpy(s->transcript + s->tlen, msg, len);
	s->tlen += len;
	return OTK_OK;
}

/* Adds a message to the flight being built; handshake messages enter the transcript. */
int dtls_flight_add(struct otk_dtls *s, uint8_t type, uint16_t epoch, uint8_t hs_type,
		    const uint8_t *body, size_t len)
{
	if (s->nflight == FLIGHT_MAX)
		return OTK_ENOSPC;
	struct flight_msg *f = &s->flight[s->nflight];
	size_t total = type == CT_HANDSHAKE ? HS_HDR + len : len;
	f->data = malloc(total ? total : 1);
	if (!f->data)
		return OTK_ENOMEM;
	f->type = type;
	f->epoch = epoch;
	f->len = total;
	if (type == CT_HANDSHAKE) {
		uint8_t *h = f->data;
		h[0] = hs_type;
		wr24(h + 1, (uint32_t)len);
		wr16(h + 4, s->out_msg_seq++);
		wr24(h + 6, 0);
		wr24(h + 9, (uint32_t)len);
		if (len)
			memcpy(h + HS_HDR, body, len);
		/* HelloVerifyRequest is not part of the transcript (RFC 6347 4.2.6) */
		if (hs_type != HS_HELLO_VERIFY) {
			int rc = dtls_hs_append(s, h, total);
			if (rc)
				return rc;
		}
	} else {
		memcpy(f->data, body, len);
	}
	s->nflight++;
	return OTK_OK;
}

/* Sends the current flight, packing records into datagrams and fragmenting large messages. */
int dtls_flight_send(struct otk_dtls *s, const struct otk_dtls_io *io)
{
	struct dgram_out d = { .len = 0, .mtu = s->cfg.mtu };

	for (int i = 0; i < s->nflight; i++) {
		struct flight_msg *f = &s->flight[i];
		if (f->epoch > 0 && !s->keys_ready)
			return OTK_EINVAL;
		/* the records of epoch 1 in the flight: switch the write epoch for them */
		if (f->type != CT_HANDSHAKE) {
			if (dtls_record_write(s, &d, f->type, f->epoch, f->data, f->len) == OTK_ENOSPC) {
				dtls_flush(&d, io);
				if (dtls_record_write(s, &d, f->type, f->epoch, f->data, f->len))
					return OTK_EIO;
			}
			continue;
		}
		size_t body = f->len - HS_HDR, off = 0;
		do {
			size_t over = REC_HDR + HS_HDR + CCM_EXPLICIT + CCM_TAG + 1 + s->peer_cid_len;
			if (d.mtu - d.len < over + 16)
				dtls_flush(&d, io);
			size_t room = d.mtu - d.len - over;
			size_t n = body - off < room ? body - off : room;
			uint8_t frag[HS_HDR + 1500];
			memcpy(frag, f->data, 6);
			wr24(frag + 6, (uint32_t)off);
			wr24(frag + 9, (uint32_t)n);
			memcpy(frag + HS_HDR, f->data + HS_HDR + off, n);
			if (dtls_record_write(s, &d, CT_HANDSHAKE, f->epoch, frag, HS_HDR + n))
				return OTK_EIO;
			off += n;
		} while (off < body);
	}
	dtls_flush(&d, io);
	return OTK_OK;
}

void dtls_timer_start(struct otk_dtls *s, uint64_t now)
{
	s->timeout_ms = s->cfg.hs_timeout_min_ms;
	s->deadline = now + s->timeout_ms;
}

int otk_dtls_poll(struct otk_dtls *s, uint64_t now_ms, const struct otk_dtls_io *io)
{
	if (s->state != OTK_DTLS_HANDSHAKE || s->deadline == UINT64_MAX || now_ms < s->deadline)
		return OTK_OK;
	if (s->timeout_ms >= s->cfg.hs_timeout_max_ms) {
		/* the last wait ran out: give up (RFC 6347 4.2.4.1) */
		s->state = OTK_DTLS_FAILED;
		s->deadline = UINT64_MAX;
		return OTK_EDTLS_REFUSED;
	}
	s->timeout_ms *= 2;
	if (s->timeout_ms > s->cfg.hs_timeout_max_ms)
		s->timeout_ms = s->cfg.hs_timeout_max_ms;
	s->deadline = now_ms + s->timeout_ms;
	return dtls_flight_send(s, io);
}

uint64_t otk_dtls_timeout(const struct otk_dtls *s)
{
	return s->state == OTK_DTLS_HANDSHAKE ? s->deadline : UINT64_MAX;
}

int dtls_derive_keys(struct otk_dtls *s, const uint8_t *pms, size_t plen)
{
	uint8_t kb[40];

	if (dtls_prf(pms, plen, "master secret", s->client_random, 32, s->server_random, 32,
		     s->master, 48) ||
	    dtls_prf(s->master, 48, "key expansion", s->server_random, 32, s->client_random, 32,
		     kb, 40))
		return OTK_EIO;
	/* client_write_key, server_write_key, client_write_IV, server_write_IV */
	struct dir_keys c, sv;
	memcpy(c.key, kb, 16);
	memcpy(sv.key, kb + 16, 16);
	memcpy(c.iv, kb + 32, 4);
	memcpy(sv.iv, kb + 36, 4);
	s->wr = s->server ? sv : c;
	s->rd = s->server ? c : sv;
	s->keys_ready = true;
	OPENSSL_cleanse(kb, sizeof(kb));
	return OTK_OK;
}

int dtls_finished(struct otk_dtls *s, bool client, uint8_t out[12])
{
	uint8_t h[32];

	if (dtls_sha256(s->transcript, s->tlen, h))
		return OTK_EIO;
	return dtls_prf(s->master, 48, client ? "client finished" : "server finished", h, 32,
			NULL, 0, out, 12);
}

int dtls_fail(struct otk_dtls *s, uint8_t desc, int err, const struct otk_dtls_io *io)
{
	dtls_send_alert(s, 2, desc, io);
	s->alert = desc;
	s->state = OTK_DTLS_FAILED;
	s->deadline = UINT64_MAX;
	return err;
}

/*
 * One handshake record's fragments: reassembles the expected message and
 * hands complete ones to the role.  Earlier messages mean the peer repeats
 * its last flight because ours was lost: send ours again (once per flight
 * of theirs, keyed on its first message).
 */
static int handshake_record(struct otk_dtls *s, const uint8_t *p, size_t n, uint64_t now,
			    const struct otk_dtls_io *io, bool *resent)
{
	while (n > 0) {
		if (n < HS_HDR)
			return dtls_fail(s, AL_DECODE_ERROR, OTK_EDTLS_FORMAT, io);
		uint8_t type = p[0];
		uint32_t mlen = rd24(p + 1);
		uint16_t seq = rd16(p + 4);
		uint32_t foff = rd24(p + 6), flen = rd24(p + 9);
		if (n - HS_HDR < flen || foff + flen > mlen)
			return dtls_fail(s, AL_DECODE_ERROR, OTK_EDTLS_FORMAT, io);
		const uint8_t *frag = p + HS_HDR;
		p += HS_HDR + flen;
		n -= HS_HDR + flen;
		if (s->hs == ST_DONE || seq < s->in_msg_seq) {
			/* a retransmitted flight of the peer: ours was lost (a client that
			 * is done has nothing the server waits for) */
			if (!*resent && s->nflight && !(s->hs == ST_DONE && !s->server)) {
				*resent = true;
				dtls_flight_send(s, io);
			}
			continue;
		}
		if (s->server && s->hs == ST_CLIENT_HELLO && type == HS_CLIENT_HELLO)
			s->in_msg_seq = seq; /* the cookie ClientHello: 1 after a HelloVerifyRequest */
		if (seq > s->in_msg_seq)
			continue; /* a later message: dropped, the flight comes again */
		if (mlen > HS_MSG_MAX)
			return dtls_fail(s, AL_DECODE_ERROR, OTK_EDTLS_FORMAT, io);
		if (!s->rx_active) {
			s->rx_active = true;
			s->rx_type = type;
			s->rx_len = mlen;
			s->rx_have = 0;
			memset(s->rx_map, 0, HS_MSG_MAX / 8);
		} else if (s->rx_type != type || s->rx_len != mlen) {
			return dtls_fail(s, AL_ILLEGAL_PARAMETER, OTK_EDTLS_FORMAT, io);
		}
		for (uint32_t i = 0; i < flen; i++) {
			uint32_t at = foff + i;
			if (!(s->rx_map[at / 8] & (1u << (at % 8)))) {
				s->rx_map[at / 8] |= (uint8_t)(1u << (at % 8));
				s->rx[HS_HDR + at] = frag[i];
				s->rx_have++;
			}
		}
		if (s->rx_have < s->rx_len)
			continue;
		/* complete: as if it came unfragmented (the transcript form) */
		uint8_t *m = s->rx;
		m[0] = type;
		wr24(m + 1, mlen);
		wr16(m + 4, seq);
		wr24(m + 6, 0);
		wr24(m + 9, mlen);
		s->rx_active = false;
		s->in_msg_seq++;
		int rc = s->server ? dtls_server_message(s, m, HS_HDR + mlen, now, io)
				   : dtls_client_message(s, m, HS_HDR + mlen, now, io);
		if (rc < 0)
			return rc;
		if (s->hs == ST_DONE)
			break;
	}
	return OTK_OK;
}

int otk_dtls_input(struct otk_dtls *s, const uint8_t *dgram, size_t len, uint64_t now_ms,
		   const struct otk_dtls_io *io)
{
	uint8_t buf[2048];
	size_t off = 0;
	int authed = 0;
	bool resent = false;
	struct record r;

	if (s->state == OTK_DTLS_FAILED || s->state == OTK_DTLS_CLOSED)
		return OTK_EDTLS_ALERT;
	if (len > sizeof(buf))
		return 0;
	memcpy(buf, dgram, len);
	s->moved = false;
	for (;;) {
		int rc = dtls_record_next(s, buf, len, &off, &r);
		if (rc == 0 || rc == OTK_EDTLS_FORMAT)
			break;
		if (rc == -2)
			continue;
		if (rc == 2)
			authed++;
		switch (r.type) {
		case CT_HANDSHAKE:
			/*
			 * The stateless HelloVerifyRequest reused the first hello's record
			 * number (RFC 6347 4.2.1); continue from the cookie hello's, so
			 * the client's replay window does not drop our ServerHello.
			 */
			if (s->server && s->hs == ST_CLIENT_HELLO && r.epoch == 0 &&
			    r.seq > s->write_seq[0])
				s->write_seq[0] = r.seq;
			if (s->state == OTK_DTLS_ESTABLISHED && r.epoch > 0 && r.len >= 1 &&
			    r.data[0] == HS_CLIENT_HELLO && s->server) {
				/* renegotiation is not part of the profile */
				dtls_send_alert(s, 1, AL_NO_RENEGOTIATION, io);
				break;
			}
			if (s->state == OTK_DTLS_ESTABLISHED) {
				/*
				 * Only a repeated last flight of the peer matters now (ours
				 * was lost).  Unauthenticated epoch-0 bytes must never end an
				 * established session, so nothing here is fatal.
				 */
				if (s->server && !resent && s->nflight && r.len >= HS_HDR &&
				    (r.epoch > 0 || r.data[0] != HS_CLIENT_HELLO)) {
					resent = true;
					dtls_flight_send(s, io);
				}
				break;
			}
			rc = handshake_record(s, r.data, r.len, now_ms, io, &resent);
			if (rc < 0)
				return rc;
			break;
		case CT_CCS:
			if (s->state == OTK_DTLS_ESTABLISHED)
				break; /* part of a repeated flight, or noise */
			if (r.epoch != 0 || r.len != 1 || r.data[0] != 1)
				return dtls_fail(s, AL_DECODE_ERROR, OTK_EDTLS_FORMAT, io);
			if (s->hs == ST_DONE)
				break; /* part of a repeated flight */
			rc = s->server ? dtls_server_ccs(s, io) : dtls_client_ccs(s, io);
			if (rc < 0)
				return rc;
			break;
		case CT_ALERT:
			if (r.len != 2)
				break;
			if (r.epoch == 0 && s->state == OTK_DTLS_ESTABLISHED)
				break; /* unauthenticated: cannot end an established session */
			if (r.data[1] == AL_CLOSE_NOTIFY) {
				s->alert = AL_CLOSE_NOTIFY;
				s->state = OTK_DTLS_CLOSED;
				return OTK_EDTLS_ALERT;
			}
			if (r.data[0] == 2) {
				s->alert = r.data[1];
				s->state = OTK_DTLS_FAILED;
				return OTK_EDTLS_ALERT;
			}
			break;
		case CT_APP:
			if (s->state != OTK_DTLS_ESTABLISHED || r.epoch == 0)
				break;
			if (r.len > OTK_DTLS_RECORD_MAX)
				break;
			if (io && io->data)
				io->data(io->ctx, r.data, r.len);
			break;
		default:
			break; /* unknown content types are ignored */
		}
		if (s->state == OTK_DTLS_FAILED)
			return OTK_EDTLS_REFUSED;
	}
	return authed;
}

int otk_dtls_write(struct otk_dtls *s, const uint8_t *data, size_t len,
		   const struct otk_dtls_io *io)
{
	struct dgram_out d = { .len = 0, .mtu = sizeof(d.buf) };

	if (s->state != OTK_DTLS_ESTABLISHED)
		return OTK_EINVAL;
	if (len > OTK_DTLS_RECORD_MAX)
		return OTK_ETOOBIG;
	int rc = dtls_record_write(s, &d, CT_APP, s->write_epoch, data, len);
	if (rc)
		return rc;
	dtls_flush(&d, io);
	return OTK_OK;
}

enum otk_dtls_state otk_dtls_state(const struct otk_dtls *s)
{
	return s->state;
}

size_t otk_dtls_own_cid(const struct otk_dtls *s, uint8_t out[OTK_DTLS_CID_LEN])
{
	if (!s->cid_on || s->own_cid_len != OTK_DTLS_CID_LEN)
		return 0;
	memcpy(out, s->own_cid, OTK_DTLS_CID_LEN);
	return OTK_DTLS_CID_LEN;
}

size_t otk_dtls_peer_cid(const struct otk_dtls *s, uint8_t *out, size_t cap)
{
	if (!s->cid_on || s->peer_cid_len > cap)
		return 0;
	memcpy(out, s->peer_cid, s->peer_cid_len);
	return s->peer_cid_len;
}

size_t otk_dtls_peer_key(const struct otk_dtls *s, const uint8_t **spki)
{
	*spki = s->peer_spki;
	return s->peer_spki_len;
}

bool otk_dtls_moved(const struct otk_dtls *s)
{
	return s->moved;
}

int otk_dtls_alert(const struct otk_dtls *s)
{
	return s->alert;
}

bool otk_dtls_save_due(const struct otk_dtls *s)
{
	return s->state == OTK_DTLS_ESTABLISHED &&
	       (s->saved_seq == 0 || s->write_seq[1] + OTK_DTLS_SAVE_GAP / 2 >= s->saved_seq);
}

/*
 * Saved form (version 1), all big-endian:
 *   "OTKD" 1 role mode cid_on own_cid_len own_cid peer_cid_len peer_cid
 *   read_epoch(2) write_epoch(2) rd.key rd.iv wr.key wr.iv write_seq(8)
 *   rx_any rx_top(8) rx_bits(8) spki_len(2) spki
 */
#define SAVE_MAGIC "OTKD"

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int otk_dtls_save(struct otk_dtls *s, uint8_t *buf, size_t cap)
{
	uint8_t t[OTK_DTLS_SAVE_MAX];
	size_t n = 0;

	if (s->state != OTK_DTLS_ESTABLISHED)
		return OTK_EINVAL;
	memcpy(t, SAVE_MAGIC, 4);
	n = 4;
	t[n++] = 1;
	t[n++] = s->server;
	t[n++] = (uint8_t)s->cfg.mode;
	t[n++] = s->cid_on;
	t[n++] = s->own_cid_len;
	memcpy(t + n, s->own_cid, s->own_cid_len);
	n += s->own_cid_len;
	t[n++] = s->peer_cid_len;
	memcpy(t + n, s->peer_cid, s->peer_cid_len);
	n += s->peer_cid_len;
	wr16(t + n, s->read_epoch);
	wr16(t + n + 2, s->write_epoch);
	n += 4;
	memcpy(t + n, &s->rd, 20);
	memcpy(t + n + 20, &s->wr, 20);
	n += 40;
	uint64_t promise = s->write_seq[1] + OTK_DTLS_SAVE_GAP;
	put64(t + n, promise);
	n += 8;
	t[n++] = s->rx_any;
	put64(t + n, s->rx_top);
	put64(t + n + 8, s->rx_bits);
	n += 16;
	wr16(t + n, (uint32_t)s->peer_spki_len);
	memcpy(t + n + 2, s->peer_spki, s->peer_spki_len);
	n += 2 + s->peer_spki_len;
	if (n > cap)
		return OTK_ENOSPC;
	memcpy(buf, t, n);
	s->saved_seq = promise;
	OPENSSL_cleanse(t, sizeof(t));
	return (int)n;
}

struct otk_dtls *otk_dtls_load(const struct otk_dtls_config *cfg, const uint8_t *buf, size_t len)
{
	struct rdr r = { buf, len, false };
	const uint8_t *magic = rdr_bytes(&r, 4);

	if (!magic || memcmp(magic, SAVE_MAGIC, 4) != 0 || rdr_u8(&r) != 1)
		return NULL;
	bool server = rdr_u8(&r) != 0;
	struct otk_dtls *s = dtls_new(cfg, server);
	if (!s)
		return NULL;
	s->cfg.mode = (enum otk_dtls_mode)rdr_u8(&r);
	s->cid_on = rdr_u8(&r) != 0;
	size_t l;
	const uint8_t *p = rdr_vec(&r, 1, &l);
	if (p && l <= CID_MAX) {
		memcpy(s->own_cid, p, l);
		s->own_cid_len = (uint8_t)l;
	} else {
		r.bad = true;
	}
	p = rdr_vec(&r, 1, &l);
	if (p && l <= CID_MAX) {
		memcpy(s->peer_cid, p, l);
		s->peer_cid_len = (uint8_t)l;
	} else {
		r.bad = true;
	}
	s->read_epoch = (uint16_t)rdr_u16(&r);
	s->write_epoch = (uint16_t)rdr_u16(&r);
	p = rdr_bytes(&r, 40);
	if (p) {
		memcpy(&s->rd, p, 20);
		memcpy(&s->wr, p + 20, 20);
	}
	p = rdr_bytes(&r, 8);
	if (p)
		s->write_seq[1] = s->saved_seq = get64(p);
	s->rx_any = rdr_u8(&r) != 0;
	p = rdr_bytes(&r, 16);
	if (p) {
		s->rx_top = get64(p);
		s->rx_bits = get64(p + 8);
	}
	p = rdr_vec(&r, 2, &l);
	if (p && l <= OTK_DTLS_SPKI_MAX) {
		memcpy(s->peer_spki, p, l);
		s->peer_spki_len = l;
	} else {
		r.bad = true;
	}
	if (r.bad || r.n != 0 || s->read_epoch != 1 || s->write_epoch != 1) {
		otk_dtls_free(s);
		return NULL;
	}
	s->keys_ready = true;
	dtls_handshake_done(s);
	return s;
}

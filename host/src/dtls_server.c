/*
 * DTLS server role: stateless cookies, the ClientHello checks of the
 * profile, flight 4 (ServerHello, [Certificate], ServerKeyExchange,
 * CertificateRequest, ServerHelloDone), the client's flight 5 and the
 * final ChangeCipherSpec + Finished.
 */
#include <string.h>

#include <openssl/rand.h>

#include "dtls_internal.h"
#include "otk/error.h"

/* What a ClientHello offers, as far as the profile cares. */
struct hello {
	uint16_t version;
	const uint8_t *random;
	const uint8_t *cookie;
	size_t cookie_len;
	bool suite_ok, scsv, null_comp;
	bool groups_seen, p256;
	bool formats_seen, uncompressed;
	bool sigs_seen, ecdsa_sha256;
	bool cct_seen, cct_rpk, sct_seen, sct_rpk;
	bool cid_offered;
	const uint8_t *cid;
	size_t cid_len;
	bool reneg_ext;
};

static bool list_has(const uint8_t *p, size_t n, size_t width, uint32_t v)
{
	for (size_t i = 0; i + width <= n; i += width)
		if ((width == 1 ? p[i] : rd16(p + i)) == v)
			return true;
	return false;
}

/* Parses a ClientHello body; OTK_EDTLS_FORMAT when malformed. */
static int parse_hello(const uint8_t *body, size_t n, struct hello *h)
{
	struct rdr r = { body, n, false };
	size_t l;
	const uint8_t *p;

	memset(h, 0, sizeof(*h));
	h->version = (uint16_t)rdr_u16(&r);
	h->random = rdr_bytes(&r, 32);
	p = rdr_vec(&r, 1, &l); /* session id */
	if (l > 32)
		return OTK_EDTLS_FORMAT;
	h->cookie = rdr_vec(&r, 1, &h->cookie_len);
	p = rdr_vec(&r, 2, &l);
	if (r.bad || l < 2 || l % 2)
		return OTK_EDTLS_FORMAT;
	h->suite_ok = list_has(p, l, 2, SUITE_ECDHE_ECDSA_AES128_CCM8);
	h->scsv = list_has(p, l, 2, 0x00ff);
	p = rdr_vec(&r, 1, &l);
	if (r.bad || l < 1)
		return OTK_EDTLS_FORMAT;
	h->null_comp = list_has(p, l, 1, 0);
	if (r.n == 0)
		return r.bad ? OTK_EDTLS_FORMAT : OTK_OK;
	p = rdr_vec(&r, 2, &l);
	if (r.bad || r.n != 0)
		return OTK_EDTLS_FORMAT;
	struct rdr e = { p, l, false };
	while (e.n > 0) {
		int type = rdr_u16(&e);
		size_t dl;
		const uint8_t *d = rdr_vec(&e, 2, &dl);
		if (e.bad)
			return OTK_EDTLS_FORMAT;
		struct rdr x = { d, dl, false };
		size_t vl;
		const uint8_t *v;
		switch (type) {
		case EXT_SUPPORTED_GROUPS:
			v = rdr_vec(&x, 2, &vl);
			h->groups_seen = true;
			h->p256 = v && vl % 2 == 0 && list_has(v, vl, 2, GROUP_P256);
			break;
		case EXT_EC_POINT_FORMATS:
			v = rdr_vec(&x, 1, &vl);
			h->formats_seen = true;
			h->uncompressed = v && list_has(v, vl, 1, 0);
			break;
		case EXT_SIG_ALGS:
			v = rdr_vec(&x, 2, &vl);
			h->sigs_seen = true;
			h->ecdsa_sha256 = v && vl % 2 == 0 && list_has(v, vl, 2, SIG_ECDSA_SHA256);
			break;
		case EXT_CLIENT_CERT_TYPE:
			v = rdr_vec(&x, 1, &vl);
			h->cct_seen = true;
			h->cct_rpk = v && list_has(v, vl, 1, CERT_TYPE_RPK);
			break;
		case EXT_SERVER_CERT_TYPE:
			v = rdr_vec(&x, 1, &vl);
			h->sct_seen = true;
			h->sct_rpk = v && list_has(v, vl, 1, CERT_TYPE_RPK);
			break;
		case EXT_CID:
			h->cid = rdr_vec(&x, 1, &h->cid_len);
			h->cid_offered = h->cid != NULL && h->cid_len <= CID_MAX;
			break;
		case EXT_RENEGOTIATION_INFO:
			v = rdr_vec(&x, 1, &vl);
			if (!v || vl != 0)
				return OTK_EDTLS_FORMAT; /* an initial handshake has empty data */
			h->reneg_ext = true;
			break;
		default:
			x.n = 0; /* not used by the profile: ignored, not echoed */
			break;
		}
		if (x.bad || x.n != 0)
			return OTK_EDTLS_FORMAT;
	}
	return OTK_OK;
}

/* Checks the profile; 0, or the alert that refuses the hello. */
static int hello_alert(const struct otk_dtls *s, const struct hello *h)
{
	if (h->version != DTLS12)
		return AL_PROTOCOL_VERSION;
	if (!h->null_comp)
		return AL_ILLEGAL_PARAMETER;
	if (!h->suite_ok || (h->groups_seen && !h->p256) || (h->formats_seen && !h->uncompressed) ||
	    (h->sigs_seen && !h->ecdsa_sha256))
		return AL_HANDSHAKE_FAILURE;
	/* raw public keys both ways, or nothing: no X.509 in this profile */
	if (!h->cct_seen || !h->cct_rpk || !h->sct_seen || !h->sct_rpk)
		return AL_UNSUPPORTED_CERTIFICATE;
	(void)s;
	return 0;
}

int otk_dtls_server_accept(const struct otk_dtls_config *cfg, const uint8_t *dgram, size_t len,
			   const void *addr, size_t addr_len, uint8_t *reply, size_t cap,
			   size_t *reply_len)
{
	struct hello h;
	uint8_t want[16];

	*reply_len = 0;
	/* one unencrypted handshake record holding a whole ClientHello */
	if (len < REC_HDR + HS_HDR || dgram[0] != CT_HANDSHAKE || rd16(dgram + 3) != 0)
		return 0;
	size_t rl = rd16(dgram + 11);
	if (rl > len - REC_HDR || rl < HS_HDR)
		return 0;
	const uint8_t *m = dgram + REC_HDR;
	uint32_t mlen = rd24(m + 1);
	if (m[0] != HS_CLIENT_HELLO || rd24(m + 6) != 0 || rd24(m + 9) != mlen ||
	    mlen > rl - HS_HDR)
		return 0; /* fragmented ClientHellos are not accepted before a cookie */
	if (parse_hello(m + HS_HDR, mlen, &h))
		return 0;
	if (dtls_cookie(cfg->cookie_secret, addr, addr_len, h.random, want))
		return 0;
	if (h.cookie_len == sizeof(want) && CRYPTO_memcmp(h.cookie, want, sizeof(want)) == 0)
		return 1;
	/* HelloVerifyRequest: same record sequence number and message_seq as the hello */
	size_t body = 2 + 1 + sizeof(want), total = REC_HDR + HS_HDR + body;
	if (cap < total)
		return 0;
	memcpy(reply, dgram, REC_HDR);
	wr16(reply + 1, DTLS10); /* RFC 6347 4.2.1: DTLS 1.0 in HelloVerifyRequest */
	wr16(reply + 11, (uint32_t)(HS_HDR + body));
	uint8_t *hm = reply + REC_HDR;
	hm[0] = HS_HELLO_VERIFY;
	wr24(hm + 1, (uint32_t)body);
	memcpy(hm + 4, m + 4, 2);
	wr24(hm + 6, 0);
	wr24(hm + 9, (uint32_t)body);
	wr16(hm + HS_HDR, DTLS10);
	hm[HS_HDR + 2] = sizeof(want);
	memcpy(hm + HS_HDR + 3, want, sizeof(want));
	*reply_len = total;
	return 0;
}

struct otk_dtls *otk_dtls_server_new(const struct otk_dtls_config *cfg)
{
	return dtls_new(cfg, true);
}

static size_t put_ext(uint8_t *p, uint16_t type, const uint8_t *data, size_t len)
{
	wr16(p, type);
	wr16(p + 2, (uint32_t)len);
	memcpy(p + 4, data, len);
	return 4 + len;
}

static int server_flight4(struct otk_dtls *s, const struct hello *h, uint64_t now,
			  const struct otk_dtls_io *io)
{
	uint8_t b[600];
	size_t n = 0;

	if (RAND_bytes(s->server_random, 32) != 1)
		return dtls_fail(s, AL_INTERNAL_ERROR, OTK_EIO, io);
	/* ServerHello */
	wr16(b, DTLS12);
	memcpy(b + 2, s->server_random, 32);
	b[34] = 0; /* no session id: sessions live on by CID, not by id */
	wr16(b + 35, SUITE_ECDHE_ECDSA_AES128_CCM8);
	b[37] = 0;
	n = 40;
	size_t e = n;
	if (h->scsv || h->reneg_ext)
		n += put_ext(b + n, EXT_RENEGOTIATION_INFO, (const uint8_t *)"\0", 1);
	if (h->formats_seen)
		n += put_ext(b + n, EXT_EC_POINT_FORMATS, (const uint8_t *)"\1\0", 2);
	uint8_t rpk = CERT_TYPE_RPK;
	n += put_ext(b + n, EXT_CLIENT_CERT_TYPE, &rpk, 1);
	n += put_ext(b + n, EXT_SERVER_CERT_TYPE, &rpk, 1);
	if (h->cid_offered) {
		uint8_t c[1 + OTK_DTLS_CID_LEN];
		if (RAND_bytes(s->own_cid, OTK_DTLS_CID_LEN) != 1)
			return dtls_fail(s, AL_INTERNAL_ERROR, OTK_EIO, io);
		s->own_cid_len = OTK_DTLS_CID_LEN;
		c[0] = OTK_DTLS_CID_LEN;
		memcpy(c + 1, s->own_cid, OTK_DTLS_CID_LEN);
		n += put_ext(b + n, EXT_CID, c, sizeof(c));
		memcpy(s->peer_cid, h->cid, h->cid_len);
		s->peer_cid_len = (uint8_t)h->cid_len;
		s->cid_on = true;
	}
	wr16(b + 38, (uint32_t)(n - e));
	s->out_msg_seq = s->in_msg_seq - 1; /* answer with the hello's message_seq (as mbedtls) */
	dtls_flight_clear(s);
	if (dtls_flight_add(s, CT_HANDSHAKE, 0, HS_SERVER_HELLO, b, n))
		return dtls_fail(s, AL_INTERNAL_ERROR, OTK_ENOMEM, io);

	if (s->cfg.mode == OTK_DTLS_RFC7250) {
		uint8_t c[3 + OTK_DTLS_SPKI_MAX];
		size_t kl = otk_dtls_spki(s->cfg.own_key, c + 3, OTK_DTLS_SPKI_MAX);
		wr24(c, (uint32_t)kl);
		if (!kl || dtls_flight_add(s, CT_HANDSHAKE, 0, HS_CERTIFICATE, c, 3 + kl))
			return dtls_fail(s, AL_INTERNAL_ERROR, OTK_EIO, io);
	}

	/* ServerKeyExchange: named curve P-256, our point, ECDSA-SHA256 signature */
	s->eph = dtls_ecdh_keygen();
	uint8_t tbs[64 + 4 + POINT_LEN], sig[80];
	size_t sl = sizeof(sig);
	if (!s->eph || dtls_point(s->eph, tbs + 64 + 4))
		return dtls_fail(s, AL_INTERNAL_ERROR, OTK_EIO, io);
	memcpy(tbs, s->client_random, 32);
	memcpy(tbs + 32, s->server_random, 32);
	tbs[64] = 3;
	wr16(tbs + 65, GROUP_P256);
	tbs[67] = POINT_LEN;
	if (dtls_sign(s->cfg.own_key, tbs, sizeof(tbs), sig, &sl))
		return dtls_fail(s, AL_INTERNAL_ERROR, OTK_EIO, io);
	n = 4 + POINT_LEN;
	memcpy(b, tbs + 64, n);
	wr16(b + n, SIG_ECDSA_SHA256);
	wr16(b + n + 2, (uint32_t)sl);
	memcpy(b + n + 4, sig, sl);
	n += 4 + sl;
	if (dtls_flight_add(s, CT_HANDSHAKE, 0, HS_SERVER_KEY_EXCHANGE, b, n))
		return dtls_fail(s, AL_INTERNAL_ERROR, OTK_ENOMEM, io);

	/* CertificateRequest: ecdsa_sign, ECDSA-SHA256, no authorities */
	static const uint8_t creq[] = { 1, 64, 0, 2, 4, 3, 0, 0 };
	if (dtls_flight_add(s, CT_HANDSHAKE, 0, HS_CERTIFICATE_REQUEST, creq, sizeof(creq)) ||
	    dtls_flight_add(s, CT_HANDSHAKE, 0, HS_SERVER_HELLO_DONE, NULL, 0))
		return dtls_fail(s, AL_INTERNAL_ERROR, OTK_ENOMEM, io);
	s->cert_requested = true;
	s->hs = ST_CLIENT_FLIGHT;
	dtls_timer_start(s, now);
	return dtls_flight_send(s, io);
}

static int client_hello(struct otk_dtls *s, const uint8_t *msg, size_t len, uint64_t now,
			const struct otk_dtls_io *io)
{
	struct hello h;

	if (parse_hello(msg + HS_HDR, len - HS_HDR, &h))
		return dtls_fail(s, AL_DECODE_ERROR, OTK_EDTLS_FORMAT, io);
	int al = hello_alert(s, &h);
	if (al)
		return dtls_fail(s, (uint8_t)al, OTK_EDTLS_REFUSED, io);
	memcpy(s->client_random, h.random, 32);
	s->peer_sent_reneg = h.scsv || h.reneg_ext;
	s->peer_offered_cid = h.cid_offered;
	s->tlen = 0;
	if (dtls_hs_append(s, msg, len))
		return dtls_fail(s, AL_INTERNAL_ERROR, OTK_ENOSPC, io);
	return server_flight4(s, &h, now, io);
}

static int client_certificate(struct otk_dtls *s, const uint8_t *body, size_t n,
			      const struct otk_dtls_io *io)
{
	struct rdr r = { body, n, false };
	size_t kl;
	const uint8_t *k = rdr_vec(&r, 3, &kl);

	if (r.bad || r.n != 0)
		return dtls_fail(s, AL_DECODE_ERROR, OTK_EDTLS_FORMAT, io);
	if (kl == 0) /* no key: this profile requires one */
		return dtls_fail(s, AL_HANDSHAKE_FAILURE, OTK_EDTLS_REFUSED, io);
	EVP_PKEY *key = dtls_spki_key(k, kl);
	if (!key)
		return dtls_fail(s, AL_BAD_CERTIFICATE, OTK_EDTLS_REFUSED, io);
	/* the lookup sees the key in its canonical DER form */
	s->peer_spki_len = otk_dtls_spki(key, s->peer_spki, sizeof(s->peer_spki));
	if (!s->peer_spki_len || !s->cfg.lookup ||
	    s->cfg.lookup(s->cfg.lookup_ctx, s->peer_spki, s->peer_spki_len) != 0) {
		EVP_PKEY_free(key);
		s->peer_spki_len = 0;
		return dtls_fail(s, AL_ACCESS_DENIED, OTK_EDTLS_UNKNOWN_KEY, io);
	}
	s->peer_sign_key = key;
	s->got_cert = true;
	return OTK_OK;
}

static int client_key_exchange(struct otk_dtls *s, const uint8_t *body, size_t n,
			       const struct otk_dtls_io *io)
{
	struct rdr r = { body, n, false };
	size_t pl;
	const uint8_t *p = rdr_vec(&r, 1, &pl);
	uint8_t pms[32];

	if (r.bad || r.n != 0)
		return dtls_fail(s, AL_DECODE_ERROR, OTK_EDTLS_FORMAT, io);
	if (dtls_ecdh(s->eph, p, pl, pms))
		return dtls_fail(s, AL_ILLEGAL_PARAMETER, OTK_EDTLS_REFUSED, io);
	int rc = dtls_derive_keys(s, pms, sizeof(pms));
	OPENSSL_cleanse(pms, sizeof(pms));
	if (rc)
		return dtls_fail(s, AL_INTERNAL_ERROR, rc, io);
	s->got_cke = true;
	return OTK_OK;
}

static int certificate_verify(struct otk_dtls *s, const uint8_t *body, size_t n, size_t tlen,
			      const struct otk_dtls_io *io)
{
	struct rdr r = { body, n, false };
	int alg = rdr_u16(&r);
	size_t sl;
	const uint8_t *sig = rdr_vec(&r, 2, &sl);

	if (r.bad || r.n != 0)
		return dtls_fail(s, AL_DECODE_ERROR, OTK_EDTLS_FORMAT, io);
	if (alg != SIG_ECDSA_SHA256 && alg != SIG_ECDSA_SHA224)
		return dtls_fail(s, AL_ILLEGAL_PARAMETER, OTK_EDTLS_REFUSED, io);
	/* signed: every handshake message before this one */
	if (dtls_verify(s->peer_sign_key, alg, s->transcript, tlen, sig, sl))
		return dtls_fail(s, AL_DECRYPT_ERROR, OTK_EDTLS_REFUSED, io);
	s->got_cv = true;
	return OTK_OK;
}

int dtls_server_ccs(struct otk_dtls *s, const struct otk_dtls_io *io)
{
	if (s->hs != ST_CLIENT_FLIGHT || !s->got_cv || s->got_ccs)
		return dtls_fail(s, AL_UNEXPECTED_MESSAGE, OTK_EDTLS_REFUSED, io);
	s->got_ccs = true;
	s->read_epoch = 1;
	s->rx_any = false;
	return OTK_OK;
}

static int client_finished(struct otk_dtls *s, const uint8_t *body, size_t n, size_t tlen,
			   const struct otk_dtls_io *io)
{
	uint8_t want[12];
	size_t keep = s->tlen;

	s->tlen = tlen;
	int rc = dtls_finished(s, true, want);
	s->tlen = keep;
	if (rc)
		return dtls_fail(s, AL_INTERNAL_ERROR, rc, io);
	if (n != 12 || CRYPTO_memcmp(body, want, 12) != 0)
		return dtls_fail(s, AL_DECRYPT_ERROR, OTK_EDTLS_REFUSED, io);
	/* flight 6: ChangeCipherSpec, Finished */
	uint8_t fin[12];
	if (dtls_finished(s, false, fin))
		return dtls_fail(s, AL_INTERNAL_ERROR, OTK_EIO, io);
	dtls_flight_clear(s);
	s->write_epoch = 1;
	if (dtls_flight_add(s, CT_CCS, 0, 0, (const uint8_t *)"\1", 1) ||
	    dtls_flight_add(s, CT_HANDSHAKE, 1, HS_FINISHED, fin, 12))
		return dtls_fail(s, AL_INTERNAL_ERROR, OTK_ENOMEM, io);
	dtls_handshake_done(s);
	return dtls_flight_send(s, io);
}

int dtls_server_message(struct otk_dtls *s, const uint8_t *msg, size_t len, uint64_t now,
			const struct otk_dtls_io *io)
{
	const uint8_t *body = msg + HS_HDR;
	size_t n = len - HS_HDR, before = s->tlen;
	int rc;

	if (s->hs == ST_CLIENT_HELLO) {
		if (msg[0] != HS_CLIENT_HELLO)
			return dtls_fail(s, AL_UNEXPECTED_MESSAGE, OTK_EDTLS_REFUSED, io);
		return client_hello(s, msg, len, now, io);
	}
	if (s->hs != ST_CLIENT_FLIGHT)
		return dtls_fail(s, AL_UNEXPECTED_MESSAGE, OTK_EDTLS_REFUSED, io);
	/* the order is fixed: Certificate, ClientKeyExchange, CertificateVerify, [CCS] Finished */
	bool ok = (msg[0] == HS_CERTIFICATE && !s->got_cert) ||
		  (msg[0] == HS_CLIENT_KEY_EXCHANGE && s->got_cert && !s->got_cke) ||
		  (msg[0] == HS_CERTIFICATE_VERIFY && s->got_cke && !s->got_cv) ||
		  (msg[0] == HS_FINISHED && s->got_ccs);
	if (!ok)
		return dtls_fail(s, AL_UNEXPECTED_MESSAGE, OTK_EDTLS_REFUSED, io);
	if (msg[0] != HS_FINISHED && dtls_hs_append(s, msg, len))
		return dtls_fail(s, AL_INTERNAL_ERROR, OTK_ENOSPC, io);
	switch (msg[0]) {
	case HS_CERTIFICATE:
		return client_certificate(s, body, n, io);
	case HS_CLIENT_KEY_EXCHANGE:
		return client_key_exchange(s, body, n, io);
	case HS_CERTIFICATE_VERIFY:
		return certificate_verify(s, body, n, before, io);
	default:
		rc = dtls_hs_append(s, msg, len);
		if (rc)
			return dtls_fail(s, AL_INTERNAL_ERROR, rc, io);
		return client_finished(s, body, n, before, io);
	}
}

/*
 * DTLS client role: ClientHello as Device OS sends it (one suite, P-256,
 * raw public keys both ways, an empty CID of its own), the cookie, the
 * server's flight (no Certificate in Particle mode: the pinned key checks
 * ServerKeyExchange), flight 5 and the server's Finished.
 */
#include <string.h>

#include <openssl/rand.h>

#include "dtls_internal.h"
#include "otk/error.h"

static size_t put_ext(uint8_t *p, uint16_t type, const uint8_t *data, size_t len)
{
	wr16(p, type);
	wr16(p + 2, (uint32_t)len);
	memcpy(p + 4, data, len);
	return 4 + len;
}

static int send_hello(struct otk_dtls *s, uint64_t now, const struct otk_dtls_io *io)
{
	uint8_t b[300];
	size_t n = 0;

	wr16(b, DTLS12);
	memcpy(b + 2, s->client_random, 32);
	b[34] = 0;
	b[35] = s->cookie_len;
	memcpy(b + 36, s->cookie, s->cookie_len);
	n = 36 + s->cookie_len;
	static const uint8_t suites[] = { 0, 4, 0xc0, 0xae, 0x00, 0xff };
	memcpy(b + n, suites, sizeof(suites));
	n += sizeof(suites);
	b[n++] = 1;
	b[n++] = 0;
	size_t e = n;
	n += 2;
	static const uint8_t sigs[] = { 0, 2, 4, 3 }, groups[] = { 0, 2, 0, 23 },
			     formats[] = { 1, 0 }, rpk[] = { 1, CERT_TYPE_RPK }, cid[] = { 0 };
	n += put_ext(b + n, EXT_SIG_ALGS, sigs, sizeof(sigs));
	n += put_ext(b + n, EXT_SUPPORTED_GROUPS, groups, sizeof(groups));
	n += put_ext(b + n, EXT_EC_POINT_FORMATS, formats, sizeof(formats));
	if (s->cfg.client_cid)
		n += put_ext(b + n, EXT_CID, cid, sizeof(cid));
	n += put_ext(b + n, EXT_CLIENT_CERT_TYPE, rpk, sizeof(rpk));
	n += put_ext(b + n, EXT_SERVER_CERT_TYPE, rpk, sizeof(rpk));
	wr16(b + e, (uint32_t)(n - e - 2));
	dtls_flight_clear(s);
	s->tlen = 0;
	if (dtls_flight_add(s, CT_HANDSHAKE, 0, HS_CLIENT_HELLO, b, n))
		return OTK_ENOMEM;
	dtls_timer_start(s, now);
	return dtls_flight_send(s, io);
}

struct otk_dtls *otk_dtls_client_new(const struct otk_dtls_config *cfg)
{
	if (cfg->mode == OTK_DTLS_PARTICLE && cfg->peer_spki_len == 0)
		return NULL; /* a device always holds the server's key */
	return dtls_new(cfg, false);
}

int otk_dtls_start(struct otk_dtls *s, uint64_t now_ms, const struct otk_dtls_io *io)
{
	if (s->server || s->hs != ST_SERVER_HELLO || s->nflight)
		return OTK_EINVAL;
	if (RAND_bytes(s->client_random, 32) != 1)
		return OTK_EIO;
	return send_hello(s, now_ms, io);
}

static int hello_verify(struct otk_dtls *s, const uint8_t *body, size_t n, uint64_t now,
			const struct otk_dtls_io *io)
{
	struct rdr r = { body, n, false };
	size_t cl;

	rdr_u16(&r);
	const uint8_t *c = rdr_vec(&r, 1, &cl);
	if (r.bad || r.n != 0 || cl > sizeof(s->cookie) || s->cookie_len)
		return dtls_fail(s, AL_DECODE_ERROR, OTK_EDTLS_FORMAT, io);
	memcpy(s->cookie, c, cl);
	s->cookie_len = (uint8_t)cl;
	return send_hello(s, now, io);
}

static int server_hello(struct otk_dtls *s, const uint8_t *body, size_t n,
			const struct otk_dtls_io *io)
{
	struct rdr r = { body, n, false };
	size_t l;
	bool cct = false, sct = false;

	if (rdr_u16(&r) != DTLS12)
		return dtls_fail(s, AL_PROTOCOL_VERSION, OTK_EDTLS_REFUSED, io);
	const uint8_t *rnd = rdr_bytes(&r, 32);
	rdr_vec(&r, 1, &l);
	int suite = rdr_u16(&r);
	int comp = rdr_u8(&r);
	if (r.bad)
		return dtls_fail(s, AL_DECODE_ERROR, OTK_EDTLS_FORMAT, io);
	if (suite != SUITE_ECDHE_ECDSA_AES128_CCM8 || comp != 0)
		return dtls_fail(s, AL_ILLEGAL_PARAMETER, OTK_EDTLS_REFUSED, io);
	memcpy(s->server_random, rnd, 32);
	const uint8_t *ext = r.n ? rdr_vec(&r, 2, &l) : NULL;
	if (r.bad || r.n != 0)
		return dtls_fail(s, AL_DECODE_ERROR, OTK_EDTLS_FORMAT, io);
	struct rdr e = { ext, ext ? l : 0, false };
	while (e.n > 0) {
		int type = rdr_u16(&e);
		size_t dl;
		const uint8_t *d = rdr_vec(&e, 2, &dl);
		if (e.bad)
			return dtls_fail(s, AL_DECODE_ERROR, OTK_EDTLS_FORMAT, io);
		if (type == EXT_CLIENT_CERT_TYPE || type == EXT_SERVER_CERT_TYPE) {
			if (dl != 1 || d[0] != CERT_TYPE_RPK)
				return dtls_fail(s, AL_UNSUPPORTED_CERTIFICATE, OTK_EDTLS_REFUSED, io);
			*(type == EXT_CLIENT_CERT_TYPE ? &cct : &sct) = true;
		} else if (type == EXT_CID) {
			if (!s->cfg.client_cid || dl < 1 || d[0] != dl - 1 || d[0] > CID_MAX)
				return dtls_fail(s, AL_UNSUPPORTED_EXTENSION, OTK_EDTLS_REFUSED, io);
			memcpy(s->peer_cid, d + 1, d[0]);
			s->peer_cid_len = d[0];
			s->cid_on = true;
		}
	}
	if (!cct || !sct)
		return dtls_fail(s, AL_UNSUPPORTED_CERTIFICATE, OTK_EDTLS_REFUSED, io);
	/* Device OS 3.1 and later: "Unable to get connection ID" without an 8-byte CID */
	if (s->cfg.client_cid && s->peer_cid_len != OTK_DTLS_CID_LEN)
		return dtls_fail(s, AL_HANDSHAKE_FAILURE, OTK_EDTLS_REFUSED, io);
	if (s->cfg.mode == OTK_DTLS_PARTICLE) {
		s->peer_sign_key = dtls_spki_key(s->cfg.peer_spki, s->cfg.peer_spki_len);
		if (!s->peer_sign_key)
			return dtls_fail(s, AL_INTERNAL_ERROR, OTK_EINVAL, io);
		memcpy(s->peer_spki, s->cfg.peer_spki, s->cfg.peer_spki_len);
		s->peer_spki_len = s->cfg.peer_spki_len;
	}
	s->hs = ST_SERVER_FLIGHT;
	return OTK_OK;
}

static int server_certificate(struct otk_dtls *s, const uint8_t *body, size_t n,
			      const struct otk_dtls_io *io)
{
	struct rdr r = { body, n, false };
	size_t kl;
	const uint8_t *k = rdr_vec(&r, 3, &kl);

	if (s->cfg.mode == OTK_DTLS_PARTICLE)
		return dtls_fail(s, AL_UNEXPECTED_MESSAGE, OTK_EDTLS_REFUSED, io);
	if (r.bad || r.n != 0)
		return dtls_fail(s, AL_DECODE_ERROR, OTK_EDTLS_FORMAT, io);
	EVP_PKEY *key = dtls_spki_key(k, kl);
	if (!key)
		return dtls_fail(s, AL_BAD_CERTIFICATE, OTK_EDTLS_REFUSED, io);
	s->peer_spki_len = otk_dtls_spki(key, s->peer_spki, sizeof(s->peer_spki));
	if (s->cfg.peer_spki_len && (s->cfg.peer_spki_len != s->peer_spki_len ||
				     memcmp(s->cfg.peer_spki, s->peer_spki, s->peer_spki_len))) {
		EVP_PKEY_free(key);
		return dtls_fail(s, AL_ACCESS_DENIED, OTK_EDTLS_UNKNOWN_KEY, io);
	}
	s->peer_sign_key = key;
	return OTK_OK;
}

static int server_key_exchange(struct otk_dtls *s, const uint8_t *body, size_t n,
			       const struct otk_dtls_io *io)
{
	struct rdr r = { body, n, false };

	if (!s->peer_sign_key)
		return dtls_fail(s, AL_UNEXPECTED_MESSAGE, OTK_EDTLS_REFUSED, io);
	int ctype = rdr_u8(&r), group = rdr_u16(&r);
	size_t pl, sl;
	const uint8_t *point = rdr_vec(&r, 1, &pl);
	size_t params = n - r.n;
	int alg = rdr_u16(&r);
	const uint8_t *sig = rdr_vec(&r, 2, &sl);
	if (r.bad || r.n != 0)
		return dtls_fail(s, AL_DECODE_ERROR, OTK_EDTLS_FORMAT, io);
	if (ctype != 3 || group != GROUP_P256 || pl != POINT_LEN)
		return dtls_fail(s, AL_ILLEGAL_PARAMETER, OTK_EDTLS_REFUSED, io);
	uint8_t tbs[64 + 4 + POINT_LEN];
	memcpy(tbs, s->client_random, 32);
	memcpy(tbs + 32, s->server_random, 32);
	memcpy(tbs + 64, body, params);
	if (dtls_verify(s->peer_sign_key, alg, tbs, 64 + params, sig, sl))
		return dtls_fail(s, AL_DECRYPT_ERROR, OTK_EDTLS_REFUSED, io);
	uint8_t pms[32];
	s->eph = dtls_ecdh_keygen();
	if (!s->eph || dtls_ecdh(s->eph, point, pl, pms))
		return dtls_fail(s, AL_ILLEGAL_PARAMETER, OTK_EDTLS_REFUSED, io);
	int rc = dtls_derive_keys(s, pms, sizeof(pms));
	OPENSSL_cleanse(pms, sizeof(pms));
	if (rc)
		return dtls_fail(s, AL_INTERNAL_ERROR, rc, io);
	s->got_cke = true; /* keys exist */
	return OTK_OK;
}

static int client_flight5(struct otk_dtls *s, uint64_t now, const struct otk_dtls_io *io)
{
	uint8_t b[3 + OTK_DTLS_SPKI_MAX];
	size_t kl = otk_dtls_spki(s->cfg.own_key, b + 3, OTK_DTLS_SPKI_MAX);

	dtls_flight_clear(s);
	if (!kl)
		return dtls_fail(s, AL_INTERNAL_ERROR, OTK_EIO, io);
	wr24(b, (uint32_t)kl);
	if (s->cert_requested && dtls_flight_add(s, CT_HANDSHAKE, 0, HS_CERTIFICATE, b, 3 + kl))
		return dtls_fail(s, AL_INTERNAL_ERROR, OTK_ENOMEM, io);
	uint8_t cke[1 + POINT_LEN];
	cke[0] = POINT_LEN;
	if (dtls_point(s->eph, cke + 1) ||
	    dtls_flight_add(s, CT_HANDSHAKE, 0, HS_CLIENT_KEY_EXCHANGE, cke, sizeof(cke)))
		return dtls_fail(s, AL_INTERNAL_ERROR, OTK_EIO, io);
	if (s->cert_requested) {
		uint8_t cv[4 + 80];
		size_t sl = 80;
		if (dtls_sign(s->cfg.own_key, s->transcript, s->tlen, cv + 4, &sl))
			return dtls_fail(s, AL_INTERNAL_ERROR, OTK_EIO, io);
		wr16(cv, SIG_ECDSA_SHA256);
		wr16(cv + 2, (uint32_t)sl);
		if (dtls_flight_add(s, CT_HANDSHAKE, 0, HS_CERTIFICATE_VERIFY, cv, 4 + sl))
			return dtls_fail(s, AL_INTERNAL_ERROR, OTK_ENOMEM, io);
	}
	uint8_t fin[12];
	if (dtls_flight_add(s, CT_CCS, 0, 0, (const uint8_t *)"\1", 1) || dtls_finished(s, true, fin))
		return dtls_fail(s, AL_INTERNAL_ERROR, OTK_EIO, io);
	s->write_epoch = 1;
	if (dtls_flight_add(s, CT_HANDSHAKE, 1, HS_FINISHED, fin, 12))
		return dtls_fail(s, AL_INTERNAL_ERROR, OTK_ENOMEM, io);
	s->hs = ST_SERVER_FINISHED;
	dtls_timer_start(s, now);
	return dtls_flight_send(s, io);
}

int dtls_client_ccs(struct otk_dtls *s, const struct otk_dtls_io *io)
{
	if (s->hs != ST_SERVER_FINISHED || s->got_ccs)
		return dtls_fail(s, AL_UNEXPECTED_MESSAGE, OTK_EDTLS_REFUSED, io);
	s->got_ccs = true;
	s->read_epoch = 1;
	s->rx_any = false;
	return OTK_OK;
}

int dtls_client_message(struct otk_dtls *s, const uint8_t *msg, size_t len, uint64_t now,
			const struct otk_dtls_io *io)
{
	const uint8_t *body = msg + HS_HDR;
	size_t n = len - HS_HDR;
	uint8_t t = msg[0];

	if (s->hs == ST_SERVER_HELLO && t == HS_HELLO_VERIFY)
		return hello_verify(s, body, n, now, io);
	if (s->hs == ST_SERVER_HELLO && t == HS_SERVER_HELLO) {
		if (dtls_hs_append(s, msg, len))
			return dtls_fail(s, AL_INTERNAL_ERROR, OTK_ENOSPC, io);
		return server_hello(s, body, n, io);
	}
	if (s->hs == ST_SERVER_FLIGHT) {
		if (dtls_hs_append(s, msg, len))
			return dtls_fail(s, AL_INTERNAL_ERROR, OTK_ENOSPC, io);
		switch (t) {
		case HS_CERTIFICATE:
			if (s->peer_sign_key)
				break;
			return server_certificate(s, body, n, io);
		case HS_SERVER_KEY_EXCHANGE:
			if (s->got_cke)
				break;
			return server_key_exchange(s, body, n, io);
		case HS_CERTIFICATE_REQUEST:
			if (!s->got_cke || s->cert_requested)
				break;
			s->cert_requested = true;
			return OTK_OK;
		case HS_SERVER_HELLO_DONE:
			if (!s->got_cke || n != 0)
				break;
			return client_flight5(s, now, io);
		default:
			break;
		}
		return dtls_fail(s, AL_UNEXPECTED_MESSAGE, OTK_EDTLS_REFUSED, io);
	}
	if (s->hs == ST_SERVER_FINISHED && t == HS_FINISHED && s->got_ccs) {
		uint8_t want[12];
		if (dtls_finished(s, false, want))
			return dtls_fail(s, AL_INTERNAL_ERROR, OTK_EIO, io);
		if (n != 12 || CRYPTO_memcmp(body, want, 12) != 0)
			return dtls_fail(s, AL_DECRYPT_ERROR, OTK_EDTLS_REFUSED, io);
		s->deadline = UINT64_MAX;
		dtls_handshake_done(s);
		return OTK_OK;
	}
	return dtls_fail(s, AL_UNEXPECTED_MESSAGE, OTK_EDTLS_REFUSED, io);
}

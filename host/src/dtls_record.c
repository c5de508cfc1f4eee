/*
 * DTLS 1.2 records: headers, the draft-05 CID record of mbedtls 2.x, AES-128-CCM-8
 * protection and the anti-replay window (RFC 6347 4.1).
 */
#include <string.h>

#include "dtls_internal.h"
#include "otk/error.h"

/* Nonce: the 4-byte implicit IV, then the 8-byte explicit part (epoch and sequence). */
static void nonce_of(const struct dir_keys *k, const uint8_t explicit_[8], uint8_t nonce[12])
{
	memcpy(nonce, k->iv, 4);
	memcpy(nonce + 4, explicit_, 8);
}

/*
 * Additional data of mbedtls 2.x (ssl_msg.c, ssl_extract_add_data_from_record):
 * seq(8) type version, then for CID records cid, cid_len and the inner
 * plaintext length, else the plaintext length.
 */
static size_t aad_of(uint8_t *a, const uint8_t seq8[8], uint8_t type, const uint8_t *cid,
		     size_t cid_len, bool cid_rec, size_t plen)
{
	size_t n = 0;

	memcpy(a, seq8, 8);
	n = 8;
	a[n++] = type;
	wr16(a + n, DTLS12);
	n += 2;
	if (cid_rec) {
		memcpy(a + n, cid, cid_len);
		n += cid_len;
		a[n++] = (uint8_t)cid_len;
	}
	wr16(a + n, (uint32_t)plen);
	return n + 2;
}

int dtls_record_write(struct otk_dtls *s, struct dgram_out *d, uint8_t type, uint16_t epoch,
		      const uint8_t *data, size_t len)
{
	bool enc = epoch > 0;
	bool cid_rec = enc && s->cid_on && s->peer_cid_len > 0;
	size_t over = REC_HDR + (cid_rec ? s->peer_cid_len + 1u : 0u) +
		      (enc ? CCM_EXPLICIT + CCM_TAG : 0u);
	uint8_t *h;
	uint64_t seq = s->write_seq[epoch ? 1 : 0]++;
	uint8_t seq8[8];

	if (len > OTK_DTLS_RECORD_MAX + 256)
		return OTK_EINVAL;
	if (d->len + over + len > d->mtu)
		return OTK_ENOSPC;
	h = d->buf + d->len;
	wr16(seq8, epoch);
	wr48(seq8 + 2, seq);
	h[0] = cid_rec ? CT_CID : type;
	wr16(h + 1, DTLS12);
	memcpy(h + 3, seq8, 8);
	size_t hl = 11;
	if (cid_rec) {
		memcpy(h + hl, s->peer_cid, s->peer_cid_len);
		hl += s->peer_cid_len;
	}
	uint8_t *body = h + hl + 2;
	size_t blen;
	if (!enc) {
		memcpy(body, data, len);
		blen = len;
	} else {
		uint8_t plain[OTK_DTLS_RECORD_MAX + 512], aad[64], nonce[12];
		size_t plen = len;
		memcpy(plain, data, len);
		if (cid_rec)
			plain[plen++] = type; /* inner plaintext: content, real type, no padding */
		size_t al = aad_of(aad, seq8, h[0], s->peer_cid, s->peer_cid_len, cid_rec, plen);
		nonce_of(&s->wr, seq8, nonce);
		memcpy(body, seq8, 8);
		int rc = dtls_ccm(true, s->wr.key, nonce, aad, al, plain, plen, body + 8,
				  body + 8 + plen);
		if (rc)
			return rc;
		blen = 8 + plen + CCM_TAG;
	}
	wr16(h + hl, (uint32_t)blen);
	d->len += hl + 2 + blen;
	return OTK_OK;
}

void dtls_flush(struct dgram_out *d, const struct otk_dtls_io *io)
{
	if (d->len && io && io->send)
		io->send(io->ctx, d->buf, d->len);
	d->len = 0;
}

void dtls_send_alert(struct otk_dtls *s, uint8_t level, uint8_t desc, const struct otk_dtls_io *io)
{
	struct dgram_out d = { .len = 0, .mtu = sizeof(d.buf) };
	uint8_t a[2] = { level, desc };

	if (dtls_record_write(s, &d, CT_ALERT, s->write_epoch, a, 2) == OTK_OK)
		dtls_flush(&d, io);
}

/* Replay window of 64 records (RFC 6347 4.1.2.6). */
static bool replayed(const struct otk_dtls *s, uint64_t seq)
{
	if (!s->rx_any || seq > s->rx_top)
		return false;
	uint64_t back = s->rx_top - seq;
	return back >= 64 || (s->rx_bits >> back) & 1;
}

static void mark_seen(struct otk_dtls *s, uint64_t seq)
{
	if (!s->rx_any) {
		s->rx_any = true;
		s->rx_top = seq;
		s->rx_bits = 1;
	} else if (seq > s->rx_top) {
		uint64_t shift = seq - s->rx_top;
		s->rx_bits = shift >= 64 ? 1 : (s->rx_bits << shift) | 1;
		s->rx_top = seq;
	} else {
		s->rx_bits |= 1ull << (s->rx_top - seq);
	}
}

int otk_dtls_record_cid(const uint8_t *dgram, size_t len, uint8_t cid[OTK_DTLS_CID_LEN])
{
	if (len < 11 + OTK_DTLS_CID_LEN + 2 || (dgram[0] != CT_CID && dgram[0] != CT_CID_MOVE) ||
	    rd16(dgram + 1) != DTLS12)
		return 0;
	memcpy(cid, dgram + 11, OTK_DTLS_CID_LEN);
	return 1;
}

int dtls_record_next(struct otk_dtls *s, uint8_t *dgram, size_t len, size_t *off,
		     struct record *r)
{
	uint8_t *h = dgram + *off;
	size_t left = len - *off;

	if (left == 0)
		return 0;
	if (left < REC_HDR)
		return OTK_EDTLS_FORMAT;
	r->wire_type = h[0];
	uint16_t ver = rd16(h + 1);
	bool cid_rec = h[0] == CT_CID || h[0] == CT_CID_MOVE;
	size_t hl = 11 + (cid_rec ? s->own_cid_len : 0u);
	if ((ver != DTLS12 && ver != DTLS10) || left < hl + 2)
		return OTK_EDTLS_FORMAT;
	size_t blen = rd16(h + hl);
	if (left - hl - 2 < blen)
		return OTK_EDTLS_FORMAT;
	*off += hl + 2 + blen;
	r->epoch = rd16(h + 3);
	r->seq = 0;
	for (int i = 0; i < 6; i++)
		r->seq = r->seq << 8 | h[5 + i];
	r->data = h + hl + 2;
	r->len = blen;
	r->type = h[0];
	if (cid_rec && (!s->cid_on || s->own_cid_len == 0 ||
			memcmp(h + 11, s->own_cid, s->own_cid_len) != 0))
		return -2; /* not our CID: drop (mbedtls: MBEDTLS_SSL_UNEXPECTED_CID_IGNORE) */
	if (r->epoch == 0) {
		if (cid_rec)
			return -2;
		return 1;
	}
	if (r->epoch != s->read_epoch || !s->keys_ready || blen < CCM_EXPLICIT + CCM_TAG ||
	    replayed(s, r->seq))
		return -2;
	/* A CID-less record after CID was negotiated is still accepted (mbedtls does too). */
	uint8_t seq8[8], aad[64], nonce[12];
	size_t plen = blen - CCM_EXPLICIT - CCM_TAG;
	memcpy(seq8, h + 3, 8);
	nonce_of(&s->rd, r->data, nonce);
	uint8_t *ct = r->data + CCM_EXPLICIT;
	uint8_t tag[CCM_TAG];
	memcpy(tag, ct + plen, CCM_TAG);
	uint8_t plain[OTK_DTLS_RECORD_MAX + 512];
	if (plen > sizeof(plain))
		return -2;
	size_t al = aad_of(aad, seq8, h[0], s->own_cid, s->own_cid_len, cid_rec, plen);
	int rc = dtls_ccm(false, s->rd.key, nonce, aad, al, ct, plen, plain, tag);
	if (rc && h[0] == CT_CID_MOVE) {
		/* Not confirmed whether a 253 record authenticates its own type or 25: try both. */
		al = aad_of(aad, seq8, CT_CID, s->own_cid, s->own_cid_len, true, plen);
		rc = dtls_ccm(false, s->rd.key, nonce, aad, al, ct, plen, plain, tag);
	}
	if (rc)
		return -2;
	if (cid_rec) {
		/* inner plaintext: content, type, zero padding */
		while (plen > 0 && plain[plen - 1] == 0)
			plen--;
		if (plen == 0)
			return -2;
		r->type = plain[--plen];
	}
	memcpy(r->data, plain, plen);
	r->len = plen;
	mark_seen(s, r->seq);
	if (h[0] == CT_CID_MOVE)
		s->moved = true;
	return 2;
}

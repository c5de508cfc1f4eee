/* CoAP message codec: RFC 7252 section 3 wire format, RFC 7959 block options. */
#include "otk/coap.h"

#include <string.h>

#include "otk/error.h"

#define PAYLOAD_MARKER 0xff

/*
 * Reads an option's delta or length from its 4-bit nibble and the extended
 * bytes that follow (RFC 7252 3.1).  Nibble 15 is reserved: the caller has
 * already handled the payload marker, so here it is a format error.
 */
static int read_ext(uint8_t nibble, const uint8_t **p, const uint8_t *end, uint32_t *out)
{
	if (nibble < 13) {
		*out = nibble;
		return 0;
	}
	if (nibble == 13) {
		if (end - *p < 1)
			return OTK_ECOAP_FORMAT;
		*out = 13u + (*p)[0];
		*p += 1;
		return 0;
	}
	if (nibble == 14) {
		if (end - *p < 2)
			return OTK_ECOAP_FORMAT;
		*out = 269u + ((uint32_t)(*p)[0] << 8 | (*p)[1]);
		*p += 2;
		return 0;
	}
	return OTK_ECOAP_FORMAT;
}

/*
 * Decodes one option at *p.  Returns 1 with *o filled and *p advanced,
 * 0 at the payload marker or the end (*p left at the marker), or an error.
 */
static int decode_opt(const uint8_t **p, const uint8_t *end, uint16_t prev,
		      struct otk_coap_opt *o)
{
	const uint8_t *q = *p;
	uint32_t delta, len;

	if (q == end || *q == PAYLOAD_MARKER)
		return 0;
	uint8_t b = *q++;
	if (read_ext(b >> 4, &q, end, &delta) || read_ext(b & 0x0f, &q, end, &len))
		return OTK_ECOAP_FORMAT;
	if (prev + delta > 0xffffu || len > 0xffffu)
		return OTK_ECOAP_FORMAT;
	if ((size_t)(end - q) < len)
		return OTK_ECOAP_FORMAT;
	o->num = (uint16_t)(prev + delta);
	o->len = (uint16_t)len;
	o->val = q;
	*p = q + len;
	return 1;
}

int otk_coap_peek_header(const uint8_t *buf, size_t len, uint8_t *type, uint16_t *mid)
{
	if (!buf || len < OTK_COAP_HEADER_LEN || (buf[0] >> 6) != 1)
		return OTK_ECOAP_FORMAT;
	*type = (buf[0] >> 4) & 3;
	*mid = (uint16_t)(buf[2] << 8 | buf[3]);
	return 0;
}

int otk_coap_parse(const uint8_t *buf, size_t len, struct otk_coap_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (otk_coap_peek_header(buf, len, &m->type, &m->mid))
		return OTK_ECOAP_FORMAT;
	m->token_len = buf[0] & 0x0f;
	m->code = buf[1];
	if (m->token_len > OTK_COAP_TOKEN_MAX)
		return OTK_ECOAP_FORMAT;
	/* An empty message is the 4-byte header and nothing else (RFC 7252 4.1). */
	if (m->code == OTK_COAP_EMPTY && (m->token_len != 0 || len != OTK_COAP_HEADER_LEN))
		return OTK_ECOAP_FORMAT;
	if (len < OTK_COAP_HEADER_LEN + (size_t)m->token_len)
		return OTK_ECOAP_FORMAT;
	m->token = buf + OTK_COAP_HEADER_LEN;

	const uint8_t *p = m->token + m->token_len;
	const uint8_t *end = buf + len;
	struct otk_coap_opt o;
	uint16_t num = 0;
	int r;

	m->opts = p;
	while ((r = decode_opt(&p, end, num, &o)) == 1)
		num = o.num;
	if (r < 0)
		return OTK_ECOAP_FORMAT;
	m->opts_len = (size_t)(p - m->opts);
	if (p < end) {
		/* p is at the marker: a marker followed by nothing is a format error. */
		if (end - p < 2)
			return OTK_ECOAP_FORMAT;
		m->payload = p + 1;
		m->payload_len = (size_t)(end - p - 1);
	}
	return 0;
}

void otk_coap_opt_iter_init(const struct otk_coap_msg *m, struct otk_coap_opt_iter *it)
{
	it->p = m->opts;
	it->end = m->opts + m->opts_len;
	it->num = 0;
}

int otk_coap_opt_next(struct otk_coap_opt_iter *it, struct otk_coap_opt *o)
{
	int r = decode_opt(&it->p, it->end, it->num, o);

	if (r != 1)
		return 0;
	it->num = o->num;
	return 1;
}

int otk_coap_opt_find(const struct otk_coap_msg *m, uint16_t num, struct otk_coap_opt *o)
{
	struct otk_coap_opt_iter it;

	otk_coap_opt_iter_init(m, &it);
	while (otk_coap_opt_next(&it, o)) {
		if (o->num == num)
			return 1;
		if (o->num > num)
			break;
	}
	return 0;
}

int otk_coap_opt_uint(const struct otk_coap_opt *o, uint32_t *value)
{
	uint32_t v = 0;

	if (o->len > 4)
		return OTK_ECOAP_FORMAT;
	for (uint16_t i = 0; i < o->len; i++)
		v = v << 8 | o->val[i];
	*value = v;
	return 0;
}

int otk_coap_uri_path(const struct otk_coap_msg *m, char *out, size_t cap)
{
	struct otk_coap_opt_iter it;
	struct otk_coap_opt o;
	size_t n = 0;
	bool first = true;

	if (cap == 0)
		return OTK_ENOSPC;
	otk_coap_opt_iter_init(m, &it);
	while (otk_coap_opt_next(&it, &o)) {
		if (o.num != OTK_COAP_OPT_URI_PATH)
			continue;
		size_t need = o.len + (first ? 0u : 1u);
		if (cap - 1 - n < need)
			return OTK_ENOSPC;
		if (!first)
			out[n++] = '/';
		memcpy(out + n, o.val, o.len);
		n += o.len;
		first = false;
	}
	out[n] = 0;
	return (int)n;
}

static void put(struct otk_coap_writer *w, const void *data, size_t len)
{
	if (w->err)
		return;
	if (w->cap - w->len < len) {
		w->err = OTK_ENOSPC;
		return;
	}
	if (len)
		memcpy(w->buf + w->len, data, len);
	w->len += len;
}

void otk_coap_begin(struct otk_coap_writer *w, uint8_t *buf, size_t cap, uint8_t type,
		    uint8_t code, uint16_t mid, const uint8_t *token, size_t token_len)
{
	uint8_t h[OTK_COAP_HEADER_LEN];

	w->buf = buf;
	w->cap = buf ? cap : 0;
	w->len = 0;
	w->last_opt = 0;
	w->has_payload = false;
	w->err = 0;
	if (type > OTK_COAP_RST || token_len > OTK_COAP_TOKEN_MAX || (token_len && !token) ||
	    (code == OTK_COAP_EMPTY && token_len)) {
		w->err = OTK_EINVAL;
		return;
	}
	h[0] = (uint8_t)(1u << 6 | (unsigned)type << 4 | token_len);
	h[1] = code;
	h[2] = (uint8_t)(mid >> 8);
	h[3] = (uint8_t)mid;
	put(w, h, sizeof(h));
	put(w, token, token_len);
}

/* The nibble and extended bytes for a delta or length value. */
static size_t ext_of(uint32_t v, uint8_t *nibble, uint8_t ext[2])
{
	if (v < 13) {
		*nibble = (uint8_t)v;
		return 0;
	}
	if (v < 269) {
		*nibble = 13;
		ext[0] = (uint8_t)(v - 13);
		return 1;
	}
	*nibble = 14;
	ext[0] = (uint8_t)((v - 269) >> 8);
	ext[1] = (uint8_t)(v - 269);
	return 2;
}

void otk_coap_add_opt(struct otk_coap_writer *w, uint16_t num, const void *val, size_t len)
{
	uint8_t hdr[5], dn, ln, dext[2], lext[2];

	if (w->err)
		return;
	if (w->len == 0 || w->has_payload || w->buf[1] == OTK_COAP_EMPTY || num < w->last_opt ||
	    len > 0xffffu - 269 || (len && !val)) {
		w->err = OTK_EINVAL;
		return;
	}
	size_t dl = ext_of((uint32_t)(num - w->last_opt), &dn, dext);
	size_t ll = ext_of((uint32_t)len, &ln, lext);
	size_t n = 0;

	hdr[n++] = (uint8_t)(dn << 4 | ln);
	memcpy(hdr + n, dext, dl);
	n += dl;
	memcpy(hdr + n, lext, ll);
	n += ll;
	put(w, hdr, n);
	put(w, val, len);
	w->last_opt = num;
}

void otk_coap_add_opt_uint(struct otk_coap_writer *w, uint16_t num, uint32_t value)
{
	uint8_t b[4];
	size_t n = 0;

	for (int shift = 24; shift >= 0; shift -= 8)
		if (n || (value >> shift) & 0xff)
			b[n++] = (uint8_t)(value >> shift);
	otk_coap_add_opt(w, num, b, n);
}

void otk_coap_add_path(struct otk_coap_writer *w, const char *path)
{
	if (!path) {
		if (!w->err)
			w->err = OTK_EINVAL;
		return;
	}
	while (*path) {
		size_t n = 0;

		while (path[n] && path[n] != '/')
			n++;
		otk_coap_add_opt(w, OTK_COAP_OPT_URI_PATH, path, n);
		path += n;
		if (*path == '/')
			path++;
	}
}

void otk_coap_set_payload(struct otk_coap_writer *w, const void *data, size_t len)
{
	static const uint8_t marker = PAYLOAD_MARKER;

	if (w->err)
		return;
	if (w->has_payload || w->len == 0 || (len && !data) ||
	    (len && w->buf[1] == OTK_COAP_EMPTY)) {
		w->err = OTK_EINVAL;
		return;
	}
	if (len == 0)
		return;
	put(w, &marker, 1);
	put(w, data, len);
	w->has_payload = true;
}

int otk_coap_finish(struct otk_coap_writer *w)
{
	if (w->err)
		return w->err;
	if (w->len > 0x7fffffff)
		return OTK_ERANGE;
	return (int)w->len;
}

int otk_coap_block_decode(const struct otk_coap_opt *o, struct otk_coap_block *b)
{
	uint32_t v;

	/* Block values are at most 3 bytes: 20-bit number, M bit, SZX. */
	if (o->len > 3 || otk_coap_opt_uint(o, &v))
		return OTK_ECOAP_FORMAT;
	b->szx = v & 7;
	b->more = (v & 8) != 0;
	b->num = v >> 4;
	if (b->szx == 7)
		return OTK_ECOAP_FORMAT;
	return 0;
}

void otk_coap_add_block(struct otk_coap_writer *w, uint16_t num, const struct otk_coap_block *b)
{
	if (b->szx > 6 || b->num >= (1u << 20)) {
		if (!w->err)
			w->err = OTK_EINVAL;
		return;
	}
	otk_coap_add_opt_uint(w, num, b->num << 4 | (b->more ? 8u : 0u) | b->szx);
}

int otk_coap_block_szx_for(size_t size)
{
	for (int szx = 6; szx >= 0; szx--)
		if (size >= otk_coap_block_size((uint8_t)szx))
			return szx;
	return -1;
}

#include "otk/modtool.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "otk/error.h"
#include "otk/inflate.h"

int otk_module_compress(const uint8_t *in, size_t len, const struct otk_compress_opts *opts,
			uint8_t **out, size_t *out_len)
{
	struct otk_module m;
	int level = opts ? opts->level : 6;
	int wbits = opts ? opts->window_bits : 15;
	int rc = otk_module_parse(in, len, &m);

	*out = NULL;
	if (rc < 0)
		return rc;
	if (m.prefix.flags & (OTK_FLAG_COMPRESSED | OTK_FLAG_COMBINED))
		return OTK_EUNSUPPORTED;
	if (m.size != len || (m.warnings & OTK_WARN_SUFFIX_SIZE))
		return OTK_EINVAL;
	if (level < 0 || level > 9 || wbits < 9 || wbits > 15)
		return OTK_EINVAL;

	const uint8_t *src = in;
	size_t src_len = len;
	if (m.prefix.flags & OTK_FLAG_DROP_MODULE_INFO) {
		if (m.prefix_offset != 0)
			return OTK_EINVAL;
		src = in + m.prefix_size;
		src_len = m.suffix_off - m.prefix_size;
	}
	/* The declared original size decompress would refuse. */
	if (src_len > OTK_DECOMPRESS_MAX)
		return OTK_ETOOBIG;

	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, level, Z_DEFLATED, -wbits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return OTK_ENOMEM;
	uLong bound = deflateBound(&z, (uLong)src_len);
	size_t head = m.prefix_size + OTK_COMPRESS_HEADER_SIZE;
	size_t tail = m.suffix_size + OTK_CRC_SIZE;
	uint8_t *buf = malloc(head + bound + tail);
	if (!buf) {
		deflateEnd(&z);
		return OTK_ENOMEM;
	}
	z.next_in = (Bytef *)(uintptr_t)src;
	z.avail_in = (uInt)src_len;
	z.next_out = buf + head;
	z.avail_out = (uInt)bound;
	int zr = deflate(&z, Z_FINISH);
	size_t clen = z.total_out;
	deflateEnd(&z);
	if (zr != Z_STREAM_END) {
		free(buf);
		return OTK_EIO;
	}

	memcpy(buf, in + m.prefix_offset, m.prefix_size);
	uint8_t *h = buf + m.prefix_size;
	otk_put_le16(h, OTK_COMPRESS_HEADER_SIZE);
	h[2] = 0;                                  /* raw deflate */
	h[3] = wbits == 15 ? 0 : (uint8_t)wbits;  /* 0 means the default, 15 */
	otk_put_le32(h + 4, (uint32_t)src_len);
	memcpy(buf + head + clen, in + m.suffix_off, tail);

	size_t total = head + clen + tail;
	struct otk_prefix p = m.prefix;
	p.end = p.start + (uint32_t)(total - OTK_CRC_SIZE);
	p.flags |= OTK_FLAG_COMPRESSED;
	otk_prefix_encode(&p, buf);
	otk_module_seal(buf, total);
	*out = buf;
	*out_len = total;
	return OTK_OK;
}

int otk_module_decompress(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
	struct otk_module m;
	struct otk_compress_header h;
	int rc = otk_module_parse(in, len, &m);

	*out = NULL;
	if (rc < 0)
		return rc;
	if (!(m.prefix.flags & OTK_FLAG_COMPRESSED))
		return OTK_ENOTCOMPRESSED;
	if (m.prefix.flags & OTK_FLAG_COMBINED)
		return OTK_EUNSUPPORTED;
	if ((rc = otk_module_compress_header(&m, &h)) < 0)
		return rc;
	if (h.method != 0)
		return OTK_EUNSUPPORTED;
	if (h.original_size > OTK_DECOMPRESS_MAX)
		return OTK_ETOOBIG;

	bool drop = m.prefix.flags & OTK_FLAG_DROP_MODULE_INFO;
	size_t head = drop ? m.prefix_size : 0;
	size_t tail = drop ? (size_t)m.suffix_size + OTK_CRC_SIZE : 0;
	size_t total = head + h.original_size + tail;
	uint8_t *buf = malloc(total ? total : 1);
	size_t wsize = 1u << (h.window_bits ? h.window_bits : 15);
	uint8_t *window = malloc(wsize);
	struct otk_inflate *st = malloc(sizeof *st);
	if (!buf || !window || !st) {
		rc = OTK_ENOMEM;
		goto fail;
	}
	otk_inflate_init(st, window, wsize);
	const uint8_t *ip = in + h.data_off;
	size_t ilen = h.data_len;
	uint8_t *op = buf + head;
	size_t olen = h.original_size;
	rc = otk_inflate_process(st, &ip, &ilen, &op, &olen);
	if (rc == OTK_OK) {
		/* Output full but stream not finished: is there more data? */
		uint8_t extra;
		uint8_t *xp = &extra;
		size_t xlen = 1;
		rc = otk_inflate_process(st, &ip, &ilen, &xp, &xlen);
		rc = xlen == 0 ? OTK_EOVERFLOW : (rc == OTK_INFLATE_END ? OTK_INFLATE_END : OTK_ESHORT);
	}
	if (rc < 0)
		goto fail;
	if (olen != 0) {
		rc = OTK_ESHORT;
		goto fail;
	}
	if (drop) {
		memcpy(buf, in, m.prefix_size);
		memcpy(buf + head + h.original_size, in + m.suffix_off, tail);
		struct otk_prefix p = m.prefix;
		p.end = p.start + (uint32_t)(total - OTK_CRC_SIZE);
		p.flags &= (uint8_t)~OTK_FLAG_COMPRESSED;
		otk_prefix_encode(&p, buf);
		otk_module_seal(buf, total);
	}
	free(window);
	free(st);
	*out = buf;
	*out_len = total;
	return OTK_OK;
fail:
	free(buf);
	free(window);
	free(st);
	return rc;
}

int otk_module_combine(const uint8_t *const *mods, const size_t *lens, size_t n,
		       uint8_t **out, size_t *out_len)
{
	struct otk_module m;
	size_t total = 0;

	*out = NULL;
	if (n == 0)
		return OTK_EINVAL;
	for (size_t i = 0; i < n; i++) {
		int rc = otk_module_parse(mods[i], lens[i], &m);
		if (rc < 0)
			return rc;
		if (m.prefix.flags & OTK_FLAG_COMBINED)
			return OTK_EUNSUPPORTED;
		if (m.size != lens[i])
			return OTK_EINVAL;
		total += lens[i];
	}
	/* Readers take a module file of at most OTK_LIMIT_FILE bytes. */
	if (total > OTK_LIMIT_FILE)
		return OTK_ETOOBIG;
	uint8_t *buf = malloc(total);
	if (!buf)
		return OTK_ENOMEM;
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(buf + off, mods[i], lens[i]);
		if (i + 1 < n) {
			otk_module_parse(mods[i], lens[i], &m);
			buf[off + m.prefix_offset + 9] |= OTK_FLAG_COMBINED;
			otk_module_seal(buf + off, lens[i]);
		}
		off += lens[i];
	}
	*out = buf;
	*out_len = total;
	return OTK_OK;
}

void otk_module_parts_free(struct otk_part *parts, size_t n)
{
	if (!parts)
		return;
	for (size_t i = 0; i < n; i++)
		free(parts[i].data);
	free(parts);
}

int otk_module_split(const uint8_t *in, size_t len, size_t max_parts,
		     struct otk_part **parts, size_t *n)
{
	struct otk_module m;
	struct otk_part *v = NULL;
	size_t count = 0, off = 0;
	int rc;

	*parts = NULL;
	*n = 0;
	if (len == 0)
		return OTK_EEMPTY;
	do {
		if (count == max_parts) {
			rc = OTK_ERANGE;
			goto fail;
		}
		if ((rc = otk_module_parse(in + off, len - off, &m)) < 0)
			goto fail;
		struct otk_part *nv = realloc(v, (count + 1) * sizeof *v);
		if (!nv) {
			rc = OTK_ENOMEM;
			goto fail;
		}
		v = nv;
		v[count].data = malloc(m.size);
		if (!v[count].data) {
			rc = OTK_ENOMEM;
			goto fail;
		}
		memcpy(v[count].data, in + off, m.size);
		v[count].len = m.size;
		count++;
		off += m.size;
		if (!(m.prefix.flags & OTK_FLAG_COMBINED))
			break;
		v[count - 1].data[m.prefix_offset + 9] &= (uint8_t)~OTK_FLAG_COMBINED;
		otk_module_seal(v[count - 1].data, m.size);
	} while (off < len);
	if ((m.prefix.flags & OTK_FLAG_COMBINED) || off < len) {
		rc = count == 1 && off < len ? OTK_ENOTCOMBINED : OTK_EBADPREFIX;
		goto fail;
	}
	*parts = v;
	*n = count;
	return OTK_OK;
fail:
	otk_module_parts_free(v, count);
	return rc;
}

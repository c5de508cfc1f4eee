/*
 * Module binary parsing and writing.  See otk/module.h for the contracts and
 * docs/module-format.md for the format.
 */
#include "otk/module.h"

#include <string.h>

#include "otk/crc32.h"
#include "otk/error.h"
#include "otk/platform.h"

_Static_assert(OTK_PREFIX_SIZE == 24, "module_info_t is 24 bytes");
_Static_assert(OTK_SUFFIX_MIN == 2 + OTK_SHA256_LEN + 2, "suffix base layout");

void otk_prefix_decode(const uint8_t raw[OTK_PREFIX_SIZE], struct otk_prefix *p)
{
	p->start = otk_le32(raw + 0);
	p->end = otk_le32(raw + 4);
	p->reserved = raw[8];
	p->flags = raw[9];
	p->version = otk_le16(raw + 10);
	p->platform = otk_le16(raw + 12);
	p->function = raw[14];
	p->index = raw[15];
	for (int i = 0; i < 2; i++) {
		p->dep[i].function = raw[16 + 4 * i];
		p->dep[i].index = raw[17 + 4 * i];
		p->dep[i].version = otk_le16(raw + 18 + 4 * i);
	}
}

void otk_prefix_encode(const struct otk_prefix *p, uint8_t raw[OTK_PREFIX_SIZE])
{
	otk_put_le32(raw + 0, p->start);
	otk_put_le32(raw + 4, p->end);
	raw[8] = p->reserved;
	raw[9] = p->flags;
	otk_put_le16(raw + 10, p->version);
	otk_put_le16(raw + 12, p->platform);
	raw[14] = p->function;
	raw[15] = p->index;
	for (int i = 0; i < 2; i++) {
		raw[16 + 4 * i] = p->dep[i].function;
		raw[17 + 4 * i] = p->dep[i].index;
		otk_put_le16(raw + 18 + 4 * i, p->dep[i].version);
	}
}

/* Module length that a prefix claims, 64-bit so that garbage cannot wrap. */
static uint64_t claimed_size(const struct otk_prefix *p)
{
	return (uint64_t)p->end - p->start + OTK_CRC_SIZE;
}

int otk_prefix_score(const uint8_t *buf, size_t len, size_t offset)
{
	struct otk_prefix p;

	if (offset > len || len - offset < OTK_PREFIX_SIZE)
		return 0;
	otk_prefix_decode(buf + offset, &p);
	if (p.end <= p.start)
		return 0;
	if ((uint64_t)len < claimed_size(&p))
		return 0;
	if (p.function == OTK_FUNC_NONE)
		return 0;
	for (int i = 0; i < 2; i++) {
		if (p.dep[i].function == OTK_FUNC_NONE &&
		    (p.dep[i].index != 0 || p.dep[i].version != 0))
			return 0;
	}
	int score = 1;
	score += otk_platform_id_is_device(p.platform);
	score += p.function <= OTK_FUNC_MAX;
	score += p.dep[0].function <= OTK_FUNC_MAX;
	score += p.dep[1].function <= OTK_FUNC_MAX;
	score += (uint64_t)len == claimed_size(&p);
	score += (p.flags & ~OTK_FLAG_ALL) == 0;
	return score;
}

const uint32_t otk_prefix_offsets[OTK_PREFIX_NOFFSETS] = { 0, 0x200, 0x184, 0xC0, 0x10C };

long otk_prefix_find(const uint8_t *buf, size_t len, int *score)
{
	long best = -1;
	int best_score = 0;
	size_t n = OTK_PREFIX_NOFFSETS;

	for (size_t i = 0; i < n; i++) {
		int s = otk_prefix_score(buf, len, otk_prefix_offsets[i]);
		if (s >= OTK_PREFIX_SCORE_MAX) {
			best = (long)otk_prefix_offsets[i];
			best_score = s;
			goto out;
		}
		if (s > best_score) {
			best = (long)otk_prefix_offsets[i];
			best_score = s;
		}
	}
	/*
	 * The fallback scan stops where a prefix could no longer be followed by
	 * the smallest suffix and a CRC, and never goes beyond 8 KB.
	 */
	long limit = (long)len - (long)(OTK_SUFFIX_MIN + OTK_PREFIX_SIZE + OTK_CRC_SIZE);
	if (limit > (long)OTK_PREFIX_SEARCH_LIMIT)
		limit = OTK_PREFIX_SEARCH_LIMIT;
	for (long off = 4; off <= limit; off += 4) {
		bool preferred = false;
		for (size_t i = 0; i < n; i++)
			preferred |= (long)otk_prefix_offsets[i] == off;
		if (preferred)
			continue;
		int s = otk_prefix_score(buf, len, (size_t)off);
		if (s >= OTK_PREFIX_SCORE_MAX) {
			best = off;
			best_score = s;
			break;
		}
		if (s > best_score) {
			best = off;
			best_score = s;
		}
	}
out:
	if (score)
		*score = best_score;
	return best;
}

void otk_ext_iter_init(struct otk_ext_iter *it, const uint8_t *base, uint32_t start, uint32_t end)
{
	it->base = base;
	it->pos = start;
	it->end = end;
	it->done = start >= end;
}

void otk_module_pext_iter(const struct otk_module *m, struct otk_ext_iter *it)
{
	otk_ext_iter_init(it, m->data, m->pext_off, m->pext_end);
}

void otk_module_sext_iter(const struct otk_module *m, struct otk_ext_iter *it)
{
	otk_ext_iter_init(it, m->data, m->sext_off, m->sext_end);
}

int otk_ext_next(struct otk_ext_iter *it, struct otk_ext *e)
{
	if (it->done || it->end - it->pos < OTK_EXT_HEADER_SIZE) {
		it->done = true;
		return 0;
	}
	const uint8_t *p = it->base + it->pos;
	uint16_t type = otk_le16(p);
	uint16_t length = otk_le16(p + 2);

	if (type == OTK_EXT_INVALID) {
		it->done = true;
		return 0;
	}
	/* A length below the header would never advance: the reference reader
	 * reports zero as "Invalid extension length". */
	if (length < OTK_EXT_HEADER_SIZE || length > it->end - it->pos) {
		it->done = true;
		return OTK_EBADEXT;
	}
	e->type = type;
	e->length = length;
	e->offset = it->pos;
	e->body = p + OTK_EXT_HEADER_SIZE;
	e->body_len = (uint16_t)(length - OTK_EXT_HEADER_SIZE);
	it->pos += length;
	if (type == OTK_EXT_END)
		it->done = true;
	return 1;
}

int otk_ext_asset_dependency(const struct otk_ext *e, struct otk_ext_asset *a)
{
	if (e->body_len < 2 || e->body_len < 2u + e->body[1])
		return OTK_EBADEXT;
	a->hash_type = e->body[0];
	a->hash_len = e->body[1];
	a->hash = e->body + 2;
	a->name = (const char *)e->body + 2 + a->hash_len;
	a->name_len = (uint16_t)(e->body_len - 2 - a->hash_len);
	return OTK_OK;
}

int otk_ext_hash(const struct otk_ext *e, struct otk_ext_asset *a)
{
	int rc = otk_ext_asset_dependency(e, a);
	if (rc == OTK_OK)
		a->name_len = 0;
	return rc;
}

int otk_ext_dynamic_location(const struct otk_ext *e, struct otk_ext_dynloc *d)
{
	if (e->body_len < 12)
		return OTK_EBADEXT;
	d->module_start = otk_le32(e->body);
	d->dynalib_load = otk_le32(e->body + 4);
	d->dynalib_ram = otk_le32(e->body + 8);
	return OTK_OK;
}

int otk_ext_product_data(const struct otk_ext *e, uint16_t *id, uint16_t *version)
{
	if (e->body_len < 6)
		return OTK_EBADEXT;
	/* The first u16 is the upper half of a 32-bit id, 0xFFFF as written. */
	*id = otk_le16(e->body + 2);
	*version = otk_le16(e->body + 4);
	return OTK_OK;
}

int otk_ext_dependency(const struct otk_ext *e, struct otk_dependency *d, uint32_t *target)
{
	if (e->body_len < 8)
		return OTK_EBADEXT;
	d->function = e->body[0];
	d->index = e->body[1];
	d->version = otk_le16(e->body + 2);
	*target = otk_le32(e->body + 4);
	return OTK_OK;
}

/* Walks a region to its end, reporting the first malformed extension. */
static int walk_region(struct otk_module *m, uint32_t start, uint32_t end, bool *saw_end,
		       uint32_t *stop)
{
	struct otk_ext_iter it;
	struct otk_ext e;
	int rc;

	*saw_end = false;
	otk_ext_iter_init(&it, m->data, start, end);
	while ((rc = otk_ext_next(&it, &e)) == 1) {
		if (e.type == OTK_EXT_END)
			*saw_end = true;
	}
	*stop = it.pos;
	if (rc < 0)
		m->bad_ext_off = it.pos;
	return rc;
}

/*
 * otk_prefix_find() searches and scores exactly as binary-version-reader
 * does, so that `binary inspect` agrees with Particle's tools on every file;
 * what follows is how this parser reads a search that found nothing good.
 * A weak guess (garbage that happens to look like a prefix) is not a module,
 * and neither is any partial match at an unusual offset: a prefix whose end
 * address is corrupt scores 0 where it is, and the scan then finds a stray
 * match in the code after it.
 */
static bool guess_is_plausible(long off, int score)
{
	bool usual = false;
	for (size_t i = 0; i < OTK_PREFIX_NOFFSETS; i++)
		usual |= off == (long)otk_prefix_offsets[i];
	return off >= 0 && score > 3 && (score >= OTK_PREFIX_SCORE_MAX || usual);
}

/*
 * A prefix at a usual offset that would be good if the file were longer:
 * the file is truncated, which deserves a better message than "not a
 * module".  Fills m's prefix, offset and size when there is one.
 */
static bool truncated_prefix(const uint8_t *buf, size_t len, struct otk_module *m)
{
	for (size_t i = 0; i < OTK_PREFIX_NOFFSETS; i++) {
		size_t o = otk_prefix_offsets[i];
		struct otk_prefix p;
		if (len < o + OTK_PREFIX_SIZE)
			continue;
		otk_prefix_decode(buf + o, &p);
		if (p.end > p.start && claimed_size(&p) > len && claimed_size(&p) < (1u << 26) &&
		    p.function != OTK_FUNC_NONE && p.function <= OTK_FUNC_MAX &&
		    otk_platform_id_is_device(p.platform) && (p.flags & ~OTK_FLAG_ALL) == 0) {
			m->prefix = p;
			m->prefix_offset = (uint32_t)o;
			m->size = (uint32_t)claimed_size(&p);
			return true;
		}
	}
	return false;
}

int otk_module_parse(const uint8_t *buf, size_t len, struct otk_module *m)
{
	int score;
	int rc;
	bool saw_end;
	uint32_t stop;

	memset(m, 0, sizeof *m);
	m->data = buf;
	m->buf_len = len;
	if (len == 0)
		return OTK_EEMPTY;

	long off = otk_prefix_find(buf, len, &score);
	if (!guess_is_plausible(off, score)) {
		if (truncated_prefix(buf, len, m))
			return OTK_ETRUNCATED;
		if (off < 0)
			return OTK_ENOPREFIX;
	}

	m->prefix_offset = (uint32_t)off;
	m->prefix_score = score;
	otk_prefix_decode(buf + off, &m->prefix);
	/* score > 0 guarantees end > start and len >= the claimed size */
	m->size = (uint32_t)claimed_size(&m->prefix);
	if (score < OTK_PREFIX_SCORE_MAX)
		m->warnings |= OTK_WARN_PREFIX_GUESSED;
	if (m->size < len) {
		if (!(m->prefix.flags & OTK_FLAG_COMBINED))
			m->warnings |= OTK_WARN_TRAILING;
	} else if (m->prefix.flags & OTK_FLAG_COMBINED) {
		m->warnings |= OTK_WARN_COMBINED_LAST;
	}
	if (m->prefix.flags & ~OTK_FLAG_ALL)
		m->warnings |= OTK_WARN_UNKNOWN_FLAGS;
	if (!otk_platform_id_is_device(m->prefix.platform))
		m->warnings |= OTK_WARN_UNKNOWN_PLATFORM;
	if (m->prefix.function > OTK_FUNC_MAX)
		m->warnings |= OTK_WARN_UNKNOWN_FUNCTION;

	uint32_t size = m->size;
	m->prefix_size = OTK_PREFIX_SIZE;
	if (size < m->prefix_offset + OTK_PREFIX_SIZE + OTK_SUFFIX_MIN + OTK_CRC_SIZE)
		return OTK_EBADSUFFIX;
	uint32_t base_suffix = size - OTK_CRC_SIZE - OTK_SUFFIX_MIN; /* start of reserved+SHA+size */

	if (m->prefix.flags & OTK_FLAG_PREFIX_EXTENSIONS) {
		uint32_t start = m->prefix_offset + OTK_PREFIX_SIZE;
		rc = walk_region(m, start, base_suffix, &saw_end, &stop);
		if (rc < 0)
			return rc;
		if (!saw_end)
			return OTK_ENOEXTEND;
		m->pext_off = start;
		m->pext_end = stop;
		m->prefix_size = stop - m->prefix_offset;
	}

	const uint8_t *end = buf + size;
	m->crc_stored = otk_be32(end - 4);
	m->suffix_size = otk_le16(end - 6);
	memcpy(m->sha_stored, end - 38, OTK_SHA256_LEN);
	m->suffix_reserved = otk_le16(end - 40);
	m->has_product = m->suffix_size >= OTK_SUFFIX_PRODUCT;
	if (size >= 44 + m->prefix_offset + m->prefix_size) {
		m->product_id = otk_le16(end - 44);
		m->product_version = otk_le16(end - 42);
	} else {
		m->has_product = false;
	}

	uint32_t room = size - OTK_CRC_SIZE - (m->prefix_offset + m->prefix_size);
	if (m->suffix_size < OTK_SUFFIX_MIN || m->suffix_size > room) {
		m->warnings |= OTK_WARN_SUFFIX_SIZE;
		m->suffix_off = base_suffix;
		return OTK_OK;
	}
	m->suffix_off = size - OTK_CRC_SIZE - m->suffix_size;
	if (m->suffix_size > OTK_SUFFIX_PRODUCT) {
		rc = walk_region(m, m->suffix_off, base_suffix, &saw_end, &stop);
		if (rc < 0)
			return rc;
		m->sext_off = m->suffix_off;
		m->sext_end = stop;
	}
	return OTK_OK;
}

uint32_t otk_module_crc_compute(const struct otk_module *m)
{
	return otk_crc32_update(0, m->data, m->size - OTK_CRC_SIZE);
}

enum otk_sha_kind otk_module_sha_check(const struct otk_module *m, uint8_t computed[OTK_SHA256_LEN])
{
	otk_sha256(m->data, m->size - 38, computed);
	if (memcmp(computed, m->sha_stored, OTK_SHA256_LEN) == 0)
		return OTK_SHA_STANDARD;
	if (!(m->warnings & OTK_WARN_SUFFIX_SIZE)) {
		uint8_t payload[OTK_SHA256_LEN];
		uint32_t from = m->prefix_offset + m->prefix_size;
		uint32_t to = m->suffix_off;
		if (to >= from) {
			otk_sha256(m->data + from, to - from, payload);
			if (memcmp(payload, m->sha_stored, OTK_SHA256_LEN) == 0)
				return OTK_SHA_PAYLOAD;
		}
	}
	return OTK_SHA_OTHER;
}

int otk_module_compress_header(const struct otk_module *m, struct otk_compress_header *h)
{
	if (!(m->prefix.flags & OTK_FLAG_COMPRESSED))
		return OTK_ENOTCOMPRESSED;
	uint32_t at = m->prefix_offset + m->prefix_size;
	if (m->warnings & OTK_WARN_SUFFIX_SIZE)
		return OTK_EBADCOMPRESS;
	if (m->suffix_off < at || m->suffix_off - at < OTK_COMPRESS_HEADER_SIZE)
		return OTK_EBADCOMPRESS;
	const uint8_t *p = m->data + at;
	h->header_size = otk_le16(p);
	h->method = p[2];
	h->window_bits = p[3];
	h->original_size = otk_le32(p + 4);
	if (h->header_size < OTK_COMPRESS_HEADER_SIZE || h->header_size > m->suffix_off - at)
		return OTK_EBADCOMPRESS;
	if (h->window_bits != 0 && (h->window_bits < 8 || h->window_bits > 15))
		return OTK_EBADCOMPRESS;
	h->data_off = at + h->header_size;
	h->data_len = m->suffix_off - h->data_off;
	return OTK_OK;
}

bool otk_dependency_is_none(const struct otk_dependency *d)
{
	return d->function == OTK_FUNC_NONE;
}

bool otk_dependency_satisfied_by(const struct otk_dependency *d, const struct otk_prefix *installed)
{
	if (otk_dependency_is_none(d))
		return true;
	return installed->function == d->function && installed->index == d->index &&
	       installed->version >= d->version;
}

static const char *const function_names[] = {
	"none", "resource", "bootloader", "monolithic firmware", "system part",
	"user part", "settings", "NCP firmware", "radio stack", "asset",
};
static const char *const function_short[] = {
	"none", "resource", "bootloader", "mono", "system",
	"user", "settings", "ncp", "radio", "asset",
};

const char *otk_function_name(uint8_t function)
{
	return function <= OTK_FUNC_MAX ? function_names[function] : "unknown";
}

const char *otk_function_short_name(uint8_t function)
{
	return function <= OTK_FUNC_MAX ? function_short[function] : "unknown";
}

int otk_module_seal(uint8_t *buf, size_t size)
{
	if (size < 38 + OTK_CRC_SIZE)
		return OTK_EINVAL;
	otk_sha256(buf, size - 38, buf + size - 38);
	otk_put_be32(buf + size - 4, otk_crc32_update(0, buf, size - 4));
	return OTK_OK;
}

long otk_ext_put(uint8_t *out, size_t cap, uint16_t type, const void *body, size_t body_len)
{
	size_t n = OTK_EXT_HEADER_SIZE + body_len;
	if (n > 0xFFFF)
		return OTK_ERANGE;
	if (n > cap)
		return OTK_ENOSPC;
	otk_put_le16(out, type);
	otk_put_le16(out + 2, (uint16_t)n);
	if (body_len)
		memcpy(out + OTK_EXT_HEADER_SIZE, body, body_len);
	return (long)n;
}

long otk_ext_put_asset(uint8_t *out, size_t cap, uint16_t type, const uint8_t hash[OTK_SHA256_LEN],
		       const char *name, size_t name_len)
{
	size_t n = OTK_EXT_HEADER_SIZE + 2 + OTK_SHA256_LEN + (name ? name_len : 0);
	if (n > 0xFFFF)
		return OTK_ERANGE;
	if (n > cap)
		return OTK_ENOSPC;
	otk_put_le16(out, type);
	otk_put_le16(out + 2, (uint16_t)n);
	out[4] = 0; /* SHA-256 */
	out[5] = OTK_SHA256_LEN;
	memcpy(out + 6, hash, OTK_SHA256_LEN);
	if (name && name_len)
		memcpy(out + 6 + OTK_SHA256_LEN, name, name_len);
	return (long)n;
}

long otk_ext_put_end(uint8_t *out, size_t cap, size_t pad)
{
	long n = otk_ext_put(out, cap, OTK_EXT_END, NULL, 0);
	if (n < 0)
		return n;
	if (cap - (size_t)n < pad)
		return OTK_ENOSPC;
	if (pad + (size_t)n > 0xFFFF)
		return OTK_ERANGE;
	memset(out + n, 0, pad);
	otk_put_le16(out + 2, (uint16_t)(n + (long)pad));
	return n + (long)pad;
}

int otk_module_build(const struct otk_module_spec *spec, const uint8_t *body, size_t body_len,
		     uint8_t *out, size_t cap, size_t *out_len)
{
	size_t suffix = spec->sext_len + (spec->product ? 4u : 0u) + OTK_SUFFIX_MIN;
	if (suffix > 0xFFFF)
		return OTK_ETOOBIG;
	uint64_t total = (uint64_t)spec->prefix_offset + OTK_PREFIX_SIZE + spec->pext_len + body_len +
			 suffix + OTK_CRC_SIZE;
	if (total > 0xFFFFFFFFu - spec->start)
		return OTK_ETOOBIG;
	if (total > cap)
		return OTK_ENOSPC;

	uint8_t *p = out;
	if (spec->prefix_offset) {
		if (spec->head)
			memcpy(p, spec->head, spec->prefix_offset);
		else
			memset(p, 0xFF, spec->prefix_offset);
		p += spec->prefix_offset;
	}
	struct otk_prefix pre = spec->prefix;
	pre.start = spec->start;
	pre.end = spec->start + (uint32_t)total - OTK_CRC_SIZE;
	if (spec->pext_len)
		pre.flags |= OTK_FLAG_PREFIX_EXTENSIONS;
	otk_prefix_encode(&pre, p);
	p += OTK_PREFIX_SIZE;
	if (spec->pext_len) {
		memcpy(p, spec->pext, spec->pext_len);
		p += spec->pext_len;
	}
	if (body_len) {
		memcpy(p, body, body_len);
		p += body_len;
	}
	if (spec->sext_len) {
		memcpy(p, spec->sext, spec->sext_len);
		p += spec->sext_len;
	}
	if (spec->product) {
		otk_put_le16(p, spec->product_id);
		otk_put_le16(p + 2, spec->product_version);
		p += 4;
	}
	otk_put_le16(p, 0); /* reserved */
	memset(p + 2, 0, OTK_SHA256_LEN);
	otk_put_le16(p + 2 + OTK_SHA256_LEN, (uint16_t)suffix);
	*out_len = (size_t)total;
	return otk_module_seal(out, (size_t)total);
}

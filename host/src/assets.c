/*
 * Asset dependencies, asset modules and asset limits (see otk/assets.h and
 * docs/bundles.md).  The layouts follow binary-version-reader's
 * addModuleExtensions / createAssetModule so that the outputs are
 * byte-identical; the one deliberate difference is that an existing END in
 * the prefix extensions is dropped before new ones are appended (the
 * reference keeps it, which hides the new dependencies from every parser).
 */
#include "otk/assets.h"

#include <stdlib.h>
#include <string.h>

#include "otk/crc32.h"
#include "otk/error.h"
#include "otk/modtool.h"
#include "otk/sha256.h"

#define START_ALIGN 8u

void otk_asset_hash(const uint8_t *data, size_t len, uint8_t hash[OTK_SHA256_LEN])
{
	struct otk_module m;
	if (otk_module_parse(data, len, &m) == OTK_OK && m.prefix.function == OTK_FUNC_ASSET &&
	    m.size <= len && otk_module_crc_compute(&m) == m.crc_stored) {
		/* Like the reference: the module's own HASH, from either region. */
		struct otk_ext_iter it;
		struct otk_ext e;
		struct otk_ext_asset a;
		for (int region = 0; region < 2; region++) {
			if (region == 0)
				otk_module_pext_iter(&m, &it);
			else
				otk_module_sext_iter(&m, &it);
			while (otk_ext_next(&it, &e) == 1) {
				if (e.type == OTK_EXT_HASH && otk_ext_hash(&e, &a) == OTK_OK &&
				    a.hash_len == OTK_SHA256_LEN) {
					memcpy(hash, a.hash, OTK_SHA256_LEN);
					return;
				}
			}
		}
	}
	otk_sha256(data, len, hash);
}

int otk_assets_list(const struct otk_module *m, otk_asset_dep_fn fn, void *ctx)
{
	struct otk_ext_iter it;
	struct otk_ext e;
	int count = 0;
	for (int region = 0; region < 2; region++) {
		if (region == 0)
			otk_module_pext_iter(m, &it);
		else
			otk_module_sext_iter(m, &it);
		int rc;
		while ((rc = otk_ext_next(&it, &e)) == 1) {
			if (e.type != OTK_EXT_ASSET_DEPENDENCY)
				continue;
			struct otk_ext_asset a;
			if (otk_ext_asset_dependency(&e, &a) < 0)
				return OTK_EBADEXT;
			count++;
			if (fn && fn(ctx, &a))
				return count;
		}
		if (rc < 0)
			return rc;
	}
	return count;
}

/* The firmwareModules entry the reference looks up: same function, and the
 * same index unless the table names none. */
static const struct otk_platform_module *module_info(const struct otk_platform *p,
						     const struct otk_prefix *pr)
{
	for (size_t i = 0; i < p->nmodules; i++) {
		const struct otk_platform_module *pm = &p->modules[i];
		if (pm->function == pr->function && (pm->index < 0 || pm->index == pr->index))
			return pm;
	}
	return NULL;
}

/* Encoded size of the new dependencies, or OTK_EINVAL for a bad name. */
static long deps_size(const struct otk_asset_ref *assets, size_t n)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if (assets[i].name_len == 0 || assets[i].name_len > OTK_ASSET_NAME_MAX)
			return OTK_EINVAL;
		total += OTK_EXT_HEADER_SIZE + 2 + OTK_SHA256_LEN + assets[i].name_len;
		if (total > 0xFFFFFFu)
			return OTK_ETOOBIG;
	}
	return (long)total;
}

static size_t put_deps(uint8_t *out, const struct otk_asset_ref *assets, size_t n)
{
	size_t off = 0;
	for (size_t i = 0; i < n; i++)
		off += (size_t)otk_ext_put_asset(out + off, SIZE_MAX, OTK_EXT_ASSET_DEPENDENCY,
						 assets[i].hash, assets[i].name, assets[i].name_len);
	return off;
}

/* Copies the extensions of a region that are kept (not asset dependencies
 * and, when drop_end, not END) to out (NULL: only count).  *last_type gets
 * the type of the last one kept, *has_product whether PRODUCT_DATA is kept. */
static long keep_exts(const struct otk_module *m, bool prefix, bool drop_end, uint8_t *out,
		      int *last_type, bool *has_product)
{
	struct otk_ext_iter it;
	struct otk_ext e;
	size_t off = 0;
	int rc;
	if (prefix)
		otk_module_pext_iter(m, &it);
	else
		otk_module_sext_iter(m, &it);
	while ((rc = otk_ext_next(&it, &e)) == 1) {
		if (e.type == OTK_EXT_ASSET_DEPENDENCY || (drop_end && e.type == OTK_EXT_END))
			continue;
		if (out)
			memcpy(out + off, m->data + e.offset, e.length);
		off += e.length;
		if (last_type)
			*last_type = e.type;
		if (has_product && e.type == OTK_EXT_PRODUCT_DATA)
			*has_product = true;
	}
	return rc < 0 ? rc : (long)off;
}

/* Suffix layout: [new deps][kept suffix exts][END?][product 4?][base 36][CRC]. */
static int deps_in_suffix(const struct otk_module *m, const struct otk_asset_ref *assets,
			  size_t n, size_t dsize, uint8_t **out, size_t *out_len)
{
	int last = -1;
	bool product = false;
	long ksize = keep_exts(m, false, false, NULL, &last, &product);
	if (ksize < 0)
		return (int)ksize;
	if (ksize == 0)
		last = n ? OTK_EXT_ASSET_DEPENDENCY : -1;
	bool need_end = (n > 0 || ksize > 0) && last != OTK_EXT_END && last != OTK_EXT_PRODUCT_DATA;
	/* Stripping every extension restores the plain 40-byte suffix. */
	bool only_end = n == 0 && ksize == OTK_EXT_HEADER_SIZE && last == OTK_EXT_END;
	size_t exts = dsize + (size_t)ksize + (need_end ? OTK_EXT_HEADER_SIZE : 0);
	if (only_end)
		exts = 0;
	size_t suffix = OTK_SUFFIX_MIN + exts + (product ? 0 : 4);
	if (suffix > 0xFFFFu)
		return OTK_ETOOBIG;
	size_t body = m->size - OTK_CRC_SIZE - m->suffix_size;
	size_t len = body + suffix + OTK_CRC_SIZE;
	uint8_t *buf = malloc(len);
	if (!buf)
		return OTK_ENOMEM;
	memcpy(buf, m->data, body);
	size_t off = body;
	if (!only_end) {
		off += put_deps(buf + off, assets, n);
		off += (size_t)keep_exts(m, false, false, buf + off, NULL, NULL);
		if (need_end)
			off += (size_t)otk_ext_put_end(buf + off, OTK_EXT_HEADER_SIZE, 0);
	}
	if (!product) {
		/* Modules without product data (Gen2 suffix 36) get "no product". */
		otk_put_le16(buf + off, m->has_product ? m->product_id : 0xFFFF);
		otk_put_le16(buf + off + 2, m->has_product ? m->product_version : 0xFFFF);
		off += 4;
	}
	otk_put_le16(buf + off, m->suffix_reserved);
	off += 2 + OTK_SHA256_LEN;
	otk_put_le16(buf + off, (uint16_t)suffix);
	struct otk_prefix p = m->prefix;
	p.end = p.start + (uint32_t)(len - OTK_CRC_SIZE);
	otk_prefix_encode(&p, buf + m->prefix_offset);
	*out = buf;
	*out_len = len;
	return OTK_OK;
}

/* Prefix layout: [prefix 24][kept prefix exts][new deps][END + pad][body...]. */
static int deps_in_prefix(const struct otk_module *m, const struct otk_asset_ref *assets,
			  size_t n, size_t dsize, uint8_t **out, size_t *out_len)
{
	if (m->prefix_offset != 0)
		return OTK_EUNSUPPORTED;
	/* Dependencies left in the suffix would survive the edit: refuse. */
	struct otk_ext_iter it;
	struct otk_ext e;
	otk_module_sext_iter(m, &it);
	while (otk_ext_next(&it, &e) == 1)
		if (e.type == OTK_EXT_ASSET_DEPENDENCY)
			return OTK_EINVAL;
	long ksize = keep_exts(m, true, true, NULL, NULL, NULL);
	if (ksize < 0)
		return (int)ksize;
	bool none = n == 0 && ksize == 0;
	size_t pext = none ? 0 : (size_t)ksize + dsize + OTK_EXT_HEADER_SIZE;
	size_t rest = m->size - m->prefix_size;     /* body, suffix and CRC */
	size_t len = OTK_PREFIX_SIZE + pext + rest;
	uint32_t end = m->prefix.end;
	if (len - OTK_CRC_SIZE > end)
		return OTK_ERANGE;
	uint32_t start = end - (uint32_t)(len - OTK_CRC_SIZE);
	size_t pad = none ? 0 : start % START_ALIGN;
	len += pad;
	start -= (uint32_t)pad;
	uint8_t *buf = malloc(len);
	if (!buf)
		return OTK_ENOMEM;
	size_t off = OTK_PREFIX_SIZE;
	if (!none) {
		off += (size_t)keep_exts(m, true, true, buf + off, NULL, NULL);
		off += put_deps(buf + off, assets, n);
		off += (size_t)otk_ext_put_end(buf + off, OTK_EXT_HEADER_SIZE + pad, pad);
	}
	memcpy(buf + off, m->data + m->prefix_size, rest);
	struct otk_prefix p = m->prefix;
	p.start = start;
	if (none)
		p.flags &= (uint8_t)~OTK_FLAG_PREFIX_EXTENSIONS;
	else
		p.flags |= OTK_FLAG_PREFIX_EXTENSIONS;
	otk_prefix_encode(&p, buf);

	/* The suffix's DYNAMIC_LOCATION names the start address: follow it. */
	otk_module_sext_iter(m, &it);
	while (otk_ext_next(&it, &e) == 1) {
		if (e.type == OTK_EXT_DYNAMIC_LOCATION && e.length >= 8)
			otk_put_le32(buf + off + (e.offset - m->prefix_size) + OTK_EXT_HEADER_SIZE,
				     start);
	}
	*out = buf;
	*out_len = len;
	return OTK_OK;
}

int otk_assets_set_deps(const uint8_t *in, size_t len, const struct otk_asset_ref *assets,
			size_t n, uint8_t **out, size_t *out_len, uint32_t *limit)
{
	struct otk_module m;
	int rc = otk_module_parse(in, len, &m);
	if (rc < 0)
		return rc;
	if (m.prefix.flags & (OTK_FLAG_COMPRESSED | OTK_FLAG_COMBINED))
		return OTK_EUNSUPPORTED;
	/*
	 * Only modules whose prefix was found with full confidence are edited:
	 * after a guess, the edited file might not be found the same way.  One
	 * exception: a prefix at offset 0 that misses only the reference
	 * reader's "known platform" point, for a platform our table does know
	 * (gcc, the virtual device).  Offset 0 is tried first and nothing in an
	 * edit can make another offset score higher.
	 */
	const struct otk_platform *plat = otk_platform_by_id(m.prefix.platform);
	bool trusted = !(m.warnings & OTK_WARN_PREFIX_GUESSED) ||
		       (plat && m.prefix_offset == 0 && m.prefix_score == OTK_PREFIX_SCORE_MAX - 1 &&
			!otk_platform_id_is_device(m.prefix.platform));
	if (m.size != len || (m.warnings & OTK_WARN_SUFFIX_SIZE) || !trusted)
		return OTK_EINVAL;
	if (!plat)
		return OTK_EUNSUPPORTED;
	const struct otk_platform_module *info = module_info(plat, &m.prefix);
	long dsize = deps_size(assets, n);
	if (dsize < 0)
		return (int)dsize;

	uint8_t *buf = NULL;
	size_t blen = 0;
	if ((m.prefix.flags & OTK_FLAG_PREFIX_EXTENSIONS) || (info && info->grows_left))
		rc = deps_in_prefix(&m, assets, n, (size_t)dsize, &buf, &blen);
	else
		rc = deps_in_suffix(&m, assets, n, (size_t)dsize, &buf, &blen);
	if (rc < 0)
		return rc;
	if (info && info->max_size && blen > info->max_size) {
		free(buf);
		if (limit)
			*limit = info->max_size;
		*out_len = blen;
		return OTK_ERANGE;
	}
	otk_module_seal(buf, blen);
	*out = buf;
	*out_len = blen;
	return OTK_OK;
}

int otk_asset_module_create(const uint8_t *data, size_t len, const char *name, uint8_t type,
			    bool compress, uint8_t **out, size_t *out_len)
{
	size_t nlen = strlen(name);
	if (nlen == 0 || nlen > 0xFFFFu - OTK_EXT_HEADER_SIZE)
		return OTK_EINVAL;
	size_t sext_cap = 38 + OTK_EXT_HEADER_SIZE + nlen + 6 + 10;
	uint8_t *sext = malloc(sext_cap);
	if (!sext)
		return OTK_ENOMEM;
	uint8_t hash[OTK_SHA256_LEN];
	otk_sha256(data, len, hash);
	size_t off = 0;
	off += (size_t)otk_ext_put_asset(sext + off, sext_cap - off, OTK_EXT_HASH, hash, NULL, 0);
	off += (size_t)otk_ext_put(sext + off, sext_cap - off, OTK_EXT_NAME, name, nlen);
	if (type != OTK_ASSET_DEFAULT) {
		uint8_t t[2] = { type, 0 };
		off += (size_t)otk_ext_put(sext + off, sext_cap - off, OTK_EXT_ASSET_TYPE, t, 2);
	}
	static const uint8_t no_product[6] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
	off += (size_t)otk_ext_put(sext + off, sext_cap - off, OTK_EXT_PRODUCT_DATA, no_product, 6);
	if (OTK_SUFFIX_MIN + off > 0xFFFFu) {
		free(sext);
		return OTK_ETOOBIG;
	}

	struct otk_module_spec spec = { 0 };
	spec.prefix.flags = OTK_FLAG_DROP_MODULE_INFO;
	spec.prefix.function = OTK_FUNC_ASSET;
	spec.sext = sext;
	spec.sext_len = (uint32_t)off;
	size_t cap = OTK_PREFIX_SIZE + len + OTK_SUFFIX_MIN + off + OTK_CRC_SIZE;
	uint8_t *mod = malloc(cap);
	if (!mod) {
		free(sext);
		return OTK_ENOMEM;
	}
	size_t mlen;
	int rc = otk_module_build(&spec, data, len, mod, cap, &mlen);
	free(sext);
	if (rc < 0) {
		free(mod);
		return rc;
	}
	if (!compress) {
		*out = mod;
		*out_len = mlen;
		return OTK_OK;
	}
	struct otk_compress_opts co = { 6, 15 };
	rc = otk_module_compress(mod, mlen, &co, out, out_len);
	free(mod);
	return rc;
}

size_t otk_asset_storage_size(const struct otk_asset_limits *l, size_t module_size)
{
	size_t per_block = l->block_size - l->per_block_overhead;
	return l->overhead + (module_size + per_block - 1) / per_block * l->block_size;
}

uint32_t otk_asset_device_max(const struct otk_platform *p)
{
	if (!p || !p->has_assets)
		return 0;
	const struct otk_asset_limits *l = &p->assets;
	/* Device OS rejects an asset module larger than the storage minus 16
	 * blocks.  On Argon, Boron and B-SoM (nRF52840 with 288 asset blocks) the
	 * OTA staging area overlaps the asset area, which caps it at 148 blocks. */
	if (p->mcu == OTK_MCU_NRF52840 && l->total_blocks == 288)
		return 148u * l->block_size;
	return l->total_blocks > 16 ? (l->total_blocks - 16) * l->block_size : 0;
}

int otk_assets_check_limits(const struct otk_platform *p, struct otk_asset_size *a, size_t n,
			    bool strict, struct otk_asset_limit_report *r)
{
	memset(r, 0, sizeof *r);
	r->first_over_single = n;
	if (!p || !p->has_assets)
		return OTK_EUNSUPPORTED;
	const struct otk_asset_limits *l = &p->assets;
	r->max_single = l->max_single_asset;
	r->max_total = l->block_size * (l->total_blocks - l->reserved_blocks);
	r->device_single = otk_asset_device_max(p);
	uint32_t single = r->max_single;
	if (strict && r->device_single && r->device_single < single)
		single = r->device_single;
	for (size_t i = 0; i < n; i++) {
		a[i].storage_size = otk_asset_storage_size(l, a[i].module_size);
		r->total += a[i].storage_size;
		if (a[i].module_size > single && r->first_over_single == n)
			r->first_over_single = i;
	}
	r->over_total = r->total > r->max_total;
	return (r->first_over_single < n || r->over_total) ? OTK_ERANGE : OTK_OK;
}

bool otk_asset_name_skipped(const char *name)
{
	static const char *const special[] = { "Thumbs.db", "desktop.ini", "__MACOSX" };
	if (name[0] == '.')
		return true; /* dotfiles, .DS_Store among them */
	for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
		if (strcmp(name, special[i]) == 0)
			return true;
	return false;
}

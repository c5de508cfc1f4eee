/*
 * Asset API with Device OS semantics over the asset store, and the read
 * stream that inflates a stored asset module on the fly.
 */
#include <string.h>

#include "otk/asset_api.h"
#include "otk/error.h"
#include "otk/module.h"

/* --- dependency list of a module in flash -------------------------------- */

static int collect(const uint8_t *buf, uint32_t start, uint32_t end, struct otk_asset_id *out,
		   size_t max, size_t *n)
{
	struct otk_ext_iter it;
	struct otk_ext e;
	struct otk_ext_asset a;
	int rc;
	otk_ext_iter_init(&it, buf, start, end);
	while ((rc = otk_ext_next(&it, &e)) == 1) {
		if (e.type != OTK_EXT_ASSET_DEPENDENCY)
			continue;
		if (otk_ext_asset_dependency(&e, &a) || a.hash_len != OTK_SHA256_LEN)
			return OTK_EASSET_INVALID;
		if (a.name_len == 0 || a.name_len > OTK_ASSET_STORE_NAME_MAX)
			return OTK_EASSET_NAME;
		if (*n >= max)
			return OTK_ENOSPC;
		struct otk_asset_id *d = &out[(*n)++];
		memset(d, 0, sizeof *d);
		d->name_len = a.name_len;
		memcpy(d->name, a.name, a.name_len);
		memcpy(d->hash, a.hash, OTK_SHA256_LEN);
	}
	return rc < 0 ? OTK_EASSET_INVALID : OTK_OK;
}

int otk_assets_deps_read(const struct otk_flash_area *fa, uint32_t off, uint32_t len,
			 uint8_t *buf, size_t cap, struct otk_asset_id *out, size_t max)
{
	uint8_t raw[OTK_PREFIX_SIZE];
	struct otk_prefix p;
	size_t n = 0;
	int rc;
	if (len < OTK_PREFIX_SIZE + OTK_SUFFIX_MIN + OTK_CRC_SIZE)
		return OTK_EASSET_INVALID;
	if ((rc = otk_flash_read(fa, off, raw, sizeof raw)))
		return rc;
	otk_prefix_decode(raw, &p);
	if (p.flags & OTK_FLAG_PREFIX_EXTENSIONS) {
		/* the region ends with END; read what fits the scratch */
		uint32_t l = len - OTK_PREFIX_SIZE - OTK_SUFFIX_MIN - OTK_CRC_SIZE;
		if (l > cap)
			l = (uint32_t)cap;
		if ((rc = otk_flash_read(fa, off + OTK_PREFIX_SIZE, buf, l)))
			return rc;
		rc = collect(buf, 0, l, out, max, &n);
	} else {
		uint8_t t[2];
		if ((rc = otk_flash_read(fa, off + len - 6, t, 2)))
			return rc;
		uint32_t ss = otk_le16(t);
		if (ss < OTK_SUFFIX_MIN || ss > len - OTK_CRC_SIZE - OTK_PREFIX_SIZE || ss > cap)
			return OTK_EASSET_INVALID;
		if ((rc = otk_flash_read(fa, off + len - OTK_CRC_SIZE - ss, buf, ss)))
			return rc;
		/* as otk_module_parse: a 40-byte suffix is product data, no extensions */
		if (ss > OTK_SUFFIX_PRODUCT)
			rc = collect(buf, 0, ss - OTK_SUFFIX_MIN, out, max, &n);
	}
	return rc < 0 ? rc : (int)n;
}

/* --- System.* ------------------------------------------------------------ */

void otk_assets_init(struct otk_assets *a, struct otk_asset_store *store,
		     const struct otk_asset_id *required, size_t nrequired)
{
	memset(a, 0, sizeof *a);
	a->store = store;
	a->required = required;
	a->nrequired = nrequired;
}

int otk_assets_boot(struct otk_assets *a)
{
	int rc = otk_asset_store_validate(a->store, NULL);
	if (rc < 0)
		return rc;
	a->missing = 0;
	for (size_t i = 0; i < a->nrequired; i++) {
		const struct otk_asset_id *d = &a->required[i];
		rc = otk_asset_store_find(a->store, d->name, d->name_len, d->hash, NULL);
		if (rc == OTK_ENOTFOUND)
			a->missing++;
		else if (rc < 0)
			return rc;
	}
	return a->missing ? OTK_EASSET_MISSING : OTK_OK;
}

size_t otk_assets_required(const struct otk_assets *a, struct otk_asset_id *out, size_t max)
{
	for (size_t i = 0; i < a->nrequired && i < max; i++)
		out[i] = a->required[i];
	return a->nrequired;
}

int otk_assets_available(struct otk_assets *a, struct otk_asset_info *out, size_t max)
{
	int n = 0;
	for (size_t i = 0; i < a->nrequired; i++) {
		const struct otk_asset_id *d = &a->required[i];
		struct otk_asset_info f;
		int rc = otk_asset_store_find(a->store, d->name, d->name_len, d->hash, &f);
		if (rc == OTK_ENOTFOUND)
			continue;
		if (rc < 0)
			return rc;
		if ((size_t)n < max)
			out[n] = f;
		n++;
	}
	return n;
}

void otk_assets_on_ota(struct otk_assets *a, otk_asset_ota_fn fn, void *ctx)
{
	a->handler = fn;
	a->handler_ctx = ctx;
}

int otk_assets_run_handler(struct otk_assets *a)
{
	if (a->handler_ran || !a->handler || otk_asset_store_state(a->store) != OTK_ASSET_STATE_WANT)
		return 0;
	a->handler_ran = true;
	a->handler(a->handler_ctx, a);
	return 1;
}

int otk_assets_handled(struct otk_assets *a, bool handled)
{
	return otk_asset_store_set_state(a->store,
					 handled ? OTK_ASSET_STATE_HANDLED : OTK_ASSET_STATE_WANT);
}

uint8_t otk_assets_state(const struct otk_assets *a)
{
	return otk_asset_store_state(a->store);
}

int otk_assets_install(struct otk_assets *a, const struct otk_flash_area *src, uint32_t off,
		       uint32_t len, struct otk_asset_info *info)
{
	int rc = otk_asset_store_retain(a->store, a->required, a->nrequired, NULL);
	if (rc < 0)
		return rc;
	if ((rc = otk_asset_store_add_from_flash(a->store, src, off, len, info)))
		return rc;
	return otk_asset_store_set_state(a->store, OTK_ASSET_STATE_WANT);
}

/* --- read stream --------------------------------------------------------- */

static int decoder_start(struct otk_asset_reader *r)
{
	r->in_pos = r->in_len = 0;
	r->src_pos = 0;
	r->la_pos = r->la_len = 0;
	r->pos = r->decoded = 0;
	r->eof = false;
	r->error = OTK_OK;
	if (!r->info.compressed)
		return OTK_OK;
	return otk_inflate_init(r->inf, r->window, (size_t)1 << r->info.window_bits);
}

int otk_asset_reader_open(struct otk_asset_reader *r, struct otk_asset_store *store,
			  const struct otk_asset_info *info, struct otk_inflate *inf,
			  uint8_t *window, size_t window_size, uint8_t *buf, size_t cap)
{
	memset(r, 0, sizeof *r);
	if (!store || !info || !buf || cap < 64)
		return OTK_EINVAL;
	if (info->compressed && (!inf || !window || info->window_bits < 8 ||
				 info->window_bits > 15 ||
				 window_size < ((size_t)1 << info->window_bits)))
		return OTK_EINVAL;
	r->store = store;
	r->info = *info;
	r->inf = inf;
	r->window = window;
	r->window_size = window_size;
	r->in = buf;
	r->in_cap = cap / 2;
	r->la = buf + cap / 2;
	r->la_cap = cap - cap / 2;
	return decoder_start(r);
}

/* Produce up to n new bytes into dst; returns the count (0 only at the end). */
static long produce(struct otk_asset_reader *r, uint8_t *dst, size_t n)
{
	uint32_t left = r->info.size - r->decoded;
	if (n > left)
		n = left;
	if (n == 0)
		return 0;
	if (r->error)
		return r->error;
	if (!r->info.compressed) {
		int rc = otk_asset_store_read(r->store, &r->info, r->info.data_off + r->decoded, dst, n);
		if (rc)
			return r->error = rc;
		r->decoded += (uint32_t)n;
		return (long)n;
	}
	uint8_t *op = dst;
	size_t ol = n;
	while (ol) {
		if (r->in_pos == r->in_len && r->src_pos < r->info.data_len) {
			uint32_t rem = r->info.data_len - r->src_pos;
			size_t k = rem < r->in_cap ? rem : r->in_cap;
			int rc = otk_asset_store_read(r->store, &r->info, r->info.data_off + r->src_pos,
						      r->in, k);
			if (rc)
				return r->error = rc;
			r->src_pos += (uint32_t)k;
			r->in_pos = 0;
			r->in_len = k;
		}
		const uint8_t *ip = r->in + r->in_pos;
		size_t il = r->in_len - r->in_pos, il0 = il, ol0 = ol;
		/* with all input read the decoder may still hold bits and output */
		int rc = otk_inflate_process(r->inf, &ip, &il, &op, &ol);
		r->in_pos = r->in_len - il;
		if (rc < 0)
			return r->error = OTK_EASSET_INVALID;
		if (rc == OTK_INFLATE_END && ol)
			return r->error = OTK_EASSET_INVALID;  /* shorter than declared */
		if (il == il0 && ol == ol0 &&
		    (il > 0 || r->src_pos == r->info.data_len))
			return r->error = OTK_EASSET_INVALID;  /* data ends early */
	}
	r->decoded += (uint32_t)n;
	return (long)n;
}

long otk_asset_reader_read(struct otk_asset_reader *r, void *buf, size_t n)
{
	uint8_t *d = buf;
	size_t got = 0;
	if (r->eof || r->pos >= r->info.size) {
		r->eof = true;
		return OTK_EASSET_EOF;
	}
	if (r->error)
		return r->error;
	/* peeked bytes first */
	size_t k = r->la_len - r->la_pos;
	if (k > n)
		k = n;
	memcpy(d, r->la + r->la_pos, k);
	r->la_pos += k;
	got = k;
	if (got < n) {
		long p = produce(r, d + got, n - got);
		if (p < 0)
			return p;
		got += (size_t)p;
	}
	r->pos += (uint32_t)got;
	return (long)got;
}

uint32_t otk_asset_reader_available(const struct otk_asset_reader *r)
{
	return r->info.size - r->pos;
}

long otk_asset_reader_peek(struct otk_asset_reader *r, void *buf, size_t n)
{
	if (r->pos >= r->info.size)
		return OTK_EASSET_EOF;
	if (r->error)
		return r->error;
	if (n > r->la_cap)
		n = r->la_cap;
	size_t have = r->la_len - r->la_pos;
	if (have < n) {
		/* compact, then top up the lookahead */
		memmove(r->la, r->la + r->la_pos, have);
		r->la_pos = 0;
		r->la_len = have;
		long p = produce(r, r->la + have, n - have);
		if (p < 0)
			return p;
		r->la_len += (size_t)p;
		have = r->la_len;
	}
	if (n > have)
		n = have;
	memcpy(buf, r->la + r->la_pos, n);
	return (long)n;
}

long otk_asset_reader_skip(struct otk_asset_reader *r, size_t n)
{
	if (r->pos >= r->info.size)
		return OTK_EASSET_EOF;
	if (r->error)
		return r->error;
	size_t done = 0;
	size_t k = r->la_len - r->la_pos;
	if (k > n)
		k = n;
	r->la_pos += k;
	done = k;
	if (done < n && !r->info.compressed) {
		/* no decoding: just move */
		size_t m = n - done;
		if (m > r->info.size - r->decoded)
			m = r->info.size - r->decoded;
		r->decoded += (uint32_t)m;
		done += m;
	}
	while (done < n) {
		/* decode into the (empty) lookahead buffer and drop it */
		size_t m = n - done < r->la_cap ? n - done : r->la_cap;
		r->la_pos = r->la_len = 0;
		long p = produce(r, r->la, m);
		if (p < 0)
			return p;
		if (p == 0)
			break;
		done += (size_t)p;
	}
	r->pos += (uint32_t)done;
	return (long)done;
}

int otk_asset_reader_reset(struct otk_asset_reader *r)
{
	return decoder_start(r);
}

int otk_asset_reader_seek(struct otk_asset_reader *r, uint32_t pos)
{
	if (pos > r->info.size)
		return OTK_ERANGE;
	if (pos < r->pos) {
		int rc = decoder_start(r);
		if (rc)
			return rc;
	}
	r->eof = false;
	if (pos == r->pos)
		return OTK_OK;
	long k = otk_asset_reader_skip(r, pos - r->pos);
	if (k < 0)
		return (int)k;
	return r->pos == pos ? OTK_OK : OTK_EASSET_INVALID;
}

uint32_t otk_asset_reader_tell(const struct otk_asset_reader *r)
{
	return r->pos;
}

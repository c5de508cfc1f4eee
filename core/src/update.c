/*
 * Update engine, the transfer and its validation: begin / write / save /
 * finish, the out-of-order window, validation of the staged modules and
 * the copy records an apply persists.  See include/otk/update.h for the
 * model and docs/device-update.md for the power-loss argument.  The
 * persisted state is in update_state.c, the copy at boot in copy.c.
 */
#include <string.h>

#include "otk/asset_api.h"
#include "otk/error.h"
#include "update_internal.h"

void otk_update_set_assets(struct otk_update *u, struct otk_assets *assets)
{
	u->assets = assets;
}

/* --- begin / write --------------------------------------------------- */

static int forget(struct otk_update *u);

/* Bytes of a file that hold its prefix, wherever it is (module.h offsets). */
#define LEARN_BYTES (0x200u + OTK_PREFIX_SIZE)

/* SHA-256 of staging [from, to) into the running hash. */
static int hash_staging(struct otk_update *u, struct otk_sha256 *sha, uint32_t from, uint32_t to)
{
	while (from < to) {
		uint32_t n = to - from;
		if (n > u->cfg.buf_size)
			n = (uint32_t)u->cfg.buf_size;
		int rc = otk_flash_read(&u->ota, from, u->cfg.buf, n);
		if (rc)
			return rc;
		otk_sha256_update(sha, u->cfg.buf, n);
		from += n;
	}
	return OTK_OK;
}

/*
 * What the module function decides at begin, or once it is learnt from
 * the prefix: an asset module over the store's limit is refused.
 */
static int function_known(struct otk_update *u)
{
	if (u->function == OTK_FUNC_ASSET) {
		/* as Device OS: an asset that would be staged over the asset
		 * area is refused (storing it would erase its own bytes) */
		if (u->size > u->store_at)
			return OTK_EASSET_STAGING;
		/* spec: an asset module over (asset storage - 16 blocks) is refused at start */
		if (u->assets && u->size > otk_asset_store_max_module(u->assets->store))
			return OTK_EASSET_TOOBIG;
	} else if (u->size > u->store_at && !u->p_store_gone) {
		/* anything else may use the whole staging area: the asset
		 * store is given up (persisted first) and formatted after the
		 * copy, so the assets are asked for again */
		u->p_store_gone = true;
		int rc = otk_update_persist(u);
		if (rc)
			return rc;
	}
	if (u->limit < u->size) {
		/* learnt late: staging past the limit was not erased yet */
		int rc = otk_flash_erase_cover(&u->ota, u->limit, u->size - u->limit);
		if (rc)
			return rc;
	}
	u->limit = u->size;
	return OTK_OK;
}

/* The function from the prefix in staging [0, received), when it is there. */
static int learn_function(struct otk_update *u)
{
	struct otk_prefix p;
	bool erased;
	if (u->function != OTK_FUNC_NONE || (u->received < u->size && u->received < LEARN_BYTES))
		return OTK_OK;
	long at = otk_image_find_prefix(&u->ota, 0, u->received, 0, &p, &erased);
	if (at < 0 && at != OTK_ENOPREFIX)
		return (int)at;
	if (at < 0)
		return OTK_OK;      /* not a module: validation says so at finish */
	u->function = u->p_function = p.function;
	int rc = function_known(u);
	if (rc) {
		/* stop: the same file would be refused again at begin */
		u->active = false;
		(void)forget(u);
	}
	return rc;
}

long otk_update_begin(struct otk_update *u, const struct otk_update_start *st)
{
	uint8_t digest[OTK_SHA256_LEN];
	uint32_t size = st->size, flags = st->flags;
	const uint8_t *file_sha = st->file_sha;
	int rc;

	/* a new start cancels a running transfer but keeps its progress */
	if (u->active) {
		rc = otk_update_save(u);
		u->active = false;
		if (rc)
			return rc;
	}
	if (u->nslots)
		return OTK_EUPD_BUSY;
	if (size == 0)
		return OTK_EUPD_SIZE;
	if (size > u->ota.size)
		return OTK_EUPD_TOOLARGE;
	if (st->chunk_size % u->ota.write_align)
		return OTK_EINVAL;
	u->size = size;
	u->function = st->function;
	/* until the function is known, staging over the asset area stays
	 * untouched (an asset may not go there) */
	u->limit = size < u->store_at ? size : u->store_at;
	if (u->function != OTK_FUNC_NONE) {
		u->limit = size;
		rc = function_known(u);
		if (rc)
			return rc;
	}
	bool resumable = file_sha && !(flags & (OTK_UPDATE_DISCARD_DATA | OTK_UPDATE_NON_RESUMABLE));
	uint32_t from = 0;

	if (resumable && u->p_valid && u->p_size == size && u->p_prefix > 0 && u->p_prefix <= size &&
	    memcmp(u->p_file_sha, file_sha, OTK_SHA256_LEN) == 0) {
		/* re-hash what staging holds: only a match proves it is ours.
		 * Resume at the erase unit holding the prefix's end: the rest
		 * of that unit may hold torn or out-of-order chunks, and a part
		 * that programs once cannot take them again without an erase. */
		uint32_t at = u->p_prefix == size ? size : u->p_prefix & ~(u->ota.erase_size - 1u);
		struct otk_sha256 sha;
		otk_sha256_init(&sha);
		rc = hash_staging(u, &sha, 0, at);
		if (rc)
			return rc;
		u->sha = sha;
		rc = hash_staging(u, &sha, at, u->p_prefix);
		if (rc)
			return rc;
		otk_sha256_finish(&sha, digest);
		if (memcmp(digest, u->p_prefix_sha, OTK_SHA256_LEN) == 0 && at > 0) {
			if (u->function == OTK_FUNC_NONE && u->p_function != OTK_FUNC_NONE) {
				u->function = u->p_function;
				u->limit = size;
				rc = function_known(u);
				if (rc)
					return rc;
			}
			if (at != u->p_prefix) {
				/* persist the rounded prefix before erasing past it */
				sha = u->sha;
				otk_sha256_finish(&sha, u->p_prefix_sha);
				u->p_prefix = at;
				rc = otk_update_persist(u);
				if (rc)
					return rc;
			}
			from = at;
		}
	}

	if (from == 0) {
		/* start over: forget the old progress first, then erase (a
		 * resume from 0 also erases, as that erase may have been cut
		 * short) */
		u->p_valid = resumable;
		u->p_size = size;
		u->p_prefix = 0;
		u->p_flags = (uint8_t)flags;
		u->p_function = u->function;
		if (file_sha)
			memcpy(u->p_file_sha, file_sha, OTK_SHA256_LEN);
		else
			memset(u->p_file_sha, 0, OTK_SHA256_LEN);
		otk_sha256(NULL, 0, u->p_prefix_sha);
		rc = otk_update_persist(u);
		if (rc)
			return rc;
		otk_sha256_init(&u->sha);
	}
	if (from < u->limit) {
		rc = otk_flash_erase_cover(&u->ota, from, u->limit - from);
		if (rc)
			return rc;
	}
	u->received = u->saved_at = u->origin = from;
	u->chunk = st->chunk_size;
	memset(&u->stats, 0, sizeof(u->stats));
	if (u->cfg.window_map)
		memset(u->cfg.window_map, 0, (u->cfg.window_chunks + 31u) / 32u * 4u);
	u->active = true;
	u->resumable = resumable;
	u->flags = (uint8_t)flags;
	if (file_sha)
		memcpy(u->file_sha, file_sha, OTK_SHA256_LEN);
	else
		memset(u->file_sha, 0, OTK_SHA256_LEN);
	rc = learn_function(u);
	return rc ? rc : (long)u->received;
}

int otk_update_save(struct otk_update *u)
{
	if (!u->active)
		return OTK_EUPD_STATE;
	if (!u->resumable || u->saved_at == u->received)
		return OTK_OK;
	struct otk_sha256 copy = u->sha;
	otk_sha256_finish(&copy, u->p_prefix_sha);
	u->p_prefix = u->received;
	int rc = otk_update_persist(u);
	if (!rc)
		u->saved_at = u->received;
	return rc;
}

/* Program len bytes at off (aligned), padding a short last unit. */
static int stage_put(struct otk_update *u, uint32_t off, const uint8_t *p, uint32_t len)
{
	uint32_t whole = len & ~(u->ota.write_align - 1u);
	int rc = otk_flash_write(&u->ota, off, p, whole);
	if (rc || whole == len)
		return rc;
	uint32_t tail = len - whole;
	uint32_t n = otk_flash_align_up(&u->ota, tail);
	memcpy(u->cfg.buf, p + whole, tail);
	memset(u->cfg.buf + tail, u->ota.erased, n - tail);
	return otk_flash_write(&u->ota, off + whole, u->cfg.buf, n);
}

uint32_t otk_update_window_chunks(const struct otk_update *u)
{
	return u->cfg.window_map ? u->cfg.window_chunks : 0;
}

static bool map_get(const struct otk_update *u, uint32_t i)
{
	return i < otk_update_window_chunks(u) && (u->cfg.window_map[i / 32u] >> (i % 32u)) & 1u;
}

/* Drop bit 0: the window moves one chunk on. */
static void map_shift(struct otk_update *u)
{
	uint32_t nw = (otk_update_window_chunks(u) + 31u) / 32u;
	uint32_t *m = u->cfg.window_map;
	for (uint32_t w = 0; w < nw; w++)
		m[w] = (m[w] >> 1) | (w + 1 < nw ? m[w + 1] << 31 : 0);
}

uint32_t otk_update_ack(const struct otk_update *u, uint32_t *bits, size_t nwords)
{
	uint32_t nw = (otk_update_window_chunks(u) + 31u) / 32u;
	for (size_t w = 0; w < nwords; w++)
		bits[w] = w < nw && u->active && u->chunk ? u->cfg.window_map[w] : 0;
	if (!u->chunk || u->received < u->origin)
		return 0;
	return (u->received - u->origin + u->chunk - 1u) / u->chunk;
}

/* Take the chunks already stored right after the contiguous prefix into
 * it, hashing them from staging. */
static int advance(struct otk_update *u)
{
	while (u->chunk && u->received < u->size && map_get(u, 0)) {
		uint32_t n = u->size - u->received < u->chunk ? u->size - u->received : u->chunk;
		int rc = hash_staging(u, &u->sha, u->received, u->received + n);
		if (rc)
			return rc;      /* the chunk stays recorded; retried at the next write */
		u->received += n;
		map_shift(u);
	}
	return OTK_OK;
}

static int write_chunk(struct otk_update *u, uint32_t offset, const uint8_t *p, size_t len)
{
	if (offset < u->origin || (offset - u->origin) % u->chunk ||
	    !(len == u->chunk || (len < u->chunk && offset + len == u->size)) || len == 0)
		return OTK_EUPD_UNALIGNED;
	if (offset < u->received) {
		u->stats.dup++;
		return OTK_OK;
	}
	uint32_t idx = (offset - u->received) / u->chunk;
	if ((idx > 0 && idx >= otk_update_window_chunks(u)) || offset + len > u->limit)
		return OTK_EUPD_WINDOW;
	if (idx > 0 && map_get(u, idx)) {
		u->stats.dup++;
		return OTK_OK;
	}
	int rc = stage_put(u, offset, p, (uint32_t)len);
	if (rc)
		return rc;
	u->stats.chunks++;
	if (idx > 0) {
		u->cfg.window_map[idx / 32u] |= 1u << (idx % 32u);
		u->stats.ooo++;
		return OTK_OK;
	}
	otk_sha256_update(&u->sha, p, len);
	u->received += (uint32_t)len;
	map_shift(u);
	return OTK_OK;
}

static int write_stream(struct otk_update *u, uint32_t offset, const uint8_t *p, size_t len)
{
	if (offset > u->received)
		return OTK_EUPD_GAP;
	if (offset + len <= u->received) {
		u->stats.dup++;
		return OTK_OK;
	}
	p += u->received - offset;
	len -= u->received - offset;
	bool last = u->received + len == u->size;
	if ((len & (u->ota.write_align - 1u)) && !last)
		return OTK_EUPD_UNALIGNED;
	if (u->received + len > u->limit)
		return OTK_EUPD_WINDOW;
	int rc = stage_put(u, u->received, p, (uint32_t)len);
	if (rc)
		return rc;
	u->stats.chunks++;
	otk_sha256_update(&u->sha, p, len);
	u->received += (uint32_t)len;
	return OTK_OK;
}

int otk_update_write(struct otk_update *u, uint32_t offset, const void *data, size_t len)
{
	if (!u->active)
		return OTK_EUPD_STATE;
	if (offset > u->size || len > u->size - offset)
		return OTK_EUPD_SIZE;
	int rc = u->chunk ? write_chunk(u, offset, data, len) : write_stream(u, offset, data, len);
	if (!rc)
		rc = advance(u);
	if (!rc)
		rc = learn_function(u);
	if (rc)
		return rc;
	if (u->received == u->size || u->received - u->saved_at >= u->cfg.save_every)
		return otk_update_save(u);
	return OTK_OK;
}

/* --- validation ------------------------------------------------------ */

/* Check one module staged at [base, base + avail); fills *s. */
static int stage_module(struct otk_update *u, uint32_t base, uint32_t avail, struct otk_staged *s)
{
	const struct otk_device *dev = u->cfg.dev;
	bool erased;
	int rc;

	memset(s, 0, sizeof(*s));
	long at = otk_image_find_prefix(&u->ota, base, avail, 0, &s->p, &erased);
	if (at < 0)
		return (int)at;
	const struct otk_prefix *p = &s->p;
	uint32_t size = p->end - p->start + 4u;
	if (size > avail)
		return OTK_ETRUNCATED;
	if (size < (uint32_t)at + OTK_PREFIX_SIZE + OTK_SUFFIX_MIN + OTK_CRC_SIZE)
		return OTK_EBADPREFIX;
	if ((p->flags & (OTK_FLAG_COMPRESSED | OTK_FLAG_DROP_MODULE_INFO)) && at != 0)
		return OTK_EBADPREFIX;
	if (p->function == OTK_FUNC_ASSET) {
		/* platform-independent; the asset store checks the rest at APPLY */
		if (!u->assets)
			return OTK_EUPD_UNSUPPORTED;
		rc = otk_image_crc_check(&u->ota, base, size, u->cfg.buf, u->cfg.buf_size);
		if (rc)
			return rc;
		s->slot.src = base;
		s->slot.len = size;
		s->slot.function = OTK_FUNC_ASSET;
		return OTK_OK;
	}
	if (p->platform != dev->platform)
		return OTK_EUPD_PLATFORM;
	rc = otk_image_crc_check(&u->ota, base, size, u->cfg.buf, u->cfg.buf_size);
	if (rc)
		return rc;
	if ((p->flags & (OTK_FLAG_ENCRYPTED | OTK_FLAG_DROP_MODULE_INFO)) || p->reserved != 0)
		return OTK_EUPD_UNSUPPORTED;    /* encrypted, NCP, asset-style modules */
	if (!otk_layout_role_for_function(p->function))
		return OTK_EUPD_UNSUPPORTED;
	const struct otk_layout_area *la = otk_layout_module_area(dev->layout, p->function, p->index);
	if (!la)
		return OTK_EUPD_RANGE;

	s->slot.src = base;
	s->slot.len = size;
	s->slot.dst = p->start;
	s->slot.out_len = size;
	s->slot.function = p->function;
	s->slot.index = p->index;
	if (p->flags & OTK_FLAG_COMPRESSED) {
		if (p->function != OTK_FUNC_USER && p->function != OTK_FUNC_SYSTEM)
			return OTK_EUPD_UNSUPPORTED;
		s->slot.flags = OTK_FLAG_COMPRESSED;
		rc = otk_staged_span(u, base, size, s);
		if (rc)
			return rc;
	}
	/* range, as Device OS: the module must lie inside the area for its
	 * function and index; boot finds it at a 4 KB boundary, or for an area
	 * that grows down, ending at the area's end */
	uint32_t align = la->grows_left ? 4u : OTK_IMAGE_ALIGN;
	if (p->start < la->addr || p->start - la->addr >= la->size ||
	    ((p->start - la->addr) & (align - 1u)))
		return OTK_EUPD_RANGE;
	if (s->slot.out_len > la->size - (p->start - la->addr))
		return OTK_EUPD_TOOLARGE;
	if (la->grows_left && p->start - la->addr + s->slot.out_len != la->size)
		return OTK_EUPD_RANGE;
	if (s->slot.flags & OTK_FLAG_COMPRESSED)
		return otk_staged_inflate(u, s, NULL, 0);
	return OTK_OK;
}

static struct otk_installed *find_installed(struct otk_installed *set, size_t n, uint8_t function,
					    uint8_t index)
{
	uint8_t role = otk_layout_role_for_function(function);
	for (size_t i = 0; i < n; i++)
		if (set[i].role == role && set[i].status == OTK_OK && set[i].prefix.function == function &&
		    set[i].prefix.index == index)
			return &set[i];
	return NULL;
}

/* Dependencies and downgrade policy of the staged modules against the
 * installed ones as they will be once the update is applied. */
static int check_policy(struct otk_update *u, struct otk_staged *st, unsigned n,
			struct otk_update_result *res)
{
	struct otk_installed set[OTK_BOOT_MAX_MODULES + OTK_UPDATE_MAX_EXTRA + OTK_UPDATE_MAX_MODULES];
	int rc = otk_installed_scan(u->cfg.dev, u->cfg.buf, u->cfg.buf_size, set, OTK_BOOT_MAX_MODULES);
	if (rc < 0)
		return rc;
	size_t ns = (size_t)rc;
	for (uint8_t i = 0; i < u->cfg.nextra && i < OTK_UPDATE_MAX_EXTRA; i++)
		set[ns++] = u->cfg.extra[i];
	bool local = (u->flags & OTK_UPDATE_LOCAL) != 0;

	/* downgrade policy against what is installed now */
	for (unsigned i = 0; i < n; i++) {
		const struct otk_prefix *p = &st[i].p;
		struct otk_installed *cur = find_installed(set, ns, p->function, p->index);
		if ((u->cfg.policy & OTK_POLICY_NO_DOWNGRADE) && !local && cur &&
		    (p->function == OTK_FUNC_SYSTEM || p->function == OTK_FUNC_MONO) &&
		    p->version < cur->prefix.version) {
			res->failed = (int8_t)i;
			return OTK_EUPD_DOWNGRADE;
		}
	}
	/* the set after applying: staged modules replace or join */
	for (unsigned i = 0; i < n; i++) {
		struct otk_installed *cur = find_installed(set, ns, st[i].p.function, st[i].p.index);
		if (!cur) {
			cur = &set[ns++];
			cur->role = otk_layout_role_for_function(st[i].p.function);
			cur->index = st[i].p.index;
			cur->status = OTK_OK;
		}
		cur->prefix = st[i].p;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct otk_prefix *p = &st[i].p;
		bool optional = p->function == OTK_FUNC_USER &&
				!(u->cfg.policy & OTK_POLICY_USER_DEPS_STRICT);
		if (!optional && otk_deps_check(p, set, ns, NULL)) {
			res->failed = (int8_t)i;
			return OTK_EUPD_DEPENDENCY;
		}
		/* reverse rule: installed system parts that depend on this one
		 * must not need a newer version than it (downgrade order N..1) */
		if (p->function != OTK_FUNC_SYSTEM)
			continue;
		for (size_t k = 0; k < ns; k++) {
			const struct otk_prefix *o = &set[k].prefix;
			if (set[k].status != OTK_OK || o->function != OTK_FUNC_SYSTEM)
				continue;
			for (int d = 0; d < 2; d++)
				if (o->dep[d].function == p->function && o->dep[d].index == p->index &&
				    o->dep[d].version > p->version) {
					res->failed = (int8_t)i;
					return OTK_EUPD_DEPENDENCY;
				}
		}
	}
	return OTK_OK;
}

static int validate(struct otk_update *u, struct otk_staged *st, unsigned *count,
		    struct otk_update_result *res)
{
	uint32_t base = 0;
	unsigned n = 0;
	int rc;
	for (;;) {
		if (n == OTK_UPDATE_MAX_MODULES)
			return OTK_EUPD_UNSUPPORTED;    /* more combined modules than a device takes */
		res->failed = (int8_t)n;
		rc = stage_module(u, base, u->size - base, &st[n]);
		res->modules[n] = st[n].p;
		res->nmodules = (uint8_t)(n + 1);
		if (rc)
			return rc;
		base += st[n].slot.len;
		n++;
		if (!(st[n - 1].p.flags & OTK_FLAG_COMBINED) || base >= u->size)
			break;
	}
	res->failed = -1;
	*count = n;
	for (unsigned i = 0; i < n; i++)
		if (st[i].slot.function == OTK_FUNC_ASSET) {
			/* an asset module comes alone; it has no dependencies */
			if (n > 1)
				return OTK_EUPD_UNSUPPORTED;
			return OTK_OK;
		}
	return check_policy(u, st, n, res);
}

/* --- finish ---------------------------------------------------------- */

static int forget(struct otk_update *u)
{
	u->active = false;
	if (!u->p_valid)
		return OTK_OK;
	u->p_valid = false;
	return otk_update_persist(u);
}

int otk_update_finish(struct otk_update *u, enum otk_update_finish_mode mode,
		      struct otk_update_result *res)
{
	struct otk_update_result dummy;
	struct otk_staged st[OTK_UPDATE_MAX_MODULES];
	uint8_t digest[OTK_SHA256_LEN];
	unsigned n = 0;
	int rc;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	res->failed = -1;
	if (mode == OTK_FINISH_CANCEL) {
		if (!u->active)
			return OTK_EUPD_STATE;
		rc = otk_update_save(u);
		u->active = false;
		return rc;
	}
	if (mode == OTK_FINISH_DISCARD)
		return forget(u);
	if (!u->active)
		return OTK_EUPD_STATE;
	if (u->received != u->size)
		return OTK_EUPD_INCOMPLETE;
	bool have_sha = false;
	for (unsigned i = 0; i < OTK_SHA256_LEN; i++)
		have_sha |= u->file_sha[i] != 0;
	struct otk_sha256 copy = u->sha;
	otk_sha256_finish(&copy, digest);
	if (have_sha && memcmp(digest, u->file_sha, OTK_SHA256_LEN) != 0)
		rc = OTK_EUPD_INTEGRITY;
	else
		rc = validate(u, st, &n, res);
	if (rc) {
		/* bad data stays bad: do not offer it for resume; a flash
		 * that failed to read may read next time, so the transfer and
		 * its saved progress stay (finish or begin again) */
		if (otk_error_is_data(rc))
			(void)forget(u);
		return rc;
	}
	if (mode == OTK_FINISH_VALIDATE || (u->flags & OTK_UPDATE_VALIDATE_ONLY))
		return OTK_OK;

	if (st[0].slot.function == OTK_FUNC_ASSET) {
		/* stored now, from staging (kept until the record below): a cut
		 * before that record leaves a resumable transfer whose finish
		 * stores it again; the store keeps an identical file as it is */
		rc = OTK_OK;
		if (u->p_store_gone) {
			/* a store given up by an earlier transfer: this asset
			 * lies before the overlap, so format it now */
			rc = otk_asset_store_format(u->assets->store);
			u->p_store_gone = rc != OTK_OK;
			if (!rc)
				rc = otk_update_persist(u);
		}
		if (!rc)
			rc = otk_assets_install(u->assets, &u->ota, st[0].slot.src, st[0].slot.len, NULL);
		if (rc) {
			/* a module the store refuses, or no room, fails again */
			if (otk_error_is_data(rc) || rc == OTK_EASSET_NOSPC)
				(void)forget(u);
			return rc;
		}
		u->nslots = 0;
		u->p_valid = false;
		rc = otk_update_persist(u);
		u->active = false;
		return rc;
	}

	/* system parts go in reverse index order (N..1), the bootloader last */
	u->nslots = 0;
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = n; i-- > 0;)
			if ((st[i].p.function == OTK_FUNC_BOOTLOADER) == (pass == 1))
				u->slot[u->nslots++] = st[i].slot;
	u->p_valid = false;
	rc = otk_update_persist(u);
	u->active = false;
	if (rc)
		u->nslots = 0;  /* not recorded: nothing will be copied */
	return rc;
}

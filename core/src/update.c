/*
 * Update engine: staging, persisted progress, validation, copy records and
 * the copy itself.  See include/otk/update.h for the model and
 * docs/device-update.md for the power-loss argument.
 */
#include "otk/update.h"

#include <string.h>

#include "otk/asset_api.h"
#include "otk/boot.h"
#include "otk/crc32.h"
#include "otk/error.h"

/* --- journal ---------------------------------------------------------
 *
 * Fixed 256-byte slots in two erase units of SETTINGS.  A record is
 * [magic][seq][state][...][CRC-32]; the valid record with the highest seq
 * wins.  Records are appended after the last non-erased slot of the sector
 * holding the winner; when that sector is full the other one is erased and
 * receives the next record.  A record cut short by a power loss fails its
 * CRC and the previous one stands; the sector being erased only ever holds
 * older records.
 */
#define J_MAGIC 0x554B544Fu  /* "OTKU" */
#define J_SLOT 256u
#define J_SLOTREC 20u
#define J_LEN (84u + OTK_UPDATE_SLOTS * J_SLOTREC + 4u)
_Static_assert(J_LEN <= J_SLOT, "journal record must fit its slot");
#define J_VALID 0x01u

static const uint32_t prefix_offsets[] = { 0, 0x184, 0x200, 0xC0, 0x10C };
#define NOFFSETS (sizeof(prefix_offsets) / sizeof(prefix_offsets[0]))

static uint32_t jper(const struct otk_update *u)
{
	return u->settings.erase_size / J_SLOT;
}

static uint32_t joff(const struct otk_update *u, uint32_t sector, uint32_t slot)
{
	return sector * u->settings.erase_size + slot * J_SLOT;
}

static void jencode(const struct otk_update *u, uint8_t *r, uint32_t seq)
{
	memset(r, 0, J_LEN);
	otk_put_le32(r, J_MAGIC);
	otk_put_le32(r + 4, seq);
	r[8] = u->p_valid ? J_VALID : 0;
	r[9] = u->p_flags;
	r[10] = u->p_function;
	r[11] = u->nslots;
	otk_put_le32(r + 12, u->p_size);
	otk_put_le32(r + 16, u->p_prefix);
	memcpy(r + 20, u->p_file_sha, OTK_SHA256_LEN);
	memcpy(r + 52, u->p_prefix_sha, OTK_SHA256_LEN);
	for (unsigned i = 0; i < u->nslots; i++) {
		uint8_t *s = r + 84 + i * J_SLOTREC;
		const struct otk_copy_slot *c = &u->slot[i];
		otk_put_le32(s, c->src);
		otk_put_le32(s + 4, c->len);
		otk_put_le32(s + 8, c->dst);
		otk_put_le32(s + 12, c->out_len);
		s[16] = c->flags;
		s[17] = c->function;
		s[18] = c->index;
	}
	otk_put_le32(r + J_LEN - 4, otk_crc32_update(0, r, J_LEN - 4));
}

static bool jdecode(struct otk_update *u, const uint8_t *r)
{
	if (otk_le32(r) != J_MAGIC || otk_le32(r + J_LEN - 4) != otk_crc32_update(0, r, J_LEN - 4))
		return false;
	if (r[11] > OTK_UPDATE_SLOTS)
		return false;
	u->seq = otk_le32(r + 4);
	u->p_valid = (r[8] & J_VALID) != 0;
	u->p_flags = r[9];
	u->p_function = r[10];
	u->nslots = r[11];
	u->p_size = otk_le32(r + 12);
	u->p_prefix = otk_le32(r + 16);
	memcpy(u->p_file_sha, r + 20, OTK_SHA256_LEN);
	memcpy(u->p_prefix_sha, r + 52, OTK_SHA256_LEN);
	for (unsigned i = 0; i < u->nslots; i++) {
		const uint8_t *s = r + 84 + i * J_SLOTREC;
		struct otk_copy_slot *c = &u->slot[i];
		c->src = otk_le32(s);
		c->len = otk_le32(s + 4);
		c->dst = otk_le32(s + 8);
		c->out_len = otk_le32(s + 12);
		c->flags = s[16];
		c->function = s[17];
		c->index = s[18];
	}
	return true;
}

static int jload(struct otk_update *u)
{
	uint8_t *r = u->cfg.buf;
	bool found = false;
	int last[2] = { -1, -1 };
	uint32_t best = 0;
	uint8_t bsec = 0;

	u->seq = 0;
	u->p_valid = false;
	u->nslots = 0;
	for (uint32_t s = 0; s < 2; s++) {
		for (uint32_t i = 0; i < jper(u); i++) {
			int rc = otk_flash_read(&u->settings, joff(u, s, i), r, J_LEN);
			if (rc)
				return rc;
			bool erased = true;
			for (uint32_t k = 0; k < J_LEN; k++)
				if (r[k] != u->settings.erased) {
					erased = false;
					break;
				}
			if (erased)
				continue;
			last[s] = (int)i;
			uint32_t seq = otk_le32(r + 4);
			if (otk_le32(r) == J_MAGIC && (!found || seq > best) &&
			    otk_le32(r + J_LEN - 4) == otk_crc32_update(0, r, J_LEN - 4)) {
				found = true;
				best = seq;
				bsec = (uint8_t)s;
			}
		}
	}
	u->jsector = bsec;
	u->jnext = (uint16_t)(last[bsec] + 1);
	if (!found)
		return OTK_OK;
	/* read the winner again to decode it */
	for (uint32_t i = 0; i < jper(u); i++) {
		int rc = otk_flash_read(&u->settings, joff(u, bsec, i), r, J_LEN);
		if (rc)
			return rc;
		if (otk_le32(r) == J_MAGIC && otk_le32(r + 4) == best && jdecode(u, r))
			break;
	}
	return OTK_OK;
}

static int jwrite(struct otk_update *u)
{
	uint8_t *r = u->cfg.buf;
	int rc;
	if (u->jnext >= jper(u)) {
		uint8_t other = (uint8_t)(u->jsector ^ 1u);
		rc = otk_flash_erase(&u->settings, joff(u, other, 0), u->settings.erase_size);
		if (rc)
			return rc;
		u->jsector = other;
		u->jnext = 0;
	}
	jencode(u, r, u->seq + 1);
	uint32_t n = otk_flash_align_up(&u->settings, J_LEN);
	memset(r + J_LEN, u->settings.erased, n - J_LEN);
	rc = otk_flash_write(&u->settings, joff(u, u->jsector, u->jnext), r, n);
	u->jnext++;   /* a failed write leaves a non-erased slot: skip it either way */
	if (rc)
		return rc;
	u->seq++;
	return OTK_OK;
}

/* --- init ------------------------------------------------------------ */

void otk_update_set_assets(struct otk_update *u, struct otk_assets *assets)
{
	u->assets = assets;
}

int otk_update_init(struct otk_update *u, const struct otk_update_config *cfg)
{
	int rc;
	memset(u, 0, sizeof(*u));
	if (!cfg || !cfg->dev || !cfg->buf || cfg->buf_size < OTK_UPDATE_MIN_BUF)
		return OTK_EINVAL;
	u->cfg = *cfg;
	rc = otk_device_open(cfg->dev, OTK_AREA_OTA, 0, &u->ota);
	if (!rc)
		rc = otk_device_open(cfg->dev, OTK_AREA_SETTINGS, 0, &u->settings);
	if (rc)
		return rc;
	if (u->settings.size < 2 * u->settings.erase_size || u->settings.erase_size < J_SLOT ||
	    u->settings.write_align > J_SLOT || cfg->buf_size < 2u * J_SLOT)
		return OTK_EINVAL;
	return jload(u);
}

bool otk_update_pending(const struct otk_update *u)
{
	return u->nslots != 0;
}

/* --- helpers over flash ---------------------------------------------- */

static int crc_range(const struct otk_flash_area *fa, uint32_t off, uint32_t len, uint8_t *buf,
		     size_t cap, uint32_t *crc)
{
	uint32_t c = 0;
	while (len) {
		uint32_t n = len < cap ? len : (uint32_t)cap;
		int rc = otk_flash_read(fa, off, buf, n);
		if (rc)
			return rc;
		c = otk_crc32_update(c, buf, n);
		off += n;
		len -= n;
	}
	*crc = c;
	return OTK_OK;
}

/* CRC-32 of [off, off + size - 4) against the big-endian CRC stored after it. */
static int crc_check(const struct otk_flash_area *fa, uint32_t off, uint32_t size, uint8_t *buf,
		     size_t cap)
{
	uint32_t crc;
	uint8_t be[4];
	int rc = crc_range(fa, off, size - 4, buf, cap, &crc);
	if (!rc)
		rc = otk_flash_read(fa, off + size - 4, be, 4);
	if (rc)
		return rc;
	return otk_be32(be) == crc ? OTK_OK : OTK_EUPD_INTEGRITY;
}

static bool plausible(const struct otk_prefix *p, uint32_t at)
{
	return p->end > p->start && p->end - p->start < 0x1000000u && p->function != OTK_FUNC_NONE &&
	       p->function <= OTK_FUNC_MAX && (p->flags & ~OTK_FLAG_ALL) == 0 &&
	       at + OTK_PREFIX_SIZE <= p->end - p->start;
}

/*
 * Find the prefix of the module at fa[base..base + avail): the first of the
 * usual offsets whose 24 bytes decode plausibly (and, when want_start is not
 * 0xFFFFFFFF, start at want_start).  *erased set when every candidate read
 * back erased.  Returns the offset or a negative error.
 */
static long find_prefix(const struct otk_flash_area *fa, uint32_t base, uint32_t avail,
			uint8_t function, struct otk_prefix *p, bool *erased)
{
	uint8_t raw[OTK_PREFIX_SIZE];
	*erased = true;
	for (size_t i = 0; i < NOFFSETS; i++) {
		uint32_t at = prefix_offsets[i];
		if (at + OTK_PREFIX_SIZE > avail)
			continue;
		int rc = otk_flash_read(fa, base + at, raw, sizeof(raw));
		if (rc)
			return rc;
		for (size_t k = 0; k < sizeof(raw); k++)
			if (raw[k] != fa->erased)
				*erased = false;
		otk_prefix_decode(raw, p);
		if (!plausible(p, at))
			continue;
		if (function && !(p->function == function ||
				  (function == OTK_FUNC_SYSTEM && p->function == OTK_FUNC_MONO)))
			continue;
		return (long)at;
	}
	return OTK_ENOPREFIX;
}

/*
 * A module that grows down ends at the area's end and starts anywhere
 * (4-byte aligned): scan down from the end, a buffer at a time, for a prefix
 * whose start is its own address and whose end is the area's end.
 */
static int image_check_top(const struct otk_flash_area *fa, uint16_t platform, uint8_t function,
			   int index, uint8_t *buf, size_t cap, struct otk_prefix *p)
{
	uint8_t raw[OTK_PREFIX_SIZE];
	uint32_t hi = fa->size;
	bool any = false;
	if (cap < 64 || fa->size < 64)
		return OTK_EINVAL;
	cap &= ~(size_t)3u;
	for (;;) {
		uint32_t lo = hi > cap ? hi - (uint32_t)cap : 0;
		int rc = otk_flash_read(fa, lo, buf, hi - lo);
		if (rc)
			return rc;
		for (uint32_t k = 0; k < hi - lo && !any; k++)
			any = buf[k] != fa->erased;
		for (uint32_t pos = (hi - OTK_PREFIX_SIZE) & ~3u; pos >= lo; pos -= 4) {
			const uint8_t *w = buf + (pos - lo);
			if (otk_le32(w) == fa->addr + pos && otk_le32(w + 4) + 4u == fa->addr + fa->size) {
				memcpy(raw, w, sizeof(raw));
				otk_prefix_decode(raw, p);
				if (plausible(p, 0) && p->function == function &&
				    (index < 0 || p->index == index)) {
					if (p->platform != platform)
						return OTK_EUPD_PLATFORM;
					return crc_check(fa, pos, fa->size - pos, buf, cap);
				}
			}
			if (pos < 4)
				break;
		}
		if (lo == 0)
			break;
		hi = lo + OTK_PREFIX_SIZE;   /* overlap: a prefix across the boundary */
	}
	return any ? OTK_ENOPREFIX : OTK_ENOTFOUND;
}

int otk_image_check(const struct otk_flash_area *fa, bool grows_left, uint16_t platform,
		    uint8_t function, int index, uint8_t *buf, size_t cap, struct otk_prefix *p)
{
	if (grows_left)
		return image_check_top(fa, platform, function, index, buf, cap, p);
	/*
	 * A module need not start at its area's start (nRF52840 system parts
	 * link at 0x30000 in a 0x28000 area, RTL872x user parts grow down from
	 * the area's end), so look for a prefix whose start address is its own
	 * position at every 4 KB boundary.  Copies erase the area up to the
	 * module they write, so the first module found is the newest.
	 */
	bool all_erased = true;
	for (uint32_t base = 0; base < fa->size; base += OTK_IMAGE_ALIGN) {
		bool erased;
		long at = find_prefix(fa, base, fa->size - base, function, p, &erased);
		if (at < 0 && at != OTK_ENOPREFIX)
			return (int)at;
		if (at < 0 || p->start != fa->addr + base) {
			all_erased &= erased;
			continue;
		}
		uint32_t size = p->end - p->start + 4u;
		if (index >= 0 && p->index != index && p->function != OTK_FUNC_MONO) {
			/* another index's module inside this area (nRF52840: the
			 * legacy 128K user part lies inside the 256K one): skip it */
			if (size > fa->size - base)
				break;
			base += ((size + OTK_IMAGE_ALIGN - 1u) & ~(OTK_IMAGE_ALIGN - 1u)) - OTK_IMAGE_ALIGN;
			continue;
		}
		if (size > fa->size - base)
			return OTK_EUPD_TOOLARGE;
		if (p->platform != platform)
			return OTK_EUPD_PLATFORM;
		return crc_check(fa, base, size, buf, cap);
	}
	return all_erased ? OTK_ENOTFOUND : OTK_ENOPREFIX;
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
	/* spec: an asset module over (asset storage - 16 blocks) is refused at start */
	if (u->function == OTK_FUNC_ASSET && u->assets &&
	    u->size > otk_asset_store_max_module(u->assets->store))
		return OTK_EASSET_TOOBIG;
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
	long at = find_prefix(&u->ota, 0, u->received, 0, &p, &erased);
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
	u->limit = size;
	if (u->function != OTK_FUNC_NONE) {
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
				rc = function_known(u);
				if (rc)
					return rc;
			}
			if (at != u->p_prefix) {
				/* persist the rounded prefix before erasing past it */
				sha = u->sha;
				otk_sha256_finish(&sha, u->p_prefix_sha);
				u->p_prefix = at;
				rc = jwrite(u);
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
		rc = jwrite(u);
		if (rc)
			return rc;
		otk_sha256_init(&u->sha);
	}
	if (from < size) {
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
	int rc = jwrite(u);
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

struct staged {
	struct otk_prefix p;
	struct otk_copy_slot slot;
	/* compressed: deflate data in staging, window bits */
	uint32_t data_off, data_end;
	uint8_t wbits;
};

/* Locate the deflate data of a compressed module staged at [base, base + size). */
static int compressed_span(const struct otk_update *u, uint32_t base, uint32_t size,
			   struct staged *s)
{
	uint8_t h[8];
	uint32_t pos = OTK_PREFIX_SIZE;
	int rc;
	if (s->p.flags & OTK_FLAG_PREFIX_EXTENSIONS) {
		for (;;) {
			if (pos + OTK_EXT_HEADER_SIZE > size || pos > 4096u)
				return OTK_EBADEXT;
			rc = otk_flash_read(&u->ota, base + pos, h, 4);
			if (rc)
				return rc;
			uint16_t type = otk_le16(h), len = otk_le16(h + 2);
			if (len < OTK_EXT_HEADER_SIZE)
				return OTK_EBADEXT;
			pos += len;
			if (type == OTK_EXT_END)
				break;
		}
	}
	if (pos + 8u + 6u > size)
		return OTK_EBADCOMPRESS;
	rc = otk_flash_read(&u->ota, base + pos, h, 8);
	if (rc)
		return rc;
	uint16_t hsize = otk_le16(h);
	if (hsize < 8u || h[2] != 0 || (h[3] != 0 && (h[3] < 8 || h[3] > 15)))
		return OTK_EBADCOMPRESS;
	s->wbits = h[3] ? h[3] : 15;
	s->slot.out_len = otk_le32(h + 4);
	s->data_off = base + pos + hsize;
	rc = otk_flash_read(&u->ota, base + size - 6u, h, 2);
	if (rc)
		return rc;
	uint32_t suffix = otk_le16(h);
	if (suffix + 4u > size || base + size - 4u - suffix < s->data_off)
		return OTK_EBADSUFFIX;
	s->data_end = base + size - 4u - suffix;
	return OTK_OK;
}

/*
 * Inflate a compressed module's data.  When fa is NULL, only check that it
 * inflates to out_len bytes whose CRC matches the CRC they end with; else
 * also write the output to fa at off (erased beforehand).  Output is written
 * in whole buffers so every write but the last is aligned.
 */
static int inflate_module(struct otk_update *u, const struct staged *s,
			  const struct otk_flash_area *fa, uint32_t off)
{
	struct otk_inflate *inf = u->cfg.inflate;
	size_t wsize = (size_t)1 << s->wbits;
	uint32_t align = fa ? fa->write_align : 1u;
	size_t half = (u->cfg.buf_size / 2) & ~(size_t)(align - 1u);
	uint8_t *in = u->cfg.buf, *out = u->cfg.buf + half;
	uint32_t pos = s->data_off, total = 0, crc = 0, n_out = s->slot.out_len;
	uint8_t tail[4] = { 0 };
	const uint8_t *ip = in;
	size_t il = 0, used = 0;
	bool starved = true;    /* the decoder stopped for input, not for room */
	int rc, st = OTK_OK;

	if (!inf || !u->cfg.window || u->cfg.window_size < wsize)
		return OTK_EUPD_UNSUPPORTED;
	if (n_out < 4)
		return OTK_EUPD_INTEGRITY;
	if (otk_inflate_init(inf, u->cfg.window, wsize))
		return OTK_EUPD_UNSUPPORTED;
	while (st != OTK_INFLATE_END) {
		if (il == 0 && starved) {
			uint32_t n = s->data_end - pos;
			if (n > half)
				n = (uint32_t)half;
			if (n == 0)
				return OTK_EUPD_INTEGRITY;  /* deflate data ends early */
			rc = otk_flash_read(&u->ota, pos, in, n);
			if (rc)
				return rc;
			pos += n;
			ip = in;
			il = n;
		}
		uint8_t *op = out + used;
		size_t ol = half - used;
		st = otk_inflate_process(inf, &ip, &il, &op, &ol);
		if (st < 0)
			return OTK_EUPD_INTEGRITY;
		starved = ol != 0;
		uint32_t got = (uint32_t)(half - used - ol);
		if (got > n_out - total)
			return OTK_EUPD_INTEGRITY;      /* more than declared */
		/* the CRC covers all but the last 4 bytes, which hold it */
		uint32_t crc_n = total >= n_out - 4 ? 0 : n_out - 4 - total;
		if (crc_n > got)
			crc_n = got;
		crc = otk_crc32_update(crc, out + used, crc_n);
		for (uint32_t k = crc_n; k < got; k++)
			tail[total + k - (n_out - 4)] = out[used + k];
		total += got;
		used += got;
		if (used == half || st == OTK_INFLATE_END) {
			if (fa && used) {
				uint32_t w = otk_flash_align_up(fa, (uint32_t)used);
				memset(out + used, fa->erased, w - used);
				rc = otk_flash_write(fa, off + total - (uint32_t)used, out, w);
				if (rc)
					return rc;
			}
			used = 0;
		}
	}
	if (total != n_out || otk_be32(tail) != crc)
		return OTK_EUPD_INTEGRITY;
	return OTK_OK;
}

/* Check one module staged at [base, base + avail); fills *s. */
static int stage_module(struct otk_update *u, uint32_t base, uint32_t avail, struct staged *s)
{
	const struct otk_device *dev = u->cfg.dev;
	bool erased;
	int rc;

	memset(s, 0, sizeof(*s));
	long at = find_prefix(&u->ota, base, avail, 0, &s->p, &erased);
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
		rc = crc_check(&u->ota, base, size, u->cfg.buf, u->cfg.buf_size);
		if (rc)
			return rc;
		s->slot.src = base;
		s->slot.len = size;
		s->slot.function = OTK_FUNC_ASSET;
		return OTK_OK;
	}
	if (p->platform != dev->platform)
		return OTK_EUPD_PLATFORM;
	rc = crc_check(&u->ota, base, size, u->cfg.buf, u->cfg.buf_size);
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
		rc = compressed_span(u, base, size, s);
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
		return inflate_module(u, s, NULL, 0);
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
static int check_policy(struct otk_update *u, struct staged *st, unsigned n,
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

static int validate(struct otk_update *u, struct staged *st, unsigned *count,
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
	return jwrite(u);
}

int otk_update_finish(struct otk_update *u, enum otk_update_finish_mode mode,
		      struct otk_update_result *res)
{
	struct otk_update_result dummy;
	struct staged st[OTK_UPDATE_MAX_MODULES];
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
		/* bad data stays bad: do not offer it for resume */
		(void)forget(u);
		return rc;
	}
	if (mode == OTK_FINISH_VALIDATE || (u->flags & OTK_UPDATE_VALIDATE_ONLY))
		return OTK_OK;

	if (st[0].slot.function == OTK_FUNC_ASSET) {
		/* stored now, from staging (kept until the record below): a cut
		 * before that record leaves a resumable transfer whose finish
		 * stores it again; the store keeps an identical file as it is */
		rc = otk_assets_install(u->assets, &u->ota, st[0].slot.src, st[0].slot.len, NULL);
		if (rc) {
			if (rc <= OTK_EASSET_NOSPC && rc >= OTK_EASSET_NAME)
				(void)forget(u);
			return rc;
		}
		u->nslots = 0;
		u->p_valid = false;
		rc = jwrite(u);
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
	rc = jwrite(u);
	u->active = false;
	if (rc)
		u->nslots = 0;  /* not recorded: nothing will be copied */
	return rc;
}

/* --- copy at boot ---------------------------------------------------- */

static int copy_slot(struct otk_update *u, const struct otk_copy_slot *c)
{
	struct otk_flash_area dst;
	struct staged s;
	const struct otk_layout_area *la =
		otk_layout_module_area(u->cfg.dev->layout, c->function, c->index);
	int rc;
	if (!la)
		return OTK_EUPD_RANGE;
	rc = u->cfg.dev->open(u->cfg.dev->ctx, la, &dst);
	if (rc)
		return rc;
	if (c->dst < dst.addr || c->dst - dst.addr > dst.size)
		return OTK_EUPD_RANGE;
	uint32_t off = c->dst - dst.addr;
	if (c->out_len > dst.size - off)
		return OTK_EUPD_TOOLARGE;
	/* erase from the area's start so no older module is found before it
	 * (an area that grows down is scanned from its end: erase from the
	 * module down to the end) */
	uint32_t e0 = la->grows_left ? off & ~(dst.erase_size - 1u) : 0;
	rc = otk_flash_erase_cover(&dst, e0, off - e0 + c->out_len);
	if (rc)
		return rc;
	if (c->flags & OTK_FLAG_COMPRESSED) {
		memset(&s, 0, sizeof(s));
		s.slot = *c;
		rc = otk_flash_read(&u->ota, c->src, u->cfg.buf, OTK_PREFIX_SIZE);
		if (rc)
			return rc;
		otk_prefix_decode(u->cfg.buf, &s.p);
		rc = compressed_span(u, c->src, c->len, &s);
		if (!rc)
			rc = inflate_module(u, &s, &dst, off);
	} else {
		size_t chunk = u->cfg.buf_size & ~(size_t)(dst.write_align - 1u);
		for (uint32_t pos = 0; pos < c->len && !rc;) {
			uint32_t n = c->len - pos;
			if (n > chunk)
				n = (uint32_t)chunk;
			rc = otk_flash_read(&u->ota, c->src + pos, u->cfg.buf, n);
			if (rc)
				return rc;
			uint32_t w = otk_flash_align_up(&dst, n);
			memset(u->cfg.buf + n, dst.erased, w - n);
			rc = otk_flash_write(&dst, off + pos, u->cfg.buf, w);
			pos += n;
		}
	}
	if (rc)
		return rc;
	return crc_check(&dst, off, c->out_len, u->cfg.buf, u->cfg.buf_size);
}

int otk_update_recover(struct otk_update *u, unsigned *copied)
{
	int rc = OTK_OK, result = OTK_OK;
	unsigned done = 0;
	if (copied)
		*copied = 0;
	if (!u->nslots)
		return OTK_OK;
	struct otk_copy_slot slots[OTK_UPDATE_SLOTS];
	uint8_t n = u->nslots;
	memcpy(slots, u->slot, sizeof(slots));
	for (uint8_t i = 0; i < n; i++) {
		if (slots[i].function == OTK_FUNC_BOOTLOADER && u->nslots) {
			/* as Device OS: the bootloader's record is cleared before
			 * its copy, so a bad copy is never retried in a loop */
			u->nslots = 0;
			rc = jwrite(u);
			if (rc)
				return rc;
		}
		for (int attempt = 0; attempt < 2; attempt++) {
			rc = copy_slot(u, &slots[i]);
			if (rc != OTK_EUPD_INTEGRITY)
				break;
		}
		if (rc == OTK_EUPD_INTEGRITY || rc == OTK_EUPD_RANGE || rc == OTK_EUPD_TOOLARGE ||
		    rc == OTK_EUPD_UNSUPPORTED)
			result = OTK_EUPD_COPY;     /* give up on this one, go on */
		else if (rc)
			return rc;                  /* flash failure: retry next boot */
		else
			done++;
	}
	if (u->nslots) {
		u->nslots = 0;
		rc = jwrite(u);
		if (rc)
			return rc;
	}
	if (copied)
		*copied = done;
	return result;
}

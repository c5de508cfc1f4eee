/*
 * Asset storage over a flash area: see otk/asset_store.h for the format and
 * docs/asset-storage.md for why it is power-loss safe.
 */
#include <string.h>

#include "otk/asset_store.h"
#include "otk/crc32.h"
#include "otk/error.h"
#include "otk/image.h"
#include "otk/module.h"

#define FILE_MAGIC 0x464B544Fu   /* "OTKF" */
#define STATE_MAGIC 0x534B544Fu  /* "OTKS" */
#define HDR_RAW 160u
#define STATE_RAW 16u
#define RESERVED_BLOCKS 16u      /* spec: a module over (storage - 16 blocks) is rejected */

/* header field offsets */
#define H_MAGIC 0
#define H_VERSION 4
#define H_NAMELEN 6
#define H_SIZE 8
#define H_NBLOCKS 12
#define H_SEQ 16
#define H_ORIG 20
#define H_HASH 24
#define H_NAME 56
#define H_CRCMOD 120
#define H_DATAOFF 124
#define H_DATALEN 128
#define H_FLAGS 132
#define H_WBITS 133
#define H_CRC 156
_Static_assert(H_NAME + OTK_ASSET_STORE_NAME_MAX <= H_CRCMOD, "name field");
_Static_assert(H_CRC + 4 == HDR_RAW, "header size");

enum probe { P_NONE = 0, P_DEAD, P_LIVE };

static uint32_t wa(const struct otk_asset_store *s)
{
	return s->fa.write_align;
}
static uint32_t hdr_area(const struct otk_asset_store *s)
{
	return otk_flash_align_up(&s->fa, HDR_RAW);
}
static uint32_t commit_off(const struct otk_asset_store *s)
{
	return hdr_area(s);
}
static uint32_t delete_off(const struct otk_asset_store *s)
{
	return hdr_area(s) + wa(s);
}
/* module bytes start here in a file's first block */
static uint32_t mod_off(const struct otk_asset_store *s)
{
	return hdr_area(s) + 2 * wa(s);
}
static uint32_t blocks_for(const struct otk_asset_store *s, uint32_t size)
{
	return (uint32_t)(((uint64_t)mod_off(s) + size + OTK_ASSET_BLOCK - 1) / OTK_ASSET_BLOCK);
}
static uint32_t state_rec(const struct otk_asset_store *s)
{
	return otk_flash_align_up(&s->fa, STATE_RAW);
}

/* --- state log ------------------------------------------------------- */

static int state_load(struct otk_asset_store *s)
{
	uint8_t *rec = s->buf + s->buf_size / 2;
	s->state = OTK_ASSET_STATE_NONE;
	int rc = otk_journal_init(&s->log, &s->fa, STATE_MAGIC, OTK_ASSET_BLOCK, STATE_RAW,
				  (uint16_t)state_rec(s));
	if (!rc)
		rc = otk_journal_load(&s->log, rec, s->buf);
	if (rc == 1 && rec[8] <= OTK_ASSET_STATE_WANT)
		s->state = rec[8];
	return rc < 0 ? rc : OTK_OK;
}

int otk_asset_store_set_state(struct otk_asset_store *s, uint8_t state)
{
	if (state > OTK_ASSET_STATE_WANT)
		return OTK_EINVAL;
	if (state == s->state)
		return OTK_OK;
	uint8_t *r = s->buf;
	memset(r, 0, STATE_RAW);
	r[8] = state;
	int rc = otk_journal_append(&s->log, r);
	if (rc)
		return rc;
	s->state = state;
	return OTK_OK;
}

uint8_t otk_asset_store_state(const struct otk_asset_store *s)
{
	return s->state;
}

/* --- module checks --------------------------------------------------- */

/*
 * Check the asset module at [base, base + size) of fa (CRC when crc is true)
 * and fill the module fields of info: identity, sizes, payload location.
 */
static int module_check(const struct otk_flash_area *fa, uint32_t base, uint32_t size, bool crc,
			uint8_t *buf, size_t cap, struct otk_asset_info *info)
{
	uint8_t raw[OTK_PREFIX_SIZE];
	struct otk_prefix p;
	int rc;

	if (size < OTK_PREFIX_SIZE + OTK_SUFFIX_MIN + OTK_CRC_SIZE)
		return OTK_EASSET_INVALID;
	if ((rc = otk_flash_read(fa, base, raw, sizeof raw)))
		return rc;
	otk_prefix_decode(raw, &p);
	if (p.function != OTK_FUNC_ASSET || !(p.flags & OTK_FLAG_DROP_MODULE_INFO) ||
	    (p.flags & (OTK_FLAG_PREFIX_EXTENSIONS | OTK_FLAG_COMBINED | OTK_FLAG_ENCRYPTED)) ||
	    p.end < p.start || p.end - p.start != size - OTK_CRC_SIZE)
		return OTK_EASSET_INVALID;
	if (crc && (rc = otk_image_crc_check(fa, base, size, buf, cap)))
		return rc == OTK_EUPD_INTEGRITY ? OTK_EASSET_INVALID : rc;
	uint8_t t[2];
	if ((rc = otk_flash_read(fa, base + size - 6, t, 2)))
		return rc;
	uint32_t ssize = otk_le16(t);
	bool comp = (p.flags & OTK_FLAG_COMPRESSED) != 0;
	uint32_t head = OTK_PREFIX_SIZE + (comp ? OTK_COMPRESS_HEADER_SIZE : 0);
	/* suffix between the head and the CRC, and small enough to parse in buf */
	if (ssize < OTK_SUFFIX_MIN || ssize > size - OTK_CRC_SIZE - head || ssize > cap)
		return OTK_EASSET_INVALID;
	uint32_t soff = size - OTK_CRC_SIZE - ssize;
	if ((rc = otk_flash_read(fa, base + soff, buf, ssize)))
		return rc;
	struct otk_ext_iter it;
	struct otk_ext e;
	struct otk_ext_asset a;
	bool have_hash = false, have_name = false;
	otk_ext_iter_init(&it, buf, 0, ssize - OTK_SUFFIX_MIN);
	while ((rc = otk_ext_next(&it, &e)) == 1) {
		if (e.type == OTK_EXT_HASH) {
			if (otk_ext_hash(&e, &a) || a.hash_len != OTK_SHA256_LEN)
				return OTK_EASSET_INVALID;
			memcpy(info->id.hash, a.hash, OTK_SHA256_LEN);
			have_hash = true;
		} else if (e.type == OTK_EXT_NAME) {
			if (e.body_len == 0 || e.body_len > OTK_ASSET_STORE_NAME_MAX)
				return OTK_EASSET_NAME;
			memcpy(info->id.name, e.body, e.body_len);
			info->id.name[e.body_len] = 0;
			info->id.name_len = e.body_len;
			have_name = true;
		}
	}
	if (rc < 0 || !have_hash || !have_name)
		return OTK_EASSET_INVALID;
	info->storage_size = size;
	info->compressed = comp;
	if (comp) {
		uint8_t h[OTK_COMPRESS_HEADER_SIZE];
		if ((rc = otk_flash_read(fa, base + OTK_PREFIX_SIZE, h, sizeof h)))
			return rc;
		uint32_t hs = otk_le16(h);
		if (hs < OTK_COMPRESS_HEADER_SIZE || hs > soff - OTK_PREFIX_SIZE || h[2] != 0 ||
		    (h[3] != 0 && (h[3] < 8 || h[3] > 15)))
			return OTK_EASSET_INVALID;
		info->window_bits = h[3] ? h[3] : 15;
		info->data_off = OTK_PREFIX_SIZE + hs;
		info->data_len = soff - info->data_off;
		info->size = otk_le32(h + 4);
	} else {
		info->window_bits = 0;
		info->data_off = OTK_PREFIX_SIZE;
		info->data_len = soff - OTK_PREFIX_SIZE;
		info->size = info->data_len;
	}
	return OTK_OK;
}

/* --- files ----------------------------------------------------------- */

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* What is at block b: nothing, a dead file (uncommitted/deleted) or a live one. */
static int probe(struct otk_asset_store *s, uint32_t b, struct otk_asset_info *info)
{
	uint8_t *h = s->buf;
	uint32_t at = b * OTK_ASSET_BLOCK;
	int rc = otk_flash_read(&s->fa, at, h, HDR_RAW);
	if (rc)
		return rc;
	if (otk_le32(h + H_MAGIC) != FILE_MAGIC || otk_crc32_update(0, h, H_CRC) != otk_le32(h + H_CRC))
		return P_NONE;
	memset(info, 0, sizeof *info);
	info->block = b;
	info->storage_size = otk_le32(h + H_SIZE);
	info->nblocks = otk_le32(h + H_NBLOCKS);
	info->seq = otk_le32(h + H_SEQ);
	info->size = otk_le32(h + H_ORIG);
	info->id.name_len = otk_le16(h + H_NAMELEN);
	if (otk_le16(h + H_VERSION) != 1 || info->id.name_len == 0 ||
	    info->id.name_len > OTK_ASSET_STORE_NAME_MAX || info->nblocks == 0 ||
	    info->nblocks > s->nblocks - b || info->nblocks != blocks_for(s, info->storage_size))
		return P_NONE;
	memcpy(info->id.hash, h + H_HASH, OTK_SHA256_LEN);
	memcpy(info->id.name, h + H_NAME, info->id.name_len);
	info->id.name[info->id.name_len] = 0;
	info->data_off = otk_le32(h + H_DATAOFF);
	info->data_len = otk_le32(h + H_DATALEN);
	info->compressed = h[H_FLAGS] & 1;
	info->window_bits = h[H_WBITS];
	if (info->data_off > info->storage_size || info->data_len > info->storage_size - info->data_off)
		return P_NONE;
	if (info->seq > s->seq)
		s->seq = info->seq;
	/* commit unit fully programmed, delete unit untouched */
	if ((rc = otk_flash_read(&s->fa, at + commit_off(s), h, 2 * wa(s))))
		return rc;
	if (!all_bytes(h, wa(s), (uint8_t)~s->fa.erased) || !all_bytes(h + wa(s), wa(s), s->fa.erased))
		return P_DEAD;
	return P_LIVE;
}

/*
 * Next file header at or after *b: returns P_DEAD/P_LIVE with *b at it, or
 * P_NONE at the end.  Live files are skipped whole; dead ones block by block
 * (their blocks are free space).
 */
static int next_file(struct otk_asset_store *s, uint32_t *b, struct otk_asset_info *info)
{
	for (; *b < s->nblocks; (*b)++) {
		int r = probe(s, *b, info);
		if (r != P_NONE)
			return r;
	}
	return P_NONE;
}

/* Whether a live file with the same name and a higher sequence exists. */
static int superseded(struct otk_asset_store *s, const struct otk_asset_info *f)
{
	struct otk_asset_info o;
	uint32_t b = OTK_ASSET_STATE_BLOCKS;
	int r;
	while ((r = next_file(s, &b, &o)) > 0) {
		if (r == P_LIVE && o.seq > f->seq && o.id.name_len == f->id.name_len &&
		    memcmp(o.id.name, f->id.name, f->id.name_len) == 0)
			return 1;
		b += r == P_LIVE ? o.nblocks : 1;
	}
	return r;
}

static int erase_file(struct otk_asset_store *s, const struct otk_asset_info *f)
{
	/* mark deleted first: a cut during the erase cannot revive it */
	uint8_t *u = s->buf;
	memset(u, (uint8_t)~s->fa.erased, wa(s));
	int rc = otk_flash_write(&s->fa, f->block * OTK_ASSET_BLOCK + delete_off(s), u, wa(s));
	if (rc)
		return rc;
	return otk_flash_erase(&s->fa, f->block * OTK_ASSET_BLOCK, f->nblocks * OTK_ASSET_BLOCK);
}

int otk_asset_store_init(struct otk_asset_store *s, const struct otk_flash_area *fa,
			 uint8_t *buf, size_t cap)
{
	memset(s, 0, sizeof *s);
	if (!fa || !buf || cap < OTK_ASSET_MIN_BUF || fa->erase_size == 0 ||
	    fa->erase_size > OTK_ASSET_BLOCK || OTK_ASSET_BLOCK % fa->erase_size ||
	    fa->write_align == 0 || cap % (2 * fa->write_align) || fa->write_align > 256 ||
	    fa->size / OTK_ASSET_BLOCK < OTK_ASSET_STATE_BLOCKS + 2)
		return OTK_EINVAL;
	s->fa = *fa;
	s->buf = buf;
	s->buf_size = cap;
	s->nblocks = fa->size / OTK_ASSET_BLOCK;
	return state_load(s);
}

int otk_asset_store_format(struct otk_asset_store *s)
{
	s->writing = false;
	int rc = otk_flash_erase(&s->fa, 0, s->nblocks * OTK_ASSET_BLOCK);
	if (rc)
		return rc;
	s->clean = true;
	return state_load(s);
}

int otk_asset_store_validate(struct otk_asset_store *s, unsigned *removed)
{
	struct otk_asset_info f, m;
	uint32_t b = OTK_ASSET_STATE_BLOCKS;
	unsigned n = 0;
	int r;
	if (removed)
		*removed = 0;
	while ((r = next_file(s, &b, &f)) > 0) {
		bool bad = r == P_DEAD;
		if (!bad) {
			memset(&m, 0, sizeof m);
			int rc = module_check(&s->fa, b * OTK_ASSET_BLOCK + mod_off(s), f.storage_size,
					      true, s->buf, s->buf_size, &m);
			if (rc < 0 && rc != OTK_EASSET_INVALID && rc != OTK_EASSET_NAME)
				return rc;
			bad = rc < 0 || m.size != f.size || m.data_off != f.data_off ||
			      m.data_len != f.data_len || m.compressed != f.compressed ||
			      m.id.name_len != f.id.name_len ||
			      memcmp(m.id.name, f.id.name, f.id.name_len) != 0 ||
			      memcmp(m.id.hash, f.id.hash, OTK_SHA256_LEN) != 0;
		}
		if (!bad) {
			int sup = superseded(s, &f);
			if (sup < 0)
				return sup;
			bad = sup;
		}
		if (r == P_DEAD) {
			/* only its header: a dead file's blocks are free space already */
			int rc = otk_flash_erase(&s->fa, b * OTK_ASSET_BLOCK, OTK_ASSET_BLOCK);
			if (rc)
				return rc;
			n++;
			b++;
			continue;
		}
		if (bad) {
			int rc = erase_file(s, &f);
			if (rc)
				return rc;
			n++;
		}
		b += f.nblocks;
	}
	if (removed)
		*removed = n;
	if (r == P_NONE)
		s->clean = true;
	return r;
}

int otk_asset_store_foreach(struct otk_asset_store *s, otk_asset_fn fn, void *ctx)
{
	struct otk_asset_info f;
	uint32_t b = OTK_ASSET_STATE_BLOCKS;
	int r, count = 0;
	while ((r = next_file(s, &b, &f)) > 0) {
		if (r == P_LIVE) {
			/* duplicates only exist between a commit and the deletion
			 * of the older copy, or after a cut there until validation */
			int sup = s->clean ? 0 : superseded(s, &f);
			if (sup < 0)
				return sup;
			if (!sup) {
				count++;
				if (fn) {
					int v = fn(ctx, &f);
					if (v)
						return v;
				}
			}
			b += f.nblocks;
		} else {
			b++;
		}
	}
	return r < 0 ? r : count;
}

struct find_ctx {
	const char *name;
	size_t name_len;
	const uint8_t *hash;
	struct otk_asset_info *out;
	bool found;
};

static int find_cb(void *ctx, const struct otk_asset_info *f)
{
	struct find_ctx *c = ctx;
	if (f->id.name_len != c->name_len || memcmp(f->id.name, c->name, c->name_len) != 0)
		return 0;
	if (c->hash && memcmp(f->id.hash, c->hash, OTK_SHA256_LEN) != 0)
		return 0;
	if (c->out)
		*c->out = *f;
	c->found = true;
	return 1;
}

int otk_asset_store_find(struct otk_asset_store *s, const char *name, size_t name_len,
			 const uint8_t *hash, struct otk_asset_info *info)
{
	struct find_ctx c = { name, name_len, hash, info, false };
	int r = otk_asset_store_foreach(s, find_cb, &c);
	if (r < 0)
		return r;
	return c.found ? OTK_OK : OTK_ENOTFOUND;
}

int otk_asset_store_remove(struct otk_asset_store *s, const struct otk_asset_info *info)
{
	struct otk_asset_info f;
	int r = probe(s, info->block, &f);
	if (r < 0)
		return r;
	if (r == P_NONE || f.seq != info->seq)
		return OTK_ENOTFOUND;
	return erase_file(s, &f);
}

static bool kept(const struct otk_asset_info *f, const struct otk_asset_id *keep, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (keep[i].name_len == f->id.name_len &&
		    memcmp(keep[i].name, f->id.name, f->id.name_len) == 0 &&
		    memcmp(keep[i].hash, f->id.hash, OTK_SHA256_LEN) == 0)
			return true;
	return false;
}

int otk_asset_store_retain(struct otk_asset_store *s, const struct otk_asset_id *keep, size_t n,
			   unsigned *removed)
{
	struct otk_asset_info f;
	uint32_t b = OTK_ASSET_STATE_BLOCKS;
	unsigned count = 0;
	int r;
	if (removed)
		*removed = 0;
	while ((r = next_file(s, &b, &f)) > 0) {
		if (r == P_LIVE && !kept(&f, keep, n)) {
			int rc = erase_file(s, &f);
			if (rc)
				return rc;
			count++;
		}
		b += r == P_LIVE ? f.nblocks : 1;
	}
	if (removed)
		*removed = count;
	return r;
}

uint32_t otk_asset_store_max_module(const struct otk_asset_store *s)
{
	if (s->nblocks <= RESERVED_BLOCKS)
		return 0;
	uint32_t lim = (s->nblocks - RESERVED_BLOCKS) * OTK_ASSET_BLOCK;
	/* and it must fit the file area at all */
	uint32_t room = (s->nblocks - OTK_ASSET_STATE_BLOCKS) * OTK_ASSET_BLOCK - mod_off(s);
	return lim < room ? lim : room;
}

/*
 * First run of `need` blocks not covered by a live file, or OTK_EASSET_NOSPC.
 * *free_blocks (may be NULL) gets the total of such blocks.
 */
static int find_room(struct otk_asset_store *s, uint32_t need, uint32_t *at, uint32_t *free_blocks)
{
	struct otk_asset_info f;
	uint32_t b = OTK_ASSET_STATE_BLOCKS, run = OTK_ASSET_STATE_BLOCKS, total = 0;
	bool found = false;
	int r;
	while ((r = next_file(s, &b, &f)) > 0) {
		if (r == P_DEAD) {
			b++;
			continue;
		}
		total += b - run;
		if (!found && need && b - run >= need) {
			*at = run;
			found = true;
		}
		b += f.nblocks;
		run = b;
	}
	if (r < 0)
		return r;
	total += s->nblocks - run;
	if (!found && need && s->nblocks - run >= need) {
		*at = run;
		found = true;
	}
	if (free_blocks)
		*free_blocks = total;
	return found || !need ? OTK_OK : OTK_EASSET_NOSPC;
}

uint32_t otk_asset_store_free_blocks(struct otk_asset_store *s)
{
	uint32_t total = 0;
	if (find_room(s, 0, NULL, &total) < 0)
		return 0;
	return total;
}

int otk_asset_store_write_begin(struct otk_asset_store *s, uint32_t size)
{
	if (s->writing)
		return OTK_EUPD_STATE;
	if (size == 0)
		return OTK_EINVAL;
	if (size > otk_asset_store_max_module(s))
		return OTK_EASSET_TOOBIG;
	uint32_t need = blocks_for(s, size), at = 0;
	int rc = find_room(s, need, &at, NULL);
	if (rc)
		return rc;
	/* the run may hold dead files and leftovers: erase it all first */
	if ((rc = otk_flash_erase(&s->fa, at * OTK_ASSET_BLOCK, need * OTK_ASSET_BLOCK)))
		return rc;
	s->w_block = at;
	s->w_nblocks = need;
	s->w_size = size;
	s->w_got = 0;
	/* the writer takes the first half of the scratch; checks use it after flush */
	otk_flash_writer_init(&s->w, &s->fa, at * OTK_ASSET_BLOCK + mod_off(s), s->buf,
			      s->buf_size / 2);
	s->writing = true;
	return OTK_OK;
}

int otk_asset_store_write(struct otk_asset_store *s, const void *data, size_t len)
{
	if (!s->writing)
		return OTK_EUPD_STATE;
	if (len > s->w_size - s->w_got)
		return OTK_EUPD_SIZE;
	int rc = otk_flash_writer_put(&s->w, data, len);
	if (rc)
		return rc;
	s->w_got += (uint32_t)len;
	return OTK_OK;
}

void otk_asset_store_write_abort(struct otk_asset_store *s)
{
	/* nothing committed: the blocks are free space again */
	s->writing = false;
}

/* Delete live files named like f other than f itself. */
static int drop_older(struct otk_asset_store *s, const struct otk_asset_info *nf)
{
	struct otk_asset_info f;
	uint32_t b = OTK_ASSET_STATE_BLOCKS;
	int r;
	while ((r = next_file(s, &b, &f)) > 0) {
		if (r == P_LIVE && f.block != nf->block && f.seq < nf->seq &&
		    f.id.name_len == nf->id.name_len &&
		    memcmp(f.id.name, nf->id.name, nf->id.name_len) == 0) {
			int rc = erase_file(s, &f);
			if (rc)
				return rc;
		}
		b += r == P_LIVE ? f.nblocks : 1;
	}
	return r;
}

int otk_asset_store_write_finish(struct otk_asset_store *s, struct otk_asset_info *info)
{
	if (!s->writing)
		return OTK_EUPD_STATE;
	if (s->w_got != s->w_size)
		return OTK_EUPD_INCOMPLETE;
	s->writing = false;
	int rc = otk_flash_writer_flush(&s->w);
	if (rc)
		return rc;
	struct otk_asset_info f;
	memset(&f, 0, sizeof f);
	/* check what is on flash, not what we were given */
	rc = module_check(&s->fa, s->w_block * OTK_ASSET_BLOCK + mod_off(s), s->w_size, true, s->buf,
			  s->buf_size, &f);
	if (rc)
		return rc;
	/* any sequence already on flash must be lower: rescan before numbering */
	if ((rc = find_room(s, 0, NULL, NULL)) < 0)
		return rc;
	f.block = s->w_block;
	f.nblocks = s->w_nblocks;
	f.seq = s->seq + 1;

	uint8_t *h = s->buf;
	uint32_t hl = hdr_area(s);
	memset(h, s->fa.erased, hl);
	memset(h, 0, HDR_RAW);
	otk_put_le32(h + H_MAGIC, FILE_MAGIC);
	otk_put_le16(h + H_VERSION, 1);
	otk_put_le16(h + H_NAMELEN, f.id.name_len);
	otk_put_le32(h + H_SIZE, f.storage_size);
	otk_put_le32(h + H_NBLOCKS, f.nblocks);
	otk_put_le32(h + H_SEQ, f.seq);
	otk_put_le32(h + H_ORIG, f.size);
	memcpy(h + H_HASH, f.id.hash, OTK_SHA256_LEN);
	memcpy(h + H_NAME, f.id.name, f.id.name_len);
	otk_put_le32(h + H_DATAOFF, f.data_off);
	otk_put_le32(h + H_DATALEN, f.data_len);
	h[H_FLAGS] = f.compressed ? 1 : 0;
	h[H_WBITS] = f.window_bits;
	otk_put_le32(h + H_CRC, otk_crc32_update(0, h, H_CRC));
	uint32_t at = f.block * OTK_ASSET_BLOCK;
	bool was_clean = s->clean;
	s->clean = false;
	if ((rc = otk_flash_write(&s->fa, at, h, hl)))
		return rc;
	memset(h, (uint8_t)~s->fa.erased, wa(s));
	if ((rc = otk_flash_write(&s->fa, at + commit_off(s), h, wa(s))))
		return rc;
	s->seq = f.seq;
	if (info)
		*info = f;
	/* the new file is committed: older ones of that name may go */
	rc = drop_older(s, &f);
	if (rc < 0)
		return rc;
	s->clean = was_clean;
	return OTK_OK;
}

int otk_asset_store_add_from_flash(struct otk_asset_store *s, const struct otk_flash_area *src,
				   uint32_t off, uint32_t len, struct otk_asset_info *info)
{
	struct otk_asset_info m;
	memset(&m, 0, sizeof m);
	int rc = module_check(src, off, len, true, s->buf, s->buf_size, &m);
	if (rc)
		return rc;
	if (otk_asset_store_find(s, m.id.name, m.id.name_len, m.id.hash, info) == OTK_OK)
		return OTK_OK;
	if ((rc = otk_asset_store_write_begin(s, len)))
		return rc;
	/* second half of the scratch carries the data; the writer owns the first */
	uint8_t *chunk = s->buf + s->buf_size / 2;
	size_t cap = s->buf_size / 2;
	for (uint32_t pos = 0; pos < len;) {
		uint32_t n = len - pos < cap ? len - pos : (uint32_t)cap;
		if ((rc = otk_flash_read(src, off + pos, chunk, n)) ||
		    (rc = otk_asset_store_write(s, chunk, n))) {
			otk_asset_store_write_abort(s);
			return rc;
		}
		pos += n;
	}
	return otk_asset_store_write_finish(s, info);
}

int otk_asset_store_read(struct otk_asset_store *s, const struct otk_asset_info *info,
			 uint32_t off, void *buf, size_t len)
{
	if (off > info->storage_size || len > info->storage_size - off)
		return OTK_ERANGE;
	return otk_flash_read(&s->fa, info->block * OTK_ASSET_BLOCK + mod_off(s) + off, buf, len);
}

/*
 * Asset storage: the files Asset OTA delivers, one per asset, each holding
 * the asset module exactly as received (compressed), in a flash area of its
 * own made of 4 KB blocks (docs/asset-storage.md).
 *
 * On flash:
 *   blocks 0, 1   asset state log (NONE / HANDLED / WANT): CRC-protected
 *                 records with a sequence number, ping-pong between the two
 *   blocks 2..    files: each a contiguous run of blocks; the first block
 *                 starts with a header (name, hash, sizes, sequence, CRC),
 *                 then a commit unit, a delete unit, then the module bytes
 *
 * A file is written data first, then its header, then its commit unit; it
 * counts only once committed and not deleted, and its module passes the
 * checks (CRC-32, function 9, DROP_MODULE_INFO, no prefix extensions, sizes
 * consistent).  Deleting writes the delete unit, then erases the header
 * block.  A file replacing another of the same name is committed before the
 * old one is deleted; between the two the higher sequence wins.  So a power
 * cut at any flash operation leaves either the old or the new file, never a
 * half-written one that looks valid.
 *
 * No heap, no stdio: caller-owned state and scratch.
 */
#ifndef OTK_ASSET_STORE_H
#define OTK_ASSET_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/flash.h"
#include "otk/journal.h"
#include "otk/sha256.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTK_ASSET_BLOCK 4096u
#define OTK_ASSET_STORE_NAME_MAX 64u        /* bytes of an asset name we store */
#define OTK_ASSET_STATE_BLOCKS 2u
#define OTK_ASSET_MIN_BUF 512u

/* Asset state (Device OS values). */
enum otk_asset_state {
	OTK_ASSET_STATE_NONE = 0,
	OTK_ASSET_STATE_HANDLED = 1,
	OTK_ASSET_STATE_WANT = 2,
};

/* An asset identity: two assets are the same when name and hash match. */
struct otk_asset_id {
	uint16_t name_len;
	char name[OTK_ASSET_STORE_NAME_MAX + 1];   /* NUL-terminated copy */
	uint8_t hash[OTK_SHA256_LEN];        /* the module's HASH extension */
};

/* A stored, committed file. */
struct otk_asset_info {
	struct otk_asset_id id;
	uint32_t size;          /* uncompressed asset bytes */
	uint32_t storage_size;  /* stored module bytes */
	uint32_t block;         /* first block of the file */
	uint32_t nblocks;
	uint32_t seq;
	/* where the asset's bytes are, relative to the module start */
	bool compressed;
	uint8_t window_bits;    /* compressed: 8..15 */
	uint32_t data_off, data_len;
};

struct otk_asset_store {
	struct otk_flash_area fa;
	uint8_t *buf;           /* scratch, >= OTK_ASSET_MIN_BUF */
	size_t buf_size;
	uint32_t nblocks;       /* blocks in the area */
	uint32_t seq;           /* highest file sequence seen */
	bool clean;             /* validated: no two committed files share a name */
	/* state log: blocks 0 and 1 */
	uint8_t state;
	struct otk_journal log;
	/* a file being written */
	bool writing;
	uint32_t w_block, w_nblocks, w_size, w_got;
	struct otk_flash_writer w;
};

/*
 * Bind the store to a flash area (erase unit dividing 4 KB, at least 4
 * blocks) and load the asset state.  buf/cap is scratch kept by the store
 * (>= 512 bytes, a multiple of 2 * write alignment).  Reads only.
 * Errors: OTK_EINVAL, flash read errors.
 */
int otk_asset_store_init(struct otk_asset_store *s, const struct otk_flash_area *fa,
			 uint8_t *buf, size_t cap);

/* Erase the whole area (state becomes NONE). */
int otk_asset_store_format(struct otk_asset_store *s);

/*
 * Boot-time validation: every file that is uncommitted, deleted, fails its
 * checks or is an older copy of a name stored again is erased.  *removed
 * (may be NULL) gets how many files were erased.
 */
int otk_asset_store_validate(struct otk_asset_store *s, unsigned *removed);

/*
 * Valid files, oldest first: fn(ctx, info) for each, stopping when it
 * returns non-zero (that value is returned).  Returns the count otherwise.
 * Does not write; an invalid file is skipped (validate() removes it).
 */
typedef int (*otk_asset_fn)(void *ctx, const struct otk_asset_info *info);
int otk_asset_store_foreach(struct otk_asset_store *s, otk_asset_fn fn, void *ctx);

/* The valid file with this name (and hash when hash is not NULL): OTK_OK or OTK_ENOTFOUND. */
int otk_asset_store_find(struct otk_asset_store *s, const char *name, size_t name_len,
			 const uint8_t *hash, struct otk_asset_info *info);

/* Delete one file (delete unit, then erase its header block). */
int otk_asset_store_remove(struct otk_asset_store *s, const struct otk_asset_info *info);

/*
 * Keep only files whose (name, hash) is in keep[0..n); delete the others.
 * *removed (may be NULL) gets the count.
 */
int otk_asset_store_retain(struct otk_asset_store *s, const struct otk_asset_id *keep, size_t n,
			   unsigned *removed);

/*
 * Store a module of `size` bytes: begin (finds room, erases it), write the
 * bytes in order in any pieces, finish (checks the module as stored, writes
 * the header and commits, then deletes older files of the same name).
 * Errors: OTK_EASSET_TOOBIG (size over the limit: area - 16 blocks),
 * OTK_EASSET_NOSPC (no free run of blocks large enough), OTK_EASSET_INVALID
 * and OTK_EASSET_NAME at finish (the file is then left uncommitted),
 * OTK_EUPD_STATE (calls out of order), flash errors.  abort() drops the file.
 */
int otk_asset_store_write_begin(struct otk_asset_store *s, uint32_t size);
int otk_asset_store_write(struct otk_asset_store *s, const void *data, size_t len);
int otk_asset_store_write_finish(struct otk_asset_store *s, struct otk_asset_info *info);
void otk_asset_store_write_abort(struct otk_asset_store *s);

/*
 * Copy a module from another flash area (OTA staging) into the store; a
 * file with the same name and hash already stored is kept as it is.
 */
int otk_asset_store_add_from_flash(struct otk_asset_store *s, const struct otk_flash_area *src,
				   uint32_t off, uint32_t len, struct otk_asset_info *info);

/* Largest module the store accepts, and free blocks. */
uint32_t otk_asset_store_max_module(const struct otk_asset_store *s);
uint32_t otk_asset_store_free_blocks(struct otk_asset_store *s);

/* Read bytes of a stored module (offset from the module start). */
int otk_asset_store_read(struct otk_asset_store *s, const struct otk_asset_info *info,
			 uint32_t off, void *buf, size_t len);

/* Asset state, persisted in the state log. */
uint8_t otk_asset_store_state(const struct otk_asset_store *s);
int otk_asset_store_set_state(struct otk_asset_store *s, uint8_t state);

#ifdef __cplusplus
}
#endif

#endif

/*
 * Sparse memory image: the bytes a programmer writes to flash, kept as a
 * sorted list of non-adjacent, non-overlapping regions so that data at 0x0
 * and at 0x10001000 costs only what is there (see docs/hex.md).
 *
 * Host code.  A hostile hex file cannot exhaust memory or time: everything
 * the image allocates (data with its slack, a fixed cost per region, the
 * tables) is counted against max_total (OTK_MEMIMAGE_MAX_DEFAULT) before it
 * is allocated, and regions are kept in blocks so that writes in any order
 * cost O(sqrt n) each.  Addresses are 32-bit; a region never extends past
 * 0xFFFFFFFF.  Read the regions through otk_memimage_count() and
 * otk_memimage_region(); the other fields are the implementation's.
 */
#ifndef OTK_MEMIMAGE_H
#define OTK_MEMIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/module.h"

#include "otk/limits.h"

#define OTK_MEMIMAGE_MAX_DEFAULT OTK_LIMIT_IMAGE_MEMORY

struct otk_memregion {
	uint32_t addr;
	uint32_t len;       /* > 0 */
	uint8_t *data;
	size_t cap;         /* bytes usable from data (>= len) */
	size_t front;       /* private: slack allocated before data */
};

struct otk_memblock;        /* private: a run of regions */

struct otk_memimage {
	struct otk_memblock *blk;  /* private: blocks of regions in address order */
	size_t nblk, blkcap;
	size_t *fen;               /* private: index of regions by block */
	size_t n;                  /* regions */
	uint64_t total;            /* data bytes held */
	uint64_t alloc;            /* bytes allocated, data and bookkeeping */
	uint64_t max_total;        /* cap on alloc; OTK_ETOOBIG beyond */
	size_t last;               /* region of the last write (append fast path) */
};

/* Caller-owned image: _init makes it empty, _deinit frees every region. */
void otk_memimage_init(struct otk_memimage *m);
void otk_memimage_deinit(struct otk_memimage *m);

enum otk_memimage_mode {
	OTK_MEM_CHECK = 0,     /* overlapping bytes must be equal (OTK_EEXIST otherwise) */
	OTK_MEM_REPLACE = 1,   /* new bytes win */
};

/*
 * Store len bytes at addr.  With OTK_MEM_CHECK an overlap with different
 * bytes fails with OTK_EEXIST, *conflict (when not NULL) set to the first
 * differing address, and the image unchanged.  OTK_ERANGE when the range
 * runs past 0xFFFFFFFF, OTK_ETOOBIG when the memory it needs would pass
 * max_total, OTK_ENOMEM.
 */
int otk_memimage_write(struct otk_memimage *m, uint32_t addr, const uint8_t *p, size_t len,
		       enum otk_memimage_mode mode, uint32_t *conflict);

/*
 * Like otk_memimage_write(), but takes buf (malloc'd, len bytes) over: when
 * nothing in the image touches [addr, addr + len) it becomes a region as it
 * is, without a copy; otherwise it is written and freed.  buf is freed (or
 * owned by the image) whatever the result.
 */
int otk_memimage_write_owned(struct otk_memimage *m, uint32_t addr, uint8_t *buf, size_t len,
			     enum otk_memimage_mode mode, uint32_t *conflict);

/* Remove every byte in [addr, addr + len), splitting regions as needed. */
int otk_memimage_erase(struct otk_memimage *m, uint32_t addr, uint64_t len);

/*
 * Copy every region of src into dst with the given mode.  On OTK_EEXIST
 * dst may hold the regions of src that came before the conflict.
 */
int otk_memimage_merge(struct otk_memimage *dst, const struct otk_memimage *src,
		       enum otk_memimage_mode mode, uint32_t *conflict);

/* Regions in address order: i < otk_memimage_count(m). */
size_t otk_memimage_count(const struct otk_memimage *m);
const struct otk_memregion *otk_memimage_region(const struct otk_memimage *m, size_t i);

/*
 * Index of the region containing addr, or -1.  *avail (when not NULL) gets
 * the bytes from addr to the end of that region.
 */
long otk_memimage_find(const struct otk_memimage *m, uint32_t addr, uint32_t *avail);

/* True when some byte of [addr, addr + len) is present. */
bool otk_memimage_any(const struct otk_memimage *m, uint32_t addr, uint64_t len);

/* --- modules inside an image --------------------------------------------- */

/* A Particle module found in an image by its prefix. */
struct otk_image_module {
	uint32_t addr;          /* first byte (= prefix.start) */
	uint32_t size;          /* end - start + 4 */
	uint32_t prefix_offset;
	struct otk_prefix prefix;
	bool crc_ok;
	uint32_t crc_stored, crc_computed;
};

/*
 * Find every module held whole inside one region: a position whose prefix
 * (at any of the offsets Particle uses: 0, 0x20, 0xC0, 0x10C, 0x184, 0x200)
 * names its own address as start and that otk_module_parse() accepts with a
 * full score or a matching CRC.  Modules do not overlap; the scan goes on
 * after each module's end.  *out is malloc'd (NULL when none), freed by the
 * caller.  OTK_ENOMEM only.
 */
int otk_memimage_find_modules(const struct otk_memimage *m, struct otk_image_module **out,
			      size_t *n);

#endif

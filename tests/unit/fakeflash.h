/*
 * A fake NOR flash for the device library tests (header-only: each test
 * program is linked with testutil.c only).
 *
 * Behaves like the strictest NOR part we target: writes can only clear
 * bits (a write that needs a 0 -> 1 change is a violation), offsets and
 * lengths must match the write alignment and erase unit, and every
 * operation is counted.  Power cuts: with cut_at = N, the N-th write or
 * erase is done only half-way (first half of its bytes) and then the flash
 * is dead - every later operation fails with OTK_EIO - until the test
 * "reboots" by calling ff_power_on().
 */
#ifndef OTK_FAKEFLASH_H
#define OTK_FAKEFLASH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"
#include "otk/flash.h"
#include "otk/layout.h"

struct fakeflash {
	uint8_t *mem;
	uint32_t size, erase_size, write_align;
	uint32_t base;            /* layout address of byte 0 (0x08000000 on STM32) */
	unsigned long reads, writes, erases;
	unsigned long ops;        /* writes + erases: the cut points */
	unsigned long cut_at;     /* 0: never */
	bool dead;
	unsigned long violations; /* misaligned or bit-setting writes */
};

static inline void ff_init(struct fakeflash *f, uint32_t size, uint32_t erase_size, uint32_t align)
{
	memset(f, 0, sizeof(*f));
	f->mem = malloc(size);
	memset(f->mem, 0xFF, size);
	f->size = size;
	f->erase_size = erase_size;
	f->write_align = align;
}

static inline void ff_free(struct fakeflash *f)
{
	free(f->mem);
	f->mem = NULL;
}

static inline void ff_power_on(struct fakeflash *f)
{
	f->dead = false;
	f->cut_at = 0;
}

/* true when this operation is the one the power dies in */
static inline bool ff_cut_now(struct fakeflash *f)
{
	f->ops++;
	if (f->cut_at && f->ops == f->cut_at) {
		f->dead = true;
		return true;
	}
	return false;
}

static inline int ff_read(void *ctx, uint32_t off, void *buf, size_t len)
{
	struct fakeflash *f = ctx;
	if (f->dead)
		return OTK_EIO;
	if (off > f->size || len > f->size - off)
		return OTK_ERANGE;
	f->reads++;
	memcpy(buf, f->mem + off, len);
	return OTK_OK;
}

static inline int ff_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
	struct fakeflash *f = ctx;
	const uint8_t *p = buf;
	if (f->dead)
		return OTK_EIO;
	if (off > f->size || len > f->size - off || (off % f->write_align) || (len % f->write_align)) {
		f->violations++;
		return OTK_EINVAL;
	}
	for (size_t i = 0; i < len; i++)
		if ((f->mem[off + i] & p[i]) != p[i]) {
			f->violations++;   /* needs an erase first */
			return OTK_EIO;
		}
	f->writes++;
	if (ff_cut_now(f))
		len = len / 2;
	for (size_t i = 0; i < len; i++)
		f->mem[off + i] &= p[i];
	return f->dead ? OTK_EIO : OTK_OK;
}

static inline int ff_erase(void *ctx, uint32_t off, size_t len)
{
	struct fakeflash *f = ctx;
	if (f->dead)
		return OTK_EIO;
	if (off > f->size || len > f->size - off || (off % f->erase_size) || (len % f->erase_size)) {
		f->violations++;
		return OTK_EINVAL;
	}
	f->erases++;
	if (ff_cut_now(f))
		len = len / 2;  /* half-erased: the rest keeps its old bytes */
	memset(f->mem + off, 0xFF, len);
	return f->dead ? OTK_EIO : OTK_OK;
}

static const struct otk_flash_ops ff_ops = { ff_read, ff_write, ff_erase };

/* A device whose layout addresses are offsets in one fake flash. */
static inline int ff_open(void *ctx, const struct otk_layout_area *a, struct otk_flash_area *out)
{
	struct fakeflash *f = ctx;
	uint32_t off = a->addr - f->base;
	if (a->addr < f->base || off > f->size || a->size > f->size - off)
		return OTK_ENOTFOUND;
	out->ops = &ff_ops;
	out->ctx = f;
	out->dev_off = off;
	out->size = a->size;
	out->erase_size = f->erase_size;
	out->write_align = f->write_align;
	out->erased = 0xFF;
	out->addr = a->addr;
	return OTK_OK;
}

#endif

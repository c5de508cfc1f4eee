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
 *
 * Two stricter modes, as real parts behave:
 *   program_once  a write unit (write_align bytes) may be programmed once
 *                 between erases, even with the same bits (parts with ECC
 *                 forbid it); a second program is a violation.
 *   torn          the operation the power dies in leaves random bits instead
 *                 of a clean half: a torn program clears a random subset of
 *                 the bits it was clearing, a torn erase leaves random bytes
 *                 in the part of the range it did not finish.
 * ff_strict() turns both on; power-cut tests run in both the plain and the
 * strict flash.
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
	unsigned long fail_read_at; /* the read with this count fails once (0: never) */
	bool dead;
	unsigned long violations; /* misaligned, bit-setting or repeated writes */
	bool program_once, torn;
	uint8_t *programmed;      /* program_once: one flag per write unit */
	uint32_t rnd;             /* torn: pseudo-random state */
	struct fakeflash *link;   /* another chip on the same power: one operation
				     count, and a cut kills both */
};

static inline void ff_init(struct fakeflash *f, uint32_t size, uint32_t erase_size, uint32_t align)
{
	memset(f, 0, sizeof(*f));
	f->mem = malloc(size);
	memset(f->mem, 0xFF, size);
	f->size = size;
	f->erase_size = erase_size;
	f->write_align = align;
	f->programmed = calloc(size / align, 1);
	f->rnd = 0x2545F491u;
}

/* Program-once and torn writes (see above). */
static inline void ff_strict(struct fakeflash *f, bool on)
{
	f->program_once = on;
	f->torn = on;
}

static inline void ff_free(struct fakeflash *f)
{
	free(f->mem);
	free(f->programmed);
	f->mem = NULL;
	f->programmed = NULL;
}

/* Forget which units were programmed (after a test pokes memory directly). */
static inline void ff_forget_programmed(struct fakeflash *f)
{
	for (uint32_t u = 0; u < f->size / f->write_align; u++) {
		bool erased = true;
		for (uint32_t k = 0; k < f->write_align; k++)
			erased &= f->mem[u * f->write_align + k] == 0xFF;
		f->programmed[u] = !erased;
	}
}

static inline uint8_t ff_random(struct fakeflash *f)
{
	f->rnd ^= f->rnd << 13;
	f->rnd ^= f->rnd >> 17;
	f->rnd ^= f->rnd << 5;
	return (uint8_t)(f->rnd >> 8);
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
	if (f->link)
		f->link->ops++;
	if (f->cut_at && f->ops == f->cut_at) {
		f->dead = true;
		if (f->link)
			f->link->dead = true;
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
	if (f->fail_read_at && f->reads == f->fail_read_at) {
		f->fail_read_at = 0;
		return OTK_EIO;     /* a transient read error */
	}
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
	if (f->program_once)
		for (size_t u = off / f->write_align; u < (off + len) / f->write_align; u++)
			if (f->programmed[u]) {
				f->violations++;   /* programmed twice without an erase */
				return OTK_EIO;
			}
	f->writes++;
	size_t done = len;
	if (ff_cut_now(f))
		done = f->torn ? 0 : len / 2;
	for (size_t i = 0; i < done; i++)
		f->mem[off + i] &= p[i];
	if (f->dead && f->torn)
		for (size_t i = 0; i < len; i++)
			f->mem[off + i] &= (uint8_t)(p[i] | ff_random(f));
	for (size_t u = off / f->write_align; u < (off + len) / f->write_align; u++)
		f->programmed[u] = 1;
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
	size_t done = len;
	if (ff_cut_now(f))
		done = len / 2;  /* half-erased: the rest keeps its old bytes */
	memset(f->mem + off, 0xFF, done);
	memset(f->programmed + off / f->write_align, 0, done / f->write_align);
	if (f->dead && f->torn) {
		for (size_t i = done; i < len; i++)
			f->mem[off + i] = ff_random(f);  /* neither old nor erased */
		/* and programming it before a full erase is a violation */
		memset(f->programmed + (off + done) / f->write_align, 1, (len - done) / f->write_align);
	}
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

/*
 * Private to the update engine's files (update_state.c, update.c, copy.c):
 * the persisted-state record and the staged-module helpers that validation
 * and the copy at boot share.
 */
#ifndef OTK_UPDATE_INTERNAL_H
#define OTK_UPDATE_INTERNAL_H

#include "otk/update.h"

/* Write the persisted state of u as a new journal record. */
int otk_update_persist(struct otk_update *u);

/* Format the asset area when a transfer overwrote it and nothing needs
 * those staging bytes any more (update_state.c). */
int otk_update_store_cleanup(struct otk_update *u);

/* A module found in staging. */
struct otk_staged {
	struct otk_prefix p;
	struct otk_copy_slot slot;
	/* compressed: deflate data in staging, window bits */
	uint32_t data_off, data_end;
	uint8_t wbits;
};

/* Locate the deflate data of a compressed module staged at [base, base + size). */
int otk_staged_span(const struct otk_update *u, uint32_t base, uint32_t size, struct otk_staged *s);

/*
 * Inflate a compressed staged module.  fa NULL: only check that it inflates
 * to out_len bytes whose CRC matches; else also write the output to fa at
 * off (erased beforehand).
 */
int otk_staged_inflate(struct otk_update *u, const struct otk_staged *s,
		       const struct otk_flash_area *fa, uint32_t off);

#endif

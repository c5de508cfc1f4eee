/*
 * Images in flash: find a module prefix at the usual offsets, check the
 * module installed in an area, scan every installed module of a device,
 * check Device OS dependencies.  Shared by the boot decision, the update
 * engine's validation and the copy at boot; needs no update state, so a
 * bootloader links it with the copy code and without the transfer code.
 */
#ifndef OTK_IMAGE_H
#define OTK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/flash.h"
#include "otk/layout.h"
#include "otk/module.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTK_IMAGE_ALIGN 4096u       /* modules start at a 4 KB boundary of their area */
#define OTK_BOOT_MAX_MODULES 8u     /* installed modules a scan reports */
#define OTK_UPDATE_MAX_EXTRA 4u     /* modules outside the layout (NCP, radio stack) */

/* An installed module as found in its area. */
struct otk_installed {
	uint8_t role;             /* enum otk_area_role */
	uint8_t index;            /* area index */
	int status;               /* OTK_OK, OTK_ENOTFOUND (empty) or the problem */
	int deps;                 /* OTK_OK or OTK_EUPD_DEPENDENCY (set by otk_boot_decide) */
	struct otk_prefix prefix; /* valid when status == OTK_OK */
};

/*
 * The prefix of the module at fa[base, base + avail): the first of the
 * usual offsets (otk_prefix_offsets) whose 24 bytes decode plausibly and,
 * when function is not OTK_FUNC_NONE, are of that function (a monolithic
 * module counts as a system part).  *erased is set when every candidate
 * read back erased.  Returns the offset, OTK_ENOPREFIX or a flash error.
 */
long otk_image_find_prefix(const struct otk_flash_area *fa, uint32_t base, uint32_t avail,
			   uint8_t function, struct otk_prefix *p, bool *erased);

/*
 * CRC-32 of fa[off, off + size - 4) against the big-endian CRC stored after
 * it.  OTK_OK, OTK_EUPD_INTEGRITY, or a flash error.
 */
int otk_image_crc_check(const struct otk_flash_area *fa, uint32_t off, uint32_t size,
			uint8_t *buf, size_t cap);

/*
 * Validate the module installed in an area: the first 4 KB boundary with a
 * prefix (at one of the usual offsets) of this function whose start address
 * is that boundary (and, when index >= 0, with that index); end inside the
 * area, platform, CRC.  For an area that grows down (grows_left), the
 * 4-byte-aligned start whose module ends at the area's end, searched from
 * the end (cap >= 64).  Returns
 * OTK_OK with *p filled, OTK_ENOTFOUND when the area looks empty, or the
 * OTK_EUPD_* / OTK_ENOPREFIX class of the problem.
 */
int otk_image_check(const struct otk_flash_area *fa, bool grows_left, uint16_t platform,
		    uint8_t function, int index, uint8_t *buf, size_t cap, struct otk_prefix *p);

/*
 * Check every bootloader, system and user area of the device's layout.
 * Fills out[0..n) and returns n (<= max), or a negative error.
 */
int otk_installed_scan(const struct otk_device *dev, uint8_t *buf, size_t cap,
		       struct otk_installed *out, size_t max);

/*
 * Device OS dependency check of module m against the valid entries of set:
 * dependency 1 none -> ok (dependency 2 not checked); otherwise each
 * non-none dependency needs an installed module with that function and
 * index and version >= the required one.  Not transitive.  Returns OTK_OK or
 * OTK_EUPD_DEPENDENCY; *which (may be NULL) gets the failing dependency 0/1.
 */
int otk_deps_check(const struct otk_prefix *m, const struct otk_installed *set, size_t n,
		   int *which);

#ifdef __cplusplus
}
#endif

#endif

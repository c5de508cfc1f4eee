/*
 * Boot decisions: validate the installed bootloader, system parts and user
 * part, check their dependencies with Device OS semantics and pick the mode
 * the device starts in, with the reason.
 *
 * otk_boot() first completes any update copies recorded by
 * otk_update_finish(APPLY) (a power cut during that copy is repaired here at
 * the next boot), then scans and decides.
 */
#ifndef OTK_BOOT_H
#define OTK_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/layout.h"
#include "otk/module.h"
#include "otk/update.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTK_BOOT_MAX_MODULES 8u

/* An installed module as found in its area. */
struct otk_installed {
	uint8_t role;             /* enum otk_area_role */
	uint8_t index;            /* area index */
	int status;               /* OTK_OK, OTK_ENOTFOUND (empty) or the problem */
	int deps;                 /* OTK_OK or OTK_EUPD_DEPENDENCY (set by otk_boot_decide) */
	struct otk_prefix prefix; /* valid when status == OTK_OK */
};

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

enum otk_boot_mode {
	OTK_MODE_NORMAL = 0,
	OTK_MODE_SAFE,            /* breathing magenta: system runs, app does not */
	OTK_MODE_DFU,             /* blinking yellow: bootloader only */
};

enum otk_boot_reason {
	OTK_REASON_NONE = 0,
	OTK_REASON_REQUESTED,         /* boot flag / button */
	OTK_REASON_SYSTEM1_INVALID,   /* DFU: no bootable system part 1 */
	OTK_REASON_BOOTLOADER_INVALID,
	OTK_REASON_SYSTEM_INVALID,
	OTK_REASON_SYSTEM_DEPS,
	OTK_REASON_USER_INVALID,
	OTK_REASON_USER_DEPS,
	OTK_REASON_NO_USER,           /* normal mode without an application */
};

/* Boot requests (button, boot flags). */
#define OTK_BOOT_REQ_SAFE 0x01u
#define OTK_BOOT_REQ_DFU 0x02u

struct otk_boot_report {
	uint8_t mode;             /* enum otk_boot_mode */
	uint8_t reason;           /* enum otk_boot_reason */
	int detail;               /* error code behind the reason, OTK_OK if none */
	uint8_t function, index;  /* module the reason is about */
	int recover;              /* result of completing pending copies */
	unsigned copied;          /* modules copied into place at this boot */
	size_t nmods;
	/* scanned modules, then the caller's extra ones (u->cfg.extra) */
	struct otk_installed mods[OTK_BOOT_MAX_MODULES + OTK_UPDATE_MAX_EXTRA];
};

/* Decide the mode from a scan (no flash access). */
void otk_boot_decide(struct otk_installed *mods, size_t n, uint32_t requests,
		     struct otk_boot_report *r);

/*
 * Full boot: complete pending update copies with u (initialised by
 * otk_update_init on the same device; may be NULL to skip), scan, add
 * u's extra modules (NCP, radio stack) for dependency checks, decide.
 * Returns OTK_OK (the decision is in *r) or a flash error.
 */
int otk_boot(const struct otk_device *dev, struct otk_update *u, uint8_t *buf, size_t cap,
	     uint32_t requests, struct otk_boot_report *r);

#ifdef __cplusplus
}
#endif

#endif

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

#include "otk/image.h"
#include "otk/layout.h"
#include "otk/module.h"

#ifdef __cplusplus
extern "C" {
#endif

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

struct otk_update;  /* update.h */

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

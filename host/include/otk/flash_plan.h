/*
 * The flashing planner: which bytes go where, in which order and by which
 * way (control requests in normal mode, or DfuSe), for `otakit flash
 * --local` and `otakit update`, following the reference CLI's rules
 * (docs/usb.md, "Flashing plan").
 *
 * A pure function: it reads the modules it is given and what the device
 * reported (platform, mode, module info, asset info) and returns steps.  It
 * talks to no device and reads no file, so every rule is unit-tested on a
 * table of cases.  Step data points into the inputs (or into a plan-owned
 * buffer for the legacy-slot erase); inputs must outlive the plan.
 */
#ifndef OTK_FLASH_PLAN_H
#define OTK_FLASH_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/module.h"

/* One module file given to flash (or one module of a catalog release). */
struct otk_flash_file {
	const char *name;            /* as shown in messages: "app.bin", "bundle.zip:assets/x" */
	const uint8_t *data;
	size_t len;
	bool asset;                  /* a bundle's asset: wrapped data, not a module */
	const char *asset_name;      /* its name on the device (assets only) */
	uint8_t asset_hash[OTK_SHA256_LEN];
};

/* A Device OS release the planner may add (from the host catalog). */
struct otk_flash_release {
	const char *version;         /* "5.8.0" */
	uint16_t system_version;
	const struct otk_flash_file *mods;
	size_t nmods;
};

struct otk_flash_installed {
	uint8_t function, index;
	uint16_t version;
};

struct otk_flash_asset {
	const char *name;
	uint8_t hash[OTK_SHA256_LEN];
};

struct otk_flash_device {
	uint16_t platform;
	bool in_dfu;
	const struct otk_flash_installed *mods;   /* module info; may be empty (unknown) */
	size_t nmods;
	const struct otk_flash_asset *assets;     /* asset info */
	size_t nassets;
};

struct otk_flash_opts {
	const char *target;          /* --target VERSION, or NULL */
	bool allow_radio_ncp;        /* radio stack and NCP firmware only when asked */
	bool device_os_only;         /* otakit update: Device OS of `target`, no files */
	/* Releases of the device's platform to add Device OS from, oldest first. */
	const struct otk_flash_release *releases;
	size_t nreleases;
};

enum otk_flash_way {
	OTK_FLASH_CONTROL = 1,   /* firmware update by control requests (normal mode) */
	OTK_FLASH_DFU = 2,       /* DfuSe alt 0 at `address` */
	OTK_FLASH_ASSET = 3,     /* control requests, skipped when `skip` */
};

struct otk_flash_step {
	enum otk_flash_way way;
	const char *name;
	const uint8_t *data;
	size_t len;
	uint32_t address;          /* DFU only */
	uint8_t function, index;   /* 0 for the legacy-slot erase */
	uint16_t version;
	bool skip;                 /* an asset the device already holds */
};

struct otk_flash_plan {
	struct otk_flash_step *steps;
	size_t n;
	const char *dos_added;     /* release version added from the catalog, or NULL */
	size_t dropped;            /* encrypted, radio stack or NCP modules left out */
	bool leave_dfu;            /* the last step is DFU: finish with DFU leave */
	uint8_t *owned;            /* legacy-slot erase data */
};

/*
 * Make the plan.  Every module is parsed and checked first (CRC, platform;
 * assets exempt); on any problem nothing is planned: a negative code and a
 * message naming the file in err.  OTK_ENOTFOUND when Device OS is needed
 * (or --target names a version) that no release given has.
 */
int otk_flash_plan_make(const struct otk_flash_file *files, size_t nfiles,
			const struct otk_flash_device *dev, const struct otk_flash_opts *opts,
			struct otk_flash_plan *plan, char *err, size_t errlen);
void otk_flash_plan_free(struct otk_flash_plan *plan);

/*
 * The checks that need no device, for a refusal before one is opened:
 * every module parses with a good CRC, all are for one platform, and a
 * bundle's assets have the hashes its application names.
 */
int otk_flash_check_files(const struct otk_flash_file *files, size_t nfiles, char *err,
			  size_t errlen);

#endif

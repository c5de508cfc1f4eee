/* What `otakit flash` and `otakit update` share (cmd_flash.c). */
#ifndef OTK_CLI_FLASH_RUN_H
#define OTK_CLI_FLASH_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/dos_catalog.h"
#include "otk/flash_plan.h"

struct cli_flash_args {
	const char *target, *device, *catalog;
	bool radio_ncp, device_os_only;
};

/* The files given, read and expanded (bundles into app and asset modules). */
struct cli_inputs {
	struct otk_flash_file *f;
	uint8_t **data;
	size_t n;
};
bool cli_inputs_read(struct cli_inputs *in, char **paths, int n);
void cli_inputs_free(struct cli_inputs *in);

/* The catalog's releases of one platform with their modules in memory. */
struct cli_releases {
	struct otk_dos_catalog cat;
	struct otk_flash_release *rel;
	size_t n;
};
bool cli_releases_load(struct cli_releases *r, const char *catalog, uint16_t platform);
void cli_releases_free(struct cli_releases *r);

/*
 * Fetches Device OS version for platform from the logged-in profile's cloud
 * catalog (otakitd) into the host catalog (catalog NULL: the default),
 * every module checked against the listing (size, SHA-256) and itself (CRC,
 * platform).  Prints what it does and its errors (cmd_device_os.c).  1:
 * fetched; 0: not logged in, nothing tried; -1: failed.
 */
int cli_dos_fetch(const char *catalog, uint16_t platform, const char *version);

/* Open the device, plan, carry the plan out; the exit status. */
int cli_flash_run(const struct cli_flash_args *a, struct cli_inputs *in);

/* otakit update (cmd_update.c). */
int cli_update_command(int argc, char **argv);

#endif

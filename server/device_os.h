/* The Device OS catalog: importing release modules (device_os.c). */
#ifndef OTKD_DEVICE_OS_H
#define OTKD_DEVICE_OS_H

#include <stddef.h>

#include "store.h"

/*
 * Imports the module files of Device OS `version` (a release in otakit's
 * table) for one platform: each must be one whole module with a good CRC,
 * not an asset, all for the same known platform, system parts with the
 * release's module version.  Files become blobs under data_dir, rows one
 * transaction.  err names the file and the problem.
 */
int otkd_dos_import_files(struct otkd_store *st, const char *data_dir, const char *version,
			  char *const *files, size_t n, char *err, size_t errlen);

#endif

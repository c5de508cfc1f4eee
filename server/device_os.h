/* The Device OS catalog: importing release modules (device_os.c). */
#ifndef OTKD_DEVICE_OS_H
#define OTKD_DEVICE_OS_H

#include <stddef.h>

#include "store.h"

/*
 * Imports the module files of Device OS `version` (a release in otakit's
 * table; NULL: the release of the system part among them) for one
 * platform.  A file may be a zip (Particle's release zip), whose .bin
 * entries are the modules, read by the host library's bundle reader (names,
 * sizes, links and duplicates checked).  Each module must be one whole
 * module with a good CRC, not an asset, all for the same known platform,
 * system parts with the release's module version, no two with one file
 * name.  Modules become blobs under data_dir, rows one transaction; nothing
 * is recorded unless all pass.  *imported gets the number of modules; err
 * names the file and the problem.
 */
int otkd_dos_import_files(struct otkd_store *st, const char *data_dir, const char *version,
			  char *const *files, size_t n, size_t *imported, char *err,
			  size_t errlen);

#endif

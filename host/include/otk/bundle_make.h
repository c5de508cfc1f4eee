/*
 * Making an Asset OTA bundle from an application and a folder of assets, as
 * `particle bundle` does: one path for `otakit bundle` and `otakit-vdev
 * bundle`, so both apply the same rules (Device OS 5.5.0 or later, names,
 * limits) and write the same zip.  Failures return a negative otakit error
 * and a message in err (naming the file, in the reference tool's words
 * where it has them); nothing here prints.
 */
#ifndef OTK_BUNDLE_MAKE_H
#define OTK_BUNDLE_MAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/module.h"
#include "otk/platform.h"

/* One asset: its file name and contents (owned), and its module once built. */
struct otk_asset_file {
	char *name;
	uint8_t *data;
	size_t len;
	uint8_t *module;    /* compressed asset module, built when the limits need it */
	size_t module_len;
};

struct otk_asset_files {
	struct otk_asset_file *v;
	size_t n, cap;
};

void otk_asset_files_free(struct otk_asset_files *l);

/* Appends name with data (ownership of data passes to the list, also on failure). */
int otk_asset_files_push(struct otk_asset_files *l, const char *name, uint8_t *data, size_t len);

/*
 * The assets of dir: its regular files (not sub-folders, not the names
 * otk_asset_name_skipped() gives), in byte order of their names.
 */
int otk_asset_files_read_dir(const char *dir, struct otk_asset_files *l, char *err, size_t errlen);

/*
 * Parses the application and checks it is one whole user part with a good
 * CRC, needing Device OS 5.5.0 or later when assets come with it (no device
 * before 5.5.0 has Asset OTA).  path names it in messages.
 */
int otk_bundle_check_app(const char *path, const uint8_t *buf, size_t len, bool with_assets,
			 struct otk_module *m, char *err, size_t errlen);

/*
 * Checks the assets against the platform's limits (strict: also the single
 * asset limit the device enforces).  device_max, when not 0, replaces the
 * platform's table with a device's own limit on one asset module (the
 * virtual device's asset area).  Builds the asset modules when the sizes are
 * close enough to a limit to need measuring.
 */
int otk_asset_files_check_limits(const struct otk_platform *plat, struct otk_asset_files *l,
				 bool strict, uint32_t device_max, char *err, size_t errlen);

/*
 * Writes the bundle: app (with the assets' dependencies added, when there are
 * assets) as app_name at the root, the assets under assets/, env_json (may
 * be NULL) as env/env-vars.json.  Without force an existing path is left
 * alone (OTK_EEXIST).  The application must have passed the checks above.
 */
int otk_bundle_make(const char *path, const char *app_name, const uint8_t *app, size_t app_len,
		    const struct otk_asset_files *l, const char *env_json, bool force, char *err,
		    size_t errlen);

#endif

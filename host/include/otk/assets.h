/*
 * Asset OTA on the host: asset dependencies in an application module, asset
 * modules, and the platforms' asset storage limits.  Byte-compatible with
 * binary-version-reader (updateModuleAssetDependencies, createAssetModule,
 * validateAssetLimits); see docs/bundles.md for where we deliberately differ.
 *
 * Outputs are malloc'd and handed to the caller; nothing is allocated on
 * failure.
 */
#ifndef OTK_ASSETS_H
#define OTK_ASSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/module.h"
#include "otk/platform.h"

/* Device OS 5.5.0: the first release that knows about assets. */
#define OTK_ASSET_MIN_DOS_VERSION 5500u
/* A suffix or prefix extension length is a u16 including its header and the
 * 38 bytes of hash: a name longer than this cannot be encoded. */
#define OTK_ASSET_NAME_MAX (65535u - 4u - 2u - OTK_SHA256_LEN)

/* One asset dependency: a name (UTF-8, not NUL-terminated) and its hash. */
struct otk_asset_ref {
	const char *name;
	size_t name_len;
	uint8_t hash[OTK_SHA256_LEN];
};

/*
 * The hash an application must declare for a file: the HASH extension when
 * the file is itself a valid asset module (function 9, CRC correct), else
 * SHA-256 of the bytes.
 */
void otk_asset_hash(const uint8_t *data, size_t len, uint8_t hash[OTK_SHA256_LEN]);

/*
 * Replace the ASSET_DEPENDENCY extensions of an uncompressed, uncombined
 * module with `assets` (in that order).  On suffix platforms the new
 * dependencies go first in the suffix; on grows-left platforms (or when the
 * module already has prefix extensions) they go last in the prefix, which
 * moves the start address left to an 8-byte boundary.  n == 0 removes all
 * asset dependencies (strip).  SHA-256 and CRC-32 are recomputed.
 *
 * Errors: parse errors, OTK_EUNSUPPORTED (compressed, combined, unknown
 * platform, prefix extensions on a module with a vector table), OTK_EINVAL
 * (file size does not match the prefix, prefix found only by a low-confidence
 * search, bad name, asset dependencies in the
 * suffix of a module whose dependencies belong in the prefix), OTK_ETOOBIG (suffix over
 * 65535 bytes), OTK_ERANGE (result above the platform's module size limit;
 * *limit gets the limit when not NULL and *out_len the size the result would
 * have had, *out is not set).
 */
int otk_assets_set_deps(const uint8_t *in, size_t len, const struct otk_asset_ref *assets,
			size_t n, uint8_t **out, size_t *out_len, uint32_t *limit);

/*
 * Asset dependencies of a parsed module, in order; calls fn for each and
 * stops when it returns non-zero.  Returns the number seen or OTK_EBADEXT.
 */
typedef int (*otk_asset_dep_fn)(void *ctx, const struct otk_ext_asset *a);
int otk_assets_list(const struct otk_module *m, otk_asset_dep_fn fn, void *ctx);

/*
 * Build an asset module for raw data named `name`: prefix with function 9
 * and DROP_MODULE_INFO, suffix HASH, NAME, ASSET_TYPE (when type != 0),
 * PRODUCT_DATA; compressed (deflate level 6) unless compress is false.
 */
int otk_asset_module_create(const uint8_t *data, size_t len, const char *name, uint8_t type,
			    bool compress, uint8_t **out, size_t *out_len);

/* One asset measured against a platform's limits. */
struct otk_asset_size {
	const char *name;
	size_t original_size;
	size_t module_size;     /* compressed asset module */
	size_t storage_size;    /* overhead + blocks * block size */
};

struct otk_asset_limit_report {
	uint32_t max_single;       /* reference: max single asset module size */
	uint32_t max_total;        /* reference: block size * (blocks - reserved) */
	uint32_t device_single;    /* device: asset module over this is rejected */
	uint64_t total;            /* sum of storage sizes */
	size_t first_over_single;  /* index of the first asset over max_single, or n */
	bool over_total;
};

/* Storage size of one asset module as the reference tool computes it. */
size_t otk_asset_storage_size(const struct otk_asset_limits *l, size_t module_size);

/*
 * What the device enforces (docs/bundles.md): the largest asset module it
 * accepts at update start, 0 when unknown.
 */
uint32_t otk_asset_device_max(const struct otk_platform *p);

/*
 * Measure assets (their module_size filled in) against platform limits;
 * fills storage_size and the report.  `strict` applies the device's single
 * asset limit in place of the reference tool's when that is lower.
 * Returns OTK_OK when everything fits, OTK_ERANGE when something does not,
 * OTK_EUNSUPPORTED when the platform has no asset storage.
 */
int otk_assets_check_limits(const struct otk_platform *p, struct otk_asset_size *a, size_t n,
			    bool strict, struct otk_asset_limit_report *r);

/*
 * True for directory entries the reference CLI leaves out of a bundle's
 * assets: dotfiles, .DS_Store, Thumbs.db, desktop.ini and __MACOSX.
 */
bool otk_asset_name_skipped(const char *name);

#endif

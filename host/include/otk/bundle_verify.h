/*
 * A bundle's assets checked against the asset dependencies of its
 * application: each dependency must be in the bundle under its name with a
 * matching hash, and each asset must be depended on.  One check for every
 * program that takes bundles (`otakit bundle verify/unpack`, otakitd's
 * firmware uploads); each caller decides how to report the result.
 */
#ifndef OTK_BUNDLE_VERIFY_H
#define OTK_BUNDLE_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "otk/bundle.h"
#include "otk/module.h"

enum otk_asset_status {
	OTK_ASSET_OK,             /* depended on, present, hash matches */
	OTK_ASSET_MISSING,        /* depended on, not in the bundle */
	OTK_ASSET_HASH_MISMATCH,  /* in the bundle with another hash */
	OTK_ASSET_EXTRA,          /* in the bundle, not depended on */
	OTK_ASSET_BAD_EXTENSION,  /* the dependency extensions do not parse (no name) */
};

struct otk_asset_check {
	enum otk_asset_status status;
	char *name;               /* the asset's name (malloc'd), NULL for BAD_EXTENSION */
	size_t entry;             /* index into the bundle's assets, SIZE_MAX when missing */
	char want[65];            /* hash the application declares (hex), "" for EXTRA */
	char have[65];            /* hash of the asset present (hex), "" when missing */
	char *message;            /* "FILE: problem", NULL for OK (malloc'd) */
};

struct otk_bundle_verify {
	struct otk_asset_check *v; /* dependencies in the application's order, then the
				    * malformed extension (if so), then extra assets */
	size_t n;
	size_t ndeps;              /* dependencies the application declares */
	unsigned problems;         /* entries that are not OK */
};

/*
 * Check b's assets against app (b's application, parsed); file names the
 * bundle in messages.  An asset is matched by otk_asset_hash(): the SHA-256
 * of its bytes, or, when the file is itself a valid asset module, the HASH
 * extension inside it (spec 02), as devices, the cloud and `otakit bundle`
 * do.  OTK_OK when every entry is OK, OTK_EINVAL when some
 * are not (r lists them), OTK_ENOMEM.  Release r with otk_bundle_verify_free()
 * whatever is returned.
 */
int otk_bundle_verify_assets(const struct otk_bundle *b, const struct otk_module *app,
			     const char *file, struct otk_bundle_verify *r);

/* The first entry that is not OK, or NULL. */
const struct otk_asset_check *otk_bundle_verify_first_problem(const struct otk_bundle_verify *r);

void otk_bundle_verify_free(struct otk_bundle_verify *r);

#endif

/*
 * Reading Asset OTA bundles (.zip): the application at the root and the
 * assets under assets/.  Entry names are checked (no absolute paths, no
 * "..", no duplicates) and inflated sizes are capped, so a hostile zip
 * cannot escape a directory or exhaust memory.
 */
#ifndef OTK_BUNDLE_H
#define OTK_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/limits.h"

#define OTK_BUNDLE_ENTRY_MAX OTK_LIMIT_BUNDLE_ENTRY
#define OTK_BUNDLE_TOTAL_MAX OTK_LIMIT_BUNDLE_TOTAL

struct otk_bundle_entry {
	char *name;           /* entry name in the zip ("app.bin", "assets/cat.txt") */
	const char *base;     /* points into name: the file name without directories */
	uint8_t *data;
	size_t len;
};

struct otk_bundle {
	struct otk_bundle_entry app;       /* data NULL when there is no root .bin */
	struct otk_bundle_entry *assets;
	size_t nassets;
	struct otk_bundle_entry env;       /* env.json or env/NAME.json, data NULL when absent */
	struct otk_bundle_entry *others;   /* anything else, reported not used */
	size_t nothers;
	unsigned napps;                    /* root-level .bin entries seen */
};

/*
 * Read a bundle.  On failure returns a negative code and writes a message
 * into err (never NULL-terminated beyond errlen); *b is left empty.  path
 * "-" is standard input; a pipe, FIFO or device (also /dev/stdin) is read
 * into memory first, up to OTK_LIMIT_BUNDLE_ZIP bytes (OTK_ETOOBIG beyond).
 */
int otk_bundle_read(const char *path, struct otk_bundle *b, char *err, size_t errlen);

/* The same for a zip already in memory (buf stays the caller's). */
int otk_bundle_read_buffer(const uint8_t *buf, size_t len, struct otk_bundle *b, char *err,
			   size_t errlen);
void otk_bundle_free(struct otk_bundle *b);

/* How a bundle's assets fit the asset storage of the application's platform. */
struct otk_bundle_fit {
	const char *over_single;   /* first asset over the single limit (points into b), or NULL */
	size_t module_size;        /* that asset's compressed module size */
	uint32_t single_limit;     /* limit applied to single assets */
	uint64_t total;            /* storage the assets take (4 KB blocks) */
	uint32_t total_limit;
	bool over_total;
};

/*
 * Measure every asset of b as its compressed asset module against the
 * limits of platform_id, as binary-version-reader's validateAssetLimits does
 * (strict: also the device's lower single-asset limit).  OTK_OK when all
 * fits, OTK_ERANGE when not, OTK_EUNSUPPORTED for a platform without asset
 * storage, other codes when an asset module cannot be built.
 */
int otk_bundle_check_fit(const struct otk_bundle *b, uint16_t platform_id, bool strict,
			 struct otk_bundle_fit *f);

/* An entry name that stays inside the folder it is unpacked to: relative, no
 * "." or ".." segment, no backslash, not empty. */
bool otk_bundle_name_is_safe(const char *name);

/* One file to put in a bundle: its full entry name ("app.bin", "assets/x"). */
struct otk_bundle_item {
	const char *name;
	const uint8_t *data;
	size_t len;
};

/*
 * Write a bundle .zip with the items in order, deflated at level 9 (as the
 * reference tool does), no directory entries.  The zip is built in memory and
 * written atomically: without force an existing path is left alone
 * (OTK_EEXIST), and a failure leaves nothing behind.  Entry names are checked
 * like otk_bundle_read() checks them (OTK_EINVAL, message in err), and so are
 * its limits (otk/limits.h): OTK_ETOOBIG for an entry over
 * OTK_LIMIT_BUNDLE_ENTRY, entries over OTK_LIMIT_BUNDLE_TOTAL together, or a
 * zip over OTK_LIMIT_BUNDLE_ZIP.
 */
int otk_bundle_write(const char *path, const struct otk_bundle_item *items, size_t n, bool force,
		     char *err, size_t errlen);

#endif

/*
 * Descriptions of modules and Asset OTA bundles as JSON trees (jansson):
 * every fact `otakit binary inspect` shows, for any program that needs them
 * (the CLI prints them; the OTA service serves them).  docs/cli.md ("binary
 * inspect") lists what they hold; `otakit binary inspect --json` shows them.
 */
#ifndef OTK_DESCRIBE_H
#define OTK_DESCRIBE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The modules of buf (one, or each part of a combined module), as an array
 * of objects.  *valid is set false when any part is invalid (it is never set
 * true, so one flag can gather several calls).  The caller owns the result.
 */
json_t *otk_describe_modules(const uint8_t *buf, size_t len, bool *valid);

/*
 * The bundle at path: its application (as otk_describe_modules()), every
 * asset checked against the application's dependencies, the platform's
 * limits, and "problems".  Sets *valid false on any problem.
 */
json_t *otk_describe_bundle(const char *path, bool *valid);

/*
 * One file, module or bundle (a zip by its magic or .zip name): an object
 * with "file", "valid" and the description.  A file that cannot be read
 * gets "error" ("cannot read: REASON") and, when the operating system said
 * why, "errno" and "reason" (strerror).  *valid says whether all is well.
 */
json_t *otk_describe_file(const char *path, bool *valid);

#endif

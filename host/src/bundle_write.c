/*
 * Writing Asset OTA bundles: a zip built in memory with libzip (deflate level
 * 9 like the reference tool's archiver) and handed to otk_file_write(), so
 * the output appears whole or not at all and is never clobbered without
 * force.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "otk/bundle.h"
#include "otk/error.h"
#include "otk/file.h"

/* Runs the zip in memory; on success *out is malloc'd. */
static int build_zip(const struct otk_bundle_item *items, size_t n, uint8_t **out, size_t *out_len,
		     char *err, size_t errlen)
{
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *mem = zip_source_buffer_create(NULL, 0, 0, &ze);
	if (!mem) {
		snprintf(err, errlen, "cannot create zip: %s", zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return OTK_ENOMEM;
	}
	zip_t *z = zip_open_from_source(mem, ZIP_TRUNCATE, &ze);
	if (!z) {
		snprintf(err, errlen, "cannot create zip: %s", zip_error_strerror(&ze));
		zip_error_fini(&ze);
		zip_source_free(mem);
		return OTK_ENOMEM;
	}
	zip_error_fini(&ze);
	zip_source_keep(mem);
	for (size_t i = 0; i < n; i++) {
		zip_source_t *s = zip_source_buffer(z, items[i].data, items[i].len, 0);
		zip_int64_t idx = s ? zip_file_add(z, items[i].name, s, ZIP_FL_ENC_UTF_8) : -1;
		if (idx < 0) {
			snprintf(err, errlen, "cannot add '%s' to the zip: %s", items[i].name,
				 zip_strerror(z));
			zip_source_free(s);
			zip_discard(z);
			zip_source_free(mem);
			return OTK_EIO;
		}
		zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_DEFLATE, 9);
	}
	if (zip_close(z) < 0) {
		snprintf(err, errlen, "cannot write the zip: %s", zip_strerror(z));
		zip_discard(z);
		zip_source_free(mem);
		return OTK_EIO;
	}
	int rc = OTK_EIO;
	zip_stat_t st;
	if (zip_source_stat(mem, &st) == 0 && (st.valid & ZIP_STAT_SIZE) && zip_source_open(mem) == 0) {
		uint8_t *buf = malloc(st.size ? (size_t)st.size : 1);
		if (!buf) {
			rc = OTK_ENOMEM;
		} else if (zip_source_read(mem, buf, st.size) == (zip_int64_t)st.size) {
			*out = buf;
			*out_len = (size_t)st.size;
			rc = OTK_OK;
		} else {
			free(buf);
		}
		zip_source_close(mem);
	}
	zip_source_free(mem);
	if (rc < 0)
		snprintf(err, errlen, "cannot read back the zip built in memory");
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int otk_bundle_write(const char *path, const struct otk_bundle_item *items, size_t n, bool force,
		     char *err, size_t errlen)
{
	/* The limits otk_bundle_read() applies, checked before anything is built. */
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if (items[i].len > OTK_LIMIT_BUNDLE_ENTRY) {
			snprintf(err, errlen, "entry '%s' is %zu bytes, over the %u MiB a bundle entry "
				 "may hold", items[i].name, items[i].len, OTK_LIMIT_BUNDLE_ENTRY >> 20);
			return OTK_ETOOBIG;
		}
		total += items[i].len;
	}
	if (total > OTK_LIMIT_BUNDLE_TOTAL) {
		snprintf(err, errlen, "the entries hold %llu bytes, over the %u MiB a bundle may hold",
			 (unsigned long long)total, OTK_LIMIT_BUNDLE_TOTAL >> 20);
		return OTK_ETOOBIG;
	}
	for (size_t i = 0; i < n; i++) {
		if (!otk_bundle_name_is_safe(items[i].name)) {
			snprintf(err, errlen, "unsafe entry name '%s'", items[i].name);
			return OTK_EINVAL;
		}
	}
	/* Duplicates sort next to each other: O(n log n) for many entries. */
	const char **names = malloc((n ? n : 1) * sizeof *names);
	if (!names) {
		snprintf(err, errlen, "out of memory");
		return OTK_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		names[i] = items[i].name;
	qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(names[i - 1], names[i]) == 0) {
			snprintf(err, errlen, "duplicate entry '%s'", names[i]);
			free(names);
			return OTK_EINVAL;
		}
	}
	free(names);
	if (!force && otk_file_exists(path)) {
		snprintf(err, errlen, "already exists (use --force to replace it)");
		return OTK_EEXIST;
	}
	uint8_t *zip;
	size_t len;
	int rc = build_zip(items, n, &zip, &len, err, errlen);
	if (rc < 0)
		return rc;
	if (len > OTK_LIMIT_BUNDLE_ZIP) {
		snprintf(err, errlen, "the zip would be %zu bytes, over the %u MiB a bundle may take",
			 len, OTK_LIMIT_BUNDLE_ZIP >> 20);
		free(zip);
		return OTK_ETOOBIG;
	}
	rc = otk_file_write(path, zip, len, force);
	free(zip);
	if (rc == OTK_EEXIST)
		snprintf(err, errlen, "already exists (use --force to replace it)");
	else if (rc < 0)
		snprintf(err, errlen, "cannot write: %s",
			 rc == OTK_EIO ? strerror(errno) : otk_strerror(rc));
	return rc;
}

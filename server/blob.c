#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "otk/error.h"
#include "otk/file.h"
#include "otk/sha256.h"

#include "blob.h"

void otkd_sha256_hex(const uint8_t *data, size_t len, char hex[65])
{
	uint8_t h[OTK_SHA256_LEN];
	otk_sha256(data, len, h);
	for (size_t i = 0; i < OTK_SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
}

char *otkd_blob_path(const char *root, const char *hex)
{
	if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64)
		return NULL;
	char *p = NULL;
	if (asprintf(&p, "%s/blobs/%.2s/%s", root, hex, hex) < 0)
		return NULL;
	return p;
}

int otkd_blob_put(const char *root, const uint8_t *data, size_t len, char hex[65])
{
	otkd_sha256_hex(data, len, hex);
	char *dir = NULL;
	if (asprintf(&dir, "%s/blobs/%.2s", root, hex) < 0)
		return OTK_ENOMEM;
	int rc = OTK_OK;
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		rc = OTK_EIO;
	free(dir);
	char *path = rc == OTK_OK ? otkd_blob_path(root, hex) : NULL;
	if (rc == OTK_OK && !path)
		rc = OTK_ENOMEM;
	if (rc == OTK_OK) {
		/* Same name, same bytes: a blob already there is kept as it is. */
		rc = otk_file_write(path, data, len, false);
		if (rc == OTK_EEXIST)
			rc = OTK_OK;
	}
	free(path);
	return rc;
}

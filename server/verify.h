/*
 * Verification of a product firmware upload, all of it before anything is
 * stored: a .bin must be one whole user part with a good CRC and SHA-256,
 * built for the product's platform, with the product id and version in its
 * suffix equal to the product and the version field, within the platform's
 * user part size, and newer than every version already there.  A bundle
 * (.zip) must pass the host library's bundle reader (which refuses hostile
 * archives), hold exactly one such app, exactly the assets the app depends
 * on (name and hash) and fit the platform's asset storage.
 */
#ifndef OTKD_VERIFY_H
#define OTKD_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/bundle.h"

struct otkd_fw_expect {
	const char *filename;     /* the upload's file name, for messages */
	uint16_t platform_id;
	uint16_t product_id;
	uint32_t version;         /* the version field of the request */
	uint32_t max_existing;    /* highest version already stored, 0 when none */
	const char *tmpdir;       /* where a bundle may be written to be read */
};

struct otkd_fw_verified {
	bool is_bundle;
	const uint8_t *app;       /* the application module (into the upload or the bundle) */
	size_t app_len;
	struct otk_bundle bundle; /* the bundle's entries when is_bundle */
};

/*
 * OTK_OK when the upload holds; otherwise a negative code and err gets a
 * message naming the file and the problem.  out is valid (and must be
 * released with otkd_fw_verified_free) on success only.
 */
int otkd_firmware_verify(const uint8_t *data, size_t len, const struct otkd_fw_expect *e,
			 struct otkd_fw_verified *out, char *err, size_t errlen);
void otkd_fw_verified_free(struct otkd_fw_verified *v);

#endif

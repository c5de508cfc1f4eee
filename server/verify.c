#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otk/assets.h"
#include "otk/bundle_verify.h"
#include "otk/error.h"
#include "otk/module.h"
#include "otk/platform.h"
#include "otk/sha256.h"

#include "blob.h"
#include "store.h"
#include "verify.h"

static void hex(const uint8_t *h, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* The checks of one application module; label names it in messages. */
static int check_app(const char *label, const uint8_t *buf, size_t len,
		     const struct otkd_fw_expect *e, char *err, size_t errlen)
{
	struct otk_module m;
	int rc = otk_module_parse(buf, len, &m);
	if (rc < 0) {
		snprintf(err, errlen, "%s: not a firmware module: %s", label, otk_strerror(rc));
		return rc;
	}
	if (m.size != len) {
		snprintf(err, errlen, "%s: not a single module: file is %zu bytes but its prefix "
			 "says %u", label, len, m.size);
		return OTK_EINVAL;
	}
	uint32_t crc = otk_module_crc_compute(&m);
	if (crc != m.crc_stored) {
		snprintf(err, errlen, "%s: CRC mismatch (stored %08x, computed %08x)", label,
			 m.crc_stored, crc);
		return OTK_ECRC;
	}
	uint8_t sha[OTK_SHA256_LEN];
	if (otk_module_sha_check(&m, sha) == OTK_SHA_OTHER) {
		char have[65], want[65];
		hex(m.sha_stored, OTK_SHA256_LEN, have);
		hex(sha, OTK_SHA256_LEN, want);
		snprintf(err, errlen, "%s: SHA-256 mismatch (stored %s, computed %s)", label, have,
			 want);
		return OTK_ESHA;
	}
	if (m.prefix.function != OTK_FUNC_USER) {
		snprintf(err, errlen, "%s: not an application: module function is %s", label,
			 otk_function_name(m.prefix.function));
		return OTK_EINVAL;
	}
	uint16_t plat_id = e->platform_id ? e->platform_id : m.prefix.platform;
	if (m.prefix.platform != plat_id) {
		const struct otk_platform *have = otk_platform_by_id(m.prefix.platform);
		const struct otk_platform *want = otk_platform_by_id(plat_id);
		snprintf(err, errlen, "%s: built for platform %u (%s) but the %s's platform "
			 "is %u (%s)", label, m.prefix.platform, have ? have->name : "unknown",
			 e->any_product ? "device" : "product", plat_id, want ? want->name : "unknown");
		return OTK_EUPD_PLATFORM;
	}
	if (!otk_platform_by_id(plat_id)) {
		snprintf(err, errlen, "%s: built for unknown platform %u", label, plat_id);
		return OTK_EUPD_PLATFORM;
	}
	/* One device's flash: any product data will do. */
	if (!e->any_product && !m.has_product) {
		snprintf(err, errlen, "%s: no product id and version in the module suffix", label);
		return OTK_EINVAL;
	}
	if (!e->any_product && m.product_id != e->product_id) {
		snprintf(err, errlen, "%s: product id in the module is %u, not this product's %u",
			 label, m.product_id, e->product_id);
		return OTK_EINVAL;
	}
	if (!e->any_product && m.product_version != e->version) {
		snprintf(err, errlen, "%s: product version in the module is %u but the version "
			 "field is %u", label, m.product_version, e->version);
		return OTK_EINVAL;
	}
	const struct otk_platform *plat = otk_platform_by_id(plat_id);
	uint32_t max = plat ? otk_platform_user_max_size(plat) : 0;
	if (max && len > max) {
		snprintf(err, errlen, "%s: %zu bytes, over the %s user part limit of %u bytes",
			 label, len, plat->name, max);
		return OTK_ETOOBIG;
	}
	return OTK_OK;
}

static int check_bundle(const uint8_t *data, size_t len, const struct otkd_fw_expect *e,
			struct otkd_fw_verified *out, char *err, size_t errlen)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/upload-XXXXXX", e->tmpdir);
	int fd = mkstemp(path);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot keep the upload to read it", e->filename);
		return OTK_EIO;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(fd);
	char msg[512];
	int rc = off == len ? otk_bundle_read(path, &out->bundle, msg, sizeof msg) : OTK_EIO;
	unlink(path);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", e->filename, off == len ? msg : "cannot write it");
		return rc;
	}
	const struct otk_bundle *b = &out->bundle;
	if (!b->app.data) {
		snprintf(err, errlen, "%s: no application .bin at the root of the bundle", e->filename);
		return OTK_EINVAL;
	}
	if (b->napps > 1) {
		snprintf(err, errlen, "%s: more than one application .bin at the root of the bundle",
			 e->filename);
		return OTK_EINVAL;
	}
	if (b->nothers) {
		snprintf(err, errlen, "%s: unexpected entry %s", e->filename, b->others[0].name);
		return OTK_EINVAL;
	}
	char label[600];
	snprintf(label, sizeof label, "%s: %s", e->filename, b->app.name);
	rc = check_app(label, b->app.data, b->app.len, e, err, errlen);
	if (rc < 0)
		return rc;
	struct otk_module m;
	otk_module_parse(b->app.data, b->app.len, &m);
	struct otk_bundle_verify r;
	rc = otk_bundle_verify_assets(b, &m, e->filename, &r);
	const struct otk_asset_check *p = otk_bundle_verify_first_problem(&r);
	if (rc != OTK_ENOMEM && p && p->message)
		snprintf(err, errlen, "%s", p->message);
	else if (rc == OTK_ENOMEM)
		snprintf(err, errlen, "%s: out of memory", e->filename);
	if (p && p->status == OTK_ASSET_BAD_EXTENSION)
		rc = OTK_EBADEXT;
	otk_bundle_verify_free(&r);
	if (rc < 0)
		return rc;
	if (b->nassets) {
		struct otk_bundle_fit fit;
		rc = otk_bundle_check_fit(b, m.prefix.platform, true, &fit);
		if (rc == OTK_ERANGE && fit.over_single) {
			snprintf(err, errlen, "%s: asset %s is %zu bytes as a compressed asset module, "
				 "over the single asset limit of %u bytes", e->filename,
				 fit.over_single, fit.module_size, fit.single_limit);
			return rc;
		}
		if (rc == OTK_ERANGE) {
			snprintf(err, errlen, "%s: the assets need %llu bytes of asset storage, %u "
				 "available", e->filename, (unsigned long long)fit.total,
				 fit.total_limit);
			return rc;
		}
		if (rc == OTK_EUNSUPPORTED) {
			snprintf(err, errlen, "%s: platform %u has no asset storage", e->filename,
				 m.prefix.platform);
			return rc;
		}
		if (rc < 0) {
			snprintf(err, errlen, "%s: cannot measure the assets: %s", e->filename,
				 otk_strerror(rc));
			return rc;
		}
	}
	out->app = b->app.data;
	out->app_len = b->app.len;
	return OTK_OK;
}

static bool is_zip(const uint8_t *data, size_t len, const char *name)
{
	size_t nl = strlen(name);
	return (len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0) ||
	       (len >= 4 && memcmp(data, "PK\x05\x06", 4) == 0) ||
	       (nl > 4 && strcmp(name + nl - 4, ".zip") == 0);
}

int otkd_firmware_verify(const uint8_t *data, size_t len, const struct otkd_fw_expect *e,
			 struct otkd_fw_verified *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (e->any_product) {
		/* no version rules for one device's flash */
	} else if (e->version == 0 || e->version > 65535) {
		snprintf(err, errlen, "%s: version %u is outside 1..65535", e->filename, e->version);
		return OTK_ERANGE;
	}
	if (!e->any_product && e->version <= e->max_existing) {
		snprintf(err, errlen, "%s: version %u is not higher than the existing version %u",
			 e->filename, e->version, e->max_existing);
		return OTK_ERANGE;
	}
	int rc;
	if (is_zip(data, len, e->filename)) {
		out->is_bundle = true;
		rc = check_bundle(data, len, e, out, err, errlen);
	} else {
		rc = check_app(e->filename, data, len, e, err, errlen);
		out->app = data;
		out->app_len = len;
	}
	if (rc < 0)
		otkd_fw_verified_free(out);
	return rc;
}

void otkd_fw_verified_free(struct otkd_fw_verified *v)
{
	if (v->is_bundle)
		otk_bundle_free(&v->bundle);
	memset(v, 0, sizeof *v);
}

int otkd_fw_put_blobs(const char *root, const uint8_t *file, size_t len,
		      const struct otkd_fw_verified *v, char file_sha[65], char app_sha[65],
		      struct otkd_asset **assets, size_t *nassets)
{
	int rc = otkd_blob_put(root, file, len, file_sha);
	if (rc == OTK_OK)
		rc = otkd_blob_put(root, v->app, v->app_len, app_sha);
	*assets = NULL;
	*nassets = 0;
	if (rc < 0 || !v->is_bundle)
		return rc;
	*assets = calloc(v->bundle.nassets + 1, sizeof **assets);
	if (!*assets)
		return OTK_ENOMEM;
	for (size_t i = 0; rc == OTK_OK && i < v->bundle.nassets; i++) {
		const struct otk_bundle_entry *x = &v->bundle.assets[i];
		struct otkd_asset *a = &(*assets)[i];
		snprintf(a->name, sizeof a->name, "%s", x->base);
		a->size = x->len;
		rc = otkd_blob_put(root, x->data, x->len, a->sha256);
		/* Raw assets are blobs by their SHA-256; the hash devices match on is
		 * the one the app declares (an asset module's own HASH). */
		uint8_t h[OTK_SHA256_LEN];
		otk_asset_hash(x->data, x->len, h);
		hex(h, OTK_SHA256_LEN, a->sha256);
		(*nassets)++;
	}
	return rc;
}

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otk/assets.h"
#include "otk/error.h"
#include "otk/module.h"
#include "otk/platform.h"
#include "otk/sha256.h"

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
	if (m.prefix.platform != e->platform_id) {
		const struct otk_platform *have = otk_platform_by_id(m.prefix.platform);
		const struct otk_platform *want = otk_platform_by_id(e->platform_id);
		snprintf(err, errlen, "%s: built for platform %u (%s) but the product's platform "
			 "is %u (%s)", label, m.prefix.platform, have ? have->name : "unknown",
			 e->platform_id, want ? want->name : "unknown");
		return OTK_EUPD_PLATFORM;
	}
	if (!m.has_product) {
		snprintf(err, errlen, "%s: no product id and version in the module suffix", label);
		return OTK_EINVAL;
	}
	if (m.product_id != e->product_id) {
		snprintf(err, errlen, "%s: product id in the module is %u, not this product's %u",
			 label, m.product_id, e->product_id);
		return OTK_EINVAL;
	}
	if (m.product_version != e->version) {
		snprintf(err, errlen, "%s: product version in the module is %u but the version "
			 "field is %u", label, m.product_version, e->version);
		return OTK_EINVAL;
	}
	const struct otk_platform *plat = otk_platform_by_id(e->platform_id);
	uint32_t max = plat ? otk_platform_user_max_size(plat) : 0;
	if (max && len > max) {
		snprintf(err, errlen, "%s: %zu bytes, over the %s user part limit of %u bytes",
			 label, len, plat->name, max);
		return OTK_ETOOBIG;
	}
	return OTK_OK;
}

struct deps {
	const struct otk_bundle *b;
	bool *used;
	const char *file;
	char *err;
	size_t errlen;
	int rc;
};

static int check_dep(void *ctx, const struct otk_ext_asset *a)
{
	struct deps *d = ctx;
	char want[65];
	hex(a->hash, a->hash_len < 32 ? a->hash_len : 32, want);
	for (size_t k = 0; k < d->b->nassets; k++) {
		const struct otk_bundle_entry *x = &d->b->assets[k];
		if (strlen(x->base) != a->name_len || memcmp(x->base, a->name, a->name_len) != 0)
			continue;
		d->used[k] = true;
		uint8_t h[OTK_SHA256_LEN];
		otk_asset_hash(x->data, x->len, h);
		if (a->hash_len != OTK_SHA256_LEN || memcmp(h, a->hash, OTK_SHA256_LEN) != 0) {
			char have[65];
			hex(h, OTK_SHA256_LEN, have);
			snprintf(d->err, d->errlen, "%s: asset %.*s: hash does not match (the "
				 "application expects %s, the asset is %s)", d->file,
				 (int)a->name_len, a->name, want, have);
			d->rc = OTK_EINVAL;
			return 1;
		}
		return 0;
	}
	snprintf(d->err, d->errlen, "%s: missing asset %.*s (hash %s): the application depends "
		 "on it", d->file, (int)a->name_len, a->name, want);
	d->rc = OTK_EINVAL;
	return 1;
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
	struct deps d = { b, calloc(b->nassets + 1, sizeof(bool)), e->filename, err, errlen, 0 };
	if (!d.used)
		return OTK_ENOMEM;
	int n = otk_assets_list(&m, check_dep, &d);
	if (n < 0 && d.rc == 0) {
		snprintf(err, errlen, "%s: malformed asset dependency extension", label);
		d.rc = OTK_EBADEXT;
	}
	for (size_t k = 0; d.rc == 0 && k < b->nassets; k++) {
		if (!d.used[k]) {
			snprintf(err, errlen, "%s: extra asset %s: the application does not depend "
				 "on it", e->filename, b->assets[k].base);
			d.rc = OTK_EINVAL;
		}
	}
	free(d.used);
	if (d.rc < 0)
		return d.rc;
	if (b->nassets) {
		struct otk_bundle_fit fit;
		rc = otk_bundle_check_fit(b, e->platform_id, true, &fit);
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
				 e->platform_id);
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
	if (e->version == 0 || e->version > 65535) {
		snprintf(err, errlen, "%s: version %u is outside 1..65535", e->filename, e->version);
		return OTK_ERANGE;
	}
	if (e->version <= e->max_existing) {
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

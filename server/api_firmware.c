/* Product firmware: upload (verified before anything is stored), list, get,
 * edit, delete, download and release. */
#include <stdlib.h>
#include <string.h>

#include "otk/assets.h"
#include "otk/error.h"
#include "otk/file.h"

#include "api.h"
#include "blob.h"
#include "json_out.h"
#include "params.h"
#include "verify.h"

/* The version in the path; answers 400 itself when it is not one. */
static bool path_version(struct otkd_req *r, uint32_t *v, enum MHD_Result *res)
{
	const char *s = r->args[1];
	size_t n = strlen(s);
	unsigned long x = n && n <= 5 && strspn(s, "0123456789") == n ? strtoul(s, NULL, 10) : 0;
	if (x == 0 || x > 65535) {
		*res = otkd_reply_error(r, 400, "%s is not a firmware version (1..65535)", s);
		return false;
	}
	*v = (uint32_t)x;
	return true;
}

static bool get_version(struct otkd_req *r, struct otkd_firmware *f, enum MHD_Result *res)
{
	struct otkd_store *st = r->srv->store;
	uint32_t v;
	if (!path_version(r, &v, res))
		return false;
	int rc = st->ops->firmware_get(st, r->product.id, v, f);
	if (rc == OTK_ENOTFOUND)
		*res = otkd_reply_error(r, 404, "firmware version %u not found in product %lld", v,
					(long long)r->product.id);
	else if (rc < 0)
		*res = otkd_reply_store_error(r, rc);
	return rc == OTK_OK;
}

enum MHD_Result otkd_api_firmware_list(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	struct otkd_firmware *f;
	size_t n;
	int rc = st->ops->firmware_list(st, r->product.id, &f, &n);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, otkd_json_firmware(&f[i]));
	free(f);
	return otkd_reply_json(r, 200, a);
}

/* Stores the upload's blobs: the file, the app, each asset. */
static int put_blobs(struct otkd_req *r, const struct otkd_fw_verified *v,
		     struct otkd_firmware *f, struct otkd_asset **assets, size_t *nassets)
{
	const char *root = r->srv->cfg.data_dir;
	int rc = otkd_blob_put(root, r->file, r->file_len, f->sha256);
	if (rc == OTK_OK)
		rc = otkd_blob_put(root, v->app, v->app_len, f->app_sha256);
	*assets = NULL;
	*nassets = 0;
	if (rc < 0 || !v->is_bundle)
		return rc;
	*assets = calloc(v->bundle.nassets + 1, sizeof **assets);
	if (!*assets)
		return OTK_ENOMEM;
	for (size_t i = 0; rc == OTK_OK && i < v->bundle.nassets; i++) {
		const struct otk_bundle_entry *e = &v->bundle.assets[i];
		struct otkd_asset *a = &(*assets)[i];
		snprintf(a->name, sizeof a->name, "%s", e->base);
		a->size = e->len;
		rc = otkd_blob_put(root, e->data, e->len, a->sha256);
		/* The hash devices match on is the one the app declares. */
		uint8_t h[32];
		otk_asset_hash(e->data, e->len, h);
		for (size_t k = 0; k < 32; k++)
			snprintf(a->sha256 + 2 * k, 3, "%02x", h[k]);
		(*nassets)++;
	}
	return rc;
}

/* The upload's file name as we keep and show it: the last path segment,
 * characters other than letters, digits, '.', '-', '_' as '_'. */
static void safe_name(const char *in, char *out, size_t cap)
{
	const char *base = in ? otk_path_basename(in) : "";
	size_t i = 0;
	for (; base[i] && i + 1 < cap; i++) {
		char c = base[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '.' || c == '-' || c == '_';
		out[i] = ok ? c : '_';
	}
	out[i] = '\0';
	if (i == 0)
		snprintf(out, cap, "firmware.bin");
}

enum MHD_Result otkd_api_firmware_upload(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	if (!r->file)
		return otkd_reply_error(r, 400, "no firmware file: send it as a multipart file part");
	char fname[OTKD_NAME_MAX];
	safe_name(r->file_name, fname, sizeof fname);
	uint64_t version;
	int rc = otkd_param_uint(r->params, "version", 65535, &version);
	if (rc == OTK_ENOTFOUND)
		return otkd_reply_error(r, 400, "%s: version is required", fname);
	if (rc < 0 || version == 0)
		return otkd_reply_error(r, 400, "%s: version must be a number from 1 to 65535", fname);
	const char *title = NULL, *desc = "";
	if (otkd_param_str(r->params, "title", &title) != OTK_OK || !*title)
		return otkd_reply_error(r, 400, "%s: title is required", fname);
	if (strlen(title) >= OTKD_NAME_MAX)
		return otkd_reply_error(r, 400, "%s: title is longer than %d bytes", fname,
					OTKD_NAME_MAX - 1);
	if (otkd_param_str(r->params, "description", &desc) == OTK_EINVAL ||
	    strlen(desc) >= OTKD_TEXT_MAX)
		return otkd_reply_error(r, 400, "%s: description must be text under %d bytes", fname,
					OTKD_TEXT_MAX);
	uint32_t max = 0;
	rc = st->ops->firmware_max_version(st, r->product.id, &max);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	struct otkd_fw_expect e = {
		.filename = fname,
		.platform_id = r->product.platform_id,
		.product_id = (uint16_t)r->product.id,
		.version = (uint32_t)version,
		.max_existing = max,
		.tmpdir = r->srv->tmp_dir,
	};
	if (r->product.id > 65535)
		return otkd_reply_error(r, 400, "product id %lld does not fit a module's suffix",
					(long long)r->product.id);
	struct otkd_fw_verified v;
	char err[1024];
	rc = otkd_firmware_verify(r->file, r->file_len, &e, &v, err, sizeof err);
	if (rc < 0)
		return otkd_reply_error(r, 400, "%s", err);
	struct otkd_firmware f = {
		.product_id = r->product.id,
		.version = (uint32_t)version,
		.size = r->file_len,
		.app_size = v.app_len,
		.is_bundle = v.is_bundle,
		.uploaded_at = (int64_t)time(NULL),
		.uploaded_by = r->token.user_id,
	};
	snprintf(f.title, sizeof f.title, "%s", title);
	snprintf(f.description, sizeof f.description, "%s", desc);
	snprintf(f.filename, sizeof f.filename, "%s", fname);
	/* particle-api-js names every upload firmware.bin: a bundle keeps .zip. */
	size_t fl = strlen(f.filename);
	if (v.is_bundle && (fl < 4 || strcmp(f.filename + fl - 4, ".zip") != 0)) {
		char *dot = strrchr(f.filename, '.');
		if (dot)
			*dot = '\0';
		size_t keep = strlen(f.filename);
		if (keep > sizeof f.filename - 5)
			keep = sizeof f.filename - 5;
		memcpy(f.filename + keep, ".zip", 5);
	}
	struct otkd_asset *assets;
	size_t nassets;
	/* Blobs first, then the row: a crash between leaves an unreferenced
	 * blob, never a row without its file. */
	rc = put_blobs(r, &v, &f, &assets, &nassets);
	otkd_fw_verified_free(&v);
	if (rc == OTK_OK)
		rc = st->ops->firmware_add(st, &f, assets, nassets);
	free(assets);
	if (rc == OTK_ERANGE || rc == OTK_EEXIST)
		return otkd_reply_error(r, 400, "%s: version %u is not higher than every existing "
					"version", fname, f.version);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	rc = st->ops->firmware_get(st, r->product.id, f.version, &f);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	return otkd_reply_json(r, 200, otkd_json_firmware(&f));
}

enum MHD_Result otkd_api_firmware_get(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	struct otkd_firmware f;
	enum MHD_Result res;
	if (!get_version(r, &f, &res))
		return res;
	struct otkd_asset *a;
	size_t n;
	int rc = st->ops->firmware_assets(st, r->product.id, f.version, &a, &n);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	json_t *o = otkd_json_firmware(&f);
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:I}", "name", a[i].name, "hash",
						     a[i].sha256, "size", (json_int_t)a[i].size));
	free(a);
	if (o)
		json_object_set_new(o, "assets", arr);
	else
		json_decref(arr);
	return otkd_reply_json(r, 200, o);
}

enum MHD_Result otkd_api_firmware_edit(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	struct otkd_firmware f;
	enum MHD_Result res;
	if (!get_version(r, &f, &res))
		return res;
	const char *title = NULL, *desc = NULL;
	if (otkd_param_str(r->params, "title", &title) == OTK_EINVAL ||
	    (title && (!*title || strlen(title) >= OTKD_NAME_MAX)))
		return otkd_reply_error(r, 400, "title must be text of 1 to %d bytes", OTKD_NAME_MAX - 1);
	if (otkd_param_str(r->params, "description", &desc) == OTK_EINVAL ||
	    (desc && strlen(desc) >= OTKD_TEXT_MAX))
		return otkd_reply_error(r, 400, "description must be text under %d bytes",
					OTKD_TEXT_MAX);
	int rc = st->ops->firmware_edit(st, r->product.id, f.version, title, desc);
	if (rc == OTK_OK)
		rc = st->ops->firmware_get(st, r->product.id, f.version, &f);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	return otkd_reply_json(r, 200, otkd_json_firmware(&f));
}

enum MHD_Result otkd_api_firmware_delete(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	struct otkd_firmware f;
	enum MHD_Result res;
	if (!get_version(r, &f, &res))
		return res;
	int rc = st->ops->firmware_delete(st, r->product.id, f.version);
	if (rc == OTK_ERANGE)
		return otkd_reply_error(r, 400, "firmware version %u has been released and cannot be "
					"deleted", f.version);
	if (rc < 0 && rc != OTK_ENOTFOUND)
		return otkd_reply_store_error(r, rc);
	return otkd_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

enum MHD_Result otkd_api_firmware_binary(struct otkd_req *r)
{
	struct otkd_firmware f;
	enum MHD_Result res;
	if (!get_version(r, &f, &res))
		return res;
	char *path = otkd_blob_path(r->srv->cfg.data_dir, f.sha256);
	if (!path)
		return otkd_reply_error(r, 500, "internal error: bad stored hash");
	res = otkd_reply_file(r, path, f.is_bundle ? "application/zip" : "application/octet-stream",
			      f.filename);
	free(path);
	return res;
}

enum MHD_Result otkd_api_firmware_release(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	struct otkd_release rel;
	char err[256];
	if (otkd_parse_release(r->params, &rel, err, sizeof err) < 0)
		return otkd_reply_error(r, 400, "%s", err);
	int rc = st->ops->firmware_release(st, r->product.id, &rel);
	free((void *)rel.groups);
	if (rc == OTK_ENOTFOUND)
		return otkd_reply_error(r, 404, "firmware version %u not found in product %lld",
					rel.version, (long long)r->product.id);
	if (rc == OTK_EINVAL)
		return otkd_reply_error(r, 400, "a group to release to does not exist in product %lld",
					(long long)r->product.id);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	struct otkd_firmware f;
	rc = st->ops->firmware_get(st, r->product.id, rel.version, &f);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	return otkd_reply_json(r, 200, otkd_json_firmware(&f));
}

/* A user's devices (/v1/devices) and key provisioning (/v1/provisioning). */
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"

#include "api.h"
#include "device_proto.h"
#include "json_out.h"
#include "keys.h"
#include "params.h"
#include "verify.h"

/* A device a token may see outside product paths: its user owns it, and a
 * product-bound token sees only that product's devices. */
static bool visible(const struct otkd_req *r, const struct otkd_device *d)
{
	return d->owner_id == r->token.user_id &&
	       (!r->token.product_id || d->product_id == r->token.product_id);
}

enum MHD_Result otkd_api_devices_list(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	struct otkd_device *d;
	size_t n;
	int rc = st->ops->device_list_owned(st, r->token.user_id, &d, &n);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (visible(r, &d[i]))
			json_array_append_new(a, otkd_json_device(&d[i]));
	free(d);
	return otkd_reply_json(r, 200, a);
}

/* Lowercases a device id into out; false when it is not 24 hex digits. */
static bool device_id(const char *in, char out[OTKD_DEVICE_ID_LEN + 1])
{
	size_t n = strlen(in);
	if (n != OTKD_DEVICE_ID_LEN)
		return false;
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'F' ? in[i] - 'A' + 'a' : in[i]);
	return otkd_device_id_valid(out);
}

/* The device named in the path, if the token may see it; 404 otherwise
 * (whether it exists is nobody else's business). */
static bool my_device(struct otkd_req *r, struct otkd_device *d, enum MHD_Result *res)
{
	struct otkd_store *st = r->srv->store;
	char id[OTKD_DEVICE_ID_LEN + 1];
	int rc = device_id(r->args[0], id) ? st->ops->device_get(st, id, d) : OTK_ENOTFOUND;
	if (rc == OTK_OK && !visible(r, d))
		rc = OTK_ENOTFOUND;
	if (rc == OTK_ENOTFOUND)
		*res = otkd_reply_error(r, 404, "device %s not found", r->args[0]);
	else if (rc < 0)
		*res = otkd_reply_store_error(r, rc);
	return rc == OTK_OK;
}

enum MHD_Result otkd_api_device_get(struct otkd_req *r)
{
	struct otkd_device d;
	enum MHD_Result res = MHD_NO;
	if (!my_device(r, &d, &res))
		return res;
	return otkd_reply_json(r, 200, otkd_json_device(&d));
}

/* Particle's device names: letters, digits, '_' and '-', up to 63. */
static bool name_valid(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 63 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/*
 * Flash one device: the file (a .bin application or a bundle) is verified
 * as a product upload is, without the product rules, for the device's
 * platform when the cloud knows it; then stored and queued for the device
 * protocol to deliver.  Particle's answer carries status (particle-cli
 * checks it).
 */
enum MHD_Result otkd_flash_device(struct otkd_req *r, const struct otkd_device *d)
{
	struct otkd_store *st = r->srv->store;
	char fname[OTKD_NAME_MAX];
	otkd_safe_filename(r->file_name, fname, sizeof fname);
	uint16_t platform = d->platform_id ? d->platform_id
					   : (r->has_product ? r->product.platform_id : 0);
	struct otkd_fw_expect e = { .filename = fname, .any_product = true,
				    .platform_id = platform, .tmpdir = r->srv->tmp_dir };
	struct otkd_fw_verified v;
	char err[1024];
	if (otkd_firmware_verify(r->file, r->file_len, &e, &v, err, sizeof err) < 0)
		return otkd_reply_error(r, 400, "%s", err);
	struct otkd_flash f = { .size = r->file_len, .is_bundle = v.is_bundle,
				.queued_at = (int64_t)time(NULL), .queued_by = r->token.user_id };
	snprintf(f.device_id, sizeof f.device_id, "%s", d->id);
	snprintf(f.filename, sizeof f.filename, "%s", fname);
	struct otkd_asset *assets;
	size_t n;
	int rc = otkd_fw_put_blobs(r->srv->cfg.data_dir, r->file, r->file_len, &v, f.sha256,
				   f.app_sha256, &assets, &n);
	otkd_fw_verified_free(&v);
	if (rc == OTK_OK)
		rc = st->ops->device_flash_add(st, &f, assets, n);
	if (rc == OTK_OK)
		otkd_proto_flash_queued();   /* an online device gets it now */
	free(assets);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	return otkd_reply_json(r, 200, json_pack("{s:s,s:s,s:s,s:I}", "id", d->id, "status",
						 "Update queued", "message", "The firmware is stored "
						 "and goes to the device when it connects", "flash_id",
						 (json_int_t)f.id));
}

enum MHD_Result otkd_api_device_update(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	struct otkd_device d;
	enum MHD_Result res = MHD_NO;
	if (!my_device(r, &d, &res))
		return res;
	if (r->file)
		return otkd_flash_device(r, &d);
	const char *name = NULL;
	int rc = otkd_param_str(r->params, "name", &name);
	if (rc == OTK_ENOTFOUND)
		return otkd_reply_error(r, 400, "nothing to update: give name");
	if (rc < 0 || !name_valid(name))
		return otkd_reply_error(r, 400, "name must be 1 to 63 letters, digits, '_' or '-'");
	rc = st->ops->device_rename(st, d.id, name);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	return otkd_reply_json(r, 200, json_pack("{s:s,s:s,s:b}", "id", d.id, "name", name,
						 "ok", 1));
}

enum MHD_Result otkd_api_device_claim(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	const char *in = NULL;
	char id[OTKD_DEVICE_ID_LEN + 1];
	if (otkd_param_str(r->params, "id", &in) != OTK_OK || !device_id(in, id))
		return otkd_reply_error(r, 400, "id must be a device id (24 hex digits)");
	int rc = st->ops->device_claim(st, id, r->token.user_id);
	if (rc == OTK_ENOTFOUND)
		return otkd_reply_error(r, 404, "device %s is not known to this cloud: send its "
					"public key first (particle keys send)", id);
	if (rc == OTK_EEXIST)
		return otkd_reply_error(r, 403, "device %s is claimed by someone else", id);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	return otkd_reply_json(r, 200, json_pack("{s:b,s:s,s:I}", "ok", 1, "id", id, "user_id",
						 (json_int_t)r->token.user_id));
}

enum MHD_Result otkd_api_device_unclaim(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	struct otkd_device d;
	enum MHD_Result res = MHD_NO;
	if (!my_device(r, &d, &res))
		return res;
	int rc = st->ops->device_unclaim(st, d.id, r->token.user_id);
	if (rc < 0 && rc != OTK_ENOTFOUND)
		return otkd_reply_store_error(r, rc);
	return otkd_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

/*
 * POST /v1/provisioning/:id {publicKey, algorithm}: stores the key the
 * device will authenticate with.  Refused when another user owns the
 * device, or when it is in a product the token may not act on.
 */
enum MHD_Result otkd_api_provision(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	char id[OTKD_DEVICE_ID_LEN + 1];
	if (!device_id(r->args[0], id))
		return otkd_reply_error(r, 400, "%s is not a device id (24 hex digits)", r->args[0]);
	const char *pem = NULL;
	if (otkd_param_str(r->params, "publicKey", &pem) != OTK_OK)
		return otkd_reply_error(r, 400, "publicKey is required");
	struct otkd_device d;
	int rc = st->ops->device_get(st, id, &d);
	if (rc < 0 && rc != OTK_ENOTFOUND)
		return otkd_reply_store_error(r, rc);
	if (rc == OTK_OK && d.owner_id && d.owner_id != r->token.user_id)
		return otkd_reply_error(r, 403, "device %s is claimed by someone else", id);
	if (rc == OTK_OK && d.product_id) {
		if (r->token.product_id && r->token.product_id != d.product_id)
			return otkd_reply_error(r, 403, "device %s is in another product", id);
		if (st->ops->member_check(st, d.product_id, r->token.user_id) != OTK_OK)
			return otkd_reply_error(r, 403, "device %s is in a product you are not a "
						"member of", id);
	} else if (rc == OTK_ENOTFOUND && r->token.product_id) {
		return otkd_reply_error(r, 403, "a product's token provisions only its devices");
	}
	struct otkd_pubkey k;
	char err[256];
	if (otkd_pubkey_parse(pem, strlen(pem), &k, err, sizeof err) < 0)
		return otkd_reply_error(r, 400, "%s", err);
	const char *alg = NULL;
	if (otkd_param_str(r->params, "algorithm", &alg) == OTK_OK && strcmp(alg, k.algorithm) != 0) {
		enum MHD_Result res = otkd_reply_error(r, 400, "algorithm is %s but the key is %s",
						       alg, k.algorithm);
		free(k.pem);
		return res;
	}
	rc = st->ops->device_set_key(st, id, k.algorithm, k.pem, k.fingerprint);
	free(k.pem);
	if (rc == OTK_EEXIST)
		return otkd_reply_error(r, 400, "this public key belongs to another device");
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	return otkd_reply_json(r, 200, json_pack("{s:b,s:s,s:s,s:s}", "ok", 1, "device_id", id,
						 "algorithm", k.algorithm, "fingerprint",
						 k.fingerprint));
}

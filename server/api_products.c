/* Products and product devices. */
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"

#include "api.h"
#include "json_out.h"
#include "params.h"

#define PER_PAGE_DEFAULT 25
#define PER_PAGE_MAX 100

enum MHD_Result otkd_api_products_list(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	struct otkd_product *v;
	size_t n;
	int rc = st->ops->product_list(st, r->token.user_id, &v, &n);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++) {
		/* A product-bound token sees its own product only. */
		if (!r->token.product_id || r->token.product_id == v[i].id)
			json_array_append_new(a, otkd_json_product(&v[i]));
	}
	free(v);
	return otkd_reply_json(r, 200, json_pack("{s:o}", "products", a));
}

enum MHD_Result otkd_api_products_create(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	struct otkd_product p;
	char err[256];
	if (otkd_parse_product(r->params, &p, err, sizeof err) < 0)
		return otkd_reply_error(r, 400, "%s", err);
	int rc = st->ops->product_add(st, &p, r->token.user_id);
	if (rc == OTK_EEXIST)
		return otkd_reply_error(r, 400, "a product with id %lld or slug %s already exists",
					(long long)p.id, p.slug);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	return otkd_reply_json(r, 200, json_pack("{s:b,s:o}", "ok", 1, "product",
						 otkd_json_product(&p)));
}

enum MHD_Result otkd_api_product_get(struct otkd_req *r)
{
	return otkd_reply_json(r, 200, json_pack("{s:o}", "product", otkd_json_product(&r->product)));
}

enum MHD_Result otkd_api_pdevices_list(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	struct otkd_device_query q = { .product_id = r->product.id, .page = 1,
				       .per_page = PER_PAGE_DEFAULT };
	uint64_t v;
	int rc = otkd_param_uint(r->params, "page", 1000000, &v);
	if (rc == OTK_EINVAL || (rc == OTK_OK && v == 0))
		return otkd_reply_error(r, 400, "page must be a number from 1");
	if (rc == OTK_OK)
		q.page = (uint32_t)v;
	rc = otkd_param_uint(r->params, "per_page", PER_PAGE_MAX, &v);
	if (rc == OTK_EINVAL || (rc == OTK_OK && v == 0))
		return otkd_reply_error(r, 400, "per_page must be a number from 1 to %d", PER_PAGE_MAX);
	if (rc == OTK_OK)
		q.per_page = (uint32_t)v;
	otkd_param_str(r->params, "deviceId", &q.device_id);
	otkd_param_str(r->params, "deviceName", &q.name);
	otkd_param_str(r->params, "groups", &q.group);
	bool quarantined = false;
	if (otkd_param_bool(r->params, "quarantined", &quarantined) == OTK_EINVAL)
		return otkd_reply_error(r, 400, "quarantined must be true or false");
	q.quarantined = quarantined;
	struct otkd_device *d;
	size_t n;
	uint64_t total;
	rc = st->ops->product_device_list(st, &q, &d, &n, &total);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, otkd_json_device(&d[i]));
	free(d);
	uint64_t pages = (total + q.per_page - 1) / q.per_page;
	return otkd_reply_json(r, 200, json_pack("{s:o,s:[],s:{s:I,s:I,s:i,s:i}}", "devices", a,
						 "customers", "meta", "total_pages", (json_int_t)pages,
						 "total_records", (json_int_t)total, "page",
						 (int)q.page, "per_page", (int)q.per_page));
}

enum MHD_Result otkd_api_pdevices_add(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	const char *id = NULL;
	if (otkd_param_str(r->params, "id", &id) != OTK_OK)
		return otkd_reply_error(r, 400, "id is required");
	char lower[OTKD_DEVICE_ID_LEN + 1];
	size_t n = strlen(id);
	for (size_t i = 0; i < n && i < OTKD_DEVICE_ID_LEN; i++)
		lower[i] = (char)(id[i] >= 'A' && id[i] <= 'F' ? id[i] - 'A' + 'a' : id[i]);
	lower[n < OTKD_DEVICE_ID_LEN ? n : OTKD_DEVICE_ID_LEN] = '\0';
	if (n != OTKD_DEVICE_ID_LEN || !otkd_device_id_valid(lower))
		return otkd_reply_json(r, 400, json_pack("{s:b,s:s,s:[s]}", "ok", 0, "error",
							 "device id must be 24 hex digits",
							 "invalidDeviceIds", id));
	int rc = st->ops->product_device_add(st, r->product.id, lower, r->product.platform_id);
	if (rc == OTK_EEXIST)
		return otkd_reply_json(r, 400, json_pack("{s:b,s:s,s:[s]}", "ok", 0, "error",
							 "device belongs to another product",
							 "nonmemberDeviceIds", lower));
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	return otkd_reply_json(r, 200, json_pack("{s:i,s:[],s:[]}", "updated", 1,
						 "nonmemberDeviceIds", "invalidDeviceIds"));
}

/* The product device named in the path; answers 404 itself when absent. */
static bool product_device(struct otkd_req *r, struct otkd_device *d, enum MHD_Result *res)
{
	struct otkd_store *st = r->srv->store;
	int rc = otkd_device_id_valid(r->args[1]) ? st->ops->device_get(st, r->args[1], d)
						  : OTK_ENOTFOUND;
	if (rc == OTK_OK && (d->product_id != r->product.id || d->denied))
		rc = OTK_ENOTFOUND;
	if (rc == OTK_ENOTFOUND)
		*res = otkd_reply_error(r, 404, "device %s not found in product %lld", r->args[1],
					(long long)r->product.id);
	else if (rc < 0)
		*res = otkd_reply_store_error(r, rc);
	return rc == OTK_OK;
}

enum MHD_Result otkd_api_pdevice_get(struct otkd_req *r)
{
	struct otkd_device d;
	enum MHD_Result res;
	if (!product_device(r, &d, &res))
		return res;
	return otkd_reply_json(r, 200, otkd_json_device(&d));
}

enum MHD_Result otkd_api_pdevice_update(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	struct otkd_device d;
	enum MHD_Result res;
	if (!product_device(r, &d, &res))
		return res;
	struct otkd_device_update u;
	char err[256];
	if (otkd_parse_device_update(r->params, &u, err, sizeof err) < 0)
		return otkd_reply_error(r, 400, "%s", err);
	int rc = st->ops->product_device_update(st, r->product.id, d.id, &u);
	free((void *)u.groups);
	if (rc == OTK_ENOTFOUND)
		return otkd_reply_error(r, 400, "firmware version %u does not exist in product %lld",
					u.desired_firmware_version, (long long)r->product.id);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	if (!product_device(r, &d, &res))
		return res;
	json_t *o = otkd_json_device(&d);
	if (o) {
		char when[32];
		json_object_set_new(o, "updated_at", json_string(otkd_iso_time((int64_t)time(NULL),
									       when)));
	}
	return otkd_reply_json(r, 200, o);
}

enum MHD_Result otkd_api_pdevice_remove(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	struct otkd_device d;
	enum MHD_Result res;
	if (!product_device(r, &d, &res))
		return res;
	bool deny = false;
	if (otkd_param_bool(r->params, "deny", &deny) == OTK_EINVAL)
		return otkd_reply_error(r, 400, "deny must be true or false");
	int rc = st->ops->product_device_remove(st, r->product.id, d.id, deny);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	return otkd_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

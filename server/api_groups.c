/* Product groups: list, create, get, update, delete. */
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"

#include "api.h"
#include "json_out.h"
#include "params.h"

/* color "#rrggbb" (or empty), description under OTKD_TEXT_MAX; NULL when absent. */
static bool group_fields(struct otkd_req *r, const char **color, const char **desc,
			 enum MHD_Result *res)
{
	*color = *desc = NULL;
	int rc = otkd_param_str(r->params, "color", color);
	if (rc == OTK_EINVAL || (*color && **color && (strlen(*color) != 7 || (*color)[0] != '#' ||
						      strspn(*color + 1, "0123456789abcdefABCDEF") != 6))) {
		*res = otkd_reply_error(r, 400, "color must be #rrggbb");
		return false;
	}
	rc = otkd_param_str(r->params, "description", desc);
	if (rc == OTK_EINVAL || (*desc && strlen(*desc) >= OTKD_TEXT_MAX)) {
		*res = otkd_reply_error(r, 400, "description must be text under %d bytes",
					OTKD_TEXT_MAX);
		return false;
	}
	return true;
}

enum MHD_Result otkd_api_groups_list(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	struct otkd_group *g;
	size_t n;
	int rc = st->ops->group_list(st, r->product.id, &g, &n);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, otkd_json_group(&g[i]));
	free(g);
	return otkd_reply_json(r, 200, json_pack("{s:o}", "groups", a));
}

enum MHD_Result otkd_api_group_create(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	const char *name = NULL, *color, *desc;
	if (otkd_param_str(r->params, "name", &name) != OTK_OK || !otkd_group_name_valid(name))
		return otkd_reply_error(r, 400, "name must be 1 to 64 lowercase letters, digits, '-' "
					"or '_'");
	enum MHD_Result res;
	if (!group_fields(r, &color, &desc, &res))
		return res;
	struct otkd_group g = { .product_id = r->product.id };
	snprintf(g.name, sizeof g.name, "%s", name);
	snprintf(g.color, sizeof g.color, "%s", color ? color : "");
	snprintf(g.description, sizeof g.description, "%s", desc ? desc : "");
	int rc = st->ops->group_add(st, &g);
	if (rc == OTK_EEXIST)
		return otkd_reply_error(r, 400, "group %s already exists", name);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	return otkd_reply_json(r, 201, json_pack("{s:b,s:o}", "ok", 1, "group", otkd_json_group(&g)));
}

static bool find_group(struct otkd_req *r, struct otkd_group *g, enum MHD_Result *res)
{
	struct otkd_store *st = r->srv->store;
	int rc = otkd_group_name_valid(r->args[1]) ? st->ops->group_get(st, r->product.id,
									 r->args[1], g)
						   : OTK_ENOTFOUND;
	if (rc == OTK_ENOTFOUND)
		*res = otkd_reply_error(r, 404, "group %s not found", r->args[1]);
	else if (rc < 0)
		*res = otkd_reply_store_error(r, rc);
	return rc == OTK_OK;
}

enum MHD_Result otkd_api_group_get(struct otkd_req *r)
{
	struct otkd_group g;
	enum MHD_Result res;
	if (!find_group(r, &g, &res))
		return res;
	return otkd_reply_json(r, 200, json_pack("{s:o}", "group", otkd_json_group(&g)));
}

enum MHD_Result otkd_api_group_update(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	struct otkd_group g;
	enum MHD_Result res;
	const char *color, *desc;
	if (!find_group(r, &g, &res) || !group_fields(r, &color, &desc, &res))
		return res;
	int rc = st->ops->group_update(st, r->product.id, g.name, color, desc);
	if (rc == OTK_OK)
		rc = st->ops->group_get(st, r->product.id, g.name, &g);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	return otkd_reply_json(r, 200, json_pack("{s:o}", "group", otkd_json_group(&g)));
}

enum MHD_Result otkd_api_group_delete(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	struct otkd_group g;
	enum MHD_Result res;
	if (!find_group(r, &g, &res))
		return res;
	int rc = st->ops->group_delete(st, r->product.id, g.name);
	if (rc < 0 && rc != OTK_ENOTFOUND)
		return otkd_reply_store_error(r, rc);
	return otkd_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

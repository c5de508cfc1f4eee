/*
 * The route table and the one authorization point: every request finds its
 * route here, and before its handler runs, authorize() checks the token,
 * the route's scope and, for /v1/products/:product/..., that the token may
 * act on that product (the user is a member, and a product-bound token is
 * bound to it), and for routes that change what all users share, that the
 * token is an administrator's own.  Handlers never check these themselves.
 */
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"

#include "api.h"
#include "auth.h"
#include "params.h"
#include "routes.h"

#define R(m, p, s, f, h) { m, p, s, f, h }

/* Routes in matching order; ":x" matches one path segment, "*x" the rest
 * of the path (an event name may hold '/', and arrives decoded).  Scope names
 * are Particle's (spec 06).  The table is exported for the test that tries
 * every route with a foreign and an under-scoped token. */
const struct otkd_route otkd_routes[] = {
	R("POST", "/oauth/token", NULL, OTKD_ROUTE_PUBLIC, otkd_api_oauth_token),
	R("GET", "/v1/access_tokens", NULL, OTKD_ROUTE_USER_ONLY, otkd_api_tokens_list),
	R("GET", "/v1/access_tokens/current", NULL, 0, otkd_api_token_current),
	R("DELETE", "/v1/access_tokens/current", NULL, 0, otkd_api_token_delete_current),
	R("DELETE", "/v1/access_tokens/:token", NULL, OTKD_ROUTE_PUBLIC, otkd_api_token_delete),
	R("GET", "/v1/user", NULL, 0, otkd_api_user),
	R("GET", "/v1/events", "events:get", 0, otkd_api_events_stream),
	R("GET", "/v1/events/*prefix", "events:get", 0, otkd_api_events_stream),
	R("GET", "/v1/devices/events", "events:get", 0, otkd_api_events_stream),
	R("GET", "/v1/devices/events/*prefix", "events:get", 0, otkd_api_events_stream),
	R("POST", "/v1/devices/events", "events:send", 0, otkd_api_events_publish),
	R("GET", "/v1/devices", "devices:list", 0, otkd_api_devices_list),
	R("POST", "/v1/devices", "devices:claim", 0, otkd_api_device_claim),
	R("GET", "/v1/devices/:device", "devices:get", 0, otkd_api_device_get),
	R("PUT", "/v1/devices/:device", "devices:update", 0, otkd_api_device_update),
	R("DELETE", "/v1/devices/:device", "devices:remove", 0, otkd_api_device_unclaim),
	R("POST", "/v1/provisioning/:device", "devices:update", 0, otkd_api_provision),
	R("GET", "/v1/device-os/versions", NULL, 0, otkd_api_dos_list),
	R("POST", "/v1/device-os/versions", NULL, OTKD_ROUTE_ADMIN, otkd_api_dos_upload),
	R("GET", "/v1/device-os/versions/:version", NULL, 0, otkd_api_dos_version),
	R("GET", "/v1/device-os/files/:version/:platform/:file", NULL, OTKD_ROUTE_PUBLIC,
	  otkd_api_dos_file),
	R("GET", "/v1/products", NULL, 0, otkd_api_products_list),
	R("GET", "/v1/user/products", NULL, 0, otkd_api_products_list),
	R("POST", "/v1/products", "products:create", 0, otkd_api_products_create),
	R("GET", "/v1/products/:product", NULL, OTKD_ROUTE_PRODUCT, otkd_api_product_get),
	R("POST", "/v1/products/:product/team", "teams.users:invite",
	  OTKD_ROUTE_PRODUCT | OTKD_ROUTE_USER_ONLY, otkd_api_team_add),
	R("GET", "/v1/products/:product/devices", "devices:list", OTKD_ROUTE_PRODUCT,
	  otkd_api_pdevices_list),
	R("POST", "/v1/products/:product/devices", "devices:import", OTKD_ROUTE_PRODUCT,
	  otkd_api_pdevices_add),
	R("GET", "/v1/products/:product/devices/:device", "devices:get", OTKD_ROUTE_PRODUCT,
	  otkd_api_pdevice_get),
	R("PUT", "/v1/products/:product/devices/:device", "devices:update", OTKD_ROUTE_PRODUCT,
	  otkd_api_pdevice_update),
	R("DELETE", "/v1/products/:product/devices/:device", "devices:remove", OTKD_ROUTE_PRODUCT,
	  otkd_api_pdevice_remove),
	R("GET", "/v1/products/:product/groups", "groups:list", OTKD_ROUTE_PRODUCT,
	  otkd_api_groups_list),
	R("POST", "/v1/products/:product/groups", "groups:create", OTKD_ROUTE_PRODUCT,
	  otkd_api_group_create),
	R("GET", "/v1/products/:product/groups/:group", "groups:get", OTKD_ROUTE_PRODUCT,
	  otkd_api_group_get),
	R("PUT", "/v1/products/:product/groups/:group", "groups:update", OTKD_ROUTE_PRODUCT,
	  otkd_api_group_update),
	R("DELETE", "/v1/products/:product/groups/:group", "groups:remove", OTKD_ROUTE_PRODUCT,
	  otkd_api_group_delete),
	R("GET", "/v1/products/:product/events", "events:get", OTKD_ROUTE_PRODUCT,
	  otkd_api_events_stream),
	R("GET", "/v1/products/:product/events/*prefix", "events:get", OTKD_ROUTE_PRODUCT,
	  otkd_api_events_stream),
	R("POST", "/v1/products/:product/events", "events:send", OTKD_ROUTE_PRODUCT,
	  otkd_api_events_publish),
	R("GET", "/v1/products/:product/firmware", "firmware:list", OTKD_ROUTE_PRODUCT,
	  otkd_api_firmware_list),
	R("POST", "/v1/products/:product/firmware", "firmware:create", OTKD_ROUTE_PRODUCT,
	  otkd_api_firmware_upload),
	R("PUT", "/v1/products/:product/firmware/release", "firmware:release", OTKD_ROUTE_PRODUCT,
	  otkd_api_firmware_release),
	R("GET", "/v1/products/:product/firmware/:version", "firmware:get", OTKD_ROUTE_PRODUCT,
	  otkd_api_firmware_get),
	R("PUT", "/v1/products/:product/firmware/:version", "firmware:update", OTKD_ROUTE_PRODUCT,
	  otkd_api_firmware_edit),
	R("DELETE", "/v1/products/:product/firmware/:version", "firmware:remove",
	  OTKD_ROUTE_PRODUCT, otkd_api_firmware_delete),
	R("GET", "/v1/products/:product/firmware/:version/binary", "firmware:get",
	  OTKD_ROUTE_PRODUCT, otkd_api_firmware_binary),
};
const size_t otkd_route_count = sizeof otkd_routes / sizeof otkd_routes[0];

/* Matches path against pattern; captures (malloc'd) go to args. */
static bool match(const char *pattern, const char *path, char *args[OTKD_MAX_ARGS])
{
	size_t na = 0;
	const char *p = pattern, *u = path;
	while (*p && *u) {
		if (*p != '/' || *u != '/')
			return false;
		p++, u++;
		size_t pl = strcspn(p, "/"), ul = strcspn(u, "/");
		if (*p == '*') {
			if (na == OTKD_MAX_ARGS || *u == '\0')
				return false;
			args[na++] = strdup(u);
			return true;
		}
		if (*p == ':') {
			if (ul == 0 || na == OTKD_MAX_ARGS)
				return false;
			args[na++] = strndup(u, ul);
		} else if (pl != ul || memcmp(p, u, pl) != 0) {
			return false;
		}
		p += pl, u += ul;
	}
	/* A trailing slash on the request is the same path. */
	return *p == '\0' && (*u == '\0' || (u[0] == '/' && u[1] == '\0'));
}

static void free_args(char *args[OTKD_MAX_ARGS])
{
	for (size_t i = 0; i < OTKD_MAX_ARGS; i++) {
		free(args[i]);
		args[i] = NULL;
	}
}

/* The bearer token of a request: the Authorization header, else an
 * access_token field (Particle accepts both). */
static const char *bearer(struct otkd_req *r)
{
	const char *h = otkd_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	if (h && strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7;
		while (*h == ' ')
			h++;
		return h;
	}
	const char *t = NULL;
	return otkd_param_str(r->params, "access_token", &t) == OTK_OK ? t : NULL;
}

static enum MHD_Result unauthorized(struct otkd_req *r)
{
	return otkd_reply_oauth_error(r, 401, "invalid_token",
				      "The access token provided is invalid.");
}

/* Resolves a product given by id or slug. */
static int find_product(struct otkd_store *st, const char *key, struct otkd_product *p)
{
	size_t n = strlen(key);
	if (n && n <= 18 && strspn(key, "0123456789") == n)
		return st->ops->product_by_id(st, strtoll(key, NULL, 10), p);
	return st->ops->product_by_slug(st, key, p);
}

static enum MHD_Result authorize(struct otkd_req *r, const struct otkd_route *rt)
{
	struct otkd_store *st = r->srv->store;
	const char *text = bearer(r);
	if (!text || strlen(text) >= sizeof r->token_text)
		return unauthorized(r);
	uint8_t hash[32];
	otkd_token_hash(text, hash);
	int rc = st->ops->token_by_hash(st, hash, &r->token);
	if (rc == OTK_ENOTFOUND)
		return unauthorized(r);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	if (r->token.expires_at && r->token.expires_at <= (int64_t)time(NULL))
		return unauthorized(r);
	snprintf(r->token_text, sizeof r->token_text, "%s", text);
	r->authed = true;
	if (!otkd_scope_allows(r->token.scopes, rt->scope))
		return otkd_reply_error(r, 403, "access token lacks the scope %s", rt->scope);
	if ((rt->flags & OTKD_ROUTE_USER_ONLY) && strcmp(r->token.scopes, "*") != 0)
		return otkd_reply_error(r, 403, "this call needs a user's own token");
	if (rt->flags & OTKD_ROUTE_ADMIN) {
		/* what every user shares: an administrator's own token only */
		struct otkd_user u;
		rc = st->ops->user_by_id(st, r->token.user_id, &u);
		if (rc < 0 && rc != OTK_ENOTFOUND)
			return otkd_reply_store_error(r, rc);
		if (rc == OTK_ENOTFOUND || !u.admin || r->token.product_id ||
		    strcmp(r->token.scopes, "*") != 0)
			return otkd_reply_error(r, 403, "this call is for otakitd's administrators");
	}
	if (rt->flags & OTKD_ROUTE_PRODUCT) {
		rc = find_product(st, r->args[0], &r->product);
		if (rc == OTK_ENOTFOUND)
			return otkd_reply_error(r, 404, "product %s not found", r->args[0]);
		if (rc < 0)
			return otkd_reply_store_error(r, rc);
		if (r->token.product_id && r->token.product_id != r->product.id)
			return otkd_reply_error(r, 403, "access token is for another product");
		rc = st->ops->member_check(st, r->product.id, r->token.user_id);
		if (rc == OTK_ENOTFOUND)
			return otkd_reply_error(r, 403, "not a member of product %s", r->args[0]);
		if (rc < 0)
			return otkd_reply_store_error(r, rc);
		r->has_product = true;
	}
	return MHD_YES;
}

enum MHD_Result otkd_route(struct otkd_req *r)
{
	bool path_known = false;
	for (size_t i = 0; i < otkd_route_count; i++) {
		const struct otkd_route *rt = &otkd_routes[i];
		if (!match(rt->pattern, r->path, r->args)) {
			free_args(r->args);
			continue;
		}
		if (strcmp(rt->method, r->method) != 0) {
			path_known = true;
			free_args(r->args);
			continue;
		}
		r->route = rt->pattern;
		if (!(rt->flags & OTKD_ROUTE_PUBLIC)) {
			enum MHD_Result ok = authorize(r, rt);
			if (r->answered || ok != MHD_YES)
				return ok;
		}
		return rt->handler(r);
	}
	if (path_known)
		return otkd_reply_error(r, 405, "method %s not allowed on %s", r->method, r->path);
	return otkd_reply_error(r, 404, "no such endpoint: %s %s", r->method, r->path);
}

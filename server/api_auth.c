/* Accounts and tokens: /oauth/token, /v1/access_tokens, /v1/user, API users. */
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"

#include "api.h"
#include "auth.h"
#include "params.h"
#include "routes.h"
#include "throttle.h"

/* Public OAuth clients: their secrets ship inside Particle's own tools, so
 * they name the tool rather than prove anything (spec 06: particle:particle;
 * particle-cli 3.51 sends CLI2:particle-cli, particle-api-js 12
 * particle-api:particle-api). */
static const struct { const char *id, *secret; } clients[] = {
	{ "particle", "particle" },
	{ "particle-cli", "particle-cli" },
	{ "CLI2", "particle-cli" },
	{ "particle-api", "particle-api" },
};
#define TOKEN_LIFETIME_MAX (10ll * 365 * 24 * 3600)

/* The OAuth client: HTTP basic auth, else client_id/client_secret fields
 * (particle-cli sends both kinds, depending on the call). */
static const char *client_ok(struct otkd_req *r)
{
	char *pass = NULL;
	char *user = MHD_basic_auth_get_username_password(r->conn, &pass);
	const char *id = user, *secret = pass;
	if (!user) {
		otkd_param_str(r->params, "client_id", &id);
		otkd_param_str(r->params, "client_secret", &secret);
	}
	const char *found = NULL;
	for (size_t i = 0; id && secret && i < sizeof clients / sizeof clients[0]; i++)
		if (strcmp(id, clients[i].id) == 0 && strcmp(secret, clients[i].secret) == 0)
			found = clients[i].id;
	MHD_free(user);
	MHD_free(pass);
	return found;
}

enum MHD_Result otkd_api_oauth_token(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	const char *client = client_ok(r);
	if (!client)
		return otkd_reply_oauth_error(r, 401, "invalid_client",
					      "Client authentication failed");
	const char *grant = NULL, *username = NULL, *password = NULL;
	if (otkd_param_str(r->params, "grant_type", &grant) != OTK_OK)
		return otkd_reply_oauth_error(r, 400, "invalid_request",
					      "Missing parameter: `grant_type`");
	if (strcmp(grant, "password") != 0)
		return otkd_reply_oauth_error(r, 400, "unsupported_grant_type",
					      "Invalid grant_type: only password is supported");
	if (otkd_param_str(r->params, "username", &username) != OTK_OK)
		return otkd_reply_oauth_error(r, 400, "invalid_request",
					      "Missing parameter: `username`");
	if (otkd_param_str(r->params, "password", &password) != OTK_OK)
		return otkd_reply_oauth_error(r, 400, "invalid_request",
					      "Missing parameter: `password`");
	uint64_t expires_in = (uint64_t)r->srv->cfg.token_lifetime_s;
	int rc = otkd_param_uint(r->params, "expires_in", TOKEN_LIFETIME_MAX, &expires_in);
	if (rc == OTK_EINVAL)
		return otkd_reply_oauth_error(r, 400, "invalid_request",
					      "expires_in must be a number of seconds (0: never)");
	int64_t now = (int64_t)time(NULL);
	if (!otkd_throttle_allows(r->srv->logins, username, now))
		return otkd_reply_oauth_error(r, 429, "too_many_requests",
					      "Too many failed logins for this user: try again later");
	struct otkd_user u;
	rc = st->ops->user_by_name(st, username, &u);
	if (rc < 0 && rc != OTK_ENOTFOUND)
		return otkd_reply_store_error(r, rc);
	if (rc == OTK_ENOTFOUND || !otkd_password_verify(u.password_hash, password)) {
		otkd_throttle_failed(r->srv->logins, username, now);
		return otkd_reply_oauth_error(r, 400, "invalid_grant", "User credentials are invalid");
	}
	otkd_throttle_succeeded(r->srv->logins, username);
	struct otkd_token t = { 0 };
	char text[OTKD_TOKEN_HEX];
	otkd_token_new(text, t.hash);
	t.user_id = u.id;
	snprintf(t.scopes, sizeof t.scopes, "*");
	snprintf(t.client, sizeof t.client, "%s", client);
	t.created_at = (int64_t)time(NULL);
	t.expires_at = expires_in ? t.created_at + (int64_t)expires_in : 0;
	rc = st->ops->token_add(st, &t);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	return otkd_reply_json(r, 200, json_pack("{s:s,s:s,s:I}", "token_type", "bearer",
						 "access_token", text, "expires_in",
						 (json_int_t)expires_in));
}

static json_t *scope_list(const char *scopes)
{
	json_t *a = json_array();
	const char *p = scopes;
	while (a && *p) {
		p += strspn(p, " ");
		size_t l = strcspn(p, " ");
		if (l && !(l == 1 && *p == '*'))
			json_array_append_new(a, json_stringn(p, l));
		p += l;
	}
	return a;
}

enum MHD_Result otkd_api_token_current(struct otkd_req *r)
{
	char when[32];
	json_t *o = json_pack("{s:s,s:o,s:[]}", "client", r->token.client, "scopes",
			      scope_list(r->token.scopes), "orgs");
	if (o)
		json_object_set_new(o, "expires_at", r->token.expires_at ?
				    json_string(otkd_iso_time(r->token.expires_at, when)) : json_null());
	if (o && r->token.product_id)
		json_object_set_new(o, "product_id", json_integer(r->token.product_id));
	return otkd_reply_json(r, 200, o);
}

/* GET /v1/access_tokens: the tokens of the token's user (a user's own token
 * only, routes.c), never their text: the store has only its hash.  Beyond
 * Particle's (deprecated) list: id, scopes, product_id, current. */
enum MHD_Result otkd_api_tokens_list(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	struct otkd_token *t;
	size_t n;
	int rc = st->ops->token_list(st, r->token.user_id, &t, &n);
	if (rc < 0) {
		free(t);
		return otkd_reply_store_error(r, rc);
	}
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		char made[32], until[32];
		json_t *o = json_pack("{s:I,s:s,s:o,s:s,s:b}", "id", (json_int_t)t[i].id, "client",
				      t[i].client, "scopes", scope_list(t[i].scopes), "created_at",
				      otkd_iso_time(t[i].created_at, made), "current",
				      t[i].id == r->token.id);
		if (o)
			json_object_set_new(o, "expires_at", t[i].expires_at ?
					    json_string(otkd_iso_time(t[i].expires_at, until)) :
					    json_null());
		if (o && t[i].product_id)
			json_object_set_new(o, "product_id", json_integer(t[i].product_id));
		json_array_append_new(arr, o);
	}
	free(t);
	return otkd_reply_json(r, 200, arr);
}

enum MHD_Result otkd_api_token_delete_current(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	int rc = st->ops->token_delete(st, r->token.hash);
	if (rc < 0 && rc != OTK_ENOTFOUND)
		return otkd_reply_store_error(r, rc);
	return otkd_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

/* Whoever holds a token may revoke it: the token in the path is the
 * credential. */
enum MHD_Result otkd_api_token_delete(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	uint8_t hash[32];
	otkd_token_hash(r->args[0], hash);
	int rc = st->ops->token_delete(st, hash);
	if (rc == OTK_ENOTFOUND)
		return otkd_reply_error(r, 404, "access token not found");
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	return otkd_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

enum MHD_Result otkd_api_user(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	struct otkd_user u;
	int rc = st->ops->user_by_id(st, r->token.user_id, &u);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	return otkd_reply_json(r, 200, json_pack("{s:s,s:[],s:{}}", "username", u.username,
						 "subscription_ids", "account_info"));
}

/* A scope an API user may be given: one some route asks for. */
static bool scope_known(const char *s)
{
	for (size_t i = 0; i < otkd_route_count; i++)
		if (otkd_routes[i].scope && strcmp(otkd_routes[i].scope, s) == 0 &&
		    !(otkd_routes[i].flags & OTKD_ROUTE_USER_ONLY) &&
		    strcmp(s, "products:create") != 0)
			return true;
	return false;
}

enum MHD_Result otkd_api_team_add(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	const char *name = NULL;
	if (otkd_param_str(r->params, "friendly_name", &name) != OTK_OK || !*name ||
	    strlen(name) > 64)
		return otkd_reply_error(r, 400, "friendly_name is required (up to 64 characters)");
	const char **scopes = NULL;
	size_t n = 0;
	if (otkd_param_list(r->params, "scopes", &scopes, &n) != OTK_OK || n == 0)
		return otkd_reply_error(r, 400, "scopes must be a non-empty list");
	struct otkd_token t = { 0 };
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		if (!scope_known(scopes[i]) || off + strlen(scopes[i]) + 2 > sizeof t.scopes) {
			enum MHD_Result res = otkd_reply_error(r, 400, "unknown scope %s", scopes[i]);
			free(scopes);
			return res;
		}
		off += (size_t)snprintf(t.scopes + off, sizeof t.scopes - off, "%s%s", i ? " " : "",
					scopes[i]);
	}
	free(scopes);
	char text[OTKD_TOKEN_HEX];
	otkd_token_new(text, t.hash);
	t.user_id = r->token.user_id;
	t.product_id = r->product.id;
	snprintf(t.client, sizeof t.client, "api-user");
	t.created_at = (int64_t)time(NULL);
	int rc = st->ops->token_add(st, &t);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	char username[128];
	snprintf(username, sizeof username, "%s+%lld@api.otakitd", name, (long long)t.id);
	return otkd_reply_json(r, 200, json_pack("{s:b,s:{s:s,s:s,s:b,s:o,s:[{s:s}]}}", "ok", 1,
						 "created", "username", username, "friendly_name",
						 name, "is_programmatic", 1, "scopes",
						 scope_list(t.scopes), "tokens", "token", text));
}

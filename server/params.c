#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"
#include "otk/platform.h"
#include "params.h"

json_t *otkd_params_from_json(const char *buf, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!v) {
		snprintf(err, errlen, "request body is not valid JSON: %s (line %d, column %d)",
			 je.text, je.line, je.column);
		return NULL;
	}
	if (!json_is_object(v)) {
		snprintf(err, errlen, "request body must be a JSON object");
		json_decref(v);
		return NULL;
	}
	return v;
}

int otkd_params_add_form(json_t *params, const char *key, const char *val, size_t len,
			 uint64_t off)
{
	size_t kl = strlen(key);
	bool list = kl > 2 && strcmp(key + kl - 2, "[]") == 0;
	char name[256];
	if (kl >= sizeof name)
		return OTK_EINVAL;
	memcpy(name, key, kl + 1);
	if (list)
		name[kl - 2] = '\0';
	json_t *cur = json_object_get(params, name);
	json_t *slot = cur;
	if (list && off == 0) {
		if (!json_is_array(cur)) {
			cur = json_array();
			if (!cur || json_object_set_new(params, name, cur) != 0)
				return OTK_ENOMEM;
		}
		if (json_array_size(cur) >= OTKD_LIST_MAX)
			return OTK_ETOOBIG;
		slot = NULL;
	} else if (list) {
		slot = json_is_array(cur) ? json_array_get(cur, json_array_size(cur) - 1) : NULL;
	}
	size_t have = off > 0 && json_is_string(slot) ? json_string_length(slot) : 0;
	if (have + len > OTKD_FIELD_MAX)
		return OTK_ETOOBIG;
	char *buf = malloc(have + len + 1);
	if (!buf)
		return OTK_ENOMEM;
	if (have)
		memcpy(buf, json_string_value(slot), have);
	if (len)
		memcpy(buf + have, val, len);
	json_t *s = json_stringn(buf, have + len);
	free(buf);
	if (!s)
		return OTK_EINVAL; /* not UTF-8 */
	int rc;
	if (list && off == 0)
		rc = json_array_append_new(cur, s);
	else if (list)
		rc = json_array_set_new(cur, json_array_size(cur) - 1, s);
	else
		rc = json_object_set_new(params, name, s);
	return rc == 0 ? OTK_OK : OTK_ENOMEM;
}

int otkd_param_str(const json_t *p, const char *key, const char **out)
{
	json_t *v = json_object_get(p, key);
	if (!v || json_is_null(v))
		return OTK_ENOTFOUND;
	if (!json_is_string(v))
		return OTK_EINVAL;
	*out = json_string_value(v);
	return OTK_OK;
}

int otkd_param_uint(const json_t *p, const char *key, uint64_t max, uint64_t *out)
{
	json_t *v = json_object_get(p, key);
	if (!v || json_is_null(v))
		return OTK_ENOTFOUND;
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0 || (uint64_t)i > max)
			return OTK_EINVAL;
		*out = (uint64_t)i;
		return OTK_OK;
	}
	if (!json_is_string(v))
		return OTK_EINVAL;
	const char *s = json_string_value(v);
	size_t n = strlen(s);
	if (n == 0 || n > 19 || strspn(s, "0123456789") != n)
		return OTK_EINVAL;
	uint64_t x = strtoull(s, NULL, 10);
	if (x > max)
		return OTK_EINVAL;
	*out = x;
	return OTK_OK;
}

int otkd_param_bool(const json_t *p, const char *key, bool *out)
{
	json_t *v = json_object_get(p, key);
	if (!v || json_is_null(v))
		return OTK_ENOTFOUND;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return OTK_OK;
	}
	const char *s = json_is_string(v) ? json_string_value(v) : "";
	if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0) {
		*out = true;
		return OTK_OK;
	}
	if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0) {
		*out = false;
		return OTK_OK;
	}
	return OTK_EINVAL;
}

bool otkd_param_is_null(const json_t *p, const char *key)
{
	json_t *v = json_object_get(p, key);
	if (json_is_null(v))
		return true;
	/* A form cannot carry null: "null" and "" say the same. */
	return json_is_string(v) && (strcmp(json_string_value(v), "null") == 0 ||
				     json_string_length(v) == 0);
}

int otkd_param_list(const json_t *p, const char *key, const char ***out, size_t *n)
{
	json_t *v = json_object_get(p, key);
	*out = NULL;
	*n = 0;
	if (!v || json_is_null(v))
		return OTK_ENOTFOUND;
	if (json_is_array(v)) {
		size_t k = json_array_size(v);
		if (k > OTKD_LIST_MAX)
			return OTK_EINVAL;
		const char **l = calloc(k + 1, sizeof *l);
		if (!l)
			return OTK_ENOMEM;
		for (size_t i = 0; i < k; i++) {
			json_t *e = json_array_get(v, i);
			if (!json_is_string(e)) {
				free(l);
				return OTK_EINVAL;
			}
			l[i] = json_string_value(e);
		}
		*out = l;
		*n = k;
		return OTK_OK;
	}
	if (!json_is_string(v))
		return OTK_EINVAL;
	/* "a,b,c": the pieces are copied into the params object as an array,
	 * so the pointers handed out live as long as p. */
	const char *s = json_string_value(v);
	json_t *arr = json_array();
	if (!arr)
		return OTK_ENOMEM;
	while (*s) {
		size_t l = strcspn(s, ",");
		if (l && json_array_append_new(arr, json_stringn(s, l)) != 0) {
			json_decref(arr);
			return OTK_ENOMEM;
		}
		s += l + (s[l] == ',');
	}
	if (json_object_set_new((json_t *)p, key, arr) != 0)
		return OTK_ENOMEM;
	return otkd_param_list(p, key, out, n);
}

bool otkd_device_id_valid(const char *s)
{
	return strlen(s) == OTKD_DEVICE_ID_LEN && strspn(s, "0123456789abcdef") == OTKD_DEVICE_ID_LEN;
}

bool otkd_group_name_valid(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

static int bad(char *err, size_t errlen, const char *field, const char *want)
{
	snprintf(err, errlen, "%s must be %s", field, want);
	return OTK_EINVAL;
}

static int text_field(const json_t *p, const char *key, size_t max, bool *set, const char **out,
		      char *err, size_t errlen)
{
	int rc = otkd_param_str(p, key, out);
	if (rc == OTK_ENOTFOUND)
		return OTK_OK;
	if (rc < 0 || strlen(*out) >= max) {
		char want[64];
		snprintf(want, sizeof want, "a string shorter than %zu bytes", max);
		return bad(err, errlen, key, want);
	}
	*set = true;
	return OTK_OK;
}

int otkd_parse_device_update(const json_t *p, struct otkd_device_update *u, char *err,
			     size_t errlen)
{
	memset(u, 0, sizeof *u);
	int rc = text_field(p, "name", OTKD_NAME_MAX, &u->set_name, &u->name, err, errlen);
	if (rc == OTK_OK)
		rc = text_field(p, "notes", OTKD_TEXT_MAX, &u->set_notes, &u->notes, err, errlen);
	if (rc < 0)
		return rc;
	rc = otkd_param_bool(p, "development", &u->development);
	if (rc == OTK_EINVAL)
		return bad(err, errlen, "development", "true or false");
	u->set_development = rc == OTK_OK;
	rc = otkd_param_bool(p, "firmware_updates_forced", &u->firmware_updates_forced);
	if (rc == OTK_EINVAL)
		return bad(err, errlen, "firmware_updates_forced", "true or false");
	u->set_forced = rc == OTK_OK;
	if (json_object_get(p, "desired_firmware_version")) {
		u->set_desired = true;
		uint64_t v;
		if (otkd_param_is_null(p, "desired_firmware_version")) {
			u->has_desired = false;
		} else if (otkd_param_uint(p, "desired_firmware_version", 65535, &v) == OTK_OK && v) {
			u->has_desired = true;
			u->desired_firmware_version = (uint32_t)v;
		} else {
			return bad(err, errlen, "desired_firmware_version",
				   "a firmware version (1..65535) or null");
		}
	}
	if (json_object_get(p, "groups")) {
		const char **l;
		size_t n;
		rc = otkd_param_list(p, "groups", &l, &n);
		if (rc == OTK_ENOTFOUND) {
			/* null: no groups */
			l = NULL;
			n = 0;
		} else if (rc < 0) {
			return bad(err, errlen, "groups", "a list of group names");
		}
		for (size_t i = 0; i < n; i++) {
			if (!otkd_group_name_valid(l[i])) {
				snprintf(err, errlen, "group name '%s' is not valid: use 1 to 64 "
					 "lowercase letters, digits, '-' or '_'", l[i]);
				free(l);
				return OTK_EINVAL;
			}
		}
		u->set_groups = true;
		u->groups = l;
		u->ngroups = n;
	}
	return OTK_OK;
}

int otkd_parse_release(const json_t *p, struct otkd_release *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	uint64_t v;
	if (otkd_param_uint(p, "version", 65535, &v) != OTK_OK || v == 0)
		return bad(err, errlen, "version", "a firmware version (1..65535)");
	r->version = (uint32_t)v;
	int rc = otkd_param_bool(p, "product_default", &r->product_default);
	if (rc == OTK_EINVAL)
		return bad(err, errlen, "product_default", "true or false");
	rc = otkd_param_bool(p, "intelligent", &r->intelligent);
	if (rc == OTK_EINVAL)
		return bad(err, errlen, "intelligent", "true or false");
	const char **l = NULL;
	size_t n = 0;
	rc = otkd_param_list(p, "groups", &l, &n);
	if (rc == OTK_EINVAL || rc == OTK_ENOMEM)
		return bad(err, errlen, "groups", "a list of group names");
	for (size_t i = 0; i < n; i++) {
		if (!otkd_group_name_valid(l[i])) {
			snprintf(err, errlen, "group name '%s' is not valid", l[i]);
			free(l);
			return OTK_EINVAL;
		}
	}
	r->groups = l;
	r->ngroups = n;
	if (!r->product_default && n == 0) {
		free(l);
		r->groups = NULL;
		snprintf(err, errlen, "release to what? give product_default true or groups");
		return OTK_EINVAL;
	}
	return OTK_OK;
}

int otkd_parse_product(const json_t *p, struct otkd_product *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	const char *name = NULL, *slug = NULL, *desc = NULL;
	if (otkd_param_str(p, "name", &name) != OTK_OK || !*name || strlen(name) >= OTKD_NAME_MAX)
		return bad(err, errlen, "name", "a non-empty string under 128 bytes");
	uint64_t plat;
	if (otkd_param_uint(p, "platform_id", 65535, &plat) != OTK_OK ||
	    !otk_platform_by_id((uint16_t)plat))
		return bad(err, errlen, "platform_id", "a known platform id");
	int rc = otkd_param_str(p, "slug", &slug);
	if (rc == OTK_EINVAL || (rc == OTK_OK && !otkd_group_name_valid(slug)))
		return bad(err, errlen, "slug", "1 to 64 lowercase letters, digits, '-' or '_'");
	rc = otkd_param_str(p, "description", &desc);
	if (rc == OTK_EINVAL || (rc == OTK_OK && strlen(desc) >= OTKD_TEXT_MAX))
		return bad(err, errlen, "description", "a string under 1024 bytes");
	uint64_t id = 0;
	rc = otkd_param_uint(p, "id", 65535, &id);
	if (rc == OTK_EINVAL || (rc == OTK_OK && id == 0))
		return bad(err, errlen, "id", "a product id (1..65535)");
	out->id = (int64_t)id;
	out->platform_id = (uint16_t)plat;
	snprintf(out->name, sizeof out->name, "%s", name);
	snprintf(out->description, sizeof out->description, "%s", desc ? desc : "");
	if (slug) {
		snprintf(out->slug, sizeof out->slug, "%s", slug);
	} else {
		/* From the name: lowercase, other characters as '-'. */
		size_t i = 0;
		for (const char *c = name; *c && i < 60; c++) {
			char ch = *c;
			if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			out->slug[i++] = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ? ch : '-';
		}
		out->slug[i] = '\0';
	}
	return OTK_OK;
}

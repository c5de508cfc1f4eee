/*
 * Request fields and what we read out of them.  Whatever the body was
 * (JSON, application/x-www-form-urlencoded, multipart/form-data) and the
 * query string, the fields end up in one JSON object: form and query values
 * as strings ("a[]" keys as arrays of strings), JSON values as they came.
 * The readers below accept both spellings a client may use ("3" and 3,
 * "true" and true) and turn them into the structures of store.h; this is
 * the part of request parsing that is ours (fuzz/fuzz_api_params.c).
 */
#ifndef OTKD_PARAMS_H
#define OTKD_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

#define OTKD_FIELD_MAX (64u * 1024u)   /* one form field */
#define OTKD_LIST_MAX 64u              /* groups, scopes in one request */

/* Parses a JSON body that must be an object (depth and size limited by the
 * caller's body limit); NULL and err set when it is not. */
json_t *otkd_params_from_json(const char *buf, size_t len, char *err, size_t errlen);

/* Adds (off == 0) or continues (off > 0) the form field key with len bytes.
 * OTK_EINVAL when the value is not UTF-8, OTK_ETOOBIG over OTKD_FIELD_MAX. */
int otkd_params_add_form(json_t *params, const char *key, const char *val, size_t len,
			 uint64_t off);

/* Field readers: OTK_OK, OTK_ENOTFOUND when absent, OTK_EINVAL when the
 * value has the wrong type or range (err names the field). */
int otkd_param_str(const json_t *p, const char *key, const char **out);
int otkd_param_uint(const json_t *p, const char *key, uint64_t max, uint64_t *out);
int otkd_param_bool(const json_t *p, const char *key, bool *out);
bool otkd_param_is_null(const json_t *p, const char *key);
/* A list given as a JSON array of strings or a comma-separated string;
 * *out is malloc'd (pointers into p), n <= OTKD_LIST_MAX. */
int otkd_param_list(const json_t *p, const char *key, const char ***out, size_t *n);

bool otkd_device_id_valid(const char *s);
/* Lowercase letters, digits, '-' and '_', 1..64 characters (Particle's rule). */
bool otkd_group_name_valid(const char *s);

/* What PUT /v1/products/:p/devices/:id asks for.  Strings point into p;
 * u->groups is malloc'd (free it).  OTK_EINVAL with err set on a bad field. */
int otkd_parse_device_update(const json_t *p, struct otkd_device_update *u, char *err,
			     size_t errlen);
/* What PUT /v1/products/:p/firmware/release asks for; r->groups malloc'd. */
int otkd_parse_release(const json_t *p, struct otkd_release *r, char *err, size_t errlen);
/* A new product: name, platform_id, optional slug, description, id. */
int otkd_parse_product(const json_t *p, struct otkd_product *out, char *err, size_t errlen);

#endif

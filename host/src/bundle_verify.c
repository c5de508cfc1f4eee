/*
 * A bundle's assets against its application's asset dependencies
 * (otk/bundle_verify.h).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otk/assets.h"
#include "otk/bundle_verify.h"
#include "otk/error.h"
#include "otk/sha256.h"

struct verify_ctx {
	const struct otk_bundle *b;
	const char *file;
	bool *used;
	struct otk_bundle_verify *r;
	int rc;
};

static void hex(const uint8_t *h, size_t n, char *out)
{
	out[0] = 0;
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* A new entry at the end of r (zeroed), or NULL when out of memory. */
static struct otk_asset_check *add(struct otk_bundle_verify *r, enum otk_asset_status status)
{
	struct otk_asset_check *v = realloc(r->v, (r->n + 1) * sizeof *v);
	if (!v)
		return NULL;
	r->v = v;
	v = &r->v[r->n++];
	memset(v, 0, sizeof *v);
	v->status = status;
	v->entry = SIZE_MAX;
	if (status != OTK_ASSET_OK)
		r->problems++;
	return v;
}

static int check_dep(void *ctx, const struct otk_ext_asset *a)
{
	struct verify_ctx *c = ctx;
	const struct otk_bundle *b = c->b;
	size_t k;
	for (k = 0; k < b->nassets; k++)
		if (strlen(b->assets[k].base) == a->name_len &&
		    memcmp(b->assets[k].base, a->name, a->name_len) == 0)
			break;
	uint8_t h[OTK_SHA256_LEN];
	bool match = false;
	if (k < b->nassets) {
		c->used[k] = true;
		otk_asset_hash(b->assets[k].data, b->assets[k].len, h);
		match = a->hash_len == OTK_SHA256_LEN && memcmp(h, a->hash, OTK_SHA256_LEN) == 0;
	}
	struct otk_asset_check *v = add(c->r, k == b->nassets ? OTK_ASSET_MISSING :
					match ? OTK_ASSET_OK : OTK_ASSET_HASH_MISMATCH);
	if (!v || !(v->name = strndup(a->name, a->name_len))) {
		c->rc = OTK_ENOMEM;
		return 1;
	}
	hex(a->hash, a->hash_len < OTK_SHA256_LEN ? a->hash_len : OTK_SHA256_LEN, v->want);
	int n = 0;
	if (k < b->nassets) {
		v->entry = k;
		hex(h, OTK_SHA256_LEN, v->have);
	}
	if (v->status == OTK_ASSET_MISSING)
		n = asprintf(&v->message, "%s: missing asset %s (hash %s): the application depends "
			     "on it", c->file, v->name, v->want);
	else if (v->status == OTK_ASSET_HASH_MISMATCH)
		n = asprintf(&v->message, "%s: asset %s: hash does not match (application expects "
			     "%s, asset is %s)", c->file, v->name, v->want, v->have);
	if (n < 0) {
		v->message = NULL;
		c->rc = OTK_ENOMEM;
		return 1;
	}
	return 0;
}

int otk_bundle_verify_assets(const struct otk_bundle *b, const struct otk_module *app,
			     const char *file, struct otk_bundle_verify *r)
{
	memset(r, 0, sizeof *r);
	struct verify_ctx c = { b, file, calloc(b->nassets + 1, sizeof(bool)), r, OTK_OK };
	if (!c.used)
		return OTK_ENOMEM;
	int n = otk_assets_list(app, check_dep, &c);
	if (c.rc == OTK_OK && n < 0) {
		struct otk_asset_check *v = add(r, OTK_ASSET_BAD_EXTENSION);
		if (!v || asprintf(&v->message, "%s: %s: malformed asset dependency extension", file,
				   b->app.name ? b->app.name : "application") < 0) {
			if (v)
				v->message = NULL;
			c.rc = OTK_ENOMEM;
		}
	}
	r->ndeps = n < 0 ? 0 : (size_t)n;
	for (size_t k = 0; c.rc == OTK_OK && k < b->nassets; k++) {
		if (c.used[k])
			continue;
		struct otk_asset_check *v = add(r, OTK_ASSET_EXTRA);
		if (!v || !(v->name = strdup(b->assets[k].base)) ||
		    asprintf(&v->message, "%s: extra asset %s: the application does not depend on it",
			     file, v->name) < 0) {
			if (v)
				v->message = NULL;
			c.rc = OTK_ENOMEM;
			break;
		}
		v->entry = k;
		uint8_t h[OTK_SHA256_LEN];
		otk_sha256(b->assets[k].data, b->assets[k].len, h);
		hex(h, OTK_SHA256_LEN, v->have);
	}
	free(c.used);
	if (c.rc < 0)
		return c.rc;
	return r->problems ? OTK_EINVAL : OTK_OK;
}

const struct otk_asset_check *otk_bundle_verify_first_problem(const struct otk_bundle_verify *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].status != OTK_ASSET_OK)
			return &r->v[i];
	return NULL;
}

void otk_bundle_verify_free(struct otk_bundle_verify *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].message);
	}
	free(r->v);
	memset(r, 0, sizeof *r);
}

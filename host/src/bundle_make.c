/*
 * Asset OTA bundles from an application and a folder of assets: the rules
 * and messages of particle-cli's `particle bundle` (docs/bundles.md).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "otk/assets.h"
#include "otk/bundle.h"
#include "otk/bundle_make.h"
#include "otk/dos_version.h"
#include "otk/error.h"
#include "otk/file.h"

static int fail(int rc, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

void otk_asset_files_free(struct otk_asset_files *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].data);
		free(l->v[i].module);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

int otk_asset_files_push(struct otk_asset_files *l, const char *name, uint8_t *data, size_t len)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct otk_asset_file *v = realloc(l->v, cap * sizeof *v);
		if (!v) {
			free(data);
			return OTK_ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	struct otk_asset_file *a = &l->v[l->n];
	memset(a, 0, sizeof *a);
	a->name = strdup(name);
	if (!a->name) {
		free(data);
		return OTK_ENOMEM;
	}
	a->data = data;
	a->len = len;
	l->n++;
	return OTK_OK;
}

static int byte_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Reads dir/name into the list when it is a regular file. */
static int read_one(const char *dir, const char *name, struct otk_asset_files *l, char *err,
		    size_t errlen)
{
	char *path;
	struct stat st;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return OTK_ENOMEM;
	int rc = OTK_OK;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		uint8_t *data;
		size_t len;
		rc = otk_file_read(path, OTK_BUNDLE_ENTRY_MAX, &data, &len);
		if (rc == OTK_ETOOBIG)
			rc = fail(rc, err, errlen, "%s: larger than the %u MiB a bundle entry may hold",
				  path, OTK_BUNDLE_ENTRY_MAX >> 20);
		else if (rc < 0)
			rc = fail(rc, err, errlen, "%s: cannot read: %s", path,
				  rc == OTK_EIO ? strerror(errno) : otk_strerror(rc));
		else
			rc = otk_asset_files_push(l, name, data, len);
	}
	free(path);
	return rc;
}

int otk_asset_files_read_dir(const char *dir, struct otk_asset_files *l, char *err, size_t errlen)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		return fail(OTK_EIO, err, errlen, "The assets dir %s does not exist", dir);
	if (!S_ISDIR(st.st_mode))
		return fail(OTK_EINVAL, err, errlen, "The assets path %s is not a directory", dir);
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, byte_order);
	if (n < 0)
		return fail(OTK_EIO, err, errlen, "%s: cannot list: %s", dir, strerror(errno));
	int rc = OTK_OK;
	for (int i = 0; i < n; i++) {
		if (rc == OTK_OK && !otk_asset_name_skipped(ents[i]->d_name))
			rc = read_one(dir, ents[i]->d_name, l, err, errlen);
		free(ents[i]);
	}
	free(ents);
	if (rc == OTK_ENOMEM)
		fail(rc, err, errlen, "%s: out of memory", dir);
	return rc;
}

/* "Device OS 5.3.1", or "module version 5302" for a number no release has. */
static void dos_words(uint16_t v, char *out, size_t n)
{
	const struct otk_dos_release *r = otk_dos_release_by_system_version(v);
	if (r)
		snprintf(out, n, "Device OS %s", r->version);
	else
		snprintf(out, n, "system module version %u", v);
}

int otk_bundle_check_app(const char *path, const uint8_t *buf, size_t len, bool with_assets,
			 struct otk_module *m, char *err, size_t errlen)
{
	int rc = otk_module_parse(buf, len, m);
	if (rc < 0)
		return fail(rc, err, errlen, "%s: not a module: %s", path, otk_strerror(rc));
	if (m->size != len)
		return fail(OTK_EINVAL, err, errlen, "%s: not a single module: file is %zu bytes but "
			    "its prefix says %u", path, len, m->size);
	uint32_t crc = otk_module_crc_compute(m);
	if (crc != m->crc_stored)
		return fail(OTK_ECRC, err, errlen, "%s: CRC mismatch (stored %08x, computed %08x)",
			    path, m->crc_stored, crc);
	if (m->prefix.function != OTK_FUNC_USER)
		return fail(OTK_EINVAL, err, errlen, "%s: not an application: module function is %s",
			    path, otk_function_name(m->prefix.function));
	if (with_assets && m->prefix.dep[0].version < OTK_ASSET_MIN_DOS_VERSION) {
		char needs[64];
		dos_words(m->prefix.dep[0].version, needs, sizeof needs);
		return fail(OTK_EUNSUPPORTED, err, errlen, "%s: Asset support only available for "
			    "Device OS 5.5.0 and above (the application is built for %s)", path,
			    needs);
	}
	return OTK_OK;
}

/*
 * An upper bound of an asset's compressed module: prefix + header + zlib's
 * worst case for the data + the largest suffix (HASH, NAME, ASSET_TYPE,
 * PRODUCT_DATA, base) + CRC.  The limits are monotone in each module's
 * size, so when the bounds fit, the exact sizes fit too and deflating every
 * asset just to measure it can be skipped.
 */
static size_t module_bound(const struct otk_asset_file *a)
{
	return OTK_PREFIX_SIZE + OTK_COMPRESS_HEADER_SIZE + compressBound((uLong)a->len) + 38 +
	       OTK_EXT_HEADER_SIZE + strlen(a->name) + 6 + 10 + OTK_SUFFIX_MIN + OTK_CRC_SIZE;
}

static int build_modules(struct otk_asset_files *l, struct otk_asset_size *sz, char *err,
			 size_t errlen)
{
	for (size_t i = 0; i < l->n; i++) {
		struct otk_asset_file *a = &l->v[i];
		if (!a->module) {
			int rc = otk_asset_module_create(a->data, a->len, a->name, 0, true, &a->module,
							 &a->module_len);
			if (rc < 0)
				return fail(rc, err, errlen, "asset %s: cannot build its module: %s",
					    a->name, otk_strerror(rc));
		}
		sz[i].module_size = a->module_len;
	}
	return OTK_OK;
}

/* The reference tool's message for the first limit the assets break. */
static int limit_error(const struct otk_platform *plat, const struct otk_asset_size *sz,
		       size_t n, bool strict, const struct otk_asset_limit_report *r, char *err,
		       size_t errlen)
{
	if (r->first_over_single < n) {
		const struct otk_asset_size *a = &sz[r->first_over_single];
		uint32_t lim = r->max_single;
		const char *which = "maximum single asset size limit";
		if (strict && r->device_single && r->device_single < lim) {
			lim = r->device_single;
			which = "the device's single asset limit";
		}
		return fail(OTK_ERANGE, err, errlen, "Asset %s exceeds %s by %zu bytes (compressed "
			    "asset module %zu bytes, limit %u on %s)", a->name, which,
			    a->module_size - lim, a->module_size, lim, plat->name);
	}
	return fail(OTK_ERANGE, err, errlen, "Total size of assets exceeds platform limits by %llu "
		    "bytes (%llu bytes of asset storage needed, %u available on %s)",
		    (unsigned long long)(r->total - r->max_total), (unsigned long long)r->total,
		    r->max_total, plat->name);
}

/* The device's own limit: every asset module at most device_max bytes. */
static int device_limit(struct otk_asset_files *l, uint32_t device_max, char *err, size_t errlen)
{
	for (size_t i = 0; i < l->n; i++) {
		struct otk_asset_file *a = &l->v[i];
		if (module_bound(a) <= device_max)
			continue;
		struct otk_asset_size sz;
		int rc = build_modules(&(struct otk_asset_files){ a, 1, 1 }, &sz, err, errlen);
		if (rc < 0)
			return rc;
		if (a->module_len > device_max)
			return fail(OTK_ERANGE, err, errlen, "Asset %s exceeds the device's single "
				    "asset limit by %zu bytes (compressed asset module %zu bytes, "
				    "limit %u)", a->name, a->module_len - device_max, a->module_len,
				    device_max);
	}
	return OTK_OK;
}

int otk_asset_files_check_limits(const struct otk_platform *plat, struct otk_asset_files *l,
				 bool strict, uint32_t device_max, char *err, size_t errlen)
{
	if (l->n == 0)
		return OTK_OK;
	if (device_max)
		return device_limit(l, device_max, err, errlen);
	if (!plat || !plat->has_assets)
		return fail(OTK_EUNSUPPORTED, err, errlen, "This platform does not support assets");
	struct otk_asset_size *sz = calloc(l->n, sizeof *sz);
	if (!sz)
		return fail(OTK_ENOMEM, err, errlen, "out of memory");
	struct otk_asset_limit_report r;
	for (size_t i = 0; i < l->n; i++) {
		sz[i].name = l->v[i].name;
		sz[i].original_size = l->v[i].len;
		sz[i].module_size = module_bound(&l->v[i]);
	}
	int rc = OTK_OK;
	if (otk_assets_check_limits(plat, sz, l->n, strict, &r) < 0) {
		/* Some bound is over a limit: measure the real modules. */
		rc = build_modules(l, sz, err, errlen);
		if (rc == OTK_OK && otk_assets_check_limits(plat, sz, l->n, strict, &r) < 0)
			rc = limit_error(plat, sz, l->n, strict, &r, err, errlen);
	}
	free(sz);
	return rc;
}

/* The application with the assets' dependencies added. */
static int add_deps(const char *app_name, const uint8_t *app, size_t app_len,
		    const struct otk_asset_files *l, uint8_t **out, size_t *out_len, char *err,
		    size_t errlen)
{
	struct otk_asset_ref *refs = calloc(l->n + 1, sizeof *refs);
	if (!refs)
		return fail(OTK_ENOMEM, err, errlen, "out of memory");
	for (size_t i = 0; i < l->n; i++) {
		refs[i].name = l->v[i].name;
		refs[i].name_len = strlen(l->v[i].name);
		otk_asset_hash(l->v[i].data, l->v[i].len, refs[i].hash);
	}
	uint32_t limit = 0;
	int rc = otk_assets_set_deps(app, app_len, refs, l->n, out, out_len, &limit);
	free(refs);
	if (rc == OTK_ERANGE && limit)
		return fail(rc, err, errlen, "%s: Resulting module exceeds platform size limits by "
			    "%zu bytes (%zu bytes with the asset dependencies, limit %u)", app_name,
			    *out_len - limit, *out_len, limit);
	if (rc == OTK_ETOOBIG)
		return fail(rc, err, errlen, "%s: asset names too long: the dependency list does not "
			    "fit in the module suffix (65535 bytes at most)", app_name);
	if (rc < 0)
		return fail(rc, err, errlen, "%s: cannot add asset dependencies: %s", app_name,
			    otk_strerror(rc));
	return OTK_OK;
}

#define ENV_JSON_ENTRY "env/env-vars.json"

int otk_bundle_make(const char *path, const char *app_name, const uint8_t *app, size_t app_len,
		    const struct otk_asset_files *l, const char *env_json, bool force, char *err,
		    size_t errlen)
{
	uint8_t *updated = NULL;
	size_t updated_len = 0;
	int rc = l->n ? add_deps(app_name, app, app_len, l, &updated, &updated_len, err, errlen)
		      : OTK_OK;
	struct otk_bundle_item *items = calloc(l->n + 2, sizeof *items);
	char **names = calloc(l->n + 1, sizeof *names);
	if (rc == OTK_OK && (!items || !names))
		rc = fail(OTK_ENOMEM, err, errlen, "out of memory");
	size_t ni = 0;
	if (rc == OTK_OK)
		items[ni++] = (struct otk_bundle_item){ app_name, updated ? updated : app,
							updated ? updated_len : app_len };
	for (size_t i = 0; rc == OTK_OK && i < l->n; i++) {
		if (asprintf(&names[i], "assets/%s", l->v[i].name) < 0) {
			names[i] = NULL;
			rc = fail(OTK_ENOMEM, err, errlen, "out of memory");
			break;
		}
		items[ni++] = (struct otk_bundle_item){ names[i], l->v[i].data, l->v[i].len };
	}
	if (rc == OTK_OK && env_json)
		items[ni++] = (struct otk_bundle_item){ ENV_JSON_ENTRY, (const uint8_t *)env_json,
							strlen(env_json) };
	if (rc == OTK_OK) {
		char why[256];
		rc = otk_bundle_write(path, items, ni, force, why, sizeof why);
		if (rc == OTK_EIO)
			fail(rc, err, errlen, "%s: cannot write: %s", path, strerror(errno));
		else if (rc < 0)
			fail(rc, err, errlen, "%s: %s", path, why);
	}
	for (size_t i = 0; names && i < l->n; i++)
		free(names[i]);
	free(names);
	free(items);
	free(updated);
	return rc;
}

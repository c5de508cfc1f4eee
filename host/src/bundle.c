#define _POSIX_C_SOURCE 200809L
#include "otk/bundle.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

#include "otk/assets.h"
#include "otk/error.h"
#include "otk/file.h"
#include "otk/platform.h"

bool otk_bundle_name_is_safe(const char *n)
{
	if (!*n || n[0] == '/' || strchr(n, '\\'))
		return false;
	for (const char *p = n; *p;) {
		const char *slash = strchr(p, '/');
		size_t seg = slash ? (size_t)(slash - p) : strlen(p);
		if ((seg == 2 && p[0] == '.' && p[1] == '.') || (seg == 1 && p[0] == '.'))
			return false;
		if (!slash)
			break;
		p = slash + 1;
	}
	return true;
}

/*
 * Append e to the array *v of *n entries.  The capacity is implied by the
 * count (4, then the next power of two), so the array doubles when *n
 * reaches one: 100,000 entries cost 16 reallocs, not 100,000.
 */
static int add_entry(struct otk_bundle_entry **v, size_t *n, struct otk_bundle_entry *e)
{
	size_t have = *n;
	if (have == 0 || (have >= 4 && (have & (have - 1)) == 0)) {
		size_t cap = have ? have * 2 : 4;
		struct otk_bundle_entry *nv = realloc(*v, cap * sizeof **v);
		if (!nv)
			return OTK_ENOMEM;
		*v = nv;
	}
	(*v)[(*n)++] = *e;
	return OTK_OK;
}

static void entry_free(struct otk_bundle_entry *e)
{
	free(e->name);
	free(e->data);
}

void otk_bundle_free(struct otk_bundle *b)
{
	entry_free(&b->app);
	entry_free(&b->env);
	for (size_t i = 0; i < b->nassets; i++)
		entry_free(&b->assets[i]);
	for (size_t i = 0; i < b->nothers; i++)
		entry_free(&b->others[i]);
	free(b->assets);
	free(b->others);
	memset(b, 0, sizeof *b);
}

static int read_entries(zip_t *z, struct otk_bundle *b, char *err, size_t errlen);

/* A zip in memory (buf stays the caller's and must outlive z). */
static zip_t *open_buffer(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(buf, len, 0, &ze);
	zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY, &ze) : NULL;
	if (!z) {
		snprintf(err, errlen, "not a readable zip file: %s", zip_error_strerror(&ze));
		zip_source_free(src);
	}
	zip_error_fini(&ze);
	return z;
}

int otk_bundle_read_buffer(const uint8_t *buf, size_t len, struct otk_bundle *b, char *err,
			   size_t errlen)
{
	memset(b, 0, sizeof *b);
	zip_t *z = open_buffer(buf, len, err, errlen);
	if (!z)
		return OTK_EINVAL;
	return read_entries(z, b, err, errlen);
}

int otk_bundle_read(const char *path, struct otk_bundle *b, char *err, size_t errlen)
{
	int zerr = 0;
	struct stat st;
	const char *file = strcmp(path, "-") == 0 ? "/dev/stdin" : path;

	memset(b, 0, sizeof *b);
	if (stat(file, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		/* A pipe or a device cannot seek, which zip's central directory at
		 * the end needs: hold the whole zip in memory, under a cap. */
		uint8_t *buf;
		size_t len;
		int rc = otk_file_read(file, OTK_LIMIT_BUNDLE_ZIP, &buf, &len);
		if (rc == OTK_ETOOBIG) {
			snprintf(err, errlen, "more than %u MiB arrived, more than a bundle may take",
				 OTK_LIMIT_BUNDLE_ZIP >> 20);
			return rc;
		}
		if (rc < 0) {
			snprintf(err, errlen, "cannot read: %s",
				 rc == OTK_EIO ? strerror(errno) : otk_strerror(rc));
			return rc;
		}
		rc = otk_bundle_read_buffer(buf, len, b, err, errlen);
		free(buf);
		return rc;
	}
	zip_t *z = zip_open(file, ZIP_RDONLY, &zerr);
	if (!z) {
		zip_error_t ze;
		zip_error_init_with_code(&ze, zerr);
		snprintf(err, errlen, "not a readable zip file: %s", zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return OTK_EINVAL;
	}
	return read_entries(z, b, err, errlen);
}

/* Every entry of z, sorted into b; z is discarded. */
static int read_entries(zip_t *z, struct otk_bundle *b, char *err, size_t errlen)
{
	int rc = OTK_OK;
	size_t total = 0;
	zip_int64_t count = zip_get_num_entries(z, 0);
	for (zip_int64_t i = 0; i < count && rc == OTK_OK; i++) {
		zip_stat_t st;
		if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME)) {
			snprintf(err, errlen, "cannot read zip entry %lld", (long long)i);
			rc = OTK_EINVAL;
			break;
		}
		const char *name = st.name;
		size_t nlen = strlen(name);
		if (nlen && name[nlen - 1] == '/')
			continue; /* directory entry */
		if (!otk_bundle_name_is_safe(name)) {
			snprintf(err, errlen, "unsafe entry name '%s'", name);
			rc = OTK_EINVAL;
			break;
		}
		zip_uint8_t opsys;
		zip_uint32_t attr;
		if (zip_file_get_external_attributes(z, (zip_uint64_t)i, 0, &opsys, &attr) == 0 &&
		    opsys == ZIP_OPSYS_UNIX && ((attr >> 16) & 0170000u) == 0120000u /* S_IFLNK in the Unix mode */) {
			snprintf(err, errlen, "entry '%s' is a symbolic link", name);
			rc = OTK_EINVAL;
			break;
		}
		if (zip_name_locate(z, name, 0) != i) {
			snprintf(err, errlen, "duplicate entry '%s'", name);
			rc = OTK_EINVAL;
			break;
		}
		/* The declared size may lie: read at most the cap plus one byte. */
		size_t cap = OTK_BUNDLE_ENTRY_MAX;
		if ((st.valid & ZIP_STAT_SIZE) && st.size > cap) {
			snprintf(err, errlen, "entry '%s' is larger than %zu MiB", name, cap >> 20);
			rc = OTK_ETOOBIG;
			break;
		}
		size_t want = (st.valid & ZIP_STAT_SIZE) ? (size_t)st.size : cap;
		zip_file_t *zf = zip_fopen_index(z, (zip_uint64_t)i, 0);
		if (!zf) {
			snprintf(err, errlen, "cannot open entry '%s': %s", name, zip_strerror(z));
			rc = OTK_EINVAL;
			break;
		}
		struct otk_bundle_entry e = { 0 };
		e.name = strdup(name);
		e.data = malloc(want + 1);
		if (!e.name || !e.data) {
			zip_fclose(zf);
			entry_free(&e);
			rc = OTK_ENOMEM;
			snprintf(err, errlen, "out of memory");
			break;
		}
		zip_int64_t got = 0, r;
		while ((r = zip_fread(zf, e.data + got, want + 1 - (size_t)got)) > 0)
			got += r;
		zip_fclose(zf);
		if (r < 0 || (size_t)got != want) {
			snprintf(err, errlen, "entry '%s' is corrupt or its size does not match the "
				 "directory (%llu bytes declared)", name, (unsigned long long)want);
			entry_free(&e);
			rc = OTK_EINVAL;
			break;
		}
		e.len = (size_t)got;
		total += e.len;
		if (total > OTK_BUNDLE_TOTAL_MAX) {
			snprintf(err, errlen, "bundle inflates to more than %u MiB",
				 OTK_BUNDLE_TOTAL_MAX >> 20);
			entry_free(&e);
			rc = OTK_ETOOBIG;
			break;
		}
		const char *slash = strrchr(e.name, '/');
		e.base = slash ? slash + 1 : e.name;
		if (!slash && nlen > 4 && strcmp(e.name + nlen - 4, ".bin") == 0) {
			b->napps++;
			if (!b->app.data) {
				b->app = e;
				continue;
			}
			rc = add_entry(&b->others, &b->nothers, &e);
		} else if (slash && (size_t)(slash - e.name) == 6 && strncmp(e.name, "assets", 6) == 0) {
			rc = add_entry(&b->assets, &b->nassets, &e);
		} else if (!b->env.data && (strcmp(e.name, "env.json") == 0 ||
					    (slash && (size_t)(slash - e.name) == 3 &&
					     strncmp(e.name, "env/", 4) == 0 && nlen > 9 &&
					     strcmp(e.name + nlen - 5, ".json") == 0))) {
			b->env = e;
			continue;
		} else {
			rc = add_entry(&b->others, &b->nothers, &e);
		}
		if (rc < 0) {
			entry_free(&e);
			snprintf(err, errlen, "out of memory");
		}
	}
	zip_discard(z);
	if (rc < 0)
		otk_bundle_free(b);
	return rc;
}

int otk_bundle_check_fit(const struct otk_bundle *b, uint16_t platform_id, bool strict,
			 struct otk_bundle_fit *f)
{
	memset(f, 0, sizeof *f);
	const struct otk_platform *p = otk_platform_by_id(platform_id);
	if (!p || !p->has_assets)
		return b->nassets ? OTK_EUNSUPPORTED : OTK_OK;
	struct otk_asset_size *sz = calloc(b->nassets + 1, sizeof *sz);
	if (!sz)
		return OTK_ENOMEM;
	int rc = OTK_OK;
	for (size_t i = 0; i < b->nassets && rc == OTK_OK; i++) {
		uint8_t *mod;
		size_t len;
		rc = otk_asset_module_create(b->assets[i].data, b->assets[i].len, b->assets[i].base, 0,
					     true, &mod, &len);
		if (rc == OTK_OK) {
			free(mod);
			sz[i] = (struct otk_asset_size){ b->assets[i].base, b->assets[i].len, len, 0 };
		}
	}
	if (rc == OTK_OK) {
		struct otk_asset_limit_report r;
		rc = otk_assets_check_limits(p, sz, b->nassets, strict, &r);
		f->single_limit = strict && r.device_single && r.device_single < r.max_single ?
				  r.device_single : r.max_single;
		f->total = r.total;
		f->total_limit = r.max_total;
		f->over_total = r.over_total;
		if (r.first_over_single < b->nassets) {
			f->over_single = b->assets[r.first_over_single].base;
			f->module_size = sz[r.first_over_single].module_size;
		}
	}
	free(sz);
	return rc;
}

#define _POSIX_C_SOURCE 200809L
#include "otk/bundle.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "otk/error.h"

static bool name_is_safe(const char *n)
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

static int add_entry(struct otk_bundle_entry **v, size_t *n, struct otk_bundle_entry *e)
{
	struct otk_bundle_entry *nv = realloc(*v, (*n + 1) * sizeof **v);
	if (!nv)
		return OTK_ENOMEM;
	*v = nv;
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

int otk_bundle_read(const char *path, struct otk_bundle *b, char *err, size_t errlen)
{
	int zerr = 0;
	int rc = OTK_OK;
	size_t total = 0;

	memset(b, 0, sizeof *b);
	zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
	if (!z) {
		zip_error_t ze;
		zip_error_init_with_code(&ze, zerr);
		snprintf(err, errlen, "not a readable zip file: %s", zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return OTK_EINVAL;
	}
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
		if (!name_is_safe(name)) {
			snprintf(err, errlen, "unsafe entry name '%s'", name);
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
		} else if (strcmp(e.name, "env.json") == 0) {
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

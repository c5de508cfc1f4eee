/*
 * The Device OS release catalog (otk/dos_catalog.h): import of release zips
 * and module folders, and reading the catalog back.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "otk/bundle.h"
#include "otk/dos_catalog.h"
#include "otk/dos_version.h"
#include "otk/error.h"
#include "otk/file.h"
#include "otk/modtool.h"
#include "otk/platform.h"

/* Most files one import reads, and bytes all together. */
#define IMPORT_MAX_FILES 4096u
#define IMPORT_MAX_BYTES OTK_LIMIT_BUNDLE_TOTAL

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

char *otk_dos_catalog_default_dir(void)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char *p = NULL;
	if (xdg && *xdg) {
		if (asprintf(&p, "%s/otakit/device-os", xdg) < 0)
			p = NULL;
	} else if (home && *home) {
		if (asprintf(&p, "%s/.local/share/otakit/device-os", home) < 0)
			p = NULL;
	}
	return p;
}

/* --- reading the catalog ------------------------------------------------ */

static void release_clear(struct otk_dos_release_set *r)
{
	for (size_t i = 0; i < r->nmods; i++)
		free(r->mods[i].file);
	free(r->mods);
	free(r->version);
	free(r->dir);
	memset(r, 0, sizeof *r);
}

void otk_dos_catalog_free(struct otk_dos_catalog *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		release_clear(&c->rel[i]);
	free(c->rel);
	free(c->dir);
	memset(c, 0, sizeof *c);
}

/* A file name written by this code: FUNCTION-INDEX.bin, no path. */
static bool module_file_ok(const char *s)
{
	return s && *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

static int module_from_json(json_t *o, struct otk_dos_module *m)
{
	json_int_t fn = json_integer_value(json_object_get(o, "function"));
	json_int_t idx = json_integer_value(json_object_get(o, "index"));
	json_int_t ver = json_integer_value(json_object_get(o, "version"));
	json_int_t start = json_integer_value(json_object_get(o, "start"));
	json_int_t size = json_integer_value(json_object_get(o, "size"));
	json_int_t crc = json_integer_value(json_object_get(o, "crc"));
	json_int_t flags = json_integer_value(json_object_get(o, "flags"));
	json_int_t mcu = json_integer_value(json_object_get(o, "mcu"));
	const char *file = json_string_value(json_object_get(o, "file"));
	if (!module_file_ok(file) || fn < 1 || fn > OTK_FUNC_MAX || idx < 0 || idx > 255 ||
	    ver < 0 || ver > 0xFFFF || start < 0 || start > 0xFFFFFFFF || size <= 0 ||
	    size > 0xFFFFFFFF || crc < 0 || crc > 0xFFFFFFFF || flags < 0 || flags > 255 ||
	    mcu < 0 || mcu > 255)
		return OTK_EINVAL;
	memset(m, 0, sizeof *m);
	m->file = strdup(file);
	if (!m->file)
		return OTK_ENOMEM;
	m->prefix.function = (uint8_t)fn;
	m->prefix.index = (uint8_t)idx;
	m->prefix.version = (uint16_t)ver;
	m->prefix.start = (uint32_t)start;
	m->prefix.flags = (uint8_t)flags;
	m->prefix.reserved = (uint8_t)mcu;
	m->size = (uint32_t)size;
	m->crc = (uint32_t)crc;
	return OTK_OK;
}

static int module_cmp(const void *a, const void *b)
{
	const struct otk_dos_module *x = a, *y = b;
	int kx = x->prefix.function * 256 + x->prefix.index;
	int ky = y->prefix.function * 256 + y->prefix.index;
	return kx != ky ? kx - ky : (int)x->prefix.reserved - (int)y->prefix.reserved;
}

/* release.json of one folder into r, its modules by function and index. */
static int release_load(const char *dir, struct otk_dos_release_set *r, char *err, size_t errlen)
{
	char *path = NULL;
	if (asprintf(&path, "%s/release.json", dir) < 0)
		return OTK_ENOMEM;
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	int rc = OTK_OK;
	memset(r, 0, sizeof *r);
	if (!root) {
		rc = fail(err, errlen, OTK_EINVAL, "%s: cannot read: %s", path, je.text);
		goto out;
	}
	json_int_t pid = json_integer_value(json_object_get(root, "platform_id"));
	json_int_t sv = json_integer_value(json_object_get(root, "system_version"));
	const char *ver = json_string_value(json_object_get(root, "version"));
	json_t *mods = json_object_get(root, "modules");
	if (pid <= 0 || pid > 0xFFFF || sv <= 0 || sv > 0xFFFF || !ver || !json_is_array(mods)) {
		rc = fail(err, errlen, OTK_EINVAL, "%s: not a release description", path);
		goto out;
	}
	r->platform = (uint16_t)pid;
	r->system_version = (uint16_t)sv;
	r->version = strdup(ver);
	r->dir = strdup(dir);
	r->mods = calloc(json_array_size(mods) + 1, sizeof *r->mods);
	if (!r->version || !r->dir || !r->mods) {
		rc = OTK_ENOMEM;
		goto out;
	}
	size_t i;
	json_t *o;
	json_array_foreach(mods, i, o) {
		rc = module_from_json(o, &r->mods[r->nmods]);
		if (rc < 0) {
			fail(err, errlen, rc, "%s: module %zu is not described right", path, i);
			goto out;
		}
		r->mods[r->nmods++].prefix.platform = r->platform;
	}
	qsort(r->mods, r->nmods, sizeof *r->mods, module_cmp);
out:
	if (rc < 0)
		release_clear(r);
	json_decref(root);
	free(path);
	return rc;
}

static int release_cmp(const void *a, const void *b)
{
	const struct otk_dos_release_set *x = a, *y = b;
	if (x->platform != y->platform)
		return x->platform < y->platform ? -1 : 1;
	if (x->system_version != y->system_version)
		return x->system_version < y->system_version ? -1 : 1;
	return strcmp(x->version, y->version);
}

/* Sorted names of the subfolders of dir; *n 0 when dir is missing. */
static int list_dirs(const char *dir, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	struct dirent **ents;
	int k = scandir(dir, &ents, NULL, alphasort);
	if (k < 0)
		return errno == ENOENT ? OTK_OK : OTK_EIO;
	char **names = calloc((size_t)k + 1, sizeof *names);
	int rc = names ? OTK_OK : OTK_ENOMEM;
	for (int i = 0; i < k; i++) {
		struct stat st;
		char *p = NULL;
		if (rc == OTK_OK && ents[i]->d_name[0] != '.' &&
		    asprintf(&p, "%s/%s", dir, ents[i]->d_name) >= 0 && stat(p, &st) == 0 &&
		    S_ISDIR(st.st_mode))
			names[(*n)++] = p;
		else
			free(p);
		free(ents[i]);
	}
	free(ents);
	*out = names;
	return rc;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int otk_dos_catalog_load(const char *dir, struct otk_dos_catalog *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	c->dir = strdup(dir);
	if (!c->dir)
		return OTK_ENOMEM;
	char **plats;
	size_t np;
	int rc = list_dirs(dir, &plats, &np);
	if (rc < 0)
		return fail(err, errlen, rc, "%s: cannot read the catalog: %s", dir, strerror(errno));
	for (size_t i = 0; i < np && rc == OTK_OK; i++) {
		char **vers;
		size_t nv;
		rc = list_dirs(plats[i], &vers, &nv);
		if (rc < 0) {
			fail(err, errlen, rc, "%s: %s", plats[i], strerror(errno));
			break;
		}
		struct otk_dos_release_set *grown = realloc(c->rel, (c->n + nv + 1) * sizeof *c->rel);
		if (!grown)
			rc = OTK_ENOMEM;
		else
			c->rel = grown;
		for (size_t j = 0; j < nv && rc == OTK_OK; j++) {
			char *rj = NULL;
			if (asprintf(&rj, "%s/release.json", vers[j]) < 0) {
				rc = OTK_ENOMEM;
				break;
			}
			bool present = otk_file_exists(rj);
			free(rj);
			/* a folder without release.json is an import that never finished */
			if (present && (rc = release_load(vers[j], &c->rel[c->n], err, errlen)) == OTK_OK)
				c->n++;
		}
		free_names(vers, nv);
	}
	free_names(plats, np);
	if (rc < 0) {
		otk_dos_catalog_free(c);
		return rc;
	}
	if (c->n)
		qsort(c->rel, c->n, sizeof *c->rel, release_cmp);
	return OTK_OK;
}

const struct otk_dos_release_set *otk_dos_catalog_find(const struct otk_dos_catalog *c,
						       uint16_t platform, const char *version)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->rel[i].platform == platform && strcmp(c->rel[i].version, version) == 0)
			return &c->rel[i];
	return NULL;
}

const struct otk_dos_release_set *otk_dos_catalog_newest(const struct otk_dos_catalog *c,
							 uint16_t platform)
{
	const struct otk_dos_release_set *best = NULL;
	for (size_t i = 0; i < c->n; i++)
		if (c->rel[i].platform == platform)
			best = &c->rel[i];   /* sorted: the last is the newest */
	return best;
}

int otk_dos_module_read(const struct otk_dos_release_set *r, const struct otk_dos_module *m,
			uint8_t **buf, size_t *len, char *err, size_t errlen)
{
	char *path = NULL;
	if (asprintf(&path, "%s/%s", r->dir, m->file) < 0)
		return OTK_ENOMEM;
	int rc = otk_file_read(path, OTK_LIMIT_FILE, buf, len);
	if (rc < 0) {
		fail(err, errlen, rc, "%s: cannot read: %s", path,
		     rc == OTK_EIO ? strerror(errno) : otk_strerror(rc));
		free(path);
		return rc;
	}
	struct otk_module mod;
	rc = otk_module_parse(*buf, *len, &mod);
	if (rc == OTK_OK && otk_module_crc_compute(&mod) != mod.crc_stored)
		rc = OTK_ECRC;
	if (rc == OTK_OK && (mod.prefix.function != m->prefix.function ||
			     mod.prefix.index != m->prefix.index ||
			     mod.prefix.version != m->prefix.version ||
			     mod.prefix.platform != r->platform))
		rc = OTK_EBADPREFIX;
	if (rc < 0) {
		fail(err, errlen, rc, "%s: the catalog's copy is damaged: %s", path, otk_strerror(rc));
		free(*buf);
		*buf = NULL;
	}
	free(path);
	return rc;
}

/* --- import ------------------------------------------------------------- */

struct infile {
	char *name;        /* as shown: zip entry or path */
	uint8_t *data;
	size_t len;
	struct otk_module m;
	bool use;
	int rel;           /* index into the import's releases */
};

struct import {
	struct infile *f;
	size_t n, bytes;
	otk_dos_note_fn note;
	void *ctx;
	char *err;
	size_t errlen;
};

static int add_file(struct import *im, const char *name, uint8_t *data, size_t len)
{
	if (im->n >= IMPORT_MAX_FILES || len > IMPORT_MAX_BYTES - im->bytes) {
		free(data);
		return fail(im->err, im->errlen, OTK_ETOOBIG, "%s: more than %u files or %u bytes",
			    name, IMPORT_MAX_FILES, IMPORT_MAX_BYTES);
	}
	if (im->n % 64 == 0) {
		struct infile *g = realloc(im->f, (im->n + 64) * sizeof *g);
		if (!g) {
			free(data);
			return OTK_ENOMEM;
		}
		im->f = g;
	}
	struct infile *f = &im->f[im->n];
	memset(f, 0, sizeof *f);
	f->name = strdup(name);
	if (!f->name) {
		free(data);
		return OTK_ENOMEM;
	}
	f->data = data;
	f->len = len;
	im->n++;
	im->bytes += len;
	return OTK_OK;
}

/* One entry of a release zip as an input (its data is taken from e). */
static int zip_entry(struct import *im, const char *path, struct otk_bundle_entry *e)
{
	if (!e->data)
		return OTK_OK;
	char *shown = NULL;
	if (asprintf(&shown, "%s:%s", path, e->name) < 0)
		return OTK_ENOMEM;
	int rc = add_file(im, shown, e->data, e->len);
	e->data = NULL;
	free(shown);
	return rc;
}

/* A release zip, read by the bundle reader: entry names checked, sizes
 * capped, links, duplicates and damaged entries refused. */
static int read_zip(struct import *im, const char *path)
{
	struct otk_bundle b;
	char why[512];
	int rc = otk_bundle_read(path, &b, why, sizeof why);
	if (rc < 0)
		return fail(im->err, im->errlen, rc, "%s: %s", path, why);
	rc = zip_entry(im, path, &b.app);
	for (size_t i = 0; rc == OTK_OK && i < b.nassets; i++)
		rc = zip_entry(im, path, &b.assets[i]);
	for (size_t i = 0; rc == OTK_OK && i < b.nothers; i++)
		rc = zip_entry(im, path, &b.others[i]);
	if (rc == OTK_OK)
		rc = zip_entry(im, path, &b.env);
	otk_bundle_free(&b);
	return rc;
}

static int read_dir(struct import *im, const char *dir, int depth)
{
	if (depth > 8)
		return OTK_OK;
	struct dirent **ents;
	int k = scandir(dir, &ents, NULL, alphasort);
	if (k < 0)
		return fail(im->err, im->errlen, OTK_EIO, "%s: %s", dir, strerror(errno));
	int rc = OTK_OK;
	for (int i = 0; i < k; i++) {
		char *p = NULL;
		struct stat st;
		if (rc == OTK_OK && ents[i]->d_name[0] != '.' &&
		    asprintf(&p, "%s/%s", dir, ents[i]->d_name) >= 0 && lstat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				rc = read_dir(im, p, depth + 1);
			} else if (S_ISREG(st.st_mode)) {
				uint8_t *data;
				size_t len;
				int r = otk_file_read(p, OTK_LIMIT_FILE, &data, &len);
				if (r < 0)
					rc = fail(im->err, im->errlen, r, "%s: cannot read: %s", p,
						  r == OTK_EIO ? strerror(errno) : otk_strerror(r));
				else
					rc = add_file(im, p, data, len);
			}
		}
		free(p);
		free(ents[i]);
	}
	free(ents);
	return rc;
}

/* Split combined modules into their parts, each its own input file. */
static int split_combined(struct import *im, size_t i)
{
	struct otk_part *parts;
	size_t np;
	int rc = otk_module_split(im->f[i].data, im->f[i].len, 16, &parts, &np);
	if (rc < 0)
		return fail(im->err, im->errlen, rc, "%s: cannot split the combined module: %s",
			    im->f[i].name, otk_strerror(rc));
	char *base = im->f[i].name;
	for (size_t k = 0; k < np && rc == OTK_OK; k++) {
		char *shown = NULL;
		if (asprintf(&shown, "%s[part %zu]", base, k + 1) < 0) {
			rc = OTK_ENOMEM;
			break;
		}
		rc = add_file(im, shown, parts[k].data, parts[k].len);
		parts[k].data = NULL;
		free(shown);
	}
	otk_module_parts_free(parts, np);
	return rc;
}

struct newrel {
	uint16_t platform, system_version;
	const char *version;
};

/* Decide for every input whether and where it goes. */
static int classify(struct import *im, struct newrel *rels, size_t *nrels)
{
	size_t n0 = im->n;
	for (size_t i = 0; i < n0; i++) {
		struct infile *f = &im->f[i];
		int rc = otk_module_parse(f->data, f->len, &f->m);
		if (rc < 0 || f->m.prefix_score < OTK_PREFIX_SCORE_MAX) {
			im->note(im->ctx, f->name, "not a module, skipped");
			continue;
		}
		uint32_t crc = otk_module_crc_compute(&f->m);
		if (crc != f->m.crc_stored)
			return fail(im->err, im->errlen, OTK_ECRC,
				    "%s: CRC mismatch (stored %08x, computed %08x)", f->name,
				    f->m.crc_stored, crc);
		if (f->m.size < f->len && (f->m.prefix.flags & OTK_FLAG_COMBINED)) {
			rc = split_combined(im, i);
			if (rc < 0)
				return rc;
			f = &im->f[i];   /* add_file may have moved the array */
			continue;
		}
		if (!otk_platform_by_id(f->m.prefix.platform)) {
			im->note(im->ctx, f->name, "a module for an unknown platform, skipped");
			continue;
		}
		if (f->m.prefix.function == OTK_FUNC_ASSET) {
			im->note(im->ctx, f->name, "an asset, not part of a release, skipped");
			continue;
		}
		f->use = true;
		f->rel = -1;
	}
	/* parts of combined modules were appended: parse them too */
	for (size_t i = n0; i < im->n; i++) {
		struct infile *f = &im->f[i];
		if (otk_module_parse(f->data, f->len, &f->m) < 0)
			return fail(im->err, im->errlen, OTK_EINVAL, "%s: not a module", f->name);
		f->use = otk_platform_by_id(f->m.prefix.platform) && f->m.prefix.function != OTK_FUNC_ASSET;
		f->rel = -1;
	}
	/* releases: one per platform and system part version */
	for (size_t i = 0; i < im->n; i++) {
		struct infile *f = &im->f[i];
		if (!f->use || f->m.prefix.function != OTK_FUNC_SYSTEM)
			continue;
		const struct otk_dos_release *dr = otk_dos_release_by_system_version(f->m.prefix.version);
		if (!dr)
			return fail(im->err, im->errlen, OTK_ENOTFOUND,
				    "%s: system part version %u is not a Device OS release otakit knows",
				    f->name, f->m.prefix.version);
		size_t k;
		for (k = 0; k < *nrels; k++)
			if (rels[k].platform == f->m.prefix.platform &&
			    rels[k].system_version == f->m.prefix.version)
				break;
		if (k == *nrels)
			rels[(*nrels)++] = (struct newrel){ f->m.prefix.platform, f->m.prefix.version,
							    dr->version };
		f->rel = (int)k;
	}
	/* the other modules join their platform's release */
	for (size_t i = 0; i < im->n; i++) {
		struct infile *f = &im->f[i];
		if (!f->use || f->rel >= 0)
			continue;
		int only = -1, named = -1, count = 0;
		for (size_t k = 0; k < *nrels; k++) {
			if (rels[k].platform != f->m.prefix.platform)
				continue;
			count++;
			only = (int)k;
			for (int d = 0; d < 2; d++)
				if (f->m.prefix.dep[d].function == OTK_FUNC_SYSTEM &&
				    f->m.prefix.dep[d].version == rels[k].system_version)
					named = (int)k;
		}
		f->rel = named >= 0 ? named : count == 1 ? only : -1;
		if (f->rel < 0)
			return fail(im->err, im->errlen, OTK_ENOTFOUND,
				    "%s: %s %u for %s: cannot tell which Device OS release it belongs "
				    "to (%s)", f->name, otk_function_name(f->m.prefix.function),
				    f->m.prefix.index, otk_platform_by_id(f->m.prefix.platform)->name,
				    count ? "several system part versions in the import"
					  : "no system part of that platform in the import");
	}
	/* two different modules for one slot of one release */
	for (size_t i = 0; i < im->n; i++)
		for (size_t j = i + 1; j < im->n; j++) {
			struct infile *a = &im->f[i], *b = &im->f[j];
			if (a->use && b->use && a->rel == b->rel &&
			    a->m.prefix.function == b->m.prefix.function &&
			    a->m.prefix.index == b->m.prefix.index &&
			    a->m.prefix.reserved == b->m.prefix.reserved) {
				if (a->m.size == b->m.size && memcmp(a->data, b->data, a->m.size) == 0) {
					b->use = false;   /* the same module twice */
					continue;
				}
				return fail(im->err, im->errlen, OTK_EEXIST,
					    "%s and %s: two different %s %u modules for one release",
					    a->name, b->name, otk_function_name(a->m.prefix.function),
					    a->m.prefix.index);
			}
		}
	return OTK_OK;
}

static char *module_file_name(const struct otk_module *m)
{
	char *s = NULL;
	int r = m->prefix.reserved
		? asprintf(&s, "%s-%u-mcu%u.bin", otk_function_short_name(m->prefix.function),
			   m->prefix.index, m->prefix.reserved)
		: asprintf(&s, "%s-%u.bin", otk_function_short_name(m->prefix.function),
			   m->prefix.index);
	return r < 0 ? NULL : s;
}

static int mkdir_p(const char *path)
{
	char *p = strdup(path);
	if (!p)
		return OTK_ENOMEM;
	for (char *s = p + 1;; s++) {
		if (*s == '/' || !*s) {
			char c = *s;
			*s = 0;
			if (mkdir(p, 0777) < 0 && errno != EEXIST) {
				free(p);
				return OTK_EIO;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	return OTK_OK;
}

static json_t *module_json(const char *file, const struct otk_module *m)
{
	return json_pack("{s:s, s:s, s:i, s:i, s:i, s:I, s:I, s:I, s:i, s:i}", "file", file,
			 "type", otk_function_short_name(m->prefix.function), "function",
			 m->prefix.function, "index", m->prefix.index, "version", m->prefix.version,
			 "start", (json_int_t)m->prefix.start, "size", (json_int_t)m->size, "crc",
			 (json_int_t)m->crc_stored, "flags", m->prefix.flags, "mcu",
			 m->prefix.reserved);
}

/* Write one release: its modules, then release.json listing the old ones kept. */
static int write_release(struct import *im, const char *catalog, const struct newrel *nr,
			 int idx, size_t *written)
{
	const struct otk_platform *plat = otk_platform_by_id(nr->platform);
	char *dir = NULL;
	if (asprintf(&dir, "%s/%s/%s", catalog, plat->name, nr->version) < 0)
		return OTK_ENOMEM;
	int rc = mkdir_p(dir);
	if (rc < 0) {
		rc = fail(im->err, im->errlen, rc, "%s: cannot create: %s", dir, strerror(errno));
		free(dir);
		return rc;
	}
	json_t *mods = json_array();
	/* modules of an earlier import of this release stay unless replaced */
	struct otk_dos_release_set old = { 0 };
	char scratch[8];
	char *rj = NULL;
	if (asprintf(&rj, "%s/release.json", dir) < 0)
		rc = OTK_ENOMEM;
	else if (otk_file_exists(rj) && release_load(dir, &old, scratch, sizeof scratch) < 0)
		memset(&old, 0, sizeof old);   /* unreadable: rewritten from this import */
	for (size_t i = 0; i < im->n && rc == OTK_OK; i++) {
		struct infile *f = &im->f[i];
		if (!f->use || f->rel != idx)
			continue;
		char *name = module_file_name(&f->m), *path = NULL;
		if (!name || asprintf(&path, "%s/%s", dir, name) < 0) {
			free(name);
			rc = OTK_ENOMEM;
			break;
		}
		rc = otk_file_write(path, f->data, f->m.size, true);
		if (rc < 0)
			fail(im->err, im->errlen, rc, "%s: cannot write: %s", path, strerror(errno));
		else {
			json_array_append_new(mods, module_json(name, &f->m));
			(*written)++;
		}
		free(path);
		free(name);
	}
	for (size_t k = 0; k < old.nmods && rc == OTK_OK; k++) {
		bool replaced = false;
		size_t i;
		json_t *o;
		json_array_foreach(mods, i, o)
			if (strcmp(json_string_value(json_object_get(o, "file")), old.mods[k].file) == 0)
				replaced = true;
		if (replaced)
			continue;
		struct otk_module m = { 0 };
		m.prefix = old.mods[k].prefix;
		m.size = old.mods[k].size;
		m.crc_stored = old.mods[k].crc;
		json_array_append_new(mods, module_json(old.mods[k].file, &m));
	}
	release_clear(&old);
	if (rc == OTK_OK) {
		json_t *root = json_pack("{s:s, s:i, s:s, s:i, s:o}", "platform", plat->name,
					 "platform_id", nr->platform, "version", nr->version,
					 "system_version", nr->system_version, "modules", mods);
		mods = NULL;
		char *text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
		json_decref(root);
		if (!text)
			rc = OTK_ENOMEM;
		else {
			size_t tl = strlen(text);
			text[tl] = '\n';   /* json_dumps leaves room: we write tl + 1 bytes */
			rc = otk_file_write(rj, text, tl + 1, true);
			if (rc < 0)
				fail(im->err, im->errlen, rc, "%s: cannot write: %s", rj, strerror(errno));
			free(text);
		}
	}
	json_decref(mods);
	free(rj);
	free(dir);
	return rc;
}

/* Classifies the gathered inputs and writes their releases; frees them. */
static int import_gathered(struct import *im, const char *dir, const char *src, int rc,
			   size_t *imported)
{
	struct newrel *rels = NULL;
	size_t nrels = 0;
	if (rc == OTK_OK) {
		rels = calloc(im->n + 1, sizeof *rels);
		rc = rels ? classify(im, rels, &nrels) : OTK_ENOMEM;
	}
	if (rc == OTK_OK && nrels == 0)
		rc = fail(im->err, im->errlen, OTK_ENOTFOUND, "%s: no Device OS system part found",
			  src);
	for (size_t k = 0; k < nrels && rc == OTK_OK; k++)
		rc = write_release(im, dir, &rels[k], (int)k, imported);
	for (size_t i = 0; i < im->n; i++) {
		free(im->f[i].name);
		free(im->f[i].data);
	}
	free(im->f);
	free(rels);
	return rc;
}

int otk_dos_catalog_import(const char *dir, const char *src, otk_dos_note_fn note, void *ctx,
			   size_t *imported, char *err, size_t errlen)
{
	struct import im = { .note = note, .ctx = ctx, .err = err, .errlen = errlen };
	struct stat st;
	int rc;
	*imported = 0;
	if (stat(src, &st) < 0)
		return fail(err, errlen, OTK_EIO, "%s: %s", src, strerror(errno));
	if (S_ISDIR(st.st_mode))
		rc = read_dir(&im, src, 0);
	else
		rc = read_zip(&im, src);
	return import_gathered(&im, dir, src, rc, imported);
}

int otk_dos_catalog_import_mem(const char *dir, const char *src, const struct otk_dos_input *in,
			       size_t n, otk_dos_note_fn note, void *ctx, size_t *imported,
			       char *err, size_t errlen)
{
	struct import im = { .note = note, .ctx = ctx, .err = err, .errlen = errlen };
	int rc = OTK_OK;
	*imported = 0;
	for (size_t i = 0; i < n && rc == OTK_OK; i++) {
		uint8_t *copy = malloc(in[i].len ? in[i].len : 1);
		if (!copy)
			rc = OTK_ENOMEM;
		else {
			memcpy(copy, in[i].data, in[i].len);
			rc = add_file(&im, in[i].name, copy, in[i].len);
		}
	}
	return import_gathered(&im, dir, src, rc, imported);
}

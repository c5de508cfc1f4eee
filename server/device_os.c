/*
 * The Device OS catalog: `otakitd device-os import` and the two endpoints
 * particle-cli reads (src/lib/device-os-version-util.js): the release's
 * module list with base_url, and the module files under it; beyond
 * Particle's API, the list of releases and an upload for administrators
 * (`otakit device-os upload`).  A release arrives as module files or as a
 * zip of them, read by the host library's bundle reader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otk/bundle.h"
#include "otk/dos_version.h"
#include "otk/error.h"
#include "otk/file.h"
#include "otk/module.h"
#include "otk/platform.h"

#include "api.h"
#include "blob.h"
#include "device_os.h"
#include "params.h"

#define DOS_FILES_MAX 64u

static bool filename_ok(const char *s)
{
	size_t n = strlen(s);
	return n && n < OTKD_NAME_MAX && s[0] != '.' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@+") == n;
}

/* The module files of one import: each named as messages show it ("a.bin",
 * "release.zip:p2/a.bin"), with the file name it keeps in the catalog. */
struct dos_in {
	char *shown;
	const char *base;          /* points into shown */
	uint8_t *data;
	size_t len;
};

struct dos_set {
	struct dos_in *v;
	size_t n;
};

static void set_free(struct dos_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].shown);
		free(s->v[i].data);
	}
	free(s->v);
	memset(s, 0, sizeof *s);
}

/* Appends a file, taking shown and data (freed on failure too). */
static int set_add(struct dos_set *s, char *shown, size_t base_at, uint8_t *data, size_t len,
		   char *err, size_t errlen)
{
	struct dos_in *v = NULL;
	int rc = OTK_OK;
	if (!shown)
		rc = OTK_ENOMEM;
	else if (s->n >= DOS_FILES_MAX && (rc = OTK_ETOOBIG))
		snprintf(err, errlen, "%s: more than %u module files in one release", shown,
			 DOS_FILES_MAX);
	else if (!(v = realloc(s->v, (s->n + 1) * sizeof *v)))
		rc = OTK_ENOMEM;
	if (rc < 0) {
		free(shown);
		free(data);
		return rc;
	}
	s->v = v;
	v[s->n++] = (struct dos_in){ shown, shown + base_at, data, len };
	return OTK_OK;
}

static bool ends_with_bin(const char *s)
{
	size_t n = strlen(s);
	return n > 4 && strcmp(s + n - 4, ".bin") == 0;
}

/* A zip's .bin entry joins the set (its data is taken from e). */
static int take_entry(struct dos_set *s, const char *zip, struct otk_bundle_entry *e, char *err,
		      size_t errlen)
{
	if (!e->data || !ends_with_bin(e->name))
		return OTK_OK;   /* release notes and the like */
	char *shown = NULL;
	if (asprintf(&shown, "%s:%s", zip, e->name) < 0)
		shown = NULL;
	uint8_t *data = e->data;
	e->data = NULL;
	return set_add(s, shown, strlen(zip) + 1 + (size_t)(e->base - e->name), data, e->len, err,
		       errlen);
}

/* One file of an import into s: a module, or a release zip whose .bin
 * entries are its modules (read by the bundle reader, which refuses
 * hostile archives).  Takes data. */
static int set_add_file(struct dos_set *s, const char *name, uint8_t *data, size_t len, char *err,
			size_t errlen)
{
	if (len < 4 || memcmp(data, "PK\3\4", 4) != 0) {
		char *shown = strdup(name);
		return set_add(s, shown, (size_t)(otk_path_basename(name) - name), data, len, err,
			       errlen);
	}
	struct otk_bundle b;
	char why[512];
	int rc = otk_bundle_read_buffer(data, len, &b, why, sizeof why);
	free(data);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", name, why);
		return rc;
	}
	rc = take_entry(s, name, &b.app, err, errlen);
	for (size_t i = 0; rc == OTK_OK && i < b.nassets; i++)
		rc = take_entry(s, name, &b.assets[i], err, errlen);
	for (size_t i = 0; rc == OTK_OK && i < b.nothers; i++)
		rc = take_entry(s, name, &b.others[i], err, errlen);
	otk_bundle_free(&b);
	if (rc == OTK_OK && s->n == 0 && (rc = OTK_EINVAL))
		snprintf(err, errlen, "%s: no .bin file in the zip", name);
	return rc;
}

/* The release a set of modules is: the one named, else the one of the
 * system part among them. */
static const struct otk_dos_release *which_release(const char *version, const struct dos_set *s,
						   char *err, size_t errlen)
{
	if (version) {
		const struct otk_dos_release *rel = otk_dos_release_by_name(version);
		if (!rel)
			snprintf(err, errlen, "%s: not a Device OS release otakit knows", version);
		return rel;
	}
	for (size_t i = 0; i < s->n; i++) {
		struct otk_module mod;
		if (otk_module_parse(s->v[i].data, s->v[i].len, &mod) < 0 ||
		    mod.prefix.function != OTK_FUNC_SYSTEM)
			continue;
		const struct otk_dos_release *rel =
			otk_dos_release_by_system_version(mod.prefix.version);
		if (!rel)
			snprintf(err, errlen, "%s: system part version %u is not a Device OS release "
				 "otakit knows", s->v[i].shown, mod.prefix.version);
		return rel;
	}
	snprintf(err, errlen, "no system part among the files: name the release (version)");
	return NULL;
}

/* Why module x (parsed as mod) cannot be module i of release rel; OTK_OK
 * when it can.  m[0..i) are the modules accepted before it. */
static int module_refusal(const struct dos_in *x, const struct otk_module *mod,
			  const struct otk_dos_release *rel, const struct otkd_dos_module *m,
			  size_t i, char *err, size_t errlen)
{
	const char *path = x->shown;
	int rc = OTK_EINVAL;
	if (mod->size != x->len)
		snprintf(err, errlen, "%s: not a single module (%zu bytes, the prefix says %u)", path,
			 x->len, mod->size);
	else if (otk_module_crc_compute(mod) != mod->crc_stored && (rc = OTK_ECRC))
		snprintf(err, errlen, "%s: CRC mismatch", path);
	else if (mod->prefix.function == OTK_FUNC_NONE || mod->prefix.function == OTK_FUNC_ASSET ||
		 mod->prefix.function > OTK_FUNC_MAX)
		snprintf(err, errlen, "%s: a module of function %s is not part of a Device OS release",
			 path, otk_function_name(mod->prefix.function));
	else if (!otk_platform_by_id(mod->prefix.platform))
		snprintf(err, errlen, "%s: unknown platform %u", path, mod->prefix.platform);
	else if (i && mod->prefix.platform != m[0].platform_id)
		snprintf(err, errlen, "%s: platform %u, but %s is for platform %u", path,
			 mod->prefix.platform, m[0].filename, m[0].platform_id);
	else if (mod->prefix.function == OTK_FUNC_SYSTEM && mod->prefix.version != rel->system_version)
		snprintf(err, errlen, "%s: system part version %u, but Device OS %s has %u", path,
			 mod->prefix.version, rel->version, rel->system_version);
	else if (!filename_ok(x->base))
		snprintf(err, errlen, "%s: file name must be letters, digits and ._-@+", path);
	else
		rc = OTK_OK;
	for (size_t k = 0; rc == OTK_OK && k < i; k++)
		if (strcmp(m[k].filename, x->base) == 0 && (rc = OTK_EEXIST))
			snprintf(err, errlen, "%s: two files named %s", path, x->base);
	return rc;
}

static void module_row(struct otkd_dos_module *x, const struct otk_dos_release *rel,
		       const struct dos_in *in, const struct otk_module *mod)
{
	snprintf(x->version, sizeof x->version, "%s", rel->version);
	x->internal_version = rel->system_version;
	x->platform_id = mod->prefix.platform;
	snprintf(x->filename, sizeof x->filename, "%s", in->base);
	x->function = mod->prefix.function;
	x->index = mod->prefix.index;
	x->module_version = mod->prefix.version;
	x->start = mod->prefix.start;
	x->end = mod->prefix.end;
	x->flags = mod->prefix.flags;
	x->dep_function = mod->prefix.dep[0].function;
	x->dep_index = mod->prefix.dep[0].index;
	x->dep_version = mod->prefix.dep[0].version;
	x->dep2_function = mod->prefix.dep[1].function;
	x->dep2_index = mod->prefix.dep[1].index;
	x->dep2_version = mod->prefix.dep[1].version;
	x->prefix_offset = mod->prefix_offset;
	x->crc = mod->crc_stored;
	x->size = in->len;
}

/* Checks every module of s, stores them as blobs and records the release
 * in one transaction; *out gets the rows (malloc'd) on success. */
static int import_set(struct otkd_store *st, const char *data_dir, const char *version,
		      const struct dos_set *s, struct otkd_dos_module **out, char *err,
		      size_t errlen)
{
	*out = NULL;
	const struct otk_dos_release *rel = which_release(version, s, err, errlen);
	if (!rel)
		return OTK_EINVAL;
	struct otkd_dos_module *m = calloc(s->n + 1, sizeof *m);
	if (!m)
		return OTK_ENOMEM;
	int rc = OTK_OK;
	for (size_t i = 0; rc == OTK_OK && i < s->n; i++) {
		const struct dos_in *x = &s->v[i];
		struct otk_module mod;
		rc = otk_module_parse(x->data, x->len, &mod);
		if (rc < 0)
			snprintf(err, errlen, "%s: not a module: %s", x->shown, otk_strerror(rc));
		else
			rc = module_refusal(x, &mod, rel, m, i, err, errlen);
		if (rc == OTK_OK) {
			module_row(&m[i], rel, x, &mod);
			rc = otkd_blob_put(data_dir, x->data, x->len, m[i].sha256);
			if (rc < 0)
				snprintf(err, errlen, "%s: cannot store: %s", x->shown, otk_strerror(rc));
		}
	}
	if (rc == OTK_OK) {
		rc = st->ops->dos_import(st, m, s->n);
		if (rc < 0)
			snprintf(err, errlen, "cannot record the release: %s", otk_strerror(rc));
	}
	if (rc < 0)
		free(m);
	else
		*out = m;
	return rc;
}

int otkd_dos_import_files(struct otkd_store *st, const char *data_dir, const char *version,
			  char *const *files, size_t n, size_t *imported, char *err, size_t errlen)
{
	struct dos_set s = { 0 };
	int rc = OTK_OK;
	*imported = 0;
	for (size_t i = 0; rc == OTK_OK && i < n; i++) {
		uint8_t *buf = NULL;
		size_t len = 0;
		rc = otk_file_read(files[i], OTK_LIMIT_BUNDLE_ZIP, &buf, &len);
		if (rc < 0)
			snprintf(err, errlen, "%s: cannot read: %s", files[i], otk_strerror(rc));
		else
			rc = set_add_file(&s, files[i], buf, len, err, errlen);
	}
	struct otkd_dos_module *m = NULL;
	if (rc == OTK_OK)
		rc = import_set(st, data_dir, version, &s, &m, err, errlen);
	if (rc == OTK_OK)
		*imported = s.n;
	free(m);
	set_free(&s);
	return rc;
}

/* binary-version-reader's function names, as the catalog answers them. */
static const char *function_name(uint8_t f)
{
	switch (f) {
	case OTK_FUNC_RESOURCE: return "resource";
	case OTK_FUNC_BOOTLOADER: return "bootloader";
	case OTK_FUNC_MONO: return "monolithic";
	case OTK_FUNC_SYSTEM: return "system_part";
	case OTK_FUNC_USER: return "user_part";
	case OTK_FUNC_SETTINGS: return "settings";
	case OTK_FUNC_NCP: return "ncp_firmware";
	case OTK_FUNC_RADIO_STACK: return "radio_stack";
	default: return "none";
	}
}

static json_t *module_json(const struct otkd_dos_module *x)
{
	char start[16], end[16], crc[16];
	snprintf(start, sizeof start, "%x", x->start);
	snprintf(end, sizeof end, "%x", x->end);
	snprintf(crc, sizeof crc, "%08x", x->crc);
	return json_pack("{s:s,s:I,s:s,s:{s:b,s:s,s:s},s:{s:s,s:s,s:i,s:i,s:i,s:i,s:s,s:i,s:i,s:i,"
			 "s:i,s:i,s:i,s:i,s:i}}", "filename", x->filename, "size",
			 (json_int_t)x->size, "sha256", x->sha256, "crc", "ok", 1, "storedCrc", crc,
			 "actualCrc", crc, "prefixInfo", "moduleStartAddy", start, "moduleEndAddy",
			 end, "reserved", 0, "moduleFlags", (int)x->flags, "moduleVersion",
			 (int)x->module_version, "platformID", (int)x->platform_id,
			 "moduleFunction", function_name(x->function), "moduleIndex", (int)x->index,
			 "depModuleFunction", (int)x->dep_function, "depModuleIndex",
			 (int)x->dep_index, "depModuleVersion", (int)x->dep_version,
			 "dep2ModuleFunction", (int)x->dep2_function, "dep2ModuleIndex",
			 (int)x->dep2_index, "dep2ModuleVersion", (int)x->dep2_version,
			 "prefixOffset", (int)x->prefix_offset);
}

/* GET /v1/device-os/versions/:version?platform_id=N; :version is a release
 * ("5.6.0"), a system module version ("5600") or "latest". */
enum MHD_Result otkd_api_dos_version(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	uint64_t platform;
	if (otkd_param_uint(r->params, "platform_id", 65535, &platform) != OTK_OK)
		return otkd_reply_error(r, 400, "platform_id is required");
	const char *v = r->args[0];
	size_t vl = strlen(v);
	const char *name = NULL;
	uint32_t internal = 0;
	if (vl && vl <= 5 && strspn(v, "0123456789") == vl)
		internal = (uint32_t)strtoul(v, NULL, 10);
	else if (strcmp(v, "latest") != 0)
		name = v;
	const char *host = otkd_header(r, MHD_HTTP_HEADER_HOST);
	if (!host || !*host || strlen(host) > 255 ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") !=
		    strlen(host))
		return otkd_reply_error(r, 400, "a Host header is needed to name the files");
	struct otkd_dos_module *m;
	size_t n;
	int rc = st->ops->dos_get(st, (uint16_t)platform, name, internal, &m, &n);
	if (rc == OTK_ENOTFOUND)
		return otkd_reply_error(r, 404, "Device OS %s not found for platform %u", v,
					(unsigned)platform);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	json_t *mods = json_array();
	for (size_t i = 0; mods && i < n; i++)
		json_array_append_new(mods, module_json(&m[i]));
	char base[512];
	snprintf(base, sizeof base, "%s://%s/v1/device-os/files/%s/%u",
		 r->srv->cfg.cert ? "https" : "http", host, m[0].version, (unsigned)platform);
	json_t *o = json_pack("{s:s,s:I,s:i,s:s,s:o}", "version", m[0].version, "internal_version",
			      (json_int_t)m[0].internal_version, "platform_id", (int)platform,
			      "base_url", base, "modules", mods);
	free(m);
	return otkd_reply_json(r, 200, o);
}

/* GET /v1/device-os/files/:version/:platform/:filename: public, as
 * Particle's Device OS binaries are (particle-cli fetches them without a
 * token). */
enum MHD_Result otkd_api_dos_file(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	const char *p = r->args[1];
	size_t pl = strlen(p);
	if (!pl || pl > 5 || strspn(p, "0123456789") != pl || strtoul(p, NULL, 10) > 65535)
		return otkd_reply_error(r, 404, "no such Device OS file");
	struct otkd_dos_module *m;
	size_t n;
	int rc = st->ops->dos_get(st, (uint16_t)strtoul(p, NULL, 10), r->args[0], 0, &m, &n);
	if (rc < 0 && rc != OTK_ENOTFOUND)
		return otkd_reply_store_error(r, rc);
	char *path = NULL;
	for (size_t i = 0; rc == OTK_OK && i < n && !path; i++)
		if (strcmp(m[i].filename, r->args[2]) == 0)
			path = otkd_blob_path(r->srv->cfg.data_dir, m[i].sha256);
	if (rc == OTK_OK)
		free(m);
	if (!path)
		return otkd_reply_error(r, 404, "no such Device OS file");
	enum MHD_Result res = otkd_reply_file(r, path, "application/octet-stream", r->args[2]);
	free(path);
	return res;
}

/* The answer for one release: its modules as the version endpoint lists them. */
static json_t *release_json(const struct otkd_dos_module *m, size_t n)
{
	json_t *mods = json_array();
	for (size_t i = 0; mods && i < n; i++)
		json_array_append_new(mods, module_json(&m[i]));
	return json_pack("{s:b,s:s,s:I,s:i,s:o}", "ok", 1, "version", m[0].version,
			 "internal_version", (json_int_t)m[0].internal_version, "platform_id",
			 (int)m[0].platform_id, "modules", mods);
}

/* POST /v1/device-os/versions (administrators only, routes.c): the file
 * part is a release zip or one module; `version` names the release when
 * the files hold no system part.  Nothing is recorded unless every module
 * passes. */
enum MHD_Result otkd_api_dos_upload(struct otkd_req *r)
{
	if (!r->file_field)
		return otkd_reply_error(r, 400, "file is required: a Device OS release .zip or a "
					"module .bin");
	const char *version = NULL;
	if (otkd_param_str(r->params, "version", &version) != OTK_OK)
		version = NULL;
	/* Particle's module names ("p2-system-part1@5.6.0.bin") are kept */
	char name[OTKD_NAME_MAX];
	const char *given = otk_path_basename(r->file_name ? r->file_name : "upload.bin");
	if (filename_ok(given))
		snprintf(name, sizeof name, "%s", given);
	else
		otkd_safe_filename(given, name, sizeof name);
	/* the set takes the upload over */
	uint8_t *data = r->file ? r->file : malloc(1);
	size_t len = r->file_len;
	r->file = NULL;
	r->file_len = r->file_cap = 0;
	struct dos_set s = { 0 };
	struct otkd_dos_module *m = NULL;
	char err[1024] = "";
	int rc = data ? set_add_file(&s, name, data, len, err, sizeof err) : OTK_ENOMEM;
	if (rc == OTK_OK)
		rc = import_set(r->srv->store, r->srv->cfg.data_dir, version, &s, &m, err,
				sizeof err);
	enum MHD_Result res;
	if (rc == OTK_EIO || rc == OTK_ENOMEM)
		res = otkd_reply_store_error(r, rc);
	else if (rc < 0)
		res = otkd_reply_error(r, 400, "%s", err);
	else
		res = otkd_reply_json(r, 200, release_json(m, s.n));
	free(m);
	set_free(&s);
	return res;
}

/* GET /v1/device-os/versions[?platform_id=N]: the releases in the catalog. */
enum MHD_Result otkd_api_dos_list(struct otkd_req *r)
{
	struct otkd_store *st = r->srv->store;
	uint64_t platform = 0;
	if (json_object_get(r->params, "platform_id") &&
	    otkd_param_uint(r->params, "platform_id", 65535, &platform) != OTK_OK)
		return otkd_reply_error(r, 400, "platform_id must be a platform number");
	struct otkd_dos_release *v;
	size_t n;
	int rc = st->ops->dos_releases(st, (uint16_t)platform, &v, &n);
	if (rc < 0)
		return otkd_reply_store_error(r, rc);
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_pack("{s:s,s:I,s:i,s:i,s:I}", "version", v[i].version,
						     "internal_version",
						     (json_int_t)v[i].internal_version,
						     "platform_id", (int)v[i].platform_id,
						     "modules", (int)v[i].modules, "size",
						     (json_int_t)v[i].size));
	free(v);
	return otkd_reply_json(r, 200, arr);
}

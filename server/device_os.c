/*
 * The Device OS catalog: `otakitd device-os import` and the two endpoints
 * particle-cli reads (src/lib/device-os-version-util.js): the release's
 * module list with base_url, and the module files under it.
 */
#include <stdlib.h>
#include <string.h>

#include "otk/dos_version.h"
#include "otk/error.h"
#include "otk/file.h"
#include "otk/module.h"
#include "otk/platform.h"

#include "api.h"
#include "blob.h"
#include "device_os.h"
#include "params.h"

#define DOS_FILE_MAX (16u * 1024u * 1024u)

static bool filename_ok(const char *s)
{
	size_t n = strlen(s);
	return n && n < OTKD_NAME_MAX && s[0] != '.' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@+") == n;
}

int otkd_dos_import_files(struct otkd_store *st, const char *data_dir, const char *version,
			  char *const *files, size_t n, char *err, size_t errlen)
{
	const struct otk_dos_release *rel = otk_dos_release_by_name(version);
	if (!rel) {
		snprintf(err, errlen, "%s: not a Device OS release otakit knows", version);
		return OTK_EINVAL;
	}
	struct otkd_dos_module *m = calloc(n + 1, sizeof *m);
	if (!m)
		return OTK_ENOMEM;
	int rc = OTK_OK;
	for (size_t i = 0; rc == OTK_OK && i < n; i++) {
		const char *path = files[i], *base = otk_path_basename(path);
		uint8_t *buf = NULL;
		size_t len = 0;
		struct otk_module mod;
		rc = otk_file_read(path, DOS_FILE_MAX, &buf, &len);
		if (rc < 0) {
			snprintf(err, errlen, "%s: cannot read: %s", path, otk_strerror(rc));
			break;
		}
		rc = otk_module_parse(buf, len, &mod);
		if (rc < 0)
			snprintf(err, errlen, "%s: not a module: %s", path, otk_strerror(rc));
		else if (mod.size != len && (rc = OTK_EINVAL))
			snprintf(err, errlen, "%s: not a single module (%zu bytes, the prefix says %u)",
				 path, len, mod.size);
		else if (otk_module_crc_compute(&mod) != mod.crc_stored && (rc = OTK_ECRC))
			snprintf(err, errlen, "%s: CRC mismatch", path);
		else if ((mod.prefix.function == OTK_FUNC_NONE || mod.prefix.function == OTK_FUNC_ASSET ||
			  mod.prefix.function > OTK_FUNC_MAX) && (rc = OTK_EINVAL))
			snprintf(err, errlen, "%s: a module of function %s is not part of a Device OS release", path,
				 otk_function_name(mod.prefix.function));
		else if (!otk_platform_by_id(mod.prefix.platform) && (rc = OTK_EINVAL))
			snprintf(err, errlen, "%s: unknown platform %u", path, mod.prefix.platform);
		else if (i && mod.prefix.platform != m[0].platform_id && (rc = OTK_EINVAL))
			snprintf(err, errlen, "%s: platform %u, but %s is for platform %u", path,
				 mod.prefix.platform, m[0].filename, m[0].platform_id);
		else if (mod.prefix.function == OTK_FUNC_SYSTEM &&
			 mod.prefix.version != rel->system_version && (rc = OTK_EINVAL))
			snprintf(err, errlen, "%s: system part version %u, but Device OS %s has %u",
				 path, mod.prefix.version, version, rel->system_version);
		else if (!filename_ok(base) && (rc = OTK_EINVAL))
			snprintf(err, errlen, "%s: file name must be letters, digits and ._-@+", path);
		for (size_t k = 0; rc == OTK_OK && k < i; k++)
			if (strcmp(m[k].filename, base) == 0 && (rc = OTK_EEXIST))
				snprintf(err, errlen, "%s: two files named %s", path, base);
		if (rc == OTK_OK) {
			struct otkd_dos_module *x = &m[i];
			snprintf(x->version, sizeof x->version, "%s", version);
			x->internal_version = rel->system_version;
			x->platform_id = mod.prefix.platform;
			snprintf(x->filename, sizeof x->filename, "%s", base);
			x->function = mod.prefix.function;
			x->index = mod.prefix.index;
			x->module_version = mod.prefix.version;
			x->start = mod.prefix.start;
			x->end = mod.prefix.end;
			x->flags = mod.prefix.flags;
			x->dep_function = mod.prefix.dep[0].function;
			x->dep_index = mod.prefix.dep[0].index;
			x->dep_version = mod.prefix.dep[0].version;
			x->dep2_function = mod.prefix.dep[1].function;
			x->dep2_index = mod.prefix.dep[1].index;
			x->dep2_version = mod.prefix.dep[1].version;
			x->prefix_offset = mod.prefix_offset;
			x->crc = mod.crc_stored;
			x->size = len;
			rc = otkd_blob_put(data_dir, buf, len, x->sha256);
			if (rc < 0)
				snprintf(err, errlen, "%s: cannot store: %s", path, otk_strerror(rc));
		}
		free(buf);
	}
	if (rc == OTK_OK) {
		rc = st->ops->dos_import(st, m, n);
		if (rc < 0)
			snprintf(err, errlen, "cannot record the release: %s", otk_strerror(rc));
	}
	free(m);
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

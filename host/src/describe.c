/*
 * Descriptions of modules and bundles as JSON trees (jansson): the facts
 * `otakit binary inspect` prints (as JSON, or as text rendered from the
 * tree, so both carry the same facts) and the OTA service serves.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otk/assets.h"
#include "otk/bundle_verify.h"
#include "otk/bundle.h"
#include "otk/describe.h"
#include "otk/dos_version.h"
#include "otk/error.h"
#include "otk/file.h"
#include "otk/modtool.h"
#include "otk/module.h"
#include "otk/platform.h"
#include "otk/sha256.h"

static void hex_digits(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = 0;
}

static json_t *hexstr(const uint8_t *p, size_t n)
{
	char buf[2 * 256 + 1];
	if (n > 256)
		n = 256;
	hex_digits(p, n, buf);
	return json_string(buf);
}

static json_t *addr(uint32_t a)
{
	char buf[16];
	snprintf(buf, sizeof buf, "0x%08" PRIx32, a);
	return json_string(buf);
}

static json_t *crcstr(uint32_t c)
{
	char buf[12];
	snprintf(buf, sizeof buf, "%08" PRIx32, c);
	return json_string(buf);
}

/* A UTF-8-safe JSON string from bytes that may not be UTF-8. */
static json_t *bytes_string(const char *p, size_t n)
{
	json_t *s = json_stringn(p, n);
	if (s)
		return s;
	char *esc = malloc(4 * n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= 0x20 && c < 0x7f)
			esc[o++] = (char)c;
		else
			o += (size_t)sprintf(esc + o, "\\x%02x", c);
	}
	esc[o] = 0;
	s = json_string(esc);
	free(esc);
	return s;
}

static const char *ext_type_name(uint16_t t)
{
	switch (t) {
	case OTK_EXT_END: return "END";
	case OTK_EXT_PRODUCT_DATA: return "PRODUCT_DATA";
	case OTK_EXT_DYNAMIC_LOCATION: return "DYNAMIC_LOCATION";
	case OTK_EXT_DEPENDENCY: return "DEPENDENCY";
	case OTK_EXT_HASH: return "HASH";
	case OTK_EXT_NAME: return "NAME";
	case OTK_EXT_ASSET_DEPENDENCY: return "ASSET_DEPENDENCY";
	case OTK_EXT_SECURITY_MODE: return "SECURITY_MODE";
	case OTK_EXT_ASSET_TYPE: return "ASSET_TYPE";
	}
	return "UNKNOWN";
}

static json_t *dependency_json(const struct otk_dependency *d)
{
	json_t *o = json_object();
	json_object_set_new(o, "function", json_string(otk_function_short_name(d->function)));
	json_object_set_new(o, "function_id", json_integer(d->function));
	json_object_set_new(o, "index", json_integer(d->index));
	json_object_set_new(o, "version", json_integer(d->version));
	if (d->function == OTK_FUNC_SYSTEM) {
		const struct otk_dos_release *r = otk_dos_release_by_system_version(d->version);
		if (r)
			json_object_set_new(o, "device_os", json_string(r->version));
	}
	return o;
}

/* The decoded body of one extension into o; false when it is too short to decode. */
static bool ext_fields(const struct otk_ext *e, json_t *o, json_t *assets)
{
	struct otk_ext_asset a;
	struct otk_ext_dynloc dl;
	struct otk_dependency dep;
	uint16_t id, ver;
	uint32_t target;
	bool bad = false;
	switch (e->type) {
	case OTK_EXT_PRODUCT_DATA:
		if (otk_ext_product_data(e, &id, &ver) == OTK_OK) {
			json_object_set_new(o, "product_id", json_integer(id));
			json_object_set_new(o, "product_version", json_integer(ver));
		} else {
			bad = true;
		}
		break;
	case OTK_EXT_DYNAMIC_LOCATION:
		if (otk_ext_dynamic_location(e, &dl) == OTK_OK) {
			json_object_set_new(o, "module_start", addr(dl.module_start));
			json_object_set_new(o, "dynalib_load", addr(dl.dynalib_load));
			json_object_set_new(o, "dynalib_ram", addr(dl.dynalib_ram));
		} else {
			bad = true;
		}
		break;
	case OTK_EXT_DEPENDENCY:
		if (otk_ext_dependency(e, &dep, &target) == OTK_OK) {
			json_object_set_new(o, "dependency", dependency_json(&dep));
			json_object_set_new(o, "target_id", json_integer(target));
		} else {
			bad = true;
		}
		break;
	case OTK_EXT_HASH:
	case OTK_EXT_ASSET_DEPENDENCY:
		if (otk_ext_asset_dependency(e, &a) == OTK_OK) {
			json_object_set_new(o, "hash_type", json_integer(a.hash_type));
			json_object_set_new(o, "hash", hexstr(a.hash, a.hash_len));
			if (e->type == OTK_EXT_ASSET_DEPENDENCY) {
				json_object_set_new(o, "name", bytes_string(a.name, a.name_len));
				json_t *as = json_object();
				json_object_set_new(as, "name", bytes_string(a.name, a.name_len));
				json_object_set_new(as, "hash", hexstr(a.hash, a.hash_len));
				json_object_set_new(as, "hash_type", json_integer(a.hash_type));
				json_array_append_new(assets, as);
			}
		} else {
			bad = true;
		}
		break;
	case OTK_EXT_NAME:
		json_object_set_new(o, "name", bytes_string((const char *)e->body, e->body_len));
		break;
	case OTK_EXT_SECURITY_MODE:
		if (e->body_len >= 1) {
			json_object_set_new(o, "mode", json_integer(e->body[0]));
			json_object_set_new(o, "mode_name",
					    json_string(e->body[0] == 1 ? "protected" : "none"));
			if (e->body_len > 1)
				json_object_set_new(o, "certificate_size",
						    json_integer(e->body_len - 1));
		} else {
			bad = true;
		}
		break;
	case OTK_EXT_ASSET_TYPE:
		if (e->body_len >= 1) {
			static const char *const names[] = { "default", "env app", "env snapshot" };
			json_object_set_new(o, "asset_type", json_integer(e->body[0]));
			json_object_set_new(o, "asset_type_name",
					    json_string(e->body[0] < 3 ? names[e->body[0]] : "unknown"));
		} else {
			bad = true;
		}
		break;
	case OTK_EXT_END:
		if (e->body_len)
			json_object_set_new(o, "padding", json_integer(e->body_len));
		break;
	}
	return !bad;
}

/* Describes every extension of a region; adds asset dependencies to assets. */
static json_t *extensions_json(const struct otk_module *m, bool suffix, json_t *assets,
			       json_t *warnings)
{
	struct otk_ext_iter it;
	struct otk_ext e;
	int rc;
	json_t *arr = json_array();

	if (suffix)
		otk_module_sext_iter(m, &it);
	else
		otk_module_pext_iter(m, &it);
	while ((rc = otk_ext_next(&it, &e)) == 1) {
		json_t *o = json_object();
		json_object_set_new(o, "type", json_string(ext_type_name(e.type)));
		json_object_set_new(o, "type_id", json_integer(e.type));
		json_object_set_new(o, "length", json_integer(e.length));
		json_object_set_new(o, "offset", json_integer(e.offset));
		if (!ext_fields(&e, o, assets)) {
			char msg[96];
			snprintf(msg, sizeof msg, "%s extension at offset %" PRIu32 " is too short (%u bytes)",
				 ext_type_name(e.type), e.offset, e.length);
			json_array_append_new(warnings, json_string(msg));
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

static void warn(json_t *warnings, const char *msg)
{
	json_array_append_new(warnings, json_string(msg));
}

static const char *flag_names[] = { "drop_module_info", "compressed", "combined", "encrypted",
				    "prefix_extensions" };

/* Error text for a parse failure, with the detail the module gives. */
static void parse_error_text(int rc, const struct otk_module *m, size_t len, char *buf, size_t n)
{
	switch (rc) {
	case OTK_EEMPTY:
		snprintf(buf, n, "file is empty");
		break;
	case OTK_ENOPREFIX:
		snprintf(buf, n, "not a module: no plausible module prefix in the first %u bytes",
			 OTK_PREFIX_SEARCH_LIMIT);
		break;
	case OTK_ETRUNCATED:
		snprintf(buf, n,
			 "truncated: the prefix at offset 0x%" PRIx32 " describes a %" PRIu32
			 "-byte module but only %zu bytes are there",
			 m->prefix_offset, m->size, len);
		break;
	case OTK_EBADEXT:
		snprintf(buf, n, "invalid extension length at offset 0x%" PRIx32 " (%s extensions)",
			 m->bad_ext_off,
			 m->bad_ext_off < m->prefix_offset + 64 + m->prefix_size ? "prefix" : "suffix");
		break;
	case OTK_ENOEXTEND:
		snprintf(buf, n, "prefix extensions do not end with an END extension");
		break;
	case OTK_EBADSUFFIX:
		snprintf(buf, n, "module of %" PRIu32 " bytes is too small to hold its prefix and suffix",
			 m->size);
		break;
	default:
		snprintf(buf, n, "%s", otk_strerror(rc));
	}
}

static json_t *module_json(const uint8_t *buf, size_t len, size_t file_off, int depth, bool *valid);

static void compression_json(const struct otk_module *m, json_t *o, json_t *warnings, int depth,
			     bool *valid)
{
	struct otk_compress_header h;
	json_t *c = json_object();
	int rc = otk_module_compress_header(m, &h);
	json_object_set_new(o, "compression", c);
	if (rc < 0) {
		json_object_set_new(c, "error", json_string("invalid compression header"));
		*valid = false;
		return;
	}
	json_object_set_new(c, "method", json_string(h.method == 0 ? "deflate" : "unknown"));
	json_object_set_new(c, "method_id", json_integer(h.method));
	json_object_set_new(c, "window_bits", json_integer(h.window_bits ? h.window_bits : 15));
	json_object_set_new(c, "original_size", json_integer(h.original_size));
	json_object_set_new(c, "compressed_size", json_integer(h.data_len));
	if (depth > 0)
		return;
	uint8_t *out;
	size_t out_len;
	rc = otk_module_decompress(m->data, m->size, &out, &out_len);
	if (rc < 0) {
		char msg[128];
		snprintf(msg, sizeof msg, "does not inflate: %s", otk_strerror(rc));
		json_object_set_new(c, "error", json_string(msg));
		*valid = false;
		return;
	}
	if (m->prefix.flags & OTK_FLAG_DROP_MODULE_INFO) {
		/* Prefix and suffix are restored from the outer module: nothing
		 * inside to check beyond the size, which inflate already did. */
		json_object_set_new(c, "inflated_size", json_integer((json_int_t)out_len));
	} else {
		bool inner_valid = true;
		json_t *inner = module_json(out, out_len, 0, depth + 1, &inner_valid);
		json_object_set_new(c, "inflated", inner);
		if (!inner_valid) {
			warn(warnings, "the inflated image is not a valid module");
			*valid = false;
		}
	}
	free(out);
}

/* The prefix's facts: addresses, platform, function, version, flags, dependencies. */
static void prefix_json(const struct otk_module *m, json_t *o)
{
	const struct otk_prefix *p = &m->prefix;
	const struct otk_platform *plat = otk_platform_by_id(p->platform);
	json_object_set_new(o, "size", json_integer(m->size));
	json_object_set_new(o, "prefix_offset", json_integer(m->prefix_offset));
	json_object_set_new(o, "prefix_size", json_integer(m->prefix_size));
	json_object_set_new(o, "start", addr(p->start));
	json_object_set_new(o, "end", addr(p->end));
	json_t *pl = json_object();
	json_object_set_new(pl, "id", json_integer(p->platform));
	json_object_set_new(pl, "name", plat ? json_string(plat->name) : json_null());
	json_object_set_new(o, "platform", pl);
	json_object_set_new(o, "function", json_string(otk_function_short_name(p->function)));
	json_object_set_new(o, "function_id", json_integer(p->function));
	json_object_set_new(o, "index", json_integer(p->index));
	json_object_set_new(o, "version", json_integer(p->version));
	if (p->function == OTK_FUNC_SYSTEM) {
		const struct otk_dos_release *r = otk_dos_release_by_system_version(p->version);
		if (r)
			json_object_set_new(o, "device_os", json_string(r->version));
	}
	json_object_set_new(o, "mcu_target", json_integer(p->reserved));
	json_t *fl = json_array();
	for (unsigned i = 0; i < 5; i++)
		if (p->flags & (1u << i))
			json_array_append_new(fl, json_string(flag_names[i]));
	json_object_set_new(o, "flags", json_integer(p->flags));
	json_object_set_new(o, "flag_names", fl);
	json_t *deps = json_array();
	/*
	 * Both slots are listed: when validating the module itself Device OS
	 * skips dependency 2 if dependency 1 is none, but its full check on
	 * installing another module (e.g. a bootloader) reads every slot, and
	 * Gen3 0.8.x system parts keep their bootloader dependency in slot 2.
	 */
	for (int i = 0; i < 2; i++) {
		if (otk_dependency_is_none(&p->dep[i]))
			continue;
		json_t *d = dependency_json(&p->dep[i]);
		json_object_set_new(d, "slot", json_integer(i + 1));
		json_array_append_new(deps, d);
	}
	json_object_set_new(o, "dependencies", deps);
}

/* CRC-32 and SHA-256 of a module that parsed; *valid false on a CRC mismatch. */
static void checksums_json(const struct otk_module *m, json_t *o, json_t *warnings, bool *valid)
{
	uint32_t crc = otk_module_crc_compute(m);
	json_t *c = json_object();
	json_object_set_new(c, "ok", json_boolean(crc == m->crc_stored));
	json_object_set_new(c, "stored", crcstr(m->crc_stored));
	json_object_set_new(c, "computed", crcstr(crc));
	json_object_set_new(o, "crc", c);
	if (crc != m->crc_stored)
		*valid = false;

	uint8_t sha[OTK_SHA256_LEN];
	enum otk_sha_kind kind = otk_module_sha_check(m, sha);
	json_t *s = json_object();
	json_object_set_new(s, "stored", hexstr(m->sha_stored, OTK_SHA256_LEN));
	static const char *const kinds[] = { "standard", "payload", "other" };
	json_object_set_new(s, "kind", json_string(kinds[kind]));
	if (kind != OTK_SHA_STANDARD)
		json_object_set_new(s, "computed", hexstr(sha, OTK_SHA256_LEN));
	json_object_set_new(o, "sha256", s);
	if (kind == OTK_SHA_PAYLOAD)
		warn(warnings, "SHA-256 covers only the payload (create_module.py style), "
			       "not the standard digest");
	else if (kind == OTK_SHA_OTHER)
		warn(warnings, "SHA-256 is not a digest of this module (Device OS does not "
			       "check it; it is only an id)");
}

/* The suffix: product data, extensions of both regions, asset dependencies. */
static void suffix_json(const struct otk_module *m, json_t *o, json_t *warnings)
{
	json_t *assets = json_array();
	json_object_set_new(o, "suffix_size", json_integer(m->suffix_size));
	if (m->has_product) {
		json_t *pr = json_object();
		json_object_set_new(pr, "id", json_integer(m->product_id));
		json_object_set_new(pr, "version", json_integer(m->product_version));
		json_object_set_new(o, "product", pr);
	} else {
		json_object_set_new(o, "product", json_null());
	}
	if (m->pext_end > m->pext_off)
		json_object_set_new(o, "prefix_extensions", extensions_json(m, false, assets, warnings));
	if (m->sext_end > m->sext_off)
		json_object_set_new(o, "suffix_extensions", extensions_json(m, true, assets, warnings));
	json_object_set_new(o, "assets", assets);
}

/* What the parser noticed but did not reject. */
static void parse_warnings(const struct otk_module *m, size_t len, json_t *warnings)
{
	char msg[128];
	if (m->warnings & OTK_WARN_PREFIX_GUESSED) {
		snprintf(msg, sizeof msg, "prefix found by search at offset 0x%" PRIx32
			 " with low confidence (score %d of %d)", m->prefix_offset, m->prefix_score,
			 OTK_PREFIX_SCORE_MAX);
		if (m->prefix_score < OTK_PREFIX_SCORE_MAX - 1 ||
		    (m->size == len && m->prefix_score < OTK_PREFIX_SCORE_MAX))
			warn(warnings, msg);
	}
	if (m->warnings & OTK_WARN_UNKNOWN_PLATFORM)
		warn(warnings, "unknown platform");
	if (m->warnings & OTK_WARN_UNKNOWN_FUNCTION)
		warn(warnings, "unknown module function");
	if (m->warnings & OTK_WARN_UNKNOWN_FLAGS)
		warn(warnings, "unknown flags set");
	if (m->warnings & OTK_WARN_SUFFIX_SIZE) {
		snprintf(msg, sizeof msg, "suffix size %u does not fit the module", m->suffix_size);
		warn(warnings, msg);
	}
	if (m->warnings & OTK_WARN_COMBINED_LAST)
		warn(warnings, "flagged combined but nothing follows it");
	if (m->warnings & OTK_WARN_TRAILING) {
		snprintf(msg, sizeof msg, "%zu bytes after the end of the module", len - m->size);
		warn(warnings, msg);
	}
}

static void set_error(json_t *o, int rc, const struct otk_module *m, size_t len, bool *valid)
{
	char msg[256];
	parse_error_text(rc, m, len, msg, sizeof msg);
	json_object_set_new(o, "error", json_string(msg));
	*valid = false;
}

static json_t *module_json(const uint8_t *buf, size_t len, size_t file_off, int depth, bool *valid)
{
	struct otk_module m;
	json_t *o = json_object();
	int rc = otk_module_parse(buf, len, &m);

	json_object_set_new(o, "offset", json_integer((json_int_t)file_off));
	/* Past these errors the prefix is still worth showing. */
	bool prefix_read = rc == OTK_OK || rc == OTK_EBADEXT || rc == OTK_ENOEXTEND ||
			   rc == OTK_ETRUNCATED;
	if (prefix_read)
		prefix_json(&m, o);
	if (rc < 0)
		set_error(o, rc, &m, len, valid);
	if (!prefix_read || rc == OTK_ETRUNCATED)
		return o;

	json_t *warnings = json_array();
	if (rc == OTK_OK)
		checksums_json(&m, o, warnings, valid);
	suffix_json(&m, o, warnings);
	parse_warnings(&m, len, warnings);
	if (rc == OTK_OK && (m.prefix.flags & OTK_FLAG_COMPRESSED))
		compression_json(&m, o, warnings, depth, valid);
	json_object_set_new(o, "warnings", warnings);
	return o;
}

json_t *otk_describe_modules(const uint8_t *buf, size_t len, bool *valid)
{
	json_t *arr = json_array();
	size_t off = 0;
	for (unsigned part = 0; part < 16; part++) {
		struct otk_module m;
		json_array_append_new(arr, module_json(buf + off, len - off, off, 0, valid));
		if (otk_module_parse(buf + off, len - off, &m) < 0)
			break;
		if (!(m.prefix.flags & OTK_FLAG_COMBINED) || m.size >= len - off)
			break;
		off += m.size;
	}
	return arr;
}

/* One entry of otk_bundle_verify_assets()'s result as inspect shows it. */
static json_t *asset_json(const struct otk_bundle *b, const struct otk_asset_check *v,
			  json_t *problems)
{
	static const char *const status[] = {
		[OTK_ASSET_OK] = "ok", [OTK_ASSET_MISSING] = "missing",
		[OTK_ASSET_HASH_MISMATCH] = "hash mismatch", [OTK_ASSET_EXTRA] = "extra",
	};
	json_t *a = json_object();
	char msg[400];
	json_object_set_new(a, "name", json_string(v->name));
	if (v->status != OTK_ASSET_EXTRA)
		json_object_set_new(a, "hash", json_string(v->want));
	if (v->entry != SIZE_MAX)
		json_object_set_new(a, "size", json_integer((json_int_t)b->assets[v->entry].len));
	json_object_set_new(a, "status", json_string(status[v->status]));
	switch (v->status) {
	case OTK_ASSET_MISSING:
		snprintf(msg, sizeof msg, "asset %s is missing from the bundle", v->name);
		break;
	case OTK_ASSET_HASH_MISMATCH:
		json_object_set_new(a, "actual_hash", json_string(v->have));
		snprintf(msg, sizeof msg, "asset %s hash does not match (expected %s, is %s)",
			 v->name, v->want, v->have);
		break;
	case OTK_ASSET_EXTRA:
		snprintf(msg, sizeof msg, "asset %s is in the bundle but the application does not "
			 "depend on it", v->name);
		break;
	default:
		return a;
	}
	json_array_append_new(problems, json_string(msg));
	return a;
}

/*
 * Every dependency of the application against the assets present, and the
 * reverse, by the one check the CLI and otakitd share.
 */
static json_t *assets_status(const struct otk_bundle *b, json_t *problems)
{
	json_t *list = json_array();
	struct otk_module app;
	struct otk_bundle_verify r;
	if (otk_module_parse(b->app.data, b->app.len, &app) < 0)
		return list; /* the module description already says why */
	int rc = otk_bundle_verify_assets(b, &app, b->app.name, &r);
	if (rc == OTK_ENOMEM)
		json_array_append_new(problems, json_string("out of memory"));
	for (size_t i = 0; rc != OTK_ENOMEM && i < r.n; i++) {
		if (r.v[i].status == OTK_ASSET_BAD_EXTENSION)
			json_array_append_new(problems,
					      json_string("malformed asset dependency extension"));
		else
			json_array_append_new(list, asset_json(b, &r.v[i], problems));
	}
	otk_bundle_verify_free(&r);
	return list;
}

/* Fit on the target platform, measured as the reference tool does. */
static void limits_json(const struct otk_bundle *b, uint16_t platform, json_t *o, json_t *problems)
{
	struct otk_bundle_fit fit;
	int frc = otk_bundle_check_fit(b, platform, false, &fit);
	json_t *lim = json_object();
	json_object_set_new(lim, "storage", json_integer((json_int_t)fit.total));
	json_object_set_new(lim, "storage_limit", json_integer((json_int_t)fit.total_limit));
	json_object_set_new(lim, "single_limit", json_integer((json_int_t)fit.single_limit));
	json_object_set_new(lim, "fits", json_boolean(frc == OTK_OK));
	json_object_set_new(o, "limits", lim);
	char msg[400];
	if (frc == OTK_EUNSUPPORTED) {
		json_array_append_new(problems, json_string("the platform has no asset storage"));
	} else if (frc == OTK_ERANGE && fit.over_single) {
		snprintf(msg, sizeof msg, "Asset %s exceeds maximum single asset size limit by %zu bytes",
			 fit.over_single, fit.module_size - fit.single_limit);
		json_array_append_new(problems, json_string(msg));
	} else if (frc == OTK_ERANGE) {
		snprintf(msg, sizeof msg, "Total size of assets exceeds platform limits by %llu bytes",
			 (unsigned long long)(fit.total - fit.total_limit));
		json_array_append_new(problems, json_string(msg));
	} else if (frc < 0) {
		json_array_append_new(problems, json_string(otk_strerror(frc)));
	}
}

/* zip: the bundle's bytes when the caller has them (a pipe cannot be read twice). */
static json_t *describe_bundle(const char *path, const uint8_t *zip, size_t zip_len, bool *valid)
{
	struct otk_bundle b;
	char err[256];
	json_t *o = json_object();

	json_object_set_new(o, "type", json_string("bundle"));
	int rc = zip ? otk_bundle_read_buffer(zip, zip_len, &b, err, sizeof err) :
		       otk_bundle_read(path, &b, err, sizeof err);
	if (rc < 0 || !b.app.data) {
		json_object_set_new(o, "error", json_string(rc < 0 ? err : "no application .bin at "
							    "the root of the bundle"));
		if (rc >= 0)
			otk_bundle_free(&b);
		*valid = false;
		return o;
	}
	json_t *problems = json_array();
	json_object_set_new(o, "application", json_string(b.app.name));
	if (b.napps > 1)
		json_array_append_new(problems, json_string("more than one .bin at the root; the "
							    "first is the application"));
	json_t *mods = otk_describe_modules(b.app.data, b.app.len, valid);
	json_object_set_new(o, "modules", mods);
	json_t *first = json_array_get(mods, 0);
	json_object_set_new(o, "assets", assets_status(&b, problems));
	json_t *pid = first ? json_object_get(json_object_get(first, "platform"), "id") : NULL;
	if (json_is_integer(pid) && b.nassets)
		limits_json(&b, (uint16_t)json_integer_value(pid), o, problems);
	if (b.env.data)
		json_object_set_new(o, "env_json", json_integer((json_int_t)b.env.len));
	for (size_t k = 0; k < b.nothers; k++) {
		char msg[300];
		snprintf(msg, sizeof msg, "unexpected entry %s", b.others[k].name);
		json_array_append_new(problems, json_string(msg));
	}
	if (json_array_size(problems))
		*valid = false;
	json_object_set_new(o, "problems", problems);
	otk_bundle_free(&b);
	return o;
}

json_t *otk_describe_bundle(const char *path, bool *valid)
{
	return describe_bundle(path, NULL, 0, valid);
}

static bool is_zip(const uint8_t *buf, size_t len, const char *path)
{
	size_t n = strlen(path);
	if (len >= 4 && memcmp(buf, "PK\3\4", 4) == 0)
		return true;
	return n > 4 && strcmp(path + n - 4, ".zip") == 0;
}

json_t *otk_describe_file(const char *path, bool *valid)
{
	size_t len;
	uint8_t *buf = NULL;
	json_t *o;
	*valid = true;
	int rc = otk_file_read(path, OTK_FILE_MAX_DEFAULT, &buf, &len);
	if (rc < 0) {
		o = json_object();
		char msg[300];
		int e = errno;
		if (rc == OTK_ETOOBIG)
			snprintf(msg, sizeof msg, "file is larger than %u MiB, not a firmware file",
				 OTK_FILE_MAX_DEFAULT >> 20);
		else
			snprintf(msg, sizeof msg, "cannot read: %s",
				 rc == OTK_EIO ? strerror(e) : otk_strerror(rc));
		json_object_set_new(o, "error", json_string(msg));
		if (rc == OTK_EIO) {
			json_object_set_new(o, "errno", json_integer(e));
			json_object_set_new(o, "reason", json_string(strerror(e)));
		}
		*valid = false;
	} else if (is_zip(buf, len, path)) {
		o = describe_bundle(path, buf, len, valid);
	} else {
		o = json_object();
		json_object_set_new(o, "type", json_string("module"));
		json_object_set_new(o, "size", json_integer((json_int_t)len));
		json_object_set_new(o, "modules", otk_describe_modules(buf, len, valid));
	}
	free(buf);
	json_t *f = json_object();
	json_object_set_new(f, "file", json_string(path));
	json_object_set_new(f, "valid", json_boolean(*valid));
	json_object_update(f, o);
	json_decref(o);
	return f;
}

/*
 * System describe decoder (spec 06, "Describe"): the JSON of Device OS
 * before 5.5 with jansson, the protobuf particle.cloud.SystemDescribe of 5.5
 * and later with protobuf-c.  Input is limited to OTKD_DESCRIBE_MAX bytes,
 * protobuf-c's allocations to a fixed budget, and lists to the OTKD_DESC_*
 * bounds of planner.h; anything beyond is refused with a reason.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "otk/error.h"
#include "planner.h"

#ifdef OTK_HAVE_PROTOS
#include "cloud/describe.pb-c.h"
#endif

/* Largest describe accepted: 16 Block1 blocks of 1024 bytes. */
#define OTKD_DESCRIBE_MAX 16384
/* protobuf-c allocations for one describe, at most. */
#define PB_BUDGET (256u * 1024u)

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return OTK_EINVAL;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 64 hex digits into 32 bytes; false when it is not exactly that. */
static bool hex32(const char *s, uint8_t out[32])
{
	if (strlen(s) != 64)
		return false;
	for (size_t i = 0; i < 32; i++) {
		int hi = hex_nibble(s[2 * i]), lo = hex_nibble(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* Resets the describe part of out, keeping the Hello fields. */
static void clear_describe(struct otkd_describe *out)
{
	out->has_platform = false;
	out->describe_platform = 0;
	out->nmodules = 0;
	out->nassets = 0;
	memset(out->modules, 0, sizeof out->modules);
	memset(out->assets, 0, sizeof out->assets);
}

/* --- JSON (Device OS before 5.5) ------------------------------------------- */

/* Function letters of the JSON describe. */
static int json_function(const char *f)
{
	static const char letters[] = "\0rbmsu\0ca";   /* index = otkd_mod_function */
	if (!f || strlen(f) != 1)
		return -1;
	if (f[0] == 'n')
		return OTKD_MOD_NONE;
	for (int i = 1; i < (int)sizeof letters - 1; i++)
		if (letters[i] && letters[i] == f[0])
			return i;
	return -1;
}

static int json_store(const char *l)
{
	static const char letters[] = "mfbt";  /* index = otkd_mod_store */
	if (!l || strlen(l) != 1)
		return -1;
	const char *p = strchr(letters, l[0]);
	return p ? (int)(p - letters) : -1;
}

/* An integer member within [0, max], or def when absent; -1 when bad. */
static long long json_uint(json_t *o, const char *key, long long max, long long def)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return def;
	long long x;
	if (json_is_integer(v))
		x = json_integer_value(v);
	else if (json_is_string(v)) {
		/* the index comes as a string ("n":"1") */
		const char *s = json_string_value(v);
		char *end = NULL;
		if (!*s || strlen(s) > 10)
			return -1;
		x = strtoll(s, &end, 10);
		if (*end)
			return -1;
	} else {
		return -1;
	}
	return x < 0 || x > max ? -1 : x;
}

/* Function, index and version of a module or dependency: {f, n, v}. */
static int json_fnv(json_t *o, uint8_t *function, uint8_t *index, uint16_t *version,
		    const char *what, size_t i, char *err, size_t errlen)
{
	int f = json_function(json_string_value(json_object_get(o, "f")));
	long long n = json_uint(o, "n", 255, 0);
	long long v = json_uint(o, "v", 65535, 0);
	if (f < 0)
		return fail(err, errlen, "describe: %s %zu: \"f\" is not a module function letter",
			    what, i);
	if (n < 0 || v < 0)
		return fail(err, errlen, "describe: %s %zu: \"n\" or \"v\" is not a small "
			    "non-negative integer", what, i);
	*function = (uint8_t)f;
	*index = (uint8_t)n;
	*version = (uint16_t)v;
	return OTK_OK;
}

static int json_deps(json_t *d, struct otkd_desc_module *m, size_t mi, char *err, size_t errlen)
{
	if (!d)
		return OTK_OK;
	if (!json_is_array(d))
		return fail(err, errlen, "describe: module %zu: \"d\" is not an array", mi);
	size_t i;
	json_t *x;
	json_array_foreach(d, i, x) {
		if (!json_is_object(x))
			return fail(err, errlen, "describe: module %zu: dependency %zu is not an "
				    "object", mi, i);
		struct otkd_mod_dep dep;
		int rc = json_fnv(x, &dep.function, &dep.index, &dep.version, "dependency", i, err,
				  errlen);
		if (rc != OTK_OK)
			return rc;
		if (dep.function == OTKD_MOD_NONE)
			continue;
		if (m->ndeps == 2)
			return fail(err, errlen, "describe: module %zu: more than 2 dependencies",
				    mi);
		m->deps[m->ndeps++] = dep;
	}
	return OTK_OK;
}

static int json_module(json_t *o, size_t i, struct otkd_desc_module *m, char *err,
		       size_t errlen)
{
	if (!json_is_object(o))
		return fail(err, errlen, "describe: module %zu is not an object", i);
	int rc = json_fnv(o, &m->function, &m->index, &m->version, "module", i, err, errlen);
	if (rc != OTK_OK)
		return rc;
	json_t *l = json_object_get(o, "l");
	int store = l ? json_store(json_string_value(l)) : OTKD_STORE_MAIN;
	long long s = json_uint(o, "s", UINT32_MAX, 0);
	long long vc = json_uint(o, "vc", UINT32_MAX, 0);
	long long vv = json_uint(o, "vv", UINT32_MAX, 0);
	if (store < 0)
		return fail(err, errlen, "describe: module %zu: \"l\" is not m, f, b or t", i);
	if (s < 0 || vc < 0 || vv < 0)
		return fail(err, errlen, "describe: module %zu: \"s\", \"vc\" or \"vv\" is not a "
			    "32-bit unsigned integer", i);
	m->store = (uint8_t)store;
	m->max_size = (uint32_t)s;
	m->checked = (uint32_t)vc;
	m->passed = (uint32_t)vv;
	json_t *u = json_object_get(o, "u");
	if (u) {
		if (!json_is_string(u) || !hex32(json_string_value(u), m->hash))
			return fail(err, errlen, "describe: module %zu: \"u\" is not 64 hex digits",
				    i);
		m->has_hash = true;
	}
	return json_deps(json_object_get(o, "d"), m, i, err, errlen);
}

static int parse_json(const uint8_t *payload, size_t len, struct otkd_describe *out, char *err,
		      size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return fail(err, errlen, "describe: not JSON: %s (line %d, column %d)", je.text,
			    je.line, je.column);
	int rc = OTK_OK;
	json_t *m = json_object_get(root, "m");
	json_t *p = json_object_get(root, "p");
	if (!json_is_object(root))
		rc = fail(err, errlen, "describe: not a JSON object");
	else if (!json_is_array(m))
		rc = fail(err, errlen, "describe: no module list \"m\"");
	else if (json_array_size(m) > OTKD_DESC_MODULES_MAX)
		rc = fail(err, errlen, "describe: %zu modules, more than %d", json_array_size(m),
			  OTKD_DESC_MODULES_MAX);
	if (rc == OTK_OK && p) {
		long long pl = json_uint(root, "p", 65535, 0);
		if (pl < 0)
			rc = fail(err, errlen, "describe: \"p\" is not a platform id");
		out->has_platform = true;
		out->describe_platform = (uint16_t)(pl < 0 ? 0 : pl);
	}
	for (size_t i = 0; rc == OTK_OK && i < json_array_size(m); i++) {
		rc = json_module(json_array_get(m, i), i, &out->modules[out->nmodules], err,
				 errlen);
		if (rc == OTK_OK)
			out->nmodules++;
	}
	json_decref(root);
	return rc;
}

/* --- protobuf (Device OS 5.5 and later) ------------------------------------ */

#ifdef OTK_HAVE_PROTOS

struct pb_budget {
	size_t used;
};

static void *pb_alloc(void *data, size_t size)
{
	struct pb_budget *b = data;
	if (size > PB_BUDGET - b->used)
		return NULL;
	b->used += size;
	return malloc(size);
}

static void pb_free(void *data, void *p)
{
	(void)data;
	free(p);
}

static int pb_asset(const Particle__Cloud__FirmwareModuleAsset *a, struct otkd_desc_asset *o,
		    const char *what, size_t i, char *err, size_t errlen)
{
	const char *name = a->name ? a->name : "";
	if (!*name || strlen(name) >= sizeof o->name)
		return fail(err, errlen, "describe: %s %zu: name empty or longer than %zu bytes",
			    what, i, sizeof o->name - 1);
	if (a->hash.len != 32)
		return fail(err, errlen, "describe: %s %zu (%s): hash of %zu bytes, not 32", what,
			    i, name, a->hash.len);
	memcpy(o->name, name, strlen(name) + 1);
	memcpy(o->hash, a->hash.data, 32);
	o->size = a->size;
	return OTK_OK;
}

static int pb_module(const Particle__Cloud__FirmwareModule *x, size_t i,
		     struct otkd_desc_module *m, char *err, size_t errlen)
{
	if ((unsigned)x->type > OTKD_MOD_ASSET || x->index > 255 || x->version > 65535 ||
	    (unsigned)x->store > OTKD_STORE_SCRATCHPAD)
		return fail(err, errlen, "describe: module %zu: type, index, version or store out "
			    "of range", i);
	m->function = (uint8_t)x->type;
	m->index = (uint8_t)x->index;
	m->version = (uint16_t)x->version;
	m->store = (uint8_t)x->store;
	m->max_size = x->max_size;
	m->checked = x->checked_flags;
	m->passed = x->passed_flags;
	if (x->_hash_case == PARTICLE__CLOUD__FIRMWARE_MODULE___HASH_HASH) {
		if (x->hash.len != 32)
			return fail(err, errlen, "describe: module %zu: hash of %zu bytes, not 32",
				    i, x->hash.len);
		memcpy(m->hash, x->hash.data, 32);
		m->has_hash = true;
	}
	for (size_t k = 0; k < x->n_dependencies; k++) {
		const Particle__Cloud__FirmwareModuleDependency *d = x->dependencies[k];
		if ((unsigned)d->type > OTKD_MOD_ASSET || d->index > 255 || d->version > 65535)
			return fail(err, errlen, "describe: module %zu: dependency %zu out of range",
				    i, k);
		if (d->type == 0)
			continue;
		if (m->ndeps == 2)
			return fail(err, errlen, "describe: module %zu: more than 2 dependencies",
				    i);
		m->deps[m->ndeps++] = (struct otkd_mod_dep){(uint8_t)d->type, (uint8_t)d->index,
							    (uint16_t)d->version};
	}
	if (x->n_asset_dependencies > OTKD_DESC_ASSETS_MAX)
		return fail(err, errlen, "describe: module %zu: %zu asset dependencies, more than "
			    "%d", i, x->n_asset_dependencies, OTKD_DESC_ASSETS_MAX);
	for (size_t k = 0; k < x->n_asset_dependencies; k++) {
		int rc = pb_asset(x->asset_dependencies[k], &m->asset_deps[k], "asset dependency",
				  k, err, errlen);
		if (rc != OTK_OK)
			return rc;
		m->nasset_deps++;
	}
	return OTK_OK;
}

static int parse_pb(const uint8_t *payload, size_t len, struct otkd_describe *out, char *err,
		    size_t errlen)
{
	struct pb_budget budget = {0};
	ProtobufCAllocator alloc = {pb_alloc, pb_free, &budget};
	Particle__Cloud__SystemDescribe *sd =
		particle__cloud__system_describe__unpack(&alloc, len, payload);
	if (!sd)
		return fail(err, errlen, "describe: not a protobuf SystemDescribe (%zu bytes)", len);
	int rc = OTK_OK;
	if (sd->n_firmware_modules > OTKD_DESC_MODULES_MAX)
		rc = fail(err, errlen, "describe: %zu modules, more than %d",
			  sd->n_firmware_modules, OTKD_DESC_MODULES_MAX);
	else if (sd->n_assets > OTKD_DESC_ASSETS_MAX)
		rc = fail(err, errlen, "describe: %zu assets, more than %d", sd->n_assets,
			  OTKD_DESC_ASSETS_MAX);
	for (size_t i = 0; rc == OTK_OK && i < sd->n_firmware_modules; i++) {
		rc = pb_module(sd->firmware_modules[i], i, &out->modules[i], err, errlen);
		if (rc == OTK_OK)
			out->nmodules++;
	}
	for (size_t i = 0; rc == OTK_OK && i < sd->n_assets; i++) {
		rc = pb_asset(sd->assets[i], &out->assets[i], "asset", i, err, errlen);
		if (rc == OTK_OK)
			out->nassets++;
	}
	particle__cloud__system_describe__free_unpacked(sd, &alloc);
	return rc;
}

#else

static int parse_pb(const uint8_t *payload, size_t len, struct otkd_describe *out, char *err,
		    size_t errlen)
{
	(void)payload;
	(void)len;
	(void)out;
	return fail(err, errlen, "describe: protobuf describes need the build's generated "
		    "messages (scripts/fetch-protos.sh)");
}

#endif

int otkd_describe_parse(const uint8_t *payload, size_t len, int content_format,
			struct otkd_describe *out, char *err, size_t errlen)
{
	clear_describe(out);
	if (err && errlen)
		err[0] = '\0';
	if (len > OTKD_DESCRIBE_MAX)
		return fail(err, errlen, "describe: %zu bytes, more than %d", len,
			    OTKD_DESCRIBE_MAX);
	int rc = content_format == OTKD_CF_PROTOBUF ? parse_pb(payload, len, out, err, errlen) :
		 parse_json(payload, len, out, err, errlen);
	if (rc != OTK_OK)
		clear_describe(out);
	return rc;
}

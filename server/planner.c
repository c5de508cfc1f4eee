/*
 * The update planner (planner.h, docs/planner.md): one pure decision per
 * call, in this order:
 *
 *   1. product firmware: development devices never; else the locked
 *      version; else the highest version released to one of the device's
 *      groups; else the product default.  Sent when the device runs
 *      something else; a device with updates disabled (and not forced) gets
 *      nothing, or updates-pending for an intelligent release;
 *   2. the Safe Mode Healer: a module whose dependency the device lacks gets
 *      the lowest catalog module that satisfies it, that module's own
 *      missing dependencies first, never a downgrade;
 *   3. Asset OTA: a required asset the device lacks (name and hash);
 *   4. a file queued with PUT /v1/devices/:id.
 *
 * The store wrapper otkd_plan_next() is at the end.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"
#include "planner.h"

#define HEAL_DEPTH 4               /* dependency chain followed at most */
#define MODULE_FLAG_COMPRESSED 0x02

static void note(struct otkd_plan_action *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->note, sizeof out->note, fmt, ap);
	va_end(ap);
}

const char *otkd_plan_what_name(enum otkd_plan_what w)
{
	switch (w) {
	case OTKD_SEND_APP: return "app";
	case OTKD_SEND_SYSTEM: return "system";
	case OTKD_SEND_BOOTLOADER: return "bootloader";
	case OTKD_SEND_RADIO: return "radio";
	case OTKD_SEND_ASSET: return "asset";
	case OTKD_SEND_USER_FLASH: return "user-flash";
	}
	return "none";
}

static bool accepts_updates(const struct otkd_describe *d, const struct otkd_plan_input *in)
{
	return d->updates_enabled || d->updates_forced || in->firmware_updates_forced;
}

static bool too_large(const struct otkd_describe *d, uint64_t size)
{
	return d->max_binary_size != 0 && size > d->max_binary_size;
}

static void hex_of(const uint8_t h[32], char hex[OTKD_HASH_HEX])
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < 32; i++) {
		hex[2 * i] = digits[h[i] >> 4];
		hex[2 * i + 1] = digits[h[i] & 15];
	}
	hex[64] = '\0';
}

/* The running application: the user part in the main store. */
static const struct otkd_desc_module *user_part(const struct otkd_describe *d)
{
	for (size_t i = 0; i < d->nmodules; i++)
		if (d->modules[i].function == OTKD_MOD_USER &&
		    d->modules[i].store == OTKD_STORE_MAIN)
			return &d->modules[i];
	return NULL;
}

/* Whether the device runs the application whose blob is app_sha256: by the
 * user part's hash when the describe has it, else by the Hello's product
 * version (version 0: unknown, never matches). */
static bool runs_app(const struct otkd_describe *d, const char *app_sha256, uint32_t version)
{
	const struct otkd_desc_module *u = user_part(d);
	if (u && u->has_hash) {
		char hex[OTKD_HASH_HEX];
		hex_of(u->hash, hex);
		return strcmp(hex, app_sha256) == 0;
	}
	return version != 0 && d->product_version == version;
}

/* --- 1. product firmware ---------------------------------------------------- */

/* Whether two comma-joined name lists share a name. */
static bool groups_meet(const char *a, const char *b)
{
	for (const char *p = a; *p;) {
		size_t n = strcspn(p, ",");
		for (const char *q = b; *q;) {
			size_t m = strcspn(q, ",");
			if (n > 0 && n == m && memcmp(p, q, n) == 0)
				return true;
			q += m + (q[m] == ',');
		}
		p += n + (p[n] == ',');
	}
	return false;
}

/* Which version the device should run; NULL with a note when none. */
static const struct otkd_plan_firmware *product_target(const struct otkd_plan_input *in,
						       struct otkd_plan_action *out)
{
	const struct otkd_plan_firmware *best = NULL;
	if (in->has_desired) {
		for (size_t i = 0; i < in->nfirmware; i++)
			if (in->firmware[i].version == in->desired_firmware_version)
				return &in->firmware[i];
		note(out, "locked to version %u, which the product does not have",
		     in->desired_firmware_version);
		return NULL;
	}
	for (size_t i = 0; i < in->nfirmware; i++) {
		const struct otkd_plan_firmware *f = &in->firmware[i];
		if (f->released && groups_meet(f->groups, in->groups) &&
		    (!best || f->version > best->version))
			best = f;
	}
	for (size_t i = 0; !best && i < in->nfirmware; i++)
		if (in->firmware[i].product_default)
			best = &in->firmware[i];
	if (!best)
		note(out, "no version released to the device's groups and no product default");
	return best;
}

/* 1 when the step decided (out is the action), 0 to go on. */
static int plan_product(const struct otkd_describe *d, const struct otkd_plan_input *in,
			struct otkd_plan_action *out)
{
	if (!in->in_product)
		return 0;
	if (in->development) {
		note(out, "development device: never updated automatically");
		return 0;
	}
	const struct otkd_plan_firmware *t = product_target(in, out);
	if (!t || runs_app(d, t->app_sha256, t->version))
		return 0;
	if (too_large(d, t->app_size)) {
		out->kind = OTKD_PLAN_REFUSED;
		note(out, "product firmware %u (%llu bytes) is larger than the device's %u-byte "
		     "staging area", t->version, (unsigned long long)t->app_size,
		     d->max_binary_size);
		return 1;
	}
	if (!accepts_updates(d, in)) {
		out->kind = t->intelligent ? OTKD_PLAN_PENDING : OTKD_PLAN_NOTHING;
		out->version = t->version;
		note(out, "product firmware %u due, the device has updates disabled%s", t->version,
		     t->intelligent ? " (intelligent release: updates pending)" : "");
		return 1;
	}
	out->kind = OTKD_PLAN_SEND;
	out->what = OTKD_SEND_APP;
	snprintf(out->sha256, sizeof out->sha256, "%s", t->app_sha256);
	out->size = t->app_size;
	out->function = OTKD_MOD_USER;
	out->version = t->version;
	out->intelligent = t->intelligent;
	note(out, "product firmware %u%s", t->version,
	     in->has_desired ? " (locked)" : t->product_default ? " (product default)" : "");
	return 1;
}

/* --- 2. the Safe Mode Healer ------------------------------------------------ */

/* The installed version of (function, index) in the main store; -1 if none. */
static int installed_version(const struct otkd_describe *d, uint8_t function, uint8_t index)
{
	for (size_t i = 0; i < d->nmodules; i++) {
		const struct otkd_desc_module *m = &d->modules[i];
		if (m->function == function && m->index == index && m->store == OTKD_STORE_MAIN)
			return m->version;
	}
	return -1;
}

static bool dep_met(const struct otkd_describe *d, struct otkd_mod_dep dep)
{
	return dep.function == OTKD_MOD_NONE ||
	       installed_version(d, dep.function, dep.index) >= (int)dep.version;
}

static enum otkd_plan_what what_of(uint8_t function)
{
	switch (function) {
	case OTKD_MOD_BOOTLOADER: return OTKD_SEND_BOOTLOADER;
	case OTKD_MOD_RADIO_STACK:
	case OTKD_MOD_NCP: return OTKD_SEND_RADIO;
	default: return OTKD_SEND_SYSTEM;
	}
}

/* The lowest catalog module for dep that the device can take: above what it
 * has (never a downgrade), compressed only with Hello flag 0x40, within its
 * staging area. */
static const struct otkd_dos_module *catalog_pick(const struct otkd_describe *d,
						  const struct otkd_plan_input *in,
						  struct otkd_mod_dep dep)
{
	const struct otkd_dos_module *best = NULL;
	int have = installed_version(d, dep.function, dep.index);
	for (size_t i = 0; i < in->ncatalog; i++) {
		const struct otkd_dos_module *c = &in->catalog[i];
		if (c->function != dep.function || c->index != dep.index ||
		    c->module_version < dep.version || (int)c->module_version <= have)
			continue;
		if (d->platform_id && c->platform_id != d->platform_id)
			continue;
		if ((c->flags & MODULE_FLAG_COMPRESSED) &&
		    !(d->hello_flags & OTKD_HELLO_COMPRESSED_OTA))
			continue;
		if (too_large(d, c->size))
			continue;
		if (!best || c->module_version < best->module_version)
			best = c;
	}
	return best;
}

/* Finds what to send for an unmet dependency: its catalog module, or first
 * that module's own unmet dependencies.  1 when out was set. */
static int heal(const struct otkd_describe *d, const struct otkd_plan_input *in,
		struct otkd_mod_dep dep, int depth, struct otkd_plan_action *out)
{
	const struct otkd_dos_module *c = catalog_pick(d, in, dep);
	if (!c || depth >= HEAL_DEPTH) {
		out->kind = OTKD_PLAN_REFUSED;
		note(out, "safe mode healer: needs module %u.%u version >= %u, no catalog module "
		     "for platform %u is an upgrade the device can take", dep.function, dep.index,
		     dep.version, d->platform_id);
		return 1;
	}
	const struct otkd_mod_dep own[2] = {
		{c->dep_function, c->dep_index, c->dep_version},
		{c->dep2_function, c->dep2_index, c->dep2_version},
	};
	for (size_t k = 0; k < 2; k++)
		if (!dep_met(d, own[k]))
			return heal(d, in, own[k], depth + 1, out);
	out->kind = OTKD_PLAN_SEND;
	out->what = what_of(c->function);
	snprintf(out->sha256, sizeof out->sha256, "%s", c->sha256);
	out->size = c->size;
	out->function = c->function;
	out->index = c->index;
	out->version = c->module_version;
	note(out, "safe mode healer: %s %u.%u version %u from Device OS %s",
	     otkd_plan_what_name(out->what), c->function, c->index, c->module_version,
	     c->version);
	return 1;
}

static int plan_healer(const struct otkd_describe *d, const struct otkd_plan_input *in,
		       struct otkd_plan_action *out)
{
	for (size_t i = 0; i < d->nmodules; i++) {
		const struct otkd_desc_module *m = &d->modules[i];
		if (m->store != OTKD_STORE_MAIN)
			continue;
		for (size_t k = 0; k < m->ndeps; k++)
			if (!dep_met(d, m->deps[k]))
				return heal(d, in, m->deps[k], 0, out);
	}
	return 0;
}

/* --- 3. Asset OTA ------------------------------------------------------------ */

static bool asset_available(const struct otkd_describe *d, const struct otkd_desc_asset *a)
{
	for (size_t i = 0; i < d->nassets; i++)
		if (strcmp(d->assets[i].name, a->name) == 0 &&
		    memcmp(d->assets[i].hash, a->hash, 32) == 0)
			return true;
	return false;
}

static const struct otkd_asset *find_asset(const struct otkd_asset *list, size_t n,
					   const char *name, const char *hex)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].name, name) == 0 && strcmp(list[i].sha256, hex) == 0)
			return &list[i];
	return NULL;
}

/* The cloud's copy of an asset (name and hash): any product version's
 * bundle or the queued file's. */
static const struct otkd_asset *cloud_asset(const struct otkd_plan_input *in, const char *name,
					    const char *hex)
{
	const struct otkd_asset *a = NULL;
	for (size_t i = 0; !a && i < in->nfirmware; i++)
		a = find_asset(in->firmware[i].assets, in->firmware[i].nassets, name, hex);
	if (!a && in->flash)
		a = find_asset(in->flash->assets, in->flash->nassets, name, hex);
	return a;
}

static int plan_assets(const struct otkd_describe *d, const struct otkd_plan_input *in,
		       struct otkd_plan_action *out)
{
	const struct otkd_desc_module *u = user_part(d);
	for (size_t i = 0; u && i < u->nasset_deps; i++) {
		const struct otkd_desc_asset *want = &u->asset_deps[i];
		if (asset_available(d, want))
			continue;
		char hex[OTKD_HASH_HEX];
		hex_of(want->hash, hex);
		const struct otkd_asset *a = cloud_asset(in, want->name, hex);
		if (!a) {
			out->kind = OTKD_PLAN_REFUSED;
			note(out, "asset %s (%.12s...) is required but no bundle has it", want->name,
			     hex);
			return 1;
		}
		out->kind = OTKD_PLAN_SEND;
		out->what = OTKD_SEND_ASSET;
		snprintf(out->sha256, sizeof out->sha256, "%s", a->sha256);
		snprintf(out->asset_name, sizeof out->asset_name, "%s", want->name);
		out->size = a->size;
		out->function = OTKD_MOD_ASSET;
		note(out, "asset %s: required, missing", want->name);
		return 1;
	}
	return 0;
}

/* --- 4. the queued PUT /v1/devices/:id file --------------------------------- */

static int plan_flash(const struct otkd_describe *d, const struct otkd_plan_input *in,
		      struct otkd_plan_action *out)
{
	const struct otkd_plan_flash *f = in->flash;
	if (!f)
		return 0;
	out->flash_id = f->id;
	if (runs_app(d, f->app_sha256, 0)) {
		note(out, "queued file %lld is installed", (long long)f->id);
		return 1;
	}
	/* a bundle's size counts its assets: the app's size is the blob's */
	if (!f->is_bundle && too_large(d, f->size)) {
		out->kind = OTKD_PLAN_REFUSED;
		note(out, "queued file (%llu bytes) is larger than the device's %u-byte staging "
		     "area", (unsigned long long)f->size, d->max_binary_size);
		return 1;
	}
	out->kind = OTKD_PLAN_SEND;
	out->what = OTKD_SEND_USER_FLASH;
	snprintf(out->sha256, sizeof out->sha256, "%s", f->app_sha256);
	out->size = f->is_bundle ? 0 : f->size;
	out->function = OTKD_MOD_USER;
	note(out, "file queued by PUT /v1/devices/:id");
	return 1;
}

int otkd_plan(const struct otkd_describe *d, const struct otkd_plan_input *in,
	      struct otkd_plan_action *out)
{
	memset(out, 0, sizeof *out);
	out->kind = OTKD_PLAN_NOTHING;
	out->compress_ok = (d->hello_flags & OTKD_HELLO_COMPRESSED_OTA) != 0;
	if (plan_product(d, in, out))
		return OTK_OK;
	if (!accepts_updates(d, in)) {
		note(out, "updates disabled on the device");
		return OTK_OK;
	}
	if (plan_healer(d, in, out) || plan_assets(d, in, out) || plan_flash(d, in, out))
		return OTK_OK;
	if (!out->note[0])
		note(out, "up to date");
	return OTK_OK;
}

/* --- the store wrapper ---------------------------------------------------- */

struct plan_data {
	struct otkd_plan_input in;
	struct otkd_plan_firmware *fw;
	struct otkd_dos_module *catalog;
	struct otkd_plan_flash flash;
	bool has_flash;
};

static void plan_data_free(struct plan_data *p)
{
	for (size_t i = 0; p->fw && i < p->in.nfirmware; i++)
		free(p->fw[i].assets);
	free(p->fw);
	free(p->catalog);
	free(p->flash.assets);
}

static int load_firmware(struct otkd_store *st, int64_t product_id, struct plan_data *p)
{
	struct otkd_firmware *list = NULL;
	size_t n = 0;
	int rc = st->ops->firmware_list(st, product_id, &list, &n);
	if (rc == OTK_OK && n > 0) {
		p->fw = calloc(n, sizeof *p->fw);
		rc = p->fw ? OTK_OK : OTK_ENOMEM;
	}
	for (size_t i = 0; rc == OTK_OK && i < n; i++) {
		struct otkd_plan_firmware *f = &p->fw[i];
		f->version = list[i].version;
		memcpy(f->app_sha256, list[i].app_sha256, sizeof f->app_sha256);
		f->app_size = list[i].app_size;
		f->released = list[i].released_at != 0;
		f->product_default = list[i].product_default;
		f->intelligent = list[i].intelligent;
		memcpy(f->groups, list[i].groups, sizeof f->groups);
		p->in.nfirmware = i + 1;
		rc = st->ops->firmware_assets(st, product_id, f->version, &f->assets, &f->nassets);
	}
	p->in.firmware = p->fw;
	free(list);
	return rc;
}

static int load_flash(struct otkd_store *st, const char *device_id, struct plan_data *p)
{
	struct otkd_flash f;
	int rc = st->ops->device_flash_pending(st, device_id, &f, &p->flash.assets,
					       &p->flash.nassets);
	if (rc == OTK_ENOTFOUND)
		return OTK_OK;
	if (rc != OTK_OK)
		return rc;
	p->flash.id = f.id;
	memcpy(p->flash.sha256, f.sha256, sizeof p->flash.sha256);
	memcpy(p->flash.app_sha256, f.app_sha256, sizeof p->flash.app_sha256);
	p->flash.size = f.size;
	p->flash.is_bundle = f.is_bundle;
	p->in.flash = &p->flash;
	return OTK_OK;
}

int otkd_plan_next(struct otkd_store *st, const char *device_id, const struct otkd_describe *d,
		   struct otkd_plan_action *out)
{
	struct otkd_device dev;
	struct plan_data p;
	memset(&p, 0, sizeof p);
	memset(out, 0, sizeof *out);
	int rc = st->ops->device_get(st, device_id, &dev);
	if (rc != OTK_OK)
		return rc;
	p.in.in_product = dev.product_id != 0;
	p.in.development = dev.development;
	p.in.firmware_updates_forced = dev.firmware_updates_forced;
	p.in.has_desired = dev.has_desired;
	p.in.desired_firmware_version = dev.desired_firmware_version;
	memcpy(p.in.groups, dev.groups, sizeof p.in.groups);
	if (p.in.in_product)
		rc = load_firmware(st, dev.product_id, &p);
	if (rc == OTK_OK)
		rc = st->ops->dos_list(st, d->platform_id ? d->platform_id : dev.platform_id,
				       &p.catalog, &p.in.ncatalog);
	p.in.catalog = p.catalog;
	if (rc == OTK_OK)
		rc = load_flash(st, device_id, &p);
	if (rc == OTK_OK)
		rc = otkd_plan(d, &p.in, out);
	/* The queued file is on the device: it is delivered. */
	if (rc == OTK_OK && out->kind == OTKD_PLAN_NOTHING && out->flash_id != 0) {
		rc = st->ops->device_flash_delivered(st, out->flash_id);
		out->flash_id = 0;
	}
	plan_data_free(&p);
	return rc;
}

/*
 * The flashing planner (otk/flash_plan.h).  The rules are particle-cli's
 * (spec 04, "Flashing rules of the reference CLI"); each is one step below
 * and one row of tests/unit/test_flash_plan.c.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otk/assets.h"
#include "otk/error.h"
#include "otk/flash_plan.h"
#include "otk/platform.h"

/* Device OS that formats a 256 KB user part: the old 128 KB slot is invalidated. */
#define LEGACY_SLOT_MIN_SYSTEM 3103u

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

/* One candidate: a given file or a module of the release added. */
struct cand {
	const struct otk_flash_file *f;
	struct otk_module m;
	bool placed;
};

static const char *platform_name(uint16_t id)
{
	const struct otk_platform *p = otk_platform_by_id(id);
	return p ? p->name : "an unknown platform";
}

/* Rule: every module passes CRC and matches the device's platform (assets exempt). */
static int check_module(struct cand *c, uint16_t platform, char *err, size_t errlen)
{
	int rc = otk_module_parse(c->f->data, c->f->len, &c->m);
	if (rc < 0)
		return fail(err, errlen, rc, "%s: not a valid module: %s", c->f->name,
			    otk_strerror(rc));
	uint32_t crc = otk_module_crc_compute(&c->m);
	if (crc != c->m.crc_stored)
		return fail(err, errlen, OTK_ECRC, "%s: CRC mismatch (stored %08x, computed %08x)",
			    c->f->name, c->m.crc_stored, crc);
	if (c->m.prefix.platform != platform)
		return fail(err, errlen, OTK_EINVAL,
			    "%s: built for %s (platform %u), the device is %s (platform %u)",
			    c->f->name, platform_name(c->m.prefix.platform), c->m.prefix.platform,
			    platform_name(platform), platform);
	return OTK_OK;
}

static const struct otk_platform_module *platform_module(const struct otk_platform *p,
							 const struct otk_prefix *x)
{
	const struct otk_platform_module *any = NULL;
	for (size_t i = 0; p && i < p->nmodules; i++)
		if (p->modules[i].function == x->function) {
			if (p->modules[i].index == x->index)
				return &p->modules[i];
			if (p->modules[i].index < 0 && !any)
				any = &p->modules[i];
		}
	return any;
}

/* Rule: encrypted modules are dropped; radio stack and NCP only when asked. */
static bool dropped(const struct otk_platform *p, const struct otk_prefix *x, bool allow)
{
	const struct otk_platform_module *pm = platform_module(p, x);
	if (pm && pm->encrypted)
		return true;
	return !allow && (x->function == OTK_FUNC_RADIO_STACK || x->function == OTK_FUNC_NCP);
}

/* Rule: bootloader and external-MCU modules (NCP) go by control requests. */
static bool by_control(const struct otk_platform *p, const struct otk_prefix *x)
{
	const struct otk_platform_module *pm = platform_module(p, x);
	return x->function == OTK_FUNC_BOOTLOADER || (pm && pm->storage == OTK_STORAGE_EXTERNAL_MCU);
}

static uint16_t installed_system(const struct otk_flash_device *dev)
{
	uint16_t v = 0;
	for (size_t i = 0; i < dev->nmods; i++)
		if (dev->mods[i].function == OTK_FUNC_SYSTEM && (v == 0 || dev->mods[i].version < v))
			v = dev->mods[i].version;
	return v;
}

static uint16_t system_dependency(const struct otk_prefix *x)
{
	for (int d = 0; d < 2; d++)
		if (x->dep[d].function == OTK_FUNC_SYSTEM)
			return x->dep[d].version;
	return 0;
}

/*
 * Rule: Device OS is added for an application when --target names it, or
 * when the device runs an older one than the application depends on (the
 * release with that system version, else the oldest newer one).  Never
 * when the files already hold a system part or bootloader.
 */
static int pick_release(const struct cand *c, size_t n, const struct otk_flash_device *dev,
			const struct otk_flash_opts *o, const struct otk_flash_release **out,
			char *err, size_t errlen)
{
	*out = NULL;
	const struct cand *app = NULL;
	for (size_t i = 0; i < n; i++) {
		if (c[i].f->asset)
			continue;
		uint8_t fn = c[i].m.prefix.function;
		if (fn == OTK_FUNC_SYSTEM || fn == OTK_FUNC_BOOTLOADER)
			return OTK_OK;
		if (fn == OTK_FUNC_USER && !app)
			app = &c[i];
	}
	if (!app && !o->device_os_only)
		return OTK_OK;
	if (o->target || o->device_os_only) {
		if (!o->target) {
			if (o->nreleases)
				*out = &o->releases[o->nreleases - 1];
		} else {
			for (size_t i = 0; i < o->nreleases; i++)
				if (strcmp(o->releases[i].version, o->target) == 0)
					*out = &o->releases[i];
		}
		if (!*out)
			return fail(err, errlen, OTK_ENOTFOUND,
				    "Device OS %s for %s is not in the catalog (otakit device-os import)",
				    o->target ? o->target : "(any)", platform_name(dev->platform));
		return OTK_OK;
	}
	uint16_t need = system_dependency(&app->m.prefix), have = installed_system(dev);
	if (!need || !have || have >= need)
		return OTK_OK;
	for (size_t i = 0; i < o->nreleases && !*out; i++)
		if (o->releases[i].system_version >= need)
			*out = &o->releases[i];
	for (size_t i = 0; i < o->nreleases; i++)
		if (o->releases[i].system_version == need)
			*out = &o->releases[i];
	if (!*out)
		return fail(err, errlen, OTK_ENOTFOUND,
			    "%s: needs Device OS with system part version %u or later, the device has "
			    "%u and the catalog has none for %s (otakit device-os import)",
			    app->f->name, need, have, platform_name(dev->platform));
	return OTK_OK;
}

/* Rule: dependencies first.  A module goes after every module it depends on. */
static void sort_by_dependency(struct cand **v, size_t n)
{
	struct cand **out = calloc(n + 1, sizeof *out);
	if (!out)
		return;   /* keep the given order */
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		v[i]->placed = false;
	while (k < n) {
		bool progress = false;
		for (size_t i = 0; i < n; i++) {
			if (v[i]->placed)
				continue;
			bool ready = true;
			for (int d = 0; d < 2 && ready; d++) {
				const struct otk_dependency *dep = &v[i]->m.prefix.dep[d];
				if (otk_dependency_is_none(dep))
					continue;
				for (size_t j = 0; j < n; j++)
					if (j != i && !v[j]->placed && !v[j]->f->asset &&
					    v[j]->m.prefix.function == dep->function &&
					    v[j]->m.prefix.index == dep->index)
						ready = false;
			}
			if (ready) {
				v[i]->placed = true;
				out[k++] = v[i];
				progress = true;
				break;   /* restart: earliest ready module first */
			}
		}
		if (!progress) {   /* a cycle: the rest in the given order */
			for (size_t i = 0; i < n; i++)
				if (!v[i]->placed) {
					v[i]->placed = true;
					out[k++] = v[i];
				}
		}
	}
	memcpy(v, out, n * sizeof *v);
	free(out);
}

struct dep_check {
	const struct otk_flash_file *asset;
	bool mismatch;
};

static int asset_dep(void *ctx, const struct otk_ext_asset *a)
{
	struct dep_check *dc = ctx;
	const char *name = dc->asset->asset_name;
	if (name && a->name_len == strlen(name) && memcmp(a->name, name, a->name_len) == 0 &&
	    (a->hash_len != OTK_SHA256_LEN || memcmp(a->hash, dc->asset->asset_hash, OTK_SHA256_LEN)))
		dc->mismatch = true;
	return 0;
}

/* Rule: a bundle's asset must have the hash its application names. */
static int check_assets(const struct cand *c, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (c[i].f->asset || c[i].m.prefix.function != OTK_FUNC_USER)
			continue;
		for (size_t j = 0; j < n; j++) {
			if (!c[j].f->asset)
				continue;
			struct dep_check dc = { c[j].f, false };
			if (otk_assets_list(&c[i].m, asset_dep, &dc) < 0)
				return fail(err, errlen, OTK_EBADEXT,
					    "%s: malformed asset dependency extension", c[i].f->name);
			if (dc.mismatch)
				return fail(err, errlen, OTK_ESHA,
					    "%s: hash mismatch: %s depends on another %s", c[j].f->name,
					    c[i].f->name, c[j].f->asset_name);
		}
	}
	return OTK_OK;
}

static bool asset_on_device(const struct otk_flash_device *dev, const struct otk_flash_file *f)
{
	for (size_t i = 0; i < dev->nassets; i++)
		if (f->asset_name && strcmp(dev->assets[i].name, f->asset_name) == 0 &&
		    memcmp(dev->assets[i].hash, f->asset_hash, OTK_SHA256_LEN) == 0)
			return true;
	return false;
}

static const struct otk_dfu_segment *segment(const struct otk_platform *p, const char *name)
{
	for (size_t i = 0; p && i < p->nsegments; i++)
		if (strcmp(p->segments[i].name, name) == 0)
			return &p->segments[i];
	return NULL;
}

/* A DFU step for a module: at its start address, prefix dropped when asked. */
static int dfu_step(const struct cand *c, struct otk_flash_step *s, char *err, size_t errlen)
{
	const struct otk_prefix *x = &c->m.prefix;
	if (x->flags & (OTK_FLAG_COMPRESSED | OTK_FLAG_COMBINED))
		return fail(err, errlen, OTK_EUNSUPPORTED,
			    "%s: a %s module cannot be written by DFU (decompress or split it first)",
			    c->f->name, x->flags & OTK_FLAG_COMPRESSED ? "compressed" : "combined");
	s->way = OTK_FLASH_DFU;
	s->address = x->start;
	s->data = c->f->data;
	s->len = c->m.size;
	/* Rule: the prefix is stripped when the flags are exactly DROP_MODULE_INFO. */
	if (x->flags == OTK_FLAG_DROP_MODULE_INFO && c->m.prefix_offset == 0) {
		s->data += OTK_PREFIX_SIZE;
		s->len -= OTK_PREFIX_SIZE;
	}
	return OTK_OK;
}

void otk_flash_plan_free(struct otk_flash_plan *plan)
{
	if (!plan)
		return;
	free(plan->steps);
	free(plan->owned);
	memset(plan, 0, sizeof *plan);
}

static int build_steps(struct cand **v, size_t n, const struct otk_flash_device *dev,
		       struct otk_flash_plan *plan, char *err, size_t errlen)
{
	const struct otk_platform *p = otk_platform_by_id(dev->platform);
	const struct otk_dfu_segment *legacy = segment(p, "formerUserPart");
	/* at most one extra step: the legacy-slot erase */
	struct otk_flash_step *ctl = calloc(n + 1, sizeof *ctl), *dfu = calloc(n + 2, sizeof *dfu),
			      *ast = calloc(n + 1, sizeof *ast);
	size_t nc = 0, nd = 0, na = 0;
	int rc = ctl && dfu && ast ? OTK_OK : OTK_ENOMEM;
	for (size_t i = 0; i < n && rc == OTK_OK; i++) {
		const struct cand *c = v[i];
		if (c->f->asset) {
			ast[na++] = (struct otk_flash_step){ .way = OTK_FLASH_ASSET, .name = c->f->name,
							     .data = c->f->data, .len = c->f->len,
							     .function = OTK_FUNC_ASSET,
							     .skip = asset_on_device(dev, c->f) };
			continue;
		}
		const struct otk_prefix *x = &c->m.prefix;
		struct otk_flash_step s = { .name = c->f->name, .function = x->function,
					    .index = x->index, .version = x->version };
		if (by_control(p, x)) {
			s.way = OTK_FLASH_CONTROL;
			s.data = c->f->data;
			s.len = c->m.size;
			ctl[nc++] = s;
			continue;
		}
		/* Rule: user parts for Device OS >= 3103 first invalidate the old slot. */
		if (x->function == OTK_FUNC_USER && legacy &&
		    x->dep[0].version >= LEGACY_SLOT_MIN_SYSTEM && !plan->owned) {
			size_t sz = legacy->size ? legacy->size : 4096;
			plan->owned = malloc(sz);
			if (!plan->owned) {
				rc = OTK_ENOMEM;
				break;
			}
			memset(plan->owned, 0xFF, sz);
			dfu[nd++] = (struct otk_flash_step){ .way = OTK_FLASH_DFU,
							     .name = "invalidate-128k-user-part",
							     .data = plan->owned, .len = sz,
							     .address = legacy->address };
		}
		rc = dfu_step(c, &s, err, errlen);
		if (rc == OTK_OK)
			dfu[nd++] = s;
	}
	if (rc == OTK_OK) {
		plan->steps = calloc(nc + nd + na + 1, sizeof *plan->steps);
		if (!plan->steps)
			rc = OTK_ENOMEM;
	}
	if (rc == OTK_OK) {
		/* Rule: normal-mode steps, DFU steps, assets; DFU first when already in DFU. */
		const struct otk_flash_step *first = dev->in_dfu ? dfu : ctl,
					    *second = dev->in_dfu ? ctl : dfu;
		size_t n1 = dev->in_dfu ? nd : nc, n2 = dev->in_dfu ? nc : nd;
		memcpy(plan->steps, first, n1 * sizeof *first);
		memcpy(plan->steps + n1, second, n2 * sizeof *second);
		memcpy(plan->steps + n1 + n2, ast, na * sizeof *ast);
		plan->n = n1 + n2 + na;
		/* Rule: reset by DFU leave only when the last step is DFU. */
		for (size_t i = plan->n; i-- > 0;)
			if (!plan->steps[i].skip) {
				plan->leave_dfu = plan->steps[i].way == OTK_FLASH_DFU;
				break;
			}
	}
	free(ctl);
	free(dfu);
	free(ast);
	return rc;
}

int otk_flash_check_files(const struct otk_flash_file *files, size_t nfiles, char *err,
			  size_t errlen)
{
	struct cand *c = calloc(nfiles + 1, sizeof *c);
	if (!c)
		return OTK_ENOMEM;
	int rc = OTK_OK;
	uint16_t platform = 0;
	bool first = true;
	for (size_t i = 0; i < nfiles && rc == OTK_OK; i++) {
		c[i].f = &files[i];
		if (files[i].asset)
			continue;
		if (first) {
			struct otk_module m;
			if (otk_module_parse(files[i].data, files[i].len, &m) == OTK_OK)
				platform = m.prefix.platform;
			first = false;
		}
		rc = check_module(&c[i], platform, err, errlen);
		if (rc == OTK_EINVAL && c[i].m.prefix.platform != platform)
			rc = fail(err, errlen, OTK_EINVAL, "%s: built for %s (platform %u), %s for %s",
				  files[i].name, platform_name(c[i].m.prefix.platform),
				  c[i].m.prefix.platform, files[0].name, platform_name(platform));
	}
	if (rc == OTK_OK)
		rc = check_assets(c, nfiles, err, errlen);
	free(c);
	return rc;
}

int otk_flash_plan_make(const struct otk_flash_file *files, size_t nfiles,
			const struct otk_flash_device *dev, const struct otk_flash_opts *opts,
			struct otk_flash_plan *plan, char *err, size_t errlen)
{
	memset(plan, 0, sizeof *plan);
	const struct otk_platform *p = otk_platform_by_id(dev->platform);
	if (!p)
		return fail(err, errlen, OTK_EUNSUPPORTED, "the device's platform %u is unknown",
			    dev->platform);
	if (opts->device_os_only)
		nfiles = 0;
	size_t cap = nfiles;
	for (size_t i = 0; i < opts->nreleases; i++)
		cap = cap > opts->releases[i].nmods ? cap : opts->releases[i].nmods;
	struct cand *c = calloc(2 * cap + 1, sizeof *c);
	struct cand **v = calloc(2 * cap + 1, sizeof *v);
	size_t n = 0, nv = 0;
	int rc = c && v ? OTK_OK : OTK_ENOMEM;
	/* Rule: every module is checked before anything is planned. */
	for (size_t i = 0; i < nfiles && rc == OTK_OK; i++) {
		c[n].f = &files[i];
		if (!files[i].asset)
			rc = check_module(&c[n], dev->platform, err, errlen);
		n++;
	}
	if (rc == OTK_OK)
		rc = check_assets(c, n, err, errlen);
	const struct otk_flash_release *rel = NULL;
	if (rc == OTK_OK)
		rc = pick_release(c, n, dev, opts, &rel, err, errlen);
	for (size_t i = 0; rel && i < rel->nmods && rc == OTK_OK; i++) {
		c[n].f = &rel->mods[i];
		rc = check_module(&c[n], dev->platform, err, errlen);
		/* the release's own application (Tinker) never replaces the user's */
		if (rc == OTK_OK && c[n].m.prefix.function != OTK_FUNC_USER)
			n++;
	}
	if (rc == OTK_OK && rel)
		plan->dos_added = rel->version;
	for (size_t i = 0; i < n && rc == OTK_OK; i++) {
		if (!c[i].f->asset && dropped(p, &c[i].m.prefix, opts->allow_radio_ncp)) {
			plan->dropped++;
			continue;
		}
		v[nv++] = &c[i];
	}
	if (rc == OTK_OK) {
		sort_by_dependency(v, nv);
		rc = build_steps(v, nv, dev, plan, err, errlen);
	}
	if (rc < 0)
		otk_flash_plan_free(plan);
	free(c);
	free(v);
	return rc;
}

/* Boot: scan installed modules, check dependencies, decide the mode. */
#include "otk/boot.h"

#include <string.h>

#include "otk/error.h"
#include "otk/flash.h"

static uint8_t role_function(uint8_t role)
{
	switch (role) {
	case OTK_AREA_BOOTLOADER: return OTK_FUNC_BOOTLOADER;
	case OTK_AREA_SYSTEM: return OTK_FUNC_SYSTEM;
	case OTK_AREA_USER: return OTK_FUNC_USER;
	default: return OTK_FUNC_NONE;
	}
}

int otk_installed_scan(const struct otk_device *dev, uint8_t *buf, size_t cap,
		       struct otk_installed *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < dev->layout->nareas && n < max; i++) {
		const struct otk_layout_area *la = &dev->layout->areas[i];
		uint8_t function = role_function(la->role);
		struct otk_flash_area fa;
		if (!function)
			continue;
		int rc = dev->open(dev->ctx, la, &fa);
		if (rc)
			continue;       /* area not available on this device */
		struct otk_installed *m = &out[n++];
		memset(m, 0, sizeof(*m));
		m->role = la->role;
		m->index = la->index;
		m->status = otk_image_check(&fa, la->grows_left, dev->platform, function, la->index,
					    buf, cap, &m->prefix);
		if (m->status == OTK_EIO)
			return OTK_EIO;
	}
	return (int)n;
}

static bool dep_met(const struct otk_dependency *d, const struct otk_installed *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i].status == OTK_OK && set[i].prefix.function == d->function &&
		    set[i].prefix.index == d->index)
			return set[i].prefix.version >= d->version;
	return false;
}

int otk_deps_check(const struct otk_prefix *m, const struct otk_installed *set, size_t n,
		   int *which)
{
	/* Device OS: a module whose first dependency is none is valid without
	 * looking at the second */
	if (otk_dependency_is_none(&m->dep[0]))
		return OTK_OK;
	for (int d = 0; d < 2; d++) {
		if (otk_dependency_is_none(&m->dep[d]))
			continue;
		if (!dep_met(&m->dep[d], set, n)) {
			if (which)
				*which = d;
			return OTK_EUPD_DEPENDENCY;
		}
	}
	return OTK_OK;
}

static void set_reason(struct otk_boot_report *r, uint8_t mode, uint8_t reason, int detail,
		       const struct otk_installed *m)
{
	/* the first, most severe reason found is kept */
	if (r->reason != OTK_REASON_NONE && r->reason != OTK_REASON_NO_USER && mode <= r->mode)
		return;
	r->mode = mode;
	r->reason = reason;
	r->detail = detail;
	r->function = m ? role_function(m->role) : 0;
	r->index = m ? m->index : 0;
}

void otk_boot_decide(struct otk_installed *mods, size_t n, uint32_t requests,
		     struct otk_boot_report *r)
{
	const struct otk_installed *sys1 = NULL, *user = NULL;
	r->mode = OTK_MODE_NORMAL;
	r->reason = OTK_REASON_NONE;
	r->detail = OTK_OK;
	r->function = r->index = 0;

	for (size_t i = 0; i < n; i++) {
		struct otk_installed *m = &mods[i];
		m->deps = OTK_OK;
		if (m->status == OTK_OK)
			m->deps = otk_deps_check(&m->prefix, mods, n, NULL);
		if (m->role == OTK_AREA_SYSTEM && m->index == 1)
			sys1 = m;
		/* the newest user area holding something is the application */
		if (m->role == OTK_AREA_USER && m->status != OTK_ENOTFOUND &&
		    (!user || m->index > user->index))
			user = m;
	}
	if (!sys1 || sys1->status != OTK_OK) {
		set_reason(r, OTK_MODE_DFU, OTK_REASON_SYSTEM1_INVALID,
			   sys1 ? sys1->status : OTK_ENOTFOUND, sys1);
		return;
	}
	if (requests & OTK_BOOT_REQ_DFU) {
		set_reason(r, OTK_MODE_DFU, OTK_REASON_REQUESTED, OTK_OK, NULL);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct otk_installed *m = &mods[i];
		if (m->role == OTK_AREA_BOOTLOADER && m->index == 0 && m->status != OTK_OK)
			set_reason(r, OTK_MODE_SAFE, OTK_REASON_BOOTLOADER_INVALID, m->status, m);
		if (m->role == OTK_AREA_SYSTEM && m->status != OTK_OK && m->status != OTK_ENOTFOUND)
			set_reason(r, OTK_MODE_SAFE, OTK_REASON_SYSTEM_INVALID, m->status, m);
		if ((m->role == OTK_AREA_SYSTEM || m->role == OTK_AREA_BOOTLOADER) &&
		    m->status == OTK_OK && m->deps)
			set_reason(r, OTK_MODE_SAFE, OTK_REASON_SYSTEM_DEPS, m->deps, m);
	}
	if (!user)
		set_reason(r, OTK_MODE_NORMAL, OTK_REASON_NO_USER, OTK_ENOTFOUND, NULL);
	else if (user->status != OTK_OK)
		set_reason(r, OTK_MODE_SAFE, OTK_REASON_USER_INVALID, user->status, user);
	else if (user->deps)
		set_reason(r, OTK_MODE_SAFE, OTK_REASON_USER_DEPS, user->deps, user);
	if ((requests & OTK_BOOT_REQ_SAFE) && r->mode == OTK_MODE_NORMAL)
		set_reason(r, OTK_MODE_SAFE, OTK_REASON_REQUESTED, OTK_OK, NULL);
}

int otk_boot(const struct otk_device *dev, struct otk_update *u, uint8_t *buf, size_t cap,
	     uint32_t requests, struct otk_boot_report *r)
{
	memset(r, 0, sizeof(*r));
	if (u) {
		r->recover = otk_update_recover(u, &r->copied);
		if (r->recover == OTK_EIO)
			return OTK_EIO;
	}
	int n = otk_installed_scan(dev, buf, cap, r->mods, OTK_BOOT_MAX_MODULES);
	if (n < 0)
		return n;
	r->nmods = (size_t)n;
	for (uint8_t i = 0; u && i < u->cfg.nextra && i < OTK_UPDATE_MAX_EXTRA; i++)
		r->mods[r->nmods++] = u->cfg.extra[i];
	otk_boot_decide(r->mods, r->nmods, requests, r);
	return OTK_OK;
}

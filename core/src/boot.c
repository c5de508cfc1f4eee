/* Boot: scan installed modules, check dependencies, decide the mode. */
#include "otk/boot.h"

#include <string.h>

#include "otk/error.h"
#include "otk/update.h"

static void set_reason(struct otk_boot_report *r, uint8_t mode, uint8_t reason, int detail,
		       const struct otk_installed *m)
{
	/* the first, most severe reason found is kept */
	if (r->reason != OTK_REASON_NONE && r->reason != OTK_REASON_NO_USER && mode <= r->mode)
		return;
	r->mode = mode;
	r->reason = reason;
	r->detail = detail;
	r->function = m ? otk_layout_function_for_role(m->role) : 0;
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
		if (otk_error_is_io(r->recover))
			return r->recover;
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

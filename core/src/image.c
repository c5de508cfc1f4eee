/*
 * Images in flash: prefix search, module CRC, the installed-module check
 * and scan, dependencies.  See otk/image.h.
 */
#include "otk/image.h"

#include <string.h>

#include "otk/crc32.h"
#include "otk/error.h"


int otk_image_crc_check(const struct otk_flash_area *fa, uint32_t off, uint32_t size,
			uint8_t *buf, size_t cap)
{
	uint32_t c = 0;
	uint8_t be[4];
	if (size < 4)
		return OTK_EUPD_INTEGRITY;
	for (uint32_t pos = 0; pos < size - 4u;) {
		uint32_t n = size - 4u - pos < cap ? size - 4u - pos : (uint32_t)cap;
		int rc = otk_flash_read(fa, off + pos, buf, n);
		if (rc)
			return rc;
		c = otk_crc32_update(c, buf, n);
		pos += n;
	}
	int rc = otk_flash_read(fa, off + size - 4u, be, 4);
	if (rc)
		return rc;
	return otk_be32(be) == c ? OTK_OK : OTK_EUPD_INTEGRITY;
}

static bool plausible(const struct otk_prefix *p, uint32_t at)
{
	return p->end > p->start && p->end - p->start < 0x1000000u && p->function != OTK_FUNC_NONE &&
	       p->function <= OTK_FUNC_MAX && (p->flags & ~OTK_FLAG_ALL) == 0 &&
	       at + OTK_PREFIX_SIZE <= p->end - p->start;
}

long otk_image_find_prefix(const struct otk_flash_area *fa, uint32_t base, uint32_t avail,
			   uint8_t function, struct otk_prefix *p, bool *erased)
{
	uint8_t raw[OTK_PREFIX_SIZE];
	*erased = true;
	for (size_t i = 0; i < OTK_PREFIX_NOFFSETS; i++) {
		uint32_t at = otk_prefix_offsets[i];
		if (at + OTK_PREFIX_SIZE > avail)
			continue;
		int rc = otk_flash_read(fa, base + at, raw, sizeof(raw));
		if (rc)
			return rc;
		for (size_t k = 0; k < sizeof(raw); k++)
			if (raw[k] != fa->erased)
				*erased = false;
		otk_prefix_decode(raw, p);
		if (!plausible(p, at))
			continue;
		if (function && !(p->function == function ||
				  (function == OTK_FUNC_SYSTEM && p->function == OTK_FUNC_MONO)))
			continue;
		return (long)at;
	}
	return OTK_ENOPREFIX;
}

/*
 * A module that grows down ends at the area's end and starts anywhere
 * (4-byte aligned): scan down from the end, a buffer at a time, for a prefix
 * whose start is its own address and whose end is the area's end.
 */
static int image_check_top(const struct otk_flash_area *fa, uint16_t platform, uint8_t function,
			   int index, uint8_t *buf, size_t cap, struct otk_prefix *p)
{
	uint8_t raw[OTK_PREFIX_SIZE];
	uint32_t hi = fa->size;
	bool any = false;
	if (cap < 64 || fa->size < 64)
		return OTK_EINVAL;
	cap &= ~(size_t)3u;
	for (;;) {
		uint32_t lo = hi > cap ? hi - (uint32_t)cap : 0;
		int rc = otk_flash_read(fa, lo, buf, hi - lo);
		if (rc)
			return rc;
		for (uint32_t k = 0; k < hi - lo && !any; k++)
			any = buf[k] != fa->erased;
		for (uint32_t pos = (hi - OTK_PREFIX_SIZE) & ~3u; pos >= lo; pos -= 4) {
			const uint8_t *w = buf + (pos - lo);
			if (otk_le32(w) == fa->addr + pos && otk_le32(w + 4) + 4u == fa->addr + fa->size) {
				memcpy(raw, w, sizeof(raw));
				otk_prefix_decode(raw, p);
				if (plausible(p, 0) && p->function == function &&
				    (index < 0 || p->index == index)) {
					if (p->platform != platform)
						return OTK_EUPD_PLATFORM;
					return otk_image_crc_check(fa, pos, fa->size - pos, buf, cap);
				}
			}
			if (pos < 4)
				break;
		}
		if (lo == 0)
			break;
		hi = lo + OTK_PREFIX_SIZE;   /* overlap: a prefix across the boundary */
	}
	return any ? OTK_ENOPREFIX : OTK_ENOTFOUND;
}

int otk_image_check(const struct otk_flash_area *fa, bool grows_left, uint16_t platform,
		    uint8_t function, int index, uint8_t *buf, size_t cap, struct otk_prefix *p)
{
	if (grows_left)
		return image_check_top(fa, platform, function, index, buf, cap, p);
	/*
	 * A module need not start at its area's start (nRF52840 system parts
	 * link at 0x30000 in a 0x28000 area, RTL872x user parts grow down from
	 * the area's end), so look for a prefix whose start address is its own
	 * position at every 4 KB boundary.  Copies erase the area up to the
	 * module they write, so the first module found is the newest.
	 */
	bool all_erased = true;
	for (uint32_t base = 0; base < fa->size; base += OTK_IMAGE_ALIGN) {
		bool erased;
		long at = otk_image_find_prefix(fa, base, fa->size - base, function, p, &erased);
		if (at < 0 && at != OTK_ENOPREFIX)
			return (int)at;
		if (at < 0 || p->start != fa->addr + base) {
			all_erased &= erased;
			continue;
		}
		uint32_t size = p->end - p->start + 4u;
		if (index >= 0 && p->index != index && p->function != OTK_FUNC_MONO) {
			/* another index's module inside this area (nRF52840: the
			 * legacy 128K user part lies inside the 256K one): skip it */
			if (size > fa->size - base)
				break;
			base += ((size + OTK_IMAGE_ALIGN - 1u) & ~(OTK_IMAGE_ALIGN - 1u)) - OTK_IMAGE_ALIGN;
			continue;
		}
		if (size > fa->size - base)
			return OTK_EUPD_TOOLARGE;
		if (p->platform != platform)
			return OTK_EUPD_PLATFORM;
		return otk_image_crc_check(fa, base, size, buf, cap);
	}
	return all_erased ? OTK_ENOTFOUND : OTK_ENOPREFIX;
}

/* --- installed modules ----------------------------------------------- */

int otk_installed_scan(const struct otk_device *dev, uint8_t *buf, size_t cap,
		       struct otk_installed *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < dev->layout->nareas && n < max; i++) {
		const struct otk_layout_area *la = &dev->layout->areas[i];
		uint8_t function = otk_layout_function_for_role(la->role);
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
		if (otk_error_is_io(m->status))
			return m->status;
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

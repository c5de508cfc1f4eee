/*
 * Lookups over the generated platform table (platform_table.c).
 *
 * The table is small (a few dozen entries) and lives in flash on a device,
 * so plain linear scans are both the simplest and fast enough.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/module.h"
#include "otk/platform.h"

/* Defined in platform_table.c, which scripts/gen_platforms.py writes. */
extern const struct otk_platform otk_platform_table[];
extern const size_t otk_platform_table_len;

size_t otk_platform_count(void)
{
	return otk_platform_table_len;
}

const struct otk_platform *otk_platform_at(size_t i)
{
	return i < otk_platform_table_len ? &otk_platform_table[i] : NULL;
}

const struct otk_platform *otk_platform_by_id(uint16_t id)
{
	for (size_t i = 0; i < otk_platform_table_len; i++) {
		if (otk_platform_table[i].id == id)
			return &otk_platform_table[i];
	}
	return NULL;
}

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Not strcasecmp: that is POSIX, locale-dependent and absent freestanding. */
static bool ascii_equal_nocase(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = ascii_lower((unsigned char)*a);
		int cb = ascii_lower((unsigned char)*b);
		if (ca != cb)
			return false;
		if (ca == '\0')
			return true;
	}
}

const struct otk_platform *otk_platform_by_name(const char *name)
{
	if (name == NULL || *name == '\0')
		return NULL;
	for (size_t i = 0; i < otk_platform_table_len; i++) {
		const struct otk_platform *p = &otk_platform_table[i];
		if (ascii_equal_nocase(p->name, name))
			return p;
		for (const char *const *a = p->aliases; a && *a; a++) {
			if (ascii_equal_nocase(*a, name))
				return p;
		}
	}
	return NULL;
}

bool otk_platform_id_is_device(uint16_t id)
{
	const struct otk_platform *p = otk_platform_by_id(id);
	return p != NULL && p->generation > 0;
}

/* The firmwareModules entry for the user part, NULL when there is none. */
static const struct otk_platform_module *user_part(const struct otk_platform *p)
{
	if (p == NULL)
		return NULL;
	for (size_t i = 0; i < p->nmodules; i++) {
		if (p->modules[i].function == OTK_FUNC_USER)
			return &p->modules[i];
	}
	return NULL;
}

bool otk_platform_user_grows_left(const struct otk_platform *p)
{
	const struct otk_platform_module *m = user_part(p);
	return m != NULL && m->grows_left;
}

uint32_t otk_platform_user_max_size(const struct otk_platform *p)
{
	const struct otk_platform_module *m = user_part(p);
	return m != NULL ? m->max_size : 0;
}

/*
 * Device OS releases and the module versions they carry.
 *
 * The system part module version is usually major*1000 + minor*100 + patch
 * for recent releases, but pre-releases and old releases have their own
 * numbers, so this is an explicit table of facts rather than a formula.
 */
#ifndef OTK_DOS_VERSION_H
#define OTK_DOS_VERSION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct otk_dos_release {
	const char *version;          /* "5.5.0-rc.1" */
	uint16_t system_version;      /* module_version of its system part(s) */
	uint16_t bootloader_version;  /* 0 when not recorded */
};

size_t otk_dos_release_count(void);
/* Releases in ascending order of system_version. */
const struct otk_dos_release *otk_dos_release_at(size_t i);
/* Exact version string; NULL when not in the table. */
const struct otk_dos_release *otk_dos_release_by_name(const char *version);
/*
 * The release whose system part has this module version; NULL when no
 * release in the table has it.  When several releases share the number
 * (some early release candidates), the last of them: the final release.
 */
const struct otk_dos_release *otk_dos_release_by_system_version(uint16_t v);

#ifdef __cplusplus
}
#endif

#endif

/*
 * Device OS releases and the module versions of the system part and
 * bootloader they ship.
 *
 * Where the facts come from:
 *
 *  - 0.4.0 to 3.2.0: the release table that Particle keeps in the Device OS
 *    repository (system/system-versions.md, "System Module Numbers and Semver
 *    Releases").  A blank bootloader cell there is recorded as 0 here.
 *  - 1.4.4 and every release from 2.0.1 on: the prefixes of the real release
 *    binaries, as published in the Particle documentation repository for
 *    Device Restore (src/assets/files/device-restore/<version>/<platform>.json,
 *    which is binary-version-reader's parse of each binary).  Boron was used
 *    throughout; Photon (1.5.2), Tracker (5.5.0) and P2 (6.2.0, and the
 *    P2-only 3.2.1-p2.x releases) were read to confirm that the numbers are
 *    shared across platforms.  Where both sources cover a release they agree.
 *  - 3.2.1-p2.1, a private P2 release: the list of private versions that the
 *    Particle documentation build adds to the same table by hand.
 *  - 6.3.4: the Tinker applications particle-cli 3.51.0 ships for it
 *    (assets/knownApps/{msom,esomx}/tinker/tinker-6.3.4-*.bin) depend on
 *    system part 1 version 6305.  Its bootloader number is not recorded
 *    there, so it is 0 here.
 *  - Cross-checks: the shared test fixtures (tracker system part 3.1.0-alpha.2
 *    is 3101; Tinker built for 5.3.1 depends on system 5301; an application
 *    built for 5.5.0-rc.1 depends on system 5500) and particle-cli, which
 *    names 6.1.1 as system 6101 with bootloader 3001.
 *
 * Note that release candidates take their own numbers, so a final release is
 * often not major*1000 + minor*100 + patch: 5.0.0 is 5002, 5.4.1 is 5410,
 * 5.5.0 is 5501 (5500 is 5.5.0-rc.1) and 6.3.0 is 6302.
 *
 * Not recorded because no binary or table could be found to confirm it:
 * 6.0.0 (the Device Restore data for it is damaged), 6.3.1 and 6.3.3 (6304
 * is the likely number, but nothing we have carries it).
 *
 * The bootloader column is the main bootloader (module index 0).  Particle
 * numbers it the same way on every platform of a release where we checked.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/dos_version.h"

/*
 * Ascending by system module version.  Releases that share a number (some
 * 0.4.x/0.5.x release candidates, 0.8.0-rc.13 and rc.14) are in semver order,
 * final release last.
 */
static const struct otk_dos_release releases[] = {
	/* system-versions.md */
	{ "0.4.0", 0, 0 },
	{ "0.4.1", 1, 0 },
	{ "0.4.2", 2, 0 },
	{ "0.4.3", 3, 0 },
	{ "0.4.4-rc.1", 4, 0 },
	{ "0.4.4-rc.2", 4, 0 },
	{ "0.4.4-rc.3", 4, 0 },
	{ "0.4.4-rc.4", 4, 0 },
	{ "0.4.4-rc.5", 4, 0 },
	{ "0.4.4-rc.6", 4, 0 },
	{ "0.4.4", 5, 0 },
	{ "0.4.5", 6, 0 },
	{ "0.4.6", 7, 0 },
	{ "0.4.7", 8, 0 },
	{ "0.4.8-rc.1", 9, 0 },
	{ "0.4.8-rc.6", 10, 0 },
	{ "0.4.9", 11, 7 },
	{ "0.5.0-rc.1", 12, 0 },
	{ "0.5.0-rc.2", 13, 0 },
	{ "0.5.0", 13, 0 },
	{ "0.5.1-rc.1", 14, 0 },
	{ "0.5.1-rc.2", 15, 0 },
	{ "0.5.1", 15, 0 },
	{ "0.5.2-rc.1", 16, 0 },
	{ "0.5.2", 17, 0 },
	{ "0.5.3-rc.1", 18, 0 },
	{ "0.5.3-rc.2", 19, 0 },
	{ "0.5.3-rc.3", 20, 0 },
	{ "0.5.3", 21, 0 },
	{ "0.5.4", 22, 0 },
	{ "0.5.5", 23, 0 },
	{ "0.6.0-rc.1", 100, 0 },
	{ "0.6.0-rc.2", 101, 0 },
	{ "0.6.0", 102, 0 },
	{ "0.6.1-rc.1", 103, 9 },
	{ "0.6.1-rc.2", 104, 0 },
	{ "0.6.1", 105, 0 },
	{ "0.6.2-rc.1", 106, 0 },
	{ "0.6.2-rc.2", 107, 0 },
	{ "0.6.2", 108, 11 },
	{ "0.6.3", 109, 11 },
	{ "0.6.4", 110, 11 },
	{ "0.7.0-rc.1", 200, 100 },
	{ "0.7.0-rc.2", 201, 100 },
	{ "0.7.0-rc.3", 202, 100 },
	{ "0.7.0-rc.4", 203, 100 },
	{ "0.7.0-rc.5", 204, 101 },
	{ "0.7.0-rc.6", 205, 101 },
	{ "0.7.0-rc.7", 206, 101 },
	{ "0.7.0", 207, 101 },
	{ "0.8.0-rc.1", 300, 101 },
	{ "0.8.0-rc.2", 301, 101 },
	{ "0.8.0-rc.3", 302, 201 },
	{ "0.8.0-rc.4", 303, 201 },
	{ "0.8.0-rc.5", 304, 201 },
	{ "0.8.0-rc.6", 305, 201 },
	{ "0.8.0-rc.7", 306, 201 },
	{ "0.8.0-rc.8", 307, 201 },
	{ "0.8.0-rc.9", 308, 201 },
	{ "0.8.0-rc.10", 309, 201 },
	{ "0.8.0-rc.11", 310, 201 },
	{ "0.8.0-rc.12", 311, 201 },
	{ "0.8.0-rc.13", 312, 201 },
	{ "0.8.0-rc.14", 312, 201 },
	{ "0.8.0-rc.15", 314, 209 },
	{ "0.8.0-rc.16", 315, 209 },
	{ "0.8.0-rc.17", 316, 210 },
	{ "0.8.0-rc.18", 317, 210 },
	{ "0.8.0-rc.19", 318, 211 },
	{ "0.8.0-rc.20", 319, 212 },
	{ "0.8.0-rc.21", 320, 212 },
	{ "0.8.0-rc.22", 321, 213 },
	{ "0.8.0-rc.23", 322, 214 },
	{ "0.8.0-rc.24", 323, 214 },
	{ "0.8.0-rc.25", 324, 214 },
	{ "0.8.0-rc.26", 325, 215 },
	{ "0.8.0-rc.27", 326, 215 },
	{ "0.9.0-rc.1", 400, 300 },
	{ "0.9.0-rc.2", 401, 300 },
	{ "0.9.0-rc.3", 402, 300 },
	{ "0.9.0", 403, 300 },
	{ "1.0.0", 1000, 201 },
	{ "1.0.1-rc.1", 1001, 201 },
	{ "1.0.1", 1002, 201 },
	{ "1.1.0-rc.1", 1100, 300 },
	{ "1.1.0-rc.2", 1101, 301 },
	{ "1.1.0", 1102, 301 },
	{ "1.1.1-rc.1", 1103, 301 },
	{ "1.1.1", 1104, 301 },
	{ "1.2.0-alpha.1", 1200, 300 },
	{ "1.2.0-beta.1", 1201, 300 },
	{ "1.2.0-rc.1", 1202, 302 },
	{ "1.2.1-rc.1", 1210, 310 },
	{ "1.2.1-rc.2", 1211, 311 },
	{ "1.2.1-rc.3", 1212, 311 },
	{ "1.2.1", 1213, 311 },
	{ "1.3.0-alpha.1", 1300, 311 },
	{ "1.3.0-rc.1", 1301, 311 },
	{ "1.3.1-rc.1", 1320, 400 },
	{ "1.3.1", 1321, 401 },
	{ "1.4.0-rc.1", 1400, 500 },
	{ "1.4.0", 1401, 500 },
	{ "1.4.1-rc.1", 1402, 500 },
	{ "1.4.1", 1403, 500 },
	{ "1.4.2", 1404, 501 },
	{ "1.4.3", 1405, 501 },
	{ "1.4.4", 1406, 501 },          /* also release binaries */
	{ "1.4.5-b5som.1", 1407, 501 },
	{ "1.4.5-b5som.2", 1408, 501 },
	{ "1.5.0-rc.1", 1500, 501 },
	{ "1.5.0-rc.2", 1501, 501 },
	{ "1.5.0", 1502, 501 },
	{ "1.5.1-tracker.1", 1503, 501 },
	{ "1.5.1-tracker.2", 1504, 501 },
	{ "1.5.1-tracker.3", 1505, 501 },
	{ "1.5.1-rc.1", 1510, 501 },
	{ "1.5.1", 1511, 501 },
	{ "1.5.2", 1512, 502 },          /* also release binaries */
	{ "1.5.3-tracker.1", 1513, 502 },
	{ "1.5.4-rc.1", 1514, 502 },
	{ "1.5.4-rc.2", 1515, 502 },
	{ "2.0.0-alpha.1", 2000, 1000 },
	{ "2.0.0-alpha.2", 2001, 1000 },
	{ "2.0.0-alpha.3", 2002, 1001 },
	{ "2.0.0-alpha.4", 2003, 1002 },
	{ "2.0.0-rc.1", 2004, 1002 },
	{ "2.0.0-rc.2", 2005, 1003 },
	{ "2.0.0-rc.3", 2006, 1003 },
	{ "2.0.0-rc.4", 2007, 1003 },
	{ "2.0.0", 2008, 1003 },
	{ "2.0.1-alpha.1", 2009, 1004 },
	{ "2.0.1-alpha.2", 2010, 1005 },
	/* from here on: release binaries, with system-versions.md where it has them */
	{ "2.0.1", 2011, 1005 },
	{ "2.0.2", 2021, 1005 },
	{ "2.1.0-rc.1", 2100, 1005 },    /* system-versions.md only */
	{ "2.1.0", 2101, 1005 },
	{ "2.2.0-rc.1", 2200, 1006 },
	{ "2.2.0-rc.2", 2201, 1006 },
	{ "2.2.0", 2202, 1006 },
	{ "2.3.0-rc.1", 2300, 1006 },
	{ "2.3.0", 2301, 1006 },
	{ "2.3.1", 2302, 1006 },
	{ "3.0.0-alpha.1", 3000, 1005 }, /* system-versions.md only */
	{ "3.0.0-alpha.2", 3001, 1005 }, /* system-versions.md only */
	{ "3.0.0-beta.1", 3002, 1005 },  /* system-versions.md only */
	{ "3.0.0-rc.1", 3003, 1005 },    /* system-versions.md only */
	{ "3.0.0-rc.2", 3004, 1005 },    /* system-versions.md only */
	{ "3.0.0", 3005, 1005 },
	{ "3.1.0-alpha.1", 3100, 1100 }, /* system-versions.md only */
	{ "3.1.0-alpha.2", 3101, 1100 }, /* system-versions.md, fixture */
	{ "3.1.0-rc.1", 3102, 1100 },
	{ "3.1.0", 3103, 1100 },
	{ "3.2.0-rc.1", 3200, 1100 },
	{ "3.2.0", 3201, 1100 },
	{ "3.2.1-p2.1", 3210, 1007 },    /* documentation build's private list */
	{ "3.2.1-p2.2", 3211, 1007 },
	{ "3.2.1-p2.3", 3212, 1008 },
	{ "3.3.0-rc.1", 3300, 1100 },
	{ "3.3.0", 3301, 1100 },
	{ "3.3.1", 3302, 1100 },
	{ "4.0.0-alpha.1", 4000, 1100 },
	{ "4.0.0-alpha.2", 4001, 1101 },
	{ "4.0.0-beta.1", 4002, 1101 },
	{ "4.0.0", 4003, 1101 },
	{ "4.0.1-rc.1", 4004, 1101 },
	{ "4.0.1", 4005, 1101 },
	{ "4.0.2", 4006, 1101 },
	{ "4.1.0", 4100, 1200 },
	{ "4.2.0", 4200, 1200 },
	{ "5.0.0-alpha.1", 5000, 2000 },
	{ "5.0.0-alpha.2", 5001, 2000 },
	{ "5.0.0", 5002, 2000 },
	{ "5.0.1", 5003, 2001 },
	{ "5.1.0", 5004, 2001 },
	{ "5.2.0", 5200, 2002 },
	{ "5.3.0", 5300, 2100 },
	{ "5.3.1", 5301, 2101 },
	{ "5.3.2", 5302, 2102 },
	{ "5.4.0", 5400, 2200 },
	{ "5.4.1", 5410, 2210 },
	{ "5.5.0-rc.1", 5500, 2300 },
	{ "5.5.0", 5501, 2300 },
	{ "5.6.0", 5600, 2400 },
	{ "5.7.0", 5700, 2500 },
	{ "5.8.0", 5800, 2600 },
	{ "6.1.0", 6100, 3000 },
	{ "6.1.1", 6101, 3001 },         /* also particle-cli */
	{ "6.2.0", 6200, 3100 },
	{ "6.2.1", 6201, 3101 },
	{ "6.3.0", 6302, 3101 },
	{ "6.3.2", 6303, 3101 },
	{ "6.3.4", 6305, 0 },            /* particle-cli's Tinker for 6.3.4 */
};

#define NRELEASES (sizeof releases / sizeof releases[0])

size_t otk_dos_release_count(void)
{
	return NRELEASES;
}

const struct otk_dos_release *otk_dos_release_at(size_t i)
{
	return i < NRELEASES ? &releases[i] : NULL;
}

/* The C library's strcmp is not part of what a freestanding firmware links. */
static bool same_name(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

const struct otk_dos_release *otk_dos_release_by_name(const char *version)
{
	if (version == NULL)
		return NULL;
	for (size_t i = 0; i < NRELEASES; i++) {
		if (same_name(releases[i].version, version))
			return &releases[i];
	}
	return NULL;
}

/*
 * When several releases share the number, the last of them in table order
 * wins: the final release rather than its candidates.
 */
const struct otk_dos_release *otk_dos_release_by_system_version(uint16_t v)
{
	for (size_t i = NRELEASES; i-- > 0;) {
		if (releases[i].system_version == v)
			return &releases[i];
	}
	return NULL;
}

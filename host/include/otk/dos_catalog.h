/*
 * A Device OS release catalog on the host: the module sets Particle
 * publishes (release zips, folders of `argon-system-part1@5.8.0.bin`,
 * bootloaders, SoftDevices, Tinker), imported once and then used by
 * `otakit flash --local` and `otakit update`.
 *
 * Every module is identified by its prefix, never by its file name: the
 * platform, function and index come from the module, the release from the
 * system part's module version (otk/dos_version.h).  Layout on disk:
 *
 *   CATALOG/PLATFORM/VERSION/release.json      what the folder holds
 *   CATALOG/PLATFORM/VERSION/FUNCTION-INDEX.bin  one module each
 *
 * Every file is written atomically (otk/file.h), release.json last, so an
 * interrupted import leaves the previous state of a release readable.
 */
#ifndef OTK_DOS_CATALOG_H
#define OTK_DOS_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/module.h"

struct otk_dos_module {
	char *file;                /* "system-1.bin", relative to the release folder */
	struct otk_prefix prefix;
	uint32_t size;
	uint32_t crc;
};

struct otk_dos_release_set {
	uint16_t platform;
	char *version;             /* "5.8.0" */
	uint16_t system_version;   /* 5800 */
	char *dir;                 /* CATALOG/argon/5.8.0 */
	struct otk_dos_module *mods;
	size_t nmods;
};

struct otk_dos_catalog {
	char *dir;
	struct otk_dos_release_set *rel;   /* sorted by platform, then system_version */
	size_t n;
};

/* $XDG_DATA_HOME/otakit/device-os, else $HOME/.local/share/otakit/device-os
 * (malloc'd); NULL when neither variable is set. */
char *otk_dos_catalog_default_dir(void);

/*
 * Read the catalog at dir (a missing folder is an empty catalog).  A
 * release.json that cannot be read is an error naming it (err).
 */
int otk_dos_catalog_load(const char *dir, struct otk_dos_catalog *c, char *err, size_t errlen);
void otk_dos_catalog_free(struct otk_dos_catalog *c);

/* The release of platform with that version name; NULL when absent. */
const struct otk_dos_release_set *otk_dos_catalog_find(const struct otk_dos_catalog *c,
						       uint16_t platform, const char *version);
/* The newest release of platform; NULL when there is none. */
const struct otk_dos_release_set *otk_dos_catalog_newest(const struct otk_dos_catalog *c,
							 uint16_t platform);

/* Read one module of a release (malloc'd, checked: CRC and prefix). */
int otk_dos_module_read(const struct otk_dos_release_set *r, const struct otk_dos_module *m,
			uint8_t **buf, size_t *len, char *err, size_t errlen);

/*
 * Import a release zip (read by otk/bundle.h's reader, which refuses hostile
 * archives) or a folder (searched recursively) into the catalog
 * at dir.  Files that are not modules, asset modules and modules of unknown
 * platforms are skipped and reported through note; a module with a bad CRC
 * or that cannot be placed in a release fails the whole import before
 * anything is written.  *imported gets the number of modules written.
 */
typedef void (*otk_dos_note_fn)(void *ctx, const char *name, const char *msg);
int otk_dos_catalog_import(const char *dir, const char *src, otk_dos_note_fn note, void *ctx,
			   size_t *imported, char *err, size_t errlen);

/* One file of an import from memory: the name messages show, its bytes. */
struct otk_dos_input {
	const char *name;
	const uint8_t *data;
	size_t len;
};

/*
 * The same for files already in memory (modules fetched from a cloud's
 * catalog); src names where they came from in messages.  The buffers stay
 * the caller's.
 */
int otk_dos_catalog_import_mem(const char *dir, const char *src, const struct otk_dos_input *in,
			       size_t n, otk_dos_note_fn note, void *ctx, size_t *imported,
			       char *err, size_t errlen);

#endif

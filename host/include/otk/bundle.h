/*
 * Reading Asset OTA bundles (.zip): the application at the root and the
 * assets under assets/.  Entry names are checked (no absolute paths, no
 * "..", no duplicates) and inflated sizes are capped, so a hostile zip
 * cannot escape a directory or exhaust memory.
 */
#ifndef OTK_BUNDLE_H
#define OTK_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#define OTK_BUNDLE_ENTRY_MAX (64u * 1024u * 1024u)
#define OTK_BUNDLE_TOTAL_MAX (256u * 1024u * 1024u)

struct otk_bundle_entry {
	char *name;           /* entry name in the zip ("app.bin", "assets/cat.txt") */
	const char *base;     /* points into name: the file name without directories */
	uint8_t *data;
	size_t len;
};

struct otk_bundle {
	struct otk_bundle_entry app;       /* data NULL when there is no root .bin */
	struct otk_bundle_entry *assets;
	size_t nassets;
	struct otk_bundle_entry env;       /* env.json, data NULL when absent */
	struct otk_bundle_entry *others;   /* anything else, reported not used */
	size_t nothers;
	unsigned napps;                    /* root-level .bin entries seen */
};

/*
 * Read a bundle.  On failure returns a negative code and writes a message
 * into err (never NULL-terminated beyond errlen); *b is left empty.
 */
int otk_bundle_read(const char *path, struct otk_bundle *b, char *err, size_t errlen);
void otk_bundle_free(struct otk_bundle *b);

#endif

/*
 * otakit-vdev install: feed a module file to the update engine as a
 * transport would (begin, write in chunks, finish with apply).  The copy
 * into place happens at the next `run`, as at the next boot of a device.
 * Interrupted installs resume: begin() returns how much of this same file
 * (by SHA-256) staging already holds.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"
#include "otk/file.h"
#include "otk/module.h"
#include "otk/sha256.h"
#include "vdev.h"

#define CHUNK 512u   /* an OTA chunk; a multiple of the write alignment */

static const char *what(int rc)
{
	switch (rc) {
	case OTK_EUPD_DEPENDENCY: return "dependencies not met";
	case OTK_EUPD_PLATFORM: return "built for another platform";
	case OTK_EUPD_DOWNGRADE: return "Device OS downgrade refused over OTA (install without --ota)";
	default: return otk_strerror(rc);
	}
}

int cmd_install(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ota", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	bool ota = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o': ota = true; break;
		default: return vdev_usage_error("install: bad option");
		}
	}
	if (optind + 2 != argc)
		return vdev_usage_error("install: need DIR and FILE.bin");
	const char *dir = argv[optind], *file = argv[optind + 1];
	uint8_t *data;
	size_t len;
	int rc = otk_file_read(file, 64u * 1024u * 1024u, &data, &len);
	if (rc < 0) {
		vdev_error(file, "%s", rc == OTK_EIO ? strerror(errno) : otk_strerror(rc));
		return 1;
	}
	struct vdev *v = calloc(1, sizeof *v);
	int status = 1;
	if (!v || !vdev_open(v, dir)) {
		free(v);
		free(data);
		return 1;
	}
	if (!vdev_update_init(v))
		goto out;
	if (len > UINT32_MAX) {
		vdev_error(file, "too large");
		goto out;
	}
	uint8_t sha[OTK_SHA256_LEN];
	otk_sha256(data, len, sha);
	struct otk_module m;
	uint8_t fn = otk_module_parse(data, len, &m) == OTK_OK ? m.prefix.function : 0;
	long off = otk_update_begin(&v->upd, (uint32_t)len, sha, ota ? 0 : OTK_UPDATE_LOCAL, fn);
	if (off < 0) {
		vdev_error(file, "refused: %s%s", what((int)off),
			   off == OTK_EUPD_BUSY ? " (run the device to apply the pending update)" : "");
		goto out;
	}
	if (off > 0)
		printf("%s: resuming at byte %ld of %zu\n", file, off, len);
	for (size_t pos = (size_t)off; pos < len; pos += CHUNK) {
		size_t n = len - pos < CHUNK ? len - pos : CHUNK;
		if ((rc = otk_update_write(&v->upd, (uint32_t)pos, data + pos, n)) < 0) {
			vdev_error(file, "writing byte %zu: %s", pos, otk_strerror(rc));
			goto out;
		}
	}
	struct otk_update_result res;
	rc = otk_update_finish(&v->upd, OTK_FINISH_APPLY, &res);
	if (rc < 0) {
		char name[64] = "file";
		if (res.failed >= 0 && res.failed < (int)res.nmodules)
			vdev_module_name(res.modules[res.failed].function, res.modules[res.failed].index,
					 name, sizeof name);
		vdev_error(file, "rejected: %s: %s", name, what(rc));
		goto out;
	}
	for (unsigned i = 0; i < res.nmodules; i++) {
		char name[64];
		const struct otk_prefix *p = &res.modules[i];
		printf("%s: %s version %u for %s, %u bytes at 0x%08x: accepted\n", file,
		       vdev_module_name(p->function, p->index, name, sizeof name), p->version,
		       v->layout->name, p->end - p->start + OTK_CRC_SIZE, p->start);
	}
	printf("%s: applied; the copy happens at the next run\n", file);
	status = 0;
out:
	vdev_close(v);
	free(v);
	free(data);
	return status;
}

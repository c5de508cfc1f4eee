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

#include "otk/assets.h"
#include "otk/bundle.h"
#include "otk/error.h"
#include "otk/file.h"
#include "otk/module.h"
#include "otk/platform.h"
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

/*
 * Feed one file through the update engine (begin, write in chunks, finish
 * with mode).  verbose: print each accepted module.  A VALIDATE run is
 * discarded afterwards: it only says whether the engine would take the
 * file.  Returns 0 or 1.
 */
static int feed(struct vdev *v, const char *file, const uint8_t *data, size_t len, bool ota,
		bool verbose, enum otk_update_finish_mode mode)
{
	if (len > UINT32_MAX) {
		cli_error(file, "too large");
		return 1;
	}
	uint8_t sha[OTK_SHA256_LEN];
	otk_sha256(data, len, sha);
	struct otk_module m;
	uint8_t fn = otk_module_parse(data, len, &m) == OTK_OK ? m.prefix.function : 0;
	struct otk_update_start st = { (uint32_t)len, sha, ota ? 0 : OTK_UPDATE_LOCAL, fn, 0 };
	long off = otk_update_begin(&v->upd, &st);
	if (off < 0) {
		cli_error(file, "refused: %s%s", what((int)off),
			   off == OTK_EUPD_BUSY ? " (run the device to apply the pending update)" : "");
		return 1;
	}
	if (off > 0)
		printf("%s: resuming at byte %ld of %zu\n", cli_shown(file), off, len);
	int rc;
	for (size_t pos = (size_t)off; pos < len; pos += CHUNK) {
		size_t n = len - pos < CHUNK ? len - pos : CHUNK;
		if ((rc = otk_update_write(&v->upd, (uint32_t)pos, data + pos, n)) < 0) {
			cli_error(file, "writing byte %zu: %s", pos, otk_strerror(rc));
			return 1;
		}
	}
	struct otk_update_result res;
	memset(&res, 0, sizeof res);
	res.failed = -1;
	rc = otk_update_finish(&v->upd, mode, &res);
	if (mode == OTK_FINISH_VALIDATE)
		(void)otk_update_finish(&v->upd, OTK_FINISH_DISCARD, NULL);
	if (rc < 0) {
		char name[64] = "file";
		if (res.failed >= 0 && res.failed < (int)res.nmodules)
			vdev_module_name(res.modules[res.failed].function, res.modules[res.failed].index,
					 name, sizeof name);
		cli_error(file, "rejected: %s: %s", name, what(rc));
		return 1;
	}
	if (!verbose || mode == OTK_FINISH_VALIDATE)
		return 0;
	if (res.nmodules == 1 && res.modules[0].function == OTK_FUNC_ASSET) {
		printf("%s: asset module of %zu bytes: stored in the asset store\n", cli_shown(file),
		       len);
		return 0;
	}
	for (unsigned i = 0; i < res.nmodules; i++) {
		char name[64];
		const struct otk_prefix *p = &res.modules[i];
		printf("%s: %s version %u for %s, %u bytes at 0x%08x: accepted\n", cli_shown(file),
		       vdev_module_name(p->function, p->index, name, sizeof name), p->version,
		       v->layout->name, p->end - p->start + OTK_CRC_SIZE, p->start);
	}
	printf("%s: applied; the copy happens at the next run\n", cli_shown(file));
	return 0;
}

static int collect_dep(void *ctx, const struct otk_ext_asset *a)
{
	struct vdev *v = ctx;
	if (v->nreq >= VDEV_MAX_ASSETS || a->name_len > OTK_ASSET_STORE_NAME_MAX ||
	    a->hash_len != OTK_SHA256_LEN)
		return OTK_ENOSPC;
	struct otk_asset_id *id = &v->req[v->nreq++];
	memset(id, 0, sizeof *id);
	id->name_len = a->name_len;
	memcpy(id->name, a->name, a->name_len);
	memcpy(id->hash, a->hash, OTK_SHA256_LEN);
	return 0;
}

static bool is_required(const struct vdev *v, const char *name, const uint8_t *hash)
{
	for (size_t i = 0; i < v->nreq; i++)
		if (strcmp(v->req[i].name, name) == 0 && memcmp(v->req[i].hash, hash, OTK_SHA256_LEN) == 0)
			return true;
	return false;
}

/* The Device OS the device runs: the lowest version of its system parts (0: none). */
static uint16_t running_dos(struct vdev *v)
{
	static uint8_t scan[4096];
	struct otk_installed mods[16];
	int n = otk_installed_scan(&v->dev, scan, sizeof scan, mods, 16);
	uint16_t low = 0;
	for (int i = 0; i < n; i++)
		if (mods[i].role == OTK_AREA_SYSTEM && mods[i].status == OTK_OK &&
		    (low == 0 || mods[i].prefix.version < low))
			low = mods[i].prefix.version;
	return low;
}

/* Devices before Device OS 5.5.0 have no Asset OTA: nor does a virtual one. */
static bool takes_assets(struct vdev *v, const char *file)
{
	uint16_t dos = running_dos(v);
	if (dos >= OTK_ASSET_MIN_DOS_VERSION)
		return true;
	cli_error(file, "refused: the device runs Device OS %s, which has no Asset OTA (5.5.0 and "
		  "later have it)", vdev_dos_name(dos));
	return false;
}

/*
 * What can be known before anything is sent: the bundle has one valid
 * application for this device's platform, and assets only for a device
 * that takes them.
 */
static bool bundle_fits_device(struct vdev *v, const char *file, const struct otk_bundle *b,
			       struct otk_module *m)
{
	int rc;
	if (!b->app.data) {
		cli_error(file, "the bundle has no application (.bin at its root)");
		return false;
	}
	if ((rc = otk_module_parse(b->app.data, b->app.len, m)) < 0) {
		cli_error(file, "%s: %s", cli_shown(b->app.name), otk_strerror(rc));
		return false;
	}
	if (m->prefix.platform != v->layout->platform) {
		const struct otk_platform *p = otk_platform_by_id(m->prefix.platform);
		cli_error(file, "refused: %s is built for %s (platform %u), the device is %s",
			  cli_shown(b->app.name), p ? p->name : "an unknown platform",
			  m->prefix.platform, v->layout->name);
		return false;
	}
	if (b->nassets && !takes_assets(v, file))
		return false;
	v->nreq = 0;
	if ((rc = otk_assets_list(m, collect_dep, v)) < 0) {
		cli_error(file, "%s: asset dependencies: %s", cli_shown(b->app.name), otk_strerror(rc));
		return false;
	}
	if (!vdev_assets_open(v))
		return false;
	if (!v->has_assets && b->nassets) {
		cli_error(file, "%s has no asset storage", v->layout->name);
		return false;
	}
	return true;
}

/*
 * A bundle: the assets the device lacks (name + hash not stored), each as a
 * compressed asset module through the update engine with the asset store
 * attached, then the application.
 */
static int install_bundle(struct vdev *v, const char *file, bool ota)
{
	struct otk_bundle b;
	char err[256];
	int rc = otk_bundle_read(file, &b, err, sizeof err);
	if (rc < 0) {
		cli_error(file, "%s", err);
		return 1;
	}
	int status = 1;
	struct otk_module m;
	char app_label[4200];
	if (!bundle_fits_device(v, file, &b, &m))
		goto out;
	/* The application goes through the engine's checks first (and is
	 * discarded), so no asset is stored for an application it refuses. */
	snprintf(app_label, sizeof app_label, "%s: %s", file, b.app.name);
	if (feed(v, app_label, b.app.data, b.app.len, ota, false, OTK_FINISH_VALIDATE))
		goto out;
	unsigned sent = 0, skipped = 0;
	for (size_t i = 0; i < b.nassets; i++) {
		const struct otk_bundle_entry *e = &b.assets[i];
		const char *name = strncmp(e->name, "assets/", 7) == 0 ? e->name + 7 : e->base;
		char label[4200];
		uint8_t hash[OTK_SHA256_LEN];
		struct otk_asset_info info;
		otk_asset_hash(e->data, e->len, hash);
		snprintf(label, sizeof label, "%s: asset %s", file, name);
		if (!is_required(v, name, hash)) {
			printf("%s (%zu bytes): skipped, not required by the application\n",
			       cli_shown(label), e->len);
			skipped++;
			continue;
		}
		if (otk_asset_store_find(&v->astore, name, strlen(name), hash, &info) == OTK_OK) {
			printf("%s (%zu bytes): skipped, already stored\n", cli_shown(label), e->len);
			skipped++;
			continue;
		}
		uint8_t *mod;
		size_t mlen;
		if ((rc = otk_asset_module_create(e->data, e->len, name, 0, true, &mod, &mlen)) < 0) {
			cli_error(label, "cannot build the asset module: %s", otk_strerror(rc));
			goto out;
		}
		rc = feed(v, label, mod, mlen, ota, false, OTK_FINISH_APPLY);
		free(mod);
		if (rc)
			goto out;
		printf("%s (%zu bytes, module %zu bytes): sent, stored\n", cli_shown(label), e->len,
		       mlen);
		sent++;
	}
	printf("%s: assets: %u sent, %u skipped\n", cli_shown(file), sent, skipped);
	status = feed(v, app_label, b.app.data, b.app.len, ota, true, OTK_FINISH_APPLY);
out:
	otk_bundle_free(&b);
	return status;
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
		default: return vdev_bad_option("install", argv);
		}
	}
	if (optind + 2 != argc)
		return vdev_usage_error("install: need DIR and FILE.bin or BUNDLE.zip");
	const char *dir = argv[optind], *file = argv[optind + 1];
	uint8_t *data;
	size_t len;
	int rc = otk_file_read(file, 64u * 1024u * 1024u, &data, &len);
	if (rc < 0) {
		cli_error(file, "%s", rc == OTK_EIO ? strerror(errno) : otk_strerror(rc));
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
	if (len >= 4 && memcmp(data, "PK\003\004", 4) == 0) {
		status = install_bundle(v, file, ota);
	} else {
		/* a single module: the store is attached so asset modules are accepted,
		 * with the installed application's list (the store keeps only those) */
		struct otk_module m;
		if (otk_module_parse(data, len, &m) == OTK_OK && m.prefix.function == OTK_FUNC_ASSET &&
		    !takes_assets(v, file))
			goto out;
		if (!vdev_assets_open(v))
			goto out;
		static uint8_t scan[4096];
		struct otk_installed mods[16];
		int n = otk_installed_scan(&v->dev, scan, sizeof scan, mods, 16);
		for (int i = 0; i < n; i++)
			if (mods[i].role == OTK_AREA_USER && mods[i].status == OTK_OK) {
				(void)vdev_assets_deps(v, &mods[i]);
				break;
			}
		status = feed(v, file, data, len, ota, true, OTK_FINISH_APPLY);
	}
out:
	vdev_close(v);
	free(v);
	free(data);
	return status;
}

/*
 * otakit-vdev bundle: an Asset OTA bundle for the virtual device.  `otakit
 * bundle` checks the assets against the platform's asset limits from
 * device-constants, where gcc has no asset storage; the virtual device has
 * one (the layout's asset area), so this builds the same bundle (the app
 * with its ASSET_DEPENDENCY extensions at the root, the files under
 * assets/) checked against the device's own limit instead.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "otk/assets.h"
#include "otk/bundle.h"
#include "otk/error.h"
#include "otk/file.h"
#include "otk/module.h"
#include "vdev.h"

struct afile {
	char *name;
	uint8_t *data;
	size_t len;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct afile *)a)->name, ((const struct afile *)b)->name);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}


int cmd_bundle(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "assets", required_argument, NULL, 'a' },
		{ "saveTo", required_argument, NULL, 'o' },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *out = NULL;
	bool force = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:f", opts, NULL)) != -1) {
		switch (c) {
		case 'a': dir = optarg; break;
		case 'o': out = optarg; break;
		case 'f': force = true; break;
		default: return vdev_usage_error("bundle: bad option");
		}
	}
	if (optind + 1 != argc || !dir || !out)
		return vdev_usage_error("bundle: need APP.bin, --assets DIR and --saveTo OUT.zip");
	const char *app_path = argv[optind];
	struct afile files[VDEV_MAX_ASSETS];
	size_t n = 0;
	uint8_t *app = NULL, *updated = NULL;
	size_t app_len = 0, updated_len = 0;
	struct otk_asset_ref refs[VDEV_MAX_ASSETS];
	struct otk_bundle_item items[VDEV_MAX_ASSETS + 1];
	char names[VDEV_MAX_ASSETS][80];
	int status = 1, rc;

	if ((rc = otk_file_read(app_path, 64u * 1024u * 1024u, &app, &app_len)) < 0) {
		vdev_error(app_path, "%s", rc == OTK_EIO ? strerror(errno) : otk_strerror(rc));
		return 1;
	}
	DIR *d = opendir(dir);
	if (!d) {
		vdev_error(dir, "%s", strerror(errno));
		goto out;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		char path[4200];
		struct stat st;
		if (otk_asset_name_skipped(de->d_name))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (n == VDEV_MAX_ASSETS || strlen(de->d_name) > OTK_ASSET_STORE_NAME_MAX) {
			vdev_error(path, n == VDEV_MAX_ASSETS ? "too many assets" : "name too long");
			closedir(d);
			goto out;
		}
		files[n].name = strdup(de->d_name);
		if (!files[n].name || otk_file_read(path, OTK_BUNDLE_ENTRY_MAX, &files[n].data,
						    &files[n].len) < 0) {
			vdev_error(path, "cannot read");
			free(files[n].name);
			closedir(d);
			goto out;
		}
		n++;
	}
	closedir(d);
	qsort(files, n, sizeof files[0], by_name);
	printf("Bundling %s with %s:\n", app_path, dir);
	for (size_t i = 0; i < n; i++) {
		printf("  %s\n", files[i].name);
		refs[i].name = files[i].name;
		refs[i].name_len = strlen(files[i].name);
		otk_asset_hash(files[i].data, files[i].len, refs[i].hash);
	}
	/* The device's limit: the store takes modules up to its area - 16 blocks. */
	const struct otk_layout *l = NULL;
	struct otk_module m;
	if (otk_module_parse(app, app_len, &m) == OTK_OK)
		l = otk_layout_by_platform(m.prefix.platform);
	const struct otk_layout_area *aa = l ? otk_layout_find(l, OTK_AREA_ASSETS, 0) : NULL;
	if (n && !aa) {
		vdev_error(app_path, "the application's platform has no asset storage");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t *mod;
		size_t mlen;
		if ((rc = otk_asset_module_create(files[i].data, files[i].len, files[i].name, 0, true,
						  &mod, &mlen)) < 0) {
			vdev_error(files[i].name, "cannot build the asset module: %s", otk_strerror(rc));
			goto out;
		}
		free(mod);
		if (aa->size < 20u * OTK_ASSET_BLOCK || mlen > aa->size - 16u * OTK_ASSET_BLOCK) {
			vdev_error(files[i].name, "asset module of %zu bytes over the device's limit", mlen);
			goto out;
		}
	}
	rc = otk_assets_set_deps(app, app_len, refs, n, &updated, &updated_len, NULL);
	if (rc < 0) {
		vdev_error(app_path, "cannot add asset dependencies: %s", otk_strerror(rc));
		goto out;
	}
	items[0] = (struct otk_bundle_item){ base_name(app_path), updated, updated_len };
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof names[i], "assets/%s", files[i].name);
		items[i + 1] = (struct otk_bundle_item){ names[i], files[i].data, files[i].len };
	}
	char err[256];
	if ((rc = otk_bundle_write(out, items, n + 1, force, err, sizeof err)) < 0) {
		vdev_error(out, "%s", rc == OTK_EEXIST ? "already exists (use --force to replace it)"
							: err);
		goto out;
	}
	printf("Saved bundle to: %s\n", out);
	status = 0;
out:
	for (size_t i = 0; i < n; i++) {
		free(files[i].name);
		free(files[i].data);
	}
	free(app);
	free(updated);
	return status;
}

/*
 * otakit-vdev bundle: an Asset OTA bundle for the virtual device, made by
 * the same code as `otakit bundle` (host/src/bundle_make.c) under the same
 * rules, Device OS 5.5.0 or later among them.  One difference: `otakit
 * bundle` checks the assets against the platform's limits from
 * device-constants, where gcc has no asset storage; the virtual device has
 * one (the layout's asset area), so its own limit applies instead.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otk/assets.h"
#include "otk/bundle_make.h"
#include "otk/error.h"
#include "otk/file.h"
#include "otk/module.h"
#include "vdev.h"

/* The device's limit on one asset module: the store keeps 16 blocks spare. */
static bool device_limit(const struct otk_module *m, const char *app_path, uint32_t *max)
{
	const struct otk_layout *l = otk_layout_by_platform(m->prefix.platform);
	const struct otk_layout_area *aa = l ? otk_layout_find(l, OTK_AREA_ASSETS, 0) : NULL;
	if (!aa || aa->size < 20u * OTK_ASSET_BLOCK) {
		cli_error(app_path, "the application's platform has no asset storage");
		return false;
	}
	*max = aa->size - 16u * OTK_ASSET_BLOCK;
	return true;
}

/* What the device's asset store can hold by count and name length. */
static bool store_fits(const struct otk_asset_files *l, const char *dir)
{
	if (l->n > VDEV_MAX_ASSETS) {
		cli_error(dir, "%zu assets, the virtual device keeps at most %u", l->n,
			  VDEV_MAX_ASSETS);
		return false;
	}
	for (size_t i = 0; i < l->n; i++) {
		if (strlen(l->v[i].name) > OTK_ASSET_STORE_NAME_MAX) {
			cli_error(dir, "asset name %s is longer than %u bytes", cli_shown(l->v[i].name),
				  OTK_ASSET_STORE_NAME_MAX);
			return false;
		}
	}
	return true;
}

int cmd_bundle(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "assets", required_argument, NULL, 'a' },
		{ "saveTo", required_argument, NULL, 'o' },
		CLI_OUT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	struct cli_out out = { 0 };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:f", opts, NULL)) != -1) {
		if (cli_out_option(&out, c))
			continue;
		if (c != 'a')
			return vdev_bad_option("bundle", argv);
		dir = optarg;
	}
	if (optind + 1 != argc || !dir || !out.path)
		return vdev_usage_error("bundle: need APP.bin, --assets DIR and --saveTo OUT.zip");
	const char *app_path = argv[optind];
	struct otk_asset_files l = { 0 };
	struct otk_module m;
	uint8_t *app = NULL;
	size_t app_len = 0;
	uint32_t max = 0;
	char err[1024];
	int status = 1, rc;

	if ((rc = otk_file_read(app_path, OTK_FILE_MAX_DEFAULT, &app, &app_len)) < 0) {
		cli_error(app_path, "cannot read: %s", rc == OTK_EIO ? strerror(errno) : otk_strerror(rc));
		return 1;
	}
	/* Every check first; the report only after the bundle is written. */
	if (otk_bundle_check_app(app_path, app, app_len, true, &m, err, sizeof err) < 0 ||
	    otk_asset_files_read_dir(dir, &l, err, sizeof err) < 0) {
		cli_error(NULL, "%s", cli_shown(err));
		goto out;
	}
	if (!store_fits(&l, dir) || (l.n && !device_limit(&m, app_path, &max)))
		goto out;
	if (!out.force && otk_file_exists(out.path)) {
		cli_error(out.path, "already exists (use --force to replace it)");
		goto out;
	}
	if ((l.n && otk_asset_files_check_limits(NULL, &l, false, max, err, sizeof err) < 0) ||
	    otk_bundle_make(out.path, otk_path_basename(app_path), app, app_len, &l, NULL,
			    out.force, err, sizeof err) < 0) {
		cli_error(NULL, "%s", cli_shown(err));
		goto out;
	}
	printf("Bundling %s with %s:\n", cli_shown(app_path), cli_shown(dir));
	for (size_t i = 0; i < l.n; i++)
		printf("  %s\n", cli_shown(l.v[i].name));
	printf("Saved bundle to: %s\n", cli_shown(out.path));
	status = 0;
out:
	otk_asset_files_free(&l);
	free(app);
	return status;
}

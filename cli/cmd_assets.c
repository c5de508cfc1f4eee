/*
 * The asset commands of otakit binary: list-assets, strip-assets and
 * asset-module (particle-cli's `particle binary list-assets` and
 * `strip-assets`, and the asset module a device stores).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "otk/assets.h"
#include "otk/bundle_make.h"
#include "otk/error.h"
#include "otk/file.h"
#include "otk/module.h"

enum { OPT_NOCOMPRESS = 0x100, OPT_NAME };

static int print_dep(void *ctx, const struct otk_ext_asset *a)
{
	json_t *arr = ctx;
	char hex[65];
	cli_hex(a->hash, a->hash_len < 32 ? a->hash_len : 32, hex);
	if (arr) {
		json_t *o = json_object();
		json_object_set_new(o, "name", json_stringn(a->name, a->name_len));
		json_object_set_new(o, "hash", json_string(hex));
		json_array_append_new(arr, o);
	} else {
		char *name = strndup(a->name, a->name_len);
		printf("%s  %s\n", hex, name ? cli_shown(name) : "?");
		free(name);
	}
	return 0;
}

static int cmd_list_assets(int argc, char **argv)
{
	bool json;
	int rc = cli_flag_only(argc, argv, "binary list-assets", "json", &json);
	if (rc)
		return rc;
	if (optind + 1 != argc)
		return cli_usage_error("binary list-assets", "binary list-assets: need one APP.bin");
	const char *path = argv[optind];
	size_t len;
	uint8_t *buf = cli_read_file(path, &len);
	if (!buf)
		return 1;
	struct otk_module m;
	rc = otk_module_parse(buf, len, &m);
	if (rc < 0) {
		cli_error(path, "not a module: %s", otk_strerror(rc));
		free(buf);
		return 1;
	}
	json_t *arr = json ? json_array() : NULL;
	rc = otk_assets_list(&m, print_dep, arr);
	free(buf);
	if (rc < 0) {
		json_decref(arr);
		cli_error(path, "malformed asset dependency extension");
		return 1;
	}
	if (arr) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(arr);
	}
	return 0;
}

static int cmd_strip_assets(int argc, char **argv)
{
	static const struct option opts[] = { CLI_OUT_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cli_out o = { 0 };
	optind = 1;
	if (cli_getopt_out(argc, argv, opts, &o) != -1)
		return cli_bad_usage("binary strip-assets", argv);
	const char *out = o.path;
	if (optind + 1 != argc)
		return cli_usage_error("binary strip-assets", "binary strip-assets: need one APP.bin");
	const char *path = argv[optind];
	char *def = NULL;
	if (!out) {
		/* particle binary strip-assets: FILE without extension + -no-assets.bin */
		const char *dot = strrchr(otk_path_basename(path), '.');
		int n = dot ? (int)(dot - path) : (int)strlen(path);
		if (asprintf(&def, "%.*s-no-assets.bin", n, path) < 0)
			return 1;
		out = def;
	}
	size_t len, olen;
	uint8_t *buf = cli_read_file(path, &len), *res = NULL;
	struct otk_module m;
	int status = 1;
	char err[512];
	if (!buf)
		goto done;
	if (otk_bundle_check_app(path, buf, len, false, &m, err, sizeof err) < 0) {
		cli_error(NULL, "%s", cli_shown(err));
		goto done;
	}
	if (otk_assets_list(&m, NULL, NULL) == 0) {
		cli_error(path, "No assets found");
		goto done;
	}
	int rc = otk_assets_set_deps(buf, len, NULL, 0, &res, &olen, NULL);
	if (rc < 0) {
		cli_error(path, "cannot remove asset dependencies: %s", otk_strerror(rc));
		goto done;
	}
	if (cli_write_file(out, res, olen, o.force)) {
		fprintf(cli_report(out), "Application binary without assets saved to %s (%zu -> %zu bytes)\n",
		       cli_shown(out), len, olen);
		status = 0;
	}
done:
	free(buf);
	free(res);
	free(def);
	return status;
}

static int cmd_asset_module(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_OUT_OPTIONS,
		{ "no-compress", no_argument, NULL, OPT_NOCOMPRESS },
		{ "name", required_argument, NULL, OPT_NAME },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_out o = { 0 };
	const char *name = NULL;
	bool compress = true;
	int c;
	optind = 1;
	while ((c = cli_getopt_out(argc, argv, opts, &o)) != -1) {
		switch (c) {
		case OPT_NOCOMPRESS: compress = false; break;
		case OPT_NAME: name = optarg; break;
		default: return cli_bad_usage("binary asset-module", argv);
		}
	}
	const char *out = o.path;
	if (optind + 1 != argc || !out)
		return cli_usage_error("binary asset-module", "binary asset-module: need one FILE and -o OUT");
	const char *path = argv[optind];
	if (!name)
		name = otk_path_basename(path);
	size_t len, olen;
	uint8_t *buf = cli_read_file(path, &len), *res;
	if (!buf)
		return 1;
	int rc = otk_asset_module_create(buf, len, name, 0, compress, &res, &olen);
	free(buf);
	if (rc < 0) {
		cli_error(path, "cannot build an asset module: %s", otk_strerror(rc));
		return 1;
	}
	bool ok = cli_write_file(out, res, olen, o.force);
	if (ok)
		fprintf(cli_report(out), "%s: asset %s, %zu -> %zu bytes\n", cli_shown(out), cli_shown(name), len, olen);
	free(res);
	return ok ? 0 : 1;
}

const struct cli_command cli_asset_commands[] = {
	{ "binary list-assets", "list an application's asset dependencies",
	  "Usage: otakit binary list-assets [--json] APP.bin\n"
	  "\n"
	  "Print the SHA-256 and name of each asset the application depends on.\n",
	  cmd_list_assets },
	{ "binary strip-assets", "remove an application's asset dependencies",
	  "Usage: otakit binary strip-assets APP.bin [-o OUT.bin] [--force]\n"
	  "\n"
	  "Write the application without ASSET_DEPENDENCY extensions (SHA-256 and\n"
	  "CRC-32 recomputed; a grows-left module moves back right), by default to\n"
	  "APP-no-assets.bin.  The result is the application as it was before its\n"
	  "dependencies were added.\n",
	  cmd_strip_assets },
	{ "binary asset-module", "wrap a file as an asset module",
	  "Usage: otakit binary asset-module FILE -o OUT.bin [--name NAME] [--no-compress] [--force]\n"
	  "\n"
	  "Build the asset module (function 9) a device stores for FILE, compressed\n"
	  "unless --no-compress, named after FILE unless --name is given.\n",
	  cmd_asset_module },
};
const size_t cli_asset_command_count = sizeof cli_asset_commands / sizeof cli_asset_commands[0];

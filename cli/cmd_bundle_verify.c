/*
 * otakit bundle verify and otakit bundle unpack: every check the cloud makes
 * on a bundle, plus the platform's limits; unpack writes a verified bundle
 * out as a folder that appears whole or not at all.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "otk/assets.h"
#include "otk/bundle.h"
#include "otk/bundle_make.h"
#include "otk/bundle_verify.h"
#include "otk/error.h"
#include "otk/file.h"
#include "otk/module.h"
#include "otk/platform.h"

/* Every check the cloud makes, plus the platform's limits. */
static bool verify_bundle(const char *path, struct otk_bundle *b, bool strict, size_t *ndeps)
{
	char err[512];
	if (otk_bundle_read(path, b, err, sizeof err) < 0) {
		cli_error(path, "%s", err);
		return false;
	}
	if (!b->app.data) {
		cli_error(path, "no application .bin at the root of the bundle");
		return false;
	}
	if (b->napps > 1) {
		cli_error(path, "more than one application .bin at the root of the bundle");
		return false;
	}
	struct otk_module m;
	char label[600];
	snprintf(label, sizeof label, "%s: %s", path, b->app.name);
	if (otk_bundle_check_app(label, b->app.data, b->app.len, false, &m, err, sizeof err) < 0) {
		cli_error(NULL, "%s", cli_shown(err));
		return false;
	}
	struct otk_bundle_verify r;
	int rc = otk_bundle_verify_assets(b, &m, path, &r);
	unsigned problems = r.problems;
	for (size_t k = 0; k < r.n; k++)
		if (r.v[k].message)
			cli_error(NULL, "%s", cli_shown(r.v[k].message));
	*ndeps = r.ndeps;
	otk_bundle_verify_free(&r);
	if (rc == OTK_ENOMEM) {
		cli_error(path, "out of memory");
		return false;
	}
	for (size_t k = 0; k < b->nothers; k++) {
		cli_error(path, "unexpected entry %s", cli_shown(b->others[k].name));
		problems++;
	}
	if (problems)
		return false;
	struct otk_asset_files l = { 0 };
	bool ok = true;
	for (size_t k = 0; k < b->nassets && ok; k++) {
		uint8_t *copy = malloc(b->assets[k].len + 1);
		ok = copy && otk_asset_files_push(&l, b->assets[k].base, copy, b->assets[k].len) == 0;
		if (ok)
			memcpy(copy, b->assets[k].data, b->assets[k].len);
	}
	if (!ok)
		cli_error(path, "out of memory");
	else if (otk_asset_files_check_limits(otk_platform_by_id(m.prefix.platform), &l, strict, 0,
					      err, sizeof err) < 0) {
		cli_error(path, "%s", cli_shown(err));
		ok = false;
	}
	otk_asset_files_free(&l);
	return ok;
}

static int cmd_verify(int argc, char **argv)
{
	bool strict;
	int rc = cli_flag_only(argc, argv, "bundle verify", "strict", &strict);
	if (rc)
		return rc;
	if (optind >= argc)
		return cli_usage_error("bundle verify", "bundle verify: no ZIP given");
	int status = 0;
	for (int i = optind; i < argc; i++) {
		struct otk_bundle b;
		size_t n = 0;
		bool ok = verify_bundle(argv[i], &b, strict, &n);
		if (ok)
			printf("%s: ok: %s with %zu asset%s, all hashes match\n", cli_shown(argv[i]), cli_shown(b.app.name),
			       n, n == 1 ? "" : "s");
		else
			status = 1;
		otk_bundle_free(&b);
	}
	return status;
}

/* The application (and env file) at the top, the assets under assets/. */
static bool write_tree(const struct cli_stage *st, const struct otk_bundle *b)
{
	bool ok = cli_stage_mkdir(st, "assets");
	const struct otk_bundle_entry *top[2] = { &b->app, &b->env };
	for (size_t i = 0; ok && i < 2; i++)
		if (top[i]->data)
			ok = cli_stage_write(st, top[i]->base, top[i]->data, top[i]->len);
	for (size_t k = 0; ok && k < b->nassets; k++) {
		char *rel = cli_join("assets", b->assets[k].base);
		ok = rel && cli_stage_write(st, rel, b->assets[k].data, b->assets[k].len);
		free(rel);
	}
	return ok;
}

static int cmd_unpack(int argc, char **argv)
{
	static const struct option opts[] = { CLI_OUT_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cli_out o = { 0 };
	optind = 1;
	if (cli_getopt_out(argc, argv, opts, &o) != -1)
		return cli_bad_usage("bundle unpack", argv);
	const char *out = o.path;
	bool force = o.force;
	if (optind + 1 != argc || !out)
		return cli_usage_error("bundle unpack", "bundle unpack: need one ZIP and -o DIR");
	struct otk_bundle b;
	struct cli_stage st;
	size_t n;
	int status = 1;
	if (!verify_bundle(argv[optind], &b, false, &n))
		goto done;
	if (otk_file_exists(out) && !force) {
		cli_error(out, "already exists (use --force to write into it)");
		goto done;
	}
	/* Staged and moved into place: a failure or a signal leaves nothing. */
	if (!cli_stage_open(&st, out))
		goto done;
	if (!write_tree(&st, &b)) {
		cli_stage_abort(&st);
		goto done;
	}
	if (cli_stage_commit(&st)) {
		printf("%s: %s and %zu asset%s\n", cli_shown(out), cli_shown(b.app.name), b.nassets,
		       b.nassets == 1 ? "" : "s");
		status = 0;
	}
done:
	otk_bundle_free(&b);
	return status;
}

const struct cli_command cli_bundle_check_commands[] = {
	{ "bundle verify", "check a bundle's assets, hashes and limits",
	  "Usage: otakit bundle verify [--strict] ZIP...\n"
	  "\n"
	  "Check that the application is a valid module, that every asset it depends on\n"
	  "is present with a matching SHA-256, that there is nothing else, and that the\n"
	  "assets fit the platform's asset storage (--strict: as the device enforces).\n",
	  cmd_verify },
	{ "bundle unpack", "verify a bundle and extract it",
	  "Usage: otakit bundle unpack ZIP -o DIR [--force]\n"
	  "\n"
	  "Verify the bundle, then write the application to DIR and the assets to\n"
	  "DIR/assets.  DIR must not exist unless --force is given.\n",
	  cmd_unpack },
};
const size_t cli_bundle_check_command_count =
	sizeof cli_bundle_check_commands / sizeof cli_bundle_check_commands[0];

/*
 * otakit device-os import|list|upload: the host's Device OS release catalog
 * (otk/dos_catalog.h), which `otakit flash --local` and `otakit update`
 * take Device OS from, and the cloud's (otakitd): `list --cloud`, `upload`,
 * and cli_dos_fetch(), which fills the host catalog from the cloud's when a
 * release asked for is missing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cloud.h"
#include "flash_run.h"
#include "otk/bundle.h"
#include "otk/dos_catalog.h"
#include "otk/error.h"
#include "otk/file.h"
#include "otk/module.h"
#include "otk/platform.h"
#include "otk/sha256.h"

enum { OPT_CATALOG = 0x100, OPT_PLATFORM, OPT_CLOUD, OPT_VERSION };

char *cli_catalog_dir(const char *given)
{
	if (given)
		return strdup(given);
	char *d = otk_dos_catalog_default_dir();
	if (!d)
		cli_error(NULL, "no catalog folder: set XDG_DATA_HOME or HOME, or give --catalog DIR");
	return d;
}

static void print_note(void *ctx, const char *name, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s: %s: %s\n", cli_program, cli_shown(name), msg);
}

static int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "catalog", required_argument, NULL, OPT_CATALOG },
		{ NULL, 0, NULL, 0 },
	};
	const char *catalog = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != OPT_CATALOG)
			return cli_bad_usage("device-os import", argv);
		catalog = optarg;
	}
	if (optind >= argc)
		return cli_usage_error("device-os import", "device-os import: need ZIP or DIR");
	char *dir = cli_catalog_dir(catalog);
	if (!dir)
		return 1;
	int status = 0;
	for (int i = optind; i < argc; i++) {
		char err[1024];
		size_t n;
		int rc = otk_dos_catalog_import(dir, argv[i], print_note, NULL, &n, err, sizeof err);
		if (rc < 0) {
			cli_error(NULL, "%s", cli_shown(err));
			status = 1;
			continue;
		}
		printf("%s: %zu module%s imported into %s\n", cli_shown(argv[i]), n, n == 1 ? "" : "s",
		       cli_shown(dir));
	}
	free(dir);
	return status;
}

static json_t *release_json(const struct otk_dos_release_set *r)
{
	const struct otk_platform *p = otk_platform_by_id(r->platform);
	json_t *mods = json_array();
	for (size_t i = 0; i < r->nmods; i++) {
		const struct otk_dos_module *m = &r->mods[i];
		json_array_append_new(mods, json_pack("{s:s, s:i, s:i, s:I, s:s}", "type",
						      otk_function_short_name(m->prefix.function),
						      "index", m->prefix.index, "version",
						      m->prefix.version, "size", (json_int_t)m->size,
						      "file", m->file));
	}
	return json_pack("{s:s, s:i, s:s, s:i, s:o}", "platform", p ? p->name : "unknown",
			 "platform_id", r->platform, "version", r->version, "system_version",
			 r->system_version, "modules", mods);
}

/* The releases in the cloud's catalog (GET /v1/device-os/versions). */
static int list_cloud(struct cloud *c, const struct otk_platform *plat)
{
	char path[128];
	struct otk_http_response res;
	if (plat)
		snprintf(path, sizeof path, "/v1/device-os/versions?platform_id=%u", plat->id);
	else
		snprintf(path, sizeof path, "/v1/device-os/versions");
	if (!cloud_connect(c, true) || !cloud_call(c, c->command, "GET", path, NULL, &res))
		return 1;
	if (!json_is_array(res.json)) {
		cli_error(NULL, "%s: %s did not answer with a list", c->command, cli_shown(c->api));
		otk_http_response_free(&res);
		return 1;
	}
	if (c->json) {
		cloud_print_json(res.json);
	} else {
		size_t i;
		json_t *r;
		json_array_foreach(res.json, i, r) {
			const struct otk_platform *p = otk_platform_by_id(
				(uint16_t)json_integer_value(json_object_get(r, "platform_id")));
			char v[64];
			printf("%-10s %-16s %lld modules, %lld bytes\n", p ? p->name : "unknown",
			       cli_shown(cloud_str(r, "version", v, sizeof v)),
			       (long long)json_integer_value(json_object_get(r, "modules")),
			       (long long)json_integer_value(json_object_get(r, "size")));
		}
	}
	otk_http_response_free(&res);
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		CLOUD_OPTIONS,
		{ "catalog", required_argument, NULL, OPT_CATALOG },
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "cloud", no_argument, NULL, OPT_CLOUD },
		{ NULL, 0, NULL, 0 },
	};
	const char *catalog = NULL;
	const struct otk_platform *plat = NULL;
	struct cloud cl = { .command = "device-os list --cloud" };
	bool cloud = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (cloud_option(&cl, c))
			continue;
		switch (c) {
		case OPT_CATALOG: catalog = optarg; break;
		case OPT_CLOUD: cloud = true; break;
		case OPT_PLATFORM: {
			uint32_t v;
			plat = otk_platform_by_name(optarg);
			if (!plat && cli_parse_u32(optarg, &v) && v <= 0xFFFF)
				plat = otk_platform_by_id((uint16_t)v);
			if (!plat)
				return cli_usage_error("device-os list",
						       "device-os list: unknown platform '%s'", optarg);
			break;
		}
		default: return cli_bad_usage("device-os list", argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("device-os list", "device-os list: no arguments expected");
	if (cloud) {
		int status = list_cloud(&cl, plat);
		cloud_close(&cl);
		return status;
	}
	if (cl.api_opt || cl.profile_opt)
		return cli_usage_error("device-os list", "device-os list: --api and --profile go with --cloud");
	bool json = cl.json;
	char *dir = cli_catalog_dir(catalog);
	if (!dir)
		return 1;
	struct otk_dos_catalog cat;
	char err[1024];
	int rc = otk_dos_catalog_load(dir, &cat, err, sizeof err);
	free(dir);
	if (rc < 0) {
		cli_error(NULL, "%s", cli_shown(err));
		return 1;
	}
	json_t *arr = json ? json_array() : NULL;
	for (size_t i = 0; i < cat.n; i++) {
		const struct otk_dos_release_set *r = &cat.rel[i];
		if (plat && r->platform != plat->id)
			continue;
		if (arr) {
			json_array_append_new(arr, release_json(r));
			continue;
		}
		const struct otk_platform *p = otk_platform_by_id(r->platform);
		printf("%-10s %-16s", p ? p->name : "unknown", r->version);
		for (size_t k = 0; k < r->nmods; k++)
			printf(" %s-%u", otk_function_short_name(r->mods[k].prefix.function),
			       r->mods[k].prefix.index);
		putchar('\n');
	}
	if (arr) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(arr);
	}
	otk_dos_catalog_free(&cat);
	return 0;
}

/* --- the cloud's catalog ------------------------------------------------------ */

static void upload_progress(void *ctx, uint64_t sent, uint64_t total)
{
	cli_progress(ctx, sent, total);
}

/* Several modules as one zip in a private temporary folder (*tmpdir, to be
 * removed): the upload is one request, so the release is all or nothing. */
static char *zip_modules(char **files, int n, char **tmpdir)
{
	const char *t = getenv("TMPDIR");
	char *dir = NULL, *zip = NULL;
	if (asprintf(&dir, "%s/otakit-upload-XXXXXX", t && *t ? t : "/tmp") < 0)
		return NULL;
	if (!mkdtemp(dir)) {
		cli_error(dir, "cannot create: %s", strerror(errno));
		free(dir);
		return NULL;
	}
	*tmpdir = dir;
	struct otk_bundle_item *items = calloc((size_t)n, sizeof *items);
	uint8_t **data = calloc((size_t)n, sizeof *data);
	bool ok = items && data && (zip = cli_join(dir, "release.zip")) != NULL;
	for (int i = 0; ok && i < n; i++) {
		size_t len;
		data[i] = cli_read_file(files[i], &len);
		ok = data[i] != NULL;
		items[i] = (struct otk_bundle_item){ otk_path_basename(files[i]), data[i], len };
	}
	char err[1024];
	if (ok && otk_bundle_write(zip, items, (size_t)n, false, err, sizeof err) < 0) {
		cli_error(NULL, "device-os upload: %s", cli_shown(err));
		ok = false;
	}
	for (int i = 0; data && i < n; i++)
		free(data[i]);
	free(data);
	free(items);
	if (!ok) {
		free(zip);
		zip = NULL;
	}
	return zip;
}

static int upload(struct cloud *c, const char *file, const char *version)
{
	struct otk_http_part parts[2] = {
		{ .name = "file", .file = file, .filename = otk_path_basename(file) },
		{ .name = "version", .value = version },
	};
	struct otk_http_response res;
	if (!cloud_connect(c, true))
		return 1;
	int rc = otk_http_upload(c->http, "POST", "/v1/device-os/versions", parts, version ? 2 : 1,
				 upload_progress, (void *)file, &res);
	if (rc < 0 || !otk_http_success(&res)) {
		char what[600];
		snprintf(what, sizeof what, "%s %s to %s", c->command, cli_shown(file),
			 cli_shown(c->api));
		cloud_failed(what, rc, &res);
		otk_http_response_free(&res);
		return 1;
	}
	if (c->json) {
		cloud_print_json(res.json);
	} else {
		char v[64];
		const struct otk_platform *p = otk_platform_by_id(
			(uint16_t)json_integer_value(json_object_get(res.json, "platform_id")));
		size_t n = json_array_size(json_object_get(res.json, "modules"));
		printf("Device OS %s for %s: %zu module%s uploaded to %s\n",
		       cli_shown(cloud_str(res.json, "version", v, sizeof v)),
		       p ? p->name : "unknown", n, n == 1 ? "" : "s", cli_shown(c->api));
	}
	otk_http_response_free(&res);
	return 0;
}

static int cmd_upload(int argc, char **argv)
{
	static const struct option opts[] = {
		CLOUD_OPTIONS,
		{ "version", required_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	struct cloud cl = { .command = "device-os upload" };
	const char *version = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (cloud_option(&cl, c))
			continue;
		if (c != OPT_VERSION)
			return cli_bad_usage("device-os upload", argv);
		version = optarg;
	}
	if (optind >= argc)
		return cli_usage_error("device-os upload", "device-os upload: need ZIP or MODULE...");
	int n = argc - optind;
	for (int i = optind; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0 || access(argv[i], R_OK) < 0) {
			cli_error(argv[i], "cannot read: %s", strerror(errno));
			return 1;
		}
		if (!S_ISREG(st.st_mode)) {
			cli_error(argv[i], "not a file: give a release zip or module files");
			return 1;
		}
	}
	char *tmpdir = NULL, *zip = NULL;
	/* one zip or one module goes as it is */
	if (n > 1 && !(zip = zip_modules(argv + optind, n, &tmpdir))) {
		if (tmpdir)
			cli_remove_tree(tmpdir);
		free(tmpdir);
		return 1;
	}
	int status = upload(&cl, zip ? zip : argv[optind], version);
	if (tmpdir)
		cli_remove_tree(tmpdir);
	free(tmpdir);
	free(zip);
	cloud_close(&cl);
	return status;
}

/* One module fetched from the cloud: the size, SHA-256 and prefix the
 * listing promised, a good CRC, the platform asked for.  NULL when it is
 * fine, else why not. */
static const char *fetched_refusal(const json_t *m, const struct otk_http_response *res,
				   uint16_t platform)
{
	uint8_t sum[OTK_SHA256_LEN];
	char hex[2 * OTK_SHA256_LEN + 1];
	const char *want = json_string_value(json_object_get(m, "sha256"));
	struct otk_module mod;
	if ((json_int_t)res->len != json_integer_value(json_object_get(m, "size")))
		return "not the size the catalog lists";
	otk_sha256(res->body, res->len, sum);
	cli_hex(sum, sizeof sum, hex);
	if (!want || strcmp(want, hex) != 0)
		return "not the SHA-256 the catalog lists";
	if (otk_module_parse((const uint8_t *)res->body, res->len, &mod) < 0)
		return "not a module";
	if (otk_module_crc_compute(&mod) != mod.crc_stored)
		return "CRC mismatch";
	if (mod.prefix.platform != platform)
		return "a module of another platform";
	return NULL;
}

/* Downloads the release's modules (not its user part, as particle-cli does)
 * into in[] (bodies in res[]); false after a message. */
static bool fetch_modules(struct cloud *c, const json_t *mods, const char *version,
			  uint16_t platform, struct otk_dos_input *in,
			  struct otk_http_response *res, size_t *n)
{
	char plat[8];
	snprintf(plat, sizeof plat, "%u", platform);
	size_t i;
	json_t *m;
	json_array_foreach(mods, i, m) {
		const char *file = json_string_value(json_object_get(m, "filename"));
		const char *fn = json_string_value(json_object_get(json_object_get(m, "prefixInfo"),
								  "moduleFunction"));
		char path[512];
		if (fn && strcmp(fn, "user_part") == 0)
			continue;
		if (!file || !otk_bundle_name_is_safe(file) || strchr(file, '/')) {
			cli_error(NULL, "%s: the catalog lists a bad file name", c->command);
			return false;
		}
		if (!cloud_path(path, sizeof path, "/v1/device-os/files/%s/%s/%s", version, plat, file))
			return false;
		printf("Fetching %s\n", cli_shown(file));
		if (!cloud_call(c, file, "GET", path, NULL, &res[*n]))
			return false;
		in[*n] = (struct otk_dos_input){ file, (const uint8_t *)res[*n].body, res[*n].len };
		const char *why = fetched_refusal(m, &res[(*n)++], platform);
		if (why) {
			cli_error(NULL, "%s from %s: %s", cli_shown(file), cli_shown(c->api), why);
			return false;
		}
	}
	return true;
}

int cli_dos_fetch(const char *catalog, uint16_t platform, const char *version)
{
	const struct otk_platform *p = otk_platform_by_id(platform);
	struct cloud c = { .command = "fetching Device OS" };
	char plat[8], path[512], what[128];
	snprintf(plat, sizeof plat, "%u", platform);
	snprintf(what, sizeof what, "Device OS %s for %s", version, p ? p->name : plat);
	struct otk_http_response list;
	if (!cloud_load(&c)) {
		cloud_close(&c);
		return -1;
	}
	/* not logged in: nowhere to fetch from, the host catalog is all there is */
	const char *env = getenv("OTAKIT_TOKEN");
	if (!(env && *env) && !json_string_value(json_object_get(c.prof, "access_token"))) {
		cloud_close(&c);
		return 0;
	}
	printf("%s is not in the host catalog: fetching it from %s\n", what, cli_shown(c.api));
	if (!cloud_connect(&c, true)) {
		cloud_close(&c);
		return -1;
	}
	if (!cloud_path(path, sizeof path, "/v1/device-os/versions/%s?platform_id=%s", version, plat) ||
	    !cloud_call(&c, what, "GET", path, NULL, &list)) {
		cloud_close(&c);
		return -1;
	}
	const json_t *mods = json_object_get(list.json, "modules");
	size_t nm = json_array_size(mods), n = 0;
	struct otk_dos_input *in = calloc(nm + 1, sizeof *in);
	struct otk_http_response *res = calloc(nm + 1, sizeof *res);
	char *dir = in && res ? cli_catalog_dir(catalog) : NULL;
	bool ok = dir && fetch_modules(&c, mods, version, platform, in, res, &n);
	size_t imported = 0;
	char err[1024];
	if (ok && otk_dos_catalog_import_mem(dir, c.api, in, n, print_note, NULL, &imported, err,
					     sizeof err) < 0) {
		cli_error(NULL, "%s", cli_shown(err));
		ok = false;
	}
	if (ok)
		printf("%s: %zu module%s added to %s\n", what, imported, imported == 1 ? "" : "s",
		       cli_shown(dir));
	for (size_t i = 0; res && i < n; i++)
		otk_http_response_free(&res[i]);
	free(res);
	free(in);
	free(dir);
	otk_http_response_free(&list);
	cloud_close(&c);
	return ok ? 1 : -1;
}

const struct cli_command cli_device_os_commands[] = {
	{ "device-os import", "add Device OS releases to the host catalog",
	  "Usage: otakit device-os import [--catalog DIR] ZIP|DIR...\n"
	  "\n"
	  "Read Particle's Device OS release zips or folders of modules (system parts,\n"
	  "bootloaders, SoftDevices, NCP firmware, Tinker) and store them in the catalog,\n"
	  "one folder per platform and release.  Each module is identified by its\n"
	  "prefix, never by its file name; the release by the system part's version.\n"
	  "Files that are not modules are skipped and named; a module with a bad CRC\n"
	  "fails the import before anything is written.\n"
	  "The catalog is --catalog DIR, else $XDG_DATA_HOME/otakit/device-os.\n",
	  cmd_import },
	{ "device-os list", "list the Device OS releases in the host catalog",
	  "Usage: otakit device-os list [--catalog DIR] [--platform P] [--json]\n"
	  "       otakit device-os list --cloud [--platform P] [--json] [--api URL] [--profile NAME]\n"
	  "\n"
	  "One line per platform and release, oldest first, with its modules.  With\n"
	  "--cloud, the releases in the cloud's catalog (otakitd) instead, the ones\n"
	  "`otakit update --target` and particle-cli's `update` fetch from it.\n"
	  "\n"
	  "Options:\n"
	  "  --catalog DIR          the host catalog (default $XDG_DATA_HOME/otakit/device-os)\n"
	  "  --platform P           only this platform (name or number)\n"
	  "  --cloud                the cloud's catalog (needs 'otakit login')\n"
	  CLOUD_OPTIONS_HELP
	  "\n"
	  "Examples:\n"
	  "  otakit device-os list --platform p2\n"
	  "  otakit device-os list --cloud --json\n",
	  cmd_list },
	{ "device-os upload", "add a Device OS release to the cloud's catalog (administrators)",
	  "Usage: otakit device-os upload [--version V] ZIP|MODULE... [--api URL] [--profile NAME] [--json]\n"
	  "\n"
	  "Send a Device OS release to otakitd's catalog, from which devices, `otakit\n"
	  "update --target` and particle-cli's `update` take it: Particle's release zip,\n"
	  "or its module files (several are sent as one zip, so the release is stored\n"
	  "whole or not at all).  The server checks every module (CRC, one platform,\n"
	  "the release's system part version) and names the file it refuses.  The\n"
	  "release is the one of the system part among the files, else --version.\n"
	  "Only otakitd's administrators (otakitd user add NAME --admin) may upload.\n"
	  "\n"
	  "Options:\n"
	  "  --version V            the release (\"5.6.0\"), when no system part is sent\n"
	  CLOUD_OPTIONS_HELP
	  "\n"
	  "Examples:\n"
	  "  otakit device-os upload p2-device-os@5.6.0.zip\n"
	  "  otakit device-os upload p2-system-part1@5.6.0.bin p2-bootloader@5.6.0.bin\n"
	  "  otakit device-os upload --version 5.6.0 p2-bootloader@5.6.0.bin --json\n",
	  cmd_upload },
};
const size_t cli_device_os_command_count =
	sizeof cli_device_os_commands / sizeof cli_device_os_commands[0];

/*
 * otakit device-os import|list: the host's Device OS release catalog
 * (otk/dos_catalog.h), which `otakit flash --local` and `otakit update`
 * take Device OS from.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "otk/dos_catalog.h"
#include "otk/error.h"
#include "otk/platform.h"

enum { OPT_CATALOG = 0x100, OPT_JSON, OPT_PLATFORM };

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

static int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "catalog", required_argument, NULL, OPT_CATALOG },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ NULL, 0, NULL, 0 },
	};
	const char *catalog = NULL;
	const struct otk_platform *plat = NULL;
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_CATALOG: catalog = optarg; break;
		case OPT_JSON: json = true; break;
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
	  "\n"
	  "One line per platform and release, oldest first, with its modules.\n",
	  cmd_list },
};
const size_t cli_device_os_command_count =
	sizeof cli_device_os_commands / sizeof cli_device_os_commands[0];
